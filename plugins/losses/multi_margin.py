import torch.nn.functional as F

from framework import LossFunction, register_loss
from plugins.losses._reduction import reduce, unreduce


def margins(input, target, margin):
    """:math:`h_{ic} = \\text{margin} - x_{i,y_i} + x_{ic}`, and the one-hot of the target."""
    h = margin - input.gather(1, target.unsqueeze(1)) + input
    return h, F.one_hot(target, input.shape[1]).to(input.dtype)


@register_loss("multi_margin")
class MultiMargin(LossFunction):
    r"""Multiclass hinge loss (Weston–Watkins / Crammer–Singer style, as PyTorch).

    .. math::
        \ell_i = \frac{w_{y_i}}{C} \sum_{c \ne y_i} \max(0,\ h_{ic})^p, \quad
        h_{ic} = \text{margin} - x_{i,y_i} + x_{ic}, \qquad
        \frac{\partial \ell_i}{\partial x_{ic}} = \frac{w_{y_i}}{C}\left(r_{ic}
            - [c = y_i] \sum_{k \ne y_i} r_{ik}\right)

    with :math:`r_{ic} = p\,h_{ic}^{p-1}\,[h_{ic} > 0]` for :math:`c \ne y_i` (0 for
    :math:`c = y_i`): every class scoring within ``margin`` of the target class pushes its score
    down and the target's up. ``p`` is 1 or 2 (as PyTorch); at :math:`h_{ic} = 0` the
    subgradient 0 is used. :math:`w` is the class ``weight`` (1 if ``None``). ``reduction`` as
    PyTorch: ``"mean"`` divides by the number of samples, ``"sum"`` does not, ``"none"`` keeps
    one loss per sample.

    Shape: input :math:`(N, C)` scores, target :math:`(N)` integer classes in :math:`[0, C)`,
    ``weight`` :math:`(C)`.

    Example::

        >>> scores = torch.tensor([[0.1, 0.2, 0.4, 0.8]], requires_grad=True)
        >>> LOSSES.build("multi_margin")(scores, torch.tensor([3]))
        tensor(0.3250, grad_fn=<MultiMarginBackward>)
    """

    reference = staticmethod(F.multi_margin_loss)
    target = "class_index"
    check_variants = (
        {},
        {"p": 2, "margin": 0.5},
        {
            "weight": [1.0, 2.0, 0.5, 1.5, 3.0],
            "reduction": "sum",
        },
        {"p": 2, "reduction": "none"},
    )

    @staticmethod
    def forward(input, target, p=1, margin=1.0, weight=None, reduction="mean"):
        if p not in (1, 2):
            raise ValueError(f"p={p!r} is not supported; use 1 or 2")
        h, one_hot = margins(input, target, margin)
        loss = (h.clamp_min(0).pow(p) * (1 - one_hot)).sum(1) / input.shape[1]
        if weight is not None:
            loss = loss * weight.to(input.dtype)[target]
        return reduce(loss, reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, p, margin, weight, reduction = inputs
        ctx.save_for_backward(input, target, weight)
        ctx.p = p
        ctx.margin = margin
        ctx.reduction = reduction

    @staticmethod
    def backward(ctx, grad_output):
        input, target, weight = ctx.saved_tensors
        h, one_hot = margins(input, target, ctx.margin)
        r = (h > 0).to(input.dtype) if ctx.p == 1 else 2 * h.clamp_min(0)
        r = r * (1 - one_hot)
        g = unreduce(grad_output, target.shape, ctx.reduction) / input.shape[1]
        if weight is not None:
            g = g * weight.to(input.dtype)[target]
        return (r - one_hot * r.sum(1, keepdim=True)) * g.unsqueeze(1)
