"""Reading inputs: ELF64 relocatable objects and ``ar`` archives.

An object's section headers, symbol table and relocation tables are NumPy structured arrays
viewed over the file bytes (no per-record Python objects).  An archive is read through its
symbol index: a member is parsed only when it defines a symbol that is still undefined.
"""
from __future__ import annotations

import mmap
import operator
import os
import stat
import struct

import numpy as np

from xld.link import elf
from xld.link.errors import LinkError

_EHDR = struct.Struct("<HHIQQQIHHHHHH")        # the ELF header after e_ident

# Section name lists by (string table, name offsets): objects built the same way share them.
_SEC_NAMES: dict[tuple[bytes, bytes], list[str]] = {}


def _section_names(strtab, offsets: np.ndarray) -> list[str]:
    key = (bytes(strtab), offsets.tobytes())
    names = _SEC_NAMES.get(key)
    if names is None:
        names = _SEC_NAMES[key] = _strings_at(key[0], offsets)
    return list(names)          # a copy: passes may append sections to an object


def _strings_at(strtab: bytes, offsets: np.ndarray) -> list[str]:
    """The NUL-terminated strings at ``offsets`` of a string table.  A few strings (most
    archive members have a handful of globals): one ``find`` each.  Many: the ends are found
    with one array search, so the only per-string work is a slice."""
    if len(offsets) == 0:
        return []
    offs = offsets.tolist()
    if len(offs) <= _FEW_STRINGS and strtab[-1:] == b"\0":
        try:
            text = strtab.decode("ascii")
        except UnicodeDecodeError:
            pass
        else:
            find = text.find
            return [text[o:find("\0", o)] for o in offs]     # past the end: "" either way
    nul = np.flatnonzero(np.frombuffer(strtab, dtype=np.uint8) == 0)
    k = np.searchsorted(nul, offsets)
    ends = np.append(nul, len(strtab))[k].tolist()
    try:
        text = strtab.decode("ascii")
    except UnicodeDecodeError:
        return [strtab[o:e].decode("utf-8", "replace") for o, e in zip(offs, ends)]
    return [text[o:e] for o, e in zip(offs, ends)]


_FEW_STRINGS = 64


def _suspect_headers(t, o, z, a, n) -> np.ndarray:
    """Per section header (columns of type, offset, size, alignment; n: the file's size, one
    or per header): whether something is wrong with it (SHT_REL, an alignment not a power of
    two or past 2^32, a size or offset past 2^48, contents past the end of the file)."""
    big = np.uint64(MAX_SECTION_SIZE)
    # (offsets and sizes past 2^48 are suspect first, so their sum cannot wrap)
    return ((a & (a - np.uint64(1))) != 0) | (a > np.uint64(1 << 32)) | (z >= big) | (o >= big) \
        | (t == elf.SHT_REL) | ((o + z > np.asarray(n, dtype=np.uint64)) & (t != elf.SHT_NOBITS))
_FEW_SECTIONS = 32       # fewer section headers (relocation tables): one Python loop over them
_FEW_OBJECTS = 8         # parse_objects: no more objects than this are read one by one

# no section is this large (2^48 bytes: the 48-bit virtual address spaces of both targets'
# usual Linux configurations); a size past it is corruption, and would overflow the layout
MAX_SECTION_SIZE = 1 << 48
BITCODE_MAGIC, BITCODE_WRAPPER = b"BC\xc0\xde", b"\xde\xc0\x17\x0b"     # LLVM bitcode, bare or wrapped

# sections a relocation section cannot apply to (its sh_info)
_NOT_RELOCATABLE = (elf.SHT_NULL, elf.SHT_SYMTAB, elf.SHT_STRTAB, elf.SHT_RELA, elf.SHT_GROUP,
                    elf.SHT_SYMTAB_SHNDX, elf.SHT_DYNSYM, elf.SHT_REL, elf.SHT_NOBITS)


def _amax(a: np.ndarray) -> int:
    """The largest element of a non-empty integer array (a short one's list max is quicker
    than a ufunc call; most archive members have a few symbols and relocations)."""
    return max(a.tolist()) if len(a) <= 64 else int(a.max())


def read_file(path: str) -> bytes | mmap.mmap:
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                return b""
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except IsADirectoryError:
        raise LinkError(f"cannot open {path}: Is a directory")
    except OSError as e:
        raise LinkError(f"cannot open {path}: {e.strerror}")


