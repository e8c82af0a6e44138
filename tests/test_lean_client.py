"""The lean client (link/client.py): what the ld wrapper and the binfmt wrapper run with
``python -I -S``.  A command it hands to the warm server, or hands back to the full command
(by exec) when there is no server to take it, ends exactly as the full command would: the same
output bytes, messages and exit status.

Each test has its own socket directory and server log (tests/test_server.py's fixtures)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import toolchain as tc
from tests.test_server import (CAT, process_gone, served, server_env,  # noqa: F401  (a fixture)
                               wait_for_socket, wait_until)

HELLO = r"""
#include <stdio.h>
int main(int argc, char **argv) { printf("hello %d\n", argc); return argc + 4; }
"""
# prints a line, then waits for its input to end; its status says it was not killed
WAITER = r"""
#include <stdio.h>
#include <unistd.h>
int main(void) {
  char c; printf("ready\n"); fflush(stdout);
  while (read(0, &c, 1) > 0) {}
  return 9;
}
"""


@pytest.fixture(scope="module")
def wrapper(tmp_path_factory):
    """`xld install-ld-wrapper --sh DIR`: DIR/ld runs the Python lean client (tests/test_native_client.py
    has the compiled one)."""
    d = tmp_path_factory.mktemp("wrap")
    p = subprocess.run([sys.executable, "-m", "xld.link", "install-ld-wrapper", "--sh", str(d)],
                       capture_output=True, env=dict(os.environ, XLD_SERVER="0"), check=True)
    ld = Path(p.stdout.decode().strip())
    assert "'-I' '-S'" in ld.read_text() and "from client import lean_main" in ld.read_text()
    return d


@pytest.fixture(scope="module")
def hello_obj(tmp_path_factory):
    d = tmp_path_factory.mktemp("lean-objs")
    (d / "hello.c").write_text(HELLO)
    return tc.compiler("gcc", "arm64").compile(d / "hello.c", d / "hello.o")


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    """Static guests for `xld run`, both architectures."""
    d = tmp_path_factory.mktemp("lean-progs")
    out = {}
    for name, src in (("cat", CAT), ("waiter", WAITER)):
        (d / f"{name}.c").write_text(src)
        for arch, cc in (("arm64", "aarch64-linux-gnu-gcc"), ("riscv64", "riscv64-linux-gnu-gcc")):
            exe = d / f"{name}-{arch}"
            subprocess.run([tc.require(cc), "-static", "-O1", str(d / f"{name}.c"), "-o", str(exe)],
                           check=True)
            out[name, arch] = exe
    return out


def bind(sock, path) -> None:
    """Bind where a server would, by the server's way to a path past AF_UNIX's 108 bytes
    (pytest-xdist's temporary directories are that deep)."""
    from xld.link import client
    address, dirfd = client.short_address(str(path))
    try:
        sock.bind(address)
    finally:
        if dirfd >= 0:
            os.close(dirfd)


def listener_at_the_socket(env):
    """A listener that is not a server, bound where the client of ``env``'s installation
    looks for its server: (the socket, its path)."""
    from xld.link import client
    d = Path(env["XLD_SERVER_DIR"]) / f"xld-{os.getuid()}"
    d.mkdir(mode=0o700)
    key = client.key_text(sys.executable, sys.version, client.PACKAGE_DIR, env)
    path = d / (client.key_name(key) + ".sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    bind(sock, path)
    sock.listen(8)
    return sock, path


def lean(args, env, cwd, **kw) -> subprocess.CompletedProcess:
    """The lean client as the wrappers run it."""
    from xld.link import client
    return subprocess.run([*client.lean_argv(sys.executable), *map(str, args)],
                          env=env, cwd=cwd, capture_output=True, timeout=120, **kw)


def gcc_link(wrap, obj, out, env, cwd, *extra):
    return subprocess.run([tc.require("aarch64-linux-gnu-gcc"), "-static", "-B", str(wrap), str(obj),
                           *extra, "-o", str(out)], env=env, cwd=cwd, capture_output=True, timeout=120)


def shadow_packages(d: Path) -> None:
    """A build directory with subdirectories named like xld's packages: the full command
    (``python -P -m xld.link``) must not import them (``-m`` alone puts the working directory
    first on the module search path: the link failed with an ImportError)."""
    (d / "xld").mkdir()
    (d / "numpy").mkdir()
    (d / "numpy" / "__init__.py").write_text("raise ImportError('the build directory\\'s numpy')\n")


def test_lean_links_are_byte_identical_served_or_not(wrapper, hello_obj, server_env, tmp_path):
    """gcc -B through the wrapper: alone (XLD_SERVER=0), with no server yet (the client hands
    back to the full command, which starts one), and served: the same program, map file,
    messages and status; an error too.  Each in a directory holding ``xld/`` and ``numpy/``."""
    outs = {}
    for name, env in (("alone", dict(server_env, XLD_SERVER="0")), ("first", server_env),
                      ("served", server_env)):
        d = tmp_path / name
        d.mkdir()
        shadow_packages(d)
        p = gcc_link(wrapper, hello_obj, "out", env, d, "-Wl,-Map=out.map")
        assert p.returncode == 0, p.stderr
        if name == "first":
            wait_for_socket(server_env)
            assert served(server_env) == []
        bad = gcc_link(wrapper, hello_obj, "bad", env, d, "-Wl,missing.o")
        outs[name] = ((d / "out").read_bytes(), (d / "out.map").read_bytes(),
                      bad.returncode, bad.stderr, (d / "bad").exists())
        if name == "alone":
            assert not list(Path(server_env["XLD_SERVER_DIR"]).rglob("*.sock"))
    assert outs["first"] == outs["alone"] and outs["served"] == outs["alone"]
    assert outs["alone"][2] == 1 and b"xld: error:" in outs["alone"][3] and not outs["alone"][4]
    log = served(server_env)
    assert [line.split()[2] for line in log] == ["status=1", "status=0", "status=1"]
    r = tc.qemu_run("arm64", tmp_path / "served" / "out", ["x"])
    assert (r.status, r.stdout) == (6, b"hello 2\n")
    # DIR/xld-run is `xld run` through the same client
    p = subprocess.run([wrapper / "xld-run", tmp_path / "served" / "out", "y", "z"], env=server_env,
                       capture_output=True, timeout=120)
    assert (p.returncode, p.stdout) == (7, b"hello 3\n")
    assert "'run'" in served(server_env)[-1] and "status=7" in served(server_env)[-1]


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_lean_run_forwards_stdin_stdout_stderr_and_status(programs, server_env, tmp_path, arch):
    exe = programs["cat", arch]

    def run(env):
        return lean(["run", exe, "one", "two"], env, tmp_path, input=b"typed\n")
    alone = run(dict(server_env, XLD_SERVER="0"))
    assert (alone.returncode, alone.stdout) == (7, b"typed\nargc=3 argv1=one total=6\n")
    assert b"to stderr" in alone.stderr
    first = run(server_env)                       # no server: the full command, which starts one
    wait_for_socket(server_env)
    again = run(server_env)
    for p in (first, again):
        assert (p.returncode, p.stdout, p.stderr) == (alone.returncode, alone.stdout, alone.stderr)
    assert len(served(server_env)) == 1 and "status=7" in served(server_env)[0]
    # a command error: the same message and status
    missing = lean(["run", tmp_path / "no-such-program"], server_env, tmp_path)
    direct = lean(["run", tmp_path / "no-such-program"], dict(server_env, XLD_SERVER="0"), tmp_path)
    assert (missing.returncode, missing.stderr) == (direct.returncode, direct.stderr) == (1, direct.stderr)
    assert direct.stderr.startswith(b"xld: error:")
    assert len(served(server_env)) == 2


def test_lean_run_forwards_signals(programs, server_env, tmp_path):
    """SIGTERM to the lean client reaches the guest's process: the status is what `xld run`
    gives in-process (143), served or not."""
    from xld.link import client
    exe = programs["waiter", "arm64"]
    lean(["run", exe], server_env, tmp_path, input=b"")          # starts the server
    wait_for_socket(server_env)
    statuses = {}
    for name, env in (("alone", dict(server_env, XLD_SERVER="0")), ("served", server_env)):
        p = subprocess.Popen([*client.lean_argv(sys.executable), "run", str(exe)], env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert p.stdout.readline() == b"ready\n"
        p.send_signal(signal.SIGTERM)
        statuses[name] = p.wait(timeout=60)
        p.stdin.close()
        p.stdout.close()
        p.stderr.close()
    assert statuses == {"alone": 143, "served": 143}
    log = served(server_env)
    assert len(log) == 1 and "status=143" in log[0]


def test_lean_client_falls_back_when_the_server_is_stale(programs, server_env, tmp_path):
    """A directory on the module search path changes after the server started (a package
    installed): the server declines and leaves; the command runs as the full one would."""
    path_dir = tmp_path / "pypath"
    path_dir.mkdir()
    env = dict(server_env, PYTHONPATH=str(path_dir))
    exe = programs["cat", "riscv64"]
    from xld.link import client
    lean(["run", exe], env, tmp_path, input=b"")
    sock = wait_for_socket(env)
    old_pid = int(Path(str(sock) + ".lock").read_text())
    # a client that stands for another installation (its key differs) is declined
    s = client.connect(str(sock))
    try:
        assert client.converse(s, ["--version"], "another installation") is None
    finally:
        s.close()
    p = lean(["run", exe, "a"], env, tmp_path, input=b"x")
    assert p.returncode == 7 and len(served(env)) == 1          # and the server still serves
    (path_dir / "newpkg.pth").write_text("")
    p = lean(["run", exe, "b"], env, tmp_path, input=b"yz")
    assert (p.returncode, p.stdout) == (7, b"yzargc=2 argv1=b total=2\n")
    assert len(served(env)) == 1                     # not served by the stale server
    # the full command started a fresh server: let it write its lock, for the fixture to stop it
    lock = Path(str(sock) + ".lock")
    for _ in range(600):
        text = lock.read_text().strip() if lock.exists() else ""
        if text.isdigit() and int(text) != old_pid:
            break
        time.sleep(0.05)


def test_lean_client_uses_no_socket_others_can_reach(programs, server_env, tmp_path):
    """XLD_SERVER=0, or a socket directory others can enter, or a listener that is not a
    server: the client never talks to it and runs the full command; nothing is sent."""
    exe = programs["cat", "arm64"]
    rogue, path = listener_at_the_socket(server_env)
    d = path.parent
    rogue.setblocking(False)
    want = lean(["run", exe, "q"], dict(server_env, XLD_SERVER="0"), tmp_path, input=b"in")
    assert want.returncode == 7
    try:
        os.chmod(d, 0o755)                                 # others may enter: not used
        got = lean(["run", exe, "q"], server_env, tmp_path, input=b"in")
        assert (got.returncode, got.stdout, got.stderr) == (want.returncode, want.stdout, want.stderr)
        with pytest.raises(BlockingIOError):
            rogue.accept()
        os.chmod(d, 0o700)
        got = lean(["run", exe, "q"], dict(server_env, XLD_SERVER="0"), tmp_path, input=b"in")
        assert got.stdout == want.stdout
        with pytest.raises(BlockingIOError):               # XLD_SERVER=0: not even a connect
            rogue.accept()
    finally:
        rogue.close()
    assert served(server_env) == []


def test_lean_client_falls_back_when_the_listener_is_not_a_server(programs, server_env, tmp_path):
    """A listener that closes every connection unanswered: the client runs the full command,
    which finds no server either and runs the program itself."""
    import threading
    exe = programs["cat", "arm64"]
    rogue, _path = listener_at_the_socket(server_env)
    seen = []

    def serve():
        while True:
            try:
                conn, _ = rogue.accept()
            except OSError:
                return
            seen.append(conn.recv(8))
            conn.close()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        got = lean(["run", exe, "q"], dict(server_env, XLD_SERVER_IDLE="1"), tmp_path, input=b"in")
    finally:
        rogue.close()
    assert (got.returncode, got.stdout) == (7, b"inargc=2 argv1=q total=2\n")
    assert len(seen) >= 1                    # it was asked, and answered nothing
    assert served(server_env) == []


def test_the_lean_client_knows_which_subcommands_are_served():
    from xld.link import cli, client
    assert set(client.NOT_SERVED) == set(cli.SUBCOMMANDS) - set(cli.server_commands())


READ_ERRNO = r"""
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
  char b[4]; long n = read(0, b, sizeof b);
  printf("n=%ld errno=%d\n", n, n < 0 ? errno : 0);
  return 0;
}
"""


def test_lean_run_with_stdin_closed(server_env, tmp_path):
    """The client's stdin is closed: the guest's read fails with EBADF as in the full command
    (the served child used to get the client's working directory as its stdin, and hung)."""
    (tmp_path / "rd.c").write_text(READ_ERRNO)
    exe = tmp_path / "rd"
    subprocess.run([tc.require("aarch64-linux-gnu-gcc"), "-static", str(tmp_path / "rd.c"), "-o",
                    str(exe)], check=True)
    lean(["run", exe], server_env, tmp_path, input=b"")          # starts the server
    wait_for_socket(server_env)

    def closed(env):
        return lean(["run", exe], env, tmp_path, stdin=None, preexec_fn=lambda: os.close(0))
    want = closed(dict(server_env, XLD_SERVER="0"))
    got = closed(server_env)
    assert (want.returncode, want.stdout) == (0, b"n=-1 errno=9\n")
    assert (got.returncode, got.stdout, got.stderr) == (want.returncode, want.stdout, want.stderr)


@pytest.mark.parametrize("how", ["killed", "stale"])
def test_a_command_the_server_took_is_not_run_again(programs, server_env, tmp_path, how):
    """The server goes away while it runs a command (killed; or it found its code changed and
    leaves): the command goes on and its status reaches the client, which does not run it a
    second time (it used to: two links of one output at once, a program's effects twice)."""
    from xld.link import client
    path_dir = tmp_path / "pypath"
    path_dir.mkdir()
    env = dict(server_env, PYTHONPATH=str(path_dir))
    exe = programs["waiter", "arm64"]
    lean(["run", exe], env, tmp_path, input=b"")                  # starts the server
    sock = wait_for_socket(env)
    pid = int(Path(str(sock) + ".lock").read_text())
    p = subprocess.Popen([*client.lean_argv(sys.executable), "run", str(exe)], env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert p.stdout.readline() == b"ready\n"
        if how == "killed":
            os.kill(pid, signal.SIGKILL)
        else:
            (path_dir / "new.pth").write_text("")
            other = lean(["run", programs["cat", "arm64"]], env, tmp_path, input=b"x")
            assert other.returncode == 7               # declined: the full command ran it
        p.stdin.close()
        out, err = p.stdout.read(), p.stderr.read()
        p.wait(timeout=120)
    finally:
        p.kill()
        p.wait()
    assert (p.returncode, out, err) == (9, b"", b"")           # "ready" once: one run
    if how == "stale":                         # it left once its command ended, and its socket
        # went at once (a fresh server may have bound anew)
        wait_until(lambda: process_gone(pid), "the stale server did not leave")


def test_the_client_talks_to_no_listener_of_another_user(programs, server_env, tmp_path, monkeypatch):
    """A listener at the expected name that is not this user's process (a race on a directory
    above the socket's, or root's doing): the client closes without sending anything (it would
    send its environment) and runs the full command."""
    from xld.link import client
    import threading
    listener, path = listener_at_the_socket(server_env)
    with monkeypatch.context() as m:           # as if the listener were another user's
        m.setattr(client.os, "getuid", lambda: 4242)     # (posix's: the client's os)
        assert client.connect(str(path)) is None
    assert client.connect(str(path)) is not None
    listener.accept()[0].close()
    listener.close()
    path.unlink()
    if os.getuid() != 0:
        return
    # as root: a listener of another uid for real (SO_PEERCRED has the listen()er's)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    bind(listener, path)
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(done_w)
            os.setuid(65534)
            listener.listen(8)
            os.write(ready_w, b"x")
            os.read(done_r, 1)
        finally:
            os._exit(0)
    seen = []
    try:
        assert os.read(ready_r, 1) == b"x"

        def rogue():
            conn, _ = listener.accept()
            seen.append(conn.recv(1 << 16))
            conn.close()
        t = threading.Thread(target=rogue, daemon=True)
        t.start()
        exe = programs["cat", "arm64"]
        got = lean(["run", exe, "q"], dict(server_env, XLD_SERVER_IDLE="1"), tmp_path, input=b"in")
        t.join(60)
    finally:
        os.close(done_w)
        os.waitpid(pid, 0)
        for fd in (ready_r, ready_w, done_r):
            os.close(fd)
        listener.close()
    assert (got.returncode, got.stdout) == (7, b"inargc=2 argv1=q total=2\n")
    assert seen == [b""]                       # connected, and nothing sent


def test_a_signal_the_client_ignores_is_not_forwarded(programs, server_env, tmp_path):
    """nohup (SIGHUP ignored), a shell's background job (SIGINT ignored): the full command
    inherits the ignoring; the served command must not get the signal either.  SIGHUP, then
    SIGTERM: 143 (SIGTERM's), not killed by SIGHUP."""
    from xld.link import client
    exe = programs["waiter", "riscv64"]
    lean(["run", exe], server_env, tmp_path, input=b"")          # starts the server
    wait_for_socket(server_env)

    def ignoring():
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    statuses = {}
    for name, env in (("alone", dict(server_env, XLD_SERVER="0")), ("served", server_env)):
        p = subprocess.Popen([*client.lean_argv(sys.executable), "run", str(exe)], env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=ignoring)
        assert p.stdout.readline() == b"ready\n"
        p.send_signal(signal.SIGHUP)
        p.send_signal(signal.SIGTERM)
        statuses[name] = p.wait(timeout=60)
        for f in (p.stdin, p.stdout, p.stderr):
            f.close()
    assert statuses == {"alone": 143, "served": 143}
    assert len(served(server_env)) == 1 and "status=143" in served(server_env)[0]


def test_the_lean_client_sends_the_limits_getrlimit_gives_without_loading_modules():
    """The client reads its limits from /proc/self/limits (no shared library to load for
    ``resource``; none for ``_struct`` either): the same numbers as getrlimit, set or not.  It
    does not import ``os`` either (1.5 ms of its start): ``posix`` has what it needs."""
    import resource
    from xld.link import client

    def lowered():
        resource.setrlimit(resource.RLIMIT_NOFILE, (100, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 30, resource.RLIM_INFINITY))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 4096))
    probe = ("import sys; sys.path.append(sys.argv[1]); import client, resource; "
             "print(client.limits() == {n: resource.getrlimit(getattr(resource, n)) for n in client.LIMITS})")
    for pre in (None, lowered):
        p = subprocess.run([sys.executable, "-I", "-S", "-c", probe, client.PACKAGE_DIR],
                           capture_output=True, preexec_fn=pre, check=True)
        assert p.stdout == b"True\n", p.stderr
    lean_only = ("import sys; sys.path.append(sys.argv[1]); import client; client.request(['-v'], 'k'); "
                 "client.key_name(client.key_text(sys.executable, sys.version, client.PACKAGE_DIR, "
                 "client.environment())); client.socket_dir(); client.enabled(); "
                 "print(sorted({'resource', '_struct', '_sha256', '_hashlib', 'os', '_collections_abc'} "
                 "& set(sys.modules)))")
    p = subprocess.run([sys.executable, "-I", "-S", "-c", lean_only, client.PACKAGE_DIR],
                       capture_output=True, check=True)
    assert p.stdout == b"[]\n", p.stderr


def test_installations_have_sockets_of_their_own():
    """The socket's name is a checksum of the installation key: the same key, the same name;
    keys that differ anywhere (one byte, one more at the end), other names."""
    from xld.link import client
    key = client.key_text(sys.executable, sys.version, client.PACKAGE_DIR, {"HOME": "/h", "PYTHONPATH": "/p"})
    names = {client.key_name(key), client.key_name(key + "\0"), client.key_name("\0" + key),
             client.key_name(key.replace("/h", "/i")), client.key_name(key[:-1])}
    assert len(names) == 5 and client.key_name(key) == client.key_name(str(key))
    # bytes swapped 127 apart (the same weight modulo 2^127 - 1): other names too
    envs = [{"HOME": "/h", "PYTHONX": a + "x" * 126 + b} for a, b in ("ab", "ba")]
    swapped = [client.key_text(sys.executable, sys.version, client.PACKAGE_DIR, e) for e in envs]
    assert swapped[0] != swapped[1] and client.key_name(swapped[0]) != client.key_name(swapped[1])
    assert all(len(n) == 24 and int(n, 16) >= 0 for n in names)


def test_a_command_taken_is_not_run_again_when_stderr_is_gone(server_env, tmp_path):
    """The server takes the command (R) and goes away; the client's message about the lost
    status meets a closed stderr (EPIPE): the client still ends with status 1, and does not
    run the command itself (a link twice, a program's side effects twice)."""
    import threading
    listener, path = listener_at_the_socket(server_env)

    def taker():
        conn, _ = listener.accept()
        conn.settimeout(60)
        head = conn.recv(8)
        size = int.from_bytes(head, "little")
        body = b""
        while len(body) < size:
            chunk = conn.recv(size - len(body))
            if not chunk:
                break
            body += chunk
        conn.sendall(b"R" + bytes(4))           # taken; then gone without a status
        conn.close()
    t = threading.Thread(target=taker, daemon=True)
    t.start()
    from xld.link import client
    p = subprocess.Popen([*client.lean_argv(sys.executable), "ld", "--version"], env=server_env, cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stderr.close()                            # the message will meet a closed pipe
    out, _ = p.communicate(timeout=120)
    t.join(60)
    listener.close()
    path.unlink()
    assert p.returncode == 1
    assert out == b""                           # `xld --version` (the full command) did not run
