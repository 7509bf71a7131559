"""The one gate: the composed config checked against the schema its parts declare (torch-free).

Every key of the composed config, at any depth, must be one that something reads: the primary
config's own keys (``conf/config.yaml``), a plugin's parameters
(``framework.front_door.plugin_catalog``), a model builder's keys (``framework.models.catalog``), a
data module's or optimizer's or Lightning Trainer's or logger's arguments (their signatures, read
from source by ``framework.front_door.class_signature``), the ``log`` switches
(``conf/log/default.yaml``). Each value must have the type its signature or rule asks for. The first
mistake is one ``ConfigError`` paragraph naming the full dotted key, the bad value, what is valid
and the closest match.

A new key is one entry where it is read: a model builder's key in ``MODEL_KEYS``, a data
module's argument in its ``__init__``, a top-level key in ``conf/config.yaml`` (its type from its
default, or a rule in ``TOP_RULES``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from framework.contract.signature import REQUIRED, Param, accepts, expected_words
from framework.data.catalog import DATA_RULES, DATASETS, SET_BY_NN_TRAIN, TABLES
from framework.errors import ConfigError
from framework.front_door import rules
from framework.front_door.class_signature import class_signature
from framework.front_door.monitor import METRICS
from framework.front_door.plugin_catalog import Catalog
from framework.front_door.suggest import closest, did_you_mean, unknown_param_message
from framework.front_door.trainer_args import RESERVED, reserved_message
from framework.models.catalog import MODEL_KEYS, MODELS
from framework.paths import CONF_DIR

AUTO_LOSS = "auto"
PLUGIN_GROUPS = ("activation", "loss")
MISSING = "???"
SEED_MAX = 2**32 - 1  # numpy's (and so Lightning's seed_everything's) range

TOP_RULES: dict[str, rules.Rule] = {
    "imports": rules.strings(),
    "threshold": rules.number(nullable=True),
    "monitor": rules.string(),
    "seed": rules.integer_in(0, SEED_MAX),
    "ckpt_path": rules.string(nullable=True),
    "overwrite": rules.boolean(),
    "train": rules.boolean(),
    "test": rules.boolean(),
}
TRAINER_RULES: dict[str, rules.Rule] = {
    "max_epochs": lambda key, value, catalog: (
        None
        if value is None or (rules.is_int(value) and value >= -1)
        else f"{key}={value!r} must be a whole number of epochs (-1 for no limit)"
    ),
}
OPTIMIZER_RULES: dict[str, rules.Rule] = {"lr": rules.positive()}
# arguments nn-train passes itself to what a ``_target_`` names
PASSED = {"optimizer": ("params",), "scheduler": ("optimizer",)}


@dataclass
class Section:
    """The keys one part of the config may hold: each with a rule, or a nested ``Section``.

    ``what`` names the part in messages (``model=mlp``, ``torch.optim.Adam``); ``params`` are
    the signature behind it (for ``b: float = 4.0 in squareplus.py``); ``open`` accepts keys it
    does not list (a class taking ``**kwargs`` that cannot be followed)."""

    what: str
    keys: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Param] = field(default_factory=dict)
    source: str = ""
    open: bool = False
    unknown: Any = None  # (dotted key, name) -> message, for parts with their own wording


def validate_config(cfg: DictConfig, catalog: Catalog) -> None:
    """Raise ``ConfigError`` for the first mistake in the composed config."""
    plain = OmegaConf.to_container(cfg, resolve=False)
    assert isinstance(plain, dict)
    message = first_problem(plain, catalog)
    if message:
        raise ConfigError(message)


def first_problem(config: dict[str, Any], catalog: Catalog) -> str | None:
    """The paragraph for the first mistake in ``config`` (plain, unresolved), or ``None``."""
    schema = schema_for(config, catalog)
    problem = _walk(config, schema, "", catalog, schema)
    return problem or _across(config, catalog)


# -- the schema of one composed config ------------------------------------------------------------
def schema_for(config: dict[str, Any], catalog: Catalog) -> Section:
    """The top-level ``Section`` for ``config``: which keys it may hold depends on the chosen
    options (a model's keys, an optimizer's arguments …)."""
    keys: dict[str, Any] = dict(_primary_keys())
    keys.update(TOP_RULES)
    for group in PLUGIN_GROUPS:
        keys[group] = _plugin_section(group, config.get(group), catalog)
    keys["model"] = _model_section(config.get("model"))
    keys["data"] = _data_section(config.get("data"))
    keys["optimizer"] = _target_section("optimizer", config.get("optimizer"), OPTIMIZER_RULES)
    keys["scheduler"] = _target_section("scheduler", config.get("scheduler"), {})
    keys["trainer"] = _trainer_section()
    keys["log"] = _log_section()
    keys["logger"] = _named_targets("logger", config.get("logger"), check_args=True)
    keys["callbacks"] = _named_targets("callbacks", config.get("callbacks"), check_args=False)
    keys["checkpoint"] = Section(
        "checkpoint", {"every_n_train_steps": rules.positive_int(nullable=True)}
    )
    return Section("the config (conf/config.yaml)", keys)


@functools.cache
def _primary_keys() -> dict[str, rules.Rule]:
    """``conf/config.yaml``'s own keys, each typed by its default (``TOP_RULES`` refine them)."""
    primary = OmegaConf.to_container(OmegaConf.load(CONF_DIR / "config.yaml"), resolve=False)
    assert isinstance(primary, dict)
    found: dict[str, rules.Rule] = {}
    for key, default in primary.items():
        if key in ("defaults", "hydra"):
            continue
        if isinstance(default, bool):
            found[key] = rules.boolean()
        elif isinstance(default, int):
            found[key] = rules.number()
        elif isinstance(default, str):
            found[key] = rules.string()
        else:
            found[key] = rules.anything()
    return found


