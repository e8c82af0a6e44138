"""Range-extension thunks: a branch whose target is out of its reach goes through a thunk.

AArch64's B and BL (R_AARCH64_JUMP26, R_AARCH64_CALL26) reach +-128 MiB.  Compilers emit
them for every call and leave it to the linker to cope when the target ends up farther away
(aaelf64, "Call and Jump relocations": the linker may route the branch through a veneer that
clobbers only IP0/IP1, x16/x17).  mold (thunks.cc) and lld (Thunks.cpp) do it the same way:

    bl far            ->   bl __AArch64ADRPThunk_far
                           ...
                           __AArch64ADRPThunk_far:           (12 bytes, +-4 GiB)
                               adrp x16, far
                               add  x16, x16, :lo12:far
                               br   x16

A target beyond ADRP's +-4 GiB (from anywhere in the caller's output section) takes the
architecture's long form instead, still PC-relative (``__AArch64LongThunk_``: ldr x16 of a
literal holding the distance, adr x17, add, br; 24 bytes), as GNU ld's long branch veneer
reaches anywhere where lld's ADRP thunk refuses.

Placement.  Thunks go at the end of the output section that holds the callers (one thunk
section per output section and host object, in file order), so every caller in an output
section smaller than 128 MiB reaches them, and one thunk serves every caller in that output
section with the same target (symbol + addend).  A longer output section is cut into windows
of 124 MiB; each window's thunks go after the last input section that ends inside it.  The decision is made on an estimated layout
(every address before thunks exist) with a 1 MiB margin, so the bytes thunks add can never
push a branch that looked near out of reach; a thunk for a branch that would have reached is
harmless.  The output is a function of the inputs only: thunks are keyed and ordered by the
relocation table's order.

How a thunk joins the link: it becomes a new input section of the object of its first
caller (the "host"), with the host's own symbol for the target in its two relocations
(ADR_PREL_PG_HI21, ADD_ABS_LO12_NC), appended to the relocation table like any other.  The
thunk's symbol is a hidden global (local in the output, as lld writes it); each caller's
object gets an entry for it, and the caller's CALL26/JUMP26 row now names that entry with
addend 0.  Everything after this pass — layout, relocation, the symbol table — sees ordinary
sections, symbols and relocations.  RISC-V has no thunks: an out-of-range JAL or BRANCH stays
an error, in lld's words, from the relocation pass.

A call that goes through a PLT entry (an imported function, or in a library one of its own
that can be interposed) is a branch to that entry: its thunk reaches the entry the same
PC-relative way, so it needs no dynamic relocation in a PIE or a shared library (GNU ld's
``__printf_veneer`` is the same ADRP+ADD+BR).
"""
from __future__ import annotations

import numpy as np

from xld.link import elf, pages
from xld.link.kinds import Kind
from xld.link.resolve import DEFINED, UNDEF

MARGIN = 1 << 20
THUNK_SECTION = ".text.xld_thunks"


def run(ctx) -> None:
    ctx.diag.check()
    _range_thunks(ctx)
    if ctx.opts.fix_cortex_a53_843419:
        spec = ctx.arch.hooks.get("erratum_843419")
        if spec is None:
            ctx.diag.warn(f"--fix-cortex-a53-843419 is ignored on {ctx.arch.name}")
        else:
            fix_843419(ctx, spec)


def _range_thunks(ctx) -> None:
    spec = ctx.arch.hooks.get("thunk_relocs")
    t = ctx.rel
    if spec is None or t.n == 0:
        return
    rows = _branch_rows(ctx)
    if len(rows) == 0 or _all_near(ctx, rows):
        return
    from xld.link.shrink import lay_out, place_and_value
    lay_out(ctx)
    P, S = place_and_value(ctx, rows)
    dist = S + t.addend[rows] - P
    lo = np.array([ctx.arch.howtos[int(x)].lo for x in t.type[rows]], dtype=np.int64)
    hi = np.array([ctx.arch.howtos[int(x)].hi for x in t.type[rows]], dtype=np.int64)
    far = (dist < lo + MARGIN) | (dist > hi - MARGIN)
    # an undefined weak target is not a place to jump to; leave it to the relocation pass.  A
    # name with a PLT entry (imported, or interposable in a library) is: the call goes to the
    # entry (S is its address), and so does the thunk, PC-relative like every thunk
    st = ctx.symtab
    state = np.array(st.state, dtype=np.int64)
    state[plt_gids(ctx)] = DEFINED
    weak_undef = (t.gid[rows] > 0) & (state[t.gid[rows]] == UNDEF)
    keep = far & ~weak_undef
    need = rows[keep]
    if len(need):
        reach = int(min(hi.min(), -lo.max()))
        # a target beyond the thunk's own reach (from anywhere in the caller's output section)
        # takes the architecture's long form, when it has one
        span = np.array([ctx.files[f].sec_outsec[s].size for f, s in zip(t.file[need].tolist(), t.sec[need].tolist())],
                        dtype=np.float64)
        long = ("long" in spec) & (np.abs(dist[keep].astype(np.float64)) + span + MARGIN >= spec.get("reach", 2.0**64))
        _make(ctx, spec, need, reach - 4 * MARGIN, long)


