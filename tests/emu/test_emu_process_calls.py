"""Calls about a process that xld answered short of Linux (emu/syscalls.py, emu/creds.py,
emu/schedboard.py): the scheduling policy of another process of the run (xld stopped with
SIGSYS), memory already locked counting against RLIMIT_MEMLOCK (it did not: any number of
mlock calls each under the limit succeeded), the supplementary groups (getgroups listed none).
Compared with qemu-user, or, where qemu-user 7.2 is no oracle (its own mmap under
mlockall(MCL_FUTURE)), with the host kernel running the same program built natively. Nothing
is timed: limits only turn a hang into a failure."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from xld.emu import run

from conftest import QEMU, run_qemu
from test_emu_unprivileged import run_as, unprivileged  # noqa: F401  (a fixture)
from tests import toolchain as tc

SCHED_OUT = (b"batch self: ok\nchild inherited: 3\nparent reads the child's: 3\n"
             b"parent sets the child's SCHED_IDLE: ok\n"
             b"parent sets the child's FIFO 7 (bad for SCHED_OTHER): Invalid argument\n"
             b"parent: the child's now: 5\nchild sees its policy: 5\nchild reads the parent's: 3\n"
             b"child sets the parent's SCHED_OTHER: ok\nchild: the parent's priority: ok 0\n"
             b"child: rr interval of the parent: ok\nparent sees its policy: 0\n")


@pytest.mark.parametrize("arch,kind", [("arm64", "gcc"), ("riscv64", "gcc"), ("arm64", "zig")])
def test_scheduling_policy_of_another_process_of_the_run(build, arch, kind):
    """progs/schedchild.c: a parent reads and sets its child's policy, which the child then
    sees as its own, and the child its parent's (glibc; musl's wrappers answer ENOSYS
    themselves, so its run is the child inheriting and the ENOSYS lines, as under qemu)."""
    exe = build("schedchild", arch, kind)
    rc, out, _err = run_qemu(arch, exe, timeout=120)
    res = run(exe, timeout=120)
    assert res.crash is None, res.crash
    assert (res.returncode, res.stdout) == (rc, out), res.stderr[-3000:]
    if kind == "gcc":
        assert res.stdout == SCHED_OUT


MEMLOCK_OUT = (b"mlock 32K: ok\nmlock next 32K: ok\nmlock 4K more: Cannot allocate memory\n"
               b"mlock the first 48K again: ok\nmunlock 8K, then mlock 4K more: ok, ok\n"
               b"mlock 8K more: Cannot allocate memory\nchild: mlock 64K: ok\n"
               b"munmap 32K of it, then mlock 16K: ok, ok\nmunlockall: ok\nmlockall future: ok\n"
               b"mmap 32K locked: ok\nmmap 48K more: Resource temporarily unavailable\n"
               b"mlock 40K: Cannot allocate memory\nafter munlockall mmap 48K: ok\n"
               b"MAP_LOCKED 80K: Resource temporarily unavailable\nMAP_LOCKED 32K: ok\n"
               b"mlock 40K: Cannot allocate memory\n")


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_locked_memory_counts_against_the_limit(build, arch, unprivileged):  # noqa: F811
    """progs/memlock.c as an unprivileged process with RLIMIT_MEMLOCK 64 KiB: mlock adds up
    (a range locked again counts once), munlock and munmap give pages back, a forked child
    has nothing locked, mlockall(MCL_FUTURE) and MAP_LOCKED make mmap lock (EAGAIN beyond the
    limit), munlockall ends it. The oracle is the host kernel: the program built natively."""
    cc = shutil.which("cc") or shutil.which("gcc") or tc.missing("no native C compiler")
    d = tempfile.mkdtemp(prefix="xld-memlock-")
    try:
        native = os.path.join(d, "memlock")
        src = os.path.join(os.path.dirname(__file__), "progs", "memlock.c")
        subprocess.run([cc, "-O1", src, "-o", native], check=True, timeout=300)
        rc, out = run_as(unprivileged, native)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    assert (rc, out) == (0, MEMLOCK_OUT)
    res = run(build("memlock", arch), timeout=120)
    assert (res.returncode, res.stdout) == (rc, out), res.stderr[-3000:]


@pytest.mark.parametrize("arch,kind", [("arm64", "gcc"), ("riscv64", "zig")])
def test_supplementary_groups_are_the_hosts(build, arch, kind):
    """progs/groups.c: getgroups lists the emulator's supplementary groups, as qemu-user's
    guest gets qemu's (xld listed none), EINVAL for a size too small, and setgroups of that
    list is no change (xld stopped there with SIGSYS). As root, both run with groups 5, 7, 9
    (setpriv); otherwise with the user's own."""
    exe = build("groups", arch, kind)
    prefix = [tc.require("setpriv"), "--groups=5,7,9", "--"] if os.geteuid() == 0 else []
    qemu = shutil.which(QEMU[arch]) or tc.missing(f"{QEMU[arch]} not installed")
    q = subprocess.run([*prefix, qemu, exe], capture_output=True, timeout=120)
    x = subprocess.run([*prefix, sys.executable, "-m", "xld.emu", exe], capture_output=True, timeout=120)
    assert (x.returncode, x.stdout) == (q.returncode, q.stdout), x.stderr[-3000:]
    if prefix:
        assert x.stdout.startswith(b"getgroups count 3 list 3: 5 7 9\nsize too small: -1 errno 22\n"
                                   b"setgroups of its own list: 0 errno 0\n")


def test_served_run_has_the_clients_groups(build, tmp_path):
    """A served `xld run` (R2's finding 8): the server's worker has the server's groups, so
    a client whose supplementary groups differ is declined and runs the command itself —
    getgroups lists the client's (it listed the server's). As root: the server is started
    with no supplementary groups, the client has 5, 7, 9 (setpriv); otherwise nothing to
    change groups with, and both are the user's."""
    exe = build("groups", "arm64")
    env = {k: v for k, v in os.environ.items() if k.startswith("XLD_") or k in ("PATH", "HOME")}
    env.update(XLD_SERVER="1", XDG_RUNTIME_DIR=str(tmp_path))
    os.chmod(tmp_path, 0o700)
    cmd = [sys.executable, "-m", "xld.link", "run", exe]
    root = os.geteuid() == 0
    server = [*([tc.require("setpriv"), "--clear-groups", "--"] if root else []), *cmd]
    for _ in range(600):              # (the first starts the server; not timed: a limit)
        first = subprocess.run(server, env=env, capture_output=True, timeout=120)
        assert first.returncode == 0, first.stderr[-2000:]
        if any(f.endswith(".sock") for _d, _s, fs in os.walk(tmp_path) for f in fs):
            break
        time.sleep(0.1)
    subprocess.run(server, env=env, capture_output=True, timeout=120)   # (served: it is up)
    prefix = [tc.require("setpriv"), "--groups=5,7,9", "--"] if root else []
    p = subprocess.run([*prefix, *cmd], env=env, capture_output=True, timeout=120)
    want = b"5 7 9" if root else " ".join(str(g) for g in os.getgroups()).encode()
    assert p.stdout.startswith(b"getgroups count %d list %d: " % (len(want.split()), len(want.split()))
                               + want + b"\n"), (p.stdout, p.stderr[-2000:])
