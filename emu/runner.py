"""Run one Linux executable in a fresh Unicorn engine, like a process.

The sequence is the kernel's execve, then the CPU loop:

1. read the ELF, refuse what we cannot run (other machines, corrupt files); for a dynamic
   executable, find and read its program interpreter in the sysroot or the root;
2. create the engine (arm64: 4 KiB pages, the "max" CPU model so LSE atomics work) and switch
   it to the virtual TLB (see memory.py);
3. map the PT_LOAD segments of the program and of its interpreter (loader.py), the stack, and
   place brk after the program's image;
4. build the initial stack: argc, argv, envp, auxv, and the strings and random bytes they
   point to;
5. start at the interpreter's entry, or the program's; every ``svc #0``/``ecall`` enters
   ``_on_intr`` (the PC is already past the instruction), which reads the call number and
   arguments with one C call and dispatches to syscalls.py; any other CPU exception, or a
   refused memory access, becomes the signal the kernel would send: delivered to the
   program's handler if it has one (signals.py), else the end of the run, with a crash report.

Limits: a watchdog thread stops the engine at the wall-clock deadline (uc_emu_stop is safe to
call from another thread, and costs nothing while the program runs, unlike Unicorn's own
timeout which polls); an instruction budget is Unicorn's ``count``. Output and memory are
capped by the file objects and the memory map.
"""

from __future__ import annotations

import collections
import errno
import os
import struct
import sys
import threading
import time
import traceback
from dataclasses import dataclass

from . import crash
from . import fs as F
from . import loader as L
from . import uc as U
from . import ucconst as K
from .arch import BY_MACHINE, Arch
from .elf import ET_DYN, ET_EXEC, PF_X, PT_GNU_STACK, PT_LOAD, Elf, ElfError, read_elf
from .fs import GuestOSError
from .memory import EXIT_PAGE, PAGE, UNTIL, STACK_SIZE, STACK_TOP, Memory
from .sched import Scheduler
from .signals import Signals
from .syscalls import PID, SIGNAL_NAMES, Syscalls, handler_table
from .sysnames import name_of
from .threads import BLOCKED, NotServed, Threads
from .hostio import HostIO
from .process import FORWARDED, Processes
from .net import Net, wrap_host_fd
from .notify import Notify
from .timers import Timers
from .creds import Creds
from .sysvipc import SysVIPC

SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGSEGV, SIGKILL, SIGXCPU, SIGXFSZ, SIGSYS = 4, 5, 6, 7, 11, 9, 24, 25, 31

DEFAULT_MAX_MEMORY = 4 << 30
DEFAULT_MAX_OUTPUT = 256 << 20

AT = dict(NULL=0, PHDR=3, PHENT=4, PHNUM=5, PAGESZ=6, BASE=7, FLAGS=8, ENTRY=9, UID=11, EUID=12,
          GID=13, EGID=14, PLATFORM=15, HWCAP=16, CLKTCK=17, SECURE=23, RANDOM=25, HWCAP2=26,
          EXECFN=31)


class ProgramFailed(AssertionError):
    """Raised by Result.check(): the program did not exit as expected."""

    def __init__(self, message: str, result: "Result"):
        super().__init__(message)
        self.result = result


class RunError(Exception):
    """The program could not be started (bad file, dynamic executable, bad options)."""


@dataclass
class Result:
    """What happened to one run.

    ``returncode`` is what a shell would see: the exit status, or 128+signal for a program
    killed by a signal. Limits are reported as the signals the kernel uses for its own limits:
    the wall-clock timeout as SIGKILL, the instruction budget as SIGXCPU, the output cap as
    SIGXFSZ; ``limit`` names which one it was.
    """

    status: int | None = None          # exit status, when the program exited
    signal: int | None = None          # terminating signal, when it was killed
    stdout: bytes = b""
    stderr: bytes = b""
    limit: str | None = None           # "timeout", "max-insns", "output" or None
    crash: str | None = None           # human-readable report for signals and limits
    reason: str = ""                   # one line: why the program stopped
    insns: int | None = None
    elapsed: float = 0.0
    syscalls: int = 0
    arch: str = ""

    @property
    def returncode(self) -> int:
        if self.signal is not None:
            return 128 + self.signal
        return self.status if self.status is not None else 1

    @property
    def signal_name(self) -> str | None:
        return SIGNAL_NAMES.get(self.signal) if self.signal else None

    @property
    def ok(self) -> bool:
        return self.status == 0 and self.signal is None

    def check(self, status: int = 0) -> "Result":
        """Raise ProgramFailed (an AssertionError, with the output and any crash report) unless
        the program exited with ``status``; return self, for chaining."""
        if self.signal is None and self.status == status:
            return self
        what = (f"exited with status {self.status}" if self.signal is None
                else f"was killed by {self.signal_name}")
        parts = [f"program {what} (expected status {status})"]
        if self.reason:
            parts.append(self.reason)
        for name, data in (("stdout", self.stdout), ("stderr", self.stderr)):
            if data:
                text = data[-2000:].decode(errors="replace")
                parts.append(f"--- {name} (last {min(len(data), 2000)} bytes) ---\n{text}")
        if self.crash:
            parts.append(self.crash)
        raise ProgramFailed("\n".join(parts), self)

    def __repr__(self):
        what = f"status={self.status}" if self.signal is None else f"signal={self.signal_name}"
        lim = f", limit={self.limit}" if self.limit else ""
        return f"Result({what}{lim}, stdout={len(self.stdout)}B, stderr={len(self.stderr)}B)"


@dataclass
class Stop:
    status: int | None = None
    signal: int | None = None
    reason: str = ""
    note: str = ""
    fault: tuple | None = None
    limit: str | None = None
    report: bool = False


