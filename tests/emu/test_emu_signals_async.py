"""Signals reach a program that spins in a CPU loop without a system call (uc.Kicker's exact
stops, emu/threads.py run_count): its own interval timer's SIGALRM, and SIGUSR1 and SIGTERM
sent by another process to ``xld run``, and SIGUSR2 from its own forked child, each run by the
program's handler, as under qemu-user.
Before the kicker, a signal from another process waited for the program's next system call:
this program never made one and spun until the time limit."""

import shutil
import signal
import subprocess

import pytest

from tests import toolchain as tc

from conftest import QEMU


def _drive(cmd) -> tuple:
    """Run ``cmd``; after each "ready" line, send the next of SIGUSR1, SIGTERM; (status,
    stdout) at the end, or ("timeout", ...) when the program never ends."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = []
    try:
        for sig in (signal.SIGUSR1, signal.SIGTERM):
            while True:
                line = p.stdout.readline()
                lines.append(line)
                if line in (b"ready\n", b""):
                    break
            p.send_signal(sig)
        out, _err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _err = p.communicate()
        return "timeout", b"".join(lines) + out
    return p.returncode, b"".join(lines) + out


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_spinning_program_sees_timer_and_kill_from_another_process(build, arch):
    exe = build("sigspin", arch)
    qemu = shutil.which(QEMU[arch])
    if qemu is None:
        tc.missing(f"{QEMU[arch]} not installed")
    expected = _drive([qemu, exe])
    assert expected == (3, b"setitimer: got signal 14\nready\nkill 1: got signal 10\nready\n"
                           b"kill 2: got signal 15\nkill from a child: got signal 12\nchild exited 0\n")
    assert _drive([*tc.xld_command(), "run", exe]) == expected


def test_threads_run_uncounted_with_the_kicker_and_leave_no_thread_behind(build):
    """A threaded program runs without Unicorn's instruction count on an x86-64 host (the
    kicker stops it, uc.Kicker) and in counted slices elsewhere; either way its ticker thread
    ends with the run. (threads.c exits with 3 when its counter is right.)"""
    import platform
    import threading
    import time

    from xld.emu import run, runner, uc
    kicker = platform.machine().lower() in ("x86_64", "amd64")
    assert uc.Kicker.available() == kicker
    exe = build("threads", "arm64")
    counts = []
    real = runner.Process.run_count

    def spy(self):
        n = real(self)
        counts.append((n, self.kicker is not None, len(self.threads)))
        return n
    mp = pytest.MonkeyPatch()
    mp.setattr(runner.Process, "run_count", spy)
    try:
        res = run(exe, timeout=120)
    finally:
        mp.undo()
    assert res.returncode == 3 and b"counter 40000 (expected 40000)" in res.stdout, res.crash
    threaded = [c for c in counts if c[2] > 1]
    if kicker:
        assert threaded and all(n == 0 and k for n, k, _t in threaded), counts
    else:
        assert threaded and all(n > 0 and not k for n, k, _t in threaded), counts
    deadline = time.monotonic() + 60   # it ends at once; the bound only keeps the suite from hanging
    while any(t.name == "xld-run-ticker" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the ticker thread outlived the run"
        time.sleep(0.01)
