"""The Linux system calls the runner serves, one method each, named after the call.

Handlers take the raw register arguments and return the result register's value: a
non-negative result, or ``-errno`` (Qiling's convention, and the kernel's). Raising
GuestOSError(e) is the same as returning -e. A handler that ends the program (exit, fatal
signal) calls ``self.terminate`` and returns None.

arm64 and riscv64 share the asm-generic numbering; the one ABI difference that matters here
is the encoding of a few open(2) flags on arm64 (O_DIRECTORY, O_NOFOLLOW, O_DIRECT,
O_LARGEFILE), translated in ``_host_open_flags``.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import signal
import stat
import struct
import time

from . import fs as F
from .fs import GuestOSError
from .memory import PAGE, STACK_SIZE, STACK_TOP, OutOfMemory, mmap_min_addr, page_up
from .sysnames import NUMBERS

AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
AT_REMOVEDIR = 0x200
AT_EMPTY_PATH = 0x1000
AT_EACCESS = 0x200
AT_SYMLINK_FOLLOW = 0x400
AT_NO_AUTOMOUNT = 0x800
AT_STATX_SYNC_TYPE = 0x6000
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2
UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2
XATTR_SIZE_MAX = 1 << 16

# Caps on what one call may make the host allocate or do (Linux has its own: MAX_RW_COUNT,
# UIO_MAXIOV): a read or write moves at most MAX_IO bytes (a short count, as the kernel gives
# past MAX_RW_COUNT); a directory is listed from the host one buffer at a time.
MAX_IO = 1 << 24
UIO_MAXIOV = 1024
MAX_MAP_COUNT = 65530           # Linux's default vm.max_map_count

O_ACCMODE = 3
O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK = 0o100, 0o200, 0o400, 0o1000, 0o2000, 0o4000
O_CLOEXEC = 0o2000000
O_DSYNC, O_SYNC, O_NOATIME, O_ASYNC = 0o10000, 0o4010000, 0o1000000, 0o20000   # the host's too
O_PATH = 0o10000000
O_TMPFILE_BASE = 0o20000000
# (O_DIRECTORY, O_NOFOLLOW, O_DIRECT, O_LARGEFILE) per ISA
_OFLAGS_GENERIC = (0o200000, 0o400000, 0o40000, 0o100000)
_OFLAGS_ARM64 = (0o40000, 0o100000, 0o200000, 0o400000)

MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS = 0x1, 0x2, 0x10, 0x20
MAP_SHARED_VALIDATE, MAP_TYPE = 0x3, 0xF
MAP_FIXED_NOREPLACE = 0x100000
MAP_LOCKED = 0x2000
PROT_GROWSDOWN = 0x01000000
STACK_BOTTOM = STACK_TOP - STACK_SIZE      # the main thread's stack: the one mapping that grows down
MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP = 1, 2, 4
RWF_HIPRI, RWF_DSYNC, RWF_SYNC, RWF_NOWAIT, RWF_APPEND = 1, 2, 4, 8, 0x10
MADV_DONTNEED = 4
MLOCK_ONFAULT = 1
MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT = 1, 2, 4

SIG_DFL, SIG_IGN = 0, 1
SIGNAL_NAMES = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
                7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2",
                13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD",
                18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU",
                23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF",
                28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS"}
# Signals whose default action is not to terminate.
_DEFAULT_IGNORED = {17, 18, 19, 20, 21, 22, 23, 28}

TCGETS, TIOCGWINSZ, FIONBIO = 0x5401, 0x5413, 0x5421

RLIM_INFINITY = 0xFFFFFFFFFFFFFFFF
RLIMIT_STACK, RLIMIT_NOFILE, RLIMIT_AS, RLIMIT_DATA, RLIMIT_SIGPENDING = 3, 7, 9, 2, 11
MAX_QUEUED_SIGNALS = 1 << 18     # the runner's own bound on queued signals, whatever the limit
RLIM_NLIMITS, NR_OPEN = 16, 1 << 20
RLIMIT_NICE, RLIMIT_RTPRIO, RLIMIT_MEMLOCK = 13, 14, 8
SCHED_RESET_ON_FORK = 0x40000000
PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_SET_NAME, PR_GET_NAME, PR_SET_NO_NEW_PRIVS = 3, 4, 15, 16, 38
# personality(2)'s flags that xld runs as asked: ADDR_NO_RANDOMIZE (it places nothing at
# random), and FDPIC_FUNCPTRS, SHORT_INODE, WHOLE_SECONDS (no arm64 or riscv64 kernel acts on
# them); not READ_IMPLIES_EXEC, ADDR_LIMIT_32BIT/3GB, ADDR_COMPAT_LAYOUT, MMAP_PAGE_ZERO,
# STICKY_TIMEOUTS, UNAME26, nor a persona but PER_LINUX (0)
PERSONALITY_HONOURED = 0x0040000 | 0x0080000 | 0x1000000 | 0x2000000


def _host_rlimit(which: int) -> tuple[int, int]:
    import resource
    return tuple(RLIM_INFINITY if v < 0 else v for v in resource.getrlimit(which))


# RLIMIT_SIGPENDING: the host's, as under qemu-user (the kernel's default follows the memory);
# RLIMIT_MEMLOCK: the host's too (what mlock may lock without privilege: 8 MiB by default)
_RLIMIT_DEFAULTS = {RLIMIT_STACK: (8 << 20, RLIM_INFINITY), RLIMIT_NOFILE: (1024, 4096),
                    RLIMIT_SIGPENDING: _host_rlimit(RLIMIT_SIGPENDING),
                    RLIMIT_MEMLOCK: _host_rlimit(RLIMIT_MEMLOCK)}

PID = 4242


def host_ids() -> tuple[int, int, bool]:
    """(uid, gid, privileged): the emulator's own ids, which are the guest's every user and
    group id, as qemu-user's guest has qemu's (creds.py), and whether it is root (effective
    uid 0), whom Linux lets set ids, the clock, real-time policies."""
    return os.getuid(), os.getgid(), os.geteuid() == 0


def host_groups() -> list[int]:
    """The emulator's supplementary groups, the guest's (as qemu-user's guest has qemu's):
    getgroups lists them, consistent with host_ids' group id as on the host."""
    return os.getgroups()


def _host_uids(pid: int) -> tuple[int, ...]:
    """A host process's real and effective user ids (/proc/PID/status), () if gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Uid:"):
                    return tuple(int(v) for v in line.split()[1:3])
    except (OSError, ValueError):
        pass
    return ()


def _s64(x: int) -> int:
    return x - (1 << 64) if x & (1 << 63) else x


def s32(x: int) -> int:
    """A 32-bit register argument as the signed int the kernel reads (fds, pids, flags)."""
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x & (1 << 31) else x


def pack_stat(st) -> bytes:
    """struct stat of asm-generic (arm64, riscv64): 128 bytes."""
    def ts(ns):
        return ns // 1_000_000_000, ns % 1_000_000_000
    a, m, c = ts(st.st_atime_ns), ts(st.st_mtime_ns), ts(st.st_ctime_ns)
    return struct.pack("<QQIIIIQQqiiqqQqQqQII", st.st_dev & 0xFFFFFFFFFFFFFFFF, st.st_ino, st.st_mode,
                       st.st_nlink, st.st_uid, st.st_gid, getattr(st, "st_rdev", 0), 0, st.st_size,
                       st.st_blksize, 0, st.st_blocks, a[0], a[1], m[0], m[1], c[0], c[1], 0, 0)


def pack_statx(st) -> bytes:
    def ts(ns):
        return struct.pack("<qIi", ns // 1_000_000_000, ns % 1_000_000_000, 0)
    rdev = getattr(st, "st_rdev", 0)
    head = struct.pack("<IIQIIIHHQQQQ", 0x7FF, st.st_blksize, 0, st.st_nlink, st.st_uid, st.st_gid,
                       st.st_mode, 0, st.st_ino, st.st_size, st.st_blocks, 0)
    times = ts(st.st_atime_ns) + ts(st.st_ctime_ns) + ts(st.st_ctime_ns) + ts(st.st_mtime_ns)
    devs = struct.pack("<IIII", os.major(rdev), os.minor(rdev), os.major(st.st_dev), os.minor(st.st_dev))
    out = head + times + devs
    return out + bytes(256 - len(out))


def _dtype(mode: int) -> int:
    if stat.S_ISDIR(mode):
        return 4
    if stat.S_ISREG(mode):
        return 8
    if stat.S_ISLNK(mode):
        return 10
    if stat.S_ISCHR(mode):
        return 2
    if stat.S_ISFIFO(mode):
        return 1
    if stat.S_ISSOCK(mode):
        return 12
    if stat.S_ISBLK(mode):
        return 6
    return 0


def pack_rusage(ru, utime: float | None = None, stime: float | None = None) -> bytes:
    """A host ``resource.struct_rusage`` as the guests' struct rusage (144 bytes), with the
    user and system times ``utime`` and ``stime`` (seconds) in place of its own if given."""
    def tv(seconds):
        us = int(seconds * 1e6)
        return us // 1_000_000, us % 1_000_000
    utime = ru.ru_utime if utime is None else utime
    stime = ru.ru_stime if stime is None else stime
    return struct.pack("<4q14q", *tv(utime), *tv(stime), ru.ru_maxrss, ru.ru_ixrss,
                       ru.ru_idrss, ru.ru_isrss, ru.ru_minflt, ru.ru_majflt, ru.ru_nswap,
                       ru.ru_inblock, ru.ru_oublock, ru.ru_msgsnd, ru.ru_msgrcv,
                       ru.ru_nsignals, ru.ru_nvcsw, ru.ru_nivcsw)


# settimeofday: the kernel's TIME_SETTOD_SEC_MAX (KTIME_SEC_MAX less 30 years of uptime)
TIME_SETTOD_SEC_MAX = (2 ** 63 - 1) // 1_000_000_000 - 30 * 365 * 86400
# struct timex (adjtimex, clock_adjtime): its size on 64-bit Linux, the offset of ``tick``,
# and the ``modes`` bits the kernel's checks look at
TIMEX_SIZE, TIMEX_TICK = 208, 88
ADJ_OFFSET_SINGLESHOT, ADJ_FREQUENCY, ADJ_TICK, ADJ_OFFSET_READONLY = 0x0001, 0x0002, 0x4000, 0x2000
ADJ_SETOFFSET, ADJ_ADJTIME = 0x0100, 0x8000
ADJ_OFFSET_SS_READ = 0xA001        # ADJ_ADJTIME | ADJ_OFFSET_READONLY | ADJ_OFFSET_SINGLESHOT
PPM_SCALE = 1000 << 16             # the kernel's bound on ADJ_FREQUENCY's value: LLONG_MAX / it


@functools.cache
def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.times.restype = ctypes.c_long          # (a clock_t, not an int)
    return libc


# s: the longest time a timespec stands for (the kernel's KTIME_MAX ns: longer times saturate)
KTIME_MAX_S = (2 ** 63 - 1) / 1e9


def timespec_seconds(sec: int, nsec: int) -> float:
    """A (valid) timespec's time in seconds, saturated at KTIME_MAX as the kernel's
    timespec64_to_ktime does (a sleep of 2**63 - 1 s is one of about 292 years)."""
    return min(sec + nsec / 1e9, KTIME_MAX_S)


def pack_timespec(seconds: float) -> bytes:
    """``seconds`` (>= 0, at most KTIME_MAX_S) as a struct timespec."""
    ns = min(int(seconds * 1e9), 2 ** 63 - 1)
    return struct.pack("<qq", ns // 1_000_000_000, ns % 1_000_000_000)


def ktime_timespec(seconds: float) -> bytes:
    """A timer's value or interval (>= 0) as a struct timespec; KTIME_MAX and above exactly as
    the kernel's (9223372036 s 854775807 ns), which a float in seconds cannot hold."""
    if seconds >= KTIME_MAX_S:
        return pack_timespec(KTIME_MAX_S)
    return struct.pack("<qq", int(seconds), int(seconds % 1 * 1e9))


def ktime_timeval(seconds: float) -> bytes:
    """The same as a struct timeval (setitimer's, getitimer's: microseconds, truncated)."""
    if seconds >= KTIME_MAX_S:
        return struct.pack("<qq", 9223372036, 854775)
    return struct.pack("<qq", int(seconds), int(seconds % 1 * 1e6))


