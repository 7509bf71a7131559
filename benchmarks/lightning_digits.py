"""The default ``nn-train`` experiment written as a minimal Lightning script: the second
yardstick for the framework's overhead (``nn-bench`` runs it beside ``nn-train`` and the plain
PyTorch script). What ``nn-train`` adds beyond Lightning is the ratio of the two.

Same data and split as ``plain_digits.py`` (scikit-learn's 8x8 digits, 70/15/15 stratified with
seed 42, standardised with the training split's statistics), same model (MLP 64-128-64-10, ReLU),
Adam lr 1e-3, batch 64, 20 epochs; what a user of Lightning writes for a run worth keeping: the
training loss per step and validation loss and accuracy per epoch to TensorBoard, a checkpoint
each epoch (the best by validation loss, and the last), a test pass at the end.

    .venv/bin/python benchmarks/lightning_digits.py --out /tmp/run           # 20 epochs
    .venv/bin/python benchmarks/lightning_digits.py --out /tmp/run --epochs 2
"""

from __future__ import annotations

import argparse
import time

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import TensorBoardLogger
from lightning_classifier import Classifier
from plain_digits import splits
from torch import nn
from torch.utils.data import DataLoader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", required=True, help="the run's directory (logs, checkpoints)")
    args = parser.parse_args()
    start = time.perf_counter()
    L.seed_everything(args.seed, verbose=False)
    train, val, test = splits(args.seed)
    shuffled = torch.Generator().manual_seed(args.seed)
    trainer = L.Trainer(
        max_epochs=args.epochs,
        logger=TensorBoardLogger(args.out, name="", version=""),
        callbacks=[ModelCheckpoint(f"{args.out}/checkpoints", monitor="val/loss", save_last=True)],
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=10,  # as nn-train's trainer configs
        default_root_dir=args.out,
    )
    module = Classifier(
        nn.Sequential(
            nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
        )
    )
    trainer.fit(
        module,
        DataLoader(train, batch_size=args.batch_size, shuffle=True, generator=shuffled),
        DataLoader(val, batch_size=args.batch_size),
    )
    (result,) = trainer.test(module, DataLoader(test, batch_size=args.batch_size), verbose=False)
    took = time.perf_counter() - start
    print(f"epochs {args.epochs}: test/acc {result['test/acc']:.4f} in {took:.1f} s")


if __name__ == "__main__":
    main()
