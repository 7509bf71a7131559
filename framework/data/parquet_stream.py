"""A Parquet table larger than memory: ``data=parquet data.streaming=true``.

The file is never held whole. One pass over its row groups, before training, fits what
training needs on the training split: each feature's mean and standard deviation (float64
moments of each row group, merged pairwise), the fill value of a column with missing values
(the median of a uniform sample of up to 100,000 training rows, exact below that), and the
target's classes or its mean and standard deviation. Training then reads one row group at a
time: the row groups in an order shuffled anew each epoch (by ``seed`` and the epoch), the rows
of each shuffled, in batches of ``data.batch_size``; validation and test read the file in order.
Peak memory grows with the largest row group, not with the file.

The split is a stable hash of each row's index in the file (with ``seed``): a row is in the
same split whichever row group it sits in and however the file is read, and the fractions hold
up to sampling noise (not stratified by class, as the in-memory split is).

What a table must be: numeric or true/false feature columns (a text or date column is refused,
naming it: encode it in the file, drop it with ``data.drop``, or read the file whole with
``data.streaming=false``); any target column (text, whole numbers or real numbers, the task
decided as for ``data=csv``). ``data.missing`` as for ``data=csv``. A run resumed from a
checkpoint written in the middle of an epoch starts that epoch's reading again (the in-memory
data modules skip what was already trained on). With several processes (DDP) each reads its
own share of the row groups.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset

from framework.data.base import EVAL_BATCH_SIZE, DataInfo, FittedDataModule
from framework.data.features import MISSING_CHOICES, missing_markers, select_columns
from framework.data.user import encode_targets
from framework.errors import ConfigError

log = logging.getLogger(__name__)

SAMPLE_ROWS = 100_000  # training rows sampled for the fill values (medians)
MAX_CLASS_VALUES = 10_000  # distinct target values tracked; beyond, numbers are regression
_SPLIT_SALT, _SAMPLE_SALT = 0x5EED, 0x5A3E


def unit_hash(rows: np.ndarray, seed: int, salt: int = _SPLIT_SALT) -> np.ndarray:
    """A number in [0, 1) per row index, the same for the same ``(row, seed)`` on any machine
    (SplitMix64's finaliser)."""
    with np.errstate(over="ignore"):
        z = rows.astype(np.uint64) + np.uint64(((seed * 0x9E3779B97F4A7C15) ^ salt) % 2**64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)).astype(np.float64) / 2.0**53


