"""Layout under a linker script's SECTIONS (link/script.py reads the script).

GNU ld's semantics (docs/scripts.md has the details and the differences):
- an input section goes to the first output section whose input description matches it
  (file pattern, EXCLUDE_FILE, section patterns; KEEP'd ones are --gc-sections roots), in
  file order unless sorted; /DISCARD/ drops; ONLY_IF_RO/RW sections drop out when their
  inputs do not qualify; the linker's own sections (.got, .iplt ...) go where a description
  names them;
- sections no description matches are orphans: output sections of their own names (GNU ld
  2.40, lld: .text.f stays .text.f), placed as GNU ld's ldelf_place_orphan places them (after
  the last orphan of their kind, else the script's section of that kind, else the last
  section of similar flags, else the nearest kind before);
- the location counter walks SECTIONS in order: an output section starts at its address
  expression, or its region's next free byte (``> REGION``, else a region its attributes
  choose), or ``.``; its alignment is the largest of its inputs' and ALIGN(); inside it a
  number assigned to ``.`` or a symbol is an offset from its start;
- load addresses: AT(expr), AT> REGION, else (GNU ld's rule) the same VMA-LMA difference as
  the last section placed in the same VMA region, else the VMA;
- the walk runs until forward references and SIZEOF_HEADERS settle;
- a region overflow is an error naming the section, the region and by how much (lld's
  words); a failed ASSERT is an error with the script's message at file:line.
Segments: PHDRS' when given; else consecutive sections share a PT_LOAD while they are
contiguous, writable or not alike, and keep one VMA-LMA difference (a section in the page a
segment ends in joins it); p_paddr is the load address; the headers are loaded with the
first segment when they fit below it.  INSERT scripts add their sections to the default
layout instead (assign_insert); NOCROSSREFS is checked once relocations are scanned.
"""
from __future__ import annotations

import fnmatch
import os
import re

import numpy as np

from xld.link import elf, layout, resolve, script as sc
from xld.link.elf import align_up
from xld.link.errors import LinkError
from xld.link.layout import OutputSection, SEG_R, SEG_RX, SEG_RW


def read(ctx) -> None:
    """-T FILE: parse the script once, before the inputs are read (ENTRY applies then)."""
    ctx.script = None
    if not ctx.opts.scripts:
        return
    s = sc.read(ctx.opts.scripts, ctx.opts.lib_paths)
    if ctx.opts.default_script is not None and s.insert is not None:
        # -dT FILE with a -T script that INSERTs: GNU ld inserts into FILE's layout; xld
        # inserts into its own default layout only
        raise LinkError(f"-dT {ctx.opts.default_script} with an INSERT script ({ctx.opts.scripts[-1]}) "
                        f"is not supported")
    ctx.script = s
    ctx.script_place = place                # (what layout.place calls for a script's SECTIONS)
    if s.output and not ctx.opts.output_given:
        ctx.opts.output = s.output
    ctx.opts.version_texts = list(s.versions)
    ctx.opts.lib_paths.extend(d for d in s.search_dirs if d not in ctx.opts.lib_paths)
    ctx.opts.undefined.extend(n for n in s.externs if n not in ctx.opts.undefined)
    _script_inputs(ctx, s)
    if s.entry and not ctx.opts.entry:
        ctx.opts.entry = s.entry
        ctx.entry_from_script = True
    if getattr(s, "output_binary", False):
        ctx.opts.oformat = "binary"
    if s.sections is None:
        for c in s.top:
            pass
    ctx.script_keep = _keep_matcher(s)


def _script_inputs(ctx, s) -> None:
    """INPUT(...) and GROUP(...) of a -T script: more inputs, where -T is on the command line
    (GROUP's archives searched again and again like --start-group ... --end-group).  ``-lNAME`` is a
    library; another name is a file as written, else found in the library directories, else
    (``=``) under the sysroot."""
    from xld.link.options import Input
    added, first = [], []
    for kind, names, line in s.inputs:
        items = []
        for name, as_needed in names:
            if name.startswith("-l"):
                items.append(Input("lib", name[2:], as_needed=as_needed))
                continue
            path = name
            if name.startswith("=") and ctx.opts.sysroot:
                path = os.path.join(ctx.opts.sysroot, name[1:].lstrip("/"))
            elif not os.path.exists(name):
                path = next((os.path.join(d, name) for d in ctx.opts.lib_paths
                             if os.path.exists(os.path.join(d, name))), None)
                if path is None:
                    raise LinkError(f"{sc.at(s, line)}: unable to find {name}")
            items.append(Input("file", path, as_needed=as_needed))
        if kind == "GROUP":
            items = [Input("group_start")] + items + [Input("group_end")]
        (first if kind == "STARTUP" else added).extend(items)
    at = min(ctx.opts.script_at, len(ctx.opts.inputs))
    ctx.opts.inputs[at:at] = added
    ctx.opts.inputs[0:0] = first


def _keep_matcher(s):
    pats = []
    for cmd in s.sections or ():
        if isinstance(cmd, sc.OutSec):
            for c in cmd.commands:
                if isinstance(c, sc.InputDesc) and c.keep:
                    pats.extend(c.patterns)
    if not pats:
        return None
    return lambda name: any(fnmatch.fnmatchcase(name, p) for p in pats)


# -- names the script defines (before resolution checks undefined symbols) -------------------

def assignments(s) -> list[sc.Assign]:
    out = []
    for cmd in s.top + list(s.sections or ()):
        if isinstance(cmd, sc.Assign):
            out.append(cmd)
        elif isinstance(cmd, sc.OutSec):
            out.extend(c for c in cmd.commands if isinstance(c, sc.Assign))
    return [a for a in out if a.name != "."]


def define_symbols(ctx) -> list[str]:
    """Intern what the script assigns (a PROVIDE only if something refers to it and no input
    defines it); the names become linker-defined symbols."""
    st = ctx.symtab
    names = []
    used = _script_refs(ctx.script)
    ctx.script_provides, ctx.script_hidden = set(), set()
    for a in assignments(ctx.script):
        g = st.ids.get(a.name)
        if a.provide:
            if a.name in used and g is None:
                g = st.intern(a.name)       # the script itself refers to it
            if g is None or st.state[g] != resolve.UNDEF:
                continue         # (defined: by an input, or by the script before it, as GNU ld)
            ctx.script_provides.add(id(a))
        elif g is not None and st.state[g] != resolve.UNDEF and st.def_file[g] > 0:
            continue             # an input defines it (kept; GNU ld would override)
        g = st.intern(a.name)
        st.state[g] = resolve.DEFINED
        st.def_file[g] = resolve.LINKER
        ctx.defined_by.setdefault(a.name, sc.at(ctx.script, a.line))
        if a.hidden:
            ctx.script_hidden.add(g)
        names.append(a.name)
    ctx.script_names = set(names)
    _aliases(ctx, names)
    return names


def taken(ctx, a: sc.Assign) -> bool:
    """Whether assignment ``a`` defines its symbol: a PROVIDE only when something refers to
    the name and neither an input nor an earlier assignment of the script (nor an earlier
    PROVIDE) defines it, as GNU ld evaluates them."""
    return not a.provide or id(a) in ctx.script_provides


def _alias_form(e) -> tuple[str, int] | None:
    """``SYM``, ``SYM + N``, ``N + SYM`` or ``SYM - N``: (SYM, the addend); else None."""
    if e[0] == "sym":
        return e[1], 0
    if e[0] == "bin" and e[1] in "+-":
        a, b = e[2], e[3]
        if a[0] == "sym" and b[0] == "num":
            return a[1], b[1] if e[1] == "+" else -b[1]
        if e[1] == "+" and a[0] == "num" and b[0] == "sym":
            return b[1], a[1]
    return None


def _aliases(ctx, names) -> None:
    """A script symbol assigned once as an input's symbol plus a constant
    (``jiffies = jiffies_64;``) takes that symbol's final address, as a --defsym alias does
    (after relaxation, ICF, an IFUNC's stub), and lies in its section, as with GNU ld."""
    st = ctx.symtab
    every = assignments(ctx.script)
    once = {a.name for a in every if a.op == "=" and sum(b.name == a.name for b in every) == 1}
    ctx.script_aliases = {}
    for a in every:
        form = _alias_form(a.expr) if a.name in once and a.name in names else None
        if form is None:
            continue
        target = st.ids.get(form[0])
        if target is None or st.def_file[target] <= 0 or form[0] in ctx.script_names:
            continue
        g = st.ids[a.name]
        ctx.defsym_alias.append((g, target, form[1]))
        ctx.script_aliases[g] = target


def _expr_symbols(e, out: dict) -> None:
    """The symbols expression ``e`` names, into ``out`` (a dict: script order kept)."""
    if isinstance(e, tuple):
        if e and e[0] == "sym":
            out[e[1]] = None
        for x in e:
            if isinstance(x, (tuple, list)):
                _expr_symbols(x, out)
    elif isinstance(e, list):
        for x in e:
            _expr_symbols(x, out)


def assignment_refs(ctx) -> list[str]:
    """The symbols a -T script's assignments (those that define something: a PROVIDE only
    when it is taken) and ASSERTs refer to, in script order.  --gc-sections keeps their
    sections, as lld does: GNU ld keeps them when something refers to the assigned symbol
    and otherwise gives that symbol the value 0, which xld never writes."""
    out: dict[str, None] = {}

    def cmds(lst):
        for c in lst:
            if isinstance(c, sc.Assign) and taken(ctx, c):
                _expr_symbols(c.expr, out)
            elif isinstance(c, sc.Assert):
                _expr_symbols(c.expr, out)
            elif isinstance(c, sc.OutSec):
                cmds(c.commands)
    cmds(ctx.script.top + list(ctx.script.sections or ()))
    return [n for n in out if n != "."]


def _script_refs(s) -> set[str]:
    """Symbols the script's own expressions refer to."""
    out: dict[str, None] = {}

    def cmds(lst):
        for c in lst:
            if isinstance(c, (sc.Assign, sc.Assert)):
                _expr_symbols(c.expr, out)
            elif isinstance(c, sc.OutSec):
                for e in (c.addr, c.lma, c.align, c.subalign):
                    if e is not None:
                        _expr_symbols(e, out)
                cmds(c.commands)
    cmds(s.top + list(s.sections or ()))
    return set(out)


# -- assignment of input sections -------------------------------------------------------------

def _file_matches(pattern: str, obj) -> bool:
    if pattern == "*":
        return True
    name = obj.name
    base = os.path.basename(name)
    if "(" in name and name.endswith(")"):          # archive(member): "archive:member" patterns
        ar, member = name[:-1].split("(", 1)
        if ":" in pattern:
            pa, pm = pattern.split(":", 1)
            return fnmatch.fnmatchcase(os.path.basename(ar), pa or "*") and fnmatch.fnmatchcase(member, pm or "*")
        return fnmatch.fnmatchcase(member, pattern)
    return fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(base, pattern)


