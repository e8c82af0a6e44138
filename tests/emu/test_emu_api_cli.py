"""The in-process API, the pytest fixture, the CLI (`python -m xld.emu` and cli.main) and --strace."""

import os
import subprocess
import sys

import pytest

from tests import toolchain as tc

from xld.emu import Result, RunError, run
from xld.emu.cli import main


def test_fixture_runs_programs_in_the_test_s_directory(build, xld_run, tmp_path, tmp_path_factory):
    """The fixture's default is the host's view (as qemu-user), in the test's tmp_path:
    relative names land there, absolute host paths work."""
    (tmp_path / "data.txt").write_text("line one\nline two\n")
    res = xld_run(build("files", "riscv64"))
    assert isinstance(res, Result)
    assert res.ok, res.crash
    assert b"data: line two" in res.stdout
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "data.txt"
    elsewhere.write_text("INSIDE")
    res = xld_run(build("sandbox", "riscv64"), "race", str(elsewhere), "1")
    assert res.stdout == b"inside 1 secret 0 missing 0\n"


@pytest.mark.parametrize("prog", ["hello", "sigchldonce"])
def test_in_process_runs_leave_nothing_behind(build, prog):
    """Many runs in one process (what a test suite does) give the same result each time and
    leak no descriptors or threads. (Their speed is the emulator benchmark's business:
    python -m xld.tools.bench_emu reports the time per in-process run against its budget.)
    A run that forks (sigchldonce: three children, a SIGCHLD handler) kept its run lock's
    five descriptors and its signal pump's pipe and thread: a pytest worker reached
    descriptor 1024, and select() refused it."""
    import threading
    import time
    exe = build(prog, "arm64")
    first = run(exe, ["x"])
    build.settle()                  # the session's background compiles open and close pipes
    for _ in range(50):             # (a run's signal pump ends within half a second of it)
        if not any(t.name == "xld-run-signals" for t in threading.enumerate()):
            break
        time.sleep(0.1)
    def fdmap():
        out = {}
        for fd in os.listdir("/proc/self/fd"):
            try:
                out[fd] = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                pass
        return out
    # (what else this worker runs may close descriptors and end threads meanwhile: what is
    # asserted is that the runs left none of their own)
    before, threads = fdmap(), set(threading.enumerate())
    for _ in range(5):
        res = run(exe, ["x"])
        assert (res.returncode, res.stdout, res.stderr) == (first.returncode, first.stdout, first.stderr)
    for _ in range(50):
        if not set(threading.enumerate()) - threads:
            break
        time.sleep(0.1)
    after = fdmap()
    assert set(after.items()) <= set(before.items()), (before, after)
    assert not set(threading.enumerate()) - threads, [t.name for t in threading.enumerate()]


def test_check_raises_with_the_report(build):
    from xld.emu import ProgramFailed
    assert run(build("hello", "arm64"), ["3"]).check(3).returncode == 3
    with pytest.raises(ProgramFailed, match="(?s)killed by SIGSEGV.*crashing: null.*<write_null"):
        run(build("crash", "arm64"), ["null"]).check()


def test_env_as_list_and_argv0(build):
    res = run(build("env", "arm64"), ["a"], env=["XLD_A=1", "XLD_B=2"], argv0="/bin/renamed")
    assert b"env XLD_A=1\nenv XLD_B=2\n" in res.stdout
    assert b"argv[0] = renamed\n" in res.stdout


def test_strace_lines(build):
    lines = []
    res = run(build("hello", "riscv64"), ["x"], strace=lines.append)
    assert res.returncode == 0
    text = "".join(lines)
    assert 'write(1,"hello from 2 args' in text
    assert "exit_group(0)" in text.splitlines()[-1]


