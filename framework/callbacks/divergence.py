"""Stop a run whose loss or gradients stop being finite, with a message that says where and why.

Lightning's ModelCheckpoint saves nothing when training fails, so the last good checkpoint stays
as it was; nn-train then exits non-zero with this message.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from framework.errors import TrainingError


class DivergenceGuard(L.Callback):
    """Raises ``TrainingError`` at the first non-finite training loss or gradient."""

    def __init__(self, lr: float | None = None) -> None:
        self.lr = lr
        self._params: list[tuple[str, torch.nn.Parameter]] = []

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # looked up once an epoch: walking the module tree each step costs more than the check
        self._params = list(pl_module.named_parameters())

    def on_train_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if isinstance(loss, torch.Tensor) and not torch.isfinite(loss).all():
            self._stop(trainer, "train/loss", float(loss.detach()))

    def on_after_backward(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        params = self._params or list(pl_module.named_parameters())
        grads = [(name, p.grad) for name, p in params if p.grad is not None]
        if not grads:
            return
        # One reduction a step: the sum of every gradient is finite when each one is. (A sum
        # of finite values may still overflow: the exact check per parameter decides then.)
        sums = [g.sum() for _, g in grads]
        if len({s.device for s in sums}) == 1 and torch.stack(sums).sum().isfinite():
            return
        for name, grad in grads:
            if not torch.isfinite(grad).all():
                self._stop(trainer, f"the gradient of {name.removeprefix('model.')}", None)

    def _stop(self, trainer: L.Trainer, what: str, value: float | None) -> None:
        shown = f" = {value}" if value is not None else " is not finite"
        lr = f" (optimizer.lr={self.lr:g})" if self.lr is not None else ""
        from framework.callbacks.last_checkpoint import LastCheckpoint

        written = [
            c.path for c in trainer.callbacks if isinstance(c, LastCheckpoint) and c.path.is_file()
        ]
        last = str(written[0]) if written else ""
        kept = (
            f"The last good checkpoint is kept: {last}."
            if last
            else "No checkpoint had been written yet."
        )
        raise TrainingError(
            f"training diverged at step {trainer.global_step} (epoch {trainer.current_epoch}): "
            f"{what}{shown}. Likely causes: a learning rate too high{lr} (try a smaller "
            f"optimizer.lr, or trainer.gradient_clip_val=1.0), or non-finite or unscaled values "
            f"in the data. {kept}"
        )
