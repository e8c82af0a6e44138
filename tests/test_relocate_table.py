"""The relocation table as scan builds it (a chunk of parts at a time) and the word access
relocate patches through (unaligned views): the result must not depend on the chunk size or on
a site's alignment."""
from __future__ import annotations

import numpy as np
import pytest

import toolchain as tc

SOURCE = r"""
__thread int counter;
int table[64];
static const char *names[] = {"a", "bb", "ccc", "dddd"};

__attribute__((noinline)) int pick(int k)
{
    switch (k) {            /* a jump table: label differences (riscv64: ADD32/SUB32) */
    case 0: return table[1] + 3;
    case 1: return table[2] * 5;
    case 2: return table[3] - 7;
    case 3: return table[4] ^ 11;
    case 4: return table[5] | 13;
    case 5: return table[6] & 17;
    default: return k;
    }
}

__attribute__((noinline)) int walk(int n)
{
    int s = 0;
    for (int i = 0; i < n; i++)
        s += pick(i) + names[i & 3][0] + counter++;
    return s;
}

int start(void)
{
    return walk(40) + pick(3);
}
"""

TABLE_COLUMNS = ("counts", "part_file", "part_sec", "offset", "type", "kind", "width", "relax",
                 "sym", "gid", "addend", "file", "sec")


@pytest.fixture(scope="module", params=tc.ARCHES)
def obj(request, tmp_path_factory):
    arch = request.param
    d = tmp_path_factory.mktemp(f"table-{arch}")
    return arch, tc.compile_c(arch, SOURCE, d, ("-O2", "-ffunction-sections", "-fdata-sections"))


def _link(arch, obj, out, extra, monkeypatch, chunk):
    """Link in process with build_table's chunk size set to ``chunk``; the table scan made."""
    from xld.link import driver, options, relocate
    seen = {}
    real = relocate.scan

    def spy(ctx):
        real(ctx)
        seen.update({c: getattr(ctx.rel, c).copy() for c in TABLE_COLUMNS})
        if hasattr(ctx.rel, "hint_addend"):
            seen["hint_addend"] = ctx.rel.hint_addend.copy()
    monkeypatch.setattr(relocate, "_CHUNK_ROWS", chunk)
    monkeypatch.setattr(relocate, "scan", spy)
    driver.link(options.parse(["--arch", arch, "-static", "-e", "start", *extra, "-o", str(out), str(obj)]))
    return seen, out.read_bytes()


@pytest.mark.parametrize("extra", [(), ("--emit-relocs",)], ids=["plain", "emit-relocs"])
def test_table_does_not_depend_on_the_chunk_size(obj, tmp_path, monkeypatch, extra):
    arch, o = obj
    one, out1 = _link(arch, o, tmp_path / "one", extra, monkeypatch, 1 << 16)
    many, out2 = _link(arch, o, tmp_path / "many", extra, monkeypatch, 2)
    assert len(one["counts"]) >= 5                      # (several parts: several chunks of 2 rows)
    assert set(one) == set(many)
    for name in one:
        assert one[name].dtype == many[name].dtype, name
        assert np.array_equal(one[name], many[name]), name
    if arch == "riscv64":
        assert one["relax"].any()                       # the hints became flags
        assert 51 not in set(one["type"].tolist())
        if extra:
            assert "hint_addend" in one
    assert out1 == out2


def test_only_a_large_link_gives_its_relocations_pages_back(obj, tmp_path, monkeypatch):
    """build_table gives the input pages of the relocation tables it copied back in a link of
    LARGE_ROWS rows or more only (finding each table's place costs a small link more than its
    pages are worth); the table and the output are the same either way."""
    from xld.link import relocate
    arch, o = obj
    placed = []
    real = relocate._rela_place
    monkeypatch.setattr(relocate, "_rela_place", lambda *a: placed.append(a) or real(*a))
    small, out1 = _link(arch, o, tmp_path / "small", (), monkeypatch, 1 << 16)
    assert placed == []
    monkeypatch.setattr(relocate, "LARGE_ROWS", 1)
    large, out2 = _link(arch, o, tmp_path / "large", (), monkeypatch, 1 << 16)
    assert len(placed) == len(large["counts"]) >= 5
    for name in small:
        assert np.array_equal(small[name], large[name]), name
    assert out1 == out2


