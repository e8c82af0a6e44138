"""``python -m xld.emu [options] PROG [ARGS...]`` — the same as ``xld run``."""

import sys

try:
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C while still importing
    sys.exit(130)

sys.exit(main(sys.argv[1:]))
