"""The guest's file system view and its open files.

Two views (docs/run.md, "The file view"):

- **The host's view** (the default, as under qemu-user): the guest sees the host's files under
  their own paths, and starts in the host's working directory. The kernel resolves the paths;
  the guest's working directory is a descriptor of its own (``chdir`` in the guest does not
  move the host process).
- **The sandbox** (``--root DIR``): DIR is the guest's ``/``. Every path is resolved here one
  component at a time from directory descriptors (``openat(O_PATH|O_NOFOLLOW)``), the way the
  kernel walks under chroot: ``..`` stops at the root, every symbolic link met on the way is read
  (``readlinkat``) and walked again from the guest's point of view (an absolute target restarts
  at the root, not the host's ``/``). The result is a descriptor of the parent directory and a
  final name, and the operation itself is done relative to that descriptor without following
  links (``openat(O_NOFOLLOW)``, ``fstatat(AT_SYMLINK_NOFOLLOW)``, ``unlinkat``, ``renameat``...),
  so nothing checked can change before it is used: no host path string is ever built.

In both views a sysroot (qemu's ``-L``) is walked the same way, as a second root, for lookups
that only read absolute paths; an optional private ``/tmp`` (a directory made for the run and
removed after it) replaces the view's own; ``--read-only`` refuses every change outside it.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import struct
import threading

from . import mapfds
from .tmpdirs import PrivateTmp

MAX_SYMLINKS = 40

O_PATH = getattr(os, "O_PATH", 0o10000000)
_DIR_FLAGS = O_PATH | os.O_DIRECTORY | os.O_CLOEXEC


class GuestOSError(Exception):
    """A system call fails with this errno (returned to the guest as -errno)."""

    def __init__(self, err: int):
        super().__init__(err)
        self.errno = err


def oserror(e: OSError) -> GuestOSError:
    return GuestOSError(e.errno or errno.EIO)


SPECIAL_DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/full")


def normalize(path: str) -> str:
    """Lexical normalization of an absolute guest path ("." and ".." without looking at links)."""
    parts: list[str] = []
    for p in path.split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if parts:
                parts.pop()
        else:
            parts.append(p)
    return "/" + "/".join(parts)


class Loc:
    """Where a guest path ends: a host directory descriptor and a name in it.

    Operations go through ``os.*(loc.name, dir_fd=loc.fd, ...)``. In the sandbox the walk has
    followed every link the call asked to follow, so ``follow`` is False and operations must
    not follow links again; in the host's view ``name`` is the guest's own path (the kernel
    resolves it, relative to ``fd``) and ``follow`` is what the call asked for.
    """

    __slots__ = ("fd", "name", "guest", "follow", "owned", "in_sysroot", "in_tmp", "display", "frozen")

    def __init__(self, fd, name, guest, follow=False, owned=True, in_sysroot=False, in_tmp=False,
                 display="", frozen=False):
        self.fd = fd
        self.name = name
        self.guest = guest
        self.follow = follow
        self.owned = owned
        self.in_sysroot = in_sysroot
        self.in_tmp = in_tmp
        self.display = display     # a host path for messages and crash reports only
        self.frozen = frozen       # a file the guest may not change (/proc/self/exe reopened)

    def close(self):
        if self.owned and self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def host_path(self) -> str:
        """The host path of this place now (for what takes only a path: a socket's address,
        a host program to exec); ``display`` may name a private /tmp by the root's path."""
        if self.fd is None or self.name.startswith("/"):
            return self.name
        try:
            top = os.readlink(f"/proc/self/fd/{self.fd}")
        except OSError as e:
            raise oserror(e) from None
        return top if self.name == "." else os.path.join(top, self.name)

    # --- operations, relative to the descriptor -----------------------------------------
    def lstat(self):
        try:
            return os.stat(self.name, dir_fd=self.fd, follow_symlinks=self.follow)
        except OSError as e:
            raise oserror(e) from None

    def exists(self) -> bool:
        try:
            os.stat(self.name, dir_fd=self.fd, follow_symlinks=False)
            return True
        except OSError:
            return False

    def open(self, flags: int, mode: int = 0o666) -> int:
        if not self.follow:
            flags |= os.O_NOFOLLOW
        try:
            return os.open(self.name, flags | os.O_CLOEXEC, mode, dir_fd=self.fd)
        except OSError as e:
            raise oserror(e) from None


