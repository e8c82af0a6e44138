"""Shared objects' own undefined symbols (--no-allow-shlib-undefined).

A program linked against ``libfoo.so`` will fail at run time if ``libfoo.so`` calls a function
nobody defines: ld.so stops with "undefined symbol".  GNU ld finds that at link time when it
links an executable: it loads the libraries ``libfoo.so`` needs (its DT_NEEDED, and theirs),
and reports every strong undefined symbol of a loaded library that no object and no loaded
library defines.  lld checks only the libraries whose DT_NEEDED entries are all on its command
line (it never looks for the others).  xld does what GNU ld does, so that it rejects no link
GNU ld accepts and reports what GNU ld reports (in lld's words):

    error: undefined reference due to --no-allow-shlib-undefined: foo
    >>> referenced by libx.so

- When: executables by default; ``--no-allow-shlib-undefined`` asks for it for ``-shared`` too,
  ``--allow-shlib-undefined`` turns it off.
- Which libraries are checked: those on the command line that the output keeps (under
  ``--as-needed`` only a used one), and every library they need, transitively.
- Where a DT_NEEDED library is looked for (GNU ld's order, ld's manual, "-rpath-link"): a
  library already in the link with that soname or file name; ``-rpath-link`` directories;
  ``-rpath`` directories; the needing library's own DT_RUNPATH/DT_RPATH (``$ORIGIN``
  expanded); ``-L`` directories (GNU ld does not look there; looking can only find more);
  the target's default directories (``=/usr/aarch64-linux-gnu/lib`` …, under ``--sysroot``).
  A candidate of another machine, or not a shared object, is skipped, as GNU ld skips it.
- A needed library found nowhere: GNU ld's warning (``libbar.so, needed by libfoo.so, not
  found (try using -rpath or -rpath-link)``); its definitions are then unknown, so the names
  the needing libraries expect from it are reported, as GNU ld reports them.
- What defines a name: any definition in our objects or the linker's, and any definition of
  any loaded library, in any version.  Weak references need nothing.

The same closure is a program's view of the libraries beyond its command line, as in GNU ld
(``link/dynamic.py`` ``resolve_shared``): the program exports its definitions those libraries
refer to or also define (else ld.so finds no ``m_var`` for ``libl2.so``, which ``libl0.so``
needs through ``libl1.so``), and its weak references bind to their definitions.
"""
from __future__ import annotations

import os

from xld.link import elf
from xld.link.errors import LinkError
from xld.link.resolve import UNDEF


def wanted(ctx) -> bool:
    if ctx.opts.unresolved in ("ignore-all", "ignore-in-shared-libs"):
        return False                      # GNU ld: --unresolved-symbols= names shared objects too
    allow = ctx.opts.allow_shlib_undefined
    if allow is None:
        return not ctx.opts.shared
    return not allow


def _dirs(ctx, dso) -> list[str]:
    o = ctx.opts
    out = list(o.rpath_link) + list(o.rpath) + list(dso.runpath)
    for d in o.lib_paths:
        out.append(os.path.join(o.sysroot, d[1:].lstrip("/")) if d.startswith("=") and o.sysroot else d)
    root = o.sysroot or "/"
    for d in ctx.arch.hooks.get("search_dirs", ()):
        out.append(os.path.join(root, d.lstrip("=").lstrip("/")) if d.startswith("=") else d)
    return out


def _is_shared_for(path: str, machine: int) -> bool:
    """An ELF64 little-endian ET_DYN for ``machine`` (other candidates are skipped)."""
    try:
        with open(path, "rb") as f:
            head = f.read(elf.EHDR_SIZE)
    except OSError:
        return False
    if len(head) < elf.EHDR_SIZE or head[:4] != elf.ELFMAG or head[4] != elf.ELFCLASS64 or head[5] != elf.ELFDATA2LSB:
        return False
    return int.from_bytes(head[16:18], "little") == elf.ET_DYN and int.from_bytes(head[18:20], "little") == machine


def _find(ctx, name: str, dso) -> str | None:
    if "/" in name:
        return name if _is_shared_for(name, ctx.arch.machine) else None
    for d in _dirs(ctx, dso):
        p = os.path.join(d, name)
        if os.path.isfile(p) and _is_shared_for(p, ctx.arch.machine):
            return p
    return None


