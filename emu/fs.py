"""The guest's file system view and its open files.

The sandbox: a host directory (``--root``, by default the current directory) is the guest's
``/``. Paths are walked here, one component at a time, the way the kernel would walk them
under chroot: ``..`` stops at the root, and every symbolic link met on the way is read and
re-walked from the guest's point of view (an absolute target restarts at the guest root, not
the host's). The host path that comes out therefore never leaves the root; the final open
uses O_NOFOLLOW so a link cannot slip in afterwards. ``/tmp`` is a private directory created
for the run and removed after it. A handful of device and proc files are synthesized.
"""

from __future__ import annotations

import errno
import os
import stat
import struct

from .tmpdirs import PrivateTmp

MAX_SYMLINKS = 40


class GuestOSError(Exception):
    """A system call fails with this errno (returned to the guest as -errno)."""

    def __init__(self, err: int):
        super().__init__(err)
        self.errno = err


SPECIAL_DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/full")


class Sandbox:
    def __init__(self, root: str, exe_guest: str, exe_host: str, cwd: str = "/",
                 sysroot: str | None = None):
        self.root = os.path.realpath(root)
        self.exe_guest = exe_guest
        self.exe_host = exe_host
        self.cwd = cwd
        # The sysroot (qemu's -L): read-only lookups of absolute guest paths look here first.
        self.sysroot = os.path.realpath(sysroot) if sysroot else None
        self._tmp = None              # the private /tmp (tmpdirs.PrivateTmp), made on first use

    # --- /tmp ---------------------------------------------------------------------------
    def tmp_dir(self) -> str:
        if self._tmp is None:
            self._tmp = PrivateTmp()  # locked while the run lives; swept by the next run if it dies
        return self._tmp.path

    def cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.remove()
            self._tmp = None

    def to_host(self, parts: list[str]) -> str:
        if parts and parts[0] == "tmp":
            return os.path.join(self.tmp_dir(), *parts[1:])
        return os.path.join(self.root, *parts)

    def guest_of_host(self, host: str) -> str | None:
        """The guest path of a host path, if it lies inside the root."""
        host = os.path.realpath(host)
        if host == self.root:
            return "/"
        if host.startswith(self.root + os.sep):
            return "/" + os.path.relpath(host, self.root).replace(os.sep, "/")
        return None

    # --- path walk ----------------------------------------------------------------------
    def absolute(self, path: str, base: str | None = None) -> str:
        if path.startswith("/"):
            return path
        return (base if base is not None else self.cwd).rstrip("/") + "/" + path

    def resolve(self, path: str, base: str | None = None, follow: bool = True) -> tuple[str, str]:
        """Walk a guest path; return (host path, normalized guest path).

        The last component need not exist (callers that create files rely on that); every
        earlier one must be a directory. ``follow`` says whether a final symbolic link is
        followed.
        """
        if path == "":
            raise GuestOSError(errno.ENOENT)
        return self._walk(self.absolute(path, base), follow, self.to_host)

    def resolve_read(self, path: str, base: str | None = None, follow: bool = True) -> tuple[str, str]:
        """``resolve`` for lookups that only read (open without write or create, stat,
        access, readlink): an absolute guest path that exists inside the sysroot is taken
        from there, as qemu-user's ``-L`` does; anything else is resolved in the root.

        The sysroot is walked as a second root (chroot-like): ``..`` stops at it and absolute
        symbolic links restart at it, so a lookup there never leaves it either. The guest's
        private /tmp is never redirected."""
        if self.sysroot and path.startswith("/"):
            norm = "/" + "/".join(p for p in path.split("/") if p not in ("", "."))
            if norm != "/tmp" and not norm.startswith("/tmp/"):
                hit = self.sysroot_lookup(path, follow)
                if hit is not None:
                    return hit
        return self.resolve(path, base, follow)

    def in_sysroot(self, host: str) -> bool:
        return bool(self.sysroot) and (host == self.sysroot or host.startswith(self.sysroot + os.sep))

    def sysroot_lookup(self, path: str, follow: bool = True) -> tuple[str, str] | None:
        """(host path, guest path) of an existing absolute ``path`` inside the sysroot, or None."""
        sysroot = self.sysroot
        if not sysroot or not path.startswith("/"):
            return None
        try:
            host, guest = self._walk(path, follow, lambda parts: os.path.join(sysroot, *parts))
        except GuestOSError:
            return None
        if guest == "/" or not os.path.lexists(host):
            return None
        return host, guest

    def _walk(self, path: str, follow: bool, to_host) -> tuple[str, str]:
        pending = [p for p in reversed(path.split("/"))]
        parts: list[str] = []
        links = 0
        while pending:
            name = pending.pop()
            if name in ("", "."):
                continue
            if name == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(name)
            last = not any(p not in ("", ".") for p in pending)
            host = to_host(parts)
            try:
                st = os.lstat(host)
            except FileNotFoundError:
                if last:
                    break
                raise GuestOSError(errno.ENOENT) from None
            except NotADirectoryError:
                raise GuestOSError(errno.ENOTDIR) from None
            except OSError as e:
                raise GuestOSError(e.errno or errno.EIO) from None
            if stat.S_ISLNK(st.st_mode) and (follow or not last):
                links += 1
                if links > MAX_SYMLINKS:
                    raise GuestOSError(errno.ELOOP)
                target = os.readlink(host)
                parts.pop()
                if target.startswith("/"):
                    parts = []
                pending.extend(reversed(target.split("/")))
                continue
            if not last and not stat.S_ISDIR(st.st_mode):
                raise GuestOSError(errno.ENOTDIR)
        if path.endswith("/") and parts:
            # a trailing slash demands a directory
            host = to_host(parts)
            if os.path.lexists(host) and not os.path.isdir(host):
                raise GuestOSError(errno.ENOTDIR)
        return to_host(parts), "/" + "/".join(parts)


