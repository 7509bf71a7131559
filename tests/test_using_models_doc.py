"""docs/using-models.md, followed to the letter: every file it marks is written and every command
of its ```bash blocks runs, in order, in an empty directory. Differences from a user's shell, to
stay fast: `nn-train` runs two epochs. The serving scripts run in a Python where `framework` and
`plugins` cannot be imported (a sitecustomize blocks them), as on a server without this project.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BIN, ROOT
from test_docs_guide import guide_steps

DOC = ROOT / "docs" / "using-models.md"
BLOCKER = """\
import sys

class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("framework", "plugins"):
            raise ImportError(f"{name} is not installed here")

sys.meta_path.insert(0, Blocked())
"""


def test_the_doc_is_linked_from_the_readme() -> None:
    """... and the README's "Use the model" commands are the doc's (run below)."""
    readme = (ROOT / "README.md").read_text()
    assert "(docs/using-models.md)" in readme
    section = readme.split("## Use the model", 1)[1].split("\n## ", 1)[0]
    shown = [s[1] for s in guide_steps(section) if s[0] == "run"]
    doc = [s[1] for s in guide_steps(DOC.read_text()) if s[0] == "run"]
    assert shown and set(shown) <= set(doc)


@pytest.mark.slow
def test_every_command_of_the_doc_runs(tmp_path: Path) -> None:
    steps = guide_steps(DOC.read_text())
    commands = [s[1] for s in steps if s[0] == "run"]
    for expected in ("nn-predict", "nn-export", "python serve_pt2.py", "python serve_onnx.py"):
        assert any(c.startswith(expected) for c in commands)
    work, blocked = tmp_path / "work", tmp_path / "blocked"
    work.mkdir()
    blocked.mkdir()
    (blocked / "sitecustomize.py").write_text(BLOCKER)
    outputs: dict[str, str] = {}
    for step in steps:
        if step[0] == "file":
            (work / step[1]).write_text(step[2])
            continue
        argv = shlex.split(step[1], comments=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if argv[0] == "python":
            argv[0] = sys.executable
            if argv[1].startswith("serve_"):
                env["PYTHONPATH"] = str(blocked)
        else:
            argv[0] = str(BIN / argv[0])
        if argv[0].endswith("nn-train"):
            argv.append("trainer.max_epochs=2")
        result = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True)
        assert result.returncode == 0, f"{step[1]}\n{result.stdout[-2000:]}\n{result.stderr}"
        outputs[step[1]] = result.stdout

    # the served files and nn-predict agree, row for row
    with (work / "predictions.csv").open() as f:
        predicted = [line.split(",")[1] for line in f.read().splitlines()[1:]]
    assert len(predicted) == 20
    assert outputs["python serve_pt2.py"].strip() == str(predicted)
    assert outputs["python serve_onnx.py"].strip() == str(predicted)
    proba = outputs[next(c for c in commands if "--proba" in c)].splitlines()
    assert proba[0].startswith("row,prediction,p_0") and len(proba) == 21
    assert [line.split(",")[1] for line in proba[1:]] == predicted
    names = outputs["python use_model.py"].splitlines()[0]
    assert names.startswith("['") and len(eval(names)) == 5  # five class names
