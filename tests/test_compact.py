"""Compact mode (``activation.compact=true``): the backward keeps a few-bit code of the input
(or an exact 1-bit mask) instead of a tensor; it saves at most half the bytes, and its gradient
is within the bound the plugin states (exactly the same for the 1-bit masks). Also the bit
packing it rests on, and dropout's 1-bit mask."""

from __future__ import annotations

import pytest
import torch

from framework import ACTIVATIONS, LAYERS
from framework.contract.bits import (
    interval_codes,
    pack_bits,
    pack_codes,
    unpack_bits,
    unpack_codes,
)
from framework.contract.signature import signature_of
from framework.verification.timing import saved_tensor_bytes

# name, parameters, largest derivative error the plugin's docstring states (0: exact)
COMPACT = [
    ("gelu", {}, 0.047),
    ("gelu", {"approximate": "tanh"}, 0.047),
    ("silu", {}, 0.044),
    ("mish", {}, 0.044),
    ("hardswish", {}, 1 / 14),
    ("relu", {}, 0.0),
    ("leaky_relu", {"negative_slope": 0.1}, 0.0),
    ("relu6", {}, 0.0),
    ("hardtanh", {}, 0.0),
]
IDS = [f"{n}{p or ''}" for n, p, _ in COMPACT]


def _inputs() -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(64, 1000, generator=gen) * 2.5
    x[0, :9] = torch.tensor([-1e4, -60.0, -6.0, -3.0, 0.0, 3.0, 6.0, 60.0, 1e4])
    return x


