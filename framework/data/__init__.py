"""Data sets as LightningDataModules, each describing its task (``DataInfo``).

``catalog.DATASETS`` names every data set and its task without importing torch (config
validation uses it); ``build_datamodule`` imports the chosen one.
"""

from __future__ import annotations

import importlib
from typing import Any

from framework.data.catalog import DATASETS

__all__ = ["DATASETS", "build_datamodule"]


def build_datamodule(cfg: Any, seed: int, model: str = "mlp") -> Any:
    """The data module named by ``cfg.name``, with the config's other keys as arguments.

    A data set of images (``as_images``) feeds a network that takes images (``convnet``) as
    images and any other flattened, unless ``data.as_images`` says otherwise."""
    from framework.models.catalog import TAKES_IMAGES

    module_name, _, class_name = DATASETS[cfg.name].target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    params = {k: v for k, v in dict(cfg).items() if k != "name"}
    if params.get("streaming"):  # data=parquet data.streaming=true: a row group at a time
        from framework.data.parquet_stream import StreamingParquetDataModule

        cls = StreamingParquetDataModule
    if "as_images" in params and params["as_images"] is None:
        params["as_images"] = model in TAKES_IMAGES
    return cls(seed=seed, **params)
