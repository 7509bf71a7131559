"""DivergenceGuard's gradient check: one reduction a step, exact all the same (a gradient sum
that overflows on finite values stops nothing; a NaN or inf anywhere names its parameter)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from framework.callbacks.divergence import DivergenceGuard
from framework.errors import TrainingError


def _module(fill: dict[str, float]) -> nn.Module:
    module = nn.Module()
    module.model = nn.Linear(3, 2)
    for name, p in module.named_parameters():
        p.grad = torch.full_like(p, fill.get(name, 0.5))
    return module


TRAINER = SimpleNamespace(callbacks=[], global_step=7, current_epoch=1)


def test_finite_gradients_pass_even_when_their_sum_overflows() -> None:
    DivergenceGuard().on_after_backward(TRAINER, _module({}))
    DivergenceGuard().on_after_backward(TRAINER, _module({"model.weight": 3e38}))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_non_finite_gradient_is_named(bad: float) -> None:
    with pytest.raises(TrainingError, match=r"step 7 \(epoch 1\): the gradient of bias is not"):
        DivergenceGuard(lr=0.5).on_after_backward(TRAINER, _module({"model.bias": bad}))


def test_no_gradients_yet() -> None:
    module = nn.Linear(2, 2)
    DivergenceGuard().on_after_backward(TRAINER, module)
