import torch

from framework import ActivationFunction, IntervalTable, register_activation

# compact mode: 16 intervals of z and f' on each (benchmarks/fewbit_tables.py)
BOUNDARIES = (
    -4.9075, -1.3075, -1.0075, -0.7925, -0.6125, -0.4575, -0.3125, -0.1775,
    -0.0425, 0.0925, 0.2325, 0.3875, 0.5675, 0.8075, 1.6825,
)  # fmt: skip
VALUES = (
    -0.01429, -0.07058, 0.01411, 0.09893, 0.18486, 0.27103, 0.35723, 0.44331,
    0.52931, 0.61571, 0.70133, 0.78729, 0.87375, 0.96028, 1.04634, 1.04240,
)  # fmt: skip


@register_activation("mish")
class Mish(ActivationFunction):
    r"""Mish (Misra, 2019): a self-regularised smooth activation.

    .. math::
        f(z) = z \tanh(\operatorname{softplus}(z)), \qquad
        f'(z) = \tanh(\operatorname{softplus}(z))
            + z\,\sigma(z)\,\bigl(1 - \tanh^2(\operatorname{softplus}(z))\bigr)

    with :math:`\operatorname{softplus}(z) = \log(1 + e^{z})` (computed without overflow),
    whose derivative is the sigmoid :math:`\sigma(z)`. The input is saved for the backward
    (Mish is not monotonic, so the output does not determine it), as PyTorch does. Smooth
    everywhere: no kinks.

    Both passes use only the sigmoid (a fraction of the cost of tanh and softplus on the CPU):
    with :math:`q = 1 - \sigma(z)` and :math:`d = 1/(1 + q^2)`, since :math:`1 + e^z = 1/q`,

    .. math::
        \tanh(\operatorname{softplus}(z)) = \sigma(z)\,(2 - \sigma(z))\,d, \qquad
        1 - \tanh^2(\operatorname{softplus}(z)) = 4 q^2 d^2

    (no cancellation: :math:`1 - q^2 = \sigma (2 - \sigma)` is formed as a product).

    ``compact=True`` (opt-in; exact is the default) keeps a 4-bit code of each input instead of
    the input, an eighth of its memory: which of 16 intervals it lies in. The backward then uses
    one derivative value per interval (few-bit backward, Novikov et al., ICML 2023; boundaries
    and values from ``benchmarks/fewbit_tables.py``, chosen to minimise the largest error):
    the derivative used is within 0.044 of :math:`f'` for every input (root-mean-square
    0.026 for standard-normal inputs), so each gradient element is within 0.044
    :math:`|\delta|` of the exact one. Gradient checks do not apply to this approximation
    (``approximate_options``).

    Shape: any; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("mish")(torch.tensor([-1.0, 0.0, 2.0], requires_grad=True))
        tensor([-0.3034,  0.0000,  1.9440], grad_fn=<MishBackward>)
    """

    reference = staticmethod(torch.nn.functional.mish)
    compact = IntervalTable(BOUNDARIES, VALUES, error=0.044)

    @staticmethod
    def forward(x):
        if x.dtype not in (torch.float32, torch.float64):  # one rounding, as the native op
            return torch.nn.functional.mish(x)
        return _tanh_softplus(x)[1].mul_(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        t = torch.tanh(torch.nn.functional.softplus(x))
        return grad_output * (t + x * torch.sigmoid(x) * (1 - t * t))

    @staticmethod
    def backward_in_place(ctx, grad_output):
        (x,) = ctx.saved_tensors
        x = x if x.dtype in (torch.float32, torch.float64) else x.float()  # bfloat16: one rounding
        s, t, qd = _tanh_softplus(x)
        # f' = t + 4 x s (q d)^2, in the buffers of the forward's formula
        slope = t.add_(qd.mul_(qd).mul_(s).mul_(x), alpha=4)
        return slope.to(grad_output.dtype).mul_(grad_output)


def _tanh_softplus(x):
    """sigmoid(x), tanh(softplus(x)) and q d, each in a fresh buffer."""
    s = torch.sigmoid(x)
    q = torch.rsub(s, 1)
    d = torch.mul(q, q).add_(1).reciprocal_()
    t = torch.rsub(s, 2).mul_(s).mul_(d)
    return s, t, q.mul_(d)