def map_regular(path: str):
    """The contents of ``path`` mapped, if it is a non-empty regular file that can be read;
    else None (nothing is said: the caller reads it again with ``read_file``).  Anything else
    (a FIFO, a device) is not opened."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
            return None
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)


class ObjectFile:
    """One ELF64 relocatable object.  Symbols and sections are indexed as in the file."""
    bitcode = False                       # (Bitcode, below: LLVM bitcode, not ELF)

    def __init__(self, name: str, data, offset: int = 0, size: int | None = None, checked=None):
        self.name = name                  # for messages: "a.o" or "libc.a(printf.o)"
        self.buf = memoryview(data)[offset:offset + size if size is not None else None]
        self.data = np.frombuffer(self.buf, dtype=np.uint8)
        # where the bytes start in the file's mapping when ``data`` is one (else -1): asking
        # NumPy for the address costs microseconds an object (link/shrink.py's Sources)
        self.map_offset = offset if isinstance(data, mmap.mmap) else -1
        self.file_id = 0                  # set when added to the link
        self.has_tls = False              # some symbol is STT_TLS
        self.file_syms_at = (0, 0)        # (count, offset) of the symbol table in the file
        self.sec_base = 0                 # global section id of section 0
        self.archive = None               # the Archive it was loaded from (link/resolve.py)
        self.pulled_by: str | None = None  # the name that loaded it from there
        self.inflated: dict[int, bytes] = {}   # compressed sections (-gz), decompressed
        self._parse(checked)

    # -- parsing ---------------------------------------------------------------------------
    def _fail(self, what: str):
        raise LinkError(f"{self.name}: {what}")

    def _parse(self, checked=None) -> None:
        """``checked``: what ``parse_objects`` found when it checked the file with others,
        (has_tls, section names or None): the checks its arrays did are not made again."""
        buf = self.buf
        n = len(buf)
        if n < elf.EHDR_SIZE or bytes(buf[:4]) != elf.ELFMAG:
            self._fail("not an ELF file" if n < 4 or bytes(buf[:4]) != elf.ELFMAG
                       else "file is too short to be an ELF file")
        if buf[4] != elf.ELFCLASS64:
            self._fail("not a 64-bit ELF file")
        if buf[5] != elf.ELFDATA2LSB:
            self._fail("not a little-endian ELF file")
        (self.e_type, self.machine, _, _, _, shoff, self.e_flags, _, _, _, shentsize, shnum,
         shstrndx) = _EHDR.unpack_from(buf, 16)
        if self.e_type != elf.ET_REL:
            kind = {elf.ET_EXEC: "an executable", elf.ET_DYN: "a shared object"}.get(self.e_type, f"of type {self.e_type}")
            self._fail(f"is {kind}, not a relocatable object; xld links static executables from relocatable objects")
        if shentsize != elf.SHDR_SIZE:
            self._fail(f"unexpected section header size {shentsize}")
        if shoff == 0:
            self._fail("has no section header table")
        if shnum == 0 and shoff + elf.SHDR_SIZE <= n:    # extended numbering
            shnum = int(np.frombuffer(buf, elf.SHDR, 1, shoff)[0]["sh_size"])
        if shoff + shnum * elf.SHDR_SIZE > n:
            self._fail("section header table goes past the end of the file (truncated?)")
        self.shdrs = shdrs = np.frombuffer(buf, elf.SHDR, shnum, shoff)
        # the section headers as columns, with one array pass over them: the symbol table,
        # relocations, groups, and whether any header is wrong (then the checks below say
        # which, in their order)
        t_np = shdrs["sh_type"]
        o_np = shdrs["sh_offset"]
        z_np = shdrs["sh_size"]
        layout = checked[2] if checked is not None else None
        if layout is not None:
            # (parse_objects found the tables of each kind for all its objects at once; this
            # read needs the header columns as lists only for COMDAT groups)
            sym_secs, rela_secs, group_secs, ext_secs = layout[0], layout[1], layout[2], ()
            suspect = False
            if group_secs:
                types, offsets, sizes = t_np.tolist(), o_np.tolist(), z_np.tolist()
            else:
                types, offsets, sizes = (elf.SHT_NULL,) * shnum, (), ()
        elif shnum <= _FEW_SECTIONS:         # (a few: one Python walk is quicker than arrays)
            types = t_np.tolist()
            offsets = o_np.tolist()
            sizes = z_np.tolist()
            sym_secs, rela_secs, group_secs, ext_secs = [], [], [], []
            suspect = False
            aligns = shdrs["sh_addralign"].tolist() if checked is None else ()
            for i, a in enumerate(aligns):
                if a & (a - 1) or a > 1 << 32 or (offsets[i] + sizes[i] > n and types[i] != elf.SHT_NOBITS) \
                        or sizes[i] >= MAX_SECTION_SIZE or types[i] == elf.SHT_REL:
                    suspect = True
                    break
            for i, t in enumerate(types):
                if t == elf.SHT_RELA:
                    rela_secs.append(i)
                elif t == elf.SHT_SYMTAB:
                    sym_secs.append(i)
                elif t == elf.SHT_GROUP:
                    group_secs.append(i)
                elif t == elf.SHT_SYMTAB_SHNDX:
                    ext_secs.append(i)
        else:
            types = t_np.tolist()
            offsets = o_np.tolist()
            sizes = z_np.tolist()
            suspect = checked is None and bool(_suspect_headers(t_np, o_np, z_np, shdrs["sh_addralign"], n).any())
            sym_secs = np.flatnonzero(t_np == elf.SHT_SYMTAB).tolist()
            rela_secs = np.flatnonzero(t_np == elf.SHT_RELA).tolist()
            group_secs = np.flatnonzero(t_np == elf.SHT_GROUP).tolist()
            ext_secs = np.flatnonzero(t_np == elf.SHT_SYMTAB_SHNDX).tolist()
        if suspect:
            aligns = shdrs["sh_addralign"].tolist()
            for i, a in enumerate(aligns):
                if a > 1 << 32 or a & (a - 1):
                    self._fail(f"section {i} has an invalid alignment {a}")
            for i, (t, o, sz) in enumerate(zip(types, offsets, sizes)):
                if t != elf.SHT_NOBITS and o + sz > n:
                    self._fail(f"section {i} goes past the end of the file (truncated?)")
                if sz >= MAX_SECTION_SIZE:
                    self._fail(f"section {i} has an invalid size 0x{sz:x} (larger than any address space)")
        if shstrndx == elf.SHN_XINDEX:
            shstrndx = int(shdrs[0]["sh_link"])
        if shstrndx >= shnum:
            self._fail("invalid section name string table index")
        if checked is not None and checked[1] is not None:
            self.sec_names = checked[1]
        else:
            self.sec_names = _section_names(self.section_bytes(shstrndx), shdrs["sh_name"])
        if suspect and elf.SHT_REL in types:
            self._fail("SHT_REL relocation sections are not used by this architecture's psABI")

        # symbol table (at most one in a relocatable object)
        self.first_global = 1
        self.symstr = b""
        self.shndx_ext = None
        if not sym_secs:
            self.syms = np.zeros(1, elf.SYM)
        else:
            s = sym_secs[0]
            _, _, _, _, off, size, link, info, _, entsize = shdrs.item(s)
            if entsize != elf.SYM_SIZE:
                self._fail("unexpected symbol table entry size")
            count = size // elf.SYM_SIZE
            self.syms = np.frombuffer(buf, elf.SYM, count, off)
            self.file_syms_at = (count, off)
            self.first_global = info
            if link >= shnum:
                self._fail("invalid string table index in the symbol table")
            self.symstr = bytes(self.section_bytes(link))
            if self.first_global > count or self.first_global < 1:
                self._fail("invalid sh_info in the symbol table")
            if ext_secs:
                self.shndx_ext = np.frombuffer(buf, "<u4", count, offsets[ext_secs[0]])
        self.symtab_index = sym_secs[0] if sym_secs else 0
        self.nsyms = len(self.syms)
        self.sym_shndx = layout[4] if layout is not None and layout[4] is not None else self._symbol_sections()
        if checked is not None:
            self.has_tls = checked[0]
        elif self.nsyms > 1:
            if not self.symstr:
                self._fail("symbol table has no string table")
            shx = self.sym_shndx
            if _amax(shx) >= shnum:        # SHN_ABS and the like, or a bad index
                # past the table: only SHN_ABS and SHN_COMMON mean something here (SHN_XINDEX
                # was read through SHT_SYMTAB_SHNDX); any other reserved index is refused, as lld does
                bad = np.nonzero((shx >= shnum) & (shx != elf.SHN_ABS) & (shx != elf.SHN_COMMON))[0]
                if len(bad):
                    self._fail(f"symbol {int(bad[0])} refers to section {int(shx[bad[0]]):#x}, which does not exist")
            tls = np.flatnonzero((self.syms["st_info"] & 0xF) == elf.STT_TLS)
            self.has_tls = len(tls) > 0
            if len(tls):                     # a thread-local symbol lives in a TLS section
                sec = shx[tls]
                in_sec = (sec > 0) & (sec < shnum)
                flags = shdrs["sh_flags"][np.where(in_sec, sec, 0)]
                bad = tls[in_sec & ((flags & np.uint64(elf.SHF_TLS)) == 0)]
                if len(bad):
                    k = int(bad[0])
                    name = elf.cstr(self.symstr, int(self.syms[k]["st_name"]))
                    self._fail(f"symbol {name or k} has type STT_TLS but is in the non-TLS "
                               f"section {self.sec_names[int(shx[k])]}")
            st_name = self.syms["st_name"]
            if _amax(st_name) >= len(self.symstr):
                bad = np.nonzero(st_name >= len(self.symstr))[0]
                self._fail(f"invalid symbol name offset in symbol {int(bad[0])}")
        self._names: dict[int, str] = {}
        self.content_override: dict[int, bytes] = {}     # sections rewritten by shrinking
        # syms and shdrs are this link's own copies, changed in place by the passes that move
        # symbols or resize sections (.eh_frame pruning, thunks, relaxation); while False they
        # are the file's mapping (or a baseline an earlier pass rewrote): copy before writing
        self.tables_owned = False
        if checked is None:                 # (parse_objects: no such sections)
            self._check_links(types)
        if self.inflated:
            sizes = self.shdrs["sh_size"].tolist()

        # relocation tables, by the section they patch
        self.relas: dict[int, np.ndarray] = {}
        check = checked is None
        if layout is not None and layout[3] is not None:
            self._relas_laid_out(*layout[3])
        elif not (len(rela_secs) > _FEW_SECTIONS and self._relas_together(rela_secs, types, sizes, check)):
            self._relas_one_by_one(rela_secs, types, sizes, check)

        # COMDAT groups: (signature, member section indices)
        self.groups: list[tuple[str, np.ndarray, int]] = []
        if group_secs:
            self._read_groups(group_secs, types, sizes, offsets)

    def _relas_one_by_one(self, rela_secs: list[int], types: list[int], sizes: list[int],
                          check: bool = True) -> None:
        buf, shdrs, shnum = self.buf, self.shdrs, len(types)
        alone = self._rela_alone = {}          # target -> (table, its offset): rela_offset
        if not check:
            for i in rela_secs:
                _, _, _, _, off, size, _, target, _, _ = shdrs.item(i)
                self.relas[target] = r = np.frombuffer(buf, elf.RELA, size // elf.RELA_SIZE, off)
                alone[target] = (r, off)
            return
        for i in rela_secs:
            _, _, _, _, off, size, _, target, _, entsize = shdrs.item(i)
            if target >= shnum or target == 0 or types[target] in _NOT_RELOCATABLE:
                self._fail(f"relocation section {self.sec_names[i]} (index {i}) has invalid sh_info ({target})")
            if entsize not in (0, elf.RELA_SIZE):
                self._fail(f"{self.sec_names[i]}: unexpected relocation entry size")
            count = size // elf.RELA_SIZE
            r = np.frombuffer(buf, elf.RELA, count, off)
            if count:
                top = _amax(r["r_info"]) >> 32     # the largest symbol index
                top_off = _amax(r["r_offset"])
                if top >= self.nsyms:
                    self._fail(f"{self.sec_names[i]}: relocation refers to invalid symbol index {top}")
                if top_off >= max(sizes[target], 1):
                    k = int(np.argmax(r["r_offset"]))
                    self._fail(f"{self.sec_names[i]}: relocation {k} at offset 0x{int(r['r_offset'][k]):x} "
                               f"is outside section {self.sec_names[target]} (size 0x{sizes[target]:x})")
            self.relas[target] = r
            alone[target] = (r, off)

    def _relas_together(self, rela_secs: list[int], types: list[int], sizes: list[int],
                        check: bool = True) -> bool:
        """The relocation tables of an object with many (-ffunction-sections: one per
        function), checked with a few array operations over all of them, each a slice of one
        array over the file's bytes (an assembler writes them one after another).  False when
        any check fails, or the tables do not lie on one grid of entries: ``_relas_one_by_one``
        then reads them (and says what is wrong, in its order)."""
        buf, shnum = self.buf, len(types)
        h = self.shdrs[np.array(rela_secs, dtype=np.int64)]
        off = h["sh_offset"].astype(np.int64)
        target = h["sh_info"].astype(np.int64)
        count = (h["sh_size"] // np.uint64(elf.RELA_SIZE)).astype(np.int64)
        base = int(off.min())
        rel = off - base
        if check:
            ent = h["sh_entsize"]
            if (rel % elf.RELA_SIZE).any() or ((ent != 0) & (ent != elf.RELA_SIZE)).any() \
                    or ((target >= shnum) | (target == 0)).any():
                return False
            if any(types[t] in _NOT_RELOCATABLE for t in target.tolist()):
                return False
        first = rel // elf.RELA_SIZE
        end = first + count
        table = np.frombuffer(buf, elf.RELA, int(end.max()), base)
        has = count > 0
        if check and has.any():
            c = count[has]
            total = int(c.sum())
            at = np.cumsum(c) - c
            rows = np.repeat(first[has] - at, c) + np.arange(total, dtype=np.int64)
            top = np.maximum.reduceat(table["r_info"][rows], at) >> np.uint64(32)
            top_off = np.maximum.reduceat(table["r_offset"][rows], at)
            limit = np.maximum(np.array(sizes, dtype=np.int64)[target[has]], 1).astype(np.uint64)
            if (top >= np.uint64(self.nsyms)).any() or (top_off >= limit).any():
                return False
        relas = self.relas
        target_l, first_l, end_l = target.tolist(), first.tolist(), end.tolist()
        relas.update(zip(target_l, map(table.__getitem__, map(slice, first_l, end_l))))
        self._rela_block = (table, target, first, end, tuple(relas.values()))
        self._rela_rows = (table, base, dict(zip(target_l, zip(first_l, end_l))))   # (rela_offset)
        return True

    def _relas_laid_out(self, base: int, target: np.ndarray, first: np.ndarray, end: np.ndarray,
                        target_l: list[int], first_l: list[int], end_l: list[int], block: bool) -> None:
        """The relocation tables (checked) with their columns found by ``parse_objects``:
        the tables' targets, and their first and end rows in one array from ``base`` on, each
        a slice of it; ``block``: kept as ``rela_block`` too (as ``_relas_together`` does,
        for an object with many)."""
        table = np.frombuffer(self.buf, elf.RELA, max(end_l), base)
        relas = self.relas
        relas.update(zip(target_l, map(table.__getitem__, map(slice, first_l, end_l))))
        self._rela_rows = (table, base, dict(zip(target_l, zip(first_l, end_l))))   # (rela_offset)
        if block:
            self._rela_block = (table, target, first, end, tuple(relas.values()))

    def rela_span(self) -> tuple[np.ndarray, int] | None:
        """The object's relocation tables as one array and where it starts in the mapping
        the object was read from, when the tables lie one after another there (for
        pages.release_span), else None."""
        rows = self.__dict__.get("_rela_rows")
        if rows is None or self.map_offset < 0:
            return None
        return rows[0], self.map_offset + rows[1]

    def rela_offset(self, target: int, r: np.ndarray) -> int:
        """Where the relocation table ``r`` of section ``target`` starts in the mapping the
        object was read from, when it is the view of the file its parse made (a pass that
        changes a table makes a new array); else -1.  (NumPy's address of an array, its
        ``.ctypes``, costs microseconds: link/pages.py's spans ask for thousands.)"""
        if self.map_offset < 0:
            return -1
        rows = self.__dict__.get("_rela_rows")
        if rows is None or r.base is not rows[0]:
            alone = self.__dict__.get("_rela_alone")     # (read one table at a time)
            got = alone.get(target) if alone is not None else None
            return self.map_offset + got[1] if got is not None and got[0] is r else -1
        fe = rows[2].get(target)
        if fe is None or len(r) != fe[1] - fe[0]:
            return -1
        return self.map_offset + rows[1] + fe[0] * elf.RELA_SIZE

    def rela_block(self):
        """The relocation tables as rows of one array, when they were read so and are still
        the ones ``relas`` holds: (table, target sections, first rows, end rows), one entry
        per table in ``relas`` order; else None (read one by one, or a pass replaced one)."""
        block = self.__dict__.get("_rela_block")
        if block is None:
            return None
        values = self.relas.values()
        if len(values) != len(block[4]) or not all(map(operator.is_, values, block[4])):
            return None
        return block[:4]

    def _read_groups(self, group_secs: list[int], types: list[int], sizes: list[int],
                     offsets: list[int]) -> None:
        """The COMDAT groups.  A C++ object has hundreds: their members are checked together
        (one array operation each check); a wrong group is found, and named, by
        ``_read_groups_one_by_one``."""
        buf, shnum = self.buf, len(types)
        infos = self.shdrs["sh_info"].tolist()
        words = [np.frombuffer(buf, "<u4", sizes[i] // 4, offsets[i]) for i in group_secs]
        got = [(i, w) for i, w in zip(group_secs, words) if len(w)]
        if not got:
            return
        counts = [len(w) - 1 for _, w in got]
        flags = [int(w[0]) for _, w in got]
        members = np.concatenate([w[1:] for _, w in got]).astype(np.int64)
        owner = np.repeat(np.array([i for i, _ in got], dtype=np.int64), counts)
        ok = all(infos[i] < self.nsyms for i, _ in got) and not any(f & ~elf.GRP_COMDAT for f in flags)
        if ok and len(members):
            bad = (members <= 0) | (members >= shnum) | (members == owner)
            if bad.any():
                ok = False
            else:
                mtypes = np.array(types, dtype=np.int64)[members]
                ok = not np.isin(mtypes, (elf.SHT_NULL, elf.SHT_GROUP, elf.SHT_SYMTAB,
                                          elf.SHT_SYMTAB_SHNDX)).any()
        if not ok:
            self._read_groups_one_by_one(group_secs, types, sizes, offsets)
            return
        kinds = (self.syms["st_info"] & 0xF).tolist()
        ends = np.cumsum(counts).tolist()
        for (i, _), f, end, n in zip(got, flags, ends, counts):
            sig_sym = infos[i]
            sig = self.sym_name(sig_sym)
            if kinds[sig_sym] == elf.STT_SECTION:
                sig = self.sec_names[int(self.sym_shndx[sig_sym])]
            self.groups.append((sig, members[end - n:end], f))

    def _read_groups_one_by_one(self, group_secs: list[int], types: list[int], sizes: list[int],
                                offsets: list[int]) -> None:
        buf, shdrs, shnum = self.buf, self.shdrs, len(types)
        for i in group_secs:
            words = np.frombuffer(buf, "<u4", sizes[i] // 4, offsets[i])
            if len(words) == 0:
                continue
            sig_sym = int(shdrs[i]["sh_info"])
            if sig_sym >= self.nsyms:
                self._fail(f"group section {i} has an invalid signature symbol")
            sig = self.sym_name(sig_sym)
            if int(self.syms[sig_sym]["st_info"]) & 0xF == elf.STT_SECTION:
                sig = self.sec_names[int(self.sym_shndx[sig_sym])]
            members = words[1:].astype(np.int64)
            flags = int(words[0])
            if flags & ~elf.GRP_COMDAT:
                self._fail(f"{self.sec_names[i]}: unsupported SHT_GROUP format")
            if len(members):
                bad = members[(members <= 0) | (members >= shnum) | (members == i)]
                if len(bad):
                    self._fail(f"{self.sec_names[i]}: invalid section index in group: {int(bad[0])}")
                mtypes = np.array(types, dtype=np.int64)[members]
                wrong = np.isin(mtypes, (elf.SHT_NULL, elf.SHT_GROUP, elf.SHT_SYMTAB, elf.SHT_SYMTAB_SHNDX))
                if wrong.any():
                    k = int(members[np.argmax(wrong)])
                    self._fail(f"{self.sec_names[i]}: bad group member: section {k} "
                               f"({self.sec_names[k]}) cannot be in a group")
            self.groups.append((sig, members, flags))

    def own_tables(self):
        """Make ``syms`` and ``shdrs`` this link's writable copies, once.  Returns the symbol
        table they replace (the caller may release its pages), or None when already owned."""
        if self.tables_owned:
            return None
        old = self.syms
        self.syms = elf.copy_table(old)
        self.shdrs = elf.copy_table(self.shdrs)
        self.tables_owned = True
        return old

    @staticmethod
    def own_tables_together(objs, keep=frozenset()) -> list:
        """Make every object's ``syms`` and ``shdrs`` writable tables of its own: the objects
        whose ids (``id(obj)``) are in ``keep`` take the symbol table they have (a copy of
        this link's that nothing else reads, such as merge's: written in place); the others'
        symbol tables become views into one new table, and each ``shdrs`` not yet owned a
        view into another.  Returns the symbol tables replaced that were the files' own
        (obj, table) (the caller may release their pages), and the one new table (the
        objects not kept, in order, one after another).  The copies are made as bytes
        (see elf.copy_table)."""
        def joined(tables, dtype):
            raw = [np.ascontiguousarray(x).view(np.uint8) for x in tables]
            return (np.concatenate(raw) if raw else np.zeros(0, dtype=np.uint8)).view(dtype)
        copied = [o for o in objs if id(o) not in keep]
        lens = [len(o.syms) for o in copied]      # (the tables as they are: not nsyms)
        table = joined([o.syms for o in copied], elf.SYM)
        fresh = [o for o in objs if not o.tables_owned]
        shdrs = joined([o.shdrs for o in fresh], elf.SHDR)
        # (a copy an earlier pass made is a view of another array: no pages of a mapping)
        replaced = [(o, o.syms) for o in copied if not o.tables_owned and not isinstance(o.syms.base, np.ndarray)]
        at = 0
        for o, n in zip(copied, lens):
            o.syms = table[at:at + n]
            at += n
        at = 0
        for o in fresh:
            k = len(o.shdrs)
            o.shdrs = shdrs[at:at + k]
            o.tables_owned = True
            at += k
        return replaced, table

    def _check_links(self, types: list[int]) -> None:
        """What GNU ld rejects and a corrupt object may hold: a SHF_LINK_ORDER section that
        names no section, a compressed section that is allocated or whose header is broken."""
        flags = self.shdrs["sh_flags"]
        special = np.flatnonzero(flags & np.uint64(elf.SHF_LINK_ORDER | elf.SHF_COMPRESSED))
        if len(special) == 0:
            return
        shnum = len(types)
        for i in special.tolist():
            f = int(flags[i])
            name = self.sec_names[i]
            if f & elf.SHF_LINK_ORDER:
                link = int(self.shdrs[i]["sh_link"])
                if link == 0 or link >= shnum or link == i or types[link] in (
                        elf.SHT_NULL, elf.SHT_SYMTAB, elf.SHT_STRTAB, elf.SHT_RELA, elf.SHT_GROUP):
                    self._fail(f"{name}: invalid sh_link index: {link} (SHF_LINK_ORDER)")
            if f & elf.SHF_COMPRESSED:
                if f & elf.SHF_ALLOC:
                    self._fail(f"{name}: SHF_COMPRESSED on an allocated section")
                if types[i] == elf.SHT_NOBITS:
                    continue
                body = self.section_bytes(i)
                if len(body) < 24:
                    self._fail(f"{name}: corrupted compressed section (no header)")
                ch_type, _, ch_size, ch_align = struct.unpack_from("<IIQQ", body, 0)
                if ch_type not in (1, 2):          # ELFCOMPRESS_ZLIB, ELFCOMPRESS_ZSTD
                    self._fail(f"{name}: unsupported compression type ({ch_type})")
                if ch_align & (ch_align - 1) or ch_align > 1 << 32:
                    self._fail(f"{name}: corrupted compressed section (alignment {ch_align})")
                self._inflate(i, name, ch_type, ch_size, ch_align, body)

    def _inflate(self, i: int, name: str, ch_type: int, ch_size: int, ch_align: int, body) -> None:
        """A compressed section (gcc -gz) is read decompressed, as GNU ld and lld read it: its
        header then says the uncompressed size and alignment, and relocations apply to the
        uncompressed bytes (their offsets are into those)."""
        if ch_type == 2:                   # ELFCOMPRESS_ZSTD (objcopy, ld -r --compress-debug-sections=zstd)
            from xld.link.compress import zstd_module
            zstd = zstd_module(f"{self.name}:({name}): a zstd-compressed section")
            try:
                # (a frame may not say its size: ch_size bounds what it may give)
                data = zstd.ZstdDecompressor().decompress(bytes(body[24:]), max_output_size=ch_size + 1)
            except zstd.ZstdError as e:
                self._fail(f"{name}: corrupted compressed section ({e})")
        else:
            import zlib
            try:
                data = zlib.decompressobj().decompress(bytes(body[24:]), ch_size + 1)
            except zlib.error as e:
                self._fail(f"{name}: corrupted compressed section ({e})")
        if len(data) != ch_size:
            self._fail(f"{name}: corrupted compressed section (expected 0x{ch_size:x} bytes, got 0x{len(data):x})")
        if not self.shdrs.flags.writeable:
            self.shdrs = self.shdrs.copy()
        self.shdrs[i]["sh_size"] = ch_size
        self.shdrs[i]["sh_addralign"] = max(ch_align, 1)
        self.shdrs[i]["sh_flags"] = int(self.shdrs[i]["sh_flags"]) & ~elf.SHF_COMPRESSED
        self.inflated[i] = data
        self.content_override[i] = data        # what goes to the output (link/write.py)

    def _symbol_sections(self) -> np.ndarray:
        """Each symbol's section index (SHN_XINDEX's from SHT_SYMTAB_SHNDX): in 32 bits when
        every index fits in them (st_shndx's 16 always do; a table of the extended ones is
        looked at first), else in 64 (a riscv64 link keeps ~900,000 local labels: 3.5 MB)."""
        ext = self.shndx_ext
        x = None
        wide = False
        if ext is not None:
            x = self.syms["st_shndx"] == elf.SHN_XINDEX
            wide = bool(x.any()) and int(ext[x].max()) >= 2**31
        shndx = self.syms["st_shndx"].astype(np.int64 if wide else np.int32)
        if x is not None:
            shndx[x] = ext[x]
        return shndx

    # -- accessors -------------------------------------------------------------------------
    def section_bytes(self, i: int) -> memoryview:
        if self.inflated and i in self.inflated:
            return memoryview(self.inflated[i])
        _, stype, _, _, off, size, _, _, _, _ = self.shdrs.item(i)     # one call, Python ints
        if stype == elf.SHT_NOBITS:
            return memoryview(b"")
        return self.buf[off:off + size]

    def section_content(self, i: int):
        """The bytes of section i as they go to the output (after any shrinking)."""
        data = self.content_override.get(i)
        return data if data is not None else self.section_bytes(i)

    def sym_name(self, i: int) -> str:
        name = self._names.get(i)
        if name is None:
            name = elf.cstr(self.symstr, int(self.syms[i]["st_name"])) if self.symstr else ""
            self._names[i] = name
        return name

    def global_names(self) -> list[str]:
        """Names of the global symbols, in table order (one string split, no per-entry find);
        read once (the warm server reads them for the members it parses ahead).  Callers do
        not change the list."""
        names = self.__dict__.get("_global_names")
        if names is None:
            names = self._global_names = _strings_at(self.symstr, self.syms["st_name"][self.first_global:])
        return names

    def symbol_at(self, shndx: int, offset: int, skip: int = -1, types=None) -> str | None:
        """The name of the first symbol (in symbol-table order, as lld looks) whose bytes
        hold ``offset`` of section ``shndx`` — the function or variable at a place — or None.
        ``skip``: a symbol index not to consider (a duplicate definition that lost);
        ``types``: the STT_ types to consider (default: any but STT_SECTION)."""
        syms = self.syms
        typ = syms["st_info"] & 0xF
        hit = np.flatnonzero((self.sym_shndx == shndx) & (syms["st_value"] <= offset)
                             & (syms["st_value"] + syms["st_size"] > offset)
                             & (np.isin(typ, types) if types else typ != elf.STT_SECTION))
        hit = hit[hit != skip]
        return self.sym_name(int(hit[0])) if len(hit) else None

    def source_name(self) -> str | None:
        """The source file the compiler named (the first STT_FILE symbol), or None."""
        files = np.flatnonzero((self.syms["st_info"][:self.first_global] & 0xF) == elf.STT_FILE)
        return (self.sym_name(int(files[0])) or None) if len(files) else None

    def where(self, shndx: int, offset: int) -> str:
        """lld's way to name a place: file:(section+0xoff)."""
        return f"{self.name}:({self.sec_names[shndx]}+0x{offset:x})"

    def file_symbols(self) -> np.ndarray:
        """The symbol table as the file has it: passes replace ``syms`` with a copy whose
        values they move (merged sections, relaxation); a reader of the object's own bytes
        (its DWARF, for messages) needs the file's values."""
        count, off = self.file_syms_at
        return np.frombuffer(self.buf, elf.SYM, count, off) if count else self.syms

    def __repr__(self) -> str:
        return f"<ObjectFile {self.name}>"


def parse_objects(named: list[tuple[str, object]]) -> list[ObjectFile | None]:
    """Many relocatable objects (name, file bytes) at once: what ``ObjectFile._parse`` checks
    with arrays is checked for all of them together, with one array operation per check
    whatever the number of objects, and each is then read without those checks.  None for
    an object whose check failed or that has what the shared checks leave out (extended
    section numbering, SHT_SYMTAB_SHNDX, SHF_LINK_ORDER or compressed sections, relocation
    tables not laid one after another) or whose COMDAT groups are wrong: ``ObjectFile`` reads
    it alone, and says what is wrong in its words."""
    out: list[ObjectFile | None] = [None] * len(named)
    if len(named) <= _FEW_OBJECTS:
        # each alone: the shared checks are ~100 array operations whatever the number of
        # objects, more than a few objects' own (a dynamic hello's six: 1.1 -> 0.4 ms)
        for k, (name, data) in enumerate(named):
            try:
                out[k] = ObjectFile(name, data)
            except LinkError:
                pass                            # read alone again in its turn, which says so
        return out
    cand = []                                   # (k, data, shoff, shnum, n)
    for k, (_, data) in enumerate(named):
        n = len(data)
        if n < elf.EHDR_SIZE or data[:4] != elf.ELFMAG or data[4] != elf.ELFCLASS64 \
                or data[5] != elf.ELFDATA2LSB:
            continue
        e_type, _, _, _, _, shoff, _, _, _, _, shentsize, shnum, shstrndx = _EHDR.unpack_from(data, 16)
        if e_type != elf.ET_REL or shentsize != elf.SHDR_SIZE or shoff == 0 or shnum == 0 \
                or shoff + shnum * elf.SHDR_SIZE > n or shstrndx >= shnum:
            continue
        cand.append((k, data, shoff, shnum, n))
    if not cand:
        return out
    m = len(cand)
    shnums = np.array([c[3] for c in cand], dtype=np.int64)
    sec0 = np.cumsum(shnums) - shnums               # each object's first row below
    sh = np.concatenate([np.frombuffer(d, np.uint8, c * elf.SHDR_SIZE, o) for _, d, o, c, _ in cand]).view(elf.SHDR)
    own = np.repeat(np.arange(m), shnums)
    t, o, z, fl = sh["sh_type"], sh["sh_offset"], sh["sh_size"], sh["sh_flags"]
    bad = _suspect_headers(t, o, z, sh["sh_addralign"], np.repeat(np.array([c[4] for c in cand], dtype=np.uint64), shnums))
    bad |= (t == elf.SHT_SYMTAB_SHNDX) | ((fl & np.uint64(elf.SHF_LINK_ORDER | elf.SHF_COMPRESSED)) != 0)
    # the symbol table (the first, as ObjectFile reads it) and its string table
    st_rows = np.flatnonzero(t == elf.SHT_SYMTAB)
    has_st = np.zeros(m, dtype=bool)
    st_row = np.zeros(m, dtype=np.int64)
    if len(st_rows):
        # (own is sorted: an object's first table starts its run; np.unique would import
        # numpy.ma, ~10 ms of every link)
        so = own[st_rows]
        first = np.flatnonzero(np.concatenate([[True], so[1:] != so[:-1]]))
        owners = so[first]
        has_st[owners] = True
        st_row[owners] = st_rows[first]
    sth = sh[st_row]
    nsyms = np.where(has_st, (sth["sh_size"] // np.uint64(elf.SYM_SIZE)).astype(np.int64), 1)
    link = sth["sh_link"].astype(np.int64)
    fg = sth["sh_info"].astype(np.int64)
    ok = ~np.logical_or.reduceat(bad, sec0)
    ok &= ~has_st | ((sth["sh_entsize"] == elf.SYM_SIZE) & (link < shnums) & (fg >= 1) & (fg <= nsyms))
    str_row = sec0 + np.where(has_st & (link < shnums), link, 0)
    strsize = np.where(t[str_row] == elf.SHT_NOBITS, 0, z[str_row].astype(np.int64))
    ok &= (nsyms <= 1) | (strsize > 0)
    # symbols: section indices, names and thread-local ones (of objects with more than one),
    # as the columns the checks read, and each object's largest values
    checked = np.flatnonzero(ok & has_st & (nsyms > 1))
    has_tls = np.zeros(m, dtype=bool)
    shx_of = None                               # (each checked object's symbols' sections)
    if len(checked):
        tables = [np.frombuffer(cand[i][1], elf.SYM, int(nsyms[i]), int(sth["sh_offset"][i])) for i in checked.tolist()]
        shx = np.concatenate([x["st_shndx"] for x in tables])
        cnt = nsyms[checked]
        first = np.cumsum(cnt) - cnt
        # (st_shndx is 16 bits: 32 hold it; _symbol_sections says why not 64)
        shx_of = (checked, shx.astype(np.int32), first.tolist(), (first + cnt).tolist())
        special = (shx == elf.SHN_ABS) | (shx == elf.SHN_COMMON)      # (past the table, but meant)
        wrong = np.maximum.reduceat(np.where(special, 0, shx), first) >= shnums[checked]
        wrong |= np.maximum.reduceat(np.concatenate([x["st_name"] for x in tables]), first) >= strsize[checked]
        tls = np.flatnonzero((np.concatenate([x["st_info"] for x in tables]) & 0xF) == elf.STT_TLS)
        if len(tls):
            k = np.searchsorted(first, tls, side="right") - 1       # (positions in checked)
            sec = shx[tls].astype(np.int64)
            in_sec = (sec > 0) & (sec < shnums[checked[k]])
            rows = sec0[checked[k]] + np.where(in_sec, sec, 0)
            bad = in_sec & ((fl[rows] & np.uint64(elf.SHF_TLS)) == 0)
            wrong[k[bad]] = True
            has_tls[checked[k]] = True
        ok[checked[wrong]] = False
    # relocation tables: one after another (as an assembler writes them), their targets, and
    # each one's largest symbol index and offset
    r_rows = np.flatnonzero((t == elf.SHT_RELA) & ok[own])
    if len(r_rows):
        rown = own[r_rows]
        target = sh["sh_info"][r_rows].astype(np.int64)
        ent = sh["sh_entsize"][r_rows]
        roff = o[r_rows].astype(np.int64)
        rsize = z[r_rows].astype(np.int64)
        rcnt = rsize // elf.RELA_SIZE
        same = np.concatenate([rown[1:] == rown[:-1], [False]])         # the next is the same object's
        wrong = (rsize != rcnt * elf.RELA_SIZE) | ((ent != 0) & (ent != elf.RELA_SIZE))
        wrong[:-1] |= same[:-1] & (roff[1:] != roff[:-1] + rsize[:-1])
        wrong |= (target >= shnums[rown]) | (target == 0)
        trow = sec0[rown] + np.where(wrong, 0, target)
        wrong |= np.isin(t[trow], _NOT_RELOCATABLE)
        ok[rown[wrong]] = False
        keep = ok[rown] & (rcnt > 0)
        if keep.any():
            rown, roff, rcnt, trow = rown[keep], roff[keep], rcnt[keep], trow[keep]
            lead = np.flatnonzero(np.concatenate([[True], rown[1:] != rown[:-1]]))
            ends = np.append(lead[1:], len(rown))
            tops, offs = [], []
            for i, a, z_ in zip(rown[lead].tolist(), lead.tolist(), ends.tolist()):
                base, n = int(roff[a]), int(roff[z_ - 1] + rcnt[z_ - 1] * elf.RELA_SIZE - roff[a]) // 8
                words = np.frombuffer(cand[i][1], np.uint64, n, base)
                at = (roff[a:z_] - base) // 8
                # (the largest r_info holds the largest symbol index: shifted after the max)
                tops.append(np.maximum.reduceat(words[1::3], at // 3) >> np.uint64(32))
                offs.append(np.maximum.reduceat(words[0::3], at // 3))
            top, top_off = np.concatenate(tops), np.concatenate(offs)
            limit = np.maximum(z[trow], np.uint64(1))
            wrong = (top >= nsyms[rown].astype(np.uint64)) | (top_off >= limit)
            ok[rown[wrong]] = False
    good = np.flatnonzero(ok)
    if not len(good):
        return out
    # the names of their sections and of their global symbols, each kind from one string
    g_l = good.tolist()
    sec_rows = sec0[good] + np.array([_EHDR.unpack_from(cand[i][1], 16)[12] for i in g_l], dtype=np.int64)
    counts = shnums[good]
    rows = np.repeat(sec0[good] - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()), dtype=np.int64)
    sec_names = _strings_of(cand, g_l, o[sec_rows], z[sec_rows], t[sec_rows], sh["sh_name"][rows], counts)
    gsyms = np.flatnonzero(has_st[good] & (nsyms[good] > fg[good]))   # (positions in good)
    glob = None
    if len(gsyms):
        gi = good[gsyms]
        gcount = nsyms[gi] - fg[gi]
        st_off = sth["sh_offset"][gi].astype(np.int64) + fg[gi] * elf.SYM_SIZE
        names_off = np.concatenate([np.frombuffer(cand[i][1], np.uint8, int(c) * elf.SYM_SIZE, int(a)).view(elf.SYM)["st_name"]
                                    for i, c, a in zip(gi.tolist(), gcount.tolist(), st_off.tolist())])
        srow = sec0[gi] + link[gi]
        glob = _strings_of(cand, gi.tolist(), o[srow], z[srow], t[srow], names_off, gcount)
    layouts = _layouts(sh, rows, counts, st_row[good], has_st[good])
    if shx_of is not None:                      # (ObjectFile._symbol_sections: no SHT_SYMTAB_SHNDX here)
        at = dict(zip(shx_of[0].tolist(), range(len(shx_of[0]))))
        joined, starts, ends = shx_of[1:]
        for j, i in enumerate(g_l):
            p = at.get(i)
            if p is not None:
                layouts[j] = (*layouts[j][:4], joined[starts[p]:ends[p]])
    tls_l = has_tls.tolist()
    gl_at = dict(zip(gsyms.tolist(), range(len(gsyms)))) if glob is not None else {}
    for j, i in enumerate(g_l):
        k = cand[i][0]
        name, data = named[k]
        try:                                # (what is read after the checks: COMDAT groups)
            obj = out[k] = ObjectFile(name, data, checked=(tls_l[i], sec_names[j] if sec_names else None, layouts[j]))
        except LinkError:
            continue                        # read alone, it says so again, in its turn
        if glob is not None:
            x = gl_at.get(j)
            obj._global_names = glob[x] if x is not None else []
    return out


def _layouts(sh: np.ndarray, rows: np.ndarray, counts: np.ndarray, st_row: np.ndarray,
             has_st: np.ndarray) -> list:
    """For objects whose section headers are rows ``rows`` of ``sh`` (``counts`` each, one
    object after another; ``st_row``: the row of each one's symbol table, if ``has_st``):
    what ``ObjectFile._parse`` would find in them, (symbol table, relocation and group
    section indices, their relocation tables' layout for ``_relas_laid_out`` or None without
    any, and a place for the symbols' sections, None).  Their checks passed: an object's
    relocation tables lie one after another in the file."""
    m = len(counts)
    out: list = [None] * m
    if not m:
        return out
    cstart = np.cumsum(counts) - counts
    t = sh["sh_type"][rows]

    def per_object(kind):
        at = np.flatnonzero(t == kind)
        bounds = np.searchsorted(at, cstart).tolist() + [len(at)]
        owner = np.repeat(np.arange(m), np.diff(bounds))
        return at, owner, (at - cstart[owner]).tolist(), bounds
    r_at, r_owner, r_idx, r_b = per_object(elf.SHT_RELA)
    _, _, g_idx, g_b = per_object(elf.SHT_GROUP)
    st_idx = (st_row - (rows[cstart] if len(rows) else 0)).tolist()    # (rows[cstart]: sec0)
    has_l = has_st.tolist()
    # the relocation tables: offsets from each object's first (they are laid one after another)
    r = sh[rows[r_at]]
    off = r["sh_offset"].astype(np.int64)
    first_of = np.flatnonzero(np.concatenate([[True], r_owner[1:] != r_owner[:-1]])) if len(r_at) else r_at
    base = np.zeros(m, dtype=np.int64)
    if len(r_at):
        base[r_owner[first_of]] = off[first_of]
    first = (off - base[r_owner]) // elf.RELA_SIZE
    end = first + (r["sh_size"] // np.uint64(elf.RELA_SIZE)).astype(np.int64)
    target = r["sh_info"].astype(np.int64)
    target_l, first_l, end_l, base_l = target.tolist(), first.tolist(), end.tolist(), base.tolist()
    for j in range(m):
        a, z = r_b[j], r_b[j + 1]
        block = None
        if z > a:
            block = (base_l[j], target[a:z], first[a:z], end[a:z], target_l[a:z], first_l[a:z], end_l[a:z],
                     z - a > _FEW_SECTIONS)
        out[j] = ([st_idx[j]] if has_l[j] else [], r_idx[a:z], g_idx[g_b[j]:g_b[j + 1]], block, None)
    return out


def _strings_of(cand, which: list[int], str_off, str_size, str_type, offsets, counts) -> list[list[str]] | None:
    """For objects ``which`` (indices into ``cand``), each with its string table (offset,
    size, type) and ``counts`` name offsets in ``offsets`` (one after another): the names,
    a list per object, as ``_strings_at`` reads them.  None when a string table is not ASCII."""
    size = np.where(str_type == elf.SHT_NOBITS, 0, str_size.astype(np.int64))
    counts = np.asarray(counts, dtype=np.int64)
    offsets = offsets.astype(np.int64)
    # each table from the first name asked for on (the local labels riscv64 objects keep
    # come before their globals, and are most of the table)
    lo = np.zeros(len(which), dtype=np.int64)
    some = np.flatnonzero(counts > 0)
    if len(some):
        lo[some] = np.minimum.reduceat(offsets, (np.cumsum(counts) - counts)[some])
    lo = np.minimum(lo, size)
    size = size - lo
    tables = [np.frombuffer(cand[i][1], np.uint8, int(n), int(a))
              for i, a, n in zip(which, (str_off.astype(np.int64) + lo).tolist(), size.tolist())]
    tables.append(np.zeros(0, np.uint8))
    sentinel = np.zeros(1, np.uint8)                 # a NUL after each table: no name runs on
    raw = np.concatenate([x for tb in tables[:-1] for x in (tb, sentinel)]) if len(tables) > 1 else np.zeros(0, np.uint8)
    try:
        text = raw.tobytes().decode("ascii")
    except UnicodeDecodeError:
        return None
    base = np.cumsum(size + 1) - (size + 1)
    owner = np.repeat(np.arange(len(which)), counts)
    start = base[owner] + np.minimum(offsets - lo[owner], size[owner])    # past the end: ""
    nul = np.flatnonzero(raw == 0)
    piece = np.searchsorted(nul, start)              # the NUL that ends each name
    if len(nul) > 2 * len(start):        # mostly other names (locals): cut out the ones asked for
        return _split(counts, [text[a:z] for a, z in zip(start.tolist(), nul[piece].tolist())])
    # a name that starts a string of the table is that string of text.split (one C loop); one
    # that is the tail of another (a linker may share them) is cut out of the text
    pieces = text.split("\0")
    tail = np.flatnonzero((start > 0) & (raw[np.maximum(start - 1, 0)] != 0))
    if not len(tail) and len(piece):
        # an assembler writes the globals' names one after another, in the symbols' order:
        # each object's names are then a run of the pieces, taken as a slice
        first = np.cumsum(counts) - counts
        run0 = piece[np.minimum(first, len(piece) - 1)] - first
        if (piece == np.repeat(run0, counts) + np.arange(len(piece))).all():
            return [pieces[a:a + c] for a, c in zip((run0 + first).tolist(), counts.tolist())]
    names = list(map(pieces.__getitem__, piece.tolist()))
    if len(tail):
        ends = nul[piece[tail]].tolist()
        for j, a, z in zip(tail.tolist(), start[tail].tolist(), ends):
            names[j] = text[a:z]
    return _split(counts, names)


def _split(counts: np.ndarray, names: list[str]) -> list[list[str]]:
    """``names`` as one list per object, ``counts`` names each."""
    out, at = [], 0
    for c in counts.tolist():
        out.append(names[at:at + c])
        at += c
    return out


# -- archives ------------------------------------------------------------------------------

AR_MAGIC = b"!<arch>\n"
THIN_MAGIC = b"!<thin>\n"


class _Members:
    """Archive members by header offset -> (name, data offset, size), parsed when asked for:
    a link reads a few hundred of libc.a's ~1900 members, at the offsets its symbol index
    names, so the other headers are never touched.  Iterating walks every header."""

    def __init__(self, ar):
        self.ar = ar
        self.known: dict[int, tuple[str, int, int]] = {}
        self.complete = False

    def get(self, pos: int):
        m = self.known.get(pos)
        if m is None and not self.complete and pos >= self.ar.first_member:
            m = self.ar._member_at(pos)
            if m is not None:
                self.known[pos] = m
        return m

    def __contains__(self, pos) -> bool:
        return self.get(pos) is not None

    def __getitem__(self, pos):
        m = self.get(pos)
        if m is None:
            raise KeyError(pos)
        return m

    def _all(self) -> None:
        if not self.complete:
            self.ar._walk(self.ar.first_member, everything=True)

    def __iter__(self):
        self._all()
        return iter(list(self.known))

    def __len__(self) -> int:
        self._all()
        return len(self.known)


class LazyObjects:
    """Objects between --start-lib and --end-lib (lld, gold): they are read as the members of
    an archive are — loaded only when a symbol they define is needed.  The interface the
    resolver uses of an ``Archive``: path, symbols, members, loaded, member()."""
    in_map = False                          # not listed as archive members in a link map

    def __init__(self, objs: list):
        self.path = objs[0].name if objs else "--start-lib"
        self.objs = objs
        self.members = {k: (o.name, 0, len(o.buf)) for k, o in enumerate(objs)}
        self.loaded: set[int] = set()
        self.symbols: list[tuple[str, int]] = []
        self.default_versions: list[tuple[str, int, str]] | None = None   # resolve.py's
        for k, obj in enumerate(objs):
            if obj.bitcode:
                raise LinkError(f"{obj.name}: LLVM bitcode between --start-lib and --end-lib is not supported")
            names = obj.global_names()
            if "__gnu_lto_slim" in names:       # GCC -flto: what its IR defines (link/lto.py)
                obj = stand_in(obj)
                names = obj.global_names()
            fg = obj.first_global
            defined = (obj.sym_shndx[fg:] != elf.SHN_UNDEF).tolist()
            self.symbols.extend((nm, k) for nm, d in zip(names, defined) if d)

    def member(self, pos: int) -> "ObjectFile":
        return self.objs[pos]


class Archive:
    """An ``ar`` archive with its symbol index; members are parsed on demand."""
    in_map = True                           # loaded members are listed in a link map

    def __init__(self, path: str, data):
        self.path = path
        self.data = data
        self.thin = bytes(data[:8]) == THIN_MAGIC
        self.symbols: list[tuple[str, int]] = []      # (name, member header offset)
        # (plain name, member, foo@@V) of the index's default versions: resolve.py, once
        self.default_versions: list[tuple[str, int, str]] | None = None
        self.members = _Members(self)                 # header offset -> (name, data off, size)
        self.loaded: set[int] = set()
        self.parsed: dict[int, ObjectFile] = {}       # members parsed ahead (warm_up_library)
        self.longnames = b""
        self.first_member = len(data)
        self._parse()

    def _fail(self, what: str):
        raise LinkError(f"{self.path}: {what}")

    def _parse(self) -> None:
        index = self._walk(8, everything=False)
        if index is None:                   # the walk went through every member
            self._build_index()
        else:
            self._read_index(*index)

    def _header(self, pos: int):
        """The member header at pos: (raw name, body offset, size), or a failure."""
        hdr = bytes(self.data[pos:pos + 60])
        if hdr[58:60] != b"`\n":
            self._fail(f"corrupt archive member header at offset 0x{pos:x}")
        raw_name = hdr[:16].rstrip(b" ")
        field = hdr[48:58].rstrip(b" ")
        if not field.isdigit() or not field.isascii():     # no sign, no spaces inside, no hex
            self._fail(f"truncated or malformed archive (invalid size field {field!r} "
                       f"at offset 0x{pos:x})")
        size = int(field)
        inline = not self.thin or raw_name in (b"/", b"//", b"/SYM64/")   # thin: data elsewhere
        if inline and pos + 60 + size > len(self.data):
            self._fail(f"truncated or malformed archive (member at offset 0x{pos:x} of size "
                       f"{size} goes past the end of the file)")
        return raw_name, pos + 60, size

    def _bsd_name_length(self, raw_name: bytes, pos: int, size: int) -> int:
        """The length of a BSD name that follows the header (``#1/LEN``)."""
        digits = raw_name[3:]
        if not digits.isdigit() or not digits.isascii() or int(digits) > size:
            self._fail(f"truncated or malformed archive (invalid BSD name {raw_name!r} "
                       f"at offset 0x{pos - 60:x})")
        return int(digits)

    def _special(self, raw_name: bytes, body: int, size: int):
        """("index", kind, offset, size), ("longnames",) or None for an ordinary member."""
        if raw_name == b"/" or raw_name == b"/SYM64/":
            return ("index", "gnu64" if raw_name == b"/SYM64/" else "gnu", body, size)
        if raw_name == b"//":
            return ("longnames",)
        if raw_name.startswith(b"__.SYMDEF"):
            return ("index", "bsd", body, size)
        if raw_name.startswith(b"#1/"):       # BSD: name follows the header
            ln = self._bsd_name_length(raw_name, body, size)
            if bytes(self.data[body:body + ln]).rstrip(b"\0").startswith(b"__.SYMDEF"):
                return ("index", "bsd", body + ln, size - ln)
        return None

    def _walk(self, pos: int, everything: bool):
        """Read headers from pos, in file order.  Unless everything: stop at the first
        ordinary member after the symbol index.  Returns the index (kind, offset, size) or None."""
        d = self.data
        n = len(d)
        index = None
        found: dict[int, tuple[str, int, int]] = {}
        while pos + 60 <= n:
            raw_name, body, size = self._header(pos)
            sp = self._special(raw_name, body, size)
            if sp is None:
                self.first_member = min(self.first_member, pos)
                if index is not None and not everything:
                    return index
                found[pos] = self._member(raw_name, body, size)
            elif sp[0] == "index":
                index = sp[1:]
            else:
                self.longnames = bytes(d[body:body + size])
            if self.thin and raw_name not in (b"/", b"//", b"/SYM64/"):
                pos = body                     # thin: member data lives in its own file
            else:
                pos = body + size + (size & 1)
        # every member seen (in file order)
        self.members.known = found
        self.members.complete = True
        return index

    def _member(self, raw_name: bytes, body: int, size: int):
        name = raw_name.decode("latin-1")
        if raw_name.startswith(b"#1/"):       # BSD: name follows the header
            ln = self._bsd_name_length(raw_name, body, size)
            name = bytes(self.data[body:body + ln]).rstrip(b"\0").decode("latin-1")
            return (name, body + ln, size - ln)
        digits = raw_name[1:].rstrip(b" /")
        if raw_name.startswith(b"/") and digits.isdigit():
            off = int(digits)                # GNU long name: offset into the "//" member
            if off >= len(self.longnames):
                self._fail(f"truncated or malformed archive (long name offset {off} "
                           f"past the end of the name table, at offset 0x{body - 60:x})")
            end = self.longnames.find(b"\n", off)
            name = self.longnames[off:end if end >= 0 else None].decode("latin-1").rstrip("/")
        else:
            name = name.rstrip("/")
        return (name, -1, size) if self.thin else (name, body, size)

    def _member_at(self, pos: int):
        """The ordinary member whose header is at pos (as the symbol index says), or None."""
        if pos + 60 > len(self.data) or bytes(self.data[pos + 58:pos + 60]) != b"`\n":
            return None
        raw_name, body, size = self._header(pos)
        if self._special(raw_name, body, size) is not None:
            return None
        return self._member(raw_name, body, size)

    def _read_index(self, kind: str, off: int, size: int) -> None:
        d = bytes(self.data[off:off + size])
        if b"@@" not in d:                  # (no default version listed: nothing to look up)
            self.default_versions = []
        try:
            if kind in ("gnu", "gnu64"):
                w = 8 if kind == "gnu64" else 4
                fmt = ">Q" if w == 8 else ">I"
                count = struct.unpack_from(fmt, d, 0)[0]
                offs = np.frombuffer(d, ">u8" if w == 8 else ">u4", count, w).tolist()
                names = d[w + w * count:].decode("latin-1").split("\0")
                if len(names) < count:
                    raise IndexError
                self.symbols = list(zip(names[:count], offs))
            else:                                       # BSD __.SYMDEF: ranlib structs
                nbytes = struct.unpack_from("<I", d, 0)[0]
                ents = np.frombuffer(d, "<u4", nbytes // 4, 4).reshape(-1, 2)
                strsize_at = 4 + nbytes
                strs = d[strsize_at + 4:]
                self.symbols = [(elf.cstr(strs, int(s)), int(o)) for s, o in ents]
        except (struct.error, ValueError, IndexError):
            self._fail("corrupt archive symbol index")

    def _build_index(self) -> None:
        """No index (ar without 's'): read every member's globals, as lld does."""
        for pos in self.members:
            try:
                obj = self.member(pos)
            except LinkError:
                continue
            for i, nm in enumerate(obj.global_names()):
                if int(obj.sym_shndx[obj.first_global + i]) != elf.SHN_UNDEF:
                    self.symbols.append((nm, pos))

    def member(self, pos: int) -> ObjectFile:
        obj = self.parsed.pop(pos, None)
        if obj is not None:
            return obj
        name, off, size = self.members[pos]
        display = f"{self.path}({name})"
        if self.thin:
            mpath = os.path.join(os.path.dirname(self.path), name)
            data, off, size = read_file(mpath), 0, None
        else:
            data = self.data
        if bytes(data[off:off + 4]) in (BITCODE_MAGIC, BITCODE_WRAPPER):    # clang -flto (link/lto.py)
            return Bitcode(display, bytes(data[off:off + size if size is not None else None]), archive=self)
        return ObjectFile(display, data, off, size)


def open_input(path: str):
    """An ObjectFile or Archive for ``path`` (errors in lld's words)."""
    if warm_inputs or warm_taken:
        key = _identity(path)
        f = warm_inputs.pop(key, None)
        if f is not None:
            warm_taken[key] = f
        else:
            f = warm_taken.get(key)
            if f is not None:                   # (an object: read afresh; a script's tuple
                f = _again(f) if _is_library(f) else f if isinstance(f, tuple) else None   # is never written)
        if f is not None:
            global warm_hits
            warm_hits += 1
            _record(f)
            return f
    f = _open_input(path)
    _record(f)
    return f


def _record(f) -> None:
    """A served link's input that the server keeps parsed ahead for the next: a library, or a
    script given as an input (libc.so's GROUP: by its path, as a startup object)."""
    if recorded_inputs is not None:
        if _is_library(f):
            recorded_inputs.append(f)
        elif isinstance(f, tuple):
            recorded_inputs.append(f[1])


# -- libraries parsed ahead, in the warm server (link/server.py) ----------------------------
# The server parses the archives and shared objects its links used, with the members they
# loaded, and keeps them here; a link forked from it takes each at most once (its changes stay
# in its own copy of the memory).  An entry is found by the file's identity, so a file that
# changed in any way is read afresh.
warm_inputs: dict[tuple, object] = {}
# the ones this link took, by identity: a library named again (gcc's line names libgcc.a and
# libgcc_s.so twice; a GROUP script's libraries are opened to see whether they are scripts,
# then again to be read) is a copy of the same parse with the link's own state afresh
warm_taken: dict[tuple, object] = {}
recorded_inputs: list | None = None      # a server's child: the libraries this link opened
warm_hits = 0                             # libraries this process took from warm_inputs
WARM_MEMBERS_MAX = 20000
# a library parsed ahead that none of the last WARM_LINKS links read is dropped (forget_unread)
WARM_LINKS = 2
warm_idle: dict[tuple, int] = {}          # key in warm_inputs -> links in a row that did not read it


def _again(f):
    """A library opened again in one link: what a fresh parse would give, without parsing
    (the parse's tables are shared and never written; the link's state is new)."""
    g = object.__new__(type(f))             # (copy.copy's copy, without its generic protocol)
    g.__dict__.update(f.__dict__)
    if isinstance(g, Archive):
        g.loaded = set()                    # (its members parsed ahead went to the first)
        g.parsed = {}
    else:
        g.dso_id, g.as_needed, g.used = 0, False, False
    return g


def _identity(path: str) -> tuple:
    try:
        st = os.stat(path)
    except OSError:
        return ()
    return (path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _is_library(f) -> bool:
    from xld.link.shlib import SharedFile
    return isinstance(f, SharedFile) or isinstance(f, Archive) and not f.thin


def library_uses() -> list[tuple[str, list[int]]]:
    """What this link read from libraries (recorded_inputs): (path, member offsets loaded);
    and the startup objects it named (``startup_object``): (path, [])."""
    return [(f, []) if isinstance(f, str) else (f.path, sorted(getattr(f, "loaded", ())))
            for f in recorded_inputs or ()]


def startup_object(path: str, lib_dirs) -> ObjectFile | None:
    """A relocatable object the command line names in one of the library directories
    (``lib_dirs``: gcc's crt1.o, crti.o, crtbegin.o ..., the same in every link), as the
    warm server parsed it ahead, or None (read it).  A served link records it for the
    server to parse ahead for the next one.  The program's own objects are not: each build
    makes them anew."""
    if recorded_inputs is None and not warm_inputs or os.path.dirname(path) not in lib_dirs:
        return None
    if recorded_inputs is not None:
        recorded_inputs.append(path)
    key = _identity(path)
    f = warm_inputs.get(key) if key else None
    if not isinstance(f, ObjectFile) or f.bitcode:
        return None
    del warm_inputs[key]
    warm_taken[key] = f
    global warm_hits
    warm_hits += 1
    return f


def warm_key(path: str, cwd: str) -> tuple:
    """The key of warm_inputs for ``path`` as a link named it, relative to ``cwd``: () for a
    file that is not there."""
    key = _identity(os.path.join(cwd, path))
    return (path, *key[1:]) if key else ()


def forget_unread(read: set) -> bool:
    """After a link that read libraries (in the server; ``read``: their warm_key): those it
    read are young again, and those that none of the last WARM_LINKS links read are dropped,
    with the section-name cache (its keys hold their string tables).  What the server holds
    is in every child it forks, and counts in that child's resident memory from its start:
    the libraries of the other architecture, of another program, and a rebuilt archive's
    earlier parse, which no later link reads (its identity changed) and which stayed until
    WARM_MEMBERS_MAX members were parsed.  A link that read none of them but libraries of the
    same names (libc.a from another directory: another machine's or toolchain's) drops them
    all at once: kept one link more, the parse of its own libraries was spread among theirs in
    CPython's small-object arenas, whose 1 MiB are given back only when all of their objects
    are gone.  (A link of a project's own archive alone, -nostdlib, keeps the two-link rule:
    libc.a is not parsed again for the next link.)  True when any was dropped."""
    dropped = False
    names = {os.path.basename(k[0]) for k in read if k}
    other = not read & warm_inputs.keys() and any(os.path.basename(k[0]) in names for k in warm_inputs if k)
    for key in list(warm_inputs):
        idle = 0 if key in read else WARM_LINKS if other else warm_idle.get(key, 0) + 1
        if idle >= WARM_LINKS:
            del warm_inputs[key]
            dropped = True
        else:
            warm_idle[key] = idle
    for key in [k for k in warm_idle if k not in warm_inputs]:
        del warm_idle[key]
    if dropped:
        _SEC_NAMES.clear()
    return dropped


def warm_up_library(path: str, cwd: str, members: list[int], prepare) -> None:
    """Parse a library (and those of its members) ahead of the next link: ``path`` as a link
    named it, relative to ``cwd``; ``prepare(obj)`` does ahead what depends on an object parsed
    ahead alone (the server's: each pass's own)."""
    full = os.path.join(cwd, path)
    key = _identity(full)
    if not key:
        return
    key = (path, *key[1:])
    if key in warm_inputs:
        f = warm_inputs[key]
    else:
        f = _open_input(full)
        if isinstance(f, tuple):
            if not members:
                warm_inputs[key] = _script_ahead(path, f[2])
            return
        if isinstance(f, ObjectFile) and not f.bitcode and not members:
            f.name = path                       # a startup object (startup_object)
            prepare(f)
            warm_inputs[key] = f
            return
        if not _is_library(f):
            return
        f.path = path
        if not isinstance(f, Archive):
            f.name = path
            f.providers()                       # (what the resolver takes from it, made ahead)
    if isinstance(f, Archive):
        if sum(len(a.parsed) for a in warm_inputs.values() if isinstance(a, Archive)) + len(members) > WARM_MEMBERS_MAX:
            warm_inputs.clear()
        for pos in members:
            if pos not in f.parsed and pos in f.members:
                f.parsed[pos] = obj = f.member(pos)
                prepare(obj)
    warm_inputs[key] = f


def _script_ahead(path: str, data: bytes) -> tuple:
    """A script given as an input (``path`` as a link named it) as ``open_input`` gives it,
    with its parse (``script.Parser``'s, a fourth item) when the text alone decides it: a
    script that INCLUDEs nothing (what an INCLUDE finds depends on the link's -L) and parses.
    Each link gets the same parse, which it only reads."""
    from xld.link import script as sc_mod
    try:
        parser = sc_mod.Parser(data.decode("utf-8", "replace"), path)
        parsed = parser.parse()
    except LinkError:
        return ("script", path, data)           # (the link says why)
    return ("script", path, data) if len(parser.texts) > 1 else ("script", path, data, parsed)


# the control characters that are not white space (a text file has none)
_CONTROLS = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])


def _looks_like_text(chunk: bytes) -> bool:
    import codecs
    if len(chunk.translate(None, _CONTROLS)) != len(chunk):    # (a regex: compiled in each
        return False                                            # served link, 0.3 M instructions)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(chunk, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _open_input(path: str):
    data = read_file(path)
    head = bytes(data[:8])
    if head in (AR_MAGIC, THIN_MAGIC):
        return Archive(path, data)
    if head[:4] == elf.ELFMAG:
        if len(data) >= 18 and int.from_bytes(bytes(data[16:18]), "little") == elf.ET_DYN:
            from xld.link.shlib import SharedFile
            return SharedFile(path, data)
        return ObjectFile(path, data)
    if len(data) == 0:
        raise LinkError(f"{path}: file is empty")
    if head[:4] in (BITCODE_MAGIC, BITCODE_WRAPPER):  # clang -flto (link/lto.py)
        return Bitcode(path, data)
    # GNU ld reads any other file as a linker script: here, one that reads as text (its first
    # 4 KiB UTF-8 without control characters but white space)
    if _looks_like_text(bytes(data[:4096])):
        return ("script", path, bytes(data))
    raise LinkError(f"{path}: unknown file type (not an ELF object or archive)")


def binary_object(path: str, machine: int) -> ObjectFile:
    """``-b binary FILE`` (GNU ld's input format ``binary``): FILE's bytes as a relocatable
    object of ``machine``, as BFD makes it: one ``.data`` section (writable, alignment 1)
    holding them, and the globals ``_binary_NAME_start`` and ``_binary_NAME_end`` in it and
    ``_binary_NAME_size`` (absolute), NAME being the path as given with every character but
    letters and digits made ``_``; e_flags 0 (a data-only object: no ABI to agree on)."""
    import re
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError as e:
        raise LinkError(f"cannot open {path}: {e.strerror}")
    stem = "_binary_" + re.sub(r"[^A-Za-z0-9]", "_", path)
    strtab = b"\0"
    names = []
    for suffix in ("_start", "_size", "_end"):
        names.append(len(strtab))
        strtab += (stem + suffix).encode() + b"\0"
    shstr = b"\0.data\0.symtab\0.strtab\0.shstrtab\0"
    syms = np.zeros(5, dtype=elf.SYM)
    syms[1]["st_info"], syms[1]["st_shndx"] = elf.STT_SECTION, 1             # LOCAL SECTION .data
    glob = elf.STB_GLOBAL << 4
    for k, (shndx, value) in enumerate(((1, 0), (elf.SHN_ABS, len(blob)), (1, len(blob)))):
        syms[2 + k] = (names[k], glob, 0, shndx, value, 0)
    pad = lambda n: -n % 8                                                   # noqa: E731
    data_off = elf.EHDR_SIZE
    sym_off = data_off + len(blob) + pad(data_off + len(blob))
    str_off = sym_off + syms.nbytes
    shstr_off = str_off + len(strtab)
    sh_off = shstr_off + len(shstr) + pad(shstr_off + len(shstr))
    sh = np.zeros(5, dtype=elf.SHDR)
    sh[1] = (1, elf.SHT_PROGBITS, elf.SHF_ALLOC | elf.SHF_WRITE, 0, data_off, len(blob), 0, 0, 1, 0)
    sh[2] = (7, elf.SHT_SYMTAB, 0, 0, sym_off, syms.nbytes, 3, 2, 8, elf.SYM_SIZE)
    sh[3] = (15, elf.SHT_STRTAB, 0, 0, str_off, len(strtab), 0, 0, 1, 0)
    sh[4] = (23, elf.SHT_STRTAB, 0, 0, shstr_off, len(shstr), 0, 0, 1, 0)
    eh = np.zeros(1, dtype=elf.EHDR)
    eh["e_ident"][0][:7] = list(elf.ELFMAG) + [elf.ELFCLASS64, 1, 1]
    eh["e_type"], eh["e_machine"], eh["e_version"] = elf.ET_REL, machine, 1
    eh["e_shoff"], eh["e_ehsize"], eh["e_shentsize"] = sh_off, elf.EHDR_SIZE, elf.SHDR_SIZE
    eh["e_shnum"], eh["e_shstrndx"] = 5, 4
    image = b"".join([eh.tobytes(), blob, bytes(pad(data_off + len(blob))), syms.tobytes(), strtab, shstr,
                      bytes(pad(shstr_off + len(shstr))), sh.tobytes()])
    return ObjectFile(path, image)


# -- IR objects (link/lto.py compiles them): what input and resolution read of them ------

class Bitcode(ObjectFile):
    """An LLVM bitcode file (``clang -flto``), named or an archive member: no ELF to parse;
    resolution reads its stand-in (``lto.claim``)."""
    bitcode = True

    def __init__(self, name: str, data, archive=None):       # (no ELF parse)
        self.name = name
        self.buf = memoryview(data)
        self.archive = archive
        self.pulled_by = None
        self.file_id = 0


_SYMTAB = ".gnu.lto_.symtab."
# (name, binding, undefined, common, visibility (STV_*), size)
_KIND = {0: (elf.STB_GLOBAL, False, False), 1: (elf.STB_WEAK, False, False), 2: (elf.STB_GLOBAL, True, False),
         3: (elf.STB_WEAK, True, False), 4: (elf.STB_GLOBAL, False, True)}
_VISIBILITY = {0: 0, 1: 3, 2: 1, 3: 2}      # the plugin API's order -> STV_*


def ir_symbols(obj) -> list[tuple]:
    """GCC's IR symbols of a slim object, from every ``.gnu.lto_.symtab.<id>`` section: each
    entry is the name and the COMDAT key (both NUL-terminated), a kind byte (0 definition,
    1 weak definition, 2 reference, 3 weak reference, 4 COMMON), a visibility byte, a 64-bit
    size and a 32-bit slot.  Rows: (name, binding, undefined, COMMON, STV_*, size, slot, id)."""
    out = []
    for i, name in enumerate(obj.sec_names):
        if not name.startswith(_SYMTAB):
            continue
        data = bytes(obj.section_bytes(i))
        try:
            ident = int(name[len(_SYMTAB):], 16)
        except ValueError:
            raise LinkError(f"{obj.name}: {name}: an LTO symbol table whose name has no id") from None
        pos = 0
        while pos < len(data):
            end = data.find(b"\0", pos)
            key_end = data.find(b"\0", end + 1) if end >= 0 else -1
            if key_end < 0 or key_end + 15 > len(data):
                raise LinkError(f"{obj.name}: {name}: truncated LTO symbol table")
            kind, vis = data[key_end + 1], data[key_end + 2]
            size, = struct.unpack_from("<Q", data, key_end + 3)
            if kind not in _KIND or vis not in _VISIBILITY:
                raise LinkError(f"{obj.name}: {name}: unknown LTO symbol kind {kind} or visibility {vis}")
            slot, = struct.unpack_from("<I", data, key_end + 11)
            out.append((data[pos:end].decode("utf-8", "surrogateescape"), *_KIND[kind], _VISIBILITY[vis], size,
                        slot, ident))
            pos = key_end + 15
    return out


def stand_in(obj) -> ObjectFile:
    """The stand-in of a GCC slim object, without claiming it (what --start-lib's index of
    lazy objects lists)."""
    return stand_in_object(obj.name, ir_symbols(obj), obj.machine, obj.e_flags)


def stand_in_object(name: str, syms, machine: int, e_flags: int) -> ObjectFile:
    """An object with these symbols and no code (definitions are absolute zeros: the link that
    reads it is made again)."""
    enc = [n.encode("utf-8", "surrogateescape") for n, *_ in syms]
    strtab = b"\0" + b"".join(n + b"\0" for n in enc)
    table = np.zeros(len(syms) + 1, dtype=elf.SYM)
    pos = 1
    for k, ((_, bind, undefined, common, vis, size, *_), raw) in enumerate(zip(syms, enc), start=1):
        row = table[k]
        row["st_name"] = pos
        pos += len(raw) + 1
        row["st_info"] = bind << 4
        row["st_other"] = vis
        if common:
            row["st_shndx"], row["st_value"], row["st_size"] = elf.SHN_COMMON, 8, size
        elif not undefined:
            row["st_shndx"], row["st_size"] = elf.SHN_ABS, size
    shstr = b"\0.symtab\0.strtab\0.shstrtab\0"
    body = table.tobytes()
    off_sym = elf.EHDR_SIZE
    off_str = off_sym + len(body)
    off_shstr = off_str + len(strtab)
    shoff = (off_shstr + len(shstr) + 7) & ~7
    sh = np.zeros(4, dtype=elf.SHDR)
    sh[1] = (1, elf.SHT_SYMTAB, 0, 0, off_sym, len(body), 2, 1, 8, elf.SYM_SIZE)
    sh[2] = (9, elf.SHT_STRTAB, 0, 0, off_str, len(strtab), 0, 0, 1, 0)
    sh[3] = (17, elf.SHT_STRTAB, 0, 0, off_shstr, len(shstr), 0, 0, 1, 0)
    eh = np.zeros(1, dtype=elf.EHDR)
    eh["e_ident"][0][:7] = [0x7F, ord("E"), ord("L"), ord("F"), elf.ELFCLASS64, elf.ELFDATA2LSB, 1]
    eh["e_type"], eh["e_machine"], eh["e_version"] = elf.ET_REL, machine, 1
    eh["e_flags"], eh["e_shoff"], eh["e_ehsize"] = e_flags, shoff, elf.EHDR_SIZE
    eh["e_shentsize"], eh["e_shnum"], eh["e_shstrndx"] = elf.SHDR_SIZE, 4, 3
    blob = eh.tobytes() + body + strtab + shstr
    blob += bytes(shoff - len(blob)) + sh.tobytes()
    return ObjectFile(name, blob)
