"""Where a run's plugins came from: recorded in its checkpoint, found again when it is loaded.

For each ``imports`` entry a run records the directory it ran from, the absolute path of the
plugin file (for a module: of its source) and a sha256 of that source. Loading the checkpoint
imports the entry the way the run resolved it, wherever the loader runs from: the recorded
absolute path, else the entry relative to the run's directory, else relative to the current one.
``imports=[...]`` given to the loader replaces the recorded locations (the plugin files were
moved). A plugin source that changed since training is a one-line warning: the network is
rebuilt with today's code.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import warnings
from pathlib import Path
from typing import Any

from framework.contract.discovery import PluginImportError, import_plugins, is_file_spec


class PluginSourceChanged(UserWarning):
    """A plugin file differs from the one the checkpoint was trained with."""


def record_imports(specs: list[str]) -> list[dict[str, Any]]:
    """What a checkpoint keeps about each ``imports`` entry (plain strings: ``weights_only``)."""
    cwd = os.getcwd()
    records = []
    for spec in specs:
        path = _source_of(spec)
        records.append(
            {
                "spec": spec,
                "cwd": cwd,
                "path": None if path is None else str(path),
                "sha256": None if path is None else sha256_of(path),
            }
        )
    return records


def import_recorded(
    records: list[dict[str, Any]], given: list[str] | None, checkpoint: str
) -> None:
    """Import a checkpoint's plugins: the ``given`` entries, else the recorded ones found again.

    Raises ``PluginImportError`` (one paragraph naming the checkpoint, the entry and where it
    was looked for) if a recorded plugin file is nowhere to be found.
    """
    if given is not None:
        by_name = {Path(r["path"]).name: r for r in records if r.get("path")}
        for spec in given:
            import_plugins(spec)
            path = _source_of(spec)
            record = by_name.get(path.name) if path is not None else None
            if record is not None:
                _warn_if_changed(record, path, checkpoint)
        return
    for record in records:
        spec = record["spec"]
        if not is_file_spec(spec):
            try:
                import_plugins(spec)
            except PluginImportError as exc:
                raise PluginImportError(f"{exc} {_hint(checkpoint, spec)}") from None
            path = _source_of(spec)
        else:
            path = _find_file(record)
            if path is None:
                where = ", ".join(str(p) for p in _candidates(record))
                raise PluginImportError(
                    f"checkpoint {checkpoint!r} was trained with imports=[{spec}], but that "
                    f"plugin file is not found (looked for {where}). {_hint(checkpoint, spec)}"
                )
            import_plugins(str(path))
        if path is not None:
            _warn_if_changed(record, path, checkpoint)


def legacy_records(specs: list[str]) -> list[dict[str, Any]]:
    """Records for a checkpoint written before plugin sources were kept: the bare entries."""
    return [{"spec": str(s), "cwd": None, "path": None, "sha256": None} for s in specs]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _source_of(spec: str) -> Path | None:
    """The source file of an ``imports`` entry: the file itself, or a module's ``.py``."""
    if is_file_spec(spec):
        path = Path(spec).expanduser().resolve()
        return path if path.is_file() else None
    try:
        found = importlib.util.find_spec(spec)
    except (ImportError, ValueError):
        return None
    origin = found.origin if found is not None else None
    return Path(origin) if origin and Path(origin).is_file() else None


def _candidates(record: dict[str, Any]) -> list[Path]:
    spec = Path(record["spec"]).expanduser()
    paths = [Path(record["path"])] if record.get("path") else []
    if record.get("cwd") and not spec.is_absolute():
        paths.append(Path(record["cwd"]) / spec)
    paths.append(spec.resolve())
    return list(dict.fromkeys(paths))


def _find_file(record: dict[str, Any]) -> Path | None:
    return next((p for p in _candidates(record) if p.is_file()), None)


def _warn_if_changed(record: dict[str, Any], path: Path, checkpoint: str) -> None:
    if record.get("sha256") and sha256_of(path) != record["sha256"]:
        warnings.warn(
            f"plugin source {path} changed since checkpoint {checkpoint!r} was trained "
            f"(sha256 differs); the network is rebuilt with the current code",
            PluginSourceChanged,
            stacklevel=4,
        )


def _hint(checkpoint: str, spec: str) -> str:
    where = f"path/to/{Path(spec).name}" if is_file_spec(spec) else "path/to/plugins.py"
    return (
        f"Give its location: load_model({checkpoint!r}, imports=[{where!r}]) or "
        f"nn-predict/nn-export --imports {where}."
    )
