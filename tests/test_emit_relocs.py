"""--emit-relocs / -q: the final relocations kept in the executable, compared with GNU ld's.

Real C programs (the e2e programs with their own _start, -O2 -g), linked by GNU ld and by xld
with --emit-relocs; `readelf -r` of both:
- the same relocation sections, with the same number of relocations each (RISC-V: relaxed
  sites keep their rows, as R_RISCV_NONE / the relaxed type, as GNU ld writes them);
- arm64, and riscv64 with --no-relax: the same relocations, each named by where it is (the
  function and the offset in it), its type, its symbol and, for a named symbol, its addend;
- riscv64 with relaxation: the same types apart from those relaxation decides (xld and GNU ld
  may relax different sites);
- the program still runs as GNU ld's does (qemu-user and `xld run`).
"""
from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests import toolchain as tc

PROGS = Path(__file__).parent / "e2e" / "progs"
FLAGS = ["-O2", "-g", "-fno-pie"]
# what RISC-V relaxation may turn a site (and its R_RISCV_RELAX) into
RELAXED = {"R_RISCV_CALL", "R_RISCV_CALL_PLT", "R_RISCV_JAL", "R_RISCV_RVC_JUMP", "R_RISCV_HI20",
           "R_RISCV_LO12_I", "R_RISCV_LO12_S", "R_RISCV_RVC_LUI", "R_RISCV_GPREL_I", "R_RISCV_GPREL_S",
           "R_RISCV_NONE", "R_RISCV_RELAX", "R_RISCV_PCREL_HI20", "R_RISCV_PCREL_LO12_I",
           "R_RISCV_PCREL_LO12_S", "R_RISCV_TPREL_HI20", "R_RISCV_TPREL_ADD", "R_RISCV_TPREL_LO12_I",
           "R_RISCV_TPREL_LO12_S"}
_ROW = re.compile(r"^([0-9a-f]+)\s+[0-9a-f]+\s+(R_\S+)\s+(?:[0-9a-f]+\s+(.*?)\s+([+-])\s+([0-9a-f]+)|([0-9a-f]+))\s*$")


def readelf(arch, *args) -> str:
    return subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-readelf"), "-W", *map(str, args)],
                          capture_output=True, text=True, check=True).stdout


def relocations(arch, exe) -> dict[str, list[tuple[int, str, str, int]]]:
    """Relocation section -> [(offset, type, symbol name or '', addend)]."""
    out: dict[str, list] = {}
    cur = None
    for line in readelf(arch, "-r", exe).splitlines():
        m = re.match(r"Relocation section '([^']+)'", line)
        if m:
            cur = out.setdefault(m.group(1), [])
            continue
        m = _ROW.match(line.strip())
        if m and cur is not None:
            if m.group(6) is not None:
                cur.append((int(m.group(1), 16), m.group(2), "", int(m.group(6), 16)))
            else:
                a = int(m.group(5), 16)
                cur.append((int(m.group(1), 16), m.group(2), m.group(3), -a if m.group(4) == "-" else a))
    return out


def functions(arch, exe) -> list[tuple[int, int, str]]:
    rows = re.findall(r"^\s*\d+:\s+([0-9a-f]+)\s+(\d+)\s+FUNC\s+\S+\s+\S+\s+\S+\s+(\S+)", readelf(arch, "-s", exe), re.M)
    return sorted((int(v, 16), int(n), name) for v, n, name in rows)


def placed(arch, exe, section: str) -> Counter:
    """The relocations of ``section`` by where they are: (function, offset in it, type, symbol,
    addend of a named symbol)."""
    funcs = functions(arch, exe)
    got = Counter()
    for off, typ, sym, add in relocations(arch, exe)[section]:
        where = next(((name, off - v) for v, n, name in funcs if v <= off < v + max(n, 1)), ("?", 0))
        section_sym = sym.startswith(".") and not sym.startswith(".L")
        got[(*where, typ, sym, None if section_sym else add)] += 1
    return got


@pytest.fixture(scope="module", params=tc.ARCHES)
def objects(request, tmp_path_factory):
    arch = request.param
    d = tmp_path_factory.mktemp(f"emit-{arch}")
    sources = sorted((PROGS / "common").glob("*.c")) + sorted((PROGS / "tables").glob("*.c"))
    objs = tc.compiler("gcc", arch).compile_many(sources, d / "obj", FLAGS)
    return arch, d, objs


