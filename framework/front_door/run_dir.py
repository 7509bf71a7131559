"""Where a run writes: a directory it claims for itself before anything is written.

Hydra names a run's directory by the time it started (``outputs/DATE/HH-MM-SS``) and creates it
with ``exist_ok=True``, so runs started in the same second share one directory and overwrite each
other's checkpoints. ``nn-train`` claims the directory first, with an atomic ``mkdir`` (also on
a shared file system): when the time's name is taken, the next free one (``HH-MM-SS_1``, ``_2``
…) is used, and said. A directory given with ``hydra.run.dir=D`` that already holds a run is
refused unless ``overwrite=true`` (its old files are removed first) or the run is continued
(``ckpt_path=D/checkpoints/last.ckpt``, or a SLURM job requeued into its own directory:
``framework.front_door.requeue``). Torch-free: it runs before Hydra composes.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from framework.errors import ConfigError
from framework.front_door.requeue import HPC_PATTERN, is_requeued

RUN_PATTERN = ("outputs", "%Y-%m-%d", "%H-%M-%S")
SWEEP_PATTERN = ("multirun", "%Y-%m-%d", "%H-%M-%S")
# what a run writes into its directory (removed by overwrite=true; anything else is left)
RUN_FILES = (
    ".hydra",
    "checkpoints",
    "metrics.json",
    "train.log",
    "hparams.yaml",
    "csv",
    "mlruns",
    "network.png",
    "data.json",
)
EVENTS = "events.out.tfevents.*"
GLOBS = (EVENTS, HPC_PATTERN)  # files of a run found by pattern


def is_worker_process() -> bool:
    """A process Lightning (or torchrun, SLURM) started for a rank other than 0: it joins the
    directory rank 0 claimed and never claims one of its own."""
    return any(os.environ.get(v, "0") not in ("", "0") for v in ("LOCAL_RANK", "RANK", "NODE_RANK"))


def holds_run(directory: Path) -> bool:
    """Whether ``directory`` holds what a run leaves (a config, checkpoints, events …)."""
    if not directory.is_dir():
        return False
    return (
        any((directory / name).exists() for name in RUN_FILES)
        or any(path for pattern in GLOBS for path in directory.glob(pattern))
        or (directory / "multirun.yaml").is_file()
    )


def describe_run(directory: Path) -> str:
    """``"a run that completed at epoch 20 (val/loss 0.0812)"``, from its metrics.json."""
    try:
        m = json.loads((directory / "metrics.json").read_text())
    except (OSError, ValueError):
        ckpt = directory / "checkpoints" / "last.ckpt"
        return "a run" + (f" with checkpoints ({ckpt})" if ckpt.is_file() else "")
    value = m.get("best")
    metric = f", best {m.get('monitor')} {value:.4g}" if isinstance(value, float) else ""
    return f"a run that ended {m.get('status', '?')} at epoch {m.get('epoch')}{metric}"


def claim(pattern: tuple[str, ...], now: float | None = None) -> Path:
    """Create the first free directory named by ``pattern`` (strftime parts) and the time,
    adding ``_1``, ``_2`` … when it is taken. Atomic: two processes never get the same one."""
    stamp = time.localtime(now)
    base = Path(*(time.strftime(part, stamp) for part in pattern))
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(unwritable(base.parent, exc)) from None
    for n in range(10_000):
        candidate = base if n == 0 else base.with_name(f"{base.name}_{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise ConfigError(unwritable(candidate, exc)) from None
        return candidate
    raise ConfigError(f"no free run directory next to {base} (10,000 taken)")


def prepare_explicit(directory: Path, overwrite: bool, resuming: bool) -> None:
    """``hydra.run.dir=D`` (or ``hydra.sweep.dir=D``): refuse a directory holding a run, unless
    the run continues there or ``overwrite=true``; create it, or say why it cannot be."""
    if holds_run(directory) and not resuming:
        if not overwrite:
            raise ConfigError(
                f"{directory} already holds {describe_run(directory)}; a new run there would "
                f"mix its files with the old ones. Choose another directory "
                f"(hydra.run.dir=...), continue that run with "
                f"ckpt_path={directory / 'checkpoints' / 'last.ckpt'}, or replace it with "
                f"overwrite=true (its old files are removed first)"
            )
        remove_run(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".nn-train-write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise ConfigError(unwritable(directory, exc)) from None


def remove_run(directory: Path) -> None:
    """What an earlier run wrote into ``directory`` (``overwrite=true``)."""
    for name in RUN_FILES:
        path = directory / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
    for pattern in GLOBS:
        for path in directory.glob(pattern):
            path.unlink()
    for job in directory.iterdir():  # a sweep's jobs
        if job.is_dir() and (job / ".hydra").is_dir():
            shutil.rmtree(job)
    (directory / "multirun.yaml").unlink(missing_ok=True)


def unwritable(path: Path, exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    blocker = next((p for p in [path, *path.parents] if p.exists()), None)
    why = ""
    if blocker is not None and not blocker.is_dir():
        why = f" ({blocker} is a file, not a directory)"
    elif blocker is not None and not os.access(blocker, os.W_OK):
        why = f" ({blocker} is not writable)"
    return (
        f"cannot create the run directory {path}: {reason}{why}. Give a directory you can "
        f"write to with hydra.run.dir=DIR (hydra.sweep.dir=DIR for a sweep)"
    )


def place(argv: list[str], multirun: bool, wants_help: bool) -> list[str]:
    """The overrides that put this run (or sweep) in a directory of its own, created now: a
    claimed time-named one, or the ``hydra.run.dir``/``hydra.sweep.dir`` given, checked."""
    if wants_help or is_worker_process():
        return []
    given = {a.partition("=")[0].lstrip("+~"): a.partition("=")[2] for a in argv if "=" in a}
    multirun = multirun or _sweeps_by_config(given)
    overwrite = given.get("overwrite", "false").lower() == "true"
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    if key in given:
        directory = Path(given[key]).expanduser()
        ckpt = given.get("ckpt_path", "")
        resuming = bool(ckpt) and not multirun and _inside(Path(ckpt).expanduser(), directory)
        resuming = resuming or (is_requeued() and not overwrite)  # SLURM runs the job again
        prepare_explicit(directory, overwrite, resuming)
        return []
    directory = claim(SWEEP_PATTERN if multirun else RUN_PATTERN)
    wanted = Path(time.strftime(str(Path(*(SWEEP_PATTERN if multirun else RUN_PATTERN)))))
    if directory.name != wanted.name and directory.parent == wanted.parent:
        print(f"nn-train: {wanted} is taken (a run started in the same second): using {directory}")
    return [f"{key}={directory}"]


def _sweeps_by_config(given: dict[str, str]) -> bool:
    """A sweep without ``-m``: ``hparams_search=…``, or an experiment that sets
    ``hydra.mode: MULTIRUN`` (``experiment=activation_sweep``)."""
    from omegaconf import OmegaConf

    from framework.paths import EXPERIMENTS_DIR

    if given.get("hparams_search") or given.get("hydra.mode") == "MULTIRUN":
        return True
    path = EXPERIMENTS_DIR / f"{given.get('experiment')}.yaml"
    if "experiment" not in given or not path.is_file():
        return False
    return OmegaConf.select(OmegaConf.load(path), "hydra.mode") == "MULTIRUN"


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True