def closure(ctx) -> tuple[dict, list, list]:
    """The DT_NEEDED closure of the kept shared objects, loaded once: (every loaded library by
    its soname and file name, False for one found nowhere; the libraries to check, the kept
    ones first; the warnings of the search, which ``check`` gives)."""
    if ctx.needed_closure is not None:
        return ctx.needed_closure
    from xld.link.shlib import SharedFile
    from xld.link import input as inp
    known: dict[str, object] = {}
    warnings: list[str] = []
    for d in ctx.dsos:
        known.setdefault(d.needed_name, d)
        known.setdefault(os.path.basename(d.path), d)
    checked = [d for d in ctx.dsos if d.used or not d.as_needed]
    queue = list(checked)
    seen = {id(d) for d in queue}
    while queue:
        dso = queue.pop(0)
        for name in dso.needed:
            lib = known.get(name)
            if lib is None:
                path = _find(ctx, name, dso)
                if path is None:
                    warnings.append(f"{name}, needed by {dso.name}, not found (try using -rpath or -rpath-link)")
                    known[name] = False
                    continue
                try:
                    lib = inp.open_input(path)     # (parsed ahead by a warm server, if any)
                    if not isinstance(lib, SharedFile):
                        raise LinkError(f"{path}: not a shared object")
                except LinkError as e:
                    warnings.append(f"{name}, needed by {dso.name}: {e}")
                    known[name] = False
                    continue
                known[name] = lib
                known.setdefault(lib.needed_name, lib)
            if lib and id(lib) not in seen:
                seen.add(id(lib))
                queue.append(lib)
                checked.append(lib)
    ctx.needed_closure = (known, checked, warnings)
    return ctx.needed_closure


def indirect(ctx) -> list:
    """The libraries of the closure that the output does not keep: those not on the command
    line (not in ``ctx.dsos``), and the --as-needed ones nothing of ours uses that a kept one
    needs (GNU ld drops their symbols, then loads them again as a DT_NEEDED of a DT_NEEDED)."""
    if not ctx.dsos:
        return []
    return [lib for lib in closure(ctx)[1] if lib not in ctx.dsos or (lib.as_needed and not lib.used)]


def bind_weak_indirect(ctx, weak: list[int], libs: list) -> None:
    """A program's weak references (``weak``: gids no object and no library on the command
    line defines) bind to a library the kept ones need (``libs``: ``indirect``), as GNU ld
    binds them: it loads those libraries for their symbols, and only a strong reference is
    refused ("DSO missing from command line").  Such a library joins ``ctx.dsos`` as an unused
    --as-needed one: imported from, never DT_NEEDED (ld.so loads it for the library that needs
    it); the first in the closure's order that defines a name provides it.  Its imports are
    unversioned (it has no .gnu.version_r entry), as GNU ld writes them.  This mutates the
    library objects (``as_needed``, ``used``, ``dso_id``): a warm server's link runs in a
    forked copy, so the parsed libraries it keeps are not changed."""
    names = ctx.symtab.names
    for g in weak:
        lib = next((lib for lib in libs if names[g] in lib.exports), None)
        if lib is None:
            continue
        if lib not in ctx.dsos:
            lib.as_needed, lib.used = True, False
            ctx.dsos.append(lib)
            lib.dso_id = len(ctx.dsos)
        ctx.imports[g] = (lib, lib.exports[names[g]])


def check(ctx) -> None:
    """Load the DT_NEEDED closure of the kept shared objects; report their strong undefined
    symbols that nothing defines."""
    if not ctx.dsos or not wanted(ctx) or ctx.arch is None:
        return
    known, checked, warnings = closure(ctx)
    for w in warnings:
        ctx.diag.warn(w)
    # (each library's names looked in, not joined: libc.so.6 defines 2,900)
    defined = [lib.defined_names for lib in {id(x): x for x in known.values() if x}.values()]
    st = ctx.symtab
    for dso in checked:
        for name in dso.strong_undefs:
            g = st.defined(name)            # (or an object's foo@@V, foo's default version)
            if (g is not None and st.state[g] != UNDEF) or any(name in d for d in defined):
                continue
            report = ctx.diag.warn if ctx.opts.warn_unresolved else ctx.diag.error
            report(f"undefined reference due to --no-allow-shlib-undefined: {name}\n"
                   f">>> referenced by {dso.name}")


def check_hidden(ctx) -> None:
    """A program's hidden (or internal) definition of a name a shared object it links needs
    is not in .dynsym: the object's reference would find nothing at run time.  An error, as in
    GNU ld ("hidden symbol is referenced by DSO"; in lld's words), whatever
    --allow-shlib-undefined says; a library may leave it to its users."""
    if ctx.opts.shared:
        return
    st = ctx.symtab
    for dso in ctx.dsos:
        for name in dso.strong_undefs:
            g = st.defined(name)
            if g is not None and st.state[g] != UNDEF and _hidden_here(ctx, g):
                obj = ctx.files[st.def_file[g]]
                ctx.diag.error(f"non-exported symbol '{ctx.diag.sym(name)}' in '{obj.name}' is "
                               f"referenced by DSO '{dso.name}'")


def _hidden_here(ctx, g: int) -> bool:
    """Whether global ``g`` is defined by one of our objects with hidden or internal visibility
    (merged over its entries: resolve.merge_visibility)."""
    f = ctx.symtab.def_file[g]
    if f <= 0:
        return False
    return int(ctx.files[f].syms[ctx.symtab.def_index[g]]["st_other"]) & 3 in (elf.STV_HIDDEN, elf.STV_INTERNAL)
