"""A user's own table (an NPZ file of ``X`` and ``y``, classes) trained by hand: the two
yardsticks of ``nn-bench --scale`` (issue 21), a plain PyTorch loop and a minimal Lightning
script doing the same work as ``nn-train data=npz``.

Both: a random 70/15/15 split (seed 0), features standardised with the training split's
statistics in place (float32, one copy), the MLP F-128-64-K with ReLU, Adam lr 1e-3, training
batch 32, evaluation batch 1024 (as nn-train), one validation pass per epoch and a test pass.
``--kind lightning`` adds what a user of Lightning writes for a run worth keeping: the training
loss every 10 steps and the validation loss and accuracy per epoch to TensorBoard, the last
checkpoint each epoch.

    .venv/bin/python benchmarks/table_reference.py --kind plain --path t.npz
    .venv/bin/python benchmarks/table_reference.py --kind lightning --path t.npz --out /tmp/r
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

EVAL_BATCH = 1024


def splits(path: str, seed: int = 0) -> tuple[TensorDataset, TensorDataset, TensorDataset, int]:
    """Train, validation and test sets of the table, and its number of classes."""
    with np.load(path) as data:
        x = np.asarray(data["X"], dtype=np.float32)
        y = np.asarray(data["y"]).astype(np.int64)
    n = len(y)
    order = np.random.default_rng(seed).permutation(n)
    n_test, n_val = int(0.15 * n), int(0.15 * n)
    test, val, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    mean = x[train].mean(0)
    std = x[train].std(0)
    std[std == 0] = 1.0
    x -= mean
    x /= std
    features, target = torch.from_numpy(x), torch.from_numpy(y)
    sets = [TensorDataset(features[i], target[i]) for i in (train, val, test)]
    return sets[0], sets[1], sets[2], int(y.max()) + 1


def network(features: int, classes: int) -> nn.Module:
    return nn.Sequential(
        nn.Linear(features, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, classes)
    )


def plain(args: argparse.Namespace) -> float:
    train, val, test, classes = splits(args.path)
    model = network(train.tensors[0].shape[1], classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    shuffled = torch.Generator().manual_seed(0)

    def evaluate(data: TensorDataset) -> float:
        model.eval()
        right = 0
        with torch.no_grad():
            for x, y in DataLoader(data, batch_size=EVAL_BATCH):
                right += int((model(x).argmax(1) == y).sum())
        model.train()
        return right / len(data)

    for _ in range(args.epochs):
        for x, y in DataLoader(train, batch_size=32, shuffle=True, generator=shuffled):
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
        evaluate(val)
    return evaluate(test)


def lightning(args: argparse.Namespace) -> float:
    import lightning as L
    from lightning.pytorch.callbacks import ModelCheckpoint
    from lightning.pytorch.loggers import TensorBoardLogger
    from lightning_classifier import Classifier

    L.seed_everything(0, verbose=False)
    train, val, test, classes = splits(args.path)
    trainer = L.Trainer(
        max_epochs=args.epochs,
        logger=TensorBoardLogger(args.out, name="", version=""),
        callbacks=[ModelCheckpoint(f"{args.out}/checkpoints", save_last=True)],
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=10,
        default_root_dir=args.out,
    )
    module = Classifier(network(train.tensors[0].shape[1], classes))
    shuffled = torch.Generator().manual_seed(0)
    trainer.fit(
        module,
        DataLoader(train, batch_size=32, shuffle=True, generator=shuffled),
        DataLoader(val, batch_size=EVAL_BATCH),
    )
    (result,) = trainer.test(module, DataLoader(test, batch_size=EVAL_BATCH), verbose=False)
    return float(result["test/acc"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=("plain", "lightning"), required=True)
    parser.add_argument("--path", required=True, help="an .npz file holding X and y")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--out", default="table_reference_run", help="lightning's run directory")
    args = parser.parse_args()
    start = time.perf_counter()
    accuracy = (plain if args.kind == "plain" else lightning)(args)
    print(f"{args.kind}: test accuracy {accuracy:.4f} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
