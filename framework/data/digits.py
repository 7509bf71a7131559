"""scikit-learn's bundled 8x8 handwritten digits (1797 images, 10 classes; no download)."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits

from framework.data.base import TensorDataModule


class DigitsDataModule(TensorDataModule):
    """Digits as 64-vectors, or as 1x8x8 images with ``as_images=True`` (``None``, the config's
    default: images for a network that takes images, ``convnet``, else vectors)."""

    task = "multiclass"

    def __init__(self, as_images: bool | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.as_images = bool(as_images)

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        data = load_digits()
        x = data.data.reshape(-1, 1, 8, 8) if self.as_images else data.data
        self.class_names = tuple(str(t) for t in data.target_names)
        self.feature_names = tuple(str(n) for n in data.feature_names)
        return x, data.target
