import torch
import torch.nn.functional as F

from framework import LayerFunction, register_layer


def _output_size(output_size, input_size):
    single = output_size is None or isinstance(output_size, int)
    size = (output_size, output_size) if single else tuple(output_size)
    return tuple(i if o is None else o for o, i in zip(size, input_size, strict=True))


def pooling_matrix(n_in, n_out, like):
    """``(n_out, n_in)``: row ``i`` averages inputs ``⌊i·n_in/n_out⌋ … ⌈(i+1)·n_in/n_out⌉ − 1``."""
    i = torch.arange(n_out, device=like.device)[:, None]
    start, end = i * n_in // n_out, -(-(i + 1) * n_in // n_out)
    j = torch.arange(n_in, device=like.device)
    return ((j >= start) & (j < end)).to(like.dtype) / (end - start).to(like.dtype)


@register_layer("adaptive_avg_pool2d")
class AdaptiveAvgPool2d(LayerFunction):
    r"""Adaptive 2-D average pooling: windows sized so that the output is ``output_size``.

    Output row :math:`i` averages input rows :math:`\lfloor iH/H_{out} \rfloor` to
    :math:`\lceil (i+1)H/H_{out} \rceil - 1`, and likewise for columns (PyTorch's windows), so
    the pooling is two averaging matrices :math:`P_h\ (H_{out} \times H)` and
    :math:`P_w\ (W_{out} \times W)`:

    .. math::
        Z = P_h\, X\, P_w^\top, \qquad
        \frac{\partial L}{\partial X} = P_h^\top\, \delta\, P_w

    ``output_size`` is a number or a pair (``None`` keeps that input size); the default 1 is
    global average pooling.

    Shape: input :math:`(N, C, H, W)` or :math:`(C, H, W)`, output
    :math:`(N, C, H_{out}, W_{out})`.

    Example::

        >>> LAYERS.build("adaptive_avg_pool2d", output_size=1)(torch.ones(4, 3, 5, 7)).shape
        torch.Size([4, 3, 1, 1])
    """

    reference = staticmethod(F.adaptive_avg_pool2d)
    example_input = (2, 2, 5, 7)
    check_variants = ({}, {"output_size": (3, None)}, {"output_size": (2, 4)})

    @staticmethod
    def forward(x, output_size=1):
        return F.adaptive_avg_pool2d(x, _output_size(output_size, x.shape[-2:]))

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.input_shape = inputs[0].shape

    @staticmethod
    def backward(ctx, grad_output):
        (height, width), (h_out, w_out) = ctx.input_shape[-2:], grad_output.shape[-2:]
        p_h = pooling_matrix(height, h_out, grad_output)
        p_w = pooling_matrix(width, w_out, grad_output)
        return p_h.mT @ grad_output @ p_w
