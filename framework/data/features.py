"""A table (pandas DataFrame) as a feature matrix, the same way in training and in prediction.

``prepare`` decides, from the rows of a table, what every column becomes, fits the fill values
on the training split and returns the features, the targets and the ``plan``: a list of plain
dicts (a ``weights_only`` checkpoint loads them), one per input column:

- ``{"name", "kind": "numeric", "fill": median | None, "median"}``: the number; with a fill
  value, missing cells take the training split's median and a ``<name>_missing`` indicator
  (0/1) follows. ``median`` (always the training median) fills, with a warning, a cell missing
  at prediction in a column that had none in training;
- ``{"name", "kind": "categorical", "categories": [...]}``: one-hot over the levels, which may
  include ``(missing)`` (a missing cell) and ``(other)`` (levels rarer than the
  ``max_categories`` most frequent, and at prediction any level never seen);
- ``{"name", "kind": "date", "format", "time", "fill", "median"}``: year, then month, day of
  year and day of week (and time of day where the column has times) as sine and cosine; missing
  dates take the training median and an indicator.

``encode`` applies a plan to any DataFrame of raw values (text or parsed), which is what makes
prediction repeat training. Old plans (``{"name"}`` and ``{"name", "categories"}``) still apply.
Torch-free: ``data.report_only`` runs it without importing Lightning.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from framework.data.user import encode_targets
from framework.errors import ConfigError

MISSING_LEVEL = "(missing)"
OTHER_LEVEL = "(other)"
MISSING_CHOICES = ("fill", "drop", "error")
DATE_SHARE = 0.95  # a text column is a date if this share of its values parse as dates
ID_MIN_DISTINCT = 50  # a text column with more distinct values than this and than half the rows
DATE_FORMATS = (
    "ISO8601",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d %b %Y",
    "%b %d %Y",
    "%b %d, %Y",
    "%d-%b-%Y",
)
Rows = Callable[[int], str]  # a row's position -> "line 7" / "row 3", for messages


@dataclass
class Prepared:
    """What ``prepare`` returns: features, targets and how they were made."""

    x: np.ndarray  # float32 (N, F)
    y: np.ndarray
    task: str
    class_names: tuple[str, ...]
    plan: list[dict[str, Any]]
    feature_names: list[str]
    split: dict[str, np.ndarray]
    kept: np.ndarray  # positions in the table of the rows used
    dropped_columns: list[str]
    report: dict[str, Any] = field(default_factory=dict)


def select_columns(
    header: Sequence[str],
    target: str,
    features: Sequence[str],
    drop: Sequence[str],
    source: str,
) -> list[str]:
    """The input columns: ``features`` (all but the target if empty) minus ``drop``; every
    name checked against the header with a did-you-mean."""
    header = list(header)
    _known(target, header, "data.target", source)
    for key, names in (("data.features", features), ("data.drop", drop)):
        for name in names:
            _known(name, header, key, source)
    if target in drop:
        raise ConfigError(
            f"data.drop lists the target {target!r}; the target is never a feature. Remove it "
            f"from data.drop, or choose another data.target"
        )
    chosen = [str(f) for f in features] or header
    columns = [c for c in header if c in chosen and c not in drop and c != target]
    if not columns:
        raise ConfigError(
            f"{source} has no feature columns besides the target {target!r}"
            + (" once data.features/data.drop are applied" if features or drop else "")
        )
    return columns


def _known(name: str, header: list[str], key: str, source: str) -> None:
    if name in header:
        return
    close = difflib.get_close_matches(str(name), header, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    split = ""
    if len(header) == 1 and any(d in header[0] for d in ";\t|,"):
        split = " (the header is one column: is the delimiter right? see data.delimiter)"
    what = f"{key}={name!r}" if key == "data.target" else f"{key} names {name!r}, which"
    raise ConfigError(
        f"{what} is not a column of {source}.{hint} Its columns{split}: {', '.join(header)}"
    )


def prepare(
    frame: pd.DataFrame,
    target: str,
    columns: Sequence[str],
    *,
    task: str = "auto",
    missing: str = "fill",
    max_categories: int = 50,
    na_values: Sequence[str] = (),
    split: Callable[[np.ndarray, str], dict[str, np.ndarray]],
    source: str,
    where: Rows,
) -> Prepared:
    """Features and targets from ``frame``, with the plan that repeats it (see the module)."""
    n_read = len(frame)
    markers = _markers(na_values)
    texts = {c: _text(frame[c], markers) for c in columns if not _is_number(frame[c])}
    texts_target = None if _is_number(frame[target]) else _text(frame[target], markers)
    target_missing = frame[target].isna() if texts_target is None else texts_target.isna()
    target_missing = target_missing.to_numpy()
    kept = np.ones(n_read, dtype=bool)
    dropped_rows: dict[str, int] = {}
    if target_missing.any():
        if missing == "error":
            first = int(np.argmax(target_missing))
            raise ConfigError(
                f"{source}: target column {target!r}, {where(first)} is missing; "
                f"{int(target_missing.sum())} row(s) have no target. Rows without a target "
                f"cannot be learnt from: data.missing=fill or drop leaves them out"
            )
        kept &= ~target_missing
        dropped_rows["missing target"] = int(target_missing.sum())

    kinds: dict[str, dict[str, Any]] = {}
    dropped_columns: list[str] = []
    for name in columns:
        spec = _column_kind(frame, name, texts.get(name), kept, max_categories, source, where)
        if spec is None:
            dropped_columns.append(name)
        else:
            kinds[name] = spec
    _refuse_identifiers(kinds, int(kept.sum()), source)
    used = list(kinds)
    if not used:
        raise ConfigError(
            f"{source}: every feature column is empty (all values missing): "
            f"{', '.join(dropped_columns)}; nothing is left to learn from"
        )

    missing_cells = {
        name: _missing_mask(frame, name, texts.get(name), kinds[name]) for name in used
    }
    if missing != "fill":
        any_missing = np.zeros(n_read, dtype=bool)
        for mask in missing_cells.values():
            any_missing |= mask
        any_missing &= kept
        if any_missing.any() and missing == "error":
            first = int(np.argmax(any_missing))
            column = next(n for n in used if missing_cells[n][first])
            raise ConfigError(
                f"{source}: column {column!r}, {where(first)} is missing (empty or a marker "
                f"such as NA); {int(any_missing.sum())} row(s) have a missing value. "
                f"data.missing=fill fills numbers with the training median (plus a "
                f"{column}_missing indicator) and gives text its own level; data.missing=drop "
                f"leaves those rows out"
            )
        kept &= ~any_missing
        if any_missing.any():
            dropped_rows["missing features"] = int(any_missing.sum())
    rows = np.flatnonzero(kept)
    if len(rows) == 0:
        raise ConfigError(
            f"{source}: no row is left once rows with missing values are dropped "
            f"({', '.join(f'{v} for {k}' for k, v in dropped_rows.items())}); "
            f"use data.missing=fill"
        )

    y_raw = _target_values(frame[target], texts_target, rows, target, source, where)
    y, task, class_names = encode_targets(y_raw, task, f"target column {target!r} of {source}")
    indices = split(y, task)
    train = rows[indices["train"]]

    plan = []
    for name in used:
        spec = kinds[name]
        has_missing = bool(missing_cells[name][rows].any())
        plan.append(_fit(frame, name, texts.get(name), spec, has_missing, train, rows))
    sub = frame if len(rows) == n_read else frame.iloc[rows]  # no copy when every row is kept
    x, feature_names = encode(sub, plan, source, lambda i: where(int(rows[i])), markers)

    report = _report(
        frame,
        target,
        columns,
        plan,
        kinds,
        dropped_columns,
        missing_cells,
        rows,
        n_read,
        dropped_rows,
        ~target_missing,
        y,
        task,
        class_names,
        missing,
    )
    return Prepared(
        x, y, task, class_names, plan, feature_names, indices, rows, dropped_columns, report
    )


# --- deciding what a column is --------------------------------------------------------------


def text_columns(plan: list[dict[str, Any]]) -> list[str]:
    """The columns of ``plan`` read as text (categories and dates), whatever they hold."""
    return [spec["name"] for spec in plan if _kind(spec) != "numeric"]


def missing_markers(na_values: Sequence[str] = ()) -> set[str]:
    """The text that means a missing value: the usual markers and ``na_values``."""
    return _markers(na_values)


def _markers(na_values: Sequence[str]) -> set[str]:
    from framework.data.table import MISSING_MARKERS

    return {*MISSING_MARKERS, *(str(v) for v in na_values)}


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _text(series: pd.Series, markers: set[str]) -> pd.Series:
    """Values as stripped text (pandas' ``string`` dtype), markers as missing."""
    text = series.astype("string").str.strip()
    return text.mask(text.isin(markers))


def _column_kind(
    frame: pd.DataFrame,
    name: str,
    text: pd.Series | None,
    kept: np.ndarray,
    max_categories: int,
    source: str,
    where: Rows,
) -> dict[str, Any] | None:
    """numeric / categorical / date, from the kept rows; ``None``: all values missing."""
    values = frame[name] if text is None else text
    present = values.notna().to_numpy() & kept
    if not present.any():
        return None
    if text is None:
        return {"name": name, "kind": "numeric"}
    numbers = pd.to_numeric(text, errors="coerce")
    is_number = numbers.notna().to_numpy() & present
    if 2 * is_number.sum() > present.sum():
        junk = np.flatnonzero(present & ~is_number)
        if len(junk) == 0:  # numbers once the markers (" NA ", na_values) are missing
            return {"name": name, "kind": "numeric"}
        value = str(text.iloc[junk[0]])
        marker = f"data.na_values=[{value}]" if value.isprintable() and "," not in value else ""
        raise ConfigError(
            f"{source}: column {name!r} holds numbers, but {where(int(junk[0]))} holds "
            f"{value!r}, which is not a number; fix that value, or list it as a missing marker "
            f"with {marker or 'data.na_values=[...]'} (or leave the column out with "
            f"data.drop=[{name}])"
        )
    date = _date_format(text[present])
    if date is not None:
        return {"name": name, "kind": "date", "format": date}
    levels = text[present].value_counts()
    return {"name": name, "kind": "categorical", "counts": levels, "max": max_categories}


def _date_format(text: pd.Series) -> str | None:
    """The first of ``DATE_FORMATS`` that parses at least ``DATE_SHARE`` of the values."""
    sample = text.iloc[:: max(1, len(text) // 200)][:200]
    if not sample.str.contains(r"\d", regex=True).mean() >= DATE_SHARE:
        return None
    if not sample.str.fullmatch(r"[\w\s:./,+-]{6,40}").mean() >= DATE_SHARE:
        return None
    scores = [(_parsed(sample, f).notna().mean(), -i, f) for i, f in enumerate(DATE_FORMATS)]
    share, _, best = max(scores)
    if share < DATE_SHARE:
        return None
    return best if _parsed(text, best).notna().mean() >= DATE_SHARE else None


def _parsed(text: pd.Series, date_format: str) -> pd.Series:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(text, format=date_format, errors="coerce", utc=True)
    return parsed.dt.tz_localize(None)


def _refuse_identifiers(kinds: dict[str, dict[str, Any]], n_rows: int, source: str) -> None:
    """Text columns with more distinct values than ``ID_MIN_DISTINCT`` and than half the rows
    (names, ids, free text) are refused, all in one paragraph."""
    ids = [
        (name, len(spec["counts"]))
        for name, spec in kinds.items()
        if spec["kind"] == "categorical"
        and len(spec["counts"]) > ID_MIN_DISTINCT
        and 2 * len(spec["counts"]) > n_rows
    ]
    if not ids:
        return
    listed = "; ".join(f"{name!r} has {k} distinct values in {n_rows} rows" for name, k in ids)
    raise ConfigError(
        f"{source}: {listed}: such a column is an identifier or free text (a name, an id, a "
        f"ticket number), and one-hot encoding it would give a feature per row that a network "
        f"can only memorise. Leave it out with data.drop=[{','.join(n for n, _ in ids)}] (or "
        f"list the columns to use with data.features=[...])"
    )


def _missing_mask(
    frame: pd.DataFrame, name: str, text: pd.Series | None, spec: dict[str, Any]
) -> np.ndarray:
    if spec["kind"] == "date":
        assert text is not None
        return _parsed(text, spec["format"]).isna().to_numpy()
    values = frame[name] if text is None else text
    return values.isna().to_numpy()


def _target_values(
    series: pd.Series,
    text: pd.Series | None,
    rows: np.ndarray,
    target: str,
    source: str,
    where: Rows,
) -> np.ndarray:
    """Whole numbers as int64, other numbers as float64, else text."""
    if text is None:
        values = series.to_numpy()[rows]
        if values.dtype.kind == "b":
            return values
        values = values.astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            raise ConfigError(
                f"{source}: target column {target!r}, {where(int(rows[bad[0]]))} holds "
                f"{values[bad[0]]}, an infinite value; fix or drop that row"
            )
        return values.astype(np.int64) if np.all(values == np.round(values)) else values
    kept = text.iloc[rows]
    numbers = pd.to_numeric(kept, errors="coerce")
    if 2 * numbers.notna().sum() > len(kept):
        bad = int(np.argmax(numbers.isna().to_numpy()))
        if numbers.isna().any():
            raise ConfigError(
                f"{source}: target column {target!r} holds numbers, but "
                f"{where(int(rows[bad]))} holds {kept.iloc[bad]!r}, which is not a number; "
                f"fix or drop that row"
            )
        values = numbers.to_numpy(dtype=np.float64)
        return values.astype(np.int64) if np.all(values == np.round(values)) else values
    return kept.to_numpy(dtype=object).astype(str)


# --- fitting on the training split ----------------------------------------------------------


def _fit(
    frame: pd.DataFrame,
    name: str,
    text: pd.Series | None,
    spec: dict[str, Any],
    has_missing: bool,
    train: np.ndarray,
    rows: np.ndarray,
) -> dict[str, Any]:
    kind = spec["kind"]
    if kind == "numeric":
        column = frame[name] if text is None else pd.to_numeric(text, errors="coerce")
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        median = _median(values[train], values[rows])
        fill = median if has_missing else None
        return {"name": name, "kind": "numeric", "fill": fill, "median": median}
    if kind == "date":
        assert text is not None
        parsed = _parsed(text, spec["format"])
        stamps = _seconds(parsed)
        times = parsed.iloc[rows].dropna()
        has_time = bool(len(times)) and bool(
            (times - times.dt.normalize()).dt.total_seconds().ne(0).any()
        )
        median = _median(stamps[train], stamps[rows])
        return {
            "name": name,
            "kind": "date",
            "format": spec["format"],
            "time": has_time,
            "fill": median if has_missing else None,
            "median": median,
        }
    counts: pd.Series = spec["counts"]
    limit = int(spec["max"])
    levels = sorted(str(v) for v in counts.index)
    if len(levels) > limit:
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        levels = [*sorted(str(k) for k, _ in ranked[: max(1, limit - 1)]), OTHER_LEVEL]
    if has_missing:
        levels.append(MISSING_LEVEL)
    return {"name": name, "kind": "categorical", "categories": levels}


def _median(train: np.ndarray, rows: np.ndarray) -> float:
    """The training split's median; the kept rows' where training has no value at all."""
    values = train[~np.isnan(train)]
    if len(values) == 0:
        values = rows[~np.isnan(rows)]
    return float(np.median(values))


def _seconds(parsed: pd.Series) -> np.ndarray:
    """Timestamps as float seconds since 1970 (NaN where missing)."""
    out = (parsed - pd.Timestamp(0)).dt.total_seconds()
    return out.to_numpy(dtype=np.float64, na_value=np.nan)


# --- applying a plan ------------------------------------------------------------------------


def encode(
    frame: pd.DataFrame,
    plan: list[dict[str, Any]],
    source: str,
    where: Rows,
    markers: set[str] | None = None,
) -> tuple[np.ndarray, list[str]]:
    """The features ``(N, F)`` float32 of ``frame``'s rows under ``plan``, and their names.
    Numeric columns are converted together (thousands of columns cost one array operation),
    straight to float32: each value is rounded once, as through float64, and the block is half
    the size (issue 21: a million rows must not cost copies of the table)."""
    markers = _markers(()) if markers is None else markers
    numeric = [s["name"] for s in plan if _kind(s) == "numeric"]
    parsed_numbers = [n for n in numeric if _is_number(frame[n])]
    block = (
        frame[parsed_numbers].to_numpy(dtype=np.float32, na_value=np.nan)
        if parsed_numbers
        else np.zeros((len(frame), 0), dtype=np.float32)
    )
    position = {n: i for i, n in enumerate(parsed_numbers)}
    parts: list[np.ndarray] = []
    names: list[str] = []
    for spec in plan:
        name, kind = spec["name"], _kind(spec)
        if kind == "numeric":
            if name in position:
                values = block[:, position[name]]
            else:
                values = _numbers(frame[name], name, markers, source, where)
            parts += _filled(values, spec, source, where, "a number")
            names += [name] + ([f"{name}_missing"] if spec.get("fill") is not None else [])
        elif kind == "date":
            text = _text(frame[name], markers)
            stamps = _seconds(_parsed(text, spec["format"]))
            unparsed = np.isnan(stamps) & text.notna().to_numpy()
            if unparsed.any() and spec.get("fill") is None:
                i = int(np.argmax(unparsed))
                raise ConfigError(
                    f"{source}: column {name!r}, {where(i)} holds {text.iloc[i]!r}, which is "
                    f"not a date of the form {spec['format']} that the model was trained on"
                )
            filled = _filled(stamps, spec, source, where, "a date")
            parts += _date_parts(filled[0], bool(spec.get("time")))
            names += _date_names(name, bool(spec.get("time")))
            if len(filled) > 1:
                parts.append(filled[1])
                names.append(f"{name}_missing")
        else:
            parts.append(_one_hot(frame[name], name, spec["categories"], markers, source, where))
            names += [f"{name}={c}" for c in spec["categories"]]
    columns = [p.reshape(len(frame), -1).astype(np.float32, copy=False) for p in parts]
    return np.concatenate(columns, axis=1), names


def _kind(spec: dict[str, Any]) -> str:
    return spec.get("kind") or ("categorical" if "categories" in spec else "numeric")


def _numbers(
    series: pd.Series, name: str, markers: set[str], source: str, where: Rows
) -> np.ndarray:
    if _is_number(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    text = _text(series, markers)
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna().to_numpy() & text.notna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise ConfigError(
            f"{source}: column {name!r}, {where(i)} holds {text.iloc[i]!r}, which is not a "
            f"number; the model was trained on numbers in this column"
        )
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def _filled(
    values: np.ndarray, spec: dict[str, Any], source: str, where: Rows, what: str
) -> list[np.ndarray]:
    """``[values]``, or with a fill value ``[filled values, missing indicator]``. A cell missing
    where training had none (only at prediction) takes the training median, with a warning."""
    name, fill = spec["name"], spec.get("fill")
    missing = np.isnan(values)
    infinite = np.isinf(values)
    if infinite.any():
        i = int(np.argmax(infinite))
        raise ConfigError(
            f"{source}: column {name!r}, {where(i)} holds an infinite value; give a finite "
            f"number (or leave the cell empty for a missing value)"
        )
    if fill is None:
        if missing.any() and spec.get("median") is not None:
            rows = np.flatnonzero(missing)
            shown = ", ".join(where(int(i)) for i in rows[:3]) + (", …" if len(rows) > 3 else "")
            warnings.warn(
                f"{source}: column {name!r} is missing in {len(rows)} row(s) ({shown}), which "
                f"training never saw in this column; filled with the training median "
                f"{spec['median']:.6g} (those predictions are less certain)",
                stacklevel=3,
            )
            return [np.where(missing, spec["median"], values)]
        if missing.any():
            i = int(np.argmax(missing))
            raise ConfigError(
                f"{source}: column {name!r}, {where(i)} is missing (empty or a marker such as "
                f"NA), and the model was trained without missing values in this column; give "
                f"{what}"
            )
        return [values]
    return [np.where(missing, fill, values), missing.astype(np.float32)]


def _date_parts(seconds: np.ndarray, time: bool) -> list[np.ndarray]:
    stamps = pd.to_datetime(pd.Series(seconds), unit="s")
    year = stamps.dt.year.to_numpy(dtype=np.float64)
    angles = [
        (stamps.dt.month.to_numpy(dtype=np.float64) - 1) / 12,
        (stamps.dt.day_of_year.to_numpy(dtype=np.float64) - 1) / 365.25,
        stamps.dt.day_of_week.to_numpy(dtype=np.float64) / 7,
    ]
    if time:
        angles.append((seconds % 86400) / 86400)
    parts = [year]
    for a in angles:
        parts += [np.sin(2 * np.pi * a), np.cos(2 * np.pi * a)]
    return parts


def _date_names(name: str, time: bool) -> list[str]:
    cycles = ["month", "day_of_year", "day_of_week"] + (["time_of_day"] if time else [])
    return [f"{name}_year"] + [f"{name}_{c}_{f}" for c in cycles for f in ("sin", "cos")]


def _one_hot(
    series: pd.Series,
    name: str,
    categories: list[str],
    markers: set[str],
    source: str,
    where: Rows,
) -> np.ndarray:
    text = _text(series, markers)
    codes = pd.Index(categories, dtype=object).get_indexer(text.astype(object)).astype(np.int64)
    absent = text.isna().to_numpy()
    if absent.any():
        if MISSING_LEVEL in categories:
            codes[absent] = categories.index(MISSING_LEVEL)
        else:
            i = int(np.argmax(absent))
            raise ConfigError(
                f"{source}: column {name!r}, {where(i)} is missing (empty or a marker such as "
                f"NA), and the model was trained without missing values in this column; give "
                f"one of its categories: {_listed(categories)}"
            )
    unknown = codes < 0
    if unknown.any():
        if OTHER_LEVEL in categories:
            codes[unknown] = categories.index(OTHER_LEVEL)
        else:
            i = int(np.argmax(unknown))
            value = str(text.iloc[i])
            close = difflib.get_close_matches(value, categories, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{source}: column {name!r}, {where(i)} holds {value!r}, a category the model "
                f"never saw in training{hint}; known categories: {_listed(categories)}"
            )
    out = np.zeros((len(codes), len(categories)), dtype=np.float32)
    out[np.arange(len(codes)), codes] = 1.0
    return out


def _listed(values: list[str], limit: int = 20) -> str:
    more = f" … ({len(values)} in all)" if len(values) > limit else ""
    return ", ".join(values[:limit]) + more


# --- the report -----------------------------------------------------------------------------


def _report(
    frame: pd.DataFrame,
    target: str,
    columns: Sequence[str],
    plan: list[dict[str, Any]],
    kinds: dict[str, dict[str, Any]],
    dropped_columns: list[str],
    missing_cells: dict[str, np.ndarray],
    rows: np.ndarray,
    n_read: int,
    dropped_rows: dict[str, int],
    with_target: np.ndarray,
    y: np.ndarray,
    task: str,
    class_names: tuple[str, ...],
    missing: str,
) -> dict[str, Any]:
    """Every decision, as plain JSON: rows, each column's kind, missing counts, classes."""
    by_name = {s["name"]: s for s in plan}
    entries = []
    for name in frame.columns:
        entry = {"name": name, "kind": "dropped", "missing": 0, "features": 0, "note": ""}
        if name == target:
            entry.update(kind="target", missing=dropped_rows.get("missing target", 0))
            if entry["missing"]:
                entry["note"] = "rows without a target dropped"
        elif name not in columns:
            entry["note"] = "left out by data.features/data.drop"
        elif name in dropped_columns:
            entry.update(missing=int(with_target.sum()), note="every value missing")
        else:
            count = int(missing_cells[name][with_target].sum())
            entry.update(_describe(by_name[name], kinds[name], count, missing))
        entries.append(entry)
    report: dict[str, Any] = {
        "rows": {"read": n_read, "kept": len(rows), "dropped": dropped_rows},
        "missing": missing,
        "features": sum(e["features"] for e in entries),
        "columns": entries,
        "target": {"name": target, "task": task},
    }
    if task != "regression":
        counts = np.bincount(y.astype(np.int64).reshape(-1), minlength=len(class_names) or 2)
        labels = list(class_names) or [str(i) for i in range(len(counts))]
        report["target"]["classes"] = {
            label: int(c) for label, c in zip(labels, counts, strict=False)
        }
        ratio = float(counts.max() / max(counts.min(), 1))
        report["target"]["imbalance"] = round(ratio, 2)
        if ratio >= 10:
            big, small = labels[int(counts.argmax())], labels[int(counts.argmin())]
            report["target"]["warning"] = (
                f"classes are imbalanced {ratio:.0f}:1 ({big!r}: {int(counts.max())} rows, "
                f"{small!r}: {int(counts.min())}); accuracy can look good while the rare class "
                f"is never predicted"
            )
    else:
        values = y.astype(np.float64).reshape(len(y), -1)[:, 0]
        report["target"].update(
            mean=float(values.mean()),
            std=float(values.std()),
            min=float(values.min()),
            max=float(values.max()),
        )
    return report


def _describe(
    spec: dict[str, Any], kind: dict[str, Any], missing: int, choice: str
) -> dict[str, Any]:
    dropped = (
        f"{missing} row(s) with a missing value dropped" if missing and choice == "drop" else ""
    )
    if spec["kind"] == "numeric":
        note = dropped
        if spec["fill"] is not None:
            note = f"{missing} filled with the training median {spec['fill']:.6g}, + indicator"
        return {
            "kind": "numeric",
            "missing": missing,
            "features": 1 + (spec["fill"] is not None),
            "note": note,
        }
    if spec["kind"] == "date":
        parts = "year, month, day of year, day of week" + (", time of day" if spec["time"] else "")
        notes = [f"format {spec['format']}: {parts} (sine/cosine)"]
        if spec["fill"] is not None:
            notes.append(f"{missing} missing or unparsed: the training median date + indicator")
        elif dropped:
            notes.append(dropped)
        n = 7 + 2 * bool(spec["time"]) + (spec["fill"] is not None)
        return {"kind": "date parts", "missing": missing, "features": n, "note": "; ".join(notes)}
    levels = spec["categories"]
    notes = []
    if OTHER_LEVEL in levels:
        rare = len(kind["counts"]) - (len(levels) - 1 - (MISSING_LEVEL in levels))
        notes.append(f"{rare} rarer levels grouped as {OTHER_LEVEL}")
    if MISSING_LEVEL in levels:
        notes.append(f"{missing} missing as level {MISSING_LEVEL}")
    elif dropped:
        notes.append(dropped)
    return {
        "kind": f"categorical, {len(levels)} levels",
        "missing": missing,
        "features": len(levels),
        "note": "; ".join(notes),
    }
