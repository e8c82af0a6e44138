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
by layout.assign_sections — only with --gc-sections or --icf (link/icf.py folds among the
live sections and clears the folded ones); --dumpdep and --why-live alone report without
removing anything.  See docs/gc.md.
"""
from __future__ import annotations

import fnmatch
import heapq
import struct
import sys

import numpy as np

from xld.link import elf, pages, resolve
from xld.link.layout import C_IDENT, DROP, dropped_types, is_root_name

ROOT = -1                              # parent of a root

_KEEP_PREFIXES = (".init", ".fini", ".preinit_array", ".ctors", ".dtors", ".jcr", ".note")
_KEEP_TYPES = {elf.SHT_NOTE, elf.SHT_INIT_ARRAY, elf.SHT_FINI_ARRAY, elf.SHT_PREINIT_ARRAY}


class Graph:
    """Sections of the link as global ids, and the relocation edges between them.

    Everything is computed for the whole link at once: the section headers, symbol tables
    and relocation tables of all files are concatenated, so the cost is a few NumPy passes
    whatever the number of files.  A global section id is ``base[file] + index`` (0 is
    "none"); a symbol row is ``sym_base[file] + index``.
    """

    def __init__(self, ctx):
        self.ctx = ctx
        files = ctx.files[1:]
        nsec = [len(o.shdrs) for o in files]
        nsym = [o.nsyms for o in files]
        self.base = [0] * len(ctx.files)
        self.sym_base = [0] * len(ctx.files)
        total, srows = 1, 0                   # section id 0 and symbol row 0 are "none"
        for o, a, b in zip(files, nsec, nsym):
            self.base[o.file_id] = total
            o.sec_base = total
            self.sym_base[o.file_id] = srows
            total += a
            srows += b
        self.total = total
        fids = np.array([o.file_id for o in files], dtype=np.int64)
        self.owner_file = np.concatenate([[0], np.repeat(fids, nsec)]).astype(np.int64)
        self._sym_starts = np.array([self.sym_base[o.file_id] for o in files], dtype=np.int64)
        self._sym_fids = fids

        # graph members: allocated sections in play (not COMDAT-discarded, not a table the
        # link consumes, not dropped by name) -- the sections --gc-sections may remove
        # (as raw bytes: concatenating structured arrays field by field is slow)
        sh = np.concatenate([np.ascontiguousarray(o.shdrs).view(np.uint8).reshape(-1) for o in files]).view(elf.SHDR) \
            if files else np.zeros(0, elf.SHDR)
        flags = np.concatenate([[0], sh["sh_flags"].astype(np.int64)])
        types = np.concatenate([[0], sh["sh_type"].astype(np.int64)])
        disc = np.concatenate([[True]] + [o.discarded for o in files])
        names = [""]
        for o in files:
            names += o.sec_names
        self.names = names
        member = ((flags & elf.SHF_ALLOC) != 0) & ~disc & ~dropped_types(types) \
            & ((flags & elf.SHF_EXCLUDE) == 0)
        member[0] = False
        self._heads = None
        member[self.named(DROP, exact=True)] = False     # dropped by name
        self.member_np = member
        self.member = bytearray(member.astype(np.uint8).tobytes())
        self.flags = flags
        self.types = types

        self._symbol_targets(files)
        self._relocations(files)
        self.extra: dict[int, list[int]] = {}  # gsec -> sections live whenever it is
        self.group_of: dict[int, list[int]] = {}   # gsec -> its section group (one shared list)
        self.cie_edges: dict[int, list[tuple[int, int, int]]] = {}
        self.eh_sections: set[int] = set()
        self._dependents(files, sh)
        self._ehframes()

    def named(self, names, exact: bool = False) -> list[int]:
        """The section ids (ascending) whose name is one of ``names``, or with ``exact``
        False starts with one.  Only the sections whose name starts with the same two
        characters as one of ``names`` are looked at (found with one array lookup)."""
        names = tuple(names)
        every = self.names
        if any(len(nm) < 2 or not nm.isascii() for nm in names):
            idx = range(len(every))
        else:
            if self._heads is None:         # the first two bytes of each name, as one number
                raw = np.frombuffer(("\0".join(every) + "\0\0").encode("utf-8", "replace"), dtype=np.uint8)
                starts = np.concatenate([[0], np.flatnonzero(raw == 0)[:len(every) - 1] + 1])
                self._heads = (raw[starts].astype(np.int32) << 8) | raw[starts + 1]
            want = [(ord(nm[0]) << 8) | ord(nm[1]) for nm in names]
            idx = np.flatnonzero(np.isin(self._heads, want)).tolist()
        if exact:
            wanted = set(names)
            return [i for i in idx if every[i] in wanted]
        return [i for i in idx if every[i].startswith(names)]

    # the relocation columns as Python lists, for the per-edge walk (--dumpdep, --why-live) and
    # --icf; made on first use: millions of Python ints are hundreds of MB
    @property
    def rel_target(self) -> list:
        if not hasattr(self, "_rel_target"):
            self._rel_target = self.rel_target_np.tolist()
        return self._rel_target

    @property
    def rel_offset(self) -> list:
        if not hasattr(self, "_rel_offset"):
            self._rel_offset = self.rel_offset_np.tolist()
        return self._rel_offset

    @property
    def rel_sym(self) -> list:
        if not hasattr(self, "_rel_sym"):
            self._rel_sym = self.rel_sym_np.tolist()
        return self._rel_sym

    # -- ids ---------------------------------------------------------------------------------
    def gsec(self, obj, i: int) -> int:
        return self.base[obj.file_id] + i

    def split(self, g: int):
        f = int(self.owner_file[g])
        return self.ctx.files[f], g - self.base[f]

    def symbol(self, row: int):
        """(ObjectFile, symbol index) of a symbol row."""
        k = int(np.searchsorted(self._sym_starts, row, side="right")) - 1
        obj = self.ctx.files[int(self._sym_fids[k])]
        return obj, row - self.sym_base[obj.file_id]

    def _symbol_targets(self, files) -> None:
        """Per symbol row: the section id it stands for.  A global stands for the section of
        its definition (wherever resolution put it); 0 when there is none (undefined,
        absolute, common, a removed COMDAT copy); -gid for a linker-defined __start_/__stop_."""
        st = self.ctx.symtab
        member = self.member_np
        def_file = np.array(st.def_file, dtype=np.int64)
        def_index = np.array(st.def_index, dtype=np.int64)
        base = np.array(self.base, dtype=np.int64)
        sym_base = np.array(self.sym_base, dtype=np.int64)
        # per symbol row, in 32 bits (a riscv64 link has millions of rows, mostly .L labels)
        if files:
            shndx_all = np.concatenate([o.sym_shndx for o in files]).astype(np.int32)
            gids_all = np.concatenate([o.gids for o in files]).astype(np.int32)
            nsyms = [o.nsyms for o in files]
            nsec_of_row = np.repeat(np.array([len(o.shdrs) for o in files], dtype=np.int32), nsyms)
            secbase_of_row = np.repeat(np.array([self.base[o.file_id] for o in files], dtype=np.int32), nsyms)
        else:
            shndx_all = gids_all = nsec_of_row = secbase_of_row = np.zeros(0, np.int32)
        # globals: through their definition
        gt = np.zeros(len(st), dtype=np.int64)
        has = def_file > 0
        rows = sym_base[np.where(has, def_file, 0)] + def_index
        sh = np.where(has, shndx_all[np.where(has, rows, 0)] if len(shndx_all) else 0, 0)
        nsec = np.array([0] + [len(o.shdrs) for o in self.ctx.files[1:]], dtype=np.int64)
        ok = has & (sh > 0) & (sh < elf.SHN_LORESERVE) & (sh < nsec[np.where(has, def_file, 0)])
        gs = np.where(ok, base[np.where(has, def_file, 0)] + sh, 0)
        gs = np.where(ok & (gs < self.total), gs, 0)
        gt = np.where(member[gs], gs, 0)
        gt_raw = gs.copy()
        # by_name: the sections named X of each __start_X / __stop_X the linker defines
        self.by_name: dict[str, list[int]] = {}
        wanted = set()
        for g in np.nonzero(def_file == resolve.LINKER)[0].tolist():
            name = st.names[g]
            if name.startswith("__start_") or name.startswith("__stop_"):
                x = name[8:] if name.startswith("__start_") else name[7:]
                if C_IDENT.match(x):
                    gt[g] = -g
                    wanted.add(x)
        if wanted:
            names = self.names
            for g in self.named(sorted(wanted), exact=True):
                if member[g]:
                    self.by_name.setdefault(names[g], []).append(g)
        self.gid_target = gt
        # locals: their own section
        lok = (gids_all == 0) & (shndx_all > 0) & (shndx_all < elf.SHN_LORESERVE) & (shndx_all < nsec_of_row)
        del nsec_of_row
        secbase_of_row += shndx_all
        ls = np.where(lok, secbase_of_row, 0).astype(np.int32)
        del lok, secbase_of_row
        gt = gt.astype(np.int32)
        gt_raw = gt_raw.astype(np.int32)
        # (and, for .eh_frame, the section whatever its state: an FDE of removed code goes)
        self.sym_raw_target = np.where(gids_all > 0, gt_raw[gids_all], ls)
        ls = np.where(member[ls], ls, 0)
        self.sym_target = np.where(gids_all > 0, gt[gids_all], ls)
        if len(self.sym_target):
            self.sym_target[self._sym_starts] = 0      # symbol 0 of every file
        self.gids_all = gids_all

    def _relocations(self, files) -> None:
        """One table of all relocations that patch graph members, ordered by section id:
        section s has rows rel_start[s]:rel_end[s] (``span``: the same as a dict, made when
        asked for)."""
        # every relocation table, as 64-bit words laid end to end: a file read as one block
        # (input.ObjectFile.rela_block) is one table; per table entry: its section, its rows
        icf = self.ctx.opts.icf in ("all", "safe")      # --icf compares types and addends
        tables, targets, firsts, ends, per_file = [], [], [], [], []    # per_file: (base, n, sym base, count)
        base, sym_base = self.base, self.sym_base
        for o in files:
            rd = o.relas
            if not rd:
                continue
            block = o.rela_block()
            if block is not None:
                table, target, first, end = block
                tables.append(table.view(np.uint64))
                targets.append(target)
                firsts.append(first)
                ends.append(end)
                k = len(target)
            else:
                secs = list(rd)
                tables += [(r if r.flags.c_contiguous else np.ascontiguousarray(r)).view(np.uint64) for r in rd.values()]
                targets.append(np.array(secs, dtype=np.int64))
                firsts.append(np.zeros(len(secs), dtype=np.int64))
                ends.append(np.fromiter(map(len, rd.values()), dtype=np.int64, count=len(secs)))
                k = len(secs)
            per_file.append((base[o.file_id], len(o.shdrs), sym_base[o.file_id], k, block is not None))
        self.rel_start = np.zeros(self.total, dtype=np.int64)
        self.rel_end = np.zeros(self.total, dtype=np.int64)
        if per_file:
            pf = np.array(per_file, dtype=np.int64)
            fb, fn, fsb = (np.repeat(pf[:, c], pf[:, 3]) for c in (0, 1, 2))
            target = np.concatenate(targets)
            first = np.concatenate(firsts)
            end = np.concatenate(ends)
            # each table entry's first row in the joined words: a block file's entries share
            # its table; the others have one table each
            rows_of = np.fromiter(map(len, tables), dtype=np.int64, count=len(tables)) // 3
            row0 = np.cumsum(rows_of) - rows_of
            ntab = np.where(pf[:, 4] > 0, 1, pf[:, 3])
            tab = np.repeat(np.cumsum(ntab) - ntab, pf[:, 3])          # the file's first table
            within = np.arange(len(target), dtype=np.int64) - np.repeat(np.cumsum(pf[:, 3]) - pf[:, 3], pf[:, 3])
            tab += np.where(np.repeat(pf[:, 4] > 0, pf[:, 3]), 0, within)
            first = first + row0[tab]
            end = end + row0[tab]
            ok = (target > 0) & (target < fn) & (end > first)
            src = fb + target
            ok[ok] = self.member_np[src[ok]]
            sel = np.flatnonzero(ok)
            sel = sel[np.argsort(src[sel], kind="stable")]             # in section order
            src, first, end, fsb = src[sel], first[sel], end[sel], fsb[sel]
        if not per_file or not len(src):
            self.rel_target_np = self.rel_offset_np = self.rel_sym_np = np.zeros(0, np.int64)
            self.rel_info = np.zeros(0, np.uint64)        # the dtypes of the filled table
            self.rel_addend = np.zeros(0, np.int64)
            self.span_src = np.zeros(0, np.int64)
            return
        lens = end - first
        total = int(lens.sum())
        # (rows and symbol rows in 32 bits when they fit: a RISC-V link has millions)
        small = max(int(end.max()), len(self.sym_target)) < 1 << 31
        idx = np.int32 if small else np.int64
        rows = np.repeat((first - (np.cumsum(lens) - lens)).astype(idx), lens)
        rows += np.arange(total, dtype=idx)

        def column(k, dtype, words=3):   # column k of every row, the tables joined (not the rows)
            cols = [t.view(dtype).reshape(-1, words)[:, k] for t in tables]
            return np.concatenate(cols) if len(cols) > 1 else cols[0].copy()
        sym = column(3, np.uint32, 6)                   # the symbol half of r_info
        row = sym.view(np.int32)[rows] if small else sym[rows].astype(idx)
        del sym
        row += np.repeat(fsb.astype(idx), lens)                        # (checked: below the table's length)
        self.rel_target_np = self.sym_target[row]
        self.rel_sym_np = row if small else row.astype(np.int32)
        del row
        # offsets in 32 bits when every table's fit (a section's offsets: by far, in practice)
        offs = [t.view(np.int64).reshape(-1, 3)[:, 0] for t in tables]
        narrow = all(int(np.bitwise_or.reduce(c)) >> 31 == 0 for c in offs)     # (none negative)
        off = np.concatenate(offs, dtype=np.int32 if narrow else np.int64, casting="unsafe")
        del offs
        self.rel_offset_np = off[rows]
        del off
        if icf:
            self.rel_info = column(1, np.uint64)[rows]
            self.rel_addend = column(2, np.int64)[rows]
        else:
            self.rel_info = self.rel_addend = None
        del tables, rows
        ends = np.cumsum(lens)
        self.span_src = src
        self.rel_start[src] = ends - lens
        self.rel_end[src] = ends

    @property
    def span(self) -> dict:
        """section id -> (first row, end row) of its relocations, for the sections with any
        (in section order)."""
        if not hasattr(self, "_span"):
            s = self.span_src
            self._span = dict(zip(s.tolist(), zip(self.rel_start[s].tolist(), self.rel_end[s].tolist())))
        return self._span

    def has_relocations(self, g: int) -> bool:
        return bool(self.rel_end[g] > self.rel_start[g])

    def _dependents(self, files, sh) -> None:
        """Group members keep each other; a SHF_LINK_ORDER section follows the one it names."""
        for o in files:
            b = self.base[o.file_id]
            for _sig, members, _flags in o.groups:
                ms = [b + int(m) for m in members.tolist() if 0 < m < len(o.shdrs) and self.member[b + int(m)]]
                if len(ms) > 1:
                    for m in ms:
                        self.group_of[m] = ms
        lo = np.nonzero(((self.flags & elf.SHF_LINK_ORDER) != 0) & self.member_np)[0]
        for g in lo.tolist():
            link = int(sh[g - 1]["sh_link"])
            obj, _ = self.split(g)
            if 0 < link < len(obj.shdrs):
                self.extra.setdefault(self.base[obj.file_id] + link, []).append(g)

    def edges(self, g: int):
        """(target, offset, symbol row) of each relocation of section g, in table order."""
        a, z = int(self.rel_start[g]), int(self.rel_end[g])
        if a == z:
            return ()
        return zip(self.rel_target[a:z], self.rel_offset[a:z], self.rel_sym[a:z])

    def _ehframes(self) -> None:
        """Split each .eh_frame into CIEs and FDEs: CIE relocations become edges of the
        .eh_frame section, an FDE's other relocations (its LSDA) edges of its function.  The
        records of all sections are found together, one record of each section per step (the
        few longest sections are finished one record at a time); each relocation then finds
        its record by one sorted lookup."""
        names = self.names
        eh = [g for g in np.nonzero(self.member_np)[0].tolist() if names[g] == ".eh_frame"]
        self.eh_sections.update(eh)
        todo = [g for g in eh if self.has_relocations(g)]
        if not todo:
            return
        for g in todo:
            self.cie_edges.setdefault(g, [])
        datas = []
        for g in todo:
            obj, i = self.split(g)
            datas.append(np.frombuffer(bytes(obj.section_content(i)), dtype=np.uint8))
        n = np.fromiter(map(len, datas), dtype=np.int64, count=len(datas))
        base = np.cumsum(n) - n
        buf = np.concatenate(datas + [np.zeros(8, dtype=np.uint8)])
        del datas
        starts, ends, cies, secs = _eh_records(buf, base, n)
        if len(starts) == 0:
            return
        # relocations of those sections, sorted by (section, offset, target, symbol) as the
        # record walk takes them
        t = np.array(todo, dtype=np.int64)
        a = self.rel_start[t]
        cnt = self.rel_end[t] - a
        rows = np.repeat(a - (np.cumsum(cnt) - cnt), cnt) + np.arange(int(cnt.sum()), dtype=np.int64)
        k = np.repeat(np.arange(len(todo), dtype=np.int64), cnt)
        off, tgt, sym = self.rel_offset_np[rows], self.rel_target_np[rows], self.rel_sym_np[rows].astype(np.int64)
        o = np.lexsort((sym, tgt, off, k))
        k, off, tgt, sym = k[o], off[o], tgt[o], sym[o]
        # each relocation's record: the last record of its section starting at or before it,
        # if the relocation is inside it
        ro = np.lexsort((starts, secs))
        starts, ends, cies, secs = starts[ro], ends[ro], cies[ro], secs[ro]
        shift = np.int64(40)
        j = np.searchsorted((secs << shift) + starts, (k << shift) + off, side="right") - 1
        ok = j >= 0
        jj = np.where(ok, j, 0)
        ok &= (secs[jj] == k) & (off < ends[jj])
        sel = np.flatnonzero(ok)
        k, off, tgt, sym, j = k[sel], off[sel], tgt[sel], sym[sel], jj[sel]
        cie = cies[j]
        isfunc = ~cie & (off == starts[j] + 8)
        # per FDE: its first function relocation (the lowest target, then symbol, at pos + 8)
        nrec = len(starts)
        first = np.full(nrec, -1, dtype=np.int64)
        fi = np.flatnonzero(isfunc)
        jf = j[fi]                                    # nondecreasing: the earliest of each record
        lead = np.ones(len(fi), dtype=bool)
        lead[1:] = jf[1:] != jf[:-1]
        first[jf[lead]] = fi[lead]
        fr = first[j]
        has = fr >= 0
        ft = np.where(has, tgt[np.where(has, fr, 0)], 0)
        fs = np.where(has, sym[np.where(has, fr, 0)], 0)
        other = ~cie & ~isfunc
        to_extra = other & has & (ft > 0) & (tgt != 0)
        skip = has & (ft <= 0) & (self.sym_raw_target[fs] > 0)
        to_cie = cie | (other & ~(has & (ft > 0)) & ~skip)
        # a CIE's relocations (its personality routine's DW.ref word) are live when a function
        # one of its FDEs describes is, as GNU ld marks them (_bfd_elf_gc_mark_fdes): a CIE
        # whose FDEs all describe removed code keeps nothing (and goes, link/ehframe.py);
        # one an FDE of no known function uses, or none, is an edge of the section as before
        rec_ft = np.where(first >= 0, tgt[np.maximum(first, 0)], 0)
        users = self._cie_users(buf, base, starts, cies, secs, shift, rec_ft)
        for i in np.flatnonzero(to_cie | to_extra).tolist():
            if to_cie[i]:
                u = users.get(int(j[i])) if cie[i] else None
                if u is not None:
                    for f in u:
                        self.extra.setdefault(f, []).append(int(tgt[i]))
                else:
                    self.cie_edges[todo[int(k[i])]].append((int(tgt[i]), int(off[i]), int(sym[i])))
            else:
                self.extra.setdefault(int(ft[i]), []).append(int(tgt[i]))

    @staticmethod
    def _cie_users(buf, base, starts, cies, secs, shift, rec_ft) -> dict[int, list[int]]:
        """CIE record -> the sections of the functions its FDEs describe, for the CIEs whose
        FDEs all name a function section (``rec_ft``: per record, 0 for none)."""
        fdes = np.flatnonzero(~cies)
        if not len(fdes):
            return {}
        q = base[secs[fdes]] + starts[fdes] + 4
        ident = (buf[q].astype(np.int64) | (buf[q + 1].astype(np.int64) << 8)
                 | (buf[q + 2].astype(np.int64) << 16) | (buf[q + 3].astype(np.int64) << 24))
        key = (secs << shift) + starts
        want = (secs[fdes] << shift) + starts[fdes] + 4 - ident
        c = np.minimum(np.searchsorted(key, want), len(key) - 1)
        ok = (key[c] == want) & cies[c]
        bad = set(c[~ok | (rec_ft[fdes] <= 0)].tolist()) if not ok.all() or (rec_ft[fdes] <= 0).any() else set()
        out: dict[int, list[int]] = {}
        for cc, f in zip(c[ok].tolist(), rec_ft[fdes[ok]].tolist()):
            if cc not in bad:
                out.setdefault(cc, []).append(f)
        return out


def _eh_records(buf: np.ndarray, base: np.ndarray, n: np.ndarray):
    """The records of length-prefixed .eh_frame sections laid end to end in ``buf`` (section
    k at ``base[k]``, ``n[k]`` bytes; 8 spare bytes after the last): (start, end, is CIE,
    section) of each, as the unwinder walks them (a zero length is a 4-byte terminator, the
    64-bit escape ends the walk)."""
    def u32(q):
        return (buf[q].astype(np.int64) | (buf[q + 1].astype(np.int64) << 8)
                | (buf[q + 2].astype(np.int64) << 16) | (buf[q + 3].astype(np.int64) << 24))
    out_s, out_e, out_c, out_k = [], [], [], []
    pos = np.zeros(len(n), dtype=np.int64)
    alive = np.flatnonzero(pos + 4 <= n)
    while len(alive) > 8:
        p = pos[alive]
        length = u32(base[alive] + p)
        zero = length == 0
        stop = length == 0xFFFFFFFF
        rec = ~zero & ~stop
        end = p + 4 + length
        cie = (p + 8 <= n[alive]) & (u32(base[alive] + np.minimum(p + 4, np.maximum(n[alive] - 4, 0))) == 0)
        out_s.append(p[rec])
        out_e.append(end[rec])
        out_c.append(cie[rec])
        out_k.append(alive[rec])
        pos[alive] = np.where(zero, p + 4, end)
        alive = alive[~stop & (pos[alive] + 4 <= n[alive])]
    raw = buf.tobytes() if len(alive) else b""
    unpack = struct.unpack_from
    for kk in alive.tolist():                   # the longest sections, one record at a time
        b0, nn, p = int(base[kk]), int(n[kk]), int(pos[kk])
        ss, ee, cc = [], [], []
        while p + 4 <= nn:
            length = unpack("<I", raw, b0 + p)[0]
            if length == 0:
                p += 4
                continue
            if length == 0xFFFFFFFF:
                break
            ss.append(p)
            ee.append(p + 4 + length)
            cc.append(p + 8 <= nn and unpack("<I", raw, b0 + p + 4)[0] == 0)
            p += 4 + length
        out_s.append(np.array(ss, dtype=np.int64))
        out_e.append(np.array(ee, dtype=np.int64))
        out_c.append(np.array(cc, dtype=bool))
        out_k.append(np.full(len(ss), kk, dtype=np.int64))
    if not out_s:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0, dtype=bool), z
    return (np.concatenate(out_s), np.concatenate(out_e), np.concatenate(out_c),
            np.concatenate(out_k))


class Walk:
    """The mark phase: live sections, and for each the edge that made it live."""

    def __init__(self, ctx, graph: Graph, default_entry: str | None = "_start"):
        self.ctx = ctx
        self.g = graph
        self.default_entry = default_entry     # the entry symbol without -e (-r: none)
        self.live = bytearray(graph.total)
        self.live[0] = 1                       # section id 0 is "none": never marked
        # gsec -> (parent gsec | ROOT, offset in the parent, symbol row | (kind, name) for roots)
        self.why: dict[int, tuple] = {}
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
        names = [n for n in [ctx.opts.entry or self.default_entry] if n] + list(ctx.opts.undefined)
        if _output_is_dynamic(ctx):           # DT_INIT / DT_FINI (-init, -fini; hidden ones too)
            names += [ctx.opts.init_sym, ctx.opts.fini_sym]
        names += [expr.strip() for _, expr in ctx.opts.defsym if expr.strip() in st.ids]
        if ctx.script is not None:            # -T: what its assignments refer to
            from xld.link.script_layout import assignment_refs
            names += assignment_refs(ctx)
        # what the dynamic symbol table exports: shared objects may refer to it
        names += [st.names[g] for g in ctx.exports]
        if ctx.opts.export_dynamic or ctx.opts.shared or ctx.opts.has_dynamic_list():
            from xld.link.dynamic import export_candidates
            names += [st.names[g] for g in export_candidates(ctx)]
        elif ctx.opts.gc_keep_exported:
            names += _visible_definitions(ctx)
        for name in names:
            gid = st.ids.get(name)
            if gid is not None:
                self._follow(int(g.gid_target[gid]), ROOT, -1, ("symbol", name))
        not_lo = (g.flags & elf.SHF_LINK_ORDER) == 0
        by_flag = ((g.flags & elf.SHF_GNU_RETAIN) != 0) | np.isin(g.types, list(_KEEP_TYPES))
        by_flag &= not_lo & g.member_np
        if g.eh_sections and eh_frame_kept(ctx):
            by_flag[list(g.eh_sections)] = True
        names = g.names
        keep = ctx.script_keep        # -T: sections a KEEP(...) names
        rest = g.member_np & ~by_flag
        if keep is not None:
            idx = np.flatnonzero(rest).tolist()
            by_name = [s for s in idx if (is_root_name(names[s]) and not_lo[s]) or keep(names[s])]
        else:                         # (only the names that start like a root's)
            by_name = [s for s in g.named(_KEEP_PREFIXES) if rest[s] and not_lo[s] and is_root_name(names[s])]
        for s in sorted(np.flatnonzero(by_flag).tolist() + by_name):
            self.mark(s, ROOT, -1, ("section", names[s]))

    def run_sets(self) -> None:
        """The same live set as ``run``, a whole frontier at a time with array operations
        (no record of why: for --gc-sections without --dumpdep or --why-live).  Reachability
        does not depend on the order edges are taken in."""
        self.roots()
        g = self.g
        live = np.frombuffer(self.live, dtype=np.uint8)
        member = g.member_np
        # out-edges of each section: its relocations (none for .eh_frame, whose CIE edges are
        # extra), then the extra edges (CIEs, groups, link-order dependents, LSDAs)
        nrel_start = g.rel_start
        nrel_end = g.rel_end.copy()
        for s in g.eh_sections:
            nrel_end[s] = nrel_start[s]
        xs, xt = [], []
        for s, ts in g.cie_edges.items():
            xs += [s] * len(ts)
            xt += [t for t, _, _ in ts]
        for d in (g.extra, g.group_of):
            for s, ts in d.items():
                xs += [s] * len(ts)
                xt += ts
        xs_np = np.array(xs, dtype=np.int64)
        o = np.argsort(xs_np, kind="stable")
        xt_np = np.array(xt, dtype=np.int64)[o]
        x_start = np.searchsorted(xs_np[o], np.arange(g.total), "left")
        x_end = np.searchsorted(xs_np[o], np.arange(g.total), "right")
        frontier = np.array(sorted(self.heap), dtype=np.int64)
        self.heap = []

        def targets(starts, ends, col):
            n = ends - starts
            tot = int(n.sum())
            if tot == 0:
                return np.zeros(0, dtype=np.int64)
            idx = np.repeat(starts - (np.cumsum(n) - n), n) + np.arange(tot, dtype=np.int64)
            return col[idx]
        while len(frontier):
            t = np.concatenate([targets(nrel_start[frontier], nrel_end[frontier], g.rel_target_np),
                                targets(x_start[frontier], x_end[frontier], xt_np)])
            neg = t[t < 0]
            if len(neg):                      # __start_X / __stop_X: every section named X
                for gid in sorted(set((-neg).tolist()) - self._start_stop_done):
                    self._start_stop_done.add(gid)
                    name = self.ctx.symtab.names[gid]
                    sec = name[8:] if name.startswith("__start_") else name[7:]
                    t = np.concatenate([t, np.array(g.by_name.get(sec, ()), dtype=np.int64)])
                t = t[t > 0]
            new = t[(live[t] == 0) & member[t]]
            live[new] = 1
            mark = np.zeros(g.total, dtype=bool)
            mark[new] = True
            frontier = np.flatnonzero(mark)

    def run(self) -> None:
        self.roots()
        g = self.g
        heap = self.heap
        while heap:
            s = heapq.heappop(heap)
            if s in g.eh_sections:
                for t, off, sym in g.cie_edges.get(s, ()):
                    self._follow(t, s, off, sym)
            else:
                live = self.live
                for t, off, sym in g.edges(s):
                    if t >= 0 and live[t]:
                        continue
                    self._follow(t, s, off, sym)
            # group members, SHF_LINK_ORDER dependents, the LSDAs of the FDEs describing s
            for t in g.group_of.get(s, ()):
                if not self.live[t]:
                    self._follow(t, s, -1, None)
            for t in g.extra.get(s, ()):
                self._follow(t, s, -1, None)


class SectionNames:
    """What --dumpdep and --why-live call a section: the symbol that defines it (a global that
    resolved here first, then a named local), or ``file:section`` when it has none."""

    def __init__(self, ctx, graph: Graph, default_entry: str | None = "_start"):
        self.ctx = ctx
        self.g = graph
        self.default_entry = default_entry     # the entry symbol without -e (-r: none)
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

def _long_relocation_tables(files):
    """(mapping, table) of the relocation tables of mapped files that span a whole page (the
    only ones ``pages.release`` can give back)."""
    rows = pages.PAGE // elf.RELA_SIZE
    for o in files:
        mm = pages.mapping_of(o)
        if mm is None:
            continue
        block = o.rela_block()
        if block is not None:
            table, _, first, end = block
            long = np.flatnonzero(end - first >= rows).tolist()
            for a, z in zip(first[long].tolist(), end[long].tolist()):
                yield mm, table[a:z]
        else:
            for r in o.relas.values():
                if len(r) >= rows:
                    yield mm, r


def run(ctx, default_entry: str | None = "_start") -> None:
    """The GC walk (with --gc-sections, --dumpdep or --why-live), then --icf; sets obj.live.
    ``default_entry``: the root when there is no -e (a partial link has none)."""
    opts = ctx.opts
    graph = Graph(ctx)
    # the relocations now live in the graph's tables: give their input pages back (scan
    # reads the kept sections' ones again)
    pages.release(_long_relocation_tables(ctx.files[1:]))
    walk = Walk(ctx, graph, default_entry)
    if opts.dumpdep or opts.why_live:
        walk.run()                        # edge by edge, recording why each section is live
    elif opts.gc_sections:
        walk.run_sets()
    if walk.dump is not None:
        sys.stdout.write("".join(line + "\n" for line in walk.dump))
    for pattern in opts.why_live:
        for line in why_live(ctx, walk, pattern):
            print(line, file=sys.stdout)
    if opts.gc_sections:
        live = bytearray(walk.live)
    else:
        live = bytearray(graph.member)       # without --gc-sections every member stays
        live[0] = 1
    removed = []
    unkept = _unkept_nonalloc(ctx, graph, live) if opts.gc_sections else None
    if opts.gc_sections and opts.print_gc_sections:     # (what it removed: only to say so)
        removed = _removed(ctx, graph, live, unkept)
    folds = []
    if opts.icf in ("all", "safe"):
        from xld.link import icf
        folds = icf.run(ctx, graph, live)
    elif opts.icf not in ("none", "", None):
        ctx.diag.warn(f"--icf: unknown mode '{opts.icf}' (expected all, safe or none); not folding")
    ctx.icf_folded = {graph.split(f): graph.split(k) for f, k in folds}
    if opts.print_icf_sections and folds:
        # lld's words: each kept section, then the sections folded into it
        by_kept: dict[int, list[int]] = {}
        for f, k in folds:
            by_kept.setdefault(k, []).append(f)
        lines = []
        for k in sorted(by_kept):
            lines.append(f"selected section {walk.names.section(k)}")
            lines += [f"  removing identical section {walk.names.section(f)}" for f in by_kept[k]]
        sys.stderr.write("".join(line + "\n" for line in lines))
    if opts.gc_sections:
        ctx.dead_commons = _dead_commons(ctx, graph, live, default_entry)
    if opts.gc_sections or folds:
        keep = np.frombuffer(bytes(live), dtype=np.uint8).astype(bool) | ~graph.member_np
        if unkept is not None:
            keep &= ~unkept
        for obj in ctx.files[1:]:
            b = graph.base[obj.file_id]
            obj.live = keep[b:b + len(obj.shdrs)].copy()
    if opts.stats:
        sizes = np.concatenate([[0]] + [o.shdrs["sh_size"].astype(np.int64) for o in ctx.files[1:]])
        m = graph.member_np
        lv = np.frombuffer(bytes(live), dtype=np.uint8).astype(bool) & m
        print(f"gc: {int(lv.sum())} of {int(m.sum())} allocated input sections kept, "
              f"{int(sizes[lv].sum())} of {int(sizes[m].sum())} bytes"
              + (f"; icf folded {len(folds)} ({int(sum(sizes[f] for f, _ in folds))} bytes)" if folds else ""),
              file=sys.stderr)
    if opts.print_gc_sections:
        print_removed(removed)


def eh_frame_kept(ctx) -> bool:
    """Whether .eh_frame is a root: GNU ld's default script KEEPs it; a -T script's SECTIONS
    that does not (``.eh_frame : { *(.eh_frame) }``, or no word of it) leaves it to the walk
    like any section, and as no section refers to it, GNU ld removes it (the unwind tables go,
    and so does the .comment of a file whose code is all removed)."""
    s = ctx.script
    if s is None or s.sections is None:
        return True
    return ctx.script_keep is not None and ctx.script_keep(".eh_frame")


def _unkept_nonalloc(ctx, graph: Graph, live: bytearray) -> np.ndarray:
    """The non-allocated sections --gc-sections removes, as GNU ld does (bfd/elflink.c,
    _bfd_elf_gc_mark_extra_sections): those of each file none of whose allocated sections
    but notes stays (.comment, .riscv.attributes, debug sections).  A file with an .eh_frame
    keeps its own, as GNU ld's script KEEPs .eh_frame; a section that is a root itself
    (SHF_GNU_RETAIN, named by a script's KEEP) stays.  A mask over the graph's section ids."""
    lv = np.frombuffer(bytes(live), dtype=np.uint8).astype(bool)
    kept = lv & graph.member_np & (graph.types != elf.SHT_NOTE)
    if eh_frame_kept(ctx):
        kept[graph.named([".eh_frame"], exact=True)] = True
    owner = graph.owner_file
    has_kept = np.zeros(len(ctx.files), dtype=bool)
    has_kept[owner[kept]] = True
    nonalloc = ((graph.flags & elf.SHF_ALLOC) == 0) & ~dropped_types(graph.types) \
        & ((graph.flags & elf.SHF_EXCLUDE) == 0)
    nonalloc[0] = False
    # (roots of their own stay, as GNU ld marks them before: SHF_GNU_RETAIN, a script's KEEP)
    nonalloc &= (graph.flags & elf.SHF_GNU_RETAIN) == 0
    unkept = nonalloc & ~has_kept[owner]
    if ctx.script_keep is not None:
        for s in np.flatnonzero(unkept).tolist():
            if ctx.script_keep(graph.names[s]):
                unkept[s] = False
    return unkept


def _removed(ctx, graph: Graph, live: bytearray, unkept: np.ndarray) -> list[tuple[object, int]]:
    """The (file, section index) pairs GNU ld's sweep names, in its order (files, then
    sections, in input order): the allocated sections the walk did not reach, those of the
    COMDAT copies dropped for an earlier one (nothing reached them either), the non-allocated
    sections of the files that keep none (``unkept``), and each SHT_GROUP section whose first
    member is one of those (GNU ld keeps or drops a group with its first member, and keeps a
    group of non-allocated sections of a file that keeps some: .debug_types)."""
    dead = graph.member_np & (np.frombuffer(bytes(live), dtype=np.uint8) == 0)
    # (COMDAT-dropped: in the graph but for having been dropped)
    in_play = ((graph.flags & elf.SHF_ALLOC) != 0) & ~dropped_types(graph.types) \
        & ((graph.flags & elf.SHF_EXCLUDE) == 0)
    out = []
    for obj in ctx.files[1:]:
        b = graph.base[obj.file_id]
        n = len(obj.shdrs)
        gone = dead[b:b + n] | (obj.discarded[:n] & in_play[b:b + n]) | unkept[b:b + n]
        types = obj.shdrs["sh_type"]
        gsecs = np.flatnonzero((types == elf.SHT_GROUP) & (obj.shdrs["sh_size"] >= 4))
        if len(gsecs) and len(obj.groups) == len(gsecs):   # (obj.groups: the non-empty ones, in order)
            gone = gone.copy()
            for gi, (_sig, members, _flags) in zip(gsecs.tolist(), obj.groups):
                first = [int(m) for m in members if types[m] not in (elf.SHT_RELA, elf.SHT_REL)][:1]
                gone[gi] = bool(first) and bool(gone[first[0]])    # (a group of debug sections stays)
        idx = np.flatnonzero(gone)
        grouped = np.flatnonzero(((obj.shdrs["sh_flags"] & elf.SHF_GROUP) != 0)
                                 & (types != elf.SHT_RELA) & (types != elf.SHT_REL))
        if len(grouped) and len(idx):
            # (GNU ld's reader makes the sections in index order, but as it makes the first
            # group member it makes every SHT_GROUP section not made yet: clang's objects
            # interleave groups and members, and the lines follow that order)
            k = int(grouped[0])
            late = (idx > k) & (types[idx] == elf.SHT_GROUP)
            idx = np.concatenate([idx[idx <= k], idx[late], idx[(idx > k) & ~late]])
        out += [(obj, i) for i in idx.tolist()]
    return out


def print_removed(removed) -> None:
    """--print-gc-sections, in GNU ld's words: a COMDAT group's member is named with the
    group's signature ('.text._Z3foov[_Z3foov]'); empty sections go without a word."""
    sigs: dict[int, dict[int, str]] = {}
    lines = []
    for obj, i in removed:
        if not int(obj.shdrs[i]["sh_size"]):
            continue
        of = sigs.get(id(obj))
        if of is None:
            of = sigs[id(obj)] = {int(m): sig for sig, members, _ in obj.groups for m in members}
        sig = of.get(i)
        name = obj.sec_names[i] + (f"[{sig}]" if sig is not None else "")
        lines.append(f"removing unused section '{name}' in file '{obj.name}'\n")
    sys.stderr.write("".join(lines))


