"""Gaussian clusters (scikit-learn's ``make_blobs``): one class per cluster."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_blobs

from framework.data.base import GeneratedDataModule


class BlobsDataModule(GeneratedDataModule):
    """``centers`` clusters in ``n_features`` dimensions, each with standard deviation
    ``noise`` (scikit-learn's ``cluster_std``) around a centre drawn in [-10, 10]."""

    task = "multiclass"

    def __init__(self, centers: int = 3, n_features: int = 2, noise: float = 1.0, **kwargs):
        super().__init__(noise=noise, **kwargs)
        self.centers = centers
        self.n_features = n_features

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        return make_blobs(
            self.n_samples,
            n_features=self.n_features,
            centers=self.centers,
            cluster_std=self.noise,
            random_state=self.sample_seed,
        )
