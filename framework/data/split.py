"""Train/val/test row indices (torch-free: ``data.report_only`` fits on the training split
without importing Lightning)."""

from __future__ import annotations

import logging

import numpy as np
from sklearn.model_selection import train_test_split

from framework.errors import ConfigError

log = logging.getLogger(__name__)


def split_rows(
    y: np.ndarray, task: str, val_fraction: float, test_fraction: float, seed: int
) -> dict[str, np.ndarray]:
    """Row indices of train, val and test: disjoint, sized by the fractions, stratified by
    class where every class has enough members, reproducible from ``seed``."""
    n = len(y)
    n_test = int(np.ceil(test_fraction * n))
    n_val = int(np.ceil(val_fraction / (1 - test_fraction) * (n - n_test)))
    if n - n_test - n_val < 1:
        raise ConfigError(
            f"data: {n} examples are too few for a training split with "
            f"val_fraction={val_fraction} and test_fraction={test_fraction}; "
            f"use more data or smaller fractions"
        )
    classes = _stratify_by(y, task, n_val, n_test)
    rest, test = train_test_split(
        np.arange(n), test_size=n_test, random_state=seed, stratify=classes
    )
    train, val = train_test_split(
        rest,
        test_size=n_val,
        random_state=seed,
        stratify=None if classes is None else classes[rest],
    )
    return {"train": train, "val": val, "test": test}


def _stratify_by(y: np.ndarray, task: str, n_val: int, n_test: int) -> np.ndarray | None:
    if task == "regression":
        return None
    labels = y.reshape(len(y))
    _, counts = np.unique(labels, return_counts=True)
    if counts.min() < 3 or min(n_val, n_test) < len(counts):
        log.warning("data: too few examples per class to stratify; splitting at random")
        return None
    return labels
