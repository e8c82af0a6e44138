"""Linker scripts (-T): a firmware-style program (FLASH/RAM regions, .data copied from its load
address by startup code through script symbols, a NOLOAD .bss zeroed by it, a KEEP'd table
walked through script symbols, an ASSERT), linked by GNU ld and by xld with the same script:
same section addresses, same load addresses, same flat image; a variant whose addresses a
Linux process can map runs under qemu-user and `xld run`.  Then the errors: region overflow
(by how much), a failed ASSERT, unsupported constructs at file:line."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc

HERE = Path(__file__).parent / "scripts"
FLAGS = ["-O2", "-fno-pie", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"]


def readelf(arch, *args):
    return subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-readelf"), "-W", *map(str, args)],
                          capture_output=True, text=True, check=True).stdout


def sections(arch, exe) -> dict[str, tuple[int, int, str]]:
    """name -> (address, size, type) of the allocated sections."""
    out = {}
    for m in re.finditer(r"^\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+([0-9a-f]{16})\s+[0-9a-f]+\s+([0-9a-f]+)\s+\S+\s+(\S*)",
                         readelf(arch, "-S", exe), re.M):
        if "A" in m.group(5):
            out[m.group(1)] = (int(m.group(3), 16), int(m.group(4), 16), m.group(2))
    return out


def load_addresses(arch, exe) -> list[tuple[int, int, int]]:
    """(virtual address, physical (load) address, file size) of each PT_LOAD with contents."""
    rows = re.findall(r"^\s*LOAD\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)",
                      readelf(arch, "-l", exe), re.M)
    return sorted((int(v, 16), int(p, 16), int(f, 16)) for v, p, f in rows if int(f, 16))


def lma_of(arch, exe) -> dict[str, int]:
    """Each allocated section's load address, from the segment that holds it."""
    segs = [(v, p) for v, p, _ in load_addresses(arch, exe)]
    out = {}
    for name, (addr, size, typ) in sections(arch, exe).items():
        if typ == "NOBITS":
            continue
        for v, p in segs:
            if v <= addr:
                base = (v, p)
        out[name] = addr - base[0] + base[1]
    return out


def build(arch, tmp_path, script: Path, extra=(), link_extra=()):
    obj = tc.compiler("gcc", arch).compile(HERE / "firmware.c", tmp_path / "fw.o", [*FLAGS, *extra])
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", ["-T", str(script), *link_extra])
    res = tc.xld_link(["-T", script, *link_extra, "-o", tmp_path / "xld.elf", obj])
    assert res.status == 0, res.stderr
    return obj, gnu, tmp_path / "xld.elf"


def objcopy(arch, exe, out):
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-objcopy"), "-O", "binary", str(exe), str(out)], check=True)
    return out.read_bytes()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_firmware_layout_matches_gnu_ld(arch, tmp_path):
    obj, gnu, xld = build(arch, tmp_path, HERE / "firmware.ld")
    want = sections(arch, gnu)
    got = sections(arch, xld)
    assert {k: v[:2] for k, v in got.items()} == {k: v[:2] for k, v in want.items()}
    assert want[".data"][0] == 0x20000000 and want[".text"][0] == 0x10000000
    assert got[".bss"][2] == "NOBITS"
    # .data is loaded in FLASH, right after the table, and runs in RAM
    assert lma_of(arch, xld) == lma_of(arch, gnu)
    assert lma_of(arch, xld)[".data"] == want[".table"][0] + want[".table"][1]
    # the script's symbols
    syms_g = readelf(arch, "-s", gnu)
    syms_x = readelf(arch, "-s", xld)
    for name in ("_sdata", "_edata", "_sidata", "_sbss", "_ebss", "__table_start", "__table_end", "_estack"):
        vg = re.search(rf"^\s*\d+:\s+([0-9a-f]+)\s.*\s{re.escape(name)}$", syms_g, re.M)
        vx = re.search(rf"^\s*\d+:\s+([0-9a-f]+)\s.*\s{re.escape(name)}$", syms_x, re.M)
        assert vg and vx and vg.group(1) == vx.group(1), name
    # the flat image: the same bytes as objcopy -O binary of GNU ld's ELF and of xld's
    res = tc.xld_link(["-T", HERE / "firmware.ld", "--oformat=binary", "-o", tmp_path / "xld.bin", obj])
    assert res.status == 0, res.stderr
    image = (tmp_path / "xld.bin").read_bytes()
    assert image == objcopy(arch, gnu, tmp_path / "gnu.bin")
    assert image == objcopy(arch, xld, tmp_path / "xld-objcopy.bin")
    assert (40).to_bytes(4, "little") in image          # .data's initial value, in FLASH


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_firmware_runs(arch, tmp_path):
    """Under Linux a process maps segments at their run addresses, so the runnable variant loads
    .data where it runs (the startup copy is then a no-op; .bss is still zeroed by it)."""
    script = tmp_path / "run.ld"
    script.write_text((HERE / "firmware.ld").read_text().replace("} > RAM AT> FLASH", "} > RAM"))
    _, gnu, xld = build(arch, tmp_path, script)
    assert {k: v[:2] for k, v in sections(arch, xld).items()} == {k: v[:2] for k, v in sections(arch, gnu).items()}
    want = tc.qemu_run(arch, gnu)
    assert want.stdout == b"dbl=14\nsq=49\nsum=640\n", want.summary()
    got = tc.qemu_run(arch, xld)
    assert (got.status, got.stdout) == (want.status, want.stdout), got.summary()
    got = tc.xld_run(xld)
    assert (got.status, got.stdout) == (want.status, want.stdout), got.summary()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_discarded_notes_take_the_build_id(arch, tmp_path):
    """``/DISCARD/ : { *(.note*) }`` (firmware scripts do) with --build-id, which Debian's gcc
    passes: GNU ld drops the linker's own note with the objects' ones; xld refused it."""
    script = tmp_path / "notes.ld"
    script.write_text((HERE / "firmware.ld").read_text().replace("*(.note.GNU-stack)", "*(.note*)"))
    _, gnu, xld = build(arch, tmp_path, script, link_extra=["--build-id"])
    got = sections(arch, xld)
    assert not any(n.startswith(".note") for n in got), got
    assert {k: v[:2] for k, v in got.items()} == {k: v[:2] for k, v in sections(arch, gnu).items()}
    assert "NOTE" not in readelf(arch, "-l", xld)
    assert lma_of(arch, xld) == lma_of(arch, gnu)


SORTED = {
    "a.s": ('.section .tbl.zz,"a"\n.byte 1\n.section .tbl.aa,"a"\n.byte 2\n.section .tbl,"a"\n.byte 3\n'
            '.section .tbl.mm,"a"\n.balign 8\n.byte 4\n.text\n.globl _start\n_start:\n.word 0\n'),
    "b.s": ('.section .tbl.bb,"a"\n.balign 4\n.byte 5\n.section .tbl.aa,"a"\n.balign 16\n.byte 7\n'
            '.section .tbl,"a"\n.byte 6\n'),
}


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("sort", [None, "name", "alignment"])
@pytest.mark.parametrize("rule", ["*(.tbl .tbl.*)", "*(SORT_BY_ALIGNMENT(.tbl.*)) *(SORT_NONE(.tbl))",
                                  "*(SORT_BY_INIT_PRIORITY(.tbl.*)) *(.tbl)"])
def test_sort_section_matches_gnu_ld(arch, sort, rule, tmp_path):
    """--sort-section=name|alignment sorts every wildcard statement of the script (its
    literal names too) as GNU ld does, nested under an explicit SORT_BY_* of the other key;
    xld ignored it. SORT_BY_INIT_PRIORITY's ties (and names without a number) go by name."""
    objs = [tc.assemble(arch, text, tmp_path / name.replace(".s", ".o")) for name, text in SORTED.items()]
    script = tmp_path / "t.ld"
    script.write_text(f"SECTIONS {{ .text : {{ *(.text) }} .tbl : {{ {rule} }} }}\n")
    extra = [f"--sort-section={sort}"] if sort else []
    gnu = tc.gnu_ld(arch, objs, tmp_path / "gnu.elf", ["-T", str(script), *extra])
    res = tc.xld_link(["-T", script, *extra, "-o", tmp_path / "xld.elf", *objs])
    assert res.status == 0, res.stderr
    want = objcopy(arch, gnu, tmp_path / "gnu.bin")
    assert objcopy(arch, tmp_path / "xld.elf", tmp_path / "xld.bin") == want


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_gc_sections_keeps_what_keep_names(arch, tmp_path):
    obj = tc.compiler("gcc", arch).compile(HERE / "firmware.c", tmp_path / "fw.o",
                                           [*FLAGS, "-ffunction-sections", "-fdata-sections"])
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", ["-T", str(HERE / "firmware.ld"), "--gc-sections"])
    res = tc.xld_link(["-T", HERE / "firmware.ld", "--gc-sections", "-o", tmp_path / "xld.elf", obj])
    assert res.status == 0, res.stderr
    want, got = sections(arch, gnu), sections(arch, tmp_path / "xld.elf")
    assert got[".table"][1] == want[".table"][1] == 32          # both entries kept
    assert {k: v[:2] for k, v in got.items()} == {k: v[:2] for k, v in want.items()}


