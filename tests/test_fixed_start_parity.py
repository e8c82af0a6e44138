"""Sections fixed by --section-start (-Ttext, -Tdata, -Tbss) where GNU ld's placement has a
rule of its own (docs/options.md, "Fixed starts as GNU ld gives them"): an address below the
alignment the section's inputs ask for, and an empty section fixed over the headers.  The
oracle is GNU ld on the same gcc objects: the section headers and the symbols in the fixed
section must be GNU ld's, and both programs must print the same under qemu-user (xld's also
under ``xld run``)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests import toolchain as tc

pytestmark = tc.cross_and_qemu()

# .bss: crtbegin's 1-byte `completed.0' first, then 8-, 2- and 32-byte aligned variables
BSS = r"""
#include <stdio.h>
#include <stdint.h>
char c1;
long l8;
short s2;
int d = 1234;
__attribute__((aligned(32))) char big[40];
int main(int argc, char **argv) {
    c1 = argc; l8 = 2; s2 = 3; big[39] = 4;
    printf("%d %ld %d %d %d align %d %d %d\n", d, l8, c1, s2, big[39],
           (int)((uintptr_t)&l8 % 8), (int)((uintptr_t)&s2 % 2), (int)((uintptr_t)big % 32));
    return 0;
}
"""


def _section(path: Path, name: str) -> tuple[int, int, int] | None:
    with open(path, "rb") as f:
        s = ELFFile(f).get_section_by_name(name)
        return None if s is None else (s["sh_addr"], s["sh_size"], s["sh_addralign"])


def _symbols_in(path: Path, name: str) -> dict[str, int]:
    """name -> value of the symbols defined in section ``name`` (locals too)."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        idx = next(i for i, s in enumerate(elf.iter_sections()) if s.name == name)
        return {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()
                if s["st_shndx"] == idx and s.name}


def _both(arch: str, tmp_path: Path, source: str, flags: list[str]) -> tuple[Path, Path]:
    """The program linked by GNU ld and by xld (gcc -B) from one object."""
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    (tmp_path / "p.c").write_text(source)
    subprocess.run([cc, "-O1", "-fPIE", "-c", "p.c"], cwd=tmp_path, check=True)
    outs = []
    for who, use in (("gnu", []), ("xld", ["-B", str(tc.ld_wrapper_dir(tmp_path))])):
        p = subprocess.run([cc, *use, *flags, "p.o", "-o", who], cwd=tmp_path, capture_output=True, text=True)
        assert p.returncode == 0, (who, p.stderr)
        outs.append(tmp_path / who)
    return outs[0], outs[1]


def _same_symbols(gnu: dict[str, int], xld: dict[str, int], must: set[str]) -> None:
    """The symbols both outputs define there at the same addresses (xld leaves the linker's
    names nothing refers to, _end and the like, undefined), ``must`` among them."""
    assert must <= set(gnu) & set(xld), (sorted(gnu), sorted(xld))
    assert {n: hex(gnu[n]) for n in set(gnu) & set(xld)} == {n: hex(xld[n]) for n in set(gnu) & set(xld)}


@pytest.mark.parametrize("flags", [
    ["-pie", "-Wl,--section-start=.data=0x3f2000", "-Wl,-Tbss=0x3f2345", "-Wl,-z,max-page-size=4096"],
    ["-pie", "-Wl,-Tdata=0x3f2005", "-Wl,-Tbss=0x3f3001", "-Wl,-z,max-page-size=4096"]])
@pytest.mark.parametrize("arch", tc.ARCHES)
def test_fixed_start_below_the_inputs_alignment_is_kept(arch, flags, tmp_path):
    """-Tbss=0x3f2345: GNU ld starts .bss there (sh_addralign 1, what the address allows) and
    aligns its inputs within it: crtbegin's 1-byte completed.0 at 0x3f2345, the 32-byte
    aligned .bss of the program at 0x3f2360.  xld aligned the section's start up to its
    largest input alignment (.bss at 0x3f2348 or 0x3f2360, completed.0 with it)."""
    gnu, xld = _both(arch, tmp_path, BSS, flags)
    for name in (".data", ".bss"):
        g, x = _section(gnu, name), _section(xld, name)
        assert x == g, (name, [hex(v) for v in g], [hex(v) for v in x])
    _same_symbols(_symbols_in(gnu, ".bss"), _symbols_in(xld, ".bss"), {"completed.0", "c1", "l8", "s2", "big"})
    _same_symbols(_symbols_in(gnu, ".data"), _symbols_in(xld, ".data"), {"d"})
    said = b"1234 2 1 3 4 align 0 0 0\n"
    for prog in (gnu, xld):
        r = tc.qemu_run(arch, prog, sysroot=f"/usr/{tc.TRIPLE[arch]}")
        assert (r.status, r.stdout) == (0, said), r.summary()
    r = subprocess.run([*tc.xld_command(), "run", "--sysroot", f"/usr/{tc.TRIPLE[arch]}", str(xld)],
                       capture_output=True)
    assert (r.returncode, r.stdout) == (0, said), r.stderr


