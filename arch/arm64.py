"""AArch64 (arm64) backend: relocation table, instruction-field encoders, TLS rewrites.

Reference: "ELF for the Arm 64-bit Architecture (AArch64)", aaelf64, section 5.7
"Relocation" (https://github.com/ARM-software/abi-aa/blob/main/aaelf64/aaelf64.rst).
Names are the psABI's, verbatim; the value each row's kind computes is checked against the
row's range and alignment by the core before the encoder runs, so encoders below only move
bits.  All of them take and return arrays (see ``xld.arch.base``):

    write(word: uint64[n], value: int64[n]) -> uint64[n]

AArch64 instructions are 32-bit little-endian words; bit 0 is the least significant.

Only relocations that can appear in relocatable input to a static link are in the table; the
dynamic ones (COPY, GLOB_DAT, RELATIVE, IRELATIVE …) are listed in ``DYNAMIC`` for the
writer of ``.rela.iplt`` and for messages.
"""
from __future__ import annotations

import numpy as np

from xld.arch.base import (
    DATA16, DATA32, DATA64, SCRIPT_SECTIONS, Arch, Field, Howto, Values, Words, any_range, srange, table,
    urange,
)
from xld.link.kinds import Kind

EM_AARCH64 = 183

NOP = 0xD503201F            # hint #0
MOVZ_X0_LSL16 = 0xD2A00000  # movz x0, #0, lsl #16
MOVK_X0 = 0xF2800000        # movk x0, #0

_U = np.uint64


def _u64(value: Values) -> Words:
    """The two's-complement bits of ``value`` as uint64 (no float detour, no copy if possible)."""
    return np.asarray(value).astype(np.int64, copy=False).view(np.uint64)


def _w64(word: Words) -> Words:
    return np.asarray(word).astype(np.uint64, copy=False)


def _put(word: Words, mask: int, bits: Words) -> Words:
    """Replace the bits of ``word`` selected by ``mask`` with ``bits`` (already in place)."""
    m = _U(mask)
    return (_w64(word) & ~m) | (bits & m)


# --- branches ---------------------------------------------------------------------------------

def write_imm26(word: Words, value: Values) -> Words:
    """B / BL: a word offset in bits [25:0].

        31  26 25                                                  0
       | op   |                  imm26 = offset >> 2                |
    """
    return _put(word, 0x03FFFFFF, _u64(value) >> _U(2))


def write_imm19(word: Words, value: Values) -> Words:
    """B.cond, CBZ/CBNZ, LDR (literal): a word offset in bits [23:5].

        31    24 23                               5 4     0
       |  op    |       imm19 = offset >> 2        |  Rt   |
    """
    return _put(word, 0x7FFFF << 5, (_u64(value) >> _U(2)) << _U(5))


def write_imm14(word: Words, value: Values) -> Words:
    """TBZ / TBNZ: a word offset in bits [18:5].

        31 30   24 23  19 18                 5 4    0
       |b5| op    | b40  |  imm14 = off >> 2  |  Rt  |
    """
    return _put(word, 0x3FFF << 5, (_u64(value) >> _U(2)) << _U(5))


# --- PC-relative addresses ----------------------------------------------------------------------

def _adr_bits(imm: Words) -> Words:
    """A 21-bit ADR/ADRP immediate split into immlo [30:29] and immhi [23:5]."""
    return ((imm & _U(3)) << _U(29)) | (((imm >> _U(2)) & _U(0x7FFFF)) << _U(5))


_ADR_MASK = (3 << 29) | (0x7FFFF << 5)


def write_adr(word: Words, value: Values) -> Words:
    """ADR: a byte offset, 21 bits, split in two.

        31 30 29 28   24 23                  5 4    0
       |op|immlo|10000 |   immhi = off[20:2]  |  Rd  |
            = off[1:0]
    """
    return _put(word, _ADR_MASK, _adr_bits(_u64(value)))


def write_adrp(word: Words, value: Values) -> Words:
    """ADRP: Page(S+A) - Page(P), stored >> 12 in the ADR layout.

        31 30 29 28   24 23                   5 4    0
       |1 |immlo|10000 |  immhi = (v>>12)[20:2] |  Rd  |
         = (v>>12)[1:0]
    """
    return _put(word, _ADR_MASK, _adr_bits(_u64(value) >> _U(12)))


# --- 12-bit immediates: ADD and scaled loads/stores ----------------------------------------------

_IMM12_MASK = 0xFFF << 10


def write_add_lo12(word: Words, value: Values) -> Words:
    """ADD (immediate): the low 12 bits of the value, unscaled, in bits [21:10].

        31 30 29 28    23 22 21              10 9    5 4    0
       |sf|op| S|100010 |sh|  imm12 = v[11:0]  |  Rn  |  Rd  |
    """
    return _put(word, _IMM12_MASK, (_u64(value) & _U(0xFFF)) << _U(10))


def write_add_hi12(word: Words, value: Values) -> Words:
    """ADD (immediate, LSL #12): bits [23:12] of the value in bits [21:10].

        31 30 29 28    23 22 21              10 9    5 4    0
       |sf|op| S|100010 | 1|  imm12 = v[23:12] |  Rn  |  Rd  |
    """
    return _put(word, _IMM12_MASK, ((_u64(value) >> _U(12)) & _U(0xFFF)) << _U(10))


def _ldst_lo12(size: int) -> Field:
    shift = size.bit_length() - 1    # log2 of the access size in bytes

    def write(word: Words, value: Values) -> Words:
        return _put(word, _IMM12_MASK, ((_u64(value) & _U(0xFFF)) >> _U(shift)) << _U(10))

    write.__name__ = f"write_ldst{8 * size}_lo12"
    write.__doc__ = f"""LDR/STR (unsigned offset), {8 * size}-bit access: v[11:{shift}] in bits [21:10].

        31 30 29   27 26 25 24 23 22 21                   10 9    5 4    0
       | size |111  |V | 0| 1| opc |  imm12 = v[11:0] >> {shift}  |  Rn  |  Rt  |
    """
    return Field(f"ldst{8 * size}_lo12", 4, write)


def write_ld64_gotpage_lo15(word: Words, value: Values) -> Words:
    """LDR Xt, [Xn, #imm] for LD64_GOTPAGE_LO15: v[14:3] in bits [21:10].

        31 30 29   27 26 25 24 23 22 21                   10 9    5 4    0
       | 11   |111  |0 | 0| 1| 01  |  imm12 = v[14:3]      |  Rn  |  Rt  |
    """
    return _put(word, _IMM12_MASK, ((_u64(value) & _U(0x7FFF)) >> _U(3)) << _U(10))


# --- MOVZ / MOVK / MOVN ----------------------------------------------------------------------

_IMM16_MASK = 0xFFFF << 5
_OPC_MOVZ = 1 << 30          # opc = 10 (MOVZ) vs 00 (MOVN); bit 29 stays 0 for both


