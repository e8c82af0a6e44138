"""--verify: check the output as written, before it is committed.

Two kinds of check, both on ``ctx.out_bytes`` (the whole output file in memory):

1. **Relocated places.**  For every relocation applied to an allocated section, the value it
   asks for is computed again here, from the symbol's final address, the addend and the
   place (``S + A``, ``S + A - P``, ``Page(S + A) - Page(P)``, the GOT slot ``G`` …), with
   none of relocate's intermediate columns.  Then the bytes at the place are decoded with the
   field's own reader (``Field.read`` in ``arch/<isa>.py``: the branch offset of a B/BL/JAL,
   the page of an ADRP, the offset of an AUIPC+JALR pair, a data word) and must hold that value;
   where a field has no reader, the bytes must be what the field's encoder makes of the value.
   The GOT slots of a static link must hold the address of their symbol (``S + A``), its TP
   offset, (module 1, DTP offset) or TLS block offset.  TLS descriptor sites rewritten to
   local-exec must be what the arch's ``tls_desc_to_le`` makes of the recomputed TP offset.
   Address words in debug sections hold ``S + A`` (``0 + A`` for a discarded section).
   Range-extension thunks: their address fields are relocations; the rest is the thunk code.
2. **Structure.**  PT_LOAD segments sorted by address, each congruent (``p_offset ≡ p_vaddr``
   modulo ``p_align``), ``p_filesz ≤ p_memsz``, not overlapping; every allocated section
   inside one segment, at the file offset that segment maps it to; ``e_entry`` (when set) in an
   executable segment.

What is not checked (counted in ``ctx.verify_stats``): TLS descriptors relaxed to initial-exec
(their slot is), read-modify-write kinds (their value depends on the bytes before), ULEB128
fields, and in debug sections everything but address words.

A mismatch is an error naming the input file, section, offset, relocation and symbol; the
output is then not written.  Cost: a few vectorized passes over the relocation table, about
10-15 % of a link's time on a 400x50 corpus (docs/robustness.md).
"""
from __future__ import annotations

import numpy as np

from xld.link import elf
from xld.link.kinds import Kind
from xld.link.relocate import file_tables, gather_words, page_of, sym_desc, site_of

_CHECKED = {Kind.ADDR, Kind.GP_REL, Kind.PCREL, Kind.CALL, Kind.PAGE_PCREL, Kind.TLS_LE, Kind.GOT,
            Kind.GOT_PCREL, Kind.GOT_PAGE_PCREL, Kind.GOT_GOTPAGE, Kind.TLS_IE,
            Kind.TLS_IE_PCREL, Kind.TLS_IE_PAGE_PCREL}
_CHECKED |= {Kind.PAIRED_LO, Kind.TLS_GD_PCREL, Kind.TLS_GD, Kind.TLS_GD_PAGE_PCREL}
_CHECKED_INTS = {int(k) for k in _CHECKED}
_HI_KINDS = [int(k) for k in (Kind.PCREL, Kind.GOT_PCREL, Kind.TLS_IE_PCREL, Kind.TLS_GD_PCREL)]
_GOT = {Kind.TLS_GD_PCREL, Kind.TLS_GD, Kind.TLS_GD_PAGE_PCREL, Kind.GOT, Kind.GOT_PCREL, Kind.GOT_PAGE_PCREL, Kind.GOT_GOTPAGE, Kind.TLS_IE,
        Kind.TLS_IE_PCREL, Kind.TLS_IE_PAGE_PCREL}
_MAX_REPORTED = 10


def run(ctx) -> None:
    out = ctx.out_bytes
    errors: list[str] = []
    stats = {"checked": 0, "decoded": 0, "skipped": 0, "got": 0, "debug": 0, "tls_desc": 0, "thunks": 0}
    ctx.verify_stats = stats
    _structure(ctx, out, errors)
    _relocations(ctx, out, errors, stats)
    _got(ctx, out, errors, stats)
    _thunks(ctx, out, errors, stats)
    for e in errors[:_MAX_REPORTED * 3]:
        ctx.diag.error(f"--verify: {e}")
    ctx.diag.check()


# -- structure --------------------------------------------------------------------------------

