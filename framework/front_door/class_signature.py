"""The ``__init__`` parameters of a class named by its dotted path, read from source.

``trainer.ARG``, ``optimizer.ARG``, ``logger.NAME.ARG`` and ``data.ARG`` are checked before
anything heavy is imported: importing ``lightning.pytorch`` or ``torch.optim`` to call
``inspect.signature`` takes seconds. This reader finds the class's module without running it
(``framework.front_door.plugin_catalog.module_file``), follows re-exports (``from .trainer import
Trainer``) and base classes defined in source, and reads ``__init__`` with
``framework.contract.signature``: the same ``Param``s ``inspect`` would give. Results are cached on
disk, keyed by the files read (their size and modification time): a new installed version is read
again.
"""

from __future__ import annotations

import ast
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from framework.contract.signature import REQUIRED, Param, SourceText, params_from_ast

CACHE_VERSION = 1


@dataclass(frozen=True)
class ClassSignature:
    """``__init__``'s parameters (``self`` left out); ``open`` when it also takes ``**kwargs``
    that could not be followed to a base class (any further name may then be valid)."""

    target: str
    params: tuple[Param, ...]
    open: bool = False

    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def get(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


def class_signature(target: str) -> ClassSignature | None:
    """The signature of ``target`` (``pkg.module.Class`` or ``pkg.module:Class``), or ``None``
    when its source cannot be found or read (then nothing is checked against it)."""
    module, _, name = target.replace(":", ".").rpartition(".")
    if not module:
        return None
    cache = _Cache.load()
    hit = cache.get(target)
    if hit is not None:
        return hit
    files: list[Path] = []
    try:
        found = _resolve(module, name, files, depth=0)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if found is None:
        return None
    signature = ClassSignature(target, tuple(found[0]), found[1])
    cache.put(target, signature, files)
    return signature


def _resolve(
    module: str, name: str, files: list[Path], depth: int
) -> tuple[list[Param], bool] | None:
    """``(params, open)`` of class ``name`` as module ``module`` defines or imports it."""
    from framework.front_door.plugin_catalog import module_file

    if depth > 12:
        return None
    path = module_file(module) or _package_init(module)
    if path is None:
        return None
    files.append(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in _top_level(tree):
        if isinstance(node, ast.ClassDef) and node.name == name:
            return _class_params(node, module, tree, is_package, files, depth)
    source = _imported_from(tree, name, module, is_package)
    if source is not None:
        return _resolve(source[0], source[1], files, depth + 1)
    return None


def _package_init(module: str) -> Path | None:
    from framework.front_door.plugin_catalog import module_file

    path = module_file(f"{module}.__init__")
    return path if path is not None and path.name == "__init__.py" else None


def _top_level(tree: ast.Module) -> list[ast.stmt]:
    """Statements at module level, also inside ``if``/``try`` blocks (version switches)."""
    found: list[ast.stmt] = []
    todo = list(tree.body)
    while todo:
        node = todo.pop(0)
        found.append(node)
        if isinstance(node, ast.If):
            todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + [s for h in node.handlers for s in h.body]
    return found


def _imported_from(
    tree: ast.Module, name: str, module: str, is_package: bool
) -> tuple[str, str] | None:
    """Where ``name`` in this module comes from: ``(module, original name)``."""
    package = module if is_package else module.rpartition(".")[0]
    for node in _top_level(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return _absolute(node, package), alias.name
        elif (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Name)
            and node.value.id != name
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        ):  # Alias = Original
            return _imported_from(tree, node.value.id, module, is_package)
    return None


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    base = ".".join(parts[: len(parts) - (node.level - 1)])
    return f"{base}.{node.module}" if node.module else base


def _class_params(
    node: ast.ClassDef,
    module: str,
    tree: ast.Module,
    is_package: bool,
    files: list[Path],
    depth: int,
) -> tuple[list[Param], bool] | None:
    init = next(
        (f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None
    )
    inherited: tuple[list[Param], bool] | None = None
    if init is None or any(p.variadic == "**" for p in params_from_ast(init)):
        inherited = _base_params(node, module, tree, is_package, files, depth)
    if init is None:
        return inherited if inherited is not None else ([], True)
    own = params_from_ast(init)[1:]  # without self
    takes_kwargs = any(p.variadic == "**" for p in own)
    own = [p for p in own if not p.variadic]
    if not takes_kwargs:
        return own, False
    if inherited is None:
        return own, True
    names = {p.name for p in own}
    return own + [p for p in inherited[0] if p.name not in names], inherited[1]


def _base_params(
    node: ast.ClassDef,
    module: str,
    tree: ast.Module,
    is_package: bool,
    files: list[Path],
    depth: int,
) -> tuple[list[Param], bool] | None:
    """The parameters of the first base class whose source can be read."""
    for base in node.bases:
        if isinstance(base, ast.Name):
            local = next(
                (
                    n
                    for n in _top_level(tree)
                    if isinstance(n, ast.ClassDef) and n.name == base.id and n is not node
                ),
                None,
            )
            if local is not None:
                return _class_params(local, module, tree, is_package, files, depth + 1)
            source = _imported_from(tree, base.id, module, is_package)
            if source is not None:
                return _resolve(source[0], source[1], files, depth + 1)
        elif isinstance(base, ast.Attribute):
            dotted = ast.unparse(base)
            mod, _, cls = dotted.rpartition(".")
            return _resolve(mod, cls, files, depth + 1)
    return None


class _Cache:
    """``{target: {"files": [[path, mtime_ns, size], …], "params": […], "open": bool}}`` in
    the user's cache directory; unreadable or stale entries are read again."""

    _loaded: _Cache | None = None

    def __init__(self, path: Path, entries: dict[str, Any]) -> None:
        self.path = path
        self.entries = entries

    @classmethod
    def load(cls) -> _Cache:
        if cls._loaded is None:
            root = os.environ.get("XDG_CACHE_HOME") or os.path.join(
                os.path.expanduser("~"), ".cache"
            )
            path = Path(root) / "nn-framework" / f"signatures-{CACHE_VERSION}.json"
            try:
                entries = json.loads(path.read_text())
            except (OSError, ValueError):
                entries = {}
            cls._loaded = cls(path, entries if isinstance(entries, dict) else {})
        return cls._loaded

    def get(self, target: str) -> ClassSignature | None:
        entry = self.entries.get(target)
        if not isinstance(entry, dict):
            return None
        try:
            for name, mtime, size in entry["files"]:
                stat = os.stat(name)
                if (stat.st_mtime_ns, stat.st_size) != (mtime, size):
                    return None
            params = tuple(_param_from_json(p) for p in entry["params"])
            return ClassSignature(target, params, bool(entry["open"]))
        except (OSError, KeyError, TypeError, ValueError):
            return None

    def put(self, target: str, signature: ClassSignature, files: list[Path]) -> None:
        try:
            stats = [[str(f), os.stat(f).st_mtime_ns, os.stat(f).st_size] for f in files]
            self.entries[target] = {
                "files": stats,
                "params": [_param_to_json(p) for p in signature.params],
                "open": signature.open,
            }
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.entries))
            tmp.replace(self.path)
        except (OSError, TypeError, ValueError):
            pass  # a read-only home: read the source again next time


def _param_to_json(p: Param) -> dict[str, Any]:
    if p.default is REQUIRED:
        default: dict[str, Any] = {"required": True}
    elif isinstance(p.default, SourceText):
        default = {"source": str(p.default)}
    else:
        json.dumps(p.default)  # a tuple becomes a list; anything else odd raises TypeError
        default = {"value": p.default, "tuple": isinstance(p.default, tuple)}
    return {"name": p.name, "annotation": p.annotation, **default}


def _param_from_json(d: dict[str, Any]) -> Param:
    if d.get("required"):
        default: Any = REQUIRED
    elif "source" in d:
        default = SourceText(d["source"])
    else:
        default = tuple(d["value"]) if d.get("tuple") else d["value"]
    return Param(d["name"], default, d.get("annotation", ""))
