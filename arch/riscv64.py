"""RISC-V 64 (rv64gc, LP64D) backend: relocation table, instruction-field encoders, hooks.

Reference: "RISC-V ELF Specification", riscv-elf.adoc, section "Relocations"
(https://github.com/riscv-non-isa/riscv-elf-psabi-doc).  Names are the psABI's, verbatim.
The core computes each row's value and checks its range and alignment; the encoders below
only move bits, on arrays (see ``xld.arch.base``):

    write(word: uint64[n], value: int64[n]) -> uint64[n]

Standard instructions are 32-bit little-endian words, compressed ones 16-bit.  The
AUIPC+JALR pair of R_RISCV_CALL[_PLT] is one 8-byte "word": AUIPC in bits [31:0], JALR in
bits [63:32].

The %hi/%lo split: hi20 = (v + 0x800) >> 12 and lo12 = v - (hi20 << 12), a signed 12-bit
number; since an I/S immediate is sign-extended, writing v[11:0] into it is the same thing.
"""
from __future__ import annotations

import numpy as np

from xld.arch.base import (
    DATA8, DATA16, DATA32, DATA64, SCRIPT_SECTIONS, ULEB128, Arch, Field, Howto, Values, Words,
    any_range,
    srange, table,
)
from xld.link.kinds import Kind

EM_RISCV = 243

NOP = 0x00000013        # addi x0, x0, 0
C_NOP = 0x0001          # c.addi x0, 0
LUI_A0 = 0x00000537     # lui a0, 0
ADDI_A0_A0 = 0x00050513  # addi a0, a0, 0

EF_RISCV_RVC = 0x0001
EF_RISCV_FLOAT_ABI = 0x0006
EF_RISCV_RVE = 0x0008
EF_RISCV_TSO = 0x0010
_FLOAT_ABI_NAMES = {0: "soft-float", 2: "single-float", 4: "double-float", 6: "quad-float"}

_U = np.uint64


def _u64(value: Values) -> Words:
    """The two's-complement bits of ``value`` as uint64 (no float detour)."""
    return np.asarray(value).astype(np.int64, copy=False).view(np.uint64)


def _w64(word: Words) -> Words:
    return np.asarray(word).astype(np.uint64, copy=False)


def _bit(v: Words, hi: int, lo: int, to: int) -> Words:
    """v[hi:lo] moved so that bit ``lo`` lands at bit ``to``."""
    return ((v >> _U(lo)) & _U((1 << (hi - lo + 1)) - 1)) << _U(to)


def _put(word: Words, mask: int, bits: Words) -> Words:
    m = _U(mask)
    return (_w64(word) & ~m) | (bits & m)


# --- 32-bit instruction immediates -----------------------------------------------------------

def _hi20(v: Words) -> Words:
    return ((v + _U(0x800)) >> _U(12)) & _U(0xFFFFF)


def write_u_hi20(word: Words, value: Values) -> Words:
    """U-type (LUI, AUIPC): the rounded high part, (v + 0x800) >> 12, in bits [31:12].

        31                              12 11    7 6      0
       |   imm[31:12] = (v + 0x800) >> 12 |   rd   | opcode |
    """
    return _put(word, 0xFFFFF000, _hi20(_u64(value)) << _U(12))


def write_i_lo12(word: Words, value: Values) -> Words:
    """I-type (ADDI, loads, JALR): v[11:0] in bits [31:20].

        31          20 19   15 14  12 11    7 6      0
       |  imm[11:0]   |  rs1  |funct3|   rd   | opcode |
    """
    return _put(word, 0xFFF00000, _bit(_u64(value), 11, 0, 20))


def write_s_lo12(word: Words, value: Values) -> Words:
    """S-type (stores): v[11:5] in bits [31:25], v[4:0] in bits [11:7].

        31      25 24   20 19   15 14  12 11       7 6      0
       | imm[11:5] |  rs2  |  rs1  |funct3| imm[4:0] | opcode |
    """
    v = _u64(value)
    return _put(word, 0xFE000F80, _bit(v, 11, 5, 25) | _bit(v, 4, 0, 7))


def write_b_imm13(word: Words, value: Values) -> Words:
    """B-type (BEQ … BGEU): a 13-bit even offset, scattered.

        31     30      25 24  20 19  15 14  12 11     8     7     6      0
       |v[12]| v[10:5]   |  rs2 |  rs1 |funct3| v[4:1] |v[11] | opcode |
    """
    v = _u64(value)
    bits = _bit(v, 12, 12, 31) | _bit(v, 10, 5, 25) | _bit(v, 4, 1, 8) | _bit(v, 11, 11, 7)
    return _put(word, 0xFE000F80, bits)


