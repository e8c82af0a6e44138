"""Range-extension thunks (link/thunks.py): AArch64 branches beyond +-128 MiB.

A C program keeps some functions in an orphan section ``.far_text`` that ``--section-start``
puts 316 MiB above ``.text``; calls go both ways.  xld's output must run under qemu-aarch64
like GNU ld's link with the same option, share one thunk per target among all callers of an
output section, leave near calls direct, and be byte-identical when linked twice.  On RISC-V
there are no thunks: a JAL out of reach is an error in lld's words.
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests import toolchain as tc

ARCH = "arm64"
COMMON = Path(__file__).parent / "e2e" / "progs" / "common"
FAR = "0x14000000"
PREFIX = "__AArch64ADRPThunk_"

MAIN = r"""
#include "rt.h"
#define FAR __attribute__((section(".far_text"), noinline))
__attribute__((noinline)) int near_helper(int x) { return x * 3; }
FAR int far_add(int a, int b) { return near_helper(a) + b; }
FAR int far_mul(int a, int b) { return near_helper(a * b) + near_helper(1); }
static FAR int far_static(int a) { return a - 1; }
int main(int argc, char **argv)
{
    int x = far_add(argc, 4);
    x += far_add(x, 1);
    x += far_mul(x, 2);
    x += far_static(x);
    x += near_helper(2);
    say("x", x);
    return x & 0x7f;
}
"""
# far targets: far_add, far_mul, far_static (from .text); near_helper (from .far_text)
DISTINCT_FAR_TARGETS = 4
FAR_CALL_SITES = 7


@pytest.fixture(scope="module")
def objs(tmp_path_factory):
    tc.require(tc.QEMU[ARCH])
    cc = tc.compiler("gcc", ARCH)
    d = tmp_path_factory.mktemp("thunks")
    (d / "main.c").write_text(MAIN)
    flags = ["-O2", f"-I{COMMON}"]
    out = [cc.compile(d / "main.c", d / "main.o", flags)]
    out += [cc.compile(COMMON / n, d / (Path(n).stem + ".o"), flags) for n in ("start.c", "rt.c")]
    return d, out


def _link(d: Path, objs, name: str) -> Path:
    exe = d / name
    res = tc.xld_link(["--arch", ARCH, "-static", f"--section-start=.far_text={FAR}", "-o", exe, *objs])
    assert res.status == 0, res.stderr
    return exe


def _elf(exe: Path):
    from elftools.elf.elffile import ELFFile
    return ELFFile(io.BytesIO(exe.read_bytes()))


def _branches(exe: Path) -> list[tuple[int, int]]:
    """(address, target) of every B/BL in the executable sections."""
    import capstone
    md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    out = []
    for sec in _elf(exe).iter_sections():
        if sec["sh_flags"] & 4 and sec["sh_size"]:
            for insn in md.disasm(sec.data(), sec["sh_addr"]):
                if insn.mnemonic in ("b", "bl"):
                    out.append((insn.address, int(insn.op_str.lstrip("#"), 0)))
    return out


def test_far_calls_run_like_gnu_ld(objs):
    d, o = objs
    ours = _link(d, o, "xld.out")
    gnu = tc.gnu_ld(ARCH, o, d / "gnu.out", [f"--section-start=.far_text={FAR}"])
    a, b = tc.qemu_run(ARCH, ours, ["one"]), tc.qemu_run(ARCH, gnu, ["one"])
    assert (a.status, a.stdout) == (b.status, b.stdout), a.summary() + b.summary()
    assert a.stdout.startswith(b"x = ")
    text = _elf(ours).get_section_by_name(".far_text")
    assert text is not None and text["sh_addr"] == int(FAR, 16)


def test_thunks_are_shared_and_near_calls_stay_direct(objs):
    d, o = objs
    exe = _link(d, o, "count.out")
    syms = {s.name: s["st_value"] for s in _elf(exe).get_section_by_name(".symtab").iter_symbols()}
    thunks = {v: n for n, v in syms.items() if n.startswith(PREFIX)}
    assert len(thunks) == DISTINCT_FAR_TARGETS, sorted(thunks.values())
    via = [(a, t) for a, t in _branches(exe) if t in thunks]
    assert len(via) == FAR_CALL_SITES            # every far call, each through a thunk ...
    assert len({t for _, t in via}) == DISTINCT_FAR_TARGETS   # ... one thunk per target
    for a, t in via:
        assert abs(t - a) < 1 << 27               # within B/BL reach of its caller
    # main's call of near_helper stays a direct BL
    direct = [a for a, t in _branches(exe) if t == syms["near_helper"]]
    assert any(syms["main"] <= a < syms["main"] + 0x100 for a in direct)


def test_output_is_deterministic(objs):
    d, o = objs
    assert _link(d, o, "one.out").read_bytes() == _link(d, o, "two.out").read_bytes()


def test_riscv_jal_out_of_range_is_an_error(tmp_path):
    tc.require("riscv64-linux-gnu-gcc")
    src = """
    .text
    .globl _start
