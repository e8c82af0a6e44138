"""Link-time optimization: GCC's (``gcc -flto``) through ``lto-wrapper``, LLVM's (``clang
-flto``) through ``llvm-lto2``, the way GNU ld's plugins have them compiled.

An IR object holds a compiler's intermediate code and no machine code: a GCC slim object
(``.gnu.lto_*`` sections; its ELF symbol table names only ``__gnu_lto_slim``, its real
symbols are in ``.gnu.lto_.symtab.<id>``) or an LLVM bitcode file.  The compiler driver runs
the link with ``-plugin PLUGIN -plugin-opt=...`` (gcc: ``liblto_plugin.so``, its first option
the path of ``lto-wrapper``; clang: ``LLVMgold.so``, options such as ``O2`` and ``mcpu=``).
xld does not load the plugin (a C library for GNU ld's API) but does what it does, in two
rounds:

1. Reading: an IR object (named, or an archive member) takes part in symbol resolution
   through a stand-in made of its IR symbols (definitions, references, COMMON, weak,
   visibility), so archive members are pulled for what the IR code needs, as with GNU ld.
   The pass ``lto`` then compiles every IR object the link used: gcc's ``lto-wrapper``, with
   the environment gcc gave the linker (``COLLECT_GCC``, ``COLLECT_GCC_OPTIONS``), or
   ``llvm-lto2 run`` (beside LLVMgold.so), with a resolution per symbol (the definition
   resolution chose prevails).
2. The link is made again from the start, with the compiled objects in place of the IR
   ones (where the first of them was) and gcc's pass-through libraries at the end (for calls
   the compiler makes on its own, such as ``memcpy``).

The optimizer is told every global may be used from outside the IR (GNU ld's plugins also
let it drop or internalize globals only IR code uses): the program is the same, its code
may be larger.  The compiled objects are temporary files, removed after the link (kept with
gcc's ``-save-temps``).
"""
from __future__ import annotations

import copy
import os

import numpy as np

from xld.link import elf
from xld.link.errors import LinkError, Relink
from xld.link.input import ObjectFile, ir_symbols, stand_in_object

SLIM_MARK = "__gnu_lto_slim"
_ROUNDS = 4

# gcc's plugin's own options: not for lto-wrapper
_PLUGIN_ONLY = ("-fresolution=", "-pass-through=", "-sym-style=", "-linker-output-known",
                "-linker-output-auto-nolto-rel", "-nop", "-debug", "-save-temps", "-ltrans-objects=")


class Lto:
    """What the compiler driver's plugin options say, and what the rounds found."""

    def __init__(self, kind: str, tool: str, args: list[str], pass_through: list[str]):
        self.kind = kind                  # "gcc" (lto-wrapper) or "llvm" (llvm-lto2)
        self.tool = tool
        self.args = args                  # options the tool gets from the plugin's
        self.pass_through = pass_through  # -lgcc, -lc, ...: added after the compiled objects
        self.claimed: list = []           # this round: (IR object, its stand-in, its IR symbols)
        self.compiled: list[str] = []     # the objects the tool made (temporary files)
        self.sources: list[tuple[str, str, list]] = []   # every round's IR: (as the link named it,
                                          # the file the tool reads, LLVM resolutions)
        self.done: set = set()            # source_key() of every IR object compiled so far
        self.ironly: set[str] = set()     # definitions the compiler was told nothing else sees
        self.forced: set[str] = set()     # ... that the next round's link showed are seen
        self.rounds = 0
        self.temp_dir: str | None = None
        self.arch_args: list[str] = []    # llvm-lto2 options the architecture asks for

    def temp(self, name: str) -> str:
        if self.temp_dir is None:
            import tempfile
            self.temp_dir = tempfile.mkdtemp(prefix="xld-lto-")
        return os.path.join(self.temp_dir, name)


