"""RISC-V linker relaxation (link/shrink.py): calls, GP- and TP-relative pairs, R_RISCV_ALIGN.

A hand-written program puts one of each relaxable site under a label, assembled at test time
by GNU as; after xld links it, every label's instruction is decoded with capstone and must be
the short form (or stay long where the target is out of reach), every aligned label must be
aligned, and the program must print the same under qemu-riscv64 as GNU ld's link of the same
object.  C programs (freestanding, and static glibc through ``gcc -B``) must behave like GNU
ld's output, and the glibc .text must be no larger than GNU ld's.  ``--no-relax`` keeps the
long forms but still honours every R_RISCV_ALIGN.
"""
from __future__ import annotations

import io
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests import toolchain as tc

ARCH = "riscv64"
GCC = "riscv64-linux-gnu-gcc"
COMMON = Path(__file__).parent / "e2e" / "progs" / "common"

# Every relaxable site sits under a label (a plain local label: it stays in .symtab).
# Expected output: 40 +1 +1 (calls) +100 (far call) +7 (gp store/load) +1000 (pcrel->gp)
# +0 (far data) +5 (tp store/load) +1 (after the aligned blocks) = 1155.
PROGRAM = r"""
    .text
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax
    lla gp, __global_pointer$
    .option pop
    lla tp, tls_area                 # freestanding: our own thread block

    li a0, 40
site_call:
    call add_one
site_call2:
    call add_one
site_far:
    call far_add                     # 1.1 MiB away: stays auipc+jalr
    mv s1, a0

    li t0, 7
site_gp_store:
    lui a5, %hi(small_var)
    sw t0, %lo(small_var)(a5)
site_gp_load:
    lui a5, %hi(small_var)
    lw a1, %lo(small_var)(a5)
    add s1, s1, a1

site_pc:
1:  auipc a5, %pcrel_hi(small_var2)
    ld a2, %pcrel_lo(1b)(a5)
    add s1, s1, a2

site_gp_far:
    lui a5, %hi(far_var)             # 8 KiB past gp: stays lui
    lw a3, %lo(far_var)(a5)
    add s1, s1, a3

site_zero:
    lui a5, %hi(low_abs)             # an absolute symbol below 2 KiB: addi from zero
    addi a6, a5, %lo(low_abs)
    addi a6, a6, -0x123
    add s1, s1, a6

    li t1, 5
site_tp:
    lui a5, %tprel_hi(tv)
    add a5, a5, tp, %tprel_add(tv)
    sw t1, %tprel_lo(tv)(a5)
site_tp_load:
    lui a5, %tprel_hi(tv)
    add a5, a5, tp, %tprel_add(tv)
    lw a4, %tprel_lo(tv)(a5)
    add s1, s1, a4

    .balign 16
aligned16:
    mv a0, s1
    call add_one
    .p2align 5
aligned32:
    mv s1, a0
    call add_zero
    .p2align 6
aligned64:
    mv a0, s1
site_tail:
    tail print_and_exit
    .size _start, .-_start

    .type add_one, @function
add_one:
    addi a0, a0, 1
    ret
    .p2align 4
aligned_fn:
add_zero:
    ret

    .type print_and_exit, @function
print_and_exit:                      # print a0 in decimal and a newline, exit 0
    addi sp, sp, -32
    addi t0, sp, 31
    li t1, 10
    sb t1, 0(t0)
    li t2, 1
2:  remu t3, a0, t1
    addi t3, t3, '0'
    addi t0, t0, -1
    sb t3, 0(t0)
    addi t2, t2, 1
    divu a0, a0, t1
    bnez a0, 2b
    li a0, 1
    mv a1, t0
    mv a2, t2
    li a7, 64
    ecall
    li a0, 0
    li a7, 93
    ecall

    .globl low_abs                   # global: the assembler leaves the pair to the linker
    .set low_abs, 0x123

    .section .text.pad, "ax", @progbits
    .space 0x110000

    .section .text.far, "ax", @progbits
    .type far_add, @function
far_add:
    addi a0, a0, 100
    ret

    .section .sdata, "aw"
    .p2align 3
small_var:  .word 0
    .p2align 3
small_var2: .dword 1000

    .bss
    .p2align 4
tls_area:   .zero 64
big_arr:    .zero 8192
far_var:    .zero 8

    .section .tbss, "awT", @nobits
    .p2align 2
    .type tv, @object
tv: .zero 4
"""

EXPECTED = b"1155\n"
SHORT = {               # label -> (mnemonic, text the operands contain)
    "site_call": ("jal", ""), "site_call2": ("jal", ""), "site_far": ("auipc", ""),
    "site_gp_store": ("sw", "(gp)"), "site_gp_load": ("lw", "(gp)"), "site_pc": ("ld", "(gp)"),
    "site_gp_far": ("lui", ""), "site_tp": ("sw", "(tp)"), "site_tp_load": ("lw", "(tp)"),
    "site_tail": ("c.j", ""), "site_zero": ("addi", "zero, 0x123"),
}
LONG = {"site_call": "auipc", "site_call2": "auipc", "site_gp_store": "lui", "site_pc": "auipc",
        "site_tp": "lui", "site_tail": "auipc", "site_zero": "lui"}