class Process(Processes, Notify, Net, HostIO, SysVIPC, Threads, Signals, Timers, Creds, Syscalls):
    gdb = None      # a GdbServer (gdbstub.py) when run with -g PORT

    def __init__(self, elf: Elf, arch: Arch, *, argv, env, stdin, stdout, stderr, sandbox: F.Sandbox,
                 timeout, max_insns, max_memory, max_output, strace, unknown_syscall,
                 tlb=True, interruptible=False, interp: Elf | None = None,
                 allow_host_exec=True, sysroot_opt=None, pass_fds=()):
        self.elf = elf
        self.interp = interp          # the program interpreter (ld.so) of a dynamic executable
        self.interp_bias = 0
        self.module_files: dict[str, str] = {}   # mapping name -> host file (crash reports)
        self.arch = arch
        self.argv = argv
        self.env = env
        self.timeout = timeout
        self.max_insns = max_insns
        self.strace = strace
        self.unknown_syscall = unknown_syscall
        self.tlb = tlb
        self.interruptible = interruptible
        self.stop: Stop | None = None
        self.error: BaseException | None = None
        self.error_tb = ""
        self.stop_event = threading.Event()   # the run is over (time limit, Ctrl-C)
        self.wake = threading.Event()         # a sleeping system call must return now
        self.run_over = threading.Event()     # the run loop has returned: host threads stop asking
        self.stoppers_lock = threading.Lock()  # no stop is asked for once close has begun
        self.expiries = Scheduler()             # wall-clock expiries and stops: one thread (sched.py)
        self.engine_worker: EngineWorker | None = None   # runs the engine when interruptible
        self.history = collections.deque(maxlen=8)
        self.nsyscalls = 0
        self.sigactions: dict[int, bytes] = {}
        self.sigmask = 0
        self.umask = _host_umask()          # the caller's, as under qemu-user (was 0o022 whatever it was)
        self.rlimits: dict[int, tuple[int, int]] = {}   # setrlimit's, over the defaults (syscalls.py)
        # mlock'ed [start, end) page ranges, sorted and disjoint, and mlockall's MCL_FUTURE
        # (syscalls.py): counted against RLIMIT_MEMLOCK; neither survives fork or execve
        self.locked: list[tuple[int, int]] = []
        self.lock_future = False
        self.comm: bytes | None = None      # prctl(PR_SET_NAME)'s name; None: the program file's
        self.groups: list[int] | None = None   # setgroups' list (creds.py); None: the host's
        self.dumpable = 1                   # prctl(PR_SET_DUMPABLE)
        self.personality = 0                # personality(2)'s (kept across fork and execve)
        self.nice = _host_nice()            # setpriority's; at first the caller's, as qemu-user's
        self.sched = _host_sched()          # sched_setscheduler's (policy, priority, reset on fork)
        self.sched0 = self.sched            # the run's first: a process without a line on the
                                            # run's SchedBoard has it (schedboard.py)
        self.sched_board_file = None        # that SchedBoard, once looked at
        # System V IPC (sysvipc.py): the run's table of objects once used, whether this
        # process started its janitor, the first process's SemThread (its SEM_UNDO list)
        self.ipc_tab = None
        self.ipc_known: set[tuple[str, int]] = set()   # (kind, id) found in the table
        self.ipc_janitor = False
        self.sem_server = None
        self.clear_child_tid = 0
        self.robust_list = 0                # set_robust_list's head (threads.py)
        self.bias = 0
        self.pid = PID
        self.delivered: list[int] = []
        self.epoll_mirrors: list = []       # signalfds a host eventfd stands for in epoll (notify.py)
        self.init_signals()                 # (pending signals: kept across execve)
        self.init_threads()
        self.init_processes(allow_host_exec=allow_host_exec, sysroot_opt=sysroot_opt)
        self.init_timers()

        self.sandbox = sandbox
        self.output = F.Output(max_output)
        self.fds = F.FdTable()
        stdin_file = _stdin_file(stdin)
        if isinstance(stdin_file, F.HostStream):
            stdin_file.stop_event = self.stop_event
        self.fds.install(stdin_file, fd=0)
        self.out_sink = _out_file(stdout, self.output)
        self.err_sink = _out_file(stderr, self.output)
        self.fds.install(self.out_sink, fd=1)
        self.fds.install(self.err_sink, fd=2)
        for fd in pass_fds:
            self.fds.install(wrap_host_fd(fd), fd=fd)

        self._new_engine(max_memory)

    def forwarded_handlers(self) -> bool:
        """Has the program a handler for a signal another process may send it (kill from the
        host or another guest process, SIGCHLD)? Then runs are stoppable (threads.sliced)."""
        return any(self.action(sig)[0] > 1 for sig in (*FORWARDED, 17))

    # --- setup --------------------------------------------------------------------------
    def _new_engine(self, max_memory: int) -> None:
        """A fresh engine and address space for ``self.arch`` (at start, and at execve)."""
        arch = self.arch
        eng = self.eng = U.Engine(arch.uc_arch, arch.uc_mode)
        if arch.name == "arm64":
            eng.set_page_size(PAGE)
        eng.set_cpu_model(arch.cpu_model)
        self.mem = Memory(eng, max_memory)
        if self.tlb:
            self.mem.install_tlb()
        self._handlers = handler_table(self, arch.name)
        self._read_sys = eng.batch_reader([arch.sysno, *arch.args])
        self._write_ret = eng.reg_writer(arch.ret)
        self._hooks()

    def prepare_guest_exec(self, elf: Elf, argv, env, host: str, guest: str):
        """Check a guest execve's new image and find its interpreter, before the point of no
        return (process.py); -errno, or the fields of an ExecRequest."""
        try:
            arch = _check(elf)
            sysroot = _sysroot(self.sysroot_opt if arch is self.arch else None, arch, elf)
            old = self.sandbox.sysroot
            self.sandbox.set_sysroot(sysroot)
            try:
                interp = _load_interp(elf, arch, self.sandbox, self.mem.limit) \
                    if elf.interp is not None else None
            finally:
                self.sandbox.set_sysroot(old)
        except RunError:
            return -errno.ENOEXEC if elf.interp is None else -errno.ENOENT
        return elf, arch, interp, sysroot, argv, env, host, guest

    def exec_image(self) -> int:
        """Carry out a guest execve (process.py validated it): a new engine and memory with
        the new image, the same process otherwise; return the PC to start at."""
        req, self.exec_request = self.exec_request, None
        # the calls so far, the execve too, rendered while their strings are still there: a
        # crash report in the new image read them from its memory (`execve("ecrace.a64")` for
        # "./execrace.a64")
        self.history = collections.deque(((None, crash.call_text(self, e), None) for e in self.history),
                                         maxlen=self.history.maxlen)
        old, old_mem, limit = self.eng, self.mem, self.mem.limit
        self.elf, self.arch, self.interp = req.elf, req.arch, req.interp
        self.interp_bias = self.bias = 0
        self.module_files = {}
        self.argv, self.env = req.argv, req.env
        sb = self.sandbox
        sb.exe_guest, sb.exe_host = req.guest_path, os.path.abspath(req.host_path)
        sb.set_sysroot(req.sysroot)
        self._new_engine(limit)
        self.locked, self.lock_future = [], False     # (a new address space)
        self.after_exec()
        self.exec_timers()                # (timers.py)
        self.exec_pending()               # (threads.py)
        self.sigframes, self.altstack, self.saved_sigmask = [], None, None
        for t in self.threads.values():   # the other threads die: what they wait for is off
            if t.wait is not None and t.wait.cancel:    # (a host thread's lock request, a FIFO open)
                t.wait.cancel()
        affinity = self.cur.affinity      # (kept across execve, as on Linux)
        self.init_threads()
        self.cur.affinity = affinity
        self._insns_left = None
        old.close()
        old_mem.close()
        try:
            entry = self.load()
        except RunError as e:
            self.stop = Stop(signal=SIGSEGV, report=False, reason=f"execve: {e}")
            return 0
        self._set_start_regs(self.build_stack())
        return entry

    def _set_start_regs(self, sp: int) -> None:
        eng, arch = self.eng, self.arch
        eng.reg_write(arch.sp, sp)
        if arch.name == "riscv64":
            mstatus = eng.reg_read(K.UC_RISCV_REG_MSTATUS)
            eng.reg_write(K.UC_RISCV_REG_MSTATUS, mstatus | (3 << 13))  # FS = dirty: FPU on

    def _hooks(self):
        self._intr_cb = U.INTR_CB(self._on_intr)
        self.eng.hook_add(K.UC_HOOK_INTR, self._intr_cb)
        if not self.tlb:
            self._inval_cb = U.MEM_INVALID_CB(self._on_invalid_mem)
            self.eng.hook_add(K.UC_HOOK_MEM_INVALID, self._inval_cb)

    def load(self) -> int:
        """Map the executable and, for a dynamic one, its program interpreter (loader.py);
        return the PC to start at: the interpreter's entry, or the program's."""
        elf = self.elf
        name = os.path.basename(elf.path)
        try:
            self.bias = L.place(elf, self.mem, interpreter=False, what=elf.path)
            _start, end = L.map_image(self.mem, elf, self.bias, name)
            self.mem.set_brk_base(end)      # brk follows the executable, as the kernel puts it
            if self.interp is None:
                return self._entry(elf.entry + self.bias, elf.path)
            what = f"program interpreter {elf.interp}"
            self.interp_bias = L.place(self.interp, self.mem, interpreter=True, what=what)
            ld_name = os.path.basename(elf.interp)
            L.map_image(self.mem, self.interp, self.interp_bias, ld_name)
            self.module_files[ld_name] = self.interp.path
        except L.LoadError as e:
            raise RunError(str(e)) from None
        return self._entry(self.interp.entry + self.interp_bias, what)

    @staticmethod
    def _entry(pc: int, what: str) -> int:
        """The kernel refuses an entry point outside user space (BAD_ADDR: EINVAL)."""
        if not 0 <= pc < STACK_TOP:
            raise RunError(f"{what}: entry point {pc:#x} lies outside the program's address space")
        return pc

    def _phdr_addr(self) -> int:
        return L.phdr_addr(self.elf, self.bias)

    def _stack_prot(self) -> int:
        """The kernel's rule (fs/binfmt_elf.c): the program's own PT_GNU_STACK decides; PF_X
        there makes the stack executable (GCC's nested-function trampolines run on it).
        Without the header, or without PF_X, it is not (64-bit arm64 and riscv64 do not
        imply exec).  A library that needs it later asks ld.so, which mprotects the stack
        with PROT_GROWSDOWN (syscalls.sys_mprotect)."""
        for seg in self.elf.segments:
            if seg.type == PT_GNU_STACK:
                return 7 if seg.flags & PF_X else 3
        return 3

    def build_stack(self) -> int:
        arch = self.arch
        self.eng.mem_map(EXIT_PAGE, PAGE, U.PROT_READ | U.PROT_EXEC)  # emu_start's `until` (memory.py)
        self.image_signals(EXIT_PAGE)                   # and the rt_sigreturn trampoline
        self.mem.map(STACK_TOP - STACK_SIZE, STACK_SIZE, self._stack_prot(), "[stack]", count=False)
        blob = bytearray()
        top = STACK_TOP - 16  # keep a zero word at the very top, as the kernel does

        def put(data: bytes) -> int:
            blob[:0] = data
            return top - len(blob)

        execfn = put(self.sandbox.exe_guest.encode() + b"\0")
        arg_ptrs = [put(os.fsencode(a) + b"\0") for a in reversed(self.argv)][::-1]
        env_ptrs = [put(os.fsencode(e) + b"\0") for e in reversed(self.env)][::-1]
        platform = put(arch.platform.encode() + b"\0")
        rand = put(os.urandom(16))
        uid, gid = os.getuid(), os.getgid()
        auxv = [
            (AT["PHDR"], self._phdr_addr()), (AT["PHENT"], self.elf.phentsize),
            (AT["PHNUM"], self.elf.phnum), (AT["PAGESZ"], PAGE),
            (AT["BASE"], self.interp_bias if self.interp is not None else 0),
            (AT["FLAGS"], 0), (AT["ENTRY"], self.elf.entry + self.bias),
            (AT["UID"], uid), (AT["EUID"], uid), (AT["GID"], gid), (AT["EGID"], gid),
            (AT["PLATFORM"], platform), (AT["HWCAP"], arch.hwcap), (AT["HWCAP2"], arch.hwcap2),
            (AT["CLKTCK"], 100), (AT["SECURE"], 0), (AT["RANDOM"], rand), (AT["EXECFN"], execfn),
            (AT["NULL"], 0),
        ]
        words = [len(self.argv), *arg_ptrs, 0, *env_ptrs, 0]
        for k, v in auxv:
            words += [k, v & 0xFFFF_FFFF_FFFF_FFFF]   # unsigned long, as the kernel computes it
        self.auxv_bytes = struct.pack(f"<{2 * len(auxv)}Q", *words[len(words) - 2 * len(auxv):])  # /proc/self/auxv
        strings_bottom = top - len(blob)
        sp = (strings_bottom - 8 * len(words)) & ~15
        self.start_stack = sp                  # /proc/self/stat's startstack
        table = struct.pack(f"<{len(words)}Q", *words)
        self.mem.write(sp, table)
        self.mem.write(strings_bottom, bytes(blob))
        return sp

    # --- running ------------------------------------------------------------------------
    def run(self) -> Result:
        t0 = time.perf_counter()
        watchdog = None
        if self.timeout:     # the time limit covers loading too
            watchdog = threading.Timer(self.timeout, self._on_timeout)
            watchdog.daemon = True
            watchdog.start()
        self.install_lock_wake()
        try:
            entry = self.load()
            self._set_start_regs(self.build_stack())
            if self.gdb is not None:         # -g PORT: wait for the debugger (gdbstub.py)
                entry = self.gdb.attach(entry)
            try:
                if self.stop is None:        # (the time limit may have come first)
                    self._run_loop(entry)
            except BaseException:
                if self.forked_child:      # a forked process never returns to the caller
                    self.error = self.error or RuntimeError("the run loop failed")
                    self.child_exit()
                raise
            if self.forked_child:
                self.child_exit()
            if self.gdb is not None:
                self.gdb.finish(self.stop)
        except BaseException:
            self.end_lifeline(killed=True)      # the run's other processes end with it
            raise
        finally:
            self.run_over.set()
            if self.gdb is not None:
                self.gdb.close()
            if watchdog and not self.forked_child:
                watchdog.cancel()
                watchdog.join()  # if it was firing, let it finish before the engine goes away
        # After the program's own end, or a signal's (Ctrl-C, SIGTERM, from outside or from a
        # process of the run: the sender is not known), its other processes live on, as on
        # Linux; stopped by xld (a time or instruction limit), they end with it.
        self.end_lifeline(killed=self.stop is not None and self.stop.limit is not None)
        self.finish_processes()
        res = self._result()
        res.elapsed = time.perf_counter() - t0
        return res

    def _run_loop(self, pc: int, err: int | None = None) -> None:
        """Emulate until the program ends; between runs, deliver signals to its handlers."""
        while True:
            if (err is not None and self.exec_request is not None and self.error is None
                    and self.stop is None):
                pc = self.exec_image()       # execve of a guest executable (process.py)
                if self.stop is not None:
                    return
                err = None
            if err is not None and self.host_signals_due:
                # host signal dispositions are set from the host's main thread (process.py)
                self.host_signals_due = False
                self.apply_host_dispositions()
                if (err == 0 and self.pending is None and not self.async_signals
                        and self.stop is None and self.eng.reg_read(self.arch.pc) != UNTIL):
                    pc = self.eng.reg_read(self.arch.pc)
                    err = None
            if err is not None or self.async_signals or self.pending is not None:
                if err is not None:
                    if self.error is not None:
                        raise InternalError(self.error, self.error_tb)
                    if self.stop is not None:
                        return
                if (err == 0 and self.gdb is not None and self.pending is None and self.stop is None
                        and self.gdb.wants_stop() and self.eng.reg_read(self.arch.pc) != UNTIL):
                    # a breakpoint or the end of a step is seen before a signal that came
                    # meanwhile is delivered (as ptrace reports its SIGTRAP first): taken
                    # first, the signal's handler ran with the breakpoint still marked hit,
                    # and no breakpoint stopped the program again (gdbstub.py)
                    self.gdb.stopped()
                    if self.stop is not None:
                        return
                    pc = self.eng.reg_read(self.arch.pc)
                    err = None
                    continue
                if (self.pending is None and err in (None, 0) and self.async_signals
                        and not (self.gdb is not None and self.gdb.holding())):
                    what = self.take_async()
                    if what is None:
                        self.restore_saved_mask()   # nothing to deliver after a sigsuspend/pselect6
                    if what and what[0] == "die":
                        # (no crash report for what another process may have sent: process.py)
                        self.stop = Stop(signal=what[1], report=what[1] not in FORWARDED,
                                         reason=f"killed by {SIGNAL_NAMES.get(what[1])} (a timer's "
                                         f"or another process's signal)")
                        return
                    if what is not None:
                        self.pending = (what[1], -2, 0)   # SI_TIMER
                    elif err is not None:                 # ignored: carry on
                        pc = self.eng.reg_read(self.arch.pc)
                        err = None
                        continue
                if (self.pending is None and err == 0 and self.async_posted and not self.max_insns
                        and self.eng.reg_read(self.arch.pc) != UNTIL):
                    # a timer thread's emu_stop that landed after the run loop had already
                    # taken its signal (through the system-call hook) stops the next run for
                    # nothing: carry on where the program is
                    pc = self.eng.reg_read(self.arch.pc)
                    err = None
                    continue
                if (self.pending is None and err == 0 and self.stop is None
                        and self.eng.reg_read(self.arch.pc) != UNTIL):
                    if self.gdb is not None and self.gdb.stopped():
                        # a breakpoint, a step or gdb's Ctrl-C: the debugger has resumed
                        if self.stop is not None:
                            return                    # ... or killed the program
                        pc = self.eng.reg_read(self.arch.pc)
                        err = None
                        continue
                    # the end of a time slice (threads.py): switch threads; or a stop
                    # on request (kick) whose reason is gone: carry on
                    over = self.slice_over()
                    if over:
                        if over == "switch":
                            self.preempt()
                        pc = self.eng.reg_read(self.arch.pc)
                        err = None
                        continue
                if self.pending is None and err is not None:
                    stop = self._classify_stop(err)
                    if stop.limit is None and stop.signal and self.can_catch_fault(stop.signal):
                        self.pending = (stop.signal, *crash.fault_code(self, stop))
                    else:
                        self.stop = stop
                        return
                while self.pending is not None:     # (a frame for each unblocked one: nested)
                    sig, code, addr = self.pending
                    self.pending = None
                    pc = self.deliver(sig, code, addr)
                    if pc is None:
                        self.stop = Stop(signal=SIGSEGV, report=True, reason=f"segmentation fault: "
                                         f"cannot write the frame for {SIGNAL_NAMES.get(sig, sig)} on the stack")
                        return
                    self.pending = self.next_nested_signal()
            if self.stop is not None:      # the time limit passed before the engine ran
                return
            self.mem.fault = None
            self._last_count = self.run_count()
            if self.stop is not None:      # (the time limit may have passed meanwhile)
                return
            if self.async_signals and (self.gdb is None or not self.gdb.attached):
                # queued by a host thread after the look above, and maybe before run_count made
                # this run stoppable (a one-shot timer's expiry found run_is_sliced still False
                # and did not kick; the timer was then disarmed, so the run was not even sliced):
                # begun, such a run never ended. Anything queued from here on sees the run as
                # run_count left it and stops it (kick), or is a death (stop_engine)
                self.eng.reg_write(self.arch.pc, pc)
                err = 0
                continue
            self.take_run_lock(polite=True)   # guest code runs under it (runlock.py)
            try:
                if self.interruptible:
                    err = self._start_interruptible(pc)
                else:
                    err = self.start_engine(pc)
            finally:
                self.drop_run_lock()
            if self.gdb is not None:
                self.gdb.ran(err)        # the resumed instruction has run: signals may come
            if self.kicker is not None:
                self.kicker.clear()      # a kick from now on stops the next run

    def start_engine(self, pc: int) -> int:
        """One run of the engine from ``pc``, on this host thread; its CPU time is the running
        guest thread's (threads.thread_cpu_ns)."""
        self.cpu_enter()
        try:
            return self.eng.emu_start(pc, UNTIL, 0, self._last_count)
        finally:
            self.cpu_leave()

    def _start_interruptible(self, entry) -> int:
        """Emulate on a worker thread so that Ctrl-C (KeyboardInterrupt, which Python only
        raises in the main thread, between bytecodes) can stop a program that never makes a
        system call: the guest then dies of SIGINT, as it would in a terminal. The worker is
        one thread for the whole run (EngineWorker): a thread per run of the engine made
        about 500 host threads a second with a 1 ms timer (every expiry ends a run)."""
        interrupted = False
        # Not Thread.join: a KeyboardInterrupt inside join() can leave is_alive() False while
        # the thread still runs (CPython's bpo-45274 handling), and we would free the engine
        # under it. A Ctrl-C may land anywhere here, even before the worker has entered
        # uc_emu_start (where a stop request would be lost), so once interrupted we keep
        # asking the engine to stop until the worker is done.
        job = None
        while True:
            try:
                if job is None:
                    # SIGINT blocked while handing the run over: `job` is then always true to
                    # fact (the worker, made here, inherits the mask, so Ctrl-C goes to this thread)
                    mask = _block_sigint()
                    if self.engine_worker is None:
                        self.engine_worker = EngineWorker(self)
                    job = self.engine_worker.submit(entry)
                    _restore_sigmask(mask)
                while not job.done.wait(0.25):
                    if interrupted:
                        self.eng.emu_stop()
                break
            except KeyboardInterrupt:
                interrupted = True
                if self.stop is None:
                    self.stop = Stop(signal=2, reason="interrupted (Ctrl-C)")
                self.stop_event.set()
                self.wake.set()
                self.eng.emu_stop()
        return job.result

    def _classify_stop(self, err: int) -> Stop:
        fault = self.mem.fault
        if err == 0 and self.eng.reg_read(self.arch.pc) == UNTIL:
            return Stop(signal=SIGSEGV, fault=(UNTIL, U.MEM_FETCH), report=True,
                        reason="segmentation fault")
        if err == 0:
            if self.max_insns:
                return Stop(signal=SIGXCPU, limit="max-insns", report=True,
                            reason=f"instruction limit reached: {self.max_insns} instructions executed")
            return Stop(signal=SIGKILL, reason="emulation stopped", report=True)
        if err == 21 and fault is not None and fault[0] is not None \
                and self.mem.past_end_of_file(*fault):
            return Stop(signal=SIGBUS, fault=fault, report=True,
                        reason="bus error: access past the end of a file mapping")
        if err in (6, 7, 8, 12, 13, 14) or (err == 21 and fault is not None):
            kind = {6: U.MEM_READ, 7: U.MEM_WRITE, 8: U.MEM_FETCH, 12: U.MEM_WRITE, 13: U.MEM_READ,
                    14: U.MEM_FETCH}.get(err)
            if fault is None:
                fault = (None, kind)
            return Stop(signal=SIGSEGV, fault=fault, report=True, reason="segmentation fault")
        if err in (16, 17, 18):
            return Stop(signal=SIGBUS, fault=fault, report=True, reason="misaligned access")
        if err in (10, 21):  # invalid instruction / CPU exception: look at the instruction
            sig, what = crash.classify_insn(self)
            return Stop(signal=sig, report=True, reason=what)
        return Stop(signal=SIGILL, report=True, reason=f"CPU exception ({U.strerror(err)})")

    def _on_timeout(self):
        if self.stop is None:
            self.stop = Stop(signal=SIGKILL, limit="timeout", report=True,
                             reason=f"time limit reached: still running after {self.timeout:g} s")
        self.stop_event.set()
        self.wake.set()
        self.stop_engine()

    def stop_engine(self, taken=None, thread: bool = False) -> None:
        """From a host thread: stop the engine (``uc_emu_stop``), and again every 10 ms until
        ``taken()`` says the run loop has taken what the stop was for, or the run is over.
        One stop is not enough: Unicorn forgets a stop asked for while no run is going on, so
        a stop that lands between the run loop's last look and the start of its next run is
        lost, and that run, unstoppable otherwise, never ends (a time limit that did not end
        a spinning program). ``thread``: ask from a new thread (the caller holds a lock the
        run loop may need); ``close`` joins those before the engine goes away."""
        if thread:
            # on the scheduler's thread (sched.py), one step every 10 ms: asked for under the
            # lock close takes before it closes the scheduler, so that no step runs after the
            # engine has gone away
            with self.stoppers_lock:
                if self.run_over.is_set():
                    return                   # nothing left to stop
                sched = self.expiries

                def step():
                    if self.run_over.is_set():
                        return
                    self.eng.emu_stop()
                    sched.after(0.01, check)

                def check():
                    if not self.run_over.is_set() and not (taken is not None and taken()):
                        step()
                sched.after(0.0, step)
            return
        while not self.run_over.is_set():
            self.eng.emu_stop()
            if self.run_over.wait(0.01) or (taken is not None and taken()):
                return

    def _on_invalid_mem(self, _uc, access, address, size, value, _user):
        kind = {19: U.MEM_READ, 20: U.MEM_WRITE, 21: U.MEM_FETCH, 22: U.MEM_WRITE, 23: U.MEM_READ,
                24: U.MEM_FETCH}.get(access, access)
        self.mem.fault = (address, kind)
        return False

    def terminate(self, status=None, signal=None, reason="", note="", report=None):
        if self.stop is None:
            self.stop = Stop(status=status, signal=signal, reason=reason, note=note,
                             report=signal is not None if report is None else report)
        self.eng.emu_stop()

    def _on_intr(self, _uc, intno, _user):
        rl = self.run_lock
        if rl is not None:
            rl.release()      # a system call is served without the run lock (it may block)
        try:
            try:
                if intno not in self.arch.syscall_intnos:
                    self._cpu_exception(intno)
                    return
                vals = self._read_sys()
                nr = vals[0]
                self.nsyscalls += 1
                h = self._handlers.get(nr)
                if h is None:
                    ret = self._unknown(nr, vals)
                    if ret is None:
                        return
                else:
                    try:
                        ret = h(*vals[1:])
                    except GuestOSError as e:
                        ret = -e.errno
                    except NotServed as e:
                        ret = self._unknown(nr, vals, e.note)
                        if ret is None:
                            return
                    except F.OutputLimit:
                        self.terminate(signal=SIGXFSZ, reason=f"output limit reached: more than "
                                       f"{self.output.limit} bytes written to stdout/stderr", report=True)
                        self.stop.limit = "output"
                        ret = None
                    except Exception as e:     # the one catch-all: an errno, or the end with a report
                        ret = self._handler_failed(nr, e)
                if ret is BLOCKED:   # the thread waits (or has exited): run another (threads.py)
                    self.history.append((nr, vals[1:], "blocked"))
                    if self.strace:
                        self._trace(nr, vals[1:], "<unfinished ...>" if self.cur.alive else None)
                    if self.stop is None:
                        self.after_call(True)
                else:
                    self.history.append((nr, vals[1:], ret))
                    if self.strace:
                        self._trace(nr, vals[1:], ret)
                    if ret is not None:
                        self._write_ret(ret)
                    if self.yielding:
                        self.yielding = False
                        self.after_call(False)
                if self.async_signals:
                    # a timer fired while we served the call: its emu_stop from the timer thread
                    # may not take; stopping from here does, before the next instruction
                    self.eng.emu_stop()
            except BaseException as e:  # never let an exception unwind into C
                self.error = e
                self.error_tb = traceback.format_exc()
                self.eng.emu_stop()
        finally:
            if rl is not None:
                self.retake_run_lock()

    def _handler_failed(self, nr: int, e: Exception):
        """What the guest sees of a Python exception inside a handler: what Linux gives for
        the same failure (an OSError's errno; EINVAL for a value the host cannot represent;
        ENOMEM), and for anything else, a bug in xld, the end of the program with SIGSYS and
        a crash report naming the call (the traceback with XLD_DEBUG=1) — never a traceback
        on the guest's terminal, never a hang."""
        import errno as E
        if isinstance(e, OSError):
            return -(e.errno or E.EIO)
        if isinstance(e, (OverflowError, ValueError, struct.error)):
            return -E.EINVAL
        if isinstance(e, MemoryError):
            return -E.ENOMEM
        name = name_of(nr, self.arch.name)
        note = "this is a bug in xld run; please report it with this report"
        if os.environ.get("XLD_DEBUG"):
            note += "\n" + traceback.format_exc()
        self.terminate(signal=SIGSYS, report=True,
                       reason=f"internal error while serving system call {nr} ({name}): {e!r}",
                       note=note)
        return None

    def _unknown(self, nr, vals, why=""):
        name = name_of(nr, self.arch.name)
        if self.unknown_syscall == "enosys":
            return -38
        pc = self.eng.reg_read(self.arch.pc) - 4
        self.eng.reg_write(self.arch.pc, pc)  # report the svc/ecall itself
        known = not name.startswith("syscall_")
        note = "run with --unknown-syscall=enosys to make it fail with ENOSYS instead"
        if why:
            note = f"{why}; {note}"
        self.terminate(signal=SIGSYS, report=True,
                       reason=f"unsupported {'form of system call' if why else 'system call'} {nr} "
                              f"({name if known else 'unknown'}) at pc {pc:#x}",
                       note=note)
        self.history.append((nr, vals[1:], "stopped"))
        if self.strace:
            self._trace(nr, vals[1:], "unsupported: stopped")
        return None

    def _cpu_exception(self, intno):
        if self.arch.name == "riscv64":
            # Unicorn's riscv64 has already stepped the PC past the instruction, as for ecall
            self.eng.reg_write(self.arch.pc, self.eng.reg_read(self.arch.pc) - 4)
        sig, reason = crash.classify_exception(self.arch, intno)
        if self.can_catch_fault(sig):
            fault = self.mem.fault if sig == SIGSEGV else None
            self.pending = (sig, *crash.fault_code(self, Stop(signal=sig, fault=fault)))
            self.eng.emu_stop()
            return
        self.terminate(signal=sig, reason=reason, report=True)
        if sig == SIGSEGV and self.mem.fault:
            self.stop.fault = self.mem.fault

    def _trace(self, nr, args, ret):
        from . import strace
        self.trace_line(strace.format_call(self, nr, args, ret))

    def trace_line(self, line: str) -> None:
        line += "\n"
        if callable(self.strace):
            self.strace(line)
        else:
            os.write(2, line.encode())

    def _result(self) -> Result:
        st = self.stop
        res = Result(status=st.status, signal=st.signal, limit=st.limit, reason=st.reason,
                     syscalls=self.nsyscalls, arch=self.arch.name)
        if isinstance(self.out_sink, F.CaptureSink):
            res.stdout = bytes(self.out_sink.buf)
        if isinstance(self.err_sink, F.CaptureSink):
            res.stderr = bytes(self.err_sink.buf)
        if st.report:
            res.crash = crash.report(self, st)
        return res

    def close(self):
        with self.stoppers_lock:         # (no new stop from here on: stop_engine)
            self.run_over.set()
        self.expiries.close()               # its callbacks stop the engine: over before it goes away
        if self.engine_worker is not None:  # (idle: the run loop has returned)
            self.engine_worker.close()
        self._ticker = None              # the ticker thread ends (threads.py)
        self.restore_host_signals()
        self.stop_timers()
        self.stop_posix_timers()
        self.fds.close_all()
        self.sandbox.cleanup()
        self.eng.close()
        self.mem.close()


