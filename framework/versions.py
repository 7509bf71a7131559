"""``--version`` of the command-line tools: this project's version and the libraries it runs on.

Read from the installed distributions' metadata, so that ``--version`` imports no torch.
"""

from __future__ import annotations

import importlib.metadata

LIBRARIES = ("torch", "lightning", "hydra-core")


def version_text(prog: str) -> str:
    """``nn-predict 0.1.0 (torch 2.13.0, lightning 2.5.6, hydra-core 1.3.2)``."""
    from framework import __version__

    found = []
    for name in LIBRARIES:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} not installed")
    return f"{prog} {__version__} ({', '.join(found)})"
