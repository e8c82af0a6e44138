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
                                                    (addi a0, x0, x: x within +-2 KiB of 0,
                                                    not in a PIE, as GNU ld)
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
its label.  A site is a candidate only when R_RISCV_RELAX follows its relocation (scan turns
that into the row's ``relax`` flag, as lld and mold read it).  The architecture names the
types of each role (hook "relax_roles") and encodes the short forms (hooks "relax_calls",
"relax_lui", "set_rs1").  The PC-relative groups are paired on the estimate, only around the
HI20s it puts within gp +-2 KiB (the label join is the costly part, and of a large program's
hundreds of thousands of HI20s a few hundred qualify; without a gp, none); a TP-relative
group's symbol is looked up once (its rows differ only by their addends).

After the decisions, R_RISCV_ALIGN is handled as always (walking each section's padding in
order, counting the bytes already deleted before it), and everything that points into a
shrunk section moves: relocation offsets, symbol values and sizes, addends of relocations made
against the section symbol, and the section size.  Label differences (ADD/SUB/SET/ULEB128 in
.eh_frame and debug info) then come out right from the moved symbols.  Relaxed sites change
their row in ``ctx.rel``: CALL -> JAL / RVC_JUMP, the deleted HI20/ADD -> NONE, the LO12
halves -> kind GP_REL (S + A - GP) or stay TLS_LE with the base register rewritten.

Finally every relaxed site is checked against the real addresses: the driver's layout passes
lay the program out as for any link, and its pass "relax check" (``check``) reads them; should
the estimate ever have been wrong (it is conservative, this is a guard), relaxation starts
again from the untouched input with those groups left alone, and the layout passes run again.
"""
from __future__ import annotations

import bisect
import itertools

import numpy as np

from xld.link import elf, pages
from xld.link.arrays import member
from xld.link.input import ObjectFile
from xld.link.kinds import Kind

GP_NAME = "__global_pointer$"
_MAX_ROUNDS = 6

# The roles relocation types play in a relaxation; the architecture names its types for each
# (hook "relax_roles": role -> ELF type names)
_ROLES = ("call", "abs_hi", "abs_lo", "pc_hi", "pc_lo", "tp_hi", "tp_lo", "jal", "rvc_jump",
          "lo_i", "lo_s", "none", "s_type")


def run(ctx) -> None:
    ctx.diag.check()            # scan's errors (bad offsets, unknown types) stop the link here
    t = ctx.rel
    if t.n == 0:
        return
    arch = ctx.arch
    types = _types(arch)
    relax = (ctx.opts.relax and types is not None and "relax_calls" in arch.hooks
             and bool(t.relax.any()))
    with pages.small_pages():            # (table-sized arrays: see there)
        if not relax:
            if np.any(t.kind == Kind.ALIGN):
                _shrink(ctx, None, None)
            return
        Relaxer(ctx, types).run()


def check(ctx, lay_out_again) -> None:
    """The driver's "relax check" pass, after the layout passes: relaxation's sites on the
    final layout (Relaxer.finish)."""
    relaxer, ctx.relax_check = ctx.relax_check, None
    if relaxer is not None:
        with pages.small_pages():
            relaxer.finish(lay_out_again)


def _types(arch) -> dict[str, tuple[int, ...]] | None:
    """Role -> the type numbers that play it, from the architecture's names (None: the
    architecture does not relax)."""
    roles = arch.hooks.get("relax_roles")
    if roles is None:
        return None
    number = arch.type_numbers
    return {role: tuple(number[n] for n in roles[role]) for role in _ROLES}


# -- deciding ------------------------------------------------------------------------------

_CALL, _GP, _TP, _PCGP = 0, 1, 2, 3
_NAMES = {_GP: "gp", _TP: "tp", _PCGP: "pcgp"}
_SK_CALL, _SK_GP, _SK_ZERO, _SK_LUI, _SK_TP = 0, 1, 2, 3, 4


class _EditSet:
    """What relaxation does, for all sections at once (offsets before any deletion): columns."""

    def __init__(self):
        self.dels = []      # arrays (file, sec, offset, bytes)
        self.patches = []   # arrays (file, sec, offset, value, length): little-endian bytes
        self.rows = []      # arrays (row, new type, new kind)
        self.copy = []      # arrays (row, row whose symbol and addend it takes)
        self.pd, self.pp, self.pr, self.pc = [], [], [], []    # scalar tuples, few

    @staticmethod
    def _cols(arrs, scal, k):
        parts = [np.asarray(c, dtype=np.int64) for c in zip(*scal)] if scal else None
        out = []
        for i in range(k):
            cs = [a[i].astype(np.int64, copy=False) for a in arrs]
            if parts is not None:
                cs.append(parts[i])
            out.append(np.concatenate(cs) if cs else np.zeros(0, dtype=np.int64))
        return out

    def columns(self):
        return (self._cols(self.dels, self.pd, 4), self._cols(self.patches, self.pp, 5),
                self._cols(self.rows, self.pr, 3), self._cols(self.copy, self.pc, 2))


class Relaxer:
    """Finds the candidate groups, decides them on an estimated layout, applies, verifies."""

    def __init__(self, ctx, types):
        self.ctx = ctx
        self.ty = types
        self.stats: dict[str, int] = {}

    def run(self) -> None:
        """Decide and edit (round 1); the driver's "relax check" pass, after the layout
        passes, checks the relaxed sites on the final layout (``finish``)."""
        ctx = self.ctx
        # the decisions read the pristine table: ``L`` is it until the first edits, and again
        # after an undo (which builds it anew from the input)
        self.saved = _Snapshot(ctx)
        self.L = ctx.rel
        self._candidates()
        if len(self.calls) == 0 and not any(len(g[0]) for g in self.cand.values()) \
                and len(self.pc_hc) == 0:
            _shrink(ctx, None, None)
            return
        self.excluded: set[int] = set()
        self.rounds = 0
        self._round()
        ctx.relax_check = self

    def _round(self) -> None:
        """Decide on the estimated layout (the groups in ``excluded`` left alone) and edit."""
        ctx = self.ctx
        self.rounds += 1
        if self.rounds > 1:
            self._candidates()
        # every section the pass may change, read into one buffer before the estimate's
        # columns are made (the reading's pages are the pass's peak memory): the decisions read
        # the sites' words from it, and _shrink edits the sections that change in it
        self._src = Sources(ctx)
        self._contents = _Contents(ctx, self._src, self._site_sections())
        self.placed = lay_out(ctx, symbols=False)   # the estimate looks up the few symbols it reads
        self._give_back()
        self._estimate()
        self._pc_groups()
        edits, self.sites = self._decide(self.excluded)
        self._give_back()
        self.stats["rounds"] = self.rounds
        # what the decisions read (columns over the candidate rows, every file's symbol
        # sections) goes before the edits and the final layout: the pass's peak memory is
        # there (another round, rare, makes them again from the restored input)
        src = self.__dict__.pop("_src", None)
        contents = self.__dict__.pop("_contents", None)
        self._forget()
        _shrink(ctx, edits, self.saved, src, contents)

    def _give_back(self) -> None:
        """In a large link, the input pages read so far given back: the candidates and the
        estimated layout read every file's symbol and section tables, a few bytes a file, and
        the kernel maps 64 KiB around each (riscv64 400x50: 41 MiB, 400x50:b: ~100, resident
        under the decisions' own peak); what is read again faults back in."""
        if self.ctx.rel.n >= 1 << 17:
            pages.release_inputs(self.ctx.files[1:])

    def finish(self, lay_out_again) -> None:
        """Every relaxed site checked on the final layout (the driver's layout passes made it);
        should the estimate have been wrong (it is conservative, this is a guard), start again
        from the untouched input with those groups left alone, and lay out again
        (``lay_out_again(ctx)``: the driver's layout passes)."""
        ctx = self.ctx
        while True:
            bad = self._verify(self.sites)
            if not bad:
                break
            self.excluded |= bad
            self.saved.restore()
            self.L = ctx.rel
            if self.rounds < _MAX_ROUNDS:
                self._round()
                lay_out_again(ctx)
                continue
            _shrink(ctx, None, self.saved)
            lay_out_again(ctx)
            break
        ctx.relax_stats = self.stats
        del self.saved, self.sites
        # the pass's temporaries are freed, but the C heap keeps their pages (glibc raises its
        # mmap threshold after large frees, so arrays of a few MiB land in the heap): give
        # them back before image and relocate add theirs (riscv64 gc 400x50: 544 -> 514 MiB
        # peak; 400x50 none; once more at the end of shrink too: 3 MiB for 6,000 more page faults);
        # not in a small link (static hello: 1.2 of its ~26 ms for 0.2 MB of peak)
        if ctx.rel.n >= 1 << 17:
            pages.trim_heap()

    def _forget(self) -> None:
        """Drop the decisions' inputs (``_candidates`` and ``_estimate`` make them again)."""
        for name in ("cand", "calls", "pc_his", "pc_los", "pc_hc", "pc_SA", "addressed", "slot",
                     "_total", "tp_S", "tp_usable", "exec_", "relaxed", "P", "SA", "usable", "tfile",
                     "tsec", "absolute", "chunks", "placed", "call_margin", "_shndx", "pc_usable", "pc_zero"):
            self.__dict__.pop(name, None)

    @property
    def shndx(self):
        """Every file's symbol sections in one array, and each file's base (made once: shrinking
        moves symbols, never between sections)."""
        got = getattr(self, "_shndx", None)
        if got is None:
            from xld.link.relocate import file_tables
            got = self._shndx = file_tables(self.ctx.files, "sym_shndx")
        return got

    @property
    def groups(self) -> list[tuple[str, list[int]]]:
        """The candidate groups as (kind, rows), in group id order (for inspection and tests;
        the pass itself works on the columns of ``self.cand``)."""
        out = [("call", [r]) for r in self.calls.tolist()]
        for kind in (_GP, _TP, _PCGP):
            rows, gst = self.cand[kind]
            rl, bounds = rows.tolist(), gst.tolist()
            out += [(_NAMES[kind], rl[a:z]) for a, z in zip(bounds[:-1], bounds[1:])]
        return out

    # candidate groups --------------------------------------------------------------------
    def _candidates(self) -> None:
        ctx, t, ty = self.ctx, self.ctx.rel, self.ty
        L = self.L
        # each row's roles as the bits of one byte, one lookup by type for all of them (a
        # ``member`` call per role clamped and cast the type column each time: ~1.5 M
        # instructions a role at riscv64 static interp's 52,000 rows)
        bits = _role_bits(L.type, [ty[r] for r in _CAND_ROLES])

        def is_(role):
            return (bits & np.uint8(1 << _CAND_ROLES.index(role))) != 0
        exec_ = _exec_rows(ctx)
        self.exec_ = exec_
        # a site is a candidate only when R_RISCV_RELAX follows its relocation (scan)
        relaxed = t.relax
        self.relaxed = relaxed

        # calls: one row each
        self.calls = np.nonzero(is_("call") & exec_ & relaxed)[0]
        self.cand = {}
        # absolute and TP-relative pairs: by (file, section, symbol)
        for kind, roles in ((_GP, ("abs_hi", "abs_lo")), (_TP, ("tp_hi", "tp_lo"))):
            ishi, islo = is_(roles[0]), is_(roles[1])
            rows = np.nonzero((ishi | islo) & exec_)[0]
            if len(rows) == 0:
                self.cand[kind] = (np.zeros(0, np.int64), np.zeros(1, np.int64))
                continue
            f, s = L.file[rows], L.sec[rows]
            g = L.gid[rows]
            idn = np.where(g != 0, g, -L.sym[rows] - 1)
            order = _order_by(f, s, idn)
            rows, f, s, idn = rows[order], f[order], s[order], idn[order]
            new = np.ones(len(rows), dtype=bool)
            new[1:] = (f[1:] != f[:-1]) | (s[1:] != s[:-1]) | (idn[1:] != idn[:-1])
            starts = np.flatnonzero(new)
            has_hi = np.maximum.reduceat(ishi[rows], starts)
            has_lo = np.maximum.reduceat(islo[rows], starts)
            all_rx = np.minimum.reduceat(relaxed[rows], starts)
            # a LO12 in a section without a HI20 for its symbol uses a register set elsewhere
            # (another section of the file): then no HI20 of that symbol in that file may go
            gf, gi = f[starts], idn[starts]
            go = np.lexsort((gi, gf))
            gnew = np.ones(len(go), dtype=bool)
            gnew[1:] = (gf[go][1:] != gf[go][:-1]) | (gi[go][1:] != gi[go][:-1])
            gst = np.flatnonzero(gnew)
            orph = np.maximum.reduceat(~has_hi[go], gst)
            orphan = np.empty(len(go), dtype=bool)
            orphan[go] = np.repeat(orph, np.diff(np.append(gst, len(go))))
            ok = ~orphan & all_rx & has_lo & has_hi
            lens = np.diff(np.append(starts, len(rows)))
            keep = np.repeat(ok, lens)
            rows = rows[keep]
            glen = lens[ok]
            self.cand[kind] = (rows, np.concatenate([[0], np.cumsum(glen)]).astype(np.int64))
        # PC-relative pairs (a PCREL_HI20 and every PCREL_LO12 naming its label): made after the
        # estimate, around the HI20s it could relax (_pc_groups)
        self.pc_his = np.nonzero(is_("pc_hi"))[0]
        self.pc_los = np.nonzero(is_("pc_lo"))[0]
        # (the HI20s that may relax: to gp, or (not in a PIE or a shared object) to x0 for a
        # value within +-2 KiB of 0, as GNU ld)
        self.pc_x0 = not ctx.opts.position_independent()
        self.pc_hc = self.pc_his[relaxed[self.pc_his] & exec_[self.pc_his]] \
            if len(self.pc_los) and (_gp_defined(ctx) or self.pc_x0) else self.pc_his[:0]
        self.pc_zero = np.zeros(0, dtype=bool)
        self.cand[_PCGP] = (np.zeros(0, np.int64), np.zeros(1, np.int64))
        self._number_groups()

    def _number_groups(self) -> None:
        """Group ids: calls first, then the gp, tp and pcgp groups."""
        self.gbase = {}
        base = len(self.calls)
        for kind in (_GP, _TP, _PCGP):
            self.gbase[kind] = base
            base += len(self.cand[kind][1]) - 1

    def _pc_pairs(self, his: np.ndarray, los: np.ndarray):
        """(PCREL_LO12 row, PCREL_HI20 row) of every LO12 whose label is the place of a HI20
        (the last one there), the HI20 relaxable (R_RISCV_RELAX, in code) and not spoiled (a
        LO12 of it in another section or without R_RISCV_RELAX); rows of ``his`` and ``los``
        (which must hold every row of the files they name)."""
        ctx, t, L = self.ctx, self.ctx.rel, self.L
        relaxed, exec_ = self.relaxed, self.exec_
        z = np.zeros(0, dtype=np.int64)
        if len(his) == 0 or len(los) == 0:
            return z, z
        lf = L.file[los]
        shndx_all, ybase = self.shndx
        lab_sec = shndx_all[ybase[lf] + L.sym[los]]          # the label's (section, value)
        lab_val = _st_values(ctx, lf, L.sym[los])
        hf, hsec, hoff = L.file[his], L.sec[his], L.offset[his]
        if len(his) + len(los) <= 64:
            lo_m, h_m = _join_few(his, los, (hf, hsec, hoff), (lf, lab_sec, lab_val))
        else:
            fb = int(hf.max()).bit_length()
            sb = int(hsec.max()).bit_length()
            ob = max(int(hoff.max()), 0).bit_length()
            if fb + sb + ob <= 62 and int(hoff.min()) >= 0:
                # one int64 key per place: (file, section, offset) packed
                hkey = (hf << np.int64(sb + ob)) | (hsec << np.int64(ob)) | hoff
                valid = (lab_sec >= 0) & (lab_sec <= int(hsec.max())) & (lab_val >= 0) \
                    & (lab_val <= int(hoff.max()))
                qkey = np.where(valid, (lf << np.int64(sb + ob)) | (lab_sec << np.int64(ob)) | lab_val, -1)
                ho = np.argsort(hkey, kind="stable")
                hs_ = hkey[ho]
                # the last PCREL_HI20 at a place names it (as a dict would keep)
                last = np.ones(len(ho), dtype=bool)
                last[:-1] = hs_[1:] != hs_[:-1]
                hs_, hrow = hs_[last], his[ho][last]
                pos = np.minimum(np.searchsorted(hs_, qkey), len(hs_) - 1)
                match = valid & (hs_[pos] == qkey)
                lo_m = los[match]
                h_m = hrow[pos[match]]
            else:
                lo_m, h_m = _join_labels(L, his, los, lf, lab_sec, lab_val)
        spoiled = np.zeros(t.n, dtype=bool)
        bad = (L.sec[lo_m] != L.sec[h_m]) | ~relaxed[lo_m]
        spoiled[h_m[bad]] = True
        good = ~spoiled[h_m] & relaxed[h_m] & exec_[h_m]
        return lo_m[good], h_m[good]

    def _pc_groups(self) -> None:
        """The PC-relative groups, on the estimate: only around the HI20s whose value it puts
        within gp +-2 KiB at an address the layout decides (what _decide relaxes; at riscv64
        400x50, 96 of 225,000), and only the files that hold one are paired (a label is local
        to its file)."""
        L = self.L
        hc, gp = self.pc_hc, self.gp
        zero = np.zeros(0, dtype=bool)
        if len(hc):
            v = self.pc_SA
            zero = (v >= -0x800) & (v <= 0x7FF) & self.pc_x0     # (GNU ld: x0 first, then gp)
            near = zero | ((v - gp >= -0x800) & (v - gp <= 0x7FF)) if gp is not None else zero
            if self.pc_usable is not None:
                keep = near & (self.pc_usable | zero)
            else:
                keep = near.copy()
                keep[keep & ~zero] = _targets(self.ctx, L, hc[keep & ~zero], self.shndx, self.addressed)[0]
            hc, zero = hc[keep], zero[keep]
        rows, gst = np.zeros(0, np.int64), np.zeros(1, np.int64)
        if len(hc):
            fm = np.zeros(len(self.ctx.files), dtype=bool)
            fm[L.file[hc]] = True
            his, los = self.pc_his, self.pc_los
            lo_m, h_m = self._pc_pairs(his[fm[L.file[his]]], los[fm[L.file[los]]])
            at = np.minimum(np.searchsorted(hc, h_m), len(hc) - 1)
            near = hc[at] == h_m
            rows, gst = _pc_group_rows(lo_m[near], h_m[near])
        # (per group: whether its value is within x0's reach)
        self.pc_zero = zero[np.searchsorted(hc, rows[gst[:-1]])] if len(gst) > 1 else np.zeros(0, dtype=bool)
        self.cand[_PCGP] = (rows, gst)
        self._number_groups()

    @property
    def total(self) -> int:
        """Most bytes the pass may delete (8 a call, 4 a row of a group, the ALIGN paddings),
        with every PC-relative group the full pairing would make: counted only when asked
        (a --section-start, a LUI that may become C.LUI)."""
        got = self.__dict__.get("_total")
        if got is None:
            t = self.ctx.rel
            lo_m, h_m = self._pc_pairs(self.pc_his, self.pc_los)
            npc = len(_pc_group_rows(lo_m, h_m)[0])
            got = 8 * len(self.calls) + 4 * (len(self.cand[_GP][0]) + len(self.cand[_TP][0]) + npc)
            got += int(t.addend[t.kind == Kind.ALIGN].sum())
            self._total = got
        return got

    def _estimate(self) -> None:
        """Addresses of the estimated layout, and what bounds the move of every address."""
        ctx, t, L = self.ctx, self.ctx.rel, self.L
        # the rows the decisions read: calls, every row of a gp group and the first row of
        # each tp group (its rows name one symbol: the others differ only by their addends);
        # and the value of every HI20 that may relax (the PC-relative groups are made on the
        # estimate, around the few whose target is near gp: _pc_groups)
        mark = np.zeros(t.n, dtype=bool)
        mark[self.calls] = True
        mark[self.cand[_GP][0]] = True
        trows, tst = self.cand[_TP]
        tfirst = trows[tst[:-1]]
        mark[tfirst] = True
        rows = np.flatnonzero(mark)
        hc = self.pc_hc
        both = np.concatenate([rows, hc]) if len(hc) else rows
        from xld.link.relocate import symbol_values
        S = symbol_values(ctx, t.file[both], t.sym[both], self.shndx)
        self.pc_SA = S[len(rows):] + t.addend[hc]
        S = S[:len(rows)]
        P = places(ctx, rows)
        # columns over the candidate rows only, read by row number
        slot = np.full(t.n, -1, dtype=np.int32)
        slot[rows] = np.arange(len(rows), dtype=np.int32)
        self.addressed = addressed_sections(ctx)
        # (the HI20s' targets in the same lookup when they are few: _pc_groups reads them)
        few = len(hc) <= _SMALL
        usable, tf, ts = _targets(ctx, L, both if few else rows, self.shndx, self.addressed)
        self.pc_usable = usable[len(rows):] if few else None
        usable, tf, ts = usable[:len(rows)], tf[:len(rows)], ts[:len(rows)]
        # calls through the PLT target its entry (S is its address): not an input section
        via = np.searchsorted(rows, self.calls)[self._via_plt(self.calls)]
        usable[via], tf[via], ts[via] = True, 0, -1
        self.slot = slot
        self.P, self.SA = _ByRow(slot, P), _ByRow(slot, S + t.addend[rows])
        self.usable, self.tfile, self.tsec = _ByRow(slot, usable), _ByRow(slot, tf), _ByRow(slot, ts)
        self.gp = _gp(ctx)
        self.tp = ctx.tp_base
        self.chunks = _Chunks(ctx, lambda: self.total, self.placed)
        c = self.calls
        self.call_margin = self.chunks.slacks(self.P[c], self.SA[c])
        # absolute symbols (zero page)
        gr = self.cand[_GP][0]
        self.absolute = _ByRow(slot, np.zeros(len(rows), dtype=bool))
        if len(gr):
            self.absolute.values[slot[gr]] = _absolute_rows(ctx, L, gr, self.shndx)
        # each tp group's symbol value and whether it is usable (by group)
        ti = slot[tfirst]
        self.tp_S, self.tp_usable = S[ti], usable[ti]

    def _via_plt(self, calls: np.ndarray) -> np.ndarray:
        """Which ``calls`` (rows) name a symbol with a PLT entry, when the architecture
        relaxes those against the entry (hook "relax_plt_calls")."""
        ctx = self.ctx
        dyn = ctx.dyn
        if dyn is None or not dyn.plt or not ctx.arch.hooks.get("relax_plt_calls"):
            return np.zeros(len(calls), dtype=bool)
        g = self.L.gid[calls]
        via = (g != 0) & member(g, dyn.plt)
        if ctx.ifuncs and not ctx.arch.hooks.get("relax_ifuncs", True):
            via &= ~member(g, ctx.ifuncs)      # (our own IFUNCs: see _targets)
        return via

    def _decide(self, excluded: set[int]):
        ctx, ty = self.ctx, self.ty
        L = self.L
        regs = ctx.arch.hooks["relax_regs"]
        relax_calls = ctx.arch.hooks["relax_calls"]
        set_rs1 = ctx.arch.hooks["set_rs1"]
        E = _EditSet()
        sites: list[tuple[int, int, list[int]]] = []
        stats = {"call->jal": 0, "call->c.j": 0, "gp": 0, "pcrel->gp": 0, "tp": 0, "lui->c.lui": 0}
        lui_howto = ctx.arch.hooks.get("relax_lui_howto")      # what a shortened LUI site becomes
        exc = np.array(sorted(excluded), dtype=np.int64)
        src = self._contents                # (the sites' words are read from there)
        self.site_calls = (np.zeros(0, np.int64), np.zeros(0, np.int64))

        # calls, all at once
        c = self.calls
        if len(c):
            cid = np.arange(len(c), dtype=np.int64)
            ok = self.usable[c] & ~member(cid, exc)
            c, cid, margin = c[ok], cid[ok], self.call_margin[ok]
            dist = self.SA[c] - self.P[c]
            same = (self.tfile[c] == L.file[c]) & (self.tsec[c] == L.sec[c])
            m = np.where(same, 0, margin)
            worst = np.where(dist >= 0, dist + m, dist - m)
            worst += worst & 1
            rvc_f = np.array([0] + [int(f.e_flags) & 1 for f in ctx.files[1:]], dtype=np.int64)
            rvc = rvc_f[L.file[c]]
            w = _read_words(ctx, L, c, 8, src)
            # the form for the worst distance; the relocation pass writes the real immediate
            ln, val = relax_calls(w, worst, rvc.astype(bool))
            sel = ln > 0
            c, cid, ln, val = c[sel], cid[sel], ln[sel], val[sel]
            f, s, off = L.file[c], L.sec[c], L.offset[c]
            E.patches.append((f, s, off, val, ln))
            E.dels.append((f, s, off + ln, 8 - ln))
            newt = np.where(ln == 2, ty["rvc_jump"][0], ty["jal"][0]).astype(np.int64)
            E.rows.append((c, newt, np.full(len(c), int(Kind.CALL), dtype=np.int64)))
            nc = int((ln == 2).sum())
            stats["call->c.j"] += nc
            stats["call->jal"] += len(c) - nc
            self.site_calls = (cid, c)

        gp = self.gp
        SA, usable = self.SA, self.usable
        drops, rebases = [], []       # row arrays; (rows, reg, new types, new kind)
        for kind in (_GP, _TP, _PCGP):
            rows, gst = self.cand[kind]
            ng = len(gst) - 1
            if ng == 0:
                continue
            gids = self.gbase[kind] + np.arange(ng, dtype=np.int64)
            lens = np.diff(gst)
            alive = ~member(gids, exc)
            typ = L.type[rows]
            if kind == _PCGP:
                ishi = np.zeros(len(rows), dtype=bool)
                ishi[gst[:-1]] = True
            elif kind == _GP:
                ishi = member(typ, ty["abs_hi"])
            else:
                ishi = member(typ, ty["tp_hi"])
            islo = ~ishi
            if kind == _GP:
                v = SA[rows]
            elif kind == _TP:
                v = np.repeat(self.tp_S, lens) + L.addend[rows]
            g0 = gst[:-1]
            go_zero = go_lui = None
            if kind == _GP:
                zero = np.minimum.reduceat(self.absolute[rows], g0)
                zin = np.minimum.reduceat(~islo | ((v >= -0x800) & (v <= 0x7FF)), g0)
                allu = np.minimum.reduceat(usable[rows], g0)
                if gp is None:
                    gin = np.zeros(ng, dtype=bool)
                else:
                    gin = np.minimum.reduceat(~islo | ((v - gp >= -0x800) & (v - gp <= 0x7FF)), g0)
                go_zero = alive & zero & zin
                go = alive & ~zero & allu & gin
                go_lui = np.zeros(ng, dtype=bool)
                if lui_howto is not None:
                    h = lui_howto
                    cand = alive & ~zero & allu & ~gin
                    # (a HI20 above the C.LUI range fails whatever moves: then the most the
                    # pass may delete need not be counted)
                    cand &= np.minimum.reduceat(~ishi | (v <= h.hi), g0) & np.maximum.reduceat(ishi, g0)
                    if cand.any():
                        down = self.total + self.chunks.slacks(np.full(len(v), h.lo, dtype=np.int64), v)
                        fits = ~ishi | ((h.lo <= v - down) & (v <= h.hi))
                        go_lui = cand & np.minimum.reduceat(fits, g0)
            elif kind == _TP:
                allu = self.tp_usable
                tin = np.minimum.reduceat(~islo | ((v - self.tp >= -0x800) & (v - self.tp <= 0x7FF)), g0)
                go = alive & allu & tin
            else:
                # (made only around HI20s within x0's reach, or gp +-2 KiB at an address the
                # layout decides)
                go_zero = alive & self.pc_zero
                go = alive & ~self.pc_zero
            for sel, sk in ((go, _SK_TP if kind == _TP else _SK_GP), (go_zero, _SK_ZERO)):
                if sel is None or not sel.any():
                    continue
                rm = np.repeat(sel, lens)
                gid_row = np.repeat(gids, lens)
                drops.append(rows[rm & ishi])
                lm = rm & islo
                los = rows[lm]
                lt = L.type[los].astype(np.int64)
                if sk == _SK_ZERO and kind == _PCGP:     # (the HI20's value, from x0)
                    st_ = member(lt, ty["s_type"])
                    rebases.append((los, regs["zero"], np.where(st_, ty["lo_s"][0], ty["lo_i"][0]), Kind.ADDR))
                    E.copy.append((los, np.repeat(rows[g0], lens)[lm]))
                    stats["zero-page"] = stats.get("zero-page", 0) + int(sel.sum())
                elif sk == _SK_ZERO:
                    rebases.append((los, regs["zero"], lt, Kind.ADDR))
                    stats["zero-page"] = stats.get("zero-page", 0) + int(sel.sum())
                elif sk == _SK_TP:
                    rebases.append((los, regs["tp"], lt, Kind.TLS_LE))
                    stats["tp"] += int(sel.sum())
                else:
                    st_ = member(lt, ty["s_type"])
                    rebases.append((los, regs["gp"], np.where(st_, ty["lo_s"][0], ty["lo_i"][0]), Kind.GP_REL))
                    if kind == _PCGP:       # the value is the HI20's: take its symbol
                        E.copy.append((los, np.repeat(rows[g0], lens)[lm]))
                    stats["gp" if kind == _GP else "pcrel->gp"] += int(sel.sum())
                sites.append((gid_row[lm], np.full(len(los), sk, dtype=np.int64), los))
            if go_lui is not None and go_lui.any():
                self._c_lui(rows, lens, ishi, go_lui, gids, E, lui_howto, sites, stats, src)
        none_t = ty["none"][0]
        # the words at the dropped and rebased sites, in one read (a dropped site needs only
        # its low bits: the length of its instruction)
        d = np.concatenate(drops) if drops else np.zeros(0, dtype=np.int64)
        words = _read_words(ctx, L, np.concatenate([d] + [r[0] for r in rebases]), 4, src)
        at = len(d)
        if drops:
            # the instruction at each dropped row goes, and its relocation becomes NONE
            w = words[:at]
            E.dels.append((L.file[d], L.sec[d], L.offset[d],
                           np.where((w & np.uint64(3)) == 3, 4, 2).astype(np.int64)))
            allr = d
            E.rows.append((allr, np.full(len(allr), none_t, dtype=np.int64),
                           np.full(len(allr), int(Kind.NONE), dtype=np.int64)))
        for los, reg, newt, newk in rebases:
            w = words[at:at + len(los)].astype(np.int64)
            at += len(los)
            if len(los) == 0:
                continue
            E.patches.append((L.file[los], L.sec[los], L.offset[los], set_rs1(w, reg),
                              np.full(len(los), 4, dtype=np.int64)))
            E.rows.append((los, np.broadcast_to(np.asarray(newt, dtype=np.int64), los.shape),
                           np.full(len(los), int(newk), dtype=np.int64)))
        self.stats = stats
        return E, sites

    def _site_sections(self) -> np.ndarray:
        """(file << 32 | section) of the sections of the candidate sites (calls, the gp and tp
        groups, the PC-relative HI20s that may relax: their groups' LO12s are in the same
        section) and of the R_RISCV_ALIGN paddings, sorted: every section _decide reads or
        _shrink edits.  Marked by part (a part is one section's rows)."""
        t = self.ctx.rel
        rows = np.concatenate([self.calls, self.cand[_GP][0], self.cand[_TP][0], self.pc_hc,
                               np.flatnonzero(t.kind == Kind.ALIGN)])
        mark = np.zeros(len(t.counts), dtype=bool)
        mark[np.searchsorted(np.cumsum(t.counts), rows, side="right")] = True
        return _unique(((t.part_file.astype(np.int64) << 32) | t.part_sec)[mark])

    def _c_lui(self, rows, lens, ishi, go, gids, E, h, sites, stats, src) -> None:
        """LUI -> C.LUI where %hi stays a nonzero 6-bit number: addresses only move down, by
        at most everything deletable plus the padding that may grow before them (``go``: the
        gp groups whose every HI20 is in that range, by group of ``rows``, ``lens`` rows
        each); a group goes all or nothing: every HI20 of it must have a C.LUI form."""
        ctx = self.ctx
        L = self.L
        relax_lui = ctx.arch.hooks["relax_lui"]
        at = np.flatnonzero(np.repeat(go, lens) & ishi)       # the HI20s, in group order
        hr = rows[at]
        hg = (np.repeat(np.arange(len(lens)), lens)[at]).tolist()
        f, sec, off = L.file[hr], L.sec[hr], L.offset[hr]
        words = src.words(f, sec, off, 4).tolist()
        rvc = np.array([0] + [int(o.e_flags) & 1 for o in ctx.files[1:]], dtype=bool)[f].tolist()
        codes = [relax_lui(w, c) for w, c in zip(words, rvc)]
        failed = {g for g, code in zip(hg, codes) if code is None}
        done = [k for k, g in enumerate(hg) if g not in failed]
        if not done:
            return
        fl, sl, ol, rl = f.tolist(), sec.tolist(), off.tolist(), hr.tolist()
        for k in done:
            code = codes[k]
            E.pp.append((fl[k], sl[k], ol[k], int.from_bytes(code, "little"), len(code)))
            E.pd.append((fl[k], sl[k], ol[k] + 2, 2))
            E.pr.append((rl[k], h.type, int(h.kind)))
        stats["lui->c.lui"] += len(done)
        rs = hr[done]
        gid = gids[np.asarray([hg[k] for k in done], dtype=np.int64)]
        sites.append((gid.astype(np.int64), np.full(len(rs), _SK_LUI, dtype=np.int64), rs))

    def _verify(self, sites) -> set[int]:
        """The groups whose relaxed sites do not fit the final layout (none, normally)."""
        ctx, t = self.ctx, self.ctx.rel
        cid, crow = self.site_calls
        if not sites and len(crow) == 0:
            return set()
        sg = [x[0] for x in sites] + [cid]
        sk = [x[1] for x in sites] + [np.full(len(crow), _SK_CALL, dtype=np.int64)]
        sr = [x[2] for x in sites] + [crow]
        sg, sk, sr = np.concatenate(sg), np.concatenate(sk), np.concatenate(sr)
        rows = _unique(sr)
        P, S = place_and_value(ctx, rows)
        i = np.searchsorted(rows, sr)
        val = (S + t.addend[rows])[i]
        pos = P[i]
        gp, tp = _gp(ctx), ctx.tp_base
        good = np.zeros(len(sr), dtype=bool)
        typ = t.type[sr]
        for k in _unique(sk).tolist():
            m = sk == k
            if k == _SK_CALL or k == _SK_LUI:
                table = ctx.arch.howtos if k == _SK_CALL else ctx.arch.hooks["relax_howtos"]
                for ty_ in _unique(typ[m]).tolist():
                    mm = m & (typ == ty_)
                    h = table[int(ty_)]
                    if k == _SK_CALL:
                        v = val[mm] - pos[mm]
                        good[mm] = (h.lo <= v) & (v <= h.hi) & (v % h.align == 0)
                    else:
                        good[mm] = (h.lo <= val[mm]) & (val[mm] <= h.hi)
            elif k == _SK_GP:
                good[m] = False if gp is None else ((val[m] - gp >= -0x800) & (val[m] - gp <= 0x7FF))
            elif k == _SK_ZERO:
                good[m] = (val[m] >= -0x800) & (val[m] <= 0x7FF)
            else:
                good[m] = (val[m] - tp >= -0x800) & (val[m] - tp <= 0x7FF)
        return set(sg[~good].tolist())


# the roles _candidates asks each row about (bits of _role_bits, in this order)
_CAND_ROLES = ("call", "abs_hi", "abs_lo", "tp_hi", "tp_lo", "pc_hi", "pc_lo")


def _role_bits(col: np.ndarray, sets) -> np.ndarray:
    """Bit k of each element's byte: whether it is among ``sets[k]`` (small non-negative
    integers, at most 8 sets), as ``member`` answers for one: past the largest, none."""
    top = max((max(s) for s in sets if s), default=0) + 2
    table = np.zeros(top, dtype=np.uint8)
    for k, s in enumerate(sets):
        for v in s:
            table[v] |= 1 << k
    if col.dtype.kind == "u" and col.dtype.itemsize < 8:
        # (clamped straight into an index array: a gather by any other type casts first)
        return table[np.minimum(col, top - 1, dtype=np.intp)]
    return table[np.minimum(col, top - 1)]


def _pc_group_rows(lo_m: np.ndarray, h_m: np.ndarray):
    """PC-relative groups from (LO12 row, HI20 row) pairs: (rows, group starts), each group
    its HI20 then its LO12s, groups by HI20 row."""
    if len(lo_m) == 0:
        return np.zeros(0, np.int64), np.zeros(1, np.int64)
    go = np.lexsort((lo_m, h_m))
    lo_m, h_m = lo_m[go], h_m[go]
    new = np.ones(len(h_m), dtype=bool)
    new[1:] = h_m[1:] != h_m[:-1]
    first = np.flatnonzero(new)
    hu = h_m[first]
    cnt = np.diff(np.append(first, len(h_m)))
    gstart = np.concatenate([[0], np.cumsum(cnt + 1)]).astype(np.int64)
    rows = np.empty(len(lo_m) + len(hu), dtype=np.int64)
    rows[gstart[:-1]] = hu
    lopos = np.ones(len(rows), dtype=bool)
    lopos[gstart[:-1]] = False
    rows[lopos] = lo_m
    return rows, gstart


def _st_values(ctx, f: np.ndarray, y: np.ndarray) -> np.ndarray:
    """st_value of symbols ``y`` of files ``f`` (int64): a gather per file named, not a
    copy of every file's column."""
    out = np.empty(len(f), dtype=np.int64)
    if len(f) == 0:
        return out
    o = np.argsort(f, kind="stable")
    fs = f[o]
    cut = (np.flatnonzero(fs[1:] != fs[:-1]) + 1).tolist()
    files = ctx.files
    for a, z in zip([0] + cut, cut + [len(o)]):
        ii = o[a:z]
        out[ii] = files[int(fs[a])].syms["st_value"][y[ii]].view(np.int64)
    return out


def _order_by(f: np.ndarray, s: np.ndarray, idn: np.ndarray) -> np.ndarray:
    """The stable order of rows by (f, s, idn) (non-negative f and s): one sort of a packed
    key when the three fit in 63 bits (a sort, not lexsort's four), else lexsort."""
    if len(f) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(f) <= 64:            # (one call: the packed key's dozen cost more on a few rows)
        return np.lexsort((idn, s, f))
    f = f.astype(np.int64, copy=False)
    s = s.astype(np.int64, copy=False)
    lo = int(idn.min())
    fb = int(f.max()).bit_length()
    sb = int(s.max()).bit_length()
    ib = (int(idn.max()) - lo).bit_length()
    if fb + sb + ib > 63 or int(f.min()) < 0 or int(s.min()) < 0:
        return np.lexsort((np.arange(len(f)), idn, s, f))
    key = f << np.int64(sb + ib)
    key |= s << np.int64(ib)
    key |= idn.astype(np.int64) - lo
    return np.argsort(key, kind="stable")


def _unique(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values of a 1-D array (plain np.unique imports numpy.ma in NumPy 2:
    8 ms of a small link)."""
    s = np.sort(a)
    if len(s) < 2:
        return s
    keep = np.empty(len(s), dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


class _ByRow:
    """A column over some rows of the relocation table, indexed by row number."""

    def __init__(self, slot: np.ndarray, values: np.ndarray):
        self.slot, self.values = slot, values

    def __getitem__(self, rows):
        return self.values[self.slot[rows]]


class _Chunks:
    """Input sections of the estimated layout in address order, each with the most its start
    can move against the bytes before it once sections shrink (alignment - 1; two pages at a
    segment start; everything deletable at a --section-start)."""

    def __init__(self, ctx, total_deletable, placed):
        """``placed``: what lay_out returned for the estimated layout (the section table and
        each output section's rows in it); ``total_deletable()``: the most bytes the pass
        may delete."""
        page = ctx.opts.max_page_size or ctx.arch.max_page_size
        seg_starts = {s[1] for s in ctx.segments}
        secs, rows_of = placed
        # (the output sections' input rows joined, then a few array operations for all: a
        # dynamic hello has ~25 output sections; an empty output section is one chunk of its
        # own, after them: chunks at the same address count together, in any order)
        rows, base, count, heads = [], [], [], []
        lone_at, lone_first = [], []
        for o in ctx.ordered:
            if not o.alloc:
                continue
            if o.name in ctx.opts.section_start:
                first = total_deletable() + 2 * page
            elif o.addr in seg_starts:
                first = 2 * page
            else:
                first = o.align - 1
            if o.inputs:
                r = rows_of[id(o)]
                rows.append(r)
                base.append(o.addr)
                count.append(len(r))
                heads.append(first)
            else:
                lone_at.append(o.addr)
                lone_first.append(first)
        rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        count = np.asarray(count, dtype=np.int64)
        sl = np.maximum(secs.align[rows], 1) - 1
        head = np.cumsum(count) - count
        sl[head] = np.maximum(np.asarray(heads, dtype=np.int64), sl[head])
        starts = np.concatenate([np.repeat(np.asarray(base, dtype=np.int64), count) + secs.out[rows],
                                 np.asarray(lone_at, dtype=np.int64)])
        slack = np.concatenate([sl, np.asarray(lone_first, dtype=np.int64)])
        order = np.argsort(starts, kind="stable")
        self.starts = starts[order]
        self.cum = np.concatenate([[0], np.cumsum(slack[order])])

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

def lay_out(ctx, symbols: bool = True):
    """Addresses for everything, as the driver's layout passes compute them (but the symbols'
    only with ``symbols``: else place_and_value needs the table of symbol sections).  Returns
    layout.finalize_section_addresses's section table and rows."""
    from xld.link import layout, linker_values, relocate
    layout.place(ctx)
    placed = layout.finalize_section_addresses(ctx)
    linker_values.linker_symbol_values(ctx)
    linker_values.compute_tp(ctx)
    if symbols:
        relocate.symbol_addresses(ctx)
    else:
        ctx.gaddr = None
    return placed


def _join_few(his: np.ndarray, los: np.ndarray, at_hi, label):
    """_join_labels for a few rows, through a dict: ``at_hi`` (file, section, offset) of each
    HI20, ``label`` (file, section, value) of each LO12's label."""
    place = {}
    for h, key in zip(his.tolist(), zip(*(c.tolist() for c in at_hi))):
        place[key] = h                  # (the last PCREL_HI20 at a place names it)
    pairs = [(lo, place.get(key)) for lo, key in zip(los.tolist(), zip(*(c.tolist() for c in label)))]
    return (np.array([lo for lo, h in pairs if h is not None], dtype=np.int64),
            np.array([h for _, h in pairs if h is not None], dtype=np.int64))


def _join_labels(L, his, los, lf, lab_sec, lab_val):
    """(PCREL_LO12 row, PCREL_HI20 row) pairs where the LO12's label is the HI20's place."""
    hk = np.stack([L.file[his], L.sec[his], L.offset[his]])
    qk = np.stack([lf, lab_sec, lab_val])
    # the last PCREL_HI20 at a place names it (as a dict would keep)
    ho = np.lexsort((his, hk[2], hk[1], hk[0]))
    hs = hk[:, ho]
    last = np.ones(len(ho), dtype=bool)
    last[:-1] = (hs[:, 1:] != hs[:, :-1]).any(axis=0)
    hs, hrow = hs[:, last], his[ho][last]
    # join: both sorted by (file, sec, value) -> one lexsort over the union
    allk = np.concatenate([hs, qk], axis=1)
    isq = np.concatenate([np.zeros(hs.shape[1], bool), np.ones(len(los), bool)])
    ao = np.lexsort((isq, allk[2], allk[1], allk[0]))
    # for each query, the latest hi at or before it in that order with an equal key
    ks = allk[:, ao]
    hidx = np.where(~isq[ao], np.arange(len(ao)), -1)
    lasthi = np.maximum.accumulate(hidx)
    qpos = np.flatnonzero(isq[ao])
    lh = lasthi[qpos]
    match = lh >= 0
    match[match] = (ks[:, lh[match]] == ks[:, qpos[match]]).all(axis=0)
    qsrc = ao[qpos] - hs.shape[1]          # index into los
    hsrc = ao[np.where(match, lh, 0)]      # index into hs (a hi)
    return los[qsrc[match]], hrow[hsrc[match]]


def _absolute_rows(ctx, L, rows: np.ndarray, shndx) -> np.ndarray:
    """Whether each row's symbol is an absolute (SHN_ABS) definition."""
    st = ctx.symtab
    g = L.gid[rows]
    def_file = np.asarray(st.def_file, dtype=np.int64)
    def_index = np.asarray(st.def_index, dtype=np.int64)
    isg = g != 0
    f = np.where(isg, def_file[g], L.file[rows])
    s = np.where(isg, def_index[g], L.sym[rows])
    out = np.zeros(len(rows), dtype=bool)
    valid = f > 0
    shndx_all, ybase = shndx
    out[valid] = shndx_all[ybase[f[valid]] + s[valid]] == elf.SHN_ABS
    return out


def _gp_defined(ctx) -> bool:
    """Whether the linker defines __global_pointer$ (as GNU ld does) and gp may be used.
    Never in a shared object: gp holds the program's __global_pointer$ (its _start sets it),
    not the library's, so a gp-relative address there is the program's (a library linked with
    --defsym=__global_pointer$=... read its data through the program's gp)."""
    from xld.link.resolve import LINKER
    if ctx.opts.shared:
        return False
    st = ctx.symtab
    g = st.ids.get(GP_NAME)
    return g is not None and st.def_file[g] == LINKER and bool(ctx.opts.relax_gp)


def _gp(ctx) -> int | None:
    """The value of __global_pointer$ when the linker defines it (as GNU ld does), else None."""
    if not _gp_defined(ctx):
        return None
    return int(ctx.gaddr[ctx.symtab.ids[GP_NAME]])


def _exec_rows(ctx) -> np.ndarray:
    """Whether each row's section is allocated code: one lookup per part in every file's
    section flags, one array."""
    t = ctx.rel
    want = np.uint64(elf.SHF_EXECINSTR | elf.SHF_ALLOC)
    files = ctx.files[1:]
    nsec = np.fromiter((len(o.shdrs) for o in files), dtype=np.int64, count=len(files))
    sbase = np.zeros(len(files) + 1, dtype=np.int64)
    sbase[1:] = np.cumsum(nsec) - nsec
    flags = np.concatenate([o.shdrs["sh_flags"] for o in files])
    per_part = (flags[sbase[t.part_file] + t.part_sec] & want) == want
    return np.repeat(per_part, t.counts)


def places(ctx, rows: np.ndarray) -> np.ndarray:
    """P, the address of each row's site, on the current layout."""
    from xld.link.relocate import file_tables
    t = ctx.rel
    sec_addr, sbase = file_tables(ctx.files, "sec_addr")
    return sec_addr[sbase[t.file[rows]] + t.sec[rows]] + t.offset[rows]


def place_and_value(ctx, rows: np.ndarray, shndx=None):
    """P (address of the site) and S (symbol value) of the given rows, from the current layout
    (S from ``ctx.sym_values``, made by relocate.symbol_addresses; with ``shndx``,
    file_tables(files, "sym_shndx"): after lay_out(ctx, symbols=False), the symbols of those
    rows only are looked up, and ``ctx.gaddr`` is made)."""
    from xld.link.relocate import file_tables, symbol_values
    t = ctx.rel
    f = t.file[rows]
    sec_addr, sbase = file_tables(ctx.files, "sec_addr")
    P = sec_addr[sbase[f] + t.sec[rows]] + t.offset[rows]
    del sec_addr
    if shndx is not None:
        return P, symbol_values(ctx, f, t.sym[rows], shndx)
    # (every file's S is a view of the symbols pass's one table: not joined again, 10 MB at
    # riscv64 400x50)
    all_S, _, ybase = ctx.sym_values
    S = all_S[ybase[f] + t.sym[rows]]
    return P, S


def _read_words(ctx, L, rows: np.ndarray, n: int, src: "_Contents") -> np.ndarray:
    """The little-endian n-byte words at the given rows' sites (pristine offsets), as uint64."""
    return src.words(L.file[rows], L.sec[rows], L.offset[rows], n)


_READ_CHUNK = 1 << 13     # _Contents.words: rows gathered at a time


class _Contents:
    """The contents of some input sections (``keys``: file << 32 | section, sorted) one after
    another in one buffer: the decisions read the sites' words from it with one gather (not
    one a mapped input: riscv64 400x50 has 640), and _shrink edits the sections that change
    in it (not read from the inputs a second time)."""

    def __init__(self, ctx, src: "Sources", keys: np.ndarray):
        self.keys = keys
        self.buf, self.base, self.sizes = _section_bytes(ctx, src, keys)

    def words(self, f: np.ndarray, sec: np.ndarray, off: np.ndarray, n: int) -> np.ndarray:
        """The little-endian n-byte words at (file, section, offset), as uint64: sections of
        ``keys`` only (a place within n bytes of a section's end reads past it, into the
        next one's bytes or the buffer's last again: bits no caller looks at)."""
        out = np.zeros(len(f), dtype=np.uint64)
        if len(f) == 0:
            return out
        i = np.searchsorted(self.keys, (f.astype(np.int64) << 32) | sec)
        pos = self.base[i] + off
        span = np.arange(n, dtype=np.int64)
        word = np.dtype(f"<u{n}")
        last = len(self.buf) - 1
        for c0 in range(0, len(pos), _READ_CHUNK):      # (the (rows, n) indexes: 64 bytes a row)
            idx = pos[c0:c0 + _READ_CHUNK, None] + span
            np.minimum(idx, last, out=idx)
            out[c0:c0 + _READ_CHUNK] = self.buf[idx].view(word).ravel()
        return out


def _section_bytes(ctx, src: "Sources | None", keys: np.ndarray, have: "_Contents | None" = None):
    """The contents of sections ``keys`` (file << 32 | section, sorted) one after another:
    (buffer, each one's start in it, its size).  A section ``have`` holds is taken from there
    (which lets go of its buffer: when it holds them all, the buffer itself, the sections left
    out moved over); a mapped input's as it is in the file, a slice of its mapping (in a large
    link, its pages given back as the buffer is made); rewritten ones, and inputs not mapped,
    through section_content."""
    files = ctx.files
    tk = keys.tolist()
    if not tk:
        z = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=np.uint8), z, z
    hit = np.zeros(len(keys), dtype=bool)
    if have is not None and len(have.keys):
        hi = np.minimum(np.searchsorted(have.keys, keys), len(have.keys) - 1)
        hit = have.keys[hi] == keys
        if hit.all():
            buf, have.buf = have.buf, None
            sizes = have.sizes[hi]
            if len(keys) < len(have.keys):
                # (in order, each section moves down over those left out before it: a copy
                # never overwrites bytes still to be moved)
                at = 0
                for b, n in zip(have.base[hi].tolist(), sizes.tolist()):
                    if b != at:
                        buf[at:at + n] = buf[b:b + n]
                    at += n
                buf = buf[:at]
            return buf, np.cumsum(sizes) - sizes, sizes
    if src is not None:
        tf_, ts_ = keys >> 32, keys & 0xFFFFFFFF
        at = src.sbase[tf_] + ts_
        m = src.mapping[tf_]
        m[src.over[at] | src.sec_nobits[at] | hit] = -1
        pos = src.start[tf_] + src.sec_off[at]
        size = src.sec_size[at]
        del tf_, ts_, at
    else:
        m = np.full(len(keys), -1, dtype=np.int64)
        pos = size = np.zeros(len(keys), dtype=np.int64)
    datas = src.datas if src is not None else []
    chunks = []
    hl = hit.tolist()
    if any(hl):
        hb, hs = have.base[hi].tolist(), have.sizes[hi].tolist()
    for j, (k, p, n, key) in enumerate(zip(m.tolist(), pos.tolist(), size.tolist(), tk)):
        if hl[j]:
            chunks.append(have.buf[hb[j]:hb[j] + hs[j]])
        elif k >= 0:
            chunks.append(datas[k][p:p + n])
        else:
            chunks.append(np.frombuffer(files[key >> 32].section_content(key & 0xFFFFFFFF), dtype=np.uint8))
    sizes = np.fromiter(map(len, chunks), dtype=np.int64, count=len(chunks))
    base = np.cumsum(sizes) - sizes
    if src is not None and src.large:
        buf = _joined_giving_back(chunks, sizes, base, m, pos, src)
    else:
        buf = np.concatenate(chunks)
    if have is not None:
        have.buf = None
    return buf, base, sizes


class Sources:
    """Where each input file's bytes are: the mapping it views (an index into ``datas``, -1
    when not a mapped file) and its start in it; every file's section offsets, sizes and
    whether each is SHT_NOBITS, one array each; and which sections have rewritten contents
    (``over``, by global section index).  Valid until section contents are rewritten (make
    a new one after)."""

    def __init__(self, ctx):
        files = ctx.files[1:]
        nsec = np.fromiter((len(o.shdrs) for o in files), dtype=np.int64, count=len(files))
        self.sbase = np.zeros(len(files) + 1, dtype=np.int64)
        self.sbase[1:] = np.cumsum(nsec) - nsec
        hdrs = elf.join_tables([o.shdrs for o in files], dtype=elf.SHDR)
        self.sec_off = hdrs["sh_offset"].astype(np.int64)
        self.sec_size = hdrs["sh_size"].astype(np.int64)
        self.sec_nobits = hdrs["sh_type"] == elf.SHT_NOBITS
        del hdrs
        self.over = np.zeros(len(self.sec_off), dtype=bool)
        self.mapping = np.full(len(files) + 1, -1, dtype=np.int64)
        self.start = np.zeros(len(files) + 1, dtype=np.int64)
        self.datas: list[np.ndarray] = []
        self.maps: list = []                # (the mmap each of ``datas`` views)
        # a large link gives back the pages it reads as it goes (give_back)
        self.large = getattr(ctx, "rel", None) is not None and ctx.rel.n >= 1 << 17
        index: dict[int, int] = {}
        # (a file's id is its place in ctx.files)
        lens = [len(o.content_override) for o in files]
        n_over = sum(lens)
        if n_over:
            over = np.fromiter(itertools.chain.from_iterable(o.content_override for o in files),
                               dtype=np.int64, count=n_over)
            over += np.repeat(self.sbase[1:], lens)
            self.over[over] = True
            del over
        fids, ks, starts = [], [], []
        for o in files:
            mm = pages.mapping_of(o) if getattr(o, "buf", None) is not None else None
            if mm is None:
                continue
            k = index.get(id(mm))
            if k is None:
                k = index[id(mm)] = len(self.datas)
                self.datas.append(np.frombuffer(mm, dtype=np.uint8))
                self.maps.append(mm)
            fids.append(o.file_id)
            ks.append(k)
            at = getattr(o, "map_offset", -1)
            if at < 0:          # (an address costs microseconds to ask for: only when needed)
                at = (o.data.__array_interface__["data"][0]
                      - self.datas[k].__array_interface__["data"][0])
            starts.append(at)
        self.mapping[fids] = ks
        self.start[fids] = starts


    def give_back(self, k: int, lo: int, hi: int) -> None:
        """The pages of mapping ``k`` in [lo, hi) given back (whole pages inside): read,
        they would stay resident to the link's peak (riscv64 400x50:b: the decisions' reads
        and the edited sections' bytes are each about the whole 112 MB archive)."""
        pages.release_span([(self.maps[k], self.datas[k][max(lo, 0):hi])])


def addressed_sections(ctx):
    """Whether each input section's contents have an address (allocated, or TLS), every
    file's in one array: (sections per file, each file's base, the flags)."""
    nsec = np.zeros(len(ctx.files), dtype=np.int64)
    nsec[1:] = [len(o.sec_outsec) for o in ctx.files[1:]]
    pbase = np.cumsum(nsec) - nsec
    # (each output section's answer once, then one lookup per input section: 400x50:b has
    # 120,000 of them)
    outs = [o for f in ctx.files[1:] for o in f.sec_outsec]
    answer = {o: o is not None and (o.flags & elf.SHF_TLS != 0 or o.alloc) for o in set(outs)}
    placed = np.fromiter(map(answer.__getitem__, outs), dtype=bool, count=len(outs))
    return nsec, pbase, placed


def _targets(ctx, L, rows: np.ndarray, shndx, addressed=None):
    """Whether the symbol of each row lives at an address the layout decides (a section, a
    common, an IFUNC stub unless hook "relax_ifuncs" is False), and its (file, section) when it is in an input section (else
    file 0, section -1)."""
    from xld.link.resolve import COMMON
    st = ctx.symtab
    g = L.gid[rows]
    isg = g != 0
    def_file = np.asarray(st.def_file, dtype=np.int64)
    def_index = np.asarray(st.def_index, dtype=np.int64)
    state = np.asarray(st.state, dtype=np.int64)
    special = np.zeros(len(rows), dtype=bool)
    if ctx.ifuncs:
        special |= isg & np.isin(g, np.array(ctx.ifuncs, dtype=np.int64))
    if ctx.local_ifuncs:
        keys = np.array([(f << 32) | y for f, y in ctx.local_ifuncs], dtype=np.int64)
        special |= ~isg & np.isin((L.file[rows].astype(np.int64) << 32) | L.sym[rows].astype(np.int64), keys)
    # (an architecture may leave every site naming an IFUNC alone: hook "relax_ifuncs")
    usable = special.copy() if ctx.arch.hooks.get("relax_ifuncs", True) else np.zeros(len(rows), dtype=bool)
    common = isg & (state[g] == COMMON)
    special |= common
    usable |= common
    f = np.where(isg, def_file[g], L.file[rows])
    s = np.where(isg, def_index[g], L.sym[rows])
    tf = np.zeros(len(rows), dtype=np.int64)
    ts = np.full(len(rows), -1, dtype=np.int64)
    idx = np.flatnonzero(~special & (f > 0))
    # sections whose contents have an address: allocated, or TLS (every file's, one array)
    nsec, pbase, placed = addressed if addressed is not None else addressed_sections(ctx)
    shndx_all, ybase = shndx
    fi = f[idx]
    sh = shndx_all[ybase[fi] + s[idx]]
    inr = (sh > 0) & (sh < elf.SHN_LORESERVE) & (sh < nsec[fi])
    good = inr.copy()
    good[inr] = placed[pbase[fi[inr]] + sh[inr]]
    usable[idx] = good
    tf[idx[good]] = fi[good]
    ts[idx[good]] = sh[good]
    return usable, tf, ts


# -- applying --------------------------------------------------------------------------------

class _Snapshot:
    """What shrinking rewrites, to start again from the input: the symbol and section tables
    of the files it edits (saved before their first edit); the relocation table is built
    again from the input's rela sections."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.objs: dict[int, tuple] = {}

    def objs_hook(self, obj) -> None:
        if obj.file_id not in self.objs:
            own = obj.tables_owned
            # tables not yet owned are the file's and are copied before any write: keep them;
            # the symbol table is never written after this (_shrink gives every file it edits
            # a new one), the section headers are when owned
            syms, shdrs = obj.syms, (elf.copy_table(obj.shdrs) if own else obj.shdrs)
            edits = obj.__dict__.get("syms_edits")
            if not own and edits is not None:
                # merge's copy (link/merge.py _writable) as what it was made from and the
                # values merge wrote: _shrink's new table is copied from it, and holding both
                # copies to the end of relaxation was 20 MiB at riscv64 400x50
                syms = edits
            self.objs[obj.file_id] = (syms, shdrs, dict(obj.content_override), own)

    @staticmethod
    def merge_copy(obj, snapshot: "_Snapshot | None") -> bool:
        """Is ``obj``'s symbol table merge's copy, which nothing but this link's passes reads
        and ``snapshot`` (if any) holds as merge's edits?  Then it is written in place."""
        if obj.tables_owned or obj.__dict__.get("syms_edits") is None:
            return False
        return snapshot is None or isinstance(snapshot.objs.get(obj.file_id, (None,))[0], tuple)

    @staticmethod
    def _table(syms) -> np.ndarray:
        """A writable copy of a saved symbol table (or of one saved as merge's edits)."""
        if isinstance(syms, tuple):
            base, rows, values = syms
            table = elf.copy_table(base)
            for r, v in zip(rows, values):
                table["st_value"][r] = v
            return table
        return elf.copy_table(syms)

    def restore(self) -> None:
        from xld.link import relocate
        old = self.ctx.rel
        t = relocate.build_table(self.ctx, *old.source)
        t.source, t.got_slot = old.source, old.got_slot     # GOT slots do not change here
        self.ctx.rel = t
        for fid, (syms, shdrs, over, own) in self.objs.items():
            obj = self.ctx.files[fid]
            obj.syms, obj.shdrs = self._table(syms), elf.copy_table(shdrs)
            obj.content_override, obj.tables_owned = dict(over), own
        self.objs = {k: (v[0] if isinstance(v[0], tuple) else elf.copy_table(v[0]),
                         elf.copy_table(v[1]), dict(v[2]), v[3])
                     for k, v in self.objs.items()}


def _shrink(ctx, edits, snapshot: "_Snapshot | None", src: "Sources | None" = None,
            contents: "_Contents | None" = None) -> None:
    """Apply the relaxation edits (an _EditSet, or None) and R_RISCV_ALIGN to every section at
    once: the deletions of all sections form one sorted table, and every offset that points
    into an edited section (relocation sites, symbol values and ends, addends against section
    symbols) moves by one lookup in it.  ``src``: the Sources of the decisions (where the
    input sections' bytes are), if made."""
    t = ctx.rel
    fill = ctx.arch.hooks["nop_fill"]
    hook = snapshot.objs_hook if snapshot is not None else None
    z = np.zeros(0, dtype=np.int64)
    if edits is not None:
        (df, ds, do, dc), (pf, ps, po, pv, pl), (rr, rt, rk), (cr, cs) = edits.columns()
    else:
        df = ds = do = dc = pf = ps = po = pv = pl = rr = rt = rk = cr = cs = z
    # row rewrites first (addends of copied symbols move with the section below)
    if len(rr):
        howtos = {**ctx.arch.howtos, **ctx.arch.hooks.get("relax_howtos", {})}
        u = _unique(rt)
        inv = np.searchsorted(u, rt)
        wu = np.array([(howtos[x].field.width if x in howtos and howtos[x].field is not None else 0)
                       for x in u.tolist()], dtype=np.int64)
        t.type[rr] = rt
        t.kind[rr] = rk
        t.width[rr] = wu[inv]
    if len(cr):
        t.sym[cr], t.gid[cr], t.addend[cr] = t.sym[cs], t.gid[cs], t.addend[cs]

    # the sections to edit, as (file << 32 | section) keys and dense ids
    align_rows = np.flatnonzero(t.kind == Kind.ALIGN)
    akey = (t.file[align_rows].astype(np.int64) << 32) | t.sec[align_rows]
    dkey, pkey = (df << 32) | ds, (pf << 32) | ps
    keys = _unique(np.concatenate([akey, dkey]))         # the sections that may lose bytes
    # ALIGN: each padding keeps what its boundary needs once the bytes before it are gone,
    # which depends on the paddings before it in its section: a walk, over those sections only
    order = np.lexsort((t.offset[align_rows], akey))
    align_rows, akey = align_rows[order], akey[order]
    keep_at: list[tuple[int, int, int]] = []
    if len(align_rows):
        extra = _align(ctx, t, keys, align_rows, akey, dkey, do, dc, keep_at)
        dkey = np.concatenate([dkey, extra[0]])
        do = np.concatenate([do, extra[1]])
        dc = np.concatenate([dc, extra[2]])
    o = _order_by(dkey >> 32, dkey & 0xFFFFFFFF, do)
    dkey, do, dc = dkey[o], do[o], dc[o]
    o = np.argsort(pkey, kind="stable")
    pkey, po, pv, pl = pkey[o], po[o], pv[o], pl[o]
    kk = np.asarray(keep_at, dtype=np.int64).reshape(-1, 3)   # (key, offset, bytes)

    # the sections that change (a deletion or a patch), their contents one after another in
    # one buffer: kept padding, patches and deletions are then a few array operations
    touched = _unique(np.concatenate([dkey, pkey]))
    if len(touched) == 0:
        return
    tk = touched.tolist()
    tfiles = _unique(touched >> 32).tolist()
    objs = [ctx.files[f] for f in tfiles]
    if hook is not None:
        for obj in objs:
            hook(obj)
    files = ctx.files
    # (the decisions' buffer: every section that may change was read into it)
    buf, base, sizes = _section_bytes(ctx, src, touched, contents)
    del contents
    ki = np.minimum(np.searchsorted(touched, kk[:, 0]), len(touched) - 1)
    for i, key, off, nb in zip(ki.tolist(), kk[:, 0].tolist(), kk[:, 1].tolist(), kk[:, 2].tolist()):
        if nb and tk[i] == key:                     # kept padding in a section that changes
            at = int(base[i]) + off
            buf[at:at + nb] = np.frombuffer(fill(nb), dtype=np.uint8)
    if len(pkey):
        gpos = base[np.searchsorted(touched, pkey)] + po
    if 0 < len(pkey) <= 64:         # (a few: one at a time, as the planes below write them)
        for g, v, n in zip(gpos.tolist(), pv.tolist(), np.minimum(pl, 4).tolist()):
            buf[g:g + n] = np.frombuffer((v & ((1 << 8 * n) - 1)).to_bytes(n, "little"), dtype=np.uint8)
    elif len(pkey):
        for b in range(4):
            m = pl > b
            if not m.any():
                break
            buf[gpos[m] + b] = (pv[m] >> (8 * b)) & 0xFF
    old_base, old_sizes, gone = base, sizes, None
    if len(dkey):
        di = np.searchsorted(touched, dkey)
        first = np.cumsum(dc) - dc
        gone = np.repeat(base[di] + do - first, dc) + np.arange(int(dc.sum()), dtype=np.int64)
        buf = np.delete(buf, gone)
        sizes = sizes - np.bincount(di, weights=dc, minlength=len(tk)).astype(np.int64)
        shrunk = np.bincount(di, minlength=len(tk)) > 0
    else:
        shrunk = np.zeros(len(tk), dtype=bool)
    # the files with a shrunk section: their symbol tables as one writable table (each file's
    # ``syms`` a view; a section that is only patched moves nothing)
    skeys = touched[shrunk]                 # (sorted: by file, then section)
    sf = skeys >> 32
    fcut = np.flatnonzero(np.diff(sf)) + 1
    fstart = np.concatenate([[0], fcut]).astype(np.int64)
    fend = np.append(fcut, len(skeys)).astype(np.int64)
    objs = [files[f] for f in sf[fstart].tolist()] if len(skeys) else []
    # (merge's copies, which the snapshot does not hold, are written in place: not copied;
    # but where the files' symbols are few, copied with the others, so that _move_symbols
    # reads and writes one table, not some each file: a static hello's 240 files, 140,000
    # symbols, ~3 MiB)
    keep = set()
    if sum(o.nsyms for o in objs) > _JOIN_ALL:
        keep = {id(o) for o in objs if _Snapshot.merge_copy(o, snapshot)}
    replaced, table = ObjectFile.own_tables_together(objs, keep)
    # where each object's symbols start in that table (-1: a kept table, apart)
    tstart, at = [], 0
    for o in objs:
        if id(o) in keep:
            tstart.append(-1)
        else:
            tstart.append(at)
            at += len(o.syms)
    del keep
    # the replaced tables' pages in the inputs' mappings, all at once (their spans: a table
    # read maps the pages around it too)
    pages.release_span([(pages.mapping_of(o), old) for o, old in replaced])
    del replaced
    base = np.cumsum(sizes) - sizes
    # each section's new contents a read-only view of the buffer (not a copy each); the new
    # sizes written per file, not per section
    view = memoryview(buf).toreadonly()
    for key, b0, n in zip(tk, base.tolist(), sizes.tolist()):
        files[key >> 32].content_override[key & 0xFFFFFFFF] = view[b0:b0 + n]
    new_size = sizes[shrunk]
    ssec = skeys & 0xFFFFFFFF
    for obj, a, z in zip(objs, fstart.tolist(), fend.tolist()):
        obj.shdrs["sh_size"][ssec[a:z]] = new_size[a:z].view(np.uint64)
    del buf, view, sf, ssec
    if len(dkey) == 0:
        return
    nsym_edited = sum(o.nsyms for o in objs)
    if t.n <= _SMALL and nsym_edited <= _SMALL:
        _move_few(t, objs, _FewMover(dkey, do, dc))
        return
    mv = _Mover(keys, dkey, do, dc)
    # symbols move through a table of the bytes deleted before each old offset when the edited
    # sections are small next to the edited files' symbol tables (a static hello: 260 KB for
    # 140,000 symbols; not 400x50: 6.7 MB for 900,000)
    sym_mv = mv
    if int(old_sizes.sum()) <= 4 * nsym_edited:
        sym_mv = _Deleted(mv, touched, old_base, old_sizes, gone, dkey, do, dc)
    del gone

    # relocation sites in shrunk sections
    # (parts in batches of about 2**17 rows: a part is one section's rows)
    part_e = mv.ids((t.part_file << 32) | t.part_sec)
    ends = np.cumsum(t.counts)
    p0 = 0
    while p0 < len(ends):
        a = int(ends[p0] - t.counts[p0])
        p1 = max(int(np.searchsorted(ends, a + (1 << 17), side="right")), p0 + 1)
        e = np.repeat(part_e[p0:p1], t.counts[p0:p1])
        sel = np.flatnonzero(e >= 0)
        if len(sel):
            x = t.offset[a:int(ends[p1 - 1])]
            x[sel] = mv.moved(e[sel], x[sel])
        p0 = p1
    # symbols defined in them (values and ends), and the section symbols among them: over
    # the edited files' one table, in runs of files of bounded size
    nsyms = np.fromiter((f.nsyms for f in files[1:]), dtype=np.int64, count=len(files) - 1)
    ybase = np.zeros(len(files), dtype=np.int64)
    ybase[1:] = np.cumsum(nsyms) - nsyms
    sec_sym_e = np.full(int(nsyms.sum()) + 1, -1, dtype=np.int32)
    lo = hi = k0 = 0
    for k, obj in enumerate(objs):
        hi += obj.nsyms
        if hi - lo >= 1 << 15 or k == len(objs) - 1:
            a, z = np.searchsorted(skeys, [objs[k0].file_id << 32, (obj.file_id + 1) << 32])
            _move_symbols(objs[k0:k + 1], skeys[a:z], sym_mv, ybase, sec_sym_e,
                          _joined_run(table, objs[k0:k + 1], tstart[k0:k + 1]))
            lo, k0 = hi, k + 1
    # addends of relocations made against those section symbols (not ALIGN's: its addend is
    # the padding)
    # (in slices of the table: a row's symbol table base comes from its part)
    part_base = ybase[t.part_file]
    starts = np.cumsum(t.counts) - t.counts
    step = 1 << 17
    for a in range(0, t.n, step):
        z = min(a + step, t.n)
        p0 = int(np.searchsorted(starts, a, side="right")) - 1
        p1 = int(np.searchsorted(starts, z, side="left"))
        cnt = np.minimum(t.counts[p0:p1] + starts[p0:p1], z) - np.maximum(starts[p0:p1], a)
        rs = np.repeat(part_base[p0:p1], np.maximum(cnt, 0))
        rs += t.sym[a:z]
        ae = sec_sym_e[rs]
        arows = np.flatnonzero((ae >= 0) & (t.kind[a:z] != Kind.ALIGN))
        if len(arows):
            ad = t.addend[a:z]
            ad[arows] = mv.moved(ae[arows], ad[arows])


# _shrink copies merge's copies of the edited files' symbol tables too (one table for all)
# up to this many symbols
_JOIN_ALL = 1 << 18

# _shrink's moves in plain Python at most this many relocation rows and symbols of edited files
# (a dynamic hello: 45 rows, 104 symbols; the arrays' ~150 NumPy calls were 1.4 M instructions)
_SMALL = 1024


def _move_few(t, objs, mv: "_FewMover") -> None:
    """What _shrink's arrays move, one value at a time, for a small link: relocation sites in
    shrunk sections, values and ends of the edited files' symbols defined there, and addends
    of relocations made against those sections' symbols (not ALIGN's)."""
    at = mv.at
    start = 0
    for f, s, n in zip(t.part_file.tolist(), t.part_sec.tolist(), t.counts.tolist()):
        key = f << 32 | s
        if key in at:
            x = t.offset[start:start + n]
            x[:] = [mv.moved(key, v) for v in x.tolist()]
        start += n
    sec_sym: dict[tuple[int, int], int] = {}        # (file, section symbol) -> its section's key
    for obj in objs:
        fid, nsec = obj.file_id, len(obj.shdrs)
        shndx = obj.sym_shndx.tolist()
        i = [k for k, sh in enumerate(shndx) if 0 < sh < nsec and fid << 32 | sh in at]
        if not i:
            continue
        tab = obj.syms
        # (one gather of the records; the values and sizes as the arrays' int64 views read them)
        new_v, new_z, vi, zi = [], [], [], []
        for k, (_, info, _, _, value, size) in zip(i, tab[i].tolist()):
            key = fid << 32 | shndx[k]
            v, z = _signed(value), _signed(size)
            moved = mv.moved(key, v)
            if moved != v:
                vi.append(k)
                new_v.append(moved)
            if z:
                end = max(mv.moved(key, v + z) - moved, 0)
                if end != z:
                    zi.append(k)
                    new_z.append(end)
            if info & 0xF == elf.STT_SECTION:
                sec_sym[fid, k] = key
        if vi:
            tab["st_value"][vi] = np.asarray(new_v, dtype=np.int64)
        if zi:
            tab["st_size"][zi] = np.asarray(new_z, dtype=np.int64)
    if not sec_sym:
        return
    ad = t.addend
    for r, (f, y, kind) in enumerate(zip(t.file.tolist(), t.sym.tolist(), t.kind.tolist())):
        key = sec_sym.get((f, y))
        if key is not None and kind != Kind.ALIGN:
            ad[r] = mv.moved(key, int(ad[r]))


def _signed(u: int) -> int:
    """A uint64 field's value as its int64 view reads it."""
    return u - (1 << 64) if u >= 1 << 63 else u


class _FewMover:
    """_Mover's answers one offset at a time, for few deletions: per section, the deletions'
    starts in order, the bytes deleted up to each (itself included) and where each lands."""

    def __init__(self, dkey: np.ndarray, do: np.ndarray, dc: np.ndarray):
        by: dict[int, list[tuple[int, int]]] = {}
        for k, o, c in zip(dkey.tolist(), do.tolist(), dc.tolist()):
            by.setdefault(k, []).append((o, c))
        self.at: dict[int, tuple[list[int], list[int], list[int]]] = {}
        for k, dels in by.items():
            dels.sort(key=lambda d: d[0])           # (stable: as _Mover's sort)
            starts, shift, newstart = [], [], []
            gone = 0
            for o, c in dels:
                gone += c
                starts.append(o)
                shift.append(gone)
                newstart.append(o - (gone - c))
            self.at[k] = (starts, shift, newstart)

    def moved(self, key: int, x: int) -> int:
        """The new offset of old offset ``x`` in section ``key`` (file << 32 | section)."""
        got = self.at.get(key)
        if got is None:
            return x
        starts, shift, newstart = got
        i = bisect.bisect_right(starts, x) - 1
        return x if i < 0 else max(x - shift[i], newstart[i])


_JOIN_STEP = 8 << 20      # _joined_giving_back: bytes joined between two give-backs,
_JOIN_SECTIONS = 256      # and sections


def _joined_giving_back(chunks, sizes, base, m, pos, src: "Sources") -> np.ndarray:
    """``np.concatenate(chunks)``, made ``_JOIN_STEP`` bytes at a time, the pages of the
    mappings' spans each step read given back after it (``m``, ``pos``: each chunk's mapping,
    -1 if none, and its start there): the edited sections' bytes are most of a riscv64
    link's code, and they stayed resident to the link's peak (400x50:b: 99 MiB)."""
    buf = np.empty(int(sizes.sum()), dtype=np.uint8)
    ends = base + sizes
    # (steps of at most _JOIN_STEP bytes and _JOIN_SECTIONS sections: reading a small
    # section maps the 64 KiB around it)
    cuts = np.searchsorted(ends, np.arange(_JOIN_STEP, int(ends[-1]) + _JOIN_STEP, _JOIN_STEP), side="right")
    cuts = np.concatenate([cuts, np.arange(_JOIN_SECTIONS, len(chunks), _JOIN_SECTIONS), [len(chunks)]])
    a = 0
    for z in np.unique(np.minimum(cuts, len(chunks))).tolist():
        if z <= a:
            continue
        np.concatenate(chunks[a:z], out=buf[int(base[a]):int(ends[z - 1])])
        mk, pk, sk = m[a:z], pos[a:z], sizes[a:z]
        for k in np.unique(mk[mk >= 0]).tolist():
            sel = mk == k
            src.give_back(k, int(pk[sel].min()), int((pk[sel] + sk[sel]).max()))
        a = z
    return buf


def _joined_run(table, objs, tstart):
    """The part of own_tables_together's one table that holds the symbol tables of ``objs``
    one after another (``tstart``: where each starts in it), or None where one of them is
    apart (a kept table) or not its ``nsyms`` long."""
    if not objs or tstart[0] < 0:
        return None
    at = tstart[0]
    for o, s in zip(objs, tstart):
        if s != at or len(o.syms) != o.nsyms:
            return None
        at += o.nsyms
    return table[tstart[0]:at]


def _move_symbols(objs, skeys, mv, ybase, sec_sym_e, joined=None) -> None:
    """Values and ends of the symbols of ``objs`` (in file order) defined in shrunk sections
    (``skeys``: theirs, file << 32 | section, sorted) move with their bytes, in the objects'
    ``syms`` (writable: own_tables_together); the section symbols among them get their
    section's id in ``sec_sym_e``.  ``mv``: a _Mover or a _Deleted.  ``joined``: the objects'
    tables as one (_joined_run), read and written with a gather and a scatter a column, not
    some each object (a static hello's glibc: 1,200 objects)."""
    if len(skeys) == 0:
        return
    n = np.fromiter((o.nsyms for o in objs), dtype=np.int64, count=len(objs))
    nsec = np.fromiter((len(o.shdrs) for o in objs), dtype=np.int64, count=len(objs))
    fid = np.fromiter((o.file_id for o in objs), dtype=np.int64, count=len(objs))
    sbase = np.cumsum(nsec) - nsec
    # the edited-section id of every section of these files (-1: not shrunk), the last
    # entry for symbols in no section
    sec_e = np.full(int(nsec.sum()) + 1, -1, dtype=np.int64)
    sec_e[sbase[np.searchsorted(fid, skeys >> 32)] + (skeys & 0xFFFFFFFF)] = mv.ids(skeys)
    sh = np.concatenate([o.sym_shndx for o in objs]).astype(np.int64, copy=False)
    if int(nsec.max()) <= elf.SHN_LORESERVE:
        # (input.py let only SHN_ABS and SHN_COMMON past a file's section count: they are in
        # no section, and section 0 is never shrunk)
        sh[sh >= elf.SHN_LORESERVE] = 0
        sh += np.repeat(sbase, n)
    else:
        ns = np.repeat(nsec, n)
        sh = np.where((sh > 0) & (sh < ns), sh + np.repeat(sbase, n), len(sec_e) - 1)
        del ns
    e = sec_e[sh]
    del sh
    ii = np.flatnonzero(e >= 0)
    if len(ii) == 0:
        return
    e = e[ii]
    first = np.cumsum(n) - n
    if joined is not None:
        _move_joined(joined, ii, e, mv)
    else:
        _move_apart(objs, n, first, ii, e, mv)
    info = joined["st_info"][ii] if joined is not None else \
        np.concatenate([o.syms["st_info"][r] for o, r in _runs(objs, n, first, ii)])
    ss = (info & 0xF) == elf.STT_SECTION
    j = ii[ss]
    owner = np.searchsorted(first, j, side="right") - 1
    sec_sym_e[ybase[fid[owner]] + j - first[owner]] = e[ss]


def _move_joined(tab, ii, e, mv) -> None:
    """_move_symbols's moves over one table: rows ``ii`` of ``tab``, in sections ``e``."""
    v = tab["st_value"][ii].view(np.int64)
    end = tab["st_size"][ii].view(np.int64)
    sized = np.flatnonzero(end)
    end = end[sized]
    end += v[sized]
    mv.moved(e[sized], end, out=end)
    mv.moved(e, v, out=v)
    end -= v[sized]
    np.maximum(end, 0, out=end)
    # (written as the fields' own type: a scatter that casts takes NumPy's slow path, ~2x)
    tab["st_value"][ii] = v.view(np.uint64)
    tab["st_size"][ii[sized]] = end.view(np.uint64)


def _runs(objs, n, first, ii):
    """(object, its rows among ``ii``) of the objects with some."""
    cut = np.searchsorted(ii, np.append(first, int(n.sum()))).tolist()
    return [(o, ii[cut[k]:cut[k + 1]] - int(first[k])) for k, o in enumerate(objs) if cut[k + 1] > cut[k]]


def _move_apart(objs, n, first, ii, e, mv) -> None:
    """_move_symbols's moves where the objects' tables are apart (merge's copies are written
    where they are): the rows read and written through each object's run of ``ii``."""
    runs = _runs(objs, n, first, ii)
    # one lookup for every value, one for every end of a sized symbol
    # (only sized symbols' sizes are written back: the others stay 0)
    v = np.concatenate([o.syms["st_value"][r] for o, r in runs]).view(np.int64)
    end = np.concatenate([o.syms["st_size"][r] for o, r in runs]).view(np.int64)
    sized = np.flatnonzero(end)
    end = end[sized]
    vs = v[sized]
    end += vs
    mv.moved(e[sized], end, out=end)
    mv.moved(e, v, out=v)
    vs = v[sized]
    end -= vs
    np.maximum(end, 0, out=end)
    full = np.zeros(len(ii), dtype=np.int64)      # (the new ends, written where sized)
    full[sized] = end
    has = np.zeros(len(ii), dtype=bool)
    has[sized] = True
    a = 0
    for o, r in runs:
        z = a + len(r)
        t = o.syms
        t["st_value"][r] = v[a:z].view(np.uint64)
        h = has[a:z]
        t["st_size"][r[h]] = full[a:z][h].view(np.uint64)
        a = z


def _align(ctx, t, keys, align_rows, akey, dkey, do, dc, keep_at):
    """The padding each R_RISCV_ALIGN keeps (its row's addend becomes that), walking each
    section's paddings in order after the relaxation deletions before them; returns the
    deletions of the excess padding as (keys, offsets, counts) and appends (key, offset,
    kept bytes) of each padding that loses bytes to ``keep_at`` (its nops are written anew)."""
    # relaxation bytes deleted before each padding in its section: one sorted lookup
    de = np.searchsorted(keys, dkey)
    ck = (de << _Mover.SHIFT) + do
    o = np.argsort(ck, kind="stable")
    ck, sc = ck[o], dc[o]
    cum = np.concatenate([[0], np.cumsum(sc)])
    ae = np.searchsorted(keys, akey)
    aoff = t.offset[align_rows]
    relaxed_before = cum[np.searchsorted(ck, (ae << _Mover.SHIFT) + aoff, "left")] \
        - cum[np.searchsorted(ck, ae << _Mover.SHIFT, "left")]
    pads = t.addend[align_rows].tolist()
    new_addend = list(pads)
    out_k, out_o, out_c = [], [], []
    prev_key, grown = None, 0
    for i, (key, off, pad, rb) in enumerate(zip(akey.tolist(), aoff.tolist(), pads, relaxed_before.tolist())):
        if key != prev_key:
            prev_key, grown = key, 0
        align = 1 << pad.bit_length()
        keep = (-(off - rb - grown)) % align
        if keep > pad:
            obj = ctx.files[key >> 32]
            ctx.diag.error(f"{obj.where(key & 0xFFFFFFFF, off)}: "
                           f"{ctx.arch.reloc_name(int(t.type[align_rows[i]]))} padding of {pad} bytes "
                           f"cannot reach a {align}-byte boundary")
            continue
        new_addend[i] = keep
        if keep < pad:      # (a padding kept whole keeps the assembler's nops, as GNU ld does)
            keep_at.append((key, off, keep))
        if pad - keep:
            out_k.append(key)
            out_o.append(off + keep)
            out_c.append(pad - keep)
            grown += pad - keep
    t.addend[align_rows] = np.asarray(new_addend, dtype=np.int64)
    return (np.asarray(out_k, dtype=np.int64), np.asarray(out_o, dtype=np.int64),
            np.asarray(out_c, dtype=np.int64))


class _Deleted:
    """A _Mover's answers from a table of the bytes deleted before every old offset of the
    edited sections (their old contents one after another, as ``_shrink`` cut them): a new
    offset is one gather, not a binary search among the deletions (~20 ns each: a static
    hello moves 140,000 symbol values against 4,000 deletions).  Where deletions overlap or
    leave their section, or an offset is too large for the _Mover's keys, the _Mover answers."""

    _LIMIT = 1 << 39            # (the _Mover's keys hold offsets of smaller magnitude)

    def __init__(self, mv: "_Mover", touched, base, sizes, gone, dkey, do, dc):
        self.mv = mv
        self.ok = gone is not None and len(touched) > 0
        if not self.ok:
            return
        # the deletions (sorted by section and offset) disjoint and inside their section
        end = do + dc
        ok = bool((do >= 0).all() and (dc >= 0).all()
                  and (end <= sizes[np.searchsorted(touched, dkey)]).all())
        if ok and len(dkey) > 1:
            same = dkey[1:] == dkey[:-1]
            ok = bool((end[:-1][same] <= do[1:][same]).all())
        self.ok = ok
        if not ok:
            return
        total = int(sizes.sum())
        # deleted bytes in [0, i) of the buffer: a 1 after each deleted byte (disjoint: each
        # byte once), summed in place (a uint8 table summed into int32 casts: twice the time)
        before = np.zeros(total + 1, dtype=np.int32)
        before[gone + 1] = 1
        np.cumsum(before, out=before)
        self.before = before
        # by _Mover id: the section's old start in the buffer, its old size, what was deleted
        # before it (a section not cut has no deletions: start and size 0 answer x)
        ti = np.minimum(np.searchsorted(touched, mv.keys), len(touched) - 1)
        hit = touched[ti] == mv.keys
        self.start = np.where(hit, base[ti], 0)
        self.size = np.where(hit, sizes[ti], 0)
        self.first = before[self.start].astype(np.int64)

    def ids(self, k: np.ndarray) -> np.ndarray:
        return self.mv.ids(k)

    def moved(self, e: np.ndarray, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """As _Mover.moved."""
        if not self.ok or len(x) == 0 or int(x.min()) <= -self._LIMIT or int(x.max()) >= self._LIMIT:
            return self.mv.moved(e, x, out)
        # (an offset inside a deleted range lands where the range was: x minus the bytes
        # deleted before x, those of the range before x included)
        p = np.maximum(x, 0)
        np.minimum(p, self.size[e], out=p)
        p += self.start[e]
        # x - (before[p] - first[e]), into ``out`` (may be ``x``): the int32 counts widened
        # by the arithmetic, not by a copy
        if out is None:
            out = np.empty(len(x), dtype=np.int64)
        np.subtract(x, self.before[p], out=out)
        out += self.first[e]
        return out


class _Mover:
    """Where an old offset in an edited section lands: minus every byte deleted before it in
    that section; an offset inside a deleted range goes to where the range was."""

    SHIFT = 40           # section offsets below 1 TiB; sections numbered below 2**23

    def __init__(self, keys: np.ndarray, dkey: np.ndarray, do: np.ndarray, dc: np.ndarray):
        self.keys = keys
        de = np.searchsorted(keys, dkey)
        # every section starts with an empty deletion far below offset 0, so that a lookup
        # always lands on a deletion of the offset's own section
        ne = len(keys)
        low = -(1 << (self.SHIFT - 1))
        e = np.concatenate([np.arange(ne, dtype=np.int64), de])
        st = np.concatenate([np.full(ne, low, dtype=np.int64), do])
        cn = np.concatenate([np.zeros(ne, dtype=np.int64), dc])
        ck = (e << self.SHIFT) + st         # orders as (section, offset): one sort, not two
        o = np.argsort(ck, kind="stable")
        e, st, cn, self.ck = e[o], st[o], cn[o], ck[o]
        cum = np.cumsum(cn)
        first = np.searchsorted(e, np.arange(ne))
        shift = cum - (cum[first] - cn[first])[e]      # bytes deleted in the section up to here
        self.shift = shift
        self.newstart = st - (shift - cn)              # where the range's start lands

    def ids(self, k: np.ndarray) -> np.ndarray:
        """Dense ids of (file << 32 | section) keys; -1 for sections not edited."""
        i = np.minimum(np.searchsorted(self.keys, k), len(self.keys) - 1)
        return np.where(self.keys[i] == k, i, -1)

    def _last_at_or_before(self, k: np.ndarray) -> np.ndarray:
        """For each key, the index of the last deletion at or before it (searchsorted - 1).
        Keys in order (relocation sites: a section's rows come sorted by offset) take the
        other way round: the few deletions in their span are placed among the keys, and a
        running count gives every key's (a search per deletion, not per key)."""
        ck = self.ck
        if len(k) > 64 and bool((k[1:] >= k[:-1]).all()):
            j0 = int(np.searchsorted(ck, k[0], side="right"))
            j1 = int(np.searchsorted(ck, k[-1], side="right"))
            # deletions j0..j1-1 lie in (k[0], k[-1]]: each counts from the first key at or past it
            at = np.searchsorted(k, ck[j0:j1], side="left")
            got = np.cumsum(np.bincount(at, minlength=len(k) + 1)[:len(k)])
            got += j0 - 1
            return got
        got = np.searchsorted(ck, k, side="right")
        got -= 1
        return got

    def moved(self, e: np.ndarray, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """New offsets of old offsets ``x`` in edited sections ``e`` (dense ids), into ``out``
        (may be ``x``); in slices, so that the temporaries stay small."""
        if out is None:
            out = np.empty(len(x), dtype=np.int64)
        step = 1 << 17
        for a in range(0, len(x), step):
            xs = x[a:a + step]
            k = e[a:a + step].astype(np.int64)
            k <<= self.SHIFT
            k += xs
            k = self._last_at_or_before(k)
            # past the range: minus every byte deleted up to it; inside: the range's new start
            # (x - shift < newstart exactly when x < the range's end)
            r = xs - self.shift[k]
            np.maximum(r, self.newstart[k], out=r)
            out[a:a + step] = r
        return out
