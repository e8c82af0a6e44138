"""The link, as a flat list of passes over one context.  Each pass is timed (--stats)."""
from __future__ import annotations

import os
import struct
import sys
import time
from itertools import islice

import numpy as np

from xld import arch as arches
from xld.link import ctors, elf, input as inp, layout, linker_values, pages, relocate, resolve, write
from xld.link.errors import Diag, LinkError, Relink
from xld.link.layout import OutputSection
from xld.link.options import Options, find_library

# called with the pass's name after each pass, where set: the warm server's learning link
# samples its resident file pages there (link/server.py)
after_pass = None


class Context:
    def __init__(self, opts: Options, diag: Diag | None = None):
        self.opts = opts
        self.diag = diag or Diag()
        self.arch = None
        self.files: list = [None]              # file id 0 is "none"
        self.symtab = resolve.SymbolTable()
        self.refs = resolve.References(self.symtab)
        self.loaded_members: list = []        # (archive path, member name, object): archive members and --start-lib objects loaded
        self.outputs: dict[str, OutputSection] = {}
        self.attributes: list = []
        self.attributes_data: bytes | None = None    # their merge, made once
        self.linker_sec: dict[int, OutputSection] = {}
        self.tp_base = 0
        self.timings: list[tuple[str, float]] = []
        self.peak_rss: list[int] = []        # MiB after each pass (--stats)
        self.e_flags = 0
        self.dsos: list = []                  # shared objects, in command-line order (SharedFile.dso_id - 1)
        self.imports: dict = {}               # gid -> (SharedFile, SharedSym): bound at run time
        self.needed_closure = None            # link/needed.py closure(): libraries the kept ones need, loaded once
        self.exports: list[int] = []          # gids we define that shared objects refer to
        self.dyn = None                       # the dynamic output's plan (link/dynamic.py); None: static
        self.gnu_symbols = None               # scan: an input defines an IFUNC or UNIQUE symbol (write.os_abi)
        self.defsym_alias: list[tuple[int, int, int]] = []   # --defsym=NAME=SYMBOL+C: (NAME, SYMBOL) ids, C
        self.ifuncs: list[int] = []                  # IFUNC globals that get .iplt stubs (scan)
        self.local_ifuncs: list[tuple[int, int]] = []   # IFUNC locals: (file, symbol index)
        self.iplt_resolvers: list[int] = []          # resolver address of each .iplt stub
        self.input_paths: list[str] = []             # every input file read (--dependency-file)
        self.same_machine: set[str] = set()          # files a -l search found of the link's machine
        self.script_lists: dict = {}                 # a script input's files (_script_list)
        self.found_libs: dict = {}                   # -lNAME's files (_find_library)
        self.script = None                           # -T: the parsed linker script (link/script.py)
        self.script_place = None                     # -T: script_layout.place (layout.place calls it for SECTIONS)
        self.script_phdrs = None                     # its PHDRS: the program header rows (link/script_layout.py)
        self.overlay_addrs: set = set()              # its OVERLAYs' addresses (their PT_LOADs overlap)
        self.script_relro = None                     # its DATA_SEGMENT_ALIGN..RELRO_END range (-z relro)
        self.warned_rwx = False                      # the RWX-segment warning was given (once per link)
        # set by the passes (each named where it is made)
        self.resolver = None              # the Resolver that read the inputs (link/resolve.py)
        self.linker_names = set()         # linker-defined names the inputs ask for (__bss_start, _end, ...)
        self.ref_visibility = {}          # gid -> the most constraining visibility of references to a name no object defines (resolve.merge_visibility)
        self.start_stop = set()           # gids of the __start_SEC/__stop_SEC the linker defines (define_linker_symbols)
        self.commons = None               # COMMON symbols placed in .bss (layout), or None
        self.dead_commons = frozenset()   # COMMON symbols --gc-sections removed (gc)
        self.common_off = {}              # gid -> offset of a COMMON symbol in .bss
        self.icf_folded = None            # --icf: folded section -> the section kept in its place
        self.rel = None                   # the relocation table (relocate.scan; shrink rewrites it)
        self.got_entries = []             # GOT entries: (flavour, file+1|0, sym|gid, addend)
        self.got_slots = 0                # 8-byte slots they take
        self.ifunc_resolver = {}          # gid -> its IFUNC resolver's address
        self.gaddr = None                 # every global's address, by gid (relocate.symbol_addresses)
        self.sym_values = None            # (S, sym_dead, base): every file's as one table, a file's from base[file id] (relocate.symbol_addresses)
        self.relax_stats = None           # what relaxation did (link/shrink.py)
        self.relax_check = None           # relaxation's sites, to check on the final layout (link/shrink.py)
        self.thunks = []                  # range-extension thunks: (name, output section, callers)
        self.erratum_843419 = []          # --fix-cortex-a53-843419 patches' symbols
        self.layout_fresh = False         # nothing moved since the last layout (the driver need not lay out again)
        self.addresses_fresh = False      # the same for the section addresses only (layout.place, addresses)
        self.placed = None                # the section table the last layout read (layout.Sections)
        self.ordered = []                 # output sections in file order
        self.segments = []                # the PT_LOAD rows
        self.tls_range = None             # (start, end) of the TLS template
        self.nphdr = 0                    # program headers
        self.file_end = 0                 # where the sections end in the file
        self.entry_addr = 0               # e_entry
        self.img = None                   # the output image (write.build_image)
        self.out_bytes = None             # the bytes written (ELF, flat image or -r object)
        self.image_split = False          # the image made in halves, the later by a forked child (link/halves.py)
        self.half = None                  # that child (halves.Half), until the relocate pass
        self.trailer = None               # what follows the sections: symbol tables, section headers (write.py)
        self.note_beside = None           # --build-id's digest, made while commit writes (write.DigestBeside)
        self.verify_stats = None          # what --verify checked
        self.script_keep = None           # -T: a matcher of the sections KEEP(...) names
        self.script_names = frozenset()   # -T: names its expressions use
        self.script_values = {}           # -T: symbol values it assigns
        self.script_dot_owner = {}        # -T: symbols set from '.' outside sections -> the section they belong to
        self.script_provides = set()      # -T: id() of its PROVIDEs that take effect (script_layout.taken)
        self.script_hidden = set()        # -T: gids it defines HIDDEN/PROVIDE_HIDDEN (local in .symtab)
        self.script_aliases = {}          # -T: gid -> gid of the input symbol it is an alias of (NAME = SYM + C)
        self.entry_from_script = False    # -T: the entry symbol is its ENTRY(...), not -e's
        self.implicit_provides: list[tuple[str, str, int]] = []   # PROVIDE(NAME = SYM|number + C) of input scripts
        self.defined_by: dict[str, str] = {}  # name -> where the user defined it: "--defsym", a script's FILE:LINE (lld's ">>> defined in")
        self.script_outs = []             # -T: (script output section, OutputSection | None) in script order
        self.r_order = None               # -r: output sections in order (link/relocatable.py)
        self.r_groups = None              # -r: the COMDAT groups kept
        self.r_roots = None               # -r: ids of the -u and -e names (gc roots)
        self.r_common = {}                # -r -d: gid of a common -> (.bss, offset) it is given
        self.r_abs = {}                   # -r: gid of a --defsym NAME=NUMBER -> the number
        self.map_text: str | None = None             # -Map FILE's text, written by write.commit
        self.features = 0                            # merged GNU property bits (link/properties.py)
        self.exec_stack = False                      # PT_GNU_STACK has PF_X (link/properties.py stack)
        self.plt_forms: dict | None = None           # the PLT/IFUNC stub forms they ask for (the
                                                     # backend's "plt" hook, or its plt_forms)
        self.just_symbols: dict[int, int] = {}       # --just-symbols: gid -> its absolute value
        self.region_used: dict[str, int] = {}        # MEMORY region -> bytes placed in it (--print-memory-usage)
        self.source_lines: dict = {}                 # file id -> (object, its DWARF lines), for messages (link/debugline.py)
        self.eh_cie_links: list = []                 # FDEs whose CIE is another section's (link/ehframe.py)
        self.eh_frame_records = False                # a kept input .eh_frame held more than a terminator (ehframe.prune)
        self.merged = None                           # section symbols of merged sections (link/merge.py)
        self.section_aliases: list = []              # (obj, sec, carrier obj, carrier sec): merged sections (link/merge.py)
        self.lto = None                              # GCC -flto: the rounds' state (link/lto.py), once a slim object is read
        self.given_inputs = list(opts.inputs)        # the inputs before a -T script's INPUT(...) joined them
        if opts.arch:
            a = arches.by_name(opts.arch)
            if a is None:
                raise LinkError(f"unknown --arch '{opts.arch}' (expected arm64 or riscv64)")
            self.arch = a
        elif opts.emulation:
            self.arch = _arch_from_emulation(opts.emulation)

    def check_machine(self, obj) -> None:
        a = arches.by_machine(obj.machine)
        if a is None:
            raise LinkError(f"{obj.name}: unsupported machine {obj.machine} (xld links AArch64 and RISC-V 64)")
        if self.arch is None:
            self.arch = a
        elif a is not self.arch:
            raise LinkError(f"{obj.name} is incompatible with {self.arch.name} "
                            f"(it is {a.name}{'' if self.opts.arch or self.opts.emulation else '; the first input decided the target'})")

    def claim_ir(self, obj):
        """An IR object resolution met (resolve calls this; link/lto.py, above resolution,
        claims it and gives its stand-in, or None)."""
        from xld.link import lto
        return lto.claim(self, obj)

    def linker_output(self, name: str):
        """The section the linker made as ``name`` (its addresses: where a -T script's section
        of that name holds it after something else, ``.got : { *(.got.plt) *(.got) }``, that
        section is what ``outputs[name]`` finds), or None."""
        return self.outputs.get(name + "\0synthetic") or self.outputs.get(name)

    def synthetic_sections(self):
        out = []
        if self.got_entries or "_GLOBAL_OFFSET_TABLE_" in self.symtab.ids:
            got = OutputSection(".got", elf.SHT_PROGBITS, elf.SHF_ALLOC | elf.SHF_WRITE)
            got.data = bytes(8 * self.got_slots)
            got.size = len(got.data)
            got.align = 8
            got.entsize = 8
            got.rank = layout.RANK[".got"]
            out.append(got)
        n = len(self.ifuncs) + len(self.local_ifuncs)
        if n and self.dyn is None:            # (dynamic outputs: the stubs are in .plt)
            size = self.plt_forms["stub_size"]
            for name, typ, flags, nbytes, align, rank in (
                    (".iplt", elf.SHT_PROGBITS, elf.SHF_ALLOC | elf.SHF_EXECINSTR, size * n, 16, ".iplt"),
                    (".got.plt", elf.SHT_PROGBITS, elf.SHF_ALLOC | elf.SHF_WRITE, 8 * n, 8, ".got.plt"),
                    (".rela.iplt", elf.SHT_RELA, elf.SHF_ALLOC | elf.SHF_INFO_LINK, 24 * n, 8, ".rela.iplt")):
                sec = OutputSection(name, typ, flags)
                sec.data = bytes(nbytes)
                sec.size, sec.align, sec.rank = nbytes, align, layout.RANK[rank]
                if name == ".rela.iplt":
                    sec.entsize = 24
                out.append(sec)
        fdes = 0
        if self.opts.eh_frame_hdr and ".eh_frame" in self.outputs:
            from xld.link import ehframe
            fdes = ehframe.count_fdes(self)
        if fdes or (self.opts.eh_frame_hdr and ".eh_frame" in self.outputs and self.eh_frame_records):
            # (GNU ld's rule: some kept input .eh_frame larger than 8 bytes, before its FDEs of
            # removed code go; with none, no header and no PT_GNU_EH_FRAME: riscv64 start files
            # carry only a terminator.  No FDE left: the 12-byte header with no table)
            h = OutputSection(".eh_frame_hdr", elf.SHT_PROGBITS, elf.SHF_ALLOC)
            h.data = bytes(12 + 8 * fdes)
            h.size, h.align, h.rank = len(h.data), 4, layout.RANK[".eh_frame_hdr"]
            out.append(h)
        from xld.link import properties
        prop = properties.output_section(self)
        if prop is not None:
            out.append(prop)
        if self.opts.build_id and self.opts.build_id != "none":
            b = OutputSection(".note.gnu.build-id", elf.SHT_NOTE, elf.SHF_ALLOC)
            b.data = bytes(16 + _build_id_size(self.opts.build_id))
            b.size, b.align, b.rank = len(b.data), 4, 9
            out.append(b)
        if self.opts.package_metadata is not None:
            n = OutputSection(".note.package", elf.SHT_NOTE, elf.SHF_ALLOC)
            n.data = package_note(self.opts.package_metadata)
            n.size, n.align, n.rank = len(n.data), 4, 10
            out.append(n)
        if self.dyn is not None:
            out.extend(self.dyn.synthetic_sections())
        if self.attributes:
            spec = self.arch.hooks["attributes"]
            a = OutputSection(spec["name"], elf.SHT_PROC_ATTRIBUTES, 0)
            if self.attributes_data is None:
                # most objects carry the same bytes: merge each distinct one once, in order
                # (a few bytes a file, and the kernel maps the pages around each read: in a
                # link of many files their pages are given back as they are read, 32 files at
                # a time; riscv64 400x50:b had 79 MiB of its archive resident to its peak)
                many = len(self.attributes) >= 64
                blobs: dict[bytes, None] = {}
                read: list = []
                for obj, i in self.attributes:
                    blobs.setdefault(bytes(obj.section_bytes(i)))
                    if many and (not read or read[-1] is not obj):
                        read.append(obj)
                        if len(read) >= 32:
                            pages.release_objects(read)
                if read:
                    pages.release_objects(read)
                try:
                    self.attributes_data = spec["merge"](list(blobs))
                except (ValueError, IndexError, struct.error) as e:
                    obj, i = self.attributes[0]
                    self.diag.warn(f"cannot merge {spec['name']} ({e}); keeping {obj.name}'s")
                    self.attributes_data = bytes(obj.section_bytes(i))
            a.data = self.attributes_data
            a.size = len(a.data)
            a.rank = 1001
            out.append(a)
        return out


