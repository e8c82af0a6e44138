"""GCC link-time optimization (``gcc -flto``): slim IR objects compiled by GCC's own LTO
driver, ``lto-wrapper``, the way GNU ld's linker plugin has them compiled.

An object built with ``-flto`` holds GCC's intermediate code (``.gnu.lto_*`` sections) and
no machine code; its ELF symbol table names only ``__gnu_lto_slim``, and its real symbols are
in ``.gnu.lto_.symtab.<id>``.  gcc runs every link with ``-plugin liblto_plugin.so
-plugin-opt=<lto-wrapper> -plugin-opt=-pass-through=-lc ...``; xld does not load the plugin
(a C library for GNU ld's API) but does what it does, in two rounds:

1. Reading: a slim object (named on the command line or taken from an archive) takes part in
   symbol resolution through a stand-in made of its IR symbols (definitions, references,
   COMMON, weak, visibility), so archive members are pulled for what the IR code needs, as
   with GNU ld.  The pass ``lto`` then runs ``lto-wrapper`` on every slim object the link
   used, with the environment gcc gave the linker (``COLLECT_GCC``,
   ``COLLECT_GCC_OPTIONS``), and gets back ordinary objects.
2. The link is made again from the start, with those objects in place of the slim ones
   (where the first of them was) and the plugin's pass-through libraries at the end (for
   calls the compiler makes on its own, such as ``memcpy``).

xld passes no resolution file: the optimizer sees every global as possibly used from outside
the IR (as collect2 does without the plugin).  The program is the same; GNU ld's resolutions
let the optimizer also drop or internalize globals only IR code uses.  The compiled objects
are temporary files, removed after the link (kept with ``-save-temps``).
"""
from __future__ import annotations

import copy
import os
import struct

import numpy as np

from xld.link import elf
from xld.link.errors import LinkError, Relink

SLIM_MARK = "__gnu_lto_slim"
_SYMTAB = ".gnu.lto_.symtab."
_ROUNDS = 4

# the plugin's own options: not for lto-wrapper
_PLUGIN_ONLY = ("-fresolution=", "-pass-through=", "-sym-style=", "-linker-output-known",
                "-linker-output-auto-nolto-rel", "-nop", "-debug", "-save-temps", "-ltrans-objects=")


class Lto:
    """What gcc's plugin options say, and what the rounds found."""

    def __init__(self, wrapper: str, args: list[str], pass_through: list[str]):
        self.wrapper = wrapper
        self.args = args                  # options lto-wrapper gets from the plugin
        self.pass_through = pass_through  # -lgcc, -lc, ...: added after the compiled objects
        self.claimed: list = []           # slim objects this round read (ObjectFile)
        self.compiled: list[str] = []     # the objects lto-wrapper made (temporary files)
        self.sources: list[tuple[str, str]] = []   # (what the link named, its IR) of every round
        self.rounds = 0
        self.done: set = set()            # source_key() of every slim object compiled so far
        self.temp_dir: str | None = None


def from_options(opts) -> Lto | None:
    """The LTO state of a link whose plugin options name gcc's ``lto-wrapper``, else None."""
    po = opts.plugin_opts
    if not po or os.path.basename(po[0]) != "lto-wrapper":
        return None
    args = [a for a in po[1:] if not a.startswith(_PLUGIN_ONLY)]
    passes = [a[len("-pass-through="):] for a in po[1:] if a.startswith("-pass-through=")]
    return Lto(po[0], args, list(dict.fromkeys(passes)))


def is_slim(names) -> bool:
    return SLIM_MARK in names


def source_key(obj):
    """What identifies a slim object across rounds: its name (``lib.a(m.o)`` for a member)
    and its contents.  A later round reads what an earlier one compiled again (an archive
    under --whole-archive, a file named twice): its code is in the compiled objects already."""
    import hashlib
    return obj.name, hashlib.sha1(obj.buf).digest()


# -- round 1: the IR symbols take part in resolution ----------------------------------------

_KIND_BIND = {0: (elf.STB_GLOBAL, False), 1: (elf.STB_WEAK, False), 2: (elf.STB_GLOBAL, True),
              3: (elf.STB_WEAK, True), 4: (elf.STB_GLOBAL, False)}
_VISIBILITY = {0: 0, 1: 3, 2: 1, 3: 2}      # the plugin API's order -> STV_*


