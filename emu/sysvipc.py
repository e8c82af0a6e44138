"""System V IPC: shared memory segments, semaphore sets, message queues, scoped to the run.

The objects are the host kernel's, so everything between the run's processes (which are host
processes) is the kernel's own work: memory shared between the processes that attach a
segment, a semaphore operation or a message that wakes another process, the permission
checks on an id, ``SEM_UNDO`` applied when a process ends, a segment destroyed at its last
detach after ``IPC_RMID``. What the run adds is the scope, as if it had an IPC namespace of
its own:

- every object is created on the host with ``IPC_PRIVATE`` — a guest's key is never the
  host's key — and the run keeps its own table of (kind, guest key, host id) in an
  anonymous file all its processes inherit (``IpcTable``: a memfd no path names, under a
  record lock); ``*get`` with a key looks
  there, with Linux's checks (``IPC_CREAT``, ``IPC_EXCL``, the size or count, the mode bits
  asked for: ipcperms);
- an id the run did not make is EINVAL, as an id that names nothing: a guest never reaches
  the host's objects, and ``*_STAT`` by index and ``IPC_INFO`` see only the run's;
- when the run is over (every process of it has ended) the objects it left are removed, as
  the kernel does when an IPC namespace goes: by the first process if it ends last, else by
  the janitor (start_janitor), started at the run's first fork or System V call.

Blocking calls (``semop``, ``semtimedop``, ``msgsnd``, ``msgrcv``) wait in a host thread
making the blocking call itself (hostio.BlockingCall), so other guest threads run, a signal
ends the wait with EINTR (these calls are never restarted, as on Linux) and the timeout is
the kernel's.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import platform
import queue
import select
import struct
import threading

from .fs import GuestOSError
from .memory import PAGE, HostAttach, OutOfMemory, mmap_min_addr, page_up
from .schedboard import SchedBoard        # (imported before the janitor's fork)
from . import syscalls as S
from .syscalls import s32

IPC_PRIVATE = 0
IPC_CREAT, IPC_EXCL, IPC_NOWAIT = 0o1000, 0o2000, 0o4000
IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO = 0, 1, 2, 3
SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC = 0o10000, 0o20000, 0o40000, 0o100000
SHM_LOCK, SHM_UNLOCK, SHM_STAT, SHM_INFO, SHM_STAT_ANY = 11, 12, 13, 14, 15
GETPID, GETVAL, GETALL, GETNCNT, GETZCNT, SETVAL, SETALL = 11, 12, 13, 14, 15, 16, 17
SEM_STAT, SEM_INFO, SEM_STAT_ANY = 18, 19, 20
MSG_STAT, MSG_INFO, MSG_STAT_ANY = 11, 12, 13
SEM_UNDO = 0x1000
SHMLBA = PAGE                      # arm64 and riscv64: a page (arm64's 16 KiB is for compat)
PERM_SIZE = 48                     # struct ipc64_perm
# struct sizes of the guests (asm-generic, 64-bit): shmid64_ds, semid64_ds, msqid64_ds
GUEST_DS = {"m": 112, "s": 88, "q": 120}
# the host's semid64_ds: x86-64 pads each time with an unused long (104 bytes)
_HOST_SEM_PADDED = platform.machine() in ("x86_64", "AMD64")
HOST_DS_SIZE = 256                 # room for any of the host's structs

_libc = ctypes.CDLL(None, use_errno=True)
_libc.shmat.restype = ctypes.c_void_p
_libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
_libc.shmdt.argtypes = [ctypes.c_void_p]
_libc.msgrcv.restype = ctypes.c_ssize_t
_libc.msgrcv.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long, ctypes.c_int]
_libc.msgsnd.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.semtimedop.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
_libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]


CLONE_SYSVSEM = 0x40000
CAP_IPC_OWNER = 15                  # ipcperms' capability


class SemThread:
    """The first process's semaphore operations are made from this host thread and the
    threads it starts (BlockingCall's), which share its own SEM_UNDO list
    (``unshare(CLONE_SYSVSEM)``; a thread inherits its creator's list): the first process may
    be the caller's Python process, which outlives the guest, so its undo list must be the
    guest's alone — ``close`` ends the thread, and with its last user the kernel applies the
    adjustments, as at the exit of a process. (A forked process is a host process of its
    own: its list is the kernel's from the fork, empty, applied when it exits.)"""

    def __init__(self):
        self.requests: queue.SimpleQueue = queue.SimpleQueue()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(ready,), daemon=True,
                                       name="xld-sysv-sem")
        self.thread.start()
        ready.wait()

    def _serve(self, ready) -> None:
        _libc.unshare(CLONE_SYSVSEM)
        ready.set()
        while (item := self.requests.get()) is not None:
            fn, box, done = item
            try:
                box.append(fn())
            except BaseException as e:       # (handed back to the caller)
                box.append(e)
            done.set()

    def call(self, fn):
        box, done = [], threading.Event()
        self.requests.put((fn, box, done))
        done.wait()
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]

    def close(self) -> None:
        self.requests.put(None)
        self.thread.join()


def _host(r: int) -> int:
    """A host call's result, or GuestOSError with its errno."""
    if r == -1 or r is None:
        raise GuestOSError(ctypes.get_errno() or errno.EINVAL)
    return r


def _shmdt(base: int) -> None:
    _libc.shmdt(ctypes.c_void_p(base))


def _rmid(kind: str, ident: int) -> int:
    if kind == "m":
        return _libc.shmctl(ident, IPC_RMID, None)
    if kind == "s":
        return _libc.semctl(ident, 0, IPC_RMID, ctypes.c_void_p(0))
    return _libc.msgctl(ident, IPC_RMID, None)


def _stat_call(kind: str, ident: int, cmd: int, buf) -> int:
    if kind == "m":
        return _libc.shmctl(ident, cmd, buf)
    if kind == "s":
        return _libc.semctl(ident, 0, cmd, buf)
    return _libc.msgctl(ident, cmd, buf)


_STAT_ANY = {"m": SHM_STAT_ANY, "s": SEM_STAT_ANY, "q": MSG_STAT_ANY}


def _host_stat_checked(kind: str, ident: int) -> bytes:
    """The host's IPC_STAT struct of ``ident`` with the caller's read permission checked, as
    the guest's IPC_STAT: GuestOSError with the host's errno (EACCES, EINVAL...)."""
    buf = ctypes.create_string_buffer(HOST_DS_SIZE)
    if _stat_call(kind, ident, IPC_STAT, buf) < 0:
        raise GuestOSError(ctypes.get_errno() or errno.EINVAL)
    return buf.raw


def _host_stat(kind: str, ident: int) -> bytes | None:
    """The host's IPC_STAT struct of ``ident``, or None when it is gone. An object the
    caller may not read (EACCES) is there all the same: it is read by its index with
    *_STAT_ANY (which checks no permission; the index is the id's low bits, 15 or, with
    ipcmni_extend, 24 of them), and the id it gives must be ``ident``."""
    buf = ctypes.create_string_buffer(HOST_DS_SIZE)
    if _stat_call(kind, ident, IPC_STAT, buf) >= 0:
        return buf.raw
    if ctypes.get_errno() != errno.EACCES:
        return None
    for bits in (15, 24):
        if _stat_call(kind, ident & ((1 << bits) - 1), _STAT_ANY[kind], buf) == ident:
            return buf.raw
    raise GuestOSError(errno.EACCES)       # (a kernel before 4.17: no *_STAT_ANY)


class IpcTable:
    """The run's objects: lines ``kind key id`` in an anonymous file (memfd) made before the
    run's first fork, which every process of the run has by descriptor (inherited) and no
    path names: the guest cannot open it by name, so it cannot point the run at the host's
    objects. Read and changed under a POSIX record lock (held per host process: the
    processes share the file's open description, which an flock would not tell apart) and a
    thread lock (a process's guest threads)."""

    def __init__(self, fd: int | None = None):
        self.fd = os.memfd_create("xld-sysvipc", os.MFD_CLOEXEC) if fd is None else fd
        self._tlock, self._tlock_pid = threading.Lock(), os.getpid()

    def _open(self) -> int:
        if self._tlock_pid != os.getpid():      # (a forked process: its holder is not here)
            self._tlock, self._tlock_pid = threading.Lock(), os.getpid()
        self._tlock.acquire()
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_EX)
        except BaseException:
            self._tlock.release()
            raise
        return self.fd

    def _close(self) -> None:
        fcntl.lockf(self.fd, fcntl.LOCK_UN)
        self._tlock.release()

    def release(self) -> None:
        os.close(self.fd)

    @staticmethod
    def _read(fd: int) -> list[tuple[str, int, int]]:
        os.lseek(fd, 0, os.SEEK_SET)
        data = b""
        while chunk := os.read(fd, 1 << 16):
            data += chunk
        rows = []
        for line in data.decode().splitlines():
            k, key, ident = line.split()
            rows.append((k, int(key), int(ident)))
        return rows

    @staticmethod
    def _write(fd: int, rows) -> None:
        os.ftruncate(fd, 0)
        os.pwrite(fd, "".join(f"{k} {key} {i}\n" for k, key, i in rows).encode(), 0)

    def locked(self) -> "_Locked":
        return _Locked(self)

    def rows(self) -> list[tuple[str, int, int]]:
        with self.locked() as t:
            return list(t.rows)

    def has(self, kind: str, ident: int) -> int | None:
        """The guest key of the run's object ``ident``, or None: not the run's."""
        for k, key, i in self.rows():
            if k in (kind, kind.upper()) and i == ident:
                return key
        return None

    def drop(self, kind: str, ident: int, keep_id: bool = False) -> None:  # noqa: D401
        """``ident`` was removed (``keep_id``: marked for removal, still attached: its key is
        free, its id still names it)."""
        with self.locked() as t:
            # (a segment removed but still attached: "M", never removed again — its id may
            # name a host object once it is gone)
            t.rows = [(k, key, i) for k, key, i in t.rows if not (k in (kind, kind.upper()) and i == ident)] + \
                     ([(kind.upper(), 0, ident)] if keep_id else [])
            t.save()

    def remove_all(self) -> None:
        """The run is over: remove what is left of its objects (the table is left empty)."""
        with self.locked() as t:
            for k, _key, i in t.rows:
                if k.islower():
                    _rmid(k, i)
            t.rows = []
            t.save()                    # (a second remover, waiting on the lock, finds none)


