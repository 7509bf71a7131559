"""The framework's stateless callbacks reach Lightning as one ``CallbackGroup``, which forwards
each hook only to the members that define it (framework/callbacks/group.py)."""

from __future__ import annotations

from typing import Any

import lightning as L
import pytest
from lightning.pytorch.callbacks import LearningRateMonitor

from framework.callbacks.divergence import DivergenceGuard
from framework.callbacks.group import CallbackGroup, group_own
from framework.callbacks.last_checkpoint import LastCheckpoint
from framework.callbacks.rng_state import RNGStateCallback
from framework.callbacks.scalars import GradNormCallback, LossChartCallback


class Recorder(L.Callback):
    def __init__(self, name: str, calls: list[str]) -> None:
        self.name, self.calls = name, calls

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        self.calls.append(f"{self.name}.fit_start")


class Stepper(Recorder):
    def on_train_batch_end(self, *args: Any) -> None:
        self.calls.append(f"{self.name}.batch_end")


def test_hooks_reach_only_the_members_that_define_them_in_order() -> None:
    calls: list[str] = []
    group = CallbackGroup([Stepper("a", calls), Recorder("b", calls), Stepper("c", calls)])
    group.on_fit_start(None, None)
    group.on_train_batch_end(None, None, None, None, 0)
    group.on_before_backward(None, None, None)  # nobody defines it: the base class's no-op
    assert calls == ["a.fit_start", "b.fit_start", "c.fit_start", "a.batch_end", "c.batch_end"]
    assert "on_before_backward" not in vars(group)
    assert group.state_dict() == {}


def test_a_member_with_checkpoint_state_is_refused() -> None:
    with pytest.raises(ValueError, match="RNGStateCallback keeps checkpoint state"):
        CallbackGroup([RNGStateCallback()])


def test_group_own_keeps_lightnings_checkpoint_writers_and_stateful_ones_apart(
    tmp_path: Any,
) -> None:
    monitor, last = LearningRateMonitor(), LastCheckpoint(tmp_path / "last.ckpt")
    rng = RNGStateCallback()
    grad, chart, guard = GradNormCallback(), LossChartCallback(), DivergenceGuard()
    out = group_own([monitor, grad, chart, rng, guard, last])
    assert out[0] is monitor and out[2] is rng and out[3] is last
    assert isinstance(out[1], CallbackGroup) and out[1].members == [grad, chart, guard]
    assert group_own([monitor, grad]) == [monitor, grad]  # one of its own: nothing to group
