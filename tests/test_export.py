"""``nn-export``: the .pt2 runs with torch alone (framework and plugins blocked from import) and
the ONNX file with onnxruntime, both within 1e-5 of the eager model on raw inputs, for every kind
of network and a user's own activation; no dead ops; a plugin that cannot be traced is named."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import BENT, run_cli

from framework.cli.export import export_model, export_program
from framework.contract.discovery import import_plugins
from framework.data.base import DataInfo
from framework.errors import ConfigError
from framework.models import build_model
from framework.training.inference import TrainedModel

# Run in a fresh Python where `framework` and `plugins` cannot be imported: the file must
# need torch (or onnxruntime) only. Prints the outputs of both files on the saved inputs.
SERVE = textwrap.dedent(
    """
    import json, sys
    class Blocked:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("framework", "plugins"):
                raise ImportError(f"{name} is blocked")
    sys.meta_path.insert(0, Blocked())
    import numpy as np, onnxruntime, torch
    x = np.load(sys.argv[1])
    program = torch.export.load(sys.argv[2])
    graph = [n for n in program.graph.nodes if n.op == "call_function"]
    exported = program.module()(torch.from_numpy(x)).detach().numpy()
    session = onnxruntime.InferenceSession(sys.argv[3], providers=["CPUExecutionProvider"])
    onnx = session.run(None, {"input": x})[0]
    try:
        import framework
        blocked = False
    except ImportError:
        blocked = True
    print(json.dumps({
        "blocked": blocked,
        "exported": exported.tolist(),
        "onnx": onnx.tolist(),
        "ops": sorted({str(n.target) for n in graph}),
        # ops whose result nothing reads (a loaded program names every output of a
        # multi-output op, so unread projections, getitem, are not ops)
        "dead": [
            str(n.target) for n in graph
            if not n.users and not n.is_impure() and "getitem" not in str(n.target)
        ],
        "meta": json.loads(session.get_modelmeta().custom_metadata_map["framework"]),
    }))
    """
)

BENT_EXPORT = "bent_identity_export"  # the contract's BENT, registered under its own name
NETWORKS = {
    "mlp": ({"name": "mlp", "hidden": [16, 8]}, "gelu", DataInfo("multiclass", (6,), 3)),
    "mlp_norm_dropout": (
        {"name": "mlp", "hidden": [8], "norm": "batch_norm", "dropout": 0.2},
        "relu",
        DataInfo("binary", (5,), 2),
    ),
    "convnet": (
        {"name": "convnet", "channels": [4, 8], "hidden": [16]},
        "leaky_relu",
        DataInfo("multiclass", (1, 8, 8), 10),
    ),
    "rnn_lstm": (
        {"name": "rnn", "cell": "lstm", "hidden_size": 8, "hidden": [8]},
        "tanh",
        DataInfo("regression", (7, 2), num_outputs=1, target_mean=(3.0,), target_std=(2.0,)),
    ),
    "rnn_gru": (
        {"name": "rnn", "cell": "gru", "hidden_size": 8, "num_layers": 2},
        "relu",
        DataInfo(
            "regression", (5, 1), num_outputs=2, target_mean=(1.0, -1.0), target_std=(3.0, 4.0)
        ),
    ),
    "sequential": (
        {
            "name": "sequential",
            "layers": [
                {"layer": "linear", "out_features": 12},
                {"layer": "layer_norm", "normalized_shape": [12]},
                "act",
                {"activation": "silu"},
                {"layer": "linear", "out_features": 6},
                "act",
            ],
        },
        "mish",
        DataInfo("multiclass", (4,), 3, class_names=("a", "b", "c")),
    ),
    "bent_identity": ({"name": "mlp", "hidden": [8]}, BENT_EXPORT, DataInfo("binary", (3,), 2)),
}


@pytest.fixture(scope="module")
def bent(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The contract's custom activation, registered once for the module under a name of its own
    (other test modules register ``bent_identity`` itself from their own files, in-process)."""
    path = tmp_path_factory.mktemp("plugins") / "bent.py"
    path.write_text(BENT.replace('"bent_identity"', f'"{BENT_EXPORT}"'))
    import_plugins(str(path))


