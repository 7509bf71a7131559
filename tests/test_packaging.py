"""A non-editable install finds conf/ and experiments/ from anywhere (they ship in the wheel)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT


@pytest.mark.slow
def test_wheel_ships_configs_and_runs_outside_the_repository(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "framework/conf/config.yaml" in names
    assert "framework/experiments/xor.yaml" in names
    assert "plugins/activations/relu.py" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import framework.paths as p; print(p.CONF_DIR, p.EXPERIMENTS_DIR)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.split() == [
        str(site / "framework" / "conf"),
        str(site / "framework" / "experiments"),
    ]
    composed = subprocess.run(
        [sys.executable, "-m", "framework.train", "experiment=xor", "--cfg", "job"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert composed.returncode == 0, composed.stderr
    assert "threshold: 0.01" in composed.stdout and "name: sigmoid" in composed.stdout
