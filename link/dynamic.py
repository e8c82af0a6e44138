"""Dynamic linking: executables that ld.so loads (PIE, dynamic ET_EXEC) and static-pie.

Three passes, in the driver's list:

``resolve_shared`` (after reading)
    Names no object defines but a shared object does are *imported*: they bind at run time.
    A shared object named under ``--as-needed`` gets a ``DT_NEEDED`` entry only when a
    strong reference binds to it (GNU ld's rule); names only it provides and only weakly
    referenced then stay undefined (zero).  Definitions of ours that a shared object
    references are exported.

``plan`` (after scan: every relocation already has its generic kind)
    Decides once, per symbol and per relocation, what the output needs (mold's way):

    ========================  ====================================  ===========================
    reference                 imported symbol                       our symbol, in a PIE
    ========================  ====================================  ===========================
    call (CALL)               PLT entry, JUMP_SLOT                  direct
    GOT kinds                 GOT slot, GLOB_DAT (RISC-V: R_64)     slot with RELATIVE
    64-bit data (ABS64)       symbolic dynamic relocation           RELATIVE
    direct address, non-PIC   function: canonical PLT entry;        PC-relative: direct;
                              data: copy relocation (.dynbss;       absolute: error (-fPIC)
                              read-only: .bss.rel.ro, RELRO)
    initial-exec TLS          GOT slot, TPREL                       static TP offset
    general-dynamic TLS       GOT pair, DTPMOD + DTPREL             (module 1, offset)
    ========================  ====================================  ===========================

    and sizes the synthetic sections (``.interp``, ``.dynsym``, ``.dynstr``, ``.gnu.hash``/
    ``.hash``, ``.gnu.version``/``.gnu.version_r``, ``.rela.dyn``, ``.rela.plt``, ``.plt``,
    ``.got.plt``, ``.dynamic``, ``.dynbss``, ``.bss.rel.ro``) so that layout places them like any other.

``fill`` (after relocate)
    Writes their contents.  The addend of a RELATIVE relocation is the link-time value
    relocate already stored at the place (S + A), so it is read back from the image.

The per-ISA parts are data and hooks of the backend: the dynamic relocation numbers
(``hooks["dynrel"]``), the PLT header and entries (``hooks["plt"]``), the default
interpreter and which absolute relocations only use the low bits of a page (safe in PIC).
References: the gABI chapter "Dynamic Linking"; aaelf64 "Dynamic relocations" and the RISC-V
psABI "Procedure Linkage Table"; glibc's ``elf/dl-lookup.c`` (.gnu.hash) and
``elf/dl-version.c`` (.gnu.version_r).
"""
from __future__ import annotations

import numpy as np

from xld.link import elf
from xld.link.elf import (DT_NEEDED, DT_NULL, DT_SONAME, SHT_GNU_HASH, SHT_GNU_VERDEF, SHT_GNU_VERNEED,
                          SHT_GNU_VERSYM, SHT_RELR)
from xld.link.errors import LinkError
from xld.link.kinds import Kind
from xld.link import layout, relocate
from xld.link.arrays import member
from xld.link.layout import OutputSection
from xld.link.resolve import UNDEF, LINKER, LINKER_EXPORTED, linker_names
from xld.link.shlib import SharedSym, elf_hash, elf_hash_many, gnu_hash_blob

# dynamic tags (gABI, and the GNU extensions)
DT_PLTRELSZ, DT_PLTGOT, DT_HASH, DT_STRTAB, DT_SYMTAB = 2, 3, 4, 5, 6
DT_RELA, DT_RELASZ, DT_RELAENT, DT_STRSZ, DT_SYMENT, DT_INIT, DT_FINI = 7, 8, 9, 10, 11, 12, 13
DT_RPATH, DT_PLTREL, DT_DEBUG, DT_JMPREL = 15, 20, 21, 23
DT_INIT_ARRAY, DT_FINI_ARRAY, DT_INIT_ARRAYSZ, DT_FINI_ARRAYSZ = 25, 26, 27, 28
DT_RUNPATH, DT_FLAGS = 29, 30
DT_AUXILIARY, DT_FILTER = 0x7FFFFFFD, 0x7FFFFFFF
DT_DEPAUDIT, DT_AUDIT = 0x6FFFFEFB, 0x6FFFFEFC
DT_PREINIT_ARRAY, DT_PREINIT_ARRAYSZ = 32, 33
DT_GNU_HASH = 0x6FFFFEF5
DT_VERSYM, DT_RELACOUNT, DT_FLAGS_1 = 0x6FFFFFF0, 0x6FFFFFF9, 0x6FFFFFFB
DT_VERNEED, DT_VERNEEDNUM = 0x6FFFFFFE, 0x6FFFFFFF
DF_BIND_NOW, DF_TEXTREL = 0x8, 0x4
DT_TEXTREL = 22
DF_1_NOW, DF_1_PIE = 0x1, 0x08000000


# where the synthetic sections go (see layout.RANK: R below 100, R+X, RELRO 200-298, RW)
_RANKS = {".interp": 5, ".hash": 11, ".gnu.hash": 12, ".dynsym": 13, ".dynstr": 14,
          ".gnu.version": 16, ".gnu.version_d": 16.5, ".gnu.version_r": 17, ".rela.dyn": 18, ".rela.plt": 19,
          ".relr.dyn": 18.5, ".plt": 104, ".dynamic": 205.5, ".got.plt": 299, ".dynbss": 399,
          ".bss.rel.ro": 207}

STATIC_PIE, PIE, EXEC, SHARED = "static-pie", "pie", "exec", "shared"
COPY_RELRO = ".bss.rel.ro"      # copies of data read-only in its library (lld's name)

DF_ORIGIN = 0x1
DF_1_NODELETE, DF_1_INITFIRST, DF_1_NOOPEN, DF_1_ORIGIN, DF_1_INTERPOSE = 0x8, 0x20, 0x40, 0x80, 0x400
DF_1_GLOBAL, DF_1_GROUP, DF_1_LOADFLTR, DF_1_NODEFLIB, DF_1_NODUMP = 0x2, 0x4, 0x10, 0x800, 0x1000
DF_1_GLOBAUDIT = 0x01000000
DF_SYMBOLIC, DF_STATIC_TLS = 0x2, 0x10
DT_SYMBOLIC = 16
DT_BIND_NOW = 24
DT_GNU_FLAGS_1, DF_GNU_1_UNIQUE = 0x6FFFFDF4, 0x1
DT_VERDEF, DT_VERDEFNUM = 0x6FFFFFFC, 0x6FFFFFFD
DT_RELRSZ, DT_RELR, DT_RELRENT = 35, 36, 37
RELR_VERSION = "GLIBC_ABI_DT_RELR"      # glibc refuses a DT_RELR object that does not ask for it

_DIRECT_KINDS = (int(Kind.ADDR), int(Kind.PCREL), int(Kind.PAGE_PCREL))


# -- pass 1: shared definitions -----------------------------------------------------------------

def resolve_shared(ctx) -> None:
    """Bind the names no object defines to the shared objects that define them."""
    st = ctx.symtab
    ctx.imports = {}
    ctx.exports = []
    if not ctx.dsos:
        return
    shared = ctx.resolver.shared
    strong = st.strong_ref
    cand = []
    names = st.names
    own = linker_names(ctx.arch, ctx.opts.shared)
    for g in _undefined(st).tolist():
        if names[g] in own:
            continue                            # (the linker defines _end: the output's own)
        hit = shared.get(names[g])
        if hit is None and "@" in names[g]:     # "foo@V1": a version of a shared definition
            hit = next(((d, s) for d in ctx.dsos if (s := d.versioned(names[g])) is not None), None)
        if hit is not None:
            cand.append((g, hit))
            if strong[g]:
                hit[0].used = True
    for g, (dso, sym) in cand:
        if dso.used or not dso.as_needed:
            ctx.imports[g] = (dso, sym)
    # a program's view of the libraries its libraries need (GNU ld loads them for their
    # symbols): its weak references bind to their definitions, and they see its definitions
    # (an --as-needed library nothing of ours needs is one of them when a kept one needs it:
    # GNU ld takes its symbols back, then loads it again for the library that needs it)
    indirect = []
    if not ctx.opts.shared and ctx.arch is not None:
        from xld.link import needed
        indirect = needed.indirect(ctx)
        if indirect:
            weak = [g for g in _undefined(st).tolist() if g not in ctx.imports and not strong[g]
                    and names[g] not in own]
            if weak:
                needed.bind_weak_indirect(ctx, weak, indirect)
    # our definitions that a shared object refers to or also defines: exported, so that its
    # references bind to ours (an executable's definition preempts a library's)
    # (not those of an --as-needed library nothing needs: GNU ld takes back its symbols)
    get = st.ids.get
    state, def_file, def_index = st.state, st.def_file, st.def_index
    kept = [dso for dso in ctx.dsos if dso.used or not dso.as_needed] + indirect
    if len(names) < sum(len(dso.undefs) + len(dso.exports) for dso in kept):
        # fewer names of ours than of theirs (a small program, libc.so.6's 2,900): ours
        # looked up in their tables
        tables = [t for dso in kept for t in (dso.undef_set, dso.exports)]
        named = {g for g, nm in enumerate(names) if any(nm in t for t in tables) and get(nm) == g}
    else:
        named = {g for dso in kept for g in (*map(get, dso.undefs), *map(get, dso.exports)) if g is not None}
    if not ctx.opts.shared and named:
        named = _wanted_by_shared(ctx, [g for g in named if state[g] != UNDEF and def_file[g] > 0],
                                  kept, indirect)
    # --wrap=SYM: GNU ld wraps a shared object's unversioned reference to SYM too, as it looks
    # the name up, so the program's __wrap_SYM is exported (ld.so binds the reference to SYM);
    # a reference that asks for a version, weak or strong, is SYM@V1 to it, which it does not
    # wrap (versioned_undefs holds the strong ones only: a weak SYM@V1 exported __wrap_SYM)
    named |= {g for w in ctx.opts.wrap
              if any(w in dso.plain_undefs for dso in kept)
              and (g := get("__wrap_" + w)) is not None}
    # a shared object's plain reference to foo that no plain definition answers binds to our
    # foo@@V (.symver foo_v2, foo@@V2: foo's default version), as in GNU ld: it is exported
    # (as foo, version V2), else ld.so stops at 'undefined symbol: foo'
    if st.default_version:
        named |= {g for plain, g in st.default_version.items()
                  if ((b := get(plain)) is None or state[b] == UNDEF)
                  and any(plain in dso.plain_undefs for dso in kept)}
    ours = sorted(g for g in named if state[g] != UNDEF and def_file[g] > 0)
    visible = (elf.STV_DEFAULT, elf.STV_PROTECTED)
    if len(ours) < 256:                     # (few: one by one, not every object's table)
        ctx.exports = [g for g in ours if int(ctx.files[def_file[g]].syms[def_index[g]]["st_other"]) & 3 in visible]
    else:
        g = np.array(ours, dtype=np.int64)
        rows, _ = _definitions(ctx, np.array([def_file[x] for x in ours], dtype=np.int64),
                               np.array([def_index[x] for x in ours], dtype=np.int64))
        vis = rows["st_other"] & 3
        ctx.exports = g[(vis == elf.STV_DEFAULT) | (vis == elf.STV_PROTECTED)].tolist()


def _wanted_by_shared(ctx, gids: list[int], kept: list, late: list) -> set[int]:
    """Which of our definitions ``gids`` (names the shared objects ``kept`` refer to or define)
    a program exports for them, by GNU ld's rule (bfd/elflink.c, _bfd_elf_add_default_symbol):
    ours is exported when an object refers to its name without asking for a version, or
    defines it without a version; or defines it as its default version (foo@@V1) unless ours
    was read first (the library is later on the command line, or ``late``: loaded only as a
    library's DT_NEEDED) and the version script puts ours in another node (the anonymous one
    is another too): GNU ld then keeps foo@@V1 and ours apart.  A reference that asks for a
    version (foo@V1) exports nothing by itself: only a definition of foo@V1 answers it."""
    names, def_file = ctx.symtab.names, ctx.symtab.def_file
    after = {id(d) for d in late}
    out, versions = set(), {}
    for g in gids:
        n = names[g]
        vers = set()
        for dso in kept:
            if n in dso.plain_undefs:
                break
            sym = dso.exports.get(n)
            if sym is not None:
                if sym.version is None or (id(dso) not in after and def_file[g] >= dso.objects_before):
                    break
                vers.add(sym.version)
        else:
            if vers:
                versions[g] = vers
            continue
        out.add(g)
    if versions and not (ctx.opts.version_scripts or ctx.opts.version_texts):
        out.update(versions)
    elif versions:
        from xld.link import versionscript
        vs = versionscript.load(ctx.opts.version_scripts, ctx.opts.version_texts)
        ask = list(versions)
        # (no node: exported; local: exported here, made local by _program_script_locals)
        out.update(g for g, (_, node) in zip(ask, vs.lookup_many([names[g] for g in ask]))
                   if node is None or node.name in versions[g])
    return out


def import_undefined(ctx) -> None:
    """A shared library may leave names undefined (the program or another library defines
    them at run time): every name still undefined after the linker's own definitions is
    imported, unless -z defs / --no-undefined make it an error (scan reports it): those leave
    the weak ones imported still (crtbeginS.o's __cxa_finalize, which ld.so binds to libc's
    when a library was not linked against libc or --as-needed dropped it), as GNU ld does.  A
    dynamic program imports them too when the user keeps undefined symbols (--unresolved-symbols=
    ignore-all, --warn-unresolved-symbols), as GNU ld does: ld.so binds them, or fails."""
    o = ctx.opts
    kind = output_kind(ctx)
    st = ctx.symtab
    only = None                 # (all of them, or only the --ignore-unresolved-symbol ones)
    weak = False                # (and the weak ones)
    if kind == SHARED:
        if o.no_undefined and not o.keeps_undefined():
            only, weak = o.ignore_unresolved, True
    elif kind not in (PIE, EXEC):
        return
    elif not o.keeps_undefined():
        only = o.ignore_unresolved
    if only is not None and not only and not weak:
        return
    left = [g for g in _undefined(st).tolist() if g not in ctx.imports
            and (only is None or st.names[g] in only or (weak and not st.strong_ref[g]))]
    for g, (first, first_index) in zip(left, st.first_refs_of(left)):
        bind = elf.STB_GLOBAL if st.strong_ref[g] else elf.STB_WEAK
        typ = elf.STT_NOTYPE                    # as the (first) reference declares it
        if first > 0:
            typ = int(ctx.files[first].syms[first_index]["st_info"]) & 0xF
        ctx.imports[g] = (None, SharedSym(st.names[g], 0, None, typ, bind, 0, 0, 0))


