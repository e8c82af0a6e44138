"""Version scripts (``--version-script``): which symbols a shared library exports, and with
which version.

The grammar GNU ld documents ("VERSION Command"):

    script  := node*
    node    := [NAME] "{" part* "}" [NAME*] ";"        -- the names after "}": older versions
    part    := ("global" | "local") ":"  |  pattern ";"  |  "extern" STRING "{" (pattern ";")* "}" ";"
    pattern := a name, or a glob (* ? [...]); "quoted" names are literal

A symbol takes the node of the first global pattern that matches it exactly, else of the first
global glob; a symbol no global pattern names is local if a local pattern matches it (``local:
*;``), else stays global and unversioned.  ``extern "C++"`` patterns match demangled names and
match demangled names (``extern "C++" { "ns::f(int)"; ns::*; };``), through the maintained
``cpp_demangle`` package.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from xld.link.errors import LinkError, demangle


@dataclass
class Node:
    name: str | None                  # None: the anonymous node (no version, only visibility)
    deps: list[str] = field(default_factory=list)
    globals: list[str] = field(default_factory=list)
    locals: list[str] = field(default_factory=list)
    globals_cxx: list[str] = field(default_factory=list)     # extern "C++": demangled names
    locals_cxx: list[str] = field(default_factory=list)


_TOKEN = re.compile(r'\s+|/\*.*?\*/|#[^\n]*|"(?:[^"\\]|\\.)*"|(?:[^\s{};:"]|::)+|[{};:]', re.S)


def _tokens(text: str, path: str) -> list[tuple[str, int]]:
    out = []
    pos = 0
    line = 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise LinkError(f"{path}:{line}: version script: unexpected character {text[pos]!r}")
        tok = m.group(0)
        if not (tok.isspace() or tok.startswith("/*") or tok.startswith("#")):
            out.append((tok, line))
        line += tok.count("\n")
        pos = m.end()
    return out


def parse(text: str, path: str) -> list[Node]:
    toks = _tokens(text, path)
    nodes: list[Node] = []
    i = 0

    def err(msg: str, k: int):
        line = toks[min(k, len(toks) - 1)][1] if toks else 1
        raise LinkError(f"{path}:{line}: version script: {msg}")

    def expect(tok: str) -> None:
        nonlocal i
        if i >= len(toks) or toks[i][0] != tok:
            err(f"expected '{tok}'" + (f", found '{toks[i][0]}'" if i < len(toks) else " at the end"), i)
        i += 1

    while i < len(toks):
        name = None
        if toks[i][0] != "{":
            name = toks[i][0]
            i += 1
        expect("{")
        node = Node(name)
        where = node.globals
        while i < len(toks) and toks[i][0] != "}":
            tok = toks[i][0]
            if tok in ("global", "local") and i + 1 < len(toks) and toks[i + 1][0] == ":":
                where = node.globals if tok == "global" else node.locals
                i += 2
                continue
            if tok == "extern":
                lang = toks[i + 1][0] if i + 1 < len(toks) else ""
                if lang.strip('"') in ("C", "C++"):
                    into = where
                    if lang.strip('"') == "C++":
                        into = node.globals_cxx if where is node.globals else node.locals_cxx
                    i += 2
                    expect("{")
                    while i < len(toks) and toks[i][0] != "}":
                        tok = toks[i][0]
                        # a quoted name is literal, an unquoted one may be a glob
                        into.append(("=" + tok[1:-1]) if tok.startswith('"') else tok)
                        i += 1
                        if i < len(toks) and toks[i][0] == ";":
                            i += 1
                    expect("}")
                    if i < len(toks) and toks[i][0] == ";":
                        i += 1
                    continue
                err(f'unknown language {lang} in extern (expected "C" or "C++")', i)
            if tok in ("{", ";", ":"):
                err(f"unexpected '{tok}'", i)
            where.append(tok[1:-1] if tok.startswith('"') else tok)
            i += 1
            expect(";")
        expect("}")
        while i < len(toks) and toks[i][0] != ";":
            node.deps.append(toks[i][0])
            i += 1
        expect(";")
        nodes.append(node)
    named = [n for n in nodes if n.name is not None]
    if named and len(named) != len(nodes):
        err("an anonymous version node must be the only one", 0)
    seen = set()
    for n in named:
        if n.name in seen:
            raise LinkError(f"{path}: version script: duplicate version {n.name}")
        seen.add(n.name)
    for n in named:
        for d in n.deps:
            if d not in seen:
                raise LinkError(f"{path}: version script: version {n.name} depends on unknown version {d}")
    return nodes


def _is_glob(p: str) -> bool:
    return any(c in p for c in "*?[")


class Versions:
    """The decisions of the version scripts of a link: per exported name, local or the
    version node it belongs to."""

    def __init__(self, nodes: list[Node]):
        self.nodes = nodes
        self.named = [n for n in nodes if n.name is not None]
        self.exact: dict[str, Node] = {}
        self.globs: list[tuple[str, Node]] = []
        self.local_exact: set[str] = set()
        self.local_globs: list[str] = []
        self.cxx: list[tuple[str, Node | None]] = []      # (pattern, node; None = local)
        for n in nodes:
            self.cxx += [(q, n) for q in n.globals_cxx] + [(q, None) for q in n.locals_cxx]
            n.globals = [q[1:] if q.startswith("=") else q for q in n.globals]
            n.locals = [q[1:] if q.startswith("=") else q for q in n.locals]
            for p in n.globals:
                if _is_glob(p):
                    self.globs.append((p, n))
                else:
                    self.exact.setdefault(p, n)
            for p in n.locals:
                if _is_glob(p):
                    self.local_globs.append(p)
                else:
                    self.local_exact.add(p)

    def lookup(self, name: str) -> tuple[bool, Node | None]:
        """(exported, its node or None)."""
        n = self.exact.get(name)
        if n is not None:
            return True, n
        if self.cxx and name.startswith("_Z"):
            hit = self._cxx_lookup(name)
            if hit is not None:
                return hit
        if name in self.local_exact:
            return False, None
        for p, n in self.globs:
            if fnmatch.fnmatchcase(name, p):
                # a more specific local glob than "*" still wins over a global "*"
                if p == "*" and any(q != "*" and fnmatch.fnmatchcase(name, q) for q in self.local_globs):
                    return False, None
                return True, n
        if any(fnmatch.fnmatchcase(name, q) for q in self.local_globs):
            return False, None
        return True, None

    def lookup_many(self, names: list[str]) -> list[tuple[bool, Node | None]]:
        """``lookup`` of every name, pattern by pattern over the names still undecided (each
        glob compiled once), not name by name over the patterns."""
        out: list = [None] * len(names)
        exact = self.exact
        pending = []
        for k, name in enumerate(names):
            n = exact.get(name)
            if n is not None:
                out[k] = (True, n)
            elif self.cxx and name.startswith("_Z") and (hit := self._cxx_lookup(name)) is not None:
                out[k] = hit
            elif name in self.local_exact:
                out[k] = (False, None)
            else:
                pending.append(k)
        local = [re.compile(fnmatch.translate(q)).match for q in self.local_globs]
        for p, n in self.globs:
            if not pending:
                break
            match = re.compile(fnmatch.translate(p)).match
            rest = []
            for k in pending:
                if match(names[k]):
                    # a more specific local glob than "*" still wins over a global "*"
                    if p == "*" and any(m(names[k]) for q, m in zip(self.local_globs, local) if q != "*"):
                        out[k] = (False, None)
                    else:
                        out[k] = (True, n)
                else:
                    rest.append(k)
            pending = rest
        for k in pending:
            out[k] = (False, None) if any(m(names[k]) for m in local) else (True, None)
        return out

    def local_in_node(self, node: Node, name: str) -> bool:
        """Whether a definition that names its version (.symver's foo@V1, foo@@V1) is made
        local: as GNU ld decides, by its own node only, when one of its local patterns
        matches the name and none of its global ones does (``V1 { local: *; };`` hides
        foo@V1; another node's patterns do not touch it)."""
        plain = None

        def hit(patterns, cxx) -> bool:
            nonlocal plain
            if any(fnmatch.fnmatchcase(name, q) if _is_glob(q) else q == name for q in patterns):
                return True
            if cxx and name.startswith("_Z"):
                plain = demangle(name) if plain is None else plain
                return any(q[1:] == plain if q.startswith("=") else fnmatch.fnmatchcase(plain, q)
                           for q in cxx)
            return False
        return hit(node.locals, node.locals_cxx) and not hit(node.globals, node.globals_cxx)

    def matches(self, name: str) -> bool:
        """Whether a global pattern names ``name`` (a dynamic list's question)."""
        if name in self.exact or any(fnmatch.fnmatchcase(name, p) for p, _ in self.globs):
            return True
        hit = self._cxx_lookup(name) if self.cxx and name.startswith("_Z") else None
        return bool(hit and hit[0])

    def _cxx_lookup(self, name: str):
        """extern "C++" patterns: exact (quoted) ones first, then globs, on the demangled name."""
        plain = demangle(name)
        if plain == name:
            return None
        for exact in (True, False):
            for q, n in self.cxx:
                if q.startswith("=") != exact:
                    continue
                if (q[1:] == plain) if exact else fnmatch.fnmatchcase(plain, q):
                    return (n is not None), n
        return None

    def undefined_assignments(self, defined: set[str]) -> list[str]:
        """--no-undefined-version: lld's error for each exact name a version node's global part
        assigns that the link does not define (``defined``: the names it does); extern "C++"
        names are compared with the defined names demangled.  Globs are not checked."""
        errors, plain = [], None
        for n in self.nodes:
            label = n.name if n.name is not None else "global"
            for p in n.globals:
                if not _is_glob(p) and p not in defined:
                    errors.append(f"version script assignment of '{label}' to symbol '{p}' failed: symbol not defined")
            for q in n.globals_cxx:
                exact = q[1:] if q.startswith("=") else None if _is_glob(q) else q
                if exact is None:
                    continue
                if plain is None:
                    plain = {demangle(x) for x in defined if x.startswith("_Z")}
                if exact not in plain:
                    errors.append(f"version script assignment of '{label}' to symbol '{exact}' failed: "
                                  f"symbol not defined")
        return errors

    def index_of(self, node: Node | None) -> int:
        """The .gnu.version index of a node: 1 (global, unversioned) or 2.. in script order."""
        if node is None or node.name is None:
            return 1
        return 2 + self.named.index(node)


# GNU ld's built-in dynamic lists (extern "C++" globs on demangled names)
CPP_NEW = ["operator new*", "operator delete*"]            # --dynamic-list-cpp-new
CPP_TYPEINFO = ["typeinfo name for*", "typeinfo for*"]    # --dynamic-list-cpp-typeinfo


def dynamic_list(opts) -> Versions | None:
    """--dynamic-list files (the version-script syntax, one anonymous node: ``{ a; b*; };``),
    --export-dynamic-symbol globs and GNU ld's built-in C++ lists, as one set of patterns
    (None without any; --dynamic-list-data alone gives an empty set: which symbols it adds
    is a question of their type, answered by link/dynamic.py)."""
    if not opts.has_dynamic_list():
        return None
    cxx = (CPP_NEW if opts.dynamic_list_cpp_new else []) + (CPP_TYPEINFO if opts.dynamic_list_cpp_typeinfo else [])
    return Versions([Node(None, globals=list(opts.export_dynamic_symbol), globals_cxx=cxx)]
                    + _read_all(opts.dynamic_list, "dynamic list")
                    + _read_all(opts.export_dynamic_symbol_list, "export dynamic symbol list"))


def load(paths: list[str], texts=()) -> Versions | None:
    """The version scripts of the link (--version-script, in command-line order, then a linker
    script's VERSION { ... } as (text, file)), or None."""
    if not paths and not texts:
        return None
    return Versions(_read_all(paths, "version script") + [n for text, path in texts for n in parse(text, path)])


def _read_all(paths: list[str], what: str) -> list[Node]:
    nodes: list[Node] = []
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError as e:
            raise LinkError(f"cannot open {what} {path}: {e.strerror}")
        nodes += parse(text, path)
    return nodes
