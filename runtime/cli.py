"""The `arbiter` command line."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``arbiter`` console script."""
    del argv
    sys.stderr.write("arbiter: no command yet\n")
    return 2
