"""``--version`` of every command: this project's version and those of the libraries doing the
work, read from the installed packages' metadata (nothing is imported: it answers at once)."""

from __future__ import annotations

import argparse
import platform
from collections.abc import Sequence
from importlib import metadata
from typing import Any

DISTRIBUTION = "nn-plugins-framework"
LIBRARIES = ("torch", "lightning", "hydra-core")


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution``; None if it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def project_version() -> str:
    """This project's installed version; ``framework.__version__`` when run from a source tree
    that was never installed."""
    found = installed_version(DISTRIBUTION)
    if found:
        return found
    from framework import __version__

    return __version__


def version_text(prog: str) -> str:
    """Two lines: ``PROG VERSION (nn-plugins-framework)``, then torch, lightning, hydra-core
    and Python versions."""
    libraries = ", ".join(
        f"{name} {installed_version(name) or 'not installed'}" for name in LIBRARIES
    )
    return (
        f"{prog} {project_version()} ({DISTRIBUTION})\n"
        f"{libraries}, Python {platform.python_version()}"
    )


class VersionAction(argparse.Action):
    """``--version`` for an argparse command: prints ``version_text`` as written (argparse's own
    version action would re-wrap it into one line) and exits 0."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault(
            "help",
            "show the versions of this project, torch, lightning, hydra-core and Python, and exit",
        )
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print(version_text(parser.prog))
        parser.exit(0)


def add_version_argument(parser: argparse.ArgumentParser) -> None:
    """Give an argparse command its ``--version``."""
    parser.add_argument("--version", action=VersionAction)
