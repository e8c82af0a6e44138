"""Both backends against GNU ld: assemble code full of relocations, link it with the cross GNU
ld, then apply the same relocations to the object's bytes with nothing but xld's table rows,
the psABI formulas of their generic kinds, and the field encoders.  The section bytes must
come out identical to GNU ld's.

This checks what unit tests of single encoders cannot: that each row pairs the right kind
with the right field, and that its range and alignment accept everything GNU ld accepts.
"""
from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests import toolchain as tc

from xld.arch import arm64, riscv64
from xld.arch.base import Arch
from xld.link.kinds import Kind

ARM64_SRC = r"""
.text
.globl _start
_start:
  b far_fn
  bl near_fn
  b.eq near_fn
  cbz x0, near_fn
  tbz x1, #3, near_fn
  ldr x2, lit
  ldr x2, dword
  ldr w2, word
  adr x3, datum
  adrp x4, datum
  add x4, x4, :lo12:datum
  ldrb w5, [x4, :lo12:datum+1]
  ldrh w5, [x4, :lo12:half]
  ldr w5, [x4, :lo12:word]
  ldr x5, [x4, :lo12:dword]
  ldr q5, [x4, :lo12:quad]
  adrp x6, :pg_hi21_nc:datum
  movz x7, #:abs_g3:datum
  movk x7, #:abs_g2_nc:datum
  movk x7, #:abs_g1_nc:datum
  movk x7, #:abs_g0_nc:datum
  movz x8, #:abs_g0:small
  movz x8, #:abs_g1:datum
  movz x8, #:abs_g2:datum
  movz x9, #:abs_g0_s:neg
  movz x9, #:abs_g1_s:neg
  movz x9, #:abs_g2_s:bigneg
  movz x9, #:abs_g1_s:datum
  movz x10, #:prel_g0:near_fn
  movz x10, #:prel_g1:near_fn
  movk x10, #:prel_g0_nc:near_fn
  movk x10, #:prel_g1_nc:near_fn
  movz x10, #:prel_g2:far_fn
  movk x10, #:prel_g2_nc:far_fn
  movz x10, #:prel_g3:far_fn
  movz x10, #:prel_g1:low_fn
  adrp x11, :got:gsym
  ldr x11, [x11, :got_lo12:gsym]
  ldr x12, [x11, #:gotpage_lo15:gsym]
  ldr x13, :got:gsym
  add x0, x0, #:tprel_hi12:tv, lsl #12
  add x0, x0, #:tprel_lo12_nc:tv
  add x0, x0, #:tprel_lo12:tv2
  movz x1, #:tprel_g2:tv
  movz x1, #:tprel_g1:tv
  movk x1, #:tprel_g1_nc:tv
  movz x1, #:tprel_g0:tv
  movk x1, #:tprel_g0_nc:tv
  ldrb w2, [x0, #:tprel_lo12:tv]
  ldrh w2, [x0, #:tprel_lo12_nc:tv]
  ldrh w2, [x0, #:tprel_lo12:tv]
  ldr w2, [x0, #:tprel_lo12:tv2]
  ldr w2, [x0, #:tprel_lo12_nc:tv2]
  ldr x2, [x0, #:tprel_lo12:tv]
  ldr x2, [x0, #:tprel_lo12_nc:tv2]
  ldr x0, :gottprel:tv2
  adrp x0, :tlsdesc:tv
  ldr x1, [x0, #:tlsdesc_lo12:tv]
  add x0, x0, #:tlsdesc_lo12:tv
  .tlsdesccall tv
  blr x1
  ldr x1, :tlsdesc:tv2
  adr x0, :tlsdesc:tv2
  .tlsdesccall tv2
  blr x1
  ldrb w2, [x0, #:tprel_lo12_nc:tv]
  .reloc ., R_AARCH64_NONE, datum
lit: .quad 0
.data
datum: .quad datum
 .word datum
 .hword small
 .quad near_fn - .
 .word near_fn - .
 .hword datum - .
 .hword nearby - .
 .p2align 1
half: .hword 0
 .p2align 2
word: .word 0
 .p2align 3
dword: .quad 0
 .p2align 4
quad: .quad 0, 0
.section .tdata,"awT"
 .p2align 4
tv: .quad 1
tv2: .quad 2
"""
ARM64_SYMS = {"far_fn": 0x6400000, "near_fn": 0x401000, "low_fn": 0x1000, "small": 0x1234,
              "neg": -0x1234, "bigneg": -0x123456789, "gsym": 0x480123, "nearby": 0x480800}

