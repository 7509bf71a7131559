import torch
import torch.nn.functional as F

from framework import register_layer
from framework.function import RecurrentCellFunction
from plugins.layers.rnn import affine_grads, recurrent_weights


def lstm_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """The input, forget, cell and output gates, each :math:`(N, H)`."""
    i, f, g, o = (F.linear(x, weight_ih, bias_ih) + F.linear(h, weight_hh, bias_hh)).chunk(4, 1)
    return torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)


def _native(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    return torch.lstm_cell(x, (h, c), weight_ih, weight_hh, bias_ih, bias_hh)


@register_layer("lstm")
class LSTMCell(RecurrentCellFunction):
    r"""Long short-term memory, PyTorch's equations; this Function is one time step.

    .. math::
        (i, f, g, o) = (\sigma, \sigma, \tanh, \sigma)
            (x W_{ih}^\top + b_{ih} + h W_{hh}^\top + b_{hh}), \qquad
        c' = f \odot c + i \odot g, \qquad h' = o \odot \tanh(c')

    Backward, for :math:`\delta_h = \partial L/\partial h'` and :math:`\delta_c = \partial
    L/\partial c'`: the cell's total gradient
    :math:`\gamma = \delta_c + \delta_h\, o\, (1 - \tanh^2 c')`, then

    .. math::
        \frac{\partial L}{\partial c} = \gamma f, \qquad
        a = \big(\gamma g\, i(1 - i),\ \gamma c\, f(1 - f),\ \gamma i\, (1 - g^2),\
            \delta_h \tanh(c')\, o(1 - o)\big)

    the pre-activation gradient, from which :math:`\partial L/\partial x = a W_{ih}`,
    :math:`\partial L/\partial h = a W_{hh}`, :math:`\partial L/\partial W_{ih} = a^\top x`,
    :math:`\partial L/\partial W_{hh} = a^\top h`, :math:`\partial L/\partial b = \sum_n a`.

    The gates are saved from the forward; a double backward recomputes them. The layer
    (``LAYERS.build("lstm", ...)``) runs over the sequence as ``torch.nn.LSTM`` (parameters, tensor
    names ``weight_ih_l0`` …, initialisation), returning ``(output, (h_n, c_n))``.

    Shape: input :math:`(L, N, H_{in})` (``batch_first``: :math:`(N, L, H_{in})`), optional
    :math:`(h_0, c_0)`, each :math:`(\text{num\_layers}, N, H)`; output :math:`(L, N, H)`.
    One step: :math:`x\ (N, H_{in})`, :math:`h, c\ (N, H)`.

    Example::

        >>> lstm = LAYERS.build("lstm", input_size=3, hidden_size=4)
        >>> output, (h_n, c_n) = lstm(torch.randn(5, 2, 3))
        >>> output.shape, c_n.shape
        (torch.Size([5, 2, 4]), torch.Size([1, 2, 4]))
    """

    reference = staticmethod(_native)
    n_inputs = 3  # x, h, c
    example = {"input_size": 3, "hidden_size": 4}
    example_input = ((2, 3), (2, 4), (2, 4))
    intermediates = 1  # the gates i, f, g, o
    check_variants = ({}, {"bias": False})

    @staticmethod
    def init(input_size: int, hidden_size: int, bias: bool = True):
        return recurrent_weights(input_size, hidden_size, 4, bias)

    @staticmethod
    def forward(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
        i, f, g, o = lstm_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
        c_new = f * c + i * g
        return o * torch.tanh(c_new), c_new, torch.cat((i, f, g, o), 1)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs, output[1], output[2])

    @staticmethod
    def backward(ctx, grad_h, grad_c):
        x, h, c, weight_ih, weight_hh, bias_ih, bias_hh, c_new, gates = ctx.saved_tensors
        if torch.is_grad_enabled():  # a double backward must see how the gates depend on inputs
            i, f, g, o = lstm_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
        else:
            i, f, g, o = gates.chunk(4, 1)
        tanh_c = torch.tanh(c_new)
        gamma = grad_c + grad_h * o * (1 - tanh_c * tanh_c)
        a = torch.cat(
            (
                gamma * g * i * (1 - i),
                gamma * c * f * (1 - f),
                gamma * i * (1 - g * g),
                grad_h * tanh_c * o * (1 - o),
            ),
            1,
        )
        needs = ctx.needs_input_grad
        dx, dh, *rest = affine_grads(a, a, x, h, weight_ih, weight_hh, needs[:2] + needs[3:])
        return dx, dh, gamma * f if needs[2] else None, *rest
