"""Section shrinking: RISC-V linker relaxation and R_RISCV_ALIGN, in one shrink-only pass.

RISC-V compilers emit the *longest* code sequence for everything whose distance the linker
decides (psABI "Linker Relaxation", riscv-elf-linker-relaxation.adoc): AUIPC+JALR for every
call, LUI/AUIPC + ADDI/load/store for every address, LUI + ADD tp + load for every local-exec
TLS access, and the largest padding an alignment directive could need.  Each such site carries
R_RISCV_RELAX (or is R_RISCV_ALIGN), and the linker deletes what the final layout makes
unnecessary:

    auipc ra, f; jalr ra, f(ra)    ->  jal ra, f             (target within +-1 MiB)
    auipc t1, f; jalr x0, f(t1)    ->  c.j f                 (RVC object, within +-2 KiB)
    lui a0, %hi(x); lw a0, %lo(x)(a0)           ->  lw a0, x-gp(gp)   (x within gp +-2 KiB)
    auipc a0, %pcrel_hi(x); addi a0, %pcrel_lo  ->  addi a0, gp, x-gp
    lui a0, %tprel_hi(v); add a0, a0, tp; lw a0, %tprel_lo(v)(a0)  ->  lw a0, v-tp(tp)
    R_RISCV_ALIGN padding          ->  only as many nop bytes as the boundary needs (mandatory,
                                       also with --no-relax)

Why one pass settles.  Deletions only ever shrink code, so we decide everything against one
*estimated* layout, made before anything is deleted, and only relax a site when it stays in
range whatever the other deletions do:

  * inside one input section, a distance can only shrink (ALIGN padding included: the estimate
    has the full padding, the output keeps at most that much);
  * between input sections, the alignment padding in front of each section may grow, by at
    most its alignment - 1 bytes; so a site is decided with a margin of the sum of those over
    the boundaries between the two ends (segment starts count as two pages; a --section-start
    as everything deletable);
  * GP- and TP-relative values move only by the padding between the symbol and the anchor of
    gp (.sdata) or tp (the TLS block, which never moves relative to itself).

A psABI "relocation group" is relaxed all or nothing: the HI20s and LO12s of one symbol in one
section (absolute and TP-relative pairs), or a PCREL_HI20 with every PCREL_LO12 that names
its label.  A site is a candidate only with R_RISCV_RELAX at the same offset.

After the decisions, R_RISCV_ALIGN is handled as always (walking each section's padding in
order, counting the bytes already deleted before it), and everything that points into a
shrunk section moves: relocation offsets, symbol values and sizes, addends of relocations made
against the section symbol, and the section size.  Label differences (ADD/SUB/SET/ULEB128 in
.eh_frame and debug info) then come out right from the moved symbols.  Relaxed sites change
their row in ``ctx.rel``: CALL -> JAL / RVC_JUMP, the deleted HI20/ADD -> NONE, the LO12
halves -> kind GP_REL (S + A - GP) or stay TLS_LE with the base register rewritten.

Finally the pass lays the program out once more and checks every relaxed site against the
real addresses; should the estimate ever have been wrong (it is conservative, this is a
guard), the pass starts again from the untouched input with those groups left alone.
"""
from __future__ import annotations

import numpy as np

from xld.link import elf
from xld.link.kinds import Kind

GP_NAME = "__global_pointer$"
_MAX_ROUNDS = 6

# ELF type names (psABI, verbatim) by the role they play in a relaxation
_ROLES = {
    "call": ("R_RISCV_CALL", "R_RISCV_CALL_PLT"),
    "abs_hi": ("R_RISCV_HI20",), "abs_lo": ("R_RISCV_LO12_I", "R_RISCV_LO12_S"),
    "pc_hi": ("R_RISCV_PCREL_HI20",), "pc_lo": ("R_RISCV_PCREL_LO12_I", "R_RISCV_PCREL_LO12_S"),
    "tp_hi": ("R_RISCV_TPREL_HI20", "R_RISCV_TPREL_ADD"), "tp_lo": ("R_RISCV_TPREL_LO12_I", "R_RISCV_TPREL_LO12_S"),
    "relax": ("R_RISCV_RELAX",), "jal": ("R_RISCV_JAL",), "rvc_jump": ("R_RISCV_RVC_JUMP",),
    "lo_i": ("R_RISCV_LO12_I",), "lo_s": ("R_RISCV_LO12_S",), "none": ("R_RISCV_NONE",),
}
_S_TYPE = ("R_RISCV_LO12_S", "R_RISCV_PCREL_LO12_S", "R_RISCV_TPREL_LO12_S")


