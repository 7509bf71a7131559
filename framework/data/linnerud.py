"""The Linnerud data, bundled with scikit-learn: 20 men, 3 exercises -> 3 physiological
measurements (multi-output regression)."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_linnerud

from framework.data.base import TensorDataModule


class LinnerudDataModule(TensorDataModule):
    """Chins, situps, jumps -> weight, waist, pulse (three targets at once)."""

    task = "regression"

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        data = load_linnerud()
        return data.data, data.target
