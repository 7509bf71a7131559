"""Before Hydra composes: read the command line, register plugin config nodes, check overrides.

``activation=NAME`` must work for plugins that exist only after ``imports=`` or in an installed
package, so every plugin found by the torch-free catalog becomes a config node
(``activation/NAME`` = its name and parameter defaults) in Hydra's ConfigStore, and every file in
``experiments/`` becomes an option of the ``experiment`` group. Overrides naming an unknown option
or parameter are rejected here, with close matches, before anything heavy is imported.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from framework.catalog import REQUIRED, Catalog, build_catalog
from framework.errors import ConfigError
from framework.paths import CONF_DIR, EXPERIMENTS_DIR
from framework.registry import unknown_name_message

PLUGIN_GROUPS = ("activation", "loss")
AUTO_LOSS = "auto"
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
    try:
        overrides = OverridesParser.create().parse_overrides(args.overrides)
    except OverrideParseException as exc:
        raise ConfigError(f"cannot parse the command line: {exc}") from None
    wants_help = bool(args.help or args.hydra_help or args.cfg or args.info)
    return CommandLine(overrides, bool(args.multirun), wants_help, list(args.overrides))


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
    """Plugins and experiments become options of their Hydra config groups."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    # loss=auto (the default) picks the loss that fits the task once the data is known
    store.store(group="loss", name=AUTO_LOSS, node={"name": AUTO_LOSS}, provider="plugins")
    for kind in PLUGIN_GROUPS:
        for name in catalog.names(kind):
            info = catalog.get(kind, name)
            assert info is not None
            params = {k: ("???" if v == REQUIRED else v) for k, v in info.params.items()}
            store.store(group=kind, name=name, node={"name": name, **params}, provider="plugins")
    for path in sorted(EXPERIMENTS_DIR.glob("*.yaml")):
        store.store(
            group="experiment",
            name=path.stem,
            node=OmegaConf.load(path),
            package="_global_",
            provider="experiments",
        )


def prepare(argv: list[str]) -> tuple[CommandLine, Catalog]:
    """Everything before Hydra: parse, index plugins, register nodes, check the overrides."""
    cmd = parse_command_line(argv)
    imports = requested_imports(cmd)
    check_imports(imports)
    catalog = build_catalog(imports)
    register_config_nodes(catalog)
    if not cmd.wants_help:
        check_overrides(cmd, catalog)
    return cmd, catalog


def check_imports(imports: list[str]) -> None:
    """Each ``imports`` entry is an existing .py file or a findable module (not imported yet)."""
    from framework.discovery import PluginImportError, locate

    for spec in imports:
        try:
            locate(spec)
        except PluginImportError as exc:
            raise ConfigError(str(exc)) from None


def check_overrides(cmd: CommandLine, catalog: Catalog) -> None:
    """Unknown group options and unknown plugin parameters, with close matches."""
    chosen: dict[str, list[str]] = {}
    for ov in cmd.overrides:
        key = ov.key_or_group.lstrip("+~")
        if key in (*PLUGIN_GROUPS, *FILE_GROUPS, "experiment") and not ov.is_delete():
            valid = group_options(key, catalog)
            for value in values_of(ov):
                if value is None and key == "experiment":
                    continue
                several = key in MULTI_GROUPS and isinstance(value, list) and value
                for one in value if several else [value]:
                    if not isinstance(one, str) or one not in valid:
                        raise ConfigError(_unknown_option(key, one, valid))
            chosen[key] = [str(v) for v in values_of(ov)]
    for ov in cmd.overrides:
        key = ov.key_or_group.lstrip("+~")
        group, _, param = key.partition(".")
        if group in PLUGIN_GROUPS and param and "." not in param:
            for name in chosen.get(group) or [_default_choice(group, cmd)]:
                info = catalog.get(group, name)
                if info is not None and param not in info.params:
                    raise ConfigError(_unknown_param(group, name, param, info.params))


def _default_choice(group: str, cmd: CommandLine) -> str:
    """The option a group gets when the command line does not choose one."""
    for ov in cmd.overrides:
        if ov.key_or_group == "experiment" and not ov.is_sweep_override():
            path = experiment_file(str(ov.value()))
            if path.is_file():
                for item in OmegaConf.load(path).get("defaults", []) or []:
                    if isinstance(item, dict) or OmegaConf.is_dict(item):
                        for k, v in item.items():
                            if k.split()[-1].strip("/") == group:
                                return str(v)
    primary = OmegaConf.load(CONF_DIR / "config.yaml")
    for item in primary.defaults:
        if OmegaConf.is_dict(item) and group in item:
            return str(item[group])
    return ""


def _unknown_option(group: str, value: object, valid: list[str]) -> str:
    if group in PLUGIN_GROUPS:
        return unknown_name_message(group, value, valid)
    close = difflib.get_close_matches(str(value), valid, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"Unknown {group} {value!r}.{hint} Valid options for {group}=: {', '.join(valid)}."


def _unknown_param(
    group: str, name: str, param: str, params: dict[str, Any], prefix: str | None = None
) -> str:
    close = difflib.get_close_matches(param, list(params), n=1, cutoff=0.6)
    prefix = f"{group}." if prefix is None else prefix
    hint = f" Did you mean {prefix}{close[0]}?" if close else ""
    listed = ", ".join(
        f"{k} (required)" if v == REQUIRED else f"{k} (default {v!r})" for k, v in params.items()
    )
    return f"{group} {name!r} has no parameter {param!r}.{hint} Its parameters: {listed or 'none'}."
