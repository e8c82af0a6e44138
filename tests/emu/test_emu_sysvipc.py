"""System V IPC under ``xld run`` (emu/sysvipc.py): shared memory, semaphores and message
queues between the processes of a run, compared with qemu-user (which hands them to the host
kernel) on both arches, glibc and musl; the run's objects are its own (a host object is out of
reach, what the run leaves is removed when it ends); SEM_UNDO of the first process applied when
its guest ends; the mode bits a get asks for, as an unprivileged process. xld stopped at the
first of these calls with SIGSYS. Nothing is timed: limits only turn a hang into a failure."""

import ctypes
import os
import time

import pytest

from xld.emu import run
from xld.emu import syscalls as S

from conftest import TOOLCHAINS, TOOLCHAIN_IDS, run_qemu
from test_emu_unprivileged import qemu_as, unprivileged  # noqa: F401  (a fixture)


@pytest.fixture(autouse=True)
def _one_at_a_time():
    """The checks that a run leaves no System V object compare the host's whole list (its
    semaphore sets and queues name no creator): the tests of this file that make objects take
    turns across xdist's workers, so one's objects are never read as another's leftovers."""
    import fcntl
    with open("/tmp/xld-test-sysvipc.lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)

SYSVIPC_OUT = (
    b"shmget create 1\nshmget excl: -1 errno 17\nshmget same key same id 1\n"
    b"shmget too big: -1 errno 22\nshmget no key: -1 errno 2\nshmget bad id ops: shmat -1 errno 22\n"
    b"shmat ok 1 aligned 1 zero 1\nstat: key ok 1 segsz 10000 nattch 1 mode 600\n"
    b"cpid is me 1 lpid is me 1\nchild sees: parent wrote\nchild second attach sees: child wrote\n"
    b"child nattch 3\nparent sees: child wrote\nafter child exit nattch 1\n"
    b"second attach same memory 1\nshmdt not an attach: -1 errno 22\nshmdt 0\nrmid 0\n"
    b"key free after rmid: -1 errno 2\nmarked: dest 1 nattch 1 key 0\nstill usable: child wrote\n"
    b"shmdt last 0\ngone: -1 errno 22\nunaligned no SHM_RND: -1 errno 22\nSHM_RND: at 2000000000\n"
    b"semget 1 semget more: -1 errno 22\nchild: sem1 5\nparent: semop waited 0\n"
    b"after child exit sem1 0 (SEM_UNDO)\ngetpid is child 1\nsemtimedop timeout: -1 errno 11\n"
    b"IPC_NOWAIT: -1 errno 11\nsemop signal: -1 errno 4\ngetall 3 4\n"
    b"sem stat: nsems 2 key ok 1 mode 600\nsem rmid 0 then -1 errno 22\n"
    b"msgrcv type 1 waited: 4 one\nmsgrcv any: 4 type 2 two\nmsgrcv nowait: -1 errno 42\n"
    b"msgrcv E2BIG: -1 errno 7\nmsgrcv MSG_NOERROR: 2 to\nmsgsnd type 0: -1 errno 22\n"
    b"msgrcv signal: -1 errno 4\nmsg stat: qnum 1 lspid me 1 mode 600\nmsg rmid 0 then -1 errno 22\n"
    b"done\n")


def _sysv_ids() -> set:
    """The host's System V objects: (kind, id) from /proc/sysvipc."""
    ids = set()
    for kind in ("shm", "sem", "msg"):
        with open(f"/proc/sysvipc/{kind}") as f:
            for line in f.read().splitlines()[1:]:
                ids.add((kind, int(line.split()[1])))
    return ids


def _settled(check) -> bool:
    """``check()`` holds, once the janitor is done: the run's objects go when every process of
    it has ended, which the first process may not see at once (a host process forked from the
    test process, such as a compiler's, holds the run's pipe a moment): the janitor removes
    them then. Not timed: the limit only turns a hang into a failure."""
    for _ in range(600):
        if check():
            return True
        time.sleep(0.1)
    return check()


def _tables() -> set:
    import tempfile
    names = set()
    for d in ("/dev/shm", tempfile.gettempdir()):
        if os.path.isdir(d):
            names |= {n for n in os.listdir(d) if n.startswith("xld-sysvipc-")}
    return names


@pytest.mark.parametrize("arch,tc", TOOLCHAINS, ids=TOOLCHAIN_IDS)
def test_sysv_ipc_between_processes(build, arch, tc):
    """progs/sysvipc.c: a segment written by parent and forked child, attached again by key,
    nattch, IPC_RMID with the segment still attached (its key free, destroyed at the last
    detach), SHM_RND; a semop waiting for another process, a child's SEM_UNDO undone when it
    exits, semtimedop's timeout, EINTR from a handler with SA_RESTART (never restarted);
    msgrcv waiting for another process's message, by type, E2BIG, MSG_NOERROR, EINTR; the
    IPC_STAT fields (key, size, pids as the guest sees them). Same as qemu-user."""
    exe = build("sysvipc", arch, tc)
    before = _sysv_ids()
    rc, out, err = run_qemu(arch, exe, timeout=120)
    res = run(exe, timeout=120)
    assert res.crash is None, res.crash
    assert (res.returncode, res.stdout, res.stderr) == (rc, out, err)
    assert res.stdout == SYSVIPC_OUT
    assert _settled(lambda: _sysv_ids() <= before)


@pytest.mark.parametrize("arch,tc", [("arm64", "gcc"), ("riscv64", "zig")], ids=["arm64-gcc", "riscv64-zig"])
def test_sem_undo_of_the_first_process(build, arch, tc):
    """progs/semundo.c: the first process's SEM_UNDO adjustments are applied when its guest
    ends, as its child (which outlives it) sees. The first process is this test's own Python
    process, which goes on: its adjustments were applied only when the test process exited
    (the child saw 4, not 1)."""
    exe = build("semundo", arch, tc)
    rc, out, _err = run_qemu(arch, exe, timeout=120)
    res = run(exe, timeout=120)
    assert (res.returncode, res.stdout) == (rc, out)
    assert res.stdout.endswith(b"child after parent exit: value 1\n")


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_the_runs_objects_are_its_own(build, arch):
    """progs/ipcscope.c: a segment of the host's (made here, with a key) is out of the guest's
    reach by key, by id and by index; the same key in the run names the run's own object;
    IPC_INFO and SHM_STAT see only the run's; what the run leaves (a segment still attached,
    a semaphore set, a queue) is removed when it ends."""
    exe = build("ipcscope", arch)
    libc = ctypes.CDLL(None, use_errno=True)
    key = 0x5eed0000 | (os.getpid() & 0xFFFF)
    host = libc.shmget(key, 4096, 0o1600)
    assert host >= 0, ctypes.get_errno()
    try:
        before, tables = _sysv_ids(), _tables()
        res = run(exe, argv=[hex(key), str(host)], timeout=120)
        assert res.stdout == (b"host key: -1 errno 2\nhost id stat: -1 errno 22\n"
                              b"host id attach: -1 errno 22\nhost id rmid: -1 errno 22\n"
                              b"host index stat: -1 errno 22\nown with that key 1\nown index stat 1\n"
                              b"IPC_INFO max index is own 1\nattached 1\n"), res.stderr
        assert _settled(lambda: _sysv_ids() == before)   # the host's is still there; the run's gone
        assert _tables() == tables                    # and its table of them
    finally:
        libc.shmctl(host, 0, None)


@pytest.mark.parametrize("arch,kind", [("arm64", "gcc"), ("riscv64", "zig")])
def test_get_by_key_checks_the_mode_asked_for(build, arch, kind, unprivileged):  # noqa: F811
    """progs/ipcperm.c, as an unprivileged process: a get that asks for mode bits the object
    does not grant is EACCES (its owner too); asking for none passes."""
    exe = build("ipcperm", arch, kind)
    rc, out = qemu_as(unprivileged, arch, kind, exe)
    res = run(exe, timeout=120)
    assert (res.returncode, res.stdout) == (rc, out), res.stderr
    assert b"shm ask 0600 of 0400: 0 errno 13\n" in out and b"sem ask 0200: 0 errno 13\n" in out


@pytest.mark.parametrize("arch,tc", [("arm64", "gcc"), ("riscv64", "zig")], ids=["arm64-gcc", "riscv64-zig"])
def test_waits_in_a_process_with_threads(build, arch, tc):
    """progs/ipcthreads.c (R2's t12, t13): a semop and a msgrcv that wait while another guest
    thread runs; the message is copied out when it comes. xld stopped with SIGSYS (the thread
    scheduler's BLOCKED compared as a number), and msgrcv never wrote the message."""
    exe = build("ipcthreads", arch, tc)
    rc, out, _err = run_qemu(arch, exe, timeout=120)
    res = run(exe, timeout=120)
    assert res.crash is None, res.crash
    assert (res.returncode, res.stdout) == (rc, out)
    assert res.stdout == b"semop waited: 0 value 0\nmsgrcv waited: 6 type 1 hello\n"


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_semtimedop_checks_its_timeout_first(build, arch):
    """progs/ipctimeout.c (R2's t6): an invalid timeout is EINVAL before the operation is
    tried (xld applied an operation that could go at once, and returned 0)."""
    exe = build("ipctimeout", arch)
    rc, out, _err = run_qemu(arch, exe, timeout=120)
    res = run(exe, timeout=120)
    assert (res.returncode, res.stdout) == (rc, out)
    assert res.stdout.startswith(b"tv_nsec 2e9: -1 errno 22 value 0\ntv_sec -1: -1 errno 22 value 0\n")


_WITHOUT_IPC_OWNER = r"""
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
hdr = (ctypes.c_uint32 * 2)(0x20080522, 0)
data = (ctypes.c_uint32 * 6)()
assert libc.capget(hdr, data) == 0
for i in (0, 1):                                     # CAP_IPC_OWNER (15): effective, permitted
    data[i] &= ~(1 << 15)
assert libc.capset(hdr, data) == 0, ctypes.get_errno()
from xld.emu import run
r = run(sys.argv[1], sys.argv[2:], timeout=120)
sys.stdout.buffer.write(r.stdout)
sys.exit(r.returncode)
"""


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_objects_the_caller_may_not_read(build, arch, unprivileged):  # noqa: F811
    """progs/ipcunread.c (R2's t9, t17): objects of mode 0200, which the caller may not read,
    are found by key (not a second set, not ENOENT), IPC_EXCL is EEXIST, IPC_STAT EACCES,
    and what the run leaves is removed at its end. xld ran by a process that Linux's ipcperms
    does not let through (as root, without CAP_IPC_OWNER; else as the user itself); qemu as
    nobody. xld took such objects for gone (ENOENT, a second set, EINVAL) and left them."""
    import subprocess
    import sys
    exe = build("ipcunread", arch)
    key = hex(0x2468000 | (os.getpid() & 0xFFF) << 4)
    rc, out = qemu_as(unprivileged, arch, "gcc", exe)   # (its own key: 0x2468; removed below)
    libc = ctypes.CDLL(None, use_errno=True)
    for k, get in ((0x2468, libc.semget), (0x2469, libc.shmget)):
        ident = get(k, 0, 0) if get is libc.shmget else get(k, 0, 0)
        if ident >= 0:
            (libc.shmctl(ident, 0, None) if get is libc.shmget else libc.semctl(ident, 0, 0, None))
    before, tables = _sysv_ids(), _tables()
    p = subprocess.run([sys.executable, "-c", _WITHOUT_IPC_OWNER, exe, key], capture_output=True,
                       timeout=300, env={**os.environ, "XLD_SERVER": "0"})
    assert (p.returncode, p.stdout) == (rc, out), p.stderr[-2000:]
    assert p.stdout == (b"semget again: same 1 errno 0\nsemget again IPC_CREAT: same 1 errno 0\n"
                        b"shmget IPC_EXCL: -1 errno 17\nshm IPC_STAT: -1 errno 13\nshmat: -1 errno 13\n"
                        b"private IPC_STAT: -1 errno 13\nprivate IPC_RMID: 0 errno 0\n")
    assert _settled(lambda: _sysv_ids() <= before)
    assert _tables() == tables


@pytest.mark.parametrize("arch,tc", [("arm64", "gcc"), ("riscv64", "zig")], ids=["arm64-gcc", "riscv64-zig"])
def test_a_grandchild_uses_the_objects_after_the_first_process(build, arch, tc):
    """progs/ipcgrandchild.c (R2's t4): the objects go when every process of the run has
    ended, not when the first process's children are reaped (the grandchild got EINVAL)."""
    import subprocess
    import sys
    exe = build("ipcgrandchild", arch, tc)
    rc, out, _err = run_qemu(arch, exe, timeout=120)
    libc = ctypes.CDLL(None, use_errno=True)
    s = libc.semget(0x1234, 0, 0)                     # (qemu's is the host's own key)
    if s >= 0:
        libc.semctl(s, 0, 0, None)
    before, tables = _sysv_ids(), _tables()
    # (the CLI: the guest has the host's stdout; run()'s collectors would wait for the
    # grandchild's output before the first process ends)
    p = subprocess.run([sys.executable, "-m", "xld.emu", exe], capture_output=True, timeout=300,
                       env={**os.environ, "XLD_SERVER": "0"})
    assert (p.returncode, p.stdout) == (rc, out), p.stderr[-2000:]
    assert b"grandchild: semop 0 errno 0 value 1 same key 1\n" in p.stdout
    for _ in range(600):                             # (the janitor: after the grandchild)
        if _sysv_ids() <= before and _tables() == tables:
            break
        time.sleep(0.1)
    assert _sysv_ids() <= before and _tables() == tables


@pytest.mark.parametrize("forks", [False, True], ids=["never-forks", "forks"])
def test_a_killed_run_leaves_nothing(build, forks):
    """progs/ipcleft.c under `python -m xld.emu`, its process group sent SIGINT (Ctrl-C)
    then SIGKILL: the run's objects and table are removed all the same. A run that never
    forked had no janitor; one that forked had it in the run's process group, where the
    Ctrl-C (its Python handler) or the kill ended it first. While it runs, its table is not
    a file of /dev/shm."""
    import signal
    import subprocess
    import sys
    exe = build("ipcleft", "arm64")
    tables = _tables()
    p = subprocess.Popen([sys.executable, "-m", "xld.emu", exe, *(["fork"] if forks else [])],
                         stdout=subprocess.PIPE, env={**os.environ, "XLD_SERVER": "0"},
                         start_new_session=True)
    try:
        sem, shm = (int(x) for x in p.stdout.readline().split())
        assert {("sem", sem), ("shm", shm)} <= _sysv_ids()
        # the run's table has no name the guest could open (R2's finding 9: it was a file
        # in /dev/shm, where the guest could point the run at the host's objects)
        assert _tables() <= tables
    finally:
        os.killpg(p.pid, signal.SIGINT)
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        p.stdout.close()
    for _ in range(600):
        if not {("sem", sem), ("shm", shm)} & _sysv_ids() and _tables() <= tables:
            break
        time.sleep(0.1)
    assert not {("sem", sem), ("shm", shm)} & _sysv_ids()
    assert _tables() <= tables


def test_a_parent_sets_its_childs_policy_at_once(build, monkeypatch):
    """progs/schedsetchild.c (R2's finding 6): a parent's sched_setscheduler of its child right
    after the fork holds. The child wrote its inherited policy on the run's board as it
    started, over the parent's when that came first: made certain here by a child that
    starts late (sched_after_fork slowed in the forked process)."""
    from xld.emu import syscalls
    slow_from = os.getpid()
    orig = syscalls.Syscalls.sched_after_fork

    def late(self):
        orig(self)
        if os.getpid() != slow_from:
            time.sleep(0.5)
    monkeypatch.setattr(syscalls.Syscalls, "sched_after_fork", late)
    exe = build("schedsetchild", "arm64")
    rc, out, _err = run_qemu("arm64", exe, timeout=120)
    res = run(exe, timeout=120)
    assert (res.returncode, res.stdout) == (rc, out)
    assert res.stdout == (b"child 0 sees 3\nset 0: 0\nchild 1 sees 5\nset 1: 0\n"
                          b"child 2 sees 3\nset 2: 0\n")


@pytest.mark.parametrize("arch,tc", [("arm64", "gcc"), ("riscv64", "zig")], ids=["arm64-gcc", "riscv64-zig"])
def test_setgroups_of_no_groups(build, arch, tc):
    """progs/dropgroups.c (R2's finding 7): as root whose supplementary list is its own group
    (made so here, as after a login's initgroups; or without privilege: EPERM),
    setgroups(0, NULL) is served as Linux serves it, and getgroups gives the list set. xld
    stopped with SIGSYS (a change of the list)."""
    import subprocess
    import sys
    exe = build("dropgroups", arch, tc)
    rc, out, _err = run_qemu(arch, exe, timeout=120)
    script = ("import os, sys\n"
              "if os.geteuid() == 0: os.setgroups([os.getegid()])\n"
              "from xld.emu import run\n"
              "r = run(sys.argv[1], timeout=120)\n"
              "sys.stdout.buffer.write(r.stdout)\n"
              "sys.exit(99 if r.crash else r.returncode)\n")
    p = subprocess.run([sys.executable, "-c", script, exe], capture_output=True, timeout=300,
                       env={**os.environ, "XLD_SERVER": "0"})
    assert (p.returncode, p.stdout) == (rc, out), p.stderr[-2000:]


@pytest.mark.parametrize("arch,tc", [("arm64", "gcc"), ("riscv64", "zig")], ids=["arm64-gcc", "riscv64-zig"])
def test_msgrcv_shmat_shmdt_errors(build, arch, tc):
    """progs/ipcerrno.c (R2's t6, t23): a msgrcv buffer that holds the message is enough
    whatever msgsz says; shmat above the address space is ENOMEM; shmdt after munmap of the
    attach's first page detaches it. Same as qemu-user (xld: EFAULT, EINVAL, EINVAL)."""
    exe = build("ipcerrno", arch, tc)
    rc, out, _err = run_qemu(arch, exe, timeout=120)
    res = run(exe, timeout=120)
    assert (res.returncode, res.stdout) == (rc, out)
    assert res.stdout == (b"msgrcv small message, big msgsz: 4 errno 0 abc\nshmat at 1<<47: -1 errno 12\n"
                          b"shmdt after its first page went: 0 errno 0\nshmdt of the second page: -1 errno 22\n"
                          b"nattch 0\n")


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_info_counts_the_runs_objects(build, arch):
    """progs/ipcinfo.c (R2's finding 10): SHM_INFO, SEM_INFO, MSG_INFO give the run's usage,
    not the host's (here the host has a segment, a set and a queue of the test's own)."""
    exe = build("ipcinfo", arch)
    libc = ctypes.CDLL(None, use_errno=True)
    m, s, q = libc.shmget(0, 65536, 0o600), libc.semget(0, 7, 0o600), libc.msgget(0, 0o600)
    try:
        res = run(exe, timeout=120)
    finally:
        libc.shmctl(m, 0, None), libc.semctl(s, 0, 0, None), libc.msgctl(q, 0, None)
    assert res.stdout == (b"shm: used_ids 2 shm_tot 3\nsem: semusz 2 semaem 5\n"
                          b"msg: msgpool 1 msgmap 2 msgtql 7\n"), res.stderr


def _host_mmap_floor() -> int:
    """The host's lowest fixed address for this process: vm.mmap_min_addr, or 0 with
    CAP_SYS_RAWIO (the kernel's cap_mmap_addr)."""
    with open("/proc/sys/vm/mmap_min_addr") as f:
        low = -(-int(f.read()) // 4096) * 4096
    with open("/proc/self/status") as f:
        eff = next(int(line.split()[1], 16) for line in f if line.startswith("CapEff:"))
    return 0 if eff >> 17 & 1 else low


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_shmat_and_mmap_at_low_addresses_follow_the_hosts_floor(build, arch):
    """progs/lowmap.c: shmat and mmap(MAP_FIXED) at 0x1000, 0x8000, 0xf000 succeed at or
    above the host's floor (here vm.mmap_min_addr 4096, as root: all three) and are EPERM
    below it; a hint below 64 KiB is not taken. Same as qemu-user and the host itself; xld
    refused all three (shmat EINVAL, mmap EPERM), as if the floor were 64 KiB everywhere."""
    exe = build("lowmap", arch)
    rc, out, _err = run_qemu(arch, exe, timeout=120)
    res = run(exe, timeout=120)
    assert (res.returncode, res.stdout) == (rc, out), res.stderr[-2000:]
    floor = _host_mmap_floor()
    want = b""
    for a in (0x1000, 0x8000, 0xf000):
        if a >= floor:
            want += b"shmat %#x: there, holds 7; mmap fixed: there; hint: elsewhere\n" % a
        else:
            want += b"shmat %#x: Operation not permitted; mmap fixed: Operation not permitted; " \
                    b"hint: elsewhere\n" % a
    want += b"shmat 0x20000000: there, holds 7; mmap fixed: there; hint: there\n"
    want += b"shmat 0x1234 SHM_RND: %s\nrmid 0\n" % (b"there" if floor <= 0x1000 else b"Operation not permitted")
    assert res.stdout == want
