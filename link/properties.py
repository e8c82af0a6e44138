"""GNU program properties: what every input guarantees, stated once for the output.

Objects compiled for a hardware protection say so in a ``.note.gnu.property`` section (the
Linux gABI extension "Program Property": notes of type NT_GNU_PROPERTY_TYPE_0, owner "GNU",
whose descriptor is a list of 8-byte-aligned ``(pr_type, pr_datasz, data)`` entries).  An
``..._AND`` property holds feature bits the output has only when *every* input has them (an
object without the note has none): AArch64's GNU_PROPERTY_AARCH64_FEATURE_1_AND (BTI = 1,
PAC = 2; aaelf64 "Program Property").  ld.so and the kernel read the merged bits from
PT_GNU_PROPERTY and guard the output's code pages (BTI) accordingly.

This pass (after reading) merges the inputs' bits, applies ``-z force-bti``-style options
(which set a bit whatever the inputs say, with GNU ld's warning for each input that lacks
it; ``-z bti-report=none|warning|error`` chooses the report), and when the result is not zero
adds the output's ``.note.gnu.property`` (layout gives it PT_NOTE and PT_GNU_PROPERTY).  It
also chooses the PLT forms the merged bits ask for (the backend's ``plt_forms`` hook: BTI
landing pads, PAC authentication).  Which property type and bits exist is backend data
(``hooks["gnu_property"]``); an ISA without it drops the inputs' notes, as before.
"""
from __future__ import annotations

import struct

from xld.link import elf
from xld.link.errors import LinkError
from xld.link.options import Z_PROPERTY

NT_GNU_PROPERTY_TYPE_0 = 5
SECTION = ".note.gnu.property"
RANK = 8                        # after .interp (5), before .note.gnu.build-id (9), as GNU ld


def read_and_bits(obj, pr_type: int) -> int | None:
    """The data word of property ``pr_type`` in ``obj``'s .note.gnu.property, or None when
    the object has no such property."""
    found = None
    if SECTION not in obj.sec_names:        # (most objects: one scan in C)
        return None
    for i, name in enumerate(obj.sec_names):
        if name != SECTION or int(obj.shdrs[i]["sh_type"]) != elf.SHT_NOTE:
            continue
        data = bytes(obj.section_bytes(i))
        pos = 0
        while pos + 12 <= len(data):
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            name_at = pos + 12
            desc_at = name_at + ((namesz + 3) & ~3)
            end = desc_at + ((descsz + 7) & ~7)
            if desc_at + descsz > len(data):
                raise LinkError(f"{obj.name}:({SECTION}+0x{pos:x}): note goes past the end of the section")
            if ntype == NT_GNU_PROPERTY_TYPE_0 and data[name_at:name_at + namesz] == b"GNU\0":
                p = desc_at
                while p + 8 <= desc_at + descsz:
                    typ, size = struct.unpack_from("<II", data, p)
                    if p + 8 + size > desc_at + descsz:
                        raise LinkError(f"{obj.name}:({SECTION}+0x{p:x}): property 0x{typ:x} "
                                        f"goes past the end of its note")
                    if typ == pr_type:
                        if size != 4:
                            raise LinkError(f"{obj.name}:({SECTION}+0x{p:x}): property 0x{typ:x} "
                                            f"has size {size}, expected 4")
                        found = (found or 0) | struct.unpack_from("<I", data, p + 8)[0]
                    p += 8 + ((size + 7) & ~7)
            pos = end
    return found


def note(pr_type: int, bits: int) -> bytes:
    """The output's note: one NT_GNU_PROPERTY_TYPE_0 with one 4-byte property (32 bytes)."""
    desc = struct.pack("<III", pr_type, 4, bits) + bytes(4)
    return struct.pack("<III", 4, len(desc), NT_GNU_PROPERTY_TYPE_0) + b"GNU\0" + desc


def _report_level(z: list[str], keyword: str, default: str) -> str:
    level = default
    for word in z:
        if word.startswith(keyword + "="):
            level = word.split("=", 1)[1]
            if level not in ("none", "warning", "error"):
                raise LinkError(f"-z {keyword}= parameter {level} is not valid "
                                f"(expected none, warning or error)")
    return level


