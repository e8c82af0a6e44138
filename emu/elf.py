"""Just enough ELF64 reading for the runner: header, program headers, symbol table.

Loading happens on every run (a test suite may run hundreds of programs), so this reads the
few fixed-size records with ``struct`` instead of building pyelftools objects. The symbol table
is read lazily, only when a crash report needs names.
"""

from __future__ import annotations

import bisect
import os
import stat
import struct
from dataclasses import dataclass

ET_EXEC, ET_DYN = 2, 3
PT_LOAD, PT_INTERP, PT_PHDR, PT_TLS, PT_GNU_STACK = 1, 3, 6, 7, 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4
SHT_SYMTAB, SHT_DYNSYM = 2, 11
STT_FUNC, STT_OBJECT, STT_NOTYPE = 2, 1, 0


class ElfError(Exception):
    pass


@dataclass(frozen=True)
class Segment:
    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int
    align: int


@dataclass
class Elf:
    path: str
    data: bytes
    type: int
    machine: int
    entry: int
    phoff: int
    phentsize: int
    phnum: int
    shoff: int
    shentsize: int
    shnum: int
    segments: list
    interp: str | None
    _symbols: "Symbols | None" = None

    @property
    def loads(self):
        return [s for s in self.segments if s.type == PT_LOAD]

    def symbols(self) -> "Symbols":
        if self._symbols is None:
            self._symbols = Symbols.read(self)
        return self._symbols


def read_elf(path: str, max_size: int | None = None, what: str = "", fd: int | None = None) -> Elf:
    """Read and check an ELF64 little-endian file: every program header, the PT_INTERP string
    and each PT_LOAD's file range must lie inside the file, and a segment's memory end inside
    the 64-bit address space. Only regular files are read (a FIFO or a device named as a
    program interpreter must not block or stream forever), at most ``max_size`` bytes.
    ``fd``: read this open descriptor instead (closed here); ``path`` then only names it."""
    name = what or path
    if fd is None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as e:
            raise ElfError(f"cannot open {name}: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ElfError(f"{name}: not a regular file")
        if max_size is not None and st.st_size > max_size:
            raise ElfError(f"{name}: too large ({st.st_size} bytes, limit {max_size})")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(st.st_size if max_size is None else max_size + 1)
    except OSError as e:
        raise ElfError(f"cannot read {name}: {e.strerror}") from None
    finally:
        os.close(fd)
    if data[:4] != b"\x7fELF":
        raise ElfError(f"{name}: not an ELF file")
    if len(data) < 64 or data[4] != 2 or data[5] != 1:
        raise ElfError(f"{name}: not a little-endian ELF64 file")
    (etype, machine, _ver, entry, phoff, shoff, _flags, _ehsize, phentsize, phnum,
     shentsize, shnum, _shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
    if phnum and (phentsize < 56 or phoff + phnum * phentsize > len(data)):
        raise ElfError(f"{name}: corrupt ELF file (program headers outside the file)")
    segs = []
    interp = None
    for i in range(phnum):
        p_type, p_flags, off, vaddr, _paddr, filesz, memsz, align = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        # (a segment with no file bytes, bss only, may name any offset: nothing is read)
        if p_type in (PT_LOAD, PT_INTERP) and filesz and off + filesz > len(data):
            raise ElfError(f"{name}: corrupt ELF file (segment {i} extends past the end of the file)")
        # (the end, rounded up to any page size, must not wrap: a segment ending in the last
        # page of the address space had a span of 0 and passed every size check)
        if p_type == PT_LOAD and (filesz > memsz or vaddr + memsz > (1 << 64) - (1 << 16)):
            raise ElfError(f"{name}: corrupt ELF file (segment {i}: bad sizes)")
        segs.append(Segment(p_type, p_flags, off, vaddr, filesz, memsz, align))
        if p_type == PT_INTERP:
            if not 1 < filesz <= 4096:
                raise ElfError(f"{name}: corrupt ELF file (PT_INTERP of {filesz} bytes)")
            interp = data[off:off + filesz].split(b"\0")[0].decode(errors="surrogateescape")
    return Elf(path, data, etype, machine, entry, phoff, phentsize, phnum, shoff, shentsize,
               shnum, segs, interp)


class Symbols:
    """Address → symbol lookup over the executable's .symtab (functions and objects)."""

    def __init__(self, entries):
        entries.sort()
        self.addrs = [e[0] for e in entries]
        self.entries = entries

    @classmethod
    def read(cls, elf: Elf) -> "Symbols":
        """From .symtab, or from .dynsym when the file was stripped (shared libraries)."""
        out = cls._read(elf, SHT_SYMTAB)
        return cls(out or cls._read(elf, SHT_DYNSYM))

    @staticmethod
    def _read(elf: Elf, want: int) -> list:
        data = elf.data
        out = []
        try:
            for i in range(elf.shnum):
                (_name, sh_type, _fl, _addr, off, size, link, _info, _al, entsize) = struct.unpack_from(
                    "<IIQQQQIIQQ", data, elf.shoff + i * elf.shentsize)
                if sh_type != want or not entsize:
                    continue
                stroff = struct.unpack_from("<Q", data, elf.shoff + link * elf.shentsize + 24)[0]
                for j in range(size // entsize):
                    st_name, st_info, _other, shndx, value, st_size = struct.unpack_from(
                        "<IBBHQQ", data, off + j * entsize)
                    if shndx == 0 or st_info & 0xF not in (STT_FUNC, STT_OBJECT, STT_NOTYPE):
                        continue
                    if not st_name or not value:
                        continue
                    end = data.index(b"\0", stroff + st_name)
                    name = data[stroff + st_name:end].decode(errors="replace")
                    if name.startswith("$") or name.startswith(".L"):  # mapping symbols, locals
                        continue
                    is_func = (st_info & 0xF) == STT_FUNC
                    out.append((value, 0 if is_func else 1, st_size, name))
        except (struct.error, ValueError):
            pass
        return out

    def lookup(self, addr: int, bias: int = 0) -> str | None:
        """'name+0xoff' for the symbol containing (or nearest below) ``addr``."""
        a = addr - bias
        i = bisect.bisect_right(self.addrs, a) - 1
        while i >= 0:
            value, _kind, size, name = self.entries[i]
            if size == 0 or a < value + size:
                off = a - value
                if size == 0 and off > 0x10000:
                    return None
                return f"{name}+{off:#x}" if off else name
            # inside a gap after a sized symbol: look no further back than one symbol
            return None
        return None

    def address_of(self, name: str) -> int | None:
        for value, _k, _s, n in self.entries:
            if n == name:
                return value
        return None