class _Locked:
    """The table's rows, read under its lock (``with table.locked() as t``); ``save``
    writes ``t.rows`` back."""

    def __init__(self, table: IpcTable):
        self.table = table

    def __enter__(self):
        self.fd = self.table._open()
        self.rows = self.table._read(self.fd)
        return self

    def save(self) -> None:
        self.table._write(self.fd, self.rows)

    def __exit__(self, *exc):
        self.table._close()


def start_janitor(token: str, life_r: int, table: IpcTable, attached=()) -> None:
    """A host process (a grandchild, so nobody has to reap it) that removes what the run
    keeps outside its processes — its System V objects and their table, its SchedBoard —
    once every process of the run has ended (``life_r`` reads EOF: each holds the write
    end), even when the first one, `xld run`'s own process, ended before its children, or
    was killed. It is in a session of its own and ignores the terminal's signals (a Ctrl-C
    for the run is not for it); it holds no other descriptor of the run than these two, and
    no segment
    (``attached``: the host addresses the process has attached; a fork would count it in
    their nattch)."""
    import signal
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP,
                        signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU, signal.SIGPIPE):
                signal.signal(sig, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_SETMASK, ())
            if os.fork() == 0:
                for base in attached:
                    _shmdt(base)
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                lo, hi = sorted((life_r, table.fd))
                os.closerange(3, lo)
                os.closerange(lo + 1, hi)
                os.closerange(hi + 1, 1 << 16)
                while True:
                    try:
                        if not os.read(life_r, 64):
                            break
                    except InterruptedError:
                        continue
                run_over(token, table)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def run_over(token: str, table: IpcTable | None) -> None:
    """The run is over: its objects and its SchedBoard go."""
    if table is not None:
        try:
            table.remove_all()
        except OSError:
            pass
    SchedBoard(token).remove()


