"""Fisher's iris flowers, bundled with scikit-learn: 150 flowers, 4 measurements, 3 species."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_iris

from framework.data.base import TensorDataModule


class IrisDataModule(TensorDataModule):
    """Sepal and petal length and width (cm) -> setosa, versicolor or virginica."""

    task = "multiclass"

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        data = load_iris()
        self.class_names = tuple(str(t) for t in data.target_names)
        self.feature_names = tuple(str(n) for n in data.feature_names)
        return data.data, data.target
