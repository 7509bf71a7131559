"""hparams_search=optuna: the study's direction follows `monitor`, and a study kept in SQLite
storage is resumed by running the same command again."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import run_cli

pytest.importorskip("hydra_plugins.hydra_optuna_sweeper")


def _sweeper(tmp_path: Path, *overrides: str) -> dict:
    result = run_cli(
        "nn-train", "hparams_search=optuna", *overrides, "--cfg", "all", "--resolve", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return yaml.safe_load(result.stdout)["hydra"]["sweeper"]


@pytest.mark.parametrize(
    ("monitor", "direction"),
    [
        ("val/acc", "maximize"),
        ("val/r2", "maximize"),
        ("val/loss", "minimize"),
        ("val/mae", "minimize"),
        (None, "minimize"),  # the default monitor, val/loss
    ],
)
def test_direction_follows_the_monitored_metric(
    tmp_path: Path, monitor: str | None, direction: str
) -> None:
    overrides = [f"monitor={monitor}"] if monitor else []
    assert _sweeper(tmp_path, *overrides)["direction"] == direction


def test_an_explicit_direction_is_kept(tmp_path: Path) -> None:
    sweeper = _sweeper(tmp_path, "monitor=val/acc", "hydra.sweeper.direction=minimize")
    assert sweeper["direction"] == "minimize"


@pytest.mark.slow
def test_a_study_in_sqlite_storage_is_resumed(tmp_path: Path) -> None:
    optuna = pytest.importorskip("optuna")
    storage = f"sqlite:///{tmp_path / 'study.db'}"

    def search(sweep_dir: str) -> None:
        result = run_cli(
            "nn-train",
            "hparams_search=optuna",
            "monitor=val/acc",
            "hydra.sweeper.n_trials=2",
            f"hydra.sweeper.storage={storage}",
            "hydra.sweeper.study_name=resumed",
            "trainer.max_epochs=1",
            "log=minimal",
            f"hydra.sweep.dir={sweep_dir}",
            cwd=tmp_path,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert "Traceback" not in result.stderr

    search("first")
    study = optuna.load_study(study_name="resumed", storage=storage)
    assert len(study.trials) == 2
    assert study.direction == optuna.study.StudyDirection.MAXIMIZE

    search("second")
    study = optuna.load_study(study_name="resumed", storage=storage)
    assert len(study.trials) == 4
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    values = [t.value for t in study.trials]
    assert all(0.0 <= v <= 1.0 for v in values)  # accuracies: the monitored val/acc
    best = yaml.safe_load((tmp_path / "second" / "optimization_results.yaml").read_text())
    assert best["best_value"] == pytest.approx(max(values))  # maximised, over all four trials
