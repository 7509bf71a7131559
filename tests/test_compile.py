"""Plugins under torch.compile (no graph breaks, same values as eager), torch.func, and CUDA."""

from __future__ import annotations

import pytest
import torch

from framework import ACTIVATIONS, LAYERS, LOSSES
from framework.verification.checking import compare, make_case

REGISTRIES = {"activation": ACTIVATIONS, "loss": LOSSES, "layer": LAYERS}
ALL = [(k, e.name) for k, r in REGISTRIES.items() for e in r.entries()]
IDS = [f"{k}:{n}" for k, n in ALL]


def _case(kind: str, name: str, dtype: torch.dtype = torch.float32):
    fn = REGISTRIES[kind].get(name)
    case = make_case(fn, {}, dtype)
    case.module.eval()  # dropout: the same (no) randomness in both runs
    return fn, case


def _run(call, case) -> list[torch.Tensor]:
    tensors = case.with_grad()
    out = call(*tensors)
    outs = [o for o in (out if isinstance(out, tuple) else (out,)) if torch.is_tensor(o)]
    total = sum(o.double().sum() for o in outs if o.is_floating_point())
    diff = [t for t in tensors if t is not None and t.requires_grad]
    grads = torch.autograd.grad(total, diff, allow_unused=True) if diff else []
    return [o.detach() for o in outs] + [g for g in grads if g is not None]


@pytest.mark.parametrize(("kind", "name"), ALL, ids=IDS)
def test_compiles_without_graph_breaks_and_matches_eager(kind: str, name: str) -> None:
    _, case = _case(kind, name)
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(case.call)(*case.with_grad())
    assert explanation.graph_break_count == 0, explanation.break_reasons
    compiled = torch.compile(case.call, backend="aot_eager", fullgraph=True)
    eager, traced = _run(case.call, case), _run(compiled, case)
    assert len(eager) == len(traced)
    for a, b in zip(eager, traced, strict=True):
        torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_inductor_compiled_mlp_matches_eager() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        LAYERS.build("linear", in_features=16, out_features=32),
        ACTIVATIONS.build("gelu"),
        LAYERS.build("linear", in_features=32, out_features=4),
    )
    loss = LOSSES.build("cross_entropy")
    x, y = torch.randn(8, 16), torch.randint(0, 4, (8,))
    eager = loss(model(x), y)
    eager.backward()
    eager_grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    compiled = torch.compile(lambda x, y: loss(model(x), y))(x, y)
    compiled.backward()
    torch.testing.assert_close(compiled, eager)
    for p, g in zip(model.parameters(), eager_grads, strict=True):
        torch.testing.assert_close(p.grad, g, rtol=1e-5, atol=1e-6)


VMAPPABLE = [e.name for e in ACTIVATIONS.entries() if getattr(e.cls, "generate_vmap_rule", False)]


@pytest.mark.parametrize("name", VMAPPABLE)
def test_activation_under_vmap_and_grad(name: str) -> None:
    module = ACTIVATIONS.build(name).double()
    x = torch.randn(3, 4, 5, dtype=torch.float64)
    batched = torch.func.vmap(module)(x)
    torch.testing.assert_close(batched, torch.stack([module(row) for row in x]))
    per_sample = torch.func.vmap(torch.func.grad(lambda row: module(row).sum()))(x)
    xr = x.clone().requires_grad_(True)
    module(xr).sum().backward()
    if name not in ("softmax", "log_softmax", "prelu"):  # per-row reductions / shared weight
        torch.testing.assert_close(per_sample, xr.grad)
    assert per_sample.shape == x.shape


def test_most_activations_declare_vmap_support() -> None:
    assert len(VMAPPABLE) >= len(ACTIVATIONS.entries()) - 2


@pytest.mark.cuda
@pytest.mark.parametrize(("kind", "name"), ALL, ids=IDS)
def test_agrees_with_native_on_cuda(kind: str, name: str) -> None:
    fn, case = _case(kind, name)
    case.module.to("cuda")
    case.tensors = [t.to("cuda") if t is not None else None for t in case.tensors]
    result = compare(fn, case, torch.float32)
    assert result.passed, result.detail


@pytest.mark.slow
def test_model_compile_trains_the_steps_compiled_and_checkpoints_as_eager(tmp_path) -> None:
    """model.compile=true: the steps run compiled graphs (dynamo counts them), the callbacks'
    own forwards (default logging) cause no recompilation warning, the checkpoint has the eager
    network's keys and load_model reads it; the same test accuracy as without compiling."""
    from conftest import run_cli
    from tb import load_events, scalar_values

    from framework import load_model

    args = ["data=iris", "trainer.max_epochs=2", "seed=1"]
    compiled = run_cli(
        "nn-train", *args, "model.compile=true", "hydra.run.dir=compiled",
        "hydra.job_logging.root.level=INFO", cwd=tmp_path,
        env={"TORCH_LOGS": "graph_breaks,recompiles"},
    )  # fmt: skip
    assert compiled.returncode == 0, compiled.stderr[-3000:]
    assert "recompile_limit" not in compiled.stderr and "Graph break" not in compiled.stderr
    eager = run_cli("nn-train", *args, "hydra.run.dir=eager", cwd=tmp_path)
    assert eager.returncode == 0, eager.stderr[-3000:]
    ckpt = torch.load(tmp_path / "compiled" / "checkpoints" / "last.ckpt", weights_only=True)
    reference = torch.load(tmp_path / "eager" / "checkpoints" / "last.ckpt", weights_only=True)
    assert list(ckpt["state_dict"]) == list(reference["state_dict"])
    assert load_model(tmp_path / "compiled" / "checkpoints" / "last.ckpt") is not None
    acc = [scalar_values(load_events(tmp_path / d), "test/acc")[-1] for d in ("compiled", "eager")]
    assert acc[0] == pytest.approx(acc[1], abs=0.03)


def test_compile_network_runs_the_steps_through_dynamo() -> None:
    """The compiled wrapper is what the steps call, and it is not a submodule."""
    from framework.data.base import DataInfo
    from framework.training.task import TaskModule

    info = DataInfo("multiclass", (4,), 3)
    model = torch.nn.Sequential(LAYERS.build("linear", in_features=4, out_features=3))
    config = {"model": {"name": "mlp"}}
    module = TaskModule(model, LOSSES.build("cross_entropy"), torch.optim.SGD, info, config)
    module.compile_network()
    assert "_compiled" not in dict(module.named_children())
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    module.__dict__["_compiled"](torch.randn(5, 4))
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] >= 1