ALIGNED = {"aligned16": 16, "aligned32": 32, "aligned64": 64, "aligned_fn": 16}


def _tools():
    tc.require(GCC)
    tc.require(tc.QEMU[ARCH])
    tc.require(f"{tc.TRIPLE[ARCH]}-ld")


def _symbols(exe: Path) -> dict[str, int]:
    from elftools.elf.elffile import ELFFile
    elf = ELFFile(io.BytesIO(exe.read_bytes()))
    out = {}
    for s in elf.get_section_by_name(".symtab").iter_symbols():
        if s.name and s.name not in out:
            out[s.name] = s["st_value"]
    return out


def _section(exe: Path, name: str):
    from elftools.elf.elffile import ELFFile
    elf = ELFFile(io.BytesIO(exe.read_bytes()))
    return elf.get_section_by_name(name)


def _insn_at(exe: Path, addr: int):
    import capstone
    from elftools.elf.elffile import ELFFile
    elf = ELFFile(io.BytesIO(exe.read_bytes()))
    for sec in elf.iter_sections():
        if sec["sh_flags"] & 4 and sec["sh_addr"] <= addr < sec["sh_addr"] + sec["sh_size"]:
            data = sec.data()[addr - sec["sh_addr"]:][:8]
            md = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)
            return next(md.disasm(data, addr))
    raise AssertionError(f"no code at {addr:#x}")


def _link_xld(objs, out: Path, extra=()) -> Path:
    res = tc.xld_link(["--arch", ARCH, "-static", *extra, "-o", out, *objs])
    assert res.status == 0, res.stderr
    return out


@pytest.fixture(scope="module")
def prog(tmp_path_factory):
    _tools()
    d = tmp_path_factory.mktemp("relax")
    obj = tc.assemble(ARCH, PROGRAM, d / "prog.o")
    return d, obj


def test_asm_sites_relax_to_short_forms_and_run(prog):
    d, obj = prog
    exe = _link_xld([obj], d / "xld.out")
    run = tc.qemu_run(ARCH, exe)
    assert (run.status, run.stdout) == (0, EXPECTED), run.summary()
    syms = _symbols(exe)
    for label, (mnem, operand) in SHORT.items():
        insn = _insn_at(exe, syms[label])
        assert insn.mnemonic == mnem and operand in insn.op_str, \
            f"{label}: {insn.mnemonic} {insn.op_str}, expected {mnem} ...{operand}"
    for label, align in ALIGNED.items():
        assert syms[label] % align == 0, f"{label} = {syms[label]:#x} is not {align}-aligned"


def test_asm_matches_gnu_ld(prog):
    d, obj = prog
    ours = _link_xld([obj], d / "xld2.out")
    gnu = tc.gnu_ld(ARCH, [obj], d / "gnu.out")
    a, b = tc.qemu_run(ARCH, ours), tc.qemu_run(ARCH, gnu)
    assert (a.status, a.stdout) == (b.status, b.stdout) == (0, EXPECTED)
    # same relaxations: the code is as long as GNU ld's
    assert _section(ours, ".text")["sh_size"] <= _section(gnu, ".text")["sh_size"]


def test_no_relax_keeps_long_forms_and_alignment(prog):
    d, obj = prog
    exe = _link_xld([obj], d / "norelax.out", ["--no-relax"])
    run = tc.qemu_run(ARCH, exe)
    assert (run.status, run.stdout) == (0, EXPECTED), run.summary()
    syms = _symbols(exe)
    for label, mnem in LONG.items():
        assert _insn_at(exe, syms[label]).mnemonic == mnem, label
    for label, align in ALIGNED.items():
        assert syms[label] % align == 0, f"{label} = {syms[label]:#x} is not {align}-aligned"
    # the code before the first aligned block is longer unrelaxed (padding after it may hide it)
    relaxed = _symbols(_link_xld([obj], d / "relaxed.out"))
    assert relaxed["site_tp_load"] - relaxed["_start"] < syms["site_tp_load"] - syms["_start"]


def test_site_without_relax_is_left_alone(tmp_path):
    """Only a site with R_RISCV_RELAX at the same offset may change (.option norelax)."""
    _tools()
    src = PROGRAM.replace("site_call:\n    call add_one",
                          "site_call:\n    .option push\n    .option norelax\n    call add_one\n"
                          "    .option pop")
    obj = tc.assemble(ARCH, src, tmp_path / "p.o")
    exe = _link_xld([obj], tmp_path / "p.out")
    syms = _symbols(exe)
    assert _insn_at(exe, syms["site_call"]).mnemonic == "auipc"
    assert _insn_at(exe, syms["site_call2"]).mnemonic == "jal"
    run = tc.qemu_run(ARCH, exe)
    assert (run.status, run.stdout) == (0, EXPECTED), run.summary()


