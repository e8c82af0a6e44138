"""The warm process: a per-user server that keeps xld imported, so a link does not pay start-up.

Why: a small link's own work is tens of milliseconds, but a fresh interpreter spends 100-150 ms
importing NumPy and xld before it starts (issue 17).  Every ``gcc`` invocation of a build, every
CMake ``try_compile``, pays that.  So the ``xld`` command, when it is about to link, first tries
to hand the job to a server of the same installation that has everything imported already:

    client (link/client.py)                    server (python -m xld.link.server)
    connect to the user's socket     ------>   accept; same uid? same code on disk?
    send argv, environment, umask,              a child (the spare, forked ahead) takes the
      rlimits; cwd, stdin/out/err as fds          client's cwd, fds, environment, umask,
    forward SIGINT/TERM/HUP/QUIT/USR1/2 ---->      limits, runs the link exactly as the
    exit with the child's status     <------      command would, says its status, and exits

The client is link/client.py: the ``xld`` command runs it before it imports anything else, and
the ld and binfmt_misc wrappers run it alone with ``python -I -S`` (no ``site``: ~10 ms).

A child per link keeps links apart: nothing one link does is seen by the next, as with a fresh
process.  The server forks it before the command comes (``Spare``: the fork and the copying of
the pages a link writes are then off the command's path), and the command ends when the child
says its status (``_finish``), not when it has exited.  The output is byte-identical (the
tests compare it).  When anything is off the command runs the link itself (the lean client
first ``exec``s the full command): no server yet (it starts one in the background for the next
link and links in-process), the socket is not ours, the server declines (its code, its
dependencies or the module search path changed on disk since it started: it exits; the
client's installation key or its limits differ from the server's), or ``XLD_SERVER=0``.

Safety: the socket lives in a directory only the user can enter (``$XDG_RUNTIME_DIR``, else
``/tmp/xld-UID``; checked: a real directory, owned by the user, mode 0700), the server checks the
peer's uid (SO_PEERCRED; and declines a peer whose group id or supplementary groups are not
its own: its child would work with the server's), and it serves only the installation that started it: the socket's
name is a checksum of the installation key (link/client.py: the interpreter, where ``xld`` is
imported from, and what shapes the module search path), which the request carries too.  A client
killed outright (SIGKILL) closes its socket, and the server kills the link's child.  The server
exits after ``XLD_SERVER_IDLE`` seconds (default 120) without a link.  See docs/options.md.
"""
from __future__ import annotations

import os
import struct
import sys
import time

from xld.link import client
from xld.link.client import FORWARDED_SIGNALS, LIMITS, PROTOCOL

MAX_REQUEST = 1 << 26           # bytes of argv+environment a request may carry
DEFAULT_IDLE = 120.0
BEGAN = b"+"                    # the first byte a command's process writes to its uses pipe
LOG: str | None = None          # XLD_SERVER_LOG of the server (a child appends its own line)
_watched = None                 # the server's Watch (its inotify descriptor is not a child's)


def installation_key() -> str:
    """The name of this installation's socket (see link/client.py: what it depends on)."""
    return client.key_name(client.this_process_key_text())


# --- the server -------------------------------------------------------------------------------

def _warm_up() -> None:
    """Import everything a link or a run may import, so that no child pays for it."""
    import importlib
    import pkgutil
    import xld.arch
    import xld.emu
    import xld.link
    for pkg in (xld.link, xld.arch, xld.emu):
        for info in pkgutil.iter_modules(pkg.__path__):
            if info.name not in ("__main__", "server", "pytest_plugin"):
                try:                # one that cannot be imported is imported by its user
                    importlib.import_module(f"{pkg.__name__}.{info.name}")
                except Exception:
                    pass
    # (numpy.ma: NumPy 2 imports it on the first np.unique, ~10 ms that every child paid)
    for name in ("uuid", "shlex", "traceback", "resource", "gc", "hashlib", "mmap", "ctypes",
                 "bisect", "fnmatch", "cpp_demangle", "tempfile", "numpy.ma"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    try:                            # each architecture's relocation type tables (made once)
        from xld.arch import backends
        for a in backends():
            a.type_columns
            a.type_numbers
    except Exception:
        pass
    try:                            # `xld run`'s parser, built once for every served run
        from xld.emu import cli as run_cli
        run_cli.warm_up()
    except Exception:
        pass


def _state(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)                      # absent: stale once it appears
    return (st.st_mtime_ns, st.st_size)


def _module_files() -> dict[str, tuple[int, int]]:
    """Every loaded module's file with its (mtime, size), and what decides the module search
    path (link/client.py's key cannot hold it): each directory on ``sys.path`` (a package
    installed or removed changes its mtime), the ``.pth`` files in them, the user's site
    directory and the virtual environment's ``pyvenv.cfg``.  If one changes, the server is
    stale."""
    seen = {}
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if f and f not in seen:
            state = _state(f)
            if state[0] >= 0:
                seen[f] = state
    places = [p for p in sys.path[1:] if p]
    try:
        import site
        if site.ENABLE_USER_SITE and site.USER_SITE:
            places.append(site.USER_SITE)
    except Exception:
        pass
    places.append(os.path.join(sys.prefix, "pyvenv.cfg"))
    for p in places:
        seen[p] = _state(p)
        try:
            names = os.listdir(p)
        except OSError:
            continue
        for name in names:
            if name.endswith(".pth"):
                f = os.path.join(p, name)
                seen[f] = _state(f)
    return seen


def stale(files: dict[str, tuple[int, int]]) -> bool:
    for f, state in files.items():
        if _state(f) != state:
            return True
    return False


# inotify(7): what a change to a file (its contents, its metadata, a name in its directory)
# reports on a watch of the directory, and a change to the directory itself
_IN_MASK = (0x2 | 0x4 | 0x8 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800)
# MODIFY ATTRIB CLOSE_WRITE MOVED_FROM MOVED_TO CREATE DELETE DELETE_SELF MOVE_SELF
# filesystems whose changes inotify sees, whoever makes them (not NFS, FUSE, 9p ...: a change
# made elsewhere is not reported there)
_LOCAL_FS = {0xEF53, 0x58465342, 0x9123683E, 0x01021994, 0x794C7630, 0xF2F52010, 0x2FC12FC1}
# ext2/3/4 xfs btrfs tmpfs overlayfs f2fs zfs


class Watch:
    """The files the server's staleness rests on (``_module_files``), watched: a command's
    check stats each of them (300-450 files: 0.8-1.4 ms on every command's path, while its
    process waits for the go) only after inotify reported a change in one of their
    directories since the last check.  After a report the watch is dropped (the checks stat
    everything again) until ``renew`` starts a fresh one between commands: of the
    directories as they are then (a path that is missing is watched through its nearest
    directory that exists), followed by a full check, so a change is either seen by that
    check or reported after it.  A watch is renewed at most every RENEW_AFTER seconds (a
    busy directory, such as the home directory a missing user site directory is watched
    through, reports often), and never again after one that took long (the kernel walks a
    watched directory's cached entries: 0.1 s for a /tmp with many).  Without inotify, or
    where a directory is on a filesystem it cannot vouch for, every check stats them all,
    as before."""

    RENEW_AFTER = 5.0
    RENEW_MAX = 0.02

    def __init__(self, files: dict[str, tuple[int, int]]):
        self.files = files
        self.fd = -1                    # none (yet, or dropped): checks stat every file
        self.next_renewal = 0.0         # (monotonic; inf: never)

    def stale(self) -> bool:
        """Whether a file changed (a command's check)."""
        if self.fd >= 0 and not self._events():
            return False
        self.close()
        return stale(self.files)

    def renew(self) -> None:
        """Between commands: start a watch if there is none (and may be), then check every
        file (one changed: the watch is dropped, and the next command's check finds it)."""
        now = time.monotonic()
        if self.fd < 0 and now >= self.next_renewal:
            try:
                self.fd = _inotify(self.files)
            except Exception:           # (no inotify, no ctypes: the full check each time)
                self.fd = -1
            took = time.monotonic() - now
            self.next_renewal = now + self.RENEW_AFTER if self.fd >= 0 and took < self.RENEW_MAX \
                else float("inf")
            if self.fd >= 0 and stale(self.files):
                self.close()

    def _events(self) -> bool:
        """Whether anything was reported since the last call (all of it read)."""
        seen = False
        while True:
            try:
                if not os.read(self.fd, 1 << 16):
                    break
            except BlockingIOError:
                break
            except OSError:             # (an overflowing queue reports an event, not this)
                os.close(self.fd)
                self.fd = -1
                return True
            seen = True
        return seen

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _inotify(files: dict[str, tuple[int, int]]) -> int:
    """An inotify descriptor watching the directory of each path (its nearest one that
    exists) and each path that is a directory, or -1 when one cannot be watched (on a
    filesystem not in _LOCAL_FS)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    dirs = set()
    for f in files:
        f = os.path.abspath(f)
        if os.path.isdir(f):
            dirs.add(f)
        d = os.path.dirname(f)
        while not os.path.isdir(d) and d != os.path.dirname(d):
            d = os.path.dirname(d)
        dirs.add(d)
    buf = ctypes.create_string_buffer(256)          # struct statfs: f_type first (a long)
    for d in dirs:
        if libc.statfs(os.fsencode(d), buf) != 0 or \
                int.from_bytes(buf.raw[:ctypes.sizeof(ctypes.c_long)], sys.byteorder) not in _LOCAL_FS:
            return -1
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        return -1
    for d in sorted(dirs):
        if libc.inotify_add_watch(fd, os.fsencode(d), _IN_MASK) < 0:
            os.close(fd)
            return -1
    return fd


class Request:
    def __init__(self, conn, fds: list[int], body: bytes):
        parts = body.split(b"\0")
        if parts[0] != PROTOCOL:
            raise ValueError("protocol")
        self.body = body
        self.conn = conn
        self.key = parts[1]                    # the installation the client stands for
        del parts[1]
        self.umask = int(parts[1])
        # `xld run`: the caller's descriptors past 0-2, their numbers there (client.passed_fds)
        self.passed = [int(n) for n in parts[2].split(b",")] if parts[2] else []
        del parts[2]
        if len(fds) != 4 + len(self.passed) or any(n <= 2 for n in self.passed):
            raise ValueError("descriptors")
        self.cwd, self.stdio, self.extra = fds[0], fds[1:4], fds[4:]
        n = int(parts[2])
        self.argv = [os.fsdecode(a) for a in parts[3:3 + n]]
        k = int(parts[3 + n])
        self.limits = {}
        for item in parts[4 + n:4 + n + k]:
            name, _, val = item.decode().partition("=")
            soft, hard = val.split(",")
            self.limits[name] = (int(soft), int(hard))
        self.env = {}
        for item in parts[4 + n + k:]:
            key, sep, val = item.partition(b"=")
            if sep:
                self.env[key] = val
        self.pid = 0
        self.pidfd = -1
        self.started = time.monotonic()        # when the request was read
        self.uses_r = self.uses_w = -1        # the child says which libraries it read, after
        self.uses = bytearray()               # "=" and its status when the client has that
        self.began = False                    # the child wrote BEGAN: it runs the command
        self.said_all = False                 # the child closed the pipe
        self.client_gone = False              # the client closed its connection
        self.done = False                     # both: the command is over (_ended)
        self.learn = False                    # the child says which pages it wrote (_prefault)
        self.ahead = None                     # learning on top of (runs, grow) copied ahead

    def limits_allowed(self) -> bool:
        """Whether the child can take the client's limits (it cannot raise a hard limit)."""
        import resource
        for name, (soft, hard) in self.limits.items():
            if name not in LIMITS:
                return False
            _, my_hard = resource.getrlimit(getattr(resource, name))
            if my_hard != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or hard > my_hard):
                return False
        return True

    def close_fds(self, keep_extra: bool = False) -> None:
        for fd in (self.cwd, *self.stdio, *([] if keep_extra else self.extra)):
            try:
                os.close(fd)
            except OSError:
                pass


