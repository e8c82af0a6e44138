"""Threads: clone(CLONE_THREAD), futex, and the scheduler that runs them on one engine.

Every guest thread runs on the one Unicorn engine, one at a time, as on a single-CPU machine.
A thread is its saved CPU state (Unicorn's context: general and FP/SIMD registers, the TLS
register TPIDR_EL0/tp, flags) plus the kernel's per-thread state (signal mask, pending signal,
signal frames, sigaltstack, clear_child_tid). The Process's attributes of those names always
describe the running thread; a switch stores them in the outgoing Thread and loads the
incoming one's (``PER_THREAD``).

Switches happen

- inside the system-call hook, when the running thread blocks (futex wait, sleep, reading an
  empty pipe), exits, or yields: the hook saves its context, restores the next runnable one
  and returns, and Unicorn carries on there. The engine's run (``emu_start``) does not end;
- in the run loop, at the end of a time slice. While there is more than one thread, a ticker
  thread asks every TICK seconds for a stop (``kick``); the kicker (uc.Kicker: a block hook in
  host machine code) stops the engine exactly at the next translation block. Without the
  kicker (not an x86-64 host) or with an instruction budget, each ``emu_start`` is
  instead given an instruction count (``SLICE_INSNS``, or what is left of the budget), and
  Unicorn stops exactly at an instruction boundary when it is spent; the budget is charged
  slice by slice, so it covers every thread.

  (Not a host timer calling ``uc_emu_stop``: measured on Unicorn 2.1.4, such an asynchronous
  stop is not exact — it can resume with the PC one instruction past a register write, or,
  after an in-hook PC write such as rt_sigreturn's, without restoring the PC at all; uc.Kicker
  says more.)

Exclusive loads and stores (arm64 LDXR/STXR, riscv64 LR/SC) stay correct across switches: the
kernel's exception return clears the local exclusive monitor, so a thread switched out
between its load-exclusive and its store-exclusive sees the store fail and retries. QEMU keeps
the monitor in the CPU state (``exclusive_addr``, ``load_res``), which Unicorn's context
restores with the rest; the switch therefore writes -1 there in the incoming context. Its place
in the context is found once per Python process by a probe on a scratch engine (a
load-exclusive of a known address, then a search of the saved state), and checked (a
store-exclusive after the patched restore must fail); if the probe fails, threads still run,
without the clearing (``monitor_offset`` is None), which only matters for the ABA case since
QEMU's store-exclusive also compares the loaded value.

When every thread is blocked, the runner sleeps on the host until the earliest timeout, a
signal, or the end of the run (time limit, Ctrl-C); a program whose threads all wait forever
hangs as it would on Linux, until the time limit.
"""

from __future__ import annotations

import ctypes
import errno
import select
import struct
import threading
import time

from . import uc as U
from .fs import GuestOSError
from .signals import LONGEST_WAIT, SI_TIMER, Pending, SentInfo
from .syscalls import NotServed, s32

CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_PIDFD, CLONE_PTRACE, CLONE_VFORK, CLONE_PARENT = 0x1000, 0x2000, 0x4000, 0x8000
CLONE_THREAD, CLONE_SYSVSEM, CLONE_SETTLS = 0x10000, 0x40000, 0x80000
CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_DETACHED = 0x100000, 0x200000, 0x400000
CLONE_UNTRACED, CLONE_CHILD_SETTID = 0x800000, 0x1000000
# What a thread may ask for (everything glibc's and musl's pthread_create pass, and harmless bits).
THREAD_FLAGS = (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM
                | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED
                | CLONE_UNTRACED | CLONE_CHILD_SETTID | CLONE_PTRACE)

FUTEX_WAIT, FUTEX_WAKE, FUTEX_FD, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP = 0, 1, 2, 3, 4, 5
FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 9, 10
FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 128, 256
FUTEX_BITSET_MATCH_ANY = 0xFFFFFFFF

SLICE_INSNS = 200_000      # instructions of a time slice (counted runs)
TICK = 0.005               # s: a time slice when the kicker stops runs (uc.Kicker)

# The kernel's per-thread state, kept on the Process for the running thread.
PER_THREAD = ("sigmask", "saved_sigmask", "pending", "sigframes", "altstack", "blocked_pending",
              "clear_child_tid", "robust_list")
FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK = 0x80000000, 0x40000000, 0x3FFFFFFF
ROBUST_LIST_LIMIT = 2048

BLOCKED = object()         # a handler's result: the thread blocks, the scheduler runs another
RESTART = object()         # a blocked call's "result": run the system call again (SA_RESTART)
SA_RESTART = 0x10000000


class Wait:
    """Why a thread is blocked: ``poll()`` gives the call's result once it can go on (None
    while it must wait); at ``deadline`` (time.monotonic) the result is ``timeout_result``; a
    signal ends it with EINTR, or, when ``restart`` (a call the kernel restarts: signal(7)) and
    the signal's handler has SA_RESTART, runs the call again after the handler. ``cancel()``
    undoes its registration (futex queues)."""

    __slots__ = ("name", "poll", "deadline", "timeout_result", "cancel", "host_fds", "interrupted",
                 "restart")

    def __init__(self, name, poll, deadline=None, timeout_result=-errno.ETIMEDOUT, cancel=None,
                 host_fds=(), interrupted=None, restart=False):
        self.name = name
        self.poll = poll
        self.deadline = deadline
        self.timeout_result = timeout_result      # a value, or a function giving it
        self.cancel = cancel
        self.host_fds = host_fds                  # (fd, events) pairs, or a function giving them
        self.interrupted = interrupted            # a function giving the EINTR result
        self.restart = restart

    def result(self, now: float):
        r = self.poll()
        if r is not None:
            return r
        if self.deadline is not None and now >= self.deadline:
            if self.cancel:
                self.cancel()
            r = self.timeout_result
            return r() if callable(r) else r
        return None

    def interrupt(self, sa_restart: bool = False):
        """The call's result when a signal ends the wait: EINTR (or what ``interrupted()``
        says, such as a partial count), or RESTART (the call runs again once the handler
        returns) if the call restarts and the handler has SA_RESTART. What the call waits
        for may have come with the signal (a child's exit and its SIGCHLD): then that is the
        result, as the kernel looks for it before it looks for a pending signal."""
        r = self.poll()
        if r is not None:
            return r
        if self.cancel:
            self.cancel()
        try:
            r = self.interrupted() if self.interrupted else -errno.EINTR
        except GuestOSError as e:       # (the time left written to a bad address, from the
            return -e.errno             # signalling thread's routing: EFAULT, as the kernel)
        return RESTART if sa_restart and self.restart and r == -errno.EINTR else r


