"""One autograd node for a chain of plugins: a linear layer, its activation, the next layer …

Every plugin is a Python ``torch.autograd.Function``, and each ``apply`` costs a fixed 15–20 µs
of Python and autograd bookkeeping that ``torch.nn``'s C++ nodes do not pay: on a small network
(the default experiment's MLP 64-128-64-10) that per-call cost, not the arithmetic, is most of
the gap to ``torch.nn``. :class:`PluginSequential` runs each stretch of consecutive plugin
Modules as one Function instead, composed generically from the plugins' own methods:

- forward: each plugin's ``forward``, then its ``setup_context`` on a small per-plugin context
  (:class:`_StepContext`) that records what it saves; everything saved goes through the chain
  node's own ``save_for_backward`` (so saved-tensor hooks and in-place checks see it);
- backward: each plugin's ``backward`` (its in-place variant when no higher-order gradient is
  built) in reverse order, the gradient of one plugin's input being the incoming gradient of
  the plugin before it;
- a double backward (``create_graph=True``) recomputes the chain plugin by plugin and
  differentiates that, so ``gradgradcheck`` holds as for each plugin alone.

The result is the same arithmetic in the same order, so the chain is exact: outputs and
gradients match the plugin-by-plugin network bit for bit. A stretch is applied plugin by plugin
instead (nothing changes for the user) whenever something needs the single calls: a forward or
backward hook on one of its Modules (the dashboards' recorders), ``torch.compile`` tracing
(which sees through each plugin itself), ``torch.func`` transforms, or no gradient needed at
all. A plugin joins a chain when it takes one input and its calls so far returned one tensor
(its ``intermediates`` stay inside the node), and has no ``training`` option (dropout and batch
statistics draw or update state per call); a Module not yet called runs alone once.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.modules import module as _module

from framework.contract.function import visible
from framework.contract.module import PluginModule


class _StepContext:
    """The part of ``ctx`` a plugin's ``setup_context`` and ``backward`` use, for one plugin of
    a chain: ``save_for_backward`` and ``saved_tensors``, ``needs_input_grad``, attributes."""

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self.to_save: tuple[Any, ...] = ()
        self.saved_tensors: tuple[Any, ...] = ()

    def save_for_backward(self, *tensors: Any) -> None:
        self.to_save = tensors

    def mark_non_differentiable(self, *tensors: Any) -> None:
        """Outputs of a chain's inner plugins are never outputs of the node: nothing to mark."""

    def set_materialize_grads(self, value: bool) -> None:
        """Gradients reaching an inner plugin are always tensors."""

    def mark_dirty(self, *tensors: Any) -> None:
        raise RuntimeError(
            "a plugin that modifies its input in place (ctx.mark_dirty) cannot run inside a "
            "chain of plugins: set `chainable = False` on its Function class"
        )


class _Chain(torch.autograd.Function):
    """Applies ``plan`` — (Function, number of learnable tensors, options) per plugin — to
    ``x`` and the plugins' learnable ``tensors`` as one autograd node."""

    @staticmethod
    def forward(ctx: Any, plan: tuple[Any, ...], x: torch.Tensor, *tensors: Any) -> torch.Tensor:
        needs = ctx.needs_input_grad
        steps, to_save, counts = [], [], []
        h, at, h_needs = x, 0, needs[1]
        for function, n_learn, options in plan:
            learn = tensors[at : at + n_learn]
            learn_needs = needs[2 + at : 2 + at + n_learn]
            at += n_learn
            if h_needs and not h.requires_grad and h.is_floating_point():
                h.requires_grad_()  # as a plugin's input outside a chain (forward may ask)
            args = (h, *learn, *options)
            out = function.forward(*args)
            step = _StepContext((h_needs, *learn_needs, *(False,) * len(options)))
            function.setup_context(step, args, out)
            to_save += step.to_save
            counts.append(len(step.to_save))
            step.to_save = ()  # held by the node's saved variables only (freed with them)
            steps.append(step)
            h = out[0] if function.intermediates else out
            h_needs = h_needs or any(learn_needs)
        ctx.save_for_backward(x, *tensors, *to_save)
        ctx.plan, ctx.steps, ctx.counts = plan, steps, counts
        return h

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> Any:
        plan = ctx.plan
        saved = ctx.saved_tensors
        n_in = 1 + sum(n for _, n, _ in plan)
        x, tensors = saved[0], saved[1:n_in]
        if torch.is_grad_enabled():  # a higher-order gradient: differentiate the single calls
            return (None, *_recompute_grads(plan, x, tensors, grad, ctx.needs_input_grad[1:]))
        at = n_in
        for step, count in zip(ctx.steps, ctx.counts, strict=True):
            step.saved_tensors = saved[at : at + count]
            at += count
        del saved
        grads: list[Any] = [None] * len(tensors)
        end = len(tensors)
        try:
            for (function, n_learn, _), step in zip(
                reversed(plan), reversed(ctx.steps), strict=True
            ):
                out = function.backward(step, grad)
                step.saved_tensors = ()  # each plugin's tensors go as soon as it is done
                grads[end - n_learn : end] = out[1 : 1 + n_learn]
                end -= n_learn
                grad = out[0]
                if grad is None:  # nothing before this plugin needs a gradient
                    break
        finally:
            for step in ctx.steps:
                step.saved_tensors = ()
        return (None, grad, *grads)


