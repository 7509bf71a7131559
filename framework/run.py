"""One training run: data, model, loss, optimizer, Trainer, TensorBoard, checkpoints."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import hydra
import lightning as L
from hydra.core.hydra_config import HydraConfig
from lightning.pytorch.loggers import TensorBoardLogger
from omegaconf import DictConfig, OmegaConf

from framework.callbacks import build_callbacks
from framework.checkpoint import read_checkpoint
from framework.checkpoint_io import AtomicCheckpointIO, reliability_callbacks
from framework.data import build_datamodule
from framework.discovery import import_plugins
from framework.dry_run import dry_run
from framework.errors import ConfigError
from framework.models import build_model, plugin_params
from framework.overrides import AUTO_LOSS
from framework.provenance import record_imports
from framework.registries import LOSSES
from framework.task import TaskModule
from framework.trainer_args import trainer_arguments
from framework.validation import check_monitor

# loss=auto: the classic loss for each task
DEFAULT_LOSS = {"multiclass": "cross_entropy", "binary": "bce_with_logits", "regression": "mse"}


def _quiet_lightning() -> None:
    """Lightning's messages go through Hydra's logging (console and train.log), once, minus ads."""
    import logging
    import warnings

    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(
        lambda record: "Tip:" not in record.getMessage()
    )
    warnings.filterwarnings("ignore", message=r".*treespec, LeafSpec.*")
    # the data modules' samplers resume mid-epoch themselves (framework.data.sampler)
    warnings.filterwarnings("ignore", message=r".*resuming from a checkpoint that ended before")


def train(cfg: DictConfig) -> float:
    """Train and test as ``cfg`` says; return the best value of ``cfg.monitor``."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    _quiet_lightning()
    config: dict[str, Any] = OmegaConf.to_container(cfg, resolve=True)  # type: ignore[assignment]
    for spec in cfg.imports:
        import_plugins(str(spec))
    L.seed_everything(cfg.seed, workers=True, verbose=False)

    datamodule = build_datamodule(cfg.data, cfg.seed)
    datamodule.setup("fit")  # loads the data: csv and npz reveal their task only now
    info = datamodule.info
    check_monitor(str(cfg.monitor), info.task, str(cfg.data.name))
    loss_name, loss_params = plugin_params(cfg.loss)
    if loss_name == AUTO_LOSS:
        loss_name = DEFAULT_LOSS[info.task]
        config["loss"] = {"name": loss_name}
    try:
        model = build_model(cfg.model, cfg.activation, info, loss_name)
        loss = LOSSES.build(loss_name, **loss_params)
    except (TypeError, ValueError, KeyError) as exc:
        raise ConfigError(str(exc)) from None
    optimizer = hydra.utils.instantiate(cfg.optimizer, _convert_="all")
    scheduler = (
        hydra.utils.instantiate(cfg.scheduler, _convert_="all")
        if cfg.get("scheduler") and "_target_" in cfg.scheduler
        else None
    )
    # what load_model needs for raw inputs: the training split's preprocessing, plugin sources
    fitted = {
        "preprocessing": datamodule.preprocessing(),
        "plugin_sources": record_imports([str(s) for s in cfg.imports]),
    }
    module = TaskModule(model, loss, optimizer, info, config, scheduler, str(cfg.monitor), **fitted)
    if cfg.train:
        dry_run(module, next(iter(datamodule.val_dataloader())))

    resumed_at = None  # the global step the checkpoint was written at
    if cfg.ckpt_path:
        # read once here: a truncated or foreign file is one paragraph naming it
        resumed_at = int(read_checkpoint(cfg.ckpt_path).get("global_step", 0)) or None
    callbacks, checkpoints = build_callbacks(cfg, run_dir, config)
    callbacks += reliability_callbacks(cfg, run_dir)
    logger = TensorBoardLogger(
        save_dir=str(run_dir),
        name="",
        version="",
        default_hp_metric=False,
        # a resumed run continues the curves: events the crashed run wrote after its
        # checkpoint are dropped, so no step appears twice
        purge_step=resumed_at if cfg.train else None,
    )
    trainer_args = trainer_arguments(cfg.trainer)
    trainer = L.Trainer(
        **trainer_args,
        logger=logger,
        callbacks=callbacks,
        default_root_dir=str(run_dir),
        plugins=[AtomicCheckpointIO()],
    )

    metrics: dict[str, float] = {}
    if cfg.train:
        trainer.fit(module, datamodule=datamodule, ckpt_path=cfg.ckpt_path, weights_only=True)
        metrics.update({k: float(v) for k, v in trainer.callback_metrics.items()})
    if cfg.test:
        best = checkpoints.best_model_path if cfg.train else None
        ckpt = best or (None if cfg.train else cfg.ckpt_path)
        for result in trainer.test(
            module, datamodule=datamodule, ckpt_path=ckpt, weights_only=True
        ):
            metrics.update(result)
    _summary(run_dir, trainer, metrics)
    score = checkpoints.best_model_score
    if score is None:
        value = trainer.callback_metrics.get(cfg.monitor)
        return float(value) if value is not None else math.nan
    return float(score)


def _summary(run_dir: Path, trainer: L.Trainer, metrics: dict[str, float]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Run {run_dir}", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k in sorted(metrics):
        table.add_row(k, f"{metrics[k]:.4f}")
    console = Console()
    console.print(table)
    console.print(f"Stopped after {trainer.current_epoch} epoch(s) ({trainer.global_step} steps).")
    console.print(f"TensorBoard logs: {run_dir}   (view with: nn-board {run_dir})")
    console.print(f"Checkpoints: {run_dir / 'checkpoints'}")
