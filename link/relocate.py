"""Scan and relocate: every relocation classified once, then applied in vectorized groups.

``scan`` (before layout) gathers all relocations of all kept sections into one table of NumPy
columns, maps each ELF type to its generic kind through the architecture's table, turns
relaxation hints (kind RELAXABLE) into a flag on the row they follow, reports unknown types
and undefined symbols, and decides the synthetic entries the kinds need (GOT slots, TLS GOT
slots).  Once the table holds them, the input pages of the rela sections are given back
(``link/pages.py``).

``relocate`` (after layout) computes the kinds' values for whole columns at once, checks each
row's range and alignment, and lets the field encoders patch the output image, one
(type) group at a time.  Nothing here knows an instruction's bits or which machine it is.
"""
from __future__ import annotations


import numpy as np

from xld.link import elf, pages
from xld.link.kinds import Kind, GOT_KINDS, TLS_IE_KINDS, TLS_GD_KINDS
from xld.link.resolve import LINKER, UNDEF
from xld.link.errors import run_error_hook

_KINDS_WITH_G = GOT_KINDS | TLS_IE_KINDS | TLS_GD_KINDS
_RMW_ORDER = (Kind.SET, Kind.ADD, Kind.SUB)
_G_KINDS = frozenset(int(k) for k in _KINDS_WITH_G)


class RelocTable:
    """All relocations of the link, as columns."""

    def __init__(self):
        self.n = 0


def sym_desc(ctx, file_id: int, symidx: int) -> str:
    obj = ctx.files[file_id]
    gid = int(obj.gids[symidx])
    if gid:
        return ctx.symtab.names[gid]
    s = obj.syms[symidx]
    if int(s["st_info"]) & 0xF == elf.STT_SECTION:
        shndx = int(obj.sym_shndx[symidx])
        return obj.sec_names[shndx] if shndx < len(obj.sec_names) else "<section>"
    return obj.sym_name(symidx)


def site_of(ctx, file_id: int, sec: int, off: int) -> str:
    return ctx.files[file_id].where(sec, off)


def scan(ctx) -> None:
    """Collect relocations from kept sections; classify; find GOT needs and undefined symbols."""
    ctx.ifuncs = []
    files_c, secs_c, sizes_c, rels = [], [], [], []
    for obj in ctx.files[1:]:
        outsec = obj.sec_outsec
        nsec = len(outsec)
        size = None
        for target, r in obj.relas.items():
            if len(r) == 0 or target >= nsec or outsec[target] is None:
                continue
            if size is None:
                size = obj.shdrs["sh_size"].tolist()
            files_c.append(obj.file_id)
            secs_c.append(target)
            sizes_c.append(size[target])
            rels.append(r)
    # (the inputs' pages read so far are not given back here: no peak was lower for it in
    # the twenty-second session, arm64 400x50 and 1200x50, riscv64 400x50, gc and :b, where
    # it cost ~3 ms of madvise an arm64 400x50 link; build_table gives back what it reads)
    ctx.rel = t = build_table(ctx, files_c, secs_c, rels)     # (gives their input pages back)
    t.source = (files_c, secs_c, rels)      # to build the table again (link/shrink.py)
    if t.n == 0:
        t.got_slot = np.zeros(0, dtype=np.int64)
        ctx.got_entries = []
        return
    unknown = np.nonzero(t.kind < 0)[0]
    seen = set()
    for row in unknown.tolist():
        rt = int(t.type[row])
        if rt in seen:
            continue
        seen.add(rt)
        name = ctx.arch.reloc_name(rt)
        what = f"unknown relocation ({rt})" if name.endswith(str(rt)) else f"unsupported relocation {name}"
        why = ctx.arch.hooks.get("unsupported_why", lambda _: None)(rt)
        ctx.diag.error(f"{_site(ctx, t, row)}: "
                       f"{what} against symbol {_sym(ctx, t, row)}"
                       + (f"; {why}" if why else ""))
    # sites must lie inside their section: the last end of each part against its size, then
    # (only when some part has one past its end) row by row
    end = t.offset + t.width
    sizes = np.array(sizes_c, dtype=np.int64)
    filled = t.counts > 0
    last = np.zeros(len(sizes), dtype=np.int64)
    last[filled] = np.maximum.reduceat(end, (np.cumsum(t.counts) - t.counts)[filled])
    if (last > sizes).any():
        bad = np.nonzero(end > np.repeat(sizes, t.counts))[0]
        for row in bad[:5].tolist():
            ctx.diag.error(f"{_site(ctx, t, row)}: "
                           f"relocation offset is out of bounds of the section")
    del end

    grows = np.flatnonzero(t.gid > 0)           # the rows against global symbols (a few)
    # the type and binding byte of every symbol table entry of the link, in one array; a
    # file's entries from base[file id]
    objs = ctx.files[1:]
    lens = np.fromiter((f.nsyms for f in objs), dtype=np.int64, count=len(objs))
    base = np.zeros(len(objs) + 1, dtype=np.int64)
    base[1:] = np.cumsum(lens) - lens
    info = elf.table_column([f.syms for f in objs], "st_info")
    ctx.gnu_symbols = elf.gnu_symbols(info, objs)         # (the output's EI_OSABI: write.os_abi)
    _check_tls_use(ctx, t, info, base)
    _check_undefined(ctx, t, grows)
    _gnu_warnings(ctx, t, grows)
    _assign_got(ctx, t, base)
    _find_ifuncs(ctx, t, grows, info, base)


def _rela_place(obj, sec: int, r: np.ndarray) -> tuple:
    """(mapping, table, offset in it or -1) of the relocation table ``r`` of ``obj``'s
    section ``sec``, for pages.release_span."""
    mm = pages.mapping_of(obj)
    offset = getattr(obj, "rela_offset", None)
    return mm, r, offset(sec, r) if mm is not None and offset is not None else -1


def _rela_places(files, files_c: list[int], secs_c: list[int], rels: list, p0: int, p1: int,
                 last_part: np.ndarray) -> list:
    """pages.release_span's items for the relocation tables of parts ``p0:p1``: an object's
    tables that lie one after another (``ObjectFile.rela_span``) as one span at its last part
    (arm64 400x50: ~400 spans, not ~3,100 tables' places), the others' each on its own, in
    the chunk that reads them."""
    out = []
    ends = last_part[p0:p1].copy()
    ends[-1] = True                         # (an object's run of parts ends with the chunk)
    a = p0
    for e in (np.flatnonzero(ends) + p0).tolist():
        f = files_c[e]
        obj = files[f]
        span = getattr(obj, "rela_span", None)
        span = span() if span is not None else None
        if span is None:
            out.extend(_rela_place(obj, secs_c[j], rels[j]) for j in range(a, e + 1))
        elif last_part[e]:
            out.append((pages.mapping_of(obj), *span))
        a = e + 1
    return out


_CHUNK_ROWS = 1 << 16     # build_table: rows joined and sorted out at a time
# a link of at least this many relocations gives input pages back as it reads them (scan,
# build_table); below it (a static hello's 12,500 rows, 0.3 MB of records: arm64 400x50 has
# 279,000) finding each table's span costs more than the pages are worth (~6 M instructions
# of arm64's static hello: 688 tables' places, one madvise), and the pages given back fault
# in again when the image copies the sections beside them
LARGE_ROWS = 1 << 17
NARROW_ROWS = 2**31       # relocate: a table of fewer rows keeps its row order in 32 bits


