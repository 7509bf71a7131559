"""``nn-plugins new KIND NAME``: a ready-to-fill plugin file that passes ``nn-plugins check``.

Each template is the simplest plugin of its kind that is right as written (the identity, a scaled
squared error, a plain linear layer), with the formula in its docstring and a comment on each
line to change. This module imports no torch.
"""

from __future__ import annotations

import keyword
from pathlib import Path
from string import Template

KINDS = ("activation", "loss", "layer")


class ScaffoldError(ValueError):
    """A name that cannot be a plugin, or a file that is already there."""


ACTIVATION = Template(
    r'''"""The activation '$name', made by `nn-plugins new activation $name`.

As written it is the identity, f(x) = x, and passes the checks. Change the lines marked TODO to
your formula (and the docstring's math), then:

    nn-plugins --imports $file check $name        # your backward against numerical gradients
    nn-train imports=[$file] activation=$name
"""

import torch

from framework import ActivationFunction, register_activation


@register_activation("$name")
class $cls(ActivationFunction):
    r"""TODO: one line saying what '$name' is.

    .. math::
        f(x) = x, \qquad f'(x) = 1

    TODO: your f and f'. Where f' is undefined (ReLU at 0), say which value backward uses.

    Shape: any; the output has the input's shape.
    """

    # Optional:
    # reference = staticmethod(torch.nn.functional.silu)  # a native op computing the same f,
    #                                                     # compared against by `check`
    # kinks = (0.0,)  # inputs where f' is undefined: numerical checks keep away from them

    @staticmethod
    def forward(x):
        # TODO: f(x) in torch operations. A parameter is a keyword argument with a default,
        # forward(x, alpha=1.0), set on the command line as activation.alpha=0.5.
        return x.clone()  # a new tensor: a Function must not hand back its input itself

    @staticmethod
    def setup_context(ctx, inputs, output):
        # Save what backward needs: tensors with save_for_backward (x; or the output, when f'
        # is written in f as for sigmoid and tanh), plain values (parameters) on ctx.
        (x,) = inputs  # with a parameter: x, alpha = inputs; ctx.alpha = alpha
        ctx.save_for_backward(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        derivative = torch.ones_like(x)  # TODO: f'(x), in torch operations
        return grad_output * derivative  # the gradient w.r.t. x (parameters get none)
'''
)

LOSS = Template(
    r'''"""The loss '$name', made by `nn-plugins new loss $name`.

As written it is a scaled squared error and passes the checks. Change the lines marked TODO to
your loss (and the docstring's math), then:

    nn-plugins --imports $file check $name
    nn-train imports=[$file] loss=$name loss.scale=2
"""

from framework import LossFunction, register_loss


@register_loss("$name")
class $cls(LossFunction):
    r"""TODO: one line saying what '$name' is.

    .. math::
        L = \frac{1}{m} \sum_{i=1}^{m} s\,(\hat y_i - y_i)^2, \qquad
        \frac{\partial L}{\partial \hat y_i} = \frac{2s}{m} (\hat y_i - y_i), \qquad
        \frac{\partial L}{\partial y_i} = -\frac{\partial L}{\partial \hat y_i}

    with :math:`s` = ``scale``. ``reduction``: ``"mean"`` (divide by the number :math:`m` of
    elements), ``"sum"``, or ``"none"`` (the elementwise losses).

    Shape: input and target of the same shape.
    """

    # The targets this loss expects: "same" (shaped like the input; classes arrive one-hot),
    # "class_index", "binary", "sign" or "probability".
    target = "same"
    # `nn-plugins check` checks each of these parameter sets
    check_variants = ({}, {"scale": 2.0}, {"reduction": "sum"}, {"reduction": "none"})

    @staticmethod
    def forward(input, target, scale=1.0, reduction="mean"):
        losses = scale * (input - target).square()  # TODO: your elementwise loss
        return reduce(losses, reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, scale, reduction = inputs  # the tensors, then the parameters
        ctx.save_for_backward(input, target)
        ctx.scale, ctx.reduction = scale, reduction

    @staticmethod
    def backward(ctx, grad_output):
        input, target = ctx.saved_tensors
        grad = 2 * ctx.scale * (input - target)  # TODO: d(elementwise loss) / d input
        if ctx.reduction == "mean":
            grad = grad / input.numel()
        grad = grad * grad_output  # a scalar for "mean" and "sum", elementwise for "none"
        # One gradient per tensor argument: input, then target (None when none is needed)
        return grad, (-grad if ctx.needs_input_grad[1] else None)  # TODO: d loss / d target


def reduce(losses, reduction):
    """Elementwise losses -> the loss, as PyTorch's ``reduction`` argument says."""
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    if reduction == "none":
        return losses
    raise ValueError(f"reduction={reduction!r}: use 'mean', 'sum' or 'none'")
'''
)

