"""Two interleaving half circles in 2-D (scikit-learn's ``make_moons``): the classic picture of
a non-linear decision boundary."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_moons

from framework.data.base import GeneratedDataModule


class MoonsDataModule(GeneratedDataModule):
    """``n_samples`` points, Gaussian ``noise`` of that standard deviation; two classes."""

    task = "binary"

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        return make_moons(self.n_samples, noise=self.noise, random_state=self.sample_seed)
