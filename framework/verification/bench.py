"""``nn-bench``: the performance report, every built-in plugin and whole training steps against
native PyTorch, measured side by side in one run.

    nn-bench                      the full report (several minutes on 2 cores)
    nn-bench --quick --json F     a smaller, faster run (what the tests use), also as JSON

Sections:

- **plugins**: each built-in plugin with a native ``reference``, forward+backward at about 4K and
  1M float32 elements: median time plugin ÷ native, and bytes saved for the backward
  (``saved_tensors_hooks``, once per storage) plugin ÷ native.
- **models**: training steps (forward, loss, backward, Adam step) of networks built from plugins
  (``framework.models.build_model``) against the same architecture in plain ``torch.nn`` with the
  same weights and data: MLP 784-1024-1024-10 with ReLU, GELU, SiLU (batch 256; GELU and SiLU
  also in compact mode), a convnet on 1×28×28 (batch 128), an LSTM (sequence 50, hidden 256,
  batch 64). Step-time ratio, bytes saved for the backward (activations: neither weights nor the
  batch; and the activation layers' own), and the test-accuracy difference after a short
  training on scikit-learn's digits (same seed, same batches).
- **compile**: the MLP's step under ``torch.compile``, plugin ÷ compiled native, and the graph
  breaks ``torch._dynamo.explain`` finds.
- **overhead**: the default ``nn-train`` experiment end to end against
  ``benchmarks/plain_digits.py`` (the same training in plain PyTorch) and against
  ``benchmarks/lightning_digits.py`` (the same training as a minimal Lightning script with a
  TensorBoard logger and a checkpoint each epoch: what the framework adds beyond Lightning), and
  ``nn-train --help``; also each side's import floor (a process importing only the libraries it
  cannot do without) and the ratio of what is left beyond it.
- **network**: ``nn-train experiment=moons`` with the network picture (``log.network=true``)
  against without it, alternating: the wall-time ratio (target: at most 1.05).
- **cuda**: the plugin and model figures on the GPU, with peak memory; skipped without one.

Plugin and native steps always run alternately in one loop (``framework.verification.timing``) and
the medians of many repeats are reported: other work on the machine slows both alike. Timing uses
``--threads`` threads (default: half the cores), so that other work disturbs it less.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from framework.cli.version import add_version_argument

REPO = Path(__file__).resolve().parents[2]
PLAIN_SCRIPT = REPO / "benchmarks" / "plain_digits.py"
LIGHTNING_SCRIPT = REPO / "benchmarks" / "lightning_digits.py"


# -- settings ---------------------------------------------------------------------------------
class Settings:
    """How big and how often: the full report, or ``--quick``."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.sizes = {"4K": 4_000, "64K": 64_000} if quick else {"4K": 4_000, "1M": 1_000_000}
        self.repeats = 5 if quick else 21
        self.model_repeats = 3 if quick else 15
        self.epochs = 1 if quick else 5
        self.train_epochs = 2 if quick else 20  # nn-train and the plain script
        self.process_repeats = 1 if quick else 3
        self.network_epochs = 6 if quick else 40  # moons: its own 40 epochs in the full report
        self.compile_backend = "aot_eager" if quick else "inductor"
        # model sizes: (MLP widths, MLP batch), convnet batch, (LSTM T, F, H, batch)
        self.mlp = ((784, 128, 128, 10), 32) if quick else ((784, 1024, 1024, 10), 256)
        self.convnet_batch = 16 if quick else 128
        self.lstm = (10, 16, 32, 8) if quick else (50, 32, 256, 64)


