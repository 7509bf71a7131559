"""The Text tab: the run's resolved config, as YAML, and the data report."""

from __future__ import annotations

from typing import Any

import lightning as L
from omegaconf import OmegaConf

from framework.callbacks.probes import writer_of


def config_markdown(config: dict[str, Any]) -> str:
    """The config as YAML in a Markdown code block (TensorBoard renders text as Markdown)."""
    yaml = OmegaConf.to_yaml(OmegaConf.create(config), sort_keys=False)
    return "\n".join("    " + line for line in yaml.splitlines())


class ConfigTextCallback(L.Callback):
    """Tag ``config``: the composed, resolved config of the run (``loss=auto`` resolved)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.done = False

    def _write(self, trainer: L.Trainer) -> None:
        writer = writer_of(trainer)
        if writer is not None and not self.done:
            writer.add_text("config", config_markdown(self.config), 0)
            self.done = True

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._write(trainer)

    def on_test_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._write(trainer)


class TextCallback(L.Callback):
    """Tag ``tag``: a fixed Markdown text (the data report of a ``data=csv`` run)."""

    def __init__(self, tag: str, markdown: str) -> None:
        self.tag, self.markdown = tag, markdown
        self.done = False

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        writer = writer_of(trainer)
        if writer is not None and not self.done:
            writer.add_text(self.tag, self.markdown, 0)
            self.done = True

    on_test_start = on_fit_start
