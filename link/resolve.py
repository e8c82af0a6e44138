"""Symbol resolution: one definition per global name.

Strong beats common beats weak beats undefined.  Two strong definitions are an error naming
both places; an undefined reference that no input defines is an error naming every place
that refers to it (after linker-defined symbols have had their chance).  Archive members are
loaded as lld does: an archive's symbols stay available ("lazy") after it has been read, so a
later reference still pulls the member that defines it — a superset of GNU ld's order rules,
which Clang/zig command lines (libc.a before the archives that need it) rely on.  Weak
references do not pull members out of archives.  COMDAT groups keep their first copy;
a symbol defined in a discarded copy acts as a reference to the kept one.
"""
from __future__ import annotations

import operator
import os
from collections import defaultdict
from itertools import chain, compress, count, islice

import numpy as np

from xld.link import elf
from xld.link.errors import LinkError

UNDEF, WEAK, COMMON, DEFINED = 0, 1, 2, 3
LINKER = -1          # def_file value of a linker-defined symbol

# The names the linker defines when an input refers to them and no object defines them
# (link/driver.py define_linker_symbols); a shared object's definition does not stop it, as a
# GNU ld script's assignment overrides a shared definition (the output has its own _end).
LINKER_NAMES = frozenset({"_end", "end", "_etext", "etext", "__etext", "_edata", "edata", "__bss_start",
                          "__ehdr_start", "__executable_start",
                          "__init_array_start", "__init_array_end", "__fini_array_start", "__fini_array_end",
                          "__preinit_array_start", "__preinit_array_end", "__rela_iplt_start", "__rela_iplt_end",
                          "_GLOBAL_OFFSET_TABLE_", "__dso_handle", "__data_start", "data_start",
                          "__TMC_END__", "_DYNAMIC", "__GNU_EH_FRAME_HDR", "__tls_get_addr_dummy"})
# Of those, the ones GNU ld's default scripts assign (the others the linker itself defines),
# and crt1.o's data_start: a library defines only those its ISA's -shared script assigns
# (Arch.shared_script_names), as GNU ld's leaves __executable_start undefined.  More a
# backend adds (Arch.assigned_names: arm64's __bss_start__, __end__ ..., riscv64's
# __DATA_BEGIN__ ...) are script names too: only that ISA's links define them (riscv64 GNU ld
# leaves a reference to __bss_end__ undefined).
SCRIPT_NAMES = frozenset({"_end", "end", "_edata", "edata", "_etext",
                          "etext", "__etext", "__bss_start", "__data_start", "data_start",
                          "__executable_start", "__init_array_start", "__init_array_end", "__fini_array_start",
                          "__fini_array_end", "__preinit_array_start", "__preinit_array_end",
                          "__rela_iplt_start", "__rela_iplt_end"})
# Of those, the ones .symtab lists as local, as GNU ld's does: the linker's own and its
# scripts' PROVIDE_HIDDEN ones
LINKER_LOCAL = frozenset({"__ehdr_start", "_GLOBAL_OFFSET_TABLE_", "_DYNAMIC", "__GNU_EH_FRAME_HDR",
                          "__init_array_start", "__init_array_end", "__fini_array_start", "__fini_array_end",
                          "__preinit_array_start", "__preinit_array_end", "__rela_iplt_start", "__rela_iplt_end"})
LINKER_OBJECTS = frozenset({"_GLOBAL_OFFSET_TABLE_", "_DYNAMIC"})     # (STT_OBJECT, as GNU ld's)
# Of those, the ones GNU ld's scripts define with default visibility (PROVIDE, not
# PROVIDE_HIDDEN), and crt1.o's data_start: a dynamic output exports them (a library always,
# a program when a shared object names them), and in a library they are interposable: ld.so
# binds its references to the program's _end, as to any default-visibility global.
LINKER_EXPORTED = frozenset({"_end", "end", "__end__", "_bss_end__", "__bss_end__", "_edata", "edata",
                             "_etext", "etext", "__etext", "__bss_start", "__bss_start__", "__data_start",
                             "data_start", "__executable_start"})


def linker_names(arch, shared: bool) -> frozenset:
    """The names this link defines when an input refers to them and none defines them: the
    linker's own and those GNU ld's default script for ``arch`` and the output kind assigns."""
    names = LINKER_NAMES | arch.assigned_names
    if shared:
        names = names - ((SCRIPT_NAMES | arch.assigned_names) - arch.shared_script_names)
    return names


# intern_all: more names are interned as an array (intern_array: a dozen array calls, which
# pay only for a long list); Resolver.intern_ahead: fewer names in a row are interned per object
_MANY_NAMES = 512
NARROW_IDS = 2**31      # global ids below this are kept in 32 bits (objects' gids)