def build_table(ctx, files_c: list[int], secs_c: list[int], rels: list) -> RelocTable:
    """The relocation table of the given (file, section, rela array) parts, in that order.

    Rows of kind RELAXABLE (R_RISCV_RELAX) are not relocations; they say that the relocation
    just before them, at the same place, may be relaxed (as lld and mold read them).  They
    become the boolean column ``relax`` of that row and leave the table: on RISC-V they are a
    third of all rows.  In a large link (``LARGE_ROWS``) each chunk's input pages are given
    back once its rows are copied (``link/pages.py``): the table grows as they go (riscv64
    400x50: 47 MB of rela pages)."""
    arch = ctx.arch
    t = RelocTable()
    counts = np.fromiter(map(len, rels), dtype=np.int64, count=len(rels))
    t.n = int(counts.sum()) if len(counts) else 0
    t.counts = counts
    t.part_file = np.array(files_c, dtype=np.int64)
    t.part_sec = np.array(secs_c, dtype=np.int64)
    if t.n == 0:
        for name in ("type", "file", "sec", "addend", "offset", "kind", "width"):
            setattr(t, name, np.zeros(0, dtype=np.int64))
        t.sym = t.gid = np.zeros(0, dtype=np.int32)
        t.relax = np.zeros(0, dtype=bool)
        return t
    # the parts a chunk at a time: each chunk's records joined (one copy, small enough to stay
    # in the cache), its hints found, its kept rows written into the columns; a column is
    # allocated for every row, but the pages past the kept rows are never touched
    n0 = t.n
    kind_of, width_of, hint_types = arch.type_columns    # (the last entry: any type past the table)
    maxt = len(kind_of)
    emit = ctx.opts.emit_relocs
    offset = np.empty(n0, dtype=np.int64)
    typ = np.empty(n0, dtype=np.uint32)
    sym = np.empty(n0, dtype=np.uint32)
    addend = np.empty(n0, dtype=np.int64)
    relax = np.zeros(n0, dtype=bool)
    hint_addend = np.zeros(n0, dtype=np.int64) if emit and hint_types else None
    hints = np.zeros(len(counts), dtype=np.int64)         # per part
    any_hint = False
    ends = np.cumsum(counts)
    # (an object's last part: its relocation tables given back whole there)
    last_part = np.append(t.part_file[1:] != t.part_file[:-1], True) if n0 >= LARGE_ROWS else None
    at = 0
    p0 = 0
    while p0 < len(rels):
        # whole parts, about _CHUNK_ROWS rows (at least one part)
        p1 = max(int(np.searchsorted(ends, ends[p0] - counts[p0] + _CHUNK_ROWS, side="right")), p0 + 1)
        recs = elf.join_tables(rels[p0:p1], dtype=elf.RELA)
        if recs.dtype != elf.RELA or not recs.flags.c_contiguous:
            recs = np.ascontiguousarray(recs, dtype=elf.RELA)
        q = recs.view(np.int64).reshape(-1, 3)            # r_offset, r_info, r_addend
        w = recs.view(np.uint32).reshape(-1, 6)           # r_info's type at 2, symbol at 3
        ty, off = w[:, 2], q[:, 0]
        hint = None
        for rt in hint_types:
            hint = ty == rt if hint is None else hint | (ty == rt)
        if hint is not None and hint.any():
            # a hint marks the row before it: in the same part (the hint is not a part's
            # first row), not a hint itself, at the same place
            any_hint = True
            c = counts[p0:p1]
            starts = np.cumsum(c) - c
            first = np.zeros(len(ty), dtype=bool)
            first[starts[c > 0]] = True
            h = np.flatnonzero(hint)
            prev = h - 1
            ok = ~first[h]
            ok &= ~hint[prev]
            ok &= off[prev] == off[h]
            rel_c = np.zeros(len(ty), dtype=bool)
            rel_c[prev[ok]] = True
            keep = np.flatnonzero(~hint)     # (taking by index is several times faster than a mask)
            k = len(keep)
            relax[at:at + k] = rel_c[keep]
            if hint_addend is not None:      # (a hint's own addend, written out again)
                ha = np.zeros(len(ty), dtype=np.int64)
                ha[prev[ok]] = q[h[ok], 2]
                hint_addend[at:at + k] = ha[keep]
            hints[p0:p1] = np.diff(np.append(np.searchsorted(h, starts), len(h)))
            # the kept records taken whole, then split into the columns: half the instructions
            # of taking each column by index (riscv64 400x50: 1.97 M records, 1.31 M kept)
            kq = np.take(q, keep, axis=0)
            kw = kq.view(np.uint32).reshape(-1, 6)
            offset[at:at + k] = kq[:, 0]
            typ[at:at + k] = kw[:, 2]
            sym[at:at + k] = kw[:, 3]
            addend[at:at + k] = kq[:, 2]
            del kq, kw
        else:
            k = len(ty)
            offset[at:at + k] = off
            typ[at:at + k] = ty
            sym[at:at + k] = w[:, 3]
            addend[at:at + k] = q[:, 2]
        at += k
        if n0 >= LARGE_ROWS:
            # (the span they are in: a small rela section's neighbours are mapped with it)
            pages.release_span(_rela_places(ctx.files, files_c, secs_c, rels, p0, p1, last_part))
        p0 = p1
    del recs, q, w, ty, off, hint
    if any_hint:
        counts = counts - hints
        t.counts = counts
        t.n = at
        # the columns cut to the kept rows (in place: the allocator takes the rest back)
        for col in (offset, typ, sym, addend, relax) + ((hint_addend,) if hint_addend is not None else ()):
            col.resize(at, refcheck=False)
    t.offset = offset
    t.type = typ
    if emit:                        # relaxation rewrites types: --emit-relocs shows what it did
        t.orig_type = t.type.copy()
        if any_hint:
            t.hint_addend = hint_addend
    t.relax = relax
    # symbol and global ids: 32 bits (the symbol half of r_info, as int32 like astype would)
    t.sym = sym.view(np.int32)
    t.addend = addend
    del offset, typ, sym, addend, relax, hint_addend
    clipped = t.type.astype(np.intp)        # (a table lookup takes 64-bit indices: made once)
    np.minimum(clipped, maxt - 1, out=clipped)
    t.kind = np.take(kind_of, clipped)      # (np.take: fewer instructions an element than
    t.width = np.take(width_of, clipped)    # indexing, riscv64 400x50 1.3 M rows; so below)
    del clipped
    # file and section of each row, in 32 bits (combine them into keys as int64)
    t.file = np.repeat(t.part_file.astype(np.int32), counts)
    t.sec = np.repeat(t.part_sec.astype(np.int32), counts)
    # global ids: every file's gids in one array, a row's at (its file's base + symbol index)
    files = ctx.files
    gbase = np.zeros(len(files), dtype=np.int64)
    lens = np.fromiter((len(f.gids) for f in files[1:]), dtype=np.int64, count=len(files) - 1)
    gbase[1:] = np.cumsum(lens) - lens
    allg = np.concatenate([f.gids for f in files[1:]]).astype(np.int32, copy=False)
    at = np.repeat(gbase[t.part_file], counts)
    at += t.sym
    t.gid = np.take(allg, at)
    del allg
    merged = getattr(ctx, "merged", None)
    if merged is not None and len(merged.keys):     # addends into merged sections (link/merge.py)
        # only the rows whose symbol is a merged section's section symbol: a flag per symbol
        # table entry of the link, read at every row
        flag = np.zeros(int(lens.sum()), dtype=bool)
        keys = merged.keys
        flag[gbase[(keys >> 32).astype(np.int64)] + (keys & 0xFFFFFFFF).astype(np.int64)] = True
        rows = np.flatnonzero(np.take(flag, at))
        del flag, at
        if len(rows):
            sub = RelocTable()
            sub.n = len(rows)
            for name in ("file", "sec", "offset", "sym", "gid", "addend"):
                setattr(sub, name, getattr(t, name)[rows])
            merged.fix_addends(ctx, sub)
            t.addend[rows] = sub.addend
    return t


def _kind_set(kinds) -> list[tuple[int, int]]:
    """A set of kinds as runs of consecutive values (lo, hi): membership is then a few
    comparisons per row (a table lookup would first widen the column to 64-bit indices)."""
    runs: list[list[int]] = []
    for k in sorted(int(k) for k in kinds):
        if runs and runs[-1][1] == k - 1:
            runs[-1][1] = k
        else:
            runs.append([k, k])
    return [(a, b) for a, b in runs]


def _in_kinds(kind: np.ndarray, runs: list[tuple[int, int]]) -> np.ndarray:
    out = np.zeros(len(kind), dtype=bool)
    for lo, hi in runs:
        if lo == hi:
            out |= kind == lo
        else:
            out |= (kind >= lo) & (kind <= hi)
    return out


# kinds that compute an address, never a thread-pointer offset
_ADDRESS_KINDS = _kind_set([Kind.ADDR, Kind.PCREL, Kind.CALL, Kind.PAGE_PCREL, Kind.GP_REL, *GOT_KINDS])
_G_KIND_SET = _kind_set(_KINDS_WITH_G)


def _check_tls_use(ctx, t, info, base) -> None:
    """An address relocation (an absolute LO12, a branch, a GOT load) against a thread-local
    symbol in code or data: the address of a TLS variable exists only per thread, so GNU ld
    refuses it; linking it would give an address inside the TLS template."""
    files = ctx.files
    has_tls = np.fromiter((getattr(f, "has_tls", False) for f in files), dtype=bool, count=len(files))
    if not has_tls.any():
        return
    # only objects with thread-local symbols
    rows = np.flatnonzero(_in_kinds(t.kind, _ADDRESS_KINDS) & np.repeat(has_tls[t.part_file], t.counts))
    if len(rows) == 0:
        return
    is_tls = (info & 0xF) == elf.STT_TLS
    at = base[t.file[rows]]
    at += t.sym[rows]
    bad = rows[is_tls[at]]
    del at, is_tls
    reported = 0
    for row in bad.tolist():
        obj = files[int(t.file[row])]
        sec = int(t.sec[row])
        if not int(obj.shdrs[sec]["sh_flags"]) & elf.SHF_ALLOC:
            continue                        # debug information may say where a TLS symbol is
        h = ctx.arch.howtos[int(t.type[row])]
        ctx.diag.error(f"{site_of(ctx, int(t.file[row]), sec, int(t.offset[row]))}: relocation "
                       f"{h.name} against thread-local symbol {_sym(ctx, t, row)} "
                       f"cannot be used: it needs the address of a variable that has one per thread")
        reported += 1
        if reported >= 5:
            break


def has_warning_sections(obj) -> bool:
    """Whether an object has .gnu.warning sections (kept on it: the warm server asks ahead)."""
    c = obj.__dict__.get("_has_warnings")
    if c is None:
        c = obj._has_warnings = ".gnu.warning" in "\0".join(obj.sec_names)
    return c


def _gnu_warnings(ctx, t, grows) -> None:
    """A section .gnu.warning.SYM in a linked object, or in a shared object that provides SYM:
    warn where SYM is first used, as GNU ld does (glibc marks getpwnam, dlopen … this way in
    static links, mktemp, gets … in libc.so.6 too)."""
    msgs: dict[str, str] = {}
    for obj in ctx.files[1:]:
        if not has_warning_sections(obj):
            continue
        for i, name in enumerate(obj.sec_names):
            if name.startswith(".gnu.warning.") and not obj.discarded[i]:
                text = bytes(obj.section_bytes(i)).split(b"\0")[0].decode("utf-8", "replace")
                msgs.setdefault(name[len(".gnu.warning."):], text)
            elif name == ".gnu.warning" and not obj.discarded[i]:
                text = bytes(obj.section_bytes(i)).split(b"\0")[0].decode("utf-8", "replace")
                ctx.diag.warn(f"{obj.name}: {text}")
    st = ctx.symtab
    wanted = {st.ids[n]: m for n, m in msgs.items() if n in st.ids}
    # a shared object's .gnu.warning.SYM warns when the program's SYM is the one it provides
    # (GNU ld: BusyBox's dynamic link warns at mktemp_main, libc.so.6's `mktemp')
    for g, (dso, _) in ctx.imports.items() if ctx.dsos else ():
        if dso is not None and g not in wanted:
            m = dso.warnings().get(st.names[g])
            if m is not None:
                wanted[g] = m
    if not wanted or t.n == 0:
        return
    rows = grows[np.isin(t.gid[grows], list(wanted))]
    # once a symbol, at its first use in input order (GNU ld's "only issue a warning once":
    # BusyBox's link named getaddrinfo's warning at 2 sites, GNU ld at 1)
    rows = rows[np.lexsort((rows, t.file[rows]))]
    seen = set()
    for row in rows.tolist():
        g = int(t.gid[row])
        if g in seen:
            continue
        seen.add(g)
        ctx.diag.warn(f"{_site(ctx, t, row)}: {wanted[g]}")


