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

_NOT_ADDRESS = {int(Kind.CALL), int(Kind.HINT), int(Kind.RELAXABLE), int(Kind.ALIGN), int(Kind.NONE), int(Kind.PAIRED_LO)}
_RELAX = {int(Kind.HINT), int(Kind.RELAXABLE), int(Kind.ALIGN)}


def run(ctx, graph, live: bytearray) -> list[tuple[int, int]]:
    """Fold identical candidates among the live sections; returns [(folded, kept)] section
    ids and clears ``live`` for the folded ones."""
    from xld.link.gc import _is_root_name, C_IDENT
    g = graph
    mode = ctx.opts.icf
    st = ctx.symtab
    files = ctx.files[1:]
    kind_of = {rt: int(h.kind) for rt, h in ctx.arch.howtos.items()}
    flags, types, names = g.flags, g.types, g.names
    livev = np.frombuffer(bytes(live), dtype=np.uint8).astype(bool)
    cand = g.member_np & livev & ((flags & (elf.SHF_WRITE | elf.SHF_TLS | elf.SHF_LINK_ORDER)) == 0) \
        & (types == elf.SHT_PROGBITS)
    sizes = np.concatenate([[0]] + [o.shdrs["sh_size"].astype(np.int64) for o in files])
    cand &= sizes > 0
    for s in np.nonzero(cand)[0].tolist():
        n = names[s]
        if n == ".eh_frame" or _is_root_name(n) or C_IDENT.match(n) or s in g.eh_sections:
            cand[s] = False

    rtype_np = (g.rel_info & np.uint64(0xFFFFFFFF)).astype(np.int64)
    rtype = rtype_np.tolist()
    addend = g.rel_addend.tolist()
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
    tvalue = tvalue_np.tolist()
    gids_l = gids_all.tolist()

    # address-taken (safe) and relaxable code, over all relocations of live sections at once
    taken = np.zeros(g.total, dtype=bool)
    relax = np.zeros(g.total, dtype=bool)
    inner = np.zeros(g.total, dtype=bool)
    if len(rtype_np):
        kind_arr = np.full(max(max(kind_of, default=0), int(rtype_np.max())) + 1, -1, dtype=np.int64)
        for rt, kd in kind_of.items():
            kind_arr[rt] = kd
        kd = kind_arr[rtype_np]
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
        cand &= ~taken
    # relaxable code referred to at an offset other than its start: not foldable, since the
    # copy that stays may shrink (.eh_frame's references go with the folded copy's FDE)
    cand &= ~(relax & inner)

    members = np.nonzero(cand)[0].tolist()
    if len(members) < 2:
        return []

    def relocs(s):
        span = g.span.get(s)
        if span is None:
            return []
        a, z = span
        return sorted(range(a, z), key=lambda k: g.rel_offset[k])

    rel_of = {s: relocs(s) for s in members}
    # classes by contents and relocation shapes
    key0 = {}
    cls = {}
    for s in members:
        obj, i = g.split(s)
        sh = obj.shdrs[i]
        shape = tuple((g.rel_offset[k], rtype[k], addend[k]) for k in rel_of[s])
        key = (int(flags[s]), int(sh["sh_size"]), int(sh["sh_addralign"]), int(sh["sh_entsize"]),
               bytes(obj.section_bytes(i)), shape)
        cls[s] = key0.setdefault(key, len(key0))
    del key0

    def target(k):
        t = g.rel_target[k]
        row = g.rel_sym[k]
        if t > 0:
            c = cls.get(t)
            return ("c", c, tvalue[row]) if c is not None else ("s", t, tvalue[row])
        if t < 0:
            return ("x", t)
        gid = gids_l[row]
        return ("g", gid) if gid else ("l", row)

    # refine until no class splits
    count = len(set(cls.values()))
    while True:
        keys = {}
        new = {}
        for s in members:
            key = (cls[s], tuple(target(k) for k in rel_of[s]))
            new[s] = keys.setdefault(key, len(keys))
        cls = new
        if len(keys) == count:
            break
        count = len(keys)

    first: dict[int, int] = {}
    folds = []
    for s in members:                          # ascending section id: the first one stays
        k = first.setdefault(cls[s], s)
        if k != s:
            folds.append((s, k))
            live[s] = 0
    return folds


def alias(ctx) -> None:
    """After addresses: each folded section takes the address of the one that stayed."""
    for (obj, i), (kobj, k) in ctx.icf_folded.items():
        obj.sec_addr[i] = kobj.sec_addr[k]
        obj.sec_fileoff[i] = kobj.sec_fileoff[k]
        obj.sec_outsec[i] = kobj.sec_outsec[k]
        obj.sec_kept[i] = True
