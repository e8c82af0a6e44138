""".eh_frame: drop the FDEs of functions that are not in the output, and build .eh_frame_hdr.

An input .eh_frame is a sequence of length-prefixed records: CIEs (CIE id 0) and FDEs (a
field pointing back to their CIE, then the address of the function they describe, relocated).
When a COMDAT copy is discarded or --gc-sections drops a function, its FDE must go too, or it
would describe code that is not there (GNU ld and lld do the same).  The FDE's function is
named by the relocation at FDE offset + 8.  Dropping records moves the later ones, so the
CIE pointers of the FDEs that stay and the offsets of their relocations are rewritten.

Identical CIEs are kept once per output section (``merge_cies``), as GNU ld keeps them: most
objects start their .eh_frame with the same CIE, so a static C program carries hundreds of
copies.  A CIE is identical when its bytes are and its relocations (a C++ CIE's personality
routine) have the same offsets, types and addends against the same global symbols.  The
copies go; the FDEs that pointed to one point to the CIE kept in an earlier input section.
That pointer is a distance in the output, known only after layout: ``fix_cie_pointers``
writes it into the image before relocation (``ctx.eh_cie_links``).

.eh_frame_hdr (with --eh-frame-hdr) is the sorted table (function start, FDE address) the
unwinder searches via PT_GNU_EH_FRAME; it is filled after relocation from the output bytes.
"""
from __future__ import annotations

import struct
import sys

import numpy as np

from xld.link import elf
from xld.link.arrays import distinct_first_inverse
from xld.link.elf import read_uleb
from xld.link.errors import LinkError


def prune(ctx):
    """Drop the FDEs of functions not in the output.  Returns (the sections, their records
    as they are now) for ``merge_cies``, or None when it walked malformed sections one by
    one (``merge_cies`` reads them again then)."""
    st = ctx.symtab
    secs = [(obj, i) for obj in ctx.files[1:] for i in eh_sections(obj) if obj.sec_outsec[i] is not None]
    # (--eh-frame-hdr writes a header when one held a record, even if none stays: GNU ld)
    ctx.eh_frame_records = any(int(obj.shdrs["sh_size"][i]) > 8 for obj, i in secs)
    if not secs:
        return None
    fr = _Frames(secs)
    terminated = fr.terminated() if fr.well_formed() else None
    if terminated is None:                  # something is off: the walk that says what
        for obj, i in secs:
            check_records(obj, i)
    local_ok = _relocations_local_and_kept(secs)
    if terminated is not None:
        # a section changes when an FDE may name a dropped function, or a terminator is not
        # the last input's; all of them at once, in the buffer ``fr`` read
        last = len(secs) - 1
        todo = [k for k in range(len(secs)) if not (local_ok[k] and (k == last or not terminated[k]))]
        if not todo:
            return secs, fr
        gone = _dropped_records(ctx, secs, fr, todo)
        if not gone.any():
            return secs, fr
        return secs, _drop_records(secs, fr, gone)
    changed = False
    for k, (obj, i) in enumerate(secs):
        # a zero terminator ends the unwinder's walk: only the last input (crtend.o's) keeps it
        last = k == len(secs) - 1
        if local_ok[k] and (last or not (terminated[k] if terminated is not None
                                         else _has_terminator(obj.section_content(i)))):
            continue                        # the common case: nothing to drop or rewrite
        changed |= _prune_section(ctx, obj, i, st, keep_terminator=last)
    return None


def _dropped_records(ctx, secs, fr, todo: list[int]) -> np.ndarray:
    """Per record of ``fr``: whether pruning drops it, for the sections ``todo`` at once (of
    well-formed sections: ``_prune_section``'s rules).  A terminator goes unless it is in
    the last section; an FDE goes when the function that the first relocation at its offset
    + 8 names is not in the output."""
    st, ident, rsec = fr.st, fr.ident, fr.sec
    last = len(secs) - 1
    in_todo = np.zeros(len(secs), dtype=bool)
    in_todo[todo] = True
    rec_todo = in_todo[rsec]
    gone = rec_todo & (ident == 0xFFFFFFFF) & (rsec != last)
    fde = np.flatnonzero(rec_todo & (ident != 0) & (ident != 0xFFFFFFFF))
    if not len(fde):
        return gone
    # every todo section's relocations inside it, by place in the buffer (a stable sort: the
    # first of equal places is the first in its table)
    pos, row, owner = [], [], []
    for k in todo:
        obj, i = secs[k]
        rel = obj.relas.get(i)
        if rel is None or not len(rel):
            continue
        off = rel["r_offset"].astype(np.int64)
        inside = np.flatnonzero(off < fr.size[k])
        pos.append(off[inside] + fr.base[k])
        row.append(inside)
        owner.append(np.full(len(inside), k, dtype=np.int64))
    if not pos:
        return gone
    pos, row, owner = np.concatenate(pos), np.concatenate(row), np.concatenate(owner)
    order = np.argsort(pos, kind="stable")
    spos = pos[order]
    at = st[fde] + 8
    j = np.minimum(np.searchsorted(spos, at), len(spos) - 1)
    has = spos[j] == at
    fde, hit = fde[has], order[j[has]]
    hrow, hsec = row[hit], owner[hit]
    # per section with named functions: whether each is in the output
    kept = np.ones(len(fde), dtype=bool)
    cuts = np.flatnonzero(np.diff(hsec)) + 1
    st_ = ctx.symtab
    for a, b in zip([0] + cuts.tolist(), cuts.tolist() + [len(fde)]):
        obj, i = secs[int(hsec[a])]
        rel = obj.relas[i]
        sym = (rel["r_info"][hrow[a:b]] >> np.uint64(32)).astype(np.int64)
        glob = obj.gids[sym] != 0
        shndx = obj.sym_shndx[sym]
        outsec = np.array([o is not None for o in obj.sec_outsec] + [True], dtype=bool)
        ok = (shndx == 0) | (shndx >= elf.SHN_LORESERVE) | outsec[np.minimum(shndx, len(outsec) - 1)]
        for g in np.flatnonzero(glob).tolist():          # (few: FDEs name local symbols)
            ok[g] = _sym_kept(ctx, obj, int(sym[g]), st_)
        kept[a:b] = ok
    gone[fde[~kept]] = True
    if not kept.all():
        # a CIE whose FDEs all went goes too, as GNU ld drops it (with its personality
        # routine's reference): one no FDE used in the input stays, as before
        fde = np.flatnonzero(rec_todo & (ident != 0) & (ident != 0xFFFFFFFF))
        cie = np.searchsorted(st, st[fde] + 4 - ident[fde])      # (well-formed: an exact start)
        had = np.zeros(len(st), dtype=bool)
        had[cie] = True
        used = np.zeros(len(st), dtype=bool)
        used[cie[~gone[fde]]] = True
        gone |= had & ~used
    return gone


