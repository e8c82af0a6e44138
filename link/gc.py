"""--gc-sections: keep only the input sections reachable from the roots.

A section is live when a root needs it or a live section refers to it through a relocation.
The walk is Go's deadcode pass over sections instead of symbols: a min-heap of global section
ids (``base[file] + index``), so the order — and what ``--dumpdep`` prints — does not depend
on hashing.  ``mark(section, parent)`` is the one place an edge is taken; ``--dumpdep`` prints
each edge there (``parent -> child``, ``<root> -> child`` for roots), ``--why-live`` follows the
recorded parents back to a root (lld's wording).

Roots, as GNU ld's default script and lld keep them:

  - the entry symbol (``-e``, default ``_start``) and every ``-u SYM``;
  - ``.init``, ``.fini``, ``.init_array*``, ``.fini_array*``, ``.preinit_array*``, ``.ctors*``,
    ``.dtors*``, ``.jcr``, notes, init/fini array section types, and SHF_GNU_RETAIN sections;
  - ``.eh_frame``, whose relocations are not plain edges: a CIE's (the personality routine)
    are followed, an FDE's LSDA reference is followed only once the function it describes is
    live, and the FDE itself is dropped later (link/ehframe.py) when its function is not;
  - sections named like a C identifier, when a live section refers to ``__start_X``/``__stop_X``.

A live section also keeps the other members of its section group and the SHF_LINK_ORDER
sections that point to it.  Sections without SHF_ALLOC (debug info, comments) are never
removed, and their relocations are not edges.

Global symbols are followed to their definition (``symtab.def_file``/``def_index``), so a
reference from one file keeps the section of the copy that won resolution; COMDAT-discarded
sections are never marked.  Results: ``obj.live`` (one bool per section of each file), read
by layout.assign_sections — only with --gc-sections; --dumpdep and --why-live alone report
without removing anything.
"""
from __future__ import annotations

import fnmatch
import heapq
import struct
import sys

import numpy as np

from xld.link import elf, resolve
from xld.link.layout import C_IDENT, _DROP, _DROP_TYPES

NONE = np.iinfo(np.int64).max          # "no section" in a target column
ROOT = -1                              # parent of a root

_KEEP_PREFIXES = (".init_array", ".fini_array", ".preinit_array", ".ctors", ".dtors", ".note")
_KEEP_NAMES = {".init", ".fini", ".jcr"}
_KEEP_TYPES = {elf.SHT_NOTE, elf.SHT_INIT_ARRAY, elf.SHT_FINI_ARRAY, elf.SHT_PREINIT_ARRAY}


def _is_root_section(name: str, stype: int, flags: int) -> bool:
    if flags & elf.SHF_GNU_RETAIN or stype in _KEEP_TYPES or name in _KEEP_NAMES:
        return True
    for p in _KEEP_PREFIXES:
        if name == p or name.startswith(p + ".") or (p == ".note" and name.startswith(p)):
            return True
    return False


