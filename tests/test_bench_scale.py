"""``nn-bench --scale ROWS``: the generated table is the same through NPZ, CSV and Parquet, the
sizes parse, and a small run reports every figure the docs' scale table uses. No timing
assertions: the figures depend on the machine."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from framework.verification.scale import make_table, parse_sizes

REPO = Path(__file__).resolve().parents[1]


def test_sizes_parse_and_bad_sizes_are_refused() -> None:
    assert parse_sizes("10k,100k,1M") == [10_000, 100_000, 1_000_000]
    assert parse_sizes("2.5k, 500") == [2_500, 500]
    for bad in ("ten", "10", ""):
        with pytest.raises(ValueError, match="--scale"):
            parse_sizes(bad)


def test_the_three_files_hold_the_same_table(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pandas as pd

    paths = make_table(500, tmp_path)
    with np.load(paths["npz"]) as data:
        x, y = data["X"], data["y"]
    assert x.shape == (500, 20) and x.dtype == np.float32 and set(np.unique(y)) <= {0, 1, 2, 3}
    for frame in (pd.read_csv(paths["csv"]), pd.read_parquet(paths["parquet"])):
        assert list(frame.columns) == [*(f"f{i}" for i in range(20)), "y"]
        np.testing.assert_array_equal(frame["y"].to_numpy(), y)
        np.testing.assert_allclose(frame.iloc[:, :20].to_numpy(np.float32), x, atol=1e-6)


@pytest.mark.slow
def test_a_small_scale_run_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    result = subprocess.run(
        [sys.executable, "-m", "framework.bench", "--scale", "600", "--quiet", "--json", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (row,) = json.loads(out.read_text())["scale"]["rows"]
    assert row["rows"] == 600
    for key in (
        "nn_train_npz_s", "nn_train_csv_s", "nn_train_parquet_s", "nn_train_npz_log_off_s",
        "lightning_s", "plain_s", "imports_s", "nn_train_npz_mib", "nn_train_csv_mib",
        "imports_mib", "lightning_ratio", "plain_ratio", "log_ratio", "csv_wall_ratio",
        "csv_rss_ratio", "parquet_wall_ratio", "csv_read_vs_loadtxt", "npz_rss_bound_mib",
    ):  # fmt: skip
        assert isinstance(row[key], float) and math.isfinite(row[key]) and row[key] > 0, key
    # peak memory of a training process is more than the bare import of lightning
    assert row["nn_train_npz_mib"] > row["imports_mib"] > 50
    assert "÷Lightning" in result.stdout and "600 |" in result.stdout
