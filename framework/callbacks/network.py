"""The ``network`` image: the seed's picture of neurons and synapses, drawn from the real model
at the start of training, every ``log.boundary_every_n_epochs`` epochs and at the end (so
TensorBoard's step slider replays the learning), the last one also as ``network.png`` in the
run directory.

What each neuron shows comes from one forward of the model itself (its plugins), read by
forward hooks on its linear layers: the input of each linear layer is the previous layer's
output after its activation. The drawing is ``network_figure``'s.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from torch import nn

from framework.callbacks import figures
from framework.callbacks.images import (
    CLASSIFICATION,
    POINTS,
    boundary_grid,
    predicted_classes,
    write_image,
)
from framework.callbacks.network_figure import SHOWN, Layer, NetworkPicture, Plane, Snapshot
from framework.callbacks.probes import (
    data_info,
    datamodule_loader,
    evaluating,
    is_activation,
    network,
    take,
    writer_of,
)
from framework.callbacks.schedule import on_schedule

log = logging.getLogger(__name__)

TAG = "network"
FILENAME = "network.png"
COLOURS = 256  # the picture's PNG keeps a palette: encoded in half the time, a third the size
STRIDE = 2  # the neurons are evaluated on every STRIDE-th point of the decision-boundary grid
BATCH = 256  # examples in the fixed validation batch (more than two input features)
BETWEEN = ("flatten", "dropout", "batch_norm", "layer_norm")  # parts an MLP may hold besides


@dataclass
class Mlp:
    """An MLP's linear layers in order, and the activation after each (``""``: none)."""

    linears: list[nn.Module]
    activations: list[str]


def plugin_name(module: nn.Module) -> str:
    return str(
        getattr(getattr(module, "function", None), "plugin_name", "") or type(module).__name__
    )


def as_mlp(model: nn.Module) -> Mlp | str:
    """``model``'s linear layers if it is an MLP: a ``Sequential`` of linear layers and
    activations (with flatten, dropout or normalisation between them); else the name of the
    first part that makes it something else."""
    model = getattr(model, "_orig_mod", model)  # torch.compile's wrapper
    if not isinstance(model, nn.Sequential):
        return type(model).__name__
    mlp = Mlp([], [])
    for module in model:
        name = plugin_name(module)
        if name == "linear":
            mlp.linears.append(module)
            mlp.activations.append("")
        elif is_activation(module) and mlp.linears:
            mlp.activations[-1] = mlp.activations[-1] or name
        elif name not in BETWEEN:
            return name
    return mlp if mlp.linears else "no linear layer"


def layer_outputs(model: nn.Module, mlp: Mlp, x: torch.Tensor) -> list[torch.Tensor]:
    """What every column of the picture puts out on ``x``, from one forward of ``model``: the
    input of each linear layer (the flattened input, then each hidden layer after its
    activation) and the model's output; each ``(len(x), neurons)``, in eval mode."""
    seen: list[torch.Tensor] = []

    def record(_module: nn.Module, inputs: Any, _output: Any) -> None:
        seen.append(inputs[0].detach().reshape(len(x), -1))

    hooks = [linear.register_forward_hook(record) for linear in mlp.linears]
    try:
        with evaluating(model):
            out = model(x)
    finally:
        for hook in hooks:
            hook.remove()
    return [*seen, out.detach().reshape(len(x), -1)]


def thin(strength: np.ndarray, limit: int = SHOWN) -> np.ndarray:
    """The indices of the ``limit`` neurons of largest ``strength`` (all if there are no more),
    ascending."""
    if len(strength) <= limit:
        return np.arange(len(strength))
    return np.sort(np.argsort(-strength, kind="stable")[:limit])


def snapshot(
    mlp: Mlp,
    outputs: list[torch.Tensor],
    plane: tuple[int, int] | None = None,
    input_names: list[str] | None = None,
    output_names: list[str] | None = None,
) -> Snapshot:
    """The numbers of one picture from ``layer_outputs``: each neuron's output over the plane
    (``plane``: the grid's rows and columns, ``outputs`` taken on the grid row after row) or
    its mean over a batch; weights, biases, dead neurons, the neurons drawn."""
    weights = [linear.weight.detach().float().cpu().numpy() for linear in mlp.linears]
    biases = [
        np.zeros(len(w)) if linear.bias is None else linear.bias.detach().float().cpu().numpy()
        for linear, w in zip(mlp.linears, weights, strict=True)
    ]
    layers = []
    last = len(outputs) - 1
    for k, out in enumerate(outputs):
        v = out.float().cpu().numpy()
        n = v.shape[1]
        values = v.T.reshape(n, *plane) if plane is not None else v.mean(0)
        # thinned by outgoing weights; the output layer by incoming ones
        strength = np.abs(weights[k]).sum(0) if k < last else np.abs(weights[-1]).sum(1)
        if k == 0:
            title, names = f"inputs ({n})", input_names or [f"x{i + 1}" for i in range(n)]
        elif k < last:
            act = mlp.activations[k - 1]
            title, names = f"hidden {k}{f' · {act}' if act else ''} ({n})", [""] * n
        else:
            act = mlp.activations[-1]
            title = f"output{f' · {act}' if act else ''} ({n})"
            names = output_names or (["output"] if n == 1 else [str(i) for i in range(n)])
        layers.append(
            Layer(
                title, names, values, thin(strength),
                bias=biases[k - 1] if k else None,
                dead=(v == 0).all(0) if 0 < k < last else None,
            )
        )  # fmt: skip
    return Snapshot(layers, weights, caption="")


