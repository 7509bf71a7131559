import math

import torch
import torch.nn.functional as F

from framework import LayerFunction, register_layer
from plugins.layers.conv2d import conv2d_input_grad, conv2d_weight_grad, conv_geometry


@register_layer("conv1d")
class Conv1d(LayerFunction):
    r"""1-D convolution: a kernel slid along a sequence with a stride (cross-correlation).

    .. math::
        Z_{n,o,i} = b_o + \sum_{c,p} W_{o,c,p}\, X_{n,\,c,\,s i + d p - \text{pad}}

    with stride :math:`s`, dilation :math:`d`, zero padding and ``groups`` as in ``conv2d``.

    Backward, for the incoming gradient :math:`\delta = \partial L/\partial Z`:

    .. math::
        \frac{\partial L}{\partial X} = \operatorname{conv\_transpose}(\delta, W), \qquad
        \frac{\partial L}{\partial W_{o,c,p}} = \sum_{n,i} \delta_{n,o,i}\,
            X_{n,\,c,\,s i + d p - \text{pad}}, \qquad
        \frac{\partial L}{\partial b_o} = \sum_{n,i} \delta_{n,o,i}

    computed as ``conv2d``'s backward on a sequence viewed as an image of height 1. ``padding``:
    a number, ``"valid"`` or ``"same"`` (odd kernels). Initialised
    as ``torch.nn.Conv1d``: :math:`W, b \sim \mathcal U(-1/\sqrt{k}, 1/\sqrt{k})`,
    :math:`k = C_{in}/\text{groups} \cdot k_w`.

    Shape: input :math:`(N, C_{in}, L)` or unbatched :math:`(C_{in}, L)`, output
    :math:`(N, C_{out}, L_{out})` (unbatched: :math:`(C_{out}, L_{out})`) with
    :math:`L_{out} = \lfloor (L + 2\,\text{pad} - d (k - 1) - 1)/s \rfloor + 1`.

    Example::

        >>> LAYERS.build("conv1d", in_channels=3, out_channels=2, kernel_size=3)(
        ...     torch.ones(4, 3, 10)).shape
        torch.Size([4, 2, 8])
    """

    reference = staticmethod(F.conv1d)
    inferred = {"in_channels": 1}
    example = {"in_channels": 2, "out_channels": 2, "kernel_size": 3}
    example_input = (2, 2, 7)
    check_variants = ({}, {"stride": 2, "padding": 1, "dilation": 2, "groups": 2})

    @staticmethod
    def init(in_channels: int, out_channels: int, kernel_size, groups: int = 1, bias: bool = True):
        k = kernel_size if isinstance(kernel_size, int) else kernel_size[0]
        bound = 1 / math.sqrt(in_channels // groups * k)
        weight = torch.empty(out_channels, in_channels // groups, k).uniform_(-bound, bound)
        b = torch.empty(out_channels).uniform_(-bound, bound) if bias else None
        return {"weight": weight, "bias": b}

    @staticmethod
    def forward(x, weight, bias, stride=1, padding=0, dilation=1, groups=1):
        stride, padding, dilation = conv_geometry(weight, stride, padding, dilation)
        return F.conv1d(x, weight, bias, stride, padding, dilation, groups)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, bias, stride, padding, dilation, groups = inputs
        (stride,), (padding,), (dilation,) = conv_geometry(weight, stride, padding, dilation)
        ctx.geometry = ((1, stride), (0, padding), (1, dilation), groups)  # as height 1 in 2-D
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        geometry = ctx.geometry
        unbatched = x.dim() == 2  # (C, L): a batch of one
        if unbatched:
            x, grad_output = x.unsqueeze(0), grad_output.unsqueeze(0)
        delta = grad_output.unsqueeze(2)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            size = (1, x.shape[2])
            grad_x = conv2d_input_grad(delta, weight.unsqueeze(2), size, *geometry).squeeze(2)
            grad_x = grad_x.squeeze(0) if unbatched else grad_x
        if ctx.needs_input_grad[1]:
            shape = (*weight.shape[:2], 1, weight.shape[2])
            grad_w = conv2d_weight_grad(x.unsqueeze(2), delta, shape, *geometry).squeeze(2)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad_output.sum((0, 2))
        return grad_x, grad_w, grad_b
