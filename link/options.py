"""Command-line options: the GNU ld / lld spellings that GCC's collect2 and Clang pass.

Options are parsed in order into ``Options``; inputs keep their position relative to
--start-group/--end-group and --whole-archive, which change how archives are read.
"""
from __future__ import annotations

import os

from xld.link.errors import LinkError


class Input:
    """One input item, in command-line order."""
    __slots__ = ("kind", "value", "static_only")

    def __init__(self, kind: str, value: str = "", static_only: bool = True):
        self.kind = kind     # "file" | "lib" | "group_start" | "group_end" | "whole_on" | "whole_off"
        self.value = value
        self.static_only = static_only

    def __repr__(self) -> str:
        return f"Input({self.kind!r}, {self.value!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Input) and (self.kind, self.value, self.static_only) == (
            other.kind, other.value, other.static_only)


class Options:
    """The parsed command line: every option's default.  (A plain class: a dataclass with this
    many fields costs milliseconds to create at import, on every link.)"""

    def __init__(self):
        self.output: str = "a.out"
        self.arch: str | None = None
        self.emulation: str | None = None
        self.entry: str | None = None
        self.inputs: list[Input] = []
        self.lib_paths: list[str] = []
        self.sysroot: str = ""
        self.strip_all: bool = False
        self.strip_debug: bool = False
        self.discard_all: bool = False
        self.discard_locals: bool = False
        self.gc_sections: bool = False
        self.print_gc_sections: bool = False
        self.print_icf_sections: bool = False
        self.dumpdep: bool = False
        self.why_live: list[str] = []
        self.map_file: str | None = None
        self.undefined: list[str] = []
        self.defsym: list[tuple[str, str]] = []
        self.relax: bool = True
        self.build_id: str | None = None
        self.eh_frame_hdr: bool = False
        self.max_page_size: int | None = None
        self.image_base: int | None = None
        self.section_start: dict[str, int] = {}
        self.z: list[str] = []
        self.pie: bool = False
        self.fix_cortex_a53_843419: bool = False
        self.stats: bool = False
        self.time_trace: str | None = None
        self.verify: bool = False
        self.icf: str = "none"
        self.error_limit: int = 20
        self.warn_common: bool = False
        self.fatal_warnings: bool = False
        self.trace: bool = False
        self.version_only: bool = False
        self.help: bool = False
        self.plugin_opts: list[str] = []


# options that take a value and are accepted but have no effect on a static link
_IGNORED_WITH_ARG = {"-plugin", "--plugin", "-plugin-opt", "--plugin-opt", "--hash-style", "-hash-style",
                     "-dynamic-linker", "--dynamic-linker", "-soname", "--soname", "-h", "-rpath",
                     "--rpath", "-rpath-link", "--rpath-link", "--sort-section", "-O",
                     "--version-script", "--exclude-libs", "--compress-debug-sections",
                     "--thread-count", "--threads", "-A", "--architecture", "--package-metadata",
                     "--sort-common", "--icf", "--build-id", "--error-limit", "-Y", "-F", "--auxiliary",
                     "-f", "--filter", "-assert", "--dependency-file", "--unresolved-symbols"}
_IGNORED_FLAGS = {"-static", "-Bstatic", "-dn", "-non_shared", "-X", "--discard-locals", "-EL",
                  "--as-needed", "--no-as-needed", "--eh-frame-hdr", "--no-eh-frame-hdr",
                  "-nostdlib", "--no-dynamic-linker", "-no-pie", "--no-pie", "--no-undefined",
                  "-d", "-dc", "-dp", "-P", "--enable-new-dtags", "--disable-new-dtags",
                  "--sort-common", "--no-relax-gp", "--relax-gp", "--color-diagnostics", "--no-color-diagnostics",
                  "--no-fatal-warnings", "-g", "--no-keep-memory", "--reduce-memory-overheads",
                  "--hash-style=gnu", "--hash-style=sysv", "--hash-style=both", "--warn-once",
                  "--no-warn-mismatch", "--no-undefined-version", "--build-id", "-Bsymbolic",
                  "--fix-cortex-a53-835769", "--no-fix-cortex-a53-843419", "--fix-cortex-a53-843419",
                  "--no-export-dynamic", "--allow-shlib-undefined", "--no-allow-shlib-undefined",
                  "--copy-dt-needed-entries", "--no-copy-dt-needed-entries", "--export-dynamic",
                  "-E", "--warn-common", "--fatal-warnings", "-nopie", "--no-warn-rwx-segments",
                  "--warn-rwx-segments", "--no-gc-sections", "--gc-sections", "--print-gc-sections",
                  "--no-print-gc-sections", "-s", "--strip-all", "-S", "--strip-debug", "-x",
                  "--discard-all", "--relax", "--no-relax", "--stats", "--verify", "-M", "--print-map",
                  "-dumpdep", "--dumpdep", "-pie", "--pie", "-static-pie", "--static-pie",
                  "-v", "--version", "-V", "--help", "-t", "--trace", "-r", "-shared", "--shared",
                  "-Bdynamic", "-dy", "-call_shared"}

