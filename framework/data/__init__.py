"""Data sets as LightningDataModules, each describing its task (``DataInfo``).

``catalog.DATASETS`` names every data set and its task without importing torch (config
validation uses it); ``build_datamodule`` imports the chosen one.
"""

from __future__ import annotations

import importlib
from typing import Any

from framework.data.catalog import DATASETS

__all__ = ["DATASETS", "build_datamodule"]


def build_datamodule(cfg: Any, seed: int) -> Any:
    """The data module named by ``cfg.name``, with the config's other keys as arguments."""
    module_name, _, class_name = DATASETS[cfg.name].target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    params = {k: v for k, v in dict(cfg).items() if k != "name"}
    return cls(seed=seed, **params)