EMPTY = r"""
#include <stdio.h>
__asm__(".section .empty,\"a\"\n.globl empty_lbl\nempty_lbl:\n.previous");
extern char empty_lbl[];
int main(void) { printf("hello %lx\n", (unsigned long)empty_lbl); return 0; }
"""


def _loads(path: Path) -> list[tuple[int, int, int, int]]:
    with open(path, "rb") as f:
        return [(s["p_vaddr"], s["p_offset"], s["p_filesz"], s["p_memsz"]) for s in ELFFile(f).iter_segments()
                if s["p_type"] == "PT_LOAD"]


def _value(path: Path, name: str) -> int:
    with open(path, "rb") as f:
        return next(s["st_value"] for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols() if s.name == name)


@pytest.mark.parametrize("where", ["over-the-headers", "far-above"])
@pytest.mark.parametrize("arch", tc.ARCHES)
def test_empty_fixed_section_moves_nothing(arch, where, tmp_path):
    """--section-start=.empty=ADDR for a section of no bytes (a label alone): GNU ld discards
    the section, and its address moves nothing: the headers and the other sections stay,
    empty_lbl is ADDR.  Over the headers at the image base (0x400040, riscv64 0x10040) xld
    refused the link ('section .eh_frame ... overlaps with .note.gnu.build-id': the
    sections after it followed it there); far above, it started a PT_LOAD of no bytes there
    and the sections after it followed it.  Now the PT_LOADs are those of the link without
    the option, empty_lbl is where GNU ld puts it, and both programs say so."""
    base = 0x400000 if arch == "arm64" else 0x10000
    addr = base + (0x40 if where == "over-the-headers" else 0x800000)
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    (tmp_path / "p.c").write_text(EMPTY)
    subprocess.run([cc, "-O1", "-c", "p.c"], cwd=tmp_path, check=True)
    wrapper = ["-B", str(tc.ld_wrapper_dir(tmp_path))]
    for who, use, fixed in (("gnu", [], True), ("xld", wrapper, True), ("plain", wrapper, False)):
        flags = [f"-Wl,--section-start=.empty={addr:#x}"] if fixed else []
        p = subprocess.run([cc, *use, "-static", *flags, "p.o", "-o", who], cwd=tmp_path,
                           capture_output=True, text=True)
        assert p.returncode == 0, (who, p.stderr)
    assert _value(tmp_path / "xld", "empty_lbl") == _value(tmp_path / "gnu", "empty_lbl") == addr
    assert _loads(tmp_path / "xld") == _loads(tmp_path / "plain")
    assert _loads(tmp_path / "xld")[0][0] == _loads(tmp_path / "gnu")[0][0] == base
    said = f"hello {addr:x}\n".encode()
    for prog in ("gnu", "xld"):
        r = tc.qemu_run(arch, tmp_path / prog)
        assert (r.status, r.stdout) == (0, said), r.summary()
    r = tc.xld_run(tmp_path / "xld")
    assert (r.status, r.stdout) == (0, said), r.summary()


ARRAYS = r"""
#include <stdio.h>
static int order[8], n;
static void a(void) { order[n++] = 1; }
static void b(void) { order[n++] = 2; }
__attribute__((section(".init_array"), used)) static void (*inits[])(void) = {a, b};
__attribute__((section("reg"), used)) static const long regs[] = {11, 22, 33};
extern const long __start_reg[], __stop_reg[];
int main(void) {
    long sum = 0;
    for (const long *p = __start_reg; p < __stop_reg; p++) sum += *p;
    printf("init %d %d %d reg %ld %d\n", n, order[0], order[1], sum, (int)(__stop_reg - __start_reg));
    return 0;
}
"""