@pytest.mark.parametrize("width", [1, 2, 3, 4, 8])
def test_words_at_any_alignment(width):
    from xld.link.relocate import gather_words, scatter_words
    rng = np.random.default_rng(width)
    img = rng.integers(0, 256, 4096, dtype=np.uint8)
    pos = np.sort(rng.choice(np.arange(0, 4096 - 8, 8), 200, replace=False)) + rng.integers(0, 8, 200)
    want = np.array([int.from_bytes(img[p:p + width].tobytes(), "little") for p in pos.tolist()],
                    dtype=np.uint64)
    assert np.array_equal(gather_words(img, pos, width), want)
    new = rng.integers(0, 1 << (8 * width), len(pos), dtype=np.uint64)
    ref = img.copy()
    for p, v in zip(pos.tolist(), new.tolist()):
        ref[p:p + width] = np.frombuffer(int(v).to_bytes(width, "little"), dtype=np.uint8)
    scatter_words(img, pos, width, new)
    assert np.array_equal(img, ref)
    # the last word of the image is reachable; one past it is not
    assert gather_words(img, np.array([4096 - width]), width)[0] == \
        int.from_bytes(img[-width:].tobytes(), "little")
    with pytest.raises(IndexError):
        gather_words(img, np.array([4096 - width + 1]), width)


@pytest.mark.parametrize("chunk", [1 << 16, 7, 1])
def test_sort_by_kind_and_type_a_chunk_at_a_time(monkeypatch, chunk):
    """relocate's one sort of the rows, made a chunk at a time, is the stable sort of the whole."""
    from xld.link import relocate
    monkeypatch.setattr(relocate, "_CHUNK_ROWS", chunk)
    rng = np.random.default_rng(chunk)
    for n in (1, 5, 300):
        key = rng.choice(np.array([3, 900, 901, 40000], dtype=np.uint16), n)
        order, groups = relocate._sorted_groups(key)
        assert np.array_equal(order, np.argsort(key, kind="stable"))
        assert [(v, b - a) for v, a, b in groups] == \
            [(v, int((key == v).sum())) for v in sorted(set(key.tolist()))]



def test_sort_by_kind_and_type_makes_no_table_sized_64_bit_column():
    """The chunked sort counts each key from the chunks' counts: a bincount of the whole key
    would copy it to a 64-bit column first (8 bytes a row, twice the 32-bit order it returns)."""
    import tracemalloc
    from xld.link import relocate
    n = 16 * relocate._CHUNK_ROWS
    key = np.random.default_rng(3).choice(np.array([5, 70, 1200], dtype=np.uint16), n)
    tracemalloc.start()
    try:
        order, _ = relocate._sorted_groups(key)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert order.dtype == np.int32
    assert peak < 6 * n, f"{peak} bytes at the peak for {n} rows"
    assert np.array_equal(order, np.argsort(key, kind="stable"))

def test_add_sub_pairs_taken_at_once_only_where_nothing_else_touches_them():
    """An ADD32 and a SUB32 at the same place are one write of their difference, except where
    another read-modify-write row (SET8 + SUB8, a ULEB128 taken as 10 bytes) touches the bytes."""
    from xld.arch.riscv64 import ARCH
    from xld.link.relocate import _fused_pairs
    h = ARCH.howtos
    pa = np.array([40, 8, 16, 24, 0])                # (in place order but for one part)
    rmw = [(h[53], 53), (h[35], 35), (h[39], 39), (h[52], 52), (h[61], 61)]   # SET6 ADD32 SUB32 SUB6 SUB_ULEB128
    sites = {35: (slice(0, 5), pa), 39: (slice(5, 10), pa.copy()),
             53: (slice(10, 11), np.array([10])), 52: (slice(11, 12), np.array([10])),
             61: (slice(12, 13), np.array([31]))}
    fused = _fused_pairs(rmw, sites)
    assert set(fused) == {35}
    sub, take = fused[35]
    assert sub == 39
    # 8..11 holds the SET6/SUB6 byte at 10; 40..43 meets the ULEB128's (up to) 10 bytes from 31
    assert take.tolist() == [False, False, True, True, True]
    # places in another order, or a place twice: no pair is taken at once
    assert _fused_pairs(rmw, {**sites, 39: (slice(5, 10), pa[::-1].copy())}) == {}
    twice = np.array([0, 2, 8, 16, 24])
    assert _fused_pairs(rmw, {**sites, 35: (slice(0, 5), twice), 39: (slice(5, 10), twice)}) == {}


