"""Every registered plugin passes every check; parametrised over the registries, so a new
plugin is tested without new test code."""

from __future__ import annotations

import pytest
import torch

from framework import ACTIVATIONS, LAYERS, LOSSES
from framework.verification.checking import check_plugin

ALL = [
    *(("activation", e.name) for e in ACTIVATIONS.entries()),
    *(("loss", e.name) for e in LOSSES.entries()),
    *(("layer", e.name) for e in LAYERS.entries()),
]


@pytest.mark.parametrize(("kind", "name"), ALL, ids=[f"{k}:{n}" for k, n in ALL])
def test_plugin_passes_every_check(kind: str, name: str) -> None:
    for report in check_plugin(kind, name):
        failures = "\n".join(f"{r.check}: {r.detail}" for r in report.failures)
        assert report.passed, f"{kind} {name} {report.params}:\n{failures}"
        checks = {r.check for r in report.results}
        assert {"gradcheck", "gradgradcheck", "reference float64", "edge inputs"} <= checks


@pytest.mark.parametrize(("kind", "name"), ALL, ids=[f"{k}:{n}" for k, n in ALL])
def test_module_output_grad_fn_is_the_plugins_own(kind: str, name: str) -> None:
    from framework.verification.checking import make_case

    fn = {"activation": ACTIVATIONS, "loss": LOSSES, "layer": LAYERS}[kind].get(name)
    case = make_case(fn, {}, torch.float32)
    args = [t.requires_grad_(True) if t.is_floating_point() else t for t in case.tensors]
    n_inputs = len(case.module.signature.inputs)
    out = case.module(*args[:n_inputs])
    out = out[0] if isinstance(out, tuple) else out
    assert type(out.grad_fn)._forward_cls is fn


def test_builtins_include_the_foundation_set() -> None:
    assert {"identity", "relu", "sigmoid", "tanh"} <= set(ACTIVATIONS.names())
    assert {"mse", "cross_entropy"} <= set(LOSSES.names())
    assert "linear" in LAYERS


def test_wrong_backward_fails_with_location(bad_bent_file) -> None:
    from framework import import_plugins

    import_plugins(str(bad_bent_file))
    try:
        (report,) = check_plugin("activation", "bent_identity")
        assert not report.passed
        grad = next(r for r in report.results if r.check == "gradcheck")
        assert not grad.passed
        assert "analytic" in grad.detail and "numeric" in grad.detail
        # the wrong branch is x <= 1: the reported range ends at 1
        assert "the derivative is wrong for x in [-6, 1]" in grad.detail
    finally:
        ACTIVATIONS.unregister("bent_identity")
