"""``python -m tensorweave``: the same as the ``tensorweave`` command."""

from __future__ import annotations

from tensorweave.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
