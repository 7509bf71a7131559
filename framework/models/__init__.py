"""Networks assembled from registered plugins, sized from the data.

``build_model(model_cfg, activation_cfg, info, loss_name)`` builds ``mlp``, ``convnet``, ``rnn``
or ``sequential``; every layer and activation in them is a plugin (``LAYERS``/``ACTIVATIONS``),
input sizes are inferred from the data, and the output layer is sized from the task.
``framework.models.catalog`` (the networks and the keys each reads) imports no torch, and nor
does importing this package: the builders load torch when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from framework.models.catalog import MODELS

if TYPE_CHECKING:
    from torch import nn

    from framework.data.base import DataInfo

__all__ = ["MODELS", "build_model", "output_size", "plugin_params"]


def build_model(model: Any, activation: Any, info: DataInfo, loss_name: str) -> nn.Module:
    """The network named by ``model["name"]``."""
    from torch import nn

    from framework.models import convnet, mlp, rnn, sequential
    from framework.models.blocks import output_size, plugin_params

    builders = {
        "mlp": mlp.build,
        "convnet": convnet.build,
        "rnn": rnn.build,
        "sequential": sequential.build,
    }
    name = model["name"]
    if name not in builders:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    from framework.contract.chain import PluginSequential

    network = builders[name](
        dict(model), plugin_params(activation), info, output_size(info, loss_name)
    )
    # one autograd node per stretch of consecutive plugins (framework.contract.chain)
    return PluginSequential(*network) if type(network) is nn.Sequential else network


def __getattr__(name: str) -> Any:
    if name in ("output_size", "plugin_params"):
        from framework.models import blocks

        return getattr(blocks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
