"""Layer plugins against their ``torch.nn`` counterparts, with the same weights copied in.

For each layer: the output and every gradient (input and each parameter) agree with the
``torch.nn`` module's in float64 and float32; state dicts load from ``torch.nn`` (same tensor
names). Then what a generic check cannot see: batch norm's train/eval modes and running
statistics, dropout's mask, what the pooling and dropout layers save, and recurrent layers
unrolled through their cell Function, compared with ``torch.nn.RNN``/``GRU``/``LSTM``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from framework import LAYERS, LOSSES

TOLERANCES = {torch.float64: (1e-7, 1e-9), torch.float32: (1e-4, 1e-5)}

# (id, plugin name, plugin parameters, torch.nn module, input shape)
CASES: list[tuple[str, str, dict[str, Any], Callable[[], nn.Module], tuple[int, ...]]] = [
    ("linear", "linear", {"in_features": 3, "out_features": 2}, lambda: nn.Linear(3, 2), (4, 3)),
    (
        "conv1d",
        "conv1d",
        {
            "in_channels": 4,
            "out_channels": 6,
            "kernel_size": 3,
            "stride": 2,
            "padding": 1,
            "dilation": 2,
            "groups": 2,
        },
        lambda: nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2),
        (2, 4, 10),
    ),
    (
        "conv2d",
        "conv2d",
        {"in_channels": 3, "out_channels": 4, "kernel_size": (3, 2), "padding": (1, 0)},
        lambda: nn.Conv2d(3, 4, (3, 2), padding=(1, 0)),
        (2, 3, 6, 5),
    ),
    (
        "conv2d-strided-grouped",
        "conv2d",
        {
            "in_channels": 4,
            "out_channels": 2,
            "kernel_size": 3,
            "stride": 2,
            "padding": 2,
            "dilation": 2,
            "groups": 2,
            "bias": False,
        },
        lambda: nn.Conv2d(4, 2, 3, stride=2, padding=2, dilation=2, groups=2, bias=False),
        (2, 4, 7, 6),
    ),
    (
        "conv2d-same",
        "conv2d",
        {
            "in_channels": 2,
            "out_channels": 3,
            "kernel_size": [3, 5],
            "padding": "same",
            "dilation": [2, 1],
        },
        lambda: nn.Conv2d(2, 3, (3, 5), padding="same", dilation=(2, 1)),
        (2, 2, 5, 6),
    ),
    (
        "conv1d-valid",
        "conv1d",
        {"in_channels": 2, "out_channels": 3, "kernel_size": 2, "padding": "valid"},
        lambda: nn.Conv1d(2, 3, 2, padding="valid"),
        (3, 2, 6),
    ),
    (
        "max_pool2d",
        "max_pool2d",
        {"kernel_size": 3, "stride": 2, "padding": 1},
        lambda: nn.MaxPool2d(3, 2, 1),
        (2, 3, 7, 6),
    ),
    (
        "max_pool2d-ceil-dilated",
        "max_pool2d",
        {"kernel_size": 2, "stride": 2, "dilation": 2, "ceil_mode": True},
        lambda: nn.MaxPool2d(2, 2, dilation=2, ceil_mode=True),
        (2, 2, 7, 8),
    ),
    ("avg_pool2d", "avg_pool2d", {"kernel_size": 2}, lambda: nn.AvgPool2d(2), (2, 3, 5, 4)),
    (
        "avg_pool2d-padded",
        "avg_pool2d",
        {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
        lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
        (2, 3, 7, 6),
    ),
    (
        "adaptive_avg_pool2d",
        "adaptive_avg_pool2d",
        {"output_size": (3, 2)},
        lambda: nn.AdaptiveAvgPool2d((3, 2)),
        (2, 3, 7, 5),
    ),
    ("batch_norm-1d", "batch_norm", {"num_features": 3}, lambda: nn.BatchNorm1d(3), (6, 3)),
    ("batch_norm-2d", "batch_norm", {"num_features": 3}, lambda: nn.BatchNorm2d(3), (4, 3, 3, 2)),
    (
        "layer_norm",
        "layer_norm",
        {"normalized_shape": (3, 4)},
        lambda: nn.LayerNorm((3, 4)),
        (2, 3, 4),
    ),
    ("dropout", "dropout", {"p": 0.3}, lambda: nn.Dropout(0.3), (4, 5)),
    ("flatten", "flatten", {}, lambda: nn.Flatten(), (2, 3, 2, 2)),
    (
        "embedding",
        "embedding",
        {"num_embeddings": 7, "embedding_dim": 3, "padding_idx": 2},
        lambda: nn.Embedding(7, 3, padding_idx=2),
        (4, 5),
    ),
    (
        "rnn",
        "rnn",
        {"input_size": 3, "hidden_size": 4, "num_layers": 2},
        lambda: nn.RNN(3, 4, num_layers=2),
        (5, 2, 3),
    ),
    (
        "gru",
        "gru",
        {"input_size": 3, "hidden_size": 4, "num_layers": 2, "batch_first": True},
        lambda: nn.GRU(3, 4, num_layers=2, batch_first=True),
        (2, 5, 3),
    ),
    (
        "lstm",
        "lstm",
        {"input_size": 3, "hidden_size": 4, "num_layers": 2, "batch_first": True},
        lambda: nn.LSTM(3, 4, num_layers=2, batch_first=True),
        (2, 5, 3),
    ),
    (
        "lstm-no-bias",
        "lstm",
        {"input_size": 3, "hidden_size": 2, "bias": False},
        lambda: nn.LSTM(3, 2, bias=False),
        (4, 3, 3),
    ),
]


def _pair_of_modules(
    name: str, params: dict[str, Any], native: Callable[[], nn.Module], dtype: torch.dtype
) -> tuple[nn.Module, nn.Module]:
    """The plugin's Module and the torch.nn one, with the same random (not default) weights."""
    torch.manual_seed(0)
    theirs = native().to(dtype)
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(-1, 1)  # batch norm's γ = 1, β = 0 would hide a missing term
    ours = LAYERS.build(name, **params).to(dtype)
    ours.load_state_dict(theirs.state_dict())  # strict: the same tensor names
    return ours, theirs


