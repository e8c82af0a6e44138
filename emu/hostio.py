"""Open files that are host descriptors shared with other processes: pipes, sockets, eventfd,
timerfd, epoll; and the way a guest call waits on them.

Once the guest forks (process.py), a pipe must be a real host pipe: parent and child are
different host processes. Each such file keeps the guest's ``O_NONBLOCK`` on the host's open
file description (so it is shared across fork and exec as on Linux), and a guest call that
would block never blocks the host: it first asks ``poll`` whether the descriptor is ready, and
if not, the calling thread waits for it (``wait_host``) — with other guest threads running
meanwhile (threads.py), or, with one thread, in ``poll(2)`` on the host in 50 ms steps that
check for signals and the end of the run (never a busy loop).
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import signal as hostsig
import struct
import threading
import time

from . import fs as F
from .fs import GuestOSError
from .syscalls import s32

PIPE_BUF = 4096
SA_RESTART = 0x10000000
STEP = 0.05           # seconds between checks for signals and the end of the run while waiting
# The host signal that ends a host thread's blocking call (BlockingCall): a real-time signal
# the emulator uses for nothing else, with a handler that does nothing (so the thread's
# fcntl/flock returns EINTR; Python's handler installs it without SA_RESTART).
LOCK_WAKE = hostsig.SIGRTMAX - 2
_libc = ctypes.CDLL(None, use_errno=True)
_splice, _tee = _libc.splice, _libc.tee
_splice.restype = _tee.restype = ctypes.c_ssize_t
_loff = ctypes.POINTER(ctypes.c_int64)
_splice.argtypes = (ctypes.c_int, _loff, ctypes.c_int, _loff, ctypes.c_size_t, ctypes.c_uint)
_tee.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_size_t, ctypes.c_uint)


def ready(fd: int, events: int) -> int:
    """The host's poll(2) events of ``fd`` now (select.POLL* bits)."""
    p = select.poll()
    p.register(fd, events)
    for _fd, ev in p.poll(0):
        return ev
    return 0


class HostFd(F.HostBacked):
    """A host descriptor the guest owns: a pipe end (``kind`` "pipe"), a socket (net.py), an
    eventfd, a timerfd or an epoll instance."""

    kind = "pipe"

    def __init__(self, fd: int, readable: bool = True, writable: bool = True, kind: str = "pipe"):
        self.fd = fd
        self.readable = readable
        self.writable = writable
        self.kind = kind
        self.closed = False

    @property
    def nonblock(self) -> bool:
        return not os.get_blocking(self.fd)

    def set_nonblock(self, on: bool) -> None:
        os.set_blocking(self.fd, not on)

    # non-blocking attempts: BlockingIOError when the call would have to wait
    def try_read(self, n: int) -> bytes:
        if not self.readable:
            raise GuestOSError(errno.EBADF)
        if not self.nonblock and not ready(self.fd, select.POLLIN) & (select.POLLIN | select.POLLHUP
                                                                      | select.POLLERR):
            raise BlockingIOError
        return _os(os.read, self.fd, n)

    def try_write(self, data: bytes) -> int:
        if not self.writable:
            raise GuestOSError(errno.EBADF)
        if not self.nonblock:
            if not ready(self.fd, select.POLLOUT) & (select.POLLOUT | select.POLLERR):
                raise BlockingIOError
            data = data[:PIPE_BUF]          # a pipe that polls writable has room for this much
        return _os(os.write, self.fd, data)

    # the OpenFile interface (readv/writev and other callers that do not wait)
    def read(self, n):
        try:
            return self.try_read(n)
        except BlockingIOError:
            raise GuestOSError(errno.EAGAIN) from None

    def write(self, data):
        try:
            return self.try_write(data)
        except BlockingIOError:
            raise GuestOSError(errno.EAGAIN) from None

    def poll(self):
        return F.host_poll(self.fd, self.readable, self.writable)

    def waitable_fd(self):
        return self.fd

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                os.close(self.fd)
            except OSError:
                pass


def _wake_noop(*_):
    pass


def lock_wake_ready() -> bool:
    """Is LOCK_WAKE's handler in place (HostIO.install_lock_wake)?"""
    return hostsig.getsignal(LOCK_WAKE) is _wake_noop


