"""A run's data is safe: its own directory, a last.ckpt that is the last epoch, clean stops on
Ctrl-C and SIGTERM, a resume that knows its run, bounded event files, file-system failures in one
paragraph."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
from pathlib import Path

import pytest
import torch
from conftest import BIN, SIGNAL_AT_CALL, run_cli, signalling_run
from tb import load_events


def _metrics(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())


def _claim_in(args: tuple[str, float, multiprocessing.Barrier]) -> str:
    cwd, now, barrier = args
    from framework.front_door.run_dir import RUN_PATTERN, claim

    os.chdir(cwd)
    barrier.wait()
    return str(claim(RUN_PATTERN, now=now))


def test_runs_claiming_the_same_second_get_their_own_directories(tmp_path: Path) -> None:
    n = 6
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Manager().Barrier(n)
    with ctx.Pool(n) as pool:
        claimed = pool.map(_claim_in, [(str(tmp_path), 1_800_000_000.0, barrier)] * n)
    assert len(set(claimed)) == n
    base = Path(claimed[0]).name.split("_")[0]
    assert sorted(Path(c).name for c in claimed) == [base] + [f"{base}_{i}" for i in range(1, n)]


@pytest.mark.slow
def test_runs_started_together_write_their_own_runs(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [str(BIN / "nn-train"), f"seed={s}", "data=iris", "trainer.max_epochs=1", "log=off"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for s in range(4)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
    runs = sorted((tmp_path / "outputs").glob("*/*"))
    assert len(runs) == 4
    seeds = set()
    for run in runs:
        seeds.add(_config_seed(run))
        assert (run / "checkpoints" / "last.ckpt").is_file()
        assert len(list(run.glob("events.out.tfevents.*"))) >= 1
        assert _metrics(run)["status"] == "completed"
    assert seeds == {0, 1, 2, 3}


def _config_seed(run: Path) -> int:
    from omegaconf import OmegaConf

    return int(OmegaConf.load(run / ".hydra" / "config.yaml").seed)


@pytest.mark.slow
def test_reusing_a_run_directory_is_refused_and_overwrite_replaces_it(tmp_path: Path) -> None:
    args = ["data=iris", "trainer.max_epochs=1", "log=off", "hydra.run.dir=run"]
    assert run_cli("nn-train", *args, cwd=tmp_path).returncode == 0
    first = sorted(p.name for p in (tmp_path / "run").glob("events.out.tfevents.*"))
    again = run_cli("nn-train", *args, "seed=7", cwd=tmp_path)
    assert again.returncode == 2
    message = again.stderr.strip().splitlines()[-1]
    assert "run already holds a run that ended completed at epoch 1" in message
    assert "ckpt_path=run/checkpoints/last.ckpt" in message and "overwrite=true" in message
    assert sorted(p.name for p in (tmp_path / "run").glob("events.out.tfevents.*")) == first
    assert _config_seed(tmp_path / "run") == 42  # untouched
    replaced = run_cli("nn-train", *args, "seed=7", "overwrite=true", cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr[-2000:]
    now = sorted(p.name for p in (tmp_path / "run").glob("events.out.tfevents.*"))
    assert not set(now) & set(first)  # the old events were removed, not mixed in
    assert _config_seed(tmp_path / "run") == 7


@pytest.mark.slow
def test_last_ckpt_is_the_last_epoch_when_validation_loss_rose(tmp_path: Path) -> None:
    # a big network on 105 iris flowers with a large step: validation loss rises at the end
    result = run_cli(
        "nn-train",
        "data=iris",
        "model.hidden=[256,256]",
        "optimizer.lr=0.03",
        "trainer.max_epochs=40",
        "log=off",
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    m = _metrics(tmp_path / "run")
    val = m["metrics"]["val/loss"]
    assert val["best_epoch"] < 39 and val["final"] > val["best"]  # it did rise
    last = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)
    best = torch.load(tmp_path / "run" / "checkpoints" / "best.ckpt", weights_only=True)
    assert last["epoch"] == 39 and last["global_step"] == m["step"]
    assert best["epoch"] == val["best_epoch"]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_stops_cleanly_and_the_resume_is_exact(
    tmp_path: Path, name: str, code: int
) -> None:
    args = signalling_run(tmp_path)
    alone = run_cli("nn-train", *args, "hydra.run.dir=alone", cwd=tmp_path)
    assert alone.returncode == 0, alone.stderr[-3000:]
    # digits: 20 steps an epoch, two activation calls a step; call 61 is in step 31
    stopped = run_cli(
        "nn-train",
        *args,
        "hydra.run.dir=stopped",
        cwd=tmp_path,
        env={"SIGNAL_AT_CALL": SIGNAL_AT_CALL, "SIGNAL": name},
    )
    assert stopped.returncode == code, stopped.stderr[-3000:]
    last = tmp_path / "stopped" / "checkpoints" / "last.ckpt"
    step = torch.load(last, weights_only=True)["global_step"]
    assert 20 < step < 40  # in the middle of the second epoch, where the signal came
    message = stopped.stderr.strip().splitlines()[-1]
    assert message == (
        f"nn-train: stopped by {'Ctrl-C (SIGINT)' if name == 'SIGINT' else 'SIGTERM'} at epoch "
        f"1, step {step}. The checkpoint at that point is {last.resolve()}; resume exactly there "
        f"with: nn-train ckpt_path={last.resolve()}"
    )
    assert "Traceback" not in stopped.stderr
    assert _metrics(tmp_path / "stopped")["status"] == "interrupted"
    # the resume command as printed: the run's own config comes from its directory
    resumed = run_cli("nn-train", f"ckpt_path={last.resolve()}", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    a = torch.load(tmp_path / "alone" / "checkpoints" / "last.ckpt", weights_only=True)
    b = torch.load(last, weights_only=True)
    assert a["global_step"] == b["global_step"] == 60
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), key


@pytest.mark.slow
def test_a_second_ctrl_c_stops_at_once(tmp_path: Path) -> None:
    stopped = run_cli(
        "nn-train",
        *signalling_run(tmp_path),
        "hydra.run.dir=run",
        cwd=tmp_path,
        env={"SIGNAL_AT_CALL": SIGNAL_AT_CALL, "SIGNAL": "SIGINT", "SIGNAL_TWICE": "1"},
    )
    assert stopped.returncode == 130
    assert _metrics(tmp_path / "run")["status"] == "interrupted"


@pytest.mark.slow
def test_resume_takes_the_run_config_and_refuses_changes(tmp_path: Path) -> None:
    first = run_cli(
        "nn-train", "experiment=moons", "trainer.max_epochs=2", "hydra.run.dir=m", cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr[-2000:]
    ckpt = "ckpt_path=m/checkpoints/last.ckpt"
    more = run_cli("nn-train", ckpt, "trainer.max_epochs=4", cwd=tmp_path)
    assert more.returncode == 0, more.stderr[-2000:]
    assert _metrics(tmp_path / "m")["epoch"] == 4
    assert torch.load(tmp_path / "m/checkpoints/last.ckpt", weights_only=True)["epoch"] == 3
    assert not (tmp_path / "outputs").exists()  # continued in its own directory
    changed = run_cli("nn-train", ckpt, "model.hidden=[8]", "data=iris", cwd=tmp_path)
    assert changed.returncode == 2
    message = changed.stderr.strip().splitlines()[-1]
    assert "model.hidden: [32, 32] in the run, [8] now" in message
    assert "data: 'moons' in the run, 'iris' now" in message
    reached = run_cli("nn-train", ckpt, "trainer.max_epochs=4", cwd=tmp_path)
    assert reached.returncode == 2
    assert "already trained 4 epoch(s)" in reached.stderr
    assert "set trainer.max_epochs to more than 4" in reached.stderr
    assert "Traceback" not in changed.stderr + reached.stderr


@pytest.mark.slow
def test_long_runs_thin_their_pictures_and_histograms(tmp_path: Path) -> None:
    from framework.callbacks.schedule import on_schedule

    kept = [i for i in range(1000) if on_schedule(i)]
    assert kept[:12] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20] and len(kept) == 28
    result = run_cli(
        "nn-train",
        "experiment=xor",
        "threshold=null",
        "trainer.max_epochs=250",
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    acc = load_events(tmp_path / "run")
    images = {t: len(acc.Images(t)) for t in acc.Tags()["images"]}
    # boundary every 5 epochs: draws 0..49 thinned to 0-9, 10, 20, 30, 40, plus the last
    assert images["decision_boundary"] == 15
    # a confusion matrix for validations 0-9, 10, 20 … 90, 100, 200, plus the last (249)
    assert images["confusion_matrix/val"] == 22
    histograms = {t: len(acc.Histograms(t)) for t in acc.Tags()["histograms"]}
    steps = _metrics(tmp_path / "run")["step"]  # histograms every 50 steps, thinned
    expected = sum(on_schedule(i) for i in range((steps - 1) // 50 + 1))
    assert steps > 1000 and set(histograms.values()) == {expected} and expected < 30
    size = sum(p.stat().st_size for p in (tmp_path / "run").glob("events.out.tfevents.*"))
    assert size < 2_000_000
    # train.log does not grow by a line an epoch (Lightning's note on each checkpoint's save)
    log = (tmp_path / "run" / "train.log").read_text()
    assert "weights_only" not in log and len(log.splitlines()) < 100


def test_an_unwritable_run_directory_is_one_paragraph(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    result = run_cli("nn-train", "hydra.run.dir=file/run", cwd=tmp_path)
    assert result.returncode == 2
    message = result.stderr.strip()
    assert message.startswith("nn-train: error: cannot create the run directory file/run")
    assert "is a file, not a directory" in message and "Traceback" not in message


# ENOSPC at the checkpoint writer: after the first epoch's checkpoint, torch.save fails as on a
# full disk (loaded through sitecustomize in the training process only).
FULL_DISK = """\
import errno, torch
_save, _calls = torch.save, [0]
def save(obj, f, *args, **kwargs):
    _calls[0] += 1
    if _calls[0] > 2:  # best.ckpt and last.ckpt of epoch 0 are written
        raise OSError(errno.ENOSPC, "No space left on device")
    return _save(obj, f, *args, **kwargs)
