"""A torch-free index of plugins, read from source files with ``ast``.

``nn-train`` validates ``activation=NAME activation.PARAM=VALUE`` and lists plugins in ``--help``
before torch is imported (importing torch alone takes seconds). This index reads the same facts
the registry learns at import time — the name given to ``@register_*``, aliases, and the
parameters in ``forward``/``init`` — from the built-in plugin files, the files and modules named
in ``imports``, and installed entry-point packages. The parameters are read by
``framework.contract.signature`` into the same ``PluginSignature`` the runtime uses (names,
defaults, annotations), with the same rules. The runtime registry stays authoritative: a plugin
registered in a way this reader cannot see is still found once it is imported.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass, field
from importlib.machinery import PathFinder
from pathlib import Path
from typing import Any

from framework.contract import discovery
from framework.contract.signature import (
    Param,
    PluginSignature,
    params_from_ast,
    plugin_signature,
    with_compact,
)

DECORATORS = {
    "register_activation": "activation",
    "register_loss": "loss",
    "register_layer": "layer",
}
N_INPUTS = {"activation": 1, "loss": 2, "layer": 1}
# framework.contract.function.RecurrentCellFunction.module_options, without importing torch
RECURRENT_OPTIONS = {
    "num_layers": 1,
    "batch_first": False,
    "bidirectional": False,
    "dropout": 0.0,
    "proj_size": 0,
}
RECURRENT_N_INPUTS = 2  # x and the state


@dataclass
class PluginInfo:
    """What the source says about one plugin."""

    kind: str
    name: str
    aliases: tuple[str, ...]
    signature: PluginSignature
    origin: str
    path: str
    summary: str = ""

    @property
    def params(self) -> dict[str, Any]:
        """User-settable parameters -> default (``REQUIRED`` if none)."""
        return self.signature.parameters

    @property
    def settable(self) -> dict[str, Param]:
        return self.signature.settable


@dataclass
class Catalog:
    """Plugins by kind and name (aliases included)."""

    plugins: dict[str, dict[str, PluginInfo]] = field(
        default_factory=lambda: {k: {} for k in N_INPUTS}
    )

    def add(self, info: PluginInfo) -> None:
        for key in (info.name, *info.aliases):
            self.plugins[info.kind][key] = info

    def names(self, kind: str) -> list[str]:
        return sorted(self.plugins[kind])

    def get(self, kind: str, name: str) -> PluginInfo | None:
        return self.plugins[kind].get(name)

    def canonical(self, kind: str) -> list[PluginInfo]:
        unique = {i.name: i for i in self.plugins[kind].values()}
        return [unique[n] for n in sorted(unique)]


def build_catalog(imports: list[str] | tuple[str, ...] = ()) -> Catalog:
    """Index the built-ins, installed plugin packages and the given ``imports``."""
    catalog = Catalog()
    for path in _builtin_files():
        _scan_file(catalog, path, "built-in")
    for ep in discovery.plugin_entry_points():
        dist = ep.dist.name if ep.dist is not None else "?"
        _scan_module(catalog, ep.module, f"package:{dist}")
    for spec in imports:
        if discovery.is_file_spec(spec):
            path = Path(spec).expanduser()
            if path.is_file():
                _scan_file(catalog, path, f"file:{spec}")
        else:
            _scan_module(catalog, spec, f"module:{spec}")
    return catalog


def _builtin_files() -> list[Path]:
    spec = importlib.util.find_spec("plugins")
    if spec is None or not spec.submodule_search_locations:
        return []
    root = Path(next(iter(spec.submodule_search_locations)))
    return sorted(
        p for sub in ("activations", "losses", "layers") for p in (root / sub).glob("*.py")
    )


def module_file(module: str) -> Path | None:
    """The source file of a dotted module name, found without importing anything.

    ``importlib.util.find_spec("a.b")`` would import (run) package ``a``: slow when it imports
    torch, fatal when it is broken. Only the top-level name goes through ``find_spec`` (which
    runs nothing and sees editable installs); the rest is looked up on the package's path.
    """
    top, *rest = module.split(".")
    try:
        spec = importlib.util.find_spec(top)
        for depth in range(len(rest)):
            if spec is None or spec.submodule_search_locations is None:
                return None
            name = ".".join([top, *rest[: depth + 1]])
            spec = PathFinder.find_spec(name, list(spec.submodule_search_locations))
    except Exception:  # a broken or odd package: the real import reports it
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _scan_module(catalog: Catalog, module: str, origin: str) -> None:
    """Index a module, the packages above it (importing ``a.b`` runs ``a/__init__.py``) and the
    modules of its own package that it imports (``from . import activations``), each once."""
    parts = module.split(".")
    top = parts[0]
    seen: set[str] = set()
    todo = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    while todo:
        name = todo.pop()
        path = module_file(name)
        if name in seen or path is None:
            continue
        seen.add(name)
        tree = _scan_file(catalog, path, origin)
        if tree is not None:
            is_package = path.name == "__init__.py"
            todo += [m for m in _imported_modules(tree, name, is_package) if m.split(".")[0] == top]


def _imported_modules(tree: ast.Module, module: str, is_package: bool) -> list[str]:
    """Dotted names of the modules a module imports (relative ones resolved); for
    ``from a import b`` both ``a`` and ``a.b`` (``b`` may be a submodule)."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                if node.level - 1 >= len(parts):
                    continue
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            found.append(base)
            found += [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]
    return found


