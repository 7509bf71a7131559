import math

import torch
import torch.nn.functional as F

from framework import LayerFunction, register_layer
from plugins.layers.conv2d import conv2d_weight_grad


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


@register_layer("conv_transpose2d")
class ConvTranspose2d(LayerFunction):
    r"""2-D transposed convolution ("deconvolution"): each input pixel scatters a kernel-sized
    patch into the output, which grows by the stride (the adjoint of ``conv2d``, as PyTorch).

    .. math::
        Z = C_W^\top(X) + b, \qquad
        \langle C_W^\top(X), \delta \rangle = \langle X, C_W(\delta) \rangle

    where :math:`C_W` is the convolution of ``conv2d`` with the same kernel,
    stride :math:`s`, padding, dilation and ``groups`` (``weight`` is laid out
    :math:`(C_{in}, C_{out}/\text{groups}, k_h, k_w)`, ``conv2d``'s with the channel axes read the
    other way). Backward, for the incoming gradient :math:`\delta = \partial L/\partial Z`, by that
    identity:

    .. math::
        \frac{\partial L}{\partial X} = C_W(\delta), \qquad
        \frac{\partial L}{\partial W_{c,o,p,q}} = \sum_{n,i,j} X_{n,c,i,j}\,
            \delta_{n,\,o,\,s i + d p - \text{pad},\,s j + d q - \text{pad}}, \qquad
        \frac{\partial L}{\partial b_o} = \sum_{n,i,j} \delta_{n,o,i,j}

    (the weight gradient is ``conv2d``'s, with :math:`\delta` as its input and :math:`X` as its
    incoming gradient). ``output_padding`` adds rows and columns at the bottom and right, to
    choose between the output sizes a stride makes equal. Initialised as
    ``torch.nn.ConvTranspose2d``: :math:`W, b \sim \mathcal U(-1/\sqrt{k}, 1/\sqrt{k})` with
    :math:`k = C_{out}/\text{groups} \cdot k_h k_w`. The backward keeps the input and the weight.

    Shape: input :math:`(N, C_{in}, H, W)` or unbatched :math:`(C_{in}, H, W)`, output
    :math:`(N, C_{out}, H_{out}, W_{out})` with
    :math:`H_{out} = (H - 1) s - 2\,\text{pad} + d (k_h - 1) + \text{output\_padding} + 1`.

    Example::

        >>> up = LAYERS.build("conv_transpose2d", in_channels=2, out_channels=1, kernel_size=2,
        ...                   stride=2)
        >>> up(torch.ones(4, 2, 8, 8)).shape
        torch.Size([4, 1, 16, 16])
    """

    reference = staticmethod(F.conv_transpose2d)
    inferred = {"in_channels": 1}
    example = {"in_channels": 2, "out_channels": 2, "kernel_size": 3}
    example_input = (2, 2, 4, 5)
    check_variants = (
        {},
        {"stride": 2, "padding": 1, "output_padding": 1},
        {"dilation": 2, "groups": 2, "padding": 2},
    )

    @staticmethod
    def init(in_channels: int, out_channels: int, kernel_size, groups: int = 1, bias: bool = True):
        kh, kw = _pair(kernel_size)
        bound = 1 / math.sqrt(out_channels // groups * kh * kw)
        weight = torch.empty(in_channels, out_channels // groups, kh, kw).uniform_(-bound, bound)
        b = torch.empty(out_channels).uniform_(-bound, bound) if bias else None
        return {"weight": weight, "bias": b}

    @staticmethod
    def forward(x, weight, bias, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
        return F.conv_transpose2d(
            x, weight, bias, _pair(stride), _pair(padding), _pair(output_padding), groups,
            _pair(dilation),
        )  # fmt: skip

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, bias, stride, padding, _, groups, dilation = inputs
        ctx.geometry = (_pair(stride), _pair(padding), _pair(dilation), groups)
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.geometry
        unbatched = x.dim() == 3  # (C, H, W): a batch of one
        if unbatched:
            x, grad_output = x.unsqueeze(0), grad_output.unsqueeze(0)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = F.conv2d(grad_output, weight, None, stride, padding, dilation, groups)
            grad_x = grad_x.squeeze(0) if unbatched else grad_x
        if ctx.needs_input_grad[1]:
            grad_w = conv2d_weight_grad(
                grad_output, x, weight.shape, stride, padding, dilation, groups
            )
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad_output.sum((0, 2, 3))
        return grad_x, grad_w, grad_b