def run(ctx) -> None:
    ctx.diag.check()            # scan's errors (bad offsets, unknown types) stop the link here
    t = ctx.rel
    if t.n == 0:
        return
    arch = ctx.arch
    types = _types(arch)
    relax = (ctx.opts.relax and types is not None and "relax_call" in arch.hooks
             and bool(np.any(t.type == types["relax"][0])))
    if not relax:
        if np.any(t.kind == Kind.ALIGN):
            _shrink(ctx, {}, [])
        return
    Relaxer(ctx, types).run()


def _types(arch) -> dict[str, tuple[int, ...]] | None:
    number = {h.name: rt for rt, h in arch.howtos.items()}
    try:
        out = {role: tuple(number[n] for n in names) for role, names in _ROLES.items()}
    except KeyError:
        return None
    out["s_type"] = tuple(number[n] for n in _S_TYPE)
    return out


# -- deciding ------------------------------------------------------------------------------

class Relaxer:
    """Finds the candidate groups, decides them on an estimated layout, applies, verifies."""

    def __init__(self, ctx, types):
        self.ctx = ctx
        self.ty = types
        self.stats: dict[str, int] = {}

    def run(self) -> None:
        ctx = self.ctx
        t = ctx.rel
        # the pristine columns as Python lists: the decisions read them row by row
        self.L = type("Cols", (), {c: getattr(t, c).tolist() for c in
                                   ("file", "sec", "offset", "type", "sym", "gid", "addend")})
        self._candidates()
        if not self.groups:
            _shrink(ctx, {}, [])
            return
        _layout(ctx)
        self._estimate()
        excluded: set[int] = set()
        saved = _Snapshot(ctx)
        for rounds in range(1, _MAX_ROUNDS + 1):
            edits, sites = self._decide(excluded)
            self.stats["rounds"] = rounds
            _shrink(ctx, edits, saved.objs_hook)
            bad = self._verify(sites)
            if not bad:
                break
            excluded |= bad
            saved.restore()
        else:
            edits, sites = {}, []
            _shrink(ctx, edits, saved.objs_hook)
        ctx.relax_stats = self.stats

    # candidate groups --------------------------------------------------------------------
    def _candidates(self) -> None:
        ctx, t, ty = self.ctx, self.ctx.rel, self.ty
        L = self.L
        is_ = lambda role: np.isin(t.type, ty[role])
        exec_ = _exec_rows(ctx)
        rx = np.nonzero(t.type == ty["relax"][0])[0]
        # a row "has RELAX" when a RELAX row shares its (file, section, offset): one int64 key
        # per row, (part, offset), since scan keeps each (file, section)'s rows in one part
        key = np.repeat(np.arange(len(t.counts), dtype=np.int64), t.counts) << np.int64(32) | t.offset
        relaxed = np.isin(key, key[rx]).tolist()
        self.relax_rows = {}
        for r, k in zip(rx.tolist(), zip(t.file[rx].tolist(), t.sec[rx].tolist(), t.offset[rx].tolist())):
            self.relax_rows.setdefault(k, []).append(r)

        def has_relax(r):
            return relaxed[r]

        groups: list[tuple[str, list[int]]] = []
        # calls: one row each
        for r in np.nonzero(is_("call") & exec_)[0].tolist():
            if has_relax(r):
                groups.append(("call", [r]))
        # absolute and TP-relative pairs: by (file, section, symbol)
        for kind, roles in (("gp", ("abs_hi", "abs_lo")), ("tp", ("tp_hi", "tp_lo"))):
            rows = np.nonzero((is_(roles[0]) | is_(roles[1])) & exec_)[0]
            by: dict[tuple, list[int]] = {}
            for r in rows.tolist():
                ident = L.gid[r] if L.gid[r] else -L.sym[r] - 1
                by.setdefault((L.file[r], L.sec[r], ident), []).append(r)
            # a LO12 in a section without a HI20 for its symbol uses a register set elsewhere
            # (another section of the file): then no HI20 of that symbol in that file may go
            orphan = {(f, ident) for (f, _, ident), rs in by.items()
                      if not any(L.type[r] in ty[roles[0]] for r in rs)}
            for (f, _, ident), rs in by.items():
                if (f, ident) in orphan:
                    continue
                if all(has_relax(r) for r in rs) and any(L.type[r] in ty[roles[1]] for r in rs) \
                        and any(L.type[r] in ty[roles[0]] for r in rs):
                    groups.append((kind, rs))
        # PC-relative pairs: a PCREL_HI20 and every PCREL_LO12 naming its label
        his = np.nonzero(is_("pc_hi"))[0]
        at = {(L.file[r], L.sec[r], L.offset[r]): r for r in his.tolist()}
        members: dict[int, list[int]] = {}
        spoiled: set[int] = set()
        los = np.nonzero(is_("pc_lo"))[0]
        lab_sec = np.zeros(len(los), dtype=np.int64)       # the label's (section, value)
        lab_val = np.zeros(len(los), dtype=np.int64)
        lf = t.file[los]
        for fid in np.unique(lf).tolist():
            m = lf == fid
            obj = ctx.files[fid]
            syms = t.sym[los[m]]
            lab_sec[m] = obj.sym_shndx[syms]
            lab_val[m] = obj.syms["st_value"][syms].astype(np.int64)
        for r, ls, lv in zip(los.tolist(), lab_sec.tolist(), lab_val.tolist()):
            h = at.get((L.file[r], ls, lv))
            if h is None:
                continue
            if L.sec[r] != L.sec[h] or not has_relax(r):
                spoiled.add(h)
            members.setdefault(h, []).append(r)
        for h, los in members.items():
            if h not in spoiled and has_relax(h) and exec_[h]:
                groups.append(("pcgp", [h] + los))
        self.groups = groups

    def _estimate(self) -> None:
        """Addresses of the estimated layout, and what bounds the move of every address."""
        ctx, t = self.ctx, self.ctx.rel
        rows = np.array(sorted({r for _, rs in self.groups for r in rs}), dtype=np.int64)
        P, S = _place_and_value(ctx, rows)
        self.P = dict(zip(rows.tolist(), P.tolist()))
        self.SA = dict(zip(rows.tolist(), (S + t.addend[rows]).tolist()))
        self.target_sec = {}
        self.usable = {}
        need = {r for k, rs in self.groups for r in (rs[:1] if k == "pcgp" else rs)}
        for r in need:
            self.usable[r], self.target_sec[r] = _target(ctx, self.L, r)
        self.gp = _gp(ctx)
        self.tp = ctx.tp_base
        total = sum(8 if k == "call" else 4 * len(rs) for k, rs in self.groups)
        al = t.kind == Kind.ALIGN
        total += int(t.addend[al].sum())
        self.total = total
        self.chunks = _Chunks(ctx, total)
        calls = [rs[0] for k, rs in self.groups if k == "call"]
        m = self.chunks.slacks(np.array([self.P[r] for r in calls], dtype=np.int64),
                               np.array([self.SA[r] for r in calls], dtype=np.int64))
        self.call_margin = dict(zip(calls, m.tolist()))

    def _decide(self, excluded: set[int]):
        ctx, t, ty = self.ctx, self.ctx.rel, self.ty
        L = self.L
        regs = ctx.arch.hooks["relax_regs"]
        relax_call = ctx.arch.hooks["relax_call"]
        set_rs1 = ctx.arch.hooks["set_rs1"]
        forms: dict[tuple, bytes | None] = {}
        edits: dict[tuple[int, int], _Edits] = {}
        sites: list[tuple[int, str, list[int]]] = []
        stats = {"call->jal": 0, "call->c.j": 0, "gp": 0, "pcrel->gp": 0, "tp": 0, "lui->c.lui": 0}
        lui_howto = next((h for h in ctx.arch.hooks.get("relax_howtos", {}).values()
                          if h.name == "R_RISCV_RVC_LUI"), None)

        def ed(r) -> _Edits:
            key = (L.file[r], L.sec[r])
            e = edits.get(key)
            if e is None:
                e = edits[key] = _Edits()
            return e

        def word(r, n):
            obj = ctx.files[L.file[r]]
            off = L.offset[r]
            return int.from_bytes(bytes(obj.section_content(L.sec[r])[off:off + n]), "little")

        def drop(r):
            """The instruction at r goes: its relocations (and RELAX) become NONE."""
            key = (L.file[r], L.sec[r], L.offset[r])
            e = ed(r)
            e.dels.append((key[2], 4 if word(r, 2) & 3 == 3 else 2))     # 32-bit or compressed
            e.rows.append((r, ty["none"][0], Kind.NONE))
            for x in self.relax_rows.get(key, ()):
                e.rows.append((x, ty["none"][0], Kind.NONE))

        def rebase(r, reg, new_type, new_kind):
            w = word(r, 4)
            e = ed(r)
            e.patches.append((L.offset[r], set_rs1(w, reg).to_bytes(4, "little")))
            e.rows.append((r, new_type, new_kind))

        for gid, (kind, rs) in enumerate(self.groups):
            if gid in excluded:
                continue
            if kind == "gp" and all(_absolute(ctx, L, r) for r in rs):
                self._zero_page(rs, drop, rebase, regs, sites, gid, stats)
                continue
            if kind != "pcgp" and not all(self.usable[r] for r in rs):
                continue
            if kind == "call":
                r = rs[0]
                dist = self.SA[r] - self.P[r]
                if self.target_sec[r] == (L.file[r], L.sec[r]):
                    m = 0
                else:
                    m = self.call_margin[r]
                worst = dist + m if dist >= 0 else dist - m
                worst += worst & 1
                rvc = bool(ctx.files[L.file[r]].e_flags & 1)
                # every RISC-V jump range is a multiple of 2 KiB, so the form the hook picks is
                # the same for a whole 2 KiB bucket; the relocation pass writes the immediate
                w = word(r, 8)
                key = ((w >> 39) & 0x1F, rvc, worst >> 11)
                code = forms.get(key, False)
                if code is False:
                    code = forms[key] = relax_call(w, worst, rvc)
                if code is None:
                    continue
                e = ed(r)
                off = L.offset[r]
                e.patches.append((off, code))
                e.dels.append((off + len(code), 8 - len(code)))
                new = ty["rvc_jump"][0] if len(code) == 2 else ty["jal"][0]
                e.rows.append((r, new, Kind.CALL))
                stats["call->c.j" if len(code) == 2 else "call->jal"] += 1
                sites.append((gid, "call", [r]))
            elif kind in ("gp", "pcgp"):
                if kind == "gp":
                    his = [r for r in rs if L.type[r] in ty["abs_hi"]]
                    los = [r for r in rs if L.type[r] in ty["abs_lo"]]
                    vals = [self.SA[r] for r in los]
                else:
                    his, los = rs[:1], rs[1:]
                    if not self.usable[his[0]]:
                        continue
                    vals = [self.SA[his[0]]]
                if self.gp is None or not all(-0x800 <= v - self.gp <= 0x7FF for v in vals):
                    if kind == "gp" and lui_howto is not None:
                        self._c_lui(his, ed, word, lui_howto, sites, gid, stats)
                    continue
                for r in his:
                    drop(r)
                for r in los:
                    s_type = L.type[r] in ty["s_type"]
                    new = ty["lo_s"][0] if s_type else ty["lo_i"][0]
                    rebase(r, regs["gp"], new, Kind.GP_REL)
                    if kind == "pcgp":       # the value is the HI20's: take its symbol
                        ed(r).copy_from.append((r, his[0]))
                stats["gp" if kind == "gp" else "pcrel->gp"] += 1
                sites.append((gid, "gp", los))
            else:   # tp
                his = [r for r in rs if L.type[r] in ty["tp_hi"]]
                los = [r for r in rs if L.type[r] in ty["tp_lo"]]
                if not all(-0x800 <= self.SA[r] - self.tp <= 0x7FF for r in los):
                    continue
                for r in his:
                    drop(r)
                for r in los:
                    rebase(r, regs["tp"], L.type[r], Kind.TLS_LE)
                stats["tp"] += 1
                sites.append((gid, "tp", los))
        self.stats = stats
        return edits, sites

    def _zero_page(self, rs, drop, rebase, regs, sites, gid, stats) -> None:
        """An absolute symbol within +-2 KiB of address 0: the LUI goes, the LO12 adds to x0
        (psABI "Zero-page Relaxation").  Absolute values do not move with the layout."""
        ty, L = self.ty, self.L
        his = [r for r in rs if L.type[r] in ty["abs_hi"]]
        los = [r for r in rs if L.type[r] in ty["abs_lo"]]
        if not all(-0x800 <= self.SA[r] <= 0x7FF for r in los):
            return
        for r in his:
            drop(r)
        for r in los:
            rebase(r, regs["zero"], L.type[r], Kind.ADDR)
        stats["zero-page"] = stats.get("zero-page", 0) + 1
        sites.append((gid, "zero", los))

    def _c_lui(self, his, ed, word, h, sites, gid, stats) -> None:
        """LUI -> C.LUI where %hi stays a nonzero 6-bit number: addresses only move down, by
        at most everything deletable plus the padding that may grow before them."""
        ctx, t = self.ctx, self.ctx.rel
        L = self.L
        relax_lui = ctx.arch.hooks["relax_lui"]
        done = []
        for r in his:
            v = self.SA[r]
            down = self.total + self.chunks.slack(h.lo, v)
            if not (h.lo <= v - down and v <= h.hi):
                return
            code = relax_lui(word(r, 4), bool(ctx.files[L.file[r]].e_flags & 1))
            if code is None:
                return
            done.append((r, code))
        for r, code in done:
            e = ed(r)
            off = L.offset[r]
            e.patches.append((off, code))
            e.dels.append((off + 2, 2))
            e.rows.append((r, h.type, h.kind))
        if done:
            stats["lui->c.lui"] += len(done)
            sites.append((gid, "lui", [r for r, _ in done]))

    def _verify(self, sites) -> set[int]:
        """Lay out for real; the groups whose relaxed sites do not fit (none, normally)."""
        ctx, t = self.ctx, self.ctx.rel
        if not sites:
            return set()
        _layout(ctx)
        rows = np.array(sorted({r for _, _, rs in sites for r in rs}), dtype=np.int64)
        P, S = _place_and_value(ctx, rows)
        val = dict(zip(rows.tolist(), (S + t.addend[rows]).tolist()))
        pos = dict(zip(rows.tolist(), P.tolist()))
        gp, tp = _gp(ctx), ctx.tp_base
        bad = set()
        for gid, kind, rs in sites:
            for r in rs:
                if kind == "call":
                    h = ctx.arch.howtos[int(t.type[r])]
                    v = val[r] - pos[r]
                    good = h.lo <= v <= h.hi and v % h.align == 0
                elif kind == "gp":
                    good = gp is not None and -0x800 <= val[r] - gp <= 0x7FF
                elif kind == "zero":
                    good = -0x800 <= val[r] <= 0x7FF
                elif kind == "lui":
                    h = ctx.arch.hooks["relax_howtos"][int(t.type[r])]
                    good = h.lo <= val[r] <= h.hi
                else:
                    good = -0x800 <= val[r] - tp <= 0x7FF
                if not good:
                    bad.add(gid)
        return bad


