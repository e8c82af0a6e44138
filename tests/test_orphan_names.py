"""Orphan sections under a -T script keep their own names and are placed as GNU ld 2.40 places
them (ldelf_place_orphan): `.text.helper` stays `.text.helper` (xld grouped it into `.text`
by its default rules), same-named orphans of several files share one output section (the
`table` of two files, `__start_table`/`__stop_table` around both), merged strings stay
`.rodata.<fn>.str1.8` and are merged, `.init_array.00200`/`.ctors.00100`/`.tdata.x`/
`.sdata.x`/`.bss.x`/debug sections keep their names; each orphan goes after the last one of
its kind, else after the script's section of its kind, else after the last section of the
nearest kind; a note after the read-only data.  The programs (tests/scripts/orphans: gcc,
-ffunction-sections -fdata-sections -g) are linked by GNU ld and xld with several scripts:
the same section headers (name, type, flags, address, size), the same flat image, and both
print the same under qemu-user (and `xld run`)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc

HERE = Path(__file__).parent / "scripts" / "orphans"
FLAGS = ["-O2", "-g", "-fno-pie", "-ffunction-sections", "-fdata-sections",
         "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"]

SCRIPTS = {
    # the brief's: nothing but .text and .data named
    "bare": "SECTIONS { . = 0x10000; .text : { *(.text) } .data : { *(.data) } }",
    # the holds GNU ld places orphans after are named (.rodata and .bss without inputs)
    "holds": "SECTIONS { . = 0x10000; .text : { *(.text .text.*) } .rodata : { *(.rodata) }\n"
             "  . = ALIGN(0x1000); .data : { *(.data) } .bss : { *(.bss) } }",
    # regions: orphans stay in the region of the section they follow
    "regions": "MEMORY { ROM (rx) : ORIGIN = 0x10000, LENGTH = 64K\n"
               "         RAM (rwx) : ORIGIN = 0x40000, LENGTH = 64K }\n"
               "SECTIONS { .text : { *(.text .text.*) } > ROM\n"
               "  .data : { *(.data .data.*) } > RAM  .bss : { *(.bss) } > RAM }",
    # most named: the orphans left are table, the arrays, the note, TLS and .comment's company
    "named": "SECTIONS { . = 0x10000; .text : { *(.text .text.*) } .rodata : { *(.rodata .rodata.* .srodata*) }\n"
             "  .data : { *(.data .data.*) } .bss : { *(.bss .bss.*) } .comment 0 : { *(.comment) } }",
    # TLS named: .tbss takes no room ('.' stays), the .bss after it starts where it does
    "tls": "SECTIONS { . = 0x10000; .text : { *(.text .text.*) } .data : { *(.data .data.* .sdata*) }\n"
           "  .tdata : { *(.tdata*) } .tbss : { *(.tbss*) } .bss : { *(.bss .bss.* .sbss*) } }",
}


def readelf(arch, *args) -> str:
    return subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-readelf"), "-W", *map(str, args)],
                          capture_output=True, text=True, check=True).stdout


def headers(arch, exe) -> list[tuple]:
    """(name, type, address, size, flags) of each section with a size, in header order (the
    tables of symbols and names aside)."""
    out = []
    for line in readelf(arch, "-S", exe).splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+([0-9a-f]{16})\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([A-Z]*)\s", line)
        if m and m.group(2) not in ("NULL", "SYMTAB", "STRTAB") and int(m.group(4), 16):
            out.append((m.group(1), m.group(2), int(m.group(3), 16), int(m.group(4), 16), m.group(5)))
    return out


def objects(arch, tmp_path) -> list[Path]:
    cc = tc.compiler("gcc", arch)
    return [cc.compile(HERE / f"{n}.c", tmp_path / f"{n}.o", FLAGS) for n in ("start", "a", "b")]


def image(arch, exe, out) -> bytes:
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-objcopy"), "-O", "binary", str(exe), str(out)], check=True)
    return out.read_bytes()


def link_both(arch, tmp_path, script_text, objs, extra=()):
    script = tmp_path / "s.ld"
    script.write_text("ENTRY(_start)\n" + script_text + "\n")
    # (riscv64: both linkers relax different sites; without relaxation the layouts are one)
    relax = ["--no-relax"] if arch == "riscv64" else []
    gnu = tc.gnu_ld(arch, objs, tmp_path / "gnu.elf", ["-T", str(script), *relax, *extra])
    res = tc.xld_link(["-static", "-T", script, *relax, *extra, "-o", tmp_path / "xld.elf", *objs])
    assert res.status == 0, res.stderr
    return gnu, tmp_path / "xld.elf"


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_orphans_named_and_placed_as_gnu_ld(arch, name, tmp_path):
    objs = objects(arch, tmp_path)
    gnu, xld = link_both(arch, tmp_path, SCRIPTS[name], objs)
    want = headers(arch, gnu)
    names = [h[0] for h in want]
    assert {".text.helper", ".rodata.greet", "table", ".init_array.00200", ".ctors.00100",
            ".tdata.tls_data", ".note.xld"} <= set(names) or name != "bare", names
    assert names.count("table") == 1 and ".debug_info" in names
    assert headers(arch, xld) == want
    assert image(arch, xld, tmp_path / "xld.bin") == image(arch, gnu, tmp_path / "gnu.bin")
    ran = [tc.qemu_run(arch, exe) for exe in (gnu, xld)]
    assert ran[0].status == ran[1].status == 43, [r.summary() for r in ran]
    assert ran[0].stdout == ran[1].stdout == b"orphans keep their names\nmerged string\nmerged string\n"
    if name == "bare":
        r = tc.xld_run(xld)
        assert (r.status, r.stdout) == (43, ran[1].stdout), r.summary()


TLS_FIRST_ZERO = """
.section .tbss.zero,"awT",@nobits
.balign 4
.globl tz
tz: .zero 4
.section .tdata.five,"awT",@progbits
.balign 4
.globl tf
tf: .word 5
.section .data.d,"aw"
.word 1
.text
.globl _start
_start: .word 0
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_tls_orphans_keep_their_data_before_their_zero_fill(arch, tmp_path):
    """A .tbss.zero orphan met before a .tdata.five one: GNU ld places them as it meets them,
    .tbss first, and .tdata.five then starts where .tbss.zero does (the TLS template's first
    word is both tz and tf: a wrong program); xld puts the TLS data first, then its zero-fill,
    each symbol at its own offset in PT_TLS."""
    obj = tc.assemble(arch, TLS_FIRST_ZERO.replace("@", "%"), tmp_path / "t.o")
    gnu, xld = link_both(arch, tmp_path, "SECTIONS { . = 0x10000; .text : { *(.text) } .data : { *(.data) } }", [obj])
    g = {h[0]: h for h in headers(arch, gnu)}
    assert g[".tbss.zero"][2] == g[".tdata.five"][2]           # GNU ld 2.40's overlay
    got = [h[0] for h in headers(arch, xld)]
    assert got.index(".data.d") < got.index(".tdata.five") < got.index(".tbss.zero"), got
    syms = {m.group(2): int(m.group(1), 16) for m in
            re.finditer(r"^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+TLS\s+GLOBAL\s+\S+\s+\S+\s+(\S+)", readelf(arch, "-s", xld), re.M)}
    assert syms == {"tf": 0, "tz": 4}, syms
    tls = re.search(r"^\s*TLS\s+\S+\s+(0x[0-9a-f]+)\s+\S+\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)", readelf(arch, "-l", xld), re.M)
    assert (int(tls.group(2), 16), int(tls.group(3), 16)) == (4, 8)


