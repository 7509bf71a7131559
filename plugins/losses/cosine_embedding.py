import torch
import torch.nn.functional as F

from framework import LossFunction, register_loss
from plugins.losses._reduction import reduce, unreduce

EPS = 1e-12  # added to the squared norms, as PyTorch, so that zero vectors give cos = 0


def cosine(x1, x2):
    """:math:`\\cos(x_1, x_2)` along the last dimension, with the squared norms it divides by."""
    m1 = x1.square().sum(-1) + EPS
    m2 = x2.square().sum(-1) + EPS
    return (x1 * x2).sum(-1) / (m1 * m2).sqrt(), m1, m2


@register_loss("cosine_embedding")
class CosineEmbedding(LossFunction):
    r"""Cosine embedding loss: pulls pairs labelled 1 together, pushes pairs labelled -1 apart.

    .. math::
        \ell_i = \begin{cases} 1 - \cos_i & y_i = 1 \\
                 \max(0,\ \cos_i - \text{margin}) & y_i = -1 \end{cases}, \qquad
        \cos_i = \frac{a_i \cdot b_i}{\sqrt{\|a_i\|^2 \|b_i\|^2}}

    .. math::
        \frac{\partial \cos_i}{\partial a_i} = \frac{b_i}{\sqrt{\|a_i\|^2 \|b_i\|^2}}
            - \cos_i \frac{a_i}{\|a_i\|^2}, \qquad
        \frac{\partial \ell_i}{\partial \cos_i} = -1 \ (y_i = 1), \quad
            [\cos_i > \text{margin}] \ (y_i = -1)

    and symmetrically for :math:`b_i`. As PyTorch, :math:`10^{-12}` is added to each squared
    norm (a zero vector has cosine 0), and a label other than ±1 gives 0. At
    :math:`\cos_i = \text{margin}` the subgradient 0 is used. ``margin`` in :math:`[-1, 1]`,
    default 0 as PyTorch. ``reduction`` as PyTorch: ``"mean"`` divides by the number of pairs,
    ``"sum"`` does not, ``"none"`` keeps one loss per pair. The target gets no gradient.

    Shape: PyTorch's ``cosine_embedding_loss(x1, x2, y)`` takes two inputs, which the
    ``(input, target)`` loss contract cannot; here the input stacks them,
    ``input = torch.stack((x1, x2), dim=1)`` of shape :math:`(N, 2, D)`, and the target holds
    one ±1 label per pair, shape :math:`(N)`. The gradient is stacked the same way.

    Example::

        >>> x1 = torch.tensor([[1.0, 0.0]], requires_grad=True)
        >>> x2 = torch.tensor([[1.0, 1.0]])
        >>> pairs = torch.stack((x1, x2), dim=1)  # (N, 2, D)
        >>> LOSSES.build("cosine_embedding")(pairs, torch.tensor([1.0]))
        tensor(0.2929, grad_fn=<CosineEmbeddingBackward>)
    """

    reference = staticmethod(
        lambda input, target, margin=0.0, reduction="mean": F.cosine_embedding_loss(
            input[:, 0], input[:, 1], target, margin=margin, reduction=reduction
        )
    )
    target = "sample_sign"
    example_input = (4, 2, 5)
    check_variants = ({}, {"margin": 0.3, "reduction": "sum"}, {"reduction": "none"})

    @staticmethod
    def forward(input, target, margin=0.0, reduction="mean"):
        if input.dim() != 3 or input.shape[1] != 2 or target.shape != input.shape[:1]:
            raise ValueError(
                f"cosine_embedding takes input (N, 2, D) stacking x1 and x2 and target (N,); "
                f"got input {tuple(input.shape)} and target {tuple(target.shape)}"
            )
        cos, _, _ = cosine(input[:, 0], input[:, 1])
        apart = torch.where(target == -1, (cos - margin).clamp_min(0), 0.0)
        return reduce(torch.where(target == 1, 1 - cos, apart), reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, margin, reduction = inputs
        ctx.save_for_backward(input, target)
        ctx.margin = margin
        ctx.reduction = reduction

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        a, b = input[:, 0], input[:, 1]
        cos, m1, m2 = cosine(a, b)
        slope = torch.where(target == 1, -1.0, (target == -1) * (cos > ctx.margin).to(cos.dtype))
        g = (slope * unreduce(grad_output, cos.shape, ctx.reduction)).unsqueeze(-1)
        root = (m1 * m2).sqrt().unsqueeze(-1)
        grad_a = (b / root - cos.unsqueeze(-1) * a / m1.unsqueeze(-1)) * g
        grad_b = (a / root - cos.unsqueeze(-1) * b / m2.unsqueeze(-1)) * g
        return torch.stack((grad_a, grad_b), dim=1)
