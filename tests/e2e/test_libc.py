"""End to end with a C library: static glibc C and C++ programs linked through the compiler
driver (``gcc -static -B DIR`` where ``DIR/ld`` runs xld, or ``clang -fuse-ld=DIR/ld``), compared with the same objects
linked by GNU ld — stdout, stderr and exit status, under qemu and under ``xld run``.

These links pull in crt1.o/crti.o/crtbegin.o, libc.a, libgcc.a, libgcc_eh.a (and libstdc++.a),
so they cover archives, IFUNC/IRELATIVE, TLS, init/fini arrays and .eh_frame unwinding.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc

SRC = Path(__file__).parent / "libc"
ARGS = ["first", "second arg"]
STDIN = b"one two three\nfour five\n\nsix\n"

PROGRAMS = {
    "stdio-gcc": ("stdio.c", "gcc", ["-O2"]),
    "stdio-clang": ("stdio.c", "clang", ["-O2"]),
    "cxx-g++": ("shapes.cc", "g++", ["-O2"]),
}


def driver(kind: str, arch: str) -> list[str]:
    if kind == "clang":
        return [tc.require("clang-14"), f"--target={tc.TRIPLE[arch]}"]
    return [tc.require(f"{tc.TRIPLE[arch]}-{kind}")]


def use_xld(kind: str, wrapper: Path) -> list[str]:
    """How to make the driver link with xld: GCC searches -B dirs for `ld`; Clang takes a
    path in -fuse-ld."""
    return [f"-fuse-ld={wrapper / 'ld'}"] if kind == "clang" else ["-B", str(wrapper)]


@pytest.fixture(scope="module")
def libc_builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("libc")
    wrapper = tc.ld_wrapper_dir(root)
    cache = {}

    def get(prog, arch, link="static"):
        if (prog, arch, link) not in cache:
            src, kind, flags = PROGRAMS[prog]
            cc = driver(kind, arch)
            d = root / f"{prog}-{arch}-{link}"
            d.mkdir()
            obj = d / "prog.o"
            subprocess.run([*cc, *flags, "-c", str(SRC / src), "-o", str(obj)], check=True)
            mode = ["-static"] if link == "static" else []      # else the driver's default: PIE
            gnu = d / "gnu.exe"
            p = subprocess.run([*cc, *mode, str(obj), "-o", str(gnu)],
                               capture_output=True, text=True)
            assert p.returncode == 0, f"GNU ld link failed:\n{p.stderr}"
            (wrapper / "called").unlink(missing_ok=True)
            xld = d / "xld.exe"
            p = subprocess.run([*cc, *mode, *use_xld(kind, wrapper), str(obj),
                                "-o", str(xld)], capture_output=True, text=True)
            used = (wrapper / "called").exists()
            cache[prog, arch, link] = (gnu, xld if p.returncode == 0 else None, p.stderr, used)
        return cache[prog, arch, link]
    return get


def run(runner, arch, exe, sysroot=None):
    if runner == "qemu":
        return tc.qemu_run(arch, exe, ARGS, stdin=STDIN, sysroot=sysroot)
    return tc.xld_run(exe, ARGS, stdin=STDIN)


@pytest.mark.parametrize("runner", ["qemu", "xld_run"])
@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("prog", sorted(PROGRAMS))
def test_static_libc_program_matches_gnu_ld(prog, arch, runner, libc_builds):
    gnu, xld, err, used = libc_builds(prog, arch)
    assert used, "the compiler driver did not run xld as its linker (-B DIR/ld)"
    assert xld is not None, f"linking through xld failed:\n{err}"
    ref = tc.qemu_run(arch, gnu, ARGS, stdin=STDIN)
    assert ref.stdout, "the GNU ld build printed nothing under qemu"
    if runner == "xld_run":
        emu_ref = run(runner, arch, gnu)
        assert (emu_ref.status, emu_ref.stdout, emu_ref.stderr) == (
            ref.status, ref.stdout, ref.stderr), (
            f"xld run differs from qemu on the GNU ld executable (an emulator problem)\n"
            f"qemu: {ref.summary()}\nxld run: {emu_ref.summary()}")
    got = run(runner, arch, xld)
    assert (got.status, got.stdout, got.stderr) == (ref.status, ref.stdout, ref.stderr), (
        f"xld-linked program differs under {runner}\nGNU ld + qemu: {ref.summary()}\n"
        f"xld: {got.summary()}")


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("prog", sorted(PROGRAMS))
def test_dynamic_libc_program_matches_gnu_ld(prog, arch, libc_builds):
    """The compiler's default link (a dynamic PIE against libc.so, libstdc++.so), under
    qemu-user with the target's sysroot."""
    gnu, xld, err, used = libc_builds(prog, arch, "dynamic")
    assert used, "the compiler driver did not run xld as its linker"
    assert xld is not None, f"linking through xld failed:\n{err}"
    sysroot = f"/usr/{tc.TRIPLE[arch]}"
    ref = run("qemu", arch, gnu, sysroot)
    assert ref.stdout, "the GNU ld build printed nothing under qemu"
    got = run("qemu", arch, xld, sysroot)
    assert (got.status, got.stdout, got.stderr) == (ref.status, ref.stdout, ref.stderr), (
        f"xld-linked program differs\nGNU ld + qemu: {ref.summary()}\nxld: {got.summary()}")
