"""``python -m xld.emu [options] PROG [ARGS...]`` — the same as ``xld run``."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
