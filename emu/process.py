"""Processes: fork, vfork and posix_spawn's clone, wait4/waitid, kill, process groups, SIGCHLD,
and execve (of a guest executable, or of a host program such as /bin/sh).

A new guest process is a host ``os.fork()`` of the whole emulator, taken inside the system-call
hook: the child continues the guest after the ``clone`` with result 0, with only the calling
thread (as Linux does); the parent gets the child's pid.

Process ids. The first process keeps its fixed guest pid (4242, reproducible runs); every
process forked after it has its host pid as guest pid. Translating swaps two numbers, the
same rule both ways: guest 4242 is the first process's host pid, and the host process whose
pid is 4242 (a child may get it: the host's pids wrap) is, to the guest, the first process's
host pid; any other pid is itself. So wait4, kill, getppid and process groups work on the
host's real processes, and a guest pid always names one process. (Without the second half, a
child given host pid 4242 had its parent's pid: its parent's wait4 for it was ECHILD at
once, and a program that waits in a loop until its child is reaped waited for ever.)

What is shared with the child must be a real host object: before the first fork, standard
output and error captured by the in-process API become a host pipe that a collector thread
of the first process drains (so the children's output lands in the same Result, in order),
and standard input given as bytes becomes a pipe (or a memfd) holding what is left. Pipes
are host pipes from the start (hostio.py).

Waiting: every child has a pidfd; a blocking wait4 waits on those (hostio.wait_host), and a
watcher thread posts SIGCHLD when one becomes readable. Signals other processes send to a
guest process reach it as a host signal: its default action is the host's (the process dies of
it, as the guest would), a guest handler is served by a host handler that posts the signal
to the run loop (only where the emulator runs on the host's main thread: forked children,
and the first process under the in-process API).

Who sent it: a Python handler learns only the signal's number, so the processes of a run tell
each other. Every process of the run has a mailbox, a datagram socket in the abstract
namespace named by the run and its host pid; kill and sigqueue to another process of the run
post (signal, si_code, sender's pid and uid, sigqueue's value) there before the host signal,
and the receiver pairs the first record of a signal with its next delivery (siginfo's si_pid,
si_uid, SI_QUEUE and si_value, as the kernel fills them). A signal from outside the run has no
record: its si_pid stays 0.

execve of an arm64/riscv64 ELF replaces the engine and memory in the same host process (the
run loop loads the new image between two runs of the engine). Anything else — a host ELF, a
script — is the host's to run, as with qemu-user and binfmt_misc: the host descriptors are
laid out as the guest's table says and the host process becomes that program (``os.execve``);
under ``--root`` only with ``allow_host_exec``. The first process never replaces itself (it
may be the caller's Python process): it forks, the child execs, and the run ends with the
child's status.
"""

from __future__ import annotations

import errno
import os
import select
import signal as hostsig
import socket
import stat
import struct
import threading
import time
import traceback
from typing import TYPE_CHECKING

from . import crash
from . import fs as F
from .arch import BY_MACHINE
from .elf import ElfError, read_elf
from .fs import GuestOSError
from .hostio import HostFd
from .sched import Scheduler
from .threads import (CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_DETACHED,
                      CLONE_PARENT_SETTID, CLONE_SETTLS, CLONE_THREAD, CLONE_VFORK, CLONE_VM,
                      NotServed, host_thread_times)
from .signals import Pending, ToLeader
from .syscalls import pack_rusage, s32

if TYPE_CHECKING:
    from .runlock import RunLock

# clone flags a new process may ask for (glibc's and musl's fork, vfork and posix_spawn)
PROCESS_FLAGS = (CLONE_VM | CLONE_VFORK | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID
                 | CLONE_CHILD_CLEARTID | CLONE_DETACHED | 0xFF)
WNOHANG, WUNTRACED, WCONTINUED, WEXITED, WNOWAIT = 1, 2, 8, 4, 0x1000000
W_NOTHREAD, W_ALL, W_CLONE = 0x20000000, 0x40000000, 0x80000000
SIGCHLD = 17
# signals a host process may get from others, whose guest disposition the host copies
FORWARDED = (1, 2, 3, 10, 12, 15, 18, 20, 21, 22, 23, 26, 27, 28, 29, 30)
# the forwarded signals whose default action ends a process, but SIGINT (the caller's Ctrl-C):
# in an in-process run (the Python API) the first process is the caller's own, and the host's
# default action would end the caller (pytest) where the guest alone is to end
_ENDS_CALLER = (1, 3, 10, 12, 15, 26, 27, 29, 30)
# the signals whose host default action does nothing to the caller (ignored, or SIGCONT)
_HARMLESS_TO_CALLER = (0, 17, 18, 23, 28)
_FORWARDED_BITS = sum(1 << (s - 1) for s in FORWARDED)
P_PIDFD, PIDFD_NONBLOCK = 3, 0o4000
PR_SET_PDEATHSIG, PR_GET_PDEATHSIG = 1, 2
PARENT_THREAD_GONE = -0x7FFF    # a mailbox record's si_code: the thread that forked you ended


class PidFd(HostFd):
    """A pidfd: the host's, of a process of the run (readable when it ends), and its guest pid
    (pidfd_send_signal, waitid P_PIDFD)."""

    def __init__(self, fd: int, pid: int):
        super().__init__(fd, True, False, "pidfd")
        self.pid = pid


def wait_readable(fd: int, seconds: float) -> None:
    """Wait until ``fd`` is readable or ``seconds`` pass (poll: select() cannot take a
    descriptor past 1023, and a process embedding the emulator may have more open)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    poller.poll(int(seconds * 1000))





def _cld_of_status(status: int) -> tuple[int, int]:
    """A wait status as SIGCHLD's (si_code, si_status): CLD_EXITED, CLD_KILLED or CLD_DUMPED."""
    if os.WIFEXITED(status):
        return 1, os.WEXITSTATUS(status)
    return (3 if os.WCOREDUMP(status) else 2), os.WTERMSIG(status)

class ExecRequest:
    """A validated execve of a guest executable, carried out by the run loop."""

    def __init__(self, elf, arch, interp, sysroot, argv, env, host_path, guest_path):
        self.elf, self.arch, self.interp, self.sysroot = elf, arch, interp, sysroot
        self.argv, self.env, self.host_path, self.guest_path = argv, env, host_path, guest_path


