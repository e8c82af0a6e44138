"""Generic relocation kinds: what value a relocation asks for.

The idea is Go's linker's (objabi.R_ADDR, R_PCREL, R_CALL): the core knows a short list of
*kinds*, each a formula over the psABI's variables, and nothing about instruction bits.  Each
architecture maps its ELF relocation types onto these kinds plus a field encoder (see
``xld.arch.base.Howto``); the encoder knows nothing about symbols.

Variables, as the psABIs write them:
  S  the symbol's address            A  the addend            P  the address of the place
  G  the address of the symbol's GOT slot                     TP the thread-pointer offset
  GP the value of __global_pointer$ (RISC-V)
  Page(x) = x & ~0xfff
"""
from enum import IntEnum


class Kind(IntEnum):
    NONE = 0            # nothing (R_*_NONE)
    ADDR = 1            # S + A
    PCREL = 2           # S + A - P
    CALL = 3            # (thunk or S) + A - P   -- a branch; may be routed through a thunk
    PAGE_PCREL = 4      # Page(S + A) - Page(P)
    GOT = 5             # G + A                  -- address of the GOT slot
    GOT_PCREL = 6       # G + A - P
    GOT_PAGE_PCREL = 7  # Page(G + A) - Page(P)
    GOT_GOTPAGE = 8     # G + A - Page(GOT)      -- R_AARCH64_LD64_GOTPAGE_LO15
    TLS_LE = 9          # S + A - TP             -- thread-pointer offset, local-exec
    TLS_IE = 10         # G(tp) + A              -- GOT slot holding S + A - TP
    TLS_IE_PCREL = 11   # G(tp) + A - P
    TLS_IE_PAGE_PCREL = 12  # Page(G(tp) + A) - Page(P)
    PAIRED_LO = 13      # value of the HI20 relocation at the label S (RISC-V PCREL_LO12_*)
    ADD = 14            # field + (S + A)        -- read-modify-write
    SUB = 15            # field - (S + A)
    SET = 16            # S + A, written into the field as is (no range check)
    HINT = 17           # nothing to write (R_RISCV_TPREL_ADD: marks an instruction only)
    ALIGN = 18          # R_RISCV_ALIGN: the padding that follows must end aligned
    TLS_DESC = 19       # TLS descriptor sequence, rewritten to local-exec in a static link
    TLS_GD_PCREL = 20   # G(gd) + A - P          -- a two-slot GOT entry (module 1, DTP offset)
    GP_REL = 21         # S + A - GP             -- a RISC-V LO12 site relaxed to gp (link/shrink.py)
    RELAXABLE = 22      # not a relocation: the one before it, at the same place, may be relaxed
                        # (R_RISCV_RELAX); scan turns it into that row's ``relax`` flag
    TLS_GD = 23         # G(gd) + A              -- (AArch64 TLSGD_ADD_LO12_NC: its low 12 bits)
    TLS_GD_PAGE_PCREL = 24  # Page(G(gd) + A) - Page(P)   -- AArch64 TLSGD_ADR_PAGE21


GOT_KINDS = frozenset({Kind.GOT, Kind.GOT_PCREL, Kind.GOT_PAGE_PCREL, Kind.GOT_GOTPAGE})
TLS_IE_KINDS = frozenset({Kind.TLS_IE, Kind.TLS_IE_PCREL, Kind.TLS_IE_PAGE_PCREL})
TLS_GD_KINDS = frozenset({Kind.TLS_GD_PCREL, Kind.TLS_GD, Kind.TLS_GD_PAGE_PCREL})
