"""A small link's element-by-element paths (a few inputs per output section, tables made once
per architecture) give what the column paths give: the same output, byte for byte."""
from __future__ import annotations

import numpy as np
import pytest

import toolchain as tc

SOURCE = r"""
static const char *names[] = {"a", "bb", "ccc", "dddd"};
int table[64];
long big[4] __attribute__((aligned(64))) = {1, 2, 3, 4};

__attribute__((noinline, aligned(32))) int pick(int k) { return table[k & 63] + names[k & 3][0]; }
__attribute__((noinline)) int walk(int n)
{
    int s = 0;
    for (int i = 0; i < n; i++)
        s += pick(i) + (int)big[i & 3];
    return s;
}
__attribute__((noinline, aligned(64))) int start(void) { return walk(40); }
"""


@pytest.fixture(scope="module", params=tc.ARCHES)
def obj(request, tmp_path_factory):
    arch = request.param
    d = tmp_path_factory.mktemp(f"small-{arch}")
    return arch, tc.compile_c(arch, SOURCE, d, ("-O2", "-ffunction-sections", "-fdata-sections"))


def _link(arch, obj, out, extra=()) -> bytes:
    from xld.link import driver, options
    driver.link(options.parse(["--arch", arch, "-static", "-e", "start", *extra, "-o", str(out), str(obj)]))
    return out.read_bytes()


@pytest.mark.parametrize("extra", [(), ("--gc-sections",)], ids=["plain", "gc"])
def test_few_inputs_sized_and_copied_as_by_columns(obj, tmp_path, monkeypatch, extra):
    """Output sections of at most layout.FEW_INPUTS inputs are sized and copied one input at a
    time; with the bound at 0 every section takes the column path: the same bytes (the code
    sections' alignment gaps filled with nops either way)."""
    from xld.link import layout, write
    arch, o = obj
    few = []
    real = write._copy_few
    monkeypatch.setattr(write, "_copy_few", lambda *a: few.append(1) or real(*a))
    one = _link(arch, o, tmp_path / "few", extra)
    assert few                                          # (the few-input path was taken)
    monkeypatch.setattr(layout, "FEW_INPUTS", 0)
    few.clear()
    other = _link(arch, o, tmp_path / "columns", extra)
    assert not few
    assert one == other


def test_dropped_types_as_isin():
    from xld.link import elf, layout
    rng = np.random.default_rng(1)
    types = np.concatenate([np.array(sorted(layout.DROP_TYPES), dtype=np.int64),
                            rng.integers(0, 40, 200), rng.integers(0x6fff4c00, 0x70000010, 200),
                            np.array([elf.SHT_PROGBITS, elf.SHT_NOBITS, 0xFFFFFFFF], dtype=np.int64)])
    want = np.isin(types, list(layout.DROP_TYPES))
    assert want.sum() >= len(layout.DROP_TYPES)
    assert np.array_equal(layout.dropped_types(types), want)


@pytest.mark.parametrize("name", ["arm64", "riscv64"])
def test_type_columns_as_the_table(name):
    from xld.arch import by_name
    from xld.link.kinds import Kind
    arch = by_name(name)
    kind, width, hints = arch.type_columns
    assert arch.type_columns is arch.type_columns       # made once
    assert not kind.flags.writeable and not width.flags.writeable
    assert len(kind) == max(arch.howtos) + 2 and kind[-1] == -1
    for rt in range(len(kind)):
        h = arch.howtos.get(rt)
        assert kind[rt] == (int(h.kind) if h is not None else -1)
        assert width[rt] == (h.field.width if h is not None and h.field is not None else 0)
    assert hints == [rt for rt, h in arch.howtos.items() if h.kind == Kind.RELAXABLE]
    assert arch.type_numbers == {h.name: rt for rt, h in arch.howtos.items()}



def test_member_as_isin():
    """arrays.member is np.isin for every column type the passes give it (relocation types as
    uint32 past the values' table, kinds as int8, ids as int64 and int32), empty ones too."""
    from xld.link.arrays import member
    rng = np.random.default_rng(5)
    for dtype in (np.uint32, np.uint8, np.int8, np.int32, np.int64, np.uint64):
        for n in (0, 1, 9, 5000):
            col = rng.integers(0, 120, n).astype(dtype)
            for values in ([], [0], [3, 17], [5, 60, 119], [200], list(range(0, 120, 7))):
                got = member(col, values)
                assert got.dtype == bool and len(got) == n
                assert np.array_equal(got, np.isin(col, values)), (dtype, n, values)
    # the extremes: a uint64 element of 2^63 or more, negative elements of signed columns
    for col in (np.array([2**64 - 1, 2**63, 0, 1, 119], np.uint64), np.array([-1, -2, -120, 0, 1], np.int64),
                np.array([-1, -2, 0, 1], np.int32), np.array([-1, -128, 0, 1], np.int8)):
        for values in ([0], [0, 1], [119, 0], [1]):
            assert np.array_equal(member(col, values), np.isin(col, values)), (col.dtype, values)

