"""Every command of the README's ```bash blocks runs, in order, in an empty directory, and does
what the README says. Each command is listed here once: in ``CHECKS`` (run, then its promise
checked) or in ``SKIPPED`` (with the reason it is not run here). A command added to the README
without an entry fails ``test_every_readme_command_has_a_test``.

Differences from a user's shell, to stay fast and hermetic: `nn-train` trains one epoch
(`trainer.max_epochs=1`); `nn-board` is started, checked to serve, and stopped; the README's
example sweep directory is the sweep its `nn-train -m` command made; the file `bent.py` is the
README's block marked ``<!-- file: bent.py -->``.
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, run_cli, start_and_stop_board
from markdown_it import MarkdownIt
from omegaconf import OmegaConf

README = ROOT / "README.md"
FILE_MARK = re.compile(r"<!-- file: (\S+) -->")
EXAMPLE_SWEEP = "multirun/2026-11-28/22-10-05"  # stands for the sweep the README's -m made

SKIPPED = {
    "make train": "the set-up itself (a new .venv, installs from the network): the environment "
    "running this test is its result, and the nn-train commands below train",
    "make test": "runs this very suite (what .ci/run runs)",
    "nn-bench --json bench.json": "the full report takes several minutes on 2 cores; "
    "tests/test_bench.py runs the same report as `nn-bench --quick --json FILE` and checks it",
    "nn-bench --quick": "tests/test_bench.py runs it (with --json) and checks every section",
    "nn-predict runs/digits/checkpoints/best.ckpt new_digits.csv --output predictions.csv":
        "tests/test_using_models_doc.py runs docs/using-models.md, whose commands these are "
        "(checked there), with its new_digits.csv, and checks the predictions",
    "nn-export runs/digits/checkpoints/best.ckpt --format exported --output digits.pt2":
        "tests/test_using_models_doc.py runs it as docs/using-models.md shows and serves the "
        ".pt2 without this project",
    "nn-train data=csv data.path=$(python -c import matplotlib; print(matplotlib.get_data_path()))"
    "/sample_data/Stocks.csv data.target=MSFT":
        "needs the shell's $(…); tests/test_tables.py::"
        "test_a_downloaded_table_trains_as_it_comes_and_predicts_its_raw_rows trains on that file "
        "with these keys and checks its report and nn-predict on its raw rows",
}  # fmt: skip


@dataclass
class Ran:
    """One README command after it ran: what it printed and the run directories it made."""

    work: Path
    stdout: str
    new: list[Path]

    def config(self) -> dict:
        """The composed config of the one run this command made."""
        (run,) = self.new
        return OmegaConf.to_container(OmegaConf.load(run / ".hydra" / "config.yaml"))

    def trained(self) -> dict:
        (run,) = self.new
        assert (run / "checkpoints" / "last.ckpt").is_file()
        assert list(run.glob("events.out.tfevents.*")), "no TensorBoard events"
        return self.config()


def _sweep(ran: Ran) -> None:
    (sweep,) = ran.new
    assert sweep.parent.parent.name == "multirun"
    jobs = sorted(p for p in sweep.iterdir() if p.is_dir())
    assert sorted(j.name for j in jobs) == [
        "0_activation=relu",
        "1_activation=tanh",
        "2_activation=gelu",
    ]
    assert "Sweep: 3 job(s), best val/loss first" in ran.stdout
    assert f"nn-board {sweep.relative_to(ran.work)}" in ran.stdout
    swept = [OmegaConf.load(j / ".hydra" / "config.yaml").activation.name for j in jobs]
    assert sorted(swept) == ["gelu", "relu", "tanh"]
    assert all((j / "checkpoints" / "last.ckpt").is_file() for j in jobs)


def _board(ran: Ran, shown: Callable[[Path], str]) -> None:
    assert "http://127.0.0.1:" in ran.stdout and "nn-board: stopped" in ran.stdout
    assert shown(ran.work) in ran.stdout, ran.stdout


def _newest_sweep(work: Path) -> str:
    """The newest sweep, relative to the working directory (as nn-board names it)."""
    newest = max((work / "multirun").glob("*/*"), key=lambda p: p.stat().st_mtime)
    return str(newest.relative_to(work))


CHECKS: dict[str, Callable[[Ran], None]] = {
    "nn-train activation=tanh loss=cross_entropy optimizer=adam optimizer.lr=0.003 "
    "trainer.max_epochs=5": lambda r: _expect(
        r.trained(), {"activation.name": "tanh", "loss.name": "cross_entropy",
                      "optimizer.lr": 0.003}),
    "nn-train activation=leaky_relu activation.negative_slope=0.1 model.hidden=[256,128]":
        lambda r: _expect(r.trained(), {"activation.negative_slope": 0.1,
                                        "model.hidden": [256, 128]}),
    "nn-train experiment=xor": lambda r: _expect(
        r.trained(), {"data.name": "xor", "activation.name": "sigmoid", "threshold": 0.01}),
    "nn-train -m activation=relu,tanh,gelu": _sweep,
    "nn-train --help": lambda r: _expect_lines(r.stdout, r"^activation: .*\brelu\b.*\btanh\b"),
    "nn-train --version": lambda r: _expect_lines(
        r.stdout, r"^nn-train \d+\.\d+\.\d+ \(nn-plugins-framework\)", r"\btorch \d",
        r"lightning \d"),
    "nn-board": lambda r: _board(r, _newest_sweep),
    f"nn-board {EXAMPLE_SWEEP}": lambda r: _board(r, _newest_sweep),
    "nn-board --all": lambda r: _board(r, lambda w: "outputs/ and multirun/"),
    "nn-plugins --imports bent.py list": lambda r: _expect_lines(
        r.stdout, r"\bbent_identity\b.*file:bent\.py"),
    "nn-plugins --imports bent.py check bent_identity": lambda r: _expect_lines(
        r.stdout, r"^PASS activation bent_identity", r"\b0 failed"),
    "nn-train imports=[bent.py] activation=bent_identity": lambda r: _expect(
        r.trained(), {"activation.name": "bent_identity", "imports": ["bent.py"]}),
    "nn-train hydra.run.dir=runs/digits": lambda r: _expect(
        OmegaConf.to_container(OmegaConf.load(r.work / "runs/digits/.hydra/config.yaml")),
        {"data.name": "digits"}),
    "nn-plugins new activation my_act": lambda r: _expect_file(r.work / "my_act.py"),
    "nn-plugins bench relu gelu": lambda r: _expect_lines(r.stdout, r"\brelu\b", r"\bgelu\b"),
    "nn-train activation=gelu activation.compact=true": lambda r: _expect(
        r.trained(), {"activation.name": "gelu", "activation.compact": True,
                      "model.compact": False}),
    "nn-train activation=gelu activation.compact=true model.compact=true": lambda r: _expect(
        r.trained(), {"activation.compact": True, "model.compact": True}),
    "nn-train data=csv data.path=$(python -c import matplotlib; print(matplotlib.get_data_path()))"
    "/sample_data/Stocks.csv data.target=MSFT":
        "needs the shell's $(…); tests/test_tables.py::"
        "test_a_downloaded_table_trains_as_it_comes_and_predicts_its_raw_rows trains on that file "
        "with these keys and checks its report and nn-predict on its raw rows",
}  # fmt: skip


def _expect(config: dict, values: dict) -> None:
    for dotted, value in values.items():
        found = config
        for key in dotted.split("."):
            found = found[key]
        assert found == value, f"{dotted} = {found!r}, expected {value!r}"
    assert config["trainer"]["max_epochs"] == 1


def _expect_lines(text: str, *patterns: str) -> None:
    for pattern in patterns:
        assert re.search(pattern, text, re.M), f"{pattern!r} not in:\n{text[-3000:]}"


def _expect_file(path: Path) -> None:
    assert path.is_file(), f"{path} was not written"


def readme_commands(text: str) -> list[str]:
    """The commands of the README's ```bash blocks, in order, comments dropped."""
    commands = []
    for token in MarkdownIt("commonmark").parse(text):
        if token.type == "fence" and token.info.strip() == "bash":
            for line in token.content.splitlines():
                argv = shlex.split(line, comments=True)
                if argv:
                    commands.append(" ".join(argv))
    return commands


