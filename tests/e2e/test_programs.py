"""End to end: real compilers, GNU ld as the oracle, xld, and two runners.

Every program under ``progs/`` (plus ``progs/common``: ``_start``, raw system calls, output)
is compiled at test time by the Debian cross GCC and by zig cc, for both architectures and in
several code-generation modes. Each build is linked twice — by GNU ld (``-static``) and by
xld — and each executable runs under qemu-user and under ``xld run``. The program prints what
it computes and exits with a status derived from it; what xld's executable does must match
what GNU ld's executable does, under either runner.

Test ids read ``<program>-<arch>-<compiler>-<mode>``; the two tests per build say which runner
saw the difference (``under_qemu`` isolates the linker from the emulator).
"""
from __future__ import annotations

import pytest

from tests import toolchain as tc
from tests.e2e.builds import Build, matrix


def builds():
    for prog, arch, cc, mode in matrix():
        yield pytest.param(prog, arch, cc, mode, id=f"{prog}-{arch}-{cc}-{mode}")


def _oracle(b: Build) -> tc.RunResult:
    ref = b.run("gnu", "qemu")
    assert b"FAIL" not in ref.stdout, (
        f"the program's own checks fail even when linked by GNU ld:\n{ref.summary()}")
    assert ref.stdout, "the GNU ld build printed nothing under qemu"
    return ref


@pytest.mark.parametrize("prog,arch,cc,mode", list(builds()))
def test_xld_output_matches_gnu_ld_under_qemu(build_cache, prog, arch, cc, mode):
    """The linker alone: xld's executable under qemu behaves like GNU ld's under qemu."""
    b = build_cache(prog, arch, cc, mode)
    ref = _oracle(b)
    assert b.xld is not None, b.link_error + "\n" + b.reproduce()
    got = b.run("xld", "qemu")
    assert (got.status, got.stdout) == (ref.status, ref.stdout), (
        f"xld-linked program differs under qemu\nGNU ld: {ref.summary()}\n"
        f"xld: {got.summary()}\n{b.reproduce()}")


@pytest.mark.parametrize("prog,arch,cc,mode", list(builds()))
def test_xld_output_matches_gnu_ld_under_xld_run(build_cache, prog, arch, cc, mode):
    """Linker and runner together: both executables under ``xld run`` behave like GNU ld's
    executable under qemu."""
    b = build_cache(prog, arch, cc, mode)
    ref = _oracle(b)
    gnu_emu = b.run("gnu", "xld")
    assert (gnu_emu.status, gnu_emu.stdout) == (ref.status, ref.stdout), (
        f"xld run differs from qemu on the GNU ld executable (an emulator problem)\n"
        f"qemu: {ref.summary()}\nxld run: {gnu_emu.summary()}\n{b.reproduce()}")
    assert b.xld is not None, b.link_error + "\n" + b.reproduce()
    got = b.run("xld", "xld")
    assert (got.status, got.stdout) == (ref.status, ref.stdout), (
        f"xld-linked program differs under xld run\nGNU ld + qemu: {ref.summary()}\n"
        f"xld + xld run: {got.summary()}\n{b.reproduce()}")
