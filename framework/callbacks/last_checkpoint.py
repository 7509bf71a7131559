"""``last.ckpt`` that really is the last: written at the end of every epoch, every
``checkpoint.every_n_train_steps`` steps, and at a clean stop (Ctrl-C, SIGTERM) after the step
in progress — whatever Lightning's own ``save_last`` does (under Lightning 2.6 it follows the
monitored metric: a run whose validation loss rose at the end kept an old epoch as "last").

On the first Ctrl-C or SIGTERM the run finishes its step, writes ``last.ckpt`` there and stops;
``nn-train`` then says where it stopped and how to resume, and exits 130 (SIGINT) or 143
(SIGTERM). A second signal stops at once.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import Checkpoint

SIGNAL_NAMES = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}


class LastCheckpoint(Checkpoint):
    """Keeps ``path`` (``checkpoints/last.ckpt``) current.

    A ``Checkpoint`` so that Lightning calls its epoch-end hook after the LightningModule's and
    after ModelCheckpoint has recorded the epoch's best: the file holds the whole epoch.
    """

    def __init__(self, path: Path, every_n_train_steps: int | None = None) -> None:
        self.path = Path(path)
        self.every = every_n_train_steps
        self.signum: int | None = None  # the stop signal received, if any
        self.stopped_at: tuple[int, int] | None = None  # (epoch, step) of the stop

    # -- what a run asks of it --------------------------------------------------------------
    @contextlib.contextmanager
    def stopping_on_signals(self) -> Iterator[None]:
        """While training: the first SIGINT or SIGTERM asks for a clean stop, a second one
        stops at once. (Signals can be caught in the main thread only.)"""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {s: signal.getsignal(s) for s in SIGNAL_NAMES}
        for s in SIGNAL_NAMES:
            signal.signal(s, self._on_signal)
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.signum is not None:  # the second one: no more waiting
            signal.signal(signum, signal.SIG_DFL)
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            signal.raise_signal(signum)
            return
        self.signum = signum
        print(
            f"\nnn-train: {SIGNAL_NAMES[signum]} received: stopping after this step, with a "
            f"checkpoint (again to stop at once)",
            file=sys.stderr,
            flush=True,
        )

    # -- Lightning hooks -------------------------------------------------------------------
    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if self.signum is not None and self.stopped_at is None:
            self._save(trainer)
            self.stopped_at = (trainer.current_epoch, trainer.global_step)
            trainer.should_stop = True
        elif self.every and trainer.global_step % self.every == 0:
            self._save(trainer)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.stopped_at is None:
            self._save(trainer)

    def _save(self, trainer: L.Trainer) -> None:
        if trainer.sanity_checking:
            return
        trainer.save_checkpoint(self.path, weights_only=False)  # whole state: resumable
