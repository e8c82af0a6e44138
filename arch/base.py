"""What an ISA backend is: a relocation table as data, field encoders, and a few numbers.

Every ELF relocation type an architecture supports is one ``Howto`` row:

    type -> (generic kind, field encoder, range, alignment)

The core (``xld.link.relocate``) computes the kind's value for many sites at once, checks the
row's range and alignment, and hands the value to the field encoder, which only moves bits.
Encoders are pure, vectorized functions over NumPy arrays:

    write(word: uint64[n], value: int64[n]) -> uint64[n]

``word`` holds the ``width`` bytes at each site, little-endian, zero-extended to 64 bits; the
encoder returns the new contents.  ``read`` (data fields only) returns the value a field holds,
for the read-modify-write kinds (ADD, SUB).
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from functools import cached_property
from typing import Callable

import numpy as np

from xld.link.kinds import Kind

Words = np.ndarray      # uint64[n]
Values = np.ndarray     # int64[n]


@dataclass(frozen=True)
class Field:
    """An instruction or data field at a relocation site."""
    name: str
    width: int                                  # bytes spanned at the site; 0 = variable (ULEB128)
    write: Callable[[Words, Values], Words]
    read: Callable[[Words], Values] | None = None
    # the bits [lo, hi) of the value the field holds: ``read`` returns a value whose
    # difference from the one written is zero in those bits (--verify, link/verify.py)
    bits: tuple[int, int] = (0, 64)


@dataclass(frozen=True)
class Howto:
    """One row of an architecture's relocation table."""
    type: int
    name: str                   # the psABI's name, verbatim: "R_AARCH64_CALL26"
    kind: Kind
    field: Field | None         # None for hints
    lo: int | None = None       # inclusive range of the kind's value; None: not checked (_NC)
    hi: int | None = None
    align: int = 1              # the value must be a multiple of this


# The output sections both ISAs' GNU ld default scripts name (binutils 2.40, elf.sc)
SCRIPT_SECTIONS = frozenset("""
    .interp .note.gnu.build-id .hash .gnu.hash .dynsym .dynstr .gnu.version .gnu.version_d
    .gnu.version_r .rela.dyn .rela.plt .init .plt .text .fini .rodata .rodata1 .eh_frame_hdr
    .sframe .eh_frame .gcc_except_table .gnu_extab .exception_ranges .tdata .tbss .preinit_array
    .init_array .fini_array .ctors .dtors .jcr .data.rel.ro .dynamic .got .data .data1 .bss
    .comment .gnu.build.attributes .stab .stabstr .stab.excl .stab.exclstr .stab.index
    .stab.indexstr .debug .line .debug_srcinfo .debug_sfnames .debug_aranges .debug_pubnames
    .debug_info .debug_abbrev .debug_line .debug_frame .debug_str .debug_loc .debug_macinfo
    .debug_weaknames .debug_funcnames .debug_typenames .debug_varnames .debug_pubtypes
    .debug_ranges .debug_addr .debug_line_str .debug_loclists .debug_macro .debug_names
    .debug_rnglists .debug_str_offsets .debug_sup""".split())


