"""``nn-train --help`` against a bare Hydra application's ``--help``, measured side by side.

Issue 14 asks for ``nn-train --help`` within 1.0 s and within 2x a bare Hydra app. Each command
runs ``--repeat`` times, alternating, in fresh processes; the median wall time of each is printed
with the ratio. Run: ``.venv/bin/python benchmarks/help_time.py [--repeat 7]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE_APP = """
import hydra

@hydra.main(version_base="1.3", config_path=None, config_name=None)
def main(cfg):
    pass

if __name__ == "__main__":
    main()
"""


def _time(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        (cwd / "bare_app.py").write_text(BARE_APP)
        commands = {
            "nn-train --help": [sys.executable, "-m", "framework.train", "--help"],
            "bare Hydra app --help": [sys.executable, "bare_app.py", "--help"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, cmd in commands.items():
                times[name].append(_time(cmd, cwd))
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    for name, median in medians.items():
        print(f"{name:24s} median {median:.3f} s  (min {min(times[name]):.3f} s)")
    ratio = medians["nn-train --help"] / medians["bare Hydra app --help"]
    print(f"ratio                    {ratio:.2f}x")


if __name__ == "__main__":
    main()
