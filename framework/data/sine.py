"""The sine curve as 1-D regression: x uniform in [-x_max, x_max], y = sin(x) + noise."""

from __future__ import annotations

import numpy as np

from framework.data.base import GeneratedDataModule


class SineDataModule(GeneratedDataModule):
    """``n_samples`` points; ``noise`` is the standard deviation of the Gaussian noise on y."""

    task = "regression"

    def __init__(self, x_max: float = 2 * np.pi, **kwargs) -> None:
        super().__init__(**kwargs)
        self.x_max = x_max

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        rng = self.rng
        x = rng.uniform(-self.x_max, self.x_max, (self.n_samples, 1))
        return x, np.sin(x[:, 0]) + self.noise * rng.standard_normal(self.n_samples)
