"""``trainer.ARG=VALUE`` for any ``lightning.pytorch.Trainer`` argument.

The names and types are checked before torch by ``framework.front_door.validation`` (against the
Trainer's signature read from Lightning's source); here the checked config becomes keyword
arguments, and batch limits that would leave no batch are raised to one (Lightning would refuse
them)."""

from __future__ import annotations

import logging
import math
import sys
from typing import Any

# set by nn-train itself: the logger, the callbacks and where they write
RESERVED = ("logger", "callbacks", "default_root_dir")
LIMITS = {
    "limit_train_batches": "train_dataloader",
    "limit_val_batches": "val_dataloader",
    "limit_test_batches": "test_dataloader",
}


def reserved_message(name: str) -> str:
    """``trainer.logger`` & co. are nn-train's own: what to set instead."""
    return (
        f"trainer.{name} is set by nn-train itself; choose loggers with "
        f"logger=tensorboard|csv|mlflow (or a list, logger=[tensorboard,csv]), add "
        f"callbacks with callbacks.NAME._target_=CLASS, and the run directory with "
        f"hydra.run.dir=DIR"
    )


def trainer_arguments(trainer: Any) -> dict[str, Any]:
    """``cfg.trainer`` as Trainer keyword arguments (the progress bar only on a terminal)."""
    args = dict(trainer)
    if args.get("enable_progress_bar") is None:
        args["enable_progress_bar"] = sys.stdout.isatty()
    return args


def fit_batch_limits(args: dict[str, Any], datamodule: Any) -> dict[str, Any]:
    """A fractional ``limit_*_batches`` that leaves less than one batch of a split becomes one
    batch, and the log says so (``debug=limit`` on a small data set: 0.2 of 2 batches)."""
    for key, loader in LIMITS.items():
        value = args.get(key)
        if not isinstance(value, float) or not 0 < value < 1:
            continue
        try:
            n = len(getattr(datamodule, loader)())
        except (TypeError, NotImplementedError, AttributeError, KeyError):
            continue
        if n and math.floor(value * n) == 0:
            logging.getLogger(__name__).warning(
                "trainer.%s=%s of %d batch(es) is less than one batch: using 1 batch",
                key,
                value,
                n,
            )
            args[key] = 1
    return args
