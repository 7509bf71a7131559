"""The one gate (issue 14): every command-line mistake, in every config group, is one paragraph
naming the full dotted key, the bad value, what is valid and the closest match; exit code 2;
torch never imported; about a second of CPU; no run directory left behind."""

from __future__ import annotations

import inspect
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

SQUAREPLUS = '''
import torch
from framework import ActivationFunction, register_activation


@register_activation("squareplus")
class Squareplus(ActivationFunction):
    """(x + sqrt(x^2 + b)) / 2"""

    @staticmethod
    def forward(x, b: float = 4.0):
        return (x + torch.sqrt(x * x + b)) / 2

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])
        ctx.b = inputs[1]

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (1 + x / torch.sqrt(x * x + ctx.b)) / 2, None
'''

# (command line, pieces the paragraph must hold): at least one per config group
MISTAKES: list[tuple[list[str], list[str]]] = [
    # the table
    (["model.hiden=[32]"], ["model.hiden is not a key of model=mlp", "Did you mean model.hidden?"]),
    (["optimizer.learning_rate=0.1"], ["optimizer.learning_rate", "Did you mean optimizer.lr?"]),
    (
        ["optimizer=adam", "optimizer.momentum=0.9"],
        ["optimizer.momentum is not a key of torch.optim.Adam", "optimizer=sgd", "take momentum"],
    ),
    (["+optimiser.lr=0.01"], ["optimiser.lr is not a top-level key", "Did you mean optimizer.lr?"]),
    (
        ["imports=[{squareplus}]", "activation=squareplus", "activation.b=abc"],
        ["activation.b must be a number, got 'abc' (b: float = 4.0 in squareplus.py)"],
    ),
    (["seed=99999999999"], ["seed=99999999999 must be a whole number from 0 to 4294967295"]),
    (["trainer.max_epoch=5"], ["trainer.max_epoch is not an argument", "trainer.max_epochs?"]),
    # activation
    (["activation=rleu"], ["Unknown activation 'rleu'", "Did you mean 'relu'", "tanh"]),
    (
        ["activation=leaky_relu", "activation.negative_slop=0.1"],
        ["has no parameter 'negative_slop'", "Did you mean activation.negative_slope"],
    ),
    (
        ["activation=leaky_relu", "activation.negative_slope=abc"],
        ["activation.negative_slope must be a number, got 'abc'", "negative_slope"],
    ),
    (["-m", "activation=relu,rleu"], ["Unknown activation 'rleu'", "Did you mean 'relu'"]),
    # loss
    (["loss=mse2"], ["Unknown loss 'mse2'", "Did you mean 'mse'"]),
    (["loss=huber", "loss.delt=1"], ["no parameter 'delt'", "Did you mean loss.delta?"]),
    (
        ["loss=cross_entropy", "loss.label_smoothing=yes"],
        ["loss.label_smoothing must be a number, got 'yes'"],
    ),
    # model
    (["model=mlpp"], ["Unknown model 'mlpp'", "'mlp'"]),
    (["model.hidden=[64,0]"], ["model.hidden=[64, 0] must be a list of positive sizes"]),
    (["model.dropout=1.5"], ["model.dropout=1.5 must be a probability in [0, 1)"]),
    (["model.norm=batchnorm"], ["model.norm='batchnorm' is not valid", "batch_norm"]),
    (["model.compact=maybe"], ["model.compact='maybe' must be true or false"]),
    (["model.output_activation=sigmod"], ["Unknown activation 'sigmod'", "'sigmoid'"]),
    (["model=convnet", "model.kernel_size=0"], ["model.kernel_size=0 must be a positive whole"]),
    (["model=convnet", "model.chanels=[8]"], ["Did you mean model.channels?"]),
    (["model=rnn", "model.cell=lstn"], ["model.cell='lstn' is not valid", "lstm"]),
    (["model=rnn", "model.hidden_sise=8"], ["Did you mean model.hidden_size?"]),
    (
        ["model=sequential", "model.layers=[{layer:lineer}]"],
        ["model.layers[0]: Unknown layer 'lineer'", "Did you mean 'linear'"],
    ),
    (["-m", "model.hidden=[8],[0]"], ["model.hidden=[0] must be a list of positive sizes"]),
    # data
    (["data=digitz"], ["Unknown data 'digitz'", "Did you mean 'digits'", "xor"]),
    (["data.batchsize=8"], ["data.batchsize is not a key of data=digits", "data.batch_size?"]),
    (["data.batch_size=0"], ["data.batch_size=0 must be a positive whole number"]),
    (["data.val_fraction=1.5"], ["data.val_fraction=1.5 must be a fraction between 0 and 1"]),
    (["data=moons", "data.noise=-1"], ["data.noise=-1 must be a number >= 0"]),
    (["data=moons", "data.n_sample=10"], ["Did you mean data.n_samples?"]),
    (["data.as_images=maybe"], ["data.as_images must be true or false or null, got 'maybe'"]),
    (["data=csv"], ["data=csv reads your own file", "data.path=FILE"]),
    # optimizer and scheduler
    (["optimizer=adamm"], ["Unknown optimizer 'adamm'", "'adam'", "sgd"]),
    (["optimizer.lr=-1"], ["optimizer.lr=-1 must be a positive number"]),
    (["optimizer=sgd", "optimizer.nesterov=maybe"], ["optimizer.nesterov must be true or false"]),
    (["scheduler=cosin"], ["Unknown scheduler 'cosin'", "'cosine'"]),
    (["scheduler=step", "scheduler.step=3"], ["Did you mean scheduler.step_size?"]),
    # trainer
    (["trainer=cpuu"], ["Unknown trainer 'cpuu'", "'cpu'"]),
    (["trainer.max_epochs=abc"], ["trainer.max_epochs='abc' must be a whole number of epochs"]),
    (["trainer.num_nodes=two"], ["trainer.num_nodes must be a whole number, got 'two'"]),
    (["trainer.limit_val_batches=abc"], ["trainer.limit_val_batches must be a number or null"]),
    (["trainer.logger=false"], ["trainer.logger is set by nn-train", "logger=tensorboard|csv"]),
    # log, logger, callbacks, checkpoint
    (["log=verbose"], ["Unknown log 'verbose'"]),
    (["+log.histogram=true"], ["log.histogram is not a logging option", "log.histograms?"]),
    (["log.every_n_steps=0"], ["log.every_n_steps=0 must be a positive whole number"]),
    (["logger=tensorbord"], ["Unknown logger 'tensorbord'", "Did you mean 'tensorboard'"]),
    (
        ["logger=csv", "logger.csv.flush_logs_every_n_step=5"],
        ["Did you mean logger.csv.flush_logs_every_n_steps?"],
    ),
    (["callbacks.swa.swa_lrs=0.01"], ["callbacks.swa needs a _target_"]),
    (["checkpoint.every_n_train_step=5"], ["Did you mean checkpoint.every_n_train_steps?"]),
    (["checkpoint.every_n_train_steps=0"], ["must be a positive whole number (or null)"]),
    # top-level keys
    (["sed=1"], ["sed is not a top-level key", "Did you mean seed?"]),
    (["threshold=abc"], ["threshold='abc' must be a number (or null for none)"]),
    (["monitor=val/acuracy"], ["monitor='val/acuracy' is not a metric", "'val/acc'"]),
    (["imports=[nope.py]"], ["the plugin file 'nope.py' does not exist"]),
    (["ckpt_path=missing.ckpt"], ["ckpt_path='missing.ckpt' does not exist"]),
    (["overwrite=maybe"], ["overwrite='maybe' must be true or false"]),
    (["train=false"], ["train=false evaluates a checkpoint: give ckpt_path=PATH"]),
    # experiments, debug, hparams_search
    (["experiment=xorr"], ["Unknown experiment 'xorr'", "Did you mean 'xor'"]),
    (["debug=limt"], ["Unknown debug 'limt'", "'limit'"]),
    (["hparams_search=optuan"], ["Unknown hparams_search 'optuan'", "'optuna'"]),
    # a value Hydra's grammar reserves (a stock index column such as ^GSPC) is told to quote it
    (
        ["data=csv", "data.target=^GSPC"],
        ["cannot parse 'data.target=^GSPC'", "'data.target=\"^GSPC\"'"],
    ),
    (["model.hidden=[1,"], ["cannot parse 'model.hidden=[1,'", "no viable alternative"]),
]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.parametrize(("args", "expected"), MISTAKES, ids=[" ".join(a) for a, _ in MISTAKES])
def test_every_mistake_is_one_paragraph_before_torch(
    tmp_path: Path, args: list[str], expected: list[str]
) -> None:
    (tmp_path / "squareplus.py").write_text(SQUAREPLUS)
    args = [a.replace("{squareplus}", str(tmp_path / "squareplus.py")) for a in args]
    before = _children_cpu()
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "framework.cli.train", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    cpu = _children_cpu() - before
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.splitlines()
    message = [ln for ln in lines if not ln.startswith("import time:")]
    text = "\n".join(message)
    assert len(message) == 1 and message[0].startswith("nn-train: error:"), text
    assert "Traceback" not in text
    for piece in expected:
        assert piece in text, text
    imported = {ln.split("|")[-1].strip() for ln in lines if ln.startswith("import time:")}
    assert not {"torch", "lightning"} & imported
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "multirun").exists()
    # CPU seconds, not wall time: the machine running the tests may be busy with other work
    assert cpu < 1.5, f"{cpu:.2f} s of CPU (with -X importtime) for a one-paragraph mistake"