def from_options(opts) -> Lto | None:
    """The LTO state of a link whose driver gave it an LTO plugin: gcc's (its first option
    names ``lto-wrapper``) or LLVM's gold plugin (``llvm-lto2`` beside it); else None."""
    po = opts.plugin_opts
    if po and os.path.basename(po[0]) == "lto-wrapper":
        args = [a for a in po[1:] if not a.startswith(_PLUGIN_ONLY)]
        passes = [a[len("-pass-through="):] for a in po[1:] if a.startswith("-pass-through=")]
        return Lto("gcc", po[0], args, list(dict.fromkeys(passes)))
    if opts.plugin and os.path.basename(opts.plugin) == "LLVMgold.so":
        tool = os.path.join(os.path.dirname(os.path.dirname(opts.plugin)), "bin", "llvm-lto2")
        return Lto("llvm", tool, _llvm_args(po), [])
    return None


def _llvm_args(po: list[str]) -> list[str]:
    """clang's -plugin-opt= values as llvm-lto2 options (an unknown one is an error)."""
    out = []
    for a in po:
        if len(a) == 2 and a[0] == "O" and a[1] in "0123":
            out += [f"-O{a[1]}", f"--cg-opt-level={a[1]}"]
        elif a.startswith(("mcpu=", "mattr=")):
            out.append("--" + a)
        elif a.startswith("jobs="):
            out.append(f"--thinlto-threads={a[5:]}")
        elif a == "thinlto":
            pass                          # (llvm-lto2 runs ThinLTO on modules built for it)
        else:
            out.append(("unsupported", a))
    return out


def source_key(obj):
    """What identifies an IR object across rounds: its name (``lib.a(m.o)`` for a member)
    and its contents.  A later round reads what an earlier one compiled again (an archive
    under --whole-archive, a file named twice): its code is in the compiled objects already."""
    import hashlib
    return obj.name, hashlib.sha1(obj.buf).digest()


def claim(ctx, obj) -> ObjectFile | None:
    """An IR object met while reading: GCC's (a slim object) or LLVM bitcode.  Its stand-in
    (what resolution reads in its place) is returned, or None for one an earlier round
    compiled already; the pass ``lto`` compiles it."""
    llvm = obj.bitcode
    if ctx.lto is None:
        ctx.lto = from_options(ctx.opts)
    state = ctx.lto
    if state is None or state.kind != ("llvm" if llvm else "gcc"):
        if llvm:
            raise LinkError(f"{obj.name}: is an LLVM bitcode (LTO) file: link it through clang, whose LLVMgold "
                            f"plugin options let xld run llvm-lto2; or build without -flto")
        raise LinkError(f"{obj.name}: is a GCC LTO object (built with -flto): link it through the gcc driver, "
                        f"which gives the linker its lto-wrapper; or build without -flto, or with -ffat-lto-objects")
    if ctx.opts.relocatable:
        raise LinkError(f"{obj.name}: -r with LTO objects is not supported")
    if source_key(obj) in state.done:     # compiled in an earlier round: nothing to read
        return None
    path = obj.name
    if obj.archive is not None:           # a member: the compiler reads it from its own file
        path = state.temp(f"m{len(state.sources) + len(state.claimed)}.o")
        with open(path, "wb") as f:
            f.write(obj.buf)
    if llvm:
        syms, machine = _bitcode_symbols(state, obj, path)
        e_flags = 0
    else:
        syms, machine, e_flags = ir_symbols(obj), obj.machine, obj.e_flags
    stub = stand_in_object(obj.name, syms, machine, e_flags)
    stub.archive, stub.pulled_by = obj.archive, obj.pulled_by
    state.claimed.append((obj, stub, syms, path))
    return stub


# -- round 1: the IR symbols take part in resolution ----------------------------------------

_LLVM_VIS = {"D": 0, "H": 2, "P": 3}


