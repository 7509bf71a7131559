"""Callbacks the user names in the config (``callbacks.NAME._target_=...``), merged with the
built-in ones: a user callback of the same type as a built-in one replaces it."""

from __future__ import annotations

import logging
from typing import Any

import hydra
import lightning as L

from framework.errors import ConfigError, cause_text

log = logging.getLogger(__name__)


def user_callbacks(callbacks: Any) -> list[L.Callback]:
    """Instantiate every entry of ``cfg.callbacks`` (each has a ``_target_``)."""
    made: list[L.Callback] = []
    for name, node in (callbacks or {}).items():
        try:
            callback = hydra.utils.instantiate(node, _convert_="all")
        except Exception as exc:
            raise ConfigError(
                f"callbacks.{name} cannot be created from {node.get('_target_')!r}: "
                f"{cause_text(exc)}"
            ) from None
        if not isinstance(callback, L.Callback):
            raise ConfigError(
                f"callbacks.{name}: {node.get('_target_')!r} made a {type(callback).__name__}, "
                f"not a lightning.pytorch.Callback"
            )
        made.append(callback)
    return made


def merge_callbacks(builtin: list[L.Callback], extra: list[L.Callback]) -> list[L.Callback]:
    """``builtin`` plus ``extra``; a built-in callback whose exact type the user gives again is
    replaced by the user's (with a note in the log)."""
    replaced = {type(c) for c in extra}
    kept = []
    for callback in builtin:
        if type(callback) in replaced:
            log.info("callbacks: your %s replaces the built-in one", type(callback).__name__)
        else:
            kept.append(callback)
    return kept + extra