def _ranges_add(ranges: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """Sorted, disjoint [start, end) ranges with [start, end) added (merged)."""
    out = []
    for s, e in ranges:
        if e < start or s > end:
            out.append((s, e))
        else:
            start, end = min(s, start), max(e, end)
    out.append((start, end))
    return sorted(out)


def _ranges_sub(ranges: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    out = []
    for s, e in ranges:
        if s < start:
            out.append((s, min(e, start)))
        if e > end:
            out.append((max(s, end), e))
    return [(s, e) for s, e in out if s < e]


def _ranges_bytes(ranges) -> int:
    return sum(e - s for s, e in ranges)


def _ranges_overlap(ranges, start: int, end: int) -> int:
    return sum(max(0, min(e, end) - max(s, start)) for s, e in ranges)


class NotServed(Exception):
    """A handler's way to say 'this form of the call is not supported' (the runner then
    treats the call as unknown: SIGSYS with a note, or ENOSYS)."""

    def __init__(self, note: str = ""):
        super().__init__(note)
        self.note = note


class Syscalls:
    """Mixin for the Process: every ``sys_<name>`` method serves the call of that name."""

    # --- guest memory helpers -----------------------------------------------------------
    def rd(self, addr: int, size: int) -> bytes:
        if size == 0:
            return b""
        if not self.mem.is_mapped(addr, size, 1):
            raise GuestOSError(errno.EFAULT)
        return self.mem.read(addr, size)

    def wr(self, addr: int, data: bytes) -> None:
        if not data:
            return
        if not self.mem.is_mapped(addr, len(data), 2):
            raise GuestOSError(errno.EFAULT)
        self.mem.write(addr, data)

    def rd_u64(self, addr: int) -> int:
        return struct.unpack("<Q", self.rd(addr, 8))[0]

    def cstr(self, addr: int, limit: int = 4096) -> bytes:
        out = b""
        while len(out) < limit:
            i = self.mem.find(addr)
            if i < 0 or not self.mem.perms[i] & 1:
                raise GuestOSError(errno.EFAULT)
            n = min(256, self.mem.ends[i] - addr)
            chunk = self.mem.read(addr, n)
            z = chunk.find(b"\0")
            if z >= 0:
                return out + chunk[:z]
            out += chunk
            addr += n
        raise GuestOSError(errno.ENAMETOOLONG)

    def path_arg(self, addr: int) -> str:
        return os.fsdecode(self.cstr(addr))

    def dir_at(self, dirfd: int, path: str):
        """The directory a relative ``path`` starts from: None for the working directory
        (AT_FDCWD, or any absolute path), else the open directory ``dirfd``."""
        if path.startswith("/"):
            return None
        dirfd = s32(dirfd)
        if dirfd == AT_FDCWD:
            return None
        f = self.fds.get(dirfd)
        if getattr(f, "kind", "") != "dir":
            raise GuestOSError(errno.ENOTDIR)
        return f

    def lookup_at(self, dirfd: int, path: str, follow: bool = True, read: bool = False) -> F.Loc:
        """Resolve ``path`` relative to ``dirfd`` for one operation (Sandbox.lookup); ``read``:
        the operation only reads, so an absolute path may come from the sysroot. A name of
        one of the guest's own descriptors (/proc/self/fd/N ...) reaches that descriptor's
        file."""
        at = self.dir_at(dirfd, path)
        own = self.own_fd(dirfd, path)
        if own is not None:
            return self._own_fd_loc(own, follow, read)
        if isinstance(at, F.FdDir):            # "..", say: from the directory's path
            return self.sandbox.lookup(self.guest_name(dirfd, path), None, follow, read)
        return self.sandbox.lookup(path, at, follow, read)

    def own_fd(self, dirfd: int, path: str):
        """fs.own_fd_name of a guest path (relative to ``dirfd``), or None."""
        if path == "":
            return None
        return F.own_fd_name(self.guest_name(dirfd, path), self.pid)

    def own_fd_file(self, own) -> F.OpenFile | None:
        """The open file (N, "") names; ENOENT when there is no such descriptor."""
        n, _rest = own
        f = self.fds.fds.get(n) if n is not None and n >= 0 else None
        if f is None:
            raise GuestOSError(errno.ENOENT)
        return f

    def _own_fd_loc(self, own, follow: bool, read: bool) -> F.Loc:
        n, rest = own
        if n is None:
            raise GuestOSError(errno.EPERM)    # the directory itself: procfs changes nothing
        f = self.own_fd_file(own)
        if rest:                               # /proc/self/fd/N/name: N must be a directory
            if getattr(f, "kind", "") != "dir":
                raise GuestOSError(errno.ENOTDIR)
            if isinstance(f, F.FdDir):
                return self.sandbox.lookup(f.guest_path + "/" + rest, None, follow, read)
            return self.sandbox.lookup(rest, f, follow, read)
        if not follow:
            raise GuestOSError(errno.EPERM)    # the link itself cannot be changed
        hfd = f.host_fd()
        if hfd is None:
            raise GuestOSError(errno.EACCES)   # nothing on disk: a pipe of the run's own, a device
        # the host's magic link of the host descriptor: the guest's file (a symbolic link
        # reached through it is never followed by the kernel, so this cannot leave a root)
        return F.Loc(None, f"/proc/self/fd/{hfd}", f.guest_path or f"/proc/self/fd/{n}", follow=True,
                     owned=False, in_sysroot=getattr(f, "in_sysroot", False),
                     in_tmp=getattr(f, "in_tmp", False), display=getattr(f, "host_path", ""),
                     frozen=getattr(f, "frozen", False))

    def guest_name(self, dirfd: int, path: str) -> str:
        """The lexical absolute form of a guest path (to recognize /proc/self/exe, /dev/null)."""
        at = self.dir_at(dirfd, path)
        return F.normalize(self.sandbox.absolute(path, None if at is None else at.guest_path))

    # --- process (exit, gettid, set_tid_address, futex, tgkill: threads.py) ----------------
    def sys_rseq(self, *_):
        return -errno.ENOSYS

    def sys_getpid(self, *_):
        return self.pid


    def sys_getppid(self, *_):
        return 1

    # (getuid, setuid and the other ids: creds.py)

    def sys_getpgid(self, *_):
        return PID

    sys_getsid = sys_getpgid

    def sys_setpgid(self, *_):
        return 0

    def sys_umask(self, mask, *_):
        old, self.umask = self.umask, mask & 0o777
        return old

    def sys_prctl(self, option, arg2, *_):
        if option == PR_SET_NAME:
            self.comm = self.cstr(arg2)[:15]
            return 0
        if option == PR_GET_NAME:
            name = self.comm if self.comm is not None else \
                os.fsencode(os.path.basename(self.sandbox.exe_guest))[:15]
            self.wr(arg2, name.ljust(16, b"\0"))
            return 0
        if option == PR_GET_DUMPABLE:
            return self.dumpable
        if option == PR_SET_DUMPABLE:
            if arg2 not in (0, 1):
                return -errno.EINVAL
            self.dumpable = arg2
            return 0
        if option == PR_SET_NO_NEW_PRIVS:
            return 0
        return -errno.EINVAL     # as a kernel that lacks the option (PR_SET_VMA, ...)

    def sys_personality(self, persona, *_):
        """personality(2): the persona before; 0xffffffff only asks. It is kept across fork
        and execve, as on Linux (a set-uid exec aside). xld runs PER_LINUX with the flags it
        honours (PERSONALITY_HONOURED); any other persona is refused (EINVAL) rather than
        taken and not acted on. It answered 0 to every call: personality(0xffffffff) after
        personality(ADDR_NO_RANDOMIZE) said 0 (Linux: 0x40000)."""
        persona &= 0xFFFF_FFFF
        old = self.personality
        if persona != 0xFFFF_FFFF:
            if persona & ~PERSONALITY_HONOURED:
                return -errno.EINVAL
            self.personality = persona
        return old

    def sys_uname(self, buf, *_):
        """The kernel xld run plays (6.1.0, the program's machine), on the host's node and
        domain names, as qemu-user gives them (BusyBox's hostname tests compare `busybox
        hostname` with the host's `hostname`); under --root the machine stays anonymous
        ("xld", "(none)")."""
        node, domain = b"xld", b"(none)"
        if self.sandbox.host_view:
            node = os.uname().nodename.encode()[:64]
            try:
                with open("/proc/sys/kernel/domainname", "rb") as f:
                    domain = f.read().strip()[:64] or domain
            except OSError:
                pass
        fields = [b"Linux", node, b"6.1.0", b"#1 SMP PREEMPT xld-run",
                  self.arch.uname_machine.encode(), domain]
        self.wr(buf, b"".join(f.ljust(65, b"\0") for f in fields))
        return 0

    def sys_prlimit64(self, pid, resource, new, old, *_):
        """Limits as the program set them. RLIMIT_NOFILE bounds its descriptors (EMFILE),
        RLIMIT_SIGPENDING its queued signals (sigqueue's EAGAIN: Pending.put); the others are remembered and reported, not enforced (the run's own budgets are
        --max-memory and friends: see Limits and defaults in docs/run.md)."""
        if s32(pid) not in (0, self.pid):
            raise NotServed("prlimit64 of another process")
        if resource >= RLIM_NLIMITS:
            return -errno.EINVAL
        cur = self.rlimits.get(resource, _RLIMIT_DEFAULTS.get(resource, (RLIM_INFINITY, RLIM_INFINITY)))
        if new:
            soft, hard = struct.unpack("<QQ", self.rd(new, 16))
            if soft > hard:
                return -errno.EINVAL
            if resource == RLIMIT_NOFILE and hard > NR_OPEN:
                return -errno.EPERM
        if old:
            self.wr(old, struct.pack("<QQ", *cur))
        if new:
            self.rlimits[resource] = (soft, hard)
            if resource == RLIMIT_NOFILE:
                self.fds.max_fds = soft
            if resource == RLIMIT_SIGPENDING:
                self.queued_count.limit = self.sigpending_limit()
        return 0

    def sigpending_limit(self) -> int:
        """How many signal instances the process may queue: RLIMIT_SIGPENDING's soft limit, at
        most MAX_QUEUED_SIGNALS (Pending.put)."""
        soft = self.rlimits.get(RLIMIT_SIGPENDING, _RLIMIT_DEFAULTS[RLIMIT_SIGPENDING])[0]
        return min(soft, MAX_QUEUED_SIGNALS)

    def sys_getrlimit(self, resource, old, *_):
        return self.sys_prlimit64(0, resource, 0, old)

    def sys_setrlimit(self, resource, new, *_):
        return self.sys_prlimit64(0, resource, new, 0)

    def sys_getpriority(self, which, who, *_):
        if which > 2:
            return -errno.EINVAL
        if which != 0 or who not in (0, self.pid):        # PRIO_PROCESS of the program itself
            raise NotServed("getpriority of another process, group or user")
        return 20 - self.nice                              # the kernel's encoding: 40..1

    def sys_setpriority(self, which, who, prio, *_):
        if which > 2:
            return -errno.EINVAL
        if which != 0 or who not in (0, self.pid):
            raise NotServed("setpriority of another process, group or user")
        nice = max(-20, min(19, s32(prio)))
        if nice < self.nice and not host_ids()[2]:
            import resource             # the kernel's can_nice: RLIMIT_NICE, or CAP_SYS_NICE
            if 20 - nice > resource.getrlimit(resource.RLIMIT_NICE)[0]:
                return -errno.EACCES
        self.nice = nice
        return 0

    def sys_getrusage(self, who, buf, *_):
        """The emulator's own usage, as qemu-user reports its own: the guest's CPU time is
        the host process's (timers.py), its children are host processes. RUSAGE_THREAD: the
        calling thread's CPU time split as its user and system counts are (the kernel's
        cputime_adjust: they add up to its CPU time), the other fields the process's."""
        import resource
        who = s32(who)
        if who not in (0, -1, 1):        # RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD
            return -errno.EINVAL
        ru = resource.getrusage(resource.RUSAGE_CHILDREN if who == -1 else resource.RUSAGE_SELF)
        if who == 1:
            prof, user, cpu = (self.thread_cpu_ns(self.cur, kind) for kind in (0, 1, 2))
            user = cpu * user // prof if prof else cpu
            self.wr(buf, pack_rusage(ru, user / 1e9, (cpu - user) / 1e9))
        else:
            self.wr(buf, pack_rusage(ru))
        return 0

    def sys_sysinfo(self, buf, *_):
        info = struct.pack("<q3Q6QHHxxxxQQI", int(time.monotonic()), 0, 0, 0, 4 << 30, 2 << 30,
                           0, 0, 0, 0, 1, 0, 0, 0, 1)
        self.wr(buf, info.ljust(112, b"\0"))
        return 0

    def sys_getrandom(self, buf, size, flags, *_):
        if flags & ~7:                     # GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE
            return -errno.EINVAL
        size = min(size, 1 << 20)
        self.wr(buf, os.urandom(size))
        return size

    # Scheduling policies are the program's view (as its niceness is): recorded, reported,
    # inherited as Linux's, with Linux's checks (__sched_setscheduler); the host threads that
    # run the program keep the emulator's own.
    def _sched_own(self, pid, call: str) -> int:
        """Whose policy ``pid`` names: 0 for the caller's process or one of its threads; the
        host pid of a process this run did not start (the guest sees the host's pids: Linux's
        answer is the host's). EINVAL: < 0; ESRCH: no process has it (the kernel's
        find_process_by_pid). Another process of the run: minus its host pid (its policy is
        on the run's SchedBoard)."""
        pid = s32(pid)
        if pid < 0:
            raise GuestOSError(errno.EINVAL)
        if pid in (0, self.pid) or pid in self.threads:
            return 0
        if not self.pid_exists(pid):
            raise GuestOSError(errno.ESRCH)
        if self.of_this_run(pid):
            return -self.host_of(pid)
        return self.host_of(pid)

    # A process's policy where another process of the run may see or change it: schedboard.py
    def sched_board(self):
        from .schedboard import SchedBoard
        if self.sched_board_file is None:
            self.sched_board_file = SchedBoard(self.run_token)
        return self.sched_board_file

    def _sched_forked(self) -> bool:
        return self.run_lock is not None or self.forked_child      # (made at the first fork)

    def own_sched(self) -> tuple[int, int, bool]:
        """This process's policy: another process of the run may have set it."""
        if self._sched_forked():
            v = self.sched_board().get(self.host_pid)
            if v is not None:
                self.sched = v
        return self.sched

    def _sched_state(self, who: int) -> tuple[int, int, bool]:
        """(policy, priority, reset on fork) of the caller (0) or of another process of the
        run (minus its host pid)."""
        if who == 0:
            return self.own_sched()
        return self.sched_board().get(-who) or self.sched0

    def _sched_store(self, who: int, sched: tuple[int, int, bool]) -> None:
        if who == 0:
            self.sched = sched
            if self._sched_forked():
                self.sched_board().put(self.host_pid, sched)
        else:
            self.sched_board().put(-who, sched)

    def sched_publish(self, child: int = 0) -> None:
        """At a fork, in the parent: its policy on the board (before the fork), and its
        child's (``child``: its host pid; after the fork, before the parent's guest goes on,
        so that the parent's sched_setscheduler of the child is never overwritten — the
        child writes no line of its own at its start), when it is not the run's first one
        (or the board is in use)."""
        pid, sched = (child, self.child_sched()) if child else (self.host_pid, self.sched)
        if sched != self.sched0 or self.sched_board().exists():
            self.sched_board().put(pid, sched)

    @staticmethod
    def _host_call(fn, *args):
        try:
            return fn(*args)
        except OSError as e:
            raise GuestOSError(e.errno or errno.ESRCH) from None

    def sys_sched_getscheduler(self, pid, *_):
        host = self._sched_own(pid, "sched_getscheduler")
        if host > 0:
            return self._host_call(os.sched_getscheduler, host)
        policy, _prio, reset = self._sched_state(host)
        return policy | (SCHED_RESET_ON_FORK if reset else 0)

    def sys_sched_getparam(self, pid, param, *_):
        if s32(pid) < 0 or not param:
            return -errno.EINVAL
        host = self._sched_own(pid, "sched_getparam")
        prio = self._host_call(os.sched_getparam, host).sched_priority if host > 0 \
            else self._sched_state(host)[1]
        self.wr(param, struct.pack("<i", prio))
        return 0

    def sys_sched_setscheduler(self, pid, policy, param, *_):
        policy = s32(policy)
        if policy < 0:
            return -errno.EINVAL
        return self._sched_set(pid, policy, param)

    def sys_sched_setparam(self, pid, param, *_):
        return self._sched_set(pid, -1, param)

    def _sched_set(self, pid, policy: int, param):
        """sched_setscheduler (``policy`` >= 0, SCHED_RESET_ON_FORK or'ed in) and sched_setparam
        (-1: the policy kept), with the kernel's checks in its order: EINVAL for a bad pid,
        parameter, policy or priority (1..99 for SCHED_FIFO and SCHED_RR, 0 for the others;
        SCHED_DEADLINE needs sched_setattr's runtime), then EPERM for an unprivileged caller's
        real-time policy or priority beyond RLIMIT_RTPRIO, a way out of SCHED_IDLE that
        RLIMIT_NICE does not allow, or dropping SCHED_RESET_ON_FORK."""
        if not param or s32(pid) < 0:
            return -errno.EINVAL
        prio = struct.unpack("<i", self.rd(param, 4))[0] & 0xFFFFFFFF
        call = "sched_setscheduler" if policy >= 0 else "sched_setparam"
        host = self._sched_own(pid, call)
        old_policy, old_prio, old_reset = self._sched_state(min(host, 0))
        if host > 0:
            old_policy = self._host_call(os.sched_getscheduler, host)
            old_reset, old_policy = bool(old_policy & SCHED_RESET_ON_FORK), old_policy & ~SCHED_RESET_ON_FORK
        if policy < 0:
            policy, reset = old_policy, old_reset
        else:
            reset = bool(policy & SCHED_RESET_ON_FORK)
            policy &= ~SCHED_RESET_ON_FORK
            if policy not in (0, 1, 2, 3, 5, 6):
                return -errno.EINVAL
        rt = policy in (1, 2)
        if prio > 99 or policy == 6 or rt != (prio != 0):
            return -errno.EINVAL
        if host > 0:        # a host process: EPERM unless the caller owns it (check_same_owner)
            if not host_ids()[2] and host_ids()[0] not in _host_uids(host):
                return -errno.EPERM
            raise NotServed(f"{call} of a process this run did not start")
        if not host_ids()[2]:
            import resource
            rtprio = self.rlimits.get(RLIMIT_RTPRIO, resource.getrlimit(resource.RLIMIT_RTPRIO))[0]
            nice_ok = 20 - self.nice <= self.rlimits.get(RLIMIT_NICE, resource.getrlimit(resource.RLIMIT_NICE))[0]
            if rt and (policy != old_policy and not rtprio or prio > old_prio and prio > rtprio):
                return -errno.EPERM
            if old_policy == 5 and policy != 5 and not nice_ok:
                return -errno.EPERM
            if old_reset and not reset:
                return -errno.EPERM
        # (another process of the run: the same owner; its limits are taken to be the caller's)
        self._sched_store(host, (policy, prio, reset))
        return 0

    def sys_sched_rr_get_interval(self, pid, tp, *_):
        """The round-robin time slice: 0 for SCHED_FIFO, the kernel's (sched_rr_timeslice_ms)
        for SCHED_RR, for the others the host's for the calling thread (what its fair
        scheduler gives it now), as qemu-user's is."""
        host = self._sched_own(pid, "sched_rr_get_interval")
        if host > 0:
            ns = round(self._host_call(os.sched_rr_get_interval, host) * 1e9)
            self.wr(tp, struct.pack("<qq", ns // 1_000_000_000, ns % 1_000_000_000))
            return 0
        policy = self._sched_state(host)[0]
        if policy == 1:
            seconds = 0.0
        elif policy == 2:
            try:
                with open("/proc/sys/kernel/sched_rr_timeslice_ms") as f:
                    seconds = int(f.read()) / 1000
            except (OSError, ValueError):
                seconds = 0.1                                 # RR_TIMESLICE
        else:
            seconds = os.sched_rr_get_interval(0)
        ns = round(seconds * 1e9)
        self.wr(tp, struct.pack("<qq", ns // 1_000_000_000, ns % 1_000_000_000))
        return 0

    def sched_after_fork(self) -> None:
        """A child of a process with SCHED_RESET_ON_FORK starts with SCHED_OTHER (and a
        niceness of at least 0), the flag cleared, as on Linux."""
        policy, _prio, reset = self.sched
        if reset:
            rt = policy in (1, 2, 6)
            self.sched = self.child_sched()
            self.nice = 0 if rt else max(self.nice, 0)

    def child_sched(self) -> tuple[int, int, bool]:
        """The policy a child of this process starts with (sched_after_fork)."""
        policy, prio, reset = self.sched
        if reset:
            return (0 if policy in (1, 2, 6) else policy, 0, False)
        return (policy, prio, reset)

    def sys_sched_get_priority_max(self, policy, *_):
        """The static priority range of a policy, as Linux gives it: 1 to 99 for SCHED_FIFO and
        SCHED_RR, 0 for SCHED_OTHER, SCHED_BATCH, SCHED_IDLE and SCHED_DEADLINE, EINVAL for
        another."""
        policy = s32(policy)
        return 99 if policy in (1, 2) else 0 if policy in (0, 3, 5, 6) else -errno.EINVAL

    def sys_sched_get_priority_min(self, policy, *_):
        policy = s32(policy)
        return 1 if policy in (1, 2) else 0 if policy in (0, 3, 5, 6) else -errno.EINVAL

    def sys_sched_yield(self, *_):
        return 0

    def sys_membarrier(self, *_):
        return 0

    # --- signals (recorded, default actions only) ----------------------------------------
    def sys_rt_sigaction(self, sig, act, oact, sigsetsize, *_):
        if not 1 <= sig <= 64 or sig in (9, 19) and act:
            return -errno.EINVAL
        size = 32 if self.arch.name == "arm64" else 24
        if oact:
            self.wr(oact, self.sigactions.get(sig, bytes(size)))
        if act:
            self.sigactions[sig] = self.rd(act, size)
        return 0

    def sys_rt_sigprocmask(self, how, nset, oset, size, *_):
        if oset:
            self.wr(oset, struct.pack("<Q", self.sigmask))
        if nset:
            m = struct.unpack("<Q", self.rd(nset, 8))[0]
            if how == 0:
                self.sigmask |= m
            elif how == 1:
                self.sigmask &= ~m
            elif how == 2:
                self.sigmask = m
            else:
                return -errno.EINVAL
            self.sigmask &= ~((1 << 8) | (1 << 18))   # SIGKILL, SIGSTOP cannot be blocked
            self.mask_changed()
        return 0

    def sys_rt_sigpending(self, buf, size, *_):
        """rt_sigpending(2): a set larger than the kernel's (8 bytes) is EINVAL; a smaller one
        gets that many bytes of it, as Linux copies them."""
        if size > 8:
            return -errno.EINVAL
        self.catch_up_all()             # (timers already due, whose host threads are late)
        pending = sum(1 << (sig - 1) for sig in self.blocked_pending) | self.unrouted_blocked()
        self.wr(buf, struct.pack("<Q", pending)[:size])
        return 0

    def raise_signal(self, sig: int, reason: str = "", code: int = -6, value: int = 0,
                     to_thread: bool | None = None):
        """``sig`` sent by the program to itself, with siginfo's ``code`` (SI_TKILL: raise,
        tgkill; SI_USER: kill, a broken pipe; SI_QUEUE: sigqueue, with its ``value``;
        ``to_thread``: Pending.put's). -EAGAIN when it would queue one instance too many."""
        if sig == 0:
            return 0
        if not 1 <= sig <= 64:
            return -errno.EINVAL
        act = self.sigactions.get(sig)
        handler = struct.unpack_from("<Q", act)[0] if act else SIG_DFL
        if (self.forked_child and (sig == 19 or sig in (20, 21, 22) and handler == SIG_DFL
                                   and not self.sigmask & (1 << (sig - 1)))):
            # a stop signal's default action: a forked process is a host process of its own,
            # which stops until a SIGCONT (its parent's waitpid sees it stopped, then continued)
            os.kill(os.getpid(), signal.SIGSTOP)
            return 0
        if sig not in (9, 19):
            if handler == SIG_IGN or (handler == SIG_DFL and sig in _DEFAULT_IGNORED):
                return 0
        if handler not in (SIG_DFL, SIG_IGN) and sig not in (9, 19):
            return self.queue_self_signal(sig, code, value, to_thread)
        if sig not in (9, 19) and self.sigmask & (1 << (sig - 1)):
            # blocked: pending until unblocked (then it kills: signals.mask_changed) or taken
            # by sigtimedwait, as on Linux (it once killed at once)
            return self.blocked_pending.put(sig, code, value, to_thread)
        self.terminate(signal=sig, reason=reason or f"killed by {SIGNAL_NAMES.get(sig, sig)} "
                       f"sent by the program itself", report=sig != 13)
        return None

    def sys_kill(self, pid, sig, *_):
        if s32(pid) not in (PID, 0, -1):
            return -errno.ESRCH
        return self.raise_signal(sig, code=0)          # SI_USER

    # --- time ---------------------------------------------------------------------------
    _CLOCKS = {0: time.CLOCK_REALTIME, 1: time.CLOCK_MONOTONIC, 2: time.CLOCK_PROCESS_CPUTIME_ID,
               3: time.CLOCK_THREAD_CPUTIME_ID, 4: getattr(time, "CLOCK_MONOTONIC_RAW", 1),
               5: time.CLOCK_REALTIME, 6: time.CLOCK_MONOTONIC,
               7: getattr(time, "CLOCK_BOOTTIME", 1), 11: getattr(time, "CLOCK_TAI", 0)}

    def sys_clock_gettime(self, clk, tp, *_):
        c = self._CLOCKS.get(s32(clk))
        if c is None:
            return -errno.EINVAL
        ns = time.clock_gettime_ns(c)
        self.wr(tp, struct.pack("<qq", ns // 1_000_000_000, ns % 1_000_000_000))
        return 0

    def sys_clock_getres(self, clk, tp, *_):
        c = self._CLOCKS.get(s32(clk))
        if c is None:
            return -errno.EINVAL
        if tp:      # the host's: 1 ns, or a tick for the coarse clocks
            ns = round(time.clock_getres(s32(clk)) * 1e9)
            self.wr(tp, struct.pack("<qq", ns // 1_000_000_000, ns % 1_000_000_000))
        return 0

    def sys_clock_settime(self, clk, tp, *_):
        """Of the fixed clocks only CLOCK_REALTIME has a setter (the others: EINVAL, as a
        dynamic clock's id, which names no clock here); xld never sets the host's clock: an
        unprivileged caller gets the kernel's EPERM, root's call is refused (not served)."""
        if s32(clk) != 0:
            return -errno.EINVAL
        sec, nsec = struct.unpack("<qq", self.rd(tp, 16))
        if sec < 0 or not 0 <= nsec < 1_000_000_000:
            return -errno.EINVAL
        if not host_ids()[2]:
            return -errno.EPERM
        raise NotServed("setting the host's CLOCK_REALTIME")

    def sys_gettimeofday(self, tv, tz, *_):
        ns = time.time_ns()
        if tv:
            self.wr(tv, struct.pack("<qq", ns // 1_000_000_000, (ns // 1000) % 1_000_000))
        if tz:
            self.wr(tz, bytes(8))
        return 0

    def _sleep(self, req, rem=0, name="nanosleep"):
        """A relative sleep; a signal ends it with EINTR and the time left written to ``rem``
        (never restarted, SA_RESTART or not: signal(7))."""
        sec, nsec = struct.unpack("<qq", self.rd(req, 16))
        if sec < 0 or not 0 <= nsec < 1_000_000_000:
            return -errno.EINVAL
        seconds = timespec_seconds(sec, nsec)
        deadline = time.monotonic() + seconds

        def interrupted():
            if rem:
                self.wr(rem, pack_timespec(max(0.0, deadline - time.monotonic())))
            return -errno.EINTR

        if len(self.threads) > 1:     # the others run meanwhile (threads.py)
            return self.sleep_until(deadline, name, interrupted)
        if self.wait_for_signal(seconds):
            return interrupted()
        return 0

    def sys_nanosleep(self, req, rem, *_):
        return self._sleep(req, rem)

    def sys_clock_nanosleep(self, clk, flags, req, rem, *_):
        clk = s32(clk)
        if clk not in self._CLOCKS or clk == 3:         # no sleeping on a thread's CPU clock
            return -errno.EINVAL
        if clk in (4, 5, 6):                            # MONOTONIC_RAW and the coarse clocks
            return -errno.EOPNOTSUPP
        if flags & 1:  # TIMER_ABSTIME
            sec, nsec = struct.unpack("<qq", self.rd(req, 16))
            if sec < 0 or not 0 <= nsec < 1_000_000_000:
                return -errno.EINVAL              # (it slept not at all and said 0)
            c = self._CLOCKS.get(s32(clk), time.CLOCK_MONOTONIC)
            delay = timespec_seconds(sec, nsec) - time.clock_gettime(c)
            if delay > 0 and len(self.threads) > 1:
                return self.sleep_until(time.monotonic() + delay, "clock_nanosleep")
            if delay > 0 and self.wait_for_signal(delay):
                return -errno.EINTR
            return 0
        return self._sleep(req, rem, "clock_nanosleep")

    def sys_times(self, buf, *_):
        """The host's times(): CPU times in clock ticks (AT_CLKTCK: 100, Linux's USER_HZ on
        every machine), the host process's and its children's (getrusage's), and its result,
        the kernel's jiffies in clock ticks, whole (a clock_t, as qemu-user passes it on)."""
        tms = (ctypes.c_long * 4)()
        ticks = _libc().times(tms)
        if buf:
            self.wr(buf, struct.pack("<4q", *tms))
        return ticks

    def sys_settimeofday(self, tv, tz, *_):
        """xld never sets the host's clock nor its time zone: the kernel's checks (EFAULT,
        EINVAL), then an unprivileged caller gets its EPERM (CAP_SYS_TIME), even for two
        NULLs; root's call that would change something is refused (not served). glibc's and
        musl's settimeofday with a time go through clock_settime; glibc's with only a zone
        comes here."""
        if tv:
            sec, usec = struct.unpack("<qq", self.rd(tv, 16))
            if not 0 <= usec <= 1_000_000:        # (the kernel's first test lets 1e6 through)
                return -errno.EINVAL
        if tz:
            minuteswest, _dst = struct.unpack("<ii", self.rd(tz, 8))
        if tv and not (0 <= sec < TIME_SETTOD_SEC_MAX and usec < 1_000_000):
            return -errno.EINVAL                   # timespec64_valid_settod
        if not host_ids()[2]:
            return -errno.EPERM
        if tz and not -15 * 60 <= minuteswest <= 15 * 60:
            return -errno.EINVAL
        if tv or tz:
            raise NotServed("setting the host's time or time zone")
        return 0

    def sys_adjtimex(self, buf, *_):
        """adjtimex, as clock_adjtime(CLOCK_REALTIME): a read (modes 0, or adjtime's read-only
        ADJ_OFFSET_SS_READ) is the host's; a change is the kernel's EPERM (CAP_SYS_TIME) for an
        unprivileged caller after its EINVAL checks, and refused (not served) for root. The
        struct timex (208 bytes) is the same on every 64-bit Linux, the host's included; it is
        written back whatever the result, as the kernel writes it."""
        raw = self.rd(buf, TIMEX_SIZE)
        r = self._adjtimex(raw)
        if isinstance(r, tuple):
            r, raw = r
        self.wr(buf, raw)
        return r

    def sys_clock_adjtime(self, clk, buf, *_):
        """CLOCK_REALTIME's is adjtimex's; the other clocks the kernel knows have no adjtime
        (EOPNOTSUPP, the CPU-time clocks too, whichever thread or process they name); an id
        that names no clock (a dynamic one's descriptor here) is EINVAL. The struct timex is
        written back on success only."""
        raw = self.rd(buf, TIMEX_SIZE)
        clk = s32(clk)
        if clk < 0:
            return -errno.EINVAL if clk & 7 == 3 else -errno.EOPNOTSUPP
        if clk not in self._CLOCKS and clk not in (8, 9):   # (8, 9: the alarm clocks)
            return -errno.EINVAL
        if clk != 0:
            return -errno.EOPNOTSUPP
        r = self._adjtimex(raw)
        if isinstance(r, tuple):
            r, raw = r
            self.wr(buf, raw)
        return r

    @staticmethod
    def _adjtimex(raw: bytes):
        """The kernel's timekeeping_validate_timex for a caller with or without CAP_SYS_TIME
        (root): -errno, or (the clock's state, the struct timex as the host filled it) for a
        read."""
        modes = struct.unpack_from("<I", raw)[0]
        privileged = host_ids()[2]
        if modes & ADJ_ADJTIME:
            if not modes & ADJ_OFFSET_SINGLESHOT:
                return -errno.EINVAL
            if not modes & ADJ_OFFSET_READONLY and not privileged:
                return -errno.EPERM
        else:
            if modes and not privileged:
                return -errno.EPERM
            if modes & ADJ_TICK:
                tick = struct.unpack_from("<q", raw, TIMEX_TICK)[0]
                if not 9000 <= tick <= 11000:
                    return -errno.EINVAL
        if modes & ADJ_SETOFFSET and not privileged:
            return -errno.EPERM
        if modes & ADJ_FREQUENCY:
            freq = struct.unpack_from("<q", raw, 16)[0]
            if not -(2 ** 63 // PPM_SCALE) <= freq <= (2 ** 63 - 1) // PPM_SCALE:
                return -errno.EINVAL
        reads = not modes or (modes & ADJ_OFFSET_SS_READ == ADJ_OFFSET_SS_READ
                              and not modes & ADJ_SETOFFSET)     # (the other bits: ignored)
        if not reads:
            raise NotServed("adjusting the host's clock")
        tx = ctypes.create_string_buffer(raw, TIMEX_SIZE)
        r = _libc().adjtimex(tx)
        if r < 0:
            return -(ctypes.get_errno() or errno.EPERM)
        return r, tx.raw

    # --- memory -------------------------------------------------------------------------
    def sys_brk(self, addr, *_):
        return self.mem.brk(addr)

    def sys_mmap(self, addr, length, prot, flags, fd, offset, *_):
        """Anonymous and file mappings. A MAP_PRIVATE file mapping is a private copy of the
        file's bytes; a MAP_SHARED one is the host's pages of the file (the kernel keeps them
        coherent with write() and with other processes' mappings); the part of the last page
        past the end of the file reads as zeros."""
        if length == 0 or addr & (PAGE - 1) or offset & (PAGE - 1):
            return -errno.EINVAL
        m = self.mem
        if length > m.limit:
            return -errno.ENOMEM
        if offset >= 1 << 63:
            return -errno.EOVERFLOW
        if flags & MAP_TYPE not in (MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE):
            return -errno.EINVAL
        size = page_up(length)
        prot &= 7
        if len(m.starts) >= MAX_MAP_COUNT:
            return -errno.ENOMEM       # as Linux past vm.max_map_count
        f = None
        if not flags & MAP_ANONYMOUS:
            f = self.fds.get(s32(fd))
            zero = isinstance(f, F.Device) and f.name == "zero"
            if not zero and (not isinstance(f, F.HostFile) or f.is_dir):
                return -errno.ENODEV if not isinstance(f, F.HostFile) else -errno.EACCES
            if not f.readable:
                return -errno.EACCES
            if flags & MAP_SHARED and prot & 2 and not f.writable:
                return -errno.EACCES
            if zero:
                # Linux: /dev/zero's pages are anonymous memory (MAP_SHARED ones shared with
                # forked children); it was ENODEV here
                flags |= MAP_ANONYMOUS
                f = None
        if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE):
            low = mmap_min_addr()
            if not m.user_range(addr, size, bottom=low):
                return -errno.EPERM if addr < low else -errno.ENOMEM
            if flags & MAP_FIXED_NOREPLACE and m.mapped_bytes(addr, addr + size):
                return -errno.EEXIST
            where = addr
        elif addr and m.user_range(addr, size) and m.mapped_bytes(addr, addr + size) == 0 \
                and addr + size <= m.mmap_top:
            where = addr
        else:
            try:
                where = m.find_free(size)
            except OutOfMemory:
                return -errno.ENOMEM
        lock = self.lock_future or bool(flags & MAP_LOCKED)
        if lock and not self._lock_ok(where, size):
            return -errno.EAGAIN        # mlock_future_ok: beyond RLIMIT_MEMLOCK
        shared = flags & MAP_TYPE in (MAP_SHARED, MAP_SHARED_VALIDATE)
        file = None
        if f is not None and shared:
            # the host's pages of the file (memory.py's _map_file), through the descriptor
            # the guest (and the sandbox) opened
            file = (f.fd, offset, size, f.writable)
        try:
            m.map(where, size, prot, "[anon]" if f is None else f.guest_path,
                  shared=f is None and shared, file=file)
        except OutOfMemory:
            return -errno.ENOMEM
        if self.locked or lock:        # what it replaced goes unlocked; it is locked if asked
            self.locked = _ranges_sub(self.locked, where, where + size)
            if lock:
                self.locked = _ranges_add(self.locked, where, where + size)
        if f is not None and f.host_path:
            self.module_files[f.guest_path] = f.host_path
        if f is not None and file is None:
            done = 0
            while done < length:       # in pieces: the host holds at most MAX_IO at a time
                data = f.pread(min(MAX_IO, length - done), offset + done)
                if not data:
                    break
                m.write(where + done, data)
                done += len(data)
        return where

    def sys_munmap(self, addr, length, *_):
        if addr & (PAGE - 1) or length == 0 or not self.mem.user_range(addr, length, bottom=0):
            return -errno.EINVAL
        self.mem.unmap(addr, length)
        if self.locked:                 # (locked pages unmapped are no longer counted)
            self.locked = _ranges_sub(self.locked, addr, page_up(addr + length))
        return 0

    def sys_mprotect(self, addr, length, prot, *_):
        if addr & (PAGE - 1):
            return -errno.EINVAL
        if length == 0:
            return 0
        if not self.mem.user_range(addr, length, bottom=0):
            return -errno.ENOMEM
        if prot & PROT_GROWSDOWN:
            # the change reaches down to the bottom of the stack (ld.so's
            # _dl_make_stack_executable names one page); only the stack grows down
            i = self.mem.find(addr)
            if i < 0 or self.mem.names[i] != "[stack]":
                return -errno.EINVAL
            length += addr - STACK_BOTTOM
            addr = STACK_BOTTOM
        if prot & 2 and self.mem.host_readonly(addr, addr + page_up(length)):
            return -errno.EACCES   # a MAP_SHARED mapping of a file opened read-only
        return 0 if self.mem.protect(addr, length, prot & 7) else -errno.ENOMEM

    def sys_mremap(self, old, old_size, new_size, flags, new_addr, *_):
        m = self.mem
        if old & (PAGE - 1) or new_size == 0:
            return -errno.EINVAL
        if new_size > m.limit or not m.user_range(old, old_size, bottom=0):
            return -errno.ENOMEM
        old_size, new_size = page_up(old_size), page_up(new_size)
        i = m.find(old)
        if i < 0:
            return -errno.EFAULT
        perm, name = m.perms[i], m.names[i]
        # like the kernel: the old range must be one mapping (adjacent equal ones merge)
        a = old
        while a < old + old_size:
            j = m.find(a)
            if j < 0 or m.perms[j] != perm:
                return -errno.EFAULT
            a = m.ends[j]
        if flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP):
            return -errno.EINVAL
        if flags & MREMAP_DONTUNMAP:
            raise NotServed("mremap with MREMAP_DONTUNMAP")
        if m.is_shared(old, old + old_size) and (new_size > old_size or flags & MREMAP_FIXED):
            fm = m.file_mapping(old, old + old_size)
            if fm is None:
                raise NotServed("mremap growing or moving a MAP_SHARED|MAP_ANONYMOUS mapping")
            return self._mremap_file(fm, old, old_size, new_size, flags, new_addr, perm, name)
        if flags & MREMAP_FIXED:
            if not self._fixed_target_ok(old, old_size, new_size, flags, new_addr):
                return -errno.EINVAL
            return self._mremap_fixed(old, old_size, new_size, new_addr, perm, name)
        if new_size <= old_size:
            if new_size < old_size:
                m.unmap(old + new_size, old_size - new_size)
            return old
        try:
            if m.mapped_bytes(old + old_size, old + new_size) == 0 and old + new_size <= m.mmap_top + (1 << 36):
                m.map(old + old_size, new_size - old_size, perm, name)
                return old
            if not flags & MREMAP_MAYMOVE:
                return -errno.ENOMEM
            where = m.find_free(new_size)
            m.map(where, new_size, perm, name)
        except OutOfMemory:
            return -errno.ENOMEM
        for off in range(0, old_size, MAX_IO):
            m.write(where + off, m.read(old + off, min(MAX_IO, old_size - off)))
        m.unmap(old, old_size)
        return where

    def _fixed_target_ok(self, old, old_size, new_size, flags, new_addr) -> bool:
        """May MREMAP_FIXED move the mapping to ``new_addr``? Only with MREMAP_MAYMOVE, to a
        page-aligned range apart from the old one (the kernel's EINVAL otherwise)."""
        return (bool(flags & MREMAP_MAYMOVE) and not new_addr & (PAGE - 1)
                and not (new_addr < old + old_size and old < new_addr + new_size)
                and self.mem.user_range(new_addr, new_size, bottom=0))

    def _mremap_file(self, fm, old, old_size, new_size, flags, new_addr, perm, name):
        """mremap growing or moving a MAP_SHARED file mapping: the file's pages mapped anew
        where it goes (in place, or moved as the flags allow), from the same file offset; what
        the program stored there is the file's already."""
        m = self.mem
        if flags & MREMAP_FIXED:
            if not self._fixed_target_ok(old, old_size, new_size, flags, new_addr):
                return -errno.EINVAL
            where = new_addr
        elif new_size > old_size and m.mapped_bytes(old + old_size, old + new_size) == 0 \
                and old + new_size <= m.mmap_top + (1 << 36):
            where = old
        elif not flags & MREMAP_MAYMOVE:
            return -errno.ENOMEM
        else:
            try:
                where = m.find_free(new_size)
            except OutOfMemory:
                return -errno.ENOMEM
        try:                           # (no descriptor of the file closed: mapfds.py)
            m.map(where, new_size, perm, name, file=(fm.fd, fm.offset + (old - fm.start),
                                                     new_size, fm.writable))
        except OutOfMemory:
            return -errno.ENOMEM
        if where != old:
            m.unmap(old, old_size)
        return where

    def _mremap_fixed(self, old, old_size, new_size, new_addr, perm, name):
        """MREMAP_FIXED: the mapping moves to ``new_addr`` (what was there is unmapped)."""
        m = self.mem
        keep = min(old_size, new_size)
        saved = [m.read(old + off, min(MAX_IO, keep - off)) for off in range(0, keep, MAX_IO)]
        try:
            m.map(new_addr, new_size, perm, name)
        except OutOfMemory:
            return -errno.ENOMEM
        for i, data in enumerate(saved):
            m.write(new_addr + i * MAX_IO, data)
        m.unmap(old, old_size)
        return new_addr

    def sys_madvise(self, addr, length, advice, *_):
        """MADV_DONTNEED zeroes private memory; other advice is taken and ignored, as by
        qemu-user. An address not page-aligned, or a range past the top, is EINVAL (it was 0)."""
        if addr & (PAGE - 1) or (length and addr + -(-length // PAGE) * PAGE >= 1 << 64):
            return -errno.EINVAL
        if advice == MADV_DONTNEED and length:
            m = self.mem
            end = page_up(addr + length)
            pieces = [(max(s, addr), min(e, end), p, n) for s, e, p, n in
                      zip(m.starts, m.ends, m.perms, m.names) if s < end and e > addr]
            for s, e, p, n in pieces:
                if p & 2 and not m.is_shared(s, e):      # shared memory keeps its contents
                    m.write(s, bytes(e - s)) if e - s <= (1 << 16) else m.map(s, e - s, p, n)
        return 0

    def sys_msync(self, addr, length, flags, *_):
        """Nothing to write back (a MAP_SHARED file mapping is the host's page cache; a
        private one a copy, see sys_mmap), but the kernel's
        checks: EINVAL for unknown flags, MS_ASYNC with MS_SYNC, an unaligned address; ENOMEM
        where the range is not all mapped (it once said 0 to all of these)."""
        if flags & ~7 or addr & (PAGE - 1) or flags & 5 == 5:    # MS_ASYNC|MS_INVALIDATE|MS_SYNC
            return -errno.EINVAL
        length = page_up(length)
        if addr + length >= 1 << 64:
            return -errno.ENOMEM
        if length and not self.mem.is_mapped(addr, length):
            return -errno.ENOMEM
        return 0

    # mlock & co.: nothing to lock (the engine's memory never leaves), but Linux's answers
    # (mm/mlock.c): the range is the pages [addr, addr + length) touches, PAGE_ALIGN wrapping
    # at 2**64 as the kernel's does (a length of -1 is 0 pages); EINVAL where it wraps past the
    # top of memory, ENOMEM where it is not all mapped; a process without privilege may lock
    # no more than RLIMIT_MEMLOCK (ENOMEM), nothing at all with a limit of 0 (EPERM).
    def _lock_range(self, addr: int, length: int) -> tuple[int, int]:
        """(start, bytes): the pages mlock's range covers, as do_mlock computes them."""
        length = (length + (addr & (PAGE - 1)) + PAGE - 1) & ~(PAGE - 1) & (2 ** 64 - 1)
        return addr & ~(PAGE - 1), length

    def _apply_lock(self, start: int, length: int) -> int:
        """apply_vma_lock_flags' checks."""
        if start + length >= 1 << 64:
            return -errno.EINVAL
        if length and not self.mem.is_mapped(start, length):
            return -errno.ENOMEM
        return 0

    def _memlock_limit(self) -> int | None:
        """RLIMIT_MEMLOCK in bytes for a process without privilege (CAP_IPC_LOCK: root here,
        as the other privileged calls), None for one with it."""
        if host_ids()[2]:
            return None
        return self.rlimits.get(RLIMIT_MEMLOCK, _RLIMIT_DEFAULTS[RLIMIT_MEMLOCK])[0]

    def _lock_ok(self, start: int, length: int) -> bool:
        """May [start, start + length) be locked as well, within RLIMIT_MEMLOCK? What is
        locked already counts (mm->locked_vm), less the part of it the range covers again."""
        limit = self._memlock_limit()
        if limit is None or limit == RLIM_INFINITY:
            return True
        pages = (length + _ranges_bytes(self.locked) - _ranges_overlap(self.locked, start, start + length)) // PAGE
        return pages <= limit // PAGE

    def _do_mlock(self, addr, length) -> int:
        """do_mlock: EPERM (no privilege, limit 0), then ENOMEM beyond the limit (the pages
        asked for and those locked before, each counted once), then the range's checks."""
        limit = self._memlock_limit()
        if limit == 0:
            return -errno.EPERM
        start, length = self._lock_range(addr, length)
        if not self._lock_ok(start, length):
            return -errno.ENOMEM
        r = self._apply_lock(start, length)
        if r == 0 and length:
            self.locked = _ranges_add(self.locked, start, start + length)
        return r

    def sys_mlock(self, addr, length, *_):
        return self._do_mlock(addr, length)

    def sys_munlock(self, addr, length, *_):
        start, length = self._lock_range(addr, length)
        r = self._apply_lock(start, length)
        if r == 0 and length:
            self.locked = _ranges_sub(self.locked, start, start + length)
        return r

    def sys_mlock2(self, addr, length, flags, *_):
        if flags & 0xFFFFFFFF & ~MLOCK_ONFAULT:        # (an int: the upper half goes)
            return -errno.EINVAL
        return self._do_mlock(addr, length)

    def sys_mlockall(self, flags, *_):
        """EINVAL without MCL_CURRENT or MCL_FUTURE (MCL_ONFAULT alone, unknown flags), EPERM
        with a limit of 0, ENOMEM for MCL_CURRENT when the mapped memory exceeds the limit.
        MCL_CURRENT locks every mapping; MCL_FUTURE (or its absence) decides for the later
        ones (mmap then says EAGAIN beyond the limit)."""
        flags = s32(flags)
        if not flags or flags & ~7 or flags == MCL_ONFAULT:
            return -errno.EINVAL
        limit = self._memlock_limit()
        if limit == 0:
            return -errno.EPERM
        if flags & MCL_CURRENT and limit is not None and limit != RLIM_INFINITY and \
                self.mem.mapped_bytes(0, 1 << 64) // PAGE > limit // PAGE:
            return -errno.ENOMEM
        self.lock_future = bool(flags & MCL_FUTURE)
        if flags & MCL_CURRENT:
            locked: list[tuple[int, int]] = []
            for s, e in zip(self.mem.starts, self.mem.ends):
                locked = _ranges_add(locked, s, e)
            self.locked = locked
        return 0

    def sys_munlockall(self, *_):
        self.locked, self.lock_future = [], False
        return 0

    def sys_mincore(self, addr, length, vec, *_):
        """mincore: the kernel's checks (EINVAL for an unaligned address, ENOMEM where the
        range is not all mapped, EFAULT for the vector); every page is reported resident, as
        the engine's memory has no notion of pages swapped out or not yet touched."""
        if addr & (PAGE - 1):
            return -errno.EINVAL
        length = page_up(length)
        if not self.mem.user_range(addr, length, bottom=0) or \
                (length and not self.mem.is_mapped(addr, length)):
            return -errno.ENOMEM
        self.wr(vec, b"\1" * (length // PAGE))
        return 0


    def sys_riscv_flush_icache(self, *_):
        self.eng.flush_tb()
        return 0

    # --- files --------------------------------------------------------------------------
    def _host_open_flags(self, flags: int) -> tuple[int, bool]:
        """Guest open flags -> (host flags, O_DIRECTORY requested)."""
        d, nofollow, direct, large = _OFLAGS_ARM64 if self.arch.name == "arm64" else _OFLAGS_GENERIC
        host = flags & (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK
                        | O_DSYNC | O_SYNC | O_NOATIME)
        if flags & d:
            host |= os.O_DIRECTORY
        if flags & nofollow:
            host |= os.O_NOFOLLOW
        return host, bool(flags & d)

    def proc_text(self, name: str) -> bytes:
        """The bytes of the guest's /proc/self/``name``."""
        if name == "cmdline":
            return b"".join(os.fsencode(a) + b"\0" for a in self.argv)
        if name == "environ":
            return b"".join(os.fsencode(e) + b"\0" for e in self.env)
        if name == "auxv":
            return getattr(self, "auxv_bytes", b"")
        if name == "status":
            # the emulator's, with the program's name, ids and thread count (its host pid and
            # the emulator's parent were there: the first process's pid is 4242)
            comm = self.comm if self.comm is not None else \
                os.fsencode(os.path.basename(self.sandbox.exe_guest))[:15]
            ids = {b"Name": comm, b"Tgid": self.pid, b"Pid": self.pid, b"PPid": self.sys_getppid(),
                   b"NStgid": self.pid, b"NSpid": self.pid, b"NSpgid": self.sys_getpgid(0),
                   b"NSsid": self.sys_getsid(0), b"Threads": len(self.threads)}
            with open("/proc/self/status", "rb") as f:
                lines = f.read().splitlines(True)
            out = []
            for line in lines:
                key = line.split(b":", 1)[0]
                if key in ids:
                    v = ids[key]
                    line = b"%s:\t%s\n" % (key, v if isinstance(v, bytes) else b"%d" % v)
                out.append(line)
            return b"".join(out)
        if name == "stat":
            # proc(5)'s 52 fields: the ids, the state, the CPU times (the host process's, as
            # getrusage's), the thread count and the stack's start; what is not kept here is 0
            comm = self.comm if self.comm is not None else \
                os.fsencode(os.path.basename(self.sandbox.exe_guest))[:15]
            t = os.times()
            f = [0] * 52
            f[0], f[2] = self.pid, "R"
            f[3], f[4], f[5] = self.sys_getppid(), self.sys_getpgid(0), self.sys_getsid(0)
            f[13], f[14], f[15], f[16] = (int(v * 100) for v in (t.user, t.system, t.children_user,
                                                                   t.children_system))
            f[17], f[18], f[19] = 20 + self.nice, self.nice, len(self.threads)
            f[22], f[24] = self.mem.committed, 0x7FFFFFFFFFFFFFFF
            f[27] = getattr(self, "start_stack", 0)
            f[37] = 17
            rest = " ".join(str(v) for v in f[2:])
            return b"%d (%s) %s\n" % (self.pid, comm, rest.encode())
        # maps: the kernel's format; adjacent anonymous pieces with equal permissions merge
        m = self.mem
        images = {os.path.basename(self.elf.path): self.sandbox.exe_guest}   # (loader.py's names)
        if self.elf.interp:
            images[os.path.basename(self.elf.interp)] = self.elf.interp
        rows = []
        for s, e, p, n in zip(m.starts, m.ends, m.perms, m.names):
            n = images.get(n, n)
            shared = m.is_shared(s, e)
            if rows and rows[-1][1] == s and rows[-1][2:] == (p, n, shared) and n in ("[anon]", "", "[heap]"):
                rows[-1][1] = e
            else:
                rows.append([s, e, p, n, shared])
        lines = []
        for s, e, p, n, shared in rows:
            perm = "".join(c if p & bit else "-" for c, bit in (("r", 1), ("w", 2), ("x", 4)))
            head = f"{s:08x}-{e:08x} {perm}{'s' if shared else 'p'} 00000000 00:00 0"
            name = "" if n == "[anon]" else n
            lines.append(f"{head:<72} {name}".rstrip() + "\n" if name else f"{head:<72} \n")
        return "".join(lines).encode()

    def proc_pid_host(self, norm: str, path: str) -> str:
        """The path to look up for the guest's ``path`` (``norm``: its normalized form): under
        /proc/<its own pid>, the same under /proc/self (the first process's pid, 4242, is no
        host pid of it: another host process's files, or ENOENT, were read); under /proc/<pid>
        of another process of the run, refused: that host process is an emulator, whose status,
        stat, cmdline, exe ... are not the guest's (a child's cmdline was xld's command line)."""
        pp = F.proc_pid_path(norm)
        if pp is None:
            return path
        pid, rest = pp
        if pid == self.pid:
            return "/proc/self" + rest
        if self.of_this_run(pid):
            raise NotServed(f"{norm}: the /proc files of another process of the run (its host "
                            f"process's are the emulator's, not the program's)")
        return path

    def open_path(self, dirfd, path: str, flags: int, mode: int) -> F.OpenFile:
        if path == "":
            raise GuestOSError(errno.ENOENT)   # Linux: an empty name is no file (not the directory)
        norm = self.guest_name(dirfd, path)
        acc = flags & O_ACCMODE
        if norm in F.SPECIAL_DEVICES:
            return F.Device(norm, acc in (os.O_RDONLY, os.O_RDWR), acc in (os.O_WRONLY, os.O_RDWR))
        writes = acc != os.O_RDONLY or bool(flags & (O_CREAT | O_TRUNC))
        if flags & O_PATH:
            writes = False
        own = F.own_fd_name(norm, self.pid)
        if own is not None and not own[1]:
            if flags & O_CREAT and flags & O_EXCL:
                return _raise(errno.EEXIST)
            if own[0] is None:                  # the directory of the descriptors: a listing
                return _raise(errno.EISDIR) if writes else F.FdDir(norm, self.fds)
            f = self.own_fd_file(own)
            if f.host_fd() is None and not isinstance(f, F.FdDir):
                # a file of the run's own (captured output, standard input given as bytes,
                # /dev/null): the same file again, as reopening a pipe reaches the same pipe
                if (acc in (os.O_WRONLY, os.O_RDWR) and not f.writable) or \
                        (acc in (os.O_RDONLY, os.O_RDWR) and not f.readable):
                    return _raise(errno.EACCES)
                return F.Device(f.guest_path) if isinstance(f, F.Device) else f
            if isinstance(f, F.FdDir):
                return F.FdDir(f.guest_path, self.fds)
            # else: a host file, reopened through the host's link below (lookup_at)
        if norm == "/proc/self/exe":
            # the program's own file, read-only whatever the guest asks (Linux: ETXTBSY)
            if writes:
                return _raise(errno.ETXTBSY)
            fd = F.Loc(None, self.sandbox.exe_host, norm, follow=True, owned=False).open(os.O_RDONLY)
            f = F.HostFile(fd, norm, os.O_RDONLY, False)
            f.frozen = True
            f.host_path = self.sandbox.exe_host
            return f
        proc = F.own_proc_file(norm, self.pid)
        if proc is not None and not flags & O_PATH:
            # the guest's own, never the emulator's (they once were the host process's)
            if writes:
                return _raise(errno.EACCES)
            return F.ProcText(norm, self.proc_text(proc))
        path = self.proc_pid_host(norm, path)
        host_flags, want_dir = self._host_open_flags(flags)
        follow = not host_flags & os.O_NOFOLLOW
        if flags & O_TMPFILE_BASE:
            return self._open_tmpfile(dirfd, path, flags, host_flags, want_dir, mode)
        if flags & O_CREAT and flags & O_EXCL:
            follow = False         # O_CREAT|O_EXCL never follows a final link: EEXIST
        path_only = bool(flags & O_PATH)
        if path_only:
            host_flags = F.O_PATH | (host_flags & (os.O_DIRECTORY | os.O_NOFOLLOW))
        sb = self.sandbox
        # Never a blocking open on the host (a FIFO waits for its other end, a serial line for
        # its carrier): O_NONBLOCK, cleared afterwards; a FIFO that must wait is a BlockingOpen.
        added_nb = not path_only and not host_flags & os.O_NONBLOCK
        for _attempt in range(F.MAX_SYMLINKS):
            with self.lookup_at(dirfd, path, follow=follow, read=not writes) as loc:
                refused = None
                if writes:
                    self._not_the_program(loc)
                    try:
                        sb.check_write(loc)
                    except GuestOSError as e:
                        if loc.in_sysroot:
                            raise
                        # Linux lets a FIFO or a character device of a read-only file system
                        # be opened for writing (nothing on the disk changes): see what it is
                        # without creating or truncating anything
                        refused = e
                if added_nb and acc == os.O_RDONLY and not flags & O_CREAT:
                    b = self._fifo_reader(loc, host_flags)
                    if b is not None:
                        return b
                flags_now = host_flags & ~(os.O_CREAT | os.O_EXCL | os.O_TRUNC) if refused else host_flags
                try:
                    fd = loc.open(flags_now | (os.O_NONBLOCK if added_nb else 0), mode & ~self.umask & 0o7777)
                except GuestOSError as e:
                    if refused:
                        if e.errno == errno.ENXIO and acc == os.O_WRONLY:
                            # a FIFO without a reader (ENXIO, or a wait), else the refusal
                            if added_nb:
                                return self._fifo_wait(loc, host_flags, refused)
                            if self._fifo_wait(loc, host_flags, refused, probe=True):
                                raise
                        raise refused from None
                    if e.errno == errno.ELOOP and follow and not loc.follow:
                        continue   # the name became a link after the walk: walk again
                    if e.errno == errno.ENXIO and added_nb and acc == os.O_WRONLY:
                        return self._fifo_wait(loc, host_flags, e)   # a FIFO with no reader yet
                    raise
                try:
                    st_mode = os.fstat(fd).st_mode
                except OSError as e:
                    os.close(fd)
                    raise F.oserror(e) from None
                is_dir = stat.S_ISDIR(st_mode)
                if refused and not (stat.S_ISFIFO(st_mode) or stat.S_ISCHR(st_mode)):
                    os.close(fd)
                    raise refused
                if want_dir and not is_dir:
                    os.close(fd)
                    raise GuestOSError(errno.ENOTDIR)
                if added_nb:
                    if stat.S_ISFIFO(st_mode) and acc == os.O_RDONLY:
                        # (made a FIFO since _fifo_reader looked) counted as a reader now; a
                        # blocking open waits for a writer
                        b = F.BlockingOpen(fd, host_flags, sb.blocking_opens)
                        b.guest_path, b.host_path = F.normalize(loc.guest), loc.display
                        return b
                    os.set_blocking(fd, True)
                f = F.HostFile(fd, F.normalize(loc.guest), host_flags & O_ACCMODE, is_dir,
                               append=bool(flags & O_APPEND), path_only=path_only)
                f.host_path = loc.display
                f.in_sysroot = f.frozen = loc.in_sysroot
                f.in_tmp = loc.in_tmp
                f.quota = sb.quota
                f.is_fifo = stat.S_ISFIFO(st_mode)
                return f
        return _raise(errno.ELOOP)

    def _open_tmpfile(self, dirfd, path: str, flags: int, host_flags: int, want_dir: bool, mode: int):
        """O_TMPFILE: an unnamed file in the directory ``path`` names, the host's (it once
        failed with EOPNOTSUPP where qemu-user makes one); it may be given a name later with
        linkat through /proc/self/fd/N. The directory must be writable (--read-only: EROFS,
        but in a private /tmp), the open for writing, without O_CREAT (EINVAL, as Linux)."""
        acc = flags & O_ACCMODE
        if not want_dir or flags & O_CREAT or acc == os.O_RDONLY:
            return _raise(errno.EINVAL)
        host = (host_flags & ~(os.O_DIRECTORY | os.O_TRUNC)) | os.O_TMPFILE
        with self.lookup_at(dirfd, path, follow=True, read=False) as loc:
            self.sandbox.check_write(loc)
            fd = loc.open(host, mode & ~self.umask & 0o7777)
            f = F.HostFile(fd, F.normalize(loc.guest), acc, False, append=bool(flags & O_APPEND))
            f.host_path = loc.display
            f.in_tmp = loc.in_tmp
            f.quota = self.sandbox.quota
            return f

    def _not_the_program(self, loc: F.Loc) -> None:
        """An open for writing (or truncating) of the running program's file, by any name —
        its path, /proc/self/fd/N of a descriptor of it — fails with ETXTBSY, as Linux keeps
        the executable of a running process from being written. (qemu-user lets the guest
        write it.)"""
        try:
            st = os.stat(loc.name, dir_fd=loc.fd, follow_symlinks=loc.follow)
            exe = os.stat(self.sandbox.exe_host)
        except OSError:
            return                        # nothing there yet: not the program
        if (st.st_dev, st.st_ino) == (exe.st_dev, exe.st_ino):
            raise GuestOSError(errno.ETXTBSY)

    def _fifo_reader(self, loc: F.Loc, host_flags: int) -> F.BlockingOpen | None:
        """A blocking open for reading of a FIFO waits for a writer on a host thread, which
        opens the FIFO itself (a non-blocking reader standing in for it would let a writer
        come, write and go before the thread's open starts waiting, and it would wait on)."""
        try:
            if not stat.S_ISFIFO(loc.lstat().st_mode):
                return None
        except GuestOSError:
            return None             # (the open itself says why)
        fd = loc.open(F.O_PATH)
        try:
            fifo = stat.S_ISFIFO(os.fstat(fd).st_mode)
        except OSError:
            fifo = False
        if not fifo:
            os.close(fd)
            return None
        b = F.BlockingOpen(fd, host_flags, self.sandbox.blocking_opens)
        b.guest_path, b.host_path = F.normalize(loc.guest), loc.display
        return b

    def _fifo_wait(self, loc: F.Loc, host_flags: int, err: GuestOSError, probe: bool = False):
        """A blocking open for writing found no reader (ENXIO from the non-blocking try):
        if the name is a FIFO, wait for a reader on a host thread; else ``err`` it is.
        ``probe``: only say whether it is a FIFO."""
        fd = loc.open(F.O_PATH)
        try:
            fifo = stat.S_ISFIFO(os.fstat(fd).st_mode)
        except OSError:
            fifo = False
        if probe or not fifo:
            os.close(fd)
            if probe:
                return fifo
            raise err
        b = F.BlockingOpen(fd, host_flags, self.sandbox.blocking_opens)
        b.guest_path, b.host_path = F.normalize(loc.guest), loc.display
        return b

    def install_open(self, f: F.OpenFile, flags: int) -> int:
        """A new descriptor for an open file (O_CLOEXEC as asked)."""
        try:
            fd = self.fds.install(f)
        except GuestOSError:
            f.close()
            raise
        if flags & O_CLOEXEC:
            self.fds.cloexec.add(fd)
        if flags & O_TRUNC:
            self.mem.files_changed()     # a mapped file may be shorter now (memory.FileMap)
        return fd

    def sys_openat(self, dirfd, path, flags, mode, *_):
        p = self.path_arg(path)
        return self.install_open(self.open_path(dirfd, p, flags, mode), flags)

    def sys_openat2(self, dirfd, path, how, size, *_):
        """openat2 with struct open_how {flags, mode, resolve}: the kernel's checks, then an
        openat; the RESOLVE_* restrictions are not served (refused by name; it was refused
        as an unknown call whatever it asked)."""
        if size < 24:
            return -errno.EINVAL
        if size > PAGE:
            return -errno.E2BIG
        raw = self.rd(how, size)
        if any(raw[24:]):
            return -errno.E2BIG
        flags, mode, resolve = struct.unpack_from("<QQQ", raw)
        if flags >> 32 or resolve & ~0x3F or resolve & 0x18 == 0x18:
            return -errno.EINVAL
        if flags & (O_CREAT | O_TMPFILE_BASE):
            if mode & ~0o7777:
                return -errno.EINVAL
        elif mode:
            return -errno.EINVAL
        if resolve:
            raise NotServed("openat2 with RESOLVE_* flags (path resolution restrictions)")
        return self.sys_openat(dirfd, path, flags, mode)

    def sys_close(self, fd, *_):
        self.fds.close(s32(fd))
        return 0

    def sys_close_range(self, first, last, flags, *_):
        for fd in [f for f in self.fds.fds if first <= f <= last]:
            if flags & 4:  # CLOSE_RANGE_CLOEXEC
                self.fds.cloexec.add(fd)
            else:
                self.fds.close(fd)
        return 0

    def sys_read(self, fd, buf, count, *_):
        f = self.fds.get(s32(fd))
        count = min(count, MAX_IO)
        if count and not self.mem.is_mapped(buf, count, 2):
            return -errno.EFAULT
        data = f.read(count)
        self.wr(buf, data)
        return len(data)

    def _broken_pipe(self):
        """Writing to a pipe nobody reads: SIGPIPE, whose default action ends the program."""
        act = self.sigactions.get(13)
        handler = struct.unpack_from("<Q", act)[0] if act else SIG_DFL
        if handler == SIG_DFL:
            return self.raise_signal(13, "write to a pipe with no reader")
        if handler != SIG_IGN:
            self.queue_self_signal(13, 0)          # SI_USER
        return -errno.EPIPE

    def sys_write(self, fd, buf, count, *_):
        f = self.fds.get(s32(fd))
        count = min(count, MAX_IO)
        try:
            return f.write(self.rd(buf, count))
        except GuestOSError as e:
            if e.errno == errno.EPIPE:
                return self._broken_pipe()
            raise

    def _iov(self, iov, cnt):
        """The (base, length) pairs of an iovec array: at most UIO_MAXIOV of them, lengths
        summing to less than 2^63 (EINVAL), as the kernel checks."""
        if cnt > UIO_MAXIOV:
            raise GuestOSError(errno.EINVAL)
        raw = self.rd(iov, 16 * cnt)
        pairs = [struct.unpack_from("<QQ", raw, 16 * i) for i in range(cnt)]
        if sum(ln for _b, ln in pairs) >= 1 << 63:
            raise GuestOSError(errno.EINVAL)
        return pairs

    def sys_readv(self, fd, iov, cnt, *_):
        """At most MAX_IO bytes per call (a short read, as the kernel's MAX_RW_COUNT makes)."""
        f = self.fds.get(s32(fd))
        return self._scatter(iov, cnt, lambda n, _done: f.read(n))

    def _scatter(self, iov, cnt, read) -> int:
        """Fill the guest's iovecs in order with ``read(n, bytes read so far)``, up to MAX_IO
        in all; stop at a short read. EFAULT for an unmapped buffer before any byte."""
        total = 0
        for base, ln in self._iov(iov, cnt):
            ln = min(ln, MAX_IO - total)
            if not ln:
                continue
            if not self.mem.is_mapped(base, ln, 2):
                if total:
                    break
                return -errno.EFAULT
            data = read(ln, total)
            self.wr(base, data)
            total += len(data)
            if len(data) < ln or total >= MAX_IO:
                break
        return total

    def sys_writev(self, fd, iov, cnt, *_):
        f = self.fds.get(s32(fd))
        pieces, total = [], 0
        for base, ln in self._iov(iov, cnt):
            ln = min(ln, MAX_IO - total)
            if ln:
                pieces.append(self.rd(base, ln))
                total += ln
        data = b"".join(pieces)
        try:
            return f.write(data) if data else 0
        except GuestOSError as e:
            if e.errno == errno.EPIPE:
                return self._broken_pipe()
            raise

    def sys_preadv(self, fd, iov, cnt, off, _off_high=0, *_):
        return self.sys_preadv2(fd, iov, cnt, off, _off_high, 0)

    def sys_pwritev(self, fd, iov, cnt, off, _off_high=0, *_):
        return self.sys_pwritev2(fd, iov, cnt, off, _off_high, 0)

    def _rwf(self, flags):
        """preadv2/pwritev2's flags: the hints (HIPRI, NOWAIT) and the sync requests (DSYNC,
        SYNC: nothing else sees the file before the emulator's writes reach the host) change
        nothing here; RWF_APPEND is the caller's; others are EOPNOTSUPP, as the kernel says."""
        if flags & ~(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND):
            raise GuestOSError(errno.EOPNOTSUPP)

    def sys_preadv2(self, fd, iov, cnt, off, _off_high=0, flags=0, *_):
        """preadv (2): readv at ``off`` (the file position stays); offset -1 is readv
        (RWF_APPEND means nothing to a read, as for the kernel)."""
        self._rwf(flags)
        off = _s64(off)
        if off == -1:
            return self.sys_readv(fd, iov, cnt)
        if off < 0:
            return -errno.EINVAL
        f = self.fds.get(s32(fd))
        return self._scatter(iov, cnt, lambda n, done: f.pread(n, off + done))

    def sys_pwritev2(self, fd, iov, cnt, off, _off_high=0, flags=0, *_):
        """pwritev (2): writev at ``off`` (offset -1: writev); RWF_APPEND writes at the end
        of the file whatever the offset, on a host file."""
        self._rwf(flags)
        off = _s64(off)
        if off < -1:
            return -errno.EINVAL
        f = self.fds.get(s32(fd))
        data = b"".join(self.rd(base, ln) for base, ln in self._iov(iov, cnt))[:MAX_IO]
        if flags & RWF_APPEND:
            hfd = f.host_fd() if isinstance(f, F.HostFile) else None
            if hfd is None:
                raise NotServed("pwritev2 with RWF_APPEND on a descriptor that is not a host file")
            if not f.writable:
                return -errno.EBADF
            if f.quota is not None:
                raise NotServed("pwritev2 with RWF_APPEND under --max-disk")
            try:
                return os.pwritev(hfd, [data], max(off, 0) if off != -1 else -1, os.RWF_APPEND)
            except OSError as e:
                return -(e.errno or errno.EIO)
        if off == -1:
            return self.sys_writev(fd, iov, cnt)
        return f.pwrite(data, off)

    def write_data(self, name: str, fd: int, data: bytes) -> int:
        """write(2) of bytes the emulator holds (sendfile's, copy_file_range's); hostio.py
        serves host descriptors."""
        try:
            return self.fds.get(fd).write(data)
        except GuestOSError as e:
            if e.errno == errno.EPIPE:
                return self._broken_pipe()
            raise

    def sys_sendfile(self, out_fd, in_fd, offp, count, *_):
        """sendfile: from ``in_fd`` (at ``*offp``, which moves, or at its position, which
        moves by what was written) to ``out_fd``."""
        src = self.fds.get(s32(in_fd))
        self.fds.get(s32(out_fd))
        count = min(count, MAX_IO)
        if offp:
            off = _s64(self.rd_u64(offp))
            if off < 0:
                return -errno.EINVAL
        else:
            off = src.lseek(0, 1)
        data = src.pread(count, off) if count else b""
        n = self.write_data("sendfile", s32(out_fd), data) if data else 0
        if n < 0:
            return n
        if offp:
            self.wr(offp, struct.pack("<q", off + n))
        else:
            src.lseek(off + n, 0)
        return n

    def sys_copy_file_range(self, fd_in, off_in, fd_out, off_out, length, flags, *_):
        """copy_file_range between regular files: at the given offsets (which move) or the
        files' positions."""
        if flags:
            return -errno.EINVAL
        src, dst = self.fds.get(s32(fd_in)), self.fds.get(s32(fd_out))
        length = min(length, MAX_IO)
        pos_in = _s64(self.rd_u64(off_in)) if off_in else src.lseek(0, 1)
        pos_out = _s64(self.rd_u64(off_out)) if off_out else dst.lseek(0, 1)
        if pos_in < 0 or pos_out < 0:
            return -errno.EINVAL
        same = src.host_fd() is not None and dst.host_fd() is not None and \
            os.path.sameopenfile(src.host_fd(), dst.host_fd())
        if same and pos_in < pos_out + length and pos_out < pos_in + length:
            return -errno.EINVAL
        data = src.pread(length, pos_in) if length else b""
        n = dst.pwrite(data, pos_out) if data else 0
        if off_in:
            self.wr(off_in, struct.pack("<q", pos_in + n))
        else:
            src.lseek(pos_in + n, 0)
        if off_out:
            self.wr(off_out, struct.pack("<q", pos_out + n))
        else:
            dst.lseek(pos_out + n, 0)
        return n

    def sys_pread64(self, fd, buf, count, off, *_):
        f = self.fds.get(s32(fd))
        count = min(count, MAX_IO)
        if count and not self.mem.is_mapped(buf, count, 2):
            return -errno.EFAULT
        data = f.pread(count, _s64(off))
        self.wr(buf, data)
        return len(data)

    def sys_pwrite64(self, fd, buf, count, off, *_):
        f = self.fds.get(s32(fd))
        return f.pwrite(self.rd(buf, min(count, MAX_IO)), _s64(off))

    def sys_lseek(self, fd, off, whence, *_):
        f = self.fds.get(s32(fd))
        if whence > 4:
            return -errno.EINVAL
        return f.lseek(_s64(off), whence)

    def _stat_path(self, dirfd, path, flags):
        if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE):
            raise GuestOSError(errno.EINVAL)
        p = self.path_arg(path) if path else ""
        if p == "" and flags & AT_EMPTY_PATH:
            if s32(dirfd) == AT_FDCWD:
                return F.Loc(self.sandbox.cwd_fd, ".", self.sandbox.cwd, owned=False).lstat()
            return self.fds.get(s32(dirfd)).fstat()
        guest = self.guest_name(dirfd, p) if p else ""
        if guest in F.SPECIAL_DEVICES:
            return F.Device(guest).fstat()
        if guest == "/proc/self/exe":
            return F.Loc(None, self.sandbox.exe_host, guest, follow=True, owned=False).lstat()
        own = F.own_fd_name(guest, self.pid) if guest else None
        if own is not None and not own[1]:
            if own[0] is None:
                return F.fake_stat(F.S_IFDIR | 0o500)
            f = self.own_fd_file(own)
            if flags & AT_SYMLINK_NOFOLLOW:
                # the magic link itself: lr-x, l-wx or lrwx as the descriptor's access mode
                perm = 0o500 | (0o200 if f.writable else 0) | (0o400 if f.readable else 0)
                return F.fake_stat(stat.S_IFLNK | perm, size=64)
            return f.fstat()
        with self.lookup_at(dirfd, p, follow=not flags & AT_SYMLINK_NOFOLLOW, read=True) as loc:
            return loc.lstat()

    def sys_newfstatat(self, dirfd, path, buf, flags, *_):
        self.wr(buf, pack_stat(self._stat_path(dirfd, path, flags)))
        return 0

    def sys_fstat(self, fd, buf, *_):
        self.wr(buf, pack_stat(self.fds.get(s32(fd)).fstat()))
        return 0

    def sys_statx(self, dirfd, path, flags, mask, buf, *_):
        self.wr(buf, pack_statx(self._stat_path(dirfd, path, flags)))
        return 0

    def sys_faccessat2(self, dirfd, path, mode, flags, *_):
        """access(2): the file's own permission bits, checked by the host relative to the
        descriptor the walk ended at (AT_SYMLINK_NOFOLLOW and AT_EACCESS honoured); W_OK on
        what the guest may not change is EROFS."""
        if mode & ~7 or flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH):
            return -errno.EINVAL
        p = self.path_arg(path)
        if p == "" and flags & AT_EMPTY_PATH:
            f = self.fds.get(s32(dirfd)) if s32(dirfd) != AT_FDCWD else None
            if f is not None and not isinstance(f, F.HostFile):
                return 0
            loc = F.Loc(self.sandbox.cwd_fd if f is None else f.fd, ".", "", owned=False)
        else:
            guest = self.guest_name(dirfd, p)
            if guest in F.SPECIAL_DEVICES:
                return 0
            own = F.own_fd_name(guest, self.pid)
            if own is not None and not own[1]:
                f = F.FdDir(guest, self.fds) if own[0] is None else self.own_fd_file(own)
                if f.host_fd() is None:
                    return -errno.EACCES if mode & 2 and not f.writable else 0
            if guest == "/proc/self/exe":
                # the file's own permission bits, as on Linux (access() says nothing of
                # ETXTBSY, which only an open for writing gets)
                if mode & 2 and self.sandbox.read_only:
                    return -errno.EROFS
                return 0 if not mode or os.access(self.sandbox.exe_host, mode) else -errno.EACCES
            loc = self.lookup_at(dirfd, p, follow=not flags & AT_SYMLINK_NOFOLLOW, read=True)
        with loc:
            loc.lstat()                     # ENOENT, ENOTDIR, ELOOP ... as the kernel says
            if mode & 2:
                self.sandbox.check_write(loc)
            ok = os.access(loc.name, mode, dir_fd=loc.fd, effective_ids=bool(flags & AT_EACCESS),
                           follow_symlinks=loc.follow)
        return 0 if ok else -errno.EACCES

    def sys_faccessat(self, dirfd, path, mode, *_):
        return self.sys_faccessat2(dirfd, path, mode, 0)

    def sys_getdents64(self, fd, buf, count, *_):
        f = self.fds.get(s32(fd))
        if getattr(f, "path_only", False):
            return -errno.EBADF
        if getattr(f, "kind", "") != "dir":
            return -errno.ENOTDIR
        count = min(count, MAX_IO)
        if isinstance(f, F.FdDir):
            if f.dir_entries is None:
                f.dir_entries = f.list_entries()
            data, nxt = F.dirent64_records(f.dir_entries, f.dir_pos, count)
            if not data and nxt < len(f.dir_entries):
                return -errno.EINVAL
            f.dir_pos = nxt
            self.wr(buf, data)
            return len(data)
        try:
            entries = F.host_entries(f.fd, f.dir_pos, count)
        except OSError as e:
            return -(e.errno or errno.EIO)
        for i, (ino, dtype, name, off) in enumerate(entries):
            if dtype == 0:              # DT_UNKNOWN: the file system did not say
                try:
                    entries[i] = (ino, _dtype(os.lstat(name, dir_fd=f.fd).st_mode), name, off)
                except OSError:
                    pass
        data, nxt = F.dirent64_records(entries, 0, count)
        if not data and entries:
            return -errno.EINVAL
        if nxt:
            pos = entries[nxt - 1][3]
            if nxt < len(entries) and pos in (0, f.dir_pos):
                # a file system whose positions do not move on: listing from there again would
                # never end; say so instead of looping
                return -errno.EIO
            f.dir_pos = pos
        self.wr(buf, data)
        return len(data)

    def sys_getcwd(self, buf, size, *_):
        cwd = os.fsencode(self.sandbox.cwd) + b"\0"
        if len(cwd) > size:
            return -errno.ERANGE
        self.wr(buf, cwd)
        return len(cwd)

    def sys_chdir(self, path, *_):
        self.sandbox.set_cwd(self.path_arg(path))
        return 0

    def sys_fchdir(self, fd, *_):
        f = self.fds.get(s32(fd))
        if getattr(f, "kind", "") != "dir":
            return -errno.ENOTDIR
        if isinstance(f, F.FdDir):
            return -errno.EACCES       # (a directory of the emulator's own, not the guest's)
        self.sandbox.chdir_fd(f)
        return 0

    def sys_unlinkat(self, dirfd, path, flags, *_):
        if flags & ~AT_REMOVEDIR:
            return -errno.EINVAL
        with self.lookup_at(dirfd, self.path_arg(path), follow=False) as loc:
            if loc.name == "." and self.sandbox.root is not None:
                return -errno.EBUSY if loc.guest in ("/", "/tmp") else -errno.EINVAL
            self.sandbox.check_write(loc)
            if flags & AT_REMOVEDIR:
                os.rmdir(loc.name, dir_fd=loc.fd)
            else:
                os.unlink(loc.name, dir_fd=loc.fd)
        return 0

    def sys_mkdirat(self, dirfd, path, mode, *_):
        with self.lookup_at(dirfd, self.path_arg(path), follow=False) as loc:
            if loc.name == ".":
                return -errno.EEXIST
            self.sandbox.check_write(loc)
            os.mkdir(loc.name, mode & ~self.umask & 0o7777, dir_fd=loc.fd)
        return 0

    def sys_renameat2(self, olddirfd, oldpath, newdirfd, newpath, flags, *_):
        if flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) or flags == RENAME_NOREPLACE | RENAME_EXCHANGE:
            return -errno.EINVAL
        with self.lookup_at(olddirfd, self.path_arg(oldpath), follow=False) as src, \
                self.lookup_at(newdirfd, self.path_arg(newpath), follow=False) as dst:
            if "." in (src.name, dst.name) and self.sandbox.root is not None:
                return -errno.EBUSY
            self.sandbox.check_write(src)
            self.sandbox.check_write(dst)
            if flags:
                _renameat2(src.fd, src.name, dst.fd, dst.name, flags)
            else:
                os.rename(src.name, dst.name, src_dir_fd=src.fd, dst_dir_fd=dst.fd)
        return 0

    def sys_renameat(self, olddirfd, oldpath, newdirfd, newpath, *_):
        return self.sys_renameat2(olddirfd, oldpath, newdirfd, newpath, 0)

    def sys_symlinkat(self, target, newdirfd, linkpath, *_):
        t = os.fsdecode(self.cstr(target))
        if t == "":
            return -errno.ENOENT
        with self.lookup_at(newdirfd, self.path_arg(linkpath), follow=False) as loc:
            self.sandbox.check_write(loc)
            os.symlink(t, loc.name, dir_fd=loc.fd)
        return 0

    def sys_linkat(self, olddirfd, oldpath, newdirfd, newpath, flags, *_):
        if flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH):
            return -errno.EINVAL
        with self.lookup_at(olddirfd, self.path_arg(oldpath), follow=bool(flags & AT_SYMLINK_FOLLOW)) as src, \
                self.lookup_at(newdirfd, self.path_arg(newpath), follow=False) as dst:
            self.sandbox.check_write(src)
            self.sandbox.check_write(dst)
            os.link(src.name, dst.name, src_dir_fd=src.fd, dst_dir_fd=dst.fd, follow_symlinks=src.follow)
        return 0

    def sys_readlinkat(self, dirfd, path, buf, size, *_):
        p = self.path_arg(path)
        if _s64(size) <= 0:
            return -errno.EINVAL
        name = self.guest_name(dirfd, p) if p else ""
        if name and (q := self.proc_pid_host(name, p)) != p:
            p = name = q                          # /proc/<its own pid>/...: /proc/self/...
        if name == "/proc/self/exe":
            target = os.fsencode(self.sandbox.exe_guest)
        elif name == "/proc/self/cwd":
            target = os.fsencode(self.sandbox.cwd)
        elif F.is_fd_alias(name):
            target = b"/proc/self/fd" + (b"" if name == "/dev/fd" else b"/%d" % F.STD_ALIASES[name])
        elif (own := F.own_fd_name(name, self.pid)) is not None and not own[1]:
            # the guest's descriptors, by their guest names (not the emulator's own)
            if own[0] is None:
                return -errno.EINVAL              # the directory: not a link
            target = os.fsencode(self._fd_link(self.own_fd_file(own)))
        else:
            with self.lookup_at(dirfd, p, follow=False, read=True) as loc:
                target = os.fsencode(os.readlink(loc.name, dir_fd=loc.fd))
        target = target[:size]
        self.wr(buf, target)
        return len(target)

    def _fd_link(self, f) -> str:
        """What /proc/self/fd/N reads for the open file ``f``: its guest path; a pipe, socket
        or other host object by the host kernel's name of it (``pipe:[1234]``); a file the
        run passed in (a redirected standard stream) by its host path in the host's view,
        by its place in the root under --root."""
        if f.guest_path:
            return f.guest_path
        hfd = f.host_fd()
        if hfd is not None:
            try:
                target = os.readlink(f"/proc/self/fd/{hfd}")
            except OSError:
                target = ""
            if target and not target.startswith("/"):
                return target                     # pipe:[...], socket:[...], anon_inode:[...]
            if target:
                inside = self.sandbox.guest_of_host(target)
                if inside is not None:
                    return inside
        return f"{f.kind}:[{id(f) & 0xFFFFFF}]"

    def sys_fchmodat(self, dirfd, path, mode, *_):
        p = self.path_arg(path)
        if self.guest_name(dirfd, p) == "/proc/self/exe":
            return -errno.EROFS
        with self.lookup_at(dirfd, p, follow=True) as loc:
            self.sandbox.check_write(loc)
            if loc.follow:
                os.chmod(loc.name, mode & 0o7777, dir_fd=loc.fd)
            else:
                # the walk followed the links: change exactly the file it found, never a link
                # that took its place since (glibc's fchmodat(AT_SYMLINK_NOFOLLOW) does the same)
                fd = loc.open(F.O_PATH)
                try:
                    if stat.S_ISLNK(os.fstat(fd).st_mode):
                        return -errno.ELOOP
                    os.chmod(f"/proc/self/fd/{fd}", mode & 0o7777)
                finally:
                    os.close(fd)
        return 0

    def sys_fchmodat2(self, dirfd, path, mode, flags, *_):
        """fchmodat2 (Linux 6.6): fchmodat with flags. musl tries it first for any flag and
        falls back only on ENOSYS (an unknown call once stopped the program there)."""
        if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
            return -errno.EINVAL
        p = self.path_arg(path)
        if not p and flags & AT_EMPTY_PATH:
            return self.sys_fchmod(dirfd, mode)
        if not flags & AT_SYMLINK_NOFOLLOW:
            return self.sys_fchmodat(dirfd, path, mode)
        if self.guest_name(dirfd, p) == "/proc/self/exe":
            return -errno.EROFS
        with self.lookup_at(dirfd, p, follow=False) as loc:
            self.sandbox.check_write(loc)
            fd = loc.open(F.O_PATH)
            try:
                if stat.S_ISLNK(os.fstat(fd).st_mode):
                    return -errno.EOPNOTSUPP          # (a link's own mode: the kernel's answer)
                os.chmod(f"/proc/self/fd/{fd}", mode & 0o7777)
            finally:
                os.close(fd)
        return 0

    def _may_change(self, f, path_ok: bool = False) -> None:
        """fchmod, ftruncate, fchown ... on an open file: not on what the guest may not change
        (under --read-only: no file of the view, nor a host file passed as a standard stream)."""
        if getattr(f, "path_only", False) and not path_ok:
            raise GuestOSError(errno.EBADF)
        if getattr(f, "frozen", False) or (self.sandbox.read_only and not getattr(f, "in_tmp", False)
                                            and isinstance(f, (F.HostFile, F.HostStream))):
            raise GuestOSError(errno.EROFS)

    def sys_fchmod(self, fd, mode, *_):
        f = self.fds.get(s32(fd))
        self._may_change(f)
        if isinstance(f, F.HostFile):
            os.fchmod(f.fd, mode & 0o7777)
        return 0

    def _change_at(self, dirfd, path: int, flags: int, allowed: int):
        """The file a metadata change names — ``path`` relative to ``dirfd``, or with
        AT_EMPTY_PATH (or a NULL path, for utimensat) the open file ``dirfd`` — checked
        like every change (EROFS under --read-only, on the sysroot and /proc/self/exe).
        Returns a Loc (the caller closes it) or None (a file with nothing on disk: a pipe of
        the run's own, a device)."""
        if flags & ~allowed:
            raise GuestOSError(errno.EINVAL)
        p = self.path_arg(path) if path else ""
        if p == "" and (flags & AT_EMPTY_PATH or not path):
            if s32(dirfd) == AT_FDCWD:
                loc = F.Loc(self.sandbox.cwd_fd, ".", self.sandbox.cwd, owned=False)
                self.sandbox.check_write(loc)
                return loc
            f = self.fds.get(s32(dirfd))
            self._may_change(f, path_ok=bool(path))  # AT_EMPTY_PATH takes an O_PATH descriptor
            fd = f.host_fd()
            # the file itself, through its magic link (an O_PATH descriptor takes no fchown)
            return None if fd is None else F.Loc(None, f"/proc/self/fd/{fd}", f.guest_path,
                                                  follow=True, owned=False)
        if self.guest_name(dirfd, p) == "/proc/self/exe":
            raise GuestOSError(errno.EROFS)
        loc = self.lookup_at(dirfd, p, follow=not flags & AT_SYMLINK_NOFOLLOW)
        try:
            loc.lstat()                      # ENOENT, ENOTDIR ... before EROFS, as Linux
            self.sandbox.check_write(loc)
        except BaseException:
            loc.close()
            raise
        return loc

    def sys_fchownat(self, dirfd, path, uid, gid, flags, *_):
        """chown, lchown, fchownat: the host's chown of the file found (EPERM as the host says);
        -1 leaves an id as it is."""
        loc = self._change_at(dirfd, path, flags, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)
        if loc is not None:
            with loc:
                os.chown(loc.name, s32(uid), s32(gid), dir_fd=loc.fd, follow_symlinks=loc.follow)
        return 0

    def sys_fchown(self, fd, uid, gid, *_):
        f = self.fds.get(s32(fd))
        self._may_change(f)
        if f.host_fd() is not None:
            os.fchown(f.host_fd(), s32(uid), s32(gid))
        return 0

    def sys_utimensat(self, dirfd, path, times, flags, *_):
        """utimensat, futimens, utimes, utime: the times given (UTIME_NOW, UTIME_OMIT), or now."""
        ns = None                             # None: both now; else [atime, mtime], None: omit
        if times:
            raw = struct.unpack("<qqqq", self.rd(times, 32))
            ns = []
            for sec, nsec in (raw[:2], raw[2:]):
                if nsec not in (UTIME_NOW, UTIME_OMIT) and not 0 <= nsec < 1_000_000_000:
                    return -errno.EINVAL
                ns.append(None if nsec == UTIME_OMIT else time.time_ns() if nsec == UTIME_NOW
                          else sec * 1_000_000_000 + nsec)
        loc = self._change_at(dirfd, path, flags, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)
        if loc is None or ns == [None, None]:
            if loc is not None:
                loc.close()
            return 0                          # nothing to change (the checks are made)
        with loc:
            kw = dict(dir_fd=loc.fd, follow_symlinks=loc.follow)
            if ns is None:
                os.utime(loc.name, **kw)
            else:
                st = loc.lstat()
                os.utime(loc.name, ns=(st.st_atime_ns if ns[0] is None else ns[0],
                                       st.st_mtime_ns if ns[1] is None else ns[1]), **kw)
        return 0

    def sys_mknodat(self, dirfd, path, mode, dev, *_):
        """mknod, mkfifo: FIFOs, sockets and regular files. Device nodes are refused (EPERM,
        as for a process without CAP_MKNOD): one would open a host device from inside --root."""
        kind = mode & 0o170000
        if kind not in (0, stat.S_IFREG, stat.S_IFIFO, stat.S_IFSOCK, stat.S_IFCHR, stat.S_IFBLK):
            return -errno.EINVAL
        with self.lookup_at(dirfd, self.path_arg(path), follow=False) as loc:
            if loc.name == "." or loc.exists():
                return -errno.EEXIST
            self.sandbox.check_write(loc)
            if kind in (stat.S_IFCHR, stat.S_IFBLK):
                return -errno.EPERM
            perm = mode & ~self.umask & 0o7777
            if kind in (0, stat.S_IFREG):
                os.close(loc.open(os.O_WRONLY | os.O_CREAT | os.O_EXCL, perm))
            else:
                os.mknod(loc.name, kind | perm, dir_fd=loc.fd)
        return 0

    # --- extended attributes: read from the host, changed like any other metadata ---------
    def _xattr_target(self, path, follow: bool, change: bool):
        """A path to give the host's *xattr calls for a guest path: the file the walk found,
        through /proc/self/fd of an O_PATH descriptor of it (the calls take no dir_fd)."""
        p = self.path_arg(path)
        if self.guest_name(AT_FDCWD, p) == "/proc/self/exe":
            if change:
                raise GuestOSError(errno.EROFS)
            return _HostPath(self.sandbox.exe_host, None)
        loc = self.lookup_at(AT_FDCWD, p, follow=follow, read=not change)
        with loc:
            if change:
                loc.lstat()
                self.sandbox.check_write(loc)
            if loc.fd is None and loc.follow:
                return _HostPath(loc.name, None)
            fd = loc.open(F.O_PATH | (0 if loc.follow else os.O_NOFOLLOW))
        return _HostPath(f"/proc/self/fd/{fd}", fd)

    def _xattr_fd(self, fd, change: bool):
        f = self.fds.get(s32(fd))
        if getattr(f, "path_only", False):
            raise GuestOSError(errno.EBADF)
        if change:
            self._may_change(f)
        if f.host_fd() is None:
            raise GuestOSError(errno.ENOTSUP)
        return _HostPath(f.host_fd(), None)

    def _xattr_name(self, name) -> str:
        n = self.cstr(name, 256)
        if not n or len(n) > 255:
            raise GuestOSError(errno.ERANGE)
        return os.fsdecode(n)

    def _setxattr(self, target, name, value, size, flags):
        if flags & ~3:
            return -errno.EINVAL
        if size > XATTR_SIZE_MAX:
            return -errno.E2BIG
        n, v = self._xattr_name(name), self.rd(value, size)
        with target as t:
            os.setxattr(t.path, n, v, flags, follow_symlinks=t.follow)
        return 0

    def _getxattr(self, target, name, value, size):
        n = self._xattr_name(name)
        with target as t:
            v = os.getxattr(t.path, n, follow_symlinks=t.follow)
        return self._xattr_out(v, value, size)

    def _listxattr(self, target, buf, size):
        with target as t:
            names = os.listxattr(t.path, follow_symlinks=t.follow)
        return self._xattr_out(b"".join(os.fsencode(n) + b"\0" for n in names), buf, size)

    def _xattr_out(self, data: bytes, buf, size) -> int:
        if size == 0:
            return len(data)
        if len(data) > size:
            return -errno.ERANGE
        self.wr(buf, data)
        return len(data)

    def _removexattr(self, target, name):
        n = self._xattr_name(name)
        with target as t:
            os.removexattr(t.path, n, follow_symlinks=t.follow)
        return 0

    def sys_setxattr(self, path, name, value, size, flags, *_):
        return self._setxattr(self._xattr_target(path, True, True), name, value, size, flags)

    def sys_lsetxattr(self, path, name, value, size, flags, *_):
        return self._setxattr(self._xattr_target(path, False, True), name, value, size, flags)

    def sys_fsetxattr(self, fd, name, value, size, flags, *_):
        return self._setxattr(self._xattr_fd(fd, True), name, value, size, flags)

    def sys_getxattr(self, path, name, value, size, *_):
        return self._getxattr(self._xattr_target(path, True, False), name, value, size)

    def sys_lgetxattr(self, path, name, value, size, *_):
        return self._getxattr(self._xattr_target(path, False, False), name, value, size)

    def sys_fgetxattr(self, fd, name, value, size, *_):
        return self._getxattr(self._xattr_fd(fd, False), name, value, size)

    def sys_listxattr(self, path, buf, size, *_):
        return self._listxattr(self._xattr_target(path, True, False), buf, size)

    def sys_llistxattr(self, path, buf, size, *_):
        return self._listxattr(self._xattr_target(path, False, False), buf, size)

    def sys_flistxattr(self, fd, buf, size, *_):
        return self._listxattr(self._xattr_fd(fd, False), buf, size)

    def sys_removexattr(self, path, name, *_):
        return self._removexattr(self._xattr_target(path, True, True), name)

    def sys_lremovexattr(self, path, name, *_):
        return self._removexattr(self._xattr_target(path, False, True), name)

    def sys_fremovexattr(self, fd, name, *_):
        return self._removexattr(self._xattr_fd(fd, True), name)

    def _grow(self, fd: int, length: int, quota) -> None:
        """ftruncate(fd, length), charging growth to the disk quota (EDQUOT past it)."""
        if quota is not None:
            growth = length - os.fstat(fd).st_size
            if growth > 0 and quota.allow(growth) < growth:
                raise GuestOSError(errno.EDQUOT)
        os.ftruncate(fd, length)
        self.mem.files_changed()         # a mapped file may be shorter now (memory.FileMap)

    def sys_ftruncate(self, fd, length, *_):
        f = self.fds.get(s32(fd))
        if _s64(length) < 0:
            return -errno.EINVAL
        self._may_change(f)
        if not isinstance(f, F.HostFile) or not f.writable or f.is_dir:
            return -errno.EINVAL
        self._grow(f.fd, length, f.quota)
        return 0

    def sys_truncate(self, path, length, *_):
        if _s64(length) < 0:
            return -errno.EINVAL
        with self.lookup_at(AT_FDCWD, self.path_arg(path), follow=True) as loc:
            self.sandbox.check_write(loc)
            fd = loc.open(os.O_WRONLY | os.O_NONBLOCK)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    return -errno.EINVAL
                self._grow(fd, length, self.sandbox.quota)
            finally:
                os.close(fd)
        return 0

    def sys_fsync(self, fd, *_):
        """Files and directories: done (the host has the data); pipes, sockets, terminals and
        devices: EINVAL, as the kernel says of files without an fsync."""
        f = self.fds.get(s32(fd))
        return 0 if isinstance(f, (F.HostFile, F.FdDir)) else -errno.EINVAL

    sys_fdatasync = sys_fsync

    def sys_sync(self, *_):
        return 0

    def sys_fadvise64(self, *_):
        return 0

    def _host_mode(self, f) -> int:
        """The file type bits of an open file (0 for one that is no host file)."""
        hfd = f.host_fd() if hasattr(f, "host_fd") else None
        if hfd is None:
            return stat.S_IFDIR if isinstance(f, F.FdDir) else 0
        return stat.S_IFMT(os.fstat(hfd).st_mode)

    def sys_sync_file_range(self, fd, offset, nbytes, flags, *_):
        """Nothing to start or wait for (the host has the data, as for fsync); the kernel's
        checks: EBADF (an O_PATH descriptor too), EINVAL for unknown flags or a negative or
        overflowing range, ESPIPE for what is not a file, directory, link or block device."""
        f = self.fds.get(s32(fd))
        if getattr(f, "path_only", False):
            return -errno.EBADF
        offset, end = _s64(offset), _s64(offset) + _s64(nbytes)
        if flags & ~7 or offset < 0 or end < 0 or end >= 1 << 63 or end < offset:
            return -errno.EINVAL
        if self._host_mode(f) not in (stat.S_IFREG, stat.S_IFBLK, stat.S_IFDIR, stat.S_IFLNK):
            return -errno.ESPIPE
        return 0

    def sys_readahead(self, fd, offset, count, *_):
        """Nothing to read ahead (the host's page cache is the host's); the kernel's checks:
        EBADF for a descriptor not open for reading, EINVAL for what is no regular file or
        block device, or a count past 2**63 - 1."""
        f = self.fds.get(s32(fd))
        if not getattr(f, "readable", False) or getattr(f, "path_only", False):
            return -errno.EBADF
        if self._host_mode(f) not in (stat.S_IFREG, stat.S_IFBLK) or count >= 1 << 63:
            return -errno.EINVAL
        return 0

    def sys_fallocate(self, fd, mode, off, length, *_):
        """The host's fallocate on the host file (every mode: the host kernel checks them)."""
        f = self.fds.get(s32(fd))
        hfd = f.host_fd() if isinstance(f, F.HostFile) else None
        if hfd is None:
            return -errno.ESPIPE if getattr(f, "kind", "") == "pipe" else -errno.ENODEV
        if not f.writable:
            return -errno.EBADF
        if f.quota is not None or f.frozen:
            return -errno.EOPNOTSUPP if f.quota is not None else -errno.EROFS
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.fallocate64
        call.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64)
        if call(hfd, s32(mode), _s64(off), _s64(length)) != 0:
            return -(ctypes.get_errno() or errno.EIO)
        return 0

    def sys_memfd_create(self, name, flags, *_):
        """An anonymous file: a host memfd (its seals are the host's too)."""
        label = self.cstr(name, 256)
        if len(label) > 249:
            return -errno.EINVAL
        if flags & ~(1 | 2):                # MFD_CLOEXEC, MFD_ALLOW_SEALING
            if flags & ~(1 | 2 | 4 | 8 | 0x10 | (0x3F << 26)):
                return -errno.EINVAL
            raise NotServed("memfd_create with MFD_HUGETLB, MFD_NOEXEC_SEAL or MFD_EXEC")
        try:
            hfd = os.memfd_create(os.fsdecode(label), os.MFD_CLOEXEC | (flags & 2))
        except OSError as e:
            return -(e.errno or errno.ENOMEM)
        f = F.HostFile(hfd, "/memfd:" + os.fsdecode(label) + " (deleted)", os.O_RDWR, False)
        return self.install_open(f, O_CLOEXEC if flags & 1 else 0)

    _FAKE_STATFS = struct.pack("<qqQQQQQqqq", 0xEF53, 4096, 1 << 20, 1 << 19, 1 << 19, 1 << 16, 1 << 15,
                               0, 255, 4096).ljust(120, b"\0")

    def _host_statfs(self, hfd: int) -> bytes:
        """The host's fstatfs of ``hfd``: struct statfs is the same 120 bytes on 64-bit
        Linux hosts and on both guests (asm-generic)."""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        out = ctypes.create_string_buffer(120)
        if libc.fstatfs(ctypes.c_int(hfd), out) != 0:
            raise GuestOSError(ctypes.get_errno() or errno.EIO)
        return out.raw

    def sys_statfs(self, path, buf, *_):
        """The host's file system of the file (it was made-up numbers for any path, even one
        that does not exist)."""
        p = self.path_arg(path)
        if p == "":
            return -errno.ENOENT
        f = self.open_path(AT_FDCWD, p, O_PATH, 0)
        try:
            hfd = f.host_fd()
            data = self._host_statfs(hfd) if hfd is not None and hfd >= 0 else self._FAKE_STATFS
        finally:
            if f.host_fd() is not None:
                f.close()
        self.wr(buf, data)
        return 0

    def sys_fstatfs(self, fd, buf, *_):
        f = self.fds.get(s32(fd))
        hfd = f.host_fd()
        self.wr(buf, self._host_statfs(hfd) if hfd is not None and hfd >= 0 else self._FAKE_STATFS)
        return 0

    def sys_dup(self, fd, *_):
        f = self.fds.get(s32(fd))
        return self.fds.install(f)

    def sys_dup3(self, old, new, flags, *_):
        old, new = s32(old), s32(new)
        f = self.fds.get(old)
        if old == new or flags & ~O_CLOEXEC:
            return -errno.EINVAL
        if not 0 <= new < self.fds.max_fds:
            return -errno.EBADF
        self.fds.install(f, fd=new)
        if flags & O_CLOEXEC:
            self.fds.cloexec.add(new)
        return new

    def sys_fcntl(self, fd, cmd, arg, *_):
        fd = s32(fd)
        f = self.fds.get(fd)
        if cmd in (0, 1030):  # F_DUPFD, F_DUPFD_CLOEXEC
            if arg >= self.fds.max_fds:       # (RLIMIT_NOFILE: EINVAL, where EMFILE was said)
                return -errno.EINVAL
            nfd = self.fds.install(f, lowest=arg)
            if cmd == 1030:
                self.fds.cloexec.add(nfd)
            return nfd
        if cmd == 1:  # F_GETFD
            return 1 if fd in self.fds.cloexec else 0
        if cmd == 2:  # F_SETFD
            (self.fds.cloexec.add if arg & 1 else self.fds.cloexec.discard)(fd)
            return 0
        if cmd == 3:  # F_GETFL
            acc = 2 if f.readable and f.writable else (1 if f.writable else 0)
            if isinstance(f, F.HostFile) and not f.path_only:
                import fcntl as _fcntl          # the open file description's own flags
                host = _fcntl.fcntl(f.fd, _fcntl.F_GETFL)
                return acc | host & (O_APPEND | O_NONBLOCK | O_SYNC | O_NOATIME)
            return acc | (O_NONBLOCK if getattr(f, "nonblock", False) else 0)
        if cmd == 4:  # F_SETFL (host pipes and sockets: hostio.py)
            if arg & O_ASYNC:
                raise NotServed("fcntl F_SETFL with O_ASYNC (SIGIO)")
            if isinstance(f, F.HostFile) and not f.path_only:
                import fcntl as _fcntl          # O_APPEND, O_NONBLOCK, O_NOATIME change here
                keep = O_APPEND | O_NONBLOCK | O_NOATIME
                host = _fcntl.fcntl(f.fd, _fcntl.F_GETFL)
                try:
                    _fcntl.fcntl(f.fd, _fcntl.F_SETFL, host & ~keep | arg & keep)
                except OSError as e:
                    return -(e.errno or errno.EINVAL)
                f.append = bool(arg & O_APPEND)
            return 0
        if cmd in (5, 6, 7, 36, 37, 38):  # F_GETLK, F_SETLK(W), F_OFD_GETLK, F_OFD_SETLK(W)
            return self._record_lock(f, cmd, arg)
        if cmd in (1033, 1034):           # F_ADD_SEALS, F_GET_SEALS: the host file's
            import fcntl as _fcntl
            hfd = f.host_fd() if isinstance(f, F.HostFile) else None
            if hfd is None:
                return -errno.EINVAL
            try:
                return _fcntl.fcntl(hfd, cmd, arg & 0xFFFFFFFF)
            except OSError as e:
                return -(e.errno or errno.EINVAL)
        return -errno.EINVAL

    def _host_lock(self, call, blocking: bool):
        """Try a host lock call; a blocking one is retried until it is granted, a signal
        interrupts it (EINTR) or the run ends. (Only where no host thread can wait for it:
        ``lock_wait``.)"""
        while True:
            try:
                return call()
            except OSError as e:
                if not blocking or e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise GuestOSError(e.errno or errno.EINVAL)
            if self.wait_for_signal(0.02) or self.stop_event.is_set():
                raise GuestOSError(errno.EINTR)

    def lock_wait(self, name: str, hfd: int, cmd: int | None, arg):
        """A lock request that waits: ``fcntl(hfd, cmd, arg)`` (F_SETLKW, F_OFD_SETLKW, with
        the struct flock bytes) or, with ``cmd`` None, ``flock(hfd, arg)``. Here it polls the
        non-blocking form; the Process's (hostio.py) waits in a host thread instead, as the
        kernel's own waiter (other guest threads run; deadlocks are detected)."""
        import fcntl as _fcntl
        if cmd is None:
            call = lambda: _fcntl.flock(hfd, arg | 4)               # LOCK_NB
        else:
            nb = {7: 6, 38: 37}[cmd]                                # F_SETLK, F_OFD_SETLK
            call = lambda: _fcntl.fcntl(hfd, nb, arg)
        self._host_lock(call, True)
        return 0

    def _record_lock(self, f, cmd, arg):
        """POSIX and open-file-description record locks are the host's, on the host file:
        the processes of a run are host processes (struct flock is the same 32 bytes on the
        guests and the host: type, whence, start, len, pid)."""
        import fcntl as _fcntl
        hfd = f.host_fd()
        if hfd is None or hfd < 0:
            return -errno.EINVAL
        raw = self.rd(arg, 32)
        if cmd in (7, 38):                  # F_SETLKW, F_OFD_SETLKW
            return self.lock_wait("fcntl", hfd, cmd, raw)
        out = self._host_lock(lambda: _fcntl.fcntl(hfd, cmd, raw), False)
        if cmd in (5, 36):
            ltype, = struct.unpack_from("<h", out)
            pid, = struct.unpack_from("<i", out, 24)
            if ltype != 2 and pid > 0:      # not F_UNLCK: the holder, as the guest names it
                out = out[:24] + struct.pack("<i", self.guest_of(pid)) + out[28:]
            self.wr(arg, out)
        return 0

    def sys_flock(self, fd, op, *_):
        """flock: the host's, on the host file (locks of one open file description, shared
        by the processes of a run as on Linux)."""
        import fcntl as _fcntl
        f = self.fds.get(s32(fd))
        if op & ~4 not in (1, 2, 8):              # LOCK_SH, LOCK_EX, LOCK_UN (| LOCK_NB)
            return -errno.EINVAL
        hfd = f.host_fd()
        if hfd is None or hfd < 0:
            return -errno.EINVAL
        if not op & 4 and op != 8:                # waits: LOCK_SH or LOCK_EX without LOCK_NB
            return self.lock_wait("flock", hfd, None, op)
        self._host_lock(lambda: _fcntl.flock(hfd, op), False)
        return 0

    def sys_ioctl(self, fd, req, arg, *_):
        f = self.fds.get(s32(fd))
        req &= 0xFFFFFFFF
        if req in (TCGETS, TIOCGWINSZ):
            if not f.isatty():
                return -errno.ENOTTY
            import fcntl as _fcntl
            size = 36 if req == TCGETS else 8
            try:
                data = _fcntl.ioctl(f.host_fd(), req, bytes(size))
            except OSError as e:
                return -(e.errno or errno.ENOTTY)
            self.wr(arg, data)
            return 0
        if req == FIONBIO:
            return 0
        return -errno.ENOTTY

    # --- waiting for descriptors: ppoll, pselect6 -------------------------------------------
    def _timeout_arg(self, tmo) -> float | None:
        """A struct timespec timeout -> seconds (None: wait forever)."""
        if not tmo:
            return None
        sec, nsec = struct.unpack("<qq", self.rd(tmo, 16))
        if sec < 0 or not 0 <= nsec < 1_000_000_000:
            raise GuestOSError(errno.EINVAL)
        return timespec_seconds(sec, nsec)

    def _write_left(self, tmo, deadline) -> None:
        """The kernel writes the time left back into a ppoll/pselect6 timeout."""
        if tmo and deadline is not None:
            try:
                self.wr(tmo, pack_timespec(max(0.0, deadline - time.monotonic())))
            except GuestOSError:
                pass

    def _wait_ready(self, scan, files, seconds):
        """Run ``scan()`` (the number of ready descriptors) until it is non-zero, the timeout
        passes (0), or a signal or the end of the run interrupts the wait (-EINTR).

        Pipes and captured streams cannot change while the single guest thread waits; only
        host descriptors passed through (a terminal, a pipe from the shell) can, so those are
        polled in short slices and everything else just sleeps until a signal or the time.
        Returns (result, deadline)."""
        deadline = None if seconds is None else time.monotonic() + seconds
        n = scan()
        if n or seconds == 0:
            return n, deadline
        if self.interrupting_signal():
            return -errno.EINTR, deadline
        host = sorted({fd for fd in (f.waitable_fd() for f in files) if fd is not None})
        poller = None
        if host:
            import select
            poller = select.poll()
            for fd in host:
                poller.register(fd, select.POLLIN | select.POLLOUT)
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return 0, deadline
            if poller is not None:
                step = 0.05 if left is None else min(0.05, left)
                poller.poll(int(step * 1000) + 1)
                if self.interrupting_signal():
                    return -errno.EINTR, deadline
            elif self.wait_for_signal(left):
                return -errno.EINTR, deadline
            if self.stop_event.is_set():
                return -errno.EINTR, deadline
            n = scan()
            if n:
                return n, deadline

    def _user_mask(self, ptr, size) -> int | None:
        """The temporary signal mask of ppoll/pselect6 (None: keep the current one)."""
        if not ptr:
            return None
        if size != 8:
            raise GuestOSError(errno.EINVAL)
        return struct.unpack("<Q", self.rd(ptr, 8))[0]

    def _wait_masked(self, mask, scan, files, seconds):
        """_wait_ready with the temporary mask of pselect6/ppoll in force (signals.py)."""
        if mask is None:
            return self._wait_ready(scan, files, seconds)
        self.begin_temporary_mask(mask)
        n, deadline = self._wait_ready(scan, files, seconds)
        self.end_temporary_mask(n == -errno.EINTR)
        return n, deadline

    def _wait_then(self, name, mask, scan, files, seconds, finish):
        """Wait for descriptors, then ``finish(n, deadline)`` gives the call's result. With
        other threads around, the thread blocks and the others run meanwhile: one of them may
        write the pipe it waits for, or send the signal a temporary mask lets through (it
        once waited in the system call, holding them all)."""
        if len(self.threads) > 1 and seconds != 0:
            deadline = None if seconds is None else time.monotonic() + seconds
            if mask is not None:
                # the temporary mask is the thread's until the call ends (in its saved state
                # while it waits); it ends once the thread runs again (threads.Later), and
                # stays until the handler's frame when a signal ended the wait (signals.py)
                self.begin_temporary_mask(mask)
                if self.interrupting_signal():
                    self.end_temporary_mask(True)
                    return finish(-errno.EINTR, deadline)

            def done(k):
                if mask is None:
                    return finish(k, deadline)

                def later():
                    self.end_temporary_mask(k == -errno.EINTR)
                    return finish(k, deadline)
                return self.Later(later)
            n = scan()
            if n:
                if mask is not None:
                    self.end_temporary_mask(False)
                return finish(n, deadline)
            host = tuple(sorted({fd for fd in (f.waitable_fd() for f in files) if fd is not None}))

            def poll():
                k = scan()
                return done(k) if k else None
            return self.block(self.Wait(name, poll, deadline, host_fds=host,
                                        timeout_result=lambda: done(0),
                                        interrupted=lambda: done(-errno.EINTR)))
        n, deadline = self._wait_masked(mask, scan, files, seconds)
        return finish(n, deadline)

    def sys_ppoll(self, fds, nfds, tmo, sigmask, sigsetsize, *_):
        if nfds > self.fds.max_fds:
            return -errno.EINVAL
        seconds = self._timeout_arg(tmo)
        mask = self._user_mask(sigmask, sigsetsize)
        raw = bytearray(self.rd(fds, 8 * nfds))
        if nfds and not self.mem.is_mapped(fds, 8 * nfds, 2):
            return -errno.EFAULT
        entries = [struct.unpack_from("<ih", raw, 8 * i) for i in range(nfds)]
        files = [self.fds.fds.get(fd) if fd >= 0 else None for fd, _ev in entries]

        def scan():
            ready = 0
            for i, ((fd, events), f) in enumerate(zip(entries, files)):
                if fd < 0:
                    rev = 0
                elif f is None:
                    rev = F.POLLNVAL
                else:
                    rev = f.poll() & (events | F.POLLERR | F.POLLHUP)
                struct.pack_into("<h", raw, 8 * i + 6, rev)
                ready += rev != 0
            return ready

        def finish(n, deadline):
            if n >= 0:
                self.wr(fds, bytes(raw))
            self._write_left(tmo, deadline)
            return n

        return self._wait_then("ppoll", mask, scan, [f for f in files if f is not None], seconds, finish)

    def sys_pselect6(self, nfds, rfds, wfds, efds, tmo, sigmask, *_):
        nfds = s32(nfds)
        if nfds < 0 or nfds > self.fds.max_fds:
            return -errno.EINVAL
        seconds = self._timeout_arg(tmo)
        mask = None
        if sigmask:   # struct { const sigset_t *ss; size_t ss_len; }
            ss, ss_len = struct.unpack("<QQ", self.rd(sigmask, 16))
            mask = self._user_mask(ss, ss_len)
        nbytes = (nfds + 63) // 64 * 8
        sets = []
        for addr in (rfds, wfds, efds):
            if addr and nbytes:
                if not self.mem.is_mapped(addr, nbytes, 3):
                    return -errno.EFAULT
                sets.append(int.from_bytes(self.mem.read(addr, nbytes), "little"))
            else:
                sets.append(0)
        wanted = sets[0] | sets[1] | sets[2]
        files = {}
        for fd in range(nfds):
            if wanted >> fd & 1:
                f = self.fds.fds.get(fd)
                if f is None:
                    return -errno.EBADF
                files[fd] = f
        out = [0, 0, 0]
        in_set = F.READY_IN | F.POLLHUP | F.POLLERR     # the kernel's POLLIN_SET
        out_set = F.READY_OUT | F.POLLERR               # POLLOUT_SET

        def scan():
            out[:] = [0, 0, 0]
            count = 0
            for fd, f in files.items():
                ev = f.poll()
                bit = 1 << fd
                for k, cond in ((0, ev & in_set), (1, ev & out_set), (2, ev & F.POLLPRI)):
                    if sets[k] & bit and cond:
                        out[k] |= bit
                        count += 1
            return count

        def finish(n, deadline):
            if n >= 0:
                for addr, val in zip((rfds, wfds, efds), out):
                    if addr and nbytes:
                        self.wr(addr, val.to_bytes(nbytes, "little"))
            self._write_left(tmo, deadline)
            return n

        return self._wait_then("pselect6", mask, scan, list(files.values()), seconds, finish)


class _HostPath:
    """What the host's *xattr calls take: a path or a descriptor; closes its O_PATH
    descriptor when done."""

    def __init__(self, path, fd):
        self.path, self.fd = path, fd
        self.follow = True            # the walk already chose the file (and /proc/self/fd/N)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _renameat2(olddirfd: int, old: str, newdirfd: int, new: str, flags: int) -> None:
    """renameat2 with flags (RENAME_NOREPLACE, RENAME_EXCHANGE): os.rename has none."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(olddirfd if olddirfd is not None else AT_FDCWD, os.fsencode(old),
                      newdirfd if newdirfd is not None else AT_FDCWD, os.fsencode(new), flags) != 0:
        raise GuestOSError(ctypes.get_errno() or errno.EIO)


def _raise(err):
    raise GuestOSError(err)


def handler_table(obj, arch_name: str) -> dict:
    """number -> bound handler, for every sys_<name> the object defines."""
    from .sysnames import NAMES_RISCV64, NAMES
    names = NAMES_RISCV64 if arch_name == "riscv64" else NAMES
    table = {}
    for nr, name in names.items():
        h = getattr(obj, "sys_" + name, None)
        if h is not None:
            table[nr] = h
    return table


__all__ = ["Syscalls", "handler_table", "SIGNAL_NAMES", "NUMBERS"]