def desc_matches(d, name: str, obj) -> bool:
    """Whether input section ``name`` of ``obj`` matches description ``d``: its file pattern,
    one of its section patterns, and none of the EXCLUDE_FILE patterns that apply."""
    if not _file_matches(d.file_pattern, obj):
        return False
    if any(_file_matches(p, obj) for p in d.exclude_files):
        return False
    for p, ex in zip(d.patterns, d.pattern_excludes or [[]] * len(d.patterns)):
        if fnmatch.fnmatchcase(name, p) and not any(_file_matches(e, obj) for e in ex):
            return True
    return False


class DescMatcher:
    """The first of a script's input descriptions that an input section matches, as trying
    ``desc_matches`` on each in turn finds it, with one regular expression match where that
    tried each: the descriptions' section patterns joined into one alternation, a group a
    description, in their order (the first alternative that matches the whole name wins, as
    the first description would).  A description with file patterns (a file other than
    ``*``, EXCLUDE_FILE) is then checked whole; where it does not apply the search goes on
    after it.  (OpenSBI's firmware link: 1,800 sections against 18 descriptions, 33,000
    fnmatch calls, ~30 ms: a fifth of the link.)  ``skip``: descriptions never tried."""

    def __init__(self, descs: list, skip=lambda d: False):
        self.descs = descs
        self.plain = [d.file_pattern == "*" and not d.exclude_files and not any(d.pattern_excludes or ())
                      for d in descs]
        self.skip = [bool(skip(d)) for d in descs]
        self._rx: dict[int, re.Pattern | None] = {}

    def _regex(self, start: int):
        rx = self._rx.get(start, 0)
        if rx == 0:
            alts = [f"(?P<d{k}>" + "|".join(fnmatch.translate(p) for p in d.patterns) + ")"
                    for k, d in enumerate(self.descs) if k >= start and not self.skip[k] and d.patterns]
            rx = self._rx[start] = re.compile("|".join(alts)) if alts else None
        return rx

    def first(self, name: str, obj) -> int | None:
        """The index of the first description ``name`` of ``obj`` matches, or None."""
        start = 0
        while True:
            rx = self._regex(start)
            m = rx.match(name) if rx is not None else None
            if m is None:
                return None
            k = int(m.lastgroup[1:])
            if self.plain[k] or desc_matches(self.descs[k], name, obj):
                return k
            start = k + 1


def _constraints(s, default) -> None:
    """ONLY_IF_RO / ONLY_IF_RW: an output section whose inputs are not all read-only (all
    writable) is dropped from the script, and its inputs go to the descriptions after it
    (GNU ld's rule, as its default scripts use for .eh_frame); repeated until it settles."""
    constrained = [c for c in s.sections if isinstance(c, sc.OutSec) and c.constraint]
    if not constrained:
        return
    inputs = [(obj, i) for out in default.values() for obj, i in out.inputs]
    while True:
        descs = [(d, cmd) for cmd in s.sections if isinstance(cmd, sc.OutSec) and not cmd.disabled
                 for d in cmd.commands if isinstance(d, sc.InputDesc)]
        writable: dict[int, list[bool]] = {}
        first = DescMatcher([d for d, _ in descs]).first
        for obj, i in inputs:
            name = obj.sec_names[i]
            k = first(name, obj)
            cmd = descs[k][1] if k is not None else None
            if cmd is not None and cmd.constraint:
                writable.setdefault(id(cmd), []).append(bool(int(obj.shdrs[i]["sh_flags"]) & elf.SHF_WRITE))
        failed = [c for c in constrained if not c.disabled and
                  (not writable.get(id(c)) or                 # nothing: as if absent
                   (any(writable[id(c)]) if c.constraint == "ONLY_IF_RO" else not all(writable[id(c)])))]
        if not failed:
            return
        for c in failed:
            c.disabled = True


_SORT_KEYS = {
    "name": lambda oi: oi[0].sec_names[oi[1]],
    "alignment": lambda oi: -int(oi[0].shdrs[oi[1]]["sh_addralign"]),       # largest first
    # (GNU ld: equal priorities, or names without one, by name)
    "init_priority": lambda oi: (init_priority(oi[0].sec_names[oi[1]]), oi[0].sec_names[oi[1]]),
}


def _sort_inputs(ctx, d, got: list) -> None:
    """Order one input description's sections (``got``, in file order) by its SORT_* keys.
    --sort-section=name|alignment sorts every description with a wildcard pattern as GNU ld
    does (the whole statement, its literal names too): SORT_BY_<key> where it has none,
    the nested key where it has the other (SORT_NONE and SORT_BY_INIT_PRIORITY stay)."""
    sort, sort2 = d.sort, d.sort2
    opt = ctx.opts.sort_section
    if opt and any(any(c in p for c in "*?[") for p in d.patterns):
        if not sort:
            sort = opt
        elif sort in ("name", "alignment") and sort != opt and not sort2:
            sort2 = opt
    if sort in _SORT_KEYS:
        first, then = _SORT_KEYS[sort], _SORT_KEYS.get(sort2, lambda oi: 0)
        got.sort(key=lambda oi: (first(oi), then(oi)))


def init_priority(name: str) -> int:
    """SORT_BY_INIT_PRIORITY's key, as GNU ld: the number after the last dot of
    .init_array.N / .fini_array.N, 65535 - N for .ctors.N / .dtors.N (they run backwards);
    a section without one comes after those with one."""
    head, _, tail = name.rpartition(".")
    if not tail.isdigit():
        return 1 << 32
    n = int(tail)
    if head.endswith((".ctors", ".dtors")) or head in (".ctors", ".dtors"):
        return 65535 - n
    return n


def assign(ctx) -> None:
    """After the default assignment (which decides what is kept): move each input section to
    the output section the script names for it."""
    layout.assign_sections(ctx)
    s = ctx.script
    if s.sections is None:
        return
    default = ctx.outputs
    _constraints(s, default)
    outs: dict[str, OutputSection] = {}
    ctx.script_outs = []                  # (OutSec, OutputSection | None) in script order
    descs = []                            # (InputDesc, OutputSection or None for /DISCARD/)
    for cmd in s.sections:
        if not isinstance(cmd, sc.OutSec) or cmd.disabled:
            continue
        if cmd.name == "/DISCARD/":
            target = None
        else:
            if cmd.name in outs:
                raise LinkError(f"{sc.at(s, cmd.line)}: output section {cmd.name} is described twice "
                                f"(not supported)")
            target = OutputSection(cmd.name, elf.SHT_NOBITS if cmd.noload else elf.SHT_PROGBITS, 0)
            target.script = cmd
            target.pieces = []           # (command, [(obj, i)]) in the script's order
            target.has_inputs = False
            outs[cmd.name] = target
            ctx.script_outs.append((cmd, target))
        for c in cmd.commands:
            if isinstance(c, sc.InputDesc):
                descs.append((c, target, []))
            if target is not None:
                target.pieces.append((c, descs[-1][2] if isinstance(c, sc.InputDesc) else None))
    orphan_inputs: dict[str, list] = {}   # orphans by their own name (GNU ld's, lld's): inputs
    orphan_found: list[tuple] = []        # --orphan-handling=warn|error|discard: (file id, section, obj, output)
    first = DescMatcher([d for d, _, _ in descs], skip=lambda d: "COMMON" in d.patterns and len(d.patterns) == 1).first
    for dname, dout in default.items():
        for obj, i in dout.inputs:
            name = obj.sec_names[i]
            k = first(name, obj)
            hit = descs[k] if k is not None else None
            if hit is None:
                if ctx.opts.orphan_handling != "place":
                    orphan_found.append((obj.file_id, i, obj, name))
                    if ctx.opts.orphan_handling == "discard":
                        obj.sec_outsec[i] = None
                        obj.sec_kept[i] = False
                        continue
                # GNU ld 2.40 and lld name an orphan after the input section itself, not by
                # the default rules (.text.f stays .text.f); same-named ones share one
                orphan_inputs.setdefault(name, []).append((obj, i))
                continue
            d, target, got = hit
            if target is None:                     # /DISCARD/
                obj.sec_outsec[i] = None
                obj.sec_kept[i] = False
                continue
            got.append((obj, i))
            obj.sec_outsec[i] = target
            t = int(obj.shdrs[i]["sh_type"])
            f = int(obj.shdrs[i]["sh_flags"])
            target.flags |= f & (elf.SHF_WRITE | elf.SHF_EXECINSTR | elf.SHF_ALLOC | elf.SHF_TLS)
            if not target.script.noload and t != elf.SHT_NOBITS:
                target.type = t if t not in (elf.SHT_NOBITS,) else target.type
                if target.type == elf.SHT_NOBITS:
                    target.type = elf.SHT_PROGBITS
            elif not target.has_inputs and t == elf.SHT_NOBITS:
                target.type = elf.SHT_NOBITS
            target.has_inputs = True
    report_orphans(ctx, orphan_found)
    orphans: dict[str, OutputSection] = {}
    for name, inputs in sorted(orphan_inputs.items(), key=lambda kv: min((o.file_id, i) for o, i in kv[1])):
        inputs.sort(key=lambda oi: (oi[0].file_id, oi[1]))
        o = orphans[name] = layout.output_of(name, inputs)
        o.script, o.pieces = None, None
        for obj, i in inputs:
            obj.sec_outsec[i] = o
    for d, target, got in descs:
        # GNU ld: the files in command-line order, each file's sections in its order (the
        # default assignment gathered them by default output section)
        got.sort(key=lambda oi: (oi[0].file_id, oi[1]))
        _sort_inputs(ctx, d, got)
    for cmd, target in ctx.script_outs:
        target.inputs = [oi for c, got in target.pieces if got is not None for oi in got]
        if not target.has_inputs:
            # what GNU ld makes of a section no input goes to: one of moves of '.' only
            # (a stack, a heap) is zero-fill and writable; one of data is read-only where a
            # BYTE...QUAD comes first, writable where an assignment does
            first = next((c for c in cmd.commands if isinstance(c, (sc.Assign, sc.Data))), None)
            data = any(isinstance(c, sc.Data) for c in cmd.commands)
            moves = any(isinstance(c, sc.Assign) and c.name == "." and not _no_move(c) for c in cmd.commands)
            target.type = elf.SHT_NOBITS if cmd.noload or (moves and not data) else elf.SHT_PROGBITS
            if first is not None:
                target.flags |= elf.SHF_ALLOC
            if (data and not isinstance(first, sc.Data)) or (moves and not data):
                target.flags |= elf.SHF_WRITE
        if target.flags & elf.SHF_ALLOC == 0 and target.inputs:
            pass
        if any(isinstance(c, sc.InputDesc) and "COMMON" in c.patterns for c, _ in target.pieces):
            if target.name != ".bss":
                raise LinkError(f"{sc.at(s, cmd.line)}: COMMON outside an output section named .bss "
                                f"is not supported")
        if target.inputs and all(int(o.shdrs[i]["sh_type"]) == elf.SHT_NOBITS for o, i in target.inputs):
            target.type = elf.SHT_NOBITS
        if cmd.noload:
            target.type = elf.SHT_NOBITS
            target.flags |= elf.SHF_ALLOC
    for obj in ctx.files[1:]:
        obj.sec_kept = np.array([x is not None for x in obj.sec_outsec], dtype=bool)
    new = dict(outs)
    for name, o in orphans.items():
        if name in new:                  # an orphan named like a script section joins it
            t = new[name]
            t.pieces.append((None, o.inputs))
            t.inputs.extend(o.inputs)
            for obj, i in o.inputs:
                obj.sec_outsec[i] = t
            continue
        new[name] = o
    ctx.outputs = new


