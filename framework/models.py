"""Networks assembled from registered plugins, sized from the data."""

from __future__ import annotations

from typing import Any

from torch import nn

from framework.data.base import DataInfo
from framework.registries import ACTIVATIONS, LAYERS, LOSSES


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


def build_model(model: Any, activation: Any, info: DataInfo, loss_name: str) -> nn.Sequential:
    """The network named by ``model.name`` (``mlp``)."""
    if model["name"] != "mlp":
        raise ValueError(f"unknown model {model['name']!r}")
    act_name, act_params = plugin_params(activation)
    layers: list[nn.Module] = []
    width = 1
    for d in info.input_shape:
        width *= d
    if len(info.input_shape) > 1:
        layers.append(nn.Flatten())
    for hidden in model.get("hidden", []):
        layers.append(LAYERS.build("linear", in_features=width, out_features=int(hidden)))
        layers.append(ACTIVATIONS.build(act_name, **act_params))
        width = int(hidden)
    layers.append(
        LAYERS.build("linear", in_features=width, out_features=output_size(info, loss_name))
    )
    if model.get("output_activation"):
        layers.append(ACTIVATIONS.build(str(model["output_activation"])))
    return nn.Sequential(*layers)
