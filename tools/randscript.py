"""Random bare-metal programs and linker scripts for differential link tests: the same
objects linked by GNU ld and by xld with the same ``-T`` script must give the same image
(tests/test_random_scripts.py compares sections, program headers, symbols, bytes).

The C files are freestanding (no libc, ``_start`` of their own) and use what firmware uses:
initialised data copied from its load address, zero-fill and ``.noinit`` areas, a table of
entries in ``.table.NN`` sections walked between script symbols (KEEP'd, sorted by name),
functions placed in RAM (``.fast.*``), code and data in sections the script does not name
(orphans), and the script's own symbols read by code and stored in data.  The script takes,
at random: MEMORY regions with ``>`` and ``AT>`` or plain ``. =`` addresses with ``AT()``,
ALIGN, SUBALIGN, assignments to ``.`` between and in sections, PROVIDE/PROVIDE_HIDDEN/HIDDEN,
KEEP, SORT_BY_NAME/SORT_BY_ALIGNMENT, EXCLUDE_FILE, /DISCARD/, ADDR/LOADADDR/SIZEOF/ALIGNOF,
ASSERT, FILL and ``=fill``, BYTE/SHORT/LONG/QUAD, a NOLOAD section, a stack made by moving
``.``, MIN/MAX/ORIGIN/LENGTH/CONSTANT, PHDRS, and (riscv64) ``__global_pointer$``.  Link flags: --gc-sections (with -ffunction-sections),
-z max-page-size.  ``python -m xld.tools.randscript SEED DIR [ARCH]`` writes one case into DIR
and prints its files, script and link flags."""
from __future__ import annotations

import random
import sys
from pathlib import Path

# symbols the script defines that the C code reads (all scripts define them)
SCRIPT_SYMS = ("_sdata", "_edata", "_sidata", "_sbss", "_ebss", "__table_start", "__table_end",
               "_estack", "__data_size", "__table_align", "__text_addr", "__fast_load")


def gen(seed: int, out: Path, arch: str = "arm64") -> tuple[list[str], list[str], list[str]]:
    """Write case ``seed`` into ``out``: its C files (u0.c first) and ``link.ld``; return the
    files, the compiler flags and the linker flags (besides ``-T link.ld``)."""
    R = random.Random(seed)
    n = R.randint(2, 4)
    gc = R.random() < 0.4
    cflags = [R.choice(["-O1", "-O2", "-Os"])] + (["-ffunction-sections", "-fdata-sections"] if gc else [])
    if R.random() < 0.3:
        cflags.append("-fcommon")
    lflags = (["--gc-sections"] if gc else []) + (["-z", f"max-page-size={R.choice(['0x1000', '0x10000'])}"]
                                                   if R.random() < 0.5 else [])
    funcs = {i: [f"f{i}_{k}" for k in range(R.randint(1, 4))] for i in range(n)}
    data = {i: [f"d{i}_{k}" for k in range(R.randint(1, 3))] for i in range(n)}
    ro = {i: [f"r{i}_{k}" for k in range(R.randint(0, 3))] for i in range(n)}
    zero = {i: [f"z{i}_{k}" for k in range(R.randint(0, 3))] for i in range(n)}
    orphan = R.random() < 0.4
    hdr = ["typedef unsigned long ul;", "struct ent { int tu, v; int (*fn)(int); };",
           "extern char " + ", ".join(f"{s}[]" for s in SCRIPT_SYMS) + ";"]
    for i in range(n):
        hdr += [f"int {f}(int);" for f in funcs[i]] + [f"int fast{i}(int);"]
        hdr += [f"extern int {d}[];" for d in data[i]] + [f"extern const int {r}[];" for r in ro[i]]
        hdr += [f"extern int {z}[];" for z in zero[i]]
    (out / "common.h").write_text("\n".join(hdr) + "\n")
    for i in range(n):
        L = ['#include "common.h"']
        for d in data[i]:
            vals = ", ".join(str(R.randint(-999, 999)) for _ in range(R.randint(1, 6)))
            L.append(f"{'__attribute__((aligned(%d))) ' % R.choice([16, 32]) if R.random() < 0.2 else ''}int {d}[] = {{{vals}}};")
        for r in ro[i]:
            vals = ", ".join(str(R.randint(0, 99999)) for _ in range(R.randint(1, 5)))
            L.append(f"const int {r}[] = {{{vals}}};")
        for z in zero[i]:
            L.append(f"int {z}[{R.choice([1, 4, 33, 256])}];")
        L.append(f"static int counter{i} = {R.randint(1, 9)};")
        L.append(f'__attribute__((section(".noinit"))) int noinit{i}[{R.randint(1, 8)}];')
        for k in range(R.randint(0 if i else 1, 3)):
            fn = R.choice(funcs[R.randrange(n)])
            L.append(f'__attribute__((used, section(".table.{R.randint(0, 99):02d}"))) static const struct ent '
                     f"ent{i}_{k} = {{{i}, {R.randint(0, 999)}, {fn}}};")
        if orphan and (i == 0 or R.random() < 0.6):      # (u0's are reached from _start: kept by --gc-sections)
            L.append(f'__attribute__((used, section(".orphan_ro"))) static const int orph{i}[] = {{{i}, 7}};')
            L.append(f'__attribute__((section(".orphan_text"), noinline)) int orphf{i}(int x) {{ return x * {i + 3}; }}')
        L.append(f'__attribute__((section(".fast.f{i}"), noinline)) int fast{i}(int x) '
                 f"{{ return x * {R.randint(2, 9)} + counter{i}++; }}")
        for k, f in enumerate(funcs[i]):
            body = [f"int {f}(int x) {{", f"  int r = x + counter{i};"]
            for _ in range(R.randint(1, 3)):
                c = R.random()
                j = R.randrange(n)
                if c < 0.3:
                    body.append(f"  r += {R.choice(data[j])}[r & 0];")
                elif c < 0.45 and ro[j]:
                    body.append(f"  r ^= {R.choice(ro[j])}[0];")
                elif c < 0.6 and k + 1 < len(funcs[i]):
                    body.append(f"  if (x > 0) r += {funcs[i][k + 1]}(x - 1);")
                elif c < 0.7:
                    body.append(f"  r += fast{j}(r);")
                elif c < 0.8 and zero[j]:
                    body.append(f"  {R.choice(zero[j])}[0] += r;")
                else:
                    s = R.choice(SCRIPT_SYMS)
                    body.append(f"  r += (int)(ul){s};")
            body += ["  return r;", "}"]
            L += body
        if i == 0:
            L.append("const ul meta[] = {" + ", ".join(f"(ul){s}" for s in SCRIPT_SYMS) + "};")
            L.append("volatile ul sink;")
            L.append('__attribute__((section(".text.start"), noreturn)) void _start(void) {')
            L.append("  char *s = _sidata, *d = _sdata;")
            L.append("  while (d < _edata) *d++ = *s++;")
            L.append("  for (char *b = _sbss; b < _ebss; b++) *b = 0;")
            L.append("  for (const struct ent *e = (const struct ent *)__table_start;"
                     " e < (const struct ent *)__table_end; e++) sink += e->fn(e->v);")
            L += [f"  sink += {funcs[j][0]}({R.randint(0, 5)});" for j in range(n)]
            L.append("  sink += meta[sink & 7];")
            if orphan:
                L.append("  sink += orph0[1] + orphf0((int)sink);")
            L.append("  for (;;) ;")
            L.append("}")
        (out / f"u{i}.c").write_text("\n".join(L) + "\n")
    (out / "link.ld").write_text(script(R, arch, n))
    return [f"u{i}.c" for i in range(n)], cflags, lflags