def _host_umask() -> int:
    """This process's umask (a run under ``umask 0`` starts with 0, as under qemu-user: BusyBox's
    `uuencode` writes ``0666 & ~umask``), read from /proc/self/status so that no other thread of
    the caller sees a changed umask meanwhile; os.umask's set-and-restore where that is missing."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8) & 0o777
    except (OSError, ValueError, IndexError):
        pass
    m = os.umask(0o022)
    os.umask(m)
    return m


def _host_nice() -> int:
    """This process's niceness (a run under ``nice -n 5`` starts at 5, as under qemu-user)."""
    try:
        return os.getpriority(os.PRIO_PROCESS, 0)
    except (OSError, AttributeError):
        return 0


def _host_sched() -> tuple[int, int, bool]:
    """This process's scheduling policy, priority and SCHED_RESET_ON_FORK, the program's first
    (as qemu-user's: the host's)."""
    try:
        policy, prio = os.sched_getscheduler(0), os.sched_getparam(0).sched_priority
    except (OSError, AttributeError):
        return 0, 0, False
    return policy & ~0x40000000, prio, bool(policy & 0x40000000)


class EngineWorker:
    """The one host thread that runs the engine for an interruptible run (_start_interruptible),
    one run of the engine per ``submit``; it ends at ``close`` (the end of the run)."""

    class Job:
        __slots__ = ("pc", "result", "done")

        def __init__(self, pc):
            self.pc, self.result, self.done = pc, 0, threading.Event()

    def __init__(self, proc):
        self.proc = proc
        self.cond = threading.Condition(threading.Lock())
        self.job = None
        self.closed = False
        self.thread = threading.Thread(target=self._serve, daemon=True, name="xld-run-engine")
        self.thread.start()

    def submit(self, pc) -> "EngineWorker.Job":
        job = EngineWorker.Job(pc)
        with self.cond:
            self.job = job
            self.cond.notify()
        return job

    def _serve(self) -> None:
        p = self.proc
        while True:
            with self.cond:
                while self.job is None and not self.closed:
                    self.cond.wait()
                job, self.job = self.job, None
            if job is None:
                return
            try:
                if p.stop is None:
                    job.result = p.start_engine(job.pc)
            except BaseException:           # (said, as a thread's own would; the run goes on,
                # and so does this thread: one that ended here would leave the next submit's
                # wait for ever)
                threading.excepthook(threading.ExceptHookArgs(
                    (*sys.exc_info(), threading.current_thread())))
            finally:
                if p.forked_child:
                    # forked during this run (process.py): this thread is all the new host
                    # process has; it carries on the run loop and ends the process
                    p.interruptible = False
                    try:
                        p._run_loop(p.eng.reg_read(p.arch.pc), job.result)
                    except BaseException:
                        p.error = p.error or RuntimeError("the run loop failed")
                    p.child_exit()
                job.done.set()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify()
        if self.thread is not threading.current_thread():
            self.thread.join()


