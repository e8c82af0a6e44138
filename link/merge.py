"""SHF_MERGE sections merged across objects: equal strings and constants stored once.

A compiler puts string literals in ``SHF_MERGE|SHF_STRINGS`` sections (``.rodata.str1.1``,
``.rodata.str1.8``, ``.comment``, ``.debug_str``; ``sh_entsize`` is the character size, 1, 2
or 4) and floating-point or vector constants in ``SHF_MERGE`` sections of fixed-size entries
(``.rodata.cst4/8/16``): the psABI lets the linker keep one copy of each equal piece.  GNU ld,
lld and mold do; without it a program holds one copy of ``"GCC: (...) 12.2.0"`` per object in
``.comment`` and its ``.rodata`` is a few percent larger than theirs.

How (the design is lld's ``MergeInputSection``/``SectionPiece``, done with arrays):

- Sections are grouped as GNU ld groups them: same output section, type, flags, entry size
  and alignment.  Each group's inputs are split into pieces — every NUL-terminated string
  (for entry size 2 or 4, a string ends at an all-zero character), or every entry of a
  constant section.  NUL bytes that only pad a string to the section's alignment are not
  pieces.
- Equal pieces are found without a Python loop over pieces: a polynomial hash of each piece
  (strings, or the entries of a constant section), from one running sum per batch of
  characters; a stable sort of the hashes; then an exact comparison of every piece with the
  one it was matched to (a collision, never seen, only costs a slower exact grouping).
- Tail merging, as GNU ld does it: a string that ends another string (``"world"`` in
  ``"hello world"``) is not stored; it points into the longer one.  Found by hashing every
  suffix of every kept string (weights counted from the string's end, so a suffix's hash
  is one difference of a running sum) and looking the strings' hashes up among them.  Only for groups aligned no more than their
  entry size (GNU ld keeps an 8-byte aligned ``"world"`` apart too).
- The kept pieces, in the order they first occur, aligned to the group's alignment, become
  the contents of the group's first input section; the group's other sections become empty
  and take that section's address (``ctx.section_aliases``, applied with the addresses by
  ``layout.finalize_section_addresses``).  GNU ld keeps each piece in the first section
  that had it; the bytes are the same, in the same order, and only the alignment padding
  between input sections can differ.
- What pointed into a merged section is made to point at its piece's new place: a symbol
  defined there gets the piece's offset (plus its offset inside the piece) as its value;
  a relocation against the section symbol gets the new offset of ``addend`` as its
  addend (the addend names the piece), as the relocation table is built
  (``relocate.build_table`` calls ``fix_addends``: one column operation over the table).
  Nothing else needs to know: scan, relaxation (link/shrink.py), thunks, ``--verify``, the
  map file and the symbol table see ordinary sections, symbols and relocations.
- ``string_table`` builds the output's .strtab with the same machinery.
- Not merged (GNU ld's rules): sections with relocations of their own, writable or TLS
  ones, sizes that are not a multiple of the entry size, and string sections whose last
  string is not terminated.  ``-r`` does not merge (GNU ld 2.40 keeps the sections apart,
  still ``SHF_MERGE``).  With ``--gc-sections`` the live sections are merged whole (as GNU
  ld; lld drops dead pieces too).  ``--icf`` leaves merge sections alone (as lld).
"""
from __future__ import annotations

import numpy as np

from xld.link import elf
from xld.link.errors import LinkError

_UNITS = {1: np.uint8, 2: np.dtype("<u2"), 4: np.dtype("<u4")}
_P = np.uint64(0x100000001B3)                 # the hash's base (odd: invertible mod 2**64)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def run(ctx) -> None:
    """Merge every group of SHF_MERGE input sections (after sections are assigned)."""
    ctx.section_aliases = []
    pieces = _Pieces()
    for members, entsize, align, strings in _groups(ctx):
        _merge_group(ctx, members, entsize, align, strings, pieces)
        # an output section that is one merged group stays mergeable (GNU ld's .comment,
        # .debug_str: "MS", entry size 1)
        out = members[0][0].sec_outsec[members[0][1]]
        if len(out.inputs) == len(members):
            out.flags |= elf.SHF_MERGE | (elf.SHF_STRINGS if strings else 0)
            out.entsize = entsize
    ctx.merged = None
    if pieces.members:
        pieces.close()
        ctx.merged = _redirect(ctx, pieces)


def mergeable(obj, i: int) -> tuple[int, bool] | None:
    """(entry size, strings?) when section i of obj is merged, else None."""
    _, stype, flags, _, _, size, _, _, _, entsize = obj.shdrs.item(i)
    if not flags & elf.SHF_MERGE or stype != elf.SHT_PROGBITS or not 0 < entsize <= 1 << 16 or size == 0:
        return None
    if flags & (elf.SHF_WRITE | elf.SHF_TLS) or size % entsize:
        return None
    rel = obj.relas.get(i)
    if rel is not None and len(rel):
        return None
    strings = bool(flags & elf.SHF_STRINGS)
    if strings:
        if entsize not in _UNITS:
            return None
        if any(bytes(obj.section_content(i)[size - entsize:size])):
            return None                     # the last string is not terminated
    return entsize, strings


