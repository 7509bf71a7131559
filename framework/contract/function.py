"""Plugin base classes: each plugin is a ``torch.autograd.Function`` with a hand-written backward.

A plugin writes ``forward(x, ...)``, ``setup_context(ctx, inputs, output)`` and
``backward(ctx, grad_output)`` as static methods (the style ``torch.func`` and ``torch.compile``
understand), the backward as the formula in differentiable torch ops, so that a double backward
needs no extra code. Everything else is done here:

- ``backward`` may return just the gradients of the leading tensor arguments; the trailing
  ``None`` for options (``negative_slope`` …) is added.
- ``backward_in_place(ctx, grad_output)`` (optional): the same derivative computed in fresh
  buffers updated in place, for speed. It is called when no higher-order gradient is being
  built (``torch.is_grad_enabled()`` false inside the backward), ``backward`` otherwise;
  returning ``NotImplemented`` (no faster form for these options) falls back to ``backward``.
  ``nn-plugins check`` verifies that the two agree.
- activations get ``generate_vmap_rule = True`` (``torch.func.vmap`` over the plugin).
- ``compact = OneBit(...) | IntervalTable(...) | RoundedInput(...)``
(``framework.contract.compact``)
  adds the option ``compact`` and builds the compact-mode Function.
- ``intermediates``: how many tensors ``forward`` returns after its outputs for
  ``setup_context`` to save (the dropout mask, max-pool indices, batch statistics). In this
  style ``forward`` has no ``ctx``, so what it computes for the backward must leave through its
  return value (as the PyTorch docs advise). The Modules hide them from callers (``visible``);
  they are marked non-differentiable, and ``backward`` receives only the gradients of the real
  outputs. Being constants to autograd, a ``backward`` recomputes them; ``backward_in_place``
  may use them.

The class attributes a plugin may set are listed in docs/writing-plugins.md.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch._functorch.utils import unwrap_dead_wrappers

from framework.contract.signature import signature_of


class Buffer:
    """Marks a tensor returned by ``init`` as a buffer (saved, not learned): running statistics."""

    def __init__(self, tensor: torch.Tensor) -> None:
        self.tensor = tensor


class PluginFunction(torch.autograd.Function):
    """Common base of activation, loss and layer plugins."""

    plugin_kind: ClassVar[str] = "plugin"
    plugin_name: ClassVar[str] = ""
    n_inputs: ClassVar[int] = 1
    reference: ClassVar[Callable[..., Any] | None] = None
    kinks: ClassVar[tuple[float, ...]] = ()
    tensor_options: ClassVar[tuple[str, ...]] = ("weight", "pos_weight")
    intermediates: ClassVar[int] = 0
    approximate_options: ClassVar[dict[str, str]] = {}
    compact: ClassVar[Any] = None  # a framework.contract.compact declaration
    backward_in_place: ClassVar[Callable[..., Any] | None] = None
    chainable: ClassVar[bool] = True  # may join a one-node chain (framework.contract.chain)
    _n_forward_args: ClassVar[int] = -1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "forward" not in cls.__dict__:
            return  # an intermediate base class
        if not isinstance(cls.__dict__["forward"], staticmethod):
            raise TypeError(f"{cls.__qualname__}.forward must be a @staticmethod")
        if cls.setup_context is torch.autograd.Function.setup_context:
            raise TypeError(
                f"{cls.__qualname__} must define setup_context(ctx, inputs, output) to save what "
                f"its backward needs (forward takes no ctx in this style)"
            )
        signature_of(cls)  # fails early on *args/**kwargs
        n_hidden = cls.intermediates
        n_args = len(inspect.signature(cls.forward).parameters)
        cls._n_forward_args = n_args
        if cls.__dict__.get("compact") is not None and cls.compact.error is not None:
            cls.approximate_options = {**cls.approximate_options, "compact": cls.compact.describe()}
        if "backward" in cls.__dict__:
            backward = cls.__dict__["backward"].__func__
            in_place = cls.__dict__.get("backward_in_place")
            if in_place is not None:
                backward = _formula_or_in_place(backward, in_place.__func__)
            cls.backward = staticmethod(_pad_grads(backward, n_args, n_hidden))
        if n_hidden and "setup_context" in cls.__dict__:
            setup = cls.__dict__["setup_context"].__func__
            cls.setup_context = staticmethod(_hide_intermediates(setup, n_hidden))

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """``torch.autograd.Function.apply``, without binding ``forward``'s signature again on
        every call (``inspect.signature``: most of a small op's cost) when every argument is
        given positionally, as the plugin Modules give them. ``torch.compile`` traces ``apply``
        itself and never runs this."""
        if (
            torch.compiler.is_compiling()
            or kwargs
            or len(args) != cls._n_forward_args
            or torch._C._are_functorch_transforms_active()
        ):
            return super().apply(*args, **kwargs)
        return super(torch.autograd.Function, cls).apply(*unwrap_dead_wrappers(args))

    @classmethod
    def visible(cls, output: Any) -> Any:
        """``forward``'s return value without its ``intermediates``."""
        return visible(output, cls.intermediates)


def visible(output: Any, n_hidden: int) -> Any:
    """``apply``'s result without the last ``n_hidden`` outputs (the intermediates).

    Callers read ``n_hidden`` once, outside any compiled region: ``torch.compile`` traces
    ``Function.apply`` itself but not attributes of the Function class.
    """
    if not n_hidden:
        return output
    shown = output[:-n_hidden]
    return shown[0] if len(shown) == 1 else shown


def _formula_or_in_place(
    formula: Callable[..., Any], in_place: Callable[..., Any]
) -> Callable[..., Any]:
    """The differentiable formula when a higher-order gradient is being built, else the
    in-place variant."""

    @functools.wraps(formula)
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        if not torch.is_grad_enabled():
            grads = in_place(ctx, *grad_outputs)
            if grads is not NotImplemented:  # no faster form for these arguments
                return grads
        return formula(ctx, *grad_outputs)

    return backward


def _pad_grads(backward: Callable[..., Any], n_args: int, n_hidden: int = 0) -> Callable[..., Any]:
    """Let a backward return only the gradients it has; options get ``None``.

    With ``intermediates``, only the real outputs' gradients are passed on (zeros where unused).
    """

    @functools.wraps(backward)
    def padded(ctx: Any, *grad_outputs: Any) -> Any:
        if n_hidden:
            meta = ctx.output_meta
            grad_outputs = tuple(
                g if g is not None else torch.zeros(shape, dtype=dtype, device=device)
                for g, (shape, dtype, device) in zip(grad_outputs[: len(meta)], meta, strict=True)
            )
        grads = backward(ctx, *grad_outputs)
        if not isinstance(grads, tuple):
            grads = (grads,)
        return grads + (None,) * (n_args - len(grads))

    padded.__wrapped_backward__ = backward  # type: ignore[attr-defined]
    return padded


def _hide_intermediates(setup_context: Callable[..., Any], n_hidden: int) -> Callable[..., Any]:
    """Mark the trailing ``intermediates`` non-differentiable; build no zero gradients for them."""

    @functools.wraps(setup_context)
    def setup(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        setup_context(ctx, inputs, output)
        marked = tuple(getattr(ctx, "non_differentiable", None) or ())  # by the plugin (indices)
        ctx.mark_non_differentiable(*marked, *output[-n_hidden:])
        ctx.set_materialize_grads(False)
        ctx.output_meta = [(o.shape, o.dtype, o.device) for o in output[:-n_hidden]]

    return setup


class ActivationFunction(PluginFunction):
    """Base class of activation plugins: ``forward(x, **options) -> y`` of the same shape."""

    n_inputs = 1
    generate_vmap_rule = True


class LossFunction(PluginFunction):
    """Base class of loss plugins: ``forward(input, target, reduction="mean", ...)``.

    ``target`` says what targets the loss expects, so that data and checks can supply them:
    ``"same"`` (real values shaped like the input), ``"class_index"`` (integer classes along
    dim 1), ``"binary"`` (0/1 floats), ``"sign"`` (±1) or ``"probability"`` (rows summing to 1).
    """

    n_inputs = 2
    target: ClassVar[str] = "same"


class LayerFunction(PluginFunction):
    """Base class of layer plugins: ``forward(x, weight, ..., options)`` with ``init(...)``.

    ``inferred`` maps an ``init`` argument to the input dimension it can be read from
    (``{"in_features": -1}``), so that models infer input sizes. ``example`` holds ``init``
    arguments and ``example_input`` an input shape used by ``nn-plugins check`` (one shape per
    input where ``n_inputs > 1``; they share the leading batch dimension). ``index_input`` names
    the ``init`` argument bounding an input of integer indices (embedding:
    ``"num_embeddings"``); checks then feed random indices below it.
    """

    n_inputs = 1
    inferred: ClassVar[dict[str, int]] = {}
    example: ClassVar[dict[str, Any]] = {}
    example_input: ClassVar[tuple[Any, ...]] = (4, 3)
    index_input: ClassVar[str | None] = None


class RecurrentCellFunction(LayerFunction):
    """Base class of recurrent cell plugins: one time step of a recurrent layer.

    ``forward(x, h, [c,] weight_ih, weight_hh, bias_ih, bias_hh)`` returns the new state ``h'``,
    or the new states ``(h', c')`` (``n_inputs`` counts ``x`` and the states);
    ``init(input_size, hidden_size, bias=True)`` creates one layer's tensors. The registry builds
    such a cell into a sequence Module (``framework.contract.recurrent``) that owns ``num_layers``
    sets of them, named as in ``torch.nn`` (``weight_ih_l0`` …), and applies the cell at every time
    step; the layer's output at each step is the first state. ``example_input`` gives one shape per
    input of one step: ``((N, input_size), (N, hidden_size))``.
    """

    n_inputs = 2
    inferred: ClassVar[dict[str, int]] = {"input_size": -1}
    module_options: ClassVar[dict[str, Any]] = {
        "num_layers": 1,
        "batch_first": False,
        "bidirectional": False,
        "dropout": 0.0,
        "proj_size": 0,
    }
