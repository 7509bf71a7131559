"""Adding an activation, loss or layer: the three ways in (a file, a module on the path, an
installed package's entry point), and the author's commands: `nn-plugins list` with the check
status, `check`'s failure messages, `bench`, `new`.

The file way is run end to end by tests/test_docs_guide.py (`nn-train -m activation=relu,my_act
imports=[my_act.py]`, a file loss and layer) and tests/test_train.py; DDP workers importing the
same files by tests/test_ddp.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import BIN, run_cli
from omegaconf import OmegaConf

from framework import ACTIVATIONS, LAYERS, LOSSES
from framework.cli.scaffold import ScaffoldError, render, write_plugin
from framework.contract.discovery import import_plugins
from framework.front_door.plugin_catalog import build_catalog, module_file
from framework.verification.checking import check_plugin

REGISTRY = {"activation": ACTIVATIONS, "loss": LOSSES, "layer": LAYERS}

SWISH = '''\
import torch

from framework import ActivationFunction, register_activation


@register_activation("{name}")
class Swish(ActivationFunction):
    """x * sigmoid(beta * x)"""

    check_variants = ({{}}, {{"beta": 2.0}})

    @staticmethod
    def forward(x, beta=1.0):
        return x * torch.sigmoid(beta * x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, beta = inputs
        ctx.save_for_backward(x)
        ctx.beta = beta

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(ctx.beta * x)
        return grad_output * s * (1 + ctx.beta * x * (1 - s))
'''

SEQUENTIAL = "model.layers=[{{layer:{layer},out_features:16}},act]"


def _unregister(kind: str, name: str) -> None:
    if name in REGISTRY[kind]:
        REGISTRY[kind].unregister(name)


# -- (b) a module on the path ---------------------------------------------------------------------
def test_module_on_the_path_trains_an_activation_a_loss_and_a_layer(tmp_path: Path) -> None:
    lab = tmp_path / "lib" / "mylab"
    lab.mkdir(parents=True)
    (lab / "__init__.py").write_text("")
    (lab / "activations.py").write_text(SWISH.format(name="my_act"))
    (lab / "losses.py").write_text(render("loss", "my_loss"))
    (lab / "layers.py").write_text(render("layer", "my_layer"))
    result = run_cli(
        "nn-train",
        "imports=[mylab.activations,mylab.losses,mylab.layers]",
        "activation=my_act",
        "activation.beta=2",
        "loss=my_loss",
        "loss.scale=2",
        "model=sequential",
        SEQUENTIAL.format(layer="my_layer"),
        "trainer.max_epochs=1",
        "hydra.run.dir=run",
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "lib")},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    cfg = OmegaConf.load(tmp_path / "run" / ".hydra" / "config.yaml")
    assert OmegaConf.to_container(cfg.activation) == {"name": "my_act", "beta": 2.0}
    assert OmegaConf.to_container(cfg.loss) == {"name": "my_loss", "scale": 2, "reduction": "mean"}
    assert cfg.model.layers[0].layer == "my_layer"
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=False)
    weights = {k: tuple(v.shape) for k, v in state["state_dict"].items() if ".0." in k}
    # my_layer's learnable tensors, created by its init with in_features inferred (64 pixels)
    assert sorted(weights.values()) == [(16,), (16, 64)], weights


# -- (c) an installed package with an entry point -----------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two installed packages, as pip leaves them (package + *.dist-info): `lab-plugins`, whose
    entry point is a package importing its plugin modules, and `broken-plugins`, which fails."""
    root = tmp_path_factory.mktemp("site")
    pkg = root / "lab_plugins"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from . import acts, layers, losses  # noqa: F401\n")
    (pkg / "acts.py").write_text(SWISH.format(name="pkg_act"))
    (pkg / "losses.py").write_text(render("loss", "pkg_loss"))
    (pkg / "layers.py").write_text(render("layer", "pkg_layer"))
    broken = root / "broken_plugins"
    broken.mkdir()
    (broken / "__init__.py").write_text("raise RuntimeError('broken on purpose')\n")
    (broken / "acts.py").write_text("")
    for dist, entry in (
        ("lab_plugins", "lab = lab_plugins"),
        ("broken_plugins", "broken = broken_plugins.acts"),
    ):
        info = root / f"{dist}-1.0.dist-info"
        info.mkdir()
        name = dist.replace("_", "-")
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[framework.plugins]\n{entry}\n")
    return root


