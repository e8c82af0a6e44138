"""Linker scripts (-T FILE, --script FILE): GNU ld's script language as firmware, kernels and
boot loaders write it, with GNU ld's semantics.  This module reads a script into a small AST
(tokenizer, parser; INCLUDE spliced in, OVERLAY desugared into output sections) and
evaluates expressions with GNU ld's "section of an expression" (a number inside an output
section is an offset from its start); link/script_layout.py places sections.

Top level: ENTRY OUTPUT_ARCH OUTPUT_FORMAT MEMORY REGION_ALIAS PHDRS SECTIONS INSERT
INCLUDE SEARCH_DIR INPUT GROUP STARTUP EXTERN NOCROSSREFS NOCROSSREFS_TO ASSERT, assignments.
SECTIONS: output sections (address, (NOLOAD), AT, ALIGN, SUBALIGN, ONLY_IF_RO/RW, > REGION,
AT> REGION, :phdr, =fill), OVERLAY, /DISCARD/, assignments (PROVIDE, PROVIDE_HIDDEN,
HIDDEN), ASSERT; inside an output section: input descriptions (KEEP, EXCLUDE_FILE, the
SORT family), BYTE/SHORT/LONG/QUAD/SQUAD, FILL, CONSTRUCTORS (ignored, as for ELF).
Expressions: C operators, ADDR LOADADDR SIZEOF ALIGNOF ALIGN NEXT MAX MIN DEFINED ORIGIN
LENGTH ABSOLUTE LOG2CEIL SIZEOF_HEADERS CONSTANT SEGMENT_START DATA_SEGMENT_*.
Everything else is an error naming file:line and showing the token ("... is not supported").
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from xld.link.errors import LinkError


class ScriptError(LinkError):
    pass


class Loc(int):
    """A line number that remembers its script (INCLUDE: another file than the -T one)."""
    file: str = ""

    def __new__(cls, line: int, file: str = ""):
        obj = super().__new__(cls, line)
        obj.file = file
        return obj


def at(script, line) -> str:
    """``FILE:LINE`` of a script construct, for errors."""
    return f"{getattr(line, 'file', '') or script.path}:{int(line)}"


# -- tokens ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>\s+|/\*.*?\*/|\#[^\n]*)
  | (?P<str>"[^"]*")
  | (?P<op><<=|>>=|\+=|-=|\*=|/=|&=|\|=|==|!=|<=|>=|<<|>>|&&|\|\||[{}();:,=+\-<>&|^~!?%])
  | (?P<name>/DISCARD/|[A-Za-z0-9_.$/\\*?\[\]][A-Za-z0-9_.$/\\*?\[\]]*)
  | (?P<bad>.)
""", re.S | re.X)


# INPUT(...) / GROUP(...)'s comments and words (compiled at import: the warm server's links
# would each compile them again, ~0.3 ms of libc.so's script)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_FILE_WORD = re.compile(r'"[^"]*"|\(|\)|,|[^\s(),"]+')


@dataclass
class Tok:
    text: str
    line: int
    kind: str
    file: str = ""             # the script it comes from (INCLUDE splices in other files)
    pos: int = 0               # its offset in that file's text


def tokenize(text: str, path: str) -> list[Tok]:
    toks = []
    line = 1
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        s = m.group()
        if kind == "bad":
            raise ScriptError(f"{path}:{line}: unexpected character '{s}'" + _context(text, m.start()))
        if kind != "ws":
            if kind == "str":
                toks.append(Tok(s[1:-1], line, "str", path, m.start()))
            else:
                toks.append(Tok(s, line, kind, path, m.start()))
        line += s.count("\n")
    return toks


def _joined(toks: list[Tok], k: int) -> tuple[str, int]:
    """A file name as written from token k on: the tokens that touch one another (the
    expression lexer cut ``/tmp/a-b/x.ld`` at '-'), and the index after them."""
    name, end, j = toks[k].text, toks[k].pos + len(toks[k].text) + (2 if toks[k].kind == "str" else 0), k + 1
    while j < len(toks) and toks[j].pos == end and toks[j].file == toks[k].file and toks[j].text not in ("(", ")", ",", ";"):
        name += toks[j].text
        end = toks[j].pos + len(toks[j].text)
        j += 1
    return name, j


