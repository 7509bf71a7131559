"""Reading a run's TensorBoard event files back with TensorBoard's own EventAccumulator."""

from __future__ import annotations

from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2


def load_events(run_dir: Path) -> EventAccumulator:
    """Every event kept (0: no sampling), pictures and histograms too."""
    every = {"scalars": 0, "tensors": 0, "images": 0, "histograms": 0}
    acc = EventAccumulator(str(run_dir), size_guidance=every)
    acc.Reload()
    return acc


def scalar_values(acc: EventAccumulator, tag: str) -> list[float]:
    return [e.value for e in acc.Scalars(tag)]


def hparams_of(acc: EventAccumulator) -> tuple[dict, list[str]]:
    """The run's hparams (session start) and its metric columns in the HParams tab: the metrics
    an experiment summary declares, or without one (TensorBoard then lists every scalar of the
    runs) the run's scalar tags."""
    content = acc.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    values = {}
    for key, value in start.session_start_info.hparams.items():
        kind = value.WhichOneof("kind")
        values[key] = getattr(value, kind)
    if "_hparams_/experiment" in content:
        exp = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"])
        metrics = [m.name.tag for m in exp.experiment.metric_infos]
    else:
        metrics = list(acc.Tags()["scalars"])
    return values, metrics
