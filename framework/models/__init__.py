"""Networks assembled from registered plugins, sized from the data.

``build_model(model_cfg, activation_cfg, info, loss_name)`` builds ``mlp``, ``convnet``, ``rnn``
or ``sequential``; every layer and activation in them is a plugin (``LAYERS``/``ACTIVATIONS``),
input sizes are inferred from the data, and the output layer is sized from the task.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from framework.data.base import DataInfo
from framework.models.blocks import output_size, plugin_params

MODELS = ("mlp", "convnet", "rnn", "sequential")

__all__ = ["MODELS", "build_model", "output_size", "plugin_params"]


def build_model(model: Any, activation: Any, info: DataInfo, loss_name: str) -> nn.Module:
    """The network named by ``model["name"]``."""
    from framework.models import convnet, mlp, rnn, sequential

    builders = {
        "mlp": mlp.build,
        "convnet": convnet.build,
        "rnn": rnn.build,
        "sequential": sequential.build,
    }
    name = model["name"]
    if name not in builders:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return builders[name](
        dict(model), plugin_params(activation), info, output_size(info, loss_name)
    )
