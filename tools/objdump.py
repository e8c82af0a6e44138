"""``xld objdump``: section headers, symbols, relocations and disassembly, like GNU objdump.

    xld objdump -h FILE     section headers (Idx Name Size VMA LMA File off Algn + flags)
    xld objdump -t FILE     symbol table     (value, flag columns, section, size, name)
    xld objdump -r FILE     relocation records of a relocatable object
    xld objdump -d FILE     disassembly of the executable sections, with capstone
                            (AArch64; RISC-V 64 with the C extension), one block per symbol;
                            with -r the relocations are shown under the instructions they patch

The layout is GNU objdump's, so the output can be read side by side with
``aarch64-linux-gnu-objdump``; instruction text is capstone's (e.g. ``c.addi`` rather than
GNU's ``addi`` for compressed RISC-V instructions, and hex immediates).
pyelftools reads the file, so the tool is an independent check of what xld writes.
"""
from __future__ import annotations

import argparse
import bisect
import io
import re
import sys

import capstone
from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from elftools.elf.sections import SymbolTableSection

from xld.tools.nm import is_special

SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR, SHF_TLS = 0x1, 0x2, 0x4, 0x400
SHF_EXCLUDE = 0x80000000
EM_AARCH64, EM_RISCV = 183, 243

FORMAT = {EM_AARCH64: "elf64-littleaarch64", EM_RISCV: "elf64-littleriscv"}
HIDDEN_TYPES = {"SHT_NULL", "SHT_SYMTAB", "SHT_STRTAB", "SHT_RELA", "SHT_REL"}

class ObjdumpError(Exception):
    pass


def reloc_name(elf: ELFFile, rtype: int) -> str:
    """The psABI name of a relocation type, from xld's own backend tables."""
    from xld.arch import by_machine
    arch = by_machine(machine(elf))
    return arch.reloc_name(rtype) if arch is not None else str(rtype)


def machine(elf: ELFFile) -> int:
    return elf.header["e_machine"] if isinstance(elf.header["e_machine"], int) else {
        "EM_AARCH64": EM_AARCH64, "EM_RISCV": EM_RISCV}.get(elf.header["e_machine"], 0)


def sections(elf: ELFFile):
    """``(index, section)`` of what objdump -h lists."""
    for i, sec in enumerate(elf.iter_sections()):
        if sec["sh_type"] in HIDDEN_TYPES and not sec["sh_flags"] & SHF_ALLOC:
            continue
        yield i, sec


def _reloc_targets(elf: ELFFile) -> dict[int, RelocationSection]:
    out = {}
    for sec in elf.iter_sections():
        if isinstance(sec, RelocationSection) and sec["sh_flags"] & SHF_ALLOC == 0:
            out[sec["sh_info"]] = sec
    return out


def section_flags(elf: ELFFile, idx: int, sec, relocated: set[int]) -> str:
    f = sec["sh_flags"]
    nobits = sec["sh_type"] == "SHT_NOBITS"
    words = []
    if not nobits:
        words.append("CONTENTS")
    if f & SHF_ALLOC:
        words.append("ALLOC")
        if not nobits:
            words.append("LOAD")
    if idx in relocated:
        words.append("RELOC")
    if not f & SHF_WRITE and not nobits:
        words.append("READONLY")
    if f & SHF_EXECINSTR:
        words.append("CODE")
    elif f & SHF_ALLOC and not nobits:
        words.append("DATA")
    if f & SHF_TLS:
        words.append("THREAD_LOCAL")
    if sec.name.startswith((".debug", ".zdebug")):
        words.append("DEBUGGING")
    if f & SHF_EXCLUDE:
        words.append("EXCLUDE")
    return ", ".join(words)