LAYER = Template(
    r'''"""The layer '$name', made by `nn-plugins new layer $name`.

As written it is a plain fully connected layer and passes the checks. Change the lines marked
TODO to your layer (and the docstring's math), then:

    nn-plugins --imports $file check $name
    nn-train imports=[$file] model=sequential \
        'model.layers=[{layer:$name,out_features:16},act]'
"""

import math

import torch

from framework import LayerFunction, register_layer


@register_layer("$name")
class $cls(LayerFunction):
    r"""TODO: one line saying what '$name' is.

    .. math::
        Z = X W^\top + b

    Backward, for the incoming gradient :math:`\delta = \partial L / \partial Z`:

    .. math::
        \frac{\partial L}{\partial X} = \delta W, \qquad
        \frac{\partial L}{\partial W} = \delta^\top X, \qquad
        \frac{\partial L}{\partial b} = \sum_{\text{batch}} \delta

    Shape: input :math:`(*, n_{in})`, output :math:`(*, n_{out})`.
    """

    inferred = {"in_features": -1}  # init arguments read from the input: its last dimension
    example = {"in_features": 3, "out_features": 2}  # init arguments `nn-plugins check` uses
    example_input = (4, 3)  # and the input shape it feeds

    @staticmethod
    def init(in_features, out_features):
        # TODO: create the learnable tensors, named as forward's arguments after x. Each
        # becomes an nn.Parameter of the Module (wrap one in framework.Buffer for a buffer).
        bound = 1 / math.sqrt(in_features)  # as torch.nn.Linear
        return {
            "weight": torch.empty(out_features, in_features).uniform_(-bound, bound),
            "bias": torch.empty(out_features).uniform_(-bound, bound),
        }

    @staticmethod
    def forward(x, weight, bias):
        # The input, then the learnable tensors (no default), then parameters (with defaults)
        return x @ weight.mT + bias  # TODO: your layer

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, bias = inputs
        ctx.save_for_backward(x, weight)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        delta = grad_output.reshape(-1, grad_output.shape[-1])  # batch dimensions flattened
        grad_x = grad_output @ weight  # TODO: dL/dx
        grad_weight = delta.mT @ x.reshape(-1, x.shape[-1])  # TODO: dL/dweight
        grad_bias = delta.sum(0)  # TODO: dL/dbias
        # One gradient per tensor argument, in forward's order: x, then the learnable tensors
        return grad_x, grad_weight, grad_bias
'''
)

TEMPLATES = {"activation": ACTIVATION, "loss": LOSS, "layer": LAYER}


def class_name(name: str) -> str:
    """``my_act`` -> ``MyAct``."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_")) or "Plugin"


def check_name(kind: str, name: str, taken: list[str] | tuple[str, ...] = ()) -> None:
    """A plugin name must be a Python identifier, not a keyword, and not registered yet."""
    if kind not in KINDS:
        raise ScaffoldError(f"unknown plugin kind {kind!r}; use one of: {', '.join(KINDS)}")
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ScaffoldError(
            f"NAME {name!r} is not a valid plugin name: use a Python identifier such as "
            f"my_{kind} (letters, digits and _, not starting with a digit, not a keyword)"
        )
    if name in taken:
        article = "an" if kind == "activation" else "a"
        raise ScaffoldError(
            f"there already is {article} {kind} called {name!r} (see nn-plugins list --kind "
            f"{kind}); choose another NAME"
        )


def render(kind: str, name: str, file: str | None = None) -> str:
    """The source of a new ``kind`` plugin registered as ``name``."""
    return TEMPLATES[kind].substitute(name=name, cls=class_name(name), file=file or f"{name}.py")


def write_plugin(
    kind: str, name: str, directory: str | Path = ".", taken: list[str] | tuple[str, ...] = ()
) -> Path:
    """Write ``DIRECTORY/NAME.py``; never overwrites (``ScaffoldError`` if it exists)."""
    check_name(kind, name, taken)
    folder = Path(directory)
    path = folder / f"{name}.py"
    if path.exists():
        raise ScaffoldError(
            f"{path} already exists; nothing was written. Choose another NAME or --dir, or "
            f"move the file away first"
        )
    folder.mkdir(parents=True, exist_ok=True)
    try:  # the file as it would be typed here: relative to the working directory
        shown = str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        shown = path.name
    try:
        with path.open("x", encoding="utf-8") as f:  # "x": fail rather than overwrite
            f.write(render(kind, name, shown))
    except FileExistsError:
        raise ScaffoldError(f"{path} already exists; nothing was written") from None
    return path
