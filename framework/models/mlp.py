"""Multilayer perceptron: linear layers with the chosen activation (and optional dropout and
normalisation) between them."""

from __future__ import annotations

from typing import Any

from torch import nn

from framework.contract.registries import LAYERS
from framework.data.base import DataInfo
from framework.models.blocks import activation, example_input, head, trace


def build(
    model: dict[str, Any], act: tuple[str, dict[str, Any]], info: DataInfo, out: int
) -> nn.Sequential:
    layers: list[nn.Module] = []
    x = example_input(info)
    if x.dim() > 2:
        layers.append(LAYERS.build("flatten"))
        x = x.flatten(1)
    width = int(x.shape[-1])
    # model.compact: a linear layer whose input is a hidden activation keeps it in bfloat16
    compact = bool(model.get("compact"))
    for i, hidden in enumerate(model.get("hidden") or []):
        layers.append(
            LAYERS.build(
                "linear", in_features=width, out_features=int(hidden), compact=compact and i > 0
            )
        )
        norm = model.get("norm")
        if norm == "batch_norm":
            layers.append(LAYERS.build("batch_norm", num_features=int(hidden)))
        elif norm == "layer_norm":
            layers.append(LAYERS.build("layer_norm", normalized_shape=[int(hidden)]))
        layers.append(activation(act))
        if model.get("dropout"):
            layers.append(LAYERS.build("dropout", p=float(model["dropout"])))
        width = int(hidden)
    layers += head(trace(layers, example_input(info)), out, compact and bool(model.get("hidden")))
    if model.get("output_activation"):
        layers.append(activation((str(model["output_activation"]), {})))
    return nn.Sequential(*layers)