def print_headers(elf: ELFFile, out) -> None:
    relocated = set(_reloc_targets(elf))
    print("Sections:", file=out)
    print("Idx Name          Size      VMA               LMA               File off  Algn",
          file=out)
    for n, (i, sec) in enumerate(sections(elf)):
        align = max(sec["sh_addralign"], 1)
        log2 = align.bit_length() - 1
        addr = sec["sh_addr"]
        print(f"{n:3d} {sec.name:<13} {sec['sh_size']:08x}  {addr:016x}  {addr:016x}  "
              f"{sec['sh_offset']:08x}  2**{log2}", file=out)
        print(f"{'':18}{section_flags(elf, i, sec, relocated)}", file=out)


def _symtab(elf: ELFFile):
    tab = elf.get_section_by_name(".symtab")
    return tab if isinstance(tab, SymbolTableSection) else None


def _sec_name(elf: ELFFile, shndx) -> str:
    if shndx == "SHN_UNDEF":
        return "*UND*"
    if shndx == "SHN_ABS":
        return "*ABS*"
    if shndx == "SHN_COMMON":
        return "*COM*"
    if isinstance(shndx, int) and shndx < elf.num_sections():
        return elf.get_section(shndx).name
    return f"*{shndx}*"


def symbol_flags(sym) -> str:
    bind = sym["st_info"]["bind"]
    stype = sym["st_info"]["type"]
    undefined = sym["st_shndx"] == "SHN_UNDEF"
    common = sym["st_shndx"] == "SHN_COMMON"
    c1 = {"STB_LOCAL": "l", "STB_GLOBAL": " " if undefined or common else "g",
          "STB_WEAK": " ", "STB_LOOS": "u"}.get(bind, "?")
    c2 = "w" if bind == "STB_WEAK" else " "
    c5 = "i" if stype in ("STT_GNU_IFUNC", "STT_LOOS") else " "
    c6 = "d" if stype in ("STT_SECTION", "STT_FILE") else " "
    c7 = {"STT_FUNC": "F", "STT_GNU_IFUNC": "F", "STT_FILE": "f",
          "STT_OBJECT": "O"}.get(stype, " ")
    return f"{c1}{c2}  {c5}{c6}{c7}"


def print_symbols(elf: ELFFile, out) -> None:
    print("SYMBOL TABLE:", file=out)
    tab = _symtab(elf)
    if tab is None:
        print("no symbols", file=out)
        return
    for i, sym in enumerate(tab.iter_symbols()):
        if i == 0:
            continue
        name = sym.name
        if is_special(name):
            continue    # mapping symbols and .L temporaries, as GNU objdump hides them
        if sym["st_info"]["type"] != "STT_SECTION" and not name and machine(elf) == EM_RISCV:
            continue    # GNU objdump shows ld's nameless FILE symbol for arm64, not for riscv
        if not name and sym["st_info"]["type"] == "STT_SECTION":
            name = _sec_name(elf, sym["st_shndx"])
        value, size = sym["st_value"], sym["st_size"]
        if sym["st_shndx"] == "SHN_COMMON":
            value, size = size, value        # GNU shows a common's size, then its alignment
        vis = sym["st_other"]["visibility"]
        extra = {"STV_HIDDEN": ".hidden ", "STV_PROTECTED": ".protected ",
                 "STV_INTERNAL": ".internal "}.get(vis, "")
        print(f"{value:016x} {symbol_flags(sym)} {_sec_name(elf, sym['st_shndx'])}\t"
              f"{size:016x} {extra}{name}", file=out)


def _relocs_of(elf: ELFFile, relsec: RelocationSection):
    """``(offset, type name, target text)`` of every relocation in ``relsec``."""
    symtab = elf.get_section(relsec["sh_link"])
    for r in relsec.iter_relocations():
        symidx = r["r_info_sym"]
        target = ""
        if symidx and isinstance(symtab, SymbolTableSection):
            s = symtab.get_symbol(symidx)
            target = s.name or (_sec_name(elf, s["st_shndx"])
                                if s["st_info"]["type"] == "STT_SECTION" else "")
        if relsec.is_RELA():
            a = r["r_addend"]
            if a:
                target += f"+0x{a:x}" if a > 0 else f"-0x{-a:x}"
            elif not target:
                target = "*ABS*"
        yield r["r_offset"], reloc_name(elf, r["r_info_type"]), target