def test_add_sub_pairs_at_once_give_the_same_bytes(obj, tmp_path, monkeypatch):
    """The link with ADD/SUB pairs written at once is the link with them written one type at a
    time (jump tables; with -g, DWARF's label differences too)."""
    from xld.link import driver, options, relocate
    arch, o = obj
    cc = tc.compiler("gcc", arch)
    src = tmp_path / "prog.c"
    src.write_text(SOURCE)
    og = cc.compile(src, tmp_path / "prog-g.o", ("-O2", "-g", "-ffunction-sections"))
    outs = {}
    taken = []
    real = relocate._fused_pairs

    def spy(rmw, sites):
        f = real(rmw, sites)
        taken.extend(int(t.sum()) for _, t in f.values())
        return f
    for name, fn in (("once", spy), ("apart", lambda rmw, sites: {})):
        monkeypatch.setattr(relocate, "_fused_pairs", fn)
        for x in (o, og):
            out = tmp_path / f"{name}-{x.stem}"
            driver.link(options.parse(["--arch", arch, "-static", "-e", "start", "-o", str(out), str(x)]))
            outs[name, x.stem] = out.read_bytes()
    if arch == "riscv64":
        assert sum(taken) > 0
    for x in (o, og):
        assert outs["once", x.stem] == outs["apart", x.stem]


def test_relocate_makes_its_arrays_with_small_pages_and_gives_numpy_its_setting_back():
    """relocate asks NumPy for no transparent huge pages while it runs (its table-sized arrays:
    see pages.small_pages) and leaves the setting as it found it, also on an error."""
    try:
        from numpy._core import multiarray
    except ImportError:                     # (NumPy 1)
        from numpy.core import multiarray
    from xld.link.pages import small_pages
    before = multiarray._set_madvise_hugepage(True)
    try:
        with small_pages():
            assert multiarray._set_madvise_hugepage(False) is False     # (off inside)
        assert multiarray._set_madvise_hugepage(True) is True           # (back on after)
        with pytest.raises(RuntimeError):
            with small_pages():
                raise RuntimeError
        assert multiarray._set_madvise_hugepage(True) is True
    finally:
        multiarray._set_madvise_hugepage(before)


DISCARDED_A = """
	.section .text.f,"axG",@progbits,f,comdat
	.globl f
	.type f,@function
f:
	nop
.Lin_f:
	nop
	.data
	.globl keep
keep:
	.quad .Lin_f
	.text
	.globl start
start:
	nop
"""
DISCARDED_B = """
	.section .text.f,"axG",@progbits,f,comdat
	.globl f
	.type f,@function
f:
	nop
	nop
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_a_reference_into_the_losing_comdat_copy_is_refused(arch, tmp_path):
    """.data of the object whose copy of a COMDAT group lost refers to a label in it: the
    error names the place and the label (relocate finds such rows in row order), exit 1, no
    output (GNU ld: "defined in discarded section")."""
    b = tc.assemble(arch, DISCARDED_B, tmp_path / "b.o")
    a = tc.assemble(arch, DISCARDED_A, tmp_path / "a.o")
    out = tmp_path / "out"
    p = tc.xld_cli(["--arch", arch, "-static", "-e", "start", b, a, "-o", out])
    assert p.returncode == 1
    assert "a.o:(.data+0x0): relocation refers to a symbol in a discarded section:" in p.stderr
    assert "Traceback" not in p.stderr
    assert not out.exists()


GOT_SOURCES = {
    "a.c": """
static __thread int lt_a;
__thread int gt_a;
extern __thread int gt_b;
extern int gvar_b;
int gvar_a;
static int lvar_a;
int use_a(int k) { lt_a += k; gt_a += lt_a; gt_b += gvar_b; return gt_a + gt_b + gvar_a + lvar_a++; }
""",
    "b.c": """
