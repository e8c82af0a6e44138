"""Timer signals: POSIX timers (timer_create & co.), and how every timer's signal reaches the guest
at an exact instruction boundary.

A timer expires on a host thread (the process's one scheduler thread, sched.py, for wall
clocks, or a ``CpuTimer`` for CPU-time clocks) while the guest runs on the engine. Stopping the engine from that thread (``uc_emu_stop``) is
not exact on Unicorn 2.1.4 (uc.Kicker), so a timer never does that when its signal will run a
handler:

- While a timer is armed whose signal has a handler, runs are stoppable (``sliced()``): with
  the kicker (uc.Kicker) the expiry queues the signal and kicks (a one-shot expiry waits for
  the next system call first: ``kick_for``), and the engine stops at the next block boundary;
  without it, every run is a counted slice (Unicorn's instruction count,
  SLICE_INSNS instructions) and the signal waits for the end of the slice, or the next system
  call. A blocking call ends with EINTR at once.
- Arming such a timer, or installing a handler for an armed timer's signal, restarts the run
  that way (from the system-call hook, where a stop is exact); disarming it restarts the run
  unstoppable.
- A timer whose signal has no handler either kills the process (its state is thrown away, so
  an asynchronous stop is harmless) or is ignored (no stop at all).

POSIX timers: ``timer_create`` on CLOCK_REALTIME, CLOCK_MONOTONIC and CLOCK_BOOTTIME, with
SIGEV_SIGNAL (the default: SIGALRM), SIGEV_NONE or SIGEV_THREAD_ID (the signal goes to one
thread: signals.ToThread; glibc's and musl's SIGEV_THREAD timers are made of it);
``timer_settime`` (relative or TIMER_ABSTIME, with an interval), ``timer_gettime``,
``timer_getoverrun``, ``timer_delete``. Their siginfo carries SI_TIMER, the timer id, the
overrun count and the ``sigev_value``; each timer's signal is queued on its own
(signals.TimerSignal). Periodic timers keep their schedule (``next_expiry``).
CLOCK_PROCESS_CPUTIME_ID timers, and setitimer's ITIMER_VIRTUAL and ITIMER_PROF, run on the
emulator process's CPU time (``CpuTimer``); timers on a thread's CPU clock
(CLOCK_THREAD_CPUTIME_ID, pthread_getcpuclockid's) on that guest thread's
(threads.thread_cpu_ns), and on another process's of the run on that host process's.

The CPU-time clocks themselves (clock_gettime, clock_getres, clock_nanosleep of them: the
kernel's posix-cpu-timers.c decodes the same ids) are here too: ``cpu_clock_of``.
"""

from __future__ import annotations

import collections
import errno
import os
import struct
import threading
import time
from functools import partial

from .signals import TimerSignal, ToThread
from .threads import NotServed
from .syscalls import KTIME_MAX_S, ktime_timespec, pack_timespec, s32, timespec_seconds

SIGALRM, SIGVTALRM, SIGPROF = 14, 26, 27
SI_TIMER = -2
SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID = 0, 1, 2, 4
TIMER_ABSTIME = 1
CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID = 2, 3
# a CPU-time clock's kind (the low two bits of ~pid << 3 | per-thread bit 4 | kind)
CPUCLOCK_PROF, CPUCLOCK_VIRT, CPUCLOCK_SCHED = 0, 1, 2
# s: how long a one-shot timer's signal waits for a system call before it stops a run (kick_for)
ONESHOT_GRACE = 0.05
_CLOCKS = {0: time.CLOCK_REALTIME, 1: time.CLOCK_MONOTONIC, 7: getattr(time, "CLOCK_BOOTTIME", 1)}


def cpu_clock(which: str) -> float:
    """The process's CPU time in seconds: "virtual" user time (ITIMER_VIRTUAL), "prof" user +
    system time (ITIMER_PROF, CLOCK_PROCESS_CPUTIME_ID). The guest's CPU time is the emulator
    process's, as under qemu-user, where the host kernel runs these timers on qemu's own."""
    if which == "virtual":
        return os.times().user
    return time.process_time()