def candidates(obj) -> frozenset:
    """The sections of an object that may be merged (SHF_MERGE, SHT_PROGBITS; ``mergeable``
    says which are), read once per object (the warm server reads them for the archive
    members it parses ahead): most sections are not, and need no further look."""
    c = obj.__dict__.get("_merge_candidates")
    if c is None:
        sh = obj.shdrs
        if len(sh) < 256:
            # (most objects have a dozen sections: a list beats a few NumPy operations, ~30 us
            # an object, milliseconds of a static link's hundreds of libc members)
            flags = sh["sh_flags"].tolist()
            may = [i for i, f in enumerate(flags) if f & elf.SHF_MERGE]
            if may:
                types = sh["sh_type"].tolist()
                may = [i for i in may if types[i] == elf.SHT_PROGBITS]
        else:
            may = ((sh["sh_flags"] & np.uint64(elf.SHF_MERGE)) != 0) & (sh["sh_type"] == elf.SHT_PROGBITS)
            may = np.flatnonzero(may).tolist()
        c = obj._merge_candidates = frozenset(may)
    return c


def merge_info(obj) -> dict:
    """Section -> (type, flags, entry size, alignment, strings?) of the object's sections that
    ``mergeable`` merges; read once per object (and ahead by the warm server)."""
    c = obj.__dict__.get("_merge_info")
    if c is None:
        c = obj._merge_info = {}
        for i in sorted(candidates(obj)):
            m = mergeable(obj, i)
            if m is not None:
                _, stype, flags, _, _, _, _, _, align, _ = obj.shdrs.item(i)
                c[i] = (stype, flags, m[0], align, m[1])
    return c


def _read_merge_infos(objs) -> None:
    """``merge_info`` of the objects that have many candidate sections (one per function
    with -fdata-sections), for all of them at once with column operations: ``mergeable``'s
    rules over their candidates' section headers joined in one table."""
    big, idxs = [], []
    for o in objs:
        if "_merge_info" in o.__dict__:
            continue
        cand = candidates(o)
        if len(cand) >= 8 and not o.content_override and not getattr(o, "inflated", None):
            big.append(o)
            idxs.append(np.array(sorted(cand), dtype=np.int64))
    if not big:
        return
    counts = [len(ix) for ix in idxs]
    sh = elf.join_tables([o.shdrs[ix] for o, ix in zip(big, idxs)], dtype=elf.SHDR)
    idx = np.concatenate(idxs)
    stype, flags, off, size = sh["sh_type"], sh["sh_flags"], sh["sh_offset"], sh["sh_size"]
    entsize, align = sh["sh_entsize"], sh["sh_addralign"]
    ok = ((flags & np.uint64(elf.SHF_MERGE)) != 0) & (stype == elf.SHT_PROGBITS) & (entsize > 0) \
        & (entsize <= 1 << 16) & (size != 0) & ((flags & np.uint64(elf.SHF_WRITE | elf.SHF_TLS)) == 0)
    ok &= size % np.maximum(entsize, np.uint64(1)) == 0
    strings = (flags & np.uint64(elf.SHF_STRINGS)) != 0
    ok &= ~strings | (entsize == 1) | (entsize == 2) | (entsize == 4)         # (_UNITS)
    base = np.cumsum(counts) - counts
    for k, (o, ix) in enumerate(zip(big, idxs)):    # sections with relocations are not merged
        if o.relas:
            for i in candidates(o).intersection(o.relas):
                if len(o.relas[i]):
                    ok[base[k] + int(np.searchsorted(ix, i))] = False
    # a string section's last string must be terminated: its last entry all zero
    owner = np.repeat(np.arange(len(big)), counts)
    tail = np.flatnonzero(ok & strings)
    end = (off[tail] + size[tail]).tolist()
    width = entsize[tail].tolist()
    bufs = [o.buf for o in big]
    for t, b, e, w in zip(tail.tolist(), owner[tail].tolist(), end, width):
        m = bufs[b]
        if m[e - 1] if w == 1 else any(m[e - w:e]):
            ok[t] = False
    keep = np.flatnonzero(ok)
    rows = list(zip(stype[keep].tolist(), flags[keep].tolist(), entsize[keep].tolist(),
                    align[keep].tolist(), strings[keep].tolist()))
    secs = idx[keep].tolist()
    cut = np.searchsorted(keep, np.append(base, len(idx))).tolist()
    for k, o in enumerate(big):
        a, b = cut[k], cut[k + 1]
        o._merge_info = dict(zip(secs[a:b], rows[a:b]))


def _groups(ctx):
    """(members, entry size, alignment, strings?) per group, in output order, members in
    their output section's order."""
    groups: dict[tuple, list] = {}
    # the output sections that take a candidate: only their inputs are looked at (a
    # program's .text and .data take most input sections, and none of them merge)
    having = set()
    _read_merge_infos(ctx.files[1:])
    for obj in ctx.files[1:]:
        outsec = getattr(obj, "sec_outsec", None)
        if outsec is not None:
            for i in candidates(obj):
                if outsec[i] is not None:
                    having.add(id(outsec[i]))
    for out in ctx.outputs.values():
        if id(out) not in having:
            continue
        info = {}
        for obj, i in out.inputs:
            mi = info.get(obj)
            if mi is None:
                mi = info[obj] = merge_info(obj)
            m = mi.get(i)
            if m is None:
                continue
            stype, flags, entsize, align, _ = m
            key = (out.name, stype, flags & ~elf.SHF_GROUP, entsize, max(align, 1))
            groups.setdefault(key, []).append((obj, i))
    for key, members in groups.items():
        yield members, key[3], key[4], bool(key[2] & elf.SHF_STRINGS)


# -- splitting and matching pieces ----------------------------------------------------------

def _string_pieces(units: np.ndarray, bases_u: np.ndarray, align_u: int):
    """Piece starts and ends (exclusive, in characters) of the strings in ``units``; pieces
    that are only alignment padding (a lone NUL at an unaligned place) are left out."""
    ends = np.flatnonzero(units == 0) + 1
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1]
    if align_u > 1:
        one = np.flatnonzero(ends - starts == 1)          # (only a lone NUL can be padding)
        member = np.searchsorted(bases_u, starts[one], side="right") - 1
        pad = one[(starts[one] - bases_u[member]) % align_u != 0]
        if len(pad):
            keep = np.ones(len(starts), dtype=bool)
            keep[pad] = False
            starts, ends = starts[keep], ends[keep]
    return starts, ends


