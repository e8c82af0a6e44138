"""arm64 backend: the relocation table is consistent, and every field encoder writes what
keystone would assemble and what capstone reads back."""
from __future__ import annotations

import random

import numpy as np
import pytest

from tests import toolchain as tc
from capstone import CS_ARCH_ARM64, CS_MODE_ARM, Cs
from capstone.arm64 import ARM64_OP_IMM, ARM64_OP_MEM

from xld.arch import arm64 as A
from xld.arch import by_machine, by_name
from xld.link.kinds import Kind

try:
    import keystone
except ImportError:     # pragma: no cover - depends on the environment
    keystone = None

needs_keystone = tc.skip_unless(keystone is not None, "keystone-engine is not installed: no arm64 reference encodings")

MD = Cs(CS_ARCH_ARM64, CS_MODE_ARM)
MD.detail = True
M64 = (1 << 64) - 1


def sext(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def enc(field, word: int, value: int) -> int:
    out = field.write(np.array([word], dtype=np.uint64), np.array([value], dtype=np.int64))
    assert out.dtype == np.uint64
    return int(out[0])


def disasm(word: int):
    insns = list(MD.disasm(word.to_bytes(4, "little"), 0))
    assert insns, f"capstone cannot decode {word:#010x}"
    return insns[0]


def last_imm(word: int) -> int:
    """The last immediate operand: a branch/ADR target (at address 0 this is the offset)."""
    ops = [o for o in disasm(word).operands if o.type == ARM64_OP_IMM]
    return ops[-1].imm


def add_imm(word: int) -> int:
    op = disasm(word).operands[-1]
    if disasm(word).mnemonic == "mov":      # add rd, sp, #0 prints as mov rd, sp
        return 0
    assert op.type == ARM64_OP_IMM
    return op.imm << (op.shift.value if op.shift.type else 0)


def mem_disp(word: int) -> int:
    op = disasm(word).operands[-1]
    assert op.type == ARM64_OP_MEM
    return op.mem.disp


def mov_value(word: int) -> int:
    """The register value (or, for MOVK, the shifted chunk) a MOVZ/MOVN/MOVK writes."""
    insn = disasm(word)
    op = insn.operands[-1]
    chunk = op.imm << (op.shift.value if op.shift.type else 0)
    if insn.mnemonic == "movn":
        chunk = ~chunk
    return chunk & M64


def movw_expected(group: int, signed: bool):
    sh = 16 * group
    window = 0xFFFF << sh

    def expect(v: int) -> int:
        if signed and v < 0:
            return ~((~v) & window) & M64
        return v & window & M64

    return expect


# field -> (templates assembled at address 0, decoder, what the decoder must read for v, mask)
# The mask is the set of bits the encoder may change, spelled from the Arm ARM, not the code.
CASES = {
    A.IMM26: (["b #0", "bl #0"], last_imm, lambda v: sext(v, 28) & ~3, 0x03FFFFFF),
    A.IMM19: (["b.ne #0", "cbz x3, #0", "cbnz w9, #0", "ldr x2, #0", "ldr s2, #0"],
              last_imm, lambda v: sext(v, 21) & ~3, 0x7FFFF << 5),
    A.IMM14: (["tbz w3, #5, #0", "tbnz x30, #63, #0"], last_imm,
              lambda v: sext(v, 16) & ~3, 0x3FFF << 5),
    A.ADR: (["adr x7, #0"], last_imm, lambda v: sext(v, 21), (3 << 29) | (0x7FFFF << 5)),
    A.ADRP: (["adrp x7, #0"], last_imm, lambda v: sext(v, 33) & ~0xFFF,
             (3 << 29) | (0x7FFFF << 5)),
    A.ADD_LO12: (["add x1, x2, #0", "add w1, wsp, #0"], add_imm, lambda v: v & 0xFFF,
                 0xFFF << 10),
    A.ADD_HI12: (["add x1, x2, #0, lsl #12"], add_imm, lambda v: v & 0xFFF000, 0xFFF << 10),
    A.LDST8_LO12: (["ldrb w1, [x2]", "strb w1, [sp]", "ldrsb x3, [x4]"], mem_disp,
                   lambda v: v & 0xFFF, 0xFFF << 10),
    A.LDST16_LO12: (["ldrh w1, [x2]", "strh w1, [x2]", "ldr h0, [x1]"], mem_disp,
                    lambda v: v & 0xFFE, 0xFFF << 10),
    A.LDST32_LO12: (["ldr w1, [x2]", "str s1, [x2]", "ldrsw x1, [x2]"], mem_disp,
                    lambda v: v & 0xFFC, 0xFFF << 10),
    A.LDST64_LO12: (["ldr x1, [x2]", "str d1, [x2]", "prfm pldl1keep, [x2]"], mem_disp,
                    lambda v: v & 0xFF8, 0xFFF << 10),
    A.LDST128_LO12: (["ldr q1, [x2]", "str q1, [x2]"], mem_disp, lambda v: v & 0xFF0,
                     0xFFF << 10),
    A.LD64_GOTPAGE_LO15: (["ldr x1, [x2]"], mem_disp, lambda v: v & 0x7FF8, 0xFFF << 10),
}
for _g, _f in enumerate((A.MOVW_G0, A.MOVW_G1, A.MOVW_G2, A.MOVW_G3)):
    CASES[_f] = ([f"movz x1, #0, lsl #{16 * _g}", f"movk x1, #0, lsl #{16 * _g}"],
                 mov_value, movw_expected(_g, False), 0xFFFF << 5)
for _g, _f in enumerate((A.MOVW_SG0, A.MOVW_SG1, A.MOVW_SG2, A.MOVW_SG3)):
    CASES[_f] = ([f"movz x1, #0, lsl #{16 * _g}", f"movn x1, #0, lsl #{16 * _g}"],
                 mov_value, movw_expected(_g, True), (0xFFFF << 5) | (1 << 30))

# Templates as words, assembled once by keystone (or, without it, from the Arm ARM by hand).
_HAND = {
    "b #0": 0x14000000, "bl #0": 0x94000000, "b.ne #0": 0x54000001, "cbz x3, #0": 0xB4000003,
    "cbnz w9, #0": 0x35000009, "ldr x2, #0": 0x58000002, "ldr s2, #0": 0x1C000002,
    "tbz w3, #5, #0": 0x36280003, "tbnz x30, #63, #0": 0xB7F8001E, "adr x7, #0": 0x10000007,
    "adrp x7, #0": 0x90000007, "add x1, x2, #0": 0x91000041, "add w1, wsp, #0": 0x110003E1,
    "add x1, x2, #0, lsl #12": 0x91400041, "ldrb w1, [x2]": 0x39400041,
    "strb w1, [sp]": 0x390003E1, "ldrsb x3, [x4]": 0x39800083, "ldrh w1, [x2]": 0x79400041,
    "strh w1, [x2]": 0x79000041, "ldr h0, [x1]": 0x7D400020, "ldr w1, [x2]": 0xB9400041,
    "str s1, [x2]": 0xBD000041, "ldrsw x1, [x2]": 0xB9800041, "ldr x1, [x2]": 0xF9400041,
    "str d1, [x2]": 0xFD000041, "prfm pldl1keep, [x2]": 0xF9800040,
    "ldr q1, [x2]": 0x3DC00041, "str q1, [x2]": 0x3D800041,
}
for _g in range(4):
    _HAND[f"movz x1, #0, lsl #{16 * _g}"] = 0xD2800001 | _g << 21
    _HAND[f"movk x1, #0, lsl #{16 * _g}"] = 0xF2800001 | _g << 21
    _HAND[f"movn x1, #0, lsl #{16 * _g}"] = 0x92800001 | _g << 21


@pytest.fixture(scope="module")
def ks():
    if keystone is None:
        tc.missing("keystone-engine is not installed: no arm64 reference encodings")
    return keystone.Ks(keystone.KS_ARCH_ARM64, keystone.KS_MODE_LITTLE_ENDIAN)


def asm(ks, text: str, addr: int = 0) -> int:
    code, _ = ks.asm(text, addr)
    assert code and len(code) == 4, text
    return int.from_bytes(bytes(code), "little")


def template(text: str) -> int:
    return _HAND[text]


def field_values(rng: random.Random, n: int = 60) -> list[int]:
    """Edges of every width the encoders care about, and random 64-bit values."""
    vals = [0, 1, -1, 2, -2, 4, -4, 0x7FF, 0x800, 0xFFF, 0x1000, -0x1000]
    for bits in (9, 12, 13, 15, 16, 17, 20, 21, 24, 27, 28, 32, 33, 48, 49, 63):
        vals += [(1 << (bits - 1)) - 1, -(1 << (bits - 1)), (1 << (bits - 1)) - 4]
    vals += [rng.randrange(-(1 << 63), 1 << 63) for _ in range(n)]
    vals += [rng.randrange(-(1 << 20), 1 << 20) for _ in range(n)]
    return vals


# --- the table ------------------------------------------------------------------------------

def test_every_row_names_an_encoder_or_is_a_hint():
    known = set(A.FIELDS)
    for row in A.HOWTOS.values():
        if row.field is None:
            assert row.kind in (Kind.NONE, Kind.HINT, Kind.TLS_DESC), row.name
        else:
            assert row.field in known, row.name
            assert row.field.width in (2, 4, 8), row.name


def test_rows_are_well_formed():
    for rtype, row in A.HOWTOS.items():
        assert row.type == rtype
        assert row.name.startswith("R_AARCH64_")
        assert (row.lo is None) == (row.hi is None), row.name
        if row.lo is not None:
            assert row.lo <= 0 <= row.hi, row.name
        assert row.align >= 1 and row.align & (row.align - 1) == 0, row.name
        if row.name.endswith("_NC"):
            assert row.lo is None, f"{row.name} is a no-check type"


def test_no_duplicate_names_except_the_two_nones():
    names = [r.name for r in A.HOWTOS.values()]
    dups = {n for n in names if names.count(n) > 1}
    assert dups == {"R_AARCH64_NONE"}
    assert A.HOWTOS[0].kind == A.HOWTOS[256].kind == Kind.NONE


def test_numbers_match_pyelftools():
    from elftools.elf.enums import ENUM_RELOC_TYPE_AARCH64 as E
    unknown = set()
    for row in A.HOWTOS.values():
        if row.name in E and row.type != 0:     # pyelftools spells only 256 as NONE
            assert E[row.name] == row.type, row.name
        elif row.type != 0:
            unknown.add(row.type)
    # pyelftools predates these (aaelf64 numbers, checked by hand against the spec)
    assert unknown <= {299, 313, 314, 315, 560, 561, 562, 563, 564, 569, 570, 571}
    # and the other way round: every static type pyelftools knows that we carry is named alike
    for name, number in E.items():
        if isinstance(number, int) and number in A.HOWTOS and number < 1024:
            assert A.HOWTOS[number].name == name


def test_required_rows_and_kinds():
    k = {r.name[len("R_AARCH64_"):]: r for r in A.HOWTOS.values()}
    expect = {
        "ABS64": Kind.ADDR, "PREL32": Kind.PCREL, "CALL26": Kind.CALL, "JUMP26": Kind.CALL,
        "CONDBR19": Kind.PCREL, "TSTBR14": Kind.PCREL, "ADR_PREL_PG_HI21": Kind.PAGE_PCREL,
        "ADR_PREL_PG_HI21_NC": Kind.PAGE_PCREL, "ADD_ABS_LO12_NC": Kind.ADDR,
        "ADR_GOT_PAGE": Kind.GOT_PAGE_PCREL, "LD64_GOT_LO12_NC": Kind.GOT,
        "LD64_GOTPAGE_LO15": Kind.GOT_GOTPAGE, "GOT_LD_PREL19": Kind.GOT_PCREL,
        "TLSLE_ADD_TPREL_HI12": Kind.TLS_LE, "TLSLE_ADD_TPREL_LO12_NC": Kind.TLS_LE,
        "TLSIE_ADR_GOTTPREL_PAGE21": Kind.TLS_IE_PAGE_PCREL,
        "TLSIE_LD64_GOTTPREL_LO12_NC": Kind.TLS_IE, "TLSDESC_ADR_PAGE21": Kind.TLS_DESC,
        "TLSDESC_LD64_LO12": Kind.TLS_DESC, "TLSDESC_ADD_LO12": Kind.TLS_DESC,
        "TLSDESC_CALL": Kind.TLS_DESC, "MOVW_UABS_G3": Kind.ADDR,
        "TLSLE_LDST128_TPREL_LO12_NC": Kind.TLS_LE, "LDST128_ABS_LO12_NC": Kind.ADDR,
    }
    for name, kind in expect.items():
        assert k[name].kind == kind, name
    assert (k["CALL26"].lo, k["CALL26"].hi, k["CALL26"].align) == (-(1 << 27), (1 << 27) - 1, 4)
    assert (k["ADR_PREL_PG_HI21"].lo, k["ADR_PREL_PG_HI21"].hi) == (-(1 << 32), (1 << 32) - 1)
    assert k["LDST64_ABS_LO12_NC"].align == 8 and k["LDST64_ABS_LO12_NC"].lo is None


SIGNED_MOVW = (A.MOVW_SG0, A.MOVW_SG1, A.MOVW_SG2, A.MOVW_SG3)
# Low bits another instruction of the sequence holds (ADRP + ADD/LDR, MOVZ + MOVK …).
PARTNER_LOW = {A.ADRP: 0xFFF, A.ADD_HI12: 0xFFF}
for _g in range(4):
    PARTNER_LOW[(A.MOVW_G0, A.MOVW_G1, A.MOVW_G2, A.MOVW_G3)[_g]] = (1 << 16 * _g) - 1
    PARTNER_LOW[SIGNED_MOVW[_g]] = (1 << 16 * _g) - 1


def representable(field, v: int) -> bool:
    """Does capstone read v back from the field (up to the bits a partner instruction holds)?"""
    templates, decode, _, _ = CASES[field]
    low = PARTNER_LOW.get(field, 0)
    got = decode(enc(field, template(templates[0]), v)) & M64
    want = (v | low) if (v < 0 and field in SIGNED_MOVW) else (v & ~low)
    return got == want & M64


CHECKED_ROWS = [r for r in A.HOWTOS.values() if r.field in CASES and r.lo is not None]


@pytest.mark.parametrize("row", CHECKED_ROWS, ids=lambda r: r.name)
def test_range_edges_fit_and_are_tight(row):
    a = row.align
    lo = -(-row.lo // a) * a
    hi = row.hi // a * a
    for v in (lo, hi, 0):
        assert representable(row.field, v), f"{row.name}: {v:#x} is in range but does not fit"
    for v in (lo - a, hi + a):
        assert not representable(row.field, v), f"{row.name}: range is looser than the field"


@pytest.mark.parametrize("row", [r for r in A.HOWTOS.values() if r.align > 1],
                         ids=lambda r: r.name)
def test_alignment_is_what_the_field_drops(row):
    """A row demands alignment exactly when its encoder would drop the low bits."""
    v = 0x100 if row.lo is None else min(row.hi // row.align * row.align, 0x100)
    assert representable(row.field, v)
    assert not representable(row.field, v + row.align // 2)


def test_data_rows_use_the_psabi_ranges():
    r = A.HOWTOS
    assert (r[257].lo, r[260].lo) == (None, None)                   # ABS64, PREL64
    for t in (258, 261):                                           # ABS32, PREL32
        assert (r[t].lo, r[t].hi) == (-(1 << 31), (1 << 32) - 1)
    for t in (259, 262):                                           # ABS16, PREL16
        assert (r[t].lo, r[t].hi) == (-(1 << 15), (1 << 16) - 1)
    for t in (314, 315):                                           # PLT32, GOTPCREL32
        assert (r[t].lo, r[t].hi) == (-(1 << 31), (1 << 31) - 1)


def check(row, v: int) -> str | None:
    """The core's check, restated: None if v may be written, else why not."""
    if row.lo is not None and not row.lo <= v <= row.hi:
        return "out of range"
    if v % row.align:
        return "misaligned"
    return None


def test_range_and_alignment_errors_are_reported_for_branches_and_loads():
    call26, ldst64, condbr = A.HOWTOS[283], A.HOWTOS[286], A.HOWTOS[280]
    assert check(call26, 0x1002) == "misaligned"
    assert check(call26, 1 << 27) == "out of range"
    assert check(call26, -(1 << 27)) is None
    assert check(condbr, (1 << 20) - 4) is None and check(condbr, 1 << 20) == "out of range"
    assert check(ldst64, 0x12344) == "misaligned" and check(ldst64, 1 << 40) is None


# --- encoders against capstone ---------------------------------------------------------------

@pytest.mark.parametrize("field", list(CASES), ids=lambda f: f.name)
def test_encoder_round_trips_through_capstone(field):
    templates, decode, expect, _ = CASES[field]
    rng = random.Random(field.name)
    for text in templates:
        base = template(text)
        for v in field_values(rng, 25):
            got = decode(enc(field, base, v))
            assert got & M64 == expect(v) & M64, f"{text} <- {v:#x}"


@pytest.mark.parametrize("field", list(CASES), ids=lambda f: f.name)
def test_encoder_changes_only_its_bits(field):
    templates, _, _, mask = CASES[field]
    rng = random.Random(field.name + "mask")
    words = np.array([rng.getrandbits(32) for _ in range(200)], dtype=np.uint64)
    values = np.array([rng.randrange(-(1 << 63), 1 << 63) for _ in range(200)], dtype=np.int64)
    out = field.write(words, values)
    assert out.dtype == np.uint64
    assert not np.any((out ^ words) & np.uint64(~mask & 0xFFFFFFFF))


def test_signed_movw_switches_between_movz_and_movn():
    movz, movn = template("movz x1, #0, lsl #16"), template("movn x1, #0, lsl #16")
    for base in (movz, movn):
        assert disasm(enc(A.MOVW_SG1, base, 0x12340000)).mnemonic in ("mov", "movz")
        assert mov_value(enc(A.MOVW_SG1, base, 0x12340000)) == 0x12340000
        assert mov_value(enc(A.MOVW_SG1, base, -0x12340000)) == (-0x12340000 | 0xFFFF) & M64
    # a plain (unsigned / _NC) group keeps whatever opcode the compiler chose
    assert enc(A.MOVW_G1, movn, 0x50000) >> 29 == movn >> 29


# --- encoders against keystone ---------------------------------------------------------------

P = 0x40_0000


def _branch_refs():
    """(template at P, instruction with its target at P, value the encoder gets)"""
    refs = []
    for op, bits in (("b", 28), ("bl", 28), ("b.ge", 21), ("cbz x4,", 21), ("cbnz w4,", 21),
                     ("ldr x5,", 21), ("ldr q5,", 21), ("tbz w6, #3,", 16),
                     ("tbnz x6, #47,", 16)):
        for off in (4, -4, 0x100, -0x123C, (1 << (bits - 1)) - 4, -(1 << (bits - 1))):
            if P + off < 0:
                continue
            refs.append((f"{op} #{P:#x}", f"{op} #{P + off:#x}", off))
    for off in (1, -1, 0x12345, -0x54321, (1 << 20) - 1, -(1 << 20)):
        # keystone takes ADR targets only in the ".+N" form
        refs.append(("adr x9, .", f"adr x9, .{off:+#x}".replace("+-", "-"), off))
    for off in (0x1000, -0x1000, 0x7654_3000, -0x4_0000, 0xFFFF_F000):
        refs.append((f"adrp x9, #{P:#x}", f"adrp x9, #{P + off:#x}", off))
    return refs


@needs_keystone
@pytest.mark.parametrize("tmpl,ref,value", _branch_refs())
def test_pc_relative_fields_match_keystone(ks, tmpl, ref, value):
    field = {"b": A.IMM26, "bl": A.IMM26, "tbz": A.IMM14, "tbnz": A.IMM14, "adr": A.ADR,
             "adrp": A.ADRP}.get(tmpl.split()[0], A.IMM19)
    assert enc(field, asm(ks, tmpl, P), value) == asm(ks, ref, P)


def _imm_refs():
    refs = []
    for imm in (0, 1, 0x7FF, 0xABC, 0xFFF):
        refs.append((A.ADD_LO12, "add x1, x2, #0", f"add x1, x2, #{imm:#x}", 0x1234_5000 + imm))
        refs.append((A.ADD_HI12, "add x3, x3, #0, lsl #12", f"add x3, x3, #{imm:#x}, lsl #12",
                     imm << 12 | 0x123))
    for field, text, scale in ((A.LDST8_LO12, "ldrb w1, [x2, #{}]", 1),
                               (A.LDST16_LO12, "strh w1, [x2, #{}]", 2),
                               (A.LDST32_LO12, "ldr s1, [x2, #{}]", 4),
                               (A.LDST64_LO12, "ldr x1, [x2, #{}]", 8),
                               (A.LDST128_LO12, "str q1, [sp, #{}]", 16)):
        for off in (0, scale, 0x800, 0x1000 - scale, 0x567 & ~(scale - 1)):
            refs.append((field, text.format(0), text.format(off), 0x7FFF_F000 + off))
    for off in (0, 8, 0x1000, 0x7FF8):
        refs.append((A.LD64_GOTPAGE_LO15, "ldr x1, [x2]", f"ldr x1, [x2, #{off:#x}]", off))
    for g, field in enumerate((A.MOVW_G0, A.MOVW_G1, A.MOVW_G2, A.MOVW_G3)):
        for chunk in (0, 1, 0x8000, 0xFFFF, 0x1234):
            v = sext((chunk << 16 * g) | (0x5555 if g else 0), 64)
            for op in ("movz", "movk"):
                refs.append((field, f"{op} x7, #0, lsl #{16 * g}",
                             f"{op} x7, #{chunk:#x}, lsl #{16 * g}", v))
    for g, field in enumerate((A.MOVW_SG0, A.MOVW_SG1, A.MOVW_SG2)):
        for chunk in (0x1, 0x1234, 0xFFFF):
            v = chunk << 16 * g
            refs.append((field, f"movn x7, #0, lsl #{16 * g}",
                         f"movz x7, #{chunk:#x}, lsl #{16 * g}", v))
            refs.append((field, f"movz x7, #0, lsl #{16 * g}",
                         f"movn x7, #{chunk - 1:#x}, lsl #{16 * g}", -v))
    return refs


@needs_keystone
@pytest.mark.parametrize("field,tmpl,ref,value", _imm_refs(),
                         ids=lambda x: x.name if hasattr(x, "write") else None)
def test_immediate_fields_match_keystone(ks, field, tmpl, ref, value):
    assert enc(field, asm(ks, tmpl), value) == asm(ks, ref)


@needs_keystone
def test_hand_templates_match_keystone(ks):
    for text, word in _HAND.items():
        assert asm(ks, text) == word, text


# --- vectorization --------------------------------------------------------------------------

@pytest.mark.parametrize("field", list(A.FIELDS), ids=lambda f: f.name)
def test_arrays_give_the_same_as_one_at_a_time(field):
    rng = random.Random(field.name + "vec")
    n = 300
    width_mask = (1 << (8 * field.width)) - 1
    words = np.array([rng.getrandbits(64) & width_mask for _ in range(n)], dtype=np.uint64)
    values = np.array(field_values(rng, n)[:n], dtype=np.int64)
    values = np.resize(values, n)
    whole = field.write(words, values)
    assert whole.dtype == np.uint64 and whole.shape == (n,)
    one = [int(field.write(words[i:i + 1], values[i:i + 1])[0]) for i in range(n)]
    assert whole.tolist() == one
    assert not np.any(whole & ~np.uint64(width_mask))
    assert words.tolist() == words.tolist()      # inputs untouched (no in-place writes)


def test_encoders_do_not_modify_their_inputs():
    words = np.full(8, 0x14000000, dtype=np.uint64)
    values = np.arange(8, dtype=np.int64) * 4
    for field in A.FIELDS:
        w, v = words.copy(), values.copy()
        field.write(w, v)
        assert (w == words).all() and (v == values).all(), field.name


# --- numbers and hooks ----------------------------------------------------------------------

def test_arch_numbers():
    a = A.ARCH
    assert by_name("arm64") is a and by_name("AArch64") is a and by_machine(183) is a
    assert (a.machine, a.image_base, a.max_page_size, a.common_page_size, a.tls_tcb_size) == \
        (183, 0x400000, 0x10000, 0x1000, 16)
    assert a.nop == bytes.fromhex("1f2003d5")
    assert disasm(int.from_bytes(a.nop, "little")).mnemonic == "nop"
    assert "aarch64linux" in a.emulations and set(a.aliases) == {"arm64", "aarch64"}
    assert a.hooks["nop_fill"](12) == a.nop * 3
    with pytest.raises(ValueError):
        a.hooks["nop_fill"](6)


def test_reloc_names_cover_unsupported_and_dynamic_types():
    name = A.ARCH.reloc_name
    assert name(283) == "R_AARCH64_CALL26"
    assert name(513) == "R_AARCH64_TLSGD_ADR_PAGE21"
    assert name(1032) == "R_AARCH64_IRELATIVE"
    assert name(9999) == "R_AARCH64_9999"
    assert A.ARCH.dynamic_type("IRELATIVE") == 1032


def _desc(name):
    return next(r for r in A.HOWTOS.values() if r.name == name)


@pytest.mark.parametrize("tpoff", [0, 0x10, 0xFFFF, 0x10000, 0x12345678, 0xFFFFFFFF])
def test_tlsdesc_becomes_movz_movk_nop_nop(tpoff):
    hook = A.ARCH.hooks["tls_desc_to_le"]
    adrp = hook(0x90000000, _desc("R_AARCH64_TLSDESC_ADR_PAGE21"), tpoff)
    ldr = hook(0xF9400001, _desc("R_AARCH64_TLSDESC_LD64_LO12"), tpoff)
    add = hook(0x91000000, _desc("R_AARCH64_TLSDESC_ADD_LO12"), tpoff)
    blr = hook(0xD63F0020, _desc("R_AARCH64_TLSDESC_CALL"), tpoff)
    i1, i2 = disasm(adrp), disasm(ldr)
    assert i1.op_str.startswith("x0,") and i2.op_str.startswith("x0,")
    assert i2.mnemonic == "movk"
    x0 = mov_value(adrp)
    x0 = (x0 & ~0xFFFF) | (mov_value(ldr) & 0xFFFF)
    assert x0 == tpoff
    assert disasm(add).mnemonic == disasm(blr).mnemonic == "nop"
    # the tiny-model pair rewrites the same way
    assert hook(0x58000001, _desc("R_AARCH64_TLSDESC_LD_PREL19"), tpoff) == adrp
    assert hook(0x10000000, _desc("R_AARCH64_TLSDESC_ADR_PREL21"), tpoff) == ldr


def test_a_library_keeps_as_they_are_exactly_the_tlsdesc_sites_relocation_skips():
    """relocate does not read the sites tls_desc_keeps_site names: the keep hook must give
    exactly those back unchanged."""
    keep, skips = A.ARCH.hooks["tls_desc_keep"], A.ARCH.hooks["tls_desc_keeps_site"]
    words = np.array([0x90000000, 0xF9400001, 0x91000000, 0xD63F0020], dtype=np.uint64)
    desc, place = np.full(4, 0x12345678, dtype=np.int64), np.full(4, 0x10000, dtype=np.int64)
    kept = []
    for h in A.HOWTOS.values():
        if h.kind != Kind.TLS_DESC:
            continue
        new = keep(words, h, desc, place)
        assert skips(h) == (new is words), h.name
        kept += [h.name] if skips(h) else []
    assert kept == ["R_AARCH64_TLSDESC_CALL"]


def test_tlsdesc_offset_beyond_32_bits_is_an_error():
    hook = A.ARCH.hooks["tls_desc_to_le"]
    with pytest.raises(ValueError, match="TP offset"):
        hook(0x90000000, _desc("R_AARCH64_TLSDESC_ADR_PAGE21"), 1 << 32)
    with pytest.raises(ValueError):
        hook(0xF9400001, _desc("R_AARCH64_TLSDESC_LD64_LO12"), -16)


def test_e_flags_is_zero():
    assert A.ARCH.hooks["e_flags"]([]) == 0
    assert A.ARCH.hooks["e_flags"]([0, 0]) == 0


@pytest.mark.parametrize("stub,slot", [(0x400100, 0x420008), (0x4FFFF0, 0x401FF8),
                                       (0x7FFF_F000, 0x1000), (0x400000, 0x400000 + (1 << 32) - 8)])
def test_iplt_stub_loads_its_slot_and_branches(stub, slot):
    code = A.ARCH.hooks["iplt_stub"](stub, slot)
    assert len(code) == A.ARCH.hooks["iplt_stub_size"] == 16
    insns = list(MD.disasm(code, stub))
    assert [i.mnemonic for i in insns] == ["adrp", "ldr", "add", "br"]
    page = insns[0].operands[1].imm
    assert page == slot & ~0xFFF
    assert insns[1].operands[1].mem.disp == slot & 0xFFF == add_imm(int.from_bytes(code[8:12], "little"))
    assert insns[0].op_str.startswith("x16") and insns[1].op_str.startswith("x17, [x16")
    assert insns[3].op_str == "x17"


def test_tlsdesc_rows_name_the_variable():
    paired = A.ARCH.hooks["tls_desc_is_paired"]
    assert not any(paired(r) for r in A.HOWTOS.values())


@pytest.mark.parametrize("at,target", [(0x400000, 0x9400000), (0x8400000, 0x400123 & ~3),
                                       (0x10000, 0x10000 + (1 << 32) - 4), (0x7FFF_F000, 0x1000)])
def test_thunk_reaches_its_target_through_x16(at, target):
    code = A.ARCH.hooks["thunk"](at, target)
    assert len(code) == A.ARCH.hooks["thunk_size"] == 12
    insns = list(MD.disasm(code, at))
    assert [i.mnemonic for i in insns] == ["adrp", "add", "br"]
    assert insns[0].operands[1].imm + add_imm(int.from_bytes(code[4:8], "little")) == target
    assert insns[0].op_str.startswith("x16") and insns[1].op_str.startswith("x16, x16")
    assert insns[2].op_str == "x16"
    lo, hi = A.BRANCH_RANGE
    assert (lo, hi) == (A.HOWTOS[283].lo, A.HOWTOS[283].hi // 4 * 4)
