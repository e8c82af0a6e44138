"""Write the executable: headers, section contents, relocated image, symbol table.

The whole file is built in one NumPy byte array, relocated in place, and written to a
temporary file next to the output that is renamed over it only when everything succeeded,
so a failed link never leaves a partial or stale output.
"""
from __future__ import annotations

import os
import tempfile

import numpy as np

from xld.link import elf
from xld.link.elf import align_up
from xld.link.layout import SEG_R, SEG_RX, SEG_RELRO, SEG_RW

_SEG_FLAGS = {SEG_R: elf.PF_R, SEG_RX: elf.PF_R | elf.PF_X, SEG_RELRO: elf.PF_R | elf.PF_W,
              SEG_RW: elf.PF_R | elf.PF_W}


def build_image(ctx) -> np.ndarray:
    """Section contents laid out at their file offsets (before relocation)."""
    img = np.zeros(ctx.file_end, dtype=np.uint8)
    for o in ctx.ordered:
        if o.nobits:
            continue
        if o.data is not None and not o.inputs:
            img[o.offset:o.offset + len(o.data)] = np.frombuffer(o.data, dtype=np.uint8)
            continue
        fill = ctx.arch.nop if o.flags & elf.SHF_EXECINSTR else None
        prev_end = o.offset
        for obj, i in o.inputs:
            sh = obj.shdrs[i]
            if int(sh["sh_type"]) == elf.SHT_NOBITS:
                continue
            start = int(obj.sec_fileoff[i])
            size = int(sh["sh_size"])
            if fill is not None and start > prev_end:
                gap = start - prev_end
                pad = (fill * (gap // len(fill) + 1))[:gap]
                if prev_end % len(fill) == 0 and gap % len(fill) == 0:
                    img[prev_end:start] = np.frombuffer(pad, dtype=np.uint8)
            override = obj.content_override.get(i)
            if override is not None:
                img[start:start + size] = np.frombuffer(override, dtype=np.uint8)
            else:
                src = int(sh["sh_offset"])
                img[start:start + size] = obj.data[src:src + size]
            prev_end = start + size
    return img


def symbol_table(ctx):
    """(.symtab bytes, .strtab bytes, index of the first global) — locals first, as ELF wants."""
    st = ctx.symtab
    opts = ctx.opts
    strtab = bytearray(b"\0")
    stroff: dict[str, int] = {}

    def add_str(s: str) -> int:
        off = stroff.get(s)
        if off is None:
            off = len(strtab)
            strtab.extend(s.encode() + b"\0")
            stroff[s] = off
        return off

    rows = [(0, 0, 0, 0, 0, 0)]
    # locals, file by file
    if not opts.discard_all:
        for obj in ctx.files[1:]:
            syms = obj.syms
            fg = obj.first_global
            if fg <= 1:
                continue
            info = syms["st_info"][1:fg]
            typ = info & 0xF
            shndx = obj.sym_shndx[1:fg]
            keep = (typ != elf.STT_SECTION) & (syms["st_name"][1:fg] != 0)
            keep &= ~obj.sym_dead[1:fg]
            idx = np.nonzero(keep)[0] + 1
            for i in idx.tolist():
                name = obj.sym_name(i)
                t = int(syms[i]["st_info"]) & 0xF
                if name.startswith(".L") or name.startswith("$x") or name.startswith("$d") or \
                        (opts.discard_locals and name.startswith(".L")):
                    continue
                sec = int(obj.sym_shndx[i])
                if t == elf.STT_FILE:
                    out_shndx, value = elf.SHN_ABS, 0
                elif sec == elf.SHN_ABS:
                    out_shndx, value = elf.SHN_ABS, int(syms[i]["st_value"])
                elif 0 < sec < len(obj.sec_outsec) and obj.sec_outsec[sec] is not None:
                    out_shndx, value = obj.sec_outsec[sec].index, int(obj.symaddr[i])
                else:
                    continue
                rows.append((add_str(name), int(syms[i]["st_info"]), int(syms[i]["st_other"]) & 3,
                             out_shndx, value & (2**64 - 1), int(syms[i]["st_size"])))
    first_global = len(rows)
    for g in range(1, len(st)):
        state = st.state[g]
        name = st.names[g]
        f = st.def_file[g]
        if f > 0:
            obj = ctx.files[f]
            i = st.def_index[g]
            s = obj.syms[i]
            other = int(s["st_other"]) & 3
            info = int(s["st_info"])
            sec = int(obj.sym_shndx[i])
            if state == 2:    # common, now in .bss
                shndx = ctx.outputs[".bss"].index
                info = (elf.STB_GLOBAL << 4) | elf.STT_OBJECT
                size = st.common_size[g]
            elif sec == elf.SHN_ABS:
                shndx, size = elf.SHN_ABS, int(s["st_size"])
            elif 0 < sec < len(obj.sec_outsec) and obj.sec_outsec[sec] is not None:
                shndx, size = obj.sec_outsec[sec].index, int(s["st_size"])
            else:
                continue
            if other in (elf.STV_HIDDEN, elf.STV_INTERNAL):
                if opts.discard_all:     # -x: locals go, and so do hidden globals (GNU ld)
                    continue
                info = (elf.STB_LOCAL << 4) | (info & 0xF)   # hidden symbols become local, as ld does
            rows.append((add_str(name), info, other, shndx, int(ctx.gaddr[g]) & (2**64 - 1), size))
        elif f < 0:      # linker-defined
            sec = ctx.linker_sec.get(g)
            rows.append((add_str(name), (elf.STB_GLOBAL << 4) | elf.STT_NOTYPE, elf.STV_DEFAULT,
                         sec.index if sec is not None else elf.SHN_ABS, int(ctx.gaddr[g]) & (2**64 - 1), 0))
        elif state == 0 and g in ctx.refs and _all_weak(ctx, g):
            rows.append((add_str(name), (elf.STB_WEAK << 4) | elf.STT_NOTYPE, 0, elf.SHN_UNDEF, 0, 0))
    # hidden globals demoted to locals must precede the globals
    loc = [r for r in rows[first_global:] if r[1] >> 4 == elf.STB_LOCAL]
    glob = [r for r in rows[first_global:] if r[1] >> 4 != elf.STB_LOCAL]
    rows = rows[:first_global] + loc + glob
    first_global += len(loc)
    arr = np.array(rows, dtype=[("st_name", "<u4"), ("st_info", "u1"), ("st_other", "u1"),
                                ("st_shndx", "<u2"), ("st_value", "<u8"), ("st_size", "<u8")])
    return arr.tobytes(), bytes(strtab), first_global


def _all_weak(ctx, g) -> bool:
    for f, i in ctx.refs.get(g, ()):
        if int(ctx.files[f].syms[i]["st_info"]) >> 4 != elf.STB_WEAK:
            return False
    return True


def write_output(ctx, img: np.ndarray) -> None:
    arch = ctx.arch
    opts = ctx.opts
    sections = [o for o in ctx.ordered]
    # trailing tables
    symtab = strtab = b""
    first_global = 0
    if not opts.strip_all:
        symtab, strtab, first_global = symbol_table(ctx)
    names = bytearray(b"\0")
    name_off = {}
    def sname(s):
        if s not in name_off:
            name_off[s] = len(names)
            names.extend(s.encode() + b"\0")
        return name_off[s]
    for o in sections:
        sname(o.name)
    extra = []
    off = ctx.file_end
    if not opts.strip_all:
        off = align_up(off, 8)
        extra.append((".symtab", elf.SHT_SYMTAB, off, symtab, 8, 24))
        off += len(symtab)
        extra.append((".strtab", elf.SHT_STRTAB, off, strtab, 1, 0))
        off += len(strtab)
    sname(".shstrtab")
    for e in extra:
        sname(e[0])
    shstr_off = off
    off += len(names)
    shoff = align_up(off, 8)
    nsec = 1 + len(sections) + len(extra) + 1
    total = shoff + nsec * elf.SHDR_SIZE
    out = np.zeros(total, dtype=np.uint8)
    out[:len(img)] = img
    for _, _, o_off, data, _, _ in extra:
        out[o_off:o_off + len(data)] = np.frombuffer(data, dtype=np.uint8)
    out[shstr_off:shstr_off + len(names)] = np.frombuffer(bytes(names), dtype=np.uint8)

    # section headers
    sh = np.zeros(nsec, dtype=elf.SHDR)
    for o in sections:
        r = sh[o.index]
        r["sh_name"] = name_off[o.name]
        r["sh_type"] = o.type
        r["sh_flags"] = o.flags
        r["sh_addr"] = o.addr
        r["sh_offset"] = o.offset
        r["sh_size"] = o.size
        r["sh_addralign"] = o.align
        r["sh_entsize"] = o.entsize
        r["sh_link"] = o.link
        r["sh_info"] = o.info
    k = 1 + len(sections)
    symtab_index = k
    for name, typ, o_off, data, align, ent in extra:
        r = sh[k]
        r["sh_name"] = name_off[name]
        r["sh_type"] = typ
        r["sh_offset"] = o_off
        r["sh_size"] = len(data)
        r["sh_addralign"] = align
        r["sh_entsize"] = ent
        if typ == elf.SHT_SYMTAB:
            r["sh_link"] = k + 1
            r["sh_info"] = first_global
        k += 1
    shstrndx = k
    r = sh[k]
    r["sh_name"] = name_off[".shstrtab"]
    r["sh_type"] = elf.SHT_STRTAB
    r["sh_offset"] = shstr_off
    r["sh_size"] = len(names)
    r["sh_addralign"] = 1
    out[shoff:shoff + sh.nbytes] = sh.view(np.uint8)
    del symtab_index

    # program headers
    ph = program_headers(ctx)
    out[elf.EHDR_SIZE:elf.EHDR_SIZE + ph.nbytes] = ph.view(np.uint8)

    # ELF header
    eh = np.zeros(1, dtype=elf.EHDR)
    eh["e_ident"][0][:8] = [0x7F, ord("E"), ord("L"), ord("F"), elf.ELFCLASS64, elf.ELFDATA2LSB, 1, 0]
    eh["e_type"] = elf.ET_EXEC
    eh["e_machine"] = arch.machine
    eh["e_version"] = 1
    eh["e_entry"] = ctx.entry_addr
    eh["e_phoff"] = elf.EHDR_SIZE
    eh["e_shoff"] = shoff
    eh["e_flags"] = ctx.e_flags
    eh["e_ehsize"] = elf.EHDR_SIZE
    eh["e_phentsize"] = elf.PHDR_SIZE
    eh["e_phnum"] = len(ph)
    eh["e_shentsize"] = elf.SHDR_SIZE
    eh["e_shnum"] = nsec
    eh["e_shstrndx"] = shstrndx
    out[:elf.EHDR_SIZE] = eh.view(np.uint8)
    ctx.out_bytes = out


def program_headers(ctx) -> np.ndarray:
    rows = []
    maxpage = ctx.opts.max_page_size or ctx.arch.max_page_size
    alloc = [o for o in ctx.ordered if o.alloc]
    for cls, vaddr, off, fend, mend in ctx.segments:
        rows.append((elf.PT_LOAD, _SEG_FLAGS[cls], off, vaddr, vaddr, fend - off, mend - vaddr, maxpage))
    if ctx.tls_range is not None:
        start, end, align, foff, filesz = ctx.tls_range
        rows.append((elf.PT_TLS, elf.PF_R, foff, start, start, filesz, end - start, align))
    relro = [s for s in ctx.segments if s[0] == SEG_RELRO]
    if relro:
        _, vaddr, off, fend, mend = relro[0]
        rows.append((elf.PT_GNU_RELRO, elf.PF_R, off, vaddr, vaddr, fend - off,
                     align_up(mend, ctx.arch.common_page_size) - vaddr, 1))
    notes = [o for o in alloc if o.type == elf.SHT_NOTE]
    if notes:
        a, b = notes[0], notes[-1]
        rows.append((elf.PT_NOTE, elf.PF_R, a.offset, a.addr, a.addr, b.offset + b.size - a.offset,
                     b.addr + b.size - a.addr, max(o.align for o in notes)))
    eh = ctx.outputs.get(".eh_frame_hdr")
    if eh is not None and eh.alloc and eh.size:
        rows.append((elf.PT_GNU_EH_FRAME, elf.PF_R, eh.offset, eh.addr, eh.addr, eh.size, eh.size, 4))
    rows.append((elf.PT_GNU_STACK, elf.PF_R | elf.PF_W, 0, 0, 0, 0, 0, 16))
    attrs = ctx.outputs.get(".riscv.attributes")
    if attrs is not None:
        rows.append((elf.PT_RISCV_ATTRIBUTES, elf.PF_R, attrs.offset, 0, 0, attrs.size, 0, 1))
    while len(rows) < ctx.nphdr:
        rows.append((elf.PT_NULL, 0, 0, 0, 0, 0, 0, 0))
    return np.array(rows[:ctx.nphdr], dtype=elf.PHDR)


def commit(ctx) -> None:
    """Write to a temporary file beside the output, then rename it into place."""
    path = ctx.opts.output
    d = os.path.dirname(os.path.abspath(path)) or "."
    fd, tmp = tempfile.mkstemp(prefix=".xld-", suffix=".tmp", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(ctx.out_bytes.tobytes())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
