import math

import torch
import torch.nn.functional as F

from framework import register_layer
from framework.contract.function import RecurrentCellFunction


def recurrent_weights(input_size, hidden_size, n_gates, bias):
    """One layer's tensors as ``torch.nn.RNN``/``GRU``/``LSTM`` create them: gates stacked along
    dim 0, every value :math:`\\sim \\mathcal U(-1/\\sqrt{H}, 1/\\sqrt{H})`."""
    bound = 1 / math.sqrt(hidden_size)

    def uniform(*shape):
        return torch.empty(*shape).uniform_(-bound, bound)

    return {
        "weight_ih": uniform(n_gates * hidden_size, input_size),
        "weight_hh": uniform(n_gates * hidden_size, hidden_size),
        "bias_ih": uniform(n_gates * hidden_size) if bias else None,
        "bias_hh": uniform(n_gates * hidden_size) if bias else None,
    }


def affine_grads(delta_ih, delta_hh, x, h, weight_ih, weight_hh, needs):
    """Gradients of :math:`x W_{ih}^\\top + b_{ih}` and :math:`h W_{hh}^\\top + b_{hh}` from those
    of the two pre-activations: ``(dx, dh, dW_ih, dW_hh, db_ih, db_hh)``, ``None`` where not
    ``needs``-ed."""
    need_x, need_h, need_w_ih, need_w_hh, need_b_ih, need_b_hh = needs
    grad_b_ih = delta_ih.sum(0) if need_b_ih else None
    if need_b_hh:  # one sum serves both biases when the deltas are the same tensor
        grad_b_hh = grad_b_ih if grad_b_ih is not None and delta_hh is delta_ih else None
        grad_b_hh = delta_hh.sum(0) if grad_b_hh is None else grad_b_hh
    return (
        delta_ih @ weight_ih if need_x else None,
        delta_hh @ weight_hh if need_h else None,
        delta_ih.mT @ x if need_w_ih else None,
        delta_hh.mT @ h if need_w_hh else None,
        grad_b_ih,
        grad_b_hh if need_b_hh else None,
    )


def affine(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """:math:`x W_{ih}^\\top + b_{ih} + h W_{hh}^\\top + b_{hh}` (differentiable)."""
    return F.linear(x, weight_ih, bias_ih) + F.linear(h, weight_hh, bias_hh)


def affine_in_place(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """The same in one buffer, for a forward."""
    # one buffer: both biases in one multiply-add, the second product added in place
    bias = None if bias_ih is None else bias_ih + bias_hh
    return F.linear(x, weight_ih, bias).addmm_(h, weight_hh.mT)


def _native(x, h, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity="tanh"):
    cell = torch.rnn_relu_cell if nonlinearity == "relu" else torch.rnn_tanh_cell
    return cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh)


def _check_nonlinearity(nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn: nonlinearity={nonlinearity!r} is not 'tanh' or 'relu'")


@register_layer("rnn")
class RNNCell(RecurrentCellFunction):
    r"""Elman recurrent layer with :math:`\tanh` (or ReLU); this Function is one time step.

    .. math::
        h' = \tanh(x W_{ih}^\top + b_{ih} + h W_{hh}^\top + b_{hh})

    (``nonlinearity="relu"``: :math:`\max(0, \cdot)` instead of :math:`\tanh`). Backward, with
    :math:`a = \delta \odot (1 - h'^2)` (ReLU: :math:`\delta \odot [h' > 0]`) the gradient of
    the pre-activation:

    .. math::
        \frac{\partial L}{\partial x} = a W_{ih}, \quad
        \frac{\partial L}{\partial h} = a W_{hh}, \quad
        \frac{\partial L}{\partial W_{ih}} = a^\top x, \quad
        \frac{\partial L}{\partial W_{hh}} = a^\top h, \quad
        \frac{\partial L}{\partial b_{ih}} = \frac{\partial L}{\partial b_{hh}} = \sum_n a

    The layer (``LAYERS.build("rnn", ...)``) runs it over the sequence as ``torch.nn.RNN``:
    parameters ``input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, nonlinearity="tanh"`` (framework.contract.recurrent).
    Tensors
    ``weight_ih_l0`` … (state dicts copy from ``torch.nn.RNN``), returning ``(output, h_n)``.
    Initialised as ``torch.nn.RNN``: every value :math:`\sim \mathcal U(-1/\sqrt{H}, 1/\sqrt{H})`.

    Shape: input :math:`(L, N, H_{in})` (``batch_first``: :math:`(N, L, H_{in})`), optional
    :math:`h_0` :math:`(\text{num\_layers}, N, H)`; output :math:`(L, N, H)`, :math:`h_n`
    :math:`(\text{num\_layers}, N, H)`. One step: :math:`x\ (N, H_{in})`, :math:`h\ (N, H)`.

    Example::

        >>> rnn = LAYERS.build("rnn", input_size=3, hidden_size=4, num_layers=2)
        >>> output, h_n = rnn(torch.randn(5, 2, 3))
        >>> output.shape, h_n.shape
        (torch.Size([5, 2, 4]), torch.Size([2, 2, 4]))
    """

    reference = staticmethod(_native)
    example = {"input_size": 3, "hidden_size": 4}
    example_input = ((2, 3), (2, 4))
    check_variants = ({}, {"bias": False}, {"nonlinearity": "relu"})

    @staticmethod
    def init(input_size: int, hidden_size: int, bias: bool = True):
        return recurrent_weights(input_size, hidden_size, 1, bias)

    @staticmethod
    def forward(x, h, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity="tanh"):
        _check_nonlinearity(nonlinearity)
        z = affine_in_place(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
        return z.relu_() if nonlinearity == "relu" else z.tanh_()

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, h, weight_ih, weight_hh, _, _, nonlinearity = inputs
        ctx.relu = nonlinearity == "relu"
        ctx.save_for_backward(x, h, weight_ih, weight_hh, output)

    @staticmethod
    def backward(ctx, grad_output):
        x, h, weight_ih, weight_hh, h_new = ctx.saved_tensors
        if ctx.relu:  # h' > 0 exactly where the pre-activation is
            a = grad_output * (h_new > 0).to(grad_output.dtype)
        else:
            a = grad_output * (1 - h_new * h_new)
        return affine_grads(a, a, x, h, weight_ih, weight_hh, ctx.needs_input_grad[:6])

    @staticmethod
    def backward_in_place(ctx, grad_output):
        x, h, weight_ih, weight_hh, h_new = ctx.saved_tensors
        if ctx.relu:
            a = grad_output.masked_fill(h_new <= 0, 0)
        else:
            a = torch.addcmul(grad_output, grad_output, h_new.square(), value=-1)
        return affine_grads(a, a, x, h, weight_ih, weight_hh, ctx.needs_input_grad[:6])
