"""Giving input pages back: inputs are read through mmap, and a page of a mapped file counts in
the process's resident memory from the first read until the mapping goes.  Once a table has
been copied out of the input (the relocation table, a symbol table that relaxation rewrites),
its pages are of no more use to the link: ``release`` tells the kernel so (MADV_DONTNEED).
They stay in the page cache; should anything read them again, they fault back in."""
from __future__ import annotations

import ctypes
import mmap
from contextlib import contextmanager

import numpy as np

_PAGE = PAGE = mmap.PAGESIZE


def release(items) -> None:
    """``items``: (mapping, array) pairs, each array a view into that mmap.  Only whole pages
    inside an array are released."""
    bases: dict[int, int] = {}
    places = []
    for mm, arr in items:
        if not isinstance(mm, mmap.mmap) or arr.nbytes < _PAGE:
            continue
        base = bases.get(id(mm))
        if base is None:
            base = bases[id(mm)] = np.frombuffer(mm, dtype=np.uint8).ctypes.data
        places.append((mm, arr.ctypes.data - base, arr.nbytes))
    _release_places(places)


def _release_places(places) -> None:
    """``places``: (mapping, offset, size) triples: the whole pages inside each span of a
    mapping given back (spans that are not inside their mapping are passed over)."""
    spans: dict[int, tuple[mmap.mmap, list]] = {}
    for mm, start, n in places:
        if n < _PAGE or start < 0 or start + n > len(mm):
            continue                        # no whole page, or not a view into this mapping
        ent = spans.get(id(mm))
        if ent is None:
            ent = spans[id(mm)] = (mm, [])
        a, z = -(-start // _PAGE) * _PAGE, (start + n) // _PAGE * _PAGE
        if z > a:
            ent[1].append((a, z))
    for mm, ss in spans.values():
        if not ss:
            continue
        ss.sort()
        runs = [list(ss[0])]
        for a, z in ss[1:]:
            if a <= runs[-1][1]:
                runs[-1][1] = max(runs[-1][1], z)
            else:
                runs.append([a, z])
        for a, z in runs:
            try:
                mm.madvise(mmap.MADV_DONTNEED, a, z - a)
            except (OSError, ValueError, AttributeError):
                return                      # not supported here: keep the pages


_AROUND = 64 << 10       # what the kernel maps around a page fault in a file (fault_around_bytes)


def release_span(items) -> None:
    """``items``: (mapping, array) pairs, each array a view into that mmap, or (mapping,
    array, offset) with the array's offset in the mapping when the caller knows it (-1: it
    does not; NumPy's address of an array costs microseconds).  Every page of each mapping
    from its first array's to its last's given back, the pages partly theirs and those
    between included: a read of a few bytes maps the 64 KiB around them, so the pages a run
    of small tables made resident are more than the tables' own (the inputs are never
    written: a page given back reads the same again)."""
    spans: dict[int, list] = {}
    for item in items:
        mm, arr = item[0], item[1]
        if not isinstance(mm, mmap.mmap) or arr.nbytes == 0:
            continue
        ent = spans.get(id(mm))
        if ent is None:
            ent = spans[id(mm)] = [mm, None, None, None]
        if len(item) > 2 and item[2] >= 0:
            start = item[2]
        else:
            if _own_memory(arr):
                continue                    # (a table a pass made anew: in no mapping)
            if ent[1] is None:
                ent[1] = np.frombuffer(mm, dtype=np.uint8).ctypes.data
            start = arr.ctypes.data - ent[1]
        if start < 0 or start + arr.nbytes > len(mm):
            continue                        # not a view into this mapping
        ent[2] = start if ent[2] is None else min(ent[2], start)
        ent[3] = start + arr.nbytes if ent[3] is None else max(ent[3], start + arr.nbytes)
    for mm, _, a, z in spans.values():
        if a is None:
            continue
        # (out to the kernel's fault-around windows: 64 KiB, aligned, around a faulting page)
        a, z = a // _AROUND * _AROUND, min(-(-z // _AROUND) * _AROUND, -(-len(mm) // _PAGE) * _PAGE)
        try:
            mm.madvise(mmap.MADV_DONTNEED, a, z - a)
        except (OSError, ValueError, AttributeError):
            return                          # not supported here: keep the pages


def _own_memory(arr: np.ndarray) -> bool:
    """Whether an array's bytes are NumPy's own (it, or the array it views, allocated them),
    so in no mapping: known without its address (``.ctypes``: ~8 us)."""
    base = arr.base
    while isinstance(base, np.ndarray):
        base = base.base
    return base is None


def mapping_of(obj):
    """The mmap an input object's bytes come from, or None."""
    base = getattr(obj.buf, "obj", None)
    return base if isinstance(base, mmap.mmap) else None


def release_objects(objs: list) -> None:
    """The mapped pages of these input objects' bytes given back (an archive member's: its
    own span of the archive's mapping); ``objs`` is emptied.  An object read from a mapping
    says where its bytes start in it (``map_offset``): its span needs no address (NumPy's
    ``.ctypes`` costs ~8 us an array, an arm64 -shared 400x50 link asks ~1,600 times)."""
    places, others = [], []
    for o in objs:
        buf = getattr(o, "buf", None)
        if buf is None:
            continue
        mm = mapping_of(o)
        at = getattr(o, "map_offset", -1)
        if mm is not None and at >= 0:
            places.append((mm, at, len(buf)))
        elif mm is not None:
            others.append((mm, np.frombuffer(buf, dtype=np.uint8)))
    if places:
        _release_places(places)
    if others:
        release(others)
    objs.clear()


def release_inputs(files) -> None:
    """Every page of the mapped inputs: once the output image holds the sections, the link
    reads nothing more from its inputs (an error message may, and faults its page in)."""
    seen = set()
    for f in files:
        mm = mapping_of(f) if getattr(f, "buf", None) is not None else None
        if mm is None or id(mm) in seen:
            continue
        seen.add(id(mm))
        n = len(mm) // _PAGE * _PAGE
        if n:
            try:
                mm.madvise(mmap.MADV_DONTNEED, 0, n)
            except (OSError, ValueError, AttributeError):
                return


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3          # glibc's mallopt parameters


def reuse_freed_memory() -> None:
    """Let the C heap keep and reuse the memory of freed arrays (glibc; elsewhere nothing).
    By default a NumPy temporary larger than glibc's mmap threshold (128 KiB at first,
    rising after each large free) is a fresh mapping, unmapped when freed: every such array
    faults its pages in anew (~3 us a page here), and a link makes hundreds of them (a
    column per relocation, per symbol).  Allocations below 32 MiB now come from the heap,
    which is not trimmed as they are freed, so the next array reuses pages already resident.
    Peak memory stays as it was (freed pages are reused, not added; ``trim_heap`` still gives
    the heap back where a pass asks); the page faults of a served arm64 400x50 link go from
    ~25k to ~22k, of its -shared link ~43k to ~33k."""
    global _mallopt
    if _mallopt is None:
        try:
            _mallopt = ctypes.CDLL(None).mallopt
            _mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        except (OSError, AttributeError):
            _mallopt = False
    if _mallopt:
        _mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _mallopt(M_TRIM_THRESHOLD, 1 << 30)


_mallopt = None


def trim_heap() -> None:
    """Give the C heap's free pages back to the system (glibc's malloc_trim; elsewhere
    nothing): after a pass whose temporaries were large, so that they do not stay in the
    process's resident memory for the rest of the link."""
    global _trim
    if _trim is None:
        try:
            _trim = ctypes.CDLL(None).malloc_trim
            _trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):
            _trim = False
    if _trim:
        _trim(0)