def _ipcperms(perm: bytes, flg: int) -> bool:
    """ipcperms: may the caller have the mode bits ``flg`` asks for (0 asks nothing)?"""
    from .creds import host_caps
    uid, gid = os.geteuid(), os.getegid()     # (the host made it)
    privileged = S.host_ids()[2] and bool(host_caps()[0] >> CAP_IPC_OWNER & 1)
    _key, puid, pgid, cuid, cgid, mode = struct.unpack_from("<iIIIII", perm)
    requested = ((flg >> 6) | (flg >> 3) | flg) & 7
    granted = mode
    if uid in (puid, cuid):
        granted >>= 6
    elif {pgid, cgid} & ({gid} | set(os.getgroups())):
        granted >>= 3
    return privileged or not (requested & ~granted & 7)


class SysVIPC:
    """Mixin for the Process: shmget/shmat/shmdt/shmctl, semget/semop/semtimedop/semctl,
    msgget/msgsnd/msgrcv/msgctl."""

    def ipc_table(self) -> IpcTable:
        self.run_janitor()              # (the table is made with it)
        return self.ipc_tab

    def run_janitor(self) -> None:
        """At the run's first fork or System V call (whichever comes first; a child has its
        parent's): the pipe every process of the run holds, and the janitor that cleans up
        when they have all ended (start_janitor) — a run that is killed, or whose
        grandchildren outlive the first process, leaves nothing behind."""
        if self.ipc_janitor:
            return
        self.ipc_janitor = True
        self.ipc_tab = IpcTable()
        if self.run_life is None:
            self.run_life = os.pipe2(os.O_CLOEXEC)
        start_janitor(self.run_token, self.run_life[0], self.ipc_tab, self._attached())

    def _attached(self) -> list[int]:
        return [sh[2].base for sh in self.mem.shared if isinstance(sh[2], HostAttach)]

    def ipc_guest_exit(self) -> None:
        """The first process's guest has ended: its SEM_UNDO adjustments are applied."""
        t, self.sem_server = self.sem_server, None
        if t is not None:
            t.close()

    def ipc_cleanup(self) -> None:
        """The run is over (every process of it has ended): its objects go, as an IPC
        namespace's do when its last process ends."""
        run_over(self.run_token, self.ipc_tab)

    def ipc_release(self) -> None:
        """The first process is done with the table (the janitor may still hold it)."""
        if self.ipc_tab is not None:
            self.ipc_tab.release()
            self.ipc_tab = None

    # --- ids and keys ---------------------------------------------------------------------
    def _ipc_get(self, kind: str, key: int, flg: int, create, more_checks) -> int:
        """ipcget: the run's object of guest ``key`` (IPC_PRIVATE: always a new one), made by
        ``create(mode)`` -> host id when there is none and IPC_CREAT asks for it."""
        key, flg = s32(key), s32(flg)
        with self.ipc_table().locked() as t:
            found = None if key == IPC_PRIVATE else \
                next((i for k, kk, i in t.rows if k == kind and kk == key), None)
            if found is not None and _host_stat(kind, found) is None:
                t.rows = [r for r in t.rows if r[2] != found or r[0] != kind]
                found = None
            if found is None:
                if key != IPC_PRIVATE and not flg & IPC_CREAT:
                    return -errno.ENOENT
                ident = _host(create(flg & 0o777))
                t.rows.append((kind, key, ident))
                t.save()
                return ident
            if flg & IPC_CREAT and flg & IPC_EXCL:
                return -errno.EEXIST
            ds = _host_stat(kind, found)
            err = more_checks(ds)
            if err:
                return err
            if not _ipcperms(ds, flg & 0o777):
                return -errno.EACCES
            return found

    def _ipc_id(self, kind: str, ident: int) -> int:
        """A guest's id: the run's host id, or EINVAL. An id found in the table is
        remembered by the process until it sees it removed (host ids are not reused before
        their slot's sequence number wraps)."""
        ident = s32(ident)
        if (kind, ident) in self.ipc_known:
            return ident
        if ident < 0 or self.ipc_table().has(kind, ident) is None:
            raise GuestOSError(errno.EINVAL)
        self.ipc_known.add((kind, ident))
        return ident

    def _guest_perm(self, kind: str, ident: int, host: bytes) -> bytes:
        """The host's ipc64_perm as the guest sees it: its key the guest's."""
        key = self.ipc_table().has(kind, ident) or 0
        return struct.pack("<i", key) + host[4:PERM_SIZE]

    def _pid(self, host_pid: int) -> int:
        return self.guest_of(host_pid) if host_pid > 0 else host_pid

    def _wait_ipc(self, name: str, nowait_call, blocking_call, may_block: bool, sem=False,
                  done=None):
        """A call that may wait: tried at once without waiting; when it would wait and the
        guest let it, made by a host thread with the blocking call (never restarted after a
        handler, as Linux's System V calls). ``sem``: in the first process, made from its
        SemThread (the guest's own SEM_UNDO list). ``done(r)`` finishes a result >= 0 (copies
        a message out): it runs when the result comes, which in a process with several guest
        threads is after this handler returned (the scheduler's BLOCKED)."""
        from .hostio import BlockingCall, lock_wake_ready
        on = self._sem_thread().call if sem and not self.forked_child else (lambda fn: fn())

        def finish(r):
            if r is None:
                return None
            if r < 0:
                return self._failed(r)
            return done(r) if done else r

        def attempt():
            r = nowait_call()
            return r if r >= 0 else -(ctypes.get_errno() or errno.EINVAL)
        r = on(attempt)
        if r >= 0 or not may_block or -r not in (errno.EAGAIN, errno.ENOMSG):
            return finish(r)
        if not lock_wake_ready():
            # (an in-process run on a thread that cannot set LOCK_WAKE's handler: poll)
            def again():
                r = on(attempt)
                return finish(r) if r >= 0 or -r not in (errno.EAGAIN, errno.ENOMSG) else None
            return self.wait_host(name, again, [], restart=False)
        b = on(lambda: BlockingCall(blocking_call, self.sandbox.blocking_opens))
        return self.wait_host(name, lambda: finish(b.result()), [(b.notify, select.POLLIN)],
                              cancel=b.cancel, interrupted=lambda: finish(b.interrupted()),
                              restart=False)   # (BLOCKED with other guest threads: see done)

    def _sem_thread(self) -> SemThread:
        if self.sem_server is None:
            self.sem_server = SemThread()
        return self.sem_server

    # --- shared memory --------------------------------------------------------------------
    def sys_shmget(self, key, size, flg, *_):
        def checks(ds):
            return -errno.EINVAL if size > struct.unpack_from("<Q", ds, 48)[0] else 0
        return self._ipc_get("m", key, flg, lambda mode: _libc.shmget(IPC_PRIVATE, size, IPC_CREAT | mode),
                             checks)

    def sys_shmat(self, ident, addr, flg, *_):
        """do_shmat: the host attaches the segment (its permission checks), the engine maps
        those host pages at the guest's address (memory.HostAttach)."""
        flg = s32(flg)
        ident = self._ipc_id("m", ident)
        if addr:
            if addr & (SHMLBA - 1):
                if not flg & SHM_RND:
                    return -errno.EINVAL
                addr &= ~(SHMLBA - 1)
                if not addr and flg & SHM_REMAP:
                    return -errno.EINVAL
        elif flg & SHM_REMAP:
            return -errno.EINVAL
        ds = _host_stat("m", ident)
        if ds is None:
            return -errno.EINVAL
        size = page_up(struct.unpack_from("<Q", ds, 48)[0])
        m = self.mem
        if addr:
            if addr < mmap_min_addr():
                return -errno.EPERM           # (the host's rule: memory.mmap_min_addr)
            if not m.user_range(addr, size, bottom=0):
                return -errno.ENOMEM          # (do_mmap: no room there)
            if not flg & SHM_REMAP and m.mapped_bytes(addr, addr + size):
                return -errno.EINVAL
            where = addr
        else:
            try:
                where = m.find_free(size)
            except OutOfMemory:
                return -errno.ENOMEM
        base = _libc.shmat(ident, None, flg & (SHM_RDONLY | SHM_EXEC))
        if base is None or base == ctypes.c_void_p(-1).value:
            return -(ctypes.get_errno() or errno.EINVAL)
        perm = 1 if flg & SHM_RDONLY else 3
        if flg & SHM_EXEC:
            perm |= 4
        key = self.ipc_table().has("m", ident) or 0
        try:
            m.map(where, size, perm, f"/SYSV{key & 0xFFFFFFFF:08x}", attach=HostAttach(base, size, _shmdt))
        except OutOfMemory:
            _shmdt(base)
            return -errno.ENOMEM
        if flg & SHM_RDONLY:
            m.readonly_host.append((where, where + size))
        return where

    def sys_shmdt(self, addr, *_):
        """do_shmdt: the attach that starts at ``addr`` — its pages still mapped go (the host
        segment is detached with the last of them), even when its first page was unmapped
        (Linux finds the attach's next part, whose offset in the segment says where it
        starts)."""
        if addr & (PAGE - 1):
            return -errno.EINVAL
        m = self.mem
        for s, e, h, _f in list(m.shared):
            if s != addr or not isinstance(h, HostAttach):
                continue
            parts = [i for i in m.overlapping(s, e) if m.names[i].startswith("/SYSV")]
            if not parts:
                continue
            name = m.names[parts[0]]
            for i in reversed(parts):
                if m.names[i] == name:
                    m.unmap(max(m.starts[i], s), min(m.ends[i], e) - max(m.starts[i], s))
            m.eng.flush_tlb()
            return 0
        return -errno.EINVAL

    def sys_shmctl(self, ident, cmd, buf, *_):
        cmd = s32(cmd)
        if cmd in (IPC_INFO, SHM_INFO):
            return self._ipc_info("m", cmd, buf, 72 if cmd == IPC_INFO else 48,
                                  lambda b: _libc.shmctl(0, cmd, b))
        if cmd in (SHM_STAT, SHM_STAT_ANY):
            return self._stat_index("m", ident, cmd, buf, lambda i, b: _libc.shmctl(i, cmd, b))
        ident = self._ipc_id("m", ident)
        if cmd == IPC_STAT:
            return self._guest_stat("m", ident, buf)
        if cmd == IPC_SET:
            raw = ctypes.create_string_buffer(self.rd(buf, GUEST_DS["m"]), HOST_DS_SIZE)
            return self._ok(_libc.shmctl(ident, IPC_SET, raw))
        if cmd == IPC_RMID:
            r = self._ok(_libc.shmctl(ident, IPC_RMID, None))
            if r == 0:
                self.ipc_table().drop("m", ident, keep_id=_host_stat("m", ident) is not None)
            return r
        if cmd in (SHM_LOCK, SHM_UNLOCK):
            return self._ok(_libc.shmctl(ident, cmd, None))
        return -errno.EINVAL

    def _guest_stat(self, kind: str, ident: int, buf) -> int:
        """IPC_STAT: the host's answer (EACCES when the caller may not read the object;
        EINVAL or EIDRM when it is gone, and then no longer in the run's table)."""
        try:
            ds = _host_stat_checked(kind, ident)
        except GuestOSError as e:
            if e.errno in (errno.EINVAL, errno.EIDRM):
                self.ipc_table().drop(kind, ident)
            return self._failed(-e.errno)
        self.wr(buf, self._guest_ds(kind, ident, ds))
        return 0

    def _ok(self, r: int) -> int:
        return r if r >= 0 else self._failed(-(ctypes.get_errno() or errno.EINVAL))

    def _failed(self, r: int) -> int:
        """A host call's -errno: EINVAL or EIDRM may mean an object is gone (another process
        of the run removed it): the ids remembered are looked up again."""
        if r in (-errno.EINVAL, -errno.EIDRM):
            self.ipc_known.clear()
        return r

    def _guest_ds(self, kind: str, ident: int, ds: bytes) -> bytes:
        """The host's *id64_ds as the guest's: the guest's key, pids, and (semid64_ds) the
        generic layout."""
        perm = self._guest_perm(kind, ident, ds)
        if kind == "m":
            cpid, lpid = struct.unpack_from("<ii", ds, 80)
            return perm + ds[48:80] + struct.pack("<ii", self._pid(cpid), self._pid(lpid)) + ds[88:112]
        if kind == "s":
            if _HOST_SEM_PADDED:
                otime, ctime, nsems = (struct.unpack_from("<q", ds, o)[0] for o in (48, 64, 80))
            else:
                otime, ctime, nsems = (struct.unpack_from("<q", ds, o)[0] for o in (48, 56, 64))
            return perm + struct.pack("<qqQQQ", otime, ctime, nsems, 0, 0)
        lspid, lrpid = struct.unpack_from("<ii", ds, 96)
        return perm + ds[48:96] + struct.pack("<ii", self._pid(lspid), self._pid(lrpid)) + ds[104:120]

    def _ipc_info(self, kind: str, cmd: int, buf, size: int, call) -> int:
        """IPC_INFO and *_INFO: the host's limits; the usage (*_INFO: objects, pages,
        semaphores, messages, bytes) and the result, the highest index in use, are the
        run's (the host's other objects are not the guest's to see)."""
        raw = ctypes.create_string_buffer(HOST_DS_SIZE)
        if call(raw) < 0:
            return -(ctypes.get_errno() or errno.EINVAL)
        rows = [i for k, _key, i in self.ipc_table().rows() if k in (kind, kind.upper())]
        out = bytearray(raw.raw[:size])
        if cmd in (SHM_INFO, SEM_INFO, MSG_INFO):
            self._run_usage(kind, rows, out)
        self.wr(buf, bytes(out))
        return max((i & 0x7FFF for i in rows), default=0)

    @staticmethod
    def _run_usage(kind: str, ids: list[int], out: bytearray) -> None:
        """The usage fields of struct shm_info / seminfo / msginfo, summed over the run's
        objects ``ids`` (as ipc/shm.c, sem.c, msg.c sum them over a namespace)."""
        stats = [ds for ds in (_host_stat(kind, i) for i in ids) if ds is not None]
        if kind == "m":
            # shm_info: used_ids, shm_tot, shm_rss, shm_swp (pages); resident and swapped
            # pages per segment from /proc/sysvipc/shm
            pages = {}
            try:
                with open("/proc/sysvipc/shm") as f:
                    for line in f.read().splitlines()[1:]:
                        c = line.split()
                        pages[int(c[1])] = (int(c[14]) // PAGE, int(c[15]) // PAGE)
            except (OSError, ValueError, IndexError):
                pass
            tot = sum(page_up(struct.unpack_from("<Q", ds, 48)[0]) // PAGE for ds in stats)
            rss = sum(pages.get(i, (0, 0))[0] for i in ids)
            swp = sum(pages.get(i, (0, 0))[1] for i in ids)
            struct.pack_into("<i4xQQQ", out, 0, len(stats), tot, rss, swp)
        elif kind == "s":
            nsems = sum(struct.unpack_from("<Q", ds, 80 if _HOST_SEM_PADDED else 64)[0] for ds in stats)
            struct.pack_into("<i", out, 7 * 4, len(stats))           # semusz: sets
            struct.pack_into("<i", out, 9 * 4, nsems)                # semaem: semaphores
        else:
            cbytes = sum(struct.unpack_from("<Q", ds, 72)[0] for ds in stats)
            qnum = sum(struct.unpack_from("<Q", ds, 80)[0] for ds in stats)
            struct.pack_into("<ii", out, 0, len(stats), qnum)        # msgpool: queues, msgmap
            struct.pack_into("<i", out, 6 * 4, cbytes)               # msgtql: bytes

    def _stat_index(self, kind: str, index, cmd: int, buf, call) -> int:
        """*_STAT and *_STAT_ANY take an index into the kernel's table: the host's answer if
        it names one of the run's objects, else EINVAL (an empty slot, for the guest)."""
        raw = ctypes.create_string_buffer(HOST_DS_SIZE)
        r = call(s32(index), raw)
        if r < 0 or self.ipc_table().has(kind, r) is None:
            return -errno.EINVAL
        self.wr(buf, self._guest_ds(kind, r, raw.raw))
        return r

    # --- semaphores -----------------------------------------------------------------------
    def sys_semget(self, key, nsems, flg, *_):
        nsems = s32(nsems)

        def checks(ds):
            have = struct.unpack_from("<Q", ds, 80 if _HOST_SEM_PADDED else 64)[0]
            return -errno.EINVAL if nsems > have else 0
        if nsems < 0:
            return -errno.EINVAL
        return self._ipc_get("s", key, flg, lambda mode: _libc.semget(IPC_PRIVATE, nsems, IPC_CREAT | mode),
                             checks)

    def sys_semop(self, ident, sops, nsops, *_):
        return self.sys_semtimedop(ident, sops, nsops, 0)

    def sys_semtimedop(self, ident, sops, nsops, timeout, *_):
        """struct sembuf (num, op, flg: three shorts) is the host's; the host's semtimedop
        waits (its timeout is the kernel's, relative) and applies SEM_UNDO when this host
        process ends, as the guest process does with it."""
        nsops = s32(nsops) & 0xFFFFFFFF
        if nsops < 1 or s32(ident) < 0:
            return -errno.EINVAL
        if nsops > 500:                     # SEMOPM: the host's checks would come after ours
            return -errno.E2BIG
        raw = self.rd(sops, 6 * nsops)
        ts = None
        if timeout:
            # (do_semtimedop checks the timeout before it tries the operations)
            sec, nsec = struct.unpack("<qq", self.rd(timeout, 16))
            if sec < 0 or not 0 <= nsec < 1_000_000_000:
                return -errno.EINVAL
            ts = ctypes.create_string_buffer(struct.pack("<qq", sec, nsec), 16)
        ident = self._ipc_id("s", ident)
        ops = list(struct.iter_unpack("<HhH", raw))
        nowait = b"".join(struct.pack("<HhH", n, o, f | IPC_NOWAIT) for n, o, f in ops)
        may_block = any(not f & IPC_NOWAIT for _n, _o, f in ops)
        b1 = ctypes.create_string_buffer(nowait, len(nowait))
        b2 = ctypes.create_string_buffer(raw, len(raw))
        return self._wait_ipc("semtimedop" if timeout else "semop",
                              lambda: _libc.semtimedop(ident, b1, nsops, None),
                              lambda: _libc.semtimedop(ident, b2, nsops, ts), may_block,
                              sem=any(f & SEM_UNDO for _n, _o, f in ops))

    def sys_semctl(self, ident, num, cmd, arg, *_):
        cmd, num = s32(cmd), s32(num)
        if cmd in (IPC_INFO, SEM_INFO):
            return self._ipc_info("s", cmd, arg, 40, lambda b: _libc.semctl(0, 0, cmd, b))
        if cmd in (SEM_STAT, SEM_STAT_ANY):
            return self._stat_index("s", ident, cmd, arg, lambda i, b: _libc.semctl(i, 0, cmd, b))
        ident = self._ipc_id("s", ident)
        if cmd == IPC_STAT:
            return self._guest_stat("s", ident, arg)
        if cmd == IPC_SET:
            raw = ctypes.create_string_buffer(self.rd(arg, PERM_SIZE), HOST_DS_SIZE)
            return self._ok(_libc.semctl(ident, 0, IPC_SET, raw))
        if cmd == IPC_RMID:
            r = self._ok(_libc.semctl(ident, 0, IPC_RMID, ctypes.c_void_p(0)))
            if r == 0:
                self.ipc_table().drop("s", ident)
                self.ipc_known.clear()
            return r
        if cmd in (GETVAL, GETNCNT, GETZCNT):
            return self._ok(_libc.semctl(ident, num, cmd, ctypes.c_void_p(0)))
        if cmd == GETPID:
            r = self._ok(_libc.semctl(ident, num, cmd, ctypes.c_void_p(0)))
            return self._pid(r) if r > 0 else r
        if cmd == SETVAL:
            return self._ok(_libc.semctl(ident, num, cmd, ctypes.c_long(s32(arg))))
        if cmd in (GETALL, SETALL):
            ds = _host_stat("s", ident)
            if ds is None:
                return -errno.EINVAL
            nsems = struct.unpack_from("<Q", ds, 80 if _HOST_SEM_PADDED else 64)[0]
            vals = ctypes.create_string_buffer(2 * nsems or 2)
            if cmd == SETALL:
                vals = ctypes.create_string_buffer(self.rd(arg, 2 * nsems), 2 * nsems or 2)
            r = self._ok(_libc.semctl(ident, 0, cmd, vals))
            if r == 0 and cmd == GETALL:
                self.wr(arg, vals.raw[:2 * nsems])
            return r
        return -errno.EINVAL

    # --- message queues -------------------------------------------------------------------
    def sys_msgget(self, key, flg, *_):
        return self._ipc_get("q", key, flg, lambda mode: _libc.msgget(IPC_PRIVATE, IPC_CREAT | mode),
                             lambda ds: 0)

    @staticmethod
    def _msgmax() -> int:
        try:
            with open("/proc/sys/kernel/msgmax") as f:
                return int(f.read())
        except (OSError, ValueError):
            return 8192

    def sys_msgsnd(self, ident, msgp, msgsz, flg, *_):
        flg = s32(flg)
        if msgsz >= 1 << 63 or msgsz > self._msgmax() or s32(ident) < 0:
            return -errno.EINVAL
        ident = self._ipc_id("q", ident)
        data = self.rd(msgp, 8 + msgsz)
        if struct.unpack_from("<q", data)[0] < 1:
            return -errno.EINVAL
        buf = ctypes.create_string_buffer(data, len(data))
        return self._wait_ipc("msgsnd", lambda: _libc.msgsnd(ident, buf, msgsz, flg | IPC_NOWAIT),
                              lambda: _libc.msgsnd(ident, buf, msgsz, flg), not flg & IPC_NOWAIT)

    def sys_msgrcv(self, ident, msgp, msgsz, msgtyp, flg, *_):
        flg = s32(flg)
        if msgsz >= 1 << 63 or s32(ident) < 0:
            return -errno.EINVAL
        ident = self._ipc_id("q", ident)
        msgtyp = msgtyp - (1 << 64) if msgtyp >= 1 << 63 else msgtyp
        room = min(msgsz, self._msgmax())
        if not self.mem.is_mapped(msgp, 8, 2):
            return -errno.EFAULT              # (qemu-user's check of the header, up front)
        buf = ctypes.create_string_buffer(8 + room)

        def copy_out(r):
            # (only the message is written: a buffer that holds it is enough, whatever
            # msgsz says; one that does not is EFAULT, the message taken, as on Linux)
            try:
                self.wr(msgp, buf.raw[:8 + r])
            except GuestOSError:
                return -errno.EFAULT
            return r
        return self._wait_ipc("msgrcv", lambda: _libc.msgrcv(ident, buf, room, msgtyp, flg | IPC_NOWAIT),
                              lambda: _libc.msgrcv(ident, buf, room, msgtyp, flg), not flg & IPC_NOWAIT,
                              done=copy_out)

    def sys_msgctl(self, ident, cmd, buf, *_):
        cmd = s32(cmd)
        if cmd in (IPC_INFO, MSG_INFO):
            return self._ipc_info("q", cmd, buf, 32, lambda b: _libc.msgctl(0, cmd, b))
        if cmd in (MSG_STAT, MSG_STAT_ANY):
            return self._stat_index("q", ident, cmd, buf, lambda i, b: _libc.msgctl(i, cmd, b))
        ident = self._ipc_id("q", ident)
        if cmd == IPC_STAT:
            return self._guest_stat("q", ident, buf)
        if cmd == IPC_SET:
            raw = ctypes.create_string_buffer(self.rd(buf, GUEST_DS["q"]), HOST_DS_SIZE)
            return self._ok(_libc.msgctl(ident, IPC_SET, raw))
        if cmd == IPC_RMID:
            r = self._ok(_libc.msgctl(ident, IPC_RMID, None))
            if r == 0:
                self.ipc_table().drop("q", ident)
                self.ipc_known.clear()
            return r
        return -errno.EINVAL
