"""-r / --relocatable: merge objects (and the archive members they pull) into one ET_REL object.

What a partial link keeps, as GNU ld does:
- sections are concatenated per name (``.text.foo`` stays ``.text.foo``: names are not folded
  into ``.text`` as in a final link), each input at an offset aligned to its own alignment,
  so everything the assembler assumed about alignment (R_RISCV_ALIGN padding) still holds;
- COMDAT groups: the first copy of a signature wins (the resolver decides, as for a final
  link); its members stay sections of their own, in a ``.group`` section of the output;
- symbols: every local (``.L`` labels too: R_RISCV_PCREL_LO12 names its HI20 by a label)
  with its value moved by its section's offset; one section symbol per output section;
  globals resolved, undefined ones kept undefined (weak if only weak references), commons
  kept common;
- relocations rewritten against the output: offsets moved, local and global symbols
  renumbered, a section symbol replaced by its output section's with the input's offset
  added to the addend.  Nothing is relaxed (R_RISCV_RELAX/ALIGN are copied as they are);
- ``.eh_frame`` with its relocations (FDEs of discarded COMDAT copies dropped, as in a
  final link), debug sections, ``.note.GNU-stack``, the merged ``.riscv.attributes``.

A relocation in a debug section that names a local of a discarded COMDAT copy becomes
R_*_NONE (type 0 on both architectures), and so does one in ``.gcc_except_table`` (GCC's
call-site table of a COMDAT function outside its group); in another allocated section it is
an error.
"""
from __future__ import annotations

import numpy as np

from xld.link import elf, resolve
from xld.link.elf import align_up
from xld.link.errors import LinkError
from xld.link.layout import OutputSection
from xld.link.properties import STACK_NOTE
from xld.link.write import os_abi

_KEEP_FLAGS = (elf.SHF_WRITE | elf.SHF_ALLOC | elf.SHF_EXECINSTR | elf.SHF_MERGE | elf.SHF_STRINGS
               | elf.SHF_TLS | elf.SHF_GROUP | elf.SHF_EXCLUDE | elf.SHF_GNU_RETAIN | elf.SHF_LINK_ORDER
               | elf.SHF_INFO_LINK)
DROP_TYPES = {elf.SHT_NULL, elf.SHT_SYMTAB, elf.SHT_STRTAB, elf.SHT_RELA, elf.SHT_REL, elf.SHT_GROUP,
               elf.SHT_SYMTAB_SHNDX, elf.SHT_LLVM_ADDRSIG}
_PROPERTY = ".note.gnu.property"


def check_options(opts) -> None:
    """Combinations a partial link cannot honour (lld's words where lld has them)."""
    if opts.shared:
        raise LinkError("-r and -shared may not be used together")
    if opts.pie or opts.static_pie:
        raise LinkError("-r and -pie may not be used together")
    if opts.strip_all:
        raise LinkError("-r and --strip-all may not be used together")
    if opts.discard == "all":
        raise LinkError("-r and --discard-all may not be used together (relocations name the locals)")
    # -X (gcc passes it with -r on aarch64): a relocatable output keeps every local, .L labels
    # too (its relocations may name them); GNU ld drops the labels no relocation names
    if opts.icf not in ("none", "", None):
        raise LinkError("-r and --icf may not be used together")
    if opts.wrap:
        raise LinkError("-r with --wrap is not supported")
    if opts.magic:
        raise LinkError(f"-r with --{opts.magic} is not supported")
    if opts.retain_symbols_file is not None:
        raise LinkError("-r with --retain-symbols-file is not supported")
    if opts.map_file:                       # (--cref alone is: the table needs no layout)
        raise LinkError("-r with -Map (-M) is not supported")
    if opts.build_id not in (None, "none"):  # (GNU ld gives the object a note of its own)
        raise LinkError("-r with --build-id is not supported")


def reject_shared(ctx) -> None:
    if ctx.dsos:
        raise LinkError(f"{ctx.dsos[0].path}: a shared object cannot be merged into a relocatable output (-r)")


class _Group:
    def __init__(self, obj, index: int, flags: int, sig_sym: int):
        self.obj, self.index, self.flags, self.sig_sym = obj, index, flags, sig_sym
        self.members: list[OutputSection] = []
        self.out: OutputSection | None = None