# --- open files -----------------------------------------------------------------------

S_IFIFO, S_IFCHR, S_IFREG, S_IFDIR = 0o010000, 0o020000, 0o100000, 0o040000

# poll(2) event bits (asm-generic)
POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
POLLRDNORM, POLLWRNORM = 0x40, 0x100
READY_IN = POLLIN | POLLRDNORM
READY_OUT = POLLOUT | POLLWRNORM


class OpenFile:
    """One open file description (shared by dup'ed descriptors)."""

    kind = "file"
    readable = writable = True
    guest_path = ""

    def read(self, n: int) -> bytes:
        raise GuestOSError(errno.EBADF)

    def write(self, data: bytes) -> int:
        raise GuestOSError(errno.EBADF)

    def pread(self, n: int, off: int) -> bytes:
        raise GuestOSError(errno.ESPIPE)

    def pwrite(self, data: bytes, off: int) -> int:
        raise GuestOSError(errno.ESPIPE)

    def lseek(self, off: int, whence: int) -> int:
        raise GuestOSError(errno.ESPIPE)

    def fstat(self) -> os.stat_result | tuple:
        return fake_stat(S_IFIFO | 0o600)

    def isatty(self) -> bool:
        return False

    def host_fd(self) -> int | None:
        return None

    def poll(self) -> int:
        """The poll(2) events this file has now (as the kernel's f_op->poll). Regular files,
        directories and devices are always ready, whatever their access mode."""
        return READY_IN | READY_OUT

    def waitable_fd(self) -> int | None:
        """A host descriptor whose readiness can change while the guest waits (or None)."""
        return None

    def close(self) -> None:
        pass


def fake_stat(mode: int, size: int = 0, rdev: int = 0):
    """A stat-like tuple for synthesized files (fields as in os.stat_result order we use)."""
    return _FakeStat(mode, size, rdev)


class _FakeStat:
    def __init__(self, mode, size, rdev):
        self.st_mode = mode
        self.st_size = size
        self.st_rdev = rdev
        self.st_dev = 0x10
        self.st_ino = 0x1000 + (mode & 0xFFF)
        self.st_nlink = 1
        self.st_uid = os.getuid()
        self.st_gid = os.getgid()
        self.st_blksize = 4096
        self.st_blocks = 0
        self.st_atime_ns = self.st_mtime_ns = self.st_ctime_ns = 0


