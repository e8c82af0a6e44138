"""Write the executable: headers, section contents, relocated image, symbol table.

The whole file is built in one NumPy byte array, relocated in place, and written to a
temporary file next to the output that is renamed over it only when everything succeeded,
so a failed link never leaves a partial or stale output.
"""
from __future__ import annotations

import itertools
import os
import stat

import numpy as np

from xld.link import elf, layout, merge, pages
from xld.link.arrays import member
from xld.link.elf import align_up
from xld.link.errors import LinkError
from xld.link.resolve import LINKER_LOCAL, LINKER_OBJECTS
from xld.link.layout import SEG_R, SEG_RX, SEG_RELRO, SEG_RW, SEG_RWX

MIN_PAGE = 0x1000     # the smallest page a Linux arm64/riscv64 kernel runs with
_SEG_FLAGS = {SEG_R: elf.PF_R, SEG_RX: elf.PF_R | elf.PF_X, SEG_RELRO: elf.PF_R | elf.PF_W,
              SEG_RW: elf.PF_R | elf.PF_W, SEG_RWX: elf.PF_R | elf.PF_W | elf.PF_X}


def build_image(ctx, shared: bool = False, tables_here: bool = False) -> np.ndarray:
    """Section contents laid out at their file offsets (before relocation).

    The buffer is the whole output file: the symbol table and the headers that follow the
    sections are sized here, so the file is never copied into a larger one later (a large
    link's symbol table is made by a forked child meanwhile: ``_SymbolTableWorker``, whose
    buffer has room for what the tables could be).  Returns the view of the part that holds
    the sections (what relocation patches).

    An image that would raise the link's peak memory is made after the input pages the
    passes before it read are given back (the symbol table faults in the tables it reads,
    the copy the contents), and after the symbol table's temporaries are: the input pages,
    the temporaries and the image are then not all resident at once (arm64 400x50:b's peak
    258 -> 223 MiB).  Where an earlier pass set a higher peak, the pages stay: faulting them
    in again costs time and saves nothing.  A large image is copied one input file after
    another, giving back the pages it read as it goes (_copy_by_input): the copy's own reads
    do not pile up on that peak (riscv64 400x50:b: 75 MiB of its archive over it).

    ``shared``: the buffer is memory a forked child can write too (``pages.shared_buffer``)
    and nothing is copied here: the sections are copied by the halves of link/halves.py.
    ``tables_here``: the symbol tables are made later in this process, while the image's
    half child works (``_SymbolTableWorker``'s ``here``), not by a child of their own."""
    lower = _would_raise_peak(ctx.file_end)
    tr = ctx.trailer = _SymbolTableWorker.start(ctx, shared, tables_here)     # (abandon finds it from here on)
    if lower:
        pages.release_inputs(ctx.files[1:])
    if tr is None:
        tr = _Trailer(ctx)
    _check_padding(ctx, tr.total)
    if lower:
        pages.trim_heap()
    if isinstance(tr, _SymbolTableWorker):
        # (the trailer's part is zeroed when its size is known: the pages of the bound's
        # slack are not touched; a shared buffer is fresh, zero already)
        out = tr.out
        if not shared:
            out[:ctx.file_end] = 0
    elif shared:
        out = pages.shared_buffer(tr.total)
    else:
        out = np.zeros(tr.total, dtype=np.uint8)
    ctx.out_bytes = out
    ctx.trailer = tr
    img = out[:ctx.file_end]
    if not shared:
        _copy_sections(ctx, img, copy_release_step(ctx))
    return img


def copy_release_step(ctx) -> int:
    """How many bytes the copy of the sections takes before it gives back the input pages
    it read (0: it does not)."""
    return _RELEASE_STEP if ctx.file_end >= _LARGE_IMAGE else 0


def copy_all(ctx, img: np.ndarray) -> None:
    """Every section's contents at its place in ``img`` (what ``build_image`` copies)."""
    _copy_sections(ctx, img, copy_release_step(ctx))


def copy_part(ctx, img: np.ndarray, files: tuple[int, int], linker: bool) -> bool:
    """The contents of the input sections of files ``files[0]`` up to ``files[1]`` (file
    ids) at their places in ``img``, and with ``linker`` the linker's own sections and the
    gaps' fill: one of the halves of link/halves.py, whose bytes no other half writes.
    False where a section's inputs overlap (the halves' bytes would not be apart)."""
    return _copy_sections(ctx, img, copy_release_step(ctx), files, linker)


MAX_PADDING = 1 << 30      # bytes of a file that hold no section's contents
# A large image gives back, after every this many bytes copied (or 32 files), the pages of
# the inputs it copied them from: the copy faults them in (and their neighbours), and they
# would otherwise all be resident with the whole image (arm64 400x50: 22 MiB of input pages
# at the image's peak)
_RELEASE_STEP = 2 << 20
_LARGE_IMAGE = 4 << 20     # (a small link's pages cost more to fault in again than they weigh)


def _would_raise_peak(size: int) -> bool:
    """Whether an image of ``size`` bytes, and a symbol table about as large, would take the
    process past its peak resident memory so far (True where the system does not say)."""
    if size < _LARGE_IMAGE:
        return False
    try:
        import resource
        with open("/proc/self/statm") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024      # (KiB on Linux)
    except (OSError, ValueError, IndexError, ImportError):
        return True
    return rss + 2 * size > peak


def _padding_ok(ctx, total: int) -> bool:
    return total - sum(o.size for o in ctx.ordered if not o.nobits) <= MAX_PADDING


def _check_padding(ctx, total: int) -> None:
    """The file is the sections' contents (bounded by the inputs' sizes) plus padding; padding
    past a GiB comes from an alignment no real section asks for (a corrupt sh_addralign), and
    would be allocated here.  An error, naming the most aligned section."""
    if _padding_ok(ctx, total):
        return
    content = sum(o.size for o in ctx.ordered if not o.nobits)
    worst = max(ctx.ordered, key=lambda o: o.align)
    raise LinkError(f"the output would be {total} bytes, {total - content} of them padding "
                    f"(section {worst.name} asks for {worst.align}-byte alignment)")


def _copy_sections(ctx, img: np.ndarray, release_step: int = 0, files: tuple[int, int] | None = None,
                   linker: bool = True) -> bool:
    """Every input section's bytes at its file offset, gaps in code filled with nops.  The
    headers' columns are read once for all inputs (a static hello copies ~4,000 sections):
    the loop left is one slice assignment per input, plus one per gap to fill.  With
    ``release_step``, the mapped pages of the inputs copied from are given back after every
    that many bytes (the image is the same: a page read again faults in from the file).
    ``files``, ``linker``: only part of it (``copy_part``)."""
    cols = ctx.placed
    if cols is None or not cols.current(ctx.files):
        cols = _InputColumns(ctx)
    rows_of = getattr(cols, "rows_of", {})
    if files is not None:               # (the rows of those files: from their first's base)
        lo_row = cols.base[files[0]] if files[0] < len(ctx.files) else 1 << 62
        hi_row = cols.base[files[1]] if files[1] < len(ctx.files) else 1 << 62
    mv = memoryview(img)
    nop = ctx.arch.nop
    nop_as_script = bool(ctx.arch.hooks.get("code_fill_from_gap"))
    later: list = []                    # (with release_step: the sections copied by input file)
    for o in ctx.ordered:
        if o.nobits:
            continue
        if o.data is not None and not o.inputs:
            if linker:
                mv[o.offset:o.offset + len(o.data)] = o.data
            continue
        if not o.inputs:
            continue
        # gaps: a script's =fill, or zeros under a script; else code gets nops (written from
        # each gap's start where they are GNU ld's default script's =fill: code_fill_from_gap)
        fill = o.fill if hasattr(o, "fill") else nop if o.flags & elf.SHF_EXECINSTR else None
        if fill is nop and nop_as_script:
            fill = _GapFill(nop)
        rows = rows_of.get(id(o))
        if rows is None or len(rows) != len(o.inputs):
            rows = cols.rows(o.inputs)
        if len(rows) <= layout.FEW_INPUTS and not release_step and files is None and \
                _copy_few(o, fill, img, mv, cols, rows):
            continue
        which = np.flatnonzero(cols.type[rows] != elf.SHT_NOBITS)
        rows = rows[which]
        src, size, start = cols.offset[rows], cols.size[rows], cols.fileoff[rows]
        prev = np.empty_like(start)
        if len(start):
            prev[0] = o.offset
            prev[1:] = start[:-1] + size[:-1]
        apart = bool((start >= prev).all())
        if files is not None and not apart and (fill is not None or _overlap(start, size)):
            return False
        if fill is not None and not apart:
            _copy_in_order(o, fill, mv, which, src, size, start)   # (inputs that overlap)
            continue
        if fill is not None and linker:
            gaps = np.flatnonzero(start > prev)
            if hasattr(o, "fill"):
                for a, b in zip(prev[gaps].tolist(), start[gaps].tolist()):
                    _fill(o, fill, mv, a, b)
            else:
                _fill_gaps(img, fill, prev[gaps], start[gaps])
        if files is not None:               # (the other half's inputs: not here)
            keep = (rows >= lo_row) & (rows < hi_row)
            which, src, size, start = which[keep], src[keep], size[keep], start[keep]
        if release_step:
            later.append((o.inputs, which.tolist(), src, size, start, not apart))
            continue
        inputs = o.inputs
        for k, s, n, at in zip(which.tolist(), src.tolist(), size.tolist(), start.tolist()):
            obj, i = inputs[k]
            override = obj.content_override.get(i) if obj.content_override else None
            mv[at:at + n] = override if override is not None else obj.buf[s:s + n]
    if later:
        _copy_by_input(mv, later, release_step)
    return True


