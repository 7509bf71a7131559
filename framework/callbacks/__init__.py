"""Lightning callbacks of a run: checkpoints, threshold stopping, TensorBoard content."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from omegaconf import DictConfig

from framework.callbacks.hparams import HParamsCallback


def metric_mode(metric: str) -> str:
    """Whether a metric improves upwards (accuracy, r2) or downwards (losses, errors)."""
    return "max" if metric.rsplit("/", 1)[-1] in ("acc", "r2") else "min"


def build_callbacks(
    cfg: DictConfig, run_dir: Path, config: dict[str, Any]
) -> tuple[list[L.Callback], ModelCheckpoint]:
    """Every callback of a run, and the checkpoint callback (whose best model is tested)."""
    mode = metric_mode(cfg.monitor)
    checkpoints = ModelCheckpoint(
        dirpath=run_dir / "checkpoints",
        filename="best",
        monitor=cfg.monitor,
        mode=mode,
        save_last=True,
    )
    callbacks: list[L.Callback] = [checkpoints, HParamsCallback(config)]
    if cfg.threshold is not None:
        # "train until the error drops below an acceptable threshold"; never stops on patience
        callbacks.append(
            EarlyStopping(
                monitor=cfg.monitor,
                mode=mode,
                stopping_threshold=float(cfg.threshold),
                patience=sys.maxsize,
                check_on_train_epoch_end=False,
                verbose=True,
            )
        )
    return callbacks, checkpoints
