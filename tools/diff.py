"""``xld diff A B``: do two executables made from the same inputs mean the same thing?

Two linkers (xld and GNU ld, say) given the same objects lay them out differently: other
addresses, other padding, other section order, other relaxation choices.  This tool compares
what the code *means*, in the way of the wild linker's ``linker-diff``:

- every function symbol (``STT_FUNC`` with a size) present in both files is decoded with
  capstone and compared instruction by instruction, after each PC-relative operand is
  resolved to the *symbol + offset* it reaches in its own file: ``ADRP`` + ``ADD``/``LDR``/
  ``STR`` pairs, ``ADR``, ``B``/``BL``/``B.cond``/``CBZ``/``TBZ``, ``AUIPC`` + ``ADDI``/load/
  store/``JALR`` pairs, ``LUI`` + ``ADDI``, ``gp``-relative accesses, ``JAL`` and branches.  A
  branch inside the function is resolved to the index of the instruction it reaches, so code
  that one linker shortened by relaxation still compares equal;
- what linkers may choose differently is normalised: a load of a GOT slot is the address the
  slot holds (so ``ADRP``+``LDR`` from the GOT equals ``ADRP``+``ADD`` after GOT relaxation);
  ``AUIPC``+``JALR`` equals ``JAL`` to the same target; a branch to a thunk, veneer or PLT stub
  is followed to where the stub goes (an ``IRELATIVE`` slot: to its resolver); NOPs are
  dropped; unnamed data (a string literal) is named by its section and first bytes;
- each data object (``STT_OBJECT``) in both files: same size, and each 8-byte word that
  differs must resolve, as an address, to the same place (a word with a dynamic relocation:
  the place that relocation writes);
- the entry point's symbol; for dynamic outputs the ``DT_NEEDED`` list, the dynamic symbols
  and the count of each dynamic relocation type.

Differences are printed as ``A:symbol+0xoff: A says X, B says Y``; the exit status is 0 when
the files are equivalent, 1 when not (or on an error: ``xld: error: ...``).
"""
from __future__ import annotations

import argparse
import bisect
import difflib
import functools
import itertools
import re
import sys
from collections import Counter

import capstone
from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection

EM_AARCH64, EM_RISCV = 183, 243
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR, SHF_TLS = 0x1, 0x2, 0x4, 0x400
MAX_PER_FUNCTION = 3
MAX_WALKS = 4           # walks of a function's code until what registers hold at branch targets settles
# sections a linker makes for itself, which another linker may make differently or not at all
SYNTHETIC = {".comment", ".note.gnu.build-id", ".gnu.hash", ".hash", ".iplt", ".igot", ".igot.plt",
             ".rela.iplt", ".got", ".got.plt", ".plt", ".rela.plt", ".rela.dyn", ".eh_frame_hdr",
             ".interp", ".dynamic", ".dynsym", ".dynstr", ".gnu.version", ".gnu.version_r",
             ".gnu.version_d", ".note.gnu.property", ".note.ABI-tag", ".tm_clone_table",
             ".data.rel.ro", ".sdata", ".sbss", ".srodata", ".riscv.attributes", ".ARM.attributes"}
# sections that two linkers name differently
SAME_SECTION = {".rela.plt": ".rela.iplt"}
NOPS = {"nop", "c.nop"}
RV_JUMPS = {"jal", "j", "c.j", "c.jal"}
RV_BRANCHES = {"beq", "bne", "blt", "bge", "bltu", "bgeu", "beqz", "bnez", "c.beqz", "c.bnez",
               "blez", "bgez", "bltz", "bgtz", "bgt", "ble", "bgtu", "bleu"}
RV_INDIRECT = {"jalr", "jr", "c.jr", "c.jalr", "ret"}
RV_LOADS = {"ld", "lw", "lwu", "lh", "lhu", "lb", "lbu", "flw", "fld", "c.ld", "c.lw", "c.fld"}
RV_SP = {"ldsp", "lwsp", "fldsp", "sdsp", "swsp", "fsdsp"}       # compressed, sp-based
RV_STORES = {"sd", "sw", "sh", "sb", "fsw", "fsd", "c.sd", "c.sw", "c.fsd"}
A64_BRANCHES = {"b", "bl", "cbz", "cbnz", "tbz", "tbnz"}
# GNU ld's Cortex-A53 erratum veneers (--fix-cortex-a53-843419, -835769): the instruction at
# a place that triggers the erratum moves into a veneer, a B replaces it and the veneer
# branches back. Where such a place is depends on the layout, so two linkers patch different
# places: a B into a veneer is compared as the instruction the veneer holds.
ERRATUM_VENEERS = ("e843419@", "e835769@")


class DiffError(Exception):
    pass


