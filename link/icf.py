"""--icf=all|safe: identical code folding.

Two read-only sections with the same bytes, the same relocations (offset, type, addend) and
relocations that point to the same places — or to sections that are themselves identical —
are one section: the output keeps the first (lowest global section id, so the choice is
deterministic) and the symbols of the others are made to point into it.

Identity is found as lld and gold find it, by partition refinement: sections start in
classes by their contents and relocation shapes; then, repeatedly, a class splits when its
members' relocations point into different classes; when no class splits, the classes are the
answer.  Mutually recursive functions fold too, since a self reference compares equal.

``--icf=safe`` folds only sections whose address is not taken: a section is address-taken
when a relocation other than a branch (kind CALL) refers to it from a live section, as gold
decides without LLVM's address-significance tables.  ``--icf=all`` folds every candidate;
then two functions may compare equal through their pointers, as the C standard does not allow.

Candidates: live, allocated, not writable, not TLS, PROGBITS, non-empty, not SHF_LINK_ORDER,
not SHF_MERGE (link/merge.py stores equal pieces once; as lld),
not .eh_frame, not kept by name (.init, .fini, init/fini arrays, notes) and not named like a C
identifier (__start_/__stop_ count their bytes).  Code that RISC-V relaxation may shrink
(R_RISCV_ALIGN/RELAX hints) folds only when other sections refer to it at its start alone,
since the folded copy is not shrunk along with the one that stays.

Folding happens in two steps: here (after the GC walk, before layout) folded sections are
marked dead, so layout leaves them out and .eh_frame drops their FDEs; ``alias`` (after
addresses are assigned) gives each folded section the address of the one that stayed, so its
symbols — and every relocation against them — land there.
"""
from __future__ import annotations

import numpy as np

from xld.link import elf
from xld.link.kinds import Kind
from xld.link.layout import C_IDENT, is_root_name

_NOT_ADDRESS = {int(Kind.CALL), int(Kind.HINT), int(Kind.RELAXABLE), int(Kind.ALIGN), int(Kind.NONE), int(Kind.PAIRED_LO)}
_RELAX = {int(Kind.HINT), int(Kind.RELAXABLE), int(Kind.ALIGN)}