def _overlap(start: np.ndarray, size: np.ndarray) -> bool:
    """Whether some of the byte ranges [start, start + size) overlap (not only out of order:
    .rodata's inputs are placed by alignment; empty ones do not count)."""
    full = size > 0                     # (a merged section's pieces are its first input's:
    start, size = start[full], size[full]   # the others, empty, where it starts)
    by = np.argsort(start, kind="stable")
    return bool((start[by][1:] < (start + size)[by][:-1]).any())


def _copy_few(o, fill, img: np.ndarray, mv, cols, rows: np.ndarray) -> bool:
    """What ``_copy_sections`` does for a section, for one of a few inputs: element by
    element (a small link's sections; the columns' ~10 NumPy calls a section were more).
    False, having written nothing, where its inputs overlap and gaps are filled (the caller
    copies them in order)."""
    typ, size, src, start = cols.type, cols.size, cols.offset, cols.fileoff
    copies, gaps = [], []
    prev = o.offset
    for k, r in enumerate(rows.tolist()):
        if typ.item(r) == elf.SHT_NOBITS:
            continue
        at, n = start.item(r), size.item(r)
        if fill is not None:
            if at < prev:
                return False
            if at > prev:
                gaps.append((prev, at))
        copies.append((k, src.item(r), n, at))
        prev = at + n
    if gaps:
        if hasattr(o, "fill"):
            for a, b in gaps:
                _fill(o, fill, mv, a, b)
        else:
            a, b = np.array(gaps, dtype=np.int64).T
            _fill_gaps(img, fill, a, b)
    inputs = o.inputs
    for k, s, n, at in copies:
        obj, i = inputs[k]
        override = obj.content_override.get(i) if obj.content_override else None
        mv[at:at + n] = override if override is not None else obj.buf[s:s + n]
    return True


def _copy_by_input(mv, later: list, step: int) -> None:
    """The inputs of ``later``'s sections copied one input file after another (the bytes land
    where they would in section order; a section whose inputs overlap keeps their order),
    and the mapped pages of the files copied from given back after every ``step`` bytes or
    every 32 files: copying a small section faults in the pages around it (64 KiB), so a
    copy a section at a time made every file's pages resident again after each of .rodata,
    .eh_frame, .text, .tdata (arm64 400x50: 18 MiB of input pages after .rodata's 776 KB)."""
    ids: dict[int, int] = {}
    objs, secs, who = [], [], []
    for inputs, which, *_ in later:
        for k in which:
            obj, i = inputs[k]
            j = ids.get(id(obj))
            if j is None:
                j = ids[id(obj)] = len(objs)
                objs.append(obj)
            who.append(j)
            secs.append(i)
    src = np.concatenate([x[2] for x in later])
    size = np.concatenate([x[3] for x in later])
    start = np.concatenate([x[4] for x in later])
    who = np.array(who, dtype=np.int64)
    counts = [len(x[1]) for x in later]
    group = np.repeat(np.arange(len(later)), counts)
    # the sections apart in the file (as they are): each one's inputs may go in any order
    # but those of a section whose inputs overlap, which go in theirs, after the others
    lo = np.array([x[4].min() if len(x[4]) else 0 for x in later], dtype=np.int64)
    hi = np.array([(x[4] + x[3]).max() if len(x[4]) else 0 for x in later], dtype=np.int64)
    by = np.argsort(lo, kind="stable")
    if (lo[by][1:] < hi[by][:-1]).any():
        order = np.arange(len(start))
    else:
        overlapping = np.array([x[5] for x in later], dtype=bool)[group]
        order = np.lexsort((np.where(overlapping, 0, who), overlapping))
    del group, lo, hi, by
    read: list = []
    copied = 0
    last = -1
    for r, j, s, n, at in zip(order.tolist(), who[order].tolist(), src[order].tolist(), size[order].tolist(),
                              start[order].tolist()):
        obj = objs[j]
        if j != last:
            if copied >= step or len(read) >= 32:
                _release_read(read)
                copied = 0
            read.append(obj)
            last = j
        i = secs[r]
        override = obj.content_override.get(i) if obj.content_override else None
        if override is not None:
            mv[at:at + n] = override
        else:
            mv[at:at + n] = obj.buf[s:s + n]
            copied += n
    _release_read(read)


def _release_read(objs: list) -> None:
    """The mapped pages of these inputs given back (``objs`` emptied)."""
    pages.release_objects(objs)


class _GapFill(bytes):
    """The arch's nop as GNU ld's default script gives it to code sections (arm64's
    ``=0x1f2003d5``): a pattern written from each gap's start, also where the gap does not
    start on an instruction (``-Ttext=0x10002``: ``1f 20``, then the first input)."""


