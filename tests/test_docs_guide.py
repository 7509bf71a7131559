"""docs/writing-plugins.md, followed to the letter: every command of its ```bash blocks runs, in
order, in an empty directory, and every block marked ``<!-- file: PATH -->`` is written where the
guide says to edit. Differences from a user's shell, to stay fast and hermetic: `nn-train` runs
one epoch (`trainer.max_epochs=1`), `nn-board` is started, checked to serve, and stopped, and
`pip install` installs offline into a throw-away directory put on PYTHONPATH (`--target`),
not into the environment running the tests.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, run_cli, start_and_stop_board

GUIDE = ROOT / "docs" / "writing-plugins.md"
FILE_MARK = re.compile(r"<!-- file: (\S+) -->")
OUTPUT_MARK = "<!-- output of the check above"


def guide_steps(text: str) -> list[tuple[str, ...]]:
    """``("file", path, content)`` and ``("run", command)`` in the guide's order."""
    steps: list[tuple[str, ...]] = []
    lines = text.splitlines()
    marked: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        found = FILE_MARK.fullmatch(line.strip())
        if found:
            marked = found.group(1)
        elif line.startswith("```"):
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            body = "\n".join(lines[i + 1 : end]) + "\n"
            if marked:
                steps.append(("file", marked, body))
            elif line[3:].strip() == "bash":
                steps += [("run", c) for c in body.splitlines() if shlex.split(c, comments=True)]
            marked = None
            i = end
        i += 1
    return steps


def block_after(text: str, marker: str) -> str:
    """The fenced block that follows the line starting with ``marker``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(marker)) + 2
    end = next(j for j in range(start, len(lines)) if lines[j].startswith("```"))
    return "\n".join(lines[start:end])


def test_the_guide_is_linked_from_the_readme() -> None:
    assert "(docs/writing-plugins.md)" in (ROOT / "README.md").read_text()


def test_every_command_of_the_guide_runs(tmp_path: Path) -> None:
    steps = guide_steps(GUIDE.read_text())
    commands = [s[1] for s in steps if s[0] == "run"]
    for expected in (
        "nn-plugins new activation my_act",
        "nn-plugins --imports my_act.py check my_act",
        "nn-train -m activation=relu,my_act imports=[my_act.py] trainer.max_epochs=5",
        "nn-board",
        "nn-plugins new loss my_loss",
        "nn-plugins new layer my_layer",
        "pip install ./my_plugins_pkg",
    ):
        assert expected in commands
    work, site = tmp_path / "work", tmp_path / "site"
    work.mkdir()
    site.mkdir()
    env = {
        "NN_PLUGINS_CACHE": str(tmp_path / "checks.json"),
        "PYTHONPATH": os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p),
    }
    out: dict[str, str] = {}
    for step in steps:
        if step[0] == "file":
            path = work / step[1]
            if "/" not in step[1]:  # an edit of what `nn-plugins new` wrote
                assert path.is_file(), f"the guide edits {step[1]}, which nothing wrote"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(step[2])
            continue
        command = step[1]
        argv = shlex.split(command, comments=True)
        if argv == ["nn-board"]:
            out[command] = start_and_stop_board(work, env)
            continue
        if argv[0] == "pip":
            assert argv[1] == "install"
            result = subprocess.run(
                [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                 "--no-build-isolation", "--target", str(site), *argv[2:]],
                cwd=work, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
        elif argv[0].startswith("nn-"):
            if argv[0] == "nn-train" and "--help" not in argv:
                argv = [a for a in argv if not a.startswith("trainer.max_epochs=")]
                argv.append("trainer.max_epochs=1")
            result = run_cli(*argv, cwd=work, env=env)
        else:
            result = subprocess.run(argv, cwd=work, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
        out[command] = result.stdout

    # what each step promises
    for name in ("my_act", "my_loss", "my_layer"):
        assert "0 failed" in out[f"nn-plugins --imports {name}.py check {name}"]
    checked = out["nn-plugins --imports my_act.py check my_act"]
    assert "PASS activation my_act {'beta': 2.0}" in checked
    listed = out["nn-plugins --imports my_act.py list --kind activation"]
    row = next(line for line in listed.splitlines() if " my_act " in line)
    assert "beta=1.0" in row and "file:my_act.py" in row and "passed" in row
    bench = next(o for c, o in out.items() if c.startswith("nn-plugins --imports my_act.py bench"))
    assert "my_act" in bench and "silu" in bench and "plugin/reference" in bench
    (sweep,) = (work / "multirun").glob("*/*")
    jobs = sorted(p.name for p in sweep.iterdir() if p.is_dir())
    activations = [
        next(k for k in j.split("_", 1)[1].split(",") if k.startswith("activation=")) for j in jobs
    ]
    assert activations == ["activation=relu", "activation=my_act"]
    for job in jobs:
        assert (sweep / job / "checkpoints" / "last.ckpt").is_file()
        assert list((sweep / job).glob("events.out.tfevents.*"))
    assert str(sweep) in out["nn-board"] or sweep.name in out["nn-board"]
    (run,) = (work / "outputs").glob("*/*")
    assert "my_loss" in (run / ".hydra" / "config.yaml").read_text()
    assert (site / "my_plugins").is_dir()
    installed = out["nn-plugins list"]
    for name in ("my_act", "my_loss", "my_layer"):
        row = next(line for line in installed.splitlines() if f" {name} " in line)
        assert "package:my-plugins" in row, row
    groups = out["nn-train --help"].split("== Config ==")[0]
    assert re.search(r"^activation: .*\bmy_act\b", groups, re.M)
    assert re.search(r"^loss: .*\bmy_loss\b", groups, re.M)


def test_the_documented_failure_is_what_check_prints(tmp_path: Path) -> None:
    """The guide shows the output of `check` for a backward that forgot beta: it is real."""
    text = GUIDE.read_text()
    (source,) = [s[2] for s in guide_steps(text) if s[0] == "file" and s[1] == "my_act.py"]
    wrong = source.replace("1 + ctx.beta * x", "1 + x")
    assert wrong != source
    (tmp_path / "my_act.py").write_text(wrong)
    result = run_cli(
        "nn-plugins", "--imports", "my_act.py", "check", "my_act", cwd=tmp_path,
        env={"NN_PLUGINS_CACHE": str(tmp_path / "checks.json")},
    )  # fmt: skip
    assert result.returncode == 1
    printed = result.stdout.splitlines()
    for line in block_after(text, OUTPUT_MARK).splitlines():
        assert line in printed, f"{line!r} not in:\n{result.stdout}"
