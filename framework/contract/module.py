"""One generic ``nn.Module`` for every registered plugin Function.

The Module owns the plugin's learnable tensors (created by the Function's ``init``) and its
options, and calls ``Function.apply`` in ``forward``. Plugin files therefore hold math only.
A recurrent cell is built instead into a Module that unrolls it over a sequence
(``framework.contract.recurrent``).
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import nn

from framework.contract.compact import compact_function
from framework.contract.function import PluginFunction, RecurrentCellFunction, visible
from framework.contract.parameters import check_parameters, register_tensors
from framework.contract.recurrent import recurrent_module_class
from framework.contract.signature import signature_of

_BUFFER = object()  # marks an option held in a buffer


class PluginModule(nn.Module):
    """Applies ``self.function`` with the Module's learnable tensors and options."""

    function: type[PluginFunction]

    def __init__(self, **params: Any) -> None:
        super().__init__()
        fn = self.function
        sig = signature_of(fn)
        check_parameters(fn, params, sig.parameters)
        self.signature = sig
        self.options = {
            name: params.get(name, default)
            for name, default in sig.options.items()
            if name != "training"
        }
        # compact mode is another Function (framework.contract.compact), not an argument of forward
        self._passed = [n for n in sig.options if not (n == "compact" and fn.compact is not None)]
        if self.options.get("compact") and fn.compact is not None:
            self.function = compact_function(fn)
        self.n_hidden = self.function.intermediates
        # Tensor-valued options (class weights) become buffers, following the Module to its
        # device (and to a dtype it is cast to). A tensor keeps its dtype (float64 weights stay
        # float64); a list from a config is held in float64 and given to ``forward`` in the
        # input's dtype.
        self._from_list: set[str] = set()
        for name in fn.tensor_options:
            value = self.options.get(name)
            if isinstance(value, torch.Tensor):
                tensor = value.detach().clone()
            elif isinstance(value, list | tuple):
                tensor = torch.as_tensor(value, dtype=torch.float64)
                self._from_list.add(name)
            else:
                continue
            self.register_buffer(f"{name}_option", tensor, persistent=False)
            self.options[name] = _BUFFER
        if sig.learnables:
            init_args = {n: params.get(n, d) for n, d in sig.init_options.items()}
            tensors = fn.init(**init_args)  # type: ignore[attr-defined]
            register_tensors(self, {name: tensors.get(name) for name in sig.learnables})
        self._init_args = {n: params[n] for n in sig.init_options if n in params}
        # whether a call returned one tensor (None: not called yet); read by chains
        self.single_output: bool | None = None

    def option_values(self, like: torch.Tensor | None = None) -> list[Any]:
        """The options in ``forward``'s order, ``training`` being the Module's mode; a tensor
        option given as a list in the floating dtype of ``like`` (the input), if given."""
        values = []
        for name in self._passed:
            if name == "training":
                values.append(self.training)
            elif self.options[name] is _BUFFER:
                tensor = getattr(self, f"{name}_option")
                if name in self._from_list and like is not None and like.is_floating_point():
                    tensor = tensor.to(like.dtype)
                values.append(tensor)
            else:
                values.append(self.options[name])
        return values

    def option_dict(self) -> dict[str, Any]:
        """The options ``forward`` receives, by name."""
        return dict(zip(self._passed, self.option_values(), strict=True))

    def forward(self, *inputs: torch.Tensor) -> Any:
        args: list[Any] = list(inputs)
        args += [getattr(self, name) for name in self.signature.learnables]
        like = inputs[0] if inputs else None
        out = visible(self.function.apply(*args, *self.option_values(like)), self.n_hidden)
        if self.single_output is None:
            self.single_output = isinstance(out, torch.Tensor)
        return out

    def extra_repr(self) -> str:
        shown = {**self._init_args, **self.options}
        shown = {
            k: (getattr(self, f"{k}_option").tolist() if v is _BUFFER else v)
            for k, v in shown.items()
        }
        return ", ".join(f"{k}={v!r}" for k, v in shown.items())


@functools.cache
def module_class(function: type[PluginFunction]) -> type[nn.Module]:
    """The Module class the registry builds for a plugin Function (one per Function).

    A recurrent cell gets the sequence Module unrolling it (``framework.contract.recurrent``);
    any other Function a Module applying it once, named after it.
    """
    if issubclass(function, RecurrentCellFunction):
        return recurrent_module_class(function)
    return function_module_class(function)


@functools.cache
def function_module_class(function: type[PluginFunction]) -> type[PluginModule]:
    """A Module class applying ``function`` once (for a recurrent cell: one time step)."""
    return type(
        function.__name__,
        (PluginModule,),
        {"function": function, "__doc__": function.__doc__, "__module__": function.__module__},
    )
