"""What a run shows in TensorBoard, asked of the real TensorBoard program over HTTP; the pictures'
contents; the `log` switches; nn-board."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from conftest import BIN, run_cli

HOST = "127.0.0.1"
XOR = "outputs/day/xor"
SWEEP = "multirun/day/sweep"
ACTIVATIONS = ("relu", "tanh", "sigmoid")


# -- a finished run and a finished sweep, each trained once for the whole module --------------
@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``experiment=xor`` (binary, 2 inputs: every kind of picture) and a 3-job sweep on digits,
    laid out as nn-train lays them out (outputs/DATE/TIME, multirun/DATE/TIME/N_overrides)."""
    root = tmp_path_factory.mktemp("tensorboard")
    run = run_cli("nn-train", "experiment=xor", f"hydra.run.dir={XOR}", cwd=root)
    assert run.returncode == 0, run.stderr[-3000:]
    sweep = run_cli(
        "nn-train",
        "-m",
        f"activation={','.join(ACTIVATIONS)}",
        "trainer.max_epochs=1",
        f"hydra.sweep.dir={SWEEP}",
        cwd=root,
    )
    assert sweep.returncode == 0, sweep.stderr[-3000:]
    return root


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def get(base: str, path: str, **params: str) -> Any:
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    with urllib.request.urlopen(f"{base}{path}{query}", timeout=30) as response:
        body = response.read()
        is_json = response.headers.get_content_type() == "application/json"
    return json.loads(body) if is_json else body