def ir_symbols(obj) -> list[tuple[str, int, int, int]]:
    """(name, kind, visibility, size) of the object's IR symbols, from every
    ``.gnu.lto_.symtab.<id>`` section: each entry is the name and the COMDAT key (both
    NUL-terminated), a kind byte (0 definition, 1 weak definition, 2 reference, 3 weak
    reference, 4 COMMON), a visibility byte, a 64-bit size and a 32-bit slot."""
    out = []
    for i, name in enumerate(obj.sec_names):
        if not name.startswith(_SYMTAB):
            continue
        data = bytes(obj.section_bytes(i))
        pos = 0
        while pos < len(data):
            end = data.find(b"\0", pos)
            key_end = data.find(b"\0", end + 1) if end >= 0 else -1
            if key_end < 0 or key_end + 15 > len(data):
                raise LinkError(f"{obj.name}: {name}: truncated LTO symbol table")
            kind, vis = data[key_end + 1], data[key_end + 2]
            size, = struct.unpack_from("<Q", data, key_end + 3)
            if kind not in _KIND_BIND or vis not in _VISIBILITY:
                raise LinkError(f"{obj.name}: {name}: unknown LTO symbol kind {kind} or visibility {vis}")
            out.append((data[pos:end].decode("utf-8", "surrogateescape"), kind, vis, size))
            pos = key_end + 15
    return out


def stand_in(obj):
    """An object with ``obj``'s IR symbols and no code (definitions are absolute zeros: the
    link that reads it is made again): what resolution reads in its place."""
    from xld.link.input import ObjectFile
    syms = ir_symbols(obj)
    strtab = b"\0" + b"".join(n.encode("utf-8", "surrogateescape") + b"\0" for n, *_ in syms)
    table = np.zeros(len(syms) + 1, dtype=elf.SYM)
    pos = 1
    for k, (name, kind, vis, size) in enumerate(syms, start=1):
        bind, undefined = _KIND_BIND[kind]
        row = table[k]
        row["st_name"] = pos
        pos += len(name.encode("utf-8", "surrogateescape")) + 1
        row["st_info"] = bind << 4
        row["st_other"] = _VISIBILITY[vis]
        if kind == 4:
            row["st_shndx"], row["st_value"], row["st_size"] = elf.SHN_COMMON, 8, size
        elif not undefined:
            row["st_shndx"], row["st_size"] = elf.SHN_ABS, size
    shstr = b"\0.symtab\0.strtab\0.shstrtab\0"
    body = table.tobytes()
    off_sym = elf.EHDR_SIZE
    off_str = off_sym + len(body)
    off_shstr = off_str + len(strtab)
    shoff = (off_shstr + len(shstr) + 7) & ~7
    sh = np.zeros(4, dtype=elf.SHDR)
    sh[1] = (1, elf.SHT_SYMTAB, 0, 0, off_sym, len(body), 2, 1, 8, elf.SYM_SIZE)
    sh[2] = (9, elf.SHT_STRTAB, 0, 0, off_str, len(strtab), 0, 0, 1, 0)
    sh[3] = (17, elf.SHT_STRTAB, 0, 0, off_shstr, len(shstr), 0, 0, 1, 0)
    eh = np.zeros(1, dtype=elf.EHDR)
    eh["e_ident"][0][:7] = [0x7F, ord("E"), ord("L"), ord("F"), elf.ELFCLASS64, elf.ELFDATA2LSB, 1]
    eh["e_type"], eh["e_machine"], eh["e_version"] = elf.ET_REL, obj.machine, 1
    eh["e_flags"], eh["e_shoff"], eh["e_ehsize"] = obj.e_flags, shoff, elf.EHDR_SIZE
    eh["e_shentsize"], eh["e_shnum"], eh["e_shstrndx"] = elf.SHDR_SIZE, 4, 3
    blob = eh.tobytes() + body + strtab + shstr
    blob += bytes(shoff - len(blob)) + sh.tobytes()
    stub = ObjectFile(obj.name, blob)
    stub.archive, stub.pulled_by = obj.archive, obj.pulled_by
    return stub


# -- the pass: compile, and link again ------------------------------------------------------

def run(ctx) -> None:
    """The pass ``lto``: when the link read slim objects, compile them and link again."""
    state = ctx.lto
    if state is None:
        return
    if not state.claimed:
        if state.rounds:                  # the last round: --dependency-file names the IR files
            temp = set(state.compiled)
            ctx.input_paths[:] = [p for p in ctx.input_paths if p not in temp] + [s for s, _ in state.sources]
        return
    ctx.diag.check()                      # resolution's errors first, as GNU ld reports them
    opts = ctx.opts
    if opts.relocatable:
        raise LinkError(f"{state.claimed[0].name}: -r with GCC LTO objects is not supported")
    state.rounds += 1
    if state.rounds >= _ROUNDS:
        raise LinkError("LTO: archive members with IR kept appearing; giving up")
    try:
        for obj in state.claimed:
            state.done.add(source_key(obj))
            if obj.archive is None:
                state.sources.append((obj.name, obj.name))
                continue
            if state.temp_dir is None:    # a member: lto-wrapper reads it from its own file
                import tempfile
                state.temp_dir = tempfile.mkdtemp(prefix="xld-lto-")
            path = os.path.join(state.temp_dir, f"m{len(state.sources)}.o")
            with open(path, "wb") as f:
                f.write(obj.buf)
            state.sources.append((obj.archive.path, path))
        named = {obj.name for obj in state.claimed if obj.archive is None}
        first = state.claimed[0]
        state.claimed = []
        previous = state.compiled
        compiled = _compile(state, opts)     # (every round compiles all the IR found so far)
    except BaseException:                    # (the driver cleans up only after a Relink)
        cleanup(state)
        raise
    _remove(previous)
    state.compiled = compiled
    given = copy.copy(opts)              # (a -T script's INPUT(...) are in opts.inputs now)
    given.inputs = ctx.given_inputs
    raise Relink(_replace_inputs(given, named, first, previous, compiled, state.pass_through), state)