class BlockingCall(F.HostThreadCall):
    """A system call that waits, made by a host thread with the blocking call itself
    (fs.HostThreadCall) — a lock request (fcntl F_SETLKW / F_OFD_SETLKW, flock without
    LOCK_NB: the host kernel then counts the process as waiting, so its deadlock detection
    sees it, EDEADLK as on Linux) or a futex wait on memory shared with other processes
    (threads.py) — so the host kernel wakes it the moment it may go on, while the emulator
    goes on: other guest threads run (one of them may hold the lock), and a signal or the end
    of the run ends the wait (``cancel``: the host thread's call is interrupted by LOCK_WAKE).
    ``call()`` makes the C call: its result, < 0 with errno set."""

    def __init__(self, call, registry: set):
        self.call = call
        self.res: int | None = None          # the result (>= 0) or -errno once the call is over
        super().__init__(registry)

    def _call(self) -> None:
        while True:
            r = self.call()
            e = ctypes.get_errno() if r < 0 else 0
            if e != errno.EINTR or self.cancelled:
                break               # (a signal of the host's own, such as SIGCHLD: wait on)
        self.res = -e if r < 0 else r

    def result(self) -> int | None:
        """None while the call waits; then its result: 0 (a lock granted, a futex woken) or
        -errno (EDEADLK, EAGAIN, EINTR...)."""
        if not self.done.is_set():
            return None
        self._release()
        return self.res

    def interrupted(self) -> int:
        """The call's result when a signal ended the wait (after ``cancel``): EINTR, unless
        the call was over (a lock granted, a futex woken, or a failure) just before."""
        return self.res if self.res not in (None, -errno.EINTR) else -errno.EINTR

    def cancel(self) -> None:
        """End the wait: interrupt the host thread's call until it has returned (without
        LOCK_WAKE's handler, whose default action would end the process, the call must end
        by itself: the futex waits' 50 ms steps)."""
        self.cancelled = True
        kill = lock_wake_ready()
        while os.getpid() == self.pid and self.thread.is_alive() and not self.done.is_set():
            try:
                if kill:
                    hostsig.pthread_kill(self.thread.ident, LOCK_WAKE)
            except (OSError, ValueError):
                break
            self.done.wait(0.01)     # (the thread may not have reached its call yet)
        self._release()


def _os(fn, *args):
    try:
        return fn(*args)
    except BlockingIOError:
        raise
    except OSError as e:
        raise GuestOSError(e.errno or errno.EIO) from None


