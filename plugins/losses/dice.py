from framework import LossFunction, register_loss
from plugins.losses._reduction import reduce, unreduce


@register_loss("dice")
class Dice(LossFunction):
    r"""Soft Dice loss, one minus the smoothed Dice coefficient of each sample.

    .. math::
        \ell_i = 1 - \frac{2 \sum_j p_{ij} y_{ij} + s}{\sum_j p_{ij} + \sum_j y_{ij} + s},
        \qquad
        \frac{\partial \ell_i}{\partial p_{ij}} = \frac{(1 - \ell_i) - 2 y_{ij}}
            {\sum_j p_{ij} + \sum_j y_{ij} + s}

    (and :math:`(1 - \ell_i - 2 p_{ij})` over the same denominator for the target), where
    :math:`p` holds predicted probabilities, :math:`y` the target mask, and the sums run over
    every element of sample :math:`i`. ``smooth`` :math:`s` (default 1.0) keeps empty masks
    finite (:math:`\ell = 0` for an empty prediction of an empty mask) and smooths the
    gradient. PyTorch has no Dice op; the reference is autograd through ``forward``.
    ``reduction``: ``"mean"`` over the samples, ``"sum"``, or ``"none"`` (one loss per sample).

    Shape: input probabilities and target of the same shape :math:`(N, *)`, at least 2-D.

    Example::

        >>> p = torch.tensor([[0.9, 0.1, 0.8]], requires_grad=True)
        >>> LOSSES.build("dice")(p, torch.tensor([[1.0, 0.0, 1.0]]))
        tensor(0.0833, grad_fn=<DiceBackward>)
    """

    reference = None
    target = "binary"
    check_variants = ({}, {"smooth": 0.5, "reduction": "sum"}, {"reduction": "none"})

    @staticmethod
    def forward(input, target, smooth=1.0, reduction="mean"):
        p, y = input.flatten(1), target.flatten(1)
        dice = (2 * (p * y).sum(1) + smooth) / (p.sum(1) + y.sum(1) + smooth)
        return reduce(1 - dice, reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, smooth, reduction = inputs
        ctx.save_for_backward(input, target)
        ctx.smooth = smooth
        ctx.reduction = reduction

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        p, y = input.flatten(1), target.flatten(1)
        union = p.sum(1) + y.sum(1) + ctx.smooth
        dice = ((2 * (p * y).sum(1) + ctx.smooth) / union).unsqueeze(1)
        g = (unreduce(grad_output, union.shape, ctx.reduction) / union).unsqueeze(1)
        grad = ((dice - 2 * y) * g).reshape(input.shape)
        if not ctx.needs_input_grad[1]:
            return grad
        return grad, ((dice - 2 * p) * g).reshape(target.shape)
