"""Bad input: one paragraph naming the bad value and what is valid, non-zero exit, no traceback,
reported before torch is imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli


def _nn_train_imports(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, str]:
    """Run nn-train under -X importtime: stderr also lists every module imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "framework.cli.train", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["activation=rleu"], ["Unknown activation 'rleu'", "Did you mean 'relu'", "tanh"]),
        (["loss=mse2"], ["Unknown loss 'mse2'", "Did you mean 'mse'"]),
        (["data=digitz"], ["Unknown data 'digitz'", "Did you mean 'digits'", "xor"]),
        (["optimizer=adamm"], ["Unknown optimizer 'adamm'", "'adam'", "sgd"]),
        (
            ["activation=leaky_relu", "activation.negative_slop=0.1"],
            ["has no parameter 'negative_slop'", "Did you mean activation.negative_slope"],
        ),
        (["optimizer.lr=abc"], ["optimizer.lr='abc' must be a positive number"]),
        (["optimizer.lr=-1"], ["optimizer.lr=-1 must be a positive number"]),
        (["model.hidden=[64,0]"], ["model.hidden=[64, 0] must be a list of positive"]),
        (["monitor=val/acuracy"], ["monitor='val/acuracy' is not a metric", "val/acc"]),
        (["imports=[nope.py]"], ["the plugin file 'nope.py' does not exist"]),
        (["imports=[no_such_mod_xyz]"], ["no module named 'no_such_mod_xyz'"]),
        (["experiment=xorr"], ["Unknown experiment 'xorr'", "Did you mean 'xor'"]),
        (
            ["model=sequential", "model.layers=[{layer:linear,out_feature:8}]"],
            [
                "model.layers[0]: layer 'linear' has no parameter 'out_feature'",
                "Did you mean out_features?",
            ],
        ),
        (
            ["model=sequential", "model.layers=[{layer:lineer}]"],
            ["model.layers[0]: Unknown layer 'lineer'", "Did you mean 'linear'"],
        ),
        (["model=rnn", "model.cell=lstn"], ["model.cell='lstn' is not valid", "lstm"]),
        (["model=convnet", "model.channels=[8,-1]"], ["model.channels=[8, -1] must be"]),
        (["model.compact=maybe"], ["model.compact='maybe' must be true or false"]),
    ],
)
def test_bad_input_is_one_paragraph_before_torch(
    tmp_path: Path, args: list[str], expected: list[str]
) -> None:
    result, imports = _nn_train_imports(tmp_path, *args)
    assert result.returncode == 2, result.stderr[-2000:]
    message = [ln for ln in result.stderr.splitlines() if not ln.startswith("import time:")]
    text = "\n".join(message)
    assert "Traceback" not in text
    assert len(message) == 1 and message[0].startswith("nn-train: error:"), text
    for piece in expected:
        assert piece in text
    imported = {ln.split("|")[-1].strip() for ln in imports.splitlines() if "|" in ln}
    assert "torch" not in imported and "lightning" not in imported
    assert not (tmp_path / "outputs").exists() or not any((tmp_path / "outputs").rglob("*.ckpt"))


def test_help_lists_groups_and_user_plugins_without_torch(tmp_path: Path, bent_file) -> None:
    fake = tmp_path / "fake"
    (fake / "torch").mkdir(parents=True)
    (fake / "torch" / "__init__.py").write_text("raise ImportError('torch must not be imported')")
    result = run_cli(
        "nn-train", f"imports=[{bent_file}]", "--help", cwd=tmp_path, env={"PYTHONPATH": str(fake)}
    )
    assert result.returncode == 0, result.stderr[-2000:]
    section = result.stdout.split("== Configuration groups ==")[1].split("== Config ==")[0]
    groups = {
        line.split(":")[0]: line.split(":", 1)[1].replace(",", " ").split()
        for line in section.splitlines()
        if ":" in line
    }
    assert {"bent_identity", "relu", "tanh"} <= set(groups["activation"])
    assert {"auto", "cross_entropy", "mse"} <= set(groups["loss"])
    assert {"mlp", "convnet", "rnn", "sequential"} <= set(groups["model"])
    assert {"digits", "xor"} <= set(groups["data"])
    assert {"adam", "sgd"} <= set(groups["optimizer"])
    assert {"cpu", "gpu", "auto", "ddp"} <= set(groups["trainer"])
    assert {"xor", "digits_mlp"} <= set(groups["experiment"])


def test_unknown_checkpoint_path_is_reported(tmp_path: Path) -> None:
    result = run_cli("nn-train", "ckpt_path=missing.ckpt", cwd=tmp_path)
    assert result.returncode == 2
    assert "ckpt_path='missing.ckpt' does not exist" in result.stderr
    assert "Traceback" not in result.stderr