class Graph:
    """Sections of the link as global ids, and the relocation edges between them."""

    def __init__(self, ctx):
        self.ctx = ctx
        files = ctx.files
        self.base = [0] * len(files)
        total = 1                               # global id 0 is "none"
        for obj in files[1:]:
            self.base[obj.file_id] = total
            total += len(obj.shdrs)
        self.total = total
        self.owner_file = np.zeros(total, dtype=np.int64)
        # graph member: an allocated section that is in play (not COMDAT-discarded, not a
        # table the link consumes, not dropped by name)
        self.member = bytearray(total)
        for obj in files[1:]:
            b = self.base[obj.file_id]
            n = len(obj.shdrs)
            self.owner_file[b:b + n] = obj.file_id
            types = obj.shdrs["sh_type"].tolist()
            flags = obj.shdrs["sh_flags"].tolist()
            disc = obj.discarded.tolist()
            for i in range(1, n):
                if flags[i] & elf.SHF_ALLOC and not disc[i] and types[i] not in _DROP_TYPES \
                        and not flags[i] & elf.SHF_EXCLUDE and obj.sec_names[i] not in _DROP:
                    self.member[b + i] = 1
        self.member_np = np.frombuffer(bytes(self.member), dtype=np.uint8).astype(bool)
        self._gid_targets()
        self._edges = {}                       # file id -> (targets, offsets, syms, {sec: (a, b)})
        self.extra: dict[int, list[int]] = {}  # gsec -> sections live whenever it is
        self.cie_edges: dict[int, list[tuple[int, int, int]]] = {}
        self.eh_sections: set[int] = set()
        self._dependents()
        self._ehframes()

    # -- ids ---------------------------------------------------------------------------------
    def gsec(self, obj, i: int) -> int:
        return self.base[obj.file_id] + i

    def split(self, g: int):
        f = int(self.owner_file[g])
        return self.ctx.files[f], g - self.base[f]

    def _gid_targets(self) -> None:
        """Per global symbol: the global id of the section of its definition, NONE when it has
        none (undefined, absolute, common), or -gid for a linker-defined __start_/__stop_."""
        ctx = self.ctx
        st = ctx.symtab
        def_file = np.array(st.def_file, dtype=np.int64)
        def_index = np.array(st.def_index, dtype=np.int64)
        tg = np.full(len(st), NONE, dtype=np.int64)
        member = self.member_np
        for obj in ctx.files[1:]:
            fg = obj.first_global
            g = obj.gids[fg:]
            if len(g) == 0:
                continue
            mine = (def_file[g] == obj.file_id) & (def_index[g] == np.arange(fg, obj.nsyms))
            sh = obj.sym_shndx[fg:]
            ok = mine & (sh > 0) & (sh < min(elf.SHN_LORESERVE, len(obj.shdrs)))
            gs = self.base[obj.file_id] + sh[ok]
            gs = np.where(member[gs], gs, NONE)
            tg[g[ok]] = gs
        self.by_name: dict[str, list[int]] = {}
        for g in range(1, len(st)):
            if st.def_file[g] != resolve.LINKER:
                continue
            name = st.names[g]
            if name.startswith("__start_") or name.startswith("__stop_"):
                sec = name[8:] if name.startswith("__start_") else name[7:]
                if C_IDENT.match(sec):
                    tg[g] = -g
        if (tg < 0).any():
            for obj in ctx.files[1:]:
                b = self.base[obj.file_id]
                for i, name in enumerate(obj.sec_names):
                    if self.member[b + i] and C_IDENT.match(name):
                        self.by_name.setdefault(name, []).append(b + i)
        self.gid_target = tg

    def _dependents(self) -> None:
        """Group members keep each other; a SHF_LINK_ORDER section follows the one it names."""
        ctx = self.ctx
        for obj in ctx.files[1:]:
            b = self.base[obj.file_id]
            for _sig, members, _flags in obj.groups:
                ms = [b + int(m) for m in members.tolist() if 0 < m < len(obj.shdrs) and self.member[b + int(m)]]
                for m in ms:
                    self.extra.setdefault(m, []).extend(o for o in ms if o != m)
            lo = np.nonzero(obj.shdrs["sh_flags"] & np.uint64(elf.SHF_LINK_ORDER))[0]
            for i in lo.tolist():
                link = int(obj.shdrs[i]["sh_link"])
                if self.member[b + i] and 0 < link < len(obj.shdrs):
                    self.extra.setdefault(b + link, []).append(b + i)

    # -- relocation edges --------------------------------------------------------------------
    def _file_edges(self, obj):
        e = self._edges.get(obj.file_id)
        if e is not None:
            return e
        b = self.base[obj.file_id]
        parts, spans, pos = [], {}, 0
        for sec, r in obj.relas.items():
            if 0 < sec < len(obj.shdrs) and self.member[b + sec] and len(r):
                parts.append(r)
                spans[sec] = (pos, pos + len(r))
                pos += len(r)
        if not parts:
            e = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), spans)
            self._edges[obj.file_id] = e
            return e
        allr = np.concatenate(parts)
        sym = (allr["r_info"] >> np.uint64(32)).astype(np.int64)
        e = (self._targets(obj, sym), allr["r_offset"].astype(np.int64), sym, spans)
        self._edges[obj.file_id] = e
        return e

    def _targets(self, obj, sym: np.ndarray) -> np.ndarray:
        """Global section ids the symbols ``sym`` of ``obj`` stand for (NONE if none)."""
        b = self.base[obj.file_id]
        gid = obj.gids[sym]
        shndx = obj.sym_shndx[sym]
        local_ok = (gid == 0) & (sym > 0) & (shndx > 0) & (shndx < min(elf.SHN_LORESERVE, len(obj.shdrs)))
        gs = np.where(local_ok, b + np.where(local_ok, shndx, 0), NONE)
        member = self.member_np
        gs = np.where((gs != NONE) & member[np.where(gs == NONE, 0, gs)], gs, NONE)
        return np.where(gid > 0, self.gid_target[gid], gs)

    def edges(self, g: int):
        """(target, offset, symbol index) of each relocation of section g, in table order."""
        obj, i = self.split(g)
        tg, off, sym, spans = self._file_edges(obj)
        span = spans.get(i)
        if span is None:
            return ()
        a, z = span
        return zip(tg[a:z].tolist(), off[a:z].tolist(), sym[a:z].tolist())

    def _ehframes(self) -> None:
        """Split each .eh_frame into CIEs and FDEs: CIE relocations become edges of the
        .eh_frame section, an FDE's other relocations (its LSDA) edges of its function."""
        for obj in self.ctx.files[1:]:
            b = self.base[obj.file_id]
            for i, name in enumerate(obj.sec_names):
                if name != ".eh_frame" or not self.member[b + i]:
                    continue
                g = b + i
                self.eh_sections.add(g)
                r = obj.relas.get(i)
                if r is None or len(r) == 0:
                    continue
                data = bytes(obj.section_content(i))
                off = r["r_offset"].astype(np.int64)
                sym = (r["r_info"] >> np.uint64(32)).astype(np.int64)
                tg = self._targets(obj, sym)
                order = np.argsort(off, kind="stable")
                off, sym, tg = off[order].tolist(), sym[order].tolist(), tg[order].tolist()
                k, n, pos = 0, len(data), 0
                cie_edges = self.cie_edges.setdefault(g, [])
                while pos + 4 <= n:
                    length = struct.unpack_from("<I", data, pos)[0]
                    if length == 0 or length == 0xFFFFFFFF:
                        pos += 4
                        if length:
                            break
                        continue
                    end = pos + 4 + length
                    is_cie = pos + 8 <= n and struct.unpack_from("<I", data, pos + 4)[0] == 0
                    recs = []
                    while k < len(off) and off[k] < end:
                        if off[k] >= pos:
                            recs.append((tg[k], off[k], sym[k]))
                        k += 1
                    if is_cie:
                        cie_edges.extend(recs)
                    else:
                        func = [t for t, o, _ in recs if o == pos + 8]
                        rest = [t for t, o, _ in recs if o != pos + 8 and t != NONE]
                        if func and func[0] != NONE and func[0] >= 0:
                            if rest:
                                self.extra.setdefault(func[0], []).extend(rest)
                        else:                  # describes nothing we can name: keep what it uses
                            cie_edges.extend((t, o, s) for t, o, s in recs if o != pos + 8)
                    pos = end


