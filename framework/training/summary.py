"""The end of a run on the terminal: one table of metrics (final and best), then the run
directory, the nn-board command and the checkpoint, each on a line of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from framework.callbacks.metrics_file import FILENAME, MetricsHistory
from framework.cli.console import number, print_table

ENDINGS = {
    "completed": "completed",
    "threshold": "stopped: the monitored metric reached `threshold`",
}


def print_summary(
    run_dir: Path, history: MetricsHistory, monitor: str, status: str, trainer: Any
) -> None:
    rows = [
        [name, number(m["final"]), number(m["best"]), number(m.get("best_epoch"))]
        for name, m in sorted(history.metrics.items())
    ]
    right = "right"
    print_table(None, ["metric", ("final", right), ("best", right), ("best epoch", right)], rows)
    epochs = trainer.current_epoch
    watched = history.metrics.get(monitor, {})
    best = (
        f"; best {monitor} {watched['best']:.4f} at epoch {watched.get('best_epoch')}"
        if watched.get("best") is not None
        else ""
    )
    print(
        f"Run {ENDINGS.get(status, status)} after {epochs} epoch(s), "
        f"{trainer.global_step} step(s){best}."
    )
    # whole lines, never wrapped: a path must stay copyable at any terminal width
    print(f"Run directory: {run_dir}")
    print(f"TensorBoard:   nn-board {run_dir}")
    ckpt = run_dir / "checkpoints" / "last.ckpt"
    if ckpt.is_file():
        print(f"Checkpoint:    {ckpt}")
    print(f"Metrics:       {run_dir / FILENAME}", flush=True)
