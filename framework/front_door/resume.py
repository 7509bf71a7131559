"""``nn-train ckpt_path=RUN/checkpoints/last.ckpt`` continues *that* run.

The run's own overrides (``RUN/.hydra/overrides.yaml``) come first, so its model, data, plugins
and optimizer are the ones the checkpoint was trained with, and only what the command line adds
changes; the run continues in its own directory. An override that would change what the
checkpoint holds (the model, its activation, the loss, the data set and its split) is refused in
one paragraph listing each differing key with both values. Torch-free: it runs before Hydra.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from framework.errors import ConfigError

# what the checkpoint's weights and preprocessing depend on
PINNED_GROUPS = ("activation", "loss", "model", "data", "experiment")
PINNED_KEYS = ("seed",)
# free to change when continuing: how long, how often, what is logged, the batch size
FREE = ("data.batch_size",)
# the run's own overrides that a continuation does not repeat
NOT_REPEATED = ("ckpt_path", "overwrite", "train", "test", "hydra.run.dir")


def run_of(ckpt: str) -> Path | None:
    """The run directory a checkpoint belongs to (``RUN/checkpoints/X.ckpt``), if nn-train
    wrote it there."""
    path = Path(ckpt).expanduser()
    run = path.parent.parent
    if path.parent.name == "checkpoints" and (run / ".hydra" / "overrides.yaml").is_file():
        return run.resolve()
    return None


def continue_run(argv: list[str]) -> list[str]:
    """``argv`` with the run's own overrides first and ``hydra.run.dir`` set to the run, when
    it names one ``ckpt_path`` of a run (and no sweep); else ``argv`` unchanged."""
    if any(a in ("-m", "--multirun") for a in argv):
        return argv
    given = {_key(a): a for a in argv if "=" in a and not a.startswith("-")}
    ckpt = given.get("ckpt_path", "").partition("=")[2]
    run = run_of(ckpt) if ckpt else None
    if run is None:
        return argv
    evaluating = given.get("train", "").partition("=")[2].lower() == "false"
    _refuse_changes(run, argv, evaluating)
    saved = [str(o) for o in OmegaConf.load(run / ".hydra" / "overrides.yaml")]
    repeated = [o for o in saved if _key(o) not in given and _key(o) not in NOT_REPEATED]
    placed = [] if "hydra.run.dir" in given or evaluating else [f"hydra.run.dir={run}"]
    return [*repeated, *argv, *placed]


def _key(override: str) -> str:
    return override.partition("=")[0].lstrip("+~")


def _refuse_changes(run: Path, argv: list[str], evaluating: bool) -> None:
    from framework.front_door.overrides import parse_command_line

    config = OmegaConf.load(run / ".hydra" / "config.yaml")
    choices = OmegaConf.load(run / ".hydra" / "hydra.yaml").hydra.runtime.choices
    differ = []
    for ov in parse_command_line(argv).overrides:
        key = ov.key_or_group.lstrip("+~")
        group = key.partition(".")[0]
        if key in FREE or (evaluating and key == "data.path"):
            continue
        if group not in PINNED_GROUPS and key not in PINNED_KEYS:
            continue
        new = _plain(ov.value())
        if "." in key or key in PINNED_KEYS:
            old = _plain(OmegaConf.select(config, key, default=None))
        else:  # a group choice: activation=gelu, data=iris, experiment=moons
            old = choices.get(key)
        if not _same(old, new):
            differ.append(f"{key}: {old!r} in the run, {new!r} now")
    if differ:
        raise ConfigError(
            f"ckpt_path continues the run in {run}, whose checkpoint was trained with other "
            f"values: {'; '.join(differ)}. Leave these out to continue it (its own config is "
            f"used), or start a new run without ckpt_path to train with them"
        )


def _plain(value: Any) -> Any:
    return OmegaConf.to_container(value) if OmegaConf.is_config(value) else value


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, int | float) and isinstance(new, int | float):
        return float(old) == float(new)
    return old == new
