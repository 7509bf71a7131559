"""Every experiment composes and runs a fast epoch; the promised qualities are reached (slow);
checkpoints can be evaluated; Optuna searches survive a failing trial."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from tb import load_events, scalar_values

EXPERIMENTS = sorted(p.stem for p in (ROOT / "experiments").glob("*.yaml"))


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_runs_a_fast_epoch(tmp_path: Path, name: str) -> None:
    result = run_cli(
        "nn-train",
        f"experiment={name}",
        "debug=fdr",
        "log=minimal",
        "hydra.run.dir=run",
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "metric", "at_least"),
    [
        ("digits_mlp", "test/acc", 0.97),
        ("digits_convnet", "test/acc", 0.96),
        ("sequence_rnn", "test/r2", 0.9),
    ],
)
def test_experiment_reaches_promised_quality(
    tmp_path: Path, name: str, metric: str, at_least: float
) -> None:
    result = run_cli(
        "nn-train", f"experiment={name}", "hydra.run.dir=run", cwd=tmp_path, timeout=900
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert scalar_values(load_events(tmp_path / "run"), metric)[-1] >= at_least


@pytest.mark.slow
def test_activation_sweep_every_job_reaches_90_percent(tmp_path: Path) -> None:
    result = run_cli(
        "nn-train",
        "experiment=activation_sweep",
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
        timeout=1500,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = sorted(p for p in (tmp_path / "sweep").iterdir() if p.is_dir())
    assert len(jobs) == 5
    for job in jobs:
        assert scalar_values(load_events(job), "test/acc")[-1] >= 0.9, job.name


def test_evaluate_a_checkpoint_without_training(tmp_path: Path) -> None:
    trained = run_cli(
        "nn-train", "trainer.max_epochs=2", "log=minimal", "hydra.run.dir=run", cwd=tmp_path
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    ckpt = tmp_path / "run" / "checkpoints" / "last.ckpt"
    evaluated = run_cli(
        "nn-train",
        "train=false",
        f"ckpt_path={ckpt}",
        "log=minimal",
        "hydra.run.dir=eval",
        cwd=tmp_path,
    )
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    acc = scalar_values(load_events(tmp_path / "eval"), "test/acc")
    assert acc and acc[-1] == scalar_values(load_events(tmp_path / "run"), "test/acc")[-1]
    assert "val/loss" not in load_events(tmp_path / "eval").Tags()["scalars"]


BOOM = """\
from framework import ActivationFunction, register_activation

@register_activation("boom")
class Boom(ActivationFunction):
    @staticmethod
    def forward(x):
        raise RuntimeError("boom in forward")

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output
"""


@pytest.mark.slow
def test_optuna_search_goes_on_after_a_failing_trial(tmp_path: Path) -> None:
    pytest.importorskip("hydra_plugins.hydra_optuna_sweeper")
    (tmp_path / "boom.py").write_text(BOOM)
    result = run_cli(
        "nn-train",
        "hparams_search=optuna",
        "hydra.sweeper.n_trials=4",
        "imports=[boom.py]",
        "activation=choice(relu,boom)",
        "trainer.max_epochs=1",
        "log=minimal",
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
        timeout=900,
    )
    trials = sorted(p.name for p in (tmp_path / "sweep").iterdir() if p.is_dir())
    assert len(trials) == 4  # every trial ran, the failing ones included
    failed = [t for t in trials if "activation=boom" in t]
    assert failed and len(failed) < 4
    assert result.returncode == 1
    assert f"{len(failed)} job(s) of the sweep failed" in result.stderr
    assert "boom in forward" in result.stderr
    assert (tmp_path / "sweep" / "optimization_results.yaml").is_file()
