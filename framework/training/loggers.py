"""The run's Lightning loggers, from the ``logger`` config group (conf/logger/): TensorBoard by
default, also ``csv``, ``mlflow`` or several at once (``logger=[tensorboard,csv]``)."""

from __future__ import annotations

import os
from typing import Any

import hydra
from lightning.pytorch.loggers import Logger, TensorBoardLogger
from omegaconf import DictConfig

from framework.errors import ConfigError, cause_text, root_cause


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
                f"{cause_text(exc)}{_install_hint(exc)}"
            ) from None
        loggers.append(logger)
    return sorted(loggers, key=lambda lg: not isinstance(lg, TensorBoardLogger))


def _install_hint(exc: BaseException) -> str:
    """For the optional ``mlflow`` package that is not installed: how to install it."""
    root = root_cause(exc)
    if isinstance(root, ImportError) and "mlflow" in str(root):
        return " (install it with: pip install 'nn-plugins-framework[mlflow]')"
    return ""
