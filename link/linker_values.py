"""The values of the symbols the linker defines (_end, _edata, __bss_start, __ehdr_start,
the array bounds, _GLOBAL_OFFSET_TABLE_, __global_pointer$, __start_SEC/__stop_SEC ...) and
the thread pointer's base, once the sections are placed: passes of the driver's list, which
the trial layouts of shrink (relaxation) and thunks run again."""
from __future__ import annotations

from xld.link import elf, layout, resolve
from xld.link.elf import align_up
from xld.link.layout import OutputSection


# GNU ld's ELF64 scripts align _end and .bss's end to the word: 'ALIGN(64 / 8)'
END_ALIGN = 8


def number(expr: str) -> int | None:
    """A --defsym expression that is a plain number (else None: a name, an expression)."""
    try:
        return int(expr, 0)
    except ValueError:
        return None


def segment_class(o) -> int:
    return layout.segment_of(o.rank)


def linker_symbol_values(ctx) -> None:
    st = ctx.symtab
    outs = ctx.outputs
    alloc = [o for o in ctx.ordered if o.alloc]
    base = layout.headers_addr(ctx)
    # GNU ld's script names these after a section in its order (etext after .fini, _edata
    # after .data1, _end after .bss), whatever the addresses: after the last such section in
    # the sections' order (ctx.ordered), which is the highest address but where a section is
    # fixed (-Tdata=0x1000: .data and .bss low, .got.plt high; the highest address put _edata,
    # __bss_start and _end in .got.plt, outside .bss)
    text = [o for o in alloc if o.flags & elf.SHF_EXECINSTR]
    text_end = text[-1].addr + text[-1].size if text else base
    data_secs = [o for o in alloc if o.flags & elf.SHF_WRITE and not o.flags & elf.SHF_TLS]
    progbits = [o for o in data_secs if not o.nobits and o.size]      # (an empty one's address is only aligned)
    edata = progbits[-1].addr + progbits[-1].size if progbits else text_end
    bss = [o for o in data_secs if o.nobits]
    image = [o for o in alloc if not (o.flags & elf.SHF_TLS and o.nobits)]
    # GNU ld's scripts: '. = ALIGN(64 / 8)' before _end (and inside .bss, before __bss_end__)
    end = align_up(image[-1].addr + image[-1].size if image else base, END_ALIGN)
    bss_out = outs.get(".bss")
    bss_end = align_up(bss_out.addr + bss_out.size, END_ALIGN) if bss_out is not None and bss_out.alloc else end
    first_data = min((o.addr for o in data_secs if segment_class(o) == 3), default=edata)

    def ending(secs, at):
        """The last of ``secs`` that ends at ``at`` (else the last one below it): the section
        GNU ld's script gives a name assigned right after an output section."""
        below = [o for o in secs if o.addr + o.size <= at]
        return max(below, key=lambda o: (o.addr + o.size, o.addr), default=None)

    def starting(secs, at):
        return min((o for o in secs if o.addr >= at), key=lambda o: o.addr, default=None)

    # each in the section it borders, as GNU ld's script places them (in a PIE an SHN_ABS one
    # would keep its link-time address in .dynsym; in .symtab, as GNU ld's readelf shows it)
    last = ending(image, end)
    values: dict[str, tuple[int, OutputSection | None]] = {}
    values["_end"] = values["end"] = values["__end__"] = (end, last)
    values["__bss_end__"] = values["_bss_end__"] = (bss_end, bss_out if bss_out is not None else last)
    values["_etext"] = values["etext"] = values["__etext"] = (text_end, ending(text, text_end))
    values["_edata"] = values["edata"] = (edata, ending(progbits, edata))
    # GNU ld's scripts: '__bss_start = .;' right after _edata, before .bss aligns its start
    values["__bss_start"] = values["__bss_start__"] = (edata, starting(bss, edata) or values["_edata"][1])
    values["__ehdr_start"] = values["__executable_start"] = (base, starting(image, base))
    data_out = outs.get(".data")            # (GNU ld's scripts: PROVIDE(__data_start = .) opens .data)
    if data_out is not None and data_out.alloc:
        data_start = (data_out.addr, data_out)
    else:
        data_start = (first_data, starting([o for o in data_secs if segment_class(o) == 3], first_data))

    def sec_start(name, default):       # (an absent one: empty, in the last section)
        o = outs.get(name)
        return (o.addr, o.addr + o.size, o) if o is not None and o.alloc else (default, default, last)

    for arr in ("init_array", "fini_array", "preinit_array"):
        s, e, o = sec_start("." + arr, end)
        values[f"__{arr}_start"] = (s, o)
        values[f"__{arr}_end"] = (e, o)
    s, e, o = sec_start(".rela.iplt", end)
    values["__rela_iplt_start"] = (s, o)
    values["__rela_iplt_end"] = (e, o)
    got = ctx.linker_output(".got")
    values["_GLOBAL_OFFSET_TABLE_"] = (got.addr if got else 0, outs.get(".got"))
    values["__dso_handle"] = (0, None)
    values["__data_start"] = values["data_start"] = data_start
    values["__TMC_END__"] = (first_data, None)
    dyn = outs.get(".dynamic")
    values["_DYNAMIC"] = (dyn.addr if dyn is not None else 0, dyn)
    eh = outs.get(".eh_frame_hdr")
    values["__GNU_EH_FRAME_HDR"] = (eh.addr if eh else 0, eh)
    # RISC-V, as GNU ld's script places it:
    #   MIN(__SDATA_BEGIN__ + 0x800, MAX(__DATA_BEGIN__ + 0x800, __BSS_END__ - 0x800))
    rw = [o for o in data_secs if segment_class(o) == 3]
    small = [o for o in rw if o.name in (".sdata", ".sbss")]
    if small:
        sdata_begin = small[0].addr
    else:
        sdata_begin = max((o.addr + o.size for o in rw if not o.nobits), default=first_data)
    rw_end = align_up(max((o.addr + o.size for o in rw), default=end), END_ALIGN)    # __BSS_END__
    gp = min(sdata_begin + 0x800, max(first_data + 0x800, rw_end - 0x800))
    values["__global_pointer$"] = (gp, None)
    values["__SDATA_BEGIN__"] = (sdata_begin, small[0] if small else ending(rw, sdata_begin))
    values["__DATA_BEGIN__"] = data_start
    values["__BSS_END__"] = (rw_end, ending(rw, rw_end))
    for g in range(1, len(st)):
        if st.def_file[g] != resolve.LINKER:
            continue
        name = st.names[g]
        if name in values:
            v, o = values[name]
        elif name.startswith("__start_") or name.startswith("__stop_"):
            sec = name[8:] if name.startswith("__start_") else name[7:]
            o = outs.get(sec)
            v = (o.addr if name.startswith("__start_") else o.addr + o.size) if o is not None else 0
        else:
            v, o = 0, None
        st.linker_value[g] = v
        if o is not None:
            ctx.linker_sec[g] = o
        else:
            ctx.linker_sec.pop(g, None)
    for g, v in ctx.just_symbols.items():
        st.linker_value[g] = v
        ctx.linker_sec.pop(g, None)
    for name, expr in ctx.opts.defsym:
        n = number(expr.strip())
        if n is not None:
            st.linker_value[st.ids[name]] = n
            ctx.linker_sec.pop(st.ids[name], None)     # a number is absolute (--defsym _end=0x1000)
    for g, target, _ in ctx.defsym_alias:       # an alias lies in its target's section, as GNU ld's
        o = layout.output_section_of(ctx, target)
        if o is not None:
            ctx.linker_sec[g] = o
    if ctx.script is not None:
        from xld.link import script_layout
        script_layout.apply_symbols(ctx)


def compute_tp(ctx) -> None:
    if ctx.tls_range is None:
        ctx.tp_base = 0
        return
    start, end, align, _, _ = ctx.tls_range
    ctx.tp_base = start - align_up(ctx.arch.tls_tcb_size, align) if ctx.arch.tls_tcb_size else start