def _block_sigint():
    import signal
    if hasattr(signal, "pthread_sigmask"):
        return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    return None


def _restore_sigmask(mask):
    import signal
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


class InternalError(Exception):
    def __init__(self, err, tb):
        super().__init__(f"internal error while serving a system call: {err!r}")
        self.tb = tb


def _stdin_file(stdin) -> F.OpenFile:
    if stdin is None:
        return F.StdinBytes(b"")
    if isinstance(stdin, (bytes, bytearray, memoryview)):
        return F.StdinBytes(bytes(stdin))
    if isinstance(stdin, str):
        return F.StdinBytes(stdin.encode())
    if isinstance(stdin, int):
        return F.HostStream(stdin, None, True, False)
    if hasattr(stdin, "fileno"):
        return F.HostStream(stdin.fileno(), None, True, False)
    raise RunError(f"stdin: expected bytes, a file descriptor or a file, not {type(stdin).__name__}")


def _out_file(target, acct) -> F.OpenFile:
    if target is None:
        return F.CaptureSink(acct)
    if isinstance(target, int):
        return F.HostStream(target, acct, False, True)
    if hasattr(target, "fileno"):
        return F.HostStream(target.fileno(), acct, False, True)
    raise RunError(f"output: expected None (capture), a file descriptor or a file, not {type(target).__name__}")


