import torch

from framework import ActivationFunction, OneBit, register_activation


@register_activation("hardtanh")
class Hardtanh(ActivationFunction):
    r"""Hard tanh: the input clipped to ``[min_val, max_val]`` (default :math:`[-1, 1]`).

    .. math::
        f(z) = \min(\max(z, a), b), \qquad
        f'(z) = \begin{cases} 1 & a < z < b \\ 0 & \text{otherwise} \end{cases}

    with :math:`a` = ``min_val``, :math:`b` = ``max_val``. The derivative is undefined at
    :math:`z = a` and :math:`z = b`; as PyTorch, the value 0 is used at both. The output lies
    strictly inside :math:`(a, b)` exactly where the input does, so only the output is saved
    for the backward.

    ``compact=True`` (opt-in) keeps :math:`[a < z < b]` as one bit per element, packed eight to
    a byte, instead of the output: the same derivative, exactly, from a
    32nd of the memory. (In a network the next layer often keeps the output anyway; the bits
    pay where it does not.)

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("hardtanh")(torch.tensor([-2.0, 0.5, 2.0], requires_grad=True))
        tensor([-1.0000,  0.5000,  1.0000], grad_fn=<HardtanhBackward>)
    """

    reference = staticmethod(torch.nn.functional.hardtanh)
    kinks = (-1.0, 1.0)
    compact = OneBit(lambda x, y, min_val, max_val: (x > min_val) & (x < max_val))

    @staticmethod
    def forward(x, min_val=-1.0, max_val=1.0):
        return torch.nn.functional.hardtanh(x, min_val, max_val)

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, ctx.min_val, ctx.max_val = inputs
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * ((y > ctx.min_val) & (y < ctx.max_val))

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (y,) = ctx.saved_tensors
        if ctx.min_val == -ctx.max_val:  # symmetric (the default): |y| < b, one fresh buffer
            return torch.abs(y).lt_(ctx.max_val).mul_(grad_output)
        # (y - a)(b - y) > 0 exactly inside (a, b): a difference is 0 only where y equals the
        # bound; fresh buffers updated in place, no bool masks
        inside = torch.sub(y, ctx.min_val).mul_(torch.rsub(y, ctx.max_val))
        return inside.gt_(0).mul_(grad_output)
