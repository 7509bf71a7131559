"""Checks of single config values, shared by the schemas their owners declare.

A ``Rule`` takes the full dotted key, the value (plain Python) and the plugin catalog, and returns
``None`` or the paragraph that says what is wrong: the key, the bad value and what is valid.
Imports no torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from framework.front_door.suggest import unknown_name_message

Rule = Callable[[str, Any, Any], "str | None"]


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def anything() -> Rule:
    return lambda key, value, catalog: None


def boolean() -> Rule:
    def check(key: str, value: Any, catalog: Any) -> str | None:
        return None if isinstance(value, bool) else f"{key}={value!r} must be true or false"

    return check


def positive(integer: bool = False, nullable: bool = False) -> Rule:
    def check(key: str, value: Any, catalog: Any) -> str | None:
        if value is None and nullable:
            return None
        ok = (is_int(value) and value > 0) if integer else (is_number(value) and value > 0)
        if ok:
            return None
        kind = "a positive whole number" if integer else "a positive number"
        return f"{key}={value!r} must be {kind}" + (" (or null)" if nullable else "")

    return check


def positive_int(nullable: bool = False) -> Rule:
    return positive(integer=True, nullable=nullable)


def non_negative() -> Rule:
    def check(key: str, value: Any, catalog: Any) -> str | None:
        ok = is_number(value) and value >= 0
        return None if ok else f"{key}={value!r} must be a number >= 0"

    return check


def number(nullable: bool = False) -> Rule:
    def check(key: str, value: Any, catalog: Any) -> str | None:
        if is_number(value) or (value is None and nullable):
            return None
        return f"{key}={value!r} must be a number" + (" (or null for none)" if nullable else "")

    return check


def integer_in(low: int, high: int) -> Rule:
    def check(key: str, value: Any, catalog: Any) -> str | None:
        if is_int(value) and low <= value <= high:
            return None
        return f"{key}={value!r} must be a whole number from {low} to {high}"

    return check


def fraction(low_inclusive: bool = False) -> Rule:
    """A number in (0, 1) — or [0, 1) for a probability such as dropout."""

    def check(key: str, value: Any, catalog: Any) -> str | None:
        ok = is_number(value) and (value >= 0 if low_inclusive else value > 0) and value < 1
        if ok:
            return None
        if low_inclusive:
            return f"{key}={value!r} must be a probability in [0, 1)"
        return f"{key}={value!r} must be a fraction between 0 and 1"

    return check


def string(nullable: bool = False) -> Rule:
    def check(key: str, value: Any, catalog: Any) -> str | None:
        if isinstance(value, str) or (value is None and nullable):
            return None
        return f"{key}={value!r} must be a string" + (" (or null)" if nullable else "")

    return check


def strings() -> Rule:
    def check(key: str, value: Any, catalog: Any) -> str | None:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return None
        return f"{key}={value!r} must be a list of names, e.g. {key}=[my_plugins.py]"

    return check


def choice(*valid: Any) -> Rule:
    def check(key: str, value: Any, catalog: Any) -> str | None:
        if value in valid:
            return None
        names = ", ".join("null" if v is None else str(v) for v in valid)
        return f"{key}={value!r} is not valid; choose one of: {names}"

    return check


def sizes() -> Rule:
    def check(key: str, value: Any, catalog: Any) -> str | None:
        value = [] if value is None else value
        if isinstance(value, list) and all(is_int(h) and h > 0 for h in value):
            return None
        return (
            f"{key}={value!r} must be a list of positive sizes, e.g. {key}=[128,64] "
            f"(or [] for none)"
        )

    return check


def plugin_name(kind: str, nullable: bool = False) -> Rule:
    def check(key: str, value: Any, catalog: Any) -> str | None:
        if (value is None and nullable) or catalog.get(kind, value) is not None:
            return None
        return f"{key}: " + unknown_name_message(kind, value, catalog.names(kind))

    return check


def layer_list() -> Rule:
    """``model.layers`` of ``model=sequential``: plugin names or ``{layer: NAME, …}``."""

    def check(key: str, value: Any, catalog: Any) -> str | None:
        from framework.front_door.suggest import unknown_param_message

        if not isinstance(value, list) or not value:
            return (
                f"{key} must be a non-empty list of plugins, e.g. "
                f"{key}=[{{layer:linear,out_features:64}},act]"
            )
        for i, entry in enumerate(value):
            where = f"{key}[{i}]"
            if isinstance(entry, str):
                if (
                    entry == "act"
                    or catalog.get("layer", entry)
                    or catalog.get("activation", entry)
                ):
                    continue
                valid = sorted({*catalog.names("layer"), *catalog.names("activation"), "act"})
                return f"{where}: " + unknown_name_message("plugin", entry, valid)
            kinds = [k for k in ("layer", "activation") if isinstance(entry, dict) and k in entry]
            if len(kinds) != 1:
                return (
                    f"{where}={entry!r} must name exactly one plugin as "
                    f"{{layer: NAME, ...}} or {{activation: NAME, ...}}"
                )
            kind = kinds[0]
            info = catalog.get(kind, entry[kind])
            if info is None:
                return f"{where}: " + unknown_name_message(kind, entry[kind], catalog.names(kind))
            for param in entry:
                if param != kind and param not in info.params:
                    message = unknown_param_message(kind, entry[kind], param, info.params, "")
                    return f"{where}: {message}"
        return None

    return check
