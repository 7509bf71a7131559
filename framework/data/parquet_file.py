"""Your own table as Parquet: ``data=parquet data.path=FILE data.target=COLUMN``.

The same columns, encodings, missing-value handling, report and checks as ``data=csv``
(``framework.data.csv_file``), read through pyarrow with each column's type as written (no
delimiter or encoding to find). ``nn-predict`` takes Parquet files of raw rows the same way.
A file larger than memory: ``data.streaming=true`` (``framework.data.parquet_stream``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from framework.data.csv_file import CSVDataModule


class ParquetDataModule(CSVDataModule):
    """Features and one target column from a Parquet file."""

    file_format = "parquet"

    def __init__(
        self,
        path: str,
        target: str,
        task: str = "auto",
        missing: str = "fill",
        na_values: Sequence[str] = (),
        features: Sequence[str] = (),
        drop: Sequence[str] = (),
        max_categories: int = 50,
        report_only: bool = False,
        streaming: bool = False,
        **kwargs: Any,
    ) -> None:
        # streaming=True is framework.data.parquet_stream's (build_datamodule picks it)
        super().__init__(
            path, target, task, missing=missing, na_values=na_values, features=features,
            drop=drop, max_categories=max_categories, report_only=report_only, **kwargs,
        )  # fmt: skip
