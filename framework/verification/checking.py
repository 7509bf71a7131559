"""Verifying a plugin's hand-written backward: ``nn-plugins check`` and the conformance tests.

For each plugin: ``gradcheck`` and ``gradgradcheck`` in float64; agreement of the output and of
every gradient with a reference (the plugin's native ``reference`` op, else autograd through its
own ``forward``) in float64, float32 and bfloat16; edge inputs (zeros, kinks, ±1e3, tiny values,
empty and non-contiguous tensors) finite wherever the reference is; the output's ``grad_fn``
belonging to the plugin's own Function; and what ``backward`` itself returns (one gradient per
tensor, of its dtype and shape: autograd would cast a wrong dtype silently). A failure says where:
the input, the worst element, the analytic and expected values side by side, for activations the
range of x where the derivative (or, for ``gradgradcheck``, the second derivative) is wrong, and
for a crash the file and line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from framework.contract.function import PluginFunction, visible
from framework.contract.module import PluginModule, function_module_class
from framework.contract.registries import REGISTRIES

TOLERANCES = {  # (rtol, atol) of agreement with the reference
    torch.float64: (1e-7, 1e-9),
    torch.float32: (1e-4, 1e-5),
    torch.bfloat16: (3e-2, 3e-2),
}


@dataclass
class CheckResult:
    """One named check of one plugin."""

    check: str
    passed: bool
    detail: str = ""
    skipped: bool = False


@dataclass
class PluginReport:
    """Every check of one plugin (with one set of parameters)."""

    kind: str
    name: str
    params: dict[str, Any]
    results: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]


@dataclass
class Case:
    """Plugin arguments: data inputs and learnable tensors (``tensors``), options by name.

    ``frozen`` names the tensors that get no gradient: buffers (running statistics).
    """

    tensors: list[torch.Tensor]
    names: list[str]
    module: PluginModule
    frozen: frozenset[str] = frozenset()

    @property
    def hidden(self) -> int:
        return self.module.n_hidden

    def differentiable(self) -> list[bool]:
        """Which tensors a gradient is computed for: real-valued, not buffers."""
        return [
            t is not None and t.is_floating_point() and n not in self.frozen
            for n, t in zip(self.names, self.tensors, strict=True)
        ]

    def with_grad(self) -> list[Any]:
        """Fresh copies of the tensors (a forward may update buffers), differentiable ones
        requiring grad."""
        return [
            None if t is None else t.detach().clone().requires_grad_(d)
            for t, d in zip(self.tensors, self.differentiable(), strict=True)
        ]

    def call(self, *tensors: torch.Tensor) -> Any:
        return visible(self.module.function.apply(*tensors, *self.option_values()), self.hidden)

    def option_values(self) -> list[Any]:
        return self.module.option_values()

    def options(self) -> dict[str, Any]:
        return self.module.option_dict()


# -- entry point ----------------------------------------------------------------------------------
def check_plugin(kind: str, name: str, **params: Any) -> list[PluginReport]:
    """Run every check on plugin ``name`` of ``kind``; one report per parameter variant."""
    fn = REGISTRIES[kind].get(name)
    variants = [params] if params else list(getattr(fn, "check_variants", ({},)))
    return [_check_variant(kind, name, fn, dict(v)) for v in variants]


def _check_variant(kind: str, name: str, fn: type[PluginFunction], params: dict) -> PluginReport:
    """``params`` may carry ``_target`` / ``_input_domain`` to override the loss's declared
    target kind and input domain for this variant (e.g. probability targets)."""
    report = PluginReport(kind, name, params)
    try:
        case = make_case(fn, params, torch.float64)
    except Exception as exc:
        report.results.append(CheckResult("build", False, f"{type(exc).__name__}: {exc}"))
        return report
    checks: list[tuple[str, Callable[[], CheckResult | None]]] = [
        ("grad_fn", lambda: _check_grad_fn(case)),
        ("gradient types", lambda: _check_grad_types(fn, params)),
        ("gradcheck", lambda: _check_gradcheck(case, second_order=False)),
        ("gradgradcheck", lambda: _check_gradcheck(case, second_order=True)),
        ("backward_in_place", lambda: _check_in_place(case)),
        ("compact", lambda: _check_compact(fn, params)),
        ("reference float64", lambda: _check_agreement(fn, params, torch.float64)),
        ("reference float32", lambda: _check_agreement(fn, params, torch.float32)),
        ("reference bfloat16", lambda: _check_agreement(fn, params, torch.bfloat16)),
        ("edge inputs", lambda: _check_edges(fn, params)),
    ]
    for label, check in checks:
        try:
            result = check()
        except Exception as exc:  # a crash in the plugin is a failed check, reported as such
            result = CheckResult(label, False, _raised(exc))
        if result is not None:
            result.check = label
            report.results.append(result)
    return report


# -- inputs ---------------------------------------------------------------------------------------
def make_case(
    fn: type[PluginFunction],
    params: dict[str, Any],
    dtype: torch.dtype,
    x: torch.Tensor | None = None,
    seed: int = 0,
) -> Case:
    """Example arguments for ``fn``: ``x`` (or random inputs away from its kinks) and targets.

    A layer's further inputs (a recurrent cell's states) are random, batched like ``x``; for a
    recurrent cell the Module is the one applying a single step.
    """
    gen = torch.Generator().manual_seed(seed)
    kind = fn.plugin_kind
    meta = {k: v for k, v in params.items() if k.startswith("_")}
    params = {k: v for k, v in params.items() if not k.startswith("_")}
    build_params = {**getattr(fn, "example", {}), **params} if kind == "layer" else params
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        module = function_module_class(fn)(**build_params).to(torch.float64)
    shapes = input_shapes(fn)
    domain = meta.get("_input_domain", getattr(fn, "input_domain", "real"))
    if x is None:
        x = to_domain(_example_x(fn, build_params, shapes[0], gen), domain, random=True)
    else:
        x = to_domain(x, domain, random=False)
    tensors = [x]
    names = [module.signature.inputs[0]]
    frozen = {n for n, _ in module.named_buffers()}
    if kind == "loss":
        target = make_target(fn, x, gen, meta.get("_target"))
        tensors.append(target)
        names.append(module.signature.inputs[1])
        if target.is_floating_point() and not _differentiates_target(module, x, target):
            frozen.add(names[-1])  # the loss declares no gradient for its target
    else:
        for name, shape in zip(module.signature.inputs[1:], shapes[1:], strict=True):
            shape = (x.shape[0], *shape[1:])
            tensors.append(torch.randn(shape, generator=gen, dtype=torch.float64))
            names.append(name)
    for name in module.signature.learnables:
        value = getattr(module, name)
        tensors.append(value.detach().clone() if value is not None else None)
        names.append(name)
    tensors = [_cast(t, dtype) for t in tensors]
    module.to(dtype)
    case = Case(tensors, names, module, frozenset(frozen))
    case.params = {**params, **meta}
    return case


def to_domain(x: torch.Tensor, domain: str, random: bool) -> torch.Tensor:
    """Inputs a loss accepts: probabilities in [0, 1] or positive values (e.g. Poisson rates)."""
    if not x.is_floating_point() or domain == "real":
        return x
    if domain == "probability":
        return torch.sigmoid(x) if random else x.clamp(0, 1)
    if domain == "positive":
        return torch.exp(x / 2) if random else x.abs()
    raise ValueError(f"unknown input_domain {domain!r}; use 'real', 'probability' or 'positive'")


def _differentiates_target(module: PluginModule, x: torch.Tensor, target: torch.Tensor) -> bool:
    """Whether the loss's backward returns a gradient for a real-valued target."""
    xs, ts = x.detach().clone().requires_grad_(True), target.detach().clone().requires_grad_(True)
    out = visible(module.function.apply(xs, ts, *module.option_values()), module.n_hidden)
    out = out[0] if isinstance(out, tuple) else out
    if not out.requires_grad:
        return False
    (grad,) = torch.autograd.grad(out.sum(), [ts], allow_unused=True)
    return grad is not None


