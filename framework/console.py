"""Tables on the terminal: rich's boxes and colours on a terminal, plain aligned text when the
output is piped or redirected (no box-drawing characters, no escape codes)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, TextIO


def print_table(
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    file: TextIO | None = None,
) -> None:
    """Print ``rows`` under ``columns``; numbers right-aligned."""
    out = file or sys.stdout
    cells = [[_cell(v) for v in row] for row in rows]
    numeric = [
        all(_is_number(row[i]) for row in rows if row[i] not in (None, ""))
        for i in range(len(columns))
    ]
    if out.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for name, right in zip(columns, numeric, strict=True):
            table.add_column(name, justify="right" if right else "left", overflow="fold")
        for row in cells:
            table.add_row(*row)
        Console(file=out).print(table)
        return
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if right else v.ljust(w)
            for v, w, right in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    if title:
        print(title, file=out)
    print(line(list(columns)), file=out)
    print(line(["-" * w for w in widths]), file=out)
    for row in cells:
        print(line(row), file=out)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3g}"
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
