"""Common data-module machinery: splits, standardisation fitted on train only, loaders."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import lightning as L
import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset


@dataclass(frozen=True)
class DataInfo:
    """What a model and a loss need to know about the data."""

    task: str  # "multiclass" | "binary" | "regression"
    input_shape: tuple[int, ...]
    num_classes: int = 0  # classification
    num_outputs: int = 1  # regression targets

    def to_dict(self) -> dict:
        return {**asdict(self), "input_shape": list(self.input_shape)}

    @classmethod
    def from_dict(cls, d: dict) -> DataInfo:
        return cls(**{**d, "input_shape": tuple(d["input_shape"])})


class TensorDataModule(L.LightningDataModule):
    """In-memory arrays split into train/val/test; subclasses implement ``load``."""

    info: DataInfo

    def __init__(
        self,
        batch_size: int = 64,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
        standardize: bool = True,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.standardize = standardize
        self.seed = seed
        self.splits: dict[str, TensorDataset] = {}

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def split(
        self, x: np.ndarray, y: np.ndarray
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        stratify = y if self.info.task != "regression" else None
        x_rest, x_test, y_rest, y_test = train_test_split(
            x, y, test_size=self.test_fraction, random_state=self.seed, stratify=stratify
        )
        val_share = self.val_fraction / (1 - self.test_fraction)
        stratify = y_rest if self.info.task != "regression" else None
        x_train, x_val, y_train, y_val = train_test_split(
            x_rest, y_rest, test_size=val_share, random_state=self.seed, stratify=stratify
        )
        return {"train": (x_train, y_train), "val": (x_val, y_val), "test": (x_test, y_test)}

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        x, y = self.load()
        parts = self.split(x, y)
        if self.standardize:  # statistics from the training split only
            x_train = parts["train"][0]
            axes = (0,) if x_train.ndim == 2 else tuple(range(x_train.ndim))
            mean = x_train.mean(axis=axes, keepdims=True)
            std = x_train.std(axis=axes, keepdims=True)
            std[std == 0] = 1.0
            parts = {k: ((xs - mean) / std, ys) for k, (xs, ys) in parts.items()}
        for name, (xs, ys) in parts.items():
            xt = torch.as_tensor(xs, dtype=torch.float32).reshape(-1, *self.info.input_shape)
            yt = torch.as_tensor(ys)
            yt = yt.long() if self.info.task == "multiclass" else yt.float().reshape(len(yt), -1)
            self.splits[name] = TensorDataset(xt, yt)

    def _loader(self, name: str, shuffle: bool) -> DataLoader:
        generator = torch.Generator().manual_seed(self.seed)
        return DataLoader(
            self.splits[name], batch_size=self.batch_size, shuffle=shuffle, generator=generator
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)
