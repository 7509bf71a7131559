"""``nn-bench --scale``: a user's own table of 10k to 1M rows through ``nn-train`` (NPZ, CSV and
Parquet; default logging and ``log=off``) against a minimal Lightning script and a plain PyTorch
loop doing the same work (``benchmarks/table_reference.py``), one epoch at batch 32 (issue 21).

For every size: wall-clock seconds and peak resident memory of each process (``wait4``'s
``ru_maxrss``, the child alone; this process stays small, since a child starts from its
parent's peak), the readers' own time on the same file (this package's CSV and
Parquet readers, ``np.loadtxt``, ``np.load``), and the import floor (``python -c "import
lightning"``). The table is generated: 20 float features, 4 classes from a noisy linear rule.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
REFERENCE_SCRIPT = REPO / "benchmarks" / "table_reference.py"
FEATURES, CLASSES = 20, 4
#: the issue's targets, as ratios
TARGETS = {
    "lightning_ratio": 1.10,  # nn-train default ÷ minimal Lightning
    "log_ratio": 1.05,  # default ÷ log=off
    "csv_wall_ratio": 1.10,  # CSV run ÷ NPZ run
    "csv_rss_ratio": 1.25,
}


def parse_sizes(text: str) -> list[int]:
    """``"10k,100k,1M"`` → ``[10000, 100000, 1000000]``."""
    sizes = []
    for part in text.split(","):
        part = part.strip()
        scale = {"k": 1_000, "m": 1_000_000}.get(part[-1:].lower(), 1)
        number = part[:-1] if scale > 1 else part
        try:
            sizes.append(int(float(number) * scale))
        except ValueError:
            message = f"--scale {text!r}: {part!r} is not a row count like 10k or 1M"
            raise ValueError(message) from None
    if not sizes or min(sizes) < 100:
        raise ValueError(f"--scale {text!r}: give row counts of at least 100, e.g. 10k,100k,1M")
    return sizes


def make_table(rows: int, folder: Path) -> dict[str, Path]:
    """The same table as ``table.npz`` (``X``, ``y``), ``table.csv`` and ``table.parquet``
    (columns ``f0`` … ``f19``, ``y``); values rounded to 4 decimals so all three hold the same
    numbers."""
    rng = np.random.default_rng(0)
    x = np.round(rng.normal(size=(rows, FEATURES)), 4).astype(np.float32)
    weights = rng.normal(size=(FEATURES, CLASSES))
    y = np.argmax(x @ weights + rng.normal(scale=2.0, size=(rows, CLASSES)), axis=1)
    paths = {f: folder / f"table_{rows}.{f}" for f in ("npz", "csv", "parquet")}
    np.savez(paths["npz"], X=x, y=y)
    header = ",".join([*(f"f{i}" for i in range(FEATURES)), "y"])
    table = np.column_stack([x, y]).astype(np.float64)
    fmt = ["%.4f"] * FEATURES + ["%d"]
    np.savetxt(paths["csv"], table, fmt=fmt, delimiter=",", header=header, comments="")
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {f"f{i}": x[:, i] for i in range(FEATURES)} | {"y": y}
        pq.write_table(pa.table(columns), paths["parquet"])
    except ImportError:
        del paths["parquet"]
    return paths


def time_readers(paths: dict[str, Path]) -> dict[str, float]:
    """Seconds each reader takes over the same table (this package's readers first)."""
    from framework.data.table import read_csv_table, read_parquet_table

    readers: dict[str, Callable[[], Any]] = {
        "csv_reader": lambda: read_csv_table(paths["csv"]),
        "np_loadtxt": lambda: np.loadtxt(paths["csv"], delimiter=",", skiprows=1),
        "npz": lambda: np.load(paths["npz"])["X"],
    }
    if "parquet" in paths:
        readers["parquet_reader"] = lambda: read_parquet_table(paths["parquet"])
    out = {}
    for name, read in readers.items():
        start = time.perf_counter()
        read()
        out[f"{name}_s"] = time.perf_counter() - start
    return out


def prepare_in_child(rows: int, folder: Path) -> tuple[dict[str, Path], dict[str, float]]:
    """``make_table`` and ``time_readers`` in a fresh process; the paths and the times."""
    code = (
        "import json, sys; from pathlib import Path; "
        "from framework.verification.scale import make_table, time_readers; "
        f"paths = make_table({rows}, Path({str(folder)!r})); "
        "print(json.dumps({'paths': {k: str(v) for k, v in paths.items()}, "
        "'times': time_readers(paths)}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"making the {rows}-row table failed:\n{result.stderr[-2000:]}")
    made = json.loads(result.stdout.strip().splitlines()[-1])
    return {k: Path(v) for k, v in made["paths"].items()}, made["times"]


def measure(cmd: list[str], cwd: Path, log_file: Path) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of ``cmd`` run to the end (its own ``ru_maxrss``)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    start = time.perf_counter()
    with open(log_file, "w") as out:
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = log_file.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {process.returncode}):\n{tail}")
    return elapsed, usage.ru_maxrss / 1024  # KiB on Linux


def variants(paths: dict[str, Path], run_dir: Path) -> dict[str, list[str]]:
    """The processes measured at one size, by name."""
    python = sys.executable
    train = [python, "-m", "framework.train", "trainer.max_epochs=1"]
    table = {
        "npz": ["data=npz", f"data.path={paths['npz']}"],
        "csv": ["data=csv", f"data.path={paths['csv']}", "data.target=y"],
    }
    if "parquet" in paths:
        table["parquet"] = ["data=parquet", f"data.path={paths['parquet']}", "data.target=y"]
    out = {f"nn_train_{fmt}": [*train, *args] for fmt, args in table.items()}
    out["nn_train_npz_log_off"] = [*train, *table["npz"], "log=off"]
    reference = [python, str(REFERENCE_SCRIPT), "--path", str(paths["npz"])]
    out["lightning"] = [*reference, "--kind", "lightning", "--out", str(run_dir / "lightning")]
    out["plain"] = [*reference, "--kind", "plain"]
    out["imports"] = [python, "-c", "import lightning"]
    return out


def bench_scale(sizes: list[int], repeats: int, log: Callable[[str], None]) -> dict[str, Any]:
    """The scale section of the report: one row per size (medians over ``repeats``)."""
    if not REFERENCE_SCRIPT.exists():
        return {"skipped": f"{REFERENCE_SCRIPT} not found (run nn-bench from a source checkout)"}
    rows = []
    with tempfile.TemporaryDirectory(prefix="nn_bench_scale_") as tmp:
        folder = Path(tmp)
        for n in sizes:
            # made and read in a child: a child forked later inherits this process's peak
            # memory as its own ``ru_maxrss``, so this one never holds a table
            paths, read_times = prepare_in_child(n, folder)
            row: dict[str, Any] = {"rows": n, "table_mib": n * FEATURES * 4 / 2**20}
            row.update(read_times)
            runs = variants(paths, folder / f"runs_{n}")
            walls: dict[str, list[float]] = {k: [] for k in runs}
            peaks: dict[str, list[float]] = {k: [] for k in runs}
            for i in range(repeats):
                order = list(runs) if i % 2 == 0 else list(reversed(runs))
                for name in order:
                    cmd = list(runs[name])
                    if name.startswith("nn_train"):
                        cmd.append(f"hydra.run.dir={folder / f'runs_{n}' / f'{name}{i}'}")
                    wall, rss = measure(cmd, folder, folder / f"{name}_{n}.log")
                    walls[name].append(wall)
                    peaks[name].append(rss)
            for name in runs:
                row[f"{name}_s"] = float(np.median(walls[name]))
                row[f"{name}_mib"] = float(np.median(peaks[name]))
            row.update(ratios(row))
            log(
                f"scale {n:,} rows: nn-train {row['lightning_ratio']:.2f}× minimal Lightning, "
                f"{row['plain_ratio']:.2f}× plain, log {row['log_ratio']:.2f}×; "
                f"CSV {row['csv_wall_ratio']:.2f}× / {row['csv_rss_ratio']:.2f}× NPZ"
            )
            rows.append(row)
    return {"repeats": repeats, "targets": TARGETS, "rows": rows}


def ratios(row: dict[str, Any]) -> dict[str, float]:
    """The ratios the issue sets targets on, and the memory bound of an NPZ run."""
    out = {
        "lightning_ratio": row["nn_train_npz_s"] / row["lightning_s"],
        "plain_ratio": row["nn_train_npz_s"] / row["plain_s"],
        "log_ratio": row["nn_train_npz_s"] / row["nn_train_npz_log_off_s"],
        "csv_wall_ratio": row["nn_train_csv_s"] / row["nn_train_npz_s"],
        "csv_rss_ratio": row["nn_train_csv_mib"] / row["nn_train_npz_mib"],
        "csv_read_vs_loadtxt": row["csv_reader_s"] / row["np_loadtxt_s"],
        # peak of an NPZ run against the import floor plus twice the table's float32 bytes
        "npz_rss_bound_mib": row["imports_mib"] + 2 * row["table_mib"],
    }
    if "nn_train_parquet_s" in row:
        out["parquet_wall_ratio"] = row["nn_train_parquet_s"] / row["nn_train_npz_s"]
        out["parquet_rss_ratio"] = row["nn_train_parquet_mib"] / row["nn_train_npz_mib"]
    return out


def render_scale(scale: dict[str, Any]) -> None:
    """The scale section as a table on stdout."""
    if "skipped" in scale:
        print(f"scale: skipped ({scale['skipped']})")
        return
    print(f"\nScale: one epoch, batch 32, 20 features, 4 classes (medians of {scale['repeats']})")
    head = (
        "rows", "nn-train s", "÷Lightning", "÷plain", "÷log=off", "CSV÷NPZ wall", "CSV÷NPZ RSS",
        "Parquet÷NPZ wall", "NPZ RSS MiB (bound)", "CSV read÷loadtxt",
    )  # fmt: skip
    print(" | ".join(head))
    for r in scale["rows"]:
        parquet = f"{r['parquet_wall_ratio']:.2f}" if "parquet_wall_ratio" in r else "—"
        print(
            f"{r['rows']:,} | {r['nn_train_npz_s']:.1f} | {r['lightning_ratio']:.2f} | "
            f"{r['plain_ratio']:.2f} | {r['log_ratio']:.2f} | {r['csv_wall_ratio']:.2f} | "
            f"{r['csv_rss_ratio']:.2f} | {parquet} | "
            f"{r['nn_train_npz_mib']:.0f} ({r['npz_rss_bound_mib']:.0f}) | "
            f"{r['csv_read_vs_loadtxt']:.2f}"
        )