def _drop_records(secs, fr, gone) -> _Frames:
    """Remove the records ``gone`` from the sections of ``fr`` (their contents, relocations,
    the CIE pointers of the FDEs that stay, the symbols in them: ``_prune_section``'s
    rewrite, for every section at once).  Returns the records as they are then."""
    st, en, ident, rsec = fr.st, fr.en, fr.ident, fr.sec
    n = len(st)
    lens = en - st
    kept_len = np.where(gone, 0, lens)
    cum = np.concatenate([[0], np.cumsum(kept_len)])
    new_gst = cum[:-1]
    after = np.append(fr.first[1:], n)
    new_base = cum[fr.first]
    new_size = cum[after] - new_base
    out = np.frombuffer(fr.buf, dtype=np.uint8)[np.repeat(~gone, lens)]
    # the CIE pointers of the FDEs that stay (their CIEs stay: they are in the same section)
    fde = np.flatnonzero(~gone & (ident != 0) & (ident != 0xFFFFFFFF))
    cie = np.searchsorted(st, st[fde] + 4 - ident[fde])      # (well-formed: an exact start)
    field = new_gst[fde] + 4
    ptr = field - new_gst[cie]
    out[field[:, None] + np.arange(4)] = ptr.astype("<u4").view(np.uint8).reshape(-1, 4)
    new_ident = ident.copy()
    new_ident[fde] = ptr
    touched = np.bincount(rsec[gone], minlength=len(secs)) > 0
    lst = st - fr.base[rsec]
    new_lst = new_gst - new_base[rsec]
    shift = new_lst - lst
    # relocations inside the records that stay, at their new offsets
    rels = fr.relocations(secs)
    _keep_relocations(secs, rels, gone, shift, touched)
    tk = np.flatnonzero(touched).tolist()
    # symbols in a dropped record go to where the next record that stays starts (or the end)
    moves = _moved_symbols(secs, tk, fr, gone, new_lst, shift, kept_len)
    data = out.tobytes()
    _rewrite_sections(secs, tk, data, new_base, new_size, moves)
    keep = np.flatnonzero(~gone)
    nf = _Frames.__new__(_Frames)
    nf.buf = data
    nf.base, nf.size = new_base, new_size
    nf.sec = rsec[keep]
    nf.st = new_gst[keep]
    nf.en = nf.st + lens[keep]
    nf.ident = new_ident[keep]
    nf.first = np.searchsorted(nf.sec, np.arange(len(secs)), side="left")
    return nf


def check_records(obj, sec: int) -> None:
    """The record structure of an input .eh_frame, before anything walks it: lengths inside the
    section (no 64-bit DWARF lengths), FDEs pointing back at a CIE of the same section, CIEs
    whose augmentation can be read.  Errors in lld's words."""
    d = bytes(obj.section_content(sec))
    n = len(d)
    pos = 0
    cies: set[int] = set()

    def fail(what: str):
        raise LinkError(f"{obj.where(sec, pos)}: corrupted .eh_frame: {what}")

    while pos < n:
        if pos + 4 > n:
            fail("unexpected end of CIE/FDE")
        length = struct.unpack_from("<I", d, pos)[0]
        if length == 0:
            pos += 4
            continue
        if length == 0xFFFFFFFF:
            fail("CIE/FDE with a 64-bit length is not supported")
        end = pos + 4 + length
        if length < 4 or (length < 8 and struct.unpack_from("<I", d, pos + 4)[0] != 0):
            fail("CIE/FDE too small")
        if end > n:
            fail("CIE/FDE ends past the end of the section")
        cie_id = struct.unpack_from("<I", d, pos + 4)[0]
        if cie_id == 0:
            try:
                _fde_encoding(d[pos:end], 0)
            except (IndexError, ValueError, struct.error):
                fail("the CIE cannot be read (augmentation past its end)")
            cies.add(pos)
        elif pos + 4 - cie_id not in cies:
            fail("invalid CIE reference")
        pos = end


def _relocations_local_and_kept(secs) -> list[bool]:
    """Per section: whether every relocation targets a local symbol of a kept section (so no
    FDE describes a dropped function), for all sections with a few array operations."""
    rels = []
    for k, (obj, i) in enumerate(secs):
        rel = obj.relas.get(i)
        if rel is not None and len(rel):
            rels.append((k, obj, i, rel))
    _find_targets([(obj, i, rel) for _, obj, i, rel in rels])
    rels = [(k, obj, _targets(obj, i, rel)) for k, obj, i, rel in rels]
    ok = [True] * len(secs)
    if not rels:
        return ok
    if any(not hasattr(o, "sec_kept") for _, o, _ in rels):
        return [False] * len(secs)
    counts = [len(t) for _, _, t in rels]
    nsecs = [len(o.sec_kept) for _, o, _ in rels]
    kept_all = np.concatenate([o.sec_kept for _, o, _ in rels] + [np.zeros(1, dtype=bool)])
    sbase = np.repeat(np.cumsum(nsecs) - nsecs, counts)
    nsec = np.repeat(np.array(nsecs, dtype=np.int64), counts)
    shndx = np.concatenate([t for _, _, t in rels])
    in_range = (shndx >= 0) & (shndx < nsec)
    kept = kept_all[np.where(in_range, sbase + shndx, len(kept_all) - 1)]
    good = (shndx >= 0) & ((shndx == 0) | (shndx >= elf.SHN_LORESERVE) | (in_range & kept))
    bad = np.bincount(np.repeat(np.arange(len(rels)), counts)[~good], minlength=len(rels))
    for (k, _, _), b in zip(rels, bad.tolist()):
        ok[k] = b == 0
    return ok


def _nothing_to_drop(obj, sec: int, data: bytes, keep_terminator: bool) -> bool:
    """The common case, decided without parsing records: every relocation targets a local
    symbol of a kept section (no FDE to drop), and no zero terminator to remove."""
    rel = obj.relas.get(sec)
    if rel is not None and len(rel):
        syms = (rel["r_info"] >> np.uint64(32)).astype(np.int64)
        if (syms >= obj.first_global).any():
            return False
        shndx = obj.sym_shndx[syms]
        kept = obj.sec_kept if hasattr(obj, "sec_kept") else None
        if kept is None:
            return False
        ok = (shndx == 0) | (shndx >= elf.SHN_LORESERVE) | ((shndx < len(kept)) & kept[np.minimum(shndx, len(kept) - 1)])
        if not ok.all():
            return False
    if keep_terminator:
        return True
    return not _has_terminator(data)


def _has_terminator(data) -> bool:
    """Whether a zero length ends the records early (a walk over the length fields; as
    32-bit words while every record keeps the next one 4-byte aligned)."""
    n = len(data)
    if n % 4 == 0 and sys.byteorder == "little":
        words = memoryview(data).cast("B").cast("I")
        k, nw = 0, n // 4
        while k < nw:
            length = words[k]
            if length == 0:
                return True
            if length & 3:
                break                       # an unaligned record: finish byte-wise
            k += 1 + (length >> 2)
        else:
            return False
        pos = 4 * k
    else:
        pos = 0
    unpack = struct.unpack_from
    while pos + 4 <= n:
        length = unpack("<I", data, pos)[0]
        if length == 0:
            return True
        pos += 4 + length
    return False


def _sym_kept(ctx, obj, symidx: int, st) -> bool:
    g = int(obj.gids[symidx])
    if g:
        f = st.def_file[g]
        if f <= 0:
            return True
        d = ctx.files[f]
        sec = int(d.sym_shndx[st.def_index[g]])
    else:
        d, sec = obj, int(obj.sym_shndx[symidx])
    if sec == 0 or sec >= elf.SHN_LORESERVE:
        return True
    return d.sec_outsec[sec] is not None