class Image:
    """One executable: sections, symbols, dynamic relocations, and address resolution."""

    def __init__(self, path: str):
        self.path = path
        try:
            self.f = open(path, "rb")
            self.elf = ELFFile(self.f)
        except OSError as e:
            raise DiffError(f"cannot open {path}: {e.strerror}") from None
        except ELFError as e:
            raise DiffError(f"{path}: not an ELF file: {e}") from None
        m = self.elf.header["e_machine"]
        self.machine = {"EM_AARCH64": EM_AARCH64, "EM_RISCV": EM_RISCV}.get(m, m)
        if self.machine not in (EM_AARCH64, EM_RISCV):
            raise DiffError(f"{path}: unsupported machine {m}")
        self.secs = []                      # (addr, end, name, data or None, flags)
        for s in self.elf.iter_sections():
            if s["sh_flags"] & SHF_ALLOC and not s["sh_flags"] & SHF_TLS and s["sh_size"]:
                data = s.data() if s["sh_type"] != "SHT_NOBITS" else None
                self.secs.append((s["sh_addr"], s["sh_addr"] + s["sh_size"], s.name, data,
                                  s["sh_flags"]))
        self.secs.sort()
        self.sec_starts = [s[0] for s in self.secs]
        self.sec_names = {s.name for s in self.elf.iter_sections() if s["sh_flags"] & SHF_ALLOC and s["sh_size"]}
        self.tls_base = self._tls_base()
        self.syms = []                      # (value, size, name, type)
        self.tls_syms = []
        symtab = self.elf.get_section_by_name(".symtab") or self.elf.get_section_by_name(".dynsym")
        for sym in (symtab.iter_symbols() if symtab is not None else ()):
            typ, shndx = sym["st_info"]["type"], sym["st_shndx"]
            if (not sym.name or shndx == "SHN_UNDEF" or typ in ("STT_SECTION", "STT_FILE")
                    or shndx == "SHN_ABS" and not sym["st_value"]
                    or sym.name.startswith(("$", ".L"))):     # mapping symbols, local labels
                continue
            row = (sym["st_value"], sym["st_size"], sym.name, typ)
            (self.tls_syms if typ == "STT_TLS" else self.syms).append(row)
        self.syms.sort()
        self.sym_starts = [s[0] for s in self.syms]
        # the furthest end of any symbol up to each one: where a walk back may stop
        self.max_end = list(itertools.accumulate((v + size for v, size, _, _ in self.syms), max))
        self.gp = next((v for v, _, n, _ in self.syms if n == "__global_pointer$"), None)
        self._bodies = {}
        self.dynrel = {}                    # slot address -> (type name, symbol name, addend)
        self.dyn_types = Counter()
        for s in self.elf.iter_sections():
            if isinstance(s, RelocationSection) and s["sh_flags"] & SHF_ALLOC:
                st = self.elf.get_section(s["sh_link"]) if s["sh_link"] else None
                for r in s.iter_relocations():
                    tname = self.reloc_name(r["r_info_type"])
                    sname = ""
                    if st is not None and r["r_info_sym"] and hasattr(st, "get_symbol"):
                        sname = st.get_symbol(r["r_info_sym"]).name
                    self.dynrel[r["r_offset"]] = (tname, sname, r["r_addend"])
                    if not tname.endswith("_NONE"):      # a slot given up (GNU ld leaves them)
                        self.dyn_types[tname] += 1

    @property
    def is_executable(self) -> bool:
        """ET_EXEC, or a PIE (an ET_DYN with a program interpreter or DF_1_PIE)."""
        if self.elf.header["e_type"] == "ET_EXEC":
            return True
        if any(seg["p_type"] == "PT_INTERP" for seg in self.elf.iter_segments()):
            return True
        dyn = self.elf.get_section_by_name(".dynamic")
        return dyn is not None and any(t.entry.d_tag == "DT_FLAGS_1" and t.entry.d_val & 0x08000000
                                       for t in dyn.iter_tags())

    def reloc_name(self, t: int) -> str:
        from xld.arch import by_machine
        arch = by_machine(self.machine)
        return arch.reloc_name(t) if arch is not None else str(t)

    def _tls_base(self) -> int:
        for seg in self.elf.iter_segments():
            if seg["p_type"] == "PT_TLS":
                if self.machine == EM_AARCH64:     # TP, then a 16-byte TCB, then the block
                    a = max(seg["p_align"], 1)
                    return (16 + a - 1) // a * a
                return 0
        return 0

    @property
    def tls_end(self) -> int:
        for seg in self.elf.iter_segments():
            if seg["p_type"] == "PT_TLS":
                return self.tls_base + seg["p_memsz"]
        return 0

    # -- addresses ---------------------------------------------------------------------------

    def section_of(self, addr: int):
        i = bisect.bisect_right(self.sec_starts, addr) - 1
        if i >= 0 and self.secs[i][0] <= addr < self.secs[i][1]:
            return self.secs[i]
        return None

    def read(self, addr: int, n: int) -> bytes | None:
        s = self.section_of(addr)
        if s is None or s[3] is None:
            return None
        off = addr - s[0]
        return s[3][off:off + n]

    def names_at(self, addr: int) -> frozenset[str]:
        """Every way to name ``addr``: sized symbols that contain it (``sym+off``), unsized
        ones that start there; failing those, its section and first bytes (unnamed data), or
        the bare number when it is in no section."""
        out = set()
        inside = False
        i = bisect.bisect_right(self.sym_starts, addr) - 1
        # symbols are sorted by address; walk back over those that may still contain addr
        j = i
        while j >= 0 and (self.max_end[j] >= addr or self.syms[j][0] == addr):
            v, size, name, _ = self.syms[j]
            if v == addr or v <= addr <= v + size:     # one past the end: an array's bound
                out.add(f"{name}+0x{addr - v:x}" if addr != v else name)
                inside |= addr < v + size or v == addr
            j -= 1
        # the start or the end of a section (linker-defined bounds such as __rela_iplt_end)
        k = bisect.bisect_right(self.sec_starts, addr)
        for a0, a1, n, _, _ in self.secs[max(k - 2, 0):k + 1]:
            if a0 == addr:
                out.add(f"start of {SAME_SECTION.get(n, n)}")
            if a1 == addr:
                out.add(f"end of {SAME_SECTION.get(n, n)}")
        s = self.section_of(addr)
        if out and s is not None and s[3] is not None and not s[4] & (SHF_EXECINSTR | SHF_WRITE):
            name = self.content_name(s, addr)
            if name.startswith("string") or not inside:
                out.add(name)
                if name == "string b''":
                    out.add(f"{s[2]}:data")
        if out:
            return frozenset(out)
        if s is None:
            # outside every section: not an address this program has (a register followed
            # wrongly, say, from a pointer it was given); no name to compare, so none
            return frozenset({"outside the image"})
        name = self.content_name(s, addr)
        if name == "string b''":
            # a zero byte: an empty string, or data that starts with 0 (a relative jump
            # table's first entry, whose bytes depend on the layout)
            return frozenset({name, f"{s[2]}:data"})
        return frozenset({name})

    def content_name(self, s, addr: int) -> str:
        """Unnamed read-only data by what it holds: a C string by its text (a linker may merge
        it into the tail of another), other bytes only by their section."""
        data = self.read(addr, 64)
        if data is None:
            return f"{s[2]}+?"
        text = data.split(b"\0")[0]
        if b"\0" in data and all(32 <= c < 127 or c in (9, 10) for c in text):
            return "string " + repr(text)
        return f"{s[2]}:data"

    def tls_names(self, tpoff: int) -> frozenset[str]:
        off = tpoff - self.tls_base
        out = {f"{n}+0x{off - v:x}" if off != v else n
               for v, size, n, _ in self.tls_syms if v == off or v <= off < v + size}
        return frozenset(f"tls:{n}" for n in out) or frozenset({f"tls:0x{off:x}"})

    def const_names(self, v: int) -> frozenset[str]:
        """A constant: its value and, when it lies in the thread-local block, the TLS variable
        it would be the offset of. A TP offset the linker put into an instruction (MOVZ/MOVK,
        a relaxed sequence) or a static GOT slot is such a constant, and two linkers that
        order the TLS block differently give the same variable different offsets."""
        out = {f"0x{v:x}"}
        if self.tls_syms and self.tls_base <= v < self.tls_end:
            out |= self.tls_names(v)
        tls = self._tls_segment()
        if tls is not None and v == (self.tls_base - tls["p_vaddr"]) & (1 << 64) - 1:
            # an undefined weak thread-local variable: address 0, made a TP offset
            out.add("tls:undefined weak")
        return frozenset(out)

    def _tls_segment(self):
        return next((seg for seg in self.elf.iter_segments() if seg["p_type"] == "PT_TLS"), None)

    def slot(self, addr: int) -> frozenset[str]:
        """What the 8-byte slot at ``addr`` (a GOT or PLT slot) stands for."""
        rel = self.dynrel.get(addr)
        if rel is not None:
            tname, sname, addend = rel
            if "IRELATIVE" in tname or ("RELATIVE" in tname and not sname):
                return self.names_at(addend)
            if "TPREL" in tname or "TLS_TPREL" in tname:
                return frozenset({f"tls:{sname}+0x{addend:x}"})
            return frozenset({f"{sname}+0x{addend:x}" if addend else sname})
        data = self.read(addr, 8)
        if data is None or len(data) < 8:
            return frozenset({"?"})
        v = int.from_bytes(data, "little")
        s = self.section_of(v)
        if s is None and v < self.tls_end:
            return frozenset({f"0x{v:x}"})   # a static link's TLS slot holds the TP offset
        return self.names_at(v)

    def word(self, addr: int, w: bytes) -> frozenset[str]:
        """What the 8-byte data word ``w`` at ``addr`` points to once loaded: where its dynamic
        relocation puts it (GNU ld leaves the place of a riscv64 RELA row zero, xld writes the
        address there too), else the address it holds."""
        if addr in self.dynrel:
            return self.slot(addr)
        return self.names_at(int.from_bytes(w, "little"))

    def is_got(self, addr: int) -> bool:
        s = self.section_of(addr)
        return s is not None and (s[2].startswith(".got") or s[2].startswith(".igot")
                                  or addr in self.dynrel)

    def follow(self, addr: int, depth: int = 0) -> frozenset[str]:
        """A branch target, through a thunk, veneer or PLT stub when it is one."""
        if depth < 3 and not any(v == addr and t == "STT_FUNC" for v, _, _, t in
                                 self.syms[bisect.bisect_left(self.sym_starts, addr):
                                           bisect.bisect_right(self.sym_starts, addr)]):
            s = self.section_of(addr)
            if s is not None and s[4] & SHF_EXECINSTR:
                dest = self._stub_target(addr)
                if dest is not None:
                    return dest if isinstance(dest, frozenset) else self.follow(dest, depth + 1)
        return self.names_at(addr)

    def _stub_target(self, addr: int):
        """Decode up to four instructions at ``addr``: if they only compute an address and
        jump there (ADRP/ADD/LDR/BR, AUIPC/LD/JALR, B), where they go."""
        code = self.read(addr, 16)
        if not code:
            return None
        dec = Decoder(self, addr, addr, stub=True)
        for a, size, m, op_str in disassembler(self.machine).disasm_lite(code, addr):
            dec.step(a, m, op_str)
            if dec.jump is not None:
                kind, where = dec.jump
                return where if kind == "addr" else self.slot(where)
            if dec.rows:                     # something other than address arithmetic
                return None
        return None

    def erratum_veneer(self, addr: int, back_from: int):
        """When ``addr`` is an erratum veneer that returns to ``back_from`` + 4: its first
        instruction (mnemonic, operands), the one it stands for."""
        i = bisect.bisect_left(self.sym_starts, addr)
        if i >= len(self.syms) or self.syms[i][0] != addr or \
                not self.syms[i][2].startswith(ERRATUM_VENEERS):
            return None
        code = self.read(addr, 8)
        insns = list(disassembler(self.machine).disasm_lite(code or b"", addr))
        if len(insns) != 2 or insns[1][2] != "b" or _num(insns[1][3]) != back_from + 4:
            return None
        return insns[0][2], insns[0][3]

    # -- functions ---------------------------------------------------------------------------

    def body_cached(self, start: int, size: int, strict: bool = False) -> list[tuple[int, str]]:
        key = (start, size, strict)
        if key not in self._bodies:
            self._bodies[key] = self.body(start, size, strict)
        return self._bodies[key]

    def body(self, start: int, size: int, strict: bool = False) -> list[tuple[int, str]]:
        """The function at ``start`` as ``(offset, meaning)`` rows, PC-relative operands
        resolved.

        The registers are followed through the function's branches: a first walk learns
        what they hold at each branch, and the next walk starts each branch target with what
        every way into it agrees on — backward branches (loops) included, which a single walk
        cannot know. Walks repeat until the targets' states settle (at most MAX_WALKS).
        ``strict``: where ways in disagree, a register some way does not know is unknown
        (else it keeps what the others agree on: see ``_agree``), and a call changes every
        register the ABI lets it change (else only its results: see CALL_RESULTS)."""
        code = self.read(start, size)
        if code is None:
            return []
        md = disassembler(self.machine)
        insns: list = []
        pos = 0
        while pos < len(code):
            n = 0
            for a, isz, m, op_str in md.disasm_lite(code[pos:], start + pos):
                insns.append((a, m, op_str))
                n += isz
            pos += n
            if pos < len(code):                  # not an instruction: data in the code
                step = 2 if self.machine == EM_RISCV else 4
                insns.append((None, pos, f".word {code[pos:pos + step].hex()}"))
                pos += step
        incoming = None
        for _walk in range(MAX_WALKS):
            dec = Decoder(self, start, start + size, incoming=incoming, strict=strict)
            for a, m, op_str in insns:
                if a is None:
                    dec.rows.append((m, (op_str, None)))
                else:
                    dec.step(a, m, op_str)
            if dec.branch_states == incoming or not dec.backward:
                break                # (without a backward branch, one walk sees every way in)
            incoming = dec.branch_states
        # a branch inside the function: the index of the row it reaches
        kept = [(o, t) for o, t in dec.rows if t is not None]
        offs = [o for o, _ in kept]
        rows = []
        for off, text in kept:
            if text[0] == "local":               # ("local", prefix, target offset)
                _, prefix, tgt = text
                text = (f"{prefix} .L{bisect.bisect_left(offs, tgt)}", None)
            rows.append((off, text))
        return rows