_start:
    jal far
    .section .text.pad, "ax", @progbits
    .space 0x180000
    .section .text.far, "ax", @progbits
far:
    ret
"""
    obj = tc.assemble("riscv64", src, tmp_path / "j.o")
    res = tc.xld_link(["--arch", "riscv64", "-static", "-o", tmp_path / "j.out", obj])
    assert res.status != 0
    assert "relocation R_RISCV_JAL out of range:" in res.stderr
    assert "is not in [-1048576, 1048575]; references 'far'" in res.stderr


def test_no_thunks_when_everything_is_near(objs):
    d, o = objs
    exe = d / "near.out"
    res = tc.xld_link(["--arch", ARCH, "-static", "-o", exe, *o])
    assert res.status == 0, res.stderr
    names = [s.name for s in _elf(exe).get_section_by_name(".symtab").iter_symbols()]
    assert not [n for n in names if n.startswith(PREFIX)]
    run = tc.qemu_run(ARCH, exe, ["one"])
    assert run.stdout.startswith(b"x = ")


# --- Cortex-A53 erratum 843419 ------------------------------------------------------------------

ERRATUM = r"""
    .text
    .globl _start
    .type _start, %function
_start:
    b t1
    .section .text.e1, "ax", %progbits
    .balign 4096
    .space 4096 - 8
t1:                                  // adrp at 0xff8, a load, a load through x0
    adrp x0, dat
    ldr x1, [sp]
site1:
    ldr x0, [x0, :lo12:dat]
    adrp x2, dat2
    b t2
    .space 4076
t2:                                  // adrp at 0xff8, a load, an add, a load through x3
    adrp x3, dat2
    ldr w4, [x2, :lo12:dat2]
    add x5, x4, #1
site2:
    ldr w6, [x3, :lo12:dat2]
    add x0, x0, x6
    mov x8, #93
    svc #0
    .data
    .p2align 3
