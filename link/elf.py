"""ELF64 little-endian: constants and NumPy record layouts for the tables xld reads in bulk.

Symbol and relocation tables are viewed as structured arrays straight over the file's bytes,
so reading a table costs one ``np.frombuffer`` whatever its length.
"""
from __future__ import annotations

import numpy as np

# e_ident / e_type
ELFMAG = b"\x7fELF"
ELFCLASS64 = 2
ELFDATA2LSB = 1
ELFOSABI_NONE, ELFOSABI_GNU = 0, 3
ET_REL, ET_EXEC, ET_DYN = 1, 2, 3
EV_CURRENT = 1

# section types
SHT_NULL, SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_RELA = 0, 1, 2, 3, 4
SHT_HASH, SHT_DYNAMIC, SHT_NOTE, SHT_NOBITS, SHT_REL = 5, 6, 7, 8, 9
SHT_DYNSYM = 11
SHT_INIT_ARRAY, SHT_FINI_ARRAY, SHT_PREINIT_ARRAY = 14, 15, 16
SHT_GROUP, SHT_SYMTAB_SHNDX = 17, 18
SHT_LLVM_ADDRSIG = 0x6FFF4C03
SHT_GNU_ATTRIBUTES = 0x6FFFFFF5
SHT_RELR = 19
SHT_GNU_HASH = 0x6FFFFFF6
SHT_GNU_VERDEF, SHT_GNU_VERNEED, SHT_GNU_VERSYM = 0x6FFFFFFD, 0x6FFFFFFE, 0x6FFFFFFF

# dynamic tags read from shared objects (the rest: link/dynamic.py, which writes .dynamic)
DT_NULL, DT_NEEDED, DT_SONAME = 0, 1, 14
DT_RPATH, DT_RUNPATH = 15, 29
SHT_PROC_ATTRIBUTES = 0x70000003     # SHT_RISCV_ATTRIBUTES, SHT_AARCH64_ATTRIBUTES

# section flags
SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
SHF_MERGE = 0x10
SHF_STRINGS = 0x20
SHF_INFO_LINK = 0x40
SHF_LINK_ORDER = 0x80
SHF_GROUP = 0x200
SHF_TLS = 0x400
SHF_COMPRESSED = 0x800
SHF_GNU_RETAIN = 0x200000
SHF_EXCLUDE = 0x80000000

GRP_COMDAT = 1

# special section indices
SHN_UNDEF = 0
SHN_LORESERVE = 0xFF00
SHN_ABS = 0xFFF1
SHN_COMMON = 0xFFF2
SHN_XINDEX = 0xFFFF

# symbol binding / type / visibility
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2
STB_GNU_UNIQUE = 10
STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, STT_FILE, STT_COMMON, STT_TLS = 0, 1, 2, 3, 4, 5, 6
STT_GNU_IFUNC = 10
STV_DEFAULT, STV_INTERNAL, STV_HIDDEN, STV_PROTECTED = 0, 1, 2, 3

# program headers
PT_NULL, PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE, PT_PHDR, PT_TLS = 0, 1, 2, 3, 4, 6, 7
PT_GNU_EH_FRAME = 0x6474E550
PT_GNU_STACK = 0x6474E551
PT_GNU_RELRO = 0x6474E552
PT_GNU_PROPERTY = 0x6474E553
PF_X, PF_W, PF_R = 1, 2, 4

EHDR_SIZE = 64
PHDR_SIZE = 56
SHDR_SIZE = 64
SYM_SIZE = 24
RELA_SIZE = 24

SHDR = np.dtype([
    ("sh_name", "<u4"), ("sh_type", "<u4"), ("sh_flags", "<u8"), ("sh_addr", "<u8"),
    ("sh_offset", "<u8"), ("sh_size", "<u8"), ("sh_link", "<u4"), ("sh_info", "<u4"),
    ("sh_addralign", "<u8"), ("sh_entsize", "<u8"),
])
SYM = np.dtype([
    ("st_name", "<u4"), ("st_info", "u1"), ("st_other", "u1"), ("st_shndx", "<u2"),
    ("st_value", "<u8"), ("st_size", "<u8"),
])
RELA = np.dtype([("r_offset", "<u8"), ("r_info", "<u8"), ("r_addend", "<i8")])
PHDR = np.dtype([
    ("p_type", "<u4"), ("p_flags", "<u4"), ("p_offset", "<u8"), ("p_vaddr", "<u8"),
    ("p_paddr", "<u8"), ("p_filesz", "<u8"), ("p_memsz", "<u8"), ("p_align", "<u8"),
])
EHDR = np.dtype([
    ("e_ident", "u1", (16,)), ("e_type", "<u2"), ("e_machine", "<u2"), ("e_version", "<u4"),
    ("e_entry", "<u8"), ("e_phoff", "<u8"), ("e_shoff", "<u8"), ("e_flags", "<u4"),
    ("e_ehsize", "<u2"), ("e_phentsize", "<u2"), ("e_phnum", "<u2"), ("e_shentsize", "<u2"),
    ("e_shnum", "<u2"), ("e_shstrndx", "<u2"),
])
assert SHDR.itemsize == SHDR_SIZE and SYM.itemsize == SYM_SIZE and RELA.itemsize == RELA_SIZE
assert PHDR.itemsize == PHDR_SIZE and EHDR.itemsize == EHDR_SIZE