class SymbolTable:
    """Global symbols as parallel lists indexed by integer id (0 = none)."""

    def __init__(self):
        # (a dict whose missing names raise KeyError as a dict's do: intern_array numbers new
        # names through its default_factory for the length of one call)
        self.ids: dict[str, int] = defaultdict(None)
        self.names: list[str] = [""]
        self.state: list[int] = [UNDEF]
        self.def_file: list[int] = [0]      # file id of the definition (0 none, LINKER)
        self.def_index: list[int] = [0]     # symbol index in that file
        self.strong_ref = bytearray(1)        # 1 where a strong (non-weak) reference exists
        self._ref_parts: list[tuple] = []     # (file id, gids, symbol indices) of references, in load order
        self._first: tuple[list[int], list[int], np.ndarray] | None = None
        self.common_size: list[int] = [0]
        self.common_align: list[int] = [0]
        self.linker_value: dict[int, int] = {}   # gid -> value of a linker-defined symbol
        self.default_bound: dict[int, int] = {}  # gid of a plain name -> its foo@@V's (bind_default_versions)
        self.default_version: dict[str, int] = {}  # plain name -> gid of an object's foo@@V (the same)

    def defined(self, name: str) -> int | None:
        """The gid a name the user gives (--defsym's symbol, --require-defined, -e) means: its
        own where it is defined, else its default version's, an object's ``foo@@V`` (GNU ld
        takes ``-e foo`` and ``--defsym bar=foo`` to it), else its own undefined one or None."""
        g = self.ids.get(name)
        if g is not None and self.state[g] != UNDEF:
            return g
        return self.default_version.get(name, g)

    def intern(self, name: str) -> int:
        gid = self.ids.get(name)
        if gid is None:
            gid = len(self.names)
            self.ids[name] = gid
            self.names.append(name)
            self.state.append(UNDEF)
            self.def_file.append(0)
            self.def_index.append(0)
            self.strong_ref.append(0)
            self.common_size.append(0)
            self.common_align.append(0)
        return gid

    def intern_all(self, names: list[str]) -> list[int]:
        """The ids of ``names``; new names are appended together (one extend per column)."""
        if len(names) > _MANY_NAMES:
            return self.intern_array(names).tolist()
        get = self.ids.get
        gl = list(map(get, names))
        if None in gl and len(names) <= 64:
            # (an archive member's handful: one loop over the new ones, no temporaries)
            ids, allnames = self.ids, self.names
            base = n = len(allnames)
            for k, g in enumerate(gl):
                if g is None:
                    nm = names[k]
                    g = get(nm)                 # (a name twice in the list: its first id)
                    if g is None:
                        g = ids[nm] = n
                        allnames.append(nm)
                        n += 1
                    gl[k] = g
            self._grow(n - base)
        elif None in gl:
            new = list(dict.fromkeys(compress(names, map(operator.not_, gl))))    # (no id is 0)
            base, k = len(self.names), len(new)
            self.ids.update(zip(new, range(base, base + k)))
            self.names.extend(new)
            self._grow(k)
            gl = list(map(get, names))
        return gl

    def intern_array(self, names: list[str]) -> np.ndarray:
        """``intern_all`` for many names (the globals of many objects): the same ids, as an
        array, with one pass over the names: a name not known yet gets the next id as it is
        looked up (``ids``' default_factory, set for this call: a C call, no second pass to
        number them), so the ids of new names follow their first appearance; those names
        are then the last ones the dictionary holds."""
        ids = self.ids
        base = len(self.names)
        fresh_ids = count(base)
        ids.default_factory = fresh_ids.__next__
        try:
            got = np.fromiter(map(ids.__getitem__, names), dtype=np.int64, count=len(names))
        finally:
            ids.default_factory = None
        k = next(fresh_ids) - base
        if k:
            fresh = list(islice(reversed(ids.keys()), k))
            fresh.reverse()
            self.names.extend(fresh)
            self._grow(k)
        return got

    def _grow(self, k: int) -> None:
        """The other columns of ``k`` names just appended to ``names``: undefined, no file."""
        zeros = [0] * k
        self.state += zeros
        self.def_file += zeros
        self.def_index += zeros
        self.strong_ref += bytes(k)
        self.common_size += zeros
        self.common_align += zeros

    def add_refs(self, file_id: int, gids, index) -> None:
        """Record references (undefined entries) of a file, for first_ref: their gids and
        symbol indices, as arrays or lists."""
        if len(gids):
            self._ref_parts.append((file_id, gids, index))
            self._first = None

    @property
    def first_ref(self) -> list[int]:
        """Per gid: the file id of its first reference (in load order), 0 = none."""
        return self._first_refs()[0]

    @property
    def first_ref_index(self) -> list[int]:
        """Per gid: the symbol index of that first reference in its file."""
        return self._first_refs()[1]

    def referenced(self) -> np.ndarray:
        """Per gid: whether any file refers to it (``first_ref`` != 0, without finding the
        first)."""
        has = np.zeros(len(self.names), dtype=bool)
        if self._first is not None and len(self._first[0]) == len(self.names):
            has[:] = self._first[2] != 0
            return has
        gl: list = []
        for _, g, _ in self._ref_parts:
            gl.extend(g.tolist() if isinstance(g, np.ndarray) else g)
        has[np.array(gl, dtype=np.int64)] = True
        return has

    def _first_refs(self):
        n = len(self.names)
        if self._first is None or len(self._first[0]) != n:
            fr = np.zeros(n, dtype=np.int64)
            fri = np.zeros(n, dtype=np.int64)
            parts = self._ref_parts
            if parts:
                # most parts are short lists (archive members' few references): joined as
                # lists, then one conversion (not one array a part)
                gl: list = []
                il: list = []
                for _, g, i in parts:
                    gl.extend(g.tolist() if isinstance(g, np.ndarray) else g)
                    il.extend(i.tolist() if isinstance(i, np.ndarray) else i)
                g = np.array(gl, dtype=np.int64)
                f = np.repeat(np.array([p[0] for p in parts], dtype=np.int64), [len(p[1]) for p in parts])
                i = np.array(il, dtype=np.int64)
                uniq, first = np.unique(g, return_index=True)
                fr[uniq] = f[first]
                fri[uniq] = i[first]
            self._first = (fr.tolist(), fri.tolist(), fr)
        return self._first

    def first_refs_of(self, gids: list[int]) -> list[tuple[int, int]]:
        """(first_ref, first_ref_index) of a few gids, (0, 0) for one never referred to: the
        references are walked in load order until each is found, instead of ordering every
        reference of the link (10 ms in a large one) for a handful."""
        if self._first is not None and len(self._first[0]) == len(self.names):
            return [(self._first[0][g], self._first[1][g]) for g in gids]
        left = set(gids)
        found: dict[int, tuple[int, int]] = {}
        for fid, g, i in self._ref_parts:
            if not left:
                break
            gl = g.tolist() if isinstance(g, np.ndarray) else g
            if left.isdisjoint(gl):
                continue
            for k, x in enumerate(gl):
                if x in left:
                    left.discard(x)
                    found[x] = (fid, int(i[k]))
        return [found.get(g, (0, 0)) for g in gids]

    def __len__(self) -> int:
        return len(self.names)

    def is_undefined(self, name: str) -> bool:
        gid = self.ids.get(name)
        return gid is not None and self.state[gid] == UNDEF

    def undefined_weak(self, gid: int) -> bool:
        """Global ``gid`` is undefined and only weak references name it (its value is 0)."""
        return gid > 0 and self.state[gid] == UNDEF and not self.strong_ref[gid]


class References:
    """Which file first referred to each global (what messages and maps need), as a mapping
    gid -> [(file id, symbol index)]; kept as two integer lists, not a dict of lists."""

    def __init__(self, symtab: SymbolTable):
        self.st = symtab

    def __contains__(self, gid) -> bool:
        return gid is not None and 0 < gid < len(self.st.first_ref) and self.st.first_ref[gid] != 0

    def get(self, gid, default=()):
        if gid in self:
            return [(self.st.first_ref[gid], self.st.first_ref_index[gid])]
        return default