def plt_gids(ctx) -> np.ndarray:
    """The names whose calls go through a PLT entry of a dynamic output."""
    return np.array(ctx.dyn.plt if ctx.dyn is not None else [], dtype=np.int64)


def _all_near(ctx, rows) -> bool:
    """Without --section-start (or a linker script, whose addresses are its own), every branch
    reaches when all allocated bytes together (with their worst alignment padding, and a page
    per segment) are nearer than the shortest reach."""
    script = ctx.script
    if ctx.opts.section_start or (script is not None and script.sections is not None) \
            or not _in_image(ctx, rows).all():
        return False
    present = np.flatnonzero(np.bincount(ctx.rel.type[rows])).tolist()   # (np.unique: imports numpy.ma, 14 ms)
    reach = min(min(-ctx.arch.howtos[x].lo, ctx.arch.howtos[x].hi) for x in present)
    span = 16 * (ctx.opts.max_page_size or ctx.arch.max_page_size)
    for o in ctx.outputs.values():
        if o.alloc:
            span += len(o.data or b"") + o.align
    objs = ctx.files[1:]
    if objs:        # every allocated input section's size and alignment, in one sum
        # (the headers joined as bytes, then two fields: a field of each file's table on its
        # own costs a few microseconds a table; arm64 gcc compress, 374 files: 2.3 -> 0.65 M
        # instructions)
        hdr = elf.join_tables([obj.shdrs for obj in objs], dtype=elf.SHDR)
        size, align = hdr["sh_size"], hdr["sh_addralign"]
        if span + size.sum(dtype=np.float64) + align.sum(dtype=np.float64) < reach - MARGIN:
            return True     # even counting every section (in floats: no wrap-around): near
        A = elf.SHF_ALLOC
        alloc = np.array([o.flags & A if o is not None else 0 for obj in objs for o in obj.sec_outsec],
                         dtype=bool)
        span += int(size[alloc].sum()) + int(align[alloc].sum())
    return span < reach - MARGIN


def _in_image(ctx, rows: np.ndarray) -> np.ndarray:
    """Per row: whether it branches to a symbol in an input section (not an absolute address
    or a linker-defined value, which may be anywhere).  Undefined weak targets count as in
    the image: the relocation pass decides what they mean.  A global's answer is made once
    per global, then taken by its rows."""
    t, st = ctx.rel, ctx.symtab
    sizes = [len(o.sym_shndx) for o in ctx.files[1:]]
    base = np.concatenate([[0, 0], np.cumsum(sizes)[:-1]]) if sizes else np.zeros(2, dtype=np.int64)
    allshndx = np.concatenate([o.sym_shndx for o in ctx.files[1:]]) if sizes else np.zeros(1, dtype=np.int64)

    def in_section(sh):
        return (sh > 0) & (sh < elf.SHN_LORESERVE)
    # globals: undefined (weak), or defined in an input file's section
    undef = np.array(st.state, dtype=np.int64) == UNDEF
    def_file = np.array(st.def_file, dtype=np.int64)
    there = np.flatnonzero(~undef & (def_file > 0))
    inside = undef.copy()
    inside[there] = in_section(allshndx[base[def_file[there]] + np.array(st.def_index, dtype=np.int64)[there]])
    g = t.gid[rows]
    out = inside[g]
    local = np.flatnonzero(g <= 0)          # (gid 0: the file's own symbol)
    r = rows[local]
    out[local] = in_section(allshndx[base[t.file[r]] + t.sym[r]])
    return out


