"""Layer plugins against ``torch.nn`` on PyTorch's own module samples (``module_db``).

For every layer plugin whose ``torch.nn`` twin has a ``ModuleInfo``, each sample of its
``module_inputs_func`` (constructor arguments and forward inputs) is run in float64, in training
and, where they differ, eval mode: both Modules are built from the sample's arguments, the native
``state_dict`` (parameters set to random values first) is loaded into the plugin, and the
outputs (``h_n``/``c_n`` too), the gradients of every input and parameter, and the buffers after
the forward must agree. A plugin may instead refuse a sample with a ``ValueError``/``TypeError``
naming an argument its docstring lists as unsupported. The per-module table (tried / passed /
refused with the argument) is printed (``pytest -s``).
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
import torch
from torch import nn

from framework import LAYERS

common_modules = pytest.importorskip("torch.testing._internal.common_modules")

#: torch.nn class name -> layer plugin name.
TWINS = {
    "Linear": "linear",
    "Conv1d": "conv1d",
    "Conv2d": "conv2d",
    "ConvTranspose2d": "conv_transpose2d",
    "BatchNorm1d": "batch_norm",
    "BatchNorm2d": "batch_norm",
    "LayerNorm": "layer_norm",
    "GroupNorm": "group_norm",
    "MaxPool2d": "max_pool2d",
    "AvgPool2d": "avg_pool2d",
    "AdaptiveAvgPool2d": "adaptive_avg_pool2d",
    "Embedding": "embedding",
    "RNN": "rnn",
    "GRU": "gru",
    "LSTM": "lstm",
}
#: Layer plugins whose torch.nn twin has no ModuleInfo in this torch.
NO_MODULE_INFO = {"dropout": "Dropout", "flatten": "Flatten"}
#: The share of a module's samples a plugin may refuse (naming an argument it documents).
MAX_REFUSED: dict[str, float] = {}
RTOL, ATOL = 1e-7, 1e-9

INFOS = [info for info in common_modules.module_db if info.module_cls.__name__ in TWINS]
TABLE: dict[str, dict[str, Any]] = {}


def test_every_layer_plugin_is_mapped() -> None:
    mapped = set(TWINS.values()) | set(NO_MODULE_INFO)
    assert mapped == set(LAYERS.names())
    present = {info.module_cls.__name__ for info in common_modules.module_db}
    assert set(TWINS) <= present
    assert not set(NO_MODULE_INFO.values()) & present  # else map them


def _plugin_params(cls: type[nn.Module], args: tuple, kwargs: dict) -> dict[str, Any]:
    """The sample's constructor arguments by name (those it gives, not torch's defaults)."""
    sig = inspect.signature(cls.__init__)
    named: dict[str, Any] = {}
    for name, value in list(sig.bind(None, *args, **kwargs).arguments.items())[1:]:
        kind = sig.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            assert not value, f"{cls.__name__}: positional *args {value}"
        elif kind is inspect.Parameter.VAR_KEYWORD:  # nn.RNN(*args, **kwargs)
            named.update(value)
        else:
            named[name] = value
    return {k: v for k, v in named.items() if k not in ("device", "dtype")}


def _copy(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    if isinstance(value, tuple | list):
        return type(value)(_copy(v) for v in value)
    return value


def _tensors(out: Any) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    return [t for o in out for t in _tensors(o)]


def _run(module: nn.Module, args: tuple, kwargs: dict, positional: bool) -> dict[str, Any]:
    """Outputs, gradients of inputs and parameters, buffers after the forward."""
    args, kwargs = _copy(args), _copy(kwargs)
    with torch.random.fork_rng():
        torch.manual_seed(2)
        out = module(*args, *kwargs.values()) if positional else module(*args, **kwargs)
    outs = _tensors(out)
    differentiable = [o for o in outs if o.requires_grad]
    gen = torch.Generator().manual_seed(3)
    grads_out = [torch.randn(o.shape, generator=gen, dtype=o.dtype) for o in differentiable]
    inputs = [t for t in _tensors([args, list(kwargs.values())]) if t.requires_grad]
    wrt = inputs + [p for p in module.parameters() if p.requires_grad]
    grads = torch.autograd.grad(differentiable, wrt, grads_out) if differentiable else []
    return {
        "outputs": [o.detach() for o in outs],
        "grads": list(grads),
        "buffers": [b.clone() for _, b in sorted(module.named_buffers())],
        "first": outs[0],
    }


def _refusal(error: Exception, plugin: str, params: dict[str, Any]) -> str:
    """The argument a refusal names; fails unless it is one the plugin's docstring lists."""
    message = str(error)
    assert "\n" not in message.strip(), f"not one paragraph: {message}"
    doc = LAYERS.get(plugin).__doc__ or ""
    named = [n for n in params if f"{n}=" in message and n in doc]
    assert named, f"{plugin} refused without naming an argument it documents: {message}"
    return f"{named[0]}={params[named[0]]!r}"


