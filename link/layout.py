"""Layout: input sections into output sections, output sections into segments, addresses.

Output sections are ordered by a rank that groups them by permission, like lld:

    R     ELF and program headers, .note*, .rodata, .eh_frame_hdr, .eh_frame, .gcc_except_table
    R+X   .init, .text, .fini, stubs
    R+W   .tdata, .tbss, .preinit_array, .init_array, .fini_array, .data.rel.ro, .got  (RELRO)
          .data, .sdata, .sbss, .bss
    none  .comment, debug sections, attributes

Each class starts a PT_LOAD segment at an address congruent to its file offset modulo the
maximum page size, so segments never share a writable and an executable mapping.
"""
from __future__ import annotations

import bisect
import itertools
import re

import numpy as np

from xld.link import elf
from xld.link.arrays import member
from xld.link.elf import align_up

# (prefix, output name); first match wins.  A prefix ending in '.' matches the name itself too.
_RULES = [
    (".text.", ".text"), (".text", ".text"), (".gnu.linkonce.t.", ".text"),
    (".rodata.", ".rodata"), (".rodata", ".rodata"), (".gnu.linkonce.r.", ".rodata"),
    (".data.rel.ro.", ".data.rel.ro"), (".data.rel.ro", ".data.rel.ro"),
    (".data.", ".data"), (".data", ".data"), (".gnu.linkonce.d.", ".data"),
    (".bss.", ".bss"), (".bss", ".bss"), (".gnu.linkonce.b.", ".bss"),
    (".tdata.", ".tdata"), (".tdata", ".tdata"), (".gnu.linkonce.td.", ".tdata"),
    (".tbss.", ".tbss"), (".tbss", ".tbss"), (".gnu.linkonce.tb.", ".tbss"),
    (".srodata.", ".sdata"), (".srodata", ".sdata"),
    (".sdata.", ".sdata"), (".sdata", ".sdata"), (".gnu.linkonce.s.", ".sdata"),
    (".sbss.", ".sbss"), (".sbss", ".sbss"), (".gnu.linkonce.sb.", ".sbss"),
    (".init_array.", ".init_array"), (".init_array", ".init_array"),
    (".fini_array.", ".fini_array"), (".fini_array", ".fini_array"),
    (".ctors.", ".init_array"), (".ctors", ".init_array"),
    (".dtors.", ".fini_array"), (".dtors", ".fini_array"),
    (".preinit_array", ".preinit_array"),
    (".gcc_except_table.", ".gcc_except_table"), (".gcc_except_table", ".gcc_except_table"),
]

# rank of an output section by name; unknown sections are ranked by their flags
RANK = {
    ".note": 10, ".rela.iplt": 15, ".rodata": 20, ".eh_frame_hdr": 30, ".eh_frame": 31, ".gcc_except_table": 32,
    ".init": 100, ".text": 101, ".fini": 102, ".iplt": 103,
    ".tdata": 200, ".tbss": 201, ".preinit_array": 202, ".init_array": 203, ".fini_array": 204,
    ".data.rel.ro": 205, ".got": 206, ".got.plt": 299,
    ".data": 300, ".sdata": 302, ".sbss": 400, ".bss": 401,
}
# the names of output sections the default layout knows (GNU ld's default script names them);
# an allocated section of another name is an orphan, named after its inputs
DEFAULT_NAMES = frozenset(RANK) | frozenset(o for _, o in _RULES)
SEG_R, SEG_RX, SEG_RELRO, SEG_RW = 0, 1, 2, 3
SEG_RWX = 4         # -N/--omagic, -n/--nmagic: every section in one writable, executable segment

DROP = {".note.GNU-stack", ".llvm_addrsig", ".note.gnu.property"}
DROP_TYPES = {elf.SHT_NULL, elf.SHT_SYMTAB, elf.SHT_STRTAB, elf.SHT_RELA, elf.SHT_REL, elf.SHT_GROUP,
               elf.SHT_SYMTAB_SHNDX, elf.SHT_LLVM_ADDRSIG}
C_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_root_name(name: str) -> bool:
    """Whether an input section of this name is kept whatever refers to it (GNU ld's default
    script KEEPs them): .init, .fini, .jcr, .init_array*, .fini_array*, .preinit_array*,
    .ctors*, .dtors*, .note*.  --gc-sections walks from them; --icf never folds them."""
    if name in (".init", ".fini", ".jcr") or name.startswith(".note"):
        return True
    for p in (".init_array", ".fini_array", ".preinit_array", ".ctors", ".dtors"):
        if name == p or name.startswith(p + "."):
            return True
    return False


def dropped_types(types: np.ndarray) -> np.ndarray:
    """A mask of the section types (non-negative) that are in DROP_TYPES.  Not np.isin: its
    set-up is ~60 us a call, on a small link's few dozen sections."""
    drop = member(types, [t for t in DROP_TYPES if t < 256])
    for t in DROP_TYPES:
        if t >= 256:                        # (SHT_LLVM_ADDRSIG: a table that large is not)
            drop |= types == t
    return drop


_NAME_CACHE: dict[str, str] = {}


def output_name(name: str, flags: int) -> str:
    out = _NAME_CACHE.get(name)
    if out is None:
        out = _NAME_CACHE[name] = _output_name(name)
    return out


_EXACT = {p: o for p, o in _RULES if not p.endswith(".")}
_BY_HEAD: dict[str, list[tuple[str, str]]] = {}
for _p, _o in _RULES:
    if _p.endswith("."):
        _BY_HEAD.setdefault(_p[:_p.find(".", 1) + 1], []).append((_p, _o))


def _output_name(name: str) -> str:
    out = _rule_output(name)
    return name if out is _UNSEEN else out


def _rule_output(name: str):
    """The output section the rules give ``name`` (what ``_rule_of`` finds: an exact name,
    else the first prefix in order), or _UNSEEN when no rule names it."""
    out = _EXACT.get(name)
    if out is not None:
        return out
    cut = name.find(".", 1)
    if cut > 0:
        for prefix, out in _BY_HEAD.get(name[:cut + 1], ()):
            if name.startswith(prefix):
                return out
    return _UNSEEN


def rank_of(name: str, flags: int, stype: int) -> int:
    if name in RANK:
        return RANK[name]
    if name.startswith(".note"):
        return 10
    if not flags & elf.SHF_ALLOC:
        return 1000
    if flags & elf.SHF_TLS:
        return 200 if stype != elf.SHT_NOBITS else 201
    if flags & elf.SHF_EXECINSTR:
        return 110
    if flags & elf.SHF_WRITE:
        return 410 if stype == elf.SHT_NOBITS else 301    # after .data, before .sdata, as GNU ld places orphans
    return 25


def segment_of(rank: int) -> int:
    if rank < 100:
        return SEG_R
    if rank < 200:
        return SEG_RX
    if rank < 299:
        return SEG_RELRO
    return SEG_RW


class OutputSection:
    def __init__(self, name: str, stype: int, flags: int):
        self.name = name
        self.type = stype
        self.flags = flags
        self.align = 1
        self.inputs: list[tuple[object, int]] = []      # (ObjectFile, section index)
        self.addr = 0
        self.offset = 0
        self.size = 0
        self.entsize = 0
        self.rank = 0
        self.index = 0                                  # section header index in the output
        self.stand_in = None    # -T: the emitted section whose index the symbols of this one, dropped empty, take
        self.data: bytes | None = None                  # synthetic contents
        self.link = 0
        self.info = 0

    @property
    def alloc(self) -> bool:
        return bool(self.flags & elf.SHF_ALLOC)

    @property
    def nobits(self) -> bool:
        return self.type == elf.SHT_NOBITS

    def __repr__(self):
        return f"<OutputSection {self.name} {self.addr:#x}+{self.size:#x}>"


def _init_priority(name: str) -> int:
    """Sort key of .init_array.N / .ctors.N: GNU ld runs lower priorities first;
    .ctors.N sort as .init_array.(65535-N); unnumbered ones come last."""
    for p in (".init_array.", ".fini_array."):
        if name.startswith(p) and name[len(p):].isdigit():
            return int(name[len(p):])
    for p in (".ctors.", ".dtors."):
        if name.startswith(p) and name[len(p):].isdigit():
            return 65535 - int(name[len(p):])
    return 1 << 20