def _branch_rows(ctx) -> np.ndarray:
    """Rows of range-limited branch types (kind CALL with a range) in allocated code."""
    t = ctx.rel
    types = [rt for rt, h in ctx.arch.howtos.items() if h.kind == Kind.CALL and h.lo is not None]
    branch = np.zeros(t.n, dtype=bool)
    for rt in types:                    # (a compare each: np.isin sorts)
        branch |= t.type == rt
    if not branch.any():
        return np.nonzero(branch)[0]
    # a part of the table is one section's rows: whether that section is allocated, per part
    # (each part's output section, then whether it is allocated through a map in C; not a
    # list of every file's sections first: arm64 gcc compress 1.67 -> 0.98 M instructions)
    files = ctx.files
    alloc = {o: o.alloc for o in ctx.outputs.values()}
    alloc[None] = False
    outs = [files[f].sec_outsec[s] for f, s in zip(t.part_file.tolist(), t.part_sec.tolist())]
    part = np.fromiter(map(alloc.__getitem__, outs), dtype=bool, count=len(outs))
    branch &= np.repeat(part, t.counts)
    return np.nonzero(branch)[0]


def _make(ctx, spec, need: np.ndarray, window: int, long: np.ndarray) -> None:
    """Thunks for the rows in ``need`` (of the long form where ``long``).  An output section
    longer than ``window`` (a safe reach) is cut into windows of that many bytes; the callers
    of a window share thunks placed after the last input section that ends inside it (the last
    window's at the end)."""
    t = ctx.rel
    st = ctx.symtab
    # one thunk per (output section of the caller, window, target, addend), in row order
    thunks: dict[tuple, dict] = {}
    for r, far in zip(need.tolist(), long.tolist()):
        f, sec = int(t.file[r]), int(t.sec[r])
        out = ctx.files[f].sec_outsec[sec]
        win = -1
        if out.size > window:
            win = (int(ctx.files[f].sec_out[sec]) + int(t.offset[r])) // window
            if (win + 1) * window >= out.size:
                win = -1
        g, a = int(t.gid[r]), int(t.addend[r])
        ident = ("g", g, a) if g else ("l", f, int(t.sym[r]), a)
        key = (out.name, win, far) + ident
        th = thunks.get(key)
        if th is None:
            th = thunks[key] = {"out": out, "win": win, "host": f, "sym": int(t.sym[r]), "addend": a,
                                "callers": [], "form": spec["long"] if far else spec}
        th["callers"].append(r)
    _check_landing_pads(ctx, thunks.values())
    # thunk sections: one per (output section, window, host object), in order of first appearance
    sections: dict[tuple[str, int, int], list[dict]] = {}
    for key, th in thunks.items():
        sections.setdefault((th["out"].name, th["win"], th["host"]), []).append(th)
    new_parts = []
    placed: dict[str, list[tuple[int, object, int]]] = {}
    for (oname, win, host_id), ths in sections.items():
        host = ctx.files[host_id]
        sec = _add_section(host, THUNK_SECTION, b"".join(th["form"]["code"] for th in ths), spec["align"])
        out = ths[0]["out"]
        placed.setdefault(oname, []).append((win, host, sec))
        host.sec_outsec[sec] = out
        rel_rows = []
        at = 0
        for th in ths:
            form = th["form"]
            name = _unique(st, form["prefix"] + _target_name(ctx, th))
            g = st.intern(name)
            idx = _add_symbols(host, [(g, sec, at, form["size"])])[0]
            st.state[g] = DEFINED
            st.def_file[g] = host_id
            st.def_index[g] = idx
            th["gid"], th["name"] = g, name
            for off, rtype, *bias in form["relocs"]:        # (bias: what the field adds to A)
                rel_rows.append((at + off, rtype, th["sym"], th["addend"] + sum(bias)))
            at += form["size"]
        new_parts.append((host_id, sec, rel_rows))
    for oname, items in placed.items():
        _place(ctx.outputs[oname], items, window)
    # callers now branch to the thunk: an entry for it in each caller's object
    entry: dict[tuple[int, int], int] = {}
    for th in thunks.values():
        g = th["gid"]
        for r in th["callers"]:
            f = int(t.file[r])
            idx = st.def_index[g] if f == th["host"] else entry.get((f, g))
            if idx is None:
                idx = entry[(f, g)] = _add_symbols(ctx.files[f], [(g, elf.SHN_UNDEF, 0, 0)])[0]
            t.sym[r], t.gid[r], t.addend[r] = idx, g, 0
    _append_rows(ctx, new_parts)
    ctx.thunks = [(th["name"], th["out"].name, len(th["callers"])) for th in thunks.values()]