def _scan_file(catalog: Catalog, path: Path, origin: str) -> ast.Module | None:
    """Index the plugins registered in one file; returns its syntax tree (None if unreadable)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None  # the real import reports it, with the line
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    for node in classes.values():
        for deco in node.decorator_list:
            found = _registration(deco)
            if found is None:
                continue
            kind, name, aliases = found
            methods = _methods(node, classes)
            # framework.contract.function.RecurrentCellFunction's n_inputs and module_options, read
            # without torch
            recurrent = _derives_from(node, classes, "RecurrentCellFunction")
            n_inputs = _int_attr(node, "n_inputs") or (
                RECURRENT_N_INPUTS if recurrent else N_INPUTS[kind]
            )
            forward = methods.get("forward")
            try:
                signature = plugin_signature(
                    params_from_ast(forward) if forward else [],
                    params_from_ast(methods["init"]) if "init" in methods else None,
                    n_inputs,
                    RECURRENT_OPTIONS if recurrent else {},
                )
            except TypeError:
                continue  # the real import reports it
            if _declares(node, classes, "compact"):
                signature = with_compact(signature)
            summary = (ast.get_docstring(node) or "").strip().split("\n")[0]
            catalog.add(PluginInfo(kind, name, aliases, signature, origin, str(path), summary))
    return tree


def _declares(node: ast.ClassDef, classes: dict[str, ast.ClassDef], attribute: str) -> bool:
    """Whether the class (or a base class in the same file) assigns ``attribute`` in its body
    (``compact = IntervalTable(...)``) to something other than ``None``."""
    for item in node.body:
        targets = (
            item.targets
            if isinstance(item, ast.Assign)
            else (
                [item.target] if isinstance(item, ast.AnnAssign) and item.value is not None else []
            )
        )
        value = getattr(item, "value", None)
        if any(isinstance(t, ast.Name) and t.id == attribute for t in targets):
            return not (isinstance(value, ast.Constant) and value.value is None)
    return any(
        isinstance(b, ast.Name)
        and b.id in classes
        and b.id != node.name
        and _declares(classes[b.id], classes, attribute)
        for b in node.bases
    )


def _derives_from(node: ast.ClassDef, classes: dict[str, ast.ClassDef], base: str) -> bool:
    for b in node.bases:
        name = b.id if isinstance(b, ast.Name) else getattr(b, "attr", None)
        if name == base or (
            name in classes and name != node.name and _derives_from(classes[name], classes, base)
        ):
            return True
    return False


def _registration(deco: ast.expr) -> tuple[str, str, tuple[str, ...]] | None:
    if not (isinstance(deco, ast.Call) and deco.args):
        return None
    func = deco.func
    fname = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if fname not in DECORATORS or not isinstance(deco.args[0], ast.Constant):
        return None
    aliases: tuple[str, ...] = ()
    for kw in deco.keywords:
        if kw.arg == "aliases":
            try:
                aliases = tuple(ast.literal_eval(kw.value))
            except ValueError:
                aliases = ()
    return DECORATORS[fname], str(deco.args[0].value), aliases


def _methods(node: ast.ClassDef, classes: dict[str, ast.ClassDef]) -> dict[str, ast.FunctionDef]:
    """Methods of a class, including those of base classes defined in the same file."""
    found: dict[str, ast.FunctionDef] = {}
    for base in node.bases:
        if isinstance(base, ast.Name) and base.id in classes and base.id != node.name:
            found.update(_methods(classes[base.id], classes))
    found.update({f.name: f for f in node.body if isinstance(f, ast.FunctionDef)})
    return found


def _int_attr(node: ast.ClassDef, name: str) -> int | None:
    for stmt in node.body:
        if (
            isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)
            and isinstance(stmt.value, ast.Constant)
        ):
            return int(stmt.value.value)
    return None