def _structure(ctx, out: np.ndarray, errors: list[str]) -> None:
    eh = np.frombuffer(out[:elf.EHDR_SIZE].tobytes(), elf.EHDR)[0]
    phoff, phnum = int(eh["e_phoff"]), int(eh["e_phnum"])
    ph = np.frombuffer(out[phoff:phoff + phnum * elf.PHDR_SIZE].tobytes(), elf.PHDR)
    loads = [p for p in ph.tolist() if p[0] == elf.PT_LOAD]
    prev_end = None
    for typ, flags, off, vaddr, _, filesz, memsz, align in loads:
        if align > 1 and (off - vaddr) % align:
            errors.append(f"PT_LOAD at 0x{vaddr:x} is not congruent: p_offset 0x{off:x}, "
                          f"p_align 0x{align:x}")
        if filesz > memsz:
            errors.append(f"PT_LOAD at 0x{vaddr:x}: p_filesz 0x{filesz:x} > p_memsz 0x{memsz:x}")
        if off + filesz > len(out):
            errors.append(f"PT_LOAD at 0x{vaddr:x} maps bytes past the end of the file")
        if memsz == 0:
            continue        # (maps nothing: a script's PHDRS segment no section went to, at 0)
        if prev_end is not None and vaddr < prev_end and vaddr not in ctx.overlay_addrs:
            errors.append(f"PT_LOAD at 0x{vaddr:x} is out of order or overlaps the one before "
                          f"(which ends at 0x{prev_end:x})")
        prev_end = vaddr + memsz
    for o in ctx.ordered:
        if not o.alloc or o.size == 0:
            continue
        tbss = o.nobits and o.flags & elf.SHF_TLS
        seg = [p for p in loads if p[3] <= o.addr and (tbss or o.addr + o.size <= p[3] + p[6])]
        if tbss:
            continue                           # .tbss takes no address space of its own
        if not seg:
            errors.append(f"section {o.name} [0x{o.addr:x}, 0x{o.addr + o.size:x}) is in no PT_LOAD")
            continue
        # (OVERLAY sections share addresses: the PT_LOAD that maps this one's bytes)
        _, _, off, vaddr, _, filesz, _, _ = next((p for p in seg if o.addr - p[3] == o.offset - p[2]), seg[0])
        if not o.nobits and (o.addr - vaddr != o.offset - off or o.addr + o.size > vaddr + filesz):
            errors.append(f"section {o.name} at file offset 0x{o.offset:x} is not where its "
                          f"PT_LOAD maps address 0x{o.addr:x}")
    entry = int(eh["e_entry"])
    if entry and int(eh["e_type"]) == elf.ET_EXEC or entry and ctx.opts.entry:
        if not any(p[3] <= entry < p[3] + p[6] and p[1] & elf.PF_X for p in loads):
            errors.append(f"the entry point 0x{entry:x} is not in an executable segment")


# -- relocated places -------------------------------------------------------------------------

def _columns(ctx):
    """Per relocation row: S (the symbol's final value), P (the place's address), pos (its
    file offset), alloc, dead."""
    t = ctx.rel
    files = ctx.files
    parts = [files[f] for f in t.part_file.tolist()]
    secs = t.part_sec.tolist()
    part_addr = np.array([int(f.sec_addr[s]) for f, s in zip(parts, secs)], dtype=np.int64)
    part_off = np.array([int(f.sec_fileoff[s]) for f, s in zip(parts, secs)], dtype=np.int64)
    part_alloc = np.array([bool(f.sec_outsec[s] is not None and f.sec_outsec[s].alloc)
                           for f, s in zip(parts, secs)], dtype=bool)
    # a non-allocated section written to the file (debug information; not one -S dropped)
    part_debug = np.array([bool(f.sec_outsec[s] is not None and not f.sec_outsec[s].alloc
                                and not f.sec_outsec[s].nobits and f.sec_outsec[s].offset)
                           for f, s in zip(parts, secs)], dtype=bool)
    all_S, ybase = file_tables(files, "S")
    yrow = np.repeat(ybase[t.part_file], t.counts) + t.sym
    all_dead, _ = file_tables(files, "sym_dead")
    pid = np.repeat(np.arange(len(t.counts)), t.counts)
    P = part_addr[pid] + t.offset
    pos = part_off[pid] + t.offset
    return all_S[yrow], P, pos, part_alloc[pid], all_dead[yrow], part_debug[pid]


