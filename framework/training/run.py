"""One training run: data, model, loss, optimizer, Trainer, TensorBoard, checkpoints."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import hydra
import lightning as L
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from framework.callbacks import build_callbacks
from framework.callbacks.group import group_own
from framework.callbacks.last_checkpoint import SIGNAL_NAMES, LastCheckpoint
from framework.callbacks.metrics_file import MetricsHistory, write_metrics_file
from framework.callbacks.user import merge_callbacks, user_callbacks
from framework.contract.discovery import import_plugins
from framework.contract.provenance import record_imports
from framework.contract.registries import LOSSES
from framework.data import build_datamodule
from framework.data.report import publish
from framework.errors import ConfigError, RunInterrupted, TrainingError, WriteError
from framework.front_door.requeue import requeued_checkpoint
from framework.front_door.trainer_args import fit_batch_limits, trainer_arguments
from framework.front_door.validation import AUTO_LOSS, check_monitor
from framework.models import build_model, plugin_params
from framework.training.checkpoint import read_checkpoint
from framework.training.checkpoint_writer import (
    WRITE_ERRNOS,
    AtomicCheckpointIO,
    log_write_failure,
    quiet_write_errors_in_threads,
    reliability_callbacks,
)
from framework.training.dry_run import dry_run
from framework.training.loggers import build_loggers
from framework.training.summary import print_summary
from framework.training.task import TaskModule

# loss=auto: the classic loss for each task
DEFAULT_LOSS = {"multiclass": "cross_entropy", "binary": "bce_with_logits", "regression": "mse"}


def _quiet_lightning() -> None:
    """Lightning's messages go through Hydra's logging (console and train.log), once, minus ads."""
    import warnings

    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # Lightning's INFO lines (devices, "Restoring states" …) go to train.log only: on the
    # console they would break into the progress bar
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler:
            handler.addFilter(_not_lightning_info)
    logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(
        lambda record: "Tip:" not in record.getMessage()
    )
    warnings.filterwarnings("ignore", message=r".*treespec, LeafSpec.*")
    # the data modules' samplers resume mid-epoch themselves (framework.data.sampler)
    warnings.filterwarnings("ignore", message=r".*resuming from a checkpoint that ended before")


def _not_lightning_info(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or not record.name.startswith("lightning")


def train(cfg: DictConfig) -> float:
    """Train and test as ``cfg`` says; return the best value of ``cfg.monitor``."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    _quiet_lightning()
    config: dict[str, Any] = OmegaConf.to_container(cfg, resolve=True)  # type: ignore[assignment]
    for spec in cfg.imports:
        import_plugins(str(spec))
    L.seed_everything(cfg.seed, workers=True, verbose=False)

    datamodule = build_datamodule(cfg.data, cfg.seed, str(cfg.model.name))
    if not cfg.train and cfg.ckpt_path:
        evaluate_as_trained(datamodule, read_checkpoint(cfg.ckpt_path), cfg.data)
    datamodule.setup("fit")  # loads the data: csv and npz reveal their task only now
    data_report = publish(datamodule, run_dir)  # data=csv: its report
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
        # on the plugins themselves, with a training-sized slice of the first validation batch
        size = int(getattr(datamodule, "batch_size", 0)) or None
        dry_run(module, tuple(t[:size] for t in next(iter(datamodule.val_dataloader()))))
        if cfg.model.get("compile"):
            module.compile_network()

    requeued = None if cfg.ckpt_path or not cfg.train else requeued_checkpoint(run_dir)
    if requeued is not None:
        cfg.ckpt_path = str(requeued)
        logging.getLogger(__name__).info("SLURM requeued this job: continuing from %s", requeued)
    resumed_at = None  # the global step the checkpoint was written at
    if cfg.ckpt_path:
        # read once here: a truncated or foreign file is one paragraph naming it
        resumed = read_checkpoint(cfg.ckpt_path)
        resumed_at = int(resumed.get("global_step", 0)) or None
        if cfg.train:
            check_epochs_left(resumed, cfg.trainer.get("max_epochs"), str(cfg.ckpt_path))
    builtin, _ = build_callbacks(cfg, run_dir, config)
    history = MetricsHistory()
    every = (cfg.get("checkpoint") or {}).get("every_n_train_steps")
    last = LastCheckpoint(run_dir / "checkpoints" / "last.ckpt", every)
    callbacks = merge_callbacks(
        [*builtin, *reliability_callbacks(cfg), last], user_callbacks(cfg.get("callbacks"))
    )
    trainer_args = fit_batch_limits(trainer_arguments(cfg.trainer), datamodule)
    trainer = L.Trainer(
        **trainer_args,
        logger=build_loggers(cfg, purge_step=resumed_at if cfg.train else None),
        callbacks=[*group_own(callbacks), history, *data_report],
        default_root_dir=str(run_dir),
        plugins=[AtomicCheckpointIO()],
    )

    status, error = "failed", None
    quiet = quiet_write_errors_in_threads()
    quiet.__enter__()
    try:
        if cfg.train:
            try:
                with last.stopping_on_signals():
                    trainer.fit(
                        module, datamodule=datamodule, ckpt_path=cfg.ckpt_path, weights_only=True
                    )
            except SystemExit:
                # Lightning ends a SIGTERM with its SIGTERMException (after the step and our
                # checkpoint), a second Ctrl-C with exit(1): the shell's code for the signal
                if last.signum is None:
                    raise
                if last.stopped_at is None:
                    raise SystemExit(128 + last.signum) from None
            if last.signum is not None:
                raise RunInterrupted(stop_message(last, cfg), 128 + last.signum)
        if cfg.test:
            checkpoints = trainer.checkpoint_callback
            best = getattr(checkpoints, "best_model_path", None) if cfg.train else None
            ckpt = best or (None if cfg.train else cfg.ckpt_path)
            trainer.test(
                module, datamodule=datamodule, ckpt_path=ckpt, weights_only=True, verbose=False
            )
        status = _how_training_ended(trainer)
    except BaseException as exc:
        status = "diverged" if isinstance(exc, TrainingError) else "failed"
        if isinstance(exc, KeyboardInterrupt | SystemExit | RunInterrupted):
            status = "interrupted"
        error = str(exc) or type(exc).__name__
        if isinstance(exc, OSError) and exc.errno in WRITE_ERRNOS:  # events, CSV: a full disk
            error = log_write_failure(run_dir, exc)
            raise WriteError(error) from None
        raise
    finally:
        quiet.__exit__(None, None, None)
        if trainer.global_rank == 0:
            epoch, step = last.stopped_at or (trainer.current_epoch, trainer.global_step)
            try:
                write_metrics_file(run_dir, history, str(cfg.monitor), status, epoch, step, error)
            except OSError as exc:  # a full disk: the run's own error is the one to report
                logging.getLogger(__name__).warning("metrics.json not written: %s", exc)
    if trainer.global_rank == 0:
        print_summary(run_dir, history, str(cfg.monitor), status, trainer)
    score = getattr(trainer.checkpoint_callback, "best_model_score", None)
    if score is None:
        value = trainer.callback_metrics.get(cfg.monitor)
        return float(value) if value is not None else math.nan
    return float(score)