torch.save = save
"""


@pytest.mark.slow
def test_a_full_disk_is_one_paragraph_and_the_last_good_checkpoint_loads(tmp_path: Path) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(FULL_DISK)
    result = run_cli(
        "nn-train",
        "data=iris",
        "trainer.max_epochs=3",
        "log=off",
        "hydra.run.dir=run",
        cwd=tmp_path,
        env={"PYTHONPATH": str(hook)},
    )
    assert result.returncode == 2
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("nn-train: error: cannot write the checkpoint ")
    assert "the disk is full" in message and "MiB free there" in message
    assert "The last good checkpoint is intact" in message and "nn-train ckpt_path=" in message
    assert "Traceback" not in result.stderr
    checkpoints = tmp_path / "run" / "checkpoints"
    assert not list(checkpoints.glob(".*.tmp"))  # no partial file
    from framework import load_model

    assert load_model(checkpoints / "last.ckpt") is not None
    assert _metrics(tmp_path / "run")["status"] == "failed"


# a single-task SLURM job as Lightning sees one (no cluster here: the variables SLURM sets)
SLURM = {
    "SLURM_NTASKS": "1",
    "SLURM_NTASKS_PER_NODE": "1",
    "SLURM_JOB_ID": "4242",
    "SLURM_JOB_NAME": "nn-train",
    "SLURM_NODELIST": "localhost",
    "SLURM_PROCID": "0",
    "SLURM_LOCALID": "0",
    "SLURM_NODEID": "0",
}


@pytest.mark.slow
def test_lightnings_requeue_signal_saves_an_hpc_checkpoint_in_the_run(tmp_path: Path) -> None:
    """Under SLURM, USR1 is Lightning's requeue signal: it saves hpc_ckpt_1.ckpt where the
    signal came and asks scontrol to requeue (absent here: a warning) while training goes on."""
    done = run_cli(
        "nn-train",
        *signalling_run(tmp_path),
        "hydra.run.dir=job",
        cwd=tmp_path,
        env={**SLURM, "SIGNAL_AT_CALL": SIGNAL_AT_CALL, "SIGNAL": "SIGUSR1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    hpc = tmp_path / "job" / "hpc_ckpt_1.ckpt"
    assert 20 < torch.load(hpc, weights_only=True)["global_step"] < 40


@pytest.mark.slow
def test_a_requeued_slurm_job_continues_in_its_own_directory(tmp_path: Path) -> None:
    """The time limit's SIGTERM stops the job cleanly; SLURM starts the same command again
    (SLURM_RESTART_COUNT=1) in the same directory: it continues from the checkpoint at the stop
    and ends where an uninterrupted run ends. Without the restart count the directory is
    refused, as for any run."""
    args = [*signalling_run(tmp_path), "hydra.run.dir=job"]
    stopped = run_cli(
        "nn-train",
        *args,
        cwd=tmp_path,
        env={**SLURM, "SIGNAL_AT_CALL": SIGNAL_AT_CALL, "SIGNAL": "SIGTERM"},
    )
    assert stopped.returncode == 143, stopped.stderr[-3000:]
    last = tmp_path / "job" / "checkpoints" / "last.ckpt"
    assert 20 < torch.load(last, weights_only=True)["global_step"] < 40
    refused = run_cli("nn-train", *args, cwd=tmp_path, env=SLURM)
    assert refused.returncode != 0 and "already holds" in refused.stderr
    again = run_cli("nn-train", *args, cwd=tmp_path, env={**SLURM, "SLURM_RESTART_COUNT": "1"})
    assert again.returncode == 0, again.stderr[-3000:]
    assert (
        "SLURM requeued this job: continuing from" in (tmp_path / "job" / "train.log").read_text()
    )
    assert torch.load(last, weights_only=True)["global_step"] == 60
    assert _metrics(tmp_path / "job")["status"] == "completed"


# ENOSPC at TensorBoard's event writer, once the first epoch's checkpoint is on disk (TensorBoard
# writes from a thread of its own and raises the error at the next event the run logs)
FULL_DISK_EVENTS = """\
import errno, os
from tensorboard.summary.writer import record_writer
_write = record_writer.RecordWriter.write
def write(self, data):
    if os.path.exists(os.path.join("run", "checkpoints", "last.ckpt")):
        raise OSError(errno.ENOSPC, "No space left on device")
    return _write(self, data)
