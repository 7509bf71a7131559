"""``nn-board``: TensorBoard over the newest run or sweep (or a given directory), bound to
127.0.0.1 on a free port; Ctrl-C stops it cleanly."""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from framework.version import add_version_argument

HOST = "127.0.0.1"  # never exposed beyond this machine
RUN_ROOTS = ("outputs", "multirun")  # outputs/DATE/TIME (a run), multirun/DATE/TIME (a sweep)
# TensorBoard keeps a sample of each tag's pictures (10 by default): keep every confusion matrix
# and decision boundary of a run instead
SAMPLES = "images=500"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def newest_run(root: Path = Path()) -> Path:
    """The newest run or sweep (by modification time) of ``outputs/*/*`` and ``multirun/*/*``."""
    found = [p for name in RUN_ROOTS for p in (root / name).glob("*/*") if p.is_dir()]
    if not found:
        raise FileNotFoundError(
            "no runs under outputs/ or multirun/ here: run nn-train first, or give a directory"
        )
    return max(found, key=lambda p: p.stat().st_mtime)


def all_runs(root: Path = Path()) -> str:
    """A TensorBoard logdir spec naming ``outputs/`` and ``multirun/``, whichever exist."""
    present = [str(root / d) for d in RUN_ROOTS if (root / d).is_dir()]
    if not present:
        raise FileNotFoundError("no outputs/ or multirun/ directory here: run nn-train first")
    if len(present) == 1:
        return present[0]
    return ",".join(f"{Path(d).name}:{d}" for d in present)


def tensorboard_command(logdir: str, port: int, spec: bool = False) -> list[str]:
    """The TensorBoard command line (``spec``: ``logdir`` names several directories)."""
    return [
        sys.executable,
        "-m",
        "tensorboard.main",
        "--logdir_spec" if spec else "--logdir",
        logdir,
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
            logdir = args.dir
        else:
            logdir = all_runs() if args.all else str(newest_run())
    except FileNotFoundError as exc:
        print(f"nn-board: error: {exc}", file=sys.stderr)
        return 2
    port = args.port or free_port()
    spec = "," in logdir and not Path(logdir).exists()
    print(f"TensorBoard for {logdir} at http://{HOST}:{port}/  (Ctrl-C to stop)", flush=True)
    proc = subprocess.Popen(tensorboard_command(logdir, port, spec))
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