def trained_model(network: str) -> TrainedModel:
    """A network of each kind with the preprocessing of a training split (random weights)."""
    torch.manual_seed(0)
    model_cfg, act, info = NETWORKS[network]
    loss = "mse" if info.task == "regression" else "cross_entropy"
    if info.task == "binary":
        loss = "bce_with_logits"
    shape = info.input_shape
    stat_shape = [1] * len(shape) if len(shape) == 3 else [1] * (len(shape) - 1) + [shape[-1]]
    n = int(np.prod(stat_shape))
    preprocessing = {
        "feature_mean": torch.linspace(-20, 40, n).tolist(),
        "feature_std": torch.linspace(0.5, 30, n).tolist(),
        "stat_shape": stat_shape,
    }
    network_module = build_model(model_cfg, {"name": act}, info, loss)
    return TrainedModel(network_module, info, preprocessing).eval()


def raw_inputs(model: TrainedModel, n: int = 9) -> torch.Tensor:
    x = torch.randn(n, *model.input_shape, generator=torch.Generator().manual_seed(1))
    return x * model.feature_std + model.feature_mean


@pytest.mark.slow
@pytest.mark.parametrize("network", sorted(NETWORKS))
def test_exports_run_without_the_framework_and_agree(
    network: str, bent: None, tmp_path: Path
) -> None:
    model = trained_model(network)
    graph = export_program(model).graph
    assert not [
        n for n in graph.nodes if n.op == "call_function" and not n.users and not n.is_impure()
    ]
    export_model(model, "exported", tmp_path / "model.pt2")
    export_model(model, "onnx", tmp_path / "model.onnx")
    x = raw_inputs(model)
    np.save(tmp_path / "x.npy", x.numpy())
    (tmp_path / "serve.py").write_text(SERVE)
    result = subprocess.run(
        [sys.executable, "serve.py", "x.npy", "model.pt2", "model.onnx"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    served = json.loads(result.stdout)
    assert served["blocked"]
    with torch.no_grad():
        expected = model(x)
    for fmt in ("exported", "onnx"):
        got = torch.tensor(served[fmt])
        assert got.shape == expected.shape
        assert torch.allclose(got, expected, atol=1e-5, rtol=1e-5), (fmt, got - expected)
    assert served["dead"] == [] and not any("new_empty" in op for op in served["ops"])
    assert served["meta"]["task"] == model.task
    assert served["meta"]["input_shape"] == list(model.input_shape)
    if network == "bent_identity":  # the user's activation became plain torch ops
        assert "aten.sqrt.default" in served["ops"]


def test_a_plugin_that_cannot_be_traced_is_named(tmp_path: Path) -> None:
    plugin = tmp_path / "data_dependent.py"
    plugin.write_text(
        textwrap.dedent(
            """
            import torch
            from framework import ActivationFunction, register_activation

            @register_activation("data_dependent")
            class DataDependent(ActivationFunction):
                @staticmethod
                def forward(x):
                    return x * 2 if x.sum().item() > 0 else x

                @staticmethod
                def setup_context(ctx, inputs, output):
                    pass

                @staticmethod
                def backward(ctx, grad_output):
                    return grad_output
            """
        )
    )
    import_plugins(str(plugin))
    info = DataInfo("multiclass", (3,), 3)
    network = build_model({"name": "mlp", "hidden": [4]}, {"name": "data_dependent"}, info, "mse")
    with pytest.raises(ConfigError, match=r"activation plugin 'data_dependent' \(.*DataDependent"):
        export_program(TrainedModel(network, info).eval())


@pytest.mark.slow
def test_nn_export_as_a_user_runs_it(tmp_path: Path) -> None:
    """A trained checkpoint exported by the console script; the file is refused if it exists."""
    train = run_cli(
        "nn-train",
        "data=wine",
        "trainer.max_epochs=1",
        "log=off",
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert train.returncode == 0, train.stderr
    ckpt = "run/checkpoints/best.ckpt"
    for fmt, name in (("exported", "wine.pt2"), ("onnx", "wine.onnx")):
        result = run_cli("nn-export", ckpt, "--format", fmt, "--output", name, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / name).stat().st_size > 0
    again = run_cli("nn-export", ckpt, "--format", "onnx", "-o", "wine.onnx", cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    bad = run_cli("nn-export", "wine.onnx", "--format", "onnx", "-o", "x.onnx", cwd=tmp_path)
    assert bad.returncode == 2 and "not a checkpoint" in bad.stderr
    assert "Traceback" not in bad.stderr and not (tmp_path / "x.onnx").exists()
    wrong = run_cli("nn-export", ckpt, "--format", "tflite", "-o", "x", cwd=tmp_path)
    assert wrong.returncode == 2 and "exported" in wrong.stderr and "onnx" in wrong.stderr
    version = run_cli("nn-export", "--version", cwd=tmp_path)
    assert version.returncode == 0 and "nn-export 0." in version.stdout
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["wine.onnx", "wine.pt2"]
