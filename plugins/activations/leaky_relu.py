import torch

from framework import ActivationFunction, register_activation
from plugins.bits import pack_bits, unpack_bits


@register_activation("leaky_relu")
class LeakyReLU(ActivationFunction):
    r"""Leaky rectified linear unit.

    .. math::
        f(z) = \begin{cases} z & z > 0 \\ \alpha z & z \le 0 \end{cases}, \qquad
        f'(z) = \begin{cases} 1 & z > 0 \\ \alpha & z \le 0 \end{cases}

    with :math:`\alpha` = ``negative_slope`` (default 0.01, as PyTorch; the classic references
    say "normally 0.01"). The derivative is undefined at :math:`z = 0`; as PyTorch, the value
    :math:`\alpha` is used there. For :math:`\alpha \ge 0` the output has the input's sign, so
    the output is saved for the backward (the input can be freed); for a negative slope the
    input is saved.

    ``compact=True`` (opt-in) keeps :math:`[z > 0]` as one bit per element, packed eight to
    a byte (``plugins.bits``), instead of the output (or input): the same derivative, exactly,
    from a 32nd of the memory. (In a network the next layer often keeps the output anyway; the
    bits pay where it does not.)

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("leaky_relu")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([-0.0100,  0.0000,  2.0000], grad_fn=<LeakyReLUBackward>)
    """

    reference = staticmethod(torch.nn.functional.leaky_relu)
    kinks = (0.0,)
    generate_vmap_rule = True

    intermediates = 1  # the packed mask (empty unless compact)

    @staticmethod
    def forward(x, negative_slope=0.01, compact=False):
        y = torch.nn.functional.leaky_relu(x, negative_slope)
        return y, pack_bits(x > 0) if compact else x.new_empty(0, dtype=torch.uint8)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, negative_slope, ctx.compact = inputs
        ctx.negative_slope = negative_slope
        ctx.shape = x.shape
        if ctx.compact:
            ctx.save_for_backward(output[1])
        else:
            ctx.save_for_backward(output[0] if negative_slope >= 0 else x)

    @staticmethod
    def backward(ctx, grad_output):
        (t,) = ctx.saved_tensors  # y > 0 exactly where x > 0
        a = ctx.negative_slope
        if ctx.compact:  # t holds the packed mask [x > 0]: f' = a + (1 - a) [x > 0]
            slope = unpack_bits(t, ctx.shape, 1 - a, grad_output.dtype).add_(a)
            return grad_output * slope if torch.is_grad_enabled() else slope.mul_(grad_output)
        if torch.is_grad_enabled():  # double backward: differentiable, out of place
            return torch.where(t > 0, grad_output, grad_output * a)
        if 0 <= a <= 1:  # sign(t) is 1, 0 or -1; raised to at least a it is f'
            return torch.sign(t).clamp_(min=a).mul_(grad_output)
        return torch.gt(t, 0, out=torch.empty_like(t)).mul_(1 - a).add_(a).mul_(grad_output)
