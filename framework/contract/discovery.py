"""Finding and importing plugins: the built-ins, user files and modules, installed packages.

Third-party packages declare an entry point in the group ``framework.plugins`` whose value is a
module; importing that module registers its plugins. Everything here is lazy: nothing is imported
until a registry is first asked about its contents. This module imports no torch.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.metadata
import importlib.util
import pkgutil
import sys
import traceback
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

ENTRY_POINT_GROUP = "framework.plugins"
BUILTIN_PACKAGES = ("plugins.activations", "plugins.losses", "plugins.layers")

_origin: ContextVar[str | None] = ContextVar("plugin_origin", default=None)
_loaded = False
_imported: dict[str, str] = {}  # resolved file path or module name -> module name in sys.modules


class PluginImportError(ImportError):
    """A file or module named in ``imports`` that does not exist or fails to import."""


@dataclass(frozen=True)
class LoadError:
    """A plugin package that failed to import; reported by name, the others still load."""

    source: str
    message: str


load_errors: list[LoadError] = []


@contextlib.contextmanager
def origin(label: str) -> Iterator[None]:
    """Attribute every registration inside the block to ``label`` (e.g. ``file:bent.py``)."""
    token = _origin.set(label)
    try:
        yield
    finally:
        _origin.reset(token)


def current_origin(cls: type) -> str:
    """Where a plugin being registered comes from."""
    return _origin.get() or f"module:{cls.__module__}"


def load_all() -> None:
    """Import the built-in plugins, then every installed plugin package (once)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    load_builtins()
    load_entry_points()


def load_builtins() -> None:
    """Import every module under ``plugins.activations``, ``plugins.losses``, ``plugins.layers``."""
    with origin("built-in"):
        for package_name in BUILTIN_PACKAGES:
            package = importlib.import_module(package_name)
            for info in pkgutil.iter_modules(package.__path__, package_name + "."):
                importlib.import_module(info.name)


def plugin_entry_points() -> list[importlib.metadata.EntryPoint]:
    """The installed entry points of the group ``framework.plugins``."""
    return list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))


def load_entry_points() -> None:
    """Import each plugin package; one that fails is recorded in ``load_errors`` and warned."""
    for ep in plugin_entry_points():
        dist = ep.dist.name if ep.dist is not None else "?"
        label = f"package:{dist}"
        try:
            with origin(label):
                ep.load()
        except Exception as exc:  # a broken third-party package must not break the others
            message = f"{type(exc).__name__}: {exc}"
            load_errors.append(LoadError(f"{label} (entry point {ep.name} = {ep.value})", message))
            print(
                f"warning: plugin package {dist!r} (entry point {ep.name} = {ep.value}) failed "
                f"to import and was skipped: {message}",
                file=sys.stderr,
            )


def is_file_spec(spec: str) -> bool:
    """``imports`` entries ending in ``.py`` or containing a path separator are files."""
    return spec.endswith(".py") or "/" in spec or "\\" in spec


def locate(spec: str) -> Path | None:
    """Where ``imports`` entry ``spec`` is, without importing it: the resolved path of a plugin
    file, or ``None`` for a findable module (finding one runs the packages above it).

    Raises ``PluginImportError`` with a one-paragraph message if there is no such file or module.
    """
    if is_file_spec(spec):
        path = Path(spec).expanduser().resolve()
        if not path.is_file():
            raise PluginImportError(
                f"imports: the plugin file {spec!r} does not exist (looked for {path}). "
                f"Give a path to a .py file (relative to the directory you run from) or a "
                f"dotted module name that Python can import."
            )
        return path
    try:
        found = importlib.util.find_spec(spec)
    except (ImportError, ValueError):
        found = None
    except Exception as exc:  # a package above the module fails to import
        raise PluginImportError(_failure(f"the plugin module {spec!r}", exc, None)) from exc
    if found is None:
        raise PluginImportError(
            f"imports: no module named {spec!r} and no such file. Give a dotted module name "
            f"importable from the current environment (e.g. mylab.activations) or a path to a "
            f".py file."
        )
    return None


def import_plugins(spec: str) -> str:
    """Import a plugin file (``path/to/acts.py``) or module (``mylab.activations``).

    Returns the module's name in ``sys.modules``. Importing the same file or module twice is a
    no-op. Raises ``PluginImportError`` with a one-paragraph message on any failure.
    """
    load_all()  # built-ins first, so a user plugin that shadows one is reported as a duplicate
    if is_file_spec(spec):
        key = str(Path(spec).expanduser().resolve())
        if key in _imported:
            return _imported[key]
        path = locate(spec)
        assert path is not None
        digest = hashlib.sha1(key.encode()).hexdigest()[:8]
        module_name = f"framework_user_plugins.{path.stem}_{digest}"
        module_spec = importlib.util.spec_from_file_location(module_name, path)
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = module  # pickling and torch.compile look modules up here
        try:
            with origin(f"file:{spec}"):
                module_spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[module_name]
            raise PluginImportError(_failure(f"the plugin file {spec!r}", exc, path)) from exc
        _imported[key] = module_name
        return module_name
    if spec in _imported:
        return _imported[spec]
    locate(spec)
    try:
        with origin(f"module:{spec}"):
            importlib.import_module(spec)
    except Exception as exc:
        raise PluginImportError(_failure(f"the plugin module {spec!r}", exc, None)) from exc
    _imported[spec] = spec
    return spec


def _failure(what: str, exc: BaseException, path: Path | None) -> str:
    """Name the file and line where an import failed, and the error, in one paragraph."""
    where = ""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if path is None or Path(f.filename).resolve() == path]
    if mine:
        f = mine[-1]
        where = f" at {f.filename}:{f.lineno} ({(f.line or '').strip()})"
    elif isinstance(exc, SyntaxError):
        where = f" at {exc.filename}:{exc.lineno}"
    return f"imports: {what} failed to import{where}: {type(exc).__name__}: {exc}"
