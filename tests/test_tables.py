"""Real tables as they come (``data=csv``): missing values, dates, identifiers, column choice,
odd files; the data report; prediction on raw rows repeats the test loop."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_cli
from omegaconf import OmegaConf

from framework import load_model, predict
from framework.data import build_datamodule
from framework.errors import ConfigError
from framework.paths import CONF_DIR


def csv_module(path: Path, target: str = "label", seed: int = 0, **params):
    cfg = OmegaConf.merge(
        OmegaConf.load(CONF_DIR / "data" / "csv.yaml"), {"path": str(path), "target": target}
    )
    return build_datamodule(OmegaConf.merge(cfg, params), seed)


def loaded(path: Path, **params):
    """The set-up module, its raw features (before standardisation) and their names."""
    dm = csv_module(path, **params)
    dm.setup()
    x, _ = dm.load()
    return dm, x, dm.feature_names


def write(path: Path, header: list[str], rows: list[list[object]], **fmt) -> Path:
    with path.open("w", newline="", encoding=fmt.pop("encoding", "utf-8")) as f:
        writer = csv.writer(f, **fmt)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def labels(n: int) -> list[str]:
    return [("a", "b")[i % 2] for i in range(n)]


# --- missing values --------------------------------------------------------------------------

MARKERS = ["", "NA", "N/A", "NaN", "nan", "null", "None", "?", " NA ", "-999"]


def test_every_marker_is_missing_and_filled_with_the_training_median(tmp_path: Path) -> None:
    n = 60
    values = [str(float(i)) for i in range(n)]
    for i, marker in enumerate(MARKERS):
        values[3 * i] = marker
    path = write(
        tmp_path / "t.csv",
        ["x", "label"],
        [[v, lab] for v, lab in zip(values, labels(n), strict=True)],
    )
    dm, x, names = loaded(path, na_values=["-999"])
    assert names == ["x", "x_missing"]
    missing = np.array([3 * i for i in range(len(MARKERS))])
    assert np.flatnonzero(x[:, 1]).tolist() == missing.tolist()
    train = np.setdiff1d(dm.split_indices["train"], missing)
    median = np.median(np.arange(n, dtype=np.float64)[train])
    assert dm.columns[0] == {
        "name": "x",
        "kind": "numeric",
        "fill": pytest.approx(median),
        "median": pytest.approx(median),
    }
    np.testing.assert_allclose(x[missing, 0], median)
    present = np.setdiff1d(np.arange(n), missing)
    np.testing.assert_array_equal(x[present, 0], present)
    row = next(c for c in dm.report["columns"] if c["name"] == "x")
    assert row["missing"] == len(MARKERS) and "median" in row["note"]


def test_without_na_values_an_unknown_marker_is_an_error_naming_it(tmp_path: Path) -> None:
    rows = [[str(i), lab] for i, lab in enumerate(labels(40))]
    rows[5][0] = "missing!"
    path = write(tmp_path / "t.csv", ["x", "label"], rows)
    with pytest.raises(
        ConfigError, match=r"'x' holds numbers, but line 7 holds 'missing!'.*na_values"
    ):
        loaded(path)


def test_text_missing_is_its_own_level_and_all_missing_column_is_dropped(tmp_path: Path) -> None:
    n = 40
    rows = [[("red", "blue", "NA")[i % 3], "", i, lab] for i, lab in enumerate(labels(n))]
    path = write(tmp_path / "t.csv", ["colour", "empty", "x", "label"], rows)
    dm, x, names = loaded(path)
    assert names == ["colour=blue", "colour=red", "colour=(missing)", "x"]
    np.testing.assert_array_equal(x[:, 2], [i % 3 == 2 for i in range(n)])
    assert dm.dropped_columns == ["empty"]
    entry = next(c for c in dm.report["columns"] if c["name"] == "empty")
    assert entry["kind"] == "dropped" and entry["note"] == "every value missing"


def test_rows_without_target_are_dropped_and_counted(tmp_path: Path) -> None:
    rows = [[i, lab] for i, lab in enumerate(labels(50))]
    for i in (4, 9, 30):
        rows[i][1] = "NA"
    path = write(tmp_path / "t.csv", ["x", "label"], rows)
    dm, x, _ = loaded(path)
    kept = [i for i in range(50) if i not in (4, 9, 30)]
    np.testing.assert_array_equal(x[:, 0], kept)
    assert dm.report["rows"] == {"read": 50, "kept": 47, "dropped": {"missing target": 3}}
    with pytest.raises(ConfigError, match=r"'label', line 6 is missing; 3 row\(s\) have no target"):
        loaded(path, missing="error")


def test_missing_drop_and_error(tmp_path: Path) -> None:
    rows = [[i, ("x", "y")[i % 2], lab] for i, lab in enumerate(labels(40))]
    rows[3][0], rows[8][1] = "", "?"
    path = write(tmp_path / "t.csv", ["n", "t", "label"], rows)
    dm, x, names = loaded(path, missing="drop")
    assert names == ["n", "t=x", "t=y"]
    np.testing.assert_array_equal(x[:, 0], [i for i in range(40) if i not in (3, 8)])
    assert dm.report["rows"]["dropped"] == {"missing features": 2}
    with pytest.raises(ConfigError) as err:
        loaded(path, missing="error")
    message = str(err.value)
    for piece in ("column 'n', line 5 is missing", "2 row(s)", "missing=fill", "missing=drop"):
        assert piece in message
    assert "\n" not in message


# --- dates -------------------------------------------------------------------------------------

DATES = {
    "%Y-%m-%d": "ISO8601",
    "%Y/%m/%d": "ISO8601",
    "%d.%m.%Y": "%d.%m.%Y",
    "%m/%d/%Y": "%m/%d/%Y",
    "%d %b %Y": "%d %b %Y",
}


@pytest.mark.parametrize("written", sorted(DATES))
def test_dates_become_year_and_cycles(tmp_path: Path, written: str) -> None:
    import datetime as dt

    days = [dt.date(2010, 1, 1) + dt.timedelta(days=37 * i) for i in range(60)]
    rows = [[d.strftime(written), lab] for d, lab in zip(days, labels(60), strict=True)]
    rows[10][0] = "NA"
    path = write(tmp_path / "t.csv", ["day", "label"], rows)
    dm, x, names = loaded(path)
    assert dm.columns[0]["kind"] == "date" and dm.columns[0]["format"] == DATES[written]
    assert names == [
        "day_year",
        *(f"day_{c}_{f}" for c in ("month", "day_of_year", "day_of_week") for f in ("sin", "cos")),
        "day_missing",
    ]
    for i in (0, 25, 59):
        d = days[i]
        assert x[i, 0] == d.year
        assert x[i, 1] == pytest.approx(np.sin(2 * np.pi * (d.month - 1) / 12), abs=1e-6)
        assert x[i, 4] == pytest.approx(
            np.cos(2 * np.pi * (d.timetuple().tm_yday - 1) / 365.25), abs=1e-6
        )
        assert x[i, 5] == pytest.approx(np.sin(2 * np.pi * d.weekday() / 7), abs=1e-6)
    assert x[10, -1] == 1 and x[:, -1].sum() == 1
    assert "date parts" in next(c["kind"] for c in dm.report["columns"] if c["name"] == "day")


def test_times_of_day_add_a_cycle(tmp_path: Path) -> None:
    rows = [
        [f"2021-03-{1 + i % 28:02d} {i % 24:02d}:30:00", lab] for i, lab in enumerate(labels(60))
    ]
    path = write(tmp_path / "t.csv", ["when", "label"], rows)
    _, x, names = loaded(path)
    assert names[-2:] == ["when_time_of_day_sin", "when_time_of_day_cos"]
    assert x[6, -2] == pytest.approx(np.sin(2 * np.pi * 6.5 / 24), abs=1e-6)


# --- identifiers, categories, column choice ---------------------------------------------------


def test_identifier_column_is_refused_in_one_paragraph(tmp_path: Path) -> None:
    rows = [[f"P{i:04d}", f"name {i}", i % 5, lab] for i, lab in enumerate(labels(120))]
    path = write(tmp_path / "t.csv", ["id", "name", "x", "label"], rows)
    with pytest.raises(ConfigError) as err:
        loaded(path)
    message = str(err.value)
    for piece in (
        "'id' has 120 distinct values in 120 rows",
        "'name' has 120",
        "data.drop=[id,name]",
    ):
        assert piece in message
    assert "\n" not in message
    names = loaded(path, drop=["id", "name"])[2]
    assert names == ["x"]


def test_rare_levels_are_grouped_as_other(tmp_path: Path) -> None:
    levels = ["l0"] * 30 + ["l1"] * 20 + ["l2"] * 10 + ["l3", "l4", "l5", "l6"]
    rows = [[lev, lab] for lev, lab in zip(levels, labels(len(levels)), strict=True)]
    path = write(tmp_path / "t.csv", ["c", "label"], rows)
    dm, x, names = loaded(path, max_categories=4)
    assert names == ["c=l0", "c=l1", "c=l2", "c=(other)"]
    np.testing.assert_array_equal(x[-4:, 3], 1)
    assert "4 rarer levels grouped" in dm.report["columns"][0]["note"]


def test_features_and_drop_choose_columns_with_did_you_mean(tmp_path: Path) -> None:
    rows = [[i, 2 * i, 3 * i, lab] for i, lab in enumerate(labels(30))]
    path = write(tmp_path / "t.csv", ["a", "b", "c", "label"], rows)
    assert loaded(path, features=["c", "a"])[2] == ["a", "c"]
    assert loaded(path, drop=["b"])[2] == ["a", "c"]
    with pytest.raises(
        ConfigError, match=r"data.drop names 'bb', which is not a column.*Did you mean 'b'"
    ):
        loaded(path, drop=["bb"])
    with pytest.raises(ConfigError, match=r"data.features names 'cc'.*Did you mean 'c'"):
        loaded(path, features=["cc"])
    with pytest.raises(ConfigError, match=r"data.drop lists the target 'label'"):
        loaded(path, drop=["label"])


# --- odd files ---------------------------------------------------------------------------------

ROWS = [[f"{i}.5", f"place, {i % 3}", ("yes", "no")[i % 2]] for i in range(30)]


@pytest.mark.parametrize(
    ("name", "kwargs", "delimiter", "encoding"),
    [
        ("semicolon", {"delimiter": ";"}, ";", "utf-8"),
        ("tab", {"delimiter": "\t"}, "\t", "utf-8"),
        ("pipe", {"delimiter": "|"}, "|", "utf-8"),
        ("bom", {"encoding": "utf-8-sig"}, ",", "utf-8-sig"),
        ("utf16", {"encoding": "utf-16"}, ",", "utf-16"),
        ("latin1", {"encoding": "latin-1"}, ",", "cp1252"),
    ],
)
def test_odd_files_are_read(
    tmp_path: Path, name: str, kwargs: dict, delimiter: str, encoding: str
) -> None:
    path = write(tmp_path / f"{name}.csv", ["größe", "ort", "label"], ROWS, **kwargs)
    dm, x, names = loaded(path)
    assert names == ["größe", "ort=place, 0", "ort=place, 1", "ort=place, 2"]
    np.testing.assert_array_equal(x[:, 0], [i + 0.5 for i in range(30)])
    assert dm.report["delimiter"] == delimiter and dm.report["encoding"] == encoding


def test_utf16_without_bom_and_a_wrong_delimiter(tmp_path: Path) -> None:
    text = "a;b;label\n" + "".join(f"{i};{i % 4};{('x', 'y')[i % 2]}\n" for i in range(30))
    path = tmp_path / "le.csv"
    path.write_bytes(text.encode("utf-16-le"))
    assert loaded(path)[2] == ["a", "b"]
    plain = tmp_path / "semi.csv"
    plain.write_text(text)
    with pytest.raises(
        ConfigError,
        match=r"one column when split at data.delimiter=',' \(comma\); the file looks semicolon",
    ):
        loaded(plain, delimiter=",")


def test_ragged_lines_are_named_never_shifted(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('a,b,label\n1,"x, y",p\n\n2,z\n3,w,q\n')
    with pytest.raises(ConfigError, match=r"line 4: 2 fields, but the header has 3"):
        loaded(path)


def test_bad_encoding_is_one_paragraph(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("a,label\n1,x\n2,é\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"is not utf-8 text .*data.encoding=NAME"):
        loaded(path, encoding="utf-8")


def test_thousands_of_columns(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(size=(200, 3000)).round(3)
    data[rng.random(data.shape) < 0.01] = np.nan
    header = ",".join(f"f{j}" for j in range(3000)) + ",label"
    body = "\n".join(
        ",".join("" if np.isnan(v) else str(v) for v in row) + f",{lab}"
        for row, lab in zip(data, labels(200), strict=True)
    )
    path = tmp_path / "wide.csv"
    path.write_text(header + "\n" + body + "\n")
    _, x, names = loaded(path)
    with_missing = np.isnan(data).any(0)
    assert len(names) == 3000 + with_missing.sum()
    first = int(np.argmax(with_missing))
    column = names.index(f"f{first}")
    assert names[column + 1] == f"f{first}_missing"
    np.testing.assert_array_equal(x[:, column + 1], np.isnan(data[:, first]))


# --- the report ---------------------------------------------------------------------------------


def test_imbalance_is_called_out(tmp_path: Path) -> None:
    rows = [[i, "rare" if i % 12 == 0 else "common"] for i in range(240)]
    path = write(tmp_path / "t.csv", ["x", "label"], rows)
    dm, _, _ = loaded(path)
    target = dm.report["target"]
    assert target["classes"] == {"common": 220, "rare": 20}
    assert "imbalanced 11:1" in target["warning"]


def test_report_only_prints_and_writes_without_lightning(tmp_path: Path) -> None:
    rows = [
        [i, ("r", "g")[i % 2], "NA" if i % 7 == 0 else i * 0.5, lab]
        for i, lab in enumerate(labels(80))
    ]
    write(tmp_path / "t.csv", ["id", "c", "v", "label"], rows)
    code = (
        "import sys; from framework.cli.train import main\n"
        "try:\n    main(sys.argv[1:])\n"
        "finally:\n    print('LIGHTNING' if 'lightning' in sys.modules else 'NO-LIGHTNING')\n"
    )
    args = [
        "data=csv",
        "data.path=t.csv",
        "data.target=label",
        "data.report_only=true",
        "data.drop=[id]",
        "hydra.run.dir=run",
    ]
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "80 rows read, 80 kept" in out and "NO-LIGHTNING" in out
    assert "12 filled with the training median" in out and "categorical, 2 levels" in out
    report = json.loads((tmp_path / "run" / "data.json").read_text())
    kinds = {c["name"]: c["kind"] for c in report["columns"]}
    assert kinds == {
        "id": "dropped",
        "c": "categorical, 2 levels",
        "v": "numeric",
        "label": "target",
    }
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_bad_table_keys_before_torch(tmp_path: Path) -> None:
    write(tmp_path / "t.csv", ["x", "label"], [[1, "a"]])
    for arg, piece in (
        (
            "data.missing=guess",
            "data.missing='guess' is not valid; choose one of: fill, drop, error",
        ),
        ("data.max_categories=1", "data.max_categories=1 must be a whole number >= 2"),
        ("data.encoding=klingon", "data.encoding='klingon' is not a codec"),
        ("data.delimiter=ab", "data.delimiter='ab' must be auto, tab or one character"),
    ):
        done = run_cli(
            "nn-train", "data=csv", "data.path=t.csv", "data.target=label", arg, cwd=tmp_path
        )
        assert done.returncode == 2 and piece in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


# --- prediction repeats training -------------------------------------------------------------


def write_real_table(path: Path, n: int = 300, seed: int = 0) -> Path:
    """Missing numbers and text, dates, an all-missing column, rows without a target."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        size = rng.normal(10, 3)
        colour = rng.choice(["red", "green", "blue"])
        day = np.datetime64("2015-01-01") + int(rng.integers(0, 1500))
        label = "big" if (size > 10) ^ (colour == "blue") else "small"
        rows.append(
            [
                f"{size:.3f}" if i % 9 else "NA",
                colour if i % 11 else "",
                str(day).replace("-", "/"),
                "",
                label if i % 50 != 3 else "?",
            ]
        )
    return write(path, ["size", "colour", "day", "notes", "label"], rows)