def write_j_imm21(word: Words, value: Values) -> Words:
    """J-type (JAL): a 21-bit even offset, scattered.

        31     30        21    20    19       12 11    7 6      0
       |v[20]|  v[10:1]    |v[11] |  v[19:12]  |   rd   | opcode |
    """
    v = _u64(value)
    bits = _bit(v, 20, 20, 31) | _bit(v, 10, 1, 21) | _bit(v, 11, 11, 20) | _bit(v, 19, 12, 12)
    return _put(word, 0xFFFFF000, bits)


def write_call(word: Words, value: Values) -> Words:
    """AUIPC + JALR as one 8-byte little-endian word (R_RISCV_CALL, R_RISCV_CALL_PLT).

        63          52 51                32 31                  12 11              0
       | JALR imm12   | JALR rs1,rd,…      | AUIPC imm20          | AUIPC rd, opcode |
         = v[11:0]                           = (v + 0x800) >> 12
    """
    v = _u64(value)
    bits = (_hi20(v) << _U(12)) | _bit(v, 11, 0, 52)
    return _put(word, 0xFFF00000_FFFFF000, bits)


# --- compressed instruction immediates ---------------------------------------------------------

def write_cb_imm9(word: Words, value: Values) -> Words:
    """CB-type (C.BEQZ, C.BNEZ): a 9-bit even offset, scattered.

        15  13 12    11   10 9   7 6     5 4     3   2    1  0
       |funct3| v[8] | v[4:3] | rs1'| v[7:6] | v[2:1] |v[5] | op |
    """
    v = _u64(value)
    bits = (_bit(v, 8, 8, 12) | _bit(v, 4, 3, 10) | _bit(v, 7, 6, 5) | _bit(v, 2, 1, 3)
            | _bit(v, 5, 5, 2))
    return _put(word, 0x1C7C, bits)


def write_cj_imm12(word: Words, value: Values) -> Words:
    """CJ-type (C.J, C.JAL): a 12-bit even offset, scattered.

        15  13  12   11   10  9   8    7    6    5    3   2    1  0
       |funct3|v[11]|v[4]|v[9:8]|v[10]|v[6]|v[7]| v[3:1] |v[5]| op |
    """
    v = _u64(value)
    bits = (_bit(v, 11, 11, 12) | _bit(v, 4, 4, 11) | _bit(v, 9, 8, 9) | _bit(v, 10, 10, 8)
            | _bit(v, 6, 6, 7) | _bit(v, 7, 7, 6) | _bit(v, 3, 1, 3) | _bit(v, 5, 5, 2))
    return _put(word, 0x1FFC, bits)


# --- 6-bit data (R_RISCV_SET6, R_RISCV_SUB6) ----------------------------------------------------

def write_word6(word: Words, value: Values) -> Words:
    """The low 6 bits of a byte; the top two bits are kept (DWARF CFA opcodes live there).

         7  6 5              0
       | keep |   v[5:0]      |
    """
    return _put(word, 0x3F, _u64(value))


def read_word6(word: Words) -> Values:
    """The 6-bit value held in the low bits of the byte, zero-extended."""
    return (_w64(word) & _U(0x3F)).astype(np.int64)


# --- readers: the value a field holds, for --verify (link/verify.py) ---------------------------

def _sext(x: Words, bits: int) -> Values:
    x = _w64(x).astype(np.int64)
    sign = np.int64(1 << (bits - 1))
    return (x ^ sign) - sign


def _get(w: Words, hi: int, lo: int, to: int) -> Words:
    """Bits [hi:lo] of the word, moved to bit ``to`` (the inverse of ``_bit``)."""
    return ((_w64(w) >> _U(lo)) & _U((1 << (hi - lo + 1)) - 1)) << _U(to)


def read_u_hi20(word: Words) -> Values:
    """The value minus its rounding: v - read(word) is in [0, 0xfff] for the v written."""
    return _sext(_w64(word) & _U(0xFFFFF000), 32) - 0x800


def read_i_lo12(word: Words) -> Values:
    return _sext(_get(word, 31, 20, 0), 12)


def read_s_lo12(word: Words) -> Values:
    return _sext(_get(word, 31, 25, 5) | _get(word, 11, 7, 0), 12)


def read_b_imm13(word: Words) -> Values:
    return _sext(_get(word, 31, 31, 12) | _get(word, 30, 25, 5) | _get(word, 11, 8, 1)
                 | _get(word, 7, 7, 11), 13)


def read_j_imm21(word: Words) -> Values:
    return _sext(_get(word, 31, 31, 20) | _get(word, 30, 21, 1) | _get(word, 20, 20, 11)
                 | _get(word, 19, 12, 12), 21)