def input_shapes(fn: type[PluginFunction]) -> list[tuple[int, ...]]:
    """The example shape of each data input (a loss's target takes the prediction's)."""
    if fn.plugin_kind != "layer" and getattr(fn, "example_input", None) is None:
        return [(4, 5)]
    example = tuple(getattr(fn, "example_input", None) or (4, 3))
    if example and isinstance(example[0], (tuple, list)):
        return [tuple(shape) for shape in example]
    return [example]


def _example_x(
    fn: type[PluginFunction], params: dict[str, Any], shape: tuple[int, ...], gen: torch.Generator
) -> torch.Tensor:
    bound = getattr(fn, "index_input", None)
    if bound:
        return torch.randint(0, params[bound], shape, generator=gen)
    x = torch.randn(shape, generator=gen, dtype=torch.float64) * 2
    return _away_from_kinks(x, fn.kinks)


def make_target(
    fn: type[PluginFunction], x: torch.Tensor, gen: torch.Generator, kind: str | None = None
) -> torch.Tensor:
    """A target of the kind the loss declares, for the prediction ``x`` of shape (m, C, ...):
    ``class_index`` (m, ...) integers, ``sample_sign`` one ±1 per sample, or like ``x``."""
    kind = kind or getattr(fn, "target", "same")
    if kind == "class_index":
        shape = (*x.shape[:1], *x.shape[2:])
        return torch.randint(0, max(x.shape[1], 1) if x.dim() > 1 else 1, shape, generator=gen)
    if kind == "sample_sign":
        return torch.randint(0, 2, x.shape[:1], generator=gen).to(x.dtype) * 2 - 1
    if kind == "binary":
        return torch.randint(0, 2, x.shape, generator=gen).to(x.dtype)
    if kind == "sign":
        return torch.randint(0, 2, x.shape, generator=gen).to(x.dtype) * 2 - 1
    if kind == "probability":
        return torch.softmax(torch.randn(x.shape, generator=gen, dtype=x.dtype), dim=-1)
    return torch.randn(x.shape, generator=gen, dtype=x.dtype)