RISCV64_SRC = r"""
.cfi_sections .debug_frame
.text
.globl _start
_start:
  .cfi_startproc
  lui a0, %hi(datum)
  addi a0, a0, %lo(datum)
  sw a1, %lo(datum+8)(a0)
  ld a2, %lo(datum+16)(a0)
.Lp1: auipc a0, %pcrel_hi(datum)
  addi a0, a0, %pcrel_lo(.Lp1)
.Lp2: auipc a1, %pcrel_hi(datum+0x18)
  sd a2, %pcrel_lo(.Lp2)(a1)
  ld a3, %pcrel_lo(.Lp2)(a1)
  addi sp, sp, -16
  .cfi_def_cfa_offset 16
.option push
.option pic
  la a3, gsym
  la.tls.ie a4, tv2
.option pop
  lui a5, %tprel_hi(tv2)
  add a5, a5, tp, %tprel_add(tv2)
  addi a5, a5, %tprel_lo(tv2)
  sw a1, %tprel_lo(tv)(a5)
  call far_fn
  tail far_fn
  .reloc ., R_RISCV_CALL, near_fn
  auipc ra, 0
  jalr ra, 0(ra)
  .reloc ., R_RISCV_NONE, far_fn
  nop
  jal near_fn
  beq a0, a1, 3f
  bnez a0, 3f
  c.beqz a0, 3f
  c.bnez a1, 3f
  c.j 3f
  jal zero, 3f
3: nop
  .cfi_def_cfa_offset 32
  .skip 300
  .cfi_def_cfa_offset 48
  .skip 70000
  .cfi_def_cfa_offset 64
1: c.nop
2: nop
  .cfi_endproc
.data
datum: .quad datum
  .word datum
  .word near_fn - .
  .quad _start
  .dword 2b - 1b
  .word 2b - 1b
  .half 2b - 1b
  .byte 2b - 1b
  .reloc ., R_RISCV_32_PCREL, near_fn+8
  .word 0
.section .tdata,"awT"
  .p2align 4
tv: .quad 1
tv2: .quad 2
"""
# No .p2align in the RISC-V text: GNU ld deletes the excess of R_RISCV_ALIGN padding even with
# --no-relax, so the section would no longer line up byte for byte with the object's.
RISCV64_SYMS = {"far_fn": 0x5000000, "near_fn": 0x10800, "gsym": 0x40123,
                "__tls_get_addr": 0x10900}

# General dynamic in a static link: a GOT pair (module 1, DTP offset), when the core has a kind
# for it.  The DTP offset is biased by TLS_DTV_OFFSET = 0x800 (riscv-elf.adoc, "Constants").
# GD uses tv and IE tv2: GNU ld 2.40 mixes up the GOT entries of a variable used both ways.
TLS_GD_PCREL = getattr(Kind, "TLS_GD_PCREL", None)
if TLS_GD_PCREL is not None:
    RISCV64_SRC = RISCV64_SRC.replace("  call far_fn\n", "  la.tls.gd a0, tv\n"
                                      "  call __tls_get_addr\n  call far_fn\n", 1)
DTV_OFFSET = {"arm64": 0, "riscv64": 0x800}

TOOLS = {
    "arm64": ("aarch64-linux-gnu-as", [], "aarch64-linux-gnu-ld",
              ["-Ttext=0x400000", "-Tdata=0x480000"], ARM64_SRC, ARM64_SYMS, arm64.ARCH),
    "riscv64": ("riscv64-linux-gnu-as", ["-march=rv64gc"], "riscv64-linux-gnu-ld", [],
                RISCV64_SRC, RISCV64_SYMS, riscv64.ARCH),
}


def _page(x: int) -> int:
    return x & ~0xFFF


