"""What a process keeps and loses at execve under ``xld run`` (emu/runner.py exec_image,
emu/timers.py exec_timers, emu/threads.py exec_pending), checked against Linux: the program
(progs/execstate.c) sets state up in one image and reports it from the next.

The oracles: qemu-user, which hands execve to the host kernel (here with no binfmt_misc entry,
so the program executes a new qemu itself: EXEC_VIA), and so answers for the kernel-held state
(timers, pending signals, ignored signals, personality) as the kernel does; and the host's own
answer, the same program built for the host and run there (Linux 6.18), written down below.
Nothing is timed: the new image waits until after the old image's timer was due, whatever
the machine's load, and only then reports."""

import os
import subprocess

import pytest

from tests import toolchain as tc
from xld.emu import run

from conftest import ARCHES, PROGS, QEMU, compile_command, run_qemu

TIMEOUT = 120

# progs/execstate.c built with the host's gcc and run on the host (Linux 6.18, x86_64), and the
# same under qemu-aarch64 and qemu-riscv64 7.2 (EXEC_VIA): the same lines
LINUX = [
    b"alive after the old image's timer was due",
    b"timer_gettime of the old timer's id: -1 Invalid argument",
    b"fd 7 open, fd 8 closed",
    b"sigaltstack: disabled",
    b"SIGUSR2: default",
    b"SIGINT: ignored",
    b"blocked: 1 3 15 30",
    b"pending: 1 15 30 36 38",
    b"ITIMER_PROF: kept, interval 100 s",
    b"ITIMER_VIRTUAL: kept",
    b"alarm: kept",
    b"parent-death signal: 12",
    b"personality: 0x40000",
    b"name: the new program's, dumpable: 1",
    b"taken after exec: 5",
    b"a new timer: made",
]


# xld's lines: Linux's (PR_SET_PDEATHSIG, refused with EINVAL before, is now kept across exec)
XLD = LINUX


@pytest.fixture(scope="module")
def ebuild(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("emu-execstate")
    cache = {}

    def get(prog, arch):
        if (prog, arch) not in cache:
            src = os.path.join(PROGS, prog + ".c")
            out = str(out_dir / f"{prog}-{arch}")
            cmd = compile_command("gcc", arch, src, out)
            cmd.insert(cmd.index(src), "-pthread")
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
            assert p.returncode == 0, f"{' '.join(cmd)}\n{p.stderr}"
            cache[prog, arch] = out
        return cache[prog, arch]
    return get


def _xld(ebuild, arch):
    res = run(ebuild("execstate", arch), timeout=TIMEOUT)
    return res.returncode, res.stdout.splitlines(), res.stderr


@pytest.mark.parametrize("arch", ARCHES)
def test_posix_timer_is_deleted_at_exec(ebuild, arch):
    """A POSIX timer armed (50 ms, SIGUSR1, blocked until the new image has waited past its
    expiry and unblocks it) before execve: Linux deletes it (exit_itimers), so it never
    fires into the new image, and its id is gone (timer_gettime: EINVAL). xld kept it:
    SIGUSR1's default action killed the new image at the unblock (status 138)."""
    rc, out, err = _xld(ebuild, arch)
    assert rc == 0, err[-3000:]
    assert out[:2] == LINUX[:2]
    assert out[-1] == LINUX[-1]


@pytest.mark.parametrize("arch", ARCHES)
def test_signals_pending_for_the_process_survive_the_other_threads(ebuild, arch):
    """At exec the other threads die (de_thread): what was sent to one of them alone is
    discarded (tgkill's SIGQUIT and SIGRTMIN+3), what another thread sent the process
    (kill's SIGPWR, sigqueue's SIGRTMIN+4, left in that thread's set) stays pending, as does
    what the exec'ing thread had (SIGHUP, SIGTERM, SIGRTMIN+2). xld lost the process's
    signals that waited in another thread's set: "pending: 1 15 36", 3 taken."""
    rc, out, err = _xld(ebuild, arch)
    assert rc == 0, err[-3000:]
    assert [line for line in out if line.startswith((b"pending", b"taken"))] == \
        [b"pending: 1 15 30 36 38", b"taken after exec: 5"]


@pytest.mark.parametrize("arch", ARCHES)
def test_personality_kept_name_and_dumpable_reset_at_exec(ebuild, arch):
    """personality(ADDR_NO_RANDOMIZE) is kept across exec (xld answered 0 to every
    personality call, so personality(0xffffffff) said 0); prctl's PR_SET_NAME and
    PR_SET_DUMPABLE 0 are the old image's only (xld kept both: "kept", 0)."""
    rc, out, err = _xld(ebuild, arch)
    assert rc == 0, err[-3000:]
    assert [line for line in out if line.startswith((b"personality", b"name"))] == \
        [b"personality: 0x40000", b"name: the new program's, dumpable: 1"]


@pytest.mark.parametrize("arch", ARCHES)
def test_the_rest_of_the_state_at_exec_is_linuxs(ebuild, arch):
    """Every line as Linux writes it (the host's run of the same program), PR_SET_PDEATHSIG's
    signal kept across exec too ("parent-death signal: -1" when xld refused it)."""
    rc, out, err = _xld(ebuild, arch)
    assert (rc, out) == (0, XLD), err[-3000:]


@pytest.mark.parametrize("arch", ARCHES)
def test_state_at_exec_same_as_qemu(ebuild, arch):
    """qemu-user, executing a new qemu through the host kernel, writes the same lines."""
    exe = ebuild("execstate", arch)
    qemu = tc.require(QEMU[arch])          # (a failure in CI, a skip elsewhere)
    rc, out, err = run_qemu(arch, exe, env={"EXEC_VIA": qemu}, timeout=TIMEOUT)
    out = out.splitlines()
    if b"pending: 1 15 30 36 38 39" in out:
        # a kernel before the POSIX timer rework (6.1's sigqueue_free) leaves the deleted
        # timer's queued SIGRTMIN+5 pending after exec; xld does as Linux 6.18 does
        out = [b"pending: 1 15 30 36 38" if line.startswith(b"pending") else
               b"taken after exec: 5" if line == b"taken after exec: 6" else line for line in out]
    assert (rc, out) == (0, LINUX), err[-3000:]
    assert _xld(ebuild, arch)[:2] == (0, XLD)
