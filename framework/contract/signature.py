"""What a signature says about its parameters: one representation, read from code or from source.

A plugin's ``forward(x, weight, bias, stride=1)``: the first ``n_inputs`` arguments are the data
(``x``, or ``input, target`` for a loss); the following arguments without a default are learnable
tensors owned by the Module and created by ``init``; arguments with a default are options, set
from the config (``activation.negative_slope=0.1``). ``init(in_features, out_features,
bias=True)`` takes the options that shape the learnable tensors. An option called ``training`` is
filled with the Module's train/eval mode. A class attribute ``module_options`` lists parameters
that the Module itself reads (a recurrent layer's ``num_layers``). A plugin declaring
``compact`` (``framework.contract.compact``) has the option ``compact=False``.

The same facts are read two ways, into the same ``Param`` and ``PluginSignature``: from a class
at run time (``signature_of``, with ``inspect``) and from source before anything is imported
(``params_from_ast``, used by ``framework.front_door.plugin_catalog`` and
``framework.front_door.class_signature``). The rules that turn parameters into inputs, learnables
and options (``plugin_signature``) exist once. This module imports no torch.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass, field
from typing import Any

REQUIRED = inspect.Parameter.empty


@dataclass(frozen=True)
class Param:
    """One parameter: its name, default (``REQUIRED`` if none) and annotation (source text).

    ``variadic`` marks ``*args`` (``"*"``) and ``**kwargs`` (``"**"``)."""

    name: str
    default: Any = REQUIRED
    annotation: str = ""
    variadic: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def kinds(self) -> frozenset[str] | None:
        """The kinds of config value it takes (``number``, ``integer``, ``bool``, ``string``,
        ``list``, ``mapping``, ``null``), from its annotation or else its default; ``None`` when
        they cannot be told (no annotation, no default, or a type a config cannot spell)."""
        if self.annotation:
            return kinds_of_annotation(self.annotation)
        default = self.default
        if default is REQUIRED or default is None:
            return None
        if isinstance(default, bool):
            return frozenset({"bool"})
        if isinstance(default, int | float):  # ``alpha=1`` usually means a real number too
            return frozenset({"number"})
        if isinstance(default, str):
            return frozenset({"string"})
        if isinstance(default, list | tuple):
            return frozenset({"list"})
        return None

    def describe(self) -> str:
        """``b: float = 4.0``, as in the source."""
        text = self.name + (f": {self.annotation}" if self.annotation else "")
        return text if self.required else f"{text} = {self.default!r}"


_KINDS = {
    "float": {"number"},
    "int": {"integer"},
    "bool": {"bool"},
    "str": {"string"},
    "None": {"null"},
    "NoneType": {"null"},
    "list": {"list"},
    "tuple": {"list"},
    "Sequence": {"list"},
    "List": {"list"},
    "Tuple": {"list"},
    "dict": {"mapping"},
    "Dict": {"mapping"},
    "Mapping": {"mapping"},
    "Literal": {"string"},
}
_WRAPPERS = {"Optional", "Union", "typing", "_PATH", "Path", "PathLike", "os"}


def kinds_of_annotation(annotation: str) -> frozenset[str] | None:
    """The config kinds an annotation allows, or ``None`` if any of its parts is unknown."""
    try:
        tree = ast.parse(annotation, mode="eval").body
    except SyntaxError:
        return None
    kinds: set[str] = set()
    for part in _union_parts(tree):
        if isinstance(part, ast.Constant) and part.value is None:
            kinds.add("null")
            continue
        head = part.value if isinstance(part, ast.Subscript) else part
        name = head.id if isinstance(head, ast.Name) else getattr(head, "attr", None)
        if name in ("Path", "PathLike", "_PATH"):
            kinds.add("string")
        elif name in _KINDS:
            kinds |= _KINDS[name]
        else:
            return None  # a Tensor, a class, Any: a config cannot be checked against it
    return frozenset(kinds) or None


def _union_parts(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_parts(node.left) + _union_parts(node.right)
    if isinstance(node, ast.Subscript):
        head = node.value
        name = head.id if isinstance(head, ast.Name) else getattr(head, "attr", None)
        if name in ("Optional", "Union"):
            inner = node.slice
            parts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            extra = [ast.Constant(None)] if name == "Optional" else []
            return [p for q in parts for p in _union_parts(q)] + extra
    return [node]


def kind_of_value(value: Any) -> str:
    """The kind of one config value (as ``Param.kinds`` names them)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def accepts(param: Param, value: Any) -> bool:
    """Whether ``value`` (plain Python, from a config) suits ``param``'s type."""
    kinds = param.kinds
    if kinds is None or (isinstance(value, str) and "${" in value):  # interpolations: later
        return True
    kind = kind_of_value(value)
    return kind in kinds or (kind == "integer" and "number" in kinds)


KIND_WORDS = {
    "number": "a number",
    "integer": "a whole number",
    "bool": "true or false",
    "string": "a string",
    "list": "a list",
    "mapping": "a mapping",
    "null": "null",
}


