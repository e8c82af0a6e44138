"""One host thread per process for every wall-clock expiry of a run.

setitimer(ITIMER_REAL), POSIX timers on wall clocks, a one-shot expiry's grace before it stops
a run (timers.kick_for) and the repeated stops of runner.stop_engine all wait for a moment on
the monotonic clock and then do a few short things (take timer_lock, queue a signal, re-arm,
uc_emu_stop). Each used to start its own host thread (``threading.Timer``): a guest with a
1 ms periodic timer made 1,000 to 2,000 host threads a second. Here one thread waits for the
earliest of a heap of (deadline, seq, handle) entries and runs its callback.

The thread is made at the first ``schedule`` and ends at ``close`` (the end of the run). A
forked host process has none of its parent's threads: it makes its own Scheduler
(process.py's fork path), never uses its parent's (whose lock the parent's thread may have
held at the fork).

Callbacks run on the scheduler's thread one after the other: they must be short, and never
wait for another callback. They may schedule and cancel entries (their own next period).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import sys
import time

# the longest single wait of the scheduler's thread: a lock's timeout above threading.TIMEOUT_MAX
# (about 292 years) raises OverflowError, and a guest may arm a timer further ahead than that
# (Linux takes any tv_sec and clamps it to KTIME_MAX); the thread then looks again
WAIT_MAX = 3600.0


class Handle:
    """One scheduled callback: ``cancel()`` makes sure it does not run (if it is not running
    already); ``at`` is its monotonic deadline, ``fn`` the callback."""

    __slots__ = ("at", "fn", "cancelled", "owner")

    def __init__(self, at: float, fn, owner=None):
        self.at = at
        self.fn = fn
        self.cancelled = False
        self.owner = owner

    def cancel(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            if self.owner is not None:
                self.owner._dropped()


class Scheduler:
    """schedule(at, fn) -> Handle: run ``fn()`` on this scheduler's one thread at monotonic
    time ``at`` (at once if that is past)."""

    def __init__(self, name: str = "xld-run-timers"):
        self.name = name
        self.cond = threading.Condition(threading.Lock())
        self.heap: list = []          # (at, seq, Handle), the earliest first
        self.seq = itertools.count()  # (equal deadlines run in the order they were asked for)
        self.thread: threading.Thread | None = None
        self.closed = False
        self.threads_made = 0         # host threads this scheduler started (0 or 1)
        self.ran = 0                  # callbacks run
        self.cancelled = 0            # cancelled entries still in the heap

    def schedule(self, at: float, fn) -> Handle:
        h = Handle(at, fn, self)
        with self.cond:
            if self.closed:           # the run is over: nothing runs any more
                h.cancelled, h.owner = True, None
                return h
            heapq.heappush(self.heap, (at, next(self.seq), h))
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, daemon=True, name=self.name)
                self.threads_made += 1
                self.thread.start()
            elif self.heap[0][2] is h:
                self.cond.notify()    # earlier than what the thread waits for
        return h

    def after(self, seconds: float, fn) -> Handle:
        return self.schedule(time.monotonic() + seconds, fn)

    def _dropped(self) -> None:
        # a cancelled entry stays in the heap until its time; many of them (a program that
        # re-arms a long timer again and again) are swept out at once
        with self.cond:
            self.cancelled += 1
            if self.cancelled > 64 and self.cancelled * 2 > len(self.heap):
                self.heap = [e for e in self.heap if not e[2].cancelled]
                heapq.heapify(self.heap)
                self.cancelled = 0

    def _run(self) -> None:
        cond, heap = self.cond, None
        with cond:
            while not self.closed:
                heap = self.heap
                if not heap:
                    cond.wait()
                    continue
                at, _seq, h = heap[0]
                if h.cancelled:
                    heapq.heappop(heap)
                    self.cancelled = max(0, self.cancelled - 1)
                    continue
                left = at - time.monotonic()
                if left > 0:
                    cond.wait(min(left, WAIT_MAX))
                    continue
                heapq.heappop(heap)
                h.owner = None        # (a cancel from now on has nothing to sweep)
                h.cancelled = True    # (ran: a later cancel does nothing)
                self.ran += 1
                cond.release()
                try:
                    h.fn()
                except Exception:     # as a threading.Timer's would: said, and the others run
                    threading.excepthook(threading.ExceptHookArgs(
                        (*sys.exc_info(), threading.current_thread())))
                finally:
                    cond.acquire()

    def close(self) -> None:
        """No callback runs from here on (one running now is waited for, unless it is the
        caller); the thread ends."""
        with self.cond:
            self.closed = True
            self.heap.clear()
            self.cond.notify()
            t = self.thread
        if t is not None and t is not threading.current_thread():
            t.join()


__all__ = ["Scheduler", "Handle"]