def _find_ifuncs(ctx, t, grows, info, base) -> None:
    """Symbols of type STT_GNU_IFUNC that relocations use, global (``ctx.ifuncs``, ids) and
    local (``ctx.local_ifuncs``, (file, symbol index)): each gets a stub in .iplt, a slot in
    .got.plt and an IRELATIVE entry in .rela.iplt, globals first; every reference then means
    the stub."""
    st = ctx.symtab
    ctx.ifuncs = []
    ctx.local_ifuncs = []
    if t.n == 0:
        return
    # (info: the type of a symbol table entry, from every file's symbol table in one array)
    files = ctx.files[1:]
    used = np.zeros(len(st), dtype=bool)
    used[t.gid[grows]] = True
    def_file = np.array(st.def_file, dtype=np.int64)
    def_index = np.array(st.def_index, dtype=np.int64)
    used &= def_file > 0
    g = np.flatnonzero(used)
    if len(g):
        typ = info[base[def_file[g]] + def_index[g]] & 0xF
        ctx.ifuncs = g[typ == elf.STT_GNU_IFUNC].tolist()
    # locals: only when some file has a local IFUNC at all (the rows of local symbols are most
    # of a big link's table)
    fg = np.fromiter((f.first_global for f in files), dtype=np.int64, count=len(files))
    cand = np.flatnonzero((info & 0xF) == elf.STT_GNU_IFUNC)
    owner = np.searchsorted(base[1:], cand, side="right") - 1 if len(cand) else cand
    if len(cand) and ((cand - base[1:][owner]) < fg[owner]).any():
        rows = np.flatnonzero(t.gid == 0)
        f = t.file[rows].astype(np.int64)
        y = t.sym[rows].astype(np.int64)
        ifunc = (info[base[f] + y] & 0xF) == elf.STT_GNU_IFUNC
        if ifunc.any():
            keys = np.unique((f[ifunc] << 32) | y[ifunc])
            ctx.local_ifuncs = [(k >> 32, k & 0xFFFFFFFF) for k in keys.tolist()]


# lld's word for the visibility of an undefined name that its references give it
_VIS_WORD = {elf.STV_INTERNAL: "internal ", elf.STV_HIDDEN: "hidden ", elf.STV_PROTECTED: "protected "}


def _check_undefined(ctx, t, grows) -> None:
    st = ctx.symtab
    state = np.array(st.state, dtype=np.int64)
    strong = np.array(st.strong_ref, dtype=bool)
    rows = grows[state[t.gid[grows]] == UNDEF]
    if ctx.imports and len(rows):
        imported = np.zeros(len(st), dtype=bool)
        if ctx.opts.keeps_undefined() and (not ctx.opts.shared or ctx.opts.no_undefined):
            # a program's kept undefined names are imported, and still reported (as warnings);
            # so are a library's under -z defs (GNU ld warns with --warn-unresolved-symbols)
            imported[[g for g, (dso, _) in ctx.imports.items() if dso is not None]] = True
        else:
            imported[list(ctx.imports)] = True
        rows = rows[~imported[t.gid[rows]]]            # bound at run time
    if len(rows) == 0:
        return
    # a reference through a weak symbol entry is fine; report strong references only (and
    # not those to --ignore-unresolved-symbol names)
    ignored = ctx.opts.ignore_unresolved
    by_gid: dict[int, list[int]] = {}
    for row in rows.tolist():
        g = int(t.gid[row])
        obj = ctx.files[int(t.file[row])]
        if int(obj.syms[int(t.sym[row])]["st_info"]) >> 4 == elf.STB_WEAK or st.names[g] in ignored:
            continue
        by_gid.setdefault(g, []).append(row)
    o = ctx.opts
    if o.unresolved in ("ignore-all", "ignore-in-object-files") or not by_gid:
        return                                  # GNU ld: they stay undefined (0, or bound at run time)
    report = ctx.diag.warn if o.warn_unresolved else ctx.diag.error
    shown = 1 if o.warn_once else 3             # --warn-once: one reference per symbol
    # lld's "did you mean" hints: for the symbols of the first two references reported
    hinted = {int(t.gid[r]) for r in sorted(r for rs in by_gid.values() for r in rs[:2])[:2]}
    vis = ctx.ref_visibility
    reported = sorted(by_gid, key=lambda g: by_gid[g][0])
    firsts = st.first_refs_of(reported)         # (one walk over the references for all of them)
    for g, (first, first_k) in zip(reported, firsts):
        rs = by_gid[g]
        name = st.names[g]
        lines = _discarded_definition(ctx, name, first, first_k) or \
            [f"undefined {_VIS_WORD.get(vis.get(g, 0), '')}symbol: {ctx.diag.sym(name)}"]
        for row in rs[:shown]:
            lines += _referenced_by(ctx, int(t.file[row]), int(t.sec[row]), int(t.offset[row]))
            run_error_hook(o.error_handling_script, "undefined-symbol", name)
        if len(rs) > shown:
            lines.append(f">>> referenced {len(rs) - shown} more times")
        if g in hinted and not lines[0].startswith("relocation refers"):
            from xld.link import spelling       # (only when an undefined name is reported)
            lines += spelling.alternative(ctx, name, first)
        if name.startswith("_ZTV"):
            lines.append(">>> the vtable symbol may be undefined because the class is missing its key "
                         "function (see https://lld.llvm.org/missingkeyfunction)")
        report("\n".join(lines))
    del strong


def _discarded_definition(ctx, name: str, file_id: int, k: int) -> list[str]:
    """lld's first lines for a name whose first entry in the link is a definition in a
    COMDAT copy that lost (the kept copy of the group does not define it: the two copies
    differ): what it is instead of 'undefined symbol', the file, the group and the file whose
    copy was kept.  [] for a name first met elsewhere."""
    obj = ctx.files[file_id] if 0 < file_id < len(ctx.files) else None
    if obj is None or not hasattr(obj, "discarded"):
        return []
    shn = int(obj.sym_shndx[k])
    if not 0 < shn < len(obj.discarded) or not obj.discarded[shn]:
        return []
    lines = [f"relocation refers to a symbol in a discarded section: {ctx.diag.sym(name)}",
             f">>> defined in {obj.name}"]
    r = ctx.resolver
    for sig, members, _ in obj.groups:
        if shn in set(np.asarray(members).tolist()):
            kept = r.comdats.get(sig) if r is not None else None
            lines.append(f">>> section group signature: {sig}")
            if kept is not None and 0 < kept < len(ctx.files):
                lines.append(f">>> prevailing definition is in {ctx.files[kept].name}")
            break
    return lines


def _referenced_by(ctx, file_id: int, sec: int, off: int) -> list[str]:
    """Where a reference is, as lld says it: the source file and line (from the object's
    DWARF, else its STT_FILE name), then the object and the symbol the place is in (or the
    section and offset when it is in none)."""
    from xld.link import debugline
    obj = ctx.files[file_id]
    at = debugline.obj_msg(ctx, obj, sec, off)
    src = debugline.src_msg(ctx, obj, sec, off)
    if src:
        return [f">>> referenced by {src}", f">>>               {at}"]
    return [f">>> referenced by {at}"]


def _assign_got(ctx, t, base) -> None:
    """One GOT slot per distinct (symbol, addend, tls?) used through a GOT kind.  ``base``:
    each file's first entry in the link's symbol table entries, in file order."""
    isg = _in_kinds(t.kind, _G_KIND_SET)
    desc = None                     # the TLS descriptor rows that take a slot, and its flavour
    if ctx.opts.shared and "tls_desc_keep" in ctx.arch.hooks:
        # a shared library keeps its descriptors: a two-slot entry ld.so fills (TLSDESC)
        desc, desc_flavour = t.kind == int(Kind.TLS_DESC), 3
    elif ctx.imports and "tls_desc_to_ie" in ctx.arch.hooks:
        # a TLS descriptor against a shared object's variable becomes initial-exec (GNU ld's
        # relaxation for executables, where the architecture can rewrite the sequence): a slot
        # holding its TP offset, which ld.so fills (TPREL)
        imported = np.zeros(len(ctx.symtab), dtype=bool)
        imported[list(ctx.imports)] = True
        desc, desc_flavour = (t.kind == int(Kind.TLS_DESC)) & imported[t.gid], 1
    if desc is not None:
        isg |= desc
    t.got_slot = np.full(t.n, -1, dtype=np.int32)
    rows = np.flatnonzero(isg)
    ctx.got_entries = []
    if len(rows) == 0:
        return
    # entry flavour: 0 an address, 1 a TP offset (initial-exec), 2 a (module, DTP offset)
    # pair, 3 a TLS descriptor (two slots)
    tls = _FLAVOUR_OF_KIND[t.kind[rows].view(np.uint8)]
    if desc is not None:
        tls[desc[rows]] = desc_flavour
    addend = t.addend[rows]
    # distinct (flavour, a, b, addend) in sorted order, a and b the symbol's identity: gid for
    # globals (a = 0), (file + 1, index) for locals; slots in that order
    if not addend.any():
        # (no addends, as GOT references nearly always are: each identity as one dense
        # number, globals by gid and then every file's symbol table entries in file order, so
        # marking the numbers used and reading them back in order sorts them: no sort of the
        # rows.  shared 400x50's 283k rows (242k of them TLS descriptors) 26 -> 4 ms)
        nglob = len(ctx.symtab)
        space = nglob + int(base[-1]) + ctx.files[-1].nsyms
        key = t.gid[rows].astype(np.int64)
        loc = np.flatnonzero(key == 0)      # (locals' numbers for them only: -shared 400x50's
        if len(loc):                        # 283k rows are 242k descriptors of globals)
            lr = rows[loc]
            key[loc] = base[t.file[lr]] + t.sym[lr] + nglob
            del lr
        del loc
        rank = np.cumsum(np.bincount(tls, minlength=4) > 0) - 1      # (the flavours present, in order)
        key += rank[tls] * space
        nkeys = space * (int(rank[-1]) + 1)
        used = np.zeros(nkeys, dtype=bool)
        used[key] = True
        u = np.flatnonzero(used)
        del used
        index = np.zeros(nkeys, dtype=np.int32)     # (only the pages of the keys used are touched)
        index[u] = np.arange(len(u), dtype=np.int32)
        inverse = index[key]
        del index, key
        rep = np.empty(len(u), dtype=np.int64)      # a row of each, to read its identity from
        rep[inverse] = np.arange(len(rows))
        rr = rows[rep]
        local = t.gid[rr] == 0
        uniq = np.stack([tls[rep], np.where(local, t.file[rr] + 1, 0), np.where(local, t.sym[rr], t.gid[rr]),
                         np.zeros(len(u), dtype=np.int64)], axis=1)
    else:
        is_local = t.gid[rows] == 0
        ident_a = np.where(is_local, t.file[rows] + 1, 0)
        ident_b = np.where(is_local, t.sym[rows], t.gid[rows])
        order = np.lexsort((addend, ident_b, ident_a, tls))
        cols = [tls[order], ident_a[order], ident_b[order], addend[order]]
        new = np.ones(len(order), dtype=bool)
        new[1:] = (cols[0][1:] != cols[0][:-1]) | (cols[1][1:] != cols[1][:-1]) \
            | (cols[2][1:] != cols[2][:-1]) | (cols[3][1:] != cols[3][:-1])
        first = np.flatnonzero(new)
        uniq = np.stack([c[first].astype(np.int64) for c in cols], axis=1)
        inverse = np.empty(len(order), dtype=np.int64)
        inverse[order] = np.cumsum(new) - 1
    sizes = np.where(uniq[:, 0] >= 2, 2, 1)
    first_slot = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    t.got_slot[rows] = first_slot[inverse]
    ctx.got_entries = list(map(tuple, uniq.tolist()))     # (flavour, file+1|0, sym|gid, addend)
    ctx.got_slots = int(sizes.sum())