# -- a typo in any valid key is answered with that key --------------------------------------------
@pytest.fixture(scope="module")
def composed() -> tuple[dict[str, Any], Any]:
    from omegaconf import OmegaConf

    from framework.front_door.gate import compose
    from framework.front_door.overrides import register_config_nodes
    from framework.front_door.plugin_catalog import build_catalog

    catalog = build_catalog()
    register_config_nodes(catalog)
    config = OmegaConf.to_container(compose(["model=convnet", "logger=csv"]), resolve=False)
    return config, catalog


FREE_NAMES = ("logger", "callbacks")  # names chosen by the user: any name is valid there
STRUCTURAL = ("name", "_target_", "_partial_", "defaults")


def _leaves(node: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(node, dict) and node:
        return [leaf for k, v in node.items() for leaf in _leaves(v, (*prefix, str(k)))]
    return [prefix]


def _typo(word: str, how: int, at: int, letter: str) -> str:
    i = at % len(word)
    if how == 0:
        return word[:i] + word[i + 1 :]  # a letter dropped
    if how == 1:
        return word[:i] + letter + word[i:]  # a letter added
    if how == 2:
        return word[:i] + letter + word[i + 1 :]  # a letter changed
    j = min(i + 1, len(word) - 1)
    return word[:i] + word[j] + word[i] + word[j + 1 :] if j > i else word  # neighbours swapped


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pick=st.integers(0, 10_000),
    segment=st.integers(0, 5),
    how=st.integers(0, 3),
    at=st.integers(0, 40),
    letter=st.sampled_from("abcdefghijklmnopqrstuvwxyz_"),
)
def test_a_typo_in_a_valid_key_suggests_that_key(
    composed: tuple[dict[str, Any], Any], pick: int, segment: int, how: int, at: int, letter: str
) -> None:
    import copy

    from framework.front_door.validation import first_problem

    config, catalog = composed
    keys = [
        k for k in _leaves(config) if k and not set(k) & set(STRUCTURAL) and k[0] not in FREE_NAMES
    ]
    key = keys[pick % len(keys)]
    i = segment % len(key)
    bad = _typo(key[i], how, at, letter)
    assume(len(bad) > 1 and bad != key[i])
    parent: Any = config
    for part in key[:i]:
        parent = parent[part]
    assume(bad not in parent)  # the typo made another valid key
    # the one value moves from its key to the misspelt one (``model.hiden=[32]`` typed instead)
    broken = copy.deepcopy(config)
    node = broken
    for part in key[:-1]:
        node = node[part]
    value = node.pop(key[-1])
    node = broken
    for part in (*key[:i], bad, *key[i + 1 : -1]):
        node = node.setdefault(part, {})
    if i == len(key) - 1:
        parent_of_leaf = broken
        for part in key[:i]:
            parent_of_leaf = parent_of_leaf[part]
        parent_of_leaf[bad] = value
    else:
        node[key[-1]] = value
    message = first_problem(broken, catalog)
    assert message is not None
    dotted = ".".join(key)
    assert f"Did you mean {dotted}" in message or f"or {dotted}" in message, message


