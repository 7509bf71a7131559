"""``nn-train``: compose an experiment with Hydra, train and test it with Lightning.

Everything before training — parsing the command line, indexing the plugins, composing the
config and checking it (``framework.front_door.gate``), ``--help`` — runs without importing torch,
so mistakes are reported within about a second, as one paragraph, with exit code 2 and no
traceback, before a run directory is claimed. What Lightning or Hydra refuse later (a
``MisconfigurationException``, an optimizer refusing its arguments) is one paragraph too; a crash
inside a plugin's own code keeps its traceback, which ends in the plugin's file.
"""

from __future__ import annotations

import logging
import math
import sys
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from framework.cli.version import version_text
from framework.errors import ConfigError, RunInterrupted
from framework.front_door.gate import check_command_line
from framework.front_door.monitor import monitored_metric, optuna_direction
from framework.front_door.overrides import force_add, prepare
from framework.front_door.plugin_catalog import Catalog, build_catalog
from framework.front_door.resume import continue_run
from framework.front_door.run_dir import place
from framework.front_door.validation import validate_config
from framework.paths import CONF_DIR
from framework.verification.check_cache import report_plugin_status

_state: dict[str, Any] = {
    "catalog": None,
    "multirun": False,
    "failures": [],
    "fixed": set(),  # keys the command line sets to one value: the same in every job
    "jobs": [],  # the sweep's jobs, for its summary
}


def main(argv: list[str] | None = None) -> None:
    """Console entry point of ``nn-train``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--version" in argv:  # ours, not Hydra's (which names only Hydra's version)
        print(version_text("nn-train"))
        sys.exit(0)
    _register_resolvers()
    try:
        argv = continue_run(argv)  # ckpt_path=RUN/…: that run's own config, in its directory
        # every key=value as ++key=value: a misspelt key is named by the gate, with the key
        # it meant, instead of Hydra's "not in struct" (or, with +, silently added)
        argv = force_add(argv)
        cmd, catalog = prepare(argv)
        if not cmd.wants_help:
            check_command_line(cmd, catalog)  # composed and checked: the one gate
        argv += place(argv, cmd.multirun, cmd.wants_help)  # a directory of its own, claimed
    except ConfigError as exc:
        _report(exc)
        sys.exit(2)
    fixed = {ov.key_or_group.lstrip("+~") for ov in cmd.overrides if not ov.is_sweep_override()}
    _state.update(catalog=catalog, multirun=cmd.multirun, failures=[], fixed=fixed, jobs=[])
    saved, sys.argv = sys.argv, [sys.argv[0], *argv]  # Hydra reads sys.argv
    try:
        _hydra_entry()
    finally:
        sys.argv = saved
    if _state["jobs"]:
        from framework.front_door.sweep_summary import print_sweep_summary

        print_sweep_summary(_state["jobs"], _state["monitor"])
    failures = _state["failures"]
    if failures:
        print(f"nn-train: {len(failures)} job(s) of the sweep failed:", file=sys.stderr)
        for job, message in failures:
            print(f"  - {job}: {message}", file=sys.stderr)
        sys.exit(1)


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def _hydra_entry(cfg: DictConfig) -> float:
    return run_job(cfg)


def run_job(cfg: DictConfig) -> float:
    """One job: validate, then train. Returns the monitored metric (for sweepers).

    A bad value ends a single run with one paragraph and exit code 2. In a sweep, a failing job
    is reported (and its traceback written to its train.log) and the other jobs go on; the sweep
    exits non-zero at the end, listing the failures.
    """
    from framework.contract.discovery import PluginImportError

    if _in_sweep():
        from hydra.core.hydra_config import HydraConfig

        from framework.front_door.sweep_summary import Job

        job = HydraConfig.get().job
        run_dir = Path(HydraConfig.get().runtime.output_dir)
        _state["jobs"].append(Job(int(job.num), _job_label(), run_dir))
        _state["monitor"] = str(cfg.monitor)
    try:
        catalog: Catalog = _state["catalog"] or build_catalog(list(cfg.imports))
        if list(cfg.imports):
            catalog = build_catalog(list(cfg.imports))
        validate_config(cfg, catalog)  # again: a sweeper may have chosen the values
        cfg.monitor = monitored_metric(str(cfg.monitor))  # train/loss: the epoch mean
        if cfg.data.get("report_only"):  # the data report alone, before torch is imported
            from hydra.core.hydra_config import HydraConfig

            from framework.data.report import report_only

            return report_only(cfg, Path(HydraConfig.get().runtime.output_dir))
        if cfg.train:
            report_plugin_status(cfg, catalog)  # a failed or stale `nn-plugins check`
        from framework.training.run import train  # torch, Lightning: only now

        try:
            return train(cfg)
        except Exception as exc:
            refused = _refusal(exc)
            if refused is None:
                raise
            raise refused from None
    except RunInterrupted as exc:  # the whole command stops, a sweep too
        print(f"nn-train: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (ConfigError, PluginImportError) as exc:
        _log_to_run(exc)
        if not _in_sweep():
            _report(exc)
            sys.exit(2)
        return _failed_job(exc)
    except Exception as exc:
        if not _in_sweep():
            raise
        logging.getLogger(__name__).exception("job failed")
        return _failed_job(exc)


def _refusal(exc: BaseException) -> ConfigError | None:
    """What Lightning or Hydra refused after the gate, as one paragraph; ``None`` for anything
    else (a crash in plugin code keeps its traceback)."""
    if isinstance(exc, ConfigError):
        return None
    from hydra.errors import InstantiationException
    from lightning.fabric.utilities.exceptions import MisconfigurationException

    if isinstance(exc, MisconfigurationException):
        return ConfigError(f"Lightning refused the configuration: {' '.join(str(exc).split())}")
    if isinstance(exc, InstantiationException):
        return ConfigError(" ".join(str(exc).split()))
    return None


def _job_label() -> str:
    """The swept values of the current job of a sweep (``activation=relu,optimizer.lr=0.01``)."""
    from hydra.core.hydra_config import HydraConfig

    from framework.front_door.sweep_summary import swept_values

    return swept_values(list(HydraConfig.get().overrides.task), _state["fixed"])


def _register_resolvers() -> None:
    """The resolvers conf/ uses: sweep job directory names (number and swept values), and the
    Optuna study's direction from ``monitor`` (maximise accuracy and r2, minimise losses)."""
    for name, resolver in (("swept_values", _job_label), ("optuna_direction", optuna_direction)):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, resolver)


