import torch

from framework import ActivationFunction, register_activation


@register_activation("elu")
class ELU(ActivationFunction):
    r"""Exponential linear unit.

    .. math::
        f(z) = \begin{cases} z & z > 0 \\ \alpha (e^{z} - 1) & z \le 0 \end{cases}, \qquad
        f'(z) = \begin{cases} 1 & z > 0 \\ \alpha e^{z} = f(z) + \alpha & z \le 0 \end{cases}

    The classic references give no default :math:`\alpha`; PyTorch's ``alpha = 1.0`` is used.
    For :math:`\alpha \ne 1` the derivative is undefined at :math:`z = 0`; as PyTorch, the
    value :math:`\alpha` of the left branch is used there (for :math:`\alpha = 1` both sides
    agree). For :math:`\alpha \ge 0` the output has the input's sign and gives the derivative
    as :math:`f(z) + \alpha`, so only the output is saved for the backward; for a negative
    :math:`\alpha` the input is saved.

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("elu")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([-0.6321,  0.0000,  2.0000], grad_fn=<ELUBackward>)
    """

    reference = staticmethod(torch.nn.functional.elu)
    kinks = (0.0,)

    @staticmethod
    def forward(x, alpha=1.0):
        return torch.nn.functional.elu(x, alpha)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, alpha = inputs
        ctx.alpha = alpha
        ctx.saved_output = alpha >= 0
        ctx.save_for_backward(output if ctx.saved_output else x)

    @staticmethod
    def backward(ctx, grad_output):
        (t,) = ctx.saved_tensors
        alpha = ctx.alpha
        # x clamped to <= 0: an e^x overflowing in the unused branch gives double backward 0 * inf
        negative = t + alpha if ctx.saved_output else alpha * t.clamp(max=0).exp()
        return torch.where(t > 0, grad_output, grad_output * negative)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (t,) = ctx.saved_tensors
        alpha = ctx.alpha
        if not ctx.saved_output:  # a negative alpha: the formula
            negative = t.clamp(max=0).exp_().mul_(alpha)
            return torch.where(t > 0, grad_output, negative.mul_(grad_output))
        # f' = min(y, 0) + alpha + [y > 0] (1 - alpha); for alpha = 1, 1 + min(y, 0)
        low = t.clamp(max=0)
        if alpha == 1:
            return torch.addcmul(grad_output, grad_output, low)
        step = torch.gt(t, 0, out=torch.empty_like(t))
        return low.add_(alpha).add_(step, alpha=1 - alpha).mul_(grad_output)
