"""What keeps a link's memory down (issue 7), and the numbers that show it.

Inputs are mapped, not read; once a table has been copied out of them, ``link.pages`` gives
their pages back.  The data must stay readable (the kernel faults it in again), and
``--stats`` reports each pass's time and the peak resident memory so far.
"""
from __future__ import annotations

import mmap

import numpy as np
import pytest

from tests import toolchain as tc
from xld.link import pages
from xld.tools import bench

ASM = """
    .text
    .globl _start
_start:
    li a0, 0
    li a7, 93
    ecall
"""


def test_released_pages_read_back_the_same(tmp_path):
    data = np.arange(5 * mmap.PAGESIZE // 8, dtype=np.int64)
    p = tmp_path / "blob"
    p.write_bytes(data.tobytes())
    with open(p, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    view = np.frombuffer(mm, dtype=np.int64, count=3 * mmap.PAGESIZE // 8, offset=100 * 8)
    before = view.copy()
    pages.release([(mm, view), (None, view), (mm, np.zeros(10))])     # others are skipped
    assert (view == before).all()
    pages.release_inputs([type("F", (), {"buf": memoryview(mm)})()])
    assert (np.frombuffer(mm, dtype=np.int64) == data).all()


def _resident_kib(mm) -> int:
    """The resident KiB of mapping ``mm`` (its Rss in /proc/self/smaps)."""
    addr = np.frombuffer(mm, dtype=np.uint8).ctypes.data
    inside = False
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()[0]
            if "-" in head and ":" not in head:
                lo, hi = (int(x, 16) for x in head.split("-"))
                inside = lo <= addr < hi
            elif inside and head == "Rss:":
                return int(line.split()[1])
    raise AssertionError("mapping not found")


@pytest.mark.skipif(not hasattr(mmap, "MADV_DONTNEED"), reason="no madvise")
def test_release_objects_gives_back_an_objects_own_pages_by_its_offset(tmp_path, monkeypatch):
    """An object read from a mapping (an archive member at an offset in it) gives back the
    whole pages of its own bytes, found from where it starts (``map_offset``), without asking
    NumPy for an address (``.ctypes``: ~8 us an array, ~1,600 times in a -shared link)."""
    page = mmap.PAGESIZE
    p = tmp_path / "lib.a"
    p.write_bytes(bytes(range(256)) * (16 * page // 256))
    with open(p, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    member = type("M", (), {})()
    member.buf = memoryview(mm)[2 * page + 100:10 * page]      # whole pages 3 to 9 are its own
    member.map_offset = 2 * page + 100
    bytes(mm[:])                                                # every page resident
    if _resident_kib(mm) != 16 * page // 1024:
        tc.missing("this system does not keep a read mapping resident")
    class NoArrays:                                             # (the spans come from the offsets)
        def __getattr__(self, name):
            raise AssertionError(f"numpy.{name} asked for")
    monkeypatch.setattr(pages, "np", NoArrays())
    pages.release_objects([member])
    assert _resident_kib(mm) == (16 - 7) * page // 1024
    assert bytes(member.buf[:4]) == bytes([(2 * page + 100 + k) % 256 for k in range(4)])


def test_stats_report_time_and_peak_memory_per_pass(tmp_path):
    obj = tc.assemble("riscv64", ASM, tmp_path / "a.o")
    r = tc.xld_cli(["--arch", "riscv64", "-static", "--stats", "-o", str(tmp_path / "a.out"), str(obj)])
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    passes = [ln for ln in lines if "MiB peak RSS" in ln]
    assert len(passes) >= 20 and any(ln.split(":")[0].strip() == "relocate" for ln in passes)
    peaks = [int(ln.split()[-4]) for ln in passes]
    assert peaks == sorted(peaks) and 5 < peaks[-1] < 4096        # a high-water mark, in MiB
    parsed = bench.parse_stats(r.stderr)
    assert {"read+resolve", "scan", "relocate", "total"} <= set(parsed)
    assert all(v >= 0 for v in parsed.values())


def test_the_heap_regime_is_set_only_in_a_process_of_the_links_own(tmp_path, monkeypatch):
    """pages.reuse_freed_memory changes the C allocator's settings for the whole process: a
    command's own process (the console script, a served link) takes it, a caller that links
    in its own process (the API, these tests) keeps its allocator as it was."""
    from xld.link import cli
    obj = tc.assemble("riscv64", ASM, tmp_path / "a.o")
    calls = []
    monkeypatch.setattr(pages, "reuse_freed_memory", lambda: calls.append(1))
    argv = ["--arch", "riscv64", str(obj), "-o", str(tmp_path / "a.out")]
    assert cli.main(argv) == 0 and calls == []
    assert cli.main(argv, own_process=True) == 0 and calls == [1]



_FD_PROBE = r"""
import gc, io, contextlib, os, sys
from xld.link import cli
def count():
    return len(os.listdir("/proc/self/fd"))
args = sys.argv[1:]
gc.freeze()                               # a caller with a large heap of long-lived objects:
gc.set_threshold(700, 10, 10**9)          # its full collections are rare
first = count()
seen = []
with contextlib.redirect_stderr(io.StringIO()):
    for argv in (args, args, args[:-2]):  # the last one fails: undefined symbols
        seen.append((cli.main(argv), count() - first))
print(seen)
"""


def test_a_link_in_the_callers_process_leaves_no_descriptor_open(tmp_path):
    """A caller that links in its own process (the tests, a build tool's plugin) gets every
    input's file descriptor back when the link returns, failed or not, whatever its collector
    does: the link's cycles held its inputs' mappings (and so a descriptor each) until a full
    collection, which a large process makes rarely; a pytest worker reached descriptor 1024
    (select() then refused it) after some 700 links."""
    import subprocess
    import sys
    gcc = tc.require("aarch64-linux-gnu-gcc")
    (tmp_path / "m.c").write_text("#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n")
    subprocess.run([gcc, "-c", "-O2", "m.c", "-o", "m.o"], cwd=tmp_path, check=True)

    def lib(name):
        return subprocess.run([gcc, f"-print-file-name={name}"], capture_output=True, text=True,
                              check=True).stdout.strip()
    argv = ["--arch", "arm64", "-static", "-o", "out", lib("crt1.o"), lib("crti.o"), "m.o",
            lib("libc.a"), lib("libgcc.a"), lib("libgcc_eh.a"), lib("crtn.o")]
    r = subprocess.run([sys.executable, "-c", _FD_PROBE, *argv], cwd=tmp_path, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[(0, 0), (0, 0), (1, 0)]"

PART = r"""
__thread int tls_%(k)d = %(k)d;
const char *name_%(k)d(int i) { return i ? "shared string" : "only in part %(k)d"; }
static int table_%(k)d[64] = {%(k)d, 2, 3};
int work_%(k)d(int x) { tls_%(k)d += x; return table_%(k)d[x & 63] + (int)name_%(k)d(x)[0] + tls_%(k)d; }
"""
START = r"""
int work_0(int), work_1(int), work_2(int), work_3(int);
void _start(void) { for (;;) work_0(work_1(work_2(work_3(1)))); }
"""


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_an_image_copied_by_input_file_is_the_same(tmp_path, monkeypatch, arch):
    """A large image is copied one input file after another, the pages of the files copied
    from given back as it goes (write._copy_by_input): the output must be the bytes the copy
    a section at a time makes, code gaps, merged strings, .eh_frame and TLS included."""
    from xld.link import driver, options, write
    cc = tc.compiler("gcc", arch)
    objs = []
    for k in range(4):
        src = tmp_path / f"p{k}.c"
        src.write_text(PART % {"k": k})
        objs.append(cc.compile(src, tmp_path / f"p{k}.o", ["-O2", "-ffunction-sections", "-fdata-sections",
                                                            "-fasynchronous-unwind-tables"]))
    (tmp_path / "start.c").write_text(START)
    objs.append(cc.compile(tmp_path / "start.c", tmp_path / "start.o", ["-O2"]))

    def link(out):
        driver.link(options.parse(["--arch", arch, "-static", "-o", str(out), *map(str, objs)]))
        return out.read_bytes()

    plain = link(tmp_path / "plain.out")
    released = []
    real = write._release_read
    monkeypatch.setattr(write, "_LARGE_IMAGE", 0)
    monkeypatch.setattr(write, "_would_raise_peak", lambda size: True)
    monkeypatch.setattr(write, "_RELEASE_STEP", 16)          # (every few inputs)
    monkeypatch.setattr(write, "_release_read", lambda objs: (released.append(len(objs)), real(objs)))
    assert link(tmp_path / "by-input.out") == plain
    assert len(released) >= 4 and sum(released) >= len(objs)


def test_symbol_sections_are_32_bits_only_when_every_index_fits():
    """Symbols' section indices are kept in 32 bits (a riscv64 link keeps ~900,000 local
    labels), but an extended index (SHT_SYMTAB_SHNDX) past 2**31 keeps them in 64: never
    truncated to a wrong, negative section."""
    from types import SimpleNamespace
    from xld.link import elf, input as inp
    syms = np.zeros(4, dtype=elf.SYM)
    syms["st_shndx"] = [0, elf.SHN_XINDEX, 5, elf.SHN_XINDEX]
    small = SimpleNamespace(syms=syms, shndx_ext=np.array([0, 70000, 0, 2**31 - 1], dtype="<u4"))
    got = inp.ObjectFile._symbol_sections(small)
    assert got.dtype == np.int32 and got.tolist() == [0, 70000, 5, 2**31 - 1]
    large = SimpleNamespace(syms=syms, shndx_ext=np.array([0, 70000, 0, 2**31 + 5], dtype="<u4"))
    got = inp.ObjectFile._symbol_sections(large)
    assert got.dtype == np.int64 and got.tolist() == [0, 70000, 5, 2**31 + 5]
    plain = SimpleNamespace(syms=syms[[0, 2]], shndx_ext=None)
    assert inp.ObjectFile._symbol_sections(plain).tolist() == [0, 5]


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_wide_ids_and_rows_link_the_same(tmp_path, monkeypatch, arch):
    """Global ids and relocation row numbers are kept in 32 bits while they fit; a link past
    those bounds keeps them in 64.  With the bounds lowered to nothing (every object's gids
    and relocate's row order in 64 bits), the output is the same bytes."""
    from xld.link import driver, options, relocate, resolve
    cc = tc.compiler("gcc", arch)
    objs = []
    for k in range(4):
        src = tmp_path / f"p{k}.c"
        src.write_text(PART % {"k": k})
        objs.append(cc.compile(src, tmp_path / f"p{k}.o", ["-O2", "-ffunction-sections"]))
    (tmp_path / "start.c").write_text(START)
    objs.append(cc.compile(tmp_path / "start.c", tmp_path / "start.o", ["-O2"]))
    monkeypatch.setattr(relocate, "_CHUNK_ROWS", 8)      # (the chunked sort, as a large link's)

    def link(out):
        ctx = driver.link(options.parse(["--arch", arch, "-static", "-o", str(out), *map(str, objs)]))
        return out.read_bytes(), {f.gids.dtype for f in ctx.files[1:]}

    narrow, dtypes = link(tmp_path / "narrow.out")
    assert dtypes == {np.dtype(np.int32)}
    monkeypatch.setattr(resolve, "NARROW_IDS", 0)
    monkeypatch.setattr(relocate, "NARROW_ROWS", 0)
    wide, dtypes = link(tmp_path / "wide.out")
    assert dtypes == {np.dtype(np.int64)}
    assert wide == narrow


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_relocation_written_a_chunk_at_a_time_is_the_same(tmp_path, monkeypatch, arch):
    """Relocation writes each type's sites (and the read-modify-write pairs: riscv64's
    ADD32/SUB32) a chunk of rows at a time, so that their places and words stay small while
    alive: with chunks of a few rows, the output is the same bytes, in more writes."""
    from xld.link import driver, options, relocate
    cc = tc.compiler("gcc", arch)
    objs = []
    for k in range(4):
        src = tmp_path / f"p{k}.c"
        src.write_text(PART % {"k": k})
        objs.append(cc.compile(src, tmp_path / f"p{k}.o", ["-O2", "-ffunction-sections",
                                                            "-fasynchronous-unwind-tables"]))
    (tmp_path / "start.c").write_text(START)
    objs.append(cc.compile(tmp_path / "start.c", tmp_path / "start.o", ["-O2"]))
    writes = []
    real = relocate.scatter_words
    monkeypatch.setattr(relocate, "scatter_words", lambda img, p, *a: (writes.append(len(p)), real(img, p, *a)))

    def link(out):
        writes.clear()
        driver.link(options.parse(["--arch", arch, "-static", "-o", str(out), *map(str, objs)]))
        return out.read_bytes(), len(writes), max(writes)

    whole, n_whole, _ = link(tmp_path / "whole.out")
    monkeypatch.setattr(relocate, "_CHUNK_ROWS", 4)
    chunked, n_chunked, largest = link(tmp_path / "chunked.out")
    assert chunked == whole
    assert n_chunked > n_whole and largest <= 4


def test_a_static_link_releases_the_relocation_columns_no_later_pass_reads(tmp_path):
    """Before relocation, a static link without --emit-relocs drops the relocation table's
    global ids and relaxation marks (read only by the dynamic passes and --emit-relocs);
    a link that needs them keeps them."""
    from xld.link import driver, options
    obj = tc.assemble("riscv64", ASM, tmp_path / "a.o")

    def rel(*extra):
        ctx = driver.link(options.parse(["--arch", "riscv64", "-static", *extra, "-o", str(tmp_path / "a.out"),
                                         str(obj)]))
        return ctx.rel

    t = rel()
    assert t.gid is None and t.relax is None and t.offset is not None
    t = rel("--emit-relocs")
    assert t.gid is not None and t.relax is not None


def test_symbols_own_addresses_are_not_a_second_table(tmp_path):
    """Every symbol's value is one table of the link (S); only the few whose own address is
    not their value (an IFUNC's, whose value is its stub) keep it apart (own_addr): no file
    holds a second table of addresses to the end of the link."""
    from xld.link import driver, options
    cc = tc.compiler("gcc", "riscv64")
    objs = []
    for k in range(4):
        src = tmp_path / f"p{k}.c"
        src.write_text(PART % {"k": k})
        objs.append(cc.compile(src, tmp_path / f"p{k}.o", ["-O2"]))
    (tmp_path / "start.c").write_text(START)
    objs.append(cc.compile(tmp_path / "start.c", tmp_path / "start.o", ["-O2"]))
    ctx = driver.link(options.parse(["--arch", "riscv64", "-static", "-o", str(tmp_path / "a.out"),
                                     *map(str, objs)]))
    files = ctx.files[1:]
    assert not any(hasattr(f, "symaddr") for f in files)
    assert all(f.own_addr == {} and f.S.base is not None for f in files)


def test_writable_joined_tables_are_one_copy():
    """elf.join_tables(writable=True) joins straight into the writable buffer: the CIE merge
    copies every object's symbol table this way (arm64 1200x50: 9.6 MB), and a join into
    bytes first held the tables twice."""
    import tracemalloc

    from xld.link import elf
    tables = [np.zeros(4096, dtype=elf.SYM) for _ in range(8)]
    size = sum(t.nbytes for t in tables)
    tracemalloc.start()
    try:
        joined = elf.join_tables(tables, writable=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    joined["st_value"][5] = 7                   # writable, and the tables' own rows untouched
    assert joined.nbytes == size and int(tables[0]["st_value"][5]) == 0
    assert peak < 1.5 * size


def test_a_column_of_tables_is_their_field_joined_and_large_tables_are_not_copied_whole():
    """elf.table_column: the field of small tables (archive members' symbol tables) taken
    from the tables joined whole; of tables of many records (riscv64's members: thousands of
    local labels) joined field by field, not a copy of every record for one byte of each."""
    import tracemalloc

    from xld.link import elf
    rng = np.random.default_rng(5)

    def tables(n, rows):
        out = [np.zeros(rows, dtype=elf.SYM) for _ in range(n)]
        for t in out:
            t["st_info"] = rng.integers(0, 256, rows)
            t["st_value"] = rng.integers(0, 1 << 62, rows)
        return out
    for n, rows in ((300, 20), (8, 4096), (1, 0), (0, 0)):
        ts = tables(n, rows)
        for field in ("st_info", "st_value"):
            col = elf.table_column(ts, field)
            want = np.concatenate([t[field] for t in ts]) if ts else np.zeros(0, elf.SYM[field])
            assert col.dtype == want.dtype and np.array_equal(col, want), (n, rows, field)
    ts = tables(8, 4096)
    tracemalloc.start()
    try:
        col = elf.table_column(ts, "st_info")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(col) == 8 * 4096 and peak < 4 * len(col)