def read_cb_imm9(word: Words) -> Values:
    return _sext(_get(word, 12, 12, 8) | _get(word, 11, 10, 3) | _get(word, 6, 5, 6)
                 | _get(word, 4, 3, 1) | _get(word, 2, 2, 5), 9)


def read_cj_imm12(word: Words) -> Values:
    return _sext(_get(word, 12, 12, 11) | _get(word, 11, 11, 4) | _get(word, 10, 9, 8)
                 | _get(word, 8, 8, 10) | _get(word, 7, 7, 6) | _get(word, 6, 6, 7)
                 | _get(word, 5, 3, 1) | _get(word, 2, 2, 5), 12)


def read_call(word: Words) -> Values:
    return _sext(_w64(word) & _U(0xFFFFF000), 32) + _sext(_get(word, 63, 52, 0), 12)


# --- the fields ------------------------------------------------------------------------------

U_HI20 = Field("u_hi20", 4, write_u_hi20, read_u_hi20, (12, 32))
I_LO12 = Field("i_lo12", 4, write_i_lo12, read_i_lo12, (0, 12))
S_LO12 = Field("s_lo12", 4, write_s_lo12, read_s_lo12, (0, 12))
B_IMM13 = Field("b_imm13", 4, write_b_imm13, read_b_imm13, (1, 13))
J_IMM21 = Field("j_imm21", 4, write_j_imm21, read_j_imm21, (1, 21))
CALL = Field("call", 8, write_call, read_call, (0, 32))
CB_IMM9 = Field("cb_imm9", 2, write_cb_imm9, read_cb_imm9, (1, 9))
CJ_IMM12 = Field("cj_imm12", 2, write_cj_imm12, read_cj_imm12, (1, 12))
WORD6 = Field("word6", 1, write_word6, read_word6, (0, 6))

FIELDS: tuple[Field, ...] = (
    DATA8, DATA16, DATA32, DATA64, ULEB128, U_HI20, I_LO12, S_LO12, B_IMM13, J_IMM21, CALL,
    CB_IMM9, CJ_IMM12, WORD6,
)

# The value range a %hi/%lo pair reaches: hi20 is a signed 20-bit number after rounding.
HI20_RANGE = (-(1 << 31) - 0x800, (1 << 31) - 0x800 - 1)


# --- the relocation table (riscv-elf.adoc, "Relocations") ---------------------------------------

def _r(rtype: int, name: str, kind: Kind, field: Field | None,
       rng: tuple[int, int] | None = None, align: int = 1) -> Howto:
    lo, hi = rng if rng is not None else (None, None)
    return Howto(rtype, "R_RISCV_" + name, kind, field, lo, hi, align)


K = Kind
HOWTOS: dict[int, Howto] = table([
    _r(0, "NONE", K.NONE, None),
    _r(1, "32", K.ADDR, DATA32, any_range(32)),
    _r(2, "64", K.ADDR, DATA64),
    # control flow
    _r(16, "BRANCH", K.PCREL, B_IMM13, srange(13), 2),
    _r(17, "JAL", K.CALL, J_IMM21, srange(21), 2),
    _r(18, "CALL", K.CALL, CALL, HI20_RANGE),
    _r(19, "CALL_PLT", K.CALL, CALL, HI20_RANGE),
    _r(44, "RVC_BRANCH", K.PCREL, CB_IMM9, srange(9), 2),
    _r(45, "RVC_JUMP", K.CALL, CJ_IMM12, srange(12), 2),
    # GOT and TLS through the GOT
    _r(20, "GOT_HI20", K.GOT_PCREL, U_HI20, HI20_RANGE),
    _r(21, "TLS_GOT_HI20", K.TLS_IE_PCREL, U_HI20, HI20_RANGE),
    _r(22, "TLS_GD_HI20", K.TLS_GD_PCREL, U_HI20, HI20_RANGE),   # static: GOT pair (1, DTP offset)
    _r(41, "GOT32_PCREL", K.GOT_PCREL, DATA32, srange(32)),
    # PC-relative and absolute %hi / %lo
    _r(23, "PCREL_HI20", K.PCREL, U_HI20, HI20_RANGE),
    _r(24, "PCREL_LO12_I", K.PAIRED_LO, I_LO12),
    _r(25, "PCREL_LO12_S", K.PAIRED_LO, S_LO12),
    _r(26, "HI20", K.ADDR, U_HI20, HI20_RANGE),
    _r(27, "LO12_I", K.ADDR, I_LO12),
    _r(28, "LO12_S", K.ADDR, S_LO12),
    # TLS local-exec
    _r(29, "TPREL_HI20", K.TLS_LE, U_HI20, HI20_RANGE),
    _r(30, "TPREL_LO12_I", K.TLS_LE, I_LO12),
    _r(31, "TPREL_LO12_S", K.TLS_LE, S_LO12),
    _r(32, "TPREL_ADD", K.HINT, None),
    # label arithmetic (read-modify-write: V + S + A, V - S - A) and assignment
    _r(33, "ADD8", K.ADD, DATA8),
    _r(34, "ADD16", K.ADD, DATA16),
    _r(35, "ADD32", K.ADD, DATA32),
    _r(36, "ADD64", K.ADD, DATA64),
    _r(37, "SUB8", K.SUB, DATA8),
    _r(38, "SUB16", K.SUB, DATA16),
    _r(39, "SUB32", K.SUB, DATA32),
    _r(40, "SUB64", K.SUB, DATA64),
    _r(52, "SUB6", K.SUB, WORD6),
    _r(53, "SET6", K.SET, WORD6),
    _r(54, "SET8", K.SET, DATA8),
    _r(55, "SET16", K.SET, DATA16),
    _r(56, "SET32", K.SET, DATA32),
    _r(60, "SET_ULEB128", K.SET, ULEB128),
    _r(61, "SUB_ULEB128", K.SUB, ULEB128),
    # PC-relative data
    _r(57, "32_PCREL", K.PCREL, DATA32, srange(32)),
    _r(59, "PLT32", K.PCREL, DATA32, srange(32)),
    # linker directives
    _r(43, "ALIGN", K.ALIGN, None),
    _r(51, "RELAX", K.RELAXABLE, None),
    # TLS descriptors: rewritten to local-exec by the tls_desc_to_le hook
    _r(62, "TLSDESC_HI20", K.TLS_DESC, None),
    _r(63, "TLSDESC_LOAD_LO12", K.TLS_DESC, None),
    _r(64, "TLSDESC_ADD_LO12", K.TLS_DESC, None),
    _r(65, "TLSDESC_CALL", K.TLS_DESC, None),
])

