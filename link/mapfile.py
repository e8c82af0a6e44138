"""-Map FILE / -M: what went where, for people reading a link.

Four parts (five with --icf), the first two in GNU ld's words so that habits carry over:

    Archive member included to satisfy reference by file (symbol)
        every member pulled out of an archive, and the file and symbol that pulled it
    Discarded input sections
        sections left out: COMDAT copies after the first, and --gc-sections' leftovers
        (then, with --icf, the sections folded into an identical one)
    Memory map
        output sections (address, size, alignment), the input sections inside each one
        with their files, and the symbols they define — lld's table layout:

                 VMA     Size Align Out     In      Symbol
              400000      1c0     8 .rodata
              400000       a3     8         a.o:(.rodata.str1.8)
              400010        0     1                 msg
    Linker-defined symbols
        the values xld gave _end, __bss_start, __start_SEC and the like
    Cross Reference Table (--cref; on stdout without a map)
        GNU ld's table: each global symbol (sorted by its mangled name, shown demangled), the
        file whose definition the link took, then every other file that names it (undefined,
        or a common), the later files first, as GNU ld orders them.  A shared library is
        listed for the names the link imports from it (GNU ld lists every name it exports)

Addresses are final (written after layout, before relocation); "-" writes to stdout.
"""
from __future__ import annotations

import sys

import numpy as np

from xld.link import elf, resolve
from xld.link.layout import DROP, DROP_TYPES


def write(ctx) -> None:
    if not ctx.opts.map_file:               # --cref alone: the table on stdout
        sys.stdout.write(cross_references(ctx))
        sys.stdout.flush()
        return
    text = render(ctx)
    path = ctx.opts.map_file
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    # written when the output is committed (link/write.py): a failed link leaves no map
    ctx.map_text = text


def render(ctx) -> str:
    out: list[str] = []
    _archive_members(ctx, out)
    if ctx.opts.print_map_discarded:
        _discarded(ctx, out)
    _folded(ctx, out)
    _memory_map(ctx, out)
    _linker_symbols(ctx, out)
    if ctx.opts.cref:
        out.append(cross_references(ctx))
    return "".join(out)


# -- archive members -------------------------------------------------------------------------

def reason(ctx, obj) -> str:
    """'file (symbol)' that pulled an archive member in, as GNU ld words it."""
    why = getattr(obj, "pulled_by", None)
    if why is None:
        return "--whole-archive"
    st = ctx.symtab
    gid = st.ids.get(why)
    if why in ctx.opts.undefined:
        return f"-u ({why})"
    for fid, _si in ctx.refs.get(gid, ()) if gid is not None else ():
        if fid < obj.file_id:
            return f"{ctx.files[fid].name} ({why})"
    return f"({why})"


def _archive_members(ctx, out) -> None:
    members = [obj for _archive, _member, obj in ctx.loaded_members if obj.archive is not None]
    if not members:
        return                              # (--start-lib objects are not archive members)
    out.append("Archive member included to satisfy reference by file (symbol)\n\n")
    for obj in members:
        name = obj.name
        out.append(name + ("\n" + " " * 30 if len(name) >= 30 else " " * (30 - len(name))))
        out.append(reason(ctx, obj) + "\n")
    out.append("\n")


# -- discarded sections ----------------------------------------------------------------------

def discarded_sections(ctx) -> list[tuple[object, int]]:
    """Allocated input sections that are not in the output (COMDAT duplicates, GC'd)."""
    res = []
    for obj in ctx.files[1:]:
        flags = obj.shdrs["sh_flags"]
        types = obj.shdrs["sh_type"].tolist()
        alloc = ((flags & np.uint64(elf.SHF_ALLOC)) != 0).tolist()
        for i in range(1, len(obj.shdrs)):
            if alloc[i] and obj.sec_outsec[i] is None and types[i] not in DROP_TYPES \
                    and obj.sec_names[i] not in DROP:
                res.append((obj, i))
    return res


def _discarded(ctx, out) -> None:
    rows = discarded_sections(ctx)
    out.append("Discarded input sections\n\n")
    for obj, i in rows:
        name = obj.sec_names[i]
        size = int(obj.shdrs[i]["sh_size"])
        lead = f" {name}"
        if len(lead) >= 16:
            lead += "\n" + " " * 16
        else:
            lead += " " * (16 - len(lead))
        why = " (COMDAT)" if obj.discarded[i] else ""
        out.append(f"{lead}0x{0:016x} {size:#10x} {obj.name}{why}\n")
    out.append("\n")


def _folded(ctx, out) -> None:
    folded = ctx.icf_folded
    if not folded:
        return
    out.append("Folded input sections (--icf)\n\n")
    for (obj, i), (kobj, k) in folded.items():
        out.append(f" {obj.name}:({obj.sec_names[i]}) -> {kobj.name}:({kobj.sec_names[k]})\n")
    out.append("\n")


# -- memory map ------------------------------------------------------------------------------