def print_relocs(elf: ELFFile, out) -> None:
    for idx, relsec in sorted(_reloc_targets(elf).items()):
        target = elf.get_section(idx)
        print(f"RELOCATION RECORDS FOR [{target.name}]:", file=out)
        print(f"{'OFFSET':<16} {'TYPE':<24} VALUE", file=out)
        for off, name, value in _relocs_of(elf, relsec):
            print(f"{off:016x} {name:<24} {value}", file=out)
        print(file=out)


# --- disassembly ---------------------------------------------------------------------------

def _disassembler(elf: ELFFile):
    m = machine(elf)
    if m == EM_AARCH64:
        return capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    if m == EM_RISCV:
        return capstone.Cs(capstone.CS_ARCH_RISCV,
                           capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)
    raise ObjdumpError(f"can't disassemble for architecture {elf['e_machine']}")


class Labels:
    """Symbols of one section that head disassembly blocks, and the nearest one for a target
    address (``<sym+0x10>``). Addresses here are offsets into the section."""

    def __init__(self, elf: ELFFile, idx: int, sec, relocatable: bool):
        self.base = 0 if relocatable else sec["sh_addr"]
        self.size = sec["sh_size"]
        entries = {}
        self.mapping: list[tuple[int, str]] = []   # ($x | $d, address), sorted
        tab = _symtab(elf)
        if tab is not None:
            for sym in tab.iter_symbols():
                if sym["st_shndx"] != idx or not sym.name:
                    continue
                stype = sym["st_info"]["type"]
                if stype in ("STT_SECTION", "STT_FILE"):
                    continue
                addr = sym["st_value"] - self.base     # offset in the section
                if sym.name.startswith(("$x", "$d")):
                    self.mapping.append((addr, sym.name[:2]))
                    continue
                if sym.name.endswith(" ") or (is_special(sym.name)
                                              and not sym.name.startswith(".L")):
                    continue    # assembler temporaries like RISC-V's ".L0 "
                bind = sym["st_info"]["bind"]
                rank = (stype in ("STT_FUNC", "STT_GNU_IFUNC"),
                        bind != "STB_WEAK",
                        not sym.name.startswith(".L"))
                # GNU objdump's choice among aliases: functions, then not weak, then the
                # name that sorts first
                key = (rank, (*(-b for b in sym.name.encode()), 0))
                if addr not in entries or key > entries[addr][0]:
                    entries[addr] = (key, sym.name)
        self.mapping.sort()
        self.mapping_addrs = [a for a, _ in self.mapping]
        self.addrs = sorted(entries)
        self.names = [entries[a][1] for a in self.addrs]
        self.at = dict(zip(self.addrs, self.names))

    def near(self, addr: int) -> str | None:
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i < 0 or addr > self.size:
            return None
        off = addr - self.addrs[i]
        return self.names[i] if off == 0 else f"{self.names[i]}+0x{off:x}"

    def is_data(self, addr: int) -> tuple[bool, int]:
        """Whether ``addr`` lies in a $d range, and where the current range ends."""
        keys = self.mapping_addrs
        i = bisect.bisect_right(keys, addr) - 1
        end = keys[i + 1] if i + 1 < len(keys) else None
        if i < 0:
            return False, keys[0] if keys else None
        return self.mapping[i][1] == "$d", end


ARM64_BRANCHES = re.compile(r"^(b|bl|b\..*|cbn?z|tbn?z|adrp?)$")
RISCV_BRANCHES = re.compile(r"^(c\.)?(j|jal|beq|bne|blt|bge|bltu|bgeu|beqz|bnez|blez|bgez|"
                            r"bltz|bgtz|bgt|ble|bgtu|bleu)$")
_LAST_IMM = re.compile(r"(#?)(-?0x[0-9a-f]+|-?\d+)$")


