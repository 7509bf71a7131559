"""Compact mode as a declaration: a plugin says what its backward can live on; this module keeps
it, packs it, unpacks it and applies it.

One line in the plugin class::

    compact = OneBit(lambda x, y: y > 0)                         # relu: f' is 1 or 0
    compact = OneBit(lambda x, y: x > 0, low="negative_slope")   # leaky_relu: f' is 1 or alpha
    compact = IntervalTable(BOUNDARIES, VALUES, error=0.044)     # silu: f' per interval, 4 bits
    compact = RoundedInput(torch.bfloat16, error="...")          # linear: a bfloat16 copy of x

gives the plugin an option ``compact`` (default ``False``: exact). With ``compact=True`` the
Module applies instead the Function ``compact_function`` builds from the plugin: the same
``forward``, but for the backward it keeps only what the declaration names:

- ``OneBit``: the derivative takes one of two values (``low``, ``high``; a number or the name of
  an option), and a bit per element, from ``bit(x, y, **options)``, says which: 1 bit each,
  packed eight to a byte. Exact.
- ``IntervalTable``: which of at most 16 intervals between ``boundaries`` each input lies in (4
  bits, two to a byte) and one derivative value per interval (few-bit backward, Novikov et al.,
  ICML 2023); ``error`` is the largest difference to :math:`f'` the table makes, which
  ``nn-plugins check`` measures and reports. Tables may depend on an option: pass dicts keyed by
  its value and ``by=`` the option's name (GELU's ``approximate``).
- ``RoundedInput``: the plugin's own backward, fed the input rounded to ``dtype`` (the weight
  gradient of a linear layer from a bfloat16 copy); an input already that narrow is kept as is.

The two element-wise kinds give ``grad_output * f'`` (in place on the unpacked buffer when no
higher-order gradient is needed). Compact mode is an approximation on purpose where ``error``
is set: the checks keep the exact default (``approximate_options``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import torch

from framework.contract.bits import interval_values, pack_bits, pack_intervals, unpack_bits


class CompactDeclaration:
    """What a plugin's backward keeps in compact mode; ``error`` (None: exact) is the stated
    bound on the derivative's error."""

    error: float | str | None = None

    def describe(self) -> str:
        """The ``approximate_options`` text of an approximate declaration."""
        raise NotImplementedError


class OneBit(CompactDeclaration):
    """:math:`f'` is ``high`` where ``bit(x, y, **options)`` holds, ``low`` elsewhere."""

    def __init__(
        self, bit: Callable[..., torch.Tensor], low: float | str = 0.0, high: float | str = 1.0
    ) -> None:
        self.bit, self.low, self.high = bit, low, high
        self.wanted = tuple(inspect.signature(bit).parameters)[2:]

    def pack(self, x: torch.Tensor, y: torch.Tensor, options: dict[str, Any]) -> torch.Tensor:
        return pack_bits(self.bit(x, y, **{k: options[k] for k in self.wanted}))

    def slope(self, packed, shape, options, dtype) -> torch.Tensor:
        low, high = (options[v] if isinstance(v, str) else v for v in (self.low, self.high))
        return unpack_bits(packed, shape, float(high), dtype, low=float(low))


class IntervalTable(CompactDeclaration):
    """:math:`f'` is ``values[k]`` on the ``k``-th interval between ``boundaries``."""

    def __init__(self, boundaries: Any, values: Any, error: float, by: str | None = None) -> None:
        self.boundaries, self.values, self.error, self.by = boundaries, values, error, by
        self.wanted = (by,) if by else ()

    def describe(self) -> str:
        return f"few-bit derivative, within {self.error:g} of f'"

    def _table(self, table: Any, options: dict[str, Any]) -> tuple[float, ...]:
        return table[options[self.by]] if self.by else table

    def pack(self, x: torch.Tensor, y: torch.Tensor, options: dict[str, Any]) -> torch.Tensor:
        return pack_intervals(x, self._table(self.boundaries, options))

    def slope(self, packed, shape, options, dtype) -> torch.Tensor:
        return interval_values(packed, shape, self._table(self.values, options), dtype)


