"""What a run and a sweep leave and print: metrics.json, one summary table, the sweep's table,
job directories named by their swept values; loggers and callbacks from the config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import run_cli


def _metrics(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())


@pytest.mark.slow
def test_run_writes_metrics_json_and_prints_one_plain_summary(tmp_path: Path) -> None:
    result = run_cli("nn-train", "trainer.max_epochs=3", "hydra.run.dir=run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    run = tmp_path / "run"
    m = _metrics(run)
    assert m["status"] == "completed" and m["monitor"] == "val/loss"
    assert m["epoch"] == 3 and m["step"] == 3 * m["step"] // 3 > 0
    for key in ("val/loss", "val/acc", "train/loss_epoch", "test/loss", "test/acc"):
        assert key in m["metrics"], key
    val = m["metrics"]["val/loss"]
    assert m["best"] == val["best"] <= val["final"] and val["best_epoch"] in (0, 1, 2)
    assert m["metrics"]["val/acc"]["best"] >= m["metrics"]["val/acc"]["final"]
    out = result.stdout
    # one metrics table (Lightning's own test table is not printed), plain text when piped
    assert "Test metric" not in out and "DataLoader 0" not in out
    assert not set("┏━┃│└╇") & set(out) and "\x1b[" not in out
    assert out.count("test/acc") == 1
    # each path whole on a line of its own
    lines = out.splitlines()
    assert f"Run directory: {run}" in lines
    assert f"TensorBoard:   nn-board {run}" in lines
    assert f"Checkpoint:    {run / 'checkpoints' / 'last.ckpt'}" in lines
    # Lightning's INFO lines go to train.log, not between the progress bar's lines
    assert "GPU available" not in out and "GPU available" in (run / "train.log").read_text()


@pytest.mark.slow
def test_sweep_ends_with_a_table_sorted_by_the_monitor(tmp_path: Path) -> None:
    result = run_cli(
        "nn-train",
        "-m",
        "data=iris",
        "monitor=val/acc",
        "activation=relu,tanh",
        "optimizer.lr=0.001,0.03",
        "trainer.max_epochs=2",
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    sweep = tmp_path / "sweep"
    jobs = sorted(p.name for p in sweep.iterdir() if p.is_dir())
    assert jobs == [
        "0_activation=relu,optimizer.lr=0.001",
        "1_activation=relu,optimizer.lr=0.03",
        "2_activation=tanh,optimizer.lr=0.001",
        "3_activation=tanh,optimizer.lr=0.03",
    ]
    table = result.stdout[result.stdout.index("Sweep: 4 job(s)") :].splitlines()
    rows = [line.split() for line in table[1:] if line.split() and line.split()[0].isdigit()]
    assert len(rows) == 4, table
    best = [_metrics(sweep / row[-1].split("/", 1)[1])["best"] for row in rows]
    assert best == sorted(best, reverse=True)  # accuracy: highest first
    assert {row[0] for row in rows} == {"0", "1", "2", "3"}
    assert all(row[2] == "completed" for row in rows)
    assert "TensorBoard:     nn-board sweep" in table


@pytest.mark.slow
def test_several_loggers_and_a_user_callback_from_the_command_line(tmp_path: Path) -> None:
    result = run_cli(
        "nn-train",
        "trainer.max_epochs=3",
        "logger=[tensorboard,csv,mlflow]",
        "callbacks.swa._target_=lightning.pytorch.callbacks.StochasticWeightAveraging",
        "callbacks.swa.swa_lrs=0.01",
        "callbacks.lr._target_=lightning.pytorch.callbacks.LearningRateMonitor",
        "callbacks.lr.logging_interval=epoch",
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    run = tmp_path / "run"
    assert list(run.glob("events.out.tfevents.*"))  # TensorBoard, with its dashboards
    csv = (run / "csv" / "metrics.csv").read_text().splitlines()
    assert "val/loss" in csv[0].split(",")
    assert list((run / "mlruns").glob("*/*/metrics/val/loss"))
    # SWA ran: its learning rate (annealed from Adam's 0.001 towards swa_lrs) took over, and its
    # state is in the checkpoint
    assert 0.001 < _metrics(run)["metrics"]["lr-Adam"]["final"] < 0.01
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert any(k.startswith("StochasticWeightAveraging") for k in ckpt["callbacks"])
    # the user's LearningRateMonitor replaced the built-in one, with a note
    assert "your LearningRateMonitor replaces the built-in one" in (run / "train.log").read_text()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["logger=tensorbord"], "Did you mean 'tensorboard'"),
        (["logger=[tensorboard,cvs]"], "Did you mean 'csv'"),
        (["callbacks.swa.swa_lrs=0.01"], "callbacks.swa needs a _target_"),
        (["trainer.logger=false"], "logger=tensorboard|csv|mlflow"),
    ],
)
def test_logger_and_callback_mistakes_are_one_paragraph(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    result = run_cli("nn-train", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "outputs").exists() or not list((tmp_path / "outputs").rglob("*.ckpt"))


@pytest.mark.slow
def test_a_callback_that_cannot_be_created_is_one_paragraph(tmp_path: Path) -> None:
    result = run_cli(
        "nn-train",
        "callbacks.x._target_=lightning.pytorch.callbacks.NoSuchCallback",
        "trainer.max_epochs=1",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "callbacks.x cannot be created from 'lightning.pytorch.callbacks.NoSuchCallback'" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