def _check(elf: Elf) -> Arch:
    arch = BY_MACHINE.get(elf.machine)
    if arch is None:
        raise RunError(f"{elf.path}: unsupported machine {elf.machine} (xld run runs arm64 and riscv64 programs)")
    if elf.type not in (ET_EXEC, ET_DYN):
        raise RunError(f"{elf.path}: not an executable (ELF type {elf.type})")
    if not any(s.type == PT_LOAD and s.memsz for s in elf.segments):
        raise RunError(f"{elf.path}: no loadable segments")
    return arch


def default_sysroot(arch: Arch) -> str | None:
    """/usr/<triple> (where Debian's cross C libraries live), when it exists."""
    d = f"/usr/{arch.triple}"
    return d if os.path.isdir(d) else None


def _sysroot(sysroot, arch: Arch, elf: Elf) -> str | None:
    """The sysroot of this run: the one given, none for "" or False, and by default
    /usr/<triple> for dynamic programs (a static one gets none unless asked)."""
    if sysroot is None:
        return default_sysroot(arch) if elf.interp is not None else None
    if sysroot is False or sysroot == "":
        return None
    sysroot = os.fspath(sysroot)
    if not os.path.isdir(sysroot):
        raise RunError(f"--sysroot {sysroot}: not a directory")
    return os.path.realpath(sysroot)


