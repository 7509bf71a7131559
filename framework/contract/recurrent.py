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


class RecurrentModule(nn.Module):
    r"""Unrolls ``self.function`` over time and stacks ``num_layers`` layers, as ``torch.nn.RNN``.

    Input ``(L, N, input_size)`` (``(N, L, input_size)`` with ``batch_first``, or unbatched
    ``(L, input_size)``) and optionally the initial state: ``h_0`` of shape
    ``(D * num_layers, N, H_out)``, or a tuple ``(h_0, c_0)`` for a cell with two states, ``c_0``
    ``(D * num_layers, N, hidden_size)`` (zeros if omitted). Returns ``(output, h_n)`` or
    ``(output, (h_n, c_n))``: ``output`` ``(L, N, D * H_out)`` holds the last layer's ``h`` at every
    step, ``h_n`` every layer's state at the last step. As in ``torch.nn``:

    - ``bidirectional=True`` (``D = 2``): each layer also runs a second cell, with its own tensors
      (``weight_ih_l0_reverse`` …), from the last step to the first; the two directions' ``h``
      are concatenated, and the layer above reads both.
    - ``dropout=p``: the dropout plugin on each layer's output but the last, in training.
    - ``proj_size=P`` (a cell with two states, the LSTM): ``h`` is projected to ``P`` features
      after each step, ``h' W_{hr}^\top`` with ``weight_hr_l0`` ``(P, hidden_size)``, by the linear
      plugin; the cell then reads ``h`` of ``P`` features (its ``weight_hh`` is ``(4H, P)``) and
      ``H_out = P``.

    Every step is the cell plugin's own Function (and the projection the linear plugin's), so
    the whole sequence's gradient is their hand-written backwards chained by autograd.
    """

    function: type[RecurrentCellFunction]

    def __init__(self, **params: Any) -> None:
        super().__init__()
        fn = self.function
        sig = signature_of(fn)
        params = dict(params)
        check_parameters(fn, params, {**sig.parameters, **SEQUENCE_OPTIONS})
        self.signature = sig
        self.n_hidden = fn.intermediates
        option = {n: params.get(n, d) for n, d in SEQUENCE_OPTIONS.items()}
        self.num_layers = int(option["num_layers"])
        self.batch_first = bool(option["batch_first"])
        self.bidirectional = bool(option["bidirectional"])
        self.dropout = float(option["dropout"])
        self.proj_size = int(option["proj_size"])
        self.hidden_size_given = params.get("hidden_size", sig.init_options.get("hidden_size"))
        self._check_sequence_options(fn)
        self.options = {
            name: params.get(name, default)
            for name, default in sig.options.items()
            if name != "training"
        }
        init_args = {n: params.get(n, d) for n, d in sig.init_options.items()}
        self.hidden_size = int(init_args["hidden_size"])
        self.directions = 2 if self.bidirectional else 1
        out_size = self.proj_size or self.hidden_size
        for layer in range(self.num_layers):
            if layer > 0:  # deeper layers read the layer below's h, both directions
                init_args["input_size"] = out_size * self.directions
            for suffix in self._suffixes:
                tensors = fn.init(**init_args)  # type: ignore[attr-defined]
                if self.proj_size:
                    tensors = {**tensors, **self._projection(tensors["weight_hh"])}
                names = [*sig.learnables, *(["weight_hr"] if self.proj_size else [])]
                register_tensors(self, {f"{n}_l{layer}{suffix}": tensors.get(n) for n in names})
        self.between = None
        if self.dropout and self.num_layers > 1:
            from framework.contract.registries import LAYERS

            self.between = LAYERS.build("dropout", p=self.dropout)
        self._init_args = {n: params[n] for n in sig.init_options if n in params}

    @property
    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    def _check_sequence_options(self, fn: type[RecurrentCellFunction]) -> None:
        problem = None
        if self.num_layers < 1:
            problem = f"num_layers={self.num_layers} must be at least 1"
        elif not 0 <= self.dropout <= 1:
            problem = f"dropout={self.dropout} must be a probability in [0, 1]"
        elif self.proj_size < 0:
            problem = f"proj_size={self.proj_size} must be 0 (none) or positive"
        elif self.proj_size >= int(self.hidden_size_given):
            problem = (
                f"proj_size={self.proj_size} must be smaller than hidden_size="
                f"{self.hidden_size_given}"
            )
        elif self.proj_size and fn.n_inputs != 3:
            problem = (
                f"proj_size={self.proj_size} needs a cell with two states (h and c, as the "
                f"LSTM); this one carries {fn.n_inputs - 1}"
            )
        if problem:
            raise ValueError(f"{fn.plugin_kind} {fn.plugin_name!r}: {problem}")

    def _projection(self, weight_hh: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""``weight_hh`` reading ``proj_size`` features, and ``weight_hr``; initialised as
        ``torch.nn.LSTM``: :math:`\mathcal U(-1/\sqrt{H}, 1/\sqrt{H})`."""
        bound = self.hidden_size**-0.5
        return {
            "weight_hh": torch.empty(weight_hh.shape[0], self.proj_size).uniform_(-bound, bound),
            "weight_hr": torch.empty(self.proj_size, self.hidden_size).uniform_(-bound, bound),
        }

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
            if layer and self.between is not None:
                x = self.between(x)
            outputs = []
            for d, suffix in enumerate(self._suffixes):
                k = layer * self.directions + d
                state = tuple(s[k] for s in states)
                out, state = self._run(x, state, f"_l{layer}{suffix}", options, reverse=d == 1)
                outputs.append(out)
                finals.append(state)
            x = outputs[0] if len(outputs) == 1 else torch.cat(outputs, -1)
        last = [torch.stack(layers) for layers in zip(*finals, strict=True)]
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        if not batched:
            x, last = x.squeeze(1), [s.squeeze(1) for s in last]
        return x, (last[0] if self.n_states == 1 else tuple(last))

    def _run(
        self,
        x: torch.Tensor,
        state: tuple[torch.Tensor, ...],
        suffix: str,
        options: list[Any],
        reverse: bool,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """One layer in one direction over the sequence ``x``: every step's ``h``, and the
        state after the last step (the first, going backwards)."""
        weights = [getattr(self, f"{n}{suffix}") for n in self.signature.learnables]
        project = getattr(self, f"weight_hr{suffix}") if self.proj_size else None
        linear = _linear() if project is not None else None
        steps = []
        xs = x.unbind(0)
        for x_t in reversed(xs) if reverse else xs:
            out = visible(self.function.apply(x_t, *state, *weights, *options), self.n_hidden)
            state = out if isinstance(out, tuple) else (out,)
            if linear is not None:
                state = (linear.apply(state[0], project, None), *state[1:])
            steps.append(state[0])
        if reverse:
            steps.reverse()
        width = self.proj_size or self.hidden_size
        return (torch.stack(steps) if steps else x.new_zeros(0, x.shape[1], width)), state

    def _initial_states(self, hx: Any, x: torch.Tensor, batched: bool) -> list[torch.Tensor]:
        layers = self.num_layers * self.directions
        widths = [self.proj_size or self.hidden_size, self.hidden_size][: self.n_states]
        if hx is None:
            return [x.new_zeros(layers, x.shape[1], w) for w in widths]
        given = list(hx) if isinstance(hx, (tuple, list)) else [hx]
        if len(given) != self.n_states:
            raise ValueError(
                f"{self.function.plugin_name} carries {self.n_states} state(s), got {len(given)}"
            )
        states = [s if batched else s.unsqueeze(1) for s in given]
        for name, raw, state, width in zip(("h_0", "c_0"), given, states, widths, strict=False):
            if tuple(state.shape) != (layers, x.shape[1], width):
                shown = (layers, x.shape[1], width) if batched else (layers, width)
                raise ValueError(
                    f"{self.function.plugin_name}: {name} is shaped {tuple(raw.shape)}, "
                    f"expected {shown} (num_layers × directions, batch, "
                    f"{'proj_size' if name == 'h_0' and self.proj_size else 'hidden_size'})"
                )
        return states

    def extra_repr(self) -> str:
        shown = {**self._init_args, "num_layers": self.num_layers, "batch_first": self.batch_first}
        shown |= {
            n: getattr(self, n)
            for n in ("bidirectional", "dropout", "proj_size")
            if getattr(self, n) != SEQUENCE_OPTIONS[n]
        }
        return ", ".join(f"{k}={v!r}" for k, v in {**shown, **self.options}.items())


def _linear() -> type:
    """The linear plugin's Function (the LSTM's projection)."""
    from framework.contract.registries import LAYERS

    return LAYERS.get("linear")


@functools.cache
def recurrent_module_class(function: type[RecurrentCellFunction]) -> type[RecurrentModule]:
    """The sequence Module class for a recurrent cell (``LSTMCell`` -> ``LSTM``)."""
    return type(
        function.__name__.removesuffix("Cell"),
        (RecurrentModule,),
        {"function": function, "__doc__": function.__doc__, "__module__": function.__module__},
    )
