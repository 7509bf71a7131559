"""A checkpoint is a complete predictor: ``load_model`` on the RAW test split of every data set
reproduces the run's logged test metric; ``predict``/``predict_proba``; ``nn-predict`` as a user
runs it, with every kind of bad input; plugin files found from anywhere; old checkpoints."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_cli
from omegaconf import OmegaConf
from tb import load_events, scalar_values

from framework import load_model, predict, predict_proba
from framework.cli.train import main as nn_train
from framework.data import DATASETS, build_datamodule
from framework.data.catalog import OWN_FILES
from framework.training.checkpoint import LegacyCheckpoint

BUNDLED = sorted(set(DATASETS) - set(OWN_FILES))
COLORS = ("red", "green", "blue")


def write_table(path: Path, n: int = 240, seed: int = 0) -> Path:
    """A CSV with a numeric column, a categorical one and a text target that depends on both."""
    rng = np.random.default_rng(seed)
    size, color = rng.normal(10, 3, n), rng.choice(COLORS, n)
    weight = rng.uniform(0, 100, n)
    label = np.where((size > 10) ^ (color == "blue"), "big", "small")
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["size", "color", "weight", "label"])
        writer.writerows(zip(size.round(3), color, weight.round(2), label, strict=True))
    return path


def train(run_dir: Path, *overrides: str) -> Path:
    """One short run in this process; returns its run directory."""
    nn_train([*overrides, "trainer.max_epochs=2", "log=off", f"hydra.run.dir={run_dir}"])
    return run_dir


def logged(run_dir: Path, tag: str) -> float:
    return scalar_values(load_events(run_dir), tag)[-1]


def raw_test_split(run_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The test rows as the data set loads them, before any standardisation."""
    cfg = OmegaConf.load(run_dir / ".hydra" / "config.yaml")
    dm = build_datamodule(cfg.data, cfg.seed)
    dm.setup()
    x, y = dm.load()
    test = dm.split_indices["test"]
    return np.asarray(x, dtype=np.float32)[test], np.asarray(y)[test]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.mark.slow
@pytest.mark.parametrize("data", BUNDLED)
def test_raw_test_split_reproduces_the_logged_metric(runs: Path, data: str) -> None:
    run = train(runs / data, f"data={data}")
    model = load_model(run / "checkpoints" / "best.ckpt")  # the checkpoint the run tested
    assert not model.training
    x, y = raw_test_split(run)
    if model.task == "regression":
        got = predict(model, x).double().numpy()
        mae = np.abs(got.reshape(y.shape) - y.astype(np.float64)).mean()
        assert mae == pytest.approx(logged(run, "test/mae"), rel=1e-6)
        with pytest.raises(ValueError, match="no class probabilities"):
            predict_proba(model, x)
    else:
        labels = predict(model, x)
        expected = [model.class_names[int(i)] for i in y] if model.has_class_names else y
        accuracy = np.mean(np.asarray(labels) == np.asarray(expected))
        assert accuracy == pytest.approx(logged(run, "test/acc"), abs=0.005)
        proba = predict_proba(model, x)
        assert proba.shape == (len(x), len(model.class_names))
        assert torch.allclose(proba.sum(-1), torch.ones(len(x)))
        # standardised inputs are not what the model takes: the answers differ
        assert not torch.equal(model.scores(x), model.scores((x - x.mean(0)) / (x.std(0) + 1)))


