"""``python -m xld.emu [options] PROG [ARGS...]`` — the same as ``xld run``."""

import sys

try:
    from xld.link.client import undo_locale_coercion
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C while still importing
    sys.exit(130)

undo_locale_coercion()     # the program gets the environment the command was given

sys.exit(main(sys.argv[1:]))
