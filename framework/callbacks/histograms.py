"""The Histograms tab: weights, biases and gradients of every layer, and what each hidden layer
computes on a fixed validation batch, every ``every_n_steps`` optimizer steps, thinning as the run
grows (framework/callbacks/schedule.py)."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import nn

from framework.callbacks.probes import (
    datamodule_loader,
    evaluating,
    named_activations,
    network,
    take,
    writer_of,
)
from framework.callbacks.schedule import on_schedule
from framework.callbacks.torch_histogram import add_histogram

BATCH = 256  # examples in the fixed validation batch
# TensorBoard redraws a histogram from ~30 buckets; 64 equal bins cost a quarter of the default
# exponential ("tensorflow") ones
BINS = 64


class HistogramCallback(L.Callback):
    """Tags: ``weights/0.weight``, ``weights/0.bias``, ``grads/0.weight`` … (parameter names of
    the network) and ``preactivations/layer1``, ``activations/layer1`` … (the input and the
    output of each activation module on the same validation batch every time)."""

    def __init__(self, every_n_steps: int) -> None:
        self.every_n_steps = every_n_steps
        self.batch: torch.Tensor | None = None

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if writer_of(trainer) is None:
            return
        taken = take(datamodule_loader(trainer, "val"), BATCH)
        self.batch = taken[0] if taken is not None else None

    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: Any
    ) -> None:
        # before the step: the gradients are there and the weights are those they belong to
        step = trainer.global_step
        writer = writer_of(trainer)
        if (
            writer is None
            or step % self.every_n_steps
            or not on_schedule(step // self.every_n_steps)
        ):
            return
        model = network(pl_module)
        for name, p in model.named_parameters():
            add_histogram(writer, f"weights/{name}", p, step, BINS)
            if p.grad is not None:
                add_histogram(writer, f"grads/{name}", p.grad, step, BINS)
        if self.batch is not None:
            for name, (pre, post) in layer_values(model, self.batch.to(pl_module.device)).items():
                add_histogram(writer, f"preactivations/{name}", pre, step, BINS)
                add_histogram(writer, f"activations/{name}", post, step, BINS)


def layer_values(model: nn.Module, x: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Each activation module's input (the pre-activation) and output on ``x``, in eval mode."""
    seen: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    hooks = []
    for name, module in named_activations(model):

        def record(_m: nn.Module, inputs: Any, output: Any, name: str = name) -> None:
            out = output[0] if isinstance(output, tuple) else output
            seen[name] = (inputs[0].detach(), out.detach())

        hooks.append(module.register_forward_hook(record))
    try:
        with evaluating(model):
            model(x)
    finally:
        for hook in hooks:
            hook.remove()
    return seen
