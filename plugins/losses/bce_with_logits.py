import torch
import torch.nn.functional as F

from framework import LossFunction, register_loss
from plugins.losses._reduction import check_reduction, grad_scale, unreduce


def softplus(x):
    """:math:`\\log(1 + e^x) = \\max(x, 0) + \\log(1 + e^{-|x|})`, finite for every finite x."""
    return x.clamp_min(0) + torch.log1p(torch.exp(-x.abs()))


@register_loss("bce_with_logits")
class BCEWithLogits(LossFunction):
    r"""Binary cross-entropy from logits: a sigmoid and :class:`BCE` in one stable step.

    .. math::
        \ell_i = w_i\left[(1 - y_i)\,\operatorname{softplus}(x_i)
                 + r\,y_i\,\operatorname{softplus}(-x_i)\right], \qquad
        \frac{\partial \ell_i}{\partial x_i} = w_i\left[(1 - y_i)\,\sigma(x_i)
                 - r\,y_i\,\sigma(-x_i)\right]

    since :math:`-\log\sigma(x) = \operatorname{softplus}(-x)` and
    :math:`-\log(1 - \sigma(x)) = \operatorname{softplus}(x)`, with
    :math:`\operatorname{softplus}(x) = \max(x, 0) + \log(1 + e^{-|x|})`. Without
    ``pos_weight`` (:math:`r = 1`) this is the classic stable form
    :math:`\max(x, 0) - x y + \log(1 + e^{-|x|})` with derivative :math:`\sigma(x) - y`. It stays
    finite for logits :math:`\pm 10^4`, where :math:`\log\sigma(x)` computed directly would not.
    The target derivative is
    :math:`w_i\left[r\,\operatorname{softplus}(-x_i) - \operatorname{softplus}(x_i)\right]`.
    The forward is the native op (one fused pass); the backward is this formula.

    ``pos_weight`` :math:`r` weighs the positive term, one value per class (the last
    dimension); ``weight`` :math:`w` weighs each element, broadcast to the input. ``reduction``
    as PyTorch: ``"mean"`` divides by the number of elements, ``"sum"`` does not, ``"none"``
    keeps the elementwise :math:`\ell`.

    Shape: input logits and target (0/1 or soft labels) of the same shape :math:`(*, C)`;
    ``pos_weight`` :math:`(C)`; ``weight`` broadcastable to the input.

    Example::

        >>> logits = torch.tensor([2.0, -1.0], requires_grad=True)
        >>> LOSSES.build("bce_with_logits")(logits, torch.tensor([1.0, 0.0]))
        tensor(0.2201, grad_fn=<BCEWithLogitsBackward>)
    """

    reference = staticmethod(F.binary_cross_entropy_with_logits)
    target = "binary"
    check_variants = (
        {},
        {"reduction": "sum"},
        {"pos_weight": [1.0, 2.0, 0.5, 1.5, 3.0]},
        {
            "reduction": "none",
            "weight": [0.5, 1.0, 2.0, 1.5, 0.7],
            "pos_weight": [3.0, 1.0, 0.2, 1.0, 2.0],
        },
    )

    @staticmethod
    def forward(input, target, weight=None, reduction="mean", pos_weight=None):
        check_reduction(reduction)
        return F.binary_cross_entropy_with_logits(
            input, target, weight, reduction=reduction, pos_weight=pos_weight
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, weight, reduction, pos_weight = inputs
        ctx.save_for_backward(input, target, weight, pos_weight)
        ctx.reduction = reduction

    @staticmethod
    def backward(ctx, grad_output):
        input, target, weight, pos_weight = ctx.saved_tensors
        g = unreduce(grad_output, input.shape, ctx.reduction)
        if weight is not None:
            g = g * weight.to(input.dtype)
        r = 1.0 if pos_weight is None else pos_weight.to(input.dtype)
        grad = ((1 - target) * torch.sigmoid(input) - r * target * torch.sigmoid(-input)) * g
        if not ctx.needs_input_grad[1]:
            return grad
        return grad, (r * softplus(-input) - softplus(input)) * g

    @staticmethod
    def backward_in_place(ctx, grad_output):
        input, target, weight, pos_weight = ctx.saved_tensors
        if weight is not None or pos_weight is not None:
            return NotImplemented  # the formula
        # sigma(x) - y, in one fresh buffer; for the target softplus(-x) - softplus(x) = -x
        g = grad_scale(grad_output, input.shape, ctx.reduction)
        grad = torch.sigmoid(input).sub_(target).mul_(g)
        return (grad, torch.mul(input, g).neg_()) if ctx.needs_input_grad[1] else grad
