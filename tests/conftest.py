"""Shared fixtures. The suite is hermetic: no network, CPU only (CUDA tests are marked)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

BENT = """\
import torch
from framework import ActivationFunction, register_activation

@register_activation("bent_identity")
class BentIdentity(ActivationFunction):
    @staticmethod
    def forward(x):
        return (torch.sqrt(x * x + 1) - 1) / 2 + x

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x / (2 * torch.sqrt(x * x + 1)) + 1)
"""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    import torch

    if not torch.cuda.is_available():
        skip = pytest.mark.skip(reason="needs a CUDA device")
        for item in items:
            if "cuda" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _private_check_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """`nn-plugins check` results go to a temporary cache, not the user's home."""
    cache = tmp_path_factory.getbasetemp() / "nn-plugins-checks.json"
    monkeypatch.setenv("NN_PLUGINS_CACHE", str(cache))


@pytest.fixture
def bent_file(tmp_path: Path) -> Path:
    """The contract's ten-line custom activation, as a user writes it."""
    path = tmp_path / "bent.py"
    path.write_text(BENT)
    return path


@pytest.fixture
def bad_bent_file(tmp_path: Path) -> Path:
    """The same activation with a backward that is wrong for x <= 1."""
    path = tmp_path / "bent.py"
    path.write_text(BENT.replace("+ 1)\n", "+ (x > 1))\n"))
    return path


def run_cli(*args: str, cwd: Path, env: dict | None = None, timeout: float = 300):
    """Run one of the project's console scripts in a subprocess, as a user would."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    full_env.pop("HYDRA_FULL_ERROR", None)
    cmd = [str(BIN / args[0]), *args[1:]]
    return subprocess.run(
        cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )
