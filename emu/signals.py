"""Signal delivery to the program's own handlers, for the signals a single thread can get:
its own faults (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE), what it sends itself (raise,
abort, kill/tgkill of its own pid, SIGPIPE), and SIGALRM from its interval timer (alarm,
setitimer), which a host timer thread queues (timers.py says how it reaches the guest at an
instruction boundary).

Delivery follows the kernel's outline, simplified:

- The CPU state is saved whole with Unicorn's context API and kept on a host-side stack; the
  guest stack gets a siginfo and a ucontext (signal mask, alternate stack, general registers,
  PC, SP and flags filled in). sigreturn restores the saved state, then takes the general
  registers, PC, SP, flags and signal mask back from the ucontext, as the kernel does: a
  handler that edits them (steps over a faulting instruction, changes the mask to restore)
  resumes where and as it said.
- The FP state is in the frame too, where each kernel puts it, and sigreturn takes it back
  from there: arm64's fpsimd_context record (fpsr, fpcr, v0-v31) first in
  uc_mcontext.__reserved, then the end record (no sve_context: the CPU has no SVE); riscv64's
  D-extension f0-f31 and fcsr in uc_mcontext.__fpregs. On arm64 a frame record (fp, lr)
  follows the ucontext and x29 points at it, as the kernel leaves it for unwinders.
- The handler runs with x0/a0 = signal, x1/a1 = &siginfo, x2/a2 = &ucontext, on the current
  stack or the sigaltstack (SA_ONSTACK), and returns to the program's SA_RESTORER (glibc and
  musl set one on arm64) or to a two-instruction rt_sigreturn trampoline on the runner's
  private page (riscv64 has no restorer: the kernel uses its vDSO there).
- A fault with no handler, or while its signal is blocked or ignored, kills the program as
  the kernel's force_sig does. A handler that returns to a faulting instruction faults again,
  as on Linux; the time limit ends such a loop.
- Self-sent signals that are blocked stay pending until the mask lets them through.
"""

from __future__ import annotations

import errno
import os
import struct
from collections import deque

from . import ucconst as K

# s: the longest a host thread waits at a time (then it looks again): a guest's longest
# timeout (KTIME_MAX, 292 years) is more than the host's lock timeout can say
LONGEST_WAIT = 3600.0

SA_NODEFER = 0x40000000
SA_RESETHAND = 0x80000000
SA_ONSTACK = 0x08000000
SA_RESTORER = 0x04000000

SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31
MINSIGSTKSZ = {"arm64": 5120, "riscv64": 2048}     # the kernel's, per arch (sigaltstack: ENOMEM)

SYNC_SIGNALS = {4, 5, 7, 8, 11}      # SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV
SI_USER, SI_QUEUE, SI_TKILL, SI_TIMER, SI_KERNEL = 0, -1, -6, -2, 0x80
UNBLOCKABLE = (1 << 8) | (1 << 18)   # SIGKILL, SIGSTOP
SEGV_MAPERR, SEGV_ACCERR, ILL_ILLOPC, TRAP_BRKPT, BUS_ADRALN = 1, 2, 1, 1, 1


class SentInfo(bytes):
    """The siginfo union (bytes 16 to 128) a program gave rt_sigqueueinfo or
    rt_tgsigqueueinfo, carried as a signal instance's value: Linux delivers what was sent,
    whatever its si_code (SI_TIMER, SI_MESGQ, a code of the program's own: any below 0)."""


class TimerSignal(int):
    """A POSIX timer's expiry in the queue of asynchronous signals (as its number): queued on
    its own even when the signal is a standard one already pending, as the kernel queues each
    timer's preallocated entry (send_sigqueue: no merging); the timer's next expiries while it
    waits are its overruns (timers.py)."""


class ToLeader(int):
    """A signal Linux sends to the thread group's leader, which then takes it first if it does
    not block it (complete_signal): ITIMER_REAL's SIGALRM (sent to the process's leader pid)
    and a signal from another process.  The others for the whole process go first to the
    thread Linux's sender names: SIGCHLD to the thread that forked the child, ITIMER_PROF's and
    ITIMER_VIRTUAL's to the thread whose CPU time fired them, a CPU-clock timer's to the
    thread running (Linux 6.3 on): in the emulator, the thread running."""


class ToThread(TimerSignal):
    """A SIGEV_THREAD_ID timer's expiry, for thread ``tid`` alone (glibc's and musl's
    SIGEV_THREAD timers wait for theirs in a thread of their own): what routes signals looks
    at its tid."""

    def __new__(cls, sig: int, tid: int):
        self = super().__new__(cls, sig)
        self.tid = tid
        return self


class QueuedCount:
    """The queued signal instances of the whole process (every thread's Pending set), and the
    bound RLIMIT_SIGPENDING puts on them (the kernel counts them per user; here per process):
    a guest queueing real-time signals that it blocks cannot make the runner grow without
    bound."""

    __slots__ = ("used", "limit")

    def __init__(self, limit: int):
        self.used, self.limit = 0, limit


