"""Plugins and experiments as Hydra options: YAML files in a cached directory, on Hydra's search
path through nn-train's SearchPathPlugin (framework/front_door/config_nodes.py,
hydra_plugins/nn_train_options)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT
from omegaconf import OmegaConf

from framework.contract.signature import REQUIRED
from framework.front_door import config_nodes
from framework.front_door.plugin_catalog import build_catalog

TYPED = """
import torch
from framework import ActivationFunction, register_activation

@register_activation("typed_act")
class Typed(ActivationFunction):
    @staticmethod
    def forward(x, b: float = 4.0, mode: str = "1e-3", word: str = "yes", flag: bool = True,
                k: int = 3, nothing=None):
        return x

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output
"""


@pytest.fixture
def typed_file(tmp_path: Path) -> Path:
    path = tmp_path / "typed.py"
    path.write_text(TYPED)
    return path


def test_every_option_file_reads_back_as_the_catalog_says(typed_file: Path) -> None:
    catalog = build_catalog([str(typed_file)])
    files = config_nodes.node_files(catalog)
    for kind in config_nodes.PLUGIN_GROUPS:
        for name in catalog.names(kind):
            info = catalog.get(kind, name)
            expected = {k: ("???" if v is REQUIRED else v) for k, v in info.params.items()}
            loaded = OmegaConf.create(files[f"{kind}/{name}.yaml"])
            assert OmegaConf.to_container(loaded) == {"name": name, **expected}, (kind, name)
    typed = OmegaConf.create(files["activation/typed_act.yaml"])
    # strings that look like a number or a bool stay strings
    assert typed.mode == "1e-3" and typed.word == "yes" and typed.flag is True
    assert OmegaConf.create(files["loss/auto.yaml"]) == {"name": "auto"}
    experiments = {f for f in files if f.startswith("experiment/")}
    assert {"experiment/xor.yaml", "experiment/digits_mlp.yaml"} <= experiments
    assert all(files[f].lstrip().startswith("# @package _global_") for f in experiments)


def test_directory_is_named_by_content_and_reused(
    tmp_path: Path, typed_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    builtin = build_catalog()
    first = config_nodes.write_nodes(builtin)
    assert first.is_relative_to(tmp_path / "cache")
    assert (first / "activation" / "relu.yaml").is_file()
    assert config_nodes.write_nodes(builtin) == first
    with_user = config_nodes.write_nodes(build_catalog([str(typed_file)]))
    assert with_user != first and (with_user / "activation" / "typed_act.yaml").is_file()
    assert not (first / "activation" / "typed_act.yaml").exists()
    assert not list(first.parent.glob(".writing-*"))  # no staging directory left behind


def test_directories_unused_for_a_month_are_removed_when_a_new_one_is_written(
    tmp_path: Path, typed_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    builtin = config_nodes.write_nodes(build_catalog())
    stale = builtin.parent / "0123456789abcdef0123"
    recent = builtin.parent / "fedcba9876543210fedc"
    stale.mkdir()
    recent.mkdir()
    month_ago = time.time() - (config_nodes.UNUSED_DAYS + 1) * 86400
    for old in (stale, builtin):
        os.utime(old, (month_ago, month_ago))
    assert config_nodes.write_nodes(build_catalog()) == builtin  # reused: marked as used
    config_nodes.write_nodes(build_catalog([str(typed_file)]))  # new: prunes its siblings
    assert builtin.is_dir() and recent.is_dir() and not stale.exists()


def test_unwritable_cache_falls_back_to_a_temporary_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    directory = config_nodes.write_nodes(build_catalog())
    assert directory.is_relative_to(tmp_path / "tmp")
    assert (directory / "loss" / "auto.yaml").is_file()


def test_search_path_plugin_adds_the_active_directory_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hydra._internal.config_search_path_impl import ConfigSearchPathImpl
    from hydra.core.plugins import Plugins
    from hydra.plugins.search_path_plugin import SearchPathPlugin

    from hydra_plugins.nn_train_options.nn_train_options import NnTrainOptionsSearchPathPlugin

    discovered = {
        f"{c.__module__}.{c.__name__}" for c in Plugins.instance().discover(SearchPathPlugin)
    }
    assert "hydra_plugins.nn_train_options.nn_train_options.NnTrainOptionsSearchPathPlugin" in (
        discovered
    )
    monkeypatch.setitem(config_nodes._active, "directory", None)
    untouched = ConfigSearchPathImpl()
    NnTrainOptionsSearchPathPlugin().manipulate_search_path(untouched)
    assert untouched.get_path() == []
    monkeypatch.setitem(config_nodes._active, "directory", tmp_path)
    search_path = ConfigSearchPathImpl()
    NnTrainOptionsSearchPathPlugin().manipulate_search_path(search_path)
    assert [(p.provider, p.path) for p in search_path.get_path()] == [
        ("nn-train", tmp_path.as_uri())
    ]


def test_bare_hydra_app_gets_no_nn_train_options(tmp_path: Path) -> None:
    """In another Hydra application (nn-train not running in it) the plugin adds nothing."""
    (tmp_path / "app.py").write_text(
        "import hydra\n"
        "@hydra.main(version_base='1.3', config_path=None, config_name=None)\n"
        "def main(cfg):\n    pass\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "app.py", "--info", "searchpath"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "pkg://hydra.conf" in result.stdout and "nn-train" not in result.stdout


def test_help_time_benchmark_reports_both_figures_and_the_ratio() -> None:
    """Issue 14's --help target is measured by benchmarks/help_time.py (ratio against a bare
    Hydra app measured in the same run), not by a timed test: check the report's structure."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "help_time.py"), "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.match(r"nn-train --help\s+median \d+\.\d+ s", lines[0]), lines
    assert re.match(r"bare Hydra app --help\s+median \d+\.\d+ s", lines[1]), lines
    assert re.match(r"ratio\s+\d+\.\d+x$", lines[2]), lines
