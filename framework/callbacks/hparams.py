"""The HParams tab: a run's choices against its final metrics, one sortable row per run."""

from __future__ import annotations

from typing import Any

import lightning as L
from lightning.pytorch.loggers import TensorBoardLogger
from torch.utils.tensorboard.summary import hparams

METRIC_TAGS = ("val/loss", "val/acc", "test/loss", "test/acc", "train/loss_epoch")


def flat_hparams(config: dict[str, Any]) -> dict[str, Any]:
    """The choices worth a column: plugins and their parameters, sizes, optimizer, data, seed."""
    out: dict[str, Any] = {}
    for group in ("activation", "loss"):
        node = config.get(group, {})
        out[group] = node.get("name")
        for k, v in node.items():
            if k != "name":
                out[f"{group}.{k}"] = v
    model = config.get("model", {})
    for k, v in model.items():
        out[f"model.{k}"] = v
    opt = config.get("optimizer", {})
    out["optimizer"] = str(opt.get("_target_", "")).rsplit(".", 1)[-1]
    for k, v in opt.items():
        if not k.startswith("_"):
            out[f"optimizer.{k}"] = v
    data = config.get("data", {})
    out["data"] = data.get("name")
    out["data.batch_size"] = data.get("batch_size")
    out["seed"] = config.get("seed")
    out["trainer.max_epochs"] = config.get("trainer", {}).get("max_epochs")
    return {k: _scalar(v) for k, v in out.items()}


def _scalar(v: Any) -> Any:
    if v is None:
        return "none"
    if isinstance(v, bool | int | float | str):
        return v
    return str(v)


class HParamsCallback(L.Callback):
    """Writes the run's hyperparameters and declares its metric tags at the start of fit (or
    test); TensorBoard shows each tag's latest value, i.e. the final metrics."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.written = False

    def _write(self, trainer: L.Trainer) -> None:
        if self.written or not isinstance(trainer.logger, TensorBoardLogger):
            return
        self.written = True
        if trainer.global_rank != 0:
            return
        exp, ssi, sei = hparams(flat_hparams(self.config), dict.fromkeys(METRIC_TAGS, 0.0))
        writer = trainer.logger.experiment.file_writer
        for summary in (exp, ssi, sei):
            writer.add_summary(summary)

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._write(trainer)

    def on_test_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._write(trainer)
