"""Scalars beyond the task's losses and metrics: the gradient norm, and the Custom Scalars
layout that puts training and validation loss on one chart."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from framework.callbacks.probes import logs_this_step, network, writer_of

# Custom Scalars tab: chart title -> tag regular expressions drawn together
LOSS_LAYOUT = {
    "loss": {
        "train vs validation loss (per epoch)": ["Multiline", ["^train/loss_epoch$", "^val/loss$"]],
        "train (per step) vs validation loss": ["Multiline", ["^train/loss$", "^val/loss$"]],
    },
    "metrics": {"validation metrics": ["Multiline", ["^val/(?!loss$)"]]},
}


class GradNormCallback(L.Callback):
    """``train/grad_norm``: the total 2-norm of all gradients before each optimizer step (before
    any clipping), logged like ``train/loss``."""

    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: Any
    ) -> None:
        # computed only on the steps whose values are written (trainer.log_every_n_steps)
        if not logs_this_step(trainer):
            return
        grads = [p.grad for p in network(pl_module).parameters() if p.grad is not None]
        if grads:
            norm = torch.nn.utils.get_total_norm(grads, norm_type=2.0)
            pl_module.log("train/grad_norm", norm, on_step=True, on_epoch=False)


class LossChartCallback(L.Callback):
    """Writes the Custom Scalars layout once, at the start of the run."""

    def __init__(self) -> None:
        self.done = False

    def _write(self, trainer: L.Trainer) -> None:
        writer = writer_of(trainer)
        if writer is not None and not self.done:
            writer.add_custom_scalars(LOSS_LAYOUT)
            self.done = True

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._write(trainer)
