"""cross_entropy's fast backward at the edges PyTorch users hit: an ``ignore_index`` that is no
class (255 in segmentation), and float16 batches of more kept samples than float16 can count."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from framework import LOSSES


def test_ignore_index_outside_the_classes() -> None:
    x = torch.randn(8, 21, 4, requires_grad=True)
    y = torch.randint(0, 21, (8, 4))
    y[2, 1] = y[5, 0] = 255
    LOSSES.build("cross_entropy", ignore_index=255)(x, y).backward()
    mine, x.grad = x.grad, None
    F.cross_entropy(x, y, ignore_index=255).backward()
    torch.testing.assert_close(mine, x.grad)


def test_float16_mean_over_more_samples_than_float16_counts() -> None:
    x = torch.randn(70_000, 3, dtype=torch.float16)
    y = torch.randint(0, 3, (70_000,))
    half = x.clone().requires_grad_(True)
    LOSSES.build("cross_entropy")(half, y).backward()
    full = x.float().requires_grad_(True)
    F.cross_entropy(full, y).backward()
    assert half.grad.abs().sum() > 0
    torch.testing.assert_close(half.grad.float(), full.grad, atol=1e-6, rtol=1e-2)
