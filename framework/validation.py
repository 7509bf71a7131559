"""Checks of the composed config before anything heavy is imported (torch-free).

Hydra has already checked the structure; this checks values: plugin names and parameters, sizes,
learning rate, metric names, files. Each failure is a ``ConfigError`` with one paragraph naming
the key, the bad value and what would be valid.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from framework.catalog import REQUIRED, Catalog
from framework.data.catalog import DATASETS
from framework.errors import ConfigError
from framework.overrides import AUTO_LOSS, PLUGIN_GROUPS, _unknown_option, _unknown_param

MODELS = ("mlp", "convnet", "rnn", "sequential")  # framework.models.MODELS, without torch
CELLS = ("rnn", "gru", "lstm")
METRICS = {
    "multiclass": ("val/loss", "val/acc", "train/loss_epoch"),
    "binary": ("val/loss", "val/acc", "train/loss_epoch"),
    "regression": ("val/loss", "val/mae", "val/r2", "train/loss_epoch"),
}
# The `log` group (conf/log/): switches, and intervals in steps or epochs
LOG_SWITCHES = (
    "lr",
    "grad_norm",
    "loss_chart",
    "hparams",
    "histograms",
    "activation_plot",
    "confusion_matrix",
    "decision_boundary",
    "fitted_curve",
    "network",
    "config_text",
)
LOG_INTERVALS = ("every_n_steps", "boundary_every_n_epochs")


def validate_config(cfg: DictConfig, catalog: Catalog) -> None:
    """Raise ``ConfigError`` for the first bad value in the composed config."""
    try:
        _validate(cfg, catalog)
    except ConfigError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        # a value of a shape no rule expected (a string where a list belongs …)
        raise ConfigError(f"the config has a value of the wrong kind: {exc}") from None


def _validate(cfg: DictConfig, catalog: Catalog) -> None:
    for group in PLUGIN_GROUPS:
        node = cfg.get(group)
        if node is None or "name" not in node:
            raise ConfigError(f"{group}: no {group} chosen; use {group}=NAME")
        name = node.name
        if group == "loss" and name == AUTO_LOSS:
            continue
        info = catalog.get(group, name)
        if info is None:
            raise ConfigError(_unknown_option(group, name, catalog.names(group)))
        for key in node:
            if key != "name" and key not in info.params:
                raise ConfigError(_unknown_param(group, name, str(key), info.params))
        for key, default in info.params.items():
            if default == REQUIRED and OmegaConf.is_missing(node, key):
                raise ConfigError(f"{group} {name!r} needs {group}.{key}=VALUE")

    model = cfg.model
    _choice("model.name", model.get("name"), MODELS)
    _validate_model(model, catalog)
    out_act = model.get("output_activation")
    if out_act is not None and catalog.get("activation", out_act) is None:
        raise ConfigError(
            "model.output_activation: "
            + _unknown_option("activation", out_act, catalog.names("activation"))
        )

    _check_data(cfg.data)

    _positive("optimizer.lr", cfg.optimizer.get("lr"))
    trainer = cfg.trainer
    if "max_epochs" in trainer and trainer.max_epochs is not None:
        value = trainer.max_epochs
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= -1):
            raise ConfigError(
                f"trainer.max_epochs={value!r} must be a whole number of epochs (-1 for no limit)"
            )

    if cfg.get("log") is not None:
        _check_log(cfg.log)
    _check_targets("logger", cfg.get("logger"), "logger=tensorboard|csv|mlflow")
    _check_targets(
        "callbacks",
        cfg.get("callbacks"),
        "callbacks.NAME._target_=lightning.pytorch.callbacks.StochasticWeightAveraging",
    )

    task = DATASETS[cfg.data.name].task
    if task == "auto":  # csv, npz: known once the data is read, unless data.task forces it
        task = cfg.data.get("task", "auto")
    check_monitor(cfg.monitor, task, cfg.data.name)
    if cfg.threshold is not None and not _number(cfg.threshold):
        raise ConfigError(f"threshold={cfg.threshold!r} must be a number (or null for none)")
    if not (isinstance(cfg.seed, int) and not isinstance(cfg.seed, bool)):
        raise ConfigError(f"seed={cfg.seed!r} must be an integer")
    if cfg.ckpt_path is not None and not Path(str(cfg.ckpt_path)).is_file():
        raise ConfigError(
            f"ckpt_path={cfg.ckpt_path!r} does not exist; give the path of a checkpoint such as "
            f"outputs/DATE/TIME/checkpoints/last.ckpt"
        )
    every = (cfg.get("checkpoint") or {}).get("every_n_train_steps")
    if every is not None:
        _positive("checkpoint.every_n_train_steps", every, integer=True)
    _boolean("overwrite", cfg.get("overwrite", False))
    if not cfg.train and cfg.ckpt_path is None:
        raise ConfigError("train=false evaluates a checkpoint: give ckpt_path=PATH as well")


def _check_log(log: Any) -> None:
    valid = (*LOG_SWITCHES, *LOG_INTERVALS)
    for key in log:
        if key not in valid:
            close = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.6)
            hint = f" Did you mean log.{close[0]}?" if close else ""
            raise ConfigError(
                f"log.{key} is not a logging option.{hint} Valid options: {', '.join(valid)}"
            )
    for key in LOG_SWITCHES:
        if key in log:
            _boolean(f"log.{key}", log[key])
    for key in LOG_INTERVALS:
        if key in log:
            _positive(f"log.{key}", log[key], integer=True)


def _check_targets(group: str, node: Any, example: str) -> None:
    """Each entry of ``logger`` or ``callbacks`` is a mapping with a dotted ``_target_``."""
    for name, entry in (node or {}).items():
        target = entry.get("_target_") if OmegaConf.is_dict(entry) else None
        if not (isinstance(target, str) and "." in target and " " not in target):
            raise ConfigError(
                f"{group}.{name} needs a _target_: the dotted path of the class to create "
                f"(got {_plain(entry)!r}); e.g. {example}"
            )


def check_monitor(monitor: Any, task: str, data_name: str) -> None:
    """``monitor`` must be a metric the task logs; for ``task="auto"`` (data not read yet) a
    metric of any task (``framework.run`` checks again once the data has been read)."""
    valid = METRICS.get(task) or tuple(dict.fromkeys(m for ms in METRICS.values() for m in ms))
    if monitor not in valid:
        what = f"({task})" if task in METRICS else "(any task)"
        raise ConfigError(
            f"monitor={monitor!r} is not a metric this run logs; for {data_name} {what} use "
            f"one of: {', '.join(valid)}"
        )


def _check_data(data: DictConfig) -> None:
    """The data set's name and parameters; for csv and npz, that the file exists."""
    _choice("data.name", data.get("name"), tuple(DATASETS))
    _positive("data.batch_size", data.get("batch_size"), integer=True)
    fractions = 0.0
    for key in ("val_fraction", "test_fraction"):
        if key in data:
            value = data[key]
            if not (_number(value) and 0 < value < 1):
                raise ConfigError(f"data.{key}={value!r} must be a fraction between 0 and 1")
            fractions += value
    if fractions >= 1:
        raise ConfigError(
            f"data.val_fraction + data.test_fraction = {fractions:g} leaves nothing to train on; "
            f"keep their sum below 1"
        )
    for key in ("repeat", "n_samples", "length", "centers", "n_features"):
        if key in data:
            _positive(f"data.{key}", data[key], integer=True)
    for key in ("turns", "x_max", "factor", "min_period", "max_period"):
        if key in data:
            _positive(f"data.{key}", data[key])
    if "noise" in data and not (_number(data.noise) and data.noise >= 0):
        raise ConfigError(f"data.noise={data.noise!r} must be a number >= 0")
    if "task" in data:
        _choice("data.task", data.task, ("auto", *METRICS))
    if DATASETS[data.name].task == "auto":
        _check_data_file(data)


