"""Package discovery (the metadata is in pyproject.toml).

``framework*`` and ``plugins*`` are found by ``find_packages``; ``hydra_plugins.nn_train_options``
(the search-path plugin that gives Hydra nn-train's plugin and experiment options) sits in
Hydra's ``hydra_plugins`` namespace package. ``conf/`` and ``experiments/``
live at the top of the repository (choices, no code) and ship as ``framework.conf`` and
``framework.experiments``, every sub-folder a package of its own, so that Hydra finds them from a
non-editable install and setuptools installs no folder it was not told about. An editable
install (``pip install -e .``, what ``make`` does) reads them from the checkout instead
(framework/paths.py), so it maps no folder and needs no import hook: the project root on
``sys.path`` is all it adds.
"""

import sys
from pathlib import Path

from setuptools import find_namespace_packages, find_packages, setup

DATA_PACKAGES = {"framework.conf": "conf", "framework.experiments": "experiments"}

packages = find_packages(include=["framework", "framework.*", "plugins", "plugins.*"])
# nn-train's Hydra search-path plugin, in Hydra's `hydra_plugins` namespace package
packages += find_namespace_packages(include=["hydra_plugins.*"])
package_dir = {"": "."}
editable = "editable_wheel" in sys.argv
for package, folder in {} if editable else DATA_PACKAGES.items():
    for sub in ["", *find_namespace_packages(where=folder)]:
        name = f"{package}.{sub}" if sub else package
        packages.append(name)
        package_dir[name] = str(Path(folder, *sub.split("."))) if sub else folder

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={name: ["*.yaml", "*.py"] for name in package_dir if name},
)