def _away_from_kinks(x: torch.Tensor, kinks: Sequence[float], gap: float = 1e-2) -> torch.Tensor:
    for k in kinks:
        near = (x - k).abs() < gap
        x = torch.where(near, x + 2 * gap * torch.sign(x - k + 1e-12), x)
    return x


def _cast(t: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    if t is None or not t.is_floating_point():
        return t
    return t.to(dtype)


@contextlib.contextmanager
def _same_randomness(seed: int = 0) -> Iterator[None]:
    """Every call sees the same random numbers (dropout masks), so gradients can be compared."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        yield


# -- checks ---------------------------------------------------------------------------------------
def _check_grad_fn(case: Case) -> CheckResult:
    tensors = case.with_grad()
    out = _first(case.call(*tensors))
    owner = getattr(type(out.grad_fn), "_forward_cls", None)
    fn = case.module.function
    if owner is fn:
        return CheckResult("grad_fn", True)
    return CheckResult(
        "grad_fn",
        False,
        f"the output's grad_fn is {type(out.grad_fn).__name__}, not {fn.__name__}'s own "
        f"backward: forward must return a tensor computed by this Function",
    )


def _check_gradcheck(case: Case, second_order: bool) -> CheckResult:
    fn = case.module.function
    reason = getattr(fn, "once_differentiable", None)
    if second_order and reason:
        return CheckResult("", True, f"skipped: once_differentiable ({reason})", skipped=True)
    tensors = case.with_grad()

    def call(*ts: torch.Tensor) -> Any:
        with _same_randomness():
            return case.call(*ts)

    from torch.autograd.gradcheck import GradcheckError

    check = torch.autograd.gradgradcheck if second_order else torch.autograd.gradcheck
    try:
        ok = check(call, tuple(tensors), raise_exception=True)
    except GradcheckError as exc:
        detail = _first_line(str(exc))
        if second_order:
            located = _locate_second_order_mismatch(case, tensors)
        else:
            located = _locate_mismatch(case, tensors, numeric=True)
        return CheckResult("", False, located or detail)
    except Exception as exc:  # a crash inside forward or backward
        return CheckResult("", False, _raised(exc))
    return CheckResult("", bool(ok))


def _check_in_place(case: Case) -> CheckResult | None:
    """``backward_in_place`` (used without ``create_graph``) against ``backward`` (the formula,
    used with it): the same gradients, in float64 and float32."""
    fn = case.module.function
    if fn.backward_in_place is None:
        return None
    for dtype in (torch.float64, torch.float32):
        case = make_case(fn, case_params(case), dtype)
        tensors = case.with_grad()
        wanted = [t for t, d in zip(tensors, case.differentiable(), strict=True) if d]
        with _same_randomness():
            out = case.call(*tensors)
        outs = [o for o in (out if isinstance(out, tuple) else (out,)) if o.requires_grad]
        gen = torch.Generator().manual_seed(2)
        grads = [torch.randn(o.shape, generator=gen, dtype=torch.float64).to(o.dtype) for o in outs]
        in_place = torch.autograd.grad(outs, wanted, grads, retain_graph=True, allow_unused=True)
        formula = torch.autograd.grad(outs, wanted, grads, create_graph=True, allow_unused=True)
        rtol, atol = TOLERANCES[dtype]
        for name, a, b in zip(case.names, in_place, formula, strict=False):
            if a is None or b is None:
                continue
            if not torch.allclose(a, b.detach(), rtol=rtol, atol=atol, equal_nan=True):
                worst = (a - b.detach()).abs().max().item()
                return CheckResult(
                    "",
                    False,
                    f"backward_in_place and backward disagree on the gradient w.r.t. {name} in "
                    f"{dtype} (largest difference {worst:.3g}): both must compute the same "
                    f"derivative",
                )
    return CheckResult("", True)


def case_params(case: Case) -> dict[str, Any]:
    """The parameters ``case`` was built with (for a rebuild in another dtype)."""
    return getattr(case, "params", {})


def _check_compact(fn: type[PluginFunction], params: dict[str, Any]) -> CheckResult | None:
    """An element-wise compact declaration (``framework.contract.compact``): the derivative compact
    mode uses, on a dense grid of inputs in [-8, 8] and at ±1e3, is within the declared ``error``
    of the exact one (equal for ``OneBit``), away from the kinks. Reports the largest error."""
    from framework.contract.compact import IntervalTable, OneBit

    declaration = fn.compact
    if not isinstance(declaration, OneBit | IntervalTable):
        return None
    x = torch.cat((torch.linspace(-8, 8, 16001, dtype=torch.float64), torch.tensor([-1e3, 1e3])))
    x = x.reshape(1, -1)
    away = torch.ones_like(x, dtype=torch.bool)
    for k in fn.kinks:
        away &= (x - k).abs() > 1e-9
    slopes = []
    for compact in (False, True):
        case = make_case(fn, {**params, "compact": compact}, torch.float64, x=x)
        (xs,) = [t for t in case.with_grad()[:1]]
        out = _first(case.call(xs, *case.tensors[1:]))
        (grad,) = torch.autograd.grad(out, xs, torch.ones_like(out))
        slopes.append(grad)
    error = (slopes[1] - slopes[0]).abs()[away].max().item()
    bound = float(declaration.error or 0.0)
    if bound:
        detail = f"compact derivative within {error:.3g} of f' (stated bound {bound:g})"
    elif error == 0:
        detail = "compact derivative exact"
    else:
        detail = f"compact derivative off by {error:.3g} (declared exact)"
    return CheckResult("", error <= bound + 1e-9, detail)


def _check_grad_types(fn: type[PluginFunction], params: dict[str, Any]) -> CheckResult:
    """What backward itself returns, before autograd validates it (and silently casts a wrong
    dtype): one gradient per tensor, of the tensor's dtype and (broadcastable) shape."""
    problems: list[str] = []
    for dtype in (torch.float64, torch.float32):
        case = make_case(fn, params, dtype)
        tensors = case.with_grad()
        with _same_randomness():
            out = case.call(*tensors)
        outs = [o for o in (out if isinstance(out, tuple) else (out,))]
        node = next((o.grad_fn for o in outs if isinstance(o, torch.Tensor) and o.grad_fn), None)
        if node is None or getattr(type(node), "_forward_cls", None) is not fn:
            return CheckResult("", True)  # the grad_fn check reports this
        gen = torch.Generator().manual_seed(1)
        grads = [
            torch.randn(o.shape, generator=gen, dtype=torch.float64).to(o.dtype)
            if isinstance(o, torch.Tensor) and o.is_floating_point()
            else None
            for o in outs
        ] + [None] * fn.intermediates
        with torch.no_grad(), _same_randomness():
            returned = node.apply(*grads)  # the plugin's own backward, unvalidated
        returned = returned if isinstance(returned, tuple) else (returned,)
        for name, t, needed, g in zip(
            case.names, tensors, case.differentiable(), returned, strict=False
        ):
            if not needed or g is None:
                continue
            if not isinstance(g, torch.Tensor):
                problems.append(f"the gradient w.r.t. {name} is a {type(g).__name__}, not a tensor")
            elif g.dtype != t.dtype:
                problems.append(
                    f"for {name} of dtype {t.dtype}, backward returned a gradient of dtype "
                    f"{g.dtype}; return it in the input's dtype (autograd casts it silently, "
                    f"losing precision or speed)"
                )
            elif g.shape != t.shape and not _broadcastable_to(t.shape, g.shape):
                problems.append(
                    f"for {name} of shape {tuple(t.shape)}, backward returned a gradient of shape "
                    f"{tuple(g.shape)}; the gradient must have its tensor's shape"
                )
        if problems:
            break
    if problems:
        return CheckResult("", False, "; ".join(dict.fromkeys(problems)))
    return CheckResult("", True)


def _broadcastable_to(shape: torch.Size, grad_shape: torch.Size) -> bool:
    """Autograd sums a gradient of a broadcast shape down to its tensor's shape."""
    try:
        return torch.broadcast_shapes(shape, grad_shape) == grad_shape
    except RuntimeError:
        return False


def _raised(exc: BaseException) -> str:
    """``raised ValueError: msg (at my_act.py:12 in backward: return ...)``."""
    import traceback
    from pathlib import Path

    internal = (str(Path(torch.__file__).parent), str(Path(__file__).parents[1]))
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(internal)
    ]
    where = ""
    if frames:
        f = frames[-1]
        where = f" (at {f.filename}:{f.lineno} in {f.name}: {(f.line or '').strip()})"
    return f"raised {type(exc).__name__}: {_first_line(str(exc))}{where}"