def marked_files(text: str) -> dict[str, str]:
    """The code blocks right after a ``<!-- file: NAME -->`` line, by name."""
    tokens = MarkdownIt("commonmark").parse(text)
    files = {}
    for before, token in itertools.pairwise(tokens):
        found = before.type == "html_block" and FILE_MARK.fullmatch(before.content.strip())
        if found and token.type == "fence":
            files[found.group(1)] = token.content
    return files


def test_every_readme_command_has_a_test() -> None:
    commands = readme_commands(README.read_text())
    untested = [c for c in commands if c not in CHECKS and c not in SKIPPED]
    assert not untested, (
        f"README commands without a test: {untested}; add each to CHECKS in {Path(__file__).name} "
        "(or to SKIPPED, with the reason it cannot run here)"
    )
    stale = [c for c in [*CHECKS, *SKIPPED] if c not in commands]
    assert not stale, f"no longer in the README: {stale}; remove them here"


@pytest.mark.slow
def test_every_readme_command_runs(tmp_path: Path) -> None:
    text = README.read_text()
    work = tmp_path / "work"
    work.mkdir()
    for name, content in marked_files(text).items():
        (work / name).write_text(content)
    assert (work / "bent.py").is_file(), "the README's bent.py block is not marked"
    env = {"NN_PLUGINS_CACHE": str(tmp_path / "checks.json")}

    def runs() -> set[Path]:
        return {p for root in ("outputs", "multirun") for p in (work / root).glob("*/*")}

    for command in readme_commands(text):
        if command in SKIPPED:
            continue
        argv = shlex.split(command)
        before = runs()
        if argv[0] == "nn-board":
            args = [_newest_sweep(work) if a == EXAMPLE_SWEEP else a for a in argv[1:]]
            stdout = start_and_stop_board(work, env, *args)
        else:
            if argv[0] == "nn-train" and "--help" not in argv:
                argv = [a for a in argv if not a.startswith("trainer.max_epochs=")]
                argv.append("trainer.max_epochs=1")
            result = run_cli(*argv, cwd=work, env=env)
            assert result.returncode == 0, (
                f"{command}\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
            )
            stdout = result.stdout
        CHECKS[command](Ran(work, stdout, sorted(runs() - before)))


def test_the_readme_shows_what_nn_train_prints(tmp_path: Path) -> None:
    """Blocks that start with ``$ COMMAND`` show that command's output (up to an ``…``)."""
    shown = [
        token.content.splitlines()
        for token in MarkdownIt("commonmark").parse(README.read_text())
        if token.type == "fence" and token.content.startswith("$ ")
    ]
    assert shown, "the README no longer shows a command's output"
    for command, *lines in shown:
        result = run_cli(*shlex.split(command[2:]), cwd=tmp_path)
        printed = (result.stdout + result.stderr).splitlines()
        for line in lines:
            head = line.split("…")[0].rstrip()
            assert any(p.startswith(head) for p in printed), f"{head!r} not in:\n{printed}"