def assign(ctx) -> None:
    """Input sections into output sections by name (COMDAT members each on their own)."""
    outs: dict = {}
    order: list[OutputSection] = []
    groups: list[_Group] = []
    strip_debug = ctx.opts.strip_debug
    attr_spec = ctx.arch.hooks.get("attributes")
    props: list = []
    discarded_members: list = []
    script = _script_mapping(ctx)
    force = ctx.opts.force_group_allocation     # members placed as plain sections, no groups
    orphans = ctx.opts.orphan_handling
    if orphans != "place" and script is None:
        # GNU ld's orphans here are the sections its built-in -r script does not name (.text.*,
        # .note.GNU-stack: some in every GCC object); xld has no such script to hold them to
        raise LinkError(f"-r with --orphan-handling={orphans} needs a linker script with SECTIONS (-T): "
                        f"without one xld cannot tell which sections are orphans")
    found: list[tuple] = []                 # orphans: (file id, section, object, output name)
    ranks: dict = {}                        # (file, section) -> its order key under the script
    for obj in ctx.files[1:]:
        n = len(obj.shdrs)
        obj.sec_out = np.full(n, -1, dtype=np.int64)
        obj.sec_outsec = [None] * n
        types = obj.shdrs["sh_type"].tolist()
        flags = obj.shdrs["sh_flags"].tolist()
        member_of: dict[int, _Group] = {}
        for gi in range(1, n):
            if types[gi] != elf.SHT_GROUP or obj.discarded[gi]:
                continue
            words = np.frombuffer(obj.buf, "<u4", int(obj.shdrs[gi]["sh_size"]) // 4,
                                  int(obj.shdrs[gi]["sh_offset"])).tolist()
            if not words:
                continue
            g = _Group(obj, gi, words[0], int(obj.shdrs[gi]["sh_info"]))
            if words[0] & elf.GRP_COMDAT and any(obj.discarded[m] for m in words[1:] if m < n):
                # a discarded copy (the resolver marked its members): debug information that
                # describes it is pointed at the kept copy's same-named section, as GNU ld does
                discarded_members.append((obj, [m for m in words[1:] if m < n]))
                continue
            groups.append(g)
            for m in words[1:]:
                member_of[m] = g
        for i in range(1, n):
            name = obj.sec_names[i]
            t, f = types[i], flags[i]
            if t in DROP_TYPES or obj.discarded[i] or name.startswith(".gnu.lto_"):
                continue
            if t == elf.SHT_PROC_ATTRIBUTES:
                if attr_spec is not None and name == attr_spec["name"]:
                    ctx.attributes.append((obj, i))
                continue
            if name == _PROPERTY:
                props.append((obj, i))
                continue
            if strip_debug and not f & elf.SHF_ALLOC and (name.startswith(".debug") or name.startswith(".zdebug")):
                continue
            grp = member_of.get(i)
            if script is not None and (grp is None or force):
                hit = script(name, obj)
                if hit is not None:
                    oname, rank = hit
                    if oname is None:               # /DISCARD/
                        continue
                    ranks[(obj.file_id, i)] = rank
                    name = oname
                elif orphans != "place":            # (a COMDAT group's sections stay whole: not orphans)
                    found.append((obj.file_id, i, obj, name))
                    if orphans == "discard":
                        continue
            key = (name, obj.file_id, i) if grp is not None and not force else name
            out = outs.get(key)
            if out is None:
                out = OutputSection(name, t, f & _KEEP_FLAGS & ~(elf.SHF_GROUP if force else 0))
                out.entsize = int(obj.shdrs[i]["sh_entsize"])
                out.group = None if force else grp
                outs[key] = out
                order.append(out)
                if grp is not None:
                    grp.members.append(out)
            else:
                if t != elf.SHT_NOBITS and out.type == elf.SHT_NOBITS:
                    out.type = t
                mergeable = elf.SHF_MERGE | elf.SHF_STRINGS
                if (f & mergeable) != (out.flags & mergeable) or int(obj.shdrs[i]["sh_entsize"]) != out.entsize:
                    out.flags &= ~mergeable
                    out.entsize = 0
                out.flags |= f & (elf.SHF_WRITE | elf.SHF_EXECINSTR | elf.SHF_ALLOC | elf.SHF_TLS)
            out.inputs.append((obj, i))
            obj.sec_outsec[i] = out
    if found:
        from xld.link import script_layout
        script_layout.report_orphans(ctx, found)
    if ctx.opts.execstack:                  # -z execstack: the object asks for an executable stack
        out = outs.get(STACK_NOTE)
        if out is None:
            out = outs[STACK_NOTE] = OutputSection(STACK_NOTE, elf.SHT_PROGBITS, 0)
            out.group = None
            order.append(out)
        out.flags |= elf.SHF_EXECINSTR
    # .note.gnu.property states what every input guarantees (BTI, PAC ...): kept only when all
    # objects carry the same note; otherwise the guarantee is not made (never over-claimed)
    if props and len(props) == len(ctx.files) - 1 and \
            len({bytes(o.section_bytes(i)) for o, i in props}) == 1:
        obj, i = props[0]
        out = OutputSection(_PROPERTY, elf.SHT_NOTE, int(obj.shdrs[i]["sh_flags"]) & _KEEP_FLAGS)
        out.group = None
        out.inputs.append((obj, i))
        obj.sec_outsec[i] = out
        order.append(out)
    if ranks:                               # the script's order of descriptions (stable)
        for out in order:
            out.inputs.sort(key=lambda oi: ranks.get((oi[0].file_id, oi[1]), (1 << 30, "")))
    for obj in ctx.files[1:]:
        obj.sec_kept = np.array([s is not None for s in obj.sec_outsec], dtype=bool)
    _kept_copies(ctx, groups, discarded_members)
    ctx.r_order = order
    ctx.r_groups = [] if force else groups
    ctx.outputs = {o.name: o for o in reversed(order)}     # first by name (.eh_frame pruning)


