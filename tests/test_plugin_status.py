"""``nn-train`` reads the ``nn-plugins check`` cache before training: a failed or stale plugin
gets one warning line (``strict_plugins=true``: exit 2), a never-checked one a note, a passed
one nothing. Run as a user would: the installed commands, in a temporary directory."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import run_cli
from omegaconf import OmegaConf

from framework.front_door.plugin_catalog import build_catalog
from framework.verification.check_cache import plugins_in_use, status_lines

FAST = [
    "trainer.max_epochs=1",
    "trainer.limit_train_batches=2",
    "trainer.limit_val_batches=1",
    "test=false",
    "log=minimal",
    "hydra.run.dir=run",
]
CHECK_BENT = ["nn-plugins", "--imports", "bent.py", "check", "bent_identity"]
TRAIN_BENT = ["nn-train", "imports=[bent.py]", "activation=bent_identity", *FAST]


def status_lines_of(stderr: str) -> list[str]:
    marks = ("nn-train: warning", "nn-train: note")
    return [line for line in stderr.splitlines() if line.startswith(marks)]


def test_failed_check_warns_once_and_strict_refuses(bad_bent_file: Path) -> None:
    cwd = bad_bent_file.parent
    checked = run_cli(*CHECK_BENT, cwd=cwd)
    assert checked.returncode == 1, checked.stdout + checked.stderr

    trained = run_cli(*TRAIN_BENT, cwd=cwd)
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert status_lines_of(trained.stderr) == [
        "nn-train: warning: activation 'bent_identity' (file:bent.py) failed its last check; "
        "run `nn-plugins --imports bent.py check bent_identity` to see why"
    ]
    assert (cwd / "run" / "checkpoints" / "last.ckpt").is_file()  # it trained anyway

    refused = run_cli(*TRAIN_BENT, "strict_plugins=true", "hydra.run.dir=strict", cwd=cwd)
    assert refused.returncode == 2, refused.stderr[-3000:]
    message = refused.stderr.strip()
    assert message.startswith("nn-train: error: strict_plugins=true refuses to train: ")
    assert "activation 'bent_identity' (file:bent.py) failed its last check" in message
    assert "Traceback" not in message and len(message.splitlines()) == 1
    assert not (cwd / "strict" / "checkpoints").exists()


def test_edited_after_a_passing_check_is_stale(bent_file: Path) -> None:
    cwd = bent_file.parent
    checked = run_cli(*CHECK_BENT, cwd=cwd)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    bent_file.write_text(bent_file.read_text().replace("+ 1)\n", "+ 1.0)\n"))

    refused = run_cli(*TRAIN_BENT, "strict_plugins=true", cwd=cwd)
    assert refused.returncode == 2, refused.stderr[-3000:]
    assert (
        "activation 'bent_identity' (file:bent.py) changed since its last check; run "
        "`nn-plugins --imports bent.py check bent_identity`" in refused.stderr
    )


def test_never_checked_is_a_note_and_trains_even_when_strict(bent_file: Path) -> None:
    cwd = bent_file.parent
    bent_file.write_text(bent_file.read_text() + "# never checked\n")  # a source of its own
    cache = Path(os.environ["NN_PLUGINS_CACHE"])
    before = cache.read_text() if cache.is_file() else None
    trained = run_cli(*TRAIN_BENT, "strict_plugins=true", cwd=cwd)
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert status_lines_of(trained.stderr) == [
        "nn-train: note: activation 'bent_identity' (file:bent.py) was never checked; "
        "`nn-plugins --imports bent.py check bent_identity` verifies its backward"
    ]
    after = cache.read_text() if cache.is_file() else None
    assert after == before, "training ran a check itself"


def test_checked_builtins_that_passed_say_nothing(tmp_path: Path) -> None:
    checked = run_cli("nn-plugins", "check", "tanh", "sigmoid", "mse", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    trained = run_cli(
        "nn-train",
        "data=sine",
        "activation=tanh",
        "loss=mse",
        "model.output_activation=sigmoid",
        "strict_plugins=true",
        *FAST,
        cwd=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert status_lines_of(trained.stderr) == []


def test_the_plugins_in_use_and_where_each_comes_from(bent_file: Path, monkeypatch) -> None:
    bent_file.write_text(bent_file.read_text() + "# in use\n")  # a source of its own
    monkeypatch.chdir(bent_file.parent)
    catalog = build_catalog(["bent.py"])
    cfg = OmegaConf.create(
        {
            "activation": {"name": "bent_identity"},
            "loss": {"name": "auto"},
            "model": {
                "name": "sequential",
                "layers": [
                    {"layer": "linear", "out_features": 4},
                    "act",
                    "flatten",
                    {"activation": "leaky_relu", "negative_slope": 0.1},
                    "tanh",
                ],
            },
        }
    )
    used = [(i.kind, i.name, i.origin) for i in plugins_in_use(cfg, catalog)]
    assert used == [
        ("activation", "bent_identity", "file:bent.py"),
        ("layer", "linear", "built-in"),
        ("layer", "flatten", "built-in"),
        ("activation", "leaky_relu", "built-in"),
        ("activation", "tanh", "built-in"),
    ]
    # nothing checked yet: one note, for the user's plugin alone
    problems, notes = status_lines(cfg, catalog)
    assert problems == [] and len(notes) == 1 and "bent_identity" in notes[0]


def test_a_verdict_for_another_file_of_the_same_name_is_not_stale(tmp_path: Path) -> None:
    from framework.cli.plugins import source_digest, status_of

    mine, other = tmp_path / "mine.py", tmp_path / "other.py"
    mine.write_text("a = 1\n")
    other.write_text("a = 2\n")
    path, digest = source_digest(other)
    cache = {f"activation:bent_identity:{digest}": {"passed": False, "path": path}}
    assert status_of(cache, "activation", "bent_identity", source_digest(other)) == "FAILED"
    assert status_of(cache, "activation", "bent_identity", source_digest(mine)) == "never"
    other.write_text("a = 3\n")
    assert status_of(cache, "activation", "bent_identity", source_digest(other)) == "stale"


def test_strict_plugins_takes_a_boolean(tmp_path: Path) -> None:
    refused = run_cli("nn-train", "strict_plugins=sometimes", cwd=tmp_path)
    assert refused.returncode == 2
    assert "strict_plugins" in refused.stderr and "sometimes" in refused.stderr
    assert "Traceback" not in refused.stderr
