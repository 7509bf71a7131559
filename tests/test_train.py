"""nn-train end to end, in subprocesses, as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import run_cli
from tb import hparams_of, load_events, scalar_values


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The default experiment, exactly as `make train` runs it (full length)."""
    cwd = tmp_path_factory.mktemp("default")
    result = run_cli("nn-train", "hydra.run.dir=run", cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return cwd / "run", result.stdout


def test_default_run_leaves_config_log_checkpoint_events(default_run: tuple[Path, str]) -> None:
    run_dir, stdout = default_run
    assert (run_dir / ".hydra" / "config.yaml").is_file()
    assert (run_dir / "train.log").is_file()
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert list(run_dir.glob("events.out.tfevents.*"))
    assert f"TensorBoard:   nn-board {run_dir.resolve()}" in stdout.splitlines()


def test_default_run_reaches_95_percent_and_logs_tensorboard(
    default_run: tuple[Path, str],
) -> None:
    run_dir, _ = default_run
    acc = load_events(run_dir)
    tags = set(acc.Tags()["scalars"])
    assert {"train/loss", "val/loss", "val/acc", "test/loss", "test/acc"} <= tags
    assert max(scalar_values(acc, "val/acc")) >= 0.95
    assert scalar_values(acc, "test/acc")[-1] >= 0.95
    losses = scalar_values(acc, "val/loss")
    assert losses[-1] < losses[0]
    hparams, metrics = hparams_of(acc)
    assert hparams["activation"] == "relu"
    assert hparams["loss"] == "cross_entropy"
    assert hparams["optimizer"] == "Adam"
    assert hparams["data"] == "digits"
    assert {"val/loss", "val/acc", "test/loss", "test/acc"} <= set(metrics)


def test_load_model_from_checkpoint_alone(default_run: tuple[Path, str]) -> None:
    from sklearn.datasets import load_digits

    from framework import load_model

    run_dir, _ = default_run
    model = load_model(run_dir / "checkpoints" / "last.ckpt")
    assert not model.training
    digits = load_digits()
    x = torch.tensor(digits.data[:200], dtype=torch.float32)  # raw pixels: the model standardises
    with torch.no_grad():
        predicted = model(x).argmax(-1).numpy()
    assert (predicted == digits.target[:200]).mean() > 0.8


def test_xor_stops_at_threshold(tmp_path: Path) -> None:
    result = run_cli("nn-train", "experiment=xor", "hydra.run.dir=run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    acc = load_events(tmp_path / "run")
    val_loss = scalar_values(acc, "val/loss")
    assert val_loss[-1] < 0.01  # stopped because the error dropped below the threshold ...
    assert all(v >= 0.01 for v in val_loss[:-1])  # ... and as soon as it did
    assert len(val_loss) < 500  # well before max_epochs
    assert scalar_values(acc, "test/acc")[-1] == 1.0


def test_overrides_compose_and_train(tmp_path: Path) -> None:
    result = run_cli(
        "nn-train",
        "activation=tanh",
        "loss=cross_entropy",
        "optimizer=adam",
        "optimizer.lr=0.003",
        "trainer.max_epochs=2",
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    hparams, _ = hparams_of(load_events(tmp_path / "run"))
    assert hparams["activation"] == "tanh"
    assert hparams["optimizer.lr"] == pytest.approx(0.003)


def test_custom_activation_through_imports(tmp_path: Path, bent_file: Path) -> None:
    result = run_cli(
        "nn-train",
        f"imports=[{bent_file.name}]",
        "activation=bent_identity",
        "trainer.max_epochs=2",
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    acc = load_events(tmp_path / "run")
    assert hparams_of(acc)[0]["activation"] == "bent_identity"
    assert scalar_values(acc, "val/acc")[-1] > 0.5


def test_custom_activation_in_nn_plugins(tmp_path: Path, bent_file: Path) -> None:
    listed = run_cli("nn-plugins", "--imports", str(bent_file), "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "bent_identity" in listed.stdout and "relu" in listed.stdout
    assert "file:" in listed.stdout
    checked = run_cli(
        "nn-plugins", "--imports", str(bent_file), "check", "bent_identity", cwd=tmp_path
    )
    assert checked.returncode == 0, checked.stdout
    assert "PASS activation bent_identity" in checked.stdout


def test_wrong_backward_fails_nn_plugins_check(tmp_path: Path, bad_bent_file: Path) -> None:
    checked = run_cli(
        "nn-plugins", "--imports", str(bad_bent_file), "check", "bent_identity", cwd=tmp_path
    )
    assert checked.returncode == 1
    out = " ".join(checked.stdout.split())
    assert "FAIL activation bent_identity" in out
    assert "gradcheck: gradient w.r.t. x is wrong" in out
    assert "the derivative is wrong for x in [-6, 1]" in out
