"""Which way a metric improves, from its name alone (torch-free: the config checks and the
Optuna sweeper's direction use it before anything heavy is imported)."""

from __future__ import annotations

MAXIMISED = ("acc", "r2")  # everything else (losses, mae, grad_norm …) improves downwards


def metric_mode(metric: str) -> str:
    """``"max"`` for accuracy and r2 (``val/acc``, ``best/val_r2``), ``"min"`` otherwise."""
    name = metric.rsplit("/", 1)[-1]
    return "max" if name in MAXIMISED or name.endswith(tuple(f"_{m}" for m in MAXIMISED)) else "min"