def _script_mapping(ctx):
    """-r -T SCRIPT: the output section each input section goes to under the script's
    SECTIONS (its name, None for /DISCARD/) and its order key there, or None when the script
    does not name it (it keeps its own name).  Only the mapping applies to a relocatable
    output: addresses, regions and program headers mean nothing there (GNU ld ignores them);
    symbol assignments and data would and are refused."""
    s = ctx.script
    if s is None or s.sections is None:
        return None
    from xld.link import script as sc, script_layout
    descs = []
    for cmd in s.sections:
        if isinstance(cmd, (sc.Assign, sc.Assert)) and not (isinstance(cmd, sc.Assign) and cmd.name == "."):
            raise LinkError(f"{sc.at(s, cmd.line)}: -r: symbol assignments and ASSERT in a linker script "
                            f"are not supported")
        if not isinstance(cmd, sc.OutSec):
            continue
        for c in cmd.commands:
            if isinstance(c, (sc.Data, sc.Assert)) or (isinstance(c, sc.Assign) and c.name != "."):
                raise LinkError(f"{sc.at(s, c.line)}: -r: symbol assignments, ASSERT and data in a linker "
                                f"script are not supported")
            if isinstance(c, sc.InputDesc):
                descs.append((c, cmd.name if cmd.name != "/DISCARD/" else None))

    first = script_layout.DescMatcher([d for d, _ in descs]).first

    def lookup(name, obj):
        k = first(name, obj)
        if k is None:
            return None
        d, oname = descs[k]
        return oname, (k, name if d.sort == "name" else "")
    return lookup


def place(ctx) -> None:
    """Offsets of the inputs within their output sections, and the output sizes."""
    for out in ctx.r_order:
        pos = 0
        for obj, i in out.inputs:
            a = max(int(obj.shdrs[i]["sh_addralign"]), 1)
            if out.name == ".eh_frame":
                a = min(a, 4)       # a zero gap would read as the terminator
            out.align = max(out.align, a)
            pos = align_up(pos, a)
            obj.sec_out[i] = pos
            pos += int(obj.shdrs[i]["sh_size"])
        out.size = pos


def allocate_commons(ctx) -> None:
    """-d (-dc, -dp): the commons are defined in the output's .bss, after its inputs, as GNU
    ld's -r -d defines them (a later link then sees definitions, not commons: a second
    definition of the name is a duplicate there). ctx.r_common: gid -> offset in .bss."""
    ctx.r_common = {}
    st = ctx.symtab
    commons = [g for g in range(1, len(st)) if st.state[g] == resolve.COMMON and st.def_file[g] > 0
               and g not in ctx.r_gone]
    if not ctx.opts.define_common or not commons:
        return
    if ctx.opts.sort_common:                # as a final link orders them (link/layout.py)
        commons.sort(key=lambda g: st.common_align[g], reverse=ctx.opts.sort_common == "descending")
    bss = next((o for o in ctx.r_order if o.name == ".bss" and o.group is None), None)
    if bss is None:
        bss = _synthetic(".bss", elf.SHT_NOBITS, elf.SHF_ALLOC | elf.SHF_WRITE, 1, 0)
        bss.size = 0
        ctx.r_order.append(bss)
    pos = bss.size
    for g in commons:
        a = max(int(st.common_align[g]), 1)
        bss.align = max(bss.align, a)
        pos = align_up(pos, a)
        ctx.r_common[g] = (bss, pos)
        pos += int(st.common_size[g])
    bss.size = pos


def defsym(ctx) -> None:
    """--defsym NAME=NUMBER: NAME is an absolute global of the output (it replaces an input's
    definition, as GNU ld's -r does). NAME=SYMBOL[+C] is refused: GNU ld writes it absolute
    at SYMBOL's offset in its section, which a later link does not move with the section."""
    ctx.r_abs = {}
    st = ctx.symtab
    for name, expr in ctx.opts.defsym:
        try:
            n = int(expr.strip(), 0)
        except ValueError:
            a = ctx.opts.defsym_addend.get(name, 0)
            text = expr.strip() + (f"{a:+#x}" if a else "")
            raise LinkError(f"-r with --defsym {name}={text} is not supported (only a number)") from None
        ctx.r_abs[st.intern(name)] = n


