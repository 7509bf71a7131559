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
    ``return_indices=True`` also returns each maximum's flat index into the input's
    :math:`H \times W` plane (``int64``, as ``torch.nn.MaxPool2d``; not differentiable).

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
    def forward(
        x, kernel_size=2, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
    ):
        kernel = _pair(kernel_size)
        stride = _pair(stride if stride is not None else kernel_size)
        padding, dilation = _pair(padding), _pair(dilation)
        small = kernel[0] * kernel[1] <= 256
        if _tiles(x.shape, kernel, stride, padding, dilation):
            z, offset = _tiled_forward(x, kernel)
            offset = offset if small else offset.to(torch.int32)
            if return_indices:
                width = x.shape[-1]
                index = _flat_index(offset.long(), width, kernel[1], stride, padding, dilation)
                return z, index.reshape(z.shape), offset
            return z, offset
        z, index = F.max_pool2d(
            x, kernel, stride, padding, dilation, ceil_mode, return_indices=True
        )
        # argmax (a flat index into H×W) -> its offset p·k_w + q inside the window
        rows, cols = index // x.shape[-1], index % x.shape[-1]
        top = _window_starts(z.shape[-2], stride[0], padding[0], x.device)[:, None]
        left = _window_starts(z.shape[-1], stride[1], padding[1], x.device)
        p, q = (rows - top) // dilation[0], (cols - left) // dilation[1]
        offset = (p * kernel[1] + q).to(torch.uint8 if small else torch.int32)
        return (z, index, offset) if return_indices else (z, offset)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, kernel_size, stride, padding, dilation, _, return_indices = inputs
        if return_indices:  # the flat indices, an output, are no function of x
            ctx.mark_non_differentiable(output[1])
        ctx.save_for_backward(output[-1])
        ctx.input_shape = x.shape
        ctx.kernel = _pair(kernel_size)
        ctx.kernel_w = ctx.kernel[1]
        ctx.stride = _pair(stride if stride is not None else kernel_size)
        ctx.padding, ctx.dilation = _pair(padding), _pair(dilation)

    @staticmethod
    def backward(ctx, grad_output, grad_indices=None):
        (offset,) = ctx.saved_tensors
        height, width = ctx.input_shape[-2:]
        index = _flat_index(
            offset.long(), width, ctx.kernel_w, ctx.stride, ctx.padding, ctx.dilation
        )
        zeros = grad_output.new_zeros((*ctx.input_shape[:-2], height * width))
        return zeros.scatter_add(-1, index, grad_output.flatten(-2)).reshape(ctx.input_shape)

    @staticmethod
    def backward_in_place(ctx, grad_output, grad_indices=None):
        (offset,) = ctx.saved_tensors
        if _tiles(ctx.input_shape, ctx.kernel, ctx.stride, ctx.padding, ctx.dilation):
            return _tiled_backward(offset, grad_output, ctx.input_shape, ctx.kernel)
        return NotImplemented  # the formula


def _flat_index(offset, width, kernel_w, stride, padding, dilation):
    """Each window's argmax as a flat index into the input's H×W plane (as
    ``F.max_pool2d(..., return_indices=True)``), from its offset inside the window; the last two
    dimensions flattened."""
    top = _window_starts(offset.shape[-2], stride[0], padding[0], offset.device)
    left = _window_starts(offset.shape[-1], stride[1], padding[1], offset.device)
    rows = top[:, None] + offset // kernel_w * dilation[0]
    cols = left + offset % kernel_w * dilation[1]
    return (rows * width + cols).flatten(-2)


def _tiles(shape, kernel, stride, padding, dilation):
    """Whether the windows tile the input exactly: stride = kernel, no padding or dilation."""
    return (
        tuple(stride) == tuple(kernel)
        and tuple(padding) == (0, 0)
        and tuple(dilation) == (1, 1)
        and shape[-2] % kernel[0] == 0
        and shape[-1] % kernel[1] == 0
    )


def _tiled_forward(x, kernel):
    """Tiling windows: the maximum and its offset, the window's k_h·k_w planes (strided views of
    the input, copied contiguous) compared in order; a later plane wins only if strictly greater,
    so the first maximum is kept, as PyTorch."""
    kh, kw = kernel
    planes = [x[..., p::kh, q::kw].contiguous() for p in range(kh) for q in range(kw)]
    best = planes[0]
    offset = torch.zeros(best.shape, dtype=torch.uint8, device=x.device)
    for t, plane in enumerate(planes[1:], 1):
        better = torch.gt(plane, best).view(torch.uint8)
        offset.add_(torch.rsub(offset, t).mul_(better))  # t where better, else unchanged
        best = torch.maximum(best, plane)
    return best, offset


def _tiled_backward(offset, grad_output, input_shape, kernel):
    """Tiling windows: each window's gradient scattered to its argmax; the flat index is the
    window's first element plus a small table's entry for the offset (not differentiable)."""
    kh, kw = kernel
    *lead, h_out, w_out = offset.shape
    width = input_shape[-1]
    device = offset.device
    first = torch.arange(h_out, device=device)[:, None] * (kh * width)
    first = first + torch.arange(w_out, device=device) * kw
    k = torch.arange(kh * kw, device=device)
    within = (k // kw) * width + k % kw  # offset -> flat distance from the window's start
    index = within.index_select(0, offset.reshape(-1).to(torch.int32)).reshape(offset.shape)
    index = index.add_(first).flatten(-2)
    grad = grad_output.new_zeros(*lead, input_shape[-2] * width)
    grad.scatter_(-1, index, grad_output.flatten(-2))
    return grad.reshape(input_shape)
