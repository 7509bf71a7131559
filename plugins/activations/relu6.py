import torch

from framework import ActivationFunction, register_activation
from plugins.bits import pack_bits, unpack_bits


@register_activation("relu6")
class ReLU6(ActivationFunction):
    r"""ReLU capped at 6.

    .. math::
        f(z) = \min(\max(0, z), 6), \qquad
        f'(z) = \begin{cases} 1 & 0 < z < 6 \\ 0 & \text{otherwise} \end{cases}

    The derivative is undefined at :math:`z = 0` and :math:`z = 6`; as PyTorch, the value 0 is
    used at both. The output lies strictly inside :math:`(0, 6)` exactly where the input does,
    so only the output is saved for the backward.

    ``compact=True`` (opt-in) keeps :math:`[0 < z < 6]` as one bit per element, packed eight to
    a byte (``plugins.bits``), instead of the output: the same derivative, exactly, from a
    32nd of the memory. (In a network the next layer often keeps the output anyway; the bits
    pay where it does not.)

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("relu6")(torch.tensor([-1.0, 3.0, 8.0], requires_grad=True))
        tensor([0., 3., 6.], grad_fn=<ReLU6Backward>)
    """

    reference = staticmethod(torch.nn.functional.relu6)
    kinks = (0.0, 6.0)
    generate_vmap_rule = True

    intermediates = 1  # the packed mask (empty unless compact)

    @staticmethod
    def forward(x, compact=False):
        y = torch.nn.functional.relu6(x)
        if not compact:
            return y, x.new_empty(0, dtype=torch.uint8)
        return y, pack_bits((x > 0) & (x < 6))

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
            return grad_output * ((y > 0) & (y < 6))
        # y (6 - y) > 0 exactly inside (0, 6); one fresh buffer updated in place
        return torch.rsub(y, 6).mul_(y).gt_(0).mul_(grad_output)
