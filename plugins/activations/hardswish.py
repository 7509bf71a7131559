import torch

from framework import ActivationFunction, IntervalTable, register_activation

# compact mode: (-3, 3) cut into 14 equal intervals, f' at each middle; 0 below, 1 above
BOUNDARIES = tuple(-3 + 6 * k / 14 for k in range(15))
VALUES = (0.0, *((-3 + 6 * (k + 0.5) / 14) / 3 + 0.5 for k in range(14)), 1.0)


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

    ``compact=True`` (opt-in; exact is the default) keeps a 4-bit code of each input instead of
    the input, an eighth of its memory: 0 for :math:`z \le -3`, 15 for :math:`z > 3`, else which
    of 14 equal intervals of :math:`(-3, 3)` it lies in; the backward uses :math:`f'` at the
    interval's middle (few-bit backward, Novikov et al., ICML 2023). The derivative used is
    within :math:`1/14` of :math:`f'` for every input but :math:`z = 3` itself (where it takes
    the middle piece's value), so each gradient element is within :math:`|\delta|/14`. Gradient
    checks do not apply to this approximation (``approximate_options``).

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("hardswish")(torch.tensor([-1.0, 1.0, 4.0], requires_grad=True))
        tensor([-0.3333,  0.6667,  4.0000], grad_fn=<HardswishBackward>)
    """

    reference = staticmethod(torch.nn.functional.hardswish)
    kinks = (-3.0, 3.0)
    compact = IntervalTable(BOUNDARIES, VALUES, error=1 / 14)

    @staticmethod
    def forward(x):
        return torch.nn.functional.hardswish(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.where(x <= -3, 0.0, torch.where(x < 3, x / 3 + 0.5, 1.0))

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (x,) = ctx.saved_tensors
        # u = -x/3 in one fresh buffer: u <= -1 (x >= 3) gives f' = 1, that is u = -1/2; then
        # f' = 1/2 - u, and f' <= -1/2 (x <= -3) gives 0; each step an in-place threshold
        u = torch.nn.functional.threshold_(torch.div(x, -3), -1.0, -0.5)
        slope = torch.nn.functional.threshold_(u.neg_().add_(0.5), -0.5, 0.0)
        return slope.mul_(grad_output)