def _agree_strictly(states: list[dict]) -> dict:
    """The registers every state holds the same address in."""
    first, rest = states[0], states[1:]
    return {k: v for k, v in first.items() if all(st.get(k) == v for st in rest)}


def _agree(states: list[dict]) -> dict:
    """The registers that no state disagrees on: each address some way in knows and no other
    way knows as another address. (Optimistic: a register another way does not know — an
    imprecision of this linear walk as often as a real change — is kept; one only known on
    ways that jump here, and not on a fall-through that knows otherwise, is not invented.)"""
    out: dict = {}
    bad: set = set()
    for st in states:
        for k, v in st.items():
            if k in bad:
                continue
            if out.setdefault(k, v) != v:
                bad.add(k)
                del out[k]
    return out


def sext(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


_DIS = {}


def disassembler(machine: int):
    if machine not in _DIS:
        if machine == EM_AARCH64:
            md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
        else:
            md = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)
        _DIS[machine] = md
    return _DIS[machine]


def show(names: frozenset[str]) -> str:
    return min(names, key=lambda n: (n.startswith("."), len(n), n))


_MEM_A64 = re.compile(r"^\[(\w+)(?:, #(-?(?:0x)?[0-9a-f]+))?\]$")
_MEM_RV = re.compile(r"^(-?(?:0x)?[0-9a-f]+)?\((\w+)\)$")


