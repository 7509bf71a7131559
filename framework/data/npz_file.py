"""Your own arrays: ``data=npz data.path=FILE``, a file written by
``np.savez(FILE, X=features, y=targets)``.

``X`` is shaped ``(N, *input_shape)``: ``(N, F)`` vectors, ``(N, T, F)`` sequences,
``(N, C, H, W)`` images. ``y`` (``(N,)``, or ``(N, outputs)`` for regression) decides the task
(``data.task=auto``): whole numbers with few distinct values, booleans or text are classes (whole
numbers are the class indices 0..K-1 themselves), other numbers regression targets.
"""

from __future__ import annotations

import zipfile

import numpy as np

from framework.data.base import TensorDataModule
from framework.data.user import encode_targets, existing_file
from framework.errors import ConfigError

ARRAYS = ("X", "y")


class NPZDataModule(TensorDataModule):
    """Features ``X`` and targets ``y`` from a NumPy ``.npz`` file."""

    def __init__(self, path: str, task: str = "auto", **kwargs) -> None:
        super().__init__(**kwargs)
        self.path, self.requested_task = str(path), task

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        x, y = self._read()
        if x.dtype.kind not in "biuf":
            raise ConfigError(f"{self.path}: X holds {x.dtype} values; features must be numbers")
        if len(x) != len(y):
            raise ConfigError(
                f"{self.path}: X and y have different lengths ({len(x)} and {len(y)} rows); "
                f"row i of X must belong to row i of y"
            )
        if len(x) == 0:
            raise ConfigError(f"{self.path}: X and y have no rows")
        x = x.reshape(len(x), -1) if x.ndim == 1 else x
        bad = np.argwhere(~np.isfinite(x))
        if len(bad):
            where = ", ".join(str(i) for i in bad[0])
            raise ConfigError(
                f"{self.path}: X[{where}] is a missing or infinite value (NaN/inf); "
                f"fill it in or drop row {bad[0][0]}"
            )
        y, self.task, self.class_names = encode_targets(
            y, self.requested_task, f"y of {self.path}", labels="indices"
        )
        return x.astype(np.float32, copy=False), y

    def _read(self) -> tuple[np.ndarray, np.ndarray]:
        file = existing_file(self.path, ".npz")
        try:
            archive = np.load(file, allow_pickle=False)
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise ConfigError(
                f"data.path={self.path!r} cannot be read as a .npz file ({exc}); write one "
                f"with np.savez(path, X=features, y=targets)"
            ) from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ConfigError(
                f"data.path={self.path!r} holds a single array, not arrays X and y; write "
                f"them with np.savez(path, X=features, y=targets)"
            )
        with archive:
            missing = [name for name in ARRAYS if name not in archive.files]
            if missing:
                raise ConfigError(
                    f"{self.path} has no array(s) {', '.join(missing)}; it holds: "
                    f"{', '.join(archive.files) or 'nothing'}. Write the file with "
                    f"np.savez(path, X=features, y=targets)"
                )
            try:
                return archive["X"], archive["y"]
            except ValueError as exc:  # object arrays need pickle, which is not loaded
                raise ConfigError(
                    f"{self.path}: {exc}; save numeric (or text) arrays, not Python objects"
                ) from None