def _grad(module: torch.nn.Module, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(module(x), x, g)
    return grad


@pytest.mark.parametrize(("name", "params", "bound"), COMPACT, ids=IDS)
def test_compact_saves_at_most_half_the_bytes(name: str, params: dict, bound: float) -> None:
    x = _inputs().requires_grad_(True)
    exact = saved_tensor_bytes(lambda: ACTIVATIONS.build(name, **params)(x))
    compact = saved_tensor_bytes(lambda: ACTIVATIONS.build(name, compact=True, **params)(x))
    assert compact <= 0.5 * exact
    assert compact <= x.numel() // 2 + 16  # at most 4 bits per element


@pytest.mark.parametrize(("name", "params", "bound"), COMPACT, ids=IDS)
def test_compact_gradient_is_within_the_stated_bound(name: str, params: dict, bound: float) -> None:
    x = _inputs()
    g = torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
    exact_module = ACTIVATIONS.build(name, **params)
    compact_module = ACTIVATIONS.build(name, compact=True, **params)
    torch.testing.assert_close(compact_module(x), exact_module(x), rtol=0, atol=0)
    exact, compact = _grad(exact_module, x, g), _grad(compact_module, x, g)
    if bound == 0:
        torch.testing.assert_close(compact, exact, rtol=0, atol=0)
        return
    kinks = torch.zeros_like(x, dtype=torch.bool)
    for k in getattr(exact_module.function, "kinks", ()):  # the derivative jumps there
        kinks |= x == k
    error = (compact - exact).abs()[~kinks]
    assert (error <= bound * g.abs()[~kinks] + 1e-6).all(), float(error.max())


@pytest.mark.parametrize(("name", "params", "bound"), COMPACT, ids=IDS)
def test_compact_is_an_option_and_exact_stays_the_default(
    name: str, params: dict, bound: float
) -> None:
    fn = ACTIVATIONS.get(name)
    assert signature_of(fn).options["compact"] is False  # activation.compact=true in Hydra
    assert all("compact" not in v for v in getattr(fn, "check_variants", ({},)))
    if bound:  # an approximation on purpose, declared so
        assert "compact" in fn.approximate_options


def test_compact_mlp_saves_at_most_half_the_activation_layers_bytes() -> None:
    from framework.verification.bench import build_pair, saved_bytes

    spec = {
        "model": {"name": "mlp", "hidden": [64, 64]},
        "activation": {"name": "gelu", "compact": True},
    }
    x, y = torch.randn(32, 20), torch.randint(0, 10, (32,))
    plugin, native, plugin_loss, native_loss = build_pair(spec, (20,), "cpu")
    mine, theirs = saved_bytes(plugin, plugin_loss, x, y), saved_bytes(native, native_loss, x, y)
    assert mine["activation_layers"] <= 0.5 * theirs["activation_layers"]
    assert mine["activations"] < theirs["activations"]


@pytest.mark.parametrize("n", [1, 7, 8, 9, 1003])
def test_bits_round_trip(n: int) -> None:
    mask = torch.rand(n, generator=torch.Generator().manual_seed(n)) > 0.5
    packed = pack_bits(mask)
    assert packed.dtype == torch.uint8 and packed.numel() == (n + 7) // 8
    for dtype, value in ((torch.float32, 2.5), (torch.float64, -0.5), (torch.bfloat16, 2.0)):
        assert torch.equal(unpack_bits(packed, mask.shape, value, dtype), mask.to(dtype) * value)
    codes = torch.randint(0, 16, (n,), generator=torch.Generator().manual_seed(n))
    assert pack_codes(codes).numel() == (n + 1) // 2
    assert torch.equal(unpack_codes(pack_codes(codes), n).long(), codes)


def test_dropout_keeps_one_bit_per_element() -> None:
    drop = LAYERS.build("dropout", p=0.5)
    x = torch.randn(100, 1000, requires_grad=True)
    assert saved_tensor_bytes(lambda: drop(x)) <= x.numel() // 8
    torch.manual_seed(0)
    y = drop(x)
    (grad,) = torch.autograd.grad(y, x, torch.ones_like(y))
    torch.testing.assert_close(grad, (y != 0).float() * 2)


def test_compact_linear_keeps_a_bfloat16_input_and_bounds_the_weight_gradient() -> None:
    gen = torch.Generator().manual_seed(2)
    torch.manual_seed(0)
    exact = LAYERS.build("linear", in_features=300, out_features=40)
    compact = LAYERS.build("linear", in_features=300, out_features=40, compact=True)
    compact.load_state_dict(exact.state_dict())
    x = torch.randn(128, 300, generator=gen, requires_grad=True)
    assert saved_tensor_bytes(lambda: compact(x)) == x.numel() * 2 + exact.weight.numel() * 4
    assert saved_tensor_bytes(lambda: exact(x)) == x.numel() * 4 + exact.weight.numel() * 4
    g = torch.randn(128, 40, generator=gen)
    y_exact, y_compact = exact(x), compact(x)
    torch.testing.assert_close(y_compact, y_exact, rtol=0, atol=0)  # the forward is exact
    params = (x, exact.weight, exact.bias)
    gx, gw, gb = torch.autograd.grad(y_exact, params, g)
    cx, cw, cb = torch.autograd.grad(y_compact, (x, compact.weight, compact.bias), g)
    torch.testing.assert_close(cx, gx, rtol=0, atol=0)
    torch.testing.assert_close(cb, gb, rtol=0, atol=0)
    bound = 2.0**-8 * (g.abs().mT @ x.detach().abs())  # the docstring's bound
    assert ((cw - gw).abs() <= bound + 1e-6).all()
    assert not torch.equal(cw, gw)  # it is the rounded input that was used


def test_compact_linear_is_an_option_and_exact_stays_the_default() -> None:
    fn = LAYERS.get("linear")
    assert signature_of(fn).options["compact"] is False  # model.compact=true in Hydra
    assert "compact" in fn.approximate_options


def test_compact_mlp_with_compact_linear_layers_saves_at_most_half() -> None:
    """activation.compact=true and model.compact=true: the whole network keeps at most half
    the bytes its torch.nn twin keeps (neither weights nor the batch counted)."""
    from framework.verification.bench import build_pair, saved_bytes

    for act in ("gelu", "silu"):
        spec = {
            "model": {"name": "mlp", "hidden": [64, 64], "compact": True},
            "activation": {"name": act, "compact": True},
        }
        x, y = torch.randn(32, 20), torch.randint(0, 10, (32,))
        plugin, native, plugin_loss, native_loss = build_pair(spec, (20,), "cpu")
        compact = [m.options["compact"] for m in plugin if m.function.plugin_name == "linear"]
        assert compact == [False, True, True]  # the first layer's input is the batch itself
        mine = saved_bytes(plugin, plugin_loss, x, y)
        theirs = saved_bytes(native, native_loss, x, y)
        assert mine["activations"] <= 0.5 * theirs["activations"]


def _tables() -> list[tuple[str, tuple[float, ...]]]:
    out = []
    for name in ACTIVATIONS.names():
        declared = ACTIVATIONS.get(name).compact
        boundaries = getattr(declared, "boundaries", None)
        if boundaries is not None:
            for b in boundaries.values() if isinstance(boundaries, dict) else [boundaries]:
                out.append((name, tuple(b)))
    return out


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.float16])
@pytest.mark.parametrize(("name", "boundaries"), _tables())
def test_interval_codes_are_bucketize_exactly(
    name: str, boundaries: tuple[float, ...], dtype: torch.dtype
) -> None:
    """The grid lookup counts the boundaries below each element as a binary search does, on
    the boundaries themselves, their float neighbours, huge values, infinities and NaN."""
    edges = torch.tensor(boundaries, dtype=dtype)  # as pack_intervals compares them
    wide = edges if dtype in (torch.float32, torch.float64) else edges.float()
    x = torch.cat(
        [
            torch.randn(100_000, generator=torch.Generator().manual_seed(0)).to(dtype) * 4,
            edges,
            wide.nextafter(torch.tensor(1e9, dtype=wide.dtype)).to(dtype),
            wide.nextafter(torch.tensor(-1e9, dtype=wide.dtype)).to(dtype),
            torch.tensor([0.0, 1e30, -1e30, float("inf"), -float("inf"), float("nan")]).to(dtype),
        ]
    )
    expected = torch.bucketize(x, edges)
    assert torch.equal(interval_codes(x, boundaries).long(), expected)