REQUEST_TIMEOUT = 60.0          # seconds a client may take to send its whole request


class Incoming:
    """A connection whose request is still arriving, read as it comes in the server's loop: a
    client stopped half-way through sending (^Z, a debugger, a swapping machine) holds nobody
    else's command, only its own descriptor, until REQUEST_TIMEOUT."""

    def __init__(self, conn):
        conn.setblocking(False)
        self.conn = conn
        self.head = b""
        self.fds: list[int] = []
        self.chunks: list[bytes] = []
        self.got = 0
        self.length = -1
        self.deadline = time.monotonic() + REQUEST_TIMEOUT

    def read(self) -> Request | bool:
        """The request once it is all here; True while more is to come; False when it never
        will be a request (closed early, too long, malformed: the connection is to be closed)."""
        import socket
        try:
            while self.length < 0:
                fds_size = socket.CMSG_SPACE((4 + client.MAX_PASSED) * struct.calcsize("i"))
                data, anc, _flags, _addr = self.conn.recvmsg(8 - len(self.head), fds_size)
                for level, typ, raw in anc:
                    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                        self.fds.extend(struct.unpack(f"{len(raw) // 4}i", raw[:len(raw) // 4 * 4]))
                if not data:
                    return False
                self.head += data
                if len(self.head) == 8:
                    if not 4 <= len(self.fds) <= 4 + client.MAX_PASSED:
                        return False
                    (self.length,) = struct.unpack("<Q", self.head)
                    if self.length > MAX_REQUEST:
                        return False
            while self.got < self.length:
                chunk = self.conn.recv(min(1 << 20, self.length - self.got))
                if not chunk:
                    return False
                self.chunks.append(chunk)
                self.got += len(chunk)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False
        try:
            req = Request(self.conn, self.fds, b"".join(self.chunks))
        except (ValueError, IndexError, UnicodeDecodeError):
            return False
        self.fds = []                           # the request's now
        self.conn.setblocking(True)
        return req

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []
        self.conn.close()


def _child(req: Request, keep_closed: list[int], go: int) -> None:
    """In the forked child: become the client's process, wait for the server's go (``go``'s
    one byte: the client was told its command is taken) and run the command; never returns."""
    _hold_signals(True)
    failed = None
    try:
        _become(req, keep_closed, (go,))
    except BaseException as e:
        failed = e
    try:
        said = os.read(go, 1)
    except BaseException:
        said = b""
    if said != b"G":              # the server did not tell the client: nothing ran
        os._exit(0)
    os.close(go)
    _run(req, failed)


def _become(req: Request, keep_closed: list[int], keep_open: tuple[int, ...] = ()) -> None:
    """Take the client's working directory, stdin/stdout/stderr, environment, umask and
    limits (a spare does it before the server has checked its code on disk, and then waits:
    nothing of it is seen unless it runs the command; ``keep_open``: its connection to the
    server)."""
    import _signal                  # (signal's wrappers make an enum of each old handler:
    import gc                       # 0.2 ms of the command's path, 0.05 without them)
    import io
    import resource
    global _heap_start, _rss_start, _arena_start, _objects_start
    client.served = True
    for fd in keep_closed:
        try:
            os.close(fd)
        except OSError:
            pass
    _signal.signal(_signal.SIGINT, _signal.default_int_handler)
    for name in FORWARDED_SIGNALS[1:] + ("SIGCHLD",):      # SIGPIPE stays ignored, as Python has it
        _signal.signal(getattr(_signal, name), _signal.SIG_DFL)
    # the server's descriptors out of the command's way, before its limits are taken (a lower
    # hard limit leaves room above the soft one only now)
    import socket
    nofile = req.limits.get("RLIMIT_NOFILE", resource.getrlimit(resource.RLIMIT_NOFILE))[0]
    conn, req.uses_w = out_of_reach([req.conn.detach(), req.uses_w], nofile)
    req.conn = socket.socket(fileno=conn)
    if (_grown_ahead or _arena_pins) and (req.argv[:1] == ["run"] or any(
            req.limits.get(name, (resource.RLIM_INFINITY,))[0] != resource.RLIM_INFINITY
            for name in ("RLIMIT_AS", "RLIMIT_DATA"))):
        # the heap grown ahead goes back: a run's process would only hold it, and under a
        # limit on memory it would count against the command's own allocations (the object
        # arenas made ahead too: freed with their last objects)
        from xld.link import pages
        _arena_pins.clear()
        pages.trim_heap()
    for name, (soft, hard) in req.limits.items():
        resource.setrlimit(getattr(resource, name), (soft, hard))
    os.fchdir(req.cwd)
    for i, fd in enumerate(req.stdio):
        os.dup2(fd, i)
    req.close_fds(keep_extra=True)            # (placed by _run)
    if req.argv[:1] == ["run"]:
        # nor the descriptors of the libraries the server parsed ahead for links (a link uses
        # them: their mappings hold them); a run's own descriptors start at 3 as unserved
        _close_others({0, 1, 2, conn, req.uses_w, *keep_open, *req.extra})
    os.umask(req.umask)
    env = os.environb                 # (clear() takes its keys afresh for each one it drops)
    for key in list(env):
        del env[key]
    env.update(req.env)
    enc, errors = stdio_codec(req.env, sys.stdout.encoding or "utf-8")
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=enc, errors=errors)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding=enc,
                                  errors="surrogateescape",        # as cli.main sets it
                                  line_buffering=os.isatty(1))
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding=enc,
                                  errors="backslashreplace", line_buffering=True)
    sys.argv = ["xld", *req.argv]
    from xld.link import cli
    from xld.link import input as inp
    inp.recorded_inputs = []
    if req.learn and _is_link(req) and not _grown_ahead and _heap_regime(2 * _GROW_CHUNK):
        # (grown ahead: before that)
        _heap_start, _rss_start, _arena_start = heap_sizes()[0], _resident(), _arena()
        _objects_start = _object_arenas()[1]
    if _heap_start >= 0 and _is_link(req):     # learning: its input files' pages, pass by pass
        global _files_start, _files_most
        _files_start = _files_most = _resident_files()
        from xld.link import driver
        driver.after_pass = _sample_files
    if not req.argv or req.argv[0] not in cli.SUBCOMMANDS:
        # a link: the collector is off while it runs (cli.link_main), and would run after
        # it for nothing (0.6 ms: the libraries parsed ahead are the server's young objects)
        gc.disable()


def _place_passed(req: Request) -> None:
    """Put the caller's descriptors past 0-2 (``xld run``'s) at their numbers in the caller,
    inheritable, as a run the client executed would have them (the server's connection and
    pipe are out of reach by now, a spare's connection closed)."""
    import errno
    import fcntl
    if not req.extra:
        return
    if {req.conn.fileno(), req.uses_w} & set(req.passed):
        raise OSError(errno.EMFILE, "a descriptor passed is where the server's connection is "
                      "(at the RLIMIT_NOFILE soft limit): run it with XLD_SERVER=0")
    top = max(req.passed) + 1
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, top) for fd in req.extra]
    for fd in req.extra:
        os.close(fd)
    for fd, number in zip(moved, req.passed):
        os.dup2(fd, number)                   # (dup2's copy is inheritable)
        os.close(fd)
    req.extra = []