class Later:
    """A blocked call's result that must be worked out in its own thread's context (its signal
    mask and pending signal on the Process): ``fn()`` gives it once the thread runs again
    (a temporary mask ends then: rt_sigsuspend, pselect6, ppoll)."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __repr__(self):
        return "?"                  # (strace's "resumed" line: not known yet)


class Thread:
    __slots__ = ("tid", "ctx", "wait", "result", "state", "alive", "exit_status", "affinity", "cpu")

    def __init__(self, tid: int):
        self.tid = tid
        self.ctx: U.Context | None = None
        self.wait: Wait | None = None
        self.result = None          # the blocked call's result, written when it runs again
        self.state: dict = {}       # PER_THREAD values while it is not running
        self.alive = True
        self.exit_status = None
        self.affinity: int | None = None    # the CPU mask it set (None: the host's CPUs)
        # its times (ns) until it last stopped running, by the kernel's kind of CPU clock:
        # user + system, user (the host's tick-sampled counts), CPU time (thread_cpu_ns)
        self.cpu = [0, 0, 0]


def host_thread_times(host: int | None = None) -> tuple[int, int, int]:
    """(user + system time, user time, CPU time) in ns of host thread ``host`` (None: the
    calling one), read through the host kernel's CPU clocks MAKE_THREAD_CPUCLOCK(tid, kind)
    for the kinds CPUCLOCK_PROF, VIRT and SCHED (tid 0: the caller). The first two are the
    kernel's tick-sampled counts, as a guest's are on Linux."""
    clock = ~(host or 0) << 3 | 4
    return tuple(time.clock_gettime_ns(clock | kind) for kind in (0, 1, 2))


def cpu_deltas(now, mark) -> tuple[int, int, int]:
    """What a guest thread ran between two host_thread_times readings ``mark`` and ``now``:
    its user + system time is its user time plus what the host counted as system time
    (never less than the user time, as the kernel's counts: the two clocks are not read at
    one instant)."""
    user = max(0, now[1] - mark[1])
    return user + max(0, now[0] - mark[0] - user), user, max(0, now[2] - mark[2])


class Waiter:
    __slots__ = ("thread", "bitset", "woken", "addr")

    def __init__(self, thread, addr, bitset):
        self.thread = thread
        self.addr = addr
        self.bitset = bitset
        self.woken = False


_FUTEX_NR = {"x86_64": 202, "amd64": 202, "aarch64": 98, "arm64": 98, "riscv64": 98}
_libc = None


def host_futex(addr: int, op: int, val: int, val2: int, addr2: int, val3: int, raw: bool = False) -> int:
    """The host's futex(2) (shared, not FUTEX_PRIVATE_FLAG: the memory is shared between host
    processes) on host addresses: its result or -errno; with ``raw``, the C result with errno
    set (hostio.BlockingCall)."""
    import ctypes
    import platform
    global _libc
    nr = _FUTEX_NR.get(platform.machine().lower())
    if nr is None:
        raise NotServed("a futex in memory shared between processes, on this host")
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    r = _libc.syscall(ctypes.c_long(nr), ctypes.c_void_p(addr), ctypes.c_long(op),
                      ctypes.c_long(val & 0xFFFFFFFF), ctypes.c_void_p(val2 or None),
                      ctypes.c_void_p(addr2 or None), ctypes.c_long(val3 & 0xFFFFFFFF))
    if raw or r >= 0:
        return r
    return -ctypes.get_errno()


_SCHED_GETAFFINITY = {"x86_64": 204, "amd64": 204, "aarch64": 123, "arm64": 123, "riscv64": 123}


def host_getaffinity(host_pid: int, size: int) -> tuple[int, bytes]:
    """The host kernel's sched_getaffinity(2) as a program sees it: (its result — the
    kernel's mask size in bytes, or -errno: EINVAL for a size too small for that mask or not
    a multiple of 8, ESRCH — and the mask's bytes). Python's os.sched_getaffinity hides the
    size, so the system call itself is made where its number is known; elsewhere the size is
    worked out from the possible CPUs."""
    import ctypes
    import os
    import platform
    size = min(size, 1 << 13)
    nr = _SCHED_GETAFFINITY.get(platform.machine().lower())
    if nr is not None:
        buf = ctypes.create_string_buffer(max(size, 8))
        libc = ctypes.CDLL(None, use_errno=True)
        r = libc.syscall(ctypes.c_long(nr), ctypes.c_long(host_pid), ctypes.c_long(size), buf)
        if r < 0:
            return -ctypes.get_errno(), b""
        return r, buf.raw[:r]
    try:
        cpus = os.sched_getaffinity(host_pid)
    except OSError as e:
        return -(e.errno or errno.ESRCH), b""
    try:
        with open("/sys/devices/system/cpu/possible") as f:
            possible = int(f.read().strip().replace(",", "-").split("-")[-1]) + 1
    except (OSError, ValueError):
        possible = max(cpus) + 1
    need = (possible + 63) // 64 * 8
    if size * 8 < possible or size % 8:
        return -errno.EINVAL, b""
    bits = sum(1 << c for c in cpus)
    return need, bits.to_bytes(need, "little")


# --- the exclusive monitor's place in Unicorn's saved context --------------------------------
_MONITOR: dict[str, int | None] = {}

_PROBE = {
    # ldxr x0, [x1]; mov x1, #0 | stxr w2, x3, [x1]
    "arm64": (struct.pack("<II", 0xC85F7C20, 0xD2800001), struct.pack("<I", 0xC8027C23)),
    # lr.d a0, (a1); li a1, 0   | sc.d a2, a3, (a1)
    "riscv64": (struct.pack("<II", 0x1005B52F, 0x00000593), struct.pack("<I", 0x18D5B62F)),
}


def monitor_offset(arch) -> int | None:
    """Offset, in a Unicorn context of ``arch``, of the exclusive monitor's address
    (CPUARMState.exclusive_addr / CPURISCVState.load_res); None if it cannot be found."""
    if arch.name not in _MONITOR:
        try:
            _MONITOR[arch.name] = _probe_monitor(arch)
        except Exception:
            _MONITOR[arch.name] = None
    return _MONITOR[arch.name]


def _probe_monitor(arch) -> int | None:
    from . import ucconst as K
    load, store = _PROBE[arch.name]
    a1 = arch.args[1]
    with U.Engine(arch.uc_arch, arch.uc_mode) as e:
        if arch.name == "arm64":
            e.set_page_size(4096)
        e.set_cpu_model(arch.cpu_model)
        base = 0x7_1234_0000
        e.mem_map(base, 0x1000, U.PROT_ALL)
        e.mem_write(base, load)
        e.mem_write(base + 0x100, store)
        target = base + 0x808
        e.mem_write(target, struct.pack("<Q", 0x1122334455667788))
        e.reg_write(a1, target)
        if e.emu_start(base, base + 8, 0, 0):
            return None
        ctx = e.context_alloc()
        e.context_save_into(ctx)
        raw = ctx.raw()
        needle = struct.pack("<Q", target)
        hits = [i for i in range(0, len(raw) - 7, 8) if raw[i:i + 8] == needle]
        if len(hits) != 1:
            return None
        off = hits[0]
        # check: with the monitor cleared in the context, the store-exclusive must fail
        ctx.poke(off, b"\xff" * 8)
        e.context_restore(ctx)
        e.reg_write(a1, target)
        e.reg_write(arch.args[3], 7)
        if e.emu_start(base + 0x100, base + 0x104, 0, 0):
            return None
        failed = e.reg_read(arch.args[2]) == 1
        unchanged = struct.unpack("<Q", e.mem_read(target, 8))[0] == 0x1122334455667788
        del K
        return off if failed and unchanged else None


class Threads:
    """Mixin for the Process: the thread table, the scheduler, and the thread system calls."""

    Wait = Wait
    Later = Later

    def init_threads(self) -> None:
        self.threads: dict[int, Thread] = {}
        pid = self.pid
        main = Thread(pid)
        self.threads[pid] = main
        self.cur = main
        self.cur_tid = pid
        self.next_tid = pid + 1
        self.futexes: dict[int, list[Waiter]] = {}
        self.preempt_req = False
        self.leader_status = None
        self.nswitches = 0
        self._last_count = 0
        self._mon_off = None
        self._insns_left = None
        self.yielding = False
        self.kicker = None          # uc.Kicker of this engine, once runs need prompt stops
        self.kicked = False         # a stop was asked for (kick)
        self._ticker = None         # host pid whose ticker thread runs
        # the host thread that runs the engine now (its kernel tid; None between runs: each
        # run may have a host thread of its own, runner.py), and its CPU time (ns) when the
        # running thread began to run there (host_thread_times; thread_cpu_ns)
        self.cpu_host: int | None = None
        self.cpu_mark = (0, 0, 0)
        self.cpu_lock = threading.Lock()    # (a CPU-time timer's host thread reads them too)

    # --- switching ------------------------------------------------------------------------
    def _save_current(self) -> None:
        t = self.cur
        if t.ctx is None:
            t.ctx = self.eng.context_alloc()
        self.eng.context_save_into(t.ctx)
        t.state = {name: getattr(self, name) for name in PER_THREAD}

    def _load(self, t: Thread) -> None:
        """Make ``t`` the running thread (its context in the engine, its state on self)."""
        if self.cpu_host is not None:       # the CPU time the outgoing thread ran
            with self.cpu_lock:
                self._count_cpu(host_thread_times())
        if t.ctx is not None:
            if self._mon_off is not None:
                t.ctx.poke(self._mon_off, b"\xff" * 8)
            self.eng.context_restore(t.ctx)
        for name in PER_THREAD:
            setattr(self, name, t.state[name])
        self.cur = t
        self.cur_tid = t.tid
        self.nswitches += 1
        if t.result is not None:
            ret, t.result = t.result, None
            if isinstance(ret, Later):
                ret = ret.fn()
            if ret is RESTART:             # back to the svc/ecall, its registers untouched
                self.eng.reg_write(self.arch.pc, self.eng.reg_read(self.arch.pc) - 4)
            else:
                self._write_ret(ret)

    def cpu_enter(self) -> None:
        """A run of the engine begins on this host thread (runner.py)."""
        with self.cpu_lock:
            self.cpu_mark = host_thread_times()
            self.cpu_host = threading.get_native_id()

    def cpu_leave(self) -> None:
        """The run ends: the running thread's CPU time is counted."""
        with self.cpu_lock:
            if self.cpu_host is not None:
                self._count_cpu(host_thread_times())
                self.cpu_host = None

    def _count_cpu(self, now) -> None:
        """The running thread has run until ``now`` (host_thread_times) since the mark:
        counted, and the mark moved here. Under cpu_lock."""
        t = self.cur
        t.cpu = [a + b for a, b in zip(t.cpu, cpu_deltas(now, self.cpu_mark))]
        self.cpu_mark = now

    def thread_cpu_ns(self, t: Thread, kind: int = 2) -> int:
        """Guest thread ``t``'s time on its CPU clock of ``kind`` (the kernel's: 2
        CPUCLOCK_SCHED, its CPU time, CLOCK_THREAD_CPUTIME_ID's; 1 VIRT, user time; 0 PROF,
        user + system time): the time of the host threads that ran the engine while ``t`` was
        the running thread, its system calls and translation included (under qemu-user, its
        own host thread's). From any host thread (a CPU-time timer's too)."""
        with self.cpu_lock:
            done, host = t.cpu[kind], self.cpu_host
            if t is not self.cur or host is None:
                return done
            try:
                now = host_thread_times(None if host == threading.get_native_id() else host)
            except OSError:
                return done         # (that run has just ended)
            return done + cpu_deltas(now, self.cpu_mark)[kind]

    def clear_monitor(self) -> None:
        """Clear the running thread's exclusive monitor (its next store-exclusive fails)."""
        if self._mon_off is None:
            self._mon_off = monitor_offset(self.arch)
            if self._mon_off is None:
                return
        t = self.cur
        if t.ctx is None:
            t.ctx = self.eng.context_alloc()
        self.eng.context_save_into(t.ctx)
        t.ctx.poke(self._mon_off, b"\xff" * 8)
        self.eng.context_restore(t.ctx)

    def _pick(self, start: Thread) -> Thread | None:
        """The next thread that can run, round robin from after ``start`` (``start`` last)."""
        order = list(self.threads.values())
        try:
            i = order.index(start)
            order = order[i + 1:] + order[:i + 1]
        except ValueError:
            pass
        now = time.monotonic()
        for t in order:
            if t.wait is None:
                return t
            r = t.wait.result(now)
            if r is not None:
                name = t.wait.name
                t.wait = None
                t.result = r
                if self.strace:
                    self.trace_line(f"{t.tid} <... {name} resumed> = {r}")
                return t
        return None

    def reschedule(self) -> None:
        """The running thread blocked, exited or yielded (its state is saved, or it is gone):
        run the next runnable thread; if none can run, wait on the host for one."""
        start = self.cur
        while True:
            t = self._pick(start)
            if t is not None:
                break
            if self.stop is not None or self.stop_event.is_set():
                return
            if not self.idle_wait():
                return
        if t is not self.cur or t.ctx is not None:
            self._load(t)
        if self.pending is not None or self.async_signals:
            # the run loop delivers it to this thread before it goes on (a wait the signal
            # ended restarts only after the handler, as on Linux)
            self.eng.emu_stop()

    def idle_wait(self) -> bool:
        """Every thread is blocked: sleep until the earliest timeout, a signal, or the end of
        the run. False when the run is over."""
        deadline = None
        host = set()
        for t in self.threads.values():
            if t.wait is not None:
                if t.wait.deadline is not None:
                    deadline = t.wait.deadline if deadline is None else min(deadline, t.wait.deadline)
                fds = t.wait.host_fds
                host.update(fds() if callable(fds) else fds)
        self.wake.clear()
        if self.stop_event.is_set():
            # the end of the run (time limit) came before the clear: its wake is gone, and
            # a wait with no deadline would never end
            return False
        if self._signal_for_blocked():
            return True
        left = None if deadline is None else min(max(0.0, deadline - time.monotonic()), LONGEST_WAIT)
        if host:
            import select
            poller = select.poll()
            for fd in host:     # a descriptor (read) or (descriptor, poll events)
                poller.register(*(fd if isinstance(fd, tuple) else (fd, select.POLLIN)))
            step = 0.05 if left is None else min(0.05, left)
            poller.poll(int(step * 1000) + 1)
        else:
            self.wake.wait(left)
        if self.stop_event.is_set():
            return False
        self._signal_for_blocked()
        return True

    def _signal_for_blocked(self) -> bool:
        """An asynchronous signal (SIGALRM) came while every thread waits: end the wait of a
        thread that does not block it (EINTR), so the signal is delivered there."""
        if not self.async_signals:
            return False
        for sig in self.async_signals:
            handler = self.action(sig)[0]
            if handler == 1 or (handler == 0 and sig in (17, 18, 23, 28)):
                continue
            for t in self.threads.values():
                if getattr(sig, "tid", t.tid) != t.tid:
                    continue                # for another thread (a SIGEV_THREAD_ID timer's)
                mask = self.sigmask if t is self.cur else t.state.get("sigmask", 0)
                if t.wait is not None and not mask & (1 << (sig - 1)):
                    t.result = t.wait.interrupt(self.sa_restart(sig))
                    t.wait = None
                    return True
        # nobody can take them now: park them here as the run loop would (pending while every
        # thread blocks them; dropped when ignored), and let the waits go on, as on Linux,
        # where a blocked signal ends no wait (the running thread's wait was ended for the run
        # loop to park them: a nanosleep in a thread that blocked a timer's signal, while a
        # thread of glibc's SIGEV_THREAD blocked it too, ended with EINTR; randsys seed 101)
        what = self.take_async()
        if what is None:
            return True
        # its default action, or its handler: the run loop's to take, as it was queued (a
        # plain number lost a timer's identity: a SIGEV_THREAD_ID timer's signal for the
        # thread that had just exited went to another thread, woken from its sleep by it)
        self.async_signals.insert(0, what[2])
        if self.cur.wait is None:
            return False
        self.cur.result = self.cur.wait.interrupt(True)
        self.cur.wait = None
        return True

    def sa_restart(self, sig: int) -> bool:
        """Has the handler of ``sig`` SA_RESTART?"""
        return bool(self.action(sig)[1] & SA_RESTART)

    def block(self, wait: Wait):
        """Block the running thread (called by a handler, which returns what this returns)."""
        self.cur.wait = wait
        return BLOCKED

    def after_call(self, blocked: bool) -> None:
        """From the system-call hook, after the result is written: switch if the running
        thread blocked (or exited, or yielded)."""
        cur = self.cur
        if cur.alive:
            if blocked:
                r = cur.wait.result(time.monotonic())
                if r is not None:          # ready at once (e.g. a zero timeout)
                    cur.wait = None
                    self._write_ret(r.fn() if isinstance(r, Later) else r)
                    return
            self._save_current()
        self.reschedule()

    def preempt(self) -> None:
        """End of a time slice (run loop): run the next runnable thread, if another can run."""
        if len(self.threads) < 2:
            return
        self._save_current()
        self.reschedule()

    def thread_note(self) -> str:
        n = len(self.threads)
        if self.next_tid == self.pid + 1:
            return ""
        return f"thread {self.cur_tid}{' (the main thread)' if self.cur_tid == self.pid else ''}, " \
               f"{n} thread{'s' if n != 1 else ''} running"

    # --- the time slice ---------------------------------------------------------------------
    def run_count(self) -> int:
        """The instruction count of the next emu_start (0: unlimited).

        When runs must be stoppable at once (``sliced()``: more than one thread, a timer whose
        signal has a handler, a handler for a signal another process may send), the engine
        gets the kicker (uc.Kicker: an exact stop on request from any thread) and the run is
        not counted: a ticker thread asks for a switch every TICK seconds while there is more
        than one thread, and timers and the signal pump ask for a stop when they queue a
        signal; a debugger's connection is watched the same way (gdbstub.py). Without the
        kicker (not an x86-64 host) or with an instruction budget, a run is one time slice
        of SLICE_INSNS instructions (or what is left of the budget): Unicorn's count stops it
        exactly at an instruction boundary."""
        left = self._insns_left
        if left is None and self.max_insns:
            left = self._insns_left = self.max_insns
        step = self.gdb is not None and self.gdb.run_count() == 1
        if self.kicker is not None:
            self.kicker.hold(step)         # a step runs its instruction whatever is asked
        if step:
            self.run_is_sliced = True
            return 1                       # a debugger's single step (gdbstub.py)
        self.run_is_sliced = self.sliced()
        if self.run_is_sliced and self.kicker_usable():
            self.ensure_kicker()
            if len(self.threads) > 1 or self.shares_memory():
                self._start_ticker()
            if self.gdb is not None and self.gdb.attached:
                self.gdb.watch(self.kick)  # gdb's Ctrl-C stops the run (gdbstub.py)
            return 0
        if self.run_is_sliced:
            return min(left, SLICE_INSNS) if left else SLICE_INSNS
        return left or 0

    def ensure_kicker(self) -> None:
        """Give the engine its kicker now, if runs can use one. Installing it throws away the
        translated code (uc.Kicker), so everything runs through translation again afterwards:
        timers.py installs it before a timer is armed, not in the first stoppable run."""
        if self.kicker is None and self.kicker_usable():
            self.kicker = U.Kicker(self.eng)

    def kicker_usable(self) -> bool:
        """Can runs be stopped on request rather than counted? Not with an instruction budget
        (charged by counts)."""
        return not self.max_insns and U.Kicker.available()

    def kick(self) -> None:
        """From any thread: stop the engine at the next block boundary (exactly), if runs are
        stoppable now; the run loop then looks at what is queued."""
        self.kicked = True
        k = self.kicker
        if k is not None and self.run_is_sliced:
            k.kick()

    def _start_ticker(self) -> None:
        import os
        import threading
        me = os.getpid()
        if self._ticker == me:
            return
        self._ticker = me
        stop_event = self.stop_event

        def tick():
            while not stop_event.wait(TICK) and os.getpid() == me and self._ticker == me:
                if len(self.threads) > 1 or self.shares_memory():
                    self.preempt_req = True
                    self.kick()

        threading.Thread(target=tick, daemon=True, name="xld-run-ticker").start()

    def sliced(self) -> bool:
        """Must runs be stoppable at any instruction? With more than one thread (to switch),
        while a timer whose signal has a handler is armed (timers.py: to deliver it at an exact
        instruction boundary), while a debugger is attached (to see its Ctrl-C), and, when
        the kicker can do it cheaply, while the program has a handler for a signal that other
        processes may send (process.py's FORWARDED: kill from the host), and while it shares
        memory with another process (a slice's end lets the run lock go: runlock.py)."""
        return (len(self.threads) > 1 or self.timer_slices() or self.shares_memory()
                or (self.gdb is not None and self.gdb.attached)
                or (self.forwarded_handlers() and self.kicker_usable()))

    def slice_over(self):
        """The run loop's emu_start ended with nothing else to do: "switch" at the end of a
        time slice (switch threads), "resume" after a stop on request (kick) that found
        nothing to do, or False: the instruction budget ran out."""
        switch = self.preempt_req
        self.preempt_req = False
        kicked = self.kicked
        self.kicked = False
        count = self._last_count
        if not switch and count:
            if self.max_insns:
                self._insns_left -= count
                return "switch" if self._insns_left > 0 else False
            return "switch"
        if switch:
            return "switch"
        # an uncounted run with the kicker ends only on request (a time limit or Ctrl-C sets
        # self.stop first): a kick whose flag was set after its reason had been taken
        return "resume" if kicked or (self.kicker is not None and not count) else False

    # --- system calls -----------------------------------------------------------------------
    def sys_clone(self, flags, newsp, ptid, tls, ctid, *_):
        need = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND
        if flags & need != need or flags & ~(THREAD_FLAGS | 0xFF):
            raise NotServed("a thread (clone with CLONE_THREAD) must share the memory and signal "
                            "handlers (CLONE_VM|CLONE_SIGHAND)")
        if flags & 0xFF:
            return -errno.EINVAL            # a thread has no exit signal
        if self._mon_off is None:
            self._mon_off = monitor_offset(self.arch)
        tid = self.next_tid
        self.next_tid += 1
        t = Thread(tid)
        t.state = {"sigmask": self.sigmask, "saved_sigmask": None, "pending": None, "sigframes": [],
                   "altstack": None, "blocked_pending": Pending(self.queued_count),
                   "clear_child_tid": ctid if flags & CLONE_CHILD_CLEARTID else 0, "robust_list": 0}
        t.affinity = self.cur.affinity      # (inherited, as on Linux)
        if flags & CLONE_PARENT_SETTID:
            self.wr(ptid, struct.pack("<i", tid))
        if flags & CLONE_CHILD_SETTID:
            self.wr(ctid, struct.pack("<i", tid))
        eng, arch = self.eng, self.arch
        # the child's registers: the parent's, with sp = newsp, the TLS register, result 0
        old_sp, old_tp, old_ret = eng.reg_read(arch.sp), eng.reg_read(arch.tp), eng.reg_read(arch.ret)
        if newsp:
            eng.reg_write(arch.sp, newsp)
        if flags & CLONE_SETTLS:
            eng.reg_write(arch.tp, tls)
        eng.reg_write(arch.ret, 0)
        t.ctx = eng.context_alloc()
        eng.context_save_into(t.ctx)
        eng.reg_write(arch.sp, old_sp)
        eng.reg_write(arch.tp, old_tp)
        eng.reg_write(arch.ret, old_ret)
        self.threads[tid] = t
        if len(self.threads) == 2:
            self.preempt_req = True        # restart the run, in time slices from now on
            self.eng.emu_stop()
        return tid

    def sys_clone3(self, *_):
        return -errno.ENOSYS                # glibc then uses clone

    # --- CPU affinity: the host's CPUs, as qemu-user reports them ---------------------------
    # (the threads all run on one engine, one at a time, but a program sizes its thread pool
    # by this mask: it sees the host's, and a mask it sets is remembered per thread)
    def _affinity_thread(self, pid: int):
        """The guest thread ``pid`` names (0: the caller), or None (another process)."""
        return self.cur if pid == 0 else self.threads.get(pid)

    def sys_sched_getaffinity(self, pid, size, mask, *_):
        pid = s32(pid)
        t = self._affinity_thread(pid)
        if pid < 0:
            return -errno.EINVAL
        r, data = host_getaffinity(0 if t is not None else self.host_of(pid), size)
        if r < 0:
            return r
        if t is not None and t.affinity is not None:
            data = (t.affinity & int.from_bytes(data, "little")).to_bytes(r, "little")
        self.wr(mask, data)
        return r

    def sys_sched_setaffinity(self, pid, size, mask, *_):
        pid = s32(pid)
        if pid < 0:
            return -errno.EINVAL
        t = self._affinity_thread(pid)
        host = 0 if t is not None else self.host_of(pid)
        r, data = host_getaffinity(host, 1 << 13)      # (its size: the kernel's cpumask's)
        if r < 0:
            return r
        want = int.from_bytes(self.rd(mask, min(size, r)), "little") if size else 0
        cpus = want & int.from_bytes(data, "little")
        if not cpus:
            return -errno.EINVAL                  # no CPU of the mask is online (allowed)
        if t is None:                             # another process of the run: the host's
            import os
            os.sched_setaffinity(host, [i for i in range(cpus.bit_length()) if cpus >> i & 1])
            return 0
        t.affinity = cpus
        return 0

    def sys_getcpu(self, cpu, node, *_):
        """The CPU: the first one the calling thread may run on (the engine is one CPU)."""
        if cpu:
            aff = self.cur.affinity
            if aff is None:
                r, data = host_getaffinity(0, 1 << 13)
                aff = int.from_bytes(data, "little") if r > 0 else 1
            self.wr(cpu, struct.pack("<I", (aff & -aff).bit_length() - 1))
        if node:
            self.wr(node, bytes(4))
        return 0

    def sys_gettid(self, *_):
        return self.cur_tid

    def sys_set_tid_address(self, ptr, *_):
        self.clear_child_tid = ptr
        return self.cur_tid

    def sys_exit(self, status, *_):
        """One thread ends; the process ends with its last thread."""
        t = self.cur
        if t.tid == self.pid:
            self.leader_status = status & 0xFF
        self.exit_robust_list(self.robust_list, t.tid)
        self.robust_list = 0
        if len(self.threads) == 1:
            st = self.leader_status if self.leader_status is not None else status & 0xFF
            self.terminate(status=st)
            return None
        if self.clear_child_tid:
            try:
                self.wr(self.clear_child_tid, b"\0\0\0\0")
                self._futex_wake(self.clear_child_tid, 1, FUTEX_BITSET_MATCH_ANY)
            except Exception:
                pass
        t.alive = False
        del self.threads[t.tid]
        self.hand_over_pending()
        return BLOCKED

    def hand_over_pending(self) -> None:
        """The exiting running thread's pending signals that were sent to the process go to
        another thread, one that blocks the signal if there is one (a sigwait there takes it):
        Linux keeps them in the process's queue (they were lost, and a sigwait waited for
        ever); the ones sent to the thread go with it."""
        others = [self.threads[tid] for tid in sorted(self.threads)]
        for sig in sorted(self.blocked_pending):
            bit = 1 << (sig - 1)
            dest = next((u for u in others if u.state.get("sigmask", 0) & bit), others[0])
            self.blocked_pending.hand_over(sig, dest.state["blocked_pending"])

    def exec_pending(self) -> None:
        """execve: the other threads die (the kernel's de_thread). What was pending for one of
        them alone goes with it; what was sent to the process (left in that thread's set by
        a sender there that blocked it too) stays pending, now the exec'ing thread's, as in
        Linux's process-wide queue: kill(getpid()) and sigqueue from another thread were lost
        (the host's Linux 6.18 keeps them; progs/execstate.c). The exec'ing thread's own stay
        where they are."""
        for t in list(self.threads.values()):
            pend = t.state.get("blocked_pending") if t is not self.cur else None
            for sig in sorted(pend or ()):
                pend.hand_over(sig, self.blocked_pending)

    def sys_exit_group(self, status, *_):
        self.exit_robust_lists()
        self.terminate(status=status & 0xFF)

    # --- robust futexes: the kernel's side of robust mutexes -------------------------------
    def sys_set_robust_list(self, head, size, *_):
        if size != 24:                      # sizeof(struct robust_list_head)
            return -errno.EINVAL
        self.robust_list = head
        return 0

    def sys_get_robust_list(self, pid, head_ptr, size_ptr, *_):
        pid = s32(pid)
        if pid == 0 or pid == self.cur_tid:
            head = self.robust_list
        elif pid in self.threads:
            head = self.threads[pid].state.get("robust_list", 0)
        else:
            return -errno.ESRCH
        self.wr(head_ptr, struct.pack("<Q", head))
        self.wr(size_ptr, struct.pack("<Q", 24))
        return 0

    def exit_robust_lists(self) -> None:
        """The process ends (exit_group, execve): every thread's robust list is released."""
        for t in list(self.threads.values()):
            head = self.robust_list if t is self.cur else t.state.get("robust_list", 0)
            self.exit_robust_list(head, t.tid)
        self.robust_list = 0

    def exit_robust_list(self, head: int, tid: int) -> None:
        """The kernel's exit_robust_list: a thread that ends holding robust mutexes (the list
        glibc registers with set_robust_list) marks each FUTEX_OWNER_DIED and wakes one
        waiter, so the next locker gets EOWNERDEAD instead of waiting for ever."""
        if not head:
            return
        try:
            def fetch(addr):
                v = self.rd_u64(addr)
                return v & ~1, v & 1          # (entry, PI)
            entry, pi = fetch(head)
            offset = struct.unpack("<q", self.rd(head + 8, 8))[0]
            pending, ppi = fetch(head + 16)
            limit = ROBUST_LIST_LIMIT
            while entry != head:
                nxt, npi = fetch(entry)
                if entry != pending and not self._futex_death((entry + offset) & (1 << 64) - 1, tid, pi, False):
                    return
                entry, pi = nxt, npi
                limit -= 1
                if not limit:
                    break
            if pending:
                self._futex_death((pending + offset) & (1 << 64) - 1, tid, ppi, True)
        except (GuestOSError, _Err):
            return                            # (a list in memory gone bad: the kernel stops too)

    def _futex_death(self, addr: int, tid: int, pi: int, pending: bool) -> bool:
        """The kernel's handle_futex_death; False stops the walk (an unaligned or unmapped word)."""
        if addr & 3 or not self.mem.is_mapped(addr, 4, 2):
            return False
        uval = self._u32(addr)
        if pending and not pi and not uval:
            self._wake_one(addr)
            return True
        if uval & FUTEX_TID_MASK != tid:
            return True
        self.wr(addr, struct.pack("<I", uval & FUTEX_WAITERS | FUTEX_OWNER_DIED))
        if not pi and uval & FUTEX_WAITERS:
            self._wake_one(addr)
        return True

    def _wake_one(self, addr: int) -> None:
        host = self.mem.host_address(addr)
        if host is not None:
            host_futex(host, FUTEX_WAKE_BITSET, 1, 0, 0, FUTEX_BITSET_MATCH_ANY)
        else:
            self._futex_wake(addr, 1, FUTEX_BITSET_MATCH_ANY)

    def sys_sched_yield(self, *_):
        if len(self.threads) > 1:
            self.yielding = True          # the hook switches after writing the result
        return 0

    # --- futex ------------------------------------------------------------------------------
    def _u32(self, addr: int) -> int:
        if addr & 3:
            raise _Err(errno.EINVAL)
        return struct.unpack("<I", self.rd(addr, 4))[0]

    def _futex_wake(self, addr: int, n: int, bitset: int) -> int:
        q = self.futexes.get(addr)
        woken = 0
        if not q:
            return 0
        keep = []
        for w in q:
            if woken < n and w.bitset & bitset:
                w.woken = True
                woken += 1
            else:
                keep.append(w)
        if keep:
            self.futexes[addr] = keep
        else:
            del self.futexes[addr]
        return woken

    def _futex_timeout(self, tmo: int, absolute: bool, realtime: bool) -> float | None:
        if not tmo:
            return None
        sec, nsec = struct.unpack("<qq", self.rd(tmo, 16))
        if sec < 0 or not 0 <= nsec < 1_000_000_000:
            raise _Err(errno.EINVAL)
        t = sec + nsec / 1e9
        if not absolute:
            return time.monotonic() + t
        now = time.clock_gettime(time.CLOCK_REALTIME if realtime else time.CLOCK_MONOTONIC)
        return time.monotonic() + (t - now)

    def sys_futex(self, uaddr, op, val, tmo, uaddr2, val3, *_):
        try:
            return self._futex(uaddr, op, val & 0xFFFFFFFF, tmo, uaddr2, val3 & 0xFFFFFFFF)
        except _Err as e:
            return -e.errno

    def _futex(self, uaddr, op, val, tmo, uaddr2, val3):
        cmd = op & 0x7F
        realtime = bool(op & FUTEX_CLOCK_REALTIME)
        if realtime and cmd not in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
            return -errno.ENOSYS
        if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
            bitset = FUTEX_BITSET_MATCH_ANY if cmd == FUTEX_WAIT else val3
            if not bitset:
                return -errno.EINVAL
            deadline = self._futex_timeout(tmo, cmd == FUTEX_WAIT_BITSET, realtime)
            if self._u32(uaddr) != val:
                return -errno.EAGAIN
            host = self.mem.host_address(uaddr)
            if host is not None:
                return self._shared_futex_wait(host, val, bitset, deadline)
            w = Waiter(self.cur, uaddr, bitset)
            self.futexes.setdefault(w.addr, []).append(w)

            def cancel():
                q = self.futexes.get(w.addr)
                if q and w in q:
                    q.remove(w)
                    if not q:
                        del self.futexes[w.addr]

            # without a timeout the kernel restarts the wait after an SA_RESTART handler
            # (ERESTARTSYS); with one, it always fails with EINTR
            return self.block(Wait("futex", lambda: 0 if w.woken else None, deadline, cancel=cancel,
                                   restart=deadline is None))
        if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
            bitset = FUTEX_BITSET_MATCH_ANY if cmd == FUTEX_WAKE else val3
            if not bitset:
                return -errno.EINVAL
            self._u32(uaddr)
            host = self.mem.host_address(uaddr)
            if host is not None:                # waiters may be in other processes: the host's
                return host_futex(host, FUTEX_WAKE_BITSET, val, 0, 0, bitset)
            return self._futex_wake(uaddr, s32(val) if s32(val) >= 0 else 0, bitset)
        if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP):
            shared = self.mem.host_address(uaddr), self.mem.host_address(uaddr2)
            if shared != (None, None):
                if None in shared:
                    raise NotServed("futex requeue or wake-op between memory shared with other "
                                    "processes and private memory")
                self._u32(uaddr)
                self._u32(uaddr2)
                return host_futex(shared[0], cmd, val, tmo, shared[1], val3)
        if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
            n_requeue = s32(tmo)            # val2 travels in the timeout argument
            if s32(val) < 0 or n_requeue < 0:
                return -errno.EINVAL
            if cmd == FUTEX_CMP_REQUEUE and self._u32(uaddr) != val3:
                return -errno.EAGAIN
            self._u32(uaddr2)
            woken = self._futex_wake(uaddr, s32(val), FUTEX_BITSET_MATCH_ANY)
            moved = 0
            q = self.futexes.get(uaddr, [])
            while q and moved < n_requeue and uaddr2 != uaddr:
                w = q.pop(0)
                w.addr = uaddr2
                self.futexes.setdefault(uaddr2, []).append(w)
                moved += 1
            if uaddr in self.futexes and not self.futexes[uaddr]:
                del self.futexes[uaddr]
            return woken + moved
        if cmd == FUTEX_WAKE_OP:
            return self._futex_wake_op(uaddr, val, s32(tmo), uaddr2, val3)
        return -errno.ENOSYS                   # PI futexes, FUTEX_FD

    def _shared_futex_wait(self, host: int, val: int, bitset: int, deadline: float | None):
        """FUTEX_WAIT on memory shared with forked processes: the host kernel's futex on the
        host memory behind it (the same pages in every process of the run), waited on by a
        host thread (hostio.BlockingCall) while the guest thread blocks; a wake from any
        process, or from another thread of this one, is the host's FUTEX_WAKE. (The futex
        table here is the process's own: a waiter there was never woken from another
        process, and a process-shared semaphore, mutex or condition variable hung.)"""
        import ctypes
        from .hostio import BlockingCall, lock_wake_ready
        ready = lock_wake_ready()
        if ready:
            call = lambda: host_futex(host, FUTEX_WAIT_BITSET, val, 0, 0, bitset, raw=True)
        else:
            # no LOCK_WAKE handler to interrupt the host thread (an in-process run started
            # on another thread): it waits in 50 ms steps and looks whether it was cancelled
            step = ctypes.create_string_buffer(struct.pack("<qq", 0, 50_000_000), 16)
            box = []

            def call():
                while True:
                    r = host_futex(host, FUTEX_WAIT, val, ctypes.addressof(step), 0, 0, raw=True)
                    if r >= 0 or ctypes.get_errno() != errno.ETIMEDOUT or box and box[0].cancelled:
                        return r
        b = BlockingCall(call, self.sandbox.blocking_opens)
        if not ready:
            box.append(b)
        return self.block(Wait("futex", b.result, deadline, cancel=b.cancel,
                               timeout_result=lambda: 0 if b.res == 0 else -errno.ETIMEDOUT,
                               host_fds=((b.notify, select.POLLIN),), interrupted=b.interrupted,
                               restart=deadline is None))

    def _futex_wake_op(self, uaddr, n1, n2, uaddr2, encoded):
        op, cmp = (encoded >> 28) & 7, (encoded >> 24) & 15
        oparg, cmparg = (encoded >> 12) & 0xFFF, encoded & 0xFFF
        if encoded & (8 << 28):               # FUTEX_OP_OPARG_SHIFT
            oparg = 1 << (oparg & 31)
        old = self._u32(uaddr2)
        new = {0: oparg, 1: old + oparg, 2: old | oparg, 3: old & ~oparg, 4: old ^ oparg}.get(op)
        if new is None or cmp > 5:
            return -errno.ENOSYS
        self.wr(uaddr2, struct.pack("<I", new & 0xFFFFFFFF))
        woken = self._futex_wake(uaddr, n1, FUTEX_BITSET_MATCH_ANY)
        o, c = s32(old), cmparg - (0x1000 if cmparg & 0x800 else 0)
        if (o == c, o != c, o < c, o <= c, o > c, o >= c)[cmp]:
            woken += self._futex_wake(uaddr2, n2, FUTEX_BITSET_MATCH_ANY)
        return woken

    # --- sleeping and blocking reads with other threads around -------------------------------
    def sleep_until(self, deadline: float, name: str, interrupted=None):
        """nanosleep in a process with threads: block this one until ``deadline``."""
        return self.block(Wait(name, lambda: None, deadline, timeout_result=0,
                               interrupted=interrupted))

    def sys_rt_sigsuspend(self, mask, size, *rest):
        """sigsuspend with other threads around: the caller blocks with the temporary mask
        (its saved state keeps it, and the mask to restore) and the others run meanwhile: one
        of them may be the sender (it once waited in the system call, holding every thread:
        the signal never came). A signal to it ends the wait (signal_thread, route_signal)
        and its handler's frame restores the old mask, as with one thread (signals.py)."""
        if len(self.threads) < 2:
            return super().sys_rt_sigsuspend(mask, size, *rest)
        self.begin_temporary_mask(struct.unpack("<Q", self.rd(mask, 8))[0])
        if self.interrupting_signal():
            self.end_temporary_mask(True)
            return -errno.EINTR

        def interrupted():
            self.end_temporary_mask(True)      # (kept while a signal waits for its handler)
            return -errno.EINTR
        return self.block(Wait("rt_sigsuspend", lambda: None, interrupted=lambda: Later(interrupted)))

    # --- signals to threads -----------------------------------------------------------------
    def signal_thread(self, tid: int, sig: int, code: int = -6, value: int = 0, own: bool = False):
        """tgkill (``code`` SI_TKILL), pthread_sigqueue (SI_QUEUE with ``value``), a
        SIGEV_THREAD_ID timer's expiry (SI_TIMER, ``own``: Pending.put's)."""
        t = self.threads.get(tid)
        if t is None:
            return -errno.ESRCH
        if t is self.cur or sig == 0:
            if t is not self.cur:
                return 0
            if code != -6 and 1 <= sig <= 64 and self.action(sig)[0] > 1:
                return self.queue_self_signal(sig, code, value, to_thread=True)
            return self.raise_signal(sig, code=code, value=value, to_thread=True)
        if not 1 <= sig <= 64:
            return -errno.EINVAL
        handler = self.action(sig)[0]
        st = t.state
        blocked = st["sigmask"] & (1 << (sig - 1)) and sig not in (9, 19)
        if sig in (9, 19) or handler == 0 and not blocked:
            if sig in (9, 19) or sig not in (17, 18, 19, 20, 21, 22, 23, 28):
                return self.raise_signal(sig)      # the default action ends the whole process
            return 0
        if handler == 1:
            return 0
        if blocked or st["pending"] is not None:
            # pending for that thread (its sigwait takes it; unblocked, it is delivered or,
            # with no handler, its default action is taken): a blocked signal with the
            # default action once ended the process at once, whoever blocked it
            return st["blocked_pending"].put(sig, code, value, to_thread=True, own=own)
        st["pending"] = (sig, code, value)
        if t.wait is not None:
            t.result = t.wait.interrupt(self.sa_restart(sig))
            t.wait = None
        return 0

    def timer_signal_to_thread(self, tid: int, sig: int):
        """From the run loop (signals.take_async): a SIGEV_THREAD_ID timer's ``sig`` for thread
        ``tid``, not the running one: pending there (its sigwait takes it, its handler runs
        when it runs), ("die", sig) when its default action ends the process, None otherwise.
        A thread gone meanwhile gets nothing, as on Linux."""
        t = self.threads.get(tid)
        if t is None or not t.alive:
            return None
        blocked = t.state["sigmask"] & (1 << (sig - 1))
        if self.action(sig)[0] == 0 and not blocked and sig not in (17, 18, 23, 28):
            return "die", sig
        self.signal_thread(tid, sig, code=SI_TIMER, own=True)
        return None

    def route_signal(self, sig: int, code: int, handled: bool = True, only: int | None = None) -> bool:
        """A process-wide signal (a timer's, another process's) that the running thread blocks:
        give it to another thread that does not block it, as Linux's complete_signal does (a
        wait it is in ends as a signal ends it); not ``handled`` (the default action), only say
        whether one would take it; ``only``: that thread or none. False when none can take it
        now: it stays pending (signals.py) for the first thread that unblocks it."""
        bit = 1 << (sig - 1)
        for tid in sorted(self.threads) if only is None else [only]:
            t = self.threads.get(tid)
            if t is None:
                continue
            if t is self.cur or not t.alive:
                continue
            st = t.state
            if st.get("sigmask", 0) & bit or st.get("pending") is not None:
                continue
            if not handled:
                return True
            st["pending"] = (sig, code, 0)
            if t.wait is not None:
                t.result = t.wait.interrupt(self.sa_restart(sig))
                t.wait = None
            return True
        return False

    def sys_rt_sigpending(self, buf, size, *_):
        """sigpending(2): the thread's own pending signals and, among those it blocks, the ones
        sent to the process that wait in another thread's set (where the sender, blocking them
        too, left them: Linux's process-wide queue, which every thread sees). It showed only
        the thread's own.  (The set's size as in the one-thread call.)"""
        if size > 8:
            return -errno.EINVAL
        self.catch_up_all()             # (timers already due, whose host threads are late)
        shown = sum(1 << (sig - 1) for sig in self.blocked_pending) | self.unrouted_blocked()
        for t in self.threads.values():
            if t is self.cur or not t.alive:
                continue
            theirs = t.state["blocked_pending"]
            for sig in theirs:
                if sig not in theirs.instances or theirs.for_process(sig):
                    shown |= self.sigmask & (1 << (sig - 1))
        self.wr(buf, struct.pack("<Q", shown)[:size])
        return 0

    def raise_signal(self, sig: int, reason: str = "", code: int = -6, value: int = 0,
                     to_thread: bool | None = None, names: int | None = None):
        """kill(2) of the program's own pid (``code`` SI_USER) is for the process: a thread
        that blocks the signal leaves it to another that does not, as Linux's complete_signal
        does (it stayed pending in the sender, and a thread waiting for it in sigsuspend
        waited for ever). The main thread (whose tid is the pid kill names) takes it first
        when it does not block it, as Linux's complete_signal prefers the task the pid names:
        kill(getpid()) from another thread while the main thread waited in pause() ran the
        handler in the sender, and the pause never ended (qemu-user wakes it). ``names``: the
        thread id kill named, when it was another thread's (names_own_thread)."""
        first = self.pid if names is None else names
        if (code == 0 and 1 <= sig <= 64 and len(self.threads) > 1 and self.has_handler(sig)
                and self.cur is not self.threads.get(first) and self.route_signal(sig, code, only=first)):
            return 0
        if (code == 0 and 1 <= sig <= 64 and len(self.threads) > 1 and self.has_handler(sig)
                and self.sigmask & (1 << (sig - 1)) and self.route_signal(sig, code)):
            return 0
        return super().raise_signal(sig, reason, code, value, to_thread)

    def names_own_thread(self, pid: int) -> bool:
        """Is ``pid`` a live thread of this process (gettid's answer; the main thread's is the
        pid)? kill, sigqueue, getpgid and getsid of it are of this process, as on Linux, where
        a thread id is a pid that names its process (xld answered ESRCH)."""
        t = self.threads.get(pid)
        return t is not None and t.alive

    def sys_tgkill(self, tgid, tid, sig, *_):
        if s32(tgid) != self.pid:
            return -errno.ESRCH
        return self.signal_thread(s32(tid), sig)

    def sys_tkill(self, tid, sig, *_):
        return self.signal_thread(s32(tid), sig)

    def sent_siginfo(self, info: int) -> tuple[int, SentInfo]:
        """The si_code and union of the siginfo at ``info`` that rt_sigqueueinfo or
        rt_tgsigqueueinfo sends: the handler, sigtimedwait or signalfd reads them back as given
        (a SI_TIMER sent this way read back as SI_USER with nothing)."""
        raw = self.rd(info, 128)
        return struct.unpack_from("<i", raw, 8)[0], SentInfo(raw[16:])

    def sys_rt_sigqueueinfo(self, pid, sig, info, *_):
        """sigqueue(3): its handler gets SI_QUEUE and the value (another process of the run:
        process.py's mailboxes carry them). The kernel's checks in its order: a si_code of
        the kernel's or kill's (>= 0, SI_TKILL) only to the caller itself (EPERM), then the
        process (ESRCH), then the signal (EINVAL)."""
        code, value = self.sent_siginfo(info)
        pid = s32(pid)
        if (code >= 0 or code == -6) and pid != self.cur.tid:
            return -errno.EPERM
        if pid != self.pid and not self.names_own_thread(pid):
            return self.sigqueue_other(pid, sig, struct.unpack_from("<Q", value, 8)[0])
        if not 0 <= sig <= 64:
            return -errno.EINVAL
        if sig == 0:
            return 0
        if self.action(sig)[0] > 1:
            return self.queue_self_signal(sig, code, value)
        return self.raise_signal(sig, code=code, value=value)   # (pending: for a sigtimedwait)

    def sys_rt_tgsigqueueinfo(self, tgid, tid, sig, info, *_):
        """pthread_sigqueue(3): sigqueue to one thread of the process (the siginfo's si_code,
        SI_QUEUE there, and value). The kernel's checks in its order: tgid and tid positive
        (EINVAL), a si_code of the kernel's or kill's only to the caller itself (EPERM), the
        thread (ESRCH), the signal (EINVAL)."""
        tgid, tid = s32(tgid), s32(tid)
        code, value = self.sent_siginfo(info)
        if tgid <= 0 or tid <= 0:
            return -errno.EINVAL
        if (code >= 0 or code == -6) and tid != self.cur.tid:
            return -errno.EPERM
        if tgid != self.pid or tid not in self.threads:
            return -errno.ESRCH
        if not 0 <= sig <= 64:
            return -errno.EINVAL
        return self.signal_thread(tid, sig, code, value)


class _Err(Exception):
    def __init__(self, err):
        super().__init__(err)
        self.errno = err


__all__ = ["Threads", "Thread", "Wait", "Later", "BLOCKED", "RESTART", "SA_RESTART", "NotServed", "monitor_offset", "SLICE_INSNS"]

del ctypes