static __thread int lt_b;
__thread int gt_b;
extern __thread int gt_a;
extern int gvar_a;
int gvar_b;
int use_b(int k) { lt_b -= k; gt_b += lt_b + gt_a; return gvar_a + gt_b + lt_b; }
""",
}


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_got_entries_are_distinct_sorted_and_each_row_finds_its_symbol(arch, tmp_path):
    """scan's GOT entries (found by marking each symbol's number, not by sorting the rows):
    in (flavour, file + 1 | 0, symbol | gid) order, one per symbol and flavour, every one
    used, and each GOT-using row's slot is its own symbol's, of its kind's flavour.  Locals
    of two files (their TLS variables, through a local label) and globals, -fPIC: arm64's
    TLS descriptors (two slots), riscv64's general-dynamic pairs."""
    from xld.link import driver, options
    from xld.link.kinds import GOT_KINDS
    cc = tc.compiler("gcc", arch)
    objs = []
    for name, text in GOT_SOURCES.items():
        src = tmp_path / name
        src.write_text(text)
        objs.append(str(cc.compile(src, tmp_path / f"{src.stem}.o", ("-O2", "-fPIC"))))
    ctx = driver.link(options.parse(["--arch", arch, "-shared", "-o", str(tmp_path / "lib.so"), *objs]))
    t, entries = ctx.rel, ctx.got_entries
    assert entries == sorted(set(entries))
    assert {e[0] for e in entries} == {0, 3 if arch == "arm64" else 2}
    assert len({e[1] for e in entries if e[1]}) == 2 and any(e[1] == 0 for e in entries)
    first = np.cumsum([0] + [2 if e[0] >= 2 else 1 for e in entries])[:-1].tolist()
    entry_at = dict(zip(first, entries))
    gotk = {int(k) for k in GOT_KINDS}
    used = set()
    for r in np.flatnonzero(t.got_slot >= 0).tolist():
        e = entry_at[int(t.got_slot[r])]
        g = int(t.gid[r])
        assert e[1:] == ((0, g) if g else (int(t.file[r]) + 1, int(t.sym[r]))) + (int(t.addend[r]),)
        assert (e[0] == 0) == (int(t.kind[r]) in gotk)
        used.add(e)
    assert used == set(entries)


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_a_last_relocation_lets_the_table_go_and_writes_the_same(arch, tmp_path, monkeypatch):
    """No pass after relocation reads the table of a static link without --verify: relocation
    lets go of the columns it is done with (its peak memory) and writes the same bytes."""
    from xld.link import driver, options
    b = tc.compiler("gcc", arch)
    src = tmp_path / "prog.c"
    src.write_text(SOURCE)
    o = b.compile(src, tmp_path / "prog.o", ("-O2", "-ffunction-sections", "-fdata-sections"))
    monkeypatch.delenv("XLD_VERIFY", raising=False)
    outs, tables = [], []
    for verify in ("--verify", "--no-verify"):
        out = tmp_path / verify.strip("-")
        ctx = driver.link(options.parse(["--arch", arch, "-static", "-e", "start", verify,
                                         "-o", str(out), str(o)]))
        outs.append(out.read_bytes())
        tables.append(ctx.rel)
    kept, let_go = tables
    assert kept.file is not None and kept.sec is not None and kept.got_slot is not None
    assert let_go.file is None and let_go.sec is None and let_go.got_slot is None
    assert outs[0] == outs[1]


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_relocation_errors_name_the_same_place_with_the_table_let_go(arch, tmp_path):
    """The messages of a relocation that lets the table's file and section columns go find
    them from the row's part: the same words as with the table kept (--verify)."""
    from test_errors import FAR_BRANCH, far_objects
    b = tc.assemble(arch, DISCARDED_B, tmp_path / "b.o")
    a = tc.assemble(arch, DISCARDED_A, tmp_path / "a.o")
    _, value, insn = FAR_BRANCH[arch]
    far = far_objects(arch, tmp_path, value, insn)
    errs = []
    for verify in ("--verify", "--no-verify"):
        p = tc.xld_cli(["--arch", arch, "-static", "-e", "start", verify, b, a, *far, "-o", "out"],
                       cwd=tmp_path)
        assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
        errs.append(p.stderr)
    assert "a.o:(.data+0x0): relocation refers to a symbol in a discarded section:" in errs[1]
    assert "far.o:(.text+0x0): relocation" in errs[1] and "references 'far'" in errs[1], errs[1]
    assert errs[0] == errs[1]
