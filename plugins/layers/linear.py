import math

import torch
import torch.nn.functional as F

from framework import LayerFunction, RoundedInput, register_layer


@register_layer("linear")
class Linear(LayerFunction):
    r"""Fully connected layer: every input feature joined to every neuron by a weighted synapse.

    .. math::
        Z = X W^\top + b

    Backward, for the incoming gradient :math:`\delta = \partial L/\partial Z`:

    .. math::
        \frac{\partial L}{\partial X} = \delta W, \qquad
        \frac{\partial L}{\partial W} = \delta^\top X, \qquad
        \frac{\partial L}{\partial b} = \sum_{\text{batch}} \delta

    (PyTorch's layout: ``weight`` is ``(out_features, in_features)``.) Initialised as
    ``torch.nn.Linear``: :math:`W, b \sim \mathcal U(-1/\sqrt{n_{in}}, 1/\sqrt{n_{in}})`.

    Only :math:`\partial L/\partial W` needs the input, so the backward keeps :math:`X` (and
    :math:`W`) as PyTorch does. ``compact=True`` (opt-in) keeps :math:`\tilde X`, the input
    rounded to bfloat16, instead: half the bytes of a float32 input. The weight gradient is then
    :math:`\delta^\top \tilde X` with :math:`|\tilde X - X| \le 2^{-8} |X|` elementwise
    (bfloat16 keeps 8 significant bits), so each of its elements is within
    :math:`2^{-8} \sum_n |\delta_{n i}| |X_{n j}|` of the exact one; :math:`\partial L/\partial X`
    and :math:`\partial L/\partial b` stay exact. Meant for a layer whose input is a hidden
    activation (``model.compact=true``): a batch kept anyway gains nothing from a copy.

    Shape: input :math:`(*, n_{in})`, output :math:`(*, n_{out})`.

    Example::

        >>> LAYERS.build("linear", in_features=3, out_features=2)(torch.ones(4, 3)).shape
        torch.Size([4, 2])
    """

    reference = staticmethod(F.linear)
    inferred = {"in_features": -1}
    example = {"in_features": 3, "out_features": 2}
    example_input = (4, 3)
    compact = RoundedInput(torch.bfloat16, "weight gradient from the input rounded to bfloat16")

    @staticmethod
    def init(in_features: int, out_features: int, bias: bool = True):
        bound = 1 / math.sqrt(in_features)
        weight = torch.empty(out_features, in_features).uniform_(-bound, bound)
        b = torch.empty(out_features).uniform_(-bound, bound) if bias else None
        return {"weight": weight, "bias": b}

    @staticmethod
    def forward(x, weight, bias):
        return F.linear(x, weight, bias)  # X W^T + b in one fused kernel

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, bias = inputs
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        needs_x, needs_w, needs_b = ctx.needs_input_grad[:3]
        grad_x = grad_output.matmul(weight) if needs_x else None
        if grad_output.dim() != 2:  # (*, n_out): the batch dimensions as one (or none)
            grad_output = grad_output.reshape(-1, grad_output.shape[-1])
            x = x.reshape(-1, x.shape[-1])
        grad_w = grad_output.t().mm(x) if needs_w else None
        grad_b = grad_output.sum(0) if ctx.has_bias and needs_b else None
        return grad_x, grad_w, grad_b