def _check_landing_pads(ctx, thunks) -> None:
    """A thunk reaches its target with an indirect branch (BR x16); when the output has BTI
    (link/properties.py), the target's page is guarded and its first instruction must be a
    landing pad, or the program dies with SIGILL there.  Functions compiled with
    -mbranch-protection start with one; a jump into the middle of code (a cold part, a
    section symbol plus an offset) or into code without BTI does not, nor does a PLT entry
    of a PIE.  lld adds a landing pad next to such a target, GNU ld 2.40 writes a program
    that dies; xld refuses it (an error, never a wrong program)."""
    spec = ctx.arch.hooks.get("thunk_landing_pad")
    if spec is None or not ctx.features & spec["feature"]:
        return
    is_pad = spec["is_pad"]
    st = ctx.symtab
    forms = ctx.plt_forms
    plt = set(plt_gids(ctx).tolist())
    for th in thunks:
        host = ctx.files[th["host"]]
        g = int(host.gids[th["sym"]])
        word = None
        if g and (g in plt or g in ctx.ifuncs):
            code = forms["entries"](np.zeros(1, np.int64), np.zeros(1, np.int64)) if g in plt \
                else forms["stub"](0, 0)
            word = int.from_bytes(code[:4], "little")
        else:
            obj, idx = (ctx.files[st.def_file[g]], st.def_index[g]) if g else (host, th["sym"])
            if (not g or st.state[g] != UNDEF) and (not g or st.def_file[g] > 0):
                shndx = int(obj.sym_shndx[idx])
                if 0 < shndx < elf.SHN_LORESERVE:
                    off = int(obj.syms[idx]["st_value"]) + th["addend"]
                    data = obj.section_bytes(shndx)
                    if 0 <= off and off + 4 <= len(data):
                        word = int.from_bytes(bytes(data[off:off + 4]), "little")
        if word is None or not is_pad(word):
            from xld.link.relocate import site_of
            r = th["callers"][0]
            t = ctx.rel
            ctx.diag.error(f"{site_of(ctx, int(t.file[r]), int(t.sec[r]), int(t.offset[r]))}: "
                           f"branch to '{_target_name(ctx, th)}' is out of range and needs a "
                           f"thunk, but its target has no BTI landing pad (bti c) for the thunk's "
                           f"indirect branch; not supported with BTI (-z force-bti or all inputs "
                           f"built with -mbranch-protection=bti)")


def _place(out, items, window: int) -> None:
    """Put the thunk sections ``items`` (window, host, section) into ``out``'s input list."""
    import bisect
    ends = [int(obj.sec_out[i]) + int(obj.shdrs[i]["sh_size"]) for obj, i in out.inputs]
    after: dict[int, list] = {}
    for win, host, sec in items:
        k = len(out.inputs) - 1 if win < 0 else bisect.bisect_right(ends, (win + 1) * window) - 1
        after.setdefault(k, []).append((host, sec))
    inputs = list(after.get(-1, []))
    for k, inp in enumerate(out.inputs):
        inputs.append(inp)
        inputs.extend(after.get(k, []))
    out.inputs = inputs


def _target_name(ctx, th) -> str:
    from xld.link.relocate import sym_desc
    name = sym_desc(ctx, th["host"], th["sym"])
    return name + (f"+0x{th['addend']:x}" if th["addend"] > 0 else f"-0x{-th['addend']:x}" if th["addend"] else "")


def _unique(st, name: str) -> str:
    if name not in st.ids:
        return name
    k = 1
    while f"{name}.{k}" in st.ids:
        k += 1
    return f"{name}.{k}"


def _add_section(obj, name: str, data: bytes, align: int) -> int:
    """A new PROGBITS, ALLOC+EXECINSTR section at the end of ``obj``'s section table."""
    obj.own_tables()
    row = np.zeros(1, dtype=elf.SHDR)
    row["sh_type"] = elf.SHT_PROGBITS
    row["sh_flags"] = elf.SHF_ALLOC | elf.SHF_EXECINSTR
    row["sh_size"] = len(data)
    row["sh_addralign"] = align
    obj.shdrs = np.concatenate([obj.shdrs, row])
    i = len(obj.shdrs) - 1
    obj.sec_names.append(name)
    obj.content_override[i] = data
    obj.sec_out = np.concatenate([obj.sec_out, [0]])
    obj.sec_outsec.append(None)
    obj.sec_kept = np.concatenate([obj.sec_kept, [True]])
    obj.discarded = np.concatenate([obj.discarded, [False]])
    live = getattr(obj, "live", None)
    if live is not None:
        obj.live = np.concatenate([live, [True]])
    return i


