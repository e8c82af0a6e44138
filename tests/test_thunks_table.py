"""The relocation table's rows that the thunk and erratum 843419 passes add and move
(link/thunks.py): a site's rows are found in its section's parts only, and the columns grow
in place where nothing else holds them, as a copy where something does (a holder keeps the
table it had).  Unit-level: a table built by hand, arm64's relocation types."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from xld.arch.arm64 import ARCH
from xld.link import thunks
from xld.link.kinds import Kind
from xld.link.relocate import RelocTable

JUMP26, ADD_LO12, LDST64 = 282, 277, 286


def _table():
    """Three parts: file 1 section 2 (offsets 0, 4, 8, 8), file 2 section 2 (0, 4), and file
    1 section 2 again (8: a part appended later, as the passes do)."""
    t = RelocTable()
    t.counts = np.array([4, 2, 1], dtype=np.int64)
    t.part_file = np.array([1, 2, 1], dtype=np.int64)
    t.part_sec = np.array([2, 2, 2], dtype=np.int64)
    t.n = 7
    t.file = np.repeat(t.part_file.astype(np.int32), t.counts)
    t.sec = np.repeat(t.part_sec.astype(np.int32), t.counts)
    t.offset = np.array([0, 4, 8, 8, 0, 4, 8], dtype=np.int64)
    t.type = np.array([JUMP26, ADD_LO12, LDST64, ADD_LO12, JUMP26, LDST64, LDST64], dtype=np.uint32)
    t.kind = np.array([int(ARCH.howtos[int(x)].kind) for x in t.type], dtype=np.int8)
    t.kind[3] = int(Kind.NONE)              # (a row an earlier patch moved away)
    t.width = np.zeros(7, dtype=np.int8)
    t.sym = np.arange(1, 8, dtype=np.int32)
    t.addend = np.arange(10, 17, dtype=np.int64)
    t.relax = np.zeros(7, dtype=bool)
    base = np.arange(100, 107, dtype=np.int32)
    t.gid = base[:]                         # a view: never grown in place
    t.got_slot = np.array([-1, -1, 3, -1, -1, 5, -1], dtype=np.int32)
    return t


def test_a_sites_rows_are_found_in_its_sections_parts_as_in_every_row():
    t = _table()
    for fid, sec, off in ((1, 2, 8), (1, 2, 0), (2, 2, 4), (2, 2, 8), (1, 3, 0)):
        every = np.nonzero((t.file == fid) & (t.sec == sec) & (t.offset == off) & (t.kind != Kind.NONE))[0]
        assert thunks._rows_at(t, fid, sec, off).tolist() == every.tolist()
    assert thunks._rows_at(t, 1, 2, 8).tolist() == [2, 6]      # (both parts of the section)


def test_rows_appended_to_every_column_and_a_holder_keeps_its_table():
    t = _table()
    held = t.addend                         # (something else holds this column)
    ctx = SimpleNamespace(rel=t, arch=ARCH,
                          files=[None, SimpleNamespace(gids=np.array([0, 0, 7, 9], dtype=np.int32))])
    # a moved row (its source row 2: its GOT slot goes along) and a new one
    thunks._append_rows(ctx, [(1, 5, [(0, LDST64, 2, 40, 2), (4, JUMP26, 3, 0)])])
    assert t.n == 9
    assert t.counts.tolist() == [4, 2, 1, 2] and t.part_file.tolist() == [1, 2, 1, 1]
    assert t.offset.tolist() == [0, 4, 8, 8, 0, 4, 8, 0, 4]
    assert t.type.tolist()[7:] == [LDST64, JUMP26]
    assert t.addend.tolist() == [10, 11, 12, 13, 14, 15, 16, 40, 0]
    assert t.gid.tolist() == [100, 101, 102, 103, 104, 105, 106, 7, 9]
    assert t.got_slot.tolist()[7:] == [3, -1]
    assert t.file.tolist()[7:] == [1, 1] and t.sec.tolist()[7:] == [5, 5]
    assert t.kind.tolist()[7:] == [int(ARCH.howtos[LDST64].kind),
                                   int(ARCH.howtos[JUMP26].kind)]
    assert len(held) == 7 and held.tolist() == [10, 11, 12, 13, 14, 15, 16]
    assert held is not t.addend
