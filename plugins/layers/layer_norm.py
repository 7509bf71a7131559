import math

import torch
import torch.nn.functional as F

from framework import LayerFunction, register_layer


def _shape(normalized_shape):
    return (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)


def statistics(x, dims, eps):
    """Mean and :math:`1/\\sqrt{\\sigma^2 + \\epsilon}` over ``dims``, kept for broadcasting."""
    mean = x.mean(dims, keepdim=True)
    return mean, torch.rsqrt((x - mean).square().mean(dims, keepdim=True) + eps)


def _native(x, weight, bias, normalized_shape, eps):
    return F.layer_norm(x, _shape(normalized_shape), weight, bias, eps)


@register_layer("layer_norm")
class LayerNorm(LayerFunction):
    r"""Layer normalization: each sample normalized over its last dimensions
    (``normalized_shape``), then scaled and shifted elementwise.

    .. math::
        \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \odot \hat x + \beta

    with :math:`\mu, \sigma^2` the mean and biased variance over the :math:`D` normalized
    elements of each sample. Backward, with :math:`g = \gamma \odot \delta` and means over the
    same elements:

    .. math::
        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2 + \epsilon}}
            \big(g - \overline{g} - \hat x\, \overline{g \hat x}\big), \qquad
        \frac{\partial L}{\partial \gamma} = \sum_{\text{samples}} \delta \odot \hat x, \qquad
        \frac{\partial L}{\partial \beta} = \sum_{\text{samples}} \delta

    ``elementwise_affine=False`` drops :math:`\gamma, \beta`; ``bias=False`` only :math:`\beta`.
    Initialised as ``torch.nn.LayerNorm``: :math:`\gamma = 1`, :math:`\beta = 0`.

    Shape: input :math:`(*, \text{normalized\_shape})`, output the same.

    Example::

        >>> ln = LAYERS.build("layer_norm", normalized_shape=5)
        >>> ln(torch.randn(4, 5)).mean(-1).abs().max() < 1e-6
        tensor(True)
    """

    reference = staticmethod(_native)
    inferred = {"normalized_shape": -1}
    example = {"normalized_shape": 4}
    example_input = (3, 2, 4)
    intermediates = 2  # the mean and 1/std of each sample
    check_variants = ({}, {"normalized_shape": (2, 4)}, {"elementwise_affine": False})

    @staticmethod
    def init(normalized_shape, elementwise_affine: bool = True, bias: bool = True):
        shape = _shape(normalized_shape)
        return {
            "weight": torch.ones(shape) if elementwise_affine else None,
            "bias": torch.zeros(shape) if elementwise_affine and bias else None,
        }

    @staticmethod
    def forward(x, weight, bias, normalized_shape=None, eps=1e-5):
        # the native op computes y, the mean and 1/std in fused passes (a forward op; the
        # backward is ours); low-precision inputs get their statistics in float32, cast back
        shape = x.shape[x.dim() - len(_shape(normalized_shape)) :]
        y, mean, rstd = torch.native_layer_norm(x, shape, weight, bias, eps)
        return y, mean.to(x.dtype), rstd.to(x.dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, bias, normalized_shape, ctx.eps = inputs
        ctx.dims = tuple(range(-len(_shape(normalized_shape)), 0))
        ctx.has_bias = bias is not None
        ctx.save_for_backward(x, weight, output[1], output[2])

    @staticmethod
    def backward(ctx, grad_output):
        x, weight, mean, rstd = ctx.saved_tensors
        dims = ctx.dims
        # recomputed: a double backward must see how mean and rstd depend on x
        mean, rstd = statistics(x, dims, ctx.eps)
        x_hat = (x - mean) * rstd
        samples = tuple(range(x.dim() - len(dims)))
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            g = grad_output if weight is None else grad_output * weight
            g_mean = g.mean(dims, keepdim=True)
            gx_mean = (g * x_hat).mean(dims, keepdim=True)
            grad_x = (g - g_mean - x_hat * gx_mean) * rstd
        if weight is not None and ctx.needs_input_grad[1]:
            grad_w = (grad_output * x_hat).sum(samples)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad_output.sum(samples)
        return grad_x, grad_w, grad_b

    @staticmethod
    def backward_in_place(ctx, grad_output):
        return _fast_backward(ctx, *ctx.saved_tensors, grad_output)


def _fast_backward(ctx, x, weight, mean, rstd, grad_output):
    """The same gradients with the normalized dimensions flattened to one of size D, and the
    weighted sums over D as matrix-vector products (so that :math:`g = \\gamma \\odot \\delta`
    is never formed), and fresh buffers updated in place (a row-broadcast ``addcmul`` is slower
    than two passes on the CPU). Not differentiable."""
    d = math.prod(x.shape[x.dim() - len(ctx.dims) :])
    flat_x, delta = x.reshape(-1, d), grad_output.reshape(-1, d)
    r = rstd.reshape(-1, 1)
    x_hat = torch.sub(flat_x, mean.reshape(-1, 1)).mul_(r)
    grad_x = grad_w = grad_b = None
    product = torch.mul(delta, x_hat) if weight is not None or ctx.needs_input_grad[0] else None
    if weight is not None and ctx.needs_input_grad[1]:
        grad_w = product.sum(0).reshape(weight.shape)
    if ctx.has_bias and ctx.needs_input_grad[2]:
        grad_b = delta.sum(0).reshape(weight.shape)
    if ctx.needs_input_grad[0]:
        w = weight.reshape(-1) if weight is not None else None
        g_mean = (delta.sum(1) if w is None else delta @ w).div_(d).unsqueeze(1)
        gx_mean = (product.sum(1) if w is None else product @ w).div_(d).unsqueeze(1)
        # rstd (g - mean(g) - x_hat mean(g x_hat)), with g = w delta formed on the fly,
        # over x_hat itself (no longer needed)
        grad_x = x_hat.mul_(gx_mean.neg_()).sub_(g_mean)
        grad_x = grad_x.add_(delta) if w is None else grad_x.addcmul_(delta, w)
        grad_x = grad_x.mul_(r).reshape(x.shape)
    return grad_x, grad_w, grad_b
