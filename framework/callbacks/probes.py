"""What the TensorBoard callbacks look at: the network's activation modules and a few batches of
data, taken without disturbing training (no global random state used, the train/eval mode
restored)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import lightning as L
import torch
from lightning.pytorch.loggers import TensorBoardLogger
from torch import nn
from torch.utils.tensorboard import SummaryWriter

from framework.contract.function import ActivationFunction


def writer_of(trainer: L.Trainer) -> SummaryWriter | None:
    """The run's TensorBoard writer on the main process; ``None`` elsewhere or without one."""
    if trainer.global_rank != 0:
        return None
    for logger in trainer.loggers:  # logger=[csv,tensorboard]: wherever TensorBoard is
        if isinstance(logger, TensorBoardLogger):
            return logger.experiment
    return None


def logs_this_step(trainer: L.Trainer) -> bool:
    """Whether the loggers write this training step's values (``trainer.log_every_n_steps``, or
    a stop); Lightning's own test, ``True`` where a Lightning version lacks it."""
    return bool(getattr(trainer._logger_connector, "should_update_logs", True))


def add_summary(writer: SummaryWriter, summary: Any, step: int | None = None) -> None:
    """Write a ready-made summary protocol buffer (Lightning closes the writer at the end of fit;
    ``_get_file_writer`` reopens it, as ``add_scalar`` and friends do)."""
    writer._get_file_writer().add_summary(summary, step)


def network(pl_module: L.LightningModule) -> nn.Module:
    """The plugin-built network inside the LightningModule (``.model``), else the module."""
    model = getattr(pl_module, "model", None)
    return model if isinstance(model, nn.Module) else pl_module


def is_activation(module: nn.Module) -> bool:
    fn = getattr(module, "function", None)
    return isinstance(fn, type) and issubclass(fn, ActivationFunction)


def named_activations(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The activation modules in order: ``layer1``, ``layer2``, … for hidden layers, ``output``
    for one after the last learnable layer (the output activation)."""
    order = list(model.modules())
    named = []
    for k, i in enumerate((i for i, m in enumerate(order) if is_activation(m)), start=1):
        after = (p for m in order[i + 1 :] for p in m.parameters(recurse=False))
        named.append((f"layer{k}" if any(p.requires_grad for p in after) else "output", order[i]))
    return named


def data_info(trainer: L.Trainer, pl_module: L.LightningModule) -> Any:
    """The run's ``DataInfo`` (task, input shape, classes): the task module's, else the data
    module's; ``None`` without either."""
    info = getattr(pl_module, "info", None)
    if info is None:
        info = getattr(getattr(trainer, "datamodule", None), "info", None)
    return info


def datamodule_loader(trainer: L.Trainer, split: str) -> Any:
    """The ``split`` ("train", "val", "test") loader of the run's data module, or ``None``."""
    dm = getattr(trainer, "datamodule", None)
    method = getattr(dm, f"{split}_dataloader", None)
    if method is None:
        return None
    try:
        return method()
    except Exception:  # a data module without that split
        return None


def take(loader: Any, limit: int) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Up to ``limit`` examples ``(x, y)`` from the first batches of ``loader``.

    The global random state is left as it was: a shuffling loader without its own generator
    would otherwise draw from it, and logging must not change the run.
    """
    if loader is None:
        return None
    xs, ys, n = [], [], 0
    with torch.random.fork_rng(devices=[]):
        for batch in loader:
            x, y = batch[0], batch[1]
            xs.append(x)
            ys.append(y)
            n += len(x)
            if n >= limit:
                break
    if not xs:
        return None
    return torch.cat(xs)[:limit], torch.cat(ys)[:limit]


@contextlib.contextmanager
def evaluating(module: nn.Module) -> Iterator[None]:
    """Eval mode and no autograd for a look at the network; the previous mode restored."""
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        module.train(was_training)
