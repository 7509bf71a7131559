"""``nn-plugins``: list registered plugins and verify their hand-written backward passes.

nn-plugins list [--kind activation|loss|layer]
nn-plugins check NAME... | --all
nn-plugins --imports my_plugins.py check my_act      (--imports is repeatable)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

KINDS = ("activation", "loss", "layer")


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
        description="List the registered plugins (built-in, imported, installed packages) and "
        "verify their hand-written backward passes.",
        parents=[imports],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p_list = sub.add_parser(
        "list", parents=[imports], help="every registered plugin with its kind and parameters"
    )
    p_list.add_argument("--kind", choices=KINDS, help="only plugins of this kind")
    p_check = sub.add_parser(
        "check",
        parents=[imports],
        help="gradcheck, gradgradcheck, agreement with the reference, edge inputs",
        description="Verify plugins: gradcheck and gradgradcheck in float64, agreement of the "
        "output and gradients with the reference (the native op, or autograd through the "
        "plugin's own forward) in float64/float32/bfloat16, edge inputs. Exit code 0 only if "
        "every check passes. NAME may be kind:name (e.g. layer:linear).",
    )
    p_check.add_argument("names", nargs="*", metavar="NAME")
    p_check.add_argument("--all", action="store_true", help="check every registered plugin")
    p_check.add_argument("--kind", choices=KINDS, help="with --all: only plugins of this kind")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of ``nn-plugins``."""
    args = _parser().parse_args(argv)
    from framework.discovery import PluginImportError, import_plugins

    try:
        for spec in getattr(args, "imports", []):
            import_plugins(spec)
    except PluginImportError as exc:
        print(f"nn-plugins: error: {exc}", file=sys.stderr)
        return 2
    if args.command == "list":
        return _list(args.kind)
    return _check(args.names, args.all, args.kind)


def _list(kind: str | None) -> int:
    from rich.console import Console
    from rich.table import Table

    from framework.discovery import load_errors
    from framework.registries import REGISTRIES
    from framework.signature import REQUIRED, signature_of

    table = Table(title="Registered plugins")
    for column in ("kind", "name", "parameters", "origin"):
        table.add_column(column)
    for k in (kind,) if kind else KINDS:
        for entry in REGISTRIES[k].entries():
            params = signature_of(entry.cls).parameters
            shown = ", ".join(n if d is REQUIRED else f"{n}={d!r}" for n, d in params.items())
            name = entry.name + (f" ({', '.join(entry.aliases)})" if entry.aliases else "")
            table.add_row(k, name, shown or "-", entry.origin)
    console = Console(width=max(Console().width, 120))
    console.print(table)
    for err in load_errors:
        console.print(f"[red]failed to load[/red] {err.source}: {err.message}")
    return 0


def _resolve(names: list[str], all_: bool, kind: str | None) -> list[tuple[str, str]]:
    from framework.registries import REGISTRIES
    from framework.registry import PluginNotFoundError, unknown_name_message

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


def _check(names: list[str], all_: bool, kind: str | None) -> int:
    from rich.console import Console

    from framework.checking import check_plugin
    from framework.registry import PluginNotFoundError

    console = Console(highlight=False)
    if not names and not all_:
        print("nn-plugins check: error: name at least one plugin, or use --all", file=sys.stderr)
        return 2
    try:
        targets = _resolve(names, all_, kind)
    except PluginNotFoundError as exc:
        print(f"nn-plugins: error: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for k, name in targets:
        for report in check_plugin(k, name):
            params = f" {report.params}" if report.params else ""
            if report.passed:
                skipped = [r for r in report.results if r.skipped]
                note = f" ({len(skipped)} skipped: {skipped[0].detail})" if skipped else ""
                console.print(f"[green]PASS[/green] {k} {name}{params}{note}")
                continue
            failed += 1
            console.print(f"[red]FAIL[/red] {k} {name}{params}")
            for r in report.failures:
                console.print(f"    {r.check}: {r.detail}", soft_wrap=True)
    total = sum(1 for _ in targets)
    console.print(f"{total - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
