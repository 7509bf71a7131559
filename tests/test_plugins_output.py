"""``nn-plugins list --json`` and ``check --json`` hold what the tables show; piped output is
plain text (no box-drawing characters, no colour codes); a terminal still gets the boxed table."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from conftest import BIN, run_cli

BOX = re.compile("[\u2500-\u257f]")  # the Unicode box-drawing block
ESCAPE = "\x1b["


def _plain(text: str) -> None:
    assert not BOX.search(text), text[:2000]
    assert ESCAPE not in text, text[:2000]


def test_list_json_holds_every_column(tmp_path: Path, bent_file: Path) -> None:
    from framework import ACTIVATIONS, LAYERS, LOSSES

    result = run_cli("nn-plugins", "--imports", str(bent_file), "list", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    plugins = json.loads(result.stdout)["plugins"]
    by_kind = {
        k: {p["name"] for p in plugins if p["kind"] == k} for k in ("activation", "loss", "layer")
    }

    # the built-ins as this process knows them (other tests may have registered more here)
    def builtin(registry):
        return {e.name for e in registry.entries() if e.origin == "built-in"}

    assert by_kind["activation"] == builtin(ACTIVATIONS) | {"bent_identity"}
    assert by_kind["loss"] == builtin(LOSSES)
    assert by_kind["layer"] == builtin(LAYERS)
    entry = {(p["kind"], p["name"]): p for p in plugins}
    aliases = {a for p in plugins if p["kind"] == "activation" for a in p["aliases"]}
    shipped = [e for e in ACTIVATIONS.entries() if e.origin == "built-in"]
    assert aliases == {a for e in shipped for a in e.aliases}  # swish, linear …
    leaky = entry["activation", "leaky_relu"]
    assert {"name": "negative_slope", "required": False, "default": 0.01} in leaky["parameters"]
    assert leaky["origin"] == "built-in" and leaky["check"] == "never"
    linear = {q["name"]: q for q in entry["layer", "linear"]["parameters"]}
    assert linear["in_features"] == {"name": "in_features", "required": True}
    assert entry["activation", "bent_identity"]["origin"].startswith("file:")

    checked = run_cli(
        "nn-plugins", "--imports", str(bent_file), "check", "bent_identity", cwd=tmp_path
    )
    assert checked.returncode == 0, checked.stdout
    again = run_cli("nn-plugins", "--imports", str(bent_file), "list", "--json", cwd=tmp_path)
    status = {p["name"]: p["check"] for p in json.loads(again.stdout)["plugins"]}
    assert status["bent_identity"] == "passed"


def test_check_json_gives_every_check_and_its_message(tmp_path: Path, bad_bent_file: Path) -> None:
    result = run_cli(
        "nn-plugins",
        "--imports",
        str(bad_bent_file),
        "check",
        "bent_identity",
        "relu",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 1  # the bad backward fails
    report = json.loads(result.stdout)  # nothing but the JSON on stdout
    assert (report["passed"], report["failed"]) == (1, 1)
    plugins = {p["name"]: p for p in report["plugins"]}
    relu, bent = plugins["relu"], plugins["bent_identity"]
    assert relu["passed"] and relu["kind"] == "activation"
    relu_checks = {c["check"]: c["status"] for v in relu["variants"] for c in v["checks"]}
    assert relu_checks["gradcheck"] == "passed" and relu_checks["gradgradcheck"] == "passed"
    assert not bent["passed"]
    failed = [c for v in bent["variants"] for c in v["checks"] if c["status"] == "failed"]
    assert "gradcheck" in {c["check"] for c in failed}
    assert all(c["message"] for c in failed)  # each failure says what went wrong


def test_piped_tables_are_plain_text(tmp_path: Path, bent_file: Path) -> None:
    env = {"NN_PLUGINS_CACHE": str(tmp_path / "checks.json")}  # nothing checked yet
    listed = run_cli("nn-plugins", "--imports", str(bent_file), "list", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    _plain(listed.stdout)
    lines = listed.stdout.splitlines()
    assert lines[0] == "Registered plugins"
    assert lines[1].split() == ["kind", "name", "parameters", "origin", "check"]
    row = next(line for line in lines if " bent_identity " in line)
    assert row.split()[0] == "activation" and row.split()[-1] == "never"

    checked = run_cli("nn-plugins", "check", "relu", cwd=tmp_path)
    assert checked.returncode == 0
    _plain(checked.stdout)
    assert checked.stdout.splitlines() == [
        "PASS activation relu (compact derivative exact)",
        "1 passed, 0 failed",
    ]

    bench = run_cli("nn-plugins", "bench", "relu", "--size", "1000", "--repeats", "2", cwd=tmp_path)
    assert bench.returncode == 0, bench.stderr
    _plain(bench.stdout)
    header = bench.stdout.splitlines()[1].split()
    assert header[:4] == ["kind", "plugin", "reference", "input"]


def test_a_terminal_gets_the_boxed_table(tmp_path: Path) -> None:
    """The same command on a terminal (a pseudo-terminal here) draws the table with a box."""
    primary, secondary = os.openpty()
    proc = subprocess.Popen(
        [str(BIN / "nn-plugins"), "list", "--kind", "loss"],
        cwd=tmp_path,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env={**os.environ, "COLUMNS": "200", "TERM": "xterm"},
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert proc.wait(timeout=60) == 0
    out = b"".join(chunks).decode()
    assert BOX.search(out) and "cross_entropy" in out