class Walk:
    """The mark phase: live sections, and for each the edge that made it live."""

    def __init__(self, ctx, graph: Graph):
        self.ctx = ctx
        self.g = graph
        self.live = bytearray(graph.total)
        self.why: dict[int, tuple] = {}        # gsec -> (parent gsec | ROOT, offset, (file, sym) | reason)
        self.heap: list[int] = []
        self.dump: list[str] | None = [] if ctx.opts.dumpdep else None
        self.names = SectionNames(ctx, graph)
        self._start_stop_done: set[int] = set()

    def mark(self, t: int, parent: int, offset: int, ref) -> None:
        if self.live[t] or not self.g.member[t]:
            return
        self.live[t] = 1
        self.why[t] = (parent, offset, ref)
        heapq.heappush(self.heap, t)
        if self.dump is not None:
            frm = "<root>" if parent == ROOT else self.names.of(parent)
            self.dump.append(f"{frm} -> {self.names.of(t)}")

    def _follow(self, t: int, parent: int, offset: int, ref) -> None:
        if t == NONE:
            return
        if t >= 0:
            if not self.live[t]:
                self.mark(t, parent, offset, ref)
            return
        # a linker-defined __start_X / __stop_X: every section named X
        gid = -t
        if gid in self._start_stop_done:
            return
        self._start_stop_done.add(gid)
        name = self.ctx.symtab.names[gid]
        sec = name[8:] if name.startswith("__start_") else name[7:]
        for s in self.g.by_name.get(sec, ()):
            self.mark(s, parent, offset, ref)

    def roots(self) -> None:
        ctx, g = self.ctx, self.g
        st = ctx.symtab
        names = [ctx.opts.entry or "_start"] + list(ctx.opts.undefined)
        names += [expr.strip() for _, expr in ctx.opts.defsym if expr.strip() in st.ids]
        for name in names:
            gid = st.ids.get(name)
            if gid is not None:
                self._follow(int(g.gid_target[gid]), ROOT, -1, ("symbol", name))
        for obj in ctx.files[1:]:
            b = g.base[obj.file_id]
            types = obj.shdrs["sh_type"].tolist()
            flags = obj.shdrs["sh_flags"].tolist()
            for i, name in enumerate(obj.sec_names):
                if not g.member[b + i]:
                    continue
                if b + i in g.eh_sections or (_is_root_section(name, types[i], flags[i])
                                              and not flags[i] & elf.SHF_LINK_ORDER):
                    self.mark(b + i, ROOT, -1, ("section", name))

    def run(self) -> None:
        self.roots()
        g = self.g
        heap = self.heap
        while heap:
            s = heapq.heappop(heap)
            obj, i = g.split(s)
            fid = obj.file_id
            if s in g.eh_sections:
                for t, off, sym in g.cie_edges.get(s, ()):
                    self._follow(t, s, off, (fid, sym))
            else:
                for t, off, sym in g.edges(s):
                    if t == NONE or (t >= 0 and self.live[t]):
                        continue
                    self._follow(t, s, off, (fid, sym))
            # group members, SHF_LINK_ORDER dependents, the LSDAs of the FDEs describing s
            for t in g.extra.get(s, ()):
                self._follow(t, s, -1, None)