def test_gp_relaxation_needs_the_linker_defined_gp(tmp_path):
    """Without a reference to __global_pointer$ xld defines no gp, so nothing becomes
    gp-relative (calls still relax)."""
    _tools()
    src = PROGRAM.replace("    lla gp, __global_pointer$\n", "    nop\n")
    obj = tc.assemble(ARCH, src, tmp_path / "nogp.o")
    exe = _link_xld([obj], tmp_path / "nogp.out")
    syms = _symbols(exe)
    assert "__global_pointer$" not in syms
    assert _insn_at(exe, syms["site_gp_store"]).mnemonic == "lui"
    assert _insn_at(exe, syms["site_pc"]).mnemonic == "auipc"
    assert _insn_at(exe, syms["site_call"]).mnemonic == "jal"
    run = tc.qemu_run(ARCH, exe)
    assert (run.status, run.stdout) == (0, EXPECTED), run.summary()


C_MAIN = r"""
#include "rt.h"
static int counter;                 /* .sbss: gp-relative after relaxation */
int table[4] = {1, 2, 3, 4};        /* .sdata (16 bytes: small data) */
long big[4096];                     /* .bss, mostly out of gp's reach */
__attribute__((noinline)) static int bump(int k) { counter += k; return counter; }
__attribute__((noinline)) int sum(void) { int s = 0; for (int i = 0; i < 4; i++) s += table[i]; return s; }
int main(int argc, char **argv)
{
    for (int i = 0; i < 10; i++)
        bump(i);
    big[4095] = sum();
    say("counter", counter);
    say("sum", big[4095]);
    say("argc", argc);
    return counter == 45 ? 0 : 1;
}
"""


@pytest.mark.parametrize("model", ["medlow", "medany"])
def test_freestanding_c_runs_like_gnu_ld(tmp_path, model):
    _tools()
    cc = tc.compiler("gcc", ARCH)
    (tmp_path / "main.c").write_text(C_MAIN)
    flags = ["-O2", f"-mcmodel={model}", "-fno-pie", f"-I{COMMON}"]
    objs = [cc.compile(tmp_path / "main.c", tmp_path / "main.o", flags)]
    objs += [cc.compile(COMMON / n, tmp_path / (Path(n).stem + ".o"), flags) for n in ("start.c", "rt.c")]
    ours = _link_xld(objs, tmp_path / "xld.out")
    gnu = tc.gnu_ld(ARCH, objs, tmp_path / "gnu.out")
    a, b = tc.qemu_run(ARCH, ours, ["x"]), tc.qemu_run(ARCH, gnu, ["x"])
    assert (a.status, a.stdout) == (b.status, b.stdout), a.summary() + b.summary()
    assert b"counter = 45" in a.stdout
    assert _section(ours, ".text")["sh_size"] <= _section(gnu, ".text")["sh_size"]
    if model == "medlow":       # lui of a small address: C.LUI (psABI "Compressed LUI Relaxation")
        assert "c.lui" in _mnemonics(ours)


def _mnemonics(exe: Path) -> list[str]:
    import capstone
    text = _section(exe, ".text")
    md = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)
    return [i.mnemonic for i in md.disasm(text.data(), text["sh_addr"])]


HELLO = r"""
#include <stdio.h>
#include <string.h>
#include <errno.h>
static __thread int tcount = 3;
int main(int argc, char **argv)
{
    tcount += argc;
    errno = 0;
    printf("hello %d %s %d\n", tcount, argv[0] ? "argv" : "none", (int)strlen("relax"));
    return 0;
}
"""


@pytest.fixture(scope="module")
def glibc_hello(tmp_path_factory):
    _tools()
    d = tmp_path_factory.mktemp("glibc")
    ld = d / "bin" / "ld"
    ld.parent.mkdir()
    ld.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m xld.link \"$@\"\n")
    ld.chmod(0o755)
    (d / "hello.c").write_text(HELLO)
    obj = d / "hello.o"
    subprocess.run([GCC, "-O2", "-c", d / "hello.c", "-o", obj], check=True)
    return d, obj


