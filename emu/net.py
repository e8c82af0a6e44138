"""Sockets, epoll, eventfd and timerfd: host objects the guest drives through its descriptors.

Every one is a host descriptor (hostio.HostFd), created and driven through the C library
(ctypes), so it works between forked guest processes and with host programs they exec. The
kernel's ABI for these calls is the same on the host (x86-64 or arm64 Linux) as for the guest
(asm-generic): socket addresses, option values, ``struct itimerspec`` and flag values are
passed through as bytes. Three things are translated:

- descriptor numbers (guest -> host) in epoll_ctl, and ``struct epoll_event``, which is packed
  (12 bytes) on an x86-64 host and 16 bytes for arm64/riscv64 guests;
- ``AF_UNIX`` path names, which go through the guest's file view (fs.py's ``resolve``), and
  come back as the name the guest gave;
- blocking: a call that would wait (accept, connect is not one on loopback, recv, send on a
  full buffer, epoll_pwait, read of an eventfd or timerfd) is tried without waiting
  (``MSG_DONTWAIT``, or poll first) and otherwise waits in ``wait_host``, letting the other
  guest threads run.

``AF_NETLINK`` sockets of the ``NETLINK_ROUTE`` protocol are host ones too, for the queries a C
library makes (``getifaddrs``: an ``RTM_GETLINK`` and an ``RTM_GETADDR`` dump; the messages are
the same bytes for every Linux ABI): a request other than ``RTM_GET*`` (one that would change
the host's interfaces, addresses or routes) is not served, whatever the emulator's privileges.

Descriptors passed with ``SCM_RIGHTS`` go through the host's own sendmsg/recvmsg (a received
one becomes a guest file of its kind); ``SCM_CREDENTIALS`` and ``SO_PEERCRED`` pass through
with pids translated (the first process's 4242 is its host pid). Not served: other ancillary data,
sockets of other families (other netlink protocols, packet, ...), and the socket options that name a
descriptor.
"""

from __future__ import annotations

import array
import ctypes
import errno
import fcntl
import os
import platform
import select
import socket
import stat
import struct
import time

from .fs import GuestOSError, HostFile
from .hostio import HostFd
from .threads import NotServed
from .syscalls import UIO_MAXIOV, s32

AF_UNIX, AF_INET, AF_INET6, AF_NETLINK = 1, 2, 10, 16
NETLINK_ROUTE = 0
RTM_BASE, NLMSG_HDR = 16, 16    # the first rtnetlink message type; sizeof(struct nlmsghdr)
SOCK_NONBLOCK, SOCK_CLOEXEC = 0o4000, 0o2000000
MSG_DONTWAIT, MSG_NOSIGNAL, MSG_TRUNC, MSG_CTRUNC = 0x40, 0x4000, 0x20, 0x8
MSG_CMSG_CLOEXEC = 0x40000000
MSG_WAITFORONE = 0x10000
MMSGHDR = 64                    # sizeof(struct mmsghdr): a msghdr (56 bytes), msg_len, padding
SOL_SOCKET, SCM_RIGHTS, SCM_CREDENTIALS = 1, 1, 2
SO_PEERCRED = 17
# SIOCGIFNAME, SIOCGIFFLAGS, SIOCGIFADDR, SIOCGIFDSTADDR, SIOCGIFBRDADDR, SIOCGIFNETMASK,
# SIOCGIFMETRIC, SIOCGIFMTU, SIOCGIFHWADDR, SIOCGIFINDEX, SIOCGIFTXQLEN: struct ifreq in and out
SIOCGIF = frozenset((0x8910, 0x8913, 0x8915, 0x8917, 0x8919, 0x891B, 0x891D, 0x8921, 0x8927,
                     0x8933, 0x8942))
IFREQ = 40                      # sizeof(struct ifreq) on 64-bit Linux
EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD = 1, 2, 3
EPOLL_EVENT_HOST = "<IQ" if platform.machine() in ("x86_64", "AMD64", "i686") else "<IxxxxQ"
EPOLL_EVENT_GUEST = "<IxxxxQ"
TFD_TIMER_ABSTIME = 1

_libc = ctypes.CDLL(None, use_errno=True)


def _c(name, *args):
    """Call a C library function; return its result or raise GuestOSError(errno)."""
    r = getattr(_libc, name)(*args)
    if r < 0:
        e = ctypes.get_errno()
        if e in (errno.EAGAIN, errno.EWOULDBLOCK):
            raise BlockingIOError
        raise GuestOSError(e or errno.EIO)
    return r