class SectionNames:
    """What --dumpdep and --why-live call a section: the symbol that defines it (a global that
    resolved here first, then a named local), or ``file:section`` when it has none."""

    def __init__(self, ctx, graph: Graph):
        self.ctx = ctx
        self.g = graph
        self._per_file: dict[int, dict[int, str]] = {}
        self._sized: dict[int, dict[int, list[tuple[int, int, str]]]] = {}

    def _file(self, obj) -> dict[int, str]:
        d = self._per_file.get(obj.file_id)
        if d is not None:
            return d
        d = {}
        st = self.ctx.symtab
        syms = obj.syms
        typ = (syms["st_info"] & 0xF).tolist()
        shndx = obj.sym_shndx.tolist()
        value = syms["st_value"].tolist()
        best: dict[int, tuple] = {}
        fg = obj.first_global
        for si in range(1, obj.nsyms):
            sec = shndx[si]
            if not 0 < sec < elf.SHN_LORESERVE or typ[si] in (elf.STT_SECTION, elf.STT_FILE):
                continue
            if si >= fg:
                gid = int(obj.gids[si])
                if st.def_file[gid] != obj.file_id or st.def_index[gid] != si:
                    continue
                name, rank = st.names[gid], 0
            else:
                name = obj.sym_name(si)
                if not name or name.startswith(".L") or name.startswith("$"):
                    continue
                rank = 1
            key = (rank, value[si] != 0, value[si], si)
            if sec not in best or key < best[sec][0]:
                best[sec] = (key, name)
        for sec, (_, name) in best.items():
            d[sec] = name
        self._per_file[obj.file_id] = d
        return d

    def of(self, g: int) -> str:
        obj, i = self.g.split(g)
        name = self._file(obj).get(i)
        return name if name is not None else f"{obj.name}:{obj.sec_names[i]}"

    def section(self, g: int) -> str:
        obj, i = self.g.split(g)
        return f"{obj.name}:({obj.sec_names[i]})"

    def enclosing(self, g: int, offset: int) -> str | None:
        """The sized symbol of section g whose extent holds ``offset`` (a global first)."""
        obj, i = self.g.split(g)
        per = self._sized.get(obj.file_id)
        if per is None:
            per = {}
            st = self.ctx.symtab
            syms = obj.syms
            typ = (syms["st_info"] & 0xF).tolist()
            for si, (sec, v, sz) in enumerate(zip(obj.sym_shndx.tolist(), syms["st_value"].tolist(),
                                                  syms["st_size"].tolist())):
                if si == 0 or sz == 0 or not 0 < sec < elf.SHN_LORESERVE or typ[si] == elf.STT_SECTION:
                    continue
                if si >= obj.first_global:
                    gid = int(obj.gids[si])
                    if st.def_file[gid] != obj.file_id or st.def_index[gid] != si:
                        continue
                    name, rank = st.names[gid], 0
                else:
                    name, rank = obj.sym_name(si), 1
                per.setdefault(sec, []).append((rank, v, sz, name))
            self._sized[obj.file_id] = per
        for rank, v, sz, name in sorted(per.get(i, ())):
            if v <= offset < v + sz:
                return name
        return None


# ---------------------------------------------------------------------------------------------

