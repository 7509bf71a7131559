"""Before Hydra composes: read the command line, put the plugin options on the search path, check
choices.

``activation=NAME`` must work for plugins that exist only after ``imports=`` or in an installed
package, so every plugin found by the torch-free catalog becomes an option of its group
(``activation/NAME`` = its name and parameter defaults) and every file in ``experiments/`` an
option of the ``experiment`` group: YAML files in a cached directory on Hydra's search path
(``framework.front_door.config_nodes``). A choice naming an unknown option
(``activation=rleu``) is said here, with close matches, where Hydra would fail to find it.
Every ``key=value`` that is not a group choice is given to Hydra as ``++key=value`` (add or
override): a misspelt key then reaches ``framework.front_door.validation``, which names the key it
meant, instead of Hydra's "Key 'hiden' is not in struct" (or, with ``+``, a key silently ignored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from framework.errors import ConfigError
from framework.front_door.config_nodes import AUTO_LOSS, PLUGIN_GROUPS, activate
from framework.front_door.plugin_catalog import Catalog, build_catalog
from framework.front_door.suggest import unknown_option_message
from framework.paths import CONF_DIR, EXPERIMENTS_DIR

FILE_GROUPS = (
    "model",
    "data",
    "optimizer",
    "scheduler",
    "trainer",
    "debug",
    "hparams_search",
    "log",
    "logger",
    "cluster",
)
MULTI_GROUPS = ("logger",)  # logger=[tensorboard,csv]: several options at once
GROUPS = (*PLUGIN_GROUPS, *FILE_GROUPS, "experiment")


def force_add(argv: list[str]) -> list[str]:
    """``key=value`` and ``+key=value`` as ``++key=value`` for every key that is not a group
    choice, a deletion (``~key``) or Hydra's own (``hydra.…``)."""
    forced = []
    for arg in argv:
        key, eq, _ = arg.partition("=")
        bare = key.lstrip("+")
        if (
            eq
            and not arg.startswith(("-", "~"))
            and bare
            and bare not in GROUPS
            and "/" not in bare
            and not bare.startswith("hydra")
        ):
            arg = f"++{bare}{arg[len(key) :]}"
        forced.append(arg)
    return forced


@dataclass
class CommandLine:
    """What the user typed: overrides (parsed by Hydra's grammar) and flags."""

    overrides: list[Any]
    multirun: bool
    wants_help: bool
    raw: list[str] = field(default_factory=list)


def parse_command_line(argv: list[str]) -> CommandLine:
    """Split argv with Hydra's own argument parser and override grammar."""
    from hydra._internal.utils import get_args_parser
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    args, _ = get_args_parser().parse_known_args(argv)
    parser = OverridesParser.create()
    try:
        overrides = parser.parse_overrides(args.overrides)
    except OverrideParseException as exc:
        raise ConfigError(_unparsable(parser, args.overrides, exc)) from None
    wants_help = bool(args.help or args.hydra_help or args.cfg or args.info)
    return CommandLine(overrides, bool(args.multirun), wants_help, list(args.overrides))


def _unparsable(parser: Any, raw: list[str], exc: Exception) -> str:
    """One paragraph on the first override Hydra's grammar rejects; a plain ``key=value``
    whose value holds a character the grammar reserves (``^``, ``$``, ``#``, a space …) is told
    to quote it, which is what Hydra's own docs advise."""
    from hydra.errors import OverrideParseException

    detail = " ".join(str(exc).split("\n")[0].split())
    for text in raw:
        try:
            parser.parse_overrides([text])
        except OverrideParseException:
            key, sep, value = text.partition("=")
            key = key.lstrip("+")  # force_add's ++: every plain key takes it
            shown = f"{key}{sep}{value}"
            if sep and value and key and not set(value) & set("'\"[]{}(),"):
                return (
                    f"cannot parse {shown!r}: Hydra's override grammar does not take that value "
                    f"unquoted ({detail}). Quote it, with shell quotes around the whole argument: "
                    f"'{key}=\"{value}\"'"
                )
            return f"cannot parse {shown!r}: {detail}; see nn-train --help for the syntax"
    return f"cannot parse the command line: {detail}"


def values_of(override: Any) -> list[Any]:
    """The value, or every value of a sweep (``activation=relu,tanh``)."""
    if override.is_sweep_override():
        return list(override.sweep_iterator())
    return [override.value()]


def experiment_file(name: str) -> Path:
    return EXPERIMENTS_DIR / f"{name}.yaml"


def group_options(group: str, catalog: Catalog) -> list[str]:
    if group == "loss":
        return [AUTO_LOSS, *catalog.names(group)]
    if group in PLUGIN_GROUPS:
        return catalog.names(group)
    folder = EXPERIMENTS_DIR if group == "experiment" else CONF_DIR / group
    return sorted(p.stem for p in folder.glob("*.yaml"))


def requested_imports(cmd: CommandLine) -> list[str]:
    """``imports`` from the command line and from a chosen experiment file."""
    found: list[str] = []
    for ov in cmd.overrides:
        key = ov.key_or_group.lstrip("+~")
        if key == "imports":
            for value in values_of(ov):
                found += [str(v) for v in (value if isinstance(value, list) else [value])]
        elif key == "experiment":
            for value in values_of(ov):
                path = experiment_file(str(value))
                if path.is_file():
                    found += [str(v) for v in OmegaConf.load(path).get("imports", []) or []]
    return list(dict.fromkeys(found))


def register_config_nodes(catalog: Catalog) -> None:
    """Plugins and experiments become options of their Hydra config groups: YAML files in a
    cached directory that Hydra's search path gets from then on."""
    try:
        activate(catalog)
    except OSError as exc:
        raise ConfigError(str(exc)) from None


def prepare(argv: list[str]) -> tuple[CommandLine, Catalog]:
    """Everything before Hydra: parse, index plugins, register nodes, check the overrides."""
    cmd = parse_command_line(argv)
    imports = requested_imports(cmd)
    check_imports(imports)
    catalog = build_catalog(imports)
    register_config_nodes(catalog)
    if not cmd.wants_help:
        check_choices(cmd, catalog)
    return cmd, catalog


def check_imports(imports: list[str]) -> None:
    """Each ``imports`` entry is an existing .py file or a findable module (not imported yet)."""
    from framework.contract.discovery import PluginImportError, locate

    for spec in imports:
        try:
            locate(spec)
        except PluginImportError as exc:
            raise ConfigError(str(exc)) from None


def check_choices(cmd: CommandLine, catalog: Catalog) -> None:
    """Each group choice (``activation=NAME``, ``data=NAME`` …) names an option of the group."""
    for ov in cmd.overrides:
        key = ov.key_or_group.lstrip("+~")
        if key in GROUPS and not ov.is_delete():
            valid = group_options(key, catalog)
            for value in values_of(ov):
                if value is None and key == "experiment":
                    continue
                several = key in MULTI_GROUPS and isinstance(value, list) and value
                for one in value if several else [value]:
                    if not isinstance(one, str) or one not in valid:
                        raise ConfigError(unknown_option_message(key, one, valid))