def test_distinct_first_inverse_as_unique():
    from xld.link.arrays import distinct_first_inverse
    rng = np.random.default_rng(2)
    for n in (0, 1, 2, 7, 300):
        for top in (1, 4, 1 << 40):
            a = rng.integers(0, top, n).astype(np.int64)
            want = np.unique(a, return_index=True, return_inverse=True)
            got = distinct_first_inverse(a)
            for w, g in zip(want, got):
                assert np.array_equal(np.asarray(w).reshape(-1), g)


CALLS_LIBC = r"""
#include <stdio.h>
#include <string.h>
int start(void) { return puts("x") + (int)strlen("yy"); }
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_shared_names_are_each_librarys_own_table(arch, tmp_path):
    """A dynamic link looks names up in each shared object's own table (SharedFile.providers,
    made once), the first library that defines a name winning, instead of merging them into
    one dictionary: the tables are held as they are (not copied), and every import is what
    the first library that defines its name gives."""
    from xld.link import driver, options
    from xld.link.resolve import SharedNames
    o = tc.compile_c(arch, CALLS_LIBC, tmp_path, ("-O2", "-fPIC"))
    lib = f"/usr/{tc.TRIPLE[arch]}/lib"
    ctx = driver.link(options.parse(["--arch", arch, "-pie", "-e", "start", "-o", str(tmp_path / "out"), str(o),
                                     f"{lib}/libgcc_s.so.1", f"{lib}/libc.so.6"]))
    shared = ctx.resolver.shared
    assert isinstance(shared, SharedNames)
    assert [id(t) for t in shared.tables] == [id(d.providers()) for d in ctx.dsos]
    names = ctx.symtab.names
    assert {names[g] for g in ctx.imports} >= {"puts", "strlen"}
    for g, (dso, sym) in ctx.imports.items():
        first = next(d for d in ctx.dsos if names[g] in d.exports)
        assert shared.get(names[g]) == (first, first.exports[names[g]]) == (dso, sym)
    assert "no such name" not in shared and shared.get("no such name", 7) == 7


def test_shared_names_first_wins():
    from xld.link.resolve import SharedNames
    s = SharedNames()
    s.add({"a": (1,), "c": (5,)})
    s.add({"a": (2,), "b": (3,)})
    assert s.get("a") == (1,) and s.get("b") == (3,) and s.get("c") == (5,) and s.get("d") is None
    assert "b" in s and "d" not in s


def test_looks_like_text_as_the_control_class():
    """The script test's control characters (not white space: 0-8, 14-31, 127) by translate,
    as the regular expression found them."""
    import re
    from xld.link import input as inp
    for b in range(256):
        chunk = b"GROUP ( a ) " + bytes([b]) + b"\n"
        utf8 = b < 0x80
        assert inp._looks_like_text(chunk) == (utf8 and not re.search(rb"[\x00-\x08\x0e-\x1f\x7f]", chunk)), b


# NumPy's module-level wrappers (np.take, np.searchsorted, np.cumsum ...) go through Python
# (a dispatcher, then fromnumeric's _wrapfunc) before the array's own method: ~9,400
# instructions for np.take(a, i) on a few rows against ~2,600 for a.take(i), ~11,200 for
# np.flatnonzero against ~3,800 for a.nonzero()[0].  A small link makes hundreds of such
# calls; these functions, on every link's path, call the methods.
_WRAPPERS = ("take", "searchsorted", "flatnonzero", "cumsum", "repeat")
_AS_METHODS = {("xld.link.relocate", f, w) for f, w in (
    ("addr_at", "take"), ("symbol_values", "take"), ("symbol_values", "flatnonzero"),
    ("_group_addresses", "take"), ("_group_addresses", "cumsum"), ("_group_addresses", "repeat"),
    ("file_tables", "cumsum"), ("__getitem__", "take"), ("P", "take"), ("pos", "take"),
    ("row_part", "searchsorted"))} | {("xld.link.layout", "_rule_of", "flatnonzero"),
                                      ("xld.link.layout", "assign_sections", "searchsorted")}


def test_small_link_gathers_through_the_arrays_methods(obj, tmp_path, monkeypatch):
    """The per-link paths above call the arrays' methods, not NumPy's wrappers, and give the
    same bytes with the wrappers watched (two objects: riscv64's .riscv.attributes are found
    in each file by its first section row)."""
    import sys
    arch, o = obj
    other = tc.compile_c(arch, "int other_one(int x) { return x * 7; }\n", tmp_path, ("-O2",))
    ref = _link(arch, o, tmp_path / "ref", (str(other),))
    seen = []
    for name in _WRAPPERS:
        def spy(*a, _real=getattr(np, name), _name=name, **k):
            f = sys._getframe(1)
            seen.append((f.f_globals.get("__name__"), f.f_code.co_name, _name))
            return _real(*a, **k)
        monkeypatch.setattr(np, name, spy)
    out = _link(arch, o, tmp_path / "watched", (str(other),))
    assert out == ref
    assert seen                                         # (the wrappers were watched)
    assert [s for s in seen if s in _AS_METHODS] == []