def expected_words(param: Param) -> str:
    """``"a number"``, ``"a whole number or null"``: what ``accepts`` wants, in words."""
    kinds = set(param.kinds or ())
    if "number" in kinds:
        kinds.discard("integer")
    order = ["number", "integer", "bool", "string", "list", "mapping", "null"]
    return " or ".join(KIND_WORDS[k] for k in order if k in kinds)


@dataclass(frozen=True)
class PluginSignature:
    """Inputs, learnable tensors and options (name -> default, ``REQUIRED`` if none)."""

    inputs: tuple[str, ...]
    learnables: tuple[str, ...]
    options: dict[str, Any]  # forward options
    init_options: dict[str, Any]  # init arguments
    module_options: dict[str, Any] = field(default_factory=dict)  # read by the Module alone
    described: dict[str, Param] = field(default_factory=dict)  # every parameter, with its type

    @property
    def parameters(self) -> dict[str, Any]:
        """Every user-settable parameter: init arguments, then forward and Module options."""
        return {name: p.default for name, p in self.settable.items()}

    @property
    def settable(self) -> dict[str, Param]:
        """``parameters`` as ``Param``s (name, default, annotation)."""
        names = [*self.init_options, *self.module_options]
        names += [n for n in self.options if n != "training" and n not in names]
        return {n: self.described[n] for n in names}


def plugin_signature(
    forward: list[Param], init: list[Param] | None, n_inputs: int, module_options: dict[str, Any]
) -> PluginSignature:
    """Sort a plugin's ``forward`` and ``init`` parameters into inputs, learnables, options."""
    if any(p.variadic for p in forward):
        raise TypeError("forward must list its arguments (no *args/**kwargs)")
    inputs = tuple(p.name for p in forward[:n_inputs])
    rest = forward[n_inputs:]
    learnables = tuple(p.name for p in rest if p.required)
    options = {p.name: p.default for p in rest if not p.required}
    init_params = [p for p in (init or []) if not p.variadic]
    described = {p.name: p for p in rest if not p.required}
    described.update({p.name: p for p in init_params})
    described.update({n: Param(n, d) for n, d in module_options.items()})
    return PluginSignature(
        inputs,
        learnables,
        options,
        {p.name: p.default for p in init_params},
        dict(module_options),
        described,
    )


def params_of(func: Any, skip_self: bool = False) -> list[Param]:
    """The parameters of a Python callable (``inspect``), as ``Param``s."""
    found = []
    for p in inspect.signature(func).parameters.values():
        annotation = p.annotation
        text = "" if annotation is REQUIRED else _annotation_text(annotation)
        variadic = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "")
        found.append(Param(p.name, p.default, text, variadic))
    return found[1:] if skip_self else found


def _annotation_text(annotation: Any) -> str:
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, type):
        return annotation.__name__
    return re.sub(r"\btyping\.", "", str(annotation))


def params_from_ast(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Param]:
    """The parameters of a function in source (``ast``), as ``Param``s: defaults as values
    where they are literals, else as their source text."""
    args = func.args
    positional = args.posonlyargs + args.args
    defaults: list[Any] = [REQUIRED] * (len(positional) - len(args.defaults))
    defaults += [literal(d) for d in args.defaults]
    found = [
        Param(a.arg, d, ast.unparse(a.annotation) if a.annotation else "")
        for a, d in zip(positional, defaults, strict=True)
    ]
    if args.vararg:
        found.append(Param(args.vararg.arg, variadic="*"))
    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        found.append(
            Param(a.arg, REQUIRED if d is None else literal(d), ast.unparse(a.annotation or ""))
            if a.annotation
            else Param(a.arg, REQUIRED if d is None else literal(d))
        )
    if args.kwarg:
        found.append(Param(args.kwarg.arg, variadic="**"))
    return found


class SourceText(str):
    """A default that is not a literal (``os.getcwd()``): its source text."""

    def __repr__(self) -> str:
        return str(self)


def literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return SourceText(ast.unparse(node))


def signature_of(cls: type) -> PluginSignature:
    """Read a plugin class's parameters from its ``forward`` and ``init`` (at run time)."""
    init = getattr(cls, "init", None)
    try:
        signature = plugin_signature(
            params_of(cls.forward),
            params_of(init) if init else None,
            getattr(cls, "n_inputs", 1),
            dict(getattr(cls, "module_options", {})),
        )
    except TypeError as exc:
        raise TypeError(f"{cls.__qualname__}.{exc}") from None
    return with_compact(signature) if getattr(cls, "compact", None) is not None else signature


def with_compact(signature: PluginSignature) -> PluginSignature:
    """A plugin that declares ``compact`` (``framework.contract.compact``) takes ``compact=False``:
    the Module picks the compact Function by it (it is not an argument of ``forward``)."""
    signature.options.setdefault("compact", False)
    signature.described.setdefault("compact", Param("compact", False, "bool"))
    return signature
