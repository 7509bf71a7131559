"""Your own table: ``data=csv data.path=FILE data.target=COLUMN``.

A header row names the columns. Every other column is a feature: numbers as they are, text
(categories) one-hot encoded. The target column decides the task (``data.task=auto``): text or
whole numbers with few distinct values are classes (label-encoded in sorted order), other numbers
regression targets. Missing values are errors that name the column and line.
"""

from __future__ import annotations

import csv
import difflib
import logging
import math

import numpy as np

from framework.data.base import TensorDataModule
from framework.data.user import encode_targets, existing_file
from framework.errors import ConfigError

log = logging.getLogger(__name__)


class CSVDataModule(TensorDataModule):
    """Features and one target column from a CSV file with a header row."""

    def __init__(
        self, path: str, target: str, task: str = "auto", delimiter: str = ",", **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.path, self.target, self.requested_task = str(path), str(target), task
        self.delimiter = delimiter
        self.feature_names: list[str] = []
        # the input columns in order: {"name": …} for numbers, plus "categories" for text
        self.columns: list[dict] = []

    def preprocessing(self) -> dict:
        """The standardisation, and the columns a raw row must have and how each is encoded."""
        return {
            **super().preprocessing(),
            "columns": self.columns,
            "target": self.target,
            "delimiter": self.delimiter,
        }

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        header, rows, lines = self._read()
        self.feature_names, self.columns = [], []
        if self.target not in header:
            close = difflib.get_close_matches(self.target, header, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"data.target={self.target!r} is not a column of {self.path}.{hint} "
                f"Its columns: {', '.join(header)}"
            )
        columns = dict(zip(header, zip(*rows, strict=True), strict=True))
        features = []
        for name, values in columns.items():
            if name != self.target:
                features.append(self._feature(name, values, lines))
        if not features:
            raise ConfigError(
                f"{self.path} has no feature columns besides the target {self.target!r}"
            )
        y = self._target(columns[self.target], lines)
        y, self.task, self.class_names = encode_targets(
            y, self.requested_task, f"target column {self.target!r} of {self.path}"
        )
        if self.class_names:
            log.info("data: classes of %r (index: value): %s", self.target, self.class_names)
        return np.concatenate(features, axis=1), y

    def _read(self) -> tuple[list[str], list[list[str]], list[int]]:
        file = existing_file(self.path, "CSV")
        with file.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, delimiter=self.delimiter)
            header = [h.strip() for h in next(reader, [])]
            rows, lines = [], []
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue  # blank line
                if len(row) != len(header):
                    raise ConfigError(
                        f"{self.path}, line {reader.line_num}: {len(row)} fields, but the header "
                        f"has {len(header)} ({', '.join(header)}); delimiter "
                        f"{self.delimiter!r} (set data.delimiter=… for another)"
                    )
                rows.append([cell.strip() for cell in row])
                lines.append(reader.line_num)
        if not any(header):
            raise ConfigError(f"data.path={self.path!r}: the file is empty (no header row)")
        repeated = sorted({h for h in header if header.count(h) > 1})
        if repeated:
            raise ConfigError(f"{self.path}: the header repeats column(s) {', '.join(repeated)}")
        if not rows:
            raise ConfigError(f"{self.path} has a header ({', '.join(header)}) but no data rows")
        return header, rows, lines

    def _feature(self, name: str, values: tuple[str, ...], lines: list[int]) -> np.ndarray:
        """One numeric column, or the one-hot columns of a text (categorical) column."""
        what = f"column {name!r}"
        self._no_blanks(what, values, lines)
        numbers = [_number(v) for v in values]
        if _mostly_numbers(numbers):
            self.feature_names.append(name)
            self.columns.append({"name": name})
            return self._numeric(what, values, numbers, lines).reshape(-1, 1)
        categories = sorted(set(values))
        if len(categories) > 50:
            log.warning("data: column %r is text with %d categories", name, len(categories))
        self.feature_names += [f"{name}={c}" for c in categories]
        self.columns.append({"name": name, "categories": list(categories)})
        index = {c: i for i, c in enumerate(categories)}
        return np.eye(len(categories), dtype=np.float32)[[index[v] for v in values]]

    def _target(self, values: tuple[str, ...], lines: list[int]) -> np.ndarray:
        """Whole numbers as int64, other numbers as float64, else text."""
        what = f"target column {self.target!r}"
        self._no_blanks(what, values, lines)
        numbers = [_number(v) for v in values]
        if not _mostly_numbers(numbers):
            return np.array(values)
        floats = self._numeric(what, values, numbers, lines)
        if all(_is_int(v) for v in values):
            return floats.astype(np.int64)
        return floats

    def _numeric(
        self, what: str, values: tuple[str, ...], numbers: list[float | None], lines: list[int]
    ) -> np.ndarray:
        for value, number, line in zip(values, numbers, lines, strict=True):
            if number is None:
                raise ConfigError(
                    f"{self.path}: {what} holds numbers, but line {line} holds "
                    f"{value!r}, which is not a number; fix or drop that row"
                )
            if not math.isfinite(number):
                raise ConfigError(
                    f"{self.path}: {what}, line {line}: {value!r} is a missing or "
                    f"infinite value (NaN/inf); fill it in or drop that row"
                )
        return np.array(numbers, dtype=np.float64)

    def _no_blanks(self, what: str, values: tuple[str, ...], lines: list[int]) -> None:
        for value, line in zip(values, lines, strict=True):
            if value == "":
                raise ConfigError(
                    f"{self.path}: {what}, line {line} is empty (a missing value); "
                    f"fill it in or drop that row"
                )


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _mostly_numbers(numbers: list[float | None]) -> bool:
    """A column is numeric if most of its values are numbers (the rest are then errors)."""
    return 2 * sum(n is not None for n in numbers) > len(numbers)
