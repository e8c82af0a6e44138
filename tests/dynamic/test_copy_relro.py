"""Copies of a library's read-only data in a -fno-pie program go in RELRO (GNU ld, lld).

A COPY relocation makes the program hold the variable; when the library keeps it read-only
(a const table in .rodata, a const pointer table in .data.rel.ro inside its PT_GNU_RELRO),
GNU ld puts the copy in the program's .data.rel.ro and lld in .bss.rel.ro, both inside
PT_GNU_RELRO: ld.so makes it read-only after relocating, and a write faults.  xld puts it in
.bss.rel.ro (docs/dynamic.md); writable data still goes to .dynbss.  -z norelro: every copy
writable, as GNU ld's.  The library is GNU ld's; the programs are compiled once with gcc
-fno-pie and linked by gcc -no-pie with GNU ld and with xld, and run under qemu-user and
xld run.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests import toolchain as tc
from tests.dynamic.util import run

PROGS = Path(__file__).parent / "progs"
pytestmark = tc.skip_unless(all(tc.which(f"{t}-gcc") for t in tc.TRIPLE.values())
                            and all(tc.which(q) for q in tc.QEMU.values()),
                            "cross gcc and qemu-user are needed")

READ_ONLY, WRITABLE = ("ctab", "ptab"), ("wvar", "wtab")
PRINTED = "11 22 33 44 one two three 27 52"


def _build(tmp: Path, arch: str, flags=()) -> tuple[Path, Path]:
    """(GNU ld's program, xld's program), next to GNU ld's libconsts.so."""
    gcc = f"{tc.TRIPLE[arch]}-gcc"
    run([gcc, "-O1", "-fPIC", "-shared", PROGS / "libconsts.c", "-o", tmp / "libconsts.so"])
    obj = tmp / "useconsts.o"
    run([gcc, "-O1", "-fno-pie", "-c", PROGS / "useconsts.c", "-o", obj])
    out = []
    for linker in ("gnu", "xld"):
        use = ["-B", tc.ld_wrapper_dir(tmp)] if linker == "xld" else []
        exe = tmp / f"useconsts-{linker}"
        run([gcc, *use, "-no-pie", *flags, obj, "-L", tmp, "-lconsts", "-Wl,-rpath,$ORIGIN", "-o", exe])
        out.append(exe)
    return out[0], out[1]


def _copies(exe: Path) -> dict[str, tuple[bool, bool]]:
    """Each copied variable of the test: (inside PT_GNU_RELRO, in a writable section)."""
    with open(exe, "rb") as f:
        e = ELFFile(f)
        relro = [(s["p_vaddr"], s["p_vaddr"] + s["p_memsz"]) for s in e.iter_segments()
                 if s["p_type"] == "PT_GNU_RELRO"]
        copied = {}
        for s in e.get_section_by_name(".dynsym").iter_symbols():
            if s.name in READ_ONLY + WRITABLE:
                assert s["st_shndx"] != "SHN_UNDEF", f"{s.name} is not copied in"
                sec = e.get_section(s["st_shndx"])
                lo, hi = s["st_value"], s["st_value"] + s["st_size"]
                copied[s.name] = (any(a <= lo and hi <= b for a, b in relro), bool(sec["sh_flags"] & 1))
    return copied


def _qemu(arch: str, exe: Path, *args) -> tc.RunResult:
    return tc.qemu_run(arch, exe, args, sysroot=f"/usr/{tc.TRIPLE[arch]}")


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_copies_of_read_only_library_data_are_relro(tmp_path, arch):
    gnu, xld = _build(tmp_path, arch)
    want = {**{n: (True, True) for n in READ_ONLY}, **{n: (False, True) for n in WRITABLE}}
    assert _copies(gnu) == want, "GNU ld's placement is not what the test expects"
    assert _copies(xld) == want
    for args, lines in (((), [PRINTED]), (("c",), [PRINTED, "write to the const copy: SIGSEGV"]),
                        (("p",), [PRINTED, "write to the const copy: SIGSEGV"])):
        g, x = _qemu(arch, gnu, *args), _qemu(arch, xld, *args)
        assert (g.status, g.stdout.decode().splitlines()) == (0, lines), g.summary()
        assert (x.status, x.stdout) == (g.status, g.stdout), x.summary() + x.stderr.decode()
        e = tc.xld_run(xld, args)
        assert (e.status, e.stdout) == (g.status, g.stdout), e.summary() + e.stderr.decode()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_norelro_leaves_every_copy_writable(tmp_path, arch):
    gnu, xld = _build(tmp_path, arch, ["-Wl,-z,norelro"])
    assert {n: w for n, (_, w) in _copies(xld).items()} == dict.fromkeys(READ_ONLY + WRITABLE, True)
    g, x = _qemu(arch, gnu, "c"), _qemu(arch, xld, "c")
    assert (g.status, g.stdout.decode().splitlines()) == (1, [PRINTED, "write went through"]), g.summary()
    assert (x.status, x.stdout) == (g.status, g.stdout), x.summary() + x.stderr.decode()