@pytest.mark.parametrize("section", [".init_array", "reg"])
@pytest.mark.parametrize("arch", tc.ARCHES)
def test_array_section_fixed_below_its_alignment_is_aligned_up(arch, section, tmp_path):
    """A section read as an array from its start (.init_array through DT_INIT_ARRAY or
    __init_array_start; a section named as a C identifier through __start_NAME) fixed at an
    odd address: GNU ld starts it there and its program reads a misaligned array (crashes,
    or sums the wrong words); xld starts it at the next aligned address, where its first
    pointer is.  With the rule for other sections (start as given), xld's program crashed."""
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    (tmp_path / "p.c").write_text(ARRAYS)
    subprocess.run([cc, "-O1", "-c", "p.c"], cwd=tmp_path, check=True)
    addr = (0x4c0003 if arch == "arm64" else 0x6c0003)
    p = subprocess.run([cc, "-B", str(tc.ld_wrapper_dir(tmp_path)), "-static",
                        f"-Wl,--section-start={section}={addr:#x}", "p.o", "-o", "xld"],
                       cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    sec = _section(tmp_path / "xld", section)
    assert sec is not None and sec[0] == addr + 5, [hex(v) for v in sec or ()]
    said = b"init 2 1 2 reg 66 3\n"
    r = tc.qemu_run(arch, tmp_path / "xld")
    assert (r.status, r.stdout) == (0, said), r.summary()


SCRIPT = """SECTIONS {
  . = 0x10000;
  .text : { *(.text .text.*) }
  . = 0x20000;
  .data : { *(.data .data.* .sdata .sdata.*) }
  .bss : { *(.bss .bss.* .sbss .sbss.* COMMON) }
}
"""


@pytest.mark.parametrize("fixed", [["-Tbss=0x30003"], ["-Tdata=0x28000", "-Ttext=0x11000"]])
@pytest.mark.parametrize("arch", tc.ARCHES)
def test_section_start_overrides_a_scripts_address(arch, fixed, tmp_path):
    """-T script with -Tbss/-Tdata/-Ttext: GNU ld puts the section where the option says, over
    the script's address (or its place after the section before).  xld ignored the option
    (accepted, not honoured: .bss where the script put it)."""
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    (tmp_path / "a.c").write_text("int v = 5; int z; long w;\nint _start(void) { return v + z + (int)w; }\n")
    subprocess.run([cc, "-O1", "-fno-pic", "-c", "a.c"], cwd=tmp_path, check=True)
    (tmp_path / "s.ld").write_text(SCRIPT)
    flags = ["-T", "s.ld", *fixed, "a.o"]
    subprocess.run([f"{tc.TRIPLE[arch]}-ld", *flags, "-o", "gnu"], cwd=tmp_path, check=True)
    p = subprocess.run([*tc.xld_command(), "--arch", arch, *flags, "-o", "xld"], cwd=tmp_path,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    for name in (".text", ".data", ".bss"):
        assert _section(tmp_path / "xld", name) == _section(tmp_path / "gnu", name), name
    for name in (".data", ".bss"):
        _same_symbols(_symbols_in(tmp_path / "gnu", name), _symbols_in(tmp_path / "xld", name), set())


def test_array_section_fixed_in_a_script_is_aligned_up(tmp_path):
    """The same with a linker script: --section-start=.init_array=0x20003 over the script's
    address: .init_array at 0x20008 (GNU ld: 0x20003, a misaligned DT_INIT_ARRAY)."""
    arch = "arm64"
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    (tmp_path / "a.c").write_text("static void f(void) {}\n"
                                  "__attribute__((section(\".init_array\"), used)) static void (*p)(void) = f;\n"
                                  "int _start(void) { return 0; }\n")
    subprocess.run([cc, "-O1", "-fno-pic", "-c", "a.c"], cwd=tmp_path, check=True)
    (tmp_path / "s.ld").write_text("SECTIONS { . = 0x10000; .text : { *(.text) }\n"
                                   "  .init_array : { *(.init_array) } }\n")
    p = subprocess.run([*tc.xld_command(), "--arch", arch, "-T", "s.ld", "--section-start=.init_array=0x20003",
                        "a.o", "-o", "xld"], cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert _section(tmp_path / "xld", ".init_array")[0] == 0x20008


CODE = r"""
__attribute__((section(".init"), aligned(16))) void early(void) {}
__attribute__((aligned(32))) int twice(int x) { return 2 * x; }
__attribute__((aligned(16))) void _start(void) { for (;;) twice(1); }
"""


@pytest.mark.parametrize("flags", [["-Ttext=0x10002"], ["-Ttext=0x10001"], ["--section-start=.init=0x30006"],
                                   ["--section-start=.init=0x30004", "-Ttext=0x30014"]])
def test_code_section_fixed_below_its_alignment_is_padded_as_gnu_ld(flags, tmp_path):
    """arm64 gcc code, a code section fixed below its inputs' alignment: GNU ld starts it as
    given (.init too: xld aligned .init up) and pads the gap before the first input with its
    default script's =0x1f2003d5, from the gap's start (-Ttext=0x10002: ``1f 20``; xld wrote
    zeros where the gap did not start on an instruction).  Headers and bytes as GNU ld's."""
    obj = tc.compile_c("arm64", CODE, tmp_path, ["-O1"])
    gnu = tc.gnu_ld("arm64", [obj], tmp_path / "gnu", flags)
    r = tc.xld_link(["--arch", "arm64", "-static", *flags, "-o", tmp_path / "xld", obj])
    assert r.status == 0, r.stderr
    fixed = [n for n in (".init", ".text") if any(n in f or (n == ".text" and "-Ttext" in f) for f in flags)]
    for name in fixed:              # (the sections not fixed are placed by other rules)
        with open(gnu, "rb") as f, open(tmp_path / "xld", "rb") as g:
            a, b = ELFFile(f).get_section_by_name(name), ELFFile(g).get_section_by_name(name)
            assert (b["sh_addr"], b["sh_size"], b["sh_addralign"]) == (a["sh_addr"], a["sh_size"], a["sh_addralign"]), name
            assert b.data() == a.data(), (name, a.data().hex(), b.data().hex())
