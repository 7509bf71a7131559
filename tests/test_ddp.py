"""Scale-out: Lightning DDP on CPU (gloo) with two processes, from the same experiment."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli
from tb import hparams_of, load_events, scalar_values


@pytest.mark.slow
def test_ddp_two_cpu_processes_match_single_process(tmp_path: Path, bent_file: Path) -> None:
    common = [f"imports=[{bent_file.name}]", "activation=bent_identity", "trainer.max_epochs=4"]
    ddp = run_cli(
        "nn-train",
        *common,
        "trainer=ddp",
        "trainer.accelerator=cpu",
        "trainer.devices=2",
        "data.batch_size=32",
        "hydra.run.dir=ddp",
        cwd=tmp_path,
        timeout=600,
    )
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    single = run_cli(
        "nn-train", *common, "data.batch_size=64", "hydra.run.dir=single", cwd=tmp_path
    )
    assert single.returncode == 0, single.stderr[-3000:]

    run = tmp_path / "ddp"
    # one run directory: checkpoints and TensorBoard written by rank 0 only
    assert (run / "checkpoints" / "last.ckpt").is_file()
    assert sorted(p.name for p in run.iterdir() if p.is_dir()) == [".hydra", "checkpoints"]
    events = load_events(run)
    assert hparams_of(events)[0]["activation"] == "bent_identity"  # imported in every worker
    # each process ran half of every epoch: 1257 training samples / 2 / 32 -> 20 steps
    assert len(scalar_values(events, "val/loss")) == 4
    ddp_acc = scalar_values(events, "test/acc")[-1]
    single_acc = scalar_values(load_events(tmp_path / "single"), "test/acc")[-1]
    assert ddp_acc > 0.9 and single_acc > 0.9
    assert abs(ddp_acc - single_acc) < 0.04
