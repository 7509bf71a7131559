import torch

from framework import ActivationFunction, register_activation

ALPHA = 1.6732632423543772848170429916717
SCALE = 1.0507009873554804934193349852946


@register_activation("selu")
class SELU(ActivationFunction):
    r"""Scaled exponential linear unit (Klambauer et al., 2017).

    .. math::
        f(z) = \lambda \begin{cases} z & z > 0 \\ \alpha (e^{z} - 1) & z \le 0 \end{cases},
        \qquad
        f'(z) = \begin{cases} \lambda & z > 0 \\
            \lambda \alpha e^{z} = f(z) + \lambda \alpha & z \le 0 \end{cases}

    with PyTorch's constants :math:`\alpha \approx 1.6733`, :math:`\lambda \approx 1.0507`.
    The derivative is undefined at :math:`z = 0`; as PyTorch, the left value
    :math:`\lambda \alpha \approx 1.7581` is used there. The output has the input's sign and
    gives the derivative, so only the output is saved for the backward.

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("selu")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([-1.1113,  0.0000,  2.1014], grad_fn=<SELUBackward>)
    """

    reference = staticmethod(torch.nn.functional.selu)
    kinks = (0.0,)

    @staticmethod
    def forward(x):
        return torch.nn.functional.selu(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return torch.where(y > 0, grad_output * SCALE, grad_output * (y + SCALE * ALPHA))

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (y,) = ctx.saved_tensors
        # f' = min(y, 0) + lambda alpha + [y > 0] (lambda - lambda alpha), in fresh buffers
        step = torch.gt(y, 0, out=torch.empty_like(y))
        slope = y.clamp(max=0).add_(SCALE * ALPHA).add_(step, alpha=SCALE - SCALE * ALPHA)
        return slope.mul_(grad_output)