def _fill(o, fill: bytes, mv, a: int, b: int) -> None:
    """The gap [a, b) of output section o, filled with the pattern ``fill``."""
    gap = b - a
    if a % len(fill) == 0 and gap % len(fill) == 0:
        mv[a:b] = fill * (gap // len(fill))
    elif hasattr(o, "fill") or isinstance(fill, _GapFill):   # a pattern from the gap's start (GNU ld's padding)
        mv[a:b] = (fill * (gap // len(fill) + 1))[:gap]


def _fill_gaps(img: np.ndarray, fill: bytes, a: np.ndarray, b: np.ndarray) -> None:
    """``_fill`` of the gaps [a, b) of a section without a script's pattern, all at once:
    those that start and end on the pattern's boundaries get it (the others stay zero, but
    for a _GapFill, which they get from their start)."""
    n = len(fill)
    ok = (a % n == 0) & ((b - a) % n == 0)
    if isinstance(fill, _GapFill) and not ok.all():
        for x, y in zip(a[~ok].tolist(), b[~ok].tolist()):
            img[x:y] = np.frombuffer((fill * ((y - x) // n + 1))[:y - x], dtype=np.uint8)
    a, b = a[ok], b[ok]
    if not len(a):
        return
    if n in (2, 4, 8):                  # (as words of the pattern's size)
        words = img[:len(img) // n * n].view(f"u{n}")
        a, lens = a // n, (b - a) // n
        first = np.cumsum(lens) - lens
        at = np.repeat(a - first, lens) + np.arange(int(lens.sum()), dtype=np.int64)
        words[at] = np.frombuffer(fill, dtype=f"u{n}")[0]
        return
    lens = b - a
    first = np.cumsum(lens) - lens
    at = np.repeat(a - first, lens) + np.arange(int(lens.sum()), dtype=np.int64)
    img[at] = np.frombuffer(fill, dtype=np.uint8)[at % n]


def _copy_in_order(o, fill, mv, which, src, size, start) -> None:
    """Each input's gap, then its bytes, one input after the other (inputs that overlap)."""
    prev_end = o.offset
    for k, s, n, at in zip(which.tolist(), src.tolist(), size.tolist(), start.tolist()):
        obj, i = o.inputs[k]
        if at > prev_end:
            _fill(o, fill, mv, prev_end, at)
        override = obj.content_override.get(i) if obj.content_override else None
        mv[at:at + n] = override if override is not None else obj.buf[s:s + n]
        prev_end = at + n


class _InputColumns:
    """What copying needs of every file's section headers, as flat columns (rows: the
    file's base + section index).  The headers are concatenated as bytes, once: taking
    each field of each file's table on its own costs a few microseconds a table."""

    def __init__(self, ctx):
        files = ctx.files[1:]
        lens = [len(f.shdrs) for f in files]
        self.base = [0] * len(ctx.files)
        k = 0
        for f, n in zip(files, lens):
            self.base[f.file_id] = k
            k += n
        if not files:
            self.type = self.size = self.offset = self.fileoff = np.zeros(0, dtype=np.int64)
            return
        hdr = elf.join_tables([f.shdrs for f in files])
        self.type, self.size, self.offset = (hdr[k].astype(np.int64) for k in ("sh_type", "sh_size", "sh_offset"))
        self.fileoff = np.concatenate([f.sec_fileoff for f in files]).astype(np.int64)

    def rows(self, inputs) -> np.ndarray:
        base = self.base
        return np.fromiter((base[obj.file_id] + i for obj, i in inputs), dtype=np.int64, count=len(inputs))


_SYM_OUT = np.dtype([("st_name", "<u4"), ("st_info", "u1"), ("st_other", "u1"),
                     ("st_shndx", "<u2"), ("st_value", "<u8"), ("st_size", "<u8")])


def _cstrings(buf: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The NUL-terminated strings at ``starts`` in ``buf``, copied into one blob:
    (blob bytes, offset of each string in the blob).  Vectorized: no per-string Python."""
    if len(starts) == 0:
        return np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)
    zeros = np.flatnonzero(buf == 0)
    ends = zeros[np.minimum(np.searchsorted(zeros, starts), len(zeros) - 1)]
    lens = ends - starts + 1
    offs = np.cumsum(lens) - lens
    idx = np.repeat(starts - offs, lens) + np.arange(int(lens.sum()))
    return buf[idx], offs


def _records(tables: list[np.ndarray]) -> np.ndarray:
    """Structured arrays of one dtype as one array, concatenated as bytes (one copy; NumPy
    concatenates records field by field, and taking the fields of each table on its own
    costs a few microseconds a table and a field)."""
    return elf.join_tables(tables)


def symbol_table(ctx, index=None):
    """(.symtab, .strtab, index of the first global) — locals first, as ELF wants; the
    tables as uint8 arrays.

    What goes in is what GNU ld writes: a section symbol for every output section; each
    object's local symbols (mapping symbols ``$x``/``$d`` too) after an STT_FILE symbol
    (the object's own, or one named after the object when it has none), except ``.L``
    labels (``-X``, the default; ``--discard-none`` keeps them; ``-x`` keeps no local but
    the section symbols); then the globals.  A hidden global stays global in a static
    program (GNU ld) and becomes local in a dynamic one.

    Built with array operations per file (locals) and per defining file (globals): the
    table of a large link has hundreds of thousands of entries.

    ``index`` (--emit-relocs, a ``link/emitrelocs.SymbolIndex``): the table also gets every
    local ``index.forced`` names (labels that relocations refer to), and ``index`` learns
    where each symbol went (section symbol i + 1 is ``ctx.ordered[i]``'s)."""
    st = ctx.symtab
    opts = ctx.opts
    discard = opts.discard or "locals"
    parts_loc: list[np.ndarray] = []       # symbol rows, st_name relative to its blob
    keys_loc: list[np.ndarray] = []        # (index) each part's rows: flat symbol number, or -1
    blobs: list[np.ndarray] = []
    strsize = 1

    # one section symbol per output section, in section header order (unnamed, as GNU ld's)
    secs = np.zeros(len(ctx.ordered), dtype=_SYM_OUT)
    secs["st_info"] = (elf.STB_LOCAL << 4) | elf.STT_SECTION
    secs["st_shndx"] = [o.index for o in ctx.ordered]
    secs["st_value"] = [o.addr if o.alloc else 0 for o in ctx.ordered]
    parts_loc.append(secs)
    if index is not None:                  # (emitrelocs: section symbol i + 1 is ctx.ordered[i]'s)
        keys_loc.append(np.full(len(secs), -1, dtype=np.int64))

    def add(rows: np.ndarray, blob: np.ndarray, offs: np.ndarray, into: list) -> None:
        nonlocal strsize
        rows["st_name"] = offs + strsize
        strsize += len(blob)
        blobs.append(blob)
        into.append(rows)

    # per-file tables concatenated once, so the work below is a few array operations
    files = ctx.files[1:]
    out_index = np.array([0] + [o.index if o is not None else 0 for f in files for o in f.sec_outsec],
                         dtype=np.int64)
    sec_base = np.cumsum([1] + [len(f.sec_outsec) for f in files])[:-1]      # per file, into out_index
    ctx_sec_base = dict(zip((f.file_id for f in files), sec_base.tolist()))

    # locals, a group of files at a time (a riscv64 link has millions, mostly .L labels that
    # go: the temporaries stay small)
    if discard != "all" or index is not None:
        group, count = [], 0
        lf = [f for f in files if f.first_global > 1]
        for k, f in enumerate(lf):
            group.append(f)
            count += f.first_global - 1
            if count >= 1 << 16 or k == len(lf) - 1:
                forced = None if index is None else np.concatenate(
                    [index.forced[index.ybase[g.file_id] + 1:index.ybase[g.file_id] + g.first_global] for g in group])
                got = _local_rows(group, out_index, ctx_sec_base, forced, only_forced=discard == "all",
                                  keep_temporary=discard == "none")
                if got is not None:
                    rows, blob, offs, sel = got
                    add(rows, blob, offs, parts_loc)
                    if index is not None:     # the flat number of each row's symbol
                        counts = np.array([g.first_global - 1 for g in group], dtype=np.int64)
                        start = np.cumsum(counts) - counts
                        which = np.searchsorted(start, sel, side="right") - 1
                        base = np.array([index.ybase[g.file_id] + 1 for g in group], dtype=np.int64)
                        keys = base[which] + sel - start[which]
                        keys[sel < 0] = -1        # (a FILE symbol made for an object without one)
                        keys_loc.append(keys)
                group, count = [], 0

    # globals, grouped by the file that defines them
    state = np.array(st.state, dtype=np.int64)
    def_file = np.array(st.def_file, dtype=np.int64)
    def_index = np.array(st.def_index, dtype=np.int64)
    strong = np.array(st.strong_ref, dtype=bool)
    has_ref = st.referenced()
    gaddr = (ctx.dyn.definition_values(ctx.gaddr) if ctx.dyn is not None else ctx.gaddr).view(np.uint64)
    g_rows: list[np.ndarray] = []
    g_ids: list[np.ndarray] = []
    bss = ctx.outputs.get(".bss")
    gsel = np.nonzero(def_file > 0)[0]
    if len(gsel):
        # (the files' global parts only: a riscv64 link's millions of local labels would
        # make these temporaries tens of MiB)
        df = def_file[gsel]
        first = np.array([0] + [f.first_global for f in files], dtype=np.int64)     # by file id
        lo = first if (def_index[gsel] >= first[df]).all() else np.zeros_like(first)
        starts = lo[1:].tolist()
        allsyms = _records([f.syms[a:] for f, a in zip(files, starts)])
        allshndx = np.concatenate([f.sym_shndx[a:] for f, a in zip(files, starts)]).astype(np.int64)
        counts = [len(f.syms) - a for f, a in zip(files, starts)]
        sym_base = np.concatenate([[0, 0], np.cumsum(counts)[:-1]])   # by file id
        fsec_base = np.concatenate([[0], sec_base])
        fnsec = np.array([0] + [len(f.sec_outsec) for f in files], dtype=np.int64)
        flat = sym_base[df] + def_index[gsel] - lo[df]
        picked = allsyms[flat]
        syms = {k: picked[k] for k in ("st_info", "st_other", "st_size")}
        shndx = allshndx[flat]
        common = state[gsel] == 2
        if ctx.dead_commons:            # (removed by --gc-sections: not listed)
            common &= ~np.isin(gsel, np.fromiter(ctx.dead_commons, dtype=np.int64))
        is_abs = shndx == elf.SHN_ABS
        in_sec = (shndx > 0) & (shndx < fnsec[df])
        oi = out_index[np.where(in_sec, fsec_base[df] + shndx, 0)]
        kept = in_sec & (oi > 0)
        other = syms["st_other"] & 3
        hidden = (other == elf.STV_HIDDEN) | (other == elf.STV_INTERNAL)
        ok = common | is_abs | kept
        gsel, common, is_abs, oi, other, hidden = (
            x[ok] for x in (gsel, common, is_abs, oi, other, hidden))
        syms = {k: v[ok] for k, v in syms.items()}
        rows = np.zeros(len(gsel), dtype=_SYM_OUT)
        info = np.where(common, (elf.STB_GLOBAL << 4) | elf.STT_OBJECT, syms["st_info"])
        # hidden globals become local in a dynamic output (GNU ld's forced-local symbols), as
        # do the definitions a version script or --exclude-libs makes local (GNU ld, lld); a
        # static program keeps them global, with their visibility, as GNU ld does
        demote = hidden & (ctx.dyn is not None)
        if ctx.dyn is not None and len(ctx.dyn.forced_local):
            demote |= member(gsel, ctx.dyn.forced_local)
        info = np.where(demote, (elf.STB_LOCAL << 4) | (info & 0xF), info)
        rows["st_info"] = info
        rows["st_other"] = other
        rows["st_shndx"] = np.where(common, bss.index if bss is not None else 0,
                                    np.where(is_abs, elf.SHN_ABS, oi))
        rows["st_value"] = gaddr[gsel]
        size = syms["st_size"].copy()
        if common.any():
            size[common] = [st.common_size[g] for g in gsel[common].tolist()]
        rows["st_size"] = size
        g_rows.append(rows)
        g_ids.append(gsel)
        del allsyms, allshndx, picked, syms, shndx, flat, info, size, rows
    # names a dynamic output takes from elsewhere (imported, copied, undefined weak): as in
    # .dynsym (GNU ld and lld list them in .symtab too)
    foreign = None
    if ctx.dyn is not None:
        foreign = ctx.dyn.foreign_symbols(ctx, gaddr)
    # linker-defined, and undefined weak references
    ex = np.nonzero((def_file < 0) | ((state == 0) & has_ref & ~strong))[0]
    ex = ex[ex > 0]
    if foreign is not None and len(foreign[0]):
        listed = np.zeros(len(state), dtype=bool)
        listed[foreign[0]] = True
        ex = ex[~listed[ex]]
    extra = ex.tolist()
    if extra:
        rows = np.zeros(len(ex), dtype=_SYM_OUT)
        linker = def_file[ex] < 0
        # local as GNU ld writes them: a -T script's HIDDEN/PROVIDE_HIDDEN names, and the
        # linker's own and its default scripts' PROVIDE_HIDDEN ones (_DYNAMIC,
        # __init_array_start ...: LINKER_LOCAL) unless the user defines them; the others
        # global with the visibility their references give them (static glibc's hidden _end)
        hid = member(ex, ctx.script_hidden)        # (not np.isin: ~60 us a call)
        user = {n for n, _ in ctx.opts.defsym} | set(ctx.script_names)
        hid |= linker & np.array([st.names[g] in LINKER_LOCAL and st.names[g] not in user for g in extra], dtype=bool)
        rows["st_other"] = [0 if h or not lk else ctx.ref_visibility.get(g, 0) & 3
                            for g, lk, h in zip(extra, linker.tolist(), hid.tolist())]
        if ctx.start_stop and ctx.dyn is not None:
            # a hidden __start_SEC/__stop_SEC (-z start-stop-visibility=hidden) is local to a
            # dynamic output, as lld writes it (and as every hidden definition is)
            vis = rows["st_other"]
            hid |= member(ex, ctx.start_stop) & ((vis == elf.STV_HIDDEN) | (vis == elf.STV_INTERNAL))
        bind = np.where(hid, elf.STB_LOCAL, elf.STB_GLOBAL)
        typ = np.zeros(len(ex), dtype=np.int64)
        if ctx.defsym_alias:
            typ[:] = [layout.alias_type(ctx, g) if lk else elf.STT_NOTYPE for g, lk in zip(extra, linker.tolist())]
        typ[np.array([st.names[g] in LINKER_OBJECTS for g in extra], dtype=bool)] = elf.STT_OBJECT
        rows["st_info"] = np.where(linker, (bind << 4) | typ, (elf.STB_WEAK << 4) | elf.STT_NOTYPE)
        secs = [ctx.linker_sec.get(g) for g in extra]
        rows["st_shndx"] = np.where(linker, [s.index if s is not None else elf.SHN_ABS for s in secs], elf.SHN_UNDEF)
        rows["st_value"] = np.where(linker, gaddr[ex], 0)
        g_rows.append(rows)
        g_ids.append(ex)
    if foreign is not None and len(foreign[0]):
        g_rows.append(foreign[1].astype(_SYM_OUT))
        g_ids.append(foreign[0])
    if g_rows:
        grows = np.concatenate(g_rows)
        gids = np.concatenate(g_ids)
        names = list(map(st.names.__getitem__, gids.tolist()))
        blob = np.frombuffer(("\0".join(names) + "\0").encode(), dtype=np.uint8)
        zeros = np.flatnonzero(blob == 0)
        offs = np.concatenate([[0], zeros[:-1] + 1])
        globals_at = strsize
        grows["st_name"] = offs + strsize
        strsize += len(blob)
        blobs.append(blob)
        demoted = (grows["st_info"] >> 4) == elf.STB_LOCAL
        parts_loc.append(grows[demoted])          # hidden globals demoted to locals go first
        glob = grows[~demoted]
        gnames = (names, blob, zeros - offs, demoted)
        del g_rows, grows, names, blob, zeros, offs
    else:
        gids = np.zeros(0, dtype=np.int64)
        demoted = np.zeros(0, dtype=bool)
        glob = np.zeros(0, dtype=_SYM_OUT)
        gnames, globals_at = None, strsize
    null = np.zeros(1, dtype=_SYM_OUT)
    locs = np.concatenate([null] + parts_loc)
    if index is not None:
        index.learn(ctx, keys_loc, parts_loc, gids, demoted, len(locs))
    table = np.concatenate([locs, glob])
    nlocs = len(locs)
    del parts_loc, locs, glob             # (the temporaries go before the names are merged)
    if ctx.tls_range is not None:
        # a thread-local symbol's value is its offset in the TLS template, not an address (as
        # in .dynsym; GNU ld, gold and lld write .symtab so too, and debuggers read it so)
        tls = ((table["st_info"] & 0xF) == elf.STT_TLS) & (table["st_shndx"] != elf.SHN_UNDEF) & \
            (table["st_shndx"] != elf.SHN_ABS)
        table["st_value"][tls] -= np.uint64(ctx.tls_range[0])
    strtab = np.concatenate([np.zeros(1, dtype=np.uint8)] + blobs)
    del blobs
    # each name once (GNU ld's .strtab; it shares tails too): a riscv64 program names
    # thousands of mapping symbols "$xrv64i2p1_m2p0_..." alike
    named = np.flatnonzero(table["st_name"] != 0)
    starts = table["st_name"][named].astype(np.int64)
    got = _names_once(st, strtab, starts, globals_at, gids, gnames)
    strtab, at = got if got is not None else merge.string_table(strtab, starts)
    table["st_name"][named] = at
    return table.view(np.uint8), strtab, nlocs


def _names_once(st, strtab: np.ndarray, starts: np.ndarray, globals_at: int, gids: np.ndarray, gnames):
    """``merge.string_table(strtab, starts)`` for the symbol table's names, knowing that the
    globals' (the last ``len(gids)`` of ``starts``, from ``globals_at`` on in ``strtab``)
    are distinct: only the locals' names are matched as bytes; a global's name is stored
    after them, unless a local has the same (found by looking the locals' distinct names up
    among the globals' own).  None where that does not hold (the caller matches them all).
    At arm64 400x50 (30k names, 22k of them globals') 11 -> 4 ms."""
    ng = len(gids)
    if gnames is None or ng == 0 or ng > len(starts):
        return None
    names, blob, glens, demoted = gnames
    lstarts, gstarts = starts[:len(starts) - ng], starts[len(starts) - ng:]
    if (len(lstarts) and lstarts.max() >= globals_at) or gstarts.min() < globals_at:
        return None
    seen = np.zeros(len(st.names) + 1, dtype=bool)
    seen[gids] = True
    if int(seen.sum()) != ng:                  # a name twice among the globals
        return None
    table, at_l = merge.string_table(strtab[:globals_at], lstarts)
    # the globals in table order (those demoted to locals first), by their place in ``names``
    order = np.concatenate([np.flatnonzero(demoted), np.flatnonzero(~demoted)])
    # globals whose name a local has: they point at the local's (the locals' distinct names
    # decoded together: a NUL is never inside a UTF-8 sequence, so each decodes as alone)
    place = np.full(len(st.names) + 1, -1, dtype=np.int64)
    place[gids[order]] = np.arange(ng)
    key_at = np.flatnonzero(table[:-1] == 0) + 1           # where each distinct name starts
    text = table[1:-1].tobytes().decode("utf-8", "surrogateescape").split("\0") if len(table) > 1 else []
    hit = np.array(list(map(st.ids.get, text, itertools.repeat(len(st.names), len(text)))), dtype=np.int64)
    pos = place[hit] if len(hit) else hit
    shared = pos >= 0
    at_g = np.empty(ng, dtype=np.int64)
    new = np.ones(ng, dtype=bool)
    new[pos[shared]] = False
    lens = glens[order][new] + 1
    at_g[new] = len(table) + np.cumsum(lens) - lens
    at_g[pos[shared]] = key_at[shared]
    if new.all() and not demoted.any():
        tail = blob
    else:
        picked = order[new].tolist()
        tail = np.frombuffer(("\0".join(map(names.__getitem__, picked)) + "\0").encode(), dtype=np.uint8) \
            if picked else np.zeros(0, dtype=np.uint8)
    return np.concatenate([table, tail]), np.concatenate([at_l, at_g])


def _local_rows(lf, out_index, ctx_sec_base, forced=None, only_forced=False, keep_temporary=False):
    """Output symbol rows of the locals of the files ``lf`` that go into the table, with their
    names: (rows, name blob, offset of each name in the blob, position of each row's symbol
    among the files' locals, -1 for a row made here), or None.  A file whose kept locals have
    no STT_FILE symbol before them gets one, named after the object (GNU ld's).
    ``keep_temporary``: .L labels too (--discard-none); ``forced`` (a flag per local): kept
    even when temporary or unnamed (--emit-relocs: a relocation names it); ``only_forced``:
    no others (-x)."""
    counts = np.array([f.first_global - 1 for f in lf], dtype=np.int64)
    # (joined again, not taken from a table of all of them: NumPy takes structured rows by
    # index a field at a time, several times slower than joining the slices' bytes)
    syms = _records([f.syms[1:f.first_global] for f in lf])
    strs = [f.symstr or b"\0" for f in lf]
    str_start = np.cumsum([0] + [len(x) for x in strs])[:-1]
    strbuf = np.frombuffer(b"".join(strs + [b"\0\0"]), dtype=np.uint8)
    if forced is None and not only_forced and not keep_temporary and len(syms) > _MANY_LOCALS * len(lf):
        cand = _named_locals(lf, counts, syms, strbuf, str_start)
    else:
        wanted = _wanted(syms, strbuf, np.repeat(str_start, counts), keep_temporary)
        if only_forced:
            wanted[:] = False
        if forced is not None:
            wanted |= forced & ((syms["st_info"] & 0xF) != elf.STT_SECTION)
        cand = np.flatnonzero(wanted)
        del wanted
    if len(cand) == 0:
        return None
    owner_c = np.repeat(np.arange(len(lf)), counts)[cand]
    nameoff = syms["st_name"][cand].astype(np.int64) + str_start[owner_c]
    shndx = np.concatenate([f.sym_shndx[1:f.first_global] for f in lf]).astype(np.int64)[cand]
    dead = np.concatenate([f.sym_dead[1:f.first_global] for f in lf])[cand]
    nsec = np.array([len(f.sec_outsec) for f in lf], dtype=np.int64)[owner_c]
    sbase = np.array([ctx_sec_base[f.file_id] for f in lf], dtype=np.int64)[owner_c]
    info = syms["st_info"][cand]
    typ = info & 0xF
    in_sec = (shndx > 0) & (shndx < nsec)
    oidx = out_index[np.where(in_sec, sbase + shndx, 0)]
    kept_sec = in_sec & (oidx > 0)
    is_file = typ == elf.STT_FILE
    is_abs = shndx == elf.SHN_ABS
    keep = ~dead & (is_file | is_abs | kept_sec)
    idx = np.flatnonzero(keep)
    if len(idx) == 0:
        return None
    sel = cand[idx]
    rest = syms
    addr = np.concatenate([f.S[1:f.first_global] for f in lf])
    at = np.cumsum(counts) - counts - 1          # (a file's local y is row at[k] + y)
    for k, f in enumerate(lf):
        for y, v in f.own_addr.items():          # (an IFUNC's own address: S is its stub)
            if 0 < y < f.first_global:
                addr[at[k] + y] = v
    addr = addr[sel]
    rows = np.zeros(len(idx), dtype=_SYM_OUT)
    rows["st_info"] = info[idx]
    rows["st_other"] = rest["st_other"][sel] & 3
    rows["st_shndx"] = np.where(is_file[idx] | is_abs[idx], elf.SHN_ABS, oidx[idx])
    value = np.where(is_file[idx], 0, np.where(is_abs[idx], rest["st_value"][sel].astype(np.int64), addr))
    rows["st_value"] = value.view(np.uint64)
    rows["st_size"] = rest["st_size"][sel]
    blob, offs = _cstrings(strbuf, nameoff[idx])
    # files whose rows hold no STT_FILE symbol: one named after the object, before its rows
    owner = np.repeat(np.arange(len(lf)), counts)[sel]
    has_file = np.zeros(len(lf), dtype=bool)
    has_file[owner[is_file[idx]]] = True
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    need = starts[~has_file[owner[starts]]]
    if len(need) and not only_forced:
        names = [file_symbol_name(lf[k]) for k in owner[need].tolist()]
        extra = np.zeros(len(need), dtype=_SYM_OUT)
        extra["st_info"] = (elf.STB_LOCAL << 4) | elf.STT_FILE
        extra["st_shndx"] = elf.SHN_ABS
        lens = np.array([len(n) for n in names], dtype=np.int64)
        rows = np.insert(rows, need, extra)
        offs = np.insert(offs, need, len(blob) + np.cumsum(lens) - lens)
        blob = np.concatenate([blob, np.frombuffer(b"".join(names), dtype=np.uint8)])
        sel = np.insert(sel, need, -1)
    return rows, blob, offs, sel


def _wanted(syms, strbuf, str_base, keep_temporary: bool = False) -> np.ndarray:
    """Per local symbol (rows ``syms``, names at ``str_base`` + st_name in ``strbuf``, which
    ends in two spare NULs): whether it may go into the table, by the cheap tests: not an
    input section's symbol (the output's replace them), named, not a temporary label."""
    nameoff = syms["st_name"].astype(np.int64) + str_base
    # temporary labels, as BFD names them for ELF (bfd_is_local_label_name): .L*, ..*, _.L_*
    c0, c1 = strbuf[nameoff], strbuf[nameoff + 1]
    temp = (c0 == ord(".")) & ((c1 == ord("L")) | (c1 == ord(".")))
    temp |= (c0 == ord("_")) & (c1 == ord(".")) & (strbuf[nameoff + 2] == ord("L"))
    if keep_temporary:
        temp[:] = False
    return ((syms["st_info"] & 0xF) != elf.STT_SECTION) & (syms["st_name"] != 0) & ~temp


_MANY_LOCALS = 64      # locals a file, on average, past which each file's ``_named_locals`` pay


def _named_locals(lf, counts, syms, strbuf, str_start) -> np.ndarray:
    """``_wanted``'s rows of the files' locals (the default: -X), as positions among them.
    They depend on each object alone, so each object keeps its own (the warm server's
    members serve link after link; a riscv64 libc member has hundreds of .L labels).  Where
    files have a few locals each (arm64's mapping symbols), testing them all is cheaper
    than a Python step a file: ``_local_rows`` does that then."""
    mine = [f.__dict__.get("_named_locals") for f in lf]
    miss = [k for k, (f, c) in enumerate(zip(lf, mine))
            if c is None or c[0] is not f.symstr or c[1] != f.first_global]
    if miss:
        first = np.cumsum(counts) - counts
        if len(miss) == len(lf):
            got = np.flatnonzero(_wanted(syms, strbuf, np.repeat(str_start, counts)))
            cuts = np.searchsorted(got, first).tolist() + [len(got)]
            for k in miss:
                mine[k] = (lf[k].symstr, lf[k].first_global, got[cuts[k]:cuts[k + 1]] - first[k])
        else:
            for k in miss:
                f = lf[k]
                rows = syms[first[k]:first[k] + counts[k]]
                mine[k] = (f.symstr, f.first_global,
                           np.flatnonzero(_wanted(rows, strbuf, np.full(len(rows), str_start[k], np.int64))))
        for k in miss:
            lf[k]._named_locals = mine[k]
    parts = [c[2] for c in mine]
    lens = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    return np.concatenate(parts) + np.repeat(np.cumsum(counts) - counts, lens)


def named_locals(obj) -> None:
    """Find ``_named_locals`` of an object ahead (the warm server's members)."""
    if obj.first_global > 1:
        syms = obj.syms[1:obj.first_global]
        strbuf = np.frombuffer((obj.symstr or b"\0") + b"\0\0", dtype=np.uint8)
        obj._named_locals = (obj.symstr, obj.first_global,
                             np.flatnonzero(_wanted(syms, strbuf, np.zeros(len(syms), np.int64))))


def read_names(path: str) -> set[str]:
    """--retain-symbols-file: one name a line (GNU ld's format)."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return {line.strip() for line in f} - {""}
    except OSError as e:
        raise LinkError(f"--retain-symbols-file: cannot open {path}: {e.strerror}")


def retain_symbols(symtab: np.ndarray, strtab: np.ndarray, first_global: int, keep: set[str]):
    """--retain-symbols-file: only the named symbols stay in .symtab (and the section symbols,
    as GNU ld keeps them); .dynsym is not touched.  Returns the tables as symbol_table does."""
    rows = symtab.view(_SYM_OUT)
    blob = strtab.tobytes()
    names = [blob[o:blob.index(b"\0", o)].decode("utf-8", "surrogateescape") for o in rows["st_name"].tolist()]
    ok = np.array([nm in keep for nm in names], dtype=bool) | ((rows["st_info"] & 0xF) == elf.STT_SECTION)
    ok[0] = True
    kept = rows[ok]
    out = bytearray(b"\0")
    for k, i in enumerate(np.flatnonzero(ok).tolist()[1:], start=1):
        if names[i]:
            kept[k]["st_name"] = len(out)
            out += names[i].encode("utf-8", "surrogateescape") + b"\0"
        else:
            kept[k]["st_name"] = 0
    return kept.view(np.uint8), np.frombuffer(bytes(out), dtype=np.uint8), int(ok[:first_global].sum())


def file_symbol_name(obj) -> bytes:
    """The name (NUL-terminated) of the STT_FILE symbol made for an object without one: its
    file's base name (an archive member's own).  Kept on the object (the warm server's
    members are used by link after link)."""
    c = obj.__dict__.get("_file_symbol_name")
    if c is None:
        c = obj._file_symbol_name = os.path.basename(_member_name(obj.name)).encode() + b"\0"
    return c


def _member_name(name: str) -> str:
    """``libc.a(abort.o)`` -> ``abort.o``; a plain path stays."""
    return name[name.rindex("(") + 1:-1] if name.endswith(")") and "(" in name else name


class _Trailer:
    """What follows the sections in the file: .symtab, .strtab, .shstrtab and the section
    header table, with their offsets and the total file size.  ``tables``: .symtab, .strtab
    and the index of the first global, made elsewhere (``_SymbolTableWorker``)."""

    def __init__(self, ctx, tables=None):
        opts = ctx.opts
        self.symtab = self.strtab = np.zeros(0, dtype=np.uint8)
        self.first_global = 0
        relas = []
        if tables is not None:
            self.symtab, self.strtab, self.first_global = tables
        elif opts.emit_relocs:            # --emit-relocs: the relocations, against this table
            from xld.link import emitrelocs
            index = emitrelocs.SymbolIndex(ctx)
            self.symtab, self.strtab, self.first_global = symbol_table(ctx, index)
            relas = emitrelocs.sections(ctx, index)
        elif not opts.strip_all:
            self.symtab, self.strtab, self.first_global = symbol_table(ctx)
            if opts.retain_symbols_file is not None:
                self.symtab, self.strtab, self.first_global = retain_symbols(
                    self.symtab, self.strtab, self.first_global, read_names(opts.retain_symbols_file))
        names = bytearray(b"\0")
        name_off: dict[str, int] = {}

        def sname(s):
            if s not in name_off:
                name_off[s] = len(names)
                names.extend(s.encode() + b"\0")
        for o in ctx.ordered:
            sname(o.name)
        extra = []                      # (name, type, offset, contents, align, entsize, sh_info)
        off = ctx.file_end
        for name, data, target in relas:
            off = align_up(off, 8)
            extra.append((name, elf.SHT_RELA, off, data, 8, elf.RELA_SIZE, target))
            off += len(data)
        if not opts.strip_all:
            off = align_up(off, 8)
            extra.append((".symtab", elf.SHT_SYMTAB, off, self.symtab, 8, 24, 0))
            off += len(self.symtab)
            extra.append((".strtab", elf.SHT_STRTAB, off, self.strtab, 1, 0, 0))
            off += len(self.strtab)
        sname(".shstrtab")
        for e in extra:
            sname(e[0])
        self.names, self.name_off, self.extra = names, name_off, extra
        self.shstr_off = off
        off += len(names)
        self.shoff = align_up(off, 8)
        self.nsec = 1 + len(ctx.ordered) + len(extra) + 1
        self.total = self.shoff + self.nsec * elf.SHDR_SIZE


class _InWorker:
    """A table of ``n`` bytes the symbol table worker wrote to its file, read straight into
    the output by ``write_output`` (this process never holds another copy)."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n


class _SymbolTableWorker:
    """.symtab and .strtab made by a forked child while this process copies the sections
    and relocates them (both cores; ~35 ms of a served arm64 400x50 link's ~370), and a
    dynamic output's .dynsym and hash tables with them (``dynamic.tables_ahead``): the child
    runs ``symbol_table`` on the link's state as it is when the image is made (what the
    tables are made from does not change after that) and writes the tables to a memory
    file, from which this process reads them into the output.  The image is made before
    the tables' sizes are known, in a buffer with room for what they could be (``bound``:
    every symbol, named from the files' string tables); ``collect`` lays out the trailer
    for the real ones and the file is cut to its size (or, past the room, copied into a
    larger buffer).  Where the child fails or cannot be made, the tables are made here, as
    without the worker: the bytes are the same either way.

    ``here``: no child; the tables are made in this process once the image's half child is
    forked (``make_tables_here``), into the buffer laid out for the bound as the child's
    would be.  On a machine of two cores the three processes (this one, the image's half
    child, the tables' child) shared two cores, and this one, the link's critical path,
    waited for a core a third of the time (arm64 400x50, served: 22 ms of its 45 in the
    image pass, 10 of 25 in relocate); the tables cost less made here than in a child of
    their own (19 ms against 34: the child's fork and its copies of the pages it writes),
    and the half child takes the larger share of the image (halves.MINE_HERE)."""

    # (a fork of a served link's process costs ~2-8 ms and the pages this process then
    # writes that the child still shares are copied: below this many symbols, or with an
    # image too small to keep this process busy while the child works, not worth it.
    # riscv64's static links count libc's ~140,000 local labels: a served hello, interp or
    # compress took 10-20 ms longer with the worker, an image of 0.5-0.7 MB)
    MIN_SYMBOLS = 20000
    MIN_IMAGE = 4 << 20
    _HEAD = 3                               # .symtab, .strtab sizes, first global; then ``ahead``'s

    def __init__(self, pid: int, rfd: int, fd: int, bound: "_Trailer", sizes: list[int], ahead: list[str],
                 out: np.ndarray):
        self.pid, self.rfd, self.fd, self.bound, self.sizes = pid, rfd, fd, bound, sizes
        self.out = out                      # the output's buffer (not in the child)
        self.ahead_names = ahead
        self.total = bound.total
        self.trailer: _Trailer | None = None
        self.ahead: dict[str, bytes] = {}
        self.here = pid == 0                # the tables made in this process (collect)

    @classmethod
    def start(cls, ctx, shared: bool = False, here: bool = False):
        opts = ctx.opts
        want = os.environ.get("XLD_SYMTAB_WORKER", "")
        if opts.emit_relocs or opts.strip_all or opts.retain_symbols_file is not None or \
                not hasattr(os, "fork") or not hasattr(os, "memfd_create") or want == "0":
            return None
        if want == "here" and not here:     # (no half child to work beside: made as without a worker)
            return None
        import sys
        threading = sys.modules.get("threading")
        if threading is not None and threading.active_count() > 1:
            return None                     # (a fork copies only this thread: its locks may be held)
        files = ctx.files[1:]
        st = ctx.symtab
        nsyms = 1 + len(ctx.ordered) + sum(f.first_global for f in files) + len(st.names)
        if (nsyms < cls.MIN_SYMBOLS or ctx.file_end < cls.MIN_IMAGE) and want not in ("1", "here"):
            return None
        nsyms += len(st.names) // 16 + 64   # (a dynamic output's foreign names)
        # (a global's name is in the string table of a file that defines or refers to it;
        # the others are few: the linker's own, a script's, --defsym's.  More than the margin
        # and the tables are made here: the bound only has to hold for nearly every link)
        nstr = 1 + sum(len(getattr(f, "symstr", b"") or b"") + len(f.name) + 1 for f in files) + (1 << 16)
        bound = _Trailer(ctx, (_InWorker(24 * nsyms), _InWorker(nstr), 0))
        if not _padding_ok(ctx, bound.total):
            return None                     # (the real tables' size decides: made here)
        # the output's buffer: the sections and room for the trailer, of the bound's size
        # where it is small, else a quarter of it (riscv64's .L labels, most locals, go); a
        # larger trailer is copied into a new buffer (write_output).  (Not all of a large
        # bound: past glibc's mmap threshold, 32 MiB in a link, the buffer would be fresh
        # pages, each faulted in, where the heap's are resident)
        room = bound.total - ctx.file_end
        size = ctx.file_end + min(room, max(4 << 20, room // 4))
        ahead = []
        if ctx.dyn is not None:
            ahead = [name for name in ctx.dyn.ahead if name in ctx.outputs]
        sizes = [ctx.outputs[name].size for name in ahead]
        if here:
            out = pages.shared_buffer(bound.total) if shared else np.empty(size, dtype=np.uint8)
            return cls(0, -1, -1, bound, sizes, ahead, out)
        try:
            fd = os.memfd_create("xld-symtab", os.MFD_CLOEXEC)
        except OSError:
            return None
        try:
            r, w = os.pipe()
        except OSError:
            os.close(fd)
            return None
        # the output's buffer, made now and kept from the child: it is filled while the
        # child runs, and each of its pages the child shared would be copied first
        # (``shared``: memory a later child writes too, all of the bound's room: the pages of
        # a shared mapping that are never touched cost nothing)
        if shared:
            out = pages.shared_buffer(bound.total)
        else:
            out = np.empty(size, dtype=np.uint8)
            pages.not_inherited(out)
        try:
            pid = os.fork()
        except OSError:
            pages.not_inherited(out, False)
            for x in (r, w, fd):
                os.close(x)
            return None
        if pid == 0:                        # the child: the tables, then out without a trace
            head = [-1] * (cls._HEAD + len(ahead))
            try:
                os.close(r)
                # the heap's free pages let go here: this process's writes into them (the
                # next passes' arrays) need no copy of a page the child shares
                pages.trim_heap()
                symtab, strtab, first = symbol_table(ctx)
                _pwrite_all(fd, symtab, 0)
                _pwrite_all(fd, strtab, len(symtab))
                head[:3] = len(symtab), len(strtab), first
                if ahead:
                    at = len(symtab) + len(strtab)
                    for k, (name, data) in enumerate(zip(ahead, ctx.dyn.tables_ahead(ctx, ahead))):
                        if len(data) == sizes[k]:
                            _pwrite_all(fd, data, at)
                            head[cls._HEAD + k] = len(data)
                        at += sizes[k]
            except BaseException:
                pass
            finally:
                try:
                    os.write(w, np.array(head, dtype="<i8").tobytes())
                finally:
                    os._exit(0)
        os.close(w)
        return cls(pid, r, fd, bound, sizes, ahead, out)

    def collect(self, ctx) -> "_Trailer":
        """The trailer for the child's tables (the child reaped; ``read_tables`` puts them in
        the output), or made here; the tables made ahead into ``ahead``.  Once: later calls
        return the same."""
        if self.trailer is not None:
            return self.trailer
        if self.here:
            self.trailer = _Trailer(ctx, symbol_table(ctx))
            if self.ahead_names:
                self.ahead.update(zip(self.ahead_names, ctx.dyn.tables_ahead(ctx, self.ahead_names)))
            return self.trailer
        want = 8 * (self._HEAD + len(self.ahead_names))
        got = b""
        try:
            while len(got) < want:
                b = os.read(self.rfd, want - len(got))
                if not b:
                    break
                got += b
        finally:
            os.close(self.rfd)
            self.rfd = -1
            self.finish()
        head = np.frombuffer(got, dtype="<i8").tolist() if len(got) == want else [-1] * (want // 8)
        ns, nt, first = head[:3]
        at = ns + nt
        for k, name in enumerate(self.ahead_names):
            n = head[self._HEAD + k]
            if n >= 0:
                self.ahead[name] = _pread_all(self.fd, n, at)
            at += self.sizes[k]
        if ns >= 0:
            self.trailer = _Trailer(ctx, (_InWorker(ns), _InWorker(nt), first))
        else:
            self.trailer = _Trailer(ctx)
            self.close()
        return self.trailer

    def read_tables(self, tr: "_Trailer", out: np.ndarray) -> None:
        """The child's .symtab and .strtab into their places in ``out``."""
        offs = {id(data): o_off for _, _, o_off, data, _, _, _ in tr.extra}
        for data, at in ((tr.symtab, 0), (tr.strtab, len(tr.symtab))):
            if isinstance(data, _InWorker):
                o_off = offs[id(data)]
                _preadv_all(self.fd, memoryview(out[o_off:o_off + data.n]), at)
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def finish(self) -> None:
        """Reap the child (a link that stops before writing calls this too)."""
        if self.pid:
            pid, self.pid = self.pid, 0
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            pages.not_inherited(self.out, False)    # (a later child may use its memory)


def _pwrite_all(fd: int, data, at: int) -> None:
    mv = memoryview(data).cast("B")
    while len(mv):
        n = os.pwrite(fd, mv, at)
        mv, at = mv[n:], at + n


def _pread_all(fd: int, n: int, at: int) -> bytes:
    buf = bytearray(n)
    _preadv_all(fd, memoryview(buf), at)
    return bytes(buf)


def _preadv_all(fd: int, mv: memoryview, at: int) -> None:
    while len(mv):
        n = os.preadv(fd, [mv], at)
        if n <= 0:
            raise OSError("the symbol table worker's file is short")
        mv, at = mv[n:], at + n


def made_ahead(ctx, name: str) -> bytes | None:
    """The contents of output section ``name`` that the symbol table worker made (a dynamic
    output's .dynsym and hash tables: ``dynamic.AHEAD``), or None: made by the caller."""
    tr = ctx.trailer
    if not isinstance(tr, _SymbolTableWorker) or name not in tr.ahead_names:
        return None
    tr.collect(ctx)
    return tr.ahead.get(name)


def tables_made_here(ctx) -> bool:
    """Whether the symbol tables are to be made in this process (``make_tables_here``)."""
    tr = ctx.trailer
    return isinstance(tr, _SymbolTableWorker) and tr.here and tr.trailer is None


def make_tables_here(ctx) -> None:
    """The symbol tables made now where ``build_image`` left them to this process for later
    (``tables_here``): while the image's half child works."""
    tr = ctx.trailer
    if isinstance(tr, _SymbolTableWorker) and tr.here:
        tr.collect(ctx)


def abandon(ctx) -> None:
    """A link that ends before its output is written: a symbol table worker is reaped."""
    tr = getattr(ctx, "trailer", None)
    if isinstance(tr, _SymbolTableWorker):
        ctx.trailer = None
        if tr.rfd >= 0:
            try:
                os.close(tr.rfd)
            except OSError:
                pass
            tr.rfd = -1
        tr.finish()
        tr.close()


def write_output(ctx, img: np.ndarray) -> None:
    """The tables and headers around the relocated sections, into ``ctx.out_bytes`` (the
    buffer ``build_image`` made; ``img`` is its first part)."""
    arch = ctx.arch
    sections = ctx.ordered
    tr = ctx.trailer
    out = ctx.out_bytes
    worker = None
    if isinstance(tr, _SymbolTableWorker):
        worker, tr = tr, tr.collect(ctx)
        if out is not None and tr.total <= len(out) and np.shares_memory(out[:1], img[:1]):
            out = out[:tr.total]
            out[len(img):] = 0
        else:                               # (the tables did not fit the room left for them)
            _check_padding(ctx, tr.total)
            out = np.zeros(tr.total, dtype=np.uint8)
            out[:len(img)] = img
    elif tr is None or out is None or not np.shares_memory(out[:1], img[:1]):
        tr = _Trailer(ctx)                  # an image from elsewhere: copy it into a new file
        out = np.zeros(tr.total, dtype=np.uint8)
        out[:len(img)] = img
    ctx.trailer = None
    name_off, extra, names = tr.name_off, tr.extra, tr.names
    for _, _, o_off, data, _, _, _ in extra:
        if not isinstance(data, _InWorker):
            out[o_off:o_off + len(data)] = data
    if worker is not None:
        worker.read_tables(tr, out)
    out[tr.shstr_off:tr.shstr_off + len(names)] = np.frombuffer(bytes(names), dtype=np.uint8)
    shoff, nsec = tr.shoff, tr.nsec

    # section headers
    sh = np.zeros(nsec, dtype=elf.SHDR)
    for o in sections:
        # (a section fixed below its inputs' alignment, or placed so by a script: the largest
        # alignment its address has, as GNU ld writes it since 2.35, so that sh_addr is a
        # multiple of sh_addralign, as the ELF specification asks)
        align = max(o.align, 1)
        if o.addr & (align - 1):
            align = o.addr & -o.addr
        sh[o.index] = (name_off[o.name], o.type, o.flags, o.addr, o.offset, o.size, o.link, o.info,
                       align, o.entsize)
    k = 1 + len(sections)
    symtab_index = k + sum(1 for e in extra if e[1] == elf.SHT_RELA)
    for name, typ, o_off, data, align, ent, info in extra:
        r = sh[k]
        r["sh_name"] = name_off[name]
        r["sh_type"] = typ
        r["sh_offset"] = o_off
        r["sh_size"] = len(data)
        r["sh_addralign"] = align
        r["sh_entsize"] = ent
        if typ == elf.SHT_SYMTAB:
            r["sh_link"] = k + 1
            r["sh_info"] = tr.first_global
        elif typ == elf.SHT_RELA:
            r["sh_flags"] = elf.SHF_INFO_LINK
            r["sh_link"] = symtab_index
            r["sh_info"] = info
        k += 1
    shstrndx = k
    r = sh[k]
    r["sh_name"] = name_off[".shstrtab"]
    r["sh_type"] = elf.SHT_STRTAB
    r["sh_offset"] = tr.shstr_off
    r["sh_size"] = len(names)
    r["sh_addralign"] = 1
    out[shoff:shoff + sh.nbytes] = sh.view(np.uint8)

    # program headers
    ph = program_headers(ctx)
    out[elf.EHDR_SIZE:elf.EHDR_SIZE + ph.nbytes] = ph.view(np.uint8)

    # ELF header
    eh = np.zeros(1, dtype=elf.EHDR)
    eh["e_ident"][0][:8] = [0x7F, ord("E"), ord("L"), ord("F"), elf.ELFCLASS64, elf.ELFDATA2LSB, 1, os_abi(ctx)]
    eh["e_type"] = ctx.dyn.e_type if ctx.dyn is not None else elf.ET_EXEC
    eh["e_machine"] = arch.machine
    eh["e_version"] = 1
    eh["e_entry"] = ctx.entry_addr
    eh["e_phoff"] = elf.EHDR_SIZE
    eh["e_shoff"] = shoff
    eh["e_flags"] = ctx.e_flags
    eh["e_ehsize"] = elf.EHDR_SIZE
    eh["e_phentsize"] = elf.PHDR_SIZE
    eh["e_phnum"] = len(ph)
    eh["e_shentsize"] = elf.SHDR_SIZE
    eh["e_shnum"] = nsec
    eh["e_shstrndx"] = shstrndx
    out[:elf.EHDR_SIZE] = eh.view(np.uint8)
    ctx.out_bytes = out


def os_abi(ctx, flags=()) -> int:
    """EI_OSABI, GNU ld's rule: ELFOSABI_GNU when an input object defines an STT_GNU_IFUNC or
    an STB_GNU_UNIQUE symbol, or (``flags``: the output sections' flags, -r) a section is
    SHF_GNU_RETAIN: readelf and objdump read those values as GNU's only under it."""
    if any(f & elf.SHF_GNU_RETAIN for f in flags):
        return elf.ELFOSABI_GNU
    files = ctx.files[1:]
    if not files:
        return elf.ELFOSABI_NONE
    gnu = getattr(ctx, "gnu_symbols", None)     # (scan's answer: see elf.gnu_symbols)
    if gnu is None:
        info = elf.table_column([f.syms for f in files], "st_info")
        gnu = elf.gnu_symbols(info, files)
    return elf.ELFOSABI_GNU if gnu else elf.ELFOSABI_NONE


def program_headers(ctx) -> np.ndarray:
    spec = ctx.arch.hooks.get("attributes")
    attrs = ctx.outputs.get(spec["name"]) if spec else None
    attrs_row = (spec["phdr"], elf.PF_R, attrs.offset, 0, 0, attrs.size, 0, 1) if attrs is not None else None
    if ctx.script_phdrs is not None:     # a script's PHDRS: exactly those, after the ISA's (GNU ld's)
        return np.array(([attrs_row] if attrs_row else []) + list(ctx.script_phdrs), dtype=elf.PHDR)
    rows = ctx.dyn.phdrs_before_loads(ctx) if ctx.dyn is not None else []
    maxpage = ctx.opts.max_page_size or ctx.arch.max_page_size
    alloc = [o for o in ctx.ordered if o.alloc]
    # ELF wants PT_LOAD entries in ascending p_vaddr (--section-start can place a later
    # segment below an earlier one)
    xonly = ctx.opts.execute_only           # (checked against the architecture in the driver)
    relro = [s for s in ctx.segments if s[0] == SEG_RELRO]
    srelro = ctx.script_relro
    relro_end = None                        # where PT_GNU_RELRO ends (the default layout's)
    if srelro is None and relro and ctx.opts.relro:
        page = min(ctx.opts.common_page_size or ctx.arch.common_page_size, maxpage)
        relro_end = align_up(relro[0][4], page)
    for cls, vaddr, off, fend, mend, *paddr in sorted(ctx.segments, key=lambda seg: seg[1]):
        # p_paddr: the load address (a linker script's AT), else the address
        # (a script's segment may carry its own flags: sections that share a page, RWX)
        flags = paddr[1] if len(paddr) > 1 else elf.PF_X if xonly and cls == SEG_RX else _SEG_FLAGS[cls]
        if relro_end is not None and cls == SEG_RELRO and relro_end > align_up(mend, MIN_PAGE):
            # PT_GNU_RELRO reaches past the pages the segment maps (-z common-page-size
            # above the smallest page): ld.so's mprotect of that range would fail (ENOMEM,
            # "cannot apply additional memory protection after relocation") on a kernel
            # with smaller pages; the segment's memory takes the padding, as lld's
            # .relro_padding does
            mend = relro_end
        rows.append((elf.PT_LOAD, flags, off, vaddr, paddr[0] if paddr else vaddr,
                     fend - off, mend - vaddr, maxpage))
    if ctx.dyn is not None:
        rows += ctx.dyn.phdrs_after_loads(ctx)
    if ctx.tls_range is not None:
        start, end, align, foff, filesz = ctx.tls_range
        rows.append((elf.PT_TLS, elf.PF_R, foff, start, start, filesz, end - start, align))
    if srelro is not None:      # a script's DATA_SEGMENT_ALIGN .. DATA_SEGMENT_RELRO_END
        start, end = srelro
        # (DATA_SEGMENT_ALIGN's address may fall short of the first section's, which its
        # alignment moves up: the range starts with that section, in the segment it opens)
        seg = next((g for g in ctx.segments if start < g[4]), None)
        if seg is not None:
            start = max(start, seg[1])
            off = seg[2] + (start - seg[1])
            rows.append((elf.PT_GNU_RELRO, elf.PF_R, off, start, start, end - start, end - start, 1))
    elif relro_end is not None:
        _, vaddr, off, fend, mend = relro[0]
        rows.append((elf.PT_GNU_RELRO, elf.PF_R, off, vaddr, vaddr, fend - off, relro_end - vaddr, 1))
    for notes in layout.note_groups(alloc):
        a, b = notes[0], notes[-1]
        rows.append((elf.PT_NOTE, elf.PF_R, a.offset, a.addr, a.addr, b.offset + b.size - a.offset,
                     b.addr + b.size - a.addr, a.align))
    prop = ctx.outputs.get(layout.PROPERTY_NOTE)
    if prop is not None and prop.alloc and prop in alloc:
        rows.append((elf.PT_GNU_PROPERTY, elf.PF_R, prop.offset, prop.addr, prop.addr, prop.size, prop.size,
                     prop.align))
    eh = ctx.outputs.get(".eh_frame_hdr")
    if eh is not None and eh.alloc and eh.size:
        rows.append((elf.PT_GNU_EH_FRAME, elf.PF_R, eh.offset, eh.addr, eh.addr, eh.size, eh.size, 4))
    if ctx.opts.gnu_stack:      # -z execstack, -z stack-size=N, -z nognustack
        flags = elf.PF_R | elf.PF_W | (elf.PF_X if ctx.exec_stack else 0)
        rows.append((elf.PT_GNU_STACK, flags, 0, 0, 0, 0, ctx.opts.stack_size, 16))
    if attrs_row:
        rows.append(attrs_row)
    # (the layout counted them to size the headers: a row past that count would be lost)
    assert len(rows) <= ctx.nphdr, (len(rows), ctx.nphdr)
    while len(rows) < ctx.nphdr:
        rows.append((elf.PT_NULL, 0, 0, 0, 0, 0, 0, 0))
    return np.array(rows, dtype=elf.PHDR)


def commit(ctx, executable: bool = True) -> None:
    """Write to a temporary file beside the output, then rename it into place (``-o -``:
    to standard output, as lld does), with the -Map file before it; then the
    --dependency-file.  ``executable``: the mode an executable gets (not for -r objects)."""
    path = ctx.opts.output
    map_path = ctx.opts.map_file if ctx.map_text is not None else None
    if map_path:                        # -Map FILE: written only by a link that succeeds
        replace_file(map_path, ctx.map_text.encode(), what="map file")
    try:
        if path == "-":
            import sys
            sys.stdout.flush()
            sys.stdout.buffer.write(memoryview(ctx.out_bytes))
            sys.stdout.buffer.flush()
        else:
            replace_file(path, memoryview(ctx.out_bytes), executable=executable, last=ctx.note_beside)
            ctx.note_beside = None
    except BaseException:
        if map_path and os.path.isfile(map_path):
            os.unlink(map_path)
        raise
    if ctx.opts.dependency_file:
        replace_file(ctx.opts.dependency_file, dependency_rules(path, ctx.input_paths).encode())


def dependency_rules(output: str, inputs: list[str]) -> str:
    """--dependency-file: a Makefile rule making the output depend on every input file, and
    an empty rule per input (so a deleted input is not an error for make), as lld writes it:
    paths normalized, a space or '#' escaped with a backslash (and the backslashes before a
    space doubled), '$' as '$$'."""
    def escape(p: str) -> str:
        p = os.path.normpath(p)
        out = []
        for k, c in enumerate(p):
            if c == " ":
                run = len(p[:k]) - len(p[:k].rstrip("\\"))
                out.append("\\" * (run + 1))
            elif c == "#":
                out.append("\\")
            elif c == "$":
                out.append("$")
            out.append(c)
        return "".join(out)
    files = [escape(p) for p in dict.fromkeys(inputs)]
    return output + ":" + "".join(f" \\\n {f}" for f in files) + "\n" + "".join(f"\n{f}:\n" for f in files)


def _temporary(d: str, path: str, what: str) -> tuple[int, str]:
    """A new file in directory ``d`` (``.xld-XXXXXXXXXXXX.tmp``, mode 0600), as
    ``tempfile.mkstemp`` makes one: created exclusively, never through a symbolic link, an
    unpredictable name, another tried if the name is taken.  (mkstemp seeds a random number
    generator in each new process: ~0.3 ms of a served link.)"""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = os.path.join(d, f".xld-{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
        except OSError as e:
            raise LinkError(f"cannot open {what} {path}: {e.strerror}")
    raise LinkError(f"cannot open {what} {path}: no temporary file name is free in {d}")


_WRITE_PIECE = 1 << 20          # bytes of the output one write() takes at most
_RENAME_EXCHANGE = 2           # renameat2's flag (Linux 3.15; glibc 2.28)
_AT_FDCWD = -100
_renameat2 = None               # the C function, once looked up; False: there is none


def _exchange(new: str, path: str) -> bool:
    """Put the file ``new`` in the place of the regular file ``path`` by swapping the two
    names (renameat2 with RENAME_EXCHANGE), then remove the old file under ``new``'s name:
    ``path`` always names a whole file, as with a rename over it, without what ext4 does on
    a rename over an existing file (auto_da_alloc: it starts writing the new file's data to
    the disk there and then; a 12 MB output took 15 ms to write and rename over its old
    copy, 5 ms to write and swap, and up to 80 ms at times).  False when it cannot (no such
    call, ``path`` is not a regular file or is missing, a file system without the flag): the
    caller renames."""
    global _renameat2
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
    except OSError:
        return False
    if _renameat2 is None:
        import ctypes
        try:
            f = ctypes.CDLL(None, use_errno=True).renameat2
        except AttributeError:
            f = False
        else:
            f.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
            f.restype = ctypes.c_int
        _renameat2 = f
    if not _renameat2:
        return False
    a, b = os.fsencode(new), os.fsencode(path)
    if _renameat2(_AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE) != 0:
        return False
    try:
        os.unlink(new)                  # the old file, under the temporary name now
    except OSError:
        # (``path`` became something else since the look, a directory: as it was)
        _renameat2(_AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE)
        raise
    return True


# an output at least this large has its --build-id digest made by a thread while it is written
# (hashlib and the writes both let go of the GIL): 12.8 MB, arm64 400x50, sha1 6.8 ms of CPU
# and the writes 4.4 ms, one after the other before; a small output's thread is not worth it
DIGEST_BESIDE_MIN = 4 << 20


def digest_beside_write(ctx) -> bool:
    """Whether --build-id's digest is made beside the output's writing (``DigestBeside``): a
    large output that commit writes to a file as it is (not standard output, not --oformat
    binary, whose image is made from it after), where threads can run."""
    out = ctx.out_bytes
    if out is None or len(out) < DIGEST_BESIDE_MIN or ctx.opts.output == "-" or \
            ctx.opts.oformat == "binary":
        return False
    try:
        import _thread              # noqa: F401  (a Python without threads: made here)
    except ImportError:
        return False
    return True


class DigestBeside:
    """--build-id's digest of the output (its note's descriptor still zero), made by a thread
    while ``replace_file`` writes the output: the digest and the writes only read the buffer,
    and both run without the GIL (hashlib for data of more than 2 KiB, ``os.write``), so on a
    second CPU the digest costs the link's wall nothing but the longer of the two.  ``finish``
    waits for it and puts the note into the buffer; ``replace_file`` then writes the note's
    bytes over the zeros it wrote: the file is what the digest made first would have written."""

    def __init__(self, h, buf: np.ndarray, offset: int, head: bytes, n: int):
        import _thread
        self.buf, self.offset, self.head, self.n = buf, offset, head, n
        self.digest: bytes | None = None
        self.failed: BaseException | None = None
        # (the thread is started without waiting for it to run, as threading.Thread.start
        # does: on a busy machine that wait took 2-3 ms; ``done`` is held until it ends)
        self.done = _thread.allocate_lock()
        self.done.acquire()
        try:
            _thread.start_new_thread(self._run, (h,))
        except RuntimeError:                # (no thread to be had, a limit on them: made here)
            self._run(h)

    def _run(self, h) -> None:
        try:
            self.digest = h(self.buf).digest()
        except BaseException as e:          # (said by finish, in the link's thread)
            self.failed = e
        finally:
            self.done.release()

    def finish(self) -> tuple[int, bytes]:
        """(offset, bytes) of the note, now in the buffer too."""
        with self.done:
            pass
        if self.digest is None:
            raise LinkError(f"--build-id: the digest failed: {self.failed}")
        note = self.head + self.digest[:self.n]
        self.buf[self.offset:self.offset + len(note)] = np.frombuffer(note, dtype=np.uint8)
        return self.offset, note


def replace_file(path: str, data, executable: bool = False, what: str = "output file",
                 last: DigestBeside | None = None) -> None:
    """``data`` into ``path`` through a temporary file renamed into place.  A path that names
    something other than a regular file (``/dev/null``, a FIFO, a terminal) is written in place,
    as GNU ld does: renaming over it would replace a device node with a regular file.  With
    ``last``, bytes ``last.finish()`` gives are written over their place in the file once the
    rest is (into ``data`` too, which a file written in place takes after them)."""
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
        if last is not None:
            last.finish()
        try:
            with open(path, "wb") as f:
                f.write(data)
        except OSError as e:
            raise LinkError(f"cannot open {what} {path}: {e.strerror}")
        return
    d = os.path.dirname(os.path.abspath(path)) or "."
    fd, tmp = _temporary(d, path, what)
    try:
        try:
            # in pieces of 1 MiB: one write of a whole large output stalled in the kernel at
            # times (12.8 MB: 4 ms, or 45-67 ms in 4 of 8 links; in pieces: 3.3-3.9 ms each)
            view = memoryview(data).cast("B")
            while view:
                view = view[os.write(fd, view[:_WRITE_PIECE]):]
            if last is not None:
                at, note = last.finish()
                view = memoryview(note)
                while view:
                    n = os.pwrite(fd, view, at)
                    view, at = view[n:], at + n
        except OSError as e:                    # (a full disk, the file size limit: GNU ld's
            # "final link failed: No space left on device", not an internal error)
            raise LinkError(f"cannot write {what} {path}: {e.strerror}")
        finally:
            os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, (0o777 if executable else 0o666) & ~umask)
        try:
            if not _exchange(tmp, path):
                os.replace(tmp, path)
        except OSError as e:
            raise LinkError(f"cannot open {what} {path}: {e.strerror}")
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