class HostIO:
    """Mixin for the Process: waiting on host descriptors, and read/write of HostFd files."""

    def wait_host(self, name: str, attempt, fds, deadline: float | None = None,
                  timeout_result=0, interrupted=None, restart: bool = True, cancel=None):
        """Block the calling guest thread until ``attempt()`` gives a result (not None).

        ``fds``: (host fd, select.POLL* events) pairs whose readiness may change the answer,
        or a function giving them, asked again after each attempt (wait4's children: a
        descriptor that stays ready without changing the answer, such as another child's
        pidfd once it is a zombie, or one closed meanwhile, would make the wait spin);
        ``deadline`` (time.monotonic) ends the wait with ``timeout_result``; a signal ends it
        with EINTR (or ``interrupted()``) — unless its handler has SA_RESTART and ``restart``
        holds: then the call starts again after the handler, as the kernel restarts it.
        ``cancel()`` undoes what the call started when the wait ends without a result."""
        r = attempt()
        if r is not None:
            return r
        if deadline is not None and time.monotonic() >= deadline:
            if cancel:
                cancel()
            return timeout_result() if callable(timeout_result) else timeout_result
        if len(self.threads) > 1:
            return self.block(self.Wait(name, attempt, deadline, timeout_result=timeout_result,
                                        host_fds=fds if callable(fds) else tuple(fds),
                                        interrupted=interrupted, cancel=cancel, restart=restart))
        poller = None
        while True:
            if poller is None or callable(fds):
                poller = select.poll()
                for fd, ev in (fds() if callable(fds) else fds):
                    poller.register(fd, ev)
            if self.interrupting_signal() or self.stop_event.is_set() or self.stop is not None:
                if self.interrupting_signal() and not self.stop_event.is_set() and self.stop is None:
                    # what the call waits for may be there too (the child whose SIGCHLD this
                    # is): the kernel looks for it before it looks for a pending signal
                    r = attempt()
                    if r is not None:
                        return r
                if cancel:
                    cancel()
                if restart and self.stop is None and self._restartable():
                    pc = self.eng.reg_read(self.arch.pc)
                    self.eng.reg_write(self.arch.pc, pc - 4)     # the svc/ecall again
                    return None                                  # registers untouched
                return interrupted() if interrupted else -errno.EINTR
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                if cancel:
                    cancel()
                return timeout_result() if callable(timeout_result) else timeout_result
            step = STEP if left is None else min(STEP, left)
            poller.poll(int(step * 1000) + 1)
            r = attempt()
            if r is not None:
                return r

    def lock_wait(self, name: str, hfd: int, cmd: int | None, arg):
        """A lock request that waits (Syscalls.lock_wait): made at once without waiting, and
        when that is refused, by a host thread (BlockingCall) while the guest thread waits as
        in any blocking call — a signal ends it with EINTR, or, after a handler with
        SA_RESTART, the call starts again (the kernel's -ERESTARTSYS for both calls)."""
        import fcntl as _fcntl
        try:
            if cmd is None:
                _fcntl.flock(hfd, arg | 4)                          # LOCK_NB
            else:
                _fcntl.fcntl(hfd, {7: 6, 38: 37}[cmd], arg)         # F_SETLK, F_OFD_SETLK
            return 0
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return -(e.errno or errno.EINVAL)
        if not lock_wake_ready():
            return super().lock_wait(name, hfd, cmd, arg)
        if cmd is None:
            b = BlockingCall(lambda: _libc.flock(hfd, arg), self.sandbox.blocking_opens)
        else:
            buf = ctypes.create_string_buffer(bytes(arg), len(arg))
            b = BlockingCall(lambda: _libc.fcntl(hfd, cmd, buf), self.sandbox.blocking_opens)
        return self.wait_host(name, b.result, [(b.notify, select.POLLIN)], cancel=b.cancel,
                              interrupted=b.interrupted)

    @staticmethod
    def install_lock_wake() -> None:
        """Set LOCK_WAKE's handler, at the start of a run: Python sets handlers from the main
        thread only, and system calls may be served on a worker thread (runner.py's
        interruptible runs). An in-process run started on another thread polls instead (its
        lock waits then hold its other guest threads). The handler stays when the run ends:
        a host thread still being woken must never meet the default action, which ends the
        process; nothing else sends this signal."""
        if hostsig.getsignal(LOCK_WAKE) is not _wake_noop and \
                threading.current_thread() is threading.main_thread():
            try:
                hostsig.signal(LOCK_WAKE, _wake_noop)
            except (ValueError, OSError):
                pass

    def _restartable(self) -> bool:
        """Does the signal that interrupts a wait have a handler with SA_RESTART?"""
        if self.pending is not None:
            sig = self.pending[0]
        else:
            sig = next((s for s in self.async_signals if self.action(s)[0] > 1
                        and not self.sigmask & (1 << (s - 1))), None)
        return sig is not None and bool(self.action(sig)[1] & SA_RESTART)

    def host_read(self, name: str, f: HostFd, buf: int, count: int):
        """read(2) of a host descriptor into guest memory, waiting as the guest asked."""
        if count and not self.mem.is_mapped(buf, count, 2):
            return -errno.EFAULT

        def attempt():
            try:
                data = f.try_read(count)
            except BlockingIOError:
                return None
            except GuestOSError as e:
                return -e.errno
            self.wr(buf, data)
            return len(data)

        r = attempt()
        if r is None and f.nonblock:
            return -errno.EAGAIN
        return r if r is not None else self.wait_host(name, attempt, [(f.fd, select.POLLIN)])

    def host_write(self, name: str, f: HostFd, data: bytes):
        """write(2) of guest bytes to a host descriptor: all of them, unless O_NONBLOCK."""
        acct = getattr(f, "acct", None)        # captured output turned into a pipe (process.py)
        if acct is not None:
            acct.charge(len(data))
        if f.nonblock:
            try:
                return f.try_write(data)
            except BlockingIOError:
                return -errno.EAGAIN
        done = [0]

        def attempt():
            while done[0] < len(data):
                try:
                    done[0] += f.try_write(data[done[0]:])
                except BlockingIOError:
                    return None
                except GuestOSError as e:
                    if done[0]:
                        return done[0]
                    if e.errno == errno.EPIPE:
                        r = self._broken_pipe()      # None: SIGPIPE ended the process
                        return -errno.EPIPE if r is None else r
                    return -e.errno
            return done[0]

        if not data:
            return 0
        return self.wait_host(name, attempt, [(f.fd, select.POLLOUT)],
                              interrupted=lambda: done[0] or -errno.EINTR)

    # --- the calls ----------------------------------------------------------------------
    def open_path(self, dirfd, path: str, flags: int, mode: int):
        """Syscalls.open_path, with a FIFO served as a pipe (its reads and writes wait as a
        pipe's do, without blocking the emulator)."""
        f = super().open_path(dirfd, path, flags, mode)
        if isinstance(f, F.HostFile) and f.is_fifo and not f.path_only:
            return fifo_file(f.fd, f.readable, f.writable, f.guest_path, f.host_path)
        return f

    def sys_openat(self, dirfd, path, flags, mode, *_):
        """openat(2); a blocking open of a FIFO waits for the other end as a blocking call
        (fs.BlockingOpen): other threads run, a signal ends it (EINTR, or the open starts again
        after a handler with SA_RESTART), and so does the time limit."""
        f = self.open_path(dirfd, self.path_arg(path), flags, mode)
        if not isinstance(f, F.BlockingOpen):
            return self.install_open(f, flags)

        def attempt():
            r = f.result()
            if r is None or r < 0:
                return r
            try:
                return self.install_open(fifo_file(r, f.reading, not f.reading, f.guest_path, f.host_path),
                                         flags)
            except GuestOSError as e:
                return -e.errno

        return self.wait_host("openat", attempt, [(f.notify, select.POLLIN)], cancel=f.cancel)

    def sys_read(self, fd, buf, count, *rest):
        f = self.fds.get(s32(fd))
        if isinstance(f, HostFd) or isinstance(f, F.HostStream) and f.readable:
            return self.host_read("read", f, buf, min(count, 1 << 24))
        return super().sys_read(fd, buf, count, *rest)

    def sys_write(self, fd, buf, count, *rest):
        f = self.fds.get(s32(fd))
        if isinstance(f, HostFd):
            return self.host_write("write", f, self.rd(buf, min(count, 1 << 24)))
        return super().sys_write(fd, buf, count, *rest)

    def write_data(self, name, fd, data):
        f = self.fds.get(fd)
        if isinstance(f, HostFd):
            return self.host_write(name, f, data)
        return super().write_data(name, fd, data)

    def sys_readv(self, fd, iov, cnt, *rest):
        f = self.fds.get(s32(fd))
        if not (isinstance(f, HostFd) or isinstance(f, F.HostStream) and f.readable):
            return super().sys_readv(fd, iov, cnt, *rest)
        vecs = [(b, n) for b, n in self._iov(iov, cnt) if n]
        total = min(sum(n for _b, n in vecs), 1 << 24)

        def attempt():
            try:
                data = f.try_read(total)
            except BlockingIOError:
                return None
            except GuestOSError as e:
                return -e.errno
            pos = 0
            for base, n in vecs:
                if pos >= len(data):
                    break
                self.wr(base, data[pos:pos + n])
                pos += n
            return len(data)

        r = attempt()
        if r is None and f.nonblock:
            return -errno.EAGAIN
        return r if r is not None else self.wait_host("readv", attempt, [(f.fd, select.POLLIN)])

    def sys_writev(self, fd, iov, cnt, *rest):
        f = self.fds.get(s32(fd))
        if not isinstance(f, HostFd):
            return super().sys_writev(fd, iov, cnt, *rest)
        data = b"".join(self.rd(base, ln) for base, ln in self._iov(iov, cnt))
        return self.host_write("writev", f, data)

    # --- splice, tee, vmsplice --------------------------------------------------------------
    def sys_splice(self, fd_in, off_in, fd_out, off_out, length, flags, *_):
        """splice(2): the host's, between the host descriptors the guest's stand for (a
        blocking one waits as read and write do: SPLICE_F_NONBLOCK tried first); from or to a
        file that is not the host's (captured output, standard input given as bytes), a copy."""
        fin, fout = self.fds.get(s32(fd_in)), self.fds.get(s32(fd_out))
        if not fin.readable or not fout.writable:
            return -errno.EBADF
        if off_in and fin.kind == "pipe" or off_out and fout.kind == "pipe":
            return -errno.ESPIPE
        hin, hout = fin.host_fd(), fout.host_fd()
        if hin is None or hout is None:
            return self._splice_copy(fin, off_in, fout, off_out, length)
        offs = [ctypes.c_int64(struct.unpack("<q", self.rd(a, 8))[0]) if a else None
                for a in (off_in, off_out)]

        pin, pout = (None if o is None else ctypes.byref(o) for o in offs)

        acct = getattr(fout, "acct", None)      # standard output passed through: its cap

        def attempt():
            r = _splice(hin, pin, hout, pout, length, flags | SPLICE_F_NONBLOCK)
            if r > 0 and acct is not None:
                acct.charge(r)
            return self._moved(r, (off_in, offs[0]), (off_out, offs[1]))

        return self._spliced("splice", attempt, flags, fin, fout)

    def sys_tee(self, fd_in, fd_out, length, flags, *_):
        """tee(2): between two host pipes, the host's (waiting as splice does)."""
        fin, fout = self.fds.get(s32(fd_in)), self.fds.get(s32(fd_out))
        if not isinstance(fin, HostFd) or not isinstance(fout, HostFd):
            return -errno.EINVAL
        if not fin.readable or not fout.writable:
            return -errno.EBADF

        def attempt():
            return self._moved(_tee(fin.fd, fout.fd, length, flags | SPLICE_F_NONBLOCK))

        return self._spliced("tee", attempt, flags, fin, fout)

    def sys_vmsplice(self, fd, iov, cnt, flags, *_):
        """vmsplice(2): the guest's memory into a pipe (its write end), or the pipe's bytes
        into the memory (its read end), copied, as writev and readv do; SPLICE_F_NONBLOCK
        makes it EAGAIN rather than wait."""
        f = self.fds.get(s32(fd))
        if not isinstance(f, HostFd) or f.kind != "pipe" or cnt > 1024:
            return -errno.EBADF if cnt <= 1024 else -errno.EINVAL
        if not flags & SPLICE_F_NONBLOCK:
            return self.sys_writev(fd, iov, cnt) if f.writable else self.sys_readv(fd, iov, cnt)
        if f.writable:
            data = b"".join(self.rd(base, ln) for base, ln in self._iov(iov, cnt))
            try:
                return f.try_write(data) if data else 0
            except BlockingIOError:
                return -errno.EAGAIN
            except GuestOSError as e:
                return -e.errno
        vecs = [(b, n) for b, n in self._iov(iov, cnt) if n]
        try:
            data = f.try_read(sum(n for _b, n in vecs))
        except BlockingIOError:
            return -errno.EAGAIN
        except GuestOSError as e:
            return -e.errno
        pos = 0
        for base, n in vecs:
            self.wr(base, data[pos:pos + n])
            pos += n
        return len(data)

    def _moved(self, r: int, *offsets):
        """A splice or tee's host result: None for EAGAIN (it would wait), the count with the
        offsets it moved written back to the guest, or -errno."""
        if r < 0:
            e = ctypes.get_errno()
            return None if e == errno.EAGAIN else -(e or errno.EIO)
        for addr, off in offsets:
            if addr:
                self.wr(addr, struct.pack("<q", off.value))
        return r

    def _spliced(self, name: str, attempt, flags: int, fin, fout):
        """Run a splice or tee ``attempt``: EAGAIN for SPLICE_F_NONBLOCK or an O_NONBLOCK
        pipe, else wait for the side that is not ready (the input's data, the output's room)."""
        r = attempt()
        if r is not None:
            return r
        if flags & SPLICE_F_NONBLOCK or any(isinstance(f, HostFd) and f.kind == "pipe" and f.nonblock
                                            for f in (fin, fout)):
            return -errno.EAGAIN
        hin, hout = fin.host_fd(), fout.host_fd()
        side = (hin, select.POLLIN) if not ready(hin, select.POLLIN) else (hout, select.POLLOUT)
        return self.wait_host(name, attempt, [side])

    def _splice_copy(self, fin, off_in, fout, off_out, length: int):
        """splice where a side is no host descriptor: the bytes read, then written."""
        off = struct.unpack("<q", self.rd(off_in, 8))[0] if off_in else None

        def attempt():
            try:
                if off is not None:
                    data = fin.pread(length, off)
                elif hasattr(fin, "try_read"):
                    data = fin.try_read(length)
                else:
                    data = fin.read(length)
            except BlockingIOError:
                return None
            except GuestOSError as e:
                return -e.errno
            try:
                if off_out:
                    at = struct.unpack("<q", self.rd(off_out, 8))[0]
                    n = fout.pwrite(data, at)
                    self.wr(off_out, struct.pack("<q", at + n))
                else:
                    n = fout.write(data)
            except GuestOSError as e:
                return -e.errno
            if off is not None:
                self.wr(off_in, struct.pack("<q", off + n))
            return n

        r = attempt()
        if r is not None or fin.host_fd() is None:
            return r if r is not None else -errno.EAGAIN
        if getattr(fin, "nonblock", False):
            return -errno.EAGAIN
        return self.wait_host("splice", attempt, [(fin.host_fd(), select.POLLIN)])

    def sys_pipe2(self, fds, flags, *_):
        direct = 0o200000 if self.arch.name == "arm64" else 0o40000    # O_DIRECT: packet mode
        if flags & ~(O_NONBLOCK | O_CLOEXEC | direct):
            return -errno.EINVAL
        r, w = os.pipe2(os.O_CLOEXEC | (os.O_NONBLOCK if flags & O_NONBLOCK else 0)
                        | (os.O_DIRECT if flags & direct else 0))
        rf, wf = HostFd(r, True, False), HostFd(w, False, True)
        try:
            a = self.fds.install(rf)
            b = self.fds.install(wf)
        except GuestOSError:
            rf.close()
            wf.close()
            raise
        if flags & O_CLOEXEC:
            self.fds.cloexec.update((a, b))
        self.wr(fds, struct.pack("<ii", a, b))
        return 0

    def sys_fcntl(self, fd, cmd, arg, *rest):
        f = self.fds.fds.get(s32(fd))
        if isinstance(f, HostFd) and cmd in (3, 4):       # F_GETFL, F_SETFL
            if cmd == 4:
                f.set_nonblock(bool(arg & O_NONBLOCK))
                return 0
            acc = 2 if f.readable and f.writable else (1 if f.writable else 0)
            return acc | (O_NONBLOCK if f.nonblock else 0)
        if isinstance(f, HostFd) and cmd in (1031, 1032):   # F_SETPIPE_SZ, F_GETPIPE_SZ: the host pipe's
            import fcntl
            try:
                return fcntl.fcntl(f.fd, cmd, arg & 0x7FFFFFFF)
            except OSError as e:
                return -(e.errno or errno.EINVAL)
        return super().sys_fcntl(fd, cmd, arg, *rest)

    def sys_ioctl(self, fd, req, arg, *rest):
        f = self.fds.fds.get(s32(fd))
        if isinstance(f, HostFd):
            req &= 0xFFFFFFFF
            if req == FIONBIO:
                f.set_nonblock(bool(struct.unpack("<i", self.rd(arg, 4))[0]))
                return 0
            if req == FIONREAD:
                import fcntl
                try:
                    n = struct.unpack("<i", fcntl.ioctl(f.fd, FIONREAD, b"\0\0\0\0"))[0]
                except OSError as e:
                    return -(e.errno or errno.ENOTTY)
                self.wr(arg, struct.pack("<i", n))
                return 0
        return super().sys_ioctl(fd, req, arg, *rest)


def fifo_file(fd: int, readable: bool, writable: bool, guest_path: str, host_path: str) -> HostFd:
    """An open FIFO: a pipe end of the guest's (a FIFO opened O_RDWR is both)."""
    f = HostFd(fd, readable, writable)
    f.guest_path = guest_path
    f.host_path = host_path
    return f


O_NONBLOCK, O_CLOEXEC = 0o4000, 0o2000000
SPLICE_F_NONBLOCK = 2
FIONBIO, FIONREAD = 0x5421, 0x541B




__all__ = ["HostFd", "HostIO", "ready", "PIPE_BUF"]
