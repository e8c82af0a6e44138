"""Interface queries: getifaddrs (an rtnetlink socket), if_nametoindex/if_indextoname and
SIOCGIF* ioctls (libuv's uv_interface_addresses, uv_if_indextoname) print what they print
under qemu-user; an rtnetlink request that would change the host is not passed on."""

import pytest

from xld.emu import run

from conftest import run_qemu


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_interface_queries_as_under_qemu(build, arch):
    exe = build("ifaddrs", arch, "gcc")
    rc, out, err = run_qemu(arch, exe)
    res = run(exe, timeout=60)
    assert res.crash is None, res.crash
    assert (res.returncode, res.stdout, res.stderr) == (rc, out, err)
    assert b"lo inet 127.0.0.1 up 1 loopback 1" in res.stdout
    assert b"back to name: lo" in res.stdout


def test_rtnetlink_change_is_not_served(build):
    exe = build("ifaddrs", "arm64", "gcc")
    res = run(exe, argv=["change"], timeout=60)
    assert res.returncode == 128 + 31, (res.returncode, res.stdout, res.crash)   # SIGSYS
    assert b"sent" not in res.stdout
    assert "RTM_GET" in (res.crash or "") + res.stderr.decode(errors="replace")