ERRORS = [
    # (script text, words of the error)
    ("MEMORY { FLASH (rx) : ORIGIN = 0x10000000, LENGTH = 16 }\n"
     "SECTIONS { .text : { *(.text*) } > FLASH }\n",
     re.compile(r"section '\.text' will not fit in region 'FLASH': overflowed by \d+ bytes")),
    ("SECTIONS { . = 0x10000000; .text : { *(.text*) }\n"
     "  ASSERT(SIZEOF(.text) < 4, \"text is too big\") }\n",
     re.compile(r"s\.ld:2: text is too big")),
    ("MEMORY { RAM : ORIGIN = 0, LENGTH = 4K }\nSECTIONS {\n .text : { *(.text*) }\n OVERLAY : { .a { *(.a) } } > RAM\n}\n",
     re.compile(r"s\.ld:4: a memory region on OVERLAY is not supported")),
    ("PHDRS { text PT_LOAD; }\nSECTIONS {\n .text : { *(.text) } :nothere\n}\n",
     re.compile(r"s\.ld:3: program header 'nothere' is not listed in PHDRS")),
    ("PHDRS { text PT_LOD; }\n", re.compile(r"s\.ld:1: invalid program header type: PT_LOD")),
    ("SECTIONS {\n .text : { *(.text) } > NOWHERE\n}\n",
     re.compile(r"s\.ld:2: memory region not defined: NOWHERE")),
    ("SECTIONS {\n .text : { *(.text) \n", re.compile(r"s\.ld:\d+: unexpected end of file")),
    # lld's form: file:line, the message, then the line and a caret under the token
    ("SECTIONS {\n .text : { *(.text) }\n}\nLD_FEATURE(\"SANE_EXPR\")\n",
     re.compile(r"s\.ld:4: LD_FEATURE is not supported\n>>> LD_FEATURE\(\"SANE_EXPR\"\)\n>>> \^")),
    ("SECTIONS {\n .text : { *(.text) }\n}\nINSERT AFTER .data;\n",
     re.compile(r"s\.ld:2: output section \.text of an INSERT script is also a section of the default layout")),
    ("SECTIONS {\n  INCLUDE nothere.ld\n}\n", re.compile(r"s\.ld:2: cannot find linker script nothere\.ld")),
    ("SECTIONS {\n  .text : { *(.text) } :text\n}\n",
     re.compile(r"s\.ld:2: program header 'text' is not listed in PHDRS")),
    ("MEMORY { RAM : ORIGIN = 0, LENGTH = 4K }\nREGION_ALIAS(\"ROM\", FLASH)\n",
     re.compile(r"s\.ld:2: memory region not defined: FLASH\n>>> .*\n>>> +\^")),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_script_errors(k, tmp_path):
    text, words = ERRORS[k]
    (tmp_path / "s.ld").write_text(text)
    obj = tc.assemble("riscv64", ".globl _start\n_start:\n" + "nop\n" * 12, tmp_path / "f.o")
    out = tmp_path / "out"
    res = tc.xld_link(["-T", tmp_path / "s.ld", "-o", out, obj])
    assert res.status == 1, res.stderr
    assert words.search(res.stderr), res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists()


# -- expressions: GNU ld's section-relative values, data, fills and builtins -------------------

EXPR_SYMBOLS = ("text_off", "text_end", "scale", "product", "ratio", "table_align", "log_of_size",
                "page", "_sdata", "_edata", "data_rel", "_sidata", "__executable_start", "_ebss")


def symbol_values(arch, exe, names) -> dict[str, tuple[str, str]]:
    """name -> (value, section index or ABS)."""
    out = {}
    for m in re.finditer(r"^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+\S+\s+\S+\s+\S+\s+(\S+)\s+(\S+)$", readelf(arch, "-s", exe), re.M):
        if m.group(3) in names:
            out[m.group(3)] = (m.group(1), m.group(2))
    return out


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("extra", [[], ["-Ttext-segment=0x800000"]], ids=["default", "text-segment"])
def test_expressions_match_gnu_ld(arch, extra, tmp_path):
    """. and numbers inside an output section are offsets from its start; a*b is a product;
    SEGMENT_START (with -Ttext-segment), SIZEOF_HEADERS, BYTE/SHORT/LONG/QUAD/SQUAD, FILL and
    =fill in the gaps, ALIGNOF, LOG2CEIL, NEXT, CONSTANT: the same addresses, symbols and flat
    image as GNU ld."""
    script = HERE / "exprs.ld"
    obj, gnu, xld = build(arch, tmp_path, script, link_extra=extra)
    assert {k: v[:2] for k, v in sections(arch, xld).items()} == {k: v[:2] for k, v in sections(arch, gnu).items()}
    want = symbol_values(arch, gnu, EXPR_SYMBOLS)
    got = symbol_values(arch, xld, EXPR_SYMBOLS)
    assert len(want) == len(EXPR_SYMBOLS)
    assert {k: v[0] for k, v in got.items()} == {k: v[0] for k, v in want.items()}
    # absolute or in a section alike (GNU ld puts SEGMENT_START's value in the first section)
    assert {k: v[1] for k, v in got.items() if k != "__executable_start"} == \
        {k: v[1] for k, v in want.items() if k != "__executable_start"}
    text = sections(arch, gnu)[".text"][0]
    assert int(want["text_off"][0], 16) == text + 0x10          # section-relative, as GNU ld
    assert int(want["product"][0], 16) == 13
    base = 0x800000 if extra else 0x400000
    assert int(want["__executable_start"][0], 16) == base
    image = objcopy(arch, xld, tmp_path / "xld.bin")
    assert image == objcopy(arch, gnu, tmp_path / "gnu.bin")
    assert bytes.fromhex("113322") in image and b"\x90\x90\x90\x7f\xa5" in image and b"\x01\x02\x03\x04\x01\x02" in image


# -- a kernel-like script: PHDRS, SEGMENT_START, SIZEOF_HEADERS ----------------------------------

NOTE_S = """.section .note.kern,"a",@note
.balign 4
.long 4, 8, 1
.asciz "XLD"
.quad 0x1122334455667788
"""


def program_headers(arch, exe) -> list[tuple]:
    return re.findall(r"^\s+([A-Z_]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(.{3})\s+(0x[0-9a-f]+)",
                      readelf(arch, "-l", exe), re.M)


KERNEL_SYMBOLS = ("_kernel_start", "_stext", "_etext", "_sdata", "_edata", "_sidata", "_sbss", "_ebss",
                  "_kernel_end", "__table_start", "__table_end")


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_kernel_like_script_with_phdrs(arch, tmp_path):
    """PHDRS with PT_PHDR, a PT_LOAD holding the ELF headers (FILEHDR PHDRS) and the code, a
    writable PT_LOAD, PT_NOTE and PT_GNU_STACK with FLAGS; :phdr lists inherited by the
    sections after them: the same program headers, sections, symbols and image as GNU ld, and
    the program runs."""
    obj = tc.compiler("gcc", arch).compile(HERE / "firmware.c", tmp_path / "fw.o", FLAGS)
    note = tc.assemble(arch, NOTE_S, tmp_path / "note.o")
    script = HERE / "kernel.ld"
    gnu = tc.gnu_ld(arch, [obj, note], tmp_path / "gnu.elf", ["-T", str(script)])
    xld = tmp_path / "xld.elf"
    res = tc.xld_link(["-T", script, "-o", xld, obj, note])
    assert res.status == 0, res.stderr
    want = program_headers(arch, gnu)
    assert [p[0] for p in want] == ["PHDR", "LOAD", "LOAD", "NOTE", "GNU_STACK"]
    assert program_headers(arch, xld) == want
    assert {k: v[:2] for k, v in sections(arch, xld).items()} == {k: v[:2] for k, v in sections(arch, gnu).items()}
    got_syms = symbol_values(arch, xld, KERNEL_SYMBOLS)
    want_syms = symbol_values(arch, gnu, KERNEL_SYMBOLS)
    assert len(want_syms) == len(KERNEL_SYMBOLS)
    assert {k: v[0] for k, v in got_syms.items()} == {k: v[0] for k, v in want_syms.items()}
    assert objcopy(arch, xld, tmp_path / "xld.bin") == objcopy(arch, gnu, tmp_path / "gnu.bin")
    run = tc.qemu_run(arch, gnu)
    assert run.stdout == b"dbl=14\nsq=49\nsum=640\n", run.summary()
    for got in (tc.qemu_run(arch, xld), tc.xld_run(xld)):
        assert (got.status, got.stdout) == (run.status, run.stdout), got.summary()


# -- layouts of real projects, written after them ------------------------------------------------

PROJECT_SYMBOLS = {
    "opensbi.ld": ("_fw_start", "_text_start", "_text_end", "_rodata_start", "_rodata_end", "_data_start",
                   "_data_end", "_bss_start", "_bss_end", "_fw_end", "__table_start", "__table_end",
                   "__rel_dyn_start", "__rel_dyn_end", "_sdata", "_edata", "_sidata"),
    "uboot.ld": ("__image_copy_start", "__image_copy_end", "__table_start", "__table_end", "_end",
                 "__rel_dyn_start", "__rel_dyn_end", "_sbss", "_ebss", "_sdata", "_edata", "_sidata"),
}


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("layout", sorted(PROJECT_SYMBOLS))
def test_project_layout_matches_gnu_ld(arch, layout, tmp_path, monkeypatch):
    """An OpenSBI-style layout (page-aligned parts, PROVIDEd symbols, gp from .sdata, a table
    from an INCLUDEd fragment found through -L) and a U-Boot-style one (start code first,
    SORT_BY_ALIGNMENT(SORT_BY_NAME(...)), EXCLUDE_FILE, REGION_ALIAS, INPUT of an object found
    through SEARCH_DIR, marker sections around .bss, several /DISCARD/): the same sections,
    program headers, symbols and image as GNU ld, and the same run."""
    monkeypatch.chdir(tmp_path)
    cc = tc.compiler("gcc", arch)
    model = ["-mcmodel=medany"] if arch == "riscv64" else []     # (as OpenSBI builds: code at 2 GiB)
    obj = cc.compile(HERE / "firmware.c", tmp_path / "fw.o", [*FLAGS, *model])
    (tmp_path / "include").mkdir()
    cc.compile(HERE / "extra.c", tmp_path / "include" / "extra.o", [*FLAGS, *model])
    script = HERE / layout
    args = ["-L", str(HERE / "include"), "-T", str(script)]
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", args)
    xld = tmp_path / "xld.elf"
    res = tc.xld_link([*args, "-o", xld, obj])
    assert res.status == 0, res.stderr
    # (GNU ld keeps an empty .rela.dyn: its own dynamic sections are inputs there, even empty)
    assert {k: v[:2] for k, v in sections(arch, xld).items() if v[1]} == \
        {k: v[:2] for k, v in sections(arch, gnu).items() if v[1]}
    # the same PT_LOADs (address, load address, permissions; GNU ld may count the padding
    # up to the next segment in a segment's sizes)
    loads = [(p[2], p[3], p[6]) for p in program_headers(arch, gnu) if p[0] == "LOAD"]
    assert [(p[2], p[3], p[6]) for p in program_headers(arch, xld) if p[0] == "LOAD"] == loads
    names = PROJECT_SYMBOLS[layout]
    want = symbol_values(arch, gnu, names)          # (a PROVIDE nothing uses is not defined)
    assert len(want) >= 8
    assert {k: v[0] for k, v in symbol_values(arch, xld, names).items()} == {k: v[0] for k, v in want.items()}
    assert objcopy(arch, xld, tmp_path / "xld.bin") == objcopy(arch, gnu, tmp_path / "gnu.bin")
    run = tc.qemu_run(arch, gnu)
    expect = b"dbl=14\nsq=49\n" + (b"inc=8\n" if layout == "uboot.ld" else b"") + b"sum=640\n"
    assert run.stdout == expect, run.summary()
    for got in (tc.qemu_run(arch, xld), tc.xld_run(xld)):
        assert (got.status, got.stdout) == (run.status, run.stdout), got.summary()


ONLY_IF = """SECTIONS {
  . = 0x10000;
  .text : { *(.text*) }
  .eh_frame : ONLY_IF_RO { KEEP(*(.eh_frame)) }
  .rodata : { *(.rodata*) }
  . = ALIGN(0x1000);
  .eh_frame : ONLY_IF_RW { KEEP(*(.eh_frame)) }
  .data : { *(.data* .sdata*) }
  .bss : { *(.bss* .sbss*) }
}
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_only_if_ro_rw(arch, tmp_path):
    """The same output section twice, ONLY_IF_RO and ONLY_IF_RW (as GNU ld's own scripts
    write .eh_frame): the read-only .eh_frame goes to the first, as in GNU ld."""
    (tmp_path / "p.c").write_text("int counter = 40;\nconst int table[4] = {1, 2, 3, 4};\nint zeroed[16];\n"
                                  "int f(int i) { return counter + table[i & 3] + zeroed[i & 15]; }\n")
    obj = tc.compiler("gcc", arch).compile(tmp_path / "p.c", tmp_path / "p.o", ["-O2", "-fasynchronous-unwind-tables"])
    (tmp_path / "s.ld").write_text(ONLY_IF)
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", ["-T", str(tmp_path / "s.ld"), "-e", "f"])
    res = tc.xld_link(["-T", tmp_path / "s.ld", "-e", "f", "-o", tmp_path / "xld.elf", obj])
    assert res.status == 0, res.stderr
    want = sections(arch, gnu)
    assert want[".eh_frame"][0] < want[".rodata"][0]
    assert {k: v[:2] for k, v in sections(arch, tmp_path / "xld.elf").items()} == {k: v[:2] for k, v in want.items()}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_nocrossrefs(arch, tmp_path):
    """NOCROSSREFS: a reference between two listed sections is an error (as GNU ld reports
    it: from .data to f in .text); sections without such references link."""
    (tmp_path / "n.c").write_text("int counter = 40;\nint f(void) { return counter; }\nint (*fp)(void) = f;\n")
    obj = tc.compiler("gcc", arch).compile(tmp_path / "n.c", tmp_path / "n.o", ["-O2"])
    layout = "SECTIONS { . = 0x10000; .text : { *(.text*) } .data : { *(.data* .sdata*) } .bss : { *(.bss*) } }\n"
    (tmp_path / "bad.ld").write_text("NOCROSSREFS(.text .data)\n" + layout)
    (tmp_path / "ok.ld").write_text("NOCROSSREFS(.text .bss)\n" + layout)
    res = tc.xld_link(["-T", tmp_path / "bad.ld", "-e", "f", "-o", tmp_path / "bad", obj])
    assert res.status == 1 and "bad.ld:1: prohibited cross reference from '.data' to 'f' in '.text'" in res.stderr, res.stderr
    assert not (tmp_path / "bad").exists()
    res = tc.xld_link(["-T", tmp_path / "ok.ld", "-e", "f", "-o", tmp_path / "ok", obj])
    assert res.status == 0, res.stderr
    # NOCROSSREFS_TO(.text .data): only references from .data to .text (GNU ld finds one)
    (tmp_path / "to.ld").write_text("NOCROSSREFS_TO(.text .data)\n" + layout)
    res = tc.xld_link(["-T", tmp_path / "to.ld", "-e", "f", "-o", tmp_path / "to", obj])
    assert res.status == 1 and res.stderr.count("prohibited cross reference") == 1, res.stderr
    assert "from '.data' to 'f' in '.text'" in res.stderr


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_extern_and_startup(arch, tmp_path):
    """EXTERN(sym) pulls an archive member nothing else needs (as -u); STARTUP(file) is the
    first input: its code comes first in .text. As GNU ld."""
    cc = tc.compiler("gcc", arch)
    (tmp_path / "a.c").write_text("int f(void) { return 1; }\n")
    (tmp_path / "s.c").write_text("int start_first(void) { return 2; }\n")
    (tmp_path / "m.c").write_text("int member_only(void) { return 3; }\n")
    a = cc.compile(tmp_path / "a.c", tmp_path / "a.o", ["-O2"])
    cc.compile(tmp_path / "s.c", tmp_path / "s.o", ["-O2"])
    lib = tc.archive(arch, [cc.compile(tmp_path / "m.c", tmp_path / "m.o", ["-O2"])], tmp_path / "libm_.a")
    (tmp_path / "x.ld").write_text(f"STARTUP({tmp_path / 's.o'})\nEXTERN(member_only)\n"
                                   "SECTIONS { . = 0x10000; .text : { *(.text*) } .data : { *(.data*) } }\n")
    outs = {}
    for who in ("gnu", "xld"):
        out = tmp_path / who
        if who == "gnu":
            tc.gnu_ld(arch, [a, lib], out, ["-T", str(tmp_path / "x.ld"), "-e", "f"])
        else:
            res = tc.xld_link(["-T", tmp_path / "x.ld", "-e", "f", "-o", out, a, lib])
            assert res.status == 0, res.stderr
        outs[who] = symbol_values(arch, out, ("f", "start_first", "member_only"))
    assert outs["xld"] == outs["gnu"] and len(outs["gnu"]) == 3
    assert int(outs["gnu"]["start_first"][0], 16) == 0x10000


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_insert_after_in_default_layout(arch, tmp_path):
    """SECTIONS ... INSERT AFTER .rodata: the default layout with the script's section right
    after .rodata, its symbols at its start and end, /DISCARD/ applied; as GNU ld places it,
    and the program runs as GNU ld's does (riscv64: --no-relax, the program does not set gp)."""
    obj = tc.compiler("gcc", arch).compile(HERE / "firmware.c", tmp_path / "fw.o", FLAGS)
    extra = ["--no-relax"] if arch == "riscv64" else []
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", ["-T", str(HERE / "insert.ld"), *extra])
    xld = tmp_path / "xld.elf"
    res = tc.xld_link(["-static", "-T", HERE / "insert.ld", *extra, "-o", xld, obj])
    assert res.status == 0, res.stderr
    for exe in (gnu, xld):
        secs = sections(arch, exe)
        end = secs[".rodata"][0] + secs[".rodata"][1]
        assert secs[".tables"][0] == (end + 7) & ~7 and secs[".tables"][1] == 32
        syms = symbol_values(arch, exe, ("__table_start", "__table_end"))
        assert int(syms["__table_start"][0], 16) == secs[".tables"][0]
        assert int(syms["__table_end"][0], 16) == secs[".tables"][0] + 32
    assert ".comment" not in readelf(arch, "-S", xld)
    want = tc.qemu_run(arch, gnu)
    assert want.stdout == b"dbl=14\nsq=49\nsum=640\n", want.summary()
    for got in (tc.qemu_run(arch, xld), tc.xld_run(xld)):
        assert (got.status, got.stdout) == (want.status, want.stdout), got.summary()


INSERT_ORPHAN_C = {
    "a.c": """#include <stdio.h>
__attribute__((section(".mysec"))) int in_a = 99;
extern int in_b, __mysec_start[], __mysec_end[];
int data_v = 7;
int main(void) { printf("%d %d %d n=%ld\\n", in_a, in_b, data_v, (long)(__mysec_end - __mysec_start)); return 0; }
""",
    "b.c": '__attribute__((section(".mysec"))) int in_b = 98;\n',
    # only a.o's .mysec is named: b.o's joins the section too (as an orphan of that name)
    "ins.ld": "SECTIONS { .mysec : { __mysec_start = .; KEEP(a.o(.mysec)) __mysec_end = .; } } INSERT AFTER .data;\n",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_insert_script_names_an_orphan_section(arch, tmp_path):
    """INSERT AFTER .data with an output section named like input sections the default layout
    has no rule for (an orphan there): the script's section takes them, as GNU ld does (xld
    refused it as 'also a section of the default layout')."""
    import subprocess
    gcc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    for name, text in INSERT_ORPHAN_C.items():
        (tmp_path / name).write_text(text)
    subprocess.run([gcc, "-O1", "-c", "a.c", "b.c"], cwd=tmp_path, check=True)
    runs, layouts = [], []
    for extra in ([], ["-B", str(tc.ld_wrapper_dir(tmp_path))]):
        exe = tmp_path / ("xld" if extra else "gnu")
        p = subprocess.run([gcc, *extra, "a.o", "b.o", "-Wl,-T,ins.ld", "-o", str(exe)], cwd=tmp_path,
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        runs.append(tc.qemu_run(arch, exe, sysroot=f"/usr/{tc.TRIPLE[arch]}"))
        secs = sections(arch, exe)
        layouts.append([n for n in sorted(secs, key=lambda n: secs[n][0]) if n in (".data", ".mysec", ".bss")])
        assert secs[".mysec"][1] == 8
    assert runs[0].stdout == b"99 98 7 n=1\n"
    assert (runs[1].status, runs[1].stdout) == (runs[0].status, runs[0].stdout), runs[1].summary()
    assert layouts[1] == layouts[0] == [".data", ".mysec", ".bss"]


INSERT_NOTE_C = {
    "a.c": """#include <stdio.h>
struct note { unsigned namesz, descsz, type; char name[4]; unsigned desc; };
__attribute__((section(".note.foo"), used, aligned(4)))
static const struct note tag = {4, 4, 0x1234, "XLD", 42};
int main(void) { printf("%u\\n", tag.desc); return 0; }
""",
    "ins.ld": "SECTIONS { .mynote : { KEEP(*(.note.foo)) } } INSERT AFTER .rodata;\n",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_insert_script_section_of_notes_is_a_note(arch, tmp_path):
    """An INSERT script's output section of note inputs is SHT_NOTE with a PT_NOTE of its own,
    as GNU ld makes it (xld wrote PROGBITS and no PT_NOTE: found by review)."""
    import subprocess
    gcc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    for name, text in INSERT_NOTE_C.items():
        (tmp_path / name).write_text(text)
    subprocess.run([gcc, "-O1", "-c", "a.c"], cwd=tmp_path, check=True)
    for extra in ([], ["-B", str(tc.ld_wrapper_dir(tmp_path))]):
        exe = tmp_path / ("xld" if extra else "gnu")
        p = subprocess.run([gcc, *extra, "a.o", "-Wl,-T,ins.ld", "-o", str(exe)], cwd=tmp_path,
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        out = tc.qemu_run(arch, exe, sysroot=f"/usr/{tc.TRIPLE[arch]}")
        assert out.stdout == b"42\n", out.summary()
        lines = readelf(arch, "-SlW", exe).splitlines()
        assert any(".mynote" in ln and " NOTE " in ln for ln in lines), exe.name
        start = next(int(ln.split()[3], 16) for ln in lines if ".mynote" in ln and " NOTE " in ln)
        notes = [ln.split() for ln in lines if ln.split()[:1] == ["NOTE"]]
        assert any(int(n[2], 16) == start for n in notes), (exe.name, notes)


EXIT_WITH_TABLE = {    # no .rodata in the link: the table is read-only data of another name
    "arm64": ".globl _start\n_start:\n  adrp x1, tab\n  ldr w0, [x1, :lo12:tab]\n  mov x8, #93\n  svc #0\n"
             ".section .tab,\"a\"\n.globl tab\ntab: .word 7\n",
    "riscv64": ".globl _start\n_start:\n  lla a1, tab\n  lw a0, 0(a1)\n  li a7, 93\n  ecall\n"
               ".section .tab,\"a\"\n.globl tab\ntab: .word 7\n",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_insert_after_a_default_section_no_input_went_to(arch, tmp_path):
    """INSERT AFTER .rodata in a link with no .rodata: GNU ld's default script has the
    statement (empty, dropped) and the inserted section takes its place; xld refused ('there
    is no such output section'). Found by review."""
    obj = tc.assemble(arch, EXIT_WITH_TABLE[arch], tmp_path / "s.o")
    (tmp_path / "ins.ld").write_text("SECTIONS { .mytab : { KEEP(*(.tab)) } } INSERT AFTER .rodata;\n")
    (tmp_path / "ro.ld").write_text("SECTIONS { .mytab : { KEEP(*(.tab)) } } INSERT BEFORE .eh_frame;\n")
    for script in ("ins.ld", "ro.ld"):
        gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu", ["-T", str(tmp_path / script)])
        xld = tmp_path / "xld"
        res = tc.xld_link(["-static", "-T", tmp_path / script, "-o", xld, obj])
        assert res.status == 0, res.stderr
        for exe in (gnu, xld):
            assert ".mytab" in sections(arch, exe)
            assert tc.qemu_run(arch, exe).status == 7


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_insert_at_a_section_the_default_script_lacks_is_an_error(arch, tmp_path):
    """INSERT AFTER a name GNU ld's default script for the machine has no statement for: an
    orphan of the inputs (.orph), .sdata on arm64, .got.plt on riscv64 (its script puts
    .got.plt in .got).  GNU ld refuses ('X not found for insert'); xld placed the sections."""
    src = tmp_path / "m.c"
    src.write_text('int x __attribute__((section(".mysec"))) = 5;\n'
                   'int y __attribute__((section(".orph"))) = 7;\nint main(void) { return x + y; }\n')
    obj = tc.compiler("gcc", arch).compile(src, tmp_path / "m.o", ["-O2"])
    other = {"arm64": ".sdata", "riscv64": ".got.plt"}[arch]
    for where, ok in ((".orph", False), (other, False), (".data", True)):
        (tmp_path / "ins.ld").write_text(f"SECTIONS {{ .mysec : {{ *(.mysec) }} }} INSERT AFTER {where};\n")
        gnu = subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ld"), "-static", "-e", "main", "-T",
                              tmp_path / "ins.ld", "-o", tmp_path / "gnu", obj], capture_output=True, text=True)
        assert (gnu.returncode == 0) == ok, gnu.stderr
        assert ok or f"{where} not found for insert" in gnu.stderr, gnu.stderr
        res = tc.xld_link(["-static", "-e", "main", "-T", tmp_path / "ins.ld", "-o", tmp_path / "xld", obj])
        if ok:
            assert res.status == 0, res.stderr
        else:
            assert res.status == 1 and f"ins.ld:1: {where} not found for insert" in res.stderr, res.stderr

@pytest.mark.parametrize("arch", tc.ARCHES)
def test_an_empty_phdrs_segment_passes_verify(arch, tmp_path):
    """A PHDRS segment no section goes to (its one output section got no input) is an empty
    PT_LOAD at 0, after the others, in GNU ld's output and xld's; --verify called it out of
    order and failed the link (tests/test_random_scripts.py seeds 132 and 138)."""
    obj = tc.assemble(arch, ".globl _start\n_start:\n  nop\n.data\n.quad 1\n", tmp_path / "s.o")
    (tmp_path / "e.ld").write_text(
        "PHDRS { text PT_LOAD FLAGS(5); fast PT_LOAD; data PT_LOAD FLAGS(6); }\n"
        "SECTIONS { . = 0x100000; .text : { *(.text) } :text\n"
        "  .fast : { *(.fast) } :fast\n  .data : { *(.data) } :data }\n")
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu", ["-T", str(tmp_path / "e.ld")])
    res = tc.xld_link(["--verify", "-T", tmp_path / "e.ld", "-o", tmp_path / "xld", obj])
    assert res.status == 0, res.stderr
    from elftools.elf.elffile import ELFFile
    for exe in (gnu, tmp_path / "xld"):
        with open(exe, "rb") as f:
            loads = [s for s in ELFFile(f).iter_segments() if s["p_type"] == "PT_LOAD"]
            assert len(loads) == 3 and 0 in [s["p_memsz"] for s in loads], [s.header for s in loads]
            assert [s["p_flags"] for s in loads if not s["p_memsz"]] == [0]

def test_errors_in_included_script_name_that_file(tmp_path):
    """An error in an INCLUDEd script names that script and its line, when read and when laid out."""
    (tmp_path / "frag.ld").write_text("\n  .text : { *(.text) } > NOWHERE\n")
    (tmp_path / "bad.ld").write_text("  .text : { *(.text) } @\n")
    obj = tc.assemble("riscv64", ".globl _start\n_start:\nnop\n", tmp_path / "f.o")
    for name, words in (("frag.ld", "frag.ld:2: memory region not defined: NOWHERE"),
                        ("bad.ld", "bad.ld:1: unexpected character '@'")):
        (tmp_path / "s.ld").write_text(f"SECTIONS {{\n  INCLUDE {name}\n}}\n")
        res = tc.xld_link(["-T", tmp_path / "s.ld", "-L", tmp_path, "-o", tmp_path / "out", obj])
        assert res.status == 1 and words in res.stderr, res.stderr


INIT_C = """
static int order[8], n;
__attribute__((constructor(300))) static void c300(void) { order[n++] = 300; }
__attribute__((constructor(101))) static void c101(void) { order[n++] = 101; }
__attribute__((constructor)) static void cnone(void) { order[n++] = 1; }
__attribute__((constructor(200))) static void c200(void) { order[n++] = 200; }
int first(void) { return order[0]; }
"""
INIT_LD = """SECTIONS {
  . = 0x10000;
  .text : { *(.text*) }
  .init_array : {
    __init_array_start = .;
    KEEP(*(SORT_BY_INIT_PRIORITY(.init_array.*)))
    KEEP(*(SORT_NONE(.init_array)))
    __init_array_end = .;
  }
  .data : { *(.data* .sdata*) }
  .bss : { *(.bss* .sbss*) }
}
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_sort_by_init_priority(arch, tmp_path):
    """SORT_BY_INIT_PRIORITY: .init_array.N by N (101, 200, 300), then the unnumbered one: the
    same .init_array bytes as GNU ld's."""
    (tmp_path / "i.c").write_text(INIT_C)
    (tmp_path / "i.ld").write_text(INIT_LD)
    obj = tc.compiler("gcc", arch).compile(tmp_path / "i.c", tmp_path / "i.o", ["-O2"])
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", ["-T", str(tmp_path / "i.ld"), "-e", "first"])
    res = tc.xld_link(["-T", tmp_path / "i.ld", "-e", "first", "-o", tmp_path / "xld.elf", obj])
    assert res.status == 0, res.stderr
    assert sections(arch, tmp_path / "xld.elf")[".init_array"] == sections(arch, gnu)[".init_array"]

    def init_array(exe):
        out = tmp_path / f"{exe.name}.init"
        subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-objcopy"), "-O", "binary", "-j", ".init_array",
                        str(exe), str(out)], check=True)
        return out.read_bytes()
    want = init_array(gnu)
    assert len(want) == 32 and init_array(tmp_path / "xld.elf") == want


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_overlay(arch, tmp_path):
    """OVERLAY start : NOCROSSREFS AT(lma) { .ov1 {...} .ov2 {...} }: both sections at one
    address, loaded one after the other, '.' past the larger, __load_start_/__load_stop_
    provided: the same sections, PT_LOADs, symbols and flat image as GNU ld (input sections
    of one description in file order, as GNU ld puts them)."""
    cc = tc.compiler("gcc", arch)
    fw = cc.compile(HERE / "firmware.c", tmp_path / "fw.o", FLAGS)
    ov = cc.compile(HERE / "overlay.c", tmp_path / "ov.o", FLAGS)
    script = HERE / "overlay.ld"
    gnu = tc.gnu_ld(arch, [fw, ov], tmp_path / "gnu.elf", ["-T", str(script)])
    xld = tmp_path / "xld.elf"
    res = tc.xld_link(["-T", script, "-o", xld, fw, ov])
    assert res.status == 0, res.stderr
    want = sections(arch, gnu)
    assert want[".ov1"][0] == want[".ov2"][0] == 0x20001000
    assert {k: v[:2] for k, v in sections(arch, xld).items()} == {k: v[:2] for k, v in want.items()}
    assert lma_of(arch, xld) == lma_of(arch, gnu)
    names = ("__load_start_ov1", "__load_stop_ov2", "ov_end")
    assert {k: v[0] for k, v in symbol_values(arch, xld, names).items()} == \
        {k: v[0] for k, v in symbol_values(arch, gnu, names).items()}
    assert objcopy(arch, xld, tmp_path / "xld.bin") == objcopy(arch, gnu, tmp_path / "gnu.bin")


# -- GNU ld's own default script (ld --verbose), as people start their scripts from it --------

@pytest.mark.parametrize("arch", tc.ARCHES)
def test_gnu_default_script_links_static_glibc(arch, tmp_path):
    """A static glibc program linked through gcc with GNU ld's default script (`ld --verbose`)
    as -T: DATA_SEGMENT_ALIGN/RELRO_END/END (as with -z norelro), SORT(CONSTRUCTORS), the
    linker's own .got/.got.plt/.iplt/.rela.iplt placed where the script's descriptions name
    them (IRELATIVE relocations between __rela_iplt_start and __rela_iplt_end), the headers
    loaded with the first segment; it runs as GNU ld's link of the same script does."""
    ld = tc.require(f"{tc.TRIPLE[arch]}-ld")
    verbose = subprocess.run([ld, "--verbose"], capture_output=True, text=True, check=True).stdout
    script = tmp_path / "default.ld"
    script.write_text(verbose.split("=" * 50)[1].split("\n", 1)[1])
    (tmp_path / "h.c").write_text('#include <stdio.h>\n#include <string.h>\n'
                                  'int main(int c, char **v) { printf("hi %zu\\n", strlen(v[0]) > 0 ? c + 41 : 0); return 3; }\n')
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    common = [cc, "-static", "-O2", str(tmp_path / "h.c"), "-Wl,-z,norelro", f"-Wl,-T,{script}"]
    subprocess.run([*common, "-o", str(tmp_path / "gnu")], check=True, capture_output=True)
    wrapper = tc.ld_wrapper_dir(tmp_path)
    p = subprocess.run([*common, "-B", str(wrapper), "-o", str(tmp_path / "xld")], capture_output=True, text=True)
    assert p.returncode == 0 and (wrapper / "called").exists(), p.stderr
    want = tc.qemu_run(arch, tmp_path / "gnu")
    assert (want.status, want.stdout) == (3, b"hi 42\n"), want.summary()
    for got in (tc.qemu_run(arch, tmp_path / "xld"), tc.xld_run(tmp_path / "xld")):
        assert (got.status, got.stdout) == (want.status, want.stdout), got.summary()
    syms = symbol_values(arch, tmp_path / "xld", ("__rela_iplt_start", "__rela_iplt_end"))
    start, end = (int(syms[k][0], 16) for k in ("__rela_iplt_start", "__rela_iplt_end"))
    secs = sections(arch, tmp_path / "xld")
    # (glibc's riscv64 build has no IFUNCs: .rela.plt has no input, only PROVIDE_HIDDENs,
    # and is dropped, as GNU ld drops it)
    assert (".rela.plt" in secs) == (".rela.plt" in sections(arch, tmp_path / "gnu"))
    if ".rela.plt" in secs:
        assert secs[".rela.plt"][0] <= start <= end <= sum(secs[".rela.plt"][:2])
    assert end > start or arch == "riscv64"
    assert ".got" in secs
    # -z relro (gcc's default): DATA_SEGMENT_ALIGN pads so the RELRO part ends on a page,
    # PT_GNU_RELRO covers it (from .tdata past .data.rel.ro); the program still runs
    relro = [a for a in common if a != "-Wl,-z,norelro"]
    p = subprocess.run([*relro, "-B", str(wrapper), "-o", str(tmp_path / "xld-relro")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    ph = re.search(r"GNU_RELRO\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)",
                   readelf(arch, "-l", tmp_path / "xld-relro"))
    assert ph, "no PT_GNU_RELRO"
    lo, hi = int(ph.group(1), 16), int(ph.group(1), 16) + int(ph.group(2), 16)
    secs = sections(arch, tmp_path / "xld-relro")
    rel_ro = secs[".data.rel.ro"]
    assert hi % 4096 == 0 and lo == secs[".tdata"][0] and lo < rel_ro[0] and rel_ro[0] + rel_ro[1] <= hi
    for got in (tc.qemu_run(arch, tmp_path / "xld-relro"), tc.xld_run(tmp_path / "xld-relro")):
        assert (got.status, got.stdout) == (want.status, want.stdout), got.summary()


ALIAS_MAIN = r"""
#include <stdio.h>
extern void my_handler(void);
void handler(void) { puts("handler"); }
void other(void) { puts("other"); }
int main(void) { my_handler(); return 7; }
"""


def gnu_default_script(arch, path: Path, before_text: str) -> Path:
    """GNU ld's default script (`ld --verbose`) with ``before_text`` put before .text."""
    ld = tc.require(f"{tc.TRIPLE[arch]}-ld")
    verbose = subprocess.run([ld, "--verbose"], capture_output=True, text=True, check=True).stdout
    text = verbose.split("=" * 50)[1].split("\n", 1)[1]
    text, n = re.subn(r"^(  \.text\s+:)", before_text.replace("\\", "\\\\") + r"\n\1", text, count=1, flags=re.M)
    assert n == 1
    path.write_text(text)
    return path


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("mode", ["pie", "no-pie", "static"])
def test_gnu_default_script_dynamic_and_script_aliases(arch, mode, tmp_path):
    """GNU ld's default script as -T for the links gcc makes by default (PIE, dynamic), with
    --gc-sections and an alias of an input's function in the script (``my_handler = handler;``,
    the kernel's ``jiffies = jiffies_64;``): it runs as GNU ld's link does, with the same
    program headers (PT_PHDR where the script loads the headers; GNU_STACK, NOTE,
    GNU_EH_FRAME were dropped from a header table counted short), no RWX segment (the orphan
    .note.ABI-tag goes after .note.gnu.build-id, which the script names: its name was cut at
    '-'), .hash named but not made, GNU's .rela.got standing for .rela.dyn and riscv64's
    .got holding .got.plt first.  Before: 'symbol not found: handler'.  The alias is in
    handler's section at its address; --gc-sections keeps what the script refers to (an
    unused ``alias_other = other`` too, as lld: GNU ld drops other and gives the alias 0)."""
    script = gnu_default_script(arch, tmp_path / "default.ld", "  my_handler = handler;\n  alias_other = other;")
    src = tmp_path / "m.c"
    src.write_text(ALIAS_MAIN)
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    flags = {"pie": [], "no-pie": ["-no-pie"], "static": ["-static"]}[mode]
    common = [cc, *flags, "-O1", "-ffunction-sections", str(src), "-Wl,--gc-sections", f"-Wl,-T,{script}"]
    wrapper = tc.ld_wrapper_dir(tmp_path)
    p = subprocess.run([*common, "-B", str(wrapper), "-o", str(tmp_path / "xld")], capture_output=True, text=True)
    assert p.returncode == 0 and (wrapper / "called").exists(), p.stderr
    assert "RWX" not in p.stderr
    # GNU ld with the same script (its unused alias refers to what it drops: left out)
    gnu_script = gnu_default_script(arch, tmp_path / "gnu.ld", "  my_handler = handler;")
    gnu_cmd = [a if a != f"-Wl,-T,{script}" else f"-Wl,-T,{gnu_script}" for a in common]
    subprocess.run([*gnu_cmd, "-o", str(tmp_path / "gnu")], check=True, capture_output=True)
    sysroot = f"/usr/{tc.TRIPLE[arch]}"
    want = tc.qemu_run(arch, tmp_path / "gnu", sysroot=sysroot)
    assert (want.status, want.stdout) == (7, b"handler\n"), want.summary()
    got = tc.qemu_run(arch, tmp_path / "xld", sysroot=sysroot)
    assert (got.status, got.stdout) == (want.status, want.stdout), got.summary()
    ours, theirs = program_headers(arch, tmp_path / "xld"), program_headers(arch, tmp_path / "gnu")
    assert sorted(h[0] for h in ours) == sorted(h[0] for h in theirs)
    assert not [h for h in ours if h[0] == "LOAD" and "W" in h[6] and "E" in h[6]]
    phdr = [h for h in ours if h[0] == "PHDR"]
    assert phdr == [h for h in theirs if h[0] == "PHDR"][:len(phdr)]          # (same place)
    order = [n for n in sections(arch, tmp_path / "xld")]
    assert order.index(".note.ABI-tag") == order.index(".note.gnu.build-id") + 1
    syms = symbol_values(arch, tmp_path / "xld", ("handler", "my_handler", "other", "alias_other"))
    assert syms["my_handler"] == syms["handler"] and syms["alias_other"] == syms["other"]
    assert syms["handler"][1] != "ABS"


def test_section_and_file_names_keep_their_dashes():
    """GNU ld reads ``.note.gnu.build-id`` and ``crt-x.o`` as one name each where a section or
    file name is (the expression lexer alone would make ``.note.gnu.build`` at address
    ``-id``); in an expression '-' still subtracts."""
    from xld.link import script as sc
    s = sc.Parser("SECTIONS { .note.gnu.build-id : { *(.note.gnu.build-id) KEEP(*crt-x.o(.a-b .c)) }\n"
                  ".x-y 0x100 - 4 : { *(x) } a = b - c; }", "t.ld").parse()
    note, xy, a = s.sections
    assert (note.name, note.addr) == (".note.gnu.build-id", None)
    assert note.commands[0].patterns == [".note.gnu.build-id"]
    assert (note.commands[1].file_pattern, note.commands[1].patterns) == ("*crt-x.o", [".a-b", ".c"])
    assert (xy.name, xy.addr) == (".x-y", ("bin", "-", ("num", 256), ("num", 4)))
    assert a.expr == ("bin", "-", ("sym", "b", 2), ("sym", "c", 2))


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_far_section_under_script_gets_thunk(arch, tmp_path):
    """A script puts a function 256 MiB from its caller: AArch64 reaches it through a thunk
    (the script's addresses are its own, so the thunk pass lays out to see it; the thunk goes
    at the end of .text), RISC-V directly; the program runs as GNU ld's does."""
    obj = tc.compiler("gcc", arch).compile(HERE / "far.c", tmp_path / "far.o", ["-O2", "-fno-pie"])
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", ["-T", str(HERE / "far.ld")])
    xld = tmp_path / "xld.elf"
    res = tc.xld_link(["-T", HERE / "far.ld", "-o", xld, obj])
    assert res.status == 0, res.stderr
    assert sections(arch, xld)[".far"][0] == 0x10400000
    want = tc.qemu_run(arch, gnu)
    assert (want.status, want.stdout) == (42, b"far\n"), want.summary()
    for got in (tc.qemu_run(arch, xld), tc.xld_run(xld)):
        assert (got.status, got.stdout) == (want.status, want.stdout), got.summary()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_version_in_script_two_scripts_output(arch, tmp_path, monkeypatch):
    """VERSION { ... } in a -T script versions a shared library as --version-script does;
    two -T scripts read as one (MEMORY in one, SECTIONS in the other, as GNU ld); OUTPUT(file)
    names the output when -o is not given; BLOCK is ALIGN; TARGET of an ELF name."""
    monkeypatch.chdir(tmp_path)
    cc = tc.compiler("gcc", arch)
    (tmp_path / "l.c").write_text("int f(void) { return 1; }\nint g(void) { return 2; }\n")
    lib = cc.compile(tmp_path / "l.c", tmp_path / "l.o", ["-O2", "-fPIC"])
    (tmp_path / "v.ld").write_text("VERSION { V1 { global: f; local: *; }; }\n")
    gnu = tc.gnu_ld(arch, [lib], tmp_path / "gnu.so", ["-shared", "-T", str(tmp_path / "v.ld")])
    res = tc.xld_link(["-shared", "-T", tmp_path / "v.ld", "-o", tmp_path / "xld.so", lib])
    assert res.status == 0, res.stderr

    def dynsyms(so):
        return sorted(m for m in re.findall(r"\s(\w+@+\w+)\s*$", readelf(arch, "--dyn-syms", so), re.M))
    assert dynsyms(tmp_path / "xld.so") == dynsyms(gnu) and "f@@V1" in dynsyms(gnu)
    assert " g" not in readelf(arch, "--dyn-syms", tmp_path / "xld.so")

    text = (HERE / "firmware.ld").read_text()
    memory, rest = text.split("ENTRY(_start)")
    (tmp_path / "mem.ld").write_text(memory + "TARGET(elf64-little" + ("aarch64" if arch == "arm64" else "riscv") + ")\n")
    (tmp_path / "sec.ld").write_text("OUTPUT(from-script.elf)\nENTRY(_start)" +
                                     rest.replace("__table_start = .;", ". = BLOCK(8); __table_start = .;"))
    obj = cc.compile(HERE / "firmware.c", tmp_path / "fw.o", FLAGS)
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", ["-T", "mem.ld", "-T", "sec.ld"])
    res = tc.xld_link(["-T", "mem.ld", "-T", "sec.ld", obj])
    assert res.status == 0, res.stderr
    assert (tmp_path / "from-script.elf").exists() and not (tmp_path / "a.out").exists()
    assert {k: v[:2] for k, v in sections(arch, tmp_path / "from-script.elf").items()} == \
        {k: v[:2] for k, v in sections(arch, gnu).items()}


# -- linker scripts given as inputs (libc.so-style), as GNU ld reads them ------------------------

INPUT_MAIN = """
extern int x_val(void), inner_val(void), deep_val(void), root_val(void), dollar_val(void);
static long sys1(long n, long a) {
#if defined(__aarch64__)
  register long x8 __asm__("x8") = n, x0 __asm__("x0") = a;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8) : "memory"); return x0;
#else
  register long a7 __asm__("a7") = n, a0 __asm__("a0") = a;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory"); return a0;
#endif
}
void _start(void) { sys1(93, x_val() + inner_val() + deep_val() + root_val() + dollar_val()); }
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_input_scripts_as_gnu_ld_reads_them(arch, tmp_path):
    """-lwrap finds a script: quoted and unquoted names, a comment, OUTPUT_FORMAT with a bare
    BFD name, SEARCH_DIR (a library found through it by -l), AS_NEEDED, '=' and '$SYSROOT' under
    --sysroot, a name found in the library directories, and a nested script; the same program
    as GNU ld links."""
    cc = tc.compiler("gcc", arch)
    lib, sub, root = tmp_path / "lib", tmp_path / "lib" / "sub", tmp_path / "root"
    for d in (sub, root / "usr" / "lib"):
        d.mkdir(parents=True)
    parts = {"x": lib / "libx.a", "inner": sub / "libinner.a", "deep": lib / "libdeep.a",
             "root": root / "usr" / "lib" / "libroot.a", "dollar": root / "usr" / "lib" / "libdollar.a"}
    for k, (name, path) in enumerate(parts.items()):
        (tmp_path / f"{name}.c").write_text(f"int {name}_val(void) {{ return {k + 1}; }}\n")
        tc.archive(arch, [cc.compile(tmp_path / f"{name}.c", tmp_path / f"{name}.o", ["-O2"])], path)
    fmt = "elf64-littleaarch64" if arch == "arm64" else "elf64-littleriscv"
    (lib / "libwrap.a").write_text(f"/* GNU ld script */\nOUTPUT_FORMAT({fmt})\nSEARCH_DIR({sub})\n"
                                   f'GROUP ( "libx.a" -linner libnested.a AS_NEEDED ( =/usr/lib/libroot.a ) '
                                   f"$SYSROOT/usr/lib/libdollar.a )\n")
    (lib / "libnested.a").write_text("INPUT(libdeep.a)\n")
    main = cc.compile(tmp_path / "m.c", tmp_path / "m.o", ["-O2", "-fno-pie"]) if (tmp_path / "m.c").write_text(INPUT_MAIN) else None
    args = ["-static", f"--sysroot={root}", "-L", str(lib), str(main), "-lwrap"]
    gnu = tc.gnu_ld(arch, [], tmp_path / "gnu", args)
    res = tc.xld_link([*args, "-o", tmp_path / "xld"])
    assert res.status == 0, res.stderr
    want = tc.qemu_run(arch, gnu)
    assert want.status == 15, want.summary()
    assert tc.qemu_run(arch, tmp_path / "xld").status == 15


IMPLICIT_MAIN = r"""
#include <stdio.h>
extern char rom_base[];
extern int my_alias(void);
extern char prov[] __attribute__((weak));
int real_fn(void) { return 5; }
int main(void) { printf("%p %d %p\n", (void *)rom_base, my_alias(), (void *)prov); return 0; }
"""
IMPLICIT_SCRIPT = """/* symbols for the program */
rom_base = 0x4000;
my_alias = real_fn;
PROVIDE(prov = 0x10);
PROVIDE(unused_prov = 0x20);
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("mode", ["-static", "-no-pie"])
def test_assignments_in_a_script_given_as_an_input(arch, mode, tmp_path):
    """A text file among the inputs is a linker script, whatever its first word (GNU ld's
    rule; xld knew only scripts that begin with GROUP, INPUT ...), and its assignments define
    symbols as --defsym does (a number, or a symbol plus or minus one; a PROVIDE only for a
    name something refers to): was 'assignments in a linker script given as an input is not
    supported'.  Same output and symbol values as GNU ld's program."""
    src, script = tmp_path / "im.c", tmp_path / "syms.ld"
    src.write_text(IMPLICIT_MAIN)
    script.write_text(IMPLICIT_SCRIPT)
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    wrapper = tc.ld_wrapper_dir(tmp_path)
    common = [cc, mode, "-O1", "-Wl,--gc-sections", str(src), str(script)]
    subprocess.run([*common, "-o", str(tmp_path / "gnu")], check=True, capture_output=True)
    p = subprocess.run([*common, "-B", str(wrapper), "-o", str(tmp_path / "xld")], capture_output=True, text=True)
    assert p.returncode == 0 and (wrapper / "called").exists(), p.stderr
    sysroot = f"/usr/{tc.TRIPLE[arch]}"
    want = tc.qemu_run(arch, tmp_path / "gnu", sysroot=sysroot)
    assert want.stdout == b"0x4000 5 0x10\n", want.summary()
    got = tc.qemu_run(arch, tmp_path / "xld", sysroot=sysroot)
    assert (got.status, got.stdout) == (want.status, want.stdout), got.summary()
    names = ("rom_base", "my_alias", "real_fn", "prov", "unused_prov")
    ours, theirs = (symbol_values(arch, tmp_path / n, names) for n in ("xld", "gnu"))
    assert {k: ours[k] for k in ("rom_base", "prov")} == {k: theirs[k] for k in ("rom_base", "prov")}
    assert "unused_prov" not in ours and "unused_prov" not in theirs
    assert ours["my_alias"][0] == ours["real_fn"][0] and theirs["my_alias"][0] == theirs["real_fn"][0]
    assert ours["rom_base"] == ("0000000000004000", "ABS")


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_gnu_default_shared_script_and_a_librarys_entry(arch, tmp_path):
    """GNU ld's -shared default script (`ld --verbose -shared`) links a library that a
    program uses as GNU ld's does; its ENTRY(_start), which a library does not define, asks
    for nothing (xld warned and set e_entry to .text); `-e missing` on a library warns 'not
    setting start address' and leaves e_entry 0, as GNU ld (xld defaulted to .text)."""
    ld = tc.require(f"{tc.TRIPLE[arch]}-ld")
    verbose = subprocess.run([ld, "--verbose", "-shared"], capture_output=True, text=True, check=True).stdout
    script = tmp_path / "shared.ld"
    script.write_text(verbose.split("=" * 50)[1].split("\n", 1)[1])
    (tmp_path / "lib.c").write_text("int val(void) { return 1; }\nint get(void) { return val() + 41; }\n")
    (tmp_path / "m.c").write_text('#include <stdio.h>\nint get(void);\nint main(void) { printf("%d\\n", get()); return 0; }\n')
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    wrapper = tc.ld_wrapper_dir(tmp_path)
    lib = [cc, "-O1", "-fPIC", "-shared", str(tmp_path / "lib.c"), f"-Wl,-T,{script}"]
    p = subprocess.run([*lib, "-B", str(wrapper), "-o", str(tmp_path / "libx.so")], capture_output=True, text=True)
    assert p.returncode == 0 and "warning" not in p.stderr, p.stderr
    subprocess.run([*lib, "-o", str(tmp_path / "libg.so")], check=True, capture_output=True)
    entries = [re.search(r"Entry point address:\s+(0x[0-9a-f]+)", readelf(arch, "-h", tmp_path / n)).group(1)
               for n in ("libx.so", "libg.so")]
    assert entries == ["0x0", "0x0"]
    outs = []
    for n in ("x", "g"):
        (tmp_path / "liblib.so").write_bytes((tmp_path / f"lib{n}.so").read_bytes())
        subprocess.run([cc, "-O1", str(tmp_path / "m.c"), "-L", str(tmp_path), "-llib", "-o", str(tmp_path / f"m{n}")],
                       check=True)
        run = tc.run_group([tc.QEMU[arch], "-L", f"/usr/{tc.TRIPLE[arch]}", "-E", f"LD_LIBRARY_PATH={tmp_path}",
                            str(tmp_path / f"m{n}")], timeout=60)
        outs.append(run.stdout)
    assert outs == [b"42\n", b"42\n"]
    p = subprocess.run([cc, "-B", str(wrapper), "-O1", "-fPIC", "-shared", str(tmp_path / "lib.c"), "-Wl,-e,missing",
                        "-o", str(tmp_path / "libe.so")], capture_output=True, text=True)
    assert p.returncode == 0 and "cannot find entry symbol missing; not setting start address" in p.stderr
    assert re.search(r"Entry point address:\s+0x0\b", readelf(arch, "-h", tmp_path / "libe.so"))


CXX_THROW = r"""
#include <cstdio>
#include <stdexcept>
#include <string>
struct E : std::runtime_error { int code; E(int c) : std::runtime_error("E"), code(c) {} };
int main() {
    try { throw E(42); } catch (const std::exception &e) { printf("caught %s %d\n", e.what(), dynamic_cast<const E &>(e).code); }
    return 0;
}
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_cxx_exceptions_under_gnu_default_script(arch, tmp_path):
    """A static C++ program that throws, linked with GNU ld's default script: its .eh_frame
    inputs of alignment 8 were placed with zeros between them, which the unwinder reads as
    the end of the table (std::terminate: SIGABRT), silently; they are packed to 4 as the
    default layout packs them, and the table has one terminator, at its end."""
    import struct
    from elftools.elf.elffile import ELFFile
    ld = tc.require(f"{tc.TRIPLE[arch]}-ld")
    verbose = subprocess.run([ld, "--verbose"], capture_output=True, text=True, check=True).stdout
    script = tmp_path / "default.ld"
    script.write_text(verbose.split("=" * 50)[1].split("\n", 1)[1])
    (tmp_path / "t.cc").write_text(CXX_THROW)
    cxx = tc.require(f"{tc.TRIPLE[arch]}-g++")
    wrapper = tc.ld_wrapper_dir(tmp_path)
    common = [cxx, "-static", "-O1", str(tmp_path / "t.cc"), f"-Wl,-T,{script}"]
    subprocess.run([*common, "-o", str(tmp_path / "gnu")], check=True, capture_output=True)
    p = subprocess.run([*common, "-B", str(wrapper), "-o", str(tmp_path / "xld")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    want = tc.qemu_run(arch, tmp_path / "gnu")
    assert (want.status, want.stdout) == (0, b"caught E 42\n"), want.summary()
    for got in (tc.qemu_run(arch, tmp_path / "xld"), tc.xld_run(tmp_path / "xld")):
        assert (got.status, got.stdout) == (want.status, want.stdout), got.summary()
    with open(tmp_path / "xld", "rb") as f:
        data = ELFFile(f).get_section_by_name(".eh_frame").data()
    pos = 0
    while struct.unpack_from("<I", data, pos)[0]:
        pos += 4 + struct.unpack_from("<I", data, pos)[0]
    assert pos == len(data) - 4             # the only zero length: the terminator at the end


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_load_regions_and_provide_as_gnu_ld(arch, tmp_path):
    """A section in the same region as the one before it, with no address, AT or AT> of its
    own, is loaded in that one's load region (loaded data after it, a NOLOAD .bss at its end:
    a PT_LOAD of its own), ALIGN(16) aligns the load address too; PROVIDE after an assignment
    of the name is not taken, one before it is overridden, two PROVIDEs: the first; a
    PROVIDE_HIDDEN name is local; a section of data only is read-only, one of moves of '.'
    only zero-fill and writable: the same sections, program headers, symbols and image as
    GNU ld's."""
    obj = tc.compiler("gcc", arch).compile(HERE / "loadregion.c", tmp_path / "lr.o", FLAGS)
    script = HERE / "loadregion.ld"
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", ["-T", str(script)])
    xld = tmp_path / "xld.elf"
    res = tc.xld_link(["-T", script, "-o", xld, obj])
    assert res.status == 0, res.stderr
    assert sections(arch, xld) == sections(arch, gnu)
    assert section_flags(arch, xld) == section_flags(arch, gnu)
    assert section_flags(arch, gnu)[".rotable"] == "A" and section_flags(arch, gnu)["._user_heap_stack"] == "WA"
    assert sections(arch, gnu)["._user_heap_stack"][2] == "NOBITS"
    # (vaddr, paddr, filesz, memsz, flags): the offset of a segment without bytes aside
    want = [h[2:7] for h in program_headers(arch, gnu) if h[0] == "LOAD"]
    assert [h[2:7] for h in program_headers(arch, xld) if h[0] == "LOAD"] == want
    assert len(want) == 5                 # .bss, the heap: segments of their own, loaded where ROM ends
    names = ("_sdata", "_sidata", "_sidata2", "start_of_bss", "table_end", "ram_top", "end")
    got = symbol_values(arch, xld, names)
    assert {k: v[0] for k, v in got.items()} == {k: v[0] for k, v in symbol_values(arch, gnu, names).items()}
    assert int(got["_sidata"][0], 16) % 16 == 0 and int(got["_sdata"][0], 16) == 0x80000
    assert (int(got["table_end"][0], 16), int(got["ram_top"][0], 16)) == (0x111, 0x90000)
    assert bindings(arch, xld, names) == bindings(arch, gnu, names)
    assert bindings(arch, xld, names)["start_of_bss"] == "LOCAL"
    assert objcopy(arch, xld, tmp_path / "xld.bin") == objcopy(arch, gnu, tmp_path / "gnu.bin")


def section_flags(arch, exe) -> dict[str, str]:
    return dict(re.findall(r"^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+[0-9a-f]{16}\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+([A-Z]*)",
                           readelf(arch, "-S", exe), re.M))


def bindings(arch, exe, names) -> dict[str, str]:
    return {m.group(2): m.group(1) for m in re.finditer(r"^\s*\d+:\s+\S+\s+\d+\s+\S+\s+(\S+)\s+\S+\s+\S+\s+(\S+)$",
                                                         readelf(arch, "-s", exe), re.M) if m.group(2) in names}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_sections_without_inputs_and_orphans_as_gnu_ld(arch, tmp_path):
    """A section of data only is read-only where the data comes first, writable after an
    assignment; one of moves of '.' only is writable zero-fill; the orphan .eh_frame follows
    .rodata: the same sections (address, size, type, flags) and image as GNU ld's."""
    obj = tc.compiler("gcc", arch).compile(HERE / "loadregion.c", tmp_path / "lr.o", ["-O2", "-fno-pie", "-fasynchronous-unwind-tables"])
    script = HERE / "noinputs.ld"
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", ["-T", str(script)])
    xld = tmp_path / "xld.elf"
    res = tc.xld_link(["-T", script, "-o", xld, obj])
    assert res.status == 0, res.stderr
    assert ".eh_frame" in sections(arch, gnu)
    assert sections(arch, xld) == sections(arch, gnu)
    assert section_flags(arch, xld) == section_flags(arch, gnu)
    assert sections(arch, gnu)[".stack"][2] == "NOBITS" and section_flags(arch, gnu)[".d1"] == "A"
    assert objcopy(arch, xld, tmp_path / "xld.bin") == objcopy(arch, gnu, tmp_path / "gnu.bin")


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_fill_phase_and_load_alignment_as_gnu_ld(arch, tmp_path):
    """A script's =fill pattern starts afresh at each gap (GNU ld's padding; xld continued it
    from the section's start), SUBALIGN(16) aligns the section as its inputs, and a section
    that takes the VMA-LMA difference of the one before it has its load address aligned as
    the section: the same sections, load addresses and flat image as GNU ld's."""
    obj = tc.compiler("gcc", arch).compile(HERE / "fill.c", tmp_path / "fill.o", [*FLAGS, "-fdata-sections"])
    script = HERE / "fill.ld"
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", ["-T", str(script)])
    xld = tmp_path / "xld.elf"
    res = tc.xld_link(["-T", script, "-o", xld, obj])
    assert res.status == 0, res.stderr
    # (an empty .bss aside: xld keeps it)
    assert {k: v for k, v in sections(arch, xld).items() if v[1]} == sections(arch, gnu)
    assert lma_of(arch, xld) == lma_of(arch, gnu)
    assert lma_of(arch, gnu)[".data2"] % 16 == 0
    image = objcopy(arch, gnu, tmp_path / "gnu.bin")
    assert b"123456\0\x11\x22\x33\x44" in image and b"xy\0\x11\x22\x33\x44" in image
    assert objcopy(arch, xld, tmp_path / "xld.bin") == image


SUBALIGNED = ('.globl _start\n.text\n_start: .word 0\n.byte 1\n.section .rodata.a,"a"\n.balign 16\n.byte 1\n'
              '.section .rodata.b,"a"\n.balign 4\n.byte 2\n.section .rodata.c,"a"\n.byte 3\n')


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("sub", [8, 32])
def test_subalign_below_an_inputs_alignment(arch, sub, tmp_path):
    """SUBALIGN(8) places each input at 8, but the section keeps the 16 its first input asked
    for (GNU ld: sh_addralign 16, the section at 0x1010); xld aligned it to 8 only (at 0x1008).
    Found by tests/test_random_scripts.py."""
    obj = tc.assemble(arch, SUBALIGNED, tmp_path / "a.o")
    script = tmp_path / "s.ld"
    script.write_text(f"SECTIONS {{ . = 0x1000; .text : {{ *(.text) }} .rodata : SUBALIGN({sub}) {{ *(.rodata.*) }} }}\n")
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", ["-T", str(script)])
    res = tc.xld_link(["-T", script, "-o", tmp_path / "xld.elf", obj])
    assert res.status == 0, res.stderr
    def align(exe):
        return re.search(r"\.rodata .*", readelf(arch, "-S", exe)).group(0).split()[-1]
    assert align(tmp_path / "xld.elf") == align(gnu) == str(max(sub, 16))
    assert {k: v for k, v in sections(arch, tmp_path / "xld.elf").items() if v[1]} == sections(arch, gnu)
    assert objcopy(arch, tmp_path / "xld.elf", tmp_path / "x.bin") == objcopy(arch, gnu, tmp_path / "g.bin")


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("tail", ["", "LONG(7)"])
def test_fill_after_the_last_input(arch, tail, tmp_path):
    """`.text : { *(.text) . = ALIGN(16); } =0x11223344`: GNU ld fills the gap after the last
    input with the pattern; xld left zeros there unless the section also had data or a FILL.
    Found by tests/test_random_scripts.py."""
    obj = tc.assemble(arch, ".globl _start\n.text\n_start: .word 0\n.short 5\n", tmp_path / "b.o")
    script = tmp_path / "s.ld"
    script.write_text(f"SECTIONS {{ . = 0x1000; .text : {{ *(.text) . = ALIGN(16); {tail} }} =0x11223344 }}\n")
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", ["-T", str(script)])
    res = tc.xld_link(["-T", script, "-o", tmp_path / "xld.elf", obj])
    assert res.status == 0, res.stderr
    image = objcopy(arch, gnu, tmp_path / "gnu.bin")
    assert image[6:10] == bytes.fromhex("11223344")
    assert objcopy(arch, tmp_path / "xld.elf", tmp_path / "xld.bin") == image


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_fill_patterns_of_hex_digits(arch, tmp_path):
    """A bare hex fill (`=0x46d2`, `FILL(0x123)`) is a pattern of its digits' bytes (GNU ld:
    46 d2 46 d2 ...; 01 23 ...); xld always wrote 4 bytes (00 00 46 d2 ...). Other
    expressions are 4 bytes in both. Found by tests/test_random_scripts.py."""
    obj = tc.assemble(arch, ".globl _start\n.text\n_start: .word 0\n.short 5\n", tmp_path / "b.o")
    for k, (outer, inner) in enumerate([("=0x46d2", ""), ("=(0x0046d2)", ""), ("=0x11223344556677", ""),
                                        ("=0x46d2+0", ""), ("=1234", ""), ("", "FILL(0x123)"),
                                        ("=0x8899aabb", "FILL(0xc0de)")]):
        script = tmp_path / f"s{k}.ld"
        script.write_text(f"SECTIONS {{ . = 0x1000; .text : {{ *(.text) {inner} . = ALIGN(16); LONG(7) . = ALIGN(64); }} {outer} }}\n")
        gnu = tc.gnu_ld(arch, [obj], tmp_path / f"gnu{k}.elf", ["-T", str(script)])
        res = tc.xld_link(["-T", script, "-o", tmp_path / f"xld{k}.elf", obj])
        assert res.status == 0, res.stderr
        assert objcopy(arch, tmp_path / f"xld{k}.elf", tmp_path / f"x{k}.bin") == objcopy(arch, gnu, tmp_path / f"g{k}.bin"), (outer, inner)


COMMONS = {"a.c": "int zeta, alpha[4], mid; long big[100]; char c1; int f(void) { return zeta + mid; }\n",
           "b.c": "int b1, b0[3]; char c; long q[2]; int mid; int _start(void) { return b1 + c; }\n"}


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("sort", [None, "--sort-common"])
@pytest.mark.parametrize("script", [True, False])
def test_commons_in_gnu_lds_order(arch, sort, script, tmp_path):
    """COMMON symbols (-fcommon) go into .bss as GNU ld puts them: each file's in turn, in the
    order of GNU ld's symbol hash table (by alignment first with --sort-common); xld placed
    them in the order it first saw their names, which moved every one (.bss 8 bytes larger
    too), each file's aligned as its largest. The same places from the first on, with a script
    or without. Found by tests/test_random_scripts.py."""
    objs = []
    for name, text in COMMONS.items():
        (tmp_path / name).write_text(text)
        objs.append(tc.compiler("gcc", arch).compile(tmp_path / name, tmp_path / name.replace(".c", ".o"),
                                                     [*FLAGS, "-fcommon"]))
    (tmp_path / "s.ld").write_text("SECTIONS { . = 0x10000; .text : { *(.text*) } .bss : { *(.bss*) *(COMMON) } }\n")
    extra = (["-T", str(tmp_path / "s.ld")] if script else []) + ([sort] if sort else [])
    gnu = tc.gnu_ld(arch, objs, tmp_path / "gnu.elf", extra)
    res = tc.xld_link([*extra, "-o", tmp_path / "xld.elf", *objs])
    assert res.status == 0, res.stderr
    names = ("zeta", "alpha", "mid", "big", "c1", "b1", "b0", "c", "q")

    def placed(exe):
        text = readelf(arch, "-s", exe)
        vals = {n: int(m.group(1), 16) for n in names
                for m in [re.search(rf"^\s*\d+:\s+([0-9a-f]+)\s.*\s{n}$", text, re.M)] if m}
        return {n: v - min(vals.values()) for n, v in vals.items()}      # (GNU ld adds a .got.plt before .bss)
    assert placed(tmp_path / "xld.elf") == placed(gnu)


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("sort", ["--sort-common", "--sort-common=ascending"])
def test_sort_common_walks_alignments_over_16_together(arch, sort, tmp_path):
    """--sort-common: GNU ld walks its symbol table once per alignment, 16 and over together
    (descending: first; ascending: last), in the table's order within a walk; xld sorted 64
    before 32 (found in review)."""
    obj = tc.assemble(arch, "".join(f".comm {n},4,{a}\n" for n, a in
                                    [("c32a", 32), ("c1a", 1), ("c16a", 16), ("c64a", 64), ("c8a", 8), ("c2a", 2)])
                      + ".globl _start\n.text\n_start: ret\n", tmp_path / "c.o")
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", [sort])
    res = tc.xld_link([sort, "-o", tmp_path / "xld.elf", obj])
    assert res.status == 0, res.stderr

    def order(exe):
        text = readelf(arch, "-s", exe)
        return sorted((int(m.group(1), 16), m.group(2)) for m in re.finditer(r"^\s*\d+:\s+([0-9a-f]+)\s.*\s(c\d+a)$", text, re.M))
    assert [n for _, n in order(tmp_path / "xld.elf")] == [n for _, n in order(gnu)]
    assert len(order(gnu)) == 6


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_orphan_code_gaps_are_zeros(arch, tmp_path):
    """Under a script, the gaps between the inputs of an orphan code section are zeros, as
    GNU ld writes them (as in the script's own sections without =fill); xld wrote nops.
    Found by tests/test_random_scripts.py."""
    nop = {"arm64": "nop", "riscv64": "addi x0, x0, 0"}[arch]
    obj = tc.assemble(arch, f'.globl _start\n.text\n_start: {nop}\n.section .orph,"ax"\n{nop}\n'
                            f'.section .orph,"ax"\n.balign 4\n.section .orph2,"ax"\n.balign 16\n{nop}\n', tmp_path / "o.o")
    obj2 = tc.assemble(arch, f'.section .orph,"ax"\n.balign 32\n{nop}\n', tmp_path / "p.o")
    script = tmp_path / "s.ld"
    script.write_text("SECTIONS { . = 0x1000; .text : { *(.text) } }\n")
    gnu = tc.gnu_ld(arch, [obj, obj2], tmp_path / "gnu.elf", ["-T", str(script)])
    res = tc.xld_link(["-T", script, "-o", tmp_path / "xld.elf", obj, obj2])
    assert res.status == 0, res.stderr
    image = objcopy(arch, gnu, tmp_path / "gnu.bin")
    assert bytes(8) in image
    assert objcopy(arch, tmp_path / "xld.elf", tmp_path / "xld.bin") == image


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_negative_script_symbol(arch, tmp_path):
    """`neg = -0x800;` is 0xfffffffffffff800, as GNU ld gives it; xld stopped with an internal
    error (OverflowError) storing it. Found by tests/test_random_scripts.py."""
    obj = tc.assemble(arch, ".globl _start\n.text\n_start: .word 0\n.data\n.quad neg\n.quad neg + 0x1000\n", tmp_path / "n.o")
    script = tmp_path / "s.ld"
    script.write_text("SECTIONS { . = 0x1000; .text : { *(.text) } .data : { *(.data) } neg = -0x800; }\n")
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", ["-T", str(script)])
    res = tc.xld_link(["-T", script, "-o", tmp_path / "xld.elf", obj])
    assert res.status == 0, res.stderr
    image = objcopy(arch, gnu, tmp_path / "gnu.bin")
    assert (0xFFFFFFFFFFFFF800).to_bytes(8, "little") in image
    assert objcopy(arch, tmp_path / "xld.elf", tmp_path / "xld.bin") == image


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("gc", [False, True])
def test_addr_and_loadaddr_of_an_empty_section(arch, gc, tmp_path):
    """ADDR and LOADADDR of a script's section nothing went to (its code removed by
    --gc-sections, or none at all) are where the section would be, as GNU ld evaluates them
    (the firmware idiom `_sifast = LOADADDR(.fast)`); xld gave 0. Found by
    tests/test_random_scripts.py."""
    fast = '.section .fast.f,"ax"\n.word 5\n' if gc else ""
    obj = tc.assemble(arch, f'.globl _start\n.text\n_start: .word 0\n.data\n.quad 1\n{fast}', tmp_path / "e.o")
    script = tmp_path / "s.ld"
    script.write_text("MEMORY { FLASH (rx) : ORIGIN = 0x10000, LENGTH = 64K\n RAM (rwx) : ORIGIN = 0x40000, LENGTH = 64K }\n"
                      "ENTRY(_start)\nSECTIONS { .text : { *(.text) } > FLASH\n .data : { *(.data) } > RAM AT> FLASH\n"
                      " .fast : ALIGN(16) { *(.fast*) } > RAM AT> FLASH\n .after : { LONG(9) } > RAM AT> FLASH\n"
                      " fast_load = LOADADDR(.fast); fast_addr = ADDR(.fast); after_load = LOADADDR(.after); }\n")
    extra = ["-T", str(script)] + (["--gc-sections"] if gc else [])
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", extra)
    res = tc.xld_link([*extra, "-o", tmp_path / "xld.elf", obj])
    assert res.status == 0, res.stderr

    def values(exe):
        text = readelf(arch, "-s", exe)
        return {n: re.search(rf"^\s*\d+:\s+([0-9a-f]+)\s.*\s{n}$", text, re.M).group(1)
                for n in ("fast_load", "fast_addr", "after_load")}
    assert values(tmp_path / "xld.elf") == values(gnu)
    assert int(values(gnu)["fast_load"], 16) > 0x10000
    assert objcopy(arch, tmp_path / "xld.elf", tmp_path / "x.bin") == objcopy(arch, gnu, tmp_path / "g.bin")


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("after", ["_etext = .;", "PROVIDE(_etext = .); . = ALIGN(64); _x = .;",
                                   "_etext = .; . = ALIGN(64); _x = .;", ". = ALIGN(64); _etext = .;"])
def test_orphan_after_the_assignments_that_follow_its_section(arch, after, tmp_path):
    """GNU ld puts an orphan after the symbol assignments that follow the section it joins
    (`.text : {...} _etext = .;`: _etext is .text's end) but before a move of '.' there;
    xld put it right after the section (_etext past the orphan). Found by
    tests/test_random_scripts.py."""
    obj = tc.assemble(arch, '.globl _start\n.text\n_start: .word 0\n.section .orph,"ax"\n.word 1\n.word 2\n'
                            '.data\n.quad 3\n', tmp_path / "o.o")
    script = tmp_path / "s.ld"
    script.write_text(f"SECTIONS {{ . = 0x1000; .text : {{ *(.text) }} {after}\n .data : {{ *(.data) }} }}\n")
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", ["-T", str(script)])
    res = tc.xld_link(["-T", script, "-o", tmp_path / "xld.elf", obj])
    assert res.status == 0, res.stderr

    def values(exe):
        text = readelf(arch, "-s", exe)
        return {n: m.group(1) for n in ("_etext", "_x")
                for m in [re.search(rf"^\s*\d+:\s+([0-9a-f]+)\s.*\s{n}$", text, re.M)] if m}
    assert values(tmp_path / "xld.elf") == values(gnu)
    assert {k: v for k, v in sections(arch, tmp_path / "xld.elf").items() if v[1]} == sections(arch, gnu)


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_phdrs_section_loaded_apart_from_its_segment(arch, tmp_path):
    """PHDRS puts .data and .fast in one PT_LOAD, but AT> FLASH loads .fast at FLASH's next
    byte (0x100c), not 16-aligned as its address is: no PT_LOAD can load both. GNU ld says
    "section `.fast' can't be allocated in segment 1" yet writes an ELF whose .fast bytes are
    outside its segment; xld wrote .fast where the segment puts it (0x1014 in the flat image,
    not 0x100c). Now an error naming both. Found by tests/test_random_scripts.py."""
    obj = tc.assemble(arch, '.globl _start\n.text\n_start: .word 0\n.data\n.quad 1\n.section .fast,"ax"\n'
                            '.balign 16\n.word 2\n', tmp_path / "p.o")
    script = tmp_path / "s.ld"
    script.write_text("MEMORY { FLASH (rx) : ORIGIN = 0x1000, LENGTH = 4K\n RAM (rwx) : ORIGIN = 0x8000, LENGTH = 4K }\n"
                      "PHDRS { text PT_LOAD; data PT_LOAD; }\n"
                      "SECTIONS {\n .text : { *(.text) } > FLASH :text\n .data : { *(.data) } > RAM AT> FLASH :data\n"
                      " .fast : { *(.fast) } > RAM AT> FLASH :data\n}\n")
    gnu = subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ld"), "-T", str(script), "-o", str(tmp_path / "gnu"),
                          str(obj)], capture_output=True, text=True)
    assert "can't be allocated in segment" in gnu.stderr
    res = tc.xld_link(["-T", script, "-o", tmp_path / "xld", obj])
    assert res.status == 1 and not (tmp_path / "xld").exists()
    assert re.search(r"s\.ld:3: section '\.fast' is loaded at 0x100c, not where program header 'data' loads it "
                     r"\(0x1014\)", res.stderr), res.stderr


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_phdrs_and_the_isas_own_header(arch, tmp_path):
    """With PHDRS, GNU ld still writes riscv64's PT_RISCV_ATTRIBUTES (first, before the
    script's headers; SIZEOF_HEADERS counts it); xld wrote only the script's. arm64: none.
    Found by tests/test_random_scripts.py."""
    obj = tc.assemble(arch, ".globl _start\n.text\n_start: .word 0\n.section .rodata\n.word 1\n.data\n.quad 2\n"
                            ".bss\n.zero 64\n", tmp_path / "h.o")
    script = tmp_path / "s.ld"
    script.write_text("PHDRS { text PT_LOAD FILEHDR PHDRS; data PT_LOAD; }\nENTRY(_start)\n"
                      "SECTIONS { . = 0x10000 + SIZEOF_HEADERS; .text : { *(.text*) } :text\n"
                      " .rodata : { *(.rodata*) *(.srodata*) } :text\n . = ALIGN(0x1000);\n"
                      " .data : { *(.data*) *(.sdata*) *(.table*) } :data\n .bss : { *(.bss*) *(.sbss*) *(COMMON) } :data\n"
                      " /DISCARD/ : { *(.comment) *(.note*) *(.eh_frame*) } }\n")
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu.elf", ["-T", str(script)])
    res = tc.xld_link(["-T", script, "-o", tmp_path / "xld.elf", obj])
    assert res.status == 0, res.stderr

    def headers(exe):
        return re.findall(r"^\s+([A-Z_]+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)",
                          readelf(arch, "-l", exe), re.M)
    assert headers(tmp_path / "xld.elf") == headers(gnu)
    assert (headers(gnu)[0][0] == "RISCV_ATTRIBUT") == (arch == "riscv64")
    assert sections(arch, tmp_path / "xld.elf") == sections(arch, gnu)


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_headers_of_a_program_with_an_interpreter_are_loaded_from_the_page_below(arch, tmp_path):
    """GNU ld's default script with ``. = SEGMENT_START(...) + 0x1000`` where it says
    ``+ SIZEOF_HEADERS`` (the headers do not end right at .interp): GNU ld loads the ELF and
    program headers from the start of the page below the first section, and so does xld now,
    so PT_PHDR is in a PT_LOAD and the dynamic program runs as GNU ld's. Before: PT_PHDR at
    0x40, in no PT_LOAD, and ld.so stopped ('rtld_setup_main_map: Assertion ... failed',
    exit 127). With no room below the first section (``. = 0x100``) both refuse: 'PHDR segment
    not covered by LOAD segment', and xld leaves no output (found by the random relocations'
    seed 1097, riscv64 -pie, whose script puts .text at 0x40000)."""
    src = tmp_path / "m.c"
    src.write_text('#include <stdio.h>\nint v = 7;\nint main(void) { printf("hello %d\\n", v); return 3; }\n')
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    wrapper = tc.ld_wrapper_dir(tmp_path)
    script = gnu_default_script(arch, tmp_path / "d.ld", "")
    text, n = re.subn(r"\+ SIZEOF_HEADERS;", "+ 0x1000;", script.read_text(), count=1)
    assert n == 1
    script.write_text(text)
    sysroot = f"/usr/{tc.TRIPLE[arch]}"
    runs, phdrs = {}, {}
    for who, use in (("gnu", []), ("xld", ["-B", str(wrapper)])):
        p = subprocess.run([cc, *use, str(src), f"-Wl,-T,{script}", "-o", str(tmp_path / who)],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        r = tc.qemu_run(arch, tmp_path / who, sysroot=sysroot)
        runs[who] = (r.status, r.stdout)
        phdrs[who] = [h for h in program_headers(arch, tmp_path / who) if h[0] == "PHDR"]
    assert runs["gnu"] == (3, b"hello 7\n")
    assert runs["xld"] == runs["gnu"]
    assert phdrs["xld"] == phdrs["gnu"]
    first = [h for h in program_headers(arch, tmp_path / "xld") if h[0] == "LOAD"][0]
    assert first[1] == "0x000000" and int(first[2], 16) <= int(phdrs["xld"][0][2], 16)
    low = tmp_path / "low.ld"
    low.write_text(re.sub(r'\. = SEGMENT_START\("text-segment", 0x[0-9a-f]+\) \+ 0x1000;', ". = 0x100;", text))
    for who, use in (("gnu", []), ("xld", ["-B", str(wrapper)])):
        out = tmp_path / f"low_{who}"
        p = subprocess.run([cc, *use, str(src), f"-Wl,-T,{low}", "-o", str(out)], capture_output=True, text=True)
        assert p.returncode != 0 and "PHDR segment not covered by LOAD segment" in p.stderr, p.stderr
        assert not out.exists()
    assert "xld: error: PHDR segment not covered by LOAD segment" in p.stderr and "Traceback" not in p.stderr


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_empty_output_sections_are_dropped_as_gnu_ld(arch, tmp_path):
    """A script's section that only assigns symbols, with no input (``.a1 : ALIGN(0x1000) {
    a1 = .; } > ROM``), is not in GNU ld's output: its symbols keep their values, in the
    section kept before it, and it takes no room in its MEMORY region, so the next section
    there starts where the last kept one ended.  xld wrote an empty header for each and
    moved the region on: .a2 and .data's load address went 0xf00 bytes higher (a2 and
    d_lma 0x11000, GNU ld's 0x10100)."""
    obj = tc.compile_c(arch, "long vals[8];\nvoid _start(void) { for (;;) vals[0]++; }\n", tmp_path,
                       ["-O1", "-fno-pie", "-fno-asynchronous-unwind-tables"])
    script = HERE / "emptysecs.ld"
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu", ["-T", str(script)])
    res = tc.xld_link(["-T", script, "-o", tmp_path / "xld", obj])
    assert res.status == 0, res.stderr
    names = ("a1", "a1_after", "a2", "a2_after", "a3", "a3_lma", "a4_lma", "a4_vma", "a4_size",
             "a5", "a6_after", "d_start", "d_end", "d_lma")
    want = {k: v for k, (v, _) in symbol_values(arch, gnu, names).items()}
    assert len(want) == len(names) and want["a2"] == want["d_lma"] == "0000000000010100", want
    assert {k: v for k, (v, _) in symbol_values(arch, tmp_path / "xld", names).items()} == want
    # the symbols of a dropped section are in the section kept before it
    assert symbol_values(arch, tmp_path / "xld", ("a1", "a5"))["a1"][1] == \
        str(list(sections(arch, tmp_path / "xld")).index(".text") + 1)
    got, exp = sections(arch, tmp_path / "xld"), sections(arch, gnu)
    assert list(got) == list(exp) == [".text", ".a2", ".data"], (got, exp)
    assert {k: v[0] for k, v in got.items() if k != ".text"} == {k: v[0] for k, v in exp.items() if k != ".text"}
    assert lma_of(arch, tmp_path / "xld")[".data"] == lma_of(arch, gnu)[".data"] == 0x10100


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("mode", ["static", "pie"])
def test_dot_symbols_outside_sections_are_in_gnu_lds_sections(arch, mode, tmp_path):
    """OpenSBI's ``PROVIDE(_fw_start = .)`` (before .text), ``_fw_rw_start`` (after a move of
    '.', before .data) and ``_fw_end`` (after .bss): GNU ld's symbol table gives each the
    section its assignment belongs to (ldlang.c's section_for_dot), xld wrote SHN_ABS (`nm`
    said A, not T/B; a debugger moving the image moves none of them).  The same values and
    sections as GNU ld; numbers, ABSOLUTE(.) and a copy of a symbol stay absolute.  (PIE: the
    sections by name only, GNU ld's own .hash moves the addresses after .text.)"""
    src = "int d = 1;\nint b[4];\nint *p = &d;\nvoid _start(void) { for (;;) b[0] += *p; }\n"
    obj = tc.compile_c(arch, src, tmp_path, ["-O1", "-fPIE", "-fno-asynchronous-unwind-tables"])
    script = HERE / "dotsyms.ld"
    how = ["-pie", "--no-dynamic-linker"] if mode == "pie" else []
    ld = tc.require(f"{tc.TRIPLE[arch]}-ld")
    subprocess.run([ld, *how, "-T", str(script), "-o", str(tmp_path / "gnu"), str(obj)], check=True,
                   capture_output=True)
    res = tc.xld_link([*how, "-T", script, "-o", tmp_path / "xld", obj])
    assert res.status == 0, res.stderr
    names = ("s_before", "s_num", "s_text_end", "s_gap", "s_gap_arith", "s_abs", "s_copy", "s_aligned",
             "s_data_end", "s_al1", "s_end", "s_after", "s_nonalloc")

    def placed(exe):
        secs = ["", *[m.group(1) for m in re.finditer(r"^\s*\[\s*\d+\]\s+(\S+)", readelf(arch, "-S", exe), re.M)][1:]]
        return {k: (v, secs[int(n)] if n.isdigit() else n) for k, (v, n) in symbol_values(arch, exe, names).items()}

    want, got = placed(tmp_path / "gnu"), placed(tmp_path / "xld")
    assert len(want) == len(names)
    assert want["s_before"][1] == want["s_text_end"][1] == ".text" and want["s_gap"][1] == ".data", want
    assert want["s_end"][1] == want["s_after"][1] == want["s_nonalloc"][1] == ".bss", want
    assert want["s_num"][1] == want["s_abs"][1] == want["s_copy"][1] == "ABS", want
    if mode == "pie":
        want, got = ({k: v[1] for k, v in d.items()} for d in (want, got))
    assert got == want


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("case", ["symbol", "section", "symbol-at-0"])
def test_dot_read_after_a_nonallocated_section_is_refused(arch, case, tmp_path):
    """GNU ld moves '.' past a script's non-allocated section (``.comment : { ... }``: to '.'
    plus its size; ``.comment 0 : { ... }``: to its size, 0x1f or so) and places what follows
    there; xld's '.' stays after the allocated sections, so a symbol set from '.' there (or a
    section placed there) got another value, silently: refused now, naming both places.  Set
    again ('. = 0x7000;') or not read, it links as GNU ld links it."""
    obj = tc.compile_c(arch, "int d = 1;\nvoid _start(void) { for (;;) ; }\n", tmp_path,
                       ["-O1", "-fno-pie", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"])
    comment = ".comment 0 : { *(.comment) }" if case == "symbol-at-0" else ".comment : { *(.comment) }"
    after = ".extra : { LONG(7) }" if case == "section" else "x_after = .;"
    text = (f"ENTRY(_start)\nSECTIONS {{\n  . = 0x1000;\n  .text : {{ *(.text) }}\n"
            f"  .data : {{ *(.data .sdata) }}\n  {comment}\n  {after}\n  y = . + 4;\n}}\n")
    script = tmp_path / "t.ld"
    script.write_text(text)
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu", ["-T", str(script)])
    gv = symbol_values(arch, gnu, ("x_after", "y", "d"))
    assert int(gv["y"][0], 16) < 0x1000 or int(gv["y"][0], 16) > int(gv["d"][0], 16) + 8, gv
    res = tc.xld_link(["-T", script, "-o", tmp_path / "xld", obj])
    assert res.status != 0 and not (tmp_path / "xld").exists(), res.stderr
    assert f"{script}:7: " in res.stderr and "reads '.' after the non-allocated output section .comment" in res.stderr
    assert f"({script}:6)" in res.stderr and "Traceback" not in res.stderr, res.stderr
    # '.' set again before it is read: the same values as GNU ld
    script.write_text(text.replace(f"  {after}\n", f"  . = 0x7000;\n  {after}\n"))
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu2", ["-T", str(script)])
    res = tc.xld_link(["-T", script, "-o", tmp_path / "xld2", obj])
    assert res.status == 0, res.stderr
    names = ("x_after", "y", "d")
    assert {k: v[0] for k, v in symbol_values(arch, tmp_path / "xld2", names).items()} == \
        {k: v[0] for k, v in symbol_values(arch, gnu, names).items()}
