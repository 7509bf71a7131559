"""Masks and small codes packed into bytes, for backward passes that keep less memory.

A ``bool`` mask costs a byte per element; packed, eight elements share one byte (1 bit each,
``pack_bits``). Codes below 16 pack two to a byte (4 bits each, ``pack_codes``). Both work on the
flattened tensor, padded to whole bytes; unpacking takes the number of elements back.

Packing reads the eight flags of a byte group as one 64-bit word and gathers them into its top
byte with a single multiplication: flag :math:`i` sits at bit :math:`8i` and the factor
:math:`\\sum_j 2^{56 - 7j}` moves it to bit :math:`56 + i`; every other product lands below bit
56 on a bit of its own (no carries) or above bit 63 (dropped).

Unpacking into values is one table lookup per byte: a byte indexes a 256-row table holding the
value of each of its elements (8 for bits, 2 for codes), so no shifts or masks run per element.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F

_GATHER = 0x0102040810204080  # sum of 2^(56 - 7j), j = 0..7


def pack_bits(mask: torch.Tensor) -> torch.Tensor:
    """``mask`` (bool, or 0/1 values of any dtype) as ``uint8`` bytes, 8 elements per byte."""
    flat = mask.reshape(-1)
    flat = flat.view(torch.uint8) if flat.dtype == torch.bool else flat.to(torch.uint8)
    if flat.numel() % 8:
        flat = F.pad(flat, (0, 8 - flat.numel() % 8))
    return ((flat.view(torch.int64) * _GATHER) >> 56).to(torch.uint8)


def unpack_bits(
    packed: torch.Tensor,
    shape: torch.Size,
    value: float = 1.0,
    dtype: torch.dtype = torch.float32,
    low: float = 0.0,
) -> torch.Tensor:
    """The packed mask of ``shape`` as ``dtype``: ``value`` where a bit is set, ``low``
    elsewhere (a fresh tensor)."""
    return _lookup(packed, _bit_table(value, low, dtype, packed.device), shape)


def pack_codes(codes: torch.Tensor) -> torch.Tensor:
    """Integer codes in ``[0, 16)`` as ``uint8`` bytes, two per byte (4 bits each)."""
    flat = codes.reshape(-1).to(torch.uint8)
    if flat.numel() % 2:
        flat = F.pad(flat, (0, 1))
    pairs = flat.view(-1, 2)
    return pairs[:, 0] | (pairs[:, 1] << 4)


def unpack_codes(packed: torch.Tensor, n: int) -> torch.Tensor:
    """The first ``n`` codes of ``pack_codes``' bytes, as ``int32``."""
    codes = torch.stack((packed & 15, packed >> 4), dim=1).reshape(-1)[:n]
    return codes.to(torch.int32)


def pack_intervals(x: torch.Tensor, boundaries: tuple[float, ...]) -> torch.Tensor:
    """Which interval between ``boundaries`` (at most 15, sorted) each element of ``x`` lies in,
    as 4-bit codes packed two per byte: code ``k`` counts the boundaries below the element."""
    return pack_codes(interval_codes(x, boundaries))


def interval_codes(x: torch.Tensor, boundaries: tuple[float, ...]) -> torch.Tensor:
    r"""The number of ``boundaries`` strictly below each element of ``x`` (``torch.bucketize``'s
    answer), flattened, as ``uint8``, in a few passes instead of a binary search per element.

    A uniform grid of ``_BINS`` bins is laid over the boundaries so that each bin holds at most
    one, and none lies near a bin's edge: an element's bin :math:`j = \lfloor (x - a) s \rfloor`
    (clamped) then gives the count below the bin, and one comparison with the bin's own
    boundary (``+inf`` if none) finishes it. Exact: the bin is monotone in :math:`x`, so every
    boundary in a lower bin is below :math:`x` and every one in a higher bin above it.
    """
    grid = _interval_grid(tuple(boundaries), x.dtype, x.device)
    flat = x.reshape(-1)
    if grid is None:  # boundaries too close for the grid (or too few bits): a binary search
        edges = torch.tensor(boundaries, dtype=x.dtype, device=x.device)
        return torch.bucketize(flat, edges).to(torch.uint8)
    offset, scale, below, edge = grid
    bins = flat.sub(offset).mul_(scale).clamp_(0, _BINS - 1).nan_to_num_(_BINS - 1)
    bins = bins.to(torch.int32)
    return below.index_select(0, bins).add_(flat > edge.index_select(0, bins))


_BINS = 256


@functools.lru_cache(maxsize=64)
def _interval_grid(
    boundaries: tuple[float, ...], dtype: torch.dtype, device: torch.device
) -> tuple[float, float, torch.Tensor, torch.Tensor] | None:
    """``(a, s, below, edge)`` for ``interval_codes``: bin ``j`` of ``below`` counts the
    boundaries in lower bins, ``edge`` holds the boundary inside bin ``j`` (``+inf`` if none).
    The grid is shifted until every boundary lies at least a hundredth of a bin from the bin's
    edges (rounding in :math:`(x - a) s` is some 1e-5 of a bin in float32), so that no element
    and boundary can be put on the wrong sides of one."""
    if not dtype.is_floating_point or len(boundaries) < 2:
        return None
    edges = torch.tensor(boundaries, dtype=dtype, device=device)
    span = float(edges[-1] - edges[0])
    if not (span > 0 and math.isfinite(span)):  # one boundary value, or an infinite one
        return None
    scale = (_BINS - 4) / span
    for shift in range(1, 97):
        offset = float(edges[0]) - (shift / 97) / scale
        position = edges.sub(offset).mul_(scale)
        fraction = position - position.floor()
        bins = position.clamp_(0, _BINS - 1).to(torch.int32)
        apart = bool(((fraction > 0.01) & (fraction < 0.99)).all())
        if apart and bool((bins.diff() > 0).all()):
            below = torch.zeros(_BINS, dtype=torch.uint8, device=device)
            edge = torch.full((_BINS,), float("inf"), dtype=dtype, device=device)
            for j, b in enumerate(bins.tolist()):
                below[b + 1 :] += 1
                edge[b] = edges[j]
            return offset, scale, below, edge
    return None


def interval_values(
    packed: torch.Tensor, shape: torch.Size, values: tuple[float, ...], dtype: torch.dtype
) -> torch.Tensor:
    """``values[k]`` for each element's packed interval code ``k``, shaped ``shape`` (fresh)."""
    return _lookup(packed, _code_table(tuple(values), dtype, packed.device), shape)


def _lookup(packed: torch.Tensor, table: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """Row ``b`` of ``table`` for each byte ``b``, flattened and cut to ``shape``."""
    rows = table.index_select(0, packed.to(torch.int32))
    n = shape.numel()
    flat = rows.reshape(-1)
    return (flat if flat.numel() == n else flat[:n]).reshape(shape)


@functools.lru_cache(maxsize=64)
def _bit_table(value: float, low: float, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    bits = (torch.arange(256, device=device).unsqueeze(-1) >> torch.arange(8, device=device)) & 1
    table = torch.full((256, 8), low, dtype=torch.float64, device=device)
    return table.masked_fill_(bits.bool(), value).to(dtype)


@functools.lru_cache(maxsize=64)
def _code_table(
    values: tuple[float, ...], dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    byte = torch.arange(256, device=device)
    table = torch.tensor(values + (0.0,) * (16 - len(values)), dtype=torch.float64, device=device)
    return torch.stack((table[byte & 15], table[byte >> 4]), dim=1).to(dtype)
