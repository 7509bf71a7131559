"""Shared fixtures. The suite is hermetic: no network, CPU only (CUDA tests are marked)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
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


# A ReLU that sends its own process the signal named by $SIGNAL at its $SIGNAL_AT_CALL-th call on
# an input requiring grad (a training step), twice if $SIGNAL_TWICE: a kill, Ctrl-C or SIGTERM at
# a known step. (digits: 1257 training samples, batch 64 -> 20 steps per epoch; two hidden
# activations -> two calls per step: call 61 falls in the middle of the second epoch.)
SIGNALLER = """\
import os, signal
import torch
from framework import ActivationFunction, register_activation

CALLS = [0]

@register_activation("signal_relu")
class SignalReLU(ActivationFunction):
    @staticmethod
    def forward(x):
        if x.requires_grad:  # a training step (forward itself runs without grad mode)
            CALLS[0] += 1
            if CALLS[0] == int(os.environ.get("SIGNAL_AT_CALL", "0")):
                sig = getattr(signal, os.environ["SIGNAL"])
                os.kill(os.getpid(), sig)
                if os.environ.get("SIGNAL_TWICE"):
                    os.kill(os.getpid(), sig)
        return x.clamp_min(0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * (y > 0)
"""
SIGNAL_AT_CALL = "61"


def signalling_run(tmp_path: Path) -> list[str]:
    """nn-train overrides of a small, deterministic digits run with the SIGNALLER activation
    (its file written into ``tmp_path``)."""
    (tmp_path / "signaller.py").write_text(SIGNALLER)
    return [
        "imports=[signaller.py]",
        "activation=signal_relu",
        "seed=3",
        "trainer.deterministic=true",
        "trainer.max_epochs=3",
        "model.hidden=[32,16]",
        "log=minimal",
    ]


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


def start_and_stop_board(cwd: Path, env: dict[str, str], *args: str) -> str:
    """Start ``nn-board ARGS``, wait until TensorBoard answers, stop it as Ctrl-C (SIGTERM)
    would; returns what it printed."""
    proc = subprocess.Popen(
        [str(BIN / "nn-board"), *args],
        cwd=cwd,
        env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", first)
        assert url, first + (proc.stdout.read() if proc.poll() is not None else "")
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"nn-board exited: {first}{proc.stdout.read()}"
            try:
                with urllib.request.urlopen(url.group(0), timeout=2) as response:
                    assert response.status == 200
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("TensorBoard did not answer within 90 s")
                time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, first + rest
    assert "nn-board: stopped" in rest
    return first + rest