HELP = """\
Usage: xld [options] file...
       xld run [--root DIR] [--timeout S] [--max-insns N] [--strace] PROG [ARGS...]
       xld nm FILE | xld objdump [-d] [-h] [-t] FILE | xld demo

A static ELF linker for AArch64 and RISC-V 64 (a drop-in 'ld' for gcc -B and clang -fuse-ld).

Options:
  --arch ARCH            target: arm64 (aarch64) or riscv64 (rv64, riscv); default: from the first object
  -m EMULATION           aarch64linux, aarch64elf, elf64lriscv ... (selects the target like --arch)
  -o FILE                output file (default a.out)
  -e SYM, --entry=SYM    entry symbol (default _start)
  -L DIR, -l LIB, -l:FILE  library search path and libraries (static archives)
  --start-group ... --end-group, -( ... -)   rescan archives until nothing new is needed
  --whole-archive / --no-whole-archive
  -u SYM, --undefined=SYM  start with SYM undefined (pulls it from archives; a GC root)
  --defsym=SYM=VALUE     define a symbol
  --gc-sections          remove sections unreachable from the roots
  --print-gc-sections    list removed sections
  --dumpdep              print the dependency edges that --gc-sections walks
  --why-live=SYM         print why SYM is kept
  --icf=all|safe|none    fold identical read-only sections (safe: not address-taken ones)
  --print-icf-sections   list folded sections
  -Map FILE, -M          write a link map (to FILE, or stdout)
  -s, --strip-all        no symbol table;  -S, --strip-debug: no debug sections
  -x, --discard-all      no local symbols
  --relax / --no-relax   RISC-V linker relaxation (default on)
  --section-start=SEC=ADDR, -Ttext=ADDR, -Tdata=ADDR, -Tbss=ADDR
  -z max-page-size=N, -z now|relro|noexecstack ...  (static-link relevant ones honoured)
  --build-id[=sha1|md5|uuid|0xHEX|none]
  --eh-frame-hdr         emit .eh_frame_hdr and PT_GNU_EH_FRAME
  --stats                print per-pass timings and peak memory
  --sysroot=DIR          prefix for '=' in search paths
  @FILE                  read more options from FILE
  --version, -v          print the version
"""


def _expand_response_files(args: list[str], depth: int = 0) -> list[str]:
    out = []
    for a in args:
        if a.startswith("@") and len(a) > 1:
            if depth > 20:
                raise LinkError("response files nest too deeply")
            path = a[1:]
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except OSError as e:
                raise LinkError(f"cannot open response file {path}: {e.strerror}")
            import shlex
            out.extend(_expand_response_files(shlex.split(text, posix=True), depth + 1))
        else:
            out.append(a)
    return out


