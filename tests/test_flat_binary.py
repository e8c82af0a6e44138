"""--oformat binary: the flat image must be the bytes ``objcopy -O binary`` writes from the ELF
(xld's own, and GNU ld's where both lay the program out the same), on both arches."""
from __future__ import annotations

import subprocess

import pytest

from tests import toolchain as tc

CODE_ONLY = r"""
static int sq(int x) { return x * x; }
int sum(int n) { int s = 0; for (int i = 0; i < n; i++) s += sq(i); return s; }
void _start(void) { volatile int r = sum(10); (void)r; for (;;) ; }
"""
# every kind of section: a gap between the read-only and the writable segment, zero-filled
SECTIONS = r"""
const char msg[] = "hello, flat world";
int counter = 7;
long table[4] = {1, 2, 3, 4};
int zeros[64];
int touch(int i) { zeros[i & 63] += counter; return msg[i & 15] + (int)table[i & 3]; }
void _start(void) { volatile int r = touch(3); (void)r; for (;;) ; }
"""
NO_UNWIND = ["-fno-asynchronous-unwind-tables", "-fno-unwind-tables"]


def objcopy_binary(arch, exe, out):
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-objcopy"), "-O", "binary", str(exe), str(out)],
                   check=True)
    return out.read_bytes()


def xld(args):
    res = tc.xld_link(args)
    assert res.status == 0, res.stderr


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("spelling", [["--oformat=binary"], ["--oformat", "binary"], ["-oformat", "binary"]])
def test_binary_equals_objcopy_of_gnu_ld_and_xld(arch, spelling, tmp_path):
    src = tmp_path / "f.c"
    src.write_text(CODE_ONLY)
    obj = tc.compiler("gcc", arch).compile(src, tmp_path / "f.o", ["-O2", *NO_UNWIND])
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", ["-Ttext=0x80000000"])
    xld(["-static", "-Ttext=0x80000000", "-o", tmp_path / "xld.elf", obj])
    xld(["-static", "-Ttext=0x80000000", *spelling, "-o", tmp_path / "xld.bin", obj])
    image = (tmp_path / "xld.bin").read_bytes()
    assert len(image) > 16 and image[:4] != b"\x7fELF"
    assert image == objcopy_binary(arch, tmp_path / "xld.elf", tmp_path / "xld-objcopy.bin")
    assert image == objcopy_binary(arch, gnu, tmp_path / "gnu-objcopy.bin")


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_binary_with_data_and_gaps(arch, tmp_path):
    src = tmp_path / "s.c"
    src.write_text(SECTIONS)
    obj = tc.compiler("gcc", arch).compile(src, tmp_path / "s.o", ["-O2", *NO_UNWIND])
    xld(["-static", "-o", tmp_path / "xld.elf", obj])
    xld(["-static", "--oformat", "binary", "-o", tmp_path / "xld.bin", obj])
    image = (tmp_path / "xld.bin").read_bytes()
    assert image == objcopy_binary(arch, tmp_path / "xld.elf", tmp_path / "objcopy.bin")
    assert b"hello, flat world" in image and (7).to_bytes(4, "little") in image
    # .bss takes no bytes: the image ends with the last section that has contents
    assert not image.endswith(bytes(256))


@pytest.mark.parametrize("args, message", [
    (["--oformat=srec"], "unknown --oformat: srec"),
    (["-r", "--oformat=binary"], "-r and --oformat binary may not be used together"),
])
def test_oformat_refusals(args, message, tmp_path):
    obj = tc.assemble("arm64", ".globl _start\n_start: ret\n", tmp_path / "f.o")
    out = tmp_path / "out"
    res = tc.xld_link([*args, "-o", out, obj])
    assert res.status == 1 and f"xld: error: {message}" in res.stderr, res.stderr
    assert not out.exists()


def test_elf_oformat_names_accepted(tmp_path):
    obj = tc.assemble("riscv64", ".globl _start\n_start: ret\n", tmp_path / "f.o")
    xld(["--oformat=elf64-littleriscv", "-o", tmp_path / "out", obj])
    assert (tmp_path / "out").read_bytes()[:4] == b"\x7fELF"
