"""The records of .eh_frame input sections found from their relocations (link/ehframe.py,
``_starts_by_relocations``) are the walk's: the relocations only propose where records start,
and a section is taken from them only where those starts, read as records, tile it.

Real objects compiled at test time: C (one FDE per function, the relocation of each FDE's
initial location 8 bytes in: the starts are taken) and C++ that throws (LSDA relocations
inside FDEs: those sections are walked), each alone and joined in one buffer as the pass
reads them; then relocations that lie (one moved, one dropped, one repeated, none at all).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.toolchain import ARCHES, TRIPLE, require
from xld.link import ehframe, input as inp

SRC = Path(__file__).parent / "merge_progs"

C_SOURCE = """
int g(int);
int f0(int x) { return g(x) + 1; }
int f1(int x) { return g(x * 3) ^ g(x); }
static int f2(int x) { return g(x - 7) * 5; }
int f3(int x) { return f2(x) + f2(x + 1); }
"""


def _object(path: Path) -> inp.ObjectFile:
    obj = inp.ObjectFile(path.name, path.read_bytes())
    return obj


def _sections(objs):
    secs = [(o, i) for o in objs for i in ehframe.eh_sections(o)]
    datas = [bytes(o.section_content(i)) for o, i in secs]
    buf = b"".join(datas)
    size = np.array([len(d) for d in datas], dtype=np.int64)
    base = np.cumsum(size) - size
    rels = [o.relas.get(i) for o, i in secs]
    return buf, base, size, rels


def _same(a, b) -> bool:
    return len(a) == len(b) and all(all(np.array_equal(x, y) for x, y in zip(p, q)) for p, q in zip(a, b))


@pytest.fixture(scope="module", params=ARCHES)
def objects(request, tmp_path_factory):
    arch = request.param
    cc, cxx = require(f"{TRIPLE[arch]}-gcc"), require(f"{TRIPLE[arch]}-g++")
    import subprocess
    d = tmp_path_factory.mktemp(f"eh-{arch}")
    (d / "f.c").write_text(C_SOURCE)
    subprocess.run([cc, "-O2", "-fasynchronous-unwind-tables", "-c", str(d / "f.c"), "-o", str(d / "f.o")], check=True)
    subprocess.run([cxx, "-O2", "-c", str(SRC / "except.cc"), "-o", str(d / "x.o")], check=True)
    return arch, _object(d / "f.o"), _object(d / "x.o")


def test_records_from_relocations_are_the_walks(objects):
    arch, c_obj, cxx_obj = objects
    for objs in ([c_obj], [cxx_obj], [c_obj, cxx_obj], [cxx_obj, c_obj, c_obj]):
        buf, base, size, rels = _sections(objs)
        which = list(range(len(size)))
        walked = ehframe._records_of(buf, base, size, which)
        assert sum(len(r[0]) for r in walked) >= 2
        assert _same(ehframe._records_of(buf, base, size, which, rels), walked)
    # GCC's arm64 C: every FDE's one relocation at its initial location, so the starts come
    # from them; C++ FDEs carry an LSDA's relocation too, and are walked
    buf, base, size, rels = _sections([c_obj, cxx_obj])
    got = ehframe._starts_by_relocations(buf, base, size, [0, 1], rels)
    if arch == "arm64":
        assert got is not None and got[1].tolist() == [True, False]


def test_relocations_that_lie_are_not_believed(objects):
    arch, c_obj, _ = objects
    buf, base, size, rels = _sections([c_obj])
    walked = ehframe._records_of(buf, base, size, [0])
    rel = rels[0]
    assert rel is not None and len(rel) >= 3
    lies = []
    moved = rel.copy()
    moved["r_offset"][1] += 4
    lies.append(moved)
    lies.append(np.delete(rel, 1))                          # a record's start missing
    lies.append(np.insert(rel, 1, rel[1]))                  # one start twice
    early = rel.copy()
    early["r_offset"][0] = 2                                # before the section's start
    lies.append(early)
    for lie in lies:
        got = ehframe._starts_by_relocations(buf, base, size, [0], [lie])
        assert got is not None and not got[1].any()
        assert _same(ehframe._records_of(buf, base, size, [0], [lie]), walked)
    assert ehframe._starts_by_relocations(buf, base, size, [0], [None]) is None
    assert _same(ehframe._records_of(buf, base, size, [0], [None]), walked)


def _asm_sections(n: int) -> str:
    """n sections of one symbol each (past 0xff00 of them: SHN_XINDEX symbols)."""
    return "".join(f"\t.section .t{k},\"a\"\n\t.globl s{k}\ns{k}:\n\t.byte {k & 0xff}\n" for k in range(n))


@pytest.mark.parametrize("arch", ARCHES)
def test_symbols_of_many_sections_are_each_sections_own(arch, tmp_path):
    """``_find_symbols_in`` (the symbols of many (object, section) pairs found at once) gives
    each pair what ``np.flatnonzero(sym_shndx == sec)`` does: real objects, one with no
    symbols of its own but its sections', one of 65,300 sections (SHN_XINDEX), sections with
    no symbol, and pairs given twice (once, a repeated pair's symbols were lost)."""
    import subprocess
    from tests.toolchain import assemble
    cc, cxx = require(f"{TRIPLE[arch]}-gcc"), require(f"{TRIPLE[arch]}-g++")
    (tmp_path / "f.c").write_text(C_SOURCE)
    (tmp_path / "e.c").write_text("")
    subprocess.run([cc, "-O2", "-ffunction-sections", "-c", str(tmp_path / "f.c"), "-o", str(tmp_path / "f.o")],
                   check=True)
    subprocess.run([cc, "-c", str(tmp_path / "e.c"), "-o", str(tmp_path / "e.o")], check=True)
    subprocess.run([cxx, "-O2", "-c", str(SRC / "except.cc"), "-o", str(tmp_path / "x.o")], check=True)
    assemble(arch, _asm_sections(65300), tmp_path / "big.o")
    paths = [tmp_path / n for n in ("f.o", "e.o", "x.o", "big.o")]

    def pairs_of(objs):
        out = []
        for o in objs:
            n = len(o.shdrs)
            secs = list(range(n)) if n < 100 else [1, 2, 0xfeff, 0xff00, 0xff01, n - 1, 0xfff1]
            out += [(o, s) for s in secs]
        return out + out[::7]                      # (some pairs twice)

    want_objs = [_object(p) for p in paths]
    assert int(want_objs[3].sym_shndx.max()) >= 0xff00
    want = [np.flatnonzero(o.sym_shndx == s) for o, s in pairs_of(want_objs)]
    got_objs = [_object(p) for p in paths]
    pairs = pairs_of(got_objs)
    ehframe._find_symbols_in(pairs)
    got = [o.__dict__["_eh_symbols"][s] for o, s in pairs]
    bad = [(o.name, s) for (o, s), a, b in zip(pairs, got, want) if not np.array_equal(a, b)]
    assert not bad, bad[:5]
    assert all(ehframe._symbols_in(o, s) is g for (o, s), g in zip(pairs, got))    # (kept: not found again)
