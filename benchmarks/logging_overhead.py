"""What the TensorBoard content costs: the default experiment with full logging (``log=default``)
against ``log=off``, run side by side, alternating, in one invocation.

    .venv/bin/python benchmarks/logging_overhead.py              # 3 runs of each
    .venv/bin/python benchmarks/logging_overhead.py --repeats 5 trainer.max_epochs=10

Each run is a whole ``nn-train`` process (start-up included, as a user waits for it). Prints the
median (and the fastest) wall-clock and CPU seconds of each variant and their ratios; the target
is a median wall-clock ratio of at most 1.15. On a machine shared with other work, wall-clock
times scatter widely; ``--threads 1`` (one torch thread in both variants, so no thread spins
waiting for a busy core) makes the CPU-time ratio a steady measure of the work logging adds.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VARIANTS = {"full": ["log=default"], "off": ["log=off"]}
TARGET = 1.15


def run_once(
    overrides: list[str], workdir: Path, name: str, env: dict[str, str]
) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one ``nn-train`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "framework.train", *overrides, f"hydra.run.dir={name}"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"nn-train {' '.join(overrides)} failed:\n{result.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each variant (default 3)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("overrides", nargs="*", help="extra nn-train overrides for both variants")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if args.threads:
        env.update(OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    times: dict[str, list[tuple[float, float]]] = {v: [] for v in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="logging_overhead_") as tmp:
        for i in range(args.repeats):
            order = list(VARIANTS) if i % 2 == 0 else list(reversed(VARIANTS))
            for variant in order:
                overrides = [*VARIANTS[variant], *args.overrides]
                wall, cpu = run_once(overrides, Path(tmp), f"{variant}{i}", env)
                times[variant].append((wall, cpu))
                n = f"{i + 1}/{args.repeats}"
                print(f"run {n} {variant:>4}: {wall:6.2f} s wall, {cpu:6.2f} s CPU", flush=True)
    for label, pick in (("median", statistics.median), ("fastest", min)):
        summary = {v: [pick(t[k] for t in times[v]) for k in (0, 1)] for v in VARIANTS}
        for v in VARIANTS:
            print(f"{label} {v:>4}: {summary[v][0]:6.2f} s wall, {summary[v][1]:6.2f} s CPU")
        wall_ratio = summary["full"][0] / summary["off"][0]
        cpu_ratio = summary["full"][1] / summary["off"][1]
        verdict = "within" if wall_ratio <= TARGET else "ABOVE"
        target = f" ({verdict} target {TARGET})" if label == "median" else ""
        print(f"{label} ratio full/off: {wall_ratio:.3f} wall{target}, {cpu_ratio:.3f} CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
