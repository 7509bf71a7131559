"""``nn-export``: a trained model with its preprocessing, as a program that needs no framework.

nn-export CKPT --format exported|onnx --output FILE [--imports FILE_OR_MODULE …] [--force]

``exported`` writes a ``torch.export`` program (``.pt2``): ``torch.export.load(FILE).module()``
runs it with torch alone. ``onnx`` writes an ONNX model (the ``export`` extra: onnx, onnxscript,
onnxruntime) for onnxruntime and other ONNX runtimes. Both take a batch of raw features
``(N, *input_shape)`` (a CSV model: its numeric columns and one-hot categories, in the order of
``input_features`` in the metadata) and return what ``load_model``'s model returns. Either file
carries a JSON description (task, input shape and features, class names, what the output is):
``framework.json`` in the ``.pt2``'s extra files, metadata ``framework`` in the ONNX model.

The plugins' hand-written backward passes do not matter for inference: the program is traced
under ``torch.no_grad()``, so it holds each plugin's forward ops. It is then functionalised
(``run_decompositions``), which also drops the ops whose results nothing uses, such as the
empty tensors an exact-mode plugin returns in place of its compact-mode intermediates.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from framework.cli.model_files import (
    UsageError,
    check_output,
    checkpoint_argument,
    common_options,
    open_model,
    run_command,
    write_atomically,
)
from framework.errors import ConfigError

PROG = "nn-export"
FORMATS = ("exported", "onnx")
TOLERANCE = 1e-5  # the exported program against the eager model, on raw inputs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Export a trained model with its preprocessing: `exported` writes a "
        "torch.export program (.pt2; run it with torch.export.load(FILE).module()), `onnx` an "
        "ONNX model (needs the `export` extra). Either runs without this project installed, "
        "takes raw features (N, *input_shape) and answers as load_model's model does. The file "
        "is checked against the model before it is written.",
        epilog="Example: nn-export outputs/2026-01-01/12-00-00/checkpoints/best.ckpt "
        "--format onnx --output model.onnx",
    )
    checkpoint_argument(parser)
    parser.add_argument("--format", required=True, choices=FORMATS, help="exported or onnx")
    parser.add_argument("--output", "-o", required=True, metavar="FILE", help="the file to write")
    common_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of ``nn-export``."""
    args = _parser().parse_args(argv)
    return run_command(PROG, lambda: _export(args))


def _export(args: argparse.Namespace) -> int:
    check_output(args.output, args.force)
    if args.format == "onnx":
        _require_onnx()
    model = open_model(PROG, args.checkpoint, args.imports)
    export_model(model, args.format, args.output)
    print(f"{PROG}: {args.format} model written to {args.output}", file=sys.stderr)
    return 0


def export_model(model: Any, fmt: str, path: str | Path) -> None:
    """Write ``model`` (a ``TrainedModel``) as ``fmt`` to ``path``, checked against the model
    on a raw-looking batch first; the file is written whole or not at all."""
    import warnings

    # torch.export's own deprecation noise, as nn-train filters it (framework.training.run)
    warnings.filterwarnings("ignore", message=r".*treespec, LeafSpec.*")
    program = export_program(model)
    meta = json.dumps(describe(model))
    check = sample_inputs(model)
    if fmt == "exported":
        write_atomically(str(path), lambda tmp: _save_exported(program, tmp, meta, model, check))
    elif fmt == "onnx":
        write_atomically(str(path), lambda tmp: _save_onnx(program, tmp, meta, model, check))
    else:
        raise UsageError(f"--format {fmt!r} is not valid; choose one of {', '.join(FORMATS)}")


def export_program(model: Any) -> Any:
    """The model as a functional ``torch.export.ExportedProgram`` with a dynamic batch size.

    A plugin whose forward cannot be traced is a ``ConfigError`` naming it.
    """
    import torch

    example = torch.zeros(2, *model.input_shape)
    batch = torch.export.Dim("batch", min=1)
    with _tracing(model) as active, torch.no_grad(), _quiet_logging():
        try:
            program = torch.export.export(model, (example,), dynamic_shapes=({0: batch},))
        except Exception as exc:
            raise ConfigError(_failure(active, exc)) from None
    program = program.run_decompositions({})
    # projections of multi-output ops that nothing reads (an LSTM's unused gate chunks)
    program.graph_module.graph.eliminate_dead_code()
    program.graph_module.recompile()
    return program