def _num(s: str) -> int | None:
    s = s.lstrip("#")
    try:
        return int(s, 0)
    except ValueError:
        return None


@functools.lru_cache(maxsize=1 << 16)
def operands(op_str: str, a64: bool) -> tuple:
    """capstone's operand text as ``("reg", name)``, ``("imm", value)``, ``("mem", base, disp)``
    or ``("other", text)``."""
    out = []
    depth, cur = 0, ""
    for ch in op_str:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    ops = []
    for t in out:
        m = (_MEM_A64 if a64 else _MEM_RV).match(t)
        if m:
            base, disp = (m.group(1), m.group(2)) if a64 else (m.group(2), m.group(1))
            ops.append(("mem", base, _num(disp) if disp else 0))
            continue
        v = _num(t) if (t.startswith("#") or not a64) else None
        if v is not None:
            ops.append(("imm", v))
        elif re.fullmatch(r"[a-z][a-z0-9]*", t):
            ops.append(("reg", t))
        else:
            ops.append(("other", t))
    return tuple(ops)


INDIRECT_JUMPS = {"br", "jr", "c.jr"}      # (a jump table's; not a return)
UNCONDITIONAL = {"b", "br", "ret", "j", "c.j", "jr", "c.jr", "tail"}
# What a call changes for the code after it: the results and the return address. (The ABI
# lets a callee change every caller-saved register, but code that reads one after a call
# without setting it again knows the callee does not — GCC's IPA-RA does that for local
# functions — so what it held is still what the code uses.)
CALL_RESULTS = {"x0", "x1", "x30", "ra", "a0", "a1"}
# ... and what the ABI lets it change (the strict walk's view)
CALL_CLOBBERED = ({f"x{i}" for i in range(19)} | {"x30", "ra", "t0", "t1", "t2", "t3", "t4", "t5", "t6"}
                  | {f"a{i}" for i in range(8)})
A64_NO_DEST = {"str", "strb", "strh", "stur", "sturb", "sturh", "stp", "stnp", "cmp", "cmn", "tst",
               "ret", "br", "prfm", "stlr", "stlrb", "stlrh", "dmb", "dsb", "isb", "svc", "msr",
               "stxr", "stlxr", "stxrb", "stlxrb"}


