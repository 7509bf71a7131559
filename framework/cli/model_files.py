"""What ``nn-predict`` and ``nn-export`` share: the checkpoint loaded for a command (or one
paragraph saying why not) and output files written whole or not at all."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from framework.cli.version import add_version_argument
from framework.errors import ConfigError
from framework.training.temporary import temporary_beside


class UsageError(ConfigError):
    """Bad input to a command: reported as one paragraph, exit code 2."""


def checkpoint_argument(parser: argparse.ArgumentParser) -> None:
    """The positional ``CKPT``."""
    parser.add_argument("checkpoint", metavar="CKPT", help="a checkpoint written by nn-train")


def common_options(parser: argparse.ArgumentParser) -> None:
    """``--imports``, ``--force`` and ``--version``."""
    parser.add_argument(
        "--imports",
        action="append",
        metavar="FILE_OR_MODULE",
        help="where the plugins the model was trained with are now (a .py file or module; "
        "repeatable). Default: where the training run found them",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing output file")
    add_version_argument(parser)


def check_output(path: str | None, force: bool) -> None:
    """Refuse to overwrite an existing file (before any work is done)."""
    if path is not None and Path(path).exists() and not force:
        raise UsageError(f"output {path!r} exists; give another --output, or --force to replace it")


@contextmanager
def printed_warnings(prog: str, hide: type[Warning] | None = None) -> Iterator[None]:
    """Python warnings raised inside, printed as ``prog: warning: …`` lines on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        if hide is None or not issubclass(w.category, hide):
            print(f"{prog}: warning: {w.message}", file=sys.stderr)


def open_model(prog: str, checkpoint: str, imports: list[str] | None) -> Any:
    """``load_model``, its warnings printed as ``prog: warning: …`` lines. A checkpoint written
    before checkpoints carried their preprocessing is refused: its raw-input predictions
    would be silently wrong."""
    from framework.training.checkpoint import LegacyCheckpoint, load_model

    with printed_warnings(prog, hide=LegacyCheckpoint):
        model = load_model(checkpoint, imports=imports)
    if model.legacy:
        raise UsageError(
            f"checkpoint {checkpoint!r} was written before checkpoints carried the "
            f"preprocessing fitted on the training split (feature standardisation, encodings), "
            f"so its model cannot take raw inputs. Train it again with this version of nn-train "
            f"(the same overrides), or load it in Python with load_model (a warning says the same) "
            f"and standardise the inputs as in training."
        )
    return model


def write_atomically(path: str, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` into a temporary file beside ``path``, renamed over it when complete."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # the temporary name keeps the suffix: torch.export.save and load insist on ``.pt2``
    fd, tmp = temporary_beside(target, suffix=f".tmp{target.suffix}")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_command(prog: str, body: Callable[[], int]) -> int:
    """Run ``body``; bad input (a ``ConfigError``, a plugin that fails to import) is one
    paragraph on stderr and exit code 2."""
    from framework.contract.discovery import PluginImportError

    try:
        return body()
    except (ConfigError, PluginImportError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
