"""Common data-module machinery: a data set only loads its arrays; this module splits them into
train/val/test (stratified for classes), standardises features (and regression targets) with
statistics of the training split only, describes the task (``DataInfo``) and serves loaders."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader

from framework.data.batched import BatchedTensorDataset, collate_batch
from framework.data.sampler import EpochSampler
from framework.data.split import split_rows
from framework.errors import ConfigError

TASKS = ("multiclass", "binary", "regression")
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class DataInfo:
    """What a model and a loss need to know about the data."""

    task: str  # "multiclass" | "binary" | "regression"
    input_shape: tuple[int, ...]
    num_classes: int = 0  # classification
    num_outputs: int = 1  # regression targets
    class_names: tuple[str, ...] = ()  # classification, where known: class index -> name
    # Regression targets are standardised with these training-split statistics (one per output):
    # a prediction times target_std plus target_mean is in the target's own units.
    target_mean: tuple[float, ...] = ()
    target_std: tuple[float, ...] = ()

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> DataInfo:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


#: examples per validation and test batch (at least ``batch_size``): an evaluation step keeps
#: nothing for a backward, so a bigger batch costs little memory and saves per-step work
EVAL_BATCH_SIZE = 1024


class FittedDataModule(L.LightningDataModule):
    """What every data module of this project offers beside its loaders: ``info``, read after
    ``setup``, and ``use_fitted`` for a trained model's preprocessing. A subclass sets
    ``_info`` in ``setup`` and reads ``fitted``/``fitted_info`` there."""

    _info: DataInfo | None = None
    fitted: dict[str, Any] | None = None
    fitted_info: dict[str, Any] | None = None

    def use_fitted(self, preprocessing: dict[str, Any], data_info: dict[str, Any]) -> None:
        """Prepare the data as a trained model's checkpoint says (``train=false`` on another
        file): its standardisation, classes and encodings; every row is test data."""
        self.fitted, self.fitted_info = preprocessing, data_info

    @property
    def info(self) -> DataInfo:
        """The task, shapes and classes; loads the data first if that has not happened yet."""
        if self._info is None:
            self.setup()
        assert self._info is not None
        return self._info


class TensorDataModule(FittedDataModule):
    """In-memory arrays split into train/val/test. A subclass implements ``load`` and sets the
    class attribute ``task``, or leaves it "auto" and sets ``self.task`` in ``load``.

    After ``setup``: ``info``, ``split_indices`` (rows of the loaded arrays in each split),
    ``feature_mean``/``feature_std`` (the training split's statistics, if ``standardize``).
    """

    task: str = "auto"

    def __init__(
        self,
        batch_size: int = 64,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
        standardize: bool = True,
        standardize_target: bool = True,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.standardize = standardize
        self.standardize_target = standardize_target
        self.seed = seed
        self.class_names: tuple[str, ...] = ()
        self.splits: dict[str, BatchedTensorDataset] = {}
        self.split_indices: dict[str, np.ndarray] = {}
        self.feature_mean: np.ndarray | None = None
        self.feature_std: np.ndarray | None = None
        self._info: DataInfo | None = None
        # evaluating a checkpoint on another file: its preprocessing and data info
        self.fitted: dict[str, Any] | None = None
        self.fitted_info: dict[str, Any] | None = None

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        """Features shaped ``(N, *input_shape)``; targets: class indices ``0..K-1`` shaped
        ``(N,)``, or regression values shaped ``(N,)`` or ``(N, outputs)``."""
        raise NotImplementedError

    def split(self, y: np.ndarray) -> dict[str, np.ndarray]:
        """Row indices of train, val and test: disjoint, sized by the fractions, stratified by
        class where every class has enough members, reproducible from ``seed``."""
        return split_rows(y, self.task, self.val_fraction, self.test_fraction, self.seed)

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        if self.fitted is not None:
            self._setup_fitted()
            return
        loaded, y = self.load()
        y = np.asarray(y)
        if self.task not in TASKS:
            raise RuntimeError(f"{type(self).__name__}.load left task={self.task!r}")
        # a data module whose load needed the split (to fit on its training rows) kept it
        indices = self.split_indices or self.split(y)
        # one float32 copy of the features, its rows in split order (train, val, test): each
        # split is a view of it, and the standardisation is done in place (issue 21: the peak
        # memory is the loaded array and this copy, not a copy per split and per operation)
        order = np.concatenate([indices[name] for name in SPLITS])
        x = np.asarray(loaded, dtype=np.float32)[order]
        del loaded
        y = y[order]
        bounds = np.cumsum([0, *(len(indices[name]) for name in SPLITS)])
        rows = {name: slice(bounds[i], bounds[i + 1]) for i, name in enumerate(SPLITS)}
        if self.standardize:
            self._standardize_in_place(x, x[rows["train"]])
        if self.task == "regression":
            y = y.astype(np.float32).reshape(len(y), -1)
            mean, std = np.zeros(y.shape[1]), np.ones(y.shape[1])
            if self.standardize_target:
                mean, std = y[rows["train"]].mean(0), y[rows["train"]].std(0)
                std[std == 0] = 1.0
                y = (y - mean) / std
            target = torch.as_tensor(y, dtype=torch.float32)
            self._info = DataInfo(
                "regression",
                tuple(x.shape[1:]),
                num_outputs=y.shape[1],
                target_mean=tuple(float(m) for m in mean),
                target_std=tuple(float(s) for s in std),
            )
        else:
            target = torch.as_tensor(y.astype(np.int64).reshape(len(y)))
            classes = 2 if self.task == "binary" else int(target.max()) + 1
            if self.task == "binary":
                target = target.float().reshape(-1, 1)
            names = tuple(str(c) for c in self.class_names)  # plain str: checkpoints load it
            self._info = DataInfo(self.task, tuple(x.shape[1:]), classes, class_names=names)
        features = torch.as_tensor(x)
        self.split_indices = indices
        self.splits = {
            name: BatchedTensorDataset(features[rows[name]], target[rows[name]]) for name in SPLITS
        }

    def _setup_fitted(self) -> None:
        assert self.fitted is not None and self.fitted_info is not None
        info = DataInfo.from_dict(self.fitted_info)
        self.task, self.class_names = info.task, info.class_names
        x, y = self.load()
        x = np.asarray(x, dtype=np.float32)
        if tuple(x.shape[1:]) != tuple(info.input_shape):
            raise ConfigError(
                f"the data's examples are shaped {tuple(x.shape[1:])}, but the model was "
                f"trained on examples shaped {tuple(info.input_shape)}"
            )
        mean, std = self.fitted.get("feature_mean"), self.fitted.get("feature_std")
        if mean is not None and std is not None:
            shape = (1, *self.fitted["stat_shape"])
            self.feature_mean = np.asarray(mean, dtype=np.float32).reshape(shape)
            self.feature_std = np.asarray(std, dtype=np.float32).reshape(shape)
            x = (x - self.feature_mean) / self.feature_std
        if info.task == "regression":
            values = np.asarray(y, dtype=np.float32).reshape(len(y), -1)
            if info.target_mean:
                values = (values - np.asarray(info.target_mean)) / np.asarray(info.target_std)
            target = torch.as_tensor(values, dtype=torch.float32)
        else:
            target = torch.as_tensor(np.asarray(y).astype(np.int64).reshape(len(y)))
            if info.task == "binary":
                target = target.float().reshape(-1, 1)
        self._info = info
        everything = np.arange(len(x))
        self.split_indices = {"train": everything[:0], "val": everything[:0], "test": everything}
        features = torch.as_tensor(x)
        self.splits = {
            name: BatchedTensorDataset(features[idx], target[idx])
            for name, idx in self.split_indices.items()
        }

    def _standardize_in_place(self, x: np.ndarray, train: np.ndarray) -> None:
        """Zero mean, unit variance with the training split's statistics (``train``, a view of
        ``x``, read before ``x`` changes): per feature for vectors ``(N, F)`` and sequences
        ``(N, T, F)``, one mean and scale for images."""
        axes = (0,) if x.ndim == 2 else (0, 1) if x.ndim == 3 else tuple(range(x.ndim))
        mean = train.mean(axis=axes, keepdims=True)
        std = train.std(axis=axes, keepdims=True)
        std[std == 0] = 1.0
        self.feature_mean, self.feature_std = mean, std
        x -= mean
        x /= std

    def preprocessing(self) -> dict:
        """What a trained model needs to take raw inputs, as plain lists (a ``weights_only``
        checkpoint loads them): the training split's feature statistics (``None`` without
        ``standardize``), shaped to broadcast over one example. Subclasses add their encodings."""
        if self.feature_mean is None or self.feature_std is None:
            return {"feature_mean": None, "feature_std": None, "stat_shape": None}
        return {
            "feature_mean": [float(v) for v in self.feature_mean.reshape(-1)],
            "feature_std": [float(v) for v in self.feature_std.reshape(-1)],
            "stat_shape": list(self.feature_mean.shape[1:]),
        }

    def _loader(self, name: str, shuffle: bool) -> DataLoader:
        sampler = EpochSampler(len(self.splits[name]), self.seed, shuffle=shuffle)
        # evaluation keeps nothing for a backward: bigger batches, fewer steps (issue 21)
        size = self.batch_size if name == "train" else max(self.batch_size, EVAL_BATCH_SIZE)
        return DataLoader(
            self.splits[name], batch_size=size, sampler=sampler, collate_fn=collate_batch
        )

    def train_dataloader(self) -> DataLoader:
        """Shuffled anew each epoch by ``(seed, epoch)``. When training resumes from a
        checkpoint written mid-epoch, the batches of that epoch already trained on are
        skipped, so the resumed run sees exactly what the uninterrupted run would have."""
        loader = self._loader("train", shuffle=True)
        trainer = getattr(self, "trainer", None)  # set once attached to a Trainer
        if (
            trainer is not None
            and trainer.global_step > 0
            and trainer.limit_train_batches == 1.0
            and trainer.accumulate_grad_batches == 1
        ):
            epoch, done = divmod(trainer.global_step, len(loader))
            loader.sampler.resume(epoch, done * self.batch_size)
        return loader

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)


class GeneratedDataModule(TensorDataModule):
    """A synthetic data set drawn from ``sample_seed``: fixed, like a real data set, whatever
    the run's ``seed`` (which picks the splits, the initial weights and the shuffling)."""

    def __init__(
        self, n_samples: int = 1000, noise: float = 0.1, sample_seed: int = 0, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.n_samples = n_samples
        self.noise = noise
        self.sample_seed = sample_seed

    @property
    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.sample_seed)


class ArrayDataModule(TensorDataModule):
    """Arrays already in memory, e.g. ``ArrayDataModule(x, y, task="binary")``; ``task="auto"``
    infers classification or regression from ``y`` (see ``framework.data.targets``)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, task: str = "auto", **kwargs) -> None:
        super().__init__(**kwargs)
        self.x, self.y, self.requested_task = x, y, task

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        from framework.data.user import encode_targets

        y, self.task, self.class_names = encode_targets(
            np.asarray(self.y), self.requested_task, "y", labels="indices"
        )
        return np.asarray(self.x, dtype=np.float32), y