def run(ctx, graph, live: bytearray) -> list[tuple[int, int]]:
    """Fold identical candidates among the live sections; returns [(folded, kept)] section
    ids and clears ``live`` for the folded ones."""
    g = graph
    mode = ctx.opts.icf
    st = ctx.symtab
    files = ctx.files[1:]
    kind_of = {rt: int(h.kind) for rt, h in ctx.arch.howtos.items()}
    flags, types, names = g.flags, g.types, g.names
    livev = np.frombuffer(bytes(live), dtype=np.uint8).astype(bool)
    cand = g.member_np & livev & ((flags & (elf.SHF_WRITE | elf.SHF_TLS | elf.SHF_LINK_ORDER | elf.SHF_MERGE)) == 0) \
        & (types == elf.SHT_PROGBITS)
    sizes = np.concatenate([[0]] + [o.shdrs["sh_size"].astype(np.int64) for o in files])
    cand &= sizes > 0
    for s in np.nonzero(cand)[0].tolist():
        n = names[s]
        if n == ".eh_frame" or is_root_name(n) or C_IDENT.match(n) or s in g.eh_sections:
            cand[s] = False

    rtype_np = (g.rel_info & np.uint64(0xFFFFFFFF)).astype(np.int64)
    # symbol values (section offsets), for globals at their definition
    value_all = np.concatenate([o.syms["st_value"].astype(np.int64) for o in files]) if files else np.zeros(0, np.int64)
    gids_all = g.gids_all
    def_file = np.array(st.def_file, dtype=np.int64)
    def_index = np.array(st.def_index, dtype=np.int64)
    sym_base = np.array(g.sym_base, dtype=np.int64)
    rows = np.arange(len(gids_all))
    defrow = np.where((gids_all > 0) & (def_file[gids_all] > 0),
                      sym_base[np.maximum(def_file[gids_all], 0)] + def_index[gids_all], rows)
    tvalue_np = value_all[defrow]

    # address-taken (safe) and relaxable code, over all relocations of live sections at once
    taken = np.zeros(g.total, dtype=bool)
    relax = np.zeros(g.total, dtype=bool)
    inner = np.zeros(g.total, dtype=bool)
    if len(rtype_np):
        # the table's size is the architecture's, never the input's: a type past it (garbage,
        # reported by scan) reads the last entry, -1
        top = max(kind_of, default=0) + 2
        kind_arr = np.full(top, -1, dtype=np.int64)
        for rt, kd in kind_of.items():
            kind_arr[rt] = kd
        kd = kind_arr[np.minimum(rtype_np, top - 1)]
        srcs = np.array(list(g.span.keys()), dtype=np.int64)
        counts = np.array([z - a for a, z in g.span.values()], dtype=np.int64)
        src = np.repeat(srcs, counts)                 # spans are laid out in key order
        tgt = g.rel_target_np
        symrow = g.rel_sym_np
        eh = np.zeros(g.total, dtype=bool)
        eh[list(g.eh_sections)] = True
        use = livev[src] & ~eh[src]
        relax[src[use & np.isin(kd, list(_RELAX))]] = True
        other = use & (tgt > 0) & (tgt != src)
        taken[tgt[other & ~np.isin(kd, list(_NOT_ADDRESS))]] = True
        inner[tgt[other & ((g.rel_addend != 0) | (tvalue_np[symrow] != 0))]] = True
    if mode == "safe":
        # what the dynamic symbol table exports is address-significant too: another module
        # may compare its address (every global of a shared library, -E, --dynamic-list)
        for gid in _dynamic_exports(ctx):
            t = int(g.gid_target[gid])
            if t > 0:
                taken[t] = True
        cand &= ~taken
    # relaxable code referred to at an offset other than its start: not foldable, since the
    # copy that stays may shrink (.eh_frame's references go with the folded copy's FDE)
    cand &= ~(relax & inner)

    members = np.nonzero(cand)[0].tolist()
    if len(members) < 2:
        return []

    # each member's relocation rows in offset order (stable: table order among equal offsets)
    nm = len(members)
    span_a = np.array([g.span[s][0] if s in g.span else 0 for s in members], dtype=np.int64)
    span_n = np.array([g.span[s][1] - g.span[s][0] if s in g.span else 0 for s in members], dtype=np.int64)
    tot = int(span_n.sum())
    mstart = np.cumsum(span_n) - span_n
    rows = np.repeat(span_a - mstart, span_n) + np.arange(tot, dtype=np.int64)
    owner = np.repeat(np.arange(nm, dtype=np.int64), span_n)
    rows = rows[np.lexsort((g.rel_offset_np[rows], owner))]
    bounds = np.append(mstart, tot).tolist()
    r_off = g.rel_offset_np[rows].tolist()
    r_type = rtype_np[rows].tolist()
    r_add = g.rel_addend[rows].tolist()

    # classes by contents and relocation shapes (exact: the bytes and every (offset, type,
    # addend) are the key)
    key0 = {}
    cls0 = np.zeros(nm, dtype=np.int64)
    for j, s in enumerate(members):
        obj, i = g.split(s)
        sh = obj.shdrs[i]
        lo, hi = bounds[j], bounds[j + 1]
        shape = tuple(zip(r_off[lo:hi], r_type[lo:hi], r_add[lo:hi]))
        key = (int(flags[s]), int(sh["sh_size"]), int(sh["sh_addralign"]), int(sh["sh_entsize"]),
               bytes(obj.section_bytes(i)), shape)
        cls0[j] = key0.setdefault(key, len(key0))
    del key0

    # what each relocation refers to, as (tag, a, b): a member (tag 0: its class, which the
    # refinement changes, and the symbol's value), another section (1), a __start_/__stop_ (2),
    # a global without a section (3), a local without one (4)
    member_of = np.full(g.total, -1, dtype=np.int64)
    member_of[np.array(members, dtype=np.int64)] = np.arange(nm, dtype=np.int64)
    tgt = g.rel_target_np[rows].astype(np.int64)
    srow = g.rel_sym_np[rows].astype(np.int64)
    tval = tvalue_np[srow]
    gid = gids_all[srow].astype(np.int64)
    tm = np.where(tgt > 0, member_of[np.maximum(tgt, 0)], -1)
    tag = np.where(tm >= 0, 0, np.where(tgt > 0, 1, np.where(tgt < 0, 2, np.where(gid != 0, 3, 4))))
    ra = np.where(tag == 1, tgt, np.where(tag == 2, tgt, np.where(tag == 3, gid, srow)))
    rb = np.where((tag == 0) | (tag == 1), tval, 0)
    var = np.flatnonzero(tag == 0)
    tm_var = tm[var]
    cls = cls0.copy()
    # refine until no class splits: a member's key is its class and the sequence of what its
    # relocations refer to (members by class).  Sequences are compared by two independent
    # 64-bit hashes; every fold is checked exactly at the end (a collision would only ever
    # merge, and the check would catch it)
    pos = (np.arange(tot, dtype=np.int64) - np.repeat(mstart, span_n)).astype(np.uint64)
    mults = [np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)]
    count = len(np.unique(cls))

    def seq_hash(m, ra_now):
        with np.errstate(over="ignore"):
            w = (tag.astype(np.uint64) * np.uint64(0x100000001B3)) ^ (ra_now.astype(np.uint64) * m) \
                ^ (rb.astype(np.uint64) * np.uint64(0xFF51AFD7ED558CCD))
            w = (w ^ (w >> np.uint64(29))) * (pos * np.uint64(2) + np.uint64(1)) * m
            w ^= w >> np.uint64(31)
            h = np.zeros(nm, dtype=np.uint64)
            nz = span_n > 0
            if tot:
                h[nz] = np.add.reduceat(w, mstart[nz])
        return h
    while True:
        ra_now = ra.copy()
        ra_now[var] = cls[tm_var]
        h1, h2 = seq_hash(mults[0], ra_now), seq_hash(mults[1], ra_now)
        keys = np.stack([cls, span_n, h1.view(np.int64), h2.view(np.int64)], axis=1)
        _, new = np.unique(keys, axis=0, return_inverse=True)
        new = new.reshape(-1).astype(np.int64)
        n_new = int(new.max()) + 1
        cls = new
        if n_new == count:
            break
        count = n_new

    def exact_key(j):
        lo, hi = bounds[j], bounds[j + 1]
        return tuple(zip(tag[lo:hi].tolist(), ra_now[lo:hi].tolist(), rb[lo:hi].tolist()))

    first: dict[int, int] = {}
    pairs = []
    for j, s in enumerate(members):            # ascending section id: the first one stays
        k = first.setdefault(int(cls[j]), j)
        if k != j:
            pairs.append((j, k))
    ra_now = ra.copy()
    ra_now[var] = cls[tm_var]
    for j, k in pairs:
        if cls0[j] != cls0[k] or exact_key(j) != exact_key(k):      # a hash collision: 2**-128
            ctx.diag.warn("--icf: sections compared equal by hash but not exactly; not folding")
            return []
    folds = []
    for j, k in pairs:
        folds.append((members[j], members[k]))
        live[members[j]] = 0
    return folds


def _dynamic_exports(ctx) -> list[int]:
    """The globals an output's .dynsym may export (before the dynamic plan decides exactly:
    an over-estimate only keeps more sections unfolded)."""
    o, st = ctx.opts, ctx.symtab
    out = list(ctx.exports)
    if o.shared or o.export_dynamic or o.has_dynamic_list():
        out += [g for g in range(1, len(st)) if st.def_file[g] > 0]
    return out


def alias(ctx) -> None:
    """After addresses: each folded section takes the address of the one that stayed."""
    for (obj, i), (kobj, k) in ctx.icf_folded.items():
        obj.sec_addr[i] = kobj.sec_addr[k]
        obj.sec_fileoff[i] = kobj.sec_fileoff[k]
        obj.sec_outsec[i] = kobj.sec_outsec[k]
        obj.sec_kept[i] = True
