import torch.nn.functional as F

from framework import LayerFunction, register_layer


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _divisor(size, kernel, stride, padding, count_include_pad, divisor_override, like):
    """What each window's sum is divided by: a number, or one per window (``(1, L)``)."""
    if divisor_override:
        return divisor_override
    if count_include_pad or padding == (0, 0):
        return kernel[0] * kernel[1]
    inside = like.new_ones(1, 1, *size)  # count the window's elements that are not padding
    return F.unfold(inside, kernel, padding=padding, stride=stride).sum(1)


@register_layer("avg_pool2d")
class AvgPool2d(LayerFunction):
    r"""2-D average pooling: the mean of each window (usually 2×2 with stride 2).

    .. math::
        Z_{n,c,i,j} = \frac{1}{k_h k_w} \sum_{p < k_h,\, q < k_w}
            X_{n,\,c,\,s i + p - \text{pad},\,s j + q - \text{pad}}

    Backward: every input position receives each covering window's gradient, shared equally:

    .. math::
        \frac{\partial L}{\partial X_{n,c,h,w}} =
            \sum_{(i,j)\ \ni\ (h,w)} \frac{\delta_{n,c,i,j}}{k_h k_w}

    (``fold`` of the spread-out gradient). The divisor is the window size, or with
    ``count_include_pad=False`` the number of its positions inside the input, or
    ``divisor_override``. Padding is zeros. ``kernel_size`` defaults to 2; ``stride`` to
    ``kernel_size``. No ``ceil_mode``.

    Shape: input :math:`(N, C, H, W)` or :math:`(C, H, W)`, output :math:`(N, C, H_{out},
    W_{out})` with :math:`H_{out} = \lfloor (H + 2\,\text{pad} - k_h)/s \rfloor + 1`.

    Example::

        >>> LAYERS.build("avg_pool2d", kernel_size=2)(torch.arange(16.0).reshape(1, 1, 4, 4))
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """

    reference = staticmethod(F.avg_pool2d)
    example_input = (2, 2, 5, 4)
    check_variants = (
        {},
        {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
        {"kernel_size": (3, 2), "stride": 1, "divisor_override": 5},
    )

    @staticmethod
    def forward(
        x, kernel_size=2, stride=None, padding=0, count_include_pad=True, divisor_override=None
    ):
        stride = _pair(stride if stride is not None else kernel_size)
        return F.avg_pool2d(
            x,
            _pair(kernel_size),
            stride,
            _pair(padding),
            count_include_pad=count_include_pad,
            divisor_override=divisor_override,
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, kernel_size, stride, padding, ctx.count_include_pad, ctx.divisor_override = inputs
        ctx.input_shape = x.shape
        ctx.kernel, ctx.padding = _pair(kernel_size), _pair(padding)
        ctx.stride = _pair(stride if stride is not None else kernel_size)

    @staticmethod
    def backward(ctx, grad_output):
        size, kernel = ctx.input_shape[-2:], ctx.kernel
        geometry = (kernel, ctx.stride, ctx.padding, ctx.count_include_pad, ctx.divisor_override)
        divisor = _divisor(size, *geometry, grad_output)
        # each window's share, copied to its k_h·k_w positions, summed where windows overlap
        share = grad_output.reshape(-1, 1, grad_output.shape[-2:].numel()) / divisor
        spread = share.expand(-1, kernel[0] * kernel[1], -1)
        grad_x = F.fold(spread, size, kernel, padding=ctx.padding, stride=ctx.stride)
        return grad_x.reshape(ctx.input_shape)