dat: .dword 40
dat2: .word 2
"""


def _decode(exe: Path, addr: int, n: int = 1):
    import capstone
    md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    for sec in _elf(exe).iter_sections():
        if sec["sh_flags"] & 4 and sec["sh_addr"] <= addr < sec["sh_addr"] + sec["sh_size"]:
            return list(md.disasm(sec.data()[addr - sec["sh_addr"]:][:4 * n], addr))
    raise AssertionError(f"no code at {addr:#x}")


def test_erratum_843419_sequences_are_patched(tmp_path):
    tc.require(tc.QEMU[ARCH])
    obj = tc.assemble(ARCH, ERRATUM, tmp_path / "e.o")
    exe = tmp_path / "fixed"
    res = tc.xld_link(["--arch", ARCH, "-static", "--fix-cortex-a53-843419", "-o", exe, obj])
    assert res.status == 0, res.stderr
    syms = {s.name: s["st_value"] for s in _elf(exe).get_section_by_name(".symtab").iter_symbols()}
    assert syms["t1"] & 0xFFF == 0xFF8 and syms["t2"] & 0xFFF == 0xFF8
    for site, moved in (("site1", "ldr x0, [x0"), ("site2", "ldr w6, [x3")):
        b = _decode(exe, syms[site])[0]
        assert b.mnemonic == "b", (site, b.mnemonic)
        patch = int(b.op_str.lstrip("#"), 0)
        assert any(n.startswith("__CortexA53843419_") and v == patch for n, v in syms.items())
        ldst, back = _decode(exe, patch, 2)
        assert f"{ldst.mnemonic} {ldst.op_str}".startswith(moved)
        assert back.mnemonic == "b" and int(back.op_str.lstrip("#"), 0) == syms[site] + 4
    run = tc.qemu_run(ARCH, exe)
    assert run.status == 42, run.summary()
    gnu = tc.gnu_ld(ARCH, [obj], tmp_path / "gnu", ["--fix-cortex-a53-843419"])
    assert tc.qemu_run(ARCH, gnu).status == 42
    # without the option nothing moves; with it, twice the same bytes
    plain = tmp_path / "plain"
    assert tc.xld_link(["--arch", ARCH, "-static", "-o", plain, obj]).status == 0
    assert _decode(plain, syms["site1"])[0].mnemonic == "ldr"
    again = tmp_path / "again"
    assert tc.xld_link(["--arch", ARCH, "-static", "--fix-cortex-a53-843419", "-o", again, obj]).status == 0
    assert again.read_bytes() == exe.read_bytes()


ERRATUM_TOO = r"""
    .section .text.e2, "ax", %progbits
    .balign 4096
    .space 4096 - 8
    .globl t3
