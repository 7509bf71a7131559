"""Data sets as LightningDataModules, each describing its task (``DataInfo``)."""

from __future__ import annotations

from typing import Any

from framework.data.base import DataInfo, TensorDataModule

__all__ = ["DataInfo", "TensorDataModule", "build_datamodule"]


def build_datamodule(cfg: Any, seed: int) -> TensorDataModule:
    """The data module named by ``cfg.name`` with the remaining keys as its arguments."""
    from framework.data import digits, xor

    modules = {"digits": digits.DigitsDataModule, "xor": xor.XORDataModule}
    params = {k: v for k, v in dict(cfg).items() if k != "name"}
    return modules[cfg.name](seed=seed, **params)
