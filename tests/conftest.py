"""Shared pytest setup: make ``tests.toolchain`` importable as ``tests.toolchain``."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Every link the suite makes checks its own output (--verify, link/verify.py): a relocated
# place that does not hold what its relocation asked for fails the test that made it.
import os  # noqa: E402
os.environ.setdefault("XLD_VERIFY", "1")
# Links the suite starts as commands go through the warm server (link/server.py), as users'
# do; it leaves soon after the suite's last link.
os.environ.setdefault("XLD_SERVER_IDLE", "20")
