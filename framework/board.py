"""``nn-board``: TensorBoard over the runs, bound to 127.0.0.1 on a free port."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

HOST = "127.0.0.1"  # never exposed beyond this machine


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def default_logdir() -> str:
    """All runs: ``outputs/`` and ``multirun/`` under the current directory."""
    present = [d for d in ("outputs", "multirun") if Path(d).is_dir()]
    if not present:
        raise FileNotFoundError(
            "no outputs/ or multirun/ directory here: run nn-train first, or give a directory"
        )
    return present[0] if len(present) == 1 else ",".join(f"{d}:{d}" for d in present)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="nn-board",
        description="Open TensorBoard over training runs, bound to 127.0.0.1 on a free port. "
        "Stops cleanly on Ctrl-C.",
    )
    parser.add_argument("dir", nargs="?", help="a run or sweep directory (default: all runs)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    args = parser.parse_args(argv)
    try:
        logdir = args.dir or default_logdir()
    except FileNotFoundError as exc:
        print(f"nn-board: error: {exc}", file=sys.stderr)
        return 2
    if args.dir and not Path(args.dir).is_dir():
        print(f"nn-board: error: {args.dir!r} is not a directory of runs", file=sys.stderr)
        return 2
    port = args.port or free_port()
    flag = "--logdir_spec" if ":" in logdir and not Path(logdir).exists() else "--logdir"
    cmd = [
        sys.executable,
        "-m",
        "tensorboard.main",
        flag,
        logdir,
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    print(f"TensorBoard for {logdir} at http://{HOST}:{port}/  (Ctrl-C to stop)", flush=True)
    proc = subprocess.Popen(cmd)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 0


if __name__ == "__main__":
    sys.exit(main())
