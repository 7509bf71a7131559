"""Puts nn-train's generated options (plugins, experiments) on Hydra's search path.

``framework.front_door.config_nodes`` writes each plugin and experiment as a YAML file into a cached
directory and marks it active; Hydra calls this plugin whenever it builds its search path
(``@hydra.main`` and the compose API alike), so ``activation=NAME``, ``experiment=NAME`` and the
``--help`` listing see them. In any other Hydra application (nn-train not running in the
process) it adds nothing and imports nothing.
"""

from __future__ import annotations

import sys

from hydra.core.config_search_path import ConfigSearchPath
from hydra.plugins.search_path_plugin import SearchPathPlugin

PROVIDER = "nn-train"


class NnTrainOptionsSearchPathPlugin(SearchPathPlugin):
    """Appends the active options directory, if nn-train set one in this process."""

    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        nodes = sys.modules.get("framework.front_door.config_nodes")
        directory = nodes.active_directory() if nodes is not None else None
        if directory is not None:
            search_path.append(provider=PROVIDER, path=directory.as_uri())