class Decoder:
    """Walks one function's instructions, tracking the registers an ADRP/AUIPC/LUI set, and
    turns each instruction into a layout-independent text."""

    def __init__(self, img: Image, start: int, end: int, stub: bool = False, incoming=None,
                 strict: bool = False):
        self.img, self.start, self.end, self.stub = img, start, end, stub
        self.strict = strict
        self.backward = False           # a branch to an earlier place: another walk may learn more
        self.fp_is_sp = False
        self.agree = _agree_strictly if strict else _agree
        self.clobbered = CALL_CLOBBERED if strict else CALL_RESULTS
        self.incoming: dict[int, dict[str, int]] = incoming or {}   # the last walk's branch_states
        self.branch_states: dict[int, dict[str, int]] = {}   # target -> what all branches to it agree on
        self.indirect: dict[str, int] | None = None    # what the registers held at indirect jumps
        self.rows: list[tuple[int, object]] = []
        self.regs: dict[str, int] = {}          # register -> the address it holds
        self.slots: dict[str, int] = {}         # register -> the slot it was loaded from (stubs)
        self.jump = None
        self.a64 = img.machine == EM_AARCH64
        if not self.a64 and img.gp is not None and not stub:
            self.regs["gp"] = img.gp
        self.movz = None
        self.pending: dict[int, dict[str, int]] = {}
        self.spills: dict[tuple[str, int], int] = {}    # (sp or frame pointer, offset) -> address
        self.after_jump = False
        self.defined: dict[str, int] = {}       # register -> index of the row that took its address
        self.absolute: set[str] = set()         # registers that a LUI (an absolute value) set

    def emit(self, addr: int, text) -> None:
        self.rows.append((addr - self.start, text))

    def target(self, addr: int, prefix: str, dest: int) -> None:
        if dest == 0 and not self.stub:
            return      # a call to an undefined weak symbol: GNU ld writes a NOP instead
        if self.stub:
            self.jump = ("addr", dest)
        elif self.start <= dest < self.end:
            self.emit(addr, ("local", prefix, dest - self.start))
            old = self.branch_states.get(dest)
            self.branch_states[dest] = dict(self.regs) if old is None else self.agree([old, self.regs])
            self.backward |= dest <= addr
            if dest > addr:                      # what the registers hold when it is reached
                old = self.pending.get(dest)
                self.pending[dest] = dict(self.regs) if old is None else self.agree([old, self.regs])
        else:
            self.emit(addr, (f"{prefix} {{}}", self.img.follow(dest)))

    def address(self, addr: int, rd: str, dest: int, load: bool, verb: str | None) -> None:
        """An instruction that uses a tracked register as a base: ``rd`` gets an address (or
        what the GOT slot there holds), or memory at an address is read/written."""
        if self.stub:
            if verb is None:
                self.regs[rd] = dest
            elif load:
                self.slots[rd] = dest
                self.regs.pop(rd, None)
            else:
                self.emit(addr, (verb, None))
            return
        if load and verb in ("ldr", "ld", "c.ld") and self.img.is_got(dest):
            names = self.img.slot(dest)
            if len(names) == 1 and next(iter(names)).startswith("0x"):
                # a constant: a static link's TP offset
                self.emit(addr, (f"{rd} = {{}}", self.img.const_names(int(next(iter(names)), 16))))
            else:
                self.emit(addr, (f"{rd} = {{}}", names))
        elif verb is None:
            names = self.img.names_at(dest)
            if self.lui_based:
                # LUI+ADDI makes constants as well as addresses: a number that happens to lie
                # in a section (a sysconf value, an nl_langinfo item) is the same number in both
                names |= {f"0x{dest:x}"}
            self.defined[rd] = (len(self.rows), dest, False)
            self.emit(addr, (f"{rd} = &{{}}", names))
        else:
            names = self.img.names_at(dest)
            if self.lui_based:
                names |= {f"0x{dest:x}"}
            self.emit(addr, (f"{verb} {rd}, [{{}}]", names))

    lui_based = False

    def based(self, reg: str, disp: int) -> None:
        """``reg`` is used as a base with displacement ``disp``: when a row took its address
        and the displacement is not 0, that address was only an anchor (GCC addresses
        neighbouring objects from one), which two layouts put in different places; what is
        compared is each access through it."""
        i, v, adr = self.defined.get(reg, (None, None, False))
        if i is not None and adr and self.regs.get(reg) == v and self.rows[i][1] is not None:
            self.rows[i] = (self.rows[i][0], None)     # an ADR standing for an ADRP: no row
            return
        if i is not None and disp and self.regs.get(reg) == v and self.rows[i][1] is not None:
            off, (text, _names) = self.rows[i]
            self.rows[i] = (off, (text.split(" = ")[0] + " = anchor", None))

    def step(self, addr: int, m: str, op_str: str) -> None:
        if m in NOPS:
            return
        state = self.pending.pop(addr, None)
        earlier = self.incoming.get(addr)          # every branch here, backward ones too
        if state is not None or earlier is not None:
            # a block reached by branches (and by falling through, unless the instruction
            # before jumps away): what all of them agree on
            ways = [w for w in (state, earlier) if w is not None]
            if self.strict:
                if not self.after_jump:
                    ways.append(self.regs)
                self.regs = self.agree(ways)
            else:
                # the branches first: the fall-through may come from a call that does not
                # return (abort, __libc_message), dead code whose registers mean nothing
                merged = self.agree(ways)
                bad = {k for w in ways for k in w} - set(merged)
                if not self.after_jump:
                    merged.update({k: v for k, v in self.regs.items() if k not in merged and k not in bad})
                self.regs = merged
            state = self.regs
        elif self.after_jump and self.indirect is not None:
            # no branch reaches this block and nothing falls into it: a jump table's target,
            # which starts with what the registers held at the indirect jump
            self.regs = dict(self.indirect)
            state = self.regs
        self.after_jump = m in UNCONDITIONAL
        if m in INDIRECT_JUMPS and not self.stub:
            self.indirect = dict(self.regs) if self.indirect is None else self.agree([self.indirect, self.regs])
        ops = operands(op_str, self.a64)
        if state is not None:
            self.defined = {r: i for r, i in self.defined.items() if r in self.regs}
            self.absolute &= set(self.regs)
        if self.a64:
            self._a64(addr, m, op_str, ops)
        else:
            self._rv(addr, m, op_str, ops)

    def _frame_slot(self, slot):
        """The same stack slot named from the other base, once the frame record is set up
        (``mov x29, sp`` with sp not moved since): a spill through sp reloaded through x29."""
        if not self.fp_is_sp:
            return None
        base, off = slot
        return ({"sp": "x29", "x29": "sp"}.get(base), off)

    def _call(self) -> None:
        """A call: the registers the callee may change are no longer known."""
        for r in list(self.regs):
            if r in self.clobbered:
                del self.regs[r]

    def _dest(self, m: str, ops) -> str | None:
        return ops[0][1] if ops and ops[0][0] == "reg" and m not in A64_NO_DEST else None

    def _a64(self, addr: int, m: str, op_str: str, ops) -> None:
        rd = self._dest(m, ops)
        movz, self.movz = self.movz, None
        if m == "mov" and op_str == "x29, sp":
            self.fp_is_sp = True
        elif rd == "sp" or (m in ("stp", "ldp", "str", "ldr") and "[sp" in op_str and
                            (op_str.endswith("!") or "], #" in op_str)):
            self.fp_is_sp = False         # sp moved: SUB SP, a pre- or post-indexed access
        if m == "adrp" and len(ops) == 2 and ops[1][0] == "imm":
            self.regs[rd] = ops[1][1]
            return
        if m == "adr" and len(ops) == 2 and ops[1][0] == "imm":
            self.regs[rd] = ops[1][1]
            if not self.stub:
                # GNU ld relaxes ADRP to ADR when the page is near: then the register is a
                # base like ADRP's, and this row goes once it is used as one (see based)
                self.defined[rd] = (len(self.rows), ops[1][1], True)
                self.emit(addr, (f"{rd} = &{{}}", self.img.names_at(ops[1][1])))
            return
        if self.stub and m == "br" and ops:
            r = ops[0][1]
            if r in self.regs:
                self.jump = ("addr", self.regs[r])
            elif r in self.slots:
                self.jump = ("slot", self.slots[r])
            else:
                self.emit(addr, (m, None))
            return
        if self.stub and m in ("bti", "hint"):
            return
        if m == "b" and ops and ops[-1][0] == "imm" and not self.stub and \
                not self.start <= ops[-1][1] < self.end:
            moved = self.img.erratum_veneer(ops[-1][1], addr)
            if moved is not None:
                self.step(addr, *moved)
                return
        if (m in A64_BRANCHES or m.startswith("b.")) and ops and ops[-1][0] == "imm":
            head = op_str.rsplit(", ", 1)[0] if ", " in op_str else ""
            self.target(addr, f"{m} {head}".strip(), ops[-1][1])
            if m == "bl":
                self._call()
            return
        if (m == "add" and len(ops) == 3 and ops[2][0] == "imm" and ops[1][0] == "reg"
                and ops[1][1] in self.regs):
            dest = self.regs[ops[1][1]] + ops[2][1]
            self.based(ops[1][1], ops[2][1])
            self.address(addr, rd, dest, False, None)
            if not self.stub:
                self.regs[rd] = dest          # an address: accesses through it are resolved
            return
        mem = [o for o in ops if o[0] == "mem"]
        if len(mem) == 1 and mem[0][1] in ("sp", "x29") and mem[0][1] not in self.regs and ops[-1][0] == "mem" and \
                m in ("str", "stp", "ldr", "ldp", "stur", "ldur") and not op_str.endswith("!"):
            # a register spilled to the stack (or the frame) and loaded back keeps what it held
            regs = [o[1] for o in ops if o[0] == "reg"]
            for i, r in enumerate(regs):
                slot = (mem[0][1], mem[0][2] + 8 * i)
                if m.startswith("st"):
                    if r in self.regs:
                        self.spills[slot] = self.regs[r]
                    else:
                        self.spills.pop(slot, None)
                elif r.startswith("x") and (slot in self.spills or self._frame_slot(slot) in self.spills):
                    self.regs[r] = self.spills.get(slot, self.spills.get(self._frame_slot(slot)))
                    self.defined.pop(r, None)
                else:
                    self.regs.pop(r, None)
            self.emit(addr, (f"{m} {op_str}", None))
            return
        if len(mem) == 1 and mem[0][1] in self.regs and ops[-1][0] == "mem" and not op_str.endswith("!"):
            dest = self.regs[mem[0][1]] + mem[0][2]
            self.based(mem[0][1], mem[0][2])
            regs = ", ".join(o[1] for o in ops if o[0] == "reg")
            load = m.startswith("ld")
            self.address(addr, regs, dest, load, m)
            if load and not self.stub:
                for o in ops:
                    if o[0] == "reg":
                        self.regs.pop(o[1], None)
            return
        if m == "mov" and len(ops) == 2 and ops[1][0] == "reg" and ops[1][1] in self.regs:
            self.regs[rd] = self.regs[ops[1][1]]
            self.emit(addr, (f"{m} {op_str}", None))
            return
        if m == "ldr" and len(ops) == 2 and ops[1][0] == "imm":         # a literal
            data = self.img.read(ops[1][1], 8)
            self.emit(addr, (f"ldr {rd}, ={data!r}", None))
            self.regs.pop(rd, None)
            return
        if m == "movz" and len(ops) >= 2 and ops[1][0] == "imm":
            shift = int(ops[2][1].split("#")[-1], 0) if len(ops) > 2 and ops[2][0] == "other" else 0
            self.movz = (rd, ops[1][1] << shift)
            self.emit(addr, (f"{rd} = {{}}", self.img.const_names(self.movz[1])))
            self.regs.pop(rd, None)
            return
        if m == "movk" and movz is not None and movz[0] == rd and len(ops) >= 2 and ops[1][0] == "imm":
            # movz + movk: one constant (a relaxed TLS offset, say); compared as a whole
            shift = int(ops[2][1].split("#")[-1], 0) if len(ops) > 2 and ops[2][0] == "other" else 0
            v = movz[1] | ops[1][1] << shift
            self.movz = (rd, v)
            self.rows[-1] = (self.rows[-1][0], (f"{rd} = {{}}", self.img.const_names(v)))
            return
        if m == "blr":
            self._call()
        self.emit(addr, (f"{m} {op_str}", None))
        if rd is not None:
            self.regs.pop(rd, None)
            if m.startswith("ld") and len(ops) > 2 and ops[1][0] == "reg":
                self.regs.pop(ops[1][1], None)          # LDP, LDXP: two registers loaded

    def _rv(self, addr: int, m: str, op_str: str, ops) -> None:
        m = m.removeprefix("c.")
        regs = [o[1] for o in ops if o[0] == "reg"]
        imms = [o[1] for o in ops if o[0] == "imm"]
        mem = [o for o in ops if o[0] == "mem"]
        if m == "auipc" and regs and imms:
            self.regs[regs[0]] = addr + sext(imms[0] << 12, 32)
            return
        if m == "lui" and regs and imms:
            v = sext(imms[0] << 12, 32)
            if self.img.section_of(v) is not None or self.img.section_of(v + 0x800) is not None:
                self.regs[regs[0]] = v
                self.absolute.add(regs[0])
                return
        if m in RV_JUMPS and imms:
            rd = regs[0] if regs else ("zero" if m == "j" else "ra")
            self.target(addr, f"jump {rd} ->", addr + imms[-1])
            if rd != "zero":
                self._call()             # a call: the callee may change the argument registers
            return
        if m in RV_BRANCHES and imms:
            self.target(addr, f"{m} {', '.join(regs)}", addr + imms[-1])
            return
        if self.stub and m in RV_INDIRECT and regs and regs[-1] in self.slots:
            self.jump = ("slot", self.slots[regs[-1]])
            return
        if m in RV_INDIRECT and regs and regs[-1] in self.regs:
            rd = regs[0] if len(regs) == 2 else ("ra" if m == "jalr" else "zero")
            self.target(addr, f"jump {rd} ->", self.regs[regs[-1]] + (imms[0] if imms else 0))
            self.regs.pop(rd, None)
            if rd != "zero":
                self._call()
            return
        if m in ("addi", "mv") and len(regs) == 2 and regs[1] in self.regs:   # mv: addi rd, rs, 0
            dest = self.regs[regs[1]] + (imms[0] if imms else 0)
            self.based(regs[1], imms[0] if imms else 0)
            self.lui_based = regs[1] in self.absolute
            self.address(addr, regs[0], dest, False, None)
            self.lui_based = False
            if regs[0] != "gp" and not self.stub:
                self.regs[regs[0]] = dest     # an address: accesses through it are resolved
                if regs[1] in self.absolute:
                    self.absolute.add(regs[0])
                else:
                    self.absolute.discard(regs[0])
            return
        if mem and mem[0][1] in ("sp", "s0") and mem[0][1] not in self.regs and \
                (m in RV_STORES or m in RV_LOADS or m in RV_SP) and regs:
            # a register spilled to the stack (or the frame) and loaded back keeps what it held
            slot = (mem[0][1], mem[0][2])
            if m in RV_STORES or m.startswith("s"):
                if regs[0] in self.regs:
                    self.spills[slot] = self.regs[regs[0]]
                else:
                    self.spills.pop(slot, None)
            elif slot in self.spills and m in ("ld", "c.ld", "ldsp"):
                self.regs[regs[0]] = self.spills[slot]
                self.defined.pop(regs[0], None)
            else:
                self.regs.pop(regs[0], None)
            self.emit(addr, (f"{m} {op_str}", None))
            return
        if mem and mem[0][1] in self.regs:
            dest = self.regs[mem[0][1]] + mem[0][2]
            self.based(mem[0][1], mem[0][2])
            load = m in RV_LOADS or m.startswith("l")
            self.lui_based = mem[0][1] in self.absolute
            self.address(addr, regs[0] if regs else "", dest, load, m)
            self.lui_based = False
            if load and regs and not self.stub:
                self.regs.pop(regs[0], None)
            return
        self.emit(addr, (f"{m} {op_str}", None))
        if regs and m not in RV_STORES and m not in RV_BRANCHES and regs[0] != "gp":
            self.regs.pop(regs[0], None)
        if m in ("jalr", "jal"):
            self._call()