def post(base: str, path: str, request: dict) -> Any:
    """The HParams API: a JSON request body, a JSON answer."""
    req = urllib.request.Request(
        f"{base}{path}",
        data=json.dumps(request).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as response:
        return json.loads(response.read())


def wait_until(check: Any, timeout: float = 120.0) -> Any:
    """Poll ``check()`` until it returns something truthy (TensorBoard loads in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("TensorBoard did not serve the runs in time")
        time.sleep(0.5)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@pytest.fixture(scope="module")
def board(logs: Path) -> Iterator[str]:
    """The real ``tensorboard`` over both, on 127.0.0.1; its base URL once everything is loaded."""
    port = free_port()
    command = [sys.executable, "-m", "tensorboard.main", "--logdir", str(logs)]
    command += ["--host", HOST, "--port", str(port)]
    log = logs / "tensorboard.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://{HOST}:{port}"
    try:

        def loaded() -> bool:
            assert proc.poll() is None, log.read_text()[-3000:]
            tags = get(base, "/data/plugin/scalars/tags")
            done = [r for r, run_tags in tags.items() if "test/loss" in run_tags]
            return XOR in done and len([r for r in done if r.startswith(SWEEP)]) == 3

        wait_until(loaded)
        yield base
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def sweep_runs(board: str) -> dict[str, str]:
    """The sweep's run names by activation (N_OVERRIDES directories under the sweep)."""
    return {a: of_activation(get(board, "/data/runs"), a) for a in ACTIVATIONS}


def of_activation(runs: list[str], activation: str) -> str:
    (name,) = [r for r in runs if f"activation={activation}" in r.rsplit("/", 1)[-1]]
    return name


# -- what the server serves -----------------------------------------------------------------------
def test_runs_and_dashboards_are_served(board: str, sweep_runs: dict[str, str]) -> None:
    assert set(get(board, "/data/runs")) == {XOR, *sweep_runs.values()}
    assert all(run.startswith(f"{SWEEP}/") for run in sweep_runs.values())
    listing = get(board, "/data/plugins_listing")
    for plugin in ("scalars", "custom_scalars", "histograms", "images", "text", "hparams"):
        assert listing[plugin]["enabled"], plugin


def test_scalars_loss_lr_grad_norm_best(board: str, sweep_runs: dict[str, str]) -> None:
    tags = get(board, "/data/plugin/scalars/tags")
    expected = {"train/loss", "train/loss_epoch", "val/loss", "val/acc", "test/loss", "test/acc"}
    expected |= {"train/grad_norm", "best/val_loss", "best/val_acc"}
    assert expected | {"lr-SGD"} <= set(tags[XOR])
    for activation in ACTIVATIONS:
        assert expected | {"lr-Adam"} <= set(tags[sweep_runs[activation]])
    # the gradient norm is a real, positive number at logged steps
    norms = get(board, "/data/plugin/scalars/scalars", run=XOR, tag="train/grad_norm")
    assert len(norms) > 5 and all(value > 0 for _, _, value in norms)
    best = get(board, "/data/plugin/scalars/scalars", run=XOR, tag="best/val_loss")[-1][2]
    losses = [
        value for _, _, value in get(board, "/data/plugin/scalars/scalars", run=XOR, tag="val/loss")
    ]
    assert best == pytest.approx(min(losses))


def test_train_and_validation_loss_share_a_chart(board: str) -> None:
    layout = get(board, "/data/plugin/custom_scalars/layout")
    charts = [chart for category in layout["category"] for chart in category["chart"]]
    together = [set(c["multiline"]["tag"]) for c in charts if "multiline" in c]
    assert {"^train/loss_epoch$", "^val/loss$"} in together


def test_histograms_of_weights_grads_and_layers(board: str, sweep_runs: dict[str, str]) -> None:
    tags = set(get(board, "/data/plugin/histograms/tags")[XOR])
    # xor: linear 0 -> sigmoid (hidden layer 1) -> linear 2 -> sigmoid (output activation)
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert {f"weights/{name}", f"grads/{name}"} <= tags
    for layer in ("layer1", "output"):
        assert {f"preactivations/{layer}", f"activations/{layer}"} <= tags
    histograms = get(board, "/data/plugin/histograms/histograms", run=XOR, tag="weights/0.weight")
    steps = [step for _, step, _ in histograms]
    assert len(steps) >= 3 and steps == list(range(0, 50 * len(steps), 50))  # every 50 steps
    sweep_tags = set(get(board, "/data/plugin/histograms/tags")[sweep_runs["relu"]])
    assert {"preactivations/layer1", "activations/layer2", "grads/4.weight"} <= sweep_tags


def test_images_activation_confusion_boundary(board: str, sweep_runs: dict[str, str]) -> None:
    tags = get(board, "/data/plugin/images/tags")
    assert {
        "activation/sigmoid",
        "confusion_matrix/val",
        "confusion_matrix/test",
        "decision_boundary",
    } <= set(tags[XOR])
    for activation in ACTIVATIONS:
        run_tags = set(tags[sweep_runs[activation]])
        assert {f"activation/{activation}", "confusion_matrix/val"} <= run_tags
        assert "decision_boundary" not in run_tags  # digits have 64 inputs
    boundaries = get(board, "/data/plugin/images/images", run=XOR, tag="decision_boundary")
    first, second = (b["step"] for b in boundaries[:2])
    assert second == 6 * first  # after epochs 0 and 5: every 5 epochs
    png = get(board, "/data/plugin/images/individualImage?" + boundaries[-1]["query"])
    assert png.startswith(b"\x89PNG")


def test_config_as_text(board: str) -> None:
    tags = get(board, "/data/plugin/text/tags")
    assert tags[XOR] == ["config/text_summary"]
    text = get(board, "/data/plugin/text/text", run=XOR, tag="config/text_summary")[0]["text"]
    assert "name: sigmoid" in text and "name: xor" in text and "threshold: 0.01" in text


def test_hparams_one_sortable_row_per_run(board: str, sweep_runs: dict[str, str]) -> None:
    experiment = post(
        board, "/data/plugin/hparams/experiment", {"experimentName": "", "includeMetrics": True}
    )
    infos = {h["name"]: h for h in experiment["hparamInfos"]}
    chosen = (
        "activation", "loss", "model.hidden", "optimizer", "optimizer.lr", "data",
        "data.batch_size", "seed", "trainer.max_epochs",
    )  # fmt: skip
    assert set(chosen) <= set(infos)
    assert set(infos["activation"]["domainDiscrete"]) == {*ACTIVATIONS}
    metrics = {m["name"]["tag"] for m in experiment["metricInfos"]}
    assert {"val/loss", "val/acc", "test/acc", "best/val_loss", "best/val_acc"} <= metrics

    groups = post(
        board,
        "/data/plugin/hparams/session_groups",
        {
            "experimentName": "",
            "allowedStatuses": ["STATUS_SUCCESS", "STATUS_UNKNOWN", "STATUS_RUNNING"],
            "colParams": [{"metric": {"tag": "best/val_loss"}, "order": "ORDER_ASC"}],
            "startIndex": 0,
            "sliceSize": 100,
            "includeMetrics": True,
        },
    )["sessionGroups"]
    assert len(groups) == 4  # one row per run
    rows = {g["name"]: g for g in groups}
    for activation in ACTIVATIONS:
        row = rows[sweep_runs[activation]]
        assert row["hparams"]["activation"] == activation
        assert row["hparams"]["loss"] == "cross_entropy"
        assert row["hparams"]["optimizer"] == "Adam"
        assert row["sessions"][0]["status"] == "STATUS_SUCCESS"
    assert rows[XOR]["hparams"]["data"] == "xor"
    best = [
        next(m["value"] for m in g["metricValues"] if m["name"]["tag"] == "best/val_loss")
        for g in groups
    ]
    assert best == sorted(best)  # sorted by the column asked for


# -- nn-board -------------------------------------------------------------------------------------
def test_nn_board_serves_the_newest_sweep_and_stops_on_ctrl_c(logs: Path) -> None:
    port = free_port()
    os.utime(logs / SWEEP)  # the newest of outputs/*/* and multirun/*/*
    proc = subprocess.Popen(
        [str(BIN / "nn-board"), "--port", str(port)],
        cwd=logs,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert f"http://{HOST}:{port}/#custom_scalars" in first and "multirun/day/sweep" in first
        base = f"http://{HOST}:{port}"
        runs = wait_until(lambda: get(base, "/data/runs"))
        # each run named by its job number and swept value
        assert sorted(runs) == sorted(f"{i} activation={a}" for i, a in enumerate(ACTIVATIONS))
    finally:
        code = stop(proc, signal.SIGINT)
    assert code == 0
    with socket.socket() as s, pytest.raises(OSError):
        s.connect((HOST, port))  # nothing listens any more


def test_newest_run_with_events_by_modification_time(tmp_path: Path, capsys) -> None:
    from framework.cli.board import newest_run

    old, new, failed = (
        tmp_path / "multirun/d1/t1",
        tmp_path / "outputs/d2/t2",
        tmp_path / "outputs/d2/t3",
    )
    for i, d in enumerate((new, old, failed)):
        d.mkdir(parents=True)
        if d != failed:
            (d / "events.out.tfevents.1.host").write_bytes(b"")
        os.utime(d, (1000 + i, 1000 + i))
    # the newest directory holds no events (a run that failed before training): skipped, said so
    assert newest_run(tmp_path) == old
    assert f"skipped, no TensorBoard events: {failed}" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError):
        newest_run(tmp_path / "nothing")


def test_runs_are_named_by_experiment_and_time_or_by_job_and_swept_values(tmp_path: Path) -> None:
    from framework.cli.board import named_runs, run_label

    single = tmp_path / "outputs" / "2026-12-07" / "14-03-11"
    (single / ".hydra").mkdir(parents=True)
    (single / ".hydra" / "hydra.yaml").write_text(
        "hydra:\n  runtime:\n    choices:\n      experiment: moons\n      data: moons\n"
    )
    plain = tmp_path / "outputs" / "2026-12-07" / "15-00-00"
    (plain / ".hydra").mkdir(parents=True)
    (plain / ".hydra" / "hydra.yaml").write_text(
        "hydra:\n  runtime:\n    choices:\n      experiment: null\n      model: mlp\n"
        "      data: digits\n"
    )
    sweeps = [tmp_path / "multirun" / "2026-12-07" / t for t in ("10-00-00", "11-00-00")]
    jobs = []
    for sweep in sweeps:
        sweep.mkdir(parents=True)
        (sweep / "multirun.yaml").write_text("{}\n")
        job = sweep / "3_activation=tanh,optimizer.lr=0.03"
        job.mkdir()
        jobs.append(job)
    assert run_label(single) == "moons 14-03-11 2026-12-07"
    assert run_label(plain) == "mlp on digits 15-00-00 2026-12-07"
    assert run_label(jobs[0]) == "3 activation=tanh optimizer.lr=0.03"
    links = tmp_path / "links"
    links.mkdir()
    named_runs([single, plain, *jobs], links)
    names = {p.name: p.resolve() for p in links.iterdir()}
    assert names == {
        "moons 14-03-11 2026-12-07": single,
        "mlp on digits 15-00-00 2026-12-07": plain,
        # jobs of two sweeps: each named by its sweep too
        "10-00-00 3 activation=tanh optimizer.lr=0.03": jobs[0],
        "11-00-00 3 activation=tanh optimizer.lr=0.03": jobs[1],
    }


# -- the pictures ---------------------------------------------------------------------------------
def test_relu_picture_is_its_forward_and_backward() -> None:
    from framework import ACTIVATIONS as REGISTRY
    from framework.callbacks.images import plot_activation

    fig = plot_activation(REGISTRY.build("relu"), "relu")
    f, df = fig.axes[0].lines[:2]
    x = np.asarray(f.get_xdata())
    assert x.min() == -5 and x.max() == 5
    np.testing.assert_allclose(f.get_ydata(), np.maximum(0, x))
    np.testing.assert_array_equal(df.get_ydata(), (x > 0).astype(float))


def test_picture_uses_the_plugin_backward_even_when_wrong() -> None:
    """f′ comes from the hand-written backward, not from autograd of the forward."""
    from framework import ActivationFunction
    from framework.callbacks.images import plot_activation
    from framework.contract.module import function_module_class

    class Cube(ActivationFunction):
        @staticmethod
        def forward(x):
            return x**3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 2 * x  # wrong on purpose (3x² is right)

    fig = plot_activation(function_module_class(Cube)(), "cube", span=2.0)
    f, df = fig.axes[0].lines[:2]
    x = np.asarray(f.get_xdata())
    np.testing.assert_allclose(f.get_ydata(), x**3, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(df.get_ydata(), 2 * x, rtol=1e-5, atol=1e-6)


def test_figures_render_to_rgb_images() -> None:
    from framework.callbacks import figures

    matrix = np.diag([5, 7, 9])
    matrix[0, 2] = 1
    cm = figures.confusion_matrix_figure(matrix, ["a", "b", "c"], "val")
    assert sorted(t.get_text() for t in cm.axes[0].texts) == ["1", "5", "7", "9"]
    grid = np.linspace(-1, 1, 20)
    xx, yy = np.meshgrid(grid, grid)
    points, labels = np.random.default_rng(0).normal(size=(30, 2)), np.arange(30) % 2
    boundary = figures.decision_boundary_figure(xx, yy, (xx > yy) * 1.0, points, labels, "b", 2)
    x = np.linspace(0, 6, 50)
    curve = figures.fitted_curve_figure(x, np.sin(x), x, np.sin(x) + 0.1, "sine")
    np.testing.assert_allclose(curve.axes[0].lines[0].get_ydata(), np.sin(x))
    # the confusion matrix redrawn after every validation (blitting) looks like a fresh figure
    plot = figures.ConfusionMatrixPlot(["a", "b", "c"], "val")
    plot.image(np.ones((3, 3), dtype=np.int64) * 4)  # an earlier epoch
    redrawn = plot.image(matrix).astype(int)
    off = np.abs(redrawn - figures.to_image(cm)).max(axis=2)
    assert off.mean() < 2 and (off > 64).mean() < 0.01  # the same but for a text pixel or two
    for fig in (cm, boundary, curve):
        image = figures.to_image(fig)
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        assert image.std() > 0  # not blank


def test_layer_names_and_values_from_hooks() -> None:
    from torch import nn

    from framework import ACTIVATIONS as REGISTRY
    from framework import LAYERS
    from framework.callbacks.histograms import layer_values
    from framework.callbacks.probes import named_activations

    model = nn.Sequential(
        LAYERS.build("linear", in_features=2, out_features=3),
        REGISTRY.build("tanh"),
        LAYERS.build("linear", in_features=3, out_features=1),
        REGISTRY.build("sigmoid"),
    )
    assert [name for name, _ in named_activations(model)] == ["layer1", "output"]
    x = torch.randn(5, 2)
    values = layer_values(model, x)
    pre, post = values["layer1"]
    torch.testing.assert_close(pre, model[0](x).detach())
    torch.testing.assert_close(post, torch.tanh(pre))
    assert model.training  # the mode is restored


# -- the `log` group ------------------------------------------------------------------------------
def _callbacks(*overrides: str) -> list[str]:
    from hydra import compose, initialize_config_dir

    from framework.callbacks import log_options, tensorboard_callbacks
    from framework.front_door.overrides import register_config_nodes
    from framework.front_door.plugin_catalog import build_catalog
    from framework.front_door.validation import validate_config
    from framework.paths import CONF_DIR

    catalog = build_catalog()
    register_config_nodes(catalog)
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=list(overrides))
    validate_config(cfg, catalog)
    config = {"activation": {"name": "relu"}}
    return [type(c).__name__ for c in tensorboard_callbacks(log_options(cfg), config)]


def test_log_group_switches_each_part() -> None:
    everything = _callbacks()
    assert {
        "HParamsCallback",
        "LearningRateMonitor",
        "GradNormCallback",
        "LossChartCallback",
        "HistogramCallback",
        "ActivationImage",
        "ConfusionMatrixImage",
        "PredictionImage",
        "NetworkImage",
        "ConfigTextCallback",
    } == set(everything)
    assert _callbacks("log=off") == []
    minimal = set(_callbacks("log=minimal"))
    assert "HistogramCallback" not in minimal and "ConfusionMatrixImage" not in minimal
    assert "NetworkImage" not in minimal
    assert "NetworkImage" not in _callbacks("log.network=false")
    assert "HParamsCallback" in minimal
    assert "HistogramCallback" not in _callbacks("log.histograms=false")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("log.every_n_steps=0", "log.every_n_steps=0 must be a positive whole number"),
        ("log.histograms=often", "log.histograms='often' must be true or false"),
        ("+log.histogram=true", "Did you mean log.histograms?"),
    ],
)
def test_log_values_are_checked(override: str, message: str) -> None:
    from framework.errors import ConfigError

    with pytest.raises(ConfigError, match=re.escape(message)):
        _callbacks(override)