# -- plugins ----------------------------------------------------------------------------------
def _image(n: int) -> tuple[int, ...]:
    side = 32 if n >= 16 * 32 * 32 else 16
    return (max(1, n // (16 * side * side)), 16, side, side)


#: layer parameters and the input shape for about ``n`` elements
LAYER_SETUPS: dict[str, tuple[dict[str, Any], Callable[[int], tuple[int, ...]]]] = {
    "linear": ({"in_features": 256, "out_features": 256}, lambda n: (max(1, n // 256), 256)),
    "conv2d": ({"in_channels": 16, "out_channels": 16, "kernel_size": 3, "padding": 1}, _image),
    "conv1d": (
        {"in_channels": 16, "out_channels": 16, "kernel_size": 3, "padding": 1},
        lambda n: (max(1, n // 4096), 16, 256),
    ),
    "max_pool2d": ({"kernel_size": 2}, _image),
    "avg_pool2d": ({"kernel_size": 2}, _image),
    "adaptive_avg_pool2d": ({"output_size": 4}, _image),
    "batch_norm": ({"num_features": 16}, _image),
    "flatten": ({}, _image),
    "layer_norm": ({"normalized_shape": 256}, lambda n: (max(1, n // 256), 256)),
    "group_norm": ({"num_groups": 4, "num_channels": 16}, _image),
    "conv_transpose2d": (
        {"in_channels": 16, "out_channels": 16, "kernel_size": 3, "padding": 1},
        _image,
    ),
    "dropout": ({"p": 0.5}, lambda n: (max(1, n // 1000), min(n, 1000))),
    "embedding": ({"num_embeddings": 1000, "embedding_dim": 256}, lambda n: (max(1, n // 256),)),
    "rnn": ({"input_size": 64, "hidden_size": 64}, lambda n: (max(1, n // 64), 64)),
    "gru": ({"input_size": 64, "hidden_size": 64}, lambda n: (max(1, n // 64), 64)),
    "lstm": ({"input_size": 64, "hidden_size": 64}, lambda n: (max(1, n // 64), 64)),
}


def plugin_case(fn: Any, n: int, device: str) -> Any:
    """The plugin's arguments with about ``n`` input elements (a
    ``framework.verification.checking.Case``)."""
    import torch

    from framework.contract.module import function_module_class
    from framework.verification.checking import Case, make_case, to_domain

    gen = torch.Generator().manual_seed(0)
    if fn.plugin_kind == "layer":
        params, shape_of = LAYER_SETUPS.get(fn.plugin_name, ({}, None))
        if shape_of is None:
            raise KeyError(f"no benchmark shape for layer {fn.plugin_name!r}")
        shape = shape_of(n)
        torch.manual_seed(0)
        module = function_module_class(fn)(**params)
        sig = module.signature
        if getattr(fn, "index_input", None):
            x = torch.randint(0, params[fn.index_input], shape, generator=gen)
        else:
            x = torch.randn(shape, generator=gen)
        tensors: list[Any] = [x]
        for _ in sig.inputs[1:]:  # a recurrent cell's states
            tensors.append(torch.randn((shape[0], params["hidden_size"]), generator=gen))
        tensors += [
            None if getattr(module, k) is None else getattr(module, k).detach().clone()
            for k in sig.learnables
        ]
        frozen = frozenset(name for name, _ in module.named_buffers())
        case = Case(tensors, [*sig.inputs, *sig.learnables], module, frozen)
    else:
        cols = min(n, 1000)
        shape = (max(1, n // cols), cols)
        if fn.plugin_name == "cosine_embedding":  # (N, 2, D): the two vectors stacked
            shape = (max(1, n // 1000), 2, max(1, min(n, 1000) // 2))
        x = torch.randn(shape, generator=gen, dtype=torch.float64)
        x = to_domain(x, getattr(fn, "input_domain", "real"), random=True)
        case = make_case(fn, {}, torch.float32, x=x)
    case.tensors = [t.to(device) if t is not None else None for t in case.tensors]
    case.module.to(device)
    return case


def bench_plugins(settings: Settings, device: str, log: Callable[[str], None]) -> list[dict]:
    """Every built-in plugin with a native reference, at each size: time and saved bytes."""
    from framework.contract.registries import REGISTRIES
    from framework.verification.checking import reference_call
    from framework.verification.timing import forward_backward, median_times, saved_tensor_bytes

    rows = []
    for kind, registry in REGISTRIES.items():
        for entry in registry.entries():
            fn = entry.cls
            if fn.reference is None or entry.origin != "built-in":
                continue
            for label, n in settings.sizes.items():
                case = plugin_case(fn, n, device)
                tensors = case.with_grad()
                reference = reference_call(fn, case)
                steps = {
                    "plugin": forward_backward(case.call, tensors),
                    "native": forward_backward(reference, tensors),
                }
                seconds = median_times(steps, repeats=settings.repeats, device=device)
                plugin_bytes = saved_tensor_bytes(lambda c=case, t=tensors: c.call(*t))
                native_bytes = saved_tensor_bytes(lambda r=reference, t=tensors: r(*t))
                rows.append(
                    {
                        "kind": kind,
                        "name": entry.name,
                        "size": label,
                        "shape": list(tensors[0].shape),
                        "plugin_s": seconds["plugin"],
                        "native_s": seconds["native"],
                        "time_ratio": seconds["plugin"] / seconds["native"],
                        "plugin_bytes": plugin_bytes,
                        "native_bytes": native_bytes,
                        "bytes_ratio": _bytes_ratio(plugin_bytes, native_bytes),
                    }
                )
                log(f"{kind} {entry.name} {label}: {rows[-1]['time_ratio']:.2f}×")
    return rows


def _bytes_ratio(mine: int, theirs: int) -> float:
    """``mine / theirs``; 1 when neither saves anything (never infinite: a plugin saving bytes
    where native saves none is reported as the bytes themselves over one)."""
    if theirs == 0:
        return 1.0 if mine == 0 else float(mine)
    return mine / theirs


def summarize(rows: list[dict]) -> dict[str, dict[str, Any]]:
    """Median and worst time ratio per size, and the worst plugin."""
    out = {}
    for label in dict.fromkeys(r["size"] for r in rows):
        at = [r for r in rows if r["size"] == label]
        worst = max(at, key=lambda r: r["time_ratio"])
        out[label] = {
            "median_time_ratio": statistics.median(r["time_ratio"] for r in at),
            "worst_time_ratio": worst["time_ratio"],
            "worst": f"{worst['kind']}:{worst['name']}",
            "median_bytes_ratio": statistics.median(r["bytes_ratio"] for r in at),
            "worst_bytes_ratio": max(r["bytes_ratio"] for r in at),
            "plugins": len(at),
        }
    return out


# -- models -----------------------------------------------------------------------------------
NATIVE_ACTIVATIONS = {
    "relu": "ReLU",
    "gelu": "GELU",
    "silu": "SiLU",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "leaky_relu": "LeakyReLU",
    "elu": "ELU",
    "mish": "Mish",
}


def native_twin(model: Any) -> Any:
    """The same ``nn.Sequential`` in plain ``torch.nn``, holding copies of the same weights."""
    from torch import nn

    from framework.contract.module import PluginModule
    from framework.contract.recurrent import RecurrentModule

    layers = []
    for layer in model:
        if isinstance(layer, RecurrentModule):
            w = layer.weight_ih_l0
            cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[layer.function.plugin_name]
            layers.append(
                cls(
                    w.shape[1],
                    layer.hidden_size,
                    layer.num_layers,
                    bias=layer.bias_ih_l0 is not None,
                    batch_first=layer.batch_first,
                )
            )
        elif isinstance(layer, PluginModule):
            layers.append(_native_layer(layer))
        else:  # FirstOutput, LastStep: plain modules already
            layers.append(layer)
    twin = nn.Sequential(*layers)
    twin.load_state_dict(model.state_dict())
    return twin.to(next(model.parameters()).device)


def _native_layer(layer: Any) -> Any:
    from torch import nn

    fn, opts = layer.function, layer.options
    name = fn.plugin_name
    if name == "linear":
        out, inp = layer.weight.shape
        return nn.Linear(inp, out, bias=layer.bias is not None)
    if name == "conv2d":
        o, c, kh, kw = layer.weight.shape
        return nn.Conv2d(
            c * opts["groups"],
            o,
            (kh, kw),
            opts["stride"],
            opts["padding"],
            opts["dilation"],
            opts["groups"],
            bias=layer.bias is not None,
        )
    if name == "max_pool2d":
        return nn.MaxPool2d(
            opts["kernel_size"], opts["stride"], opts["padding"], opts["dilation"], False,
            opts["ceil_mode"],
        )  # fmt: skip
    if name == "flatten":
        return nn.Flatten(opts["start_dim"], opts["end_dim"])
    if name == "dropout":
        return nn.Dropout(opts["p"])
    if fn.plugin_kind == "activation" and name in NATIVE_ACTIVATIONS:
        cls = getattr(nn, NATIVE_ACTIVATIONS[name])
        kwargs = {"approximate": opts["approximate"]} if name == "gelu" else {}
        if name == "leaky_relu":
            kwargs = {"negative_slope": opts["negative_slope"]}
        return cls(**kwargs)
    raise ValueError(f"no native twin for plugin {name!r}")


def is_activation(layer: Any) -> bool:
    from torch import nn

    from framework.contract.module import PluginModule

    if isinstance(layer, PluginModule):
        return layer.function.plugin_kind == "activation"
    return type(layer).__name__ in NATIVE_ACTIVATIONS.values() and isinstance(layer, nn.Module)


def model_specs(settings: Settings) -> list[dict[str, Any]]:
    """The benchmarked networks: name, builder config, input shape of one sample, batch."""
    widths, batch = settings.mlp
    hidden = list(widths[1:-1])
    steps, features, size, lstm_batch = settings.lstm
    mlp = {"name": "mlp", "hidden": hidden}
    # compact: "act" = activation.compact=true; "all" = also model.compact=true (the linear
    # layers after an activation keep their input in bfloat16)
    specs = [
        {"name": f"mlp_{act}" + {"": "", "act": "_compact", "all": "_compact_all"}[compact],
         "model": {**mlp, "compact": compact == "all"},
         "activation": {"name": act, "compact": bool(compact)},
         "input": (widths[0],), "batch": batch, "digits_input": (64,)}
        for act, compact in (
            ("relu", ""), ("gelu", ""), ("silu", ""), ("gelu", "act"), ("silu", "act"),
            ("gelu", "all"), ("silu", "all"),
        )
    ]  # fmt: skip
    specs.append(
        {
            "name": "convnet",
            "model": {"name": "convnet", "channels": [16, 32], "kernel_size": 3, "pool": 2,
                      "hidden": [64], "dropout": 0.0},
            "activation": {"name": "relu"},
            "input": (1, 28, 28),
            "batch": settings.convnet_batch,
            "digits_input": (1, 8, 8),
        }
    )  # fmt: skip
    specs.append(
        {
            "name": "lstm",
            "model": {"name": "rnn", "cell": "lstm", "hidden_size": size, "num_layers": 1,
                      "hidden": []},
            "activation": {"name": "relu"},
            "input": (steps, features),
            "batch": lstm_batch,
            "digits_input": (8, 8),
        }
    )  # fmt: skip
    return specs


def build_pair(spec: dict[str, Any], input_shape: tuple[int, ...], device: str) -> tuple:
    """The plugin-built network and its native twin (same weights), and both losses."""
    import torch
    import torch.nn.functional as F

    from framework.contract.registries import LOSSES
    from framework.data.base import DataInfo
    from framework.models import build_model

    torch.manual_seed(0)
    info = DataInfo("multiclass", tuple(input_shape), 10)
    plugin = build_model(spec["model"], spec["activation"], info, "cross_entropy").to(device)
    return plugin, native_twin(plugin), LOSSES.build("cross_entropy"), F.cross_entropy


def _train_step(model: Any, loss_fn: Any, x: Any, y: Any) -> Callable[[], Any]:
    import torch

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step() -> Any:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def saved_bytes(model: Any, loss_fn: Any, x: Any, y: Any) -> dict[str, int]:
    """Bytes saved for the backward of one forward and loss, once per storage: ``all`` of them,
    ``activations`` (neither weights nor the batch itself), and those saved inside activation
    layers (``activation_layers``)."""
    import torch

    exclude = {p.untyped_storage().data_ptr() for p in model.parameters()}
    exclude |= {t.untyped_storage().data_ptr() for t in (x, y)}
    sizes: dict[int, int] = {}
    inside: set[int] = set()
    state = {"activation": 0}

    def enter(*_: Any) -> None:
        state["activation"] += 1

    def leave(*_: Any) -> None:
        state["activation"] -= 1

    hooks = []
    for layer in model:
        if is_activation(layer):
            hooks += [layer.register_forward_pre_hook(enter), layer.register_forward_hook(leave)]

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        key = storage.data_ptr()
        if key not in sizes and state["activation"]:
            inside.add(key)
        sizes[key] = max(sizes.get(key, 0), storage.nbytes())
        return t

    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = loss_fn(model(x), y)
        del out
    finally:
        for hook in hooks:
            hook.remove()
    return {
        "all": sum(sizes.values()),
        "activations": sum(v for k, v in sizes.items() if k not in exclude),
        "activation_layers": sum(v for k, v in sizes.items() if k in inside),
    }


def model_batch(spec: dict[str, Any], device: str, input_shape: tuple[int, ...] | None = None):
    import torch

    gen = torch.Generator().manual_seed(1)
    shape = (spec["batch"], *(input_shape or spec["input"]))
    x = torch.randn(shape, generator=gen).to(device)
    y = torch.randint(0, 10, (spec["batch"],), generator=gen).to(device)
    return x, y


def bench_models(
    settings: Settings, device: str, log: Callable[[str], None], train: bool = True
) -> list[dict]:
    """Step time, saved bytes and (on the CPU) digits accuracy of each network, both ways."""
    import torch

    from framework.verification.timing import median_times

    digits = load_digits_splits() if train else None
    rows = []
    for spec in model_specs(settings):
        plugin, native, plugin_loss, native_loss = build_pair(spec, spec["input"], device)
        x, y = model_batch(spec, device)
        steps = {
            "plugin": _train_step(plugin, plugin_loss, x, y),
            "native": _train_step(native, native_loss, x, y),
        }
        seconds = median_times(steps, repeats=settings.model_repeats, device=device)
        mine = saved_bytes(plugin, plugin_loss, x, y)
        theirs = saved_bytes(native, native_loss, x, y)
        row: dict[str, Any] = {
            "name": spec["name"],
            "batch": spec["batch"],
            "input": list(spec["input"]),
            "plugin_step_s": seconds["plugin"],
            "native_step_s": seconds["native"],
            "time_ratio": seconds["plugin"] / seconds["native"],
            "plugin_saved_bytes": mine["activations"],
            "native_saved_bytes": theirs["activations"],
            "bytes_ratio": _bytes_ratio(mine["activations"], theirs["activations"]),
            "plugin_activation_layer_bytes": mine["activation_layers"],
            "native_activation_layer_bytes": theirs["activation_layers"],
            "activation_layer_bytes_ratio": _bytes_ratio(
                mine["activation_layers"], theirs["activation_layers"]
            ),
            "plugin_saved_bytes_with_weights": mine["all"],
            "native_saved_bytes_with_weights": theirs["all"],
        }
        if device.startswith("cuda"):
            row.update(peak_memory(steps))
        if digits is not None:
            row.update(compare_training(spec, digits, settings.epochs))
        rows.append(row)
        log(f"model {spec['name']}: {row['time_ratio']:.2f}× time, {row['bytes_ratio']:.2f}× bytes")
        del plugin, native, steps
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
    return rows


def peak_memory(steps: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Peak ``torch.cuda.max_memory_allocated`` of one step of each."""
    import torch

    out = {}
    for name, step in steps.items():
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        step()
        torch.cuda.synchronize()
        out[f"{name}_peak_bytes"] = torch.cuda.max_memory_allocated()
    out["peak_ratio"] = out["plugin_peak_bytes"] / out["native_peak_bytes"]
    return out


def load_digits_splits() -> dict[str, Any]:
    """scikit-learn's digits: train/test (80/20, stratified, seed 0), standardised."""
    import numpy as np
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x, y = data.data.astype(np.float32), data.target
    train, test = train_test_split(np.arange(len(y)), test_size=0.2, random_state=0, stratify=y)
    mean, std = x[train].mean(0), x[train].std(0)
    std[std == 0] = 1.0
    x = (x - mean) / std
    as_t = torch.as_tensor
    return {
        "train": (as_t(x[train]), as_t(y[train], dtype=torch.int64)),
        "test": (as_t(x[test]), as_t(y[test], dtype=torch.int64)),
    }


def compare_training(spec: dict[str, Any], digits: dict[str, Any], epochs: int) -> dict[str, Any]:
    """Test accuracy (%) of the plugin network and its twin after the same short training."""
    import torch

    plugin, native, plugin_loss, native_loss = build_pair(spec, spec["digits_input"], "cpu")
    shape = spec["digits_input"]
    accuracy = {}
    for name, model, loss_fn in (("plugin", plugin, plugin_loss), ("native", native, native_loss)):
        x, y = digits["train"]
        x = x.reshape(-1, *shape)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        order = torch.Generator().manual_seed(0)
        model.train()
        for _ in range(epochs):
            for idx in torch.randperm(len(y), generator=order).split(64):
                optimizer.zero_grad(set_to_none=True)
                loss_fn(model(x[idx]), y[idx]).backward()
                optimizer.step()
        model.eval()
        tx, ty = digits["test"]
        with torch.no_grad():
            right = (model(tx.reshape(-1, *shape)).argmax(-1) == ty).float().mean()
        accuracy[name] = 100 * float(right)
    return {
        "epochs": epochs,
        "plugin_test_acc": accuracy["plugin"],
        "native_test_acc": accuracy["native"],
        "acc_diff_points": accuracy["plugin"] - accuracy["native"],
    }


# -- torch.compile ------------------------------------------------------------------------------
def bench_compile(settings: Settings, device: str, log: Callable[[str], None]) -> dict[str, Any]:
    """The MLP (ReLU) training step with ``torch.compile``: plugin ÷ compiled native, and the
    graph breaks of the plugin network's forward and loss."""
    import torch

    from framework.verification.timing import median_times

    spec = model_specs(settings)[0]
    plugin, native, plugin_loss, native_loss = build_pair(spec, spec["input"], device)
    x, y = model_batch(spec, device)
    backend = settings.compile_backend
    torch._dynamo.reset()
    explained = torch._dynamo.explain(lambda a, b: plugin_loss(plugin(a), b))(x, y)
    torch._dynamo.reset()
    started = time.perf_counter()
    steps = {
        "plugin": _train_step(torch.compile(plugin, backend=backend), plugin_loss, x, y),
        "native": _train_step(torch.compile(native, backend=backend), native_loss, x, y),
    }
    for step in steps.values():  # compiles
        step()
    compile_s = time.perf_counter() - started
    seconds = median_times(steps, repeats=settings.model_repeats, device=device)
    row = {
        "model": spec["name"],
        "backend": backend,
        "graph_breaks": int(explained.graph_break_count),
        "graphs": int(explained.graph_count),
        "compile_s": compile_s,
        "plugin_step_s": seconds["plugin"],
        "native_step_s": seconds["native"],
        "time_ratio": seconds["plugin"] / seconds["native"],
    }
    log(f"compile: {row['time_ratio']:.2f}×, {row['graph_breaks']} graph breaks")
    return row


# -- framework overhead -----------------------------------------------------------------------
#: what nn-train cannot start without (Lightning brings torch, torchmetrics and torch._dynamo)
NN_TRAIN_IMPORTS = ("lightning", "hydra", "sklearn.datasets", "sklearn.model_selection")
#: what the plain script imports
PLAIN_IMPORTS = ("torch", "sklearn.datasets", "sklearn.model_selection")


def bench_overhead(settings: Settings, log: Callable[[str], None]) -> dict[str, Any]:
    """The default ``nn-train`` experiment end to end against the plain script; ``--help``."""
    out: dict[str, Any] = {"epochs": settings.train_epochs}
    python = sys.executable
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    help_times = []
    for _ in range(settings.process_repeats):
        help_times.append(_run([python, "-m", "framework.train", "--help"], env, None))
    out["help_s"] = statistics.median(help_times)
    if not PLAIN_SCRIPT.exists():
        out["skipped"] = f"{PLAIN_SCRIPT} not found (run nn-bench from a source checkout)"
        return out
    epochs = settings.train_epochs
    variants = {
        "nn_train": [python, "-m", "framework.train", f"trainer.max_epochs={epochs}"],
        "plain": [python, str(PLAIN_SCRIPT), "--epochs", str(epochs)],
        "lightning": [python, str(LIGHTNING_SCRIPT), "--epochs", str(epochs)],
        # the floor under each: a process importing the libraries it cannot do without
        "imports_nn_train": [python, "-c", f"import {', '.join(NN_TRAIN_IMPORTS)}"],
        "imports_plain": [python, "-c", f"import {', '.join(PLAIN_IMPORTS)}"],
    }
    if not settings.quick:
        variants["nn_train_log_off"] = [*variants["nn_train"], "log=off"]
    times: dict[str, list[float]] = {k: [] for k in variants}
    with tempfile.TemporaryDirectory(prefix="nn_bench_") as tmp:
        for i in range(settings.process_repeats):
            order = list(variants) if i % 2 == 0 else list(reversed(variants))
            for name in order:
                cmd = list(variants[name])
                if name.startswith("nn_train"):
                    cmd.append(f"hydra.run.dir={Path(tmp) / f'{name}{i}'}")
                elif name == "lightning":
                    cmd += ["--out", str(Path(tmp) / f"{name}{i}")]
                times[name].append(_run(cmd, env, tmp))
    for name, ts in times.items():
        out[f"{name}_s"] = statistics.median(ts)
    out["time_ratio"] = out["nn_train_s"] / out["plain_s"]
    out["lightning_ratio"] = out["nn_train_s"] / out["lightning_s"]  # beyond Lightning
    # what is left once each side's imports are paid, and the best ratio Lightning's imports allow
    out["beyond_imports_ratio"] = (out["nn_train_s"] - out["imports_nn_train_s"]) / max(
        out["plain_s"] - out["imports_plain_s"], 1e-9
    )
    out["import_floor_ratio"] = (
        out["imports_nn_train_s"] + out["plain_s"] - out["imports_plain_s"]
    ) / out["plain_s"]
    if "nn_train_log_off_s" in out:
        out["log_off_time_ratio"] = out["nn_train_log_off_s"] / out["plain_s"]
        out["log_off_lightning_ratio"] = out["nn_train_log_off_s"] / out["lightning_s"]
    log(
        f"overhead: nn-train {out['lightning_ratio']:.2f}× minimal Lightning, "
        f"{out['time_ratio']:.2f}× plain (imports alone allow "
        f"{out['import_floor_ratio']:.2f}×; beyond imports {out['beyond_imports_ratio']:.2f}×), "
        f"--help {out['help_s']:.1f} s"
    )
    return out


#: the wall-time ratio the network picture may cost on moons (issue: "cheap")
NETWORK_TARGET = 1.05


def bench_network(settings: Settings, log: Callable[[str], None]) -> dict[str, Any]:
    """``nn-train experiment=moons`` with ``log.network=true`` against ``false`` (every other
    logging part on in both), alternating; medians of the wall times."""
    epochs = settings.network_epochs
    out: dict[str, Any] = {"experiment": "moons", "epochs": epochs, "target": NETWORK_TARGET}
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    base = [sys.executable, "-m", "framework.train", "experiment=moons"]
    base.append(f"trainer.max_epochs={epochs}")
    times: dict[str, list[float]] = {"on": [], "off": []}
    with tempfile.TemporaryDirectory(prefix="nn_bench_network_") as tmp:
        for i in range(settings.process_repeats):
            for name in ("on", "off") if i % 2 == 0 else ("off", "on"):
                cmd = [*base, f"log.network={name == 'on'}".lower(), f"hydra.run.dir=r{name}{i}"]
                times[name].append(_run(cmd, env, tmp))
    out["on_s"] = statistics.median(times["on"])
    out["off_s"] = statistics.median(times["off"])
    out["time_ratio"] = out["on_s"] / out["off_s"]
    log(f"network picture: moons {out['time_ratio']:.3f}× without it")
    return out


def _run(cmd: list[str], env: dict[str, str], cwd: str | None) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stderr[-2000:]}")
    return elapsed


# -- the report -------------------------------------------------------------------------------
def run(settings: Settings, threads: int, log: Callable[[str], None]) -> dict[str, Any]:
    import torch

    torch.set_num_threads(threads)
    report: dict[str, Any] = {
        "meta": {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "torch": torch.__version__,
            "python": sys.version.split()[0],
            "threads": threads,
            "cpus": os.cpu_count(),
            "quick": settings.quick,
            "sizes": settings.sizes,
            "repeats": settings.repeats,
            "model_repeats": settings.model_repeats,
            "command": " ".join(["nn-bench", *sys.argv[1:]]),
        }
    }
    report["plugins"] = bench_plugins(settings, "cpu", log)
    report["plugin_summary"] = summarize(report["plugins"])
    report["models"] = bench_models(settings, "cpu", log)
    report["compile"] = bench_compile(settings, "cpu", log)
    report["overhead"] = bench_overhead(settings, log)
    report["network"] = bench_network(settings, log)
    if torch.cuda.is_available():
        cuda: dict[str, Any] = {"device": torch.cuda.get_device_name()}
        cuda["plugins"] = bench_plugins(settings, "cuda", log)
        cuda["plugin_summary"] = summarize(cuda["plugins"])
        cuda["models"] = bench_models(settings, "cuda", log, train=False)
        report["cuda"] = cuda
    else:
        report["cuda"] = {"skipped": "no CUDA device"}
    return report


def render(report: dict[str, Any]) -> None:
    """The report as tables on stdout (plain text when piped)."""
    from rich.console import Console

    from framework.cli.console import print_table

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
    for where, part in (("CPU", report), ("CUDA", report.get("cuda", {}))):
        if "plugins" not in part:
            continue
        sizes = list(dict.fromkeys(r["size"] for r in part["plugins"]))
        columns: list[Any] = ["plugin"]
        columns += [(f"time {s}", "right") for s in sizes]
        columns += [(f"bytes {sizes[-1]}", "right"), (f"ms {sizes[-1]} (plugin / native)", "right")]
        by_name: dict[str, dict[str, dict]] = {}
        for r in part["plugins"]:
            by_name.setdefault(f"{r['kind']}:{r['name']}", {})[r["size"]] = r
        rows: list[list[str] | None] = []
        for name, at in by_name.items():
            last = at[sizes[-1]]
            rows.append(
                [
                    name,
                    *(_ratio(at[s]["time_ratio"]) for s in sizes),
                    _ratio(last["bytes_ratio"]),
                    f"{last['plugin_s'] * 1e3:.2f} / {last['native_s'] * 1e3:.2f}",
                ]
            )
        summary = part["plugin_summary"]
        rows.append(None)
        rows.append(["median", *(_ratio(summary[s]["median_time_ratio"]) for s in sizes), "", ""])
        rows.append(
            ["worst", *(f"{summary[s]['worst_time_ratio']:.2f} ({summary[s]['worst']})"
                        for s in sizes), "", ""]
        )  # fmt: skip
        print_table(
            f"Plugins on {where}: forward+backward, plugin ÷ native (median)", columns, rows
        )
        columns = ["model"]
        columns += [
            (c, "right")
            for c in ("step time", "saved bytes", "activation layers' bytes", "ms (p / n)")
        ]
        acc = any("acc_diff_points" in m for m in part["models"])
        peak = any("peak_ratio" in m for m in part["models"])
        if acc:
            columns.append(("digits acc. (p / n, Δ points)", "right"))
        if peak:
            columns.append(("peak memory", "right"))
        rows = []
        for m in part["models"]:
            cells = [
                m["name"],
                _ratio(m["time_ratio"]),
                _ratio(m["bytes_ratio"]),
                _ratio(m["activation_layer_bytes_ratio"]),
                f"{m['plugin_step_s'] * 1e3:.1f} / {m['native_step_s'] * 1e3:.1f}",
            ]
            if acc:
                cells.append(
                    f"{m['plugin_test_acc']:.1f} / {m['native_test_acc']:.1f} "
                    f"({m['acc_diff_points']:+.1f})"
                )
            if peak:
                cells.append(_ratio(m["peak_ratio"]))
            rows.append(cells)
        print_table(f"Training steps on {where}: plugin-built ÷ plain torch.nn", columns, rows)
    if "compile" in report:
        c = report["compile"]
        console.print(
            f"torch.compile ({c['backend']}, {c['model']}): step time {c['time_ratio']:.2f}× "
            f"compiled native ({c['plugin_step_s'] * 1e3:.1f} / {c['native_step_s'] * 1e3:.1f} "
            f"ms), {c['graph_breaks']} graph breaks, compiled in {c['compile_s']:.0f} s"
        )
    o = report.get("overhead", {})
    if "time_ratio" in o:
        off = f", log=off {o['log_off_time_ratio']:.2f}×" if "log_off_time_ratio" in o else ""
        console.print(
            f"nn-train ({o['epochs']} epochs) {o['nn_train_s']:.1f} s ÷ plain script "
            f"{o['plain_s']:.1f} s = {o['time_ratio']:.2f}×{off}; "
            f"nn-train --help {o['help_s']:.2f} s"
        )
        off = (
            f", log=off {o['log_off_lightning_ratio']:.2f}×"
            if "log_off_lightning_ratio" in o
            else ""
        )
        console.print(
            f"  ÷ minimal Lightning script (TensorBoard, checkpoint each epoch) "
            f"{o['lightning_s']:.1f} s = {o['lightning_ratio']:.2f}×{off} (target ≤ 1.10×)"
        )
        console.print(
            f"  imports alone: nn-train's {o['imports_nn_train_s']:.1f} s, the plain script's "
            f"{o['imports_plain_s']:.1f} s: the best ratio they allow is "
            f"{o['import_floor_ratio']:.2f}×; beyond imports nn-train takes "
            f"{o['beyond_imports_ratio']:.2f}× the plain script's time"
        )
    n = report.get("network", {})
    if "time_ratio" in n:
        console.print(
            f"network picture (log.network): {n['experiment']} ({n['epochs']} epochs) "
            f"{n['on_s']:.1f} s ÷ {n['off_s']:.1f} s without it = {n['time_ratio']:.3f}× "
            f"(target ≤ {n['target']:.2f}×)"
        )
    if "skipped" in report.get("cuda", {}):
        console.print(f"CUDA: skipped ({report['cuda']['skipped']})")


def _ratio(value: float) -> str:
    return f"{value:.2f}" if math.isfinite(value) else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="nn-bench",
        description="The performance report: every built-in plugin and whole training steps "
        "against native PyTorch, measured side by side (alternating, medians) in one run.",
    )
    add_version_argument(parser)
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument(
        "--threads",
        type=int,
        default=max(1, (os.cpu_count() or 2) // 2),
        help="torch threads while timing (default: half the cores, %(default)s here)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    parser.add_argument(
        "--scale",
        metavar="ROWS",
        help="instead of the report: a generated table of each size (e.g. 10k,100k,1M) through "
        "nn-train (NPZ, CSV, Parquet; default logging and log=off) against a minimal Lightning "
        "script and a plain PyTorch loop, one epoch each: wall time and peak memory",
    )
    parser.add_argument(
        "--repeats", type=int, default=1, help="runs of each process per size with --scale"
    )
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads {args.threads}: give at least 1")
    if args.repeats < 1:
        parser.error(f"--repeats {args.repeats}: give at least 1")

    def log(line: str) -> None:
        if not args.quiet:
            print(line, file=sys.stderr, flush=True)

    if args.scale is not None:
        from framework.verification.scale import bench_scale, parse_sizes, render_scale

        try:
            sizes = parse_sizes(args.scale)
        except ValueError as exc:
            parser.error(str(exc))
        report = {"scale": bench_scale(sizes, args.repeats, log)}
        render_scale(report["scale"])
    else:
        report = run(Settings(args.quick), args.threads, log)
        render(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
