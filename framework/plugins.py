"""``python -m framework.plugins``: ``nn-plugins`` (``framework.cli.plugins``)."""

from framework.cli.plugins import main

if __name__ == "__main__":
    raise SystemExit(main())
