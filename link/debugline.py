"""Source locations for diagnostics: ``a.c:4`` from an object's DWARF, as lld prints them.

An undefined reference or a duplicate definition is easier to fix when the message names
the source line (lld: ``>>> referenced by a.c:4 (/src/a.c:4)``).  Only objects named in an
error are read, lazily and once, so a successful link pays nothing.

A relocatable object's DWARF is not final: in RELA objects the fields that hold addresses and
string offsets are zero until relocated, and on RISC-V the line program's address advances
are label differences (ADD16/SUB16 pairs) because relaxation may still move code.  This
module applies the relocations of the ``.debug_*`` sections to a copy of the object, with the
architecture's own relocation table (kinds ADDR/SET/ADD/SUB and their field encoders), and
hands the copy to pyelftools.  An address relocated against an allocated section carries that
section's index above bit 40, so that line sequences of different sections (-ffunction-sections,
COMDAT functions: all of them start at 0) stay apart — lld's DWARF reader does the same with
section indices.

The path rules are LLVM's (``Prologue::getFileNameByIndex`` with an absolute file path and no
compilation directory, as lld asks for it), and the message is lld's ``createFileLineMsg``:
``name:line``, followed by `` (path:line)`` when the path is more than the name.
"""
from __future__ import annotations

import io
import os
import posixpath

import numpy as np

from xld.link import elf
from xld.link.kinds import Kind

_TAG = 40            # an allocated section's index above this bit of a relocated address


class SourceLines:
    """The line tables and global variables' declarations of one object."""

    def __init__(self, obj, arch):
        self.sequences: list[tuple[int, int, np.ndarray, list]] = []   # (start, end, addrs, rows)
        self.variables: dict[str, tuple[str, int]] = {}
        try:
            self._read(obj, arch)
        except Exception:            # a broken or unusual DWARF: no source locations, no failure
            self.sequences, self.variables = [], {}

    # -- reading -------------------------------------------------------------------------------
    def _read(self, obj, arch) -> None:
        names = obj.sec_names
        if ".debug_info" not in names or ".debug_line" not in names:
            return
        from elftools.elf.elffile import ELFFile
        data, bases = _uncompressed_copy(obj)
        if not _relocate_debug(obj, arch, data, bases):
            return
        dwarf = ELFFile(io.BytesIO(bytes(data))).get_dwarf_info(relocate_dwarf_sections=False)
        for cu in dwarf.iter_CUs():
            prog = dwarf.line_program_for_CU(cu)
            if prog is None:
                continue
            files = _file_paths(prog)
            self._sequences(prog, files)
            self._variables(cu, files)

    def _sequences(self, prog, files) -> None:
        addrs: list[int] = []
        rows: list[tuple[str, int]] = []
        for entry in prog.get_entries():
            st = entry.state
            if st is None:
                continue
            if st.end_sequence:
                if addrs:
                    self.sequences.append((addrs[0], st.address, np.array(addrs, dtype=np.uint64), rows))
                addrs, rows = [], []
                continue
            addrs.append(st.address)
            rows.append((files.get(st.file, ""), st.line))

    def _variables(self, cu, files) -> None:
        top = cu.get_top_DIE()
        for die in top.iter_children():
            if die.tag != "DW_TAG_variable" or "DW_AT_decl_line" not in die.attributes:
                continue
            if "DW_AT_location" not in die.attributes and "DW_AT_specification" not in die.attributes:
                continue
            path = files.get(die.attributes["DW_AT_decl_file"].value, "") if "DW_AT_decl_file" in die.attributes else ""
            for key in ("DW_AT_linkage_name", "DW_AT_name"):
                if key in die.attributes and path:
                    name = die.attributes[key].value
                    name = name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
                    self.variables.setdefault(name, (path, int(die.attributes["DW_AT_decl_line"].value)))

    # -- questions -------------------------------------------------------------------------------
    def line_at(self, shndx: int, offset: int) -> tuple[str, int] | None:
        """(path, line) of the row that covers ``offset`` of section ``shndx``."""
        target = (shndx << _TAG) | offset
        for start, end, addrs, rows in self.sequences:
            if start <= target < end:
                k = int(np.searchsorted(addrs, np.uint64(target), side="right")) - 1
                if k >= 0 and rows[k][0]:
                    return rows[k]
        return None


def _file_paths(prog) -> dict[int, str]:
    """The line program's file numbers -> paths, by LLVM's rules without a compilation
    directory (DWARF 5: directory 0 is the compilation directory, and its files are joined
    with it; DWARF 4: directory 0 means none)."""
    h = prog.header
    version = h["version"]
    dirs = [_text(d) for d in h["include_directory"]]
    out = {}
    for k, f in enumerate(h["file_entry"]):
        name = _text(f.name)
        idx = f.dir_index
        if os.path.isabs(name):
            path = name
        else:
            if version >= 5:
                d = dirs[idx] if idx < len(dirs) else ""
            else:
                d = dirs[idx - 1] if 0 < idx <= len(dirs) else ""
            path = posixpath.join(d, name) if d else name
        out[k if version >= 5 else k + 1] = path
    return out


