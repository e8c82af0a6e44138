"""The run lock: the engine's atomic instructions stay atomic between the processes of a run.

Unicorn translates an atomic read-modify-write (arm64 LDADD, CAS, SWP, LDXR/STXR; riscv64
AMO*, LR/SC) as a plain load, operation and store: it runs one CPU, so nothing could come
between them. The threads of one guest process do run one at a time on their engine
(threads.py), but the processes of a run are host processes on as many host CPUs, and in
MAP_SHARED memory they do interleave: two processes each adding 1 a million times with
``__atomic_fetch_add`` ended at about 1,500,000.

So a process that shares writable memory with another process of the run executes guest
code only while it holds the run's lock, as if the run had one CPU for those processes:

- the lock is made at the run's first fork (every later process inherits it); a process
  takes it only while it maps MAP_SHARED memory that existed at a fork (its own or an
  ancestor's) or a writable MAP_SHARED file mapping, so a run without shared memory never
  touches it;
- it is held for a whole run of the engine, and let go when the run ends (a time slice: the
  process's runs are then sliced, threads.run_count) and for the time a system call is
  served, so a blocking call (a futex wait on the other process, a pipe read) never holds it.
  An instruction is never cut in two: runs end and system calls happen between instructions;
- it is a ``flock`` on a memfd that each process opens again for itself (a lock of its own
  open file description): the kernel lets it go when its holder dies, even of SIGKILL;
- fairness: ``flock`` wakes its waiters but does not hand the lock over, so a process that
  lets go at the end of its slice and takes it again at once would keep it for ever (and a
  waiter spinning on a spinlock the other holds would spin for ever). Waiters count
  themselves in a shared page (under a second lock, ``meta``); a process ending its slice
  while someone waits lets them have a turn first (it waits until the turn counter moves,
  at most HANDOFF seconds);
- the exclusive monitor: a process whose lock was taken by another since it let go has its
  monitor cleared (threads.clear_monitor), as the kernel's exception return does, so a
  store-exclusive after another process ran fails and retries (the value check of QEMU's
  store-exclusive already catches every case but the ABA one).
"""

from __future__ import annotations

import fcntl
import mmap
import os
import time

HANDOFF = 0.02          # s: the longest a process waits for a waiter to take its turn
_TURN, _WAITING = 0, 1  # words of the shared page


class RunLock:
    """A lock shared by the processes forked from the one that made it."""

    def __init__(self):
        self._fds = [os.memfd_create(name, os.MFD_CLOEXEC) for name in ("xld-run", "xld-run-meta")]
        os.ftruncate(self._fds[1], mmap.PAGESIZE)
        self._page = mmap.mmap(self._fds[1], mmap.PAGESIZE, flags=mmap.MAP_SHARED)
        self._words = memoryview(self._page).cast("Q")
        self._pid = None          # the host process whose descriptors these are
        self._own: list[int] = []
        self.held = False
        self._turn = 0            # the turn counter when this process last let go

    def _mine(self) -> list[int]:
        """This process's own open file descriptions of the two memfds (flock is per open
        file description: an inherited descriptor would be its parent's lock)."""
        pid = os.getpid()
        if self._pid != pid:
            for fd in self._own if self._pid is not None else ():
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._own = [os.open(f"/proc/self/fd/{fd}", os.O_RDWR | os.O_CLOEXEC) for fd in self._fds]
            self._pid = pid
            self.held = False
        return self._own

    def acquire(self, polite: bool = False) -> bool:
        """Take the lock; ``polite``: after the end of a time slice, let a waiter go first.
        True if another process held it since this one let go."""
        main, meta = self._mine()
        w = self._words
        if polite and w[_WAITING]:
            deadline = time.monotonic() + HANDOFF
            while w[_TURN] == self._turn and time.monotonic() < deadline:
                time.sleep(0.0001)
        try:
            fcntl.flock(main, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fcntl.flock(meta, fcntl.LOCK_EX)
            w[_WAITING] += 1
            fcntl.flock(meta, fcntl.LOCK_UN)
            try:
                fcntl.flock(main, fcntl.LOCK_EX)
            finally:
                fcntl.flock(meta, fcntl.LOCK_EX)
                w[_WAITING] -= 1
                fcntl.flock(meta, fcntl.LOCK_UN)
        self.held = True
        others = w[_TURN] != self._turn
        w[_TURN] = (w[_TURN] + 1) & 0xFFFFFFFFFFFFFFFF
        return others

    def release(self) -> None:
        if self.held:
            self._turn = self._words[_TURN]
            self.held = False
            fcntl.flock(self._mine()[0], fcntl.LOCK_UN)

    def close(self) -> None:
        """The first process's run is over: its descriptors of the lock go (the processes
        still running have their own: forked, they keep theirs).  A caller that runs programs
        in its own process (the API, the pytest plugin) kept five descriptors per run that
        forked, until select() refused the 1024th."""
        self.release()
        self._words.release()
        self._page.close()
        for fd in (*(self._own if self._pid == os.getpid() else ()), *self._fds):
            try:
                os.close(fd)
            except OSError:
                pass
        self._own, self._fds, self._pid = [], [], None
