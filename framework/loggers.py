"""The run's Lightning loggers, from the ``logger`` config group (conf/logger/): TensorBoard by
default, also ``csv``, ``mlflow`` or several at once (``logger=[tensorboard,csv]``)."""

from __future__ import annotations

import os
from typing import Any

import hydra
from lightning.pytorch.loggers import Logger, TensorBoardLogger
from omegaconf import DictConfig

from framework.errors import ConfigError


def build_loggers(cfg: DictConfig, purge_step: int | None) -> list[Logger]:
    """One logger per entry of ``cfg.logger``, TensorBoard first (the dashboards write to it).

    ``purge_step``: a resumed run continues its TensorBoard curves; events the interrupted run
    wrote after its checkpoint are dropped, so no step appears twice.
    """
    loggers: list[Logger] = []
    for name, node in (cfg.get("logger") or {}).items():
        extra: dict[str, Any] = {}
        target = str(node.get("_target_", ""))
        if target.endswith("TensorBoardLogger"):
            extra["purge_step"] = purge_step
        if target.endswith("MLFlowLogger") and str(node.get("tracking_uri")).startswith("file:"):
            # MLflow 3 keeps its local file store (the no-server default asked for here) behind
            # this switch; a tracking_uri of a server or database needs none
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        try:
            logger = hydra.utils.instantiate(node, **extra, _convert_="all")
        except Exception as exc:  # a missing optional package, a wrong argument …
            raise ConfigError(
                f"logger.{name} cannot be created from {node.get('_target_')!r}: "
                f"{_cause(exc)}{_install_hint(exc)}"
            ) from None
        loggers.append(logger)
    return sorted(loggers, key=lambda lg: not isinstance(lg, TensorBoardLogger))


def _cause(exc: BaseException) -> str:
    while exc.__cause__ is not None:  # Hydra wraps the real error in an InstantiationException
        exc = exc.__cause__
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def _install_hint(name: str) -> str:
    return (
        " (install it with: pip install 'nn-plugins-framework[mlflow]')" if name == "mlflow" else ""
    )