def script(R: random.Random, arch: str, n: int) -> str:
    """A random linker script for the program: regions or plain addresses, the sections the
    C files need, the symbols they read."""
    regions = R.random() < 0.7
    flash = R.choice([0x10000000, 0x08000000, 0x20000000])
    ram = flash + R.choice([0x1000000, 0x4000000, 0x800000])
    L = []
    if regions:
        L.append("MEMORY\n{")
        L.append(f"  FLASH (rx) : ORIGIN = {flash:#x}, LENGTH = {R.choice(['256K', '1M', '0x80000'])}")
        L.append(f"  RAM (rwx) : ORIGIN = {ram:#x}, LENGTH = {R.choice(['128K', '512K'])}")
        L.append("}")
    phdrs = regions and R.random() < 0.25
    if phdrs:       # (code and read-only data, the data loaded in FLASH, the zero-fill)
        L.append("PHDRS\n{\n  text PT_LOAD FLAGS(5);\n  data PT_LOAD;\n  fast PT_LOAD;\n  bss PT_LOAD FLAGS(6);\n}")
    L.append("ENTRY(_start)")
    L.append("SECTIONS\n{")
    ro, rw = (" > FLASH", " > RAM AT> FLASH") if regions else ("", "")
    zf = " > RAM" if regions else ""
    if phdrs:
        # (the zero-fill loaded where it runs: AT> FLASH carried on from .fast would load each
        # at FLASH's next byte, which their RAM alignment does not keep in step)
        ro, rw, zf = ro + " :text", rw + " :data", " > RAM AT> RAM :bss"
    # (.fast apart: AT> FLASH loads it at FLASH's next byte, not aligned as its address in RAM
    # is, so it cannot share .data's PT_LOAD)
    rwf = rw.replace(":data", ":fast")

    def gap():      # a move of '.' between output sections
        if R.random() < 0.3:
            L.append(f"  . = ALIGN({R.choice([8, 16, 64, 256])});")

    if not regions:
        L.append(f"  . = {flash:#x};")
    excl = R.random() < 0.4
    pat = "*(EXCLUDE_FILE(*u1.o) .text .text.*)" if excl else "*(.text .text.*)"
    fill = f" ={R.randint(0, 2**32 - 1):#010x}" if R.random() < 0.3 else ""
    align = f" ALIGN({R.choice([16, 64])})" if R.random() < 0.3 else ""
    L.append(f"  .text :{align} {{\n    KEEP(*(.text.start))\n    {pat}\n    . = ALIGN({R.choice([4, 8, 16])});\n  }}{ro}{fill}")
    if excl:
        L.append(f"  .text.u1 : {{ *u1.o(.text .text.*) }}{ro}")
    L.append("  __text_addr = ADDR(.text);")
    if R.random() < 0.5:
        L.append(f"  {R.choice(['PROVIDE', 'PROVIDE_HIDDEN', 'HIDDEN'])}(_etext = .);")
    gap()
    sort = R.choice(["", "SORT_BY_ALIGNMENT", "SORT_BY_NAME"])
    rod = f"{sort}(.rodata) {sort}(.rodata.*)" if sort else ".rodata .rodata.*"      # (one pattern each)
    body = [f"*({rod})", "*(.srodata .srodata.*)"]
    if R.random() < 0.4:
        body.insert(1, f"FILL({R.randint(0, 0xffff):#x}) . = ALIGN({R.choice([16, 32])});")
    if R.random() < 0.5:
        body.append(R.choice(["BYTE(0x5a)", "SHORT(0x1234)", "LONG(ADDR(.text))", "QUAD(__text_addr + 16)",
                              "LONG(0xdeadbeef) BYTE(1)"]))
    sub = " SUBALIGN(8)" if R.random() < 0.2 else ""
    L.append(f"  .rodata :{sub} {{\n    " + "\n    ".join(body) + f"\n  }}{ro}")
    L.append(f"  .table : ALIGN({R.choice([8, 16])}) {{\n    PROVIDE(__table_start = .);\n"
             f"    KEEP(*(SORT_BY_NAME(.table.*)))\n    __table_end = .;\n"
             + ("    QUAD(__table_end - __table_start)\n" if R.random() < 0.4 else "") + f"  }}{ro}")
    L.append("  __table_align = ALIGNOF(.table);")
    gap()
    if not regions:
        L.append(f"  . = {ram:#x};")
    lma = "" if regions else " AT(LOADADDR(.table) + SIZEOF(.table))"
    L.append(f"  .data :{lma} ALIGN(8) {{\n    _sdata = .;\n    *(.data .data.*)")
    if arch == "riscv64" and R.random() < 0.4:
        L.append("    PROVIDE(__global_pointer$ = . + 0x800);")
    L.append(f"    *(.sdata .sdata.*)\n    . = ALIGN(8);\n    _edata = .;\n  }}{rw}")
    L.append("  _sidata = LOADADDR(.data);")
    L.append("  __data_size = SIZEOF(.data);")
    lma = "" if regions else " AT(LOADADDR(.data) + SIZEOF(.data))"
    L.append(f"  .fast :{lma} {{ *(.fast .fast.*) }}{rwf}")
    L.append("  __fast_load = LOADADDR(.fast);")
    gap()
    noload = " (NOLOAD)" if R.random() < 0.5 else ""
    L.append(f"  .bss{noload} : {{\n    _sbss = .;\n    *(.bss .bss.* .sbss .sbss.*)\n    *(COMMON)\n"
             f"    . = ALIGN(8);\n    _ebss = .;\n  }}{zf}")
    L.append(f"  .noinit (NOLOAD) : {{ *(.noinit) }}{zf}")
    size = R.choice([0x400, 0x1000])
    L.append(f"  .stack : ALIGN(16) {{ . = . + {size:#x}; }}{zf}")
    L.append(f"  {R.choice(['PROVIDE(_estack = .);', '_estack = ADDR(.stack) + SIZEOF(.stack);'])}")
    L.append('  ASSERT(_ebss <= _estack, "no room for the stack")')
    if regions and R.random() < 0.5:
        L.append('  ASSERT(LOADADDR(.fast) + SIZEOF(.fast) <= ORIGIN(FLASH) + LENGTH(FLASH), "FLASH full")')
    if R.random() < 0.4:
        L.append(f"  __heap_start = ALIGN(_ebss, MAX({R.choice([8, 16])}, __table_align));")
        L.append(f"  __heap_size = MIN(CONSTANT(MAXPAGESIZE), {R.choice(['0x800', '0x100000'])});")
    if R.random() < 0.5:
        L.append("  PROVIDE(_unused_provide = 0x1234);")
    L.append("  /DISCARD/ : { *(.comment) *(.note*) *(.eh_frame*) }")
    L.append("}")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    d = Path(sys.argv[2])
    d.mkdir(parents=True, exist_ok=True)
    files, cflags, lflags = gen(int(sys.argv[1]), d, sys.argv[3] if len(sys.argv) > 3 else "arm64")
    print(" ".join(files), "|", " ".join(cflags), "|", " ".join(lflags))
