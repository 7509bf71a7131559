"""Sweeps: one directory per job under one sweep directory; a failing job does not end the sweep."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

BOOM = '''\
from framework import ActivationFunction, register_activation

@register_activation("boom")
class Boom(ActivationFunction):
    """Raises in forward: a job using it fails at run time, after validation."""

    @staticmethod
    def forward(x):
        raise RuntimeError("boom in forward")

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output
'''


def test_failing_job_is_reported_and_the_others_complete(tmp_path: Path, bent_file) -> None:
    (tmp_path / "boom.py").write_text(BOOM)
    result = run_cli(
        "nn-train",
        "-m",
        "activation=bent_identity,boom,relu",
        f"imports=[{bent_file.name},boom.py]",
        "trainer.max_epochs=1",
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    jobs = sorted(p.name for p in (tmp_path / "sweep").iterdir() if p.is_dir())
    # one directory per job, named by its number and swept values (not the fixed overrides)
    assert jobs == [f"{i}_activation={a}" for i, a in enumerate(["bent_identity", "boom", "relu"])]
    for ok in (jobs[0], jobs[2]):
        assert (tmp_path / "sweep" / ok / "checkpoints" / "last.ckpt").is_file()
        assert list((tmp_path / "sweep" / ok).glob("events.out.tfevents.*"))
    assert "1 job(s) of the sweep failed" in result.stderr
    assert "job 1 (activation=boom) failed: RuntimeError: boom in forward" in result.stderr
    log = (tmp_path / "sweep" / jobs[1] / "train.log").read_text()
    assert "boom in forward" in log and "Traceback" in log
