"""The default ``nn-train`` experiment written as a plain PyTorch script: the yardstick for the
framework's overhead (``nn-bench`` runs both, side by side).

Same data (scikit-learn's 8x8 digits, split 70/15/15 stratified with seed 42, features
standardised with the training split's statistics), same model (MLP 64-128-64-10 with ReLU),
same optimizer (Adam, lr 1e-3), batch size 64, 20 epochs, a validation pass after each epoch
and a test pass at the end. No logging, no checkpoints: only what training needs.

    .venv/bin/python benchmarks/plain_digits.py              # 20 epochs
    .venv/bin/python benchmarks/plain_digits.py --epochs 2
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def splits(seed: int, val_fraction: float = 0.15, test_fraction: float = 0.15):
    """Train, validation and test sets, as the framework's data module splits them."""
    data = load_digits()
    x, y = data.data.astype(np.float32), data.target
    n = len(y)
    n_test = math.ceil(test_fraction * n)
    n_val = math.ceil(val_fraction / (1 - test_fraction) * (n - n_test))
    rest, test = train_test_split(np.arange(n), test_size=n_test, random_state=seed, stratify=y)
    train, val = train_test_split(rest, test_size=n_val, random_state=seed, stratify=y[rest])
    mean, std = x[train].mean(0), x[train].std(0)
    std[std == 0] = 1.0
    x = (x - mean) / std
    return [
        TensorDataset(torch.as_tensor(x[idx]), torch.as_tensor(y[idx], dtype=torch.int64))
        for idx in (train, val, test)
    ]


def accuracy(model: nn.Module, loader: DataLoader) -> float:
    model.eval()
    right = total = 0
    with torch.no_grad():
        for x, y in loader:
            right += int((model(x).argmax(1) == y).sum())
            total += len(y)
    model.train()
    return right / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    start = time.perf_counter()
    torch.manual_seed(args.seed)
    train, val, test = splits(args.seed)
    model = nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    shuffled = torch.Generator().manual_seed(args.seed)
    train_loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, generator=shuffled)
    val_loader = DataLoader(val, batch_size=args.batch_size)
    for _ in range(args.epochs):
        for x, y in train_loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
        val_acc = accuracy(model, val_loader)
    test_acc = accuracy(model, DataLoader(test, batch_size=args.batch_size))
    print(
        f"epochs {args.epochs}: val/acc {val_acc:.4f}, test/acc {test_acc:.4f} "
        f"in {time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":
    main()
