"""One generic ``nn.Module`` for every registered plugin Function.

The Module owns the plugin's learnable tensors (created by the Function's ``init``) and its
options, and calls ``Function.apply`` in ``forward``. Plugin files therefore hold math only.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import nn

from framework.function import Buffer, PluginFunction
from framework.signature import REQUIRED, signature_of


class PluginModule(nn.Module):
    """Applies ``self.function`` with the Module's learnable tensors and options."""

    function: type[PluginFunction]

    def __init__(self, **params: Any) -> None:
        super().__init__()
        fn = self.function
        sig = signature_of(fn)
        valid = sig.parameters
        unknown = sorted(set(params) - set(valid))
        if unknown:
            raise TypeError(
                f"{fn.plugin_kind} {fn.plugin_name!r} has no parameter "
                f"{', '.join(repr(u) for u in unknown)}; its parameters are: "
                f"{_describe(valid) or 'none'}"
            )
        missing = [n for n, d in valid.items() if d is REQUIRED and n not in params]
        if missing:
            raise TypeError(
                f"{fn.plugin_kind} {fn.plugin_name!r} needs {', '.join(missing)}; its "
                f"parameters are: {_describe(valid)}"
            )
        self._signature = sig
        self.options = {
            name: params.get(name, default)
            for name, default in sig.options.items()
            if name != "training"
        }
        if sig.learnables:
            init_args = {n: params.get(n, d) for n, d in sig.init_options.items()}
            tensors = fn.init(**init_args)  # type: ignore[attr-defined]
            for name in sig.learnables:
                value = tensors.get(name)
                if isinstance(value, Buffer):
                    self.register_buffer(name, value.tensor)
                elif value is None:
                    self.register_parameter(name, None)
                else:
                    self.register_parameter(name, nn.Parameter(value))
        self._init_args = {n: params[n] for n in sig.init_options if n in params}

    def forward(self, *inputs: torch.Tensor) -> Any:
        args: list[Any] = list(inputs)
        args += [getattr(self, name) for name in self._signature.learnables]
        for name in self._signature.options:
            args.append(self.training if name == "training" else self.options[name])
        return self.function.apply(*args)

    def extra_repr(self) -> str:
        shown = {**self._init_args, **self.options}
        return ", ".join(f"{k}={v!r}" for k, v in shown.items())


@functools.cache
def module_class(function: type[PluginFunction]) -> type[PluginModule]:
    """The Module class for a plugin Function (one per Function, named after it)."""
    return type(
        function.__name__,
        (PluginModule,),
        {"function": function, "__doc__": function.__doc__, "__module__": function.__module__},
    )


def _describe(params: dict[str, Any]) -> str:
    return ", ".join(n if d is REQUIRED else f"{n}={d!r}" for n, d in params.items())
