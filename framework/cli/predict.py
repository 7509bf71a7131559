"""``nn-predict``: predictions of a trained model for a CSV, Parquet or NPZ file of raw inputs,
as CSV.

nn-predict CKPT INPUT [--output FILE] [--proba] [--imports FILE_OR_MODULE …] [--force]

INPUT is a CSV file with the training CSV's columns (the target column may be there; it is
ignored), a CSV of numbers (one column per feature) for a model trained on arrays, or an NPZ
file with an array ``X``. The output has one row per input row: its position in the input
(``row``, from 0), the ``prediction`` (class name, class index or value) and, with ``--proba``,
the probability of each class (``p_NAME``).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from framework.cli.model_files import (
    UsageError,
    check_output,
    checkpoint_argument,
    common_options,
    open_model,
    printed_warnings,
    run_command,
    write_atomically,
)

PROG = "nn-predict"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Predict with a trained model: raw inputs from a CSV or Parquet file (the "
        "training table's columns; its target column may be present and is ignored) or an NPZ file "
        "(array X), predictions written as CSV: the input row (from 0), the prediction (class "
        "name, class index or value) and, with --proba, each class's probability. The "
        "checkpoint carries the preprocessing fitted on the training split.",
        epilog="Example: nn-predict outputs/2026-01-01/12-00-00/checkpoints/best.ckpt new.csv "
        "--output predictions.csv",
    )
    checkpoint_argument(parser)
    parser.add_argument(
        "input", metavar="INPUT", help="a .csv, .parquet or .npz file of raw inputs"
    )
    parser.add_argument("--output", "-o", metavar="FILE", help="the CSV to write (default: stdout)")
    parser.add_argument(
        "--proba", action="store_true", help="also write each class's probability (p_NAME)"
    )
    common_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of ``nn-predict``."""
    args = _parser().parse_args(argv)
    return run_command(PROG, lambda: _predict(args))


def _predict(args: argparse.Namespace) -> int:
    check_output(args.output, args.force)
    model = open_model(PROG, args.checkpoint, args.imports)
    if args.proba and model.task == "regression":
        raise UsageError("--proba: this model predicts values (regression), not classes")
    from framework.training.raw_input import read_input

    with printed_warnings(PROG):
        x = read_input(args.input, model)
    table = prediction_table(model, x, args.proba)
    if args.output is None:
        _write(table, sys.stdout)
    else:
        write_atomically(args.output, lambda tmp: _write_file(table, tmp))
        print(f"{PROG}: {len(table) - 1} predictions written to {args.output}", file=sys.stderr)
    return 0


def prediction_table(model: Any, x: Any, proba: bool) -> list[list[str]]:
    """Header and one row per example: ``row``, the prediction(s), the probabilities."""
    import torch

    with torch.no_grad():
        out = model(model.encode(x))
    if model.task == "regression":
        values = out.reshape(len(out), -1)
        k = values.shape[1]
        outputs = ["prediction"] if k == 1 else [f"prediction_{j}" for j in range(k)]
        header = ["row", *outputs]
        body = [[str(i)] + [_number(v) for v in row] for i, row in enumerate(values.tolist())]
        return [header, *body]
    names = model.class_names
    header = ["row", "prediction"] + ([f"p_{n}" for n in names] if proba else [])
    classes = model.classes(out).tolist()
    probabilities = model.probabilities(out).tolist() if proba else [[]] * len(classes)
    body = [
        [str(i), names[c], *(_number(p) for p in ps)]
        for i, (c, ps) in enumerate(zip(classes, probabilities, strict=True))
    ]
    return [header, *body]


def _number(value: float) -> str:
    return f"{value:.9g}"  # a float32 exactly


def _write(table: list[list[str]], stream: io.TextIOBase | Any) -> None:
    csv.writer(stream, lineterminator="\n").writerows(table)


def _write_file(table: list[list[str]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        _write(table, f)


if __name__ == "__main__":
    sys.exit(main())
