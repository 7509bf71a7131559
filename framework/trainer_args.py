"""``trainer.ARG=VALUE`` for any ``lightning.pytorch.Trainer`` argument, checked by name."""

from __future__ import annotations

import difflib
import inspect
import sys
from typing import Any

from framework.errors import ConfigError

# set by nn-train itself: the logger, the callbacks and where they write
RESERVED = ("logger", "callbacks", "default_root_dir")


def trainer_arguments(trainer: Any) -> dict[str, Any]:
    """``cfg.trainer`` as Trainer keyword arguments; an unknown name is a ``ConfigError``."""
    import lightning as L

    valid = [p for p in inspect.signature(L.Trainer.__init__).parameters if p != "self"]
    args = dict(trainer)
    for key in args:
        if key in RESERVED:
            raise ConfigError(
                f"trainer.{key} is set by nn-train itself; choose loggers with "
                f"logger=tensorboard|csv|mlflow (or a list, logger=[tensorboard,csv]), add "
                f"callbacks with callbacks.NAME._target_=CLASS, and the run directory with "
                f"hydra.run.dir=DIR"
            )
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=2, cutoff=0.6)
            hint = f" Did you mean {' or '.join('trainer.' + c for c in close)}?" if close else ""
            raise ConfigError(
                f"trainer.{key} is not an argument of lightning.pytorch.Trainer.{hint} "
                f"Valid arguments: {', '.join(v for v in valid if v not in RESERVED)}."
            )
    if args.get("enable_progress_bar") is None:
        args["enable_progress_bar"] = sys.stdout.isatty()
    return args
