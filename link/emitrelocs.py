"""--emit-relocs / -q: the final link's relocations kept in the output, as GNU ld keeps them.

Post-link tools (profile-guided optimizers, kernels' relocation tools, binary rewriters) read
them to find every place that holds an address.  Every relocation of an input section that is
in the output goes into ``.rela<output section>`` (``.rela.text``, ``.rela.data``,
``.rela.debug_info`` ...), in the order of the input sections in the output section, the
input's order within each:

- ``r_offset`` is the site's address in the output (for a section that is not loaded, its
  offset in the output section), after relaxation moved it;
- the symbol is its index in the output's ``.symtab``.  A section symbol becomes the output
  section's symbol (the table gets one per output section) with the input section's place in
  the output section added to the addend; a local label a relocation names (``.L`` labels,
  mapping symbols) is written into ``.symtab`` for it, as GNU ld does; a symbol in a discarded
  section is index 0;
- the type is what relocation applied: RISC-V relaxation shows what it made of a site, as GNU
  ld writes it (architecture hook ``emit_relocs``): R_RISCV_RELAX after every site that had
  one, R_RISCV_NONE with the number of deleted bytes as addend where instructions went, the
  relaxed type (JAL, RVC_JUMP, RVC_LUI, GPREL_I/S) in place of the original one, and a
  handled R_RISCV_ALIGN as R_RISCV_NONE.  So each section keeps as many relocations as its
  inputs had, as in GNU ld's output.

The synthetic sections' contents (GOT, PLT, dynamic relocations) have no input relocations and
get none, as in GNU ld.
"""
from __future__ import annotations

import numpy as np

from xld.link import elf
from xld.link.kinds import Kind
from xld.link.relocate import file_tables


class SymbolIndex:
    """Which symbols the output's .symtab must hold for the relocations, then where each went
    (``write.symbol_table`` fills it in through ``learn``)."""

    def __init__(self, ctx):
        files = ctx.files
        lens = np.fromiter((len(f.syms) for f in files[1:]), dtype=np.int64, count=len(files) - 1)
        self.ybase = np.zeros(len(files), dtype=np.int64)    # file id -> its first flat number
        self.ybase[1:] = np.cumsum(lens) - lens
        total = int(lens.sum())
        self.forced = np.zeros(total, dtype=bool)            # locals a relocation names
        t = ctx.rel
        if t.n:
            fg = np.array([0] + [f.first_global for f in files[1:]], dtype=np.int64)
            sym = t.sym.astype(np.int64)
            loc = np.flatnonzero((sym > 0) & (sym < fg[t.file]))
            self.forced[self.ybase[t.file[loc]] + sym[loc]] = True
        self.local_out = np.full(total, -1, dtype=np.int64)
        self.global_out = np.full(len(ctx.symtab), -1, dtype=np.int64)
        self.section_out = np.zeros(0, dtype=np.int64)      # output section index -> symbol

    def learn(self, ctx, keys_loc, parts_loc, gids, demoted, nlocs: int) -> None:
        """Where the table put each symbol: ``keys_loc`` are the flat numbers of the first
        parts' rows (-1: none), ``parts_loc`` every local part in table order (the section
        symbols first), ``gids``/``demoted`` the globals' ids and which became locals (the
        last local part), ``nlocs`` the number of locals with the null symbol."""
        pos = 1
        for k, part in enumerate(parts_loc):
            if k < len(keys_loc):
                keys = keys_loc[k]
                m = np.flatnonzero(keys >= 0)
                self.local_out[keys[m]] = pos + m
            pos += len(part)
        n = len(ctx.ordered)
        self.section_out = np.zeros(n + 2, dtype=np.int64)
        self.section_out[[o.index for o in ctx.ordered]] = 1 + np.arange(n)
        gids = np.asarray(gids, dtype=np.int64)
        low = gids[demoted]
        self.global_out[low] = nlocs - len(low) + np.arange(len(low))
        high = gids[~demoted]
        self.global_out[high] = nlocs + np.arange(len(high))


