"""The calls a program makes to change what only a privileged process may change — its ids,
capabilities, scheduling policy, the system clock — answered as Linux answers an unprivileged
process (emu/creds.py, emu/syscalls.py): success where nothing would change, EPERM or EINVAL
where Linux says so; root's calls that would change the emulator's own ids or the host's clock
are refused (SIGSYS with a note). xld stopped at each of them with SIGSYS.

The oracle is qemu-user run as an unprivileged user: the same program, the same host kernel.
When the tests run as root, qemu runs as nobody (setpriv), and xld — which cannot itself drop
root here (the Python it runs on may be readable by root only) — runs with its view of the
host's ids and capabilities made nobody's (syscalls.host_ids, creds.host_caps): everything it
decides from privilege is decided from those two."""

import os
import re
import shutil
import subprocess
import tempfile

import pytest

from xld.emu import creds, run
from xld.emu import syscalls as S

from conftest import QEMU, sysroot
from tests import toolchain as tc

NOBODY = 65534
KINDS = [(a, k) for a in ("arm64", "riscv64") for k in ("gcc", "dyn", "zig")]


@pytest.fixture
def unprivileged(monkeypatch):
    """(qemu's command prefix, xld's view made unprivileged): as root, qemu runs as nobody
    and xld sees nobody's ids and no capability; as another user, both run as that user."""
    if os.geteuid() != 0:
        return []
    monkeypatch.setattr(S, "host_ids", lambda: (NOBODY, NOBODY, False))
    monkeypatch.setattr(creds, "host_caps", lambda: (0, 0, 0))
    return [tc.require("setpriv"), f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]


def run_as(prefix, exe, runner=()):
    """Run ``exe`` (under ``runner``, qemu-user's command) behind ``prefix``, from a copy any
    user may run (the build directory may be root's alone); (exit status, stdout)."""
    d = tempfile.mkdtemp(prefix="xld-unpriv-")
    try:
        os.chmod(d, 0o755)
        copy = os.path.join(d, os.path.basename(exe))
        shutil.copy(exe, copy)
        os.chmod(copy, 0o755)
        p = tc.run_group([*prefix, *runner, copy], env={}, cwd=d, timeout=120)
        return p.returncode, p.stdout
    finally:
        shutil.rmtree(d, ignore_errors=True)


def qemu_as(prefix, arch, kind, exe):
    qemu = shutil.which(QEMU[arch]) or tc.missing(f"{QEMU[arch]} not installed")
    return run_as(prefix, exe, [qemu, *(["-L", sysroot(arch)] if kind == "dyn" else [])])


IDCALLS = (
    b"uids all the same 1, gids 1, unprivileged 1\n"
    b"setuid: own ok, another Operation not permitted, -1 Invalid argument\n"
    b"setgid: own ok, another Operation not permitted, -1 Invalid argument\n"
    b"setreuid: -1 -1 ok, own own ok, another as real Operation not permitted, as effective Operation not permitted\n"
    b"setregid: -1 -1 ok, own own ok, another as real Operation not permitted, as effective Operation not permitted\n"
    b"setresuid: -1 -1 -1 ok, own own own ok, another as saved Operation not permitted\n"
    b"setresgid: -1 -1 -1 ok, own own own ok, another as saved Operation not permitted\n"
    b"setfsuid: another gives the old 1, still the old 1; setfsgid: 1 1\n"
    b"setgroups: none Operation not permitted, its own group Operation not permitted\n"
    b"C library: setuid ok, seteuid ok, setegid ok, setreuid ok, setuid(another) Operation not permitted, "
    b"setgroups Operation not permitted\n"
    b"capget: ok, none 1\n"
    b"capget version 1 of its pid: ok, none 1, second set untouched 1\n"
    b"capget of an unknown version: Invalid argument, version given back 1\n"
    b"without data: ok, version given back 1\n"
    b"capget of pid -1: Invalid argument\n"
    b"capset: none ok, CAP_NET_RAW Operation not permitted, effective only Operation not permitted, "
    b"another pid Operation not permitted, unknown version Invalid argument\n"
)

# idcalls.c's last lines: a pid no process has (ESRCH: xld stopped with SIGSYS, or said 0 to
# sched_getscheduler), getgroups(-1) (xld: 0), capset of a bit beyond the last capability
# (dropped by the kernel: xld said EPERM), mlock against RLIMIT_MEMLOCK (xld locked anything)
IDCALLS_END = (
    b"a pid gone: capget No such process, sched_getscheduler No such process, sched_getparam No such process, "
    b"sched_setscheduler No such process, sched_setparam No such process, sched_rr_get_interval No such process\n"
    b"pid 1, another user's: read, change Operation not permitted\n"
    b"getgroups(-1) Invalid argument; capset of bit 63, beyond the last capability: ok\n"
    b"mlock of 64 MiB as RLIMIT_MEMLOCK says 1; of -0x10000 bytes at 0x10000: Cannot allocate memory; "
    b"a limit of 0: mlock Operation not permitted, mlockall Operation not permitted, munlock ok\n"
)
if os.stat("/proc/1").st_uid == (NOBODY if os.geteuid() == 0 else os.getuid()):       # pid 1 is ours
    IDCALLS_END = IDCALLS_END.replace(b"read, change Operation not permitted", b"(not)")