t3:                                  // a third sequence, in another file: a second host
    adrp x9, dat3
    str x1, [sp, #8]
site3:
    ldr x10, [x9, :lo12:dat3]
    ret
    .section .text.after, "ax", %progbits
    .balign 64
    ret
    .section .rodata
    .balign 32
    .quad 1, 2, 3
    .data
    .balign 128
dat3: .dword 7
    .section .tdata, "awT", %progbits
    .balign 16
    .word 5
    .bss
    .balign 256
    .space 300
"""


def _layout_of(ctx):
    return ([(o.name, o.addr, o.offset, o.size, o.align) for o in ctx.ordered], ctx.segments,
            ctx.file_end, ctx.tls_range, [f.sec_out.tolist() for f in ctx.files[1:]])


def test_erratum_843419_layout_after_patches_sizes_only_them(tmp_path, monkeypatch):
    """After a round of patches the scan lays out again sizing only the patches, in the
    output sections they went to (``layout.place``'s ``grown``; two files host patches
    here): every output section and input section gets what a full layout of the same state
    gives, and the output is the same bytes as with full layouts."""
    from xld.link import driver, layout, options
    objs = [tc.assemble(ARCH, ERRATUM, tmp_path / "e.o"), tc.assemble(ARCH, ERRATUM_TOO, tmp_path / "e2.o")]
    argv = ["--arch", ARCH, "-static", "--fix-cortex-a53-843419"]
    real, grown_layouts = layout.place, []

    def place(ctx, grown=None):
        if grown is None:
            return real(ctx)
        real(ctx, grown)
        got = _layout_of(ctx)
        real(ctx)
        assert _layout_of(ctx) == got
        grown_layouts.append(sorted(o.name for o in grown))
    monkeypatch.setattr(layout, "place", place)
    ctx = driver.link(options.parse([*argv, "-o", str(tmp_path / "a"), *map(str, objs)]))
    assert grown_layouts == [[".text"]] and len(ctx.erratum_843419) == 3
    monkeypatch.setattr(layout, "place", lambda ctx, grown=None: real(ctx))
    driver.link(options.parse([*argv, "-o", str(tmp_path / "b"), *map(str, objs)]))
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


PAGES_OF_CODE = """
    .section .text.more%d, "ax", %%progbits
    .globl more%d
more%d:
    .rept 3000
    nop
    .endr
    ret
"""


def test_erratum_843419_scan_gives_back_the_pages_it_read(tmp_path, monkeypatch):
    """The scan reads a byte a code page of every input (the kernel maps the 64 KiB around
    each into the process): it gives those pages back a few files at a time, every file it
    read, and the output is the same bytes as when it keeps them."""
    from xld.link import driver, options, thunks
    objs = [tc.assemble(ARCH, ERRATUM, tmp_path / "e.o")]
    objs += [tc.assemble(ARCH, PAGES_OF_CODE % (k, k, k), tmp_path / f"m{k}.o") for k in range(3)]
    argv = ["--arch", ARCH, "-static", "--fix-cortex-a53-843419"]
    from types import SimpleNamespace
    given = []
    real = thunks.pages.release_objects
    monkeypatch.setattr(thunks, "_RELEASE_FILES", 1)
    monkeypatch.setattr(thunks, "pages", SimpleNamespace(
        release_objects=lambda objs: (given.append([o.name for o in objs if o is not None]), real(objs))))
    driver.link(options.parse([*argv, "-o", str(tmp_path / "a"), *map(str, objs)]))
    assert len(given) >= 2 and {n for names in given for n in names} >= {str(p) for p in objs}
    monkeypatch.setattr(thunks, "pages", SimpleNamespace(release_objects=lambda objs: objs.clear()))
    driver.link(options.parse([*argv, "-o", str(tmp_path / "b"), *map(str, objs)]))
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


BIG = r"""
    .text
    .globl _start
_start:
    bl far_fn
    mov x8, #93
    svc #0
near_fn:
    mov x0, #41
    ret
    .section .text.pad1, "ax", %progbits
    .space 100 << 20
    .section .text.pad2, "ax", %progbits
    .space 36 << 20
    .section .text.far, "ax", %progbits
far_fn:
    stp x29, x30, [sp, #-16]!
    bl near_fn
    add x0, x0, #1
    ldp x29, x30, [sp], #16
    ret
"""


def test_thunks_inside_an_output_section_longer_than_the_reach(tmp_path):
    """136 MiB of .text: the call from its start gets a thunk after the first 100 MiB (the
    end would be out of reach), the call back from its end a thunk at the end."""
    tc.require(tc.QEMU[ARCH])
    obj = tc.assemble(ARCH, BIG, tmp_path / "big.o")
    exe = tmp_path / "big"
    res = tc.xld_link(["--arch", ARCH, "-static", "-o", exe, obj])
    assert res.status == 0, res.stderr
    elf = _elf(exe)
    syms = {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()}
    thunks = sorted(v for n, v in syms.items() if n.startswith(PREFIX))
    assert len(thunks) == 2
    assert thunks[0] - syms["_start"] < 1 << 27 and syms["far_fn"] - thunks[0] > 1 << 20
    assert thunks[1] > syms["far_fn"]
    run = tc.qemu_run(ARCH, exe)
    assert run.status == 42, run.summary()
    obj.unlink()                # 136 MiB each: do not keep them around
    exe.unlink()


def test_erratum_843419_candidates_match_a_full_scan():
    """The finder computes which words sit at page offsets 0xff8/0xffc instead of reading all
    code: on sections of every size and alignment it finds what a word-by-word scan finds
    (sections read from their files, where the ADRP byte is looked at first, and sections
    whose contents were rewritten)."""
    import random
    from types import SimpleNamespace
    import numpy as np
    from xld.arch.arm64 import ARCH as A64
    from xld.link import elf, thunks

    spec = A64.hooks["erratum_843419"]
    seq = [0x90000000 | 3, 0xF94003E4, 0xF9400066]      # adrp x3; ldr x4, [sp]; ldr x6, [x3]
    rng = random.Random(843419)
    secs, addr = [], 0x400000
    for _ in range(60):
        addr += rng.choice([0, 1, 2, 4, 8, 2048, 4088, 4092])
        n = rng.choice([1, 2, 3, 4, 5, 700, 1024, 1500, 3000])
        words = [rng.choice([0xD503201F, 0x90000000 | rng.randrange(32)]) for _ in range(n)]
        for k in range(n):                                 # sequences near page ends, some cut short
            if (addr + 4 * k) & 0xFFF >= 0xFF0 and rng.random() < 0.5:
                words[k:k + 3] = seq[:n - k]
        data = np.array(words[:n], dtype="<u4").tobytes() + bytes(rng.randrange(4))
        head = bytes(rng.randrange(1, 9))                   # the section's offset in its file
        rewritten = rng.random() < 0.3
        obj = SimpleNamespace(section_content=lambda i, d=data: d, sec_addr=np.array([addr]), inflated={},
                              buf=memoryview(head + (bytes(len(data)) if rewritten else data)),
                              content_override={0: data} if rewritten else {}, head=len(head))
        secs.append((obj, data, addr))
        addr += len(data)
    out = SimpleNamespace(alloc=True, flags=elf.SHF_ALLOC | elf.SHF_EXECINSTR, inputs=[(o, 0) for o, _, _ in secs])
    ctx = SimpleNamespace(ordered=[out], files=[None] + [o for o, _, _ in secs])
    expect = []
    for obj, data, a in secs:
        w = np.frombuffer(data[:len(data) // 4 * 4], dtype="<u4").tolist()
        for k in range(len(w)):
            if (a + 4 * k) & 0xFFF >= 0xFF8 and len(w[k:k + 4]) >= 3:
                j = spec["find"](w[k:k + 4])
                if j is not None:
                    expect.append((obj, 4 * (k + j)))

    def columns(ctx, code):         # the sections' columns, from the contents themselves
        secs = [inp for o in code for inp in o.inputs]
        datas = [obj.section_content(i) for obj, i in secs]
        addr = np.array([int(obj.sec_addr[i]) for obj, i in secs], dtype=np.int64)
        n = len(secs)
        return addr, np.array([len(d) for d in datas], dtype=np.int64), np.arange(1, n + 1) << 32, \
            np.array([obj.head for obj, _ in secs], dtype=np.int64)
    orig = thunks._code_ranges, thunks._code_columns
    thunks._code_ranges = lambda obj, i: (lambda off: True)
    thunks._code_columns = columns
    try:
        found, prev = thunks._find_843419(ctx, spec)
        # a later round looks again only at sections that moved, are new or were patched
        last, last_addr, hosts = prev
        none = np.zeros(0, dtype=np.int64)
        unmoved = thunks._find_843419(ctx, spec, (last, last_addr, none))[0]
        moved = thunks._find_843419(ctx, spec, (last, last_addr + 4096, none))[0]
        one = int(hosts[0])
        patched = thunks._find_843419(ctx, spec, (last, last_addr, np.array([one])))[0]
    finally:
        thunks._code_ranges, thunks._code_columns = orig
    got = [(obj, off) for obj, _, off, _ in found]
    assert expect and got == expect
    assert unmoved == [] and moved == found
    assert patched and patched == [f for f in found if f[0] is secs[(one >> 32) - 1][0]]


@pytest.mark.parametrize("where", ["adrp", "br"])
def test_verify_checks_thunks(objs, monkeypatch, where):
    """--verify: a thunk's ADRP is a relocation against the far target; its BR must be the
    thunk code.  (RISC-V has no thunks.)"""
    import numpy as np
    from xld.link import verify
    d, o = objs
    real = verify.run

    def corrupt_then_verify(ctx):
        name = next(n for n, _, _ in ctx.thunks if n.endswith("far_add"))
        out = ctx.outputs[".text"]
        pos = out.offset + int(ctx.gaddr[ctx.symtab.ids[name]]) - out.addr
        ctx.out_bytes[pos + (0 if where == "adrp" else 8)] ^= np.uint8(0x20)
        real(ctx)
    monkeypatch.setattr(verify, "run", corrupt_then_verify)
    exe = d / f"bad-{where}"
    res = tc.xld_link(["--arch", ARCH, "-static", "--verify", f"--section-start=.far_text={FAR}",
                       "-o", exe, *o])
    assert res.status == 1 and not exe.exists(), res.stderr
    if where == "adrp":
        assert "R_AARCH64_ADR_PREL_PG_HI21 against far_add" in res.stderr, res.stderr
    else:
        assert f"thunk {PREFIX}far_add in .text" in res.stderr and "+0x8" in res.stderr, res.stderr


# --- calls to PLT entries out of reach, in a PIE and in a shared library ------------------------
#
# ``.far_text`` 320 MiB above everything else: its calls of printf (imported) and of exported
# (interposable in a library: called through its PLT entry) go through thunks to the PLT
# entries, PC-relative (ADRP+ADD+BR), as GNU ld's veneers do; the program runs like GNU ld's.

PLT_LIB = r"""
#include <stdio.h>
#define FAR __attribute__((section(".far_text"), noinline))
int exported(int x) { return x * 2; }
FAR int far_fn(int x) { printf("far %d\n", x); return exported(x) + 1; }
int lib_entry(int x) { return far_fn(x) + exported(3); }
"""
PLT_MAIN = r"""
#include <stdio.h>
int lib_entry(int);
int main(int argc, char **argv) { int r = lib_entry(argc); printf("r=%d\n", r); return r; }
"""


def _gcc(d: Path, args, use_xld: bool):
    import subprocess
    cmd = [f"{tc.TRIPLE[ARCH]}-gcc", "-O2", *map(str, args)]
    if use_xld:
        cmd += ["-B", str(tc.ld_wrapper_dir(d))]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=d)
    assert p.returncode == 0, f"{' '.join(cmd)}\n{p.stderr}"


@pytest.mark.parametrize("mode", ["pie", "shared"])
def test_far_calls_of_plt_entries_go_through_pic_thunks(tmp_path, mode):
    tc.require(tc.QEMU[ARCH])
    far = f"-Wl,--section-start=.far_text={FAR}"
    runs = []
    for use_xld in (False, True):
        d = tmp_path / ("xld" if use_xld else "gnu")
        d.mkdir()
        (d / "lib.c").write_text(PLT_LIB)
        (d / "main.c").write_text(PLT_MAIN)
        if mode == "pie":
            _gcc(d, ["-fPIE", "-pie", "lib.c", "main.c", far, "-o", "prog"], use_xld)
            far_obj = d / "prog"
        else:
            _gcc(d, ["-fPIC", "-shared", "lib.c", far, "-o", "libf.so"], use_xld)
            _gcc(d, ["main.c", "-L.", "-lf", "-Wl,-rpath,$ORIGIN", "-o", "prog"], use_xld)
            far_obj = d / "libf.so"
        runs.append(tc.qemu_run(ARCH, d / "prog", ["x"], sysroot=f"/usr/{tc.TRIPLE[ARCH]}"))
    gnu, ours = runs
    assert (ours.status, ours.stdout) == (gnu.status, gnu.stdout), ours.summary() + gnu.summary()
    assert gnu.stdout == b"far 2\nr=11\n" and gnu.status == 11
    if mode == "pie":
        e = tc.xld_run(far_obj, ["x"])
        assert (e.status, e.stdout) == (gnu.status, gnu.stdout), e.summary()
    # the thunks: ADRP x16 / ADD x16 / BR x16 to the PLT entries, no dynamic relocation for them
    elf = _elf(far_obj)
    syms = {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()}
    thunks = {n: v for n, v in syms.items() if n.startswith(PREFIX)}
    plt = elf.get_section_by_name(".plt")
    lo, hi = plt["sh_addr"], plt["sh_addr"] + plt["sh_size"]
    want = {"printf"} | ({"exported"} if mode == "shared" else set())
    assert want <= {n[len(PREFIX):] for n in thunks}, sorted(thunks)
    for name in want:
        adrp, add, br = _decode(far_obj, thunks[PREFIX + name], 3)
        assert (adrp.mnemonic, add.mnemonic, br.mnemonic) == ("adrp", "add", "br")
        page = int(adrp.op_str.split("#")[-1], 0)
        target = page + int(add.op_str.split("#")[-1], 0)
        assert lo <= target < hi, (name, hex(target))


# --- a target beyond ADRP's +-4 GiB: the long thunk ---------------------------------------------
#
# (found by tests/test_random_relocs.py seed 630, arm64 -shared: a bl 250 GB away; GNU ld links
# it through a PC-relative literal veneer, xld refused the ADRP in its thunk)

FAR_SCRIPT = """ENTRY(_start)
SECTIONS {
  . = 0x400000;
  .text : { *(.text .text.*) }
  .rodata : { *(.rodata .rodata.*) }
  .data : { *(.data .data.*) }
  .bss : { *(.bss .bss.*) *(COMMON) }
  .far_text 0x400000000 : { *(.far_text) }
}
"""
FAR_MAIN = r"""
#include "rt.h"
#define FAR __attribute__((section(".far_text"), noinline))
__attribute__((noinline)) int near_helper(int x) { return x * 3; }
FAR int far_add(int a, int b) { return near_helper(a) + b; }
int main(int argc, char **argv) { int x = far_add(argc, 4); say("x", x); return x & 0x7f; }
"""


def test_calls_beyond_4gib_go_through_long_thunks(tmp_path):
    """``.far_text`` 16 GiB above the rest: both calls go through a thunk whose literal holds
    the distance (ldr, adr, add, br), and the program runs like GNU ld's."""
    tc.require(tc.QEMU[ARCH])
    cc = tc.compiler("gcc", ARCH)
    (tmp_path / "main.c").write_text(FAR_MAIN)
    (tmp_path / "far.ld").write_text(FAR_SCRIPT)
    flags = ["-O2", f"-I{COMMON}", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"]
    o = [cc.compile(tmp_path / "main.c", tmp_path / "main.o", flags)]
    o += [cc.compile(COMMON / n, tmp_path / (Path(n).stem + ".o"), flags) for n in ("start.c", "rt.c")]
    exe = tmp_path / "xld.out"
    res = tc.xld_link(["--arch", ARCH, "-static", "--verify", "-T", tmp_path / "far.ld", "-o", exe, *o])
    assert res.status == 0, res.stderr
    gnu = tc.gnu_ld(ARCH, o, tmp_path / "gnu.out", ["-T", str(tmp_path / "far.ld")])
    a, b = tc.qemu_run(ARCH, exe, ["one"]), tc.qemu_run(ARCH, gnu, ["one"])
    assert (a.status, a.stdout) == (b.status, b.stdout) == (10, b"x = 10\n"), a.summary() + b.summary()
    syms = {s.name: s["st_value"] for s in _elf(exe).get_section_by_name(".symtab").iter_symbols()}
    long = {n: v for n, v in syms.items() if n.startswith("__AArch64LongThunk_")}
    assert sorted(long) == ["__AArch64LongThunk_far_add", "__AArch64LongThunk_near_helper"]
    for a, t in _branches(exe):
        assert abs(t - a) < 1 << 27