def _add_symbols(obj, entries) -> list[int]:
    """Append global symbol entries (gid, shndx, value, size): hidden functions when defined
    here, plain undefined references otherwise.  Returns their indices."""
    obj.own_tables()
    new = np.zeros(len(entries), dtype=elf.SYM)
    for k, (g, shndx, value, size) in enumerate(entries):
        defined = shndx != elf.SHN_UNDEF
        new[k]["st_info"] = (elf.STB_GLOBAL << 4) | (elf.STT_FUNC if defined else elf.STT_NOTYPE)
        new[k]["st_other"] = elf.STV_HIDDEN if defined else 0
        new[k]["st_shndx"] = shndx
        new[k]["st_value"] = value
        new[k]["st_size"] = size
    start = len(obj.syms)
    obj.syms = np.concatenate([obj.syms, new])
    obj.sym_shndx = np.concatenate([obj.sym_shndx, np.array([e[1] for e in entries], dtype=obj.sym_shndx.dtype)])
    obj.gids = np.concatenate([obj.gids, np.array([e[0] for e in entries], dtype=obj.gids.dtype)])
    obj.nsyms = len(obj.syms)
    return list(range(start, obj.nsyms))


def _append_rows(ctx, parts) -> None:
    """New (file, section) parts at the end of the relocation table, classified like scan."""
    t = ctx.rel
    n0 = t.n
    add = sum(len(rr) for _, _, rr in parts)
    if add == 0:
        return
    howtos = ctx.arch.howtos
    rows = [row for _, _, rr in parts for row in rr]      # (offset, type, sym, addend[, source row])
    srcs = [row[4] if len(row) > 4 else None for row in rows]
    cols = {
        "offset": [row[0] for row in rows],
        "type": [row[1] for row in rows],
        "sym": [row[2] for row in rows],
        "addend": [row[3] for row in rows],
        "file": [f for f, _, rr in parts for _ in rr],
        "sec": [s for _, s, rr in parts for _ in rr],
    }
    cols["gid"] = [int(ctx.files[f].gids[s]) for f, s in zip(cols["file"], cols["sym"])]
    cols["kind"] = [int(howtos[ty].kind) for ty in cols["type"]]
    cols["width"] = [howtos[ty].field.width if howtos[ty].field is not None else 0 for ty in cols["type"]]
    parts_arrays = {"counts", "part_file", "part_sec"}
    names = [name for name, v in vars(t).items()
             if name not in parts_arrays and isinstance(v, np.ndarray) and len(v) == n0]
    for name in names:
        v = vars(t).pop(name)
        if name in cols:
            extra = np.array(cols[name], dtype=v.dtype)
        else:       # other per-row columns (GOT slots …): from the row a new one was moved from
            default = -1 if name == "got_slot" else 0
            extra = np.array([v[src] if src is not None else default for src in srcs], dtype=v.dtype)
        # grown in place (realloc: a mapped chunk is moved by mremap, its pages kept) where
        # nothing else holds the column or a view of it (NumPy checks), else copied; an old
        # column let go before the next is made, its memory (faulted in) is the next one's
        try:
            v.resize(n0 + add, refcheck=True)
            v[n0:] = extra
        except ValueError:
            v = np.concatenate([v, extra])
        setattr(t, name, v)
        del v
    t.counts = np.concatenate([t.counts, [len(rr) for _, _, rr in parts]]).astype(np.int64)
    t.part_file = np.concatenate([t.part_file, [f for f, _, _ in parts]]).astype(np.int64)
    t.part_sec = np.concatenate([t.part_sec, [s for _, s, _ in parts]]).astype(np.int64)
    t.n = n0 + add


# -- Cortex-A53 erratum 843419 -----------------------------------------------------------------
#
# An ADRP in the last two words of a 4 KiB page, followed by a load/store and a load/store
# through the ADRP's register, can make a Cortex-A53 compute a wrong address.  The fix (lld's
# and GNU ld's) moves the final load/store into a patch at the end of the output section,
# ``ldst; b back``, and branches there from its old place.  Whether a sequence is affected
# depends on final addresses, and patches move the output sections after them, so: lay out,
# find, patch, until a layout finds nothing new.  Sequences are looked for inside one input
# section, in code (not after a $d mapping symbol).

_ERRATUM_ROUNDS = 8
_RELEASE_FILES = 16          # files read by the erratum scan between two givings back of their pages


def fix_843419(ctx, spec) -> None:
    """Rounds of: section addresses (the layout passes place and finalize_section_addresses:
    symbol values are not needed to find sequences), find, patch.  When a round finds
    nothing, the addresses stand: the driver does not place the sections again.  A round
    after the first looks only at the sections that moved, are new or were patched, and its
    layout sizes only the patches (``layout.place``'s ``grown``)."""
    from xld.link import layout
    ctx.erratum_843419 = []
    prev = grown = None
    for _ in range(_ERRATUM_ROUNDS):
        layout.place(ctx, grown)
        layout.finalize_section_addresses(ctx)
        found, prev = _find_843419(ctx, spec, prev)
        if not found:
            ctx.addresses_fresh = True    # nothing moved since: the driver need not place again
            return
        _patch_843419(ctx, spec, found)
        grown = list({id(o): o for *_, o in found}.values())    # (patches appended to them only)
    ctx.diag.warn("--fix-cortex-a53-843419: patching did not settle; the output may still "
                  "contain erratum 843419 sequences")