class FileSymbols:
    """All named symbols of an executable by address, for targets in other sections."""

    def __init__(self, elf: ELFFile):
        entries = {}
        tab = _symtab(elf)
        for sym in tab.iter_symbols() if tab is not None else ():
            if (not sym.name or is_special(sym.name) or sym["st_shndx"] == "SHN_UNDEF"
                    or sym["st_info"]["type"] in ("STT_SECTION", "STT_FILE")):
                continue
            entries.setdefault(sym["st_value"], sym.name)
        self.addrs = sorted(entries)
        self.names = [entries[a] for a in self.addrs]

    def near(self, addr: int) -> str | None:
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i < 0:
            return None
        off = addr - self.addrs[i]
        return self.names[i] if off == 0 else f"{self.names[i]}+0x{off:x}"


_FILE_SYMBOLS: dict[int, FileSymbols] = {}


def _file_symbols(elf: ELFFile) -> FileSymbols:
    key = id(elf)
    if key not in _FILE_SYMBOLS:
        _FILE_SYMBOLS.clear()
        _FILE_SYMBOLS[key] = FileSymbols(elf)
    return _FILE_SYMBOLS[key]


_AUIPC = re.compile(r"^(\w+), (0x[0-9a-f]+|\d+)$")
_BASE_IMM = re.compile(r"^(\w+), (?:(\w+), )?(-?0x[0-9a-f]+|-?\d+)(?:\((\w+)\))?$")


class AuipcTracker:
    """GNU objdump's ``# 11344 <put_num>`` after the instruction that completes an
    ``auipc`` pair (addi, jalr, loads and stores through the auipc's register)."""

    def __init__(self, gp: int | None = None):
        self.regs: dict[str, int] = {}
        self.gp = gp          # __global_pointer$: gp-relative accesses get a comment too
        if gp is not None:
            self.regs["gp"] = gp

    def comment(self, insn) -> int | None:
        mn, ops = insn.mnemonic, insn.op_str
        if mn == "auipc":
            m = _AUIPC.match(ops)
            if m:
                hi = int(m.group(2), 0) & 0xFFFFF
                hi = hi - (1 << 20) if hi & (1 << 19) else hi
                self.regs[m.group(1)] = insn.address + (hi << 12)
            return None
        m = _BASE_IMM.match(ops)
        target = None
        if m:
            rd, rs, imm, base = m.groups()
            src = base or rs
            if src in self.regs and (base or mn in ("addi", "jalr")):
                target = self.regs[src] + int(imm, 0)
            if rd in self.regs and not (mn.startswith("s") and base):   # rd overwritten
                del self.regs[rd]
        else:
            first = ops.split(",")[0].strip()
            self.regs.pop(first, None)
        if self.gp is not None:
            self.regs["gp"] = self.gp
        return target


def _annotate(m: int, insn, labels: Labels, base: int) -> str:
    ops = insn.op_str
    mn = insn.mnemonic
    if m == EM_AARCH64 and ARM64_BRANCHES.match(mn):
        mt = _LAST_IMM.search(ops)
        if mt:
            target = int(mt.group(2), 0)
            name = labels.near(target - base)
            return f"{ops} <{name}>" if name else ops
    if m == EM_RISCV and RISCV_BRANCHES.match(mn):
        mt = _LAST_IMM.search(ops)
        if mt:
            target = insn.address + int(mt.group(2), 0)
            ops = ops[:mt.start()] + f"0x{target:x}"
            name = labels.near(target - base)
            return f"{ops} <{name}>" if name else ops
    return ops


def _addr_skip(vma_end: int, vma: int) -> int:
    """How many leading hex digits of 16 objdump drops from addresses (chunks of 4, always
    leaving one zero), so `   0:` in objects and `  400144:` in executables."""
    buf = f"{vma_end:016x}"
    skip = len(buf) - len(buf.lstrip("0"))
    if skip == len(buf) and vma != 0:
        skip = 0
    if skip:
        skip = (skip - 1) & -4
    return skip


