"""Pieces shared by the model builders: plugin lookup, shape inference, output sizing."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from framework.contract.registries import ACTIVATIONS, LAYERS, LOSSES
from framework.data.base import DataInfo


def plugin_params(node: Any) -> tuple[str, dict[str, Any]]:
    """``{"name": "leaky_relu", "negative_slope": 0.1}`` -> name and parameters."""
    params = {k: v for k, v in dict(node).items() if k != "name"}
    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}
    return str(node["name"]), params


def output_size(info: DataInfo, loss_name: str) -> int:
    """Output units: one per class, one for a binary task (two if the loss wants class indices),
    one per regression target."""
    if info.task == "multiclass":
        return info.num_classes
    if info.task == "binary":
        return 2 if LOSSES.get(loss_name).target == "class_index" else 1
    return info.num_outputs


def activation(act: tuple[str, dict[str, Any]]) -> nn.Module:
    name, params = act
    return ACTIVATIONS.build(name, **params)


def infer_layer(name: str, params: dict[str, Any], example: torch.Tensor) -> nn.Module:
    """Build layer plugin ``name``, reading sizes it declares as ``inferred`` from ``example``
    (e.g. ``in_features`` from the last dimension) unless given."""
    fn = LAYERS.get(name)
    inferred = {
        arg: int(example.shape[dim])
        for arg, dim in getattr(fn, "inferred", {}).items()
        if arg not in params
    }
    return LAYERS.build(name, **inferred, **params)


class FirstOutput(nn.Module):
    """Keeps the output sequence of a recurrent layer (``(output, state)`` -> ``output``)."""

    def forward(self, out: Any) -> torch.Tensor:
        return out[0] if isinstance(out, tuple) else out


class LastStep(nn.Module):
    """The last time step of a batch-first sequence: ``(N, T, H)`` -> ``(N, H)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, -1]


def trace(layers: list[nn.Module], example: torch.Tensor) -> torch.Tensor:
    """Run ``example`` through ``layers`` (no gradients) to learn the next layer's input shape."""
    with torch.no_grad():
        for layer in layers:
            example = layer(example)
    return example


def example_input(info: DataInfo) -> torch.Tensor:
    """A batch of two inputs shaped like the data's."""
    return torch.zeros(2, *info.input_shape)


def head(width_from: torch.Tensor, out_features: int, compact: bool = False) -> list[nn.Module]:
    """Flatten (if needed) and the output linear layer (``compact``: it keeps its input in
    bfloat16 for the weight gradient; see the linear plugin)."""
    layers: list[nn.Module] = []
    if width_from.dim() > 2:
        layers.append(LAYERS.build("flatten"))
        width_from = width_from.flatten(1)
    width = int(width_from.shape[-1])
    layers.append(
        LAYERS.build("linear", in_features=width, out_features=out_features, compact=compact)
    )
    return layers