def gc_sections(ctx) -> None:
    """-r --gc-sections, as GNU ld's: the sections not reachable (link/gc.py's walk) from the
    roots -e (or the script's ENTRY) and -u / --require-defined name, from the sections a
    final link keeps whatever refers to them (.init_array, notes, SHF_GNU_RETAIN, the
    script's KEEP ...) are left out as a discarded COMDAT copy is, so are the globals they
    define, the undefined names only they referred to and the files' commons nothing kept
    refers to (ctx.r_gone).  There is no default entry: without one of those roots defined
    it is an error.  A __start_X / __stop_X stays undefined and keeps nothing."""
    ctx.r_gone = frozenset()
    for obj in ctx.files[1:]:
        obj.r_gc = None                     # per section: --gc-sections removed it
    if not ctx.opts.gc_sections:
        return
    st = ctx.symtab
    if not any(st.state[g] in (resolve.DEFINED, resolve.WEAK) and st.def_file[g] > 0
               for g in _undefined_roots(ctx)):
        raise LinkError("--gc-sections requires a defined symbol root specified by -e or -u")
    from xld.link import gc
    gc.run(ctx, default_entry=None)
    used: set[int] = set(_undefined_roots(ctx))
    gone = set(ctx.dead_commons)
    for obj in ctx.files[1:]:
        obj.r_gc = ~obj.live & ~obj.discarded
        obj.discarded = obj.discarded | obj.r_gc
        fg = obj.first_global
        for i, rel in obj.relas.items():
            if obj.live[i] and not obj.discarded[i] and len(rel):
                syms = (rel["r_info"] >> np.uint64(32)).astype(np.int64)
                used.update(obj.gids[syms[syms >= fg]].tolist())
    for g in range(1, len(st)):
        df = st.def_file[g]
        if df > 0 and st.state[g] != resolve.COMMON:
            obj = ctx.files[df]
            shn = int(obj.sym_shndx[st.def_index[g]])
            if 0 < shn < min(len(obj.discarded), elf.SHN_LORESERVE) and obj.discarded[shn]:
                gone.add(g)
        elif df <= 0 and g not in used:
            gone.add(g)
    ctx.r_gone = frozenset(gone)


def _kept_copies(ctx, groups, discarded_members) -> None:
    """obj.r_kept: discarded section index -> (object, index) of the kept copy's section of
    the same name and size in the group of the same signature."""
    kept: dict[str, dict[str, tuple]] = {}
    for g in groups:
        sig = _signature(g.obj, g.sig_sym)
        for out in g.members:
            for o, i in out.inputs:
                kept.setdefault(sig, {})[o.sec_names[i]] = (o, i)
    for obj in ctx.files[1:]:
        obj.r_kept = {}
    for obj, members in discarded_members:
        gi = next((i for i, (sig, mem, fl) in enumerate(obj.groups) if set(mem.tolist()) == set(members)), None)
        if gi is None:
            continue
        names = kept.get(obj.groups[gi][0], {})
        for m in members:
            k = names.get(obj.sec_names[m])
            if k is not None and int(k[0].shdrs[k[1]]["sh_size"]) == int(obj.shdrs[m]["sh_size"]):
                obj.r_kept[m] = k


def _signature(obj, k: int) -> str:
    if int(obj.syms["st_info"][k]) & 0xF == elf.STT_SECTION:
        return obj.sec_names[int(obj.sym_shndx[k])]
    return obj.sym_name(k)