# -- Lightning's Trainer signature, read without importing Lightning ------------------------------
def test_trainer_signature_read_from_source_equals_inspect(tmp_path: Path, monkeypatch) -> None:
    from framework.front_door import class_signature as reader

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(reader._Cache, "_loaded", None)
    from_source = reader.class_signature("lightning.pytorch.Trainer")
    assert from_source is not None and not from_source.open
    cached = list((tmp_path / "nn-framework").glob("signatures-*.json"))
    assert cached, "the signature is cached per installed version"
    monkeypatch.setattr(reader._Cache, "_loaded", None)
    assert reader.class_signature("lightning.pytorch.Trainer") == from_source  # from the cache

    from lightning.pytorch import Trainer

    real = [p for p in inspect.signature(Trainer.__init__).parameters.values() if p.name != "self"]
    assert from_source.names() == [p.name for p in real]
    for ours, theirs in zip(from_source.params, real, strict=True):
        if theirs.default is inspect.Parameter.empty:
            assert ours.required, ours.name
        elif isinstance(theirs.default, int | float | str | bool | type(None)):
            assert ours.default == theirs.default, ours.name


def test_optimizer_signature_read_from_source_equals_inspect() -> None:
    import torch

    from framework.front_door.class_signature import class_signature

    for target, cls in (
        ("torch.optim.Adam", torch.optim.Adam),
        ("torch.optim.SGD", torch.optim.SGD),
    ):
        ours = class_signature(target)
        assert ours is not None
        real = list(inspect.signature(cls.__init__).parameters)[1:]
        assert ours.names() == real


