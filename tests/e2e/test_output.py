"""What xld writes, looked at with independent readers (pyelftools, GNU readelf/nm), and the
link options that change it (-s, -S, -e, --gc-sections).

The programs are the end-to-end ones (tests/e2e/progs), built once per session.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests import toolchain as tc
from tests.e2e.builds import ARGS, MATRIX, PROGRAMS

PF_X, PF_W, PF_R = 1, 2, 4
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR, SHF_TLS = 0x1, 0x2, 0x4, 0x400

ARCHES = pytest.mark.parametrize("arch", tc.ARCHES)
EACH_PROGRAM = pytest.mark.parametrize("prog", PROGRAMS)


def elf_of(path: Path):
    f = open(path, "rb")
    return ELFFile(f), f


def symbols(elf) -> dict[str, int]:
    tab = elf.get_section_by_name(".symtab")
    return {s.name: s["st_value"] for s in tab.iter_symbols() if s.name} if tab else {}


@EACH_PROGRAM
@ARCHES
def test_executable_is_well_formed(prog, arch, build_cache):
    """ET_EXEC for the right machine, entry at _start, loadable segments that are congruent,
    ordered, never writable and executable at once, and that hold every allocated section."""
    b = build_cache(prog, arch, "gcc", "O2")
    assert b.xld is not None, b.link_error
    elf, f = elf_of(b.xld)
    with f:
        assert elf["e_type"] == "ET_EXEC"
        assert elf["e_machine"] == ("EM_AARCH64" if arch == "arm64" else "EM_RISCV")
        assert elf["e_entry"] == symbols(elf)["_start"]
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        assert loads
        prev_end = 0
        for seg in loads:
            flags = seg["p_flags"]
            assert not (flags & PF_W and flags & PF_X), "W+X segment"
            align = seg["p_align"]
            assert align >= 4096 and seg["p_vaddr"] % align == seg["p_offset"] % align
            assert seg["p_filesz"] <= seg["p_memsz"]
            assert seg["p_vaddr"] >= prev_end, "PT_LOAD segments overlap or are unordered"
            prev_end = seg["p_vaddr"] + seg["p_memsz"]
        size = b.xld.stat().st_size
        for sec in elf.iter_sections():
            if not sec["sh_flags"] & SHF_ALLOC or sec["sh_size"] == 0:
                continue
            lo, hi = sec["sh_addr"], sec["sh_addr"] + sec["sh_size"]
            if sec["sh_flags"] & SHF_TLS and sec["sh_type"] == "SHT_NOBITS":
                continue          # .tbss occupies no address space of its own
            home = [s for s in loads if s["p_vaddr"] <= lo and hi <= s["p_vaddr"] + s["p_memsz"]]
            assert home, f"{sec.name} [{lo:#x}, {hi:#x}) is in no PT_LOAD"
            seg = home[0]
            if sec["sh_flags"] & SHF_EXECINSTR:
                assert seg["p_flags"] & PF_X, f"{sec.name} not in an executable segment"
            if sec["sh_flags"] & SHF_WRITE:
                assert seg["p_flags"] & PF_W, f"{sec.name} not in a writable segment"
            if sec["sh_type"] != "SHT_NOBITS":
                assert sec["sh_offset"] + sec["sh_size"] <= size
                assert sec["sh_offset"] - seg["p_offset"] == lo - seg["p_vaddr"], (
                    f"{sec.name}: file offset and address disagree")


@EACH_PROGRAM
@ARCHES
def test_readelf_and_objdump_accept_the_output(prog, arch, build_cache):
    b = build_cache(prog, arch, "gcc", "O2")
    assert b.xld is not None, b.link_error
    readelf = tc.require(f"{tc.TRIPLE[arch]}-readelf")
    p = subprocess.run([readelf, "-aW", str(b.xld)], capture_output=True, text=True)
    assert p.returncode == 0 and not p.stderr.strip(), p.stderr
    objdump = tc.require(f"{tc.TRIPLE[arch]}-objdump")
    p = subprocess.run([objdump, "-d", str(b.xld)], capture_output=True, text=True)
    assert p.returncode == 0 and "<main>:" in p.stdout and not p.stderr.strip(), p.stderr


@EACH_PROGRAM
@ARCHES
def test_linker_defined_symbols(prog, arch, build_cache):
    """_end, __bss_start (and __global_pointer$ on riscv64) where GNU ld puts them relative to
    the sections: _end past every allocated section, __bss_start at or before .bss. Like lld,
    xld may define _end and __bss_start only when something refers to them (ctors does)."""
    b = build_cache(prog, arch, "gcc", "O2")
    assert b.xld is not None, b.link_error
    elf, f = elf_of(b.xld)
    with f:
        syms = symbols(elf)
        alloc = [s for s in elf.iter_sections() if s["sh_flags"] & SHF_ALLOC
                 and not (s["sh_flags"] & SHF_TLS and s["sh_type"] == "SHT_NOBITS")]
        top = max(s["sh_addr"] + s["sh_size"] for s in alloc)
        if prog == "ctors":
            assert "_end" in syms and "__bss_start" in syms
        if "_end" in syms:
            assert syms["_end"] >= top
        bss = elf.get_section_by_name(".bss")
        if bss is not None and bss["sh_size"] and "__bss_start" in syms:
            assert syms["__bss_start"] <= bss["sh_addr"]
        if arch == "riscv64":
            assert "__global_pointer$" in syms


@ARCHES
def test_output_is_deterministic(arch, build_cache, tmp_path):
    b = build_cache("tables", arch, "gcc", "O2")
    out = tmp_path / "again"
    res = tc.xld_link(["--arch", arch, "-static", "-o", out, *b.inputs])
    assert res.status == 0, res.stderr
    assert out.read_bytes() == b.xld.read_bytes()


@ARCHES
def test_strip_all(arch, build_cache, tmp_path):
    b = build_cache("switch", arch, "gcc", "O2")
    out = tmp_path / "stripped"
    res = tc.xld_link(["--arch", arch, "-static", "-s", "-o", out, *b.inputs])
    assert res.status == 0, res.stderr
    elf, f = elf_of(out)
    with f:
        assert elf.get_section_by_name(".symtab") is None
        assert elf.get_section_by_name(".strtab") is None
    assert out.stat().st_size < b.xld.stat().st_size
    ref = b.run("gnu", "qemu")
    got = tc.qemu_run(arch, out, ARGS)
    assert (got.status, got.stdout) == (ref.status, ref.stdout)


@ARCHES
def test_strip_debug(arch, tmp_path):
    cc = tc.compiler("gcc", arch)
    progs = Path(__file__).parent / "progs"
    sources = sorted((progs / "common").glob("*.c")) + sorted((progs / "recursion").glob("*.c"))
    objs = cc.compile_many(sources, tmp_path / "obj", ["-O1", "-g"])
    full, stripped = tmp_path / "full", tmp_path / "nodebug"
    for out, extra in ((full, []), (stripped, ["-S"])):
        res = tc.xld_link(["--arch", arch, "-static", *extra, "-o", out, *objs])
        assert res.status == 0, res.stderr
    def debug_sections(path):
        elf, f = elf_of(path)
        with f:
            return {s.name for s in elf.iter_sections() if s.name.startswith(".debug")}
    assert ".debug_info" in debug_sections(full), "debug sections are dropped without -S"
    assert not debug_sections(stripped)
    elf, f = elf_of(stripped)
    with f:
        assert elf.get_section_by_name(".symtab") is not None, "-S must keep the symbol table"
    gnu = tc.gnu_ld(arch, objs, tmp_path / "gnu")
    ref = tc.qemu_run(arch, gnu, ARGS)
    for exe in (full, stripped):
        got = tc.qemu_run(arch, exe, ARGS)
        assert (got.status, got.stdout) == (ref.status, ref.stdout)


ENTRY = {
    "arm64": ".text\n.globl _start\n_start:\n  mov x0, #1\n  mov x8, #93\n  svc #0\n"
             ".globl other\nother:\n  mov x0, #7\n  mov x8, #93\n  svc #0\n",
    "riscv64": ".text\n.globl _start\n_start:\n  li a0, 1\n  li a7, 93\n  ecall\n"
               ".globl other\nother:\n  li a0, 7\n  li a7, 93\n  ecall\n",
}


@ARCHES
def test_entry_option(arch, tmp_path):
    obj = tc.assemble(arch, ENTRY[arch], tmp_path / "entry.o")
    for entry, status in ((None, 1), ("other", 7)):
        out = tmp_path / f"prog-{entry}"
        extra = ["-e", entry] if entry else []
        res = tc.xld_link(["--arch", arch, *extra, "-o", out, obj])
        assert res.status == 0, res.stderr
        assert tc.qemu_run(arch, out).status == status
        assert tc.xld_run(out).status == status


GC_BUILDS = [pytest.param(p, a, cc, id=f"{p}-{a}-{cc}")
             for p in PROGRAMS for (cc, a), modes in MATRIX.items() if "gc" in modes
             if cc == "gcc"]


@pytest.mark.parametrize("prog,arch,cc", GC_BUILDS)
def test_gc_sections_keeps_the_same_functions_as_gnu_ld(prog, arch, cc, build_cache):
    """--gc-sections from the same roots: the functions that survive are GNU ld's."""
    b = build_cache(prog, arch, cc, "gc")
    assert b.xld is not None, b.link_error

    def functions(path):
        elf, f = elf_of(path)
        with f:
            tab = elf.get_section_by_name(".symtab")
            return {s.name for s in tab.iter_symbols()
                    if s["st_info"]["type"] == "STT_FUNC" and s["st_shndx"] != "SHN_UNDEF"}
    kept, ref = functions(b.xld), functions(b.gnu)
    assert kept == ref, f"only xld: {sorted(kept - ref)}; only GNU ld: {sorted(ref - kept)}"
    every = set()
    for o in b.objs:
        every |= functions(o)
    if prog == "tables":
        assert every - kept, "nothing was collected"