class StreamingParquetDataModule(FittedDataModule):
    """Features and one target column from a Parquet file, read a row group at a time."""

    def __init__(
        self,
        path: str,
        target: str,
        task: str = "auto",
        missing: str = "fill",
        na_values: Sequence[str] = (),
        features: Sequence[str] = (),
        drop: Sequence[str] = (),
        max_categories: int = 50,
        report_only: bool = False,
        streaming: bool = True,
        batch_size: int = 32,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
        standardize_target: bool = True,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if missing not in MISSING_CHOICES:
            raise ConfigError(
                f"data.missing={missing!r} is not valid; choose one of {', '.join(MISSING_CHOICES)}"
            )
        self.path, self.target, self.requested_task = str(path), str(target), task
        self.missing, self.features_asked, self.drop = missing, list(features), list(drop)
        self.batch_size = int(batch_size)
        self.val_fraction, self.test_fraction = float(val_fraction), float(test_fraction)
        self.standardize_target = standardize_target
        self.seed = int(seed)
        self.na_values = list(na_values)
        self.markers = missing_markers(self.na_values)  # text meaning a missing target
        self.columns: list[dict[str, Any]] = []  # the numeric plan of framework.data.features
        self.report = None  # no data report: the table is never held whole
        self._info: DataInfo | None = None
        self._class_values: np.ndarray | None = None
        self.feature_mean: np.ndarray | None = None
        self.feature_std: np.ndarray | None = None
        self._target_stats: tuple[float, float] | None = None
        self.fitted: dict[str, Any] | None = None
        self.fitted_info: dict[str, Any] | None = None
        self.rows = {"train": 0, "val": 0, "test": 0}
        self.passes = [0, 0, 0]  # reads of each split outside a Trainer (its epochs)
        self.group_counts: list[list[int]] = []  # rows of train, val, test per row group

    # --- the pass that fits -------------------------------------------------------------------

    def setup(self, stage: str | None = None) -> None:
        if self._info is not None:
            return
        self._open()
        if self.fitted is not None:
            self._setup_fitted()
            return
        self._fit()

    def _open(self) -> None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ConfigError(
                f"data.path={self.path!r} is a Parquet file, which needs pyarrow: pip install "
                f"pyarrow (the README's set-up, make, installs it)"
            ) from None
        if not Path(self.path).is_file():
            raise ConfigError(f"data.path={self.path!r}: no such file")
        try:
            self._file = pq.ParquetFile(self.path)
        except (OSError, pa.ArrowException) as exc:
            raise ConfigError(
                f"{self.path} cannot be read as Parquet ({' '.join(str(exc).split())})"
            ) from None
        schema = self._file.schema_arrow
        header = [str(n) for n in schema.names]
        self.inputs = select_columns(header, self.target, self.features_asked, self.drop, self.path)
        for name in self.inputs:
            kind = schema.field(name).type
            if not _numeric(kind):
                raise ConfigError(
                    f"{self.path}: column {name!r} holds {kind}, and data.streaming=true reads "
                    f"numeric and true/false feature columns only. Encode it as numbers in the "
                    f"file, leave it out with data.drop=[{name}], or read the file whole "
                    f"(data.streaming=false), which encodes text and dates"
                )
        self.dropped_columns = [c for c in header if c not in self.inputs and c != self.target]
        meta = self._file.metadata
        sizes = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
        self.group_starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        if self.group_starts[-1] == 0:
            raise ConfigError(f"{self.path} has columns ({', '.join(header)}) but no rows")

    def _read(self, group: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row group ``group``: its global row indices, its features as float64 (NaN where
        missing) and its raw target values."""
        import pyarrow as pa
        import pyarrow.compute as pc

        table = self._file.read_row_group(group, columns=[*self.inputs, self.target])
        n = table.num_rows
        x = np.empty((n, len(self.inputs)), dtype=np.float64)
        for j, name in enumerate(self.inputs):
            column = pc.cast(table.column(name), pa.float64())
            x[:, j] = column.fill_null(float("nan")).to_numpy()
        y = table.column(self.target)
        if _numeric(y.type):
            y_values = pc.cast(y, pa.float64()).fill_null(float("nan")).to_numpy()
        else:  # text: stripped, the missing-value markers (and data.na_values) as missing
            y_values = np.asarray(
                [None if v is None or v.strip() in self.markers else v.strip()
                 for v in y.cast(pa.string()).to_pylist()],
                dtype=object,
            )  # fmt: skip
        rows = np.arange(self.group_starts[group], self.group_starts[group] + n)
        return rows, x, y_values

    def split_of(self, rows: np.ndarray) -> np.ndarray:
        """0 train, 1 val, 2 test for each global row index."""
        u = unit_hash(rows, self.seed)
        return np.where(
            u < self.test_fraction, 2, np.where(u < self.test_fraction + self.val_fraction, 1, 0)
        )

    def _fit(self) -> None:
        n_total = int(self.group_starts[-1])
        k = len(self.inputs)
        moments = (np.zeros(k), np.zeros(k), np.zeros(k))  # count, mean, sum of squared deviations
        nulls = np.zeros(k, dtype=np.int64)
        train_share = 1 - self.val_fraction - self.test_fraction
        sample_share = min(1.0, SAMPLE_ROWS / max(1.0, n_total * train_share))
        samples: list[np.ndarray] = []
        distinct: set[Any] = set()
        numeric_target, whole, too_many = True, True, False
        y_sum = y_squares = 0.0
        y_count = 0
        for group in range(len(self.group_starts) - 1):
            rows, x, y = self._read(group)
            keep = self._kept(x, y)
            split = self.split_of(rows)
            counts = [int(((split == s) & keep).sum()) for s in range(3)]
            self.group_counts.append(counts)
            for name, n in zip(("train", "val", "test"), counts, strict=True):
                self.rows[name] += n
            train = (split == 0) & keep
            xt, yt = x[train], y[train]
            present = ~np.isnan(xt)
            nulls += (~present).sum(0)
            moments = _merged(moments, _moments(xt, present))
            if sample_share < 1:
                picked = unit_hash(rows[train], self.seed, _SAMPLE_SALT) < sample_share
                samples.append(xt[picked])
            else:
                samples.append(xt)
            numeric_target = numeric_target and y.dtype != object
            if numeric_target:
                kept_y = y[keep]
                if not np.isfinite(kept_y).all():
                    row = int(rows[keep][np.argmax(~np.isfinite(kept_y))])
                    raise ConfigError(
                        f"{self.path}: target column {self.target!r}, row {row + 1} holds an "
                        f"infinite value; fix or drop that row"
                    )
                y_sum += float(yt.sum())
                y_squares += float((yt * yt).sum())
                y_count += len(yt)
                whole = whole and bool(np.all(kept_y == np.round(kept_y)))
            if not too_many:
                distinct.update(np.unique(y[keep]).tolist())
                too_many = len(distinct) > MAX_CLASS_VALUES
        if self.rows["train"] == 0:
            raise ConfigError(
                f"{self.path}: no training rows (of {n_total}) with val_fraction="
                f"{self.val_fraction} and test_fraction={self.test_fraction}"
                + (" after dropping rows with missing values" if self.missing == "drop" else "")
            )
        sample = np.concatenate(samples) if samples else np.zeros((0, k))
        self._fit_columns(moments, nulls, sample)
        self._fit_target(distinct, numeric_target, whole, too_many, y_sum, y_squares, y_count)
        log.info(
            "data: %s streamed: %d rows (train %d, val %d, test %d), %d features, task %s",
            self.path, n_total, self.rows["train"], self.rows["val"], self.rows["test"],
            len(self.feature_mean.reshape(-1)), self._info.task,
        )  # fmt: skip

    def _kept(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Rows used: a target present (and, with ``missing=drop``, every feature)."""
        if np.isinf(x).any():
            row, col = np.argwhere(np.isinf(x))[0]
            raise ConfigError(
                f"{self.path}: column {self.inputs[col]!r} holds an infinite value (row "
                f"{row + 1} of its row group); fix or drop that row"
            )
        if y.dtype == object:
            keep = np.array([v is not None for v in y], dtype=bool)
        else:
            keep = ~np.isnan(y)
        if self.missing == "drop":
            keep &= ~np.isnan(x).any(1)
        elif self.missing == "error" and np.isnan(x).any():
            row, col = np.argwhere(np.isnan(x))[0]
            raise ConfigError(
                f"{self.path}: column {self.inputs[col]!r} has a missing value (row "
                f"{row + 1} of its row group) and data.missing=error; use data.missing=fill or "
                f"drop"
            )
        return keep

    def _fit_columns(self, moments, nulls, sample) -> None:
        means, stds, plan = [], [], []
        for j, name in enumerate(self.inputs):
            values = sample[:, j]
            values = values[~np.isnan(values)]
            median = float(np.median(values)) if len(values) else 0.0
            n = moments[0][j] + nulls[j]
            fill = median if nulls[j] and self.missing == "fill" else None
            # the filled column: the values present, and ``nulls`` copies of the fill value
            column = tuple(m[j : j + 1] for m in moments)
            if fill is not None:
                column = _merged(column, (np.array([nulls[j]]), np.array([fill]), np.zeros(1)))
            mean = float(column[1][0])
            std = float(np.sqrt(column[2][0] / max(n, 1)))
            means.append(mean), stds.append(std if std > 0 else 1.0)
            plan.append({"name": name, "kind": "numeric", "fill": fill, "median": median})
            if fill is not None:  # the <name>_missing indicator: a share p of ones
                p = nulls[j] / n
                means.append(p), stds.append(float(np.sqrt(p * (1 - p))) or 1.0)
        self.columns = plan
        self.feature_mean = np.asarray(means, dtype=np.float64).reshape(1, -1)
        self.feature_std = np.asarray(stds, dtype=np.float64).reshape(1, -1)

    def _fit_target(self, distinct, numeric, whole, too_many, y_sum, y_squares, y_count) -> None:
        task = self.requested_task
        if too_many and (not numeric or task in ("multiclass", "binary")):
            raise ConfigError(
                f"{self.path}: target column {self.target!r} has more than {MAX_CLASS_VALUES} "
                f"distinct values; classes need fewer (for numbers use data.task=regression)"
            )
        name = f"{self.path}: target column {self.target!r}"
        if too_many or (numeric and not whole and task != "multiclass" and task != "binary"):
            values = np.array([0.5])  # any non-whole number: regression
            task = "regression" if task == "auto" else task
        else:
            values = np.array(sorted(distinct), dtype=object if not numeric else None)
            if numeric and whole:
                values = values.astype(np.int64)
        _, task, class_names = encode_targets(values, task, name)
        if task == "regression":
            mean = y_sum / max(y_count, 1)
            std = float(np.sqrt(max(y_squares / max(y_count, 1) - mean * mean, 0.0))) or 1.0
            self._target_stats = (mean, std) if self.standardize_target else (0.0, 1.0)
            shown = self._target_stats if self.standardize_target else ((), ())
            self._info = DataInfo(
                "regression", (len(self.feature_mean.reshape(-1)),),
                target_mean=(shown[0],) if self.standardize_target else (),
                target_std=(shown[1],) if self.standardize_target else (),
            )  # fmt: skip
            return
        self._class_values = values
        self._info = DataInfo(
            task, (len(self.feature_mean.reshape(-1)),),
            2 if task == "binary" else len(values), class_names=tuple(class_names),
        )  # fmt: skip

    def _setup_fitted(self) -> None:
        assert self.fitted is not None and self.fitted_info is not None
        info = DataInfo.from_dict(self.fitted_info)
        fitted = self.fitted
        self.columns = list(fitted["columns"])
        wanted = [c["name"] for c in self.columns]
        missing = [c for c in wanted if c not in self.inputs and c != self.target]
        if missing:
            raise ConfigError(
                f"{self.path} lacks column(s) {', '.join(missing)} that the model was trained on"
            )
        self.inputs = wanted
        shape = (1, *fitted["stat_shape"])
        self.feature_mean = np.asarray(fitted["feature_mean"], dtype=np.float64).reshape(shape)
        self.feature_std = np.asarray(fitted["feature_std"], dtype=np.float64).reshape(shape)
        if info.task == "regression":
            self._target_stats = (
                (info.target_mean[0], info.target_std[0]) if info.target_mean else (0.0, 1.0)
            )
        else:
            values = fitted.get("class_values") or list(info.class_names)
            self._class_values = _class_array(values)
        self.val_fraction, self.test_fraction = 0.0, 1.0  # every row is test data
        self._info = info

    def preprocessing(self) -> dict:
        """What a trained model needs to take raw rows (as ``data=parquet``'s, so ``nn-predict``
        and ``load_model`` treat both alike)."""
        assert self.feature_mean is not None and self.feature_std is not None
        return {
            "feature_mean": [float(v) for v in self.feature_mean.reshape(-1)],
            "feature_std": [float(v) for v in self.feature_std.reshape(-1)],
            "stat_shape": list(self.feature_mean.shape[1:]),
            "columns": self.columns,
            "target": self.target,
            "delimiter": ",",
            "dropped_columns": list(self.dropped_columns),
            "na_values": list(self.na_values),
            "class_values": None
            if self._class_values is None
            else [v.item() if hasattr(v, "item") else v for v in self._class_values],
        }

    # --- reading for training -----------------------------------------------------------------

    def batches(self, group: int, split: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The rows of ``split`` in row group ``group``, as the network's features (filled,
        standardised, float32) and targets."""
        rows, x, y = self._read(group)
        keep = self._kept(x, y) & (self.split_of(rows) == split)
        x, y = x[keep], y[keep]
        parts = []
        for j, spec in enumerate(self.columns):
            column = x[:, j]
            if spec.get("fill") is not None:
                absent = np.isnan(column)
                parts += [np.where(absent, spec["fill"], column), absent.astype(np.float64)]
            else:
                parts.append(np.where(np.isnan(column), spec["median"], column))
        features = np.stack(parts, 1) if parts else np.zeros((len(x), 0))
        features -= self.feature_mean  # in float64, then float32: a large offset keeps its spread
        features /= self.feature_std
        features = features.astype(np.float32)
        assert self._info is not None
        if self._info.task == "regression":
            assert self._target_stats is not None
            mean, std = self._target_stats
            scaled = ((y.astype(np.float64) - mean) / std).astype(np.float32)
            target = torch.as_tensor(scaled.reshape(-1, 1))  # (N, 1), as the in-memory data
        else:
            assert self._class_values is not None
            values = self._class_values
            labels = y.astype(str) if values.dtype == object else y
            index = np.minimum(np.searchsorted(values, labels), len(values) - 1)
            unknown = values[index] != labels
            if unknown.any():
                bad = labels[unknown][0]
                shown = repr(str(bad)) if values.dtype == object else f"{float(bad):g}"
                raise ConfigError(
                    f"{self.path}: target column {self.target!r} holds {shown}, "
                    f"not one of the classes {', '.join(str(v) for v in values[:10])}"
                    + (" …" if len(values) > 10 else "")
                )
            target = torch.as_tensor(index.astype(np.int64))
            if self._info.task == "binary":
                target = target.float().reshape(-1, 1)
        return torch.from_numpy(features), target

    def _loader(self, split: int, shuffle: bool) -> DataLoader:
        size = self.batch_size if split == 0 else max(self.batch_size, EVAL_BATCH_SIZE)
        return DataLoader(_RowGroups(self, split, size, shuffle), batch_size=None)

    def train_dataloader(self) -> DataLoader:
        return self._loader(0, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(1, shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader(2, shuffle=False)


class _RowGroups(IterableDataset):
    """Batches of one split, read a row group at a time (shuffled per epoch for training)."""

    def __init__(
        self, module: StreamingParquetDataModule, split: int, size: int, shuffle: bool
    ) -> None:
        self.module, self.split, self.size, self.shuffle = module, split, size, shuffle
        self._epoch = 0

    def __len__(self) -> int:
        """The batches of one pass on this process (known from the fitting pass; with several
        processes, the fewest any of them has, so that all take the same number of steps)."""
        counts = self.module.group_counts
        if not counts:  # train=false on another file: not counted
            raise TypeError("the number of batches is not known")
        world = _rank_and_world()[1]
        per_group = [-(-c[self.split] // self.size) for c in counts]
        shares = [sum(per_group[g] for g in self._groups(r, world)) for r in range(world)]
        return min(shares) if world > 1 else shares[0]

    def _groups(self, rank: int, world: int) -> list[int]:
        """This process's row groups (every ``world``-th: the same share every epoch), in an
        order shuffled anew each epoch for training."""
        module = self.module
        groups = np.arange(len(module.group_starts) - 1)[rank::world]
        if self.shuffle:
            groups = np.random.default_rng([module.seed, self._epoch, rank]).permutation(groups)
        return [int(g) for g in groups]

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        module = self.module
        trainer = getattr(module, "trainer", None)  # set once attached to a Trainer
        if trainer is not None:
            epoch = int(trainer.current_epoch)
        else:  # outside Lightning: each pass over the training rows is the next epoch
            epoch = module.passes[self.split]
            module.passes[self.split] += 1
        self._epoch = epoch
        rank, world = _rank_and_world()
        left = len(self) if world > 1 and module.group_counts else None
        generator = np.random.default_rng([module.seed, epoch, rank])
        for group in self._groups(rank, world):
            x, y = module.batches(group, self.split)
            if self.shuffle:
                order = torch.from_numpy(generator.permutation(len(x)))
                x, y = x[order], y[order]
            for start in range(0, len(x), self.size):
                if left is not None:
                    if left == 0:  # the others have no more: every process stops together
                        return
                    left -= 1
                yield x[start : start + self.size], y[start : start + self.size]


def _moments(x: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per column: how many values are present, their mean and the sum of their squared
    deviations from it (two passes over a row group: no cancellation)."""
    n = present.sum(0).astype(np.float64)
    mean = np.where(present, x, 0).sum(0) / np.maximum(n, 1)
    return n, mean, np.where(present, (x - mean) ** 2, 0).sum(0)


def _merged(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Two sets of moments as one (Chan, Golub and LeVeque's pairwise update)."""
    n = a[0] + b[0]
    delta = b[1] - a[1]
    share = np.divide(b[0], n, out=np.zeros_like(n), where=n > 0)
    return n, a[1] + delta * share, a[2] + b[2] + delta**2 * a[0] * share


def _class_array(values: list[Any]) -> np.ndarray:
    """Class values as the targets are compared with them: numbers (a checkpoint of the
    in-memory module names its classes as text: "0", "1") or text."""
    try:
        numbers = np.array([float(v) for v in values])
    except (TypeError, ValueError):
        return np.array([str(v) for v in values], dtype=object)
    return numbers.astype(np.int64) if np.all(numbers == np.round(numbers)) else numbers


def _numeric(kind: Any) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
    )


def _rank_and_world() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1