def _bitcode_symbols(state: Lto, obj, path: str) -> tuple[list[tuple], int]:
    """The symbols of a bitcode file and its ELF machine, from ``llvm-lto2 dump-symtab``:
    a line per symbol, visibility (D, H, P) then flags U C W I O T X (or '-'), then the name;
    a COMMON one is followed by its size and alignment."""
    import subprocess
    try:
        p = subprocess.run([state.tool, "dump-symtab", path], capture_output=True, stdin=subprocess.DEVNULL)
    except OSError as e:
        raise LinkError(f"{obj.name}: is an LLVM bitcode (LTO) file, and {state.tool} cannot run "
                        f"({e.strerror}): install LLVM's tools (llvm-lto2) beside LLVMgold.so")
    if p.returncode != 0:
        raise LinkError(f"{obj.name}: llvm-lto2 cannot read it: {p.stderr.decode(errors='replace').strip()}")
    syms, machine = [], None
    for line in p.stdout.decode("utf-8", "surrogateescape").splitlines():
        if line.startswith("target triple: "):
            from xld import arch as arches
            a = arches.by_name(line.split(": ", 1)[1].split("-", 1)[0])
            machine = a.machine if a is not None else None
        elif len(line) > 9 and line[0] in _LLVM_VIS and line[8] == " " and set(line[1:8]) <= set("UCWIOTX-"):
            flags, name = line[1:8], line[9:]
            weak = elf.STB_WEAK if "W" in flags else elf.STB_GLOBAL
            syms.append([name, weak, "U" in flags, "C" in flags, _LLVM_VIS[line[0]], 0])
        elif line.strip().startswith("size ") and syms and syms[-1][3]:
            syms[-1][5] = int(line.split()[1])
    if machine is None:
        raise LinkError(f"{obj.name}: LLVM bitcode for a target xld does not link (AArch64, RISC-V 64)")
    return [tuple(s) for s in syms], machine


# -- the pass: compile, and link again ------------------------------------------------------

def run(ctx) -> None:
    """The pass ``lto``: when the link read IR objects, compile them and link again."""
    state = ctx.lto
    if state is None:
        return
    if not state.claimed:
        if not state.rounds:
            return
        # A definition the compiler was told only IR sees may be named by what this round read
        # and the first did not (a C library member for a call the compiler made, say to a
        # malloc the program defines): compile again, telling it so, rather than link that
        # reference to another definition or none.
        seen = _seen_from_outside(ctx, set(), set(state.compiled))
        wrong = {name for name in state.ironly if (g := ctx.symtab.ids.get(name)) is not None and seen[g]}
        if wrong:
            _compile_again(ctx, state, wrong)
        temp = set(state.compiled)        # the last round: --dependency-file names the IR files
        ctx.input_paths[:] = [p for p in ctx.input_paths if p not in temp] + [s for s, _, _ in state.sources]
        return
    ctx.diag.check()                      # resolution's errors first, as GNU ld reports them
    state.rounds += 1
    if state.rounds >= _ROUNDS:
        raise LinkError("LTO: archive members with IR kept appearing; giving up")
    decide = _resolver(ctx, state)
    for obj, stub, syms, path in state.claimed:
        state.sources.append((obj.name if obj.archive is None else obj.archive.path, path,
                              [decide(stub, sym) for sym in syms]))
        state.done.add(source_key(obj))
    if state.kind == "llvm" and not state.arch_args:
        hook = ctx.arch.hooks.get("lto_options")     # (e.g. RISC-V: the float ABI of the others)
        stubs = {id(stub) for _, stub, _, _ in state.claimed}
        others = [f.e_flags for f in ctx.files[1:] if isinstance(f, ObjectFile) and id(f) not in stubs]
        state.arch_args = hook(others) if hook is not None else []
    named = {obj.name for obj, _, _, _ in state.claimed if obj.archive is None}
    first = state.claimed[0][0]
    state.claimed = []
    previous = state.compiled
    compiled = _compile_gcc(state, ctx.opts) if state.kind == "gcc" else _compile_llvm(state, ctx.opts)
    _remove(previous)
    state.compiled = compiled
    given = copy.copy(ctx.opts)           # (a -T script's INPUT(...) are in opts.inputs now)
    given.inputs = ctx.given_inputs
    raise Relink(_replace_inputs(given, named, first, previous, compiled, state.pass_through), state)


def _compile_again(ctx, state: Lto, wrong: set[str]) -> None:
    state.rounds += 1
    if state.rounds >= _ROUNDS:
        raise LinkError("LTO: archive members with IR kept appearing; giving up")
    state.forced |= wrong
    state.ironly -= wrong
    seen_how = "px" if state.kind == "llvm" else "PREVAILING_DEF"
    state.sources = [(named, ir, [(n, seen_how if n in wrong and how in ("p", "PREVAILING_DEF_IRONLY") else how, sym)
                                  for n, how, sym in res]) for named, ir, res in state.sources]
    previous = state.compiled
    compiled = _compile_gcc(state, ctx.opts) if state.kind == "gcc" else _compile_llvm(state, ctx.opts)
    _remove(previous)
    state.compiled = compiled
    given = copy.copy(ctx.opts)
    given.inputs = ctx.given_inputs
    raise Relink(_replace_inputs(given, set(), None, previous, compiled, state.pass_through), state)


