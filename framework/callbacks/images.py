"""The Images tab: the activation's own f and f′, confusion matrices, the model over its data."""

from __future__ import annotations

from typing import Any

import lightning as L
import numpy as np
import torch
import torchmetrics
from matplotlib.figure import Figure
from torch import nn
from torch.utils.tensorboard import SummaryWriter

from framework.callbacks import figures
from framework.callbacks.probes import (
    add_summary,
    data_info,
    datamodule_loader,
    evaluating,
    network,
    take,
    writer_of,
)
from framework.callbacks.schedule import on_schedule

CLASSIFICATION = ("multiclass", "binary")
GRID = 150  # points per side of a decision-boundary grid
POINTS = 1000  # data points drawn under a boundary or a curve


def activation_curves(module: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``f(x)`` from the activation module's forward (its plugin's ``Function.apply``) and
    ``f′(x)`` from the plugin's hand-written backward (``autograd.grad`` of ``f`` with ones)."""
    # also from hooks that Lightning runs in inference mode (the test loop)
    with torch.inference_mode(False), torch.enable_grad():
        x = x.detach().clone().requires_grad_(True)
        y = module(x)
        (dy,) = torch.autograd.grad(y, x, torch.ones_like(y))
    return y.detach(), dy.detach()


def plot_activation(
    module: nn.Module, name: str, params: dict[str, Any] | None = None, span: float = 5.0
) -> Figure:
    """The activation picture: ``f`` and ``f′`` over ``[-span, span]``."""
    x = torch.linspace(-span, span, 1001).reshape(-1, 1)
    with evaluating(module):
        f, df = activation_curves(module, x)
    shown = ", ".join(f"{k}={v}" for k, v in (params or {}).items())
    title = f"{name}({shown})" if shown else name
    return figures.activation_figure(
        x.reshape(-1).numpy(), f.reshape(-1).numpy(), df.reshape(-1).numpy(),
        f"{title}: forward f and custom backward f′",
    )  # fmt: skip


def write_image(
    writer: SummaryWriter, tag: str, image: np.ndarray, step: int, colours: int = 0
) -> None:
    """An ``(H, W, 3)`` uint8 picture into the Images tab (``colours``: see
    ``figures.png_bytes``)."""
    add_summary(writer, figures.png_summary(tag, image, colours), step)


def boundary_grid(points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The ``GRID`` × ``GRID`` plane under two-feature ``points`` (their range and 15% more on
    each side): ``xx`` and ``yy`` (``meshgrid`` "xy": rows follow the second feature) and the
    grid as a batch of inputs, row after row."""
    low, high = points.min(0).values, points.max(0).values
    margin = (high - low).clamp_min(1e-3) * 0.15
    low, high = low - margin, high + margin
    g0 = torch.linspace(float(low[0]), float(high[0]), GRID)
    g1 = torch.linspace(float(low[1]), float(high[1]), GRID)
    xx, yy = torch.meshgrid(g0, g1, indexing="xy")
    return xx, yy, torch.stack([xx.reshape(-1), yy.reshape(-1)], 1).to(points.dtype)


def predicted_classes(pl_module: L.LightningModule, out: torch.Tensor) -> torch.Tensor:
    """Classes from network outputs, as the task module decides them (argmax, or a cut on one
    output unit)."""
    decide = getattr(pl_module, "predicted_classes", None)
    if decide is not None:
        return decide(out)
    return out.argmax(-1) if out.shape[-1] > 1 else (out.reshape(-1) > 0).long()


class ActivationImage(L.Callback):
    """Once per run: the hidden activation drawn from its plugin's own forward and backward."""

    def __init__(self, activation: dict[str, Any]) -> None:
        self.name = str(activation.get("name"))
        self.params = {k: v for k, v in activation.items() if k != "name"}
        self.done = False

    def _draw(self, trainer: L.Trainer) -> None:
        writer = writer_of(trainer)
        if self.done or writer is None:
            return
        self.done = True
        from framework.contract.registries import ACTIVATIONS

        with torch.inference_mode(False):  # parameters made in inference mode take no grad
            module = ACTIVATIONS.build(self.name, **self.params)
            fig = plot_activation(module, self.name, self.params)
        write_image(writer, f"activation/{self.name}", figures.to_image(fig), 0)

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._draw(trainer)

    def on_test_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._draw(trainer)


class ConfusionMatrixImage(L.Callback):
    """Classification: the confusion matrix of validations on the thinning schedule
    (framework/callbacks/schedule.py), of the last one, and of the test.

    The predictions are the network outputs of the validation step itself, caught by a forward
    hook (no second forward pass); the picture is redrawn over a figure made once.
    """

    def __init__(self) -> None:
        self.metric: torchmetrics.ConfusionMatrix | None = None
        self.collecting = False
        self.plots: dict[str, figures.ConfusionMatrixPlot] = {}  # by stage
        self.output: torch.Tensor | None = None
        self.hook: Any = None
        self.validations = 0  # validations seen: the schedule's index
        self.pending: tuple[np.ndarray, int] | None = None  # an unwritten matrix and its step

    def _start(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        info = data_info(trainer, pl_module)
        self.collecting, self.output = False, None
        if info is None or info.task not in CLASSIFICATION or writer_of(trainer) is None:
            return
        n = max(int(info.num_classes), 2)
        if self.plots.get(stage) is None:
            names = tuple(getattr(info, "class_names", ()) or ())
            labels = [str(c) for c in names] if len(names) == n else [str(i) for i in range(n)]
            self.plots[stage] = figures.ConfusionMatrixPlot(labels, f"{stage}: confusion matrix")
        if self.metric is None or self.metric.num_classes != n:
            # rank 0 alone draws it (from its share of the data under DDP): no cross-process sync
            self.metric = torchmetrics.ConfusionMatrix(
                task="multiclass", num_classes=n, sync_on_compute=False
            )
        self.metric.reset()
        self.collecting = True
        self.hook = network(pl_module).register_forward_hook(self._catch)

    def _catch(self, _module: nn.Module, _inputs: Any, output: Any) -> None:
        self.output = output

    def _update(self, pl_module: L.LightningModule, batch: Any) -> None:
        if not self.collecting or self.metric is None:
            return
        x, y = batch[0], batch[1]
        out, self.output = self.output, None
        if not isinstance(out, torch.Tensor) or len(out) != len(y):
            with torch.no_grad():
                out = pl_module(x)
        classes = predicted_classes(pl_module, out.detach())
        self.metric.update(classes.cpu(), y.long().reshape(-1).cpu())

    def _write(self, trainer: L.Trainer, stage: str) -> None:
        if self.hook is not None:
            self.hook.remove()
            self.hook = None
        writer = writer_of(trainer)
        if not self.collecting or self.metric is None or writer is None:
            return
        self.collecting = False
        matrix = self.metric.compute().numpy()
        if stage == "val":
            self.validations += 1
            if not on_schedule(self.validations - 1):
                self.pending = (matrix, trainer.global_step)  # drawn if it is the last one
                return
            self.pending = None
        image = self.plots[stage].image(matrix)
        write_image(writer, f"confusion_matrix/{stage}", image, trainer.global_step)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        writer = writer_of(trainer)
        if self.pending is not None and writer is not None:
            matrix, step = self.pending
            write_image(writer, "confusion_matrix/val", self.plots["val"].image(matrix), step)
            self.pending = None

    def on_validation_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.sanity_checking:
            self._start(trainer, pl_module, "val")

    def on_validation_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int, dataloader_idx: int = 0,
    ) -> None:  # fmt: skip
        if not trainer.sanity_checking:
            self._update(pl_module, batch)

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.sanity_checking:
            self._write(trainer, "val")

    def on_test_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._start(trainer, pl_module, "test")

    def on_test_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int, dataloader_idx: int = 0,
    ) -> None:  # fmt: skip
        self._update(pl_module, batch)

    def on_test_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._write(trainer, "test")