class HostFile(OpenFile):
    """A file or directory in the sandbox, backed by a host descriptor."""

    host_path = ""     # where it was opened (for naming mapped files in crash reports)
    in_sysroot = False  # opened from the sysroot: names relative to it are looked up there too

    def __init__(self, fd: int, guest_path: str, flags_acc: int, is_dir: bool, append: bool = False):
        self.fd = fd
        self.guest_path = guest_path
        self.readable = flags_acc in (os.O_RDONLY, os.O_RDWR)
        self.writable = flags_acc in (os.O_WRONLY, os.O_RDWR)
        self.is_dir = is_dir
        self.kind = "dir" if is_dir else "file"
        self.dir_entries = None
        self.dir_pos = 0

    def read(self, n):
        if self.is_dir:
            raise GuestOSError(errno.EISDIR)
        if not self.readable:
            raise GuestOSError(errno.EBADF)
        return _os(os.read, self.fd, n)

    def write(self, data):
        if not self.writable:
            raise GuestOSError(errno.EBADF)
        return _os(os.write, self.fd, data)

    def pread(self, n, off):
        if not self.readable:
            raise GuestOSError(errno.EBADF)
        return _os(os.pread, self.fd, n, off)

    def pwrite(self, data, off):
        if not self.writable:
            raise GuestOSError(errno.EBADF)
        return _os(os.pwrite, self.fd, data, off)

    def lseek(self, off, whence):
        if self.is_dir:
            if whence == 0 and off == 0:
                self.dir_pos = 0
                self.dir_entries = None
                return 0
            raise GuestOSError(errno.EINVAL)
        return _os(os.lseek, self.fd, off, whence)

    def fstat(self):
        return _os(os.fstat, self.fd)

    def isatty(self):
        return os.isatty(self.fd)

    def host_fd(self):
        return self.fd

    def close(self):
        try:
            os.close(self.fd)
        except OSError:
            pass


def _os(fn, *args):
    try:
        return fn(*args)
    except OSError as e:
        raise GuestOSError(e.errno or errno.EIO) from None


class Device(OpenFile):
    """/dev/null, /dev/zero, /dev/full, /dev/urandom."""

    kind = "dev"

    def __init__(self, path: str):
        self.guest_path = path
        self.name = path.rsplit("/", 1)[1]

    def read(self, n):
        if self.name == "null":
            return b""
        if self.name in ("zero", "full"):
            return bytes(n)
        return os.urandom(n)

    def write(self, data):
        if self.name == "full":
            raise GuestOSError(errno.ENOSPC)
        return len(data)

    def pread(self, n, off):
        return self.read(n)

    def lseek(self, off, whence):
        return 0

    def fstat(self):
        minor = {"null": 3, "zero": 5, "full": 7, "random": 8, "urandom": 9}[self.name]
        return fake_stat(S_IFCHR | 0o666, rdev=(1 << 8) | minor)


class Pipe:
    def __init__(self):
        self.buf = bytearray()
        self.readers = 1
        self.writers = 1


class PipeEnd(OpenFile):
    kind = "pipe"

    nonblock = False

    def __init__(self, pipe: Pipe, is_read: bool):
        self.pipe = pipe
        self.is_read = is_read
        self.readable = is_read
        self.writable = not is_read

    def read(self, n):
        if not self.is_read:
            raise GuestOSError(errno.EBADF)
        p = self.pipe
        if not p.buf:
            if p.writers == 0:
                return b""
            # A single-threaded guest reading an empty pipe it still writes would block forever.
            raise GuestOSError(errno.EAGAIN)
        data = bytes(p.buf[:n])
        del p.buf[:n]
        return data

    def write(self, data):
        if self.is_read:
            raise GuestOSError(errno.EBADF)
        if self.pipe.readers == 0:
            raise GuestOSError(errno.EPIPE)
        self.pipe.buf += data
        return len(data)

    def poll(self):
        p = self.pipe
        if self.is_read:
            return (READY_IN if p.buf else 0) | (POLLHUP if p.writers == 0 else 0)
        return READY_OUT | (POLLERR if p.readers == 0 else 0)

    def close(self):
        if self.is_read:
            self.pipe.readers -= 1
        else:
            self.pipe.writers -= 1


class StdinBytes(OpenFile):
    """Standard input given as bytes (the in-process API)."""

    kind = "pipe"
    writable = False

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def read(self, n):
        chunk = self.data[self.pos:self.pos + n]
        self.pos += len(chunk)
        return chunk

    def poll(self):
        # a pipe whose writer wrote everything and closed it
        return (READY_IN if self.pos < len(self.data) else 0) | POLLHUP


class OutputLimit(Exception):
    pass


class Output:
    """Shared accounting for what the guest writes to stdout and stderr."""

    def __init__(self, limit: int):
        self.limit = limit
        self.total = 0

    def charge(self, n: int) -> None:
        self.total += n
        if self.total > self.limit:
            raise OutputLimit


