"""Masks and small codes packed into bytes, for backward passes that keep less memory.

A ``bool`` mask costs a byte per element; packed, eight elements share one byte (1 bit each,
``pack_bits``). Codes below 16 pack two to a byte (4 bits each, ``pack_codes``). Both work on the
flattened tensor, padded to whole bytes; unpacking takes the number of elements back.

Packing reads the eight flags of a byte group as one 64-bit word and gathers them into its top
byte with a single multiplication: flag :math:`i` sits at bit :math:`8i` and the factor
:math:`\\sum_j 2^{56 - 7j}` moves it to bit :math:`56 + i`; every other product lands below bit
56 on a bit of its own (no carries) or above bit 63 (dropped).
"""

from __future__ import annotations

import struct

import torch
import torch.nn.functional as F

_GATHER = 0x0102040810204080  # sum of 2^(56 - 7j), j = 0..7
_WORDS = {torch.float64: (torch.int64, "<d", "<q"), torch.float32: (torch.int32, "<f", "<i")}


def pack_bits(mask: torch.Tensor) -> torch.Tensor:
    """``mask`` (bool, or 0/1 values of any dtype) as ``uint8`` bytes, 8 elements per byte."""
    flat = mask.reshape(-1)
    flat = flat.view(torch.uint8) if flat.dtype == torch.bool else flat.to(torch.uint8)
    if flat.numel() % 8:
        flat = F.pad(flat, (0, 8 - flat.numel() % 8))
    return ((flat.view(torch.int64) * _GATHER) >> 56).to(torch.uint8)


def unpack_bits(
    packed: torch.Tensor, shape: torch.Size, value: float = 1.0, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """The packed mask of ``shape`` as ``dtype``: ``value`` where a bit is set, 0 elsewhere.

    For float32 and float64 the bits become the value's bit pattern directly (integer ops only,
    no slow bool conversion); other dtypes go through a cast.
    """
    n = shape.numel()
    if dtype not in _WORDS:
        bits = (packed.unsqueeze(-1) >> _shifts(packed.device, torch.uint8)) & 1
        return bits.reshape(-1)[:n].to(dtype).mul_(value).reshape(shape)
    word, as_float, as_int = _WORDS[dtype]
    (pattern,) = struct.unpack(as_int, struct.pack(as_float, value))
    bits = (packed.to(word).unsqueeze(-1) >> _shifts(packed.device, word)).bitwise_and_(1)
    return bits.mul_(pattern).view(dtype).reshape(-1)[:n].reshape(shape)


def pack_codes(codes: torch.Tensor) -> torch.Tensor:
    """Integer codes in ``[0, 16)`` as ``uint8`` bytes, two per byte (4 bits each)."""
    flat = codes.reshape(-1).to(torch.uint8)
    if flat.numel() % 2:
        flat = F.pad(flat, (0, 1))
    pairs = flat.view(-1, 2)
    return pairs[:, 0] | (pairs[:, 1] << 4)


def unpack_codes(packed: torch.Tensor, n: int) -> torch.Tensor:
    """The first ``n`` codes of ``pack_codes``' bytes, as ``int32`` (ready to index a table)."""
    codes = torch.stack((packed & 15, packed >> 4), dim=1).reshape(-1)[:n]
    return codes.to(torch.int32)


def _shifts(device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    return torch.arange(8, dtype=dtype, device=device)


def pack_intervals(x: torch.Tensor, boundaries: tuple[float, ...]) -> torch.Tensor:
    """Which interval between ``boundaries`` (at most 15, sorted) each element of ``x`` lies in,
    as 4-bit codes packed two per byte: code ``k`` counts the boundaries below the element."""
    edges = torch.tensor(boundaries, dtype=x.dtype, device=x.device)
    return pack_codes(torch.bucketize(x, edges, out_int32=True))


def interval_values(
    packed: torch.Tensor, shape: torch.Size, values: tuple[float, ...], dtype: torch.dtype
) -> torch.Tensor:
    """``values[k]`` for each element's packed interval code ``k``, shaped ``shape``."""
    table = torch.tensor(values, dtype=dtype, device=packed.device)
    return table.index_select(0, unpack_codes(packed, shape.numel())).reshape(shape)


def interval_grad(
    packed: torch.Tensor, shape: torch.Size, values: tuple[float, ...], grad_output: torch.Tensor
) -> torch.Tensor:
    """Few-bit backward: ``grad_output`` times ``values[k]`` for each element's interval code
    ``k`` (in place on the fresh slope buffer unless a double backward needs the graph)."""
    slope = interval_values(packed, shape, values, grad_output.dtype)
    return grad_output * slope if torch.is_grad_enabled() else slope.mul_(grad_output)
