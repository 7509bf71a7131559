"""A small circle inside a large one in 2-D (scikit-learn's ``make_circles``): separable only
by a closed boundary."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_circles

from framework.data.base import GeneratedDataModule


class CirclesDataModule(GeneratedDataModule):
    """``n_samples`` points; the inner circle's radius is ``factor`` times the outer one's."""

    task = "binary"

    def __init__(self, factor: float = 0.5, **kwargs) -> None:
        super().__init__(**kwargs)
        self.factor = factor

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        return make_circles(
            self.n_samples, noise=self.noise, factor=self.factor, random_state=self.sample_seed
        )