def _in_sweep() -> bool:
    """A multirun: ``-m``, or a config that sets ``hydra.mode`` (``hparams_search=optuna``)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return _state["multirun"] or HydraConfig.get().mode == RunMode.MULTIRUN


class TrialFailed(RuntimeError):
    """Tells an optimizing sweeper (Optuna) that this trial failed; the search goes on."""


def _failed_job(exc: BaseException) -> float:
    """Record a failed job of a sweep. The basic sweeper gets NaN and runs the other jobs; an
    optimizing sweeper must see an exception to mark the trial failed (NaN would stop it)."""
    from hydra.core.hydra_config import HydraConfig

    message = _record_failure(exc)
    if "optuna" in str(HydraConfig.get().sweeper.get("_target_", "")).lower():
        raise TrialFailed(message) from None
    return math.nan


def _record_failure(exc: BaseException) -> str:
    from hydra.core.hydra_config import HydraConfig

    job = HydraConfig.get().job
    label = f"job {job.num} ({_job_label() or 'no swept values'})"
    message = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
    _state["failures"].append((label, message))
    print(f"nn-train: {label} failed: {message}", file=sys.stderr)
    return message


def _log_to_run(exc: BaseException) -> None:
    """The error also in the run's train.log: a directory left by a failed start says why."""
    from hydra.core.hydra_config import HydraConfig

    try:
        log = Path(HydraConfig.get().runtime.output_dir) / "train.log"
        with log.open("a") as f:
            f.write(f"nn-train: error: {exc}\n")
    except (OSError, ValueError):
        pass


def _report(exc: BaseException) -> None:
    print(f"nn-train: error: {exc}", file=sys.stderr)


if __name__ == "__main__":
    main()
