"""``--strace``: one line per system call on stderr, in the style of ``qemu-* -strace``.

    4242 openat(AT_FDCWD,"data.txt",O_RDONLY) = 3
    4242 write(1,"hello\\n",6) = 6
    4242 ioctl(1,TCGETS,0x3fffffe3c8) = -1 errno=25 (Inappropriate ioctl for device)
    4242 exit_group(0)

Arguments are decoded from a small per-call signature table; calls not in it show their first
three arguments in hex. Buffers the program writes are shown (abridged) like strace does.
"""

from __future__ import annotations

import os

from .sysnames import name_of

# argument kinds: i = signed int, u = unsigned, x = pointer/hex, s = path string,
# D = dirfd, O = open flags, P = mmap prot, M = mmap flags, W = buffer (length is the next
# argument), S = signal number, A = access mode, C = clock id, I = ioctl request
SIGNATURES = {
    "read": "ixu", "write": "iWu", "readv": "ixi", "writev": "ixi", "pread64": "ixuu",
    "pwrite64": "iWuu", "openat": "DsOo", "close": "i", "lseek": "iii", "newfstatat": "Dsxx",
    "fstat": "ix", "statx": "Dsxxx", "faccessat": "DsA", "faccessat2": "DsAx", "getdents64": "ixu",
    "getcwd": "xu", "chdir": "s", "fchdir": "i", "unlinkat": "Dsx", "mkdirat": "Dso",
    "renameat2": "DsDsx", "renameat": "DsDs", "readlinkat": "Dsxu", "dup": "i", "dup3": "iix",
    "fcntl": "iix", "ioctl": "iIx", "pipe2": "xx", "brk": "x", "mmap": "xuPMiu", "munmap": "xu",
    "mremap": "xuuxx", "mprotect": "xuP", "madvise": "xui", "uname": "x",
    "clock_gettime": "Cx", "clock_getres": "Cx", "gettimeofday": "xx", "nanosleep": "xx",
    "clock_nanosleep": "Cixx", "exit": "i", "exit_group": "i", "set_tid_address": "x",
    "set_robust_list": "xu", "rseq": "xuix", "prlimit64": "iixx", "getrandom": "xux",
    "rt_sigaction": "Sxxu", "rt_sigprocmask": "ixxu", "tgkill": "iiS", "tkill": "iS", "kill": "iS",
    "futex": "xiixxi", "sched_getaffinity": "iux", "getpid": "", "gettid": "", "getppid": "",
    "getuid": "", "geteuid": "", "getgid": "", "getegid": "", "sched_yield": "",
    "pselect6": "ixxxxx", "ppoll": "xuxxu",
    "clone": "xxxxx", "execve": "sxx", "wait4": "ixxx", "waitid": "iixx", "setpgid": "ii",
    "getpgid": "i", "socket": "iii", "socketpair": "iiix", "bind": "ixu", "listen": "ii",
    "connect": "ixu", "accept": "ixx", "accept4": "ixxx", "getsockname": "ixx", "getpeername": "ixx",
    "sendto": "iWuxxu", "recvfrom": "ixuxxx", "sendmsg": "ixx", "recvmsg": "ixx",
    "shutdown": "ii", "setsockopt": "iiixu", "getsockopt": "iiixx", "epoll_create1": "x",
    "epoll_ctl": "iiix", "epoll_pwait": "ixiixu", "eventfd2": "ux", "timerfd_create": "Cx",
    "timerfd_settime": "ixxx", "timerfd_gettime": "ix",
}

_OFLAGS = [(0o100, "O_CREAT"), (0o200, "O_EXCL"), (0o400, "O_NOCTTY"), (0o1000, "O_TRUNC"),
           (0o2000, "O_APPEND"), (0o4000, "O_NONBLOCK"), (0o2000000, "O_CLOEXEC"),
           (0o10000000, "O_PATH")]
_OFLAGS_DIR = {"arm64": [(0o40000, "O_DIRECTORY"), (0o100000, "O_NOFOLLOW"), (0o400000, "O_LARGEFILE")],
               "riscv64": [(0o200000, "O_DIRECTORY"), (0o400000, "O_NOFOLLOW"), (0o100000, "O_LARGEFILE")]}