def _plugin_section(group: str, node: Any, catalog: Catalog) -> Any:
    if not isinstance(node, dict) or "name" not in node:
        return lambda key, value, c: f"{group}: no {group} chosen; use {group}=NAME"
    name = node["name"]
    if group == "loss" and name == AUTO_LOSS:
        return Section("loss=auto", {"name": rules.anything()})
    info = catalog.get(group, name)
    if info is None:
        return rules.plugin_name(group)  # reports the unknown name on ``group`` itself
    settable = info.settable
    return Section(
        f"{group} {name!r}",
        {"name": rules.anything(), **{p: None for p in settable}},
        params=settable,
        source=Path(info.path).name,
        unknown=lambda key, bad: unknown_param_message(group, name, bad, info.params),
    )


def _model_section(node: Any) -> Any:
    name = node.get("name") if isinstance(node, dict) else None
    if name not in MODEL_KEYS:
        return {"name": rules.choice(*MODELS)}
    return Section(f"model={name}", {"name": rules.choice(*MODELS), **MODEL_KEYS[name]})


def _data_section(node: Any) -> Any:
    name = node.get("name") if isinstance(node, dict) else None
    if name not in DATASETS:
        return {"name": rules.choice(*DATASETS)}
    target = DATASETS[name].target
    signature = class_signature(target)
    keys: dict[str, Any] = {"name": rules.choice(*DATASETS)}
    params: dict[str, Param] = {}
    if signature is not None:
        params = {p.name: p for p in signature.params if p.name not in SET_BY_NN_TRAIN}
        keys.update({p: DATA_RULES.get(p) for p in params})
    return Section(
        f"data={name}",
        keys,
        params=params,
        source=target.replace(":", "."),
        open=signature is None or signature.open,
    )


def _target_section(group: str, node: Any, extra: dict[str, rules.Rule]) -> Section:
    """A node instantiated from its ``_target_`` (optimizer, scheduler): the target's arguments,
    less those nn-train passes itself."""
    target = node.get("_target_") if isinstance(node, dict) else None
    keys: dict[str, Any] = {"_target_": rules.string(), "_partial_": rules.boolean()}
    if not target:
        return Section(group, keys, open=bool(node))
    signature = class_signature(str(target))
    if signature is None:
        return Section(str(target), keys, open=True)
    params = {p.name: p for p in signature.params if p.name not in PASSED.get(group, ())}
    keys.update({p: extra.get(p) for p in params})
    return Section(str(target), keys, params=params, source=str(target), open=signature.open)


