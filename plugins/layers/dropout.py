import torch
import torch.nn.functional as F

from framework import LayerFunction, register_layer
from framework.contract.bits import pack_bits, unpack_bits


@register_layer("dropout")
class Dropout(LayerFunction):
    r"""Inverted dropout: in training, zeroes each element with probability :math:`p` and scales
    the rest by :math:`1/(1-p)`, so that eval mode is the identity.

    .. math::
        M \sim \operatorname{Bernoulli}(1 - p), \qquad
        Z = \frac{M \odot X}{1 - p}, \qquad
        \frac{\partial L}{\partial X} = \frac{M \odot \delta}{1 - p}

    In eval mode (``training=False``) :math:`Z = X` and :math:`\partial L/\partial X = \delta`.
    The mask is drawn as ``torch.nn.functional.dropout`` draws it on the CPU (the same seed gives
    the same mask) and saved packed, one bit per element (``framework.contract.bits``; PyTorch keeps
    a float per element); :math:`p = 1` gives zeros.

    Shape: any; the output has the input's shape.

    Example::

        >>> drop = LAYERS.build("dropout", p=0.5)
        >>> drop.eval()(torch.ones(2, 3))
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
    """

    reference = staticmethod(F.dropout)
    example_input = (4, 5)
    intermediates = 1  # the mask, 8 elements per byte
    check_variants = ({}, {"p": 0.2})

    @staticmethod
    def forward(x, p=0.5, training=True):
        if not training or p == 0:  # the identity: no mask
            return x, torch.empty(0, dtype=torch.uint8, device=x.device)
        noise = torch.empty_like(x).bernoulli_(1 - p)  # 0 or 1, as F.dropout draws it
        return torch.mul(x, noise).mul_(_scale(p)), pack_bits(noise)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, ctx.p, training = inputs
        ctx.identity = not training or ctx.p == 0
        ctx.shape = x.shape
        if not ctx.identity:
            ctx.save_for_backward(output[1])

    @staticmethod
    def backward(ctx, grad_output):
        if ctx.identity:
            return grad_output
        (packed,) = ctx.saved_tensors
        return grad_output * unpack_bits(packed, ctx.shape, _scale(ctx.p), grad_output.dtype)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        if ctx.identity:
            return grad_output
        (packed,) = ctx.saved_tensors
        return unpack_bits(packed, ctx.shape, _scale(ctx.p), grad_output.dtype).mul_(grad_output)


def _scale(p):
    return 0.0 if p == 1 else 1 / (1 - p)
