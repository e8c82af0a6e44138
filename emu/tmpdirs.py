"""The guest's private /tmp on the host: one directory per run, never shared, never left behind.

Each run that needs one makes ``$TMPDIR/xld-run-tmp-XXXXXXXX/`` (mode 0700, a fresh random name)
holding ``lock`` and ``tmp/``; the guest sees ``tmp/`` as its /tmp, never the lock. The run holds
an exclusive ``flock`` on ``lock`` for as long as it lives. The run removes the whole directory
when it ends (``remove``), also on SIGTERM (the CLI turns it into an orderly stop).

A run killed with SIGKILL (or a host crash) cannot clean up, but the kernel drops its lock. So
whenever a run makes its directory, it first sweeps the others of the same user: one whose
lock it can take has no living owner and is removed. The lock file appears only once locked
(it is created under another name, locked, then renamed into place), so a sweep can never take
the lock of a run that is still setting up; a directory without a lock at all is removed only
when it is older than a minute (its creator died between the two steps). Directories of other
users are left alone (the sticky /tmp would refuse anyway).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time

PREFIX = "xld-run-tmp-"
YOUNG = 60.0       # seconds: a directory without its lock yet may still be setting up


class PrivateTmp:
    """One run's private /tmp (``path``), locked while the run lives."""

    def __init__(self, base: str | None = None):
        sweep(base)
        self.base = tempfile.mkdtemp(prefix=PREFIX, dir=base)
        fd = -1
        try:
            fd, tmp = tempfile.mkstemp(prefix=".lock-", dir=self.base)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(tmp, os.path.join(self.base, "lock"))
            self.path = os.path.join(self.base, "tmp")
            os.mkdir(self.path, 0o700)
        except BaseException:
            if fd >= 0:
                os.close(fd)
            shutil.rmtree(self.base, ignore_errors=True)
            raise
        self.lock_fd = fd

    def remove(self) -> None:
        if self.lock_fd >= 0:
            shutil.rmtree(self.base, ignore_errors=True)
            os.close(self.lock_fd)
            self.lock_fd = -1


def sweep(base: str | None = None) -> list[str]:
    """Remove the private /tmp directories of this user's dead runs; return their paths."""
    base = base or tempfile.gettempdir()
    removed = []
    try:
        names = [n for n in os.listdir(base) if n.startswith(PREFIX)]
    except OSError:
        return removed
    uid = os.getuid()
    for name in names:
        d = os.path.join(base, name)
        try:
            st = os.lstat(d)
        except OSError:
            continue
        if st.st_uid != uid or not os.path.isdir(d) or os.path.islink(d):
            continue
        try:
            fd = os.open(os.path.join(d, "lock"), os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            if time.time() - st.st_mtime > YOUNG:
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)                   # its run is alive
            continue
        shutil.rmtree(d, ignore_errors=True)
        os.close(fd)
        removed.append(d)
    return removed


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread: the run stops as on Ctrl-C, and cleans up."""


class SigtermGuard:
    """From creation until ``restore()``: SIGTERM raises Terminated in the main thread, so the
    CLI's run stops in order and removes its private /tmp; ``came`` says whether it came."""

    def __init__(self):
        import signal
        import threading
        self.came = False
        self.old = None
        if threading.current_thread() is threading.main_thread():
            self.old = signal.signal(signal.SIGTERM, self._handler)

    def restore(self) -> None:
        import signal
        if self.old is not None:
            signal.signal(signal.SIGTERM, self.old)
            self.old = None

    def _handler(self, _sig, _frame):
        if not self.came:
            self.came = True
            raise Terminated()


__all__ = ["PrivateTmp", "sweep", "PREFIX", "SigtermGuard", "Terminated"]