class Linked:
    """The object and GNU ld's executable, read with pyelftools."""

    def __init__(self, tmp: Path, name: str):
        from elftools.elf.elffile import ELFFile
        as_, as_flags, ld, ld_flags, src, syms, arch = TOOLS[name]
        (tmp / "t.s").write_text(src)
        subprocess.run([shutil.which(as_), *as_flags, "-o", str(tmp / "t.o"), str(tmp / "t.s")],
                       check=True, capture_output=True, text=True)
        defs = [f"--defsym={k}={v:#x}" if v >= 0 else f"--defsym={k}=-{-v:#x}"
                for k, v in syms.items()]
        subprocess.run([shutil.which(ld), "-static", "--no-relax", "-e", "_start", *ld_flags,
                        *defs, "-o", str(tmp / "t.exe"), str(tmp / "t.o")],
                       check=True, capture_output=True, text=True)
        self.arch: Arch = arch
        self.obj = ELFFile(io.BytesIO((tmp / "t.o").read_bytes()))
        self.exe = ELFFile(io.BytesIO((tmp / "t.exe").read_bytes()))
        self.out = {s.name: s for s in self.exe.iter_sections()}
        self.gsyms = {s.name: s["st_value"] for s in self.exe.get_section_by_name(".symtab").iter_symbols()}
        tls = next(s for s in self.exe.iter_segments() if s["p_type"] == "PT_TLS")
        a = max(tls["p_align"], 1)
        self.tp = tls["p_vaddr"] - ((arch.tls_tcb_size + a - 1) // a * a)
        got = self.out.get(".got")
        self.got_addr = got["sh_addr"] if got is not None else 0
        self.got = got.data() if got is not None else b""
        self.got_base = self.gsyms.get("_GLOBAL_OFFSET_TABLE_", self.got_addr)
        self.tls_start = tls["p_vaddr"]
        self.dtv_offset = DTV_OFFSET[name]

    def S(self, sym) -> int:
        shndx = sym["st_shndx"]
        if shndx == "SHN_UNDEF":
            return _signed(self.gsyms[sym.name])
        if shndx == "SHN_ABS":
            return sym["st_value"]
        sec = self.obj.get_section(shndx)
        return self.out[sec.name]["sh_addr"] + sym["st_value"]

    def G(self, value: int) -> int:
        """The address of the GOT slot GNU ld filled with ``value``."""
        for i in range(0, len(self.got), 8):
            if int.from_bytes(self.got[i:i + 8], "little") == value & (2**64 - 1):
                return self.got_addr + i
        raise AssertionError(f"no GOT slot holds {value:#x}")

    def G_pair(self, module: int, offset: int) -> int:
        """The address of the GOT pair GNU ld filled with (module, offset)."""
        want = module.to_bytes(8, "little") + (offset & (2**64 - 1)).to_bytes(8, "little")
        for i in range(0, len(self.got) - 8, 8):
            if self.got[i:i + 16] == want:
                return self.got_addr + i
        raise AssertionError(f"no GOT pair holds ({module}, {offset:#x})")


def _signed(v: int) -> int:
    return v - (1 << 64) if v >> 63 else v


def apply_like_xld(link: Linked, sec_name: str, used: set[int]) -> tuple[bytes, list]:
    """The section's bytes after applying its relocations through the arch table."""
    arch = link.arch
    sec = link.obj.get_section_by_name(sec_name)
    rela = link.obj.get_section_by_name(".rela" + sec_name)
    symtab = link.obj.get_section(rela["sh_link"])
    buf = bytearray(sec.data())
    base = link.out[sec_name]["sh_addr"]
    hi_at: dict[int, int] = {}            # P of a HI20 site -> its value (for PAIRED_LO)
    sites = []
    for r in rela.iter_relocations():
        h = arch.howtos[r["r_info_type"]]
        used.add(h.type)
        off, A = r["r_offset"], r["r_addend"]
        sym = symtab.get_symbol(r["r_info_sym"])
        S, P = link.S(sym), base + off
        k = h.kind
        if k in (Kind.NONE, Kind.HINT, Kind.RELAXABLE, Kind.ALIGN):
            continue
        if k in (Kind.ADDR, Kind.SET, Kind.ADD, Kind.SUB):
            v = S + A
        elif k in (Kind.PCREL, Kind.CALL):
            v = S + A - P
        elif k == Kind.PAGE_PCREL:
            v = _page(S + A) - _page(P)
        elif k == Kind.GOT:
            v = link.G(S + A)
        elif k == Kind.GOT_PCREL:
            v = link.G(S + A) - P
        elif k == Kind.GOT_PAGE_PCREL:
            v = _page(link.G(S + A)) - _page(P)
        elif k == Kind.GOT_GOTPAGE:
            v = link.G(S + A) - _page(link.got_base)
        elif k == Kind.TLS_LE:
            v = S + A - link.tp
        elif k == Kind.TLS_IE:
            v = link.G(S + A - link.tp)
        elif k == Kind.TLS_IE_PCREL:
            v = link.G(S + A - link.tp) - P
        elif k == Kind.TLS_IE_PAGE_PCREL:
            v = _page(link.G(S + A - link.tp)) - _page(P)
        elif TLS_GD_PCREL is not None and k == TLS_GD_PCREL:
            v = link.G_pair(1, S + A - link.tls_start - link.dtv_offset) - P
        elif k == Kind.PAIRED_LO:
            v = hi_at[S]
        elif k == Kind.TLS_DESC:
            word = int.from_bytes(buf[off:off + 4], "little")
            new = arch.hooks["tls_desc_to_le"](word, h, S + A - link.tp)
            buf[off:off + 4] = new.to_bytes(4, "little")
            sites.append((off, 4, h.name))
            continue
        else:       # pragma: no cover
            raise AssertionError(f"{h.name}: kind {k!r} has no formula here")
        if h.field is not None and h.field.width == 4 and k in (
                Kind.PCREL, Kind.GOT_PCREL, Kind.TLS_IE_PCREL, TLS_GD_PCREL):
            hi_at[P] = v
        if h.lo is not None:
            assert h.lo <= v <= h.hi, f"{h.name}: GNU ld accepted {v:#x}, the row refuses it"
        assert v % h.align == 0, f"{h.name}: GNU ld accepted {v:#x}, misaligned for the row"
        w = h.field.width
        word = np.array([int.from_bytes(buf[off:off + w], "little")], dtype=np.uint64)
        val = np.array([v], dtype=np.int64)
        if k == Kind.ADD:
            val = h.field.read(word) + val
        elif k == Kind.SUB:
            val = h.field.read(word) - val
        buf[off:off + w] = int(h.field.write(word, val)[0]).to_bytes(w, "little")
        sites.append((off, w, h.name))
    return bytes(buf), sites


def _needs(name: str):
    as_, _, ld, *_ = TOOLS[name]
    missing = [t for t in (as_, ld) if shutil.which(t) is None]
    return tc.skip_unless(not missing, f"{' and '.join(missing)} not installed")


@pytest.mark.parametrize("name", [pytest.param(n, marks=_needs(n)) for n in TOOLS])
def test_table_reproduces_gnu_ld(tmp_path, name):
    link = Linked(tmp_path, name)
    used: set[int] = set()
    compared = 0
    for sec in link.obj.iter_sections():
        if not sec.name.startswith(".rela"):
            continue
        target = sec.name[len(".rela"):]
        if target not in link.out:
            continue
        mine, sites = apply_like_xld(link, target, used)
        theirs = link.out[target].data()
        assert len(mine) == len(theirs), target
        if mine != theirs:
            bad = sorted({n for off, w, n in sites
                          if mine[off:off + w] != theirs[off:off + w]})
            raise AssertionError(f"{target}: bytes differ from GNU ld at {bad or 'unrelocated bytes'}")
        compared += 1
    assert compared >= 2
    # the source above should exercise most rows; list what it does not, for the reader
    floor = {"arm64": 65, "riscv64": 36}[name]
    assert len(used) >= floor, ", ".join(sorted(link.arch.howtos[t].name for t in set(link.arch.howtos) - used))


# --- coverage of what real libraries use ------------------------------------------------------

LIBS = {
    "arm64": ["/usr/aarch64-linux-gnu/lib/libc.a", "/usr/aarch64-linux-gnu/lib/libm.a",
              "/usr/lib/gcc-cross/aarch64-linux-gnu/12/libgcc.a",
              "/usr/lib/gcc-cross/aarch64-linux-gnu/12/libgcc_eh.a",
              "/usr/lib/gcc-cross/aarch64-linux-gnu/12/libstdc++.a"],
    "riscv64": ["/usr/riscv64-linux-gnu/lib/libc.a", "/usr/riscv64-linux-gnu/lib/libm.a",
                "/usr/lib/gcc-cross/riscv64-linux-gnu/12/libgcc.a",
                "/usr/lib/gcc-cross/riscv64-linux-gnu/12/libgcc_eh.a",
                "/usr/lib/gcc-cross/riscv64-linux-gnu/12/libstdc++.a"],
}
_SHDR = np.dtype([("name", "<u4"), ("type", "<u4"), ("flags", "<u8"), ("addr", "<u8"),
                  ("offset", "<u8"), ("size", "<u8"), ("link", "<u4"), ("info", "<u4"),
                  ("addralign", "<u8"), ("entsize", "<u8")])
_RELA = np.dtype([("offset", "<u8"), ("info", "<u8"), ("addend", "<i8")])


def _rela_types(path: str) -> set[int]:
    """Every relocation type in an ar archive of ELF64 little-endian objects (numpy, no
    per-relocation Python work: the libraries hold millions)."""
    data = Path(path).read_bytes()
    assert data[:8] == b"!<arch>\n", path
    found: set[int] = set()
    i = 8
    while i + 60 <= len(data):
        size = int(data[i + 48:i + 58])
        body = memoryview(data)[i + 60:i + 60 + size]
        i += 60 + size + (size & 1)
        if bytes(body[:4]) != b"\x7fELF":
            continue
        shoff = int.from_bytes(body[0x28:0x30], "little")
        shnum = int.from_bytes(body[0x3C:0x3E], "little")
        shdrs = np.frombuffer(body, _SHDR, shnum, shoff)
        for sh in shdrs[shdrs["type"] == 4]:          # SHT_RELA
            rel = np.frombuffer(body, _RELA, int(sh["size"]) // 24, int(sh["offset"]))
            found.update(np.unique(rel["info"] & np.uint64(0xFFFFFFFF)).tolist())
    return found


@pytest.mark.parametrize("name", list(LIBS))
def test_every_type_the_system_libraries_use_is_in_the_table(name):
    libs = [p for p in LIBS[name] if Path(p).exists()]
    if not libs:
        tc.missing(f"no {name} static libraries installed")
    arch = TOOLS[name][-1]
    used = set().union(*(_rela_types(p) for p in libs))
    missing = sorted(arch.reloc_name(t) for t in used - set(arch.howtos))
    assert not missing, f"relocation types in {', '.join(libs)} that xld does not know"
    assert len(used) >= 15


# --- both backends: the encoder contract ------------------------------------------------------

@pytest.mark.parametrize("arch", [arm64, riscv64], ids=lambda m: m.ARCH.name)
def test_encoders_take_empty_arrays_and_scalars(arch):
    for field in arch.FIELDS:
        if field.width == 0:            # ULEB128: variable width, the core encodes it
            continue
        empty = field.write(np.zeros(0, np.uint64), np.zeros(0, np.int64))
        assert empty.shape == (0,) and empty.dtype == np.uint64, field.name
        one = field.write(np.uint64(0), np.int64(-4))
        many = field.write(np.zeros(1, np.uint64), np.array([-4], np.int64))
        assert int(one) == int(many[0]), field.name


@pytest.mark.parametrize("arch", [arm64, riscv64], ids=lambda m: m.ARCH.name)
def test_every_field_is_listed_and_every_row_field_is_one_of_them(arch):
    assert len({f.name for f in arch.FIELDS}) == len(arch.FIELDS)
    for row in arch.HOWTOS.values():
        assert row.field is None or row.field in arch.FIELDS, row.name
    for hook in ("tls_desc_to_le", "e_flags", "nop_fill"):
        assert callable(arch.ARCH.hooks[hook]), hook
    assert arch.ARCH.reloc_name(arch.ARCH.dynamic_type("IRELATIVE")).endswith("_IRELATIVE")
