"""Which way a monitored metric improves (torch-free: read before Hydra's sweeper starts).

One rule serves checkpoints, early stopping, the HParams tab's best values and the Optuna
sweeper's direction: accuracy and r2 improve upwards, losses and errors (mae) downwards.
"""

from __future__ import annotations

from typing import Literal

MAXIMIZED = ("acc", "r2")


def metric_mode(metric: str) -> Literal["min", "max"]:
    """``"max"`` for ``*/acc`` and ``*/r2``; ``"min"`` for losses and errors (``*/mae``)."""
    return "max" if metric.rsplit("/", 1)[-1] in MAXIMIZED else "min"


def optuna_direction(metric: str) -> Literal["minimize", "maximize"]:
    """The Optuna study direction that improves ``metric`` (the ``optuna_direction`` resolver of
    ``conf/hparams_search/optuna.yaml``)."""
    return "maximize" if metric_mode(metric) == "max" else "minimize"


# What each task logs and may be monitored (framework.training.task logs them). ``train/loss`` is
# the tag TensorBoard shows for the training loss: as a monitor it means the epoch mean.
METRICS = {
    "multiclass": ("val/loss", "val/acc", "train/loss", "train/loss_epoch"),
    "binary": ("val/loss", "val/acc", "train/loss", "train/loss_epoch"),
    "regression": ("val/loss", "val/mae", "val/r2", "train/loss", "train/loss_epoch"),
}
ALIASES = {"train/loss": "train/loss_epoch"}


def monitored_metric(metric: str) -> str:
    """The logged metric ``monitor`` names (``train/loss`` -> ``train/loss_epoch``)."""
    return ALIASES.get(metric, metric)