class _Writer:
    """The output file, built section by section into one bytearray."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.sections: list[OutputSection] = []      # in header order, index = position + 1

    def add(self, sec: OutputSection) -> OutputSection:
        self.sections.append(sec)
        sec.index = len(self.sections)
        return sec


def write(ctx) -> None:
    arch = ctx.arch
    st = ctx.symtab
    w = _Writer(ctx)
    order = ctx.r_order
    # header order: groups first (as GNU ld), then each section followed by its relocations
    for g in ctx.r_groups:
        g.out = w.add(_synthetic(".group", elf.SHT_GROUP, 0, 4, 4))
    relsec: dict[int, OutputSection] = {}
    for out in order:
        w.add(out)
        if any(obj.relas.get(i) is not None and len(obj.relas[i]) for obj, i in out.inputs):
            r = _synthetic(".rela" + out.name, elf.SHT_RELA, elf.SHF_INFO_LINK, 8, elf.RELA_SIZE)
            if out.flags & elf.SHF_GROUP:
                r.flags |= elf.SHF_GROUP
            relsec[id(out)] = w.add(r)
            r.target = out
    attrs = None
    if ctx.attributes:
        spec = arch.hooks["attributes"]
        blobs = list(dict.fromkeys(bytes(o.section_bytes(i)) for o, i in ctx.attributes))
        try:
            data = spec["merge"](blobs)
        except (ValueError, IndexError) as e:
            obj, i = ctx.attributes[0]
            ctx.diag.warn(f"cannot merge {spec['name']} ({e}); keeping {obj.name}'s")
            data = blobs[0]
        attrs = w.add(_synthetic(spec["name"], elf.SHT_PROC_ATTRIBUTES, 0, 1, 0))
        attrs.data = data
        attrs.size = len(data)
    addrsig = None
    if any(_addrsig(obj) is not None for obj in ctx.files[1:]):
        addrsig = w.add(_synthetic(".llvm_addrsig", elf.SHT_LLVM_ADDRSIG, elf.SHF_EXCLUDE, 1, 0))
    symtab = w.add(_synthetic(".symtab", elf.SHT_SYMTAB, 0, 8, elf.SYM_SIZE))
    strtab = w.add(_synthetic(".strtab", elf.SHT_STRTAB, 0, 1, 0))
    shstrtab = w.add(_synthetic(".shstrtab", elf.SHT_STRTAB, 0, 1, 0))

    # -- symbols: null, a section symbol per content section, the files' locals, globals --
    strs = bytearray(b"\0")
    str_off: dict[str, int] = {}

    def name_of(s: str) -> int:
        if not s:
            return 0
        off = str_off.get(s)
        if off is None:
            off = str_off[s] = len(strs)
            strs.extend(s.encode() + b"\0")
        return off

    rows: list[tuple] = [(0, 0, 0, 0, 0, 0)]
    secsym: dict[int, int] = {}
    for out in order:
        secsym[id(out)] = len(rows)
        rows.append((0, (elf.STB_LOCAL << 4) | elf.STT_SECTION, 0, out.index, 0, 0))
    local_map: dict[int, np.ndarray] = {}          # file id -> new index of each local (-1: none)
    group_out = {(g.obj.file_id, g.index): g.out for g in ctx.r_groups}
    for obj in ctx.files[1:]:
        fg = obj.first_global
        m = np.full(fg, -1, dtype=np.int64)
        syms = obj.syms
        for k in range(1, fg):
            info = int(syms["st_info"][k])
            typ = info & 0xF
            shn = int(obj.sym_shndx[k])
            if typ == elf.STT_SECTION:
                continue                # relocations move to the output section's symbol
            value = int(syms["st_value"][k])
            if 0 < shn < elf.SHN_LORESERVE:
                out = obj.sec_outsec[shn] if shn < len(obj.sec_outsec) else None
                if out is None:
                    out = group_out.get((obj.file_id, shn))    # gas: a signature named in the group
                if out is None:
                    continue            # in a dropped section (a discarded COMDAT copy)
                value += max(int(obj.sec_out[shn]), 0)
                oshn = out.index
            else:
                oshn = shn
            m[k] = len(rows)
            rows.append((name_of(obj.sym_name(k)), info, int(syms["st_other"][k]), oshn, value,
                         int(syms["st_size"][k])))
        local_map[obj.file_id] = m
    first_global = len(rows)
    gmap: dict[int, int] = {}
    first_ref = st.first_ref
    first_ref_index = st.first_ref_index
    for g in range(1, len(st)):
        state, df = st.state[g], st.def_file[g]
        if g in ctx.r_gone:                 # --gc-sections removed it, or all that used it
            continue
        if g in ctx.r_abs:
            info, other, size = (elf.STB_GLOBAL << 4) | elf.STT_NOTYPE, 0, 0
            if df > 0:
                obj = ctx.files[df]
                k = st.def_index[g]
                info, size = int(obj.syms["st_info"][k]), int(obj.syms["st_size"][k])
                other = int(obj.syms["st_other"][k])
            shn, value = elf.SHN_ABS, ctx.r_abs[g]
        elif df > 0:
            obj = ctx.files[df]
            k = st.def_index[g]
            info = int(obj.syms["st_info"][k])
            other = int(obj.syms["st_other"][k])
            size = int(obj.syms["st_size"][k])
            value = int(obj.syms["st_value"][k])
            shn = int(obj.sym_shndx[k])
            if state == resolve.COMMON and g in ctx.r_common:      # -d
                bss, value = ctx.r_common[g]
                shn, size = bss.index, st.common_size[g]
                if info & 0xF == elf.STT_COMMON:
                    info = (info & ~0xF) | elf.STT_OBJECT
            elif state == resolve.COMMON:
                shn, value, size = elf.SHN_COMMON, st.common_align[g], st.common_size[g]
            elif 0 < shn < elf.SHN_LORESERVE:
                out = obj.sec_outsec[shn]
                if out is None:
                    raise LinkError(f"{obj.name}: symbol '{st.names[g]}' is defined in a discarded section")
                value += int(obj.sec_out[shn])
                shn = out.index
        elif first_ref[g] or g in _undefined_roots(ctx):
            shn, value, size, other = elf.SHN_UNDEF, 0, 0, 0
            typ = elf.STT_NOTYPE
            if first_ref[g]:
                robj = ctx.files[first_ref[g]]
                typ = int(robj.syms["st_info"][first_ref_index[g]]) & 0xF
                other = int(robj.syms["st_other"][first_ref_index[g]])
            bind = elf.STB_GLOBAL if st.strong_ref[g] else elf.STB_WEAK
            info = (bind << 4) | typ
        else:
            continue
        gmap[g] = len(rows)
        rows.append((name_of(st.names[g]), info, other, shn, value, size))
    symtab.data = np.array(rows, dtype=elf.SYM).tobytes()
    symtab.link = strtab.index
    symtab.info = first_global

    if addrsig is not None:
        addrsig.data = _addrsig_table(ctx, local_map, gmap, secsym)
        addrsig.link = symtab.index

    # -- group sections: flags, then member (and member relocation) section indices -----
    for g in ctx.r_groups:
        obj = g.obj
        sig = _new_symbol(obj, g.sig_sym, local_map, gmap, secsym)
        if sig is None:
            raise LinkError(f"{obj.name}: the signature symbol of group section {g.index} is not in the output")
        words = [g.flags]
        for m in g.members:
            words.append(m.index)
            r = relsec.get(id(m))
            if r is not None:
                words.append(r.index)
        g.out.data = np.array(words, dtype="<u4").tobytes()
        g.out.link = symtab.index
        g.out.info = sig

    # -- relocations ----------------------------------------------------------------------
    for out in order:
        r = relsec.get(id(out))
        if r is None:
            continue
        parts = []
        for obj, i in out.inputs:
            rel = obj.relas.get(i)
            if rel is None or not len(rel):
                continue
            parts.append(_rewrite(ctx, obj, i, out, rel, local_map[obj.file_id], gmap, secsym))
        r.data = np.concatenate(parts).tobytes()
        r.link = symtab.index
        r.info = out.index

    # -- contents -------------------------------------------------------------------------
    for out in order:
        if out.nobits:
            continue
        buf = bytearray(out.size)
        fill = arch.nop if out.flags & elf.SHF_EXECINSTR else None
        prev = 0
        for obj, i in out.inputs:
            start = int(obj.sec_out[i])
            if fill is not None and start > prev and prev % len(fill) == 0 and (start - prev) % len(fill) == 0:
                buf[prev:start] = fill * ((start - prev) // len(fill))
            data = obj.section_content(i)
            buf[start:start + len(data)] = data
            prev = start + len(data)
        out.data = bytes(buf)
    for out in order:
        # SHF_LINK_ORDER: sh_link names the section it describes, in the output
        if out.flags & elf.SHF_LINK_ORDER:
            obj, i = out.inputs[0]
            tgt = int(obj.shdrs[i]["sh_link"])
            to = obj.sec_outsec[tgt] if 0 < tgt < len(obj.sec_outsec) else None
            out.link = to.index if to is not None else 0
        if out.flags & elf.SHF_INFO_LINK:
            obj, i = out.inputs[0]
            tgt = int(obj.shdrs[i]["sh_info"])
            to = obj.sec_outsec[tgt] if 0 < tgt < len(obj.sec_outsec) else None
            out.info = to.index if to is not None else 0
    strtab.data = bytes(strs)
    names = bytearray(b"\0")
    name_off: dict[str, int] = {}
    for s in w.sections:
        if s.name not in name_off:
            name_off[s.name] = len(names)
            names.extend(s.name.encode() + b"\0")
    shstrtab.data = bytes(names)

    # -- the file ---------------------------------------------------------------------------
    off = elf.EHDR_SIZE
    for s in w.sections:
        if s.data is not None and not s.nobits:
            s.size = len(s.data)
        off = align_up(off, max(s.align, 1))
        s.offset = off
        if not s.nobits:
            off += s.size
    shoff = align_up(off, 8)
    nsec = len(w.sections) + 1
    total = shoff + nsec * elf.SHDR_SIZE
    buf = np.zeros(total, dtype=np.uint8)
    sh = np.zeros(nsec, dtype=elf.SHDR)
    start = ctx.opts.section_start          # -Ttext=, --section-start=: sh_addr, as GNU ld's -r writes
    for s in w.sections:
        if not s.nobits and s.data:
            buf[s.offset:s.offset + len(s.data)] = np.frombuffer(s.data, dtype=np.uint8)
        addr = start.get(s.name, 0) if s.flags & elf.SHF_ALLOC else 0
        sh[s.index] = (name_off[s.name], s.type, s.flags, addr, s.offset, s.size, s.link, s.info,
                       max(s.align, 1) if s.type != elf.SHT_NULL else 0, s.entsize)
    buf[shoff:shoff + sh.nbytes] = sh.view(np.uint8)
    eh = np.zeros(1, dtype=elf.EHDR)
    eh["e_ident"][0][:8] = [0x7F, ord("E"), ord("L"), ord("F"), elf.ELFCLASS64, elf.ELFDATA2LSB, 1,
                            os_abi(ctx, [s.flags for s in w.sections])]
    eh["e_type"] = elf.ET_REL
    eh["e_machine"] = arch.machine
    eh["e_version"] = 1
    eh["e_shoff"] = shoff
    eh["e_flags"] = ctx.e_flags
    eh["e_ehsize"] = elf.EHDR_SIZE
    eh["e_shentsize"] = elf.SHDR_SIZE
    eh["e_shnum"] = nsec
    eh["e_shstrndx"] = shstrtab.index
    buf[:elf.EHDR_SIZE] = eh.view(np.uint8)
    ctx.out_bytes = buf
    ctx.ordered = [s for s in w.sections]


def _addrsig(obj) -> int | None:
    """The index of the object's address-significance table (clang's .llvm_addrsig), when
    it is one lld reads: one naming the object's .symtab (GNU ld's and lld's -r leave
    sh_link 0 over indices they did not renumber: lld ignores those)."""
    for i in np.flatnonzero(obj.shdrs["sh_type"] == elf.SHT_LLVM_ADDRSIG).tolist():
        if not obj.discarded[i] and obj.symtab_index and int(obj.shdrs[i]["sh_link"]) == obj.symtab_index:
            return i
    return None


def _addrsig_table(ctx, local_map, gmap, secsym) -> bytes:
    """The output's .llvm_addrsig: the symbols whose address matters (lld --icf=safe does not
    fold their sections), renumbered.  An object without a table says nothing of its
    symbols, so all of them are listed (what lld assumes of it), its sections' too."""
    sig: set[int] = set()
    for obj in ctx.files[1:]:
        i = _addrsig(obj)
        if i is not None:
            data, p = bytes(obj.section_bytes(i)), 0
            while p < len(data):
                k, p = elf.read_uleb(data, p)
                n = _new_symbol(obj, k, local_map, gmap, secsym) if 0 < k < obj.nsyms else None
                if n is not None:
                    sig.add(n)
            continue
        m = local_map[obj.file_id]
        sig.update(m[m > 0].tolist())
        sig.update(gmap[g] for g in obj.gids[obj.first_global:].tolist() if g in gmap)
        sig.update(secsym[id(o)] for o in obj.sec_outsec if o is not None and id(o) in secsym)
    return b"".join(elf.write_uleb(n) for n in sorted(sig))