def _load_interp(elf: Elf, arch: Arch, sb: F.Sandbox, max_size: int) -> Elf:
    """Find and read the program interpreter (PT_INTERP) as qemu-user -L does: in the
    sysroot first, then in the guest's own view (the host's files, or the root)."""
    interp = elf.interp
    fd = None
    try:
        with sb.lookup(interp, read=True) as loc:
            if loc.exists():
                fd = loc.open(os.O_RDONLY | os.O_NONBLOCK)
                where = loc.display
    except GuestOSError:
        fd = None
    if fd is None:
        view = f"under the root {sb.root}" if sb.root is not None else "on the host"
        if sb.sysroot:
            where = f"in the sysroot {sb.sysroot} nor {view}"
        else:
            where = f"{view}, and there is no sysroot (/usr/{arch.triple} does not exist)"
        raise RunError(f"{elf.path}: dynamically linked, but its program interpreter {interp} "
                       f"was not found {where}; pass --sysroot DIR (qemu's -L: the target's C "
                       f"library, e.g. /usr/{arch.triple}) or link with -static")
    what = f"program interpreter {interp} ({where})"
    try:
        ld = read_elf(where, max_size=max_size, what=what, fd=fd)
    except ElfError as e:
        raise RunError(f"{elf.path}: {e}") from None
    if ld.machine != elf.machine:
        raise RunError(f"{elf.path}: {what} is for machine {ld.machine}, not {elf.machine}")
    if ld.type not in (ET_EXEC, ET_DYN) or ld.interp is not None:
        raise RunError(f"{elf.path}: {what} is not a program interpreter (ELF type {ld.type}"
                       f"{', has its own PT_INTERP' if ld.interp is not None else ''})")
    if not any(s.type == PT_LOAD and s.memsz for s in ld.segments):
        raise RunError(f"{elf.path}: {what} has no loadable segments")
    return ld


