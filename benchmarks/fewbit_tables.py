"""The few-bit derivative tables of the activations' compact mode (``activation.compact=true``).

For an activation f, the compact backward keeps a 4-bit code of each input: which of 16 intervals
it falls in. The derivative is then approximated by one value per interval (Novikov et al.,
"Few-Bit Backward: Quantized Gradients of Activation Functions for Memory Footprint Reduction",
ICML 2023). Here boundaries and values minimise the largest error of the derivative over the
whole real line (each interval's value is the middle of the derivative's range on it), found
exactly on a fine grid, tails included, by dynamic programming over the interval ends. That
largest error is the bound each plugin states; the script also prints the root-mean-square error
for standard-normal inputs. It prints the tables the plugin files hold:

    .venv/bin/python benchmarks/fewbit_tables.py
"""

from __future__ import annotations

import math

import numpy as np
import torch

LEVELS = 16  # 4 bits
GRID = np.linspace(-6.0, 6.0, 2401)


def derivatives() -> dict[str, np.ndarray]:
    """f'(x) on the grid (and far into both tails), from the plugins' own exact backward."""
    from framework import ACTIVATIONS

    xs = torch.tensor(np.concatenate([[-60.0, -20.0], GRID, [20.0, 60.0]]), dtype=torch.float64)
    out = {}
    for name, params in (
        ("gelu", {}),
        ("gelu_tanh", {"approximate": "tanh"}),
        ("silu", {}),
        ("mish", {}),
        ("hardswish", {}),
    ):
        module = ACTIVATIONS.build(name.split("_")[0], **params).double()
        x = xs.clone().requires_grad_(True)
        (d,) = torch.autograd.grad(module(x).sum(), x)
        out[name] = d.numpy()
    return out


def fit(d: np.ndarray) -> tuple[list[float], list[float]]:
    """Boundaries (LEVELS - 1) and values (LEVELS) minimising the largest error: the grid (with
    the tail points at its ends) cut into LEVELS runs, each valued at its midrange."""
    x = np.concatenate([[-60.0, -20.0], GRID, [20.0, 60.0]])
    n = len(x)
    # half the range of d[i:j] for every i < j, one column per end j
    half = np.full((n + 1, n + 1), np.inf)
    for j in range(1, n + 1):
        run = d[j - 1 :: -1]
        half[j - 1 :: -1, j] = (np.maximum.accumulate(run) - np.minimum.accumulate(run)) / 2
    best = np.full((LEVELS + 1, n + 1), np.inf)
    cut = np.zeros((LEVELS + 1, n + 1), dtype=np.int64)
    best[0, 0] = 0.0
    for k in range(1, LEVELS + 1):
        for j in range(k, n + 1):
            i = np.arange(k - 1, j)
            total = np.maximum(best[k - 1, i], half[i, j])
            cut[k, j] = i[np.argmin(total)]
            best[k, j] = total.min()
    ends, j = [], n
    for k in range(LEVELS, 0, -1):
        i = int(cut[k, j])
        ends.append((i, j))
        j = i
    ends.reverse()
    values = [float((d[i:j].max() + d[i:j].min()) / 2) for i, j in ends]
    boundaries = [float((x[i - 1] + x[i]) / 2) for i, _ in ends[1:]]
    return boundaries, values


def errors(d: np.ndarray, boundaries: list[float], values: list[float]) -> tuple[float, float]:
    """Largest error on the grid and tails, and the N(0,1) root-mean-square error."""
    xs = np.concatenate([[-60.0, -20.0], GRID, [20.0, 60.0]])
    approx = np.asarray(values)[np.searchsorted(boundaries, xs, side="right")]
    err = np.abs(approx - d)
    w = np.exp(-GRID * GRID / 2)
    rms = math.sqrt(float((w * err[2:-2] ** 2).sum() / w.sum()))
    return float(err.max()), rms


def main() -> None:
    for name, d in derivatives().items():
        boundaries, values = fit(d)
        worst, rms = errors(d, boundaries, values)
        print(f"{name}: max error {worst:.4f}, rms {rms:.4f}")
        print("BOUNDARIES = (" + ", ".join(f"{b:.4f}" for b in boundaries) + ")")
        print("VALUES = (" + ", ".join(f"{v:.5f}" for v in values) + ")")


if __name__ == "__main__":
    main()
