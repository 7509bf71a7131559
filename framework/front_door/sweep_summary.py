"""The end of a sweep (``nn-train -m``): one table of every job — its number, the swept values,
how it ended, the final and best monitored metric, its directory — best first, and the one
``nn-board`` command that opens the whole sweep. Torch-free: it reads each job's metrics.json."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from framework.callbacks.metrics_file import FILENAME
from framework.cli.console import number, print_table
from framework.front_door.monitor import metric_mode

# keys that name files or places, not choices: left out of job directory names
NOT_SWEPT = ("imports", "ckpt_path", "data.path")


@dataclass
class Job:
    num: int
    swept: str
    directory: Path


def swept_values(task_overrides: list[str], fixed_keys: set[str]) -> str:
    """A job's directory label: its overrides minus those every job of the sweep shares (the
    command line's single values), ``/`` made safe for a file name."""
    kept = []
    for item in task_overrides:
        key = item.split("=", 1)[0].lstrip("+~")
        if key in fixed_keys or key in NOT_SWEPT or key.startswith("hydra."):
            continue
        kept.append(item.lstrip("+~").replace("/", "-"))
    return ",".join(kept)


def print_sweep_summary(jobs: list[Job], monitor: str) -> None:
    rows = []
    for job in jobs:
        result = _read(job.directory / FILENAME)
        rows.append(
            [
                job.num,
                job.swept or "-",
                result.get("status", "failed"),
                result.get("final"),
                result.get("best"),
                _relative(job.directory),
            ]
        )
    sign = -1.0 if metric_mode(monitor) == "max" else 1.0

    def order(row: list) -> tuple:
        best = row[4]
        missing = best is None or (isinstance(best, float) and math.isnan(best))
        return (missing, 0.0 if missing else sign * best, row[0])

    rows.sort(key=order)
    print()
    print_table(
        f"Sweep: {len(jobs)} job(s), best {monitor} first",
        [
            ("job", "right"),
            "swept values",
            "status",
            (f"final {monitor}", "right"),
            (f"best {monitor}", "right"),
            "directory",
        ],
        [[str(r[0]), r[1], r[2], number(r[3]), number(r[4]), r[5]] for r in rows],
    )
    root = Path(os.path.commonpath([str(j.directory.resolve()) for j in jobs]))
    if len(jobs) == 1:
        root = root.parent
    print(f"Sweep directory: {root}")
    print(f"TensorBoard:     nn-board {_relative(root)}", flush=True)


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