def _dead_commons(ctx, graph: Graph, live: bytearray, default_entry: str | None) -> frozenset[int]:
    """The COMMON symbols --gc-sections removes, as GNU ld does: each file's commons are one
    input section of that file (its COMMON), live when a live section or a root refers to any
    of them; a dead one's commons are not in .bss nor in .symtab.  (A dynamic output keeps
    them all: what it exports is a root; so does a script's KEEP(*(COMMON)).)"""
    st = ctx.symtab
    if resolve.COMMON not in st.state or ctx.opts.shared or ctx.opts.export_dynamic \
            or ctx.opts.has_dynamic_list() or ctx.exports \
            or (ctx.script_keep is not None and ctx.script_keep("COMMON")):
        return frozenset()
    commons = [g for g in range(1, len(st)) if st.state[g] == resolve.COMMON and st.def_file[g] > 0]
    if not commons:
        return frozenset()
    lens = graph.rel_end - graph.rel_start
    src_live = np.frombuffer(bytes(live), dtype=np.uint8).astype(bool)[:len(lens)]
    rows = np.repeat(src_live, lens)
    if len(rows) != len(graph.rel_sym_np):
        return frozenset()            # (the graph's rows not as counted: remove none)
    used = set(np.unique(graph.gids_all[graph.rel_sym_np[rows]]).tolist()) if len(rows) else set()
    names = [n for n in [ctx.opts.entry or default_entry] if n]
    names += [*ctx.opts.undefined, *(e.strip() for _, e in ctx.opts.defsym)]
    if ctx.script is not None:
        from xld.link.script_layout import assignment_refs
        names += assignment_refs(ctx)
    used |= {st.ids[n] for n in names if n in st.ids}
    files = {st.def_file[g] for g in commons if g in used}
    return frozenset(g for g in commons if st.def_file[g] not in files)


# -- --why-live ----------------------------------------------------------------------------------

def _ref_name(ctx, walk, ref) -> str | None:
    if not isinstance(ref, int):
        return None
    obj, si = walk.g.symbol(ref)
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
        rname = _ref_name(ctx, walk, ref)
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


def _output_is_dynamic(ctx) -> bool:
    from xld.link.dynamic import output_kind
    return output_kind(ctx) is not None


def _visible_definitions(ctx) -> list[str]:
    """--gc-keep-exported (GNU ld): the globals an object defines with default or protected
    visibility, kept in an executable as a shared library keeps them."""
    st, files = ctx.symtab, ctx.files
    out = []
    for g in range(1, len(st)):
        f = st.def_file[g]
        if st.state[g] in (resolve.DEFINED, resolve.WEAK) and 0 < f < len(files) and \
                int(files[f].syms[st.def_index[g]]["st_other"]) & 3 in (elf.STV_DEFAULT, elf.STV_PROTECTED):
            out.append(st.names[g])
    return out
