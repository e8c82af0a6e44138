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

import numpy as np

from xld.link import elf
from xld.link.errors import LinkError

UNDEF, WEAK, COMMON, DEFINED = 0, 1, 2, 3
LINKER = -1          # def_file value of a linker-defined symbol


class SymbolTable:
    """Global symbols as parallel lists indexed by integer id (0 = none)."""

    def __init__(self):
        self.ids: dict[str, int] = {}
        self.names: list[str] = [""]
        self.state: list[int] = [UNDEF]
        self.def_file: list[int] = [0]      # file id of the definition (0 none, LINKER)
        self.def_index: list[int] = [0]     # symbol index in that file
        self.strong_ref: list[bool] = [False]
        self.common_size: list[int] = [0]
        self.common_align: list[int] = [0]
        self.linker_value: dict[int, int] = {}   # gid -> value of a linker-defined symbol

    def intern(self, name: str) -> int:
        gid = self.ids.get(name)
        if gid is None:
            gid = len(self.names)
            self.ids[name] = gid
            self.names.append(name)
            self.state.append(UNDEF)
            self.def_file.append(0)
            self.def_index.append(0)
            self.strong_ref.append(False)
            self.common_size.append(0)
            self.common_align.append(0)
        return gid

    def __len__(self) -> int:
        return len(self.names)

    def is_undefined(self, name: str) -> bool:
        gid = self.ids.get(name)
        return gid is not None and self.state[gid] == UNDEF


class Resolver:
    def __init__(self, ctx):
        self.ctx = ctx
        self.symtab: SymbolTable = ctx.symtab
        self.comdats: dict[str, int] = {}        # signature -> file id of the kept copy
        self.lazy: dict[str, tuple] = {}          # name -> (archive, member) not yet loaded
        self.pending: list[tuple] = []
        self._loading = False

    # -- objects ---------------------------------------------------------------------------
    def add_object(self, obj) -> None:
        ctx = self.ctx
        ctx.check_machine(obj)
        obj.file_id = len(ctx.files)
        ctx.files.append(obj)
        obj.discarded = np.zeros(len(obj.shdrs), dtype=bool)
        for sig, members, flags in obj.groups:
            if not flags & elf.GRP_COMDAT:
                continue
            if sig in self.comdats:
                members = members[members < len(obj.shdrs)]
                obj.discarded[members] = True
            else:
                self.comdats[sig] = obj.file_id

        st = self.symtab
        syms = obj.syms
        fg = obj.first_global
        gids = np.zeros(obj.nsyms, dtype=np.int64)
        obj.gids = gids
        names = obj.global_names()
        if "__gnu_lto_slim" in names:
            raise LinkError(f"{obj.name}: is a GCC LTO object (built with -flto); xld does not run "
                            f"link-time optimization: build without -flto, or with -ffat-lto-objects")
        binds = (syms["st_info"][fg:] >> 4).tolist()
        types = (syms["st_info"][fg:] & 0xF).tolist()
        shndx = obj.sym_shndx[fg:].tolist()
        sizes = syms["st_size"][fg:].tolist()
        values = syms["st_value"][fg:].tolist()
        discarded = obj.discarded
        for i, name in enumerate(names):
            si = fg + i
            gid = st.intern(name)
            gids[si] = gid
            sec = shndx[i]
            bind = binds[i]
            if bind == elf.STB_LOCAL:
                ctx.diag.error(f"{obj.name}: local symbol '{name}' found in the global part of the symbol table")
                continue
            if sec == elf.SHN_UNDEF or (sec < elf.SHN_LORESERVE and sec < len(discarded) and discarded[sec]):
                if bind != elf.STB_WEAK:
                    st.strong_ref[gid] = True
                    if st.state[gid] == UNDEF and name in self.lazy:
                        self.pending.append(self.lazy.pop(name))
                ctx.refs.setdefault(gid, []).append((obj.file_id, si))
                continue
            if sec == elf.SHN_COMMON or types[i] == elf.STT_COMMON and sec == elf.SHN_COMMON:
                rank = COMMON
            elif bind == elf.STB_WEAK:
                rank = WEAK
            else:
                rank = DEFINED
            cur = st.state[gid]
            if rank == DEFINED and cur == DEFINED:
                other = ctx.files[st.def_file[gid]] if st.def_file[gid] > 0 else None
                where = other.name if other is not None else "<internal>"
                ctx.diag.error(f"duplicate symbol: {name}\n>>> defined at {where}\n>>> defined at {obj.name}")
                continue
            if rank == COMMON:
                size, align = sizes[i], max(values[i], 1)
                if cur == COMMON:
                    st.common_size[gid] = max(st.common_size[gid], size)
                    st.common_align[gid] = max(st.common_align[gid], align)
                    continue
                if cur < COMMON:
                    st.common_size[gid] = size
                    st.common_align[gid] = align
            if rank > cur:
                st.state[gid] = rank
                st.def_file[gid] = obj.file_id
                st.def_index[gid] = si

    # -- archives --------------------------------------------------------------------------
    def add_archive(self, ar, whole: bool = False) -> bool:
        """Load the members that satisfy undefined symbols, remember the rest as lazy;
        True if any member was loaded."""
        before = len(self.ctx.files)
        if whole:
            for pos in ar.members:
                self._load(ar, pos, None)
            self._drain()
            return len(self.ctx.files) > before
        st = self.symtab
        for name, pos in ar.symbols:
            gid = st.ids.get(name)
            if gid is not None and st.state[gid] == UNDEF and st.strong_ref[gid]:
                self._load(ar, pos, name)
            elif (gid is None or st.state[gid] == UNDEF) and name not in self.lazy:
                self.lazy[name] = (ar, pos, name)
        self._drain()
        return len(self.ctx.files) > before

    def _load(self, ar, pos: int, why: str | None) -> None:
        if pos in ar.loaded:
            return
        ar.loaded.add(pos)
        self._load_member(ar, pos, why)

    def _drain(self) -> None:
        """Load the members that later references asked for (iteratively: chains are long)."""
        while self.pending:
            ar, pos, name = self.pending.pop(0)
            gid = self.symtab.ids.get(name)
            if gid is not None and self.symtab.state[gid] == UNDEF:
                self._load(ar, pos, name)

    def _load_member(self, ar, pos: int, why: str | None = None) -> None:
        if pos not in ar.members:
            raise LinkError(f"{ar.path}: symbol index points to an invalid member offset 0x{pos:x}")
        obj = ar.member(pos)
        obj.archive = ar
        obj.pulled_by = why
        self.ctx.loaded_members.append((ar.path, ar.members[pos][0], obj))
        self.add_object(obj)