def _undefined_roots(ctx) -> set[int]:
    """The globals -u and -e name (a partial link's roots; undefined ones stay in .symtab)."""
    roots = ctx.r_roots
    if roots is None:
        names = [*ctx.opts.undefined, *[ctx.opts.entry] * bool(ctx.opts.entry)]     # -u, -e
        roots = ctx.r_roots = {ctx.symtab.ids[n] for n in names if n in ctx.symtab.ids}
    return roots


def _synthetic(name: str, stype: int, flags: int, align: int, entsize: int) -> OutputSection:
    s = OutputSection(name, stype, flags)
    s.align, s.entsize = align, entsize
    s.group = None
    return s


def _new_symbol(obj, k: int, local_map, gmap, secsym) -> int | None:
    if k >= obj.first_global:
        return gmap.get(int(obj.gids[k]))
    if int(obj.syms["st_info"][k]) & 0xF == elf.STT_SECTION:
        shn = int(obj.sym_shndx[k])
        out = obj.sec_outsec[shn] if 0 < shn < len(obj.sec_outsec) else None
        return secsym.get(id(out)) if out is not None else None
    n = int(local_map[obj.file_id][k])
    return n if n >= 0 else None


def _rewrite(ctx, obj, sec: int, out, rel: np.ndarray, lmap: np.ndarray, gmap, secsym) -> np.ndarray:
    """The relocations of input section ``sec`` against the output's sections and symbols."""
    new = rel.copy()
    base = int(obj.sec_out[sec])
    new["r_offset"] = rel["r_offset"] + np.uint64(base)
    sym = (rel["r_info"] >> np.uint64(32)).astype(np.int64)
    typ = (rel["r_info"] & np.uint64(0xFFFFFFFF)).astype(np.int64)
    addend = rel["r_addend"].astype(np.int64)
    fg = obj.first_global
    nsym = np.full(len(rel), -1, dtype=np.int64)
    # globals
    g = sym >= fg
    if g.any():
        gids = obj.gids[sym[g]]
        nsym[g] = [gmap.get(int(x), -1) for x in gids.tolist()]
    loc = ~g
    if loc.any():
        idx = np.flatnonzero(loc)
        ks = sym[idx]
        is_sec = (obj.syms["st_info"][ks] & 0xF) == elf.STT_SECTION
        # ordinary locals: renumbered
        plain = idx[~is_sec]
        nsym[plain] = lmap[sym[plain]]
        nsym[idx[ks == 0]] = 0
        # section symbols: the output section's symbol, the input's offset in the addend
        for j in idx[is_sec].tolist():
            shn = int(obj.sym_shndx[sym[j]])
            o = obj.sec_outsec[shn] if 0 < shn < len(obj.sec_outsec) else None
            if o is not None:
                nsym[j] = secsym[id(o)]
                addend[j] += int(obj.sec_out[shn])
    bad = np.flatnonzero(nsym < 0)
    if len(bad) and not out.flags & elf.SHF_ALLOC and obj.r_kept:
        # debug information of a discarded COMDAT copy: the kept copy's section instead
        for j in bad.tolist():
            k = int(sym[j])
            shn = int(obj.sym_shndx[k])
            kobj_i = obj.r_kept.get(shn)
            if kobj_i is None:
                continue
            kobj, ki = kobj_i
            nsym[j] = secsym[id(kobj.sec_outsec[ki])]
            addend[j] += int(kobj.sec_out[ki])
            if int(obj.syms["st_info"][k]) & 0xF != elf.STT_SECTION:
                addend[j] += int(obj.syms["st_value"][k])
        bad = np.flatnonzero(nsym < 0)
    if len(bad) and obj.r_gc is not None:
        # what only names what --gc-sections removed goes, as GNU ld's -r drops it
        ks = sym[bad]
        gone = np.zeros(len(bad), dtype=bool)
        glob = ks >= fg
        shn = obj.sym_shndx[ks[~glob]].astype(np.int64)
        ok = (shn > 0) & (shn < len(obj.r_gc))
        gone[~glob] = ok & obj.r_gc[np.where(ok, shn, 0)]
        gone[glob] = [int(x) in ctx.r_gone for x in obj.gids[ks[glob]].tolist()]
        if gone.any():
            keep = np.ones(len(rel), dtype=bool)
            keep[bad[gone]] = False
            new, nsym, typ, addend = new[keep], nsym[keep], typ[keep], addend[keep]
            sym, rel = sym[keep], rel[keep]
            bad = np.flatnonzero(nsym < 0)
    if len(bad):
        if out.flags & elf.SHF_ALLOC and not _is_lsda(obj.sec_names[sec]):
            j = int(bad[0])
            k = int(sym[j])
            what = obj.sym_name(k) or obj.sec_names[int(obj.sym_shndx[k])]
            raise LinkError(f"relocation refers to a symbol in a discarded section: {what}\n"
                            f">>> referenced by {obj.where(sec, int(rel['r_offset'][j]))}")
        # debug information of a discarded COMDAT copy, or the call-site table GCC put for it in
        # the object's one .gcc_except_table (riscv64: label differences; never reached, its
        # FDE is dropped): R_*_NONE, as GNU ld's -r makes them (a final link keeps them zero)
        nsym[bad] = 0
        typ[bad] = 0
        addend[bad] = 0
    new["r_info"] = (nsym.astype(np.uint64) << np.uint64(32)) | typ.astype(np.uint64)
    new["r_addend"] = addend
    return new