def _find_843419(ctx, spec, prev=None) -> tuple[list[tuple], object]:
    """Sequences to patch in every code input section (with ``prev``, what the round before
    returned: only in the sections that moved since, are new or were patched then), and
    what the next round needs to know of this one (None when nothing was found).  Only two
    words of each 4 KiB page can hold the ADRP (page offsets 0xff8 and 0xffc), so their
    offsets are computed from the section addresses and sizes, not found by reading the
    code; the candidates are read and checked one by one, in section order, and only the
    sections that hold one are read.  Sections are known to the next round by a key (file
    id << 32 | section index): ``prev`` is (the keys in order, their addresses, the keys of
    the sections patched)."""
    code = [o for o in ctx.ordered if o.alloc and o.flags & elf.SHF_EXECINSTR and o.inputs]
    if not code:
        return [], None
    addr, size, key, src = _code_columns(ctx, code)
    nbytes = 4 * (size // 4)
    if prev is not None:
        last, last_addr, patched = prev
        j = np.minimum(np.searchsorted(last, key), len(last) - 1)
        same = (last[j] == key) & (last_addr[j] == addr)
        if len(patched):
            p = np.minimum(np.searchsorted(patched, key), len(patched) - 1)
            same &= patched[p] != key
        nbytes[same] = 0
    # the first offset of each section at page offset 0xff8 or 0xffc (0xff9 or 0xffd ... if
    # the section itself is not word-aligned), then one every page while a word fits
    base = addr & 0xFFF
    first = [(0xFF8 + (base & 3) - base) & 0xFFF, (0xFFC + (base & 3) - base) & 0xFFF]
    sec_k, offs = [], []
    for d in first:
        count = np.where(d + 12 <= nbytes, (nbytes - 12 - d) // 0x1000 + 1, 0)
        k = np.repeat(np.arange(len(addr)), count)
        run = np.arange(len(k)) - np.repeat(np.cumsum(count) - count, count)
        sec_k.append(k)
        offs.append(d[k] + 0x1000 * run)
    sec_k, offs = np.concatenate(sec_k), np.concatenate(offs)
    order = np.lexsort((offs, sec_k))
    sec_k, offs = sec_k[order], offs[order]
    # each candidate's output section and input (``code``'s inputs in order)
    bounds = np.cumsum([len(o.inputs) for o in code])
    which = np.searchsorted(bounds, sec_k, side="right")
    found, hosts = [], []
    contents: dict[int, object] = {}
    # a candidate's top byte is read from its file first (only an ADRP can start a sequence;
    # its section is read only then), unless the section's contents were rewritten
    files = ctx.files
    k_file = (key >> 32)[sec_k].tolist()
    k_idx = (key & 0xFFFFFFFF)[sec_k].tolist()
    at = (src[sec_k] + offs + 3).tolist()
    # the pages of the files read (a byte a code page: the kernel maps the 64 KiB around
    # each) given back a few files at a time, not held until the image gives every input's
    # back: arm64 400x50, 23 MiB of file pages at the link's peak
    read, last = [], None
    for k_sec, off, w, f, i, p in zip(sec_k.tolist(), offs.tolist(), which.tolist(), k_file, k_idx, at):
        obj = files[f]
        if obj is not last:
            if last is not None:
                read.append(last)
                if len(read) >= _RELEASE_FILES:
                    pages.release_objects(read)
            last = obj
        if not (obj.content_override and i in obj.content_override) and not (obj.inflated and i in obj.inflated) \
                and p < len(obj.buf) and obj.buf[p] & 0x9F != 0x90:
            continue
        o = code[w]
        obj, i = o.inputs[k_sec - (int(bounds[w - 1]) if w else 0)]
        data = contents.get(k_sec)
        if data is None:
            data = contents[k_sec] = obj.section_content(i)
        end = min(off + 16, 4 * (len(data) // 4))
        if end - off < 12 or data[off + 3] & 0x9F != 0x90:        # not an ADRP, or too close to the end
            continue
        words = np.frombuffer(data, dtype="<u4", count=(end - off) // 4, offset=off).tolist()
        j = spec["find"](words)
        if j is not None and _code_ranges(obj, i)(off):
            found.append((obj, i, off + 4 * j, o))
            hosts.append(int(key[k_sec]))
    pages.release_objects(read + [last])
    if not found:
        return found, None
    order = np.argsort(key, kind="stable")
    return found, (key[order], addr[order], np.array(sorted(set(hosts)), dtype=np.int64))


def _code_columns(ctx, code):
    """Of the inputs of the output sections ``code``, in order: their addresses, a bound on
    their contents' lengths (their sizes; none for a section without bytes), their keys
    (file id << 32 | section index) and their offsets in their files.  From the columns of
    the layout just made (the rows of each output section's inputs,
    ``layout.finalize_section_addresses``), else read anew."""
    placed = getattr(ctx, "placed", None)
    cols = placed.addresses(ctx.files) if placed is not None else None
    rows_of = getattr(placed, "rows_of", {})
    if cols is not None and all(len(rows_of.get(id(o), ())) == len(o.inputs) for o in code):
        rows = np.concatenate([rows_of[id(o)] for o in code])
        base = np.array(placed.base, dtype=np.int64)        # (by file id: in file order)
        fid = np.searchsorted(base, rows, side="right") - 1
        addr = cols[0][rows]
        size = placed.size[rows].copy()
        size[placed.type[rows] == elf.SHT_NOBITS] = 0
        return addr, size, (fid << 32) | (rows - base[fid]), placed.offset[rows]
    from xld.link.relocate import file_tables
    files = ctx.files
    secs = [inp for o in code for inp in o.inputs]
    fid = np.fromiter((obj.file_id for obj, _ in secs), dtype=np.int64, count=len(secs))
    idx = np.fromiter((i for _, i in secs), dtype=np.int64, count=len(secs))
    sec_addr, abase = file_tables(files, "sec_addr")
    addr = sec_addr[abase[fid] + idx]
    del sec_addr
    lens = np.fromiter((len(f.shdrs) for f in files[1:]), dtype=np.int64, count=len(files) - 1)
    hbase = np.zeros(len(files), dtype=np.int64)
    hbase[1:] = np.cumsum(lens) - lens
    hrow = hbase[fid] + idx
    size = np.concatenate([f.shdrs["sh_size"] for f in files[1:]])[hrow].astype(np.int64)
    size[np.concatenate([f.shdrs["sh_type"] for f in files[1:]])[hrow] == elf.SHT_NOBITS] = 0
    src = np.concatenate([f.shdrs["sh_offset"] for f in files[1:]])[hrow].astype(np.int64)
    return addr, size, (fid << 32) | idx, src


def _mapping_marks(obj, sec: int) -> list[tuple[int, str]]:
    """The section's mapping symbols as (offset, "$x" or "$d"), by offset."""
    idx = np.nonzero(obj.sym_shndx[:obj.first_global] == sec)[0]
    return sorted((int(obj.syms["st_value"][k]), obj.sym_name(int(k))[:2]) for k in idx.tolist()
                  if obj.sym_name(int(k))[:2] in ("$x", "$d"))


def _code_ranges(obj, sec: int):
    """Whether an offset of the section holds code, after the mapping symbols ($x / $d)."""
    marks = _mapping_marks(obj, sec)
    if not marks:
        return lambda off: True
    offs = [m[0] for m in marks]

    def code(off: int) -> bool:
        k = int(np.searchsorted(offs, off, side="right")) - 1
        return k < 0 or marks[k][1] == "$x"
    return code


def _patch_843419(ctx, spec, found) -> None:
    names = [f"{spec['prefix']}{int(obj.sec_addr[sec]) + off:x}" for obj, sec, off, _ in found]
    ctx.erratum_843419.extend(_move_to_patches(ctx, spec, found, names))


def _move_to_patches(ctx, spec, found, names) -> list[str]:
    """Move the instruction at each site ``found`` (object, section, offset, output section)
    into a patch, ``insn; b back``, in a section ``spec["section"]`` of the site's object at the
    end of its output section, and branch from the site to it; the patches' symbols are
    ``names`` (made unique).  Returns the patches' symbols."""
    t = ctx.rel
    st = ctx.symtab
    size = spec["patch_size"]
    done = []
    name_of = {(id(obj), sec, off): n for (obj, sec, off, _), n in zip(found, names)}
    by: dict[tuple[int, str], list[tuple]] = {}
    for obj, sec, off, out in found:
        by.setdefault((obj.file_id, out.name), []).append((obj, sec, off, out))
    parts = []
    for (fid, _), sites in by.items():
        host = ctx.files[fid]
        code = b""
        for obj, sec, off, out in sites:
            code += bytes(obj.section_content(sec)[off:off + 4]) + spec["branch"]
        psec = _add_section(host, spec["section"], code, 4)
        out = sites[0][3]
        out.inputs.append((host, psec))
        host.sec_outsec[psec] = out
        patch_rows, site_parts = [], {}
        for k, (obj, sec, off, out) in enumerate(sites):
            name = _unique(st, name_of[id(obj), sec, off])
            g_patch, g_back = st.intern(name), st.intern(_unique(st, name + "_back"))
            i_patch, i_back = _add_symbols(host, [(g_patch, psec, k * size, size), (g_back, sec, off + 4, 0)])
            for g, i in ((g_patch, i_patch), (g_back, i_back)):
                st.state[g], st.def_file[g], st.def_index[g] = DEFINED, fid, i
            # the moved instruction takes its relocations along (lo12 values: position-free)
            rows = _rows_at(t, fid, sec, off)
            for r in rows.tolist():
                patch_rows.append((k * size, int(t.type[r]), int(t.sym[r]), int(t.addend[r]), r))
                t.type[r], t.kind[r], t.width[r] = 0, int(Kind.NONE), 0
            patch_rows.append((k * size + 4, spec["branch_type"], i_back, 0))
            site_parts.setdefault(sec, []).append((off, spec["branch_type"], i_patch, 0))
            body = bytearray(obj.section_content(sec))
            body[off:off + 4] = spec["branch"]
            obj.content_override[sec] = bytes(body)
            done.append(name)
        parts.append((fid, psec, patch_rows))
        parts.extend((fid, sec, rows) for sec, rows in site_parts.items())
    _append_rows(ctx, parts)
    return done


def _rows_at(t, fid: int, sec: int, off: int) -> np.ndarray:
    """The rows of the relocation table at offset ``off`` of section ``sec`` of file ``fid``
    (not those made NONE), in table order: looked for in that section's parts only (the
    table's parts are its sections' runs of rows), not in every row (arm64 1200x50: four
    compares of 811,000 rows a site)."""
    ends = np.cumsum(t.counts)
    parts = np.flatnonzero((t.part_file == fid) & (t.part_sec == sec)).tolist()
    rows = [np.arange(ends[p] - t.counts[p], ends[p]) for p in parts]
    rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    return rows[(t.offset[rows] == off) & (t.kind[rows] != Kind.NONE)]


# -- Cortex-A53 erratum 835769 -----------------------------------------------------------------
#
# A 64-bit multiply-accumulate right after a load or store it does not depend on (the arch's
# hook decides which pairs, as GNU ld does).  The fix is 843419's: the multiply-accumulate
# moves to a patch ``mac; b back``.  Unlike 843419 it does not depend on addresses, so one scan
# before layout finds every site, and the range thunks after it see the patches' branches.
# As in GNU ld, only code that mapping symbols mark ($x) is scanned, and a pair never spans two
# input sections.

def fix_835769(ctx) -> None:
    """The pass: --fix-cortex-a53-835769."""
    if not ctx.opts.fix_cortex_a53_835769:
        return
    spec = ctx.arch.hooks.get("erratum_835769")
    if spec is None:
        ctx.diag.warn(f"--fix-cortex-a53-835769 is ignored on {ctx.arch.name}")
        return
    found = []
    for out in ctx.outputs.values():
        if not (out.alloc and out.flags & elf.SHF_EXECINSTR):
            continue
        for obj, i in out.inputs:
            if obj.shdrs["sh_type"][i] == elf.SHT_NOBITS:
                continue
            data = obj.section_content(i)
            words = np.frombuffer(data, dtype="<u4", count=len(data) // 4)
            hits = spec["find"](words)
            if not hits:
                continue
            spans = _code_spans(obj, i)
            found.extend((obj, i, 4 * k, out) for k in hits if _within(spans, 4 * k - 4, 8))
    if found:
        names = [f"{spec['prefix']}{k}" for k in range(len(found))]
        _move_to_patches(ctx, spec, found, names)


def _code_spans(obj, sec: int) -> list[tuple[int, int]]:
    """The (start, end) offsets of the section's code after its mapping symbols: from each $x
    to the next $d; none when the section has no mapping symbols."""
    marks = _mapping_marks(obj, sec)
    spans = []
    for k, (off, kind) in enumerate(marks):
        if kind == "$x":
            end = next((o for o, t in marks[k + 1:] if t == "$d"), 1 << 62)
            spans.append((off, end))
    return spans


def _within(spans, off: int, size: int) -> bool:
    return any(a <= off and off + size <= b for a, b in spans)