def drop_dead_imports(ctx) -> None:
    """--gc-sections: a name that only removed sections referred to is not imported, as in
    GNU ld (it hides the symbols no kept section refers to): no .dynsym entry, and no version
    needed for it (a program whose dead code alone wanted GLIBCXX_3.4.30 loads where that
    version is missing, as GNU ld's does).  Whether a library is DT_NEEDED (--as-needed) was
    decided as the inputs were read and stays.  Names the command line gives (-e, -u,
    --require-defined, --defsym's symbol) stay imported (and every one with a -T script: the
    driver does not call this)."""
    t = ctx.rel
    used = np.zeros(len(ctx.symtab), dtype=bool)
    if t.n:
        used[t.gid] = True
    o = ctx.opts
    named = {o.entry or "_start", *o.undefined, *o.require_defined, *(v for _, v in o.defsym)}
    names = ctx.symtab.names
    for g in [g for g in ctx.imports if not used[g] and names[g] not in named]:
        del ctx.imports[g]


def _undefined(st) -> np.ndarray:
    """The gids (from 1) of the names still undefined (not those a foo@@V took over)."""
    u = np.flatnonzero(np.array(st.state, dtype=np.int8) == UNDEF)
    if st.default_bound:
        u = np.setdiff1d(u, np.fromiter(st.default_bound, dtype=np.int64))
    return u[u > 0]


def output_kind(ctx) -> str | None:
    """What the options and inputs ask for: None (a static ET_EXEC), or one of
    STATIC_PIE, PIE, EXEC, SHARED."""
    o = ctx.opts
    if o.shared:
        if o.static_pie or o.static:
            raise LinkError("-shared and -static/-static-pie are mutually exclusive")
        return SHARED
    pie = o.pie or o.static_pie
    if pie and (o.static_pie or o.no_dynamic_linker or o.static):
        if ctx.dsos:
            raise LinkError(f"-static-pie: cannot link against shared object {ctx.dsos[0].name}")
        return STATIC_PIE
    if pie:
        return PIE
    if ctx.dsos or (o.dynamic_linker is not None and not o.static and not o.no_dynamic_linker):
        return EXEC
    return None


# -- pass 2: the plan ---------------------------------------------------------------------------