def _check_data_file(data: DictConfig) -> None:
    from framework.data.user import existing_file

    if data.name == "csv":
        _check_csv_options(data)

    needs = "data.path=FILE and data.target=COLUMN" if data.name == "csv" else "data.path=FILE"
    for key in ("path", "target") if data.name == "csv" else ("path",):
        if OmegaConf.select(data, key) in (None, ""):  # absent, ??? or null
            raise ConfigError(
                f"data={data.name} reads your own file: give {needs} (data.{key} is missing)"
            )
    existing_file(data.path, data.name)


def _check_csv_options(data: DictConfig) -> None:
    """The table keys of ``data=csv`` (column names are checked against the file's header
    when it is read, with a did-you-mean)."""
    from framework.data.features import MISSING_CHOICES

    _choice("data.missing", data.get("missing", "fill"), MISSING_CHOICES)
    value = data.get("max_categories", 50)
    if not (_positive_int(value) and value >= 2):
        raise ConfigError(
            f"data.max_categories={value!r} must be a whole number >= 2 (the most frequent "
            f"levels a text column keeps; the rest become '(other)')"
        )
    for key in ("features", "drop", "na_values"):
        names = _plain(data.get(key)) if data.get(key) is not None else []
        if not isinstance(names, list) or not all(isinstance(n, str | int) for n in names):
            raise ConfigError(
                f"data.{key}={names!r} must be a list of column names or values, e.g. "
                f"data.{key}=[a,b] (or [] for none)"
            )
    delimiter = data.get("delimiter", "auto")
    named = ("auto", "tab", "\\t")
    if not (isinstance(delimiter, str) and (delimiter in named or len(delimiter) == 1)):
        raise ConfigError(
            f"data.delimiter={delimiter!r} must be auto, tab or one character, e.g. "
            f"data.delimiter=';'"
        )
    encoding = data.get("encoding", "auto")
    if encoding != "auto":
        import codecs

        try:
            codecs.lookup(str(encoding))
        except LookupError:
            raise ConfigError(
                f"data.encoding={encoding!r} is not a codec Python knows; use auto, or e.g. "
                f"utf-8, utf-16, latin-1, cp1252"
            ) from None
    _boolean("data.report_only", data.get("report_only", False))


