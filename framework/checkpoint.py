"""Checkpoints: reading them safely (``weights_only``) and rebuilding a model from one alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from framework.errors import ConfigError


def read_checkpoint(path: str | Path, map_location: Any = "cpu") -> dict[str, Any]:
    """``torch.load`` with ``weights_only=True``; a missing or corrupt file is a clear error."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"checkpoint {str(path)!r} does not exist")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise ConfigError(
            f"checkpoint {str(path)!r} cannot be read ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); it is truncated, corrupt or "
            f"not a checkpoint of this framework"
        ) from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise ConfigError(f"checkpoint {str(path)!r} has no state_dict: not a training checkpoint")
    return ckpt


def load_model(path: str | Path, map_location: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the trained network from a checkpoint alone (no Hydra), in eval mode.

    >>> model = load_model("outputs/2026-01-01/12-00-00/checkpoints/last.ckpt")  # doctest: +SKIP
    >>> model(torch.randn(5, 64)).argmax(-1)                                       # doctest: +SKIP
    """
    from framework.data.base import DataInfo
    from framework.discovery import import_plugins
    from framework.models import build_model

    ckpt = read_checkpoint(path)
    hp = ckpt.get("hyper_parameters") or {}
    if "config" not in hp or "data_info" not in hp:
        raise ConfigError(f"checkpoint {str(path)!r} carries no config: not written by nn-train")
    config, info = hp["config"], DataInfo.from_dict(hp["data_info"])
    for spec in config.get("imports") or []:
        import_plugins(spec)
    model = build_model(config["model"], config["activation"], info, config["loss"]["name"])
    state = {k[len("model.") :]: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")}
    model.load_state_dict(state)
    return model.to(map_location).eval()