def reference_call(fn: type[PluginFunction], case: Case) -> Callable[..., Any]:
    """The reference: the native op if declared, else autograd through the plugin's forward."""
    ref = fn.reference
    if ref is not None:
        n = len(case.module.signature.inputs) + len(case.module.signature.learnables)
        # approximate options (``compact``) are the plugin's own: no native op takes them
        approximate = getattr(fn, "approximate_options", {})
        options = {k: v for k, v in case.options().items() if k not in approximate}
        native_options = _accepted(ref, options)
        return lambda *ts: ref(*ts[:n], **native_options)
    return lambda *ts: fn.visible(fn.forward(*ts, *case.option_values()))


def _accepted(ref: Callable[..., Any], options: dict[str, Any]) -> dict[str, Any]:
    """Options the native op takes (``training`` is spelled the same in torch.nn.functional)."""
    import inspect

    try:
        names = set(inspect.signature(ref).parameters)
    except (TypeError, ValueError):  # builtins without a signature take what they take
        return options
    if any(p.kind == p.VAR_KEYWORD for p in inspect.signature(ref).parameters.values()):
        return options
    return {k: v for k, v in options.items() if k in names}


def _check_agreement(
    fn: type[PluginFunction], params: dict[str, Any], dtype: torch.dtype
) -> CheckResult:
    case = make_case(fn, params, dtype)
    return compare(fn, case, dtype)


