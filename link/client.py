"""The lean client of the warm server (link/server.py): the part of a command that runs before
the server takes over, kept to the standard library's C modules.

Why: a served link or ``xld run`` does its work in a forked child of the server, so what the
command itself costs is the interpreter's start-up plus whatever it imports before it connects.
With ``site`` (every ``.pth`` file of the installation: setuptools' editable finder, certifi, ...)
and ``xld.link.cli``'s imports that is 40-100 ms; ``python -I -S`` running this file alone is
about 10 ms.  So the ``ld`` wrapper (``xld install-ld-wrapper``) and the binfmt_misc wrapper
(``xld run --install-binfmt``) run

    python -I -S .../xld/link/client.py ld ARGS...      # what `python -m xld.link ARGS` does
    python -I -S .../xld/link/client.py run ARGS...     # what `python -m xld.link run ARGS` does

and the ``xld`` command itself (``cli.main``) forwards through ``forward`` below before it
imports anything else.  This file imports nothing of xld (it runs without ``site``, so it could
not), and nothing of the standard library that is written in Python.

When anything is off -- ``XLD_SERVER=0``, no private socket directory, no server listening, the
server declines (its code or installation changed on disk since it started, the key differs,
the client's limits are above its own) or goes away before it answers -- the lean client
``exec``s the full command (``python -m xld.link ARGS``), which decides as it always did: the
result is never different from the full path's.

The installation key (the socket's name, and a text the server compares with its own) is what
decides which interpreter and which code a command would run: the interpreter's path and
version, the directory xld is imported from, the interpreter's options that change the module
search path, every ``PYTHON*`` environment variable and ``HOME`` (the user's site directory).
What else decides ``sys.path`` -- the installation's site directories and ``.pth`` files -- the
server watches on disk, with its own modules: if one changes it declines and exits.
"""

import sys

try:                    # the C module under ``os``: importing ``os`` itself (its frozen module and
    import posix as os  # _collections_abc) is 1.5 ms of the lean client's 12 (python -I -S)
except ImportError:     # (not POSIX: the server is POSIX-only, the full path needs this file)
    import os


served = False          # true in a server's child: this process runs a command it was sent (link/server.py)


def environment() -> dict:
    """The environment as ``os.environ`` has it (str keys and values, as the filesystem encoding
    decodes them), without importing ``os`` where it is not loaded."""
    mod = sys.modules.get("os")
    if mod is not None:
        return mod.environ
    enc, errors = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
    return {k.decode(enc, errors): v.decode(enc, errors) for k, v in os.environ.items()}


def _environb() -> dict:
    mod = sys.modules.get("os")
    return mod.environb if mod is not None else os.environ      # (posix's: bytes)


# What Python's start-up sets LC_CTYPE to when it finds the C or POSIX locale (PEP 538's
# locale coercion, CPython's _Py_CoerceLegacyLocale): in its own environment, so every program
# it starts inherits it.
COERCED_LC_CTYPE = (b"C.UTF-8", b"C.utf8", b"UTF-8")


def undo_locale_coercion() -> None:
    """Give LC_CTYPE back the value this process was started with, where Python's start-up
    changed it (above): the program ``xld run`` runs, and whatever a link starts, see the
    environment the command was given, as under qemu-user (a program given LC_CTYPE=badlocale,
    or no LC_CTYPE in the C locale, saw LC_CTYPE=C.UTF-8: pcre2grep's test 150 failed). The
    environment as exec passed it is /proc/self/environ (setenv does not change it). Called
    once, first thing, by the process's entry points; never in a served command (its
    environment is the client's, sent as the client had it)."""
    if served:
        return
    env = _environb()
    now = env.get(b"LC_CTYPE")
    if now not in COERCED_LC_CTYPE:
        return
    try:
        with open("/proc/self/environ", "rb") as f:
            data = f.read()
    except OSError:
        return
    was = None
    for item in data.split(b"\0"):
        if item.startswith(b"LC_CTYPE="):
            was = item[len(b"LC_CTYPE="):]
            break
    if was == now:
        return
    if sys.modules.get("os") is not None:     # os.environb: it calls putenv/unsetenv itself
        if was is None:
            del env[b"LC_CTYPE"]
        else:
            env[b"LC_CTYPE"] = was
    elif was is None:                         # posix's dict, and the C library's environ
        env.pop(b"LC_CTYPE", None)
        os.unsetenv(b"LC_CTYPE")
    else:
        env[b"LC_CTYPE"] = was
        os.putenv(b"LC_CTYPE", was)


