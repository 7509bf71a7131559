"""``python -m framework.bench``: ``nn-bench`` (``framework.verification.bench``)."""

from framework.verification.bench import main

if __name__ == "__main__":
    raise SystemExit(main())