def compare(
    fn: type[PluginFunction], case: Case, dtype: torch.dtype, what: str = ""
) -> CheckResult:
    rtol, atol = TOLERANCES[dtype]
    mine = _outputs_and_grads(case.call, case)
    try:
        theirs = _outputs_and_grads(reference_call(fn, case), case)
    except (RuntimeError, NotImplementedError) as exc:
        if dtype is torch.float64:
            raise
        return CheckResult("", True, f"skipped: the reference has no {dtype} kernel ({exc})", True)
    problems = []
    for label, a, b, x in _pairs(mine, theirs, case):
        if a is None and b is None:
            continue
        if a is None or b is None:
            problems.append(
                f"{label}: one side is None (plugin {a is None}, reference {b is None})"
            )
            continue
        if a.shape != b.shape:
            problems.append(f"{label}: shape {tuple(a.shape)}, expected {tuple(b.shape)}")
            continue
        if case.tensors[0].numel() == 0:
            continue  # an empty input: the shape is the contract (natives return garbage)
        a64, b64 = a.double(), b.double()
        finite = torch.isfinite(b64)
        if not torch.isfinite(a64[finite]).all():
            idx = _index(~torch.isfinite(a64) & finite)
            problems.append(
                f"{label}: not finite at index {idx} where the reference is finite "
                f"({_value_at(a64, idx)} vs {_value_at(b64, idx)}){_at_input(x, idx)}"
            )
            continue
        scale = (
            1.0
            if dtype is torch.float64
            else max(1.0, float(b64[finite].abs().max()) if finite.any() else 1.0)
        )
        # where the reference is not finite (inf, nan), any value is accepted
        close = torch.isclose(a64, b64, rtol=rtol, atol=atol * scale, equal_nan=True) | ~finite
        if not close.all():
            idx = _index((~close) * (a64 - b64).abs().nan_to_num(1e300))
            problems.append(
                f"{label}: worst at index {idx}{_at_input(x, idx)}: plugin {_value_at(a64, idx)}, "
                f"expected {_value_at(b64, idx)}"
            )
    if problems:
        src = f"native {_name(fn.reference)}" if fn.reference else "autograd through forward"
        return CheckResult("", False, f"{what}{'; '.join(problems)} (reference: {src}, {dtype})")
    return CheckResult("", True)


