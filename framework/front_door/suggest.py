"""Close matches for a misspelt name, and the paragraphs that name them. Imports no torch."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from framework.contract.signature import REQUIRED


def edit_distance(a: str, b: str) -> int:
    """Damerau–Levenshtein distance (insertions, deletions, substitutions, swaps of neighbours)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def closest(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates one typo away from ``word`` (a letter added, dropped, changed or two
    swapped), else ``difflib``'s close matches; best first."""
    pool = sorted(set(map(str, candidates)))
    word = str(word)
    one_off = [c for c in pool if edit_distance(word.lower(), c.lower()) <= 1 and c != word]
    if one_off:
        return one_off[:n]
    close = difflib.get_close_matches(word, pool, n=n, cutoff=0.6)
    # learning_rate -> lr: a name spelt out whose initials are the valid one (or the reverse)
    short = [c for c in pool if _initials(word) == c or _initials(c) == word]
    return list(dict.fromkeys(close + short))[:n]


def _initials(name: str) -> str:
    parts = [p for p in name.split("_") if p]
    return "".join(p[0] for p in parts) if len(parts) > 1 else ""


def did_you_mean(words: list[str], prefix: str = "", quote: bool = False) -> str:
    if not words:
        return ""
    shown = [repr(prefix + w) if quote else prefix + w for w in words]
    return f" Did you mean {' or '.join(shown)}?"


def unknown_name_message(kind: str, name: object, valid: list[str]) -> str:
    """One paragraph naming the bad plugin name, its close matches and every valid name."""
    return (
        f"Unknown {kind} {name!r}.{did_you_mean(closest(str(name), valid), quote=True)} "
        f"Valid {kind} names: {', '.join(valid)}. "
        f"A plugin defined in your own file or module must be imported first "
        f"(imports=[my_plugins.py] for nn-train, --imports for nn-plugins)."
    )


def unknown_option_message(group: str, value: object, valid: list[str]) -> str:
    """``group=value`` names no option of a config group."""
    if group in ("activation", "loss"):
        return unknown_name_message(group, value, valid)
    hint = did_you_mean(closest(str(value), valid), quote=True)
    return f"Unknown {group} {value!r}.{hint} Valid options for {group}=: {', '.join(valid)}."


def unknown_param_message(
    group: str, name: str, param: str, params: dict[str, Any], prefix: str | None = None
) -> str:
    """A plugin has no parameter ``param``: the close match and every parameter."""
    prefix = f"{group}." if prefix is None else prefix
    hint = did_you_mean(closest(param, list(params), n=1), prefix)
    listed = ", ".join(
        f"{k} (required)" if v is REQUIRED else f"{k} (default {v!r})" for k, v in params.items()
    )
    return f"{group} {name!r} has no parameter {param!r}.{hint} Its parameters: {listed or 'none'}."
