import torch

from framework import ActivationFunction, IntervalTable, register_activation

# compact mode: 16 intervals of z and f' on each (benchmarks/fewbit_tables.py)
BOUNDARIES = (
    -5.6825, -1.3525, -1.0075, -0.7525, -0.5425, -0.3525, -0.1725, 0.0025,
    0.1775, 0.3575, 0.5475, 0.7575, 1.0075, 1.3525, 3.1025,
)  # fmt: skip
VALUES = (
    -0.00790, -0.05783, 0.02724, 0.11317, 0.19891, 0.28436, 0.37073, 0.45770,
    0.54478, 0.63168, 0.71789, 0.80311, 0.88777, 0.97276, 1.05783, 1.04230,
)  # fmt: skip


@register_activation("silu", aliases=("swish",))
class SiLU(ActivationFunction):
    r"""Sigmoid linear unit, also called swish (with :math:`\beta = 1`).

    .. math::
        f(z) = z\,\sigma(z), \qquad f'(z) = \sigma(z)\,\bigl(1 + z\,(1 - \sigma(z))\bigr),
        \quad \sigma(z) = \frac{1}{1 + e^{-z}}

    The sigmoid is recomputed from the saved input (the output does not determine the input:
    SiLU is not monotonic), as PyTorch does. Stable for large :math:`|z|`: ``torch.sigmoid``
    saturates to exactly 0 or 1 and no product overflows.

    ``compact=True`` (opt-in; exact is the default) keeps a 4-bit code of each input instead of
    the input, an eighth of its memory: which of 16 intervals it lies in. The backward then uses
    one derivative value per interval (few-bit backward, Novikov et al., ICML 2023; boundaries
    and values from ``benchmarks/fewbit_tables.py``, chosen to minimise the largest error):
    the derivative used is within 0.044 of :math:`f'` for every input (root-mean-square
    0.025 for standard-normal inputs), so each gradient element is within 0.044
    :math:`|\delta|` of the exact one. Gradient checks do not apply to this approximation
    (``approximate_options``).

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("silu")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([-0.2689,  0.0000,  1.7616], grad_fn=<SiLUBackward>)
    """

    reference = staticmethod(torch.nn.functional.silu)
    compact = IntervalTable(BOUNDARIES, VALUES, error=0.044)

    @staticmethod
    def forward(x):
        return torch.nn.functional.silu(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad_output * s * (1 + x * (1 - s))

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        t = torch.addcmul(x, x, s, value=-1)  # x (1 - s)
        s = s.mul_(grad_output)
        return s.addcmul_(s, t)  # g s (1 + t)