def _values(ctx, t, S, P, A, G, got_addr: int) -> np.ndarray:
    """What each row asks for, by its kind (rows of other kinds: 0)."""
    K = t.kind
    V = np.zeros(t.n, dtype=np.int64)
    gp = None
    for k in np.unique(K).tolist():
        if k not in _CHECKED_INTS:
            continue
        m = K == k
        s, a, p, g = S[m], A[m], P[m], G[m]
        if k == Kind.GP_REL:
            if gp is None:
                gid = ctx.symtab.ids.get("__global_pointer$")
                gp = int(ctx.gaddr[gid]) if gid is not None else 0
            V[m] = s + a - gp
        elif k == Kind.ADDR:
            V[m] = s + a
        elif k in (Kind.PCREL, Kind.CALL):
            V[m] = s + a - p
        elif k == Kind.PAGE_PCREL:
            V[m] = page_of(s + a) - page_of(p)
        elif k == Kind.TLS_LE:
            V[m] = s + a - ctx.tp_base
        elif k in (Kind.GOT, Kind.TLS_IE, Kind.TLS_GD):
            V[m] = g
        elif k in (Kind.GOT_PCREL, Kind.TLS_IE_PCREL, Kind.TLS_GD_PCREL):
            V[m] = g - p
        elif k in (Kind.GOT_PAGE_PCREL, Kind.TLS_IE_PAGE_PCREL, Kind.TLS_GD_PAGE_PCREL):
            V[m] = page_of(g) - page_of(p)
        elif k == Kind.GOT_GOTPAGE:
            V[m] = g - page_of(np.int64(got_addr))
    return V


def _weak_calls(ctx, t, V, value: int) -> None:
    """A call to an undefined weak name beyond the branch's reach holds the architecture's
    value for it (``undef_weak_call``: arm64's next instruction), not S + A - P."""
    rows = np.flatnonzero(t.kind == int(Kind.CALL))
    types, at = np.unique(t.type[rows], return_inverse=True)     # (each type's reach, once)
    howtos = [ctx.arch.howtos.get(int(x)) for x in types.tolist()]
    lo = np.array([getattr(h, "lo", None) or 0 for h in howtos], dtype=np.int64)[at]
    hi = np.array([getattr(h, "hi", None) or 0 for h in howtos], dtype=np.int64)[at]
    far = rows[((V[rows] < lo) | (V[rows] > hi)) & (hi > lo)]
    for row in far.tolist():
        if ctx.symtab.undefined_weak(int(ctx.files[int(t.file[row])].gids[int(t.sym[row])])):
            V[row] = value


def _pair_lo12(t, S, P, V, alloc, skip) -> None:
    """RISC-V PCREL_LO12_I/S: the symbol is the label of the AUIPC whose HI20 relocation gives
    the value; the LO12 must hold that value's low bits (the pair then computes the address).
    A LO12 whose HI20 is not found, or is itself skipped, is skipped."""
    lo = np.flatnonzero(t.kind == int(Kind.PAIRED_LO))
    if len(lo) == 0:
        return
    hi = np.flatnonzero(np.isin(t.kind, _HI_KINDS) & alloc & (t.width == 4))
    order = np.argsort(P[hi], kind="stable")
    hp = P[hi][order]
    label = S[lo]
    k = np.minimum(np.searchsorted(hp, label), max(len(hp) - 1, 0))
    found = (hp[k] == label) if len(hp) else np.zeros(len(lo), dtype=bool)
    match = hi[order][k[found]]
    V[lo[found]] = V[match]
    skip[lo[~found]] = True
    skip[lo[found]] |= skip[match]