def _input(name: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    gen = torch.Generator().manual_seed(1)
    if name == "embedding":
        return torch.randint(0, 7, shape, generator=gen)
    return torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype).requires_grad_(True)


def _tensors(out: Any) -> list[torch.Tensor]:
    """The tensors in a (nested) output: ``(output, (h_n, c_n))`` -> three tensors."""
    if isinstance(out, torch.Tensor):
        return [out]
    return [t for o in out for t in _tensors(o)]


def _run(module: nn.Module, x: torch.Tensor, *extra: Any) -> list[torch.Tensor]:
    """Outputs, then gradients w.r.t. the input and every parameter (random output gradients)."""
    with torch.random.fork_rng():
        torch.manual_seed(2)  # dropout: the same mask on both sides
        outs = _tensors(module(x, *extra))
    gen = torch.Generator().manual_seed(3)
    grads_out = [torch.randn(o.shape, generator=gen, dtype=torch.float64).to(o.dtype) for o in outs]
    wrt = [t for t in (x, *_tensors(extra), *module.parameters()) if t.requires_grad]
    grads = torch.autograd.grad(outs, wrt, grads_out) if wrt else []
    return [o.detach() for o in outs] + list(grads)


def _assert_close(mine: list[torch.Tensor], theirs: list[torch.Tensor], dtype: torch.dtype) -> None:
    rtol, atol = TOLERANCES[dtype]
    assert len(mine) == len(theirs)
    for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        scale = 1.0 if dtype is torch.float64 else max(1.0, float(b.abs().max()))
        torch.testing.assert_close(a, b, rtol=rtol, atol=atol * scale, msg=f"tensor {i}")


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(
    ("name", "params", "native", "shape"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_agrees_with_torch_nn(name, params, native, shape, dtype) -> None:
    ours, theirs = _pair_of_modules(name, params, native, dtype)
    x = _input(name, shape, dtype)
    _assert_close(_run(ours, x), _run(theirs, x), dtype)
    for (key, a), b in zip(ours.state_dict().items(), theirs.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, msg=key)  # running statistics updated alike


@pytest.mark.parametrize("name", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_recurrent_with_initial_state_matches_torch_nn(name: str, batch_first: bool) -> None:
    native = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[name]
    ours, theirs = _pair_of_modules(
        name,
        {"input_size": 3, "hidden_size": 4, "num_layers": 3, "batch_first": batch_first},
        lambda: native(3, 4, num_layers=3, batch_first=batch_first),
        torch.float64,
    )
    assert set(ours.state_dict()) == set(theirs.state_dict())
    x = _input(name, (2, 4, 3) if batch_first else (4, 2, 3), torch.float64)  # N = 2, L = 4
    states = [torch.randn(3, 2, 4, dtype=torch.float64, requires_grad=True) for _ in range(2)]
    hx = tuple(states) if name == "lstm" else states[0]
    _assert_close(_run(ours, x, hx), _run(theirs, x, hx), torch.float64)


@pytest.mark.parametrize("name", ["rnn", "gru", "lstm"])
def test_recurrent_unbatched_input(name: str) -> None:
    native = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[name]
    ours, theirs = _pair_of_modules(
        name, {"input_size": 3, "hidden_size": 2}, lambda: native(3, 2), torch.float64
    )
    x = _input(name, (4, 3), torch.float64)
    _assert_close(_run(ours, x), _run(theirs, x), torch.float64)


@pytest.mark.parametrize("name", ["rnn", "gru", "lstm"])
def test_every_recurrent_step_is_the_cell_function(name: str) -> None:
    cell = LAYERS.get(name)
    layer = LAYERS.build(name, input_size=3, hidden_size=4, num_layers=2)
    output, h_n = layer(torch.randn(5, 2, 3))
    h_n = h_n[0] if name == "lstm" else h_n
    steps = [node for node, _ in output.grad_fn.next_functions]  # stacked from the steps
    assert len(steps) == 5
    assert all(node._forward_cls is cell for node in steps)
    assert all(node._forward_cls is cell for node, _ in h_n.grad_fn.next_functions)
    # each step's node leads to the previous step's node of the same layer
    previous = {id(n) for n, _ in steps[2].next_functions if n is not None}
    assert id(steps[1]) in previous


def test_recurrent_module_parameters_and_errors() -> None:
    lstm = LAYERS.build("lstm", input_size=3, hidden_size=4, num_layers=2, bias=False)
    assert [n for n, _ in lstm.named_parameters()] == [
        "weight_ih_l0",
        "weight_hh_l0",
        "weight_ih_l1",
        "weight_hh_l1",
    ]
    assert lstm.weight_ih_l1.shape == (16, 4)
    assert "num_layers=2" in repr(lstm) and type(lstm).__name__ == "LSTM"
    with pytest.raises(TypeError, match=r"has no parameter 'num_layer'.*num_layers=1"):
        LAYERS.build("gru", input_size=3, hidden_size=4, num_layer=2)
    with pytest.raises(TypeError, match="needs hidden_size"):
        LAYERS.build("rnn", input_size=3)


# -- batch norm -------------------------------------------------------------------------------
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_running_statistics_train_then_eval(momentum) -> None:
    ours, theirs = _pair_of_modules(
        "batch_norm",
        {"num_features": 3, "momentum": momentum},
        lambda: nn.BatchNorm2d(3, momentum=momentum),
        torch.float64,
    )
    gen = torch.Generator().manual_seed(4)
    for _ in range(3):  # training: batch statistics, running estimates updated alike
        x = (torch.randn(4, 3, 2, 2, generator=gen, dtype=torch.float64) * 3 + 1).requires_grad_()
        _assert_close(_run(ours, x), _run(theirs, x), torch.float64)
    assert int(ours.num_batches_tracked) == 3
    for key in ("running_mean", "running_var", "num_batches_tracked"):
        torch.testing.assert_close(getattr(ours, key), getattr(theirs, key), msg=key)
    assert not torch.allclose(ours.running_var, torch.ones(3, dtype=torch.float64))
    ours.eval(), theirs.eval()  # eval: the running estimates, which stay as they are
    before = ours.running_mean.clone()
    x = torch.randn(4, 3, 2, 2, generator=gen, dtype=torch.float64, requires_grad=True)
    _assert_close(_run(ours, x), _run(theirs, x), torch.float64)
    assert torch.equal(ours.running_mean, before) and int(ours.num_batches_tracked) == 3


def test_batch_norm_eval_mode_gradcheck_and_gradgradcheck() -> None:
    fn = LAYERS.get("batch_norm")
    gen = torch.Generator().manual_seed(5)
    x, weight, bias = (
        torch.randn(shape, generator=gen, dtype=torch.float64, requires_grad=True)
        for shape in ((4, 3, 2), (3,), (3,))
    )
    running_mean = torch.randn(3, generator=gen, dtype=torch.float64)
    running_var = torch.rand(3, generator=gen, dtype=torch.float64) + 0.5

    def call(x, weight, bias):
        return fn.apply(x, weight, bias, running_mean, running_var, None, False)

    assert torch.autograd.gradcheck(call, (x, weight, bias))
    assert torch.autograd.gradgradcheck(call, (x, weight, bias))


def test_batch_norm_without_running_statistics_uses_the_batch() -> None:
    ours, theirs = _pair_of_modules(
        "batch_norm",
        {"num_features": 3, "track_running_stats": False, "affine": False},
        lambda: nn.BatchNorm1d(3, track_running_stats=False, affine=False),
        torch.float64,
    )
    ours.eval(), theirs.eval()
    x = _input("batch_norm", (5, 3), torch.float64)
    _assert_close(_run(ours, x), _run(theirs, x), torch.float64)
    assert list(ours.state_dict()) == []


def test_batch_norm_one_value_per_channel_is_an_error_in_training() -> None:
    bn = LAYERS.build("batch_norm", num_features=3)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(torch.randn(1, 3))
    bn.eval()(torch.randn(1, 3))  # eval mode uses the running statistics: fine


# -- dropout ----------------------------------------------------------------------------------
def _saved_by(call: Callable[[], torch.Tensor]) -> list[torch.Tensor]:
    """The tensors autograd saves for the backward while ``call`` runs."""
    saved: list[torch.Tensor] = []

    def pack(t: torch.Tensor) -> torch.Tensor:
        saved.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        call()
    return saved


def test_dropout_saves_a_packed_bit_mask_and_matches_its_gradient() -> None:
    drop = LAYERS.build("dropout", p=0.4)
    x = torch.randn(50, 20, requires_grad=True)
    saved = _saved_by(lambda: drop(x))
    assert [(t.dtype, t.shape) for t in saved] == [(torch.uint8, (x.numel() // 8,))]  # 1 bit each
    torch.manual_seed(0)
    y = drop(x)
    (grad,) = torch.autograd.grad(y, x, torch.ones_like(y))
    kept = y != 0
    assert 0.45 < kept.double().mean() < 0.75
    torch.testing.assert_close(y[kept], x[kept] / 0.6)
    torch.testing.assert_close(grad, kept.float() / 0.6)


def test_dropout_is_the_identity_in_eval_mode_and_when_p_is_0() -> None:
    x = torch.randn(4, 5, requires_grad=True)
    for drop in (LAYERS.build("dropout", p=0.5).eval(), LAYERS.build("dropout", p=0.0)):
        assert _saved_by(lambda d=drop: d(x)) == []
        y = drop(x)
        assert torch.equal(y, x)
        g = torch.randn(4, 5)
        assert torch.equal(torch.autograd.grad(y, x, g)[0], g)
        assert type(y.grad_fn)._forward_cls is LAYERS.get("dropout")


def test_dropout_p_1_gives_zeros_and_zero_gradient() -> None:
    x = torch.randn(4, 5, requires_grad=True)
    y = LAYERS.build("dropout", p=1.0)(x)
    (grad,) = torch.autograd.grad(y.sum(), x)
    assert torch.equal(y, torch.zeros_like(x)) and torch.equal(grad, torch.zeros_like(x))


# -- what the pooling layers save ------------------------------------------------------------
def test_max_pool_saves_one_byte_per_output() -> None:
    x = torch.randn(2, 3, 8, 8, requires_grad=True)
    pool = LAYERS.build("max_pool2d", kernel_size=2)
    saved = _saved_by(lambda: pool(x))
    assert [(t.dtype, tuple(t.shape)) for t in saved] == [(torch.uint8, (2, 3, 4, 4))]


def test_avg_and_adaptive_pool_save_no_tensor() -> None:
    x = torch.randn(2, 3, 8, 8, requires_grad=True)
    assert _saved_by(lambda: LAYERS.build("avg_pool2d")(x)) == []
    assert _saved_by(lambda: LAYERS.build("adaptive_avg_pool2d", output_size=3)(x)) == []


def test_unbatched_pooling_matches_torch() -> None:
    x = torch.randn(3, 7, 6, dtype=torch.float64, requires_grad=True)
    for name, params, native in [
        ("max_pool2d", {"kernel_size": 3, "stride": 2}, nn.MaxPool2d(3, 2)),
        ("avg_pool2d", {"kernel_size": 2}, nn.AvgPool2d(2)),
        ("adaptive_avg_pool2d", {"output_size": (2, 4)}, nn.AdaptiveAvgPool2d((2, 4))),
    ]:
        _assert_close(_run(LAYERS.build(name, **params), x), _run(native, x), torch.float64)


def test_tensor_options_keep_their_dtype_and_lists_follow_the_input() -> None:
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(6, 5, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 5, (6,), generator=gen)
    w = torch.rand(5, generator=gen, dtype=torch.float64) + 0.1  # not exact in float32
    loss = LOSSES.build("cross_entropy", weight=w)
    assert loss.weight_option.dtype is torch.float64
    torch.testing.assert_close(loss(x, y), F.cross_entropy(x, y, weight=w), rtol=1e-12, atol=0)
    from_list = LOSSES.build("cross_entropy", weight=w.tolist())
    for like in (x, x.float()):
        given = dict(zip(from_list._passed, from_list.option_values(like), strict=True))
        assert given["weight"].dtype is like.dtype
    torch.testing.assert_close(from_list(x, y), F.cross_entropy(x, y, weight=w), rtol=1e-12, atol=0)
    logits = LOSSES.build("bce_with_logits", weight=w, pos_weight=w.flip(0))
    t = torch.rand(6, 5, generator=gen, dtype=torch.float64).round()
    native = F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=w.flip(0))
    torch.testing.assert_close(logits(x, t), native, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", ["conv1d", "conv2d"])
def test_unbatched_convolution_gradients(name: str) -> None:
    params = {"in_channels": 2, "out_channels": 3, "kernel_size": 2, "stride": 2}
    native = (nn.Conv1d if name == "conv1d" else nn.Conv2d)(2, 3, 2, stride=2)
    ours, theirs = _pair_of_modules(name, params, lambda: native, torch.float64)
    x = _input(name, (2, 7) if name == "conv1d" else (2, 5, 6), torch.float64)
    _assert_close(_run(ours, x), _run(theirs, x), torch.float64)
    torch.autograd.gradcheck(ours, (x,))