# a GOT entry's flavour by kind (indexed by the kind as uint8)
_FLAVOUR_OF_KIND = np.zeros(256, dtype=np.int8)
_FLAVOUR_OF_KIND[[int(k) for k in TLS_IE_KINDS]] = 1
_FLAVOUR_OF_KIND[[int(k) for k in TLS_GD_KINDS]] = 2


# -- relocate --------------------------------------------------------------------------------

def symbol_addresses(ctx) -> None:
    """Final addresses: per file, an int64 array with the value of every symbol table entry.
    Computed with array operations over groups of files (bounded, so the temporaries stay
    small when there are millions of local labels); each file gets its slice."""
    st = ctx.symtab
    ng = len(st)
    gaddr = np.zeros(ng, dtype=np.int64)
    def_file = np.array(st.def_file, dtype=np.int64)
    def_index = np.array(st.def_index, dtype=np.int64)
    objs = ctx.files[1:]
    # S and sym_dead of every file, each one table of the link (a file's from its base)
    lens = np.fromiter((f.nsyms for f in objs), dtype=np.int64, count=len(objs))
    base = np.zeros(len(objs) + 1, dtype=np.int64)
    base[1:] = np.cumsum(lens) - lens
    S_all = np.empty(int(lens.sum()), dtype=np.int64)
    dead_all = np.empty(len(S_all), dtype=bool)
    group: list = []
    count = 0
    made = []
    g0 = 0
    for k, f in enumerate(objs):
        group.append(f)
        count += f.nsyms
        if count >= 1 << 15 or k == len(objs) - 1:
            made.append((g0, group, _group_addresses(group, def_file, def_index, gaddr, dead_all[g0:g0 + count],
                                                     S_all[g0:g0 + count])))
            g0 += count
            group, count = [], 0
    stub0 = _global_values(ctx, gaddr)
    # S: each symbol's own address with each global's resolved address, for a group of files
    # at once (each file's a view of the link's table); a symbol whose own address is not
    # that (an IFUNC's: S is its stub) keeps it in its file's own_addr (one table of
    # addresses, not two: riscv64 400x50, 7 MiB less alive to the end of the link)
    for g0, group, (ybase, rows, g, mine_rows, mine_addr) in made:
        S = S_all[g0:g0 + sum(o.nsyms for o in group)]
        if len(rows):
            S[rows] = gaddr[g]
        for obj, b in zip(group, ybase):
            obj.S = S[b:b + obj.nsyms]
            obj.own_addr = {}
        moved = np.flatnonzero(S[mine_rows] != mine_addr)
        if len(moved):
            # (a file's rows are a run: -shared 400x50 moves its 30k interposable functions,
            # S their PLT entries, one dictionary update per file)
            y, v = mine_rows[moved], mine_addr[moved]
            cut = np.searchsorted(y, ybase, side="left").tolist() + [len(y)]
            for k, obj in enumerate(group):
                if cut[k] < cut[k + 1]:
                    obj.own_addr.update(zip((y[cut[k]:cut[k + 1]] - ybase[k]).tolist(),
                                            v[cut[k]:cut[k + 1]].tolist()))
    ctx.sym_values = (S_all, dead_all, base)
    size = ctx.plt_forms["stub_size"]
    for k, (f, y) in enumerate(ctx.local_ifuncs, start=len(ctx.ifuncs)):
        obj = ctx.files[f]
        ctx.iplt_resolvers.append(int(obj.S[y]))
        obj.own_addr[y] = int(obj.S[y])
        obj.S[y] = stub0 + k * size


def symbol_values(ctx, f: np.ndarray, y: np.ndarray, shndx=None) -> np.ndarray:
    """The values symbol_addresses gives symbols ``y`` of files ``f`` (S), computed for those
    only (and every global: ``ctx.gaddr``), as a layout estimate needs them for a few rows of
    a link with many local labels; ``shndx`` is file_tables(files, "sym_shndx") if made."""
    files = ctx.files
    st = ctx.symtab
    shndx_all, ybase = shndx if shndx is not None else file_tables(files, "sym_shndx")
    nf = len(files)
    nsec = np.zeros(nf, dtype=np.int64)
    nsec[1:] = [len(o.sec_addr) for o in files[1:]]
    sec_addr, sbase = file_tables(files, "sec_addr", nsec[1:])
    nsyms = np.zeros(nf, dtype=np.int64)
    nsyms[1:] = [o.nsyms for o in files[1:]]
    fgs = np.zeros(nf, dtype=np.int64)
    fgs[1:] = [o.first_global for o in files[1:]]

    value = np.concatenate([o.syms["st_value"] for o in files[1:]]).view(np.int64)

    def addr_at(ff, yy):                    # (np.take: see _relocate)
        at = ybase.take(ff) + yy
        sh = shndx_all.take(at).astype(np.int64)
        val = value.take(at)
        in_sec = (sh > 0) & (sh < elf.SHN_LORESERVE) & (sh < nsec.take(ff))
        a = sec_addr.take(sbase.take(ff) + np.where(in_sec, sh, 0)) + val
        a[~in_sec] = 0
        abs_ = sh == elf.SHN_ABS
        a[abs_] = val[abs_]
        return a

    gaddr = np.zeros(len(st), dtype=np.int64)
    def_file = np.array(st.def_file, dtype=np.int64)
    def_index = np.array(st.def_index, dtype=np.int64)
    dfc = np.where(def_file > 0, def_file, 0)
    mine = ((def_file > 0) & (def_index >= fgs[dfc]) & (def_index < nsyms[dfc])).nonzero()[0]
    gaddr[mine] = addr_at(def_file[mine], def_index[mine])
    stub0 = _global_values(ctx, gaddr)
    S = np.empty(len(f), dtype=np.int64)
    gids = None
    # a chunk of rows at a time: the temporaries are a few columns of a chunk, not of all the
    # rows asked for (riscv64 400x50's relaxation estimate asks for ~700,000: 30 MiB of its peak)
    for c0 in range(0, len(f), _CHUNK_ROWS):
        fc = f[c0:c0 + _CHUNK_ROWS].astype(np.int64)
        yc = y[c0:c0 + _CHUNK_ROWS].astype(np.int64)
        Sc = S[c0:c0 + _CHUNK_ROWS]
        isg = yc >= fgs.take(fc)
        loc = (~isg).nonzero()[0]
        Sc[loc] = addr_at(fc.take(loc), yc.take(loc))
        gl = isg.nonzero()[0]
        if len(gl):
            if gids is None:
                gids, gbase = file_tables(files, "gids")
            Sc[gl] = gaddr.take(gids.take(gbase.take(fc.take(gl)) + yc.take(gl)))
    size = ctx.plt_forms["stub_size"]
    for k, (lf, ly) in enumerate(ctx.local_ifuncs, start=len(ctx.ifuncs)):
        S[(f == lf) & (y == ly)] = stub0 + k * size
    return S


def _global_values(ctx, gaddr) -> int:
    """What the layout gives globals beyond their definitions (commons, linker symbols, IFUNC
    stubs, dynamic entries, --defsym aliases), into ``gaddr`` (then ``ctx.gaddr``); returns the
    address of the first .iplt stub."""
    st = ctx.symtab
    for g, off in ctx.common_off.items():
        gaddr[g] = ctx.outputs[".bss"].addr + off
    for g, v in st.linker_value.items():
        gaddr[g] = v - (1 << 64) if v >= 1 << 63 else v     # (a script's -0x800: the int64 of 2**64 - 0x800)
    # IFUNCs: the resolver's address goes into .rela.iplt; every reference means the stub
    # (globals here, locals below in their file's table)
    ctx.ifunc_resolver = {}
    ctx.iplt_resolvers = []              # per .iplt stub, in stub order
    local_ifuncs = ctx.local_ifuncs
    size = ctx.plt_forms["stub_size"]
    stub0 = 0
    if ctx.ifuncs or local_ifuncs:
        stub0 = ctx.dyn.iplt_stub_base(ctx) if ctx.dyn is not None else ctx.outputs[".iplt"].addr
        for k, g in enumerate(ctx.ifuncs):
            ctx.ifunc_resolver[g] = int(gaddr[g])
            ctx.iplt_resolvers.append(int(gaddr[g]))
            gaddr[g] = stub0 + k * size
    own_plt: dict[int, int] = {}
    if ctx.dyn is not None:
        # an alias in a library is interposable (dynamic._interposable_linker_names): its
        # definition is its target's, its references go through its own PLT entry
        for g, target, addend in ctx.defsym_alias:
            gaddr[g] = gaddr[target] + addend
        ctx.dyn.symbol_values(ctx, gaddr)        # PLT entries and copies of imported symbols
        if ctx.defsym_alias:
            own_plt = ctx.dyn.definitions()
    # --defsym=NAME=SYMBOL: SYMBOL's address as every reference sees it (an IFUNC's stub),
    # in command-line order
    for g, target, addend in ctx.defsym_alias:
        if g in own_plt:
            st.linker_value[g] = own_plt[g]
        else:
            gaddr[g] = st.linker_value[g] = gaddr[target] + addend
    ctx.gaddr = gaddr
    return stub0


