"""cluster=slurm composes with Hydra's submitit launcher and passes nn-train's validation
(no cluster is reachable here, so this is as far as it can be tested)."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import open_dict

from framework.front_door.overrides import register_config_nodes
from framework.front_door.plugin_catalog import build_catalog
from framework.front_door.validation import validate_config
from framework.paths import CONF_DIR

pytest.importorskip("hydra_plugins.hydra_submitit_launcher")


def test_slurm_cluster_config_composes_and_validates() -> None:
    catalog = build_catalog()
    register_config_nodes(catalog)
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            "config",
            overrides=[
                "cluster=slurm",
                "trainer=ddp",
                "trainer.accelerator=gpu",
                "trainer.num_nodes=2",
                "trainer.devices=4",
                "hydra.launcher.partition=gpu",
            ],
            return_hydra_config=True,
        )
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert (launcher.nodes, launcher.tasks_per_node, launcher.gpus_per_node) == (2, 4, 4)
    assert launcher.partition == "gpu"
    assert cfg.trainer.strategy == "ddp" and cfg.trainer.num_nodes == 2
    with open_dict(cfg):
        del cfg["hydra"]
    validate_config(cfg, catalog)


def test_slurm_sends_lightnings_requeue_signal_not_submitits(tmp_path) -> None:
    """The sbatch script submitit writes for cluster=slurm asks for USR1 (Lightning's requeue
    signal) two minutes before the time limit, in place of submitit's USR2."""
    from submitit.slurm.slurm import _make_sbatch_string

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=["cluster=slurm"], return_hydra_config=True)
    launcher = cfg.hydra.launcher
    script = _make_sbatch_string(
        command="python -m framework.train",
        folder=str(tmp_path),
        signal_delay_s=launcher.signal_delay_s,
        additional_parameters=dict(launcher.additional_parameters),
    )
    assert "#SBATCH --signal=USR1@120" in script.splitlines()
    assert "USR2" not in script
