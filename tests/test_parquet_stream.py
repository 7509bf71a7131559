"""``data=parquet data.streaming=true``: a Parquet file read a row group at a time. The split is
a stable hash of the row index; the statistics are those of the training rows; an epoch reads
every training row once; a trained model predicts on the raw file as it was tested."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_cli

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from framework.data.parquet_stream import StreamingParquetDataModule, unit_hash  # noqa: E402
from framework.errors import ConfigError  # noqa: E402

N = 12_000


def _table(folder: Path, *, text_feature: bool = False, target: str = "classes") -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 4)).astype(np.float32)
    columns: dict[str, object] = {f"f{i}": x[:, i] for i in range(3)}
    gaps = rng.random(N) < 0.1
    columns["gappy"] = pa.array(np.where(gaps, None, x[:, 3]).tolist(), type=pa.float32())
    columns["flag"] = rng.random(N) < 0.3
    if text_feature:
        columns["city"] = np.array(["oslo", "lima"] * (N // 2))
    if target == "classes":
        columns["y"] = np.argmax(x[:, :3] + rng.normal(scale=0.5, size=(N, 3)), 1)
    elif target == "text":
        columns["y"] = np.array(["cat", "dog", "emu"])[np.argmax(x[:, :3], 1)]
    else:
        columns["y"] = (x[:, 0] * 3 + 10).astype(np.float64)
    path = folder / "t.parquet"
    pq.write_table(pa.table(columns), path, row_group_size=2_500)
    return path


def _module(path: Path, **kwargs: object) -> StreamingParquetDataModule:
    module = StreamingParquetDataModule(str(path), "y", batch_size=64, seed=3, **kwargs)
    module.setup()
    return module


def test_the_split_is_a_stable_hash_of_the_row_index() -> None:
    rows = np.arange(200_000)
    u = unit_hash(rows, 3)
    assert np.array_equal(u, unit_hash(rows, 3)) and not np.array_equal(u, unit_hash(rows, 4))
    assert u.min() >= 0 and u.max() < 1
    shares = [np.mean(u < 0.15), np.mean((u >= 0.15) & (u < 0.3))]
    assert all(abs(s - 0.15) < 0.005 for s in shares)


def test_statistics_are_the_training_rows_and_an_epoch_reads_each_once(tmp_path: Path) -> None:
    path = _table(tmp_path)
    module = _module(path)
    frame = pq.read_table(path).to_pandas()
    split = module.split_of(np.arange(N))
    train = frame[split == 0]
    gappy = train["gappy"].to_numpy(dtype=np.float64)
    fill = next(c for c in module.columns if c["name"] == "gappy")["fill"]
    assert fill is not None and abs(fill - np.nanmedian(gappy)) < 1e-6  # all rows sampled
    filled = np.where(np.isnan(gappy), fill, gappy)
    expected_mean = [*train[["f0", "f1", "f2"]].mean(), filled.mean(), np.isnan(gappy).mean()]
    np.testing.assert_allclose(module.feature_mean.reshape(-1)[:5], expected_mean, rtol=1e-5)
    np.testing.assert_allclose(module.feature_std[0, 0], train["f0"].std(ddof=0), rtol=1e-5)
    assert module.info.input_shape == (6,)  # f0-f2, gappy and its indicator, flag

    epochs = []
    for _ in range(2):
        xs, ys = zip(*module.train_dataloader(), strict=True)
        epochs.append((torch.cat(xs), torch.cat(ys)))
    assert len(epochs[0][0]) == (split == 0).sum()
    assert not torch.equal(epochs[0][0], epochs[1][0])  # reshuffled ... as the same rows
    first = epochs[0][0].double().mean(0)
    torch.testing.assert_close(first, torch.zeros(6, dtype=torch.float64), atol=1e-5, rtol=0)
    assert sorted(epochs[0][1].tolist()) == sorted(train["y"].tolist())
    val = torch.cat([x for x, _ in module.val_dataloader()])
    assert len(val) == (split == 1).sum()


def test_regression_and_text_targets(tmp_path: Path) -> None:
    module = _module(_table(tmp_path, target="regression"))
    frame = pq.read_table(tmp_path / "t.parquet").to_pandas()
    train_y = frame["y"][module.split_of(np.arange(N)) == 0]
    assert module.info.task == "regression"
    assert module.info.target_mean[0] == pytest.approx(train_y.mean())
    assert module.info.target_std[0] == pytest.approx(train_y.std(ddof=0))
    text = _module(_table(tmp_path, target="text"))
    assert text.info.task == "multiclass" and text.info.class_names == ("cat", "dog", "emu")


def test_targets_are_shaped_as_in_memory_and_lengths_are_exact(tmp_path: Path) -> None:
    from framework.data.parquet_file import ParquetDataModule

    for target in ("regression", "classes"):
        path = _table(tmp_path, target=target)
        stream = _module(path)
        whole = ParquetDataModule(str(path), "y", batch_size=64, seed=3)
        whole.setup()
        x, y = next(iter(stream.train_dataloader()))
        assert y.shape[1:] == whole.splits["train"].tensors[1].shape[1:]
        assert x.shape[1:] == whole.splits["train"].tensors[0].shape[1:]
        loader = stream.train_dataloader()
        assert len(loader) == sum(1 for _ in loader) == len(stream.train_dataloader())


def test_a_checkpoint_of_the_in_memory_module_reads_the_labels(tmp_path: Path) -> None:
    """``train=false`` on a file: class names given as text ("0", "1", "2") by the in-memory
    data module still match the file's whole-number labels; an unknown label is an error."""
    path = _table(tmp_path)
    trained = _module(path)
    again = StreamingParquetDataModule(str(path), "y", seed=3)
    names = {**trained.info.to_dict(), "class_names": ["0", "1", "2"]}
    again.use_fitted({**trained.preprocessing(), "class_values": None}, names)
    again.setup()
    labels = torch.cat([y for _, y in again.test_dataloader()])
    truth = pq.read_table(path).to_pandas()["y"].to_numpy()
    assert labels.tolist() == truth.tolist()  # every row, in file order
    again.use_fitted(
        {**trained.preprocessing(), "class_values": None}, {**names, "class_names": ["0", "1"]}
    )
    again._info = None
    again.setup()
    with pytest.raises(ConfigError, match="holds 2, not one of the classes 0, 1"):
        list(again.test_dataloader())