def _context(text: str, pos: int) -> str:
    """lld's way of showing where: the script line, and a caret under the token."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start:end if end >= 0 else len(text)]
    return f"\n>>> {line}\n>>> {' ' * (pos - start)}^"


def split_expression_name(s: str) -> list[str] | None:
    """A name token read where an expression is (GNU ld's lexer has a state for that): "*",
    "/" and "?" are operators there, not glob characters, so ``a*b`` is a product.  The parts,
    or None when the token is one name."""
    if s == "/DISCARD/" or not re.search(r"[*/?]", s):
        return None
    return re.findall(r"[A-Za-z0-9_.$\\\[\]]+|[*/?]", s)


# -- AST ------------------------------------------------------------------------------------

@dataclass
class Assign:
    name: str                  # "." for the location counter
    op: str                    # "=", "+=", ...
    expr: tuple
    provide: bool = False
    hidden: bool = False
    line: int = 0


@dataclass
class Assert:
    expr: tuple
    message: str
    line: int = 0


@dataclass
class InputDesc:
    file_pattern: str          # "*" for any file
    patterns: list[str]
    exclude_files: list[str] = field(default_factory=list)   # EXCLUDE_FILE before the file pattern
    keep: bool = False
    sort: str = ""             # "", "name", "alignment", "init_priority" ("none": SORT_NONE)
    line: int = 0
    pattern_excludes: list = field(default_factory=list)    # per pattern: EXCLUDE_FILE before it
    sort2: str = ""            # the nested sort: the key among equals of the outer one


@dataclass
class Data:
    size: int
    expr: tuple
    line: int = 0


@dataclass
class Fill:
    """FILL(expr) inside an output section: the pattern of the gaps after it."""
    expr: tuple
    line: int = 0


@dataclass
class OutSec:
    name: str
    addr: tuple | None = None
    noload: bool = False
    lma: tuple | None = None
    align: tuple | None = None
    subalign: tuple | None = None
    region: str | None = None
    lma_region: str | None = None
    phdrs: list[str] = field(default_factory=list)     # :name ... (NONE: no segment)
    constraint: str | None = None       # ONLY_IF_RO / ONLY_IF_RW
    overlay: bool = False               # one of an OVERLAY's sections (they share an address)
    disabled: bool = False              # (its constraint failed: as if not in the script)
    fill: tuple | None = None
    commands: list = field(default_factory=list)
    line: int = 0


@dataclass
class Region:
    name: str
    attrs: str
    origin: int
    length: int
    line: int = 0


@dataclass
class Phdr:
    """One PHDRS entry: ``name TYPE [FILEHDR] [PHDRS] [AT(addr)] [FLAGS(n)];``."""
    name: str
    type: int
    filehdr: bool = False
    phdrs: bool = False
    at: tuple | None = None
    flags: tuple | None = None
    line: int = 0


PHDR_TYPES = {"PT_NULL": 0, "PT_LOAD": 1, "PT_DYNAMIC": 2, "PT_INTERP": 3, "PT_NOTE": 4,
              "PT_SHLIB": 5, "PT_PHDR": 6, "PT_TLS": 7, "PT_GNU_EH_FRAME": 0x6474E550,
              "PT_GNU_STACK": 0x6474E551, "PT_GNU_RELRO": 0x6474E552, "PT_GNU_PROPERTY": 0x6474E553}


@dataclass
class Script:
    path: str
    entry: str | None = None
    phdrs: list[Phdr] | None = None    # PHDRS { ... }: the program headers, in order
    search_dirs: list[str] = field(default_factory=list)     # SEARCH_DIR(...)
    inputs: list = field(default_factory=list)    # INPUT/GROUP: (kind, [(name, as_needed)], line)
    nocrossrefs: list = field(default_factory=list)   # ([section names], line, NOCROSSREFS_TO?)
    insert: tuple | None = None        # INSERT AFTER|BEFORE section: (where, section, line)
    externs: list[str] = field(default_factory=list)     # EXTERN(...): as -u
    output: str | None = None          # OUTPUT(file): as -o unless -o is given
    versions: list = field(default_factory=list)         # VERSION { ... }: (text, file)
    regions: dict[str, Region] = field(default_factory=dict)
    sections: list | None = None       # SECTIONS commands, None without SECTIONS
    top: list = field(default_factory=list)   # assignments and asserts outside SECTIONS


# -- parser ---------------------------------------------------------------------------------

_UNSUPPORTED = {
                "FORCE_COMMON_ALLOCATION", "INHIBIT_COMMON_ALLOCATION",
                "LD_FEATURE", "AS_NEEDED",
                "COPY", "INFO", "DSECT", "CREATE_OBJECT_SYMBOLS",
                "ALIGN_WITH_INPUT",
                "INPUT_SECTION_FLAGS", "READONLY"}
_SORTS = {"SORT": "name", "SORT_BY_NAME": "name", "SORT_BY_ALIGNMENT": "alignment",
          "SORT_BY_INIT_PRIORITY": "init_priority", "SORT_NONE": "none"}
_BINOPS = [("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="), ("<", "<=", ">", ">="),
           ("<<", ">>"), ("+", "-"), ("*", "/", "%")]
_ASSIGN_OPS = ("=", "+=", "-=", "*=", "/=", "<<=", ">>=", "&=", "|=")
_FUNCS = {"ADDR", "LOADADDR", "SIZEOF", "ALIGN", "MAX", "MIN", "DEFINED", "ORIGIN", "LENGTH",
          "ABSOLUTE", "CONSTANT", "ALIGNOF", "LOG2CEIL", "NEXT", "SEGMENT_START",
          "DATA_SEGMENT_ALIGN", "DATA_SEGMENT_RELRO_END", "DATA_SEGMENT_END", "BLOCK"}


class Parser:
    def __init__(self, text: str, path: str, search_dirs=()):
        self.path = path
        self.texts = {path: text}          # every script read (INCLUDE), for error context
        self.search_dirs = list(search_dirs)
        self.toks = self._includes(tokenize(text, path), 0)
        self.i = 0

    def _includes(self, toks: list[Tok], depth: int) -> list[Tok]:
        """INCLUDE file, anywhere: the file's tokens in its place, found as named, else in the
        -L directories (and SEARCH_DIRs before it), as GNU ld does."""
        out: list[Tok] = []
        k = 0
        while k < len(toks):
            t = toks[k]
            if t.text != "INCLUDE" or t.kind != "name":
                out.append(t)
                k += 1
                continue
            if k + 1 >= len(toks):
                self.i, self.toks = k, toks
                self.err("INCLUDE: expected a file name")
            name, after = _joined(toks, k + 1)
            found = next((c for c in [name] + [os.path.join(d, name) for d in self._dirs(toks[:k])]
                          if os.path.isfile(c)), None)
            if found is None or depth > 10:
                self.i, self.toks = k + 1, toks
                self.err(f"cannot find linker script {name}" if found is None else "INCLUDE nests too deeply")
            try:
                with open(found, encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except OSError as e:
                self.i, self.toks = k + 1, toks
                self.err(f"cannot open {found}: {e.strerror}")
            self.texts[found] = text
            out.extend(self._includes(tokenize(text, found), depth + 1))
            k = after
        return out

    def _dirs(self, before: list[Tok]) -> list[str]:
        dirs = list(self.search_dirs)
        for j in range(len(before) - 3):
            if before[j].text == "SEARCH_DIR" and before[j + 1].text == "(":
                dirs.append(_joined(before, j + 2)[0])
        return dirs

    # -- helpers --
    def tok(self) -> Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else (self.toks[-1] if self.toks else None)

    def line(self) -> int:
        t = self.tok()
        return Loc(t.line, t.file) if t else Loc(1, self.path)

    def err(self, msg: str):
        t = self.tok()
        if t is None:
            raise ScriptError(f"{self.path}:1: {msg}")
        at_end = self.i >= len(self.toks)
        text = self.texts.get(t.file, "")
        where = _context(text, t.pos) if text and not at_end else ""
        raise ScriptError(f"{t.file or self.path}:{t.line}: {msg}{where}")

    def peek(self, k: int = 0) -> str | None:
        j = self.i + k
        return self.toks[j].text if j < len(self.toks) else None

    def next(self) -> str:
        if self.i >= len(self.toks):
            self.err("unexpected end of file")
        t = self.toks[self.i]
        self.i += 1
        return t.text

    def expect(self, s: str) -> None:
        got = self.peek()
        if got != s:
            self.err(f"expected '{s}', but got '{got}'" if got is not None else f"expected '{s}', but got end of file")
        self.i += 1

    def accept(self, s: str) -> bool:
        if self.peek() == s:
            self.i += 1
            return True
        return False

    def unsupported(self, what: str):
        self.err(f"{what} is not supported")

    # -- top level --
    def parse(self) -> Script:
        sc = Script(self.path)
        while self.i < len(self.toks):
            t = self.peek()
            if t == ";":
                self.i += 1
            elif t == "ENTRY":
                self.next()
                self.expect("(")
                sc.entry = self.next()
                self.expect(")")
            elif t in ("OUTPUT_ARCH", "OUTPUT_FORMAT"):
                self.next()
                names = self.parse_file_list()      # (names as written: elf64-littleaarch64)
                if t == "OUTPUT_FORMAT" and names and names[0][0] == "binary":
                    sc.output_binary = True
            elif t == "MEMORY":
                self.next()
                self.parse_memory(sc)
            elif t == "INSERT":
                line = self.line()
                self.next()
                where = self.next()
                if where not in ("AFTER", "BEFORE"):
                    self.i -= 1
                    self.err(f"expected AFTER or BEFORE, but got '{where}'")
                if sc.sections is None or sc.insert is not None:
                    self.i -= 2
                    self.err("INSERT must follow the one SECTIONS of the script")
                sc.insert = (where, self.next(), line)
            elif t in ("NOCROSSREFS", "NOCROSSREFS_TO"):
                line = self.line()
                self.next()
                self.expect("(")
                names = []
                while not self.accept(")"):
                    n = self.next()
                    if n != ",":
                        names.append(n)
                sc.nocrossrefs.append((names, line, t == "NOCROSSREFS_TO"))
            elif t == "EXTERN":            # as -u for each name
                self.next()
                self.expect("(")
                while not self.accept(")"):
                    n = self.next()
                    if n != ",":
                        sc.externs.append(n)
            elif t == "STARTUP":           # the first input, before the command line's
                line = self.line()
                self.next()
                sc.inputs.insert(0, ("STARTUP", self.parse_file_list()[:1], line))
            elif t == "SEARCH_DIR":
                self.next()
                sc.search_dirs.extend(n for n, _ in self.parse_file_list())
            elif t in ("INPUT", "GROUP"):
                line = self.line()
                self.next()
                sc.inputs.append((t, self.parse_file_list(), line))
            elif t == "REGION_ALIAS":
                self.next()
                self.expect("(")
                alias = self.next()
                self.expect(",")
                name = self.next()
                if name not in sc.regions:
                    self.i -= 1
                    self.err(f"memory region not defined: {name}")
                if alias in sc.regions:
                    self.i -= 3
                    self.err(f"redefinition of memory region '{alias}'")
                self.expect(")")
                sc.regions[alias] = sc.regions[name]
            elif t == "PHDRS":
                self.next()
                if sc.phdrs is not None:
                    self.err("PHDRS appears twice")
                sc.phdrs = self.parse_phdrs()
            elif t == "SECTIONS":               # (several: their commands one after another)
                self.next()
                sc.sections = (sc.sections or []) + self.parse_sections(sc)
            elif t in ("OUTPUT", "TARGET"):
                line = self.line()
                self.next()
                names = self.parse_file_list()
                if len(names) != 1:
                    self.err(f"{t}: expected one name")
                if t == "OUTPUT":
                    sc.output = names[0][0]
                elif names[0][0] not in ("elf64-littleaarch64", "elf64-littleriscv", "binary"):
                    self.i -= 1
                    self.err(f"TARGET({names[0][0]}): only ELF inputs are read")
            elif t == "VERSION":
                self.next()
                if self.peek() != "{":
                    self.err(f"expected '{{', but got '{self.peek()}'")
                open_tok = self.tok()
                depth = 0
                while True:
                    x = self.next()
                    depth += (x == "{") - (x == "}")
                    if depth == 0:
                        break
                close_tok = self.toks[self.i - 1]
                sc.versions.append((self.texts[open_tok.file][open_tok.pos + 1:close_tok.pos], open_tok.file))
            elif t == "ASSERT":
                sc.top.append(self.parse_assert())
            elif t in _UNSUPPORTED:
                self.unsupported(t)
            elif self.peek(1) in _ASSIGN_OPS or t in ("PROVIDE", "PROVIDE_HIDDEN", "HIDDEN"):
                sc.top.append(self.parse_assignment())
            else:
                self.err(f"unknown directive: {t}")
        return sc

    def parse_memory(self, sc: Script) -> None:
        self.expect("{")
        while not self.accept("}"):
            line = self.line()
            name = self.next()
            attrs = ""
            if self.accept("("):
                while not self.accept(")"):
                    attrs += self.next()
            self.expect(":")
            self._keyword(("ORIGIN", "org", "o"))
            self.expect("=")
            origin = evaluate(self.parse_expr(), _Const(self))
            self.expect(",")
            self._keyword(("LENGTH", "len", "l"))
            self.expect("=")
            length = evaluate(self.parse_expr(), _Const(self))
            if name in sc.regions:
                self.err(f"region '{name}' already defined")
            sc.regions[name] = Region(name, attrs, origin, length, line)

    def parse_file_list(self) -> list[tuple[str, bool]]:
        """INPUT(...) / GROUP(...): the file names as written (GNU ld's file-name lexer: a
        name may hold '-' and the like), each with whether AS_NEEDED(...) holds it."""
        if self.peek() != "(":
            self.err(f"expected '(', but got '{self.peek()}'")
        open_tok = self.tok()
        depth = 0
        while True:
            t = self.next()
            if t == "(":
                depth += 1
            elif t == ")":
                depth -= 1
                if depth == 0:
                    break
        raw = self.texts[open_tok.file][open_tok.pos + 1:self.toks[self.i - 1].pos]
        raw = _COMMENT.sub(" ", raw)
        out, needed, level = [], None, 0
        words = _FILE_WORD.findall(raw)
        for k, w in enumerate(words):
            if w == "(":
                level += 1
            elif w == ")":
                level -= 1
                if needed is not None and level < needed:
                    needed = None
            elif w == "AS_NEEDED" and k + 1 < len(words) and words[k + 1] == "(":
                needed = level + 1
            elif w != ",":
                out.append((w.strip('"'), needed is not None))
        return out

    def parse_phdrs(self) -> list[Phdr]:
        self.expect("{")
        out: list[Phdr] = []
        while not self.accept("}"):
            line = self.line()
            name = self.next()
            t = self.next()
            typ = PHDR_TYPES.get(t)
            if typ is None:
                typ = parse_number(t)
            if typ is None:
                self.i -= 1
                self.err(f"invalid program header type: {t}")
            p = Phdr(name, typ, line=line)
            while not self.accept(";"):
                k = self.next()
                if k == "FILEHDR":
                    p.filehdr = True
                elif k == "PHDRS":
                    p.phdrs = True
                elif k in ("AT", "FLAGS"):
                    self.expect("(")
                    e = self.parse_expr()
                    self.expect(")")
                    if k == "AT":
                        p.at = e
                    else:
                        p.flags = e
                else:
                    self.i -= 1
                    self.err(f"unexpected header attribute: {k}")
            if any(q.name == name for q in out):
                self.err(f"program header '{name}' is defined twice")
            out.append(p)
        return out

    def _keyword(self, words) -> None:
        t = self.next()
        if t not in words:
            self.i -= 1
            self.err(f"expected {words[0]}, but got '{t}'")

    def parse_sections(self, sc=None) -> list:
        self.expect("{")
        cmds = []
        while not self.accept("}"):
            t = self.peek()
            if t == ";":
                self.i += 1
            elif t == "OVERLAY" and sc is not None:
                cmds.extend(self.parse_overlay(sc))
            elif t == "ASSERT":
                cmds.append(self.parse_assert())
            elif t in ("PROVIDE", "PROVIDE_HIDDEN", "HIDDEN") or self.peek(1) in _ASSIGN_OPS:
                cmds.append(self.parse_assignment())
            elif t in _UNSUPPORTED or t in ("ENTRY",):
                self.unsupported(t)
            else:
                cmds.append(self.parse_output_section())
        return cmds

    def parse_overlay(self, sc) -> list:
        """OVERLAY [start] : [NOCROSSREFS] [AT(lma)] { sec { ... } [:phdr] [=fill] ... }
        [:phdr] [=fill], as GNU ld reads it: every section at the same address, each loaded
        after the one before (from AT), '.' past the largest, __load_start_/__load_stop_NAME
        provided, NOCROSSREFS among them if asked."""
        line = self.line()
        self.expect("OVERLAY")
        start = None
        if self.peek() != ":":
            start = self.parse_expr()
        self.expect(":")
        nocross = self.accept("NOCROSSREFS")
        lma = None
        if self.accept("AT"):
            self.expect("(")
            lma = self.parse_expr()
            self.expect(")")
        self.expect("{")
        secs: list[OutSec] = []
        while not self.accept("}"):
            o = OutSec(self.next(), line=self.line(), overlay=True)
            if not re.match(r"^[A-Za-z0-9_.$\-]+$", o.name):
                self.i -= 1
                self.err(f"malformed section name in OVERLAY: {o.name}")
            self.expect("{")
            while not self.accept("}"):
                o.commands.append(self.parse_section_command())
            while True:
                if self.accept(":"):
                    o.phdrs.append(self.next())
                elif self.accept("="):
                    o.fill = self.parse_fill()
                else:
                    break
            self.accept(",")
            first = secs[0].name if secs else None
            o.addr = start if first is None else ("call", "ADDR", [first], line)
            if first is None:
                o.lma = lma
            else:
                prev = secs[-1].name
                o.lma = ("bin", "+", ("call", "LOADADDR", [prev], line), ("call", "SIZEOF", [prev], line))
            secs.append(o)
        phdrs, fill = [], None
        while True:
            if self.peek() == ">" or (self.peek() == "AT" and self.peek(1) == ">"):
                self.unsupported("a memory region on OVERLAY")
            if self.accept(":"):
                phdrs.append(self.next())
            elif self.accept("="):
                fill = self.parse_fill()
            else:
                break
        self.accept(",")
        if not secs:
            return []
        for o in secs:
            o.phdrs = o.phdrs or list(phdrs)
            o.fill = o.fill if o.fill is not None else fill
        cmds: list = list(secs)
        first = secs[0].name
        cmds.append(Assign(".", "=", ("bin", "+", ("call", "ADDR", [first], line),
                                      ("call", "MAX", [("call", "SIZEOF", [o.name], line) for o in secs]
                                       + [("num", 0)], line)), line=line))
        for o in secs:
            clean = re.sub(r"[^A-Za-z0-9_]", "", o.name)
            load = ("call", "LOADADDR", [o.name], line)
            cmds.append(Assign(f"__load_start_{clean}", "=", load, provide=True, line=line))
            cmds.append(Assign(f"__load_stop_{clean}", "=", ("bin", "+", load, ("call", "SIZEOF", [o.name], line)),
                               provide=True, line=line))
        if nocross:
            sc.nocrossrefs.append(([o.name for o in secs], line, False))
        return cmds

    def parse_assert(self) -> Assert:
        line = self.line()
        self.expect("ASSERT")
        self.expect("(")
        e = self.parse_expr()
        self.expect(",")
        msg = self.next()
        self.expect(")")
        self.accept(";")
        return Assert(e, msg, line)

    def parse_assignment(self) -> Assign:
        line = self.line()
        t = self.peek()
        if t in ("PROVIDE", "PROVIDE_HIDDEN", "HIDDEN"):
            self.next()
            self.expect("(")
            a = self._assign_body(line)
            self.expect(")")
            a.provide = t != "HIDDEN"
            a.hidden = t != "PROVIDE"
        else:
            a = self._assign_body(line)
        if not self.accept(";") and self.peek() not in ("}",):
            self.err(f"expected ';', but got '{self.peek()}'")
        return a

    def _assign_body(self, line: int) -> Assign:
        name = self.next()
        op = self.next()
        if op not in _ASSIGN_OPS:
            self.i -= 1
            self.err(f"expected an assignment, but got '{op}'")
        return Assign(name, op, self.parse_expr(), line=line)

    def name_token(self) -> str:
        """The next token as a section or file name: GNU ld's lexer reads names there with
        '-' inside (``.note.gnu.build-id``, ``crtbegin-x.o``), which the expression lexer
        cut; the touching pieces are joined back."""
        k = self.i
        name = self.next()
        if self.toks[k].kind != "name":
            return name
        end = self.toks[k].pos + len(name)
        while self.i + 1 < len(self.toks) and self.toks[self.i].text == "-":
            dash, after = self.toks[self.i], self.toks[self.i + 1]
            if dash.pos != end or after.pos != end + 1 or after.kind != "name" \
                    or dash.file != self.toks[k].file or after.file != dash.file:
                break
            name += "-" + after.text
            end = after.pos + len(after.text)
            self.i += 2
        return name

    def parse_output_section(self) -> OutSec:
        line = self.line()
        name = self.name_token()
        if not re.match(r"^[A-Za-z0-9_.$/\-]+$", name) or name in _FUNCS:
            self.err(f"unknown directive: {name}")
        o = OutSec(name, line=line)
        # [address] [(type)] :
        if self.peek() != ":" and self.peek() != "(":
            o.addr = self.parse_expr()
        if self.peek() == "(":
            if self.peek(1) in ("NOLOAD",) and self.peek(2) == ")":
                self.i += 3
                o.noload = True
            elif self.peek(1) in ("COPY", "INFO", "OVERLAY", "DSECT", "READONLY"):
                self.i += 1
                self.unsupported(f"output section type {self.peek()}")
            else:
                o.addr = self.parse_expr()
                if self.peek() == "(" and self.peek(1) == "NOLOAD":
                    self.i += 3
                    o.noload = True
        self.expect(":")
        while True:
            t = self.peek()
            if t == "AT":
                self.next()
                self.expect("(")
                o.lma = self.parse_expr()
                self.expect(")")
            elif t == "ALIGN":
                self.next()
                self.expect("(")
                o.align = self.parse_expr()
                self.expect(")")
            elif t == "SUBALIGN":
                self.next()
                self.expect("(")
                o.subalign = self.parse_expr()
                self.expect(")")
            elif t in ("ONLY_IF_RO", "ONLY_IF_RW"):
                self.next()
                o.constraint = t
            elif t in ("ALIGN_WITH_INPUT",):
                self.unsupported(t)
            else:
                break
        self.expect("{")
        while not self.accept("}"):
            o.commands.append(self.parse_section_command())
        while True:
            t = self.peek()
            if t == ">":
                self.next()
                o.region = self.next()
            elif t == "AT" and self.peek(1) == ">":
                self.i += 2
                o.lma_region = self.next()
            elif t == ":":
                self.next()
                o.phdrs.append(self.next())
            elif t == "=":
                self.next()
                o.fill = self.parse_fill()
            else:
                break
        self.accept(",")
        return o

    def parse_section_command(self):
        t = self.peek()
        line = self.line()
        if t == ";":
            self.i += 1
            return Assign(".", "+=", ("num", 0), line=line)      # a no-op
        if t == "ASSERT":
            return self.parse_assert()
        if t in ("PROVIDE", "PROVIDE_HIDDEN", "HIDDEN") or self.peek(1) in _ASSIGN_OPS:
            return self.parse_assignment()
        if t in ("BYTE", "SHORT", "LONG", "QUAD", "SQUAD") and self.peek(1) == "(":
            self.next()
            self.expect("(")
            e = self.parse_expr()
            self.expect(")")
            self.accept(";")
            return Data({"BYTE": 1, "SHORT": 2, "LONG": 4, "QUAD": 8, "SQUAD": 8}[t], e, line)
        if t == "FILL" and self.peek(1) == "(":
            self.next()
            self.expect("(")
            e = self.parse_fill()
            self.expect(")")
            self.accept(";")
            return Fill(e, line)
        if t == "CONSTRUCTORS" or (t in _SORTS and self.peek(1) == "(" and self.peek(2) == "CONSTRUCTORS"):
            # GNU ld ignores CONSTRUCTORS for ELF (.ctors/.init_array are ordinary sections)
            self.i += 1 if t == "CONSTRUCTORS" else 4
            return Assign(".", "+=", ("num", 0), line=line)     # a no-op
        if t == "KEEP":
            self.next()
            self.expect("(")
            d = self.parse_input_desc()
            self.expect(")")
            d.keep = True
            return d
        if t in _UNSUPPORTED:
            self.unsupported(t)
        return self.parse_input_desc()

    def parse_input_desc(self) -> InputDesc:
        line = self.line()
        if self.peek() in _SORTS:
            sort = _SORTS[self.next()]
            self.expect("(")
            d = self.parse_input_desc()
            self.expect(")")
            d.sort = d.sort or sort
            return d
        excluded = self._exclude_file()
        fpat = self.name_token()
        if fpat in _UNSUPPORTED:
            self.i -= 1
            self.unsupported(fpat)
        if self.peek() != "(":
            self.i -= 1
            self.err(f"expected '(' after the file pattern '{fpat}'")
        self.expect("(")
        d = InputDesc(fpat, [], exclude_files=excluded, line=line)
        self._section_patterns(d, ")")
        return d

    def _section_patterns(self, d: InputDesc, close: str) -> None:
        pending: list[str] = []
        while not self.accept(close):
            t = self.peek()
            if t in _SORTS:
                self.next()
                if d.sort and not d.sort2 and _SORTS[t] != d.sort:
                    d.sort2 = _SORTS[t]          # SORT_BY_ALIGNMENT(SORT_BY_NAME(...)): then by name
                d.sort = d.sort or _SORTS[t]
                self.expect("(")
                self._section_patterns(d, ")")
                continue
            if t == "EXCLUDE_FILE":
                pending = self._exclude_file()
                continue
            if t == ",":
                self.next()
                continue
            d.patterns.append(self._pattern())
            d.pattern_excludes.append(pending)
            pending = []

    def _exclude_file(self) -> list[str]:
        """EXCLUDE_FILE(pattern ...), or nothing."""
        if not self.accept("EXCLUDE_FILE"):
            return []
        self.expect("(")
        out = []
        while not self.accept(")"):
            out.append(self.name_token())
        return out

    def _pattern(self) -> str:
        t = self.peek()
        if t in _UNSUPPORTED:
            self.unsupported(t)
        return self.name_token()

    # -- expressions --
    def parse_fill(self) -> tuple:
        """A fill expression (``=fill``, ``FILL(...)``): as GNU ld, a bare hex number (in
        parentheses or not) is a pattern of as many bytes as its digits say, leading zeros
        included (``0x46d2``: 46 d2; ``0x123``: 01 23); any other expression is 4 bytes."""
        start = self.i
        e = self.parse_expr()
        words = [self.toks[k].text for k in range(start, self.i) if self.toks[k].text not in "()"]
        if e[0] == "num" and len(words) == 1 and re.fullmatch(r"0[xX][0-9a-fA-F]+", words[0]):
            digits = words[0][2:]
            return ("pattern", bytes.fromhex(digits if len(digits) % 2 == 0 else "0" + digits))
        return e

    def parse_expr(self) -> tuple:
        cond = self._binary(0)
        self._split_here()
        if self.accept("?"):
            a = self.parse_expr()
            self.expect(":")
            b = self.parse_expr()
            return ("?", cond, a, b)
        return cond

    def _binary(self, level: int) -> tuple:
        if level == len(_BINOPS):
            return self._unary()
        left = self._binary(level + 1)
        while self.peek() in _BINOPS[level] and self._is_op():
            op = self.next()
            right = self._binary(level + 1)
            left = ("bin", op, left, right)
        return left

    def _is_op(self) -> bool:
        self._split_here()
        return self.i < len(self.toks) and (self.toks[self.i].kind == "op" or self.peek() in ("*", "/", "?"))

    def _split_here(self) -> None:
        """In an expression, a name token holding "*", "/" or "?" is names and operators."""
        if self.i >= len(self.toks):
            return
        tok = self.toks[self.i]
        if tok.kind != "name":
            return
        parts = split_expression_name(tok.text)
        if parts is None or parts == [tok.text]:
            return
        self.toks[self.i:self.i + 1] = [Tok(p, tok.line, "op" if p in ("*", "/", "?") else "name")
                                        for p in parts]

    def _unary(self) -> tuple:
        self._split_here()
        t = self.peek()
        if t in ("-", "~", "!", "+"):
            self.next()
            return ("un", t, self._unary())
        if t == "(":
            self.next()
            e = self.parse_expr()
            self.expect(")")
            return e
        line = self.line()
        t = self.next()
        if t in _FUNCS and self.peek() == "(":
            self.next()
            args = []
            if t in ("ADDR", "LOADADDR", "SIZEOF", "DEFINED", "ORIGIN", "LENGTH", "CONSTANT", "ALIGNOF"):
                args.append(self.next())
            elif t == "SEGMENT_START":
                args.append(self.next())
                self.expect(",")
                args.append(self.parse_expr())
            else:
                args.append(self.parse_expr())
                while self.accept(","):
                    args.append(self.parse_expr())
            self.expect(")")
            return ("call", t, args, line)
        if t in _UNSUPPORTED and self.peek() == "(":
            self.i -= 1
            self.unsupported(t)
        if t == "SIZEOF_HEADERS":
            return ("headers",)
        n = parse_number(t)
        if n is not None:
            return ("num", n)
        if t == ".":
            return ("dot",)
        if not re.match(r"^[A-Za-z_.$][A-Za-z0-9_.$]*$", t):
            self.i -= 1
            self.err(f"malformed expression: '{t}'")
        return ("sym", t, line)


def parse_number(t: str) -> int | None:
    m = re.fullmatch(r"(0[xX][0-9a-fA-F]+|[0-9a-fA-F]+[hH]|[0-9]+)([KkMm]?)", t)
    if not m:
        return None
    s, suffix = m.groups()
    if s[-1] in "hH":
        v = int(s[:-1], 16)
    elif s.lower().startswith("0x"):
        v = int(s, 16)
    elif s.startswith("0") and len(s) > 1:
        v = int(s, 8)
    else:
        v = int(s)
    return v * {"": 1, "k": 1024, "K": 1024, "m": 1 << 20, "M": 1 << 20}[suffix]


class _Const:
    """Evaluation context of MEMORY: constants and ORIGIN/LENGTH of earlier regions only."""

    def __init__(self, parser):
        self.p = parser

    def __getattr__(self, name):
        def fail(*a, **k):
            self.p.err("MEMORY: the expression must be a constant")
        return fail


def read(paths, search_dirs=()) -> Script:
    """The scripts of -T (several: read one after the other, as one script)."""
    if isinstance(paths, str):
        paths = [paths]
    texts = []
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                texts.append(f.read())
        except OSError as e:
            raise LinkError(f"cannot open linker script {path}: {e.strerror}")
    p = Parser(texts[0], paths[0], search_dirs)
    for path, text in zip(paths[1:], texts[1:]):
        p.texts[path] = text
        p.toks += p._includes(tokenize(text, path), 0)
    return p.parse()


# -- evaluation -----------------------------------------------------------------------------

MASK = (1 << 64) - 1

# The section of a value (GNU ld's "expression section"): a plain number, an absolute address,
# or an address relative to an output section (any object with ``addr``).  It matters where
# a value is assigned inside an output section: a number there is an offset from the section's
# start (``. = 0x10``, ``sym = 4``), as in GNU ld.
NUM, ABS = "num", "abs"

_ARITH = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a // b, "%": lambda a, b: a % b, "<<": lambda a, b: a << b,
    ">>": lambda a, b: a >> b, "&": lambda a, b: a & b, "|": lambda a, b: a | b,
    "^": lambda a, b: a ^ b,
}
_COMPARE = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def fill_pattern(e: tuple, env) -> bytes:
    """The bytes of a fill expression (Parser.parse_fill): its hex digits, else the value's
    4 low bytes, big-endian (GNU ld's)."""
    if e[0] == "pattern":
        return e[1]
    return (evaluate(e, env) & 0xFFFFFFFF).to_bytes(4, "big")


def evaluate(e: tuple, env) -> int:
    """The value of an expression (an absolute address or a number); ``env`` answers dot(),
    symbol(name, line), section(name, fn, line) ..."""
    return evaluate_tagged(e, env)[0]


def _is_rel(tag) -> bool:
    return tag is not NUM and tag is not ABS


def evaluate_tagged(e: tuple, env) -> tuple[int, object]:
    """(absolute value, section of the value): NUM, ABS or the output section it is relative
    to.  Arithmetic follows GNU ld: a section-relative value combined with a number works on
    the offset in the section and stays relative; two values relative to the same section
    subtract to a number; anything else works on absolute values."""
    k = e[0]
    if k == "num":
        return e[1], NUM
    if k == "dot":
        sec = getattr(env, "cur_sec", None)
        if sec is None and hasattr(env, "rel_from_abs"):
            env.rel_from_abs = True     # (GNU ld's expld.rel_from_abs: see script_layout._assign)
        return env.dot(), (sec if sec is not None else ABS)
    if k == "sym":
        return env.symbol_tagged(e[1], e[2]) if hasattr(env, "symbol_tagged") else (env.symbol(e[1], e[2]), ABS)
    if k == "headers":
        return env.sizeof_headers(), NUM
    if k == "un":
        v, tag = evaluate_tagged(e[2], env)
        return {"-": -v, "~": ~v & MASK, "!": int(not v), "+": v}[e[1]] & MASK, \
            (NUM if e[1] == "!" else tag if e[1] == "+" else ABS if _is_rel(tag) else tag)
    if k == "?":
        return evaluate_tagged(e[2], env) if evaluate(e[1], env) else evaluate_tagged(e[3], env)
    if k == "bin":
        op = e[1]
        a, ta = evaluate_tagged(e[2], env)
        if op == "&&":
            return int(bool(a) and bool(evaluate(e[3], env))), NUM
        if op == "||":
            return int(bool(a) or bool(evaluate(e[3], env))), NUM
        b, tb = evaluate_tagged(e[3], env)
        if op in _COMPARE:
            return int(_COMPARE[op](a, b)), NUM
        if op in ("/", "%") and b == 0:
            env.fail(f"division by zero in {'/' if op == '/' else '%'}")
        f = _ARITH[op]
        if ta is NUM and tb is NUM:
            return f(a, b) & MASK, NUM
        if _is_rel(ta) and tb is NUM:
            return (ta.addr + f(a - ta.addr, b)) & MASK, ta
        if ta is NUM and _is_rel(tb):
            if op == "-":
                return f(a, b) & MASK, ABS
            return (tb.addr + f(a, b - tb.addr)) & MASK, tb
        if _is_rel(ta) and ta is tb:
            if op == "-":
                return (a - b) & MASK, NUM
            return (ta.addr + f(a - ta.addr, b - tb.addr)) & MASK, ta
        return f(a, b) & MASK, ABS
    if k == "call":
        fn, args, line = e[1], e[2], e[3]
        if fn in ("ALIGN", "NEXT", "BLOCK"):             # (BLOCK: ALIGN's old name)
            if len(args) == 1:
                a = evaluate(args[0], env)
                v, tag = evaluate_tagged(("dot",), env)
            else:
                (v, tag), a = evaluate_tagged(args[0], env), evaluate(args[1], env)
            if a & (a - 1):
                env.fail(f"{fn}: {a} is not a power of 2") if hasattr(env, "fail") else None
            return ((v + a - 1) & -a & MASK if a > 1 else v), (tag if fn != "NEXT" else ABS)
        if fn in ("MAX", "MIN"):
            vals = [evaluate_tagged(x, env) for x in args]
            return (max if fn == "MAX" else min)(vals, key=lambda vt: vt[0])
        if fn == "ABSOLUTE":
            was = getattr(env, "rel_from_abs", None)
            v = evaluate(args[0], env)
            if was is not None:
                env.rel_from_abs = was  # (ABSOLUTE(.) makes an absolute symbol, as in GNU ld)
            return v, ABS
        if fn == "DEFINED":
            return int(env.defined(args[0])), NUM
        if fn in ("ORIGIN", "LENGTH"):
            return env.region(args[0], fn, line), ABS
        if fn in ("ADDR", "LOADADDR", "SIZEOF", "ALIGNOF"):
            return env.section(args[0], fn, line), NUM if fn in ("SIZEOF", "ALIGNOF") else ABS
        if fn == "CONSTANT":
            return env.constant(args[0], line), NUM
        if fn == "LOG2CEIL":
            v = evaluate(args[0], env)
            return (max(v - 1, 0)).bit_length(), NUM
        if fn == "DATA_SEGMENT_ALIGN":
            # the next page, at the same offset in it; with -z relro, moved up by the padding
            # that makes DATA_SEGMENT_RELRO_END land on a common page (the walk measures it)
            maxpage, common = evaluate(args[0], env), evaluate(args[1], env)
            v = env.dot()
            base = ((v + maxpage - 1) & -maxpage) + (v & (maxpage - 1)) + getattr(env, "relro_pad", 0)
            if hasattr(env, "relro"):
                env.relro["base"], env.relro["common"] = base, max(common, 1)
            return base, ABS
        if fn == "DATA_SEGMENT_RELRO_END":   # where PT_GNU_RELRO ends: exp + offset
            v, tag = evaluate_tagged(args[1], env)
            if hasattr(env, "relro"):
                env.relro["end"] = v + evaluate(args[0], env)
            return v, tag
        if fn == "DATA_SEGMENT_END":
            return evaluate_tagged(args[0], env)
        if fn == "SEGMENT_START":
            return env.segment_start(args[0], evaluate(args[1], env), line), ABS
    raise AssertionError(e)
