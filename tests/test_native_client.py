"""The compiled lean client (link/client.c): what ``xld install-ld-wrapper DIR`` writes as DIR/ld
when the host has a C compiler.  It must send the server what the Python client
(link/client.py) sends, byte for byte, and hand every other case to that client or to the full
command, so that a link ends exactly as it would through the sh wrapper.

Each test has its own socket directory and server log (tests/test_server.py's fixtures)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests import toolchain as tc
from tests.test_lean_client import HELLO, bind, shadow_packages
from tests.test_server import served, server_env, wait_for_socket  # noqa: F401  (a fixture)


def install(d: Path, *opts: str, env=None) -> Path:
    p = subprocess.run([sys.executable, "-m", "xld.link", "install-ld-wrapper", *opts, str(d)],
                       capture_output=True, env=env or dict(os.environ, XLD_SERVER="0"), check=True)
    assert p.stderr == b""
    return Path(p.stdout.decode().strip())


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    """DIR with the compiled client as DIR/ld (the host compiler is a test tool)."""
    tc.require("cc")
    d = tmp_path_factory.mktemp("native")
    ld = install(d)
    assert ld.read_bytes()[:4] == b"\x7fELF" and (d / "xld-run").read_bytes()[:4] == b"\x7fELF"
    return d


@pytest.fixture(scope="module")
def hello_obj(tmp_path_factory):
    d = tmp_path_factory.mktemp("native-objs")
    (d / "hello.c").write_text(HELLO)
    return tc.compiler("gcc", "arm64").compile(d / "hello.c", d / "hello.o")


def requests_seen(env, cwd, commands, key_env=None) -> list[bytes]:
    """Each command run against a listener at the server's socket that reads the request and
    closes unanswered (so the command then runs as the full command would): the first request
    each command sent, its status, stdout and stderr.  (``key_env``: the environment as Python
    sees it, where ``env`` has a name twice.)"""
    import socket
    from xld.link import client
    d = Path(env["XLD_SERVER_DIR"]) / f"xld-{os.getuid()}"
    d.mkdir(mode=0o700, exist_ok=True)
    key = client.key_text(sys.executable, sys.version, client.PACKAGE_DIR, key_env or env)
    path = d / (client.key_name(key) + ".sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    bind(listener, path)
    listener.listen(8)
    got: list[bytes] = []

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(30)
                head = conn.recv(8)
                if len(head) == 8:
                    n, body = int.from_bytes(head, "little"), b""
                    while len(body) < n:
                        chunk = conn.recv(n - len(body))
                        if not chunk:
                            break
                        body += chunk
                    got.append(body)
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    firsts = []
    try:
        for cmd in commands:
            before = len(got)
            p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, timeout=120)
            firsts.append((got[before] if len(got) > before else None, p.returncode, p.stdout, p.stderr))
    finally:
        listener.close()
        path.unlink()
    return firsts


@pytest.mark.parametrize("extra", [{}, {"PYTHONXLD": "z=1", "PYTHONNOUSERSITE": "1", "HOME": "/nowhere"},
                                   {"LANG": "C", "LC_ALL": ""}, {"LANG": None}, {"LC_ALL": "C"},
                                   {"LC_CTYPE": "C.UTF-8", "LANG": "C"}])
@pytest.mark.parametrize("kind", ["ld", "run"])
def test_the_native_client_sends_what_the_python_client_sends(native, server_env, tmp_path, extra, kind):
    """The same request bytes (installation key, umask, arguments, limits, environment): with
    this environment, with other PYTHON* variables and HOME, and under the C locale (which the
    Python client's interpreter coerces, PEP 538: it sets LC_CTYPE, and the client undoes it:
    both send the environment as given) or not (LC_ALL set)."""
    from xld.link import client
    env = {k: v for k, v in server_env.items() if k not in ("LC_ALL", "LC_CTYPE")}
    env.update(extra)
    env = {k: v for k, v in env.items() if v is not None}
    args = ["--version", "-o", "x y", "ärger"]
    python_cmd = [*client.lean_argv(sys.executable), kind, *args]
    native_cmd = [str(native / {"ld": "ld", "run": "xld-run"}[kind]), *args]
    py, nat = requests_seen(env, tmp_path, [python_cmd, native_cmd])
    assert py[0] is not None and py[0].startswith(client.PROTOCOL + b"\0")
    assert nat == py and py[1] != 0 and b"xld: error:" in py[3]
    if "LC_CTYPE" not in extra:
        assert b"\0LC_CTYPE=" not in py[0]


def test_native_links_are_byte_identical_served_or_not(native, hello_obj, server_env, tmp_path):
    """gcc -B DIR with the compiled client: alone (XLD_SERVER=0), with no server yet (it runs
    the full command, which starts one), and served: the same program, map file, messages and
    status; an error too."""
    outs = {}
    gcc = tc.require("aarch64-linux-gnu-gcc")
    for name, env in (("alone", dict(server_env, XLD_SERVER="0")), ("first", server_env),
                      ("served", server_env)):
        d = tmp_path / name
        d.mkdir()
        shadow_packages(d)
        p = subprocess.run([gcc, "-B", str(native), str(hello_obj), "-Wl,-Map=out.map", "-o", "out"],
                           env=env, cwd=d, capture_output=True, timeout=120)
        assert p.returncode == 0, p.stderr
        if name == "first":
            wait_for_socket(server_env)
            assert served(server_env) == []
        bad = subprocess.run([gcc, "-B", str(native), str(hello_obj), "-Wl,missing.o", "-o", "bad"],
                             env=env, cwd=d, capture_output=True, timeout=120)
        outs[name] = ((d / "out").read_bytes(), (d / "out.map").read_bytes(),
                      bad.returncode, bad.stderr, (d / "bad").exists())
        if name == "alone":
            assert not list(Path(server_env["XLD_SERVER_DIR"]).rglob("*.sock"))
    assert outs["first"] == outs["alone"] and outs["served"] == outs["alone"]
    assert outs["alone"][2] == 1 and b"xld: error:" in outs["alone"][3] and not outs["alone"][4]
    assert [line.split()[2] for line in served(server_env)] == ["status=1", "status=0", "status=1"]
    r = tc.qemu_run("arm64", tmp_path / "served" / "out", ["x"], sysroot="/usr/aarch64-linux-gnu")
    assert (r.status, r.stdout) == (6, b"hello 2\n")


def test_the_native_client_forwards_signals(native, hello_obj, server_env, tmp_path):
    """SIGTERM to DIR/ld while the served link waits for its response file (a FIFO): the link's
    process gets it and the command ends as the full command does (killed by SIGTERM); nothing
    is written."""
    wait = tmp_path / "fifo"
    statuses = {}
    subprocess.run([native / "ld", "--version"], env=server_env, capture_output=True, check=True)
    wait_for_socket(server_env)
    for name, env in (("alone", dict(server_env, XLD_SERVER="0")), ("served", server_env)):
        os.mkfifo(wait)
        p = subprocess.Popen([native / "ld", "-m", "aarch64linux", hello_obj, f"@{wait}", "-o", "out"],
                             env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        writer = -1
        for _ in range(1200):           # until the link opened the FIFO (then it waits to read)
            try:
                writer = os.open(wait, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:
                time.sleep(0.05)
        assert writer >= 0 and p.poll() is None
        p.send_signal(signal.SIGTERM)
        statuses[name] = p.wait(timeout=60)
        os.close(writer)
        p.stdout.close()
        p.stderr.close()
        wait.unlink()
        assert not (tmp_path / "out").exists()
    assert statuses == {"alone": -signal.SIGTERM, "served": -signal.SIGTERM}
    log = served(server_env)
    assert len(log) == 1 and "status=-15" in log[0]


def test_without_a_compiler_or_with_sh_the_wrapper_is_sh(tmp_path):
    """No host compiler on PATH, or --sh: DIR/ld is the sh wrapper of the Python client."""
    env = dict(os.environ, XLD_SERVER="0", PATH="/nonexistent")
    for d, opts in ((tmp_path / "nocc", ()), (tmp_path / "sh", ("--sh",))):
        ld = install(d, *opts, env=env if not opts else None)
        assert ld.read_text().startswith("#!/bin/sh") and "from client import lean_main" in ld.read_text()


def test_the_native_client_hands_odd_environments_to_the_python_client(native, server_env, tmp_path):
    """XLD_SERVER=0: straight to the full command (no connection); an environment the native
    client does not spell as Python would (a non-ASCII PYTHON* value): the Python client's
    request, sent by that client."""
    from xld.link import client
    env = dict(server_env, PYTHONXLD="ä")
    py, nat = requests_seen(env, tmp_path, [[*client.lean_argv(sys.executable), "ld", "--version"],
                                            [str(native / "ld"), "--version"]])
    assert py[0] is not None and nat == py and py[1] == 0
    off = requests_seen(dict(server_env, XLD_SERVER="0"), tmp_path, [[str(native / "ld"), "--version"]])
    assert off[0][0] is None and off[0][1:] == py[1:]


def test_native_xld_run_is_served_with_the_program_status(native, server_env, tmp_path):
    """DIR/xld-run PROG ARGS: `xld run`, served, with the program's output and status, as the
    full command gives them."""
    (tmp_path / "hello.c").write_text(HELLO)
    exe = tmp_path / "hello"
    subprocess.run([tc.require("aarch64-linux-gnu-gcc"), "-static", str(tmp_path / "hello.c"), "-o", str(exe)],
                   check=True)
    runs = [subprocess.run([native / "xld-run", exe, "a", "b"], env=env, capture_output=True, timeout=120)
            for env in (dict(server_env, XLD_SERVER="0"), server_env)]
    wait_for_socket(server_env)
    runs.append(subprocess.run([native / "xld-run", exe, "a", "b"], env=server_env, capture_output=True,
                               timeout=120))
    assert {(p.returncode, p.stdout, p.stderr) for p in runs} == {(7, b"hello 3\n", b"")}
    log = served(server_env)
    assert len(log) == 1 and "'run'" in log[0] and "status=7" in log[0]


def test_the_native_client_sends_limits_of_2_63_and_above_as_python_does(native, server_env, tmp_path):
    """A limit of 2^63 or more (not RLIM_INFINITY) is an unsigned number in /proc/self/limits,
    which the Python client reads: the native client sends that number too, not a negative one
    (rlim_t taken as signed)."""
    from xld.link import client
    prlimit = tc.require("prlimit")
    pre = [prlimit, f"--core={1 << 63}:"]
    py, nat = requests_seen(server_env, tmp_path, [[*pre, *client.lean_argv(sys.executable), "ld", "--version"],
                                                   [*pre, str(native / "ld"), "--version"]])
    assert py[0] is not None and f"\0RLIMIT_CORE={1 << 63},".encode() in py[0]
    assert nat == py


@pytest.mark.parametrize("twice", [False, True])
def test_the_native_client_takes_a_large_environment(native, server_env, tmp_path, twice):
    """20000 variables (a name twice, or not): the Python client's request, byte for byte (the
    native client's own, or the Python client's when a name is there twice).  (The names are
    checked for repeats by sorting: a check of each name against all before it took 15 s of
    CPU at 80000 variables; how long it takes is the benchmarks' business, not this test's.)"""
    from xld.link import client
    env = dict(server_env, **{f"XLDFILL{i}": "1" for i in range(20000)})
    key_env = dict(env)
    if twice:
        env[b"XLDFILL7"] = b"2"            # (a bytes name: a second entry of the same name)
    py, nat = requests_seen(env, tmp_path, [[*client.lean_argv(sys.executable), "ld", "--version"],
                                            [str(native / "ld"), "--version"]], key_env=key_env)
    assert py[0] is not None and py[1] == 0 and nat == py
    assert (b"\0XLDFILL7=2" in py[0]) is False and b"\0XLDFILL7=1" in py[0]


def test_the_native_client_has_no_option_of_its_own(native, tmp_path):
    """``--xld-native-client-key`` (how the installer asks for the key) is no option of DIR/ld:
    an unknown argument, as it is for xld; DIR/xld-run runs a program of that name."""
    env = dict(os.environ, XLD_SERVER="0")
    xld = subprocess.run([sys.executable, "-m", "xld.link", "--xld-native-client-key"], env=env,
                         capture_output=True, cwd=tmp_path)
    ld = subprocess.run([native / "ld", "--xld-native-client-key"], env=env, capture_output=True, cwd=tmp_path)
    assert xld.returncode == 1 and b"xld: error:" in xld.stderr
    assert (ld.returncode, ld.stdout, ld.stderr) == (xld.returncode, xld.stdout, xld.stderr)
    run = subprocess.run([native / "xld-run", "--xld-native-client-key"], env=env, capture_output=True,
                         cwd=tmp_path)
    full = subprocess.run([sys.executable, "-m", "xld.link", "run", "--xld-native-client-key"], env=env,
                          capture_output=True, cwd=tmp_path)
    assert (run.returncode, run.stdout, run.stderr) == (full.returncode, full.stdout, full.stderr)
    assert full.returncode != 0 and b"--xld-native-client-key" in full.stderr


@pytest.mark.parametrize("opts", [(), ("--sh",)])
def test_an_install_writes_no_name_another_install_writes(tmp_path, opts):
    """Two installs into one DIR at a time: neither writes over the other's file in the making
    (DIR/ld.tmp was every install's: the sh text and the compiled program were written into one
    file, and one install renamed it into place while the other still wrote it).  Here the other
    install's file in the making is DIR/ld.tmp and DIR/xld-run.tmp: they stay as they are, and
    DIR holds the wrappers besides."""
    tc.require("cc")
    d = tmp_path / "d"
    d.mkdir()
    for name in ("ld", "xld-run"):
        (d / f"{name}.tmp").write_bytes(b"another install's " + name.encode())
    ld = install(d, *opts)
    for name in ("ld", "xld-run"):
        assert (d / f"{name}.tmp").read_bytes() == b"another install's " + name.encode()
        assert (d / name).read_bytes()[:4] == (b"#!/b" if opts else b"\x7fELF")
    assert sorted(p.name for p in d.iterdir()) == ["ld", "ld.tmp", "xld-run", "xld-run.tmp"]
    p = subprocess.run([ld, "--version"], env=dict(os.environ, XLD_SERVER="0"), capture_output=True)
    assert p.returncode == 0 and p.stdout.startswith(b"GNU ld (xld ")


def test_a_compiler_that_hangs_is_killed_with_what_it_started(tmp_path, monkeypatch):
    """A host compiler that does not finish (here a cc that starts a child, as gcc starts cc1,
    and waits for it): after the timeout the install keeps the sh wrappers, and nothing the
    compiler started is left running (its child outlived a kill of the compiler alone)."""
    from xld.tools import ld_wrapper
    bin_dir, d = tmp_path / "bin", tmp_path / "d"
    bin_dir.mkdir()
    d.mkdir()
    pid_file = tmp_path / "cc1.pid"
    (bin_dir / "cc").write_text(f"#!/bin/sh\nsleep 600 &\necho $! > '{pid_file}'\nwait\n")
    (bin_dir / "cc").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    assert ld_wrapper.native_clients(str(d), timeout=3) == []
    assert list(d.iterdir()) == []
    pid = int(pid_file.read_text())
    for _ in range(200):                # (killed: until its parent, init, has reaped it)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        if Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] == "Z":
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        raise AssertionError("the compiler's child still runs")


def test_the_native_xld_run_passes_the_descriptors_its_caller_left_open(native, server_env, tmp_path):
    """DIR/xld-run (link/client.c) sends the descriptors past 0-2 its caller left open as the
    Python client does (the same request, their numbers in it), and the served program sees
    what the full command's program sees (a file at 3, a caller's O_NONBLOCK pipe at 5, an
    O_APPEND file at 6), as under qemu-user."""
    from tests.test_server import run_with_descriptors
    from xld.link import client
    (tmp_path / "in.txt").write_bytes(b"x\n")
    redirect = ["sh", "-c", 'exec "$@" 3<in.txt 6>>app.txt', "sh"]
    py, nat = requests_seen(server_env, tmp_path, [[*redirect, *client.lean_argv(sys.executable), "run", "--version"],
                                                   [*redirect, str(native / "xld-run"), "--version"]])
    assert py[0] is not None and b"\x003,6\x00" in py[0]
    assert nat[0] == py[0]
    exe = tmp_path / "passfds"
    subprocess.run([tc.require("aarch64-linux-gnu-gcc"), "-static", "-O2",
                    str(Path(__file__).parent / "emu/progs/passfds.c"), "-o", str(exe)], check=True)
    full = run_with_descriptors([sys.executable, "-m", "xld.link", "run", str(exe)],
                                dict(server_env, XLD_SERVER="0"), tmp_path)
    assert full[0].startswith(b"0\n3: file") and b"5: fifo" in full[0] and full[1:] != (b"", b"old\n")
    first = run_with_descriptors([str(native / "xld-run"), str(exe)], server_env, tmp_path)
    wait_for_socket(server_env)
    again = run_with_descriptors([str(native / "xld-run"), str(exe)], server_env, tmp_path)
    assert first == again == full
    assert any("'run'" in line and "status=0" in line for line in served(server_env))