# -- placement --------------------------------------------------------------------------------

def _no_move(a: sc.Assign) -> bool:
    """``. += 0`` or ``. = . + 0`` (what a stray ';' reads as): GNU ld makes nothing of it."""
    zero = ("num", 0)
    return (a.op == "+=" and a.expr == zero) or (a.op == "=" and a.expr in (("bin", "+", ("dot",), zero),))


def report_orphans(ctx, found: list[tuple]) -> None:
    """--orphan-handling=warn|error: each orphan (file id, section index, object, the output
    section it goes to) in lld's words, in command-line order."""
    if ctx.opts.orphan_handling in ("warn", "error"):
        report = ctx.diag.warn if ctx.opts.orphan_handling == "warn" else ctx.diag.error
        for _, i, obj, dname in sorted(found, key=lambda x: x[:2]):
            report(f"{obj.name}:({obj.sec_names[i]}) is being placed in '{dname}'")      # lld's words


# the section GNU ld places an orphan of each class after, where a script has it (ldelf.c's hold)
_HOLD = {0: ".text", 1: ".rodata", 2: ".data", 3: ".bss", 4: ".comment", 5: ".tdata"}
# where it has not: after the last section of the first of these classes the order has
# (ldlang.c's lang_output_section_find_by_flags: TLS after data, zero-fill after data ...)
_FALLBACK = {0: (0,), 1: (1, 0), 2: (2, 1, 0), 3: (3, 2, 1, 0), 5: (5, 2, 1, 0), 4: (4,), 6: ()}


def _class(o) -> int:
    """Orphan placement classes: code, read-only data, writable data, zero-fill, non-alloc,
    thread-local (.tdata.* and .tbss.*: ldelf.c's orphan_tdata), debugging (.debug_*: GNU ld
    has no place for them and appends each at the end)."""
    if not o.alloc:
        return 6 if o.name.startswith((".debug", ".zdebug", ".stab", ".line", ".gnu.linkonce.wi.")) else 4
    if o.flags & elf.SHF_TLS:
        return 5
    if o.flags & elf.SHF_EXECINSTR:
        return 0
    if o.nobits:
        return 3
    if o.flags & elf.SHF_WRITE:
        return 2
    return 1


def _relocations(o) -> bool:
    """A table of dynamic relocations (.rela.plt, .rela.dyn, what holds .rela.iplt): GNU ld
    places an orphan after a section of its own type only (lang_output_section_find_by_flags'
    match_type), so read-only data goes after the code, not after .rela.plt."""
    return o.type in (elf.SHT_RELA, elf.SHT_REL) or o.name.startswith((".rela.", ".rel.")) or \
        any(x.type in (elf.SHT_RELA, elf.SHT_REL) for x in getattr(o, "synthetic", ()))


def input_address(ctx, g: int) -> int | None:
    """The address of global ``g``, defined by an input, as the walk has placed its section
    so far (the sections placed later in this walk: where the previous walk put them); None
    where the walk cannot know it (a merged section's piece, a common symbol, a discarded
    section)."""
    obj = ctx.files[ctx.symtab.def_file[g]]
    i = ctx.symtab.def_index[g]
    sh = int(obj.sym_shndx[i])
    v = int(obj.syms[i]["st_value"])
    if sh == elf.SHN_ABS:
        return v
    if not 0 < sh < elf.SHN_LORESERVE or sh >= len(obj.sec_outsec):
        return None
    o = obj.sec_outsec[sh]
    if o is None or int(obj.sec_out[sh]) < 0 or int(obj.shdrs[sh]["sh_flags"]) & elf.SHF_MERGE:
        return None
    return o.addr + int(obj.sec_out[sh]) + v


class _Env:
    """What expressions see during the walk."""

    def __init__(self, ctx, values, prev):
        self.ctx, self.s = ctx, ctx.script
        self.values = values          # name -> (value, OutputSection | None), this walk
        self.prev = prev              # the previous walk's values (forward references)
        self.cur = 0
        self.cur_sec = None           # the output section being placed (None: outside)
        self.final = False
        self.tls_first = None         # the first TLS output section, and the template's
        self.tls_align = 1            # alignment: its largest input's (layout.place's rule)
        self.lma_regions = _lma_regions(self.s)   # id(OutSec) -> its load region (AT> or inherited)
        # GNU ld's section_for_dot: a symbol given an address from '.' outside the output
        # sections is absolute in expressions, but its symbol table entry is in the section
        # its assignment belongs to (the one before it; the one after once '.' was moved)
        self.rel_from_abs = False     # the expression being evaluated read '.' out there
        self.prefer_next = False      # '.' moved since the last output section was placed
        self.last_out = None          # the output section placed last (orphans too)
        self.dot_owner = {}           # symbol -> that section (None: not placed yet, or none)
        self.awaiting = []            # symbols that belong to the next section placed
        # GNU ld moves '.' past a script's non-allocated section (to its address, or '.',
        # plus its size); xld leaves '.' where the allocated ones left it: what reads '.' after
        # one would differ.  (name, line, GNU ld's '.') until '.' is set again, else None
        self.past_nonalloc = None

    def dot(self):
        return self.cur

    def symbol_tagged(self, name, line):
        """A symbol's value and its section (link/script.py's NUM/ABS/section)."""
        got = self.values.get(name)
        if got is not None:
            return got[0], (got[1] if got[1] is not None else sc.ABS)
        return self.symbol(name, line), sc.ABS

    def segment_start(self, name, default, line):
        """SEGMENT_START("text-segment", default): -Ttext-segment (--image-base) when given;
        "rodata-segment": -Trodata-segment; else the default, as GNU ld."""
        if name == "text-segment" and self.ctx.opts.image_base is not None:
            return self.ctx.opts.image_base
        return self.ctx.opts.segment_starts.get(name, default)

    def fail(self, msg):
        raise LinkError(f"{self.s.path}: {msg}")

    def symbol(self, name, line):
        if name in self.values:
            return self.values[name][0]
        st = self.ctx.symtab
        g = st.ids.get(name)
        if g is not None and st.def_file[g] > 0 and getattr(self.ctx, "gaddr", None) is not None \
                and g < len(self.ctx.gaddr):
            return int(self.ctx.gaddr[g])
        if g is not None and st.def_file[g] > 0:
            v = input_address(self.ctx, g)
            if v is not None:
                return v
        if name in self.prev:
            return self.prev[name][0]
        if self.final:
            raise LinkError(f"{sc.at(self.s, line)}: symbol not found: {name}")
        return 0

    def defined(self, name):
        st = self.ctx.symtab
        g = st.ids.get(name)
        return name in self.values or (g is not None and st.def_file[g] > 0)

    def region(self, name, fn, line):
        r = self.s.regions.get(name)
        if r is None:
            raise LinkError(f"{sc.at(self.s, line)}: memory region not defined: {name}")
        return r.origin if fn == "ORIGIN" else r.length

    def section(self, name, fn, line):
        o = self.ctx.outputs.get(name)
        if o is None:
            raise LinkError(f"{sc.at(self.s, line)}: undefined section {name}")
        if fn == "SIZEOF":
            return o.size
        if fn == "ALIGNOF":
            return max(o.align, 1)
        if fn == "ADDR":
            return o.addr
        return o.lma if getattr(o, "lma", None) is not None else o.addr

    def constant(self, name, line):
        if name == "MAXPAGESIZE":
            return self.ctx.opts.max_page_size or self.ctx.arch.max_page_size
        if name == "COMMONPAGESIZE":
            return self.ctx.opts.common_page_size or self.ctx.arch.common_page_size
        raise LinkError(f"{sc.at(self.s, line)}: unknown constant: {name}")

    def sizeof_headers(self):
        return elf.EHDR_SIZE + self.ctx.nphdr * elf.PHDR_SIZE