_trim = None

MADV_DONTFORK, MADV_DOFORK = 10, 11     # (Linux)


def not_inherited(arr: np.ndarray, yes: bool = True) -> None:
    """A child forked from now on gets none of the whole pages inside ``arr`` (``yes``;
    MADV_DONTFORK), or gets them again (MADV_DOFORK); Linux, elsewhere nothing.  Pages a
    child shares are copied when this process writes them while the child lives (a fault
    and a copy each): an array this process fills while a worker runs (the output image,
    link/write.py) is better not shared.  The child must not touch them."""
    global _madvise
    if _madvise is None:
        try:
            import sys
            if not sys.platform.startswith("linux"):
                raise OSError
            _madvise = ctypes.CDLL(None, use_errno=True).madvise
            _madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        except (OSError, AttributeError):
            _madvise = False
    if not _madvise or arr.nbytes < _PAGE:
        return
    a = -(-arr.ctypes.data // _PAGE) * _PAGE
    z = (arr.ctypes.data + arr.nbytes) // _PAGE * _PAGE
    if z > a:
        _madvise(a, z - a, MADV_DONTFORK if yes else MADV_DOFORK)


_madvise = None


@contextmanager
def small_pages():
    """NumPy asks the kernel for transparent huge pages for every array of 4 MiB or more
    (madvise); relocate and shrink make their table-sized arrays with ordinary pages.
    Measured in served riscv64 links (a VM, 2 cores; medians of 5-7): relocate's system time
    110-215 ms with huge pages (~4 k faults, most of the time in the few 2 MiB ones), 40-60 ms
    without (15-21 k faults of 4 KiB), user time the same; arm64's smaller tables the same
    either way.  (A fresh 2 MiB page is zeroed whole and, on a virtual machine, is memory the
    host backs again; small pages come back from the ones just freed.)  Scan was measured
    too, and gains nothing: it keeps NumPy's choice.  Shrink (riscv64 400x50, forked as a
    served link, 10 links each): 199-530 ms with huge pages, 4 links of 10 above 330 (the
    kernel compacting memory for a 2 MiB page), 224-275 ms without; medians 238 and 236."""
    try:
        from numpy._core import multiarray
    except ImportError:                     # (NumPy 1)
        from numpy.core import multiarray
    set_huge = getattr(multiarray, "_set_madvise_hugepage", None)
    if set_huge is None:
        yield
        return
    was = set_huge(False)
    try:
        yield
    finally:
        set_huge(was)


def shared_buffer(n: int) -> np.ndarray:
    """``n`` zero bytes of memory shared with the children this process forks from now on
    (an anonymous MAP_SHARED mapping): what a child writes there, this process reads.  Its
    pages are fresh: each is faulted in where first touched (by either process), and those
    never touched cost nothing."""
    m = mmap.mmap(-1, max(n, 1), flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    return np.frombuffer(m, dtype=np.uint8)[:n]
