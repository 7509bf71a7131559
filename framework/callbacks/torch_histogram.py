"""A TensorBoard histogram binned by torch, written with ``SummaryWriter.add_histogram_raw``.

``SummaryWriter.add_histogram`` converts the tensor to numpy and bins it there; numpy's
``values.dot(values)`` (the sum of squares) wakes OpenBLAS's thread pool, which then spins
against torch's own threads and slows the training steps that follow (about 2× on 2 cores,
issue 21). Here everything is computed by torch, on the tensor's device, and the summary written
is the one ``add_histogram`` writes: equal-width bins over ``[min, max]`` (``±0.5`` around a
constant), trimmed to the bins between the first and last non-empty one, with an empty bin on the
left so that TensorBoard shows the leftmost edge. Non-finite values are left out of the bins and
of ``num``, ``sum`` and ``sum_squares`` (numpy would refuse the whole tensor).
"""

from __future__ import annotations

from typing import Any

import torch


def histogram_fields(values: torch.Tensor, bins: int) -> dict[str, Any] | None:
    """``add_histogram_raw``'s keyword arguments for ``values``; ``None`` if none is finite."""
    v = values.detach().reshape(-1)
    if not v.is_floating_point() or v.dtype in (torch.float16, torch.bfloat16):
        v = v.float()
    finite = torch.isfinite(v)
    if not bool(finite.all()):
        v = v[finite]
    if v.numel() == 0:
        return None
    lo, hi = (float(t) for t in torch.aminmax(v))
    low, high = (lo - 0.5, hi + 0.5) if lo == hi else (lo, hi)
    counts = torch.histc(v, bins=bins, min=low, max=high).to(torch.int64)
    limits = torch.linspace(low, high, bins + 1, dtype=torch.float64)
    filled = torch.nonzero(counts).reshape(-1)
    start, end = int(filled[0]), int(filled[-1]) + 1
    # an empty bin left of the first filled one: TensorBoard shows only right edges
    left = counts[start - 1 : start] if start > 0 else counts.new_zeros(1)
    counts = torch.cat([left, counts[start:end]])
    v64 = v.to(torch.float64)
    return {
        "min": lo,
        "max": hi,
        "num": int(v.numel()),
        "sum": float(v64.sum()),
        "sum_squares": float(torch.dot(v64, v64)),
        "bucket_limits": limits[start : end + 1].tolist(),
        "bucket_counts": counts.tolist(),
    }


def add_histogram(writer: Any, tag: str, values: torch.Tensor, step: int, bins: int) -> None:
    """``writer.add_histogram(tag, values, step, bins=bins)`` without numpy (see the module)."""
    fields = histogram_fields(values, bins)
    if fields is not None:
        writer.add_histogram_raw(tag, global_step=step, **fields)