@pytest.mark.slow
def test_csv_with_a_categorical_column_from_raw_rows(runs: Path) -> None:
    table = write_table(runs / "table.csv")
    run = train(runs / "csv", "data=csv", f"data.path={table}", "data.target=label")
    model = load_model(run / "checkpoints" / "best.ckpt")
    with table.open() as f:
        rows = list(csv.DictReader(f))
    cfg = OmegaConf.load(run / ".hydra" / "config.yaml")
    dm = build_datamodule(cfg.data, cfg.seed)
    dm.setup()
    test = [rows[i] for i in dm.split_indices["test"]]
    labels = predict(model, [{k: v for k, v in r.items() if k != "label"} for r in test])
    accuracy = np.mean([p == r["label"] for p, r in zip(labels, test, strict=True)])
    assert accuracy == pytest.approx(logged(run, "test/acc"), abs=0.005)
    assert set(labels) <= {"big", "small"} and model.class_names == ["big", "small"]
    # the same rows as a mapping of columns give the same answers
    columns = {k: [r[k] for r in test] for k in ("size", "color", "weight")}
    assert predict(model, columns) == labels
    with pytest.raises(ValueError, match="'purple', a category the model never saw"):
        predict(model, {**columns, "color": ["purple"] * len(test)})

    # nn-predict on the raw test rows (target column present: ignored) writes the same labels
    subset = runs / "test_rows.csv"
    with subset.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(test)
    out = runs / "predictions.csv"
    ckpt = str(run / "checkpoints" / "best.ckpt")
    result = run_cli("nn-predict", ckpt, str(subset), "--output", str(out), "--proba", cwd=runs)
    assert result.returncode == 0, result.stderr
    with out.open() as f:
        written = list(csv.DictReader(f))
    assert [w["prediction"] for w in written] == labels
    assert [int(w["row"]) for w in written] == list(range(len(test)))
    proba = predict_proba(model, columns)
    assert np.allclose([[float(w["p_big"]), float(w["p_small"])] for w in written], proba)


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A CSV model and its table, for nn-predict's error cases."""
    work = tmp_path_factory.mktemp("csv_run")
    table = write_table(work / "table.csv", n=80)
    run = train(work / "run", "data=csv", f"data.path={table}", "data.target=label")
    return run / "checkpoints" / "last.ckpt", table