# -- what passes the gate, and the rows of the issue that need a run ------------------------------
FAST = ["trainer.max_epochs=1", "log=minimal", "trainer.limit_train_batches=3"]


@pytest.mark.slow
def test_limits_that_leave_no_batch_become_one_batch(tmp_path: Path) -> None:
    result = run_cli("nn-train", "debug=limit", "data=iris", "trainer.max_epochs=1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    log = next((tmp_path / "outputs").rglob("train.log")).read_text()
    # iris's 23 validation rows are one evaluation batch (at least 1,024 examples)
    assert "limit_val_batches=0.2 of 1 batch(es) is less than one batch: using 1 batch" in log
    assert "limit_train_batches=0.2 of 7 batch(es) is less than one batch" not in log


@pytest.mark.slow
def test_monitor_train_loss_is_the_epoch_mean(tmp_path: Path) -> None:
    # any epoch mean is below 100: the threshold stops the run after its first epoch of three
    fast = ["log=minimal", "trainer.limit_train_batches=3", "trainer.max_epochs=3"]
    result = run_cli("nn-train", "threshold=100", "monitor=train/loss", *fast, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "after 1 epoch(s)" in result.stdout and "best train/loss_epoch" in result.stdout


@pytest.mark.slow
def test_convnet_takes_digits_as_images_without_a_switch(tmp_path: Path) -> None:
    result = run_cli("nn-train", "model=convnet", *FAST, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]


def test_image_data_feeds_a_convnet_images_and_an_mlp_vectors() -> None:
    from omegaconf import OmegaConf

    from framework.data import build_datamodule

    cfg = OmegaConf.load(Path(__file__).parents[1] / "conf" / "data" / "digits.yaml")
    assert cfg.as_images is None
    for model, shape in (("convnet", (1, 8, 8)), ("mlp", (64,))):
        dm = build_datamodule(cfg, 0, model)
        dm.setup("fit")
        assert tuple(dm.info.input_shape) == shape, model


def test_lightning_refusals_after_the_gate_are_one_paragraph(tmp_path: Path) -> None:
    # Lightning refuses a fractional val_check_interval above 1 only when it builds the loop
    result = run_cli("nn-train", "trainer.val_check_interval=1.5", *FAST, cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "Lightning refused the configuration" in result.stderr
