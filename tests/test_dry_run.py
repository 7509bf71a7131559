"""A plugin whose backward returns the wrong shape or dtype is named before training starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

WRONG = """\
from framework import ActivationFunction, register_activation

@register_activation("wrong_shape")
class WrongShape(ActivationFunction):
    @staticmethod
    def forward(x):
        return x * 2

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad_output):
        return 2 * grad_output.sum(0)

@register_activation("wrong_dtype")
class WrongDtype(ActivationFunction):
    @staticmethod
    def forward(x):
        return x * 2

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad_output):
        return (2 * grad_output).double()
"""


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("wrong_shape", "gradient for x of shape (128,) and dtype torch.float32, but x has shape"),
        ("wrong_dtype", "dtype torch.float64, but x has shape (64, 128) and dtype torch.float32"),
    ],
)
def test_wrong_backward_is_named_before_training(tmp_path: Path, name: str, expected: str) -> None:
    (tmp_path / "wrong.py").write_text(WRONG)
    result = run_cli(
        "nn-train",
        "imports=[wrong.py]",
        f"activation={name}",
        "log=minimal",
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith(f"nn-train: error: activation plugin '{name}'")
    assert expected in message and "one-batch dry run before training" in message
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run" / "checkpoints").exists()  # stopped before any training
