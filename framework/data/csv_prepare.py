"""A CSV (or Parquet) file to prepared features, torch-free: read (``framework.data.table``),
choose the columns and encode them (``framework.data.features``). ``CSVDataModule`` and
``data.report_only`` both call ``prepare_csv``, so the report shows what training does."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from framework.data.features import Prepared, prepare, select_columns
from framework.data.table import is_parquet, read_csv_table, read_parquet_table
from framework.data.user import existing_file

Split = Callable[[np.ndarray, str], dict[str, np.ndarray]]


def csv_options(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The reader's and the column logic's options from the ``data`` config keys."""
    delimiter = str(data.get("delimiter", "auto"))
    table = {
        "delimiter": "\t" if delimiter in ("tab", "\\t") else delimiter,
        "encoding": str(data.get("encoding", "auto")),
        "na_values": [str(v) for v in data.get("na_values") or ()],
    }
    if data.get("name") == "parquet":
        table["format"] = "parquet"
    columns = {
        "features": [str(f) for f in data.get("features") or ()],
        "drop": [str(d) for d in data.get("drop") or ()],
        "missing": str(data.get("missing", "fill")),
        "max_categories": int(data.get("max_categories", 50)),
    }
    return table, columns


def prepare_csv(
    path: str,
    target: str,
    task: str,
    split: Split,
    table_options: dict[str, Any],
    column_options: dict[str, Any],
) -> Prepared:
    """Read ``path`` and prepare its features; the report starts with how the file was read."""
    options = {k: v for k, v in table_options.items() if k != "format"}
    if table_options.get("format") == "parquet" or is_parquet(path):
        existing_file(path, "Parquet")
        table = read_parquet_table(path)
    else:
        existing_file(path, "CSV")
        table = read_csv_table(path, **options)
    columns = select_columns(
        list(table.frame.columns),
        target,
        column_options["features"],
        column_options["drop"],
        table.source,
    )
    prepared = prepare(
        table.frame,
        target,
        columns,
        task=task,
        missing=column_options["missing"],
        max_categories=column_options["max_categories"],
        na_values=table_options["na_values"],
        split=split,
        source=table.source,
        where=table.where,
    )
    prepared.report = {
        "file": str(path),
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "comment_lines": table.comment_lines,
        **prepared.report,
    }
    return prepared
