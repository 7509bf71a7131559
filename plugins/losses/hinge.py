import torch

from framework import LossFunction, register_loss
from plugins.losses._reduction import reduce, unreduce


def signs(target):
    """Labels as ±1: a 0 (the 0/1 convention) means -1; ±1 are kept."""
    return torch.where(target == 0, -1.0, target)


@register_loss("hinge")
class Hinge(LossFunction):
    r"""Binary hinge loss (the SVM loss) of a real-valued score.

    .. math::
        \ell_i = \max(0,\ 1 - y_i \hat y_i), \qquad
        \frac{\partial \ell_i}{\partial \hat y_i} = -y_i\,[y_i \hat y_i < 1], \qquad
        \frac{\partial \ell_i}{\partial y_i} = -\hat y_i\,[y_i \hat y_i < 1]

    with labels :math:`y_i \in \{-1, +1\}`; 0/1 labels are accepted too, 0 meaning -1 (a 0 is
    no valid ±1 label, so both conventions are read elementwise; the target derivative is 0
    where the label was 0). At the kink :math:`y_i \hat y_i = 1` the subgradient 0 is used.
    The classic cheat sheet's code ``max(0, y - (1-2*y)*yHat)`` is not this loss (for
    :math:`y = 1` it gives :math:`\max(0, 1 + \hat y)`, which rewards wrong scores); its formula
    is followed here. PyTorch has no such op (``hinge_embedding_loss`` takes distances, not
    scores); the reference is ``clamp(1 - y * input, min=0)``. ``reduction`` as PyTorch:
    ``"mean"`` divides by the number of elements, ``"sum"`` does not, ``"none"`` keeps the
    elementwise :math:`\ell`.

    Shape: input scores and target labels of the same shape.

    Example::

        >>> scores = torch.tensor([0.5, 2.0], requires_grad=True)
        >>> LOSSES.build("hinge")(scores, torch.tensor([1.0, -1.0]))
        tensor(1.7500, grad_fn=<HingeBackward>)
        >>> LOSSES.build("hinge")(scores, torch.tensor([1.0, 0.0]))
        tensor(1.7500, grad_fn=<HingeBackward>)
    """

    reference = staticmethod(
        lambda input, target, reduction="mean": reduce(
            torch.clamp(1 - torch.where(target == 0, -1.0, target) * input, min=0), reduction
        )
    )
    target = "sign"
    kinks = (-1.0, 1.0)
    check_variants = ({}, {"reduction": "sum"}, {"reduction": "none"})

    @staticmethod
    def forward(input, target, reduction="mean"):
        return reduce((1 - signs(target) * input).clamp_min(0), reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, reduction = inputs
        ctx.save_for_backward(input, target)
        ctx.reduction = reduction

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        y = signs(target)
        g = unreduce(grad_output, input.shape, ctx.reduction) * (y * input < 1)
        if not ctx.needs_input_grad[1]:
            return -y * g
        return -y * g, -input * g * (target != 0)