def _fsencode(name: str) -> bytes:
    return name.encode(sys.getfilesystemencoding(), sys.getfilesystemencodeerrors())


def _dirname(path: str) -> str:
    """posixpath.dirname."""
    head = path[:path.rfind("/") + 1]
    if head and head != "/" * len(head):
        head = head.rstrip("/")
    return head


def _join(a: str, b: str) -> str:
    """posixpath.join of a directory and a relative name."""
    return a + b if not a or a.endswith("/") else a + "/" + b


def _abspath(path: str) -> str:
    """posixpath.abspath: absolute, normalized as normpath does."""
    if not path.startswith("/"):
        path = _join(os.getcwd(), path)
    lead = 2 if path.startswith("//") and not path.startswith("///") else 1
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" * lead + "/".join(parts)


PROTOCOL = b"xld-server-4"
FORWARDED_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
# limits a child takes from its client: they change what a link may do
LIMITS = ("RLIMIT_AS", "RLIMIT_DATA", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CPU", "RLIMIT_CORE")
PACKAGE_DIR = _dirname(_abspath(__file__))     # .../xld/link
# xld's subcommands that start as they always did (their start-up does not matter); the others
# (`run`) and links go to the server.  cli.SUBCOMMANDS has them all (a test keeps both true).
NOT_SERVED = ("nm", "objdump", "demo", "bench", "install-ld-wrapper", "diff")


def enabled(environ=None) -> bool:
    environ = environment() if environ is None else environ
    return environ.get("XLD_SERVER", "1").lower() not in ("0", "no", "off", "false", "")


# --- the installation key ---------------------------------------------------------------------

def key_text(executable: str, version: str, package_dir: str, environ, no_site: int = 0,
             no_user_site: int | None = None, ignore_environment: int = 0) -> str:
    """What must be equal for a server to serve a command (see the module's docstring).  The
    defaults are a command started without options (``python -m xld.link``, the console
    script): the user's site directory then follows ``PYTHONNOUSERSITE``."""
    env = {} if ignore_environment else environ
    python_vars = sorted(f"{k}={v}" for k, v in env.items() if k.startswith("PYTHON"))
    if no_user_site is None:
        no_user_site = int(bool(env.get("PYTHONNOUSERSITE")))
    return "\n".join([executable, version, package_dir, f"S{no_site}s{no_user_site}E{ignore_environment}",
                      "HOME=" + environ.get("HOME", ""), *python_vars])


def this_process_key_text() -> str:
    """The key of the process that runs this code, with its own options (the full path)."""
    f = sys.flags
    return key_text(sys.executable, sys.version, PACKAGE_DIR, environment(), f.no_site,
                    f.no_user_site, f.ignore_environment)


KEY_PRIME = (1 << 127) - 25      # prime; 256 has an order above 2^20 modulo it


def key_name(text: str) -> str:
    """The name of the socket of the installation ``text`` stands for.  It only finds the
    server (the server compares the whole text, and declines another), so a checksum of
    integer arithmetic does: the text's bytes, after a 1, as a number modulo the prime
    2^127 - 25; 96 bits of it.  A hash module would be a shared library to load (0.3 ms of a
    served command's start).  Not the Mersenne prime 2^127 - 1: 256^127 is 1 modulo it, so
    two keys that differ by bytes swapped 127 apart (two PYTHON* values, say) had one name,
    and the second installation was never served while the first's server lived."""
    n = int.from_bytes(b"\1" + text.encode("utf-8", "surrogateescape"), "big") % KEY_PRIME
    return f"{n:032x}"[:24]


# --- where the server listens -----------------------------------------------------------------

def socket_dir(environ=None) -> str | None:
    """A directory only this user can enter, or None when no such directory can be had."""
    environ = environment() if environ is None else environ
    uid = os.getuid()
    base = environ.get("XLD_SERVER_DIR") or environ.get("XDG_RUNTIME_DIR")
    if not base or not _private(base, uid, need_private=False):
        base = "/tmp"
    d = _join(base, f"xld-{uid}")
    try:
        os.mkdir(d, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    return d if _private(d, uid) else None


def _private(path: str, uid: int, need_private: bool = True) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if (st.st_mode & 0o170000) != 0o040000 or st.st_uid != uid:      # a real directory, ours
        return False
    return not (need_private and st.st_mode & 0o077)


# --- one conversation -------------------------------------------------------------------------

def stdio_open() -> bool:
    """Whether stdin, stdout and stderr are open.  When one is closed the full command runs the
    command (it sees it closed; the socket, or the working directory sent with it, would take
    its place in a served one)."""
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
    except OSError:
        return False
    return True


SUN_PATH_MAX = 107                  # bytes of an AF_UNIX address (sun_path), less its NUL


def short_address(path: str) -> tuple[str, int]:
    """An address for ``path`` that AF_UNIX takes, and a descriptor to close after the bind or
    connect (-1: none).  A path longer than sun_path (a deep XDG_RUNTIME_DIR or XLD_SERVER_DIR:
    pytest-xdist's temporary directories are) is reached through its directory's descriptor,
    ``/proc/self/fd/N/NAME``; without /proc it stays as it is (and the bind or connect fails:
    the command runs unserved)."""
    if len(_fsencode(path)) <= SUN_PATH_MAX:
        return path, -1
    try:
        fd = os.open(_dirname(path), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return path, -1
    short = f"/proc/self/fd/{fd}/{path[path.rfind('/') + 1:]}"
    if len(_fsencode(short)) > SUN_PATH_MAX or not _isdir(f"/proc/self/fd/{fd}"):
        os.close(fd)
        return path, -1
    return short, fd


def _isdir(path: str) -> bool:
    try:
        return (os.stat(path).st_mode & 0o170000) == 0o040000
    except OSError:
        return False


def connect(path: str):
    """A connected socket to the server at ``path``, or None.  The listener must be a process
    of this user (SO_PEERCRED: the credentials it had when it called listen()): the directory
    checks (socket_dir) can be raced, by whoever may rename in a directory above ours, and
    root may put anything anywhere; a command's environment goes to no other user."""
    import _socket
    s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM | _socket.SOCK_CLOEXEC)
    address, dirfd = short_address(path)
    try:
        s.connect(address)
        creds = s.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)     # pid, uid, gid
        uid = int.from_bytes(creds[4:8], sys.byteorder, signed=True)
        if uid != os.getuid():
            raise PermissionError(path)
    except OSError:
        s.close()
        return None
    finally:
        if dirfd >= 0:
            os.close(dirfd)
    return s


# /proc/self/limits' names of LIMITS
PROC_LIMITS = {b"Max address space": "RLIMIT_AS", b"Max data size": "RLIMIT_DATA",
               b"Max file size": "RLIMIT_FSIZE", b"Max open files": "RLIMIT_NOFILE",
               b"Max cpu time": "RLIMIT_CPU", b"Max core file size": "RLIMIT_CORE"}


def limits() -> dict[str, tuple[int, int]]:
    """LIMITS, (soft, hard) as resource.getrlimit gives them (-1: unlimited), read from
    /proc/self/limits: the ``resource`` module is a shared library to load (0.4 ms of a
    command's start).  Without /proc (or a line it cannot read), from ``resource``."""
    got = {}
    try:
        with open("/proc/self/limits", "rb") as f:
            for line in f.read().splitlines()[1:]:
                name = PROC_LIMITS.get(line[:25].rstrip())
                if name:
                    soft, hard = line[25:].split()[:2]
                    got[name] = tuple(-1 if v == b"unlimited" else int(v) for v in (soft, hard))
    except (OSError, ValueError):
        got = {}
    if len(got) != len(LIMITS):
        import resource
        got = {name: resource.getrlimit(getattr(resource, name)) for name in LIMITS}
    return got


MAX_PASSED = 240                    # descriptors past the standard three a served run takes (one
#                                     SCM_RIGHTS message carries 253 at most): more, the full command


def inheritable_fds() -> list[int]:
    """The descriptors past 0-2 this process leaves open to what it executes (not
    close-on-exec: every one Python opens is, so these are the caller's, such as a jobserver's
    pipe), in order."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return []
    fds = []
    for name in names:
        try:
            if int(name) > 2 and os.get_inheritable(int(name)):
                fds.append(int(name))
        except OSError:               # (the listing's own descriptor, closed by now)
            pass
    return sorted(fds)


def passed_fds(argv: list[str]) -> list[int] | None:
    """What the server gets of inheritable_fds: all of them for ``xld run`` (the program's,
    as qemu-user passes them), none for other commands; None when there are too many to send."""
    if argv[:1] != ["run"]:
        return []
    fds = inheritable_fds()
    return fds if len(fds) <= MAX_PASSED else None


def request(argv: list[str], key: str, passed: list[int] = ()) -> bytes:
    have = limits()
    limits_ = [f"{name}={have[name][0]},{have[name][1]}".encode() for name in LIMITS]
    env = [k + b"=" + v for k, v in _environb().items()]
    umask = os.umask(0)
    os.umask(umask)
    fields = [PROTOCOL, key.encode("utf-8", "surrogateescape"), str(umask).encode(),
              ",".join(map(str, passed)).encode(), str(len(argv)).encode(), *map(_fsencode, argv),
              str(len(limits_)).encode(), *limits_,
              *env]
    return b"\0".join(fields)


def _tell(text: bytes) -> None:
    """An error on stderr, once the command was taken: a stderr that is gone (a closed pipe)
    must not make the caller take the command for not run, and run it again."""
    try:
        os.write(2, text)
    except OSError:
        pass


def converse(s, argv: list[str], key: str) -> int | None:
    """Send the command; its exit status (-N: killed by signal N), or None when the server
    declined or went away before it took the command (nothing ran: the caller runs it).

    The server says ``R`` when it takes the command.  The command's process says ``s`` and its
    status once it is done (its output written, its copies of our stdout and stderr closed),
    before it exits; the server says ``S`` and the status of a process that ended without
    saying it (killed by a signal), or ``N`` when the process ended before it began the
    command (a spare that was handed a truncated command: an error, not its status).  The first of the two is the command's end: the process's
    exit, which takes a few milliseconds more, is not waited for.  A server that goes away
    after ``R`` leaves the command running, or ended: it is not run again (a link twice at
    once, a program's side effects twice); the command fails with a message if its status is
    lost."""
    import _signal
    import _socket
    passed = passed_fds(argv)
    if passed is None:
        return None
    body = request(argv, key, passed)
    # a signal that comes while the request is on its way is sent after it
    pending: list[int] = []
    sent = False

    def relay(signum, _frame):
        if not sent:
            pending.append(signum)
            return
        try:
            s.send(b"K" + bytes([signum]))
        except OSError:
            pass
    # a signal this process ignores (nohup, a shell's background job) is not the command's to
    # take: the full command would ignore it too
    numbers = [n for n in (getattr(_signal, name) for name in FORWARDED_SIGNALS)
               if _signal.getsignal(n) != _signal.SIG_IGN]
    old = {n: _signal.signal(n, relay) for n in numbers}

    def restore():
        for n, h in old.items():
            _signal.signal(n, h)

    def message() -> bytes | None:
        reply = b""
        while len(reply) < 5:
            chunk = s.recv(5 - len(reply))
            if not chunk:              # the server went away
                return None
            reply += chunk
        return reply
    try:
        cwd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        if cwd <= 2:                   # stdin, stdout or stderr is closed: the full command
            os.close(cwd)              # sees it closed (a served one would get the directory)
            restore()
            return None
        try:
            fds = b"".join(fd.to_bytes(4, sys.byteorder, signed=True) for fd in (cwd, 0, 1, 2, *passed))
            # the head and the body in one message: the server reads them in one go
            packet = len(body).to_bytes(8, "little") + body
            w = s.sendmsg([packet], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
        finally:
            os.close(cwd)
        if w < len(packet):          # (cut: a large environment)
            s.sendall(memoryview(packet)[w:])
        sent = True
        for signum in pending:
            relay(signum, None)
        reply = message()
        if reply is not None and reply[:1] == b"R":          # taken: it runs
            try:
                reply = message()
            except OSError:
                reply = None
            if reply is None:
                _tell(b"xld: error: the warm server went away while it ran the command "
                      b"(its exit status is lost)\n")
                return 1
            if reply[:1] == b"N":
                _tell(b"xld: error: the warm server's process for the command ended before "
                      b"it began the command (nothing ran)\n")
                return 1
            return int.from_bytes(reply[1:5], "little", signed=True)
    except BaseException:
        restore()
        raise
    if reply is None or reply[:1] != b"S":        # declined: the command runs as it would
        restore()
        return None
    return int.from_bytes(reply[1:5], "little", signed=True)


def forward(argv: list[str], key: str) -> int | None:
    """Run ``xld argv`` in this installation's server: its exit status, or None when there is
    none to run it (no server, or it declined).  Starting one is the full path's business."""
    if not enabled():
        return None
    d = socket_dir()
    if d is None or not stdio_open():
        return None
    s = connect(_join(d, key_name(key) + ".sock"))
    if s is None:
        return None
    try:
        return converse(s, argv, key)
    except OSError:
        return None
    finally:
        s.close()


def exit_as(status: int) -> None:
    """End this process as the command's process ended: with its exit status, or by its
    signal."""
    if status < 0:
        import _signal
        sig = -status
        try:
            _signal.signal(sig, _signal.SIG_DFL)
            os.kill(os.getpid(), sig)
        except (OSError, ValueError):
            pass
        os._exit(128 + sig)
    os._exit(status)


# --- the lean command -------------------------------------------------------------------------

def lean_main(args: list[str]) -> None:
    """``client.py ld ARGS`` or ``client.py run ARGS``: served, or the full command by exec."""
    undo_locale_coercion()
    kind, argv = (args[0], args[1:]) if args else ("", [])
    if kind == "run":
        argv = ["run", *argv]
    elif kind != "ld":
        sys.stderr.write("usage: python -I -S client.py {ld|run} ARGS...\n")
        os._exit(2)
    status = None
    if (not argv or argv[0] not in NOT_SERVED) and sys.getprofile() is None and sys.gettrace() is None:
        try:
            # the command the full path stands for: `python -m xld.link ...`, no options
            key = key_text(sys.executable, sys.version, PACKAGE_DIR, environment())
            status = forward(argv, key)
        except Exception:             # anything off: the full path decides
            status = None
    if status is not None:
        exit_as(status)
    exec_full(argv)


def exec_full(argv: list[str]) -> None:
    """Become ``python -P -m xld.link argv``, the full command.  (-P: the working directory is
    not put first on the module search path, as ``-m`` would: a build directory with a
    subdirectory named ``xld`` or ``numpy`` must not replace the installed packages.)"""
    import _signal
    # what the process had before this interpreter changed it (as subprocess restores them)
    for name in ("SIGPIPE", "SIGXFSZ"):
        if hasattr(_signal, name):
            _signal.signal(getattr(_signal, name), _signal.SIG_DFL)
    try:
        os.execv(sys.executable, [sys.executable, "-P", "-m", "xld.link", *argv])
    except OSError as e:
        sys.stderr.write(f"xld: error: cannot run {sys.executable}: {e.strerror}\n")
        sys.stderr.flush()
        os._exit(1)


def lean_argv(python: str) -> list[str]:
    """The command line of the lean client, to which ``ld ARGS`` or ``run ARGS`` is added.  It
    imports this file as a module rather than running it as a script: Python compiles a script
    at every start (5 ms for this one) but loads a module's cached bytecode."""
    program = (f"import sys; sys.path.append({PACKAGE_DIR!r}); from client import lean_main; "
               "lean_main(sys.argv[1:])")
    return [python, "-I", "-S", "-c", program]


def launcher(kind: str, full: str, python: str) -> str:
    """sh lines that run the lean client with ``python`` and ``KIND "$@"`` (the wrappers'
    body), or, if this file is gone, ``python FULL "$@"``."""
    def q(s: str) -> str:
        return "'" + s.replace("'", "'\\''") + "'"
    lean = " ".join(map(q, lean_argv(python)))
    # XLD_SERVER off (enabled() above, in sh): straight to the full command
    return ('case "${XLD_SERVER-1}" in\n'
            "    0|[Nn][Oo]|[Oo][Ff][Ff]|[Ff][Aa][Ll][Ss][Ee]|'') ;;\n"
            f'    *) [ -f {q(_abspath(__file__))} ] && exec {lean} {kind} "$@" ;;\n'
            'esac\n'
            f'exec {q(python)} -P {full} "$@"\n')


if __name__ == "__main__":
    lean_main(sys.argv[1:])