class Socket(HostFd):
    def __init__(self, fd: int, family: int):
        super().__init__(fd, True, True, "socket")
        self.family = family
        self.guest_name: bytes | None = None    # AF_UNIX: the path the guest bound

    def try_read(self, n):
        buf = ctypes.create_string_buffer(max(n, 1))
        got = _c("recv", self.fd, buf, n, MSG_DONTWAIT)
        return buf.raw[:got]

    def try_write(self, data):
        self.check_out(data)
        return _c("send", self.fd, data, len(data), MSG_DONTWAIT | MSG_NOSIGNAL)

    def check_out(self, data: bytes) -> None:
        """Refuse (NotServed) what the host must not be sent; every socket but netlink's
        takes anything."""
        if self.family == AF_NETLINK:
            _check_rtnetlink(data)


def _check_rtnetlink(data: bytes) -> None:
    """Only queries reach the host's rtnetlink: each message of the datagram must be an
    RTM_GET* request (type RTM_BASE + 4k + 2: GETLINK, GETADDR, GETROUTE ...) or a netlink
    control message (NLMSG_NOOP ...); a truncated header is left to the kernel's EINVAL."""
    pos = 0
    while pos + NLMSG_HDR <= len(data):
        ln, kind = struct.unpack_from("<IH", data, pos)
        if kind >= RTM_BASE and (kind - RTM_BASE) % 4 != 2:
            raise NotServed(f"an rtnetlink request of type {kind} (not an RTM_GET* query) "
                            "is not served")
        if ln < NLMSG_HDR:
            break
        pos += (ln + 3) & ~3