def _resolver(ctx, state: Lto):
    """What the compiler is told of each IR symbol, as GNU ld's plugins tell it: for GCC one of
    lto-plugin's resolutions (a reference: RESOLVED_IR, RESOLVED_EXEC, RESOLVED_DYN or UNDEF;
    a definition: PREVAILING_DEF, PREVAILING_DEF_IRONLY when nothing outside the IR can see
    it, PREEMPTED_IR or PREEMPTED_REG when another one won), for LLVM llvm-lto2's flags (p the
    definition that prevails, x seen from outside the IR).  Seen from outside: named by an
    object that is not IR or by a shared object, asked for by the linker (-u, the entry,
    DT_INIT/DT_FINI, --defsym, a -T script), or exported (-shared, -E, a dynamic list, a
    version script), or one of --wrap's names.  A reference under --wrap is answered for the
    name it means (SYM: __wrap_SYM; __real_SYM: SYM)."""
    from xld.link import resolve as resolve_mod
    from xld.link.resolve import UNDEF, WEAK
    st = ctx.symtab
    opts = ctx.opts
    stub_files = {stub.file_id for _, stub, _, _ in state.claimed}
    outside = _seen_from_outside(ctx, {id(stub) for _, stub, _, _ in state.claimed})
    everything = bool(opts.shared or opts.export_dynamic or opts.has_dynamic_list() or opts.version_scripts)
    shared = ctx.resolver.shared if ctx.resolver is not None else {}
    wrap = opts.wrap
    for name in wrap:                     # --wrap=SYM: what SYM, __wrap_SYM, __real_SYM stand for
        for n in (name, "__wrap_" + name, "__real_" + name):
            g = st.ids.get(n)
            if g is not None:
                outside[g] = True

    def decide(stub, sym):
        name, _, undefined, _, vis, *_ = sym
        if undefined and wrap:            # (a reference under --wrap means another name)
            name = resolve_mod.wrapped_name(name, wrap)
        g = st.ids.get(name)
        if undefined:
            if g is None or st.state[g] in (UNDEF, WEAK):
                how, flags = ("RESOLVED_DYN" if name in shared else "UNDEF"), ""
            else:
                how, flags = ("RESOLVED_IR" if st.def_file[g] in stub_files else "RESOLVED_EXEC"), ""
        elif g is not None and st.def_file[g] == stub.file_id:
            seen = everything and vis in (elf.STV_DEFAULT, elf.STV_PROTECTED) or outside[g] or name in state.forced
            how, flags = ("PREVAILING_DEF" if seen else "PREVAILING_DEF_IRONLY"), ("px" if seen else "p")
            if not seen:
                state.ironly.add(name)
        else:
            how = "PREEMPTED_IR" if g is not None and st.def_file[g] in stub_files else "PREEMPTED_REG"
            flags = ""
        return sym[0], (flags if state.kind == "llvm" else how), sym
    return decide


def _seen_from_outside(ctx, skip_ids: set[int], skip_names=frozenset()) -> np.ndarray:
    """Per symbol id: named by an object that is not IR (``skip_ids``: the stand-ins' ids;
    ``skip_names``: objects the compiler made) or by a shared object, or asked for by the
    linker (-u, the entry, DT_INIT/DT_FINI, --defsym, a -T script)."""
    st = ctx.symtab
    opts = ctx.opts
    seen = np.zeros(len(st.names), dtype=bool)
    for f in ctx.files[1:]:
        gids = getattr(f, "gids", None)
        if isinstance(f, ObjectFile) and gids is not None and id(f) not in skip_ids and f.name not in skip_names:
            seen[gids[f.first_global:]] = True
    r = ctx.resolver
    for name in {opts.entry or "_start", opts.init_sym, opts.fini_sym, *opts.undefined,
                 *(v for _, v in opts.defsym), *ctx.script_names, *(r.shared_wants if r is not None else ())}:
        g = st.ids.get(name)
        if g is not None:
            seen[g] = True
    return seen


