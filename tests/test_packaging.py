"""The project as a released package: the wheel holds every package and the configs, installs
into a new virtual environment and trains from a directory outside the repository; every
package the code imports is declared."""

from __future__ import annotations

import ast
import importlib.metadata as md
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

DISTRIBUTION = "nn-plugins-framework"


# what setup.py must find: every folder of framework/ and plugins/ that is a package
CODE_PACKAGES = sorted(
    ".".join(init.parent.relative_to(ROOT).parts)
    for top in ("framework", "plugins")
    for init in (ROOT / top).rglob("__init__.py")
)


def _clean_copy(dest: Path) -> Path:
    """The files git knows (tracked, or new and not ignored): no .venv, no build leftovers."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        src = ROOT / name.decode()
        if src.is_file():
            target = dest / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(src.read_bytes())
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    source = _clean_copy(tmp / "source")
    # no build isolation: the suite is hermetic (no download of setuptools)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            *[str(tmp / "dist"), str(source)],
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    for noise in ("SetuptoolsDeprecationWarning", "is absent from the `packages`", "!!"):
        assert noise not in built.stdout + built.stderr, built.stdout + built.stderr
    (path,) = (tmp / "dist").glob("*.whl")
    return path


@pytest.mark.slow
def test_wheel_holds_every_package_and_the_configs(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in CODE_PACKAGES:
        assert package.replace(".", "/") + "/__init__.py" in names, package
    for folder, shipped in (("conf", "framework/conf"), ("experiments", "framework/experiments")):
        for file in (ROOT / folder).rglob("*.yaml"):
            assert f"{shipped}/{file.relative_to(ROOT / folder).as_posix()}" in names
    assert not any(n.startswith(("tests/", "benchmarks/", "conf/")) for n in names)


@pytest.mark.slow
def test_wheel_in_a_new_venv_trains_checks_and_loads_outside_the_repository(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            *["--no-index", str(wheel)],
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr
    # The dependencies (torch, lightning …) come from this environment's site-packages, added as
    # a plain path: its editable-install hook for the source tree is not run there.
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HYDRA_FULL_ERROR")}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300
        )

    where = run(str(python), "-c", "import framework, plugins; print(framework.__file__)")
    assert where.stdout.strip().startswith(str(site)), where.stdout + where.stderr
    trained = run(str(venv / "bin" / "nn-train"), "trainer.max_epochs=1", "hydra.run.dir=run")
    assert trained.returncode == 0, trained.stderr[-3000:]
    ckpt = elsewhere / "run" / "checkpoints" / "last.ckpt"
    assert ckpt.is_file()
    checked = run(str(venv / "bin" / "nn-plugins"), "check", "relu")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "PASS" in checked.stdout
    loaded = run(
        str(python),
        "-c",
        "import torch; from framework import load_model; "
        f"m = load_model({str(ckpt)!r}); print(tuple(m(torch.zeros(3, 64)).shape))",
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip().endswith("(3, 10)")
    version = run(str(venv / "bin" / "nn-train"), "--version")
    assert version.returncode == 0 and md.version(DISTRIBUTION) in version.stdout


def _imported_top_levels() -> dict[str, Path]:
    """Top-level names that framework/ and plugins/ import, each with one file that does."""
    found: dict[str, Path] = {}
    for top in ("framework", "plugins"):
        for file in (ROOT / top).rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], file)
    return found


def test_every_imported_package_is_declared() -> None:
    requires = md.requires(DISTRIBUTION) or []
    declared = {re.match(r"[\w.-]+", r)[0].lower().replace("_", "-") for r in requires}
    owners = md.packages_distributions()
    missing = []
    for name, file in sorted(_imported_top_levels().items()):
        if name in sys.stdlib_module_names or name in ("framework", "plugins", "__future__"):
            continue
        dists = {d.lower().replace("_", "-") for d in owners.get(name, [name])}
        if not dists & declared:
            missing.append(f"{name} (imported in {file.relative_to(ROOT)}; from {sorted(dists)})")
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


@pytest.mark.slow
def test_editable_build_as_make_does_prints_no_packaging_warning(tmp_path: Path) -> None:
    """`make` installs the checkout editable: setuptools' PEP 660 build warns about nothing."""
    source = _clean_copy(tmp_path / "source")
    built = subprocess.run(
        [
            sys.executable,
            "-W",
            "always",
            "-c",
            "from setuptools import build_meta as b; print(b.build_editable('dist'))",
        ],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    output = built.stdout + built.stderr
    assert "Warning" not in output and "!!" not in output, output
    (wheel,) = (source / "dist").glob("*.whl")
    pth = [n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".pth")]
    # a plain path entry: the checkout's root, no import hook
    assert [zipfile.ZipFile(wheel).read(n).decode().strip() for n in pth] == [str(source)]