NT_FDO_PACKAGING_METADATA = 0xCAFE1A7E


def package_note(json: str) -> bytes:
    """--package-metadata: the FDO packaging-metadata note (systemd's format): owner "FDO",
    the JSON text NUL-terminated, padded to 4 bytes.  As lld: %XX in the text is the byte XX
    (so a build system can pass any JSON), and n_descsz does not count the padding (mold's
    does)."""
    import re
    raw = re.sub(rb"%([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), json.encode())
    desc = raw + b"\0"
    note = struct.pack("<III", 4, len(desc), NT_FDO_PACKAGING_METADATA) + b"FDO\0" + desc
    return note + bytes(-len(note) % 4)


def _build_id_size(style: str) -> int:
    if style in ("sha1", "tree"):
        return 20
    if style in ("md5", "uuid", "fast"):
        return 16
    if style.startswith("0x"):
        try:
            return len(bytes.fromhex(style[2:]))
        except ValueError:
            raise LinkError(f"--build-id: invalid hex string: {style}")
    raise LinkError(f"unknown --build-id style: {style}")


def _fill_build_id(ctx) -> None:
    import hashlib
    sec = ctx.outputs.get(".note.gnu.build-id")
    if sec is None:
        return
    style = ctx.opts.build_id
    n = sec.size - 16
    head = struct.pack("<III", 4, n, 3) + b"GNU\0"
    if style.startswith("0x"):
        desc = bytes.fromhex(style[2:])
    elif style == "uuid":
        import uuid
        desc = uuid.uuid4().bytes
    else:
        # a digest of the whole output with the note's descriptor still zero: deterministic
        h = hashlib.md5 if style in ("md5", "fast") else hashlib.sha1
        if write.digest_beside_write(ctx):
            ctx.note_beside = write.DigestBeside(h, ctx.out_bytes, sec.offset, head, n)
            return                                      # (commit writes the note)
        desc = h(ctx.out_bytes).digest()[:n]          # hashes the buffer in place, no copy
    note = head + desc
    ctx.out_bytes[sec.offset:sec.offset + len(note)] = np.frombuffer(note, dtype=np.uint8)


def _arch_from_emulation(emu: str):
    a = arches.by_emulation(emu)
    if a is None:
        raise LinkError(f"unknown emulation: {emu}")
    return a


# ---------------------------------------------------------------------------------------------

def _check_named_files(ctx: Context) -> None:
    """A version script or dynamic list the command line names must be there even when the
    output has no dynamic symbols to apply it to (a static link): GNU ld and lld refuse a
    missing one, and xld linked on without a word.  Read where they are used (link/dynamic.py,
    versionscript.py); here only opened, in versionscript's words."""
    for what, paths in (("version script", ctx.opts.version_scripts), ("dynamic list", ctx.opts.dynamic_list)):
        for path in paths:
            try:
                with open(path, "rb"):
                    pass
            except OSError as e:
                raise LinkError(f"cannot open {what} {path}: {e.strerror}")


def load_inputs(ctx: Context) -> None:
    """Read objects, archives and shared objects in command-line order (archives lazily;
    groups rescanned)."""
    r = resolve.Resolver(ctx)
    ctx.resolver = r
    for name in ctx.opts.undefined:
        g = ctx.symtab.intern(name)
        ctx.symtab.strong_ref[g] = True
    whole = False
    group: list | None = None
    lazy: list | None = None                # --start-lib ... --end-lib: objects read as archive members
    ready = _read_objects(ctx)
    for at, item in enumerate(ctx.opts.inputs):
        if group is None and item.kind not in ("lib_start", "whole_on", "whole_off", "group_end"):
            r.group_id += 1                 # (--warn-backrefs: a group's inputs share one)
        if item.kind == "lib_start":
            if lazy is not None:
                raise LinkError("nested --start-lib")
            lazy = []
            continue
        if item.kind == "lib_end":
            if lazy is None:
                raise LinkError("stray --end-lib")
            if lazy:
                _add(ctx, r, inp.LazyObjects(lazy), False, group)
            lazy = None
            continue
        if item.kind == "group_start":
            if group is not None:
                raise LinkError("nested --start-group")
            group = []
            continue
        if item.kind == "group_end":
            if group is None:
                raise LinkError("stray --end-group")
            while any(r.add_archive(a) for a in group):
                pass
            group = None
            continue
        if item.kind == "whole_on":
            whole = True
            continue
        if item.kind == "whole_off":
            whole = False
            continue
        if item.kind == "binary":          # -b binary FILE: its bytes as a data object
            if ctx.arch is None:
                raise LinkError(f"-b binary {item.value}: the target is not known yet (give --arch or -m, "
                                f"or an object before it)")
            ctx.input_paths.append(item.value)
            _add(ctx, r, inp.binary_object(item.value, ctx.arch.machine), whole, group, False, True)
            continue
        static_only = item.static_only or ctx.opts.static or ctx.opts.magic is not None   # -N, -n: GNU ld's -Bstatic
        path = item.value if item.kind == "file" else _find_library(ctx, item.value, static_only)
        f = ready.pop(path, None) if item.kind == "file" else None
        if f is not None and lazy is None and "gids_ahead" not in f.__dict__:
            r.intern_ahead([f, *_ready_after(ctx.opts.inputs, at, ready)])
        if f is None:
            f = inp.open_input(path)
        ctx.input_paths.append(path)
        if isinstance(f, tuple):            # a linker script (GROUP/INPUT lists)
            members = []
            opened: dict = {}               # what the script's reading opened (not read twice)
            for p, as_needed in _script_list(ctx, f, static_only, opened):
                ctx.input_paths.append(p)
                g = opened.pop(p, None) or inp.open_input(p)
                if isinstance(g, tuple):
                    raise LinkError(f"{p}: linker scripts inside {f[1]} are not supported")
                _add(ctx, r, g, whole, group, item.as_needed or as_needed, static_only)
                if isinstance(g, inp.Archive):
                    members.append(g)
            while len(members) > 1 and any(r.add_archive(a) for a in members):
                pass                        # GROUP(...) rescans its archives like --start-group
            continue
        if lazy is not None and isinstance(f, inp.ObjectFile):
            lazy.append(f)
            continue
        if ctx.opts.verbose and item.kind == "file":
            print(f"attempt to open {path} succeeded")      # (-l's lines: options.find_library)
        if (ctx.opts.trace or ctx.opts.verbose) and not isinstance(f, inp.Archive):
            print(path, file=sys.stdout)    # (lld's -t: archives by the members they give)
        _add(ctx, r, f, whole, group, item.as_needed, static_only, path if item.kind == "file" else None)
    if lazy is not None:
        raise LinkError("--start-lib without --end-lib")
    if group is not None:
        while any(r.add_archive(a) for a in group):
            pass
    if ctx.opts.undefined_glob:
        r.load_matching(ctx.opts.undefined_glob)
    r.report_backrefs()
    if ctx.opts.why_extract is not None:
        _write_why_extract(ctx)
    if len(ctx.files) == 1:
        raise LinkError("no input files")


def _read_objects(ctx) -> dict:
    """The relocatable objects the command line names, read and checked together
    (input.parse_objects): path -> ObjectFile.  A file that is not one (an archive, a
    script, a shared object), cannot be read or fails a check is left out: it is read in
    its turn, and any error comes then, in command-line order, as it would without this."""
    paths = list(dict.fromkeys(it.value for it in ctx.opts.inputs if it.kind == "file"))
    named, ahead = [], {}
    lib_dirs = set(ctx.opts.lib_paths)
    for path in paths:
        obj = inp.startup_object(path, lib_dirs)     # (crt1.o ...: the warm server's parse)
        if obj is not None:
            ahead[path] = obj
            continue
        data = inp.map_regular(path)
        if data is not None and data[:4] == elf.ELFMAG:
            named.append((path, data))
    ready = {path: obj for (path, _), obj in zip(named, inp.parse_objects(named)) if obj is not None}
    if ahead:
        ready = {path: ahead[path] if path in ahead else ready[path] for path in paths if path in ahead or path in ready}
    resolve.classify_many(ready.values())
    return ready


def _ready_after(inputs: list, at: int, ready: dict) -> list:
    """The objects read ahead (``ready``) that the command line names right after input
    ``at``, up to the first input that is not one (or is one named again)."""
    run, seen = [], set()
    for item in islice(inputs, at + 1, None):
        obj = ready.get(item.value) if item.kind == "file" else None
        if obj is None or item.value in seen:
            break
        seen.add(item.value)
        run.append(obj)
    return run


def _write_why_extract(ctx) -> None:
    """--why-extract=FILE (lld): which file's reference loaded which archive member, as
    tab-separated lines under a header (FILE '-': standard output)."""
    st = ctx.symtab
    lines = ["reference\textracted\tsymbol"]
    for _, _, obj in ctx.loaded_members:
        name = obj.pulled_by
        gid = st.ids.get(name) if name else None
        ref = st.first_ref[gid] if gid is not None else 0
        if not name:
            continue                        # --whole-archive: loaded for no symbol
        lines.append(f"{ctx.files[ref].name if 0 < ref < obj.file_id else '<internal>'}\t{obj.name}\t{name}")
    text = "\n".join(lines) + "\n"
    if ctx.opts.why_extract == "-":
        sys.stdout.write(text)
        return
    try:
        with open(ctx.opts.why_extract, "w") as f:
            f.write(text)
    except OSError as e:
        raise LinkError(f"cannot open --why-extract= file {ctx.opts.why_extract}: {e.strerror}")


def _add(ctx, r, f, whole, group, as_needed=False, static_only=False, given=None):
    """Add an input to the link; ``given``: the path the command line named a shared object
    by (not -l, not a script's list), which its DT_NEEDED records when it has no soname."""
    if isinstance(f, (inp.Archive, inp.LazyObjects)):
        r.add_archive(f, whole=whole)
        if group is not None:
            group.append(f)
    elif isinstance(f, inp.ObjectFile):
        r.add_object(f)
        r.drain()                           # members of earlier archives it asks for
    else:                                   # a shared object: a provider of symbols
        if static_only:
            raise LinkError(f"attempted static link of dynamic object {f.name}")
        f.given = given                     # (a warm server's object: set each link)
        r.add_shared(f, as_needed)


def _find_library(ctx, name: str, static_only: bool) -> str:
    """-lNAME's file (options.find_library), searched once a link for the same directories
    (gcc's line names -lgcc and -lgcc_s twice) unless the search warned (a library of another
    machine skipped: said each time, as GNU ld says it)."""
    key = (name, static_only, tuple(ctx.opts.lib_paths))
    path = ctx.found_libs.get(key)
    if path is None:
        said = (len(ctx.diag.warnings), len(ctx.diag.errors))
        path = find_library(ctx.opts, name, static_only, lambda p: _same_machine(ctx, p, name))
        if (len(ctx.diag.warnings), len(ctx.diag.errors)) == said:
            ctx.found_libs[key] = path
    return path


def _script_list(ctx, f: tuple, static_only: bool, opened: dict) -> list[tuple[str, bool]]:
    """``_script_inputs`` of a script given as an input, found once a link for the same text
    and library directories (gcc's line names libgcc_s.so twice) unless finding it said
    anything (a warning is said each time, as GNU ld says it)."""
    key = (f[1], f[2], static_only, tuple(ctx.opts.lib_paths))
    listed = ctx.script_lists.get(key)
    if listed is None:
        said = (len(ctx.diag.warnings), len(ctx.diag.errors))
        listed = _script_inputs(ctx, f[1], f[2], static_only, opened=opened, parsed=f[3] if len(f) > 3 else None)
        if (len(ctx.diag.warnings), len(ctx.diag.errors)) == said:
            ctx.script_lists[key] = listed
    return listed


def _script_inputs(ctx, path: str, text: bytes, static_only: bool, depth: int = 0,
                   opened: dict | None = None, parsed=None) -> list[tuple[str, bool]]:
    """A linker script given as an input (``libc.so``'s ``GROUP(...)``): the files its
    INPUT/GROUP/STARTUP name, each with whether AS_NEEDED(...) holds it, as GNU ld finds them:
    ``-lNAME`` through the library search; ``=`` or ``$SYSROOT`` at the start: under
    --sysroot; an absolute path under --sysroot when it is there; else the name as written,
    else in the script's directory, else in the library directories (its SEARCH_DIRs too). A
    name that is itself a script is read in its place (nested scripts). Names are quoted or
    not; INCLUDE, SEARCH_DIR, OUTPUT_FORMAT, OUTPUT_ARCH, TARGET, EXTERN are read too; what
    would lay out sections (SECTIONS, MEMORY ...) is an error: a -T script does that.  What
    it opened to see whether a name is a script goes into ``opened`` (path -> the file), for
    the caller to use rather than read it again (libc.so.6: 4 ms).  ``parsed``: the text's
    parse, made ahead by the warm server (input._script_ahead)."""
    from xld.link import input as inp_mod, script as sc_mod
    s = parsed or sc_mod.Parser(text.decode("utf-8", "replace"), path, ctx.opts.lib_paths).parse()
    for what, present in (("SECTIONS", s.sections is not None), ("MEMORY", bool(s.regions)),
                          ("PHDRS", s.phdrs is not None)):
        if present:
            raise LinkError(f"{path}: {what} in a linker script given as an input is not supported (use -T)")
    _implicit_assignments(ctx, s, path)
    ctx.opts.lib_paths.extend(d for d in s.search_dirs if d not in ctx.opts.lib_paths)
    for n in s.externs:
        g = ctx.symtab.intern(n)
        ctx.symtab.strong_ref[g] = True
    root = ctx.opts.sysroot
    out: list[tuple[str, bool]] = []
    for kind, names, line in s.inputs:
        for tok, as_needed in names:
            if tok.startswith("-l"):
                p = _find_library(ctx, tok[2:], static_only)     # (gcc's line: -lgcc searched already)
            elif tok.startswith("=") and root:
                p = os.path.join(root, tok[1:].lstrip("/"))
            elif tok.startswith("$SYSROOT") and root:
                p = os.path.join(root, tok[len("$SYSROOT"):].lstrip("/"))
            elif os.path.isabs(tok) and root and root != "/" and os.path.exists(os.path.join(root, tok.lstrip("/"))):
                p = os.path.join(root, tok.lstrip("/"))
            elif os.path.exists(tok):
                p = tok
            else:
                cands = [os.path.join(os.path.dirname(path), os.path.basename(tok))] + \
                    [os.path.join(d, tok) for d in ctx.opts.lib_paths]
                p = next((c for c in cands if os.path.exists(c)), tok)
            if static_only and (p.endswith(".so") or ".so." in os.path.basename(p)):
                continue                    # -static: the script's shared objects do not apply
            if os.path.exists(p) and depth < 8:
                try:
                    f = inp_mod.open_input(p)
                except LinkError:
                    f = None
                if isinstance(f, tuple):    # a script naming a script: read in its place
                    out.extend(_script_inputs(ctx, f[1], f[2], static_only, depth + 1, opened,
                                              f[3] if len(f) > 3 else None))
                    continue
                if f is not None and opened is not None and p not in opened:
                    opened[p] = f
            out.append((p, as_needed))
    if not out and not s.inputs and not s.top:
        raise LinkError(f"{path}: unknown file type (a linker script that names no input)")
    return out


def _implicit_assignments(ctx, s, path: str) -> None:
    """``NAME = EXPR;`` and ``PROVIDE(NAME = EXPR);`` in a linker script given as an input
    (GNU ld adds them to its default script): EXPR a constant or a symbol plus or minus one,
    as --defsym takes it; a PROVIDE only when something refers to NAME and nothing defines
    it (define_linker_symbols).  Anything else is refused by name."""
    from xld.link import script as sc_mod
    from xld.link.options import Options, add_defsym
    for a in s.top:
        if not isinstance(a, sc_mod.Assign):
            raise LinkError(f"{path}: ASSERT in a linker script given as an input is not supported (use -T)")
        where = sc_mod.at(s, a.line)
        if a.name == "." or a.op != "=" or a.hidden:
            what = "'.'" if a.name == "." else "HIDDEN/PROVIDE_HIDDEN" if a.hidden else f"'{a.op}'"
            raise LinkError(f"{where}: {what} in a linker script given as an input is not supported (use -T)")
        ctx.defined_by.setdefault(a.name, where)
        if a.provide:
            probe = Options()
            if not add_defsym(probe, a.name, a.expr):
                raise LinkError(f"{where}: expression not supported in a linker script given as an input "
                                f"(a number, a symbol, or a symbol plus or minus a constant)")
            ctx.implicit_provides.append((a.name, probe.defsym[0][1], probe.defsym_addend.get(a.name, 0)))
        elif not add_defsym(ctx.opts, a.name, a.expr):
            raise LinkError(f"{where}: expression not supported in a linker script given as an input "
                            f"(a number, a symbol, or a symbol plus or minus a constant)")


def _same_machine(ctx, path: str, name: str) -> bool:
    """Whether a file a -l search found may be linked: not an ELF file (or an archive whose
    first object is one) of another machine than the link's.  GNU ld skips such a file, with
    its warning, and searches on (a -L directory of another architecture's libraries)."""
    if ctx.arch is None or path in ctx.same_machine:     # (gcc's line names -lgcc twice)
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head.startswith(b"!<arch>\n"):      # the first ELF member of the archive
                pos = 8
                for _ in range(4):
                    f.seek(pos)
                    hdr = f.read(60)
                    if len(hdr) < 60:
                        return True
                    size = int(hdr[48:58].decode("ascii", "replace").strip() or 0)
                    body = f.read(20)
                    if body[:4] == elf.ELFMAG:
                        head = body
                        break
                    pos += 60 + size + (size & 1)
                else:
                    return True
    except (OSError, ValueError):
        return True
    if head[:4] != elf.ELFMAG or len(head) < 20:
        return True                          # a linker script (libc.so), or not ELF: opened as usual
    machine = int.from_bytes(head[18:20], "little")
    if head[4] == elf.ELFCLASS64 and machine == ctx.arch.machine:
        ctx.same_machine.add(path)
        return True
    a = arches.by_machine(machine)
    if ctx.opts.warn_search_mismatch:
        ctx.diag.warn(f"skipping incompatible {path} when searching for -l{name} "
                  f"(it is {a.name if a is not None else f'machine {machine}'})")
    return False


# Symbols the linker defines when they are referenced and not defined by any input.
def define_linker_symbols(ctx) -> None:
    st = ctx.symtab
    for name, target, addend in ctx.implicit_provides:
        g = st.ids.get(name)               # PROVIDE: only a name referred to and not defined
        if g is not None and st.state[g] == resolve.UNDEF and name not in dict(ctx.opts.defsym):
            ctx.opts.defsym.append((name, target))
            if addend:
                ctx.opts.defsym_addend[name] = addend
    defsyms = []
    for name, v in ctx.opts.defsym:
        ctx.defined_by.setdefault(name, "--defsym")
        g = st.intern(name)
        st.state[g] = resolve.DEFINED
        st.def_file[g] = resolve.LINKER
        defsyms.append((g, v.strip()))
    for path in ctx.opts.just_symbols:
        _just_symbols(ctx, path)
    if ctx.script is not None:
        from xld.link import script_layout
        script_layout.define_symbols(ctx)
    wanted = resolve.linker_names(ctx.arch, ctx.opts.shared)
    if ctx.opts.export_dynamic and not ctx.opts.shared:
        for name in sorted(ctx.arch.assigned_names):    # (assigned outright: -E exports them unreferenced)
            st.intern(name)
    undefined = [g for g in range(1, len(st)) if st.state[g] == resolve.UNDEF]
    present = _start_stop_sections(ctx, undefined)
    for g in undefined:
        name = st.names[g]
        start_stop = ((name.startswith("__start_") or name.startswith("__stop_"))
                      and name.split("_", 3)[-1] in present)
        if name in wanted or start_stop:
            st.state[g] = resolve.DEFINED
            st.def_file[g] = resolve.LINKER
        if start_stop and name not in wanted:
            ctx.start_stop.add(g)
            # -z start-stop-visibility= (protected unless told), or what a reference asks if that
            # is more constraining: .symtab, .dynsym and the exports read it from ref_visibility
            vis = resolve.most_constraining(ctx.opts.start_stop_visibility,
                                            ctx.ref_visibility.get(g, elf.STV_DEFAULT))
            if vis != elf.STV_DEFAULT:
                ctx.ref_visibility[g] = vis
    ctx.linker_names = wanted
    for name in ctx.opts.require_defined:
        if st.state[st.defined(name)] == resolve.UNDEF:
            ctx.diag.error(f"required symbol '{name}' not defined")
    # --defsym=NAME=SYMBOL takes SYMBOL's final address, known only once the symbols have
    # theirs (relocate.symbol_addresses); a number is a value now
    for g, expr in defsyms:
        n = linker_values.number(expr)
        if n is not None:
            st.linker_value[g] = n
            continue
        target = st.defined(expr)
        if target is None or st.state[target] == resolve.UNDEF:
            raise LinkError(f"--defsym: undefined symbol: {expr}")
        ctx.defsym_alias.append((g, target, ctx.opts.defsym_addend.get(st.names[g], 0)))


def _start_stop_sections(ctx, undefined: list[int]) -> set:
    """The names X, like a C identifier, of the __start_X / __stop_X among the ``undefined``
    that an input section X (kept: not a COMDAT loser, not SHF_EXCLUDE) may put in the output.
    The others stay undefined, as with GNU ld and lld (a reference is an undefined symbol, a
    weak one 0); where the input sections X do not make an output section X after all (a
    script maps them elsewhere or discards them), ``start_stop_outputs`` undoes the definition."""
    names = ctx.symtab.names
    wanted = set()
    for g in undefined:
        name = names[g]
        if name.startswith("__start_") or name.startswith("__stop_"):
            x = name.split("_", 3)[-1]
            if x and layout.C_IDENT.match(x) is not None:
                wanted.add(x)
    present = set()
    for obj in ctx.files[1:] if wanted else ():
        hit = wanted.intersection(obj.sec_names) - present      # (most files: none)
        if not hit:
            continue
        disc = obj.discarded
        for i, name in enumerate(obj.sec_names):
            if name in hit and not (disc is not None and disc[i]) \
                    and not int(obj.shdrs[i]["sh_flags"]) & elf.SHF_EXCLUDE:
                present.add(name)
    return present


def start_stop_outputs(ctx) -> None:
    """After the input sections have their output sections: a __start_X / __stop_X the linker
    defined where no output section X holds an input section X (a script put them in another
    output section, or discarded them) is undefined again, as in GNU ld: a reference to it is
    an undefined symbol (scan), a weak one 0; one a library may leave undefined is imported."""
    st = ctx.symtab
    undo = []
    for g in sorted(ctx.start_stop):
        name = st.names[g]
        x = name[8:] if name.startswith("__start_") else name[7:]
        o = ctx.outputs.get(x)
        if o is None or not any(obj.sec_names[i] == x for obj, i in o.inputs):
            undo.append(g)
    for g in undo:
        st.state[g] = resolve.UNDEF
        st.def_file[g] = 0
        ctx.start_stop.discard(g)
    if undo:
        _import_undefined(ctx)


def _just_symbols(ctx, path: str) -> None:
    """--just-symbols=FILE: the defined global symbols of the ELF file FILE (an executable,
    typically) become absolute symbols with FILE's values; FILE itself is not linked.  A name
    an input defines too is a duplicate symbol, as GNU ld says."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile
    st = ctx.symtab
    ctx.input_paths.append(path)
    try:
        with open(path, "rb") as f:
            e = ELFFile(f)
            table = e.get_section_by_name(".symtab") or e.get_section_by_name(".dynsym")
            syms = [(s.name, s["st_value"]) for s in (table.iter_symbols() if table is not None else ())
                    if s["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK") and s["st_shndx"] != "SHN_UNDEF"
                    and s.name]
    except OSError as e:
        raise LinkError(f"--just-symbols: cannot open {path}: {e.strerror}")
    except (ELFError, ValueError, KeyError) as e:
        raise LinkError(f"--just-symbols: {path}: not an ELF file with a symbol table ({e})")
    for name, value in syms:
        g = st.intern(name)
        if st.state[g] in (resolve.DEFINED, resolve.COMMON) and st.def_file[g] > 0:
            ctx.diag.error(f"duplicate symbol: {ctx.diag.sym(name)}\n>>> defined in {path}\n"
                           f">>> defined in {ctx.files[st.def_file[g]].name}")
            continue
        st.state[g] = resolve.DEFINED
        st.def_file[g] = resolve.LINKER
        ctx.just_symbols[g] = value
    ctx.diag.check()


def entry_and_tls(ctx) -> None:
    st = ctx.symtab
    if ctx.opts.shared and not ctx.opts.entry:
        ctx.entry_addr = 0                  # a library has no entry point unless -e names one
        return
    name = ctx.opts.entry or "_start"
    g = st.defined(name)
    if g is None or st.state[g] == resolve.UNDEF:
        try:
            ctx.entry_addr = int(name, 0)
            return
        except ValueError:
            pass
        if ctx.opts.shared and ctx.entry_from_script:
            ctx.entry_addr = 0              # GNU ld: a library's script ENTRY(_start) asks for nothing
            return
        # GNU ld: a warning, and the program starts at the beginning of .text
        text = ctx.outputs.get(".text")
        if text is not None and text.alloc and not ctx.opts.shared:     # (GNU ld: not a library's)
            ctx.entry_addr = text.addr
            ctx.diag.warn(f"cannot find entry symbol {name}; defaulting to {text.addr:016x}")
        else:
            ctx.entry_addr = 0
            ctx.diag.warn(f"cannot find entry symbol {name}; not setting start address")
        return
    ctx.entry_addr = int(ctx.gaddr[g])


def check_addresses(ctx) -> None:
    """Every output section inside the 64-bit address space and the file inside what a file
    can hold: sizes and alignments from corrupt inputs would otherwise wrap around (GNU ld:
    'section .bss VMA wraps around address space')."""
    for o in ctx.ordered:
        if o.addr < 0 or o.size < 0 or o.addr + o.size > 1 << 64 or (o.alloc and o.addr + o.size > 1 << 63):
            raise LinkError(f"section {o.name} [0x{o.addr & (2**64 - 1):x}, size 0x{o.size & (2**64 - 1):x}] "
                            f"wraps around the address space")
        if not o.nobits and (o.offset < 0 or o.offset + o.size > 1 << 47):
            raise LinkError(f"section {o.name}: file offset 0x{o.offset & (2**64 - 1):x} is out of range")
    ctx.entry_addr &= (1 << 64) - 1


def merge_flags(ctx) -> None:
    hook = ctx.arch.hooks.get("e_flags")
    flags = [f.e_flags for f in ctx.files[1:]]
    if hook is None:
        ctx.e_flags = 0
        return
    # which inputs have code (an allocated executable section with contents): a data-only
    # object (``ld -r -b binary``, ``objcopy -I binary``) constrains nothing, as in GNU ld
    # (asked only when the inputs' flags differ: alike, they merge to the same either way)
    has_code = None
    if len(set(flags)) > 1:
        code = elf.SHF_ALLOC | elf.SHF_EXECINSTR
        has_code = [bool(((f.shdrs["sh_flags"] & np.uint64(code)) == code)[
            (f.shdrs["sh_size"] > 0) & (f.shdrs["sh_type"] != elf.SHT_NOBITS)].any()) for f in ctx.files[1:]]
    try:
        ctx.e_flags = hook(flags, has_code)
    except ValueError as e:
        raise LinkError(str(e))


def number_sections(ctx) -> None:
    for k, o in enumerate(ctx.ordered, start=1):
        o.index = k
    for o in ctx.outputs.values():
        if getattr(o, "inside", None) is not None:   # (a script put it inside another section)
            o.index = o.inside.index
        elif o.stand_in is not None:                # (a script's section dropped empty)
            o.index = o.stand_in.index


# ---------------------------------------------------------------------------------------------

def link(opts: Options, diag: Diag | None = None) -> Context:
    """The passes, in order.  A link that read LTO objects is made again with the objects
    compiled from them (the pass ``lto``; link/lto.py), whose temporary files go after."""
    state = None
    diag = diag or Diag()
    while True:
        ctx = Context(opts, diag)
        ctx.lto = state
        try:
            _run_passes(ctx)
        except Relink as r:
            opts, state = r.opts, r.state
            diag.said.update(diag.warnings)     # (the next round reads the same inputs)
            continue
        except BaseException:
            from xld.link import halves
            halves.abandon(ctx)
            write.abandon(ctx)
            _lto_cleanup(ctx)
            raise
        _lto_cleanup(ctx)
        return ctx


def _lto_cleanup(ctx) -> None:
    if ctx.lto is not None:
        from xld.link import lto
        lto.cleanup(ctx.lto)


def _run_passes(ctx: Context) -> Context:
    opts = ctx.opts
    passes = [
        ("script", _read_script),             # -T FILE: parsed first (ENTRY, OUTPUT_FORMAT apply)
        ("named files", _check_named_files),  # version scripts, dynamic lists: there, even where unused
        ("read+resolve", load_inputs),        # objects, archives (lazily), symbol resolution
        ("lto", _lto),                        # -flto objects compiled (lto-wrapper, llvm-lto2); then the link again
        ("default versions", resolve.bind_default_versions),  # foo binds to an object's foo@@V
        ("visibility", resolve.merge_visibility),  # each global: its entries' most constraining visibility
        ("shared", _resolve_shared),          # names only shared objects define: imported
        ("check", lambda c: c.diag.check()),
        ("execute-only", _check_execute_only),  # --execute-only: the arch and the layout allow it
        ("arch options", _check_arch_options),  # options one architecture has (--no-apply-dynamic-relocs)
        ("linker symbols", define_linker_symbols),
        ("imports", _import_undefined),       # -shared (or kept undefined): names still undefined bind at run time
        ("shlib undefined", _shlib_undefined),  # shared objects' own undefined names (DT_NEEDED closure)
        ("flags", merge_flags),
        ("properties", _properties),          # .note.gnu.property: BTI/PAC bits; the PLT forms
        ("stack", _stack),                    # .note.GNU-stack: does any input need an executable stack
        ("gc", _gc),                          # --gc-sections: reachability from the roots
        ("assign", _assign),                  # input sections -> output sections (or the script's)
        ("start/stop", start_stop_outputs),   # __start_X/__stop_X with no output section X: undefined
        ("ctors", ctors.run),                 # .ctors/.dtors in .init_array/.fini_array: words reversed
        ("merge", _merge),                    # SHF_MERGE strings and constants stored once (link/merge.py)
        ("eh_frame", _ehframe),               # drop FDEs of functions not in the output
        ("scan", relocate.scan),              # classify relocations; GOT slots; undefined refs
        ("nocrossrefs", _crossrefs),          # -T: NOCROSSREFS(...) sections do not refer to each other
        ("dead imports", _dead_imports),      # --gc-sections: names only removed sections used are not imported
        ("dynamic plan", _dynamic_plan),      # PLT, GOT and copy relocations, dynamic sections
        ("shrink", _shrink),                  # RISC-V: delete excess ALIGN padding (and relax)
        ("erratum 835769", _fix_835769),      # AArch64: multiply-accumulates after loads/stores patched
        ("thunks", _thunks),                  # AArch64: branches out of reach go through thunks
        ("check", lambda c: c.diag.check()),
        ("layout", _unless_placed(layout.place)),            # addresses, offsets, segments
        ("addresses", _unless_placed(layout.finalize_section_addresses)),
        ("icf", _icf_alias),                  # --icf: folded sections take their twin's address
        ("number", number_sections),
        ("linker values", _unless_fresh(linker_values.linker_symbol_values)),
        ("tls", _unless_fresh(linker_values.compute_tp)),
        ("symbols", _unless_fresh(relocate.symbol_addresses)),
        ("relax check", _relax_check),        # RISC-V: every relaxed site fits the final layout
        ("entry", entry_and_tls),
        ("address check", check_addresses),  # nothing wrapped around the 64-bit address space
        ("rwx", _warn_rwx),                   # -N, -n: GNU ld's warning about the RWX segment
        ("map", _map),                        # -Map FILE / -M: the link map (link/mapfile.py)
        ("memory usage", _memory_usage),      # --print-memory-usage: the script's MEMORY regions
        ("image", _image),
        ("image halves", _image_halves),      # a large static image: the later files' half made by a forked child
        ("script data", _script_contents),    # -T: BYTE/LONG/... values and FILL patterns
        ("relocate", _relocate),
        ("dynamic", _dynamic_fill),           # .dynsym, .rela.dyn, .plt, .dynamic ... contents
        ("check", lambda c: c.diag.check()),
        ("write", _write),
        ("verify", _verify),                  # --verify: decode every relocated place (link/verify.py)
        ("compress debug", _compress_debug),  # --compress-debug-sections=zlib (link/compress.py)
        ("build id", _fill_build_id),
        ("binary", _flat),                    # --oformat binary: the flat image (link/flat.py)
        ("commit", write.commit),             # temp file, then rename into place
    ]
    if opts.emit_relocs and not opts.relocatable:
        if opts.strip_all:                    # (lld's words)
            raise LinkError("--strip-all and --emit-relocs may not be used together")
        if opts.icf not in ("none", "", None):
            raise LinkError("--emit-relocs with --icf is not supported")
    if opts.magic and opts.scripts:
        raise LinkError(f"--{opts.magic} with a linker script (-T) is not supported")
    if opts.relocatable:                      # -r: one relocatable object (link/relocatable.py)
        from xld.link import relocatable
        relocatable.check_options(opts)
        if opts.oformat == "binary":
            raise LinkError("-r and --oformat binary may not be used together")
        rest = relocatable.PASSES
        k = [name for name, _ in rest].index("write")
        upto = [name for name, _ in passes].index("check") + 1      # (read, resolve and check as a link)
        passes = passes[:upto] + [("flags", merge_flags)] + rest[:k] + [("map", _map)] + rest[k:]
    for name, fn in passes:
        t0 = time.perf_counter()
        fn(ctx)
        ctx.timings.append((name, time.perf_counter() - t0))
        if ctx.opts.stats:
            ctx.peak_rss.append(_peak_rss_mib())
        if after_pass is not None:
            after_pass(name)
    return ctx


def _peak_rss_mib() -> int:
    """The process's peak resident memory so far, in MiB (0 where the OS cannot say)."""
    try:
        import resource                     # POSIX only
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // (1 << 20) if sys.platform == "darwin" else peak // 1024    # bytes on macOS


def _icf_alias(ctx):
    if ctx.icf_folded:
        from xld.link import icf
        icf.alias(ctx)
        ctx.layout_fresh = False      # folded sections moved: symbol addresses must be redone


def _map(ctx):
    if ctx.opts.map_file or ctx.opts.cref:
        from xld.link import mapfile
        mapfile.write(ctx)


def _check_execute_only(ctx):
    """--execute-only (lld): code segments without PF_R; only where the architecture says so,
    and with xld's own layout (a script may put data beside code)."""
    o = ctx.opts
    if not o.execute_only:
        return
    if not ctx.arch.hooks.get("execute_only"):
        raise LinkError(f"--execute-only is not supported on {ctx.arch.name}")
    if o.scripts or o.magic or o.relocatable:
        what = "a linker script (-T)" if o.scripts else f"--{o.magic}" if o.magic else "-r"
        raise LinkError(f"--execute-only with {what} is not supported")


def _warn_rwx(ctx):
    if ctx.opts.magic and ctx.opts.warn_rwx:
        ctx.diag.warn(f"{ctx.opts.output} has a LOAD segment with RWX permissions")
    ctx.diag.check()                          # --fatal-warnings


def _memory_usage(ctx):
    if ctx.opts.print_memory_usage:
        sys.stdout.write(memory_usage(ctx))


def memory_usage(ctx) -> str:
    """--print-memory-usage, in GNU ld's format: each MEMORY region of the script with the
    bytes placed in it, its length and the share used (only the header without regions)."""
    def size(n: int) -> str:
        if n & 0x3FFFFFFF == 0:
            return f"{n >> 30:10d} GB"
        if n & 0xFFFFF == 0:
            return f"{n >> 20:10d} MB"
        if n & 0x3FF == 0:
            return f"{n >> 10:10d} KB"
        return f" {n:10d} B"
    out = ["Memory region         Used Size  Region Size  %age Used\n"]
    regions = ctx.script.regions if ctx.script is not None else {}
    for name, r in regions.items():
        used = ctx.region_used.get(name, 0)
        line = f"{name:>16s}: {size(used)}{size(r.length)}"
        if r.length:
            line += f"    {used * 100.0 / r.length:6.2f}%"
        out.append(line + "\n")
    return "".join(out)


def _gc(ctx):
    if ctx.opts.gc_sections or ctx.opts.dumpdep or ctx.opts.why_live or ctx.opts.icf not in ("none", "", None):
        try:
            from xld.link import gc
        except ImportError:
            if ctx.opts.gc_sections:
                ctx.diag.warn("--gc-sections is not implemented yet; keeping every section")
            return
        gc.run(ctx)


def _unless_fresh(fn):
    """A layout pass, skipped when a pass before it (the 843419 scan) left a layout that
    nothing has changed since."""
    def run(ctx):
        if not ctx.layout_fresh:
            fn(ctx)
    return run


def _unless_placed(fn):
    """A pass placing the sections, skipped when a pass before it (the 843419 scan) left
    section addresses that nothing has changed since."""
    def run(ctx):
        if not (ctx.layout_fresh or ctx.addresses_fresh):
            fn(ctx)
    return run


def _dynamic_wanted(ctx) -> bool:
    """Whether anything asks for a dynamic output (a static link never imports the module)."""
    o = ctx.opts
    return bool(ctx.dsos or o.shared or o.pie or o.static_pie or o.dynamic_linker)


def _properties(ctx):
    from xld.link import properties
    properties.merge(ctx)


def _stack(ctx):
    from xld.link import properties
    properties.stack(ctx)


def _resolve_shared(ctx):
    if ctx.dsos:
        from xld.link import dynamic
        dynamic.resolve_shared(ctx)


def _import_undefined(ctx):
    o = ctx.opts
    if o.shared or ((o.keeps_undefined() or o.ignore_unresolved) and _dynamic_wanted(ctx)):
        from xld.link import dynamic
        dynamic.import_undefined(ctx)


def _shlib_undefined(ctx):
    if ctx.dsos:
        from xld.link import needed
        needed.check(ctx)
        needed.check_hidden(ctx)


def _dead_imports(ctx):
    if ctx.opts.gc_sections and ctx.imports and ctx.script is None:
        from xld.link import dynamic
        dynamic.drop_dead_imports(ctx)


def _dynamic_plan(ctx):
    if not _dynamic_wanted(ctx):
        return
    from xld.link import dynamic
    dynamic.plan(ctx)


def _dynamic_fill(ctx):
    if ctx.dyn is not None:
        from xld.link import dynamic
        dynamic.fill(ctx, ctx.img)


def _merge(ctx):
    from xld.link import merge
    merge.run(ctx)


def _ehframe(ctx):
    from xld.link import ehframe
    read = ehframe.prune(ctx)
    ehframe.merge_cies(ctx, read)             # identical CIEs kept once (GNU ld's output)


def _shrink(ctx):
    from xld.link import shrink
    from xld.link.kinds import Kind
    t = ctx.rel
    if t.n >= 1 << 17 and (t.relax.any() or (t.kind == int(Kind.ALIGN)).any()):
        # a large link that shrink edits: the inputs' pages read so far (symbol and string
        # tables, contents, and their neighbours the kernel mapped around each fault) leave
        # the resident set before the peak; what shrink and image read faults back in
        # (riscv64 gc 400x50: peak RSS 483 -> 397 MB, 400x50:b 495 -> 472, 400x50 269 -> 262;
        # ~the same faults).  Where shrink has nothing to do (no relaxation hints, no
        # alignment rows: arm64) scan gave the pages back just before: ~3 ms of madvise saved
        pages.release_inputs(ctx.files[1:])
    shrink.run(ctx)


def _relax_check(ctx):
    if ctx.relax_check is not None:
        from xld.link import shrink
        shrink.check(ctx, _lay_out_again)


def _lay_out_again(ctx):
    """The layout passes once more (relaxation undid some of its edits)."""
    layout.place(ctx)
    layout.finalize_section_addresses(ctx)
    _icf_alias(ctx)
    number_sections(ctx)
    linker_values.linker_symbol_values(ctx)
    linker_values.compute_tp(ctx)
    relocate.symbol_addresses(ctx)


def _check_arch_options(ctx):
    if ctx.opts.no_apply_dynamic_relocs and not ctx.arch.hooks.get("no_apply_dynamic_relocs"):
        raise LinkError(f"--no-apply-dynamic-relocs is not supported for {ctx.arch.name} "
                        f"(GNU ld has it for AArch64 only)")


def _fix_835769(ctx):
    if ctx.opts.fix_cortex_a53_835769:
        from xld.link import thunks
        thunks.fix_835769(ctx)


def _lto(ctx):
    if ctx.lto is not None:
        from xld.link import lto
        lto.run(ctx)


def _thunks(ctx):
    from xld.link import thunks
    thunks.run(ctx)


def _image(ctx):
    from xld.link import halves
    ctx.image_split = halves.wanted(ctx)
    # (two cores: the symbol tables made in this process while the half child works, not
    # by a third process beside the two: write.py, _SymbolTableWorker)
    ctx.img = write.build_image(ctx, shared=ctx.image_split, tables_here=ctx.image_split and halves.tables_here())
    if not ctx.image_split:
        pages.release_inputs(ctx.files[1:])


def _image_halves(ctx):
    if ctx.image_split:
        from xld.link import halves
        halves.start(ctx)         # (its copy gives back the input pages it read as it goes)


def _relocate(ctx):
    if ctx.dyn is None and not ctx.opts.emit_relocs:
        # the relocation table's columns no pass from here on reads (only the dynamic passes
        # and --emit-relocs do): riscv64 400x50, 6 MiB less alive through relocation, its peak
        ctx.rel.gid = ctx.rel.relax = None
    # no pass after relocation reads the table (--verify reads it whole): relocation lets go
    # of the columns it is done with (riscv64 400x50: its peak, 16 MiB less alive)
    last = ctx.dyn is None and not ctx.opts.emit_relocs and not _verifies(ctx)
    if ctx.image_split:
        from xld.link import halves
        halves.relocate_halves(ctx, ctx.img, last)
    else:
        relocate.relocate(ctx, ctx.img, last=last)
    if ctx.eh_cie_links:
        from xld.link import ehframe
        ehframe.fix_cie_pointers(ctx, ctx.img)
    if ".eh_frame_hdr" in ctx.outputs:
        from xld.link import ehframe
        ehframe.fill_hdr(ctx, ctx.img)


def _read_script(ctx):
    if ctx.opts.scripts:
        from xld.link import script_layout
        script_layout.read(ctx)


def _crossrefs(ctx):
    if ctx.script is not None and ctx.script.nocrossrefs:
        from xld.link import script_layout
        script_layout.check_crossrefs(ctx)


def _script_contents(ctx):
    if ctx.script is not None and ctx.script.sections is not None:
        from xld.link import script_layout
        script_layout.write_contents(ctx, ctx.img)


def _assign(ctx):
    if ctx.script is not None and ctx.script.sections is not None:
        from xld.link import script_layout
        if ctx.script.insert is not None:      # INSERT: into the default layout
            script_layout.assign_insert(ctx)
        else:
            script_layout.assign(ctx)
    else:
        layout.assign_sections(ctx)


def _flat(ctx):
    if ctx.opts.oformat == "binary":
        from xld.link import flat
        flat.to_binary(ctx)


def _verifies(ctx) -> bool:
    """Whether the link checks its relocated places (--verify, or XLD_VERIFY=1 without it)."""
    on = ctx.opts.verify
    return os.environ.get("XLD_VERIFY") == "1" if on is None else bool(on)


def _verify(ctx):
    if _verifies(ctx):
        from xld.link import verify
        verify.run(ctx)


def _write(ctx):
    write.write_output(ctx, ctx.img)


def _compress_debug(ctx):
    if ctx.opts.compress_debug:
        from xld.link import compress
        compress.run(ctx)