def test_catalog_indexes_packages_without_importing_them(site: Path, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(site))
    assert module_file("lab_plugins.acts") == site / "lab_plugins" / "acts.py"
    assert module_file("broken_plugins.acts") == site / "broken_plugins" / "acts.py"
    assert module_file("lab_plugins.no_such") is None
    catalog = build_catalog()  # must not run broken_plugins/__init__.py
    for kind, name in (("activation", "pkg_act"), ("loss", "pkg_loss"), ("layer", "pkg_layer")):
        info = catalog.get(kind, name)
        assert info is not None, name  # found through `from . import ...` in __init__
        assert info.origin == "package:lab-plugins"
    assert catalog.get("activation", "pkg_act").params == {"beta": 1.0}
    from framework.contract.signature import REQUIRED

    assert catalog.get("layer", "pkg_layer").params == {
        "in_features": REQUIRED,
        "out_features": REQUIRED,
    }
    assert "lab_plugins" not in sys.modules and "broken_plugins" not in sys.modules


def test_entry_point_package_everywhere_without_imports(site: Path, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(site), "NN_PLUGINS_CACHE": str(tmp_path / "checks.json")}
    listed = run_cli("nn-plugins", "list", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    for name, params in (
        ("pkg_act", "beta=1.0"),
        ("pkg_loss", "scale=1.0"),
        ("pkg_layer", "in_features, out_features"),
    ):
        row = next(line for line in listed.stdout.splitlines() if f" {name} " in line)
        assert params in row and "package:lab-plugins" in row and "never" in row, row
    out = " ".join(listed.stdout.split())
    assert (
        "failed to load package:broken-plugins (entry point broken = broken_plugins.acts): "
        "RuntimeError: broken on purpose" in out
    )
    assert "relu" in out  # the others are still there

    helped = run_cli("nn-train", "--help", cwd=tmp_path, env=env)
    assert helped.returncode == 0, helped.stderr
    groups: dict[str, str] = {}  # the "== Configuration groups ==" lines come first
    for line in helped.stdout.splitlines():
        groups.setdefault(line.split(":")[0], line)
    assert "pkg_act" in groups["activation"] and "pkg_loss" in groups["loss"]

    wrong = run_cli("nn-train", "activation=pkg_act", "activation.betta=2", cwd=tmp_path, env=env)
    assert wrong.returncode == 2
    assert "Did you mean activation.beta?" in wrong.stderr

    trained = run_cli(
        "nn-train",
        "activation=pkg_act",
        "loss=pkg_loss",
        "loss.scale=2",
        "model=sequential",
        SEQUENTIAL.format(layer="pkg_layer"),
        "trainer.max_epochs=1",
        "hydra.run.dir=run",
        cwd=tmp_path,
        env=env,
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert (tmp_path / "run" / "checkpoints" / "last.ckpt").is_file()
    err = " ".join(trained.stderr.split())
    assert "plugin package 'broken-plugins'" in err and "broken on purpose" in err


# -- nn-plugins new -------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["activation", "loss", "layer"])
def test_new_plugin_passes_check_as_written(kind: str, tmp_path: Path) -> None:
    name = f"new_{kind}_tpl"
    path = write_plugin(kind, name, tmp_path)
    assert path == tmp_path / f"{name}.py"
    source = path.read_text()
    assert "TODO" in source and ".. math::" in source
    for method in ("def forward", "def setup_context", "def backward"):
        assert method in source
    import_plugins(str(path))
    try:
        reports = check_plugin(kind, name)
        for report in reports:
            assert report.passed, [f"{r.check}: {r.detail}" for r in report.failures]
        if kind == "loss":
            assert [r.params for r in reports] == [
                {},
                {"scale": 2.0},
                {"reduction": "sum"},
                {"reduction": "none"},
            ]
        if kind == "layer":
            module = LAYERS.build(name, in_features=5, out_features=3)
            assert [n for n, _ in module.named_parameters()] == ["weight", "bias"]
    finally:
        _unregister(kind, name)


def test_new_writes_lint_clean_files_and_refuses_to_overwrite(tmp_path: Path) -> None:
    made = run_cli("nn-plugins", "new", "activation", "my_act", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "nn-plugins --imports my_act.py check my_act" in made.stdout
    assert "nn-train imports=[my_act.py] activation=my_act" in made.stdout
    before = (tmp_path / "my_act.py").read_text()

    again = run_cli("nn-plugins", "new", "loss", "my_act", cwd=tmp_path)
    assert again.returncode == 2
    assert "my_act.py already exists; nothing was written" in again.stderr
    assert (tmp_path / "my_act.py").read_text() == before

    bad = run_cli("nn-plugins", "new", "loss", "2fast", cwd=tmp_path)
    assert bad.returncode == 2 and "'2fast' is not a valid plugin name" in bad.stderr
    taken = run_cli("nn-plugins", "new", "activation", "relu", cwd=tmp_path)
    assert taken.returncode == 2 and "already is an activation called 'relu'" in taken.stderr
    assert not (tmp_path / "relu.py").exists()

    layer = run_cli("nn-plugins", "new", "layer", "my_layer", "--dir", "sub/dir", cwd=tmp_path)
    assert layer.returncode == 0, layer.stderr
    assert "model=sequential" in layer.stdout
    write_plugin("loss", "my_loss", tmp_path)
    lint = subprocess.run(
        [
            str(BIN / "ruff"),
            "check",
            "--no-cache",
            "--isolated",
            "--select",
            "E,F,W,B",
            "--line-length",
            "100",
            "my_act.py",
            "my_loss.py",
            "sub/dir/my_layer.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout


def test_scaffold_rejects_bad_names(tmp_path: Path) -> None:
    for name in ("class", "my-act", "", "1x"):
        with pytest.raises(ScaffoldError, match="not a valid plugin name"):
            write_plugin("activation", name, tmp_path)
    with pytest.raises(ScaffoldError, match="already is a loss called 'mse'"):
        write_plugin("loss", "mse", tmp_path, taken=["mse"])
    assert list(tmp_path.iterdir()) == []


# -- nn-plugins check: every failure names where ------------------------------------------------
BAD = """\
import torch
import torch.nn.functional as F

from framework import ActivationFunction, register_activation


class _SavesX(ActivationFunction):
    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])


@register_activation("au_good")
class Good(_SavesX):
    @staticmethod
    def forward(x):
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 2 * x


@register_activation("au_wrong")
class WrongDerivative(_SavesX):
    @staticmethod
    def forward(x):
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.where(x > 1, 2 * x, x)  # wrong for x <= 1


@register_activation("au_shape")
class WrongShape(_SavesX):
    @staticmethod
    def forward(x):
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return (grad_output * 2 * x).sum(0)


@register_activation("au_dtype")
class WrongDtype(_SavesX):
    @staticmethod
    def forward(x):
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return (grad_output * 2 * x).float()


@register_activation("au_overflow")
class Overflow(_SavesX):
    reference = staticmethod(F.softplus)

    @staticmethod
    def forward(x):
        return torch.log(1 + torch.exp(x))  # inf for large x, where softplus is finite

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x)


@register_activation("au_detached")
class Detached(_SavesX):
    @staticmethod
    def forward(x):
        return x * x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * (x * x).detach()  # right, but not differentiable


@register_activation("au_raises")
class Raises(_SavesX):
    @staticmethod
    def forward(x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad_output):
        raise ValueError("oops in backward")


@register_activation("au_float32")
class Float32(_SavesX):
    @staticmethod
    def forward(x):
        return torch.exp(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        y = torch.exp(x)
        if x.dtype == torch.float32:  # right in float64, off in float32
            y = y.bfloat16().float()
        return grad_output * y
"""
BAD_NAMES = [
    "au_good",
    "au_wrong",
    "au_shape",
    "au_dtype",
    "au_overflow",
    "au_detached",
    "au_raises",
    "au_float32",
]


@pytest.fixture(scope="module")
def bad_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bad") / "bad.py"
    path.write_text(BAD)
    return path


@pytest.fixture(scope="module")
def bad_plugins(bad_file: Path):
    import_plugins(str(bad_file))
    yield bad_file
    for name in BAD_NAMES:
        _unregister("activation", name)


def _failures(name: str) -> dict[str, str]:
    (report,) = check_plugin("activation", name)
    return {r.check: r.detail for r in report.failures}


NUM = r"-?[\d.]+(?:e[-+]?\d+)?"


def test_check_passes_a_right_plugin(bad_plugins: Path) -> None:
    assert _failures("au_good") == {}


def test_wrong_derivative_names_input_element_values_and_range(bad_plugins: Path) -> None:
    failures = _failures("au_wrong")
    assert re.fullmatch(
        rf"gradient w\.r\.t\. x is wrong: worst at index \(\d+, \d+\) where x = {NUM}: "
        rf"analytic {NUM}, numeric {NUM}; the derivative is wrong for x in \[-6, -0\.01\] ∪ "
        rf"\[0\.01, 1\]",
        failures["gradcheck"],
    ), failures["gradcheck"]
    for dtype in ("float64", "float32", "bfloat16"):
        assert re.search(
            rf"gradient w\.r\.t\. x: worst at index \(\d+, \d+\) \(x = {NUM}\): plugin {NUM}, "
            rf"expected {NUM} \(reference: autograd through forward, torch\.{dtype}\)",
            failures[f"reference {dtype}"],
        )


def test_wrong_shape_names_the_tensor_and_both_shapes(bad_plugins: Path) -> None:
    failures = _failures("au_shape")
    assert failures["gradient types"] == (
        "for x of shape (4, 5), backward returned a gradient of shape (5,); the gradient must "
        "have its tensor's shape"
    )
    assert "got [5] but expected shape compatible with [4, 5]" in failures["gradcheck"]


def test_wrong_dtype_is_caught_before_autograd_casts_it(bad_plugins: Path) -> None:
    failures = _failures("au_dtype")
    assert failures["gradient types"].startswith(
        "for x of dtype torch.float64, backward returned a gradient of dtype torch.float32; "
        "return it in the input's dtype"
    )


def test_forward_not_finite_where_the_reference_is(bad_plugins: Path) -> None:
    failures = _failures("au_overflow")
    assert list(failures) == ["edge inputs"]
    assert re.search(
        r"±1e3: output: not finite at index \(\d+, \d+\) where the reference is finite "
        r"\(inf vs 1000\) \(x = 1000\) \(reference: native softplus, torch\.float64\)",
        failures["edge inputs"],
    ), failures["edge inputs"]


def test_gradgradcheck_failure_names_second_derivative(bad_plugins: Path) -> None:
    failures = _failures("au_detached")
    assert list(failures) == ["gradgradcheck"]
    assert re.match(
        rf"the derivative of the backward w\.r\.t\. x \(second order\) is wrong: worst at index "
        rf"\(\d+, \d+\) where x = {NUM}: analytic 0, numeric {NUM}; the second derivative is "
        rf"wrong for x in \[-6, -0\.01\] ∪ \[0\.01, 6\]; backward must be differentiable",
        failures["gradgradcheck"],
    ), failures["gradgradcheck"]


def test_raise_inside_backward_names_file_and_line(bad_plugins: Path) -> None:
    failures = _failures("au_raises")
    line = BAD.splitlines().index('        raise ValueError("oops in backward")') + 1
    expected = (
        f"raised ValueError: oops in backward (at {bad_plugins}:{line} in backward: "
        f'raise ValueError("oops in backward"))'
    )
    assert failures["gradcheck"] == expected
    assert failures["reference float64"] == expected


def test_float32_agreement(bad_plugins: Path) -> None:
    failures = _failures("au_float32")
    assert list(failures) == ["reference float32"]
    assert re.fullmatch(
        rf"gradient w\.r\.t\. x: worst at index \(\d+, \d+\) \(x = {NUM}\): plugin {NUM}, "
        rf"expected {NUM} \(reference: autograd through forward, torch\.float32\)",
        failures["reference float32"],
    )


# -- the check cache, nn-plugins list and check on the command line -----------------------------
def test_cli_check_exit_code_cache_and_list_status(bad_file: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "checks.json"
    env = {"NN_PLUGINS_CACHE": str(cache)}
    good = tmp_path / "good.py"
    good.write_text(SWISH.format(name="au_swish"))
    imports = ["--imports", str(bad_file), "--imports", str(good)]

    checked = run_cli(
        "nn-plugins", *imports, "check", "au_swish", "au_raises", cwd=tmp_path, env=env
    )
    assert checked.returncode == 1
    lines = checked.stdout.splitlines()
    assert "PASS activation au_swish" in lines and "PASS activation au_swish {'beta': 2.0}" in lines
    assert "FAIL activation au_raises" in lines
    # one crash fails every check: reported once, naming them all
    assert any(
        line.startswith("    gradient types, gradcheck, gradgradcheck, reference float64")
        and "raised ValueError: oops in backward (at " in line
        for line in lines
    ), checked.stdout
    assert lines[-1] == "1 passed, 1 failed"
    records = json.loads(cache.read_text())["checks"]
    assert {k.rsplit(":", 1)[0]: v["passed"] for k, v in records.items()} == {
        "activation:au_swish": True,
        "activation:au_raises": False,
    }

    good.write_text(good.read_text() + "\n# edited\n")
    listed = run_cli(
        "nn-plugins", *imports, "list", "--kind", "activation", "--json", cwd=tmp_path, env=env
    )
    assert listed.returncode == 0, listed.stderr
    status = {p["name"]: p["check"] for p in json.loads(listed.stdout)["plugins"]}
    assert status["au_raises"] == "FAILED"
    assert status["au_swish"] == "stale"  # its source changed since the check
    assert status["relu"] == "never"
    assert status["au_good"] == "never"


def test_cache_survives_corruption_and_unwritable_places(tmp_path: Path, monkeypatch, capsys):
    from framework.cli import plugins

    relu = ACTIVATIONS.get("relu")
    monkeypatch.setenv("NN_PLUGINS_CACHE", str(tmp_path / "checks.json"))
    (tmp_path / "checks.json").write_text("{not json")
    assert plugins.read_cache() == {}
    plugins.record_checks([("activation", "relu", relu, True)])
    assert plugins.check_status(plugins.read_cache(), "activation", "relu", relu) == "passed"
    plugins.record_checks([("activation", "relu", relu, False)])  # replaces, does not add
    assert len(plugins.read_cache()) == 1
    assert plugins.check_status(plugins.read_cache(), "activation", "relu", relu) == "FAILED"

    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("NN_PLUGINS_CACHE", str(blocker / "checks.json"))
    plugins.record_checks([("activation", "relu", relu, True)])  # warns, does not raise
    assert "could not save check results" in capsys.readouterr().err

    monkeypatch.delenv("NN_PLUGINS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert plugins.cache_path() == tmp_path / "xdg" / "nn-plugins" / "checks.json"


# -- nn-plugins bench -----------------------------------------------------------------------------
def test_saved_tensor_bytes_counts_each_storage_once() -> None:
    from framework.verification.timing import saved_tensor_bytes

    x = torch.randn(1000, requires_grad=True)
    assert saved_tensor_bytes(lambda: x * x) == 4000  # x saved twice
    assert saved_tensor_bytes(lambda: x[:500] * x[500:]) == 4000  # two views of one storage
    assert saved_tensor_bytes(lambda: torch.exp(x)) == 4000  # the output
    assert saved_tensor_bytes(lambda: x * 2) == 0
    assert saved_tensor_bytes(lambda: x.detach() * x.detach()) == 0


def test_median_times_alternates_the_steps() -> None:
    from framework.verification.timing import median_times

    order: list[str] = []
    steps = {"a": lambda: order.append("a"), "b": lambda: order.append("b")}
    times = median_times(steps, repeats=4, warmup=0)
    assert order == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert set(times) == {"a", "b"} and all(t >= 0 for t in times.values())


@pytest.mark.parametrize(
    ("kind", "name", "shapes", "saved"),
    [
        ("activation", "relu", [(10, 1000)], 40_000),  # relu saves its output
        ("loss", "mse", [(10, 1000), (10, 1000)], 80_000),  # input and target
        ("layer", "linear", [(3333, 3)], 3333 * 3 * 4 + 2 * 3 * 4),  # x and the weight
    ],
)
def test_bench_plugin_against_its_reference(kind, name, shapes, saved) -> None:
    from framework.verification.timing import bench_plugin

    b = bench_plugin(kind, name, size=10_000, repeats=3)
    assert b.shapes == shapes
    assert b.reference.startswith("native ")
    assert b.plugin_seconds > 0 and b.reference_seconds > 0
    assert b.plugin_bytes == saved
    assert b.reference_bytes > 0
    assert b.bytes_ratio == pytest.approx(b.plugin_bytes / b.reference_bytes)


def test_cli_bench_prints_a_table(tmp_path: Path) -> None:
    good = tmp_path / "good.py"
    good.write_text(SWISH.format(name="au_swish"))
    result = run_cli(
        "nn-plugins",
        "--imports",
        str(good),
        "bench",
        "au_swish",
        "relu",
        "--size",
        "20000",
        "--repeats",
        "3",
        "--device",
        "cpu",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "20,000 elements, float32, cpu" in out and "plugin/reference" in out
    swish = next(line for line in out.splitlines() if "au_swish" in line)
    assert "autograd through forward" in swish and "20×1000" in swish
    assert re.search(r"\d+\.\d\d×.*\d+\.\d\d×", swish)  # the time and bytes ratios
    relu = next(line for line in out.splitlines() if " relu " in line)
    assert "native " in relu and "78.1 KiB" in relu  # the reference is named, whichever it is
    bad = run_cli("nn-plugins", "bench", "no_such_act", cwd=tmp_path)
    assert bad.returncode == 2 and "Unknown plugin 'no_such_act'" in bad.stderr