class Processes:
    """Mixin for the Process: process creation, waiting, signals between processes, exec."""

    def init_processes(self, *, allow_host_exec: bool, sysroot_opt) -> None:
        self.host_pid = os.getpid()
        self.first_host_pid = self.host_pid      # the host pid of guest pid PID (the first)
        self.first_pid = self.pid
        self.parent_host_pid = None              # None: the first process (getppid says 1)
        self.children: dict[int, int] = {}       # host pid -> pidfd
        self.forked_by: dict[int, int] = {}      # host pid -> the tid of the thread that forked it
        self.sigchld_seen: set[int] = set()     # children whose end the parent was told of
        self.sigchld_lock = threading.Lock()     # sigchld_seen with children: _reaped, the watcher
        self.child_events: list[tuple] = []      # (guest pid, CLD_* code, status) for SIGCHLD's siginfo
        self.forked_child = False
        self.run_lock: RunLock | None = None     # made at the first fork (runlock.py)
        # (read, write) pipe made at the first fork or System V call, inherited by every
        # process of the run:
        # its reader sees the end once they have all ended (sysvipc.py's janitor)
        self.run_life: tuple[int, int] | None = None
        self.allow_host_exec = allow_host_exec   # the host's view, or --root with --allow-host-exec
        self.sysroot_opt = sysroot_opt
        self.exec_request: ExecRequest | None = None
        self.vfork_fd: int | None = None          # a forked vfork child: closed at exec/exit
        self.collectors: list[threading.Thread] = []
        self.host_handlers: dict[int, object] = {}  # first process: host handlers to restore
        # the first process runs in the caller's own process (the Python API, not the CLI, whose
        # process may die of a signal as the guest's): a child's signal with a default action
        # that ends a process is served, and ends the guest only (_ENDS_CALLER)
        self.in_caller = not self.interruptible
        self.wakeup = None                         # (read fd, write fd, old wakeup fd, its end) of the forwarding
        self.watcher: threading.Thread | None = None
        self.host_signals_due = False              # the run loop sets dispositions (main thread)
        self.forward_blocked = 0                   # FORWARDED signals the guest blocked (with
                                                   # no handler): served, so they stay pending
        self.run_deadline = (time.monotonic() + self.timeout) if self.timeout else None
        self.first_host_pgid = os.getpgid(0)
        self.first_host_sid = os.getsid(0)
        self.run_token = os.urandom(6).hex()       # names the run's mailboxes (inherited)
        self.mailbox: socket.socket | None = None  # this process's: who sent a signal
        self.peer_records: list[tuple] = []        # (sig, code, pid, uid, value) not yet paired
        self.peer_info: dict[int, tuple] = {}      # sig -> (code, pid, uid, value) of its delivery
        self.peer_lock = threading.Lock()          # the records: the pump's and the run loop's
        self.lifeline: tuple[int, int | None] | None = None   # (read, write): see _watch_lifeline
        self.lifeline_first_w: int | None = None   # its write end's number in the first process
        self.pdeathsig = 0                         # prctl(PR_SET_PDEATHSIG): 0 none
        self.pdeath_watching = False               # this host process watches its parent's end

    # --- pids ---------------------------------------------------------------------------
    def host_of(self, pid: int) -> int:
        if pid == self.first_pid:
            return self.first_host_pid
        return self.first_pid if pid == self.first_host_pid else pid

    def guest_of(self, host: int) -> int:
        # (the same swap: a host pid of 4242, a child's, is the first process's host pid)
        return self.host_of(host)

    def of_this_run(self, pid: int) -> bool:
        """Whether ``pid`` (> 0, not the caller's) is another process of this run: a child,
        the parent, the first process (they run xld too, with the emulator's credentials)."""
        host = self.host_of(pid)
        return host in self.children or host in (self.parent_host_pid, self.first_host_pid)

    def pid_exists(self, pid: int) -> bool:
        """Whether a process has guest pid ``pid`` (> 0): a guest's pid is its host one's but
        for the first process's, so a host process the run does not know has its own."""
        try:
            os.kill(self.host_of(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def guest_of_group(self, host: int) -> int:
        """A host process group or session id as the guest sees it: the first process's
        (inherited from the caller) is the first process's pid."""
        if host in (self.first_host_pgid, self.first_host_sid):
            return self.first_pid
        return self.guest_of(host)

    def sys_getppid(self, *_):
        if self.parent_host_pid is None:
            return 1
        host = os.getppid()
        if host == self.first_host_pid and self.first_guest_ended():
            # its guest is over, its host process not yet (it may drain the run's output for
            # the warm server, or be the caller's): the child is an orphan, as on Linux, where
            # init (1) takes it (getppid went on naming the dead parent)
            return 1
        return self.guest_of(host)

    def first_guest_ended(self) -> bool:
        """In a forked process: has the run's first process's guest ended by itself (its
        lifeline holds the byte end_lifeline writes)?"""
        if self.lifeline is None:
            return False
        ev = select.poll()
        ev.register(self.lifeline[0], select.POLLIN)
        return any(e & select.POLLIN for _fd, e in ev.poll(0))

    def own_pgid(self) -> int:
        if not self.forked_child:
            return getattr(self, "virtual_pgid", self.first_pid)
        return self.guest_of_group(os.getpgid(0))

    def sys_getpgid(self, pid, *_):
        pid = s32(pid)
        if pid > 0 and self.names_own_thread(pid):
            pid = 0                         # (a thread's is its process's)
        if pid in (0, self.pid):
            return self.own_pgid()
        try:
            return self.guest_of_group(os.getpgid(self.host_of(pid)))
        except OSError as e:
            return -(e.errno or errno.ESRCH)

    def sys_getsid(self, pid, *_):
        pid = s32(pid)
        if pid > 0 and self.names_own_thread(pid):
            pid = 0
        if pid in (0, self.pid) and not self.forked_child:
            return self.first_pid
        try:
            return self.guest_of_group(os.getsid(self.host_of(pid) if pid else 0))
        except OSError as e:
            return -(e.errno or errno.ESRCH)

    def sys_setpgid(self, pid, pgid, *_):
        pid, pgid = s32(pid), s32(pgid)
        if pgid < 0:
            return -errno.EINVAL
        if not self.forked_child and pid in (0, self.pid):
            # the first process's group is the caller's: keep a virtual one
            self.virtual_pgid = self.pid if pgid in (0, self.pid) else pgid
            return 0
        try:
            os.setpgid(self.host_of(pid) if pid else 0, self.host_of(pgid) if pgid else 0)
        except OSError as e:
            return -(e.errno or errno.EPERM)
        return 0

    def sys_setsid(self, *_):
        if not self.forked_child:
            if getattr(self, "own_session", False):
                return -errno.EPERM
            self.own_session = True          # the first process's session stays virtual
            self.virtual_pgid = self.pid
            return self.pid
        try:
            os.setsid()
        except OSError as e:
            return -(e.errno or errno.EPERM)
        return self.pid

    # --- host-backed descriptors before a fork or a host exec ---------------------------
    def host_backed(self) -> None:
        """Make every descriptor that is only an object in this process a host descriptor:
        captured output (a pipe drained by a collector thread of the first process), standard
        input given as bytes (a pipe or memfd with what is left)."""
        table = self.fds
        done: dict[int, F.OpenFile] = {}
        for fd, f in list(table.fds.items()):
            nf = done.get(id(f))
            if nf is None:
                nf = self._as_host(f)
                done[id(f)] = nf
            if nf is not f:
                table.fds[fd] = nf
        for old_id, nf in done.items():
            if old_id != id(nf) and old_id in table.refs:
                table.refs[id(nf)] = table.refs.pop(old_id)

    def _as_host(self, f: F.OpenFile) -> F.OpenFile:
        if isinstance(f, F.CaptureSink):
            r, w = os.pipe2(os.O_CLOEXEC)
            t = threading.Thread(target=_collect, args=(r, f.buf), daemon=True,
                                 name="xld-run-collect")
            t.start()
            self.collectors.append(t)
            out = HostFd(w, False, True, "pipe")
            out.acct = f.acct
            return out
        if isinstance(f, F.StdinBytes):
            rest = f.data[f.pos:]
            f.pos = len(f.data)
            if len(rest) <= 65536:
                r, w = os.pipe2(os.O_CLOEXEC)
                os.write(w, rest)
                os.close(w)
                return HostFd(r, True, False, "pipe")
            m = os.memfd_create("xld-run-stdin", os.MFD_CLOEXEC)
            os.write(m, rest)
            os.lseek(m, 0, 0)
            return HostFd(m, True, False, "file")
        return f

    # --- clone without CLONE_THREAD: a new process ---------------------------------------
    def sys_clone(self, flags, newsp, ptid, tls, ctid, *rest):
        if flags & CLONE_THREAD:
            return super().sys_clone(flags, newsp, ptid, tls, ctid, *rest)
        if flags & ~PROCESS_FLAGS or (flags & CLONE_VM and not flags & CLONE_VFORK):
            raise NotServed("a new process (clone without CLONE_THREAD) may share its memory only "
                            "as vfork does (CLONE_VM|CLONE_VFORK); CLONE_FILES, CLONE_FS, "
                            "CLONE_SIGHAND, namespaces and pidfds are not served")
        pid = self.fork_process(flags, newsp, ptid, tls, ctid)
        return self.guest_of(pid) if pid > 0 else pid

    def fork_process(self, flags, newsp=0, ptid=0, tls=0, ctid=0):
        """A new host process: 0 in it, in this one the child's host pid (or -errno)."""
        self.host_backed()
        vfork_r = vfork_w = None
        if flags & CLONE_VFORK:
            vfork_r, vfork_w = os.pipe2(os.O_CLOEXEC)
        self.open_mailbox()
        if not self.forked_child:
            self.forward_host_signals()
        if self.sandbox.private_tmp:
            self.sandbox.tmp_dir()          # made before the fork: parent and child share it
        if self.lifeline is None:
            self.lifeline = os.pipe2(os.O_CLOEXEC)   # the first process's (inherited: read end)
        if self.run_lock is None:
            from .runlock import RunLock    # (here: a run that never forks does not load it)
            self.run_lock = RunLock()       # inherited: every later process of the run shares it
        self.own_sched()                    # (another process may have set it)
        self.sched_publish()                # (the child's policy comes from this one)
        self.run_janitor()                  # (sysvipc.py: what the run keeps outside its processes)
        self.mem.mark_forked()              # its shared memory is now another process's too
        if self.mem.shares_forked:
            # the engine's run goes on after this call, and it was not sliced: restart it in
            # time slices (both processes), so that the run lock is let go (runlock.py)
            self.preempt_req = True
            self.eng.emu_stop()
        parent_host = os.getpid()
        parent_pid = self.pid
        # signals from others wait until the child has the guest's dispositions: before that it
        # has the caller's handlers (the CLI's SIGTERM guard would unwind the child's run loop)
        mask = hostsig.pthread_sigmask(hostsig.SIG_BLOCK, FORWARDED)
        try:
            pid = os.fork()
        except OSError as e:
            hostsig.pthread_sigmask(hostsig.SIG_SETMASK, mask)
            for fd in (vfork_r, vfork_w):
                if fd is not None:
                    os.close(fd)
            return -(e.errno or errno.EAGAIN)
        if pid == 0:
            try:
                self._become_child(parent_host, parent_pid, flags, newsp, tls, ctid, vfork_r, vfork_w)
            finally:
                hostsig.pthread_sigmask(hostsig.SIG_SETMASK, mask)
            return 0
        hostsig.pthread_sigmask(hostsig.SIG_SETMASK, mask)
        self.sched_publish(child=pid)
        try:
            self.children[pid] = os.pidfd_open(pid)
        except OSError:
            self.children[pid] = -1
        self.forked_by[pid] = self.cur_tid
        if flags & CLONE_PARENT_SETTID:
            try:
                self.wr(ptid, struct.pack("<i", self.guest_of(pid)))
            except GuestOSError:
                pass
        self._start_watcher()
        if vfork_w is not None:
            os.close(vfork_w)
            # the parent waits until the child execs or exits (its copy of the pipe closes)
            poller = select.poll()
            poller.register(vfork_r, select.POLLIN)
            while not poller.poll(int(1000 * 0.05)):
                if self.stop_event.is_set():
                    break
            os.close(vfork_r)
        return pid

    def _become_child(self, parent_host, parent_pid, flags, newsp, tls, ctid, vfork_r, vfork_w):
        """In the new host process: the calling thread is the whole process now."""
        self.forked_child = True
        self.host_pid = os.getpid()
        # a new host process (this host thread is all of it): its CPU time starts at 0
        self.cpu_lock = threading.Lock()        # (another host thread may have held it)
        self.cur.cpu, self.cpu_host = [0, 0, 0], threading.get_native_id()
        self.cpu_mark = host_thread_times()
        self.parent_host_pid = parent_host
        self.pid = self.guest_of(self.host_pid)   # (its host pid but for host pid 4242: host_of)
        for fd in self.children.values():
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.children = {}
        self.forked_by = {}
        self.sigchld_seen = set()
        self.sigchld_lock = threading.Lock()   # (its holder may have been another thread)
        self.child_events = []
        self.collectors = []
        self.watcher = None
        self.host_handlers = {}
        self.wakeup = None
        if self.mailbox is not None:       # the parent's: this process gets its own
            self.mailbox.close()
            self.mailbox = None
        self.peer_records, self.peer_info = [], {}
        self.peer_lock = threading.Lock()      # (its holder may have been another thread)
        self.open_mailbox()
        if vfork_r is not None:
            os.close(vfork_r)
        self.vfork_fd = vfork_w
        self._watch_lifeline()
        t = self.cur
        t.tid = self.pid
        self.threads = {self.pid: t}
        self.cur_tid = self.pid
        self.next_tid = self.pid + 1
        self.futexes = {}
        self.robust_list = 0                   # not inherited: glibc's fork registers it again
        self.pdeathsig, self.pdeath_watching = 0, False    # cleared in a fork's child (Linux's
        #                                        copy_process); execve keeps it (after_exec)
        self.sched_after_fork()                # (SCHED_RESET_ON_FORK; its line is the parent's)
        self.locked, self.lock_future = [], False   # memory locks are not inherited
        self.leader_status = None
        self.pending = None
        self.queued_count.used = 0             # (the parent's threads' are not the child's)
        self.blocked_pending = Pending(self.queued_count)
        self.async_signals = []
        # Linux: interval and POSIX timers are not inherited (their host threads are not
        # either); the lock may have been held by one of those threads at the fork
        self.itimer = None
        self.posix_timers = {}
        self.stale_timer_mask = 0
        self.__dict__.pop("cpu_itimers", None)
        self.timer_lock = threading.RLock()
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self.run_over = threading.Event()
        self.stoppers_lock = threading.Lock()
        self.expiries = Scheduler()         # this process's own (its parent's thread is not here)
        self.eng.fork_reinit()
        for f in self.fds.fds.values():
            if isinstance(f, F.HostStream):
                f.owned = True           # this process's copy: closed with the guest's last fd
                if f.stop_event is not None:
                    f.stop_event = self.stop_event
        if self.run_deadline is not None:
            left = max(0.001, self.run_deadline - time.monotonic())
            wd = threading.Timer(left, self._on_timeout)
            wd.daemon = True
            wd.start()
        eng, arch = self.eng, self.arch
        if newsp:
            eng.reg_write(arch.sp, newsp)
        if flags & CLONE_SETTLS:
            eng.reg_write(arch.tp, tls)
        if flags & CLONE_CHILD_SETTID:
            try:
                self.wr(ctid, struct.pack("<i", self.pid))
            except GuestOSError:
                pass
        self.clear_child_tid = ctid if flags & CLONE_CHILD_CLEARTID else 0
        self.apply_host_dispositions()

    # --- atomics between processes (runlock.py) ---------------------------------------------
    def shares_memory(self) -> bool:
        """Does this process map writable memory another process of the run may use at the
        same time? It then runs guest code only while it holds the run lock."""
        return self.run_lock is not None and self.mem.shares_forked

    def take_run_lock(self, polite: bool = False) -> None:
        """Before guest code runs (a run of the engine, the return from a system call)."""
        rl = self.run_lock
        if rl is not None and not rl.held and self.mem.shares_forked and self.stop is None:
            if rl.acquire(polite):
                self.clear_monitor()        # another process ran: as an exception return does

    def retake_run_lock(self) -> None:
        """At the end of the system-call hook (runlock.py): the guest runs on."""
        try:
            self.take_run_lock()
        except BaseException as e:  # never let an exception unwind into C
            self.error = e
            self.error_tb = traceback.format_exc()
            self.eng.emu_stop()

    def drop_run_lock(self) -> None:
        """After a run of the engine, and while a system call is served."""
        rl = self.run_lock
        if rl is not None and rl.held:
            rl.release()

    # --- the run's lifeline: its processes end with a killed run -----------------------------
    # A pipe made by the first process at its first fork; only the first process holds its
    # write end, every forked process of the run inherits its read end (close-on-exec: a host
    # program the run executes is the host's, as under qemu-user). When the first process's
    # run is over, the write end closes: after one byte if the program ended by itself (exit,
    # a crash, a guest's signal: its daemons live on, as on Linux), without it if the run was
    # stopped from outside (the time limit, Ctrl-C, the CLI's SIGTERM, an exception) or its
    # host process died (SIGKILL of `xld run`, the warm server killing the process of a client
    # that went away). Then each process of the run sees the pipe's end without the byte and
    # kills itself: no orphan outlives a killed run (they were reparented to init and ran on;
    # a child stuck in xld's own code spun for 33 minutes after its run was killed).
    def _watch_lifeline(self) -> None:
        """In a new forked process: drop the write end, watch the read end (a thread)."""
        if self.lifeline is None:
            return
        r, w = self.lifeline
        if w is not None:
            self.lifeline_first_w = w        # (a grandchild inherits the number)
            os.close(w)
        self.lifeline = (r, None)
        threading.Thread(target=_lifeline_watch, args=(r, os.getpid()), daemon=True,
                         name="xld-run-lifeline").start()

    def first_killed_by_guest(self) -> None:
        """A forked process is about to SIGKILL the run's first process: that is the guest's
        doing, not the run stopped from outside, and the other processes live on, as on Linux
        (reparented). The first process cannot say so itself: this one writes the byte into
        the lifeline (through /proc: only the first process holds the write end), after
        checking that the descriptor there is still that pipe. The first process's end closed
        the pipe without the byte and every process of the run killed itself (a child that
        SIGKILLs its parent died with it; Linux: it lives on)."""
        w = self.lifeline_first_w
        if not self.forked_child or w is None or self.lifeline is None:
            return
        try:
            fd = os.open(f"/proc/{self.first_host_pid}/fd/{w}", os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            return
        try:
            mine, there = os.fstat(self.lifeline[0]), os.fstat(fd)
            if (mine.st_dev, mine.st_ino) == (there.st_dev, there.st_ino):
                os.write(fd, b"E")
        except OSError:
            pass
        finally:
            os.close(fd)

    def end_lifeline(self, killed: bool) -> None:
        """The first process's run is over (``killed``: stopped from outside)."""
        if self.forked_child or self.lifeline is None:
            return
        r, w = self.lifeline
        self.lifeline = None
        try:
            if not killed:
                os.write(w, b"E")
        except OSError:
            pass
        for fd in (w, r):
            try:
                os.close(fd)
            except OSError:
                pass

    # --- prctl(PR_SET_PDEATHSIG): a signal when the parent ends --------------------------------
    def sys_prctl(self, option, arg2, *rest):
        """PR_SET_PDEATHSIG (a signal number, 0 for none; EINVAL past 64, as the kernel's
        valid_signal) and PR_GET_PDEATHSIG (into an int); the other options: syscalls.py."""
        if option == PR_SET_PDEATHSIG:
            if not 0 <= arg2 <= 64:
                return -errno.EINVAL
            if arg2 and not self.pdeath_watching:
                # the word that the forking thread ended, come before this ask, is of the
                # past: Linux signals only a child that had asked by then (pdeathlate.c)
                self.parent_thread_gone()
            self.pdeathsig = arg2
            if arg2:
                self.watch_parent()
            return 0
        if option == PR_GET_PDEATHSIG:
            self.wr(arg2, struct.pack("<i", self.pdeathsig))
            return 0
        return super().sys_prctl(option, arg2, *rest)

    def watch_parent(self) -> None:
        """A forked process asked for a parent-death signal: a thread waits for its parent's
        end (its host process's exit, through a pidfd; for the run's first process, also its
        guest's end, which its host process may outlive: the lifeline's byte) and then sends
        the signal (parent_died). One thread per host process; it outlives execve, where the
        signal is kept, and looks at ``pdeathsig`` only when the parent has ended. A process
        whose parent has already ended is init's (on Linux too: the signal never comes), and
        so is the run's first process (its parent is outside the run): nothing to watch."""
        if not self.forked_child or self.pdeath_watching:
            return
        parent = self.parent_host_pid
        first = parent == self.first_host_pid
        if os.getppid() != parent or (first and self.first_guest_ended()):
            return
        try:
            pidfd = os.pidfd_open(parent)
        except OSError:
            return
        self.pdeath_watching = True
        life = self.lifeline[0] if first and self.lifeline is not None else None
        me, parent_pid = os.getpid(), self.guest_of(parent)
        box = self.mailbox

        def watch():
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)
            if life is not None:
                poller.register(life, select.POLLIN)
            if box is not None:         # the parent's word that the thread that forked
                poller.register(box, select.POLLIN)     # this process ended (parent_thread_gone)
            while True:
                try:
                    # (the records may be read by the host signals' pump first: look again
                    # at least every second)
                    got = poller.poll(1000)
                except InterruptedError:
                    continue
                except OSError:
                    return
                if os.getpid() != me:
                    return
                if box is not None and self.parent_thread_gone():
                    self.parent_died(parent_pid)
                got = [(fd, ev) for fd, ev in got if box is None or fd != box.fileno()]
                if got:
                    break
            os.close(pidfd)
            ended = any(fd == pidfd or ev & select.POLLIN for fd, ev in got)
            if ended and os.getpid() == me:     # (else the run was killed: the lifeline's
                self.parent_died(parent_pid)    # own watcher ends this process)

        threading.Thread(target=watch, daemon=True, name="xld-run-pdeath").start()

    def parent_thread_gone(self) -> bool:
        """Has the parent said that the thread that forked this process ended (its process
        living on)? The records are taken."""
        self.read_mailbox()
        with self.peer_lock:
            mine = [r for r in self.peer_records if r[1] == PARENT_THREAD_GONE]
            if mine:
                self.peer_records = [r for r in self.peer_records if r[1] != PARENT_THREAD_GONE]
        return bool(mine)

    def sys_exit(self, status, *rest):
        """A thread ends (threads.py); if others live on, the children it forked get their
        parent-death signal, as Linux's exit_notify sends it when the *thread* that forked a
        process ends (prctl(2)), and then belong to another thread of the process (the first
        one alive, as find_alive_thread): this process tells each child (its mailbox); the
        child's watcher sends the signal if it asked for one (watch_parent)."""
        tid = self.cur_tid
        if len(self.threads) > 1 and tid in self.forked_by.values():
            heir = min(t for t in self.threads if t != tid)
            rec = self._RECORD.pack(0, PARENT_THREAD_GONE, self.pid, os.getuid(), 0)
            for host, by in list(self.forked_by.items()):
                if by != tid:
                    continue
                self.forked_by[host] = heir
                if host in self.children:
                    try:
                        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK
                                           | socket.SOCK_CLOEXEC) as out:
                            out.sendto(rec, self._mailbox_name(host))
                    except OSError:
                        pass
        return super().sys_exit(status, *rest)

    def parent_died(self, parent_pid: int) -> None:
        """On the watcher's thread: the parent has ended; send the parent-death signal as
        Linux's forget_original_parent does (SI_USER from the parent's pid): a signal that the
        host serves for the guest (FORWARDED) or that no guest can catch (SIGKILL) as a host
        signal to this process, with the sender's record, as if the parent had sent it;
        another through the run loop, as a timer's."""
        sig = self.pdeathsig
        if not sig:
            return
        if sig == 9 or sig in FORWARDED:
            rec = self._RECORD.pack(sig, 0, parent_pid, os.getuid(), 0)
            if sig != 9:
                try:
                    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK
                                       | socket.SOCK_CLOEXEC) as out:
                        out.sendto(rec, self._mailbox_name(os.getpid()))
                except OSError:
                    pass
            os.kill(os.getpid(), sig)
            return
        with self.peer_lock:
            self.peer_info.setdefault(sig, (0, parent_pid, os.getuid(), 0))
        self.post_signal(ToLeader(sig))

    # --- the end of a forked process ---------------------------------------------------------
    def child_exit(self) -> None:
        """A forked process's guest has ended: end the host process the same way."""
        st = self.stop
        try:
            if self.error is not None:
                _write_fd2(self, f"xld: error: internal error while serving a system call: "
                                 f"{self.error!r}\n")
                os._exit(1)
            if st is not None and st.report and st.signal is not None:
                try:
                    _write_fd2(self, crash.report(self, st))
                except Exception:
                    pass
            if st is not None and st.signal is not None:
                _die_of(st.signal)
            os._exit(st.status & 0xFF if st is not None and st.status is not None else 1)
        finally:
            os._exit(1)

    def finish_processes(self) -> None:
        """The first process's run is over: close its descriptors (the children keep theirs),
        let the collectors drain what the children still write, restore host signals."""
        if self.forked_child:
            return
        self.ipc_guest_exit()
        if self.run_lock is not None:       # (the processes still running have their own)
            self.run_lock.close()
            self.run_lock = None
        if self.run_life is not None:       # (this process's part in the run is over; the
            os.close(self.run_life[1])      # read end tells _run_over whether it is the last)
            self.run_life = (self.run_life[0], -1)
        self.watcher_stop = True
        if self.stop is not None and self.stop.limit == "timeout":
            for host in self.children:       # the time limit covers the run's processes
                try:
                    os.kill(host, hostsig.SIGKILL)
                except OSError:
                    pass
        self.fds.close_all()
        deadline = self.run_deadline
        for t in self.collectors:
            t.join(None if deadline is None else max(0.1, deadline - time.monotonic()))
        for fd in self.children.values():
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        if self.children:
            # children still running when the run ends: reap them when they exit (the caller's
            # process must not collect zombies), as init would
            # (then the run's System V objects go: sysvipc.py)
            threading.Thread(target=_reap, args=(list(self.children), self._run_over),
                             daemon=True, name="xld-run-reap").start()
            self.children = {}
        else:
            self._run_over()
        self.restore_host_signals()

    def _run_over(self) -> None:
        """The first process and its children have ended: what the run kept outside them
        goes (System V objects: sysvipc.py; the policies of its processes: schedboard.py) —
        unless a process of the run still lives (a grandchild): then the janitor removes it
        when the last one ends."""
        if self.run_life is not None:
            r = self.run_life[0]
            self.run_life = None
            ev = select.poll()
            ev.register(r, select.POLLIN)
            last = bool(ev.poll(0))         # (EOF: every write end closed)
            os.close(r)
            if not last:
                self.ipc_release()
                return
        self.ipc_cleanup()
        self.ipc_release()
        self.sched_board().remove()

    # --- wait4 / waitid ----------------------------------------------------------------------
    def _reaped(self, host_pid: int, status: int | None = None, event: tuple | None = None) -> None:
        """``host_pid`` is gone (``status``: its wait status, or ``event``: its (CLD_* code,
        status), when known)."""
        # The watcher thread may be telling of this end at this moment: whoever claims it
        # first (under sigchld_lock: the check and the claim in one step) posts the one
        # SIGCHLD. (Checked and claimed apart, both could, and the parent saw two.)
        with self.sigchld_lock:
            fd = self.children.pop(host_pid, None)
            self.forked_by.pop(host_pid, None)
            told = host_pid in self.sigchld_seen
            self.sigchld_seen.discard(host_pid)
        if fd is not None and fd >= 0:
            os.close(fd)
        if not told and self.sigchld_wanted():
            if status is not None:
                event = _cld_of_status(status)
            if event is not None:
                self._child_event(host_pid, *event)
            if len(self.threads) > 1:
                # a wait's poll may run here with the thread's state saved (threads._pick):
                # queued on the running thread's fields, the signal was lost when the thread
                # was loaded again (a SIGCHLD handler with a thread around that blocks every
                # signal, as glibc's SIGEV_THREAD helper, ran for 1 child in 5). The run loop
                # routes it as a signal to the process (signals.take_async)
                self.async_signals.append(SIGCHLD)
                self.wake.set()
            else:
                self.queue_self_signal(SIGCHLD, 0)

    def sigchld_wanted(self) -> bool:
        """Is a child's end to be told with SIGCHLD: a handler takes it, or the program blocks
        it, not ignored, to take it with sigtimedwait or a signalfd (it waited for ever)."""
        return self.has_handler(SIGCHLD) or bool(self.sigmask >> (SIGCHLD - 1) & 1) \
            and self.action(SIGCHLD)[0] != 1

    def _child_event(self, host_pid: int, code: int, status: int) -> None:
        self.child_events.append((self.guest_of(host_pid), code, status))

    def child_siginfo(self):
        """(guest pid, CLD_* code, status) of the child a SIGCHLD being delivered is about
        (the first one not yet told: Linux merges the others into the one pending SIGCHLD),
        or None."""
        events, self.child_events = self.child_events, []
        return events[0] if events else None

    def _child_fds(self, pid: int):
        """What a wait for guest ``pid`` (wait4's rules) polls: the pidfds of the children it
        may reap, as they are now (a zombie it may not reap, or a descriptor closed since,
        is always ready: the wait spun at 100% CPU until its own child ended)."""
        return lambda: [(self.children[k], select.POLLIN) for k in self._candidates(pid)
                        if self.children.get(k, -1) >= 0]

    def no_zombies(self) -> bool:
        """SIGCHLD ignored (SIG_IGN) or SA_NOCLDWAIT: an ended child leaves no zombie, so no
        wait reports it; a wait lasts until every child has ended, then ECHILD (Linux)."""
        handler, flags = self.action(SIGCHLD)[:2]
        return handler == 1 or bool(flags & 2)

    def _candidates(self, pid: int) -> list[int]:
        """The host pids of our children a wait for guest ``pid`` may reap (wait4's rules:
        > 0 that child, -1 any, 0 our group, < -1 that group). Only children of this run are
        ever waited for: the first process may be the caller's Python process, whose other
        children are none of the guest's business."""
        kids = list(self.children)
        if pid > 0:
            return [self.host_of(pid)] if self.host_of(pid) in self.children else []
        if pid == -1:
            return kids
        # (the first process's group, 4242 to the guest, is the caller's host group)
        group = (os.getpgid(0) if pid == 0 else self.first_host_pgid if -pid == self.first_pid
                 else self.host_of(-pid))
        out = []
        for k in kids:
            try:
                if os.getpgid(k) == group:
                    out.append(k)
            except OSError:
                out.append(k)           # already a zombie: let wait4 decide
        return out

    def sys_wait4(self, pid, wstatus, options, rusage, *_):
        pid = s32(pid)
        if options & ~(WNOHANG | WUNTRACED | WCONTINUED | W_NOTHREAD | W_ALL | W_CLONE):
            return -errno.EINVAL
        host_opts = (options & (WUNTRACED | WCONTINUED)) | WNOHANG

        def attempt():
            cands = self._candidates(pid)
            if not cands:
                return -errno.ECHILD
            for k in cands:
                try:
                    p, status, ru = os.wait4(k, host_opts)
                except ChildProcessError:
                    self._reaped(k)
                    continue
                if p == 0:
                    continue
                if not (os.WIFSTOPPED(status) or os.WIFCONTINUED(status)):
                    self._reaped(p, status)
                    if self.no_zombies():
                        continue            # reaped unseen: the wait goes on (or ECHILD)
                if wstatus:
                    self.wr(wstatus, struct.pack("<i", status))
                if rusage:
                    self.wr(rusage, pack_rusage(ru))
                return self.guest_of(p)
            return None if self.children else -errno.ECHILD

        r = attempt()
        if r is not None or options & WNOHANG:
            return 0 if r is None else r
        return self.wait_host("wait4", attempt, self._child_fds(pid))

    def sys_waitid(self, idtype, id_, infop, options, rusage, *_):
        idtype, id_ = s32(idtype), s32(id_)
        if idtype == P_PIDFD:                # the pidfd's process (a child of this one, or ECHILD)
            idtype, id_ = 1, self._pidfd(id_).pid
        if idtype not in (0, 1, 2) or not options & (WEXITED | WUNTRACED | WCONTINUED):
            return -errno.EINVAL
        guest = {0: -1, 1: id_, 2: -id_ if id_ else 0}[idtype]
        if idtype == 1 and id_ <= 0:
            return -errno.EINVAL
        host_opts = (options & (WEXITED | WUNTRACED | WCONTINUED | WNOWAIT)) | WNOHANG

        def attempt():
            cands = self._candidates(guest)
            if not cands:
                return -errno.ECHILD
            for k in cands:
                try:
                    r = os.waitid(os.P_PID, k, host_opts)
                except ChildProcessError:
                    self._reaped(k)
                    continue
                if r is None:
                    continue
                if r.si_code in (1, 2, 3) and self.no_zombies():
                    try:                    # reaped unseen: the wait goes on (or ECHILD)
                        os.waitpid(r.si_pid, os.WNOHANG)
                    except ChildProcessError:
                        pass
                    self._reaped(r.si_pid)
                    continue
                if r.si_code in (1, 2, 3) and not options & WNOWAIT:     # CLD_EXITED/KILLED/DUMPED
                    self._reaped(r.si_pid, event=(r.si_code, r.si_status))
                if infop:
                    info = struct.pack("<iiiiiIi", r.si_signo, 0, r.si_code, 0,
                                       self.guest_of(r.si_pid), r.si_uid, r.si_status)
                    self.wr(infop, info.ljust(128, b"\0"))
                if rusage:                  # (the host's waitid has no rusage: zeros)
                    self.wr(rusage, bytes(144))
                return 0
            return None if self.children else -errno.ECHILD

        r = attempt()
        if r is None and options & WNOHANG:
            if infop:
                self.wr(infop, bytes(128))
            return 0
        if r is not None:
            return r
        return self.wait_host("waitid", attempt, self._child_fds(guest))

    # --- SIGCHLD: a watcher thread posts it when a child's pidfd becomes readable ------------
    def _start_watcher(self) -> None:
        if self.watcher is not None:
            return
        self.watcher_stop = False
        me = os.getpid()

        def watch():
            while not self.watcher_stop and os.getpid() == me and self.stop is None:
                fds = {fd: p for p, fd in list(self.children.items()) if fd >= 0
                       and p not in self.sigchld_seen}
                if not fds:
                    time.sleep(0.05)
                    continue
                poller = select.poll()
                for fd in fds:
                    poller.register(fd, select.POLLIN)
                try:
                    got = poller.poll(100)
                except OSError:
                    continue
                for fd, _ev in got:
                    p = fds.get(fd)
                    if p is None:
                        continue
                    # claimed and posted in one step (_reaped: one SIGCHLD per child): a wait4
                    # that reaps the child while this thread has claimed its end but not yet
                    # posted the signal waits for it, so the program's handler has run when
                    # its wait returns, as on Linux (under load the parent saw "not yet")
                    with self.sigchld_lock:
                        if p in self.sigchld_seen or p not in self.children:
                            continue
                        self.sigchld_seen.add(p)
                        if self.sigchld_wanted():
                            try:    # the child's status for the siginfo, leaving it a zombie
                                r = os.waitid(os.P_PID, p, os.WEXITED | os.WNOWAIT | os.WNOHANG)
                            except ChildProcessError:
                                r = None
                            if r is not None:
                                self._child_event(p, r.si_code, r.si_status)
                            self.post_signal(SIGCHLD)       # (never blocks: a queue, a kick)

        self.watcher = threading.Thread(target=watch, daemon=True, name="xld-run-sigchld")
        self.watcher.start()

    def post_signal(self, sig: int) -> None:
        """From a watcher thread: a signal for the run loop, ending a wait now, and taken at
        once when runs are stoppable (the kicker: threads.run_count, uc.Kicker), else at the
        guest's next system call. Never ``uc_emu_stop`` from this thread: such a stop is not
        exact (uc.Kicker); it corrupted a parent's state in 1 of ~25 runs of the process test."""
        self.async_signals.append(sig)
        self.wake.set()
        self.kick()         # an exact stop, when runs are stoppable (threads.run_count)

    # --- pidfd -----------------------------------------------------------------------------
    def sys_pidfd_open(self, pid, flags, *_):
        """A pidfd of a process of this run (its parent, its children, itself): the host's,
        so poll, select and epoll see it readable when the process ends (ESRCH for another)."""
        pid = s32(pid)
        if flags & ~PIDFD_NONBLOCK or pid <= 0:
            return -errno.EINVAL
        host = self.host_of(pid)
        if host not in self.children and host not in (self.parent_host_pid, self.first_host_pid,
                                                     os.getpid()):
            return -errno.ESRCH
        try:
            fd = os.pidfd_open(host, flags & PIDFD_NONBLOCK)
        except OSError as e:
            return -(e.errno or errno.ESRCH)
        try:
            gfd = self.fds.install(PidFd(fd, pid))
        except GuestOSError:
            os.close(fd)
            raise
        self.fds.cloexec.add(gfd)            # (always close-on-exec, as Linux's)
        return gfd

    def _pidfd(self, fd: int) -> PidFd:
        f = self.fds.get(s32(fd))
        if not isinstance(f, PidFd):
            raise GuestOSError(errno.EBADF)    # (Linux's, for a descriptor that is no pidfd)
        return f

    def sys_pidfd_send_signal(self, pidfd, sig, info, flags, *_):
        """kill(2) through a pidfd; a siginfo of the caller's own is not served."""
        if flags:
            return -errno.EINVAL
        f = self._pidfd(pidfd)
        if info:
            raise NotServed("pidfd_send_signal with a siginfo")
        return self.sys_kill(f.pid, sig)

    def names_own_thread(self, pid: int) -> bool:
        # a child's pid comes first: the first process's thread ids (4243, 4244, ...) are no
        # host pids, and a child may have one of them as its host pid
        return super().names_own_thread(pid) and self.host_of(pid) not in self.children

    # --- kill ------------------------------------------------------------------------------
    def sys_kill(self, pid, sig, *rest):
        pid = s32(pid)
        if not 0 <= sig <= 64:
            return -errno.EINVAL
        if pid == self.pid or pid > 0 and self.names_own_thread(pid):
            return self.raise_signal(sig, code=0, names=pid)   # SI_USER
        if pid > 0:
            host = self.host_of(pid)
            if host not in self.children and host not in (self.parent_host_pid, self.first_host_pid):
                return -errno.ESRCH          # only the processes of this run
            if self.first_gone(host):
                return -errno.ESRCH
            self.refuse_ending_the_caller(host, sig)
            self.tell_sender(host, sig)
            if sig == 9 and host == self.first_host_pid:
                self.first_killed_by_guest()
            try:
                os.kill(host, sig)
            except OSError as e:
                return -(e.errno or errno.ESRCH)
            return 0
        if pid == -1:
            # every process it may signal but itself, as Linux's kill_something_info leaves
            # out the caller's own (xld signalled itself too); here those of the run it made,
            # its children (the sandbox: never the host's other processes); none: ESRCH
            sent = 0
            for host in list(self.children):
                try:
                    self.tell_sender(host, sig)
                    os.kill(host, sig)
                    sent += 1
                except OSError:
                    pass
            return 0 if sent else -errno.ESRCH
        return self.kill_group(self.own_pgid() if pid == 0 else -pid, sig)

    def run_members(self) -> list[int]:
        """The host pids of the run's processes: those with a mailbox (every forked child,
        and the first process once it has forked), named by the run's token in the host's
        list of Unix sockets. A host program a child executed has none."""
        tag = f" @xld-run-{self.run_token}-"
        out = []
        try:
            with open("/proc/net/unix") as f:
                for line in f:
                    i = line.find(tag)
                    if i >= 0:
                        try:
                            out.append(int(line[i + len(tag):].strip()))
                        except ValueError:
                            pass
        except OSError:
            pass
        return out

    def kill_group(self, group: int, sig: int) -> int:
        """kill(-group): every process of the run in guest process group ``group``. The
        first process's group, 4242 to the guest, is on the host the caller's group (a shell's
        job, a test runner's), with processes that are not the run's: it is never signalled
        whole; its members of the run are, one by one (before, a child's kill(-4242) reached
        itself and its own children only, and a group a sibling made was ESRCH: only the
        caller's children were looked at). Another group was made by a process of the run
        (setpgid, setsid): all of it is the run's, host programs it executed included."""
        first = group == self.first_pid
        host_group = self.first_host_pgid if first else self.host_of(group)
        me = os.getpid()
        found = False
        if first:
            for host in self.run_members():
                if host == me:
                    continue
                try:
                    # (the first process's group is virtual: to the others it is 4242)
                    if host != self.first_host_pid and os.getpgid(host) != host_group:
                        continue
                    self.tell_sender(host, sig)
                    os.kill(host, sig)
                    found = True
                except OSError:
                    pass
        elif host_group != self.first_host_pgid:
            try:
                members = [h for h in self.run_members() if h != me and os.getpgid(h) == host_group]
            except OSError:
                members = [h for h in self.run_members() if h != me]
            for host in members:
                self.tell_sender(host, sig)
            try:
                if os.getpgid(0) == host_group:      # (not twice to this one: raise_signal)
                    for host in members:
                        os.kill(host, sig)
                        found = True
                else:
                    os.killpg(host_group, sig)
                    found = True
            except OSError:
                pass
        if self.own_pgid() == group:
            return self.raise_signal(sig, code=0)          # SI_USER
        return 0 if found else -errno.ESRCH

    def first_gone(self, host: int) -> bool:
        """Is ``host`` the run's first process, whose guest has ended (the lifeline's byte)?
        Its host process may live on (the caller's, the warm server's, or by now another
        program's that reused the pid): a signal to it is ESRCH, as on Linux once the parent
        is reaped (qemu-user: ESRCH; xld said 0 and sent the host signal there)."""
        return host == self.first_host_pid and self.forked_child and self.first_guest_ended()

    def refuse_ending_the_caller(self, host: int, sig: int) -> None:
        """In an in-process run (the Python API) the first process is the caller's own: a
        host signal from another process of the run that the caller does not serve for the
        guest would end, stop or interrupt the caller itself (SIGKILL, SIGABRT, SIGSEGV, the
        real-time ones: pytest died of a guest child's kill(getppid(), ...); SIGINT: its
        KeyboardInterrupt; SIGSTOP: stopped). Refused; `xld run` serves them."""
        if (host == self.first_host_pid and self.in_caller and sig not in _ENDS_CALLER
                and sig not in _HARMLESS_TO_CALLER):
            raise NotServed(f"signal {sig} to the run's first process from another process of "
                            f"an in-process run (the Python API, whose first process is the "
                            f"caller's own: the host signal would reach the caller); "
                            f"`xld run` serves it")

    def sigqueue_other(self, pid: int, sig: int, value: int) -> int:
        """rt_sigqueueinfo to another process of the run: the host signal, and the record
        that makes it SI_QUEUE with ``value`` on the other side."""
        host = self.host_of(pid)
        if pid <= 0 or (host not in self.children and host not in (self.parent_host_pid, self.first_host_pid)):
            return -errno.ESRCH
        if not 0 <= sig <= 64:
            return -errno.EINVAL
        if self.first_gone(host):
            return -errno.ESRCH
        if sig == 0:
            return 0
        if sig not in FORWARDED:
            raise NotServed(f"rt_sigqueueinfo of signal {sig} to another process (only the "
                            f"signals a guest's handler can get from other processes)")
        self.refuse_ending_the_caller(host, sig)
        self.tell_sender(host, sig, -1, value)
        try:
            os.kill(host, sig)
        except OSError as e:
            return -(e.errno or errno.ESRCH)
        return 0

    # --- who sent a signal: the run's mailboxes ----------------------------------------------
    _RECORD = struct.Struct("<iiiIQ")      # sig, si_code, sender's pid, uid, sigqueue's value

    def _mailbox_name(self, host: int) -> bytes:
        return f"\0xld-run-{self.run_token}-{host}".encode()

    def open_mailbox(self) -> None:
        if self.mailbox is not None:
            return
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC)
        try:
            s.bind(self._mailbox_name(os.getpid()))
        except OSError:
            s.close()
            return
        self.mailbox = s

    def tell_sender(self, host: int, sig: int, code: int = 0, value: int = 0) -> None:
        """Before a host signal to ``host`` (a process of this run): who sends it."""
        if sig not in FORWARDED:
            return
        rec = self._RECORD.pack(sig, code, self.pid, os.getuid(), value & 0xFFFFFFFFFFFFFFFF)
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK
                               | socket.SOCK_CLOEXEC) as out:
                out.sendto(rec, self._mailbox_name(host))
        except OSError:
            pass                # no mailbox (gone, full): the receiver's si_pid will be 0

    def read_mailbox(self) -> None:
        box = self.mailbox
        while box is not None:
            try:
                data = box.recv(64)
            except OSError:
                return
            if len(data) == self._RECORD.size:
                with self.peer_lock:
                    self.peer_records.append(self._RECORD.unpack(data))

    def pair_peer_record(self, sig: int) -> None:
        """A host ``sig`` came: the first record of it is its sender (a standard signal
        delivered while one is pending keeps the first one's siginfo, as Linux's does)."""
        with self.peer_lock:
            for i, rec in enumerate(self.peer_records):
                if rec[0] == sig:
                    del self.peer_records[i]
                    self.peer_info.setdefault(sig, rec[1:])
                    return

    def forget_peer_records(self, sig: int) -> None:
        """A new disposition: records of signals sent before it (ignored ones) are stale."""
        self.read_mailbox()
        with self.peer_lock:
            self.peer_records = [r for r in self.peer_records if r[0] != sig]
            self.peer_info.pop(sig, None)

    def take_peer_info(self, sig: int):
        """(si_code, pid, uid, value) of another process's ``sig`` being delivered, or None."""
        with self.peer_lock:
            return self.peer_info.pop(sig, None)

    # --- host signals: the guest's dispositions ----------------------------------------------
    def forward_host_signals(self) -> None:
        """In the first process, before its first fork: host signals from other processes
        are to reach the guest's handlers. Python sets handlers from the main thread only: the
        CLI emulates on a worker thread, so the run loop (on the main thread) does it, with the
        engine stopped at this system call."""
        if threading.current_thread() is threading.main_thread():
            self.apply_host_dispositions()
        else:
            self.host_signals_due = True
            self.eng.emu_stop()

    def apply_host_dispositions(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in FORWARDED:
            handler = self._host_handler(sig)
            if handler == 0 and not self.forked_child and sig not in self.host_handlers:
                continue            # the first process keeps the caller's own
            self._host_disposition(sig, handler)

    def _host_handler(self, sig: int) -> int:
        """What the host must do with ``sig``: the guest's handler, or serve it (2) when the
        guest blocked it with its default action, so that it stays pending as on Linux (the
        host's default action would end the process at once) and a sigtimedwait can take it;
        served, a default action the guest meets unblocked still ends it (take_async)."""
        handler = self.action(sig)[0]
        if handler == 0 and (self.forward_blocked >> (sig - 1) & 1 or
                             (not self.forked_child and sig in _ENDS_CALLER
                              and (self.in_caller or (sig != 15 and self.mailbox is not None)))):
            # (the CLI: once it has forked, its mailbox open, as docs/run.md says; before, the
            # host signal ends it as qemu-user's process dies of it: status -1, not exit 129)
            return 2
        return handler

    def mask_changed(self) -> None:
        super().mask_changed()
        newly = self.sigmask & _FORWARDED_BITS & ~self.forward_blocked
        if newly:
            self.forward_blocked |= newly
            for sig in FORWARDED:
                if newly >> (sig - 1) & 1 and self.action(sig)[0] == 0:
                    self._host_disposition(sig, 2)

    def _host_disposition(self, sig: int, handler: int) -> None:
        if sig not in FORWARDED:
            return
        if threading.current_thread() is not threading.main_thread():
            self.host_signals_due = True
            self.eng.emu_stop()
            return
        if not self.forked_child and sig not in self.host_handlers:
            if handler == 0:
                return
            self.host_handlers[sig] = hostsig.getsignal(sig)
        try:
            if handler == 0:
                hostsig.signal(sig, hostsig.SIG_DFL)
            elif handler == 1:
                hostsig.signal(sig, hostsig.SIG_IGN)
            else:
                self._ensure_wakeup()
                hostsig.signal(sig, _noop)
        except (ValueError, OSError):
            pass

    def _ensure_wakeup(self) -> None:
        if self.wakeup is not None:
            return
        r, w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        old = hostsig.set_wakeup_fd(w, warn_on_full_buffer=False)
        over = threading.Event()            # (restore_host_signals: the pump ends, closes r)
        self.wakeup = (r, w, old, over)
        me = os.getpid()

        def pump():
            while os.getpid() == me:
                try:
                    wait_readable(r, 0.5)
                    if over.is_set():
                        os.close(r)
                        return
                    data = os.read(r, 64)
                except BlockingIOError:
                    continue
                except OSError:
                    return
                self.read_mailbox()
                for sig in data:
                    if sig in FORWARDED and self.action(sig)[0] != 1:   # (take_async decides)
                        self.pair_peer_record(sig)
                        self.post_signal(ToLeader(sig))      # (from another process)

        threading.Thread(target=pump, daemon=True, name="xld-run-signals").start()

    def restore_host_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig, old in self.host_handlers.items():
            try:
                hostsig.signal(sig, old if old is not None else hostsig.SIG_DFL)
            except (ValueError, OSError, TypeError):
                pass
        self.host_handlers = {}
        if self.mailbox is not None:
            self.mailbox.close()
            self.mailbox = None
        if self.wakeup is not None:
            r, w, old, over = self.wakeup
            try:
                hostsig.set_wakeup_fd(old)
            except (ValueError, OSError):
                pass
            else:                           # (the pump thread closes the read end; a process
                over.set()                  # of the run that lives on may hold the write end)
                os.close(w)
            self.wakeup = None

    def sys_rt_sigaction(self, sig, act, oact, sigsetsize, *rest):
        r = super().sys_rt_sigaction(sig, act, oact, sigsetsize, *rest)
        if r == 0 and act:
            if sig in FORWARDED:
                self.forget_peer_records(sig)
            self._host_disposition(sig, self._host_handler(sig))
        return r

    # --- execve ------------------------------------------------------------------------------
    def _str_array(self, addr: int, limit: int = 1 << 16) -> list[bytes]:
        out = []
        if not addr:
            return out
        while len(out) < limit:
            p = self.rd_u64(addr + 8 * len(out))
            if not p:
                return out
            out.append(self.cstr(p, 1 << 17))
        raise GuestOSError(errno.E2BIG)

    def sys_execve(self, path, argv, envp, *_):
        return self._execve(-100, self.path_arg(path), argv, envp, 0)

    def sys_execveat(self, dirfd, path, argv, envp, flags, *_):
        if flags & ~0x1100:                # AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH
            return -errno.EINVAL
        return self._execve(dirfd, self.path_arg(path), argv, envp, flags)

    def _execve(self, dirfd, p, argv, envp, flags):
        if p == "" and flags & 0x1000:
            f = self.fds.get(s32(dirfd))
            host = getattr(f, "host_path", "") or f"/proc/self/fd/{f.host_fd()}"
            guest = f.guest_path
        elif p == "":
            return -errno.ENOENT
        elif self.guest_name(dirfd, p) == "/proc/self/exe":
            host, guest = self.sandbox.exe_host, self.sandbox.exe_guest
        else:
            host = None
        args = [os.fsdecode(a) for a in self._str_array(argv)]
        env = [os.fsdecode(e) for e in self._str_array(envp)]
        # the file is opened once (through the sandbox's walk) and read through that descriptor
        if host is None:
            with self.lookup_at(dirfd, p, follow=True, read=True) as loc:
                fd = loc.open(os.O_RDONLY | os.O_NONBLOCK)
                host, guest = loc.host_path(), loc.guest
        else:
            try:
                fd = os.open(host, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError as e:
                return -(e.errno or errno.ENOENT)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or not os.access(f"/proc/self/fd/{fd}", os.X_OK):
                return -errno.EACCES
            head = os.pread(fd, 20, 0)
        except OSError as e:
            os.close(fd)
            return -(e.errno or errno.EACCES)
        except BaseException:
            os.close(fd)
            raise
        machine = struct.unpack_from("<H", head, 18)[0] if head[:4] == b"\x7fELF" and len(head) >= 20 else None
        if machine not in BY_MACHINE:
            os.close(fd)
        else:
            try:
                elf = read_elf(host, max_size=self.mem.limit, fd=fd)   # (closes fd)
            except ElfError:
                return -errno.ENOEXEC
            req = self.prepare_guest_exec(elf, args, env, host, guest)    # runner.py
            if isinstance(req, int):
                return req
            self.exec_request = ExecRequest(*req)
            self.exit_robust_lists()             # (the kernel's exec_mm_release)
            self.eng.emu_stop()
            return None                      # the run loop loads it (runner.exec_image)
        if not self.allow_host_exec:
            return -errno.EACCES
        return self.host_exec(host, args, env)

    def after_exec(self) -> None:
        """The new image is loaded: descriptors marked close-on-exec are closed, handled
        signals go back to their default action, a vfork parent may go on; prctl's name is
        the new program's and the process is dumpable again (begin_new_exec: PR_GET_NAME
        kept the old image's PR_SET_NAME, PR_GET_DUMPABLE its 0)."""
        self.comm, self.dumpable = None, 1
        for fd in sorted(self.fds.cloexec):
            try:
                self.fds.close(fd)
            except GuestOSError:
                pass
        for sig in list(self.sigactions):
            if self.action(sig)[0] > 1:
                del self.sigactions[sig]
                self._host_disposition(sig, self._host_handler(sig))
        if self.vfork_fd is not None:
            os.close(self.vfork_fd)
            self.vfork_fd = None

    def host_exec(self, host: str, args: list[str], env: list[str]):
        """Run a host program in place of this process (or, in the first process, in a forked
        child whose status ends the run)."""
        if not args:
            args = [host]
        if not self.forked_child:
            pid = self.fork_process(0)
            if pid == 0:
                return self.host_exec(host, args, env)
            if pid < 0:
                return pid
            self._await_exec_child(pid)
            return None
        self.host_backed()
        keep = {}
        for gfd, f in self.fds.fds.items():
            if gfd in self.fds.cloexec:
                continue
            hfd = f.host_fd()
            if hfd is None:
                hfd = _device_fd(f)
            if hfd is not None:
                keep[gfd] = hfd
        envd = {}
        for e in env:
            k, _, v = e.partition("=")
            envd.setdefault(k, v)
        cwd_fd = self.sandbox.cwd_fd
        # from here on the host process is being replaced: a failure ends it with status 127
        try:
            if cwd_fd is not None:
                try:
                    os.fchdir(cwd_fd)
                except OSError:
                    pass
            tmp = {gfd: os.dup(hfd) if hfd >= 0 else -1 for gfd, hfd in keep.items()}
            base = max([*tmp.values(), *keep, 2]) + 1
            moved = {gfd: _fcntl_dupfd(t, base) for gfd, t in tmp.items() if t >= 0}
            for t in tmp.values():
                if t >= 0:
                    os.close(t)
            for gfd, t in moved.items():
                os.dup2(t, gfd, inheritable=True)
            for gfd, t in moved.items():
                if t not in moved:
                    os.close(t)
            _close_others(set(moved) | ({self.vfork_fd} if self.vfork_fd is not None else set()))
            for gfd in moved:
                os.set_inheritable(gfd, True)
            os.umask(self.umask)
            if self.personality:         # (ADDR_NO_RANDOMIZE: kept across execve, as on Linux)
                import ctypes
                ctypes.CDLL(None, use_errno=True).personality(self.personality)
            for sig in range(1, 32):
                if sig in (9, 19):
                    continue
                try:
                    hostsig.signal(sig, hostsig.SIG_IGN if self.action(sig)[0] == 1 else hostsig.SIG_DFL)
                except (ValueError, OSError):
                    pass
            aff = getattr(self.cur, "affinity", None)
            if aff:                         # the CPUs the thread was given (sched_setaffinity),
                try:                        # the host program's too, as on Linux (`taskset 1 bash`)
                    os.sched_setaffinity(0, [i for i in range(aff.bit_length()) if aff >> i & 1])
                except OSError:
                    pass
            hostsig.set_wakeup_fd(-1)
            hostsig.pthread_sigmask(hostsig.SIG_SETMASK,
                                    {s for s in range(1, 65) if self.sigmask >> (s - 1) & 1
                                     and s in hostsig.valid_signals()})
            os.execve(host, args, envd)
        except BaseException:
            pass
        os._exit(127)

    def _await_exec_child(self, pid: int) -> None:
        """The first process ran a host program in a child: the run ends as that child does."""
        fd = self.children.get(pid, -1)
        while True:
            try:
                p, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                self.terminate(status=127)
                return
            if p:
                self.children.pop(pid, None)
                if fd >= 0:
                    os.close(fd)
                if os.WIFSIGNALED(status):
                    self.terminate(signal=os.WTERMSIG(status), report=False,
                                   reason=f"killed by signal {os.WTERMSIG(status)}")
                else:
                    self.terminate(status=os.WEXITSTATUS(status))
                return
            if self.stop_event.is_set():
                try:
                    os.kill(pid, hostsig.SIGKILL)
                except OSError:
                    pass
            if fd >= 0:
                wait_readable(fd, 0.05)
            else:
                time.sleep(0.05)


def _noop(*_):
    pass


def _lifeline_watch(r: int, me: int) -> None:
    """A forked process's thread: wait for the run's end (Processes._watch_lifeline); at the
    end of a killed run, die with it."""
    poller = select.poll()
    poller.register(r, select.POLLIN)
    while True:
        try:
            got = poller.poll()
        except InterruptedError:
            continue
        except OSError:
            return
        break
    if os.getpid() != me or not got:
        return
    ev = got[0][1]
    if ev & select.POLLIN:          # the run ended by itself: this process lives on
        return
    if ev & (select.POLLHUP | select.POLLERR):
        os.kill(me, hostsig.SIGKILL)


def _reap(pids, then=_noop) -> None:
    for p in pids:
        try:
            os.waitpid(p, 0)
        except OSError:
            pass
    then()


def _collect(fd: int, buf: bytearray) -> None:
    while True:
        try:
            data = os.read(fd, 65536)
        except InterruptedError:
            continue
        except OSError:
            break
        if not data:
            break
        buf += data
    os.close(fd)


def _write_fd2(proc, text: str) -> None:
    f = proc.fds.fds.get(2)
    fd = f.host_fd() if f is not None else None
    if fd is None:
        return
    try:
        os.write(fd, text.encode(errors="replace"))
    except OSError:
        pass


def _die_of(sig: int) -> None:
    import resource
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    try:
        hostsig.signal(sig, hostsig.SIG_DFL)
    except (ValueError, OSError):
        pass
    try:
        hostsig.pthread_sigmask(hostsig.SIG_UNBLOCK, {sig})
        os.kill(os.getpid(), sig)
        time.sleep(1)
    except (ValueError, OSError):
        pass
    os._exit(128 + sig)


def _device_fd(f) -> int | None:
    if isinstance(f, F.Device):
        name = "null" if f.name in ("null", "full") else f.name
        try:
            return os.open(f"/dev/{name}", os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            return None
    return None


def _fcntl_dupfd(fd: int, lowest: int) -> int:
    import fcntl
    return fcntl.fcntl(fd, fcntl.F_DUPFD, lowest)


def _close_others(keep: set) -> None:
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


__all__ = ["Processes", "ExecRequest"]