def _group_addresses(objs, def_file, def_index, gaddr, dead, addr) -> tuple:
    """The files' symbols' own addresses (into ``addr``) and sym_dead (into ``dead``, views of
    it) of the files in ``objs``; the globals they define into gaddr.  Returns (each file's
    first row there (a list), the rows of the globals, their gids, the rows of the globals
    defined here and their own addresses)."""
    nsyms = np.fromiter((f.nsyms for f in objs), dtype=np.int64, count=len(objs))
    nsec = np.fromiter((len(f.sec_addr) for f in objs), dtype=np.int64, count=len(objs))
    ybase = nsyms.cumsum() - nsyms
    sbase = nsec.cumsum() - nsec
    shndx = np.concatenate([f.sym_shndx for f in objs]).astype(np.int64, copy=False)
    value = np.ascontiguousarray(elf.join_tables([f.syms for f in objs])["st_value"]).view(np.int64)
    sec_addr = np.concatenate([f.sec_addr for f in objs] + [np.zeros(1, np.int64)])
    sec_kept = np.concatenate([f.sec_kept for f in objs] + [np.zeros(1, bool)])
    in_sec = (shndx > 0) & (shndx < elf.SHN_LORESERVE) & (shndx < nsec.repeat(nsyms))
    srow = sbase.repeat(nsyms)
    srow += shndx
    srow[~in_sec] = len(sec_addr) - 1          # a zero address, not kept
    addr[...] = sec_addr.take(srow)     # (take's out= is buffered: twice the work)
    addr += value
    addr[~in_sec] = 0
    abs_ = shndx == elf.SHN_ABS
    addr[abs_] = value[abs_]
    # symbols in sections that are not in the output (discarded COMDAT copies, GC'd)
    np.logical_not(sec_kept[srow], out=dead)
    dead &= in_sec
    del shndx, srow, in_sec, sec_kept, sec_addr, abs_
    # the globals' rows
    fgs = np.fromiter((f.first_global for f in objs), dtype=np.int64, count=len(objs))
    nglob = nsyms - fgs
    rows = (ybase + fgs - (nglob.cumsum() - nglob)).repeat(nglob) + np.arange(int(nglob.sum()))
    dead[rows] = False                   # a global's definition is judged where it resolved
    starts = ybase.tolist()
    for f, b, n in zip(objs, starts, nsyms.tolist()):
        f.sym_dead = dead[b:b + n]
    none = np.zeros(0, dtype=np.int64)
    if nglob.sum() == 0:
        return starts, rows, none, none, none
    # globals defined here: the entries their resolution chose
    g = np.concatenate([f.gids[f.first_global:] for f in objs])
    index = rows - ybase.repeat(nglob)
    fid = np.fromiter((f.file_id for f in objs), dtype=np.int64, count=len(objs)).repeat(nglob)
    mine = (def_file[g] == fid) & (def_index[g] == index)
    at = addr[rows[mine]]
    gaddr[g[mine]] = at
    return starts, rows, g, rows[mine], at


_WORD = {2: np.dtype("<u2"), 4: np.dtype("<u4"), 8: np.dtype("<u8")}


def _words_at(img: np.ndarray, width: int) -> np.ndarray:
    """``img`` as little-endian words of ``width`` bytes starting at every byte (a view, no
    copy: word ``i`` is bytes [i, i + width)), so that sites at any alignment are one indexed
    read or write."""
    n = len(img) - width + 1
    if n <= 0:
        return np.zeros(0, dtype=_WORD[width])
    return np.ndarray(shape=(n,), dtype=_WORD[width], buffer=img, strides=(1,))


def gather_words(img: np.ndarray, pos: np.ndarray, width: int) -> np.ndarray:
    """The little-endian ``width``-byte words at ``pos`` as uint64."""
    if width == 1:
        return img[pos].astype(np.uint64)
    if width not in _WORD:
        idx = pos[:, None] + np.arange(width)
        b = img[idx].astype(np.uint64)
        return (b << (np.arange(width, dtype=np.uint64) * np.uint64(8))).sum(axis=1, dtype=np.uint64)
    return _words_at(img, width)[pos].astype(np.uint64)


def scatter_words(img: np.ndarray, pos: np.ndarray, width: int, words: np.ndarray) -> None:
    if width == 1:
        img[pos] = words.astype(np.uint8)
        return
    if width not in _WORD:
        idx = pos[:, None] + np.arange(width)
        shifts = np.arange(width, dtype=np.uint64) * np.uint64(8)
        img[idx] = ((words[:, None] >> shifts) & np.uint64(0xFF)).astype(np.uint8)
        return
    _words_at(img, width)[pos] = words.astype(_WORD[width])


def page_of(x: np.ndarray) -> np.ndarray:
    return x & ~np.int64(0xFFF)


def _groups(col: np.ndarray) -> dict[int, np.ndarray]:
    """Rows by value of a small non-negative integer column, each group in row order
    (one stable radix sort and a count per value)."""
    if len(col) == 0:
        return {}
    if int(col.min()) < 0 or int(col.max()) >= 1 << 16:
        order = np.argsort(col, kind="stable")
        sk = col[order]
        cut = np.flatnonzero(sk[1:] != sk[:-1]) + 1
        starts = np.concatenate([[0], cut]).tolist()
        ends = np.concatenate([cut, [len(col)]]).tolist()
        return {int(sk[a]): order[a:b] for a, b in zip(starts, ends)}
    cnt = np.bincount(col)
    order = np.argsort(col.astype(np.uint16), kind="stable")
    ends = np.cumsum(cnt).tolist()
    cnt = cnt.tolist()
    return {v: order[ends[v] - c:ends[v]] for v, c in enumerate(cnt) if c}


def file_tables(files, attr: str, lens=None):
    """One array of every file's per-symbol (or per-section) column, and each file's base."""
    if lens is None:
        lens = np.fromiter((len(getattr(f, attr)) for f in files[1:]), dtype=np.int64, count=len(files) - 1)
    base = np.zeros(len(files), dtype=np.int64)
    base[1:] = lens.cumsum() - lens
    return np.concatenate([getattr(f, attr) for f in files[1:]]), base


def _is_lsda(name: str) -> bool:
    return name == ".gcc_except_table" or name.startswith(".gcc_except_table.")


def _allocated(parts, secs) -> np.ndarray:
    """Per part: whether its output section is allocated (SHF_ALLOC, from the flags)."""
    flags = np.fromiter((f.sec_outsec[s].flags for f, s in zip(parts, secs)), dtype=np.int64, count=len(parts))
    return (flags & elf.SHF_ALLOC) != 0


def _sorted_groups(key: np.ndarray):
    """A stable order of the rows by ``key`` (small non-negative integers) and the groups it
    makes: (order, [(key value, start, end)]), each group rows order[start:end] in row order."""
    if key.dtype != np.uint16:
        order = np.argsort(key, kind="stable")
        sk = key[order]
        cut = np.flatnonzero(sk[1:] != sk[:-1]) + 1
        starts = [0] + cut.tolist()
        ends = cut.tolist() + [len(key)]
        return order, [(int(sk[a]), a, b) for a, b in zip(starts, ends)]
    n = len(key)
    if n <= _CHUNK_ROWS:
        cnt = np.bincount(key)
        order = np.argsort(key, kind="stable")    # (a radix sort for 16-bit keys)
    else:
        # a chunk of rows at a time (the sort's scratch stays small and in the cache), each
        # chunk's rows of a key after the earlier chunks' rows of that key; row numbers in 32
        # bits while they fit (riscv64 400x50: 5 MB less alive through relocation).  The
        # counts are the chunks' counts summed: np.bincount of the whole key would first copy
        # it to a table-sized int64 column (riscv64 400x50: 26 M instructions, 10 MB)
        top = int(key.max()) + 1
        ccs = [np.bincount(key[c0:c0 + _CHUNK_ROWS], minlength=top) for c0 in range(0, n, _CHUNK_ROWS)]
        cnt = np.add.reduce(ccs) if len(ccs) > 1 else ccs[0]
        order = np.empty(n, dtype=np.int32 if n < NARROW_ROWS else np.intp)
        vals = np.flatnonzero(cnt).tolist()
        at = (np.cumsum(cnt) - cnt).tolist()     # per key: its next position
        for c0, cc in zip(range(0, n, _CHUNK_ROWS), ccs):
            o = np.argsort(key[c0:c0 + _CHUNK_ROWS], kind="stable")
            cc = cc.tolist()
            i = 0
            for v in vals:
                c = cc[v]
                if c:
                    a = at[v]
                    np.add(o[i:i + c], c0, out=order[a:a + c])
                    at[v] = a + c
                    i += c
        del ccs
    ends = np.cumsum(cnt).tolist()
    return order, [(v, ends[v] - c, ends[v]) for v, c in enumerate(cnt.tolist()) if c]


class _InOrder:
    """A table column as read in another row order: ``x[k]`` is ``col[order[k]]``, gathered
    at each read instead of copied whole."""

    __slots__ = ("col", "order")

    def __init__(self, col: np.ndarray, order: np.ndarray):
        self.col, self.order = col, order

    def __getitem__(self, k):
        return self.col.take(self.order[k])


def part_places(ctx, t) -> tuple[np.ndarray, np.ndarray]:
    """Per part of the relocation table ``t`` (one file's section): the section's address
    and file offset, as int64."""
    files = ctx.files
    placed = ctx.placed.addresses(files) if ctx.placed is not None else None
    if placed is not None:                  # (the layout's columns, by row: no loop)
        row = np.array(ctx.placed.base, dtype=np.int64)[t.part_file] + t.part_sec
        return placed[0][row].astype(np.int64, copy=False), placed[1][row].astype(np.int64, copy=False)
    parts = zip(t.part_file.tolist(), t.part_sec.tolist())
    addr, off = [], []
    for f, s in parts:
        addr.append(int(files[f].sec_addr[s]))
        off.append(int(files[f].sec_fileoff[s]))
    return np.array(addr, dtype=np.int64), np.array(off, dtype=np.int64)


def relocate(ctx, img: np.ndarray, last: bool = False) -> None:
    """Apply every relocation to the output image ``img`` (uint8, the whole file).  ``last``:
    no pass after this one reads the relocation table (a static link without --verify or
    --emit-relocs), and the columns relocation no longer needs are let go as it goes."""
    with pages.small_pages():
        _relocate(ctx, img, last)


def relocate_rows(ctx, img: np.ndarray, a: int, b: int) -> None:
    """``relocate`` of the table's rows [a, b) only, whole files' parts (one of the halves of
    link/halves.py: the rows of some files patch only those files' sections), without the
    GOT and IPLT (``fill_tables``).  The table stays whole."""
    t = ctx.rel
    sub = RelocTable()
    sub.n = b - a
    end = np.cumsum(t.counts)
    pa, pb = int(np.searchsorted(end, a, side="right")), int(np.searchsorted(end, b, side="left")) + 1
    if b == a:
        return
    for name, v in vars(t).items():
        if name in ("counts", "part_file", "part_sec"):
            setattr(sub, name, v[pa:pb])
        elif isinstance(v, np.ndarray) and len(v) == t.n:
            setattr(sub, name, v[a:b])
    assert int(sub.counts.sum()) == sub.n, (a, b)
    ctx.rel = sub
    try:
        with pages.small_pages():
            _relocate(ctx, img, tables=False)
    finally:
        ctx.rel = t


def fill_tables(ctx, img: np.ndarray) -> None:
    """The GOT and a static link's IPLT, as ``relocate`` fills them."""
    got = ctx.linker_output(".got")
    if got is not None and ctx.got_entries:
        _fill_got(ctx, img, got)
    if ctx.iplt_resolvers and ctx.dyn is None:
        _fill_iplt(ctx, img)


