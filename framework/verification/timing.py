"""Measuring a plugin against its reference: forward+backward time and bytes saved for backward.

The measuring functions take plain callables, so that they serve one plugin (``nn-plugins bench``)
as well as whole training steps (``nn-bench``):

- ``median_times({"plugin": step, "reference": step})``: the median wall time of each step, the
  steps run alternately in one loop, so that both see the same machine state (turbo, other load);
- ``saved_tensor_bytes(forward)``: the bytes autograd keeps for the backward of ``forward``,
  counted with ``torch.autograd.graph.saved_tensors_hooks``, once per storage;
- ``forward_backward(call, tensors)``: a step running ``call`` forward and back.

``bench_plugin(kind, name)`` puts them together for one registered plugin, with inputs of about
``size`` elements, against the plugin's reference: its native op if it declares one, else
autograd through its own ``forward``.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from framework.contract.function import PluginFunction
from framework.contract.registries import REGISTRIES
from framework.verification.checking import (
    Case,
    input_shapes,
    make_case,
    reference_call,
    to_domain,
)

DEFAULT_SIZE = 1_000_000
DEFAULT_REPEATS = 15


# -- generic measuring ------------------------------------------------------------------------
def _synchronize(device: torch.device | str | None) -> None:
    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def median_times(
    steps: Mapping[str, Callable[[], Any]],
    repeats: int = DEFAULT_REPEATS,
    warmup: int = 2,
    device: torch.device | str | None = None,
) -> dict[str, float]:
    """Median seconds per call of each step, measured alternately in one loop.

    Round ``r`` runs the steps in order, round ``r + 1`` in reverse order, so that neither always
    runs first (a warm cache, a clock ramping up). ``device``: synchronise CUDA around each call.
    """
    names = list(steps)
    for _ in range(warmup):
        for name in names:
            steps[name]()
    _synchronize(device)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names if r % 2 == 0 else reversed(names):
            start = time.perf_counter()
            steps[name]()
            _synchronize(device)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def saved_tensor_bytes(forward: Callable[[], Any]) -> int:
    """Bytes of the tensors autograd saves for the backward of ``forward()``.

    Every tensor packed for the backward is counted by its storage, once per storage (an input
    saved twice, or a view saved next to its base, costs its memory once). ``forward``'s result
    is dropped afterwards, and with it the graph.
    """
    storages: dict[tuple[str, int], int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        try:
            storage = t.untyped_storage()
            key = (str(t.device), storage.data_ptr())
            storages[key] = max(storages.get(key, 0), storage.nbytes())
        except (RuntimeError, NotImplementedError):  # sparse and other storage-less tensors
            storages[(str(t.device), id(t))] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = forward()
    del out
    return sum(storages.values())


def forward_backward(call: Callable[..., Any], tensors: Sequence[Any]) -> Callable[[], Any]:
    """A step: ``call(*tensors)`` forward, then the gradients of every tensor requiring grad.

    The outputs' incoming gradients are fixed random tensors (made once, here), as in a network
    where the layer above hands down a gradient; the gradients are returned, not accumulated.
    """
    diff = [t for t in tensors if isinstance(t, torch.Tensor) and t.requires_grad]
    outs = _tensor_outputs(call(*tensors))
    gen = torch.Generator().manual_seed(1)
    grads = [
        torch.randn(o.shape, generator=gen, dtype=torch.float32).to(o.device, o.dtype) for o in outs
    ]
    used = [i for i, o in enumerate(outs) if o.requires_grad]

    def step() -> Any:
        outs = _tensor_outputs(call(*tensors))
        if not used or not diff:
            return outs
        return torch.autograd.grad(
            [outs[i] for i in used], diff, [grads[i] for i in used], allow_unused=True
        )

    return step


def _tensor_outputs(out: Any) -> list[torch.Tensor]:
    outs = list(out) if isinstance(out, tuple | list) else [out]
    return [o for o in outs if isinstance(o, torch.Tensor) and o.is_floating_point()]


# -- one plugin -------------------------------------------------------------------------------
@dataclass
class PluginBench:
    """One plugin against its reference: median forward+backward seconds, saved bytes."""

    kind: str
    name: str
    reference: str  # "native torch.relu" or "autograd through forward"
    shapes: list[tuple[int, ...]]
    plugin_seconds: float
    reference_seconds: float
    plugin_bytes: int
    reference_bytes: int

    @property
    def time_ratio(self) -> float:
        return _ratio(self.plugin_seconds, self.reference_seconds)

    @property
    def bytes_ratio(self) -> float:
        return _ratio(self.plugin_bytes, self.reference_bytes)


def _ratio(a: float, b: float) -> float:
    if b == 0:
        return 1.0 if a == 0 else math.inf
    return a / b


def bench_plugin(
    kind: str,
    name: str,
    size: int = DEFAULT_SIZE,
    repeats: int = DEFAULT_REPEATS,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
    **params: Any,
) -> PluginBench:
    """Time forward+backward and count saved bytes of plugin ``name`` and of its reference.

    The inputs hold about ``size`` elements: a declared ``example_input`` (every layer's) is
    repeated along its batch dimension, any other input is a ``(size // 1000, 1000)`` matrix.
    """
    fn = REGISTRIES[kind].get(name)
    case = bench_case(fn, params, size, dtype, device)
    tensors = case.with_grad()
    reference = reference_call(fn, case)
    steps = {
        "plugin": forward_backward(case.call, tensors),
        "reference": forward_backward(reference, tensors),
    }
    seconds = median_times(steps, repeats=repeats, device=device)
    label = f"native {_name(fn.reference)}" if fn.reference else "autograd through forward"
    return PluginBench(
        kind=kind,
        name=REGISTRIES[kind].entry(name).name,
        reference=label,
        shapes=[tuple(t.shape) for t in case.tensors[: len(case.module.signature.inputs)]],
        plugin_seconds=seconds["plugin"],
        reference_seconds=seconds["reference"],
        plugin_bytes=saved_tensor_bytes(lambda: case.call(*tensors)),
        reference_bytes=saved_tensor_bytes(lambda: reference(*tensors)),
    )


def bench_case(
    fn: type[PluginFunction],
    params: Mapping[str, Any],
    size: int,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> Case:
    """The plugin's arguments (``framework.verification.checking.make_case``) with about ``size``
    elements."""
    if size < 1:
        raise ValueError(f"size={size} must be a positive number of elements")
    gen = torch.Generator().manual_seed(0)
    if fn.plugin_kind == "layer" or getattr(fn, "example_input", None) is not None:
        first = input_shapes(fn)[0]  # the declared example, repeated along the batch
        per_sample = math.prod(first[1:])
        shape: tuple[int, ...] = (max(1, size // max(per_sample, 1)), *first[1:])
    else:
        cols = min(1000, size)
        shape = (max(1, size // cols), cols)
    bound = getattr(fn, "index_input", None)
    if bound:
        limit = {**getattr(fn, "example", {}), **params}[bound]
        x = torch.randint(0, limit, shape, generator=gen)
    else:
        x = torch.randn(shape, generator=gen, dtype=torch.float64)
        domain = params.get("_input_domain", getattr(fn, "input_domain", "real"))
        x = to_domain(x, domain, random=True)
    case = make_case(fn, dict(params), dtype, x=x)
    case.tensors = [t.to(device) if t is not None else None for t in case.tensors]
    case.module.to(device)
    return case


def _name(ref: Any) -> str:
    """``F.mse_loss``, ``torch.relu``; a wrapper in a plugin file: ``lstm._native``."""
    module = getattr(ref, "__module__", None) or ""
    name = getattr(ref, "__name__", repr(ref))
    if module == "torch.nn.functional":
        return f"F.{name}"
    if module.startswith("torch"):
        return f"torch.{name}"
    return f"{module.rpartition('.')[2]}.{name}" if module else name


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def format_seconds(s: float) -> str:
    """``0.00123`` -> ``'1.23 ms'``."""
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} µs"