def _prune_section(ctx, obj, sec: int, st, keep_terminator: bool) -> bool:
    """Drop the FDEs of functions not in the output (and the zero terminator unless
    ``keep_terminator``) from one section, with array operations over its records (whose
    structure ``check_records`` has checked).  Whether the section changed."""
    data = obj.section_content(sec)
    if _nothing_to_drop(obj, sec, data, keep_terminator):
        return False
    data = bytes(data)
    rel = obj.relas.get(sec)
    if rel is None:
        rel = np.zeros(0, dtype=elf.RELA)
    roff = rel["r_offset"].astype(np.int64)
    rsym = (rel["r_info"] >> np.uint64(32)).astype(np.int64)
    rs, re_, ident = _records(data)
    if len(rs) == 0:
        return False
    # what stays: CIEs; the terminator if asked; an FDE whose function (named by the first
    # relocation at FDE offset + 8) is in the output, or that names none
    keep = np.where(ident == 0xFFFFFFFF, keep_terminator, True)
    fde = np.flatnonzero((ident != 0) & (ident != 0xFFFFFFFF))
    if len(fde) and len(roff):
        offs, first = np.unique(roff, return_index=True)
        at = rs[fde] + 8
        k = np.minimum(np.searchsorted(offs, at), len(offs) - 1)
        has = offs[k] == at
        fde, sym = fde[has], rsym[first[k[has]]]
        glob = obj.gids[sym] != 0
        shndx = obj.sym_shndx[sym]
        outsec = np.array([o is not None for o in obj.sec_outsec] + [True], dtype=bool)
        kept = (shndx == 0) | (shndx >= elf.SHN_LORESERVE) | outsec[np.minimum(shndx, len(outsec) - 1)]
        for j in np.flatnonzero(glob).tolist():          # (few: FDEs name local symbols)
            kept[j] = _sym_kept(ctx, obj, int(sym[j]), st)
        keep[fde] = kept
    if keep.all():
        return False
    lens = re_ - rs
    kept_len = np.where(keep, lens, 0)
    new_start = np.cumsum(kept_len) - kept_len
    out = np.frombuffer(data, dtype=np.uint8)[np.repeat(keep, lens)]
    # CIE pointers of kept FDEs: distance from the pointer field back to the CIE
    live = np.flatnonzero(keep & (ident != 0) & (ident != 0xFFFFFFFF))
    cie_old = rs[live] + 4 - ident[live]
    c = np.minimum(np.searchsorted(rs, cie_old), len(rs) - 1)
    found = (rs[c] == cie_old) & keep[c]
    for j in np.flatnonzero(~found).tolist():
        ctx.diag.error(f"{obj.where(sec, int(rs[live[j]]))}: FDE points to a CIE that is not there")
    live, c = live[found], c[found]
    field = new_start[live] + 4
    out[field[:, None] + np.arange(4)] = (field - new_start[c]).astype("<u4").view(np.uint8).reshape(-1, 4)
    # relocations: keep those inside kept records, at their new offsets
    shift = new_start - rs
    k = np.searchsorted(rs, roff, side="right") - 1
    mask = keep[k]
    new_rel = rel[mask].copy()
    new_rel["r_offset"] = (roff[mask] + shift[k[mask]]).astype(np.uint64)
    if sec in obj.relas:
        obj.relas[sec] = new_rel
    obj.content_override[sec] = out.tobytes()
    obj.own_tables()
    obj.shdrs["sh_size"][sec] = len(out)
    # symbols in the section (crtbegin's __EH_FRAME_BEGIN__, crtend's __FRAME_END__) move
    # along; one in a dropped record (or past the end) goes to the next kept record, or the end
    in_sec = np.flatnonzero(obj.sym_shndx == sec)
    if len(in_sec):
        v = obj.syms["st_value"][in_sec].astype(np.int64)
        r = np.clip(np.searchsorted(rs, v, side="right") - 1, 0, len(rs) - 1)
        kept_idx = np.flatnonzero(keep)
        j = np.searchsorted(kept_idx, r, side="right")
        nxt = np.where(j < len(kept_idx), new_start[kept_idx[np.minimum(j, len(kept_idx) - 1)]], len(out))
        nv = np.where(keep[r] & (v < re_[r]), v + shift[r], nxt)
        obj.syms["st_value"][in_sec] = nv.astype(np.uint64)
    return True


# -- identical CIEs ------------------------------------------------------------------------------

def _records(data: bytes):
    """Arrays (start, end, CIE id field) of the records (a zero terminator: id 0xFFFFFFFF,
    never a CIE; ``check_records`` has made sure they tile the section).  The walk reads the
    length words through a word view while records stay 4-byte aligned."""
    n = len(data)
    starts: list[int] = []
    words = memoryview(data).cast("B")[:n & ~3].cast("I") if sys.byteorder == "little" else None
    _walk(data, words, 0, n, starts.append)
    st = np.array(starts, dtype=np.int64)
    length = np.frombuffer(data, dtype=np.uint8)[st[:, None] + np.arange(4)].copy().view("<u4").reshape(-1)
    en = st + 4 + length.astype(np.int64)
    idpos = np.minimum(st + 4, max(n - 4, 0))
    ident = np.frombuffer(data, dtype=np.uint8)[idpos[:, None] + np.arange(4)].copy().view("<u4").reshape(-1)
    ident = np.where(length == 0, 0xFFFFFFFF, ident.astype(np.int64))
    return st, en, ident


def _walk(buf, words, a: int, b: int, put) -> None:
    """``put`` the offset of each record of ``buf[a:b]`` (a length word, then that many bytes):
    through ``words`` (the buffer's 32-bit view, or None) while records stay 4-byte aligned,
    then byte-wise."""
    pos = a
    if words is not None and a % 4 == 0 and (b - a) % 4 == 0:
        w, nw = a >> 2, b >> 2
        while w < nw:
            length = words[w]
            if length & 3:
                break                                # an unaligned record: byte-wise below
            put(4 * w)
            w += 1 + (length >> 2)
        pos = 4 * w
    unpack = struct.unpack_from
    while pos + 4 <= b:
        put(pos)
        pos += 4 + unpack("<I", buf, pos)[0]


def _records_of(buf: bytes, base: np.ndarray, size: np.ndarray, which: list[int], rels=None) -> list[tuple]:
    """``_records`` of the sections ``which`` of a joined buffer (section k at ``base[k]``,
    ``size[k]`` bytes): one walk and one gather for all of them.  Offsets are each
    section's own.  ``rels``: each section's relocations (or None), whose places may give
    the records' starts without a walk (``_starts_by_relocations``)."""
    known = _starts_by_relocations(buf, base, size, which, rels) if rels is not None else None
    if known is not None and known[1].all():
        st, counts = known[0], known[2].tolist()
    else:
        starts: list = []
        counts = []
        words = memoryview(buf)[:len(buf) & ~3].cast("I") if sys.byteorder == "little" else None
        bases, sizes = base.tolist(), size.tolist()
        cuts = good = None
        if known is not None:
            good = known[1].tolist()
            cuts = np.cumsum(known[2]).tolist()
        for j, k in enumerate(which):
            if good is not None and good[j]:
                part = known[0][cuts[j] - int(known[2][j]):cuts[j]].tolist()
            else:
                part = []
                _walk(buf, words, bases[k], bases[k] + sizes[k], part.append)
            starts += part
            counts.append(len(part))
        st = np.array(starts, dtype=np.int64)
    cnt = np.array(counts, dtype=np.int64)
    wb = base[which]
    sbase = np.repeat(wb, cnt)
    send = np.repeat(wb + size[which], cnt)
    raw = np.frombuffer(buf, dtype=np.uint8)
    length = raw[st[:, None] + np.arange(4)].copy().view("<u4").reshape(-1)
    en = st + 4 + length.astype(np.int64)
    idpos = np.minimum(st + 4, np.maximum(send - 4, sbase))
    ident = raw[idpos[:, None] + np.arange(4)].copy().view("<u4").reshape(-1)
    ident = np.where(length == 0, 0xFFFFFFFF, ident.astype(np.int64))
    st -= sbase
    en -= sbase
    out = []
    at = 0
    for c in counts:
        out.append((st[at:at + c], en[at:at + c], ident[at:at + c]))
        at += c
    return out