@contextmanager
def _quiet_logging() -> Iterator[None]:
    """torch.export prints the partial graph of a failed trace to stderr and logs it; the
    error here names the plugin instead."""
    import io
    import logging
    from contextlib import redirect_stderr

    before = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with redirect_stderr(io.StringIO()):
            yield
    finally:
        logging.disable(before)


def describe(model: Any) -> dict[str, Any]:
    """What a server needs to know: the input layout, the classes, what the output is."""
    from framework import __version__

    if model.task == "regression":
        output = "values in the target's units, shape (N, outputs)"
    elif model.outputs_probabilities:
        output = "probabilities"
    else:
        output = "logits, one per class" if len(model.class_names) > 2 else "logits"
    features = None
    if model.columns is not None:
        features = [
            f"{c['name']}={cat}" if "categories" in c else c["name"]
            for c in model.columns
            for cat in c.get("categories", [None])
        ]
    return {
        "framework_version": __version__,
        "task": model.task,
        "input_shape": list(model.input_shape),
        "input_features": features,
        "class_names": model.class_names,
        "output": output,
    }


def sample_inputs(model: Any) -> Any:
    """A batch of raw-looking inputs (the training statistics' scale) to check a file with."""
    import torch

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(5, *model.input_shape, generator=generator)
    if model.standardizes:
        x = x * model.feature_std + model.feature_mean
    return x


def _save_exported(program: Any, tmp: Path, meta: str, model: Any, x: Any) -> None:
    import torch

    torch.export.save(program, tmp, extra_files={"framework.json": meta})
    loaded = torch.export.load(tmp).module()
    with torch.no_grad():
        compare(loaded(x), model(x), "the exported program")


def _save_onnx(program: Any, tmp: Path, meta: str, model: Any, x: Any) -> None:
    import logging

    import onnxruntime
    import torch

    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    try:
        onnx_program = torch.onnx.export(
            program,
            (x,),
            dynamo=True,
            input_names=["input"],
            output_names=["output"],
            verbose=False,
        )
    except Exception as exc:
        raise ConfigError(
            f"the model cannot be written as ONNX ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); --format exported writes it as "
            f"a torch.export program instead"
        ) from None
    onnx_program.model.metadata_props["framework"] = meta
    onnx_program.save(str(tmp))
    session = onnxruntime.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"input": x.numpy()})
    with torch.no_grad():
        compare(torch.as_tensor(out), model(x), "the ONNX model (onnxruntime)")


def compare(got: Any, expected: Any, what: str) -> None:
    import torch

    if got.shape != expected.shape or not torch.allclose(got, expected, atol=TOLERANCE, rtol=0):
        error = (got - expected).abs().max().item() if got.shape == expected.shape else "shape"
        raise ConfigError(
            f"{what} disagrees with the model (largest difference {error}, shapes "
            f"{tuple(got.shape)} and {tuple(expected.shape)}); nothing was written"
        )


@contextmanager
def _tracing(model: Any) -> Iterator[list[Any]]:
    """Keeps the stack of plugin Modules running, so that a failure can name its plugin."""
    active: list[Any] = []
    handles = []
    for module in model.modules():
        function = getattr(type(module), "function", None)
        if function is None:
            continue
        handles.append(module.register_forward_pre_hook(lambda m, a: active.append(m)))
        handles.append(module.register_forward_hook(lambda m, a, o: active.remove(m)))
    try:
        yield active
    finally:
        for handle in handles:
            handle.remove()


def _failure(active: list[Any], exc: BaseException) -> str:
    reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    if not active:
        return f"the model cannot be exported ({reason})"
    fn = type(active[-1]).function
    where = f"{fn.__module__}.{fn.__qualname__}"
    return (
        f"the {fn.plugin_kind} plugin {fn.plugin_name!r} ({where}) cannot be exported: its "
        f"forward does something torch.export cannot trace ({reason}). Write its forward with "
        f"torch operations only (no .item(), .numpy() or Python branches on tensor values)"
    )


def _require_onnx() -> None:
    import importlib.util

    missing = [m for m in ("onnx", "onnxscript", "onnxruntime") if not importlib.util.find_spec(m)]
    if missing:
        raise UsageError(
            f"--format onnx needs {', '.join(missing)}: pip install 'nn-plugins-framework[export]' "
            f"(or pip install onnx onnxscript onnxruntime)"
        )


if __name__ == "__main__":
    sys.exit(main())