def test_dynamic_executable_without_its_interpreter_is_refused(tmp_path, capsys):
    """No sysroot and no ld.so under the root: one clear error naming the missing loader."""
    import shutil
    exe = tmp_path / "dyn"
    if shutil.which("aarch64-linux-gnu-gcc") is None:
        tc.missing("aarch64-linux-gnu-gcc not installed")
    p = subprocess.run(["aarch64-linux-gnu-gcc", "-x", "c", "-", "-o", str(exe)],
                       input=b"int main(){return 0;}", capture_output=True)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    empty = tmp_path / "empty"
    empty.mkdir()
    msg = "program interpreter /lib/ld-linux-aarch64.so.1 was not found"
    with pytest.raises(RunError, match=f"dynamically linked, but its {msg} under the root .*no sysroot"):
        run(exe, root=tmp_path, sysroot="")
    with pytest.raises(RunError, match=f"{msg} in the sysroot {empty} nor under the root"):
        run(exe, root=tmp_path, sysroot=empty)
    with pytest.raises(RunError, match="--sysroot .*: not a directory"):
        run(exe, sysroot=tmp_path / "nope")
    assert main(["--sysroot=", "--root", str(tmp_path), str(exe)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"xld: error: {exe}: dynamically linked") and msg in err
    assert err.count("\n") == 1


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main([str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("xld: error: cannot open") and "Traceback" not in err
    (tmp_path / "text").write_text("not elf")
    assert main([str(tmp_path / "text")]) == 1
    assert "not an ELF file" in capsys.readouterr().err
    assert main(["--timeout", "soon", "x"]) == 1
    assert capsys.readouterr().err.startswith("xld: error:")
    assert main([]) == 1
    assert main(["--root", str(tmp_path / "nope"), str(tmp_path / "text")]) == 1


def _cli(args, **kw):
    return subprocess.run([sys.executable, "-m", "xld.emu", *args], capture_output=True, timeout=120, **kw)


def test_cli_passes_streams_and_status_musl(build, tmp_path):
    exe = build("stdin", "arm64", "zig")
    p = _cli([exe], input=b"a b\nc\n")
    assert p.returncode == 0
    assert p.stdout == b"tty: 0\nA B\nC\n\n2 3 6\n"
    assert p.stderr == b"done\n"


def test_cli_env_options(build):
    exe = build("env", "riscv64")
    p = _cli(["-E", "XLD_GREETING=hey", "-E", "XLD_X=1", "-U", "XLD_X", "--argv0", "myname", exe, "arg"],
             env={**os.environ, "XLD_INHERITED": "yes"})
    out = p.stdout.decode()
    assert "greeting: hey" in out and "XLD_INHERITED=yes" in out and "XLD_X" not in out
    assert "argv[0] = myname" in out


@pytest.mark.parametrize("how", ["emu-module", "served", "unserved", "lean-served", "lean-unserved"])
def test_cli_program_gets_lc_ctype_as_given(build, how):
    """Python's start-up in the C locale sets LC_CTYPE=C.UTF-8 in its own environment (PEP 538);
    the program gets what the command was given, as under qemu-user (it got C.UTF-8: pcre2grep's
    RunGrepTest 150, LC_CTYPE=badlocale, failed), whichever way the command runs."""
    from xld.link import client
    exe = build("env", "arm64")
    base = {k: v for k, v in os.environ.items()
            if k.startswith("XLD_") or k in ("PATH", "HOME", "XDG_RUNTIME_DIR")}
    base["XLD_SERVER"] = "0" if how.endswith("unserved") else "1"
    cmd = {"emu-module": [sys.executable, "-m", "xld.emu"],
           "served": [sys.executable, "-m", "xld.link", "run"],
           "unserved": [sys.executable, "-m", "xld.link", "run"],
           "lean-served": [*client.lean_argv(sys.executable), "run"],
           "lean-unserved": [*client.lean_argv(sys.executable), "run"]}[how]
    for given, seen in (({}, b"(unset)"), ({"LC_CTYPE": "badlocale"}, b"badlocale"),
                        ({"LC_CTYPE": "C"}, b"C")):
        p = subprocess.run([*cmd, exe], env={**base, **given}, capture_output=True, timeout=120)
        assert p.returncode == 0, p.stderr
        assert b"\nLC_CTYPE: " + seen + b"\n" in p.stdout, (given, p.stdout)


def test_cli_crash_report_and_status(build):
    p = _cli([build("crash", "riscv64"), "null"])
    assert p.returncode == 139
    assert b"SIGSEGV" in p.stderr and b"<write_null" in p.stderr


def test_cli_limits(build):
    p = _cli(["--max-insns", "1000000", build("spin", "arm64")])
    assert p.returncode == 152 and b"instruction limit" in p.stderr
    p = _cli(["--timeout", "0.5", build("spin", "riscv64")])
    assert p.returncode == 137 and b"time limit" in p.stderr


def test_cli_strace(build):
    p = _cli(["--strace", build("hello", "arm64")])
    assert p.returncode == 0
    assert b"exit_group(0)" in p.stderr and b"hello from 1 args" in p.stdout


def test_cli_ctrl_c_stops_a_spinning_program(build):
    """Ctrl-C ends a guest that makes no system call, with status 130.  The command starts as
    from a terminal: SIGINT with its default action and not blocked (a process that inherits
    SIGINT ignored keeps ignoring it, as it should: in the suite's full runs of 2026-12-05 the
    suite's own process had SIGINT ignored by the time this test ran, set somewhere in the
    tests before it and not found yet, so the command it started ignored Ctrl-C; what the
    suite's process has is printed)."""
    import signal
    print("test process: SIGINT handler", signal.getsignal(signal.SIGINT),
          "blocked", signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))

    def as_from_a_terminal():
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    p = subprocess.Popen([sys.executable, "-m", "xld.emu", build("spin", "arm64")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=as_from_a_terminal)
    try:
        assert p.stdout.readline() == b"spinning\n"
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=20) == 130
    finally:
        p.kill()


def test_strace_gives_the_si_code_the_handler_reads(build):
    """--strace's signal line has the si_code the program's handler gets: SI_KERNEL (128) for
    alarm()'s and setitimer's SIGALRM, as strace shows on Linux. It said -2 (SI_TIMER, the
    kind xld delivers every timer's signal as) while the handler read 128."""
    lines = []
    res = run(build("alarm", "arm64"), strace=lines.append, timeout=60)
    assert res.returncode == 142, (res.returncode, res.stderr)      # (killed by SIGALRM at the end)
    alrm = [ln for ln in "".join(lines).splitlines() if ln.startswith("--- SIGALRM")]
    assert alrm and all("si_code=128," in ln for ln in alrm), alrm[:3]


def test_a_crash_report_lists_the_calls_before_an_execve_as_they_were(build, tmp_path):
    """The crash report's last system calls that the old image made (its write, the execve)
    are rendered from the old image's memory: read from the new image's at the crash, the
    execve's path came out as whatever the new image had at that address."""
    import shutil
    crash = tmp_path / "crash-program-with-a-long-name"
    shutil.copy(build("crash", "arm64", "zig"), crash)     # (musl: few calls before the crash)
    res = run(build("execcrash", "arm64"), [str(crash)], timeout=60)
    assert res.stdout.startswith(b"about to exec\n") and res.crash, (res.returncode, res.stderr)
    calls = res.crash.split("last system calls:")[1]
    assert f'execve("{crash}",' in calls, calls
    assert 'write(1,"about to exec\\n",14) = 14' in calls, calls
