"""Before training: the last ``nn-plugins check`` verdict of each plugin the run uses.

A plugin whose last check failed, or whose source file changed since it was checked (stale),
gets one warning line naming it and the command that checks it; with ``strict_plugins=true``
the run is refused (exit 2). A plugin never checked gets a one-line note and trains: no check is
run here, so a first run stays fast. Built-in plugins ship verified by the conformance suite, so
a never-checked built-in gets no note. Torch-free: the facts come from the catalog (each plugin's
source file) and the check cache (``framework.cli.plugins``).
"""

from __future__ import annotations

import sys
from typing import Any

from framework.cli.plugins import read_cache, source_digest, status_of
from framework.errors import ConfigError
from framework.front_door.plugin_catalog import Catalog, PluginInfo

BUILT_IN = "built-in"
REFUSED = ("FAILED", "stale")


def plugins_in_use(cfg: Any, catalog: Catalog) -> list[PluginInfo]:
    """The plugins a run names: its activation, its loss (``auto`` picks a built-in), the
    entries of ``model.layers`` (``model=sequential``) and ``model.output_activation``; each
    once, in that order."""
    named: list[tuple[str, Any]] = [("activation", (cfg.get("activation") or {}).get("name"))]
    named.append(("loss", (cfg.get("loss") or {}).get("name")))
    model = cfg.get("model") or {}
    for entry in model.get("layers") or []:
        if isinstance(entry, str):
            if entry != "act":
                named.append(("layer" if catalog.get("layer", entry) else "activation", entry))
        else:
            named += [(k, entry[k]) for k in ("layer", "activation") if k in entry]
    named.append(("activation", model.get("output_activation")))
    found: dict[tuple[str, str], PluginInfo] = {}
    for kind, name in named:
        info = catalog.get(kind, str(name)) if name else None
        if info is not None:
            found.setdefault((info.kind, info.name), info)
    return list(found.values())


def check_command(info: PluginInfo, catalog: Catalog) -> str:
    """The command that checks ``info``: ``nn-plugins [--imports SPEC] check [KIND:]NAME``."""
    kinds = [k for k in catalog.plugins if catalog.get(k, info.name) is not None]
    name = info.name if kinds == [info.kind] else f"{info.kind}:{info.name}"
    kind, _, spec = info.origin.partition(":")
    imports = f"--imports {spec} " if kind in ("file", "module") else ""
    return f"nn-plugins {imports}check {name}"


def status_lines(cfg: Any, catalog: Catalog) -> tuple[list[str], list[str]]:
    """(problems, notes): one line per plugin in use whose last check failed or is stale, one
    per user plugin never checked; passed plugins and never-checked built-ins say nothing."""
    cache = read_cache()
    problems: list[str] = []
    notes: list[str] = []
    for info in plugins_in_use(cfg, catalog):
        status = status_of(cache, info.kind, info.name, source_digest(info.path))
        where = "" if info.origin == BUILT_IN else f" ({info.origin})"
        plugin = f"{info.kind} {info.name!r}{where}"
        command = check_command(info, catalog)
        if status == "FAILED":
            problems.append(f"{plugin} failed its last check; run `{command}` to see why")
        elif status == "stale":
            problems.append(f"{plugin} changed since its last check; run `{command}`")
        elif status == "never" and info.origin != BUILT_IN:
            notes.append(f"{plugin} was never checked; `{command}` verifies its backward")
    return problems, notes


def report_plugin_status(cfg: Any, catalog: Catalog) -> None:
    """Print the problem and note lines (stderr); with ``strict_plugins`` a failed or stale
    plugin raises ``ConfigError`` (one paragraph, exit 2) instead."""
    problems, notes = status_lines(cfg, catalog)
    if problems and cfg.get("strict_plugins"):
        raise ConfigError(
            f"strict_plugins=true refuses to train: {'; '.join(problems)}. Fix the plugin and "
            f"check it again, or train anyway with strict_plugins=false."
        )
    for line in problems:
        print(f"nn-train: warning: {line}", file=sys.stderr)
    for line in notes:
        print(f"nn-train: note: {line}", file=sys.stderr)