def evaluate_as_trained(datamodule: Any, checkpoint: dict[str, Any], data: DictConfig) -> None:
    """``train=false`` with ``data.path`` on another file than the run trained on: that file
    is prepared as the checkpoint's preprocessing says (its standardisation, encodings and
    classes; refitting them on the new file would not match the weights) and all its rows are
    the test set."""
    hparams = checkpoint.get("hyper_parameters") or {}
    trained = (hparams.get("config") or {}).get("data") or {}
    path = data.get("path")
    if path is None or trained.get("path") in (None, path):
        return
    if not hparams.get("preprocessing") or not hparams.get("data_info"):
        return
    datamodule.use_fitted(hparams["preprocessing"], hparams["data_info"])


def check_epochs_left(checkpoint: dict[str, Any], max_epochs: Any, path: str) -> None:
    """Continuing a run that already trained ``trainer.max_epochs`` epochs trains nothing: say
    how many it trained and what to set (Lightning would raise a MisconfigurationException)."""
    done = int(checkpoint.get("epoch", 0))
    progress = (checkpoint.get("loops") or {}).get("fit_loop", {}).get("epoch_progress", {})
    # epochs whose training finished (saved at an epoch's end, the epoch counts as done)
    done = int(progress.get("current", {}).get("processed", done))
    if max_epochs is not None and max_epochs != -1 and done >= int(max_epochs):
        raise ConfigError(
            f"ckpt_path={path} already trained {done} epoch(s), and trainer.max_epochs="
            f"{max_epochs} asks for no more; to train on, set trainer.max_epochs to more than "
            f"{done} (e.g. trainer.max_epochs={done + int(max_epochs)}), or evaluate it with "
            f"train=false"
        )


def stop_message(last: LastCheckpoint, cfg: DictConfig) -> str:
    """The paragraph after a clean stop: where, the checkpoint, the command that resumes."""
    epoch, step = last.stopped_at or (None, None)
    where = f"at epoch {epoch}, step {step}" if step is not None else "before training began"
    written = (
        f"The checkpoint at that point is {last.path}; resume exactly there with: "
        f"nn-train ckpt_path={last.path}"
        if last.path.is_file()
        else "No checkpoint had been written yet."
    )
    return f"stopped by {SIGNAL_NAMES[last.signum]} {where}. {written}"


def _how_training_ended(trainer: L.Trainer) -> str:
    """``threshold`` when the monitored metric reached ``threshold``, else ``completed``."""
    from lightning.pytorch.callbacks import EarlyStopping

    for callback in trainer.callbacks:
        if isinstance(callback, EarlyStopping) and callback.stopped_epoch > 0:
            return "threshold"
    return "completed"
