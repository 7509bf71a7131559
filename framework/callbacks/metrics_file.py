"""``metrics.json`` in the run directory: the final and best value of every logged metric, the
monitored metric, where training stopped and how the run ended — for scripts and sweeps.

::

    {"status": "completed", "monitor": "val/loss", "best": 0.081, "epoch": 19, "step": 400,
     "metrics": {"val/loss": {"final": 0.09, "best": 0.081, "best_epoch": 17}, ...}}

``best`` is the lowest value of a loss or error and the highest of ``acc`` or ``r2``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import Checkpoint

from framework.front_door.monitor import metric_mode
from framework.training.temporary import temporary_beside

FILENAME = "metrics.json"
EPOCH_METRICS = ("val/",)


class MetricsHistory(Checkpoint):
    """Keeps the final and best value of every scalar metric the run logs.

    A ``Checkpoint`` (it writes no file) because Lightning calls those callbacks' epoch-end hooks
    after the LightningModule's, which logs ``train/loss_epoch``, as it does for ModelCheckpoint.
    A best value (and its epoch) is kept for the metrics of whole epochs (``val/*``,
    ``train/loss_epoch``); per-step values (``train/loss``, ``train/grad_norm``, the learning
    rate) have only a final one, and a test metric's best is its one value.
    """

    def __init__(self) -> None:
        self.metrics: dict[str, dict[str, Any]] = {}

    def _record(self, trainer: L.Trainer, prefixes: tuple[str, ...] | None = None) -> None:
        if trainer.sanity_checking or trainer.global_rank != 0:
            return
        for key, value in trainer.callback_metrics.items():
            if getattr(value, "numel", lambda: 1)() != 1:
                continue
            if prefixes is not None and not key.startswith(prefixes):
                continue
            self.update(key, float(value), trainer.current_epoch, trainer.global_step)

    def update(self, key: str, value: float, epoch: int, step: int) -> None:
        entry = self.metrics.setdefault(key, {"final": None, "best": None})
        entry["final"] = value
        best = entry["best"]
        if not key.startswith(EPOCH_METRICS) and not key.endswith("_epoch"):
            if key.startswith("test/"):  # evaluated once: its best is its value
                entry["best"] = value
            return
        if math.isfinite(value) and (
            best is None or (value > best if metric_mode(key) == "max" else value < best)
        ):
            entry.update(best=value, best_epoch=epoch, best_step=step)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._record(trainer, ("val/",))

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._record(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._record(trainer, ("train/", "lr-"))

    def on_test_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._record(trainer, ("test/",))


def write_metrics_file(
    run_dir: Path,
    history: MetricsHistory,
    monitor: str,
    status: str,
    epoch: int,
    step: int,
    error: str | None = None,
) -> Path:
    """Write ``metrics.json`` atomically (a temporary file renamed over the old one)."""
    watched = history.metrics.get(monitor, {})
    content: dict[str, Any] = {
        "status": status,
        "monitor": monitor,
        "best": watched.get("best"),
        "final": watched.get("final"),
        "epoch": epoch,
        "step": step,
        "metrics": dict(sorted(history.metrics.items())),
    }
    if error:
        content["error"] = error
    path = run_dir / FILENAME
    run_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = temporary_beside(path)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(_finite(content), f, indent=2, allow_nan=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _finite(value: Any) -> Any:
    """Non-finite numbers (a diverged loss) as ``null``: strict JSON has no NaN."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
