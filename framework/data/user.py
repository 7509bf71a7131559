"""What the user's own data sets (csv, npz, arrays) share: file checks, the task read from the
targets, and the targets as the task needs them.

``task="auto"``: text or booleans, and whole numbers with at most ``MAX_AUTO_CLASSES`` distinct
values, are classes (two: binary, more: multiclass); other numbers are regression targets (several
columns: multi-output regression). ``data.task=…`` forces the choice.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from framework.errors import ConfigError

log = logging.getLogger(__name__)

MAX_AUTO_CLASSES = 20
FORCE_HINT = "set data.task=multiclass|binary|regression to choose"


def existing_file(path: str | Path, kind: str) -> Path:
    """``path`` as a ``Path``, if it is a file with content; else a ``ConfigError``."""
    file = Path(str(path)).expanduser()
    if not file.exists():
        raise ConfigError(
            f"data.path={str(path)!r}: no such file (looked for {file.resolve()}); give the path "
            f"of your {kind} file, relative to the directory you run nn-train from"
        )
    if not file.is_file():
        raise ConfigError(f"data.path={str(path)!r} is a directory, not a {kind} file")
    if file.stat().st_size == 0:
        raise ConfigError(f"data.path={str(path)!r}: the file is empty (0 bytes)")
    return file


def encode_targets(
    y: np.ndarray, task: str, name: str, labels: str = "encode"
) -> tuple[np.ndarray, str, tuple[str, ...]]:
    """``(targets, task, class_names)`` for targets ``y`` called ``name`` in messages.

    ``labels="encode"``: classes are the sorted distinct values, numbered 0..K-1 (names kept).
    ``labels="indices"``: whole-number targets already are class indices 0..K-1.
    """
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.reshape(len(y))
    text = y.dtype.kind in "USO"
    if y.ndim != 1 and (task in ("multiclass", "binary") or text):
        raise ConfigError(
            f"{name} has shape {y.shape}: class labels must be one column; several target "
            f"columns need data.task=regression with numbers"
        )
    if y.dtype.kind == "b":
        y = y.astype(np.int64)
    if not text and y.dtype.kind == "f":
        bad = np.argwhere(~np.isfinite(y))
        if len(bad):
            where = ", ".join(str(i) for i in bad[0])
            raise ConfigError(f"{name} has a missing or infinite value (NaN/inf) at row {where}")
    if task == "auto":
        task = _infer_task(y, text, labels)
        log.info("data: %s -> task %s (%s)", name, task, FORCE_HINT)
    if task == "regression":
        if text:
            example = next(v for v in y if not _is_number(v))
            raise ConfigError(
                f"{name} holds text ({str(example)!r}); regression needs numbers. "
                f"For classes use data.task=multiclass or binary (or auto)"
            )
        return y.astype(np.float32), task, ()
    return _classes(y, task, name, text, labels)


def _infer_task(y: np.ndarray, text: bool, labels: str) -> str:
    if y.ndim != 1 or (not text and y.dtype.kind == "f"):
        return "regression"
    values = np.unique(y)
    if not text and len(values) > MAX_AUTO_CLASSES:
        return "regression"
    if len(values) == 2 and (labels == "encode" or text or set(values.tolist()) <= {0, 1}):
        return "binary"
    return "multiclass"


def _classes(
    y: np.ndarray, task: str, name: str, text: bool, labels: str
) -> tuple[np.ndarray, str, tuple[str, ...]]:
    if not text and y.dtype.kind == "f" and not np.all(y == np.round(y)):
        value = y[np.argmax(y != np.round(y))]
        raise ConfigError(
            f"{name} holds {value!r}: class labels must be whole numbers or text; for a "
            f"numeric target use data.task=regression"
        )
    values = np.unique(y)
    listed = ", ".join(str(v) for v in values[:10]) + (" …" if len(values) > 10 else "")
    if len(values) < 2:
        raise ConfigError(
            f"{name} has a single class ({listed}); classification needs at least two"
        )
    if task == "binary" and len(values) > 2:
        raise ConfigError(
            f"{name}: labels out of range for data.task=binary, which needs exactly two "
            f"classes; found {len(values)}: {listed}. Use data.task=multiclass"
        )
    if labels == "encode" or text:
        names = tuple(str(v) for v in values)
        return np.searchsorted(values, y).astype(np.int64), task, names
    y = y.astype(np.int64)
    top = 1 if task == "binary" else None
    if y.min() < 0 or (top is not None and y.max() > top):
        bad = int(np.argmax((y < 0) | (y > (top if top is not None else y.max()))))
        valid = "0 or 1" if top is not None else "0..K-1 (class indices)"
        raise ConfigError(
            f"{name}: labels out of range: row {bad} holds {y[bad]}, but labels must be "
            f"{valid} for data.task={task}"
        )
    missing = sorted(set(range(int(y.max()) + 1)) - set(values.tolist()))
    if missing:
        log.warning("data: %s never holds class(es) %s of 0..%d", name, missing, y.max())
    return y, task, ()


def _is_number(value: object) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True