BAD_INPUTS = {
    "missing column": ("size,weight\n1,2\n", r"missing column\(s\) 'color'"),
    "misspelt column": (
        "size,colour,weight\n1,red,2\n",
        r"column 'colour' is not one the model was trained on \(did you mean 'color'\?\)",
    ),
    "extra column": ("size,color,weight,age\n1,red,2,3\n", r"column 'age' is not one"),
    "non-numeric value": ("size,color,weight\n1,red,2\nbig,red,3\n", r"'size', line 3 .*'big'"),
    "unknown category": ("size,color,weight\n1,purple,2\n", r"'purple', a category .* never saw"),
    "empty file": ("", r"is empty \(0 bytes\)"),
    "header only": ("size,color,weight\n", r"no data rows"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_nn_predict_bad_input_is_one_paragraph(
    csv_run: tuple[Path, Path], tmp_path: Path, case: str
) -> None:
    import re

    text, pattern = BAD_INPUTS[case]
    bad = tmp_path / "input.csv"
    bad.write_text(text)
    out = tmp_path / "out.csv"
    result = run_cli("nn-predict", str(csv_run[0]), str(bad), "-o", str(out), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert re.search(pattern, result.stderr), result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]  # nothing written


@pytest.mark.slow
def test_nn_predict_files_checkpoints_and_output(csv_run: tuple[Path, Path], tmp_path: Path):
    ckpt, table = csv_run
    out = tmp_path / "out.csv"
    out.write_text("keep me")
    result = run_cli("nn-predict", str(ckpt), str(table), "-o", str(out), cwd=tmp_path)
    assert result.returncode == 2 and "exists" in result.stderr and "--force" in result.stderr
    assert out.read_text() == "keep me"
    result = run_cli("nn-predict", str(ckpt), str(table), "-o", str(out), "--force", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(out.read_text().splitlines()) == 81
    stdout = run_cli("nn-predict", str(ckpt), str(table), cwd=tmp_path)
    assert stdout.stdout == out.read_text()
    not_ckpt = run_cli("nn-predict", str(table), str(table), cwd=tmp_path)
    assert not_ckpt.returncode == 2 and "not a checkpoint" in not_ckpt.stderr
    assert "Traceback" not in not_ckpt.stderr
    proba = run_cli("nn-predict", str(ckpt), str(tmp_path / "nope.csv"), cwd=tmp_path)
    assert proba.returncode == 2 and "no such file" in proba.stderr


@pytest.mark.slow
def test_nn_predict_npz_and_feature_count(runs: Path, tmp_path: Path) -> None:
    run = runs / "iris"
    if not run.exists():
        train(run, "data=iris")
    ckpt = str(run / "checkpoints" / "best.ckpt")
    x, _ = raw_test_split(run)
    np.savez(tmp_path / "x.npz", X=x, y=np.zeros(len(x)))
    result = run_cli("nn-predict", ckpt, str(tmp_path / "x.npz"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    names = [line.split(",")[1] for line in result.stdout.splitlines()[1:]]
    assert names == predict(load_model(ckpt), x)
    np.savez(tmp_path / "wide.npz", X=np.ones((3, 5)))
    wide = run_cli("nn-predict", ckpt, str(tmp_path / "wide.npz"), cwd=tmp_path)
    assert wide.returncode == 2 and "shape (3, 5)" in wide.stderr and "(N, 4)" in wide.stderr
    (tmp_path / "wide.csv").write_text("1,2,3\n4,5,6\n")
    wide = run_cli("nn-predict", ckpt, str(tmp_path / "wide.csv"), cwd=tmp_path)
    assert wide.returncode == 2 and "3 values, but the model takes 4" in wide.stderr


def test_nn_predict_help_and_version(tmp_path: Path) -> None:
    import framework

    result = run_cli("nn-predict", "--help", cwd=tmp_path)
    assert result.returncode == 0 and "--proba" in result.stdout and "--force" in result.stdout
    version = run_cli("nn-predict", "--version", cwd=tmp_path)
    assert version.returncode == 0
    assert f"nn-predict {framework.__version__}" in version.stdout
    assert f"torch {torch.__version__}" in version.stdout and "hydra-core" in version.stdout


@pytest.mark.slow
def test_plugin_checkpoint_loads_from_anywhere(
    tmp_path: Path, bent_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Trained with imports=[bent.py] in one directory, loaded from another; the file moved
    (found with imports=/--imports); the file changed (one warning line)."""
    monkeypatch.chdir(bent_file.parent)
    train(tmp_path / "run", "data=iris", "imports=[bent.py]", "activation=bent_identity")
    ckpt = tmp_path / "run" / "checkpoints" / "best.ckpt"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    x = np.random.default_rng(0).normal(5, 1, (6, 4)).astype(np.float32)
    np.savez(elsewhere / "x.npz", X=x)
    expected = predict(load_model(ckpt), x)

    found = run_cli("nn-predict", str(ckpt), "x.npz", cwd=elsewhere)  # from the record
    assert found.returncode == 0 and found.stderr.count("warning") == 0, found.stderr
    assert [line.split(",")[1] for line in found.stdout.splitlines()[1:]] == expected

    moved = tmp_path / "plugins" / "bent.py"
    moved.parent.mkdir()
    shutil.move(bent_file, moved)
    lost = run_cli("nn-predict", str(ckpt), "x.npz", cwd=elsewhere)
    assert lost.returncode == 2 and "Traceback" not in lost.stderr
    assert "imports=[bent.py]" in lost.stderr and "not found" in lost.stderr
    assert "--imports" in lost.stderr
    given = run_cli("nn-predict", str(ckpt), "x.npz", "--imports", str(moved), cwd=elsewhere)
    assert given.returncode == 0 and given.stdout == found.stdout, given.stderr

    moved.write_text(moved.read_text() + "\n# edited\n")
    changed = run_cli("nn-predict", str(ckpt), "x.npz", "--imports", str(moved), cwd=elsewhere)
    assert changed.returncode == 0 and changed.stdout == found.stdout
    warned = [line for line in changed.stderr.splitlines() if "warning" in line]
    assert len(warned) == 1 and "plugin source" in warned[0] and "changed since" in warned[0]
    script = (
        "import warnings; from framework import load_model; "
        "from framework.contract.provenance import PluginSourceChanged; "
        f"warnings.simplefilter('error', PluginSourceChanged); load_model({str(ckpt)!r}, "
        f"imports=[{str(moved)!r}])"
    )
    api = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, capture_output=True)
    assert api.returncode == 1 and b"PluginSourceChanged" in api.stderr


@pytest.mark.slow
def test_checkpoint_from_before_this_change(runs: Path, tmp_path: Path) -> None:
    """Without stored preprocessing: load_model warns in one line (the model takes standardised
    inputs, as before); nn-predict and nn-export refuse in one paragraph."""
    run = runs / "iris"
    if not run.exists():
        train(run, "data=iris")
    ckpt = torch.load(run / "checkpoints" / "best.ckpt", weights_only=True)
    for key in ("preprocessing", "plugin_sources"):
        del ckpt["hyper_parameters"][key]
    old = tmp_path / "old.ckpt"
    torch.save(ckpt, old)
    with pytest.warns(LegacyCheckpoint, match="standardised as in training"):
        model = load_model(old)
    x, _ = raw_test_split(run)
    standardised = (x - x.mean(0)) / x.std(0)
    assert model.scores(standardised).shape == (len(x), 3)
    np.savez(tmp_path / "x.npz", X=x)
    for cmd in (
        ("nn-predict", str(old), "x.npz"),
        ("nn-export", str(old), "--format", "exported", "-o", "m.pt2"),
    ):
        result = run_cli(*cmd, cwd=tmp_path)
        assert result.returncode == 2 and "before checkpoints carried" in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "m.pt2").exists()