_FEW_GLOBALS = 48


def classes(obj, discarded=None):
    """An object's globals, as positions k among them: the references (undefined, or defined
    in a discarded COMDAT copy), the strong ones among them, the definitions with their ranks,
    misplaced locals.  Without discarded sections the answer is the object's own, kept on it
    (the warm server computes it for the archive members it parses ahead: ``prepare``).
    Most archive members have a handful of globals, for which array calls cost more than a
    loop: the references are then a list, else an array."""
    if discarded is None:
        c = obj.__dict__.get("_classes")
        if c is None:
            c = obj._classes = _classify(obj, None)
        return c
    return _classify(obj, discarded)


def prepare(obj) -> None:
    """Work on an object that depends on it alone, done ahead (link/input.py's warm server)."""
    obj.global_names()
    classes(obj)


def classify_many(objs) -> None:
    """``classes`` of many objects (without discarded sections) at once: one array pass over
    all their globals, each object's answer then cut out of it and kept on it, as ``classes``
    keeps it (a list of references for an object with a few globals, an array for more)."""
    objs = [o for o in objs if "_classes" not in o.__dict__ and o.nsyms > o.first_global]
    if not objs:
        return
    counts = np.array([o.nsyms - o.first_global for o in objs], dtype=np.int64)
    info = np.concatenate([o.syms["st_info"][o.first_global:] for o in objs])
    shn = np.concatenate([o.sym_shndx[o.first_global:] for o in objs])
    start = np.cumsum(counts) - counts
    bind = info >> 4
    undef = shn == elf.SHN_UNDEF
    local = bind == elf.STB_LOCAL
    ref = np.flatnonzero(undef)
    strong = ref[bind[ref] != elf.STB_WEAK]
    dk = np.flatnonzero(~undef & ~local)
    rank = np.where(shn[dk] == elf.SHN_COMMON, COMMON, np.where(bind[dk] == elf.STB_WEAK, WEAK, DEFINED))
    lk = np.flatnonzero(local)

    # each joined global's position k in its object (one array, indexed by each kind's rows)
    k_of = np.arange(len(shn), dtype=np.int64) - np.repeat(start, counts)

    def per_object(rows):
        """rows (ascending, into the joined globals) as each object's positions k, and the
        bounds of each object's part."""
        return k_of[rows], np.searchsorted(rows, start).tolist() + [len(rows)]
    ref_k, ref_b = per_object(ref)
    ref_l = ref_k.tolist()
    strong_l, strong_b = per_object(strong)
    strong_l = strong_l.tolist()
    dk_l, dk_b = per_object(dk)
    dk_l, rank_l = dk_l.tolist(), rank.tolist()
    lk_l, lk_b = per_object(lk)
    lk_l = lk_l.tolist()
    for j, (o, n) in enumerate(zip(objs, counts.tolist())):
        a, z = ref_b[j], ref_b[j + 1]
        refs = ref_l[a:z] if n <= _FEW_GLOBALS else ref_k[a:z]
        o._classes = (refs, strong_l[strong_b[j]:strong_b[j + 1]], dk_l[dk_b[j]:dk_b[j + 1]],
                      rank_l[dk_b[j]:dk_b[j + 1]], lk_l[lk_b[j]:lk_b[j + 1]])


def _classify(obj, discarded):
    fg = obj.first_global
    if obj.nsyms - fg <= _FEW_GLOBALS:
        return _classify_few(obj, discarded)
    bind = obj.syms["st_info"][fg:] >> 4
    shn = obj.sym_shndx[fg:]
    undef = shn == elf.SHN_UNDEF
    if discarded is not None:
        in_sec = (shn > 0) & (shn < min(elf.SHN_LORESERVE, len(discarded)))
        undef |= in_sec & discarded[np.where(in_sec, shn, 0)]
    local = bind == elf.STB_LOCAL
    local_k = np.flatnonzero(local).tolist() if local.any() else []
    ref = np.flatnonzero(undef)
    strong_k = ref[bind[ref] != elf.STB_WEAK].tolist()
    dk = np.flatnonzero(~undef & ~local)
    rank = np.where(shn[dk] == elf.SHN_COMMON, COMMON, np.where(bind[dk] == elf.STB_WEAK, WEAK, DEFINED))
    return ref, strong_k, dk.tolist(), rank.tolist(), local_k


def _classify_few(obj, discarded):
    """The same as ``_classify``, one symbol at a time (for a few globals)."""
    fg = obj.first_global
    info = obj.syms["st_info"][fg:].tolist()
    shn = obj.sym_shndx[fg:].tolist()
    if discarded is not None:
        dl = discarded.tolist()
        top = min(elf.SHN_LORESERVE, len(dl))
    ref_k, strong_k, def_k, rank, local_k = [], [], [], [], []
    for k, (i, s) in enumerate(zip(info, shn)):
        b = i >> 4
        if b == elf.STB_LOCAL:
            local_k.append(k)
        if s == elf.SHN_UNDEF or (discarded is not None and 0 < s < top and dl[s]):
            ref_k.append(k)
            if b != elf.STB_WEAK:
                strong_k.append(k)
        elif b != elf.STB_LOCAL:
            def_k.append(k)
            rank.append(COMMON if s == elf.SHN_COMMON else WEAK if b == elf.STB_WEAK else DEFINED)
    return ref_k, strong_k, def_k, rank, local_k


def duplicate_message(ctx, name: str, first, first_k: int, second, second_k: int) -> str:
    """lld's words for two strong definitions: each place as the source file and line (the
    object's DWARF, else its STT_FILE name) and the object with the symbol or section there.
    The second place names the symbol that covers it other than the losing definition itself,
    as lld does (it looks through symbols that already resolved to the first)."""
    from xld.link import debugline
    head = f"duplicate symbol: {ctx.diag.sym(name)}"
    places = []
    for obj, k in ((first, first_k), (second, second_k)):
        shndx = int(obj.sym_shndx[k]) if obj is not None else 0
        if obj is None or not 0 < shndx < elf.SHN_LORESERVE:
            a = first.name if first is not None else "<internal>"
            return f"{head}\n>>> defined in {a}\n>>> defined in {second.name}"
        places.append((obj, k, shndx, int(obj.syms[k]["st_value"])))
    lines = [head]
    for n, (obj, k, shndx, off) in enumerate(places):
        at = debugline.obj_msg(ctx, obj, shndx, off, skip=k if n else -1)
        src = debugline.src_msg(ctx, obj, shndx, off, name)
        lines.append(f">>> defined at {src}\n>>>            {at}" if src else f">>> defined at {at}")
    return "\n".join(lines)


