"""Small networks, where a plugin's per-call cost shows: training steps of plugin MLPs against
the same torch.nn MLPs (eager, and with ``--compile`` under ``torch.compile`` too), and the floor
any Python-level ``torch.autograd.Function`` sets: one ReLU forward+backward at 64×128 as
``torch.nn.ReLU``, as a bare custom Function with no framework code, and as the relu plugin.
Alternating, medians (``framework.verification.timing``), one torch thread.

    .venv/bin/python benchmarks/small_networks.py
    .venv/bin/python benchmarks/small_networks.py --repeats 500 --compile
"""

from __future__ import annotations

import argparse
import time

import torch

from framework.contract.registries import ACTIVATIONS
from framework.verification.bench import _train_step, build_pair
from framework.verification.timing import median_times

NETWORKS = ((64, 128, 64, 10), (64, 128, 128, 10), (784, 1024, 1024, 10))
TARGET = 1.10  # small networks (issue 17); big ones: 1.00


class BareReLU(torch.autograd.Function):
    """The least a Python-level Function does: forward, save, backward."""

    @staticmethod
    def forward(x: torch.Tensor) -> torch.Tensor:
        return x.clamp_min(0)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (y,) = ctx.saved_tensors
        return grad * (y > 0)


class Bare(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super(torch.autograd.Function, BareReLU).apply(x)  # no signature binding


def one_op(repeats: int) -> None:
    x = torch.randn(64, 128, requires_grad=True)

    def step(f):
        def run() -> None:
            f(x).sum().backward()

        return run

    s = median_times(
        {
            "native": step(torch.nn.ReLU()),
            "bare": step(Bare()),
            "plugin": step(ACTIVATIONS.build("relu")),
        },
        repeats=repeats,
        device="cpu",
    )
    print(
        f"ReLU forward+backward at 64x128: torch.nn {s['native'] * 1e6:.1f} us, bare Python "
        f"Function {s['bare'] * 1e6:.1f} us (+{(s['bare'] - s['native']) * 1e6:.1f}), relu plugin "
        f"{s['plugin'] * 1e6:.1f} us (+{(s['plugin'] - s['native']) * 1e6:.1f})"
    )


def networks(repeats: int, compiled: bool) -> None:
    for widths in NETWORKS:
        for act in ("relu", "gelu"):
            spec = {
                "name": "mlp",
                "model": {"name": "mlp", "hidden": list(widths[1:-1]), "compact": False},
                "activation": {"name": act, "compact": False},
                "input": (widths[0],),
                "batch": 64,
            }
            plugin, native, plugin_loss, native_loss = build_pair(spec, spec["input"], "cpu")
            x, y = torch.randn(64, widths[0]), torch.randint(0, widths[-1], (64,))
            modes = [("eager", plugin, native)]
            if compiled:
                torch._dynamo.reset()  # each network's own graphs, under the recompile limit
                started = time.perf_counter()
                pc, nc = torch.compile(plugin), torch.compile(native)
                _train_step(pc, plugin_loss, x, y)(), _train_step(nc, native_loss, x, y)()
                modes.append((f"compiled ({time.perf_counter() - started:.0f} s)", pc, nc))
            for mode, p, n in modes:
                s = median_times(
                    {
                        "plugin": _train_step(p, plugin_loss, x, y),
                        "native": _train_step(n, native_loss, x, y),
                    },
                    repeats=repeats,
                    device="cpu",
                )
                print(
                    f"MLP {'-'.join(map(str, widths))} {act} batch 64, {mode}: "
                    f"{s['plugin'] * 1e6:.0f} us / {s['native'] * 1e6:.0f} us = "
                    f"{s['plugin'] / s['native']:.2f}x"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--compile", action="store_true", help="also under torch.compile")
    args = parser.parse_args()
    torch.set_num_threads(1)
    one_op(args.repeats * 10)
    networks(args.repeats, args.compile)


if __name__ == "__main__":
    main()
