"""One autograd node per stretch of plugins (``framework.contract.chain.PluginSequential``): the
same outputs and gradients as the plugins applied one by one, bit for bit; double backward;
and the single calls back wherever something watches them (hooks, no gradient, compile)."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from framework import ACTIVATIONS, LAYERS
from framework.contract.chain import PluginSequential, chainable
from framework.data.base import DataInfo
from framework.models import build_model


def _mlp(act: str, dtype: torch.dtype = torch.float32, **options: object) -> list[nn.Module]:
    torch.manual_seed(0)
    layers = [
        LAYERS.build("linear", in_features=5, out_features=7),
        ACTIVATIONS.build(act, **options),
        LAYERS.build("linear", in_features=7, out_features=3, bias=False),
        ACTIVATIONS.build(act, **options),
        LAYERS.build("linear", in_features=3, out_features=2),
    ]
    layers = [layer.to(dtype) for layer in layers]
    nn.Sequential(*layers)(torch.randn(2, 5, dtype=dtype))  # each called once, as a builder does
    return layers


def _run(
    network: nn.Module, x: torch.Tensor, g: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor | None], object]:
    x = x.clone().requires_grad_(True)
    out = network(x)
    out.backward(g)
    return out.detach(), x.grad, [p.grad for p in network.parameters()], out.grad_fn


def _assert_same(layers: list[nn.Module], x: torch.Tensor) -> object:
    single, chained = nn.Sequential(*copy.deepcopy(layers)), PluginSequential(*layers)
    g = torch.randn_like(single(x))
    out_s, gx_s, gp_s, _ = _run(single, x, g)
    out_c, gx_c, gp_c, grad_fn = _run(chained, x, g)
    assert torch.equal(out_s, out_c)
    assert torch.equal(gx_s, gx_c)
    for a, b in zip(gp_s, gp_c, strict=True):
        assert (a is None and b is None) or torch.equal(a, b)
    return grad_fn


@pytest.mark.parametrize("act", ACTIVATIONS.names())
def test_every_activation_chains_exactly(act: str) -> None:
    x = torch.randn(6, 5) * 2
    x[0, :3] = torch.tensor([0.0, 1e4, -1e4])
    grad_fn = _assert_same(_mlp(act), x)
    assert type(grad_fn).__name__ == "_ChainBackward"  # one node for the five plugins


@pytest.mark.parametrize("act", ["relu", "gelu", "silu"])
def test_compact_activations_chain_exactly(act: str) -> None:
    assert type(_assert_same(_mlp(act, compact=True), torch.randn(6, 5))).__name__ == (
        "_ChainBackward"
    )


def _called_once(name: str) -> nn.Module:
    fn = LAYERS.get(name)
    layer = LAYERS.build(name, **fn.example)
    if fn.n_inputs == 1:
        if fn.index_input:
            layer(torch.randint(0, fn.example[fn.index_input], fn.example_input))
        else:
            layer(torch.randn(fn.example_input))
    return layer


CHAINABLE = [n for n in LAYERS.names() if chainable(_called_once(n))]


def test_which_layers_chain() -> None:
    """Layers of one input and one output chain; those with a ``training`` option (dropout,
    batch statistics) or several inputs (recurrent cells) run alone."""
    assert {"linear", "conv2d", "flatten", "layer_norm", "max_pool2d", "embedding"} <= set(
        CHAINABLE
    )
    assert not {"dropout", "batch_norm", "rnn", "lstm", "gru"} & set(CHAINABLE)
    assert not chainable(LAYERS.build("linear", in_features=2, out_features=2))  # not yet called
    pool = LAYERS.build("max_pool2d", return_indices=True)
    pool(torch.randn(1, 1, 4, 4))
    assert not chainable(pool)  # two outputs


@pytest.mark.parametrize("name", CHAINABLE)
def test_every_chainable_layer_chains_exactly(name: str) -> None:
    fn = LAYERS.get(name)
    torch.manual_seed(0)
    layers = [_called_once(name), ACTIVATIONS.build("tanh")]
    if fn.index_input:  # integer indices: no input gradient
        x = torch.randint(0, fn.example[fn.index_input], fn.example_input)
        single, chained = nn.Sequential(*copy.deepcopy(layers)), PluginSequential(*layers)
        out_s, out_c = single(x), chained(x)
        g = torch.randn_like(out_s)
        out_s.backward(g), out_c.backward(g)
        assert torch.equal(out_s, out_c)
        assert torch.equal(single[0].weight.grad, chained[0].weight.grad)
        return
    _assert_same(layers, torch.randn(fn.example_input))


@pytest.mark.parametrize("act", ["relu", "gelu", "tanh", "elu"])
def test_gradcheck_and_gradgradcheck_in_float64(act: str) -> None:
    network = PluginSequential(*_mlp(act, torch.float64))
    x = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    params = tuple(network.parameters())

    def f(x: torch.Tensor, *ps: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(
            network, dict(zip([n for n, _ in network.named_parameters()], ps, strict=True)), (x,)
        )

    assert torch.autograd.gradcheck(f, (x, *params))
    assert torch.autograd.gradgradcheck(f, (x, *params))


def test_double_backward_goes_through_the_chain() -> None:
    network = PluginSequential(*_mlp("tanh", torch.float64))
    x = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    out = network(x)
    assert type(out.grad_fn).__name__ == "_ChainBackward"
    (gx,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    (ggx,) = torch.autograd.grad(gx.square().sum(), x)
    xs = x.detach().clone().requires_grad_(True)
    (gxs,) = torch.autograd.grad(nn.Sequential(*network)(xs).sum(), xs, create_graph=True)
    (ggxs,) = torch.autograd.grad(gxs.square().sum(), xs)
    torch.testing.assert_close(gx, gxs)
    torch.testing.assert_close(ggx, ggxs)


def test_a_hook_gets_the_single_calls() -> None:
    network = PluginSequential(*_mlp("relu"))
    seen: list[torch.Tensor] = []
    handle = network[1].register_forward_hook(lambda m, i, o: seen.append(o))
    out = network(torch.randn(3, 5))
    assert len(seen) == 1 and type(seen[0].grad_fn).__name__ == "ReLUBackward"
    assert type(out.grad_fn).__name__ == "_ChainBackward"  # the stretch after the hook
    handle.remove()
    seen.clear()
    out = network(torch.randn(3, 5))
    assert type(out.grad_fn).__name__ == "_ChainBackward" and not seen
    nodes = {type(f).__name__ for f, _ in out.grad_fn.next_functions if f is not None}
    assert nodes == {"AccumulateGrad"}  # one node between the output and the parameters


def test_no_gradient_and_global_hooks_take_the_single_calls() -> None:
    network = PluginSequential(*_mlp("relu"))
    x = torch.randn(3, 5)
    with torch.no_grad():
        assert torch.equal(network(x), nn.Sequential(*network)(x))
    calls: list[nn.Module] = []
    handle = nn.modules.module.register_module_forward_hook(lambda m, i, o: calls.append(m))
    try:
        network(x)
    finally:
        handle.remove()
    assert sum(1 for m in calls if m is not network) == 5


def test_saved_tensors_pass_through_the_nodes_hooks() -> None:
    """What each plugin saves is saved by the chain node, so saved-tensor hooks see it: the
    same bytes as the single calls, besides the inputs (batch and parameters) a double backward
    recomputes from."""

    def saved_bytes(network: nn.Module, x: torch.Tensor) -> int:
        inputs = {p.untyped_storage().data_ptr() for p in network.parameters()}
        inputs.add(x.untyped_storage().data_ptr())
        sizes: dict[int, int] = {}

        def pack(t: torch.Tensor) -> torch.Tensor:
            if t.untyped_storage().data_ptr() not in inputs:
                sizes[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            network(x)
        return sum(sizes.values())

    for options in ({}, {"compact": True}):
        layers = _mlp("gelu", **options)
        x = torch.randn(3, 5, requires_grad=True)
        single = saved_bytes(nn.Sequential(*layers), x)
        assert single > 0
        assert saved_bytes(PluginSequential(*layers), x) == single


def test_models_are_built_chained_with_the_same_state_dict() -> None:
    info = DataInfo("multiclass", (64,), 10)
    network = build_model(
        {"name": "mlp", "hidden": [16, 8]}, {"name": "relu"}, info, "cross_entropy"
    )
    assert type(network) is PluginSequential
    keys = list(network.state_dict())
    assert keys == list(nn.Sequential(*network).state_dict())
    network(torch.randn(4, 64))  # a Module never called runs alone on its first call
    out = network(torch.randn(4, 64))
    assert type(out.grad_fn).__name__ == "_ChainBackward"


def test_a_convnet_chains_around_what_cannot_join() -> None:
    """max_pool2d keeps indices (intermediates) and batch_norm a training option: the stretches
    either side of them are chained, they run alone, and the results are the same."""
    torch.manual_seed(0)
    layers = [
        LAYERS.build("conv2d", in_channels=1, out_channels=4, kernel_size=3),
        LAYERS.build("batch_norm", num_features=4),
        ACTIVATIONS.build("relu"),
        LAYERS.build("max_pool2d", kernel_size=2),
        LAYERS.build("flatten"),
        LAYERS.build("linear", in_features=144, out_features=3),
        ACTIVATIONS.build("gelu"),
    ]
    x = torch.randn(2, 1, 14, 14)
    nn.Sequential(*layers)(x)  # each called once, as a model's builder does
    _assert_same(layers, x)


def test_a_plugin_inside_a_chain_sees_its_input_as_outside() -> None:
    """``x.requires_grad`` in a plugin's forward reads the same in a chain (where its input was
    computed inside the node) as when the plugin runs alone."""
    from framework import ActivationFunction, register_activation

    seen: list[bool] = []

    @register_activation("_records_requires_grad")
    class Records(ActivationFunction):
        @staticmethod
        def forward(x):
            seen.append(x.requires_grad)
            return x * 1.0

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    try:
        layers = _mlp("_records_requires_grad")
        seen.clear()
        out = PluginSequential(*layers)(torch.randn(2, 5))
        assert type(out.grad_fn).__name__ == "_ChainBackward"
        assert seen == [True, True]
        seen.clear()
        with torch.no_grad():
            PluginSequential(*layers)(torch.randn(2, 5))
        assert seen == [False, False]
    finally:
        ACTIVATIONS.unregister("_records_requires_grad")


def test_chainable_false_keeps_a_plugin_alone_and_mark_dirty_says_so() -> None:
    from framework import ActivationFunction, register_activation

    @register_activation("_in_place_double")
    class InPlaceDouble(ActivationFunction):
        @staticmethod
        def forward(x):
            return x.mul_(2)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.mark_dirty(inputs[0])

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * 2

    try:
        layers = _mlp("tanh")
        layers[1] = ACTIVATIONS.build("_in_place_double")
        layers[1](torch.randn(2, 7) + 0)  # called once
        with pytest.raises(RuntimeError, match="set `chainable = False`"):
            PluginSequential(*layers)(torch.randn(2, 5))
        InPlaceDouble.chainable = False
        _assert_same(layers, torch.randn(3, 5))
    finally:
        ACTIVATIONS.unregister("_in_place_double")


def test_the_chain_frees_what_it_saved_with_the_graph() -> None:
    """Nothing a plugin saved stays reachable once the backward has run (a kept loss or output
    keeps no activations), and nothing is kept past the graph through the node's context."""
    import gc
    import weakref

    layers = _mlp("tanh")
    network = PluginSequential(*layers)
    x = torch.randn(4, 5, requires_grad=True)
    out = network(x)
    kept = {id(x), *(id(p) for p in network.parameters())}
    saved = [
        weakref.ref(t) for t in out.grad_fn.saved_tensors if t is not None and id(t) not in kept
    ]
    step_tensors = [t for step in out.grad_fn.steps for t in (*step.to_save, *step.saved_tensors)]
    assert saved and not step_tensors  # only the node's own saved variables hold them
    out.sum().backward()
    assert all(not step.saved_tensors for step in out.grad_fn.steps)
    del out
    gc.collect()
    assert all(ref() is None for ref in saved)  # every activation it saved is gone