def sections(ctx, index: SymbolIndex) -> list[tuple[str, np.ndarray, int]]:
    """The relocation sections: (name, contents as bytes, index of the section they patch)."""
    t = ctx.rel
    if t.n == 0:
        return []
    files = ctx.files
    hooks = ctx.arch.hooks.get("emit_relocs", {})
    counts = t.counts
    pf, ps = t.part_file, t.part_sec
    outs = [files[f].sec_outsec[s] for f, s in zip(pf.tolist(), ps.tolist())]

    # the site: the input section's place in the output, plus the offset
    sec_addr, sbase = file_tables(files, "sec_addr")
    part_addr = sec_addr[sbase[pf] + ps]
    P = np.repeat(part_addr, counts) + t.offset

    # the symbol, in the output's table
    flat = np.repeat(index.ybase[pf], counts) + t.sym
    info, _ = file_tables(files, "syms")
    is_sec = (info["st_info"][flat] & 0xF) == elf.STT_SECTION
    sym = np.zeros(t.n, dtype=np.int64)
    glob = t.gid > 0
    sym[glob] = index.global_out[t.gid[glob]]
    local = ~glob & (t.sym > 0)
    plain = local & ~is_sec
    sym[plain] = index.local_out[flat[plain]]
    addend = t.addend.astype(np.int64).copy()
    secs = np.flatnonzero(local & is_sec)
    if len(secs):
        # a section symbol: the output section's, the input section's place in the addend
        shndx, _ = file_tables(files, "sym_shndx")
        target = shndx[flat[secs]].astype(np.int64)
        out_index = np.concatenate([[0]] + [np.array([o.index if o is not None else 0 for o in f.sec_outsec],
                                                     dtype=np.int64) for f in files[1:]])
        nsec = np.array([0] + [len(f.sec_outsec) for f in files[1:]], dtype=np.int64)
        obase = np.concatenate([[0], 1 + np.cumsum(nsec[1:]) - nsec[1:]])
        fs = t.file[secs].astype(np.int64)
        ok = (target > 0) & (target < nsec[fs])
        oi = np.where(ok, out_index[obase[fs] + np.where(ok, target, 0)], 0)
        oaddr = np.zeros(len(index.section_out), dtype=np.int64)
        for o in ctx.ordered:
            oaddr[o.index] = o.addr if o.alloc else 0
        S, _ = file_tables(files, "S")
        kept = oi > 0
        sym[secs[kept]] = index.section_out[oi[kept]]
        addend[secs[kept]] += S[flat[secs[kept]]] - oaddr[oi[kept]]
    sym[sym < 0] = 0

    # the type: what relocation applied
    typ = t.type.astype(np.int64).copy()
    for old, new in hooks.get("gp_rel", {}).items():
        typ[(t.kind == Kind.GP_REL) & (typ == old)] = new
    if "align" in hooks:
        typ[t.kind == Kind.ALIGN] = hooks["align"]

    # the relaxation hints, after the sites they belong to
    part = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    rows = [(P, sym, typ, addend, part)]
    has_hint = t.relax if "hint" in hooks else np.zeros(t.n, dtype=bool)
    h = np.flatnonzero(has_hint)
    if len(h):
        ht = np.full(len(h), hooks["hint"], dtype=np.int64)
        hp = P[h].copy()
        ha = t.hint_addend[h].copy() if hasattr(t, "hint_addend") else np.zeros(len(h), dtype=np.int64)
        orig = getattr(t, "orig_type", t.type)[h].astype(np.int64)
        new = t.type[h].astype(np.int64)
        changed = np.flatnonzero(orig != new)
        if len(changed):
            pairs = orig[changed] * (1 << 32) + new[changed]
            for pair in np.unique(pairs).tolist():
                span = hooks["shrunk"](pair >> 32, pair & 0xFFFFFFFF)
                if span is None:
                    continue
                m = changed[pairs == pair]
                ht[m] = hooks["none"]
                hp[m] += span[0]
                ha[m] = span[1]
        rows.append((hp, np.zeros(len(h), dtype=np.int64), ht, ha, part[h]))
    # interleave: each hint right after its site
    pos = np.arange(t.n, dtype=np.int64) + np.cumsum(has_hint) - has_hint
    total = t.n + len(h)
    cols = [np.zeros(total, dtype=np.int64) for _ in range(5)]
    for c, v in zip(cols, rows[0]):
        c[pos] = v
    if len(h):
        for c, v in zip(cols, rows[1]):
            c[pos[h] + 1] = v
    P, sym, typ, addend, part = cols

    # grouped by output section, the input sections in their order there
    oidx = np.array([o.index for o in outs], dtype=np.int64)
    prank = np.lexsort((part_addr, oidx))
    rank = np.empty(len(prank), dtype=np.int64)
    rank[prank] = np.arange(len(prank))
    order = np.argsort(rank[part], kind="stable")
    P, sym, typ, addend, part = P[order], sym[order], typ[order], addend[order], part[order]
    o_of_row = oidx[part]
    rela = np.zeros(total, dtype=elf.RELA)
    rela["r_offset"] = P.view(np.uint64)
    rela["r_info"] = (sym.astype(np.uint64) << np.uint64(32)) | typ.astype(np.uint64)
    rela["r_addend"] = addend
    by_index = {o.index: o for o in ctx.ordered}
    starts = np.flatnonzero(np.r_[True, o_of_row[1:] != o_of_row[:-1]])
    ends = np.r_[starts[1:], total]
    out = []
    for a, z in zip(starts.tolist(), ends.tolist()):
        o = by_index[int(o_of_row[a])]
        out.append((".rela" + o.name, rela[a:z].view(np.uint8), o.index))
    return out