class Plan:
    """Everything the dynamic output needs, decided once after scan."""

    def __init__(self, ctx, kind: str):
        arch = ctx.arch
        self.kind = kind
        self.pic = kind in (PIE, STATIC_PIE, SHARED)    # ET_DYN, loaded at any base
        self.shared = kind == SHARED
        self.interp: bytes | None = None                # PT_INTERP contents
        if kind in (PIE, EXEC):
            self.interp = (ctx.opts.dynamic_linker or arch.hooks["default_interp"]).encode() + b"\0"
        self.rel = arch.hooks["dynrel"]                 # role -> dynamic relocation type
        self.pltspec = ctx.plt_forms or arch.hooks["plt"]   # (BTI/PAC forms: link/properties.py)
        self.plt: list[int] = []                        # imported functions with a PLT entry
        self.canonical: set[int] = set()                # ... whose address is that entry
        self.copies: list[int] = []                     # imported data copied into the program
        self.copy_off: dict[int, int] = {}              # gid -> offset in its copy section,
        self.copy_sec: dict[int, str] = {}              # ... which is .dynbss or .bss.rel.ro
        self.copy_space: dict[str, tuple[int, int]] = {}    # copy section -> (size, alignment)
        self.got_rel: list[tuple[int, str, int, int]] = []   # (GOT slot, role, gid, addend)
        self.n_data_relative = 0                        # RELATIVE at data places (counted)
        self.relr = False                               # -z pack-relative-relocs: .relr.dyn
        self.textrel = False                            # -z notext: relocations in read-only sections
        self.n_relr = 0                                 # RELATIVEs packed there (at most)
        self.n_data_symbolic = 0                        # symbolic ABS64 at data places
        self.data_rows = (None, None, None)             # (the table, data_rows' answer for it)
        self.abs_defs = None                            # gids our objects define in SHN_ABS (if read)
        self.exported = (None, None, None)              # ctx.exports as _plan_exports made it, as an
                                                        # array, and their names (if it has them)
        self.dynsym: list[int] = []                     # gids; index 0 is the null entry
        self.dynsym_at = np.zeros(0, dtype=np.int64)    # per gid: its .dynsym index (0: none)
        self.dynsym_name = np.zeros(0, dtype=np.int64)  # per .dynsym entry: its name in .dynstr
        self.first_hashed = 1                           # .gnu.hash covers [first_hashed:]
        self.weak_undef: set[int] = set()               # undefined weak, left to ld.so (GOT, PLT)
        self.dynsym_version = np.zeros(0, dtype=np.int64)   # per .dynsym entry: .gnu.version index
        self.verneed: list[tuple] = []                  # (dso, [(version name, index)])
        self.needed: list = []                          # DT_NEEDED, in command-line order
        self.dynstr = bytearray(b"\0")
        self.str_off: dict[str, int] = {}
        self.bulk = (0, 0)                              # .dynstr bytes of names not in str_off
        self.dyn_tags: list[tuple[int, object]] = []    # (tag, value or a name to resolve)
        self.sections: dict[str, OutputSection] = {}
        self.nbuckets = 1                               # .gnu.hash: buckets, bloom words,
        self.bloom_words = 1                            # and each hashed name's hash
        self.gnu_hashes = np.zeros(0, dtype=np.uint32)  # (of dynsym[first_hashed:])
        self.sysv_buckets = 1                           # .hash
        self.preempt = np.zeros(0, dtype=bool)          # per gid: bound by ld.so (imported, or
                                                        # ours and interposable in a library)
        self.def_gids = np.zeros(0, dtype=np.int64)     # ours with a PLT entry,
        self.def_values = np.zeros(0, dtype=np.int64)   # ... and their definitions' addresses
        self.versions = None                            # the version scripts (versionscript.Versions)
        self.dyn_list = None                            # --dynamic-list / --export-dynamic-symbol
        self.export_node: dict[int, object] = {}        # gid -> its version node (exports)
        self.verdef: list[str] = []                     # .gnu.version_d names, from index 1
        self.dyn_name: dict[int, str] = {}              # "foo@@V2" (.symver) -> "foo"
        self.hidden_version: set[int] = set()           # "foo@V1": not the default version
        self.forced_local = np.zeros(0, dtype=np.int64)  # definitions a version script or
                                                         # --exclude-libs made local (.symtab too)
        self.linker_exports: list[int] = []             # --defsym and script names exported (_linker_exports)

    # strings in .dynstr, each once
    def string(self, s: str) -> int:
        off = self.str_off.get(s)
        if off is None and self.bulk[1]:
            at = self.dynstr.find(b"\0" + s.encode() + b"\0", self.bulk[0] - 1, self.bulk[1])
            if at >= 0:
                off = self.str_off[s] = at + 1
        if off is None:
            off = self.str_off[s] = len(self.dynstr)
            self.dynstr += s.encode() + b"\0"
        return off

    def strings(self, names: list[str]) -> np.ndarray:
        """``string`` of each name, in order, as one append: their offsets."""
        known = self.str_off
        distinct = len(dict.fromkeys(names)) == len(names)
        new = names if distinct and not any(map(known.__contains__, names)) else \
            [s for s in dict.fromkeys(names) if s not in known]
        if new:
            blob = ("\0".join(new) + "\0").encode()
            ends = np.flatnonzero(np.frombuffer(blob, dtype=np.uint8) == 0)
            starts = len(self.dynstr) + np.concatenate([[0], ends[:-1] + 1])
            if len(starts) != len(new):         # (a NUL in a name: one at a time)
                return np.array([self.string(s) for s in names], dtype=np.int64)
            known.update(zip(new, starts.tolist()))
            self.dynstr += blob
            if new is names:
                return starts
        return np.array(list(map(known.__getitem__, names)), dtype=np.int64)

    # -- what other passes ask ------------------------------------------------------------
    def iplt_stub_base(self, ctx) -> int:
        """Address of the first IFUNC stub: in .plt, after the header and the PLT entries."""
        plt = ctx.outputs[".plt"]
        return plt.addr + self._plt_header_size() + len(self.plt) * self.pltspec["entry_size"]

    def _plt_header_size(self) -> int:
        return self.pltspec["header_size"] if self.plt else 0

    def symbol_values(self, ctx, gaddr: np.ndarray) -> None:
        """Addresses of imported symbols where the output decides them: the PLT entry of a
        function called or canonical; the copy of copied data."""
        if not self.plt and not self.copies:
            return
        plt = ctx.outputs[".plt"]
        base = plt.addr + self._plt_header_size()
        size = self.pltspec["entry_size"]
        if self.plt:
            plt = np.array(self.plt, dtype=np.int64)
            imports = ctx.imports
            ours = plt[~member(plt, imports)]     # (-shared 400x50: 30k entries, 7 imported)
            self.def_gids = ours                     # ours, interposable: calls go through the PLT
            self.def_values = gaddr[ours].copy()
            gaddr[plt] = base + np.arange(len(plt), dtype=np.int64) * size
        if self.copies:
            outputs, sec = ctx.outputs, self.copy_sec
            for g, off in self.copy_off.items():
                gaddr[g] = outputs[sec[g]].addr + off

    def name_of(self, st, g: int) -> str:
        """A symbol's name in .dynsym: without the version a .symver directive put in it."""
        return self.dyn_name.get(g) or st.names[g]

    def names_of(self, st, gids: list[int]) -> list[str]:
        if not self.dyn_name:
            return list(map(st.names.__getitem__, gids))
        return [self.name_of(st, g) for g in gids]

    def definitions(self) -> dict[int, int]:
        """Our interposable functions' definitions, by gid (their references take their PLT
        entries)."""
        return dict(zip(self.def_gids.tolist(), self.def_values.tolist()))

    def definition_values(self, gaddr: np.ndarray) -> np.ndarray:
        """``gaddr`` with our interposable functions at their definitions, not their PLT
        entries (what symbol tables and DT_INIT say)."""
        if not len(self.def_gids):
            return gaddr
        out = gaddr.copy()
        out[self.def_gids] = self.def_values
        return out

    def synthetic_sections(self) -> list[OutputSection]:
        return list(self.sections.values())

    def phdrs_before_loads(self, ctx) -> list[tuple]:
        rows = []
        if self.interp is not None:
            nph = ctx.nphdr * elf.PHDR_SIZE
            # where the headers are loaded: the segment mapping the file's start (a -T
            # script's SEGMENT_START may put it elsewhere than the default image base)
            base = layout.headers_addr(ctx)
            rows.append((elf.PT_PHDR, elf.PF_R, elf.EHDR_SIZE, base + elf.EHDR_SIZE,
                         base + elf.EHDR_SIZE, nph, nph, 8))
            i = ctx.outputs[".interp"]
            rows.append((elf.PT_INTERP, elf.PF_R, i.offset, i.addr, i.addr, i.size, i.size, 1))
        return rows

    def phdrs_after_loads(self, ctx) -> list[tuple]:
        d = ctx.outputs[".dynamic"]
        return [(elf.PT_DYNAMIC, elf.PF_R | elf.PF_W, d.offset, d.addr, d.addr, d.size, d.size, 8)]

    @property
    def extra_phdrs(self) -> int:
        return 3 if self.interp is not None else 1

    @property
    def e_type(self) -> int:
        return elf.ET_DYN if self.pic else elf.ET_EXEC

    # what link/write.py asks of a dynamic output through ctx.dyn (write does not import this
    # module): the names and contents the symbol table worker makes ahead, and .symtab's rows
    # of the names taken from elsewhere
    @property
    def ahead(self) -> tuple:
        return AHEAD

    def tables_ahead(self, ctx, names) -> list[bytes]:
        return tables_ahead(ctx, names)

    def foreign_symbols(self, ctx, gaddr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return foreign_symbols(ctx, gaddr)


def plan(ctx) -> None:
    kind = output_kind(ctx)
    if kind is None:
        ctx.dyn = None
        return
    p = Plan(ctx, kind)
    ctx.dyn = p
    st = ctx.symtab
    n = len(st)
    imported = np.zeros(n, dtype=bool)
    if ctx.imports:
        imported[list(ctx.imports)] = True
    from xld.link import versionscript
    p.dyn_list = versionscript.dynamic_list(ctx.opts)
    p.versions = versionscript.load(ctx.opts.version_scripts, ctx.opts.version_texts)
    if p.shared and ctx.opts.default_symver:
        # --default-symver: one version, named as the library, for every export
        if p.versions is not None:
            raise LinkError("--default-symver with a version script is not supported")
        name = ctx.opts.soname or _basename(ctx.opts.output)
        p.versions = versionscript.Versions([versionscript.Node(name, globals=["*"])])
    if p.versions is not None and ctx.opts.no_undefined_version:
        _check_version_names(ctx, p.versions)
    if p.shared:
        _plan_exports(ctx, p, imported)
    else:
        if p.versions is not None:
            if ctx.exports:
                _program_script_locals(ctx, p)
            p.forced_local = _program_symtab_locals(ctx, p)
        if any("@" in st.names[g] for g in ctx.exports):
            _program_versioned_exports(ctx, p)
    if not p.shared and p.versions is not None and p.versions.named:
        # (GNU ld) a program's named nodes are defined as a library's are, the first (BASE)
        # named after the output: Debian's lua5.4 exports its C API as LUA_5.4 (-E)
        p.verdef = [_basename(ctx.opts.output)] + [n.name for n in p.versions.named]
    p.linker_exports = _linker_exports(ctx, p)
    if p.shared:
        _interposable_linker_names(ctx, p, imported)
    names = st.names
    for g, (dso, sym) in ctx.imports.items():
        if dso is not None and names[g] != sym.name:
            p.dyn_name[g] = sym.name            # ("memcpy@GLIBC_2.17": memcpy, its version in verneed)
    p.preempt = imported
    t = ctx.rel
    if t.n:
        _plan_rows(ctx, p, t, imported)
    _plan_got(ctx, p, imported)
    _plan_copies(ctx, p)
    _plan_dynsym(ctx, p)
    _plan_sections(ctx, p)


def _program_versioned_exports(ctx, p: Plan) -> None:
    """A program's exported definitions that name their version (.symver foo_v2, foo@@V2: a
    shared object's plain reference to foo binds to it, or -E) are in .dynsym as foo, version
    V2 (foo@V1: hidden, not the default), as GNU ld writes them: the version is the version
    script's node of that name, else (no script, or none of its nodes) one GNU ld defines
    for it after the script's (a library's would be an error: ``_plan_exports``).  Written
    under the raw name "foo@@V2", ld.so would find no foo."""
    from xld.link import versionscript
    st = ctx.symtab
    if p.versions is None:
        p.versions = versionscript.Versions([])
    vs = p.versions
    keep = []
    for g in ctx.exports:
        name = st.names[g]
        if "@" not in name:
            keep.append(g)
            continue
        base, _, ver = name.partition("@")
        hidden = not ver.startswith("@")
        ver = ver.lstrip("@")
        node = next((n for n in vs.named if n.name == ver), None)
        if node is None:
            node = versionscript.Node(ver)
            vs.nodes.append(node)
            vs.named.append(node)
        elif vs.local_in_node(node, base):
            continue
        keep.append(g)
        p.export_node[g] = node
        p.dyn_name[g] = base
        if hidden:
            p.hidden_version.add(g)
    ctx.exports = keep


def _program_script_locals(ctx, p: Plan) -> None:
    """A program's version script makes local the names its local: patterns match, those a
    shared object refers to or defines too (GNU ld): not exported, so a library that defines
    the name binds to its own.  One a shared object needs and does not define would find
    nothing at run time, unless another defines it: an error, as GNU ld's ("local symbol ... is
    referenced by DSO")."""
    names = ctx.symtab.names
    exports = ctx.exports
    # (a name with its version, foo@@V2: its own node decides, _program_versioned_exports)
    found = [(True, None) if "@" in names[g] else f
             for g, f in zip(exports, p.versions.lookup_many([names[g] for g in exports]))]
    kept = [kp for kp, _ in found]
    p.export_node = {g: node for g, (kp, node) in zip(exports, found) if kp and node is not None}
    dsos = [d for d in ctx.dsos if d.used or not d.as_needed]
    for g, kp in zip(exports, kept):
        if not kp and not any(names[g] in d.defined_names for d in dsos):
            dso = next((d for d in dsos if names[g] in d.strong_undefs), None)
            if dso is not None:
                obj = ctx.files[ctx.symtab.def_file[g]]
                raise LinkError(f"non-exported symbol '{names[g]}' in '{obj.name}' is referenced by DSO "
                                f"'{dso.name}' (local: in the version script)")
    ctx.exports = [g for g, kp in zip(exports, kept) if kp]


def _program_symtab_locals(ctx, p: Plan) -> np.ndarray:
    """A program's definitions its version script's ``local:`` patterns match, exported or
    not: local in .symtab, as GNU ld and lld write them (with or without -E)."""
    st = ctx.symtab
    def_file = np.array(st.def_file, dtype=np.int64)
    gids = np.flatnonzero((def_file > 0) & (np.array(st.state, dtype=np.int8) != UNDEF))
    names = [st.names[g] for g in gids.tolist()]
    local = [not kept and "@" not in name
             for name, (kept, _) in zip(names, p.versions.lookup_many(names))]
    return gids[np.array(local, dtype=bool)] if local else gids[:0]


def _plan_exports(ctx, p: Plan, preempt: np.ndarray) -> None:
    """A shared library exports every global it defines with default or protected
    visibility (unless a version script makes it local); the default-visibility ones are
    interposable (ld.so may bind them elsewhere) unless -Bsymbolic(-functions) says not.
    The tests are columns over our definitions; only names with a version in them
    (.symver) and the version script's patterns are looked at one by one."""
    st = ctx.symtab
    vs = p.versions
    bsym = ctx.opts.bsymbolic
    excluded = set(ctx.opts.exclude_libs)
    d = _Defs(ctx)
    if d.every:
        p.abs_defs = d.gids[d.shndx == elf.SHN_ABS]
    vis = d.other & 3
    ok = ((vis == elf.STV_DEFAULT) | (vis == elf.STV_PROTECTED)) & d.kept   # (not in a discarded section)
    dropped = d.gids[:0]
    if excluded:                                        # --exclude-libs: a member's symbol
        per_file = np.array([False] + [_excluded(f, excluded) for f in ctx.files[1:]], dtype=bool)
        dropped = d.gids[ok & per_file[d.file]]
        ok &= ~per_file[d.file]
    cand = d.gids[ok]
    vis, typ = vis[ok], d.info[ok] & 0xF
    unique = (d.info[ok] >> 4) == elf.STB_GNU_UNIQUE
    names = list(map(st.names.__getitem__, cand.tolist()))
    keep = np.ones(len(names), dtype=bool)
    nodes: list = [None] * len(names)
    versioned = [k for k, name in enumerate(names) if "@" in name] if "@" in "".join(names) else []
    if vs is not None:
        plain = np.ones(len(names), dtype=bool)
        plain[versioned] = False
        at = np.flatnonzero(plain).tolist()
        for k, (kept, node) in zip(at, vs.lookup_many([names[k] for k in at])):
            keep[k] = kept
            nodes[k] = node
    for k in versioned:
        # .symver: "foo@@V2" defines foo, version V2 (the default), "foo@V1" an older one
        name = names[k]
        g = int(cand[k])
        base, _, ver = name.partition("@")
        hidden = not ver.startswith("@")
        ver = ver.lstrip("@")
        node = next((n for n in vs.named if n.name == ver), None) if vs is not None else None
        if node is None:
            ctx.diag.error(f"{ctx.files[st.def_file[g]].name}: symbol {name} has undefined version {ver}")
            keep[k] = False
            continue
        if vs.local_in_node(node, base):
            keep[k] = False
            continue
        nodes[k] = node
        p.dyn_name[g] = base
        if hidden:
            p.hidden_version.add(g)
    exported = cand[keep]
    p.forced_local = np.sort(np.concatenate([cand[~keep], dropped]))   # (.symtab: write.py)
    if vs is not None:
        p.export_node = {g: n for g, n, kp in zip(cand.tolist(), nodes, keep.tolist()) if kp and n is not None}
    if p.dyn_list is not None:
        # (lld) a dynamic list keeps only the names it lists interposable; the others
        # bind inside the library, as under -Bsymbolic
        bound = ~np.array([p.dyn_list.matches(name.partition("@")[0])
                           for name, kp in zip(names, keep.tolist()) if kp], dtype=bool)
        if ctx.opts.dynamic_list_data:      # (GNU ld) data symbols are listed: interposable
            bound &= ~_is_data(typ[keep])
    else:
        # (GNU ld) -Bsymbolic-functions leaves only data objects interposable: a symbol with
        # no type (an assembler label without .type) is bound too (lld binds STT_FUNC only)
        bound = np.full(len(exported), bsym == "all") | (~_is_data(typ[keep]) & (bsym == "functions"))
    # (GNU ld) an STB_GNU_UNIQUE object is one per process, whatever -Bsymbolic or a dynamic
    # list say: ld.so's unique table picks the copy, the library reaches it through the GOT
    bound &= ~unique[keep]
    preempt[exported[(vis[keep] == elf.STV_DEFAULT) & ~bound]] = True
    ctx.exports = exported.tolist()
    p.exported = (ctx.exports, exported, names if keep.all() else None)
    # interposable IFUNCs are resolved by ld.so (exported as STT_GNU_IFUNC), not by a stub
    if ctx.ifuncs:
        ctx.ifuncs = [g for g in ctx.ifuncs if not preempt[g]]
    if vs is not None and vs.named:
        p.verdef = [ctx.opts.soname or _basename(ctx.opts.output)] + [n.name for n in vs.named]


def _linker_exports(ctx, p: Plan) -> list[int]:
    """The names the linker defines that .dynsym lists, as GNU ld exports them: the user's
    (--defsym, a script's assignments but its HIDDEN ones) and the standard ones GNU ld's
    scripts give default visibility (_end, etext ...: LINKER_EXPORTED) the inputs refer to,
    unless a reference makes them hidden, and __start_SEC/__stop_SEC unless hidden.  From a
    library every one (unless its version script makes it local), from a program those a
    shared object refers to or defines, or all with --export-dynamic, or those a dynamic list
    names.  In a library the user's and the standard ones are interposable, __start_SEC/__stop_SEC
    bound where they are (_interposable_linker_names)."""
    st = ctx.symtab
    hidden = (elf.STV_HIDDEN, elf.STV_INTERNAL)
    std = {n for n in LINKER_EXPORTED | ctx.arch.assigned_names if (g := st.ids.get(n)) is not None
           and ctx.ref_visibility.get(g, elf.STV_DEFAULT) not in hidden}
    # __start_SEC/__stop_SEC of an output section SEC, unless -z start-stop-visibility= or a
    # reference makes them hidden (bound here whatever their visibility, as GNU ld binds them)
    std |= {st.names[g] for g in ctx.start_stop if ctx.ref_visibility.get(g, elf.STV_DEFAULT) not in hidden
            and ctx.outputs.get(st.names[g].split("_", 3)[-1]) is not None}
    names = sorted({n for n, _ in ctx.opts.defsym} | set(ctx.script_names) | std)
    gids = [g for g in map(st.ids.get, names) if g is not None and st.def_file[g] == LINKER
            and g not in ctx.script_hidden]
    if not gids:
        return []
    names = [st.names[g] for g in gids]
    if not p.shared and not ctx.opts.export_dynamic:
        # (the libraries resolve_shared reads: not an --as-needed one nothing of ours uses,
        # whose symbols GNU ld takes back, unless a kept one needs it; a reference that asks
        # for a version (foo@V1) counts here, as GNU ld exports its --defsym foo for it)
        from xld.link import needed
        kept = [dso for dso in ctx.dsos if dso.used or not dso.as_needed] + needed.indirect(ctx)
        wanted = [any(n in dso.undef_set or n in dso.exports for dso in kept)
                  or (p.dyn_list is not None and p.dyn_list.matches(n)) for n in names]
        gids = [g for g, w in zip(gids, wanted) if w]
        names = [st.names[g] for g in gids]
    if p.versions is None:
        return gids
    out = []
    for g, (kept, node) in zip(gids, p.versions.lookup_many(names)):
        if kept:
            out.append(g)
            if node is not None:
                p.export_node[g] = node
    return out


def _interposable_linker_names(ctx, p: Plan, preempt: np.ndarray) -> None:
    """A library's exported names that the linker defines are default-visibility globals like
    any other: ld.so binds the library's own references to them to the first definition it
    finds, the program's, unless a reference declares them protected, -Bsymbolic binds them, or
    a dynamic list does not name them.
    - _end, etext, __bss_start ... (LINKER_EXPORTED): GNU ld's library has GLOB_DAT, ABS64 rows
      for them; -Bsymbolic-functions binds them too (GNU ld's rule: every symbol but data
      objects; these have no type).
    - The user's (--defsym foo=bar, a script's ``foo = bar;``): a program's own foo comes first
      for the library's calls and loads, in GNU ld's and lld's libraries alike (xld bound them
      inside the library: its program printed 105 where theirs printed 4207).
      -Bsymbolic-functions binds them all, data too, as GNU ld does when the options come after
      the objects (gcc's usual order: ``gcc lib.c -Wl,--defsym,...``): the symbol is
      decided on while its type is the reference's, no type.  (Given before the object that
      refers to it, GNU ld's data alias keeps its target's type and stays interposable; lld
      leaves every alias interposable.)
    __start_SEC/__stop_SEC stay bound where they are (GNU ld binds them)."""
    if ctx.opts.bsymbolic:
        return
    st = ctx.symtab
    user = {n for n, _ in ctx.opts.defsym} | set(ctx.script_names)
    start_stop = set(ctx.start_stop)
    for g in p.linker_exports:
        name = st.names[g]
        if ((name in LINKER_EXPORTED or (name in user and g not in start_stop))
                and ctx.ref_visibility.get(g, elf.STV_DEFAULT) == elf.STV_DEFAULT
                and (p.dyn_list is None or p.dyn_list.matches(name))):
            preempt[g] = True


def export_candidates(ctx) -> list[int]:
    """The definitions the dynamic symbol table may export, as far as the inputs tell before
    sections are assigned (--gc-sections' roots, GNU ld's rule): globals with default or
    protected visibility, not in an archive member --exclude-libs names, not made local by a
    version script; in an executable without --export-dynamic, only those a dynamic list
    names.  Hidden ones never leave the output, so nothing outside can call them."""
    st = ctx.symtab
    opts = ctx.opts
    def_file = np.array(st.def_file, dtype=np.int64)
    g = np.flatnonzero((def_file > 0) & (np.array(st.state, dtype=np.int8) != UNDEF))
    if len(g) == 0:
        return []
    df = def_file[g]
    rows, _ = _definitions(ctx, df, np.array(st.def_index, dtype=np.int64)[g])
    vis = rows["st_other"].astype(np.int64) & 3
    ok = (vis == elf.STV_DEFAULT) | (vis == elf.STV_PROTECTED)
    excluded = set(opts.exclude_libs)
    if excluded:
        per_file = np.array([False] + [_excluded(f, excluded) for f in ctx.files[1:]], dtype=bool)
        ok &= ~per_file[df]
    cand = g[ok]
    names = list(map(st.names.__getitem__, cand.tolist()))
    keep = np.ones(len(names), dtype=bool)
    plain = np.array(["@" not in n for n in names], dtype=bool)     # (.symver names: kept)
    from xld.link import versionscript
    if not opts.shared and not opts.export_dynamic:
        dl = versionscript.dynamic_list(opts)
        keep[:] = False
        if dl is not None:
            keep |= np.array([dl.matches(n) for n in names], dtype=bool)
        if opts.dynamic_list_data:
            keep |= _is_data(rows["st_info"][ok].astype(np.int64) & 0xF)
    vs = versionscript.load(opts.version_scripts, opts.version_texts)
    if vs is not None and plain.any():
        at = np.flatnonzero(plain & keep)
        found = vs.lookup_many([names[k] for k in at.tolist()])
        keep[at] = np.array([kp for kp, _ in found], dtype=bool)
    return cand[keep].tolist()


class _Defs:
    """Our definitions (an object defines them: def_file > 0, not undefined) as columns, one
    row per gid (``gids``, ascending): the defining file and the symbol's st_info, st_other,
    st_size and section index; ``placed``: that section is in the output; ``kept``: the
    symbol is not in a discarded section (placed, folded by --icf into a twin, or not in a
    section at all: SHN_ABS, SHN_COMMON); with ``out_index``, ``out`` is the output
    section's index (0: none)."""

    def __init__(self, ctx, out_index: bool = False):
        st = ctx.symtab
        objs = ctx.files[1:]
        def_file = np.array(st.def_file, dtype=np.int64)
        objdef = def_file > 0
        self.gids = g = np.flatnonzero(objdef & (np.array(st.state, dtype=np.int8) != UNDEF))
        self.every = len(g) == np.count_nonzero(objdef)    # (every name an object defines)
        self.file = df = def_file[g]
        rows, shndx = _definitions(ctx, df, np.array(st.def_index, dtype=np.int64)[g])
        self.info = rows["st_info"].astype(np.int64)
        self.other = rows["st_other"].astype(np.int64)
        self.size = rows["st_size"]
        self.shndx = shndx
        nsec = np.array([0] + [len(f.sec_outsec) for f in objs], dtype=np.int64)
        outs = [o for f in objs for o in f.sec_outsec]
        in_sec = (shndx > 0) & (shndx < elf.SHN_LORESERVE)
        has = in_sec & (shndx < nsec[df])
        pos = np.where(has, (np.cumsum(nsec) - nsec)[df] + shndx, len(outs))
        self.placed = np.array([o is not None for o in outs] + [False], dtype=bool)[pos]
        kept = self.placed.copy()
        if ctx.icf_folded:
            folded = ctx.icf_folded
            for k in np.flatnonzero(in_sec & ~kept).tolist():
                kept[k] = (ctx.files[int(df[k])], int(shndx[k])) in folded
        self.kept = kept | ~in_sec
        if out_index:
            self.out = np.array([o.index if o is not None else 0 for o in outs] + [0], dtype=np.int64)[pos]


def _definitions(ctx, df: np.ndarray, di: np.ndarray, rows: bool = True) -> tuple[np.ndarray | None, np.ndarray]:
    """The symbol table rows (with ``rows``) and section indices of symbols ``di`` of files
    ``df``: global symbols (so only the files' global parts are gathered, not their many
    locals)."""
    objs = ctx.files[1:]
    first = np.array([0] + [f.first_global for f in objs], dtype=np.int64)
    if len(di) and (di < first[df]).any():
        first[:] = 0                            # (a local definition: every row)
    nsym = np.array([0] + [len(f.syms) for f in objs], dtype=np.int64) - first
    flat = (np.cumsum(nsym) - nsym)[df] + di - first[df]
    fg = first[1:].tolist()
    shndx = np.concatenate([np.zeros(0, dtype=np.int64)] + [f.sym_shndx[k:] for f, k in zip(objs, fg)])
    if not rows:
        return None, shndx.astype(np.int64)[flat]
    return _take_rows(elf.join_tables([f.syms[k:] for f, k in zip(objs, fg)]), flat), shndx.astype(np.int64)[flat]


def _take_rows(table: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``table[idx]`` of a contiguous structured table, gathered as whole records (NumPy
    gathers a packed structure field by field: 2.5 ms for 33k symbols, 0.2 as records)."""
    dt = table.dtype
    return np.ascontiguousarray(table).view(np.dtype((np.void, dt.itemsize)))[idx].view(dt)


def _excluded(obj, libs: set[str]) -> bool:
    """Whether ``obj`` is a member of an archive --exclude-libs names (or ALL)."""
    ar = getattr(obj, "archive", None)
    if ar is None:
        return False
    return "ALL" in libs or _basename(ar.path) in libs


def _basename(path: str) -> str:
    import os
    return os.path.basename(path)


class _Facts:
    """Per relocation row: where it is and what its symbol is."""


class _Rows:
    """The facts of relocation rows, a subset at a time (``facts(rows)``): what the rows'
    parts and symbols say, gathered once per pass."""

    def __init__(self, ctx, imported: np.ndarray):
        self.ctx = ctx
        t = self.t = ctx.rel
        st = ctx.symtab
        files = ctx.files
        parts = [files[a].sec_outsec[b] for a, b in zip(t.part_file.tolist(), t.part_sec.tolist())]
        flags = np.array([0 if o is None else o.flags for o in parts], dtype=np.int64)
        self.alloc = np.repeat((flags & elf.SHF_ALLOC) != 0, t.counts)
        self.write = np.repeat((flags & elf.SHF_WRITE) != 0, t.counts)
        if len(imported) < len(st):             # (names made after the plan: not imported)
            imported = np.concatenate([imported, np.zeros(len(st) - len(imported), dtype=bool)])
        self.imported = imported
        self.state = np.array(st.state, dtype=np.int8)
        self._gabs = None
        self._shndx = self._base = None

    def facts(self, rows: np.ndarray) -> _Facts:
        """The facts of ``rows`` (an index array).  ``abs`` is only computed for ADDR rows
        (the only ones that ask it): False elsewhere."""
        t = self.t
        f = _Facts()
        f.alloc, f.write = self.alloc[rows], self.write[rows]
        g = t.gid[rows]
        f.imp = self.imported[g]
        f.undef = (g > 0) & (self.state[g] == UNDEF) & ~f.imp       # undefined weak: zero, no relocation
        f.abs = np.zeros(len(g), dtype=bool)
        addr = np.flatnonzero(t.kind[rows] == int(Kind.ADDR))
        if len(addr):
            f.abs[addr] = self._absolute(g[addr], rows[addr])
        return f

    def _absolute(self, g, rows) -> np.ndarray:
        """Of the relocation ``rows`` with symbols ``g``, those whose symbol has a fixed
        address (SHN_ABS, a numeric --defsym): no RELATIVE."""
        ctx, t = self.ctx, self.t
        files = ctx.files
        out = np.zeros(len(g), dtype=bool)
        local = np.flatnonzero(g == 0)
        if len(local):                          # local symbols: every file's table, once
            if self._shndx is None:
                lens = np.array([f.nsyms for f in files[1:]], dtype=np.int64)
                self._base = np.zeros(len(files), dtype=np.int64)
                self._base[1:] = np.cumsum(lens) - lens
                self._shndx = np.concatenate([np.zeros(0, dtype=np.int64)] + [f.sym_shndx for f in files[1:]])
            lr = rows[local]
            out[local] = self._shndx[self._base[t.file[lr]] + t.sym[lr]] == elf.SHN_ABS
        glob = np.flatnonzero(g > 0)
        out[glob] = self.global_abs()[g[glob]]
        return out

    def global_abs(self) -> np.ndarray:
        """Per gid: defined by an object in SHN_ABS, or by a numeric --defsym."""
        if self._gabs is None:
            ctx = self.ctx
            st = ctx.symtab
            gabs = np.zeros(len(st), dtype=bool)
            known = ctx.dyn.abs_defs if ctx.dyn is not None else None
            if known is not None:               # (_plan_exports read the definitions)
                gabs[known] = True
            else:
                def_file = np.array(st.def_file, dtype=np.int64)
                objdef = np.flatnonzero(def_file > 0)
                _, shndx = _definitions(ctx, def_file[objdef], np.array(st.def_index, dtype=np.int64)[objdef], False)
                gabs[objdef] = shndx == elf.SHN_ABS
            for name, expr in ctx.opts.defsym:
                try:
                    int(expr.strip(), 0)
                except ValueError:
                    continue
                gabs[st.ids[name]] = True
            self._gabs = gabs
        return self._gabs


def _err_row(ctx, row: int, msg: str) -> None:
    """lld's words for a relocation a dynamic output cannot take: the symbol (``local symbol``
    when it has no name), then where it is defined and the place (relocate.symbol_location)."""
    t = ctx.rel
    f, k = int(t.file[row]), int(t.sym[row])
    obj = ctx.files[f]
    g = int(t.gid[row])
    name = ctx.symtab.names[g] if g else obj.sym_name(k)
    what = f"symbol '{ctx.diag.sym(name)}'" if name else "local symbol"
    h = ctx.arch.reloc_name(int(t.type[row]))
    ctx.diag.error(f"relocation {h} cannot be used against {what}; {msg}"
                   + relocate.symbol_location(ctx, f, int(t.sec[row]), int(t.offset[row]), k))


def _distinct(a: np.ndarray) -> np.ndarray:
    """The distinct values of ``a``, sorted (np.unique imports more than it is worth).  Ids
    (non-negative, not far more than there are values) are marked, not sorted: -shared
    400x50 calls 30k interposable functions from 84k rows: 1.8 -> 0.3 ms."""
    if len(a) and a.dtype.kind in "iu" and int(a.min()) >= 0 and int(a.max()) < 4 * len(a) + 4096:
        seen = np.zeros(int(a.max()) + 1, dtype=bool)
        seen[a] = True
        return np.flatnonzero(seen).astype(a.dtype, copy=False)
    a = np.sort(a)
    return a[np.concatenate([[True], a[1:] != a[:-1]])] if len(a) else a


def _plan_rows(ctx, p: Plan, t, imported) -> None:
    """What each relocation asks of the dynamic output.  The work is on the rows that can ask
    anything: those whose symbol is imported or interposable, the ADDR rows (RELATIVE,
    absolute addresses), the TLS rows a library refuses and the undefined weak ones; a
    few operations over the whole table find them."""
    K = t.kind
    ADDR, CALL = int(Kind.ADDR), int(Kind.CALL)
    lp = ctx.arch.hooks.get("low_page_bits", ())

    def low_bits(rows):
        return member(t.type[rows], lp) if lp else np.zeros(len(rows), dtype=bool)

    facts = _Rows(ctx, imported).facts
    refused = [int(Kind.TLS_LE), int(Kind.ADD), int(Kind.SUB), int(Kind.SET)]
    desc_hook = "tls_desc_keep" if p.shared else "tls_desc_to_ie"
    if desc_hook not in ctx.arch.hooks and not p.shared:     # (-shared: reported below)
        refused.append(int(Kind.TLS_DESC))      # (where it can, scan made a GOT entry for it)
    if p.shared:
        refused.remove(int(Kind.TLS_LE))        # (reported below, for every symbol)
    # imported (or interposable) symbols: what each needs (rows of the kinds that ask)
    ir = np.flatnonzero(imported[t.gid] & member(K, [CALL, *_DIRECT_KINDS, *refused]))
    fi = facts(ir)
    ir = ir[fi.alloc]
    fi_write = fi.write[fi.alloc]
    ki = K[ir]
    data64_i = (ki == ADDR) & (t.width[ir] == 8)
    sym_data_i = data64_i & fi_write
    direct = ir[member(ki, _DIRECT_KINDS) & ~sym_data_i]
    calls = _distinct(t.gid[ir[ki == CALL]])     # (sorted: -shared 400x50 calls 30k of them)
    plt: set[int] = set()                       # the others: canonical entries, weak ones called
    want_copy: set[int] = set()
    if p.shared:
        # a library has no copies nor canonical entries: a direct address of an
        # interposable symbol cannot be right at run time; lld reports every such relocation
        # (up to --error-limit), the ADRP's :lo12: partner too
        kd = K[direct]
        bad = ~((kd == ADDR) & (t.width[direct] == 8))
        for row in direct[bad][:ctx.diag.max_errors + 1].tolist():
            _err_row(ctx, row, "recompile with -fPIC")      # (64-bit data: a text relocation, below)
        direct = direct[:0]
        if "tls_desc_keep" not in ctx.arch.hooks:
            desc = np.flatnonzero(K == int(Kind.TLS_DESC))
            for row in desc[facts(desc).alloc][:10].tolist():
                _err_row(ctx, row, f"TLS descriptors in a shared library are not supported on {ctx.arch.name} "
                                   f"(xld cannot test them: no Debian bookworm compiler emits them); "
                                   f"use the traditional TLS dialect (GCC's default, -mtls-dialect=trad)")
        le = np.flatnonzero(K == int(Kind.TLS_LE))
        for row in le[facts(le).alloc][:10].tolist():
            _err_row(ctx, row, "local-exec TLS cannot be used in a shared library; recompile with -fPIC")
    dg = t.gid[direct]
    called_set = set(calls.tolist())
    for g in _distinct(dg).tolist():
        dso, sym = ctx.imports[g]
        if dso is None:
            # left undefined (--unresolved-symbols=ignore-all, --warn-unresolved-symbols) to be
            # bound at run time: no library gives a size or type for a copy or a canonical
            # entry.  A position-dependent program takes 0 for it, as GNU ld does (crtbegin's
            # weak _ITM_deregisterTMCloneTable on riscv64), unless it is also called; a PIE
            # cannot (GNU ld's error too)
            if not p.pic and g not in called_set:
                del ctx.imports[g]
                imported[g] = False
                continue
            row = int(direct[np.flatnonzero(dg == g)[0]])
            _err_row(ctx, row, "the symbol is undefined and left to be bound at run time; recompile with -fPIC")
            continue
        if sym.visibility == elf.STV_PROTECTED and sym.type != elf.STT_TLS:
            # a copy or a canonical PLT entry would make the program's address of the symbol
            # another than the one its library uses for itself (lld's error; GNU ld's on arm64)
            row = int(direct[np.flatnonzero(dg == g)[0]])
            obj = ctx.files[int(t.file[row])]
            ctx.diag.error(f"cannot preempt symbol: {ctx.diag.sym(sym.name)}\n"
                           f">>> defined in {dso.name} (protected visibility)\n"
                           f">>> referenced by {obj.where(int(t.sec[row]), int(t.offset[row]))}\n"
                           f">>> recompile with -fPIE or -fPIC")
            continue
        if sym.type in (elf.STT_FUNC, elf.STT_GNU_IFUNC):
            plt.add(g)
            p.canonical.add(g)
        elif sym.type == elf.STT_TLS:
            row = int(direct[np.flatnonzero(dg == g)[0]])
            _err_row(ctx, row, f"it is a TLS variable defined in {dso.name}")
        else:
            want_copy.add(g)
    for row in ir[member(ki, refused)][:10].tolist():
        dso, _ = ctx.imports.get(int(t.gid[row]), (None, None))
        if dso is None:
            _err_row(ctx, row, "the symbol is interposable (defined at run time); recompile with -fPIC")
            continue
        what = (f"it is a TLS variable of {dso.name}, and TLS descriptors against a shared object's "
                f"variable are not supported on {ctx.arch.name} (xld cannot test them: no Debian bookworm "
                f"compiler emits them); use the traditional TLS dialect (GCC's default, -mtls-dialect=trad)"
                if K[row] == int(Kind.TLS_DESC) else f"the symbol is defined in shared object {dso.name}")
        _err_row(ctx, row, what)
    if p.interp is not None:
        # undefined weak functions called (crti's __gmon_start__): a PLT entry that ld.so
        # binds if some object defines the name at run time, as GNU ld makes them; not when
        # the address is also taken directly (it must stay 0 for `if (&f)` to hold)
        weak = (np.array(ctx.symtab.state[:len(imported)], dtype=np.int8) == UNDEF) & ~imported
        weak[0] = False
        wr = np.flatnonzero(weak[t.gid])
        wr = wr[facts(wr).alloc]
        kw = K[wr]
        called = set(t.gid[wr[kw == CALL]].tolist())
        called -= set(t.gid[wr[member(kw, _DIRECT_KINDS)]].tolist())
        plt |= called
        p.weak_undef |= called
    p.plt = sorted(plt.union(calls.tolist())) if plt else calls.tolist()
    p.copies = sorted(want_copy)
    # 64-bit data and absolute addresses: the ADDR rows.  A symbol with a canonical PLT entry
    # or a copy has its address in the program: data that points at it is fixed at link time
    # (a RELATIVE in a PIE), not bound by ld.so
    ar = np.flatnonzero(K == ADDR)
    fa = facts(ar)
    data64 = t.width[ar] == 8
    fixed = _resolved_here(p, t.gid[ar], len(imported))
    imp = fa.imp & fa.alloc
    sym_data = imp & data64 & fa.write & ~fixed
    if p.pic and "notext" in ctx.opts.z:
        sym_data |= imp & data64 & ~fixed       # (read-only places too, under DT_TEXTREL)
    p.n_data_symbolic = int(np.count_nonzero(sym_data))
    if p.pic:
        ours = fa.alloc & (~fa.imp | fixed) & ~fa.undef & ~fa.abs
        rel = ours & data64
        text = rel & ~fa.write
        if "notext" in ctx.opts.z and not (text.any() or (imp & data64 & ~fa.write).any()):
            pass
        elif "notext" in ctx.opts.z:
            p.textrel = True                    # allowed: DT_TEXTREL, ld.so unprotects the text
            if ctx.opts.warn_textrel:           # (GNU ld's words)
                ctx.diag.warn(f"creating DT_TEXTREL in a {'shared object' if ctx.opts.shared else 'PIE'}")
        else:
            for row in ar[text][:10].tolist():
                _err_row(ctx, row, "it would need a dynamic relocation in a read-only section "
                                   "(a text relocation); recompile with -fPIC, or link with -z notext")
        writable = fa.write | p.textrel
        p.n_data_relative = int(np.count_nonzero(rel & writable))
        if ctx.opts.pack_relr:
            p.relr = True
            relr = ar[rel & writable]
            p.n_relr = int(np.count_nonzero(_relr_rows(ctx, t, relr)))
        # absolute addresses in instructions cannot follow the load base
        absolute = fa.alloc & ~data64 & ~low_bits(ar) & ~fa.undef & ~fa.abs
        for row in ar[absolute][:10].tolist():
            _err_row(ctx, row, "recompile with -fPIC")
        ro_imp = imp & data64 & ~fa.write & ~fixed
        for row in ar[ro_imp if not p.textrel else ro_imp[:0]][:10].tolist():
            _err_row(ctx, row, "it would need a dynamic relocation in a read-only section "
                               "(a text relocation); recompile with -fPIC, or link with -z notext")
    # the rows fill writes dynamic relocations for (data_rows), from these facts
    f8 = _Facts()
    for name in ("alloc", "write", "imp", "undef", "abs"):
        setattr(f8, name, getattr(fa, name)[data64])
    p.data_rows = (t, *_data_rows(ctx, p, ar[data64], f8))


def _is_data(types: np.ndarray) -> np.ndarray:
    """--dynamic-list-data's test (GNU ld): STT_OBJECT and STT_COMMON symbols."""
    return (types == elf.STT_OBJECT) | (types == elf.STT_COMMON)


def _resolved_here(p: Plan, gids: np.ndarray, n: int) -> np.ndarray:
    """Of the rows with symbols ``gids`` (of ``n`` names), those whose (imported) symbol has
    its address in the program: canonical PLT, copy."""
    here = np.zeros(n, dtype=bool)
    if p.canonical:
        here[list(p.canonical)] = True
    if p.copies:
        here[p.copies] = True
    return here[gids]


def _relr_rows(ctx, t, rows: np.ndarray) -> np.ndarray:
    """Of the RELATIVE ``rows``, those .relr.dyn can hold (a mask over them): word-aligned
    places (an offset that is a multiple of 8 in an input section aligned to 8 or more)."""
    files = ctx.files
    parts = list(zip(t.part_file.tolist(), t.part_sec.tolist()))
    al = np.array([int(files[f].shdrs["sh_addralign"][s]) for f, s in parts], dtype=np.int64)
    # (in writable sections: text relocations, -z notext, stay in .rela.dyn)
    wr = np.array([bool(files[f].sec_outsec[s].flags & elf.SHF_WRITE) for f, s in parts], dtype=bool)
    part = np.searchsorted(np.cumsum(t.counts), rows, side="right")
    return ((al >= 8) & (al % 8 == 0) & wr)[part] & ((t.offset[rows] & 7) == 0)


def data_rows(ctx):
    """The rows that get a dynamic relocation at their place, as fill needs them:
    (RELATIVE rows, symbolic rows).  The same rule as the plan (which counted them); the
    plan's own when the table is the one it saw (riscv64's shrink may build another)."""
    p = ctx.dyn
    t = ctx.rel
    if t.n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if p.data_rows[0] is t:
        return p.data_rows[1:]
    imported = p.preempt                     # (as the plan saw it: imported or interposable)
    rows = np.flatnonzero((t.kind == int(Kind.ADDR)) & (t.width == 8))
    return _data_rows(ctx, p, rows, _Rows(ctx, imported).facts(rows))


def _data_rows(ctx, p: Plan, rows: np.ndarray, f: _Facts) -> tuple[np.ndarray, np.ndarray]:
    """data_rows' rule on the 64-bit ADDR ``rows`` and their facts ``f``."""
    data64 = f.alloc & (f.write | p.textrel)
    fixed = _resolved_here(p, ctx.rel.gid[rows], len(ctx.symtab))
    sym = rows[data64 & f.imp & ~fixed]
    rel = rows[data64 & (~f.imp | fixed) & ~f.undef & ~f.abs] if p.pic else np.zeros(0, np.int64)
    return rel, sym


def _plan_got(ctx, p: Plan, imported) -> None:
    """Dynamic relocations of GOT slots (ctx.got_entries, made by scan)."""
    st = ctx.symtab
    state = st.state
    slot = 0
    # (addend None: the TP or TLS-block offset of our own variable, found at fill)
    for flavour, fplus, ident, addend in ctx.got_entries:
        g = ident if fplus == 0 else 0
        imp = bool(g) and imported[g]
        if flavour == 0:
            if imp:
                p.got_rel.append((slot, "glob_dat", g, addend))
            elif g and state[g] == UNDEF and p.interp is not None:
                p.got_rel.append((slot, "glob_dat", g, addend))   # undefined weak: ld.so's call
                p.weak_undef.add(g)
            elif p.pic and not _fixed(ctx, fplus, ident, state):
                p.got_rel.append((slot, "relative", 0, 0))
        elif flavour == 1:
            if imp:
                p.got_rel.append((slot, "tpoff", g, addend))
            elif p.shared:      # where the library's TLS block sits is known at run time only
                p.got_rel.append((slot, "tpoff", 0, None))
        elif flavour == 2:
            if imp:
                p.got_rel.append((slot, "dtpmod", g, 0))
                p.got_rel.append((slot + 1, "dtpoff", g, addend))
            elif p.shared:      # the module id (the offset is written statically)
                p.got_rel.append((slot, "dtpmod", 0, 0))
        elif flavour == 3:      # a TLS descriptor, kept (shared library)
            p.got_rel.append((slot, "tlsdesc", g if imp else 0, addend if imp else None))
        slot += 2 if flavour in (2, 3) else 1


def _fixed(ctx, fplus: int, ident: int, state) -> bool:
    """A GOT entry's symbol that does not move with the load base (undefined weak, SHN_ABS)."""
    if fplus:
        obj = ctx.files[fplus - 1]
        return int(obj.sym_shndx[ident]) == elf.SHN_ABS
    g = ident
    if state[g] == UNDEF:
        return True
    df = ctx.symtab.def_file[g]
    if df == LINKER:
        return any(n == ctx.symtab.names[g] and _is_int(e) for n, e in ctx.opts.defsym)
    if df > 0:
        return int(ctx.files[df].sym_shndx[ctx.symtab.def_index[g]]) == elf.SHN_ABS
    return False


def _is_int(expr: str) -> bool:
    try:
        int(expr.strip(), 0)
        return True
    except ValueError:
        return False


def _plan_copies(ctx, p: Plan) -> None:
    """Space for each copied variable: in .bss.rel.ro (RELRO: read-only once ld.so has
    relocated the program) when its library keeps it read-only (.rodata, .data.rel.ro), as
    GNU ld and lld do (unless -z norelro), else in .dynbss; its aliases (other names of the
    same address in the same object, like environ and __environ) share the copy."""
    space: dict[str, list[int]] = {}            # section -> [size, alignment]
    by_addr: dict[tuple[int, int], tuple[int, str]] = {}
    for g in p.copies:
        dso, sym = ctx.imports[g]
        if "nocopyreloc" in ctx.opts.z:
            ctx.diag.error(f"cannot create a copy relocation for symbol {ctx.diag.sym(sym.name)} "
                           f"(defined in {dso.name}) with -z nocopyreloc; recompile with -fPIE")
            continue
        if sym.size == 0:
            ctx.diag.error(f"cannot create a copy relocation for symbol {sym.name}: it has no size "
                           f"in {dso.name}; recompile with -fPIC")
            continue
        if not dso.holds(sym):
            ctx.diag.error(f"cannot create a copy relocation for symbol {ctx.diag.sym(sym.name)}: "
                           f"{dso.name} holds no bytes for it (a stub library, whose addresses do not "
                           f"tell which names are one variable); recompile with -fPIC")
            continue
        # the alignment the variable has in its library (its section's, as far as its address
        # keeps it), uncapped: code may rely on it (a page-aligned buffer, vector loads)
        a = dso.section_align(sym.shndx)
        if sym.value:
            a = min(a, sym.value & -sym.value)
        a = max(a, 1)
        if a > (ctx.opts.max_page_size or ctx.arch.max_page_size):
            ctx.diag.error(f"cannot create a copy relocation for symbol {ctx.diag.sym(sym.name)}: its "
                           f"alignment in {dso.name} ({a:#x}) is above the maximum page size; "
                           f"recompile with -fPIE")
            continue
        name = COPY_RELRO if ctx.opts.relro and dso.read_only(sym.shndx) else ".dynbss"
        room = space.setdefault(name, [0, 1])
        off = (room[0] + a - 1) & -a
        room[:] = off + sym.size, max(room[1], a)
        by_addr[(dso.dso_id, sym.value)] = (off, name)
        p.copy_off[g], p.copy_sec[g] = off, name
    # Every other name of a copied variable in its object (environ, _environ, __environ) is
    # defined at the copy and exported, as lld does: the library's own references, through
    # whichever name, must reach the one copy the program uses.
    st = ctx.symtab
    for (dso_id, value), (o, name) in list(by_addr.items()):
        dso = ctx.dsos[dso_id - 1]
        for alias in dso.aliases_of(value):
            g = st.intern(alias)
            if g in p.copy_off or st.state[g] != UNDEF:
                continue
            ctx.imports[g] = (dso, dso.exports[alias])
            p.copy_off[g], p.copy_sec[g] = o, name
    p.copy_space = {name: (size, align) for name, (size, align) in space.items()}


def _plan_dynsym(ctx, p: Plan) -> None:
    st = ctx.symtab
    imports = ctx.imports
    # canonical PLT entries are hashed with the definitions: ld.so must find their address
    # in the executable first, so that every reference in every object agrees on it
    undefined = sorted({g for g in imports if g not in p.copy_off and g not in p.canonical}
                       | p.weak_undef)
    more = [*p.copy_off, *p.canonical, *_export_dynamic(ctx), *p.linker_exports]
    listed, exported, exported_names = p.exported
    if not more and listed is ctx.exports and len(listed) == len(exported):
        defined = exported                      # (a library's exports alone: sorted, distinct)
    else:
        defined = np.sort(np.array([*more, *ctx.exports], dtype=np.int64))
        defined = defined[np.concatenate([[True], defined[1:] != defined[:-1]])] if len(defined) else defined
    # version indices: 1 global; our version definitions 2..; then the ones we need
    ndef = len(p.verdef)
    # the hashed part: sorted by .gnu.hash bucket
    p.nbuckets = max(len(defined) // 4, 1)
    if defined is exported and exported_names is not None and not p.dyn_name:
        names = exported_names
    else:
        names = p.names_of(st, defined.tolist())
    blob = np.frombuffer(("\0".join(names) + "\0").encode() if names else b"", dtype=np.uint8)
    hashes = gnu_hash_blob(blob, len(names))
    bucket = hashes % p.nbuckets
    # (then by gid: defined is sorted.  Fewer than 64Ki buckets: 16-bit keys, a radix sort,
    # -shared 400x50's 32.8k names 2 -> 0.3 ms)
    order = np.argsort(bucket.astype(np.uint16) if p.nbuckets <= 1 << 16 else bucket, kind="stable")
    defined, p.gnu_hashes = defined[order], hashes[order]
    dynsym = np.concatenate([np.zeros(1 + len(undefined), dtype=np.int64), defined])
    dynsym[1:1 + len(undefined)] = undefined
    p.dynsym = dynsym.tolist()
    p.first_hashed = 1 + len(undefined)
    p.dynsym_at = np.zeros(len(st), dtype=np.int64)
    p.dynsym_at[dynsym[1:]] = np.arange(1, len(dynsym), dtype=np.int64)
    # versions: ours from their version node; one Vernaux per (object, version name) used, indices from 2
    version = p.dynsym_version = np.ones(len(dynsym), dtype=np.int64)
    if p.versions is not None and ndef:
        for g, node in p.export_node.items():
            version[p.dynsym_at[g]] = p.versions.index_of(node)
    nxt = 2 + max(ndef - 1, 0)
    per_dso: dict[int, list] = {}
    ver_index: dict[tuple[int, str], int] = {}
    is_import = np.zeros(len(st), dtype=bool)
    if imports:
        is_import[list(imports)] = True
    # DT_NEEDED: the objects not under --as-needed, and those a strong reference uses
    p.needed = [d for d in ctx.dsos if d.used or not d.as_needed]
    needed = {id(d) for d in p.needed}
    for i in np.flatnonzero(is_import[dynsym]).tolist():
        if i == 0:
            continue
        dso, sym = imports[p.dynsym[i]]
        if dso is None or sym.version is None or id(dso) not in needed:
            # (a library that is not DT_NEEDED, one only weak references bind to (needed.
            # bind_weak_indirect), has no .gnu.version_r entry: unversioned, as GNU ld)
            version[i] = 1
            continue
        key = (dso.dso_id, sym.version)
        if key not in ver_index:
            ver_index[key] = nxt
            per_dso.setdefault(dso.dso_id, []).append((sym.version, nxt))
            nxt += 1
        version[i] = ver_index[key]
    if p.relr:
        for d in p.needed:
            if RELR_VERSION in d.verdef.values() and (d.dso_id, RELR_VERSION) not in ver_index:
                ver_index[(d.dso_id, RELR_VERSION)] = nxt
                per_dso.setdefault(d.dso_id, []).append((RELR_VERSION, nxt))
                nxt += 1
                break
    p.verneed = [(d, per_dso[d.dso_id]) for d in p.needed if d.dso_id in per_dso]
    # .dynstr: sonames, symbol names, version names, run paths
    for d in p.needed:
        p.string(d.recorded_name)
    off_undefined = p.strings(p.names_of(st, undefined))
    if not p.dyn_name and not _any_named(st, p.str_off, defined):
        # (distinct names, none in .dynstr yet) the blob, its names in .dynsym's order
        p.bulk = (len(p.dynstr), len(p.dynstr) + len(blob))
        off_defined = _reorder_strings(blob, order, p.dynstr)
    else:
        off_defined = p.strings([names[k] for k in order.tolist()])
    p.dynsym_name = np.concatenate([[0], off_undefined, off_defined]).astype(np.int64)
    for _, vers in p.verneed:
        for name, _ in vers:
            p.string(name)
    for name in p.verdef:
        p.string(name)
    if ctx.opts.soname:
        p.string(ctx.opts.soname)
    rpath = run_path(ctx.opts)
    if rpath:
        p.string(rpath)


def _any_named(st, strings, gids: np.ndarray) -> bool:
    """Whether one of ``strings`` is the name of one of ``gids`` (a name is one symbol's: the
    few strings are looked up, not the many names; -shared 400x50's 32.8k exports 1.5 ms)."""
    mine = np.zeros(len(st), dtype=bool)
    mine[gids] = True
    ids = st.ids
    return any((g := ids.get(s)) is not None and mine[g] for s in strings)


def run_path(opts) -> str:
    """DT_RUNPATH (DT_RPATH): the -rpath directories, or without any the environment's
    LD_RUN_PATH, as GNU ld takes it."""
    import os
    if opts.rpath:
        return ":".join(opts.rpath)
    return os.environ.get("LD_RUN_PATH", "")


def _reorder_strings(blob: np.ndarray, order: np.ndarray, into: bytearray) -> np.ndarray:
    """Append the NUL-terminated strings of ``blob`` to ``into`` in ``order``: their offsets."""
    ends = np.flatnonzero(blob == 0)
    starts = np.concatenate([[0], ends[:-1] + 1])
    lens = ends + 1 - starts                    # (with the NUL)
    lens, starts = lens[order], starts[order]
    new = np.cumsum(lens) - lens
    idx = np.repeat(starts - new, lens) + np.arange(len(blob))
    base = len(into)
    into += blob[idx].tobytes()
    return base + new


def _export_dynamic(ctx) -> list[int]:
    """--export-dynamic: every global we define with default visibility; --dynamic-list and
    --export-dynamic-symbol: those they name."""
    dl = ctx.dyn.dyn_list if ctx.dyn is not None else None
    if not ctx.opts.export_dynamic and dl is None:
        return []
    st = ctx.symtab
    d = _Defs(ctx)
    vis = d.other & 3
    in_sec = (d.shndx > 0) & (d.shndx < elf.SHN_LORESERVE)
    ok = ((vis == elf.STV_DEFAULT) | (vis == elf.STV_PROTECTED)) & (
        (in_sec & d.kept) | (d.shndx == elf.SHN_ABS) | (d.shndx == elf.SHN_COMMON))
    cand = d.gids[ok].tolist()
    names = list(map(st.names.__getitem__, cand))
    keep = np.ones(len(cand), dtype=bool)
    if not ctx.opts.export_dynamic:
        keep &= np.array([dl.matches(name) for name in names], dtype=bool)
        if ctx.opts.dynamic_list_data:
            keep |= _is_data(d.info[ok] & 0xF)
    vs = ctx.dyn.versions if ctx.dyn is not None else None
    if vs is not None:                      # local: in the version script; the others' nodes
        found = vs.lookup_many(names)
        keep &= np.array([kp for kp, _ in found], dtype=bool)
        ctx.dyn.export_node.update({g: n for g, (kp, n) in zip(cand, found) if kp and n is not None})
    return np.array(cand, dtype=np.int64)[keep].tolist()


def _section(p: Plan, name: str, stype: int, flags: int, size: int, align: int, entsize: int = 0,
             nobits: bool = False) -> OutputSection:
    o = OutputSection(name, stype, flags)
    o.size = size
    o.data = None if nobits else bytes(size)
    if nobits:
        o.data = b""
    o.align, o.entsize, o.rank = align, entsize, _RANKS[name]
    p.sections[name] = o
    return o


def _plan_sections(ctx, p: Plan) -> None:
    A, W, X = elf.SHF_ALLOC, elf.SHF_WRITE, elf.SHF_EXECINSTR
    opts = ctx.opts
    nsym = len(p.dynsym)
    if p.interp is not None:
        _section(p, ".interp", elf.SHT_PROGBITS, A, len(p.interp), 1)
    if opts.hash_style in ("sysv", "both"):
        p.sysv_buckets = max(nsym // 2, 1) if nsym > 1 else 1
        _section(p, ".hash", elf.SHT_HASH, A, 4 * (2 + p.sysv_buckets + nsym), 8, 4)
    if opts.hash_style in ("gnu", "both"):
        nhashed = nsym - p.first_hashed
        p.bloom_words = 1 << max(0, (max(nhashed, 1) - 1).bit_length() - 2) if nhashed > 4 else 1
        _section(p, ".gnu.hash", SHT_GNU_HASH, A, 16 + 8 * p.bloom_words + 4 * p.nbuckets + 4 * nhashed, 8)
    _section(p, ".dynsym", elf.SHT_DYNSYM, A, elf.SYM_SIZE * nsym, 8, elf.SYM_SIZE)
    # .dynamic's tags decide the last strings, so they come before .dynstr is sized
    p.dyn_tags = _dynamic_tags(ctx, p)
    _section(p, ".dynstr", elf.SHT_STRTAB, A, len(p.dynstr), 1)
    if p.verneed or p.verdef:
        _section(p, ".gnu.version", SHT_GNU_VERSYM, A, 2 * nsym, 2, 2)
    if p.verdef:
        _section(p, ".gnu.version_d", SHT_GNU_VERDEF, A, _verdef_size(p), 8)
    if p.verneed:
        _section(p, ".gnu.version_r", SHT_GNU_VERNEED, A,
                 sum(16 + 16 * len(v) for _, v in p.verneed), 8)
    nrela = p.n_data_relative + p.n_data_symbolic + len(p.got_rel) + len(p.copies)
    if p.relr:
        p.n_relr += sum(1 for r in p.got_rel if r[1] == "relative")      # (GOT slots: aligned)
        nrela -= p.n_relr
        if p.n_relr:
            # sized for the worst encoding (one address word each); what the bitmaps save is
            # filled with no-op bitmap words (1)
            _section(p, ".relr.dyn", SHT_RELR, A, 8 * p.n_relr, 8, 8)
    if nrela:
        _section(p, ".rela.dyn", elf.SHT_RELA, A, elf.RELA_SIZE * nrela, 8, elf.RELA_SIZE)
    nifunc = len(ctx.ifuncs) + len(ctx.local_ifuncs)
    nplt = len(p.plt) + nifunc
    if nplt:
        spec = p.pltspec
        _section(p, ".rela.plt", elf.SHT_RELA, A | elf.SHF_INFO_LINK, elf.RELA_SIZE * nplt, 8, elf.RELA_SIZE)
        _section(p, ".plt", elf.SHT_PROGBITS, A | X,
                 p._plt_header_size() + spec["entry_size"] * len(p.plt) + spec["stub_size"] * nifunc, 16)
        reserved = spec["gotplt_reserved"] if p.plt else 0
        _section(p, ".got.plt", elf.SHT_PROGBITS, A | W, 8 * (reserved + nplt), 8, 8)
    _section(p, ".dynamic", elf.SHT_DYNAMIC, A | W, 16 * len(p.dyn_tags), 8, 16)
    for name, (size, align) in p.copy_space.items():
        _section(p, name, elf.SHT_NOBITS, A | W, size, align, nobits=True)


def _verdef_size(p: Plan) -> int:
    """Verdef (20 bytes) + one Verdaux (8) per version, + one more per version it depends on."""
    size = 0
    for k, name in enumerate(p.verdef):
        deps = p.versions.named[k - 1].deps if k else []
        size += 20 + 8 * (1 + len(deps))
    return size


def _dynamic_tags(ctx, p: Plan) -> list[tuple[int, object]]:
    """The .dynamic entries; a value is a number, or ("addr"|"size", section or symbol)."""
    opts = ctx.opts
    st = ctx.symtab
    tags: list[tuple[int, object]] = []
    for d in p.needed:
        tags.append((DT_NEEDED, p.string(d.recorded_name)))
    if opts.soname:                     # (GNU ld writes it for a program too)
        tags.append((DT_SONAME, p.string(opts.soname)))
    if opts.filters or opts.auxiliary:    # (GNU ld's order; only -shared: options.parse)
        tags += [(DT_FILTER, p.string(n)) for n in opts.filters]
        tags += [(DT_AUXILIARY, p.string(n)) for n in opts.auxiliary]
    # --audit, -P/--depaudit: rtld-audit libraries, each list colon-separated (GNU ld's)
    tags += [(tag, p.string(":".join(libs))) for tag, libs in ((DT_AUDIT, opts.audit), (DT_DEPAUDIT, opts.depaudit))
             if libs]
    # (ld.so looks in the library first; not with a dynamic list, whose names stay
    # interposable: GNU ld drops -Bsymbolic's DT_SYMBOLIC then)
    symbolic = p.shared and opts.bsymbolic == "all" and not opts.has_dynamic_list()
    if symbolic:
        tags.append((DT_SYMBOLIC, 0))   # (before DT_RUNPATH, as GNU ld orders them)
    if run_path(opts):
        tags.append((DT_RUNPATH if opts.new_dtags else DT_RPATH, p.string(run_path(opts))))
    for tag, name in ((DT_INIT, opts.init_sym), (DT_FINI, opts.fini_sym)):
        g = st.ids.get(name)
        if g is not None and st.state[g] != UNDEF and st.def_file[g] > 0:
            tags.append((tag, ("sym", g)))
    pre = ctx.outputs.get(".preinit_array")
    if p.shared and pre is not None and pre.inputs:      # (ld.so runs a program's only: GNU ld's error)
        raise LinkError(f"{pre.inputs[0][0].name}: .preinit_array section is not allowed in DSO")
    for arr, t_addr, t_size in ((".preinit_array", DT_PREINIT_ARRAY, DT_PREINIT_ARRAYSZ),
                                (".init_array", DT_INIT_ARRAY, DT_INIT_ARRAYSZ),
                                (".fini_array", DT_FINI_ARRAY, DT_FINI_ARRAYSZ)):
        if arr in ctx.outputs and ctx.outputs[arr].inputs:
            tags.append((t_addr, ("addr", arr)))
            tags.append((t_size, ("size", arr)))
    if opts.hash_style in ("sysv", "both"):
        tags.append((DT_HASH, ("addr", ".hash")))
    if opts.hash_style in ("gnu", "both"):
        tags.append((DT_GNU_HASH, ("addr", ".gnu.hash")))
    tags += [(DT_STRTAB, ("addr", ".dynstr")), (DT_SYMTAB, ("addr", ".dynsym")),
             (DT_STRSZ, ("size", ".dynstr")), (DT_SYMENT, elf.SYM_SIZE)]
    if p.kind in (PIE, EXEC, STATIC_PIE):     # (GNU ld: a static PIE is a PIE to debuggers, `file`)
        tags.append((DT_DEBUG, 0))
    if p.plt or ctx.ifuncs or ctx.local_ifuncs:
        tags += [(DT_PLTGOT, ("addr", ".got.plt")), (DT_PLTRELSZ, ("size", ".rela.plt")),
                 (DT_PLTREL, DT_RELA), (DT_JMPREL, ("addr", ".rela.plt"))]
    nrela = p.n_data_relative + p.n_data_symbolic + len(p.got_rel) + len(p.copies)
    plt_tags = list(p.pltspec["dyn_tags"]) if p.plt or ctx.ifuncs or ctx.local_ifuncs else []
    nrel = p.n_data_relative + sum(1 for r in p.got_rel if r[1] == "relative")
    if p.relr:
        # (the RELR count is final only in _plan_sections; every GOT slot's RELATIVE and
        # each aligned data one move there)
        nrelr = p.n_relr + sum(1 for r in p.got_rel if r[1] == "relative")
        nrela -= nrelr
        nrel -= nrelr
        if nrelr:
            tags += [(DT_RELR, ("addr", ".relr.dyn")), (DT_RELRSZ, ("size", ".relr.dyn")),
                     (DT_RELRENT, 8)]
    if nrela:
        tags += [(DT_RELA, ("addr", ".rela.dyn")), (DT_RELASZ, ("size", ".rela.dyn")),
                 (DT_RELAENT, elf.RELA_SIZE)]
        if nrel:
            tags.append((DT_RELACOUNT, nrel))
    tags += plt_tags                    # the PLT's form (DT_AARCH64_BTI_PLT, DT_AARCH64_PAC_PLT)
    now = "now" in opts.z and "lazy" not in opts.z[opts.z.index("now"):]
    z = set(opts.z)
    flags = (DF_BIND_NOW if now else 0) | (DF_ORIGIN if "origin" in z else 0) | (DF_TEXTREL if p.textrel else 0) \
        | (DF_SYMBOLIC if symbolic else 0)
    if (p.shared or p.kind == PIE) and ctx.arch.hooks.get("static_tls_flag") \
            and any(e[0] == 1 for e in ctx.got_entries):
        # (initial-exec TLS: a dlopen needs static TLS space.  GNU ld's RISC-V backend sets it
        # for every GOT TP-offset slot of a PIC link, a PIE's too, whose slot xld fills at link
        # time; under --disable-new-dtags it decides whether DT_FLAGS is written at all)
        flags |= DF_STATIC_TLS
    if p.textrel:
        tags.append((DT_TEXTREL, 0))
    if not opts.new_dtags and not flags & DF_STATIC_TLS:
        # --disable-new-dtags: GNU ld writes no DT_FLAGS (DT_SYMBOLIC and DT_TEXTREL carry
        # their own; -z now is DT_BIND_NOW) unless the backend's DF_STATIC_TLS needs it; then
        # DT_FLAGS holds every bit (BIND_NOW, ORIGIN ...) and there is no DT_BIND_NOW
        tags += [(DT_BIND_NOW, 0)] if now else []
    elif flags:
        tags.append((DT_FLAGS, flags))
    flags1 = (DF_1_NOW if now else 0) | (DF_1_PIE if p.kind in (PIE, STATIC_PIE) else 0) | (DF_1_GROUP if ctx.opts.bgroup else 0)
    for word, bit in (("nodelete", DF_1_NODELETE), ("initfirst", DF_1_INITFIRST), ("global", DF_1_GLOBAL),
                      ("nodlopen", DF_1_NOOPEN), ("origin", DF_1_ORIGIN), ("interpose", DF_1_INTERPOSE),
                      ("loadfltr", DF_1_LOADFLTR), ("nodefaultlib", DF_1_NODEFLIB), ("nodump", DF_1_NODUMP),
                      ("globalaudit", DF_1_GLOBAUDIT)):
        if word in z:
            flags1 |= bit
    if not p.shared:        # (GNU ld: what ld.so reads only of a library is not an executable's)
        flags1 &= ~(DF_1_INITFIRST | DF_1_NODELETE | DF_1_NOOPEN)
    if flags1:
        tags.append((DT_FLAGS_1, flags1))
    if "unique" in z:                   # (GNU ld: dlmopen loads it once, in the base namespace)
        tags.append((DT_GNU_FLAGS_1, DF_GNU_1_UNIQUE))
    if p.verneed or p.verdef:
        tags.append((DT_VERSYM, ("addr", ".gnu.version")))
    if p.verdef:
        tags += [(DT_VERDEF, ("addr", ".gnu.version_d")), (DT_VERDEFNUM, len(p.verdef))]
    if p.verneed:
        tags += [(DT_VERNEED, ("addr", ".gnu.version_r")), (DT_VERNEEDNUM, len(p.verneed))]
    tags += [(DT_NULL, 0)] * (1 + ctx.opts.spare_dynamic_tags)   # (--spare-dynamic-tags: room for more)
    return tags


# -- pass 3: contents ---------------------------------------------------------------------------

AHEAD = (".dynsym", ".gnu.hash", ".hash")      # what tables_ahead makes


def tables_ahead(ctx, names) -> list[bytes]:
    """The contents of ``names`` (of ``AHEAD``) as ``fill`` makes them, made from the link's
    state once addresses are known (link/write.py's worker makes them beside relocation)."""
    p = ctx.dyn
    st = ctx.symtab
    made = {".dynsym": lambda: _dynsym_table(ctx, p, p.definition_values(ctx.gaddr)).tobytes(),
            ".gnu.hash": lambda: _gnu_hash_table(p, st), ".hash": lambda: _sysv_hash_table(p, st)}
    return [bytes(made[name]()) for name in names]


def fill(ctx, img: np.ndarray) -> None:
    p = ctx.dyn
    if p is None:
        return
    outs = ctx.outputs
    st = ctx.symtab
    gaddr = p.definition_values(ctx.gaddr)       # (our interposable functions: the definition)

    def put(name: str, data: bytes) -> None:
        o = outs[name]
        assert len(data) == o.size, (name, len(data), o.size)
        img[o.offset:o.offset + len(data)] = np.frombuffer(data, dtype=np.uint8)

    def link(name: str, to: str, info: int = 0) -> None:
        if name in outs:
            outs[name].link = outs[to].index
            outs[name].info = info

    made = p.sections          # (a -T script may name a section the plan did not make: .hash)
    if p.interp is not None:
        put(".interp", p.interp)
    put(".dynstr", bytes(p.dynstr))
    from xld.link.write import made_ahead
    ahead = {name: made_ahead(ctx, name) for name in AHEAD}
    put(".dynsym", ahead[".dynsym"] or _dynsym_table(ctx, p, gaddr).tobytes())
    link(".dynsym", ".dynstr", 1)
    # hash tables
    if ".gnu.hash" in made:
        put(".gnu.hash", ahead[".gnu.hash"] or _gnu_hash_table(p, st))
        link(".gnu.hash", ".dynsym")
    if ".hash" in made:
        put(".hash", ahead[".hash"] or _sysv_hash_table(p, st))
        link(".hash", ".dynsym")
    # versions
    if ".gnu.version" in made:
        vs = p.dynsym_version.astype("<u2")
        vs[0] = 0
        if p.hidden_version:
            vs[p.dynsym_at[list(p.hidden_version)]] |= 0x8000
        put(".gnu.version", vs.tobytes())
        link(".gnu.version", ".dynsym")
    if ".gnu.version_d" in made:
        put(".gnu.version_d", _verdef_bytes(p))
        link(".gnu.version_d", ".dynstr", len(p.verdef))
    if ".gnu.version_r" in made:
        out = bytearray()
        for k, (dso, vers) in enumerate(p.verneed):
            last = k == len(p.verneed) - 1
            out += np.array([(1, len(vers), p.str_off[dso.recorded_name], 16,
                              0 if last else 16 + 16 * len(vers))],
                            dtype=[("v", "<u2"), ("c", "<u2"), ("f", "<u4"), ("a", "<u4"), ("n", "<u4")]).tobytes()
            for j, (name, idx) in enumerate(vers):
                out += np.array([(elf_hash(name.encode()), 0, idx, p.str_off[name],
                                  0 if j == len(vers) - 1 else 16)],
                                dtype=[("h", "<u4"), ("fl", "<u2"), ("o", "<u2"), ("nm", "<u4"), ("n", "<u4")]).tobytes()
        put(".gnu.version_r", bytes(out))
        link(".gnu.version_r", ".dynstr", len(p.verneed))
    # .rela.dyn: RELATIVE first (sorted by place), then the symbolic ones
    if ".rela.dyn" in made or ".relr.dyn" in made:
        rela, relr = _rela_dyn(ctx, p, img)
        if ".rela.dyn" in made:
            put(".rela.dyn", rela)
            link(".rela.dyn", ".dynsym")
        if ".relr.dyn" in made:
            put(".relr.dyn", relr)
    # PLT, .got.plt, .rela.plt
    if ".plt" in made:
        _fill_plt(ctx, p, img, put)
        link(".rela.plt", ".dynsym", outs[".got.plt"].index)
    # .dynamic
    ents = np.zeros((len(p.dyn_tags), 2), dtype="<u8")
    for k, (tag, v) in enumerate(p.dyn_tags):
        if isinstance(v, tuple):
            what, ref = v
            if what == "sym":
                v = int(gaddr[ref])            # (the definition, not a PLT entry)
            elif what == "addr":
                v = outs[ref].addr
            else:
                v = outs[ref].size
        ents[k] = (tag, v & (2 ** 64 - 1))
    put(".dynamic", ents.tobytes())
    link(".dynamic", ".dynstr")


def _check_version_names(ctx, versions) -> None:
    """--no-undefined-version: every exact name a version script exports is defined here (by
    an object or the linker; not only imported)."""
    from xld.link.resolve import COMMON, DEFINED
    st = ctx.symtab
    state = np.array(st.state, dtype=np.int64)
    def_file = np.array(st.def_file, dtype=np.int64)
    mine = np.flatnonzero(((state == DEFINED) | (state == COMMON)) & (def_file != 0) | (def_file < 0))
    for e in versions.undefined_assignments({st.names[g] for g in mine.tolist()}):
        ctx.diag.error(e)
    ctx.diag.check()


def _foreign_row(ctx, p: Plan, g: int, name: int, gaddr: np.ndarray) -> tuple:
    """The symbol-table row of a name the output takes from elsewhere: copied into .dynbss
    (defined there), undefined weak, or imported (undefined; a canonical PLT entry's address
    as its value)."""
    imp = ctx.imports.get(g)
    if g in p.copy_off:
        dso, sym = imp
        # (its library's binding, as GNU ld writes it: glibc's and musl's weak environ stays
        # weak; lld makes a name the objects refer to strongly global)
        bind = elf.STB_WEAK if sym.bind == elf.STB_WEAK else elf.STB_GLOBAL
        return (name, (bind << 4) | elf.STT_OBJECT, 0, ctx.outputs[p.copy_sec[g]].index, int(gaddr[g]), sym.size)
    if g in p.weak_undef:
        return (name, (elf.STB_WEAK << 4) | elf.STT_NOTYPE, 0, elf.SHN_UNDEF, 0, 0)
    dso, sym = imp
    typ = elf.STT_FUNC if sym.type == elf.STT_GNU_IFUNC else sym.type
    bind = elf.STB_GLOBAL if ctx.symtab.strong_ref[g] or sym.type == elf.STT_TLS else elf.STB_WEAK
    value = int(gaddr[g]) if g in p.canonical else 0
    return (name, (bind << 4) | typ, 0, elf.SHN_UNDEF, value, 0)


def foreign_symbols(ctx, gaddr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The names a dynamic output takes from elsewhere (imported, copied into .dynbss,
    undefined weak) and their .dynsym rows, st_name 0: ``.symtab`` lists them too, as GNU ld
    and lld write it (``nm -u`` on a program shows what it imports)."""
    p = ctx.dyn
    imports = ctx.imports
    # (in .dynsym's order: the few names looked up there, not .dynsym's 32.8k of -shared
    # 400x50 in the names)
    theirs = np.array(sorted({*p.copy_off, *p.weak_undef, *imports}), dtype=np.int64)
    theirs = theirs[theirs < len(p.dynsym_at)]
    at = p.dynsym_at[theirs]
    gids = theirs[at > 0][np.argsort(at[at > 0], kind="stable")].tolist()
    rows = np.zeros(len(gids), dtype=elf.SYM)
    for k, g in enumerate(gids):
        rows[k] = _foreign_row(ctx, p, g, 0, gaddr)
    return np.array(gids, dtype=np.int64), rows


def _dynsym_table(ctx, p: Plan, gaddr: np.ndarray) -> np.ndarray:
    """.dynsym: our definitions as columns; imported, copied and undefined weak symbols (few)
    one by one."""
    st = ctx.symtab
    outs = ctx.outputs
    imports = ctx.imports
    syms = np.zeros(len(p.dynsym), dtype=elf.SYM)
    syms["st_name"] = p.dynsym_name
    gids = np.array(p.dynsym, dtype=np.int64)
    theirs = np.zeros(len(st), dtype=bool)
    for group in (p.copy_off, p.weak_undef, imports):
        if group:
            theirs[list(group)] = True
    theirs = theirs[gids]
    theirs[0] = True                            # (the null entry)
    for i in np.flatnonzero(theirs)[1:].tolist():
        syms[i] = _foreign_row(ctx, p, p.dynsym[i], int(p.dynsym_name[i]), gaddr)
    linker = member(gids, p.linker_exports) & ~theirs     # (not np.isin: ~60 us a call)
    for i in np.flatnonzero(linker).tolist():       # --defsym and script names, _end ... (few)
        g = p.dynsym[i]
        o = ctx.linker_sec.get(g)
        if o is None and st.names[g] in LINKER_EXPORTED:
            o = _section_at(ctx, int(gaddr[g]))     # (an address in the image: not SHN_ABS, which ld.so does not relocate)
        protected = ctx.ref_visibility.get(g) == elf.STV_PROTECTED      # (a reference says so)
        syms[i] = (int(p.dynsym_name[i]), (elf.STB_GLOBAL << 4) | layout.alias_type(ctx, g),
                   elf.STV_PROTECTED if protected else elf.STV_DEFAULT,
                   o.index if o is not None else elf.SHN_ABS, int(gaddr[g]), 0)
    ours = np.flatnonzero(~theirs & ~linker)
    if not len(ours):
        return syms
    d = _Defs(ctx, out_index=True)
    row = np.searchsorted(d.gids, gids[ours])
    if (row >= len(d.gids)).any() or (d.gids[np.minimum(row, len(d.gids) - 1)] != gids[ours]).any():
        raise LinkError("internal error: a .dynsym entry is neither imported nor defined")
    shndx = d.shndx[row]
    is_abs, common = shndx == elf.SHN_ABS, shndx == elf.SHN_COMMON
    placed = d.placed[row]
    if not (is_abs | common | placed).all():
        bad = ours[~(is_abs | common | placed)][0]
        g = p.dynsym[bad]
        raise LinkError(f"internal error: {st.names[g]} is in .dynsym, its section is not in the output")
    bss = outs[".bss"].index if common.any() else 0
    info = d.info[row]
    value = gaddr[gids[ours]] - np.where((info & 0xF) == elf.STT_TLS, ctx.tls_range[0] if ctx.tls_range else 0, 0)
    if ctx.ifuncs:                               # the address is the stub, a plain function
        stubbed = np.zeros(len(st), dtype=bool)
        stubbed[ctx.ifuncs] = True
        stub = stubbed[gids[ours]] & ((info & 0xF) != elf.STT_TLS)
        info = np.where(stub, (info & 0xF0) | elf.STT_FUNC, info)
    syms["st_info"][ours] = info
    syms["st_other"][ours] = d.other[row] & 3
    syms["st_shndx"][ours] = np.where(is_abs, elf.SHN_ABS, np.where(common, bss, d.out[row]))
    syms["st_value"][ours] = value.view(np.uint64)
    syms["st_size"][ours] = d.size[row]
    return syms


def _section_at(ctx, addr: int):
    """The allocated (not TLS) output section that holds ``addr``, else the last that ends
    there (_end is where .bss ends, _edata), else the first after it (the ELF header's
    __executable_start): a section as GNU ld's script gives such a name."""
    alloc = [o for o in ctx.ordered if o.alloc and o.index and not o.flags & elf.SHF_TLS]
    hit = None
    for o in alloc:
        if o.addr <= addr <= o.addr + o.size:
            if addr < o.addr + o.size:
                return o
            hit = o
    return hit or next((o for o in alloc if addr < o.addr), None)


def _verdef_bytes(p: Plan) -> bytes:
    """.gnu.version_d: the base version (the library's own name, VER_FLG_BASE, index 1),
    then one entry per version node, each naming the versions it depends on."""
    out = bytearray()
    n = len(p.verdef)
    for k, name in enumerate(p.verdef):
        deps = p.versions.named[k - 1].deps if k else []
        cnt = 1 + len(deps)
        size = 20 + 8 * cnt
        out += np.array([(1, 1 if k == 0 else 0, k + 1, cnt, elf_hash(name.encode()), 20,
                          0 if k == n - 1 else size)],
                        dtype=[("v", "<u2"), ("f", "<u2"), ("i", "<u2"), ("c", "<u2"), ("h", "<u4"),
                               ("a", "<u4"), ("n", "<u4")]).tobytes()
        for j, nm in enumerate([name, *deps]):
            out += np.array([(p.str_off[nm], 0 if j == cnt - 1 else 8)],
                            dtype=[("nm", "<u4"), ("n", "<u4")]).tobytes()
    return bytes(out)


def _rela_dyn(ctx, p: Plan, img) -> bytes:
    rel = p.rel
    t = ctx.rel
    rel_rows, sym_rows = data_rows(ctx)
    if len(rel_rows) != p.n_data_relative or len(sym_rows) != p.n_data_symbolic:
        raise LinkError(f"internal error: dynamic relocations changed after planning "
                        f"({len(rel_rows)}/{p.n_data_relative} relative, "
                        f"{len(sym_rows)}/{p.n_data_symbolic} symbolic)")
    at = p.dynsym_at
    no = np.zeros(0, dtype=np.int64)
    # each row's section address and file offset, through its part (one file, one section)
    if len(rel_rows) or len(sym_rows):
        part_addr, part_off = relocate.part_places(ctx, t)
        part_of_row = np.repeat(np.arange(len(part_addr)), t.counts)

    def place(rows):
        pr = part_of_row[rows]
        return part_addr[pr] + t.offset[rows], part_off[pr] + t.offset[rows]

    # RELATIVE: (place, addend), the addend read back from the image; .relr.dyn: places
    rel_place, rel_off, packed = [no], [no], [no]
    data_off = no                   # (the data places of RELATIVE relocations in .rela.dyn)
    if len(rel_rows):
        addr, off = place(rel_rows)
        if p.relr:
            inrelr = _relr_rows(ctx, t, rel_rows)
            packed.append(addr[inrelr])
            addr, off = addr[~inrelr], off[~inrelr]
        rel_place.append(addr)
        rel_off.append(off)
        data_off = off
    # GOT slots: symbolic ones (place, type, dynsym index, addend) in slot order
    got = ctx.linker_output(".got")
    tls_start = ctx.tls_range[0] if ctx.tls_range else 0
    got_rel = p.got_rel
    roles = [r[1] for r in got_rel]
    slots = np.array([r[0] for r in got_rel], dtype=np.int64)
    relative = np.array([r == "relative" for r in roles], dtype=bool)
    if relative.any():
        where = slots[relative]
        (packed if p.relr else rel_place).append(got.addr + 8 * where)
        if not p.relr:
            rel_off.append(got.offset + 8 * where)
    other = [r for r, is_rel in zip(got_rel, relative.tolist()) if not is_rel]
    o_place = np.array([got.addr + 8 * slot for slot, _, _, _ in other], dtype=np.int64)
    o_type = np.array([rel[role] for _, role, _, _ in other], dtype=np.int64)
    o_gid = np.array([g for _, _, g, _ in other], dtype=np.int64)
    o_index = at[o_gid]
    if ((o_index == 0) & (o_gid != 0)).any() or (len(sym_rows) and (at[t.gid[sym_rows]] == 0).any()):
        raise LinkError("internal error: a dynamic relocation's symbol is not in .dynsym")
    o_add = []
    for slot, role, g, addend in other:
        if addend is None:
            # our own variable: its offset in this module's TLS block.  relocate stored the
            # TP offset (initial-exec) or the block offset (descriptor) in the slot
            stored = int(_read64(img, np.array([got.offset + 8 * slot]))[0])
            addend = stored + ctx.tp_base - tls_start if role == "tpoff" else stored
        o_add.append(addend)
    o_add = np.array(o_add, dtype=np.int64)
    # then the symbolic data relocations, then the copies
    s_place = place(sym_rows)[0] if len(sym_rows) else no
    copies = [g for g in p.copies if g in p.copy_off]
    c_place = np.array([int(ctx.gaddr[g]) for g in copies], dtype=np.int64)
    rel_place, rel_off = np.concatenate(rel_place), np.concatenate(rel_off)
    vals = _read64(img, rel_off)
    if ctx.opts.no_apply_dynamic_relocs:
        # --no-apply-dynamic-relocs (GNU ld, AArch64): the data words a RELATIVE, ABS64 or
        # GLOB_DAT relocation sets hold 0, not the link-time value (the addend says it; GOT
        # slots of RELATIVE relocations keep theirs, as GNU ld's)
        zero = [data_off, place(sym_rows)[1] if len(sym_rows) else no,
                np.array([got.offset + 8 * slot for slot, role, _, _ in other if role == "glob_dat"], dtype=np.int64)]
        zero = np.concatenate(zero).astype(np.int64)
        img[zero[:, None] + np.arange(8)] = 0
    order = np.lexsort((vals, rel_place))            # sorted by place (then addend)
    n_rel = len(rel_place)
    out = np.zeros(n_rel + len(other) + len(s_place) + len(copies), dtype=elf.RELA)
    out["r_offset"] = np.concatenate([rel_place[order], o_place, s_place, c_place]).view(np.uint64)
    out["r_info"] = np.concatenate([
        np.full(n_rel, rel["relative"], dtype=np.int64),
        (o_index << 32) | o_type,
        (at[t.gid[sym_rows]] << 32) | rel["abs64"] if len(sym_rows) else no,
        (at[np.array(copies, dtype=np.int64)] << 32) | rel["copy"]]).view(np.uint64)
    out["r_addend"] = np.concatenate([vals[order], o_add, t.addend[sym_rows] if len(sym_rows) else no,
                                      np.zeros(len(copies), dtype=np.int64)])
    relr = b""
    if p.relr:
        packed = np.concatenate(packed)
        if len(packed) != p.n_relr:
            raise LinkError(f"internal error: {len(packed)} RELR relocations, {p.n_relr} planned")
        relr = _relr_encode(np.sort(packed).tolist(), p.n_relr)
    return out.tobytes(), relr


def _relr_encode(addrs: list[int], words: int) -> bytes:
    """SHT_RELR (gABI proposal, as glibc 2.36 reads it): an even word is an address to
    relocate; an odd word is a bitmap of the 63 words after the last address or bitmap
    (bit k+1: relocate base + 8*k).  Padded to ``words`` with the no-op bitmap 1."""
    out: list[int] = []
    i, n = 0, len(addrs)
    while i < n:
        out.append(addrs[i])
        base = addrs[i] + 8
        i += 1
        while True:
            bits = 0
            while i < n:
                d = addrs[i] - base
                if d < 0 or d >= 63 * 8 or d % 8:
                    break
                bits |= 1 << (d // 8)
                i += 1
            if not bits:
                break
            out.append((bits << 1) | 1)
            base += 63 * 8
    out += [1] * (words - len(out))
    return np.array(out, dtype="<u8").tobytes()


def _read64(img, offs: np.ndarray) -> np.ndarray:
    idx = offs.astype(np.int64)[:, None] + np.arange(8)
    return img[idx].copy().view("<i8").reshape(-1)


def _fill_plt(ctx, p: Plan, img, put) -> None:
    spec = p.pltspec
    outs = ctx.outputs
    plt, gotplt = outs[".plt"], outs[".got.plt"]
    reserved = spec["gotplt_reserved"] if p.plt else 0
    n, resolvers = len(p.plt), ctx.iplt_resolvers
    code = bytearray()
    slots = np.zeros(reserved + n + len(resolvers), dtype=np.uint64)
    relas = np.zeros(n + len(resolvers), dtype=elf.RELA)
    if p.plt:
        code += spec["header"](plt.addr, gotplt.addr)
        esz = spec["entry_size"]
        k = np.arange(n, dtype=np.int64)
        slot_addr = gotplt.addr + 8 * (reserved + k)
        code += spec["entries"](plt.addr + p._plt_header_size() + k * esz, slot_addr)
        slots[reserved:reserved + n] = plt.addr     # lazy binding: the header resolves them
        index = p.dynsym_at[np.array(p.plt, dtype=np.int64)]
        relas["r_offset"][:n] = slot_addr
        relas["r_info"][:n] = (index << 32) | p.rel["jump_slot"]
    size = spec["stub_size"]
    stub0 = p.iplt_stub_base(ctx)
    for k, resolver in enumerate(resolvers):
        slot = gotplt.addr + 8 * (reserved + n + k)
        code += spec["stub"](stub0 + k * size, slot)
        slots[reserved + n + k] = resolver
        relas[n + k] = (slot, p.rel["irelative"], resolver)
    if code:
        _check_plt_reach(spec, plt, len(code), gotplt, 8 * len(slots))
    put(".plt", bytes(code))
    put(".got.plt", slots.tobytes())
    put(".rela.plt", relas.tobytes())


def _check_plt_reach(spec, plt, code_size: int, gotplt, slots_size: int) -> None:
    """The PLT's code reaches its .got.plt slots PC-relatively (arm64 adrp, riscv64 auipc):
    a --section-start or script that puts them farther apart than that gets an error, not
    entries that load from the wrong address."""
    far = max(abs(gotplt.addr + slots_size - plt.addr), abs(gotplt.addr - (plt.addr + code_size)))
    if far >= spec["reach"]:
        raise LinkError(f"{plt.name} at {plt.addr:#x} cannot reach {gotplt.name} at {gotplt.addr:#x}: "
                        f"its entries address their slots PC-relatively, within {spec['reach']:#x} "
                        f"bytes (--section-start or a script placed them too far apart)")


def _gnu_hash_table(p: Plan, st) -> bytes:
    """.gnu.hash (glibc's dl-lookup.c): the hashed symbols are sorted by bucket; each
    bucket holds its first symbol's index, the chain each hash with bit 0 set on a bucket's
    last; the Bloom filter two bits of each hash."""
    h = p.gnu_hashes.astype(np.uint64)
    nb = p.nbuckets
    words = p.bloom_words
    shift = 26
    bloom = np.zeros(words, dtype=np.uint64)
    one = np.uint64(1)
    bits = (one << (h % np.uint64(64))) | (one << ((h >> np.uint64(shift)) % np.uint64(64)))
    np.bitwise_or.at(bloom, ((h // np.uint64(64)) % np.uint64(words)).astype(np.int64), bits)
    b = (h % np.uint64(nb)).astype(np.int64)
    buckets = np.zeros(nb, dtype=np.uint32)
    if len(b):
        first = np.flatnonzero(np.concatenate([[True], b[1:] != b[:-1]]))
        buckets[b[first]] = p.first_hashed + first
    last = np.concatenate([b[1:] != b[:-1], [True]]) if len(b) else np.zeros(0, dtype=bool)
    chain = (h.astype(np.uint32) & np.uint32(0xFFFFFFFE)) | last.astype(np.uint32)
    head = np.array([nb, p.first_hashed, words, shift], dtype="<u4")
    return head.tobytes() + bloom.astype("<u8").tobytes() + buckets.astype("<u4").tobytes() \
        + chain.astype("<u4").tobytes()


def _sysv_hash_table(p: Plan, st) -> bytes:
    """.hash (gABI): each bucket the last symbol with its hash, each chain the previous one."""
    n = len(p.dynsym)
    nb = p.sysv_buckets
    bucket = np.zeros(nb, dtype=np.int64)
    chain = np.zeros(n, dtype=np.int64)
    h = (elf_hash_many(p.names_of(st, p.dynsym[1:])) % nb).astype(np.int64)
    if len(h):
        order = np.argsort(h, kind="stable")
        i, hs = order + 1, h[order]
        same = np.concatenate([[False], hs[1:] == hs[:-1]])
        chain[i] = np.where(same, np.concatenate([[0], i[:-1]]), 0)
        last = np.concatenate([hs[1:] != hs[:-1], [True]])
        bucket[hs[last]] = i[last]
    return np.concatenate([np.array([nb, n]), bucket, chain]).astype("<u4").tobytes()
