"""``nn-board``: TensorBoard over the newest run or sweep (or a given directory), bound to
127.0.0.1 on a free port; Ctrl-C stops it cleanly."""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from framework.cli.version import add_version_argument

HOST = "127.0.0.1"  # never exposed beyond this machine
RUN_ROOTS = ("outputs", "multirun")  # outputs/DATE/TIME (a run), multirun/DATE/TIME (a sweep)
# TensorBoard keeps a sample of each tag's pictures (10 by default): keep every confusion matrix
# and decision boundary of a run instead
SAMPLES = "images=500"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def runs_under(directory: Path) -> list[Path]:
    """Every run below ``directory`` (or itself): a folder holding TensorBoard event files."""
    found = {p.parent for p in directory.rglob("events.out.tfevents.*")}
    return sorted(found, key=lambda p: p.stat().st_mtime)


def newest_run(root: Path = Path()) -> Path:
    """The newest run or sweep of ``outputs/*/*`` and ``multirun/*/*`` that holds TensorBoard
    events (a run that failed before training has none: it is skipped, and said so)."""
    found = [p for name in RUN_ROOTS for p in (root / name).glob("*/*") if p.is_dir()]
    if not found:
        raise FileNotFoundError(
            "no runs under outputs/ or multirun/ here: run nn-train first, or give a directory"
        )
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    skipped = []
    for candidate in found:
        if runs_under(candidate):
            if skipped:
                listed = ", ".join(str(s) for s in skipped)
                print(f"nn-board: skipped, no TensorBoard events: {listed}", file=sys.stderr)
            return candidate
        skipped.append(candidate)
    raise FileNotFoundError(
        "no run under outputs/ or multirun/ here has TensorBoard events yet (runs that failed "
        "before training write none): run nn-train first, or give a directory"
    )


def run_label(run: Path, name_sweep: bool = False) -> str:
    """A run's name on the dashboards: a sweep's job by its number and swept values
    (``3 activation=tanh optimizer.lr=0.03``), a single run by its experiment and start time
    (``moons 14-03-11 2026-12-07``: the time first, which a narrow column still shows)."""
    if (run.parent / "multirun.yaml").is_file():  # a job of a sweep
        number, _, swept = run.name.partition("_")
        label = f"{number} {swept.replace(',', ' ')}".strip()
        return f"{run.parent.name} {label}" if name_sweep else label
    choices = _choices(run)
    name = (
        choices.get("experiment") or f"{choices.get('model', 'mlp')} on {choices.get('data', '?')}"
    )
    return f"{name} {run.name} {run.parent.name}"


def _choices(run: Path) -> dict[str, str]:
    """The config group choices a run was composed from (its .hydra/hydra.yaml)."""
    try:
        from omegaconf import OmegaConf

        hydra = OmegaConf.load(run / ".hydra" / "hydra.yaml")
        return {str(k): str(v) for k, v in hydra.hydra.runtime.choices.items() if v is not None}
    except Exception:  # not written by nn-train: the folder's own name will do
        return {}


def landing_tab(runs: list[Path]) -> str:
    """The tab the printed address opens: Custom Scalars, where training and validation loss
    and the validation metrics stand on three charts, when the runs wrote that layout (the
    default logging does); else Scalars."""
    for run in runs:
        try:
            from omegaconf import OmegaConf

            if not OmegaConf.load(run / ".hydra" / "config.yaml").log.loss_chart:
                continue
        except Exception:  # not written by nn-train
            continue
        return "#custom_scalars"
    return "#scalars"


def named_runs(runs: list[Path], into: Path) -> Path:
    """``into`` with one symbolic link per run, named by ``run_label`` (equal names get a
    counter): TensorBoard names each run by its folder, so the dashboards show these names.
    Jobs of several sweeps are also named by their sweep's start time."""
    many = len({r.parent for r in runs if (r.parent / "multirun.yaml").is_file()}) > 1
    for run in runs:
        label = run_label(run, name_sweep=many).replace("/", "-").replace(",", " ")
        link, n = into / label, 1
        while link.exists() or link.is_symlink():
            n += 1
            link = into / f"{label} ({n})"
        link.symlink_to(run.resolve(), target_is_directory=True)
    return into


def all_runs(root: Path = Path()) -> list[Path]:
    """Every run under ``outputs/`` and ``multirun/``."""
    present = [root / d for d in RUN_ROOTS if (root / d).is_dir()]
    if not present:
        raise FileNotFoundError("no outputs/ or multirun/ directory here: run nn-train first")
    return [run for d in present for run in runs_under(d)]


def tensorboard_command(logdir: Path, port: int) -> list[str]:
    """The TensorBoard command line over ``logdir``."""
    return [
        sys.executable,
        "-m",
        "tensorboard.main",
        "--logdir",
        str(logdir),
        "--host",
        HOST,
        "--port",
        str(port),
        "--samples_per_plugin",
        SAMPLES,
    ]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="nn-board",
        description="Open TensorBoard over training runs, bound to 127.0.0.1 on a free port. "
        "Without a directory: the newest run or sweep under outputs/ and multirun/. "
        "Stops cleanly on Ctrl-C.",
    )
    add_version_argument(parser)
    parser.add_argument("dir", nargs="?", help="a run or sweep directory (default: the newest)")
    parser.add_argument("--all", action="store_true", help="every run under outputs/, multirun/")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    args = parser.parse_args(argv)
    try:
        if args.dir:
            if not Path(args.dir).is_dir():
                raise FileNotFoundError(f"{args.dir!r} is not a directory of runs")
            shown, runs = args.dir, runs_under(Path(args.dir))
            if not runs:
                raise FileNotFoundError(
                    f"{args.dir!r} holds no TensorBoard event files (a run that failed before "
                    f"training writes none)"
                )
        elif args.all:
            shown, runs = "outputs/ and multirun/", all_runs()
        else:
            newest = newest_run()
            shown, runs = str(newest), runs_under(newest)
    except FileNotFoundError as exc:
        print(f"nn-board: error: {exc}", file=sys.stderr)
        return 2
    port = args.port or free_port()
    print(
        f"TensorBoard for {shown} ({len(runs)} run{'s' if len(runs) != 1 else ''}) at "
        f"http://{HOST}:{port}/{landing_tab(runs)}  (Ctrl-C to stop)",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="nn-board-") as links:
        proc = subprocess.Popen(tensorboard_command(named_runs(runs, Path(links)), port))
        return _serve(proc)


def _serve(proc: subprocess.Popen) -> int:
    signal.signal(signal.SIGTERM, _interrupt)  # a polite `kill` stops it as Ctrl-C does
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        print("nn-board: stopped", flush=True)
        return 0


if __name__ == "__main__":
    sys.exit(main())