def test_arm64_far_call_goes_through_a_thunk(tmp_path):
    """bl to a symbol 4 GiB away: out of CALL26's +-128 MiB, so the call must reach a thunk
    that builds the full address (like GNU ld's long-branch stub) instead of failing."""
    import capstone
    arch = "arm64"
    absolute = tc.assemble(arch, ".globl far\n.set far, 0x100000000\n", tmp_path / "abs.o")
    code = tc.assemble(arch, ".text\n.globl _start\n_start:\n  bl far\n  ret\n",
                       tmp_path / "far.o")
    out = tmp_path / "far"
    res = tc.xld_link(["--arch", arch, "-o", out, code, absolute])
    assert res.status == 0, res.stderr
    elf, f = elf_of(out)
    with f:
        text = elf.get_section_by_name(".text")
        md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
        base = text["sh_addr"]
        insns = {i.address: i for i in md.disasm(text.data(), base)}
        # follow the bl from _start through the thunk, evaluating adrp/add/movz/movk on x16/x17
        start = symbols(elf)["_start"]
        bl = insns[start]
        assert bl.mnemonic == "bl"
        pc = int(bl.op_str.lstrip("#"), 0)
        regs = {}
        for _ in range(8):
            i = insns[pc]
            ops = [o.strip().lstrip("#") for o in i.op_str.split(",")]
            if i.mnemonic == "adrp":
                regs[ops[0]] = int(ops[1], 0)
            elif i.mnemonic == "add" and ops[1] in regs:
                regs[ops[0]] = regs[ops[1]] + int(ops[2], 0)
            elif i.mnemonic in ("mov", "movz"):
                regs[ops[0]] = int(ops[1], 0)
            elif i.mnemonic == "movk":
                shift = int(ops[2].split()[-1], 0) if len(ops) > 2 else 0
                regs[ops[0]] = (regs[ops[0]] & ~(0xFFFF << shift)) | (int(ops[1], 0) << shift)
            elif i.mnemonic == "br":
                assert regs.get(i.op_str) == 0x100000000, (i.op_str, regs)
                break
            pc += 4
        else:
            raise AssertionError("no br at the end of the thunk")


