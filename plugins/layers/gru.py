import torch
import torch.nn.functional as F

from framework import register_layer
from framework.contract.function import RecurrentCellFunction
from plugins.layers.rnn import affine_grads, recurrent_weights


def gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """The reset and update gates, the candidate, and the candidate's hidden term
    :math:`W_{hn} h + b_{hn}`, each :math:`(N, H)`."""
    x_r, x_z, x_n = F.linear(x, weight_ih, bias_ih).chunk(3, 1)
    h_r, h_z, h_n = F.linear(h, weight_hh, bias_hh).chunk(3, 1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    return r, z, torch.tanh(x_n + r * h_n), h_n


@register_layer("gru")
class GRUCell(RecurrentCellFunction):
    r"""Gated recurrent unit, PyTorch's equations; this Function is one time step.

    .. math::
        r = \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}), \qquad
        z = \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}), \\
        n = \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn})), \qquad
        h' = (1 - z) \odot n + z \odot h

    (the candidate :math:`n` reads :math:`x`, and the update mixes in the *previous* :math:`h`:
    the classic cheat sheet's figure has both wrong). Backward, for :math:`\delta = \partial
    L/\partial h'`, with the pre-activation gradients

    .. math::
        a_n = \delta (1 - z)(1 - n^2), \quad
        a_z = \delta (h - n)\, z (1 - z), \quad
        a_r = a_n (W_{hn} h + b_{hn})\, r (1 - r),

    the input side gets :math:`(a_r, a_z, a_n)` and the hidden side :math:`(a_r, a_z, r a_n)`;
    from them :math:`\partial L/\partial x = a^{i} W_{ih}`, :math:`\partial L/\partial W_{ih} =
    a^{i\top} x`, :math:`\partial L/\partial b_{ih} = \sum_n a^{i}`, likewise for the hidden
    side, and :math:`\partial L/\partial h = a^{h} W_{hh} + \delta\, z`.

    The gates are saved from the forward; a double backward recomputes them. The layer
    (``LAYERS.build("gru", ...)``) runs over the sequence as ``torch.nn.GRU`` (parameters, tensor
    names ``weight_ih_l0`` …, initialisation, ``(output, h_n)``), ``num_layers``, ``dropout``,
    ``bidirectional`` and ``batch_first`` included (framework.contract.recurrent).

    Shape: input :math:`(L, N, H_{in})` (``batch_first``: :math:`(N, L, H_{in})`), optional
    :math:`h_0` :math:`(\text{num\_layers}, N, H)`; output :math:`(L, N, H)`, :math:`h_n`
    :math:`(\text{num\_layers}, N, H)`. One step: :math:`x\ (N, H_{in})`, :math:`h\ (N, H)`.

    Example::

        >>> gru = LAYERS.build("gru", input_size=3, hidden_size=4, batch_first=True)
        >>> output, h_n = gru(torch.randn(2, 5, 3))
        >>> output.shape, h_n.shape
        (torch.Size([2, 5, 4]), torch.Size([1, 2, 4]))
    """

    reference = staticmethod(torch.gru_cell)
    example = {"input_size": 3, "hidden_size": 4}
    example_input = ((2, 3), (2, 4))
    intermediates = 1  # the gates r, z, n and W_hn h + b_hn
    check_variants = ({}, {"bias": False})

    @staticmethod
    def init(input_size: int, hidden_size: int, bias: bool = True):
        return recurrent_weights(input_size, hidden_size, 3, bias)

    @staticmethod
    def forward(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
        r, z, n, h_n = gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
        return n + z * (h - n), torch.cat((r, z, n, h_n), 1)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs, output[1])

    @staticmethod
    def backward(ctx, grad_output):
        x, h, weight_ih, weight_hh, bias_ih, bias_hh, _ = ctx.saved_tensors
        # recomputed: a double backward must see how the gates depend on the inputs
        gates = gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
        return _grads(ctx, grad_output, gates)

    @staticmethod
    def backward_in_place(ctx, grad_output):
        return _grads(ctx, grad_output, ctx.saved_tensors[-1].chunk(4, 1))


def _grads(ctx, grad_output, gates):
    """Every gradient, from the gates :math:`(r, z, n, h_n)`."""
    x, h, weight_ih, weight_hh = ctx.saved_tensors[:4]
    r, z, n, h_n = gates
    a_n = grad_output * (1 - z) * (1 - n * n)
    a_z = grad_output * (h - n) * z * (1 - z)
    a_r = a_n * h_n * r * (1 - r)
    delta_ih = torch.cat((a_r, a_z, a_n), 1)
    delta_hh = torch.cat((a_r, a_z, r * a_n), 1)
    dx, dh, *rest = affine_grads(
        delta_ih, delta_hh, x, h, weight_ih, weight_hh, ctx.needs_input_grad
    )
    if dh is not None:
        dh = dh + grad_output * z
    return dx, dh, *rest