def _text(v) -> str:
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def _uncompressed_copy(obj) -> tuple[bytearray, dict[int, int]]:
    """The object's bytes, with each section it read decompressed (gcc -gz) appended at the
    end and its section header pointed there (uncompressed size, no SHF_COMPRESSED); and
    those sections' new file offsets."""
    data = bytearray(obj.buf)
    bases: dict[int, int] = {}
    if obj.inflated:
        shoff = int.from_bytes(data[0x28:0x30], "little")
        for i, blob in obj.inflated.items():
            at = (len(data) + 15) & ~15
            data.extend(bytes(at - len(data)))
            data.extend(blob)
            h = shoff + i * elf.SHDR_SIZE
            data[h + 8:h + 16] = int(obj.shdrs[i]["sh_flags"]).to_bytes(8, "little")
            data[h + 24:h + 32] = at.to_bytes(8, "little")
            data[h + 32:h + 40] = len(blob).to_bytes(8, "little")
            bases[i] = at
    return data, bases


def _relocate_debug(obj, arch, data: bytearray, bases: dict[int, int]) -> bool:
    """Apply the relocations of the non-allocated .debug_* sections to ``data`` (the object's
    bytes; ``bases``: where the decompressed ones are).  False when .debug_line holds one this
    reader cannot apply."""
    shdrs = obj.shdrs
    syms = obj.file_symbols()          # (merging and relaxation move labels in ``obj.syms``)
    flags = shdrs["sh_flags"].tolist()
    for target, r in obj.relas.items():
        name = obj.sec_names[target]
        if not name.startswith(".debug_") or flags[target] & elf.SHF_ALLOC or len(r) == 0:
            continue
        base = bases.get(target, int(shdrs[target]["sh_offset"]))
        size = int(shdrs[target]["sh_size"])
        info = r["r_info"].tolist()
        for off, inf, addend in zip(r["r_offset"].tolist(), info, r["r_addend"].tolist()):
            howto = arch.howto(inf & 0xFFFFFFFF)
            if howto is None or howto.kind == Kind.NONE:
                if howto is None and name == ".debug_line":
                    return False
                continue
            fld = howto.field
            if howto.kind not in (Kind.ADDR, Kind.SET, Kind.ADD, Kind.SUB) or fld is None or fld.width == 0 \
                    or off + fld.width > size:
                if name == ".debug_line":
                    return False
                continue
            sym = inf >> 32
            shndx = int(obj.sym_shndx[sym])
            s = int(syms[sym]["st_value"]) + addend
            if howto.kind == Kind.ADDR and fld.width == 8 and 0 < shndx < len(flags) \
                    and flags[shndx] & elf.SHF_ALLOC:
                s |= shndx << _TAG
            at = base + off
            word = np.array([int.from_bytes(data[at:at + fld.width], "little")], dtype=np.uint64)
            if howto.kind == Kind.ADD:
                s = int(fld.read(word)[0]) + s
            elif howto.kind == Kind.SUB:
                s = int(fld.read(word)[0]) - s
            value = np.array([s & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64).view(np.int64)
            new = int(fld.write(word, value)[0])
            data[at:at + fld.width] = (new & ((1 << (8 * fld.width)) - 1)).to_bytes(fld.width, "little")
    return True


def file_line_msg(path: str, line: int) -> str:
    """lld's createFileLineMsg: ``a.c:4``, and `` (dir/a.c:4)`` when the path says more."""
    name = posixpath.basename(path)
    if name == path:
        return f"{name}:{line}"
    return f"{name}:{line} ({path}:{line})"


def source_lines(ctx, obj) -> SourceLines:
    """The object's source lines, read once per link."""
    got = ctx.source_lines.get(obj.file_id)
    if got is None or got[0] is not obj:
        got = ctx.source_lines[obj.file_id] = (obj, SourceLines(obj, ctx.arch))
    return got[1]


def obj_msg(ctx, obj, shndx: int, offset: int, skip: int = -1) -> str:
    """lld's getObjMsg: ``a.o:(symbol)`` for the symbol whose bytes hold the place (else
    ``a.o:(.text+0x10)``), and an archive member as ``m.o:(symbol) in archive lib.a``."""
    sym = obj.symbol_at(shndx, offset, skip)
    where = f"({ctx.diag.sym(sym)})" if sym else f"({obj.sec_names[shndx]}+0x{offset:x})"
    ar = obj.archive
    if ar is not None and obj.name.startswith(ar.path + "(") and obj.name.endswith(")"):
        return f"{obj.name[len(ar.path) + 1:-1]}:{where} in archive {ar.path}"
    return f"{obj.name}:{where}"


def src_msg(ctx, obj, shndx: int, offset: int, symbol: str | None = None) -> str:
    """What lld puts after ``referenced by`` / ``defined at``: the line of the code at the
    place, else the declaration of the variable ``symbol``, else the STT_FILE name ("" when
    there is none)."""
    lines = source_lines(ctx, obj)
    hit = lines.line_at(shndx, offset) if 0 < shndx < elf.SHN_LORESERVE else None
    if hit is None and symbol is not None:
        hit = lines.variables.get(symbol)
    if hit is not None:
        return file_line_msg(*hit)
    return obj.source_name() or ""