def _trainer_section() -> Section:
    signature = class_signature("lightning.pytorch.Trainer")
    if signature is None:  # no Lightning source to read: Lightning itself checks later
        return Section("lightning.pytorch.Trainer", dict(TRAINER_RULES), open=True)
    params = {p.name: p for p in signature.params}
    keys: dict[str, Any] = {p: TRAINER_RULES.get(p) for p in params}
    for name in RESERVED:
        keys[name] = lambda key, value, c: reserved_message(key.rpartition(".")[2])
    return Section(
        "lightning.pytorch.Trainer",
        keys,
        params=params,
        source="lightning.pytorch.Trainer",
        open=signature.open,
        unknown=_unknown_trainer_argument,
    )


def _unknown_trainer_argument(key: str, bad: str) -> str:
    signature = class_signature("lightning.pytorch.Trainer")
    valid = [n for n in (signature.names() if signature else []) if n not in RESERVED]
    hint = did_you_mean(closest(bad, valid, n=2), "trainer.")
    return (
        f"{key} is not an argument of lightning.pytorch.Trainer.{hint} "
        f"Valid arguments: {', '.join(valid)}."
    )


@functools.cache
def _log_keys() -> dict[str, rules.Rule]:
    """The ``log`` switches and intervals: the keys of ``conf/log/default.yaml``."""
    default = OmegaConf.to_container(OmegaConf.load(CONF_DIR / "log" / "default.yaml"))
    assert isinstance(default, dict)
    return {
        k: rules.boolean() if isinstance(v, bool) else rules.positive_int()
        for k, v in default.items()
    }


def _log_section() -> Section:
    return Section("log", {"defaults": rules.anything(), **_log_keys()}, unknown=_unknown_log)


def _unknown_log(key: str, bad: str) -> str:
    valid = list(_log_keys())
    hint = did_you_mean(closest(bad, valid, n=1), "log.")
    return f"{key} is not a logging option.{hint} Valid options: {', '.join(valid)}"


def _named_targets(group: str, node: Any, check_args: bool) -> Any:
    """``logger.NAME`` / ``callbacks.NAME``: free names, each created from its ``_target_``."""
    if node is None:
        return rules.anything()
    if not isinstance(node, dict):
        return lambda key, value, c: f"{key}={value!r} must be a mapping of NAME: {{_target_: …}}"
    keys: dict[str, Any] = {}
    for name, entry in node.items():
        target = entry.get("_target_") if isinstance(entry, dict) else None
        if not (isinstance(target, str) and "." in target and " " not in target):
            keys[name] = _needs_target(group)
        elif check_args:
            keys[name] = _target_section(group, entry, {})
        else:
            keys[name] = rules.anything()
    return Section(group, keys)


def _needs_target(group: str) -> rules.Rule:
    example = (
        "logger=tensorboard|csv|mlflow"
        if group == "logger"
        else "callbacks.NAME._target_=lightning.pytorch.callbacks.StochasticWeightAveraging"
    )

    def check(key: str, value: Any, catalog: Any) -> str:
        return (
            f"{key} needs a _target_: the dotted path of the class to create "
            f"(got {value!r}); e.g. {example}"
        )

    return check


# -- walking the config against it ----------------------------------------------------------------
def _walk(value: Any, rule: Any, key: str, catalog: Catalog, top: Section) -> str | None:
    if isinstance(rule, dict):
        rule = Section(key, rule)
    if isinstance(rule, Section):
        if not isinstance(value, dict):
            return f"{key}={value!r} must be a mapping of {rule.what}'s settings"
        for name, item in value.items():
            dotted = f"{key}.{name}" if key else str(name)
            if name not in rule.keys:
                if rule.open:
                    continue
                return _unknown_key(dotted, str(name), item, rule, top)
            problem = _check_value(dotted, item, rule, rule.keys[name], catalog, top)
            if problem:
                return problem
        return None
    if callable(rule):
        return rule(key, value, catalog)
    return None