def _is_lsda(name: str) -> bool:
    return name == ".gcc_except_table" or name.startswith(".gcc_except_table.")


def commit(ctx) -> None:
    """Into place through a temporary file (not executable: it is an object), as a final
    link's output (the -Map file, the --dependency-file)."""
    from xld.link import write as w
    w.commit(ctx, executable=False)


def _ehframe(ctx):
    from xld.link import ehframe
    ehframe.prune(ctx)


def _compress_debug(ctx):
    if ctx.opts.compress_debug:
        from xld.link import compress
        compress.run(ctx)


# the passes of a partial link, after reading and resolving (link/driver.py)
def entry(ctx) -> None:
    """-e NAME that no input defines: GNU ld's -r warns as a final link does and lists NAME as
    an undefined global, as -u does."""
    name = ctx.opts.entry
    st = ctx.symtab
    if name and (name not in st.ids or st.state[st.ids[name]] == resolve.UNDEF):
        st.strong_ref[st.intern(name)] = True
        ctx.diag.warn(f"cannot find entry symbol {name}; not setting start address")


PASSES = [
    ("shared", reject_shared),
    ("entry", entry),                     # -e NAME undefined: a warning, NAME an undefined global
    ("gc", gc_sections),                  # --gc-sections: what the roots do not reach is left out
    ("assign", assign),                   # input sections -> output sections by name; groups
    ("eh_frame", _ehframe),               # drop FDEs of discarded COMDAT copies
    ("place", place),                     # offsets within output sections
    ("commons", allocate_commons),        # -d: commons get space at the end of .bss
    ("defsym", defsym),                   # --defsym NAME=NUMBER: an absolute global
    ("write", write),                     # symbols, relocations, groups, headers
    ("compress debug", _compress_debug),  # --compress-debug-sections=zlib (link/compress.py)
    ("check", lambda c: c.diag.check()),  # errors reported on the way (orphans): no output
    ("commit", commit),
]