# -- the comparison ------------------------------------------------------------------------------

class Report:
    def __init__(self, a: Image, b: Image):
        self.a, self.b = a, b
        self.lines: list[str] = []
        self.compared = Counter()

    def add(self, where: str, x: str, y: str) -> None:
        self.lines.append(f"{self.a.path}:{where}: A says {x}, B says {y}")


def _by_name(img: Image, types: tuple[str, ...]) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for v, size, name, typ in img.syms:
        if typ in types and size:
            out.setdefault(name, []).append((v, size))
    return out


def _pairs(r: Report, name: str, xs: list, ys: list, cost, limit: int = 400) -> list:
    """Match the definitions of a name that several local symbols share: the pairs that
    compare equal first, then the rest in address order."""
    if len(xs) == 1 and len(ys) == 1:
        return [(xs[0], ys[0])]
    if len(xs) * len(ys) > limit:               # many copies: by address order
        return list(zip(xs, ys))
    left, right, out = list(xs), list(ys), []
    for x in xs:
        for y in right:
            if cost(x, y) == 0:
                out.append((x, y))
                left.remove(x)
                right.remove(y)
                break
    for x in list(left):                         # the rest: each to its closest
        if not right:
            break
        y = min(right, key=lambda y: cost(x, y))
        out.append((x, y))
        right.remove(y)
    return out


