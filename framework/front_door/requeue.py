"""A SLURM job that comes back after a requeue continues where it stopped.

``cluster=slurm`` asks SLURM for Lightning's requeue signal (``USR1`` two minutes before the
time limit): Lightning saves ``hpc_ckpt_N.ckpt`` in the run directory and requeues the job with
``scontrol requeue``; the time limit's SIGTERM then makes the clean stop (``last.ckpt`` at that
step). SLURM starts the same job again (``SLURM_RESTART_COUNT`` ≥ 1), in the same directory: the
run continues from the newer of the two checkpoints, exactly as ``ckpt_path=`` would, instead of
being refused as a directory that holds a run or starting over. Torch-free.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

HPC_PATTERN = "hpc_ckpt_*.ckpt"  # Lightning's name for the checkpoint of its requeue signal


def is_requeued(env: Mapping[str, str] = os.environ) -> bool:
    """Whether this process is a SLURM job started again after a requeue."""
    try:
        return int(env.get("SLURM_RESTART_COUNT", "0") or 0) > 0
    except ValueError:
        return False


def requeued_checkpoint(run_dir: Path, env: Mapping[str, str] = os.environ) -> Path | None:
    """For a requeued SLURM job, the newest checkpoint its earlier attempt left in ``run_dir``
    (``checkpoints/last.ckpt`` or Lightning's ``hpc_ckpt_N.ckpt``); else ``None``."""
    if not is_requeued(env):
        return None
    candidates = [run_dir / "checkpoints" / "last.ckpt", *run_dir.glob(HPC_PATTERN)]
    found = [p for p in candidates if p.is_file()]
    return max(found, key=lambda p: p.stat().st_mtime_ns) if found else None
