"""Data sets: each sets up with the right DataInfo; splits, standardisation and seeds; the user's
own csv and npz files and every error they can raise; config checks; in-process training smoke
tests; one nn-train run on a csv file; the experiments' promised quality (slow)."""

from __future__ import annotations

import functools
import io
import math
import subprocess
import sys
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
from conftest import ROOT, run_cli
from omegaconf import OmegaConf
from tb import load_events, scalar_values

from framework.data import DATASETS, build_datamodule
from framework.data.base import DataInfo
from framework.data.catalog import OWN_FILES
from framework.errors import ConfigError

CONF_DATA = ROOT / "conf" / "data"

# task, input shape, classes, regression outputs
EXPECTED = {
    "digits": ("multiclass", (64,), 10, 1),
    "iris": ("multiclass", (4,), 3, 1),
    "wine": ("multiclass", (13,), 3, 1),
    "breast_cancer": ("binary", (30,), 2, 1),
    "diabetes": ("regression", (10,), 0, 1),
    "linnerud": ("regression", (3,), 0, 3),
    "xor": ("binary", (2,), 2, 1),
    "moons": ("binary", (2,), 2, 1),
    "circles": ("binary", (2,), 2, 1),
    "spirals": ("binary", (2,), 2, 1),
    "blobs": ("multiclass", (2,), 3, 1),
    "sine": ("regression", (1,), 0, 1),
    "sequence": ("regression", (24, 1), 0, 1),
}
SPLIT_SETS = sorted(set(EXPECTED) - {"xor"})  # xor: train, val and test are the same 4 points


def datamodule(name: str, seed: int = 0, **params):
    """The data module exactly as ``data=NAME`` configures it, with ``params`` overridden."""
    cfg = OmegaConf.merge(OmegaConf.load(CONF_DATA / f"{name}.yaml"), params)
    return build_datamodule(cfg, seed)


def test_every_data_set_has_a_config_and_a_test() -> None:
    configured = {p.stem for p in CONF_DATA.glob("*.yaml")}
    assert configured == set(DATASETS)
    assert set(EXPECTED) | set(OWN_FILES) == set(DATASETS)
    for name, (task, *_) in EXPECTED.items():
        assert DATASETS[name].task == task


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_data_set_sets_up_with_its_info(name: str) -> None:
    task, shape, classes, outputs = EXPECTED[name]
    dm = datamodule(name)
    dm.setup("fit")
    info = dm.info
    assert (info.task, info.input_shape, info.num_classes) == (task, shape, classes)
    if task == "regression":
        assert info.num_outputs == outputs
        assert len(info.target_mean) == len(info.target_std) == outputs
    assert_checkpointable(info)
    x, y = next(iter(dm.train_dataloader()))
    assert x.dtype == torch.float32 and tuple(x.shape[1:]) == shape
    if task == "multiclass":
        assert y.dtype == torch.int64 and y.ndim == 1 and int(y.max()) < classes
    else:
        assert y.dtype == torch.float32 and y.shape[1] == outputs
    if task == "binary":
        assert set(y.reshape(-1).tolist()) <= {0.0, 1.0}


def assert_checkpointable(info: DataInfo) -> None:
    """The info survives a checkpoint read back with weights_only=True (plain Python types)."""
    buffer = io.BytesIO()
    torch.save({"data_info": info.to_dict()}, buffer)
    buffer.seek(0)
    assert DataInfo.from_dict(torch.load(buffer, weights_only=True)["data_info"]) == info


@pytest.mark.parametrize("name", SPLIT_SETS)
def test_splits_are_disjoint_and_sized_by_the_fractions(name: str) -> None:
    dm = datamodule(name)
    dm.setup()
    parts = dm.split_indices
    n = sum(len(p) for p in parts.values())
    assert np.array_equal(np.sort(np.concatenate(list(parts.values()))), np.arange(n))
    assert len(parts["test"]) == math.ceil(dm.test_fraction * n)
    assert abs(len(parts["val"]) - dm.val_fraction * n) <= 1
    assert {k: len(v) for k, v in dm.splits.items()} == {k: len(v) for k, v in parts.items()}


