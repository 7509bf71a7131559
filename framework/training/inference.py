"""A trained network as a complete predictor: preprocess -> network -> postprocess.

``TrainedModel`` applies what the run fitted on its training split, so that it takes raw
inputs and answers in the data's own units:

- preprocess: the features standardised with the training split's mean and standard deviation;
- network: the plugin-built network as trained;
- postprocess: regression outputs scaled back to the target's units. Classification outputs are
  the network's scores: logits (one per class, or one for a binary task), or probabilities
  where the model ends in an ``output_activation``.

A model trained on a CSV file also knows its columns (``columns``): ``encode`` turns raw rows
(text categories included) into the feature tensor ``forward`` takes. ``predict`` and
``predict_proba`` accept either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from framework.data.base import DataInfo


class TrainedModel(nn.Module):
    """Raw features in; logits (classes), a logit (binary) or values in target units out.

    Attributes: ``task``, ``class_names`` (index -> name; the indices as text where the data
    has no names), ``input_shape`` (one example's), ``columns`` (a CSV model's input columns,
    else ``None``), ``outputs_probabilities`` (the network ends in an output activation).
    """

    def __init__(
        self,
        network: nn.Module,
        info: DataInfo,
        preprocessing: Mapping[str, Any] | None = None,
        output_activation: str | None = None,
    ) -> None:
        super().__init__()
        self.network = network
        self.task = info.task
        self.input_shape = tuple(info.input_shape)
        n_classes = info.num_classes if info.task != "regression" else 0
        self.class_names = list(info.class_names) or [str(i) for i in range(n_classes)]
        self.has_class_names = bool(info.class_names)
        self.outputs_probabilities = bool(output_activation)
        self.legacy = False  # load_model: a checkpoint without stored preprocessing
        pre = dict(preprocessing or {})
        self.columns: list[dict[str, Any]] | None = pre.get("columns")
        self.delimiter: str = pre.get("delimiter", ",")
        self.target_column: str | None = pre.get("target")
        self.dropped_columns: list[str] = list(pre.get("dropped_columns") or [])
        self.na_values: list[str] = list(pre.get("na_values") or [])
        self.standardizes = pre.get("feature_mean") is not None
        if self.standardizes:
            shape = tuple(pre["stat_shape"])
            self.register_buffer("feature_mean", torch.tensor(pre["feature_mean"]).reshape(shape))
            self.register_buffer("feature_std", torch.tensor(pre["feature_std"]).reshape(shape))
        if self.task == "regression":
            k = info.num_outputs
            self.register_buffer("target_mean", torch.tensor(info.target_mean or (0.0,) * k))
            self.register_buffer("target_std", torch.tensor(info.target_std or (1.0,) * k))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.standardizes:
            x = (x - self.feature_mean) / self.feature_std
        out = self.network(x)
        if self.task == "regression":
            out = out.reshape(out.shape[0], -1) * self.target_std + self.target_mean
        return out

    def encode(self, table: Any) -> torch.Tensor:
        """Raw inputs as the float tensor ``forward`` takes.

        ``table``: an array or tensor of features; for a CSV model also a mapping of column
        name to values or a sequence of row mappings (``csv.DictReader`` rows), text
        categories one-hot encoded as in training. Bad input: ``ValueError`` naming it.
        """
        if isinstance(table, torch.Tensor):
            x = table.to(torch.get_default_dtype())
        elif isinstance(table, np.ndarray):
            x = torch.as_tensor(np.asarray(table, dtype=np.float32))
        elif self.columns is not None and _is_table(table):
            from framework.errors import ConfigError
            from framework.training.raw_input import encode_columns

            try:
                x = torch.as_tensor(
                    encode_columns(
                        _as_columns(table),
                        self.columns,
                        "input",
                        target=self.target_column,
                        ignored=self.dropped_columns,
                        na_values=self.na_values,
                    )
                )
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        else:
            x = torch.as_tensor(np.asarray(table, dtype=np.float32))
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(
                f"inputs of shape {tuple(x.shape)}: this model takes a batch of examples "
                f"shaped {self.input_shape}, i.e. (N, {', '.join(map(str, self.input_shape))})"
            )
        device = next(iter(self.parameters()), torch.empty(0)).device
        return x.to(device)

    def scores(self, table: Any) -> torch.Tensor:
        """``forward`` on ``encode(table)``, without gradients."""
        with torch.no_grad():
            return self(self.encode(table))

    def probabilities(self, out: torch.Tensor) -> torch.Tensor:
        """Class probabilities ``(N, classes)`` from the outputs ``forward`` returned."""
        if self.task == "regression":
            raise ValueError("a regression model has no class probabilities; use predict")
        if out.shape[-1] == 1:  # binary, one unit: P(class 1)
            p = out.reshape(-1) if self.outputs_probabilities else torch.sigmoid(out.reshape(-1))
            return torch.stack([1 - p, p], dim=-1)
        if self.outputs_probabilities:
            return out / out.sum(-1, keepdim=True)
        return torch.softmax(out, dim=-1)

    def classes(self, out: torch.Tensor) -> torch.Tensor:
        """Class indices from the outputs ``forward`` returned (the rule training scored by)."""
        if out.shape[-1] > 1:
            return out.argmax(-1)
        cut = 0.5 if self.outputs_probabilities else 0.0  # a probability, else a logit
        return (out.reshape(-1) > cut).long()


def predict(model: TrainedModel, x: Any) -> torch.Tensor | list[str]:
    """Predictions for raw inputs ``x`` (see ``TrainedModel.encode``): the class names where the
    data names its classes, else class indices; values in the target's units for regression
    (shape ``(N,)``, or ``(N, outputs)``).

    >>> model = load_model("outputs/2026-01-01/12-00-00/checkpoints/last.ckpt")  # doctest: +SKIP
    >>> predict(model, raw_features)                                               # doctest: +SKIP
    """
    out = model.scores(x)
    if model.task == "regression":
        return out.reshape(-1) if out.shape[-1] == 1 else out
    classes = model.classes(out)
    if model.has_class_names:
        return [model.class_names[i] for i in classes.tolist()]
    return classes


def predict_proba(model: TrainedModel, x: Any) -> torch.Tensor:
    """Class probabilities ``(N, classes)`` for raw inputs ``x``; columns in the order of
    ``model.class_names`` (binary: P(class 0), P(class 1))."""
    return model.probabilities(model.scores(x))


def _is_table(table: Any) -> bool:
    """Named columns: a mapping of columns, or a sequence of row mappings."""
    if isinstance(table, Mapping):
        return True
    return isinstance(table, Sequence) and bool(table) and isinstance(table[0], Mapping)


def _as_columns(table: Any) -> dict[str, list[Any]]:
    """Column name -> values, from a mapping of columns or a sequence of row mappings."""
    if isinstance(table, Mapping):
        return {str(k): list(v) for k, v in table.items()}
    names = list(dict.fromkeys(k for r in table for k in r))
    return {str(n): [r.get(n, "") for r in table] for n in names}
