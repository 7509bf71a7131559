"""What the base classes give a plugin written as its formula: ``backward_in_place`` used when no
higher-order gradient is built (and checked against the formula), compact mode from a one-line
declaration (with its error bound checked), vmap, and no dummy intermediates in exact mode."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

from framework import ActivationFunction, IntervalTable, OneBit
from framework.contract.module import function_module_class
from framework.contract.registries import ACTIVATIONS
from framework.verification.checking import check_plugin
from framework.verification.timing import saved_tensor_bytes

ROOT = Path(__file__).resolve().parents[1]
CALLS = {"formula": 0, "in_place": 0}
BOUNDARIES = tuple(-3.5 + 0.5 * k for k in range(15))  # 16 intervals; f' at each middle
VALUES = tuple(1 / (1 + abs(m)) ** 2 for m in (-4, *(b - 0.25 for b in BOUNDARIES[1:]), 4))


class Softsign(ActivationFunction):
    """x / (1 + |x|), with an interval table of f' for compact mode."""

    plugin_name = "test_softsign"
    compact = IntervalTable(BOUNDARIES, VALUES, error=0.4)

    @staticmethod
    def forward(x):
        return x / (1 + x.abs())

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        CALLS["formula"] += 1
        (x,) = ctx.saved_tensors
        return grad_output / (1 + x.abs()) ** 2

    @staticmethod
    def backward_in_place(ctx, grad_output):
        CALLS["in_place"] += 1
        (x,) = ctx.saved_tensors
        return torch.abs(x).add_(1).square_().reciprocal_().mul_(grad_output)


@pytest.fixture
def registered():
    ACTIVATIONS.register("test_softsign")(Softsign)
    yield Softsign
    ACTIVATIONS.unregister("test_softsign")


def test_in_place_backward_without_create_graph_formula_with_it() -> None:
    module = function_module_class(Softsign)()
    x = torch.randn(50, dtype=torch.float64, requires_grad=True)
    CALLS.update(formula=0, in_place=0)
    (fast,) = torch.autograd.grad(module(x).sum(), x)
    assert CALLS == {"formula": 0, "in_place": 1}
    (slow,) = torch.autograd.grad(module(x).sum(), x, create_graph=True)
    assert CALLS == {"formula": 1, "in_place": 1}
    torch.testing.assert_close(fast, slow.detach())
    (second,) = torch.autograd.grad(slow.sum(), x)  # double backward through the formula
    torch.testing.assert_close(second, -2 * torch.sign(x) / (1 + x.abs()) ** 3)


def test_a_users_declaration_gives_compact_mode_and_vmap(registered) -> None:
    assert registered.approximate_options == {"compact": "few-bit derivative, within 0.4 of f'"}
    x = torch.randn(64, 100, requires_grad=True)
    exact = ACTIVATIONS.build("test_softsign")
    compact = ACTIVATIONS.build("test_softsign", compact=True)
    assert saved_tensor_bytes(lambda: compact(x)) <= x.numel() // 2
    torch.testing.assert_close(compact(x), exact(x), rtol=0, atol=0)
    (g_exact,) = torch.autograd.grad(exact(x).sum(), x)
    (g_compact,) = torch.autograd.grad(compact(x).sum(), x)
    assert 0 < (g_compact - g_exact).abs().max() <= 0.4
    rows = torch.randn(3, 7, dtype=torch.float64)
    per_row = torch.func.vmap(torch.func.grad(lambda r: exact.double()(r).sum()))(rows)
    torch.testing.assert_close(per_row, 1 / (1 + rows.abs()) ** 2)


def test_check_reports_the_compact_error_and_fails_a_wrong_bound(registered, monkeypatch) -> None:
    (report,) = check_plugin("activation", "test_softsign")
    assert report.passed, report.failures
    (compact,) = [r for r in report.results if r.check == "compact"]
    assert "stated bound 0.4" in compact.detail
    monkeypatch.setattr(Softsign.compact, "error", 0.01)
    (report,) = check_plugin("activation", "test_softsign")
    assert [r.check for r in report.failures] == ["compact"]


def test_check_fails_an_in_place_backward_that_disagrees() -> None:
    class Wrong(ActivationFunction):
        forward = staticmethod(Softsign.forward)
        setup_context = staticmethod(Softsign.setup_context)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output / (1 + x.abs()) ** 2

        @staticmethod
        def backward_in_place(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return torch.abs(x).add_(1).reciprocal_().mul_(grad_output)  # forgot the square

    ACTIVATIONS.register("test_wrong_in_place")(Wrong)
    try:
        (report,) = check_plugin("activation", "test_wrong_in_place")
    finally:
        ACTIVATIONS.unregister("test_wrong_in_place")
    (failure,) = [r for r in report.failures if r.check == "backward_in_place"]
    assert "disagree on the gradient w.r.t. x" in failure.detail
    assert next(r for r in report.results if r.check == "gradgradcheck").passed  # the formula


def test_exact_mode_keeps_no_compact_intermediates() -> None:
    """No built-in activation returns extra tensors in exact mode (no dummy allocations)."""
    for entry in ACTIVATIONS.entries():
        fn = entry.cls
        if entry.origin == "built-in":
            assert fn.intermediates == 0, entry.name
    x = torch.randn(8, 8)
    graph = torch.export.export(ACTIVATIONS.build("gelu").eval(), (x,)).graph
    assert not [n for n in graph.nodes if "empty" in str(n.target)]


def test_no_plugin_file_branches_on_grad_mode() -> None:
    """The formula / in-place choice is the framework's: plugin files never test grad mode."""
    offenders = []
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "is_grad_enabled":
                offenders.append(path.name)
    assert offenders == []


def test_one_bit_declaration_is_exact() -> None:
    declaration = OneBit(lambda x, y, negative_slope: x > 0, low="negative_slope")
    x = torch.randn(1003)
    packed = declaration.pack(x, x, {"negative_slope": 0.1})
    slope = declaration.slope(packed, x.shape, {"negative_slope": 0.1}, torch.float64)
    expected = torch.full(x.shape, 0.1, dtype=torch.float64).masked_fill_(x > 0, 1.0)
    torch.testing.assert_close(slope, expected, rtol=0, atol=0)
