import math

import torch
import torch.nn.functional as F

from framework import LayerFunction, register_layer
from plugins.layers.layer_norm import statistics


def _native(x, weight, bias, num_groups, eps):
    return F.group_norm(x, num_groups, weight, bias, eps)


@register_layer("group_norm")
class GroupNorm(LayerFunction):
    r"""Group normalization: the channels of each sample split into ``num_groups`` groups, each
    group normalized over its channels and positions, then each channel scaled and shifted.

    .. math::
        \hat x = \frac{x - \mu_{ng}}{\sqrt{\sigma^2_{ng} + \epsilon}}, \qquad
        y_{nc\ldots} = \gamma_c\, \hat x_{nc\ldots} + \beta_c

    with :math:`\mu_{ng}, \sigma^2_{ng}` the mean and biased variance over the :math:`D =
    (C / G) \cdot \prod \text{spatial}` elements of group :math:`g` of sample :math:`n`.
    Backward, with :math:`g = \gamma \odot \delta` and means over the same :math:`D` elements:

    .. math::
        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2_{ng} + \epsilon}}
            \big(g - \overline{g} - \hat x\, \overline{g \hat x}\big), \qquad
        \frac{\partial L}{\partial \gamma_c} = \sum_{n, \text{positions}} \delta \hat x, \qquad
        \frac{\partial L}{\partial \beta_c} = \sum_{n, \text{positions}} \delta

    (layer normalization's derivative per group; ``num_groups=1`` is layer normalization over
    every channel and position, ``num_groups=C`` instance normalization). ``affine=False``
    drops :math:`\gamma, \beta`; ``bias=False`` only :math:`\beta`. Initialised as
    ``torch.nn.GroupNorm``: :math:`\gamma = 1`, :math:`\beta = 0`. The forward is the native
    op; the backward keeps the input and the weight, as PyTorch's, and computes the groups'
    statistics again (one pass over the input).

    Shape: input :math:`(N, C, *)` with ``num_channels`` :math:`= C` divisible by
    ``num_groups``; output the same.

    Example::

        >>> gn = LAYERS.build("group_norm", num_groups=2, num_channels=4)
        >>> gn(torch.randn(3, 4, 5)).shape
        torch.Size([3, 4, 5])
    """

    reference = staticmethod(_native)
    inferred = {"num_channels": 1}
    example = {"num_groups": 2, "num_channels": 4}
    example_input = (3, 4, 5)
    check_variants = ({}, {"affine": False}, {"num_groups": 4})

    @staticmethod
    def init(num_groups: int, num_channels: int, affine: bool = True, bias: bool = True):
        if num_channels % num_groups:
            raise ValueError(
                f"group_norm: num_channels={num_channels} is not divisible by "
                f"num_groups={num_groups}"
            )
        return {
            "weight": torch.ones(num_channels) if affine else None,
            "bias": torch.zeros(num_channels) if affine and bias else None,
        }

    @staticmethod
    def forward(x, weight, bias, num_groups=1, eps=1e-5):
        return F.group_norm(x, num_groups, weight, bias, eps)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, bias, ctx.groups, ctx.eps = inputs
        ctx.has_bias = bias is not None
        ctx.save_for_backward(x, weight)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        n, c = x.shape[0], x.shape[1]
        grouped = x.reshape(n, ctx.groups, c // ctx.groups * math.prod(x.shape[2:]))
        # recomputed: a double backward must see how mean and 1/std depend on x
        mean, rstd = statistics(grouped, (-1,), ctx.eps)
        x_hat = (grouped - mean) * rstd
        per_channel = (1, c) + (1,) * (x.dim() - 2)
        across = (0, *range(2, x.dim()))  # samples and positions
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            g = grad_output if weight is None else grad_output * weight.reshape(per_channel)
            g = g.reshape(grouped.shape)
            g_mean = g.mean(-1, keepdim=True)
            gx_mean = (g * x_hat).mean(-1, keepdim=True)
            grad_x = ((g - g_mean - x_hat * gx_mean) * rstd).reshape(x.shape)
        if weight is not None and ctx.needs_input_grad[1]:
            grad_w = (grad_output * x_hat.reshape(x.shape)).sum(across)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad_output.sum(across)
        return grad_x, grad_w, grad_b
