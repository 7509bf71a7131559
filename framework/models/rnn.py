"""A recurrent network for sequences ``(T, F)`` (batch first): an rnn/gru/lstm plugin layer,
its last time step, then fully connected layers."""

from __future__ import annotations

from typing import Any

from torch import nn

from framework.data.base import DataInfo
from framework.models.blocks import (
    FirstOutput,
    LastStep,
    activation,
    example_input,
    head,
    infer_layer,
    trace,
)

CELLS = ("rnn", "gru", "lstm")


def build(
    model: dict[str, Any], act: tuple[str, dict[str, Any]], info: DataInfo, out: int
) -> nn.Sequential:
    if len(info.input_shape) != 2:
        raise ValueError(
            f"model=rnn needs sequences (T, features); this data has inputs of shape "
            f"{tuple(info.input_shape)}"
        )
    cell = str(model.get("cell", "lstm"))
    if cell not in CELLS:
        raise ValueError(f"model.cell={cell!r} is not valid; choose one of {', '.join(CELLS)}")
    x = example_input(info)
    layers: list[nn.Module] = [
        infer_layer(
            cell,
            {
                "hidden_size": int(model.get("hidden_size", 64)),
                "num_layers": int(model.get("num_layers", 1)),
                "batch_first": True,
            },
            x,
        ),
        FirstOutput(),
        LastStep(),
    ]
    for hidden in model.get("hidden") or []:
        x = trace(layers, example_input(info))
        layers += [infer_layer("linear", {"out_features": int(hidden)}, x), activation(act)]
    layers += head(trace(layers, example_input(info)), out)
    return nn.Sequential(*layers)
