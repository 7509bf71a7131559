"""Every data set by name: where its LightningDataModule lives and its task. Imports no torch."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetSpec:
    target: str  # "module:Class"
    task: str  # "multiclass" | "binary" | "regression" | "auto" (inferred from the data)


def _spec(module: str, cls: str, task: str) -> DatasetSpec:
    return DatasetSpec(f"framework.data.{module}:{cls}", task)


DATASETS: dict[str, DatasetSpec] = {
    # bundled with scikit-learn (no download)
    "digits": _spec("digits", "DigitsDataModule", "multiclass"),
    "iris": _spec("iris", "IrisDataModule", "multiclass"),
    "wine": _spec("wine", "WineDataModule", "multiclass"),
    "breast_cancer": _spec("breast_cancer", "BreastCancerDataModule", "binary"),
    "diabetes": _spec("diabetes", "DiabetesDataModule", "regression"),
    "linnerud": _spec("linnerud", "LinnerudDataModule", "regression"),
    # generated
    "xor": _spec("xor", "XORDataModule", "binary"),
    "moons": _spec("moons", "MoonsDataModule", "binary"),
    "circles": _spec("circles", "CirclesDataModule", "binary"),
    "spirals": _spec("spirals", "SpiralsDataModule", "binary"),
    "blobs": _spec("blobs", "BlobsDataModule", "multiclass"),
    "sine": _spec("sine", "SineDataModule", "regression"),
    "sequence": _spec("sequence", "SequenceDataModule", "regression"),
    # the user's own files: the task is read from the data (or forced with data.task=…)
    "csv": _spec("csv_file", "CSVDataModule", "auto"),
    "npz": _spec("npz_file", "NPZDataModule", "auto"),
}