def _gcc_link(d: Path, obj: Path, out: str, xld: bool, extra=()) -> Path:
    cmd = [GCC, "-static", *(["-B", str(d / "bin")] if xld else []), *extra, str(obj), "-o", str(d / out)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return d / out


def test_static_glibc_text_no_larger_than_gnu_ld(glibc_hello):
    d, obj = glibc_hello
    ours = _gcc_link(d, obj, "xld.out", True)
    gnu = _gcc_link(d, obj, "gnu.out", False)
    a, b = tc.qemu_run(ARCH, ours), tc.qemu_run(ARCH, gnu)
    assert (a.status, a.stdout) == (b.status, b.stdout), a.summary() + b.summary()
    assert a.stdout.startswith(b"hello 4 argv 5")
    ours_text, gnu_text = _section(ours, ".text")["sh_size"], _section(gnu, ".text")["sh_size"]
    assert ours_text <= gnu_text, f".text: xld {ours_text:#x} > GNU ld {gnu_text:#x}"
    assert _gcc_link(d, obj, "xld2.out", True).read_bytes() == ours.read_bytes()     # deterministic


def test_static_glibc_no_relax_runs(glibc_hello):
    d, obj = glibc_hello
    exe = _gcc_link(d, obj, "norelax.out", True, ["-Wl,--no-relax"])
    run = tc.qemu_run(ARCH, exe)
    assert run.status == 0 and run.stdout.startswith(b"hello 4 argv 5"), run.summary()


def test_a_wrong_estimate_is_caught_and_undone(prog, monkeypatch):
    """The decisions rest on an estimated layout; the pass re-checks every relaxed site on the
    final one.  Make the estimate lie (gp placed at far_var) and the far pair, relaxed on
    that estimate, must be found out of range, undone, and the program still right."""
    from xld.link import driver, options, shrink
    d, obj = prog
    real = shrink.Relaxer._estimate

    def lying(self):
        real(self)
        far = [r for k, rs in self.groups if k == "gp" for r in rs
               if self.ctx.symtab.names[int(self.ctx.rel.gid[r])] == "far_var"
               or self.ctx.files[int(self.ctx.rel.file[r])].sym_name(int(self.ctx.rel.sym[r])) == "far_var"]
        assert far, "the far pair is a candidate"
        self.gp = self.SA[far[0]]

    monkeypatch.setattr(shrink.Relaxer, "_estimate", lying)
    exe = d / "lied.out"
    ctx = driver.link(options.parse(["--arch", ARCH, "-static", "-o", str(exe), str(obj)]))
    assert ctx.relax_stats["rounds"] == 2
    syms = _symbols(exe)
    assert _insn_at(exe, syms["site_gp_far"]).mnemonic == "lui"
    run = tc.qemu_run(ARCH, exe)
    assert (run.status, run.stdout) == (0, EXPECTED), run.summary()


def test_relax_hints_become_a_flag_on_the_row_before(prog):
    """scan keeps no R_RISCV_RELAX rows: each marks the relocation just before it at the same
    offset (as lld and mold read the hint), and only those rows are candidates."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.relocation import RelocationSection
    from xld.link import driver, options
    d, obj = prog
    n_rows = n_relax = marked = 0
    with open(obj, "rb") as f:
        for sec in ELFFile(f).iter_sections():
            if isinstance(sec, RelocationSection):
                relocs = [(r["r_offset"], r["r_info_type"]) for r in sec.iter_relocations()]
                n_rows += len(relocs)
                n_relax += sum(1 for _, typ in relocs if typ == 51)
                marked += sum(1 for (o0, t0), (o1, t1) in zip(relocs, relocs[1:])
                              if t1 == 51 and t0 != 51 and o0 == o1)
    assert n_relax > 20 and marked == n_relax

    seen = {}
    real = driver.relocate.scan

    def spy(ctx):
        real(ctx)
        t = ctx.rel
        seen["types"] = set(t.type.tolist())
        seen["flags"] = int(t.relax.sum())
        seen["rows"] = int(t.n)
    driver.relocate.scan, saved = spy, real
    try:
        driver.link(options.parse(["--arch", ARCH, "-static", "-o", str(d / "flags.out"), str(obj)]))
    finally:
        driver.relocate.scan = saved
    assert 51 not in seen["types"]
    assert seen["flags"] == marked
    assert seen["rows"] == n_rows - n_relax


def test_mover_moves_offsets_past_deletions():
    """One sorted table of deletions for all sections: an offset moves back by the bytes
    deleted before it in its own section; one inside a deleted range lands at its start."""
    import numpy as np
    from xld.link.shrink import _Mover
    keys = np.array([(1 << 32) | 3, (2 << 32) | 5], dtype=np.int64)
    dkey = np.array([keys[0], keys[0], keys[1]], dtype=np.int64)
    do = np.array([8, 20, 0], dtype=np.int64)
    dc = np.array([4, 2, 6], dtype=np.int64)
    mv = _Mover(keys, dkey, do, dc)
    e = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 0], dtype=np.int64)
    x = np.array([0, 8, 10, 12, 21, 30, 0, 3, 6, -4], dtype=np.int64)
    assert mv.moved(e, x).tolist() == [0, 8, 8, 8, 16, 24, 0, 0, 0, -4]
    assert mv.ids(np.array([keys[1], keys[0], (7 << 32) | 1])).tolist() == [1, 0, -1]


def test_stray_relax_hints_are_ignored(tmp_path):
    """A RELAX with no relocation before it at its offset (first in its section, or after
    another RELAX) marks nothing; the call it follows still relaxes, and the program runs."""
    _tools()
    obj = tc.assemble(ARCH, """
    .text
    .globl _start
_start:
    .reloc ., R_RISCV_RELAX, 0
    nop
the_call:
    call f
    .reloc ., R_RISCV_RELAX, 0
    .reloc ., R_RISCV_RELAX, 0
    nop
    li a0, 7
    li a7, 93
    ecall
f:
    ret
""", tmp_path / "stray.o")
    exe = _link_xld([obj], tmp_path / "stray.out")
    assert _insn_at(exe, _symbols(exe)["the_call"]).mnemonic == "jal"
    assert tc.qemu_run(ARCH, exe).status == 7


@pytest.mark.parametrize("how", ["search", "ordered", "table", "few"])
def test_offsets_move_past_the_bytes_deleted_before_them(how):
    """shrink's _Mover against a byte-by-byte model: an offset moves down by every byte
    deleted before it in its section, one inside a deleted range goes to where the range
    was; keys in order (relocation sites) take the other lookup (deletions placed among the
    keys), and _Deleted (a table of the bytes deleted before each offset of the sections
    one after another, as symbols move in a small link) and _FewMover (one offset at a
    time, a small link's moves) must agree."""
    import numpy as np
    from xld.link import shrink
    rng = np.random.default_rng(17)
    for _ in range(60):
        nsec = int(rng.integers(1, 5))
        keys = np.sort(rng.choice(1 << 20, nsec, replace=False)).astype(np.int64)
        dels = {}                              # section -> sorted disjoint (start, count)
        for s in range(nsec):
            at, out = 0, []
            while True:
                at += int(rng.integers(0, 40))
                n = int(rng.integers(1, 6))
                if at + n > 300 or len(out) > 12:
                    break
                out.append((at, n))
                at += n
            dels[s] = out
        e_d = np.array([s for s in dels for _ in dels[s]], dtype=np.int64)
        dkey = keys[e_d] if len(e_d) else e_d
        do = np.array([a for s in dels for a, _ in dels[s]], dtype=np.int64)
        dc = np.array([n for s in dels for _, n in dels[s]], dtype=np.int64)
        mv = shrink._Mover(keys, dkey, do, dc)
        if how == "table":          # every section 300 bytes, one after another
            sizes = np.full(nsec, 300, dtype=np.int64)
            base = np.arange(nsec, dtype=np.int64) * 300
            gone = np.array([base[s] + a + i for s in dels for a, n in dels[s] for i in range(n)],
                            dtype=np.int64)
            mv = shrink._Deleted(mv, keys, base, sizes, gone, dkey, do, dc)
            assert mv.ok
        count = int(rng.integers(70, 400))
        e = rng.integers(0, nsec, count).astype(np.int64)
        x = rng.integers(-8, 320, count).astype(np.int64)
        if how == "ordered":
            o = np.lexsort((x, e))
            e, x = e[o], x[o]

        def model(s, v):
            gone = 0
            for a, n in dels[s]:
                if v < a:
                    break
                if v < a + n:
                    return a - gone
                gone += n
            return v - gone
        want = [model(s, v) for s, v in zip(e.tolist(), x.tolist())]
        if how == "few":
            few = shrink._FewMover(dkey, do, dc)
            assert [few.moved(int(keys[s]), v) for s, v in zip(e.tolist(), x.tolist())] == want
            continue
        assert mv.moved(e, x).tolist() == want


DEBUG_PROGRAM = r"""
#include <stdio.h>
static int counter;
__attribute__((noinline)) static int bump(int n) { counter += n; return counter; }
int main(int argc, char **argv)
{
    for (int i = 0; i < 3; i++)
        bump(argc + i);
    printf("%d %s\n", counter, argc > 5 ? argv[1] : "x");
    return 0;
}
"""
# data pointing into shrunk code through the section symbol (R_RISCV_64 .text + 20: the
# addend moves with the call's deleted bytes)
SECTION_REF = r"""
    .text
    .globl call_nothing
    .type call_nothing, @function
call_nothing:
    addi sp, sp, -16
    sd ra, 8(sp)
    call nothing
    ld ra, 8(sp)
    addi sp, sp, 16
    ret
nothing:
    ret
    .data
    .globl text_ref
text_ref:
    .quad .text + 20
"""


def test_a_small_links_moves_are_the_arrays_moves(tmp_path, monkeypatch):
    """A small link (gcc's own dynamic PIE line, -g: debug info points into the shrunk
    code; data points into it through a section symbol) moves relocation sites, symbols
    and addends one value at a time (_move_few); the
    arrays' way (_Mover, _move_symbols), forced, must give the same bytes, and the program
    must run."""
    import shlex
    from xld.link import shrink
    tc.require(GCC)
    (tmp_path / "p.c").write_text(DEBUG_PROGRAM)
    obj = tmp_path / "p.o"
    subprocess.run([GCC, "-O2", "-g", "-c", tmp_path / "p.c", "-o", obj], check=True)
    ref = tc.assemble(ARCH, SECTION_REF, tmp_path / "ref.o")
    line = subprocess.run([GCC, obj, ref, "-o", "OUT", "-###"], capture_output=True, text=True).stderr
    words = shlex.split(next(x for x in line.splitlines() if "collect2" in x))[1:]
    args = [w for k, w in enumerate(words) if w != "-plugin" and not w.startswith("-plugin-opt")
            and (k == 0 or words[k - 1] != "-plugin")]
    calls = []
    few = shrink._move_few
    monkeypatch.setattr(shrink, "_move_few", lambda *a: calls.append(1) or few(*a))

    def link(name):
        out = tmp_path / name
        res = tc.xld_link([str(out) if w == "OUT" else w for w in args])
        assert res.status == 0, res.stderr
        return out
    small = link("few.out")
    assert calls, "the small link took the one-at-a-time moves"
    monkeypatch.setattr(shrink, "_SMALL", 0)
    assert link("arrays.out").read_bytes() == small.read_bytes()
    run = tc.qemu_run(ARCH, small, sysroot=f"/usr/{tc.TRIPLE[ARCH]}")
    assert (run.status, run.stdout) == (0, b"6 x\n"), run.summary()


def test_symbols_move_in_one_table_as_in_each_files(glibc_hello, monkeypatch):
    """A static glibc link edits ~240 files' symbol tables: where they are few enough, merge's
    copies are copied with the others and the symbols move in that one table (_move_joined);
    forced to keep merge's copies apart (the large links' way), every file's table is read
    and written on its own (_move_apart): the same bytes, and the program runs."""
    import shlex
    from xld.link import shrink
    d, obj = glibc_hello
    line = subprocess.run([GCC, "-static", str(obj), "-o", "OUT", "-###"], capture_output=True, text=True).stderr
    words = shlex.split(next(x for x in line.splitlines() if "collect2" in x))[1:]
    args = [w for k, w in enumerate(words) if w != "-plugin" and not w.startswith("-plugin-opt")
            and (k == 0 or words[k - 1] != "-plugin")]
    took = []
    for name in ("_move_joined", "_move_apart"):
        real = getattr(shrink, name)
        monkeypatch.setattr(shrink, name, lambda *a, _n=name, _f=real: took.append(_n) or _f(*a))

    def link(out):
        res = tc.xld_link([str(d / out) if w == "OUT" else w for w in args])
        assert res.status == 0, res.stderr
        return d / out
    joined = link("joined.out")
    assert took and set(took) == {"_move_joined"}, took
    took.clear()
    monkeypatch.setattr(shrink, "_JOIN_ALL", 0)
    apart = link("apart.out")
    assert "_move_apart" in took, took
    assert apart.read_bytes() == joined.read_bytes()
    run = tc.qemu_run(ARCH, joined)
    assert run.status == 0 and run.stdout.startswith(b"hello 4 argv 5"), run.summary()


# A PC-relative pair near gp (relaxes to gp), one 64 KiB from it (stays auipc), and one near
# whose LO12 sits in another section (spoiled: stays auipc).
PC_PROGRAM = r"""
    .text
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax
    lla gp, __global_pointer$
    .option pop
pc_near:
1:  auipc a5, %pcrel_hi(small)
    ld a0, %pcrel_lo(1b)(a5)
pc_far:
2:  auipc a5, %pcrel_hi(big_end)
    ld a1, %pcrel_lo(2b)(a5)
    add a0, a0, a1
pc_split:
3:  auipc a5, %pcrel_hi(small2)
    call other
    li a7, 93
    ecall
    .section .text.other,"ax",@progbits
other:
    ld a2, %pcrel_lo(3b)(a5)
    add a0, a0, a2
    ret
    .section .sdata,"aw"
small: .dword 1
small2: .dword 2
    .data
big_end: .dword 4
    .space 0x10000
"""


def test_pc_relative_groups_are_the_full_pairing_near_gp(tmp_path):
    """The pass pairs PCREL_LO12s with their PCREL_HI20 only around the HI20s the estimate puts
    within gp +-2 KiB (at a large link, a few hundred of hundreds of thousands): those groups
    must be exactly the full pairing's groups that are near gp, and the link must relax the
    near pair only (the split one is spoiled: its LO12 is in another section)."""
    import numpy as np
    from xld.link import driver, options, shrink
    _tools()
    obj = tc.assemble(ARCH, PC_PROGRAM, tmp_path / "pc.o")
    seen = []
    real = shrink.Relaxer._pc_groups

    def checked(self):
        real(self)
        lo_m, h_m = self._pc_pairs(self.pc_his, self.pc_los)        # every file, every HI20
        v = self.pc_SA[np.searchsorted(self.pc_hc, h_m)]
        near = (v - self.gp >= -0x800) & (v - self.gp <= 0x7FF)
        want = shrink._pc_group_rows(lo_m[near], h_m[near])
        got = self.cand[shrink._PCGP]
        assert [x.tolist() for x in got] == [x.tolist() for x in want]
        seen.append((len(h_m), len(got[1]) - 1))

    exe = tmp_path / "pc.out"
    orig = shrink.Relaxer._pc_groups
    shrink.Relaxer._pc_groups = checked
    try:
        ctx = driver.link(options.parse(["--arch", ARCH, "-static", "-o", str(exe), str(obj)]))
    finally:
        shrink.Relaxer._pc_groups = orig
    assert seen == [(2, 1)]             # near and far paired (split spoiled), near grouped
    assert ctx.relax_stats["pcrel->gp"] == 1
    syms = _symbols(exe)
    assert _insn_at(exe, syms["pc_near"]).mnemonic == "ld"
    assert _insn_at(exe, syms["pc_far"]).mnemonic == "auipc"
    assert _insn_at(exe, syms["pc_split"]).mnemonic == "auipc"
    run = tc.qemu_run(ARCH, exe)
    assert run.status == 7, run.summary()


MERGED = r"""
    .section .rodata.str1.1,"aMS",@progbits,1
s1: .string "same"
s2: .string "same"
s3: .string "other"
    .text
    .globl merged_fn
merged_fn:
    lla a0, s3
    call merged_leaf
    ret
merged_leaf:
    ret
"""


def test_an_undo_restores_merges_symbol_values(prog, monkeypatch):
    """The snapshot holds merge's copy of a symbol table as the table it was made from and the
    values merge wrote (not a second copy), and relaxation writes that copy in place: an undo
    must still give back exactly the table merge made (s2 and s3 moved by merge, then by
    relaxation), and the program still run."""
    from xld.link import driver, elf, options, shrink
    d, obj = prog
    merged = tc.assemble(ARCH, MERGED, d / "merged.o")
    real_estimate, real_hook, real_restore = shrink.Relaxer._estimate, shrink._Snapshot.objs_hook, shrink._Snapshot.restore
    seen, checked, compact = {}, [], []

    def lying(self):
        real_estimate(self)
        far = [r for k, rs in self.groups if k == "gp" for r in rs
               if self.ctx.symtab.names[int(self.ctx.rel.gid[r])] == "far_var"
               or self.ctx.files[int(self.ctx.rel.file[r])].sym_name(int(self.ctx.rel.sym[r])) == "far_var"]
        self.gp = self.SA[far[0]]

    def hook(self, o):
        if o.file_id not in self.objs:
            seen[o.file_id] = (o.name, elf.copy_table(o.syms))
        real_hook(self, o)
        if isinstance(self.objs[o.file_id][0], tuple):
            compact.append(o.name)

    def restore(self):
        real_restore(self)
        for fid, (name, table) in seen.items():
            got = self.ctx.files[fid].syms
            assert got.tobytes() == table.tobytes(), f"{name}: the restored symbol table differs"
            checked.append(name)

    monkeypatch.setattr(shrink.Relaxer, "_estimate", lying)
    monkeypatch.setattr(shrink._Snapshot, "objs_hook", hook)
    monkeypatch.setattr(shrink._Snapshot, "restore", restore)
    exe = d / "lied-merged.out"
    ctx = driver.link(options.parse(["--arch", ARCH, "-static", "-o", str(exe), str(obj), str(merged)]))
    assert ctx.relax_stats["rounds"] == 2
    assert any(n.endswith("merged.o") for n in compact), compact      # merge's copy, held as edits
    assert any(n.endswith("merged.o") for n in checked), checked
    syms = _symbols(exe)
    rodata = _section(exe, ".rodata")
    assert syms["s1"] == syms["s2"] != syms["s3"]                    # (merge's values kept)
    assert rodata["sh_addr"] <= syms["s3"] < rodata["sh_addr"] + rodata["sh_size"]
    run = tc.qemu_run(ARCH, exe)
    assert (run.status, run.stdout) == (0, EXPECTED), run.summary()


X0_SITES = """
    .option relax
    .globl _start
_start:
    lla a0, small
    lla a1, edge
    lla a2, over
    lla a3, neg
    lw a4, small
    sw a4, edge, t0
    lla a5, _start
    ret
"""


@pytest.mark.parametrize("pie", [None, "-pie", "--static-pie"])
def test_pcrel_to_a_value_near_zero_relaxes_to_x0(pie, tmp_path):
    """auipc+addi/lw/sw of a value within +-2 KiB of 0 (a script's SIZEOF, ALIGNOF, a small
    absolute) is one addi/lw/sw from x0, as GNU ld relaxes it, also without a gp; not in a PIE
    (GNU ld leaves it there), a static PIE included (xld's --static-pie alone once made
    `lla a0, __ehdr_start` an absolute 0). xld kept the auipc (4 bytes each: every later
    address moved). Found by tests/test_random_scripts.py."""
    _tools()
    obj = tc.assemble(ARCH, X0_SITES, tmp_path / "x0.o")
    script = tmp_path / "s.ld"
    script.write_text("SECTIONS { . = 0x10000; .text : { *(.text) } small = 8; edge = 0x7ff; over = 0x800;"
                      " neg = -0x800; }\n")
    extra = [pie] if pie else []
    gnu_extra = ["-static", "-pie", "--no-dynamic-linker"] if pie == "--static-pie" else extra
    gnu = tc.gnu_ld(ARCH, [obj], tmp_path / "gnu", ["-T", str(script), *gnu_extra])
    xld = _link_xld([obj], tmp_path / "xld", ["-T", script, *extra])
    want = _section(gnu, ".text").data()
    assert _section(xld, ".text").data() == want
    assert len(want) == 7 * 8 + 2 - (0 if pie else 5 * 4)     # (the auipc of small, edge, neg, the lw's, the sw's)


@pytest.mark.parametrize("relax", ["--relax", "--no-relax"])
def test_a_padding_kept_whole_keeps_the_assemblers_nops(tmp_path, relax):
    """In a section whose first padding goes (`.balign 64` at offset 0), a second one that
    keeps all of its 14 bytes keeps what GNU as wrote (a c.nop, then 4-byte nops, aligned),
    as GNU ld leaves it; only a padding that loses bytes is written anew (found by
    tests/test_random_relocs.py, seed 90)."""
    _tools()
    obj = tc.assemble(ARCH, ".text\n.globl _start\n_start:\n .balign 64\n c.nop\n .balign 16\n ret\n",
                      tmp_path / "a.o")
    gnu = tc.gnu_ld(ARCH, [obj], tmp_path / "gnu", [relax])
    exe = _link_xld([obj], tmp_path / "xld", [relax])
    from elftools.elf.elffile import ELFFile
    text = [ELFFile(io.BytesIO(p.read_bytes())).get_section_by_name(".text").data() for p in (gnu, exe)]
    assert text[1] == text[0]
    assert text[1][:18] == bytes.fromhex("0100" "0100" + "13000000" * 3 + "8280")


SHARED_GP_LIB = r"""
__attribute__((visibility("hidden"))) int table[4] = {10, 20, 30, 40};
int get(int i) { return table[i]; }
int *where(void) { return &table[1]; }
"""
SHARED_GP_MAIN = r"""
#include <stdio.h>
int get(int);
int *where(void);
int main(void) { printf("%d %d\n", get(2), *where()); return 0; }
"""


def test_no_gp_relative_code_in_a_shared_object(tmp_path):
    """A shared library linked with a __global_pointer$ of its own (``--defsym``, or a script
    that sets it): at run time gp holds the program's (its _start sets it), so xld must not
    make the library's PC-relative pairs gp-relative; GNU ld does not either. xld did
    (``addi a5, gp, -16`` for ``lla a5, table``), and the program printed '0 0' where it
    prints '30 20' with GNU ld's library (found in the random relocations' soak, seed 1097)."""
    gcc = tc.require(GCC)
    qemu = tc.require(tc.QEMU[ARCH])
    (tmp_path / "lib.c").write_text(SHARED_GP_LIB)
    (tmp_path / "main.c").write_text(SHARED_GP_MAIN)
    subprocess.run([gcc, "-O2", "-fPIC", "-c", "lib.c", "main.c"], cwd=tmp_path, check=True, capture_output=True)
    wrapper = tc.ld_wrapper_dir(tmp_path)
    outs = {}
    for who, use in (("gnu", []), ("xld", ["-B", str(wrapper)])):
        d = tmp_path / who
        d.mkdir()
        for cmd in ([gcc, *use, "-shared", "-Wl,--defsym=__global_pointer$=table+0x10", "-o", d / "libt.so",
                     tmp_path / "lib.o"],
                    [gcc, "-o", d / "m", tmp_path / "main.o", f"-L{d}", "-lt", "-Wl,-rpath,$ORIGIN"]):
            p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
            assert p.returncode == 0, p.stderr
        r = tc.run_group([qemu, "-L", f"/usr/{tc.TRIPLE[ARCH]}", str(d / "m")], timeout=60)
        outs[who] = (r.returncode, r.stdout)
    assert outs["gnu"] == (0, b"30 20\n")
    assert outs["xld"] == outs["gnu"]