def wrapped_name(name: str, wrap: set[str]) -> str:
    """The name an undefined reference to ``name`` means under --wrap."""
    if name in wrap:
        return "__wrap_" + name
    if name.startswith("__real_") and name[7:] in wrap:
        return name[7:]
    return name


def wrapped_names(obj, names: list[str], wrap: set[str]) -> list[str]:
    """--wrap=SYM, as GNU ld does it: an undefined reference to SYM means __wrap_SYM, one to
    __real_SYM means SYM; definitions, and references inside the object that defines SYM,
    keep their names."""
    undef = (obj.sym_shndx[obj.first_global:] == elf.SHN_UNDEF).tolist()
    out = list(names)
    for k, nm in enumerate(names):
        if undef[k]:
            out[k] = wrapped_name(nm, wrap)
    return out


def trace_symbols(ctx, obj, names: list[str], written: list[str]) -> None:
    """--trace-symbol/-y: each object that refers to or defines a traced name, in GNU ld's
    words and order (as the object is loaded); a reference written __real_SYM (--wrap) is
    not one to SYM there."""
    traced = ctx.opts.trace_symbol
    hits = [k for k, nm in enumerate(names) if nm in traced and not written[k].startswith("__real_")]
    fg = obj.first_global
    for k in hits:
        what = "reference to" if int(obj.sym_shndx[fg + k]) == elf.SHN_UNDEF else "definition of"
        print(f"xld: {obj.name}: {what} {names[k]}", file=ctx.diag.stream)


def lazy_member_name(hit: tuple) -> str:
    """The archive member of lazy entry ``hit`` (archive, member offset, name) as messages
    name it: ``libx.a(m.o)``; a --start-lib object by its own name."""
    ar, pos, _ = hit
    try:
        m = ar.members.get(pos)
    except LinkError:                       # (a damaged header: the archive is named alone)
        m = None
    if m is None:
        return ar.path
    return f"{ar.path}({m[0]})" if ar.in_map else m[0]


def defines_data(ar, pos: int, name: str) -> bool:
    """GNU ld's rule for a COMMON symbol that an archive's index names: the member is loaded
    only when it defines the name as global data — not a function, not weak, not another
    COMMON (archivers index common declarations too)."""
    try:
        obj = ar.member(pos)
    except (LinkError, KeyError):
        return False
    fg = obj.first_global
    names = obj.global_names()
    for k in np.flatnonzero(np.array([nm == name for nm in names], dtype=bool)).tolist():
        info = int(obj.syms[fg + k]["st_info"])
        shn = int(obj.sym_shndx[fg + k])
        bind, typ = info >> 4, info & 0xF
        if (bind == elf.STB_GLOBAL or bind >= 10) and typ != elf.STT_FUNC \
                and shn not in (elf.SHN_UNDEF, elf.SHN_COMMON):
            return True
    return False


_NONE_DISCARDED: dict[int, np.ndarray] = {}


def forget_shared_columns() -> None:
    """Empty the cache of shared columns (the warm server, when it drops libraries parsed
    ahead: made while their objects filled CPython's memory, each column would keep the
    arena it lands in from being given back)."""
    _NONE_DISCARDED.clear()


def _no_sections_discarded(n: int) -> np.ndarray:
    """A read-only column of n False (one per length, shared by the objects that drop no
    COMDAT group)."""
    a = _NONE_DISCARDED.get(n)
    if a is None:
        a = np.zeros(n, dtype=bool)
        a.flags.writeable = False
        if len(_NONE_DISCARDED) < 4096:
            _NONE_DISCARDED[n] = a
    return a


class SharedNames:
    """What the link's shared objects define: name -> (SharedFile, SharedSym), the first
    object that defines a name winning (GNU ld).  Each object's own table
    (``SharedFile.providers``, made once, ahead in the warm server) is asked in turn; they
    are not merged into one (libc.so.6's 2,500 names copied into a new dictionary were ~2.4
    M instructions, ~0.5 ms, of a small dynamic link that looks up a few dozen names)."""
    __slots__ = ("tables",)

    def __init__(self):
        self.tables: list[dict[str, tuple]] = []

    def add(self, table: dict[str, tuple]) -> None:
        self.tables.append(table)

    def get(self, name: str, default=None):
        for t in self.tables:
            hit = t.get(name)
            if hit is not None:
                return hit
        return default

    def __contains__(self, name: str) -> bool:
        for t in self.tables:
            if name in t:
                return True
        return False