# an FDE's first relocation is its initial location's, 8 bytes into the record (after its
# length and CIE pointer): what GCC and Clang write
_PC_BEGIN = 8


def _starts_by_relocations(buf, base, size, which: list[int], rels: list):
    """The records' starts of the sections ``which`` (offsets in ``buf``) as their
    relocations tell them: the section's start and each relocation's place less
    ``_PC_BEGIN``.  Those are the records only where, read as records, they tile the section
    (each one's length leads to the next, the last ends the section): the walk's own answer,
    then, whatever the relocations were.  Returns (the starts of all, in order; per section
    whether they tile it; per section how many), or None when no section has relocations.
    A section whose don't tile (a C++ FDE's LSDA relocation, a CIE's personality) is walked
    by the caller.  (arm64 400x50: 23,000 records of 400 sections, walked ~4 ms.)"""
    have = [r is not None and len(r) > 0 for r in rels]
    if not any(have) or len(buf) < 4:
        return None
    n = len(which)
    counts = np.array([len(r) + 1 if h else 1 for r, h in zip(rels, have)], dtype=np.int64)
    first = np.cumsum(counts) - counts
    off = np.zeros(int(counts.sum()), dtype=np.int64)
    rest = np.ones(len(off), dtype=bool)
    rest[first] = False
    off[rest] = _concat_records([r for r, h in zip(rels, have) if h])["r_offset"].astype(np.int64) - _PC_BEGIN
    sec = np.repeat(np.arange(n), counts)
    wb = base[which]
    wsize = size[which]
    st = wb[sec] + off
    bad = (off < 0) | (off + 4 > wsize[sec])
    at = np.where(bad, 0, st)
    raw = np.frombuffer(buf, dtype=np.uint8)
    length = raw[at[:, None] + np.arange(4)].copy().view("<u4").reshape(-1).astype(np.int64)
    en = st + 4 + length
    last = first + counts - 1
    nxt = np.empty(len(st), dtype=np.int64)
    nxt[:-1] = st[1:]
    nxt[last] = (wb + wsize)                     # (the last record ends its section)
    bad |= en != nxt
    good = (np.bincount(sec[bad], minlength=n) == 0) & np.array(have) & (wsize >= 8)
    return st, good, counts


def merge_cies(ctx, read=None) -> None:
    """Keep one copy of each identical CIE per output section (after ``prune``): the first
    copy in input order stays; a later copy in the same input section is replaced there, one
    in a later section by a pointer to the first (``ctx.eh_cie_links``).  All the output's
    .eh_frame inputs are walked as one buffer, so the work is a few array operations per
    output section plus a dictionary lookup per CIE."""
    ctx.eh_cie_links = []
    holders = {id(obj.sec_outsec[i]) for obj in ctx.files[1:] for i in eh_sections(obj)
               if obj.sec_outsec[i] is not None}
    for out in ctx.outputs.values():
        if id(out) in holders:
            secs = [(obj, i) for obj, i in out.inputs if i in eh_sections(obj)]
            # (the records ``prune`` read, when it changed nothing and read these sections)
            _merge_output_cies(ctx, secs, read[1] if read is not None and read[0] == secs else None)


def _concat_records(tables: list[np.ndarray]) -> np.ndarray:
    """Structured arrays of one dtype as one array.  (``np.concatenate`` promotes the dtype
    field by field for each array, ~6 us apiece: as bytes it is one copy.)"""
    if len(tables) == 1:
        return tables[0].copy()
    return elf.join_tables(tables)


# -- what depends on one object alone: read once per object, and ahead by the warm server -----

def eh_sections(obj) -> list[int]:
    """The object's .eh_frame sections."""
    c = obj.__dict__.get("_eh_sections")
    if c is None:
        names = obj.sec_names
        n = names.count(".eh_frame")        # (most objects have one: found at C speed)
        c = obj._eh_sections = ([] if n == 0 else [names.index(".eh_frame")] if n == 1
                                else [i for i, name in enumerate(names) if name == ".eh_frame"])
    return c


def _section_records(obj, i: int, data):
    """``_records`` of section i, kept while the section holds the file's bytes."""
    if i in obj.content_override:
        return _records(bytes(data))
    c = obj.__dict__.setdefault("_eh_records", {})
    r = c.get(i)
    if r is None:
        r = c[i] = _records(bytes(data))
    return r


def _targets(obj, i: int, rel: np.ndarray) -> np.ndarray:
    """Per relocation of section i: the section of its symbol (a local one), else -1 (a
    global one); kept while the relocation table is the file's."""
    c = obj.__dict__.setdefault("_eh_targets", {})
    hit = c.get(i)
    if hit is not None and hit[0] is rel:
        return hit[1]
    sym = (rel["r_info"] >> np.uint64(32)).astype(np.int64)
    shndx = obj.sym_shndx[np.minimum(sym, len(obj.sym_shndx) - 1)].astype(np.int64)
    t = np.where(sym < obj.first_global, shndx, -1)
    c[i] = (rel, t)
    return t


def _find_targets(todo) -> None:
    """``_targets`` of the (object, section, relocations) not read yet, for all of them with
    a few array operations over their rows joined."""
    todo = [(o, i, rel) for o, i, rel in todo
            if o.__dict__.get("_eh_targets", {}).get(i, (None,))[0] is not rel]
    if len(todo) < 8:
        return
    objs, at = [], {}
    for o, _, _ in todo:
        if id(o) not in at:
            at[id(o)] = len(objs)
            objs.append(o)
    nsym = np.array([len(o.sym_shndx) for o in objs], dtype=np.int64)
    shx = np.concatenate([o.sym_shndx for o in objs]).astype(np.int64)
    counts = [len(rel) for _, _, rel in todo]
    owner = np.repeat(np.array([at[id(o)] for o, _, _ in todo], dtype=np.int64), counts)
    sym = (_concat_records([rel for _, _, rel in todo])["r_info"] >> np.uint64(32)).astype(np.int64)
    shndx = shx[(np.cumsum(nsym) - nsym)[owner] + np.minimum(sym, nsym[owner] - 1)]
    first_global = np.array([o.first_global for o in objs], dtype=np.int64)
    t = np.where(sym < first_global[owner], shndx, -1)
    b = 0
    for (o, i, rel), n in zip(todo, counts):
        o.__dict__.setdefault("_eh_targets", {})[i] = (rel, t[b:b + n])
        b += n


def prepare(obj) -> None:
    """Read what the passes need of an object's .eh_frame ahead (the warm server)."""
    for i in eh_sections(obj):
        _section_records(obj, i, obj.section_content(i))
        _symbols_in(obj, i)
        rel = obj.relas.get(i)
        if rel is not None and len(rel):
            _targets(obj, i, rel)


