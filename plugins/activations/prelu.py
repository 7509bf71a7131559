import torch

from framework import ActivationFunction, register_activation


@register_activation("prelu")
class PReLU(ActivationFunction):
    r"""Parametric ReLU (He et al., 2015): a leaky ReLU whose slope :math:`a` is learned.

    .. math::
        f(z) = \begin{cases} z & z > 0 \\ a z & z \le 0 \end{cases}, \qquad
        \frac{\partial f}{\partial z} = \begin{cases} 1 & z > 0 \\ a & z \le 0 \end{cases},
        \qquad
        \frac{\partial f}{\partial a} = \begin{cases} 0 & z > 0 \\ z & z \le 0 \end{cases}

    ``weight`` holds either one slope shared by every element or one per channel, the channel
    dimension being dim 1 (dim 0 of a 1-d input has one slope only), as ``F.prelu``; the
    weight's gradient is summed over every other dimension. ``init(num_parameters=1,
    init=0.25)`` creates it, as ``nn.PReLU``. The derivative in :math:`z` is undefined at
    :math:`z = 0`; as PyTorch, the value :math:`a` is used there. The slope may be negative, so
    the output does not give the input's sign: the input is saved for the backward (the
    weight is a parameter, kept anyway).

    Shape: input :math:`(N, C, *)`, :math:`(N, C)` or any shape when there is one slope;
    ``weight`` :math:`(C,)` or :math:`(1,)`; the output has the input's shape.

    Example::

        >>> ACTIVATIONS.build("prelu")(torch.tensor([-1.0, 0.0, 2.0]))
        tensor([-0.2500,  0.0000,  2.0000], grad_fn=<PReLUBackward>)
    """

    reference = staticmethod(torch.nn.functional.prelu)
    kinks = (0.0,)
    check_variants = ({}, {"num_parameters": 5})

    @staticmethod
    def init(num_parameters: int = 1, init: float = 0.25) -> dict[str, torch.Tensor]:
        return {"weight": torch.full((num_parameters,), float(init))}

    @staticmethod
    def forward(x, weight):
        return torch.nn.functional.prelu(x, weight)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        grad_x = grad_weight = None
        a = weight.reshape(-1, *(1,) * (x.dim() - 2))  # slope per channel, on dim 1
        dims = [d for d in range(x.dim()) if d != 1 or weight.numel() == 1]
        positive = x > 0
        if ctx.needs_input_grad[0]:
            grad_x = torch.where(positive, grad_output, grad_output * a)
        if ctx.needs_input_grad[1]:
            grad_weight = torch.where(positive, 0, grad_output * x).sum(dims)
            grad_weight = grad_weight.reshape(weight.shape)
        return grad_x, grad_weight

    @staticmethod
    def backward_in_place(ctx, grad_output):
        x, weight = ctx.saved_tensors
        grad_x = grad_weight = None
        a = weight.reshape(-1, *(1,) * (x.dim() - 2))  # slope per channel, on dim 1
        dims = [d for d in range(x.dim()) if d != 1 or weight.numel() == 1]
        # float masks in fresh buffers updated in place (no bool masks)
        if ctx.needs_input_grad[0]:
            slope = torch.gt(x, 0, out=torch.empty_like(x)).mul_(1 - a).add_(a)  # 1 or a
            grad_x = slope.mul_(grad_output)
        if ctx.needs_input_grad[1]:
            grad_weight = x.clamp(max=0).mul_(grad_output).sum(dims).reshape(weight.shape)
        return grad_x, grad_weight
