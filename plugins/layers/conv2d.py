import math

import torch
import torch.nn.functional as F

from framework import LayerFunction, register_layer


def conv_geometry(weight, stride, padding, dilation):
    """Stride, padding and dilation, one number per spatial dimension of ``weight``.

    ``padding="valid"`` is none; ``"same"`` keeps the size (stride 1) and must be symmetric,
    :math:`d (k - 1)` even, which the backward assumes.
    """
    kernel = weight.shape[2:]

    def per_dim(value):
        return (value,) * len(kernel) if isinstance(value, int) else tuple(value)

    stride, dilation = per_dim(stride), per_dim(dilation)
    if padding == "valid":
        padding = 0
    elif padding == "same":
        total = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        if any(t % 2 for t in total):
            raise ValueError("padding='same' with an even (dilated) kernel would be asymmetric")
        padding = tuple(t // 2 for t in total)
    return stride, per_dim(padding), dilation


def conv2d_input_grad(grad_output, weight, input_size, stride, padding, dilation, groups):
    """:math:`\\partial L/\\partial X`: the transposed convolution of :math:`\\delta` with the same
    kernel; ``output_padding`` restores the rows and columns the forward's stride skipped.

    With stride 1 that is a plain convolution of :math:`\\delta` with the kernel flipped and its
    channel axes swapped, padded by :math:`d (k - 1) - \\text{pad}` (the faster kernel on CPU).
    """
    kernel, out = weight.shape[2:], grad_output.shape[2:]
    reach = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
    if stride == (1, 1) and all(r >= p for r, p in zip(reach, padding, strict=True)):
        c_out, c_in_group = weight.shape[:2]
        flipped = weight.flip(2, 3).reshape(groups, c_out // groups, c_in_group, *kernel)
        flipped = flipped.transpose(1, 2).reshape(groups * c_in_group, c_out // groups, *kernel)
        pad = tuple(r - p for r, p in zip(reach, padding, strict=True))
        return F.conv2d(grad_output, flipped, None, 1, pad, dilation, groups)
    output_padding = tuple(
        input_size[i]
        - ((out[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) + 1)
        for i in range(2)
    )
    return F.conv_transpose2d(
        grad_output, weight, None, stride, padding, output_padding, groups, dilation
    )


def conv2d_weight_grad(x, grad_output, weight_shape, stride, padding, dilation, groups):
    """:math:`\\partial L/\\partial W`: :math:`\\delta` times the input patch each kernel weight
    saw, summed over the batch and the positions, group by group.

    That sum is itself a convolution: of the input, batch and channel axes swapped, with
    :math:`\\delta` as the kernel (stride and dilation trade places); it yields at least
    :math:`k_h \\times k_w` values per channel pair, of which the first are the gradient. With
    few values per kernel (a first layer) the unfolded patches times :math:`\\delta` are faster.
    """
    c_out, c_in_group, kh, kw = weight_shape
    n = x.shape[0]
    if n == 0:
        return x.new_zeros(weight_shape)
    if groups == 1 and c_in_group * kh * kw <= 16:
        patches = F.unfold(x, (kh, kw), dilation, padding, stride)  # (N, C k_h k_w, L)
        delta = grad_output.reshape(n, c_out, -1)
        return torch.bmm(delta, patches.mT).sum(0).reshape(weight_shape)
    # (C_in/g, g·N, H, W) convolved with (C_out, N, H_out, W_out) in g groups
    xt = x.reshape(n, groups, c_in_group, *x.shape[2:]).permute(2, 1, 0, 3, 4).flatten(1, 2)
    delta = grad_output.transpose(0, 1)
    w = F.conv2d(xt, delta, None, dilation, padding, stride, groups)  # (C_in/g, C_out, ≥kh, ≥kw)
    return w[:, :, :kh, :kw].transpose(0, 1).contiguous()


@register_layer("conv2d")
class Conv2d(LayerFunction):
    r"""2-D convolution: a kernel slid over the input with a stride (cross-correlation, as PyTorch).

    .. math::
        Z_{n,o,i,j} = b_o + \sum_{c,p,q} W_{o,c,p,q}\,
            X_{n,\,c,\,s i + d p - \text{pad},\,s j + d q - \text{pad}}

    with stride :math:`s`, dilation :math:`d`, zero padding, and channels split into ``groups``
    (each output channel sees only the :math:`C_{in}/\text{groups}` input channels of its group).

    Backward, for the incoming gradient :math:`\delta = \partial L/\partial Z`:

    .. math::
        \frac{\partial L}{\partial X} = \operatorname{conv\_transpose}(\delta, W), \qquad
        \frac{\partial L}{\partial W_{o,c,p,q}} = \sum_{n,i,j} \delta_{n,o,i,j}\,
            X_{n,\,c,\,s i + d p - \text{pad},\,s j + d q - \text{pad}}, \qquad
        \frac{\partial L}{\partial b_o} = \sum_{n,i,j} \delta_{n,o,i,j}

    (the transposed convolution with the same stride, padding and dilation; the weight gradient
    is a convolution of the input with :math:`\delta`, see ``conv2d_weight_grad``). Initialised as
    ``torch.nn.Conv2d``: :math:`W, b \sim \mathcal U(-1/\sqrt{k}, 1/\sqrt{k})` with
    :math:`k = C_{in}/\text{groups} \cdot k_h k_w`. ``padding``: a number, a pair, ``"valid"``
    or ``"same"`` (odd kernels).

    Shape: input :math:`(N, C_{in}, H, W)` or unbatched :math:`(C_{in}, H, W)`, output
    :math:`(N, C_{out}, H_{out}, W_{out})` (unbatched: without :math:`N`) with
    :math:`H_{out} = \lfloor (H + 2\,\text{pad} - d (k_h - 1) - 1)/s \rfloor + 1`.

    Example::

        >>> conv = LAYERS.build("conv2d", in_channels=1, out_channels=2, kernel_size=3, padding=1)
        >>> conv(torch.ones(4, 1, 8, 8)).shape
        torch.Size([4, 2, 8, 8])
    """

    reference = staticmethod(F.conv2d)
    inferred = {"in_channels": 1}
    example = {"in_channels": 2, "out_channels": 2, "kernel_size": 3}
    example_input = (2, 2, 4, 5)
    check_variants = ({}, {"stride": 2, "padding": 1}, {"dilation": 2, "groups": 2, "padding": 2})

    @staticmethod
    def init(in_channels: int, out_channels: int, kernel_size, groups: int = 1, bias: bool = True):
        kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        bound = 1 / math.sqrt(in_channels // groups * kh * kw)
        weight = torch.empty(out_channels, in_channels // groups, kh, kw).uniform_(-bound, bound)
        b = torch.empty(out_channels).uniform_(-bound, bound) if bias else None
        return {"weight": weight, "bias": b}

    @staticmethod
    def forward(x, weight, bias, stride=1, padding=0, dilation=1, groups=1):
        stride, padding, dilation = conv_geometry(weight, stride, padding, dilation)
        return F.conv2d(x, weight, bias, stride, padding, dilation, groups)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, bias, stride, padding, dilation, groups = inputs
        ctx.geometry = (*conv_geometry(weight, stride, padding, dilation), groups)
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        geometry = ctx.geometry
        unbatched = x.dim() == 3  # (C, H, W): a batch of one
        if unbatched:
            x, grad_output = x.unsqueeze(0), grad_output.unsqueeze(0)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = conv2d_input_grad(grad_output, weight, x.shape[2:], *geometry)
            grad_x = grad_x.squeeze(0) if unbatched else grad_x
        if ctx.needs_input_grad[1]:
            grad_w = conv2d_weight_grad(x, grad_output, weight.shape, *geometry)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad_output.sum((0, 2, 3))
        return grad_x, grad_w, grad_b
