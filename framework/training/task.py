"""The LightningModule: a plugin-built network, a plugin loss, an optimizer, metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
import torchmetrics
from torch import nn

from framework.callbacks.probes import logs_this_step
from framework.data.base import DataInfo


class TaskModule(L.LightningModule):
    """Trains ``model`` with ``loss``; logs ``{train,val,test}/loss``, and ``val/acc``,
    ``test/acc`` for classification or ``val/mae``, ``val/r2``, ``test/mae``, ``test/r2`` for
    regression (in the target's own units; multi-output r2 is the average over outputs)."""

    def __init__(
        self,
        model: nn.Module,
        loss: nn.Module,
        optimizer: Callable[..., torch.optim.Optimizer],
        info: DataInfo,
        config: dict[str, Any],
        scheduler: Callable[..., Any] | None = None,
        monitor: str = "val/loss",
        preprocessing: dict[str, Any] | None = None,
        plugin_sources: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__()
        self.scheduler_factory = scheduler
        self.monitor = monitor
        self.model = model
        self.loss = loss
        self.optimizer_factory = optimizer
        self.info = info
        self.loss_target = getattr(loss.function, "target", "same")
        self.output_activation = config["model"].get("output_activation")
        # The checkpoint carries the resolved config, the data description, the preprocessing
        # fitted on the training split and where the plugins came from: load_model rebuilds a
        # raw-input predictor from them alone (framework.training.checkpoint,
        # framework.training.inference).
        self.save_hyperparameters(
            {
                "config": config,
                "data_info": info.to_dict(),
                "preprocessing": preprocessing,
                "plugin_sources": plugin_sources,
            },
            logger=False,
        )
        # The epoch's mean training loss, kept in the checkpoint (persistent state) so that a run
        # resumed mid-epoch reports the same epoch mean as the run left alone.
        self.train_loss_mean = torchmetrics.MeanMetric()
        self.train_loss_mean.persistent(True)
        if info.task in ("multiclass", "binary"):
            n = max(info.num_classes, 2)
            self.metrics = nn.ModuleDict(
                {
                    s: torchmetrics.Accuracy(task="multiclass", num_classes=n)
                    for s in ("val", "test")
                }
            )
        else:
            self.metrics = nn.ModuleDict(
                {
                    f"{s}_{name}": metric()
                    for s in ("val", "test")
                    for name, metric in (
                        ("mae", torchmetrics.MeanAbsoluteError),
                        ("r2", torchmetrics.R2Score),
                    )
                }
            )
            # the data module standardised the targets; metrics are in the targets' own units
            k = info.num_outputs
            mean, std = info.target_mean or (0.0,) * k, info.target_std or (1.0,) * k
            self.register_buffer("target_mean", torch.tensor(mean), persistent=False)
            self.register_buffer("target_std", torch.tensor(std), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def compile_network(self) -> None:
        """``model.compile=true``: the training, validation and test steps run the network
        through ``torch.compile``; ``forward`` (what callbacks and ``load_model`` use) stays
        eager, so their other shapes cause no recompilation. The compiled wrapper is not a
        submodule: the checkpoint's keys are unchanged."""
        object.__setattr__(self, "_compiled", torch.compile(self.model))

    def targets_for_loss(self, y: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """Targets in the form the loss plugin declares (class indices, one-hot, ±1 …)."""
        if self.info.task == "regression":
            return y
        classes = y.long().reshape(-1)
        if self.loss_target == "class_index":
            return classes
        if out.shape[-1] == 1:  # binary task with a single output unit
            target = y.to(out.dtype).reshape(out.shape)
        else:
            target = F.one_hot(classes, out.shape[-1]).to(out.dtype)
        return target * 2 - 1 if self.loss_target == "sign" else target

    def predicted_classes(self, out: torch.Tensor) -> torch.Tensor:
        if out.shape[-1] > 1:
            return out.argmax(-1)
        # one unit: a probability after an output activation, else a logit (or a score around 0)
        cut = 0.5 if self.output_activation else 0.0
        return (out.reshape(-1) > cut).long()

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        x, y = batch
        out = self.__dict__.get("_compiled", self.model)(x)
        loss = self.loss(out, self.targets_for_loss(y, out))
        if stage == "train":
            self.train_loss_mean.update(loss.detach())
            return loss
        self.log(f"{stage}/loss", loss, on_epoch=True, prog_bar=stage == "val")
        if self.info.task == "regression":
            self._log_regression(out, y, stage)
        else:
            metric = self.metrics[stage]
            metric(self.predicted_classes(out), y.long().reshape(-1))
            self.log(f"{stage}/acc", metric, on_epoch=True, prog_bar=stage == "val")
        return loss

    def _log_regression(self, out: torch.Tensor, y: torch.Tensor, stage: str) -> None:
        k = self.info.num_outputs
        predicted = out.detach().reshape(len(out), k) * self.target_std + self.target_mean
        target = y.reshape(len(y), k) * self.target_std + self.target_mean
        if k == 1:
            predicted, target = predicted.reshape(-1), target.reshape(-1)
        for name in ("mae", "r2"):
            metric = self.metrics[f"{stage}_{name}"]
            metric(predicted, target)
            self.log(f"{stage}/{name}", metric, on_epoch=True, prog_bar=stage == "val")

    def on_validation_epoch_start(self) -> None:
        # the epoch's training loss before validation ends, so that a callback checking
        # ``monitor=train/loss`` (the epoch mean) at validation end sees this epoch's value
        self._train_mean_logged = False
        fitting = self.trainer.state.fn == "fit" and not self.trainer.sanity_checking
        if fitting and self.train_loss_mean.update_count:
            self.log("train/loss_epoch", self.train_loss_mean.compute())
            self._train_mean_logged = True

    def on_train_epoch_end(self) -> None:
        if not getattr(self, "_train_mean_logged", False):  # no validation this epoch
            self.log("train/loss_epoch", self.train_loss_mean.compute())
        self._train_mean_logged = False
        self.train_loss_mean.reset()

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train")

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        # ``train/loss`` only on the steps whose values the loggers write
        # (``trainer.log_every_n_steps``, or a stop): ``self.log`` costs ~0.3 ms a call, and on
        # the other steps Lightning would drop the value. Called after the callbacks' own
        # ``on_train_batch_end``, so a callback that stops the run here still gets the step logged.
        if self.trainer.fast_dev_run or logs_this_step(self.trainer):
            loss = outputs["loss"] if isinstance(outputs, dict) else outputs
            self.log("train/loss", loss.detach(), on_step=True, on_epoch=False, prog_bar=True)

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch: Any, batch_idx: int) -> None:
        self._step(batch, "test")

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        # stepped once per epoch; ReduceLROnPlateau watches the run's monitored metric
        scheduler = {
            "scheduler": self.scheduler_factory(optimizer),
            "interval": "epoch",
            "monitor": self.monitor,
        }
        return {"optimizer": optimizer, "lr_scheduler": scheduler}
