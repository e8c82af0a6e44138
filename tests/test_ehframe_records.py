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