def _apply_singly(plan: tuple[Any, ...], x: torch.Tensor, tensors: tuple[Any, ...]) -> Any:
    at = 0
    for function, n_learn, options in plan:
        out = function.apply(x, *tensors[at : at + n_learn], *options)
        x = visible(out, function.intermediates)
        at += n_learn
    return x


def _recompute_grads(
    plan: tuple[Any, ...],
    x: torch.Tensor,
    tensors: tuple[Any, ...],
    grad: torch.Tensor,
    needs: tuple[bool, ...],
) -> list[Any]:
    inputs = (x, *tensors)
    wanted = [t for t, need in zip(inputs, needs, strict=True) if need]
    out = _apply_singly(plan, x, tensors)
    found = iter(torch.autograd.grad(out, wanted, grad, create_graph=True, allow_unused=True))
    return [next(found) if need else None for need in needs]


def chainable(module: nn.Module) -> bool:
    """Whether ``module`` may join a chain: a plugin Module of one input whose calls so far
    returned one tensor (``intermediates`` aside), with no ``training`` option."""
    return (
        type(module).forward is PluginModule.forward
        and module.function.chainable
        and module.single_output is True
        and module.function.n_inputs == 1
        and "training" not in module.signature.options
    )


def _hooked(module: nn.Module) -> bool:
    return bool(
        module._forward_hooks
        or module._forward_pre_hooks
        or module._backward_hooks
        or module._backward_pre_hooks
    )


def _global_hooks() -> bool:
    return bool(
        _module._global_forward_hooks
        or _module._global_forward_pre_hooks
        or _module._global_backward_hooks
        or _module._global_backward_pre_hooks
    )


class PluginSequential(nn.Sequential):
    """``nn.Sequential`` that applies each stretch of two or more consecutive chainable plugin
    Modules as one autograd node (:mod:`framework.contract.chain`): the same results, with one
    Python ``Function`` call per stretch instead of one per plugin. Same ``state_dict``, same
    indexing and printing as ``nn.Sequential``."""

    def forward(self, x: Any) -> Any:
        modules = list(self._modules.values())
        if (
            not torch.is_grad_enabled()
            or torch.compiler.is_compiling()
            or torch._C._are_functorch_transforms_active()
            or _global_hooks()
        ):
            for module in modules:
                x = module(x)
            return x
        stretch: list[nn.Module] = []
        for module in modules:
            if chainable(module) and not _hooked(module):
                stretch.append(module)
                continue
            x = _run(stretch, x)
            stretch = []
            x = module(x)
        return _run(stretch, x)


def _run(stretch: list[nn.Module], x: Any) -> Any:
    if not stretch:
        return x
    if len(stretch) == 1 or not isinstance(x, torch.Tensor):
        for module in stretch:
            x = module(x)
        return x
    plan, tensors = [], []
    for module in stretch:
        learn = [getattr(module, name) for name in module.signature.learnables]
        plan.append((module.function, len(learn), tuple(module.option_values(x))))
        tensors += learn
    return _Chain.apply(tuple(plan), x, *tensors)