def _init_order(fs) -> tuple[int, str]:
    name = fs[0].sec_names[fs[1]]
    prio = _init_priority(name)
    return prio, name if prio < 1 << 20 else ""


_UNSEEN = object()
_ATTRIBUTES = object()


def _kind_output(name: str, t: int, f: int, strip_debug: bool, attr_name: str | None):
    """``assign_sections``' decision for a section of this name, type and flags: None if
    it is dropped whatever its object, _ATTRIBUTES for the architecture's attribute
    section, else the name of its output section."""
    if t in DROP_TYPES or name in DROP or f & elf.SHF_EXCLUDE or name.startswith(".gnu.lto_"):
        return None
    if t == elf.SHT_PROC_ATTRIBUTES:
        # the architecture's attribute section is merged (hook "attributes"); others
        # (AArch64 build attributes) are not kept
        return _ATTRIBUTES if name == attr_name else None
    if not f & elf.SHF_ALLOC:
        if strip_debug and (name.startswith(".debug") or name.startswith(".zdebug")):
            return None
        if name.startswith(".gnu.warning"):
            return None
    return output_name(name, f)


_KEEP_FLAGS = elf.SHF_WRITE | elf.SHF_EXECINSTR | elf.SHF_ALLOC | elf.SHF_TLS
_OUT_FLAGS_DROP = (elf.SHF_GROUP | elf.SHF_MERGE | elf.SHF_STRINGS | elf.SHF_INFO_LINK
                   | elf.SHF_LINK_ORDER | elf.SHF_GNU_RETAIN)
_ARRAY_TYPES = {".init_array": elf.SHT_INIT_ARRAY, ".fini_array": elf.SHT_FINI_ARRAY,
                ".preinit_array": elf.SHT_PREINIT_ARRAY}
_ALLOC_NAME: dict[str, str | None] = {}     # name -> output name of an allocated section, or None


_ALLOC_NAMES_MAX = 1 << 16  # names the cache holds at most (it is cleared past that)


def warm_names(obj) -> None:
    """Put the names of ``obj``'s allocated sections in the cache of output names (the warm
    server, for the library members it parses ahead: its links run in its children, whose
    cache is gone with them, so a served static hello looked up libc's 2,000 names by the
    rules every time)."""
    if len(_ALLOC_NAME) > _ALLOC_NAMES_MAX:
        _ALLOC_NAME.clear()
    flags = obj.shdrs["sh_flags"].tolist()
    for name, f in zip(obj.sec_names, flags):
        if f & elf.SHF_ALLOC and name not in _ALLOC_NAME:
            out = _rule_output(name)
            _ALLOC_NAME[name] = out if out is not _UNSEEN else _alloc_output(name)


def forget_names() -> None:
    """Empty the caches of output names (the warm server, when it drops libraries parsed
    ahead: the names are the dropped members' own strings, which would stay alive)."""
    _ALLOC_NAME.clear()
    _NAME_CACHE.clear()


def _alloc_output(name: str) -> str | None:
    """``_kind_output`` of an allocated section that no type or flag drops, by its name alone."""
    out = None if name in DROP or name.startswith(".gnu.lto_") else output_name(name, 0)
    _ALLOC_NAME[name] = out
    return out


_RULE_OUTS: list = list(dict.fromkeys(o for _, o in _RULES)) + [_UNSEEN]    # [-1]: no rule
_RULE_WORDS = 3             # the rules' names and prefixes fit in the first 24 bytes of a name


def _rule_words() -> list[tuple]:
    """The rules as _rule_of tests them, exact names first: (first word, its mask, the
    other words as (word number, word, mask), the exact length or -1, the output's index)."""
    width = 8 * _RULE_WORDS
    out = []
    rules = [r for r in _RULES if not r[0].endswith(".")] + [r for r in _RULES if r[0].endswith(".")]
    for prefix, oname in rules:
        b = prefix.encode()
        assert len(b) <= width
        want = np.frombuffer(b.ljust(width, b"\0"), dtype="<u8")
        mask = np.frombuffer((b"\xff" * len(b)).ljust(width, b"\0"), dtype="<u8")
        more = [(j, want[j], mask[j]) for j in range(1, _RULE_WORDS) if mask[j]]
        out.append((want[0], mask[0], more, -1 if prefix.endswith(".") else len(b),
                    _RULE_OUTS.index(oname)))
    return out


_RULE_TESTS = _rule_words()
_RULE_MASKS = list(dict.fromkeys(t[1] for t in _RULE_TESTS))


def _rule_of(names: list[str], rows: np.ndarray) -> np.ndarray:
    """For the names ``names[rows]``, what ``_output_name`` finds among the rules, as an index
    into _RULE_OUTS (-1: no rule names it), all at once: a name matches an exact rule or a
    prefix rule when its first 24 bytes, as three words, equal the rule's under its mask."""
    rule = np.full(len(rows), -1, dtype=np.int64)
    if len(rows) == 0:
        return rule
    raw = np.frombuffer(("\0".join(names) + "\0" * 24).encode("utf-8", "replace"), dtype=np.uint8)
    ends = (raw[:len(raw) - 23] == 0).nonzero()[0]
    starts = np.zeros(len(names), dtype=np.int64)
    starts[1:] = ends[:-1] + 1
    starts, lens = starts[rows], (ends - starts)[rows]
    short = np.minimum(lens, 8 * _RULE_WORDS)
    windows = np.lib.stride_tricks.sliding_window_view(raw, 8)

    def word(j, at):            # word j of the names ``at`` (indices into rows), zero after the name
        w = windows[starts[at] + 8 * j].view("<u8")[:, 0]
        return w & _WORD_MASKS[np.clip(short[at] - 8 * j, 0, 8)]
    w0 = word(0, slice(None))
    masked = {m: w0 & m for m in _RULE_MASKS}
    for want, mask, more, length, o in _RULE_TESTS:
        idx = (masked[mask] == want).nonzero()[0]
        if len(idx) == 0:
            continue
        if length >= 0:
            idx = idx[lens[idx] == length]
        for j, w, m in more:
            idx = idx[(word(j, idx) & m) == w]
        idx = idx[rule[idx] < 0]
        rule[idx] = o
    return rule


_CACHED = 8192              # at most this many sections: names through the cache first
_FEW_NAMES = 64             # at most this many names not in the cache: each by _rule_output
_WORD_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)


