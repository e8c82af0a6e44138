"""``xld nm``: list the symbols of ELF files, like GNU nm.

Reads relocatable objects, executables and ``ar`` archives through pyelftools, an
independent reader of what xld writes. Output lines are GNU nm's: ``ADDR T name``, with
the address left blank for undefined symbols.

Type letters (upper case: global, lower case: local)::

    U undefined            w/W weak (undefined / defined)    v/V weak object
    T text (executable)    D data (writable)                 B bss (no bits)
    R read-only data       A absolute                        C common
    N debug / other non-allocated section                    i GNU ifunc
"""
from __future__ import annotations

import argparse
import io
import sys

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4


def _section_letter(elf: ELFFile, shndx) -> str:
    if shndx == "SHN_UNDEF":
        return "U"
    if shndx == "SHN_ABS":
        return "A"
    if shndx == "SHN_COMMON":
        return "C"
    if not isinstance(shndx, int) or shndx >= elf.num_sections():
        return "?"
    sec = elf.get_section(shndx)
    flags = sec["sh_flags"]
    if not flags & SHF_ALLOC:
        return "N"
    if flags & SHF_EXECINSTR:
        return "T"
    if sec["sh_type"] == "SHT_NOBITS":
        return "B"
    if flags & SHF_WRITE:
        return "D"
    return "R"


def symbol_letter(elf: ELFFile, sym) -> str:
    """The one-letter class GNU nm prints for ``sym``."""
    bind = sym["st_info"]["bind"]
    stype = sym["st_info"]["type"]
    shndx = sym["st_shndx"]
    if stype == "STT_GNU_IFUNC" or stype == "STT_LOOS":
        return "i"
    if bind == "STB_WEAK":
        if shndx == "SHN_UNDEF":
            return "v" if stype == "STT_OBJECT" else "w"
        return "V" if stype == "STT_OBJECT" else "W"
    letter = _section_letter(elf, shndx)
    if bind == "STB_GNU_UNIQUE" or bind == "STB_LOOS":
        return "u"
    if bind == "STB_LOCAL" and letter not in "U?":
        letter = letter.lower()
    return letter


def is_special(name: str) -> bool:
    """Mapping symbols ($x, $d, $xrv64i...) and assembler temporaries (.L...), which GNU nm
    hides unless asked (-a)."""
    if name.startswith(("$x", "$d", "$a", "$t")):
        return True
    return name.startswith(".L")


def symbols(elf: ELFFile, special: bool = False):
    """Yield ``(value, letter, name, sym)`` for the symbols nm shows by default."""
    tab = elf.get_section_by_name(".symtab")
    if not isinstance(tab, SymbolTableSection):
        return
    for i, sym in enumerate(tab.iter_symbols()):
        if i == 0:
            continue
        stype = sym["st_info"]["type"]
        if stype in ("STT_SECTION", "STT_FILE"):
            continue
        if not sym.name or (not special and is_special(sym.name)):
            continue
        value = sym["st_size"] if sym["st_shndx"] == "SHN_COMMON" else sym["st_value"]
        yield value, symbol_letter(elf, sym), sym.name, sym     # GNU shows a common's size


def _archive_members(data: bytes):
    """Yield ``(member name, bytes)`` of a System V / GNU ``ar`` archive."""
    pos = 8
    longnames = b""
    while pos + 60 <= len(data):
        hdr = data[pos:pos + 60]
        name = hdr[:16].decode("ascii", "replace").rstrip()
        size = int(hdr[48:58].decode("ascii").strip() or 0)
        body = data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)
        if name in ("/", "/SYM64/"):
            continue
        if name == "//":
            longnames = body
            continue
        if name.startswith("/") and name[1:].isdigit():
            off = int(name[1:])
            end = longnames.find(b"\n", off)
            name = longnames[off:end if end >= 0 else None].decode("ascii", "replace")
        yield name.rstrip("/"), body


class NmError(Exception):
    pass


def _lines(elf: ELFFile, opts) -> list[str]:
    rows = []
    for value, letter, name, _sym in symbols(elf, opts.debug_syms):
        undefined = letter in "Uwv" and _sym["st_shndx"] == "SHN_UNDEF"
        if opts.undefined_only and not undefined:
            continue
        if opts.defined_only and undefined:
            continue
        if opts.extern_only and _sym["st_info"]["bind"] == "STB_LOCAL":
            continue
        rows.append((value, letter, name, undefined))
    if opts.numeric_sort:
        rows.sort(key=lambda r: (r[3] is False, r[0], r[2]))
    elif not opts.no_sort:
        rows.sort(key=lambda r: (r[2], r[0]))
    if opts.reverse_sort and not opts.no_sort:
        rows.reverse()
    out = []
    for value, letter, name, undefined in rows:
        if opts.just_names:
            out.append(name)
        elif undefined:
            out.append(f"{'':16} {letter} {name}")
        else:
            out.append(f"{value:016x} {letter} {name}")
    return out


def nm_file(path: str, opts, out, show_name: bool) -> None:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise NmError(f"'{path}': {e.strerror}") from None
    if data.startswith(b"!<arch>\n"):
        for member, body in _archive_members(data):
            try:
                elf = ELFFile(io.BytesIO(body))
                lines = _lines(elf, opts)
            except (ELFError, Exception) as e:  # noqa: BLE001 - report and carry on
                print(f"xld nm: {path}({member}): {e}", file=sys.stderr)
                continue
            print(f"\n{member}:", file=out)
            for line in lines:
                print(line, file=out)
        return
    try:
        elf = ELFFile(io.BytesIO(data))
        lines = _lines(elf, opts)
    except ELFError as e:
        raise NmError(f"{path}: file format not recognized ({e})") from None
    except Exception as e:  # noqa: BLE001 - pyelftools raises many kinds on broken input
        raise NmError(f"{path}: malformed ELF file ({type(e).__name__}: {e})") from None
    if show_name:
        print(f"\n{path}:", file=out)
    if not lines and not elf.get_section_by_name(".symtab"):
        print(f"xld nm: {path}: no symbols", file=sys.stderr)
    for line in lines:
        print(line, file=out)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="xld nm", description="List symbols in ELF files.")
    p.add_argument("-n", "-v", "--numeric-sort", dest="numeric_sort", action="store_true",
                   help="sort by address")
    p.add_argument("-p", "--no-sort", dest="no_sort", action="store_true",
                   help="symbol table order")
    p.add_argument("-r", "--reverse-sort", dest="reverse_sort", action="store_true")
    p.add_argument("-a", "--debug-syms", dest="debug_syms", action="store_true",
                   help="also mapping symbols and assembler temporaries")
    p.add_argument("-g", "--extern-only", dest="extern_only", action="store_true",
                   help="only global (and weak) symbols")
    p.add_argument("-u", "--undefined-only", dest="undefined_only", action="store_true")
    p.add_argument("-U", "--defined-only", dest="defined_only", action="store_true")
    p.add_argument("-j", "--just-symbols", dest="just_names", action="store_true",
                   help="print only names (with -u)")
    p.add_argument("files", nargs="*", default=["a.out"], metavar="FILE")
    return p


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    opts = build_parser().parse_args(args)
    status = 0
    show = len(opts.files) > 1
    for path in opts.files:
        try:
            nm_file(path, opts, sys.stdout, show)
        except NmError as e:
            print(f"xld nm: {e}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
