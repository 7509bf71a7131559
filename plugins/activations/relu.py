import torch

from framework import ActivationFunction, register_activation
from plugins.bits import pack_bits, unpack_bits


@register_activation("relu")
class ReLU(ActivationFunction):
    r"""Rectified linear unit.

    .. math::
        f(z) = \max(0, z), \qquad
        f'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}

    The derivative is undefined at :math:`z = 0`; as PyTorch (and the classic references), the
    value 0 is used there. The backward needs only the sign of the input, which the output
    carries, so the output is saved (PyTorch does the same).

    ``compact=True`` (opt-in) keeps :math:`[z > 0]` as one bit per element, packed eight to
    a byte (``plugins.bits``), instead of the output: the same derivative, exactly, from a
    32nd of the memory. (In a network the next layer often keeps the output anyway; the bits
    pay where it does not.)

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("relu")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([0., 0., 2.], grad_fn=<ReLUBackward>)
    """

    reference = staticmethod(torch.nn.functional.relu)
    generate_vmap_rule = True
    kinks = (0.0,)
    intermediates = 1  # the packed mask (empty unless compact)

    @staticmethod
    def forward(x, compact=False):
        y = x.clamp_min(0)
        return y, pack_bits(y > 0) if compact else x.new_empty(0, dtype=torch.uint8)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.compact = inputs[1]
        ctx.shape = output[0].shape
        ctx.save_for_backward(output[1] if ctx.compact else output[0])

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        if ctx.compact:  # y holds the packed mask
            mask = unpack_bits(y, ctx.shape, 1.0, grad_output.dtype)
            return grad_output * mask if torch.is_grad_enabled() else mask.mul_(grad_output)
        if torch.is_grad_enabled():  # double backward: differentiable, out of place
            return grad_output * (y > 0)
        return torch.sign(y).mul_(grad_output)  # y >= 0: sign(y) is f'(x); no bool mask
