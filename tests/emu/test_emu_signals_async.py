"""Signals reach a program that spins in a CPU loop without a system call (uc.Kicker's exact
stops, emu/threads.py run_count): its own interval timer's SIGALRM, and SIGUSR1 and SIGTERM
sent by another process to ``xld run``, each run by the program's handler, as under qemu-user.
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
                           b"kill 2: got signal 15\n")
    assert _drive([*tc.xld_command(), "run", exe]) == expected
