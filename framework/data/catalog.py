"""Every data set by name: where its LightningDataModule lives and its task. Imports no torch."""

from __future__ import annotations

from dataclasses import dataclass

from framework.front_door import rules


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
    "parquet": _spec("parquet_file", "ParquetDataModule", "auto"),
}
OWN_FILES = ("csv", "npz", "parquet")  # the user's own files (data.path=FILE)
TABLES = ("csv", "parquet")  # … that are tables with named columns (data.target=COLUMN)


# Ranges of the data modules' arguments (their names and types are read from the classes'
# signatures by ``framework.front_door.class_signature``); ``seed`` is nn-train's own ``seed``.
DATA_RULES: dict[str, rules.Rule] = {
    "batch_size": rules.positive_int(),
    "val_fraction": rules.fraction(),
    "test_fraction": rules.fraction(),
    "task": rules.choice("auto", "multiclass", "binary", "regression"),
    "noise": rules.non_negative(),
    **{k: rules.positive_int() for k in ("repeat", "n_samples", "length", "centers", "n_features")},
    **{k: rules.positive() for k in ("turns", "x_max", "factor", "min_period", "max_period")},
}
SET_BY_NN_TRAIN = ("seed",)