def _symbols_by_section(ctx, obj) -> dict[int, list[tuple[int, str, int]]]:
    """Symbols a file defines in its kept sections: section index -> [(address, name, size)].
    Globals only where resolution chose this definition; locals without assembler labels."""
    st = ctx.symtab
    syms = obj.syms
    shndx = obj.sym_shndx
    n = len(obj.shdrs)
    typ = syms["st_info"] & 0xF
    cand = (shndx > 0) & (shndx < min(elf.SHN_LORESERVE, n)) & (typ != elf.STT_SECTION) & (typ != elf.STT_FILE)
    cand &= syms["st_name"] != 0
    cand[0] = False
    kept = obj.sec_kept if hasattr(obj, "sec_kept") else np.ones(n, dtype=bool)
    cand &= kept[np.where(cand, shndx, 0)]
    res: dict[int, list[tuple[int, str]]] = {}
    fg = obj.first_global
    addrs, own = obj.S, obj.own_addr          # (an IFUNC's own address: S is its stub)
    sizes = syms["st_size"]
    for si in np.nonzero(cand)[0].tolist():
        if si >= fg:
            gid = int(obj.gids[si])
            if st.def_file[gid] != obj.file_id or st.def_index[gid] != si:
                continue
            name = st.names[gid]
        else:
            name = obj.sym_name(si)
            if name.startswith(".L") or name.startswith("$") or not name:
                continue
        res.setdefault(int(shndx[si]), []).append((own.get(si, int(addrs[si])), name, int(sizes[si])))
    for v in res.values():
        v.sort()
    return res


def _memory_map(ctx, out) -> None:
    out.append("Memory map\n\n")
    out.append(f"{'VMA':>16} {'Size':>8} {'Align':>5} Out     In      Symbol\n")
    per_file: dict[int, dict] = {}
    st = ctx.symtab
    for o in ctx.ordered:
        out.append(f"{o.addr:16x} {o.size:8x} {o.align:5d} {o.name}\n")
        for obj, i in o.inputs:
            sh = obj.shdrs[i]
            addr = int(obj.sec_addr[i]) if o.alloc else int(obj.sec_out[i])
            out.append(f"{addr:16x} {int(sh['sh_size']):8x} {max(int(sh['sh_addralign']), 1):5d}"
                       f"         {obj.name}:({obj.sec_names[i]})\n")
            syms = per_file.get(obj.file_id)
            if syms is None:
                syms = per_file[obj.file_id] = _symbols_by_section(ctx, obj)
            for a, name, size in syms.get(i, ()):
                out.append(f"{a:16x} {size:8x} {1:5d}                 {name}\n")
        if o.name == ".bss" and ctx.commons:
            for g in ctx.commons:
                a = o.addr + ctx.common_off[g]
                out.append(f"{a:16x} {st.common_size[g]:8x} {st.common_align[g]:5d}"
                           f"         <common>\n{a:16x} {0:8x} {1:5d}                 {st.names[g]}\n")
    out.append("\n")


def _linker_symbols(ctx, out) -> None:
    st = ctx.symtab
    rows = [(int(ctx.gaddr[g]), st.names[g]) for g in range(1, len(st)) if st.def_file[g] == resolve.LINKER]
    if not rows:
        return
    out.append("Linker-defined symbols\n\n")
    for a, name in sorted(rows, key=lambda r: (r[0], r[1])):
        out.append(f"{a & (2**64 - 1):16x} {name}\n")


# -- cross references (--cref) ---------------------------------------------------------------

_FILE_COLUMN = 50                   # where GNU ld's "File" column starts


def cross_references(ctx) -> str:
    st = ctx.symtab
    mentions: dict[int, list[int]] = {}          # gid -> file ids naming it, not as its definition
    for obj in ctx.files[1:]:
        fg = obj.first_global
        gids = obj.gids[fg:]
        shndx = obj.sym_shndx[fg:]
        named = (shndx == elf.SHN_UNDEF) | (shndx == elf.SHN_COMMON)
        dropped = np.asarray(obj.discarded, dtype=bool) if obj.discarded is not None else None
        if dropped is not None and dropped.any():   # a definition in a dropped COMDAT copy names it too
            inside = shndx < len(dropped)
            named[inside] |= dropped[shndx[inside]]
        named &= gids != 0
        for g in set(gids[named].tolist()):
            if st.def_file[g] != obj.file_id or int(st.state[g]) == resolve.COMMON:
                mentions.setdefault(g, []).append(obj.file_id)
    rows: dict[int, list[str]] = {}
    for g in range(1, len(st)):
        f = st.def_file[g]
        first = []
        if 0 < f < len(ctx.files) and int(st.state[g]) != resolve.COMMON:
            first = [ctx.files[f].name]
        elif g in ctx.imports:
            first = [ctx.imports[g][0].name]
        others = [ctx.files[k].name for k in reversed(mentions.get(g, ()))]
        if first or others:
            rows[g] = first + others
    out = ["\nCross Reference Table\n\n", "Symbol".ljust(_FILE_COLUMN), "File\n"]
    if not rows:
        out.append("No symbols\n")
    for g in sorted(rows, key=st.names.__getitem__):
        name = ctx.diag.sym(st.names[g])
        files = rows[g]
        out.append(f"{name.ljust(_FILE_COLUMN) if len(name) < _FILE_COLUMN else name + ' '}{files[0]}\n")
        out.extend(f"{'':{_FILE_COLUMN}}{f}\n" for f in files[1:])
    return "".join(out)
