"""The XOR problem: four points, not linearly separable; the classic test of a hidden layer."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import TensorDataset

from framework.data.base import DataInfo, TensorDataModule

POINTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
LABELS = np.array([0, 1, 1, 0], dtype=np.float32)


class XORDataModule(TensorDataModule):
    """Train, validation and test are the four points; an epoch shows them ``repeat`` times."""

    def __init__(self, repeat: int = 1, batch_size: int = 4, seed: int = 0, **kwargs) -> None:
        super().__init__(batch_size=batch_size, seed=seed, standardize=False, **kwargs)
        self.repeat = repeat
        self.info = DataInfo(task="binary", input_shape=(2,), num_classes=2)

    def setup(self, stage: str | None = None) -> None:
        x = torch.as_tensor(POINTS)
        y = torch.as_tensor(LABELS).reshape(-1, 1)
        self.splits = {
            "train": TensorDataset(x.repeat(self.repeat, 1), y.repeat(self.repeat, 1)),
            "val": TensorDataset(x, y),
            "test": TensorDataset(x, y),
        }