def _where(ctx, t, row: int) -> tuple[int, int]:
    """(file, section) of table row ``row``, from its part: the same as the columns ``file``
    and ``sec`` say, which a last relocation lets go (a message's row, so a few)."""
    p = int(np.searchsorted(np.cumsum(t.counts), row, side="right"))
    return int(t.part_file[p]), int(t.part_sec[p])


def _site(ctx, t, row: int) -> str:
    """The place of table row ``row``, for a message."""
    f, sec = _where(ctx, t, row)
    return site_of(ctx, f, sec, int(t.offset[row]))


def defined_in(ctx, file_id: int, symidx: int) -> str | None:
    """The file lld names after ``defined in`` for symbol ``symidx`` of file ``file_id``: the
    object that defines it (itself for a local), the shared object an import binds to, or for
    an undefined name the first file that refers to it (lld's undefined symbol keeps that
    file); for a name the user defines, ``--defsym`` or the script's FILE:LINE; None for a
    name the linker defines by itself."""
    obj = ctx.files[file_id]
    g = int(obj.gids[symidx])
    if g == 0:
        return obj.name
    st = ctx.symtab
    f = st.def_file[g]
    if f > 0 and st.state[g] != UNDEF:
        return ctx.files[f].name
    if f == LINKER:
        return ctx.defined_by.get(st.names[g])
    dso = ctx.imports.get(g, (None,))[0]
    if dso is not None:
        return dso.name
    if st.state[g] == UNDEF:
        first = st.first_refs_of([g])[0][0]
        return ctx.files[first].name if first > 0 else None
    return None


def symbol_location(ctx, file_id: int, sec: int, off: int, symidx: int) -> str:
    """lld's tail of a message about a relocation against a symbol (``getLocation`` in its
    Relocations.cpp): where the symbol is defined, then the place, as an undefined symbol's
    places are named (the source line, then the object and function)."""
    where = defined_in(ctx, file_id, symidx)
    head = f"\n>>> defined in {where}" if where is not None else ""
    obj = ctx.files[file_id]
    g = int(obj.gids[symidx])
    name = ctx.symtab.names[g] if g else obj.sym_name(symidx)
    from xld.link import debugline
    at = debugline.obj_msg(ctx, obj, sec, off)
    src = debugline.src_msg(ctx, obj, sec, off, name or None)
    return head + (f"\n>>> referenced by {src}\n>>>               {at}" if src else f"\n>>> referenced by {at}")


def _range_hint(ctx, t, row: int) -> str:
    """What lld adds to a relocation's range error: the source line of the place (its
    DWARF, else the object's STT_FILE name) and the file that defines the symbol (not for a
    section symbol, nor for a name the linker defines)."""
    from xld.link import debugline
    f, sec = _where(ctx, t, row)
    obj = ctx.files[f]
    k = int(t.sym[row])
    out = ""
    src = debugline.src_msg(ctx, obj, sec, int(t.offset[row]))
    if src:
        out += f"\n>>> referenced by {src}"
    if int(obj.syms[k]["st_info"]) & 0xF == elf.STT_SECTION:
        return out
    g = int(obj.gids[k])
    where = obj if g == 0 else ctx.files[ctx.symtab.def_file[g]] if ctx.symtab.def_file[g] > 0 else None
    if where is None and g and ctx.imports.get(g, (None,))[0] is not None:
        where = ctx.imports[g][0]               # (a shared object's definition)
    if where is not None:
        out += f"\n>>> defined in {where.name}"
    elif g and ctx.symtab.def_file[g] == LINKER and ctx.symtab.names[g] in ctx.defined_by:
        out += f"\n>>> defined in {ctx.defined_by[ctx.symtab.names[g]]}"   # (--defsym, a script)
    return out


def _place(ctx, t, row: int) -> str:
    """The place of table row ``row`` as lld names the place of a value it cannot write
    (``getLocation``): with the function whose bytes hold it, ``a.o:(function main: .text+0x8)``."""
    f, sec = _where(ctx, t, row)
    obj = ctx.files[f]
    off = int(t.offset[row])
    fn = obj.symbol_at(sec, off, types=(elf.STT_FUNC,))
    if fn is None:
        return obj.where(sec, off)
    return f"{obj.name}:(function {ctx.diag.sym(fn)}: {obj.sec_names[sec]}+0x{off:x})"


def _sym(ctx, t, row: int) -> str:
    """The symbol of table row ``row``, for a message."""
    return sym_desc(ctx, _where(ctx, t, row)[0], int(t.sym[row]))


