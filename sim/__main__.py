"""``python -m sim`` is ``pvsim``."""

import sys

from .cli import main

sys.exit(main())
