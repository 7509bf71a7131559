"""Histograms binned by torch (framework/callbacks/torch_histogram.py) write the summary that
``SummaryWriter.add_histogram`` writes from numpy, without calling numpy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.tensorboard.summary import histogram

from framework.callbacks.torch_histogram import histogram_fields


def _numpy_proto(values: torch.Tensor, bins: int):
    return histogram("t", values.detach().double().numpy(), bins).value[0].histo


@pytest.mark.parametrize(
    "values",
    [
        torch.randn(1000, dtype=torch.float64),
        torch.randn(64, 32, dtype=torch.float64) * 1e3 + 5,
        torch.tensor([0.0, 0.0, 1.0, 10.0], dtype=torch.float64),  # empty bins in the middle
        torch.full((7,), 2.5, dtype=torch.float64),  # a constant: ±0.5 around it
        torch.tensor([-3.0], dtype=torch.float64),
    ],
    ids=["normal", "large", "gaps", "constant", "one"],
)
def test_same_summary_as_numpy(values: torch.Tensor) -> None:
    want = _numpy_proto(values, 64)
    got = histogram_fields(values, 64)
    assert got is not None
    assert got["num"] == want.num
    assert got["min"] == pytest.approx(want.min)
    assert got["max"] == pytest.approx(want.max)
    assert got["sum"] == pytest.approx(want.sum, rel=1e-12, abs=1e-9)
    assert got["sum_squares"] == pytest.approx(want.sum_squares, rel=1e-12)
    np.testing.assert_allclose(got["bucket_limits"], list(want.bucket_limit), rtol=1e-12)
    # histc and np.histogram may put a value lying on a bin edge on either side of it
    counts, wanted = np.array(got["bucket_counts"]), np.array(want.bucket)
    assert counts.sum() == wanted.sum() == want.num
    assert np.abs(counts - wanted).sum() <= 2


def test_float32_bfloat16_and_non_finite_values() -> None:
    x = torch.randn(500)
    assert histogram_fields(x.bfloat16(), 64)["num"] == 500
    bad = torch.cat([x, torch.tensor([float("nan"), float("inf")])])
    fields = histogram_fields(bad, 64)
    assert fields["num"] == 500 and np.isfinite(fields["max"]) and np.isfinite(fields["sum"])
    assert histogram_fields(torch.tensor([float("nan")]), 64) is None
    assert histogram_fields(torch.empty(0), 64) is None


def test_no_numpy_call(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a, **_k):
        raise AssertionError("numpy was called")

    monkeypatch.setattr(np, "histogram", refuse)
    monkeypatch.setattr(np, "dot", refuse)
    assert histogram_fields(torch.randn(100), 64)["num"] == 100