def copy_table(a: np.ndarray) -> np.ndarray:
    """A writable copy of a structured table (symbols, section headers), made as bytes:
    NumPy copies a packed structure such as ``SYM`` field by field, 5-15 times slower."""
    return np.ascontiguousarray(a).view(np.uint8).copy().view(a.dtype)


def join_tables(tables: list[np.ndarray], writable: bool = False, dtype: np.dtype = SYM) -> np.ndarray:
    """Structured tables of one dtype as one new table, joined as bytes (one copy: NumPy
    joins records field by field, a few microseconds a table and a field, and viewing each
    table as bytes costs about as much); read-only unless ``writable``.  Tables of different
    dtypes are joined as NumPy joins them.  ``dtype``: that of an empty result."""
    if not tables:
        return np.zeros(0, dtype=dtype)
    dt = tables[0].dtype
    if any(t.dtype != dt for t in tables):
        return np.concatenate(tables)
    # (writable: joined straight into a bytearray, not into bytes and then copied: arm64
    # 1200x50's CIE merge copies 1,200 symbol tables, 9.6 MB)
    join = bytearray().join if writable else b"".join
    try:
        raw = join(tables)                  # (each table's buffer: its records' bytes)
    except (BufferError, TypeError, ValueError):          # (a table that is not contiguous)
        raw = join([np.ascontiguousarray(t) for t in tables])
    return np.frombuffer(raw, dtype=dt)


_JOIN_RECORDS = 256     # table_column: at most this many records a table on average: joined whole


def table_column(tables: list[np.ndarray], field: str) -> np.ndarray:
    """One field of structured tables of one dtype, each table's column after the one before
    (read-only).  Where the tables are small (an archive member's symbol table: ~20 records)
    they are joined whole as bytes and the field taken once: a field's view of each table
    costs as much as copying a few hundred of its records (arm64's static hello: 366 tables,
    ~6,000 symbols); tables of many records each (riscv64's members hold thousands of local
    labels) are joined field by field, not copied whole for one byte of each record."""
    if tables and sum(map(len, tables)) <= _JOIN_RECORDS * len(tables) \
            and all(t.dtype == tables[0].dtype for t in tables):
        return join_tables(tables)[field]
    return np.concatenate([t[field] for t in tables]) if tables else np.zeros(0, dtype=SYM)[field]


def gnu_symbols(info: np.ndarray, files) -> bool:
    """Whether the files (``info``: their symbol tables' st_info, one file after another)
    define an STT_GNU_IFUNC or STB_GNU_UNIQUE symbol (os_abi).  The scan pass asks while it
    reads every st_info anyway and keeps the answer (``ctx.gnu_symbols``): asked at the end of
    the link, the read faulted every input's symbol table in again (riscv64 400x50: 12 MiB of
    libc.a at the link's peak).  No pass after scan adds such a symbol (thunks add functions)."""
    gnu = ((info & 0xF) == STT_GNU_IFUNC) | ((info >> 4) == STB_GNU_UNIQUE)
    if not gnu.any():
        return False
    shndx = np.concatenate([f.sym_shndx for f in files])
    return bool((shndx[gnu] != SHN_UNDEF).any())


def cstr(buf, off: int) -> str:
    """The NUL-terminated string at ``off`` in a string table."""
    end = buf.find(b"\0", off)
    if end < 0:
        end = len(buf)
    return bytes(buf[off:end]).decode("utf-8", "replace")


def align_up(x: int, a: int) -> int:
    return x if a <= 1 else (x + a - 1) & -a


def write_uleb(v: int) -> bytes:
    """v (not negative) as ULEB128."""
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_uleb(d: bytes, p: int) -> tuple[int, int]:
    """The ULEB128 at offset p of d, and the offset after it."""
    v = shift = 0
    while True:
        b = d[p]
        p += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, p
