import torch
import torch.nn.functional as F

from framework import LossFunction, register_loss
from plugins.losses._reduction import reduce, unreduce


@register_loss("bce")
class BCE(LossFunction):
    r"""Binary cross-entropy of probabilities.

    .. math::
        \ell_i = -w_i\left[y_i \log p_i + (1 - y_i) \log(1 - p_i)\right], \qquad
        \frac{\partial \ell_i}{\partial p_i} = w_i\,\frac{p_i - y_i}{p_i (1 - p_i)}, \qquad
        \frac{\partial \ell_i}{\partial y_i} = w_i\left[\log(1 - p_i) - \log p_i\right]

    Natural logarithm. As PyTorch, each logarithm is clamped at :math:`-100`, so that
    :math:`p = 0` or :math:`1` gives a finite loss, and the denominator :math:`p(1 - p)` of the
    input derivative is clamped at :math:`10^{-12}`; the target derivative
    :math:`-w_i \operatorname{logit}(p_i)` is not clamped (:math:`+\infty` at :math:`p = 0`,
    :math:`-\infty` at :math:`p = 1`), also as PyTorch. :math:`w` is the optional ``weight``,
    broadcast to the input. ``reduction`` as PyTorch: ``"mean"`` divides by the number of
    elements, ``"sum"`` does not, ``"none"`` keeps the elementwise :math:`\ell`. Inputs outside
    :math:`[0, 1]` are not checked (PyTorch raises) and give NaN. For logits use
    :class:`BCEWithLogits`, which is stable.

    Shape: input and target (0/1 labels or soft labels in :math:`[0, 1]`) of the same shape;
    ``weight`` broadcastable to it.

    Example::

        >>> p = torch.tensor([0.8, 0.4], requires_grad=True)
        >>> LOSSES.build("bce")(p, torch.tensor([1.0, 0.0]))
        tensor(0.3670, grad_fn=<BCEBackward>)
    """

    reference = staticmethod(F.binary_cross_entropy)
    target = "binary"
    input_domain = "probability"
    check_variants = (
        {},
        {"reduction": "sum"},
        {
            "reduction": "none",
            "weight": [1.0, 2.0, 0.5, 1.5, 3.0],
        },
    )

    @staticmethod
    def forward(input, target, weight=None, reduction="mean"):
        log_p = input.log().clamp_min(-100)
        log_q = torch.log1p(-input).clamp_min(-100)
        loss = -(target * log_p + (1 - target) * log_q)
        if weight is not None:
            loss = loss * weight.to(input.dtype)
        return reduce(loss, reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, weight, reduction = inputs
        ctx.save_for_backward(input, target, weight)
        ctx.reduction = reduction

    @staticmethod
    def backward(ctx, grad_output):
        input, target, weight = ctx.saved_tensors
        g = unreduce(grad_output, input.shape, ctx.reduction)
        if weight is not None:
            g = g * weight.to(input.dtype)
        grad = (input - target) / (input * (1 - input)).clamp_min(1e-12) * g
        if not ctx.needs_input_grad[1]:
            return grad
        return grad, -torch.logit(input) * g
