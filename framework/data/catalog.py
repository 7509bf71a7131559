"""Every data set by name: where its LightningDataModule lives and its task. Imports no torch."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetSpec:
    target: str  # "module:Class"
    task: str  # "multiclass" | "binary" | "regression" | "auto" (inferred from the data)


DATASETS: dict[str, DatasetSpec] = {
    "digits": DatasetSpec("framework.data.digits:DigitsDataModule", "multiclass"),
    "xor": DatasetSpec("framework.data.xor:XORDataModule", "binary"),
}