def _relocations(ctx, out: np.ndarray, errors: list[str], stats: dict) -> None:
    t = ctx.rel
    if t is None or t.n == 0:
        return
    arch = ctx.arch
    S, P, pos, alloc, dead, debug = _columns(ctx)
    # debug information: only its address words (S + A); a reference into a discarded
    # section holds the tombstone, 0 + A
    debug &= t.kind == int(Kind.ADDR)
    S = np.where(debug & dead, 0, S)
    A = t.addend
    got = ctx.linker_output(".got")
    got_addr = got.addr if got is not None else 0
    slot = t.got_slot.astype(np.int64) if len(t.got_slot) == t.n else np.full(t.n, -1)
    G = np.where(slot >= 0, got_addr + 8 * slot, 0)
    skip_rows = _rewritten_rows(ctx, t)
    V = _values(ctx, t, S, P, A, G, got_addr)
    if arch.hooks.get("undef_weak_call") is not None:
        _weak_calls(ctx, t, V, arch.hooks["undef_weak_call"])
    _pair_lo12(t, S, P, V, alloc, skip_rows)
    _tls_desc(ctx, out, t, S, P, pos, alloc & ~dead, errors, stats)
    reported = 0
    # by (type, kind): the shrink pass may change a row's kind (a RISC-V LO12 relaxed to gp)
    key = (t.type.astype(np.int64) << 8) | t.kind.astype(np.int64) & 0xFF
    for kt in np.unique(key).tolist():
        rt, k = kt >> 8, Kind(kt & 0xFF) if (kt & 0xFF) in Kind._value2member_map_ else None
        h = arch.howtos.get(rt) or arch.hooks.get("relax_howtos", {}).get(rt)
        rows = np.flatnonzero(key == kt)
        if h is None or h.field is None or h.field.width == 0 or k not in _CHECKED:
            if k != Kind.TLS_DESC:                  # _tls_desc's
                stats["skipped"] += len(rows)
            continue
        keep = (alloc[rows] & ~dead[rows] | debug[rows]) & ~skip_rows[rows]
        if k in _GOT:
            keep &= slot[rows] >= 0
        stats["skipped"] += int((~keep).sum())
        rows = rows[keep]
        if len(rows) == 0:
            continue
        v = V[rows]
        w = h.field.width
        words = gather_words(out, pos[rows], w)
        if h.field.read is not None:
            have = h.field.read(words)
            lo, hi = h.field.bits
            mask = -1 if hi - lo >= 64 else (1 << (hi - lo)) - 1
            bad = (((v - have) >> np.int64(lo)) & np.int64(mask)) != 0
            stats["decoded"] += len(rows)
        else:
            have = None
            bad = h.field.write(words, v) != words
        stats["checked"] += len(rows)
        stats["debug"] += int(debug[rows].sum())
        for r in np.flatnonzero(bad)[:max(_MAX_REPORTED - reported, 0)].tolist():
            row = int(rows[r])
            got_s = f"0x{int(have[r]) & (2**64 - 1):x}" if have is not None else \
                f"bytes 0x{int(words[r]):0{2 * w}x}"
            errors.append(f"{site_of(ctx, int(t.file[row]), int(t.sec[row]), int(t.offset[row]))}: "
                          f"relocation {h.name} against {sym_desc(ctx, int(t.file[row]), int(t.sym[row]))}: "
                          f"the output holds {got_s}, the relocation asks for "
                          f"0x{int(v[r]) & (2**64 - 1):x} (at 0x{int(P[row]):x})")
            reported += 1


def _tls_desc(ctx, out, t, S, P, pos, live, errors: list[str], stats: dict) -> None:
    """TLS descriptor sequences a static link rewrote to local-exec: each site must hold what
    the architecture's rewrite (``tls_desc_to_le``) makes for the variable's TP offset, computed
    here again (S + A - TP; a RISC-V LOAD/ADD/CALL site takes the variable of the HI20 site at
    its label).  Sites relaxed to initial-exec (a GOT slot) are left to the slot's check."""
    rows = np.flatnonzero((t.kind == int(Kind.TLS_DESC)) & live)
    rewrite = ctx.arch.hooks.get("tls_desc_to_le")
    if len(rows) == 0 or rewrite is None:
        return
    if len(t.got_slot) == t.n:
        stats["skipped"] += int((t.got_slot[rows] >= 0).sum())
        rows = rows[t.got_slot[rows] < 0]
    paired = ctx.arch.hooks.get("tls_desc_is_paired", lambda h: False)
    at_label = {int(P[r]): r for r in rows.tolist() if not paired(ctx.arch.howtos[int(t.type[r])])}
    words = gather_words(out, pos[rows], 4)
    for r, word in zip(rows.tolist(), words.tolist()):
        h = ctx.arch.howtos[int(t.type[r])]
        var = at_label.get(int(S[r])) if paired(h) else r
        if var is None:
            stats["skipped"] += 1
            continue
        tpoff = int(S[var] + t.addend[var] - ctx.tp_base)
        try:
            want = rewrite(int(word), h, tpoff)
        except ValueError:
            want = None
        stats["checked"] += 1
        stats["tls_desc"] += 1
        if want != word:
            where = site_of(ctx, int(t.file[r]), int(t.sec[r]), int(t.offset[r]))
            sym = sym_desc(ctx, int(t.file[var]), int(t.sym[var]))
            errors.append(f"{where}: relocation {h.name} against {sym}: the output holds "
                          f"0x{int(word):08x}, the local-exec rewrite for TP offset 0x{tpoff:x} is "
                          + (f"0x{want:08x}" if want is not None else "impossible")
                          + f" (at 0x{int(P[r]):x})")


def _rewritten_rows(ctx, t) -> np.ndarray:
    """Rows whose instructions relocate or the shrink pass rewrote into others (their value
    is no longer the kind's): TLS sequences relaxed to local-exec or initial-exec, and the
    architecture's own list (``verify_skip`` hook)."""
    skip = np.zeros(t.n, dtype=bool)
    hook = ctx.arch.hooks.get("verify_skip")
    if hook is not None:
        skip |= hook(ctx, t)
    if ctx.opts.no_apply_dynamic_relocs and ctx.dyn is not None:
        # (their words hold 0: the dynamic relocation's addend says the value)
        from xld.link.dynamic import data_rows
        for rows in data_rows(ctx):
            skip[rows] = True
    return skip


