"""Models built from plugins, sized from the data, with every layer a registered plugin."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from framework.contract.module import PluginModule
from framework.data.base import DataInfo
from framework.front_door.validation import MODELS as VALIDATED_MODELS
from framework.models import MODELS, build_model
from framework.models.blocks import FirstOutput, LastStep

DIGITS = DataInfo("multiclass", (64,), num_classes=10)
IMAGES = DataInfo("multiclass", (1, 8, 8), num_classes=10)
SEQUENCE = DataInfo("regression", (12, 3), num_outputs=1)
RELU = {"name": "relu"}


def _plugin_only(model: nn.Module) -> None:
    """Every module with parameters or math is a plugin (the helpers only reshape/select)."""
    for m in model.modules():
        if m is model or isinstance(m, FirstOutput | LastStep):
            continue
        assert isinstance(m, PluginModule) or hasattr(m, "function"), type(m)


def test_validation_knows_every_model() -> None:
    assert set(VALIDATED_MODELS) == set(MODELS)


@pytest.mark.parametrize("norm", [None, "batch_norm", "layer_norm"])
def test_mlp(norm: str | None) -> None:
    cfg = {"name": "mlp", "hidden": [32, 16], "dropout": 0.1, "norm": norm}
    model = build_model(cfg, RELU, DIGITS, "cross_entropy")
    _plugin_only(model)
    assert model(torch.randn(5, 64)).shape == (5, 10)
    names = [m.function.plugin_name for m in model if hasattr(m, "function")]
    assert names.count("linear") == 3 and names.count("dropout") == 2
    if norm:
        assert norm in names


def test_mlp_flattens_images_and_binary_heads() -> None:
    model = build_model({"name": "mlp", "hidden": [8]}, RELU, IMAGES, "cross_entropy")
    assert model(torch.randn(3, 1, 8, 8)).shape == (3, 10)
    binary = DataInfo("binary", (2,), num_classes=2)
    one = build_model({"name": "mlp", "hidden": [4]}, RELU, binary, "bce_with_logits")
    two = build_model({"name": "mlp", "hidden": [4]}, RELU, binary, "cross_entropy")
    assert one(torch.randn(3, 2)).shape == (3, 1) and two(torch.randn(3, 2)).shape == (3, 2)


def test_convnet_on_images_learns() -> None:
    cfg = {"name": "convnet", "channels": [4, 8], "kernel_size": 3, "pool": 2, "hidden": [16]}
    model = build_model(cfg, RELU, IMAGES, "cross_entropy")
    _plugin_only(model)
    kinds = [m.function.plugin_name for m in model if hasattr(m, "function")]
    assert kinds[:3] == ["conv2d", "relu", "max_pool2d"] and "flatten" in kinds
    x, y = torch.randn(32, 1, 8, 8), torch.randint(0, 10, (32,))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_convnet_needs_images() -> None:
    with pytest.raises(ValueError, match=r"data\.as_images=true"):
        build_model({"name": "convnet", "channels": [4]}, RELU, DIGITS, "cross_entropy")


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_rnn_over_sequences(cell: str) -> None:
    cfg = {"name": "rnn", "cell": cell, "hidden_size": 8, "num_layers": 2, "hidden": [4]}
    model = build_model(cfg, {"name": "tanh"}, SEQUENCE, "mse")
    out = model(torch.randn(6, 12, 3))
    assert out.shape == (6, 1)
    recurrent = model[0]
    assert recurrent.num_layers == 2 and recurrent.batch_first
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_sequential_infers_input_sizes() -> None:
    cfg = {
        "name": "sequential",
        "layers": [
            {"layer": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
            {"activation": "leaky_relu", "negative_slope": 0.2},
            {"layer": "max_pool2d", "kernel_size": 2},
            "flatten",
            {"layer": "linear", "out_features": 16},
            "act",
        ],
    }
    model = build_model(cfg, {"name": "elu", "alpha": 0.5}, IMAGES, "cross_entropy")
    _plugin_only(model)
    assert model[0].extra_repr().startswith("in_channels=1")  # inferred, not typed
    assert model(torch.randn(2, 1, 8, 8)).shape == (2, 10)
    assert model[5].options == {"alpha": 0.5}  # `act` is the experiment's activation


def test_sequential_with_recurrent_layer() -> None:
    cfg = {
        "name": "sequential",
        "layers": [{"layer": "gru", "hidden_size": 5, "batch_first": True}],
    }
    model = build_model(cfg, RELU, SEQUENCE, "mse")
    assert model(torch.randn(4, 12, 3)).shape == (4, 1)