_PROT = [(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC"), (0x01000000, "PROT_GROWSDOWN")]
_MAP = [(1, "MAP_SHARED"), (2, "MAP_PRIVATE"), (0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"),
        (0x100, "MAP_GROWSDOWN"), (0x4000, "MAP_NORESERVE"), (0x8000, "MAP_POPULATE"),
        (0x800, "MAP_DENYWRITE"), (0x20000, "MAP_STACK"), (0x100000, "MAP_FIXED_NOREPLACE")]
_CLOCKS = {0: "CLOCK_REALTIME", 1: "CLOCK_MONOTONIC", 2: "CLOCK_PROCESS_CPUTIME_ID",
           3: "CLOCK_THREAD_CPUTIME_ID", 4: "CLOCK_MONOTONIC_RAW", 5: "CLOCK_REALTIME_COARSE",
           6: "CLOCK_MONOTONIC_COARSE", 7: "CLOCK_BOOTTIME"}
_IOCTLS = {0x5401: "TCGETS", 0x5413: "TIOCGWINSZ", 0x5421: "FIONBIO", 0x541B: "FIONREAD"}


def _flags(value: int, table, zero: str = "0") -> str:
    names = []
    for bit, name in table:
        if value & bit:
            names.append(name)
            value &= ~bit
    if value:
        names.append(hex(value))
    return "|".join(names) if names else zero


def _s(x: int, bits: int = 64) -> int:
    x &= (1 << bits) - 1
    return x - (1 << bits) if x >> (bits - 1) else x


def _quote(data: bytes, limit: int = 32) -> str:
    out = []
    for b in data[:limit]:
        c = chr(b)
        if c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c in "\"\\":
            out.append("\\" + c)
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append(f"\\{b:o}")
    return '"' + "".join(out) + '"' + ("..." if len(data) > limit else "")


def _arg(proc, kind: str, v: int, nxt: int) -> str:
    try:
        if kind == "i":
            return str(_s(v, 32))
        if kind == "u":
            return str(v)
        if kind == "o":
            return f"{v:#o}"
        if kind == "x":
            return "NULL" if v == 0 else hex(v)
        if kind == "s":
            return _quote(proc.cstr(v), 200) if v else "NULL"
        if kind == "D":
            return "AT_FDCWD" if _s(v, 32) == -100 else str(_s(v, 32))
        if kind == "O":
            acc = ("O_RDONLY", "O_WRONLY", "O_RDWR", "3")[v & 3]
            rest = _flags(v & ~3, _OFLAGS + _OFLAGS_DIR[proc.arch.name], "")
            return acc + ("|" + rest if rest else "")
        if kind == "P":
            return _flags(v, _PROT, "PROT_NONE")
        if kind == "M":
            return _flags(v, _MAP)
        if kind == "W":
            return _quote(proc.rd(v, min(nxt, 64))) if nxt else '""'
        if kind == "S":
            from .syscalls import SIGNAL_NAMES
            return SIGNAL_NAMES.get(v, str(v))
        if kind == "A":
            return _flags(v, [(4, "R_OK"), (2, "W_OK"), (1, "X_OK")], "F_OK")
        if kind == "C":
            return _CLOCKS.get(v, str(v))
        if kind == "I":
            return _IOCTLS.get(v & 0xFFFFFFFF, hex(v))
    except Exception:
        return hex(v)
    return hex(v)


def format_call(proc, nr, args, ret) -> str:
    name = name_of(nr, proc.arch.name)
    sig = SIGNATURES.get(name)
    if sig is None:
        text = ",".join(hex(x) for x in args[:3])
    else:
        text = ",".join(_arg(proc, k, args[i], args[i + 1] if i + 1 < len(args) else 0)
                        for i, k in enumerate(sig))
    line = f"{getattr(proc, 'cur_tid', proc.pid)} {name}({text})"
    if ret is None:
        return line
    if ret == "<unfinished ...>":
        return f"{line} <unfinished ...>"
    if isinstance(ret, str):
        return f"{line} = ? ({ret})"
    if -4096 < ret < 0:
        return f"{line} = -1 errno={-ret} ({os.strerror(-ret)})"
    if name in ("mmap", "brk", "mremap"):
        return f"{line} = {ret:#018x}"
    return f"{line} = {ret}"
