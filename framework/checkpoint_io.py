"""Atomic checkpoint writes: a checkpoint file is either the old one or the complete new one.

Lightning's ``TorchCheckpointIO`` writes straight into the destination, so a crash mid-write
leaves a truncated ``last.ckpt``. This one writes a temporary file in the same directory, flushes
it to disk and renames it over the destination (atomic on POSIX file systems).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO


class AtomicCheckpointIO(TorchCheckpointIO):
    """``TorchCheckpointIO`` with write-to-temporary-then-rename, and ``weights_only`` loading."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | os.PathLike, storage_options: Any = None
    ) -> None:
        if storage_options is not None:
            raise TypeError("AtomicCheckpointIO takes no storage_options")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                torch.save(checkpoint, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load_checkpoint(
        self, path: str | os.PathLike, map_location: Any = None, weights_only: bool | None = None
    ) -> dict[str, Any]:
        from framework.checkpoint import read_checkpoint

        return read_checkpoint(path, map_location=map_location or "cpu")


def reliability_callbacks(cfg: Any, run_dir: Path) -> list[Any]:
    """RNG states in checkpoints, a stop at the first non-finite loss or gradient, and
    (``checkpoint.every_n_train_steps=N``) a ``last.ckpt`` every N steps."""
    from framework.callbacks.divergence import DivergenceGuard
    from framework.callbacks.rng_state import RNGStateCallback

    callbacks: list[Any] = [RNGStateCallback(), DivergenceGuard(lr=cfg.optimizer.get("lr"))]
    every = (cfg.get("checkpoint") or {}).get("every_n_train_steps")
    if every:
        callbacks.append(PeriodicLastCheckpoint(run_dir / "checkpoints" / "last.ckpt", int(every)))
    return callbacks


class PeriodicLastCheckpoint(L.Callback):
    """Writes ``last.ckpt`` every N optimizer steps, between the end-of-epoch saves of the
    ModelCheckpoint callback (two ModelCheckpoints writing one ``last.ckpt`` do not compose)."""

    def __init__(self, path: Path, every_n_train_steps: int) -> None:
        self.path = path
        self.every = every_n_train_steps

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if trainer.global_step % self.every == 0 and not trainer.sanity_checking:
            trainer.save_checkpoint(self.path)