def _int(text: str, what: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        try:
            return int(text, 16)
        except ValueError:
            raise LinkError(f"invalid {what}: {text}")


# Options without an argument that set one field: option -> (field, value)
_SWITCHES = {
    **dict.fromkeys(("-s", "--strip-all"), ("strip_all", True)),
    **dict.fromkeys(("-S", "--strip-debug"), ("strip_debug", True)),
    **dict.fromkeys(("-x", "--discard-all"), ("discard_all", True)),
    **dict.fromkeys(("-X", "--discard-locals"), ("discard_locals", True)),
    "--gc-sections": ("gc_sections", True), "--no-gc-sections": ("gc_sections", False),
    "--print-gc-sections": ("print_gc_sections", True),
    "--print-icf-sections": ("print_icf_sections", True),
    **dict.fromkeys(("--dumpdep", "-dumpdep"), ("dumpdep", True)),
    **dict.fromkeys(("-M", "--print-map"), ("map_file", "-")),
    "--relax": ("relax", True), "--no-relax": ("relax", False),
    "--eh-frame-hdr": ("eh_frame_hdr", True), "--no-eh-frame-hdr": ("eh_frame_hdr", False),
    "--build-id": ("build_id", "sha1"),
    **dict.fromkeys(("-pie", "--pie", "-static-pie", "--static-pie"), ("pie", True)),
    **dict.fromkeys(("-no-pie", "--no-pie", "-nopie"), ("pie", False)),
    "--stats": ("stats", True), "--verify": ("verify", True),
    "--fix-cortex-a53-843419": ("fix_cortex_a53_843419", True),
    "--fatal-warnings": ("fatal_warnings", True),
    **dict.fromkeys(("-t", "--trace"), ("trace", True)),
}


def parse(argv: list[str]) -> Options:
    args = _expand_response_files(argv)
    o = Options()
    i = 0
    n = len(args)

    def value(opt: str) -> str:
        nonlocal i
        if i + 1 >= n:
            raise LinkError(f"{opt}: missing argument")
        i += 1
        return args[i]

    while i < n:
        a = args[i]
        # long options with '=' (accept one or two dashes)
        if a.startswith("-") and "=" in a and not a.startswith(("-l", "-L", "-z", "-o")):
            key, val = a.split("=", 1)
            k = "--" + key.lstrip("-")
            if k == "--arch":
                o.arch = val
            elif k in ("--output",):
                o.output = val
            elif k == "--entry":
                o.entry = val
            elif k == "--sysroot":
                o.sysroot = val
            elif k == "--undefined":
                o.undefined.append(val)
            elif k == "--defsym":
                if "=" not in val:
                    raise LinkError(f"--defsym: syntax error: {val}")
                o.defsym.append(tuple(val.split("=", 1)))
            elif k == "--section-start":
                if "=" not in val:
                    raise LinkError(f"--section-start: expected SECTION=ADDRESS, got {val}")
                sec, addr = val.split("=", 1)
                o.section_start[sec] = _int(addr, "address")
            elif k in ("--Ttext", "--Tdata", "--Tbss", "--Trodata-segment", "--Ttext-segment"):
                name = {"--Ttext": ".text", "--Tdata": ".data", "--Tbss": ".bss"}.get(k)
                if name:
                    o.section_start[name] = _int(val, "address")
                elif k == "--Ttext-segment":
                    o.image_base = _int(val, "address")
            elif k == "--image-base":
                o.image_base = _int(val, "address")
            elif k == "--build-id":
                o.build_id = val
            elif k == "--why-live":
                o.why_live.append(val)
            elif k in ("--Map",):
                o.map_file = val
            elif k == "--icf":
                o.icf = val
            elif k == "--error-limit":
                o.error_limit = _int(val, "error limit")
            elif k == "--time-trace-file" or k == "--time-trace":
                o.time_trace = val
            elif k == "--max-page-size":
                o.max_page_size = _int(val, "max-page-size")
            elif "--" + key.lstrip("-") in {x if x.startswith("--") else "-" + x for x in _IGNORED_WITH_ARG} \
                    or key in _IGNORED_WITH_ARG or a in _IGNORED_FLAGS:
                if key.lstrip("-") in ("plugin-opt",):
                    o.plugin_opts.append(val)
            elif k in ("--hash-style", "--plugin-opt", "--compress-debug-sections", "--sort-section",
                       "--unresolved-symbols", "--threads", "--thread-count", "--package-metadata",
                       "--dependency-file", "--exclude-libs", "--version-script", "--dynamic-linker"):
                pass
            else:
                raise LinkError(f"unknown argument '{a}'")
            i += 1
            continue
        if a in _SWITCHES:
            attr, v = _SWITCHES[a]
            setattr(o, attr, v)
        elif a == "--arch":
            o.arch = value(a)
        elif a == "-o" or a == "--output":
            o.output = value(a)
        elif a.startswith("-o") and len(a) > 2 and not a.startswith("--"):
            o.output = a[2:]
        elif a in ("-e", "--entry"):
            o.entry = value(a)
        elif a.startswith("-e") and len(a) > 2 and not a.startswith("--") and a not in ("-export-dynamic",):
            o.entry = a[2:]
        elif a == "-L" or a == "--library-path":
            o.lib_paths.append(value(a))
        elif a.startswith("-L"):
            o.lib_paths.append(a[2:])
        elif a == "-l" or a == "--library":
            o.inputs.append(Input("lib", value(a)))
        elif a.startswith("-l"):
            o.inputs.append(Input("lib", a[2:]))
        elif a in ("--start-group", "-("):
            o.inputs.append(Input("group_start"))
        elif a in ("--end-group", "-)"):
            o.inputs.append(Input("group_end"))
        elif a == "--whole-archive":
            o.inputs.append(Input("whole_on"))
        elif a == "--no-whole-archive":
            o.inputs.append(Input("whole_off"))
        elif a == "-mllvm":
            value(a)
        elif a == "-m":
            o.emulation = value(a)
        elif a.startswith("-m") and len(a) > 2 and not a.startswith("--"):
            o.emulation = a[2:]
        elif a == "--why-live":
            o.why_live.append(value(a))
        elif a in ("-Map", "--Map"):
            o.map_file = value(a)
        elif a in ("-u", "--undefined"):
            o.undefined.append(value(a))
        elif a.startswith("-u") and len(a) > 2 and not a.startswith("--"):
            o.undefined.append(a[2:])
        elif a == "--defsym":
            v = value(a)
            if "=" not in v:
                raise LinkError(f"--defsym: syntax error: {v}")
            o.defsym.append(tuple(v.split("=", 1)))
        elif a in ("-z",):
            o.z.append(value(a))
        elif a.startswith("-z") and len(a) > 2:
            o.z.append(a[2:])
        elif a in ("-Ttext", "-Tdata", "-Tbss"):
            o.section_start["." + a[2:]] = _int(value(a), "address")
        elif a in ("-T", "--script"):
            raise LinkError(f"{a}: linker scripts are not supported")
        elif a == "--sysroot":
            o.sysroot = value(a)
        elif a in ("-shared", "--shared", "-Bshareable"):
            raise LinkError("-shared: xld links static executables only")
        elif a == "-r" or a == "--relocatable":
            raise LinkError("-r: relocatable output is not supported")
        elif a in ("-Bdynamic", "-dy", "-call_shared"):
            pass
        elif a in ("-v", "--version", "-V"):
            o.version_only = True
        elif a in ("-h", "--help") and (a == "--help" or i + 1 >= n):
            o.help = True
        elif a in _IGNORED_FLAGS:
            pass
        elif a in _IGNORED_WITH_ARG:
            v = value(a)
            if a in ("-plugin-opt", "--plugin-opt"):
                o.plugin_opts.append(v)
        elif a.startswith("-O") and a[2:].isdigit():
            pass                            # optimization level: nothing to optimize
        elif a == "-":
            raise LinkError("reading an object from standard input is not supported")
        elif a.startswith("-") and len(a) > 1:
            raise LinkError(f"unknown argument '{a}'")
        else:
            o.inputs.append(Input("file", a))
        i += 1
    for z in o.z:
        if z.startswith("max-page-size="):
            o.max_page_size = _int(z.split("=", 1)[1], "max-page-size")
        elif z.startswith("common-page-size=") or z in (
                "now", "lazy", "relro", "norelro", "noexecstack", "execstack", "separate-code",
                "noseparate-code", "text", "notext", "defs", "nodefs", "origin", "nodelete",
                "noexecheap", "combreloc", "nocombreloc", "nocopyreloc", "ibt", "shstk",
                "force-bti", "pac-plt", "start-stop-gc", "nostart-stop-gc", "keep-text-section-prefix",
                "nokeep-text-section-prefix", "rodynamic", "global", "initfirst", "interpose",
                "muldefs", "nognustack", "notext", "undefs") or z.startswith("stack-size=") \
                or z.startswith("start-stop-visibility=") or z.startswith("bti-report") \
                or z.startswith("gcs"):
            pass
        else:
            raise LinkError(f"unknown -z value: {z}")
    if o.max_page_size is not None and (o.max_page_size <= 0 or o.max_page_size & (o.max_page_size - 1)):
        raise LinkError(f"max-page-size: value isn't a power of 2: {o.max_page_size:#x}")
    return o


def find_library(o: Options, name: str) -> str:
    """-lNAME searches lib NAME.a in the -L paths (static link: archives only); -l:FILE exact."""
    if name.startswith(":"):
        wanted = [name[1:]]
    else:
        wanted = [f"lib{name}.a"]
    for d in o.lib_paths:
        if d.startswith("=") and o.sysroot:
            d = os.path.join(o.sysroot, d[1:].lstrip("/"))
        for w in wanted:
            p = os.path.join(d, w)
            if os.path.isfile(p):
                return p
    raise LinkError(f"unable to find library -l{name}")
