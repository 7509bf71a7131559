"""The data report of a ``data=csv`` run: what was read and what every column became.

Printed as a table before training, written to the run directory as ``data.json`` and to
TensorBoard's Text tab (tag ``data``). ``data.report_only=true`` prints and writes it, then
stops: ``report_only`` runs without importing torch or Lightning.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, TextIO

from omegaconf import DictConfig

from framework.errors import ConfigError

REPORT_FILE = "data.json"
MAX_PRINTED_COLUMNS = 60  # more: the plain numeric columns are summed up in one line


def headline(report: dict[str, Any]) -> str:
    """One line: the file, rows read, kept and dropped, features."""
    rows = report["rows"]
    dropped = ", ".join(f"{n} ({why})" for why, n in rows["dropped"].items() if n)
    from framework.data.table import delimiter_name

    comments = report.get("comment_lines", 0)
    skipped = f", {comments} comment line(s) above the header skipped" if comments else ""
    how = (
        "Parquet"
        if report["encoding"] == "parquet"
        else f"{report['encoding']}, delimiter {delimiter_name(report['delimiter'])}{skipped}"
    )
    return (
        f"data: {report['file']} ({how}): {rows['read']} rows read, {rows['kept']} kept"
        + (f", dropped {dropped}" if dropped else "")
        + f"; {report['features']} features; missing values: data.missing={report['missing']}"
    )


def table_rows(report: dict[str, Any]) -> list[list[str]]:
    """The columns table: name, kind, missing count, features, note."""
    entries = report["columns"]
    plain = [e for e in entries if e["kind"] == "numeric" and not e["missing"] and not e["note"]]
    shown = entries
    if len(entries) > MAX_PRINTED_COLUMNS and plain:
        shown = [e for e in entries if e not in plain]
    rows = [[e["name"], e["kind"], str(e["missing"]), str(e["features"]), e["note"]] for e in shown]
    if shown is not entries:
        rows.append(
            [f"(+ {len(plain)} more)", "numeric", "0", str(len(plain)), "complete numeric columns"]
        )
    return rows


def target_lines(report: dict[str, Any]) -> list[str]:
    """The target: its task and classes (with an imbalance warning) or its range."""
    target = report["target"]
    if "classes" in target:
        counts = ", ".join(f"{k}: {v}" for k, v in target["classes"].items())
        lines = [f"target {target['name']!r}: {target['task']}, class counts {counts}"]
        if "warning" in target:
            lines.append(f"warning: {target['warning']}")
        return lines
    return [
        f"target {target['name']!r}: regression, mean {target['mean']:.6g}, std "
        f"{target['std']:.6g}, range {target['min']:.6g} .. {target['max']:.6g}"
    ]


def print_report(report: dict[str, Any], file: TextIO | None = None) -> None:
    """The report on the terminal (plain text when piped)."""
    import sys

    from framework.cli.console import print_table

    file = sys.stdout if file is None else file
    print(headline(report), file=file)
    print_table(
        "columns",
        ["column", "kind", ("missing", "right"), ("features", "right"), "note"],
        table_rows(report),
        file=file,
    )
    for line in target_lines(report):
        print(line, file=file)
    file.flush()


def report_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown (TensorBoard's Text tab renders it)."""
    lines = [
        headline(report),
        "",
        "| column | kind | missing | features | note |",
        "|---|---|---|---|---|",
    ]
    for row in table_rows(report):
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    lines += ["", *target_lines(report)]
    return "\n".join(lines)


def write_report(report: dict[str, Any], run_dir: Path) -> Path:
    """``data.json`` in ``run_dir``."""
    path = Path(run_dir) / REPORT_FILE
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def publish(datamodule: Any, run_dir: Path) -> list[Any]:
    """Print and write the report of a data module that has one (``data=csv``), on rank 0
    only; returns the callback that puts it in TensorBoard's Text tab (none for other data)."""
    import os

    report = getattr(datamodule, "report", None)
    if not report:
        return []
    if int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", 0))) == 0:
        print_report(report)
        write_report(report, run_dir)
    from framework.callbacks.text import TextCallback

    return [TextCallback("data", report_markdown(report))]


def report_only(cfg: DictConfig, run_dir: Path) -> float:
    """``data.report_only=true``: prepare the data as training would (same split, same fill
    values), print and write the report, train nothing. Imports neither torch nor Lightning."""
    from framework.data.csv_prepare import csv_options, prepare_csv
    from framework.data.split import split_rows

    data = cfg.data
    if data.get("streaming"):
        raise ConfigError(
            "data.report_only=true reads the whole file to report on every column, which "
            "data.streaming=true is there to avoid; run the report on a sample of the file, or "
            "train with data.streaming=true (its one pass logs the rows, features and task)"
        )
    fractions = float(data.val_fraction), float(data.test_fraction)

    def split(y: Any, task: str) -> Any:
        return split_rows(y, task, *fractions, int(cfg.seed))

    prepared = prepare_csv(
        str(data.path), str(data.target), str(data.get("task", "auto")), split, *csv_options(data)
    )
    print_report(prepared.report)
    path = write_report(prepared.report, run_dir)
    print(f"data.report_only=true: nothing trained; the report is also in {path}")
    return math.nan