class PredictionImage(L.Callback):
    """The model over its data, redrawn every ``every_n_epochs`` epochs and at the end of
    training: the decision boundary (or, for regression, the prediction) for two input
    features; the fitted curve for one input feature and a regression task."""

    def __init__(self, every_n_epochs: int, boundary: bool = True, curve: bool = True) -> None:
        self.every_n_epochs = every_n_epochs
        self.boundary = boundary
        self.curve = curve
        self.kind: str | None = None
        self.data: tuple[torch.Tensor, torch.Tensor] | None = None
        self.info: Any = None
        self.drawn_at = -1

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        info = data_info(trainer, pl_module)
        self.kind = None
        if info is None or writer_of(trainer) is None:
            return
        shape = tuple(info.input_shape)
        if shape == (2,) and self.boundary:
            self.kind = "decision_boundary" if info.task in CLASSIFICATION else "prediction"
        elif shape == (1,) and info.task == "regression" and self.curve:
            self.kind = "fitted_curve"
        if self.kind is not None:
            self.data = take(datamodule_loader(trainer, "train"), POINTS)
            if self.data is None:
                self.kind = None
        self.info = info

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or self.kind is None:
            return
        epoch = trainer.current_epoch
        if epoch % self.every_n_epochs == 0 and on_schedule(epoch // self.every_n_epochs):
            self._draw(trainer, pl_module)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.kind is not None:
            self._draw(trainer, pl_module)

    def _draw(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        writer = writer_of(trainer)
        if writer is None or self.data is None or self.drawn_at == trainer.global_step:
            return
        self.drawn_at = trainer.global_step
        title = f"{self.kind.replace('_', ' ')} (epoch {trainer.current_epoch})"
        if self.kind == "fitted_curve":
            fig = self._curve(pl_module, title)
        else:
            fig = self._boundary(pl_module, title)
        write_image(writer, self.kind, figures.to_image(fig), trainer.global_step)

    def _predict(self, pl_module: L.LightningModule, x: torch.Tensor) -> torch.Tensor:
        with evaluating(pl_module):
            return pl_module(x.to(pl_module.device)).cpu()

    def _boundary(self, pl_module: L.LightningModule, title: str) -> Figure:
        assert self.data is not None
        x, y = self.data
        xx, yy, grid = boundary_grid(x)
        out = self._predict(pl_module, grid)
        if self.kind == "decision_boundary":
            zz = predicted_classes(pl_module, out).reshape(xx.shape)
            classes, targets = max(int(self.info.num_classes), 2), y.long().reshape(-1)
        else:
            zz, classes, targets = out[:, 0].reshape(xx.shape), 0, y.reshape(len(y), -1)[:, 0]
        return figures.decision_boundary_figure(
            xx.numpy(), yy.numpy(), zz.float().numpy(), x.numpy(), targets.numpy(), title,
            num_classes=classes,
        )  # fmt: skip

    def _curve(self, pl_module: L.LightningModule, title: str) -> Figure:
        assert self.data is not None
        x, y = self.data
        low, high = float(x.min()), float(x.max())
        margin = max(high - low, 1e-3) * 0.05
        grid = torch.linspace(low - margin, high + margin, 400, dtype=x.dtype).reshape(-1, 1)
        out = self._predict(pl_module, grid)
        return figures.fitted_curve_figure(
            grid.reshape(-1).numpy(), out[:, 0].numpy(), x.reshape(-1).numpy(),
            np.asarray(y.reshape(len(y), -1)[:, 0]), title,
        )  # fmt: skip
