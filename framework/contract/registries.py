"""The three registries and their decorators. Imports no torch."""

from __future__ import annotations

from collections.abc import Callable

from framework.contract.registry import Registry

ACTIVATIONS = Registry("activation", "ActivationFunction")
LOSSES = Registry("loss", "LossFunction")
LAYERS = Registry("layer", "LayerFunction")

REGISTRIES: dict[str, Registry] = {"activation": ACTIVATIONS, "loss": LOSSES, "layer": LAYERS}


def register_activation(
    name: str, *, aliases: tuple[str, ...] = (), override: bool = False
) -> Callable[[type], type]:
    """Register an ``ActivationFunction`` subclass under ``name``."""
    return ACTIVATIONS.register(name, aliases=aliases, override=override)


def register_loss(
    name: str, *, aliases: tuple[str, ...] = (), override: bool = False
) -> Callable[[type], type]:
    """Register a ``LossFunction`` subclass under ``name``."""
    return LOSSES.register(name, aliases=aliases, override=override)


def register_layer(
    name: str, *, aliases: tuple[str, ...] = (), override: bool = False
) -> Callable[[type], type]:
    """Register a ``LayerFunction`` subclass under ``name``."""
    return LAYERS.register(name, aliases=aliases, override=override)
