"""The HParams tab: a run's choices against its final and best metrics, one sortable row per run.

Each run writes its hyperparameters (a session start) and, when it ends, its status (a session
end); at the end of training it logs the best value of every validation metric as
``best/val_loss``, ``best/val_acc`` (``best/val_mae``, ``best/val_r2`` for regression) next to
the final ones.

No run writes an experiment summary, on purpose: TensorBoard takes the columns from the first
experiment summary it finds, so in a sweep whose runs have different parameters
(``activation=relu,elu,leaky_relu``) the others' parameters would be missing. Without one,
TensorBoard lists the union of every run's hyperparameters, with the value ranges of the sweep,
and every scalar of the runs as a metric column.
"""

from __future__ import annotations

from typing import Any

import lightning as L
from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboard.plugins.hparams import metadata
from tensorboard.plugins.hparams.api_pb2 import Status
from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData, SessionEndInfo
from torch.utils.tensorboard.summary import hparams

from framework.callbacks.probes import add_summary, writer_of
from framework.front_door.monitor import metric_mode

BEST_PREFIX = "best/"


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
    for k, v in data.items():
        if k != "name":
            out[f"data.{k}"] = v
    out["seed"] = config.get("seed")
    out["trainer.max_epochs"] = config.get("trainer", {}).get("max_epochs")
    return {k: _scalar(v) for k, v in out.items()}


def _scalar(v: Any) -> Any:
    if v is None:
        return "none"
    if isinstance(v, bool):  # a discrete column (TensorBoard would read a bool as 0/1)
        return str(v).lower()
    if isinstance(v, int | float | str):
        return v
    return str(v)


def _session_end(status: str) -> Summary:
    content = HParamsPluginData(
        session_end_info=SessionEndInfo(status=Status.Value(status)),
        version=metadata.PLUGIN_DATA_VERSION,
    )
    plugin = SummaryMetadata.PluginData(
        plugin_name=metadata.PLUGIN_NAME, content=content.SerializeToString()
    )
    return Summary(
        value=[
            Summary.Value(
                tag=metadata.SESSION_END_INFO_TAG, metadata=SummaryMetadata(plugin_data=plugin)
            )
        ]
    )


class HParamsCallback(L.Callback):
    """Writes the run's hyperparameters at the start of fit (or test), tracks the best value of
    each validation metric, logs them as ``best/…`` at the end of training, and closes the
    session as successful (or failed, on an exception)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.started = False
        self.ended = False
        self.best: dict[str, float] = {}

    def _start(self, trainer: L.Trainer) -> None:
        writer = writer_of(trainer)
        if self.started or writer is None:
            return
        self.started = True
        _, session_start, _ = hparams(flat_hparams(self.config), {})
        add_summary(writer, session_start)

    def _end(self, trainer: L.Trainer, status: str) -> None:
        writer = writer_of(trainer)
        if self.ended or not self.started or writer is None:
            return
        self.ended = True
        add_summary(writer, _session_end(status))
        writer.flush()

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._start(trainer)

    def on_test_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._start(trainer)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        for key, value in trainer.callback_metrics.items():
            if not key.startswith("val/") or value.numel() != 1:
                continue
            v = float(value)
            old = self.best.get(key)
            better = max if metric_mode(key) == "max" else min
            self.best[key] = v if old is None else better(old, v)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        writer = writer_of(trainer)
        if self.best and writer is not None:
            for key, value in self.best.items():
                writer.add_scalar(BEST_PREFIX + key.replace("/", "_"), value, trainer.global_step)
        if not self.config.get("test", False):  # else the test closes the session
            self._end(trainer, "STATUS_SUCCESS")

    def on_test_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._end(trainer, "STATUS_SUCCESS")

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        self._end(trainer, "STATUS_FAILURE")