record_writer.RecordWriter.write = write
"""


@pytest.mark.slow
def test_a_full_disk_under_the_event_writer_is_one_paragraph(tmp_path: Path) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(FULL_DISK_EVENTS)
    result = run_cli(
        "nn-train",
        "data=iris",
        "trainer.max_epochs=3",
        "hydra.run.dir=run",
        cwd=tmp_path,
        env={"PYTHONPATH": str(hook)},
    )
    assert result.returncode == 2, result.stderr[-3000:]
    message = result.stderr.strip().splitlines()[-1]
    run = (tmp_path / "run").resolve()
    assert message.startswith(f"nn-train: error: cannot write the run's logs in {run} ")
    assert "the disk is full" in message and "MiB free there" in message
    assert "The last good checkpoint is intact" in message and "nn-train ckpt_path=" in message
    assert "Traceback" not in result.stderr
    assert _metrics(tmp_path / "run")["status"] == "failed"
    from framework import load_model

    assert load_model(tmp_path / "run" / "checkpoints" / "last.ckpt") is not None


@pytest.mark.slow
def test_a_runs_files_are_as_readable_as_files_created_plainly(tmp_path: Path) -> None:
    """Checkpoints and metrics.json are written to a temporary file and renamed; they keep the
    permissions of a plainly created file (umask 022: rw-r--r--), not mkstemp's rw-------."""
    done = run_cli("nn-train", "data=iris", "trainer.max_epochs=1", "log=off",
                   "hydra.run.dir=run", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    run = tmp_path / "run"
    plain = (run / ".hydra" / "config.yaml").stat().st_mode & 0o777
    for path in (run / "checkpoints" / "last.ckpt", run / "checkpoints" / "best.ckpt",
                 run / "metrics.json"):  # fmt: skip
        assert path.stat().st_mode & 0o777 == plain, path