class Quota:
    """The disk-write quota of a run (``--max-disk``): bytes by which the guest's writes grow
    files, summed over the run. A write that would pass it writes what fits, then fails
    with EDQUOT."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0

    def allow(self, growth: int) -> int:
        """How many of ``growth`` new bytes may be written (charging them)."""
        left = max(0, self.limit - self.used)
        n = min(growth, left)
        self.used += n
        return n


class Sandbox:
    """The guest's file system view: the host's (``root`` None) or a root directory's."""

    def __init__(self, root: str | None, exe_guest: str, exe_host: str, cwd: str = "/",
                 sysroot: str | None = None, private_tmp: bool | None = None,
                 read_only: bool = False, max_disk: int | None = None):
        self.root = os.path.realpath(root) if root is not None else None
        self.exe_guest = exe_guest
        self.exe_host = exe_host
        # The sysroot (qemu's -L): read-only lookups of absolute guest paths look here first.
        self.sysroot = os.path.realpath(sysroot) if sysroot else None
        self.private_tmp = (self.root is not None) if private_tmp is None else private_tmp
        self.read_only = read_only
        self.quota = Quota(max_disk) if max_disk is not None else None
        self._tmp: PrivateTmp | None = None   # the private /tmp, made on first use
        self.blocking_opens: set[BlockingOpen] = set()   # FIFO opens waiting for a peer
        self._tmp_fd: int | None = None
        self.root_fd = self._open_dir(self.root) if self.root is not None else None
        self.sysroot_fd = self._open_dir(self.sysroot) if self.sysroot else None
        self.cwd = "/"
        self.cwd_fd: int | None = None
        self.set_cwd(cwd)

    @staticmethod
    def _open_dir(path: str) -> int:
        try:
            return os.open(path, _DIR_FLAGS)
        except OSError as e:
            raise GuestOSError(e.errno or errno.EIO) from None

    @property
    def host_view(self) -> bool:
        return self.root is None

    # --- /tmp ---------------------------------------------------------------------------
    def tmp_dir(self) -> str:
        if self._tmp is None:
            self._tmp = PrivateTmp()  # locked while the run lives; swept by the next run if it dies
            self._tmp_fd = self._open_dir(self._tmp.path)
        return self._tmp.path

    def tmp_fd(self) -> int:
        self.tmp_dir()
        return self._tmp_fd

    def cleanup(self) -> None:
        for b in list(self.blocking_opens):
            b.cancel()
        for fd in (self._tmp_fd, self.root_fd, self.sysroot_fd, self.cwd_fd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._tmp_fd = self.root_fd = self.sysroot_fd = self.cwd_fd = None
        if self._tmp is not None:
            self._tmp.remove()
            self._tmp = None

    def _tmp_rest(self, guest: str) -> str | None:
        """For a private /tmp: the part of a normalized guest path below /tmp ("." for /tmp
        itself), or None when the path is elsewhere."""
        if not self.private_tmp:
            return None
        if guest == "/tmp":
            return "."
        if guest.startswith("/tmp/"):
            return guest[5:]
        return None

    def guest_of_host(self, host: str) -> str | None:
        """The guest path of a host path: itself in the host's view; inside the root, its
        place there (None when it lies outside)."""
        host = os.path.realpath(host)
        if self._tmp is not None and self.private_tmp:
            tmp = os.path.realpath(self._tmp.path)
            if host == tmp or host.startswith(tmp + os.sep):
                return "/tmp" + host[len(tmp):]
        if self.root is None:
            return host
        if host == self.root:
            return "/"
        if host.startswith(self.root + os.sep):
            return "/" + os.path.relpath(host, self.root).replace(os.sep, "/")
        return None

    def set_sysroot(self, sysroot: str | None) -> None:
        """Change the sysroot (an execve of a program for another machine, or back)."""
        fd = self._open_dir(sysroot) if sysroot else None
        if self.sysroot_fd is not None:
            os.close(self.sysroot_fd)
        self.sysroot = os.path.realpath(sysroot) if sysroot else None
        self.sysroot_fd = fd

    # --- the working directory ------------------------------------------------------------
    def set_cwd(self, guest: str) -> None:
        """Set the working directory to an existing guest directory (absolute)."""
        with self.lookup(guest) as loc:
            fd = loc.open(_DIR_FLAGS)
        self._set_cwd_fd(fd, loc)

    def chdir_fd(self, f) -> None:
        """fchdir: the directory open as ``f`` (a HostFile)."""
        try:
            fd = os.open(".", _DIR_FLAGS, dir_fd=f.fd)
        except OSError as e:
            raise oserror(e) from None
        self._set_cwd_fd(fd, Loc(None, "", f.guest_path, owned=False, in_tmp=f.in_tmp))

    def _set_cwd_fd(self, fd: int, loc: Loc) -> None:
        if self.cwd_fd is not None:
            os.close(self.cwd_fd)
        self.cwd_fd = fd
        if self.root is not None or loc.in_tmp:
            self.cwd = loc.guest
        else:
            try:
                self.cwd = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                self.cwd = normalize(loc.guest)

    # --- lookups ------------------------------------------------------------------------
    def absolute(self, path: str, base: str | None = None) -> str:
        if path.startswith("/"):
            return path
        return (base if base is not None else self.cwd).rstrip("/") + "/" + path

    def lookup(self, path: str, at=None, follow: bool = True, read: bool = False) -> Loc:
        """Resolve a guest path for one operation; the caller closes the Loc.

        ``at``: the directory a relative path starts from (an open HostFile directory, or
        None for the working directory). ``follow``: whether a final symbolic link is
        followed. ``read``: the operation only reads, so an absolute path (or one relative
        to a directory opened from the sysroot) is looked up in the sysroot first.
        """
        if path == "":
            raise GuestOSError(errno.ENOENT)
        if len(path) > 4096:
            raise GuestOSError(errno.ENAMETOOLONG)
        base = None if at is None else at.guest_path
        if read and self.sysroot_fd is not None and (path.startswith("/") or getattr(at, "in_sysroot", False)):
            hit = self.lookup_in_sysroot(self.absolute(path, base), follow)
            if hit is not None:
                return hit
        if self.root is None:
            return self._host_lookup(path, at, follow)
        guest = self.absolute(path, base)
        return self._walk(self.root_fd, guest, follow, tmp=self.private_tmp, display_top=self.root)

    def _host_lookup(self, path: str, at, follow: bool) -> Loc:
        """The host's view: the kernel resolves the path (relative to the guest's working
        directory or ``at``); only a private /tmp is mapped, by the path's lexical form."""
        base = None if at is None else at.guest_path
        if self.private_tmp:
            guest = normalize(self.absolute(path, base))
            rest = self._tmp_rest(guest)
            if rest is not None:
                return self._walk(self.tmp_fd(), rest, follow, tmp=False, prefix="/tmp",
                                  display_top=self.tmp_dir(), in_tmp=True)
            if getattr(at, "in_tmp", False) or (at is None and self._tmp_rest(self.cwd) is not None):
                # relative to a directory in the private /tmp, out of it: a host path
                return Loc(None, guest, guest, follow=follow, owned=False, display=guest)
        fd = at.fd if at is not None else self.cwd_fd
        guest = self.absolute(path, base)
        return Loc(fd, path, guest, follow=follow, owned=False, display=guest)

    def lookup_in_sysroot(self, path: str, follow: bool = True) -> Loc | None:
        """The Loc of an existing absolute guest ``path`` inside the sysroot, or None. The
        sysroot is walked as a second root: ``..`` stops at it, absolute links restart at it.
        The private /tmp is never redirected."""
        if self.sysroot_fd is None or not path.startswith("/"):
            return None
        norm = normalize(path)
        if norm == "/" or self._tmp_rest(norm) is not None:
            return None
        try:
            loc = self._walk(self.sysroot_fd, path, follow, tmp=False, display_top=self.sysroot,
                             in_sysroot=True)
        except GuestOSError:
            return None
        if loc.name == "." or not loc.exists():
            loc.close()
            return None
        return loc

    def _walk(self, top: int, path: str, follow: bool, *, tmp: bool, display_top: str,
              prefix: str = "", in_sysroot: bool = False, in_tmp: bool = False) -> Loc:
        """Resolve ``path`` under the directory ``top`` as a root: one component at a time,
        each opened with O_PATH|O_NOFOLLOW relative to its parent's descriptor; links read
        and walked again inside ``top``. Returns the final component's parent descriptor
        (owned by the Loc) and name. With ``tmp``, "/tmp" at the top is the private /tmp."""
        stack: list[int] = [top]        # descriptors of the directories walked; [0] not ours
        parts: list[str] = []
        pending = path.split("/")[::-1]
        links = 0
        must_be_dir = path.endswith("/")
        tmp_depth = None                # the stack depth where the private /tmp starts
        try:
            while True:
                while pending and pending[-1] in ("", "."):
                    pending.pop()
                if not pending:
                    # the path names a directory itself ("/", "a/..", "a/.")
                    return self._loc(stack, ".", parts, prefix, in_sysroot,
                                     in_tmp or tmp_depth is not None,
                                     self._display_top(display_top, parts, tmp_depth))
                name = pending.pop()
                if name == "..":
                    if len(stack) > 1:
                        os.close(stack.pop())
                        parts.pop()
                        if tmp_depth is not None and len(stack) < tmp_depth:
                            tmp_depth = None
                    continue
                last = not any(p not in ("", ".") for p in pending)
                cur = stack[-1]
                if tmp and len(stack) == 1 and name == "tmp":
                    stack.append(os.dup(self.tmp_fd()))
                    parts.append("tmp")
                    tmp_depth = len(stack)
                    continue
                if last:
                    if follow or must_be_dir:
                        try:
                            st = os.stat(name, dir_fd=cur, follow_symlinks=False)
                        except FileNotFoundError:
                            st = None
                        if st is not None and stat.S_ISLNK(st.st_mode):
                            links += 1
                            if links > MAX_SYMLINKS:
                                raise GuestOSError(errno.ELOOP)
                            target = os.readlink(name, dir_fd=cur)
                            stack, parts = self._restart(stack, parts, target, pending, must_be_dir)
                            if target.startswith("/"):
                                tmp_depth = None
                            continue
                        if st is not None and must_be_dir and not stat.S_ISDIR(st.st_mode):
                            raise GuestOSError(errno.ENOTDIR)
                    return self._loc(stack, name, parts, prefix, in_sysroot,
                                     in_tmp or tmp_depth is not None,
                                     self._display_top(display_top, parts, tmp_depth))
                fd = os.open(name, O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=cur)
                mode = os.fstat(fd).st_mode
                if stat.S_ISLNK(mode):
                    try:
                        target = os.readlink("", dir_fd=fd)
                    finally:
                        os.close(fd)
                    links += 1
                    if links > MAX_SYMLINKS:
                        raise GuestOSError(errno.ELOOP)
                    stack, parts = self._restart(stack, parts, target, pending, False)
                    if target.startswith("/"):
                        tmp_depth = None
                    continue
                if not stat.S_ISDIR(mode):
                    os.close(fd)
                    raise GuestOSError(errno.ENOTDIR)
                stack.append(fd)
                parts.append(name)
        except OSError as e:
            raise oserror(e) from None
        finally:
            for fd in stack[1:]:
                os.close(fd)

    @staticmethod
    def _restart(stack, parts, target, pending, must_be_dir):
        """A link: its target replaces it in the pending components; an absolute one starts
        again at the top."""
        if target == "":
            raise GuestOSError(errno.ENOENT)
        if must_be_dir and not target.endswith("/"):
            target += "/"
        pending.extend(reversed(target.split("/")))
        if target.startswith("/"):
            for fd in stack[1:]:
                os.close(fd)
            return stack[:1], []
        return stack, parts

    def _display_top(self, display_top: str, parts: list[str], tmp_depth) -> tuple[str, list[str]]:
        """What a Loc's display joins: the top and the walked parts; inside the private /tmp,
        its host directory and the parts below it ("tmp" is parts[tmp_depth - 2])."""
        if tmp_depth is None:
            return display_top, parts
        return self.tmp_dir(), parts[tmp_depth - 1:]

    @staticmethod
    def _loc(stack, name, parts, prefix, in_sysroot, in_tmp, display_top) -> Loc:
        # the Loc takes its own descriptor of the parent (the walk closes its stack)
        fd = os.dup(stack[-1])
        guest = prefix + "/" + "/".join(parts + ([] if name == "." else [name]))
        if prefix and guest.endswith("/"):
            guest = guest.rstrip("/") or "/"
        top, shown = display_top
        display = os.path.join(top, *shown, *([] if name == "." else [name]))
        return Loc(fd, name, guest, follow=False, owned=True, in_sysroot=in_sysroot,
                   in_tmp=in_tmp, display=display)

    # --- checks for changes ---------------------------------------------------------------
    def check_write(self, loc: Loc) -> None:
        """--read-only: nothing outside the private /tmp may change; the sysroot never does."""
        if loc.in_sysroot or loc.frozen or (self.read_only and not loc.in_tmp):
            raise GuestOSError(errno.EROFS)


# --- the guest's own descriptors by name ---------------------------------------------------

STD_ALIASES = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
NO_SUCH_FD = -1


def own_fd_name(guest: str, pid: int) -> tuple[int | None, str] | None:
    """Does the normalized guest path name one of the guest's own descriptors —
    ``/proc/self/fd/N`` (also ``thread-self`` or the guest's pid), ``/dev/fd/N``,
    ``/dev/stdin``, ``/dev/stdout``, ``/dev/stderr``? Then (N, the rest of the path after it),
    (None, "") for the directory of them, (NO_SUCH_FD, "") for another name in it; else None.
    These are the kernel's magic links: they must reach the guest's descriptors, never the
    emulator's own (in the host's view they once did; under --root they did not exist)."""
    if guest in STD_ALIASES:
        return STD_ALIASES[guest], ""
    parts = guest.split("/")
    if len(parts) > 2 and parts[1] == "dev" and parts[2] == "fd":
        i = 3
    elif len(parts) > 3 and parts[1] == "proc" and parts[3] == "fd" and \
            parts[2] in ("self", "thread-self", str(pid)):
        i = 4
    else:
        return None
    if len(parts) == i:
        return None, ""
    n = parts[i]
    if not (n.isascii() and n.isdigit()) or (len(n) > 1 and n[0] == "0"):
        return NO_SUCH_FD, ""
    return int(n), "/".join(parts[i + 1:])


def is_fd_alias(guest: str) -> bool:
    """/dev/stdin and /dev/fd are symbolic links themselves (to /proc/self/fd/0, /proc/self/fd)."""
    return guest in STD_ALIASES or guest == "/dev/fd"


# --- opens that wait for a peer ---------------------------------------------------------

class HostThreadCall:
    """A call that may wait, made by a host thread of its own so that the emulator never
    blocks: the guest thread waits on ``notify`` (readable once the call is over) like any
    other blocking call, so other guest threads run, and a signal or the time limit ends the
    wait (the subclass's ``cancel``). The subclass's ``_call()`` makes the call; the object
    is in ``registry`` (the sandbox's ``blocking_opens``: ended with the run) until released."""

    thread_name = "xld-blocking-call"
    own_fds: tuple[int, ...] = ()     # descriptors released with the notify pipe

    def __init__(self, registry: set):
        self.done = threading.Event()
        self.cancelled = False
        self.pid = os.getpid()
        self.notify, self._notify_w = os.pipe2(os.O_CLOEXEC)
        self.registry = registry
        registry.add(self)
        self.thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self.thread.start()

    def _call(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        self._call()
        try:
            os.write(self._notify_w, b"!")
        except OSError:
            pass
        self.done.set()          # the last thing the thread does: its descriptors may go now

    def _release(self) -> None:
        if self not in self.registry:
            return
        self.registry.discard(self)
        for fd in (*self.own_fds, self.notify, self._notify_w):
            try:
                os.close(fd)
            except OSError:
                pass


class BlockingOpen(HostThreadCall):
    """A blocking ``open`` of a FIFO, which waits until the other end is opened (a
    HostThreadCall).

    ``peer_fd`` is a descriptor of the FIFO that stands for the guest while it waits, as the
    kernel counts a blocked opener: a non-blocking reader for a blocked reader (so a
    non-blocking writer can open meanwhile), an O_PATH descriptor for a blocked writer (the
    thread itself is counted as a writer while it is blocked in the kernel). The thread
    reopens the FIFO through ``/proc/self/fd/<peer_fd>``: the very file the walk found."""

    thread_name = "xld-fifo-open"

    def __init__(self, peer_fd: int, flags: int, registry: set):
        self.peer_fd = peer_fd
        self.own_fds = (peer_fd,)
        self.flags = flags & ~(os.O_CREAT | os.O_EXCL | os.O_TRUNC | os.O_NONBLOCK)
        self.reading = flags & os.O_ACCMODE == os.O_RDONLY
        self.fd: int | None = None
        self.err = 0
        self.lock = threading.Lock()
        super().__init__(registry)

    def _call(self) -> None:
        try:
            fd, err = os.open(f"/proc/self/fd/{self.peer_fd}", self.flags | os.O_CLOEXEC), 0
        except OSError as e:
            fd, err = None, e.errno or errno.EIO
        with self.lock:
            if self.cancelled and fd is not None:
                os.close(fd)
                fd = None
            self.fd, self.err = fd, err

    def result(self) -> int | None:
        """None while the open waits; then its host descriptor (now the caller's), or -errno."""
        if not self.done.is_set():
            return None
        with self.lock:
            fd, self.fd = self.fd, None
        self._release()
        return fd if fd is not None else -self.err

    def cancel(self) -> None:
        """End the wait: be the FIFO's other end for a moment (a non-blocking open, which
        never waits), so the thread's open returns, and close what it opened."""
        # (a timeout: after a fork, the child has the lock as it was, but not the thread)
        locked = self.lock.acquire(timeout=1.0)
        self.cancelled = True
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if locked:
            self.lock.release()
        other = (os.O_WRONLY if self.reading else os.O_RDONLY) | os.O_NONBLOCK | os.O_CLOEXEC
        while self.thread.is_alive() and not self.done.is_set():
            try:
                peer = os.open(f"/proc/self/fd/{self.peer_fd}", other)
            except OSError:
                peer = None
            # the thread may not have reached its open yet: it is woken on a later round
            self.done.wait(0.05)
            if peer is not None:
                os.close(peer)
        self._release()


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

    def epoll_fd(self) -> int | None:
        """The host descriptor a host epoll watches for this file (epoll_ctl), or None."""
        return self.host_fd()

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


class HostBacked(OpenFile):
    """An open file description backed by a host descriptor, ``self.fd``: its status, its
    terminal-ness and the descriptor itself are the host's."""

    fd = -1

    def fstat(self):
        return _os(os.fstat, self.fd)

    def isatty(self):
        return os.isatty(self.fd)

    def host_fd(self):
        return self.fd


class HostFile(HostBacked):
    """A file or directory of the guest's view, backed by a host descriptor."""

    host_path = ""      # where it was opened (for naming mapped files in crash reports only)
    in_sysroot = False  # opened from the sysroot: names relative to it are looked up there too
    in_tmp = False      # inside the private /tmp
    is_fifo = False     # a FIFO (served as a pipe: hostio.py)
    frozen = False      # the guest may not change it (/proc/self/exe, sysroot files): EROFS
    quota: Quota | None = None   # --max-disk: what writes that grow the file are charged to

    def __init__(self, fd: int, guest_path: str, flags_acc: int, is_dir: bool, append: bool = False,
                 path_only: bool = False):
        self.fd = fd
        self.guest_path = guest_path
        self.path_only = path_only          # O_PATH: no reads, writes or listing (EBADF)
        self.readable = flags_acc in (os.O_RDONLY, os.O_RDWR) and not path_only
        self.writable = flags_acc in (os.O_WRONLY, os.O_RDWR) and not path_only
        self.append = append
        self.is_dir = is_dir
        self.kind = "dir" if is_dir else "file"
        self.dir_pos = 0        # a directory's: the host's d_off of the last entry listed

    def read(self, n):
        if self.is_dir and not self.path_only:
            raise GuestOSError(errno.EISDIR)
        if not self.readable:
            raise GuestOSError(errno.EBADF)
        return _os(os.read, self.fd, n)

    def _charge(self, data, off: int | None):
        """Cut ``data`` to what the disk quota allows (EDQUOT when nothing fits)."""
        if self.quota is None or not data:
            return data
        try:
            size = os.fstat(self.fd).st_size
            if off is None:
                off = size if self.append else os.lseek(self.fd, 0, os.SEEK_CUR)
        except OSError:
            return data          # not a seekable file: nothing grows on the disk
        growth = max(0, off + len(data) - size)
        if not growth:
            return data
        allowed = self.quota.allow(growth)
        if allowed == growth:
            return data
        keep = len(data) - (growth - allowed)
        if keep <= 0:
            raise GuestOSError(errno.EDQUOT)
        return data[:keep]

    def write(self, data):
        if not self.writable:
            raise GuestOSError(errno.EBADF)
        return _os(os.write, self.fd, self._charge(data, None))

    def pread(self, n, off):
        if not self.readable:
            raise GuestOSError(errno.EBADF)
        if off < 0 or off >= 1 << 63:
            raise GuestOSError(errno.EINVAL)
        return _os(os.pread, self.fd, n, off)

    def pwrite(self, data, off):
        if not self.writable:
            raise GuestOSError(errno.EBADF)
        if off < 0 or off + len(data) >= 1 << 63:
            raise GuestOSError(errno.EINVAL)
        return _os(os.pwrite, self.fd, self._charge(data, off), off)

    def lseek(self, off, whence):
        if self.is_dir:
            return dir_seek(self, off, whence)
        return _os(os.lseek, self.fd, off, whence)

    def close(self):
        mapfds.guest_closed(self.fd)
        try:
            os.close(self.fd)
        except OSError:
            pass

    def closed_a_duplicate(self):
        """The guest closed one of several descriptors of this open file: the host's stays
        open, but Linux drops the process's POSIX record locks on the file at any close of a
        descriptor of it (OFD locks stay), so they are let go here."""
        if self.fd is None or self.fd < 0 or self.path_only:
            return
        mapfds.guest_closed(self.fd)
        import fcntl as _fcntl
        whole = struct.pack("=hh4xqqi4x", _fcntl.F_UNLCK, 0, 0, 0, 0)   # struct flock
        try:
            _fcntl.fcntl(self.fd, _fcntl.F_SETLK, whole)
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

    def __init__(self, path: str, readable: bool = True, writable: bool = True):
        self.guest_path = path
        self.name = path.rsplit("/", 1)[1]
        self.readable, self.writable = readable, writable     # the open's access mode

    def read(self, n):
        if not self.readable:
            raise GuestOSError(errno.EBADF)
        if self.name == "null":
            return b""
        if self.name in ("zero", "full"):
            return bytes(n)
        return os.urandom(n)

    def write(self, data):
        if not self.writable:
            raise GuestOSError(errno.EBADF)
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


class FdDir(OpenFile):
    """The directory of the guest's descriptors (``/proc/self/fd``, ``/dev/fd``), opened:
    listing it lists the guest's descriptor table (its own descriptor among them)."""

    kind = "dir"
    is_dir = True
    path_only = False
    writable = False

    def __init__(self, guest_path: str, table: "FdTable"):
        self.guest_path = guest_path
        self.table = table
        self.dir_entries = None
        self.dir_pos = 0

    def list_entries(self) -> list[tuple[int, int, bytes, int]]:
        """(inode, d_type, name, d_off) rows as getdents64 wants them: ".", "..", then each
        descriptor, a symbolic link (DT_LNK); each d_off is the next row's index."""
        rows = [(1, 4, b"."), (1, 4, b"..")] + [(0x100 + n, 10, str(n).encode()) for n in sorted(self.table.fds)]
        return [(*row, i + 1) for i, row in enumerate(rows)]

    def read(self, n):
        raise GuestOSError(errno.EISDIR)

    def pread(self, n, off):
        raise GuestOSError(errno.EISDIR)

    def lseek(self, off, whence):
        return dir_seek(self, off, whence)

    def fstat(self):
        return fake_stat(S_IFDIR | 0o500)


class BytesFile(OpenFile):
    """A read-only file whose bytes are all here, read from a position."""

    writable = False

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def read(self, n):
        chunk = self.data[self.pos:self.pos + n]
        self.pos += len(chunk)
        return chunk


class StdinBytes(BytesFile):
    """Standard input given as bytes (the in-process API)."""

    kind = "pipe"

    def poll(self):
        # a pipe whose writer wrote everything and closed it
        return (READY_IN if self.pos < len(self.data) else 0) | POLLHUP


class ProcText(BytesFile):
    """A file of /proc the kernel makes for the guest itself (/proc/self/maps, cmdline,
    environ, auxv, stat): its bytes as of the open, read-only, seekable."""

    def __init__(self, guest_path: str, data: bytes):
        super().__init__(data)
        self.guest_path = guest_path

    def pread(self, n, off):
        if off < 0:
            raise GuestOSError(errno.EINVAL)
        return self.data[off:off + n]

    def lseek(self, off, whence):
        base = {0: 0, 1: self.pos, 2: len(self.data)}.get(whence)
        if base is None or base + off < 0:
            raise GuestOSError(errno.EINVAL)
        self.pos = base + off
        return self.pos

    def fstat(self):
        return fake_stat(0o100444)      # a regular file of size 0, as /proc's are


def own_proc_file(guest: str, pid: int) -> str | None:
    """``maps``, ``cmdline``, ``environ``, ``auxv``, ``stat`` or ``status`` when the normalized guest path is that
    file of the guest's own process (/proc/self, /proc/thread-self, /proc/<its pid>)."""
    parts = guest.split("/")
    if len(parts) == 4 and parts[1] == "proc" and parts[2] in ("self", "thread-self", str(pid)) \
            and parts[3] in ("maps", "cmdline", "environ", "auxv", "stat", "status"):
        return parts[3]
    return None


def proc_pid_path(guest: str) -> tuple[int, str] | None:
    """(pid, the rest) when the normalized guest path is ``/proc/<pid>`` or below it."""
    parts = guest.split("/", 3)
    if len(parts) >= 3 and parts[1] == "proc" and parts[2].isdigit() and parts[2][0] != "0":
        return int(parts[2]), "/" + parts[3] if len(parts) == 4 else ""
    return None


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


class HostStream(HostBacked):
    """A host descriptor passed through (the CLI's stdin/stdout/stderr).

    The first process only borrows it (the caller's descriptor: the in-process API's file, the
    CLI's own stdio). A forked guest process owns its copy (``owned``): when the guest closes
    its last descriptor of it, the host descriptor goes too (/dev/null takes its number), so a
    reader of the pipe sees its end when the guest processes have closed it, as with a native
    process, not when a daemon the guest left behind ends."""

    owned = False

    def __init__(self, fd: int, acct: Output | None, readable: bool, writable: bool):
        self.fd = fd
        self.acct = acct
        self.readable = readable
        self.writable = writable
        self.kind = "tty" if os.isatty(fd) else "stream"

    def close(self):
        if self.owned:
            self.owned = False
            null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
            try:
                os.dup2(null, self.fd)
            finally:
                os.close(null)

    stop_event = None  # set by the runner: a timeout must not wait for input forever

    @property
    def nonblock(self) -> bool:
        return not os.get_blocking(self.fd)

    def try_read(self, n: int) -> bytes:
        """read(2) and readv(2) (hostio.host_read): BlockingIOError rather than a wait, so that
        the runner waits (hostio.wait_host) and a signal (an alarm() read timeout), another
        guest thread or the time limit is not held up by input that does not come."""
        if not self.readable:
            raise GuestOSError(errno.EBADF)
        if not self.nonblock:
            import select
            poller = select.poll()
            poller.register(self.fd, select.POLLIN | select.POLLHUP | select.POLLERR)
            if not poller.poll(0):
                raise BlockingIOError
        return _os(os.read, self.fd, n)

    def read(self, n):
        if not self.readable:
            raise GuestOSError(errno.EBADF)
        if self.stop_event is not None:
            import select
            poller = select.poll()          # (not select(): descriptors past 1023 are common)
            poller.register(self.fd, select.POLLIN | select.POLLHUP | select.POLLERR)
            while not poller.poll(50):
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
            if isinstance(f, HostFile):
                f.closed_a_duplicate()

    def close_all(self) -> None:
        for fd in list(self.fds):
            try:
                self.close(fd)
            except GuestOSError:
                pass


def dir_seek(f, off: int, whence: int) -> int:
    """lseek on a directory: to a position getdents64 gave as a record's d_off (the host's,
    or an index into a listing of xld's own: telldir/seekdir), or where it is (SEEK_CUR 0);
    to 0 it lists afresh."""
    if whence == 1 and off == 0:
        return f.dir_pos
    if whence != 0 or off < 0:
        raise GuestOSError(errno.EINVAL)
    f.dir_pos = off
    if off == 0 and isinstance(f, FdDir):
        f.dir_entries = None
    return off


class _Dirent(ctypes.Structure):
    """glibc's struct dirent on a 64-bit Linux host (the kernel's linux_dirent64)."""
    _fields_ = [("d_ino", ctypes.c_uint64), ("d_off", ctypes.c_int64), ("d_reclen", ctypes.c_ushort),
                ("d_type", ctypes.c_ubyte), ("d_name", ctypes.c_char * 256)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.fdopendir.restype = ctypes.c_void_p
_libc.fdopendir.argtypes = (ctypes.c_int,)
_libc.readdir.restype = ctypes.POINTER(_Dirent)
_libc.readdir.argtypes = (ctypes.c_void_p,)
_libc.closedir.argtypes = _libc.rewinddir.argtypes = (ctypes.c_void_p,)


_libc.seekdir.argtypes = (ctypes.c_void_p, ctypes.c_long)


def host_entries(fd: int, pos: int, bufsize: int) -> list[tuple[int, int, bytes, int]]:
    """(inode, d_type, name, d_off) of the entries of the host directory ``fd`` from
    position ``pos`` (0: the start; otherwise a d_off the host gave), as many as fit in
    ``bufsize`` bytes of linux_dirent64 records (one more, to tell "too small" from "the
    end"). The host's own order and positions, read afresh at each call, as qemu-user
    passes getdents64 through: entries created since (after ``pos`` in the host's order)
    are listed, and seekdir to a telldir goes back to the same entry. (xld listed the whole
    directory once, numbered its entries and kept that list until a rewind: names created
    in between were never listed.)"""
    dup = os.dup(fd)
    d = _libc.fdopendir(dup)
    if not d:
        e = ctypes.get_errno()
        os.close(dup)
        raise OSError(e, os.strerror(e))
    out, size = [], 0
    try:
        if pos:
            _libc.seekdir(d, pos)
        else:
            _libc.rewinddir(d)
        while size <= bufsize:
            ctypes.set_errno(0)
            e = _libc.readdir(d)
            if not e:
                if ctypes.get_errno():
                    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
                return out
            c = e.contents
            out.append((c.d_ino, c.d_type, c.d_name, c.d_off))
            size += dirent64_size(c.d_name)
        return out
    finally:
        _libc.closedir(d)


def dirent64_size(name: bytes) -> int:
    """A linux_dirent64 record's length for ``name``: 19 bytes of header, the name and its
    NUL, rounded up to 8."""
    return (19 + len(name) + 1 + 7) & ~7


def dirent64_records(entries: list[tuple[int, int, bytes, int]], start: int, bufsize: int):
    """Pack linux_dirent64 records from entries[start:] (inode, d_type, name, d_off) into at
    most bufsize bytes.

    Returns (bytes, next index)."""
    out = bytearray()
    i = start
    while i < len(entries):
        ino, dtype, name, off = entries[i]
        reclen = dirent64_size(name)
        if len(out) + reclen > bufsize:
            break
        rec = struct.pack("<QqHB", ino, off, reclen, dtype) + name + b"\0"
        out += rec + bytes(reclen - len(rec))
        i += 1
    return bytes(out), i
