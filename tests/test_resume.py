"""Faults: a run killed with SIGKILL mid-epoch and resumed from last.ckpt ends exactly like the
run left alone; checkpoints are atomic; corrupt checkpoints and divergence are clear errors."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import torch
from conftest import SIGNAL_AT_CALL, run_cli, signalling_run
from tb import load_events


def _scalars(run: Path) -> dict[str, list[tuple[int, float]]]:
    acc = load_events(run)
    return {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}


@pytest.mark.slow
@pytest.mark.parametrize("every_n", [None, 7], ids=["epoch-checkpoints", "every-7-steps"])
def test_sigkill_mid_epoch_then_resume_is_exact(tmp_path: Path, every_n: int | None) -> None:
    args = signalling_run(tmp_path)
    if every_n:
        args.append(f"checkpoint.every_n_train_steps={every_n}")
    alone = run_cli("nn-train", *args, "hydra.run.dir=alone", cwd=tmp_path)
    assert alone.returncode == 0, alone.stderr[-3000:]

    killed = run_cli(
        "nn-train",
        *args,
        "hydra.run.dir=crashed",
        cwd=tmp_path,
        env={"SIGNAL_AT_CALL": SIGNAL_AT_CALL, "SIGNAL": "SIGKILL"},
    )
    assert killed.returncode == -signal.SIGKILL
    last = tmp_path / "crashed" / "checkpoints" / "last.ckpt"
    saved_step = torch.load(last, weights_only=True)["global_step"]
    assert 0 < saved_step < 30  # the crash came after the last checkpoint, mid-epoch
    # resume: the run directory is the checkpoint's own (no hydra.run.dir given)
    resumed = run_cli("nn-train", *args, f"ckpt_path={last}", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert not (tmp_path / "outputs").exists()

    a = torch.load(tmp_path / "alone" / "checkpoints" / "last.ckpt", weights_only=True)
    b = torch.load(last, weights_only=True)
    assert a["global_step"] == b["global_step"] == 60
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), key
    # the curves continue in the same run directory without duplicated steps
    assert _scalars(tmp_path / "crashed") == _scalars(tmp_path / "alone")


def test_corrupt_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "last.ckpt"
    bad.write_bytes(b"PK\x03\x04 not really a checkpoint")
    result = run_cli("nn-train", f"ckpt_path={bad}", "trainer.max_epochs=1", cwd=tmp_path)
    assert result.returncode == 2
    assert f"checkpoint '{bad}' cannot be read" in result.stderr
    assert "Traceback" not in result.stderr
    assert bad.read_bytes() == b"PK\x03\x04 not really a checkpoint"  # left as it was

    from framework import load_model
    from framework.errors import ConfigError

    with pytest.raises(ConfigError, match="cannot be read"):
        load_model(bad)


def test_atomic_checkpoint_write_never_leaves_a_partial_file(tmp_path: Path, monkeypatch) -> None:
    from framework.training.checkpoint_writer import AtomicCheckpointIO

    io = AtomicCheckpointIO()
    path = tmp_path / "last.ckpt"
    io.save_checkpoint({"state_dict": {"w": torch.ones(3)}}, path)

    def broken_save(obj, f, *a, **k):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    from framework.errors import WriteError

    with pytest.raises(WriteError, match=r"cannot write the checkpoint .*disk full.*intact"):
        io.save_checkpoint({"state_dict": {"w": torch.zeros(3)}}, path)
    monkeypatch.undo()
    assert torch.equal(io.load_checkpoint(path)["state_dict"]["w"], torch.ones(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]  # no temporary left


def test_divergence_stops_with_step_metric_and_cause(tmp_path: Path) -> None:
    result = run_cli(
        "nn-train",
        "optimizer=sgd",
        "optimizer.lr=1e30",
        "trainer.max_epochs=3",
        "log=minimal",
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("nn-train: error: training diverged at step")
    assert "learning rate too high (optimizer.lr=1e+30)" in message
    assert "Traceback" not in result.stderr