_READABLE_CIES: set[bytes] = set()       # CIEs whose augmentation was read (well_formed)


class _Frames:
    """The records of several .eh_frame input sections, read as one buffer (their records
    tile each section: ``check_records``).  Offsets are into the buffer; ``sec`` is each
    record's section (an index into the list), ``base`` each section's start."""

    def __init__(self, secs):
        datas = [obj.section_content(i) for obj, i in secs]
        self.buf = b"".join(datas)
        sizes = np.array([len(d) for d in datas], dtype=np.int64)
        self.base = np.cumsum(sizes) - sizes
        self.size = sizes
        # the records the warm server read ahead; the others walked together
        recs = [None if i in obj.content_override else obj.__dict__.get("_eh_records", {}).get(i)
                for obj, i in secs]
        walk = [k for k, r in enumerate(recs) if r is None]
        if walk:
            rels = [secs[k][0].relas.get(secs[k][1]) for k in walk]
            for k, r in zip(walk, _records_of(self.buf, self.base, sizes, walk, rels)):
                recs[k] = r
        counts = [len(r[0]) for r in recs]
        self.sec = np.repeat(np.arange(len(secs), dtype=np.int64), counts)
        if recs:
            at = self.base[self.sec]
            self.st = np.concatenate([r[0] for r in recs]) + at
            self.en = np.concatenate([r[1] for r in recs]) + at
            self.ident = np.concatenate([r[2] for r in recs])
        else:
            self.st = self.en = self.ident = np.zeros(0, dtype=np.int64)
        # the first record of each section (sections without records: the next one's)
        self.first = np.searchsorted(self.sec, np.arange(len(secs)), side="left")

    def well_formed(self) -> bool:
        """What ``check_records`` checks, for every section at once: records tile each
        section, lengths are sane, every FDE points back at a CIE of its own section, every
        CIE's augmentation can be read.  False: let ``check_records`` say what is wrong."""
        st, en, ident, sec = self.st, self.en, self.ident, self.sec
        n = len(st)
        if n == 0:
            return len(self.buf) == 0
        end = (self.base + self.size)[sec]
        nonempty = np.flatnonzero(self.size)
        starts = np.minimum(np.searchsorted(st, self.base[nonempty]), n - 1)
        length = en - st - 4
        if int(st[0]) != 0 or int(en[-1]) != len(self.buf) or (en[:-1] != st[1:]).any() \
                or (en > end).any() or (st[starts] != self.base[nonempty]).any():
            return False
        live = length != 0
        if (live & ((length < 4) | ((length < 8) & (ident != 0)))).any():
            return False
        fde = np.flatnonzero(live & (ident != 0))
        target = st[fde] + 4 - ident[fde]
        k = np.minimum(np.searchsorted(st, target), n - 1)
        if not ((st[k] == target) & (ident[k] == 0) & (length[k] != 0) & (sec[k] == sec[fde])).all():
            return False
        buf = self.buf
        for a, b in zip(st[live & (ident == 0)].tolist(), en[live & (ident == 0)].tolist()):
            cie = buf[a:b]
            if cie not in _READABLE_CIES:
                try:
                    _fde_encoding(cie, 0)
                except (IndexError, ValueError, struct.error):
                    return False
                if len(_READABLE_CIES) < 4096:
                    _READABLE_CIES.add(cie)
        return True

    def terminated(self) -> list[bool]:
        """Per section: whether a zero length ends its records (of well-formed sections)."""
        zero = self.sec[self.en - self.st == 4]
        return (np.bincount(zero, minlength=len(self.size)) > 0).tolist()

    def relocations(self, secs):
        """Every section's relocations as one table: (table, its record, offset in the buffer,
        its section), or None when there are none."""
        rels, which = [], []
        for k, (obj, i) in enumerate(secs):
            rel = obj.relas.get(i)
            if rel is not None and len(rel):
                rels.append(rel)
                which.append(k)
        if not rels:
            return None
        counts = [len(r) for r in rels]
        table = _concat_records(rels)
        rsec = np.repeat(np.array(which, dtype=np.int64), counts)
        pos = table["r_offset"].astype(np.int64) + self.base[rsec]
        rec = np.searchsorted(self.st, pos, side="right") - 1
        return table, rec, pos, rsec


def _merge_output_cies(ctx, secs, fr=None) -> None:
    if fr is None:
        fr = _Frames(secs)
    st, en, ident, rsec_of = fr.st, fr.en, fr.ident, fr.sec
    n = len(st)
    if n == 0:
        return
    rels = fr.relocations(secs)
    cies = np.flatnonzero(ident == 0)
    # the relocations inside CIEs (a C++ CIE's personality routine), by CIE
    cie_relocs: dict[int, list] = {}
    if rels is not None:
        table, rrec, rpos, rsec = rels
        inside = np.flatnonzero(ident[rrec] == 0)
        if len(inside):
            info = table["r_info"][inside]
            for r, s, p, sym, typ, add in zip(rrec[inside].tolist(), rsec[inside].tolist(),
                                              rpos[inside].tolist(), (info >> np.uint64(32)).tolist(),
                                              (info & np.uint64(0xFFFFFFFF)).tolist(),
                                              table["r_addend"][inside].tolist()):
                obj = secs[s][0]
                if sym < obj.first_global or sym >= len(obj.gids):
                    cie_relocs[r] = None            # a local symbol: this CIE is kept apart
                elif r not in cie_relocs or cie_relocs[r] is not None:
                    cie_relocs.setdefault(r, []).append((p - int(st[r]), typ, add, int(obj.gids[sym])))
    # each CIE: the first record with its key (-1: this one is kept)
    same = np.full(n, -1, dtype=np.int64)
    first: dict[tuple, int] = {}
    buf = fr.buf
    for r, a, b in zip(cies.tolist(), st[cies].tolist(), en[cies].tolist()):
        relocs = cie_relocs.get(r, ())
        if relocs is None:
            continue
        key = (buf[a:b], tuple(relocs))
        k = first.get(key)
        if k is None:
            first[key] = r
        else:
            same[r] = k
    gone = same >= 0
    if not gone.any():
        return
    # the buffer without the copies; new starts in it and in each section
    lens = np.where(gone, 0, en - st)
    cum = np.concatenate([[0], np.cumsum(lens)])
    new_gst = cum[:-1]
    after = np.append(fr.first[1:], n)
    new_base = cum[fr.first]
    new_size = cum[after] - new_base
    lst = st - fr.base[rsec_of]
    new_lst = new_gst - new_base[rsec_of]
    out = np.frombuffer(buf, dtype=np.uint8)[np.repeat(~gone, en - st)]
    # the FDEs' CIE pointers: to the kept copy in the same section, or (after layout) to
    # another section's
    fde = np.flatnonzero((ident != 0) & (ident != 0xFFFFFFFF))
    cie = np.searchsorted(st, st[fde] + 4 - ident[fde])       # check_records: an exact start
    target = np.where(same[cie] >= 0, same[cie], cie)
    far = rsec_of[target] != rsec_of[fde]
    near = ~far
    field = new_gst[fde[near]] + 4
    ptr = (field - new_gst[target[near]]).astype("<u4").view(np.uint8).reshape(-1, 4)
    out[field[:, None] + np.arange(4)] = ptr
    ffde, fcie, ftarget = fde[far], cie[far], target[far]
    out[(new_gst[ffde] + 4)[:, None] + np.arange(4)] = 0xFF
    if len(ffde):
        order = np.lexsort((fcie, rsec_of[ffde]))          # by section, then by the CIE copy
        ffde, fcie, ftarget = ffde[order], fcie[order], ftarget[order]
        fields = new_lst[ffde] + 4
        cuts = np.flatnonzero(np.diff(fcie)) + 1
        starts = [0] + cuts.tolist()
        ends = cuts.tolist() + [len(ffde)]
        for a, b, f, t in zip(starts, ends, rsec_of[ffde[starts]].tolist(), ftarget[starts].tolist()):
            obj, sec = secs[f]
            cobj, csec = secs[int(rsec_of[t])]
            ctx.eh_cie_links.append((obj, sec, fields[a:b], cobj, csec, int(new_lst[t])))
    # the sections that lost a copy take their new bytes, relocations and symbol values
    touched = np.bincount(rsec_of[gone], minlength=len(secs)) > 0
    shift = new_lst - lst
    _keep_relocations(secs, rels, gone, shift, touched)
    tk = np.flatnonzero(touched).tolist()
    _rewrite_sections(secs, tk, out.tobytes(), new_base, new_size,
                      _moved_symbols(secs, tk, fr, gone, new_lst, shift))


