"""A PyTorch neural-network framework built from plugins with hand-written backward passes.

The public API is imported lazily, so that ``import framework`` (and ``nn-train --help``) does not
import torch::

    from framework import ACTIVATIONS, LOSSES, LAYERS
    from framework import register_activation, register_loss, register_layer
    from framework import ActivationFunction, LossFunction, LayerFunction
    from framework import OneBit, IntervalTable, RoundedInput     # compact-mode declarations
    from framework import load_model, predict, predict_proba
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "ACTIVATIONS": "framework.registries",
    "LOSSES": "framework.registries",
    "LAYERS": "framework.registries",
    "REGISTRIES": "framework.registries",
    "register_activation": "framework.registries",
    "register_loss": "framework.registries",
    "register_layer": "framework.registries",
    "Registry": "framework.registry",
    "PluginNotFoundError": "framework.registry",
    "PluginFunction": "framework.function",
    "ActivationFunction": "framework.function",
    "LossFunction": "framework.function",
    "LayerFunction": "framework.function",
    "Buffer": "framework.function",
    "OneBit": "framework.compact",
    "IntervalTable": "framework.compact",
    "RoundedInput": "framework.compact",
    "PluginModule": "framework.module",
    "build_model": "framework.models",
    "load_model": "framework.checkpoint",
    "predict": "framework.inference",
    "predict_proba": "framework.inference",
    "TrainedModel": "framework.inference",
    "check_plugin": "framework.checking",
    "import_plugins": "framework.discovery",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'framework' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
