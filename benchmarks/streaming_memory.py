"""A Parquet table larger than the 1M-row one through ``data.streaming=true``: peak memory stays
that of the smaller file, since only a row group is held (issue 21, item 6).

Writes generated tables of 1M and 10M rows (20 float features, 4 classes, row groups of 100,000
rows, drawn as ``nn-bench --scale``'s tables are) and runs ``nn-train`` on each, streaming, for
the same number of steps (``trainer.limit_train_batches``, ``limit_val_batches``,
``limit_test_batches``); the 1M-row file also whole (``data.streaming=false``). Prints each run's
wall time and peak RSS (its own ``ru_maxrss``), and the ratios.

    .venv/bin/python benchmarks/streaming_memory.py            # 1M and 10M rows (~4 min)
    .venv/bin/python benchmarks/streaming_memory.py --rows 100k,1M
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from framework.verification.scale import CLASSES, FEATURES, measure, parse_sizes

GROUP = 100_000
STEPS = 2_000


def write_table(rows: int, path: Path) -> None:
    """``rows`` rows in row groups of ``GROUP``, written a group at a time (never whole)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    weights = rng.normal(size=(FEATURES, CLASSES))
    writer = None
    for start in range(0, rows, GROUP):
        n = min(GROUP, rows - start)
        x = np.round(rng.normal(size=(n, FEATURES)), 4).astype(np.float32)
        y = np.argmax(x @ weights + rng.normal(scale=2.0, size=(n, CLASSES)), axis=1)
        table = pa.table({**{f"f{i}": x[:, i] for i in range(FEATURES)}, "y": y})
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=GROUP)
    assert writer is not None
    writer.close()


def run(path: Path, folder: Path, name: str, streaming: bool) -> dict[str, float]:
    cmd = [
        sys.executable, "-m", "framework.train", "data=parquet", f"data.path={path}",
        "data.target=y", f"data.streaming={str(streaming).lower()}", "trainer.max_epochs=1",
        f"trainer.limit_train_batches={STEPS}", "trainer.limit_val_batches=20",
        "trainer.limit_test_batches=20", "log=minimal", f"hydra.run.dir={folder / name}",
    ]  # fmt: skip
    wall, rss = measure(cmd, folder, folder / f"{name}.log")
    return {"wall_s": wall, "peak_rss_mib": rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="1M,10M", help="two sizes, smaller first")
    args = parser.parse_args()
    small, big = parse_sizes(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = {n: folder / f"table_{n}.parquet" for n in (small, big)}
        for n, path in paths.items():
            write_table(n, path)
            print(f"{n:,} rows: {path.stat().st_size / 2**20:.0f} MiB of Parquet", flush=True)
        results = {
            f"{small:,} whole": run(paths[small], folder, "small_whole", False),
            f"{small:,} streaming": run(paths[small], folder, "small_stream", True),
            f"{big:,} streaming": run(paths[big], folder, "big_stream", True),
        }
    print(f"\n{STEPS} training steps of batch 32 each (default MLP), 20 validation and 20 test "
          f"batches; one run each")  # fmt: skip
    print("run | wall s | peak RSS MiB")
    for name, r in results.items():
        print(f"{name} | {r['wall_s']:.1f} | {r['peak_rss_mib']:.0f}")
    a, b = results[f"{small:,} streaming"], results[f"{big:,} streaming"]
    whole = results[f"{small:,} whole"]
    ratio = b["peak_rss_mib"] / a["peak_rss_mib"]
    print(f"peak RSS {big:,} ÷ {small:,} rows, streaming: {ratio:.2f} (target ≤ 1.20)")
    print(f"{small:,} rows streaming ÷ whole: wall {a['wall_s'] / whole['wall_s']:.2f}, peak RSS "
          f"{a['peak_rss_mib'] / whole['peak_rss_mib']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
