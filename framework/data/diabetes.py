"""The diabetes data of Efron et al., bundled with scikit-learn: 442 patients, 10 baseline
variables, and a measure of disease progression one year later (regression, 25–346)."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_diabetes

from framework.data.base import TensorDataModule


class DiabetesDataModule(TensorDataModule):
    """Age, sex, BMI, blood pressure and six blood serum values -> disease progression."""

    task = "regression"

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        data = load_diabetes()
        return data.data, data.target