def _fmt_addr(addr: int, skip: int) -> str:
    s = f"{addr:016x}"[skip:]
    t = s.lstrip("0")
    return " " * (len(s) - len(t)) + t if t else " " * (len(s) - 1) + "0"


def _hexbytes(m: int, code: bytes) -> str:
    if m == EM_RISCV:
        v = int.from_bytes(code, "little")
        return f"{v:04x}" + " " * 16 if len(code) == 2 else f"{v:08x}" + " " * 10
    return f"{int.from_bytes(code, 'little'):08x} " if len(code) == 4 else code.hex() + " "


def _skip_zeros(data: bytes, pos: int, stop: int) -> int:
    """How many zero bytes at ``pos`` GNU objdump would print as ``...``: a run of 8 or more
    (in multiples of 4 unless it runs to ``stop``), or a run of 1-2 bytes that ends at
    ``stop`` (the next symbol or the end of the section); 0 otherwise."""
    z = pos
    while z < stop and data[z] == 0:
        z += 1
    n = z - pos
    if n >= 8 or (z == stop and n < 3):
        return n if z == stop else n & ~3
    return 0


def disassemble_section(elf: ELFFile, idx: int, sec, out, relocs=None) -> None:
    m = machine(elf)
    md = _disassembler(elf)
    relocatable = elf["e_type"] == "ET_REL"
    labels = Labels(elf, idx, sec, relocatable)
    data = sec.data()
    vma = sec["sh_addr"]
    skip = _addr_skip(vma + len(data), vma)
    rel_at: dict[int, list[tuple[str, str]]] = {}
    for off, name, value in relocs or ():
        rel_at.setdefault(off, []).append((name, value))
    print(f"\nDisassembly of section {sec.name}:", file=out)
    pos = 0
    step = 2 if m == EM_RISCV else 4

    def emit(addr_off: int, code: bytes, text: str) -> None:
        if addr_off in labels.at:
            print(f"\n{vma + addr_off:016x} <{labels.at[addr_off]}>:", file=out)
        print(f"{_fmt_addr(vma + addr_off, skip)}:\t{_hexbytes(m, code)}\t{text}".rstrip(),
              file=out)
        for o in range(addr_off, addr_off + len(code)):
            for name, value in rel_at.get(o, ()):
                print(f"\t\t\t{_fmt_addr(vma + o, skip)}: {name}\t{value}", file=out)

    auipc = None
    if m == EM_RISCV:
        gp = None
        tab = _symtab(elf)
        if tab is not None and not relocatable:
            found = tab.get_symbol_by_name("__global_pointer$")
            gp = found[0]["st_value"] if found else None
        auipc = AuipcTracker(gp)
    while pos < len(data):
        in_data, end = labels.is_data(pos)
        stop = len(data) if end is None or end <= pos else min(end, len(data))
        i = bisect.bisect_right(labels.addrs, pos)
        nxt = labels.addrs[i:i + 1]
        if in_data:
            while pos < stop:
                n = 4 if stop - pos >= 4 and pos % 4 == 0 else 1
                chunk = data[pos:pos + n]
                word = int.from_bytes(chunk, "little")
                emit(pos, chunk, f".word\t0x{word:08x}" if n == 4 else f".byte\t0x{word:02x}")
                pos += n
            continue
        chunk_end = min(stop, nxt[0]) if nxt else stop
        skipped = False
        for insn in md.disasm(data[pos:chunk_end], vma + pos):
            if data[pos] == 0 and _skip_zeros(data, pos, chunk_end):
                skipped = True
                break
            ops = _annotate(m, insn, labels, 0 if relocatable else vma)
            if auipc is not None:
                target = auipc.comment(insn)
                if target is not None:
                    name = labels.near(target - (0 if relocatable else vma))
                    if name is None and not relocatable:
                        name = _file_symbols(elf).near(target)
                    ops += f" # 0x{target:x}" + (f" <{name}>" if name else "")
            emit(pos, bytes(insn.bytes), f"{insn.mnemonic}\t{ops}")
            pos += insn.size
        if pos < chunk_end and data[pos] == 0 and (skipped or _skip_zeros(data, pos, chunk_end)):
            print("\t...", file=out)
            pos += _skip_zeros(data, pos, chunk_end)
            continue
        if pos >= chunk_end:
            continue
        # capstone stopped: an undecodable unit (data or an unknown extension).
        n = step
        if m == EM_RISCV and len(data) - pos >= 4 and data[pos] & 3 == 3:
            n = 4
        n = min(n, len(data) - pos)
        chunk = data[pos:pos + n]
        emit(pos, chunk, "(bad)" if m == EM_RISCV else
             f".inst\t0x{int.from_bytes(chunk, 'little'):08x} ; undefined")
        pos += n