def _outputs_and_grads(call: Callable[..., Any], case: Case) -> list[torch.Tensor | None]:
    tensors = case.with_grad()
    with _same_randomness():
        out = call(*tensors)
    outs = list(out) if isinstance(out, tuple) else [out]
    outs = [o for o in outs if isinstance(o, torch.Tensor)]
    gen = torch.Generator().manual_seed(1)
    grads_out = [torch.randn(o.shape, generator=gen, dtype=torch.float64).to(o.dtype) for o in outs]
    diff = [t for t in tensors if t is not None and t.requires_grad]
    pairs = [(o, g) for o, g in zip(outs, grads_out, strict=True) if o.requires_grad]
    grads = (
        torch.autograd.grad([o for o, _ in pairs], diff, [g for _, g in pairs], allow_unused=True)
        if pairs and diff
        else [None] * len(diff)
    )
    return [o.detach() for o in outs] + [g.detach() if g is not None else None for g in grads]


def _pairs(
    mine: list[Any], theirs: list[Any], case: Case
) -> Iterator[tuple[str, Any, Any, torch.Tensor | None]]:
    diff_names = [n for n, d in zip(case.names, case.differentiable(), strict=True) if d]
    n_out = len(mine) - len(diff_names)
    x = case.tensors[0]
    for i in range(n_out):
        yield (f"output {i}" if n_out > 1 else "output"), mine[i], theirs[i], x
    for j, name in enumerate(diff_names):
        yield (
            f"gradient w.r.t. {name}",
            mine[n_out + j],
            theirs[n_out + j],
            (x if name == case.names[0] else None),
        )


def _check_edges(fn: type[PluginFunction], params: dict[str, Any]) -> CheckResult:
    base = make_case(fn, params, torch.float64)
    x0 = base.tensors[0]
    if getattr(fn, "index_input", None):
        edges = _index_edges(x0, {**getattr(fn, "example", {}), **params}[fn.index_input])
    else:
        edges = {
            "zeros": torch.zeros_like(x0),
            "±1e3": torch.full_like(x0, 1e3) * torch.sign(torch.randn_like(x0)),
            "tiny (1e-30)": torch.full_like(x0, 1e-30),
            "non-contiguous": _non_contiguous(x0),
            "empty": torch.empty((0, *x0.shape[1:]), dtype=x0.dtype),
        }
    if fn.plugin_kind == "activation" and fn.kinks:
        kinks = torch.tensor(fn.kinks, dtype=x0.dtype)
        edges["kinks"] = kinks[torch.arange(x0.numel()) % len(kinks)].reshape(x0.shape)
    if fn.plugin_kind == "loss":
        edges["logits ±1e4"] = torch.randn_like(x0).sign() * 1e4
    problems = []
    for label, x in edges.items():
        try:
            case = make_case(fn, params, torch.float64, x=x)
        except Exception as exc:
            problems.append(f"{label}: could not build inputs ({exc})")
            continue
        result = compare(fn, case, torch.float64, what=f"{label}: ")
        if not result.passed:
            problems.append(result.detail)
    if problems:
        return CheckResult("", False, " | ".join(problems))
    return CheckResult("", True)


# -- locating a wrong derivative ----------------------------------------------------------------
def _locate_mismatch(case: Case, tensors: list[Any], numeric: bool) -> str:
    """Analytic vs numeric gradients side by side at the worst element, and the bad x range."""
    fn = case.module.function
    gen = torch.Generator().manual_seed(2)
    with _same_randomness():
        out = _first(case.call(*tensors))
    # For an activation, weights of one make the gradient read as f'(x) itself; if that hides
    # the error (softmax's gradient of a sum is zero), random weights show it.
    weights = [torch.randn(out.shape, generator=gen, dtype=out.dtype)]
    if fn.plugin_kind == "activation":
        weights.insert(0, torch.ones_like(out))
    parts: list[str] = []
    for g in weights:
        parts = _mismatches(case, tensors, out, g)
        if parts:
            break
    if fn.plugin_kind == "activation":
        where = wrong_derivative_ranges(case)
        if where:
            parts.append(f"the derivative is wrong for x in {where}")
    return "; ".join(parts)