def _check_value(
    key: str, value: Any, section: Section, rule: Any, catalog: Catalog, top: Section
) -> str | None:
    name = key.rpartition(".")[2]
    if value == MISSING or (isinstance(value, str) and "${" in value):
        return None  # a missing value is said after the rest; interpolations resolve later
    param = section.params.get(name)
    if rule is None and param is not None and not accepts(param, value):
        source = f" in {section.source}" if section.source else ""
        return f"{key} must be {expected_words(param)}, got {value!r} ({param.describe()}{source})"
    if rule is None:
        return None
    return _walk(value, rule, key, catalog, top)


def _unknown_key(dotted: str, name: str, value: Any, section: Section, top: Section) -> str:
    """``dotted`` is not a key of ``section``: the closest full key, and what is valid."""
    if section.unknown is not None:
        return section.unknown(dotted, name)
    prefix = dotted[: len(dotted) - len(name)]
    valid = [k for k in section.keys if k not in ("defaults",)]
    # +optimiser.lr=0.01 arrives as {optimiser: {lr: 0.01}}: name the whole key it meant
    tail = _single_path(value)
    full = f"{dotted}.{tail}" if tail else dotted
    matches = [f"{m}.{tail}" if tail else m for m in closest(name, valid)]
    hint = did_you_mean(matches, prefix)
    where = "a top-level key" if prefix == "" else f"a key of {section.what}"
    also = _other_options(dotted)
    return f"{full} is not {where}.{hint}{also} Valid keys there: {', '.join(valid)}."


def _single_path(value: Any) -> str:
    """``lr`` for ``{lr: 0.01}``: the one dotted path inside a mapping, else ``""``."""
    parts = []
    while isinstance(value, dict) and len(value) == 1:
        ((key, value),) = value.items()
        parts.append(str(key))
    return ".".join(parts) if not isinstance(value, dict) else ""


def _other_options(dotted: str) -> str:
    """``optimizer.momentum`` with Adam: the options of the group that do take it."""
    group, _, key = dotted.partition(".")
    if "." in key or not (CONF_DIR / group).is_dir():
        return ""
    having = [
        f"{group}={p.stem}"
        for p in sorted((CONF_DIR / group).glob("*.yaml"))
        if key in (OmegaConf.load(p) or {})
    ]
    return f" {' and '.join(having)} take {key}." if having else ""


def suggest_key(dotted: str, config: dict[str, Any], catalog: Catalog) -> list[str]:
    """The valid dotted keys closest to ``dotted`` (a misspelt segment corrected)."""
    section: Any = schema_for(config, catalog)
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        if isinstance(section, dict):
            section = Section("", section)
        if not isinstance(section, Section):
            return []
        if part not in section.keys:
            head = ".".join(parts[:i])
            tail = ".".join(parts[i + 1 :])
            return [
                ".".join(p for p in (head, match, tail) if p)
                for match in closest(part, list(section.keys))
            ]
        section = section.keys[part]
    return [dotted]


# -- rules across keys ---------------------------------------------------------------------------
def _across(config: dict[str, Any], catalog: Catalog) -> str | None:
    data = config["data"]
    fractions = sum(data.get(k, 0) or 0 for k in ("val_fraction", "test_fraction"))
    if fractions >= 1:
        return (
            f"data.val_fraction + data.test_fraction = {fractions:g} leaves nothing to train on; "
            f"keep their sum below 1"
        )
    for group in PLUGIN_GROUPS:
        node = config[group]
        info = catalog.get(group, node["name"])
        for key, default in (info.params if info else {}).items():
            if default is REQUIRED and node.get(key, MISSING) == MISSING:
                return f"{group} {node['name']!r} needs {group}.{key}=VALUE"
    task = DATASETS[data["name"]].task
    if task == "auto":  # csv, npz: known once the data is read, unless data.task forces it
        problem = _data_file(data)
        if problem:
            return problem
        task = data.get("task", "auto")
    problem = monitor_problem(config["monitor"], task, data["name"])
    if problem:
        return problem
    ckpt = config.get("ckpt_path")
    if ckpt is not None and not Path(str(ckpt)).is_file():
        return (
            f"ckpt_path={ckpt!r} does not exist; give the path of a checkpoint such as "
            f"outputs/DATE/TIME/checkpoints/last.ckpt"
        )
    if not config.get("train", True) and ckpt is None:
        return "train=false evaluates a checkpoint: give ckpt_path=PATH as well"
    missing = _first_missing(config, "")
    return f"{missing} has no value: give {missing}=VALUE" if missing else None