def render(row) -> str:
    text, names = row
    return text.format(show(names)) if names is not None else text


def _same(x, y) -> bool:
    """Two rows mean the same: same text, and their targets (sets of names) share a name."""
    return x[0] == y[0] and (x[1] is None) == (y[1] is None) and (x[1] is None or bool(x[1] & y[1]))


def function_diff(r: Report, name: str, a, b) -> list[tuple[str, str, str]]:
    """How two functions differ: nothing when they compare equal with the registers
    followed either way (optimistically, then strictly: each way is an approximation of
    what the code computes, and a real difference — another target, another page — shows
    in both); else the differences the optimistic way finds."""
    out = _body_diff_as(r, name, a, b, False)
    if not out or not _body_diff_as(r, name, a, b, True):
        return []
    # row by row, when both walks give rows that line up: a row is equal when either walk
    # finds it equal
    (va, sa), (vb, sb) = a, b
    ra, rb = r.a.body_cached(va, sa), r.b.body_cached(vb, sb)
    sa_, sb_ = r.a.body_cached(va, sa, True), r.b.body_cached(vb, sb, True)
    if len(ra) == len(rb) == len(sa_) == len(sb_):
        bad = [k for k in range(len(ra)) if not _same(ra[k][1], rb[k][1]) and not _same(sa_[k][1], sb_[k][1])]
        return [(f"{name}+0x{ra[k][0]:x}", repr(render(ra[k][1])), repr(render(rb[k][1])))
                for k in bad[:MAX_PER_FUNCTION]]
    return out


