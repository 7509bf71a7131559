import math

import torch
import torch.nn.functional as F

from framework import LossFunction, register_loss
from plugins.losses._reduction import reduce, unreduce


@register_loss("poisson_nll")
class PoissonNLL(LossFunction):
    r"""Negative log-likelihood of a Poisson-distributed target with rate :math:`\lambda`.

    .. math::
        \ell_i = e^{x_i} - y_i x_i, \qquad
        \frac{\partial \ell_i}{\partial x_i} = e^{x_i} - y_i, \qquad
        \frac{\partial \ell_i}{\partial y_i} = -x_i

    for ``log_input=True`` (the input is :math:`x = \log\lambda`); for ``log_input=False``
    (the input is :math:`\lambda \ge 0`) :math:`\ell_i = \lambda_i - y_i \log(\lambda_i +
    \epsilon)`, derivatives :math:`1 - y_i / (\lambda_i + \epsilon)` and
    :math:`-\log(\lambda_i + \epsilon)`, with ``eps`` :math:`\epsilon = 10^{-8}` as PyTorch.
    The constant :math:`\log(y_i!)` is left out unless ``full=True``, which adds Stirling's
    approximation :math:`y \log y - y + \tfrac12 \log(2\pi y)` for targets :math:`y > 1` (0
    otherwise, as PyTorch; target derivative :math:`\log y + 1/(2y)`). ``reduction`` as
    PyTorch: ``"mean"`` divides by the number of elements, ``"sum"`` does not, ``"none"`` keeps
    the elementwise :math:`\ell`.

    Shape: input and target (counts) of the same shape.

    Example::

        >>> log_rate = torch.tensor([0.0, 1.0], requires_grad=True)
        >>> LOSSES.build("poisson_nll")(log_rate, torch.tensor([1.0, 3.0]))
        tensor(0.3591, grad_fn=<PoissonNLLBackward>)
    """

    reference = staticmethod(F.poisson_nll_loss)
    check_variants = (
        {},
        {"reduction": "sum"},
        {"reduction": "none"},
        {"log_input": False, "_input_domain": "positive"},
    )

    @staticmethod
    def forward(input, target, log_input=True, full=False, eps=1e-8, reduction="mean"):
        if log_input:
            loss = input.exp() - target * input
        else:
            loss = input - target * torch.log(input + eps)
        if full:
            y = target.clamp_min(1)  # the term is 0 for y <= 1; keeps log finite there
            stirling = y * y.log() - y + 0.5 * torch.log(2 * math.pi * y)
            loss = loss + torch.where(target > 1, stirling, 0.0)
        return reduce(loss, reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, log_input, full, eps, reduction = inputs
        ctx.save_for_backward(input, target)
        ctx.log_input = log_input
        ctx.full = full
        ctx.eps = eps
        ctx.reduction = reduction

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        g = unreduce(grad_output, input.shape, ctx.reduction)
        d_input = input.exp() - target if ctx.log_input else 1 - target / (input + ctx.eps)
        grad = d_input * g
        if not ctx.needs_input_grad[1]:
            return grad
        grad_target = -input if ctx.log_input else -torch.log(input + ctx.eps)
        if ctx.full:
            y = target.clamp_min(1)
            grad_target = grad_target + torch.where(target > 1, y.log() + 0.5 / y, 0.0)
        return grad, grad_target * g