class Resolver:
    def __init__(self, ctx):
        self.ctx = ctx
        self.symtab: SymbolTable = ctx.symtab
        self.comdats: dict[str, int] = {}        # signature -> file id of the kept copy
        self.lazy: dict[str, tuple] = {}          # name -> (archive, member) not yet loaded
        self.pending: list[tuple] = []
        self.pending_common: list[tuple] = []     # (archive, member, name): defines a COMMON name
        self._loading = False
        self._machine = None                      # e_machine of the objects checked so far
        self.shared = SharedNames()               # name -> (SharedFile, SharedSym): first one wins
        # names shared objects reference strongly and nothing defines yet: they pull archive
        # members like an object's references do (GNU ld and lld), so that a library's needs
        # can be met from an archive (the member's definition is then exported to it)
        self.shared_wants: set[str] = set()
        # --warn-backrefs (lld): the command line's inputs numbered in order, those of one
        # --start-group (or a script's GROUP) alike, an archive member as its archive; and
        # the names a later input's reference loaded from an earlier archive: name ->
        # (the referring file, the lazy entry it loaded).  None without the option.
        self.group_id = 0
        self.backrefs: dict[str, tuple] | None = {} if ctx.opts.warn_backrefs else None
        self._backref_seen: set[int] = set()      # (the archives read once already)

    # -- objects ---------------------------------------------------------------------------
    def intern_ahead(self, objs: list) -> None:
        """Intern the globals of objects about to be added one after another (the objects a
        command line names in a row) in one pass, when nothing between their adds can intern
        a name: no archive symbol is lazy, so adding one loads no member.  Each name gets the
        id it would get object by object (the order of first appearance); ``add_object``
        takes them (``gids_ahead``).  Nothing is done under --wrap or --trace-symbol (their
        names are not the objects' own)."""
        if self.lazy or self.pending or self.pending_common or self.ctx.opts.wrap \
                or self.ctx.opts.trace_symbol or len(objs) < 2:
            return
        lists = [o.global_names() for o in objs]
        if sum(map(len, lists)) <= _MANY_NAMES:
            return
        st = self.symtab
        base = len(st.names)
        g = st.intern_array(list(chain.from_iterable(lists)))
        at = 0
        for o, names in zip(objs, lists):
            o.gids_ahead = g[at:at + len(names)]
            at += len(names)
        if "__gnu_lto_slim" not in st.ids and not any(o.groups for o in objs):
            self._enter_ahead(objs, g, base)

    def _enter_ahead(self, objs: list, g: np.ndarray, base: int) -> None:
        """What the adds of a run of objects interned ahead (``g``: their globals' ids, one
        object after another; ``base``: the first id the run made) would do, done for the
        run at once where the order of the adds cannot show: their strong references are
        marked, and a name defined once in the run (not COMMON), that nothing defined before,
        gets that definition.  Nothing else can look at either until the run is added (no
        archive symbol is lazy, so no add loads a member; none of the objects has a COMDAT
        group or is GCC's LTO); each object keeps the rest of its definitions, in its order,
        for ``add_object`` (``defs_left``).  The objects are added with consecutive file ids
        from the next one on."""
        st = self.symtab
        fg = np.array([o.first_global for o in objs], dtype=np.int64)
        counts = np.array([o.nsyms for o in objs], dtype=np.int64) - fg
        if len(g) != int(counts.sum()):
            return
        info = np.concatenate([o.syms["st_info"][o.first_global:] for o in objs])
        shn = np.concatenate([o.sym_shndx[o.first_global:] for o in objs])
        bind = info >> 4
        undef = shn == elf.SHN_UNDEF
        marks = np.frombuffer(st.strong_ref, dtype=np.uint8)
        marks[g[undef & (bind != elf.STB_WEAK)]] = 1
        del marks                               # (the table grows: no view may outlive this)
        d = np.flatnonzero(~undef & (bind != elf.STB_LOCAL))
        rank = np.where(shn[d] == elf.SHN_COMMON, COMMON, np.where(bind[d] == elf.STB_WEAK, WEAK, DEFINED))
        gd = g[d]
        start = np.cumsum(counts) - counts
        owner = np.repeat(np.arange(len(objs), dtype=np.int64), counts)[d]
        k = d - start[owner]                    # (position among the object's globals)
        once = (np.bincount(gd, minlength=len(st.names))[gd] == 1) & (rank != COMMON)
        old = np.flatnonzero(once & (gd < base))    # (names known before: are they undefined?)
        if len(old):
            state = st.state
            once[old] = [state[x] == UNDEF for x in gd[old].tolist()]
        fid = len(self.ctx.files)
        index = k + fg[owner]                   # (symbol index in the object)
        # the names the run made are undefined, of no file, in a row from base on: their
        # columns are written as a whole; the few known before one by one
        new = once & (gd >= base)
        at = gd[new] - base
        for column, values in ((st.state, rank[new]), (st.def_file, owner[new] + fid), (st.def_index, index[new])):
            col = np.zeros(len(column) - base, dtype=np.int64)
            col[at] = values
            column[base:] = col.tolist()
        old = np.flatnonzero(once & (gd < base))
        state, def_file, def_index = st.state, st.def_file, st.def_index
        for x, r, f, i in zip(gd[old].tolist(), rank[old].tolist(), (owner[old] + fid).tolist(), index[old].tolist()):
            state[x] = r
            def_file[x] = f
            def_index[x] = i
        left = np.flatnonzero(~once)
        bounds = np.searchsorted(owner[left], np.arange(len(objs) + 1)).tolist()
        left_k, left_r = k[left].tolist(), rank[left].tolist()
        for j, o in enumerate(objs):
            a, z = bounds[j], bounds[j + 1]
            o.defs_left = (left_k[a:z], left_r[a:z])

    def add_object(self, obj, group_id: int | None = None) -> None:
        """Add an object; ``group_id``: an archive member's, its archive's (--warn-backrefs)."""
        ctx = self.ctx
        if obj.bitcode:                         # LLVM -flto: its symbols stand in (link/lto.py)
            stub = ctx.claim_ir(obj)
            return self.add_object(stub, group_id) if stub is not None else None
        if obj.machine != self._machine:        # the same answer for every later object
            ctx.check_machine(obj)
            self._machine = obj.machine
        obj.file_id = len(ctx.files)
        ctx.files.append(obj)
        if self.backrefs is not None:
            obj.group_id = self.group_id if group_id is None else group_id
        # (most objects discard nothing: they share one read-only column of False)
        obj.discarded = discarded = _no_sections_discarded(len(obj.shdrs))
        any_discarded = False
        if obj.groups:
            dropped, comdats = [], self.comdats
            for sig, members, flags in obj.groups:
                if not flags & elf.GRP_COMDAT:
                    continue
                if sig in comdats:
                    dropped.append(members)
                else:
                    comdats[sig] = obj.file_id
            if dropped:                         # (a C++ object: hundreds, as one operation)
                members = np.concatenate(dropped) if len(dropped) > 1 else dropped[0]
                members = members[members < len(obj.shdrs)]
                obj.discarded = discarded = np.zeros(len(obj.shdrs), dtype=bool)
                discarded[members] = True
                any_discarded = len(members) > 0

        st = self.symtab
        fg = obj.first_global
        names = written = obj.global_names()
        # global ids in 32 bits while the symbol table's ids fit in them (no more than its
        # names now and this object's new ones): every local's entry is 0, and a riscv64
        # link has ~900,000 local labels (3.5 MB less than int64)
        wide = len(st.names) + len(names) >= NARROW_IDS
        gids = np.zeros(obj.nsyms, dtype=np.int64 if wide else np.int32)
        obj.gids = gids
        ahead = obj.__dict__.get("gids_ahead")
        entered = obj.__dict__.pop("defs_left", None)     # (no run with GCC's LTO is: _enter_ahead)
        if ctx.opts.wrap:
            names = wrapped_names(obj, names, ctx.opts.wrap)
        if ctx.opts.trace_symbol:
            trace_symbols(ctx, obj, names, written)
        if entered is None and "__gnu_lto_slim" in names:   # GCC -flto: its IR symbols stand in (link/lto.py)
            ctx.files.pop()
            stub = ctx.claim_ir(obj)
            return self.add_object(stub, group_id) if stub is not None else None
        if ahead is not None:               # (interned with the objects around it: intern_ahead)
            del obj.gids_ahead
            # (its names are the symbol table's from here: the object's own copies go after
            # this add, a few MB in a large link; global_names() reads them again if asked)
            del obj._global_names
            gids[fg:] = ahead
            # (as a list where a loop below reads it: not for a run entered together, unless
            # the object has a definition left or a few globals, whose references are a list)
            gl = ahead.tolist() if entered is None or entered[0] or len(ahead) <= _FEW_GLOBALS else None
        else:
            # intern every name (one dict lookup each; new names appended together)
            gl = st.intern_all(names)
            gids[fg:] = gl
        n = len(names)
        if n == 0:
            return
        # Classify the globals: references (undefined, or defined in a discarded COMDAT copy),
        # which of them are strong, and definitions with their rank.
        ref_k, strong_k, def_k, rank, local_k = classes(obj, discarded if any_discarded else None)
        if isinstance(ref_k, list):
            ref_g, ref_i = [gl[k] for k in ref_k], [k + fg for k in ref_k]
        else:
            ref_g, ref_i = gids[fg:][ref_k], ref_k + fg
        for k in local_k:
            ctx.diag.error(f"{obj.name}: local symbol '{names[k]}' found in the global part of the symbol table")
        # references: a strong one may pull an archive member
        fid = obj.file_id
        strong_ref, state, lazy = st.strong_ref, st.state, self.lazy
        if entered is not None:                 # (its run was entered together: _enter_ahead)
            if len(ref_g):
                st.add_refs(fid, ref_g, ref_i)
            def_k, rank = entered
        elif len(ref_g):
            st.add_refs(fid, ref_g, ref_i)
            if lazy and len(strong_k) <= _FEW_GLOBALS:
                # (an archive member's handful: mark and pull in one loop)
                pending, shared = self.pending, self.shared
                for k in strong_k:
                    g = gl[k]
                    strong_ref[g] = 1
                    nm = names[k]
                    if nm in lazy and state[g] == UNDEF and nm not in shared:
                        pending.append(lazy.pop(nm))
                        if self.backrefs is not None:
                            self._backref(obj, pending[-1])
            else:
                if len(strong_k) > _FEW_GLOBALS:
                    marks = np.frombuffer(strong_ref, dtype=np.uint8)
                    marks[gids[fg:][strong_k]] = 1
                    del marks                   # (the table grows: no view may outlive this)
                else:
                    for k in strong_k:
                        strong_ref[gl[k]] = 1
                if lazy:
                    hits = lazy.keys() & [names[k] for k in strong_k]
                    if hits:
                        pending = self.pending
                        for k in strong_k:
                            nm = names[k]
                            if nm in hits and state[gl[k]] == UNDEF and nm in lazy and nm not in self.shared:
                                pending.append(lazy.pop(nm))
                                if self.backrefs is not None:
                                    self._backref(obj, pending[-1])
        # definitions: strong beats common beats weak
        if not def_k:
            return
        if lazy and COMMON in rank:
            self._common_pulls([names[k] for k, r in zip(def_k, rank) if r == COMMON])
        syms = obj.syms
        def_file, def_index = st.def_file, st.def_index
        for k, r in zip(def_k, rank):
            g = gl[k]
            cur = state[g]
            k += fg
            if cur == UNDEF and r != COMMON:          # the common case: first definition
                state[g] = r
                def_file[g] = fid
                def_index[g] = k
                continue
            if r == DEFINED and cur == DEFINED:
                if ctx.opts.allow_multiple_definition:
                    continue                    # the first definition stays (GNU ld, lld)
                other = ctx.files[def_file[g]] if def_file[g] > 0 else None
                ctx.diag.error(duplicate_message(ctx, names[k - fg], other, def_index[g], obj, k))
                continue
            if ctx.opts.warn_common and COMMON in (r, cur) and {r, cur} <= {COMMON, DEFINED}:
                # lld's --warn-common words
                ctx.diag.warn(f"multiple common of {names[k - fg]}" if r == cur
                              else f"common {names[k - fg]} is overridden")
            if r == COMMON:
                size = int(syms["st_size"][k])
                align = max(int(syms["st_value"][k]), 1)
                if cur == COMMON:
                    st.common_size[g] = max(st.common_size[g], size)
                    st.common_align[g] = max(st.common_align[g], align)
                    continue
                if cur < COMMON:
                    st.common_size[g] = size
                    st.common_align[g] = align
            if r > cur:
                state[g] = r
                def_file[g] = fid
                def_index[g] = k

    # -- shared objects --------------------------------------------------------------------
    def add_shared(self, dso, as_needed: bool) -> None:
        """A shared object provides definitions (the first shared object that defines a name
        wins, and stops archive members from being pulled for it, as in GNU ld); objects'
        own definitions always take precedence (see ``link/dynamic.py``)."""
        ctx = self.ctx
        if dso.machine != self._machine:
            ctx.check_machine(dso)
            self._machine = dso.machine
        for d in ctx.dsos:
            if d.needed_name == dso.needed_name and (d.path == dso.path or
                                                     os.path.realpath(d.path) == os.path.realpath(dso.path)):
                return                      # the same library twice (libc.so.6 via two scripts)
        dso.as_needed = as_needed
        dso.objects_before = len(ctx.files)
        dso.names_before = len(self.symtab.names)
        ctx.dsos.append(dso)
        dso.dso_id = len(ctx.dsos)
        if ctx.opts.trace_symbol:             # -y: GNU ld's lines, in the library's symbol order
            for name in [n for n in dso.exports if n in ctx.opts.trace_symbol]:
                print(f"xld: {dso.path}: definition of {name}", file=ctx.diag.stream)
        shared = self.shared
        shared.add(dso.providers())
        st, lazy = self.symtab, self.lazy
        versioned = dso.versioned_undefs
        for name in dso.strong_undefs:
            g = st.ids.get(name)
            if (g is None or st.state[g] == UNDEF) and name not in shared and name not in versioned:
                self.shared_wants.add(name)
                if name in lazy:
                    self.pending.append(lazy.pop(name))
        self.drain()

    # -- archives --------------------------------------------------------------------------
    def add_archive(self, ar, whole: bool = False) -> bool:
        """Load the members that satisfy undefined symbols, remember the rest as lazy;
        True if any member was loaded."""
        before = len(self.ctx.files)
        if self.backrefs is not None:
            ar.group_id = self.group_id
        if whole:
            for pos in ar.members:
                self._load(ar, pos, None)
            self.drain()
            return len(self.ctx.files) > before
        st = self.symtab
        get, state, strong_ref, lazy = st.ids.get, st.state, st.strong_ref, self.lazy
        wants = self.shared_wants
        if self.backrefs and id(ar) not in self._backref_seen:
            # lld: an archive read later that defines the name too dismisses the warning
            # (-ldef1 -lref -ldef2: GNU ld links it as well); rescans of a group do not count
            for name, _ in ar.symbols:
                self.backrefs.pop(name, None)
        if self.backrefs is not None:
            self._backref_seen.add(id(ar))
        for name, pos in ar.symbols:
            gid = get(name)
            if gid is None:
                if name in wants and name not in self.shared:
                    self._load(ar, pos, name)
                elif name not in lazy:
                    lazy[name] = (ar, pos, name)
            elif state[gid] == UNDEF:
                if (strong_ref[gid] or name in wants) and name not in self.shared:
                    self._load(ar, pos, name)
                elif name not in lazy:
                    lazy[name] = (ar, pos, name)
            elif state[gid] == COMMON and defines_data(ar, pos, name):
                self._load(ar, pos, name)
        self._default_version_pulls(ar)
        self.drain()
        return len(self.ctx.files) > before

    def _default_version_pulls(self, ar) -> None:
        """A member that defines ``foo@@V`` (foo's default version) is pulled by a reference
        to plain ``foo`` as well, as GNU ld looks an index's default version up without its
        version (bind_default_versions then binds the reference to it); unless the index
        has ``foo`` itself."""
        if ar.default_versions is None:
            listed = {n for n, _ in ar.symbols} if any("@@" in n for n, _ in ar.symbols) else ()
            ar.default_versions = [(n.partition("@@")[0], pos, n) for n, pos in ar.symbols
                                   if "@@" in n and n.partition("@@")[0] not in listed] if listed else []
        if not ar.default_versions:
            return
        st = self.symtab
        get, state, strong_ref, lazy = st.ids.get, st.state, st.strong_ref, self.lazy
        wants = self.shared_wants
        for plain, pos, name in ar.default_versions:
            gid = get(plain)
            if gid is not None and state[gid] == UNDEF and (strong_ref[gid] or plain in wants) \
                    and plain not in self.shared:
                self._load(ar, pos, name)
            elif (gid is None or state[gid] == UNDEF) and plain not in lazy:
                lazy[plain] = (ar, pos, name)

    def _load(self, ar, pos: int, why: str | None) -> None:
        if pos in ar.loaded:
            return
        ar.loaded.add(pos)
        self._load_member(ar, pos, why)

    def _common_pulls(self, names: list[str]) -> None:
        """COMMON definitions of names an archive member defines: GNU ld loads the member
        when it holds a real data definition of the name (``defines_data``)."""
        lazy = self.lazy
        for nm in names:
            hit = lazy.get(nm)
            if hit is not None and defines_data(hit[0], hit[1], nm):
                self.pending_common.append(lazy.pop(nm))

    def load_matching(self, globs: list[str]) -> None:
        """--undefined-glob (lld): load the archive members that define a name matching one
        of the patterns, once every input has been read."""
        import fnmatch
        import re
        pattern = re.compile("|".join(fnmatch.translate(g) for g in globs))
        for name in sorted(n for n in self.lazy if pattern.match(n)):
            hit = self.lazy.pop(name, None)
            if hit is not None:
                ar, pos, _ = hit
                gid = self.symtab.ids.get(name)
                if gid is None or self.symtab.state[gid] == UNDEF:
                    self._load(ar, pos, name)
                    self.drain()

    def drain(self) -> None:
        """Load the members that later references asked for (iteratively: chains are long)."""
        st = self.symtab
        while self.pending or self.pending_common:
            common = not self.pending
            ar, pos, name = (self.pending_common if common else self.pending).pop(0)
            gid = st.ids.get(name)
            if gid is not None:
                wanted = st.state[gid] == (COMMON if common else UNDEF)
            else:                             # a name only shared objects need
                wanted = not common and name in self.shared_wants
            if wanted and name not in self.shared:
                self._load(ar, pos, name)

    def _backref(self, obj, hit: tuple) -> None:
        """--warn-backrefs: ``obj``'s reference loads the member of lazy entry ``hit``; a
        backward reference when the archive came before ``obj`` on the command line (not
        in the same group), which GNU ld would not resolve."""
        ar = hit[0]
        if ar.group_id < obj.group_id:
            self.backrefs.setdefault(hit[2], (obj.name, lazy_member_name(hit)))

    def report_backrefs(self) -> None:
        """lld's warnings for the backward references left (a weak definition can be
        overridden: not said), in the order they were made."""
        if not self.backrefs:
            return
        import fnmatch
        st, exclude = self.symtab, self.ctx.opts.warn_backrefs_exclude
        for name, (ref, to) in self.backrefs.items():
            g = st.ids.get(name)
            if g is not None and st.state[g] == WEAK:
                continue
            if any(fnmatch.fnmatchcase(to, pat) for pat in exclude):
                continue
            self.ctx.diag.warn(f"backward reference detected: {name} in {ref} refers to {to}")

    def _load_member(self, ar, pos: int, why: str | None = None) -> None:
        m = ar.members.get(pos)
        if m is None:
            raise LinkError(f"{ar.path}: symbol index points to an invalid member offset 0x{pos:x}")
        obj = ar.member(pos)
        obj.archive = ar if ar.in_map else None
        obj.pulled_by = why
        self.ctx.loaded_members.append((ar.path, m[0], obj))
        if self.ctx.opts.trace:
            print(obj.name)                 # lld's -t: lib.a(member.o), as it is loaded
        self.add_object(obj, ar.group_id if self.backrefs is not None else None)