def print_disassembly(elf: ELFFile, out, with_relocs: bool = False,
                      only: list[str] | None = None) -> None:
    targets = _reloc_targets(elf) if with_relocs else {}
    for idx, sec in sections(elf):
        if not sec["sh_flags"] & SHF_EXECINSTR or sec["sh_type"] == "SHT_NOBITS":
            continue
        if only and sec.name not in only:
            continue
        relocs = list(_relocs_of(elf, targets[idx])) if idx in targets else None
        disassemble_section(elf, idx, sec, out, relocs)


def dump(path: str, opts, out) -> None:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ObjdumpError(f"'{path}': {e.strerror}") from None
    try:
        elf = ELFFile(io.BytesIO(data))
        fmt = FORMAT.get(machine(elf), f"elf64-{elf['e_machine']}")
        print(f"\n{path}:     file format {fmt}\n", file=out)
        if opts.file_headers:
            print(f"architecture: {'aarch64' if machine(elf) == EM_AARCH64 else 'riscv:rv64'}"
                  f", start address 0x{elf['e_entry']:016x}\n", file=out)
        if opts.headers:
            print_headers(elf, out)
        if opts.syms:
            print_symbols(elf, out)
            print("\n", file=out)
        if opts.reloc and not opts.disassemble:
            print_relocs(elf, out)
        if opts.disassemble:
            print_disassembly(elf, out, opts.reloc, opts.section)
    except ELFError as e:
        raise ObjdumpError(f"{path}: file format not recognized ({e})") from None
    except ObjdumpError:
        raise
    except Exception as e:  # noqa: BLE001 - pyelftools raises many kinds on broken input
        raise ObjdumpError(f"{path}: malformed ELF file ({type(e).__name__}: {e})") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="xld objdump", add_help=False,
                                description="Display information from ELF files.")
    p.add_argument("-d", "--disassemble", action="store_true",
                   help="disassemble executable sections")
    p.add_argument("-h", "--section-headers", "--headers", dest="headers",
                   action="store_true", help="section headers")
    p.add_argument("-t", "--syms", dest="syms", action="store_true", help="symbol table")
    p.add_argument("-r", "--reloc", dest="reloc", action="store_true",
                   help="relocations (inline with -d)")
    p.add_argument("-f", "--file-headers", dest="file_headers", action="store_true")
    p.add_argument("-j", "--section", action="append", help="only this section (with -d)")
    p.add_argument("--help", action="help", help="show this help and exit")
    p.add_argument("files", nargs="*", default=["a.out"], metavar="FILE")
    return p


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    opts = parser.parse_args(args)
    if not (opts.disassemble or opts.headers or opts.syms or opts.reloc or opts.file_headers):
        parser.print_usage(sys.stderr)
        print("xld objdump: error: give at least one of -d -h -t -r -f", file=sys.stderr)
        return 2
    status = 0
    for path in opts.files:
        try:
            dump(path, opts, sys.stdout)
        except ObjdumpError as e:
            print(f"xld objdump: {e}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
