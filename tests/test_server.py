"""The warm server (link/server.py): a link it serves is the link the command would make.

Each test uses its own socket directory (XLD_SERVER_DIR) and log (XLD_SERVER_LOG), so it sees
its own server start, serve and stop.  The command is ``python -m xld.link`` (the process entry
point, which forwards to the server)."""
from __future__ import annotations

import fcntl
import io
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import toolchain as tc

MAIN = r"""
#include <stdio.h>
extern int twice(int);
int main(int argc, char **argv) { printf("twice=%d\n", twice(argc + 20)); return 3; }
"""
LIB = "int twice(int x) { return 2 * x; }\n"


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    d = tmp_path_factory.mktemp("server-objs")
    (d / "main.c").write_text(MAIN)
    (d / "lib.c").write_text(LIB)
    cc = tc.compiler("gcc", "arm64")
    return [cc.compile(d / "main.c", d / "main.o"), cc.compile(d / "lib.c", d / "lib.o")]


@pytest.fixture
def server_env(tmp_path):
    base = tmp_path / "run"
    base.mkdir(mode=0o700)
    env = dict(os.environ, XLD_SERVER="1", XLD_SERVER_DIR=str(base),
               XLD_SERVER_LOG=str(tmp_path / "server.log"), XLD_SERVER_IDLE="60")
    yield env
    _stop(base)


def _stop(base: Path) -> None:
    for lock in base.glob("xld-*/*.lock"):
        text = lock.read_text().strip()
        if text.isdigit():
            try:
                os.kill(int(text), signal.SIGTERM)
            except ProcessLookupError:
                pass


