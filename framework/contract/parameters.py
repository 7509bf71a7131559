"""What a plugin Module does with its parameters, for the plain and the recurrent Module alike:
check the names given against the plugin's signature, register what ``init`` created."""

from __future__ import annotations

from typing import Any

from torch import nn

from framework.contract.function import Buffer, PluginFunction
from framework.contract.signature import REQUIRED


def check_parameters(fn: type[PluginFunction], params: dict[str, Any], valid: dict) -> None:
    """A ``TypeError`` naming unknown or missing parameters and listing the valid ones."""
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


def register_tensors(module: nn.Module, tensors: dict[str, Any]) -> None:
    """Register what ``init`` created: a ``Buffer`` as a buffer, tensors (or ``None``) as
    parameters."""
    for name, value in tensors.items():
        if isinstance(value, Buffer):
            module.register_buffer(name, value.tensor)
        elif value is None:
            module.register_parameter(name, None)
        else:
            module.register_parameter(name, nn.Parameter(value))


def _describe(params: dict[str, Any]) -> str:
    return ", ".join(n if d is REQUIRED else f"{n}={d!r}" for n, d in params.items())
