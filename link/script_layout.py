"""Layout under a linker script's SECTIONS (link/script.py reads the script).

GNU ld's semantics, for the subset link/script.py accepts:
- an input section goes to the first output section whose input description matches it
  (file pattern, then section patterns; KEEP'd ones are --gc-sections roots); /DISCARD/ drops;
- sections no description matches are orphans: grouped by the default rules (.text.* into
  .text ...) and placed after the last output section of similar flags (code, read-only data,
  writable data, zero-fill, non-allocated), else at the end;
- the location counter walks SECTIONS in order: an output section starts at its address
  expression, or its region's next free byte (``> REGION``), or ``.``; its alignment is the
  largest of its inputs' and ALIGN(); assignments inside it see ``.`` as an absolute address;
- load addresses: AT(expr), AT> REGION, else (GNU ld's rule) the same VMA-LMA difference as
  the last section placed in the same VMA region, else the VMA;
- the walk runs twice so expressions may use what is defined later (ADDR, symbols);
- a region overflow is an error naming the section, the region and by how much (lld's
  words); a failed ASSERT is an error with the script's message at file:line.
Segments: consecutive sections share a PT_LOAD while they are contiguous, writable or not
alike, and keep one VMA-LMA difference; p_paddr is the load address.  The ELF headers are not
loaded (no segment covers them), as GNU ld does when the first section starts at the origin.
"""
from __future__ import annotations

import fnmatch
import os

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
    if len(ctx.opts.scripts) > 1:
        raise LinkError("more than one -T script is not supported")
    s = sc.read(ctx.opts.scripts[0])
    ctx.script = s
    if s.entry and not ctx.opts.entry:
        ctx.opts.entry = s.entry
    if getattr(s, "output_binary", False):
        ctx.opts.oformat = "binary"
    if s.sections is None:
        for c in s.top:
            pass
    ctx.script_keep = _keep_matcher(s)


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
    for a in assignments(ctx.script):
        g = st.ids.get(a.name)
        if a.provide:
            if a.name in used and g is None:
                g = st.intern(a.name)       # the script itself refers to it
            if g is None or st.state[g] != resolve.UNDEF:
                continue
        elif g is not None and st.state[g] != resolve.UNDEF and st.def_file[g] > 0:
            continue             # an input defines it (kept; GNU ld would override)
        g = st.intern(a.name)
        st.state[g] = resolve.DEFINED
        st.def_file[g] = resolve.LINKER
        names.append(a.name)
    ctx.script_names = set(names)
    return names


def _script_refs(s) -> set[str]:
    """Symbols the script's own expressions refer to."""
    out: set[str] = set()

    def walk(e):
        if isinstance(e, tuple):
            if e and e[0] == "sym":
                out.add(e[1])
            for x in e:
                if isinstance(x, (tuple, list)):
                    walk(x)
        elif isinstance(e, list):
            for x in e:
                walk(x)

    def cmds(lst):
        for c in lst:
            if isinstance(c, (sc.Assign, sc.Assert)):
                walk(c.expr)
            elif isinstance(c, sc.OutSec):
                for e in (c.addr, c.lma, c.align, c.subalign):
                    if e is not None:
                        walk(e)
                cmds(c.commands)
    cmds(s.top + list(s.sections or ()))
    return out


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