# Dynamic relocation types: never inputs; the writer uses IRELATIVE for .rela.iplt.
DYNAMIC = {
    "RELATIVE": 3, "COPY": 4, "JUMP_SLOT": 5, "TLS_DTPMOD32": 6, "TLS_DTPMOD64": 7,
    "TLS_DTPREL32": 8, "TLS_DTPREL64": 9, "TLS_TPREL32": 10, "TLS_TPREL64": 11,
    "TLSDESC": 12, "IRELATIVE": 58,
}

# Static types the table does not carry (GP-relative ones have no generic kind).
_OTHER_NAMES = {46: "RVC_LUI", 47: "GPREL_LO12_I", 48: "GPREL_LO12_S", 49: "GPREL_HI20",
                191: "VENDOR"}


# --- hooks -----------------------------------------------------------------------------------

def tls_desc_to_le(word: int, howto: Howto, tpoff: int) -> int | None:
    """The instruction that replaces one site of a TLS descriptor sequence in a static link.

    TLSDESC (psABI "TLS Descriptors") leaves a0 = TP offset of the variable; in an
    executable that is a link-time constant, so without shrinking the code:

        auipc tX, %tlsdesc_hi(v)              TLSDESC_HI20       ->  nop
        ld    tY, tX, %tlsdesc_load_lo(.L)    TLSDESC_LOAD_LO12  ->  lui  a0, %hi(tpoff)
        addi  a0, tX, %tlsdesc_add_lo(.L)     TLSDESC_ADD_LO12   ->  addi a0, a0, %lo(tpoff)
        jalr  t0, tY, %tlsdesc_call(.L)       TLSDESC_CALL       ->  nop

    (LOAD/ADD/CALL name the label of the HI20 site; the core resolves that to the variable
    and passes its ``tpoff`` = S + A - TP.)

    Anything else returns None.  General dynamic (``auipc a0, %tls_gd_pcrel_hi(v); addi a0,
    a0, %pcrel_lo(.L); call __tls_get_addr``) cannot be rewritten: its PCREL_LO12 and CALL
    carry no mark that they belong to a TLS sequence (GNU ld leaves it as it is too).
    R_RISCV_TLS_GD_HI20 is therefore its own kind, TLS_GD_PCREL: the core gives it a GOT
    pair (module 1, DTP offset - 0x800) and the static libc's __tls_get_addr does the rest.
    """
    name = howto.name
    if name in ("R_RISCV_TLSDESC_HI20", "R_RISCV_TLSDESC_CALL"):
        return NOP
    if name in ("R_RISCV_TLSDESC_LOAD_LO12", "R_RISCV_TLSDESC_ADD_LO12"):
        if not HI20_RANGE[0] <= tpoff <= HI20_RANGE[1]:
            raise ValueError(f"{name}: TP offset {tpoff:#x} does not fit in lui/addi")
        if name == "R_RISCV_TLSDESC_LOAD_LO12":
            return LUI_A0 | (((tpoff + 0x800) >> 12) & 0xFFFFF) << 12
        return ADDI_A0_A0 | (tpoff & 0xFFF) << 20
    return None