@dataclass(frozen=True)
class Arch:
    """An ISA backend: data plus the few hooks only that ISA can answer."""
    name: str                   # "arm64" | "riscv64"
    machine: int                # e_machine
    howtos: dict[int, Howto]
    image_base: int             # first address of a static executable, as GNU ld places it
    max_page_size: int          # PT_LOAD alignment
    common_page_size: int
    tls_tcb_size: int           # bytes between TP and the start of the TLS block (arm64: 16)
    nop: bytes                  # padding for code sections
    emulations: tuple[str, ...] = ()   # names accepted by -m
    aliases: tuple[str, ...] = ()      # names accepted by --arch
    reloc_prefix: str = ""             # "R_AARCH64_", "R_RISCV_"
    output_format: str = ""            # GNU ld's OUTPUT_FORMAT name: "elf64-littleaarch64"
    dynamic: dict[str, int] = dc_field(default_factory=dict)     # dynamic types by short name
    other_names: dict[int, str] = dc_field(default_factory=dict)  # types the table lacks, named
    hooks: dict[str, Callable] = dc_field(default_factory=dict)
    # GNU ld's default scripts for this ISA: the linker-defined names (of
    # link.resolve.SCRIPT_NAMES) its -shared script assigns (a library leaves the others
    # undefined), and those its program script assigns outright, not by PROVIDE (there even
    # unreferenced: --export-dynamic exports them)
    shared_script_names: frozenset[str] = frozenset()
    assigned_names: frozenset[str] = frozenset()
    # the output sections its program script names (SCRIPT_SECTIONS and the ISA's own): the
    # places an INSERT AFTER/BEFORE may name (GNU ld: 'X not found for insert' for another)
    script_sections: frozenset[str] = frozenset()

    def howto(self, rtype: int) -> Howto | None:
        return self.howtos.get(rtype)

    @cached_property
    def type_numbers(self) -> dict[str, int]:
        """Each relocation type's number by its psABI name (made once, as ``type_columns``)."""
        return {h.name: rt for rt, h in self.howtos.items()}

    @cached_property
    def type_columns(self) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """(kind, field width) of every relocation type as read-only int8 arrays indexed by
        type (-1 and 0 for a type the table lacks; the last entry stands for every type past
        the table), and the RELAXABLE types.  Made once (the warm server makes them ahead):
        the loop over the table was ~0.1 ms of every link's relocation table."""
        top = max(self.howtos) + 2
        kind = np.full(top, -1, dtype=np.int8)
        width = np.zeros(top, dtype=np.int8)
        for rt, h in self.howtos.items():
            kind[rt] = int(h.kind)
            width[rt] = h.field.width if h.field is not None else 0
        kind.setflags(write=False)
        width.setflags(write=False)
        return kind, width, [rt for rt, h in self.howtos.items() if h.kind == Kind.RELAXABLE]

    def reloc_name(self, rtype: int) -> str:
        """The psABI name of any relocation type (so that "unsupported relocation" errors
        can name it), or the prefix and its number."""
        if rtype in self.howtos:
            return self.howtos[rtype].name
        for name, number in self.dynamic.items():
            if number == rtype:
                return self.reloc_prefix + name
        return self.reloc_prefix + self.other_names.get(rtype, str(rtype))

    def dynamic_type(self, name: str) -> int:
        """The number of a dynamic relocation by its short name: ``dynamic_type("IRELATIVE")``."""
        return self.dynamic[name]


def table(rows: list[Howto]) -> dict[int, Howto]:
    """Index rows by type, refusing duplicates (a hand-typed table's classic slip)."""
    out: dict[int, Howto] = {}
    for row in rows:
        if row.type in out:
            raise ValueError(f"duplicate relocation type {row.type}: {out[row.type].name} and {row.name}")
        out[row.type] = row
    return out


# --- fields every ISA shares: plain little-endian data --------------------------------------

def _data(width: int) -> Field:
    mask = np.uint64((1 << (8 * width)) - 1)

    def write(word: Words, value: Values) -> Words:
        return value.astype(np.int64).view(np.uint64) & mask

    def read(word: Words) -> Values:
        bits = 8 * width
        v = word.astype(np.uint64) & mask
        if bits == 64:
            return v.view(np.int64)
        return v.astype(np.int64)

    return Field(f"data{8 * width}", width, write, read, (0, 8 * width))


DATA8 = _data(1)
DATA16 = _data(2)
DATA32 = _data(4)
DATA64 = _data(8)


def _uleb_write(word: Words, value: Values) -> Words:   # pragma: no cover - handled by the core
    raise NotImplementedError("ULEB128 fields are variable-width; the core encodes them")


ULEB128 = Field("uleb128", 0, _uleb_write)

# Signed and unsigned ranges, spelled once.
def srange(bits: int) -> tuple[int, int]:
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def urange(bits: int) -> tuple[int, int]:
    return 0, (1 << bits) - 1


def any_range(bits: int) -> tuple[int, int]:
    """Accept a value that fits as signed or unsigned (R_AARCH64_ABS32/16, R_RISCV_32 …)."""
    return -(1 << (bits - 1)), (1 << bits) - 1
