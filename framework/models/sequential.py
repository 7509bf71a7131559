"""An explicit list of layer and activation plugins, input sizes inferred from the data.

``model.layers`` entries: ``{layer: conv2d, out_channels: 8, kernel_size: 3}``,
``{activation: leaky_relu, negative_slope: 0.1}``, or a bare name (``flatten``, ``relu``; a layer
name wins). ``act`` names the experiment's ``activation``. With ``head: true`` (default) a
flatten (if needed) and a linear output layer sized from the task are appended.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from framework.contract.registries import LAYERS
from framework.data.base import DataInfo
from framework.models.blocks import FirstOutput, activation, example_input, head, infer_layer, trace


def parse_entry(entry: Any) -> tuple[str, str, dict[str, Any]]:
    """-> (kind, name, params) for one ``model.layers`` entry."""
    if isinstance(entry, str):
        return ("layer" if entry in LAYERS else "activation"), entry, {}
    entry = dict(entry)
    kinds = [k for k in ("layer", "activation") if k in entry]
    if len(kinds) != 1:
        raise ValueError(
            f"model.layers entry {entry!r} must name exactly one 'layer' or 'activation'"
        )
    kind = kinds[0]
    name = str(entry.pop(kind))
    return kind, name, entry


def build(
    model: dict[str, Any], act: tuple[str, dict[str, Any]], info: DataInfo, out: int
) -> nn.Sequential:
    layers: list[nn.Module] = []
    for entry in model.get("layers") or []:
        kind, name, params = parse_entry(entry)
        if kind == "activation":
            layers.append(activation(act if name == "act" else (name, params)))
            continue
        layer = infer_layer(name, params, trace(layers, example_input(info)))
        layers.append(layer)
        if isinstance(trace([layer], trace(layers[:-1], example_input(info))), tuple):
            layers.append(FirstOutput())
    if model.get("head", True):
        layers += head(trace(layers, example_input(info)), out)
    return nn.Sequential(*layers)
