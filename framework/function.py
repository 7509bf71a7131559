"""Plugin base classes: each plugin is a ``torch.autograd.Function`` with a hand-written backward.

A plugin writes ``forward(x, ...)``, ``setup_context(ctx, inputs, output)`` and
``backward(ctx, grad_output)`` as static methods (the style ``torch.func`` and ``torch.compile``
understand). ``backward`` may return just the gradients of the leading tensor arguments; the
trailing ``None`` for options (``negative_slope`` …) is added here.

Class attributes a plugin may set:

- ``reference``: the native PyTorch op taking the same arguments (tensors positionally, options
  by keyword). ``nn-plugins check`` compares against it; without one, against autograd through
  the plugin's own ``forward``.
- ``kinks``: input values where the derivative is undefined (ReLU: ``(0.0,)``); numerical
  gradient checks stay away from them, agreement checks visit them.
- ``init(...)``: a static method creating the learnable tensors named in ``forward``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ClassVar

import torch

from framework.signature import signature_of


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
        if "backward" in cls.__dict__:
            n_args = len(inspect.signature(cls.forward).parameters)
            cls.backward = staticmethod(_pad_grads(cls.__dict__["backward"].__func__, n_args))


def _pad_grads(backward: Callable[..., Any], n_args: int) -> Callable[..., Any]:
    """Let a backward return only the gradients it has; options get ``None``."""

    @functools.wraps(backward)
    def padded(ctx: Any, *grad_outputs: Any) -> Any:
        grads = backward(ctx, *grad_outputs)
        if not isinstance(grads, tuple):
            grads = (grads,)
        return grads + (None,) * (n_args - len(grads))

    padded.__wrapped_backward__ = backward  # type: ignore[attr-defined]
    return padded


class ActivationFunction(PluginFunction):
    """Base class of activation plugins: ``forward(x, **options) -> y`` of the same shape."""

    n_inputs = 1


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
    arguments and ``example_input`` an input shape used by ``nn-plugins check``.
    """

    n_inputs = 1
    inferred: ClassVar[dict[str, int]] = {}
    example: ClassVar[dict[str, Any]] = {}
    example_input: ClassVar[tuple[int, ...]] = (4, 3)
