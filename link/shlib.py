"""Shared objects as inputs: symbol providers only.

A ``.so`` on the command line contributes no sections.  It tells the link which names it
defines (its ``.dynsym``, with the version each definition carries, ``.gnu.version`` and
``.gnu.version_d``), which names it needs from others (its undefined ``.dynsym`` entries, each
with the version it asks for: an executable exports its own definitions of those, as
link/dynamic.py decides), and the name a program records to find it at run time
(``DT_SONAME``, else the file name).  See the gABI, "Dynamic Section" and "Symbol
Versioning", and glibc's ``elf/dl-lookup.c`` for how ``ld.so`` reads the same tables.
"""
from __future__ import annotations

import os
import struct

import numpy as np

from xld.link import elf
from xld.link.errors import LinkError

from xld.link.elf import DT_NEEDED, DT_NULL, DT_RPATH, DT_RUNPATH, DT_SONAME, SHT_GNU_VERDEF, SHT_GNU_VERSYM

VERSYM_HIDDEN = 0x8000
VER_NDX_GLOBAL = 1

_EHDR = struct.Struct("<HHIQQQIHHHHHH")
_VERDEF = struct.Struct("<HHHHIII")       # vd_version, flags, ndx, cnt, hash, aux, next
_VERDAUX = struct.Struct("<II")           # vda_name, vda_next


class SharedSym:
    """One definition a shared object exports."""
    __slots__ = ("name", "index", "version", "type", "bind", "size", "value", "shndx", "visibility")

    def __init__(self, name, index, version, typ, bind, size, value, shndx, visibility=elf.STV_DEFAULT):
        self.name = name            # without the version
        self.index = index          # .dynsym index in the shared object
        self.version = version      # version name (e.g. "GLIBC_2.17"), or None (unversioned)
        self.type = typ             # STT_*
        self.bind = bind
        self.size = size
        self.value = value
        self.shndx = shndx
        self.visibility = visibility    # STV_DEFAULT or STV_PROTECTED (bound in its object)