class Net:
    """Mixin for the Process: the socket, epoll, eventfd and timerfd system calls."""

    def _socket(self, fd) -> Socket:
        f = self.fds.get(s32(fd))
        if not isinstance(f, Socket):
            raise GuestOSError(errno.ENOTSOCK)
        return f

    def _install(self, f: HostFd, cloexec: bool) -> int:
        try:
            gfd = self.fds.install(f)
        except GuestOSError:
            f.close()
            raise
        if cloexec:
            self.fds.cloexec.add(gfd)
        return gfd

    # --- addresses ------------------------------------------------------------------------
    def _addr_in(self, addr: int, alen: int, sock: Socket | None = None, bind=False) -> bytes:
        if alen > 128:
            raise GuestOSError(errno.EINVAL)
        raw = self.rd(addr, alen)
        if len(raw) >= 2 and struct.unpack_from("<H", raw)[0] == AF_UNIX and len(raw) > 2 and raw[2]:
            name = raw[2:].split(b"\0", 1)[0]
            # the host path the guest's path stands for (the sandbox's walk follows links for
            # connect and sendto; bind creates the last component, which must not be a link)
            with self.sandbox.lookup(os.fsdecode(name), follow=not bind) as loc:
                if bind:
                    self.sandbox.check_write(loc)
                host = loc.host_path()
            hb = os.fsencode(host)
            if len(hb) >= 108:
                raise GuestOSError(errno.ENAMETOOLONG)
            if sock is not None and bind:
                sock.guest_name = name
            return struct.pack("<H", AF_UNIX) + hb + b"\0"
        return raw

    def _addr_out(self, raw: bytes, addr: int, alenp: int, sock: Socket | None = None,
                  local=False) -> None:
        if not addr or not alenp:
            return
        if len(raw) > 2 and struct.unpack_from("<H", raw)[0] == AF_UNIX and raw[2]:
            name = raw[2:].split(b"\0", 1)[0]
            if local and sock is not None and sock.guest_name is not None:
                name = sock.guest_name
            else:
                g = self.sandbox.guest_of_host(os.fsdecode(name))
                name = os.fsencode(g) if g else name
            raw = struct.pack("<H", AF_UNIX) + name + b"\0"
        room = struct.unpack("<I", self.rd(alenp, 4))[0]
        self.wr(addr, raw[:room])
        self.wr(alenp, struct.pack("<I", len(raw)))

    # --- creation -------------------------------------------------------------------------
    def sys_socket(self, domain, type_, proto, *_):
        if domain not in (AF_UNIX, AF_INET, AF_INET6, AF_NETLINK) or (
                domain == AF_NETLINK and s32(proto) != NETLINK_ROUTE):
            return -errno.EAFNOSUPPORT
        if type_ & ~(0xF | SOCK_NONBLOCK | SOCK_CLOEXEC):
            return -errno.EINVAL
        fd = _c("socket", domain, (type_ & (0xF | SOCK_NONBLOCK)) | SOCK_CLOEXEC, s32(proto))
        return self._install(Socket(fd, domain), bool(type_ & SOCK_CLOEXEC))

    def sys_socketpair(self, domain, type_, proto, sv, *_):
        if domain != AF_UNIX:
            return -errno.EOPNOTSUPP
        pair = (ctypes.c_int * 2)()
        _c("socketpair", domain, (type_ & (0xF | SOCK_NONBLOCK)) | SOCK_CLOEXEC, s32(proto), pair)
        a = self._install(Socket(pair[0], domain), bool(type_ & SOCK_CLOEXEC))
        b = self._install(Socket(pair[1], domain), bool(type_ & SOCK_CLOEXEC))
        self.wr(sv, struct.pack("<ii", a, b))
        return 0

    def sys_bind(self, fd, addr, alen, *_):
        s = self._socket(fd)
        raw = self._addr_in(addr, alen, s, bind=True)
        return _c("bind", s.fd, raw, len(raw))

    def sys_listen(self, fd, backlog, *_):
        return _c("listen", self._socket(fd).fd, s32(backlog))

    def sys_connect(self, fd, addr, alen, *_):
        s = self._socket(fd)
        raw = self._addr_in(addr, alen)
        try:
            return _c("connect", s.fd, raw, len(raw))
        except BlockingIOError:
            return -errno.EAGAIN

    def sys_accept4(self, fd, addr, alenp, flags, *_):
        s = self._socket(fd)
        if flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC):
            return -errno.EINVAL

        def attempt():
            if not s.nonblock and not select_ready(s.fd, select.POLLIN):
                return None
            buf = ctypes.create_string_buffer(128)
            ln = ctypes.c_uint(128)
            try:
                nfd = _c("accept4", s.fd, buf, ctypes.byref(ln), (flags & SOCK_NONBLOCK) | SOCK_CLOEXEC)
            except BlockingIOError:
                return None if not s.nonblock else -errno.EAGAIN
            except GuestOSError as e:
                return -e.errno
            ns = Socket(nfd, s.family)
            gfd = self._install(ns, bool(flags & SOCK_CLOEXEC))
            self._addr_out(buf.raw[:ln.value], addr, alenp)
            return gfd

        r = attempt()
        if r is None and s.nonblock:
            return -errno.EAGAIN
        return r if r is not None else self.wait_host("accept4", attempt, [(s.fd, select.POLLIN)])

    def sys_accept(self, fd, addr, alenp, *_):
        return self.sys_accept4(fd, addr, alenp, 0)

    def _name(self, fn, fd, addr, alenp, local):
        s = self._socket(fd)
        buf = ctypes.create_string_buffer(128)
        ln = ctypes.c_uint(128)
        _c(fn, s.fd, buf, ctypes.byref(ln))
        self._addr_out(buf.raw[:ln.value], addr, alenp, s, local)
        return 0

    def sys_getsockname(self, fd, addr, alenp, *_):
        return self._name("getsockname", fd, addr, alenp, True)

    def sys_getpeername(self, fd, addr, alenp, *_):
        return self._name("getpeername", fd, addr, alenp, False)

    def sys_shutdown(self, fd, how, *_):
        return _c("shutdown", self._socket(fd).fd, s32(how))

    def sys_setsockopt(self, fd, level, name, val, vlen, *_):
        s = self._socket(fd)
        if vlen > 4096:
            return -errno.EINVAL
        data = self.rd(val, vlen) if vlen else b""
        return _c("setsockopt", s.fd, s32(level), s32(name), data, vlen)

    def sys_getsockopt(self, fd, level, name, val, vlenp, *_):
        s = self._socket(fd)
        room = struct.unpack("<I", self.rd(vlenp, 4))[0]
        room = min(room, 4096)
        buf = ctypes.create_string_buffer(max(room, 1))
        ln = ctypes.c_uint(room)
        _c("getsockopt", s.fd, s32(level), s32(name), buf, ctypes.byref(ln))
        if (s32(level), s32(name)) == (SOL_SOCKET, SO_PEERCRED) and ln.value >= 12 and room >= 12:
            pid = struct.unpack_from("<i", buf.raw)[0]          # the peer's host pid
            buf.raw = struct.pack("<i", self.guest_of(pid)) + buf.raw[4:]
        self.wr(val, buf.raw[:min(ln.value, room)])
        self.wr(vlenp, struct.pack("<I", ln.value))
        return 0

    def sys_ioctl(self, fd, req, arg, *rest):
        """The interface queries of a socket (``if_indextoname``, ``if_nametoindex``, flags,
        addresses, MTU ...): a ``struct ifreq`` in and out, 40 bytes for every 64-bit ABI,
        asked of the host. The requests that set anything are not among them."""
        f = self.fds.fds.get(s32(fd))
        if isinstance(f, Socket) and req & 0xFFFFFFFF in SIOCGIF:
            import fcntl as _fcntl
            try:
                out = _fcntl.ioctl(f.fd, req & 0xFFFFFFFF, self.rd(arg, IFREQ))
            except OSError as e:
                return -(e.errno or errno.ENOTTY)
            self.wr(arg, out)
            return 0
        return super().sys_ioctl(fd, req, arg, *rest)

    # --- data -----------------------------------------------------------------------------
    def _send(self, name, s: Socket, data: bytes, flags: int, dest: bytes | None, passed=()):
        attempt, done = self._sender(s, data, flags, dest, passed)
        r = attempt()
        if r is not None:
            return r
        return self.wait_host(name, attempt, [(s.fd, select.POLLOUT)],
                              interrupted=lambda: done[0] or -errno.EINTR)

    def _sender(self, s: Socket, data: bytes, flags: int, dest: bytes | None, passed=()):
        """(attempt, done) of one send: ``attempt()`` sends what the socket takes now and gives
        the result, or None while a blocking send waits for room (``done[0]``: bytes sent)."""
        s.check_out(data)
        wait = not (s.nonblock or flags & MSG_DONTWAIT)
        done = [0]

        def once():
            chunk = data[done[0]:]
            if passed and not done[0]:           # the descriptors go with the first byte
                return _sendmsg_fds(s.fd, chunk, flags | MSG_DONTWAIT | MSG_NOSIGNAL, passed, dest)
            if dest is not None:
                return _c("sendto", s.fd, chunk, len(chunk), flags | MSG_DONTWAIT | MSG_NOSIGNAL,
                          dest, len(dest))
            return _c("send", s.fd, chunk, len(chunk), flags | MSG_DONTWAIT | MSG_NOSIGNAL)

        def attempt():
            while True:
                try:
                    done[0] += once()
                except BlockingIOError:
                    return (None if wait else -errno.EAGAIN) if not done[0] else \
                        (None if wait and done[0] < len(data) else done[0])
                except GuestOSError as e:
                    if done[0]:
                        return done[0]
                    if e.errno == errno.EPIPE and not flags & MSG_NOSIGNAL:
                        r = self._broken_pipe()      # None: SIGPIPE ended the process
                        return -errno.EPIPE if r is None else r
                    return -e.errno
                if done[0] >= len(data) or dest is not None:
                    return done[0]

        return attempt, done

    def _recv(self, name, s: Socket, n: int, flags: int, deliver):
        """deliver(data, source address bytes, truncated length) writes the results."""
        wait = not (s.nonblock or flags & MSG_DONTWAIT)
        n = min(n, 1 << 24)

        def attempt():
            buf = ctypes.create_string_buffer(max(n, 1))
            src = ctypes.create_string_buffer(128)
            ln = ctypes.c_uint(128)
            try:
                got = _c("recvfrom", s.fd, buf, n, flags | MSG_DONTWAIT, src, ctypes.byref(ln))
            except BlockingIOError:
                return None if wait else -errno.EAGAIN
            except GuestOSError as e:
                return -e.errno
            return deliver(buf.raw[:min(got, n)], src.raw[:ln.value], got)

        r = attempt()
        if r is not None:
            return r
        return self.wait_host(name, attempt, [(s.fd, select.POLLIN)])

    def sys_sendto(self, fd, buf, length, flags, addr, alen, *_):
        s = self._socket(fd)
        data = self.rd(buf, min(length, 1 << 24))
        dest = self._addr_in(addr, alen) if addr else None
        return self._send("sendto", s, data, flags & 0xFFFFFFFF, dest)

    def sys_recvfrom(self, fd, buf, length, flags, addr, alenp, *_):
        s = self._socket(fd)
        if length and not self.mem.is_mapped(buf, min(length, 1 << 24), 2):
            return -errno.EFAULT

        def deliver(data, src, got):
            self.wr(buf, data)
            if addr:
                self._addr_out(src, addr, alenp)
            return got

        return self._recv("recvfrom", s, length, flags & 0xFFFFFFFF, deliver)

    def _msghdr(self, msg):
        name, namelen, iov, iovlen, control, controllen, mflags = struct.unpack(
            "<QI4xQQQQi", self.rd(msg, 52))
        return name, namelen, iov, iovlen, control, controllen, mflags

    def sys_sendmsg(self, fd, msg, flags, *_):
        s = self._socket(fd)
        data, dest, passed = self._msg_out(msg)
        return self._send("sendmsg", s, data, flags & 0xFFFFFFFF, dest, passed)

    def _msg_out(self, msg: int):
        """A struct msghdr to send: its bytes, destination address and ancillary data."""
        name, namelen, iov, iovlen, control, controllen, _mf = self._msghdr(msg)
        passed = self._ancillary_in(control, controllen) if control and controllen else []
        data = b"".join(self.rd(b, n) for b, n in self._iov(iov, iovlen))
        dest = self._addr_in(name, namelen) if name and namelen else None
        return data, dest, passed

    def _ancillary_in(self, control: int, controllen: int) -> list:
        """sendmsg's ancillary data for the host: the host descriptors an SCM_RIGHTS message
        passes, and SCM_CREDENTIALS (struct ucred) with the guest's pid as the host's (the
        host kernel checks it is the sender's). Other kinds: not served."""
        if controllen > 4096:
            raise GuestOSError(errno.EINVAL)
        raw = self.rd(control, controllen)
        fds, out, pos = [], [], 0
        while pos + 16 <= len(raw):
            ln, level, kind = struct.unpack_from("<Qii", raw, pos)
            if ln < 16 or pos + ln > len(raw):
                raise GuestOSError(errno.EINVAL)
            if (level, kind) == (SOL_SOCKET, SCM_CREDENTIALS):
                if ln < 16 + 12:
                    raise GuestOSError(errno.EINVAL)
                pid, uid, gid = struct.unpack_from("<iII", raw, pos + 16)
                out.append((SOL_SOCKET, SCM_CREDENTIALS,
                            struct.pack("<iII", self.host_of(pid), uid, gid)))
                pos += (ln + 7) & ~7
                continue
            if (level, kind) != (SOL_SOCKET, SCM_RIGHTS):
                raise NotServed("sendmsg with ancillary data other than SCM_RIGHTS and "
                                "SCM_CREDENTIALS is not served")
            for (g,) in struct.iter_unpack("<i", raw[pos + 16:pos + 16 + (ln - 16) // 4 * 4]):
                h = self.fds.get(g).host_fd()
                if h is None:
                    raise NotServed("passing a descriptor that is not a host one (captured "
                                    "output, /dev/null, ...) is not served")
                fds.append(h)
            pos += (ln + 7) & ~7
        if fds:
            out.append((SOL_SOCKET, SCM_RIGHTS, array.array("i", fds).tobytes()))
        return out

    def sys_recvmsg(self, fd, msg, flags, *_):
        s = self._socket(fd)
        name, namelen, iov, iovlen, control, controllen, _mf = self._msghdr(msg)
        vecs = [(b, n) for b, n in self._iov(iov, iovlen) if n]
        total = sum(n for _b, n in vecs)
        if control and controllen and s.family == AF_UNIX:
            return self._recvmsg_rights(s, msg, vecs, total, control, controllen,
                                        flags & 0xFFFFFFFF)

        def deliver(data, src, got):
            pos = 0
            for base, n in vecs:
                if pos >= len(data):
                    break
                self.wr(base, data[pos:pos + n])
                pos += n
            if name and namelen:
                self._addr_out(src, name, msg + 8)
            elif namelen:
                self.wr(msg + 8, struct.pack("<I", 0))
            self.wr(msg + 40, struct.pack("<Q", 0))                 # msg_controllen: none
            self.wr(msg + 48, struct.pack("<i", MSG_TRUNC if got > total else 0))
            return got if not flags & MSG_TRUNC else got

        return self._recv("recvmsg", s, total, flags & 0xFFFFFFFF, deliver)

    def _recvmsg_rights(self, s, msg, vecs, total, control, controllen, flags):
        """recvmsg on an AF_UNIX socket with room for ancillary data: descriptors passed
        (SCM_RIGHTS) become guest descriptors."""
        wait = not (s.nonblock or flags & MSG_DONTWAIT)
        room = min(controllen, 4096)

        def attempt():
            sock = socket.socket(fileno=os.dup(s.fd))
            try:
                data, anc, mflags, _addr = sock.recvmsg(total, room, (flags & ~MSG_CMSG_CLOEXEC)
                                                        | MSG_DONTWAIT)
            except BlockingIOError:
                return None if wait else -errno.EAGAIN
            except OSError as e:
                return -(e.errno or errno.EIO)
            finally:
                sock.close()
            pos = 0
            for base, n in vecs:
                if pos >= len(data):
                    break
                self.wr(base, data[pos:pos + n])
                pos += n
            out = b""
            for level, kind, blob in anc:
                if (level, kind) == (SOL_SOCKET, SCM_CREDENTIALS) and len(blob) >= 12:
                    pid, uid, gid = struct.unpack_from("<iII", blob)   # the sender's host pid
                    rec = struct.pack("<QiiiII", 28, SOL_SOCKET, SCM_CREDENTIALS,
                                      self.guest_of(pid), uid, gid)
                    out += rec + bytes(-len(rec) % 8)
                    continue
                if (level, kind) != (SOL_SOCKET, SCM_RIGHTS):
                    continue
                gfds = []
                for (h,) in struct.iter_unpack("<i", blob[:len(blob) // 4 * 4]):
                    gfds.append(self._install(wrap_host_fd(h), bool(flags & MSG_CMSG_CLOEXEC)))
                body = struct.pack(f"<{len(gfds)}i", *gfds)
                rec = struct.pack("<Qii", 16 + len(body), SOL_SOCKET, SCM_RIGHTS) + body
                out += rec + bytes(-len(rec) % 8)
            self.wr(msg + 8, struct.pack("<I", 0))                 # msg_namelen: unnamed
            if out:
                self.wr(control, out[:room])
            self.wr(msg + 40, struct.pack("<Q", min(len(out), room)))
            self.wr(msg + 48, struct.pack("<i", mflags & (MSG_TRUNC | MSG_CTRUNC)))
            return len(data)

        r = attempt()
        if r is not None:
            return r
        return self.wait_host("recvmsg", attempt, [(s.fd, select.POLLIN)])

    # --- sendmmsg, recvmmsg: sendmsg and recvmsg over an array ------------------------------
    def sys_sendmmsg(self, fd, vec, vlen, flags, *_):
        """sendmsg of each struct mmsghdr (64 bytes: the msghdr, then msg_len, written), as the
        kernel's __sys_sendmmsg: at most UIO_MAXIOV of them; it stops after an error or a
        message sent in part; the count sent, or the first one's error. Each message is a
        whole sendmsg: on a blocking socket it waits for room until all of it is sent (a
        stream socket's message too), as Linux does; a non-blocking one (or MSG_DONTWAIT)
        stops at the first message the socket does not take whole. A signal ends the wait
        with the count sent so far, the message it cut counted with its bytes sent (EINTR if
        nothing was sent)."""
        s = self._socket(fd)
        vlen = min(vlen & 0xFFFFFFFF, UIO_MAXIOV)
        flags &= 0xFFFFFFFF
        done = [0, None]                 # messages sent; the (attempt, bytes sent) of the next

        def record(entry, r):
            self.wr(entry + 56, struct.pack("<I", r))
            done[0] += 1

        def attempt():
            while done[0] < vlen:
                entry = vec + MMSGHDR * done[0]
                try:
                    if done[1] is None:
                        data, dest, passed = self._msg_out(entry)
                        done[1] = (*self._sender(s, data, flags, dest, passed), len(data))
                    send, sent, size = done[1]
                    r = send()
                    if r is None:
                        return None
                    done[1] = None
                    if r < 0:
                        return done[0] or r
                    record(entry, r)
                except GuestOSError as e:
                    done[1] = None
                    return done[0] or -e.errno
                if r < size:
                    break
            return done[0]

        def interrupted():
            if done[1] is not None and done[1][1][0]:
                record(vec + MMSGHDR * done[0], done[1][1][0])
            return done[0] or -errno.EINTR

        nothing = _NoneYet(lambda: not done[0] and not (done[1] and done[1][1][0]))
        return self.wait_host("sendmmsg", attempt, [(s.fd, select.POLLOUT)], restart=nothing,
                              interrupted=interrupted)

    def sys_recvmmsg(self, fd, vec, vlen, flags, timeout, *_):
        """recvmsg into each struct mmsghdr (msg_len written), as the kernel's do_recvmmsg: each
        message waits as recvmsg does (all of them: a blocking socket fills the array) unless
        MSG_WAITFORONE (then only the first) or MSG_DONTWAIT; at most UIO_MAXIOV; the count
        received, or the first one's error. The ``timeout`` is Linux's: looked at after each
        message (none ends a wait for the first), the time left written back."""
        deadline = None                  # ns of time.monotonic_ns(), as the kernel's timespec64
        if timeout:
            sec, nsec = struct.unpack("<qq", self.rd(timeout, 16))
            if sec < 0 or not 0 <= nsec < 1_000_000_000:
                return -errno.EINVAL
            deadline = 0
            if sec or nsec:              # (saturated at TIME64_MAX s: timespec64_add_safe)
                deadline = min(time.monotonic_ns() + sec * 1_000_000_000 + nsec, (2 ** 63 - 1) * 1_000_000_000)
        s = self._socket(fd)
        vlen = min(vlen & 0xFFFFFFFF, UIO_MAXIOV)
        flags &= 0xFFFFFFFF
        got = [0]

        def left() -> int:
            return max(0, deadline - time.monotonic_ns())

        def finish():
            if deadline is not None and got[0]:
                ns = left()
                self.wr(timeout, struct.pack("<qq", ns // 1_000_000_000, ns % 1_000_000_000))
            return got[0]

        def attempt():
            while got[0] < vlen:
                wait = not (s.nonblock or flags & MSG_DONTWAIT or flags & MSG_WAITFORONE and got[0])
                entry = vec + MMSGHDR * got[0]
                try:
                    r = self.sys_recvmsg(fd, entry, (flags & ~MSG_WAITFORONE) | MSG_DONTWAIT)
                    if r == -errno.EAGAIN and wait:
                        return None
                    if r < 0:
                        return finish() if got[0] else r
                    self.wr(entry + 56, struct.pack("<I", r))
                except GuestOSError as e:
                    return finish() if got[0] else -e.errno
                got[0] += 1
                if deadline is not None and left() <= 0:
                    break
            return finish()

        return self.wait_host("recvmmsg", attempt, [(s.fd, select.POLLIN)], restart=_NoneYet(lambda: not got[0]),
                              interrupted=lambda: finish() if got[0] else -errno.EINTR)

    # --- eventfd, timerfd ------------------------------------------------------------------
    def sys_eventfd2(self, initval, flags, *_):
        if flags & ~(1 | SOCK_NONBLOCK | SOCK_CLOEXEC):          # EFD_SEMAPHORE, _NONBLOCK, _CLOEXEC
            return -errno.EINVAL
        fd = os.eventfd(initval & 0xFFFFFFFF, (flags & (1 | SOCK_NONBLOCK)) | os.EFD_CLOEXEC)
        return self._install(HostFd(fd, True, True, "eventfd"), bool(flags & SOCK_CLOEXEC))

    def sys_timerfd_create(self, clockid, flags, *_):
        if flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC):
            return -errno.EINVAL
        fd = _c("timerfd_create", s32(clockid), (flags & SOCK_NONBLOCK) | SOCK_CLOEXEC)
        return self._install(HostFd(fd, True, False, "timerfd"), bool(flags & SOCK_CLOEXEC))

    def _host_of_kind(self, fd, kind: str) -> HostFd:
        """The guest's descriptor ``fd`` if it is a host ``kind`` ("timerfd", "epoll"), else EINVAL."""
        f = self.fds.get(s32(fd))
        if getattr(f, "kind", "") != kind:
            raise GuestOSError(errno.EINVAL)
        return f

    def sys_timerfd_settime(self, fd, flags, new, old, *_):
        f = self._host_of_kind(fd, "timerfd")
        spec = self.rd(new, 32)
        out = ctypes.create_string_buffer(32)
        _c("timerfd_settime", f.fd, s32(flags), spec, out)
        if old:
            self.wr(old, out.raw)
        return 0

    def sys_timerfd_gettime(self, fd, cur, *_):
        f = self._host_of_kind(fd, "timerfd")
        out = ctypes.create_string_buffer(32)
        _c("timerfd_gettime", f.fd, out)
        self.wr(cur, out.raw)
        return 0

    # --- epoll ----------------------------------------------------------------------------
    def sys_epoll_create1(self, flags, *_):
        if flags & ~SOCK_CLOEXEC:
            return -errno.EINVAL
        fd = _c("epoll_create1", SOCK_CLOEXEC)
        return self._install(HostFd(fd, True, False, "epoll"), bool(flags & SOCK_CLOEXEC))

    def sys_epoll_ctl(self, epfd, op, fd, event, *_):
        ep = self._host_of_kind(epfd, "epoll")
        f = self.fds.get(s32(fd))
        hfd = f.epoll_fd()
        if hfd is None:
            return -errno.EPERM              # not a file epoll can watch here
        ev = b""
        if op != EPOLL_CTL_DEL:
            events, data = struct.unpack(EPOLL_EVENT_GUEST, self.rd(event, 16))
            ev = struct.pack(EPOLL_EVENT_HOST, events, data)
        buf = ctypes.create_string_buffer(ev, 16) if ev else None
        return _c("epoll_ctl", ep.fd, s32(op), hfd, buf)

    def sys_epoll_pwait(self, epfd, events, maxevents, timeout, sigmask, sigsetsize, *_):
        t = s32(timeout)
        return self._epoll_wait("epoll_pwait", epfd, events, maxevents,
                                None if t < 0 else t / 1000, sigmask, sigsetsize)

    def sys_epoll_pwait2(self, epfd, events, maxevents, tmo, sigmask, sigsetsize, *_):
        return self._epoll_wait("epoll_pwait2", epfd, events, maxevents, self._timeout_arg(tmo),
                                sigmask, sigsetsize)

    def _epoll_wait(self, name, epfd, events, maxevents, seconds, sigmask, sigsetsize):
        ep = self._host_of_kind(epfd, "epoll")
        maxevents = s32(maxevents)
        if not 0 < maxevents <= 65536:
            return -errno.EINVAL
        size = struct.calcsize(EPOLL_EVENT_HOST)
        if not self.mem.is_mapped(events, 16 * maxevents, 2):
            return -errno.EFAULT
        mask = self._user_mask(sigmask, sigsetsize)

        me = self.cur                       # (attempt may run while another thread runs)

        def attempt():
            for mirror in self.epoll_mirrors:     # (a signalfd's readiness: notify.py)
                mirror.sync(me)
            buf = ctypes.create_string_buffer(size * maxevents)
            try:
                n = _c("epoll_wait", ep.fd, buf, maxevents, 0)
            except BlockingIOError:
                return None
            except GuestOSError as e:
                return -e.errno
            if n == 0:
                return None
            out = b"".join(struct.pack(EPOLL_EVENT_GUEST, *struct.unpack_from(EPOLL_EVENT_HOST, buf.raw,
                                                                              i * size))
                           for i in range(n))
            self.wr(events, out)
            return n

        deadline = None if seconds is None else time.monotonic() + seconds
        if mask is not None and len(self.threads) > 1:
            return self._epoll_wait_masked(name, mask, attempt, ep.fd, deadline)
        if mask is not None:
            self.begin_temporary_mask(mask)
            r = self.wait_host(name, attempt, [(ep.fd, select.POLLIN)], deadline, restart=False)
            self.end_temporary_mask(r == -errno.EINTR)
            return r
        return self.wait_host(name, attempt, [(ep.fd, select.POLLIN)], deadline, restart=False)

    def _epoll_wait_masked(self, name, mask, attempt, fd, deadline):
        """epoll_pwait with a temporary mask in a program with threads: the caller blocks with
        it and the others run (one may be the writer, or the sender of the signal the mask
        lets through); the mask ends once the caller runs again (threads.Later), or with the
        handler's frame when a signal ended the wait (signals.py)."""
        self.begin_temporary_mask(mask)
        if self.interrupting_signal():
            self.end_temporary_mask(True)
            return -errno.EINTR
        r = attempt()
        if r is not None or (deadline is not None and time.monotonic() >= deadline):
            self.end_temporary_mask(False)
            return 0 if r is None else r

        def later(res):
            def fn():
                self.end_temporary_mask(res == -errno.EINTR)
                return res
            return self.Later(fn)

        def poll():
            res = attempt()
            return None if res is None else later(res)
        return self.block(self.Wait(name, poll, deadline, timeout_result=lambda: later(0),
                                    host_fds=((fd, select.POLLIN),),
                                    interrupted=lambda: later(-errno.EINTR)))


def _sendmsg_fds(fd: int, data: bytes, flags: int, anc, dest: bytes | None) -> int:
    """sendmsg on the host with ancillary data ``anc`` (Net._ancillary_in)."""
    sock = socket.socket(fileno=os.dup(fd))
    try:
        if dest is not None:
            if struct.unpack_from("<H", dest)[0] != AF_UNIX:
                raise GuestOSError(errno.EINVAL)
            return sock.sendmsg([data], anc, flags, dest[2:].split(b"\0", 1)[0])
        return sock.sendmsg([data], anc, flags)
    except BlockingIOError:
        raise
    except OSError as e:
        raise GuestOSError(e.errno or errno.EIO) from None
    finally:
        sock.close()


def wrap_host_fd(h: int) -> HostFd:
    """A host descriptor from another process (received with SCM_RIGHTS, or left open by the
    caller of ``xld run``), as a guest file of its kind; the guest owns it from now on."""
    mode = os.fstat(h).st_mode
    flags = fcntl.fcntl(h, fcntl.F_GETFL)
    acc = flags & 3
    if stat.S_ISSOCK(mode):
        return Socket(h, _family(h))
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        try:
            name = os.readlink(f"/proc/self/fd/{h}")
        except OSError:
            name = ""
        return HostFile(h, name, acc, stat.S_ISDIR(mode), append=bool(flags & os.O_APPEND))
    return HostFd(h, acc in (0, 2), acc in (1, 2), "pipe")


def _family(h: int) -> int:
    """The address family of host socket ``h`` (SO_DOMAIN)."""
    sock = socket.socket(fileno=os.dup(h))
    try:
        return sock.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN)
    except OSError:
        return AF_UNIX
    finally:
        sock.close()


def select_ready(fd: int, events: int) -> bool:
    p = select.poll()
    p.register(fd, events)
    return bool(p.poll(0))




class _NoneYet:
    """True while nothing is done (``nothing()``): a sendmmsg or recvmmsg that a signal
    interrupts is restarted (SA_RESTART) only then; after a message (or part of one that
    sendmmsg sent) it returns its count."""

    def __init__(self, nothing):
        self.nothing = nothing

    def __bool__(self) -> bool:
        return self.nothing()


__all__ = ["Net", "Socket", "wrap_host_fd"]