def _validate_model(model: DictConfig, catalog: Catalog) -> None:
    for key in ("hidden", "channels"):
        sizes = _plain(model.get(key)) if model.get(key) is not None else []
        if not isinstance(sizes, list) or not all(_positive_int(h) for h in sizes):
            raise ConfigError(
                f"model.{key}={sizes!r} must be a list of positive sizes, e.g. "
                f"model.{key}=[128,64] (or [] for none)"
            )
    for key in ("kernel_size", "hidden_size", "num_layers"):
        if key in model:
            _positive(f"model.{key}", model[key], integer=True)
    if "dropout" in model and not (_number(model.dropout) and 0 <= model.dropout < 1):
        raise ConfigError(f"model.dropout={model.dropout!r} must be a probability in [0, 1)")
    if "compact" in model:
        _boolean("model.compact", model.compact)
    if model.get("norm") not in (None, "batch_norm", "layer_norm"):
        raise ConfigError(f"model.norm={model.norm!r} must be null, batch_norm or layer_norm")
    if model.name == "rnn":
        _choice("model.cell", model.get("cell"), CELLS)
    if model.name == "sequential":
        _validate_layers(model.get("layers"), catalog)


def _validate_layers(layers: Any, catalog: Catalog) -> None:
    entries = _plain(layers) if layers is not None else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(
            "model.layers must be a non-empty list of plugins, e.g. "
            "model.layers=[{layer:linear,out_features:64},act]"
        )
    for i, entry in enumerate(entries):
        if isinstance(entry, str):
            if entry == "act" or catalog.get("layer", entry) or catalog.get("activation", entry):
                continue
            valid = sorted({*catalog.names("layer"), *catalog.names("activation"), "act"})
            raise ConfigError(f"model.layers[{i}]: " + _unknown_option("plugin", entry, valid))
        kinds = [k for k in ("layer", "activation") if isinstance(entry, dict) and k in entry]
        if len(kinds) != 1:
            raise ConfigError(
                f"model.layers[{i}]={entry!r} must name exactly one plugin as "
                f"{{layer: NAME, ...}} or {{activation: NAME, ...}}"
            )
        kind = kinds[0]
        name = entry[kind]
        info = catalog.get(kind, name)
        if info is None:
            raise ConfigError(
                f"model.layers[{i}]: " + _unknown_option(kind, name, catalog.names(kind))
            )
        for key in entry:
            if key != kind and key not in info.params:
                raise ConfigError(
                    f"model.layers[{i}]: " + _unknown_param(kind, name, key, info.params, prefix="")
                )


def _plain(value: Any) -> Any:
    """A config value as plain Python (lists and dicts unwrapped)."""
    return OmegaConf.to_container(value) if OmegaConf.is_config(value) else value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _positive(key: str, value: Any, integer: bool = False) -> None:
    ok = _positive_int(value) if integer else (_number(value) and value > 0)
    if not ok:
        kind = "a positive whole number" if integer else "a positive number"
        raise ConfigError(f"{key}={value!r} must be {kind}")


def _boolean(key: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ConfigError(f"{key}={value!r} must be true or false")


def _choice(key: str, value: Any, valid: tuple[str, ...]) -> None:
    if value not in valid:
        raise ConfigError(f"{key}={value!r} is not valid; choose one of: {', '.join(valid)}")