def _rewrite_sections(secs, tk: list[int], data: bytes, new_base, new_size, moves) -> None:
    """The sections ``tk`` take their new bytes (``data[new_base:new_base + new_size]``) and
    sizes; the symbols ``moves`` (``_moved_symbols``) their new values."""
    mobjs, mown, midx, mval = moves
    # the objects' writable tables, made for all of them at once: those with symbols that
    # move own both their tables (``own_tables``); the others get a copy of their section
    # headers (the file's, or another pass's copy), as ``tables_owned`` does not cover it
    moving = {id(mobjs[k]) for k in np.flatnonzero(np.bincount(mown, minlength=len(mobjs))).tolist()}
    objs, seen = [], set()
    for k in tk:
        obj = secs[k][0]
        if id(obj) not in seen:
            seen.add(id(obj))
            objs.append(obj)
    fresh = [o for o in objs if not o.tables_owned]
    own = [o for o in fresh if id(o) in moving]
    syms, big, sbase = _copies([o.syms for o in own])
    for o, t in zip(own, syms):
        o.syms = t
    # (section headers this module copied already, in prune, are not copied again)
    copy = [o for o in fresh if o.__dict__.get("_eh_shdrs") is not o.shdrs]
    copied, hbig, hbase = _copies([o.shdrs for o in copy])
    for o, t in zip(copy, copied):
        o.shdrs = o._eh_shdrs = t
    for o in own:
        o.tables_owned = True
    sizes = new_size[tk]
    for k, b, sz in zip(tk, new_base[tk].tolist(), sizes.tolist()):
        obj, sec = secs[k]
        obj.content_override[sec] = data[b:b + sz]
    # the new sizes: into the headers just copied, as one table (a field view and a store a
    # section cost ~330 of each in a static hello); the others' a section at a time
    hat = {id(o): b for o, b in zip(copy, hbase)} if hbig is not None else {}
    row = np.array([hat.get(id(secs[k][0]), -1) for k in tk], dtype=np.int64)
    one = row >= 0
    if one.any():
        sec = np.array([secs[k][1] for k in tk], dtype=np.int64)
        hbig["sh_size"][row[one] + sec[one]] = sizes[one]
    for j in np.flatnonzero(~one).tolist():
        obj, sec = secs[tk[j]]
        obj.shdrs["sh_size"][sec] = int(sizes[j])
    if len(mown):
        # the symbols of the objects just copied: one assignment into the copy; of objects
        # that owned their tables already: one per object
        at = {id(o): b for o, b in zip(own, sbase)} if big is not None else {}
        base = np.array([at.get(id(o), -1) for o in mobjs], dtype=np.int64)[mown]
        if big is not None:
            one = base >= 0
            big["st_value"][base[one] + midx[one]] = mval[one]
        else:
            one = np.zeros(len(mown), dtype=bool)
        rest = np.flatnonzero(~one)
        if len(rest):
            mown, midx, mval = mown[rest], midx[rest], mval[rest]
            cuts = (np.flatnonzero(np.diff(mown)) + 1).tolist()      # (in owner order)
            for a, b in zip([0] + cuts, cuts + [len(mown)]):
                mobjs[int(mown[a])].syms["st_value"][midx[a:b]] = mval[a:b]


def _copies(tables: list[np.ndarray]) -> tuple:
    """Writable copies of structured tables of one dtype, as views into one copy of them all
    (concatenated as bytes: one copy, not one a table): (the copies, the array they are
    views of, each one's first row there); (the copies, None, None) when made one by one."""
    dt = tables[0].dtype if tables else None
    if len(tables) < 2 or any(t.dtype != dt for t in tables):
        return [elf.copy_table(t) for t in tables], None, None
    lens = [len(t) for t in tables]
    big = elf.join_tables(tables, writable=True)
    starts = (np.cumsum(lens) - lens).tolist()
    return [big[a:a + n] for a, n in zip(starts, lens)], big, starts


_JOIN_SYMBOLS_MAX = 1 << 17      # rows of symbol tables _moved_symbols joins to read values


def _moved_symbols(secs, tk: list[int], fr: _Frames, gone, new_lst, shift, kept_len=None) -> tuple:
    """Symbols in the rewritten sections ``tk`` (arm64's ``$d`` mapping symbols, crtbegin's
    __EH_FRAME_BEGIN__) move with their record; one in a dropped CIE goes to where the record
    after it now starts.  For all sections at once, of the symbols whose value changes: (the
    objects, each symbol's object (an index into them), its index there, its new value)."""
    objs, at = [], {}
    idx_l, own_k = [], []
    _find_symbols_in([secs[k] for k in tk])
    for k in tk:
        obj, sec = secs[k]
        o = at.get(id(obj))
        if o is None:
            o = at[id(obj)] = len(objs)
            objs.append(obj)
        idx_l.append(_symbols_in(obj, sec))
        own_k.append(o)
    none = np.zeros(0, dtype=np.int64)
    counts = np.fromiter(map(len, idx_l), dtype=np.int64, count=len(idx_l))
    if not counts.any():
        return [], none, none, none
    # (the sections' symbols in a few array operations over the objects' tables joined, not
    # a dozen NumPy calls a section: a static hello rewrites ~330 sections)
    idx = np.concatenate(idx_l).astype(np.int64)
    ks = np.repeat(np.array(tk, dtype=np.int64), counts)
    owner = np.repeat(np.array(own_k, dtype=np.int64), counts)
    holders = np.flatnonzero(counts).tolist()
    need = sorted({own_k[j] for j in holders})
    lens = np.array([len(objs[o].syms) for o in need], dtype=np.int64)
    if lens.sum() <= _JOIN_SYMBOLS_MAX:
        first = np.zeros(len(objs), dtype=np.int64)
        first[need] = np.cumsum(lens) - lens
        v = _concat_records([objs[o].syms for o in need])["st_value"][first[owner] + idx]
    else:                   # (large tables: riscv64's local labels; gathered a section at a time)
        v = np.concatenate([objs[own_k[j]].syms["st_value"][idx_l[j]] for j in holders])
    v = v.astype(np.int64)
    after = np.append(fr.first[1:], len(fr.st))
    r = np.searchsorted(fr.st, fr.base[ks] + v, side="right") - 1
    r = np.minimum(np.maximum(r, fr.first[ks]), np.maximum(after[ks] - 1, fr.first[ks]))
    if kept_len is None:
        nv = np.where(gone[r], new_lst[r], v + shift[r])
    else:                   # (pruning: one past its record's end goes to the next one's start)
        local_en = fr.en[r] - fr.base[ks]
        nv = np.where(~gone[r] & (v < local_en), v + shift[r], new_lst[r] + kept_len[r])
    changed = np.flatnonzero(nv != v)
    if not len(changed):
        return [], none, none, none
    return objs, owner[changed], idx[changed], nv[changed].astype(np.uint64)


