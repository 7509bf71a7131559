"""Sine-wave forecasting, a task for recurrent models: from ``length`` steps of a noisy sine
wave (input shaped ``(length, 1)``), predict the next, noise-free value (regression)."""

from __future__ import annotations

import numpy as np

from framework.data.base import GeneratedDataModule


class SequenceDataModule(GeneratedDataModule):
    """Each window has its own amplitude (0.5 to 1.5), phase and period (``min_period`` to
    ``max_period`` steps), so the model must read the wave off the window, not memorise it."""

    task = "regression"

    def __init__(
        self,
        length: int = 24,
        min_period: float = 8.0,
        max_period: float = 32.0,
        noise: float = 0.05,
        **kwargs,
    ) -> None:
        super().__init__(noise=noise, **kwargs)
        self.length = length
        self.min_period = min_period
        self.max_period = max_period

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        rng = self.rng
        n = self.n_samples
        amplitude = rng.uniform(0.5, 1.5, (n, 1))
        period = rng.uniform(self.min_period, self.max_period, (n, 1))
        phase = rng.uniform(0, 2 * np.pi, (n, 1))
        steps = np.arange(self.length + 1)[None, :]
        wave = amplitude * np.sin(2 * np.pi * steps / period + phase)
        window = wave[:, :-1] + self.noise * rng.standard_normal((n, self.length))
        return window[:, :, None], wave[:, -1]