class Pending(set):
    """A thread's pending signals (blocked, or waiting for a handler frame: taken when it
    unblocks them or waits for them), each with its instances, kept together so that a thread
    takes only what was sent to it: ``instances[sig]`` is a deque of (si_code, value,
    to_thread), the value a sigqueue's, to_thread when sent to the thread (raise, tgkill,
    pthread_sigqueue) rather than the process (kill, sigqueue, a timer). The running thread's
    is the Process's ``blocked_pending``, another's is in its saved state (threads.py); all
    share the process's QueuedCount."""

    __slots__ = ("instances", "count")

    def __init__(self, count: QueuedCount):
        super().__init__()
        self.instances: dict[int, deque] = {}
        self.count = count

    def put(self, sig: int, code: int = SI_TKILL, value: int = 0, to_thread: bool | None = None,
            own: bool = False) -> int:
        """One instance of ``sig`` sent (``to_thread`` by default for SI_TKILL): a real-time
        signal queues every instance with its own siginfo; a standard one is pending once (the
        first one's siginfo) in each of the kernel's two queues, the thread's and the process's.
        At RLIMIT_SIGPENDING, as the kernel's __send_signal: a real-time signal with a siginfo
        of its own (sigqueue, pthread_sigqueue, a timer's) is refused (-EAGAIN); another (kill's
        SI_USER, a standard signal) is pending without its siginfo (SI_USER when taken); a
        standard signal's SI_USER or SI_KERNEL is queued over the limit. 0 otherwise. ``own``:
        a POSIX timer's expiry (TimerSignal), queued whatever is pending, and over the limit
        (the kernel's entry for it was allocated with the timer)."""
        to_thread = code == SI_TKILL if to_thread is None else to_thread
        queued = self.instances.get(sig)
        if sig < 32 and queued and not own and any(t == to_thread for _c, _v, t in queued):
            return 0
        count = self.count
        if count.used >= count.limit and not (sig < 32 and code >= 0) and not own:
            if sig >= 32 and code != SI_USER:
                return -errno.EAGAIN
            self.add(sig)
            return 0
        if queued is None:
            queued = self.instances[sig] = deque()
        queued.append((code, value, to_thread))
        count.used += 1
        self.add(sig)
        return 0

    def for_process(self, sig: int) -> bool:
        """Is an instance of ``sig`` there that was sent to the process (another thread may
        take it)?"""
        return any(not t for _c, _v, t in self.instances.get(sig, ()))

    def take(self, sig: int, for_process: bool = False) -> tuple[int, int]:
        """Take the next instance of ``sig`` (``for_process``: the next one sent to the
        process, for another thread's sigwait): its (si_code, value). A signal queued more than
        once stays pending with its next instance; one pending without an instance (over
        RLIMIT_SIGPENDING) is SI_USER."""
        queued = self.instances.get(sig)
        if not queued:
            self.drop(sig)
            return SI_USER, 0
        if for_process:
            i = next(i for i, (_c, _v, t) in enumerate(queued) if not t)
            code, value, _t = queued[i]
            del queued[i]
        else:
            code, value, _t = queued.popleft()
        self.count.used -= 1
        if not queued:
            self.drop(sig)
        return code, value

    def drop_one(self, sig: int, code: int) -> bool:
        """Discard the newest queued instance of ``sig`` with si_code ``code`` (a deleted POSIX
        timer's expiry: timers.exec_timers); was there one?"""
        queued = self.instances.get(sig)
        for i in range(len(queued or ()) - 1, -1, -1):
            if queued[i][0] == code:
                del queued[i]
                self.count.used -= 1
                if not queued:
                    self.drop(sig)
                return True
        return False

    def drop(self, sig: int) -> int:
        """Discard ``sig`` and every queued instance: the first one's si_code."""
        self.discard(sig)
        queued = self.instances.pop(sig, None)
        if not queued:
            return SI_USER
        self.count.used -= len(queued)
        return queued[0][0]

    def hand_over(self, sig: int, other: "Pending") -> None:
        """Give ``other`` (another thread's set: this one's thread exits) the instances of
        ``sig`` sent to the process, as the kernel's process-wide queue outlives any one
        thread; drop the rest. A standard signal stays pending once in ``other``'s."""
        queued = self.instances.get(sig)
        if queued is None:                  # pending without an instance: for the process
            other.add(sig)
        else:
            for code, value, to_thread in queued:
                if not to_thread and not (sig < 32 and other.for_process(sig)):
                    dest = other.instances.get(sig)
                    if dest is None:
                        dest = other.instances[sig] = deque()
                    dest.append((code, value, False))
                    other.count.used += 1
                    other.add(sig)
        self.drop(sig)


# rt_sigreturn (139) trampolines
TRAMPOLINE = {
    "arm64": struct.pack("<II", 0xD2801168, 0xD4000001),     # mov x8, #139; svc #0
    "riscv64": struct.pack("<II", 0x08B00893, 0x00000073),   # li a7, 139; ecall
}
MAX_FRAMES = 64

