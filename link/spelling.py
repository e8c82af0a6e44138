"""Near names for an undefined symbol: the "did you mean" lines of lld's message.

A reference that no input defines is most often a slip of the hand or of the declaration: a
typo (``prinft``), a case slip (``Init`` for ``init``), a C++ caller of a C function that was
not declared ``extern "C"`` (the reference is ``_Z3addii``, the definition ``add``) or the
reverse, or a library that has the name only under another version than the one asked for.
lld looks for each of these in that order, for the symbols of the first two undefined
references of a link, and names what it finds and where it is defined::

    xld: error: undefined symbol: prinft
    >>> referenced by m.c:3
    >>>               m.o:(main)
    >>> did you mean: printf
    >>> defined in: libc.so.6

The names that may answer are the referring file's own local definitions and every name the
link knows that is not undefined: objects' definitions, linker-defined names, archive
members' names not loaded, and shared objects' definitions (``foo`` for a default version,
``foo@V1`` for every version).  Nothing here runs unless an undefined symbol is reported, and
then for two symbols: the typo search is a few thousand dictionary lookups per name, the case
and extern "C" searches one pass over the names with a cheap test before any demangling.

lld's rules (``getAlternativeSpelling`` in lld/ELF/Relocations.cpp), in order:
1. every string one edit away (a character inserted, replaced or deleted, from ``0`` to ``z``
   in ASCII order, position by position) and every swap of two neighbours;
2. the same name in another case;
3. a mangled reference whose function name is defined (``did you mean: extern "C" add``), or
   a plain reference that is the function name of a mangled definition (``did you mean to
   declare add(int, int) as extern "C"?``).
One difference, on purpose: lld's last search also offers a mangled name that is itself
undefined (with ``defined in:`` the file that only refers to it); xld offers definitions only.
"""
from __future__ import annotations

from xld.link import elf
from xld.link.errors import demangle
from xld.link.resolve import UNDEF, lazy_member_name

_FIRST, _LAST = ord("0"), ord("z")      # the characters lld tries, in its order
_TRAILING = (" const", " volatile", " &&", " &")


class _Known:
    """The names that may answer, and where each is defined: ``find`` a name (None when the
    link does not define it), ``each`` every one in the order lld's symbol table has them (the
    order the link first met them; for the searches that cannot look a name up)."""

    def __init__(self, ctx, file_id: int):
        self.ctx = ctx
        self.st = ctx.symtab
        r = ctx.resolver
        self.lazy = r.lazy if r is not None else {}
        # the referring file's own local definitions (lld: its Defined locals with a name),
        # the first of a name answering
        self.local: dict[str, str] = {}
        obj = ctx.files[file_id] if 0 < file_id < len(ctx.files) else None
        if obj is not None and hasattr(obj, "sym_shndx"):
            shn = obj.sym_shndx[:obj.first_global].tolist()
            for i in range(1, obj.first_global):
                if shn[i] != elf.SHN_UNDEF:
                    nm = obj.sym_name(i)
                    if nm:
                        self.local.setdefault(nm, obj.name)
        # shared objects' names (``foo``, ``foo@V1``), each object's in .dynsym order
        self.dsos = [(d, d.definitions()) for d in ctx.dsos]
        self.shared: dict[str, str] = {}
        for d, names in self.dsos:
            for nm in names:
                self.shared.setdefault(nm, d.name)

    def find(self, name: str):
        """(name, defined in: file or None) of ``name`` if the link defines it."""
        where = self.local.get(name)
        if where is not None:
            return name, where
        st = self.st
        g = st.ids.get(name)
        if g is not None and st.state[g] != UNDEF:
            f = st.def_file[g]
            return name, (self.ctx.files[f].name if f > 0 else None)
        hit = self.lazy.get(name)
        if hit is not None:
            return name, lazy_member_name(hit)
        where = self.shared.get(name)
        if where is not None:
            return name, where
        return None

    def each(self):
        """(name, defined in) of every known name: the local ones, then the link's
        definitions and shared objects' names in the order the link met them, then the
        archive members' names."""
        yield from self.local.items()
        st, files = self.st, self.ctx.files
        state, def_file, names = st.state, st.def_file, st.names

        def defined(a: int, b: int):
            for g in range(a, b):
                if state[g] != UNDEF:
                    f = def_file[g]
                    yield names[g], (files[f].name if f > 0 else None)
        done = 1
        for d, dnames in self.dsos:
            upto = max(done, min(d.names_before, len(names)))
            yield from defined(done, upto)
            done = upto
            for nm in dnames:
                yield nm, d.name
        yield from defined(done, len(names))
        for name, hit in self.lazy.items():
            yield name, lazy_member_name(hit)