def _body_diff_as(r: Report, name: str, a, b, strict: bool) -> list[tuple[str, str, str]]:
    (va, sa), (vb, sb) = a, b
    ra, rb = r.a.body_cached(va, sa, strict), r.b.body_cached(vb, sb, strict)
    ta, tb = [t for _, t in ra], [t for _, t in rb]
    if len(ta) == len(tb) and all(_same(x, y) for x, y in zip(ta, tb)):
        return []
    out = []
    sm = difflib.SequenceMatcher(None, [t[0] for t in ta], [t[0] for t in tb], autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            bad = [k for k in range(i2 - i1) if not _same(ta[i1 + k], tb[j1 + k])]
            for k in bad[:MAX_PER_FUNCTION]:
                out.append((f"{name}+0x{ra[i1 + k][0]:x}", repr(render(ta[i1 + k])),
                            repr(render(tb[j1 + k]))))
        else:
            off = ra[i1][0] if i1 < len(ra) else sa
            x = "; ".join(map(render, ta[i1:i2][:3])) or "nothing"
            y = "; ".join(map(render, tb[j1:j2][:3])) or "nothing"
            out.append((f"{name}+0x{off:x}", repr(x), repr(y)))
        if len(out) >= MAX_PER_FUNCTION:
            break
    return out[:MAX_PER_FUNCTION]


def compare_functions(r: Report) -> None:
    types = ("STT_FUNC", "STT_GNU_IFUNC")
    fa, fb = _by_name(r.a, types), _by_name(r.b, types)
    for f in (fa, fb):              # a linker's own veneers, followed where they are used
        for name in [n for n in f if n.startswith(ERRATUM_VENEERS)]:
            del f[name]
    for name in sorted(fa):
        if name not in fb:
            r.add(name, "a function", "nothing of that name")
            continue
        for x, y in _pairs(r, name, fa[name], fb[name],
                           lambda x, y: len(function_diff(r, name, x, y))):
            r.compared["functions"] += 1
            r.compared["instructions"] += len(r.a.body_cached(*x))
            for line in function_diff(r, name, x, y):
                r.add(*line)
    for name in sorted(set(fb) - set(fa)):
        r.add(name, "nothing of that name", "a function")


def _object_diff(r: Report, name: str, a, b) -> list[tuple[str, str, str]]:
    (va, sa), (vb, sb) = a, b
    if sa != sb:
        return [(name, f"size {sa}", f"size {sb}")]
    da, db = r.a.read(va, sa), r.b.read(vb, sb)
    if da is None or db is None or da == db:
        if (da is None) != (db is None):
            return [(name, "no contents" if da is None else "contents",
                     "no contents" if db is None else "contents")]
        return []
    out = []
    for off in range(0, sa, 8):
        wa, wb = da[off:off + 8], db[off:off + 8]
        if wa == wb:
            continue
        if len(wa) == 8 and va % 8 == 0 and vb % 8 == 0:
            na, nb = r.a.word(va + off, wa), r.b.word(vb + off, wb)
            if na & nb or _same_stub(r, wa, wb):
                continue
            out.append((f"{name}+0x{off:x}", show(na), show(nb)))
        else:
            out.append((f"{name}+0x{off:x}", wa.hex(), wb.hex()))
        if len(out) >= MAX_PER_FUNCTION:
            break
    return out


def compare_objects(r: Report) -> None:
    oa, ob = _by_name(r.a, ("STT_OBJECT",)), _by_name(r.b, ("STT_OBJECT",))
    for name in sorted(set(oa) & set(ob)):
        for x, y in _pairs(r, name, oa[name], ob[name], lambda x, y: len(_object_diff(r, name, x, y)), limit=1 << 30):
            r.compared["objects"] += 1
            for line in _object_diff(r, name, x, y):
                r.add(*line)


def _same_stub(r: Report, wa: bytes, wb: bytes) -> bool:
    return bool(r.a.follow(int.from_bytes(wa, "little")) & r.b.follow(int.from_bytes(wb, "little")))


def compare_sections(r: Report) -> None:
    sa = {n for n in r.a.sec_names if n not in SYNTHETIC and not n.startswith(".note")}
    sb = {n for n in r.b.sec_names if n not in SYNTHETIC and not n.startswith(".note")}
    for n in sorted(sa - sb):
        r.add(f"section {n}", "present", "absent")
    for n in sorted(sb - sa):
        r.add(f"section {n}", "absent", "present")


def compare_entry(r: Report) -> None:
    ea, eb = r.a.elf.header["e_entry"], r.b.elf.header["e_entry"]
    na, nb = r.a.names_at(ea), r.b.names_at(eb)
    if not na & nb:
        r.add("entry point", show(na), show(nb))


def _dynamic(img: Image):
    needed, syms = [], set()
    dyn = img.elf.get_section_by_name(".dynamic")
    if dyn is not None:
        needed = [t.needed for t in dyn.iter_tags() if t.entry.d_tag == "DT_NEEDED"]
    ds = img.elf.get_section_by_name(".dynsym")
    if ds is not None:
        for s in ds.iter_symbols():
            if s.name:
                syms.add((s.name, "undefined" if s["st_shndx"] == "SHN_UNDEF" else "defined"))
    return needed, syms


def _exported_only(img: Image, other: Image, name: str, how: str, other_dyn: set) -> bool:
    """A symbol one *executable* exports and the other defines without exporting: equal.
    An executable's .dynsym needs only what its libraries refer to (both link the same
    libraries); GNU ld also exports, from a riscv64 PIE, what the code reaches through the
    GOT (crt1.o's ``main``), which nothing looks up. Not so for a shared library, whose
    exports are its interface."""
    if how != "defined" or (name, "undefined") in other_dyn or not img.is_executable or not other.is_executable:
        return False
    return any(n == name for _v, _s, n, _t in other.syms)


def compare_dynamic(r: Report) -> None:
    na, ya = _dynamic(r.a)
    nb, yb = _dynamic(r.b)
    if na != nb:
        r.add("DT_NEEDED", str(na), str(nb))
    for name, how in sorted(ya - yb):
        if _exported_only(r.a, r.b, name, how, yb):
            continue
        r.add(f"dynamic symbol {name}", how, "absent" if (name, "defined") not in yb and
              (name, "undefined") not in yb else "the other")
    for name, how in sorted(yb - ya):
        if _exported_only(r.b, r.a, name, how, ya):
            continue
        if (name, "defined") not in ya and (name, "undefined") not in ya:
            r.add(f"dynamic symbol {name}", "absent", how)
    for t in sorted(set(r.a.dyn_types) | set(r.b.dyn_types)):
        if r.a.dyn_types[t] != r.b.dyn_types[t]:
            r.add(f"dynamic relocations {t}", str(r.a.dyn_types[t]), str(r.b.dyn_types[t]))


def diff(path_a: str, path_b: str) -> Report:
    a, b = Image(path_a), Image(path_b)
    if a.machine != b.machine:
        raise DiffError(f"{path_b}: not the same machine as {path_a}")
    r = Report(a, b)
    compare_sections(r)
    compare_entry(r)
    compare_functions(r)
    compare_objects(r)
    compare_dynamic(r)
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="xld diff", description=__doc__.split("\n\n")[0])
    ap.add_argument("a", help="the first executable (e.g. xld's)")
    ap.add_argument("b", help="the second executable (e.g. GNU ld's)")
    ap.add_argument("-q", "--quiet", action="store_true", help="only the exit status")
    ns = ap.parse_args(argv)
    try:
        r = diff(ns.a, ns.b)
    except DiffError as e:
        print(f"xld: error: {e}", file=sys.stderr)
        return 1
    if not ns.quiet:
        for line in r.lines:
            print(line)
        c = r.compared
        print(f"{'equivalent' if not r.lines else f'{len(r.lines)} differences'}: "
              f"{c['functions']} functions ({c['instructions']} instructions), "
              f"{c['objects']} data objects compared", file=sys.stderr)
    return 1 if r.lines else 0


if __name__ == "__main__":
    sys.exit(main())