_BATCH = 1 << 16          # characters hashed at a time: the temporaries stay under a MiB or so


def _powers(n: int) -> np.ndarray:
    """P**0 .. P**(n-1) mod 2**64 (read-only: a view of the kept table when it is long enough)."""
    if n <= len(_TABLES[0]):
        return _TABLES[0][:max(n, 1)]
    with np.errstate(over="ignore"):
        t = np.full(max(n, 1), _P, dtype=np.uint64)
        t[0] = 1
        return np.cumprod(t, dtype=np.uint64)


def _mix(h: np.ndarray, lens: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = h ^ (lens.astype(np.uint64) * _MIX)
        h ^= h >> np.uint64(31)
        h *= _MIX
        return h


_FEW_TAIL_UNITS = 1024    # _tails: strings of no more characters in all are matched exactly


def _batches(lens: np.ndarray):
    """Runs [i, j) of pieces holding about _BATCH characters each."""
    cum = np.cumsum(lens)
    cuts = np.searchsorted(cum, np.arange(_BATCH, int(cum[-1]) if len(cum) else 0, _BATCH), side="right")
    bounds = sorted({0, len(lens), *cuts.tolist()})
    return zip(bounds[:-1], bounds[1:])


def _suffix_sums(units, starts, ends, pw):
    """For the pieces [starts, ends): the characters' positions and, at each position q, the
    hash of the run from q to its piece's end: sum of (c + 1) * P**(end - 1 - j) over j >= q
    (one weight per character whatever the run's start, so every suffix is one difference of
    a running sum)."""
    lens = ends - starts
    total = int(lens.sum())
    first = np.cumsum(lens) - lens
    pos = np.repeat(starts - first, lens) + np.arange(total, dtype=np.int64)
    with np.errstate(over="ignore"):
        c = (units[pos].astype(np.uint64) + np.uint64(1)) * pw[np.repeat(ends - 1, lens) - pos]
        run = np.zeros(total + 1, dtype=np.uint64)
        np.cumsum(c[::-1], out=run[1:])        # run[k]: the sum of the last k characters
    end_at = np.repeat(first + lens, lens)      # (exclusive, in the batch's characters)
    k = np.arange(total, dtype=np.int64)
    with np.errstate(over="ignore"):
        # sum over [k, end) = run[total - k] - run[total - end]
        suffix = run[total - k] - run[total - end_at]
    return pos, suffix


def _hashes(units: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each piece (its characters and length), a batch at a time."""
    lens = ends - starts
    out = np.empty(len(starts), dtype=np.uint64)
    pw = _powers(int(lens.max()) if len(lens) else 1)
    for i, j in _batches(lens):
        _, suffix = _suffix_sums(units, starts[i:j], ends[i:j], pw)
        first = np.cumsum(lens[i:j]) - lens[i:j]
        out[i:j] = suffix[first]
    return _mix(out, lens)


_TABLES = [np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64)]


def _pow_tables(n: int):
    """P**k and P**-k mod 2**64 for k < n (kept, and grown by powers of two up to what the
    largest batch needs: a small link's strings need a few thousand, and 2 x 2 MiB tables
    cost it milliseconds)."""
    if len(_TABLES[0]) < n:
        n = min(1 << max(n - 1, 1023).bit_length(), max(n, _BATCH + 1))
        with np.errstate(over="ignore"):
            inv = np.full(n, np.uint64(pow(int(_P), -1, 1 << 64)), dtype=np.uint64)
            inv[0] = 1
            _TABLES[:] = [_powers(n), np.cumprod(inv, dtype=np.uint64)]
    return _TABLES


def warm_up() -> None:
    """Make the power tables at their largest ahead (the warm server: its links are forked
    from it, and would each grow them again, a millisecond or two of a small link)."""
    _pow_tables(_BATCH + 1)


def _piece_hashes(units: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each piece, sum of (c + 1) * P**(j - start): per batch of pieces,
    one running sum over the characters they cover (three passes over them), then a
    difference and a product per piece.  (Not the hash ``_hashes`` computes.)"""
    n = len(starts)
    out = np.empty(n, dtype=np.uint64)
    if n == 0:
        return out
    order = None
    if (starts[1:] < starts[:-1]).any():
        order = np.argsort(starts, kind="stable")
        starts, ends = starts[order], ends[order]
    cuts = np.searchsorted(starts, np.arange(int(starts[0]) + _BATCH, int(starts[-1]) + 1, _BATCH))
    bounds = sorted({0, n, *cuts.tolist()})
    for i, j in zip(bounds[:-1], bounds[1:]):
        a, b = int(starts[i]), int(ends[i:j].max())
        pw, ipw = _pow_tables(b - a + 1)
        with np.errstate(over="ignore"):
            H = np.zeros(b - a + 1, dtype=np.uint64)
            np.cumsum((units[a:b].astype(np.uint64) + np.uint64(1)) * pw[:b - a], out=H[1:])
            s, e = starts[i:j] - a, ends[i:j] - a
            out[i:j] = (H[e] - H[s]) * ipw[s]
    if order is not None:
        back = np.empty_like(out)
        back[order] = out
        out = back
        starts, ends = starts[np.argsort(order)], ends[np.argsort(order)]
    return _mix(out, ends - starts)


def _equal_runs(units: np.ndarray, a: np.ndarray, b: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Per pair: whether the runs of ``lens`` characters at ``a`` and ``b`` are equal (a
    batch of about _BATCH characters at a time: the temporaries are a few times the
    characters compared, and a group's duplicates can be most of it)."""
    ok = np.ones(len(a), dtype=bool)
    if len(a) == 0:
        return ok
    for i, j in _batches(lens):
        ln = lens[i:j]
        total = int(ln.sum())
        first = np.cumsum(ln) - ln
        step = np.arange(total, dtype=np.int64) - np.repeat(first, ln)
        diff = units[np.repeat(a[i:j], ln) + step] != units[np.repeat(b[i:j], ln) + step]
        ok[i + np.repeat(np.arange(j - i), ln)[diff]] = False
    return ok


def _first_index(keys: np.ndarray) -> np.ndarray:
    """For each element, the index of the first element with the same key (a sort;
    np.unique would import numpy.ma, milliseconds of every link)."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    # (NumPy's unstable sort is about twice as fast on 64-bit keys; each run of equal keys
    # then takes its smallest index, which a stable sort would have put first)
    order = np.argsort(keys)
    sk = keys[order]
    start = np.ones(n, dtype=bool)
    start[1:] = sk[1:] != sk[:-1]
    starts = np.flatnonzero(start)
    first = np.minimum.reduceat(order, starts)
    rep = np.empty(n, dtype=np.int64)
    rep[order] = np.repeat(first, np.diff(np.append(starts, n)))
    return rep


_DICT_PIECES = 1 << 14    # pieces matched through a dictionary of their bytes at most (below)


def _first_equal(units: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For each piece, the index of the first piece with the same contents.  A few thousand
    pieces (a static program's strings) are matched through a dictionary of their bytes
    (``_exact_first``: about half the hashes' fixed cost, a static hello's 1,000 strings
    0.77 -> 0.35 ms); many are hashed (at 58k strings the dictionary took twice as long)."""
    if len(starts) <= _DICT_PIECES:
        return _exact_first(units, starts, ends)
    lens = ends - starts
    rep = _first_index(_piece_hashes(units, starts, ends))
    dup = np.flatnonzero(rep != np.arange(len(rep)))
    ok = (lens[dup] == lens[rep[dup]])
    ok[ok] = _equal_runs(units, starts[dup[ok]], starts[rep[dup[ok]]], lens[dup[ok]])
    if ok.all():
        return rep
    return _exact_first(units, starts, ends)


def _exact_first(units: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``_first_equal`` grouped exactly (bytes as keys), in first-occurrence order: for few
    pieces, or after a hash collision."""
    seen: dict[bytes, int] = {}
    raw = units.tobytes()
    w = units.itemsize
    return np.array([seen.setdefault(raw[s * w:e * w], k)
                     for k, (s, e) in enumerate(zip(starts.tolist(), ends.tolist()))], dtype=np.int64)


def _first_equal_entries(buf: np.ndarray, entsize: int) -> np.ndarray:
    """``_first_equal`` for the entries of a constant group (``entsize`` bytes each): an
    entry of 1, 2, 4 or 8 bytes is its own key (exact, no hash and no comparison); longer
    ones are hashed and each duplicate compared with its match, row against row."""
    n = len(buf) // entsize
    if entsize in (1, 2, 4, 8):
        return _first_index(buf.view(np.dtype(f"u{entsize}")))
    at = np.arange(n, dtype=np.int64) * entsize
    rep = _first_index(_piece_hashes(buf, at, at + entsize))
    dup = np.flatnonzero(rep != np.arange(n))
    rows = buf.reshape(n, entsize)
    if (rows[dup] == rows[rep[dup]]).all():
        return rep
    return _exact_first(buf, at, at + entsize)


def _tails(units: np.ndarray, starts: np.ndarray, ends: np.ndarray):
    """For each kept string: (the kept string it ends, characters from that one's start),
    or (itself, 0).  Every proper suffix of every string is looked up among the strings
    (``_tails_exact``, ``_tails_hashed``): the first string, in order, that it ends is the
    one it points into."""
    n = len(starts)
    lens = ends - starts
    owner = np.arange(n, dtype=np.int64)
    offset = np.zeros(n, dtype=np.int64)
    if n < 2:
        return owner, offset
    if int(lens.sum()) <= _FEW_TAIL_UNITS:
        found_t, found_p = _tails_exact(units, starts, ends)
    else:
        found_t, found_p = _tails_hashed(units, starts, ends, lens)
    hit = np.flatnonzero(found_t >= 0)
    owner[hit] = found_t[hit]
    offset[hit] = found_p[hit] - starts[found_t[hit]]
    # a container may itself end a longer string: follow to the end of the chain (lengths
    # grow along it, so it ends)
    while True:
        nxt = owner[owner]
        if (nxt == owner).all():
            break
        offset = offset + offset[owner]
        owner = nxt
    return owner, offset


def _tails_exact(units: np.ndarray, starts: np.ndarray, ends: np.ndarray):
    """``_tails``' matches for a few strings (a small program's: the hashes' ~50 array
    operations cost more than looking every proper suffix up among the strings' bytes):
    for each string, the first string in order that it ends (-1: none) and where in the
    units it starts there."""
    raw = units.tobytes()
    w = units.itemsize
    st, en = starts.tolist(), ends.tolist()
    index = {raw[a * w:b * w]: k for k, (a, b) in enumerate(zip(st, en))}     # (distinct)
    n = len(st)
    found_t, found_p = [-1] * n, [0] * n
    for t, (a, b) in enumerate(zip(st, en)):
        for q in range(a + 1, b):
            k = index.get(raw[q * w:b * w])
            if k is not None and found_t[k] < 0:
                found_t[k], found_p[k] = t, q
    return np.array(found_t, dtype=np.int64), np.array(found_p, dtype=np.int64)


def _tails_hashed(units: np.ndarray, starts: np.ndarray, ends: np.ndarray, lens: np.ndarray):
    """``_tails_exact`` for many strings: every proper suffix hashed, a batch at a time, and
    looked up among the strings' hashes; a match whose characters are equal is a tail."""
    n = len(starts)
    h = _hashes(units, starts, ends)
    order = np.argsort(h, kind="stable")
    hs = h[order]
    pw = _powers(int(lens.max()))
    found_t = np.full(n, -1, dtype=np.int64)
    found_p = np.zeros(n, dtype=np.int64)
    for i, j in _batches(lens):
        pos, suffix = _suffix_sums(units, starts[i:j], ends[i:j], pw)
        t = np.repeat(np.arange(i, j, dtype=np.int64), lens[i:j])
        proper = pos != np.repeat(starts[i:j], lens[i:j])           # not the string itself
        pos, t = pos[proper], t[proper]
        sh = _mix(suffix[proper], ends[t] - pos)
        k = np.minimum(np.searchsorted(hs, sh), n - 1)
        hit = np.flatnonzero(hs[k] == sh)
        if len(hit) == 0:
            continue
        s_ = order[k[hit]]                                          # the string that is a tail
        t, p = t[hit], pos[hit]
        ok = (ends[t] - p == lens[s_]) & _equal_runs(units, starts[s_], p, lens[s_])
        s_, t, p = s_[ok], t[ok], p[ok]
        new = np.flatnonzero(found_t[s_] < 0)                       # the first container wins
        first_of = new[_first_index(s_[new]) == np.arange(len(new))]
        s_, t, p = s_[first_of], t[first_of], p[first_of]
        found_t[s_] = t
        found_p[s_] = p
    return found_t, found_p


def string_table(buf: np.ndarray, starts: np.ndarray, tails: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A string table (uint8, opening with a NUL, as ELF's do) that holds each of the
    NUL-terminated strings of ``buf`` at ``starts`` once, and the offset of each string in
    it.  ``tails``: a string that ends another is not stored either (GNU ld's .strtab does
    that too; it saves some 8 % of a symbol table's names and costs most of the time)."""
    if len(starts) == 0:
        return np.zeros(1, dtype=np.uint8), np.zeros(0, dtype=np.int64)
    zeros = np.flatnonzero(buf == 0)
    ends = zeros[np.searchsorted(zeros, starts)] + 1
    if not tails and len(starts) <= 2 * _DICT_PIECES:
        return _string_table_exact(buf, starts, ends)
    rep = _first_equal(buf, starts, ends)
    kept = np.flatnonzero(rep == np.arange(len(rep)))
    if tails:
        owner, inner = _tails(buf, starts[kept], ends[kept])
    else:
        owner, inner = np.arange(len(kept)), np.zeros(len(kept), dtype=np.int64)
    stored = owner == np.arange(len(kept))
    lens = ends[kept] - starts[kept]
    sl = lens[stored]
    newoff = np.zeros(len(kept), dtype=np.int64)
    newoff[stored] = 1 + np.cumsum(sl) - sl
    loc = newoff[owner] + inner
    table = np.zeros(1 + int(sl.sum()), dtype=np.uint8)
    copy_runs(table, newoff[stored], buf, starts[kept][stored], sl)
    rank = np.zeros(len(rep), dtype=np.int64)
    rank[kept] = np.arange(len(kept))
    return table, loc[rank[rep]]


def _string_table_exact(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray):
    """``string_table`` without tails: the strings as bytes, each kept once by a dictionary
    (in the order of their first use, as the hashes keep them).  A symbol table's names
    are a few tens of bytes each: a dictionary of them is 1.5-2x faster than hashing every
    character with arrays up to ~15k names (a static C++ program: 8.9 -> 5.3 ms), and about
    even at 30k (400x50); more are hashed (``_first_equal``)."""
    raw = buf.tobytes()
    seen: dict[bytes, int] = {}
    put = seen.setdefault
    ids = [put(raw[s:e], len(seen)) for s, e in zip(starts.tolist(), (ends - 1).tolist())]
    keys = list(seen)
    lens = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys)) + 1
    off = np.cumsum(lens) - lens + 1
    table = np.frombuffer(b"\0" + b"\0".join(keys) + b"\0", dtype=np.uint8)
    return table, off[np.array(ids, dtype=np.int64)]


def copy_runs(dst: np.ndarray, dst_at: np.ndarray, src: np.ndarray, src_at: np.ndarray,
              lens: np.ndarray) -> None:
    """``dst[dst_at[k]:dst_at[k] + lens[k]] = src[src_at[k]:src_at[k] + lens[k]]`` for every
    k.  Runs in increasing order that do not overlap on either side (a merge group's kept
    pieces: from the group's bytes in order, to their new offsets in order) are picked and
    placed by two masks, a byte each (``_run_mask``); others with an index per byte (32-bit
    where the buffers allow: half the temporaries).  The masks: 558k bytes in 16k runs at
    arm64 400x50, 14.5 -> 3.2 ms (the index arrays were 2 MiB each, mapped and faulted in
    afresh)."""
    total = int(lens.sum())
    if total == 0:
        return
    if _in_order(dst_at, lens, len(dst)) and _in_order(src_at, lens, len(src)):
        dst[_run_mask(dst_at, lens, len(dst))] = src[_run_mask(src_at, lens, len(src))]
        return
    it = np.int32 if max(len(dst), len(src)) < 1 << 31 else np.int64
    first = (np.cumsum(lens) - lens).astype(it)
    step = np.arange(total, dtype=it)
    step -= np.repeat(first, lens)
    dst[np.repeat(dst_at.astype(it), lens) + step] = src[np.repeat(src_at.astype(it), lens) + step]


def _in_order(at: np.ndarray, lens: np.ndarray, size: int) -> bool:
    """Whether runs [at[k], at[k] + lens[k]) lie inside [0, size), each after the one before."""
    if at[0] < 0 or at[-1] + lens[-1] > size:
        return False
    return bool((at[1:] >= at[:-1] + lens[:-1]).all())


def _run_mask(at: np.ndarray, lens: np.ndarray, size: int) -> np.ndarray:
    """A mask of ``size`` bytes, True on the runs (in order, disjoint: ``_in_order``): the
    lengths of the gaps and runs in turn, each repeated as False or True."""
    seg = np.empty(2 * len(at) + 1, dtype=np.int64)
    seg[0] = at[0]
    seg[1::2] = lens
    seg[2:-1:2] = at[1:] - (at[:-1] + lens[:-1])
    seg[-1] = size - (at[-1] + lens[-1])
    on = np.zeros(len(seg), dtype=bool)
    on[1::2] = True
    return np.repeat(on, seg)


# -- one group --------------------------------------------------------------------------

def _merge_group(ctx, members, entsize: int, align: int, strings: bool, pieces) -> None:
    datas = [obj.section_content(i) for obj, i in members]
    sizes = np.fromiter(map(len, datas), dtype=np.int64, count=len(datas))       # (sh_size)
    bases = np.cumsum(sizes) - sizes              # each member's first byte in the group
    buf = np.frombuffer(b"".join(datas), dtype=np.uint8)
    del datas
    slot = max(align, entsize) if align > entsize else entsize   # bytes a kept piece takes
    if strings:
        units = buf.view(_UNITS[entsize])
        starts, ends = _string_pieces(units, bases // entsize, max(align // entsize, 1))
        rep = _first_equal(units, starts, ends)
        kept = np.flatnonzero(rep == np.arange(len(rep)))
        owner, inner = np.arange(len(kept)), np.zeros(len(kept), dtype=np.int64)
        if align <= entsize:
            owner, inner = _tails(units, starts[kept], ends[kept])
        stored = owner == np.arange(len(kept))
        lens_b = (ends[kept] - starts[kept]) * entsize
        if align > entsize:
            lens_pad = (lens_b + align - 1) // align * align
        else:
            lens_pad = lens_b
        newoff = np.zeros(len(kept), dtype=np.int64)
        sl = lens_pad[stored]
        newoff[stored] = np.cumsum(sl) - sl
        loc_kept = newoff[owner] + inner * entsize
        # (the last piece is not padded: the section ends with it, as GNU ld's does)
        blob_len = int((newoff[stored] + lens_b[stored]).max()) if stored.any() else 0
        # the blob: each stored piece's bytes at its new offset (padding stays zero)
        st_b = starts[kept][stored] * entsize
        ln_b = lens_b[stored]
        at = loc_kept[stored]
        blob = np.zeros(blob_len, dtype=np.uint8)
        copy_runs(blob, at, buf, st_b, ln_b)
        starts_b = starts * entsize
    else:
        n = len(buf) // entsize
        rep = _first_equal_entries(buf, entsize)
        kept = np.flatnonzero(rep == np.arange(n))
        loc_kept = np.arange(len(kept), dtype=np.int64) * slot
        blob_len = (len(kept) - 1) * slot + entsize
        starts_b = np.arange(n, dtype=np.int64) * entsize
        # the blob: the kept entries, each in a slot of the group's alignment
        rows = np.zeros((len(kept), slot), dtype=np.uint8)
        rows[:, :entsize] = buf.reshape(n, entsize)[kept]
        blob = rows.reshape(-1)[:blob_len]
    # every piece's new offset: its first equal piece's (kept in order, so ranks are indices)
    rank = np.zeros(len(rep), dtype=np.int64)
    rank[kept] = np.arange(len(kept))
    first_member = pieces.add(members, starts_b, loc_kept[rank[rep]], sizes)
    carrier = members[0]
    _writable([obj for obj, _ in members], "shdrs")
    cobj, ci = carrier
    cobj.content_override[ci] = blob.tobytes()
    cobj.shdrs["sh_size"][ci] = blob_len
    # the others: empty, at the carrier's address; their section headers written per object
    by_object = pieces.by_object
    emptied: dict = {}
    for m, (obj, i) in enumerate(members):
        e = by_object.get(obj)
        if e is None:
            e = by_object[obj] = []
        e.append((i, first_member + m))
        if m:
            e = emptied.get(obj)
            if e is None:
                e = emptied[obj] = []
            e.append(i)
    ctx.section_aliases.extend([(obj, i, cobj, ci) for obj, i in members[1:]])
    for obj, secs in emptied.items():
        sh = obj.shdrs                      # (a column, then the rows)
        if len(secs) == 1:
            i = secs[0]
            obj.content_override[i] = b""
            sh["sh_size"][i] = 0
            sh["sh_addralign"][i] = 1
        else:
            obj.content_override.update(dict.fromkeys(secs, b""))
            sh["sh_size"][secs] = 0
            sh["sh_addralign"][secs] = 1


class _Pieces:
    """Every merged section's pieces in one table, so that input offsets of any merged
    section map to offsets in its group's contents with one search: members are numbered
    across groups and laid end to end in one address space."""

    def __init__(self):
        self.members = 0
        self.by_object: dict = {}              # obj -> [(section, member number)]
        self._starts, self._loc, self._sizes = [], [], []
        self._pos = 0

    def add(self, members, starts_b, loc, sizes) -> int:
        first = self.members
        self.members += len(members)
        end = self._pos + int(sizes.sum())
        # (a piece per string or constant: int32 where the offsets fit, as they nearly always do)
        self._starts.append((starts_b + self._pos).astype(np.int32 if end < 1 << 31 else np.int64))
        self._loc.append(loc.astype(np.int32 if len(loc) == 0 or int(loc.max()) < 1 << 31 else np.int64))
        self._sizes.append(sizes)
        self._pos = end
        return first

    def close(self) -> None:
        self.starts = np.concatenate(self._starts)
        self.loc = np.concatenate(self._loc)
        self.size = np.concatenate(self._sizes)
        self.base = np.cumsum(self.size) - self.size
        self._starts = self._loc = self._sizes = None

    def map(self, member: np.ndarray, off: np.ndarray) -> np.ndarray:
        """Offsets in members -> offsets in their group's merged contents (the end of a
        member maps past its last piece)."""
        base = self.base[member]
        g = base + np.minimum(off, self.size[member] - 1)
        k = np.searchsorted(self.starts, g.astype(self.starts.dtype), side="right") - 1
        return self.loc[k].astype(np.int64) + (base + off - self.starts[k])


def _writable(objs, table: str) -> None:
    """A writable copy of each object's ``syms`` or ``shdrs``, made once (for all of them
    as views into one copy, made as bytes: one copy, not one a table).  The copy stands for
    the file's table: ``tables_owned`` stays False, so a later pass that writes (relaxation,
    .eh_frame pruning) copies it again and relaxation's snapshot need not (on riscv64 every
    object's symbol table would otherwise be held three times)."""
    todo, seen = [], set()
    for obj in objs:
        done = obj.__dict__.setdefault("_merge_copied", set())
        if table not in done and id(obj) not in seen:
            seen.add(id(obj))
            todo.append(obj)
    if not todo:
        return
    tables = [getattr(obj, table) for obj in todo]
    if len(todo) == 1 or any(t.dtype != tables[0].dtype for t in tables):
        copies = [elf.copy_table(t) for t in tables]
    else:
        lens = [len(t) for t in tables]
        big = elf.join_tables(tables, writable=True)
        starts = np.cumsum(lens) - lens
        copies = [big[a:a + n] for a, n in zip(starts.tolist(), lens)]
    for obj, t, was in zip(todo, copies, tables):
        if table == "syms" and not obj.tables_owned:
            # what the copy is, for relaxation's snapshot (link/shrink.py): the table it was
            # made from and the values written into it (_redirect_group), so the snapshot can
            # make it again instead of holding it while relaxation makes another copy
            obj.syms_edits = (was, [], [])
        setattr(obj, table, t)
        obj._merge_copied.add(table)


def _redirect(ctx, pieces: _Pieces):
    """Symbols defined in merged sections get their pieces' new offsets now (for a group of
    objects at a time: a riscv64 link has millions of local labels, so the temporaries stay
    bounded); relocations against those sections' section symbols are fixed as the
    relocation table is built (``fix_addends``: a table-sized column operation, where
    rewriting each object's relocation arrays would copy thousands of them).  Returns what
    ``fix_addends`` needs."""
    objs = list(pieces.by_object)
    keys, members, values = [], [], []
    group, count = [], 0
    for k, o in enumerate(objs):
        group.append(o)
        count += o.nsyms
        if count >= 1 << 17 or k == len(objs) - 1:
            got = _redirect_group(group, pieces)
            keys.append(got[0])
            members.append(got[1])
            values.append(got[2])
            group, count = [], 0
    keys, members, values = np.concatenate(keys), np.concatenate(members), np.concatenate(values)
    order = np.argsort(keys)
    return _SectionSymbols(keys[order], members[order], values[order], pieces)


def candidate_symbols(obj):
    """The symbols of an object in its ``candidates`` sections (the only ones a merge can
    move), with their sections and whether each is a section symbol; read once per object,
    and ahead by the warm server (riscv64 objects keep their local labels: most symbols are
    elsewhere)."""
    c = obj.__dict__.get("_merge_symbols")
    if c is None:
        cand = candidates(obj)
        if cand:
            shndx = obj.sym_shndx
            if len(cand) <= 4:
                inside = None               # (a few sections: == per section beats a table)
                for c_ in sorted(cand):
                    inside = shndx == c_ if inside is None else inside | (shndx == c_)
            else:                           # (one per function with -fdata-sections)
                table = np.zeros(len(obj.shdrs) + 1, dtype=bool)
                table[sorted(cand)] = True
                inside = table[np.minimum(shndx, len(obj.shdrs))]
            idx = np.flatnonzero(inside)
        else:
            idx = np.zeros(0, dtype=np.int64)
        is_section = (obj.syms["st_info"][idx] & 0xF) == elf.STT_SECTION
        c = obj._merge_symbols = (idx, obj.sym_shndx[idx].astype(np.int64), is_section)
    return c


def _symbols_in_members(objs, nsec: np.ndarray, sbase: np.ndarray, sec_member: np.ndarray) -> tuple:
    """The symbols of ``objs`` defined in merged members (``sec_member``: each section's
    member, -1 for none, an object's sections from ``sbase`` on): (symbol index, section,
    section symbol?, object's position, value), object by object, each in symbol order.
    The objects the warm server read ahead have their ``candidate_symbols``; the others'
    symbol tables are looked at together, a few array operations for all of them (one
    object at a time cost ~20 us each: arm64 1200x50's 1,200 objects, 25 ms)."""
    cands = [o.__dict__.get("_merge_symbols") for o in objs]
    fresh = [k for k, c in enumerate(cands) if c is None]
    parts = []
    if fresh:
        counts = np.array([objs[k].nsyms for k in fresh], dtype=np.int64)
        shx = np.concatenate([objs[k].sym_shndx for k in fresh]).astype(np.int64)
        at = np.repeat(np.array(fresh, dtype=np.int64), counts)
        # (an index past the object's sections, SHN_ABS or SHN_COMMON: the last row, none)
        rows = np.where(shx < nsec[at], sbase[at] + shx, len(sec_member) - 1)
        hit = np.flatnonzero(sec_member[rows] >= 0)
        idx = hit - np.repeat(np.cumsum(counts) - counts, counts)[hit]
        info = np.concatenate([objs[k].syms["st_info"] for k in fresh])[hit]
        vals = np.concatenate([objs[k].syms["st_value"] for k in fresh])[hit]
        parts.append((idx, shx[hit], (info & 0xF) == elf.STT_SECTION, at[hit], vals.astype(np.int64)))
    if len(fresh) < len(objs):
        known = [k for k, c in enumerate(cands) if c is not None]
        sym = np.concatenate([cands[k][0] for k in known])
        shx = np.concatenate([cands[k][1] for k in known])
        at = np.repeat(np.array(known, dtype=np.int64), [len(cands[k][0]) for k in known])
        hit = np.flatnonzero(sec_member[sbase[at] + shx] >= 0)
        vals = np.concatenate([objs[k].syms["st_value"][cands[k][0]] for k in known])[hit]
        parts.append((sym[hit], shx[hit], np.concatenate([cands[k][2] for k in known])[hit], at[hit],
                      vals.astype(np.int64)))
    if len(parts) == 1:
        return parts[0]
    cols = [np.concatenate([p[j] for p in parts]) for j in range(5)]
    order = np.argsort(cols[3], kind="stable")          # (object by object, as read)
    return tuple(c[order] for c in cols)


def _redirect_group(objs, pieces: _Pieces):
    """``_redirect`` for some objects; their merged sections' section symbols as (keys: file
    id << 32 | symbol index, merged section, value)."""
    nsec = np.array([len(o.shdrs) for o in objs], dtype=np.int64)
    sbase = np.cumsum(nsec) - nsec
    sec_member = np.full(int(nsec.sum()) + 1, -1, dtype=np.int64)    # (the last: no section)
    rows, mem = [], []
    for b, o in zip(sbase.tolist(), objs):
        for i, m in pieces.by_object[o]:
            rows.append(b + i)
            mem.append(m)
    sec_member[rows] = mem
    sym, shndx, is_section, owner, value = _symbols_in_members(objs, nsec, sbase, sec_member)
    member = sec_member[sbase[owner] + shndx]
    others = np.flatnonzero(~is_section)
    if len(others):
        v = value[others]
        bad = (v < 0) | (v > pieces.size[member[others]])
        if bad.any():
            j = int(others[np.argmax(bad)])
            o = objs[int(owner[j])]
            y = int(sym[j])
            raise LinkError(f"{o.name}:({o.sec_names[int(shndx[j])]}): symbol {o.sym_name(y) or y} "
                            f"is outside the section (offset 0x{int(value[j]) & (2**64 - 1):x})")
        new = pieces.map(member[others], v).astype(np.uint64)
        rows, who = sym[others], owner[others]
        cut = np.searchsorted(who, np.arange(len(objs) + 1)).tolist()
        moving = np.flatnonzero(np.diff(cut)).tolist()
        _writable([objs[k] for k in moving], "syms")
        for k in moving:
            o = objs[k]
            r, v = rows[cut[k]:cut[k + 1]], new[cut[k]:cut[k + 1]]
            o.syms["st_value"][r] = v
            edits = o.__dict__.get("syms_edits")
            if edits is not None:
                # (row numbers in 32 bits: a symbol table's rows fit, as r_info's half says)
                edits[1].append(r.astype(np.int32) if o.nsyms < 2**31 else r.copy())
                edits[2].append(v.copy())
    sec = np.flatnonzero(is_section)
    fid = np.array([o.file_id for o in objs], dtype=np.int64)
    keys = (fid[owner[sec]] << 32) | sym[sec]
    return keys, member[sec], value[sec]


class _SectionSymbols:
    """The section symbols of merged sections: key (file id << 32 | symbol index), sorted;
    the merged section each stands for; its value."""

    def __init__(self, keys, member, value, pieces):
        self.keys, self.member, self.value, self.pieces = keys, member, value, pieces

    def fix_addends(self, ctx, t) -> None:
        """A relocation against a merged section's section symbol: its addend names a piece,
        and becomes that piece's new offset (plus the offset inside it)."""
        if len(self.keys) == 0 or t.n == 0:
            return
        rows = np.flatnonzero(t.gid == 0)           # (section symbols are local)
        key = (t.file[rows].astype(np.int64) << 32) | t.sym[rows].astype(np.int64)
        k = np.minimum(np.searchsorted(self.keys, key), len(self.keys) - 1)
        hit = self.keys[k] == key
        rows, k = rows[hit], k[hit]
        del key, hit
        if len(rows) == 0:
            return
        m = self.member[k]
        v = self.value[k]
        a = t.addend[rows] + v
        bad = (a < 0) | (a > self.pieces.size[m])
        if bad.any():
            from xld.link.relocate import site_of, sym_desc
            r = int(rows[np.argmax(bad)])
            raise LinkError(f"{site_of(ctx, int(t.file[r]), int(t.sec[r]), int(t.offset[r]))}: relocation "
                            f"against {sym_desc(ctx, int(t.file[r]), int(t.sym[r]))} + "
                            f"0x{int(a[np.argmax(bad)]) & (2**64 - 1):x}: offset is outside the section, "
                            f"which xld merges")
        t.addend[rows] = self.pieces.map(m, a) - v