def test_text_target_markers_and_infinite_targets(tmp_path: Path) -> None:
    path = tmp_path / "m.parquet"
    pq.write_table(pa.table({"a": np.arange(40.0), "y": [" cat", "dog ", "NA", "emu"] * 10}), path)
    module = _module(path)
    assert module.info.class_names == ("cat", "dog", "emu")
    assert sum(module.rows.values()) == 30  # the NA rows have no target
    pq.write_table(pa.table({"a": np.arange(4.0), "y": [1.5, np.inf, 2.0, 3.5]}), path)
    with pytest.raises(ConfigError, match="row 2 holds an infinite value"):
        _module(path)


def test_a_text_feature_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"column 'city' holds string.*data.drop=\[city\]"):
        _module(_table(tmp_path, text_feature=True))
    assert _module(_table(tmp_path, text_feature=True), drop=["city"]).info.input_shape == (6,)


@pytest.mark.slow
def test_train_then_predict_on_the_raw_file_repeats_the_test_accuracy(tmp_path: Path) -> None:
    path = _table(tmp_path)
    args = ["data=parquet", f"data.path={path}", "data.target=y", "data.streaming=true"]
    run = run_cli("nn-train", *args, "trainer.max_epochs=2", "seed=3", "hydra.run.dir=run",
                  "trainer.limit_train_batches=0.5", cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    logged = json.loads((tmp_path / "run" / "metrics.json").read_text())
    ckpt = tmp_path / "run" / "checkpoints" / "best.ckpt"  # the one tested
    out = tmp_path / "pred.csv"
    predicted = run_cli("nn-predict", str(ckpt), str(path), "--output", str(out), cwd=tmp_path)
    assert predicted.returncode == 0, predicted.stderr[-3000:]
    import pandas as pd

    guesses = pd.read_csv(out)["prediction"].to_numpy()
    truth = pq.read_table(path).to_pandas()["y"].to_numpy()
    test = StreamingParquetDataModule(str(path), "y", seed=3).split_of(np.arange(N)) == 2
    accuracy = float((guesses[test] == truth[test]).mean())
    assert accuracy == pytest.approx(_final(logged, "test/acc"), abs=1e-6)

    report = run_cli("nn-train", *args, "data.report_only=true", cwd=tmp_path)
    assert report.returncode == 2 and "data.streaming=true is there to avoid" in report.stderr


def _final(metrics: dict, name: str) -> float:
    return float(metrics["metrics"][name]["final"])


def test_statistics_of_a_large_offset_column_and_infinite_features(tmp_path: Path) -> None:
    """Per-row-group moments merged pairwise: a timestamp-like column (1.7e9 apart by 1e-3)
    keeps its spread, which sums of squares would lose; an infinite feature is refused."""
    rng = np.random.default_rng(1)
    stamp = 1.7e9 + rng.normal(size=N) * 1e-3
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table({"t": stamp, "y": rng.normal(size=N)}), path, row_group_size=997)
    module = _module(path)
    train = stamp[module.split_of(np.arange(N)) == 0]
    assert module.feature_std[0, 0] == pytest.approx(train.std(), rel=1e-4)
    stamp[5] = np.inf
    pq.write_table(pa.table({"t": stamp, "y": rng.normal(size=N)}), path, row_group_size=997)
    with pytest.raises(ConfigError, match="column 't' holds an infinite value"):
        _module(path)
