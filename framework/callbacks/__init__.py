"""Lightning callbacks of a run: checkpoints, threshold stopping, and what goes to TensorBoard
(the ``log`` config group, conf/log/: each part switchable off)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import EarlyStopping, LearningRateMonitor, ModelCheckpoint
from omegaconf import DictConfig, OmegaConf

from framework.callbacks.hparams import HParamsCallback
from framework.front_door.monitor import metric_mode
from framework.paths import CONF_DIR

__all__ = ["build_callbacks", "log_options", "metric_mode"]


def log_options(cfg: DictConfig) -> dict[str, Any]:
    """``cfg.log`` over the defaults of conf/log/default.yaml (a config composed without the
    ``log`` group logs as by default)."""
    options: dict[str, Any] = dict(OmegaConf.load(CONF_DIR / "log" / "default.yaml"))
    if cfg.get("log") is not None:
        options.update(OmegaConf.to_container(cfg.log, resolve=True))  # type: ignore[arg-type]
    return options


def tensorboard_callbacks(log: dict[str, Any], config: dict[str, Any]) -> list[L.Callback]:
    """The callbacks writing the TensorBoard content that ``log`` switches on."""
    from framework.callbacks.histograms import HistogramCallback
    from framework.callbacks.images import ActivationImage, ConfusionMatrixImage, PredictionImage
    from framework.callbacks.network import NetworkImage
    from framework.callbacks.scalars import GradNormCallback, LossChartCallback
    from framework.callbacks.text import ConfigTextCallback

    callbacks: list[L.Callback] = []
    if log["hparams"]:
        callbacks.append(HParamsCallback(config))
    if log["lr"]:
        # schedulers step once per epoch (TaskModule.configure_optimizers), so the rate is
        # written once per epoch: per step it cost 0.14 ms a step and showed nothing new
        callbacks.append(LearningRateMonitor(logging_interval="epoch"))
    if log["grad_norm"]:
        callbacks.append(GradNormCallback())
    if log["loss_chart"]:
        callbacks.append(LossChartCallback())
    if log["histograms"]:
        callbacks.append(HistogramCallback(int(log["every_n_steps"])))
    if log["activation_plot"]:
        callbacks.append(ActivationImage(config.get("activation", {})))
    if log["confusion_matrix"]:
        callbacks.append(ConfusionMatrixImage())
    if log["decision_boundary"] or log["fitted_curve"]:
        callbacks.append(
            PredictionImage(
                int(log["boundary_every_n_epochs"]),
                boundary=bool(log["decision_boundary"]),
                curve=bool(log["fitted_curve"]),
            )
        )
    if log["network"]:
        monitor = str(config.get("monitor") or "val/loss")
        callbacks.append(NetworkImage(int(log["boundary_every_n_epochs"]), monitor))
    if log["config_text"]:
        callbacks.append(ConfigTextCallback(config))
    return callbacks


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
        # last.ckpt is LastCheckpoint's (framework/callbacks/last_checkpoint.py): every epoch,
        # whatever the monitored metric did
        save_last=False,
        # best.ckpt keeps its name when a resumed run writes it again
        enable_version_counter=False,
    )
    callbacks: list[L.Callback] = [checkpoints]
    if cfg.threshold is not None:
        # "train until the error drops below an acceptable threshold"; never stops on patience
        callbacks.append(
            EarlyStopping(
                monitor=cfg.monitor,
                mode=mode,
                stopping_threshold=float(cfg.threshold),
                patience=sys.maxsize,
                check_on_train_epoch_end=False,
            )
        )
    callbacks += tensorboard_callbacks(log_options(cfg), config)
    return callbacks, checkpoints
