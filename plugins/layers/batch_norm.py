import torch
import torch.nn.functional as F

from framework import Buffer, LayerFunction, register_layer


def _reduced_dims(x):
    return (0, *range(2, x.dim()))  # every dimension but the channels


def _per_channel(t, x):
    return t.reshape(1, -1, *(1,) * (x.dim() - 2))  # broadcast along dim 1 of x


def batch_statistics(x):
    """Per-channel mean and (biased) variance over the batch and spatial dimensions."""
    dims = _reduced_dims(x)
    mean = x.mean(dims)
    return mean, (x - _per_channel(mean, x)).square().mean(dims)


def _native(
    x, weight, bias, running_mean, running_var, num_batches_tracked, training, momentum, eps
):
    use_batch = training or running_mean is None
    return F.batch_norm(x, running_mean, running_var, weight, bias, use_batch, momentum or 0.0, eps)


@register_layer("batch_norm")
class BatchNorm(LayerFunction):
    r"""Batch normalization, per channel, over the batch (and spatial) dimensions.

    .. math::
        \hat x = \frac{x - \mu_B}{\sqrt{\sigma^2_B + \epsilon}}, \qquad y = \gamma \hat x + \beta

    with :math:`\mu_B, \sigma^2_B` the mean and biased variance of the batch in training, and
    the running estimates in eval mode. Backward, with :math:`m` values per channel and
    :math:`g = \gamma\,\delta`:

    .. math::
        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2_B + \epsilon}}
            \Big(g - \tfrac{1}{m}\textstyle\sum g - \hat x\, \tfrac{1}{m}\sum g \hat x\Big), \qquad
        \frac{\partial L}{\partial \gamma} = \sum \delta\, \hat x, \qquad
        \frac{\partial L}{\partial \beta} = \sum \delta

    (in eval mode :math:`\partial L/\partial x = g/\sqrt{\sigma^2 + \epsilon}`). As PyTorch: in
    training the running statistics are updated in place, :math:`r \leftarrow (1 - m_o) r +
    m_o\,s` with ``momentum`` :math:`m_o` (``None``: a cumulative average), using the
    *unbiased* batch variance; ``num_batches_tracked`` counts the updates. ``affine=False`` drops
    :math:`\gamma, \beta`, ``bias=False`` only :math:`\beta`; ``track_running_stats=False``
    always uses batch statistics.
    Initialised as ``torch.nn.BatchNorm2d``: :math:`\gamma = 1`, :math:`\beta = 0`.

    Shape: input :math:`(N, C)`, :math:`(N, C, L)` or :math:`(N, C, H, W)`; output the same.

    Example::

        >>> bn = LAYERS.build("batch_norm", num_features=3)
        >>> bn(torch.randn(8, 3, 4, 4)).mean().abs() < 1e-6
        tensor(True)
    """

    reference = staticmethod(_native)
    inferred = {"num_features": 1}
    example = {"num_features": 3}
    example_input = (4, 3, 2, 2)
    intermediates = 2  # the mean and 1/std used
    check_variants = ({}, {"affine": False, "momentum": None})

    @staticmethod
    def init(
        num_features: int, affine: bool = True, track_running_stats: bool = True, bias: bool = True
    ):
        tracked = track_running_stats
        return {
            "weight": torch.ones(num_features) if affine else None,
            "bias": torch.zeros(num_features) if affine and bias else None,
            "running_mean": Buffer(torch.zeros(num_features)) if tracked else None,
            "running_var": Buffer(torch.ones(num_features)) if tracked else None,
            "num_batches_tracked": Buffer(torch.tensor(0)) if tracked else None,
        }

    @staticmethod
    def forward(
        x,
        weight,
        bias,
        running_mean,
        running_var,
        num_batches_tracked,
        training=False,
        momentum=0.1,
        eps=1e-5,
    ):
        if training or running_mean is None:
            mean, var = batch_statistics(x)
            if training and running_mean is not None:
                _update(running_mean, running_var, num_batches_tracked, mean, var, x, momentum)
        else:
            mean, var = running_mean.clone(), running_var
        invstd = torch.rsqrt(var + eps)
        y = (x - _per_channel(mean, x)) * _per_channel(invstd, x)
        if weight is not None:
            y = y * _per_channel(weight, x)
        if bias is not None:
            y = y + _per_channel(bias, x)
        return y, mean, invstd

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, bias, running_mean, _, _, training, _, ctx.eps = inputs
        ctx.batch_stats = training or running_mean is None
        ctx.has_bias = bias is not None
        ctx.save_for_backward(x, weight, output[1], output[2])

    @staticmethod
    def backward(ctx, grad_output):
        x, weight, mean, invstd = ctx.saved_tensors
        if ctx.batch_stats:  # recomputed: a double backward must see how they depend on x
            mean, var = batch_statistics(x)
            invstd = torch.rsqrt(var + ctx.eps)
        return _grads(ctx, grad_output, x, weight, mean, invstd)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        return _grads(ctx, grad_output, *ctx.saved_tensors)


def _grads(ctx, grad_output, x, weight, mean, invstd):
    """Every gradient, from the batch (or running) statistics."""
    dims, invstd = _reduced_dims(x), _per_channel(invstd, x)
    x_hat = (x - _per_channel(mean, x)) * invstd
    grad_x = grad_w = grad_b = None
    if ctx.needs_input_grad[0]:
        g = grad_output if weight is None else grad_output * _per_channel(weight, x)
        if ctx.batch_stats:
            g_mean = _per_channel(g.mean(dims), x)
            gx_mean = _per_channel((g * x_hat).mean(dims), x)
            g = g - g_mean - x_hat * gx_mean
        grad_x = g * invstd
    if weight is not None and ctx.needs_input_grad[1]:
        grad_w = (grad_output * x_hat).sum(dims)
    if ctx.has_bias and ctx.needs_input_grad[2]:
        grad_b = grad_output.sum(dims)
    return grad_x, grad_w, grad_b


def _update(running_mean, running_var, num_batches_tracked, mean, var, x, momentum):
    """PyTorch's running statistics: an exponential (or cumulative) average, unbiased variance."""
    m = x.numel() // x.shape[1]
    if m == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got {x.shape}")
    if num_batches_tracked is not None:
        num_batches_tracked.add_(1)
    if m == 0:
        return
    factor = momentum if momentum is not None else 1 / int(num_batches_tracked)
    running_mean.mul_(1 - factor).add_(mean, alpha=factor)
    running_var.mul_(1 - factor).add_(var * (m / (m - 1)), alpha=factor)
