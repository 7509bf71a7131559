import torch
import torch.nn.functional as F

from framework import LayerFunction, register_layer


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _window_starts(n_out, stride, padding, device):
    """Row (or column) of the input where each output's window begins."""
    return torch.arange(n_out, device=device) * stride - padding


@register_layer("max_pool2d")
class MaxPool2d(LayerFunction):
    r"""2-D max pooling: the largest value of each window (usually 2×2 with stride 2).

    .. math::
        Z_{n,c,i,j} = \max_{p < k_h,\, q < k_w}
            X_{n,\,c,\,s i + d p - \text{pad},\,s j + d q - \text{pad}}

    Backward: the incoming gradient goes to the position of each window's maximum (the first
    one on ties, as PyTorch); overlapping windows add up:

    .. math::
        \frac{\partial L}{\partial X_{n,c,h,w}} =
            \sum_{i,j:\ (h,w) = \operatorname{argmax}_{(i,j)}} \delta_{n,c,i,j}

    Only the argmax's offset inside its window is saved, one byte per output (for windows of up
    to 256 elements; ``int32`` beyond), instead of the input and 8-byte indices. Padding is
    :math:`-\infty`. ``kernel_size`` defaults to 2; ``stride`` to ``kernel_size``.

    Shape: input :math:`(N, C, H, W)` or :math:`(C, H, W)`, output :math:`(N, C, H_{out},
    W_{out})` with :math:`H_{out} = \lfloor (H + 2\,\text{pad} - d (k_h - 1) - 1)/s \rfloor + 1`
    (rounded up with ``ceil_mode``).

    Example::

        >>> LAYERS.build("max_pool2d", kernel_size=2)(torch.arange(16.0).reshape(1, 1, 4, 4))
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """

    reference = staticmethod(F.max_pool2d)
    example_input = (2, 3, 6, 5)
    intermediates = 1  # the argmax's offset in its window
    check_variants = ({}, {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2})

    @staticmethod
    def forward(x, kernel_size=2, stride=None, padding=0, dilation=1, ceil_mode=False):
        kernel = _pair(kernel_size)
        stride = _pair(stride if stride is not None else kernel_size)
        padding, dilation = _pair(padding), _pair(dilation)
        z, index = F.max_pool2d(
            x, kernel, stride, padding, dilation, ceil_mode, return_indices=True
        )
        # argmax (a flat index into H×W) -> its offset p·k_w + q inside the window
        rows, cols = index // x.shape[-1], index % x.shape[-1]
        top = _window_starts(z.shape[-2], stride[0], padding[0], x.device)[:, None]
        left = _window_starts(z.shape[-1], stride[1], padding[1], x.device)
        p, q = (rows - top) // dilation[0], (cols - left) // dilation[1]
        small = kernel[0] * kernel[1] <= 256
        return z, (p * kernel[1] + q).to(torch.uint8 if small else torch.int32)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, kernel_size, stride, padding, dilation, _ = inputs
        ctx.save_for_backward(output[1])
        ctx.input_shape = x.shape
        ctx.kernel_w = _pair(kernel_size)[1]
        ctx.stride = _pair(stride if stride is not None else kernel_size)
        ctx.padding, ctx.dilation = _pair(padding), _pair(dilation)

    @staticmethod
    def backward(ctx, grad_output):
        (offset,) = ctx.saved_tensors
        offset = offset.long()
        height, width = ctx.input_shape[-2:]
        top = _window_starts(offset.shape[-2], ctx.stride[0], ctx.padding[0], offset.device)
        left = _window_starts(offset.shape[-1], ctx.stride[1], ctx.padding[1], offset.device)
        rows = top[:, None] + offset // ctx.kernel_w * ctx.dilation[0]
        cols = left + offset % ctx.kernel_w * ctx.dilation[1]
        index = (rows * width + cols).flatten(-2)
        zeros = grad_output.new_zeros((*ctx.input_shape[:-2], height * width))
        return zeros.scatter_add(-1, index, grad_output.flatten(-2)).reshape(ctx.input_shape)
