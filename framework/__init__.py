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
    "ACTIVATIONS": "framework.contract.registries",
    "LOSSES": "framework.contract.registries",
    "LAYERS": "framework.contract.registries",
    "REGISTRIES": "framework.contract.registries",
    "register_activation": "framework.contract.registries",
    "register_loss": "framework.contract.registries",
    "register_layer": "framework.contract.registries",
    "Registry": "framework.contract.registry",
    "PluginNotFoundError": "framework.contract.registry",
    "PluginFunction": "framework.contract.function",
    "ActivationFunction": "framework.contract.function",
    "LossFunction": "framework.contract.function",
    "LayerFunction": "framework.contract.function",
    "Buffer": "framework.contract.function",
    "OneBit": "framework.contract.compact",
    "IntervalTable": "framework.contract.compact",
    "RoundedInput": "framework.contract.compact",
    "PluginModule": "framework.contract.module",
    "build_model": "framework.models",
    "load_model": "framework.training.checkpoint",
    "predict": "framework.training.inference",
    "predict_proba": "framework.training.inference",
    "TrainedModel": "framework.training.inference",
    "check_plugin": "framework.verification.checking",
    "import_plugins": "framework.contract.discovery",
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
