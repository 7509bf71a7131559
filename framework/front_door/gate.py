"""The front door of ``nn-train``: the command line composed and checked before Hydra runs a job.

``check_command_line`` composes the config the way Hydra's job will (Hydra's compose API, the
same overrides) and checks it with ``framework.front_door.validation`` — before a run directory is
claimed and before anything heavy is imported, so every mistake is one paragraph within about a
second. Hydra's own errors from composing (a missing ``???`` value, an interpolation, a bad option)
are translated into the same kind of paragraph. For a sweep, each value of each swept key is
composed once (the others at their first value). Each job of a sweep is checked again by
``framework.cli.train.run_job`` with the same validator, since a sweeper may choose values itself.
"""

from __future__ import annotations

import itertools
from typing import Any

from framework.errors import ConfigError
from framework.front_door.overrides import CommandLine
from framework.front_door.plugin_catalog import Catalog
from framework.front_door.validation import validate_config
from framework.paths import CONF_DIR

MAX_SWEEP_COMPOSITIONS = 24


def check_command_line(cmd: CommandLine, catalog: Catalog) -> None:
    """Compose every job the command line describes (one per swept value) and check it."""
    for overrides in job_overrides(cmd):
        validate_config(compose(overrides), catalog)


def job_overrides(cmd: CommandLine) -> list[list[str]]:
    """The overrides of the jobs to check: a single run's, or for a sweep the first values of
    every swept key, then each other value of one key at a time."""
    fixed: list[str] = []
    swept: list[tuple[Any, list[Any]]] = []
    for ov in cmd.overrides:
        if not ov.is_sweep_override():
            fixed.append(ov.input_line or _as_text(ov, ov.value()))
            continue
        try:
            values = list(ov.sweep_iterator())
        except Exception:  # interval(…) and other ranges a sweeper samples: checked per job
            continue
        if values:
            swept.append((ov, values))
    if not swept:
        return [fixed]
    firsts = [_as_text(ov, values[0]) for ov, values in swept]
    jobs = [fixed + firsts]
    for i, (ov, values) in enumerate(swept):
        for value in values[1:]:
            jobs.append(fixed + firsts[:i] + [_as_text(ov, value)] + firsts[i + 1 :])
    return list(itertools.islice(jobs, MAX_SWEEP_COMPOSITIONS))


def _as_text(ov: Any, value: Any) -> str:
    return f"{ov.get_key_element()}={ov._get_value_element_as_str(value)}"


def compose(overrides: list[str]) -> Any:
    """The config Hydra's job would get; Hydra's errors as ``ConfigError`` paragraphs."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        with initialize_config_dir(str(CONF_DIR), version_base="1.3", job_name="nn-train"):
            return hydra_compose("config", overrides=overrides)
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(hydra_message(exc)) from None


def hydra_message(exc: BaseException) -> str:
    """Hydra's message in one paragraph, without its advice to set HYDRA_FULL_ERROR."""
    text = str(exc).split("\nSet the environment variable HYDRA_FULL_ERROR")[0]
    cause = exc.__cause__ or exc.__context__
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text}: {cause}"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return "cannot compose the config: " + " ".join(lines)
