"""The scheduling policies of a run's processes, where the other processes can see them.

A policy is the program's view (syscalls.py: recorded, reported, never applied to the host
threads), and each process of a run is an emulator of its own, so what one process sets for
another — a parent's sched_setscheduler of its child — must live outside both: a small
file named by the run's token, one line per process (host pid, policy with
SCHED_RESET_ON_FORK, priority), read and written under an flock. It is made only when a
process of a run that has forked sets a policy other than the one the run started with;
without a line, a process has the run's first policy.
"""

from __future__ import annotations

import fcntl
import os
import tempfile


class SchedBoard:
    def __init__(self, token: str):
        base = "/dev/shm" if os.access("/dev/shm", os.W_OK | os.X_OK) else tempfile.gettempdir()
        self.path = os.path.join(base, f"xld-sched-{token}")

    def exists(self) -> bool:
        return os.path.exists(self.path)

    def _rows(self, fd: int) -> dict[int, tuple[int, int, bool]]:
        os.lseek(fd, 0, os.SEEK_SET)
        data = b""
        while chunk := os.read(fd, 1 << 16):
            data += chunk
        rows = {}
        for line in data.decode().splitlines():
            pid, policy, prio, reset = (int(x) for x in line.split())
            rows[pid] = (policy, prio, bool(reset))
        return rows

    def get(self, host_pid: int) -> tuple[int, int, bool] | None:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            return self._rows(fd).get(host_pid)
        finally:
            os.close(fd)

    def put(self, host_pid: int, sched: tuple[int, int, bool]) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            rows = self._rows(fd)
            rows[host_pid] = sched
            os.ftruncate(fd, 0)
            os.pwrite(fd, "".join(f"{p} {a} {b} {int(c)}\n" for p, (a, b, c) in sorted(rows.items()))
                      .encode(), 0)
        finally:
            os.close(fd)

    def remove(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
