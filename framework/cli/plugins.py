"""``nn-plugins``: list, verify, benchmark and create plugins.

nn-plugins list [--kind activation|loss|layer]
nn-plugins check NAME... | --all
nn-plugins bench NAME... [--size 1000000]
nn-plugins new activation|loss|layer NAME [--dir DIR]
nn-plugins --imports my_plugins.py check my_act      (--imports is repeatable)

``check`` remembers its verdicts in a small JSON cache (``NN_PLUGINS_CACHE``, else
``$XDG_CACHE_HOME/nn-plugins/checks.json``, else ``~/.cache/nn-plugins/checks.json``), keyed by
kind, name and a hash of the plugin's source file, so that ``list`` shows whether each plugin
passed, failed, was never checked, or changed since (stale).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import inspect
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from framework.cli.version import add_version_argument

KINDS = ("activation", "loss", "layer")
CACHE_ENV = "NN_PLUGINS_CACHE"


def _parser() -> argparse.ArgumentParser:
    imports = argparse.ArgumentParser(add_help=False)
    imports.add_argument(
        "--imports",
        action="append",
        metavar="FILE_OR_MODULE",
        default=argparse.SUPPRESS,
        help="a plugin file (.py) or module to import first; repeatable",
    )
    parser = argparse.ArgumentParser(
        prog="nn-plugins",
        description="List the registered plugins (built-in, imported, installed packages), "
        "verify and benchmark their hand-written backward passes, start a new one.",
        parents=[imports],
    )
    add_version_argument(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p_list = sub.add_parser(
        "list",
        parents=[imports],
        help="every registered plugin: kind, parameters, origin, last check",
        description="Every registered plugin with its kind, parameters (with defaults), where it "
        "comes from (built-in, file:…, module:…, package:…) and the verdict of its last "
        "`nn-plugins check`: passed, FAILED, never, or stale (its source changed since). "
        f"Check results are cached in {cache_path()} (set {CACHE_ENV} to move it).",
    )
    p_list.add_argument("--kind", choices=KINDS, help="only plugins of this kind")
    p_list.add_argument("--json", action="store_true", help="print the list as JSON")
    p_check = sub.add_parser(
        "check",
        parents=[imports],
        help="gradcheck, gradgradcheck, agreement with the reference, edge inputs",
        description="Verify plugins: gradcheck and gradgradcheck in float64, agreement of the "
        "output and gradients with the reference (the native op, or autograd through the "
        "plugin's own forward) in float64/float32/bfloat16, edge inputs. Exit code 0 only if "
        "every check passes. NAME may be kind:name (e.g. layer:linear).",
    )
    _names(p_check, "check")
    p_check.add_argument(
        "--json", action="store_true", help="print every plugin's every check as JSON"
    )
    p_bench = sub.add_parser(
        "bench",
        parents=[imports],
        help="forward+backward time and saved-tensor bytes against the reference",
        description="Median forward+backward time (plugin and reference measured alternately "
        "in one run) and the bytes saved for backward (counted once per storage) of each "
        "plugin against its reference: its native op if it declares one, else autograd "
        "through its own forward. Ratios are plugin/reference.",
    )
    _names(p_bench, "bench")
    p_bench.add_argument(
        "--size",
        type=_positive_int,
        default=1_000_000,
        help="elements of the input (default 1000000)",
    )
    p_bench.add_argument(
        "--repeats", type=_positive_int, default=15, help="timed calls of each (default 15)"
    )
    p_bench.add_argument("--dtype", choices=("float32", "float64", "bfloat16"), default="float32")
    p_bench.add_argument(
        "--device", default=None, help="cpu, cuda, cuda:1 … (default: cuda if available)"
    )
    p_bench.add_argument(
        "--threads", type=_positive_int, default=None, help="CPU threads (default: torch's)"
    )
    p_new = sub.add_parser(
        "new",
        help="write a ready-to-fill plugin file that passes `check` as written",
        description="Write NAME.py: a plugin of the given kind that passes `nn-plugins check` "
        "as written (an identity activation, a scaled squared-error loss, a plain linear "
        "layer), with the formula in its docstring and TODO comments on what to change. "
        "Never overwrites a file.",
    )
    p_new.add_argument("kind", choices=KINDS, metavar="KIND", help="activation, loss or layer")
    p_new.add_argument("name", metavar="NAME", help="the plugin's name, a Python identifier")
    p_new.add_argument("--dir", default=".", help="where to write NAME.py (default: here)")
    return parser


def _names(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME")
    parser.add_argument("--all", action="store_true", help=f"{verb} every registered plugin")
    parser.add_argument("--kind", choices=KINDS, help="with --all: only plugins of this kind")


def _positive_int(text: str) -> int:
    try:
        value = int(float(text)) if "e" in text.lower() else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of ``nn-plugins``."""
    args = _parser().parse_args(argv)
    imports = getattr(args, "imports", [])
    if args.command == "new":  # no torch: the catalog knows the taken names
        return _new(args.kind, args.name, args.dir, imports)
    from framework.contract.discovery import PluginImportError, import_plugins

    try:
        for spec in imports:
            import_plugins(spec)
    except PluginImportError as exc:
        print(f"nn-plugins: error: {exc}", file=sys.stderr)
        return 2
    if args.command == "list":
        return _list(args.kind, args.json)
    if args.command == "bench":
        return _bench(args)
    return _check(args.names, args.all, args.kind, args.json)