def merge(ctx) -> None:
    """ctx.features: the merged bits; ctx.plt_forms: the PLT the output gets."""
    arch = ctx.arch
    spec = arch.hooks.get("gnu_property")
    z = ctx.opts.z
    ctx.features = 0
    ctx.plt_forms = arch.hooks.get("plt")
    known = spec["keywords"] if spec is not None else ()
    for word in z:
        key = word.split("=", 1)[0]
        if (word in Z_PROPERTY or key == "bti-report") and key not in known:
            raise LinkError(f"-z {word} is not supported on {arch.name}")
    if spec is None:
        return
    objs = ctx.files[1:]
    bits = [read_and_bits(obj, spec["type"]) or 0 for obj in objs]
    value = 0
    if objs:
        value = bits[0]
        for b in bits[1:]:
            value &= b
    for word, (bit, message) in spec["force"].items():
        if word not in z:
            continue
        value |= bit
    for keyword, bit in spec["report"].items():
        forced = [m for w, (b, m) in spec["force"].items() if b == bit and w in z]
        level = _report_level(z, keyword, "warning" if forced else "none")
        if level == "none":
            continue
        report = ctx.diag.error if level == "error" else ctx.diag.warn
        for obj, b in zip(objs, bits):
            if not b & bit:
                text = forced[0] if forced else \
                    f"-z {keyword}: file does not have {spec['names'][bit]} property"
                report(f"{obj.name}: {text}")
    ctx.features = value
    hook = arch.hooks.get("plt_forms")
    if hook is not None:
        o = ctx.opts
        position_dependent = not o.position_independent()
        ctx.plt_forms = hook(value, set(z), position_dependent)


STACK_NOTE = ".note.GNU-stack"


def stack(ctx) -> None:
    """ctx.exec_stack: whether the stack is executable (PF_X in PT_GNU_STACK).

    ``-z execstack`` / ``-z noexecstack`` decide when given.  Otherwise the inputs do, as with
    GNU ld: an object whose ``.note.GNU-stack`` section is SHF_EXECINSTR asks for an executable
    stack (GCC marks so an object whose nested functions need trampolines on the stack), with
    GNU ld's warning for the first such object unless ``--no-warn-execstack``.  An object
    without the note asks nothing (the default of GNU/Linux on AArch64 and RISC-V), nor does a
    shared object (its own PT_GNU_STACK is ld.so's business)."""
    o = ctx.opts
    if o.execstack is not None:
        ctx.exec_stack = o.execstack
        return
    for obj in ctx.files[1:]:
        if asks_exec_stack(obj):
            ctx.exec_stack = True
            if o.warn_execstack:
                ctx.diag.warn(f"{obj.name}: requires executable stack (because the {STACK_NOTE} "
                              f"section is executable)")
            return


def asks_exec_stack(obj) -> bool:
    """Whether an object has a ``.note.GNU-stack`` that is SHF_EXECINSTR; kept on it (the warm
    server finds it for the archive members it parses ahead: a static link's ~400 members
    each cost ~1 us of NumPy element access here otherwise)."""
    asks = obj.__dict__.get("_asks_exec_stack")
    if asks is None:
        names = obj.sec_names
        asks = False
        i = -1
        for _ in range(names.count(STACK_NOTE)):    # (list methods: no Python loop over sections)
            i = names.index(STACK_NOTE, i + 1)
            if int(obj.shdrs[i]["sh_flags"]) & elf.SHF_EXECINSTR:
                asks = True
                break
        obj._asks_exec_stack = asks
    return asks


def output_section(ctx):
    """The merged .note.gnu.property, or None when no bit survived."""
    spec = ctx.arch.hooks.get("gnu_property") if ctx.arch is not None else None
    if spec is None or not ctx.features:
        return None
    from xld.link.layout import OutputSection
    sec = OutputSection(SECTION, elf.SHT_NOTE, elf.SHF_ALLOC)
    sec.data = note(spec["type"], ctx.features)
    sec.size, sec.align, sec.rank = len(sec.data), 8, RANK
    return sec
