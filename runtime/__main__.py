"""``python -m runtime``: the same as the ``arbiter`` command."""

import sys

from runtime.cli import main

sys.exit(main())
