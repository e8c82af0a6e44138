"""Forked processes and exec under ``xld run`` (emu/process.py): fork + exec of a host program in
a tight loop with what may be alive in the emulator at the fork, a wait that must sleep, and the
run's processes ending with a killed run. Compared with qemu-user where it has an answer;
nothing is timed: limits only turn a hang into a failure."""

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xld.emu import run

from conftest import ARCHES, PROGS, QEMU, compile_command, run_qemu, sysroot

TIMEOUT = 120


@pytest.fixture(scope="module")
def fbuild(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("emu-forkexec")
    cache = {}

    def get(prog, arch, kind="gcc"):
        key = (prog, arch, kind)
        if key not in cache:
            src = os.path.join(PROGS, prog + ".c")
            out = str(out_dir / f"{prog}-{arch}-{kind}")
            cmd = compile_command(kind, arch, src, out)
            cmd.insert(cmd.index(src), "-pthread")
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
            assert p.returncode == 0, f"{' '.join(cmd)}\n{p.stderr}"
            cache[key] = out
        return cache[key]
    return get


def _expected(n: int) -> bytes:
    return b"".join(b"line %d\necho %d\n" % (i, i) for i in range(n)) + b"bad 0\n"


# what is alive at the fork: t threads, c a SIGCHLD handler, u a SIGUSR1 handler, a a 1 ms
# itimer with a handler, v posix_spawn (vfork), m MAP_SHARED memory (the run lock)
VARIANTS = ["plain", "t", "c", "u", "a", "v", "m", "tcuavm"]


CASES = ([(a, "gcc", v) for a in ARCHES for v in VARIANTS]
         + [("arm64", "dyn", "plain"), ("arm64", "dyn", "tcuavm")])


@pytest.mark.parametrize("arch,kind,variant", CASES, ids=["-".join(c) for c in CASES])
def test_fork_then_exec_of_host_echo_in_a_loop(fbuild, arch, kind, variant):
    """pcre2grep's script callouts: fork, exec the host /bin/echo, wait; many times, with the
    emulator's threads, timers, signal handlers and shared memory alive at each fork."""
    exe = fbuild("forkexec", arch, kind)
    n = 12
    args = [str(n), "" if variant == "plain" else variant]
    rc, out, err = run_qemu(arch, exe, args, sysroot=sysroot(arch) if kind == "dyn" else None,
                            timeout=TIMEOUT)
    assert (rc, out) == (0, _expected(n)), err
    res = run(exe, argv=args, timeout=TIMEOUT)
    assert (res.returncode, res.stdout) == (0, _expected(n)), res.stderr[-3000:]


@pytest.mark.parametrize("served", [False, True], ids=["unserved", "served"])
def test_fork_exec_loops_side_by_side_from_the_command(fbuild, tmp_path, served):
    """Three commands at once, each forking and executing /bin/echo with everything alive
    (served: each run a fork of the warm server)."""
    exe = fbuild("forkexec", "arm64")
    env = _server_env(tmp_path, served)
    if served:
        _start_server(env, exe)
    n = 10
    procs = [subprocess.Popen([sys.executable, "-m", "xld.link", "run", exe, str(n), "tcuavm"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(3)]
    try:
        for p in procs:
            out, err = p.communicate(timeout=TIMEOUT)
            assert (p.returncode, out) == (0, _expected(n)), err[-3000:]
    finally:
        for p in procs:
            p.kill()
        _stop_server(env)


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("how", ["zombie", "ignore", "thread"])
def test_a_wait_sleeps_until_its_child_can_come(fbuild, arch, how, monkeypatch):
    """waitpid for one child while another is already a zombie, wait with SIGCHLD ignored after
    a child was reaped unseen, and the first with another thread blocked meanwhile (the
    scheduler's idle wait polls the waits' descriptors): the wait looks again only when a
    child it may reap changes or after its 50 ms step. It polled every child's pidfd (the zombie's, or one
    closed meanwhile: always ready) and spun at 100% CPU for the 2 s the other child slept:
    tens of thousands of looks where a sleeping wait makes about 40 (120 with the thread)."""
    from xld.emu import hostio
    exe = fbuild("waitspin", arch)
    args = [] if how == "zombie" else [how]
    rc, out, _err = run_qemu(arch, exe, args, timeout=TIMEOUT)
    looks = [0]
    real_poll = select.poll

    class Counting:
        def __init__(self):
            self.p = real_poll()

        def register(self, *a):
            self.p.register(*a)

        def poll(self, *a):
            looks[0] += 1
            return self.p.poll(*a)

    monkeypatch.setattr(hostio.select, "poll", Counting)
    t0 = time.monotonic()
    res = run(exe, argv=args, timeout=TIMEOUT)
    elapsed = time.monotonic() - t0
    assert (res.returncode, res.stdout) == (rc, out), res.stderr
    # a few looks a step (hostio.STEP; the blocked thread's wait looks too), whatever the
    # machine's load: a relation between looks and the time they took (a loaded full suite
    # saw 277 looks in 2.3 s with the thread; the spinning wait made 46,000 and more)
    assert looks[0] <= 100 + 10 * elapsed / hostio.STEP, (looks[0], elapsed)


# --- the run's processes end with a killed run (process.py: the lifeline) -------------------

def _server_env(tmp_path, served: bool) -> dict:
    base = tmp_path / "srv"
    base.mkdir(mode=0o700, exist_ok=True)
    return dict(os.environ, XLD_SERVER="1" if served else "0", XLD_SERVER_DIR=str(base),
                XLD_SERVER_IDLE="30")


def _start_server(env, exe) -> None:
    """A command starts the server (it runs that one itself); wait until it listens."""
    from xld.link import client
    subprocess.run([sys.executable, "-m", "xld.link", "run", exe, "0", ""], env=env,
                   capture_output=True, timeout=TIMEOUT)
    base = Path(env["XLD_SERVER_DIR"])
    for _ in range(1200):
        socks = list(base.glob("xld-*/*.sock"))
        if socks:
            s = client.connect(str(socks[0]))
            if s is not None:
                s.close()
                return
        time.sleep(0.05)
    raise AssertionError("the server never started")


def _stop_server(env) -> None:
    for lock in Path(env["XLD_SERVER_DIR"]).glob("xld-*/*.lock"):
        text = lock.read_text().strip()
        if text.isdigit():
            try:
                os.kill(int(text), signal.SIGTERM)
            except ProcessLookupError:
                pass


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return True
    return state == "Z"                     # (a zombie whose new parent has not reaped it)


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


def _wait_gone(pids) -> list[int]:
    for _ in range(1200):                   # (a limit that only turns a hang into a failure)
        left = [p for p in pids if not _gone(p)]
        if not left:
            return []
        time.sleep(0.05)
    return left


def _kill_all(pids) -> None:
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


@pytest.mark.parametrize("how", ["unserved-SIGKILL", "served-SIGKILL", "unserved-timeout", "served-timeout"])
def test_a_killed_run_takes_its_processes_with_it(fbuild, tmp_path, how):
    """`xld run` killed (SIGKILL), or stopped by its time limit, while its program waits for a
    child whose own child spins: both die with the run, served or not. They were reparented
    to init and ran on (an orphan found spinning 33 minutes after its run was killed)."""
    served = how.startswith("served")
    exe = fbuild("orphans", "arm64")
    env = _server_env(tmp_path, served)
    if served:
        _start_server(env, fbuild("forkexec", "arm64"))
    limit = ["--timeout", "5"] if how.endswith("timeout") else []
    cmd = subprocess.Popen([sys.executable, "-m", "xld.link", "run", *limit, exe], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pids = []
    try:
        pids = [int(w) for w in cmd.stdout.readline().split()]
        assert len(pids) == 2, cmd.stderr.read()
        # served, the program's process is the server's child, not the command's
        assert (_parent(pids[0]) != cmd.pid) == served
        if not limit:
            cmd.send_signal(signal.SIGKILL)
        status = cmd.wait(timeout=TIMEOUT)
        assert status == (137 if limit else -9), cmd.stderr.read()
        assert _wait_gone(pids) == []
    finally:
        cmd.kill()
        _kill_all(pids)
        _stop_server(env)


def test_a_run_that_ends_by_itself_leaves_its_daemons(fbuild, tmp_path):
    """The program exits, leaving a child and a grandchild running: they live on, as on Linux
    (and under qemu-user)."""
    exe = fbuild("orphans", "riscv64")
    p = subprocess.run([sys.executable, "-m", "xld.emu", exe, "exit"], capture_output=True,
                       timeout=TIMEOUT)
    pids = [int(w) for w in p.stdout.split()]
    try:
        assert p.returncode == 0 and len(pids) == 2, p.stderr
        time.sleep(0.5)         # (room for a wrong kill to land; nothing is measured)
        assert not any(_gone(q) for q in pids)
    finally:
        _kill_all(pids)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("served", [False, True])
def test_a_child_that_kills_its_parent_lives_on(fbuild, tmp_path, sig, served):
    """A child sends its own parent a fatal signal and lives on: the parent dies of it and
    the child finishes, as on Linux and under qemu-user. (The first process's end by a
    signal was taken as the run killed from outside, and the child was killed with it.)"""
    exe = fbuild("killparent", "arm64")
    env = _server_env(tmp_path, served)
    out = tmp_path / "alive"
    try:
        if served:
            _start_server(env, fbuild("forkexec", "arm64"))
        p = subprocess.run([sys.executable, "-m", "xld.link", "run", exe, str(int(sig)), str(out)],
                           env=env, capture_output=True, timeout=TIMEOUT)
        assert p.returncode in (128 + int(sig), -int(sig)), p.stderr
        for _ in range(1200):               # (a limit that only turns a hang into a failure)
            if out.exists() and out.read_text() == "alive\n":
                break
            time.sleep(0.05)
        assert out.read_text() == "alive\n"
    finally:
        _stop_server(env)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGUSR1, signal.SIGHUP])
def test_a_childs_signal_ends_the_guest_not_the_caller(fbuild, tmp_path, sig):
    """Python API: the first process is the caller's own process. A guest child that sends its
    parent a signal whose default action ends a process ends the guest (the run's status says
    so) and the child lives on; the caller (pytest) lives. It died of the host signal (R3)."""
    exe = fbuild("killparent", "riscv64")
    out = tmp_path / "alive"
    code = ("import sys; from xld.emu import run; "
            f"r = run({exe!r}, [{str(int(sig))!r}, {str(out)!r}], timeout=60); "
            "print('status', r.returncode); sys.stdout.flush()")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT)
    assert (p.returncode, p.stdout) == (0, f"status {128 + int(sig)}\n"), p.stderr
    for _ in range(1200):                   # (a limit that only turns a hang into a failure)
        if out.exists() and out.read_text() == "alive\n":
            break
        time.sleep(0.05)
    assert out.read_text() == "alive\n"


@pytest.mark.parametrize("arch,sig,served", [("arm64", signal.SIGHUP, False), ("riscv64", signal.SIGHUP, True),
                                             ("arm64", signal.SIGKILL, True), ("riscv64", signal.SIGKILL, False),
                                             ("arm64", signal.SIGUSR1, False)])
def test_a_child_that_hangs_up_or_kills_its_parent_under_the_cli_lives_on(fbuild, tmp_path, arch, sig, served):
    """orphanout.c under `xld run` (the CLI, served or not), as a shell runs it: the child
    sends its parent SIGHUP, SIGKILL or SIGUSR1, then writes a line. As under qemu-user, the
    parent dies of it (status 128 + sig), the child lives on, reparented, and its line still
    reaches the reader of the output. The CLI's first process died of the host signal (the
    default action it kept, or SIGKILL), its lifeline closed without the byte that says the
    run ended by itself, and every other process of the run killed itself: the child's line
    never came (SIGTERM and SIGINT were already served: the test above)."""
    exe = fbuild("orphanout", arch)
    want = b"parent: waiting\nchild: its parent gone 1\n"
    rc, out, _err = run_qemu(arch, exe, [str(int(sig))], timeout=TIMEOUT)
    assert (rc, out) == (128 + int(sig), want)
    env = _server_env(tmp_path, served)
    try:
        if served:
            _start_server(env, fbuild("forkexec", "arm64"))
        # the output is a pipe: read to its end, which comes when the child too has closed it
        p = subprocess.run([sys.executable, "-m", "xld.link", "run", exe, str(int(sig))],
                           env=env, capture_output=True, timeout=TIMEOUT)
        rc = p.returncode if p.returncode >= 0 else 128 - p.returncode
        assert (rc, p.stdout) == (128 + int(sig), want), p.stderr
    finally:
        _stop_server(env)


PDEATH = (b"at start: 0\nsignal 65: -1 Invalid argument\nset SIGTERM: 0, then get 15\n"
          b"a fork's child: 0\n"
          b"SIGUSR1:\n  inherited 0; got 10, SI_USER 1, from its parent 1; parent gone 1\n"
          b"set, then 0:\n  inherited 0; got none; parent gone 1\n"
          b"SIGKILL:\n"
          b"the thread that forked it ends:\n"
          b"  got 10, SI_USER 1, from its parent 1; parent process still there 1\n"
          b"the first process's child: got 10, from its parent 1\n")


@pytest.mark.parametrize("arch", ARCHES)
def test_a_parent_death_signal_comes_when_the_parent_ends(fbuild, arch):
    """pdeath.c: prctl(PR_SET_PDEATHSIG) and PR_GET_PDEATHSIG (EINVAL past signal 64; 0 in a
    fork's child); a process whose parent ends gets its signal, SI_USER from the parent's
    pid, and is reparented; none once set back to 0; SIGKILL kills the orphan (its line never
    comes); a thread that forked the child ends while its process lives on: the signal comes
    (prctl(2): the parent *thread*); last, the run's first process is the parent that ends
    (its child's line still reaches the Result). Linux's lines (qemu-user, and the host natively). xld refused
    PR_SET_PDEATHSIG with EINVAL ("set SIGTERM: -1"), so no signal ever came."""
    exe = fbuild("pdeath", arch)
    rc, out, _err = run_qemu(arch, exe, timeout=TIMEOUT)
    assert (rc, out) == (0, PDEATH)
    res = run(exe, timeout=TIMEOUT)
    assert (res.returncode, res.stdout) == (0, PDEATH), (res.crash, res.stderr)


def test_a_parent_death_signal_under_the_cli(fbuild, tmp_path):
    """The same under `xld run` (its first process is the CLI's own, which exits)."""
    exe = fbuild("pdeath", "arm64")
    p = subprocess.run([sys.executable, "-m", "xld.link", "run", exe], env=_server_env(tmp_path, False),
                       capture_output=True, timeout=TIMEOUT)
    assert (p.returncode, p.stdout) == (0, PDEATH), p.stderr


@pytest.mark.parametrize("arch", ARCHES)
def test_a_parent_death_signal_asked_for_after_the_forking_thread_ended(fbuild, arch):
    """pdeathlate.c: the thread that forked the child ends (its process lives on), and only
    then does the child ask for SIGUSR1 at its parent's death: nothing comes until the parent
    process ends (Linux sends the signal as the thread ends, to a child that asked by then;
    qemu-user and the host natively agree). The thread's end, told to the child by its
    mailbox before the ask, still sent the signal at the ask: "got 1" in 3 of 4 runs here."""
    exe = fbuild("pdeathlate", arch)
    want = b"asked after the forking thread ended: got 0\nafter its parent process ended: got 1\n"
    rc, out, _err = run_qemu(arch, exe, timeout=TIMEOUT)
    assert (rc, out) == (0, want)
    for _ in range(3):                      # (the old code's answer came from a race)
        res = run(exe, timeout=TIMEOUT)
        assert (res.returncode, res.stdout) == (0, want), (res.crash, res.stderr)


@pytest.mark.parametrize("arch,sig", [("arm64", signal.SIGKILL), ("riscv64", signal.SIGABRT),
                                      ("arm64", signal.SIGINT)])
def test_a_childs_signal_the_caller_cannot_serve_is_refused_not_sent(fbuild, sig, arch):
    """Python API: the first process is the caller's own process. A guest child's
    kill(getppid(), SIGKILL or SIGABRT) killed the caller (python -c ...: status 137, 134,
    nothing printed; a pytest worker would die the same way), SIGINT was the caller's
    KeyboardInterrupt (an InternalError). The caller cannot end only the guest for these:
    refused (the child stops with the reason), the caller lives; the first process, left
    waiting in pause(), ends at the run's time limit. (`xld run` serves them: the tests
    above.)"""
    exe = fbuild("killparent", arch)
    code = ("import sys; from xld.emu import run; "
            f"r = run({exe!r}, [{str(int(sig))!r}, '/dev/null'], timeout=10); "
            "print('limit', r.limit); print(r.stderr.decode(errors='replace')); sys.stdout.flush()")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT,
                       env={**os.environ, "XLD_SERVER": "0"})
    assert p.returncode == 0, (p.returncode, p.stdout[-2000:], p.stderr[-2000:])
    assert p.stdout.startswith("limit timeout\n"), p.stdout[-2000:]
    assert (f"signal {int(sig)} to the run's first process from another process of an in-process run"
            in " ".join(p.stdout.split())), p.stdout[-3000:]