def place(ctx) -> None:
    s = ctx.script
    layout.common_bss(ctx)               # (its .bss, for COMMON symbols, if any)
    for out in ctx.synthetic_sections():
        cur = ctx.outputs.get(out.name)
        if cur is None:
            out.script, out.pieces = None, None
            ctx.outputs[out.name] = out
            _absorb(ctx, out)
        elif isinstance(getattr(cur, "script", None), sc.OutSec) and \
                not any(x.name == out.name for x in getattr(cur, "synthetic", ())):
            # a script section with the name of one the linker makes (.got : { *(.got) })
            _absorb(ctx, out)
            if getattr(out, "inside", None) is None:
                raise LinkError(f"{sc.at(s, cur.script.line)}: output section {out.name} does not take "
                                f"the linker's {out.name} (add *({out.name}) to it)")
    order = _order(ctx)
    prev: dict = {}
    values: dict = {}
    # the walk runs until what it depends on settles: symbols defined later (forward
    # references) and SIZEOF_HEADERS, which counts the program headers the layout makes
    ctx.nphdr = len(s.phdrs) + _isa_phdrs(ctx) if s.phdrs is not None else 0
    pad = 0                               # -z relro: DATA_SEGMENT_ALIGN's extra padding
    ctx.script_relro = None
    tls = [o for o in order if o.alloc and o.flags & elf.SHF_TLS]
    tls_align = max([_input_align(o) for o in tls] + [1])
    for k in range(8):
        final = k > 0
        values = {}
        env = _Env(ctx, values, prev)
        env.final = final
        env.relro, env.relro_pad = {}, pad
        env.tls_first, env.tls_align = tls[0] if tls else None, tls_align
        used = ctx.nphdr
        _walk(ctx, env, order, final)
        prev = values
        settled = True
        r = env.relro
        if ctx.opts.relro and "base" in r and "end" in r and s.phdrs is None:
            # the RELRO part ends on a common page: DATA_SEGMENT_ALIGN moves it up by a
            # multiple of the largest alignment there (so it moves rigidly: one more walk);
            # PT_GNU_RELRO covers up to that page boundary
            need = -r["end"] % r["common"]
            if need:
                step = max([o.align for o in order if o.alloc and o.addr >= r["base"]] + [1])
                pad += -(-need // step) * step
                settled = False
            ctx.script_relro = (r["base"], r["end"] - r["end"] % r["common"])
        emitted = [o for o in order if _emitted(ctx, o)]
        _segments(ctx, [o for o in emitted if o.alloc], [o for o in emitted if not o.alloc])
        stand_ins(order, emitted)
        if final and ctx.nphdr == used and settled:
            break
    ctx.script_values = values
    ctx.script_dot_owner = env.dot_owner
    for o in list(ctx.outputs.values()):
        t = getattr(o, "inside", None)
        if t is not None:                   # inside the script's section, in the file too
            o.offset = t.offset + (o.addr - t.addr)
            o.lma = (t.lma if getattr(t, "lma", None) is not None else t.addr) + (o.addr - t.addr)
            if t.name == o.name and o.addr != t.addr and o.name not in _FOUND_AS_MADE:
                raise LinkError(f"{sc.at(s, o.at_desc.line)}: the linker's {o.name} must start its output "
                                f"section {t.name} (not supported elsewhere in it)")


# the names GNU ld's BFD gives the input sections that hold what one of xld's sections
# holds: its GOT's dynamic relocations are in `.rela.got`, which GNU ld's own default script
# (`ld --verbose`, where custom scripts start from) puts in .rela.dyn without naming .rela.dyn
_BFD_NAMES = {".rela.dyn": (".rela.got",)}


# the linker's sections that every pass finds through ctx.linker_output: a -T script's section
# of the same name may hold something before them (GNU ld's riscv64 script: .got.plt first)
_FOUND_AS_MADE = frozenset({".got"})


def _absorb(ctx, syn) -> None:
    """A section the linker makes (.got, .got.plt, .iplt, .rela.iplt, .eh_frame_hdr, notes)
    that a script's description names (``.got : { *(.got) *(.igot) }``, ``.rela.plt : {
    ... *(.rela.iplt) ... }``) goes there, where that description is, as GNU ld puts its own
    sections: it keeps its name for the passes that fill it and takes its place inside the
    script's section (``inside``), which the output has instead."""
    if not ctx.script.sections:
        return
    names = (syn.name, *_BFD_NAMES.get(syn.name, ()))
    for cmd in ctx.script.sections:
        if not isinstance(cmd, sc.OutSec) or cmd.disabled:
            continue
        for c in cmd.commands:
            if isinstance(c, sc.InputDesc) and c.file_pattern == "*" and \
                    any(fnmatch.fnmatchcase(n, p) for p in c.patterns for n in names):
                if cmd.name == "/DISCARD/":
                    # (the notes it makes, .note.gnu.build-id and the like, go as GNU ld's do;
                    # its tables cannot)
                    if syn.alloc and syn.type != elf.SHT_NOTE:
                        raise LinkError(f"{sc.at(ctx.script, c.line)}: /DISCARD/ of the linker's own "
                                        f"{syn.name} is not supported")
                    ctx.outputs.pop(syn.name, None)          # (.riscv.attributes: no PT_ either)
                    spec = ctx.arch.hooks.get("attributes")
                    if spec is not None and spec["name"] == syn.name:
                        ctx.attributes = []
                    return
                target = ctx.outputs.get(cmd.name)
                if target is None or getattr(target, "script", None) is not cmd:
                    return
                syn.inside, syn.at_desc = target, c
                syn.script, syn.pieces = "absorbed", None
                target.flags |= syn.flags & (elf.SHF_ALLOC | elf.SHF_WRITE | elf.SHF_EXECINSTR | elf.SHF_TLS)
                target.synthetic = getattr(target, "synthetic", []) + [syn]
                if not target.inputs and not cmd.noload:
                    target.type = syn.type if len(target.synthetic) == 1 else elf.SHT_PROGBITS
                    target.entsize = syn.entsize if len(target.synthetic) == 1 else 0
                if target.name == syn.name:         # the script's section is the one lookups find
                    ctx.outputs[syn.name] = target
                    ctx.outputs[syn.name + "\0synthetic"] = syn
                return


def _emitted(ctx, o) -> bool:
    """Whether the output gets the section: it has contents (an input, even an empty one;
    data; the linker's own; a size).  A script's section with none, only symbol assignments
    (``.x : { __x_start = .; *(.x) __x_end = .; }`` with no .x anywhere), is not written, as
    GNU ld's "Output Section Discarding" drops it: its symbols keep their values, in the
    section kept before it (stand_ins), and it takes no room in its MEMORY region."""
    cmd = getattr(o, "script", None)
    return bool(o.inputs) or (o.data is not None) or o.size > 0 or \
        (cmd is not None and o.name == ".bss" and bool(getattr(o, "_commons", None)))


def _dropped_empty(ctx, o, cmd) -> bool:
    """A script's allocated section ``_emitted`` leaves out (see there)."""
    return cmd is not None and o.alloc and not _emitted(ctx, o)


def stand_ins(order, emitted) -> None:
    """A script's section dropped empty: the symbols in it take the index of the kept
    allocated section before it, else after it, as GNU ld's _bfd_nearby_section mostly
    chooses; their values stay."""
    kept = set(map(id, emitted))
    prev = None
    waiting = []
    for o in order:
        if id(o) in kept:
            if o.alloc:
                for w in waiting:
                    w.stand_in = o
                waiting, prev = [], o
            continue
        o.stand_in = None
        if o.alloc and getattr(o, "script", None) is not None:
            if prev is not None:
                o.stand_in = prev
            else:
                waiting.append(o)


def _order(ctx) -> list[OutputSection]:
    """Script sections in order, with the orphans placed as GNU ld's ldelf_place_orphan
    places them, one at a time in the order it meets them (the linker's own sections first,
    as its dynobj's; then by their first input, in command-line and section order): after
    the last orphan of its class already placed, else after the script's section named for
    its class (.text, .rodata, .data, .bss, .tdata), else after the last section of its
    class, else of the nearest class before it (read-only data after code, zero-fill and
    TLS after data).  Notes go after the last note, else after .interp, else after the
    read-only data (its orphans too)."""
    script_secs = [t for _, t in ctx.script_outs]
    orphans = [o for o in ctx.outputs.values() if getattr(o, "script", None) is None]
    # (the allocated ones the linker makes come first, as from GNU ld's first input, where it
    # makes them; the merged attributes where the first input that has them has them)
    attrs = min(((obj.file_id, i) for obj, i in ctx.attributes), default=(1 << 30, 0))

    def met(o):
        if o.inputs:
            return (1, 0, "") + min((obj.file_id, i) for obj, i in o.inputs)
        return (0, o.rank, o.name, 0, 0) if o.alloc else (1, 0, "") + attrs
    orphans.sort(key=met)
    order = list(script_secs)
    last: dict[int, OutputSection] = {}         # the last orphan placed, by class
    late: list[OutputSection] = []              # notes with no note or .interp to follow
    for o in orphans:
        cls = _class(o)
        at = None
        if o.alloc and o.type == elf.SHT_NOTE:
            # GNU ld's rule for notes: after the last note, else after .interp (not with the
            # read-only data, which may end in the RELRO part: .note.ABI-tag made it writable)
            for k, t in enumerate(order):
                if (t.type == elf.SHT_NOTE and t.alloc and (t.inputs or t.size or t.data is not None)) \
                        or (t.name == ".interp" and at is None):
                    at = k
            if at is not None:
                order.insert(at + 1, o)
                continue
            late.append(o)
            continue
        if cls == 5 and not o.nobits:
            # TLS data before the TLS zero-fill, whatever the input order, also a zero-fill
            # the script names (.tbss with no .tdata in it): after it, the TLS template's
            # data would start where the zero-fill does, the two variables in one word (GNU
            # ld, an orphan .tbss.x met first, overlays .tdata.y on it: a wrong program)
            k = next((k for k, t in enumerate(order) if _class(t) == 5 and t.nobits), None)
            if k is not None:
                order.insert(k, o)
                continue
        if cls == 6:
            order.append(o)
            continue
        if cls in last:
            order.insert(order.index(last[cls]) + 1, o)
            last[cls] = o
            continue
        named = [k for k, t in enumerate(order) if t.name == _HOLD.get(cls) and getattr(t, "script", None)]
        if named:
            at = named[0]
        else:
            for c in _FALLBACK[cls]:
                for k, t in enumerate(order):
                    if _class(t) == c and (t.inputs or t.size or t.data is not None or
                                           (getattr(t, "script", None) and t.flags)) \
                            and not (_relocations(t) and not _relocations(o)):
                        at = k
                if at is not None:
                    break
        if at is None:
            for k, t in enumerate(order):
                if t.alloc and o.alloc:
                    at = k
            at = len(order) - 1 if at is None or not o.alloc else at
        order.insert(at + 1, o)
        last[cls] = o
    for o in late:
        # (GNU ld 2.40: after the read-only data, the orphans of it too, else after the code)
        at = None
        for c in (1, 0):
            for k, t in enumerate(order):
                if t.alloc and _class(t) == c and (t.inputs or t.size or t.data is not None or getattr(t, "script", None)):
                    at = k
            if at is not None:
                break
        order.insert(at + 1 if at is not None else 0, o)
    return order


def _lma_regions(s) -> dict[int, str]:
    """Each script section's load region: its AT> REGION, or, as GNU ld propagates it, the
    previous section's when it names neither an address, an AT nor an AT> and is in the
    same region as that one (``.data : {...} > RAM AT> FLASH`` then ``.bss : {...} > RAM``).
    The region compared is the one named (AT> alone names it for both)."""
    out: dict[int, str] = {}
    prev = None                       # (region named, load region) of the previous section
    for cmd in s.sections or ():
        if not isinstance(cmd, sc.OutSec) or cmd.name == "/DISCARD/":
            continue
        named = cmd.region
        if named is None and cmd.addr is None and cmd.lma_region is not None:
            named = cmd.lma_region
        lma_region = cmd.lma_region
        if lma_region is None and cmd.lma is None and cmd.addr is None and prev is not None \
                and named == prev[0]:
            lma_region = prev[1]
        if lma_region is not None:
            out[id(cmd)] = lma_region
        prev = (named, lma_region)
    return out


def _walk(ctx, env: _Env, order, final: bool) -> None:
    s = ctx.script
    free = {id(r): [r.origin] for r in s.regions.values()}      # next free byte (REGION_ALIAS: shared)
    regions = {n: free[id(r)] for n, r in s.regions.items()}
    last_in_region: dict[str, OutputSection] = {}
    top = list(s.top)
    for a in top:
        if isinstance(a, sc.Assign):
            _assign(env, a, None)
    cmd_iter = list(s.sections or ())
    placed = set()
    pending: list = []                  # orphans that follow the last section placed

    def place_orphans():
        for orphan in pending:
            if id(orphan) not in placed:
                _place_section(ctx, env, orphan, None, regions, last_in_region, final)
                placed.add(id(orphan))
        pending.clear()

    for at, cmd in enumerate(cmd_iter):
        if isinstance(cmd, sc.Assign):
            # GNU ld puts orphans after the symbol assignments that follow their section
            # (`_etext = .;` is the section's end), but before a move of '.' there when an
            # allocated or empty section comes next (its insert_os_after)
            if cmd.name == "." and pending and _orphans_go_before_dot(ctx, cmd_iter, at):
                place_orphans()
            _assign(env, cmd, None)
            continue
        if isinstance(cmd, sc.Assert):
            if final and not sc.evaluate(cmd.expr, env):
                raise LinkError(f"{sc.at(s, cmd.line)}: {cmd.message}")
            continue
        place_orphans()
        if cmd.name == "/DISCARD/" or cmd.disabled:
            continue
        o = ctx.outputs[cmd.name]
        _place_section(ctx, env, o, cmd, regions, last_in_region, final)
        placed.add(id(o))
        # orphans that follow it in the order
        k = order.index(o)
        while k + 1 < len(order) and getattr(order[k + 1], "script", None) is None:
            k += 1
            pending.append(order[k])
    place_orphans()
    for o in order:
        if id(o) not in placed:
            _place_section(ctx, env, o, None, regions, last_in_region, final)
    if final:
        ctx.region_used = {name: regions[name][0] - r.origin for name, r in s.regions.items()}


def _orphans_go_before_dot(ctx, cmds, at: int) -> bool:
    """Whether the output section statement after ``cmds[at]`` (a move of '.') is one GNU ld
    puts orphans before the move for: allocated, or with no inputs (else, or with none after,
    they go after the move)."""
    for cmd in cmds[at + 1:]:
        if isinstance(cmd, (sc.Assign, sc.Assert)):
            continue
        o = ctx.outputs.get(cmd.name)
        return o is None or o.alloc or not o.inputs
    return False


def _assign(env: _Env, a: sc.Assign, sec) -> None:
    """``sym = e`` / ``. = e`` (and ``+=`` ...).  Inside an output section, as in GNU ld, a
    plain number is an offset from the section's start (``. = 0x10``, ``sym = 4``); a value
    relative to a section or absolute is the address it is."""
    if a.name != "." and not taken(env.ctx, a):
        return
    expr = a.expr
    if a.op != "=":                       # x op= e is x = x op (e)
        target = ("dot",) if a.name == "." else ("sym", a.name, a.line)
        expr = ("bin", a.op[:-1], target, ("un", "+", expr))
    env.rel_from_abs = False
    v, tag = sc.evaluate_tagged(expr, env)
    if tag is sc.NUM and sec is not None:
        v, tag = (sec.addr + v) & sc.MASK, sec
    if sec is None and env.past_nonalloc is not None and env.final:
        if a.name == "." and not env.rel_from_abs:
            env.past_nonalloc = None        # (set anew: the same for both linkers from here)
        elif a.name != "." and env.rel_from_abs:
            _past_nonalloc(env, f"{a.name} = ...", a.line)
    if a.name == ".":
        if sec is None:
            env.prefer_next = True
        if sec is not None and v < env.cur:
            raise LinkError(f"{sc.at(env.s, a.line)}: unable to move location counter backward for: {sec.name}")
        if sec is not None and v > env.cur:
            sec.pad_starts.append(env.cur - sec.addr)      # a padding of its own (its fill restarts)
        env.cur = v
        return
    env.values[a.name] = (v, tag if tag not in (sc.NUM, sc.ABS) else None)
    if sec is None and tag is sc.ABS and env.rel_from_abs:
        env.dot_owner[a.name] = None if env.prefer_next else env.last_out
        if env.prefer_next or env.last_out is None:
            env.awaiting.append(a.name)
    else:
        env.dot_owner.pop(a.name, None)


def _input_align(o) -> int:
    align = 1
    for obj, i in o.inputs:
        align = max(align, obj.shdrs.item(i)[_ALIGN])     # (a header's fields at once: item)
    return align


_SIZE, _ALIGN = 5, 8            # sh_size's and sh_addralign's place in a section header's item()


def _past_nonalloc(env, what: str, line) -> None:
    """Refused: ``what`` reads '.' after a non-allocated section that GNU ld moves '.' past."""
    name, at, gnu = env.past_nonalloc
    raise LinkError(f"{sc.at(env.s, line)}: {what} reads '.' after the non-allocated output section "
                    f"{name} ({sc.at(env.s, at)}), which GNU ld moves '.' past (to 0x{gnu:x}, its "
                    f"address plus its size) and xld does not: not supported (set '.' again first, "
                    f"or put {name} last)")


def _place_section(ctx, env, o, cmd, regions, last_in_region, final) -> None:
    s = ctx.script
    for name in env.awaiting:           # (section_for_dot: this is the next section)
        env.dot_owner[name] = o
    env.awaiting.clear()
    env.last_out, env.prefer_next = o, False
    region = cmd.region if cmd is not None else None
    if region is None and o.alloc and s.regions:
        if cmd is None:                 # an orphan: in the region of the section it follows
            region = last_in_region.get(None)
        elif cmd.addr is None:          # GNU ld: the first region whose attributes fit
            region = _attr_region(s, o)
    if cmd is not None and cmd.region is not None and cmd.region not in s.regions:
        raise LinkError(f"{sc.at(s, cmd.line)}: memory region not defined: {cmd.region}")
    if cmd is not None and cmd.lma_region is not None and cmd.lma_region not in s.regions:
        raise LinkError(f"{sc.at(s, cmd.line)}: memory region not defined: {cmd.lma_region}")
    align = _input_align(o)
    if cmd is not None and cmd.subalign is not None and o.inputs:
        # (GNU ld: each input at that alignment instead of its own; the section keeps the
        # largest its inputs asked for)
        align = max(align, sc.evaluate(cmd.subalign, env))
    if o is env.tls_first:
        align = max(align, env.tls_align)
    commons = ctx.commons if o.name == ".bss" else None
    if commons:
        st = ctx.symtab
        align = max([align] + [st.common_align[g] for g in commons])
    if cmd is not None and cmd.align is not None:
        align = max(align, sc.evaluate(cmd.align, env))
    align = max(align, o.align if o.data is not None else 1)
    for syn in getattr(o, "synthetic", ()):
        align = max(align, syn.align)
    # a script's section nothing went to (--gc-sections removed its inputs, say): not in the
    # output, but ADDR and LOADADDR of it are where it would be, as GNU ld evaluates them
    ghost = cmd is not None and not o.alloc and not o.inputs and o.data is None
    env_cur_saved = env.cur
    # --section-start (-Ttext, -Tdata, -Tbss) overrides the script's address, as in GNU ld
    fixed = ctx.opts.section_start.get(o.name) if (o.alloc or ghost) else None
    if not o.alloc and not ghost:
        start = 0
    elif fixed is not None:
        # (aligned up where the start is read as an array's, as layout.starts_as_given)
        start = align_up(fixed, align) if layout.read_as_array(o) else fixed
    elif cmd is not None and cmd.addr is not None:
        start = sc.evaluate(cmd.addr, env)
    elif region is not None:
        start = regions[region][0]
    else:
        start = env.cur
    if (o.alloc or ghost) and fixed is None and not (cmd is not None and cmd.addr is not None):
        if o.alloc and region is None and env.past_nonalloc is not None and cmd is not None and final:
            _past_nonalloc(env, f"section {o.name}", cmd.line)
        start = align_up(start, align)
    env.cur = start
    subalign = sc.evaluate(cmd.subalign, env) if cmd is not None and cmd.subalign is not None else None
    o.align = max(o.align, align)
    o.addr = start
    env.cur_sec = o if o.alloc else None
    o.script_data = []                # (offset, size, expression, line): BYTE ... QUAD
    o.fills = []                      # (offset, pattern): FILL(...) from there on
    o.pad_starts = []                 # offsets where a move of '.' starts a padding
    # GNU ld: gaps in a script's output section are zeros unless =fill; an orphan's (code
    # too) are zeros
    o.fill = sc.fill_pattern(cmd.fill, env) if cmd is not None and cmd.fill is not None else None
    pieces = o.pieces if o.pieces is not None else [(None, o.inputs)]
    commons_done = False
    for c, got in pieces:
        if isinstance(c, sc.Assign):
            _assign(env, c, o)
            continue
        if isinstance(c, sc.Assert):
            if final and not sc.evaluate(c.expr, env):
                raise LinkError(f"{sc.at(s, c.line)}: {c.message}")
            continue
        if isinstance(c, sc.Data):         # its value is written once symbols are final
            o.script_data.append((env.cur - start, c.size, c.expr, c.line))
            env.cur += c.size
            continue
        if isinstance(c, sc.Fill):
            o.fills.append((env.cur - start, sc.fill_pattern(c.expr, env)))
            continue
        if c is not None and "COMMON" in c.patterns and commons and not commons_done:
            _place_commons(ctx, env, o, commons)
            commons_done = True
        for obj, i in got or ():
            h = obj.shdrs.item(i)              # (its fields at once: two field reads cost 3x)
            a = subalign if subalign is not None else max(h[_ALIGN], 1)
            if a > 4 and obj.sec_names[i] == ".eh_frame":
                # records are 4-byte aligned; a gap of zeros between inputs would read as the
                # terminator that ends the unwinder's walk (as the default layout packs them)
                a = 4
            env.cur = align_up(env.cur, a)
            obj.sec_out[i] = env.cur - start
            env.cur += h[_SIZE]
        for syn in getattr(o, "synthetic", ()):          # the linker's own section, here
            if syn.at_desc is c:
                env.cur = align_up(env.cur, max(syn.align, 1))
                syn.addr = env.cur
                env.cur += syn.size if syn.size else len(syn.data or b"")
    if commons and not commons_done:
        _place_commons(ctx, env, o, commons)
    if o.pieces is not None and len(o.inputs) > sum(len(got or ()) for c, got in o.pieces):
        # sections a pass added after the assignment (AArch64 erratum 843419 patches, thunks):
        # at the end of the section they went to
        placed = {(id(obj), i) for c, got in o.pieces for obj, i in got or ()}
        for obj, i in o.inputs:
            if (id(obj), i) not in placed:
                env.cur = align_up(env.cur, max(int(obj.shdrs[i]["sh_addralign"]), 1))
                obj.sec_out[i] = env.cur - start
                env.cur += int(obj.shdrs[i]["sh_size"])
    if o.data is not None and not o.inputs:
        env.cur = start + (len(o.data) if not o.nobits else o.size)
    o.size = env.cur - start
    o._commons = commons
    env.cur_sec = None
    if o.alloc and o.nobits and o.flags & elf.SHF_TLS and not ghost:
        env.cur = start                 # GNU ld: ".tbss sections effectively have zero size"
    if not o.alloc and not ghost:
        env.cur = env_cur_saved
        o.lma = None
        if cmd is not None and o.size and final:
            base = sc.evaluate(cmd.addr, env) if cmd.addr is not None else env_cur_saved
            if base + o.size != env.cur:
                env.past_nonalloc = (o.name, cmd.line, base + o.size)
        return
    # load address
    lma = None
    if cmd is not None and cmd.lma is not None:
        lma = sc.evaluate(cmd.lma, env)
    elif cmd is not None and id(cmd) in env.lma_regions:
        # GNU ld aligns the load address as the section's address where the two regions are
        # one, else only to the script's own ALIGN(...) of the section
        into = env.lma_regions[id(cmd)]
        lma = align_up(regions[into][0], align if region is not None and regions[into] is regions[region] else
                       sc.evaluate(cmd.align, env) if cmd.align is not None else 1)
        if not o.nobits and not ghost:
            regions[into][0] = lma + o.size
    elif fixed is None and not (cmd is not None and cmd.addr is not None):
        prev = last_in_region.get(id(s.regions[region]) if region else "")
        if prev is not None and getattr(prev, "lma", None) is not None:
            # (GNU ld aligns the result as the section: a VMA-LMA difference that is not a
            # multiple of its alignment moves it on)
            lma = align_up(start + (prev.lma - prev.addr), align)
    o.lma = lma if lma is not None else start
    if ghost:                            # (it takes no room: '.' and the regions stay)
        env.cur = env_cur_saved
        return
    if _dropped_empty(ctx, o, cmd):
        # (GNU ld: a section dropped empty takes no room in its region, nor gives the next
        # one its load address; '.' stays where its symbols put it)
        return
    if cmd is not None and id(cmd) in env.lma_regions:
        _check_fit(ctx, o, env.lma_regions[id(cmd)], regions[env.lma_regions[id(cmd)]][0])
    if region is not None:
        regions[region][0] = max(regions[region][0], env.cur)
        _check_fit(ctx, o, region, regions[region][0])
        last_in_region[id(s.regions[region])] = o
        o._region = region
    else:
        last_in_region[""] = o
    last_in_region[None] = region


# MEMORY attributes: the section flags each letter names (GNU ld's, from BFD's section flags)
_ATTR_FLAGS = {"r": "readonly", "w": "data", "x": "code", "a": "alloc", "i": "load", "l": "load"}


def _section_flags(o) -> set[str]:
    f = set()
    if o.alloc:
        f.add("alloc")
        if not o.nobits:
            f.add("load")
    if not o.flags & elf.SHF_WRITE:
        f.add("readonly")
    if o.flags & elf.SHF_EXECINSTR:
        f.add("code")
    elif "load" in f:
        f.add("data")           # (so a NOBITS .bss is neither data nor read-only: GNU ld 2.40)
    return f


def _attr_region(s, o) -> str | None:
    """The first MEMORY region whose attributes take the section (a flag it names, none of
    the ones after '!'), as GNU ld chooses a region for a section without '> REGION'; None
    when no region does (the section then follows '.')."""
    flags = _section_flags(o)
    for name, r in s.regions.items():
        want, avoid, neg = set(), set(), False
        for ch in r.attrs.lower():
            if ch == "!":
                neg = True
            elif ch in _ATTR_FLAGS:
                (avoid if neg else want).add(_ATTR_FLAGS[ch])
        if want & flags and not avoid & flags:
            return name
    return None


def _check_fit(ctx, o, name, end) -> None:
    r = ctx.script.regions[name]
    if end > r.origin + r.length:
        raise LinkError(f"section '{o.name}' will not fit in region '{name}': overflowed by "
                        f"{end - (r.origin + r.length)} bytes")


def _place_commons(ctx, env, o, commons) -> None:
    places, env.cur = layout.common_places(ctx, env.cur)
    ctx.common_off = {g: at - o.addr for g, at in places}


def _load_headers_for_interp(first, lowest, hdr: int, maxpage: int) -> None:
    """A program with an interpreter finds where it was loaded through PT_PHDR (ld.so: its
    address less p_vaddr), so the headers must be in a PT_LOAD. Where they do not fit right
    below the first section, GNU ld loads them from the start of the page below it (the
    segment then maps the file from offset 0, which its sections' offsets already allow);
    with no room for them there, an error in GNU ld's words (a PT_PHDR outside every
    PT_LOAD made ld.so stop: 'rtld_setup_main_map: Assertion ... failed')."""
    low = (first[1] - hdr) // maxpage * maxpage
    if first[1] < hdr or first[2] != first[1] - low or first[1] != first[5]:
        raise LinkError(f"PHDR segment not covered by LOAD segment: no room for the ELF and program headers "
                        f"({hdr:#x} bytes) in the page below section '{lowest.name}' at {first[1]:#x}")
    first[5] -= first[1] - low
    first[1] = low
    first[2] = 0


def _segments(ctx, alloc, nonalloc) -> None:
    """PT_LOADs over the placed sections, file offsets, and what write.py needs."""
    # an OVERLAY's sections share their address: their PT_LOADs overlap by design
    ctx.overlay_addrs = {o.addr for o in alloc if getattr(getattr(o, "script", None), "overlay", False)}
    if ctx.script.phdrs is not None:
        _phdr_segments(ctx, alloc, nonalloc)
        return
    ctx.script_phdrs = None
    for cmd in ctx.script.sections or ():
        bad = [n for n in getattr(cmd, "phdrs", ()) if n != "NONE"]
        if bad:
            raise LinkError(f"{sc.at(ctx.script, cmd.line)}: program header '{bad[0]}' is not listed in PHDRS")
    maxpage = ctx.opts.max_page_size or ctx.arch.max_page_size
    alloc = sorted(alloc, key=lambda o: o.addr)
    segs = []                     # [cls, vaddr, off, fend, mend, paddr, [sections], p_flags]
    empty = []                    # sections of no size map nothing: no segment of their own
    for o in alloc:
        if o.flags & elf.SHF_TLS and o.nobits:
            continue
        if o.size == 0 and o.data is None:
            empty.append(o)
            continue
        cls = SEG_RX if o.flags & elf.SHF_EXECINSTR else SEG_RW if o.flags & elf.SHF_WRITE else SEG_R
        pf = elf.PF_R | (elf.PF_X if o.flags & elf.SHF_EXECINSTR else 0) | (elf.PF_W if o.flags & elf.SHF_WRITE else 0)
        if segs:
            seg = segs[-1]
            last = seg[6][-1]
            end = max(x.addr + x.size for x in seg[6])
            same_w = (seg[0] == SEG_RW) == (cls == SEG_RW)
            contiguous = last.addr + last.size <= o.addr < align_up(last.addr + last.size, maxpage) + maxpage
            # a section that starts in the page where the segment ends must join it whatever
            # its permissions (two segments cannot map one page): GNU ld's rule, RWX if so
            same_page = end > seg[1] and o.addr // maxpage <= (end - 1) // maxpage and o.addr >= end
            same_delta = (o.lma - o.addr) == (seg[5] - seg[1])
            if (same_page or (same_w and contiguous)) and same_delta and not (last.nobits and not o.nobits):
                seg[6].append(o)
                seg[7] |= pf
                if cls == SEG_RX:
                    seg[0] = SEG_RX if seg[0] != SEG_RW else seg[0]
                elif cls == SEG_RW and seg[0] != SEG_RW:
                    seg[0] = SEG_RW
                continue
        segs.append([cls, o.addr, 0, 0, 0, o.lma, [o], pf])
    if any(seg[7] & (elf.PF_W | elf.PF_X) == (elf.PF_W | elf.PF_X) for seg in segs) and not ctx.warned_rwx:
        ctx.warned_rwx = True
        ctx.diag.warn(f"{ctx.opts.output} has a LOAD segment with RWX permissions")
    tls = any(o.flags & elf.SHF_TLS for o in alloc)
    notes = len(layout.note_groups(alloc)) + (1 if any(o.name == layout.PROPERTY_NOTE for o in alloc) else 0)
    eh = ctx.outputs.get(".eh_frame_hdr")
    nphdr = len(segs) + (1 if tls else 0) + (1 if ctx.opts.gnu_stack else 0) + (1 if ctx.attributes else 0) \
        + notes + (1 if ctx.script_relro else 0) + (1 if eh is not None and eh.alloc and eh.size else 0) \
        + (ctx.dyn.extra_phdrs if ctx.dyn is not None else 0)
    ctx.nphdr = nphdr
    off = elf.EHDR_SIZE + nphdr * elf.PHDR_SIZE
    out_segs = []
    for seg in segs:
        vaddr = seg[1]
        off = off + ((vaddr - off) % maxpage)
        fend = off
        mend = vaddr
        for o in seg[6]:
            o.offset = off + (o.addr - vaddr)
            if not o.nobits:
                fend = o.offset + o.size
            mend = max(mend, o.addr + o.size)
        out_segs.append([seg[0], vaddr, off, fend, mend, seg[5], seg[7]])
        off = max(fend, off)
    for o in alloc:
        if o.flags & elf.SHF_TLS and o.nobits:
            o.offset = off
    # GNU ld: the ELF and program headers are loaded with the first segment when they fit
    # right below it in its page (". = SEGMENT_START(...) + SIZEOF_HEADERS")
    if out_segs:
        first = min(out_segs, key=lambda g: g[1])
        hdr = elf.EHDR_SIZE + nphdr * elf.PHDR_SIZE
        if first[2] == hdr and first[1] >= hdr and (first[1] - hdr) % maxpage == 0 and first[1] == first[5]:
            first[1] -= hdr
            first[5] -= hdr
            first[2] = 0
        elif ctx.dyn is not None and ctx.dyn.interp is not None:
            _load_headers_for_interp(first, segs[0][6][0], hdr, maxpage)
    for o in empty:               # at the file place of its address, when a segment spans it
        seg = next((g for g in out_segs if g[1] <= o.addr <= g[4]), None)
        o.offset = min(seg[2] + (o.addr - seg[1]), seg[3]) if seg is not None else off
    ctx.segments = out_segs
    ctx.tls_range = layout.tls_range_of(alloc)
    for o in nonalloc:
        off = align_up(off, max(o.align, 1))
        o.offset = off
        o.addr = 0
        off += o.size
    ctx.ordered = alloc + nonalloc
    ctx.file_end = off


def apply_symbols(ctx) -> None:
    """The script's symbols take the values the walk gave them (after the default
    linker-defined symbols got theirs)."""
    if ctx.script.insert is not None and ctx.script.sections is not None:
        _insert_values(ctx)
    st = ctx.symtab
    for name, (v, o) in ctx.script_values.items():
        g = st.ids.get(name)
        if g is None or st.def_file[g] != resolve.LINKER:
            continue
        st.linker_value[g] = v
        t = ctx.script_aliases.get(g)
        if t is not None:               # in the section of the symbol it names
            o = layout.output_section_of(ctx, t)
        if o is None and name in ctx.script_dot_owner:
            o = _section_for_dot(ctx, ctx.script_dot_owner[name], v)
        if o is not None:
            ctx.linker_sec[g] = o
        else:
            ctx.linker_sec.pop(g, None)


def _section_for_dot(ctx, owner, v: int):
    """The section GNU ld's symbol table gives a symbol assigned from '.' outside the output
    sections (ldlang.c's section_for_dot): the section its assignment belongs to, or, when that
    one is not allocated (or is TLS), the last allocated one before it; the last allocated one
    when none follows.  Only the symbol table sees it (tools, debuggers, a load at a bias)."""
    at = next((i for i, o in enumerate(ctx.ordered) if o is owner), None)
    if at is not None:
        at += 1
    elif owner is None:
        at = len(ctx.ordered)
    else:                               # (a section dropped as empty: the next one kept)
        at = next((i for i, o in enumerate(ctx.ordered) if o.alloc and o.addr >= v), len(ctx.ordered)) + 1
    for o in reversed(ctx.ordered[:at]):
        if o.alloc and not o.flags & elf.SHF_TLS:
            return o
    return None


def write_contents(ctx, img) -> None:
    """What a script puts into its output sections besides the inputs: FILL patterns in the
    gaps (each gap takes the pattern in force where it starts, repeated from there, as GNU
    ld's padding), and BYTE/SHORT/LONG/QUAD/SQUAD values (little-endian), evaluated now that
    every symbol has its address."""
    env = _Env(ctx, ctx.script_values, {})
    env.final = True
    for o in ctx.ordered:
        data, fills = getattr(o, "script_data", None), getattr(o, "fills", None)
        if o.nobits or not (data or fills or getattr(o, "fill", None)):     # (=fill: the gap after the last input too)
            continue
        if fills or getattr(o, "fill", None):
            covered = sorted([(int(obj.sec_out[i]), int(obj.sec_out[i]) + int(obj.shdrs[i]["sh_size"]))
                              for obj, i in o.inputs if int(obj.shdrs[i]["sh_type"]) != elf.SHT_NOBITS]
                             + [(off, off + n) for off, n, _, _ in data])
            base = [(0, o.fill)] if getattr(o, "fill", None) else []
            changes = base + fills
            pos = 0
            for a, z in covered + [(o.size, o.size)]:
                cuts = sorted({pos, a} | {p for p in o.pad_starts if pos < p < a})
                for g0, g1 in zip(cuts, cuts[1:]):
                    pat = next((p for at, p in reversed(changes) if at <= g0), None)
                    if pat is not None:
                        n = g1 - g0
                        img[o.offset + g0:o.offset + g1] = np.frombuffer((pat * (n // len(pat) + 1))[:n], dtype=np.uint8)
                pos = max(pos, z)
        for off, n, expr, line in data:
            env.cur, env.cur_sec = o.addr + off, o
            v = sc.evaluate(expr, env) & ((1 << (8 * n)) - 1)
            img[o.offset + off:o.offset + off + n] = np.frombuffer(v.to_bytes(n, "little"), dtype=np.uint8)


# -- PHDRS: the program headers the script lists ------------------------------------------------

def _phdr_members(ctx, alloc) -> dict[str, list]:
    """Program header name -> its sections, by GNU ld's rule: a section goes into the headers
    its ``:name`` list names; a section without one (orphans too) into those of the section
    before it; ``:NONE`` into none."""
    s = ctx.script
    names = {p.name for p in s.phdrs}
    members: dict[str, list] = {p.name: [] for p in s.phdrs}
    cur: list[str] = []
    for o in alloc:
        cmd = getattr(o, "script", None)
        if cmd is not None and cmd.phdrs:
            for n in cmd.phdrs:
                if n != "NONE" and n not in names:
                    raise LinkError(f"{sc.at(s, cmd.line)}: program header '{n}' is not listed in PHDRS")
            cur = [n for n in cmd.phdrs if n != "NONE"]
        for n in cur:
            members[n].append(o)
    return members


def _isa_phdrs(ctx) -> int:
    """The program headers GNU ld adds to a script's PHDRS: the ISA's attributes header
    (riscv64's PT_RISCV_ATTRIBUTES, first) when the output has the section."""
    spec = ctx.arch.hooks.get("attributes")
    return int(spec is not None and ctx.outputs.get(spec["name"]) is not None)


def _phdr_segments(ctx, alloc, nonalloc) -> None:
    """File offsets and program headers when the script lists them (PHDRS): exactly those
    headers, in that order, as GNU ld writes them.  A PT_LOAD with FILEHDR (and PHDRS) starts
    at the ELF header, which must then sit right below its first section."""
    s = ctx.script
    maxpage = ctx.opts.max_page_size or ctx.arch.max_page_size
    n = len(s.phdrs) + _isa_phdrs(ctx)          # (write.program_headers adds the ISA's)
    ctx.nphdr = n
    hdr = elf.EHDR_SIZE + n * elf.PHDR_SIZE
    members = _phdr_members(ctx, alloc)
    env = _Env(ctx, ctx.script_values, {})
    env.final = True

    def tbss(o):
        return o.flags & elf.SHF_TLS and o.nobits

    # file offsets: each PT_LOAD's sections together, congruent with their addresses
    off = hdr
    done: set[int] = set()
    starts: dict[str, tuple[int, int]] = {}          # PT_LOAD name -> (vaddr, offset)
    for p in s.phdrs:
        if p.type != elf.PT_LOAD:
            continue
        secs = sorted((o for o in members[p.name] if id(o) not in done), key=lambda o: o.addr)
        if p.filehdr or p.phdrs:
            first = min((o.addr for o in members[p.name]), default=None)
            size = hdr if p.filehdr else n * elf.PHDR_SIZE
            vaddr = (first if first is not None else 0) - size
            base = 0 if p.filehdr else elf.EHDR_SIZE
            if vaddr < 0 or (vaddr - base) % maxpage:
                raise LinkError(f"{sc.at(s, p.line)}: the program headers of '{p.name}' do not fit below "
                                f"its first section (place it at SIZEOF_HEADERS past a page boundary)")
            seg_off = base
        elif secs:
            vaddr = secs[0].addr
            seg_off = off + ((vaddr - off) % maxpage)
        else:
            continue
        starts[p.name] = (vaddr, seg_off)
        for o in secs:
            o.offset = seg_off + (o.addr - vaddr)
            done.add(id(o))
            if not o.nobits:
                off = max(off, o.offset + o.size)
    for o in sorted(alloc, key=lambda o: o.addr):         # in no PT_LOAD: in the file, not loaded
        if id(o) not in done:
            off = align_up(off, max(o.align, 1))
            o.offset = off
            if not o.nobits:
                off += o.size
    for o in alloc:
        if tbss(o):
            o.offset = min((x.offset + x.size for x in alloc if x.flags & elf.SHF_TLS and not x.nobits),
                           default=o.offset)

    rows, segs = [], []
    for p in s.phdrs:
        secs = sorted(members[p.name], key=lambda o: o.addr)
        if p.type == elf.PT_LOAD:
            secs = [o for o in secs if not tbss(o)]
        # (a PT_LOAD of nothing, no section nor headers: no flags, as GNU ld writes it)
        flags = 0 if p.type == elf.PT_LOAD and not (secs or p.filehdr or p.phdrs) else elf.PF_R
        for o in secs:
            flags |= (elf.PF_W if o.flags & elf.SHF_WRITE else 0) | (elf.PF_X if o.flags & elf.SHF_EXECINSTR else 0)
        if p.name in starts:
            vaddr, poff = starts[p.name]
        elif p.type == elf.PT_PHDR or (p.phdrs and not secs):
            load = next((q for q in s.phdrs if q.type == elf.PT_LOAD and q.name in starts and (q.filehdr or q.phdrs)), None)
            vaddr = starts[load.name][0] + (elf.EHDR_SIZE if load.filehdr else 0) if load else 0
            poff = elf.EHDR_SIZE
        elif secs:
            vaddr, poff = secs[0].addr, secs[0].offset
        else:
            vaddr = poff = 0
        if p.type == elf.PT_PHDR:
            filesz = memsz = n * elf.PHDR_SIZE
        elif secs:
            ends = [o.offset + o.size for o in secs if not o.nobits]
            filesz = max(ends) - poff if ends else 0
            memsz = max(o.addr + o.size for o in secs) - vaddr
        else:
            filesz = memsz = (hdr if p.filehdr else 0)
        if p.type == elf.PT_GNU_STACK:
            flags = elf.PF_R | elf.PF_W | (elf.PF_X if ctx.exec_stack else 0)
            memsz = ctx.opts.stack_size or 0
        if p.flags is not None:
            flags = sc.evaluate(p.flags, env)
        if p.at is not None:
            paddr = sc.evaluate(p.at, env)
        elif secs:
            first = secs[0]
            paddr = (first.lma if getattr(first, "lma", None) is not None else first.addr) - (first.addr - vaddr)
        else:
            paddr = vaddr
        if p.type == elf.PT_LOAD and p.at is None:
            # one PT_LOAD loads its bytes at one VMA-LMA difference: a section whose own load
            # address differs (AT> another region's next byte, which is not aligned as its
            # address) cannot be in it (GNU ld writes it outside the segment's bytes)
            for o in secs:
                lma = getattr(o, "lma", None)
                if not o.nobits and o.size and lma is not None and lma - o.addr != paddr - vaddr:
                    raise LinkError(f"{sc.at(s, p.line)}: section '{o.name}' is loaded at {lma:#x}, not where "
                                    f"program header '{p.name}' loads it ({paddr + o.addr - vaddr:#x}): give it "
                                    f"a program header of its own, or AT(...)")
        if p.type == elf.PT_LOAD:
            align = maxpage
        elif not secs:
            align = 8               # (GNU ld's for a header without sections: PT_PHDR, PT_GNU_STACK)
        else:
            align = max([o.align for o in secs] + [1])
        rows.append((p.type, flags, poff, vaddr, paddr, filesz, memsz, align))
        if p.type == elf.PT_LOAD and (secs or p.filehdr):
            cls = SEG_RX if flags & elf.PF_X else SEG_RW if flags & elf.PF_W else SEG_R
            segs.append([cls, vaddr, poff, poff + filesz, vaddr + memsz, paddr])
    ctx.script_phdrs = rows
    ctx.segments = segs
    ctx.tls_range = layout.tls_range_of(alloc)
    off = max([off] + [o.offset + (0 if o.nobits else o.size) for o in alloc])
    for o in nonalloc:
        off = align_up(off, max(o.align, 1))
        o.offset = off
        o.addr = 0
        off += o.size
    ctx.ordered = sorted(alloc, key=lambda o: o.addr) + nonalloc
    ctx.file_end = off


# -- NOCROSSREFS ----------------------------------------------------------------------------------

def check_crossrefs(ctx) -> None:
    """NOCROSSREFS(a b ...): no relocation in one of the listed output sections may refer to a
    symbol defined in another one of them (overlays that are never resident together).  An
    error per offending place, in lld's words."""
    s = ctx.script
    t = ctx.rel
    if s is None or not s.nocrossrefs or t is None or t.n == 0:
        return
    from xld.link.relocate import file_tables, site_of
    files = ctx.files
    st = ctx.symtab
    for names, line, to_only in s.nocrossrefs:
        member = {n: k + 1 for k, n in enumerate(names)}
        # per input section: which listed output section it went to (0: none of them)
        code = np.concatenate([[0]] + [np.array([member.get(o.name, 0) if o is not None else 0
                                                   for o in f.sec_outsec], dtype=np.int64) for f in files[1:]])
        nsec = np.array([0] + [len(f.sec_outsec) for f in files[1:]], dtype=np.int64)
        sbase = np.concatenate([[0], 1 + np.cumsum(nsec[1:]) - nsec[1:]])
        site = code[sbase[t.file] + t.sec]
        rows = np.flatnonzero(site > 0)
        if len(rows) == 0:
            continue
        shndx, ybase = file_tables(files, "sym_shndx")
        # the defining (file, symbol) of each row: a global's definition, else the local
        dfile = t.file[rows].astype(np.int64)
        dsym = t.sym[rows].astype(np.int64)
        g = t.gid[rows]
        glob = np.flatnonzero(g > 0)
        if len(glob):
            df = np.array(st.def_file, dtype=np.int64)[g[glob]]
            di = np.array(st.def_index, dtype=np.int64)[g[glob]]
            ok = df > 0
            dfile[glob] = np.where(ok, df, 0)
            dsym[glob] = np.where(ok, di, 0)
        sec = np.where(dfile > 0, shndx[ybase[np.maximum(dfile, 1)] + dsym].astype(np.int64), 0)
        inside = (dfile > 0) & (sec > 0) & (sec < nsec[dfile])
        target = np.where(inside, code[sbase[dfile] + np.where(inside, sec, 0)], 0)
        bad_rows = (target > 0) & (target != site[rows])
        if to_only:                    # NOCROSSREFS_TO(to from ...): only references to the first
            bad_rows &= target == 1
        bad = rows[bad_rows]
        for r in bad[:10].tolist():
            k = int(np.searchsorted(rows, r))
            frm, to = names[int(site[r]) - 1], names[int(target[k]) - 1]
            ctx.diag.error(f"{sc.at(s, line)}: prohibited cross reference from '{frm}' to "
                           f"'{_sym_name(ctx, int(t.file[r]), int(t.sym[r]))}' in '{to}'\n"
                           f">>> referenced by {site_of(ctx, int(t.file[r]), int(t.sec[r]), int(t.offset[r]))}")
    ctx.diag.check()


def _sym_name(ctx, f: int, k: int) -> str:
    from xld.link.relocate import sym_desc
    return sym_desc(ctx, f, k)


# -- INSERT AFTER/BEFORE: the script's sections in the default layout ------------------------------

def assign_insert(ctx) -> None:
    """SECTIONS ... INSERT AFTER|BEFORE X: the default layout, with the script's output sections
    next to X (in the script's order); each takes the inputs its descriptions match first,
    /DISCARD/ drops.  What the default layout cannot place is refused: moves of '.', data,
    addresses, regions, and a section whose permissions differ from X's segment."""
    layout.assign_sections(ctx)
    s = ctx.script
    where, anchor_name, line = s.insert
    known = ctx.arch.script_sections
    if known and anchor_name not in known:
        # (GNU ld inserts at its default script's statements, before orphans are placed: an
        # orphan, or a section of the other ISA's script (.sdata on arm64), is no place)
        raise LinkError(f"{sc.at(s, line)}: {anchor_name} not found for insert")
    anchor = ctx.outputs.get(anchor_name)
    phantom = anchor is None        # a section of GNU ld's default script no input went to
    if phantom:
        if anchor_name not in layout.RANK:
            raise LinkError(f"{sc.at(s, line)}: unable to insert after or before {anchor_name}: "
                            f"there is no such output section")
        # (GNU ld's statement is there, empty, and dropped: the inserted sections take its
        # place in the default layout's order)
        anchor = OutputSection(anchor_name, elf.SHT_PROGBITS, 0)
        anchor.rank = layout.RANK[anchor_name]
    outs, descs = [], []
    replaced: dict[str, OutputSection] = {}     # orphans of the default layout the script names
    for cmd in s.sections:
        if isinstance(cmd, sc.Assign):
            if _uses_dot(cmd.expr) or cmd.name == ".":
                raise LinkError(f"{sc.at(s, cmd.line)}: '.' in an INSERT script is not supported")
            continue
        if isinstance(cmd, sc.Assert) or not isinstance(cmd, sc.OutSec):
            continue
        for bad, what in ((cmd.addr, "an address"), (cmd.region, "a region"), (cmd.lma, "AT"),
                          (cmd.lma_region, "AT>"), (cmd.phdrs or None, ":phdr")):
            if bad is not None:
                raise LinkError(f"{sc.at(s, cmd.line)}: {what} on a section of an INSERT script is not supported")
        target = None
        if cmd.name != "/DISCARD/":
            old = ctx.outputs.get(cmd.name)
            orphan = old is not None and old is not anchor and old.alloc and \
                cmd.name not in layout.DEFAULT_NAMES and not cmd.name.startswith(".note")
            if (old is not None and not orphan) or any(o.name == cmd.name for o in outs):
                raise LinkError(f"{sc.at(s, cmd.line)}: output section {cmd.name} of an INSERT script "
                                f"is also a section of the default layout (not supported)")
            target = OutputSection(cmd.name, elf.SHT_NOBITS if cmd.noload else elf.SHT_PROGBITS, 0)
            target.script, target.pieces = cmd, []
            outs.append(target)
            if orphan:          # (GNU ld: the orphan's inputs the script does not match join it too)
                replaced[cmd.name] = target
        for c in cmd.commands:
            if isinstance(c, sc.Data) or isinstance(c, sc.Fill) or (isinstance(c, sc.Assign) and
                                                                    (c.name == "." or _uses_dot(c.expr) and c.expr != ("dot",))):
                raise LinkError(f"{sc.at(s, c.line)}: data and moves of '.' in an INSERT script are not supported")
            if isinstance(c, sc.InputDesc):
                descs.append((c, target, []))
            if target is not None:
                target.pieces.append((c, descs[-1][2] if isinstance(c, sc.InputDesc) else None))
    first = DescMatcher([h[0] for h in descs]).first
    for dout in list(ctx.outputs.values()):
        keep = []
        for obj, i in dout.inputs:
            name = obj.sec_names[i]
            k = first(name, obj)
            hit = descs[k] if k is not None else None
            if hit is None:
                keep.append((obj, i))
            elif hit[1] is None:                 # /DISCARD/
                obj.sec_outsec[i] = None
            else:
                hit[2].append((obj, i))
                obj.sec_outsec[i] = hit[1]
        dout.inputs = keep
    for d, target, got in descs:
        _sort_inputs(ctx, d, got)
    leftover: dict[int, list] = {}
    for name, t in replaced.items():
        o = ctx.outputs[name]
        for obj, i in o.inputs:
            obj.sec_outsec[i] = t
        leftover[id(t)], o.inputs = o.inputs, []
    new: dict[str, OutputSection] = {}
    n = len(outs)
    for name, o in ctx.outputs.items():
        if phantom and (o.rank > anchor.rank or (where == "BEFORE" and o.rank == anchor.rank)):
            new.update((t.name, t) for t in outs)
            phantom = False
        if o is anchor and where == "BEFORE":
            new.update((t.name, t) for t in outs)
        if o.inputs or o is anchor:
            new[name] = o
        if o is anchor and where == "AFTER":
            new.update((t.name, t) for t in outs)
    if phantom:
        new.update((t.name, t) for t in outs)
    for k, t in enumerate(outs):
        t.inputs = [oi for c, got in t.pieces if got is not None for oi in got] + leftover.get(id(t), [])
        for obj, i in t.inputs:
            t.flags |= int(obj.shdrs[i]["sh_flags"]) & (elf.SHF_WRITE | elf.SHF_EXECINSTR | elf.SHF_ALLOC | elf.SHF_TLS)
            if int(obj.shdrs[i]["sh_type"]) != elf.SHT_NOBITS:     # (as a SECTIONS script's: notes
                t.type = int(obj.shdrs[i]["sh_type"])             # make a NOTE with its PT_NOTE)
        if t.inputs and all(int(o.shdrs[i]["sh_type"]) == elf.SHT_NOBITS for o, i in t.inputs):
            t.type = elf.SHT_NOBITS
        # next to the anchor in the rank order (so in its segment), in the script's order
        t.rank = anchor.rank + (k + 1 if where == "AFTER" else k) * 1e-6
        if t.inputs and t.alloc and layout.segment_of(layout.rank_of(t.name, t.flags, t.type)) != \
                layout.segment_of(anchor.rank):
            raise LinkError(f"{sc.at(s, line)}: INSERT {where} {anchor_name}: {t.name} needs other permissions "
                            f"than {anchor_name}'s segment (not supported)")
    if where == "BEFORE":
        anchor.rank += n * 1e-6
    for obj in ctx.files[1:]:
        obj.sec_kept = np.array([x is not None for x in obj.sec_outsec], dtype=bool)
    ctx.outputs = new
    ctx.script_outs = [(t.script, t) for t in outs]


def _uses_dot(e) -> bool:
    if isinstance(e, tuple):
        return e == ("dot",) or any(_uses_dot(x) for x in e)
    if isinstance(e, list):
        return any(_uses_dot(x) for x in e)
    return False


def _insert_values(ctx) -> None:
    """The symbols of an INSERT script, once the default layout placed its sections: one at
    the start or after an input of a section is that place; the others are evaluated then."""
    s = ctx.script
    values: dict = {}
    env = _Env(ctx, values, {})
    env.final = True
    for cmd, o in ctx.script_outs:
        cur = o.addr
        env.cur_sec = o
        for c, got in o.pieces:
            if isinstance(c, sc.Assign):
                env.cur = cur
                _assign(env, c, o)
            for obj, i in got or ():
                cur = o.addr + int(obj.sec_out[i]) + int(obj.shdrs[i]["sh_size"])
    env.cur_sec = None
    for cmd in s.sections:
        if isinstance(cmd, sc.Assign):
            _assign(env, cmd, None)
        elif isinstance(cmd, sc.Assert) and not sc.evaluate(cmd.expr, env):
            raise LinkError(f"{sc.at(s, cmd.line)}: {cmd.message}")
    ctx.script_values = values
    ctx.script_dot_owner = {}           # (an INSERT script's: absolute, as before)
