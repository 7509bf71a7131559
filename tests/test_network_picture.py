"""The ``network`` image (log.network): what each neuron shows comes from the model's own forward,
synapses are coloured by the weight's sign, wide layers are thinned to their strongest neurons,
dead neurons are counted, every model kind trains with it on, and the event file holds one image
per draw."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import numpy as np
import PIL.Image
import pytest
import torch
from conftest import run_cli
from matplotlib.colors import to_rgb
from omegaconf import OmegaConf
from tb import load_events
from torch import nn

from framework import ACTIVATIONS, LAYERS
from framework.callbacks.histograms import layer_values
from framework.callbacks.images import boundary_grid
from framework.callbacks.network import (
    Mlp,
    as_mlp,
    dead_counts,
    layer_outputs,
    snapshot,
    thin,
)
from framework.callbacks.network_figure import (
    NEGATIVE,
    POSITIVE,
    SHOWN,
    NetworkPicture,
    synapse_style,
)
from framework.data.base import DataInfo
from framework.models import build_model
from framework.paths import CONF_DIR


def mlp(*sizes: int, activation: str = "relu") -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(LAYERS.build("linear", in_features=a, out_features=b))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS.build(activation))
    return nn.Sequential(*layers)


def set_linear(layer: nn.Module, weight: list[list[float]], bias: list[float]) -> None:
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight))
        layer.bias.copy_(torch.tensor(bias))


@pytest.mark.parametrize("hidden", [[5], [6, 4], [3, 5, 4, 6]])
@pytest.mark.parametrize("extra", [{}, {"norm": "batch_norm", "dropout": 0.3}])
def test_hooks_see_every_hidden_layer_of_any_depth(hidden: list[int], extra: dict) -> None:
    info = DataInfo(task="multiclass", input_shape=(3,), num_classes=4)
    model = build_model(
        {"name": "mlp", "hidden": hidden, **extra}, {"name": "tanh"}, info, "cross_entropy"
    )
    found = as_mlp(model)
    assert isinstance(found, Mlp)
    assert len(found.linears) == len(hidden) + 1
    assert found.activations == ["tanh"] * len(hidden) + [""]
    x = torch.randn(7, 3)
    outputs = layer_outputs(model, found, x)
    assert [o.shape[1] for o in outputs] == [3, *hidden, 4]
    torch.testing.assert_close(outputs[0], x)
    # each hidden column is that layer's activation output, as the activation's own hook sees it
    by_activation = layer_values(model, x)
    for k in range(1, len(hidden) + 1):
        torch.testing.assert_close(outputs[k], by_activation[f"layer{k}"][1])
    with torch.no_grad():
        torch.testing.assert_close(outputs[-1], model.eval()(x))
    model.train()
    assert model.training and all(m.training for m in model.modules())


def test_two_two_one_heatmaps_are_those_computed_by_hand() -> None:
    model = mlp(2, 2, 1)
    set_linear(model[0], [[1.0, -1.0], [0.5, 2.0]], [0.0, -1.0])
    set_linear(model[2], [[1.0, -2.0]], [0.5])
    points = torch.tensor([[-2.0, -1.0], [2.0, 3.0]])
    xx, yy, grid = boundary_grid(points)
    found = as_mlp(model)
    assert isinstance(found, Mlp)
    snap = snapshot(found, layer_outputs(model, found, grid), plane=tuple(xx.shape))
    x, y = xx.numpy(), yy.numpy()
    h1 = np.maximum(0.0, 1.0 * x - 1.0 * y + 0.0)
    h2 = np.maximum(0.0, 0.5 * x + 2.0 * y - 1.0)
    inputs, hidden, output = snap.layers
    np.testing.assert_allclose(inputs.values[0], x, atol=1e-6)
    np.testing.assert_allclose(inputs.values[1], y, atol=1e-6)
    np.testing.assert_allclose(hidden.values[0], h1, atol=1e-5)
    np.testing.assert_allclose(hidden.values[1], h2, atol=1e-5)
    np.testing.assert_allclose(output.values[0], h1 - 2.0 * h2 + 0.5, atol=1e-5)
    # one point by hand: (x, y) = (1, 0) on the grid's row 0 would be h = (1, 0), out 1.5
    one = snapshot(found, layer_outputs(model, found, torch.tensor([[1.0, 0.0]])))
    np.testing.assert_allclose(one.layers[1].values, [1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(one.layers[2].values, [1.5], atol=1e-6)
    np.testing.assert_array_equal(hidden.bias, [0.0, -1.0])
    np.testing.assert_array_equal(snap.weights[1], [[1.0, -2.0]])


def test_synapse_colours_follow_the_weight_sign() -> None:
    rgba, widths = synapse_style(np.array([0.5, -0.5, 2.0, -2.0, 0.0]), 2.0)
    assert [tuple(c[:3]) for c in rgba[:4]] == [to_rgb(POSITIVE), to_rgb(NEGATIVE)] * 2
    assert widths[2] > widths[0] > widths[4] and widths[3] == widths[2]
    assert rgba[2, 3] > rgba[0, 3] > rgba[4, 3]
    # in the rendered picture: the middle of each synapse is blue for w > 0, red for w < 0
    model = mlp(2, 1, 1)
    set_linear(model[0], [[1.5, -1.5]], [0.0])
    set_linear(model[2], [[-1.0]], [0.0])
    found = as_mlp(model)
    assert isinstance(found, Mlp)
    snap = snapshot(found, layer_outputs(model, found, torch.randn(16, 2)))
    picture = NetworkPicture(snap.layers)
    image = picture.image(snap).astype(int)
    height = image.shape[0]
    (a, b), (c,), (d,) = picture.slots
    for (x0, y0), (x1, y1), positive in ((a, c, True), (b, c, False), (c, d, False)):
        x, y = round((x0 + x1) / 2), round(height - (y0 + y1) / 2)
        red, _, blue = image[y, x]
        assert (blue > red + 60) if positive else (red > blue + 60), (x, y, image[y, x])


def test_thinning_keeps_the_neurons_with_the_largest_weights() -> None:
    strength = np.arange(20.0)[::-1] % 7
    kept = thin(strength, 5)
    assert list(kept) == sorted(np.argsort(-strength, kind="stable")[:5])
    assert min(strength[kept]) >= max(np.delete(strength, kept))
    assert list(thin(np.ones(4))) == [0, 1, 2, 3]
    model = mlp(30, 20, 2)
    with torch.no_grad():
        model[0].weight.mul_(0.01)
        model[0].weight[:, [3, 17]] = 5.0  # inputs 3 and 17: the largest outgoing weights
        model[2].weight.mul_(0.01)
        model[2].weight[:, [0, 19]] = -5.0  # hidden 0 and 19, by a negative weight
    found = as_mlp(model)
    assert isinstance(found, Mlp)
    snap = snapshot(found, layer_outputs(model, found, torch.randn(8, 30)))
    inputs, hidden, output = snap.layers
    assert len(inputs.shown) == len(hidden.shown) == SHOWN and len(output.shown) == 2
    assert {3, 17} <= set(inputs.shown) and {0, 19} <= set(hidden.shown)
    picture = NetworkPicture(snap.layers)
    picture.image(snap)
    assert [t and t.get_text() for t in picture.more] == ["+18 more", "+8 more", None]


def test_dead_neurons_are_marked_and_counted() -> None:
    model = mlp(2, 4, 1)
    set_linear(model[0], [[1.0, 0.5], [0.1, 0.1], [-1.0, 2.0], [0.2, -0.1]], [0.0, -100, 0.0, -50])
    found = as_mlp(model)
    assert isinstance(found, Mlp)
    points = torch.tensor([[-3.0, -3.0], [3.0, 3.0]])
    xx, _, grid = boundary_grid(points)
    for x, plane in ((grid, tuple(xx.shape)), (torch.randn(64, 2), None)):
        snap = snapshot(found, layer_outputs(model, found, x), plane=plane)
        np.testing.assert_array_equal(snap.layers[1].dead, [False, True, False, True])
        assert dead_counts(snap.layers) == "hidden 1: 2/4"
    picture = NetworkPicture(snap.layers)
    picture.image(snap)
    assert len(picture.dead_marks.get_segments()) == 4  # two crosses
    wide = mlp(2, 20, 1)
    with torch.no_grad():
        wide[0].bias[:15] = -100.0
        wide[0].bias[15:] = 100.0  # the other five alive on any input (not left to chance)
        wide[2].weight[:, :15] = 0.0  # the dead ones are the weakest: not drawn
    found = as_mlp(wide)
    assert isinstance(found, Mlp)
    snap = snapshot(found, layer_outputs(wide, found, torch.randn(32, 2)))
    picture = NetworkPicture(snap.layers)
    picture.image(snap)
    assert picture.more[1].get_text() == "+8 more"
    assert dead_counts(snap.layers) == "hidden 1: 15/20"


def test_what_is_not_an_mlp_is_named() -> None:
    info = DataInfo(task="multiclass", input_shape=(1, 8, 8), num_classes=10)
    convnet = OmegaConf.to_container(OmegaConf.load(CONF_DIR / "model" / "convnet.yaml"))
    conv = build_model(convnet, {"name": "relu"}, info, "cross_entropy")
    assert as_mlp(conv) == "conv2d"
    sequential = build_model(
        {"name": "sequential", "layers": [{"layer": "linear", "out_features": 5}, "act"]},
        {"name": "gelu"},
        info,
        "cross_entropy",
    )  # linear layers and activations only: an MLP
    found = as_mlp(sequential)
    assert isinstance(found, Mlp) and found.activations == ["gelu", ""]


@pytest.mark.slow
def test_every_model_kind_trains_with_the_picture_on(tmp_path: Path) -> None:
    sweep = run_cli(
        "nn-train", "-m", "experiment=digits_convnet,sequence_rnn,iris,moons",
        "trainer.max_epochs=1", "log.network=true", "hydra.sweep.dir=sweep", cwd=tmp_path,
    )  # fmt: skip
    assert sweep.returncode == 0, sweep.stderr[-3000:]
    conv = run_cli(
        "nn-train", "model=sequential", "data=digits", "data.as_images=true",
        "model.layers=[{layer:conv2d,out_channels:4,kernel_size:3},act,flatten]",
        "trainer.max_epochs=1", "hydra.run.dir=conv", cwd=tmp_path,
    )  # fmt: skip
    assert conv.returncode == 0, conv.stderr[-3000:]
    runs = {d.name.split("_", 1)[1]: d for d in (tmp_path / "sweep").iterdir() if d.is_dir()}
    runs["sequential"] = tmp_path / "conv"
    for name, run in runs.items():
        log = (run / "train.log").read_text()
        drawn = "iris" in name or "moons" in name
        assert (run / "network.png").exists() == drawn, name
        assert ("the network picture draws MLPs" in log) != drawn, (name, log[-2000:])
        assert "network" in load_events(run).Tags()["images"] or not drawn


@pytest.mark.slow
def test_one_image_per_draw_and_the_last_one_saved(tmp_path: Path) -> None:
    run = run_cli(
        "nn-train", "experiment=xor", "threshold=null", "trainer.max_epochs=11",
        "hydra.run.dir=run", cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    per_epoch = metrics["step"] // 11
    # the start, after epochs 0, 5 and 10 (which ends training: drawn once)
    expected = [0, per_epoch, 6 * per_epoch, 11 * per_epoch]
    images = load_events(tmp_path / "run").Images("network")
    assert [i.step for i in images] == expected
    last = np.asarray(PIL.Image.open(io.BytesIO(images[-1].encoded_image_string)).convert("RGB"))
    saved = np.asarray(PIL.Image.open(tmp_path / "run" / "network.png").convert("RGB"))
    np.testing.assert_array_equal(last, saved)
    height, width = saved.shape[:2]
    assert width >= 800 and height >= 450
    first = np.asarray(PIL.Image.open(io.BytesIO(images[0].encoded_image_string)).convert("RGB"))
    assert np.abs(first.astype(int) - last.astype(int)).sum() > 0  # the network learnt


@pytest.mark.slow
def test_the_readme_picture_is_made_by_its_script(tmp_path: Path) -> None:
    import subprocess
    import sys

    from conftest import ROOT

    out = tmp_path / "network.png"
    made = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "network_picture.py"), str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr[-3000:]
    picture = PIL.Image.open(out)
    assert picture.size[0] >= 800 and picture.size[1] >= 450
    assert "docs/network.png" in (ROOT / "README.md").read_text()
    committed = PIL.Image.open(ROOT / "docs" / "network.png")
    assert committed.size == picture.size
