"""Tables on the terminal, plain text when piped.

On a terminal a table is drawn by rich, with a box and colours. Piped into a file, ``grep`` or
another program, it is plain text: a title line, a header line and one line per row, the columns
aligned with spaces, no box-drawing characters, no colour codes, never wrapped.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable, Sequence
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

# A cell: plain text (printed as is, brackets included), or a rich Text carrying a colour.
Cell = str | Text
# A column: its header, or (header, "left" | "right").
ColumnSpec = str | tuple[str, str]


def is_terminal(file: TextIO | None = None) -> bool:
    """Whether ``file`` (default: stdout) is an interactive terminal."""
    file = sys.stdout if file is None else file
    isatty = getattr(file, "isatty", None)
    return bool(isatty and isatty())


def print_table(
    title: str | None,
    columns: Sequence[ColumnSpec],
    rows: Iterable[Sequence[Cell] | None],
    file: TextIO | None = None,
) -> None:
    """Print one table to ``file`` (default: stdout): boxed and coloured on a terminal, plain
    aligned text otherwise. A row of ``None`` starts a new section (a rule on the terminal, a
    blank line in plain text)."""
    file = sys.stdout if file is None else file
    terminal = is_terminal(file)
    table = Table(title=title, title_justify="center" if terminal else "left")
    if not terminal:
        table.box = None
        table.pad_edge = False
        table.title_style = ""
        table.header_style = ""
    for spec in columns:
        header, justify = (spec, "left") if isinstance(spec, str) else spec
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        if row is None and terminal:
            table.add_section()
        elif row is None:
            table.add_row()  # a blank line
        else:
            table.add_row(*(Text(c) if isinstance(c, str) else c for c in row))
    if terminal:
        Console(file=file, highlight=False).print(table)
        return
    buffer = io.StringIO()
    Console(file=buffer, width=100_000, color_system=None, highlight=False).print(table)
    file.write("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))


def number(value: float | int | None) -> str:
    """A metric for a table cell: 4 decimals, 3 significant digits when tiny, blank if none."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3g}"
