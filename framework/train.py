"""``nn-train``: compose an experiment with Hydra, train and test it with Lightning.

Everything before training — parsing the command line, indexing the plugins, checking the
overrides and the composed config, ``--help`` — runs without importing torch, so mistakes are
reported within about a second, as one paragraph, with a non-zero exit and no traceback.
"""

from __future__ import annotations

import logging
import math
import re
import sys
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from framework.catalog import Catalog, build_catalog
from framework.errors import ConfigError
from framework.monitor import optuna_direction
from framework.overrides import prepare
from framework.paths import CONF_DIR
from framework.validation import validate_config
from framework.version import version_text

_state: dict[str, Any] = {"catalog": None, "multirun": False, "failures": []}


def main(argv: list[str] | None = None) -> None:
    """Console entry point of ``nn-train``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--version" in argv:  # ours, not Hydra's (which names only Hydra's version)
        print(version_text("nn-train"))
        sys.exit(0)
    # Any Trainer argument may be set, also those the trainer config does not list: Hydra's
    # ++ adds or overrides (names are checked against lightning's Trainer before training).
    argv = [f"++{a}" if a.startswith("trainer.") else a for a in argv]
    argv += resume_in_place(argv)
    _register_resolvers()
    try:
        cmd, catalog = prepare(argv)
    except ConfigError as exc:
        _report(exc)
        sys.exit(2)
    _state.update(catalog=catalog, multirun=cmd.multirun, failures=[])
    saved, sys.argv = sys.argv, [sys.argv[0], *argv]  # Hydra reads sys.argv
    try:
        _hydra_entry()
    finally:
        sys.argv = saved
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
    from framework.discovery import PluginImportError

    try:
        catalog: Catalog = _state["catalog"] or build_catalog(list(cfg.imports))
        if list(cfg.imports):
            catalog = build_catalog(list(cfg.imports))
        validate_config(cfg, catalog)
        from framework.run import train  # torch, Lightning: only now

        return train(cfg)
    except (ConfigError, PluginImportError) as exc:
        if not _in_sweep():
            _report(exc)
            sys.exit(2)
        return _failed_job(exc)
    except Exception as exc:
        if not _in_sweep():
            raise
        logging.getLogger(__name__).exception("job failed")
        return _failed_job(exc)


def resume_in_place(argv: list[str]) -> list[str]:
    """Resuming ``ckpt_path=RUN/checkpoints/last.ckpt`` continues in ``RUN`` (same TensorBoard
    curves, same checkpoints) unless ``hydra.run.dir`` says otherwise."""
    from pathlib import Path

    if any(a.startswith(("-m", "--multirun", "hydra.run.dir=", "train=false")) for a in argv):
        return []
    ckpts = [a.split("=", 1)[1] for a in argv if a.startswith("ckpt_path=")]
    if len(ckpts) != 1 or not ckpts[0]:
        return []
    ckpt = Path(ckpts[0]).expanduser()
    if ckpt.parent.name != "checkpoints" or not ckpt.is_file():
        return []
    return [f"hydra.run.dir={ckpt.parent.parent.resolve()}"]


def _register_resolvers() -> None:
    """The resolvers conf/ uses: sweep directory names without the ``++``, and the Optuna
    study's direction from ``monitor`` (maximise accuracy and r2, minimise losses and errors)."""
    for name, resolver in (
        ("plain_overrides", plain_overrides),
        ("optuna_direction", optuna_direction),
    ):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, resolver)


def plain_overrides(dirname: str) -> str:
    """``++trainer.max_epochs=1,lr=2`` -> ``trainer.max_epochs=1,lr=2``."""
    return re.sub(r"(^|,)[+~]+", r"\1", dirname)


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
    label = f"job {job.num} ({plain_overrides(job.override_dirname) or 'no overrides'})"
    message = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
    _state["failures"].append((label, message))
    print(f"nn-train: {label} failed: {message}", file=sys.stderr)
    return message


def _report(exc: BaseException) -> None:
    print(f"nn-train: error: {exc}", file=sys.stderr)


if __name__ == "__main__":
    main()