def _first_missing(node: Any, key: str) -> str | None:
    """The first key left ``???`` (mandatory, never given)."""
    if node == MISSING:
        return key
    if isinstance(node, dict):
        for name, item in node.items():
            found = _first_missing(item, f"{key}.{name}" if key else str(name))
            if found:
                return found
    return None


def _data_file(data: dict[str, Any]) -> str | None:
    from framework.data.user import existing_file

    name = data["name"]
    table = name in TABLES
    needs = "data.path=FILE and data.target=COLUMN" if table else "data.path=FILE"
    for key in ("path", "target") if table else ("path",):
        if data.get(key) in (None, "", MISSING):
            return f"data={name} reads your own file: give {needs} (data.{key} is missing)"
    if table:
        problem = _table_options(data)
        if problem:
            return problem
    try:
        existing_file(data["path"], name)
    except ConfigError as exc:
        return str(exc)
    return None


def _table_options(data: dict[str, Any]) -> str | None:
    """The values of ``data=csv``'s table keys (column names are checked against the file's
    header when it is read, with a did-you-mean)."""
    from framework.data.features import MISSING_CHOICES

    missing = data.get("missing", "fill")
    if missing not in MISSING_CHOICES:
        return f"data.missing={missing!r} is not valid; choose one of: {', '.join(MISSING_CHOICES)}"
    value = data.get("max_categories", 50)
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 2):
        return (
            f"data.max_categories={value!r} must be a whole number >= 2 (the most frequent "
            f"levels a text column keeps; the rest become '(other)')"
        )
    for key in ("features", "drop", "na_values"):
        names = data.get(key) if data.get(key) is not None else []
        if not isinstance(names, list) or not all(isinstance(n, str | int) for n in names):
            return (
                f"data.{key}={names!r} must be a list of column names or values, e.g. "
                f"data.{key}=[a,b] (or [] for none)"
            )
    delimiter = data.get("delimiter", "auto")
    if not (
        isinstance(delimiter, str) and (delimiter in ("auto", "tab", "\\t") or len(delimiter) == 1)
    ):
        return (
            f"data.delimiter={delimiter!r} must be auto, tab or one character, e.g. "
            f"data.delimiter=';'"
        )
    encoding = data.get("encoding", "auto")
    if encoding != "auto":
        import codecs

        try:
            codecs.lookup(str(encoding))
        except LookupError:
            return (
                f"data.encoding={encoding!r} is not a codec Python knows; use auto, or e.g. "
                f"utf-8, utf-16, latin-1, cp1252"
            )
    return None


def monitor_problem(monitor: Any, task: str, data_name: str) -> str | None:
    """``monitor`` must be a metric the task logs; for ``task="auto"`` (data not read yet) a
    metric of any task (``framework.training.run`` checks again once the data has been read)."""
    valid = METRICS.get(task) or tuple(dict.fromkeys(m for ms in METRICS.values() for m in ms))
    if monitor in valid:
        return None
    what = f"({task})" if task in METRICS else "(any task)"
    hint = did_you_mean(closest(str(monitor), valid, n=1), quote=True)
    return (
        f"monitor={monitor!r} is not a metric this run logs; for {data_name} {what} use "
        f"one of: {', '.join(valid)}.{hint}"
    )


def check_monitor(monitor: Any, task: str, data_name: str) -> None:
    """``monitor_problem`` as a ``ConfigError`` (run time: once csv/npz data has been read)."""
    problem = monitor_problem(monitor, task, data_name)
    if problem:
        raise ConfigError(problem)
