"""The Wisconsin diagnostic breast cancer data, bundled with scikit-learn: 569 tumours,
30 features of cell nuclei, malignant or benign (binary)."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_breast_cancer

from framework.data.base import TensorDataModule


class BreastCancerDataModule(TensorDataModule):
    """30 measurements -> 0 malignant, 1 benign."""

    task = "binary"

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        data = load_breast_cancer()
        self.class_names = tuple(str(t) for t in data.target_names)
        return data.data, data.target
