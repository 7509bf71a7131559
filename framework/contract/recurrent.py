"""Recurrent layers: a registered recurrent cell unrolled over a sequence, layer by layer.

A recurrent cell plugin (``RecurrentCellFunction``) computes one time step with its own backward,
``forward(x, h, [c,] weight_ih, weight_hh, bias_ih, bias_hh) -> h'`` (or ``(h', c')``), and its
``init(input_size, hidden_size, bias=True)`` creates one layer's tensors. The Module here owns
``num_layers`` sets of them, named as in ``torch.nn`` (``weight_ih_l0``, ``bias_hh_l1`` …) so that
state dicts copy over from ``torch.nn.RNN``/``GRU``/``LSTM``, and applies the cell once per time
step and layer: the gradient of a sequence is the cells' backward chained by autograd.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import nn

from framework.contract.function import RecurrentCellFunction, visible
from framework.contract.parameters import check_parameters, register_tensors
from framework.contract.signature import signature_of

#: What the sequence Module adds to the cell's parameters (``torch.nn.RNN``'s names and defaults).
SEQUENCE_OPTIONS: dict[str, Any] = dict(RecurrentCellFunction.module_options)

#: ``torch.nn.RNN``'s parameters not supported yet, with the one value accepted (their default):
#: any other value is refused with an error naming the parameter.
UNSUPPORTED_OPTIONS: dict[str, Any] = {"bidirectional": False, "proj_size": 0, "dropout": 0.0}


class RecurrentModule(nn.Module):
    """Unrolls ``self.function`` over time and stacks ``num_layers`` layers, as ``torch.nn.RNN``.

    Input ``(L, N, input_size)`` (``(N, L, input_size)`` with ``batch_first``, or unbatched
    ``(L, input_size)``) and optionally the initial state: ``h_0`` of shape
    ``(num_layers, N, hidden_size)``, or a tuple ``(h_0, c_0)`` for a cell with two states
    (zeros if omitted). Returns ``(output, h_n)`` or ``(output, (h_n, c_n))``: ``output`` holds the
    last layer's ``h`` at every step, ``h_n`` every layer's state at the last step.
    """

    function: type[RecurrentCellFunction]

    def __init__(self, **params: Any) -> None:
        super().__init__()
        fn = self.function
        sig = signature_of(fn)
        params = dict(params)
        for name, accepted in UNSUPPORTED_OPTIONS.items():
            value = params.pop(name, accepted)
            if value != accepted:
                raise ValueError(
                    f"{fn.plugin_kind} {fn.plugin_name!r} does not support {name}={value!r}: "
                    f"{', '.join(UNSUPPORTED_OPTIONS)} are not implemented yet, only their "
                    f"defaults ({name}={accepted!r}) are accepted; torch.nn."
                    f"{type(self).__name__} has them"
                )
        check_parameters(fn, params, {**sig.parameters, **SEQUENCE_OPTIONS})
        self.signature = sig
        self.n_hidden = fn.intermediates
        self.num_layers = int(params.get("num_layers", SEQUENCE_OPTIONS["num_layers"]))
        self.batch_first = bool(params.get("batch_first", SEQUENCE_OPTIONS["batch_first"]))
        self.options = {
            name: params.get(name, default)
            for name, default in sig.options.items()
            if name != "training"
        }
        init_args = {n: params.get(n, d) for n, d in sig.init_options.items()}
        self.hidden_size = init_args["hidden_size"]
        for layer in range(self.num_layers):
            if layer > 0:  # deeper layers read the layer below's h
                init_args["input_size"] = self.hidden_size
            tensors = fn.init(**init_args)  # type: ignore[attr-defined]
            register_tensors(self, {f"{n}_l{layer}": tensors.get(n) for n in sig.learnables})
        self._init_args = {n: params[n] for n in sig.init_options if n in params}

    @property
    def n_states(self) -> int:
        """How many states the cell carries (``h``; ``h`` and ``c`` for an LSTM)."""
        return self.function.n_inputs - 1

    def forward(self, input: torch.Tensor, hx: Any = None) -> tuple[torch.Tensor, Any]:
        batched = input.dim() == 3
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        states = self._initial_states(hx, x, batched)
        options = [
            self.training if name == "training" else self.options[name]
            for name in self.signature.options
        ]
        finals = []
        for layer in range(self.num_layers):
            weights = [getattr(self, f"{n}_l{layer}") for n in self.signature.learnables]
            state = tuple(s[layer] for s in states)
            steps = []
            for x_t in x.unbind(0):
                out = visible(self.function.apply(x_t, *state, *weights, *options), self.n_hidden)
                state = out if isinstance(out, tuple) else (out,)
                steps.append(state[0])
            x = torch.stack(steps) if steps else x.new_zeros(0, x.shape[1], self.hidden_size)
            finals.append(state)
        last = [torch.stack(layers) for layers in zip(*finals, strict=True)]
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        if not batched:
            x, last = x.squeeze(1), [s.squeeze(1) for s in last]
        return x, (last[0] if self.n_states == 1 else tuple(last))

    def _initial_states(self, hx: Any, x: torch.Tensor, batched: bool) -> list[torch.Tensor]:
        shape = (self.num_layers, x.shape[1], self.hidden_size)
        if hx is None:
            return [x.new_zeros(shape) for _ in range(self.n_states)]
        given = list(hx) if isinstance(hx, (tuple, list)) else [hx]
        if len(given) != self.n_states:
            raise ValueError(
                f"{self.function.plugin_name} carries {self.n_states} state(s), got {len(given)}"
            )
        return [s if batched else s.unsqueeze(1) for s in given]

    def extra_repr(self) -> str:
        shown = {**self._init_args, "num_layers": self.num_layers, "batch_first": self.batch_first}
        return ", ".join(f"{k}={v!r}" for k, v in {**shown, **self.options}.items())


@functools.cache
def recurrent_module_class(function: type[RecurrentCellFunction]) -> type[RecurrentModule]:
    """The sequence Module class for a recurrent cell (``LSTMCell`` -> ``LSTM``)."""
    return type(
        function.__name__.removesuffix("Cell"),
        (RecurrentModule,),
        {"function": function, "__doc__": function.__doc__, "__module__": function.__module__},
    )
