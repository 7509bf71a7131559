"""``python -m framework.train``: ``nn-train`` (``framework.cli.train``)."""

from framework.cli.train import main

if __name__ == "__main__":
    raise SystemExit(main())
