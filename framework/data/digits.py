"""scikit-learn's bundled 8x8 handwritten digits (1797 images, 10 classes; no download)."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits

from framework.data.base import DataInfo, TensorDataModule


class DigitsDataModule(TensorDataModule):
    """Digits as 64-vectors, or as 1x8x8 images with ``as_images=True``."""

    def __init__(self, as_images: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        shape = (1, 8, 8) if as_images else (64,)
        self.info = DataInfo(task="multiclass", input_shape=shape, num_classes=10)

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        data = load_digits()
        return data.data.astype(np.float32), data.target