def compare(ours: dict[str, Any], theirs: dict[str, Any], what: str) -> None:
    for key in ("outputs", "grads", "buffers"):
        assert len(ours[key]) == len(theirs[key]), f"{what}: number of {key}"
        for i, (a, b) in enumerate(zip(ours[key], theirs[key], strict=True)):
            torch.testing.assert_close(a, b, rtol=RTOL, atol=ATOL, msg=f"{what}: {key}[{i}]")


@pytest.mark.parametrize("info", INFOS, ids=[i.module_cls.__name__ for i in INFOS])
def test_plugin_agrees_on_module_db_samples(info: Any) -> None:
    cls = info.module_cls
    plugin = TWINS[cls.__name__]
    recurrent = plugin in ("rnn", "gru", "lstm")
    row: dict[str, Any] = {"tried": 0, "passed": 0, "refused": {}}
    modes = (True, False) if info.train_and_eval_differ else (True,)
    for training in modes:
        samples = info.module_inputs_func(
            info, device="cpu", dtype=torch.float64, requires_grad=True, training=training
        )
        for k, sample in enumerate(samples):
            c, f = sample.constructor_input, sample.forward_input
            params = _plugin_params(cls, c.args, c.kwargs)
            what = f"{cls.__name__} sample {k} ({params}, training={training})"
            row["tried"] += 1
            torch.manual_seed(0)
            native = cls(*c.args, **c.kwargs).to(torch.float64)
            with torch.no_grad():
                for p in native.parameters():
                    p.uniform_(-1, 1)  # batch norm's γ = 1, β = 0 would hide a missing term
            try:
                ours = LAYERS.build(plugin, **params).to(torch.float64)
            except (TypeError, ValueError) as error:
                arg = _refusal(error, plugin, params)
                row["refused"][arg] = row["refused"].get(arg, 0) + 1
                continue
            ours.load_state_dict(native.state_dict())  # strict: the same names
            native.train(training)
            ours.train(training)
            theirs_run = _run(native, f.args, f.kwargs, positional=False)
            ours_run = _run(ours, f.args, f.kwargs, positional=True)
            compare(ours_run, theirs_run, what)
            first = ours_run["first"]
            if first.requires_grad and not recurrent:  # the plugin's own backward
                assert type(first.grad_fn).__name__ == f"{ours.function.__name__}Backward"
            row["passed"] += 1
    TABLE[cls.__name__] = row
    refused = sum(row["refused"].values())
    print(
        f"\n{cls.__name__:<18} {plugin:<20} tried {row['tried']:>3}  passed {row['passed']:>3}  "
        f"refused {refused:>3} {row['refused'] or ''}"
    )
    assert row["passed"] + refused == row["tried"]
    assert refused <= MAX_REFUSED.get(cls.__name__, 0.10) * row["tried"], row
