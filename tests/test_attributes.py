""".riscv.attributes: merged as the psABI says, and as GNU ld writes it for real programs."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from xld.arch import riscv_attributes as attributes
from tests.toolchain import ld_wrapper_dir, require


def _blob(arch: str, align: int = 16, unaligned: int | None = None) -> bytes:
    body = attributes._enc_uleb(4) + attributes._enc_uleb(align) + attributes._enc_uleb(5) + arch.encode() + b"\0"
    if unaligned is not None:
        body += attributes._enc_uleb(6) + attributes._enc_uleb(unaligned)
    sub = b"\x01" + (5 + len(body)).to_bytes(4, "little") + body
    return b"A" + (4 + 6 + len(sub)).to_bytes(4, "little") + b"riscv\0" + sub


def test_arch_strings_union_with_highest_versions():
    merged = attributes.merge_arch(["rv64i2p1_m2p0_zicsr2p0", "rv64i2p0_a2p1_c2p0_zifencei2p0"])
    assert merged == "rv64i2p1_m2p0_a2p1_c2p0_zicsr2p0_zifencei2p0"


def test_round_trip_and_flags():
    out = attributes.merge([_blob("rv64i2p1_m2p0"), _blob("rv64i2p1_c2p0", unaligned=1)])
    a = attributes.parse(out)
    assert a[5] == "rv64i2p1_m2p0_c2p0" and a[4] == 16 and a[6] == 1


def test_stack_align_mismatch_is_an_error():
    with pytest.raises(ValueError, match="stack_align"):
        attributes.merge([_blob("rv64i2p1", 16), _blob("rv64i2p1", 8)])


def test_rv32_with_rv64_is_an_error():
    with pytest.raises(ValueError):
        attributes.merge_arch(["rv64i2p1", "rv32i2p1"])


def test_static_glibc_program_matches_gnu_ld(tmp_path):
    gcc = require("riscv64-linux-gnu-gcc")
    src = tmp_path / "m.c"
    src.write_text('#include <stdio.h>\nint main(void){puts("hi");return 0;}\n')
    bindir = ld_wrapper_dir(tmp_path)
    subprocess.run([gcc, "-static", str(src), "-o", str(tmp_path / "gnu")], check=True)
    subprocess.run([gcc, "-static", "-B", str(bindir), str(src), "-o", str(tmp_path / "xld")], check=True)
    assert (bindir / "called").exists()
    from elftools.elf.elffile import ELFFile

    def attrs(p: Path):
        with open(p, "rb") as f:
            return attributes.parse(ELFFile(f).get_section_by_name(".riscv.attributes").data())
    assert attrs(tmp_path / "xld") == attrs(tmp_path / "gnu")


def test_extension_names_with_digits_are_kept():
    # zvl128b, zve32x ... hold digits before their version; they were dropped from the merge
    merged = attributes.merge_arch(["rv64i2p1_m2p0_zicsr2p0",
                                    "rv64i2p0_v1p0_zve32x1p0_zvl128b1p0_zvl32b1p0_zvl64b1p0"])
    assert merged == "rv64i2p1_m2p0_v1p0_zicsr2p0_zve32x1p0_zvl128b1p0_zvl32b1p0_zvl64b1p0"


@pytest.mark.parametrize("march", ["rv64gcv", "rv64gc_zve32x", "rv64gc_zk"])
def test_vector_objects_merge_as_gnu_ld(tmp_path, march):
    """GCC's and Clang's objects built with V (or Zve*, Zk) name zvl*/zve* extensions:
    GNU ld 2.40 keeps every one of them in the merged Tag_RISCV_arch, so must xld."""
    from elftools.elf.elffile import ELFFile
    from tests.toolchain import compiler, gnu_ld, xld_link
    (tmp_path / "m.c").write_text("int v(void);\nint main(void){return v();}\n")
    (tmp_path / "v.c").write_text("int v(void){return 0;}\n")
    objs = [compiler("gcc", "riscv64").compile(tmp_path / "m.c", tmp_path / "m.o"),
            compiler("gcc", "riscv64").compile(tmp_path / "v.c", tmp_path / "g.o", [f"-march={march}"]),
            compiler("clang", "riscv64").compile(tmp_path / "v.c", tmp_path / "c.o", [f"-march={march}"])]

    def arch(p: Path) -> str:
        with open(p, "rb") as f:
            return attributes.parse(ELFFile(f).get_section_by_name(".riscv.attributes").data())[5]
    for partner in objs[1:]:
        gnu = gnu_ld("riscv64", [objs[0], partner], tmp_path / "gnu", ["-e", "main"])
        r = xld_link(["--arch", "riscv64", "-static", "-e", "main", "-o", tmp_path / "xld", objs[0], partner])
        assert r.status == 0, r.stderr
        assert "zvl32b1p0" in arch(gnu) or march == "rv64gc_zk"
        assert arch(tmp_path / "xld") == arch(gnu)
