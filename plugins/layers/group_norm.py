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
    op (it also gives each group's mean and :math:`1/\sigma`); the backward keeps the input, the
    weight and those two :math:`(N, G)` statistics, as PyTorch's.

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
    intermediates = 2  # each group's mean and 1/std, from the native forward
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
        # the native op computes y, each group's mean and 1/std in fused passes (a forward op;
        # the backward is ours)
        n, c = x.shape[0], x.shape[1]
        positions = math.prod(x.shape[2:])
        y, mean, rstd = torch.native_group_norm(
            x.contiguous(), weight, bias, n, c, positions, num_groups, eps
        )
        return y, mean.to(x.dtype), rstd.to(x.dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, bias, ctx.groups, ctx.eps = inputs
        ctx.has_bias = bias is not None
        ctx.save_for_backward(x, weight, output[1], output[2])

    @staticmethod
    def backward(ctx, grad_output):
        x, weight, _, _ = ctx.saved_tensors
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

    @staticmethod
    def backward_in_place(ctx, grad_output):
        return _fast_backward(ctx, *ctx.saved_tensors, grad_output)


def _fast_backward(ctx, x, weight, mean, rstd, grad_output):
    """The same gradients from per-channel sums: :math:`\\sum \\delta` and :math:`\\sum \\delta x`
    over each channel's positions (a batched dot product, no temporary), the forward's group
    statistics, and then :math:`\\partial L/\\partial x = A \\delta + B (x - \\mu) + C` with
    per-channel coefficients: four passes over the input, no :math:`\\hat x` or
    :math:`\\gamma \\odot \\delta` formed. Not differentiable."""
    n, c = x.shape[0], x.shape[1]
    groups = ctx.groups
    positions = math.prod(x.shape[2:])
    size = c // groups * positions  # elements per group
    xs = x.reshape(n, c, positions)
    delta = grad_output.reshape(n, c, positions)

    def per_channel(t):  # (n, groups) -> (n, c)
        return t.reshape(n, groups, 1).expand(n, groups, c // groups).reshape(n, c)

    mu, r = per_channel(mean), per_channel(rstd)
    sum_d = delta.sum(2)
    sum_dx = torch.bmm(delta.reshape(n * c, 1, positions), xs.reshape(n * c, positions, 1))
    sum_dxhat = (sum_dx.reshape(n, c) - mu * sum_d) * r  # sum of delta x_hat per channel
    grad_x = grad_w = grad_b = None
    if weight is not None and ctx.needs_input_grad[1]:
        grad_w = sum_dxhat.sum(0)
    if ctx.has_bias and ctx.needs_input_grad[2]:
        grad_b = sum_d.sum(0)
    if ctx.needs_input_grad[0]:
        w = torch.ones(c, dtype=x.dtype, device=x.device) if weight is None else weight
        g_mean = per_channel((sum_d * w).reshape(n, groups, c // groups).sum(-1) / size)
        gx_mean = per_channel((sum_dxhat * w).reshape(n, groups, c // groups).sum(-1) / size)
        # r (w delta - mean(g) - x_hat mean(g x_hat)), x_hat = (x - mu) r
        a, b, k = r * w, -(r * r * gx_mean), -(r * g_mean)
        grad_x = torch.sub(xs, mu.unsqueeze(2)).mul_(b.unsqueeze(2)).add_(k.unsqueeze(2))
        grad_x = grad_x.addcmul_(delta, a.unsqueeze(2)).reshape(x.shape)
    return grad_x, grad_w, grad_b