def _write_resolution(state: Lto, path: str) -> None:
    """lto-plugin's resolution file: the number of files, then per file its name and symbol
    count, and per symbol its slot, its symbol table's id (hex), the resolution and the name."""
    lines = [str(len(state.sources))]
    for _, ir, res in state.sources:
        lines.append(f"{ir} {len(res)}")
        lines += [f"{sym[6]} {sym[7]:x} {how} {name}" for name, how, sym in res]
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write("\n".join(lines) + "\n")


def _compile_gcc(state: Lto, opts) -> list[str]:
    """lto-wrapper (every round compiles all the IR found so far); it prints the objects."""
    import subprocess
    env = os.environ
    if "COLLECT_GCC" not in env or "COLLECT_GCC_OPTIONS" not in env:
        raise LinkError(f"{state.sources[0][0]}: is a GCC LTO object (built with -flto): link it through "
                        f"the gcc driver (gcc -flto -B DIR ...), which gives lto-wrapper its options")
    out = "dyn" if opts.shared else "pie" if opts.pie else "exec"
    resolution = state.temp(f"lto{state.rounds}.res")
    _write_resolution(state, resolution)
    argv = [state.tool, *state.args, f"-flinker-output={out}", f"-fresolution={resolution}",
            *(ir for _, ir, _ in state.sources)]
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, pass_fds=_jobserver_fds(env))
    except OSError as e:
        raise LinkError(f"cannot run {state.tool}: {e.strerror}")
    if p.returncode != 0:
        raise LinkError(f"lto-wrapper failed (exit status {p.returncode}): LTO compilation of "
                        f"{', '.join(s for s, _, _ in state.sources)}")
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


def _compile_llvm(state: Lto, opts) -> list[str]:
    """llvm-lto2 run, with a resolution for every symbol of every bitcode file (-r FILE,NAME,
    FLAGS: p the definition that prevails, x seen from outside the IR; every global is taken
    as seen from outside): its objects are PREFIX.0, PREFIX.1, ..."""
    import subprocess
    bad = [a[1] for a in state.args if isinstance(a, tuple)]
    if bad:
        raise LinkError(f"-plugin-opt={bad[0]} is not supported (LLVM LTO through llvm-lto2)")
    model = "pic" if opts.position_independent() else "static"
    prefix = state.temp(f"lto{state.rounds}")
    lines = [f"--relocation-model={model}", *state.args, *state.arch_args, *opts.mllvm, "-o", prefix]
    for _, path, res in state.sources:
        lines.append(path)
        lines += [f"-r={path},{name},{flags}" for name, flags, _ in res]
    rsp = state.temp(f"lto{state.rounds}.rsp")
    with open(rsp, "w") as f:
        f.write("\n".join(_quote(x) for x in lines) + "\n")
    try:
        p = subprocess.run([state.tool, "run", f"@{rsp}"], stdin=subprocess.DEVNULL)
    except OSError as e:
        raise LinkError(f"cannot run {state.tool} ({e.strerror}): install LLVM's tools (llvm-lto2) "
                        f"beside LLVMgold.so")
    if p.returncode != 0:
        raise LinkError(f"llvm-lto2 failed (exit status {p.returncode}): LTO compilation of "
                        f"{', '.join(s for s, _, _ in state.sources)}")
    base = os.path.basename(prefix) + "."
    outs = sorted((int(n[len(base):]), n) for n in os.listdir(state.temp_dir)
                  if n.startswith(base) and n[len(base):].isdigit())
    objs = [os.path.join(state.temp_dir, n) for _, n in outs if os.path.getsize(os.path.join(state.temp_dir, n))]
    if not objs:
        raise LinkError("llvm-lto2 returned no objects")
    return objs


def _quote(arg: str) -> str:
    """One response-file argument (LLVM reads them as a GNU shell would)."""
    if arg and all(c.isalnum() or c in "-_=,./+:@%" for c in arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
        if it.kind == "lib" and not placed and not previous and first.archive is not None:
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
