"""Checkpoints: reading them safely (``weights_only``) and rebuilding a model from one alone."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from framework.errors import ConfigError

if TYPE_CHECKING:
    from framework.training.inference import TrainedModel


def read_checkpoint(path: str | Path, map_location: Any = "cpu") -> dict[str, Any]:
    """``torch.load`` with ``weights_only=True``; a missing or corrupt file is a clear error."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"checkpoint {str(path)!r} does not exist")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        first = first if len(first) <= 100 else first[:100].rsplit(" ", 1)[0] + " …"
        raise ConfigError(
            f"checkpoint {str(path)!r} cannot be read ({type(exc).__name__}: {first}); it is "
            f"truncated, corrupt or not a checkpoint of this framework"
        ) from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise ConfigError(f"checkpoint {str(path)!r} has no state_dict: not a training checkpoint")
    return ckpt


def load_model(
    path: str | Path,
    map_location: str | torch.device = "cpu",
    imports: list[str] | None = None,
) -> TrainedModel:
    """The trained model from a checkpoint alone (no Hydra), in eval mode: raw inputs in.

    The model applies the preprocessing the run fitted on its training split (feature
    standardisation; for regression, the target's scale) and answers in the data's own units:
    logits (classes), a logit (binary) or values (regression); see ``framework.training.inference``.
    The plugins the run imported are imported again from where the run found them;
    ``imports=[...]`` gives other locations (files moved). A checkpoint written before
    checkpoints carried their preprocessing loads with a warning: its model takes inputs
    preprocessed as in training (standardised features), as it always did.

    >>> model = load_model("outputs/2026-01-01/12-00-00/checkpoints/last.ckpt")  # doctest: +SKIP
    >>> predict(model, raw_features)          # class names, indices or values  # doctest: +SKIP
    """
    from framework.contract.provenance import import_recorded, legacy_records
    from framework.data.base import DataInfo
    from framework.models import build_model
    from framework.training.inference import TrainedModel

    ckpt = read_checkpoint(path)
    hp = ckpt.get("hyper_parameters") or {}
    if "config" not in hp or "data_info" not in hp:
        raise ConfigError(f"checkpoint {str(path)!r} carries no config: not written by nn-train")
    config, info = hp["config"], DataInfo.from_dict(hp["data_info"])
    records = hp.get("plugin_sources")
    if records is None:
        records = legacy_records(list(config.get("imports") or []))
    import_recorded(records, imports, str(path))
    try:
        network = build_model(config["model"], config["activation"], info, config["loss"]["name"])
        state = {k[6:]: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")}
        network.load_state_dict(state)
    except (TypeError, ValueError, KeyError, RuntimeError) as exc:
        message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        raise ConfigError(
            f"checkpoint {str(path)!r}: its network cannot be rebuilt with the plugins "
            f"registered now ({message.splitlines()[0]}); if it was trained with plugins of "
            f"your own, give their files with imports=[...] (nn-predict/nn-export --imports)"
        ) from None
    preprocessing = hp.get("preprocessing")
    if preprocessing is None:
        warnings.warn(LEGACY_WARNING.format(path=str(path)), LegacyCheckpoint, stacklevel=2)
    model = TrainedModel(network, info, preprocessing, config["model"].get("output_activation"))
    model.legacy = preprocessing is None
    return model.to(map_location).eval()


LEGACY_WARNING = (
    "checkpoint {path!r} predates stored preprocessing: its model takes inputs standardised "
    "as in training, not raw ones (retrain to get a raw-input model)"
)


class LegacyCheckpoint(UserWarning):
    """A checkpoint without the preprocessing fitted on its training split."""