# the ucontext as each kernel lays it out (after the 128-byte siginfo): uc_flags, uc_link,
# uc_stack at 16, uc_sigmask at 40 (padded to 128 bytes), uc_mcontext at 176
UCONTEXT_SIZE = {"arm64": 4560, "riscv64": 960}   # arm64: __reserved[4096] ends it
A64_RESERVED = 464            # uc_mcontext.__reserved: the records (asm/sigcontext.h)
FPSIMD_MAGIC, FPSIMD_SIZE = 0x46508001, 528       # head, fpsr, fpcr, __uint128 vregs[32]
RV_FPREGS = 432               # uc_mcontext.__fpregs: u64 f[32], u32 fcsr (the D extension's)


class Signals:
    """Mixin for the Process (needs eng, mem, arch, sigactions, sigmask, sigpending_limit:
    syscalls.py, route_signal: threads.py, and take_peer_info: process.py)."""

    def init_signals(self) -> None:
        """The signal state of the process, made once at its start. execve keeps all of it
        (signal(7), execve(2)): signals another process sent while the new image was being
        loaded, pending ones (blocked, or posted and not yet taken) and the real-time interval
        timer; image_signals resets what belongs to the old image."""
        self.async_signals: list[int] = []  # posted by timer threads (SIGALRM)
        self.async_posted = False           # a timer thread has stopped the engine at some time
        self.itimer = None                  # (sched.Handle, deadline, interval)
        self.pending = None                 # (sig, code, addr) to deliver at the next stop
        self.queued_count = QueuedCount(self.sigpending_limit())
        self.blocked_pending = Pending(self.queued_count)    # the running thread's

    def image_signals(self, trampoline_addr: int) -> None:
        """For a new image (at start, and at execve): no handler frames, no alternate stack,
        and the rt_sigreturn trampoline in the new address space. (Handled signals go back
        to their default action in process.after_exec; the mask and pending signals stay.)"""
        self.sigframes = []
        self.altstack = None                # (sp, size)
        self.saved_sigmask = None           # the mask a sigsuspend/pselect6/ppoll replaced
        self.trampoline = trampoline_addr
        self.eng.mem_write(trampoline_addr, TRAMPOLINE[self.arch.name])

    def action(self, sig: int):
        """(handler, flags, restorer, mask) of a signal."""
        act = self.sigactions.get(sig)
        if not act:
            return 0, 0, 0, 0
        if self.arch.name == "arm64":
            return struct.unpack_from("<QQQQ", act)
        handler, flags, mask = struct.unpack_from("<QQQ", act)
        return handler, flags, 0, mask

    def has_handler(self, sig: int) -> bool:
        return self.action(sig)[0] > 1

    def queue_self_signal(self, sig: int, code: int = SI_TKILL, value: int = 0,
                          to_thread: bool | None = None) -> int:
        """A signal the program sent itself, with a handler: deliver when it can (``value``:
        a sigqueue's; ``to_thread``: Pending.put's, and its result)."""
        if self.sigmask & (1 << (sig - 1)):
            return self.blocked_pending.put(sig, code, value, to_thread)
        self.pending = (sig, code, value)
        self.eng.emu_stop()
        return 0

    def take_pending(self, sig: int) -> tuple[int, int]:
        """Take one instance of the running thread's pending signal ``sig``: (si_code, value)."""
        return self.blocked_pending.take(sig)

    def next_nested_signal(self):
        """After a handler's frame is set up: the next pending signal the new mask lets
        through to a handler, taken, as (sig, code, value), or None. The kernel sets up a frame
        for each before returning to the program, so the last one's handler runs first."""
        for sig in sorted(self.blocked_pending):
            if not self.sigmask & (1 << (sig - 1)) and self.action(sig)[0] > 1:
                return (sig, *self.take_pending(sig))
        return None

    def mask_changed(self) -> None:
        self.stale_timer_mask &= self.sigmask     # (a deleted timer's signal: dropped when taken)
        for sig in sorted(self.blocked_pending):
            if not self.sigmask & (1 << (sig - 1)):
                handler = self.action(sig)[0]
                if handler < 2:        # no handler (now): ignored, or its default action
                    code = self.blocked_pending.drop(sig)
                    if handler == 1 or sig in (17, 18, 23, 28):
                        continue
                    from .syscalls import SIGNAL_NAMES
                    # no crash report for a host signal (another process's, a timer's), as
                    # when one ends the program unblocked (runner.py); SIGPIPE has none either
                    self.terminate(signal=sig, reason=f"killed by {SIGNAL_NAMES.get(sig, sig)} "
                                   f"(pending while blocked, then unblocked)",
                                   report=sig != 13 and code != SI_TIMER)
                    return
                # an asynchronous signal that came while blocked (a timer's expiry during its
                # own handler) keeps its si_code, and so its timer's siginfo
                self.queue_self_signal(sig, *self.take_pending(sig))
                return

    # --- temporary masks: rt_sigsuspend, pselect6, ppoll (the kernel's set_user_sigmask) -------
    def begin_temporary_mask(self, mask: int) -> None:
        """Wait with ``mask`` as the signal mask. A pending signal it unblocks is queued for
        delivery at once (and ends the wait)."""
        self.saved_sigmask = self.sigmask
        self.sigmask = mask & ~UNBLOCKABLE
        self.mask_changed()

    def end_temporary_mask(self, interrupted: bool) -> None:
        """After the wait: interrupted by a signal, the temporary mask stays until that signal's
        handler frame is set up, and the frame restores the old mask (restore_saved_sigmask);
        otherwise the old mask comes back now and a signal queued under the temporary mask
        goes back to pending if the old mask blocks it."""
        if self.saved_sigmask is None:
            return
        if interrupted and (self.pending is not None or self.async_signals):
            return
        self.restore_saved_mask()

    def restore_saved_mask(self) -> None:
        if self.saved_sigmask is None:
            return
        self.sigmask, self.saved_sigmask = self.saved_sigmask, None
        if self.pending is not None and self.sigmask & (1 << (self.pending[0] - 1)):
            self.blocked_pending.put(*self.pending)
            self.pending = None
        self.mask_changed()

    def interrupting_signal(self) -> bool:
        """Is there a signal that ends a wait with EINTR: one queued for delivery, or an
        asynchronous one that is neither blocked nor ignored? (Linux discards ignored signals
        and keeps blocked ones pending; neither interrupts a sleep.)"""
        if self.pending is not None:
            return True
        for sig in list(self.async_signals):
            handler = self.action(sig)[0]
            if handler == 1 or (handler == 0 and sig in (17, 18, 23, 28)):
                continue
            if getattr(sig, "tid", self.cur_tid) != self.cur_tid:
                continue                    # another thread's (a SIGEV_THREAD_ID timer's)
            if not self.sigmask & (1 << (sig - 1)):
                return True
        return False

    def can_catch_fault(self, sig: int) -> bool:
        return sig in SYNC_SIGNALS and self.has_handler(sig) and not self.sigmask & (1 << (sig - 1))

    def deliver(self, sig: int, code: int, addr: int) -> int | None:
        """Set up the handler's frame; return the address to resume at, or None when the
        frame cannot be written (the program then dies of SIGSEGV, as with the kernel)."""
        eng, arch = self.eng, self.arch
        handler, flags, restorer, mask = self.action(sig)
        pc = eng.reg_read(arch.pc)
        sp = eng.reg_read(arch.sp)
        gregs = [eng.reg_read(rid) for _name, rid in arch.gregs]
        on_alt = self.on_altstack(sp)
        if flags & SA_ONSTACK and self.altstack and not on_alt:
            sp = self.altstack[0] + self.altstack[1]
        uc_size = UCONTEXT_SIZE[arch.name]
        record = 16 if arch.name == "arm64" else 0      # the (fp, lr) frame record
        frame = (sp - 128 - uc_size - record) & ~15
        siginfo = self.siginfo(sig, code, addr)
        # the mask the handler's return restores: the one a sigsuspend/pselect6/ppoll replaced
        old_mask = self.saved_sigmask if self.saved_sigmask is not None else self.sigmask
        self.saved_sigmask = None
        uc = bytearray(uc_size + record)
        # uc_stack (the alternate stack as sigaltstack would report it here), uc_sigmask
        alt_sp, alt_size = self.altstack or (0, 0)
        alt_flags = SS_DISABLE if not self.altstack else SS_ONSTACK if on_alt else 0
        struct.pack_into("<QiiQ", uc, 16, alt_sp, alt_flags, 0, alt_size)
        struct.pack_into("<Q", uc, 40, old_mask)
        if arch.name == "arm64":
            # mcontext at 176: fault_address, regs[31], sp, pc, pstate
            struct.pack_into("<Q", uc, 176, 0 if isinstance(addr, SentInfo) else addr)
            struct.pack_into("<31Q", uc, 184, *gregs[:31])
            struct.pack_into("<QQQ", uc, 184 + 248, eng.reg_read(arch.sp), pc, gregs[-1])
            struct.pack_into("<QQ", uc, uc_size, gregs[29], gregs[30])
        else:
            # mcontext at 176: pc, x1..x31
            struct.pack_into("<Q", uc, 176, pc)
            struct.pack_into("<31Q", uc, 184, *gregs[:31])
        self.save_fp_state(uc)
        if not self.mem.is_mapped(frame, 128 + len(uc), 2):
            return None
        self.mem.write(frame, siginfo + bytes(uc))
        if len(self.sigframes) >= MAX_FRAMES:   # handlers that longjmp out never return
            del self.sigframes[0]
        self.sigframes.append((eng.context_save(), old_mask, pc, frame + 128))
        eng.reg_write(arch.sp, frame)
        eng.reg_write(arch.args[0], sig)
        eng.reg_write(arch.args[1], frame)
        eng.reg_write(arch.args[2], frame + 128)
        eng.reg_write(arch.lr, restorer if flags & SA_RESTORER and restorer else self.trampoline)
        eng.reg_write(arch.pc, handler)
        if record:
            eng.reg_write(arch.gregs[29][1], frame + 128 + uc_size)
        self.sigmask |= mask
        if not flags & SA_NODEFER:
            self.sigmask |= 1 << (sig - 1)
        if flags & SA_RESETHAND:    # the handler goes back to SIG_DFL; the flags stay (Linux)
            self.sigactions[sig] = bytes(8) + self.sigactions[sig][8:]
        self.delivered.append(sig)
        if self.strace:
            from .syscalls import SIGNAL_NAMES
            name = SIGNAL_NAMES.get(sig, str(sig))
            if isinstance(addr, SentInfo):      # a siginfo the program sent: its first word
                addr = int.from_bytes(addr[:8], "little")
            # the si_code the handler reads (an itimer's SI_KERNEL, a child's CLD_*, another
            # process's SI_QUEUE), not the delivery's own kind (its -2 for every timer's)
            code = struct.unpack_from("<i", siginfo, 8)[0]
            self.trace_line(f"--- {name} {{si_signo={name}, si_code={code}, si_addr={addr:#x}}} ---")
        return handler

    def save_fp_state(self, uc: bytearray) -> None:
        """The FP registers into the ucontext being built, where the kernel puts them."""
        eng = self.eng
        if self.arch.name == "arm64":
            struct.pack_into("<IIII", uc, A64_RESERVED, FPSIMD_MAGIC, FPSIMD_SIZE,
                             eng.reg_read(K.UC_ARM64_REG_FPSR) & 0xFFFFFFFF,    # 32-bit registers:
                             eng.reg_read(K.UC_ARM64_REG_FPCR) & 0xFFFFFFFF)    # reg_read's upper half is stale
            at = A64_RESERVED + 16
            for i in range(32):
                uc[at + 16 * i:at + 16 * i + 16] = eng.reg_read_wide(K.UC_ARM64_REG_Q0 + i, 16)
            # the end record (magic 0, size 0) follows: the bytes are zero already
        else:
            struct.pack_into("<32QI", uc, RV_FPREGS, *(eng.reg_read(K.UC_RISCV_REG_F0 + i) for i in range(32)),
                             eng.reg_read(K.UC_RISCV_REG_FCSR) & 0xFF)

    def restore_fp_state(self, uc: bytes) -> bool:
        """sigreturn: the FP registers from the ucontext, as the handler left it. False when
        the frame is bad the way the kernel's parse_user_sigframe refuses it (arm64: no
        fpsimd_context record, a record of the wrong size, one running past __reserved)."""
        eng = self.eng
        if self.arch.name == "arm64":
            fpsimd = None
            at, end = A64_RESERVED, A64_RESERVED + 4096
            while at + 8 <= end:
                magic, size = struct.unpack_from("<II", uc, at)
                if magic == 0:
                    break
                if size < 8 or size % 16 or at + size > end:
                    return False
                if magic == FPSIMD_MAGIC:
                    if size != FPSIMD_SIZE or fpsimd is not None:
                        return False
                    fpsimd = at
                at += size
            else:
                return False
            if fpsimd is None:
                return False
            fpsr, fpcr = struct.unpack_from("<II", uc, fpsimd + 8)
            for rid, value in ((K.UC_ARM64_REG_FPSR, fpsr), (K.UC_ARM64_REG_FPCR, fpcr)):
                if eng.reg_read(rid) & 0xFFFFFFFF != value:
                    eng.reg_write(rid, value)
            for i in range(32):
                value = bytes(uc[fpsimd + 16 + 16 * i:fpsimd + 32 + 16 * i])
                if eng.reg_read_wide(K.UC_ARM64_REG_Q0 + i, 16) != value:
                    eng.reg_write_wide(K.UC_ARM64_REG_Q0 + i, value)
            return True
        *fregs, fcsr = struct.unpack_from("<32QI", uc, RV_FPREGS)
        for i, value in enumerate(fregs):
            if eng.reg_read(K.UC_RISCV_REG_F0 + i) != value:
                eng.reg_write(K.UC_RISCV_REG_F0 + i, value)
        if eng.reg_read(K.UC_RISCV_REG_FCSR) & 0xFF != fcsr & 0xFF:
            eng.reg_write(K.UC_RISCV_REG_FCSR, fcsr & 0xFF)
        return True

    def on_altstack(self, sp: int) -> bool:
        return bool(self.altstack) and self.altstack[0] <= sp < self.altstack[0] + self.altstack[1]

    def siginfo(self, sig: int, code: int, addr: int, receiver: int | None = None) -> bytes:
        """The 128-byte siginfo of a delivery: a fault's address; the sender's pid and uid for
        kill/tgkill/sigqueue (the program's own: ``addr`` holds a sigqueue's value); a POSIX
        timer's id, overrun count and value; nothing for the kernel's itimer signals; what
        the program gave rt_sigqueueinfo (``addr`` a SentInfo) as it gave it. ``receiver``: the
        thread that takes it, when not the running one (another thread's sigwait)."""
        if isinstance(addr, SentInfo):
            return struct.pack("<iiii", sig, 0, code, 0) + addr
        if sig == 17 and code in (SI_TIMER, SI_USER):   # SIGCHLD from a child's end
            child = self.child_siginfo()
            if child is not None:
                pid, cld, status = child
                return struct.pack("<iiiiiIi", sig, 0, cld, 0, pid, os.getuid(), status).ljust(128, b"\0")
        if code == SI_TIMER:
            timer = self.timer_siginfo(sig, self.cur_tid if receiver is None else receiver)
            if timer is not None:       # a POSIX timer's: its id, overrun count and sigev_value
                return struct.pack("<iiiiiiQ", sig, 0, code, 0, *timer).ljust(128, b"\0")
            if sig in (14, 26, 27):     # SIGALRM, SIGVTALRM, SIGPROF of an itimer: SI_KERNEL
                return struct.pack("<iii", sig, 0, SI_KERNEL).ljust(128, b"\0")
            peer = self.take_peer_info(sig)     # another process's kill or sigqueue
            if peer is not None:
                code, pid, uid, value = peer
                return struct.pack("<iiiiiIQ", sig, 0, code, 0, pid, uid, value).ljust(128, b"\0")
            code = SI_USER              # from outside the run: its pid is not known here
            return struct.pack("<iii", sig, 0, code).ljust(128, b"\0")
        if code in (SI_TKILL, SI_QUEUE) or (code == SI_USER and sig not in SYNC_SIGNALS):
            return struct.pack("<iiiiiIQ", sig, 0, code, 0, self.pid, os.getuid(),
                               addr if code == SI_QUEUE else 0).ljust(128, b"\0")
        return struct.pack("<iiiiQ", sig, 0, code, 0, addr).ljust(128, b"\0")

    # --- asynchronous signals: the real-time interval timer ---------------------------------
    def post_async(self, sig: int, once: bool = False) -> None:
        """Called from a timer thread: queue the signal for the run loop (timers.py says when
        the engine is stopped for it; ``once``: a one-shot expiry)."""
        self.timer_fired(sig, once)

    def take_async(self):
        """Next asynchronous signal to act on: ('deliver', sig, queued), ('die', sig, queued)
        or None; ``queued`` is the entry as it was queued (a TimerSignal or ToThread keeps the
        timer's identity: what puts it back for later puts that back)."""
        while self.async_signals:
            queued = sig = self.async_signals.pop(0)
            tid = getattr(sig, "tid", None)
            own = isinstance(sig, TimerSignal)
            sig = int(sig)
            if tid is not None and tid != self.cur_tid:
                what = self.timer_signal_to_thread(tid, sig)    # (threads.py)
                if what is not None:
                    return (*what, queued)
                continue
            handler = self.action(sig)[0]
            if handler == 1 or (handler == 0 and sig in (17, 18, 23, 28)):
                if self.sigmask & (1 << (sig - 1)):   # blocked: pending all the same (for
                    self.blocked_pending.put(sig, SI_TIMER, to_thread=tid is not None, own=own)
                continue            # (for sigtimedwait, a signalfd: the kernel never ignores one blocked)
            if self.sigmask & (1 << (sig - 1)) and tid is not None:
                self.blocked_pending.put(sig, SI_TIMER, to_thread=True, own=True)   # this thread's
                continue
            if self.sigmask & (1 << (sig - 1)):
                if self.route_signal(sig, SI_TIMER, handled=handler > 1):
                    if handler > 1:
                        continue            # another thread takes it (threads.py)
                    return "die", sig, queued   # its default action ends the whole process
                self.blocked_pending.put(sig, SI_TIMER, own=own)
                continue
            if (handler > 1 and isinstance(queued, ToLeader) and len(self.threads) > 1
                    and self.cur_tid != self.pid and self.route_signal(sig, SI_TIMER, only=self.pid)):
                continue    # the main thread takes it first, as Linux's complete_signal (threads.py)
            return ("deliver" if handler > 1 else "die"), sig, queued
        self.wake.clear()
        return None

    def _arm_itimer(self, value: float, interval: float, at: float | None = None) -> None:
        """Arm (or with ``value`` 0 disarm) the real-time interval timer. Called from setitimer
        and from the timer's own thread for its next period, under ``timer_lock`` (timers.py).
        The state goes from the old timer to the new one in one assignment, never through
        None: the run loop reads it from its own thread (timers.timer_slices) to decide whether
        the next run must be stoppable, and an unstoppable run begun in such a gap never ended
        (every later SIGALRM queued behind it). From its own expiry, ``at`` is the next
        period's monotonic time, on the schedule (timers.next_expiry)."""
        import time
        with self.timer_lock:
            old, new = self.itimer, None
            if value > 0:
                def fire():
                    with self.timer_lock:
                        if self.itimer is None or self.itimer[0] is not t:
                            return                       # disarmed or re-armed meanwhile
                        self.post_async(ToLeader(14), interval <= 0)   # SIGALRM, queued before ...
                        if interval > 0:
                            nxt, _missed = self.next_expiry(self.itimer[1], interval, time.monotonic())
                            self._arm_itimer(interval, interval, nxt)
                        else:
                            self.itimer = None           # ... the timer counts as disarmed

                now = time.monotonic()
                at = now + value if at is None else at
                t = self.expiries.schedule(at, fire)    # (fire waits for timer_lock: t is set)
                new = (t, at, interval)
            self.itimer = new
            if old is not None:
                old[0].cancel()

    def sys_setitimer(self, which, new, old, *_):
        import time
        from .syscalls import KTIME_MAX_S, ktime_timeval
        if which > 2:
            return -22
        if which != 0:                       # ITIMER_VIRTUAL, ITIMER_PROF (timers.py)
            if old:
                left, interval = self.cpu_itimer_value(which)
                self.wr(old, ktime_timeval(interval) + ktime_timeval(left))
            if new:
                isec, iusec, vsec, vusec = struct.unpack("<qqqq", self.rd(new, 32))
                if min(isec, iusec, vsec, vusec) < 0 or max(iusec, vusec) >= 1_000_000:
                    return -22
                self.arm_cpu_itimer(which, min(vsec + vusec / 1e6, KTIME_MAX_S),
                                    min(isec + iusec / 1e6, KTIME_MAX_S))
                self.timers_changed()
            return 0
        if old:
            left, interval = 0.0, 0.0
            if self.itimer:
                left = max(0.0, self.itimer[1] - time.monotonic())
                interval = self.itimer[2]
            self.wr(old, ktime_timeval(interval) + ktime_timeval(left))
        if new:
            isec, iusec, vsec, vusec = struct.unpack("<qqqq", self.rd(new, 32))
            # saturated at KTIME_MAX as Linux's timeval_to_ktime, the expiry too (ktime_add_safe
            # on CLOCK_MONOTONIC): getitimer then gives KTIME_MAX less the clock's time now
            # (xld gave what was asked, and past 2**63 ns failed to pack it: no answer written)
            value = min(vsec + vusec / 1e6, KTIME_MAX_S)
            if value > 0:
                value = min(value, max(1e-6, KTIME_MAX_S - time.monotonic()))
            self._arm_itimer(value, min(isec + iusec / 1e6, KTIME_MAX_S))
            self.timers_changed()
        return 0

    def sys_getitimer(self, which, cur, *_):
        return self.sys_setitimer(which, 0, cur)

    def wait_for_signal(self, seconds: float | None) -> bool:
        """Sleep until a signal that interrupts (``interrupting_signal``), ``seconds``, or the
        end of the run; True if a signal came."""
        import time
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            self.wake.clear()            # before looking: a signal posted from now on wakes us
            if self.interrupting_signal():
                return True
            if self.stop_event.is_set():
                return False
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            self.wake.wait(None if left is None else min(left, LONGEST_WAIT))

    def take_waited_signal(self, want: int, take: bool = True, me=None):
        """sigtimedwait, a signalfd's read: a signal of ``want`` pending for the waiting thread
        ``me`` (by default the running one) or for the process, taken without its handler, as
        (sig, code, value), or None — from the thread's own pending set, from another thread's
        where a process-wide signal that every thread blocks was parked (take_async), or not
        yet routed. ``take``: False only looks."""
        me = me or self.cur
        if take:
            self.stale_timer_mask &= ~want        # (dropped where it would be taken)
        for t in [me] + [t for t in self.threads.values() if t is not me]:
            pend = self.blocked_pending if t is self.cur else t.state.get("blocked_pending")
            if not pend:
                continue
            for sig in sorted(pend):      # another thread's: only what was sent to the process
                if want & (1 << (sig - 1)) and (t is me or pend.for_process(sig)):
                    if not take:
                        return sig, 0, 0
                    return (sig, *pend.take(sig, for_process=t is not me))
        for i, sig in enumerate(self.async_signals):
            if want & (1 << (sig - 1)) and getattr(sig, "tid", me.tid) == me.tid:
                if take:
                    del self.async_signals[i]
                return int(sig), SI_TIMER, 0
        return None

    def unrouted_blocked(self) -> int:
        """sigpending: the signals timer threads posted (not yet routed to a thread's set) that
        the running thread blocks, as a mask: pending for it, as the kernel's queue shows them."""
        mask = self.sigmask & self.stale_timer_mask    # (timers.drop_queued_signal)
        for sig in list(self.async_signals):
            if getattr(sig, "tid", self.cur.tid) == self.cur.tid:
                mask |= self.sigmask & (1 << (int(sig) - 1))
        return mask

    def waited_signal_pending(self, want: int, me=None) -> bool:
        """Is a signal of ``want`` there for take_waited_signal (a signalfd's poll)?"""
        return self.take_waited_signal(want, take=False, me=me) is not None

    def sys_rt_sigtimedwait(self, uset, info, tmo, size, *_):
        """sigwaitinfo/sigtimedwait/sigwait: take a pending signal of the set (its siginfo
        as a handler would get it), waiting until one comes, the timeout (EAGAIN) or another
        signal's handler (EINTR)."""
        import time
        if size != 8:
            return -errno.EINVAL
        want = struct.unpack("<Q", self.rd(uset, 8))[0] & ~UNBLOCKABLE
        seconds = self._timeout_arg(tmo)
        self.catch_up_all()             # (timers already due, whose host threads are late)
        deadline = None if seconds is None else time.monotonic() + seconds
        if len(self.threads) > 1:
            return self._threaded_sigtimedwait(want, info, deadline)
        while True:
            self.wake.clear()
            got = self.take_waited_signal(want)
            if got is not None:
                sig, code, value = got
                # made even when not asked for: it takes a POSIX timer's place in line
                # (timer_siginfo; Linux's dequeue does that whatever the caller reads)
                siginfo = self.siginfo(sig, code, value)
                if info:
                    self.wr(info, siginfo)
                return sig
            if self.interrupting_signal() or self.stop_event.is_set():
                return -errno.EINTR
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return -errno.EAGAIN
            self.wake.wait(0.05 if left is None else min(left, 0.05))

    def _threaded_sigtimedwait(self, want: int, info: int, deadline):
        """sigtimedwait in a process with threads (a thread that waits for the process's
        signals, the sigwait pattern; it was refused): the calling thread blocks until a signal
        of ``want`` is pending for it or for the process (take_waited_signal) and takes it with
        its siginfo; EAGAIN at the deadline; EINTR when another signal's handler runs (never
        restarted, as signal(7) says)."""
        me = self.cur                 # (poll runs later, maybe while another thread runs)

        def poll():
            got = self.take_waited_signal(want, me=me)
            if got is None:
                return None
            sig, code, value = got
            siginfo = self.siginfo(sig, code, value, receiver=me.tid)     # (as above)
            if info:
                self.wr(info, siginfo)
            return sig

        r = poll()
        if r is not None:
            return r
        return self.block(self.Wait("rt_sigtimedwait", poll, deadline, timeout_result=-errno.EAGAIN))

    def sys_rt_sigsuspend(self, mask, size, *_):
        self.begin_temporary_mask(struct.unpack("<Q", self.rd(mask, 8))[0])
        self.wait_for_signal(None)
        self.end_temporary_mask(True)
        return -4  # EINTR

    def stop_timers(self) -> None:
        if getattr(self, "itimer", None) is None:
            return
        with self.timer_lock:
            it, self.itimer = self.itimer, None     # a firing periodic timer will not re-arm
        if it is not None:
            it[0].cancel()              # (an expiry running now finds itself disarmed; close has
            #                             ended the scheduler's thread before: runner.close)

    def sys_rt_sigreturn(self, *_):
        if not self.sigframes:
            self.terminate(signal=11, reason="rt_sigreturn with no signal frame", report=True)
            return None
        ctx, mask, pc, uc = self.sigframes.pop()
        eng, arch = self.eng, self.arch
        eng.context_restore(ctx)
        uc_size = UCONTEXT_SIZE[arch.name]
        if self.mem.is_mapped(uc, uc_size, 1):
            # what the handler may have edited: registers, PC, SP, flags, mask, FP state (the
            # kernel's restore_sigframe takes all of them from the frame)
            frame = self.mem.read(uc, uc_size)
            if not self.restore_fp_state(frame):
                self.terminate(signal=11, reason="rt_sigreturn: bad signal frame (the FP state's "
                               "records are missing or malformed)", report=True)
                return None
            mask = struct.unpack_from("<Q", frame, 40)[0] & ~UNBLOCKABLE
            regs = struct.unpack_from("<31Q", frame, 184)
            # (only those it changed are written: the engine's state stays as saved otherwise)
            edits = list(zip(arch.gregs, regs))
            if arch.name == "arm64":
                sp, pc, pstate = struct.unpack_from("<QQQ", frame, 184 + 248)
                nzcv = arch.gregs[-1]
                edits += [(("sp", arch.sp), sp), (nzcv, pstate & 0xF0000000 | eng.reg_read(nzcv[1]) & 0x0FFFFFFF)]
            else:
                pc = struct.unpack_from("<Q", frame, 176)[0]
            for (_name, rid), value in edits:
                if eng.reg_read(rid) != value:
                    eng.reg_write(rid, value)
        eng.reg_write(arch.pc, pc)   # make Unicorn leave the hook at the restored PC
        self.sigmask = mask
        self.mask_changed()
        return None

    def sys_sigaltstack(self, new, old, *_):
        on_alt = self.on_altstack(self.eng.reg_read(self.arch.sp))
        if new:
            ss_sp, ss_flags, _pad, ss_size = struct.unpack("<QiiQ", self.rd(new, 24))
            if on_alt:
                return -errno.EPERM        # not while running on it
            if ss_flags & ~SS_AUTODISARM not in (0, SS_ONSTACK, SS_DISABLE):
                return -errno.EINVAL
            if ss_flags & ~SS_AUTODISARM == SS_DISABLE:
                new_stack = None
            elif ss_size < MINSIGSTKSZ[self.arch.name]:
                return -errno.ENOMEM
            else:
                new_stack = (ss_sp, ss_size)
        if old:
            if self.altstack:
                self.wr(old, struct.pack("<QiiQ", self.altstack[0], SS_ONSTACK if on_alt else 0, 0,
                                         self.altstack[1]))
            else:
                self.wr(old, struct.pack("<QiiQ", 0, SS_DISABLE, 0, 0))
        if new:
            self.altstack = new_stack
        return 0