def tls_desc_is_paired(howto: Howto) -> bool:
    """True for the TLSDESC rows whose symbol is the label of the TLSDESC_HI20 site rather
    than the variable (LOAD_LO12, ADD_LO12, CALL): like PCREL_LO12, the core must take the
    variable, and so ``tpoff``, from the HI20 relocation at that label."""
    return howto.name in ("R_RISCV_TLSDESC_LOAD_LO12", "R_RISCV_TLSDESC_ADD_LO12",
                          "R_RISCV_TLSDESC_CALL")


def e_flags(flags: list[int], has_code: list[bool] | None = None) -> int:
    """Merge the inputs' e_flags as the psABI's "Policy for Merge Objects" says.

    RVC and TSO: set if any input sets them.  Float ABI and RVE: must agree (ValueError
    naming both ABIs otherwise).  Other bits are taken from the first input.  No inputs: 0.

    ``has_code`` (optional, one bool per input: does it have an executable section?) lets
    inputs without code -- data blobs from ``objcopy -I binary`` or ``ld -r -b binary``, whose
    e_flags are 0 -- skip the checks, as GNU ld skips them (only code can disagree on an ABI).
    """
    if has_code is not None and any(has_code):
        flags = [f for f, code in zip(flags, has_code) if code]
    if not flags:
        return 0
    first = flags[0]
    out = first
    for f in flags[1:]:
        if (f ^ first) & EF_RISCV_FLOAT_ABI:
            a = _FLOAT_ABI_NAMES[first & EF_RISCV_FLOAT_ABI]
            b = _FLOAT_ABI_NAMES[f & EF_RISCV_FLOAT_ABI]
            raise ValueError(f"cannot link {b} ABI object with {a} ABI object "
                             f"(e_flags {f:#x} vs {first:#x})")
        if (f ^ first) & EF_RISCV_RVE:
            raise ValueError(f"cannot link RVE and non-RVE objects (e_flags {f:#x} vs {first:#x})")
        out |= f & (EF_RISCV_RVC | EF_RISCV_TSO)
    return out


