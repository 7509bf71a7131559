"""Plugins and experiments as Hydra options: YAML files in a cached directory on the search path.

``activation=NAME`` must work for plugins that exist only after ``imports=`` or in an installed
package, so every plugin the torch-free catalog finds becomes an option of its group
(``activation/NAME.yaml``: its name and parameter defaults), and every file in ``experiments/``
an option of the ``experiment`` group. They are written as files into a directory named by the
hash of their content, under the user's cache directory (``$XDG_CACHE_HOME`` or ``~/.cache``,
else a temporary directory); ``activate`` marks that directory, and the search-path plugin
``hydra_plugins/nn_train_options`` puts it on Hydra's search path whenever Hydra builds one
(``@hydra.main`` and the compose API of ``framework.front_door.gate`` alike). Files rather
than ConfigStore nodes: Hydra deep-copies the whole ConfigStore each time it lists a group's
options (about 120 times for ``--help``), which made ``nn-train --help`` four times as slow as a
bare Hydra application; a file directory costs nothing to copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from framework.contract.signature import REQUIRED
from framework.front_door.plugin_catalog import Catalog
from framework.paths import EXPERIMENTS_DIR

PLUGIN_GROUPS = ("activation", "loss")
AUTO_LOSS = "auto"
UNUSED_DAYS = 30  # an options directory unused this long is removed when a new one is written
_PACKAGE_HEADER = re.compile(r"^\s*#\s*@package\b", re.MULTILINE)


_active: dict[str, Path | None] = {"directory": None}


def activate(catalog: Catalog) -> Path:
    """Write the catalog's options (once per distinct content) and put them on Hydra's search
    path for every later composition in this process."""
    directory = write_nodes(catalog)
    _active["directory"] = directory
    return directory


def active_directory() -> Path | None:
    """The options directory Hydra's search path gets (read by the search-path plugin)."""
    return _active["directory"]


def node_files(catalog: Catalog) -> dict[str, str]:
    """Each option as ``{"group/name.yaml": YAML text}``: the plugins' names and parameter
    defaults (a required parameter as ``???``), ``loss=auto``, and the experiments (global)."""
    files = {f"loss/{AUTO_LOSS}.yaml": _yaml({"name": AUTO_LOSS})}
    for kind in PLUGIN_GROUPS:
        for name in catalog.names(kind):
            info = catalog.get(kind, name)
            assert info is not None
            params = {k: ("???" if v is REQUIRED else v) for k, v in info.params.items()}
            files[f"{kind}/{name}.yaml"] = _yaml({"name": name, **params})
    for path in sorted(EXPERIMENTS_DIR.glob("*.yaml")):
        text = path.read_text()
        if not _PACKAGE_HEADER.search(text.split("\n\n", 1)[0]):
            text = f"# @package _global_\n{text}"
        files[f"experiment/{path.name}"] = text
    return files


def _yaml(node: dict[str, Any]) -> str:
    return OmegaConf.to_yaml(OmegaConf.create(node))


def write_nodes(catalog: Catalog) -> Path:
    """The directory holding the catalog's options, written once per distinct content."""
    files = node_files(catalog)
    digest = hashlib.sha256()
    for rel, text in sorted(files.items()):
        digest.update(f"{rel}\0{text}\0".encode())
    for root in cache_roots():
        target = root / digest.hexdigest()[:20]
        if target.is_dir():
            _touch(target)
            return target
        try:
            written = _write_atomically(target, files)
        except OSError:
            continue  # not writable: the next candidate
        _prune(root, keep=written)
        return written
    tried = ", ".join(str(r) for r in cache_roots())
    raise OSError(f"no writable directory for the plugin and experiment options (tried {tried})")


def cache_roots() -> list[Path]:
    """Where option directories may go: the user's cache directory, else a temporary one."""
    roots = []
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home directory to be found
            base = None
    if base:
        roots.append(Path(base) / "nn-train" / "config-options")
    user = getattr(os, "getuid", lambda: "user")()
    roots.append(Path(tempfile.gettempdir()) / f"nn-train-{user}" / "config-options")
    return roots


def _touch(directory: Path) -> None:
    """Mark a directory as used (its modification time), so that pruning keeps it."""
    with contextlib.suppress(OSError):
        os.utime(directory)


def _prune(root: Path, keep: Path) -> None:
    """Remove option directories unused for ``UNUSED_DAYS``: every edit of a plugin's defaults
    writes a new one, and the old ones would pile up."""
    cutoff = time.time() - UNUSED_DAYS * 86400
    for old in root.iterdir():
        try:
            if old != keep and old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue


def _write_atomically(target: Path, files: dict[str, str]) -> Path:
    """Written in a temporary sibling and renamed: a concurrent run never sees half a directory."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=target.parent))
    try:
        for rel, text in files.items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # not another process's identical directory: a real error
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target
