"""One batch forward and backward before training, so a broken plugin is named up front.

Autograd casts a gradient of the wrong dtype silently and reports a wrong shape as an error
about ``SomethingBackward``; here each plugin's own backward is called on the real batch and
its results compared with the tensors they are the gradients of.
"""

from __future__ import annotations

import re
from typing import Any

import torch
from torch import nn

from framework.contract.module import PluginModule
from framework.errors import ConfigError


def dry_run(module: Any, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    """Raise ``ConfigError`` naming the plugin whose backward returns a wrong gradient."""
    records: list[tuple[PluginModule, tuple[Any, ...], Any]] = []
    plugins = [m for m in module.modules() if isinstance(m, PluginModule)]
    hooks = [
        m.register_forward_hook(lambda mod, inp, out: records.append((mod, inp, out)))
        for m in plugins
    ]
    was_training = module.training
    module.eval()  # no dropout draw, no running-statistics update
    try:
        x, y = batch
        with torch.random.fork_rng():
            out = module(x)
            loss = module.loss(out, module.targets_for_loss(y, out))
            for mod, inputs, output in records:
                _check_gradients(mod, inputs, output)
            loss.backward()
    except RuntimeError as exc:
        raise ConfigError(_name_plugin(str(exc), plugins)) from None
    finally:
        for h in hooks:
            h.remove()
        module.zero_grad(set_to_none=True)
        module.train(was_training)


def _check_gradients(mod: PluginModule, inputs: tuple[Any, ...], output: Any) -> None:
    fn = mod.function
    if not isinstance(output, torch.Tensor) or output.grad_fn is None or fn.intermediates:
        return
    expected = [*inputs, *(getattr(mod, n) for n in mod.signature.learnables)]
    # the plugin's own backward (its grad_fn is its ctx), before autograd validates the result
    grads = fn.backward(output.grad_fn, torch.ones_like(output))
    grads = grads if isinstance(grads, tuple) else (grads,)
    for i, (grad, tensor) in enumerate(zip(grads, expected, strict=False)):
        if grad is None or not isinstance(tensor, torch.Tensor) or not tensor.requires_grad:
            continue
        if grad.shape != tensor.shape or grad.dtype != tensor.dtype:
            name = ([*mod.signature.inputs, *mod.signature.learnables] + ["?"] * 9)[i]
            raise ConfigError(
                f"{fn.plugin_kind} plugin {fn.plugin_name!r} ({fn.__module__}.{fn.__qualname__})"
                f": its backward returns a gradient for {name} of shape {tuple(grad.shape)} and "
                f"dtype {grad.dtype}, but {name} has shape {tuple(tensor.shape)} and dtype "
                f"{tensor.dtype} (found by a one-batch dry run before training). Run "
                f"nn-plugins check {fn.plugin_name} for details."
            )


def _name_plugin(message: str, plugins: list[nn.Module]) -> str:
    found = re.search(r"Function (\w+)Backward", message)
    for m in plugins:
        fn = m.function  # type: ignore[attr-defined]
        if found and fn.__name__ == found.group(1):
            return (
                f"{fn.plugin_kind} plugin {fn.plugin_name!r}: its backward failed in a one-batch "
                f"dry run before training: {message.splitlines()[0]}"
            )
    return f"a one-batch dry run before training failed: {message.splitlines()[0]}"