# musl's sched_* wrappers answer ENOSYS themselves; its words for ENOMEM
IDCALLS_END_MUSL = IDCALLS_END.replace(b"read, change Operation not permitted", b"?").replace(b"sched_getscheduler No such process, sched_getparam No such process, "
                                       b"sched_setscheduler No such process, sched_setparam No such process",
                                       b"sched_getscheduler Function not implemented, sched_getparam Function "
                                       b"not implemented, sched_setscheduler Function not implemented, "
                                       b"sched_setparam Function not implemented"
                                       ).replace(b"Cannot allocate memory", b"Out of memory")


@pytest.mark.parametrize("arch,kind", KINDS)
def test_set_id_calls_and_capabilities_as_an_unprivileged_process(build, arch, kind, unprivileged):
    """idcalls.c: setuid & co. (own ids: ok; another: EPERM; -1: EINVAL), setfsuid (the old
    id, nothing changed), setgroups (EPERM whatever the list), capget (no capability; an
    unknown version given back with EINVAL), capset (the sets it has: ok; more: EPERM), and
    the scheduling policies (SCHED_FIFO without RLIMIT_RTPRIO: EPERM; SCHED_BATCH and
    SCHED_IDLE: yes; SCHED_RESET_ON_FORK, kept, and cleared in a child; no way back from
    SCHED_IDLE without RLIMIT_NICE) — musl answers its own ENOSYS for those; a pid no
    process has (ESRCH), getgroups(-1), capset beyond the last capability, mlock and
    RLIMIT_MEMLOCK (IDCALLS_END)."""
    exe = build("idcalls", arch, kind)
    rc, out = qemu_as(unprivileged, arch, kind, exe)
    res = run(exe, timeout=120)
    assert res.crash is None, res.crash
    assert (res.returncode, res.stdout) == (rc, out), res.stderr
    assert (rc, out[:len(IDCALLS)]) == (0, IDCALLS)
    assert out.endswith(IDCALLS_END_MUSL if kind == "zig" else IDCALLS_END)


CLOCKSET = (
    b"times after a 50 ms sleep: at least 4 ticks later 1, CPU times read 1\n"
    b"settimeofday: now Operation not permitted, its zone Operation not permitted, "
    b"a zone 2000 min west Operation not permitted\n"
    b"settimeofday: usec 1000001 Invalid argument, usec 1000000 Invalid argument, usec -1 Invalid argument, "
    b"sec -1 Invalid argument\n"
)


@pytest.mark.parametrize("arch,kind", KINDS)
def test_setting_and_adjusting_the_clock_as_an_unprivileged_process(build, arch, kind, unprivileged):
    """clockset.c: settimeofday (EFAULT, EINVAL as the kernel checks, then EPERM, even for
    two NULLs), adjtimex and clock_adjtime (a read succeeds with the host's clock state; a
    change is EPERM, an invalid one EINVAL; the other clocks EOPNOTSUPP or EINVAL), and
    times(), whose result is the host's clock ticks (xld gave its monotonic clock's, cut to
    31 bits)."""
    exe = build("clockset", arch, kind)
    rc, out = qemu_as(unprivileged, arch, kind, exe)
    before = os.times().elapsed
    res = run(exe, timeout=120)
    after = os.times().elapsed
    assert res.crash is None, res.crash
    first, _, rest = res.stdout.partition(b"\n")
    assert re.fullmatch(rb"times: -?\d+", first), first
    assert round(before * 100) - 1 <= int(first.split()[1]) <= round(after * 100) + 1
    assert (res.returncode, rest) == (rc, out.partition(b"\n")[2]), res.stderr
    assert (rc, rest[:len(CLOCKSET)]) == (0, CLOCKSET)
    assert b"adjtimex read: a clock state 1, tick 9000 to 11000 us 1, time now 1\n" in rest
    assert rest.endswith(b"sleep 2 ms on the process's CPU clock, alone: Interrupted system call, "
                         b"time left 1.9 to 2 ms 1\n")


def test_root_keeps_its_ids_and_is_refused_a_change(build, monkeypatch):
    """As root, a call that keeps the ids succeeds, and one that would change the emulator's
    own (setuid to another user) stops the program with a note, as does setting the clock."""
    monkeypatch.setattr(S, "host_ids", lambda: (0, 0, True))
    exe = build("idcalls", "arm64")
    res = run(exe, timeout=60)
    assert res.stdout == b"uids all the same 1, gids 1, unprivileged 0\n"     # (then setuid(1))
    assert res.returncode == 128 + 31 and "setuid" in res.crash and "ids" in res.crash, res.crash
    exe = build("clockset", "arm64")
    res = run(exe, timeout=60)
    assert res.returncode == 128 + 31 and "settimeofday" in res.crash, res.crash


def test_expected_lines_are_the_host_kernels(tmp_path, unprivileged):
    """The oracle of the tests above where qemu-user is none: idcalls.c and clockset.c built
    for the host, run on its kernel as the same unprivileged user."""
    out = {}
    for prog in ("idcalls", "clockset"):
        exe = str(tmp_path / prog)
        subprocess.run([tc.require("gcc"), "-O2", os.path.join(os.path.dirname(__file__), "progs", f"{prog}.c"),
                        "-o", exe], check=True, capture_output=True, timeout=300)
        rc, out[prog] = run_as(unprivileged, exe)
        assert rc == 0
    assert out["idcalls"].startswith(IDCALLS) and out["idcalls"].endswith(IDCALLS_END)
    rest = out["clockset"].partition(b"\n")[2]
    assert rest.startswith(CLOCKSET)
    assert rest.endswith(b"sleep 2 ms on the process's CPU clock, alone: Interrupted system call, "
                         b"time left 1.9 to 2 ms 1\n")