def next_expiry(last: float, interval: float, now: float) -> tuple[float, int]:
    """A periodic timer's next expiry after the one due at ``last``, kept on its schedule
    (``last`` + k * ``interval``, the first past ``now``, as the kernel's hrtimer_forward),
    and how many periods were missed on the way (its overruns)."""
    nxt = last + interval
    if nxt > now:
        return nxt, 0
    missed = int((now - nxt) // interval) + 1
    return nxt + missed * interval, missed


class CpuTimer(threading.Thread):
    """threading.Timer's interface (start, cancel) for a timer on a CPU-time clock: fires
    ``fn`` once the clock ``which`` (cpu_clock's name, or a function giving the time in
    seconds, None once the clock is gone) has advanced by ``interval`` seconds. It sleeps (in
    wall time) for what is left, at most 50 ms at a time, then looks again: the CPU clock
    advances at most as fast as the wall clock while one thread emulates. Once the clock is
    gone it calls ``gone`` (if given) instead, and stops looking. Made on a clock that is
    there (its ``target`` given, or the clock read now)."""

    def __init__(self, interval: float, fn, which="prof", target: float | None = None, gone=None):
        super().__init__(daemon=True, name="xld-run-cputimer")
        self.now = which if callable(which) else partial(cpu_clock, which)
        self.target = self.now() + interval if target is None else target
        self.fn = fn
        self.gone = gone
        self.cancelled = threading.Event()

    def left(self) -> float:
        now = self.now()
        return float("inf") if now is None else max(0.0, self.target - now)

    def cancel(self) -> None:
        self.cancelled.set()

    def run(self) -> None:
        while not self.cancelled.is_set():
            left = self.left()
            if left <= 0:
                self.fn()
                return
            if left == float("inf"):
                if self.gone is not None:
                    self.gone()
                return
            self.cancelled.wait(min(0.05, max(left, 0.0005)))


class PosixTimer:
    __slots__ = ("tid", "clock", "sig", "value", "notify", "thread", "host", "deadline", "interval",
                 "overrun", "overrun_last", "queued", "cpu")

    def __init__(self, tid, clock, sig, value, notify, thread=None, cpu=None):
        self.tid = tid
        self.cpu = cpu                # a CPU-time clock's time in seconds (cpu_clock_reader)
        self.thread = thread          # SIGEV_THREAD_ID: the thread its signal goes to (or None)
        self.clock = clock
        self.sig = sig
        self.value = value            # sigev_value, passed in the siginfo
        self.notify = notify
        self.host = None              # sched.Handle (wall clocks) or CpuTimer: its next expiry
        self.deadline = None          # time.monotonic() of the next expiry, or None (disarmed)
        self.interval = 0.0
        self.overrun = 0              # expiries since its signal was queued (the next si_overrun)
        self.overrun_last = 0         # the last taken signal's si_overrun: timer_getoverrun's
        self.queued = False           # its own signal instance waits to be taken (timer_siginfo)


class Timers:
    """Mixin for the Process: POSIX timers, and the slicing rule for every timer's signal."""

    next_expiry = staticmethod(next_expiry)     # (for the interval timer: signals.py)

    def init_timers(self) -> None:
        self.posix_timers: dict[int, PosixTimer] = {}
        # per signal, the timers whose instance of it is queued, oldest first: each delivery
        # of a SI_TIMER signal carries the next one's id, overrun and value
        self.timers_queued: dict[int, collections.deque] = {}
        # signals whose queued timer instance drop_queued_signal took while the thread blocked
        # them: sigpending still lists them until they would be taken (Linux 6.13 on, where
        # the instance stays queued until a dequeue drops it): unblocked or waited for, they go
        self.stale_timer_mask = 0
        self.run_is_sliced = False    # set by the run loop for each run (threads.run_count)
        self.timers_closed = False
        # Held while any timer is armed, re-armed or fires (system calls and host timer
        # threads). The run loop reads the armed timers without it (timer_slices), so every
        # change goes from one armed state to the next in one assignment, never through
        # "disarmed": a run begun unstoppable in such a gap would never end.
        self.timer_lock = threading.RLock()

    # --- the slicing rule ----------------------------------------------------------------------
    def armed_timer_signals(self) -> set[int]:
        sigs = {SIGALRM} if getattr(self, "itimer", None) else set()
        for which, sig in ((1, SIGVTALRM), (2, SIGPROF)):
            if getattr(self, "cpu_itimers", {}).get(which):
                sigs.add(sig)
        for t in getattr(self, "posix_timers", {}).values():
            if t.deadline is not None and t.notify == SIGEV_SIGNAL:
                sigs.add(t.sig)
        return sigs

    def timer_slices(self) -> bool:
        """Is a timer armed whose signal runs a handler? Then runs are counted slices."""
        return any(self.action(sig)[0] > 1 for sig in self.armed_timer_signals())

    def timers_changed(self) -> None:
        """From a system call that armed a timer or changed a handler: if runs must now be
        sliced (stoppable) and this one is not, or the other way round, end it here (an exact
        stop) so that the next one is what it must be."""
        if self.run_is_sliced != self.sliced():
            self.preempt_req = True
            self.eng.emu_stop()

    def timer_fired(self, sig: int, once: bool = False) -> bool:
        """On a host timer thread: queue ``sig``. Stop the engine only when that is safe (see
        the module's docstring): the run is not sliced, and the signal's action is to die.
        ``once``: a one-shot expiry, whose stop waits (``kick_for``)."""
        if sig < 32 and sig in self.async_signals and not isinstance(sig, TimerSignal):
            # a standard signal already queued: merged (a POSIX timer's is queued all the same:
            # TimerSignal). The stop is asked for again: a queued
            # signal whose run loop has not looked yet must not wait on a run that nothing
            # stops (an uncounted run with the kicker ends only on request)
            if self.kicker is not None and self.run_is_sliced:
                self.kick_for(sig, once)
            return False
        self.async_signals.append(sig)
        self.wake.set()
        if self.kicker is not None and self.run_is_sliced:
            self.kick_for(sig, once)           # an exact stop (uc.Kicker)
            return True
        if not self.run_is_sliced:
            handler = self.action(sig)[0]
            blocked = self.sigmask & (1 << (sig - 1))    # stays pending: no reason to stop
            if handler == 0 and sig not in (17, 18, 23, 28) and not blocked:
                self.async_posted = True
                # (again until taken: one stop landing just before the run begins is lost;
                # from a new thread: this one holds timer_lock)
                self.stop_engine(lambda: sig not in self.async_signals, thread=True)
        return True

    def kick_for(self, sig: int, once: bool) -> None:
        """Stop the run for a queued timer signal: at once for a periodic timer's and a
        CPU-time timer's (it expires while the program computes); for a wall-clock one-shot
        expiry, only if the program has made no system call within ONESHOT_GRACE
        seconds (the end of every system call takes a queued signal: runner.py).

        Why wait: a program that checks a flag and then waits (``while (!flag) pause();``)
        loses the wake-up when the signal comes between the check and the wait's system call.
        On a real CPU those few instructions take nanoseconds; here, on a loaded machine or
        on code not yet translated, they took up to milliseconds, and a 1 ms timer's handler
        ran there in about one run in ten (the wait then never ended). A signal that waits
        for the next system call interrupts the wait itself instead (EINTR), as on Linux when
        it comes just before the call: the loop looks at its flag again."""
        if not once:
            self.kick()
            return

        def later():
            if sig in list(self.async_signals):
                self.kick()

        self.expiries.after(ONESHOT_GRACE, later)

    def sys_rt_sigaction(self, sig, act, *rest):
        """The C library's sigaction (syscalls.py), and then: a handler for an armed timer's
        signal means runs are sliced from now on."""
        ret = super().sys_rt_sigaction(sig, act, *rest)
        if act and ret == 0:
            self.timers_changed()
        return ret

    # --- POSIX timers --------------------------------------------------------------------------
    def sys_timer_create(self, clock, sevp, timerid, *_):
        clock = s32(clock)
        cpu = None
        if clock not in _CLOCKS:
            named = self.cpu_clock_of(clock)
            if named is None:       # (a dynamic clock's id: ~fd << 3 | 3, which has no timers)
                return -errno.EOPNOTSUPP if clock < 0 else -errno.EINVAL
            if isinstance(named, int):
                return named
            cpu = self.cpu_clock_reader(*named)
        value, sig, notify, thread = 0, SIGALRM, SIGEV_SIGNAL, None
        if sevp:
            value, sig, notify, thread = struct.unpack("<Qiii", self.rd(sevp, 20))
        # as the kernel's good_sigevent: SIGEV_THREAD reaches it as a signal to the process
        # (the C library makes the thread); SIGEV_THREAD_ID names a thread of this process
        if notify == SIGEV_THREAD_ID:
            t = self.threads.get(thread)
            if t is None or not t.alive:
                return -errno.EINVAL
        else:
            thread = None
        if notify not in (SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID) or (
                notify != SIGEV_NONE and not 1 <= sig <= 64):
            return -errno.EINVAL
        if notify != SIGEV_NONE:
            notify = SIGEV_SIGNAL
        tid = 0
        while tid in self.posix_timers:
            tid += 1
        self.wr(timerid, struct.pack("<i", tid))
        self.posix_timers[tid] = PosixTimer(tid, clock, sig, value, notify, thread, cpu)
        if notify == SIGEV_SIGNAL:
            self.ensure_kicker()
        return 0

    def _timer(self, tid) -> PosixTimer:
        t = self.posix_timers.get(s32(tid))
        if t is None:
            raise _Einval()
        return t

    def sys_timer_settime(self, tid, flags, new, old, *_):
        try:
            t = self._timer(tid)
        except _Einval:
            return -errno.EINVAL
        self.catch_up(t)
        isec, insec, vsec, vnsec = struct.unpack("<qqqq", self.rd(new, 32))
        if min(isec, insec, vsec, vnsec) < 0 or max(insec, vnsec) >= 1_000_000_000:
            return -errno.EINVAL
        if t.cpu is not None and t.cpu() is None:
            return -errno.ESRCH       # its clock's process or thread is gone (as Linux)
        if old:
            self.wr(old, _itimerspec(t))
        # times past KTIME_MAX ns saturate (timespec64_to_ktime), and so does the expiry: a
        # timer armed centuries ahead expires at KTIME_MAX on its clock (ktime_add_safe), and
        # timer_gettime gives KTIME_MAX less the clock's time now (xld gave what was asked, and
        # past 2**63 ns its interval failed to pack: timer_gettime left the buffer unwritten)
        value = timespec_seconds(vsec, vnsec)
        t.overrun_last = 0            # (as the kernel's common_timer_set)
        # the drop and the re-arm under the timer lock, as Linux's: the old setting's host
        # timer, firing between the two, queued a signal that came after this call (20 of
        # 20 disarms of a 20 us timer, with 5 ms between them: timerrace.c)
        with self.timer_lock:
            self.drop_queued_signal(t)    # (its expiry queued before: not delivered, 6.13 on)
            if value:
                now = (time.clock_gettime(_CLOCKS[t.clock]) if t.cpu is None else t.cpu()) or 0.0
                if flags & TIMER_ABSTIME:
                    value = max(1e-9, value - now)
                value = min(value, max(1e-9, KTIME_MAX_S - now))
            self._arm(t, value, timespec_seconds(isec, insec))
        self.timers_changed()
        return 0

    def sys_timer_gettime(self, tid, cur, *_):
        try:
            t = self._timer(tid)
        except _Einval:
            return -errno.EINVAL
        self.catch_up(t)
        self.wr(cur, _itimerspec(t))
        return 0

    def sys_timer_getoverrun(self, tid, *_):
        try:
            t = self._timer(tid)
        except _Einval:
            return -errno.EINVAL
        self.catch_up(t)
        # the overrun count of the signal last taken (the kernel's it_overrun_last, set when
        # it is dequeued); xld gave the expiries counted since, 0 right after the signal
        return t.overrun_last

    def sys_timer_delete(self, tid, *_):
        try:
            t = self._timer(tid)
        except _Einval:
            return -errno.EINVAL
        self.catch_up(t)
        self._arm(t, 0, 0)
        self.drop_queued_signal(t)
        del self.posix_timers[t.tid]
        return 0

    def drop_queued_signal(self, t: PosixTimer) -> None:
        """timer_settime or timer_delete of ``t``: the instance of its
        signal an earlier expiry queued, not yet taken, is never delivered, as on Linux 6.13
        and later (the host's 6.18, and qemu-user on it), where each such call bumps the
        timer's it_signal_seq and the signal is dropped where it would be taken. Linux 6.1
        (whose uname xld plays) delivered it (sigqueue_free: "if it is queued it will be
        freed when dequeued"), for a deleted timer with an id a new timer may have taken.
        Here the instance goes at once, and sigpending lists the signal until it would be
        taken (``stale_timer_mask``: unblocked, or waited for), as 6.18's. From the run loop's
        thread (a system call), the only one that takes from async_signals. The instances of
        one signal are all alike (timer_siginfo gives each taken one the oldest timer in
        line): the newest one goes."""
        with self.timer_lock:
            waiting = self.timers_queued.get(t.sig)
            if not t.queued or t.notify != SIGEV_SIGNAL:
                return
            t.queued, t.overrun = False, 0
            if waiting is not None and t in waiting:
                waiting.remove(t)
        if self.sigmask & (1 << (t.sig - 1)):
            self.stale_timer_mask |= 1 << (t.sig - 1)
        for i in range(len(self.async_signals) - 1, -1, -1):
            s = self.async_signals[i]
            if isinstance(s, TimerSignal) and s == t.sig and getattr(s, "tid", None) == t.thread:
                del self.async_signals[i]
                return
        sets = [self.blocked_pending] + [th.state.get("blocked_pending") for th in self.threads.values()
                                         if th is not self.cur]
        any(p is not None and p.drop_one(t.sig, SI_TIMER) for p in sets)

    def _expire(self, t: PosixTimer, timer) -> None:
        """``t``'s expiry, from its host thread ``timer`` (or from a system call that found it
        overdue: catch_up): queue its signal, or count an overrun; arm its next period."""
        with self.timer_lock:
            if t.host is not timer or t.deadline is None or self.timers_closed:
                return                # re-armed, deleted, expired already (a one-shot that
                #                       catch_up expired before its host thread came), or
                #                       the run is over
            # queued (and the run stopped) while the timer still counts as armed
            if t.notify == SIGEV_SIGNAL:
                if t.queued and self.timer_signal_queued(t.sig):
                    t.overrun += 1    # its own instance not taken yet: an overrun
                else:                 # (in line before the signal: the run loop
                    t.queued = True   # may deliver it before timer_fired returns)
                    waiting = self.timers_queued.setdefault(t.sig, collections.deque())
                    waiting.append(t)
                    sig = TimerSignal(t.sig) if t.thread is None else ToThread(t.sig, t.thread)
                    if not self.timer_fired(sig, t.interval <= 0 and t.clock in _CLOCKS):
                        t.queued = False      # merged into a pending standard signal
                        t.overrun += 1
                        if waiting and waiting[-1] is t:    # (the line stays bounded
                            waiting.pop()                   # by the live timers)
            if t.interval > 0:
                # the next period on the schedule (Linux's hrtimer_forward): an
                # expiry this thread came too late for is an overrun; re-armed
                # from each firing, a 2 ms timer lost a fifth of its periods
                cpu = isinstance(timer, CpuTimer)
                now = timer.now() if cpu else time.monotonic()
                if now is None:       # its clock went away since the expiry
                    self.clock_gone(t, timer)
                    return
                nxt, missed = next_expiry(timer.target if cpu else t.deadline, t.interval, now)
                t.overrun += missed
                self._arm(t, t.interval, t.interval, nxt)
            else:
                t.deadline = None

    def catch_up(self, t: PosixTimer) -> None:
        """Before a system call looks at or changes ``t``: an expiry already due whose host
        thread has not run yet (late, on a loaded machine; Linux's comes on time) happens
        now, so that the call sees its signal and overruns (a periodic timer disarmed then
        lost them: fewer expiries than its schedule)."""
        with self.timer_lock:
            host = t.host
            if host is None or t.deadline is None:
                return
            if isinstance(host, CpuTimer) and host.now() is None:
                self.clock_gone(t, host)
            elif host.left() <= 0 if isinstance(host, CpuTimer) else t.deadline <= time.monotonic():
                self._expire(t, host)

    def catch_up_all(self) -> None:
        """Before a system call that looks at pending signals (sigtimedwait, sigpending): every
        POSIX timer's expiry already due, and setitimer's, whose host thread has not run yet happens now. On
        Linux a timer due before a nanosleep ends has queued its signal when the sleeper wakes;
        on a loaded machine xld's host thread came later, so a program that blocked the signal,
        slept past two one-shot timers and drained them with sigtimedwait found fewer, and the
        rest, queued by timer_delete's catch_up, killed it when it unblocked the signal
        (randsys seed 5001 at load 30-40: one run in four under pytest)."""
        for t in list(self.posix_timers.values()):
            self.catch_up(t)
        with self.timer_lock:               # setitimer's real-time timer, the same way: its
            it = self.itimer                # expiry runs here; its late host thread then finds
            if it is not None and it[1] <= time.monotonic():    # itself replaced (or the
                it[0].fn()                                       # timer gone) and does nothing

    def clock_gone(self, t: PosixTimer, timer: CpuTimer) -> None:
        """``t``'s CPU-time clock, that its host thread ``timer`` runs on, is gone (the child
        process reaped, the thread ended): ``t`` is disarmed, as the kernel's timer on a task
        it no longer finds (timer_gettime gives zeros, timer_settime ESRCH). xld's host thread
        met the missing time in its next period (a traceback, thread xld-run-cputimer)."""
        with self.timer_lock:
            if t.host is timer:
                timer.cancel()
                t.host, t.deadline, t.interval = None, None, 0.0

    def _arm(self, t: PosixTimer, value: float, interval: float, at: float | None = None) -> None:
        """Arm ``t`` to expire in ``value`` seconds (or, from its own expiry, at ``at``: the
        monotonic time, or the CPU clock's, of its next period on the schedule), then every
        ``interval``; a ``value`` of 0 disarms it."""
        with self.timer_lock:
            old = t.host
            if value <= 0 or self.timers_closed:
                t.host, t.deadline, t.interval = None, None, interval
            else:
                def fire():
                    with self.timer_lock:     # (held by _arm until ``timer`` is set)
                        self._expire(t, timer)

                now = time.monotonic()
                if t.cpu is not None:
                    timer = CpuTimer(value, fire, t.cpu, at, lambda: self.clock_gone(t, timer))
                    if at is not None:
                        value = timer.left()
                    deadline = now + value
                else:
                    deadline = now + value if at is None else at
                    timer = self.expiries.schedule(deadline, fire)   # (sched.py: no thread of its own)
                t.interval = interval
                t.host, t.deadline = timer, deadline
            if old is not None:
                old.cancel()
            if isinstance(t.host, CpuTimer) and t.host is not old:
                t.host.start()

    def timer_signal_queued(self, sig: int) -> bool:
        """Is an expiry's ``sig`` still waiting to be taken: queued for the run loop, about to
        get its frame, or pending (blocked) in a thread's set? The kernel queues each timer's
        signal once; the expiries until it is taken are that timer's overrun count (xld
        queued a real-time signal once per expiry: a blocked 1 ms timer left dozens of
        instances, each with an overrun of 0). Timers sharing a signal queue an instance each
        (``PosixTimer.queued``: an instance taken with no siginfo asked for, by sigwait,
        leaves the flag set but none of the signal pending, and the next expiry queues
        again). On a timer thread: the sets are copied, never iterated live."""
        if sig in list(self.async_signals):
            return True
        for t in list(self.threads.values()):
            st = t.state if t is not self.cur else {"pending": self.pending, "blocked_pending": self.blocked_pending}
            frame = st.get("pending")
            if frame is not None and frame[0] == sig and frame[1] == SI_TIMER:
                return True
            pend = st.get("blocked_pending")
            if pend is not None and any(c == SI_TIMER for c, _v, _t in list(pend.instances.get(sig, ()))):
                return True
        return False

    def timer_siginfo(self, sig: int, receiver: int) -> tuple[int, int, int] | None:
        """(timer id, overrun, sigev_value) of the POSIX timer behind a SI_TIMER ``sig``
        that thread ``receiver`` takes (signals.deliver): the oldest whose instance is queued,
        for the process or that thread; None for the interval timer's SIGALRM."""
        waiting = self.timers_queued.get(sig)     # (no lock: a deque's single operations are
        for t in list(waiting or ()):               # thread-safe, and a timer thread may hold
            if t.thread not in (None, receiver):    # timer_lock while it waits for this one)
                continue
            try:
                waiting.remove(t)
            except ValueError:
                continue
            if t.queued and self.posix_timers.get(t.tid) is t:
                t.queued = False
                overrun, t.overrun = min(t.overrun, 0x7FFFFFFF), 0
                t.overrun_last = overrun
                return t.tid, overrun, t.value
        for t in self.posix_timers.values():
            if t.sig == sig and t.notify == SIGEV_SIGNAL and t.thread in (None, receiver):
                overrun, t.overrun = min(t.overrun, 0x7FFFFFFF), 0
                t.overrun_last = overrun
                return t.tid, overrun, t.value
        return None

    # --- CPU-time clocks ------------------------------------------------------------------------
    def cpu_clock_of(self, clock: int, gettime: bool = False):
        """The CPU-time clock ``clock`` names, decoded as the kernel does: ("thread", Thread,
        kind) for CLOCK_THREAD_CPUTIME_ID (the caller's) and MAKE_THREAD_CPUCLOCK(tid, kind)
        (~tid << 3 | 4 | kind: tid 0 the caller, else a thread of this process; glibc's
        pthread_getcpuclockid); ("process", host pid, kind) for CLOCK_PROCESS_CPUTIME_ID and
        MAKE_PROCESS_CPUCLOCK(pid, kind) (host pid None: this process, pid 0 or its own, and
        for clock_gettime (``gettime``) the calling thread's tid too; else another process of
        the run, as kill reaches). None: no CPU-time clock (an id >= 0, or a dynamic clock's
        ~fd << 3 | 3); -EINVAL: kind 3, or no such thread or process."""
        if clock == CLOCK_PROCESS_CPUTIME_ID:
            return "process", None, CPUCLOCK_SCHED
        if clock == CLOCK_THREAD_CPUTIME_ID:
            return "thread", self.cur, CPUCLOCK_SCHED
        if clock >= 0 or clock & 7 == 3:
            return None
        kind, pid = clock & 3, ~(clock >> 3)
        if kind == 3:
            return -errno.EINVAL
        if clock & 4:
            t = self.cur if pid == 0 else self.threads.get(pid)
            return -errno.EINVAL if t is None else ("thread", t, kind)
        if pid in (0, self.pid) or gettime and pid == self.cur.tid:
            return "process", None, kind
        host = self.host_of(pid)
        if host not in self.children and host not in (self.parent_host_pid, self.first_host_pid):
            return -errno.EINVAL
        return "process", host, kind

    def cpu_clock_reader(self, what: str, whose, kind: int):
        """A function giving the time of cpu_clock_of's clock in seconds, from any host thread
        (a CpuTimer's); None once it is gone (another process's that ended)."""
        if what == "thread":
            # an ended thread's clock is gone (its last time stays in thread_cpu_ns);
            # the leader's stays, as the kernel keeps it until the whole process ends
            return lambda: (self.thread_cpu_ns(whose, kind) / 1e9
                            if whose.alive or whose.tid == self.pid else None)
        if kind == CPUCLOCK_SCHED and whose is None:
            return time.process_time
        # the host kernel's clock of that kind: this process's (pid 0) user or user + system
        # time (its tick-sampled counts), or another process's
        host_clock = ~(whose or 0) << 3 | kind

        def other():
            try:
                return time.clock_gettime(host_clock)
            except OSError:
                return None
        return other

    def sys_clock_gettime(self, clk, tp, *_):
        named = self.cpu_clock_of(s32(clk), gettime=True)
        if named is None or named == ("process", None, CPUCLOCK_SCHED):
            return super().sys_clock_gettime(clk if named is None else CLOCK_PROCESS_CPUTIME_ID, tp)
        if isinstance(named, int):
            return named
        if named[0] == "thread":
            ns = self.thread_cpu_ns(named[1], named[2])
        else:
            secs = self.cpu_clock_reader(*named)()
            if secs is None:
                return -errno.EINVAL
            ns = round(secs * 1e9)
        self.wr(tp, struct.pack("<qq", ns // 1_000_000_000, ns % 1_000_000_000))
        return 0

    def sys_clock_getres(self, clk, tp, *_):
        named = self.cpu_clock_of(s32(clk))
        if named is None:
            return super().sys_clock_getres(clk, tp)
        if isinstance(named, int):
            return named
        if tp:      # 1 ns for the scheduler's clocks; the host's tick for user (+ system) time
            ns = 1 if named[2] == CPUCLOCK_SCHED else round(time.clock_getres(~0 << 3 | named[2]) * 1e9)
            self.wr(tp, struct.pack("<qq", ns // 1_000_000_000, ns % 1_000_000_000))
        return 0

    def sys_clock_settime(self, clk, tp, *_):
        """A CPU-time clock is never set (the kernel's posix_cpu_clock_set): EPERM once the
        time is read and the id names a clock, EINVAL if it names none; other ids are
        syscalls.py's."""
        clock = s32(clk)
        if clock >= 0 or clock & 7 == 3:
            return super().sys_clock_settime(clk, tp)
        self.rd(tp, 16)
        named = self.cpu_clock_of(clock)
        return named if isinstance(named, int) else -errno.EPERM

    def sys_clock_nanosleep(self, clk, flags, req, rem, *_):
        """On a CPU-time clock, as the kernel's posix_cpu_nsleep: wait until that clock has
        advanced by the time asked (or, TIMER_ABSTIME, reached it), whoever's clock it is; on
        the caller's own thread clock EINVAL (it would never wake)."""
        clock = s32(clk)
        if clock == CLOCK_THREAD_CPUTIME_ID:
            return -errno.EOPNOTSUPP        # (glibc's and musl's wrappers say EINVAL first)
        named = self.cpu_clock_of(clock)
        if named is None:
            if clock < 0:
                return -errno.EOPNOTSUPP    # a dynamic clock: no sleeping on it
            return super().sys_clock_nanosleep(clk, flags, req, rem)
        sec, nsec = struct.unpack("<qq", self.rd(req, 16))
        if sec < 0 or not 0 <= nsec < 1_000_000_000:
            return -errno.EINVAL
        if clock < 0 and clock & 4 and ~(clock >> 3) in (0, self.cur.tid):
            return -errno.EINVAL            # its own thread's (whatever its kind)
        if isinstance(named, int):
            return named
        reader = self.cpu_clock_reader(*named)
        now = reader()
        if now is None:
            return -errno.EINVAL
        target = timespec_seconds(sec, nsec) + (0.0 if flags & TIMER_ABSTIME else now)
        if now >= target:
            return 0
        rem = 0 if flags & TIMER_ABSTIME else rem
        if named[0] == "process" and named[1] is None and len(self.threads) < 2:
            return self.cpu_sleep_alone(target - now, rem)
        return self.cpu_sleep(reader, now, target, rem)

    def cpu_sleep_alone(self, left: float, rem: int):
        """The only thread sleeps on its own process's CPU clock: nothing of the process runs,
        so on Linux the clock stands still and only a signal ends the sleep (EINTR, all of
        the time left in ``rem``). The emulator's own CPU time goes on (Python, host
        threads): waiting for it woke such a 20 ms sleep after about 1.8 s."""
        while not self.wait_for_signal(None):
            if self.stop_event.is_set():
                return -errno.EINTR     # (the run is over: the result goes nowhere)
        if rem:
            self.wr(rem, pack_timespec(left))
        return -errno.EINTR

    def cpu_sleep(self, clock, now: float, target: float, rem: int):
        """Block the caller until the CPU-time clock ``clock`` (cpu_clock_reader's, at ``now``)
        reaches ``target`` seconds; a signal ends the wait with EINTR and the clock's time
        left written to ``rem`` (if not 0). A clock that goes away meanwhile never gets there:
        the wait lasts until a signal, as on Linux (the time left is then from its last
        reading). With one thread the caller looks at the clock every 50 ms at most; with
        others, a CpuTimer host thread does (they run meanwhile)."""
        seen = [now]

        def reader():
            t = clock()
            if t is not None:
                seen[0] = t
            return t

        def interrupted():
            if rem:
                reader()
                self.wr(rem, pack_timespec(max(0.0, target - seen[0])))
            return -errno.EINTR

        if len(self.threads) < 2:
            while True:
                now = reader()
                if now is not None and now >= target:
                    return 0
                step = 0.05 if now is None else min(0.05, max(target - now, 0.0005))
                if self.wait_for_signal(step):
                    return interrupted()
                if self.stop_event.is_set():
                    return -errno.EINTR     # (the run is over: the result goes nowhere)
        reached = threading.Event()

        def fire():
            reached.set()
            self.wake.set()

        timer = CpuTimer(0.0, fire, reader, target)

        def cancel():
            timer.cancel()
            self.cpu_sleeps.discard(timer)

        with self.timer_lock:
            if self.timers_closed:
                return -errno.EINTR
            self.__dict__.setdefault("cpu_sleeps", set()).add(timer)
        timer.start()
        def poll():
            if not reached.is_set():
                return None
            cancel()
            return 0
        return self.block(self.Wait("clock_nanosleep", poll, cancel=cancel, interrupted=interrupted))

    # --- ITIMER_VIRTUAL, ITIMER_PROF: the process's CPU time ------------------------------------
    def arm_cpu_itimer(self, which: int, value: float, interval: float, at: float | None = None) -> None:
        """setitimer(ITIMER_VIRTUAL (1) or ITIMER_PROF (2)): SIGVTALRM or SIGPROF after
        ``value`` seconds of CPU time (from its own expiry: at CPU time ``at``), then every
        ``interval``."""
        timers = self.__dict__.setdefault("cpu_itimers", {})
        sig = SIGVTALRM if which == 1 else SIGPROF
        with self.timer_lock:
            old = timers.get(which)
            if value <= 0 or self.timers_closed:
                timers.pop(which, None)
                timer = None
            else:
                def fire():
                    with self.timer_lock:
                        if timers.get(which, (None,))[0] is not timer or self.timers_closed:
                            return
                        self.timer_fired(sig)          # (CPU time: expires as it spins)
                        if interval > 0:               # (on its schedule, as _arm)
                            nxt, _missed = next_expiry(timer.target, interval, timer.now())
                            self.arm_cpu_itimer(which, interval, interval, nxt)
                        else:
                            timers.pop(which, None)

                timer = CpuTimer(value, fire, "virtual" if which == 1 else "prof", at)
                timers[which] = (timer, interval)
            if old is not None:
                old[0].cancel()
            if timer is not None:
                timer.start()

    def cpu_itimer_value(self, which: int) -> tuple[float, float]:
        """(seconds left, interval) of an ITIMER_VIRTUAL/ITIMER_PROF timer; zeros if disarmed."""
        t = self.__dict__.get("cpu_itimers", {}).get(which)
        if t is None:
            return 0.0, 0.0
        return max(1e-6, t[0].left()), t[1]

    def exec_timers(self) -> None:
        """execve: the process's POSIX timers are deleted (the kernel's exit_itimers in
        begin_new_exec), and with them the expiries they queued that no thread took yet (the
        host's Linux 6.18: a blocked timer signal pending at exec is not pending after it).
        An armed timer fired its signal into the new image, whose default action (SIGUSR1's)
        killed it, and timer_gettime of the old id still answered. setitimer's timers stay
        (signals.py)."""
        with self.timer_lock:
            timers = list(self.posix_timers.values())
            for t in timers:
                self._arm(t, 0, 0)
            self.posix_timers.clear()
            self.timers_queued.clear()
            self.stale_timer_mask = 0     # (6.18: not pending after the exec either)
        # the run loop's thread is the only one that takes from async_signals: an entry found
        # here stays where it is until deleted (timer threads only append)
        for i in range(len(self.async_signals) - 1, -1, -1):
            s = self.async_signals[i]
            if isinstance(s, TimerSignal):
                del self.async_signals[i]
                for t in timers:
                    if t.queued and t.sig == s:
                        t.queued = False
                        break
        sets = [self.blocked_pending] + [t.state.get("blocked_pending") for t in self.threads.values()
                                         if t is not self.cur]
        for t in timers:             # a queued instance already in a thread's set
            if t.queued and t.notify == SIGEV_SIGNAL:
                any(p is not None and p.drop_one(t.sig, SI_TIMER) for p in sets)

    def stop_posix_timers(self) -> None:
        for t, _interval in list(self.__dict__.get("cpu_itimers", {}).values()):
            t.cancel()
        with self.timer_lock:
            self.timers_closed = True
        for t in list(self.__dict__.get("cpu_sleeps", ())):
            t.cancel()              # (a thread still in a CPU-time clock_nanosleep)
        for t in list(getattr(self, "posix_timers", {}).values()):
            self._arm(t, 0, 0)


def _itimerspec(t: PosixTimer) -> bytes:
    if isinstance(t.host, CpuTimer) and t.deadline is not None:
        left = max(1e-9, t.host.left())
    elif t.deadline is None or (t.interval <= 0 and t.deadline <= time.monotonic()):
        # a one-shot timer past its time is disarmed, even before its host thread has said so:
        # it queues the signal first (Timers._arm), and the handler woken by that may look
        # sooner (timer_gettime read it still armed, randsys seed 1017 once pause() woke at once)
        left = 0.0
    else:
        left = max(1e-9, t.deadline - time.monotonic())
    return ktime_timespec(t.interval) + ktime_timespec(left)





class _Einval(Exception):
    pass


__all__ = ["Timers", "PosixTimer", "next_expiry"]