def assign_sections(ctx) -> None:
    """Decide which input sections are kept and which output section takes each.

    Whole-link columns (every file's section headers joined): what the type and flags
    decide (dropped tables, SHF_EXCLUDE, COMDAT losers, sections --gc-sections removed) is
    one NumPy pass; the names of the sections left are looked up in a cache of output names
    (a map in C), and each output section's inputs are its rows in file and index order."""
    outs: dict[str, OutputSection] = {}
    strip_debug = ctx.opts.strip_debug or ctx.opts.strip_all
    attr_spec = ctx.arch.hooks.get("attributes")
    attr_name = attr_spec["name"] if attr_spec is not None else None
    files = ctx.files[1:]
    counts = [len(obj.shdrs) for obj in files]
    total = sum(counts)
    starts = np.zeros(len(files) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    # every file's columns as views into one array each (one allocation, not one a file)
    sec_out = np.full(total, -1, dtype=np.int64)    # offset within its output section
    sec_kept = np.zeros(total, dtype=bool)
    sh = elf.join_tables([obj.shdrs for obj in files], dtype=elf.SHDR)
    types = sh["sh_type"].astype(np.int64)
    flags = sh["sh_flags"].astype(np.int64)
    del sh
    cand = ~dropped_types(types) & ((flags & elf.SHF_EXCLUDE) == 0)
    cand &= ~np.concatenate([obj.discarded for obj in files]) if files else cand
    alloc = (flags & elf.SHF_ALLOC) != 0
    lives = [getattr(obj, "live", None) for obj in files]
    if any(lv is not None for lv in lives):         # removed by --gc-sections (or folded by --icf)
        live = np.concatenate([np.ones(n, dtype=bool) if lv is None else np.asarray(lv, dtype=bool)
                               for lv, n in zip(lives, counts)])
        # (non-allocated ones too, link/gc.py _unkept_nonalloc, but the attribute sections:
        # GNU ld merges every file's attributes before --gc-sections removes its section,
        # riscv64 clang: a removed file's v1p0 is in the output's Tag_RISCV_arch)
        cand &= live | (types == elf.SHT_PROC_ATTRIBUTES)
        del live
    cand[starts[:-1][np.asarray(counts) > 0]] = False       # index 0 of each file: no section
    rows = np.flatnonzero(cand)
    del cand
    names: list[str] = []
    for obj in files:
        names += obj.sec_names
    # output names: of allocated sections by the rules (the names' first bytes, compared as
    # words), the few others by name (a cache that outlives the link); then the sections not
    # allocated (debug, notes, attributes: a few distinct names a link) through _kind_output
    if len(rows) <= _CACHED:
        # (a few thousand sections, mostly a static libc's, whose names the warm server's
        # links put in the cache: one lookup each; the rules for the names not there)
        mine = list(map(names.__getitem__, rows.tolist()))
        onames = list(map(_ALLOC_NAME.get, mine, itertools.repeat(_UNSEEN, len(mine))))
        miss = [k for k, v in enumerate(onames) if v is _UNSEEN]
        if len(miss) <= _FEW_NAMES:
            # (a small link's few: each by the rules' dictionaries, not ~100 array operations)
            for k in miss:
                name = mine[k]
                out = _rule_output(name)
                onames[k] = _ALLOC_NAME[name] = out if out is not _UNSEEN else _alloc_output(name)
        else:
            new = [mine[k] for k in miss]
            rule = _rule_of(new, np.arange(len(new))).tolist()
            for k, name, r in zip(miss, new, rule):
                onames[k] = _ALLOC_NAME[name] = _RULE_OUTS[r] if r >= 0 else _alloc_output(name)
    else:
        rule = _rule_of(names, rows)
        onames = list(map(_RULE_OUTS.__getitem__, rule.tolist()))     # (-1: the last, _UNSEEN)
        for k, r in zip(np.flatnonzero(rule < 0).tolist(), rows[rule < 0].tolist()):
            name = names[r]
            oname = _ALLOC_NAME.get(name, _UNSEEN)
            onames[k] = oname if oname is not _UNSEEN else _alloc_output(name)
    rest = np.flatnonzero(~alloc[rows] | (types[rows] == elf.SHT_PROC_ATTRIBUTES))
    if len(rest):
        by_kind: dict[tuple, object] = {}
        first_rows = None                   # (starts as a list, for the attributes' files)
        for k, r, t, f in zip(rest.tolist(), rows[rest].tolist(), types[rows[rest]].tolist(),
                              flags[rows[rest]].tolist()):
            key = (names[r], t, f)
            oname = by_kind.get(key, _UNSEEN)
            if oname is _UNSEEN:
                oname = by_kind[key] = _kind_output(names[r], t, f, strip_debug, attr_name)
            if oname is _ATTRIBUTES:
                if first_rows is None:
                    first_rows = starts.tolist()
                fi = bisect.bisect_right(first_rows, r) - 1     # (one an object: not NumPy's call)
                ctx.attributes.append((files[fi], r - first_rows[fi]))
                oname = None
            onames[k] = oname
    # output sections in order of their first input; each row's output number (-1: dropped)
    ids = dict.fromkeys(onames)
    ids.pop(None, None)
    number = {o: k for k, o in enumerate(ids)}
    number[None] = -1
    oid = np.fromiter(map(number.__getitem__, onames), dtype=np.int64, count=len(onames))
    keep = oid >= 0
    rows, oid = rows[keep], oid[keep]
    del onames, names
    sec_kept[rows] = True
    pick = np.zeros(total, dtype=np.int64)
    pick[rows] = oid + 1
    order = np.argsort(oid, kind="stable")          # rows by output, in file and index order
    bounds = oid[order].searchsorted(np.arange(len(ids) + 1)).tolist()
    rows = rows[order]
    fileof = starts.searchsorted(rows, side="right") - 1
    pairs = list(zip(map(files.__getitem__, fileof.tolist()), (rows - starts[fileof]).tolist()))
    out_list = []
    for k, oname in enumerate(ids):
        sel = rows[bounds[k]:bounds[k + 1]]
        t, f = int(types[sel[0]]), int(flags[sel[0]])
        out = OutputSection(oname, _ARRAY_TYPES.get(oname, t), f & ~_OUT_FLAGS_DROP)
        out.rank = rank_of(oname, f, t)
        if out.type == elf.SHT_NOBITS and (types[sel] != elf.SHT_NOBITS).any():
            out.type = elf.SHT_PROGBITS
        out.flags |= int(np.bitwise_or.reduce(flags[sel] & _KEEP_FLAGS))
        out.inputs = pairs[bounds[k]:bounds[k + 1]]
        outs[oname] = out
        out_list.append(out)
    table = [None] + out_list
    every = list(map(table.__getitem__, pick.tolist()))
    for obj, b, n in zip(files, starts.tolist(), counts):
        obj.sec_out = sec_out[b:b + n]
        obj.sec_kept = sec_kept[b:b + n]
        obj.sec_outsec = every[b:b + n]
    for out in outs.values():
        if out.name in (".init_array", ".fini_array"):
            # stable sort by priority, numbered sections of one priority by name, as GNU ld's
            # SORT_BY_INIT_PRIORITY (.ctors.65035 < .init_array.00500 < .init_array.500);
            # .ctors/.dtors run in reverse order within a priority
            out.inputs.sort(key=_init_order)
    ctx.outputs = outs


def output_of(name: str, inputs: list) -> OutputSection:
    """An output section named ``name`` holding ``inputs`` ((object, index) pairs), its type,
    flags and rank decided as ``assign_sections`` decides them (a -T script's orphans, which
    keep their own names: link/script_layout.py)."""
    obj, i = inputs[0]
    t, f = int(obj.shdrs[i]["sh_type"]), int(obj.shdrs[i]["sh_flags"])
    out = OutputSection(name, _ARRAY_TYPES.get(name, t), f & ~_OUT_FLAGS_DROP)
    out.rank = rank_of(name, f, t)
    for obj, i in inputs:
        out.flags |= int(obj.shdrs[i]["sh_flags"]) & _KEEP_FLAGS
        if out.type == elf.SHT_NOBITS and int(obj.shdrs[i]["sh_type"]) != elf.SHT_NOBITS:
            out.type = elf.SHT_PROGBITS
    out.inputs = list(inputs)
    return out


# GNU ld's order of COMMON symbols in .bss: each defining file's in a COMMON input section
# of its own (in file order), each of those in the order GNU ld walks its symbol hash table
# (lang_common: bucket by bucket, a bucket's later names first).  The table has 4051
# buckets and grows to the next of its primes when it is three quarters full; xld counts
# its own global names for that, which is GNU ld's count in a link without many more.
_BFD_HASH_SIZES = (4051, 8191, 16381, 32749, 65521, 131071, 262139, 524287, 1048573, 2097143, 4194301)


def _bfd_hash(name: str) -> int:
    """libbfd's bfd_hash_hash of a symbol name (64-bit)."""
    h = 0
    for c in name.encode():
        h = (h + c + (c << 17)) & 0xFFFFFFFFFFFFFFFF
        h ^= h >> 2
    n = len(name.encode())
    h = (h + n + (n << 17)) & 0xFFFFFFFFFFFFFFFF
    return h ^ (h >> 2)


def common_order(ctx, commons: list[int]) -> list[int]:
    """``commons`` (global ids) in GNU ld's order (above); --sort-common: by alignment first
    within each file, as GNU ld walks the table once per alignment: descending, 16 and over
    in one walk, then 8, 4, 2, 1; ascending, 1, 2, 4, 8, 16, then all over 16 in one walk."""
    st = ctx.symtab
    size = next((z for z in _BFD_HASH_SIZES if len(st) <= z * 3 // 4), _BFD_HASH_SIZES[-1])
    sort = ctx.opts.sort_common
    sign, top = (-1, 16) if sort == "descending" else (1, 32)

    def key(g):
        return (st.def_file[g], sign * min(st.common_align[g], top) if sort else 0,
                _bfd_hash(st.names[g]) % size, -g)
    return sorted(commons, key=key)


def common_places(ctx, pos: int) -> tuple[list[tuple[int, int]], int]:
    """Where ctx.commons go from ``pos`` on: (global id, place) each, and the end.  Each
    file's commons are one input section (GNU ld's COMMON of that file): aligned as the
    largest of them."""
    st = ctx.symtab
    out = []
    group_align: dict[int, int] = {}
    for g in ctx.commons:
        f = st.def_file[g]
        group_align[f] = max(group_align.get(f, 1), st.common_align[g])
    prev = None
    for g in ctx.commons:
        if st.def_file[g] != prev:
            prev = st.def_file[g]
            pos = align_up(pos, group_align[prev])
        pos = align_up(pos, st.common_align[g])
        out.append((g, pos))
        pos += st.common_size[g]
    return out, pos


def common_bss(ctx) -> OutputSection | None:
    st = ctx.symtab
    if 2 not in st.state:                   # (a scan in C: most links have no COMMON symbol)
        return None
    dead = ctx.dead_commons
    commons = [g for g in range(1, len(st)) if st.state[g] == 2 and g not in dead]
    if not commons:
        return None
    out = ctx.outputs.get(".bss")
    if out is None:
        out = OutputSection(".bss", elf.SHT_NOBITS, elf.SHF_ALLOC | elf.SHF_WRITE)
        out.rank = RANK[".bss"]
        ctx.outputs[".bss"] = out
    ctx.commons = common_order(ctx, commons)
    return out


def _after_text(o) -> bool:
    """Whether GNU ld's default script puts output section ``o`` after .text: the read-only
    data (xld's order puts it before the code)."""
    return 20 <= o.rank < 100


def headers_addr(ctx) -> int:
    """Where the ELF and program headers are loaded: the PT_LOAD that maps the file's start
    (below the image base when a --section-start section below it takes them into its own
    segment, as GNU ld does; elsewhere when a script's SEGMENT_START says so), else the image
    base.  __ehdr_start, __executable_start and PT_PHDR are here."""
    return next((g[1] for g in getattr(ctx, "segments", ()) if g[2] == 0), image_base(ctx))


def image_base(ctx) -> int:
    """The address of the first PT_LOAD, which holds the ELF and program headers from file
    offset 0: --image-base, else 0 for a position-independent output, else the
    architecture's default rounded up to the maximum page size, so that the segment's address
    and offset are congruent modulo its alignment."""
    maxpage = ctx.opts.max_page_size or ctx.arch.max_page_size
    base = ctx.opts.image_base
    if base is None:
        if ctx.dyn is not None and ctx.dyn.pic:
            return 0
        return align_up(ctx.arch.image_base, maxpage)
    if base % maxpage:
        from xld.link.errors import LinkError
        raise LinkError(f"--image-base: address isn't multiple of page size: {base:#x}")
    return base


def place(ctx, grown=None, avoid=(), nloads=None, after_text=False) -> None:
    """Assign addresses and file offsets to every output section; build segments.

    ``grown``: the output sections that only had new input sections appended since the last
    layout (``place`` then ``finalize_section_addresses``), by a caller that changed nothing
    else in between (the erratum 843419 patches).  Only those new inputs are sized then; the
    other output sections keep their sizes and their inputs' offsets, and every output
    section is placed again (a Python step per new input, not per input).  Without it every
    output section is sized anew (shrink's repeated layouts: their inputs changed sizes).

    ``avoid``: (first, last) max-page-size pages that a segment starting at a change of class
    skips: those of the sections fixed after it, on which the layout before found it.

    ``nloads``: the number of PT_LOADs the layout before ended with, when the file was laid
    out in address order (_by_address): the headers are sized for that many.

    ``after_text``: the read-only sections GNU ld's script puts after .text (.rodata,
    .eh_frame_hdr, .eh_frame, .gcc_except_table, read-only orphans) follow the code, as in
    GNU ld's layout: the layout before found them over a fixed code section (riscv64 -static
    -Ttext=0x11000)."""
    if ctx.script is not None and ctx.script.sections is not None \
            and ctx.script.insert is None:
        return ctx.script_place(ctx)            # -T: the script's SECTIONS decide (script_layout.place)
    arch = ctx.arch
    bss = common_bss(ctx)
    for out in ctx.synthetic_sections():
        ctx.outputs.setdefault(out.name, out)
    alloc = sorted((o for o in ctx.outputs.values() if o.alloc and (o.inputs or o.data is not None or o is bss)),
                   key=lambda o: (o.rank if not (after_text and _after_text(o)) else 199 + o.rank / 100,
                                  o.name if o.rank in (10, 25, 110, 301, 410) else ""))
    nonalloc = [o for o in ctx.outputs.values() if not o.alloc and (o.inputs or o.data is not None)]
    nonalloc.sort(key=lambda o: (0 if o.name == ".comment" else 1, o.name if not o.name.startswith(".debug") else ".debug"))
    ctx.ordered = alloc + nonalloc
    # program headers: LOAD per used class, TLS, GNU_STACK, GNU_RELRO (+ NOTE, EH_FRAME)
    magic = ctx.opts.magic                  # -N: sections packed; -n: pages apart; one RWX LOAD both
    if magic and ctx.dyn is not None:
        from xld.link.errors import LinkError
        raise LinkError(f"--{magic} with a dynamic output (-pie, -shared, shared objects) is not supported")
    classes = sorted({segment_of(o.rank) for o in alloc} | {SEG_R}) if not magic else [SEG_RWX]
    has_tls = any(o.flags & elf.SHF_TLS for o in alloc)
    size = _Sizer(ctx, secs := Sections(ctx.files), grown)
    # (the notes sized first: their alignments decide how many PT_NOTE headers there are;
    # counted before, an input note's output section had alignment 1 and made a second
    # group, so one header too many was written as PT_NULL, which GNU ld never writes)
    for o in alloc:
        if o.type == elf.SHT_NOTE:
            size(o)
    notes = len(note_groups(alloc)) + (1 if any(o.name == PROPERTY_NOTE for o in alloc) else 0)
    # PT_LOADs as the loop below makes them: one more at each change of class (not with -N,
    # -n) and at each --section-start section (which may also be a change of class)
    # (an empty section fixed by --section-start: GNU ld discards it and its address moves
    # nothing, though its symbols are there: no PT_LOAD of its own, the headers and the
    # sections after it stay where they were; arm64 -static --section-start=.empty=0x400040,
    # over the headers, was an error, '.eh_frame ... overlaps', as .eh_frame followed it)
    empty = {o.name: ctx.opts.section_start[o.name] for o in alloc
             if o.name in ctx.opts.section_start and o is not bss and _is_empty(o)}
    starts = {k: v for k, v in ctx.opts.section_start.items() if k not in empty} if empty \
        else ctx.opts.section_start
    loads, cur = 1, SEG_R
    for o in alloc:
        if o.name in empty:
            continue
        cls = segment_of(o.rank)
        loads += o.name in starts or (cls != cur and not magic)
        cur = cls
    nphdr = loads + (1 if has_tls else 0) + (1 if ctx.opts.gnu_stack else 0) + notes \
        + (1 if SEG_RELRO in classes and ctx.opts.relro else 0) + (1 if ".eh_frame_hdr" in ctx.outputs and ctx.outputs[".eh_frame_hdr"].alloc else 0) \
        + (1 if ctx.attributes else 0) \
        + (ctx.dyn.extra_phdrs if ctx.dyn is not None else 0)
    maxpage = ctx.opts.max_page_size or arch.max_page_size
    base = image_base(ctx)
    # the first section in the file at a --section-start address below all others and below
    # the end of the headers at the image base: the headers load with it, in its PT_LOAD, at
    # the page boundary below it, as GNU ld puts them (--section-start=.interp=0x1000: at 0)
    lead = bool(alloc) and not magic and alloc[0].name in starts \
        and starts[alloc[0].name] < base + elf.EHDR_SIZE + nphdr * elf.PHDR_SIZE \
        and starts[alloc[0].name] == min(starts[o.name] for o in alloc if o.name in starts)
    nphdr -= lead                           # (its PT_LOAD and theirs are one)
    # a section fixed below the image base (-no-pie -Ttext=0x1000): the headers move down to
    # the lowest PT_LOAD's page (or the pages below it), in a PT_LOAD of their own, as GNU ld
    # loads them in its lowest segment (_headers_below)
    # (or fixed over the headers at the image base, riscv64 -no-pie -Ttext=0x10000: GNU ld
    # loads them on the page below)
    below = bool(alloc) and not magic and not lead \
        and any(starts[o.name] < base + elf.EHDR_SIZE + nphdr * elf.PHDR_SIZE
                for o in alloc if o.name in starts)
    nphdr += below
    counted = loads - lead + below          # (the PT_LOADs the headers are sized for)
    if nloads is not None:
        nphdr += nloads - counted
        counted = nloads
    ctx.nphdr = nphdr
    hdr_size = elf.EHDR_SIZE + nphdr * elf.PHDR_SIZE
    addr = base + hdr_size
    off = hdr_size
    cur_class = SEG_R
    # segments: [class, vaddr, offset, file end, memory end]
    segments = [[SEG_R if not magic else SEG_RWX, base, 0, hdr_size, base + hdr_size]]
    fixed, moved = [], []                   # the segments of fixed sections, of a new class
    rel = getattr(ctx, "rel", None)
    if rel is not None and rel.n >= 1 << 17:
        # (a large link: the section headers just read are a few hundred bytes a file, and
        # the kernel mapped 64 KiB around each; riscv64 400x50: 12 MiB, resident to the peak)
        from xld.link import pages
        pages.release_span([(pages.mapping_of(f), f.shdrs) for f in ctx.files[1:]
                            if getattr(f, "buf", None) is not None and not f.tables_owned])
    tls = [o for o in alloc if o.flags & elf.SHF_TLS]
    for o in alloc:
        if tls and o is tls[0]:
            # the TLS template starts at the alignment of its most aligned section (PT_TLS's
            # p_align, as GNU ld does): the thread pointer's offsets are computed from its
            # start, and ld.so places the block by p_vaddr modulo p_align
            for x in tls:
                size(x)
            o.align = max(x.align for x in tls)
        elif o not in tls and o.type != elf.SHT_NOTE:
            size(o)
        if o.name in empty:
            o.addr, o.offset = empty[o.name], off
            continue
        cls = segment_of(o.rank)
        if o.name in starts:
            # a fixed address starts a segment of its own (GNU ld's --section-start)
            want = starts[o.name]
            off = off + ((want - off) % maxpage)
            addr = want
            cur_class = cls
            segments.append([cls if not magic else SEG_RWX, addr, off, off, addr])
            fixed.append(segments[-1])
        elif cls != cur_class and magic == "omagic":
            cur_class = cls                 # GNU ld's -N: no page alignment, the same segment
        elif cls != cur_class and magic == "nmagic":
            # GNU ld's -n: the next class on a page of its own, in the same segment (the file
            # padded, so that addresses and offsets keep one difference)
            new = align_up(addr, maxpage) + (addr % maxpage)
            off += new - addr
            addr = new
            cur_class = cls
        elif cls != cur_class:
            # next segment: a new page, at the same offset within the page as the file
            addr = align_up(addr, maxpage) + (off % maxpage)
            if starts and any(g[1] // maxpage <= addr // maxpage <= (g[4] - 1) // maxpage
                              for g in segments[:-1] if g[4] > g[1]):
                # (after a section fixed below the others, the page is an earlier segment's:
                # the pages above every segment, as the data of arm64 -pie -Ttext=0x1000)
                addr = align_up(max(g[4] for g in segments), maxpage) + (off % maxpage)
            while any(a <= addr // maxpage <= b for a, b in avoid):
                # (the pages of a section fixed later, that the last layout found it on)
                addr = (next(b for a, b in avoid if a <= addr // maxpage <= b) + 1) * maxpage \
                    + (off % maxpage)
            cur_class = cls
            segments.append([cls, addr, off, off, addr])
            moved.append(segments[-1])
        seg = segments[-1]
        if o.type == elf.SHT_NOBITS and o.flags & elf.SHF_TLS:
            o.addr = align_up(addr, o.align)
            o.offset = off
            continue            # .tbss takes no address space
        delta = addr - off
        if not starts_as_given(ctx, o):
            addr = align_up(addr, o.align)
        off = addr - delta
        if seg[1] == seg[4] and seg[2] == seg[3]:   # first section of the segment
            seg[1], seg[2], seg[3], seg[4] = addr, off, off, addr
        o.addr, o.offset = addr, off
        addr += o.size
        if not o.nobits:
            off += o.size
            seg[3] = off
        seg[4] = addr
    # a new class's segment on the pages of a section fixed after it (riscv64 -pie
    # -Tdata=0x1000: .text's on .data's page, which _check_loads would refuse): the layout
    # once more, those pages skipped (every output section sized anew: ``grown``'s inputs
    # were placed by this one)
    order = {id(g): i for i, g in enumerate(segments)}
    if not avoid and not magic and any(_clash(g, f, maxpage, order, ctx.opts.execute_only) for g in moved for f in fixed
                                       if g[4] > g[1] and f[4] > f[1]):
        return place(ctx, avoid=sorted((g[1] // maxpage, (g[4] - 1) // maxpage)
                                       for g in fixed if g[4] > g[1]), after_text=after_text)
    if starts and not after_text and not magic and any(
            _after_text(o) and x.addr < o.addr + o.size and o.addr < x.addr + x.size
            for x in alloc if x.name in starts and segment_of(x.rank) == SEG_RX for o in alloc):
        return place(ctx, after_text=True)
    if lead:
        del segments[0]
        seg = segments[0]
        base = seg[1] - seg[2]              # (its offset is its address modulo max-page-size)
        if base < 0:
            from xld.link.errors import LinkError
            raise LinkError(f"section {alloc[0].name} at {alloc[0].addr:#x} leaves no room for the "
                            f"ELF and program headers ({hdr_size:#x} bytes) below it")
        seg[1], seg[2] = base, 0
    if below:
        base = _headers_below(alloc, segments, hdr_size, maxpage)
    if starts and not magic and not _loads_fit(alloc, segments, maxpage, ctx.opts.execute_only):
        # PT_LOADs that xld's order of sections puts on one page with different file bytes
        # (riscv64 -no-pie -Ttext=0x10000: .text on the page of .interp ... .eh_frame): the
        # file in address order, as GNU ld lays it out (_by_address)
        segments, off = _by_address(alloc, segments, maxpage, ctx.opts.execute_only)
        if len(segments) != counted:
            if nloads is None:              # (the headers sized anew: every address after them moves)
                return place(ctx, avoid=avoid, nloads=len(segments), after_text=after_text)
            from xld.link.errors import LinkError
            raise LinkError(f"--section-start/-Ttext/-Tdata/-Tbss: no stable layout "
                            f"({len(segments)} PT_LOADs, the headers sized for {counted})")
    ctx.segments = segments
    if starts:
        _check_overlaps(alloc, base, hdr_size)
        if not magic:                       # (-N/-n: one segment, the headers not loaded)
            _check_loads(alloc, segments, maxpage, ctx.opts.execute_only)
    ctx.tls_range = tls_range_of(alloc)
    # non-alloc sections follow
    for o in nonalloc:
        size(o)
        off = align_up(off, o.align)
        o.offset = off
        o.addr = 0
        off += o.size
    size.store()
    secs.sized = True                       # (finalize_section_addresses reads it next)
    ctx.placed = secs
    ctx.file_end = off


def _is_empty(o: OutputSection) -> bool:
    """Whether output section ``o`` holds no byte: no input of any size, no contents of the
    linker's own (its size is not known before sizing: its inputs' are)."""
    if o.data is not None:
        return (o.size if o.nobits else len(o.data)) == 0 and not o.inputs
    return all(int(obj.shdrs[i]["sh_size"]) == 0 for obj, i in o.inputs)


def starts_as_given(ctx, o) -> bool:
    """Whether output section ``o`` starts at its --section-start (-Ttext, -Tdata, -Tbss)
    address as given, though its inputs ask for more alignment, as GNU ld places it: bfd's
    ldlang.c aligns an output section's start only when it has no address, and its inputs
    are aligned within it (-Tbss=0x3f2345: .bss at 0x3f2345, its first 8-byte aligned
    variable at 0x3f2348; sh_addralign is then what the address allows, write.py).  Not the
    sections xld still aligns up: TLS ones (thread-pointer offsets are computed from an
    aligned template), the linker's own contents, notes, .eh_frame, and the sections read as
    arrays from their start (below; docs/options.md)."""
    return o.name in ctx.opts.section_start and o.data is None and bool(o.inputs) \
        and not o.flags & elf.SHF_TLS and o.name != ".eh_frame" and not read_as_array(o)


def read_as_array(o) -> bool:
    """Whether output section ``o``'s start is read as the first element of an array or of
    records (below): a start fixed below its alignment is aligned up for it."""
    if o.flags & elf.SHF_EXECINSTR:     # (.init, .fini: code, started as given, the gap filled)
        return False
    return o.type in _ARRAY_START_TYPES or is_root_name(o.name) or bool(C_IDENT.match(o.name))


# Sections whose start is read as the first element of an array (DT_INIT_ARRAY,
# __init_array_start, __start_NAME for a section named as a C identifier, .ctors' list) or of
# records (notes): they are aligned up even when fixed below their alignment, where GNU ld
# starts them as given and the program reads a misaligned array (`--section-start=
# .init_array=0x4c0003`: GNU ld's program crashes; xld's runs, its .init_array at 0x4c0008).
_ARRAY_START_TYPES = {elf.SHT_NOTE, elf.SHT_INIT_ARRAY, elf.SHT_FINI_ARRAY, elf.SHT_PREINIT_ARRAY}


PROPERTY_NOTE = ".note.gnu.property"       # also gets PT_GNU_PROPERTY (link/properties.py)


def note_groups(alloc) -> list[list]:
    """The allocated notes, as GNU ld gives them PT_NOTE segments: one per run of adjacent
    note sections of the same alignment (a reader steps through a PT_NOTE by its p_align:
    4-byte and 8-byte notes cannot share one)."""
    groups: list[list] = []
    prev = None
    for o in alloc:
        if o.type == elf.SHT_NOTE:
            if groups and prev is groups[-1][-1] and o.align == prev.align:
                groups[-1].append(o)
            else:
                groups.append([o])
        prev = o
    return groups


MMAP_MIN_ADDR = 0x10000     # Linux's default vm.mmap_min_addr: no PT_LOAD may be mapped below it


def _headers_below(alloc, segments, hdr_size: int, maxpage: int) -> int:
    """The ELF and program headers of a layout with a section fixed below the image base (or
    over the headers there) move to a PT_LOAD of their own (file offset 0) where GNU ld loads
    them with its lowest segment: at the start of the lowest section's page when there is room
    before the section, else at the page(s) below (never below Linux's mmap_min_addr when GNU
    ld's place is above it).  When xld's order maps
    that page from other file bytes, place() lays the file out by address (_by_address).  The
    sections that followed the headers keep their PT_LOAD.  Returns where the headers are; no
    room at all (-Ttext=0x100) is an error, as with GNU ld."""
    head = segments[0]
    low = min((s for s in segments[1:] if s[4] > s[1]), key=lambda s: s[1])
    page = low[1] // maxpage * maxpage
    # GNU ld's place: on the lowest section's page when they fit below it, else the page(s)
    # below; on its page, only if it maps the same file bytes there
    gnu = page if low[1] - page >= hdr_size else page - align_up(hdr_size, maxpage)
    # (not below Linux's lowest mappable address when GNU ld's place is above it: the kernel
    # refuses to map a PT_LOAD there, so the program would not start, though qemu-user runs it;
    # arm64 -static -Tbss=0x11000 -z max-page-size=65536 put them at 0, GNU ld at 0x10000)
    floor = MMAP_MIN_ADDR if gnu >= MMAP_MIN_ADDR else 0
    addr = next((a for a in (gnu, page - align_up(hdr_size, maxpage), low[1] - low[2])
                 if a >= floor and (a < page or a == low[1] - low[2])), -1)
    if addr < 0 and gnu >= floor:
        # (on the lowest section's page, which xld's order maps from other file bytes: arm64
        # -static -Ttext=0x11000, whose .text follows the read-only data in the file; place()
        # lays the file out in address order then, _by_address, as GNU ld's is)
        addr = gnu
    if addr < 0:
        from xld.link.errors import LinkError
        o = min((o for o in alloc if low[1] <= o.addr < low[4]), key=lambda o: o.addr)
        why = f" and above {floor:#x} (Linux's mmap_min_addr)" if floor else ""
        raise LinkError(f"section {o.name} at {o.addr:#x} leaves no room for the ELF and program "
                        f"headers ({hdr_size:#x} bytes) below it{why}")
    if head[4] == head[1] + hdr_size:
        del segments[0]                     # (no section followed them)
    else:
        head[1], head[2] = head[1] + hdr_size, hdr_size
    segments.insert(0, [SEG_R, addr, 0, hdr_size, addr + hdr_size])
    return addr


def _loads_fit(alloc, segments, maxpage: int, xonly: bool) -> bool:
    """Whether _check_loads takes these PT_LOADs."""
    from xld.link.errors import LinkError
    try:
        _check_loads(alloc, segments, maxpage, xonly)
    except LinkError:
        return False
    return True


# the class of one PT_LOAD holding sections of two classes on a shared page (never W+X)
_MERGED = {frozenset((SEG_R, SEG_RX)): SEG_RX, frozenset((SEG_R, SEG_RW)): SEG_RW}


def _merged_class(classes: set, xonly: bool):
    """The class of a PT_LOAD holding segments of these classes, or None (W+X, RELRO with
    another, read-only data executable-only)."""
    if len(classes) == 1:
        return next(iter(classes))
    cls = _MERGED.get(frozenset(classes))
    return None if xonly and cls == SEG_RX else cls


def _by_address(alloc, segments, maxpage: int, xonly: bool) -> tuple[list, int]:
    """The file laid out in address order, as GNU ld does, for a fixed-address layout whose
    PT_LOADs share pages with different file bytes in xld's order (a section fixed over the
    headers or the read-only sections, riscv64 -no-pie -Ttext=0x10000).  The addresses stay;
    the segments, taken by address, join one PT_LOAD where they share a page (R with R+X is
    R+X, R with RW is RW; other mixes, W+X among them, and a segment whose zero-filled tail
    is on the page of the next stay apart, for _check_loads to refuse), and each PT_LOAD's
    file offset follows the one below it.  The headers' PT_LOAD keeps file offset 0.  Returns
    the PT_LOADs and the end of their file bytes."""
    segs = sorted(segments, key=lambda g: (g[1], g[2]))
    groups: list[list] = []
    for g in segs:
        last = groups[-1] if groups else None
        if last is not None and g[4] > g[1] and g[1] // maxpage <= (max(m[4] for m in last) - 1) // maxpage:
            top = max(last, key=lambda m: m[4])
            if _merged_class({m[0] for m in last} | {g[0]}, xonly) is not None \
                    and top[4] - top[1] == top[3] - top[2] and g[2]:
                last.append(g)
                continue
        groups.append([g])
    out, delta_of, off = [], {}, 0
    for members in groups:
        lo = members[0][1]
        start = off + ((lo - off) % maxpage) if members[0][2] else 0    # (the headers' at 0)
        delta = lo - start
        cls = _merged_class({m[0] for m in members}, xonly)
        fend = max(m[1] - delta + m[3] - m[2] for m in members)
        out.append([cls, lo, start, fend, max(m[4] for m in members)])
        for m in members:
            delta_of[id(m)] = delta
        off = max(off, fend)
    for o in alloc:
        m = next((m for m in segs if m[1] <= o.addr <= m[4] and o.addr - o.offset == m[1] - m[2]), None)
        if m is not None:
            o.offset = o.addr - delta_of[id(m)]
    return out, off


def _check_overlaps(alloc, base: int, hdr_size: int) -> None:
    """Sections placed by --section-start must not share addresses with others or with the
    headers at the image base (lld's check and words)."""
    from xld.link.errors import LinkError
    spans = sorted([(o.addr, o.addr + o.size, o.name) for o in alloc
                    if o.size and not (o.nobits and o.flags & elf.SHF_TLS)]
                   + [(base, base + hdr_size, "the ELF and program headers")])
    errors = []
    for (a0, a1, an), (b0, b1, bn) in zip(spans, spans[1:]):
        if b0 < a1:
            what = an if an.startswith("the ") else f"section {an}"
            errors.append(f"{what} virtual address range overlaps with {bn}\n"
                          f">>> {an} range is [{a0:#x}, {a1 - 1:#x}]\n"
                          f">>> {bn} range is [{b0:#x}, {b1 - 1:#x}]")
    if errors:
        raise LinkError("\n".join(errors))


def _check_loads(alloc, segments, maxpage: int, xonly: bool = False) -> None:
    """After --section-start: the PT_LOAD of the headers (file offset 0) must be the lowest,
    as the kernel, qemu-user and ld.so find the program headers through it (one below it:
    ld.so reads no PT_INTERP, PT_DYNAMIC or PT_TLS); and no two PT_LOADs may share a page
    of max-page-size unless they map it alike (_may_share_page), as the later mapping
    replaces the earlier one's bytes and permissions there.  Both are errors, not outputs that
    run wrong (place() first lays such a file out in address order, as GNU ld does, where the
    PT_LOADs sharing a page can join: _by_address; docs/options.md)."""
    from xld.link.errors import LinkError
    segs = sorted((s for s in segments if s[4] > s[1] or s[2] == 0), key=lambda s: s[1])

    def first_in(s):
        return min((o for o in alloc if s[1] <= o.addr < s[4] and o.size), key=lambda o: o.addr,
                   default=None)
    head = next(s for s in segments if s[2] == 0)
    if segs[0] is not head:
        o = first_in(segs[0])
        what = f"section {o.name}" if o is not None else "a segment"
        raise LinkError(f"{what} at {segs[0][1]:#x} is below the ELF and program headers at "
                        f"{head[1]:#x}: the headers must be in the lowest PT_LOAD "
                        f"(--section-start/-Ttext/-Tdata/-Tbss below the image base)")
    order = {id(s): i for i, s in enumerate(segments)}          # (the order they are mapped in)
    for a, b in zip(segs, segs[1:]):
        if b[1] // maxpage <= (a[4] - 1) // maxpage and not _may_share_page(a, b, order, xonly):
            x, y = first_in(a), first_in(b)
            xn = f"section {x.name}" if x is not None else "the ELF and program headers"
            yn = f"section {y.name}" if y is not None else "the ELF and program headers"
            raise LinkError(f"the PT_LOAD of {xn} [{a[1]:#x}, {a[4]:#x}) and the PT_LOAD of {yn} "
                            f"[{b[1]:#x}, {b[4]:#x}) share a page of max-page-size {maxpage:#x} "
                            f"(--section-start/-Ttext/-Tdata/-Tbss too near another segment)")


# what each segment class may do with its pages: read 1, write 2, execute 4
_PERMS = {SEG_R: 1, SEG_RX: 5, SEG_RELRO: 3, SEG_RW: 3, SEG_RWX: 7}


def _may_share_page(a, b, order, xonly: bool = False) -> bool:
    """Whether two PT_LOADs, ``a`` below ``b``, may share a page: when they map the same file
    bytes there (the same address less offset), ``a`` has no zero-filled tail (the kernel's
    clearing of it would clear ``b``'s bytes, or ``b``'s mapping would undo it), and the one
    mapped later, whose permissions the page keeps, allows all the other's (headers and
    .interp read-only before code: the page is also executable, as GNU ld's -Ttext=0x1000
    PIE has it).  A PT_LOAD of no file bytes (.bss alone) shares no page: the kernel's
    loader, and qemu-user's, map anonymous zero pages from the page its start is on, over
    the other's bytes there (arm64 -pie --section-start=.tdata=0x3f1000 -Tbss=0x3f2345:
    .got.plt read 0, the program jumped to the load base; review R1, eighteenth session)."""
    if a[1] - a[2] != b[1] - b[2] or a[4] - a[1] != a[3] - a[2] or b[3] == b[2]:
        return False
    first, last = (a, b) if order[id(a)] < order[id(b)] else (b, a)
    perms = {**_PERMS, SEG_RX: 4} if xonly else _PERMS       # (--execute-only: code not readable)
    return perms[first[0]] & ~perms[last[0]] == 0


def _clash(a, b, maxpage: int, order, xonly: bool = False) -> bool:
    """Whether PT_LOADs ``a`` and ``b`` are on one page of max-page-size that they may not
    share (_may_share_page)."""
    lo, hi = (a, b) if a[1] <= b[1] else (b, a)
    return hi[1] // maxpage <= (lo[4] - 1) // maxpage and not _may_share_page(lo, hi, order, xonly)


def tls_range_of(alloc):
    tls = [o for o in alloc if o.flags & elf.SHF_TLS]
    if not tls:
        return None
    start = tls[0].addr
    end = max(o.addr + o.size for o in tls)
    align = max(o.align for o in tls)
    filesz = sum(o.size for o in tls if not o.nobits)
    return start, end, align, tls[0].offset, filesz


class Sections:
    """Every file's section headers in one table (rows: file's base + section index), so a
    pass over an output section's inputs reads plain lists, not one header at a time."""

    def __init__(self, files):
        tables = [f.shdrs for f in files[1:]]
        self.tables = tables                # (what it was read from: ``current``)
        self.rows_of: dict[int, np.ndarray] = {}    # id of an output section -> its inputs' rows
        self.sized = False                  # ``place`` sized every output section from it just now
        self.base = [0] * len(files)
        k = 0
        for f, t in zip(files[1:], tables):
            self.base[f.file_id] = k
            k += len(t)
        if not tables:
            self.align = self.size = self.entsize = self.out = self.type = self.offset = \
                np.zeros(0, np.int64)
            return
        hdr = elf.join_tables(tables)       # (one copy of all the headers, as bytes)
        self.align = hdr["sh_addralign"].astype(np.int64)
        self.size = hdr["sh_size"].astype(np.int64)
        # an entry size only describes the output (xld does not merge): a silly one is dropped
        ent = hdr["sh_entsize"].astype(np.int64)
        self.entsize = np.where((ent < 0) | (ent > 1 << 16), 0, ent)
        self.type = hdr["sh_type"].astype(np.int64)
        self.offset = hdr["sh_offset"].astype(np.int64)
        self.out = np.concatenate([f.sec_out for f in files[1:]]).astype(np.int64)

    def addresses(self, files):
        """(every input section's address, its file offset) as the last layout gave them (by
        row), or None when a file's columns are no longer the views of them it made."""
        addr, off = getattr(self, "addr", None), getattr(self, "fileoff", None)
        if addr is None or not self.current(files) or \
                not all(f.sec_addr.base is addr and f.sec_fileoff.base is off for f in files[1:]):
            return None
        return addr, off

    def current(self, files) -> bool:
        """Whether the files' section headers are still the tables this was read from (a pass
        that changes a table in place does so before layout)."""
        return len(files) - 1 == len(self.tables) and \
            all(f.shdrs is t for f, t in zip(files[1:], self.tables))

    def rows(self, inputs) -> np.ndarray:
        base = self.base
        return np.fromiter((base[obj.file_id] + i for obj, i in inputs), dtype=np.int64, count=len(inputs))

    def store(self, files) -> None:
        """Each input section's offset within its output section back into ``obj.sec_out``
        (``files``: ``ctx.files``, or a slot 0 and the files whose offsets changed)."""
        for f in files[1:]:
            b = self.base[f.file_id]
            f.sec_out[:] = self.out[b:b + len(f.sec_out)]


class _Sizer:
    """``place``'s sizing of an output section: of every input, or, given ``grown``, of the
    inputs the output sections ``grown`` gained since the last layout only (the others as
    it left them: their inputs' offsets are the files' ``sec_out``).  ``stored``: the files
    whose inputs' offsets changed, by id (None: any)."""

    def __init__(self, ctx, secs: Sections, grown):
        self.ctx, self.secs = ctx, secs
        last = getattr(ctx.placed, "rows_of", None) if grown is not None else None
        self.last = {key: len(rows) for key, rows in last.items()} if last else None
        self.grown = {id(o) for o in grown} if self.last else set()
        self.stored = {} if self.last else None

    def __call__(self, o: OutputSection) -> None:
        ctx, secs = self.ctx, self.secs
        skew = ctx.opts.section_start[o.name] if starts_as_given(ctx, o) else 0
        n = self.last.get(id(o), -1) if self.last and o.inputs else -1
        if n == len(o.inputs) or (0 < n < len(o.inputs) and id(o) in self.grown
                                  and not (o.name == ".bss" and ctx.commons)):
            secs.rows_of[id(o)] = rows = secs.rows(o.inputs)
            if n == len(o.inputs):
                return                  # as the last layout sized it
            new = rows[n:]
            o.size = _place_inputs(o, secs, new, o.size, skew)
            for obj, _ in o.inputs[n:]:
                self.stored[obj.file_id] = obj
            return
        if o.inputs:
            self.stored = None          # (sized anew: every file's offsets stored)
        _size_inputs(ctx, o, secs, skew)

    def store(self) -> None:
        files = self.ctx.files
        self.secs.store(files if self.stored is None else [files[0], *self.stored.values()])


FEW_INPUTS = 16                 # an output section's inputs sized (and copied) one by one up to this many


def _place_inputs(o: OutputSection, secs: Sections, rows: np.ndarray, pos: int, skew: int = 0) -> int:
    """Lay out ``o``'s inputs at ``rows`` from ``pos``: their offsets within ``o`` go to
    ``secs.out``, ``o.align`` is raised to theirs; returns the end of the last.  ``skew``:
    the address ``o`` starts at when it may be below its inputs' alignment (starts_as_given):
    each input is aligned as an address, not as an offset."""
    pos += skew
    # records are 4-byte aligned; a gap of zeros between inputs would read as the
    # terminator that ends the unwinder's walk
    cap = 4 if o.name == ".eh_frame" else 0
    if len(rows) <= FEW_INPUTS:
        # (a small link's output sections: element by element, where the columns' ~8
        # NumPy calls were ~20,000 instructions a section)
        col_align, col_size, out = secs.align, secs.size, secs.out
        top = o.align
        for r in rows.tolist():
            a = max(col_align.item(r), 1)
            if cap:
                a = min(a, cap)
            top = max(top, a)
            if a > 1:
                pos = (pos + a - 1) & -a
            out[r] = pos - skew
            pos += col_size.item(r)
        o.align = top
        return pos - skew
    align = np.maximum(secs.align[rows], 1)
    if cap:
        align = np.minimum(align, cap)
    o.align = max(o.align, int(align.max()))
    offs = []
    put = offs.append
    for a, size in zip(align.tolist(), secs.size[rows].tolist()):
        if a > 1:
            pos = (pos + a - 1) & -a
        put(pos - skew)
        pos += size
    secs.out[rows] = offs
    return pos - skew


def _size_inputs(ctx, o: OutputSection, secs: Sections | None = None, skew: int = 0) -> None:
    if o.data is not None and not o.inputs:
        o.size = len(o.data) if not o.nobits else o.size
        return
    own = secs is None
    if own:
        secs = Sections(ctx.files)
    pos = 0
    inputs = o.inputs
    if inputs:
        rows = secs.rows(inputs)
        if not own:
            secs.rows_of[id(o)] = rows
        pos = _place_inputs(o, secs, rows, 0, skew)
        if o.entsize == 0 and len(inputs) == 1:
            o.entsize = int(secs.entsize[rows[0]])
        if own:
            secs.store(ctx.files)
    if o.name == ".bss" and ctx.commons:
        st = ctx.symtab
        o.align = max([o.align] + [st.common_align[g] for g in ctx.commons])
        places, pos = common_places(ctx, pos + skew)
        ctx.common_off = {g: at - skew for g, at in places}
        pos -= skew
    o.size = pos


ADDRESS_LIMIT = (1 << 63) - 1    # the highest address a section may end at (finalize_section_addresses)


def finalize_section_addresses(ctx) -> tuple[Sections, dict[int, np.ndarray]]:
    """Per input section: its address and output file offset (NumPy arrays per file).
    Returns the section table it read and the rows of each output section's inputs in it
    (by id of the output section), for a caller that reads the layout just made."""
    for o in ctx.ordered:       # (addresses are int64 columns: the top half is refused, not wrapped)
        if o.alloc and o.addr + o.size > ADDRESS_LIMIT:
            from xld.link.errors import LinkError
            raise LinkError(f"section {o.name} at 0x{o.addr:x} (size 0x{o.size:x}) ends beyond "
                            f"0x{ADDRESS_LIMIT:x}: xld lays out addresses in the lower half of the "
                            f"64-bit space only")
    files = ctx.files
    secs = ctx.placed
    if secs is not None and secs.sized and secs.current(files):
        sized = secs.rows_of            # what ``place`` just read and wrote, and its rows
    else:
        secs, sized = Sections(files), {}
    secs.sized = False
    addr = np.zeros(len(secs.out), dtype=np.int64)
    fileoff = np.full(len(secs.out), -1, dtype=np.int64)
    rows_of: dict[int, np.ndarray] = {}
    for o in ctx.ordered:
        if not o.inputs:
            continue
        rows = sized.get(id(o))
        if rows is None or len(rows) != len(o.inputs):
            rows = secs.rows(o.inputs)
        rows_of[id(o)] = rows
        rel = secs.out[rows]
        addr[rows] = (o.addr + rel) if o.alloc else rel
        fileoff[rows] = o.offset + rel
    for f in files[1:]:
        b = secs.base[f.file_id]
        n = len(f.shdrs)
        f.sec_addr = addr[b:b + n]
        f.sec_fileoff = fileoff[b:b + n]
    # merged sections (link/merge.py): an emptied one is where its group's contents are
    aliases = getattr(ctx, "section_aliases", ())
    if aliases:
        base = secs.base
        dst = np.fromiter((base[obj.file_id] + i for obj, i, _, _ in aliases), dtype=np.int64, count=len(aliases))
        src = np.fromiter((base[obj.file_id] + i for _, _, obj, i in aliases), dtype=np.int64, count=len(aliases))
        order = np.sort(dst)
        is_dst = np.zeros(len(addr), dtype=bool)    # (not np.isin: NumPy 2 imports numpy.ma for it)
        is_dst[dst] = True
        if (order[1:] != order[:-1]).all() and not is_dst[src].any():
            addr[dst] = addr[src]           # (rows of the files' views: one gather each)
            fileoff[dst] = fileoff[src]
        else:                               # (an alias of an alias: in order, one at a time)
            for obj, i, cobj, ci in aliases:
                obj.sec_addr[i] = cobj.sec_addr[ci]
                obj.sec_fileoff[i] = cobj.sec_fileoff[ci]
    # (the files' sec_addr and sec_fileoff are views of these columns: what later passes write
    # there, they have)
    secs.addr = addr
    secs.fileoff = fileoff
    secs.rows_of = rows_of
    ctx.placed = secs
    return secs, rows_of


def output_section_of(ctx, g: int):
    """The output section that holds the definition of global ``g`` (an input's, or the
    linker's placed in a section), or None: absolute, common, undefined or discarded."""
    st = ctx.symtab
    if st.def_file[g] < 0:
        return ctx.linker_sec.get(g)
    if st.def_file[g] == 0:
        return None
    obj = ctx.files[st.def_file[g]]
    sh = int(obj.sym_shndx[st.def_index[g]])
    if not 0 < sh < min(elf.SHN_LORESERVE, len(obj.sec_outsec)):
        return None
    return obj.sec_outsec[sh]


def alias_type(ctx, g: int) -> int:
    """The symbol type of the linker's ``g``: an alias of an input's symbol (--defsym
    NAME=SYM, ``NAME = SYM;`` in a script) has its target's type, as GNU ld copies it (an
    IFUNC's alias is the address of its stub: a function); anything else is STT_NOTYPE."""
    st = ctx.symtab
    for a, target, addend in ctx.defsym_alias:
        if a == g and addend == 0 and st.def_file[target] > 0:
            t = int(ctx.files[st.def_file[target]].syms[st.def_index[target]]["st_info"]) & 0xF
            return elf.STT_FUNC if t == elf.STT_GNU_IFUNC else t
    return elf.STT_NOTYPE