def _mismatches(case: Case, tensors: list[Any], out: torch.Tensor, g: torch.Tensor) -> list[str]:
    diff = [i for i, t in enumerate(tensors) if t is not None and t.requires_grad]
    analytic = torch.autograd.grad(
        out, [tensors[i] for i in diff], g, allow_unused=True, retain_graph=True
    )
    parts = []
    for k, i in enumerate(diff):
        num = _numeric_vjp(case, tensors, i, g)
        ana = analytic[k] if analytic[k] is not None else torch.zeros_like(num)
        err = (ana - num).abs()
        if err.max() <= 1e-5 * (1 + num.abs().max()):
            continue
        idx = _index(err)
        x = tensors[i]
        parts.append(
            f"gradient w.r.t. {case.names[i]} is wrong: worst at index {idx} where "
            f"{case.names[i]} = {_value_at(x.detach(), idx)}: analytic {_value_at(ana, idx)}, "
            f"numeric {_value_at(num, idx)}"
        )
    return parts


def _numeric_vjp(
    case: Case, tensors: list[Any], i: int, g: torch.Tensor, eps: float = 1e-6
) -> torch.Tensor:
    base = [t.detach() if t is not None else None for t in tensors]
    flat = base[i].clone().reshape(-1)
    result = torch.zeros_like(flat)
    for j in range(flat.numel()):
        vals = []
        for step in (eps, -eps):
            ts = list(base)
            p = flat.clone()
            p[j] += step
            ts[i] = p.reshape(base[i].shape)
            with torch.no_grad(), _same_randomness():
                vals.append((_first(case.call(*ts)) * g).sum())
        result[j] = (vals[0] - vals[1]) / (2 * eps)
    return result.reshape(base[i].shape)


def _locate_second_order_mismatch(case: Case, tensors: list[Any]) -> str:
    """Where the backward's own derivative is wrong: analytic vs numeric second-order products
    at the worst element, and for activations the range of x where f'' is wrong."""
    fn = case.module.function
    diff = [i for i, t in enumerate(tensors) if t is not None and t.requires_grad]
    gen = torch.Generator().manual_seed(3)
    with _same_randomness():
        out = _first(case.call(*tensors))
    g = (
        torch.ones_like(out)
        if fn.plugin_kind == "activation"
        else torch.randn(out.shape, generator=gen, dtype=out.dtype)
    )
    vs = [torch.randn(tensors[i].shape, generator=gen, dtype=tensors[i].dtype) for i in diff]

    def product(ts: list[Any]) -> torch.Tensor:
        """<the backward's result for grad_output g, v>: its derivative is the second order."""
        with _same_randomness():
            o = _first(case.call(*ts))
        grads = torch.autograd.grad(
            o, [ts[i] for i in diff], g, create_graph=True, allow_unused=True
        )
        terms = [(gr * v).sum() for gr, v in zip(grads, vs, strict=True) if gr is not None]
        return torch.stack(terms).sum() if terms else torch.zeros((), dtype=out.dtype)

    total = product(tensors)
    analytic = (
        torch.autograd.grad(total, [tensors[i] for i in diff], allow_unused=True)
        if total.requires_grad
        else [None] * len(diff)
    )
    parts = []
    eps = 1e-6
    for k, i in enumerate(diff):
        base = tensors[i].detach()
        flat = base.reshape(-1)
        num = torch.zeros_like(flat)
        for j in range(flat.numel()):
            values = []
            for step in (eps, -eps):
                p = flat.clone()
                p[j] += step
                ts = [
                    t.detach().requires_grad_(t.requires_grad) if t is not None else None
                    for t in tensors
                ]
                ts[i] = p.reshape(base.shape).requires_grad_(True)
                values.append(float(product(ts).detach()))
            num[j] = (values[0] - values[1]) / (2 * eps)
        num = num.reshape(base.shape)
        ana = analytic[k] if analytic[k] is not None else torch.zeros_like(num)
        err = (ana - num).abs()
        if err.max() <= 1e-4 * (1 + num.abs().max()):
            continue
        idx = _index(err)
        name = case.names[i]
        parts.append(
            f"the derivative of the backward w.r.t. {name} (second order) is wrong: worst at "
            f"index {idx} where {name} = {_value_at(base, idx)}: analytic {_value_at(ana, idx)}, "
            f"numeric {_value_at(num, idx)}"
        )
    if not parts:
        return ""
    if fn.plugin_kind == "activation":
        where = wrong_derivative_ranges(case, order=2)
        if where:
            parts.append(f"the second derivative is wrong for x in {where}")
    parts.append(
        "backward must be differentiable: write it in torch operations on the saved tensors "
        "(no .detach(), .item(), numpy, torch.no_grad() or in-place changes of them), or set "
        "once_differentiable = 'why' on the plugin"
    )
    return "; ".join(parts)


