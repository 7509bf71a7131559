"""Raw inputs for a trained model, checked against what it was trained on.

``read_input`` reads a CSV or NPZ file into the feature array a ``TrainedModel`` takes;
``encode_columns`` encodes named columns as the training CSV was (numbers as they are, text
categories one-hot in the recorded order). Every problem is a ``ConfigError`` of one paragraph
naming the file, the column, the row or the value, and what would be valid.
"""

from __future__ import annotations

import csv
import difflib
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from framework.errors import ConfigError


def read_input(path: str | Path, model: Any) -> np.ndarray:
    """The features of every row of ``path`` (``.npz`` with an array ``X``, else CSV), as
    float32 shaped ``(N, *model.input_shape)``."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"input {str(path)!r}: no such file (looked for {file.resolve()})")
    if file.stat().st_size == 0:
        raise ConfigError(f"input {str(path)!r} is empty (0 bytes); give a CSV or NPZ file")
    if file.suffix.lower() == ".npz":
        return _read_npz(file, model)
    return _read_csv(file, model)


def encode_columns(
    columns: dict[str, list[Any]],
    schema: list[dict[str, Any]],
    source: str,
    target: str | None = None,
    rows: list[str] | None = None,
) -> np.ndarray:
    """Columns by name -> the encoded features ``(N, F)`` as in training.

    ``schema``: the training CSV's input columns in order (``{"name"}``, plus ``"categories"``
    for text). The ``target`` column may be present and is ignored. ``rows`` names each row in
    messages (default ``row 0``, ``row 1`` …).
    """
    _check_names(list(columns), schema, source, target)
    n = len(next(iter(columns.values()))) if columns else 0
    rows = rows or [f"row {i}" for i in range(n)]
    parts = []
    for spec in schema:
        name, values = spec["name"], columns[spec["name"]]
        if "categories" in spec:
            parts.append(_one_hot(values, name, spec["categories"], source, rows))
        else:
            parts.append(_numbers(values, name, source, rows).reshape(-1, 1))
    return np.concatenate(parts, axis=1).astype(np.float32)


def _check_names(given: list[str], schema: list[dict[str, Any]], source: str, target: str | None):
    expected = [c["name"] for c in schema]
    extra = [g for g in given if g not in expected and g != target]
    missing = [e for e in expected if e not in given]
    if not extra and not missing:
        return
    problems = []
    for name in extra:
        close = difflib.get_close_matches(name, missing or expected, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(f"column {name!r} is not one the model was trained on{hint}")
    if missing:
        problems.append(f"missing column(s) {', '.join(repr(m) for m in missing)}")
    with_target = f" (the target column {target!r} may be present; it is ignored)" if target else ""
    raise ConfigError(
        f"{source}: {'; '.join(problems)}. The model takes the columns "
        f"{', '.join(expected)}{with_target}"
    )


def _numbers(values: list[Any], name: str, source: str, rows: list[str]) -> np.ndarray:
    out = np.empty(len(values), dtype=np.float64)
    for i, value in enumerate(values):
        try:
            number = float(str(value).strip())
        except ValueError:
            raise ConfigError(
                f"{source}: column {name!r}, {rows[i]} holds {str(value)!r}, which is not a "
                f"number; the model was trained on numbers in this column"
            ) from None
        if not math.isfinite(number):
            raise ConfigError(
                f"{source}: column {name!r}, {rows[i]} holds {str(value)!r}, a missing or "
                f"infinite value; give a finite number"
            )
        out[i] = number
    return out


def _one_hot(
    values: list[Any], name: str, categories: list[str], source: str, rows: list[str]
) -> np.ndarray:
    index = {c: i for i, c in enumerate(categories)}
    out = np.zeros((len(values), len(categories)), dtype=np.float32)
    for i, value in enumerate(values):
        text = str(value).strip()
        if text not in index:
            close = difflib.get_close_matches(text, categories, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{source}: column {name!r}, {rows[i]} holds {text!r}, a category the model "
                f"never saw in training{hint}; known categories: {', '.join(categories)}"
            )
        out[i, index[text]] = 1.0
    return out


def _read_csv(file: Path, model: Any) -> np.ndarray:
    source = str(file)
    delimiter = getattr(model, "delimiter", ",")
    with file.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, delimiter=delimiter)
        records = [(reader.line_num, [c.strip() for c in row]) for row in reader if any(row)]
    if not records:
        raise ConfigError(f"input {source!r} holds no rows; give a CSV file with a header row")
    if model.columns is None:
        return _read_plain_csv(records, model, source)
    (_, header), body = records[0], records[1:]
    if not body:
        raise ConfigError(f"input {source!r} has a header ({', '.join(header)}) but no data rows")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise ConfigError(f"{source}: the header repeats column(s) {', '.join(repeated)}")
    for line, row in body:
        if len(row) != len(header):
            raise ConfigError(
                f"{source}, line {line}: {len(row)} fields, but the header has {len(header)} "
                f"({', '.join(header)}); delimiter {delimiter!r}"
            )
    columns = {h: [row[j] for _, row in body] for j, h in enumerate(header)}
    rows = [f"line {line}" for line, _ in body]
    return encode_columns(columns, model.columns, source, model.target_column, rows)


def _read_plain_csv(records: list[tuple[int, list[str]]], model: Any, source: str) -> np.ndarray:
    """A model trained on arrays: numeric columns, one per feature, an optional header."""
    if len(model.input_shape) != 1:
        raise ConfigError(
            f"input {source!r}: this model takes examples shaped {tuple(model.input_shape)}, "
            f"which a CSV row cannot hold; give an NPZ file with an array X shaped "
            f"(N, {', '.join(map(str, model.input_shape))})"
        )
    if not all(_is_number(c) for c in records[0][1]):
        records = records[1:]  # a header row
    if not records:
        raise ConfigError(f"input {source!r} has a header but no data rows")
    n_features = model.input_shape[0]
    for line, row in records:
        if len(row) != n_features:
            raise ConfigError(
                f"{source}, line {line}: {len(row)} values, but the model takes {n_features} "
                f"features per row"
            )
    columns = {f"column {j}": [row[j] for _, row in records] for j in range(n_features)}
    rows = [f"line {line}" for line, _ in records]
    return np.stack(
        [_numbers(v, name, source, rows) for name, v in columns.items()], axis=1
    ).astype(np.float32)


def _read_npz(file: Path, model: Any) -> np.ndarray:
    source = str(file)
    try:
        archive = np.load(file, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise ConfigError(
            f"input {source!r} cannot be read as a .npz file ({exc}); write one with "
            f"np.savez(path, X=features)"
        ) from None
    with archive:
        if "X" not in archive.files:
            raise ConfigError(
                f"input {source!r} has no array X; it holds: "
                f"{', '.join(archive.files) or 'nothing'}. Write it with np.savez(path, X=features)"
            )
        try:
            x = archive["X"]
        except ValueError as exc:
            raise ConfigError(f"input {source!r}: {exc}; X must hold numbers") from None
    if x.dtype.kind not in "biuf":
        raise ConfigError(f"input {source!r}: X holds {x.dtype} values; features must be numbers")
    shape = tuple(model.input_shape)
    if x.ndim == 0 or tuple(x.shape[1:]) != shape:
        raise ConfigError(
            f"input {source!r}: X has shape {tuple(x.shape)}, but the model takes examples "
            f"shaped {shape}: X must be (N, {', '.join(map(str, shape))}) "
            f"({int(np.prod(shape))} features per example)"
        )
    if len(x) == 0:
        raise ConfigError(f"input {source!r}: X has no rows")
    bad = np.argwhere(~np.isfinite(x))
    if len(bad):
        where = ", ".join(str(i) for i in bad[0])
        raise ConfigError(
            f"input {source!r}: X[{where}] is a missing or infinite value (NaN/inf); row "
            f"{bad[0][0]} needs finite numbers"
        )
    return x.astype(np.float32)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