@pytest.mark.slow
def test_raw_rows_give_the_test_loops_features_and_predictions(tmp_path: Path) -> None:
    from tb import load_events, scalar_values

    from framework.cli.train import main as nn_train

    table = write_real_table(tmp_path / "real.csv")
    run = tmp_path / "run"
    nn_train(
        [
            "data=csv",
            f"data.path={table}",
            "data.target=label",
            "trainer.max_epochs=3",
            f"hydra.run.dir={run}",
        ]
    )
    report = json.loads((run / "data.json").read_text())
    assert report["rows"]["dropped"] == {"missing target": 6}
    acc = load_events(run)
    assert "data" in " ".join(acc.Tags()["tensors"])  # the Text tab

    model = load_model(run / "checkpoints" / "best.ckpt")
    cfg = OmegaConf.load(run / ".hydra" / "config.yaml")
    dm = build_datamodule(cfg.data, cfg.seed)
    dm.setup()
    with table.open() as f:
        rows = list(csv.DictReader(f))
    kept = [r for r in rows if r["label"] != "?"]
    test = [kept[i] for i in dm.split_indices["test"]]
    assert any(r["size"] == "NA" for r in test) or any(r["colour"] == "" for r in test)
    # the same standardised feature matrix as the test loop's
    raw = model.encode([{k: v for k, v in r.items() if k != "label"} for r in test])
    features = (raw - model.feature_mean) / model.feature_std
    torch.testing.assert_close(features, dm.splits["test"].tensors[0], rtol=1e-5, atol=1e-5)
    labels_ = predict(model, test)
    accuracy = np.mean([p == r["label"] for p, r in zip(labels_, test, strict=True)])
    assert accuracy == pytest.approx(scalar_values(acc, "test/acc")[-1], abs=0.005)

    subset = tmp_path / "test_rows.csv"
    with subset.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(test)
    out = tmp_path / "predictions.csv"
    done = run_cli(
        "nn-predict",
        str(run / "checkpoints" / "best.ckpt"),
        str(subset),
        "--output",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    with out.open() as f:
        assert [w["prediction"] for w in csv.DictReader(f)] == labels_


def stocks_csv() -> Path:
    """Yahoo Finance's monthly closes as matplotlib ships them (``sample_data/Stocks.csv``):
    a table downloaded from a public source, as it came: a comment line above the header, an
    ISO date column, empty cells for stocks not yet listed and for days without quotes."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data" / "Stocks.csv"


@pytest.mark.slow
def test_a_downloaded_table_trains_as_it_comes_and_predicts_its_raw_rows(tmp_path: Path) -> None:
    import pandas as pd
    from tb import load_events, scalar_values

    from framework.cli.train import main as nn_train

    source = stocks_csv()
    assert source.read_text().startswith("# Data source")
    table = tmp_path / "Stocks.csv"
    table.write_bytes(source.read_bytes())
    run = tmp_path / "run"
    nn_train(
        [
            "data=csv",
            f"data.path={table}",
            "data.target=MSFT",
            "trainer.max_epochs=3",
            f"hydra.run.dir={run}",
        ]
    )
    report = json.loads((run / "data.json").read_text())
    assert report["comment_lines"] == 1
    kinds = {c["name"]: c["kind"] for c in report["columns"]}
    assert kinds["Date"] == "date parts" and kinds["AMZN"] == "numeric"
    assert report["rows"]["dropped"] == {"missing target": 133}

    out = tmp_path / "predictions.csv"
    best = str(run / "checkpoints" / "best.ckpt")
    done = run_cli("nn-predict", best, str(table), "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "training never saw in this column; filled with the training median" in done.stderr
    raw = pd.read_csv(table, skiprows=1)
    predicted = pd.read_csv(out)["prediction"].to_numpy()
    assert len(predicted) == len(raw)
    cfg = OmegaConf.load(run / ".hydra" / "config.yaml")
    dm = build_datamodule(cfg.data, cfg.seed)
    dm.setup()
    kept = np.flatnonzero(raw["MSFT"].notna().to_numpy())
    test = kept[dm.split_indices["test"]]
    mae = float(np.abs(predicted[test] - raw["MSFT"].to_numpy()[test]).mean())
    assert mae == pytest.approx(scalar_values(load_events(run), "test/mae")[-1], rel=1e-4)


def _shop_rows(n: int, colours: tuple[str, ...], shift: float, seed: int) -> list[list[object]]:
    rng = np.random.default_rng(seed)
    rows: list[list[object]] = []
    for i in range(n):
        size, colour = rng.normal() + shift, colours[i % len(colours)]
        weight = "NA" if i % 17 == 0 else f"{rng.normal() * 10 + 50:.2f}"
        rows.append([f"{size:.3f}", colour, weight, "big" if size > 0.2 else "small"])
    return rows


@pytest.mark.slow
def test_train_false_evaluates_another_table_as_the_checkpoint_prepares_it(
    tmp_path: Path,
) -> None:
    """A second table with the same columns (one colour fewer, other sizes) is encoded with
    the training's categories, fill values and standardisation, and all its rows are tested."""
    from tb import load_events, scalar_values

    header = ["size", "colour", "weight", "label"]
    write(tmp_path / "a.csv", header, _shop_rows(400, ("red", "green", "blue"), 0.0, 1))
    b_rows = _shop_rows(150, ("blue", "green"), 0.5, 2)
    write(tmp_path / "b.csv", header, b_rows)
    trained = run_cli(
        "nn-train", "data=csv", "data.path=a.csv", "data.target=label", "trainer.max_epochs=3",
        "log=minimal", "hydra.run.dir=run", cwd=tmp_path,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-3000:]
    ckpt = tmp_path / "run" / "checkpoints" / "last.ckpt"
    done = run_cli(
        "nn-train", f"ckpt_path={ckpt}", "train=false", "data.path=b.csv",
        "hydra.run.dir=eval", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    accuracy = scalar_values(load_events(tmp_path / "eval"), "test/acc")[-1]
    model = load_model(ckpt)
    raw = [dict(zip(header[:3], row[:3], strict=True)) for row in b_rows]
    predicted = predict(model, raw)
    expected = np.mean([p == row[3] for p, row in zip(predicted, b_rows, strict=True)])
    assert accuracy == pytest.approx(expected, abs=1e-6)

    b_rows[7][3] = "huge"
    write(tmp_path / "c.csv", header, b_rows)
    refused = run_cli(
        "nn-train", f"ckpt_path={ckpt}", "train=false", "data.path=c.csv",
        "hydra.run.dir=eval_c", cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "line 9 holds 'huge', a class the model was not trained on" in refused.stderr
    assert "its classes: big, small" in refused.stderr and "Traceback" not in refused.stderr


def _same_table_three_ways(tmp_path: Path) -> dict[str, Path]:
    """One numeric table (4 features, 3 classes 0..2; no missing values, which NPZ cannot
    hold) as CSV, Parquet and NPZ."""
    import pandas as pd

    rng = np.random.default_rng(7)
    x = rng.normal(size=(240, 4)).round(4)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 0.8)
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"]).assign(label=y)
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet", index=False)
    np.savez(tmp_path / "t.npz", X=x.astype(np.float32), y=y)
    return {"csv": tmp_path / "t.csv", "parquet": tmp_path / "t.parquet", "npz": tmp_path / "t.npz"}


def test_csv_parquet_and_npz_give_the_same_tensors_and_split(tmp_path: Path) -> None:
    files = _same_table_three_ways(tmp_path)
    modules = {}
    for name, path in files.items():
        cfg = OmegaConf.load(CONF_DIR / "data" / f"{name}.yaml")
        cfg = OmegaConf.merge(
            cfg, {"path": str(path), "target": "label"} if name != "npz" else {"path": str(path)}
        )
        modules[name] = build_datamodule(cfg, 3)
        modules[name].setup()
    reference = modules["npz"]
    for name in ("csv", "parquet"):
        dm = modules[name]
        assert dm.info.task == reference.info.task == "multiclass"
        for split in ("train", "val", "test"):
            np.testing.assert_array_equal(dm.split_indices[split], reference.split_indices[split])
            for mine, theirs in zip(
                dm.splits[split].tensors, reference.splits[split].tensors, strict=True
            ):
                torch.testing.assert_close(mine, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.slow
def test_csv_parquet_and_npz_train_to_the_same_first_epoch_loss(tmp_path: Path) -> None:
    files = _same_table_three_ways(tmp_path)
    losses = {}
    for name, path in files.items():
        target = [] if name == "npz" else ["data.target=label"]
        done = run_cli(
            "nn-train", f"data={name}", f"data.path={path}", *target, "trainer.max_epochs=1",
            "log=off", "trainer.deterministic=true", f"hydra.run.dir={name}", cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        metrics = json.loads((tmp_path / name / "metrics.json").read_text())["metrics"]
        losses[name] = metrics["train/loss_epoch"]["final"]
    assert losses["csv"] == pytest.approx(losses["npz"], abs=1e-6)
    assert losses["parquet"] == pytest.approx(losses["npz"], abs=1e-6)


def test_a_parquet_file_that_is_not_one_is_one_paragraph(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_text("a,b\n1,2\n")
    cfg = OmegaConf.merge(
        OmegaConf.load(CONF_DIR / "data" / "parquet.yaml"), {"path": str(bad), "target": "b"}
    )
    with pytest.raises(ConfigError, match=r"bad.parquet cannot be read as Parquet .*data=csv"):
        build_datamodule(cfg, 0).setup()