DEFAULT_SANDBOX_TIMEOUT = 600.0        # s: under --root only (see docs/run.md, "Limits")
DEFAULT_SANDBOX_DISK = 1 << 30         # bytes: the disk-write quota under --root


def run(path, argv=None, env=None, stdin=b"", *, root=None, cwd=None, timeout=None, max_insns=None,
        max_memory=DEFAULT_MAX_MEMORY, max_output=DEFAULT_MAX_OUTPUT, stdout=None, stderr=None,
        strace=False, unknown_syscall="stop", argv0=None, tlb=True, interruptible=False,
        sysroot=None, private_tmp=None, read_only=False, max_disk=None, allow_host_exec=False,
        gdb=None, gdb_announce=None, pass_fds=()) -> Result:
    """Run an arm64/riscv64 Linux executable (static, static-pie or dynamic); return its Result.

    argv: the arguments after the program name (argv[0] is ``argv0``; by default ``path`` as
    given, or under ``root`` the program's path inside the root).
    env: a dict or a list of "VAR=VALUE" strings (default: empty environment).
    stdin: bytes fed to standard input, or a host file descriptor / file object.
    stdout, stderr: None to capture into Result.stdout/.stderr, or a host fd / file to pass through.
    pass_fds: host descriptors past 0-2 the program gets at the same numbers (the CLI's: those
    its caller left open, as qemu-user passes them); the run takes them over (closes them).
    root: None (default): the guest sees the host's files under their own paths, as under
    qemu-user; a directory: the sandbox, that directory is the guest's "/".
    cwd: the guest's working directory (a guest path). Default: the host's working directory;
    under ``root``, its place inside the root, or "/" when it lies outside.
    sysroot: host directory of the target's libraries (qemu's -L): the program interpreter,
    and every read-only lookup of an absolute path, is tried there first. Default: /usr/<triple>
    (e.g. /usr/aarch64-linux-gnu) for dynamic programs when it exists; "" or False: none.
    private_tmp: the guest's /tmp is a directory of its own, removed after the run (default:
    under ``root`` only). read_only: the guest may change no file outside a private /tmp.
    max_disk: bytes the guest's writes may grow files by (default: 1 GiB under ``root``,
    none otherwise; 0: none).
    timeout: wall-clock seconds (default: none; under ``root`` 600 s; 0: none); max_insns:
    instruction budget (Unicorn cannot report how many instructions ran, so the budget starts
    afresh after each signal delivered to a handler).
    interruptible: emulate on a worker thread so Ctrl-C in the caller stops the guest (the CLI).
    allow_host_exec: with ``root`` given, let execve run host programs (such as /bin/sh, what
    system() and popen() run) natively; without ``root`` they always may, as under qemu-user.
    gdb: a TCP port (qemu's -g): listen on 127.0.0.1 and stop before the first instruction
    until a debugger connects (0: any free port, passed to ``gdb_announce(port)``).
    """
    path = os.fspath(path)
    sysroot_opt = sysroot
    try:
        elf = read_elf(path, max_size=max_memory)
    except ElfError as e:
        raise RunError(str(e)) from None
    arch = _check(elf)
    if root is not None:
        root = os.path.realpath(os.fspath(root))
        if not os.path.isdir(root):
            raise RunError(f"--root {root}: not a directory")
        if timeout is None:
            timeout = DEFAULT_SANDBOX_TIMEOUT
        if max_disk is None:
            max_disk = DEFAULT_SANDBOX_DISK
    if timeout is not None and timeout < 0 or max_disk is not None and max_disk < 0:
        raise RunError("timeout and max_disk must not be negative")
    sysroot = _sysroot(sysroot, arch, elf)
    exe_host = os.path.realpath(path)
    try:
        sb = F.Sandbox(root, "", exe_host, sysroot=sysroot, private_tmp=private_tmp,
                       read_only=read_only, max_disk=max_disk or None)
    except GuestOSError as e:
        raise RunError(f"cannot open {root}: {os.strerror(e.errno)}") from None
    try:
        if root is None:
            exe_guest = exe_host
        else:
            exe_guest = sb.guest_of_host(path) or "/" + os.path.basename(path)
        sb.exe_guest = exe_guest
        if cwd is None:
            cwd = sb.guest_of_host(os.getcwd()) or "/"
        try:
            sb.set_cwd(os.fspath(cwd))
        except GuestOSError as e:
            hint = ""
            if root is None and sb.private_tmp and F.normalize(os.fspath(cwd)).startswith("/tmp/"):
                hint = " (--private-tmp hides the host's /tmp, which holds it; pass --chdir)"
            raise RunError(f"working directory {cwd}: {os.strerror(e.errno)}{hint}") from None
        interp = _load_interp(elf, arch, sb, max_memory) if elf.interp is not None else None
        if env is None:
            env_list = []
        elif isinstance(env, dict):
            env_list = [f"{k}={v}" for k, v in env.items()]
        else:
            env_list = list(env)
        if argv0 is None:
            argv0 = path if root is None else exe_guest
        full_argv = [argv0, *(argv or [])]
        if max_insns is not None and max_insns <= 0:
            raise RunError("max_insns must be positive")
        p = Process(elf, arch, argv=full_argv, env=env_list, stdin=stdin, stdout=stdout, stderr=stderr,
                    sandbox=sb, timeout=timeout or None, max_insns=max_insns, max_memory=max_memory,
                    max_output=max_output, strace=strace, unknown_syscall=unknown_syscall,
                    tlb=tlb, interruptible=interruptible, interp=interp,
                    allow_host_exec=root is None or allow_host_exec, sysroot_opt=sysroot_opt,
                    pass_fds=pass_fds)
    except BaseException:
        sb.cleanup()
        raise
    try:
        if gdb is not None:
            from .gdbstub import GdbServer
            try:
                p.gdb = GdbServer(p, int(gdb), announce=gdb_announce)
            except OSError as e:
                raise RunError(str(e)) from None
        return p.run()
    finally:
        p.close()
