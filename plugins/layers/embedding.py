import torch
import torch.nn.functional as F

from framework import LayerFunction, register_layer


@register_layer("embedding")
class Embedding(LayerFunction):
    r"""Embedding: a lookup table, row :math:`x` of :math:`W` for each integer index :math:`x`.

    .. math::
        Z_{\ldots,:} = W_{x_{\ldots},\,:}, \qquad
        \frac{\partial L}{\partial W_{r,:}} = \sum_{\ldots:\ x_{\ldots} = r} \delta_{\ldots,:}

    (``index_add`` of the incoming gradient into the rows that were looked up; indices are not
    differentiable). The row ``padding_idx``, if given, starts at zero and gets no gradient
    (on purpose, as in PyTorch: not the derivative, so the gradient checks leave it out).
    Initialised as ``torch.nn.Embedding``: :math:`W \sim \mathcal N(0, 1)`.

    Shape: input :math:`(*)` of integer indices in :math:`[0, \text{num\_embeddings})`, weight
    :math:`(\text{num\_embeddings}, \text{embedding\_dim})`, output
    :math:`(*, \text{embedding\_dim})`.

    Example::

        >>> LAYERS.build("embedding", num_embeddings=10, embedding_dim=3)(
        ...     torch.tensor([[1, 2], [3, 9]])).shape
        torch.Size([2, 2, 3])
    """

    reference = staticmethod(F.embedding)
    example = {"num_embeddings": 7, "embedding_dim": 3}
    example_input = (4, 5)
    index_input = "num_embeddings"

    @staticmethod
    def init(num_embeddings: int, embedding_dim: int, padding_idx=None):
        weight = torch.randn(num_embeddings, embedding_dim)
        if padding_idx is not None:
            weight[padding_idx] = 0
        return {"weight": weight}

    @staticmethod
    def forward(x, weight, padding_idx=None):
        return weight.index_select(0, x.reshape(-1)).reshape(*x.shape, weight.shape[1])

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, padding_idx = inputs
        ctx.save_for_backward(x)
        ctx.num_embeddings = weight.shape[0]
        ctx.padding_idx = padding_idx % weight.shape[0] if padding_idx is not None else None

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        if not ctx.needs_input_grad[1]:
            return None, None
        rows = grad_output.reshape(-1, grad_output.shape[-1])
        if ctx.padding_idx is not None:
            rows = rows * (x.reshape(-1, 1) != ctx.padding_idx)
        grad_w = rows.new_zeros(ctx.num_embeddings, rows.shape[1])
        return None, grad_w.index_add(0, x.reshape(-1), rows)