def _movw(group: int) -> Field:
    shift = 16 * group

    def write(word: Words, value: Values) -> Words:
        return _put(word, _IMM16_MASK, ((_u64(value) >> _U(shift)) & _U(0xFFFF)) << _U(5))

    write.__name__ = f"write_movw_g{group}"
    write.__doc__ = f"""MOVZ / MOVK: v[{shift + 15}:{shift}] in bits [20:5]; the opcode is kept.

        31 30 29 28    23 22 21 20                5 4    0
       |sf| opc |100101 |  hw |  imm16 = v[{shift + 15}:{shift}] |  Rd  |
    """
    return Field(f"movw_g{group}", 4, write)


def _movw_signed(group: int) -> Field:
    shift = 16 * group

    def write(word: Words, value: Values) -> Words:
        v = _u64(value)
        neg = np.asarray(value) < 0
        imm = np.where(neg, ~v, v)
        w = _put(word, _IMM16_MASK, ((imm >> _U(shift)) & _U(0xFFFF)) << _U(5))
        return np.where(neg, w & ~_U(_OPC_MOVZ), w | _U(_OPC_MOVZ))

    write.__name__ = f"write_movw_sg{group}"
    write.__doc__ = f"""MOVZ / MOVN by the sign of v (MOVW_SABS, MOVW_PREL, TLSLE_MOVW_TPREL):

        31 30 29 28    23 22 21 20                5 4    0
       |sf| opc |100101 |  hw |      imm16         |  Rd  |

        v >= 0: opc = 10 (MOVZ), imm16 = v[{shift + 15}:{shift}]
        v <  0: opc = 00 (MOVN), imm16 = (~v)[{shift + 15}:{shift}]
    """
    return Field(f"movw_sg{group}", 4, write)


# --- readers: the value a field holds, for --verify (link/verify.py) ---------------------------

def _sext(x: Words, bits: int) -> Values:
    x = _w64(x).astype(np.int64)
    sign = np.int64(1 << (bits - 1))
    return (x ^ sign) - sign


def _field_bits(word: Words, shift: int, width: int) -> Words:
    return (_w64(word) >> _U(shift)) & _U((1 << width) - 1)


def read_imm26(word: Words) -> Values:
    return _sext(_field_bits(word, 0, 26), 26) << 2


def read_imm19(word: Words) -> Values:
    return _sext(_field_bits(word, 5, 19), 19) << 2


def read_imm14(word: Words) -> Values:
    return _sext(_field_bits(word, 5, 14), 14) << 2


def read_adr(word: Words) -> Values:
    return _sext(_field_bits(word, 29, 2) | (_field_bits(word, 5, 19) << _U(2)), 21)


def read_adrp(word: Words) -> Values:
    return read_adr(word) << 12


def read_add_lo12(word: Words) -> Values:
    return _field_bits(word, 10, 12).astype(np.int64)


def read_add_hi12(word: Words) -> Values:
    return _field_bits(word, 10, 12).astype(np.int64) << 12


def read_ld64_gotpage_lo15(word: Words) -> Values:
    return _field_bits(word, 10, 12).astype(np.int64) << 3


def _with_reader(f: Field, read, bits: tuple[int, int]) -> Field:
    return Field(f.name, f.width, f.write, read, bits)


def _ldst_reader(size: int):
    shift = size.bit_length() - 1
    return lambda word: _field_bits(word, 10, 12).astype(np.int64) << shift


def _movw_reader(group: int, signed: bool):
    shift = 16 * group

    def read(word: Words) -> Values:
        f = _field_bits(word, 5, 16).astype(np.int64)
        if signed:                           # MOVN holds the complement of the value's bits
            movn = (_w64(word) & _U(_OPC_MOVZ)) == 0
            f = np.where(movn, ~f & 0xFFFF, f)
        return f << shift
    return read


# --- the fields ------------------------------------------------------------------------------

IMM26 = Field("imm26", 4, write_imm26, read_imm26, (2, 28))
IMM19 = Field("imm19", 4, write_imm19, read_imm19, (2, 21))
IMM14 = Field("imm14", 4, write_imm14, read_imm14, (2, 16))
ADR = Field("adr", 4, write_adr, read_adr, (0, 21))
ADRP = Field("adrp", 4, write_adrp, read_adrp, (12, 33))
ADD_LO12 = Field("add_lo12", 4, write_add_lo12, read_add_lo12, (0, 12))
ADD_HI12 = Field("add_hi12", 4, write_add_hi12, read_add_hi12, (12, 24))
LDST8_LO12 = _ldst_lo12(1)
LDST16_LO12 = _ldst_lo12(2)
LDST32_LO12 = _ldst_lo12(4)
LDST64_LO12 = _ldst_lo12(8)
LDST128_LO12 = _ldst_lo12(16)
LD64_GOTPAGE_LO15 = Field("ld64_gotpage_lo15", 4, write_ld64_gotpage_lo15,
                          read_ld64_gotpage_lo15, (3, 15))
LDST8_LO12, LDST16_LO12, LDST32_LO12, LDST64_LO12, LDST128_LO12 = (
    _with_reader(f, _ldst_reader(n), (n.bit_length() - 1, 12))
    for f, n in ((LDST8_LO12, 1), (LDST16_LO12, 2), (LDST32_LO12, 4), (LDST64_LO12, 8),
                 (LDST128_LO12, 16)))
MOVW_G0, MOVW_G1, MOVW_G2, MOVW_G3 = (
    _with_reader(_movw(g), _movw_reader(g, False), (16 * g, 16 * g + 16)) for g in range(4))
MOVW_SG0, MOVW_SG1, MOVW_SG2, MOVW_SG3 = (
    _with_reader(_movw_signed(g), _movw_reader(g, True), (16 * g, 16 * g + 16)) for g in range(4))

FIELDS: tuple[Field, ...] = (
    DATA16, DATA32, DATA64, IMM26, IMM19, IMM14, ADR, ADRP, ADD_LO12, ADD_HI12,
    LDST8_LO12, LDST16_LO12, LDST32_LO12, LDST64_LO12, LDST128_LO12, LD64_GOTPAGE_LO15,
    MOVW_G0, MOVW_G1, MOVW_G2, MOVW_G3, MOVW_SG0, MOVW_SG1, MOVW_SG2, MOVW_SG3,
)

_LDST = {8: LDST8_LO12, 16: LDST16_LO12, 32: LDST32_LO12, 64: LDST64_LO12, 128: LDST128_LO12}


# --- the relocation table (aaelf64 5.7) ------------------------------------------------------

def _r(rtype: int, name: str, kind: Kind, field: Field | None,
       rng: tuple[int, int] | None = None, align: int = 1) -> Howto:
    lo, hi = rng if rng is not None else (None, None)
    return Howto(rtype, "R_AARCH64_" + name, kind, field, lo, hi, align)