class RoundedInput(CompactDeclaration):
    """The plugin's own backward with the input ``x`` kept rounded to ``dtype``."""

    def __init__(self, dtype: torch.dtype, error: str) -> None:
        self.dtype, self.error = dtype, error

    def describe(self) -> str:
        return str(self.error)


def compact_function(fn: type) -> type:
    """The compact-mode Function of plugin ``fn`` (built once per plugin)."""
    return _compact_function(fn, fn.compact)


@functools.cache
def _compact_function(fn: type, declaration: CompactDeclaration) -> type:
    if isinstance(declaration, RoundedInput):
        methods = _rounded_methods(fn, declaration)
    else:
        methods = _elementwise_methods(fn, declaration)
    forward = methods.pop("forward")
    forward.__signature__ = inspect.signature(fn.forward)  # the plugin's arguments
    attributes = {
        "forward": staticmethod(forward),
        "backward_in_place": None,
        **{name: staticmethod(method) for name, method in methods.items()},
        "intermediates": 1,  # what compact mode keeps
        "compact": None,
        "__module__": fn.__module__,
        "__qualname__": fn.__qualname__,
        "__doc__": fn.__doc__,
    }
    return type(fn.__name__, (fn,), attributes)


def _option_names(fn: type) -> tuple[str, ...]:
    params = list(inspect.signature(fn.forward).parameters)
    return tuple(params[getattr(fn, "n_inputs", 1) :])


def _elementwise_methods(fn: type, declaration: Any) -> dict[str, Callable[..., Any]]:
    names = _option_names(fn)
    plugin_forward = fn.forward

    def forward(*args: Any) -> Any:
        y = plugin_forward(*args)
        return y, declaration.pack(args[0], y, dict(zip(names, args[1:], strict=True)))

    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        ctx.options = dict(zip(names, inputs[1:], strict=True))
        ctx.shape = inputs[0].shape
        ctx.save_for_backward(output[1])

    def slope(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        (packed,) = ctx.saved_tensors
        return declaration.slope(packed, ctx.shape, ctx.options, grad_output.dtype)

    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        return grad_output * slope(ctx, grad_output)

    def backward_in_place(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        return slope(ctx, grad_output).mul_(grad_output)

    return {
        "forward": forward,
        "setup_context": setup_context,
        "backward": backward,
        "backward_in_place": backward_in_place,
    }


def _rounded_methods(fn: type, declaration: RoundedInput) -> dict[str, Callable[..., Any]]:
    plugin_forward, plugin_setup, plugin_backward = fn.forward, fn.setup_context, fn.backward
    width = torch.empty((), dtype=declaration.dtype).element_size()

    def forward(*args: Any) -> Any:
        x = args[0]
        kept = x.to(declaration.dtype) if x.element_size() > width else x.new_empty(0)
        return plugin_forward(*args), kept

    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        y, kept = output
        ctx.restore = inputs[0].dtype if kept.dtype != inputs[0].dtype else None
        plugin_setup(ctx, (kept, *inputs[1:]) if ctx.restore else inputs, y)

    def backward(ctx: Any, grad_output: torch.Tensor) -> Any:
        return plugin_backward(
            _Restored(ctx, declaration.dtype) if ctx.restore else ctx, grad_output
        )

    return {"forward": forward, "setup_context": setup_context, "backward": backward}


class _Restored:
    """The plugin's ``ctx`` as its backward expects it: the rounded input back in its dtype."""

    def __init__(self, ctx: Any, rounded: torch.dtype) -> None:
        self._ctx = ctx
        self.saved_tensors = tuple(
            t.to(ctx.restore) if t is not None and t.dtype == rounded else t
            for t in ctx.saved_tensors
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)