def assign(ctx) -> None:
    """After the default assignment (which decides what is kept): move each input section to
    the output section the script names for it."""
    layout.assign_sections(ctx)
    s = ctx.script
    if s.sections is None:
        return
    default = ctx.outputs
    outs: dict[str, OutputSection] = {}
    ctx.script_outs = []                  # (OutSec, OutputSection | None) in script order
    descs = []                            # (InputDesc, OutputSection or None for /DISCARD/)
    for cmd in s.sections:
        if not isinstance(cmd, sc.OutSec):
            continue
        if cmd.name == "/DISCARD/":
            target = None
        else:
            if cmd.name in outs:
                raise LinkError(f"{s.path}:{cmd.line}: output section {cmd.name} is described twice "
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
    orphans: dict[str, OutputSection] = {}
    orphan_found: list[tuple] = []        # --orphan-handling=warn|error|discard: (file id, section, obj, output)
    for dname, dout in default.items():
        for obj, i in dout.inputs:
            name = obj.sec_names[i]
            hit = None
            for d, target, got in descs:
                if "COMMON" in d.patterns and len(d.patterns) == 1:
                    continue
                if any(fnmatch.fnmatchcase(name, p) for p in d.patterns) and _file_matches(d.file_pattern, obj):
                    hit = (d, target, got)
                    break
            if hit is None:
                if ctx.opts.orphan_handling != "place":
                    orphan_found.append((obj.file_id, i, obj, dname))
                    if ctx.opts.orphan_handling == "discard":
                        obj.sec_outsec[i] = None
                        obj.sec_kept[i] = False
                        continue
                o = orphans.get(dname)
                if o is None:
                    o = orphans[dname] = OutputSection(dout.name, dout.type, dout.flags)
                    o.rank, o.script, o.pieces = dout.rank, None, None
                o.inputs.append((obj, i))
                obj.sec_outsec[i] = o
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
    if ctx.opts.orphan_handling in ("warn", "error"):
        report = ctx.diag.warn if ctx.opts.orphan_handling == "warn" else ctx.diag.error
        for _, i, obj, dname in sorted(orphan_found, key=lambda x: x[:2]):
            report(f"{obj.name}:({obj.sec_names[i]}) is being placed in '{dname}'")      # lld's words
    for d, target, got in descs:
        if d.sort == "name":
            got.sort(key=lambda oi: oi[0].sec_names[oi[1]])
        elif d.sort == "alignment":
            got.sort(key=lambda oi: -int(oi[0].shdrs[oi[1]]["sh_addralign"]))
    for cmd, target in ctx.script_outs:
        target.inputs = [oi for c, got in target.pieces if got is not None for oi in got]
        if not target.has_inputs:
            target.type = elf.SHT_NOBITS if cmd.noload else elf.SHT_PROGBITS
            if _has_contents(cmd):
                target.flags |= elf.SHF_ALLOC
        if target.flags & elf.SHF_ALLOC == 0 and target.inputs:
            pass
        if any(isinstance(c, sc.InputDesc) and "COMMON" in c.patterns for c, _ in target.pieces):
            if target.name != ".bss":
                raise LinkError(f"{s.path}:{cmd.line}: COMMON outside an output section named .bss "
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


def _has_contents(cmd) -> bool:
    return any(isinstance(c, sc.Assign) for c in cmd.commands)


# -- placement --------------------------------------------------------------------------------

def _class(o) -> int:
    """Orphan placement classes: code, read-only data, writable data, zero-fill, non-alloc."""
    if not o.alloc:
        return 4
    if o.flags & elf.SHF_EXECINSTR:
        return 0
    if o.nobits:
        return 3
    if o.flags & elf.SHF_WRITE:
        return 2
    return 1


class _Env:
    """What expressions see during the walk."""

    def __init__(self, ctx, values, prev):
        self.ctx, self.s = ctx, ctx.script
        self.values = values          # name -> (value, OutputSection | None), this walk
        self.prev = prev              # the previous walk's values (forward references)
        self.cur = 0
        self.final = False

    def dot(self):
        return self.cur

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
        if name in self.prev:
            return self.prev[name][0]
        if self.final:
            raise LinkError(f"{self.s.path}:{line}: symbol not found: {name}")
        return 0

    def defined(self, name):
        st = self.ctx.symtab
        g = st.ids.get(name)
        return name in self.values or (g is not None and st.def_file[g] > 0)

    def region(self, name, fn, line):
        r = self.s.regions.get(name)
        if r is None:
            raise LinkError(f"{self.s.path}:{line}: memory region not defined: {name}")
        return r.origin if fn == "ORIGIN" else r.length

    def section(self, name, fn, line):
        o = self.ctx.outputs.get(name)
        if o is None:
            raise LinkError(f"{self.s.path}:{line}: undefined section {name}")
        if fn == "SIZEOF":
            return o.size
        if fn == "ADDR":
            return o.addr
        return o.lma if getattr(o, "lma", None) is not None else o.addr

    def constant(self, name, line):
        if name == "MAXPAGESIZE":
            return self.ctx.opts.max_page_size or self.ctx.arch.max_page_size
        if name == "COMMONPAGESIZE":
            return self.ctx.opts.common_page_size or self.ctx.arch.common_page_size
        raise LinkError(f"{self.s.path}:{line}: unknown constant: {name}")

    def sizeof_headers(self):
        return elf.EHDR_SIZE + self.ctx.nphdr * elf.PHDR_SIZE if getattr(self.ctx, "nphdr", 0) else elf.EHDR_SIZE


def place(ctx) -> None:
    s = ctx.script
    bss = layout._common_bss(ctx)
    for out in ctx.synthetic_sections():
        if out.name not in ctx.outputs:
            out.script, out.pieces = None, None
            ctx.outputs[out.name] = out
    order = _order(ctx)
    prev: dict = {}
    values: dict = {}
    for final in (False, True):
        values = {}
        env = _Env(ctx, values, prev)
        env.final = final
        _walk(ctx, env, order, final)
        prev = values
    ctx.script_values = values
    _segments(ctx, [o for o in order if o.alloc and _emitted(o)],
              [o for o in order if not o.alloc and _emitted(o)])


def _emitted(o) -> bool:
    return bool(o.inputs) or (o.data is not None) or o.size > 0 or \
        (getattr(o, "script", None) is not None and o.name == ".bss" and bool(getattr(o, "_commons", None)))


def _order(ctx) -> list[OutputSection]:
    """Script sections in order, with orphans after the last one of their class."""
    script_secs = [t for _, t in ctx.script_outs]
    orphans = [o for o in ctx.outputs.values() if getattr(o, "script", None) is None]
    orphans.sort(key=lambda o: (o.rank, o.name))
    order = list(script_secs)
    for o in orphans:
        cls = _class(o)
        at = None
        for k, t in enumerate(order):
            if _class(t) == cls and (t.inputs or t.size or t.data is not None or getattr(t, "script", None)):
                at = k
        if at is None:
            for k, t in enumerate(order):
                if t.alloc and o.alloc:
                    at = k
            at = len(order) - 1 if at is None or not o.alloc else at
        order.insert(at + 1, o)
    return order


def _walk(ctx, env: _Env, order, final: bool) -> None:
    s = ctx.script
    regions = {n: [r.origin] for n, r in s.regions.items()}      # next free byte
    last_in_region: dict[str, OutputSection] = {}
    top = list(s.top)
    for a in top:
        if isinstance(a, sc.Assign):
            _assign(env, a, None)
    cmd_iter = list(s.sections or ())
    placed = set()
    for cmd in cmd_iter:
        if isinstance(cmd, sc.Assign):
            _assign(env, cmd, None)
            continue
        if isinstance(cmd, sc.Assert):
            if final and not sc.evaluate(cmd.expr, env):
                raise LinkError(f"{s.path}:{cmd.line}: {cmd.message}")
            continue
        if cmd.name == "/DISCARD/":
            continue
        o = ctx.outputs[cmd.name]
        _place_section(ctx, env, o, cmd, regions, last_in_region, final)
        placed.add(id(o))
        # orphans that follow it in the order
        k = order.index(o)
        while k + 1 < len(order) and getattr(order[k + 1], "script", None) is None:
            k += 1
            orphan = order[k]
            if id(orphan) not in placed:
                _place_section(ctx, env, orphan, None, regions, last_in_region, final)
                placed.add(id(orphan))
    for o in order:
        if id(o) not in placed:
            _place_section(ctx, env, o, None, regions, last_in_region, final)
    if final:
        ctx.region_used = {name: regions[name][0] - r.origin for name, r in s.regions.items()}


def _assign(env: _Env, a: sc.Assign, sec) -> None:
    if a.name == ".":
        v = sc.evaluate(a.expr, env)
        if a.op != "=":
            v = _op(a.op, env.cur, v)
        if sec is not None and v < env.cur:
            raise LinkError(f"{env.s.path}:{a.line}: unable to move location counter backward for: {sec.name}")
        env.cur = v
        return
    if a.provide and a.name not in getattr(env.ctx, "script_names", ()):
        return
    v = sc.evaluate(a.expr, env)
    if a.op != "=":
        old = env.values.get(a.name, (0, None))[0] if a.name in env.values else env.symbol(a.name, a.line)
        v = _op(a.op, old, v)
    env.values[a.name] = (v, sec)


def _op(op: str, a: int, b: int) -> int:
    return {"+=": a + b, "-=": a - b, "*=": a * b, "/=": a // b if b else 0, "<<=": a << b,
            ">>=": a >> b, "&=": a & b, "|=": a | b}[op] & sc.MASK


def _place_section(ctx, env, o, cmd, regions, last_in_region, final) -> None:
    s = ctx.script
    region = cmd.region if cmd is not None else None
    if region is None and o.alloc:
        region = getattr(o, "_region", None)
    if cmd is not None and cmd.region is not None and cmd.region not in s.regions:
        raise LinkError(f"{s.path}:{cmd.line}: memory region not defined: {cmd.region}")
    if cmd is not None and cmd.lma_region is not None and cmd.lma_region not in s.regions:
        raise LinkError(f"{s.path}:{cmd.line}: memory region not defined: {cmd.lma_region}")
    align = 1
    for obj, i in o.inputs:
        align = max(align, int(obj.shdrs[i]["sh_addralign"]))
    commons = getattr(ctx, "commons", None) if o.name == ".bss" else None
    if commons:
        st = ctx.symtab
        align = max([align] + [st.common_align[g] for g in commons])
    if cmd is not None and cmd.align is not None:
        align = max(align, sc.evaluate(cmd.align, env))
    align = max(align, o.align if o.data is not None else 1)
    if not o.alloc:
        start = 0
        env_cur_saved = env.cur
    elif cmd is not None and cmd.addr is not None:
        start = sc.evaluate(cmd.addr, env)
    elif region is not None:
        start = regions[region][0]
    else:
        start = env.cur
    if o.alloc and not (cmd is not None and cmd.addr is not None):
        start = align_up(start, align)
    if o.alloc and o.flags & elf.SHF_TLS and o.nobits:
        pass
    env.cur = start
    subalign = sc.evaluate(cmd.subalign, env) if cmd is not None and cmd.subalign is not None else None
    o.align = max(o.align, align)
    o.addr = start
    if cmd is not None:
        # GNU ld: gaps in a script's output section are zeros unless =FILL (4 bytes, big-endian)
        o.fill = sc.evaluate(cmd.fill, env).to_bytes(4, "big") if cmd.fill is not None else None
    pieces = o.pieces if o.pieces is not None else [(None, o.inputs)]
    ctx.common_off = getattr(ctx, "common_off", {}) if commons else getattr(ctx, "common_off", {})
    commons_done = False
    for c, got in pieces:
        if isinstance(c, sc.Assign):
            _assign(env, c, o)
            continue
        if isinstance(c, sc.Assert):
            if final and not sc.evaluate(c.expr, env):
                raise LinkError(f"{s.path}:{c.line}: {c.message}")
            continue
        if isinstance(c, sc.Data):
            raise LinkError(f"{s.path}:{c.line}: BYTE/SHORT/LONG/QUAD data is not supported")
        if c is not None and "COMMON" in c.patterns and commons and not commons_done:
            _place_commons(ctx, env, o, commons)
            commons_done = True
        for obj, i in got or ():
            a = subalign if subalign is not None else max(int(obj.shdrs[i]["sh_addralign"]), 1)
            env.cur = align_up(env.cur, a)
            obj.sec_out[i] = env.cur - start
            env.cur += int(obj.shdrs[i]["sh_size"])
    if commons and not commons_done:
        _place_commons(ctx, env, o, commons)
    if o.data is not None and not o.inputs:
        env.cur = start + (len(o.data) if not o.nobits else o.size)
    o.size = env.cur - start
    o._commons = commons
    if not o.alloc:
        env.cur = env_cur_saved
        o.lma = None
        return
    # load address
    lma = None
    if cmd is not None and cmd.lma is not None:
        lma = sc.evaluate(cmd.lma, env)
    elif cmd is not None and cmd.lma_region is not None:
        lma = regions[cmd.lma_region][0]      # GNU ld: not aligned
        if not o.nobits:
            regions[cmd.lma_region][0] = lma + o.size
    elif not (cmd is not None and cmd.addr is not None):
        prev = last_in_region.get(region or "")
        if prev is not None and getattr(prev, "lma", None) is not None:
            lma = start + (prev.lma - prev.addr)
    o.lma = lma if lma is not None else start
    if cmd is not None and cmd.lma_region is not None:
        _check_fit(ctx, o, cmd.lma_region, regions[cmd.lma_region][0])
    if region is not None:
        regions[region][0] = max(regions[region][0], env.cur)
        _check_fit(ctx, o, region, regions[region][0])
        last_in_region[region] = o
        o._region = region
    else:
        last_in_region[""] = o


def _check_fit(ctx, o, name, end) -> None:
    r = ctx.script.regions[name]
    if end > r.origin + r.length:
        raise LinkError(f"section '{o.name}' will not fit in region '{name}': overflowed by "
                        f"{end - (r.origin + r.length)} bytes")


def _place_commons(ctx, env, o, commons) -> None:
    st = ctx.symtab
    ctx.common_off = {}
    for g in commons:
        env.cur = align_up(env.cur, st.common_align[g])
        ctx.common_off[g] = env.cur - o.addr
        env.cur += st.common_size[g]


def _segments(ctx, alloc, nonalloc) -> None:
    """PT_LOADs over the placed sections, file offsets, and what write.py needs."""
    maxpage = ctx.opts.max_page_size or ctx.arch.max_page_size
    alloc = sorted(alloc, key=lambda o: o.addr)
    segs = []                     # [cls, vaddr, off, fend, mend, paddr, [sections]]
    for o in alloc:
        if o.flags & elf.SHF_TLS and o.nobits:
            continue
        cls = SEG_RX if o.flags & elf.SHF_EXECINSTR else SEG_RW if o.flags & elf.SHF_WRITE else SEG_R
        if segs:
            seg = segs[-1]
            last = seg[6][-1]
            same_w = (seg[0] == SEG_RW) == (cls == SEG_RW)
            contiguous = last.addr + last.size <= o.addr < align_up(last.addr + last.size, maxpage) + maxpage
            same_delta = (o.lma - o.addr) == (seg[5] - seg[1])
            if same_w and contiguous and same_delta and not (last.nobits and not o.nobits):
                seg[6].append(o)
                if cls == SEG_RX:
                    seg[0] = SEG_RX if seg[0] != SEG_RW else seg[0]
                continue
        segs.append([cls, o.addr, 0, 0, 0, o.lma, [o]])
    tls = any(o.flags & elf.SHF_TLS for o in alloc)
    nphdr = len(segs) + (1 if tls else 0) + (1 if ctx.opts.gnu_stack else 0) + (1 if ctx.attributes else 0)
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
        out_segs.append([seg[0], vaddr, off, fend, mend, seg[5]])
        off = max(fend, off)
    for o in alloc:
        if o.flags & elf.SHF_TLS and o.nobits:
            o.offset = off
    ctx.segments = out_segs
    ctx.tls_range = layout._tls_range(alloc)
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
    st = ctx.symtab
    for name, (v, o) in getattr(ctx, "script_values", {}).items():
        g = st.ids.get(name)
        if g is None or st.def_file[g] != resolve.LINKER:
            continue
        st.linker_value[g] = v
        if o is not None:
            ctx.linker_sec[g] = o
        else:
            ctx.linker_sec.pop(g, None)