# -- list -----------------------------------------------------------------------------------------
STATUS_STYLE = {"passed": "green", "FAILED": "red", "stale": "yellow", "never": "dim"}


def listing(kind: str | None = None) -> list[dict[str, Any]]:
    """Every registered plugin (of ``kind``): kind, name, aliases, parameters with their defaults
    (``required: True`` and no default for learnable ones), origin, last check's verdict.
    Defaults are the Python values (``jsonable`` turns them into JSON's)."""
    from framework.contract.registries import REGISTRIES
    from framework.contract.signature import REQUIRED, signature_of

    cache = read_cache()
    plugins = []
    for k in (kind,) if kind else KINDS:
        for entry in REGISTRIES[k].entries():
            params = signature_of(entry.cls).parameters
            plugins.append(
                {
                    "kind": k,
                    "name": entry.name,
                    "aliases": list(entry.aliases),
                    "parameters": [
                        {"name": n, "required": True}
                        if d is REQUIRED
                        else {"name": n, "required": False, "default": d}
                        for n, d in params.items()
                    ],
                    "origin": entry.origin,
                    "check": check_status(cache, k, entry.name, entry.cls),
                }
            )
    return plugins


def _list(kind: str | None, as_json: bool = False) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.text import Text

    from framework.cli.console import print_table
    from framework.contract.discovery import load_errors

    plugins = listing(kind)
    if as_json:
        errors = [{"source": e.source, "message": e.message} for e in load_errors]
        print(json.dumps(jsonable({"plugins": plugins, "load_errors": errors}), indent=2))
        return 0
    rows = []
    for p in plugins:
        params = p["parameters"]
        shown = ", ".join(
            q["name"] if q["required"] else f"{q['name']}={q['default']!r}" for q in params
        )
        name = p["name"] + (f" ({', '.join(p['aliases'])})" if p["aliases"] else "")
        status = Text(p["check"], style=STATUS_STYLE[p["check"]])
        rows.append([p["kind"], name, shown or "-", p["origin"], status])
    print_table("Registered plugins", ("kind", "name", "parameters", "origin", "check"), rows)
    console = Console(highlight=False)
    for err in load_errors:
        console.print(
            f"[red]failed to load[/red] {escape(f'{err.source}: {err.message}')}", soft_wrap=True
        )
    return 0


def jsonable(value: Any) -> Any:
    """``value`` as JSON can hold it: numbers, strings, booleans, null and lists as they are,
    infinities and other objects as their ``repr``."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return repr(value)


# -- the cache of check results -----------------------------------------------------------------
def cache_path() -> Path:
    """``$NN_PLUGINS_CACHE``, else ``$XDG_CACHE_HOME/nn-plugins/checks.json``, else
    ``~/.cache/nn-plugins/checks.json``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "nn-plugins" / "checks.json"


def source_hash(cls: type) -> tuple[str, str] | None:
    """(path, sha256) of the file defining a plugin class; None if it has no file."""
    try:
        path = inspect.getsourcefile(cls)
    except TypeError:
        return None
    return source_digest(path) if path else None