class SharedFile:
    """An ELF shared object (ET_DYN) read for the symbols it provides."""

    def __init__(self, path: str, data, display: str | None = None):
        self.path = path
        self.name = display or path               # for messages
        self.buf = memoryview(data)
        self.dso_id = 0                           # set when added to the link (1-based)
        self.as_needed = False
        self.used = False                         # some reference binds to it
        # the link's object files read before it (GNU ld's order matters for a name both
        # define: link/dynamic.py ``_wanted_by_shared``); one only a needed library brings in
        # comes after every object
        self.objects_before = 1 << 62
        self.names_before = 1 << 62               # the link's global names known before it (messages' order)
        self.given: str | None = None             # the command line's path for it (not -l)
        self._by_value: dict[int, list[str]] | None = None   # data names by address (aliases_of)
        self._parse()

    def _fail(self, what: str):
        raise LinkError(f"{self.name}: {what}")

    def _parse(self) -> None:
        buf = self.buf
        n = len(buf)
        if n < elf.EHDR_SIZE or bytes(buf[:4]) != elf.ELFMAG:
            self._fail("not an ELF file")
        if buf[4] != elf.ELFCLASS64 or buf[5] != elf.ELFDATA2LSB:
            self._fail("not a 64-bit little-endian ELF file")
        (e_type, self.machine, _, _, _, shoff, self.e_flags, _, _, _, shentsize, shnum,
         self.shstrndx) = _EHDR.unpack_from(buf, 16)
        if e_type != elf.ET_DYN:
            self._fail("is not a shared object")
        if shoff == 0 or shentsize != elf.SHDR_SIZE or shoff + shnum * elf.SHDR_SIZE > n:
            self._fail("invalid section header table")
        shdrs = np.frombuffer(buf, elf.SHDR, shnum, shoff)
        self.shdrs = shdrs
        types = shdrs["sh_type"].tolist()

        def section(i: int) -> bytes:
            off, size = int(shdrs[i]["sh_offset"]), int(shdrs[i]["sh_size"])
            if off + size > n:
                self._fail(f"section {i} goes past the end of the file (truncated?)")
            return bytes(buf[off:off + size])

        def only(t: int) -> int | None:
            found = [i for i, x in enumerate(types) if x == t]
            return found[0] if found else None

        dsym = only(elf.SHT_DYNSYM)
        if dsym is None:
            self.syms = np.zeros(1, elf.SYM)
            strtab = b"\0"
        else:
            link = int(shdrs[dsym]["sh_link"])
            if link >= shnum:
                self._fail("invalid string table index in .dynsym")
            strtab = section(link)
            raw = section(dsym)
            self.syms = np.frombuffer(raw, elf.SYM, len(raw) // elf.SYM_SIZE)
            if len(self.syms) and int(self.syms["st_name"].max()) >= max(len(strtab), 1):
                self._fail("invalid symbol name offset in .dynsym")
        self.strtab = strtab
        nsym = len(self.syms)

        # version definitions: index -> name (index 1 is the object itself)
        self.verdef: dict[int, str] = {}
        vd = only(SHT_GNU_VERDEF)
        if vd is not None:
            data = section(vd)
            vstr = section(int(shdrs[vd]["sh_link"])) if int(shdrs[vd]["sh_link"]) < shnum else b""
            pos, seen = 0, 0
            while pos + _VERDEF.size <= len(data) and seen < 1 << 16:
                _, flags, ndx, cnt, _, aux, nxt = _VERDEF.unpack_from(data, pos)
                if cnt and pos + aux + _VERDAUX.size <= len(data):
                    name_off, _ = _VERDAUX.unpack_from(data, pos + aux)
                    self.verdef[ndx] = elf.cstr(vstr, name_off)
                seen += 1
                if nxt == 0:
                    break
                pos += nxt
        versym = None
        vs = only(SHT_GNU_VERSYM)
        if vs is not None:
            raw = section(vs)
            if len(raw) >= 2 * nsym:
                versym = np.frombuffer(raw, "<u2", nsym)

        # dynamic section: DT_SONAME, DT_NEEDED
        self.soname = None
        self.needed: list[str] = []
        self.runpath: list[str] = []              # DT_RUNPATH (else DT_RPATH), $ORIGIN expanded
        dyn = only(elf.SHT_DYNAMIC)
        if dyn is not None:
            raw = section(dyn)
            ents = np.frombuffer(raw, "<i8", (len(raw) // 16) * 2).reshape(-1, 2)
            dlink = int(shdrs[dyn]["sh_link"])
            dstr = section(dlink) if dlink < shnum else strtab
            for tag, val in ents.tolist():
                if tag == DT_NULL:
                    break
                if tag == DT_SONAME:
                    self.soname = elf.cstr(dstr, val)
                elif tag == DT_NEEDED:
                    self.needed.append(elf.cstr(dstr, val))
                elif tag in (DT_RPATH, DT_RUNPATH) and not (tag == DT_RPATH and self.runpath):
                    origin = os.path.dirname(os.path.abspath(self.path))
                    self.runpath = [d.replace("$ORIGIN", origin).replace("${ORIGIN}", origin)
                                    for d in elf.cstr(dstr, val).split(":") if d]

        # the names: definitions (default versions only: a hidden version answers only a
        # reference that asks for it by name) and undefined references
        info = self.syms["st_info"]
        bind = info >> 4
        shndx = self.syms["st_shndx"]
        vis = self.syms["st_other"] & 3
        glob = (bind == elf.STB_GLOBAL) | (bind == elf.STB_WEAK) | (bind == elf.STB_GNU_UNIQUE)
        glob[0:1] = False
        defined = glob & (shndx != elf.SHN_UNDEF) & ((vis == elf.STV_DEFAULT) | (vis == elf.STV_PROTECTED))
        if versym is not None:
            defined &= (versym & VERSYM_HIDDEN) == 0
        names = _names(strtab, self.syms["st_name"])
        self.exports: dict[str, SharedSym] = {}
        values = self.syms["st_value"].tolist()
        sizes = self.syms["st_size"].tolist()
        vlist = versym.tolist() if versym is not None else None
        for i in np.flatnonzero(defined).tolist():
            nm = names[i]
            if not nm or nm in self.exports:
                continue
            ver = None
            if vlist is not None:
                v = vlist[i] & 0x7FFF
                if v > VER_NDX_GLOBAL:
                    ver = self.verdef.get(v)
            self.exports[nm] = SharedSym(nm, i, ver, int(info[i]) & 0xF, int(bind[i]), sizes[i],
                                         values[i], int(shndx[i]), int(vis[i]))
        self._versioned: dict[str, SharedSym] | None = None      # (versioned(): when asked)
        self._tables = (names, vlist, info, bind, shndx, vis, glob, values, sizes)
        undef = glob & (shndx == elf.SHN_UNDEF)
        self.undefs: list[str] = [names[i] for i in np.flatnonzero(undef).tolist() if names[i]]
        self.undef_set = frozenset(self.undefs)
        # the version each reference asks for: a .gnu.version index above 1 names a version
        # of .gnu.version_r (foo@V1: only a definition of foo@V1 answers it); 0 or 1 asks
        # for none (any definition of foo does), the references in plain_undefs
        asks = (versym & 0x7FFF) > VER_NDX_GLOBAL if versym is not None else np.zeros(nsym, dtype=bool)
        self.plain_undefs = (self.undef_set if not asks.any() else
                             frozenset(names[i] for i in np.flatnonzero(undef & ~asks).tolist() if names[i]))
        # for --no-allow-shlib-undefined (link/needed.py): what it must find elsewhere (its
        # strong references), and every name it defines, in any version
        self.strong_undefs: list[str] = [names[i] for i in np.flatnonzero(undef & (bind == elf.STB_GLOBAL)).tolist()
                                         if names[i]]
        # the references that ask for a version (foo@V1, a verneed entry): GNU ld enters them
        # under that versioned name, which no archive's symbol index holds, so they load no
        # archive member (an unversioned reference does)
        versioned = undef & (bind == elf.STB_GLOBAL) & asks
        self.versioned_undefs = frozenset(names[i] for i in np.flatnonzero(versioned).tolist())
        self.defined_names = frozenset(names[i] for i in np.flatnonzero(glob & (shndx != elf.SHN_UNDEF)).tolist())

    def warnings(self) -> dict[str, str]:
        """name -> message of each section ``.gnu.warning.NAME`` (glibc's libc.so.6 has 30:
        ``mktemp``, ``gets``, ``tmpnam`` ...): GNU ld warns at a program's first use of NAME
        when this object provides it, as for the same sections in a static link.  Read when
        first asked (the section header names are not otherwise needed)."""
        made = self.__dict__.get("_warnings")
        if made is None:
            made = self._warnings = {}
            shdrs, buf = self.shdrs, self.buf
            if 0 < self.shstrndx < len(shdrs):
                off, size = int(shdrs[self.shstrndx]["sh_offset"]), int(shdrs[self.shstrndx]["sh_size"])
                names = bytes(buf[off:off + size]) if off + size <= len(buf) else b""
                for sh in shdrs.tolist() if b".gnu.warning." in names else ():
                    name = elf.cstr(names, sh[0]) if sh[0] < len(names) else ""
                    if name.startswith(".gnu.warning.") and sh[4] + sh[5] <= len(buf):
                        text = bytes(buf[sh[4]:sh[4] + sh[5]]).split(b"\0")[0]
                        made.setdefault(name[len(".gnu.warning."):], text.decode("utf-8", "replace"))
        return made

    def providers(self) -> dict[str, tuple]:
        """name -> (this object, its SharedSym) for every export, in ``exports``' order: the
        entries a link's resolver takes from it (link/resolve.py ``add_shared``), made once:
        the warm server makes them for the libraries it parses ahead.  A copy of the object
        (a library named twice) makes its own, naming itself."""
        made = self.__dict__.get("_providers")
        if made is None or made[0] is not self:
            made = self._providers = (self, {name: (self, sym) for name, sym in self.exports.items()})
        return made[1]

    def versioned(self, name: str) -> SharedSym | None:
        """The definition of ``name`` ("foo@V1": a name and one of its versions, the default or
        a hidden one) this object exports: what a reference that names its version binds to
        (``.symver memcpy, memcpy@GLIBC_2.17`` in an object).  The table is made when first
        asked (most links never ask)."""
        if self._versioned is None:
            self._versioned = {}
            names, vlist, info, bind, shndx, vis, glob, values, sizes = self._tables
            if vlist is not None and self.verdef:
                ok = glob & (shndx != elf.SHN_UNDEF) & ((vis == elf.STV_DEFAULT) | (vis == elf.STV_PROTECTED))
                for i in np.flatnonzero(ok).tolist():
                    v = vlist[i] & 0x7FFF
                    ver = self.verdef.get(v) if v > VER_NDX_GLOBAL else None
                    nm = names[i]
                    if ver is not None and nm and f"{nm}@{ver}" not in self._versioned:
                        self._versioned[f"{nm}@{ver}"] = SharedSym(
                            nm, i, ver, int(info[i]) & 0xF, int(bind[i]), sizes[i], values[i], int(shndx[i]), int(vis[i]))
        return self._versioned.get(name)

    def definitions(self) -> list[str]:
        """Every name this object defines for others, in .dynsym order, as lld enters them in
        its symbol table: ``foo`` for a default version (or no version), then ``foo@V1`` for
        each versioned definition, hidden or not (for the hints of messages: link/spelling.py)."""
        names, vlist, info, bind, shndx, vis, glob, values, sizes = self._tables
        out = []
        for i in range(1, len(names)):
            nm = names[i]
            if not nm or not glob[i] or shndx[i] == elf.SHN_UNDEF:
                continue
            if nm in self.exports and self.exports[nm].index == i:
                out.append(nm)
            v = vlist[i] & 0x7FFF if vlist is not None else 0
            ver = self.verdef.get(v) if v > VER_NDX_GLOBAL else None
            if ver is not None:
                out.append(f"{nm}@{ver}")
        return out

    def aliases_of(self, value: int) -> list[str]:
        """The data symbols this object defines at ``value`` (in .dynsym order)."""
        by = self._by_value
        if by is None:
            by = self._by_value = {}
            for name, sym in self.exports.items():
                if sym.type not in (elf.STT_FUNC, elf.STT_GNU_IFUNC, elf.STT_TLS):
                    by.setdefault(sym.value, []).append(name)
        return by.get(value, [])

    @property
    def needed_name(self) -> str:
        """The name other objects' DT_NEEDED match this object by."""
        return self.soname or os.path.basename(self.path)

    @property
    def recorded_name(self) -> str:
        """What DT_NEEDED and its version needs record: the soname, else the path as the
        command line gave it (``L/libn.so``, as GNU ld and lld), else the file's name."""
        return self.soname or self.given or os.path.basename(self.path)

    def section_align(self, shndx: int) -> int:
        if 0 < shndx < len(self.shdrs):
            return max(int(self.shdrs[shndx]["sh_addralign"]), 1)
        return 1

    def holds(self, sym: SharedSym) -> bool:
        """Whether the section ``sym`` is defined in spans the symbol's bytes.  A stub library
        (zig's libc.so: its data symbols sit over empty sections, many names at one address)
        does not; there an address says nothing about which names are one variable."""
        if not 0 < sym.shndx < len(self.shdrs):
            return True
        sh = self.shdrs[sym.shndx]
        lo = int(sh["sh_addr"])
        return lo <= sym.value and sym.value + sym.size <= lo + int(sh["sh_size"])

    def read_only(self, shndx: int) -> bool:
        """Whether section ``shndx`` is read-only once the object is loaded: not writable
        (.rodata), or writable only during relocation (.data.rel.ro, inside the object's
        PT_GNU_RELRO): a copy of its data belongs in the program's RELRO."""
        if not 0 < shndx < len(self.shdrs):
            return False
        sh = self.shdrs[shndx]
        if not int(sh["sh_flags"]) & elf.SHF_WRITE:
            return True
        lo, hi = int(sh["sh_addr"]), int(sh["sh_addr"]) + int(sh["sh_size"])
        return any(p["p_type"] == elf.PT_GNU_RELRO and p["p_vaddr"] <= lo and hi <= p["p_vaddr"] + p["p_memsz"]
                   for p in self._phdrs())

    def _phdrs(self) -> np.ndarray:
        eh = np.frombuffer(self.buf, elf.EHDR, 1)[0]
        off, num = int(eh["e_phoff"]), int(eh["e_phnum"])
        if not off or int(eh["e_phentsize"]) != elf.PHDR_SIZE or off + num * elf.PHDR_SIZE > len(self.buf):
            return np.zeros(0, elf.PHDR)
        return np.frombuffer(self.buf, elf.PHDR, num, off)

    def __repr__(self) -> str:
        return f"<SharedFile {self.name}>"


def _names(strtab: bytes, offsets: np.ndarray) -> list[str]:
    text = strtab.decode("utf-8", "replace") if not strtab.isascii() else strtab.decode("ascii")
    if len(text) != len(strtab):          # a multi-byte name: fall back to byte offsets
        return [elf.cstr(strtab, int(o)) for o in offsets.tolist()]
    find = text.find
    out = []
    for o in offsets.tolist():
        e = find("\0", o)
        out.append(text[o:e if e >= 0 else None])
    return out


def elf_hash(name: bytes) -> int:
    """The SysV ELF hash (gABI "Hash Table"): .hash buckets and vna_hash of version names."""
    h = 0
    for c in name:
        h = ((h << 4) + c) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h


def gnu_hash(name: bytes) -> int:
    """The GNU hash (DJB, h * 33 + c) that .gnu.hash buckets by."""
    h = 5381
    for c in name:
        h = (h * 33 + c) & 0xFFFFFFFF
    return h


def _name_columns(names: list[str]):
    """The names' bytes a column at a time: yields (k, bytes) for column c = 0, 1, ...,
    where the k longest names (in ``order``, returned first) have a byte there.  The work is
    the names' total length, not their number times the longest."""
    raw = [n.encode() for n in names]
    lens = np.fromiter(map(len, raw), dtype=np.int64, count=len(raw))
    return _columns(np.frombuffer(b"".join(raw), dtype=np.uint8), np.cumsum(lens) - lens, lens)


def _columns(flat: np.ndarray, starts: np.ndarray, lens: np.ndarray):
    # (longest first, stable; names shorter than 64 KiB sort as 16-bit keys, a radix sort:
    # -shared 400x50's 32.8k names 2 -> 0.3 ms)
    width = int(lens.max()) if len(lens) else 0
    order = np.argsort(width - lens if width >= 1 << 16 else (width - lens).astype(np.uint16), kind="stable")
    starts = starts[order]
    live = np.bincount(lens, minlength=1)[::-1].cumsum()[::-1]   # live[c]: names longer than c - 1

    def columns():
        for c in range(width):
            k = int(live[c + 1])
            yield k, flat[starts[:k] + c]
    return order, columns()


def gnu_hash_many(names: list[str]) -> np.ndarray:
    """gnu_hash of many names at once (a column of the names' bytes per step)."""
    return _gnu_hash_columns(len(names), *_name_columns(names))


def gnu_hash_blob(blob: np.ndarray, n: int) -> np.ndarray:
    """gnu_hash of the ``n`` NUL-terminated names that make up ``blob`` (uint8)."""
    ends = np.flatnonzero(blob == 0)
    if len(ends) != n:
        raise ValueError(f"{len(ends)} strings in the blob, {n} expected")
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
    return _gnu_hash_columns(n, *_columns(blob, starts, ends - starts))


def _gnu_hash_columns(n: int, order, columns) -> np.ndarray:
    h = np.full(n, 5381, dtype=np.uint32)       # (uint32: the arithmetic wraps as the hash's)
    for k, col in columns:
        h[:k] = h[:k] * np.uint32(33) + col
    out = np.empty(n, dtype=np.uint32)
    out[order] = h
    return out


def elf_hash_many(names: list[str]) -> np.ndarray:
    """elf_hash of many names at once."""
    order, columns = _name_columns(names)
    h = np.zeros(len(names), dtype=np.uint32)
    for k, col in columns:
        x = (h[:k] << np.uint32(4)) + col
        g = x & np.uint32(0xF0000000)
        x ^= g >> np.uint32(24)
        x &= ~g
        h[:k] = x
    out = np.empty(len(names), dtype=np.uint32)
    out[order] = h
    return out
