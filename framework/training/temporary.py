"""Temporary files beside their destination, for writes that are complete or absent."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def temporary_beside(path: Path, suffix: str = ".tmp") -> tuple[int, str]:
    """``mkstemp`` in ``path``'s directory, with the permissions a plainly created file gets
    (``0o666`` less the umask): renamed over ``path``, it is as readable as any other file of
    the run (``mkstemp`` alone makes it private to its owner)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    return fd, tmp