def source_digest(path: str | Path) -> tuple[str, str] | None:
    """(resolved path, sha256) of a plugin's source file, read without importing it; None if
    it cannot be read."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    return str(Path(path).resolve()), hashlib.sha256(data).hexdigest()[:16]


def _key(kind: str, name: str, digest: str) -> str:
    return f"{kind}:{name}:{digest}"


def read_cache() -> dict[str, Any]:
    """The cached check verdicts; an unreadable or corrupt cache counts as empty."""
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data.get("checks", {}) if isinstance(data, dict) else {}


def check_status(cache: dict[str, Any], kind: str, name: str, cls: type) -> str:
    """``passed``, ``FAILED``, ``never`` (checked), or ``stale`` (the source changed since)."""
    return status_of(cache, kind, name, source_hash(cls))


def status_of(cache: dict[str, Any], kind: str, name: str, source: tuple[str, str] | None) -> str:
    """The verdict for plugin ``name`` of ``kind`` whose source is ``source`` (path, digest):
    ``passed``, ``FAILED``, ``never`` (checked), or ``stale`` (a verdict exists for an earlier
    version of the same file)."""
    if source is None:
        return "never"
    path, digest = source
    record = cache.get(_key(kind, name, digest))
    if record is not None:
        return "passed" if record.get("passed") else "FAILED"
    prefix = f"{kind}:{name}:"
    earlier = [v for k, v in cache.items() if k.startswith(prefix) and isinstance(v, dict)]
    return "stale" if any(v.get("path") in (path, None) for v in earlier) else "never"


def record_checks(verdicts: list[tuple[str, str, type, bool]]) -> None:
    """Store (kind, name, class, passed) verdicts; older verdicts for the same file go."""
    checks = read_cache()
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    for kind, name, cls, passed in verdicts:
        found = source_hash(cls)
        if found is None:
            continue
        path, digest = found
        prefix = f"{kind}:{name}:"
        for old in [k for k, v in checks.items() if k.startswith(prefix) and v.get("path") == path]:
            del checks[old]
        checks[_key(kind, name, digest)] = {"passed": passed, "path": path, "checked": now}
    target = cache_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": 1, "checks": checks}, indent=1), encoding="utf-8")
        os.replace(tmp, target)  # atomic: a concurrent reader sees the old or the new file
    except OSError as exc:
        print(
            f"nn-plugins: warning: could not save check results to {target}: {exc}", file=sys.stderr
        )


# -- check ----------------------------------------------------------------------------------------
def _resolve(names: list[str], all_: bool, kind: str | None) -> list[tuple[str, str]]:
    from framework.contract.registries import REGISTRIES
    from framework.contract.registry import PluginNotFoundError
    from framework.front_door.suggest import unknown_name_message

    if all_:
        kinds = (kind,) if kind else KINDS
        return [(k, e.name) for k in kinds for e in REGISTRIES[k].entries()]
    targets: list[tuple[str, str]] = []
    for raw in names:
        k, _, name = raw.rpartition(":")
        kinds = (k,) if k else KINDS
        if k and k not in KINDS:
            raise PluginNotFoundError(f"unknown plugin kind {k!r} in {raw!r}; use one of {KINDS}")
        found = [(kk, name) for kk in kinds if name in REGISTRIES[kk]]
        if not found:
            every = sorted({n for kk in kinds for n in REGISTRIES[kk].names()})
            raise PluginNotFoundError(unknown_name_message("plugin", name, every))
        targets += found
    return targets


def _targets(
    command: str, names: list[str], all_: bool, kind: str | None
) -> list[tuple[str, str]] | None:
    """The (kind, name) pairs to work on; None after printing an error."""
    from framework.contract.registry import PluginNotFoundError

    if not names and not all_:
        print(
            f"nn-plugins {command}: error: name at least one plugin, or use --all", file=sys.stderr
        )
        return None
    try:
        return _resolve(names, all_, kind)
    except PluginNotFoundError as exc:
        print(f"nn-plugins: error: {exc}", file=sys.stderr)
        return None


def _check(names: list[str], all_: bool, kind: str | None, as_json: bool = False) -> int:
    from rich.console import Console

    from framework.contract.registries import REGISTRIES
    from framework.verification.checking import check_plugin

    console = Console(highlight=False)
    targets = _targets("check", names, all_, kind)
    if targets is None:
        return 2
    failed = 0
    verdicts = []
    plugins = []
    for k, name in targets:
        entry = REGISTRIES[k].entry(name)
        reports = check_plugin(k, name)
        all_passed = all(report.passed for report in reports)
        failed += not all_passed
        verdicts.append((k, entry.name, entry.cls, all_passed))
        plugins.append(_check_record(k, entry.name, all_passed, reports))
        if not as_json:
            _print_reports(console, k, name, reports)
    record_checks(verdicts)
    if as_json:
        summary = {"passed": len(targets) - failed, "failed": failed}
        print(json.dumps({"plugins": plugins, **summary}, indent=2))
    else:
        console.print(f"{len(targets) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _print_reports(console: Any, kind: str, name: str, reports: list[Any]) -> None:
    from rich.markup import escape

    for report in reports:
        params = escape(f" {report.params}") if report.params else ""
        if report.passed:
            skipped = [r for r in report.results if r.skipped]
            note = escape(f" ({len(skipped)} skipped: {skipped[0].detail})") if skipped else ""
            compact = [r.detail for r in report.results if r.check == "compact"]
            note += escape(f" ({compact[0]})") if compact else ""
            console.print(f"[green]PASS[/green] {kind} {name}{params}{note}")
            continue
        console.print(f"[red]FAIL[/red] {kind} {name}{params}")
        for checks, detail in _grouped(report.failures):
            console.print(f"    {checks}: {escape(detail)}", soft_wrap=True)


def _check_record(kind: str, name: str, passed: bool, reports: list[Any]) -> dict[str, Any]:
    """One plugin's verdict for ``check --json``: per parameter variant, every check's outcome
    (``passed``, ``failed`` or ``skipped``) and its message."""
    return {
        "kind": kind,
        "name": name,
        "passed": passed,
        "variants": [
            {
                "params": jsonable(report.params),
                "passed": report.passed,
                "checks": [
                    {
                        "check": r.check,
                        "status": "skipped" if r.skipped else "passed" if r.passed else "failed",
                        "message": r.detail,
                    }
                    for r in report.results
                ],
            }
            for report in reports
        ],
    }


def _grouped(failures: list[Any]) -> list[tuple[str, str]]:
    """Checks failing with the same message (a crash in backward fails them all): one line."""
    groups: dict[str, list[str]] = {}
    for r in failures:
        groups.setdefault(r.detail, []).append(r.check)
    return [(", ".join(checks), detail) for detail, checks in groups.items()]


# -- bench ----------------------------------------------------------------------------------------
def _bench(args: argparse.Namespace) -> int:
    import torch
    from rich.console import Console
    from rich.markup import escape

    from framework.cli.console import print_table
    from framework.verification.timing import bench_plugin, format_bytes, format_seconds

    targets = _targets("bench", args.names, args.all, args.kind)
    if targets is None:
        return 2
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError) as exc:
        print(f"nn-plugins bench: error: --device {device!r} is not usable: {exc}", file=sys.stderr)
        return 2
    dtype = getattr(torch, args.dtype)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = []
    errors = []
    for k, name in targets:
        try:
            b = bench_plugin(k, name, args.size, args.repeats, dtype, device)
        except Exception as exc:  # one broken plugin must not hide the others' numbers
            errors.append(f"{k} {name}: {type(exc).__name__}: {exc}")
            continue
        rows.append(
            [
                k,
                b.name,
                b.reference,
                " ".join("×".join(map(str, s)) for s in b.shapes),
                format_seconds(b.plugin_seconds),
                format_seconds(b.reference_seconds),
                _ratio(b.time_ratio),
                format_bytes(b.plugin_bytes),
                format_bytes(b.reference_bytes),
                _ratio(b.bytes_ratio),
            ]
        )
    right = ("time", "ref. time", "ratio", "saved", "ref. saved", "ratio")
    print_table(
        f"Forward+backward, median of {args.repeats} ({args.size:,} elements, "
        f"{args.dtype}, {device}); ratios are plugin/reference",
        ("kind", "plugin", "reference", "input", *((c, "right") for c in right)),
        rows,
    )
    console = Console(highlight=False)
    for err in errors:
        console.print(f"[red]failed[/red] {escape(err)}", soft_wrap=True)
    return 1 if errors else 0


def _ratio(r: float) -> Any:
    from rich.text import Text

    return Text(f"{r:.2f}×", style="green" if r <= 1.1 else "yellow" if r <= 2 else "red")


# -- new ------------------------------------------------------------------------------------------
def _new(kind: str, name: str, directory: str, imports: list[str]) -> int:
    from framework.cli.scaffold import ScaffoldError, write_plugin
    from framework.front_door.plugin_catalog import build_catalog

    try:
        taken = build_catalog(imports).names(kind)
        path = write_plugin(kind, name, directory, taken)
    except ScaffoldError as exc:
        print(f"nn-plugins new: error: {exc}", file=sys.stderr)
        return 2
    try:
        shown = str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        shown = str(path)
    option = {"activation": f"activation={name}", "loss": f"loss={name}"}.get(
        kind, f"model=sequential 'model.layers=[{{layer:{name},out_features:16}},act]'"
    )
    print(
        f"Wrote {shown}: the {kind} {name!r}, ready to fill in (the lines marked TODO).\n"
        f"It passes the checks as written. Next:\n"
        f"  nn-plugins --imports {shown} check {name}\n"
        f"  nn-train imports=[{shown}] {option}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