def _close_others(keep: set[int]) -> None:
    """Close every descriptor of this process but ``keep``: in a run's process, the ones it
    inherited from the server (nothing of the server's runs there: the mappings of the
    libraries parsed ahead that held some are never closed or freed before it exits)."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return
    for name in names:
        fd = int(name)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:           # (the listing's own descriptor, closed by now)
                pass


FD_CAP = 1 << 16        # out_of_reach goes no higher (a larger table is a cost of its own)


def out_of_reach(fds: list[int], nofile: int) -> list[int]:
    """Move the descriptors a command's process keeps for its server and client (the
    connection its status goes to, the pipe it says what it read in) where the command does
    not meet them, close-on-exec: at ``nofile``, the RLIMIT_NOFILE soft limit the command
    will run with, and above (this process's soft limit raised for the moment, as far as its
    hard one goes; the command's limits are taken after), else just below it.  So a served
    link or run sees the descriptor table of an unserved one: its first descriptor is 3, it
    runs out after as many, and a program it executes inherits none of them.  Returns the
    new descriptors, in order; the old ones are closed."""
    import fcntl
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    n = len(fds)
    raise_to = None
    if nofile == resource.RLIM_INFINITY or nofile > FD_CAP:
        nofile = FD_CAP
    if nofile + n <= soft:
        base = nofile
    elif hard == resource.RLIM_INFINITY or nofile + n <= hard:
        base, raise_to = nofile, nofile + n
    else:
        base = max(3, nofile - n)
    moved = []
    try:
        if raise_to is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raise_to, hard))
        for fd in fds:
            try:
                moved.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, base))
            except OSError:           # no room up there: it stays, not inherited at least
                os.set_inheritable(fd, False)
                moved.append(fd)
    finally:
        if raise_to is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    for fd, new in zip(fds, moved):
        if new != fd:
            os.close(fd)
    return moved


def _hold_signals(hold: bool) -> None:
    """Block (or unblock) the signals a client forwards, in a child from before it takes the
    command's handlers (_become) until it runs the command (_run).  The server forwards them
    once it has told a spare to go, so one can be there as the spare's wait for its go
    returns: taken there, a SIGINT's KeyboardInterrupt was taken for the server's going away
    (the process ended with 0, having run nothing), or escaped into the server's own code."""
    import _signal
    numbers = [getattr(_signal, name) for name in FORWARDED_SIGNALS]
    _signal.pthread_sigmask(_signal.SIG_BLOCK if hold else _signal.SIG_UNBLOCK, numbers)


def _run(req: Request, failed: BaseException | None = None) -> None:
    """Run the command (or report ``failed``, what went wrong as the process took the
    client's place), say its status and exit; never returns."""
    import gc
    status = 1
    me = os.getpid()
    # the server reports a process that ends without this as one that never ran its command
    # (not with the status it ended with: a spare handed a truncated command ends with 0)
    _write_all(req.uses_w, BEGAN)
    try:
        _hold_signals(False)          # (one held since _become is taken here)
        if failed is not None:
            raise failed
        _place_passed(req)
        from xld.link import cli
        status = cli.main(req.argv, own_process=True)
    except SystemExit as e:
        status = exit_status(e)
    except KeyboardInterrupt:         # before the command took it: as it reports one
        status = 130                  # (`xld run`: 130; a link: link_main's message and 1)
        if not req.argv or req.argv[0] != "run":
            try:
                os.write(2, b"xld: error: interrupted\n")
            except OSError:
                pass
            status = 1
    except BaseException as e:                        # never a traceback from the server
        try:
            os.write(2, f"xld: error: internal error: {type(e).__name__}: {e}\n".encode())
        except OSError:
            pass
        status = 1
    finally:
        if os.getpid() == me:         # (not a process the command forked, such as a guest's)
            try:
                gc.disable()
                _finish(req, status & 0xFF)
            except BaseException:
                pass
        os._exit(status & 0xFF)


def _finish(req: Request, status: int) -> None:
    """The command is done: tell the client its status now, and the server what the link read
    after that.  The client ends on ``s``: it does not wait for this process's exit (tearing
    down a copy of the server's address space takes 5-10 ms).  So from here on the process is
    only a status: no signal can change it (they are blocked; SIGKILL aside), its copies of the
    client's stdin/stdout/stderr are closed first (a reader of the command's output sees its
    end with the command's), and the server learns from the ``=`` written to the uses pipe
    before the ``s`` that a client closing its socket now has its status (it kills the
    process of a client that went away before)."""
    import _signal                    # (signal's wrappers make a Signals enum of each number)
    for name in FORWARDED_SIGNALS:
        _signal.signal(getattr(_signal, name), _signal.SIG_IGN)
    _signal.pthread_sigmask(_signal.SIG_BLOCK, _signal.valid_signals())
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:             # a closed or broken pipe: the command's own exit would
            pass                      # not report it either
    for fd in (0, 1, 2):
        try:
            os.close(fd)
        except OSError:
            pass
    from xld.link import input as inp
    if LOG:                   # the line is in the log when the command has ended
        import resource
        ru = resource.getrusage(resource.RUSAGE_SELF)
        _log_served(req, status, inp.warm_hits, ru.ru_utime + ru.ru_stime)
    _write_all(req.uses_w, b"=" + bytes([status]))
    try:                      # the status, from the process itself: the client has it even if
        os.write(req.conn.fileno(), b"s" + struct.pack("<i", status))    # the server is gone
    except OSError:
        pass
    _step_aside()
    _tell_uses(req.uses_w, inp.warm_hits, inp.library_uses(), _costs())
    if req.learn and status == 0 and _is_link(req) and (_ready_at or not _copied_ahead):
        # (on top of pages copied ahead: only if that was done before the command came; its
        # heap's growth would count what was not grown ahead yet)
        grew = _grown() if _heap_start >= 0 else 0
        pooled = _objects_ahead() if _heap_start >= 0 and _objects_start >= 0 else 0
        _write_all(req.uses_w, b"%x,%x;" % (grew, max(pooled, 0) >> 20) + _written_pages(_spare_pages))   # (2-3 ms)
    os.close(req.uses_w)              # the server takes it from here, as this process exits


def _step_aside() -> None:
    """After its status: what the command's process does from here (tell the server what it
    read, and exit: tearing down its copy of the server's address space, 2-4 ms of CPU for a
    small link) is for no one waiting, so it takes a CPU only when nothing else wants one
    (SCHED_IDLE: a task that wakes takes the CPU from it at once).  On two CPUs that teardown
    took one from what the client's end wakes (collect2 and gcc exiting, a build's next
    step), and the server forks the next spare once this process has said all
    (_room_for_spare), which is now when a CPU is otherwise free.  A process resident beyond
    ASIDE_MAX does not: starved on a busy machine, it would hold that memory for seconds.
    Only a process that is done asks for it."""
    if _resident() > ASIDE_MAX:
        return
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        pass


ASIDE_MAX = 256 << 20             # bytes resident at most for a command's process to step aside


def shape(argv: list[str]) -> int:
    """Which command this is, for what a spare learns (its words but the names of what it
    writes: the output, and the LTO resolution file gcc names afresh for each link, a
    temporary ``-plugin-opt=-fresolution=/tmp/ccXXXXXX.res``: with it no two links through
    gcc had the same shape, so every one was unlike the one learnt from)."""
    words = list(argv)
    for i, w in enumerate(words):
        if w == "-o" and i + 1 < len(words):
            words[i + 1] = ""
        elif w.startswith("-o") or w.startswith("--output="):
            words[i] = "-o"
        elif w.startswith(_RESOLUTION):
            words[i] = _RESOLUTION
    return hash(tuple(words))


_RESOLUTION = "-plugin-opt=-fresolution="


def _is_link(req: Request) -> bool:
    """Whether the command is a link (what the pages and the heap are learnt from)."""
    return bool(req.argv) and req.argv[0] not in client.NOT_SERVED + ("run",)


def _log_served(req: Request, status: int, hits, cpu: float) -> None:
    wall = (time.monotonic() - req.started) * 1000
    more = ""
    if _ready_usage is not None:      # (a spare's line: what its command cost from the moment
        import resource               # it came, which no wall time on a busy machine shows)
        ru = resource.getrusage(resource.RUSAGE_SELF)
        ready = (req.started - _ready_at) * 1000 if _ready_at else -1.0
        more = (f" command_cpu={(ru.ru_utime + ru.ru_stime - _ready_usage.ru_utime - _ready_usage.ru_stime) * 1000:.1f}ms"
                f" faults={ru.ru_minflt - _ready_usage.ru_minflt}/{ru.ru_majflt - _ready_usage.ru_majflt}"
                f" switches={ru.ru_nvcsw - _ready_usage.ru_nvcsw}/{ru.ru_nivcsw - _ready_usage.ru_nivcsw}"
                f" ready={ready:.1f}ms learn={('more' if _copied_ahead else 'fresh') if req.learn else 'no'}"
                f" peak={ru.ru_maxrss >> 10}MiB ahead={_ready_prep}")
    _log(LOG, f"served pid={req.pid or os.getpid()} status={status} warm={hits} wall={wall:.1f}ms "
              f"cpu={cpu * 1000:.1f}ms{more} argv={req.argv!r}")


def stdio_codec(env: dict, server_encoding: str) -> tuple[str, str]:
    """The encoding and error handler of stdin that the full command would have in the
    client's environment.  Python's rule: ``surrogateescape`` in the C and POSIX locales and in
    the ones it coerces them to (C.UTF-8, C.utf8, UTF-8; a fresh interpreter started in the C
    locale sets LC_CTYPE=C.UTF-8 for its children), or with PYTHONUTF8=1; ``strict`` otherwise.
    So bytes of a path that are not UTF-8 print as a fresh process prints them."""
    def get(name: str) -> str:
        return env.get(name.encode(), b"").decode("latin-1")
    ctype = get("LC_ALL") or get("LC_CTYPE") or get("LANG") or "C"
    if ctype in ("C", "POSIX", "C.UTF-8", "C.utf8", "UTF-8") or get("PYTHONUTF8") == "1" \
            or sys.flags.utf8_mode:
        return "utf-8", "surrogateescape"
    return server_encoding, "strict"


def exit_status(e: SystemExit) -> int:
    """The status a process ends with on ``SystemExit`` (as Python's own exit: None is 0, a
    message is printed and 1)."""
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    try:
        sys.stderr.write(f"{e.code}\n")
        sys.stderr.flush()
    except Exception:
        pass
    return 1


def _tell_uses(fd: int, hits: int, uses: list[tuple[str, list[int]]],
               costs: tuple[int, int] = (0, 0)) -> None:
    """Tell the server which libraries (and members) this link read, for it to parse ahead,
    how many it found parsed already, and ``costs`` (_costs)."""
    try:
        cwd = os.getcwd()
    except OSError:               # a working directory that was removed: its relative paths
        cwd, uses = "", []        # name nothing
    parts = [b"%d,%d,%d" % (hits, *costs), os.fsencode(cwd)]
    for path, members in uses:
        parts += [os.fsencode(path), ",".join(map(str, members)).encode()]
    data = b"\0".join(parts)
    _write_all(fd, struct.pack("<I", len(data)) + data)


def _costs() -> tuple[int, int]:
    """In a command's process, after its command: the CPU time its spare took to prepare
    (the fork's faults, the pages copied ahead, the heap grown ahead) and the CPU time of the
    command since it came, in microseconds; (0, 0) in a child forked for the command."""
    if _ready_usage is None:
        return 0, 0
    import resource
    ru = resource.getrusage(resource.RUSAGE_SELF)
    prep = _ready_usage.ru_utime + _ready_usage.ru_stime
    return int(prep * 1e6), int((ru.ru_utime + ru.ru_stime - prep) * 1e6)


def _parse_costs(uses: bytes) -> tuple[int, int]:
    """The costs a command's process told (_tell_uses), (0, 0) if none."""
    fields = uses.split(b"\0", 1)[0].split(b",")
    try:
        return (int(fields[1]), int(fields[2])) if len(fields) == 3 else (0, 0)
    except ValueError:
        return 0, 0


MADV_POPULATE_WRITE = 23          # Linux 5.14: fault pages in writable, as a write would
PREFAULT_MAX = 1 << 25            # bytes a spare copies ahead at most


def _written_pages(before=None) -> bytes:
    """The pages of this process's private writable memory that are its own now (a copy of
    the server's page it wrote, or a new one), less those it had ``before`` (_own_pages, with
    the mappings it had then): the ones the next command will most likely write too, where
    a spare has them (fresh memory beyond: _pregrow's).  ``START:COUNT`` runs of page
    numbers, in hex; empty without /proc."""
    import numpy as np
    pages = _own_pages()
    if before is not None:
        before, maps = before
        pages = np.setdiff1d(pages, before, assume_unique=True)
        if maps.size:          # within the mappings it had (the runs' cap counts each page)
            i = np.searchsorted(maps[:, 0], pages, side="right") - 1
            pages = pages[(i >= 0) & (pages < maps[np.maximum(i, 0), 1])]
    if not pages.size:
        return b""
    cut = np.flatnonzero(np.diff(pages) != 1) + 1
    starts = pages[np.concatenate(([0], cut))]
    ends = pages[np.concatenate((cut - 1, [pages.size - 1]))] + 1
    return ",".join(f"{a:x}:{n:x}" for a, n in zip(starts.tolist(), (ends - starts).tolist())).encode()


def _own_pages(with_maps: bool = False):
    """The numbers of the pages of this process's private writable memory that are present
    and mapped by it alone (/proc/self/pagemap), in order; none without /proc.  With
    ``with_maps``: (those, the mappings looked at as (first page, end page) rows in order)."""
    import numpy as np
    size = os.sysconf("SC_PAGESIZE")
    firsts, counts, chunks = [], [], []
    none = np.zeros(0, dtype=np.int64)
    try:
        with open("/proc/self/maps", "rb") as f:
            maps = f.read().splitlines()
        fd = os.open("/proc/self/pagemap", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return (none, none.reshape(0, 2)) if with_maps else none
    try:
        for line in maps:
            fields = line.split()
            if len(fields) < 2 or fields[1] != b"rw-p":
                continue
            lo, hi = (int(x, 16) // size for x in fields[0].split(b"-"))
            if (hi - lo) * size > 4 * PREFAULT_MAX:         # not the server's heap: a link's own
                continue
            chunks.append(os.pread(fd, (hi - lo) * 8, lo * 8))
            firsts.append(lo)
            counts.append(len(chunks[-1]) // 8)
    except (OSError, ValueError):
        chunks = []
    finally:
        os.close(fd)
    if not chunks:
        return (none, none.reshape(0, 2)) if with_maps else none
    v = np.frombuffer(b"".join(chunks), dtype=np.uint64)
    counts = np.array(counts, dtype=np.int64)
    firsts = np.array(firsts, dtype=np.int64)
    base = np.repeat(firsts - (np.cumsum(counts) - counts), counts)
    mine = np.flatnonzero((v >> np.uint64(63)) & (v >> np.uint64(56)) & np.uint64(1))
    pages = base[mine] + mine
    return (pages, np.stack([firsts, firsts + counts], axis=1)) if with_maps else pages


def _parse_runs(text: bytes) -> list[tuple[int, int]]:
    try:
        return [tuple(int(x, 16) for x in run.split(b":")) for run in text.split(b",") if run]
    except ValueError:
        return []


def _prefault(runs: list[tuple[int, int]], ctl) -> None:
    """In a spare: copy ahead the pages a command wrote last time (``runs``), where this
    process has private writable memory, so that the command does not stop on each (a fault
    and a copy: 3-5 us a page, 1,500-2,000 pages for a small link).  Stops when a command
    comes (``_Steps``).  MADV_POPULATE_WRITE changes no byte; on a kernel without it nothing
    is done."""
    import ctypes
    size = os.sysconf("SC_PAGESIZE")
    try:
        with open("/proc/self/maps", "rb") as f:
            maps = []
            for line in f.read().splitlines():
                fields = line.split()
                if len(fields) >= 2 and fields[1] == b"rw-p":
                    lo, hi = (int(x, 16) // size for x in fields[0].split(b"-"))
                    maps.append((lo, hi))
        madvise = ctypes.CDLL(None, use_errno=True).madvise
        madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    except (OSError, AttributeError):
        return
    import bisect
    starts = [lo for lo, _ in maps]
    budget = PREFAULT_MAX // size
    steps = _Steps(ctl)
    for first, count in runs:
        j = bisect.bisect_right(starts, first) - 1
        if j < 0:
            continue
        lo, hi = maps[j]
        end = min(first + count, hi)
        if end <= first or budget <= 0:
            continue
        end = min(end, first + budget)
        budget -= end - first
        for a in range(first, end, PREPARE_STEP):
            if steps.came():
                return                              # a command came: it goes first
            n = min(end - a, PREPARE_STEP)
            if madvise(a * size, n * size, MADV_POPULATE_WRITE) != 0 and ctypes.get_errno() == 22:
                return                              # EINVAL: a kernel without it
            steps.done(n)


PREPARE_STEP = 128                # pages a spare copies ahead or grows between looks for a command


class _Steps:
    """A spare's look for a command while it copies pages ahead and grows its heap: every
    PREPARE_STEP pages (0.4-0.6 ms here), and before the first.  Once per run of pages and
    per 16 MiB of heap, a command that came while one long run or one block was populated
    waited for it: 1-11 ms of a riscv64 dynamic hello's wall when it came one link after the
    last, its spare growing 31 MiB of heap and copying 5,100 pages ahead as learnt from the
    C++ program's links before it."""

    def __init__(self, ctl):
        self.ctl = ctl
        self.since = PREPARE_STEP

    def done(self, pages: int) -> None:
        self.since += pages

    def came(self) -> bool:
        """Whether a command is there (looked at only once a step's pages are done)."""
        if self.since < PREPARE_STEP:
            return False
        self.since = 0
        return bool(_readable([self.ctl], 0))


def _readable(ends: list, timeout: float | None) -> list:
    """Those of ``ends`` (descriptors or objects with ``fileno``) with something to read or
    hung up, within ``timeout`` seconds (None: until one is).  poll(2), not select(2): select
    refuses a descriptor past 1023, which a process with many open files (a test runner, the
    in-process API's caller) gives out."""
    import select
    poller = select.poll()
    for end in ends:
        poller.register(end, select.POLLIN)
    ready = {fd for fd, _ in poller.poll(None if timeout is None else int(timeout * 1000))}
    return [end for end in ends if (end if isinstance(end, int) else end.fileno()) in ready]


PREGROW_MIN = 1 << 20             # a link that took less fresh memory: no heap grown ahead
PREGROW_MAX = 1 << 27             # bytes of heap a spare grows ahead at most (held while idle)
RELEARN_GROW = 32 << 20           # learnt from a command that grew the heap this much: learn
#                                   again after a command unlike it (Spare.start)
RELEARN_EVERY = 10                # commands at least from one learning afresh to one for a
#                                   spare that took longer to prepare than its command ran
BESIDE_MIN = 64 << 20             # a link whose peak grew less: the heap grown ahead is not
#                                   bounded by its growth beside the heap (_grown)
_GROW_CHUNK = 16 << 20            # (below glibc's largest mmap threshold: from the heap)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3       # mallopt's parameters (glibc)
_grown_ahead = False    # in a spare: _pregrow grew the heap
_heap_start = -1        # in a learning command's process: the C heap's size as it began,
_rss_start = 0          # and its resident memory,
_files_start = 0        # its resident pages of files as it began,
_files_most = 0         # and the most of them after a pass (_sample_files),
_arena_start = -1       # the C heap's size as its resident memory was taken (_arena),
_beside_most = 0        # and the most of its resident growth beside the heap after a pass
_objects_start = -1     # the bytes of CPython's object pools in use as it began (_object_arenas),
_objects_passes: list = []  # and after each pass its resident memory and those bytes, where
                        # the arenas made ahead could raise its peak (_sample_files),
_resident_most = 0      # the most resident memory after a pass
_arena_pins: list = []  # in a spare: an object in each arena made ahead (_arenas_ahead)


def _resident() -> int:
    """This process's resident memory now, in bytes (0 without /proc)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGESIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _resident_files() -> int:
    """This process's resident pages of files (and shared memory) now, in bytes (0 without
    /proc): a link's inputs it has mapped and read."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[2]) * os.sysconf("SC_PAGESIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _sample_files(_name: str) -> None:
    """In a learning command's process, after each pass (driver.after_pass): the most of
    its input files' pages resident at once so far, and the most of its resident memory's
    growth that is not the C heap's (the inputs' pages, CPython's own arenas, arrays mapped
    on their own: what a heap grown ahead would be resident beside)."""
    global _files_most, _beside_most, _resident_most
    try:
        with open("/proc/self/statm", "rb") as f:
            resident, files = (int(x) * os.sysconf("SC_PAGESIZE") for x in f.read().split()[1:3])
    except (OSError, ValueError):
        return
    _files_most = max(_files_most, files)
    _resident_most = max(_resident_most, resident)
    if _objects_start >= 0 and _resident_most - resident < _objects_room():
        # (a pass further below the most than the room the passes so far leave cannot be
        # the one that bounds it: its objects' bytes are not asked, 0.36 ms each)
        _, pooled, free, _ = _object_arenas()
        _objects_passes.append((resident, pooled, free))
    if _arena_start >= 0:
        _beside_most = max(_beside_most, resident - _rss_start - (_arena() - _arena_start))


def _objects_room() -> int:
    """The room the passes sampled so far leave below the most resident memory so far (as
    _objects_ahead, without what the arenas made ahead hold)."""
    if not _objects_passes:
        return ARENAS_AHEAD_MAX << 20
    return min(_resident_most - resident + pooled for resident, pooled, _ in _objects_passes) - _objects_start


def _objects_ahead() -> int:
    """In a learning command's process, after it: how many bytes of CPython's object arenas
    the next spares may make ahead (_arenas_ahead) without raising such a command's peak
    resident memory.  The arenas made ahead are resident from its start to its end, while its
    own objects come and go: in a pass with fewer objects than the arenas hold, they are
    resident beside that pass's memory.  So: the least, over its passes, of what the pass's
    objects took plus how far the pass's resident memory stayed below the most.  (Taking the
    objects of the pass where resident memory was the most alone, as before, read 100 MiB
    peaks as 111-112 in some runs of arm64 400x50: there the pass that writes the output,
    with few objects, came within a few MiB of the peak of the passes that read.)"""
    if not _objects_passes:
        return 0
    # a command that had arenas made ahead itself (learning on top of what was copied ahead):
    # its passes' resident memory as without them, less the part of the arenas no object took
    # (else the pass they raised would say there is no room, and the next learning the
    # opposite, one in ten commands each)
    ahead = bool(_arena_pins)
    alone = [(resident - free if ahead else resident, pooled) for resident, pooled, free in _objects_passes]
    most = max(resident for resident, _ in alone)
    return min(most - resident + pooled for resident, pooled in alone) - _objects_start


def _arena() -> int:
    """The C heap's size now, in bytes: glibc's mallinfo2, its arenas' memory from the system
    (what heap_sizes reads, without malloc_info's text); -1 where that cannot be asked."""
    global _mallinfo
    if _mallinfo is None:
        import ctypes

        class Info(ctypes.Structure):
            _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                                       "usmblks", "fsmblks", "uordblks", "fordblks",
                                                       "keepcost")]
        try:
            _mallinfo = ctypes.CDLL(None).mallinfo2
            _mallinfo.restype = Info
        except (OSError, AttributeError):
            _mallinfo = False
    return int(_mallinfo().arena) if _mallinfo else -1


_mallinfo = None


def _grown() -> int:
    """In a learning command's process, after it: how much heap the next ones may find grown
    ahead.  Half as much as its peak resident memory grew, at most as much as its heap grew
    (measured to leave the peak where it was when a link's input pages stayed resident to its
    end: riscv64 400x50's heap grew 194 MiB, the peak 230, and 112 MiB grown ahead left the
    peak at 261-263 MiB against 261; 144 raised it by 17, 194 by 65), and at most its peak's
    growth less the most of its input files' pages resident after a pass: the heap grown
    ahead is resident from the start, and the inputs' pages come on top of it before the link
    has used it (its read+resolve maps them, ~100 MiB at riscv64 400x50; later passes give them
    back as the heap fills); and, where the peak grew by BESIDE_MIN or more, at most the peak's
    growth less the most of its growth beside the heap after a pass (the inputs' pages, and
    CPython's objects, which take arenas of their own): the heap grown by the inputs' bound
    alone raised riscv64 400x50's served peak 205 -> 218 MiB, and its 13 MiB more saved no
    page fault.  A small link's peak is no budget's, and its page faults are its wall time
    (a static hello's heap grown ahead would be 13 -> 9 MiB: ~150 faults more)."""
    import resource
    heap = heap_sizes()[1] - _heap_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - _rss_start
    files = max(_files_most - _files_start, 0)
    if peak >= BESIDE_MIN:
        files = max(files, _beside_most)
    return max(min(heap, peak // 2, peak - files), 0) if _rss_start else 0


def heap_sizes() -> tuple[int, int]:
    """The C heap's size now and at its largest so far, in bytes (glibc's malloc_info: the
    memory its arenas took from the system, not counting chunks mapped on their own);
    (-1, -1) where that cannot be asked."""
    import ctypes
    import re
    try:
        libc = ctypes.CDLL(None)
        info, memstream, fclose, free = libc.malloc_info, libc.open_memstream, libc.fclose, libc.free
    except (OSError, AttributeError):
        return -1, -1
    memstream.restype = ctypes.c_void_p
    info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    fclose.argtypes = free.argtypes = [ctypes.c_void_p]
    buf, size = ctypes.c_char_p(), ctypes.c_size_t()
    f = memstream(ctypes.byref(buf), ctypes.byref(size))
    if not f:
        return -1, -1
    try:
        info(0, f)
    finally:
        fclose(f)
    text = ctypes.string_at(buf, size.value)
    free(buf)
    # (every arena's, then the totals: the last of each)
    cur = re.findall(rb'<system type="current" size="(\d+)"/>', text)
    top = re.findall(rb'<system type="max" size="(\d+)"/>', text)
    if not cur or not top:
        return -1, -1
    return int(cur[-1]), int(top[-1])


def _heap_regime(trim: int) -> bool:
    """Arrays below 32 MiB from the C heap (glibc's largest mmap threshold; larger ones are
    mapped on their own), and free memory at its top kept up to ``trim`` bytes: the regime of
    a spare that grows the heap ahead, and of the learning command that measures how far."""
    import ctypes
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, 2 * _GROW_CHUNK)) and bool(mallopt(_M_TRIM_THRESHOLD, trim))


def _parse_learnt(text: bytes) -> tuple[int, list[tuple[int, int]], int]:
    """A learning command's report: (the fresh memory it took, the runs of pages it wrote,
    the MiB its Python objects took)."""
    grew, sep, runs = text.partition(b";")
    if not sep:
        return 0, [], 0
    grew, _, objects = grew.partition(b",")
    try:
        return int(grew, 16), _parse_runs(runs), int(objects or b"0", 16)
    except ValueError:
        return 0, [], 0


def _pregrow(nbytes: int, ctl) -> None:
    """In a spare: grow the C heap ahead by ``nbytes`` of fresh pages, faulted in
    (MADV_POPULATE_WRITE, or written) and freed again, so that the command's arrays take them
    without a page fault each.  A served link's process is new, and every page of its own
    memory costs it a fault the first time (3-5 us here): riscv64 400x50 took ~50,000, a
    sixth of its passes' CPU.  Freed, the pages stay in the heap (_heap_regime: the trim
    threshold is that size).  ``nbytes`` is what the last learning command found (_grown),
    so the command's peak resident memory stays where it was.  Stops when a command comes;
    with another C library than glibc, nothing is done."""
    import ctypes
    nbytes = min(nbytes, PREGROW_MAX)
    if nbytes < PREGROW_MIN:
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        malloc, free, madvise = libc.malloc, libc.free, libc.madvise
    except (OSError, AttributeError):
        return
    malloc.restype = ctypes.c_void_p
    malloc.argtypes = [ctypes.c_size_t]
    free.argtypes = [ctypes.c_void_p]
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    if not _heap_regime(nbytes + 2 * _GROW_CHUNK):     # (what is grown, and the top it joins)
        return
    global _grown_ahead
    _grown_ahead = True
    size = os.sysconf("SC_PAGESIZE")
    step = PREPARE_STEP * size
    steps = _Steps(ctl)
    blocks = []
    try:
        left = nbytes
        while left > 0 and not steps.came():        # (a command came: it goes first)
            n = min(left, _GROW_CHUNK)
            p = malloc(n)
            if not p:
                break
            blocks.append(p)
            left -= n
            a, z = -(-p // size) * size, (p + n) // size * size
            while a < z:
                k = min(z - a, step)
                if madvise(a, k, MADV_POPULATE_WRITE) != 0:
                    ctypes.memset(a, 0, k)          # (a kernel without it: written)
                a += k
                steps.done(k // size)
                if a < z and steps.came():
                    left = 0
                    break
    finally:
        for p in reversed(blocks):
            free(p)


def _arenas_ahead(mib: int, ctl) -> None:
    """In a spare: make arenas of CPython's object allocator ahead, their pages written, so
    that the command's Python objects take them without a page fault each (a fresh arena is
    1 MiB of fresh pages; a served arm64 400x50 link made 12-15 of them, and 1200x50 ~45,
    some given back and made again: each page a fault, 3-5 us here).  As many MiB as the last
    learning command's objects can take without raising its peak (``mib``: _objects_ahead,
    the least over its passes of their objects' pools in use plus how far below the peak the
    pass stayed), less what the arenas this process has can still hold, less
    ARENAS_SLACK, at most ARENAS_AHEAD_MAX (one more where the last batch of objects, a little
    more than an arena holds, opens another): with all of them its peak resident memory rose by
    3-4 MiB (the arenas made ahead are resident whole), with 3 fewer it stayed.  CPython gives
    an arena back when its last object is freed: the arenas are filled with small objects
    which are then freed but for the first in each arena (``_arena_pins``); the rest of the
    arena, free pools of resident pages, takes objects of any size.  Stops when a command
    comes."""
    start, _, free, size = _object_arenas() if mib > 0 else (-1, 0, 0, 0)
    if start < 0:
        return
    n = min((mib << 20) // size - free // size - ARENAS_SLACK, ARENAS_AHEAD_MAX)
    fill = size // 512                      # objects of the largest size it serves, an arena's
    made = []
    while 0 <= _object_arenas()[0] - start < n and not _readable([ctl], 0):
        made.extend([bytes(479) for _ in range(fill)])      # (33 + 479 bytes each)
    # (an arena's pools are carved from its start up, one after the other: the first object of
    # a run of ARENA_RUN pools or more, each following the last, is the first of an arena made
    # here, and is kept.  The objects first take the free pools older arenas have, scattered:
    # keeping one in each of those, as before, kept 478 pools of this size in use for ~40
    # arenas after the 1200x50 links, ~7.5 MiB no other size could take; their arenas live on
    # without it)
    pool, first, run = -2, None, 0
    for obj in made + [None]:
        at = id(obj) >> 14 if obj is not None else -2
        if at - pool == 1:
            run += 1
        elif at != pool:
            if run >= ARENA_RUN:
                _arena_pins.append(first)
            first, run = obj, 1
        pool = at


ARENAS_AHEAD_MAX = 64     # CPython object arenas a spare makes ahead at most
ARENAS_SLACK = 3          # arenas fewer than the learning link's objects took (_arenas_ahead)
ARENA_RUN = 8             # pools one after the other that show an arena made ahead (of 64)


def _object_arenas() -> tuple[int, int, int, int]:
    """CPython's object allocator now, from its debug statistics (~0.3 ms): its arenas, the
    bytes of their pools in use and of the rest of them, and an arena's size; (-1, -1, -1,
    -1) where that cannot be asked."""
    import re
    try:
        fd = os.memfd_create("xld-arenas", os.MFD_CLOEXEC)
    except (AttributeError, OSError):
        return -1, -1, -1, -1
    saved = -1
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(fd, 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
        text = os.pread(fd, 1 << 16, 0)
    except (AttributeError, OSError, ValueError):
        return -1, -1, -1, -1
    finally:
        if saved >= 0:
            os.close(saved)
        os.close(fd)
    # (pools in use: their blocks, allocated and free, their headers and quantization)
    fields = {k: int(v.replace(b",", b"")) for k, v in re.findall(rb"# ([a-z ]+?)\s*=\s*([\d,]+)", text)}
    pooled = [fields.get(b"bytes " + k) for k in (b"in allocated blocks", b"in available blocks",
                                                 b"lost to pool headers", b"lost to quantization")]
    arenas, lost = fields.get(b"arenas allocated current"), fields.get(b"bytes lost to arena alignment")
    size = re.search(rb"arenas \* (\d+) bytes/arena", text)
    if arenas is None or lost is None or None in pooled or size is None:
        return -1, -1, -1, -1
    size = int(size.group(1))
    return arenas, sum(pooled), arenas * size - lost - sum(pooled), size


def _write_all(fd: int, data: bytes) -> None:
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:
        pass


def _warm_libraries(data: bytes) -> None:
    """Parse the libraries a link used, for the next links (link/input.py keeps them), having
    dropped those the last links did not read (``forget_unread``): the parse reuses their
    memory, and the next spare does not inherit it."""
    from xld.link import input as inp
    parts = data.split(b"\0")[1:]
    cwd = os.fsdecode(parts[0])
    uses = []
    for i in range(1, len(parts) - 1, 2):
        try:
            uses.append((os.fsdecode(parts[i]), [int(x) for x in parts[i + 1].split(b",") if x]))
        except ValueError:
            continue
    if not uses:                         # (a command that read no library: `xld run`)
        return
    if forget_unread({inp.warm_key(path, cwd) for path, _ in uses}):
        import gc
        from xld.link import pages
        # (CPython's attribute cache holds names looked up while the dropped libraries filled
        # its arenas: 3 of 7 arenas kept after arm64 libc.a's 1,200 members were dropped)
        sys._clear_type_cache()
        gc.collect()                     # (an archive and its member index refer to each other)
        pages.trim_heap()
    for path, members in uses:
        try:
            warm_up_library(path, cwd, members)
        except Exception:                # a library that does not parse: the link said so
            continue


def warm_up_library(path: str, cwd: str, members: list[int]) -> None:
    """Parse a library (and those of its members) ahead of the next link (``input.warm_up_library``
    keeps it), each object prepared ahead by the passes (``prepare_ahead``)."""
    from xld.link import input as inp
    from xld.link import merge
    merge.warm_up()
    inp.warm_up_library(path, cwd, members, prepare_ahead)


def prepare_ahead(obj) -> None:
    """What depends on an object parsed ahead alone, done ahead (each pass's own)."""
    from xld.link import ehframe, layout, merge, properties, relocate, resolve, write
    resolve.prepare(obj)
    properties.asks_exec_stack(obj)
    merge.candidate_symbols(obj)
    merge.merge_info(obj)
    ehframe.prepare(obj)
    write.file_symbol_name(obj)
    write.named_locals(obj)
    relocate.has_warning_sections(obj)
    layout.warm_names(obj)


def forget_unread(read: set) -> bool:
    """``input.forget_unread``; when it dropped libraries, the passes' caches of names go
    with them, and the names of those that stay are made again.  True when any was dropped."""
    from xld.link import input as inp
    from xld.link import layout, resolve
    dropped = inp.forget_unread(read)
    if dropped:
        layout.forget_names()
        resolve.forget_shared_columns()
        for f in inp.warm_inputs.values():      # (the names of those that stay, again)
            for obj in f.parsed.values() if isinstance(f, inp.Archive) else [f]:
                if isinstance(obj, inp.ObjectFile) and not obj.bitcode:
                    layout.warm_names(obj)
    return dropped


def serve(path: str, expected_cli: str) -> int:
    import fcntl
    import gc
    import selectors
    import signal
    import socket
    from xld.link import cli
    if os.path.abspath(cli.__file__) != expected_cli:
        return 1
    lock = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0                                   # another server of this installation runs
    os.ftruncate(lock, 0)
    os.write(lock, f"{os.getpid()}\n".encode())
    global LOG
    LOG = os.environ.get("XLD_SERVER_LOG")
    if LOG:                 # a child writes its own line, from the client's working directory
        LOG = os.path.abspath(LOG)
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        _warm_up()
        if not hasattr(os, "pidfd_open"):
            raise OSError("os.pidfd_open is missing")
    except Exception as e:                         # cannot serve: say so once, clients stop asking
        with open(path + ".off", "w") as f:
            f.write(f"{type(e).__name__}: {e}\n")
        return 1
    global _watched
    files = _watched = Watch(_module_files())
    files.renew()
    installation = client.this_process_key_text().encode("utf-8", "surrogateescape")
    idle = float(os.environ.get("XLD_SERVER_IDLE", DEFAULT_IDLE))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    old = os.umask(0o077)
    fresh = f"{path}.{os.getpid()}"     # bound and listening before it takes the socket's name:
    address, dirfd = client.short_address(fresh)    # a client never finds a socket that refuses
    try:                                            # (it would link itself)
        listener.bind(address)
    finally:
        if dirfd >= 0:
            os.close(dirfd)
    os.umask(old)
    listener.listen(64)
    try:
        os.rename(fresh, path)          # (over a dead server's)
    except OSError:
        os.unlink(fresh)
        raise
    bound = os.stat(path).st_ino
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    gc.collect()
    gc.freeze()                     # children share these pages instead of copying them
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, "accept")
    running: dict[int, Request] = {}              # pidfd -> request
    spare = Spare()
    spare.start(sel, _not_inherited(listener, sel, lock, running, spare))
    last = time.monotonic()
    leaving = False
    try:
        while True:
            if not running and (leaving or time.monotonic() - last > idle):
                break
            _drop_incoming(sel, expired_only=True)
            for key, _ in sel.select(timeout=min(idle, 5.0)):
                what = key.data
                try:
                    if what == "accept" or what[0] == "hello":
                        if what == "accept":
                            conn, _ = listener.accept()
                            took = _accept(conn, files, running, sel, listener, installation,
                                           lock, spare)
                        else:
                            took = _on_hello(what[1], files, running, sel, listener, installation,
                                             lock, spare)
                        if not took and files.stale():
                            # no new commands; the running ones end first (a client whose
                            # server went away would have no status)
                            sel.unregister(listener)
                            spare.stop(sel)
                            _drop_incoming(sel, expired_only=False)
                            _leave(path, bound, listener, lock)
                            leaving = True
                    elif what[0] == "conn":
                        _on_client(what[1], running, sel, spare)
                    elif what[0] == "uses":
                        _on_uses(what[1], running, sel, spare)
                    elif what[0] == "spare":            # it died without a command: no more
                        spare.stop(sel)                 # spares (a fork per command, as before)
                        spare.broken = True
                    else:
                        _on_exit(what[1], running, sel, spare)
                        last = time.monotonic()
                    if not leaving and not running:
                        files.renew()           # (only after a change was reported)
                    if not leaving and not spare.broken and \
                            (spare.state != _warm_state() if spare.pid else _room_for_spare(running)):
                        # a spare for the next command, or a new one when what it inherited
                        # is out of date
                        spare.stop(sel)
                        spare.start(sel, _not_inherited(listener, sel, lock, running, spare),
                                    _busy(running))
                    elif spare.hold >= 0 and not _busy(running):
                        spare.release()
                except Exception as e:          # a bug here must not take the server down
                    if LOG:
                        _log(LOG, f"error: {type(e).__name__}: {e}")
    finally:
        spare.stop(sel)
        if not leaving:
            _leave(path, bound, listener, lock)
    return 0


def _leave(path: str, bound: int, listener, lock: int) -> None:
    """Stop listening: the socket goes (unless a successor's), and the lock, for a successor."""
    try:
        if os.stat(path).st_ino == bound:          # not a successor's socket
            os.unlink(path)
    except OSError:
        pass
    listener.close()
    os.close(lock)


def _not_inherited(listener, sel, lock: int, running, spare: Spare) -> list[int]:
    """The server's descriptors that a child it forks closes.  A command's child keeps its own
    connection (it sends its status, server or not); not the lock (a successor must be able
    to take it while an orphaned command runs on), nor the spare's (it sees the server go when
    its connection closes)."""
    fds = [listener.fileno(), sel.fileno() if hasattr(sel, "fileno") else -1, lock,
           _watched.fd if _watched is not None else -1]
    for r in running.values():
        fds += [r.conn.fileno(), r.pidfd, r.uses_r]
    for incoming in _incoming(sel):            # (another client's stdio: its pipes stay ours)
        fds += [incoming.conn.fileno(), *incoming.fds]
    if spare.pid:
        fds += [spare.ctl.fileno(), spare.pidfd, spare.hold]
    return [fd for fd in fds if fd >= 0]


class Spare:
    """A child forked ahead of the next command, waiting for it: the fork (1.5 ms for the
    server's address space) and what the child does before it takes a command are off the
    command's path.  It is still one fresh process per command: a spare takes one command
    and is then that command's process; the server forks the next spare as soon as a CPU is
    free of running commands (_room_for_spare: on two CPUs, after a link, or while an `xld
    run` runs), and forks a new one whenever what a child would inherit changed
    (libraries parsed ahead since).  The server checks each
    command (the client's uid and installation, its own code on disk) before it hands it
    over, exactly as before it forks; a spare never decides.  A spare ends when the server
    ends it (it leaves, or replaces it) or goes away (its connection to the spare closes)."""

    def __init__(self):
        self.pid = 0
        self.pidfd = -1
        self.ctl = None                   # the server's end of the spare's connection
        self.state = None                 # what it inherited (_warm_state)
        self.broken = False               # one died on its own: none again
        self.runs = _packed([])           # pages a link wrote (_prefault), packed
        self.grow = 0                     # fresh memory a link took (_pregrow)
        self.objects = 0                  # and the MiB its Python objects took (_arenas_ahead)
        self.learnt = None                # the shape of the command they were learnt from
        self.last = None                  # and of the last command a spare took (shape)
        self.learns = False               # this spare's command says which pages it wrote
        self.ahead = None                 # what it copied ahead then ((runs, grow); None: nothing)
        self.refresh = False              # what was learnt filled the cap: learn afresh next
        self.overdone = False             # the last command's spare took longer to prepare
        self.afresh_at = 0                # commands when the last spare to learn afresh came
        self.commands = 0
        self.hold = -1                    # the pipe whose byte lets it copy ahead (release)

    def learn(self, runs: list[tuple[int, int]], grow: int = 0, shape=None, ahead=None, objects: int = 0) -> None:
        """The pages a link wrote, as far as PREFAULT_MAX goes: the next spares copy them
        ahead.  They come from a child that had nothing copied ahead (``ahead`` None: the
        pages it has of its own then, less those it had before its command: the ones it
        wrote), until one came; then, for one command in ten, from a child that had the
        pages and the heap of ``ahead`` copied and grown ahead, as every other child has:
        what it wrote beyond them is added to them (the scans cost 2-3 ms each, off the path),
        and ``grow`` is measured from before the heap was grown ahead (so, as afresh: half
        the peak's growth, at most the heap's; added up, it would creep to the whole heap's,
        and the peak with it).
        Learning afresh cost that command 6,700 page faults more at riscv64 interp (15-20 ms
        of CPU, 90 -> 105 ms); added, the pages no command writes any more stay until the
        cap is reached, and the learning after that starts afresh."""
        fresh = ahead is None
        if not fresh:
            runs = _union_runs(_unpacked(ahead[0]), runs)
        kept, pages = [], 0
        for run in runs:
            if pages + run[1] > PREFAULT_MAX // os.sysconf("SC_PAGESIZE"):
                self.refresh = not fresh
                break
            kept.append(run)
            pages += run[1]
        else:
            self.refresh = False
        self.runs = _packed(kept)
        self.grow = grow
        self.objects = objects
        self.learnt = shape

    def learns_next(self) -> bool:
        """Whether the next spare's command says what it wrote: the first, then one in ten
        (on top of what is copied ahead: ``learns_afresh`` says when not)."""
        return self.learns_afresh() or self.commands % 10 == 9

    def learns_afresh(self) -> bool:
        """Whether the next spare copies nothing ahead for the learning: the first, after a
        command unlike the one learnt from where that one grew the heap much (the heap grown
        ahead is its size: more than a smaller link's peak) or where the last command's
        spare took longer to prepare than that command ran (``costs``: a riscv64 dynamic
        hello after the C++ program's links had 31 MiB of heap grown and 5,100 pages copied
        ahead, 25-45 ms of CPU, for a command of 11-13 ms; on two CPUs the next link, one
        GNU ld link later, found its spare still at it), at most once in RELEARN_EVERY
        commands (links of two sizes taking turns would learn afresh every other time), and
        after a learning that filled the cap."""
        return (not self.runs or self.refresh
                or (self.last != self.learnt
                    and (self.grow >= RELEARN_GROW
                         or (self.overdone and self.commands - self.afresh_at >= RELEARN_EVERY))))

    def costs(self, prep: int, command: int) -> None:
        """What the last command's spare took to prepare and what the command took (CPU)."""
        self.overdone = prep > command > 0

    def start(self, sel, not_inherited: list[int], busy: bool = False) -> None:
        """Fork the spare; with ``busy`` (a command runs) it copies ahead only once it is
        released (``release``)."""
        import selectors
        import socket
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        hold_r, hold_w = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            for x in (mine, theirs):
                x.close()
            os.close(hold_r)
            os.close(hold_w)
            return
        learns, afresh = self.learns_next(), self.learns_afresh()
        if afresh:
            self.afresh_at = self.commands
        if pid == 0:
            mine.close()
            os.close(hold_w)
            _spare(theirs, not_inherited, [] if afresh else _unpacked(self.runs), 0 if afresh else self.grow,
                   learns, hold_r, 0 if afresh else self.objects)
        theirs.close()
        os.close(hold_r)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:                   # no spare this time (it sees its connection close)
            mine.close()
            os.close(hold_w)
            os.waitpid(pid, 0)
            return
        self.pid, self.ctl, self.state, self.learns = pid, mine, _warm_state(), learns
        self.ahead = None if afresh else (self.runs, self.grow)
        self.pidfd, self.hold = pidfd, hold_w
        sel.register(self.pidfd, selectors.EVENT_READ, ("spare", self.pidfd))
        if not busy:
            self.release()

    def release(self) -> None:
        """Let the spare copy its pages ahead and grow its heap: no command runs now.  A
        spare forked while a command ran (``_room_for_spare``) waits for this: copying at the
        same time took CPU and memory from that command (riscv64 and arm64 dynamic hello,
        served: 2-2.5 ms of the command's 15-19 ms of wall, on this VM's 2 CPUs)."""
        if self.hold >= 0:
            try:
                os.write(self.hold, b"c")
            except OSError:
                pass
            os.close(self.hold)
            self.hold = -1

    def offer(self, req: Request, sel) -> bool:
        """Send the command to the spare, which takes the client's place while the server
        checks its code (then ``go`` or ``stop``): False when there is none (or it died)."""
        import socket
        if not self.pid:
            return False
        fds = [req.conn.fileno(), req.cwd, *req.stdio, req.uses_w, *req.extra]
        packet = struct.pack("<QdB", len(req.body), req.started, req.learn) + req.body
        try:                              # (one message: the spare wakes once)
            w = self.ctl.sendmsg([packet], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                             struct.pack(f"{len(fds)}i", *fds))])
            if w < len(packet):
                self.ctl.sendall(memoryview(packet)[w:])
        except OSError:                   # it is gone (a spare takes a command whole or not)
            self.stop(sel)
            return False
        return True

    def go(self, req: Request, sel) -> None:
        """The spare runs the command it was offered, and is its process from now on
        (req.pid, req.pidfd; one that died meanwhile ends the command as a killed one)."""
        try:
            self.ctl.sendall(b"G")
        except OSError:
            pass
        sel.unregister(self.pidfd)
        self.ctl.close()
        self.release()                    # (closed: nothing of it is used any more)
        self.commands += 1
        self.last = shape(req.argv)
        req.pid, req.pidfd = self.pid, self.pidfd
        self.pid, self.pidfd, self.ctl, self.state = 0, -1, None, None

    def stop(self, sel) -> None:
        """End the spare (it has no command: nothing of one is lost)."""
        if not self.pid:
            return
        try:
            sel.unregister(self.pidfd)
        except (KeyError, ValueError):
            pass
        _kill_and_reap(self.pid)
        os.close(self.pidfd)
        self.ctl.close()
        self.release()
        self.pid, self.pidfd, self.ctl, self.state = 0, -1, None, None


def _kill_and_reap(pid: int) -> None:
    """End a child of the server that ran no command, and wait for it."""
    import signal
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        os.waitpid(pid, 0)
    except OSError:
        pass


# CPUs the server may use (_room_for_spare)
_CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _busy(running) -> bool:
    """Whether a command is running (its process has not said all yet, or its client is there)."""
    return any(not r.done for r in running.values())


def _room_for_spare(running) -> bool:
    """Whether to fork the next spare now: when a CPU is free of running commands (a fork
    would take CPU from one), and, while links run, two CPUs beyond them (one for the
    server's fork, 1.5-2.5 ms of copying its page tables, one for the new spare's first
    steps, ~1 ms of copy-on-write faults: on two CPUs they took that from a served dynamic
    hello's passes); and no running command is learning the pages a spare copies ahead (it
    would copy too few).  So on two CPUs the spare after a link is forked once the link's
    process has said all, after its status (_step_aside), and while an `xld run` runs; a
    spare forked while a command runs copies its pages ahead once none runs
    (Spare.release)."""
    busy = [r for r in running.values() if not r.done]
    links = sum(1 for r in busy if _is_link(r))
    return (len(busy) < _CPUS and (not links or links + 2 <= _CPUS)
            and not any(r.learn and _is_link(r) for r in busy))


_spare_pages = None     # in a learning spare: the pages it had of its own before its command
#                         came (its own doing and the server's, not the link's)
_copied_ahead = False   # in a spare: it copied pages ahead
_ready_at = 0.0         # in a spare: when it was ready (monotonic; 0: a command came first)
_ready_usage = None     # and its resource usage when its command came
_ready_prep = ""        # and what it had done ahead then (pages, heap, arenas; resident MiB)


def _packed(runs: list[tuple[int, int]]):
    """Runs of pages as one array of numbers (first, count, first, count ...): what the server
    keeps of them from one learning command to the next.  As a list, its thousands of tuples
    and integers, made while libraries parsed ahead fill CPython's small-object arenas, would
    each keep the 1 MiB arena it lands in from being given back when those libraries are
    dropped, and every child inherits the arenas."""
    import array
    return array.array("q", [x for run in runs for x in run])


def _unpacked(packed) -> list[tuple[int, int]]:
    """The runs ``_packed`` packed."""
    return list(zip(packed[0::2], packed[1::2]))


def _union_runs(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The pages of both lists of runs, as runs in order."""
    out: list[list[int]] = []
    for first, count in sorted(a + b):
        if out and first <= out[-1][0] + out[-1][1]:
            out[-1][1] = max(out[-1][1], first + count - out[-1][0])
        else:
            out.append([first, count])
    return [(first, count) for first, count in out]


def _spare(ctl, not_inherited: list[int], runs: list[tuple[int, int]], grow: int = 0,
           learns: bool = False, hold: int = -1, objects: int = 0) -> None:
    """In a spare: copy ahead the pages the last commands wrote and grow the heap as far as
    they took fresh memory, wait for a command, then run it as a child forked for it would;
    never returns.  The server gone, or a message that is
    not a command: exit, having done nothing."""
    import socket
    try:
        for fd in not_inherited:
            try:
                os.close(fd)
            except OSError:
                pass
        global _spare_pages, _ready_at, _ready_usage, _copied_ahead, _heap_start, _rss_start
        global _arena_start, _objects_start, _ready_prep
        if runs and hold >= 0 and ctl in _readable([ctl, hold], None):
            runs = []               # a command came before the running ones ended: it goes first
        if hold >= 0:
            os.close(hold)
        if runs:
            _copied_ahead = True
            _prefault(runs, ctl)
            if learns:              # the heap's growth from here, as a link learning afresh
                _heap_start, _rss_start, _arena_start = heap_sizes()[0], _resident(), _arena()
                _objects_start = _object_arenas()[1]
            _pregrow(grow, ctl)
            _arenas_ahead(objects, ctl)
        if learns:
            _spare_pages = _own_pages(with_maps=True)
        import resource
        if not _readable([ctl], 0):
            _ready_at = time.monotonic()
        if LOG:
            _ready_prep = (f"{sum(n for _, n in runs)}p/{grow >> 20}M/{len(_arena_pins)}a"
                           f"/{_resident() >> 20}M")
        head, anc, _flags, _addr = ctl.recvmsg(
            17, socket.CMSG_SPACE((6 + client.MAX_PASSED) * struct.calcsize("i")))
        fds: list[int] = []
        for level, typ, data in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                fds.extend(struct.unpack(f"{len(data) // 4}i", data[:len(data) // 4 * 4]))
        while head and len(head) < 17:
            more = ctl.recv(17 - len(head))
            if not more:
                break
            head += more
        if len(head) != 17 or len(fds) < 6:
            os._exit(0)
        length, started, learn = struct.unpack("<QdB", head)
        chunks, got = [], 0
        while got < length:
            chunk = ctl.recv(min(1 << 20, length - got))
            if not chunk:
                os._exit(0)
            chunks.append(chunk)
            got += len(chunk)
        req = Request(socket.socket(fileno=fds[0]), fds[1:5] + fds[6:], b"".join(chunks))
        req.uses_w, req.started, req.learn = fds[5], started, bool(learn)
        _ready_usage = resource.getrusage(resource.RUSAGE_SELF)
    except BaseException:
        os._exit(0)
    failed = None
    _hold_signals(True)           # the command's signals wait for _run (_hold_signals)
    try:                          # while the server checks its code on disk
        _become(req, [], (ctl.fileno(),))
    except BaseException as e:
        failed = e
    try:
        go = ctl.recv(1)
    except BaseException:
        go = b""
    if go != b"G":                # declined, or the server went away: nothing ran
        os._exit(0)
    os.close(ctl.detach())
    _run(req, failed)


def _warm_state() -> tuple:
    """What a child inherits of the libraries parsed ahead (it changes when one is added)."""
    from xld.link import input as inp
    return tuple((k, id(f), len(getattr(f, "parsed", ()))) for k, f in inp.warm_inputs.items())


def _same_groups(pid: int, gid: int) -> bool:
    """Whether the client has the server's group id and supplementary groups (its child
    works with the server's: file access, and `xld run`'s getgroups, would be another
    process's). The client's list is its /proc status (the ``Groups:`` line)."""
    if gid != os.getgid():
        return False
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"Groups:"):
                    return sorted(int(g) for g in line.split()[1:]) == sorted(os.getgroups())
    except (OSError, ValueError):
        pass
    return False


def _accept(conn, files, running, sel, listener, key: bytes, lock: int, spare: Spare) -> bool:
    import selectors
    import socket
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, gid = struct.unpack("3i", creds)
    if uid != os.getuid() or not _same_groups(pid, gid):
        conn.close()                  # (declined: the client runs the command itself)
        return True
    incoming = Incoming(conn)
    got = incoming.read()
    if got is True:                   # the rest comes later: read in the loop as it arrives
        sel.register(conn, selectors.EVENT_READ, ("hello", incoming))
        return True
    if got is False:
        incoming.close()
        return True
    return _take(got, files, running, sel, listener, key, lock, spare)


def _on_hello(incoming: Incoming, files, running, sel, listener, key: bytes, lock: int,
              spare: Spare) -> bool:
    """More of a request arrived; ``_take`` it once it is whole."""
    got = incoming.read()
    if got is True:
        return True
    sel.unregister(incoming.conn)
    if got is False:
        incoming.close()
        return True
    return _take(got, files, running, sel, listener, key, lock, spare)


def _incoming(sel) -> list[Incoming]:
    return [key.data[1] for key in list(sel.get_map().values())
            if isinstance(key.data, tuple) and key.data[0] == "hello"]


def _drop_incoming(sel, expired_only: bool) -> None:
    """Close the connections whose request has not all come: the late ones (REQUEST_TIMEOUT),
    or all of them (the server leaves; their clients run their commands themselves)."""
    now = time.monotonic()
    for incoming in _incoming(sel):
        if not expired_only or now > incoming.deadline:
            sel.unregister(incoming.conn)
            incoming.close()


def _take(req: Request, files, running, sel, listener, key: bytes, lock: int,
          spare: Spare) -> bool:
    """Run a whole request's command in a child (or say it was declined: False when the
    server's code on disk changed)."""
    import selectors
    conn = req.conn
    offered = False
    if req.key == key and req.limits_allowed():
        req.uses_r, req.uses_w = os.pipe()
        # the child says which pages it wrote (beyond those copied ahead for it: _prefault)
        req.learn = spare.learns if spare.pid else not spare.runs
        offered = spare.offer(req, sel)           # it takes the client's place meanwhile
        if offered and req.learn:
            req.ahead = spare.ahead
    stale = req.uses_r < 0 or files.stale()
    go = -1
    if not stale and not offered:                 # none ready: a child of its own, forked
        go = _fork_child(req, _not_inherited(listener, sel, lock, running, spare))
    if stale or (not offered and go < 0):
        # declined: the client runs the command itself (a fork or pidfd_open that failed
        # after "R" would leave it with no process and no status: "went away")
        if offered:
            spare.stop(sel)                       # (it ran nothing)
        try:
            conn.sendall(b"D" + struct.pack("<i", 0))
        except OSError:
            pass
        for fd in (req.uses_r, req.uses_w):
            if fd >= 0:
                os.close(fd)
        req.close_fds()
        conn.close()
        return False
    try:                          # taken: from here on the client does not run it itself
        conn.sendall(b"R" + struct.pack("<i", 0))
    except OSError:
        if offered:
            spare.stop(sel)
        else:
            _stop_child(req, go)
        os.close(req.uses_r)
        os.close(req.uses_w)
        req.close_fds()
        conn.close()
        return True
    if offered:
        spare.go(req, sel)
    else:
        try:
            os.write(go, b"G")
        except OSError:           # (it died: ends as a command that never began)
            pass
        os.close(go)
    os.close(req.uses_w)
    os.set_blocking(req.uses_r, False)
    req.close_fds()
    conn.settimeout(None)
    running[req.pidfd] = req
    sel.register(conn, selectors.EVENT_READ, ("conn", req.pidfd))
    sel.register(req.pidfd, selectors.EVENT_READ, ("exit", req.pidfd))
    # (the pipe is watched only once the client is gone: a server woken by the command's
    # "+" and "=" took the CPU from it, 0.2-0.3 ms before its client had its status)
    return True


def _fork_child(req: Request, not_inherited: list[int]) -> int:
    """Fork the command's process (when no spare is ready), before the client is told its
    command is taken: it takes the client's place and waits for the server's go (the write
    end returned) as a spare does; -1, and nothing forked, when the fork or its pidfd
    failed (the caller declines)."""
    try:
        go_r, go_w = os.pipe()
    except OSError:
        return -1
    try:
        pid = os.fork()
    except OSError:
        os.close(go_r)
        os.close(go_w)
        return -1
    if pid == 0:
        os.close(go_w)
        _child(req, not_inherited + [req.uses_r], go_r)
    os.close(go_r)
    req.pid = pid
    try:
        req.pidfd = os.pidfd_open(pid)
    except OSError:
        _stop_child(req, go_w)
        return -1
    return go_w


def _stop_child(req: Request, go: int) -> None:
    """End a command's process that was not told to go (it ran nothing)."""
    os.close(go)
    _kill_and_reap(req.pid)
    if req.pidfd >= 0:
        os.close(req.pidfd)
    req.pid, req.pidfd = 0, -1


def _on_uses(pidfd: int, running, sel, spare: Spare) -> None:
    req = running.get(pidfd)
    if req is not None and _read_uses(req):
        sel.unregister(req.uses_r)
        req.said_all = True
        if req.client_gone:
            _ended(req, spare)


def _ended(req: Request, spare: Spare) -> None:
    """The child said all it had to say (it is exiting) and its client is gone: learn the
    pages a link wrote, and parse ahead the libraries it read (while the child exits; not
    before the client is gone: it would wait for the CPU)."""
    if req.done or len(req.uses) < 6 or req.uses[:1] != b"=":
        return
    req.done = True
    status = req.uses[1]
    (n,) = struct.unpack("<I", req.uses[2:6])
    uses, pages = bytes(req.uses[6:6 + n]), bytes(req.uses[6 + n:])
    if status == 0:
        spare.costs(*_parse_costs(uses))
    if status == 0 and pages:
        grow, runs, objects = _parse_learnt(pages)
        spare.learn(runs, grow, shape(req.argv), req.ahead, objects)
    if status == 0 and uses:
        _warm_libraries(uses)


def _read_uses(req: Request) -> bool:
    """Read what the child wrote so far; True at its end."""
    while True:
        try:
            chunk = os.read(req.uses_r, 1 << 16)
        except BlockingIOError:
            return False
        except OSError:
            return True
        if not chunk:
            return True
        if not req.began and not req.uses:
            req.began = chunk[:1] == BEGAN
            chunk = chunk[1:] if req.began else b""        # (a process that did not begin
        if len(req.uses) < MAX_REQUEST:                     # says nothing the server uses)
            req.uses += chunk


def _on_client(pidfd: int, running, sel, spare: Spare) -> None:
    """The client sent a signal to forward, or went away (then the link is killed)."""
    import signal
    req = running.get(pidfd)
    if req is None:
        return
    try:
        data = req.conn.recv(64)
    except OSError:
        data = b""
    if not data:
        import selectors
        sel.unregister(req.conn)
        req.client_gone = True
        if _read_uses(req):
            req.said_all = True
        else:                                 # the rest as it comes (_on_uses)
            sel.register(req.uses_r, selectors.EVENT_READ, ("uses", req.pidfd))
        if not req.uses.startswith(b"="):     # not a client that had its status: one killed
            try:
                os.kill(req.pid, signal.SIGKILL)
            except OSError:
                pass
        elif req.said_all:
            _ended(req, spare)
        return
    for i in range(0, len(data) - 1, 2):
        if data[i:i + 1] == b"K":
            try:
                os.kill(req.pid, data[i + 1])
            except OSError:
                pass


def _log(path: str, line: str) -> None:
    try:
        with open(path, "a") as f:
            f.write(line + "\n")
    except OSError:
        pass


def _on_exit(pidfd: int, running, sel, spare: Spare) -> None:
    req = running.pop(pidfd)
    _, status, usage = os.wait4(req.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    sel.unregister(pidfd)
    os.close(pidfd)
    try:
        sel.unregister(req.conn)
    except KeyError:
        pass
    try:
        sel.unregister(req.uses_r)
    except KeyError:
        pass
    # what the child wrote is all in the pipe now; its end may never come (a process the
    # command forked, such as an `xld run` guest's daemon, holds the write end): no waiting
    _read_uses(req)
    os.close(req.uses_r)
    if LOG and not req.uses.startswith(b"="):     # (one that said its status logged itself)
        _log_served(req, code if req.began else "not-begun", "0", usage.ru_utime + usage.ru_stime)
    try:                          # N: its process ended before it began the command
        req.conn.sendall((b"S" if req.began else b"N") + struct.pack("<i", code))
    except OSError:
        pass
    req.conn.close()
    if code == 0:
        _ended(req, spare)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(2)
    # serve from the module under its package name (its globals are the ones its functions use), not __main__
    from xld.link import server
    sys.exit(server.serve(sys.argv[1], sys.argv[2]))