K = Kind
_rows = [
    # 5.7.5 null relocations (256 is the withdrawn R_AARCH64_NONE of early drafts, still NONE)
    Howto(0, "R_AARCH64_NONE", K.NONE, None),
    Howto(256, "R_AARCH64_NONE", K.NONE, None),
    # 5.7.6 static data relocations
    _r(257, "ABS64", K.ADDR, DATA64),
    _r(258, "ABS32", K.ADDR, DATA32, any_range(32)),
    _r(259, "ABS16", K.ADDR, DATA16, any_range(16)),
    _r(260, "PREL64", K.PCREL, DATA64),
    _r(261, "PREL32", K.PCREL, DATA32, any_range(32)),
    _r(262, "PREL16", K.PCREL, DATA16, any_range(16)),
    _r(314, "PLT32", K.PCREL, DATA32, srange(32)),
    _r(315, "GOTPCREL32", K.GOT_PCREL, DATA32, srange(32)),
    # 5.7.7 group relocations for MOV[ZK] (unsigned) and MOV[NZ] (signed)
    _r(263, "MOVW_UABS_G0", K.ADDR, MOVW_G0, urange(16)),
    _r(264, "MOVW_UABS_G0_NC", K.ADDR, MOVW_G0),
    _r(265, "MOVW_UABS_G1", K.ADDR, MOVW_G1, urange(32)),
    _r(266, "MOVW_UABS_G1_NC", K.ADDR, MOVW_G1),
    _r(267, "MOVW_UABS_G2", K.ADDR, MOVW_G2, urange(48)),
    _r(268, "MOVW_UABS_G2_NC", K.ADDR, MOVW_G2),
    _r(269, "MOVW_UABS_G3", K.ADDR, MOVW_G3),
    _r(270, "MOVW_SABS_G0", K.ADDR, MOVW_SG0, srange(17)),
    _r(271, "MOVW_SABS_G1", K.ADDR, MOVW_SG1, srange(33)),
    _r(272, "MOVW_SABS_G2", K.ADDR, MOVW_SG2, srange(49)),
    _r(287, "MOVW_PREL_G0", K.PCREL, MOVW_SG0, srange(17)),
    _r(288, "MOVW_PREL_G0_NC", K.PCREL, MOVW_G0),
    _r(289, "MOVW_PREL_G1", K.PCREL, MOVW_SG1, srange(33)),
    _r(290, "MOVW_PREL_G1_NC", K.PCREL, MOVW_G1),
    _r(291, "MOVW_PREL_G2", K.PCREL, MOVW_SG2, srange(49)),
    _r(292, "MOVW_PREL_G2_NC", K.PCREL, MOVW_G2),
    _r(293, "MOVW_PREL_G3", K.PCREL, MOVW_SG3),
    # 5.7.8 PC-relative addresses and 12-bit immediates
    _r(273, "LD_PREL_LO19", K.PCREL, IMM19, srange(21), 4),
    _r(274, "ADR_PREL_LO21", K.PCREL, ADR, srange(21)),
    _r(275, "ADR_PREL_PG_HI21", K.PAGE_PCREL, ADRP, srange(33)),
    _r(276, "ADR_PREL_PG_HI21_NC", K.PAGE_PCREL, ADRP),
    _r(277, "ADD_ABS_LO12_NC", K.ADDR, ADD_LO12),
    _r(278, "LDST8_ABS_LO12_NC", K.ADDR, LDST8_LO12),
    _r(284, "LDST16_ABS_LO12_NC", K.ADDR, LDST16_LO12, None, 2),
    _r(285, "LDST32_ABS_LO12_NC", K.ADDR, LDST32_LO12, None, 4),
    _r(286, "LDST64_ABS_LO12_NC", K.ADDR, LDST64_LO12, None, 8),
    _r(299, "LDST128_ABS_LO12_NC", K.ADDR, LDST128_LO12, None, 16),
    # 5.7.9 control flow
    _r(279, "TSTBR14", K.PCREL, IMM14, srange(16), 4),
    _r(280, "CONDBR19", K.PCREL, IMM19, srange(21), 4),
    _r(282, "JUMP26", K.CALL, IMM26, srange(28), 4),
    _r(283, "CALL26", K.CALL, IMM26, srange(28), 4),
    # 5.7.11 GOT-relative (the small-model subset a static link meets)
    _r(309, "GOT_LD_PREL19", K.GOT_PCREL, IMM19, srange(21), 4),
    _r(311, "ADR_GOT_PAGE", K.GOT_PAGE_PCREL, ADRP, srange(33)),
    _r(312, "LD64_GOT_LO12_NC", K.GOT, LDST64_LO12, None, 8),
    _r(313, "LD64_GOTPAGE_LO15", K.GOT_GOTPAGE, LD64_GOTPAGE_LO15, urange(15), 8),
    # 5.7.12 TLS general-dynamic (-mtls-dialect=trad: then BL __tls_get_addr): a GOT pair
    # (module, DTP offset), DTPMOD64 and DTPREL64 in a dynamic output, (1, offset) in a static one
    _r(512, "TLSGD_ADR_PREL21", K.TLS_GD_PCREL, ADR, srange(21)),
    _r(513, "TLSGD_ADR_PAGE21", K.TLS_GD_PAGE_PCREL, ADRP, srange(33)),
    _r(514, "TLSGD_ADD_LO12_NC", K.TLS_GD, ADD_LO12),
    # 5.7.12 TLS initial-exec
    _r(541, "TLSIE_ADR_GOTTPREL_PAGE21", K.TLS_IE_PAGE_PCREL, ADRP, srange(33)),
    _r(542, "TLSIE_LD64_GOTTPREL_LO12_NC", K.TLS_IE, LDST64_LO12, None, 8),
    _r(543, "TLSIE_LD_GOTTPREL_PREL19", K.TLS_IE_PCREL, IMM19, srange(21), 4),
    # 5.7.12 TLS local-exec
    _r(544, "TLSLE_MOVW_TPREL_G2", K.TLS_LE, MOVW_SG2, srange(49)),
    _r(545, "TLSLE_MOVW_TPREL_G1", K.TLS_LE, MOVW_SG1, srange(33)),
    _r(546, "TLSLE_MOVW_TPREL_G1_NC", K.TLS_LE, MOVW_G1),
    _r(547, "TLSLE_MOVW_TPREL_G0", K.TLS_LE, MOVW_SG0, srange(17)),
    _r(548, "TLSLE_MOVW_TPREL_G0_NC", K.TLS_LE, MOVW_G0),
    _r(549, "TLSLE_ADD_TPREL_HI12", K.TLS_LE, ADD_HI12, urange(24)),
    _r(550, "TLSLE_ADD_TPREL_LO12", K.TLS_LE, ADD_LO12, urange(12)),
    _r(551, "TLSLE_ADD_TPREL_LO12_NC", K.TLS_LE, ADD_LO12),
    # 5.7.13 TLS descriptors: rewritten to local-exec by the tls_desc_to_le hook
    _r(560, "TLSDESC_LD_PREL19", K.TLS_DESC, None),
    _r(561, "TLSDESC_ADR_PREL21", K.TLS_DESC, None),
    _r(562, "TLSDESC_ADR_PAGE21", K.TLS_DESC, None),
    _r(563, "TLSDESC_LD64_LO12", K.TLS_DESC, None),
    _r(564, "TLSDESC_ADD_LO12", K.TLS_DESC, None),
    _r(569, "TLSDESC_CALL", K.TLS_DESC, None),
]
# TLSLE_LDST{8,16,32,64}_TPREL_LO12[_NC] are 552..559 in pairs; the 128-bit pair is 570/571.
for _bits, _type in ((8, 552), (16, 554), (32, 556), (64, 558), (128, 570)):
    _rows.append(_r(_type, f"TLSLE_LDST{_bits}_TPREL_LO12", K.TLS_LE, _LDST[_bits],
                    urange(12), _bits // 8))
    _rows.append(_r(_type + 1, f"TLSLE_LDST{_bits}_TPREL_LO12_NC", K.TLS_LE, _LDST[_bits],
                    None, _bits // 8))

HOWTOS: dict[int, Howto] = table(_rows)
del _rows, _bits, _type

# Dynamic relocation types (aaelf64 5.7.14): never inputs; the writer uses IRELATIVE for the
# .rela.iplt of a static executable with IFUNCs.
DYNAMIC = {
    "COPY": 1024, "GLOB_DAT": 1025, "JUMP_SLOT": 1026, "RELATIVE": 1027,
    "TLS_DTPMOD": 1028, "TLS_DTPREL": 1029, "TLS_TPREL": 1030, "TLSDESC": 1031,
    "IRELATIVE": 1032,
}

# Names of types the table does not carry, so that "unsupported relocation" errors can name
# them (GOT-base-relative, TLS GD/LD, large-model TLSDESC, dynamic).
_OTHER_NAMES = {
    300: "MOVW_GOTOFF_G0", 301: "MOVW_GOTOFF_G0_NC", 302: "MOVW_GOTOFF_G1",
    303: "MOVW_GOTOFF_G1_NC", 304: "MOVW_GOTOFF_G2", 305: "MOVW_GOTOFF_G2_NC",
    306: "MOVW_GOTOFF_G3", 307: "GOTREL64", 308: "GOTREL32", 310: "LD64_GOTOFF_LO15",
    512: "TLSGD_ADR_PREL21", 513: "TLSGD_ADR_PAGE21", 514: "TLSGD_ADD_LO12_NC",
    515: "TLSGD_MOVW_G1", 516: "TLSGD_MOVW_G0_NC", 517: "TLSLD_ADR_PREL21",
    518: "TLSLD_ADR_PAGE21", 519: "TLSLD_ADD_LO12_NC", 520: "TLSLD_MOVW_G1",
    521: "TLSLD_MOVW_G0_NC", 522: "TLSLD_LD_PREL19", 523: "TLSLD_MOVW_DTPREL_G2",
    524: "TLSLD_MOVW_DTPREL_G1", 525: "TLSLD_MOVW_DTPREL_G1_NC", 526: "TLSLD_MOVW_DTPREL_G0",
    527: "TLSLD_MOVW_DTPREL_G0_NC", 528: "TLSLD_ADD_DTPREL_HI12", 529: "TLSLD_ADD_DTPREL_LO12",
    530: "TLSLD_ADD_DTPREL_LO12_NC", 531: "TLSLD_LDST8_DTPREL_LO12",
    532: "TLSLD_LDST8_DTPREL_LO12_NC", 533: "TLSLD_LDST16_DTPREL_LO12",
    534: "TLSLD_LDST16_DTPREL_LO12_NC", 535: "TLSLD_LDST32_DTPREL_LO12",
    536: "TLSLD_LDST32_DTPREL_LO12_NC", 537: "TLSLD_LDST64_DTPREL_LO12",
    538: "TLSLD_LDST64_DTPREL_LO12_NC", 539: "TLSIE_MOVW_GOTTPREL_G1",
    540: "TLSIE_MOVW_GOTTPREL_G0_NC", 565: "TLSDESC_OFF_G1", 566: "TLSDESC_OFF_G0_NC",
    567: "TLSDESC_LDR", 568: "TLSDESC_ADD", 572: "TLSLD_LDST128_DTPREL_LO12",
    573: "TLSLD_LDST128_DTPREL_LO12_NC",
}


# --- hooks -----------------------------------------------------------------------------------

def tls_desc_to_le(word: int, howto: Howto, tpoff: int) -> int | None:
    """The instruction that replaces one site of a TLS descriptor sequence in a static link.

    The compiler's sequence asks the descriptor for x0 = TP offset of the variable; in an
    executable that offset is a link-time constant, so (as GNU ld and lld do) the four
    instructions become two moves and two nops (aaelf64 "Relocation optimization"):

        adrp x0, :tlsdesc:v            TLSDESC_ADR_PAGE21   ->  movz x0, #tpoff[31:16], lsl #16
        ldr  x1, [x0, :tlsdesc_lo12:v] TLSDESC_LD64_LO12    ->  movk x0, #tpoff[15:0]
        add  x0, x0, :tlsdesc_lo12:v   TLSDESC_ADD_LO12     ->  nop
        blr  x1                        TLSDESC_CALL         ->  nop

    The tiny-model form ``ldr x1, :tlsdesc:v`` (TLSDESC_LD_PREL19) / ``adr x0, :tlsdesc:v``
    (TLSDESC_ADR_PREL21) becomes the same movz / movk.  ``tpoff`` is S + A - TP and must fit
    in 32 unsigned bits (ValueError otherwise).  Returns None for a type it does not know.
    """
    name = howto.name
    if name in ("R_AARCH64_TLSDESC_ADD_LO12", "R_AARCH64_TLSDESC_CALL"):
        return NOP
    if not 0 <= tpoff < 1 << 32:
        raise ValueError(f"{name}: TP offset {tpoff:#x} does not fit in movz/movk (32 bits)")
    if name in ("R_AARCH64_TLSDESC_ADR_PAGE21", "R_AARCH64_TLSDESC_LD_PREL19"):
        return MOVZ_X0_LSL16 | ((tpoff >> 16) & 0xFFFF) << 5
    if name in ("R_AARCH64_TLSDESC_LD64_LO12", "R_AARCH64_TLSDESC_ADR_PREL21"):
        return MOVK_X0 | (tpoff & 0xFFFF) << 5
    return None


def tls_desc_to_ie(words: Words, howto: Howto, got_slot: Values, place: Values) -> Words | None:
    """The instructions that replace the sites of TLS descriptor sequences (one relocation
    type, many sites) whose variable lives in a shared object, in an executable: the TP
    offset is loaded from a GOT slot that ld.so fills (TLS_TPREL64), as GNU ld relaxes it
    (aaelf64 "Relocation optimization"):

        adrp x0, :tlsdesc:v            ->  adrp x0, :gottprel:v
        ldr  x1, [x0, :tlsdesc_lo12:v] ->  ldr  x0, [x0, :gottprel_lo12:v]
        add  x0, x0, :tlsdesc_lo12:v   ->  nop
        blr  x1                        ->  nop

    Tiny model: ``ldr x1, :tlsdesc:v`` -> ``ldr x0, :gottprel:v`` (literal), ``adr`` -> nop.
    None when a site cannot be rewritten (a literal out of reach, an unknown type).
    """
    name = howto.name
    n = len(words)
    if name in ("R_AARCH64_TLSDESC_ADD_LO12", "R_AARCH64_TLSDESC_CALL", "R_AARCH64_TLSDESC_ADR_PREL21"):
        return np.full(n, NOP, dtype=np.uint64)
    if name == "R_AARCH64_TLSDESC_ADR_PAGE21":
        return write_adrp(np.full(n, 0x90000000, dtype=np.uint64), (got_slot & ~0xFFF) - (place & ~0xFFF))
    if name == "R_AARCH64_TLSDESC_LD64_LO12":
        return LDST64_LO12.write(np.full(n, 0xF9400000, dtype=np.uint64), got_slot)
    if name == "R_AARCH64_TLSDESC_LD_PREL19":
        d = got_slot - place
        if ((d < -(1 << 20)) | (d >= 1 << 20)).any():
            return None
        return write_imm19(np.full(n, 0x58000000, dtype=np.uint64), d)
    return None


def tls_desc_keep(words: Words, howto: Howto, desc: Values, place: Values) -> Words | None:
    """A TLS descriptor sequence in a shared library stays as it is; each site gets the
    address of its two-slot descriptor ``desc`` (which ld.so fills, R_AARCH64_TLSDESC):

        adrp x0, :tlsdesc:v             Page(desc) - Page(P)
        ldr  x1, [x0, :tlsdesc_lo12:v]  desc[11:3]
        add  x0, x0, :tlsdesc_lo12:v    desc[11:0]
        blr  x1                         (unchanged)
    """
    name = howto.name
    if name == "R_AARCH64_TLSDESC_CALL":
        return words
    if name == "R_AARCH64_TLSDESC_ADR_PAGE21":
        return write_adrp(words, (desc & ~0xFFF) - (place & ~0xFFF))
    if name == "R_AARCH64_TLSDESC_LD64_LO12":
        return LDST64_LO12.write(words, desc)
    if name == "R_AARCH64_TLSDESC_ADD_LO12":
        return write_add_lo12(words, desc)
    d = desc - place
    if ((d < -(1 << 20)) | (d >= 1 << 20)).any():
        return None
    if name == "R_AARCH64_TLSDESC_LD_PREL19":
        return write_imm19(words, d)
    if name == "R_AARCH64_TLSDESC_ADR_PREL21":
        return write_adr(words, d)
    return None


def tls_desc_keeps_site(howto: Howto) -> bool:
    """The sites of a type that ``tls_desc_keep`` leaves as they are (the ``blr x1`` of
    TLSDESC_CALL, which only marks the sequence): relocation need not read them."""
    return howto.name == "R_AARCH64_TLSDESC_CALL"


def tls_desc_is_paired(howto: Howto) -> bool:
    """AArch64 TLSDESC relocations all name the variable itself: never paired."""
    return False


def e_flags(flags: list[int], has_code: list[bool] | None = None) -> int:
    """AArch64 defines no e_flags; the output carries 0 whatever the inputs say."""
    return 0


THUNK_SIZE = 12
BRANCH_RANGE = (-(1 << 27), (1 << 27) - 4)     # what B/BL reach; beyond it, a thunk


def thunk(at: int, target: int) -> bytes:
    """A range-extension thunk placed at ``at`` that jumps anywhere within +-4 GiB, using x16
    (IP0), which AAPCS64 reserves for exactly this (aaelf64 "Call and Jump relocations"):

        adrp x16, target
        add  x16, x16, :lo12:target
        br   x16
    """
    words = np.array([0x90000010, 0x91000210, 0xD61F0200], dtype=np.uint64)
    words[0:1] = write_adrp(words[0:1], np.array([(target & ~0xFFF) - (at & ~0xFFF)], np.int64))
    words[1:2] = write_add_lo12(words[1:2], np.array([target], np.int64))
    return words.astype("<u4").tobytes()


LONG_THUNK_SIZE = 24


def long_thunk(at: int, target: int) -> bytes:
    """A range-extension thunk placed at ``at`` for a target beyond the ADRP thunk's +-4 GiB:
    anywhere, and still PC-relative (no dynamic relocation in a PIE or a shared library), the
    literal holding the distance from the ``adr``:

        ldr  x16, 1f
        adr  x17, .
        add  x16, x16, x17
        br   x16
    1:  .xword target - (at + 4)

    (The literal may sit at 4 mod 8: a 64-bit LDR literal accepts an unaligned address on
    normal memory, as Linux maps it.)
    """
    words = np.array([0x58000090, 0x10000011, 0x8B110210, 0xD61F0200], dtype="<u4").tobytes()
    return words + ((target - at - 4) & (2**64 - 1)).to_bytes(8, "little")


def nop_fill(size: int) -> bytes:
    """``size`` bytes of padding that executes as nops (ValueError unless a multiple of 4)."""
    if size % 4:
        raise ValueError(f"cannot fill {size} bytes with AArch64 nops")
    return NOP.to_bytes(4, "little") * (size // 4)



def unsupported_why(rtype: int) -> str | None:
    """Why a relocation type the table does not carry is refused (for its error)."""
    if 515 <= rtype <= 543:         # TLSGD_MOVW_*, TLSLD_*
        return ("local-dynamic TLS and the large code model's general-dynamic TLS are not "
                "supported; compile with GCC's and clang's default TLS descriptors "
                "(-mtls-dialect=desc)")
    return None


ARCH = Arch(
    name="arm64",
    machine=EM_AARCH64,
    howtos=HOWTOS,
    image_base=0x400000,
    max_page_size=0x10000,
    common_page_size=0x1000,
    tls_tcb_size=16,
    nop=NOP.to_bytes(4, "little"),
    emulations=("aarch64linux", "aarch64elf"),     # little-endian only
    aliases=("arm64", "aarch64"),
    reloc_prefix="R_AARCH64_",
    output_format="elf64-littleaarch64",
    dynamic=DYNAMIC,
    other_names=_OTHER_NAMES,
    shared_script_names=frozenset({"_end", "end", "__end__", "_bss_end__", "__bss_end__", "_edata", "edata", "_etext",
                                   "etext", "__etext", "__bss_start", "__bss_start__", "__data_start"}),
    assigned_names=frozenset({"_end", "__end__", "_bss_end__", "__bss_end__", "_edata", "__bss_start",
                              "__bss_start__"}),
    script_sections=SCRIPT_SECTIONS | {".got.plt", ".ARM.attributes", ".note.gnu.arm.ident"},
    hooks={
        "tls_desc_to_le": tls_desc_to_le,
        "tls_desc_is_paired": tls_desc_is_paired,
        "tls_desc_to_ie": tls_desc_to_ie,
        "tls_desc_keep": tls_desc_keep,
        "tls_desc_keeps_site": tls_desc_keeps_site,
        "e_flags": e_flags,
        "nop_fill": nop_fill,
        "thunk": thunk,
        "thunk_size": THUNK_SIZE,
        # why a type the table does not carry is refused, for its error
        "unsupported_why": unsupported_why,
    },
)


# --- IFUNC stubs (static executables) ----------------------------------------------------------

IPLT_STUB_SIZE = 16


def iplt_stub(stub: int, slot: int) -> bytes:
    """The code every call to an IFUNC goes through: jump to the address glibc's start-up code
    stored in ``slot`` (the IRELATIVE target), using x16/x17 as the AAPCS64 allows veneers to:

        adrp x16, slot
        ldr  x17, [x16, :lo12:slot]
        add  x16, x16, :lo12:slot
        br   x17
    """
    words = np.array([0x90000010, 0xF9400211, 0x91000210, 0xD61F0220], dtype=np.uint64)
    v = np.array([(slot & ~0xFFF) - (stub & ~0xFFF), slot, slot, 0], dtype=np.int64)
    words[0:1] = write_adrp(words[0:1], v[0:1])
    words[1:2] = LDST64_LO12.write(words[1:2], v[1:2])
    words[2:3] = write_add_lo12(words[2:3], v[2:3])
    return words.astype("<u4").tobytes()


# a branch to an undefined weak name (0) beyond its reach: to the next instruction instead
# (lld's choice; GNU ld writes a NOP, which does the same) -- link/relocate.py
ARCH.hooks["undef_weak_call"] = 4
ARCH.hooks["iplt_stub"] = iplt_stub
ARCH.hooks["iplt_stub_size"] = IPLT_STUB_SIZE


# --- dynamic linking (link/dynamic.py) ---------------------------------------------------------

def plt_header(plt: int, gotplt: int) -> bytes:
    """PLT0 (aaelf64 "Procedure Linkage Table"): save x16/x30, load the resolver from
    .got.plt[2] (ld.so put _dl_runtime_resolve there) with x16 = &.got.plt[2], jump to it:

        stp  x16, x30, [sp, #-16]!
        adrp x16, Page(.got.plt + 16)
        ldr  x17, [x16, Off(.got.plt + 16)]
        add  x16, x16, Off(.got.plt + 16)
        br   x17
        nop; nop; nop
    """
    words = np.array([0xA9BF7BF0, 0x90000010, 0xF9400211, 0x91000210, 0xD61F0220, NOP, NOP, NOP],
                     dtype=np.uint64)
    target = gotplt + 16
    words[1:2] = write_adrp(words[1:2], np.array([(target & ~0xFFF) - ((plt + 4) & ~0xFFF)], dtype=np.int64))
    words[2:3] = LDST64_LO12.write(words[2:3], np.array([target], dtype=np.int64))
    words[3:4] = write_add_lo12(words[3:4], np.array([target], dtype=np.int64))
    return words.astype("<u4").tobytes()


def plt_entries(entries: Values, slots: Values) -> bytes:
    """PLTn for many entries at once: the IFUNC stub's jump through each .got.plt slot
    (x16 = &slot, as PLT0 and the lazy resolver expect)."""
    n = len(entries)
    w = np.empty((n, 4), dtype=np.uint64)
    w[:, 0] = write_adrp(np.full(n, 0x90000010, dtype=np.uint64), (slots & ~0xFFF) - (entries & ~0xFFF))
    w[:, 1] = LDST64_LO12.write(np.full(n, 0xF9400211, dtype=np.uint64), slots)
    w[:, 2] = write_add_lo12(np.full(n, 0x91000210, dtype=np.uint64), slots)
    w[:, 3] = 0xD61F0220
    return w.astype("<u4").tobytes()


ARCH.hooks["plt"] = {
    "reach": (1 << 32) - 4096,          # from the PLT's code to its .got.plt slots (adrp: +-4 GiB, less a page for its rounding)
    "header_size": 32, "entry_size": IPLT_STUB_SIZE, "gotplt_reserved": 3,
    "header": plt_header,
    "entries": plt_entries,     # PLTn is the same jump through its .got.plt slot (x16 = &slot)
    "stub": iplt_stub, "stub_size": IPLT_STUB_SIZE,     # IFUNC stubs (.iplt, or .plt's tail)
    "dyn_tags": (),
}


# --- BTI and PAC: .note.gnu.property and the PLT forms (link/properties.py) -------------------

# GNU_PROPERTY_AARCH64_FEATURE_1_AND (aaelf64 "Program Property"): a word of feature bits an
# output has only when every input has them
GNU_PROPERTY_AARCH64_FEATURE_1_AND = 0xC0000000
FEATURE_1_BTI, FEATURE_1_PAC = 1, 2
DT_AARCH64_BTI_PLT, DT_AARCH64_PAC_PLT = 0x70000001, 0x70000003
BTI_C = 0xD503245F           # bti c: the landing pad of BR x16/x17 and BLR
AUTIA1716 = 0xD503219F       # autia1716: authenticate x17 with the modifier x16
PACIASP, PACIBSP = 0xD503233F, 0xD503237F    # also landing pads for BR x16/x17 (implicit bti c)
BTI_J, BTI_JC = 0xD503249F, 0xD50324DF

ARCH.hooks["gnu_property"] = {
    "type": GNU_PROPERTY_AARCH64_FEATURE_1_AND,
    "names": {FEATURE_1_BTI: "GNU_PROPERTY_AARCH64_FEATURE_1_BTI", FEATURE_1_PAC: "GNU_PROPERTY_AARCH64_FEATURE_1_PAC"},
    # -z KEYWORD: the bit it sets whatever the inputs say, and GNU ld 2.40's warning for each
    # input that lacks it (-z bti-report=none|warning|error chooses what that report is)
    "force": {"force-bti": (FEATURE_1_BTI, "BTI turned on by -z force-bti when all inputs do not "
                                           "have BTI in NOTE section.")},
    "report": {"bti-report": FEATURE_1_BTI},
    "keywords": frozenset({"force-bti", "pac-plt", "bti-report"}),   # the -z words read here
}


def _jump_words(n: int, bti: bool, pac: bool) -> tuple[np.ndarray, int]:
    """The jump through a .got.plt slot, as rows of 4 or 6 words: [bti c] adrp x16; ldr x17;
    add x16; [autia1716] br x17 [nop], and the column of the adrp."""
    row = ([BTI_C] if bti else []) + [0x90000010, 0xF9400211, 0x91000210] + \
        ([AUTIA1716] if pac else []) + [0xD61F0220]
    if len(row) > 4:
        row += [NOP] * (6 - len(row))
    return np.tile(np.array(row, dtype=np.uint64), (n, 1)), (1 if bti else 0)


def _jumps(entries: Values, slots: Values, bti: bool, pac: bool) -> bytes:
    entries = np.asarray(entries, dtype=np.int64)
    slots = np.asarray(slots, dtype=np.int64)
    w, a = _jump_words(len(entries), bti, pac)
    w[:, a] = write_adrp(w[:, a], (slots & ~0xFFF) - ((entries + 4 * a) & ~0xFFF))
    w[:, a + 1] = LDST64_LO12.write(w[:, a + 1], slots)
    w[:, a + 2] = write_add_lo12(w[:, a + 2], slots)
    return w.astype("<u4").tobytes()


def plt_forms(features: int, z: set, position_dependent: bool) -> dict:
    """The PLT for an output with these GNU property ``features`` and -z keywords, as GNU ld
    2.40 writes it (elfNN-aarch64.c, and the aaelf64 "PLT sequences" with BTI and PAC):

    - BTI: PLT0 starts with ``bti c`` (ld.so's lazy binding reaches it with BR x16/x17) and
      drops a nop; PLTn and IFUNC stubs start with ``bti c`` only in a position-dependent
      executable, where an entry can be a function's address (a canonical PLT entry, called
      with BLR).  In a PIE or library only direct BLs reach them.  xld's IFUNC stubs always
      start with it: a PIE's function pointer to its own IFUNC is the stub (GNU ld's is
      the resolved function, through an IRELATIVE GOT slot).
    - ``-z pac-plt``: PLTn authenticates the address it loaded, ``autia1716`` before ``br x17``.
    - Entries of more than 4 words are 6 (24 bytes), padded with nops; the output's
      ``.dynamic`` says which form it has (DT_AARCH64_BTI_PLT, DT_AARCH64_PAC_PLT).
    """
    bti = bool(features & FEATURE_1_BTI)
    pac = "pac-plt" in z
    if not bti and not pac:
        return ARCH.hooks["plt"]
    entry_bti = bti and position_dependent
    size = 24 if entry_bti or pac else 16

    def header(plt: int, gotplt: int) -> bytes:
        if not bti:
            return plt_header(plt, gotplt)
        body = plt_header(plt + 4, gotplt)          # (its adrp, one word later)
        return BTI_C.to_bytes(4, "little") + body[:-4]

    def entries(at: Values, slots: Values) -> bytes:
        return _jumps(at, slots, entry_bti, pac)

    def stub(at: int, slot: int) -> bytes:
        return _jumps(np.array([at]), np.array([slot]), bti, pac)

    tags = ((DT_AARCH64_BTI_PLT, 0),) if bti else ()
    tags += ((DT_AARCH64_PAC_PLT, 0),) if pac else ()
    return {**ARCH.hooks["plt"], "entry_size": size, "header": header, "entries": entries,
            "stub": stub, "stub_size": 24 if bti or pac else 16, "dyn_tags": tags}


def is_landing_pad(word: int) -> bool:
    """Whether an instruction accepts BR x16/x17 from a thunk when BTI guards the page
    (BTYPE 01: bti c, bti j, bti jc, paciasp, pacibsp)."""
    return word in (BTI_C, BTI_J, BTI_JC, PACIASP, PACIBSP)


ARCH.hooks["plt_forms"] = plt_forms
ARCH.hooks["thunk_landing_pad"] = {"feature": FEATURE_1_BTI, "is_pad": is_landing_pad}
# dynamic relocation types by the role the linker gives them
ARCH.hooks["dynrel"] = {
    "relative": DYNAMIC["RELATIVE"], "glob_dat": DYNAMIC["GLOB_DAT"], "jump_slot": DYNAMIC["JUMP_SLOT"],
    "abs64": 257, "copy": DYNAMIC["COPY"], "irelative": DYNAMIC["IRELATIVE"],
    "tpoff": DYNAMIC["TLS_TPREL"], "dtpmod": DYNAMIC["TLS_DTPMOD"], "dtpoff": DYNAMIC["TLS_DTPREL"],
    "tlsdesc": DYNAMIC["TLSDESC"],
}
# where GNU ld (Debian's cross binutils) looks for the libraries shared objects need, after
# -rpath-link, -rpath and -L ("=": under --sysroot; link/needed.py)
ARCH.hooks["search_dirs"] = ("=/usr/local/lib/aarch64-linux-gnu", "=/lib/aarch64-linux-gnu", "=/usr/lib/aarch64-linux-gnu",
                             "=/usr/local/lib", "=/lib", "=/usr/lib", "=/usr/aarch64-linux-gnu/lib")
ARCH.hooks["default_interp"] = "/lib/ld-linux-aarch64.so.1"
ARCH.hooks["no_apply_dynamic_relocs"] = True      # the option is GNU ld's for AArch64 only
# --execute-only (lld): code segments mapped executable and not readable (PF_X alone); the
# architecture can run code from pages it cannot read
ARCH.hooks["execute_only"] = True
# absolute relocations that only take the offset within a 4 KiB page (the ADRP pair's low
# half): position-independent, since load bases are page aligned
# GNU ld's default script fills .text, .init and .fini with =0x1f2003d5, a pattern written
# from each gap's start (riscv64's has no fill: zeros); link/write.py
ARCH.hooks["code_fill_from_gap"] = True
ARCH.hooks["low_page_bits"] = frozenset({277, 278, 284, 285, 286, 299})


# --- range-extension thunks as sections (link/thunks.py) -----------------------------------

# link/thunks.py adds thunks as input sections before layout, so their two address fields are
# ordinary relocations against the target (resolved with everything else): ``thunk`` above
# with zero fields is the code, and these rows patch it.
ARCH.hooks["thunk_relocs"] = {
    "size": THUNK_SIZE,
    "align": 4,
    "code": thunk(0, 0),
    "relocs": ((0, 275), (4, 277)),         # R_AARCH64_ADR_PREL_PG_HI21, R_AARCH64_ADD_ABS_LO12_NC
    "prefix": "__AArch64ADRPThunk_",
    "reach": 1 << 32,                       # ADRP's +-4 GiB; farther targets take the long form
    "long": {
        "size": LONG_THUNK_SIZE,
        "code": long_thunk(0, 4),
        "relocs": ((16, 260, 12),),         # R_AARCH64_PREL64 at the literal: S + A - (adr's P)
        "prefix": "__AArch64LongThunk_",
    },
}


# --- Cortex-A53 erratum 843419 (link/thunks.py, --fix-cortex-a53-843419) ----------------------

B = 0x14000000              # b 0


def _is_ldst(w: int) -> bool:
    """Any instruction of the "Loads and Stores" group (op0 = x1x0)."""
    return w & 0x0A000000 == 0x08000000


def _is_ldst_uimm(w: int) -> bool:
    """Load/store register (unsigned immediate): LDR/STR Rt, [Rn, #imm]."""
    return w & 0x3B000000 == 0x39000000


def _writes_x(w: int, reg: int) -> bool:
    """True when ``w`` certainly writes general register ``reg`` (when in doubt: False, so
    that a doubtful sequence is patched rather than missed)."""
    if _is_ldst(w):
        vector = w >> 26 & 1
        load = w >> 22 & 1 or (w >> 23 & 1 and w & 0x3A000000 != 0x28000000)
        pair = w & 0x3A000000 == 0x28000000
        return bool(load and not vector and (w & 0x1F == reg or (pair and w >> 10 & 0x1F == reg)))
    if w & 0x0E000000 == 0x0E000000:        # SIMD and FP data processing
        return False
    if w & 0x1C000000 == 0x14000000:        # branches, exceptions, system
        return False
    return w & 0x1F == reg                  # integer data processing: Rd in bits [4:0]


def _is_branch(w: int) -> bool:
    """B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ, BR/BLR/RET and friends."""
    return (w & 0x7C000000 == 0x14000000 or w & 0x7E000000 in (0x34000000, 0x36000000)
            or w & 0xFE000000 in (0x54000000, 0xD6000000))


def erratum_843419(words: list[int]) -> int | None:
    """For code that starts with an ADRP at a page offset of 0xff8 or 0xffc: the index (2 or
    3) of the load/store that completes an erratum 843419 sequence, else None.

        1. ADRP Xn
        2. a load or store that does not write Xn
        3. (optional) anything but a branch that does not write Xn
        4. a load/store (unsigned immediate) with base register Xn

    (ARM-EPM-048406.)  Class tests are generous where the erratum notice is narrow, so a
    doubtful sequence is patched rather than left alone."""
    if len(words) < 3 or words[0] & 0x9F000000 != 0x90000000:
        return None
    rn = words[0] & 0x1F
    if not _is_ldst(words[1]) or _writes_x(words[1], rn):
        return None
    if _is_ldst_uimm(words[2]) and words[2] >> 5 & 0x1F == rn:
        return 2
    if len(words) < 4 or _is_branch(words[2]) or _writes_x(words[2], rn):
        return None
    if _is_ldst_uimm(words[3]) and words[3] >> 5 & 0x1F == rn:
        return 3
    return None


# The patch: the load/store moved out of the sequence, then a branch back.  The site becomes
# ``b patch``; relocations: JUMP26 at the site and at patch+4, the moved instruction's own.
ARCH.hooks["erratum_843419"] = {"find": erratum_843419, "branch": B.to_bytes(4, "little"),
                                "branch_type": 282, "patch_size": 8, "prefix": "__CortexA53843419_",
                                "section": ".text.xld_843419"}


# --- Cortex-A53 erratum 835769 (link/thunks.py, --fix-cortex-a53-835769) ----------------------
#
# A 64-bit multiply-accumulate right after a load or store can compute a wrong result on a
# Cortex-A53 (ARM-EPM-048406).  The fix moves the multiply-accumulate into a patch,
# ``mac; b back``, as for erratum 843419.  Which pairs are affected is decided as GNU ld
# decides it, so both linkers patch the same sites: checked against GNU ld on 18,000 random
# (load/store, multiply-accumulate) pairs, tests/test_thunks.py.

def _is_mac64(m: np.ndarray) -> np.ndarray:
    """MADD, MSUB, SMADDL, SMSUBL, UMADDL, UMSUBL on X registers, not their MUL aliases
    (Ra = XZR)."""
    op31 = m >> 21 & 7
    return (m & 0xFF000000 == 0x9B000000) & ((op31 == 0) | (op31 == 1) | (op31 == 5)) & (m >> 10 & 31 != 31)


def _memory_access(w: int) -> tuple[bool, int, int | None] | None:
    """(loads, Rt, Rt2 or None) of an ARMv8.0 load or store, else None.  The later
    extensions' memory instructions (atomics, RCpc, tags, pointer authentication, memory
    copy) are not counted: the Cortex-A53 has none of them, and GNU ld does not count them."""
    rt = w & 31
    if w & 0x3F000000 == 0x08000000:                 # exclusive, acquire/release
        return bool(w >> 22 & 1), rt, (w >> 10 & 31) if w >> 21 & 1 else None
    if w & 0x3A000000 == 0x28000000:                 # pairs
        return bool(w >> 22 & 1), rt, w >> 10 & 31
    if w & 0x3B000000 == 0x18000000:                 # literal; GNU ld takes bits 23:22 (part
        return bool(w >> 22 & 3), rt, None           # of the offset) for opc here: kept
    if w & 0x3B000000 == 0x39000000 or (w & 0x3B000000 == 0x38000000
                                       and (w >> 21 & 1 == 0 or w >> 10 & 3 == 2)):
        return bool(w >> 22 & 3), rt, None           # register: immediate, unscaled, indexed, offset
    if w & 0xBE000000 == 0x0C000000:                 # SIMD structures
        return True, rt, None
    return None


def erratum_835769(words: np.ndarray) -> list[int]:
    """Indexes into ``words`` (a code span's instructions) of the multiply-accumulates that
    follow a load or store on which they do not depend: a load whose destination the
    multiply-accumulate reads makes the pair safe; SIMD and FP accesses never do."""
    if len(words) < 2:
        return []
    found = []
    for i in (np.flatnonzero(_is_mac64(words[1:])) + 1).tolist():
        w = int(words[i - 1])
        access = _memory_access(w)
        if access is None:
            continue
        loads, rt, rt2 = access
        if not w >> 26 & 1 and loads:
            m = int(words[i])
            read = (m >> 5 & 31, m >> 16 & 31, m >> 10 & 31)
            if rt in read or (rt2 is not None and rt2 in read):
                continue
        found.append(i)
    return found


ARCH.hooks["erratum_835769"] = {"find": erratum_835769, "branch": B.to_bytes(4, "little"),
                                "branch_type": 282, "patch_size": 8,
                                "prefix": "__erratum_835769_veneer_", "section": ".text.xld_835769"}
