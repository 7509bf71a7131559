"""Your own table: ``data=csv data.path=FILE data.target=COLUMN``.

A header row names the columns; ``data.features=[...]`` / ``data.drop=[...]`` choose the inputs
(default: every column but the target). Numbers are features as they are, dates become their
parts, text (categories) is one-hot encoded; missing values are filled (``data.missing=fill``),
or their rows dropped (``drop``), or refused (``error``). The target column decides the task
(``data.task=auto``): text or whole numbers with few distinct values are classes (label-encoded
in sorted order), other numbers regression targets. ``framework.data.table`` reads the file,
``framework.data.features`` turns it into features; ``report`` says what was decided.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from framework.data.base import TensorDataModule
from framework.data.csv_prepare import csv_options, prepare_csv

log = logging.getLogger(__name__)


class CSVDataModule(TensorDataModule):
    """Features and one target column from a CSV file with a header row."""

    #: the ``data.name`` whose reader ``prepare_csv`` uses (``csv_options``)
    file_format = "csv"

    def __init__(
        self,
        path: str,
        target: str,
        task: str = "auto",
        delimiter: str = "auto",
        encoding: str = "auto",
        missing: str = "fill",
        na_values: Sequence[str] = (),
        features: Sequence[str] = (),
        drop: Sequence[str] = (),
        max_categories: int = 50,
        report_only: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.path, self.target, self.requested_task = str(path), str(target), task
        self.table_options, self.column_options = csv_options(
            {
                "name": self.file_format,
                "delimiter": delimiter,
                "encoding": encoding,
                "na_values": na_values,
                "features": features,
                "drop": drop,
                "missing": missing,
                "max_categories": max_categories,
            }
        )
        self.delimiter = self.table_options["delimiter"]
        self.feature_names: list[str] = []
        # the input columns in order, and how each is encoded (framework.data.features)
        self.columns: list[dict] = []
        self.dropped_columns: list[str] = []
        self.report: dict[str, Any] | None = None

    def preprocessing(self) -> dict:
        """The standardisation, and the columns a raw row must have and how each is encoded."""
        return {
            **super().preprocessing(),
            "columns": self.columns,
            "target": self.target,
            "delimiter": self.delimiter,
            "dropped_columns": list(self.dropped_columns),
            "na_values": list(self.table_options["na_values"]),
        }

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        if self.fitted is not None and self.fitted.get("columns"):
            from framework.training.raw_input import read_labelled_csv

            assert self.fitted_info is not None
            x, y, dropped = read_labelled_csv(self.path, self.fitted, self.fitted_info)
            self.columns = self.fitted["columns"]
            log.info(
                "data: %s evaluated as the checkpoint prepares it: %d rows%s", self.path,
                len(x), f" ({dropped} without a target left out)" if dropped else "",
            )  # fmt: skip
            return x, y
        prepared = prepare_csv(
            self.path,
            self.target,
            self.requested_task,
            lambda y, task: _split(self, y, task),
            self.table_options,
            self.column_options,
        )
        self.task, self.class_names = prepared.task, prepared.class_names
        self.columns, self.feature_names = prepared.plan, prepared.feature_names
        self.dropped_columns = prepared.dropped_columns
        self.delimiter = prepared.report["delimiter"]
        self.split_indices = prepared.split
        self.report = prepared.report
        if self.class_names:
            log.info("data: classes of %r (index: value): %s", self.target, self.class_names)
        return prepared.x, prepared.y


def _split(module: TensorDataModule, y: np.ndarray, task: str) -> dict[str, np.ndarray]:
    module.task = task
    return module.split(y)
