"""Checks of the composed config before anything heavy is imported (torch-free).

Hydra has already checked the structure; this checks values: plugin names and parameters, sizes,
learning rate, metric names, files. Each failure is a ``ConfigError`` with one paragraph naming
the key, the bad value and what would be valid.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from framework.catalog import REQUIRED, Catalog
from framework.data.catalog import DATASETS
from framework.errors import ConfigError
from framework.overrides import AUTO_LOSS, PLUGIN_GROUPS, _unknown_option, _unknown_param

MODELS = ("mlp",)
METRICS = {
    "multiclass": ("val/loss", "val/acc", "train/loss_epoch"),
    "binary": ("val/loss", "val/acc", "train/loss_epoch"),
    "regression": ("val/loss", "val/mae", "val/r2", "train/loss_epoch"),
}


def validate_config(cfg: DictConfig, catalog: Catalog) -> None:
    """Raise ``ConfigError`` for the first bad value in the composed config."""
    for group in PLUGIN_GROUPS:
        node = cfg.get(group)
        if node is None or "name" not in node:
            raise ConfigError(f"{group}: no {group} chosen; use {group}=NAME")
        name = node.name
        if group == "loss" and name == AUTO_LOSS:
            continue
        info = catalog.get(group, name)
        if info is None:
            raise ConfigError(_unknown_option(group, name, catalog.names(group)))
        for key in node:
            if key != "name" and key not in info.params:
                raise ConfigError(_unknown_param(group, name, str(key), info.params))
        for key, default in info.params.items():
            if default == REQUIRED and OmegaConf.is_missing(node, key):
                raise ConfigError(f"{group} {name!r} needs {group}.{key}=VALUE")

    model = cfg.model
    _choice("model.name", model.get("name"), MODELS)
    hidden = OmegaConf.to_container(model.hidden) if "hidden" in model else []
    if not isinstance(hidden, list) or not all(_positive_int(h) for h in hidden):
        raise ConfigError(
            f"model.hidden={hidden!r} must be a list of positive layer sizes, e.g. "
            f"model.hidden=[128,64] (or [] for no hidden layer)"
        )
    out_act = model.get("output_activation")
    if out_act is not None and catalog.get("activation", out_act) is None:
        raise ConfigError(
            "model.output_activation: "
            + _unknown_option("activation", out_act, catalog.names("activation"))
        )

    data = cfg.data
    _choice("data.name", data.get("name"), tuple(DATASETS))
    _positive("data.batch_size", data.get("batch_size"), integer=True)
    for key in ("val_fraction", "test_fraction"):
        if key in data:
            value = data[key]
            if not (_number(value) and 0 < value < 1):
                raise ConfigError(f"data.{key}={value!r} must be a fraction between 0 and 1")
    if "repeat" in data:
        _positive("data.repeat", data.repeat, integer=True)

    _positive("optimizer.lr", cfg.optimizer.get("lr"))
    trainer = cfg.trainer
    if "max_epochs" in trainer and trainer.max_epochs is not None:
        value = trainer.max_epochs
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= -1):
            raise ConfigError(
                f"trainer.max_epochs={value!r} must be a whole number of epochs (-1 for no limit)"
            )

    task = DATASETS[data.name].task
    valid_metrics = METRICS.get(task, tuple({m for ms in METRICS.values() for m in ms}))
    if cfg.monitor not in valid_metrics:
        raise ConfigError(
            f"monitor={cfg.monitor!r} is not a metric this run logs; for {data.name} "
            f"({task}) use one of: {', '.join(valid_metrics)}"
        )
    if cfg.threshold is not None and not _number(cfg.threshold):
        raise ConfigError(f"threshold={cfg.threshold!r} must be a number (or null for none)")
    if not (isinstance(cfg.seed, int) and not isinstance(cfg.seed, bool)):
        raise ConfigError(f"seed={cfg.seed!r} must be an integer")
    if cfg.ckpt_path is not None and not Path(str(cfg.ckpt_path)).is_file():
        raise ConfigError(
            f"ckpt_path={cfg.ckpt_path!r} does not exist; give the path of a checkpoint such as "
            f"outputs/DATE/TIME/checkpoints/last.ckpt"
        )
    if not cfg.train and cfg.ckpt_path is None:
        raise ConfigError("train=false evaluates a checkpoint: give ckpt_path=PATH as well")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _positive(key: str, value: Any, integer: bool = False) -> None:
    ok = _positive_int(value) if integer else (_number(value) and value > 0)
    if not ok:
        kind = "a positive whole number" if integer else "a positive number"
        raise ConfigError(f"{key}={value!r} must be {kind}")


def _choice(key: str, value: Any, valid: tuple[str, ...]) -> None:
    if value not in valid:
        raise ConfigError(f"{key}={value!r} is not valid; choose one of: {', '.join(valid)}")
