"""Registry behaviour: registration, duplicates, lookup errors, building, entry points."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
import torch

from framework import ACTIVATIONS, ActivationFunction, Registry, register_activation
from framework.contract.registry import DuplicatePluginError, PluginNotFoundError


def _square_plugin(name: str, **kw) -> type:
    @register_activation(name, **kw)
    class Square(ActivationFunction):
        @staticmethod
        def forward(x, scale=1.0):
            return scale * x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])
            ctx.scale = inputs[1]

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 2 * ctx.scale * x

    return Square


def test_contract_api() -> None:
    names = ACTIVATIONS.names()
    assert names == sorted(names)
    assert "relu" in ACTIVATIONS
    assert "no_such" not in ACTIVATIONS
    module = ACTIVATIONS.build("relu")
    assert isinstance(module, torch.nn.Module)
    assert torch.equal(module(torch.tensor([-1.0, 2.0])), torch.tensor([0.0, 2.0]))


def test_unknown_name_suggests_close_matches_and_lists_valid() -> None:
    with pytest.raises(KeyError) as info:
        ACTIVATIONS.build("rleu")
    assert isinstance(info.value, PluginNotFoundError)
    message = str(info.value)
    assert "'rleu'" in message and "Did you mean 'relu'" in message
    for name in ACTIVATIONS.names():
        assert name in message


def test_register_build_with_parameters_and_pad_grads() -> None:
    _square_plugin("square_test")
    try:
        module = ACTIVATIONS.build("square_test", scale=3.0)
        assert "scale=3.0" in repr(module)
        x = torch.tensor([2.0], requires_grad=True)
        module(x).backward()  # backward returned one gradient for two arguments: padded
        assert x.grad.item() == pytest.approx(12.0)
        with pytest.raises(TypeError, match=r"has no parameter 'scal'.*scale=1\.0"):
            ACTIVATIONS.build("square_test", scal=2)
    finally:
        ACTIVATIONS.unregister("square_test")


def test_duplicate_names_are_an_error_unless_override() -> None:
    _square_plugin("dup_test")
    try:
        with pytest.raises(DuplicatePluginError, match="already registered"):
            register_activation("dup_test")(
                type(ACTIVATIONS.get("relu")).__class__("Other", (ACTIVATIONS.get("relu"),), {})
            )
        with pytest.raises(DuplicatePluginError, match="'relu' is already registered"):
            _square_plugin("relu")
        _square_plugin("dup_test")  # the same class again (a re-run notebook cell) replaces it
        replaced = _square_plugin("dup_test", override=True)
        assert ACTIVATIONS.get("dup_test") is replaced
    finally:
        ACTIVATIONS.unregister("dup_test")


def test_aliases_and_base_class_enforced() -> None:
    assert ACTIVATIONS.get("linear") is ACTIVATIONS.get("identity")
    registry = Registry("activation", "ActivationFunction")
    with pytest.raises(TypeError, match="must be a class deriving from"):
        registry.register("x")(object)


def test_plugin_without_setup_context_is_rejected() -> None:
    with pytest.raises(TypeError, match="setup_context"):

        class Old(ActivationFunction):
            @staticmethod
            def forward(ctx, x):
                return x


def test_entry_point_plugins_load_lazily(tmp_path: Path, monkeypatch) -> None:
    """A package declaring group `framework.plugins`, through a *.dist-info on sys.path."""
    import framework.contract.discovery as discovery

    pkg = tmp_path / "ep_pkg_demo"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "acts.py").write_text(
        textwrap.dedent(
            """
            from framework import ActivationFunction, register_activation

            @register_activation("ep_double")
            class Double(ActivationFunction):
                @staticmethod
                def forward(x):
                    return 2 * x

                @staticmethod
                def setup_context(ctx, inputs, output):
                    pass

                @staticmethod
                def backward(ctx, grad_output):
                    return 2 * grad_output
            """
        )
    )
    (pkg / "broken.py").write_text("raise RuntimeError('this package is broken')\n")
    info = tmp_path / "ep_pkg_demo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-pkg-demo\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[framework.plugins]\ndemo = ep_pkg_demo.acts\nbroken = ep_pkg_demo.broken\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(discovery, "_loaded", False)
    monkeypatch.setattr(discovery, "load_errors", [])
    try:
        assert "ep_double" in ACTIVATIONS  # first lookup loads entry points
        assert ACTIVATIONS.entry("ep_double").origin == "package:ep-pkg-demo"
        assert [e.source for e in discovery.load_errors] == [
            "package:ep-pkg-demo (entry point broken = ep_pkg_demo.broken)"
        ]
        assert "this package is broken" in discovery.load_errors[0].message
    finally:
        ACTIVATIONS.unregister("ep_double")
        for mod in [m for m in sys.modules if m.startswith("ep_pkg_demo")]:
            del sys.modules[mod]


def test_import_plugins_errors_name_the_file(tmp_path: Path) -> None:
    from framework.contract.discovery import PluginImportError, import_plugins

    with pytest.raises(PluginImportError, match="does not exist"):
        import_plugins(str(tmp_path / "missing.py"))
    bad = tmp_path / "bad.py"
    bad.write_text("x = 1\nraise ValueError('boom')\n")
    with pytest.raises(PluginImportError, match=r"bad.py:2.*ValueError: boom"):
        import_plugins(str(bad))
    with pytest.raises(PluginImportError, match="no module named 'no_such_module_xyz'"):
        import_plugins("no_such_module_xyz")