class CaptureSink(OpenFile):
    """Standard output/error captured into bytes (looks like a pipe to the guest)."""

    kind = "pipe"
    readable = False

    def __init__(self, acct: Output):
        self.buf = bytearray()
        self.acct = acct

    def write(self, data):
        self.acct.charge(len(data))
        self.buf += data
        return len(data)

    def poll(self):
        return READY_OUT


class HostStream(OpenFile):
    """A host descriptor passed through (the CLI's stdin/stdout/stderr)."""

    def __init__(self, fd: int, acct: Output | None, readable: bool, writable: bool):
        self.fd = fd
        self.acct = acct
        self.readable = readable
        self.writable = writable
        self.kind = "tty" if os.isatty(fd) else "stream"

    stop_event = None  # set by the runner: a timeout must not wait for input forever

    def read(self, n):
        if not self.readable:
            raise GuestOSError(errno.EBADF)
        if self.stop_event is not None:
            import select
            while not select.select([self.fd], [], [], 0.05)[0]:
                if self.stop_event.is_set():
                    raise GuestOSError(errno.EINTR)
        return _os(os.read, self.fd, n)

    def write(self, data):
        if not self.writable:
            raise GuestOSError(errno.EBADF)
        if self.acct:
            self.acct.charge(len(data))
        view = memoryview(data)
        while view:
            n = _os(os.write, self.fd, view)
            view = view[n:]
        return len(data)

    def lseek(self, off, whence):
        return _os(os.lseek, self.fd, off, whence)

    def fstat(self):
        return _os(os.fstat, self.fd)

    def isatty(self):
        return os.isatty(self.fd)

    def host_fd(self):
        return self.fd

    def poll(self):
        return host_poll(self.fd, self.readable, self.writable)

    def waitable_fd(self):
        return self.fd


def host_poll(fd: int, readable: bool, writable: bool) -> int:
    """poll(2) events of a host descriptor now, limited to the directions the guest has."""
    import select
    want = (select.POLLIN if readable else 0) | (select.POLLOUT if writable else 0)
    p = select.poll()
    p.register(fd, want)
    got = 0
    for _fd, ev in p.poll(0):
        got = ev
    out = 0
    if got & select.POLLIN:
        out |= READY_IN
    if got & select.POLLOUT:
        out |= READY_OUT
    if got & select.POLLHUP:
        out |= POLLHUP
    if got & select.POLLERR:
        out |= POLLERR
    if got & select.POLLNVAL:
        out |= POLLNVAL
    return out


class FdTable:
    def __init__(self, max_fds: int = 1024):
        self.fds: dict[int, OpenFile] = {}
        self.cloexec: set[int] = set()
        self.refs: dict[int, int] = {}  # id(OpenFile) -> descriptor count
        self.max_fds = max_fds

    def get(self, fd: int) -> OpenFile:
        f = self.fds.get(fd)
        if f is None:
            raise GuestOSError(errno.EBADF)
        return f

    def install(self, f: OpenFile, lowest: int = 0, fd: int | None = None) -> int:
        if fd is None:
            fd = lowest
            while fd in self.fds:
                fd += 1
            if fd >= self.max_fds:
                raise GuestOSError(errno.EMFILE)
        elif fd in self.fds:
            self.close(fd)
        self.fds[fd] = f
        self.refs[id(f)] = self.refs.get(id(f), 0) + 1
        return fd

    def close(self, fd: int) -> None:
        f = self.fds.pop(fd, None)
        if f is None:
            raise GuestOSError(errno.EBADF)
        self.cloexec.discard(fd)
        n = self.refs.get(id(f), 1) - 1
        if n <= 0:
            self.refs.pop(id(f), None)
            f.close()
        else:
            self.refs[id(f)] = n

    def close_all(self) -> None:
        for fd in list(self.fds):
            try:
                self.close(fd)
            except GuestOSError:
                pass


def dirent64_records(entries: list[tuple[int, int, bytes]], start: int, bufsize: int):
    """Pack linux_dirent64 records from entries[start:] into at most bufsize bytes.

    Returns (bytes, next index)."""
    out = bytearray()
    i = start
    while i < len(entries):
        ino, dtype, name = entries[i]
        reclen = (19 + len(name) + 1 + 7) & ~7
        if len(out) + reclen > bufsize:
            break
        rec = struct.pack("<QqHB", ino, i + 1, reclen, dtype) + name + b"\0"
        out += rec + bytes(reclen - len(rec))
        i += 1
    return bytes(out), i
