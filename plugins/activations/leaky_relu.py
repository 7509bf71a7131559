import torch

from framework import ActivationFunction, OneBit, register_activation


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
    a byte, instead of the output (or input): the same derivative, exactly,
    from a 32nd of the memory. (In a network the next layer often keeps the output anyway; the
    bits pay where it does not.)

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("leaky_relu")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([-0.0100,  0.0000,  2.0000], grad_fn=<LeakyReLUBackward>)
    """

    reference = staticmethod(torch.nn.functional.leaky_relu)
    kinks = (0.0,)
    compact = OneBit(lambda x, y: x > 0, low="negative_slope")

    @staticmethod
    def forward(x, negative_slope=0.01):
        return torch.nn.functional.leaky_relu(x, negative_slope)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, ctx.negative_slope = inputs
        ctx.save_for_backward(output if ctx.negative_slope >= 0 else x)

    @staticmethod
    def backward(ctx, grad_output):
        (t,) = ctx.saved_tensors  # y > 0 exactly where x > 0
        return torch.where(t > 0, grad_output, grad_output * ctx.negative_slope)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (t,) = ctx.saved_tensors
        a = ctx.negative_slope
        if 0 <= a <= 1:  # sign(t) is 1, 0 or -1; raised to at least a it is f'
            return torch.sign(t).clamp_(min=a).mul_(grad_output)
        return torch.gt(t, 0, out=torch.empty_like(t)).mul_(1 - a).add_(a).mul_(grad_output)