# how constraining each visibility is (gABI "Symbol Visibility": the most constraining of a
# symbol's entries in all the objects wins), by STV_* value, and back
_VIS_RANK = np.array([0, 3, 2, 1], dtype=np.int8)     # DEFAULT, INTERNAL, HIDDEN, PROTECTED
_RANK_VIS = np.array([elf.STV_DEFAULT, elf.STV_PROTECTED, elf.STV_HIDDEN, elf.STV_INTERNAL], dtype=np.uint8)


def most_constraining(a: int, b: int) -> int:
    """The more constraining of two STV_* visibilities."""
    return a if _VIS_RANK[a] >= _VIS_RANK[b] else b


def merge_visibility(ctx) -> None:
    """Each global's visibility is the most constraining one of its entries in every object,
    references too (``extern __attribute__((visibility("hidden"))) int f(void);`` makes f
    hidden wherever it is defined): the definition's entry takes it, so every later pass (what
    a library exports, what is preemptible, the symbol tables) reads it there.  Entries of
    default visibility (nearly all) ask nothing; the others are found and compared with their
    definitions' entries as arrays over every object's table."""
    objs = ctx.files[1:]
    if not objs:
        return
    other = elf.table_column([f.syms for f in objs], "st_other") & 3
    asks = np.flatnonzero(other)
    if len(asks) == 0:
        return
    gids = np.concatenate([f.gids for f in objs])[asks]
    glob = gids > 0
    gids, rank = gids[glob], _VIS_RANK[other[asks[glob]]]
    if len(gids) == 0:
        return
    st = ctx.symtab
    best = np.zeros(len(st), dtype=np.int8)
    np.maximum.at(best, gids, rank)
    cand = np.flatnonzero(best)
    df = np.fromiter(map(st.def_file.__getitem__, cand.tolist()), dtype=np.int64, count=len(cand))
    di = np.fromiter(map(st.def_index.__getitem__, cand.tolist()), dtype=np.int64, count=len(cand))
    state = np.fromiter(map(st.state.__getitem__, cand.tolist()), dtype=np.int64, count=len(cand))
    ours = (df > 0) & (state != UNDEF)
    # names no object defines (the linker may, or a shared object): what their references ask
    ctx.ref_visibility = dict(zip(cand[state == UNDEF].tolist(),
                                  _RANK_VIS[best[cand[state == UNDEF]]].tolist()))
    cand, df, di = cand[ours], df[ours], di[ours]
    base = np.zeros(len(ctx.files), dtype=np.int64)        # each file's first row in ``other``
    base[1:] = np.cumsum([0] + [f.nsyms for f in objs])[:-1]
    weaker = _VIS_RANK[other[base[df] + di]] < best[cand]
    for g, f, k in zip(cand[weaker].tolist(), df[weaker].tolist(), di[weaker].tolist()):
        obj = ctx.files[f]
        obj.own_tables()
        obj.syms[k]["st_other"] = (int(obj.syms[k]["st_other"]) & ~3) | int(_RANK_VIS[best[g]])