def _find_symbols_in(pairs: list) -> None:
    """``_symbols_in`` of many (object, section) pairs, those not asked before found with a
    few array operations over their objects' tables joined (a warm library's members were
    asked ahead: ``prepare``), not one a section (arm64 400x50: ~730 sections, 5 ms)."""
    # (each pair once: a pair given twice would find its symbols for the first and none for
    # the second, which then replaced the first's)
    todo = list({(id(obj), sec): (obj, sec) for obj, sec in pairs
                 if sec not in obj.__dict__.get("_eh_symbols", ())}.values())
    if len(todo) < _FIND_SYMBOLS_MANY:
        return
    objs, at, own = [], {}, []
    for obj, _ in todo:
        o = at.get(id(obj))
        if o is None:
            o = at[id(obj)] = len(objs)
            objs.append(obj)
        own.append(o)
    lens = np.fromiter((len(o.sym_shndx) for o in objs), dtype=np.int64, count=len(objs))
    first = np.cumsum(lens) - lens
    owner = np.repeat(np.arange(len(objs), dtype=np.int64), lens)
    keys = (owner << 32) | np.concatenate([o.sym_shndx for o in objs]).astype(np.int64)
    want = (np.array(own, dtype=np.int64) << 32) | np.array([sec for _, sec in todo], dtype=np.int64)
    order = np.argsort(want, kind="stable")
    sorted_want = want[order]
    pos = np.minimum(np.searchsorted(sorted_want, keys), len(want) - 1)
    hit = np.flatnonzero(sorted_want[pos] == keys)
    pair = order[pos[hit]]
    sym = hit - first[owner[hit]]               # (in symbol order within each pair, as flatnonzero)
    by_pair = np.argsort(pair, kind="stable")
    sym = sym[by_pair]
    counts = np.bincount(pair, minlength=len(todo))
    ends = np.cumsum(counts).tolist()
    starts = [0] + ends[:-1]
    for (obj, sec), a, z in zip(todo, starts, ends):
        obj.__dict__.setdefault("_eh_symbols", {})[sec] = sym[a:z]


_FIND_SYMBOLS_MANY = 16                 # fewer sections: each found alone (_symbols_in)


def _symbols_in(obj, sec: int) -> np.ndarray:
    """The symbols defined in section ``sec`` of obj (read once per object and section)."""
    c = obj.__dict__.setdefault("_eh_symbols", {})
    idx = c.get(sec)
    if idx is None:
        idx = c[sec] = np.flatnonzero(obj.sym_shndx == sec)
    return idx


def fix_cie_pointers(ctx, img) -> None:
    """The CIE pointers of FDEs whose CIE was merged into an earlier section's (after layout:
    the distance from each pointer back to that CIE in the output)."""
    links = getattr(ctx, "eh_cie_links", ())
    if not links:
        return
    counts = [len(fields) for _, _, fields, _, _, _ in links]
    pos = np.concatenate([fields for _, _, fields, _, _, _ in links]) + np.repeat(
        np.array([int(obj.sec_fileoff[sec]) for obj, sec, _, _, _, _ in links], dtype=np.int64), counts)
    dist = pos - np.repeat(np.array([int(cobj.sec_fileoff[csec]) + coff
                                     for _, _, _, cobj, csec, coff in links], dtype=np.int64), counts)
    bad = ~((dist > 0) & (dist < 1 << 32))
    if bad.any():
        obj, sec, fields, cobj, _, _ = links[int(np.searchsorted(np.cumsum(counts), np.argmax(bad), side="right"))]
        raise LinkError(f"{obj.where(sec, int(fields[0]) - 4)}: .eh_frame: the FDE's CIE was merged "
                        f"into {cobj.name}'s, which the layout did not place before it")
    img[pos[:, None] + np.arange(4)] = dist.astype("<u4").view(np.uint8).reshape(-1, 4)


# -- .eh_frame_hdr -------------------------------------------------------------------------------

def count_fdes(ctx) -> int:
    """The FDEs of the kept .eh_frame input sections (.eh_frame_hdr's table has one row
    each).  Each section's count is kept with the contents it was read from (``ctx``'s
    ``fde_counts``): every layout asks (relaxation's estimate, the layout passes), and the
    answer changes only with a section's contents.  In a large link the inputs' pages read
    are given back every 32 files: one .eh_frame a file is a few bytes a file, and the
    kernel maps 64 KiB around each (riscv64 400x50:b: 79 MiB)."""
    from xld.link import pages
    counts = ctx.__dict__.setdefault("fde_counts", {})
    rel = getattr(ctx, "rel", None)
    give_back = rel is not None and rel.n >= 1 << 17
    read = []
    n = 0
    for obj in ctx.files[1:]:
        fresh = False
        for i, name in enumerate(obj.sec_names):
            if name != ".eh_frame" or obj.sec_outsec[i] is None:
                continue
            over = obj.content_override.get(i)
            got = counts.get((id(obj), i))
            if got is not None and got[0] is over and got[1] is obj:
                n += got[2]
                continue
            k = _count_fdes(bytes(obj.section_content(i)))
            counts[(id(obj), i)] = (over, obj, k)
            n += k
            fresh = True
        if fresh and give_back:
            read.append(obj)
            if len(read) >= 32:
                pages.release_objects(read)
    if read:
        pages.release_objects(read)
    return n


def _count_fdes(data: bytes) -> int:
    header = struct.Struct("<II").unpack_from
    n = 0
    end = len(data) - 8
    pos = 0
    while pos <= end:
        length, cie_ptr = header(data, pos)
        if length == 0:
            pos += 4
            continue
        if cie_ptr != 0:
            n += 1
        pos += 4 + length
    return n


# DW_EH_PE value formats: (size, signed)
_PTR_FORMATS = {0x00: (8, False), 0x02: (2, False), 0x03: (4, False), 0x04: (8, False),
                0x0A: (2, True), 0x0B: (4, True), 0x0C: (8, True)}
_PTR_CODES = {0x00: "<Q", 0x02: "<H", 0x03: "<I", 0x04: "<Q", 0x0A: "<h", 0x0B: "<i", 0x0C: "<q"}


def _read_ptr(d: bytes, p: int, enc: int, addr: int) -> int:
    """Decode a DW_EH_PE-encoded pointer at offset p of a section loaded at addr."""
    code = _PTR_CODES.get(enc & 0x0F)
    if code is None:
        raise ValueError(f"unsupported pointer encoding 0x{enc:02x}")
    v = struct.unpack_from(code, d, p)[0]
    if enc & 0x70 == 0x10:
        v += addr + p
    return v & (2**64 - 1)