def nop_fill(size: int) -> bytes:
    """``size`` bytes of padding that executes as nops: 4-byte ``nop`` s, then one ``c.nop``
    when ``size`` is 2 mod 4 (RVC code only; ValueError for an odd size)."""
    if size % 2:
        raise ValueError(f"cannot fill {size} bytes with RISC-V nops")
    return NOP.to_bytes(4, "little") * (size // 4) + C_NOP.to_bytes(2, "little") * (size % 4 // 2)


# --- relaxation helpers (for the shrink pass; pure functions of one site) -------------------

C_J = 0xA001            # c.j 0
JAL = 0x0000006F        # jal x0, 0
REG_ZERO, REG_RA, REG_GP, REG_TP = 0, 1, 3, 4


def relax_calls(words: np.ndarray, values: np.ndarray, rvc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The shorter code AUIPC+JALR calls and tail calls (R_RISCV_CALL[_PLT] + R_RISCV_RELAX)
    become when their targets are near: (length, code) per site, length 0 where the call
    must stay 8 bytes.

    ``words`` are the 8-byte pairs (AUIPC low, JALR high), ``values`` = S + A - P with P the
    address of the AUIPC, which is also where the replacement starts (psABI "Linker
    Relaxation", function-call relaxation); ``rvc``: the object may use compressed code.

        jalr x0, …  and rvc and -2 KiB <= value < 2 KiB  ->  c.j value        (2 bytes)
        -1 MiB <= value < 1 MiB                          ->  jal rd, value    (4 bytes)

    (C.JAL is RV32-only.)  The caller deletes the 8 - length bytes that follow.
    """
    words = np.asarray(words, dtype=np.uint64)
    values = np.asarray(values, dtype=np.int64)
    rd = ((words >> np.uint64(39)) & np.uint64(0x1F)).astype(np.int64)   # JALR rd: bits [11:7] of the high word
    even = (values & 1) == 0
    cj = even & (rd == REG_ZERO) & np.asarray(rvc, dtype=bool) & (values >= -(1 << 11)) & (values < 1 << 11)
    jal = even & ~cj & (values >= -(1 << 20)) & (values < 1 << 20)
    v = np.where(cj | jal, values, 0)
    code = np.where(cj, write_cj_imm12(np.full(len(v), C_J, dtype=np.uint64), v),
                    write_j_imm21((JAL | rd << 7).astype(np.uint64), v))
    return np.where(cj, 2, np.where(jal, 4, 0)), np.where(cj | jal, code, 0).astype(np.int64)


def relax_call(word: int, value: int, rvc: bool) -> bytes | None:
    """``relax_calls`` for one site: the new code's bytes, or None."""
    n, code = relax_calls(np.array([word], dtype=np.uint64), np.array([value]), np.array([rvc]))
    return int(code[0]).to_bytes(int(n[0]), "little") if n[0] else None


def set_rs1(word: int, reg: int) -> int:
    """An I- or S-type instruction with its base register (rs1, bits [19:15]) replaced: the
    LO12 half of a pair whose HI20 instruction was deleted now adds to x0 (absolute value
    fits in 12 bits), tp (TP offset fits) or gp (GP-relative)."""
    return (word & ~(0x1F << 15)) | (reg & 0x1F) << 15


def hi20_is_zero(value: int) -> bool:
    """True when %hi(value) is 0, so a LUI (or LUI + ADD tp) can be deleted outright."""
    return -0x800 <= value < 0x800


ARCH = Arch(
    name="riscv64",
    machine=EM_RISCV,
    howtos=HOWTOS,
    image_base=0x10000,
    max_page_size=0x1000,
    common_page_size=0x1000,
    tls_tcb_size=0,
    nop=NOP.to_bytes(4, "little"),
    emulations=("elf64lriscv", "elf64lriscv_lp64f", "elf64lriscv_lp64"),
    aliases=("riscv64", "rv64", "riscv"),
    reloc_prefix="R_RISCV_",
    output_format="elf64-littleriscv",
    dynamic=DYNAMIC,
    other_names=_OTHER_NAMES,
    shared_script_names=frozenset({"_end", "end", "_edata", "edata", "_etext", "etext", "__etext", "__bss_start",
                                   "__DATA_BEGIN__", "__SDATA_BEGIN__"}),
    assigned_names=frozenset({"_end", "_edata", "__bss_start", "__global_pointer$", "__DATA_BEGIN__",
                              "__SDATA_BEGIN__", "__BSS_END__"}),
    script_sections=SCRIPT_SECTIONS | {".sdata", ".sbss", ".sdata2", ".sbss2", ".gnu.attributes"},
    hooks={
        "tls_desc_to_le": tls_desc_to_le,
        "tls_desc_is_paired": tls_desc_is_paired,
        "e_flags": e_flags,
        "nop_fill": nop_fill,
        "relax_calls": relax_calls,
        "set_rs1": set_rs1,
    },
)


# --- IFUNC stubs (static executables) ----------------------------------------------------------

IPLT_STUB_SIZE = 16


def iplt_stub(stub: int, slot: int) -> bytes:
    """The code every call to an IFUNC goes through: jump to the address the start-up code
    stored in ``slot`` (the IRELATIVE target), with t3 as scratch and t1 as link, like a PLT:

        auipc t3, %pcrel_hi(slot)
        ld    t3, %pcrel_lo(slot)(t3)
        jalr  t1, t3
        nop
    """
    words = np.array([0x00000E17, 0x000E3E03, 0x000E0367, NOP], dtype=np.uint64)
    d = np.array([slot - stub], dtype=np.int64)
    words[0:1] = write_u_hi20(words[0:1], d)
    words[1:2] = write_i_lo12(words[1:2], d)
    return words.astype("<u4").tobytes()


ARCH.hooks["iplt_stub"] = iplt_stub
ARCH.hooks["iplt_stub_size"] = IPLT_STUB_SIZE


# --- dynamic linking (link/dynamic.py) ---------------------------------------------------------

def plt_header(plt: int, gotplt: int) -> bytes:
    """PLT0 as the psABI's "Procedure Linkage Table" gives it: from t3 (the .got.plt slot's
    address the entry jumped from, PLTn's auipc/ld) and t1 (PLTn's return address), find the
    slot index and call _dl_runtime_resolve (.got.plt[0]) with the link map (.got.plt[1]):

        1: auipc t2, %pcrel_hi(.got.plt)
           sub   t1, t1, t3
           ld    t3, %pcrel_lo(1b)(t2)
           addi  t1, t1, -(32 + 12)
           addi  t0, t2, %pcrel_lo(1b)
           srli  t1, t1, 1
           ld    t0, 8(t0)
           jr    t3
    """
    words = np.array([0x00000397, 0x41C30333, 0x0003BE03, 0xFD430313,
                      0x00038293, 0x00135313, 0x0082B283, 0x000E0067], dtype=np.uint64)
    d = np.array([gotplt - plt], dtype=np.int64)
    words[0:1] = write_u_hi20(words[0:1], d)
    words[2:3] = write_i_lo12(words[2:3], d)
    words[4:5] = write_i_lo12(words[4:5], d)
    return words.astype("<u4").tobytes()


def plt_entries(entries: Values, slots: Values) -> bytes:
    """PLTn for many entries at once, as the psABI writes it (the IFUNC stub's shape):
    auipc t3, %pcrel_hi(slot); ld t3, %pcrel_lo(slot)(t3); jalr t1, t3; nop."""
    n = len(entries)
    d = slots - entries
    w = np.empty((n, 4), dtype=np.uint64)
    w[:, 0] = write_u_hi20(np.full(n, 0x00000E17, dtype=np.uint64), d)
    w[:, 1] = write_i_lo12(np.full(n, 0x000E3E03, dtype=np.uint64), d)
    w[:, 2] = 0x000E0367
    w[:, 3] = NOP
    return w.astype("<u4").tobytes()


ARCH.hooks["plt"] = {
    "reach": (1 << 31) - 4096,          # from the PLT's code to its .got.plt slots (auipc + a 12-bit offset: +-2 GiB, less a margin)
    "header_size": 32, "entry_size": IPLT_STUB_SIZE, "gotplt_reserved": 2,
    "header": plt_header,
    "entries": plt_entries,
    "stub": iplt_stub, "stub_size": IPLT_STUB_SIZE,     # IFUNC stubs (.iplt, or .plt's tail)
    "dyn_tags": (),
}
# dynamic relocation types by role (RISC-V has no GLOB_DAT: a GOT slot takes R_RISCV_64)
ARCH.hooks["dynrel"] = {
    "relative": DYNAMIC["RELATIVE"], "glob_dat": 2, "jump_slot": DYNAMIC["JUMP_SLOT"],
    "abs64": 2, "copy": DYNAMIC["COPY"], "irelative": DYNAMIC["IRELATIVE"],
    "tpoff": DYNAMIC["TLS_TPREL64"], "dtpmod": DYNAMIC["TLS_DTPMOD64"], "dtpoff": DYNAMIC["TLS_DTPREL64"],
    "tlsdesc": DYNAMIC["TLSDESC"],
}
# where GNU ld (Debian's cross binutils) looks for the libraries shared objects need, after
# -rpath-link, -rpath and -L ("=": under --sysroot; link/needed.py)
ARCH.hooks["search_dirs"] = ("=/usr/local/lib/riscv64-linux-gnu", "=/lib/riscv64-linux-gnu", "=/usr/lib/riscv64-linux-gnu",
                             "=/usr/local/lib", "=/lib", "=/usr/lib", "=/usr/riscv64-linux-gnu/lib")
ARCH.hooks["default_interp"] = "/lib/ld-linux-riscv64-lp64d.so.1"
# a shared library with initial-exec TLS (TLS_TPREL64 in its GOT) says so with DF_STATIC_TLS,
# as GNU ld's RISC-V backend writes it (its AArch64 backend does not)
ARCH.hooks["static_tls_flag"] = True

# glibc's RISC-V __tls_get_addr adds 0x800 to the offset it is given (TLS_DTV_OFFSET), so a
# DTP offset stored in the GOT is biased by -0x800, as GNU ld writes it.
ARCH.hooks["dtp_offset_bias"] = 0x800

# .riscv.attributes: one merged section and a PT_RISCV_ATTRIBUTES header in the output
def merge_attributes(blobs: list[bytes]) -> bytes:
    from xld.arch import riscv_attributes      # only links that have the section pay for it
    return riscv_attributes.merge(blobs)


ARCH.hooks["attributes"] = {"name": ".riscv.attributes", "phdr": 0x70000003, "merge": merge_attributes}

# The relocation types by the role they play in a relaxation (link/shrink.py).
ARCH.hooks["relax_roles"] = {
    "call": ("R_RISCV_CALL", "R_RISCV_CALL_PLT"),
    "abs_hi": ("R_RISCV_HI20",), "abs_lo": ("R_RISCV_LO12_I", "R_RISCV_LO12_S"),
    "pc_hi": ("R_RISCV_PCREL_HI20",), "pc_lo": ("R_RISCV_PCREL_LO12_I", "R_RISCV_PCREL_LO12_S"),
    "tp_hi": ("R_RISCV_TPREL_HI20", "R_RISCV_TPREL_ADD"), "tp_lo": ("R_RISCV_TPREL_LO12_I", "R_RISCV_TPREL_LO12_S"),
    "jal": ("R_RISCV_JAL",), "rvc_jump": ("R_RISCV_RVC_JUMP",),
    "lo_i": ("R_RISCV_LO12_I",), "lo_s": ("R_RISCV_LO12_S",), "none": ("R_RISCV_NONE",),
    "s_type": ("R_RISCV_LO12_S", "R_RISCV_PCREL_LO12_S", "R_RISCV_TPREL_LO12_S"),   # S-type halves
}

# A call whose symbol has a PLT entry (imported, or our interposable function in a shared
# library) is relaxed against that entry's address, as GNU ld does (its relax pass reads the
# PLT offset of such a symbol as the target: binutils elfnn-riscv.c), in every output kind.
ARCH.hooks["relax_plt_calls"] = True
# ... but no site naming an IFUNC (its PLT or .iplt stub) is relaxed, as GNU ld skips them
ARCH.hooks["relax_ifuncs"] = False

# The base registers relaxed LO12 sites switch to (link/shrink.py).
ARCH.hooks["relax_regs"] = {"zero": REG_ZERO, "gp": REG_GP, "tp": REG_TP}


# --- compressed LUI relaxation (psABI "Compressed LUI Relaxation") ----------------------------

C_LUI = 0x6001          # c.lui x0, 0 (funct3 011, op 01)


def write_ci_lui(word: Words, value: Values) -> Words:
    """C.LUI: the rounded high part (v + 0x800) >> 12, six bits, scattered.

        15  13   12      11    7 6          2 1  0
       |funct3|hi[5]|    rd    |  hi[4:0]   | op |
    """
    hi = _hi20(_u64(value))
    return _put(word, 0x107C, _bit(hi, 5, 5, 12) | _bit(hi, 4, 0, 2))


CI_LUI = Field("ci_lui", 2, write_ci_lui)


def relax_lui(word: int, rvc: bool) -> bytes | None:
    """The C.LUI that replaces ``lui rd, %hi(x)`` (R_RISCV_HI20 + R_RISCV_RELAX) when %hi(x)
    is a nonzero 6-bit number, or None (no RVC, or rd is x0 / sp, where C.LUI means else)."""
    rd = (word >> 7) & 0x1F
    if not rvc or rd in (REG_ZERO, 2):
        return None
    return (C_LUI | rd << 7).to_bytes(2, "little")


# Relocation types no object carries but relaxed sites become (the core encodes them too).
# C.LUI's 6-bit immediate is 1..31 here (the negative half would be addresses near 2^64).
RVC_LUI_RANGE = (0x1000 - 0x800, (32 << 12) - 0x800 - 1)
ARCH.hooks["relax_howtos"] = {46: Howto(46, "R_RISCV_RVC_LUI", Kind.ADDR, CI_LUI, *RVC_LUI_RANGE)}
ARCH.hooks["relax_lui_howto"] = ARCH.hooks["relax_howtos"][46]
ARCH.hooks["relax_lui"] = relax_lui


# --emit-relocs (link/emitrelocs.py): relaxed sites written as GNU ld writes them.  Every
# R_RISCV_RELAX stays after its site; where the site's instructions shrank, it becomes
# R_RISCV_NONE at the first deleted byte with the number of deleted bytes as its addend; LO12
# halves made gp-relative are R_RISCV_GPREL_I/S; a handled R_RISCV_ALIGN is R_RISCV_NONE.
def relaxed_span(orig: int, new: int) -> tuple[int, int] | None:
    """(bytes kept, bytes deleted) of a site relaxed from type ``orig`` to type ``new``, or
    None when nothing was deleted (a LO12 half that changed its base register)."""
    if orig in (18, 19):                    # CALL, CALL_PLT: auipc + jalr (8 bytes)
        return {17: (4, 4), 45: (2, 6)}.get(new)       # -> JAL, RVC_JUMP
    if new == 46:                           # HI20 -> RVC_LUI: lui (4) -> c.lui (2)
        return (2, 2)
    if new == 0:                            # the instruction (lui, auipc, add tp) went
        return (0, 4)
    return None


ARCH.hooks["emit_relocs"] = {"hint": 51, "none": 0, "align": 0, "gp_rel": {27: 47, 28: 48},
                             "shrunk": relaxed_span}


# --- LLVM LTO (link/lto.py) -----------------------------------------------------------------
#
# llvm-lto2's code generator makes soft-float objects unless it is told the ABI (clang does not
# pass it to the linker plugin, so GNU ld with LLVMgold.so cannot link such a program against
# a hard-float C library): the ABI of the link's other objects is the one to ask for.

_LTO_ABI = {0: "lp64", 2: "lp64f", 4: "lp64d", 6: "lp64q"}


def lto_options(e_flags: list[int]) -> list[str]:
    """llvm-lto2 options for a link whose ELF objects have these e_flags."""
    return [f"--target-abi={_LTO_ABI[e_flags[0] & EF_RISCV_FLOAT_ABI]}"] if e_flags else []


ARCH.hooks["lto_options"] = lto_options
