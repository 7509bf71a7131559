"""Every command answers ``--version`` with this project's version and the torch, lightning and
hydra-core versions (not Hydra's own ``--version`` text), at once: nothing heavy is imported."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from conftest import run_cli

COMMANDS = ("nn-train", "nn-plugins", "nn-board", "nn-bench", "nn-predict", "nn-export")


@pytest.mark.parametrize("command", COMMANDS)
def test_version_names_the_project_and_its_libraries(tmp_path: Path, command: str) -> None:
    result = run_cli(command, "--version", cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.strip().splitlines()
    assert first == f"{command} {metadata.version('nn-plugins-framework')} (nn-plugins-framework)"
    for library in ("torch", "lightning", "hydra-core"):
        assert f"{library} {metadata.version(library)}" in second
    assert "Hydra " not in result.stdout  # Hydra's own answer is "Hydra 1.3.x"


@pytest.mark.parametrize("module", ["framework.train", "framework.plugins", "framework.bench"])
def test_version_imports_no_torch(tmp_path: Path, module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", module, "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "torch" not in imported
    assert "lightning" not in imported
