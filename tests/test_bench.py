"""``nn-bench --quick --json FILE``: the report runs end to end and its JSON has every section,
with positive finite ratios. No timing assertions: the figures depend on the machine."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _finite(value: object, positive: bool = True) -> bool:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return ok and (value > 0 if positive else value >= 0)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "framework.bench",
            "--quick",
            "--quiet",
            "--json",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Plugins on CPU" in result.stdout and "Training steps on CPU" in result.stdout
    assert not re.search("[\u2500-\u257f]", result.stdout)  # piped: plain text, no box
    assert "\x1b[" not in result.stdout  # and no colour codes
    return json.loads(out.read_text())


@pytest.mark.slow
def test_report_has_every_section(report: dict) -> None:
    sections = {"meta", "plugins", "plugin_summary", "models", "compile", "overhead", "network"}
    assert sections | {"cuda"} <= set(report)
    assert report["meta"]["quick"] is True
    if "skipped" not in report["cuda"]:  # a GPU: the same figures there
        assert report["cuda"]["plugins"] and report["cuda"]["models"]


@pytest.mark.slow
def test_every_builtin_plugin_with_a_reference_is_measured_at_each_size(report: dict) -> None:
    from framework import ACTIVATIONS, LAYERS, LOSSES

    expected = {
        (kind, e.name)
        for kind, registry in (("activation", ACTIVATIONS), ("loss", LOSSES), ("layer", LAYERS))
        for e in registry.entries()
        if e.cls.reference is not None and e.origin == "built-in"
    }
    sizes = report["meta"]["sizes"]
    seen = {(r["kind"], r["name"], r["size"]) for r in report["plugins"]}
    assert seen == {(k, n, s) for k, n in expected for s in sizes}
    for row in report["plugins"]:
        assert _finite(row["plugin_s"]) and _finite(row["native_s"]), row
        assert _finite(row["time_ratio"]), row
        assert _finite(row["bytes_ratio"], positive=False), row  # a plugin may save nothing
    for summary in report["plugin_summary"].values():
        assert _finite(summary["median_time_ratio"]) and _finite(summary["worst_time_ratio"])


@pytest.mark.slow
def test_models_compile_and_overhead_ratios(report: dict) -> None:
    names = {m["name"] for m in report["models"]}
    assert {
        "mlp_relu", "mlp_gelu", "mlp_gelu_compact", "mlp_silu_compact", "mlp_gelu_compact_all",
        "mlp_silu_compact_all", "convnet", "lstm",
    } <= names  # fmt: skip
    for m in report["models"]:
        assert _finite(m["time_ratio"]) and _finite(m["bytes_ratio"]), m
        assert _finite(m["activation_layer_bytes_ratio"]), m
        assert 0 <= m["plugin_test_acc"] <= 100 and math.isfinite(m["acc_diff_points"]), m
    compiled = report["compile"]
    assert _finite(compiled["time_ratio"]) and compiled["graph_breaks"] >= 0
    overhead = report["overhead"]
    assert _finite(overhead["help_s"])
    assert _finite(overhead["time_ratio"]) and _finite(overhead["plain_s"])
    assert _finite(overhead["lightning_ratio"]) and _finite(overhead["lightning_s"])
    assert overhead["imports_nn_train_s"] < overhead["nn_train_s"]
    assert overhead["imports_plain_s"] < overhead["plain_s"]
    assert _finite(overhead["import_floor_ratio"]) and _finite(overhead["beyond_imports_ratio"])
    network = report["network"]
    assert network["experiment"] == "moons" and network["epochs"] >= 1
    assert _finite(network["on_s"]) and _finite(network["off_s"])
    assert network["time_ratio"] == pytest.approx(network["on_s"] / network["off_s"])