def bind_default_versions(ctx) -> None:
    """A reference to ``foo`` binds to an object's ``foo@@V`` (``.symver foo_v2, foo@@V``, or
    ``__attribute__((symver("foo@@V")))``): that definition is foo's default version, and GNU
    ld and lld give it to every plain reference in the link (xz's liblzma calls
    ``lzma_block_uncomp_encode``, defined as ``lzma_block_uncomp_encode@@XZ_5.2``).  Only names
    no object defines plainly are bound so (a strong plain definition of an object beside a
    strong ``foo@@V`` is a duplicate symbol, as in GNU ld and lld); the references' entries in each object then carry
    the versioned symbol's id, so nothing later sees the plain name as undefined (no error in
    a program, no import in a library).  The symbol keeps its versioned name in .symtab, as GNU
    ld's does.  (-r keeps the two names apart: the final link binds them.)"""
    st = ctx.symtab
    if ctx.opts.relocatable:
        return
    # (the objects whose string tables hold "@@" at all: one byte search each, not a look
    # at every name of the link)
    versioned = set()
    for f in ctx.files[1:]:
        if b"@@" in getattr(f, "symstr", b""):
            gl = f.gids[f.first_global:].tolist()
            versioned.update(g for g, name in zip(gl, f.global_names()) if "@@" in name)
    state, ids = st.state, st.ids
    remap = {}
    for g in sorted(versioned):
        name = st.names[g]
        if g and state[g] != UNDEF and st.def_file[g] > 0:
            plain = name.partition("@@")[0]
            st.default_version.setdefault(plain, g)
            b = ids.get(plain)
            if b is None:
                continue
            if state[b] == UNDEF:
                remap[b] = g
            elif state[b] == DEFINED and state[g] == DEFINED and st.def_file[b] > 0 and \
                    not ctx.opts.allow_multiple_definition:
                # foo and foo@@V, each defined by an object: one symbol defined twice (GNU
                # ld: "multiple definition of `foo@@V'"; lld: "duplicate symbol: foo@@V")
                (fa, ka), (fb, kb) = sorted([(st.def_file[b], st.def_index[b]),
                                             (st.def_file[g], st.def_index[g])])
                ctx.diag.error(duplicate_message(ctx, name, ctx.files[fa], ka, ctx.files[fb], kb))
    if not remap:
        return
    old = np.array(list(remap), dtype=np.int64)
    new = np.array(list(remap.values()), dtype=np.int64)
    order = np.argsort(old)
    old, new = old[order], new[order]

    def rebind(gids):
        arr = np.asarray(gids)
        at = np.searchsorted(old, arr)
        hit = (at < len(old)) & (old[np.minimum(at, len(old) - 1)] == arr)
        return arr, at, hit

    for f in ctx.files[1:]:
        arr, at, hit = rebind(f.gids)
        if hit.any():
            f.gids[hit] = new[at[hit]]
    parts = st._ref_parts
    for k, (fid, gl, idx) in enumerate(parts):
        arr, at, hit = rebind(np.asarray(gl, dtype=np.int64))
        if hit.any():
            arr = arr.copy()
            arr[hit] = new[at[hit]]
            parts[k] = (fid, arr if isinstance(gl, np.ndarray) else arr.tolist(), idx)
    st._first = None
    st.default_bound.update(remap)
    for b, g in remap.items():
        st.strong_ref[g] |= st.strong_ref[b]
        st.strong_ref[b] = 0
