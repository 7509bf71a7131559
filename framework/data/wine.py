"""The UCI wine recognition data, bundled with scikit-learn: 178 wines, 13 chemical
measurements, 3 cultivars."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_wine

from framework.data.base import TensorDataModule


class WineDataModule(TensorDataModule):
    """Alcohol, malic acid, flavanoids, colour intensity, … -> one of three cultivars."""

    task = "multiclass"

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        data = load_wine()
        self.class_names = tuple(str(t) for t in data.target_names)
        return data.data, data.target