def _compile(state: Lto, opts) -> list[str]:
    import subprocess
    env = os.environ
    if "COLLECT_GCC" not in env or "COLLECT_GCC_OPTIONS" not in env:
        raise LinkError(f"{state.sources[0][0]}: is a GCC LTO object (built with -flto): link it through "
                        f"the gcc driver (gcc -flto -B DIR ...), which gives lto-wrapper its options")
    out = "dyn" if opts.shared else "pie" if opts.pie else "exec"
    argv = [state.wrapper, *state.args, f"-flinker-output={out}", *(ir for _, ir in state.sources)]
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=os.getcwd(),
                           pass_fds=_jobserver_fds(env))
    except OSError as e:
        raise LinkError(f"cannot run {state.wrapper}: {e.strerror}")
    if p.returncode != 0:
        raise LinkError(f"lto-wrapper failed (exit status {p.returncode}): LTO compilation of "
                        f"{', '.join(s for s, _ in state.sources)}")
    objs = [line for line in p.stdout.decode("utf-8", "surrogateescape").splitlines() if line.strip()]
    if not objs:
        raise LinkError("lto-wrapper returned no objects")
    return objs


def _jobserver_fds(env) -> tuple[int, ...]:
    """The pipe of make's jobserver (``MAKEFLAGS=... --jobserver-auth=R,W``), when xld has it:
    lto-wrapper (-flto=jobserver, -flto=auto) runs its compiles as jobs of the make that runs
    the link, as under GNU ld, whose plugin runs it with every descriptor inherited.  A served
    link (link/server.py) has not the client's descriptors: none."""
    import re
    import stat
    import sys
    if getattr(sys.modules.get("xld.link.server"), "served", False):
        return ()
    m = re.search(r"--jobserver-(?:auth|fds)=(\d+),(\d+)", env.get("MAKEFLAGS", ""))
    if m is None:
        return ()
    fds = (int(m.group(1)), int(m.group(2)))
    try:
        if not all(stat.S_ISFIFO(os.fstat(fd).st_mode) for fd in fds):
            return ()
    except OSError:
        return ()
    return fds


def _replace_inputs(opts, named: set[str], first, previous: list[str], compiled: list[str],
                    pass_through: list[str]):
    """A copy of ``opts`` whose inputs have the compiled objects where the objects an earlier
    round compiled were, else where the first slim object was (or before the archive that
    gave it); no slim object named, none of the earlier round's objects; the pass-through
    libraries at the end (once)."""
    from xld.link.options import Input, find_library
    where = previous[0] if previous else first.name if first.archive is None else first.archive.path
    drop = named | set(previous)
    items, placed = [], False
    script_at = None                      # where -T was: the script adds its INPUT(...) there
    for k, it in enumerate(opts.inputs):
        if k == opts.script_at:
            script_at = len(items)
        path = it.value if it.kind == "file" else None
        if it.kind == "lib" and not placed and first.archive is not None and not previous:
            try:
                path = find_library(opts, it.value, it.static_only or opts.static)
            except LinkError:
                path = None
        if not placed and path == where:
            items += [Input("file", c, it.static_only, it.as_needed) for c in compiled]
            placed = True
        if it.kind == "file" and it.value in drop:
            continue
        items.append(it)
    if script_at is None:
        script_at = len(items)
    if not placed:
        items[0:0] = [Input("file", c) for c in compiled]
        script_at += len(compiled)
    if not previous:                      # (with the -Bstatic / --as-needed state the line ends in)
        last = next((it for it in reversed(opts.inputs) if it.kind in ("lib", "file")), None)
        static, needed = (last.static_only, last.as_needed) if last is not None else (False, False)
        for p in pass_through:
            items.append(Input("lib", p[2:], static, needed) if p.startswith("-l") else Input("file", p, static, needed))
    new = copy.copy(opts)
    new.inputs = items
    new.script_at = script_at
    return new


def cleanup(state: Lto | None) -> None:
    """Remove the temporary files: the objects lto-wrapper made (unless gcc was given
    -save-temps) and xld's copies of archive members."""
    import shlex
    if state is None:
        return
    if "-save-temps" not in shlex.split(os.environ.get("COLLECT_GCC_OPTIONS", "")):
        _remove(state.compiled)
        state.compiled = []
    if state.temp_dir is not None:
        _remove(os.path.join(state.temp_dir, name) for name in os.listdir(state.temp_dir))
        try:
            os.rmdir(state.temp_dir)
        except OSError:
            pass
        state.temp_dir = None


def _remove(paths) -> None:
    for p in paths:
        try:
            os.unlink(p)
        except OSError:
            pass