def dead_counts(layers: list[Layer]) -> str:
    """``hidden 1: 3/32, hidden 2: 0/32`` for the hidden layers."""
    return ", ".join(
        f"hidden {k}: {int(layer.dead.sum())}/{len(layer.dead)}"
        for k, layer in enumerate(layers)
        if layer.dead is not None
    )


class NetworkImage(L.Callback):
    """The ``network`` image of an MLP (other models: one line in the log, no picture)."""

    def __init__(self, every_n_epochs: int, monitor: str = "val/loss") -> None:
        self.every_n_epochs = every_n_epochs
        self.monitor = monitor
        self.mlp: Mlp | None = None
        self.inputs: torch.Tensor | None = None  # the grid, or the fixed validation batch
        self.plane: Plane | None = None
        self.grid_shape: tuple[int, int] | None = None
        self.picture: NetworkPicture | None = None
        self.names: tuple[list[str] | None, list[str] | None] = (None, None)
        self.last: np.ndarray | None = None
        self.drawn_at = -1

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.mlp, self.picture, self.last, self.drawn_at = None, None, None, -1
        info = data_info(trainer, pl_module)
        if writer_of(trainer) is None or info is None:
            return
        mlp = as_mlp(network(pl_module))
        if not isinstance(mlp, Mlp):
            log.info("log.network: the network picture draws MLPs; this model has %s", mlp)
            return
        features = int(np.prod(info.input_shape))
        self.names = (self._feature_names(trainer, features), self._class_names(info, mlp))
        if features == 2 and info.input_shape == (2,):
            data = take(datamodule_loader(trainer, "train"), POINTS)
            if data is None:
                return
            x, y = data
            xx, yy, grid = boundary_grid(x)
            plane = grid.reshape(*xx.shape, 2)[::STRIDE, ::STRIDE]
            self.inputs, self.grid_shape = plane.reshape(-1, 2), (plane.shape[0], plane.shape[1])
            classes = max(int(info.num_classes), 2) if info.task in CLASSIFICATION else 0
            targets = y.long().reshape(-1) if classes else y.reshape(len(y), -1)[:, 0]
            names = self.names[0] or ["x1", "x2"]
            self.plane = Plane(
                (float(xx.min()), float(xx.max()), float(yy.min()), float(yy.max())),
                x.numpy(), targets.numpy(), classes, (names[0], names[1]),
            )  # fmt: skip
        else:
            batch = take(datamodule_loader(trainer, "val"), BATCH)
            if batch is None:
                return
            self.inputs, self.plane, self.grid_shape = batch[0], None, None
        self.mlp = mlp

    @staticmethod
    def _feature_names(trainer: L.Trainer, n: int) -> list[str] | None:
        names = list(getattr(getattr(trainer, "datamodule", None), "feature_names", ()) or ())
        return [str(name) for name in names] if len(names) == n else None

    @staticmethod
    def _class_names(info: Any, mlp: Mlp) -> list[str] | None:
        names = list(getattr(info, "class_names", ()) or ())
        return [str(name) for name in names] if len(names) == len(mlp.linears[-1].weight) else None

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._draw(trainer, pl_module)

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        epoch, every = trainer.current_epoch, self.every_n_epochs
        if not trainer.sanity_checking and epoch % every == 0 and on_schedule(epoch // every):
            self._draw(trainer, pl_module)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._draw(trainer, pl_module)
        if self.last is not None:
            path = Path(trainer.default_root_dir) / FILENAME
            path.write_bytes(figures.png_bytes(self.last, COLOURS))

    def _draw(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        writer = writer_of(trainer)
        if writer is None or self.mlp is None or self.inputs is None:
            return
        if self.drawn_at == trainer.global_step:
            return
        self.drawn_at = trainer.global_step
        model = network(pl_module)
        outputs = layer_outputs(model, self.mlp, self.inputs.to(pl_module.device))
        snap = snapshot(self.mlp, outputs, self.grid_shape, *self.names)
        if self.plane is not None and self.grid_shape is not None:
            out = outputs[-1]
            answer = predicted_classes(pl_module, out) if self.plane.num_classes else out[:, 0]
            snap.answer = answer.float().cpu().numpy().reshape(self.grid_shape)
        snap.caption = self._caption(trainer, snap)
        if self.picture is None:
            self.picture = NetworkPicture(snap.layers, self.plane)
        self.last = self.picture.image(snap)
        write_image(writer, TAG, self.last, trainer.global_step, colours=COLOURS)

    def _caption(self, trainer: L.Trainer, snap: Snapshot) -> str:
        value = trainer.callback_metrics.get(self.monitor)
        shown = f"{float(value):.4g}" if value is not None and value.numel() == 1 else "–"
        dead = dead_counts(snap.layers)
        return (
            f"epoch {trainer.current_epoch}   step {trainer.global_step}   "
            f"{self.monitor} {shown}" + (f"   dead neurons: {dead}" if dead else "")
        )
