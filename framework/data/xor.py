"""The XOR problem: four points, not linearly separable; the classic test of a hidden layer."""

from __future__ import annotations

import numpy as np

from framework.data.base import TensorDataModule

POINTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
LABELS = np.array([0, 1, 1, 0])


class XORDataModule(TensorDataModule):
    """Train, validation and test are the four points; an epoch shows them ``repeat`` times."""

    task = "binary"

    def __init__(self, repeat: int = 1, batch_size: int = 4, **kwargs) -> None:
        super().__init__(batch_size=batch_size, standardize=False, **kwargs)
        self.repeat = repeat

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        return POINTS, LABELS

    def split(self, y: np.ndarray) -> dict[str, np.ndarray]:
        points = np.arange(len(POINTS))
        return {"train": np.tile(points, self.repeat), "val": points, "test": points}
