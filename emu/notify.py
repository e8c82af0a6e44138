"""signalfd and inotify: descriptors that report events, as qemu-user serves them.

- ``signalfd4``: a guest file holding a signal mask; reading it takes pending signals of the
  mask (blocked ones, as the program blocks them to read them) from the emulator's own
  pending sets — the calling thread's, then the process's (signals.py's
  ``take_waited_signal``, the one sigtimedwait takes from) — each as a 128-byte
  ``struct signalfd_siginfo``; it waits while none is pending (other threads run), unless
  ``SFD_NONBLOCK`` (EAGAIN). ``poll``/``select`` see it readable while one is pending. A host
  epoll watches a host eventfd in its place, made readable or drained to match before each
  look ``epoll_wait`` takes (``SignalFd.sync``).
- ``inotify_init1``, ``inotify_add_watch``, ``inotify_rm_watch``: the host's inotify instance,
  a host descriptor (hostio.HostFd: reads, waits, poll, epoll as a pipe's); a watch's path
  goes through the guest's file view. ``struct inotify_event`` is the same on every Linux
  architecture, so its bytes pass through.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct

from . import fs as F
from .fs import GuestOSError
from .hostio import HostFd
from .syscalls import s32

SFD_NONBLOCK, SFD_CLOEXEC = 0o4000, 0o2000000
IN_NONBLOCK, IN_CLOEXEC = 0o4000, 0o2000000
IN_DONT_FOLLOW = 0x02000000
SIGINFO_SIZE = 128
UNBLOCKABLE = (1 << 8) | (1 << 18)     # SIGKILL, SIGSTOP: never in a signalfd's mask
_libc = ctypes.CDLL(None, use_errno=True)


class SignalFd(F.OpenFile):
    """A signalfd: its mask, and the process whose pending signals it reads (the reader's:
    after a fork, the child's own)."""

    kind = "signalfd"
    writable = False

    def __init__(self, proc, mask: int, nonblock: bool):
        self.proc = proc
        self.mask = mask
        self.nonblock = nonblock
        self.mirror: int | None = None      # the host eventfd epoll watches (epoll_fd)
        self.mirrored = False               # it holds a count (it is readable)

    def epoll_fd(self) -> int:
        if self.mirror is None:
            self.mirror = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
            self.proc.epoll_mirrors.append(self)
            self.sync()
        return self.mirror

    def sync(self, me=None) -> None:
        """Make the host eventfd readable while a signal of the mask is pending (for thread
        ``me``, the epoll_wait caller, as the kernel's signalfd poll looks at the caller's),
        else not."""
        ready = self.proc.waited_signal_pending(self.mask, me)
        if ready and not self.mirrored:
            os.eventfd_write(self.mirror, 1)
        elif self.mirrored and not ready:
            os.eventfd_read(self.mirror)
        self.mirrored = ready

    def close(self) -> None:
        if self.mirror is not None:
            self.proc.epoll_mirrors.remove(self)
            os.close(self.mirror)
            self.mirror = None

    def read(self, n):
        raise GuestOSError(errno.EINVAL)       # (read(2) is served by Notify.sys_read)

    def poll(self):
        return F.READY_IN if self.proc.waited_signal_pending(self.mask) else 0

    def fstat(self):
        return F.fake_stat(0o600)              # an anonymous inode: no file type bits


def signalfd_siginfo(info: bytes) -> bytes:
    """``struct signalfd_siginfo`` from the 128-byte siginfo a handler would get."""
    signo, err, code = struct.unpack_from("<iii", info)
    a, b = struct.unpack_from("<iI", info, 16)      # pid and uid, or a timer's id and overrun
    value = struct.unpack_from("<Q", info, 24)[0]   # sigval, or SIGCHLD's status
    pid = uid = tid = overrun = status = 0
    if code == -2:                                  # SI_TIMER
        tid, overrun = a, b
    else:
        pid, uid = a, b
    if signo == 17 and code > 0:                    # SIGCHLD: CLD_EXITED ... status
        status, value = value & 0xFFFFFFFF, 0
    sival_int = struct.unpack("<i", struct.pack("<I", value & 0xFFFFFFFF))[0]
    out = struct.pack("<IiiIIiIIIIiiQ", signo, err, code, pid & 0xFFFFFFFF, uid, 0, tid & 0xFFFFFFFF,
                      0, overrun, 0, status, sival_int, value)
    return out.ljust(SIGINFO_SIZE, b"\0")


class Notify:
    """Mixin for the Process: signalfd4 and the inotify calls."""

    def sys_signalfd4(self, fd, mask, size, flags, *_):
        if size != 8 or flags & ~(SFD_NONBLOCK | SFD_CLOEXEC):
            return -errno.EINVAL
        want = struct.unpack("<Q", self.rd(mask, 8))[0] & ~UNBLOCKABLE
        fd = s32(fd)
        if fd != -1:
            f = self.fds.get(fd)
            if not isinstance(f, SignalFd):
                return -errno.EINVAL
            f.mask = want
            return fd
        return self.install_open(SignalFd(self, want, bool(flags & SFD_NONBLOCK)), flags)

    def signalfd_read(self, f: SignalFd, buf: int, count: int):
        """read(2) of a signalfd: as many pending signals of its mask as fit, at least one."""
        if count < SIGINFO_SIZE:
            return -errno.EINVAL
        if not self.mem.is_mapped(buf, count, 2):
            return -errno.EFAULT

        me = self.cur                 # (attempt runs later, maybe while another thread runs)

        def attempt():
            got = 0
            while got + SIGINFO_SIZE <= count:
                one = self.take_waited_signal(f.mask, me=me)
                if one is None:
                    break
                self.wr(buf + got, signalfd_siginfo(self.siginfo(*one)))
                got += SIGINFO_SIZE
            return got or None

        r = attempt()
        if r is not None:
            return r
        if f.nonblock:
            return -errno.EAGAIN
        if len(self.threads) > 1:
            return self.block(self.Wait("read", attempt, None, restart=True))
        while True:                               # (one thread: what posts a signal wakes it)
            self.wake.clear()
            r = attempt()
            if r is not None:
                return r
            if self.interrupting_signal() or self.stop_event.is_set():
                return -errno.EINTR
            self.wake.wait(0.05)

    def sys_read(self, fd, buf, count, *rest):
        f = self.fds.fds.get(s32(fd))
        if isinstance(f, SignalFd):
            return self.signalfd_read(f, buf, count)
        return super().sys_read(fd, buf, count, *rest)

    def sys_fcntl(self, fd, cmd, arg, *rest):
        f = self.fds.fds.get(s32(fd))
        if isinstance(f, SignalFd) and cmd in (3, 4):     # F_GETFL, F_SETFL
            if cmd == 4:
                f.nonblock = bool(arg & SFD_NONBLOCK)
                return 0
            return os.O_RDWR | (SFD_NONBLOCK if f.nonblock else 0)
        return super().sys_fcntl(fd, cmd, arg, *rest)

    # --- inotify ------------------------------------------------------------------------
    def sys_inotify_init1(self, flags, *_):
        if flags & ~(IN_NONBLOCK | IN_CLOEXEC):
            return -errno.EINVAL
        h = _libc.inotify_init1(os.O_CLOEXEC | (os.O_NONBLOCK if flags & IN_NONBLOCK else 0))
        if h < 0:
            return -(ctypes.get_errno() or errno.EMFILE)
        return self.install_open(HostFd(h, True, False, "inotify"), flags)

    def sys_inotify_add_watch(self, fd, path, mask, *_):
        f = self.fds.get(s32(fd))
        if not isinstance(f, HostFd) or f.kind != "inotify":
            return -errno.EINVAL
        p = self.path_arg(path)
        with self.sandbox.lookup(p, follow=not mask & IN_DONT_FOLLOW) as loc:
            host = loc.host_path()
        wd = _libc.inotify_add_watch(f.fd, os.fsencode(host), ctypes.c_uint32(mask & 0xFFFFFFFF))
        return wd if wd >= 0 else -(ctypes.get_errno() or errno.EINVAL)

    def sys_inotify_rm_watch(self, fd, wd, *_):
        f = self.fds.get(s32(fd))
        if not isinstance(f, HostFd) or f.kind != "inotify":
            return -errno.EINVAL
        r = _libc.inotify_rm_watch(f.fd, ctypes.c_int(s32(wd)))
        return r if r >= 0 else -(ctypes.get_errno() or errno.EINVAL)


__all__ = ["Notify", "SignalFd"]