def _relocate(ctx, img: np.ndarray, last: bool = False, tables: bool = True) -> None:
    """Apply every relocation to the output image ``img`` (uint8, the whole file).

    The rows are taken once in (kind, type) order, each group in row order: every kind and
    every type is then a slice of the columns, computed and written without gathering its
    rows again.  ``order[i]`` is the table row of position ``i`` (for messages, which keep
    the table's row order)."""
    t = ctx.rel
    arch = ctx.arch
    if t.n == 0:
        return
    files = ctx.files
    counts = t.counts
    parts = [files[f] for f in t.part_file.tolist()]
    secs = t.part_sec.tolist()
    part_addr, part_off = part_places(ctx, t)
    part_end = np.cumsum(counts)
    if last:            # (a row's file and section are its part's: messages ask _where)
        t.file = t.sec = None

    # the rows in (kind, type) order
    ntypes = int(t.type.max()) + 1
    small = int(t.kind.min()) >= 0 and (int(t.kind.max()) + 1) * ntypes <= 1 << 16
    key = t.kind.astype(np.uint16 if small else np.int64)
    key *= ntypes
    np.add(key, t.type, out=key, casting="unsafe")
    order, keyed = _sorted_groups(key)
    del key
    kinds: dict[int, tuple[int, int]] = {}          # kind -> its slice (kinds are contiguous)
    types: dict[int, list[tuple[int, int]]] = {}    # type -> its slices (one per kind it has)
    for v, a, b in keyed:
        k, rt = divmod(v, ntypes)
        kinds[k] = (kinds[k][0], b) if k in kinds else (a, b)
        types.setdefault(rt, []).append((a, b))
    del keyed
    # (each position's part, in 16 bits when the parts' count fits: an index, never computed with)
    # (gathers through np.take, here and below: numpy's fancy indexing costs ~7-14 more
    # instructions an element, the most with 16-bit indices: riscv64 400x50, 1.3 M rows)
    pid = np.take(np.repeat(np.arange(len(counts), dtype=np.int16 if len(counts) < 2**15 else np.int32), counts),
                  order)
    off = _InOrder(t.offset, order)         # (gathered where read: not another int64 column
                                            # alive with S + A; riscv64 400x50: 10 MB of the peak)
    # the GOT slots of the kinds that read them, by position (a few rows of a static link)
    slots = {k: t.got_slot[order[a:b]] for k, (a, b) in kinds.items()
             if k in _G_KINDS or k == int(Kind.TLS_DESC)}
    if last:
        # the columns no longer read, and the sort's key, given back to the system before
        # S + A and the kinds' values are made (the C heap would keep their pages, and its
        # next arrays do not always land on them).  riscv64 400x50: file, sec, got_slot
        # and kind, with gid and relax (link/driver.py), 22 MiB
        t.got_slot = t.kind = None
        if t.n >= 1 << 17:
            pages.trim_heap()

    def P(a, b):                            # the address of the places of positions [a, b)
        return part_addr.take(pid[a:b]) + off[a:b]

    def pos(sel):                           # their offsets in the output file
        return part_off.take(pid[sel]) + off[sel]

    def row_part(rows):                     # a table row's part
        return part_end.searchsorted(rows, side="right")

    def P_rows(rows):                       # the same by table row (a few rows)
        return part_addr[row_part(rows)] + t.offset[rows]

    # S + A of every row, S its symbol's value (0 in a discarded section), in sorted order: the
    # values' start.  Made a chunk of positions at a time (a group's rows are in row order: the
    # rows of a file read its part of the symbol values, near each other), not in row order
    # and then taken in sorted order (two table-sized int64 columns alive at once: 10 MB at
    # riscv64 400x50)
    S_all, dead_all, ybase = ctx.sym_values
    ybase = ybase[t.part_file]              # (by part: a position's is ybase[pid])
    val = np.empty(t.n, dtype=np.int64)
    dead_l = []
    any_dead = bool(dead_all.any())
    # (a TLS descriptor's S + A is never read: its rows are only looked at for a symbol in a
    # discarded section.  -shared 400x50: 242k of the 481k rows)
    da, db = kinds.get(int(Kind.TLS_DESC), (0, 0))
    val[da:db] = 0
    for s0, s1, values in ((0, da, True), (da, db, False), (db, t.n, True)):
        for r0 in range(s0, s1 if values or any_dead else s0, _CHUNK_ROWS):
            r1 = min(r0 + _CHUNK_ROWS, s1)
            rows = order[r0:r1]
            yr = ybase.take(pid[r0:r1])
            yr += t.sym.take(rows)
            sa = val[r0:r1]
            if values:
                sa[...] = S_all.take(yr)   # (take's out= is buffered: twice the work)
            if any_dead and (d := dead_all.take(yr)).any():
                d = d.nonzero()[0]
                sa[d] = 0
                dead_l.append(r0 + d)           # (positions)
            if values:
                sa += t.addend.take(rows)
            del rows, yr, sa

    def S_at(sel):                          # S of a few positions
        yr = ybase[pid[sel]] + t.sym[order[sel]]
        S = S_all[yr]
        S[dead_all[yr]] = 0
        return S

    # references into discarded sections: an error from code and data, a tombstone in debug info.
    # GNU ld lets .gcc_except_table refer to them (GCC puts a COMDAT function's call-site table,
    # label differences on riscv64, in the object's one .gcc_except_table; the copy that lost is
    # never reached): such a place keeps its zero (RELA) contents.
    quiet = None
    if dead_l:
        dpos = np.concatenate(dead_l)
        by_row = np.argsort(order[dpos], kind="stable")
        dpos = dpos[by_row]                       # (positions, in table row order)
        dead = order[dpos]                        # (their table rows)
        dpart = pid[dpos]
        lsda = np.array([_is_lsda(f.sec_names[s]) for f, s in zip(parts, secs)], dtype=bool)
        q = lsda[dpart]
        if q.any():
            quiet = np.sort(dpos[q])
            dead, dpos, dpart = dead[~q], dpos[~q], dpart[~q]
        # a position's kind: the kind whose slice holds it
        kstart = sorted((a, k) for k, (a, _) in kinds.items())
        dk = np.array([k for _, k in kstart], dtype=np.int64)[
            np.searchsorted(np.array([a for a, _ in kstart], dtype=np.int64), dpos, side="right") - 1]
        live = np.ones(len(dead), dtype=bool)
        for k in (Kind.HINT, Kind.NONE, Kind.ALIGN):
            live &= dk != int(k)
        bad = dead[_allocated(parts, secs)[dpart] & live]
        for row in bad[:10].tolist():
            ctx.diag.error(f"{_site(ctx, t, row)}: "
                           f"relocation refers to a symbol in a discarded section: "
                           f"{_sym(ctx, t, row)}")
        del dead, dpos, dpart, live, dk, bad, by_row
    del dead_l
    got = ctx.linker_output(".got")
    got_addr = got.addr if got is not None else 0
    tp = ctx.tp_base

    # the value each kind asks for, computed per kind on its slice, in place of S (the kinds
    # that look at S again later keep theirs)
    S_of = {int(k): S_at(slice(*kinds[int(k)])) for k in (Kind.PAIRED_LO,) if int(k) in kinds}
    gp = None
    for k, (a, b) in kinds.items():
        if k in (Kind.ADDR, Kind.SET, Kind.ADD, Kind.SUB):
            pass
        elif k in (Kind.PCREL, Kind.CALL):
            val[a:b] -= P(a, b)
        elif k == Kind.PAGE_PCREL:
            val[a:b] = page_of(val[a:b]) - page_of(P(a, b))
        elif k == Kind.TLS_LE:
            val[a:b] -= tp
        elif k == Kind.GP_REL:                  # only sites the shrink pass relaxed to gp
            if gp is None:
                g = ctx.symtab.ids.get("__global_pointer$")
                gp = int(ctx.gaddr[g]) if g is not None else 0
            val[a:b] -= gp
        elif k not in _G_KINDS:
            val[a:b] = 0
        else:
            slot = slots[k].astype(np.int64)
            G = np.where(slot >= 0, got_addr + 8 * slot, 0)
            if k in (Kind.GOT, Kind.TLS_IE, Kind.TLS_GD):
                val[a:b] = G
            elif k in (Kind.GOT_PCREL, Kind.TLS_IE_PCREL, Kind.TLS_GD_PCREL):
                val[a:b] = G - P(a, b)
            elif k in (Kind.GOT_PAGE_PCREL, Kind.TLS_IE_PAGE_PCREL, Kind.TLS_GD_PAGE_PCREL):
                val[a:b] = page_of(G) - page_of(P(a, b))
            elif k == Kind.GOT_GOTPAGE:
                val[a:b] = G - page_of(np.int64(got_addr))
    # PAIRED_LO: the value of the HI20 relocation at the label the LO12 points to
    if int(Kind.PAIRED_LO) in kinds:
        la, lb = kinds[int(Kind.PAIRED_LO)]
        alloc_part = _allocated(parts, secs)
        hi_l = []                               # the candidate HI20 positions
        for k in (Kind.PCREL, Kind.GOT_PCREL, Kind.TLS_IE_PCREL, Kind.TLS_GD_PCREL):
            if int(k) in kinds:
                a, b = kinds[int(k)]
                ok = alloc_part[pid[a:b]] & (t.width[order[a:b]] == 4)
                hi_l.append(a + np.flatnonzero(ok))
        # (positions in the row order's width; each array let go as soon as the next is made:
        # riscv64 400x50, 3 MiB of relocation's peak)
        hi = np.concatenate(hi_l).astype(order.dtype, copy=False) if hi_l else np.zeros(0, dtype=np.int64)
        del hi_l
        hp = np.take(part_addr, np.take(pid, hi)) + off[hi]      # their places
        # by place, then by table row (as a stable sort of the rows in row order would)
        by = np.argsort(hp, kind="stable")
        hp = hp[by]
        if len(hp) > 1 and (hp[1:] == hp[:-1]).any():
            by = np.lexsort((order[hi], part_addr[pid[hi]] + off[hi]))    # (the same places, sorted)
        hi = hi[by]
        del by
        target = S_of.pop(int(Kind.PAIRED_LO))
        k = np.searchsorted(hp, target)
        np.minimum(k, max(len(hp) - 1, 0), out=k)
        found = (len(hp) > 0) & (hp[k] == target) if len(hp) else np.zeros(lb - la, dtype=bool)
        del target
        for row in np.sort(order[la:lb][~found])[:10].tolist():
            h = arch.howtos[int(t.type[row])]
            ctx.diag.error(f"{_site(ctx, t, row)}: "
                           f"could not find the HI20 relocation that {h.name} at this place pairs with "
                           f"(label {_sym(ctx, t, row)})")
        val[la + np.flatnonzero(found)] = val[hi[k[found]]]
        del hi, hp, k, found
    if quiet is not None and len(quiet):        # (.gcc_except_table into a discarded section)
        val[quiet] = 0                             # (an ADD/SUB pair then adds nothing)
    # the TLS GOT and the GOT: filled here, part of the image
    if tables and got is not None and ctx.got_entries:
        _fill_got(ctx, img, got)
    if tables and ctx.iplt_resolvers and ctx.dyn is None:   # (dynamic outputs: link/dynamic.py)
        _fill_iplt(ctx, img)

    # range and alignment, per type: a type's positions, a slice (or, when it has rows of
    # several kinds, its positions in row order)
    def type_sel(rt):
        sl = types[rt]
        if len(sl) == 1:
            return slice(*sl[0])
        sel = np.concatenate([np.arange(a, b) for a, b in sl])
        return sel[np.argsort(order[sel], kind="stable")]

    relax_howtos = arch.hooks.get("relax_howtos", {})
    weak_call = arch.hooks.get("undef_weak_call")

    def apply_type(h, sel) -> list[str]:
        """Check and write one type's sites; the errors, to report in type order."""
        errors: list[str] = []
        v = val[sel]
        bad = None
        if h.lo is not None:
            bad = (v < h.lo) | (v > h.hi)
        if h.align > 1:
            misaligned = (v & (h.align - 1)) != 0
            if misaligned.any():
                rows, vals = order[sel], v
                m = misaligned & ~bad if bad is not None else misaligned
                for row, x in zip(rows[m][:5].tolist(), vals[m][:5].tolist()):
                    errors.append(f"{_place(ctx, t, row)}: "
                                  f"improper alignment for relocation {h.name}: 0x{x & (2**64 - 1):x} "
                                  f"is not aligned to {h.align} bytes")
                bad = misaligned if bad is None else bad | misaligned
        if bad is not None and bad.any() and h.kind == Kind.CALL and weak_call is not None:
            # a call to an undefined weak name (no PLT entry: the thunks pass gave those one)
            # out of reach, its 0 far below a program placed high: the ISA's value for it (arm64:
            # the next instruction, as lld; GNU ld writes a NOP there), not an error
            rows, undefined_weak = order[sel], ctx.symtab.undefined_weak
            weak = np.zeros_like(bad)
            for i in np.flatnonzero(bad).tolist():      # (the columns file and gid are let go)
                g = int(ctx.files[_where(ctx, t, int(rows[i]))[0]].gids[int(t.sym[rows[i]])])
                weak[i] = undefined_weak(g)
            if weak.any():
                v = v.copy()
                v[weak] = weak_call
                bad &= ~weak
        if bad is not None and bad.any():
            rows = order[sel]
            for row, x in zip(rows[bad][:5].tolist(), v[bad][:5].tolist()):
                if h.lo is not None and not (h.lo <= x <= h.hi):
                    errors.append(f"{_place(ctx, t, row)}: "
                                  f"relocation {h.name} out of range: {x} is not in "
                                  f"[{h.lo}, {h.hi}]; references '{_sym(ctx, t, row)}'"
                                  + _range_hint(ctx, t, row))
            good = np.flatnonzero(~bad)
            sel = (np.arange(sel.start, sel.stop) if isinstance(sel, slice) else sel)[good]
            v = v[good]
        n = sel.stop - sel.start if isinstance(sel, slice) else len(sel)
        if h.field.width == 0 or n == 0:
            return errors
        w = h.field.width
        # a chunk of sites at a time: their places, words and new words are a few table-sized
        # columns while alive (in order: a place given twice keeps its last row's value)
        for c0 in range(0, n, _CHUNK_ROWS):
            c1 = min(c0 + _CHUNK_ROWS, n)
            p = pos(slice(sel.start + c0, sel.start + c1) if isinstance(sel, slice) else sel[c0:c1])
            scatter_words(img, p, w, h.field.write(gather_words(img, p, w), v[c0:c1]))
        return errors

    # (the types patch disjoint bytes, so two threads could share them; measured on a riscv64
    # 400x50 link: 4 % less wall time for 10 % more peak memory, so one thread it is)
    rmw: list[tuple] = []
    for rt in sorted(types):
        h = arch.howtos.get(rt) or relax_howtos.get(rt)   # + types only relaxation makes
        if h is None or h.field is None:
            continue
        if h.kind in _RMW_ORDER:
            if rt in arch.howtos:
                rmw.append((h, rt))
            continue
        for e in apply_type(h, type_sel(rt)):
            ctx.diag.error(e)
    # read-modify-write kinds, SET before ADD and SUB (psABI pairs: SET6+SUB6, SET_ULEB128+SUB_ULEB128)
    sites = {rt: (sel, pos(sel)) for sel, rt in ((type_sel(rt), rt) for _, rt in rmw)}
    for a, (s, take) in _fused_pairs(rmw, sites).items():    # ADD and SUB at once
        (sa, p), (ss, _) = sites[a], sites[s]
        h = arch.howtos[a]
        if take.all():
            _rmw(img, p, h.field.width, h, val[sa] - val[ss])
            del sites[a], sites[s]
            continue
        sa, ss = _positions(sa), _positions(ss)
        _rmw(img, p[take], h.field.width, h, val[sa[take]] - val[ss[take]])
        rest = ~take
        sites[a], sites[s] = (sa[rest], p[rest]), (ss[rest], p[rest])
    for kind in _RMW_ORDER:
        for h, rt in rmw:
            if h.kind != kind or rt not in sites:
                continue
            sel, p = sites[rt]
            if h.field.width == 0:
                _uleb(ctx, img, h, order[sel], p, val[sel])
                continue
            w = h.field.width
            # same place twice: apply one at a time (rows are mostly in place order already: the
            # stable sort, a merge of runs, takes a tenth of the time of the default one)
            if not (p[1:] > p[:-1]).all() and (np.diff(np.sort(p, kind="stable")) == 0).any():
                v = val[sel]
                for i in range(len(p)):
                    _rmw(img, p[i:i + 1], w, h, v[i:i + 1])
            else:
                _rmw(img, p, w, h, val[sel])
    # TLS descriptors and the like: per-site rewrites only the ISA knows
    if int(Kind.TLS_DESC) in kinds:
        a, b = kinds[int(Kind.TLS_DESC)]
        rewrite = arch.hooks.get("tls_desc_to_le")
        to_ie = arch.hooks.get("tls_desc_keep" if ctx.opts.shared else "tls_desc_to_ie")
        paired = arch.hooks.get("tls_desc_is_paired", lambda h: False)
        # (a library's sites the hook leaves as they are, -shared 400x50's 60k TLSDESC_CALL:
        # not read)
        as_is = arch.hooks.get("tls_desc_keeps_site", lambda h: False) if ctx.opts.shared else lambda h: False
        # sites with a GOT entry (initial-exec, or a descriptor a shared library keeps): per
        # type, all at once (the kind's slices, one per type, in type order)
        slot = slots[int(Kind.TLS_DESC)]
        slotted = slot >= 0 if to_ie is not None else np.zeros(b - a, dtype=bool)
        for sa, sb in sorted(s for sl in types.values() for s in sl if a <= s[0] < b):
            h = arch.howtos[int(t.type[order[sa]])]
            if as_is(h):
                continue
            here = slotted[sa - a:sb - a]
            if here.all():                      # (as in a library: the type's slice, no positions)
                sel, G = slice(sa, sb), slot[sa - a:sb - a]
            else:
                sel = sa + np.flatnonzero(here)
                if len(sel) == 0:
                    continue
                G = slot[sel - a]
            ps, o = pid[sel], off[sel]
            p = part_off[ps] + o
            words = gather_words(img, p, 4)
            new = to_ie(words, h, got_addr + 8 * G.astype(np.int64), part_addr[ps] + o)
            if new is words:                    # (the hook gave them back unchanged)
                continue
            if new is None:
                row = int(order[sa if isinstance(sel, slice) else sel[0]])
                ctx.diag.error(f"{_site(ctx, t, row)}: "
                               f"{h.name} cannot be relaxed to initial-exec" if not ctx.opts.shared
                               else f"{h.name} cannot address its TLS descriptor")
                continue
            scatter_words(img, p, 4, new)
        # the others, one site at a time, in table row order.  RISC-V: LOAD_LO12/ADD_LO12/CALL
        # name the label of the HI20 site; the variable is there
        rest_s = a + np.flatnonzero(~slotted)
        rest_s = rest_s[np.argsort(order[rest_s], kind="stable")]
        rest = order[rest_s].tolist()
        S_desc = dict(zip(rest, S_at(rest_s).tolist()))     # (S of the rows with no slot only)
        P_rest = (part_addr[pid[rest_s]] + off[rest_s]).tolist()
        pos_rest = pos(rest_s)
        at_label = {p: r for p, r in zip(P_rest, rest) if not paired(arch.howtos[int(t.type[r])])}
        A_t = t.addend
        for k, row in enumerate(rest):
            h = arch.howtos[int(t.type[row])]
            var = row
            if paired(h):
                var = at_label.get(S_desc[row])
                if var is None:
                    ctx.diag.error(f"{_site(ctx, t, row)}: "
                                   f"{h.name} does not point at a TLSDESC_HI20 site")
                    continue
            tpoff = int(S_desc[var] + A_t[var] - tp)
            p = pos_rest[k:k + 1]
            try:
                new = rewrite(int(gather_words(img, p, 4)[0]), h, tpoff) if rewrite else None
            except ValueError as e:
                ctx.diag.error(f"{_site(ctx, t, row)}: {e}")
                continue
            if new is None:
                ctx.diag.error(f"{_site(ctx, t, row)}: "
                               f"{h.name} cannot be relaxed to local-exec in a static link")
                continue
            scatter_words(img, p, 4, np.array([new], dtype=np.uint64))
    # ALIGN (R_RISCV_ALIGN): the padding must end on the boundary it asks for
    if int(Kind.ALIGN) in kinds:
        m = np.sort(order[slice(*kinds[int(Kind.ALIGN)])])
        A_m = t.addend[m]
        end = P_rows(m) + A_m
        align = np.left_shift(1, np.array([int(a).bit_length() for a in A_m.tolist()], dtype=np.int64))
        bad = (end & (align - 1)) != 0
        for row, al in zip(m[bad][:5].tolist(), align[bad][:5].tolist()):
            ctx.diag.error(f"{_site(ctx, t, row)}: "
                           f"{arch.reloc_name(int(t.type[row]))} asks for {al}-byte alignment, which this layout does not give "
                           f"without deleting padding; this object needs linker relaxation")