def _read_ptrs(d: np.ndarray, at: np.ndarray, enc: np.ndarray, addr: int) -> tuple[np.ndarray, np.ndarray]:
    """_read_ptr of many pointers (offsets ``at``, encodings ``enc``): (values as uint64,
    a mask of those _read_ptr refuses: an unknown format, or past the end)."""
    value = np.zeros(len(at), dtype=np.uint64)
    bad = np.ones(len(at), dtype=bool)
    fmt = enc & 0x0F
    for f, (size, signed) in _PTR_FORMATS.items():
        k = ((fmt == f) & (at + size <= len(d))).nonzero()[0]
        if not len(k):
            continue
        raw = d[at[k, None] + np.arange(size)].copy().view(f"<{'i' if signed else 'u'}{size}").reshape(-1)
        value[k] = raw.astype(np.int64).view(np.uint64) if signed else raw.astype(np.uint64)
        bad[k] = False
    pcrel = (enc & 0x70) == 0x10
    value[pcrel] += (np.uint64(addr % (1 << 64)) + at[pcrel].astype(np.uint64))      # (wraps mod 2^64)
    return value, bad


def _fde_encoding(d: bytes, cie: int) -> int:
    p = cie + 8
    version = d[p]
    p += 1
    end = d.index(b"\0", p)
    aug = d[p:end].decode("ascii", "replace")
    p = end + 1
    if "eh" in aug:
        p += 8
    _, p = read_uleb(d, p)                       # code alignment
    _, p = read_uleb(d, p)                       # data alignment (sleb; only skipped)
    if version == 1:
        p += 1
    else:
        _, p = read_uleb(d, p)
    if not aug.startswith("z"):
        return 0x00
    _, p = read_uleb(d, p)
    for ch in aug[1:]:
        if ch == "R":
            return d[p]
        if ch == "P":
            penc = d[p]
            p += 1
            fmt = penc & 0x0F
            p += {0x00: 8, 0x02: 2, 0x03: 4, 0x04: 8, 0x0A: 2, 0x0B: 4, 0x0C: 8}.get(fmt, 8)
        elif ch == "L":
            p += 1
    return 0x00


def fill_hdr(ctx, img) -> None:
    """Write .eh_frame_hdr from the relocated .eh_frame in the image: the records' offsets
    are walked (their lengths chain: ``_walk``), their headers read, the FDEs' CIEs decoded
    once each, the pointers decoded and the table written as arrays (shared 400x50's 32k
    FDEs: 18 -> 8 ms; it appended and looked up per record)."""
    hdr = ctx.outputs.get(".eh_frame_hdr")
    eh = ctx.outputs.get(".eh_frame")
    if hdr is None or eh is None:
        return
    d = bytes(img[eh.offset:eh.offset + eh.size])
    n = len(d)
    starts: list[int] = []
    words = memoryview(d)[:n & ~3].cast("I") if sys.byteorder == "little" else None
    _walk(d, words, 0, n, starts.append)
    st = np.array(starts, dtype=np.int64)
    st = st[st <= n - 8]                        # (a record's length and CIE pointer are read)
    raw = np.frombuffer(d, dtype=np.uint8)
    head = raw[st[:, None] + np.arange(8)].copy().view("<u4").reshape(-1, 2).astype(np.int64)
    is_fde = (head[:, 0] != 0) & (head[:, 1] != 0)
    fde_pos = st[is_fde]
    cies, first, inv = distinct_first_inverse(fde_pos + 4 - head[is_fde, 1])
    enc_of = np.zeros(len(cies), dtype=np.int64)
    cut, failed = len(fde_pos), None
    for u in np.argsort(first, kind="stable").tolist():     # (in the order the FDEs name them)
        try:
            enc_of[u] = _fde_encoding(d, int(cies[u]))
        except (IndexError, ValueError, struct.error) as e:
            cut = int(first[u])             # (the FDEs before the first that names it)
            failed = (int(fde_pos[cut]), e)
            break
    fdes = fde_pos[:cut]
    fde_enc = enc_of[inv.reshape(-1)[:cut]]
    loc, bad = _read_ptrs(raw, fdes + 8, fde_enc, eh.addr)
    if bad.any():                               # (the first, as _read_ptr says it)
        k = int(np.argmax(bad))
        failed = None
        try:
            _read_ptr(d, int(fdes[k]) + 8, int(fde_enc[k]), eh.addr)
        except (IndexError, ValueError, struct.error) as e:
            failed = (int(fdes[k]), e)
    if failed is not None:
        raise LinkError(f".eh_frame_hdr: cannot read the output's .eh_frame at offset 0x{failed[0]:x} ({failed[1]})")
    fde = fdes.astype(np.uint64) + np.uint64(eh.addr)
    order = np.lexsort((fde, loc))
    loc, fde = loc[order], fde[order]
    # each entry's distance from the table, as a signed 32-bit number
    if hdr.addr < 1 << 62 and not (loc >= np.uint64(1 << 62)).any():
        rel = loc.astype(np.int64) - hdr.addr
        far = (rel < -(1 << 31)) | (rel >= 1 << 31)
    else:
        far = np.array([not -(1 << 31) <= v - hdr.addr < 1 << 31 for v in loc.tolist()], dtype=bool)
    if far.any():
        k = int(np.argmax(far))
        raise LinkError(f".eh_frame_hdr: the FDE at 0x{int(fde[k]):x} describes code at 0x{int(loc[k]):x}, "
                        f"out of reach of the table's 32-bit entries")
    back = fde.astype(np.int64) - hdr.addr
    if len(back) and not (-(1 << 31) <= int(back.min()) and int(back.max()) < 1 << 31):
        raise LinkError(".eh_frame_hdr: .eh_frame is out of reach of the table's 32-bit entries")
    rows = np.empty((len(loc), 2), dtype="<i4")
    rows[:, 0] = loc.astype(np.int64) - hdr.addr
    rows[:, 1] = back
    # (no FDE: the count and table encodings DW_EH_PE_omit, a zero count, as GNU ld writes)
    table = (0x03, 0x3B) if len(loc) else (0xFF, 0xFF)
    out = struct.pack("<BBBBiI", 1, 0x1B, *table, eh.addr - (hdr.addr + 4), len(loc)) + rows.tobytes()
    out = out[:hdr.size].ljust(hdr.size, b"\0")
    img[hdr.offset:hdr.offset + hdr.size] = np.frombuffer(out, dtype=np.uint8)


def _keep_relocations(secs, rels, gone, shift, touched) -> None:
    """The relocations of the records that stay, at their records' new offsets, as the
    relocation tables of the sections that lost a record (``rels``: the sections' table,
    each row's record and section)."""
    if rels is None:
        return
    table, rrec, _, rsec = rels
    keep = ~gone[rrec]
    moved = table[keep]
    moved["r_offset"] = (table["r_offset"][keep].astype(np.int64) + shift[rrec[keep]]).astype(np.uint64)
    bounds = np.searchsorted(rsec[keep], np.arange(len(secs) + 1), side="left").tolist()
    has_rel = np.bincount(rsec, minlength=len(secs)) > 0
    for k in np.flatnonzero(touched & has_rel).tolist():
        obj, sec = secs[k]
        obj.relas[sec] = moved[bounds[k]:bounds[k + 1]]
