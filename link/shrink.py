"""Section shrinking: delete bytes from input sections, and move everything after them.

RISC-V assemblers emit the *largest* padding an alignment directive could need in
relaxable code and mark it with R_RISCV_ALIGN (addend = padding bytes); the linker must
delete the excess so that the code after it lands exactly on the boundary (psABI,
"Linker Relaxation").  GNU ld and mold always do this; lld 14 refused such objects.

Why one pass settles: deletions only ever shrink a section, and an input section keeps its
own alignment in the output, so whether a padding is enough depends only on the offset
*within its input section*.  Walking a section's ALIGN sites in address order while counting
the bytes already deleted before each one gives the final answer for every site in one go.

After deciding the deletions (a sorted list of (offset, count) per section) everything that
points into the section moves: relocation offsets, symbol values and sizes, addends of
relocations made against the section symbol, and the section size.  Label differences
(ADD/SUB/SET/ULEB128 pairs in .eh_frame and debug sections) are computed from the moved
symbols by the normal relocation pass, so they come out right by construction.
"""
from __future__ import annotations

import numpy as np

from xld.link import elf
from xld.link.kinds import Kind


def run(ctx) -> None:
    t = ctx.rel
    if t.n == 0:
        return
    align_rows = np.nonzero(t.kind == Kind.ALIGN)[0]
    if len(align_rows) == 0:
        return
    fill = ctx.arch.hooks["nop_fill"]
    # group ALIGN rows by (file, section)
    keys = t.file[align_rows] * (1 << 32) + t.sec[align_rows]
    order = np.lexsort((t.offset[align_rows], keys))
    rows = align_rows[order]
    keys = keys[order]
    bounds = np.nonzero(np.diff(keys))[0] + 1
    for group in np.split(rows, bounds):
        f, sec = int(t.file[group[0]]), int(t.sec[group[0]])
        obj = ctx.files[f]
        dels: list[tuple[int, int]] = []
        keeps: list[tuple[int, int]] = []
        deleted = 0
        for row in group.tolist():
            off = int(t.offset[row])
            pad = int(t.addend[row])
            align = 1 << pad.bit_length()
            new_off = off - deleted
            keep = (-new_off) % align
            if keep > pad:
                ctx.diag.error(f"{obj.where(sec, off)}: R_RISCV_ALIGN padding of {pad} bytes cannot reach "
                               f"a {align}-byte boundary")
                continue
            t.addend[row] = keep
            keeps.append((off, keep))
            if pad - keep:
                dels.append((off + keep, pad - keep))
                deleted += pad - keep
        if dels:
            _apply(ctx, obj, sec, dels, keeps, fill)


def _apply(ctx, obj, sec: int, dels: list[tuple[int, int]], keeps, fill) -> None:
    t = ctx.rel
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

    # 1. contents: drop the deleted bytes, refill the padding that stays with proper nops
    _writable(obj)
    old = bytearray(obj.section_content(sec))
    for off, keep in keeps:
        if keep:
            old[off:off + keep] = fill(keep)
    mask = np.ones(len(old), dtype=bool)
    for s, c in dels:
        mask[s:s + c] = False
    new = np.frombuffer(bytes(old), dtype=np.uint8)[mask]
    obj.content_override[sec] = new.tobytes()
    obj.shdrs[sec]["sh_size"] = len(new)

    # 2. relocations applied to this section
    rows = np.nonzero((t.file == obj.file_id) & (t.sec == sec))[0]
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
        rows = np.nonzero((t.file == obj.file_id) & np.isin(t.sym, secsyms) & (t.kind != Kind.ALIGN))[0]
        t.addend[rows] = moved(t.addend[rows])


def _writable(obj) -> None:
    if not getattr(obj, "_own_tables", False):
        obj.syms = obj.syms.copy()
        obj.shdrs = obj.shdrs.copy()
        obj._own_tables = True