def _positions(sel) -> np.ndarray:
    return np.arange(sel.start, sel.stop) if isinstance(sel, slice) else sel


def _fused_pairs(rmw: list[tuple], sites: dict) -> dict[int, tuple[int, np.ndarray]]:
    """ADD and SUB types (ADD32 and SUB32: RISC-V label differences, a pair at each place of a
    switch table) whose rows are at the same places, in the same order, one pair per place:
    {ADD type: (SUB type, which of its places to take at once)}.  A pair is one
    read-modify-write of the difference (the fields are plain words, so the bytes are the same
    modulo 2**(8 width)) where no other read-modify-write row touches those bytes (a ULEB128
    taken as 10 bytes)."""
    fused: dict[int, tuple[int, np.ndarray]] = {}
    for ha, a in rmw:
        if ha.kind != Kind.ADD or ha.field.width == 0 or ha.field.read is None:
            continue
        w = ha.field.width
        pa = sites[a][1]
        for hs, s in rmw:
            if hs.kind != Kind.SUB or hs.field is not ha.field:
                continue
            ps = sites[s][1]
            if len(pa) != len(ps) or not np.array_equal(pa, ps):
                break
            by = np.argsort(pa, kind="stable")      # (in order but for a few parts)
            sp = pa[by]
            if not (np.diff(sp) >= w).all():
                break
            take = np.ones(len(pa), dtype=bool)     # (by place)
            for ho, o in rmw:
                if o not in (a, s):
                    # [p, p + w) and [q, q + wo) meet where q - w < p < q + wo
                    q = sites[o][1]
                    lo = np.searchsorted(sp, q - w + 1)
                    hi = np.searchsorted(sp, q + (ho.field.width or 10))
                    for i, j in zip(lo[hi > lo].tolist(), hi[hi > lo].tolist()):
                        take[i:j] = False
            take[by] = take.copy()
            fused[a] = (s, take)
            break
    return fused


def _rmw(img, p, w, h, v):
    """Read-modify-write of the fields at the places ``p`` (no place twice), a chunk at a time
    (the words, their values and the new words stay small while alive)."""
    for c0 in range(0, len(p), _CHUNK_ROWS):
        pc, vc = p[c0:c0 + _CHUNK_ROWS], v[c0:c0 + _CHUNK_ROWS]
        words = gather_words(img, pc, w)
        if h.kind == Kind.ADD:
            vc = h.field.read(words) + vc if h.field.read is not None else vc
        elif h.kind == Kind.SUB:
            vc = h.field.read(words) - vc if h.field.read is not None else -vc
        scatter_words(img, pc, w, h.field.write(words, vc))


def _uleb(ctx, img, h, rows, pos, val) -> None:
    """The ULEB128 fields at ``pos`` (table rows ``rows``, values ``val``)."""
    t = ctx.rel
    for r, p, v in zip(rows.tolist(), pos.tolist(), val.tolist()):
        # length and current value of the ULEB128 at p
        cur, shift, n = 0, 0, 0
        while True:
            byte = int(img[p + n])
            cur |= (byte & 0x7F) << shift
            shift += 7
            n += 1
            if not byte & 0x80 or n >= 10:
                break
        if h.kind == Kind.SUB:
            v = cur - v
        elif h.kind == Kind.ADD:
            v = cur + v
        v &= (1 << 64) - 1
        if v >= 1 << (7 * n):
            ctx.diag.error(f"{_site(ctx, t, r)}: "
                           f"{h.name}: value {v} does not fit in {n} ULEB128 bytes")
            continue
        for i in range(n):
            b = (v >> (7 * i)) & 0x7F
            if i < n - 1:
                b |= 0x80
            img[p + i] = b


def _fill_got(ctx, img, got) -> None:
    vals = []
    tls_start = ctx.tls_range[0] if ctx.tls_range else 0
    dtp_bias = ctx.arch.hooks.get("dtp_offset_bias", 0)
    for flavour, fplus, ident, addend in ctx.got_entries:
        if fplus:
            s = int(ctx.files[fplus - 1].S[ident])
        else:
            s = int(ctx.gaddr[ident])
        v = s + addend
        if flavour == 1:
            vals.append((v - ctx.tp_base) & (2**64 - 1))
        elif flavour == 2:     # general dynamic, resolved statically: module 1 of the executable
            vals.append(1)
            vals.append((v - tls_start - dtp_bias) & (2**64 - 1))
        elif flavour == 3:     # a TLS descriptor ld.so fills; here the variable's block offset
            vals.append((v - tls_start) & (2**64 - 1))
            vals.append(0)
        else:
            vals.append(v & (2**64 - 1))
    data = np.array(vals, dtype=np.uint64).view(np.uint8)
    img[got.offset:got.offset + len(data)] = data


def _fill_iplt(ctx, img) -> None:
    """Stubs, their slots (initially the resolver, as GNU ld leaves them) and IRELATIVEs."""
    arch = ctx.arch
    iplt, slots, rela = ctx.outputs[".iplt"], ctx.outputs[".got.plt"], ctx.outputs[".rela.iplt"]
    size = ctx.plt_forms["stub_size"]
    irel = arch.dynamic_type("IRELATIVE")
    code = bytearray()
    resolvers = ctx.iplt_resolvers
    entries = np.zeros(len(resolvers), dtype=elf.RELA)
    slotvals = np.zeros(len(resolvers), dtype=np.uint64)
    for k, resolver in enumerate(resolvers):
        stub, slot = iplt.addr + k * size, slots.addr + 8 * k
        code += ctx.plt_forms["stub"](stub, slot)
        entries[k] = (slot, irel, resolver)
        slotvals[k] = resolver
    img[iplt.offset:iplt.offset + len(code)] = np.frombuffer(bytes(code), dtype=np.uint8)
    img[slots.offset:slots.offset + 8 * len(slotvals)] = slotvals.view(np.uint8)
    img[rela.offset:rela.offset + entries.nbytes] = entries.view(np.uint8)
