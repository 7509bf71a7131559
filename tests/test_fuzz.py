"""Random command lines and random CSV files: nn-train either trains or exits non-zero with a
message — never a hang, never a traceback, never a lost run directory."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FAST = [
    "trainer.max_epochs=1",
    "trainer.limit_train_batches=2",
    "trainer.limit_val_batches=1",
    "trainer.limit_test_batches=1",
    "log=minimal",
]
KEYS = [
    "activation",
    "loss",
    "model",
    "data",
    "optimizer",
    "trainer",
    "experiment",
    "monitor",
    "threshold",
    "seed",
    "optimizer.lr",
    "model.hidden",
    "data.batch_size",
    "activation.alpha",
    "activation.negative_slope",
    "loss.reduction",
    "data.val_fraction",
    "imports",
    "ckpt_path",
    "trainer.max_epochs",
    "model.dropout",
    "nonsense",
    "+extra",
    "~seed",
]
VALUES = st.one_of(
    st.sampled_from(
        [
            "relu",
            "elu",
            "mse",
            "mlp",
            "rnn",
            "digits",
            "xor",
            "adam",
            "sgd",
            "cpu",
            "xor",
            "val/acc",
            "null",
            "true",
            "[]",
            "[8,4]",
            "[0]",
            "abc",
            "-1",
            "0",
            "1e30",
            "0.5",
            "nan",
            "{a:1}",
            "'quoted'",
            "[x.py]",
        ]
    ),
    st.integers(-5, 300).map(str),
    st.text(alphabet="abcxyz019_.-/=,[]{}:'\" ", min_size=0, max_size=12),
)
OVERRIDE = st.tuples(st.sampled_from(KEYS), VALUES).map(lambda kv: f"{kv[0]}={kv[1]}")


def _assert_clean(result: subprocess.CompletedProcess, run: Path, existed: bool) -> None:
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    if result.returncode != 0:
        assert result.stderr.strip(), "a failure must say why"
    if existed:
        assert run.is_dir(), "a failed run must not delete the run directory"


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(overrides=st.lists(OVERRIDE, min_size=1, max_size=3))
def test_random_overrides(tmp_path: Path, overrides: list[str]) -> None:
    run = tmp_path / "run"
    existed = run.is_dir()
    result = run_cli("nn-train", *FAST, *overrides, "hydra.run.dir=run", cwd=tmp_path, timeout=240)
    _assert_clean(result, run, existed)


CELL = st.one_of(
    st.integers(-100, 100).map(str),
    st.floats(allow_nan=True, allow_infinity=False, width=32).map(lambda f: f"{f:.3g}"),
    st.sampled_from(["", "a", "b", "NaN", "x y", "1,5"]),
)


@pytest.mark.slow
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    header=st.lists(st.sampled_from(["a", "b", "c", "y", "label", ""]), min_size=1, max_size=4),
    rows=st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=0, max_size=40),
    target=st.sampled_from(["y", "label", "a", "missing"]),
)
def test_random_csv(tmp_path: Path, header: list[str], rows: list[list[str]], target: str) -> None:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    (run / "keep.txt").write_text("an earlier run's file")
    result = run_cli(
        "nn-train",
        *FAST,
        "data=csv",
        "data.path=data.csv",
        f"data.target={target}",
        "hydra.run.dir=run",
        cwd=tmp_path,
        timeout=240,
    )
    _assert_clean(result, run, True)
    assert (run / "keep.txt").read_text() == "an earlier run's file"
