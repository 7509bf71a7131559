"""Atomic checkpoint writes: a checkpoint file is either the old one or the complete new one.

Lightning's ``TorchCheckpointIO`` writes straight into the destination, so a crash mid-write
leaves a truncated ``last.ckpt``. This one writes a temporary file in the same directory, flushes
it to disk and renames it over the destination (atomic on POSIX file systems).
"""

from __future__ import annotations

import errno
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from framework.errors import WriteError
from framework.training.temporary import temporary_beside


class AtomicCheckpointIO(TorchCheckpointIO):
    """``TorchCheckpointIO`` with write-to-temporary-then-rename, and ``weights_only`` loading."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | os.PathLike, storage_options: Any = None
    ) -> None:
        if storage_options is not None:
            raise TypeError("AtomicCheckpointIO takes no storage_options")
        path = Path(path)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = temporary_beside(path)
            with os.fdopen(fd, "wb") as f:
                torch.save(checkpoint, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            raise WriteError(write_failure(path, exc)) from None
        except BaseException:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            raise

    def load_checkpoint(
        self, path: str | os.PathLike, map_location: Any = None, weights_only: bool | None = None
    ) -> dict[str, Any]:
        from framework.training.checkpoint import read_checkpoint

        return read_checkpoint(path, map_location=map_location or "cpu")


# what a failed write of a run's files looks like (as opposed to a file that cannot be read)
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EFBIG})


def write_failure(path: Path, exc: OSError) -> str:
    """One paragraph for a checkpoint that could not be written: where, why, the free space,
    and the last good checkpoint with the command that resumes from it."""
    return (
        f"cannot write the checkpoint {path} ({_why(path.parent, exc)}); nothing partial was left "
        f"behind. {_last_good(path.parent)}"
    )


def log_write_failure(run_dir: Path, exc: OSError) -> str:
    """One paragraph for a log (TensorBoard events, CSV, metrics) that could not be written."""
    return (
        f"cannot write the run's logs in {run_dir} ({_why(run_dir, exc)}); the TensorBoard "
        f"events written before this are readable. {_last_good(run_dir / 'checkpoints')}"
    )


@contextmanager
def quiet_write_errors_in_threads() -> Iterator[None]:
    """A full disk seen by a writer thread (TensorBoard's) is not printed as that thread's
    traceback: the thread hands it to the run, which reports it as one paragraph."""
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if not (isinstance(args.exc_value, OSError) and args.exc_value.errno in WRITE_ERRNOS):
            previous(args)

    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = previous


def _why(folder: Path, exc: OSError) -> str:
    reason = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)
    try:
        free = f"{shutil.disk_usage(folder).free / 2**20:.1f} MiB free there"
    except OSError:
        free = "its free space unknown"
    return f"{reason or type(exc).__name__}; {free}"


def _last_good(folder: Path) -> str:
    good = sorted(
        (p for p in folder.glob("*.ckpt") if p.is_file()), key=lambda p: p.stat().st_mtime
    )
    if not good:
        return "No checkpoint was written before it."
    return (
        f"The last good checkpoint is intact: {good[-1]}; once there is room, resume with: "
        f"nn-train ckpt_path={good[-1]}"
    )


def reliability_callbacks(cfg: Any) -> list[Any]:
    """RNG states in checkpoints and a stop at the first non-finite loss or gradient."""
    from framework.callbacks.divergence import DivergenceGuard
    from framework.callbacks.rng_state import RNGStateCallback

    return [RNGStateCallback(), DivergenceGuard(lr=cfg.optimizer.get("lr"))]
