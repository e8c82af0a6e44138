"""sendmmsg and recvmmsg (emu/net.py), sync_file_range, readahead and mlock2 (emu/syscalls.py):
batchio.c prints what Linux prints, and qemu-user (xld stopped at each with SIGSYS)."""

import os
import subprocess

import pytest

from xld.emu import run

from conftest import run_qemu, sysroot
from tests import toolchain as tc

BATCHIO = (
    b"sendmmsg: 3, lengths 5 0 5, the fourth untouched 0\n"
    b"recvmmsg MSG_DONTWAIT: 3 [5 alpha] [0 ] [5 gamma] [12345 ]\n"
    b"again, nothing there: -11 [12345 ] [12345 ] [12345 ] [12345 ]\n"
    b"sendmmsg of none: 0; recvmmsg of none: 0\n"
    b"MSG_WAITFORONE with two there: 2 [5 alpha] [0 ] [12345 ] [12345 ]\n"
    b"blocking, three sent one by one: 3 [5 late0] [5 late1] [5 late2] [12345 ]\n"
    b"a zero timeout with three there: 1 [5 alpha] [12345 ] [12345 ] [12345 ]\n"
    b"the rest, 100 s timeout: 2 [0 ] [5 gamma] [12345 ] [12345 ]\n"
    b"time left written back: below 100 s 1, above 90 s 1\n"
    b"a bad timeout: Invalid argument\n"
    b"a timeout of 2**63 - 1 s: 1, time left over 1e18 s 1\n"
    b"a bad vector: Bad address; not a socket: Socket operation on non-socket\n"
    b"sendmmsg: a bad vector Bad address, after the first a bad one: 1\n"
    b"what came: 1 [5 alpha] [12345 ] [12345 ] [12345 ]\n"
    b"stream sendmmsg: 4\n"
    b"stream recvmmsg: 1 [15 alphagammadelta] [12345 ] [12345 ] [12345 ]\n"
    b"blocking stream sendmmsg of two 1 MiB messages: 2, lengths 1048576 1048576, read 2097152\n"
    b"a signal while it waits: 1, the first message in part 1; with nothing sent: -1 Interrupted system call\n"
    b"sync_file_range: ok, write and wait ok, whole file ok, flag 8 Invalid argument, offset -1 Invalid argument, "
    b"overflowing Invalid argument, a pipe Illegal seek, a directory ok, O_PATH Bad file descriptor, "
    b"no descriptor Bad file descriptor\n"
    b"readahead: ok, write-only Bad file descriptor, O_PATH Bad file descriptor, a socket Invalid argument, "
    b"a directory Invalid argument, no descriptor Bad file descriptor\n"
    b"mlock2: ok, MLOCK_ONFAULT ok, flags 1 << 32 (an int: none) ok, flag 2 Invalid argument, unaligned ok, "
    b"into a hole Cannot allocate memory\n"
    b"mlock ok, munlock ok, mlock of a hole Cannot allocate memory\n"
    b"mlock: 0 bytes at 8 Cannot allocate memory, 4000 bytes from 100 before the hole Cannot allocate memory, "
    b"8 at -1 Invalid argument, -1 bytes ok; munlock: 8 at -1 Invalid argument, 0 bytes at 8 Cannot allocate memory; "
    b"mlockall: 0 Invalid argument, MCL_ONFAULT alone Invalid argument\n"
)


# strerror's texts where musl's differ from glibc's
MUSL = {b"Socket operation on non-socket": b"Not a socket", b"Illegal seek": b"Invalid seek",
        b"Cannot allocate memory": b"Out of memory"}


def in_musl_words(out: bytes) -> bytes:
    for glibc, musl in MUSL.items():
        out = out.replace(glibc, musl)
    return out


def for_qemu(out: bytes) -> bytes:
    """What batchio.c prints with an argument: not recvmmsg's timeout (qemu-user 7.2 ignores
    it, and would wait for ever) nor mlock2 (it has none: ENOSYS)."""
    lines = out.splitlines(keepends=True)
    at = lines.index(b"a zero timeout with three there: 1 [5 alpha] [12345 ] [12345 ] [12345 ]\n")
    return b"".join(line for i, line in enumerate(lines)
                    if not at <= i < at + 5 and not line.startswith(b"mlock2:"))


@pytest.mark.parametrize("arch,kind", [(a, k) for a in ("arm64", "riscv64") for k in ("gcc", "dyn", "zig")])
def test_batched_messages_and_file_hints_as_linux(build, arch, kind):
    """batchio.c: sendmmsg (msg_len of each, the count; after a bad entry the count sent so
    far), recvmmsg (MSG_DONTWAIT, MSG_WAITFORONE, a blocking receive of three messages a
    thread sends 20 ms apart, the timeout Linux looks at only after each message and writes
    back, errors), both on a stream socket, sendmmsg of two 1 MiB messages on a blocking one
    (each sent whole: xld sent part of the first and returned 1; a signal counts the message
    it cuts, EINTR when nothing was sent); sync_file_range, readahead,
    mlock2, and mlock, munlock and mlockall with the kernel's rules (the pages the range
    touches, a wrap EINVAL, mlockall's flags: xld said 0 to mlock(8, 0) and mlockall(0)). xld prints Linux's lines (the next test); qemu-user prints them too but
    for recvmmsg's timeout and mlock2 (for_qemu): compared without."""
    exe = build("batchio", arch, kind)
    expected = in_musl_words(BATCHIO) if kind == "zig" else BATCHIO
    res = run(exe, timeout=120)
    assert res.crash is None, res.crash
    assert (res.returncode, res.stdout) == (0, expected), res.stderr
    rc, out, _err = run_qemu(arch, exe, ["qemu"], sysroot=sysroot(arch) if kind == "dyn" else None, timeout=120)
    res = run(exe, ["qemu"], timeout=120)
    assert (res.returncode, res.stdout) == (rc, out) == (0, for_qemu(expected)), res.stderr


def test_expected_lines_are_the_host_kernels(tmp_path):
    """The oracle of the test above: batchio.c built for the host and run on its kernel."""
    exe = str(tmp_path / "batchio")
    subprocess.run([tc.require("gcc"), "-O2", "-pthread", os.path.join(os.path.dirname(__file__), "progs", "batchio.c"),
                    "-o", exe], check=True, capture_output=True, timeout=300)
    p = subprocess.run([exe], capture_output=True, timeout=120)
    assert (p.returncode, p.stdout) == (0, BATCHIO)