def link_both(arch, d, objs, extra, tag):
    gnu = tc.gnu_ld(arch, objs, d / f"gnu{tag}", ["--emit-relocs", *extra])
    xld = d / f"xld{tag}"
    res = tc.xld_link(["-static", "-q", *extra, "-o", xld, *objs])
    assert res.status == 0, res.stderr
    return gnu, xld


@pytest.mark.parametrize("extra", [[], ["--no-relax"], ["--gc-sections"]], ids=["default", "no-relax", "gc"])
def test_emit_relocs_match_gnu_ld(objects, extra):
    arch, d, objs = objects            # (--no-relax changes nothing on arm64: the same link)
    gnu, xld = link_both(arch, d, objs, extra, "-".join(extra))
    want, got = relocations(arch, gnu), relocations(arch, xld)
    assert {k: len(v) for k, v in got.items()} == {k: len(v) for k, v in want.items()}
    assert ".rela.text" in got and len(got[".rela.text"]) > 100
    relaxing = arch == "riscv64" and "--no-relax" not in extra
    for sec in want:
        tw = Counter(t for _, t, _, _ in want[sec])
        tg = Counter(t for _, t, _, _ in got[sec])
        if relaxing:
            tw = Counter({t: n for t, n in tw.items() if t not in RELAXED})
            tg = Counter({t: n for t, n in tg.items() if t not in RELAXED})
        assert tg == tw, sec
    if not relaxing:
        assert placed(arch, xld, ".rela.text") == placed(arch, gnu, ".rela.text")
    # a section symbol's relocation addresses the same bytes: the output section's symbol
    # plus the addend lands inside that section
    secs = {m.group(1): (int(m.group(2), 16), int(m.group(3), 16)) for m in re.finditer(
        r"^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]{16})\s+[0-9a-f]+\s+([0-9a-f]+)", readelf(arch, "-S", xld), re.M)}
    for off, typ, sym, add in got[".rela.text"]:
        if sym in secs:
            assert 0 <= add <= secs[sym][1], (hex(off), typ, sym, add)


def test_emit_relocs_program_runs(objects):
    arch, d, objs = objects
    gnu, xld = link_both(arch, d, objs, [], "-run")
    want = tc.qemu_run(arch, gnu)
    for got in (tc.qemu_run(arch, xld), tc.xld_run(xld)):
        assert (got.status, got.stdout) == (want.status, want.stdout), got.summary()


def test_emit_relocs_refusals(objects):
    arch, d, objs = objects
    for argv, words in ((["-q", "-s"], "--strip-all and --emit-relocs may not be used together"),
                        (["--emit-relocs", "--icf=all"], "--emit-relocs with --icf is not supported")):
        res = tc.xld_link(["-static", *argv, "-o", d / "refused", *objs])
        assert res.status == 1 and words in res.stderr, res.stderr
        assert not (d / "refused").exists()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_emit_relocs_with_script_and_pie(arch, tmp_path):
    """With a linker script (sections named by it) and in a PIE (beside .rela.dyn): the same
    relocation sections and counts as GNU ld."""
    scripts = Path(__file__).parent / "scripts"
    cc = tc.compiler("gcc", arch)
    fw = cc.compile(scripts / "firmware.c", tmp_path / "fw.o", ["-O2", "-fno-pie"])
    gnu = tc.gnu_ld(arch, [fw], tmp_path / "gnu", ["-q", "-T", str(scripts / "firmware.ld")])
    res = tc.xld_link(["-q", "-T", scripts / "firmware.ld", "-o", tmp_path / "xld", fw])
    assert res.status == 0, res.stderr
    counts = {k: len(v) for k, v in relocations(arch, gnu).items()}
    assert ".rela.table" in counts
    assert {k: len(v) for k, v in relocations(arch, tmp_path / "xld").items()} == counts
    src = sorted((PROGS / "common").glob("*.c")) + sorted((PROGS / "tables").glob("*.c"))
    objs = cc.compile_many(src, tmp_path / "pie", ["-O2", "-fPIE"])
    gnu = tc.require(f"{tc.TRIPLE[arch]}-ld")
    subprocess.run([gnu, "-pie", "-q", "-o", tmp_path / "gnu.pie", *objs], check=True)
    res = tc.xld_link(["-pie", "-q", "-o", tmp_path / "xld.pie", *objs])
    assert res.status == 0, res.stderr
    counts = {k: len(v) for k, v in relocations(arch, tmp_path / "gnu.pie").items()}
    assert ".rela.dyn" in counts and ".rela.text" in counts
    assert {k: len(v) for k, v in relocations(arch, tmp_path / "xld.pie").items()} == counts