def _got(ctx, out: np.ndarray, errors: list[str], stats: dict) -> None:
    """Static links: each address slot of the GOT holds S + A of its symbol."""
    got = ctx.linker_output(".got")
    entries = ctx.got_entries
    if got is None or not entries or ctx.dyn is not None or got.nobits:
        return
    st = ctx.symtab
    slot = 0
    for flavour, f1, y, addend in entries:
        n = 2 if flavour >= 2 else 1
        if flavour == 0:
            if f1:
                obj = ctx.files[f1 - 1]
                S = int(obj.S[y])
                name = sym_desc(ctx, f1 - 1, y)
            else:
                S = int(ctx.gaddr[y])
                name = st.names[y]
            off = got.offset + 8 * slot
            have = int.from_bytes(out[off:off + 8].tobytes(), "little")
            want = (S + addend) & (2**64 - 1)
            stats["got"] += 1
            if have != want and S != 0:
                errors.append(f".got slot {slot} (for {name}) holds 0x{have:x}, "
                              f"its symbol's address is 0x{want:x}")
        else:
            _tls_slot(ctx, out, got, slot, flavour, f1, y, addend, errors, stats)
        slot += n


def _tls_slot(ctx, out, got, slot: int, flavour: int, f1: int, y: int, addend: int,
              errors: list[str], stats: dict) -> None:
    """A thread-local slot of a static link: initial-exec holds the TP offset (S + A - TP);
    general dynamic the pair (module 1, S + A - the TLS block - the DTP bias); a descriptor
    (block offset, 0)."""
    S = int(ctx.files[f1 - 1].S[y]) if f1 else int(ctx.gaddr[y])
    name = sym_desc(ctx, f1 - 1, y) if f1 else ctx.symtab.names[y]
    v = S + addend
    tls_start = ctx.tls_range[0] if ctx.tls_range else 0
    if flavour == 1:
        want, what = [v - ctx.tp_base], "its TP offset"
    elif flavour == 2:
        want, what = [1, v - tls_start - ctx.arch.hooks.get("dtp_offset_bias", 0)], \
            "module 1 and its DTP offset"
    else:
        want, what = [v - tls_start, 0], "its TLS block offset"
    off = got.offset + 8 * slot
    have = [int.from_bytes(out[off + 8 * i:off + 8 * i + 8].tobytes(), "little") for i in range(len(want))]
    want = [w & (2**64 - 1) for w in want]
    stats["got"] += 1
    if have != want:
        errors.append(f".got slot {slot} (for {name}) holds "
                      f"{', '.join(f'0x{h:x}' for h in have)}, {what} is "
                      f"{', '.join(f'0x{w:x}' for w in want)}")


def _thunks(ctx, out: np.ndarray, errors: list[str], stats: dict) -> None:
    """Range-extension thunks: their address fields are relocations (checked above); the rest
    of each thunk (the indirect branch) must be the architecture's thunk code."""
    spec = ctx.arch.hooks.get("thunk_relocs")
    thunks = getattr(ctx, "thunks", None)
    if not spec or not thunks:
        return
    forms = []                  # (name prefix, code, which bytes are not relocation fields)
    for form in filter(None, (spec.get("long"), spec)):
        code = np.frombuffer(form["code"], np.uint8)
        fixed = np.ones(len(code), dtype=bool)
        for off, rtype, *_ in form["relocs"]:
            fixed[off:off + ctx.arch.howtos[rtype].field.width] = False
        forms.append((form["prefix"], code, fixed))
    for name, oname, _ in thunks:
        code, fixed = next((c, f) for p, c, f in forms if name.startswith(p))
        g = ctx.symtab.ids.get(name)
        o = ctx.outputs.get(oname)
        if g is None or o is None:
            continue
        addr = int(ctx.gaddr[g])
        pos = o.offset + addr - o.addr
        have = out[pos:pos + len(code)]
        stats["thunks"] += 1
        bad = np.flatnonzero((have != code) & fixed)
        if len(bad):
            at = int(bad[0]) & ~3
            errors.append(f"thunk {name} in {oname} at 0x{addr:x}: the instruction at +0x{at:x} is "
                          f"{have[at:at + 4].tobytes()[::-1].hex()}, a thunk's is "
                          f"{code[at:at + 4].tobytes()[::-1].hex()}")
