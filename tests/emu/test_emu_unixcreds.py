"""SCM_CREDENTIALS and SO_PEERCRED on AF_UNIX sockets (emu/net.py): credentials sent
explicitly together with a descriptor (SCM_RIGHTS), credentials the kernel fills in for a
forked child, and the peer's credentials; pids as the program knows them (the first process
is 4242 to itself, its host pid to the host kernel). Same output as under qemu-user."""

import pytest

from xld.emu import run

from conftest import run_qemu

EXPECTED = (b"SO_PEERCRED: pid is mine 1, uid is mine 1\nsendmsg: 1\n"
            b"explicit: creds 1, pid is mine 1, uid 1, gid 1, fd passed 1\npipe: via passed fd\n"
            b"child: creds 1, pid is the child's 1, uid 1\n")


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_scm_credentials_and_peercred_as_under_qemu(build, arch):
    exe = build("unixcreds", arch)
    rc, out, _err = run_qemu(arch, exe)
    res = run(exe, timeout=60)
    assert (res.returncode, res.stdout) == (rc, out) == (0, EXPECTED), res.crash
