"""riscv64 backend: the relocation table is consistent, and every field encoder writes what
the GNU assembler would and what capstone reads back."""
from __future__ import annotations

import io
import random
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tests import toolchain as tc
from capstone import CS_ARCH_RISCV, CS_MODE_RISCV64, CS_MODE_RISCVC, Cs
from capstone.riscv import RISCV_OP_IMM, RISCV_OP_MEM

from xld.arch import by_machine, by_name
from xld.arch import riscv64 as R
from xld.arch.base import DATA8, DATA16, DATA32, DATA64, ULEB128
from xld.link.kinds import Kind

GAS = shutil.which("riscv64-linux-gnu-as")
needs_gas = tc.skip_unless(GAS is not None, "riscv64-linux-gnu-as is not installed: no riscv64 reference encodings")

MD = Cs(CS_ARCH_RISCV, CS_MODE_RISCV64 | CS_MODE_RISCVC)
MD.detail = True
M64 = (1 << 64) - 1


def sext(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def enc(field, word: int, value: int) -> int:
    out = field.write(np.array([word], dtype=np.uint64), np.array([value], dtype=np.int64))
    assert out.dtype == np.uint64
    return int(out[0])


def disasm(word: int, size: int = 4):
    insns = list(MD.disasm(word.to_bytes(size, "little"), 0))
    assert insns, f"capstone cannot decode {word:#x}"
    return insns[0]


def last_imm(word: int, size: int = 4) -> int:
    """The last immediate (or memory displacement) operand, as capstone reads it."""
    op = disasm(word, size).operands[-1]
    if op.type not in (RISCV_OP_IMM, RISCV_OP_MEM):   # "addi a0, a1, 0" prints as "mv a0, a1"
        return 0
    if op.type == RISCV_OP_MEM:
        return op.mem.disp
    assert op.type == RISCV_OP_IMM
    return op.imm


def hi20_value(word: int) -> int:
    """The value LUI/AUIPC adds: imm20 << 12, sign-extended from 32 bits."""
    return sext(last_imm(word) << 12, 32)


def call_value(word: int) -> int:
    return hi20_value(word & 0xFFFFFFFF) + last_imm(word >> 32)


def hi_lo(v: int) -> int:
    """What a %hi/%lo pair reaches for v: the 32-bit sign-extended sum."""
    return sext(((v + 0x800) >> 12) << 12, 32) + sext(v, 12)


# field -> (template words, decoder, what the decoder must read for v, mask of the field's bits)
# Templates are hand-encoded; test_templates_match_gnu_as checks them.  Masks are spelled
# from the ISA manual, not from the code.
TEMPLATES = {
    "lui a0, 0": 0x00000537, "auipc t1, 0": 0x00000317, "addi a1, a2, 0": 0x00060593,
    "ld a0, 0(a1)": 0x0005B503, "jalr ra, 0(t1)": 0x000300E7, "flw fa5, 0(s0)": 0x00042787,
    "sd a0, 0(a1)": 0x00A5B023, "sb t6, 0(sp)": 0x01F10023, "fsd fa0, 0(a5)": 0x00A7B027,
    "beq a0, a1, .": 0x00B50063, "bgeu t0, s11, .": 0x01B2F063, "jal ra, .": 0x000000EF,
    "jal zero, .": 0x0000006F, "c.beqz a0, .": 0xC101, "c.bnez s1, .": 0xE081,
    "c.j .": 0xA001,
}
CASES = {
    R.U_HI20: (["lui a0, 0", "auipc t1, 0"], hi20_value,
               lambda v: sext(((v + 0x800) >> 12) << 12, 32), 0xFFFFF000, 4),
    R.I_LO12: (["addi a1, a2, 0", "ld a0, 0(a1)", "jalr ra, 0(t1)", "flw fa5, 0(s0)"],
               last_imm, lambda v: sext(v, 12), 0xFFF00000, 4),
    R.S_LO12: (["sd a0, 0(a1)", "sb t6, 0(sp)", "fsd fa0, 0(a5)"], last_imm,
               lambda v: sext(v, 12), 0xFE000F80, 4),
    R.B_IMM13: (["beq a0, a1, .", "bgeu t0, s11, ."], last_imm,
                lambda v: sext(v, 13) & ~1, 0xFE000F80, 4),
    R.J_IMM21: (["jal ra, .", "jal zero, ."], last_imm, lambda v: sext(v, 21) & ~1,
                0xFFFFF000, 4),
    R.CB_IMM9: (["c.beqz a0, .", "c.bnez s1, ."], lambda w: last_imm(w, 2),
                lambda v: sext(v, 9) & ~1, 0x1C7C, 2),
    R.CJ_IMM12: (["c.j ."], lambda w: last_imm(w, 2), lambda v: sext(v, 12) & ~1, 0x1FFC, 2),
}
CALL_TEMPLATE = TEMPLATES["jalr ra, 0(t1)"] << 32 | TEMPLATES["auipc t1, 0"]


def field_values(rng: random.Random, n: int = 60) -> list[int]:
    vals = [0, 1, -1, 2, -2, 0x7FF, 0x800, -0x800, -0x801, 0xFFF, 0x1000, -0x1000]
    for bits in (6, 8, 9, 12, 13, 16, 20, 21, 31, 32, 33, 63):
        vals += [(1 << (bits - 1)) - 1, -(1 << (bits - 1)), (1 << (bits - 1)) - 2]
    vals += [R.HI20_RANGE[0], R.HI20_RANGE[1], R.HI20_RANGE[0] - 1, R.HI20_RANGE[1] + 1]
    vals += [rng.randrange(-(1 << 63), 1 << 63) for _ in range(n)]
    vals += [rng.randrange(-(1 << 33), 1 << 33) for _ in range(n)]
    return vals


# --- the table ------------------------------------------------------------------------------

# riscv-elf.adoc, "Relocations": the static types xld must know, typed again by hand.
PSABI = {
    0: "NONE", 1: "32", 2: "64", 16: "BRANCH", 17: "JAL", 18: "CALL", 19: "CALL_PLT",
    20: "GOT_HI20", 21: "TLS_GOT_HI20", 22: "TLS_GD_HI20", 23: "PCREL_HI20",
    24: "PCREL_LO12_I", 25: "PCREL_LO12_S", 26: "HI20", 27: "LO12_I", 28: "LO12_S",
    29: "TPREL_HI20", 30: "TPREL_LO12_I", 31: "TPREL_LO12_S", 32: "TPREL_ADD", 33: "ADD8",
    34: "ADD16", 35: "ADD32", 36: "ADD64", 37: "SUB8", 38: "SUB16", 39: "SUB32", 40: "SUB64",
    41: "GOT32_PCREL", 43: "ALIGN", 44: "RVC_BRANCH", 45: "RVC_JUMP", 51: "RELAX", 52: "SUB6",
    53: "SET6", 54: "SET8", 55: "SET16", 56: "SET32", 57: "32_PCREL", 59: "PLT32",
    60: "SET_ULEB128", 61: "SUB_ULEB128", 62: "TLSDESC_HI20", 63: "TLSDESC_LOAD_LO12",
    64: "TLSDESC_ADD_LO12", 65: "TLSDESC_CALL",
}


def test_table_is_the_psabi_list():
    assert {t: r.name for t, r in R.HOWTOS.items()} == {t: "R_RISCV_" + n for t, n in PSABI.items()}


def test_every_row_names_an_encoder_or_is_a_hint():
    known = set(R.FIELDS)
    for row in R.HOWTOS.values():
        if row.field is None:
            assert row.kind in (Kind.NONE, Kind.HINT, Kind.RELAXABLE, Kind.ALIGN, Kind.TLS_DESC), row.name
        else:
            assert row.field in known, row.name
            assert row.field.width in (0, 1, 2, 4, 8), row.name
        if row.kind in (Kind.ADD, Kind.SUB):
            assert row.field is ULEB128 or row.field.read is not None, row.name


def test_rows_are_well_formed():
    for rtype, row in R.HOWTOS.items():
        assert row.type == rtype
        assert (row.lo is None) == (row.hi is None), row.name
        if row.lo is not None:
            assert row.lo <= 0 <= row.hi, row.name
        assert row.align >= 1 and row.align & (row.align - 1) == 0, row.name
    for row in R.HOWTOS.values():      # read-modify-write and lo12 halves never range-check
        if row.kind in (Kind.ADD, Kind.SUB, Kind.SET, Kind.PAIRED_LO) or "LO12" in row.name:
            assert row.lo is None, row.name


@needs_gas
def test_numbers_match_gnu_as():
    """GNU as knows the names: .reloc with each name must produce our number."""
    from elftools.elf.elffile import ELFFile
    lines = [".text", "x: nop"] + [f".reloc ., {r.name}, x" for r in R.HOWTOS.values()]
    with tempfile.TemporaryDirectory() as tmp:
        src, obj = Path(tmp, "r.s"), Path(tmp, "r.o")
        src.write_text("\n".join(lines) + "\nnop\n")
        res = subprocess.run([GAS, "-o", str(obj), str(src)], capture_output=True, text=True)
        unknown = {int(n) for n in re.findall(r"r\.s:(\d+): Error: unrecognized reloc", res.stderr)}
        kept = [ln for i, ln in enumerate(lines, 1) if i not in unknown]
        src.write_text("\n".join(kept) + "\nnop\n")
        subprocess.run([GAS, "-o", str(obj), str(src)], check=True, capture_output=True)
        elf = ELFFile(io.BytesIO(obj.read_bytes()))
        got = [r["r_info_type"] for r in elf.get_section_by_name(".rela.text").iter_relocations()]
    number = {r.name: t for t, r in R.HOWTOS.items()}
    want = [number[ln.split(",")[1].strip()] for ln in kept if ln.startswith(".reloc")]
    assert got == want
    assert len(want) >= 35, "the assembler should know most of the names"


def test_required_kinds_and_ranges():
    h = {r.name[len("R_RISCV_"):]: r for r in R.HOWTOS.values()}
    kinds = {
        "32": Kind.ADDR, "64": Kind.ADDR, "BRANCH": Kind.PCREL, "JAL": Kind.CALL,
        "CALL": Kind.CALL, "CALL_PLT": Kind.CALL, "GOT_HI20": Kind.GOT_PCREL,
        "TLS_GOT_HI20": Kind.TLS_IE_PCREL, "PCREL_HI20": Kind.PCREL,
        "PCREL_LO12_I": Kind.PAIRED_LO, "PCREL_LO12_S": Kind.PAIRED_LO, "HI20": Kind.ADDR,
        "LO12_I": Kind.ADDR, "TPREL_HI20": Kind.TLS_LE, "TPREL_LO12_S": Kind.TLS_LE,
        "TPREL_ADD": Kind.HINT, "ADD32": Kind.ADD, "SUB6": Kind.SUB, "SET6": Kind.SET,
        "32_PCREL": Kind.PCREL, "RELAX": Kind.RELAXABLE, "ALIGN": Kind.ALIGN,
        "SET_ULEB128": Kind.SET, "SUB_ULEB128": Kind.SUB, "PLT32": Kind.PCREL,
        "TLSDESC_HI20": Kind.TLS_DESC,
        # general dynamic: a (module, DTP offset) GOT pair when the core knows that kind
        "TLS_GD_HI20": getattr(Kind, "TLS_GD_PCREL", Kind.TLS_DESC),
    }
    for name, kind in kinds.items():
        assert h[name].kind == kind, name
    fields = {"HI20": R.U_HI20, "LO12_I": R.I_LO12, "LO12_S": R.S_LO12, "BRANCH": R.B_IMM13,
              "JAL": R.J_IMM21, "CALL_PLT": R.CALL, "RVC_BRANCH": R.CB_IMM9,
              "RVC_JUMP": R.CJ_IMM12, "SET6": R.WORD6, "SUB6": R.WORD6, "ADD8": DATA8,
              "SUB16": DATA16, "SET32": DATA32, "64": DATA64, "SET_ULEB128": ULEB128}
    for name, field in fields.items():
        assert h[name].field is field, name
    ranges = {"BRANCH": (-4096, 4094, 2), "JAL": (-(1 << 20), (1 << 20) - 2, 2),
              "RVC_BRANCH": (-256, 254, 2), "RVC_JUMP": (-2048, 2046, 2),
              "32_PCREL": (-(1 << 31), (1 << 31) - 1, 1),
              "CALL": (-(1 << 31) - 0x800, (1 << 31) - 0x801, 1)}
    for name, (lo, hi, align) in ranges.items():
        r = h[name]
        assert (r.lo, r.hi // r.align * r.align, r.align) == (lo, hi, align), name


def representable(field, v: int) -> bool:
    """Does capstone read v back from the field?"""
    if field is R.CALL:
        return call_value(enc(R.CALL, CALL_TEMPLATE, v)) == v
    if field is R.U_HI20:       # only with its lo12 partner: check the pair reaches v
        return hi20_value(enc(field, TEMPLATES["lui a0, 0"], v)) + sext(v, 12) == v
    templates, decode, _, _, _ = CASES[field]
    return decode(enc(field, TEMPLATES[templates[0]], v)) == v


CHECKED_ROWS = [r for r in R.HOWTOS.values()
                if r.lo is not None and (r.field in CASES or r.field is R.CALL)]


@pytest.mark.parametrize("row", CHECKED_ROWS, ids=lambda r: r.name)
def test_range_edges_fit_and_are_tight(row):
    a = row.align
    lo, hi = -(-row.lo // a) * a, row.hi // a * a
    for v in (lo, hi, 0):
        assert representable(row.field, v), f"{row.name}: {v:#x} is in range but does not fit"
    for v in (lo - a, hi + a):
        assert not representable(row.field, v), f"{row.name}: range is looser than the field"


@pytest.mark.parametrize("row", [r for r in R.HOWTOS.values() if r.align > 1],
                         ids=lambda r: r.name)
def test_alignment_is_what_the_field_drops(row):
    assert representable(row.field, 0x40)
    assert not representable(row.field, 0x41)


def test_data_rows_use_the_psabi_ranges():
    h = R.HOWTOS
    assert (h[1].lo, h[1].hi) == (-(1 << 31), (1 << 32) - 1)        # R_RISCV_32
    assert h[2].lo is None                                          # R_RISCV_64
    for t in (41, 57, 59):                                          # GOT32_PCREL, 32_PCREL, PLT32
        assert (h[t].lo, h[t].hi) == (-(1 << 31), (1 << 31) - 1)


# --- encoders against capstone ---------------------------------------------------------------

@pytest.mark.parametrize("field", list(CASES), ids=lambda f: f.name)
def test_encoder_round_trips_through_capstone(field):
    templates, decode, expect, _, _ = CASES[field]
    rng = random.Random(field.name)
    for text in templates:
        for v in field_values(rng, 25):
            got = decode(enc(field, TEMPLATES[text], v))
            assert got == expect(v), f"{text} <- {v:#x}"


def test_call_pair_round_trips_through_capstone():
    rng = random.Random("call")
    for v in field_values(rng, 50):
        word = enc(R.CALL, CALL_TEMPLATE, v)
        assert disasm(word & 0xFFFFFFFF).mnemonic == "auipc"
        assert disasm(word >> 32).mnemonic == "jalr"
        assert call_value(word) == hi_lo(v), f"{v:#x}"
        if R.HI20_RANGE[0] <= v <= R.HI20_RANGE[1]:
            assert call_value(word) == v


def test_hi20_with_its_lo12_partner_reaches_the_value():
    rng = random.Random("hilo")
    for v in field_values(rng, 50):
        lui = enc(R.U_HI20, TEMPLATES["lui a0, 0"], v)
        addi = enc(R.I_LO12, TEMPLATES["addi a1, a2, 0"], v)
        sd = enc(R.S_LO12, TEMPLATES["sd a0, 0(a1)"], v)
        assert hi20_value(lui) + last_imm(addi) == hi_lo(v)
        assert last_imm(addi) == last_imm(sd)


MASKED = {f: c[3] for f, c in CASES.items()} | {R.CALL: 0xFFF00000_FFFFF000, R.WORD6: 0x3F}


@pytest.mark.parametrize("field", list(MASKED), ids=lambda f: f.name)
def test_encoder_changes_only_its_bits(field):
    rng = random.Random(field.name + "mask")
    bits = 8 * field.width
    words = np.array([rng.getrandbits(bits) for _ in range(200)], dtype=np.uint64)
    values = np.array([rng.randrange(-(1 << 63), 1 << 63) for _ in range(200)], dtype=np.int64)
    out = field.write(words, values)
    assert out.dtype == np.uint64
    assert not np.any((out ^ words) & np.uint64(~MASKED[field] & ((1 << bits) - 1)))


def test_word6_keeps_the_top_bits_and_reads_back():
    words = np.array([0xC0, 0x80, 0x3F, 0x00], dtype=np.uint64)
    out = R.WORD6.write(words, np.array([5, -1, 0, 0x41], dtype=np.int64))
    assert out.tolist() == [0xC5, 0xBF, 0x00, 0x01]
    assert R.WORD6.read(out).tolist() == [5, 0x3F, 0, 1]
    assert R.WORD6.read(out).dtype == np.int64
    # SUB6 as the core does it: field - (S + A), wrapping in 6 bits
    v = R.WORD6.read(np.array([0x43], np.uint64)) - np.array([5], np.int64)
    assert R.WORD6.write(np.array([0x43], np.uint64), v).tolist() == [0x7E]


# --- encoders against a reference assembler ---------------------------------------------------
#
# GNU as keeps a relocation on every RISC-V branch, even with -mno-relax, and may widen
# compressed ones; llvm-mc resolves them.  So: llvm-mc when present, else GNU as for the
# non-branch references only.
# Branch targets are labels placed with .skip, since "beq a0, a1, .+N" becomes a relocation
# against a made-up symbol in both.

LLVM_MC = shutil.which("llvm-mc") or shutil.which("llvm-mc-14")
if LLVM_MC:
    ASSEMBLE = [LLVM_MC, "-triple=riscv64", "-mattr=+c,+d,-relax", "-filetype=obj"]
elif GAS:
    ASSEMBLE = [GAS, "-march=rv64gc", "-mno-relax"]
else:   # pragma: no cover - depends on the environment
    ASSEMBLE = None


def _refs():
    """(field, template, reference source or (template, offset) for a branch, value)."""
    refs = []
    for v in (0, 0x7FF, 0x800, 0x12345678, -0x12345678, -1, R.HI20_RANGE[0], R.HI20_RANGE[1]):
        hi = ((v + 0x800) >> 12) & 0xFFFFF
        refs.append((R.U_HI20, "lui a0, 0", f"lui a0, {hi:#x}", v))
        refs.append((R.U_HI20, "auipc t1, 0", f"auipc t1, {hi:#x}", v))
        lo = sext(v, 12)
        refs.append((R.I_LO12, "addi a1, a2, 0", f"addi a1, a2, {lo}", v))
        refs.append((R.I_LO12, "ld a0, 0(a1)", f"ld a0, {lo}(a1)", v))
        refs.append((R.I_LO12, "jalr ra, 0(t1)", f"jalr ra, {lo}(t1)", v))
        refs.append((R.S_LO12, "sd a0, 0(a1)", f"sd a0, {lo}(a1)", v))
        refs.append((R.S_LO12, "fsd fa0, 0(a5)", f"fsd fa0, {lo}(a5)", v))
    for field, tmpl, bits in ((R.B_IMM13, "beq a0, a1, .", 13), (R.B_IMM13, "bgeu t0, s11, .", 13),
                              (R.J_IMM21, "jal ra, .", 21), (R.J_IMM21, "jal zero, .", 21),
                              (R.CB_IMM9, "c.beqz a0, .", 9), (R.CB_IMM9, "c.bnez s1, .", 9),
                              (R.CJ_IMM12, "c.j .", 12)):
        size = 2 if tmpl.startswith("c.") else 4
        for off in (size, -2, 0x2A, -0x56, 0x7F6, (1 << (bits - 1)) - 2, -(1 << (bits - 1))):
            if -(1 << (bits - 1)) <= off < 1 << (bits - 1):
                refs.append((field, tmpl, (tmpl, off), off))
    return refs


REFS = _refs()


@pytest.fixture(scope="module")
def ref_words():
    """Assemble every template and reference once; return {source or (tmpl, off): word}."""
    if ASSEMBLE is None:
        tc.missing("neither llvm-mc nor riscv64-linux-gnu-as is installed: no riscv64 reference encodings")
    from elftools.elf.elffile import ELFFile
    items = list(dict.fromkeys(list(TEMPLATES) + [r[2] for r in REFS]))
    if not LLVM_MC:     # GNU as may widen a compressed branch whose target it cannot see yet
        items = [i for i in items if isinstance(i, str)]
    body, where, pos = [".option norelax"], {}, 0
    for k, item in enumerate(items):
        text, off = (item, None) if isinstance(item, str) else item
        size = 2 if text.startswith("c.") else 4
        body.append(".option rvc" if size == 2 else ".option norvc")
        if off is None:
            body.append(text)
        elif off > 0:           # insn, gap, label
            body += [text[:-1] + f".Lt{k}", f".skip {off - size}", f".Lt{k}:"]
        else:                   # label, gap, insn
            body += [f".Lt{k}:", f".skip {-off}", text[:-1] + f".Lt{k}"]
            pos += -off
        where[item] = (pos, size)
        pos += size if off is None or off < 0 else off
    with tempfile.TemporaryDirectory() as tmp:
        src, obj = Path(tmp, "t.s"), Path(tmp, "t.o")
        src.write_text("\n".join(body) + "\n")
        subprocess.run(ASSEMBLE + ["-o", str(obj), str(src)], check=True, capture_output=True)
        elf = ELFFile(io.BytesIO(obj.read_bytes()))
        text = elf.get_section_by_name(".text").data()
    assert len(text) == pos
    return {item: int.from_bytes(text[p:p + n], "little") for item, (p, n) in where.items()}


def test_templates_match_the_assembler(ref_words):
    for text, word in TEMPLATES.items():
        assert ref_words[text] == word, text


@pytest.mark.parametrize("field,tmpl,ref,value", REFS,
                         ids=lambda x: x.name if hasattr(x, "write") else None)
def test_fields_match_the_assembler(ref_words, field, tmpl, ref, value):
    if ref not in ref_words:
        tc.missing("branch references need llvm-mc (GNU as keeps and may widen branches)")
    assert enc(field, TEMPLATES[tmpl], value) == ref_words[ref], ref


def test_call_pair_matches_the_assembler(ref_words):
    checked = 0
    for v in (0x7FF, 0x800, 0x12345678, -0x12345678, R.HI20_RANGE[0], R.HI20_RANGE[1]):
        hi, lo = ((v + 0x800) >> 12) & 0xFFFFF, sext(v, 12)
        auipc, jalr = ref_words[f"auipc t1, {hi:#x}"], ref_words[f"jalr ra, {lo}(t1)"]
        assert enc(R.CALL, CALL_TEMPLATE, v) == jalr << 32 | auipc
        checked += 1
    assert checked == 6


# --- vectorization --------------------------------------------------------------------------

@pytest.mark.parametrize("field", [f for f in R.FIELDS if f.width], ids=lambda f: f.name)
def test_arrays_give_the_same_as_one_at_a_time(field):
    rng = random.Random(field.name + "vec")
    n = 300
    width_mask = (1 << (8 * field.width)) - 1
    words = np.array([rng.getrandbits(64) & width_mask for _ in range(n)], dtype=np.uint64)
    values = np.resize(np.array(field_values(rng, n), dtype=np.int64), n)
    whole = field.write(words, values)
    assert whole.dtype == np.uint64 and whole.shape == (n,)
    one = [int(field.write(words[i:i + 1], values[i:i + 1])[0]) for i in range(n)]
    assert whole.tolist() == one
    assert not np.any(whole & ~np.uint64(width_mask))
    if field.read is not None:
        back = field.read(whole)
        assert back.dtype == np.int64
        assert back.tolist() == [int(field.read(whole[i:i + 1])[0]) for i in range(n)]


def test_encoders_do_not_modify_their_inputs():
    words = np.full(8, 0x00000537, dtype=np.uint64)
    values = np.arange(8, dtype=np.int64) * 2
    for field in R.FIELDS:
        if not field.width:
            continue
        w, v = words.copy(), values.copy()
        field.write(w, v)
        assert (w == words).all() and (v == values).all(), field.name


# --- numbers and hooks ----------------------------------------------------------------------

def test_arch_numbers():
    a = R.ARCH
    for name in ("riscv64", "rv64", "riscv", "RISCV64"):
        assert by_name(name) is a
    assert by_machine(243) is a
    assert (a.machine, a.image_base, a.max_page_size, a.common_page_size, a.tls_tcb_size) == \
        (243, 0x10000, 0x1000, 0x1000, 0)
    assert a.nop == bytes.fromhex("13000000")
    assert disasm(int.from_bytes(a.nop, "little")).mnemonic in ("nop", "addi")
    assert "elf64lriscv" in a.emulations
    fill = a.hooks["nop_fill"]
    assert fill(6) == a.nop + bytes.fromhex("0100") and fill(0) == b""
    assert disasm(0x0001, 2).mnemonic in ("c.nop", "nop")
    with pytest.raises(ValueError):
        fill(3)


def test_reloc_names_cover_unsupported_and_dynamic_types():
    name = R.ARCH.reloc_name
    assert name(19) == "R_RISCV_CALL_PLT"
    assert name(49) == "R_RISCV_GPREL_HI20"
    assert name(58) == "R_RISCV_IRELATIVE"
    assert name(150) == "R_RISCV_150"
    assert R.ARCH.dynamic_type("IRELATIVE") == 58


def _row(name):
    return next(r for r in R.HOWTOS.values() if r.name == name)


@pytest.mark.parametrize("tpoff", [0, 0x10, 0x7FF, 0x800, 0x12345, 0x7FFFF7FF, -0x800])
def test_tlsdesc_becomes_lui_addi(tpoff):
    hook = R.ARCH.hooks["tls_desc_to_le"]
    hi = hook(0x00000517, _row("R_RISCV_TLSDESC_HI20"), tpoff)
    load = hook(0x0005B583, _row("R_RISCV_TLSDESC_LOAD_LO12"), tpoff)
    add = hook(0x00050513, _row("R_RISCV_TLSDESC_ADD_LO12"), tpoff)
    call = hook(0x000582E7, _row("R_RISCV_TLSDESC_CALL"), tpoff)
    assert hi == call == R.NOP
    i_lui, i_add = disasm(load), disasm(add)
    assert i_lui.mnemonic == "lui" and i_lui.op_str.startswith("a0")
    assert i_add.mnemonic in ("addi", "mv") and i_add.op_str.startswith("a0, a0")
    assert hi20_value(load) + last_imm(add) == tpoff


def test_tls_gd_cannot_be_relaxed():
    hook = R.ARCH.hooks["tls_desc_to_le"]
    assert hook(0x00000517, _row("R_RISCV_TLS_GD_HI20"), 0x10) is None
    assert "__tls_get_addr" in R.tls_desc_to_le.__doc__
    with pytest.raises(ValueError):
        hook(0x0005B583, _row("R_RISCV_TLSDESC_LOAD_LO12"), 1 << 40)


def test_e_flags_merge():
    merge = R.ARCH.hooks["e_flags"]
    double, rvc, tso = R.EF_RISCV_FLOAT_ABI & 4, R.EF_RISCV_RVC, R.EF_RISCV_TSO
    assert merge([]) == 0
    assert merge([double | rvc, double]) == double | rvc
    assert merge([double, double | rvc]) == double | rvc
    assert merge([double, double | tso]) == double | tso
    with pytest.raises(ValueError, match="soft-float.*double-float|double-float.*soft-float"):
        merge([double | rvc, rvc])
    with pytest.raises(ValueError, match="RVE"):
        merge([0, R.EF_RISCV_RVE])


@pytest.mark.parametrize("stub,slot", [(0x10100, 0x12008), (0x10FF0, 0x10800), (0x7FFF0000, 0x1000),
                                       (0x20000, 0x20000 + R.HI20_RANGE[1] // 8 * 8)])
def test_iplt_stub_loads_its_slot_and_jumps(stub, slot):
    code = R.ARCH.hooks["iplt_stub"](stub, slot)
    assert len(code) == R.ARCH.hooks["iplt_stub_size"] == 16
    insns = list(MD.disasm(code, stub))
    assert [i.mnemonic for i in insns][:3] == ["auipc", "ld", "jalr"]
    hi = sext(insns[0].operands[1].imm << 12, 32)
    lo = insns[1].operands[1].mem.disp
    assert stub + hi + lo == slot
    assert insns[0].op_str.startswith("t3") and insns[1].op_str.startswith("t3")
    assert disasm(int.from_bytes(code[12:16], "little")).mnemonic in ("nop", "addi")


def test_tlsdesc_rows_that_name_the_hi20_label_are_marked_paired():
    paired = R.ARCH.hooks["tls_desc_is_paired"]
    assert [t for t, r in R.HOWTOS.items() if r.kind == Kind.TLS_DESC and paired(r)] == [63, 64, 65]
    assert not paired(R.HOWTOS[62]) and not paired(R.HOWTOS[24])


def test_e_flags_lets_code_free_zero_flag_objects_through():
    merge = R.ARCH.hooks["e_flags"]
    double_rvc = 0x5
    assert merge([double_rvc, 0], has_code=[True, False]) == double_rvc     # objcopy'd data
    assert merge([0, double_rvc], has_code=[False, True]) == double_rvc
    assert merge([0], has_code=[False]) == 0
    with pytest.raises(ValueError):                                          # soft-float code
        merge([double_rvc, 0], has_code=[True, True])


# --- relaxation helpers ---------------------------------------------------------------------

CALL_RA = 0x000080E7 << 32 | 0x00000097        # auipc ra, 0; jalr ra, 0(ra)
TAIL_T1 = 0x00030067 << 32 | 0x00000317        # auipc t1, 0; jalr zero, 0(t1)


@pytest.mark.parametrize("value", [2, -2, 0x7FE, -0x800, 0x800, 0x12344, -0x100000, 0xFFFFE])
def test_relax_call_becomes_jal_ra(value):
    code = R.relax_call(CALL_RA, value, rvc=True)
    assert len(code) == 4
    insn = disasm(int.from_bytes(code, "little"))
    assert insn.mnemonic == "jal" and last_imm(int.from_bytes(code, "little")) == value
    assert (int.from_bytes(code, "little") >> 7) & 0x1F == R.REG_RA


@pytest.mark.parametrize("value", [2, -2, 0x7FE, -0x800])
def test_relax_tail_becomes_c_j_with_rvc_and_jal_zero_without(value):
    code = R.relax_call(TAIL_T1, value, rvc=True)
    assert len(code) == 2 and disasm(int.from_bytes(code, "little"), 2).mnemonic == "c.j"
    assert last_imm(int.from_bytes(code, "little"), 2) == value
    code = R.relax_call(TAIL_T1, value, rvc=False)
    word = int.from_bytes(code, "little")
    assert len(code) == 4 and word & 0xFFF == 0x06F and last_imm(word) == value   # jal x0


@pytest.mark.parametrize("value", [0x100000, -0x100002, 0x7FFFF000, 3])
def test_relax_call_keeps_far_or_odd_targets(value):
    assert R.relax_call(CALL_RA, value, rvc=True) is None
    assert R.relax_call(TAIL_T1, value, rvc=True) is None


def test_set_rs1_moves_the_base_of_loads_stores_and_addi():
    addi = enc(R.I_LO12, TEMPLATES["addi a1, a2, 0"], 0x123)
    sd = enc(R.S_LO12, TEMPLATES["sd a0, 0(a1)"], -8)
    assert disasm(R.set_rs1(addi, R.REG_ZERO)).op_str in ("a1, zero, 0x123", "a1, 0x123")
    assert disasm(R.set_rs1(sd, R.REG_TP)).op_str == "a0, -8(tp)"
    assert disasm(R.set_rs1(TEMPLATES["ld a0, 0(a1)"], R.REG_GP)).op_str == "a0, 0(gp)"
    assert R.hi20_is_zero(0x7FF) and R.hi20_is_zero(-0x800)
    assert not R.hi20_is_zero(0x800) and not R.hi20_is_zero(-0x801)
