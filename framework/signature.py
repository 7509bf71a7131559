"""What a plugin's ``forward`` (and optional ``init``) signature says about its parameters.

``forward(x, weight, bias, stride=1)``: the first ``n_inputs`` arguments are the data (``x``, or
``input, target`` for a loss); the following arguments without a default are learnable tensors
owned by the Module and created by ``init``; arguments with a default are options, set from the
config (``activation.negative_slope=0.1``). ``init(in_features, out_features, bias=True)`` takes
the options that shape the learnable tensors. An option called ``training`` is filled with the
Module's train/eval mode. A class attribute ``module_options`` lists parameters that the Module
itself reads (a recurrent layer's ``num_layers``). A plugin declaring ``compact``
(``framework.compact``) has the option ``compact=False``. This module imports no torch.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

REQUIRED = inspect.Parameter.empty


@dataclass(frozen=True)
class PluginSignature:
    """Inputs, learnable tensors and options (name -> default, ``REQUIRED`` if none)."""

    inputs: tuple[str, ...]
    learnables: tuple[str, ...]
    options: dict[str, Any]  # forward options
    init_options: dict[str, Any]  # init arguments
    module_options: dict[str, Any] = field(default_factory=dict)  # read by the Module alone

    @property
    def parameters(self) -> dict[str, Any]:
        """Every user-settable parameter: init arguments, then forward and Module options."""
        merged = {**self.init_options, **self.module_options}
        for name, default in self.options.items():
            if name != "training":
                merged.setdefault(name, default)
        return merged


def signature_of(cls: type) -> PluginSignature:
    """Read a plugin class's parameters from its ``forward`` and ``init``."""
    n_inputs = getattr(cls, "n_inputs", 1)
    params = list(inspect.signature(cls.forward).parameters.values())
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        raise TypeError(f"{cls.__qualname__}.forward must list its arguments (no *args/**kwargs)")
    inputs = tuple(p.name for p in params[:n_inputs])
    learnables = tuple(p.name for p in params[n_inputs:] if p.default is REQUIRED)
    options = {p.name: p.default for p in params[n_inputs:] if p.default is not REQUIRED}
    if getattr(cls, "compact", None) is not None:  # a compact-mode declaration
        options.setdefault("compact", False)
    init = getattr(cls, "init", None)
    init_options = (
        {p.name: p.default for p in inspect.signature(init).parameters.values()} if init else {}
    )
    module_options = dict(getattr(cls, "module_options", {}))
    return PluginSignature(inputs, learnables, options, init_options, module_options)