TLS_DATA_ORPHAN = """
.section .tbss,"awT",@nobits
.balign 4
.globl tz
tz: .zero 4
.section .tdata,"awT",@progbits
.balign 4
.globl tf
tf: .word 5
.text
.globl _start
_start: .word 0
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_tls_data_orphan_goes_before_the_scripts_zero_fill(arch, tmp_path):
    """A script that names .tbss but not .tdata: the .tdata orphan goes before .tbss, each
    variable at its own TLS offset, as GNU ld places it. xld put it after the script's .tbss,
    so tz and tf shared TLS offset 0 (PT_TLS memsz 4: a wrong program, found in review)."""
    obj = tc.assemble(arch, TLS_DATA_ORPHAN.replace("@", "%"), tmp_path / "t.o")
    script = "SECTIONS { . = 0x10000; .text : { *(.text) } .data : { *(.data) } .tbss : { *(.tbss*) } .bss : { *(.bss*) } }"
    gnu, xld = link_both(arch, tmp_path, script, [obj])

    def tls_of(exe):
        syms = {m.group(2): int(m.group(1), 16) for m in
                re.finditer(r"^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+TLS\s+GLOBAL\s+\S+\s+\S+\s+(\S+)", readelf(arch, "-s", exe), re.M)}
        seg = re.search(r"^\s*TLS\s+\S+\s+\S+\s+\S+\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)", readelf(arch, "-l", exe), re.M)
        return syms, (int(seg.group(1), 16), int(seg.group(2), 16))
    assert tls_of(gnu) == ({"tf": 0, "tz": 4}, (4, 8))
    assert tls_of(xld) == tls_of(gnu)
    got = [h[0] for h in headers(arch, xld)]
    assert got.index(".tdata") < got.index(".tbss"), got


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_orphan_handling_names_the_orphans_own_section(arch, tmp_path):
    """--orphan-handling=warn|error name the output section an orphan goes to: its own name
    (lld's words and lld's answer; xld said '.text' for .text.main before)."""
    objs = objects(arch, tmp_path)
    script = tmp_path / "s.ld"
    script.write_text("ENTRY(_start)\n" + SCRIPTS["bare"] + "\n")
    names = [o.name for o in objs]
    p = tc.xld_cli(["--orphan-handling=warn", "-static", "-T", "s.ld", "-o", "warn", *names], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    lines = [ln.removeprefix("xld: warning: ") for ln in p.stderr.splitlines() if "is being placed" in ln]
    assert "a.o:(.text.startup.main) is being placed in '.text.startup.main'" in lines
    assert "b.o:(table) is being placed in 'table'" in lines
    assert all(re.fullmatch(r"\S+:\((\S+)\) is being placed in '\1'", ln) for ln in lines), lines
    if arch == "arm64":
        q = subprocess.run([tc.require("ld.lld"), "--orphan-handling=warn", "-T", "s.ld", "-o", "lld", *names],
                           cwd=tmp_path, capture_output=True, text=True)
        theirs = [ln.split("warning: ", 1)[1] for ln in q.stderr.splitlines()
                  if "is being placed" in ln and "<internal>" not in ln]
        assert sorted(lines) == sorted(theirs)
    p = tc.xld_cli(["--orphan-handling=error", "-static", "-T", "s.ld", "-o", "err", *names], cwd=tmp_path)
    assert p.returncode == 1 and "xld: error: start.o:(.text.sys_write) is being placed in '.text.sys_write'" in p.stderr
    assert not (tmp_path / "err").exists()


EMPTY = """
.section .keep_me,"aw"
.globl in_empty
in_empty:
.section .drop_me,"aw"
.Lend_of_nothing:
.text
.globl _start
_start: .word 0
.balign 8
.quad .Lend_of_nothing
.quad in_empty
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_empty_orphans(arch, tmp_path):
    """Empty orphans keep an (empty) section header in xld, where GNU ld leaves them out; what
    matters is that everything pointing into them gets GNU ld's address: a label of the empty
    section (``in_empty``) and a reference through the section's own symbol (the local
    ``.Lend_of_nothing``: a relocation against ``.drop_me``). Dropping the section left the
    second at address 0, written into the code (a session's attempt, taken back)."""
    obj = tc.assemble(arch, EMPTY.replace("@", "%"), tmp_path / "e.o")
    gnu, xld = link_both(arch, tmp_path, "SECTIONS { . = 0x10000; .text : { *(.text) } }", [obj])
    assert ".drop_me" not in readelf(arch, "-S", gnu)

    def addr(exe):
        return re.search(r"([0-9a-f]{16})\s+0\s+NOTYPE\s+GLOBAL\s+DEFAULT\s+\S+\s+in_empty", readelf(arch, "-s", exe)).group(1)
    assert addr(xld) == addr(gnu)

    def words(exe):
        from elftools.elf.elffile import ELFFile
        with open(exe, "rb") as f:
            data = ELFFile(f).get_section_by_name(".text").data()
        return data[8:24]
    assert words(xld) == words(gnu)
    assert words(gnu)[:8] != bytes(8)
