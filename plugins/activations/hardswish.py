import torch

from framework import ActivationFunction, register_activation


@register_activation("hardswish")
class Hardswish(ActivationFunction):
    r"""Hard swish (Howard et al., 2019, MobileNetV3): :math:`z` times the hard sigmoid.

    .. math::
        f(z) = z\,\frac{\min(\max(z + 3, 0), 6)}{6}, \qquad
        f'(z) = \begin{cases} 0 & z \le -3 \\ \frac{2z + 3}{6} & -3 < z < 3 \\
            1 & z \ge 3 \end{cases}

    The derivative is undefined at :math:`z = -3` (the middle piece gives -0.5 there, the left
    one 0) and :math:`z = 3` (1.5 against 1); as PyTorch (2.13), the outer pieces' values are
    used: :math:`f'(-3) = 0`, :math:`f'(3) = 1`. The output does not determine the
    input (:math:`f` is not monotonic on :math:`[-3, 0]`), so the input is saved for the
    backward, as PyTorch does.

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("hardswish")(torch.tensor([-1.0, 1.0, 4.0], requires_grad=True))
        tensor([-0.3333,  0.6667,  4.0000], grad_fn=<HardswishBackward>)
    """

    reference = staticmethod(torch.nn.functional.hardswish)
    kinks = (-3.0, 3.0)
    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return torch.nn.functional.hardswish(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        slope = torch.where(x <= -3, 0.0, torch.where(x < 3, x / 3 + 0.5, 1.0))
        return grad_output * slope