def function_name(mangled: str) -> str | None:
    """The name of the function a mangled name encodes, without its return type, parameters
    and qualifiers (``_ZN2ns3addEii`` -> ``ns::add``, ``_ZL3addi.constprop.0`` -> ``add``),
    as LLVM's partial demangler gives it; None for what is not a function (data, vtables)."""
    text = demangle(mangled)
    if text == mangled:
        return None
    cut = text.find(" [clone ")
    if cut >= 0:
        text = text[:cut]
    stripped = True
    while stripped:
        stripped = False
        for q in _TRAILING:
            if text.endswith(q):
                text, stripped = text[:-len(q)], True
    if not text.endswith(")"):
        return None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        c = text[i]
        if c == ")":
            depth += 1
        elif c == "(":
            depth -= 1
            if depth == 0:
                break
    else:
        return None
    head = text[:i]
    # a template function's demangled name starts with its return type: the name is what
    # follows the last space outside <> and ()
    depth, start = 0, 0
    for j, c in enumerate(head):
        if c in "<(":
            depth += 1
        elif c in ">)":
            depth -= 1
        elif c == " " and depth == 0 and not head[:j].endswith("operator"):
            start = j + 1
    return head[start:] or None


def _typos(name: str):
    """Every string one edit from ``name`` in lld's order (position by position: insert
    before it, replace it, swap it with the next, delete it; then insert at the end)."""
    chars = [chr(c) for c in range(_FIRST, _LAST + 1)]
    n = len(name)
    for i in range(n + 1):
        head, tail = name[:i], name[i:]
        for c in chars:
            yield head + c + tail
        if i == n:
            break
        rest = name[i + 1:]
        for c in chars:
            yield head + c + rest
        if i + 1 < n:
            yield head + name[i + 1] + name[i] + name[i + 2:]
        yield head + rest


def alternative(ctx, name: str, file_id: int):
    """lld's hint for undefined ``name`` first referred to by file ``file_id``: the lines to
    add to its message ([] when nothing near is known).  A reference that asks for a version
    (``bar@V3``) is looked for by its name (``bar``: the name itself answers, in any other
    version); a name compares with the versions of a shared object's definitions in the case
    search (``foo`` finds ``foo@V1``), as lld compares its symbols' names without versions."""
    known = _Known(ctx, file_id)
    base = name.partition("@")[0] or name
    hit, pre, post = None, ": ", ""
    for cand in _typos(base):
        hit = known.find(cand)
        if hit is not None:
            break
    if hit is None:
        # one pass over every known name for the two searches that cannot look one up: the
        # same name in another case (compared without a version: ``foo`` finds ``foo@V1``),
        # and for a plain reference a C++ function of that name, an unscoped ``_Z<len><name>``
        # (internal: ``_ZL``), demangled only when that prefix says it may be one
        low, n = base.lower(), len(base)
        heads = None if base.startswith("_Z") else (f"_Z{n}{base}", f"_ZL{n}{base}")
        cxx = None
        for cand, where in known.each():
            if cand[:n].lower() == low and (len(cand) == n or cand[n] == "@"):
                hit = cand, where
                break
            if cxx is None and heads and cand.startswith(heads) and function_name(cand) == base:
                cxx = cand, where
        if hit is None and cxx is not None:
            hit, pre, post = cxx, " to declare ", ' as extern "C"?'
    if hit is None and base.startswith("_Z"):
        # a C++ reference to a C definition
        fn = function_name(base)
        if fn:
            hit = known.find(fn)
            pre = ': extern "C" '
    if hit is None:
        return []
    shown, where = hit
    head, at, ver = shown.partition("@")
    lines = [f">>> did you mean{pre}{ctx.diag.sym(head)}{at}{ver}{post}"]
    if where is not None:
        lines.append(f">>> defined in: {where}")
    return lines
