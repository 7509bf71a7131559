import torch

from framework import register_layer
from framework.contract.function import RecurrentCellFunction
from plugins.layers.rnn import affine, affine_grads, affine_in_place, recurrent_weights


def lstm_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """The input, forget, cell and output gates, each :math:`(N, H)`."""
    i, f, g, o = affine(x, h, weight_ih, weight_hh, bias_ih, bias_hh).chunk(4, 1)
    return torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)


def _gates_in_place(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """The four gates side by side in one ``(N, 4H)`` buffer, activated in place; the cell gate
    as :math:`\\tanh u = 2\\sigma(2u) - 1`, so that one sigmoid serves all four (a tanh costs
    several sigmoids on the CPU)."""
    z = affine_in_place(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    g = z.chunk(4, 1)[2]
    g.mul_(2)
    z.sigmoid_()
    g.mul_(2).sub_(1)
    return z


def _tanh(t):
    """:math:`\\tanh t = 2\\sigma(2t) - 1` in a fresh buffer (exact to rounding, absolutely)."""
    return torch.mul(t, 2).sigmoid_().mul_(2).sub_(1)


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

    The gates and :math:`\tanh(c')` are saved from the forward (the tanhs computed as
    :math:`2\sigma(2u) - 1`: one sigmoid serves all gates); a double backward recomputes them
    from the inputs. The layer
    (``LAYERS.build("lstm", ...)``) runs over the sequence as ``torch.nn.LSTM`` (parameters, tensor
    names ``weight_ih_l0`` …, initialisation), returning ``(output, (h_n, c_n))``;
    ``num_layers``, ``dropout``, ``bidirectional``, ``batch_first`` and ``proj_size`` (``h``
    projected by ``weight_hr_l0`` after each step) included (framework.contract.recurrent).

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
    intermediates = 2  # the gates i, f, g, o side by side, and tanh(c')
    check_variants = ({}, {"bias": False})

    @staticmethod
    def init(input_size: int, hidden_size: int, bias: bool = True):
        return recurrent_weights(input_size, hidden_size, 4, bias)

    @staticmethod
    def forward(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
        gates = _gates_in_place(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
        i, f, g, o = gates.chunk(4, 1)
        c_new = torch.addcmul(f * c, i, g)
        tanh_c = _tanh(c_new)
        return o * tanh_c, c_new, gates, tanh_c

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs, output[2], output[3])

    @staticmethod
    def backward(ctx, grad_h, grad_c):
        x, h, c, weight_ih, weight_hh, bias_ih, bias_hh, _, _ = ctx.saved_tensors
        needs = ctx.needs_input_grad
        # recomputed: a double backward must see how the gates depend on the inputs
        i, f, g, o = lstm_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
        tanh_c = torch.tanh(f * c + i * g)
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
        dx, dh, *rest = affine_grads(a, a, x, h, weight_ih, weight_hh, needs[:2] + needs[3:])
        return dx, dh, gamma * f if needs[2] else None, *rest

    @staticmethod
    def backward_in_place(ctx, grad_h, grad_c):
        x, h, c, weight_ih, weight_hh, _, _, gates, tanh_c = ctx.saved_tensors
        needs = ctx.needs_input_grad
        a, grad_c_prev = _fast_deltas(gates, c, tanh_c, grad_h, grad_c)
        dx, dh, *rest = affine_grads(a, a, x, h, weight_ih, weight_hh, needs[:2] + needs[3:])
        return dx, dh, grad_c_prev if needs[2] else None, *rest


def _fast_deltas(gates, c, tanh_c, grad_h, grad_c):
    """The pre-activation gradient ``a`` and :math:`\\partial L/\\partial c`, each factor formed
    in a fresh buffer updated in place (not differentiable)."""
    i, f, g, o = gates.chunk(4, 1)
    ho = grad_h * o
    # gamma = delta_c + delta_h o (1 - tanh^2 c')
    gamma = torch.addcmul(grad_c, ho, torch.mul(tanh_c, tanh_c).neg_().add_(1))
    a_i = torch.mul(gamma, g).mul_(i)
    a_f = torch.mul(gamma, c).mul_(f)
    a_g = torch.mul(gamma, i)
    a_o = ho.mul_(tanh_c)
    a = torch.cat(
        (
            a_i.addcmul_(a_i, i, value=-1),  # gamma g i (1 - i)
            a_f.addcmul_(a_f, f, value=-1),  # gamma c f (1 - f)
            a_g.addcmul_(a_g, g * g, value=-1),  # gamma i (1 - g^2)
            a_o.addcmul_(a_o, o, value=-1),  # delta_h tanh(c') o (1 - o)
        ),
        1,
    )
    return a, gamma.mul_(f)
