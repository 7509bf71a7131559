"""group_norm and conv_transpose2d against their torch.nn twins beyond PyTorch's few module
samples: the same state_dict, outputs and every gradient, for the arguments users set."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from framework import LAYERS


def _same(plugin: nn.Module, native: nn.Module, x: torch.Tensor) -> None:
    plugin.load_state_dict(native.state_dict())
    a, b = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    out_p, out_n = plugin(a), native(b)
    torch.testing.assert_close(out_p, out_n)
    g = torch.randn_like(out_n)
    grads_p = torch.autograd.grad(out_p, [a, *plugin.parameters()], g)
    grads_n = torch.autograd.grad(out_n, [b, *native.parameters()], g)
    for p, n in zip(grads_p, grads_n, strict=True):
        torch.testing.assert_close(p, n)


@pytest.mark.parametrize(
    "args",
    [
        {"kernel_size": 3},
        {"kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1},
        {"kernel_size": (2, 3), "stride": (2, 1), "dilation": 2, "groups": 2, "bias": False},
        {"kernel_size": 4, "stride": 3, "padding": 2, "output_padding": 2},
    ],
)
@pytest.mark.parametrize("shape", [(3, 4, 5, 6), (4, 5, 6)], ids=["batched", "unbatched"])
def test_conv_transpose2d_as_torch(args: dict, shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    native = nn.ConvTranspose2d(4, 6, **args).double()
    plugin = LAYERS.build("conv_transpose2d", in_channels=4, out_channels=6, **args).double()
    _same(plugin, native, torch.randn(shape, dtype=torch.float64))


@pytest.mark.parametrize(
    ("groups", "args", "shape"),
    [
        (2, {}, (3, 6, 5, 4)),
        (3, {"affine": False}, (2, 6, 7)),
        (6, {"eps": 1e-3}, (4, 6)),
        (1, {"bias": False}, (0, 6, 3)),
    ],
)
def test_group_norm_as_torch(groups: int, args: dict, shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    native = nn.GroupNorm(groups, 6, **args).double()
    if args.get("affine", True):
        with torch.no_grad():
            native.weight.uniform_(0.5, 2)
            if native.bias is not None:
                native.bias.uniform_(-1, 1)
    plugin = LAYERS.build("group_norm", num_groups=groups, num_channels=6, **args).double()
    _same(plugin, native, torch.randn(shape, dtype=torch.float64) * 3 + 1)


def test_group_norm_refuses_groups_that_do_not_divide_the_channels() -> None:
    with pytest.raises(ValueError, match="num_channels=6 is not divisible by num_groups=4"):
        LAYERS.build("group_norm", num_groups=4, num_channels=6)