@pytest.mark.parametrize("arch,sig", [("arm64", signal.SIGTERM), ("riscv64", signal.SIGUSR1)])
def test_a_signal_to_the_first_process_after_its_guest_ended_is_esrch(fbuild, arch, sig):
    """orphankill.c: the first process returns, its child (reparented) then signals it: the
    process is gone, ESRCH, as under qemu-user run by a shell, which reaps it (a parent that
    has not reaped it yet, as subprocess.run reading the output to its end, gets 0: a zombie).
    Under the Python API (here) the caller's host process lives on after the guest's end;
    xld said 0 and sent the host signal to the caller (and under `xld run` to whatever
    process has the pid by then)."""
    exe = fbuild("orphankill", arch)
    want = b"parent: done\nchild: kill of its ended parent: -1 No such process\n"
    p = subprocess.run(["sh", "-c", f'{QEMU[arch]} "$0" {int(sig)} | cat', exe], capture_output=True,
                       timeout=TIMEOUT)
    assert (p.returncode, p.stdout) == (0, want)
    res = run(exe, [str(int(sig))], timeout=TIMEOUT)
    assert (res.returncode, res.stdout) == (0, want), (res.crash, res.stderr)


@pytest.mark.parametrize("arch", ARCHES)
def test_a_hangup_from_outside_before_any_fork_kills_the_cli_as_qemu(fbuild, tmp_path, arch):
    """hupready.c under `xld run` (no fork), SIGHUP from outside: the process dies of it,
    status -1 as qemu-user's. Serving SIGHUP & co. in the CLI's first process (so that a
    child that hangs up its parent lives on) is for a run that has forked, as docs/run.md
    says; its sigaction(SIGHUP, SIG_DFL) served it from the start, and the CLI exited 129."""
    exe = fbuild("hupready", arch)
    for cmd in ([QEMU[arch]], [sys.executable, "-m", "xld.link", "run"]):
        p = subprocess.Popen(cmd + [exe], stdout=subprocess.PIPE, env=_server_env(tmp_path, False))
        try:
            assert p.stdout.readline() == b"ready\n"
            p.send_signal(signal.SIGHUP)
            assert p.wait(timeout=TIMEOUT) == -signal.SIGHUP, cmd
        finally:
            p.kill()
            p.wait()
            p.stdout.close()
