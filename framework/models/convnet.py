"""A small convolutional network for images ``(C, H, W)``: blocks of conv2d -> activation ->
max_pool2d, then fully connected layers."""

from __future__ import annotations

from typing import Any

from torch import nn

from framework.contract.registries import LAYERS
from framework.data.base import DataInfo
from framework.models.blocks import activation, example_input, head, infer_layer, trace


def build(
    model: dict[str, Any], act: tuple[str, dict[str, Any]], info: DataInfo, out: int
) -> nn.Sequential:
    if len(info.input_shape) != 3:
        raise ValueError(
            f"model=convnet needs images (C, H, W); this data has inputs of shape "
            f"{tuple(info.input_shape)} (for digits use data.as_images=true)"
        )
    layers: list[nn.Module] = []
    k = int(model.get("kernel_size", 3))
    for channels in model.get("channels") or []:
        x = trace(layers, example_input(info))
        layers.append(
            infer_layer(
                "conv2d", {"out_channels": int(channels), "kernel_size": k, "padding": k // 2}, x
            )
        )
        layers.append(activation(act))
        if model.get("pool", 2) and min(trace(layers, example_input(info)).shape[-2:]) >= 2:
            layers.append(LAYERS.build("max_pool2d", kernel_size=int(model.get("pool", 2))))
    layers.append(LAYERS.build("flatten"))
    for hidden in model.get("hidden") or []:
        x = trace(layers, example_input(info))
        layers.append(infer_layer("linear", {"out_features": int(hidden)}, x))
        layers.append(activation(act))
        if model.get("dropout"):
            layers.append(LAYERS.build("dropout", p=float(model["dropout"])))
    layers += head(trace(layers, example_input(info)), out)
    return nn.Sequential(*layers)