def run(ctx) -> None:
    graph = Graph(ctx)
    walk = Walk(ctx, graph)
    walk.run()
    ctx.gc = walk
    opts = ctx.opts
    if walk.dump is not None:
        sys.stdout.write("".join(line + "\n" for line in walk.dump))
    for pattern in opts.why_live:
        for line in why_live(ctx, walk, pattern):
            print(line, file=sys.stdout)
    if not opts.gc_sections:
        return
    removed = []
    for obj in ctx.files[1:]:
        b = graph.base[obj.file_id]
        n = len(obj.shdrs)
        live = np.frombuffer(bytes(walk.live[b:b + n]), dtype=np.uint8).astype(bool)
        member = np.frombuffer(bytes(graph.member[b:b + n]), dtype=np.uint8).astype(bool)
        obj.live = live | ~member
        for i in np.nonzero(member & ~live)[0].tolist():
            removed.append((obj, i))
    ctx.gc_removed = removed
    if opts.print_gc_sections:
        # as GNU ld: empty sections go without a word
        sys.stderr.write("".join(f"removing unused section '{obj.sec_names[i]}' in file '{obj.name}'\n"
                                 for obj, i in removed if int(obj.shdrs[i]["sh_size"])))


# -- --why-live ----------------------------------------------------------------------------------

def _ref_name(ctx, ref) -> str | None:
    if not isinstance(ref, tuple) or len(ref) != 2 or isinstance(ref[0], str):
        return None
    fid, si = ref
    obj = ctx.files[fid]
    gid = int(obj.gids[si])
    if gid:
        return ctx.symtab.names[gid]
    if int(obj.syms[si]["st_info"]) & 0xF == elf.STT_SECTION:
        return None
    name = obj.sym_name(si)
    return name if name and not name.startswith(".L") else None


def chain(ctx, walk: Walk, sym: str | None, sec: int) -> list[str]:
    """The '>>> kept live by' lines from section ``sec`` (holding ``sym``) back to a root."""
    lines = []
    names = walk.names
    seen = set()
    while sec not in seen:
        seen.add(sec)
        parent, offset, ref = walk.why[sec]
        if parent == ROOT:
            kind, what = ref
            if kind == "section":
                lines.append(names.section(sec))
            elif what != sym:
                lines.append(names.section(sec))
                lines.append(what)
            break
        rname = _ref_name(ctx, ref)
        if rname is None or rname != sym:
            lines.append(names.section(sec))
            if rname is not None:
                lines.append(rname)
        encl = names.enclosing(parent, offset) if offset >= 0 else None
        if encl is not None:
            lines.append(encl)
        sym, sec = encl, parent
    return [f">>> kept live by {x}" for x in lines]


def why_live(ctx, walk: Walk, pattern: str) -> list[str]:
    """lld's --why-live: for each live symbol matching ``pattern``, the chain to a root."""
    st = ctx.symtab
    g = walk.g
    glob = any(c in pattern for c in "*?[")
    out = []
    cands = []                                # (name, file, symbol index) or (name, None, gid)
    if glob:
        cands += [(n, None, gid) for n, gid in st.ids.items() if fnmatch.fnmatchcase(n, pattern)]
        for obj in ctx.files[1:]:
            for si in range(1, obj.first_global):
                n = obj.sym_name(si)
                if n and fnmatch.fnmatchcase(n, pattern) and int(obj.syms[si]["st_info"]) & 0xF not in (
                        elf.STT_SECTION, elf.STT_FILE):
                    cands.append((n, obj, si))
    else:
        if pattern in st.ids:
            cands.append((pattern, None, st.ids[pattern]))
        else:
            for obj in ctx.files[1:]:
                for si in range(1, obj.first_global):
                    if obj.sym_name(si) == pattern:
                        cands.append((pattern, obj, si))
    for name, obj, idx in cands:
        if obj is None:
            f = st.def_file[idx]
            if f == 0 and st.state[idx] == resolve.UNDEF and idx not in ctx.refs and name not in ctx.opts.undefined:
                continue
            if f <= 0:
                out.append(f"live symbol: {name}")
                continue
            obj, si = ctx.files[f], st.def_index[idx]
        else:
            si = idx
        shndx = int(obj.sym_shndx[si])
        if not 0 < shndx < min(elf.SHN_LORESERVE, len(obj.shdrs)):
            out.append(f"live symbol: {name}")
            continue
        sec = g.gsec(obj, shndx)
        if not g.member[sec]:
            if not obj.discarded[shndx]:
                out.append(f"live symbol: {name}")
            continue
        if not walk.live[sec]:
            continue
        out.append(f"live symbol: {name}")
        out += chain(ctx, walk, name, sec)
    return out
