"""Two interleaved spirals in 2-D: the classic hard case for a shallow network."""

from __future__ import annotations

import numpy as np

from framework.data.base import GeneratedDataModule


class SpiralsDataModule(GeneratedDataModule):
    """Two arms of ``turns`` turns each, the second the first rotated by half a turn; points
    spread evenly along the arms (radius 0 to 1), plus Gaussian ``noise``."""

    task = "binary"

    def __init__(self, turns: float = 1.5, noise: float = 0.02, **kwargs) -> None:
        super().__init__(noise=noise, **kwargs)
        self.turns = turns

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        rng = self.rng
        y = np.arange(self.n_samples) % 2
        # sqrt: uniform density along the arm, which is longer far from the centre
        radius = np.sqrt(rng.uniform(0.0, 1.0, self.n_samples))
        angle = 2 * np.pi * self.turns * radius + np.pi * y
        x = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
        return x + self.noise * rng.standard_normal(x.shape), y