class _Edits:
    """What relaxation does to one input section (offsets before any deletion)."""

    def __init__(self):
        self.dels: list[tuple[int, int]] = []       # (offset, bytes)
        self.patches: list[tuple[int, bytes]] = []  # new instruction bytes at offset
        self.rows: list[tuple[int, int, Kind]] = []  # (row, new type, new kind)
        self.copy_from: list[tuple[int, int]] = []  # (row, row whose symbol and addend it takes)


class _Chunks:
    """Input sections of the estimated layout in address order, each with the most its start
    can move against the bytes before it once sections shrink (alignment - 1; two pages at a
    segment start; everything deletable at a --section-start)."""

    def __init__(self, ctx, total_deletable: int):
        page = ctx.opts.max_page_size or ctx.arch.max_page_size
        seg_starts = {s[1] for s in ctx.segments}
        starts, slack = [], []
        for o in ctx.ordered:
            if not o.alloc:
                continue
            if o.name in ctx.opts.section_start:
                first = total_deletable + 2 * page
            elif o.addr in seg_starts:
                first = 2 * page
            else:
                first = o.align - 1
            if o.inputs:
                for k, (obj, i) in enumerate(o.inputs):
                    a = max(int(obj.shdrs[i]["sh_addralign"]), 1)
                    starts.append(o.addr + int(obj.sec_out[i]))
                    slack.append(max(first, a - 1) if k == 0 else a - 1)
            else:
                starts.append(o.addr)
                slack.append(first)
        order = np.argsort(np.array(starts, dtype=np.int64), kind="stable")
        self.starts = np.array(starts, dtype=np.int64)[order]
        self.cum = np.concatenate([[0], np.cumsum(np.array(slack, dtype=np.int64)[order])])

    def slacks(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``slack`` for many pairs at once."""
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        i = np.searchsorted(self.starts, lo, side="right")
        j = np.searchsorted(self.starts, hi, side="right")
        return self.cum[j] - self.cum[i]

    def slack(self, a: int, b: int) -> int:
        """Most the distance between addresses a and b can grow: the boundaries in (lo, hi]."""
        lo, hi = (a, b) if a <= b else (b, a)
        i = int(np.searchsorted(self.starts, lo, side="right"))
        j = int(np.searchsorted(self.starts, hi, side="right"))
        return int(self.cum[j] - self.cum[i])


# -- helpers over the link ---------------------------------------------------------------

def _layout(ctx) -> None:
    """Addresses for everything, as the driver's layout passes compute them."""
    from xld.link import driver, layout, relocate
    layout.place(ctx)
    layout.finalize_section_addresses(ctx)
    driver.linker_symbol_values(ctx)
    driver.compute_tp(ctx)
    relocate.symbol_addresses(ctx)


def _absolute(ctx, L, r: int) -> bool:
    """Whether row r's symbol is an absolute (SHN_ABS) definition."""
    st = ctx.symtab
    f, s, g = L.file[r], L.sym[r], L.gid[r]
    if g:
        f, s = st.def_file[g], st.def_index[g]
        if f <= 0:
            return False
    return int(ctx.files[f].sym_shndx[s]) == elf.SHN_ABS


def _gp(ctx) -> int | None:
    """The value of __global_pointer$ when the linker defines it (as GNU ld does), else None."""
    from xld.link.resolve import LINKER
    st = ctx.symtab
    g = st.ids.get(GP_NAME)
    if g is None or st.def_file[g] != LINKER:
        return None
    return int(ctx.gaddr[g])


def _exec_rows(ctx) -> np.ndarray:
    t = ctx.rel
    flags = np.concatenate([[0]] + [
        [int(ctx.files[f].shdrs[s]["sh_flags"])] for f, s in zip(t.part_file.tolist(), t.part_sec.tolist())])
    per_part = (flags[1:] & (elf.SHF_EXECINSTR | elf.SHF_ALLOC)) == (elf.SHF_EXECINSTR | elf.SHF_ALLOC)
    return np.repeat(per_part, t.counts)


def _place_and_value(ctx, rows: np.ndarray):
    """P (address of the site) and S (symbol value) of the given rows, from the current layout."""
    t = ctx.rel
    P = np.zeros(len(rows), dtype=np.int64)
    S = np.zeros(len(rows), dtype=np.int64)
    f = t.file[rows]
    for fid in np.unique(f).tolist():
        m = f == fid
        obj = ctx.files[fid]
        rr = rows[m]
        P[m] = obj.sec_addr[t.sec[rr]] + t.offset[rr]
        S[m] = obj.S[t.sym[rr]]
    return P, S


def _target(ctx, L, r: int) -> tuple[bool, tuple[int, int] | None]:
    """Whether the symbol of row r lives at an address the layout decides (a section, a
    common, an IFUNC stub), and its (file, section) when it is in an input section."""
    from xld.link.resolve import COMMON
    st = ctx.symtab
    f, s, g = L.file[r], L.sym[r], L.gid[r]
    if g:
        if g in ctx.ifuncs:
            return True, None
        if st.state[g] == COMMON:
            return True, None
        f = st.def_file[g]
        if f <= 0:
            return False, None
        s = st.def_index[g]
    obj = ctx.files[f]
    sh = int(obj.sym_shndx[s])
    if not (0 < sh < elf.SHN_LORESERVE) or sh >= len(obj.sec_outsec) or obj.sec_outsec[sh] is None:
        return False, None
    if obj.sec_outsec[sh].flags & elf.SHF_TLS == 0 and not obj.sec_outsec[sh].alloc:
        return False, None
    return True, (f, sh)


# -- applying --------------------------------------------------------------------------------

class _Snapshot:
    """The tables shrinking rewrites, as they were, to start again from them."""

    def __init__(self, ctx):
        self.ctx = ctx
        t = ctx.rel
        self.cols = {c: getattr(t, c).copy() for c in ("offset", "addend", "type", "kind", "width", "sym", "gid")}
        self.objs: dict[int, tuple] = {}

    def objs_hook(self, obj) -> None:
        if obj.file_id not in self.objs:
            own = getattr(obj, "_own_tables", False)
            # tables not yet owned are the file's and are copied before any write: keep them
            syms, shdrs = (obj.syms.copy(), obj.shdrs.copy()) if own else (obj.syms, obj.shdrs)
            self.objs[obj.file_id] = (syms, shdrs, dict(obj.content_override), own)

    def restore(self) -> None:
        t = self.ctx.rel
        for c, v in self.cols.items():
            setattr(t, c, v.copy())
        for fid, (syms, shdrs, over, own) in self.objs.items():
            obj = self.ctx.files[fid]
            obj.syms, obj.shdrs, obj.content_override, obj._own_tables = syms.copy(), shdrs.copy(), dict(over), own
        self.objs = {k: (v[0].copy(), v[1].copy(), dict(v[2]), v[3]) for k, v in self.objs.items()}


def _shrink(ctx, edits: dict, snapshot) -> None:
    """Apply the relaxation edits and R_RISCV_ALIGN, section by section."""
    t = ctx.rel
    fill = ctx.arch.hooks["nop_fill"]
    hook = snapshot if callable(snapshot) else None
    howtos = {**ctx.arch.howtos, **ctx.arch.hooks.get("relax_howtos", {})}
    width_of = {rt: (h.field.width if h.field is not None else 0) for rt, h in howtos.items()}
    # row rewrites first (addends of copied symbols move with the section below)
    for e in edits.values():
        for r, new_type, new_kind in e.rows:
            t.type[r] = new_type
            t.kind[r] = int(new_kind)
            t.width[r] = width_of.get(new_type, 0)
        for r, src in e.copy_from:
            t.sym[r], t.gid[r], t.addend[r] = t.sym[src], t.gid[src], t.addend[src]
    parts = _Parts(t)
    align_rows = np.nonzero(t.kind == Kind.ALIGN)[0]
    keys = t.file[align_rows] * (1 << 32) + t.sec[align_rows]
    by_sec: dict[tuple[int, int], list[int]] = {}
    order = np.lexsort((t.offset[align_rows], keys))
    for r in align_rows[order].tolist():
        by_sec.setdefault((int(t.file[r]), int(t.sec[r])), []).append(r)
    for key in sorted(set(by_sec) | set(edits)):
        f, sec = key
        obj = ctx.files[f]
        e = edits.get(key)
        rdels = sorted(e.dels) if e is not None else []
        dels: list[tuple[int, int]] = []
        keeps: list[tuple[int, int]] = []
        deleted = 0
        k = 0
        for row in by_sec.get(key, []):
            off = int(t.offset[row])
            while k < len(rdels) and rdels[k][0] < off:
                dels.append(rdels[k])
                deleted += rdels[k][1]
                k += 1
            pad = int(t.addend[row])
            align = 1 << pad.bit_length()
            keep = (-(off - deleted)) % align
            if keep > pad:
                ctx.diag.error(f"{obj.where(sec, off)}: R_RISCV_ALIGN padding of {pad} bytes cannot reach "
                               f"a {align}-byte boundary")
                continue
            t.addend[row] = keep
            keeps.append((off, keep))
            if pad - keep:
                dels.append((off + keep, pad - keep))
                deleted += pad - keep
        dels.extend(rdels[k:])
        patches = e.patches if e is not None else []
        if dels or patches:
            if hook is not None:
                hook(obj)
            _apply(ctx, obj, sec, dels, keeps, fill, patches, parts)


def _apply(ctx, obj, sec: int, dels: list[tuple[int, int]], keeps, fill, patches=(), parts=None) -> None:
    t = ctx.rel
    parts = parts or _Parts(t)
    _writable(obj)
    old = bytearray(obj.section_content(sec))
    for off, keep in keeps:
        if keep:
            old[off:off + keep] = fill(keep)
    for off, code in patches:
        old[off:off + len(code)] = code
    if not dels:
        obj.content_override[sec] = bytes(old)
        return
    starts = np.array([d[0] for d in dels], dtype=np.int64)
    counts = np.array([d[1] for d in dels], dtype=np.int64)
    cum = np.cumsum(counts)

    def moved(x: np.ndarray) -> np.ndarray:
        """New offset of old offset x: minus every byte deleted strictly before it."""
        k = np.searchsorted(starts, x, side="right") - 1      # last deletion starting at or before x
        kk = np.maximum(k, 0)
        before = np.where(k >= 0, cum[kk], 0)                  # bytes deleted up to that range's end
        inside = (k >= 0) & (x < starts[kk] + counts[kk])
        # inside a deleted range: move to where the range was (its start, in new coordinates)
        return np.where(inside, starts[kk] - (before - counts[kk]), x - before)

    # 1. contents: drop the deleted bytes
    mask = np.ones(len(old), dtype=bool)
    for s, c in dels:
        mask[s:s + c] = False
    new = np.frombuffer(bytes(old), dtype=np.uint8)[mask]
    obj.content_override[sec] = new.tobytes()
    obj.shdrs[sec]["sh_size"] = len(new)

    # 2. relocations applied to this section
    rows = parts.rows(obj.file_id, sec)
    t.offset[rows] = moved(t.offset[rows])

    # 3. symbols defined in this section (values and sizes)
    in_sec = np.nonzero(obj.sym_shndx == sec)[0]
    if len(in_sec):
        v = obj.syms["st_value"][in_sec].astype(np.int64)
        sz = obj.syms["st_size"][in_sec].astype(np.int64)
        nv = moved(v)
        nend = moved(v + sz)
        obj.syms["st_value"][in_sec] = nv
        obj.syms["st_size"][in_sec] = np.maximum(nend - nv, 0)

    # 4. relocations anywhere in this file made against the section symbol: move the addend
    secsyms = np.nonzero((obj.sym_shndx == sec) & ((obj.syms["st_info"] & 0xF) == elf.STT_SECTION))[0]
    if len(secsyms):
        rows = parts.rows(obj.file_id)
        rows = rows[np.isin(t.sym[rows], secsyms) & (t.kind[rows] != Kind.ALIGN)]
        t.addend[rows] = moved(t.addend[rows])


class _Parts:
    """Row ranges of the relocation table: scan appends each (file, section)'s rows together."""

    def __init__(self, t):
        ends = np.cumsum(t.counts).tolist()
        starts = [0] + ends[:-1]
        self.by_sec: dict[tuple[int, int], list[tuple[int, int]]] = {}
        self.by_file: dict[int, list[tuple[int, int]]] = {}
        for f, s, a, b in zip(t.part_file.tolist(), t.part_sec.tolist(), starts, ends):
            self.by_sec.setdefault((f, s), []).append((a, b))
            self.by_file.setdefault(f, []).append((a, b))

    def rows(self, f: int, sec: int | None = None) -> np.ndarray:
        spans = self.by_file.get(f, []) if sec is None else self.by_sec.get((f, sec), [])
        if not spans:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in spans])


def _writable(obj) -> None:
    if not getattr(obj, "_own_tables", False):
        obj.syms = obj.syms.copy()
        obj.shdrs = obj.shdrs.copy()
        obj._own_tables = True
