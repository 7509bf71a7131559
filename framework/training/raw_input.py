"""Raw inputs for a trained model, checked against what it was trained on.

``read_input`` reads a CSV or NPZ file into the feature array a ``TrainedModel`` takes;
``encode_columns`` encodes named columns as the training CSV was (the plan recorded in the
checkpoint, applied by ``framework.data.features.encode``: fill values and indicators, category
levels, date parts). Every problem is a ``ConfigError`` of one paragraph
naming the file, the column, the row or the value, and what would be valid.
"""

from __future__ import annotations

import csv
import difflib
import math
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from framework.errors import ConfigError


def read_input(path: str | Path, model: Any) -> np.ndarray:
    """The features of every row of ``path`` (``.npz`` with an array ``X``, ``.parquet``, else
    CSV), as float32 shaped ``(N, *model.input_shape)``."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"input {str(path)!r}: no such file (looked for {file.resolve()})")
    if file.stat().st_size == 0:
        raise ConfigError(f"input {str(path)!r} is empty (0 bytes); give a CSV or NPZ file")
    if file.suffix.lower() == ".npz":
        return _read_npz(file, model)
    return _read_csv(file, model)


def _read_table(file: str | Path, na_values: Sequence[str], text: Sequence[str]) -> Any:
    """A CSV or Parquet file (by its suffix) as a ``framework.data.table.Table``."""
    from framework.data.table import is_parquet, read_csv_table, read_parquet_table

    if is_parquet(file):
        return read_parquet_table(file)
    return read_csv_table(file, na_values=na_values, text_columns=text)


def encode_columns(
    columns: dict[str, list[Any]],
    schema: list[dict[str, Any]],
    source: str,
    target: str | None = None,
    rows: list[str] | None = None,
    ignored: Sequence[str] = (),
    na_values: Sequence[str] = (),
) -> np.ndarray:
    """Columns by name -> the encoded features ``(N, F)`` as in training.

    ``schema``: the training CSV's input columns in order and how each was encoded
    (``framework.data.features``). The ``target`` column and the ``ignored`` ones (left out in
    training) may be present and are ignored. ``rows`` names each row in messages (default
    ``row 0``, ``row 1`` …).
    """
    import pandas as pd

    from framework.data.features import encode, missing_markers

    _check_names(list(columns), schema, source, target, ignored)
    frame = pd.DataFrame({spec["name"]: columns[spec["name"]] for spec in schema})
    names = rows or [f"row {i}" for i in range(len(frame))]
    x, _ = encode(frame, schema, source, lambda i: names[i], missing_markers(na_values))
    return x


def _check_names(
    given: list[str],
    schema: list[dict[str, Any]],
    source: str,
    target: str | None,
    ignored: Sequence[str] = (),
) -> None:
    expected = [c["name"] for c in schema]
    extra = [g for g in given if g not in expected and g != target and g not in ignored]
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
    present = [f"the target column {target!r}"] if target else []
    if ignored:
        present.append(f"the columns left out in training ({', '.join(ignored)})")
    with_target = f" ({' and '.join(present)} may be present; ignored)" if present else ""
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


def _read_csv(file: Path, model: Any) -> np.ndarray:
    source = str(file)
    if model.columns is None:
        from framework.data.table import is_parquet

        if is_parquet(file):
            raise ConfigError(
                f"input {source!r}: this model was trained on arrays, not on a table's named "
                f"columns; give an NPZ file with an array X (or a CSV of its columns)"
            )
        delimiter = getattr(model, "delimiter", ",")
        with file.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, delimiter=delimiter)
            records = [(reader.line_num, [c.strip() for c in row]) for row in reader if any(row)]
        if not records:
            raise ConfigError(f"input {source!r} holds no rows; give a CSV file with a header row")
        return _read_plain_csv(records, model, source)
    from framework.data.features import encode, missing_markers, text_columns

    na_values = getattr(model, "na_values", [])
    table = _read_table(file, na_values, text_columns(model.columns))
    ignored = getattr(model, "dropped_columns", [])
    _check_names(list(table.frame.columns), model.columns, source, model.target_column, ignored)
    x, _ = encode(table.frame, model.columns, source, table.where, missing_markers(na_values))
    return x


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


def read_labelled_csv(
    path: str, preprocessing: dict[str, Any], data_info: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Another table with the training CSV's columns and its target, as the checkpoint's
    preprocessing encodes it: the features ``(N, F)`` before standardisation, the targets
    (class indices by the training's class names, or values) and how many rows had no target
    (left out). A label the model never saw is one paragraph naming its line."""
    import pandas as pd

    from framework.data.features import encode, missing_markers, text_columns

    plan, target = preprocessing["columns"], str(preprocessing["target"])
    na_values = preprocessing.get("na_values") or []
    table = _read_table(path, na_values, [*text_columns(plan), target])
    names = list(table.frame.columns)
    if target not in names:
        raise ConfigError(
            f"{path} has no column {target!r}, the target the model was trained to predict; "
            f"evaluating it (train=false) needs that column. Its columns: {', '.join(names)}"
        )
    _check_names(names, plan, path, target, preprocessing.get("dropped_columns") or [])
    markers = missing_markers(na_values)
    labels = table.frame[target].astype("string").str.strip()
    labels = labels.mask(labels.isin(markers))
    kept = np.flatnonzero(labels.notna().to_numpy())
    if len(kept) == 0:
        raise ConfigError(f"{path}: no row holds a value in the target column {target!r}")

    def where(i: int) -> str:
        return table.where(int(kept[i]))

    x, _ = encode(table.frame.iloc[kept], plan, path, where, markers)
    values = labels.iloc[kept]
    if data_info["task"] == "regression":
        y = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.flatnonzero(~np.isfinite(y))
        if len(bad):
            raise ConfigError(
                f"{path}: target column {target!r}, {where(int(bad[0]))} holds "
                f"{values.iloc[int(bad[0])]!r}, which is not a number"
            )
        return x, y, len(labels) - len(kept)
    classes = [str(c) for c in data_info.get("class_names") or ()]
    codes = values.map({name: i for i, name in enumerate(classes)})
    unknown = np.flatnonzero(codes.isna().to_numpy())
    if len(unknown):
        i = int(unknown[0])
        raise ConfigError(
            f"{path}: target column {target!r}, {where(i)} holds {values.iloc[i]!r}, a class "
            f"the model was not trained on ({len(unknown)} row(s) in all); its classes: "
            f"{', '.join(classes)}"
        )
    return x, codes.to_numpy(dtype=np.int64), len(labels) - len(kept)