def wrong_derivative_ranges(
    case: Case, lo: float = -6.0, hi: float = 6.0, n: int = 1201, order: int = 1
) -> str:
    """The x intervals where an activation's backward disagrees with the numerical derivative
    (``order=2``: where the derivative of its backward disagrees with the numerical f'')."""
    fn = case.module.function
    xs = torch.linspace(lo, hi, n, dtype=torch.float64)
    xs = _away_from_kinks(xs, fn.kinks, gap=1e-3)
    rest = [t.detach() if t is not None else None for t in case.tensors[1:]]

    def f(x: torch.Tensor) -> torch.Tensor:
        """f itself, or f' computed by the plugin's backward (differentiably)."""
        if order == 1:
            return case.call(x, *rest)
        x = x.detach().requires_grad_(True)
        (d,) = torch.autograd.grad(case.call(x, *rest).sum(), x, create_graph=True)
        return d

    x = xs.clone().requires_grad_(True)
    y = f(x)
    ana = torch.autograd.grad(y.sum(), x, allow_unused=True)[0] if y.requires_grad else None
    ana = torch.zeros_like(xs) if ana is None else ana
    eps = 1e-6 if order == 1 else 1e-5
    with torch.set_grad_enabled(order > 1):
        num = ((f(xs + eps) - f(xs - eps)) / (2 * eps)).detach()
    bad = ~torch.isclose(ana, num, rtol=1e-4, atol=1e-6)
    if not bad.any():
        return ""
    ranges, start = [], None
    for k in range(n + 1):
        flag = k < n and bool(bad[k])
        if flag and start is None:
            start = k
        if not flag and start is not None:
            ranges.append(f"[{xs[start]:.3g}, {xs[k - 1]:.3g}]")
            start = None
    return " ∪ ".join(ranges[:6]) + (" …" if len(ranges) > 6 else "")


# -- small helpers -------------------------------------------------------------------------------
def _index_edges(x0: torch.Tensor, bound: int) -> dict[str, torch.Tensor]:
    """Edge inputs of integer indices below ``bound``: one index repeated, the last, …"""
    shape = x0.shape
    return {
        "one index repeated": torch.zeros_like(x0),
        "last index": torch.full_like(x0, bound - 1),
        "non-contiguous": torch.randint(0, bound, (*shape[:-2], shape[-1], shape[-2])).mT
        if x0.dim() >= 2
        else torch.randint(0, bound, (2 * x0.numel(),))[::2],
        "empty": torch.empty((0, *shape[1:]), dtype=x0.dtype),
    }


def _non_contiguous(x: torch.Tensor) -> torch.Tensor:
    """Random values of ``x``'s shape in a non-contiguous layout."""
    if x.dim() >= 2:
        return torch.randn((*x.shape[:-2], x.shape[-1], x.shape[-2]), dtype=x.dtype).mT
    return torch.randn(2 * x.numel(), dtype=x.dtype)[::2].reshape(x.shape)


def _first(out: Any) -> torch.Tensor:
    return out[0] if isinstance(out, tuple) else out


def _index(score: torch.Tensor) -> tuple[int, ...]:
    flat = int(score.double().reshape(-1).argmax()) if score.numel() else 0
    return (
        tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), score.shape))
        if score.dim()
        else ()
    )


def _value_at(t: torch.Tensor, idx: tuple[int, ...]) -> str:
    try:
        return f"{float(t[idx]):.6g}"
    except (IndexError, RuntimeError):
        return "?"


def _at_input(x: torch.Tensor | None, idx: tuple[int, ...]) -> str:
    if x is None or x.shape != torch.Size([*x.shape]) or len(idx) != x.dim():
        return ""
    return f" (x = {_value_at(x.detach().double(), idx)})"


def _first_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else text


def _name(ref: Any) -> str:
    return getattr(ref, "__name__", repr(ref))
