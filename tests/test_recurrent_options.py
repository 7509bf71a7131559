"""The recurrent layers' sequence options beyond PyTorch's module samples (test_module_db runs
those): dropout between layers, gradients of bidirectional and projected layers, and errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from framework import LAYERS

NATIVE = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


@pytest.mark.parametrize("name", list(NATIVE))
def test_dropout_between_layers_as_torch(name: str) -> None:
    """p=1 drops everything between layers in training (deterministic: the same as torch.nn);
    p=0.5 is active in training only and the same as torch.nn in eval mode."""
    torch.manual_seed(0)
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    for p in (1.0, 0.5):
        args = {"num_layers": 3, "dropout": p, "bidirectional": True}
        native = NATIVE[name](3, 4, **args).double()
        plugin = LAYERS.build(name, input_size=3, hidden_size=4, **args).double()
        plugin.load_state_dict(native.state_dict())
        if p == 1.0:
            torch.testing.assert_close(plugin(x)[0], native(x)[0])
        else:
            out = plugin(x)[0]
            out.sum().backward()
            plugin.eval(), native.eval()
            torch.testing.assert_close(plugin(x)[0], native(x)[0])
            assert not torch.allclose(out, plugin(x)[0])  # dropout acted in training


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("gru", {"bidirectional": True, "num_layers": 2}),
        ("rnn", {"bidirectional": True, "nonlinearity": "relu"}),
        ("lstm", {"bidirectional": True, "proj_size": 2, "num_layers": 2}),
    ],
)
def test_gradcheck_bidirectional_and_projected(name: str, args: dict) -> None:
    torch.manual_seed(0)
    layer = LAYERS.build(name, input_size=3, hidden_size=4, **args).double()
    x = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
    names = [n for n, _ in layer.named_parameters()]

    def f(x: torch.Tensor, *params: torch.Tensor) -> torch.Tensor:
        out, _ = torch.func.functional_call(layer, dict(zip(names, params, strict=True)), (x,))
        return out

    assert torch.autograd.gradcheck(f, (x, *layer.parameters()))
    assert torch.autograd.gradgradcheck(f, (x, *layer.parameters()))


def test_projection_shapes_and_names_as_torch() -> None:
    native = nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=True)
    plugin = LAYERS.build(
        "lstm", input_size=3, hidden_size=5, num_layers=2, proj_size=2, bidirectional=True
    )
    assert {k: v.shape for k, v in plugin.state_dict().items()} == {
        k: v.shape for k, v in native.state_dict().items()
    }
    out, (h, c) = plugin(torch.randn(6, 4, 3))
    assert out.shape == (6, 4, 4) and h.shape == (4, 4, 2) and c.shape == (4, 4, 5)


@pytest.mark.parametrize(
    ("name", "args", "named"),
    [
        ("gru", {"proj_size": 2}, "proj_size=2 needs a cell with two states"),
        ("rnn", {"dropout": 1.5}, "dropout=1.5 must be a probability"),
        ("lstm", {"proj_size": -1}, "proj_size=-1 must be 0"),
        ("lstm", {"num_layers": 0}, "num_layers=0 must be at least 1"),
    ],
)
def test_bad_sequence_options_are_named(name: str, args: dict, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        LAYERS.build(name, input_size=3, hidden_size=4, **args)


def test_initial_state_shapes_and_projection_size_are_checked() -> None:
    lstm = LAYERS.build("lstm", input_size=3, hidden_size=4, bidirectional=True, proj_size=2)
    x = torch.randn(5, 2, 3)
    lstm(x, (torch.zeros(2, 2, 2), torch.zeros(2, 2, 4)))  # D × layers, batch, P / H
    with pytest.raises(ValueError, match=r"h_0 is shaped \(1, 2, 2\), expected \(2, 2, 2\)"):
        lstm(x, (torch.zeros(1, 2, 2), torch.zeros(2, 2, 4)))
    with pytest.raises(ValueError, match="proj_size=4 must be smaller than hidden_size=4"):
        LAYERS.build("lstm", input_size=3, hidden_size=4, proj_size=4)
