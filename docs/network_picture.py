"""Make docs/network.png, the README's picture of the network learning moons: trains
``experiment=moons`` (seed 42) in a temporary directory and copies the run's ``network.png``.

    .venv/bin/python docs/network_picture.py [OUTPUT]     # default: docs/network.png
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent / "network.png"


def make(output: Path) -> Path:
    """Train moons and copy the last network picture to ``output``."""
    with tempfile.TemporaryDirectory(prefix="network_picture_") as tmp:
        run = Path(tmp) / "run"
        subprocess.run(
            [sys.executable, "-m", "framework.train", "experiment=moons", "seed=42",
             "log=minimal", "log.network=true", f"hydra.run.dir={run}"],
            cwd=tmp, check=True, capture_output=True, text=True,
        )  # fmt: skip
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(run / "network.png", output)
    return output


if __name__ == "__main__":
    print(make(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT))