def xld(args, env, cwd, timeout=120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xld.link", *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, timeout=timeout, **kw)


def gcc_link(objs, out, env, cwd, **kw) -> subprocess.CompletedProcess:
    """gcc's own static link line, with this Python's xld as its ld."""
    wrap = Path(cwd) / "bin"
    wrap.mkdir(exist_ok=True)
    (wrap / "ld").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m xld.link "$@"\n')
    (wrap / "ld").chmod(0o755)
    gcc = tc.require("aarch64-linux-gnu-gcc")
    return subprocess.run([gcc, "-static", "-B", str(wrap), *map(str, objs), "-o", str(out)],
                          env=env, cwd=cwd, capture_output=True, timeout=120, **kw)


def wait_for_socket(env) -> Path:
    """The first command starts the server in the background; wait until its socket is
    there, which it is only once it listens (a client that found it and was refused linked
    itself: the next command was not served)."""
    from xld.link import client
    base = Path(env["XLD_SERVER_DIR"])
    for _ in range(600):
        socks = list(base.glob("xld-*/*.sock"))
        if socks:
            s = client.connect(str(socks[0]))
            assert s is not None, "the server's socket is there but refuses"
            s.close()
            return socks[0]
        time.sleep(0.05)
    raise AssertionError("the server never started: " + repr(list(base.rglob("*"))))


def started_server(env, cwd) -> tuple[Path, int]:
    """A server started (by a command it does not serve): its socket and its pid."""
    xld(["--version"], env, cwd)
    sock = wait_for_socket(env)
    return sock, int(Path(str(sock) + ".lock").read_text())


def served(env) -> list[str]:
    log = Path(env["XLD_SERVER_LOG"])
    return log.read_text().splitlines() if log.exists() else []


def test_served_link_is_byte_identical(objects, server_env, tmp_path):
    """The same gcc link in-process, by a fresh server, and by a server that has the libraries
    parsed ahead (warm): the same program and map file."""
    runs = {}

    def link(name, env):
        d = tmp_path / name
        d.mkdir()
        p = gcc_link([*objects, "-Wl,-Map=out.map"], "out", env, d)
        assert p.returncode == 0, p.stderr
        runs[name] = ((d / "out").read_bytes(), (d / "out.map").read_bytes())

    link("in-process", dict(server_env, XLD_SERVER="0"))
    assert not list(Path(server_env["XLD_SERVER_DIR"]).rglob("*.sock"))   # XLD_SERVER=0: none
    link("first", server_env)                   # in-process, and starts a server
    wait_for_socket(server_env)
    link("served", server_env)
    # the server parses the libraries ahead after a link; a link that comes before that is
    # done (a spare forked earlier, on a loaded machine) is served cold: link again until one
    # is served warm (a bound that only turns a hang into a failure, not a timed assertion)
    for k in range(60):
        link(f"warm{k}", server_env)
        assert runs[f"warm{k}"] == runs["in-process"]
        if "warm=8" in served(server_env)[-1]:
            break
    log = served(server_env)
    assert len(log) == 2 + k and all("status=0" in line for line in log)
    # libgcc.a, libgcc_eh.a, libc.a; and gcc's startup objects (crt1.o, crti.o, crtbeginT.o,
    # crtend.o, crtn.o: in the library directories), not the program's own
    assert "warm=0" in log[0] and "warm=8" in log[-1]
    assert runs["first"] == runs["in-process"]
    assert runs["served"] == runs["in-process"]
    r = tc.qemu_run("arm64", tmp_path / f"warm{k}" / "out", ["a", "b"])
    assert (r.status, r.stdout) == (3, b"twice=46\n")


def test_served_link_keeps_cwd_umask_stdout_and_status(objects, server_env, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    for o in objects:
        (work / o.name).write_bytes(o.read_bytes())
    xld(["--version"], server_env, work)
    wait_for_socket(server_env)

    # relative paths are the client's; the output's mode follows the client's umask
    p = xld(["--arch", "arm64", "-e", "twice", "lib.o", "-o", "out"], server_env, work,
            preexec_fn=lambda: os.umask(0o077))
    assert p.returncode == 0, p.stderr
    assert (work / "out").stat().st_mode & 0o777 == 0o700
    # `-o -` writes the program to the client's stdout
    p = xld(["--arch", "arm64", "-e", "twice", "lib.o", "-o", "-", "--stats"], server_env, work)
    assert p.returncode == 0 and p.stdout == (work / "out").read_bytes()
    assert b"ms server CPU" in p.stderr         # --stats says what the server's child used
    # an error: the status, the message on the client's stderr, no output file
    p = xld(["--arch", "arm64", "-e", "main", "main.o", "-o", "bad"], server_env, work)
    assert p.returncode == 1
    assert b"xld: error: undefined symbol: twice" in p.stderr
    assert not (work / "bad").exists()
    assert len(served(server_env)) == 3


def test_a_directory_others_can_enter_is_not_used(tmp_path, monkeypatch):
    from xld.link import client
    base = tmp_path / "open"
    base.mkdir()
    mine = base / f"xld-{os.getuid()}"
    mine.mkdir()
    monkeypatch.setenv("XLD_SERVER_DIR", str(base))
    os.chmod(mine, 0o700)
    assert client.socket_dir() == str(mine)
    os.chmod(mine, 0o755)                      # others may enter: no server, link in-process
    assert client.socket_dir() is None
    os.chmod(mine, 0o700)
    os.symlink(mine, base / "elsewhere")
    os.rename(mine, base / "real")
    os.symlink(base / "real", mine)            # a symlink, even to a private directory: no
    assert client.socket_dir() is None


def test_a_server_declines_when_its_code_changed_or_limits_are_above_its_own(tmp_path):
    import resource
    from xld.link import server
    f = tmp_path / "mod.py"
    f.write_text("x = 1\n")
    files = {str(f): (f.stat().st_mtime_ns, f.stat().st_size)}
    assert not server.stale(files)
    f.write_text("x = 22\n")
    assert server.stale(files)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    body = b"\0".join([server.PROTOCOL, b"key", b"18", b"", b"1", b"-v", b"1",
                       f"RLIMIT_NOFILE={soft},{hard}".encode(), b"A=1"])
    req = server.Request(None, [-1, -1, -1, -1], body)
    assert req.argv == ["-v"] and req.env == {b"A": b"1"} and req.umask == 18 and req.key == b"key"
    assert req.limits_allowed()
    if hard != resource.RLIM_INFINITY:
        req.limits["RLIMIT_NOFILE"] = (soft, hard + 1)
        assert not req.limits_allowed()


def test_the_server_leaves_when_idle(objects, server_env, tmp_path):
    env = dict(server_env, XLD_SERVER_IDLE="0.2")
    xld(["--version"], env, tmp_path)
    sock = wait_for_socket(env)
    pid = int(next(sock.parent.glob("*.lock")).read_text())
    wait_until(lambda: not sock.exists(), "the idle server kept its socket")   # it takes it along
    wait_until(lambda: process_gone(pid), "the idle server is still running")


def test_a_changed_library_is_read_afresh(tmp_path):
    """The warm cache finds a library by its identity (device, inode, size, times): a rebuilt
    archive is parsed again, and the cached copy is not used."""
    from xld.link import input as inp
    from xld.link import server
    cc = tc.compiler("gcc", "arm64")
    (tmp_path / "a.c").write_text("int f(void) { return 1; }\n")
    obj = cc.compile(tmp_path / "a.c", tmp_path / "a.o")
    tc.archive("arm64", [obj], tmp_path / "liba.a")
    saved = dict(inp.warm_inputs)
    try:
        inp.warm_inputs.clear()
        ar = inp.open_input(str(tmp_path / "liba.a"))
        pos = next(iter(ar.members))
        server.warm_up_library("liba.a", str(tmp_path), [pos])
        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            warm = inp.open_input("liba.a")
            assert warm.parsed and warm.path == "liba.a"
            again = inp.open_input("liba.a")       # each one is taken once; named again in
            assert again is not warm                # the link: the same parse, state afresh
            assert not again.parsed and not again.loaded and again.symbols is warm.symbols
            server.warm_up_library("liba.a", str(tmp_path), [pos])
            time.sleep(0.01)
            tc.archive("arm64", [obj, obj], tmp_path / "liba.a")
            fresh = inp.open_input("liba.a")
            assert not fresh.parsed
        finally:
            os.chdir(cwd)
    finally:
        inp.warm_inputs.clear()
        inp.warm_inputs.update(saved)
        inp.warm_taken.clear()


def test_a_startup_object_is_taken_from_the_server_once_and_as_it_is(tmp_path):
    """An object the command line names in a library directory (gcc's crt1.o ...) is taken
    as the server parsed it ahead, once a link; named again, it is read afresh; one that is
    not in a library directory, or that changed since, is read as always."""
    from xld.link import input as inp
    from xld.link import server
    cc = tc.compiler("gcc", "arm64")
    (tmp_path / "a.c").write_text("int f(void) { return 1; }\n")
    obj = str(cc.compile(tmp_path / "a.c", tmp_path / "a.o"))
    saved, recorded = dict(inp.warm_inputs), inp.recorded_inputs
    try:
        inp.warm_inputs.clear()
        inp.recorded_inputs = None
        server.warm_up_library(obj, str(tmp_path), [])
        lib_dirs = {str(tmp_path)}
        assert inp.startup_object(obj, set()) is None                 # not in a library directory
        warm = inp.startup_object(obj, lib_dirs)
        assert isinstance(warm, inp.ObjectFile) and warm.name == obj
        assert "_classes" in warm.__dict__                            # (prepared ahead)
        assert inp.startup_object(obj, lib_dirs) is None              # taken: read it
        again = inp.open_input(obj)
        assert again is not warm and again.syms.tobytes() == warm.syms.tobytes()
        inp.warm_taken.clear()
        server.warm_up_library(obj, str(tmp_path), [])
        time.sleep(0.01)
        cc.compile(tmp_path / "a.c", tmp_path / "a.o")                 # rebuilt: another identity
        assert inp.startup_object(obj, lib_dirs) is None
        inp.recorded_inputs = []
        inp.startup_object(obj, lib_dirs)
        assert inp.library_uses() == [(obj, [])]                      # told to the server
    finally:
        inp.warm_inputs.clear()
        inp.warm_inputs.update(saved)
        inp.warm_taken.clear()
        inp.recorded_inputs = recorded


def test_a_script_input_is_parsed_ahead_by_its_identity(tmp_path, monkeypatch):
    """A script given as an input (libc.so's GROUP) that a served link read is told to the
    server, which keeps it parsed ahead, by the file's identity, as it keeps libraries: the
    next link takes that parse (it parses nothing) and links what it would have linked; named
    again, the same; a script that INCLUDEs (what it finds depends on the link's -L) is kept
    unparsed; a rewritten one is read afresh."""
    from xld.link import driver, options, script
    from xld.link import input as inp
    from xld.link import server
    cc = tc.compiler("gcc", "arm64")
    (tmp_path / "a.c").write_text("int f(void) { return 1; }\n")
    (tmp_path / "m.c").write_text("int f(void);\nint start(void) { return f(); }\n")
    tc.archive("arm64", [cc.compile(tmp_path / "a.c", tmp_path / "a.o")], tmp_path / "liba.a")
    main = str(cc.compile(tmp_path / "m.c", tmp_path / "m.o"))
    (tmp_path / "libs.so").write_text("/* as libc.so */\nGROUP ( liba.a AS_NEEDED ( liba.a ) )\n")
    (tmp_path / "inc.so").write_text("INCLUDE libs.so\n")
    saved, recorded = dict(inp.warm_inputs), inp.recorded_inputs
    cwd = os.getcwd()

    def link(out: str) -> bytes:
        driver.link(options.parse(["--arch", "arm64", "-static", "-e", "start", "-o", out, main,
                                   "libs.so", "-L.", "libs.so"]))
        return (tmp_path / out).read_bytes()
    try:
        os.chdir(tmp_path)
        inp.warm_inputs.clear()
        inp.warm_taken.clear()
        inp.recorded_inputs = []
        cold = link("cold")
        uses = inp.library_uses()
        assert uses[0] == ("libs.so", []) and uses[1][0] == "liba.a"          # told to the server
        inp.recorded_inputs = None
        for name in ("libs.so", "inc.so"):
            server.warm_up_library(name, str(tmp_path), [])
        held = inp.warm_inputs[inp.warm_key("libs.so", str(tmp_path))]
        assert held[:3] == ("script", "libs.so", (tmp_path / "libs.so").read_bytes())
        assert held[3] == script.Parser(held[2].decode(), "libs.so").parse()
        assert len(inp.warm_inputs[inp.warm_key("inc.so", str(tmp_path))]) == 3
        with monkeypatch.context() as m:
            m.setattr(script, "Parser", None)              # the link parses nothing
            assert link("warm") == cold
        assert inp.open_input("libs.so") is held           # named again: the same
        inp.warm_taken.clear()
        server.warm_up_library("libs.so", str(tmp_path), [])
        time.sleep(0.01)
        (tmp_path / "libs.so").write_text("GROUP ( liba.a )\n")
        assert inp.open_input("libs.so") == ("script", "libs.so", b"GROUP ( liba.a )\n")
    finally:
        os.chdir(cwd)
        inp.warm_inputs.clear()
        inp.warm_inputs.update(saved)
        inp.warm_taken.clear()
        inp.recorded_inputs = recorded


def test_a_library_no_recent_link_read_is_dropped(tmp_path):
    """The server keeps a library parsed ahead while one of the last two links that read
    libraries read it (server.forget_unread), then drops it: every child it forks inherits
    what it holds.  A rebuilt archive's earlier parse goes the same way; after a link that
    read none of them but same-named libraries (another directory's liba.a), all go at once;
    after one that read an unrelated library alone, the two-link rule holds."""
    from xld.link import input as inp
    from xld.link import server
    from xld.link import layout
    cc = tc.compiler("gcc", "arm64")
    objs = {}
    for n in "ab":
        (tmp_path / f"{n}.c").write_text(f"int {n}(void) {{ return 1; }}\n")
        objs[n] = cc.compile(tmp_path / f"{n}.c", tmp_path / f"{n}.o")
        tc.archive("arm64", [objs[n]], tmp_path / f"lib{n}.a")
    saved, idle = dict(inp.warm_inputs), dict(inp.warm_idle)

    def link(*names) -> bool:       # what the server does after a link that read ``names``
        dropped = server.forget_unread({inp.warm_key(n, str(tmp_path)) for n in names})
        for n in names:
            server.warm_up_library(n, str(tmp_path), [])
        return dropped

    def warm() -> list[str]:
        return sorted(k[0] for k in inp.warm_inputs)

    try:
        inp.warm_inputs.clear()
        inp.warm_idle.clear()
        assert not link("liba.a", "libb.a") and warm() == ["liba.a", "libb.a"]
        assert not link("liba.a") and warm() == ["liba.a", "libb.a"]    # libb.a: one link ago
        assert link("liba.a") and warm() == ["liba.a"]                   # two links ago: gone
        # a link that read none of those parsed ahead but a library of the same name (another
        # machine's, another toolchain's): they go at once, before its own are parsed (which
        # would otherwise be spread among theirs in CPython's arenas), with the caches their
        # names fill; an unrelated library alone (a -nostdlib link of a project's archive) does
        # not make them go at once
        assert not link("libb.a") and warm() == ["liba.a", "libb.a"]
        (tmp_path / "other").mkdir()
        tc.archive("arm64", [objs["b"]], tmp_path / "other" / "liba.a")
        layout._ALLOC_NAME["a.section.test"] = None
        assert link("other/liba.a") and warm() == ["other/liba.a"]
        assert "a.section.test" not in layout._ALLOC_NAME
        assert link("liba.a", "libb.a") and warm() == ["liba.a", "libb.a"]
        old = inp.warm_key("liba.a", str(tmp_path))
        time.sleep(0.01)
        tc.archive("arm64", [objs["a"], objs["b"]], tmp_path / "liba.a")
        new = inp.warm_key("liba.a", str(tmp_path))
        assert new != old
        assert not link("liba.a", "libb.a") and set(inp.warm_inputs) == {old, new, inp.warm_key("libb.a", str(tmp_path))}
        assert link("liba.a", "libb.a") and set(inp.warm_inputs) == {new, inp.warm_key("libb.a", str(tmp_path))}
        assert set(inp.warm_idle) == set(inp.warm_inputs)
    finally:
        inp.warm_inputs.clear()
        inp.warm_inputs.update(saved)
        inp.warm_idle.clear()
        inp.warm_idle.update(idle)


def test_a_served_dynamic_link_reads_each_library_once(objects, server_env, tmp_path):
    """gcc's dynamic link line names libgcc.a and libgcc_s.so twice, and libc.so's GROUP
    names libraries that are opened to see whether they are scripts, then read: a warm link
    takes every one of those opens from the libraries parsed ahead, and writes the same
    program as an in-process link."""
    wrap = tmp_path / "bin"
    wrap.mkdir()
    (wrap / "ld").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m xld.link "$@"\n')
    (wrap / "ld").chmod(0o755)
    gcc = tc.require("aarch64-linux-gnu-gcc")
    runs = {}

    def link(name, env):
        p = subprocess.run([gcc, "-B", str(wrap), *map(str, objects), "-o", str(tmp_path / name)],
                           env=env, capture_output=True, timeout=120)
        assert p.returncode == 0, p.stderr
        runs[name] = (tmp_path / name).read_bytes()

    link("in-process", dict(server_env, XLD_SERVER="0"))
    link("first", server_env)
    wait_for_socket(server_env)
    link("served", server_env)
    # (the libraries are parsed ahead after a link: a link that comes first, on a loaded
    # machine, is served cold by a spare forked earlier; linked again until one is warm, as
    # test_served_link_is_byte_identical does: a bound, not a timed assertion)
    for k in range(60):
        link("warm", server_env)
        assert runs["warm"] == runs["in-process"]
        if "warm=0 " not in served(server_env)[-1]:
            break
    log = served(server_env)
    assert len(log) == 2 + k and all("status=0" in line for line in log)
    warm = int(log[-1].split("warm=")[1].split()[0])
    # five libraries (libgcc.a, libgcc_s.so.1, libc.so.6, libc_nonshared.a, ld-linux), each
    # opened more than once
    assert warm > 5, log[-1]
    assert runs["served"] == runs["warm"] == runs["in-process"]
    r = tc.qemu_run("arm64", tmp_path / "warm", ["a"], sysroot="/usr/aarch64-linux-gnu")
    assert (r.status, r.stdout) == (3, b"twice=44\n")


CAT = r"""
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
  char buf[256]; ssize_t n; long total = 0;
  while ((n = read(0, buf, sizeof buf)) > 0) { write(1, buf, n); total += n; }
  printf("argc=%d argv1=%s total=%ld\n", argc, argv[1], total);
  fprintf(stderr, "to stderr\n");
  return 7;
}
"""


def test_xld_run_through_the_server(server_env, tmp_path):
    """`xld run` is served too: the same stdin, stdout, stderr and exit status."""
    cc = tc.compiler("gcc", "arm64")
    (tmp_path / "cat.c").write_text(CAT)
    obj = cc.compile(tmp_path / "cat.c", tmp_path / "cat.o")
    gnu = tc.require("aarch64-linux-gnu-gcc")
    subprocess.run([gnu, "-static", str(obj), "-o", str(tmp_path / "cat")], check=True)

    def run(env):
        return xld(["run", tmp_path / "cat", "one", "two"], env, tmp_path, input=b"typed\n")
    alone = run(dict(server_env, XLD_SERVER="0"))
    assert (alone.returncode, alone.stdout) == (7, b"typed\nargc=3 argv1=one total=6\n")
    assert b"to stderr" in alone.stderr
    run(server_env)                              # starts the server
    wait_for_socket(server_env)
    served_run = run(server_env)
    assert (served_run.returncode, served_run.stdout, served_run.stderr) == \
        (alone.returncode, alone.stdout, alone.stderr)
    assert any("'run'" in line and "status=7" in line for line in served(server_env))


def test_a_served_command_in_a_removed_directory(server_env, tmp_path):
    """A working directory that was removed: the command ends as it does unserved (it used to
    fail after its work, when the child asked for its directory to tell the server its
    libraries)."""
    xld(["--version"], server_env, tmp_path)
    wait_for_socket(server_env)
    gone = tmp_path / "gone"
    gone.mkdir()

    def in_gone(env):
        return subprocess.run(f'cd "{gone}" && rmdir "{gone}" && exec "{sys.executable}" -m xld.link '
                              "--version", shell=True, env=env, capture_output=True, timeout=120)
    want = in_gone(dict(server_env, XLD_SERVER="0"))
    gone.mkdir()
    got = in_gone(server_env)
    assert (got.returncode, got.stdout, got.stderr) == (want.returncode, want.stdout, want.stderr)
    assert want.returncode == 0
    assert len(served(server_env)) == 1 and "status=0" in served(server_env)[0]


def test_exit_status_of_system_exit(capsys):
    """A served command that raises SystemExit ends as Python ends on it."""
    from xld.link import server
    assert server.exit_status(SystemExit(None)) == 0
    assert server.exit_status(SystemExit(3)) == 3
    assert server.exit_status(SystemExit("xld: gone")) == 1
    assert capsys.readouterr().err == "xld: gone\n"


@pytest.mark.parametrize("lang", ["C", "en_US.UTF-8"])
def test_a_path_that_is_not_utf8_prints_as_unserved(objects, server_env, tmp_path, lang):
    """An input named with a byte that is not UTF-8 is printed as it is (the map on stdout,
    -M), served or not, in the C locale and in a UTF-8 one: the served command stopped with an
    internal error (its stdout was strict), and so did the full command in en_US.UTF-8."""
    odd = os.fsencode(str(tmp_path)) + b"/m\xff.o"
    with open(odd, "wb") as f:
        f.write(objects[0].read_bytes())
    env = {k: v for k, v in server_env.items() if not k.startswith("LC_") and k not in ("LANG", "PYTHONUTF8")}
    env["LANG"] = lang
    args = [b"--arch", b"arm64", b"-e", b"main", b"--unresolved-symbols=ignore-all", b"-M",
            odd, os.fsencode(str(objects[1])), b"-o", b"out"]
    xld(["--version"], env, tmp_path)
    wait_for_socket(env)
    run = [os.fsencode(sys.executable), b"-m", b"xld.link", *args]
    want = subprocess.run(run, env=dict(env, XLD_SERVER="0"), cwd=tmp_path, capture_output=True, timeout=120)
    got = subprocess.run(run, env=env, cwd=tmp_path, capture_output=True, timeout=120)
    assert want.returncode == 0, want.stderr
    assert b"m\xff.o" in want.stdout
    assert (got.returncode, got.stdout, got.stderr) == (want.returncode, want.stdout, want.stderr)
    assert any("status=0" in line for line in served(env))


def test_a_socket_path_longer_than_sun_path_is_served(tmp_path):
    """A socket directory deeper than AF_UNIX's 108 bytes (a long XDG_RUNTIME_DIR; pytest-xdist's
    temporary directories): the server binds, and clients connect, through the directory's
    descriptor (/proc/self/fd/N/NAME); it never started before ("AF_UNIX path too long")."""
    base = tmp_path / ("d" * 60) / ("e" * 60)
    base.mkdir(parents=True, mode=0o700)
    env = dict(os.environ, XLD_SERVER="1", XLD_SERVER_DIR=str(base),
               XLD_SERVER_LOG=str(tmp_path / "server.log"), XLD_SERVER_IDLE="60")
    try:
        xld(["--version"], env, tmp_path)
        sock = wait_for_socket(env)
        assert len(os.fsencode(str(sock))) > 108
        for _ in range(100):                        # the socket appears as it binds
            p = xld(["--version"], env, tmp_path)
            assert p.returncode == 0, p.stderr
            if served(env):
                break
            time.sleep(0.1)
        assert served(env), "a command was never served"
    finally:
        _stop(base)


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid``."""
    kids = set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                kids.add(int(d))
    return kids


def wait_until(predicate, what: str):
    """predicate()'s first true value, polled; a failure saying ``what`` if none comes (a
    limit that only turns a hang into a failure)."""
    for _ in range(1200):
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(what)


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:                                   # a zombie of a server that has not reaped it yet
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return True


def test_a_spare_child_takes_one_command_and_leaves_with_the_server(objects, server_env, tmp_path):
    """The server keeps one child forked ahead (a spare): a command is run by it (the log's
    pid), a fresh spare takes its place for the next one, and the spare ends with the server:
    killed outright, or leaving because its code changed on disk (then it serves nothing)."""
    path_dir = tmp_path / "pypath"
    path_dir.mkdir()
    env = dict(server_env, PYTHONPATH=str(path_dir))
    work = tmp_path / "work"
    work.mkdir()
    sock, server = started_server(env, work)
    seen = set()

    def spares(pid):                             # its live children, none that ran a command
        kids = {k for k in _children(pid) if not process_gone(k)}
        return kids if kids.isdisjoint(seen) else set()
    for n in range(1, 4):
        spare = wait_until(lambda: spares(server), "no fresh spare")
        assert len(spare) == 1
        (spare,) = spare
        seen.add(spare)
        p = xld(["--arch", "arm64", "-e", "twice", objects[1], "-o", f"out{n}"], env, work)
        assert p.returncode == 0, p.stderr
        assert f"pid={spare} status=0" in served(env)[-1]
    assert (work / "out1").read_bytes() == (work / "out3").read_bytes()
    # the code changed: the command runs unserved, the server leaves, and its spare with it
    spare = wait_until(lambda: spares(server), "no fresh spare")
    (path_dir / "new.pth").write_text("")
    p = xld(["--arch", "arm64", "-e", "twice", objects[1], "-o", "out4"], env, work)
    assert p.returncode == 0 and len(served(env)) == 3
    assert (work / "out4").read_bytes() == (work / "out1").read_bytes()
    wait_until(lambda: all(process_gone(pid) for pid in (server, *spare)), "the stale server or its spare stayed")
    # a server killed outright: its spare sees it go and exits
    xld(["--version"], env, work)                      # (starts a fresh server)
    wait_until(lambda: Path(str(sock) + ".lock").read_text().strip() not in ("", str(server)), "no new server")
    fresh = int(Path(str(sock) + ".lock").read_text())
    spare = wait_until(lambda: spares(fresh), "no spare")
    os.kill(fresh, signal.SIGKILL)
    wait_until(lambda: all(process_gone(pid) for pid in spare), "the spare outlived its server")


WAITS = r"""
#include <unistd.h>
int main(void) { char c; return read(0, &c, 1) == 1 ? c - '0' : 9; }   /* waits for a byte */
"""


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one CPU: the spare waits for the command's end")
def test_the_next_spare_is_forked_while_a_command_runs(server_env, tmp_path):
    """With a CPU free of running commands, the spare for the next command is forked while a
    command runs, not after it ends (it copies its pages ahead once no command runs: the test
    below).  Here the
    command is an `xld run` waiting for its input: a fresh spare appears before it ends (none
    did before), takes the next command, and the first command still ends as it should."""
    (tmp_path / "waits.c").write_text(WAITS)
    subprocess.run([tc.require("aarch64-linux-gnu-gcc"), "-static", "-O2", str(tmp_path / "waits.c"), "-o",
                    str(tmp_path / "waits")], check=True)
    sock, server = started_server(server_env, tmp_path)
    (first,) = wait_until(lambda: {k for k in _children(server) if not process_gone(k)}, "no spare")
    waiting = subprocess.Popen([sys.executable, "-m", "xld.link", "run", str(tmp_path / "waits")],
                               env=server_env, cwd=tmp_path, stdin=subprocess.PIPE)
    try:
        spare = wait_until(lambda: {k for k in _children(server) if not process_gone(k)} - {first},
                           "no spare while a command runs")
        assert not process_gone(first)               # (the command's process: still waiting)
        assert waiting.poll() is None
        p = xld(["--version"], server_env, tmp_path)
        assert p.returncode == 0
        assert f"pid={min(spare)} status=0" in served(server_env)[-1]
    finally:
        waiting.communicate(b"3", timeout=60)
    assert waiting.returncode == 3
    assert any(f"pid={first} status=3" in line for line in served(server_env))


def _minor_faults(pid: int) -> int:
    """The process's minor page faults so far (a spare copying pages ahead makes one a page)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return -1
    return int(stat.rpartition(")")[2].split()[7])


def _settled(pid: int) -> int:
    """Its minor faults once they stop growing (a spare that copied and waits for its command)."""
    last = -2
    for _ in range(200):
        now = _minor_faults(pid)
        if now == last or now < 0:     # (-1: it is gone)
            return now
        last = now
        time.sleep(0.1)
    raise AssertionError(f"process {pid} never settled")


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one CPU: the spare waits for the command's end")
def test_a_spare_forked_while_a_command_runs_copies_ahead_after_it(objects, server_env, tmp_path):
    """A spare forked while a command runs copies the learnt pages ahead only once no command
    runs (Spare.release): copying at the same time took CPU and memory from the command (a
    served dynamic hello's wall 2-2.5 ms longer on 2 CPUs).  Here a link learns what it
    writes, then an `xld run` waits for its input: its spare stays held (it makes almost none
    of the page faults a copying spare makes) until the run ends, then copies."""
    (tmp_path / "waits.c").write_text(WAITS)
    subprocess.run([tc.require("aarch64-linux-gnu-gcc"), "-static", "-O2", str(tmp_path / "waits.c"), "-o",
                    str(tmp_path / "waits")], check=True)
    work = tmp_path / "work"
    work.mkdir()
    _, server = started_server(server_env, work)
    for n in range(2):                  # the first learns afresh; the spare after it copies
        wait_until(lambda: {k for k in _children(server) if not process_gone(k)}, "no spare")
        p = xld(["--arch", "arm64", "-e", "twice", objects[1], "-o", f"out{n}"], server_env, work)
        assert p.returncode == 0, p.stderr
    for _ in range(50):                 # (the last command's process may still be ending, and the
        first = wait_until(lambda: _spares(server), "no spare")   # spare come after it has:
        copied = _settled(max(first))   # what a spare that copies makes)
        if copied >= 0:
            break
    assert copied > 200, f"the first spare copied nothing ({copied} faults)"
    waiting = subprocess.Popen([sys.executable, "-m", "xld.link", "run", str(tmp_path / "waits")],
                               env=server_env, cwd=tmp_path, stdin=subprocess.PIPE)
    try:
        (spare,) = wait_until(lambda: _spares(server) - first, "no spare while a command runs")
        time.sleep(1.0)                 # (copying a small link's pages takes ~10 ms)
        held = _minor_faults(spare)
        assert 0 <= held < copied // 2, f"it copied while the command ran ({held} faults, {copied} a copy)"
    finally:
        waiting.communicate(b"3", timeout=60)
    assert waiting.returncode == 3
    wait_until(lambda: _minor_faults(spare) >= copied // 2, "the spare never copied")
    p = xld(["--arch", "arm64", "-e", "twice", objects[1], "-o", "out2"], server_env, work)
    assert p.returncode == 0, p.stderr
    assert f"pid={spare} status=0" in served(server_env)[-1]


def test_a_spare_looks_for_its_command_on_a_descriptor_past_1023():
    """A spare's looks for a command work whatever the descriptor's number: select(2) refused
    one past 1023 ("filedescriptor out of range in select()"), which a caller with many open
    files gives out (a pytest worker that had linked in process for a while did)."""
    import resource
    from xld.link import server
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"RLIMIT_NOFILE's hard limit is {hard}")
    if soft != resource.RLIM_INFINITY and soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1200, hard))
    r, w = os.pipe()
    high = fcntl.fcntl(r, fcntl.F_DUPFD_CLOEXEC, 1100)
    os.close(r)
    try:
        steps = server._Steps(high)
        steps.done(server.PREPARE_STEP)
        assert steps.came() is False and server._readable([high], 0) == []
        os.write(w, b"x")
        steps.done(server.PREPARE_STEP)
        assert steps.came() is True and server._readable([high], None) == [high]
    finally:
        os.close(high)
        os.close(w)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_spare_copies_ahead_only_private_writable_pages(tmp_path):
    """The pages a link wrote, as runs of page numbers, and what a spare does with them:
    MADV_POPULATE_WRITE where the process has private writable memory (the bytes unchanged),
    nothing elsewhere; the runs it keeps are capped."""
    import mmap
    from xld.link import server
    size = mmap.PAGESIZE
    runs = server._parse_runs(server._written_pages())
    assert runs and all(n > 0 for _, n in runs)
    assert server._parse_runs(b"10:2,1f:1") == [(16, 2), (31, 1)] and server._parse_runs(b"x:") == []
    m = mmap.mmap(-1, 64 * size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    try:
        import ctypes
        addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
        base = addr // size
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        assert libc.mprotect(addr + 40 * size, 8 * size, mmap.PROT_READ) == 0

        def present(first, count):
            with open("/proc/self/pagemap", "rb") as f:
                f.seek(first * 8)
                data = f.read(count * 8)
            return [int.from_bytes(data[i:i + 8], "little") >> 63 for i in range(0, len(data), 8)]
        assert present(base, 64) == [0] * 64
        r, w = os.pipe()
        with open(r, "rb", buffering=0) as rf:
            server._prefault([(base + 8, 4), (base + 40, 4), (1, 1)], rf)
        os.close(w)
        # written ahead where writable; not the read-only part, nor where nothing is mapped
        assert present(base, 64) == [0] * 8 + [1] * 4 + [0] * 52
        assert m[:] == bytes(64 * size)
        assert libc.mprotect(addr + 40 * size, 8 * size, mmap.PROT_READ | mmap.PROT_WRITE) == 0
    finally:
        del addr
        m.close()
    spare = server.Spare()
    cap = server.PREFAULT_MAX // size
    spare.learn([(1, 5)])
    spare.learn([(7, 3), (1, 5)])                         # the last link's pages
    assert server._unpacked(spare.runs) == [(7, 3), (1, 5)]
    spare.learn([(100, cap - 4), (7, 3), (1, 5)])         # as far as the cap goes
    assert server._unpacked(spare.runs) == [(100, cap - 4), (7, 3)]




def test_a_learning_link_learns_on_top_of_the_pages_copied_ahead():
    """After the first, a learning link has the pages and the heap of the last ones copied and
    grown ahead, as every link has (learning afresh cost it ~6,700 page faults at riscv64
    interp): what it wrote beyond them is added to them; once they fill the cap, the next
    learning starts afresh.  Its pages are only those within the mappings the spare had
    (fresh memory beyond them is the heap grown ahead's)."""
    import numpy as np
    from xld.link import server
    assert server._union_runs([(1, 5), (20, 2)], [(4, 4), (8, 1), (30, 1)]) == [(1, 8), (20, 2), (30, 1)]
    size = os.sysconf("SC_PAGESIZE")
    cap = server.PREFAULT_MAX // size
    spare = server.Spare()
    assert spare.learns_next() and spare.learns_afresh()            # the first: afresh
    spare.learn([(1, 5)], 8 << 20, "a")
    assert not spare.learns_afresh()
    spare.commands = 9                                              # one in ten: on top
    assert spare.learns_next() and not spare.learns_afresh()
    spare.learn([(6, 2), (40, 1)], 1 << 20, "a", ahead=(spare.runs, spare.grow))
    assert server._unpacked(spare.runs) == [(1, 7), (40, 1)] and spare.grow == 1 << 20      # (measured as afresh)
    assert not spare.learns_afresh()
    spare.learn([(100, cap)], 0, "a", ahead=(spare.runs, spare.grow))   # over the cap
    assert server._unpacked(spare.runs) == [(1, 7), (40, 1)] and spare.learns_afresh()
    spare.learn([(100, cap + 1)], 0, "a")                              # afresh: the cap
    assert not spare.runs and not spare.refresh
    # written pages: only within the mappings had before
    pages, maps = server._own_pages(with_maps=True)
    assert maps.shape[1] == 2 and pages.size and np.all(np.diff(maps[:, 0]) > 0)
    first = maps[0]
    runs = server._parse_runs(server._written_pages((np.zeros(0, np.int64), maps[:1])))
    assert runs and all(first[0] <= a and a + n <= first[1] for a, n in runs)


_PREGROW_PROBE = r"""
import os, socket, sys
from xld.link import server
n = int(sys.argv[1])
a, b = socket.socketpair()
if sys.argv[2] == "come":
    b.send(b"x")                                   # a command is there: nothing is grown
before, rss = server.heap_sizes()[0], server._resident()
server._pregrow(n, a)
after = server.heap_sizes()
print(after[0] - before, after[1] - before, server._resident() - rss)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_info and mallopt")
def test_a_spare_grows_the_heap_ahead_as_far_as_the_last_link_took(tmp_path):
    """What a learning link reports (the heap it took, with the pages it wrote) reaches the
    next spares, which grow the C heap that far ahead: the pages resident, freed back into
    the heap (not to the system), so the command's arrays find them; nothing when a command
    is already there, or below the minimum."""
    from xld.link import server
    assert server._parse_learnt(b"1000000;10:2,1f:1") == (1 << 24, [(16, 2), (31, 1)], 0)
    assert server._parse_learnt(b"10:2") == (0, [], 0) and server._parse_learnt(b"zz;1:1") == (0, [], 0)
    spare = server.Spare()
    a = ["-o", "x", "a.o", "b.o"]
    spare.learn([(7, 3)], 48 << 20, server.shape(a))
    assert server._unpacked(spare.runs) == [(7, 3)] and spare.grow == 48 << 20
    # the same command (another output) keeps what was learnt; another command, after one
    # that grew the heap much, is learnt from anew (a small one after it: never)
    spare.last = server.shape(["-o", "y", "a.o", "b.o"])
    assert not spare.learns_next()
    # (nor through gcc: its LTO resolution file is a temporary named afresh for each link)
    assert server.shape(["-plugin-opt=-fresolution=/tmp/ccAb12Cd.res", "-o", "x", "a.o"]) == \
        server.shape(["-plugin-opt=-fresolution=/tmp/ccZz99Yy.res", "-o", "y", "a.o"]) != \
        server.shape(["-plugin-opt=-fresolution=/tmp/ccZz99Yy.res", "-o", "y", "b.o"])
    spare.last = server.shape(["-o", "x", "hello.o"])
    assert spare.learns_next()
    spare.learn([(7, 3)], 16 << 20, server.shape(["-o", "x", "hello.o"]))
    spare.last = server.shape(a)
    assert not spare.learns_next()


    def probe(n, come="no"):
        out = subprocess.run([sys.executable, "-c", _PREGROW_PROBE, str(n), come], capture_output=True,
                             text=True, check=True, cwd=tmp_path).stdout.split()
        return [int(x) for x in out]
    heap, top, rss = probe(48 << 20)
    assert heap >= 44 << 20 and top >= 44 << 20             # the heap kept them (not trimmed)
    assert rss >= 40 << 20                                  # and they are resident
    assert probe(20 << 20)[0] >= 18 << 20                   # (not whole chunks only)
    assert probe(48 << 20, "come")[0] < 16 << 20            # a command came first
    assert probe(server.PREGROW_MIN - 1)[0] < 1 << 20       # too little to be worth it
    assert probe(server.PREGROW_MAX + (64 << 20))[0] < server.PREGROW_MAX + (16 << 20)   # the cap


_STEP_PROBE = r"""
import ctypes, mmap, os, socket, sys
from xld.link import server
a, b = socket.socketpair()
looks = []
real = server._readable


def look(ends, timeout):                          # the command comes after the first look
    looks.append(1)
    if len(looks) > 1:
        b.send(b"x")
    return real(ends, timeout)


server._readable = look
size = mmap.PAGESIZE
if sys.argv[1] == "prefault":                    # one long run of pages: 2,048 of them
    m = mmap.mmap(-1, 2048 * size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    first = ctypes.addressof(ctypes.c_char.from_buffer(m)) // size
    server._prefault([(first, 2048)], a)
    with open("/proc/self/pagemap", "rb") as f:
        f.seek(first * 8)
        data = f.read(2048 * 8)
    print(sum(int.from_bytes(data[i:i + 8], "little") >> 63 for i in range(0, len(data), 8)))
else:                                            # one block of heap: 16 MiB
    rss = server._resident()
    server._pregrow(16 << 20, a)
    print((server._resident() - rss) // size)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/pagemap, glibc's mallopt")
@pytest.mark.parametrize("what", ["prefault", "pregrow"])
def test_a_spare_stops_preparing_within_a_step_when_a_command_comes(what):
    """A spare copying pages ahead or growing its heap looks for a command every
    PREPARE_STEP pages: one that comes in the middle of a long run of pages or of a 16 MiB
    block of heap waits for a step, not for the whole run or block (1-11 ms of a
    back-to-back riscv64 dynamic hello's wall after the C++ program's links)."""
    from xld.link import server
    out = subprocess.run([sys.executable, "-c", _STEP_PROBE, what], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == 0, out.stderr
    pages = int(out.stdout)
    assert 0 < pages <= 3 * server.PREPARE_STEP, f"{pages} pages prepared after the command came"


def test_a_spare_that_took_longer_to_prepare_than_its_command_ran_is_learnt_afresh():
    """A command's process tells what its spare's preparation took and what the command took
    (CPU, us); after another command than the one learnt from whose spare took longer than
    the command (a small link after a larger one's pages and heap: 25-45 ms for an 11 ms
    riscv64 dynamic hello), the next spare learns afresh, at most once in RELEARN_EVERY
    commands."""
    from xld.link import server
    assert server._parse_costs(b"14,30000,12000\0/cwd\0libc.a\01,2") == (30000, 12000)
    assert server._parse_costs(b"14\0/cwd") == (0, 0) and server._parse_costs(b"x,y,z") == (0, 0)
    spare = server.Spare()
    big, small = server.shape(["-o", "x", "big.o"]), server.shape(["-o", "x", "hello.o"])
    spare.learn([(7, 3)], 16 << 20, big)
    spare.commands, spare.afresh_at = 12, 0
    spare.last = small
    spare.costs(8000, 12000)                    # prepared in less than the command ran
    assert not spare.learns_afresh()
    spare.costs(30000, 12000)
    assert spare.learns_afresh() and spare.learns_next()
    spare.last = big                             # the one learnt from: its own pages
    assert not spare.learns_afresh()
    spare.last, spare.afresh_at = small, 5       # a learning afresh not long ago
    assert not spare.learns_afresh()
    spare.costs(30000, 0)                        # (a command that did not say)
    spare.afresh_at = 0
    assert not spare.learns_afresh()


_ARENAS_PROBE = r"""
import socket, sys
from xld.link import server
a, b = socket.socketpair()
if sys.argv[2] == "come":
    b.send(b"x")                                   # a command is there: nothing is made
start = server._object_arenas()
server._arenas_ahead(int(sys.argv[1]), a)
ahead = server._object_arenas()
objs = [bytes(100) for _ in range(60000)] + [(i, i) for i in range(30000)]   # ~9 MiB of objects
end = server._object_arenas()
print(start[0], ahead[0], end[0], start[2], ahead[2])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="memfd_create, CPython's arenas")
def test_a_spare_makes_the_python_objects_arenas_ahead_that_the_last_link_took(tmp_path):
    """What a learning link reports (the MiB its Python objects took) reaches the next spares,
    which make CPython's object arenas ahead, less what the arenas they have can still hold
    and a slack; the arenas stay when their filling is freed, and the objects a command then
    makes go into them: no arena more.  Nothing when a command is already there."""
    from xld.link import server
    assert server._parse_learnt(b"1000000,1e;10:2") == (1 << 24, [(16, 2)], 30)
    assert server._parse_learnt(b"1000000,zz;10:2") == (0, [], 0)
    spare = server.Spare()
    spare.learn([(7, 3)], 48 << 20, server.shape(["-o", "x", "a.o"]), None, 30)
    assert spare.objects == 30

    def probe(mib, come="no"):
        out = subprocess.run([sys.executable, "-c", _ARENAS_PROBE, str(mib), come], capture_output=True,
                             text=True, check=True, cwd=tmp_path).stdout.split()
        return [int(x) for x in out]
    start, ahead, end, free, free_ahead = probe(16)
    made = 16 - free // (1 << 20) - server.ARENAS_SLACK
    # made (a last batch of objects may open one arena more), free for objects
    assert made <= ahead - start <= made + 1 and free_ahead >= (made - 1) << 20
    assert end == ahead                                           # the objects went into them
    start, ahead, end, _, _ = probe(16, "come")
    assert ahead == start and end > ahead                         # a command came first
    start, ahead, _, _, _ = probe(server.ARENAS_AHEAD_MAX + 40)
    assert ahead - start in (server.ARENAS_AHEAD_MAX, server.ARENAS_AHEAD_MAX + 1)   # the cap


def test_the_arenas_made_ahead_are_what_no_pass_of_the_learnt_link_would_hold_beside_its_peak(monkeypatch):
    """The arenas made ahead are resident for the whole command; its own objects come and go.
    The MiB a learning link reports for them is the least, over its passes, of what a pass's
    objects took plus how far that pass stayed below the peak: a pass near the peak with few
    objects (the one that writes the output) bounds it, not only the pass of the peak (there
    arm64 400x50's peak rose from 100 to 111-112 MiB in some bench runs).  A learning link
    that had arenas made ahead itself counts its passes as without their unused part."""
    from xld.link import server
    M = 1 << 20
    monkeypatch.setattr(server, "_objects_start", 13 * M)
    monkeypatch.setattr(server, "_resident_most", 98 * M)
    monkeypatch.setattr(server, "_arena_pins", [])
    reading, peak, writing = (80 * M, 23 * M, 0), (98 * M, 27 * M, 0), (96 * M, 15 * M, 0)
    monkeypatch.setattr(server, "_objects_passes", [reading, peak])
    assert server._objects_ahead() == 14 * M                  # the peak's own objects
    monkeypatch.setattr(server, "_objects_passes", [reading, peak, writing])
    assert server._objects_ahead() == 4 * M                   # 2 MiB below it, 2 MiB of objects
    monkeypatch.setattr(server, "_objects_passes", [])
    assert server._objects_ahead() == 0
    # with 10 MiB of arenas made ahead, 8 of them unused while it wrote: that pass at 88 MiB
    # as without them, the peak's pass (all used) at 98
    monkeypatch.setattr(server, "_arena_pins", [object()])
    monkeypatch.setattr(server, "_objects_passes", [reading, peak, (96 * M, 15 * M, 8 * M)])
    assert server._objects_ahead() == 12 * M
    # a pass further below the most than the room so far is not asked for its objects
    asked = []
    monkeypatch.setattr(server, "_files_most", 0)
    monkeypatch.setattr(server, "_arena_pins", [])
    monkeypatch.setattr(server, "_objects_passes", [peak])
    monkeypatch.setattr(server, "_object_arenas", lambda: asked.append(1) or (1, 20 * M, 0, M))
    for resident in (60, 97):
        monkeypatch.setattr(server, "_resident_most", 98 * M)
        statm = f"1 {resident * M // os.sysconf('SC_PAGESIZE')} 0 0 0 0 0\n".encode()
        monkeypatch.setattr("builtins.open", lambda *a, _b=statm, **k: io.BytesIO(_b))
        server._sample_files("pass")
    assert len(asked) == 1 and server._objects_passes[-1] == (97 * M, 20 * M, 0)


_GROWN_PROBE = r"""
import ctypes, mmap, os, sys
from xld.link import server
if os.fork():                  # (measured in a forked child, as a spare is: a process started
    sys.exit(os.wait()[1])     # by exec keeps its parent's peak, here the test's)
server._heap_regime(32 << 20)
server._heap_start, server._rss_start = server.heap_sizes()[0], server._resident()
server._files_start = server._files_most = server._resident_files()
with open(sys.argv[1], "rb") as f:                 # the inputs read: their pages resident,
    m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
total = sum(m[i] for i in range(0, len(m), mmap.PAGESIZE))
server._sample_files("read+resolve")                # sampled after a pass,
m.close()                                           # then given back
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
for _ in range(5):                                   # and the heap grows after them
    ctypes.memset(libc.malloc(8 << 20), 1, 8 << 20)
print(server._grown(), server._files_most - server._files_start, flush=True)
os._exit(0)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_info, /proc")
def test_the_heap_grown_ahead_leaves_room_for_the_inputs_pages(tmp_path):
    """A learning link whose peak was its input files' pages (read, then given back before
    its heap grew) teaches no heap grown ahead: a spare's heap is resident from the start, and
    the next link's inputs would come on top of it, raising its peak by that much."""
    big = tmp_path / "inputs.bin"
    big.write_bytes(os.urandom(48 << 20))
    out = subprocess.run([sys.executable, "-c", _GROWN_PROBE, str(big)], capture_output=True,
                         text=True, check=True, cwd=tmp_path).stdout.split()
    grown, files = int(out[0]), int(out[1])
    assert files >= 40 << 20                    # the inputs' pages were counted
    assert grown < 8 << 20                      # (half the peak's growth, 20+ MiB, before)


_BESIDE_PROBE = r"""
import ctypes, mmap, os, sys
from xld.link import server
if os.fork():
    sys.exit(os.wait()[1])
server._heap_regime(32 << 20)
server._heap_start, server._rss_start = server.heap_sizes()[0], server._resident()
server._arena_start = server._arena()
server._files_start = server._files_most = server._resident_files()
# memory beside the heap (as CPython's arenas, or an array mapped on its own; private: not
# counted with the files' pages)
m = mmap.mmap(-1, 72 << 20, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
for i in range(0, len(m), mmap.PAGESIZE):
    m[i] = 1
server._sample_files("read+resolve")                # sampled after a pass,
m.close()                                           # then given back
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
for _ in range(5):                                   # and the heap grows after it
    ctypes.memset(libc.malloc(8 << 20), 1, 8 << 20)
print(server._grown(), flush=True)
os._exit(0)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallinfo2, /proc")
def test_the_heap_grown_ahead_leaves_room_for_what_a_large_link_holds_beside_the_heap(tmp_path):
    """A large learning link whose peak was memory beside the C heap (not input files: what
    CPython's own arenas hold, or an array mapped on its own), given back before its heap
    grew, teaches no heap grown ahead: the next link holds that memory again beside a heap
    already resident."""
    grown = int(subprocess.run([sys.executable, "-c", _BESIDE_PROBE], capture_output=True, text=True,
                               check=True, cwd=tmp_path).stdout.split()[0])
    assert grown < 8 << 20                      # (half the peak's growth, 36 MiB, before)


def _blocked_in_recv(pid: int, cwd: Path) -> bool:
    """A spare that took the client's place (its directory) and waits for its go (asleep)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        return os.readlink(f"/proc/{pid}/cwd") == str(cwd) and state == "S"
    except OSError:
        return False


def test_a_signal_that_comes_with_the_spares_go_is_the_commands(objects, tmp_path):
    """The server forwards the client's signals once it has told the spare to go: a SIGINT
    that is there as the spare's wait for its go returns interrupts the command (status 1,
    "interrupted", as a link interrupted a moment later), never makes it end with 0 having
    run nothing (the spare took it for the server's going away)."""
    import socket
    from xld.link import client
    work = tmp_path / "work"
    work.mkdir()
    ctl, theirs = socket.socketpair()
    conn, client_end = socket.socketpair()
    uses_r, uses_w = os.pipe()
    err_r, err_w = os.pipe()
    body = client.request(["--arch", "arm64", "-e", "twice", str(objects[1]), "-o", "out"], "key")
    # a spare as the server forks it: NumPy imported, one thread, SIGINT ignored
    spare = subprocess.Popen(
        [sys.executable, "-c", "import signal, socket, sys, numpy; from xld.link import server; "
         "signal.signal(signal.SIGINT, signal.SIG_IGN); "
         "server._spare(socket.socket(fileno=int(sys.argv[1])), [], []); sys.exit(99)",
         str(theirs.fileno())], pass_fds=[theirs.fileno()],
        env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    theirs.close()
    cwd = os.open(work, os.O_RDONLY | os.O_DIRECTORY)
    null = os.open(os.devnull, os.O_RDWR)
    fds = [conn.fileno(), cwd, null, null, err_w, uses_w]
    ctl.sendmsg([struct.pack("<QdB", len(body), time.monotonic(), 0)],
                [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))])
    ctl.sendall(body)
    for fd in (cwd, null, err_w, uses_w):
        os.close(fd)
    conn.close()
    wait_until(lambda: _blocked_in_recv(spare.pid, work), "the spare never waited for its go")
    os.kill(spare.pid, signal.SIGINT)              # as the server forwards it: with the go
    try:
        ctl.sendall(b"G")
    except OSError:                                # (a spare that ended on it)
        pass
    reply = b""
    while chunk := client_end.recv(64):
        reply += chunk
    status = spare.wait(timeout=120)
    with open(err_r, "rb") as f:
        err = f.read().decode()
    os.close(uses_r)
    assert reply[:1] == b"s" and struct.unpack("<i", reply[1:5])[0] == 1, (reply, err, status)
    assert status == 1 and "xld: error: interrupted" in err
    assert not (work / "out").exists()


def test_only_the_first_link_learns_afresh(objects, server_env, tmp_path):
    """A served link's log line says what its process cost once its command came (CPU, page
    faults, context switches), how long its spare had been ready, and whether it learnt:
    the first afresh, then one in ten on top of what was copied ahead for it."""
    import re
    work = tmp_path / "work"
    work.mkdir()
    _, server = started_server(server_env, work)
    seen = set()
    for n in range(11):
        spare = wait_until(lambda: {k for k in _children(server) if not process_gone(k)} - seen,
                           "no fresh spare")
        seen |= spare
        time.sleep(0.2)                         # (what it copies ahead: done before the command)
        p = xld(["--arch", "arm64", "-e", "twice", objects[1], "-o", f"out{n}"], server_env, work)
        assert p.returncode == 0, p.stderr
    lines = served(server_env)
    assert len(lines) == 11
    learnt = [re.search(r" learn=(\w+)", line).group(1) for line in lines]
    assert learnt == ["fresh"] + ["no"] * 8 + ["more", "no"]
    for line in lines:
        assert re.search(r" command_cpu=[\d.]+ms faults=\d+/\d+ switches=\d+/\d+ ready=[\d.]+ms ", line)


def test_a_relative_server_log_is_not_written_where_a_command_runs(objects, server_env, tmp_path):
    """XLD_SERVER_LOG=FILE relative names a file in the directory of the command that
    started the server: a served command's process (which writes its own line) writes
    nothing into its own working directory, which an unserved command never would either."""
    start, work = tmp_path / "start", tmp_path / "work"
    start.mkdir()
    work.mkdir()
    env = dict(server_env, XLD_SERVER_LOG="rel.log")
    xld(["--version"], env, start)
    wait_for_socket(env)
    for n in range(2):
        p = xld(["--arch", "arm64", "-e", "twice", objects[1], "-o", f"out{n}"], env, work)
        assert p.returncode == 0, p.stderr
    assert sorted(os.listdir(work)) == ["out0", "out1"]
    assert len((start / "rel.log").read_text().splitlines()) == 2


DAEMON = Path(__file__).parent / "emu" / "progs" / "daemon.c"   # leaves a daemon behind


def test_a_guest_that_leaves_a_process_behind_does_not_hold_the_server(server_env, tmp_path):
    """`xld run` of a program that leaves a daemon running: the command ends, and the server
    goes on serving (it waited to read the end of the command's pipe to it, which the daemon,
    a fork of the command's process, held open: every later command hung until the daemon
    ended)."""
    cc = tc.compiler("gcc", "arm64")
    obj = cc.compile(DAEMON, tmp_path / "daemon.o")
    gnu = tc.require("aarch64-linux-gnu-gcc")
    subprocess.run([gnu, "-static", str(obj), "-o", str(tmp_path / "daemon")], check=True)
    done = tmp_path / "done"
    try:
        xld(["--version"], server_env, tmp_path)
        wait_for_socket(server_env)
        first = xld(["run", tmp_path / "daemon", done], server_env, tmp_path)
        assert (first.returncode, first.stdout) == (0, b"started\n")
        # a hang here (the limit only turns it into a failure) is the server stuck
        later = xld(["--version"], server_env, tmp_path, timeout=60)
        assert later.returncode == 0
        log = served(server_env)
        assert any("'run'" in line and "status=0" in line for line in log), log
        assert sum("'--version'" in line for line in log) == 1, log   # the last one served
    finally:
        done.touch()


NFILES = r"""
#include <fcntl.h>
#include <stdio.h>
int main(int argc, char **argv) {      /* opens argv[1] until it may not: how many, from which */
    int first = -1, n = 0, fd;
    while ((fd = open(argv[1], O_RDONLY)) >= 0) {
        if (first < 0)
            first = fd;
        n++;
    }
    printf("first=%d opened=%d\n", first, n);
    return 0;
}
"""


@pytest.mark.parametrize("limits", [(40, 80), (40, 40)])
def test_a_served_run_has_the_descriptors_of_an_unserved_one(objects, server_env, tmp_path, limits):
    """The process of a served command keeps two descriptors of the server's (its connection
    to the client, the pipe it tells the server in): they are out of the command's way, and
    a run's process closes those of the libraries the server parsed ahead for links; so a
    program under a served `xld run` with `ulimit -n 40` opens as many files as unserved, from
    the same first number (after a link, it opened 29 for 36).  With the hard limit above the
    soft one and without (the server's hard limit leaves room)."""
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    assert hard == resource.RLIM_INFINITY or hard >= 100, "the test needs a hard RLIMIT_NOFILE of 100"
    cc = tc.compiler("gcc", "arm64")
    (tmp_path / "nfiles.c").write_text(NFILES)
    obj = cc.compile(tmp_path / "nfiles.c", tmp_path / "nfiles.o")
    gnu = tc.require("aarch64-linux-gnu-gcc")
    subprocess.run([gnu, "-static", str(obj), "-o", str(tmp_path / "nfiles")], check=True)

    def run(env):
        return xld(["run", tmp_path / "nfiles", tmp_path / "nfiles.c"], env, tmp_path,
                   preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, limits))
    alone = run(dict(server_env, XLD_SERVER="0"))
    assert alone.returncode == 0 and alone.stdout.startswith(b"first=3 opened=3"), alone
    xld(["--version"], server_env, tmp_path)
    wait_for_socket(server_env)
    for n in range(61):                   # the second finds the libraries parsed ahead (one
        linked = gcc_link(objects, tmp_path / f"linked{n}", server_env, tmp_path)   # that came
        assert linked.returncode == 0, linked.stderr     # before they were, on a loaded machine,
        if n and "warm=0 " not in served(server_env)[-1]:    # is served cold: again)
            break
    got = run(server_env)
    assert (got.returncode, got.stdout, got.stderr) == (alone.returncode, alone.stdout, alone.stderr)
    log = served(server_env)
    assert any("'run'" in line and "status=0" in line for line in log), log
    links = [line for line in log if "crtn.o" in line]
    assert len(links) >= 2 and "warm=0 " not in links[-1], log


# a server whose descriptors ran out as it handed a command to its spare: the spare gets the
# command without one of them (as recvmsg truncates them) and ends, having run nothing
TRUNCATING_SERVER = r"""
import os, socket, sys
from xld.link import cli, client, server
real = socket.socket.sendmsg
def sendmsg(self, buffers, ancdata=(), *rest):
    return real(self, buffers, [(lvl, typ, data[:-4]) for lvl, typ, data in ancdata], *rest)
socket.socket.sendmsg = sendmsg
path = os.path.join(client.socket_dir(), server.installation_key() + ".sock")
sys.exit(server.serve(path, os.path.abspath(cli.__file__)))
"""


def test_a_command_that_never_began_is_an_error(objects, server_env, tmp_path):
    """A command's process that ended before it began the command (a spare handed a
    truncated command ends with 0) is an error for the client, never the status 0 of a link
    that wrote nothing."""
    srv = subprocess.Popen([sys.executable, "-c", TRUNCATING_SERVER], env=server_env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        wait_for_socket(server_env)
        p = xld(["--arch", "arm64", "-e", "twice", objects[1], "-o", "out"], server_env, tmp_path)
        assert p.returncode == 1, p
        assert b"xld: error: the warm server's process for the command ended before it began" \
            in p.stderr, p.stderr
        assert not (tmp_path / "out").exists()
        assert any("status=not-begun" in line for line in served(server_env)), served(server_env)
    finally:
        srv.terminate()
        srv.wait(timeout=60)


FAILING_FORK_SERVER = r"""
import os, sys
from xld.link import cli, client, server
server.Spare.start = lambda self, *args: None      # no spare: a fork per command
name, flag = sys.argv[1:]
real = getattr(os, name)
def failing(*args):                 # fails while the flag file is there
    if os.path.exists(flag):
        raise OSError(11, "Resource temporarily unavailable")
    return real(*args)
setattr(os, name, failing)
path = os.path.join(client.socket_dir(), server.installation_key() + ".sock")
sys.exit(server.serve(path, os.path.abspath(cli.__file__)))
"""


@pytest.mark.parametrize("failing", ["fork", "pidfd_open"])
def test_a_command_whose_process_cannot_be_made_is_declined(objects, server_env, tmp_path,
                                                           failing):
    """When the server cannot make the command's process (fork or pidfd_open fails: a loaded
    machine), it declines before it says the command is taken, and the client links itself;
    it never leaves the client with "R" and no process ("the warm server went away")."""
    flag = tmp_path / "fail"
    flag.write_text("")
    srv = subprocess.Popen([sys.executable, "-c", FAILING_FORK_SERVER, failing, flag],
                           env=server_env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        wait_for_socket(server_env)
        args = ["--arch", "arm64", "-e", "twice", objects[1], "-o"]
        p = xld([*args, "declined"], server_env, tmp_path)
        assert (p.returncode, p.stderr) == (0, b""), p
        assert served(server_env) == []               # linked by the client, not served
        flag.unlink()
        p = xld([*args, "served"], server_env, tmp_path)      # the next one is served
        assert (p.returncode, p.stderr) == (0, b""), p
        log = served(server_env)
        assert len(log) == 1 and "status=0" in log[0], log
        assert (tmp_path / "declined").read_bytes() == (tmp_path / "served").read_bytes()
    finally:
        srv.terminate()
        srv.wait(timeout=60)


def test_the_watch_sees_every_kind_of_change_to_the_servers_files(tmp_path):
    """The server stats its files only after inotify reported a change in their directories
    (server.Watch): a change of contents in place (same size), of the mtime alone, a file
    renamed over one, and a missing directory made one level at a time (watched through its
    nearest directory that exists, which a renewal brings closer) each make it stale; a
    change beside them costs a full check, not a false alarm."""
    from xld.link import server
    mod = tmp_path / "mod.py"
    deep = tmp_path / "a" / "b" / "site-packages"       # absent, as a user site directory

    def watch():
        mod.write_text("x = 1\n")
        os.utime(mod, ns=(10**18, 10**18))
        w = server.Watch({str(p): server._state(str(p)) for p in (mod, deep)})
        w.renew()
        assert w.fd >= 0, "no inotify watch (the test needs a local filesystem)"
        assert not w.stale() and not w.stale()
        return w
    def in_place():
        with mod.open("r+") as f:
            f.write("y")

    def renamed_over():
        (tmp_path / "new").write_text("z = 33\n")
        os.rename(tmp_path / "new", mod)
    for change in (in_place, lambda: os.utime(mod, ns=(1, 1)), renamed_over):
        w = watch()
        change()
        assert w.stale() and w.fd < 0               # dropped until renewed
        w.close()
    w = watch()
    (tmp_path / "a").mkdir()
    assert not w.stale() and w.fd < 0               # reported; a full check: nothing changed
    w.next_renewal = 0.0
    w.renew()                                       # now watched through a/
    (tmp_path / "a" / "b").mkdir()
    assert not w.stale()
    w.next_renewal = 0.0
    w.renew()
    deep.mkdir()
    assert w.stale()
    w.close()


def test_a_client_that_stops_half_way_holds_no_one_elses_command(objects, server_env, tmp_path):
    """A client stopped in the middle of its request (^Z, a debugger) does not hold the server:
    the next command is served meanwhile, and the stopped one's request is still read and
    answered when the rest comes (the server read a request whole, waiting up to 10 s, and
    then dropped it)."""
    import socket
    from xld.link import client
    xld(["--version"], server_env, tmp_path)
    sock = wait_for_socket(server_env)
    stopped = client.connect(str(sock))
    body = client.request(["--version"], "another installation")
    cwd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    null = os.open(os.devnull, os.O_RDWR)
    try:
        stopped.sendmsg([len(body).to_bytes(8, "little")],
                        [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("4i", cwd, null, null, null))])
        stopped.sendall(body[:5])                           # ... and then nothing for a while
        work = tmp_path / "work"
        work.mkdir()
        p = xld(["--arch", "arm64", "-e", "twice", objects[1], "-o", "out"], server_env, work)
        assert p.returncode == 0, p.stderr
        assert any("status=0" in line for line in served(server_env)), served(server_env)
        stopped.sendall(body[5:])
        reply = stopped.recv(5)
        assert reply[:1] == b"D", reply          # declined (not its installation), not dropped
    finally:
        stopped.close()
        os.close(cwd)
        os.close(null)


def run_with_descriptors(cmd, env, cwd: Path) -> tuple[bytes, bytes, bytes]:
    """``cmd`` with descriptors past 0-2 left open as a shell or make leaves them: 3 a file
    open for reading, 5 a pipe's write end the caller made O_NONBLOCK (the open file
    description is shared: the program sees the flag), 6 a file open with O_APPEND.  The
    program's output (its status first), what came through the pipe, the appended file."""
    import fcntl
    (cwd / "in.txt").write_bytes(b"line in\n")
    (cwd / "app.txt").write_bytes(b"old\n")
    low = os.pipe()
    r, w = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 20) for fd in low)
    for fd in low:
        os.close(fd)
    os.set_blocking(w, False)
    f3 = os.open(cwd / "in.txt", os.O_RDONLY | os.O_CLOEXEC)
    f6 = os.open(cwd / "app.txt", os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
    hi = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 30) for fd in (f3, w, f6)]

    def place():                  # (in the child, before subprocess closes all but pass_fds)
        for fd, number in zip(hi, (3, 5, 6)):
            os.dup2(fd, number)
    try:
        p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, timeout=120,
                           preexec_fn=place, pass_fds=(3, 5, 6) + tuple(hi))
    finally:
        for fd in (w, f3, f6, *hi):
            os.close(fd)
    piped = b""
    try:                          # until its end (every writer gone), or 60 s
        from xld.link import server
        while server._readable([r], 60):
            chunk = os.read(r, 4096)
            if not chunk:
                break
            piped += chunk
        else:
            piped += b"(the pipe's write end is still open somewhere)"
    finally:
        os.close(r)
    assert p.stderr == b"", p.stderr
    return b"%d\n" % p.returncode + p.stdout, piped, (cwd / "app.txt").read_bytes()


def test_a_run_gets_the_descriptors_its_caller_left_open(server_env, tmp_path):
    """qemu-user passes the descriptors its caller leaves open (`prog 3<file`, a jobserver's
    pipe) to the program: so does `xld run`, unserved and served (the client sends them with
    the standard three, the run's process has them at their numbers), with their flags; the
    program's children and the programs they execute inherit them.  (Unserved, the program
    had 0-2 only; served, EBADF.)"""
    gnu = tc.require("aarch64-linux-gnu-gcc")
    exe = tmp_path / "passfds"
    subprocess.run([gnu, "-static", "-O2", str(Path(__file__).parent / "emu/progs/passfds.c"),
                    "-o", str(exe)], check=True)
    expect = (b"0\n3: file cloexec=0 acc=0 nonblock=0 append=0 read=8 'line in'\n4: closed\n"
              b"5: fifo cloexec=0 acc=1 nonblock=1 append=0 write=13\n"
              b"6: file cloexec=0 acc=1 nonblock=0 append=1 write=13\n"
              b"7: closed\n8: closed\n9: closed\n",
              b"written to 5\nfrom sh\n", b"old\nwritten to 6\n")
    if tc.which("qemu-aarch64"):
        assert run_with_descriptors(["qemu-aarch64", str(exe)], server_env, tmp_path) == expect
    cmd = [sys.executable, "-m", "xld.link", "run", str(exe)]
    assert run_with_descriptors(cmd, dict(server_env, XLD_SERVER="0"), tmp_path) == expect
    xld(["--version"], server_env, tmp_path)
    wait_for_socket(server_env)
    assert run_with_descriptors(cmd, server_env, tmp_path) == expect
    assert any("'run'" in line and "status=0" in line for line in served(server_env))


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one CPU: the spare waits for the command's end")
def test_no_spare_is_forked_while_a_link_runs_on_two_cpus(objects, server_env, tmp_path):
    """While a link runs, the next spare is forked only with two CPUs beyond it (one for the
    server's fork, one for the spare's first steps: on two CPUs they took ~1 ms from a served
    dynamic hello's passes); on two CPUs it comes once the link's process has said all.  Here
    the link waits on its -T script, a FIFO: no spare appears until the script is written
    (with three CPUs or more one does), and the next command takes the one after."""
    work = tmp_path / "work"
    work.mkdir()
    _, server = started_server(server_env, work)
    wait_until(lambda: {k for k in _children(server) if not process_gone(k)}, "no spare")
    p = xld(["--arch", "arm64", "-e", "twice", objects[1], "-o", "out0"], server_env, work)
    assert p.returncode == 0, p.stderr          # (the first link learns: no spare during it)
    (first,) = wait_until(lambda: _spares(server), "no spare")
    fifo = work / "script.ld"
    os.mkfifo(fifo)
    link = subprocess.Popen([sys.executable, "-m", "xld.link", "--arch", "arm64", "-T", str(fifo),
                             str(objects[1]), "-o", "out1"], env=server_env, cwd=work,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: _cwd_of(first) == str(work), "the spare never took the link")
        time.sleep(1.0)             # (it waits on the script; a fork takes milliseconds)
        others = {k for k in _children(server) if not process_gone(k)} - {first}
        if len(os.sched_getaffinity(0)) >= 3:
            assert others, "no spare while a link ran, with CPUs to spare"
        else:
            assert not others, f"a spare was forked while the link ran: {others}"
    finally:
        with open(fifo, "w") as f:
            f.write("ENTRY(twice)\n")
    out, err = link.communicate(timeout=60)
    assert link.returncode == 0, err
    spare = wait_until(lambda: _spares(server), "no spare after the link")
    p = xld(["--arch", "arm64", "-e", "twice", objects[1], "-o", "out2"], server_env, work)
    assert p.returncode == 0, p.stderr
    assert f"pid={min(spare)} status=0" in served(server_env)[-1]


def _spares(server: int) -> set[int]:
    """The server's children that have not taken a command (in its directory, /)."""
    return {k for k in _children(server) if _cwd_of(k) == "/"}


def _cwd_of(pid: int) -> str:
    """Its working directory (a spare's is /, the client's once it has taken a command)."""
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return ""


def test_a_command_steps_aside_after_its_status(tmp_path, monkeypatch):
    """After the ``s`` (its client has the status), the command's process takes a CPU only
    when none is wanted (SCHED_IDLE): its teardown took one from collect2's and gcc's exits.
    Not a process resident beyond ASIDE_MAX (starved, it would hold that memory)."""
    import socket
    import types
    from xld.link import server

    def finish_in_child(aside_max: int) -> tuple[bytes, bytes, int]:
        mine, theirs = socket.socketpair()
        uses_r, uses_w = os.pipe()
        said_r, said_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                mine.close()
                server.ASIDE_MAX = aside_max
                req = types.SimpleNamespace(conn=theirs, uses_w=uses_w, learn=False, argv=["-o", "x"])
                server._finish(req, 7)
                os.write(said_w, struct.pack("<i", os.sched_getscheduler(0)))
            finally:
                os._exit(0)
        theirs.close()
        os.close(uses_w)
        os.close(said_w)
        os.waitpid(pid, 0)
        status = mine.recv(16)
        uses = os.read(uses_r, 1 << 16)
        policy = struct.unpack("<i", os.read(said_r, 4))[0]
        for fd in (uses_r, said_r):
            os.close(fd)
        mine.close()
        return status, uses, policy

    def idle_allowed() -> bool:          # (a sandbox may refuse sched_setscheduler: then it stays)
        pid = os.fork()
        if pid == 0:
            try:
                os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
                os._exit(0)
            except BaseException:
                os._exit(1)
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0

    status, uses, policy = finish_in_child(1 << 40)
    assert status == b"s" + struct.pack("<i", 7) and uses[:2] == b"=\x07"
    assert policy == (os.SCHED_IDLE if idle_allowed() else os.sched_getscheduler(0))
    *_, policy = finish_in_child(0)
    assert policy == os.sched_getscheduler(0) != os.SCHED_IDLE