def test_classification_splits_are_stratified() -> None:
    dm = datamodule("iris")
    dm.setup()
    _, y = dm.load()
    for idx in dm.split_indices.values():
        counts = np.bincount(y[idx], minlength=3)
        assert counts.max() - counts.min() <= 1


def test_standardisation_uses_the_training_split_only() -> None:
    dm = datamodule("wine")
    dm.setup()
    x, _ = dm.load()
    train = x[dm.split_indices["train"]]
    np.testing.assert_allclose(dm.feature_mean[0], train.mean(0), rtol=1e-5)
    np.testing.assert_allclose(dm.feature_std[0], train.std(0), rtol=1e-5)
    assert not np.allclose(dm.feature_mean[0], x.mean(0), rtol=1e-3)
    features = dm.splits["train"].tensors[0].numpy()
    np.testing.assert_allclose(features.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(features.std(0), 1, atol=1e-4)
    assert abs(dm.splits["test"].tensors[0].numpy().mean()) > 1e-4  # test is not re-centred


def test_regression_targets_are_standardised_with_training_statistics() -> None:
    dm = datamodule("diabetes")
    dm.setup()
    _, y = dm.load()
    train = y[dm.split_indices["train"]]
    assert dm.info.target_mean == pytest.approx((train.mean(),), rel=1e-5)
    assert dm.info.target_std == pytest.approx((train.std(),), rel=1e-5)
    kept = datamodule("diabetes", standardize_target=False)
    kept.setup()
    assert kept.info.target_mean == (0.0,) and kept.info.target_std == (1.0,)
    assert float(kept.splits["train"].tensors[1].mean()) == pytest.approx(train.mean(), rel=1e-5)


def test_sequences_are_standardised_per_feature_images_as_a_whole() -> None:
    seq = datamodule("sequence")
    seq.setup()
    assert seq.feature_mean.shape == (1, 1, 1)
    images = datamodule("digits", as_images=True)
    images.setup()
    assert images.info.input_shape == (1, 8, 8)
    assert images.feature_mean.shape == (1, 1, 1, 1)


def test_seed_makes_splits_reproducible() -> None:
    first, again, other = (datamodule("moons", seed=s) for s in (3, 3, 4))
    for dm in (first, again, other):
        dm.setup()
    for part in ("train", "val", "test"):
        assert np.array_equal(first.split_indices[part], again.split_indices[part])
        assert torch.equal(first.splits[part].tensors[0], again.splits[part].tensors[0])
    assert not np.array_equal(first.split_indices["test"], other.split_indices["test"])


def test_generated_points_depend_on_sample_seed_not_on_the_run_seed() -> None:
    x0, _ = datamodule("spirals", seed=0).load()
    x1, _ = datamodule("spirals", seed=1).load()
    x2, _ = datamodule("spirals", sample_seed=1).load()
    assert np.array_equal(x0, x1) and not np.array_equal(x0, x2)


@pytest.mark.parametrize(
    ("name", "size"),
    [("moons", 200), ("circles", 300), ("spirals", 100), ("blobs", 50), ("sine", 80)],
)
def test_generated_size_and_noise_are_parameters(name: str, size: int) -> None:
    x, y = datamodule(name, n_samples=size, noise=0.0).load()
    assert len(x) == len(y) == size
    noisy_x, noisy_y = datamodule(name, n_samples=size, noise=0.3).load()
    assert not (np.allclose(x, noisy_x) and np.allclose(y, noisy_y))


def test_sine_and_sequence_targets_follow_the_sine() -> None:
    x, y = datamodule("sine", noise=0.0).load()
    np.testing.assert_allclose(y, np.sin(x[:, 0]), atol=1e-6)
    windows, nxt = datamodule("sequence", noise=0.0, length=10).load()
    assert windows.shape[1:] == (10, 1) and nxt.shape == (len(windows),)
    # a sine wave obeys x[t+1] = 2 cos(w) x[t] - x[t-1]: the next value follows from the window
    w = windows[:, :, 0]
    two_cos = (w[:, 2] + w[:, 0]) / np.where(np.abs(w[:, 1]) > 0.1, w[:, 1], np.nan)
    predicted = two_cos * w[:, -1] - w[:, -2]
    ok = np.isfinite(predicted)
    np.testing.assert_allclose(predicted[ok], nxt[ok], atol=1e-3)


# --- the user's own data: csv --------------------------------------------------------------

CSV = """\
height,colour,weight,label
1.2,red,3,cat
0.4,blue,7,dog
1.1,red,2,cat
0.9,green,5,bird
"""


def write_csv(tmp_path: Path, rows: int = 60, target: str = "species") -> Path:
    """Numeric and categorical features; a text target (3 classes) and a float target."""
    rng = np.random.default_rng(0)
    lines = ["length,colour,width,price,species"]
    for i in range(rows):
        species = ("setosa", "versicolor", "virginica")[i % 3]
        colour = ("red", "blue")[i % 2]
        length = 1.0 + i % 3 + rng.normal(0, 0.1)
        lines.append(f"{length:.3f},{colour},{rng.normal():.3f},{2 * length + 1:.4f},{species}")
    path = tmp_path / "table.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def csv_module(path: Path, target: str = "species", **params):
    return datamodule("csv", path=str(path), target=target, **params)


def test_csv_classification_with_numeric_and_categorical_features(tmp_path: Path) -> None:
    dm = csv_module(write_csv(tmp_path))
    dm.setup()
    info = dm.info
    assert info.task == "multiclass" and info.num_classes == 3
    assert info.class_names == ("setosa", "versicolor", "virginica")
    assert_checkpointable(info)
    # length, colour=blue, colour=red, width, price
    assert info.input_shape == (5,)
    assert dm.feature_names == ["length", "colour=blue", "colour=red", "width", "price"]
    x, y = dm.load()
    assert set(np.unique(x[:, 1:3])) == {0.0, 1.0} and np.all(x[:, 1] + x[:, 2] == 1)
    assert list(y[:3]) == [0, 1, 2]


def test_csv_regression_target(tmp_path: Path) -> None:
    dm = csv_module(write_csv(tmp_path), target="price")
    dm.setup()
    assert dm.info.task == "regression" and dm.info.num_outputs == 1
    assert_checkpointable(dm.info)
    assert dm.info.input_shape == (1 + 2 + 1 + 3,)  # species, one-hot, is now a feature


def test_csv_binary_and_integer_targets(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    rows = [f"{i},{i % 2 * 5},{'yes' if i % 2 else 'no'},{i % 4 + 1}" for i in range(40)]
    path.write_text("a,b,answer,grade\n" + "\n".join(rows) + "\n")
    dm = csv_module(path, target="answer")
    dm.setup()
    assert dm.info.task == "binary" and dm.info.class_names == ("no", "yes")
    grades = csv_module(path, target="grade")
    grades.setup()  # whole numbers, few distinct values: classes
    assert grades.info.task == "multiclass" and grades.info.class_names == ("1", "2", "3", "4")
    forced = csv_module(path, target="grade", task="regression")
    forced.setup()
    assert forced.info.task == "regression"


@pytest.mark.parametrize(
    ("content", "params", "expected"),
    [
        (None, {}, ["no such file", "missing.csv"]),
        ("", {}, ["the file is empty"]),
        ("a,b,label\n", {}, ["has a header", "no data rows"]),
        (CSV, {"target": "labl"}, ["'labl' is not a column", "height, colour, weight, label"]),
        # missing values are filled by default (tests/test_tables.py); data.missing=error refuses
        (
            CSV.replace("0.4,", "nan,"),
            {"missing": "error"},
            ["column 'height', line 3 is missing", "1 row(s)", "missing=fill", "missing=drop"],
        ),
        (CSV.replace("0.4,", "abc,"), {}, ["column 'height'", "line 3 holds 'abc'"]),
        (CSV.replace("0.4,", ","), {"missing": "error"}, ["column 'height', line 3 is missing"]),
        (CSV.replace("dog", "cat").replace("bird", "cat"), {}, ["single class", "cat"]),
        (CSV, {"task": "binary"}, ["labels out of range", "binary", "3: bird, cat, dog"]),
        (CSV, {"task": "regression"}, ["holds text", "regression needs numbers"]),
        (CSV.replace("0.4,blue,", "0.4,"), {}, ["line 3: 3 fields", "header has 4"]),
        ("label\ncat\ndog\n", {}, ["no feature columns"]),
    ],
)
def test_csv_errors_name_the_problem(
    tmp_path: Path, content: str | None, params: dict, expected: list[str]
) -> None:
    path = tmp_path / "missing.csv"
    if content is not None:
        path.write_text(content)
    params = {"target": "label", **params}
    with pytest.raises(ConfigError) as err:
        csv_module(path, **params).setup()
    for piece in expected:
        assert piece in str(err.value)
    assert "\n" not in str(err.value)


# --- the user's own data: npz --------------------------------------------------------------


def write_npz(tmp_path: Path, **arrays) -> Path:
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("x_shape", "y", "task", "classes", "outputs"),
    [
        ((90, 5), np.arange(90) % 3, "multiclass", 3, 1),
        ((90, 5), np.arange(90) % 2, "binary", 2, 1),
        ((90, 5), np.arange(90) % 2 == 0, "binary", 2, 1),
        ((90, 5), np.linspace(0, 1, 90), "regression", 0, 1),
        ((90, 5), np.ones((90, 2)) * np.arange(90)[:, None], "regression", 0, 2),
        ((90, 12, 2), np.arange(90) % 3, "multiclass", 3, 1),
        ((90, 1, 4, 4), np.arange(90) % 4, "multiclass", 4, 1),
    ],
)
def test_npz_infers_task_and_shape(
    tmp_path: Path, x_shape: tuple, y: np.ndarray, task: str, classes: int, outputs: int
) -> None:
    x = np.random.default_rng(0).normal(size=x_shape)
    dm = datamodule("npz", path=str(write_npz(tmp_path, X=x, y=y)))
    dm.setup()
    assert dm.info.task == task and dm.info.input_shape == x_shape[1:]
    assert dm.info.num_classes == classes
    assert dm.info.num_outputs == outputs


def test_npz_task_can_be_forced(tmp_path: Path) -> None:
    path = write_npz(tmp_path, X=np.zeros((40, 2)), y=np.arange(40) % 2)
    dm = datamodule("npz", path=str(path), task="regression")
    dm.setup()
    assert dm.info.task == "regression"


@pytest.mark.parametrize(
    ("arrays", "params", "expected"),
    [
        (None, {}, ["no such file"]),
        ({"X": np.zeros((10, 2)), "labels": np.zeros(10)}, {}, ["no array(s) y", "X, labels"]),
        ({"X": np.zeros((10, 2)), "y": np.zeros(9)}, {}, ["different lengths", "10 and 9"]),
        (
            {"X": np.where(np.eye(10, 2) == 1, np.nan, 0.0), "y": np.arange(10) % 2},
            {},
            ["X[0, 0]", "NaN"],
        ),
        ({"X": np.zeros((10, 2)), "y": np.arange(10) % 3 - 1}, {}, ["labels out of range"]),
        (
            {"X": np.zeros((10, 2)), "y": np.arange(10) % 3},
            {"task": "binary"},
            ["labels out of range", "binary"],
        ),
        ({"X": np.zeros((10, 2)), "y": np.ones(10, dtype=int)}, {}, ["single class"]),
        ({"X": np.array([["a", "b"]] * 10), "y": np.arange(10) % 2}, {}, ["must be numbers"]),
    ],
)
def test_npz_errors_name_the_problem(
    tmp_path: Path, arrays: dict | None, params: dict, expected: list[str]
) -> None:
    path = write_npz(tmp_path, **arrays) if arrays else tmp_path / "missing.npz"
    with pytest.raises(ConfigError) as err:
        datamodule("npz", path=str(path), **params).setup()
    for piece in expected:
        assert piece in str(err.value)


def test_npz_empty_or_foreign_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(ConfigError, match="the file is empty"):
        datamodule("npz", path=str(empty)).setup()
    text = tmp_path / "text.npz"
    text.write_text("not an archive")
    with pytest.raises(ConfigError, match=r"cannot be read as a \.npz file"):
        datamodule("npz", path=str(text)).setup()


# --- config checks (torch-free) ------------------------------------------------------------


@pytest.fixture(scope="module")
def compose():
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from framework.front_door.overrides import register_config_nodes
    from framework.front_door.plugin_catalog import build_catalog
    from framework.front_door.validation import validate_config
    from framework.paths import CONF_DIR

    catalog = build_catalog()
    register_config_nodes(catalog)

    def check(*overrides: str) -> None:
        with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
            validate_config(hydra_compose("config", list(overrides)), catalog)

    return check


def test_config_checks_data_files(compose, tmp_path: Path) -> None:
    path = write_csv(tmp_path)
    compose("data=csv", f"data.path={path}", "data.target=species")
    compose("data=csv", f"data.path={path}", "data.target=species", "monitor=val/r2")  # auto
    with pytest.raises(ConfigError, match=r"give data.path=FILE and data.target=COLUMN"):
        compose("data=csv", "data.target=species")
    with pytest.raises(ConfigError, match=r"data.target is missing"):
        compose("data=csv", f"data.path={path}")
    with pytest.raises(ConfigError, match=r"no such file"):
        compose("data=npz", f"data.path={tmp_path / 'nope.npz'}")
    with pytest.raises(ConfigError, match=r"data.task='classes' is not valid"):
        compose("data=npz", f"data.path={path}", "data.task=classes")
    with pytest.raises(ConfigError, match=r"for csv \(multiclass\) use one of: val/loss, val/acc"):
        forced = ["data.task=multiclass", "monitor=val/r2"]
        compose("data=csv", f"data.path={path}", "data.target=x", *forced)


def test_config_checks_monitor_and_parameters_per_data_set(compose) -> None:
    compose("data=diabetes", "monitor=val/r2")
    compose("data=sine", "monitor=val/mae")
    with pytest.raises(ConfigError, match=r"for diabetes \(regression\) use one of: .*val/r2"):
        compose("data=diabetes", "monitor=val/acc")
    with pytest.raises(ConfigError, match=r"data.n_samples=0 must be a positive whole number"):
        compose("data=moons", "data.n_samples=0")
    with pytest.raises(ConfigError, match=r"data.noise=-1 must be a number >= 0"):
        compose("data=spirals", "data.noise=-1")
    with pytest.raises(ConfigError, match=r"leaves nothing to train on"):
        compose("data=iris", "data.val_fraction=0.5", "data.test_fraction=0.5")


def test_monitor_of_the_inferred_task_is_checked_once_the_data_is_read(tmp_path: Path) -> None:
    from framework.front_door.validation import check_monitor

    dm = csv_module(write_csv(tmp_path))
    check_monitor("val/acc", dm.info.task, "csv")
    with pytest.raises(ConfigError, match=r"monitor='val/r2' .* for csv \(multiclass\)"):
        check_monitor("val/r2", dm.info.task, "csv")


def test_missing_csv_is_reported_before_torch(tmp_path: Path) -> None:
    args = ["data=csv", "data.path=nope.csv", "data.target=y"]
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "framework.cli.train", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    lines = [ln for ln in result.stderr.splitlines() if not ln.startswith("import time:")]
    assert len(lines) == 1 and "data.path='nope.csv': no such file" in lines[0]
    imported = {ln.split("|")[-1].strip() for ln in result.stderr.splitlines() if "|" in ln}
    assert "torch" not in imported


# --- training: in-process smoke tests, one nn-train run ------------------------------------


def fit_and_test(dm, hidden: tuple[int, ...] = (8,), max_epochs: int | None = None) -> dict:
    """A TaskModule on ``dm`` with loss=auto's loss; fast_dev_run unless ``max_epochs``."""
    from framework.contract.registries import LOSSES
    from framework.models import build_model
    from framework.training.run import DEFAULT_LOSS
    from framework.training.task import TaskModule

    info = dm.info
    loss_name = DEFAULT_LOSS[info.task]
    model_cfg = OmegaConf.create({"name": "mlp", "hidden": list(hidden)})
    model = build_model(model_cfg, OmegaConf.create({"name": "tanh"}), info, loss_name)
    optimizer = functools.partial(torch.optim.Adam, lr=0.01)
    module = TaskModule(model, LOSSES.build(loss_name), optimizer, info, {"model": model_cfg})
    trainer = L.Trainer(
        fast_dev_run=max_epochs is None,
        max_epochs=max_epochs,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
    )
    trainer.fit(module, datamodule=dm)
    (metrics,) = trainer.test(module, datamodule=dm, verbose=False)
    return metrics


@pytest.mark.parametrize(
    "name", ["iris", "breast_cancer", "linnerud", "sequence", "digits", "blobs"]
)
def test_training_smoke(name: str) -> None:
    metrics = fit_and_test(datamodule(name))
    task = EXPECTED[name][0]
    expected = {"test/loss", "test/mae", "test/r2"} if task == "regression" else {"test/acc"}
    assert expected <= set(metrics)
    assert all(math.isfinite(v) for v in metrics.values())


def test_training_smoke_on_user_files(tmp_path: Path) -> None:
    csv_metrics = fit_and_test(csv_module(write_csv(tmp_path), target="price"))
    assert {"test/mae", "test/r2"} <= set(csv_metrics)
    x = np.random.default_rng(0).normal(size=(80, 3))
    npz = write_npz(tmp_path, X=x, y=(x[:, 0] > 0).astype(int))
    assert "test/acc" in fit_and_test(datamodule("npz", path=str(npz)))


def test_regression_metrics_are_in_the_targets_units() -> None:
    dm = datamodule("sine", n_samples=400)
    metrics = fit_and_test(dm, hidden=(32, 32), max_epochs=25)
    assert metrics["test/r2"] > 0.8
    assert metrics["test/mae"] < 0.3
    untrained = fit_and_test(datamodule("diabetes"))  # one step: predicts about the mean
    assert untrained["test/mae"] > 20  # progression units (std about 77), not standard scores


def test_nn_train_on_a_csv_file(tmp_path: Path) -> None:
    write_csv(tmp_path, rows=90)
    result = run_cli(
        "nn-train",
        "data=csv",
        "data.path=table.csv",
        "data.target=species",
        "trainer.max_epochs=3",
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    acc = load_events(tmp_path / "run")
    assert scalar_values(acc, "test/acc")[-1] > 0.5


# --- the experiments reach the quality their files promise ---------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("experiment", "metric", "at_least"),
    [
        ("moons", "test/acc", 0.95),
        ("spirals", "test/acc", 0.95),
        ("iris", "test/acc", 0.9),
        ("sine_regression", "test/r2", 0.95),
        ("diabetes_regression", "test/r2", 0.4),
    ],
)
def test_experiment_reaches_its_promised_quality(
    tmp_path: Path, experiment: str, metric: str, at_least: float
) -> None:
    result = run_cli("nn-train", f"experiment={experiment}", "hydra.run.dir=run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert scalar_values(load_events(tmp_path / "run"), metric)[-1] >= at_least