@ARCHES
def test_object_without_relocations(arch, tmp_path):
    """The smallest program: one object, no relocations at all."""
    src = ENTRY[arch].split(".globl other")[0]
    obj = tc.assemble(arch, src, tmp_path / "tiny.o")
    out = tmp_path / "tiny"
    res = tc.xld_link(["--arch", arch, "-o", out, obj])
    assert res.status == 0, res.stderr
    assert tc.qemu_run(arch, out).status == 1


DEBUG_BUILDS = [pytest.param(p, a, cc, id=f"{p}-{a}-{cc}")
                for p in ("recursion", "switch", "tables")
                for (cc, a), modes in MATRIX.items() if "debug" in modes]


def _line_of_each_function(arch: str, exe: Path) -> dict[str, str]:
    """function -> "file:line" of its first instruction, through the DWARF line table."""
    elf, f = elf_of(exe)
    with f:
        tab = elf.get_section_by_name(".symtab")
        funcs = {s.name: s["st_value"] for s in tab.iter_symbols()
                 if s["st_info"]["type"] == "STT_FUNC" and s["st_shndx"] != "SHN_UNDEF"}
    names = sorted(funcs)
    a2l = tc.require(f"{tc.TRIPLE[arch]}-addr2line")
    p = subprocess.run([a2l, "-f", "-e", str(exe), *(hex(funcs[n]) for n in names)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    return {n: f"{lines[2 * i]} {Path(lines[2 * i + 1]).name}" for i, n in enumerate(names)}


@pytest.mark.parametrize("prog,arch,cc", DEBUG_BUILDS)
def test_debug_info_matches_gnu_ld(prog, arch, cc, build_cache):
    """DWARF survives the link: readelf decodes it without complaint, and every function's
    first address maps back to the same function and source line as in GNU ld's output."""
    b = build_cache(prog, arch, cc, "debug")
    assert b.xld is not None, b.link_error
    readelf = tc.require(f"{tc.TRIPLE[arch]}-readelf")
    p = subprocess.run([readelf, "--debug-dump=info,line,frames", str(b.xld)],
                       capture_output=True, text=True)
    assert p.returncode == 0
    complaints = [ln for ln in (p.stderr + p.stdout).splitlines() if "arning" in ln]
    assert not complaints, "\n".join(complaints[:10])
    assert _line_of_each_function(arch, b.xld) == _line_of_each_function(arch, b.gnu)


@EACH_PROGRAM
@ARCHES
def test_xld_nm_and_objdump_read_the_output_like_binutils(prog, arch, build_cache):
    """xld's own tools on xld's output: nm lines, section headers and the instruction stream
    (addresses and encodings) equal GNU binutils' reading of the same file."""
    import contextlib
    import io
    import re

    from xld.tools import nm, objdump
    b = build_cache(prog, arch, "gcc", "O2")
    assert b.xld is not None, b.link_error

    def ours(fn, argv):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert fn(argv) == 0
        return out.getvalue()

    def theirs(tool, argv):
        p = subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-{tool}"), *argv],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        return p.stdout

    exe = str(b.xld)
    assert ours(nm.main, ["-n", exe]) == theirs("nm", ["-n", exe])
    assert ours(objdump.main, ["-h", exe]) == theirs("objdump", ["-h", exe])
    insn = re.compile(r"^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*\t", re.M)
    mine = insn.findall(ours(objdump.main, ["-d", exe]))
    gnu = insn.findall(theirs("objdump", ["-d", exe]))
    assert [(a, e.replace(" ", "")) for a, e in mine] == [(a, e.replace(" ", "")) for a, e in gnu]
