"""Command-line options: the GNU ld / lld spellings that GCC's collect2 and Clang pass.

Options are parsed in order into ``Options``; inputs keep their position relative to
--start-group/--end-group and --whole-archive, which change how archives are read.
"""
from __future__ import annotations

import os
import re

from xld.link.errors import LinkError, run_error_hook


class Input:
    """One input item, in command-line order."""
    __slots__ = ("kind", "value", "static_only", "as_needed")

    def __init__(self, kind: str, value: str = "", static_only: bool = False, as_needed: bool = False):
        self.kind = kind     # "file" | "lib" | "group_start" | "group_end" | "whole_on" | "whole_off"
                             # | "lib_start" | "lib_end" (--start-lib/--end-lib) | "binary" (-b binary FILE)
        self.value = value
        self.static_only = static_only    # -Bstatic in force: -l finds archives only
        self.as_needed = as_needed        # --as-needed in force: DT_NEEDED only if used

    def __repr__(self) -> str:
        return f"Input({self.kind!r}, {self.value!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Input) and (self.kind, self.value, self.static_only, self.as_needed) == (
            other.kind, other.value, other.static_only, other.as_needed)


class Options:
    """The parsed command line: every option's default.  (A plain class: a dataclass with this
    many fields costs milliseconds to create at import, on every link.)"""

    def __init__(self):
        self.output: str = "a.out"
        self.output_given: bool = False              # -o given (a script's OUTPUT(...) yields to it)
        self.arch: str | None = None
        self.emulation: str | None = None
        self.entry: str | None = None
        self.inputs: list[Input] = []
        self.lib_paths: list[str] = []
        self.sysroot: str = ""
        self.strip_all: bool = False
        self.strip_debug: bool = False
        # local symbols in .symtab: "locals" (-X: .L labels go; what GNU ld does by default
        # for an output that is not -r), "all" (-x), "none" (--discard-none); the last option
        # given wins; None: not given
        self.discard: str | None = None
        self.gc_sections: bool = False
        self.print_gc_sections: bool = False
        self.gc_keep_exported: bool = False      # --gc-keep-exported: default/protected globals are roots
        self.cref: bool = False                  # --cref: the cross reference table (map or stdout)
        self.print_map_discarded: bool = True    # --no-print-map-discarded: the map without discarded sections
        self.print_icf_sections: bool = False
        self.dumpdep: bool = False
        self.why_live: list[str] = []
        self.map_file: str | None = None
        self.undefined: list[str] = []
        self.defsym: list[tuple[str, str]] = []    # (NAME, a number or a symbol), --defsym_value's
        self.defsym_addend: dict[str, int] = {}   # NAME -> the constant added to its symbol
        self.relax: bool = True
        self.build_id: str | None = None
        self.eh_frame_hdr: bool = False
        self.max_page_size: int | None = None
        self.image_base: int | None = None
        self.segment_starts: dict[str, int] = {}  # -Trodata-segment (a script's SEGMENT_START)
        self.section_start: dict[str, int] = {}
        self.z: list[str] = []
        self.z_warnings: list[str] = []          # -z keywords that did nothing: GNU ld's / lld's warnings
        self.z_fatal: set[int] = set()           # places in z of keywords given after --fatal-warnings
        self.z_errors: list[str] = []            # their warnings: errors (GNU ld decides as it reads -z)
        self.pie: bool = False                   # -pie: position-independent executable (ET_DYN)
        self.static: bool = False                # -static seen: no shared objects at all
        self.static_pie: bool = False            # --static-pie, or -pie with --no-dynamic-linker
        self.no_dynamic_linker: bool = False
        self.dynamic_linker: str | None = None   # PT_INTERP; default: the arch's loader
        self.rpath: list[str] = []
        self.rpath_link: list[str] = []
        self.new_dtags: bool = True              # DT_RUNPATH (True) or DT_RPATH
        self.hash_style: str = "both"            # gnu | sysv | both
        self.export_dynamic: bool = False
        self.shared: bool = False                # -shared: a shared library (ET_DYN, DT_SONAME)
        self.soname: str | None = None
        self.version_scripts: list[str] = []
        self.version_texts: list[tuple[str, str]] = []   # a -T script's VERSION { ... }: (text, file)
        self.bsymbolic: str = ""                 # "", "all" (-Bsymbolic), "functions"
        self.no_undefined: bool = False          # -z defs / --no-undefined
        self.bgroup: bool = False                # -Bgroup: DF_1_GROUP (ld.so looks names up in the object's group)
        # --[no-]allow-shlib-undefined: whether shared objects' own undefined symbols may stay
        # undefined (None: the default, checked for executables only; link/needed.py)
        self.allow_shlib_undefined: bool | None = None
        self.demangle: bool = True               # C++ names in messages demangled
        self.pack_relr: bool = False             # -z pack-relative-relocs: .relr.dyn
        self.start_stop_visibility: int = 3      # -z start-stop-visibility=: __start_SEC/__stop_SEC's STV_ (protected)
        self.default_symver: bool = False        # --default-symver: every export versioned as the soname
        self.dynamic_list: list[str] = []        # --dynamic-list FILE: exported / interposable
        self.dynamic_list_data: bool = False     # --dynamic-list-data: every global data symbol listed
        self.dynamic_list_cpp_new: bool = False  # --dynamic-list-cpp-new: operator new/delete listed
        self.dynamic_list_cpp_typeinfo: bool = False   # --dynamic-list-cpp-typeinfo: typeinfo listed
        self.export_dynamic_symbol: list[str] = []   # --export-dynamic-symbol GLOB
        self.audit: list[str] = []                 # --audit LIB: DT_AUDIT (colon-separated)
        self.depaudit: list[str] = []              # -P LIB, --depaudit LIB: DT_DEPAUDIT
        self.ignore_unresolved: set[str] = set()   # --ignore-unresolved-symbol SYM: never reported (0, or imported)
        self.spare_dynamic_tags: int = 0           # --spare-dynamic-tags N: more DT_NULL entries at .dynamic's end
        self.warn_search_mismatch: bool = True     # --no-warn-search-mismatch: no word of a skipped library
        self.no_apply_dynamic_relocs: bool = False  # AArch64: RELATIVE data places hold 0 (link/dynamic.py)
        self.export_dynamic_symbol_list: list[str] = []   # --export-dynamic-symbol-list FILE: more such globs
        self.exclude_libs: list[str] = []        # archives whose symbols are not exported (ALL)
        self.init_sym: str = "_init"             # DT_INIT / DT_FINI
        self.fini_sym: str = "_fini"
        self.fix_cortex_a53_843419: bool = False
        self.fix_cortex_a53_835769: bool = False
        self.no_undefined_version: bool = False  # a version script's exact names must be defined
        self.filters: list[str] = []             # -F/--filter NAME: DT_FILTER (a shared library)
        self.auxiliary: list[str] = []           # -f/--auxiliary NAME: DT_AUXILIARY
        self.compress_debug: str | None = None   # --compress-debug-sections=zlib
        self.stats: bool = False
        self.time_trace: str | None = None
        self.verify: bool | None = None     # None: XLD_VERIFY=1 in the environment decides
        self.icf: str = "none"
        self.error_limit: int = 20
        self.warn_common: bool = False
        self.fatal_warnings: bool = False
        self.trace: bool = False
        self.verbose: bool = False                 # --verbose in a link: -t's lines and each -l search's attempts
        self.version_only: bool = False
        self.help: bool = False
        self.target_help: bool = False             # --target-help: the targets' own options, then stop
        self.plugin_opts: list[str] = []
        self.plugin: str | None = None           # -plugin PATH: which LTO plugin the driver meant (link/lto.py)
        self.mllvm: list[str] = []               # -mllvm OPT: LLVM's options for LTO code generation (lld's)
        self.execstack: bool | None = None         # -z execstack / noexecstack; None: the inputs' .note.GNU-stack decide
        self.warn_execstack: bool = True           # --no-warn-execstack: no warning when an input asks for it
        self.no_warnings: bool = False             # -w, --no-warnings: warnings not shown (errors still are)
        self.warn_textrel: bool = False            # --warn-textrel: a warning when the output gets DT_TEXTREL
        self.print_output_format: bool = False     # --print-output-format: the target's OUTPUT_FORMAT name
        self.print_sysroot: bool = False           # --print-sysroot: --sysroot's value, then exit
        self.gnu_stack: bool = True                # -z nognustack: no PT_GNU_STACK at all
        self.stack_size: int = 0                   # -z stack-size=N: PT_GNU_STACK's p_memsz
        self.relro: bool = True                    # -z norelro: no PT_GNU_RELRO
        self.common_page_size: int | None = None   # -z common-page-size=N: where RELRO ends
        self.dependency_file: str | None = None    # --dependency-file=F: Makefile rule of the inputs
        self.package_metadata: str | None = None   # --package-metadata=JSON: a .note.package
        self.sort_common: str | None = None        # --sort-common[=ascending|descending]
        self.define_common: bool = False           # -d/-dc/-dp: a -r output gives commons space in .bss
        self.force_group_allocation: bool = False  # -r: group members as plain sections, no groups
        self.sort_section: str | None = None       # --sort-section=name|alignment (a script's wildcards)
        self.relax_gp: bool = True                 # --no-relax-gp: no gp-relative relaxation
        self.require_defined: list[str] = []       # --require-defined=SYM: -u, and an error if not defined
        self.unresolved: str = "report-all"        # --unresolved-symbols=: which undefined symbols are reported
        self.warn_unresolved: bool = False         # --warn-unresolved-symbols: reported as warnings, link goes on
        self.warn_once: bool = False               # --warn-once: one reference per undefined symbol
        self.wrap: set[str] = set()                # --wrap=SYM: SYM -> __wrap_SYM, __real_SYM -> SYM
        self.trace_symbol: set[str] = set()        # --trace-symbol=SYM, -y SYM: where SYM is used and defined
        self.undefined_glob: list[str] = []        # --undefined-glob=PATTERN: load the members defining matches
        self.retain_symbols_file: str | None = None   # --retain-symbols-file=FILE: the .symtab names kept
        self.print_memory_usage: bool = False      # --print-memory-usage: MEMORY regions' use, on stdout
        self.orphan_handling: str = "place"        # --orphan-handling=: input sections no script rule names
        self.magic: str | None = None              # "omagic" (-N) | "nmagic" (-n): one RWX segment, no shared objects
        self.why_extract: str | None = None        # --why-extract=FILE (lld): why each archive member was loaded
        self.warn_backrefs: bool = False           # --warn-backrefs (lld): a reference that loads a member of an earlier archive
        self.warn_backrefs_exclude: list[str] = []  # --warn-backrefs-exclude=GLOB: members (or objects) not warned of
        self.just_symbols: list[str] = []          # --just-symbols=FILE, -R FILE: FILE's symbols, absolute
        self.execute_only: bool = False            # --execute-only (lld, arm64): code segments PF_X only
        self.warn_rwx: bool = True                 # --no-warn-rwx-segments: no warning for an RWX segment (-N, -n)
        self.allow_multiple_definition: bool = False   # --allow-multiple-definition, -z muldefs
        self.scripts: list[str] = []               # -T FILE / --script FILE (link/script.py)
        self.script_at: int = 0                    # where -T was among the inputs (its INPUT(...) go there)
        self.error_handling_script: str | None = None   # run on an undefined symbol or a missing library (hints)
        self.default_script: str | None = None     # -dT FILE: the script in place of the default layout
        self.default_script_at: int = 0            #   (a -T script replaces it, an INSERT one joins it)
        self.oformat: str = "elf"                  # --oformat binary: a flat image (link/flat.py)
        self.relocatable: bool = False             # -r: one ET_REL object (link/relocatable.py)
        self.emit_relocs: bool = False             # -q: the final relocations kept (link/emitrelocs.py)

    def has_dynamic_list(self) -> bool:
        """Whether a dynamic list names what is exported (an executable) or interposable (a
        shared library): --dynamic-list files, --export-dynamic-symbol[-list], GNU ld's
        built-in lists.  In a shared library --export-dynamic-symbol[-list] alone is nothing
        (GNU ld: "a no-op ... when -Bsymbolic or --dynamic-list are not specified"): every
        symbol stays interposable."""
        listed = bool(self.dynamic_list or self.dynamic_list_data or self.dynamic_list_cpp_new
                      or self.dynamic_list_cpp_typeinfo)
        exported = bool(self.export_dynamic_symbol or self.export_dynamic_symbol_list)
        if self.shared and not listed and not self.bsymbolic:
            return False
        return listed or exported

    def position_independent(self) -> bool:
        """Whether the output is loaded at an address known only at run time: a shared
        library, a PIE or a static PIE (-static-pie sets static_pie alone)."""
        return self.shared or self.pie or self.static_pie

    def keeps_undefined(self) -> bool:
        """Whether objects' undefined symbols stay undefined without failing the link
        (--unresolved-symbols=ignore-all|ignore-in-object-files, --warn-unresolved-symbols):
        0 in a static link, bound at run time in a dynamic one, as GNU ld does."""
        return self.warn_unresolved or self.unresolved in ("ignore-all", "ignore-in-object-files")


# Options that take a value and are accepted without changing the output of a static link.
# Why each one may be ignored (tests/test_options.py proves every accepted option is in a
# table: honoured, ignored for a reason, or an error):
#   -plugin, -plugin-opt          the LTO plugin: not loaded; xld does its work (link/lto.py)
#   -O                            output optimization level: never changes what runs
#   --thread-count, --threads     how fast, not what
#   -A/--architecture             GNU ld's BFD architecture: the ELF inputs decide it
#   -assert                       SunOS compatibility; GNU ld ignores it too
#   -flto-partition=, -fuse-ld=   GNU ld ignores them too (GCC option compatibility)
#   --hash-size=, --max-cache-size=   the size of GNU ld's own tables and caches: how fast
_IGNORED_WITH_ARG = {"-plugin", "--plugin", "-plugin-opt", "--plugin-opt", "-O",
                     "-flto-partition", "-fuse-ld", "--hash-size", "--max-cache-size",

                     "--thread-count", "--threads", "-A", "--architecture",
                     "-assert"}
# Switches accepted without changing the output of a static link, and why:
#   -EL                                   the output is little-endian anyway
#   -nostdlib                             xld has no built-in library directories
#   -g                                    GNU ld ignores it too
#   --color-diagnostics, --no-color-diagnostics   how messages look
#   --no-keep-memory, --reduce-memory-overheads   memory only
#   --no-warn-mismatch                    xld's checks still apply: an error, never a wrong output
#   --check-sections                      the default: xld always checks (--no-check-sections: an error)
#   --copy-dt-needed-entries, --no-copy-dt-needed-entries   what DT_NEEDED of a shared object
#                                         brings (xld never takes a library's DT_NEEDED)
#   -Qy, -flto                            GNU ld ignores them too (SVR4 and GCC option compatibility)
#   --warn-constructors, --warn-multiple-gp, --warn-alternate-em   GNU ld warns of nothing
#                                         with them for ELF on AArch64 and RISC-V
#   --map-whole-files, --no-map-whole-files   how inputs are read
#   --no-accept-unknown-input-arch, --strip-discarded   the defaults (their opposites: errors)
# The others below are in _SWITCHES or parse() and honoured there.
_IGNORED_FLAGS = {"-X", "--discard-locals", "-EL",
                  "--eh-frame-hdr", "--no-eh-frame-hdr",
                  "-nostdlib",
                  "--color-diagnostics", "--no-color-diagnostics",
                  "--no-fatal-warnings", "-g", "--no-keep-memory", "--reduce-memory-overheads",
                  "--no-warn-mismatch", "--build-id",
                  "--no-fix-cortex-a53-843419", "--fix-cortex-a53-843419", "--fix-cortex-a53-835769",
                  "--copy-dt-needed-entries", "--no-copy-dt-needed-entries",
                  "--warn-common", "--fatal-warnings", "-nopie", "--no-gc-sections", "--gc-sections", "--print-gc-sections",
                  "--no-print-gc-sections", "-s", "--strip-all", "-S", "--strip-debug", "-x",
                  "--discard-all", "--relax", "--no-relax", "--stats", "-M", "--print-map",
                  "-dumpdep", "--dumpdep",
                  "-v", "--version", "-V", "--help", "-t", "--trace", "--check-sections",
                  "-Qy", "-flto", "--warn-constructors", "--warn-multiple-gp", "--warn-alternate-em",
                  "--map-whole-files", "--no-map-whole-files", "--no-accept-unknown-input-arch",
                  "--strip-discarded"}

# Options GNU ld or lld know that xld does not implement: an error that says so (never
# silently accepted; and a one-dash spelling such as -emit-relocs is not taken for -e mit-relocs)
_UNSUPPORTED = {
    "-EB": "-EB: big-endian output is not supported",
    # output sections are one per name: an output section per input section is not cheap
    "--unique": "--unique is not supported (one output section per input section)",
    # common symbols always get space: leaving them unallocated in a -shared output is not done
    "--no-define-common": "--no-define-common is not supported (common symbols always get space)",
    # GNU ld's -r that also builds constructor tables for a.out-era targets; for ELF it
    # changes the scripts' .ctors handling, which xld's -r does not follow
    "-Ur": "-Ur is not supported (use -r)",
    # sections that share addresses are always an error (lld's check; GNU ld's default)
    "--no-check-sections": "--no-check-sections is not supported (overlapping sections are always an error)",
    # an output despite errors is an output known to be wrong
    "--noinhibit-exec": "--noinhibit-exec is not supported (xld writes no output when the link has errors)",
    # symbols of discarded sections (COMDAT copies, --gc-sections) always leave .symtab
    "--no-strip-discarded": "--no-strip-discarded is not supported (symbols of discarded sections are left out)",
    # an object of a machine xld does not know cannot be linked
    "--accept-unknown-input-arch": "--accept-unknown-input-arch is not supported (every input must be AArch64 or RISC-V 64)",
    "--traditional-format": "--traditional-format is not supported",
    "--default-imported-symver": "--default-imported-symver is not supported",
    # warnings xld does not give
    "--warn-section-align": "--warn-section-align is not supported",
}

# GNU ld's --target-help: each emulation's own options
TARGET_HELP = """\
aarch64linux, aarch64elf (--arch arm64):
  --fix-cortex-a53-843419, --no-fix-cortex-a53-843419   patch erratum 843419's sequences
  --fix-cortex-a53-835769   patch erratum 835769's multiply-accumulates
  --execute-only            code segments executable, not readable
  -z force-bti              the output marked BTI whatever the inputs say
  -z pac-plt                PLT entries authenticate the address they load
  -z bti-report=none|warning|error   inputs without BTI
  -z gcs-report=..., -z gcs=never|implicit   (GCS: accepted; gcs=always is not supported)
elf64lriscv (--arch riscv64):
  --relax, --no-relax       linker relaxation (default on)
  --relax-gp, --no-relax-gp   gp-relative relaxation (default on)
"""

HELP = """\
Usage: xld [options] file...
       xld run [--root DIR] [--timeout S] [--max-insns N] [--strace] PROG [ARGS...]
       xld nm FILE | xld objdump [-d] [-h] [-t] [-r] FILE | xld demo
       xld bench [--arch A,B] ...       (benchmarks against GNU ld, lld, mold)
       xld install-ld-wrapper DIR       (DIR/ld runs xld: gcc -B DIR, clang -fuse-ld=DIR/ld)
       xld diff A B                     (two linkers' executables of the same objects: the same code?)

An ELF linker for AArch64 and RISC-V 64 (a drop-in 'ld' for gcc -B and clang -fuse-ld):
static, static-pie, PIE and dynamic executables, shared libraries (-shared), relocatable
objects (-r), flat binaries (--oformat binary), linker scripts (-T).
Reference: docs/options.md, docs/dynamic.md, docs/scripts.md, docs/run.md.

Options:
  --arch ARCH            target: arm64 (aarch64) or riscv64 (rv64, riscv); default: from the first object
  -m EMULATION           aarch64linux, aarch64elf, elf64lriscv ... (selects the target like --arch)
  -o FILE                output file (default a.out)
  -e SYM, --entry=SYM    entry symbol (default _start); long options take one dash or two
                         (-gc-sections, -emit-relocs), so -eSYM applies only when it is not one
  -L DIR, -l LIB, -l:FILE  library search path and libraries (libLIB.so, then libLIB.a)
  -static, -Bstatic / -Bdynamic   archives only / shared objects too, for the -l that follow
  -pie, -no-pie, -static-pie     output: PIE (ET_DYN), ET_EXEC, self-relocating static PIE
  -dynamic-linker PATH, --no-dynamic-linker   PT_INTERP (default: the arch's glibc loader)
  --as-needed / --no-as-needed   DT_NEEDED only for shared objects that are used
  --push-state / --pop-state     save and restore -Bstatic, --as-needed, --whole-archive
  -rpath DIR, --enable-new-dtags / --disable-new-dtags   DT_RUNPATH (default) or DT_RPATH
  -rpath-link DIR                where to find the libraries shared objects need (DT_NEEDED)
  --no-allow-shlib-undefined / --allow-shlib-undefined   shared objects' own undefined
                                 symbols are errors (default for executables) / allowed
  -z force-bti, -z pac-plt, -z bti-report=none|warning|error   AArch64 BTI and PAC
  --hash-style=gnu|sysv|both     .gnu.hash and/or .hash (default both)
  -E, --export-dynamic           export every global symbol in .dynsym
  -z now                         DT_FLAGS BIND_NOW, DF_1_NOW
  -z pack-relative-relocs        RELATIVE relocations in .relr.dyn (DT_RELR)
  --pack-dyn-relocs=none|relr    lld's: plain .rela.dyn / as -z pack-relative-relocs
  -shared, -soname NAME, --version-script FILE, -Bsymbolic[-functions], --dynamic-list FILE,
  --export-dynamic-symbol GLOB, --exclude-libs LIBS, -z defs, -init SYM, -fini SYM
  --demangle / --no-demangle     C++ names in messages (default: demangled)
  --start-group ... --end-group, -( ... -)   rescan archives until nothing new is needed
  --whole-archive / --no-whole-archive
  -u SYM, --undefined=SYM  start with SYM undefined (pulls it from archives; a GC root)
  --require-defined=SYM  as -u SYM, and an error if nothing defines SYM
  --allow-multiple-definition, -z muldefs   keep the first of two strong definitions
  --warn-common, --fatal-warnings
  --unresolved-symbols=ignore-all|report-all|ignore-in-object-files|ignore-in-shared-libs,
  --warn-unresolved-symbols, --error-unresolved-symbols, --warn-once
  --wrap=SYM             undefined SYM -> __wrap_SYM, __real_SYM -> SYM
  -y SYM, --trace-symbol=SYM   where SYM is referred to and defined
  --undefined-glob=PATTERN     load archive members defining matching names
  --start-lib ... --end-lib    objects read as archive members (loaded when needed)
  --retain-symbols-file=FILE   .symtab keeps the names FILE lists
  --just-symbols=FILE, -R FILE  FILE's symbols as absolute symbols (FILE not linked)
  -N, --omagic / -n, --nmagic  one RWX segment (sections packed / on their own pages)
  --execute-only         AArch64: code segments executable, not readable
  --orphan-handling=place|warn|error|discard   sections a script's SECTIONS does not name
  --print-memory-usage   the script's MEMORY regions: used, size, share
  --defsym=SYM=VALUE     define a symbol
  --gc-sections          remove sections unreachable from the roots
  --print-gc-sections    list removed sections
  --dumpdep              print the dependency edges that --gc-sections walks
  --why-live=SYM         print why SYM is kept
  --icf=all|safe|none    fold identical read-only sections (safe: not address-taken ones)
  --print-icf-sections   list folded sections
  -Map FILE, -M          write a link map (to FILE, or stdout)
  -s, --strip-all        no symbol table;  -S, --strip-debug: no debug sections
  -x, --discard-all      no local symbols;  -X, --discard-locals: no .L labels (the default);
                         --discard-none: every local symbol
  --relax / --no-relax   RISC-V linker relaxation (default on)
  -q, --emit-relocs      keep the final relocations in the output (.rela.text ...)
  --section-start=SEC=ADDR, -Ttext=ADDR, -Tdata=ADDR, -Tbss=ADDR
  -z max-page-size=N, -z common-page-size=N, -z execstack|noexecstack, -z norelro,
  -z stack-size=N, -z nognustack   (see docs/options.md for every -z keyword)
  --image-base=ADDR      address of the first segment (a multiple of max-page-size)
  --build-id[=sha1|md5|uuid|0xHEX|none]
  --package-metadata=JSON  a .note.package note (%XX decoded, as lld)
  --dependency-file=FILE   write a Makefile rule listing the inputs
  --sort-common[=descending|ascending]  place common symbols by alignment
  --no-relax-gp          RISC-V: no gp-relative relaxation
  -o -                   write the executable to standard output
  --eh-frame-hdr         emit .eh_frame_hdr and PT_GNU_EH_FRAME
  --stats                print per-pass timings and peak memory
  --verify               check every relocated place and the output's structure before writing it
  --sysroot=DIR          prefix for '=' in search paths
  @FILE                  read more options from FILE
  --version, -v          print the version
"""


_MAX_ARGS = 1 << 22          # arguments after expansion: far more than any real link


def _expand_response_files(args: list[str], depth: int = 0, chain: tuple = ()) -> list[str]:
    out = []
    for a in args:
        if a.startswith("@") and len(a) > 1:
            if depth > 20:
                raise LinkError("response files nest too deeply")
            path = a[1:]
            real = os.path.realpath(path)
            if real in chain:
                raise LinkError(f"response file {path} includes itself")
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except OSError as e:
                raise LinkError(f"cannot open response file {path}: {e.strerror}")
            import shlex
            try:
                words = shlex.split(text, posix=True)
            except ValueError as e:          # "No closing quotation", "No escaped character"
                raise LinkError(f"{path}: malformed response file: {str(e).lower()}")
            out.extend(_expand_response_files(words, depth + 1, chain + (real,)))
        else:
            out.append(a)
        if len(out) > _MAX_ARGS:
            raise LinkError(f"too many arguments (more than {_MAX_ARGS} after expanding response files)")
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
    **dict.fromkeys(("-x", "--discard-all"), ("discard", "all")),
    **dict.fromkeys(("-X", "--discard-locals"), ("discard", "locals")),
    "--discard-none": ("discard", "none"),
    "--gc-sections": ("gc_sections", True), "--no-gc-sections": ("gc_sections", False),
    "--print-gc-sections": ("print_gc_sections", True), "--no-print-gc-sections": ("print_gc_sections", False),
    "--print-icf-sections": ("print_icf_sections", True),
    "--gc-keep-exported": ("gc_keep_exported", True),
    "--cref": ("cref", True),
    "--print-map-discarded": ("print_map_discarded", True),
    "--no-print-map-discarded": ("print_map_discarded", False),
    "--dynamic-list-data": ("dynamic_list_data", True),
    "--dynamic-list-cpp-new": ("dynamic_list_cpp_new", True),
    "--dynamic-list-cpp-typeinfo": ("dynamic_list_cpp_typeinfo", True),
    **dict.fromkeys(("--dumpdep", "-dumpdep"), ("dumpdep", True)),
    **dict.fromkeys(("-M", "--print-map"), ("map_file", "-")),
    "--relax": ("relax", True), "--no-relax": ("relax", False),
    **dict.fromkeys(("-q", "--emit-relocs"), ("emit_relocs", True)),
    "--eh-frame-hdr": ("eh_frame_hdr", True), "--no-eh-frame-hdr": ("eh_frame_hdr", False),
    "--build-id": ("build_id", "sha1"),
    **dict.fromkeys(("-pie", "--pie"), ("pie", True)),
    **dict.fromkeys(("-static-pie", "--static-pie"), ("static_pie", True)),
    **dict.fromkeys(("-no-pie", "--no-pie", "-nopie"), ("pie", False)),
    **dict.fromkeys(("--no-dynamic-linker", "-no-dynamic-linker"), ("no_dynamic_linker", True)),
    **dict.fromkeys(("--export-dynamic", "-export-dynamic", "-E"), ("export_dynamic", True)),
    **dict.fromkeys(("--no-export-dynamic", "-no-export-dynamic"), ("export_dynamic", False)),
    **dict.fromkeys(("--enable-new-dtags", "-enable-new-dtags"), ("new_dtags", True)),
    **dict.fromkeys(("--disable-new-dtags", "-disable-new-dtags"), ("new_dtags", False)),
    "--stats": ("stats", True),
    **dict.fromkeys(("--demangle", "-demangle"), ("demangle", True)),
    **dict.fromkeys(("--default-symver", "-default-symver"), ("default_symver", True)),
    **dict.fromkeys(("--no-demangle", "-no-demangle"), ("demangle", False)),
    "--verify": ("verify", True),          # check every relocated place and the structure (link/verify.py)
    "--no-verify": ("verify", False),
    "--fix-cortex-a53-843419": ("fix_cortex_a53_843419", True),
    "--no-fix-cortex-a53-843419": ("fix_cortex_a53_843419", False),
    "--fix-cortex-a53-835769": ("fix_cortex_a53_835769", True),
    "--no-undefined-version": ("no_undefined_version", True), "--undefined-version": ("no_undefined_version", False),
    "--relax-gp": ("relax_gp", True), "--no-relax-gp": ("relax_gp", False),
    "--sort-common": ("sort_common", "descending"),
    # commons always get space in a final link; -r keeps them common unless told (link/relocatable.py)
    **dict.fromkeys(("-d", "-dc", "-dp"), ("define_common", True)),
    # a final link allocates group members anyway; -r then writes no groups (link/relocatable.py)
    "--force-group-allocation": ("force_group_allocation", True),
    "--fatal-warnings": ("fatal_warnings", True), "--no-fatal-warnings": ("fatal_warnings", False),
    "--warn-common": ("warn_common", True), "--no-warn-common": ("warn_common", False),
    "--allow-multiple-definition": ("allow_multiple_definition", True),
    "--no-allow-multiple-definition": ("allow_multiple_definition", False),
    **dict.fromkeys(("-t", "--trace"), ("trace", True)),
    # in a link: GNU ld's "attempt to open PATH succeeded|failed" lines and -t's (its default
    # script: none to print, below); BusyBox's scripts/trylink adds it to every final link
    "--verbose": ("verbose", True),
    "--warn-unresolved-symbols": ("warn_unresolved", True),
    "--error-unresolved-symbols": ("warn_unresolved", False),
    "--warn-once": ("warn_once", True),
    "--warn-backrefs": ("warn_backrefs", True), "--no-warn-backrefs": ("warn_backrefs", False),
    "--no-warn-search-mismatch": ("warn_search_mismatch", False),
    "--no-apply-dynamic-relocs": ("no_apply_dynamic_relocs", True),
    "--print-memory-usage": ("print_memory_usage", True),
    **dict.fromkeys(("-N", "--omagic"), ("magic", "omagic")),
    **dict.fromkeys(("-n", "--nmagic"), ("magic", "nmagic")),
    "--no-omagic": ("magic", None),
    "--execute-only": ("execute_only", True), "--no-execute-only": ("execute_only", False),
    "--warn-rwx-segments": ("warn_rwx", True), "--no-warn-rwx-segments": ("warn_rwx", False),
    "--warn-execstack": ("warn_execstack", True), "--no-warn-execstack": ("warn_execstack", False),
    **dict.fromkeys(("-w", "--no-warnings"), ("no_warnings", True)),
    "--warn-textrel": ("warn_textrel", True),
    "--print-output-format": ("print_output_format", True),
    "--print-sysroot": ("print_sysroot", True),
}


def _sort_common(o: Options, v: str) -> None:
    if v not in ("ascending", "descending"):
        raise LinkError(f"--sort-common: unknown value: {v} (expected ascending or descending)")
    o.sort_common = v


def _sort_section(o: Options, v: str) -> None:
    if v not in ("name", "alignment"):
        raise LinkError(f"invalid section sorting option: {v}")      # (GNU ld's words)
    o.sort_section = v


def _pack_dyn_relocs(o: Options, v: str) -> None:
    # lld's: none (plain .rela.dyn) and relr (-z pack-relative-relocs); Android's packed
    # format is not written
    if v not in ("none", "relr"):
        raise LinkError(f"--pack-dyn-relocs={v} is not supported (none and relr are)")
    o.pack_relr = v == "relr"


def _compress_debug(o: Options, v: str) -> None:
    # zlib (the gABI's SHF_COMPRESSED; GNU ld's zlib-gabi is the same); zstd through the
    # zstandard package (Python 3.11 has no zstd module of its own)
    if v in ("zlib", "zlib-gabi"):
        o.compress_debug = "zlib"
    elif v == "zstd":
        from xld.link.compress import zstd_module
        zstd_module("--compress-debug-sections=zstd")
        o.compress_debug = "zstd"
    elif v == "none":
        o.compress_debug = None
    else:
        raise LinkError(f"--compress-debug-sections={v} is not supported")


def _unresolved(o: Options, v: str) -> None:
    # GNU ld's four policies, for the objects' undefined names and the shared objects'; they
    # set what -z defs/-z undefs and --[no-]allow-shlib-undefined set (the last one wins):
    # a -shared link's undefined names are errors under report-all and ignore-in-shared-libs
    if v not in ("report-all", "ignore-all", "ignore-in-object-files", "ignore-in-shared-libs"):
        raise LinkError(f"unknown --unresolved-symbols value: {v} (expected ignore-all, report-all, "
                        f"ignore-in-object-files or ignore-in-shared-libs)")
    o.unresolved = v
    o.no_undefined = v in ("report-all", "ignore-in-shared-libs")
    o.allow_shlib_undefined = v in ("ignore-all", "ignore-in-shared-libs")


def _orphan_handling(o: Options, v: str) -> None:
    if v not in ("place", "warn", "error", "discard"):
        raise LinkError(f"unknown --orphan-handling mode: {v}")        # lld's words
    o.orphan_handling = v


def _error_limit(o: Options, v: str) -> None:
    o.error_limit = _count(v, "--error-limit")


def _count(text: str, option: str) -> int:
    """A decimal count (not an address: _int reads 'abc' as hex 0xabc), in lld's words."""
    try:
        n = int(text, 10)
    except ValueError:
        n = -1
    if n < 0:
        raise LinkError(f"{option}={text}: number expected, but got '{text}'")
    return n


def _oformat(o: Options, v: str) -> None:
    from xld.link import flat
    o.oformat = flat.check(v)


# Long options with a value, written --opt=V, -opt=V, --opt V or -opt V: option -> setter
_WITH_VALUE = {
    "--dynamic-list": lambda o, v: o.dynamic_list.append(v),
    "--export-dynamic-symbol": lambda o, v: o.export_dynamic_symbol.append(v),
    "--export-dynamic-symbol-list": lambda o, v: o.export_dynamic_symbol_list.append(v),
    "--ignore-unresolved-symbol": lambda o, v: o.ignore_unresolved.add(v),
    "--audit": lambda o, v: o.audit.append(v),
    **dict.fromkeys(("-P", "--depaudit"), lambda o, v: o.depaudit.append(v)),
    "--spare-dynamic-tags": lambda o, v: setattr(o, "spare_dynamic_tags", _int(v, "--spare-dynamic-tags")),
    "--exclude-libs": lambda o, v: o.exclude_libs.extend(x for x in v.replace(":", ",").split(",") if x),
    "--icf": lambda o, v: setattr(o, "icf", v),
    "--pack-dyn-relocs": _pack_dyn_relocs,
    "--error-limit": _error_limit,
    "--dependency-file": lambda o, v: setattr(o, "dependency_file", v),
    "--package-metadata": lambda o, v: setattr(o, "package_metadata", v),
    "--sort-common": _sort_common,
    "--sort-section": _sort_section,
    "--compress-debug-sections": _compress_debug,
    "--unresolved-symbols": _unresolved,
    "--require-defined": lambda o, v: (o.undefined.append(v), o.require_defined.append(v)),
    "--oformat": _oformat,
    "--wrap": lambda o, v: o.wrap.add(v),
    "--trace-symbol": lambda o, v: o.trace_symbol.add(v),
    "-y": lambda o, v: o.trace_symbol.add(v),
    "--undefined-glob": lambda o, v: o.undefined_glob.append(v),
    "--retain-symbols-file": lambda o, v: setattr(o, "retain_symbols_file", v),
    "--orphan-handling": _orphan_handling,
    "--just-symbols": lambda o, v: o.just_symbols.append(v),
    "--why-extract": lambda o, v: setattr(o, "why_extract", v),
    "--warn-backrefs-exclude": lambda o, v: o.warn_backrefs_exclude.append(v),
    # DT_FILTER, DT_AUXILIARY of a shared library (link/dynamic.py)
    **dict.fromkeys(("-F", "--filter"), lambda o, v: o.filters.append(v)),
    **dict.fromkeys(("-f", "--auxiliary"), lambda o, v: o.auxiliary.append(v)),
}

# -z start-stop-visibility=: the visibility of the __start_SEC/__stop_SEC names the linker
# defines (link/driver.py define_linker_symbols), protected unless told: ELF's STV_ numbers
_START_STOP_VISIBILITY = {"default": 0, "internal": 1, "hidden": 2, "protected": 3}

# -z keywords with no effect on a static executable, and why:
#   now, lazy                 read by link/dynamic.py (DT_FLAGS BIND_NOW, DF_1_NOW)
#   text                      the default: a text relocation is an error (notext: DT_TEXTREL)
#   origin, nodelete, nodlopen, initfirst, interpose, global, loadfltr, nodefaultlib, nodump, unique,
#   globalaudit               DT_FLAGS_1 (DT_GNU_FLAGS_1) of a dynamic output (dynamic.py)
#   textoff                   GNU ld's other name of notext (taken as notext)
#   nocommon, nounique, nounique-symbol   the defaults (common: STT_COMMON in a -r output, and
#                             unique-symbol: renamed local symbols, are errors)
#   combreloc, nocombreloc    relocation sorting, a default xld follows anyway
#   rodynamic                 lld's read-only .dynamic: GNU ld ignores it with a warning, as xld
#   nocopyreloc               read by link/dynamic.py: a needed copy relocation is an error
#   nodefs                    the default (defs, undefs: no_undefined)
#   separate-code, noseparate-code   xld always gives code a segment of its own (valid either way)
#   separate-loadable-segments   GNU ld ignores it for aarch64 and riscv64 too (with a warning)
#   noexecheap                obsolete; GNU ld ignores it
#   ibt, shstk                x86 only
#   nostart-stop-gc           xld keeps a section SEC when a live section uses
#                             __start_SEC/__stop_SEC (the default of GNU ld and lld both);
#                             start-stop-gc (they do not keep it) is an error with --gc-sections
#   keep-text-section-prefix, nokeep-text-section-prefix   output section names only
#   gcs-report=, gcs=never, gcs=implicit      reports, or the default
_Z_IGNORED = {"now", "lazy", "separate-code", "noseparate-code", "separate-loadable-segments", "text",
              "nodefs", "origin", "nodelete", "nodlopen", "noexecheap", "combreloc", "nocombreloc", "nocopyreloc",
              "ibt", "shstk", "nostart-stop-gc", "keep-text-section-prefix",
              "nokeep-text-section-prefix", "rodynamic", "global", "initfirst", "interpose",
              "loadfltr", "nodefaultlib", "nodump", "unique", "globalaudit", "nocommon", "nounique",
              "nounique-symbol"}
# ...of which GNU ld (2.40, aarch64 and riscv64) says "-z KEY ignored": xld says so too, so a
# user of lld's -z rodynamic (a read-only .dynamic) or keep-text-section-prefix (.text.hot and
# the like kept apart) learns that it did nothing
_Z_WARNED = {"separate-loadable-segments", "noexecheap", "ibt", "shstk", "keep-text-section-prefix",
             "nokeep-text-section-prefix", "rodynamic", "nodefs", "force-ibt", "cet-report",
             "shstk-report"}
# Any other keyword xld does not know links on with lld's warning 'unknown -z value: KEY' (GNU
# ld: '-z KEY ignored'): x86's lam-u48, isa-level-report=... on an AArch64 or RISC-V link
# -z keywords read by link/properties.py (AArch64 BTI and PAC; an error on other targets):
#   force-bti                 GNU_PROPERTY_AARCH64_FEATURE_1_BTI in the output whatever the inputs say
#   pac-plt                   PLT entries authenticate the address they load (autia1716)
#   bti-report=none|warning|error   how inputs without BTI are reported
Z_PROPERTY = {"force-bti", "pac-plt"}
# -z keywords that would change the output in ways xld does not implement
_Z_UNSUPPORTED = {"gcs=always"}     # (binutils 2.44 marks the output GCS-compatible: not done)

# Option spellings the branches of parse() handle themselves (besides the tables above)
_PARSED = ("--arch", "-o", "--output", "-e", "--entry", "-L", "--library-path", "-l", "--library",
           "--start-group", "-(", "--end-group", "-)", "--start-lib", "--end-lib", "--whole-archive", "--no-whole-archive",
           "-mllvm", "-m", "--why-live", "-Map", "--Map", "-u", "--undefined", "--defsym", "-z",
           "-Ttext", "-Tdata", "-Tbss", "-Ttext-segment", "-Trodata-segment", "-T", "--script", "-dT", "--default-script", "-default-script",
           "--error-handling-script", "-error-handling-script", "-b", "--format", "-format",
           "--sysroot", "-shared", "--shared", "-Bshareable", "-r", "--relocatable", "-i", "-Bdynamic",
           "-dy", "-call_shared", "-v", "--version", "-V", "-h", "--help", "--target-help", "-target-help", "--section-start",
           "--image-base", "--time-trace", "--time-trace-file", "--max-page-size", "-Y",
           # dynamic linking (link/dynamic.py)
           "-static", "-Bstatic", "--Bstatic", "-dn", "-non_shared", "--Bdynamic",
           "--as-needed", "--no-as-needed", "--push-state", "--pop-state",
           "-dynamic-linker", "--dynamic-linker", "-I", "-rpath", "--rpath", "-R", "-rpath-link",
           "--rpath-link", "--hash-style", "-hash-style",
           "-soname", "--soname", "--version-script", "-Bsymbolic", "-Bsymbolic-functions",
           "-Bno-symbolic", "-Bgroup", "--Bgroup", "--no-undefined", "--allow-shlib-undefined", "--no-allow-shlib-undefined",
           "-init", "-fini")
_KNOWN = set(_SWITCHES) | _IGNORED_WITH_ARG | _IGNORED_FLAGS | set(_UNSUPPORTED) | set(_WITH_VALUE) | set(_PARSED)
# the ignored options' two-dash spellings, for their ``--name=value`` form (made once: gcc's
# link line has seven -plugin-opt=... arguments, and the set made per argument was a fifth
# of a small link's option parsing)
_IGNORED_WITH_ARG_LONG = frozenset(x if x.startswith("--") else "-" + x for x in _IGNORED_WITH_ARG)


def _spelling(a: str) -> str:
    """GNU ld's rule: an option of more than one letter may be written with one dash or two;
    a one-letter option with its value attached (-eSYM, -ofile, -lfoo, -Ldir) applies only
    when the text is not a known long option.  Returns the spelling the parser knows
    (``-emit-relocs`` -> ``--emit-relocs``, ``-gc-sections`` -> ``--gc-sections``, and the
    other way, ``--static`` -> ``-static``)."""
    if a.startswith("--"):
        name = a.split("=", 1)[0]
        if name not in _KNOWN and len(name) > 3 and name[1:] in _KNOWN:
            return a[1:]
        return a
    if not a.startswith("-") or len(a) <= 2:
        return a
    name = a.split("=", 1)[0]
    if name in _KNOWN:
        return a
    if "-" + name in _KNOWN:
        return "-" + a
    return a


def _edit_distance(a: str, b: str, bound: int) -> int:
    """Levenshtein distance of ``a`` and ``b`` (insert, delete, replace), or more than
    ``bound`` once it must be."""
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > bound:
            return bound + 1
        prev = cur
    return prev[-1]


def _unknown(arg: str) -> LinkError:
    """lld's error for an option it does not know, with its hint: the known option one edit
    away (LLVM's ``OptTable::findNearest``: names of 4 characters or more after the dashes,
    each with one dash and with two, the first of the nearest in name order; a value after
    ``=`` kept), ``unknown argument '--gc-section', did you mean '--gc-sections'``."""
    name, eq, value = arg.partition("=")
    best, nearest = 2, None
    for known in sorted({k.lstrip("-") for k in _KNOWN if k.startswith("-")}):
        if len(known) < 4:
            continue
        for cand in ("-" + known, "--" + known):
            d = _edit_distance(cand, name, best - 1)
            if d < best:
                best, nearest = d, cand
    if nearest is None:
        return LinkError(f"unknown argument '{arg}'")
    return LinkError(f"unknown argument '{arg}', did you mean '{nearest}{eq}{value}'")


def parse(argv: list[str]) -> Options:
    args = _expand_response_files(argv)
    o = Options()
    i = 0
    n = len(args)
    # the positional state -l and inputs are read under (--push-state saves it)
    static_only, as_needed, whole = False, False, False
    binary = False                          # -b binary in force: files are raw data
    saved: list[tuple[bool, bool, bool]] = []

    def value(opt: str) -> str:
        nonlocal i
        if i + 1 >= n:
            raise LinkError(f"{opt}: missing argument")
        i += 1
        return args[i]

    while i < n:
        a = args[i]
        if not a.startswith("-"):
            # an input file (every option starts with a dash): not through the ~100 tests
            # below, where it falls through to the last branch (gcc's line: 10 of 38 words)
            o.inputs.append(Input("binary" if binary else "file", a, static_only, as_needed))
            i += 1
            continue
        a = _spelling(a)
        name = a.split("=", 1)[0]
        if name in _UNSUPPORTED:
            raise LinkError(_UNSUPPORTED[name])
        # long options with '=' (one or two dashes)
        if a.startswith("-") and "=" in a and (a.startswith("--") or name in _KNOWN):
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
                _defsym(o, val)
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
                else:                   # a script's SEGMENT_START("rodata-segment", ...) reads it
                    o.segment_starts["rodata-segment"] = _int(val, "address")
            elif k == "--script":
                o.scripts.append(val)
                o.script_at = len(o.inputs)
            elif k == "--format":
                binary = _input_format(val)
            elif k == "--error-handling-script":
                o.error_handling_script = val
            elif k == "--default-script":
                o.default_script, o.default_script_at = val, len(o.inputs)
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
                o.error_limit = _count(val, "--error-limit")
            elif k == "--time-trace-file" or k == "--time-trace":
                o.time_trace = val
            elif k == "--max-page-size":
                o.max_page_size = _int(val, "max-page-size")
            elif k in ("--soname", "--h"):
                o.soname = val
            elif k == "--version-script":
                o.version_scripts.append(val)
            elif k == "--init":
                o.init_sym = val
            elif k == "--fini":
                o.fini_sym = val
            elif k == "--hash-style":
                o.hash_style = _hash_style(val)
            elif k == "--dynamic-linker":
                o.dynamic_linker = val
            elif k == "--rpath":
                o.rpath.append(val)
            elif k == "--rpath-link":
                o.rpath_link.append(val)
            elif k in _WITH_VALUE:
                _WITH_VALUE[k](o, val)
            elif "--" + key.lstrip("-") in _IGNORED_WITH_ARG_LONG \
                    or key in _IGNORED_WITH_ARG or a in _IGNORED_FLAGS:
                if key.lstrip("-") in ("plugin-opt",):
                    o.plugin_opts.append(val)
                elif key.lstrip("-") == "plugin":
                    o.plugin = val
            elif k in ("--plugin-opt", "--sort-section",
                       "--threads", "--thread-count"):
                pass
            else:
                raise _unknown(args[i])
            i += 1
            continue
        if a in _SWITCHES:
            attr, v = _SWITCHES[a]
            setattr(o, attr, v)
        elif a == "--arch":
            o.arch = value(a)
        elif a in _WITH_VALUE:
            _WITH_VALUE[a](o, value(a))
        elif a == "-o" or a == "--output":
            o.output = value(a)
            o.output_given = True
        elif a.startswith("-o") and len(a) > 2 and not a.startswith("--"):
            o.output = a[2:]
            o.output_given = True
        elif a in ("-e", "--entry"):
            o.entry = value(a)
        elif a.startswith("-e") and len(a) > 2 and not a.startswith("--") and a not in ("-export-dynamic",):
            o.entry = a[2:]             # -eSYM (a known long option was taken above)
        elif a == "-L" or a == "--library-path":
            o.lib_paths.append(value(a))
        elif a.startswith("-L"):
            o.lib_paths.append(a[2:])
        elif a == "-Y":                 # GNU ld: more default library directories (path list)
            o.lib_paths.extend(p for p in value(a).split(":") if p)
        elif a == "-l" or a == "--library":
            o.inputs.append(Input("lib", value(a), static_only, as_needed))
        elif a.startswith("-l"):
            o.inputs.append(Input("lib", a[2:], static_only, as_needed))
        elif a in ("-static", "-Bstatic", "-dn", "-non_shared", "--Bstatic"):
            static_only = True
            if a == "-static":
                o.static = True
        elif a in ("-Bdynamic", "-dy", "-call_shared", "--Bdynamic"):
            static_only = False
        elif a in ("--as-needed", "-as-needed"):
            as_needed = True
        elif a in ("--no-as-needed", "-no-as-needed"):
            as_needed = False
        elif a in ("--push-state", "-push-state"):
            saved.append((static_only, as_needed, whole))
        elif a in ("--pop-state", "-pop-state"):
            if not saved:
                raise LinkError("--pop-state: no --push-state to pop")
            static_only, as_needed, was_whole = saved.pop()
            if was_whole != whole:
                whole = was_whole
                o.inputs.append(Input("whole_on" if whole else "whole_off"))
        elif a in ("-dynamic-linker", "--dynamic-linker", "-I"):
            o.dynamic_linker = value(a)
        elif a == "-R":                 # GNU ld: a file is --just-symbols, a directory -rpath
            v = value(a)
            (o.just_symbols if os.path.isfile(v) else o.rpath).append(v)
        elif a in ("-rpath", "--rpath"):
            o.rpath.append(value(a))
        elif a in ("-rpath-link", "--rpath-link"):
            o.rpath_link.append(value(a))
        elif a in ("--hash-style", "-hash-style"):
            o.hash_style = _hash_style(value(a))
        elif a in ("--start-lib", "--end-lib"):
            o.inputs.append(Input("lib_start" if a == "--start-lib" else "lib_end"))
        elif a in ("--start-group", "-("):
            o.inputs.append(Input("group_start"))
        elif a in ("--end-group", "-)"):
            o.inputs.append(Input("group_end"))
        elif a in ("--whole-archive", "-whole-archive"):
            whole = True
            o.inputs.append(Input("whole_on"))
        elif a in ("--no-whole-archive", "-no-whole-archive"):
            whole = False
            o.inputs.append(Input("whole_off"))
        elif a == "-mllvm":
            o.mllvm.append(value(a))
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
        elif a.startswith("-y") and len(a) > 2 and not a.startswith("--"):
            o.trace_symbol.add(a[2:])
        elif a == "--defsym":
            _defsym(o, value(a))
        elif a in ("-z",) or (a.startswith("-z") and len(a) > 2):
            if o.fatal_warnings:
                o.z_fatal.add(len(o.z))
            o.z.append(value(a) if a == "-z" else a[2:])
        elif a in ("-Ttext", "-Tdata", "-Tbss"):
            o.section_start["." + a[2:]] = _int(value(a), "address")
        elif a in ("-T", "--script"):
            o.scripts.append(value(a))
            o.script_at = len(o.inputs)
        elif a in ("-b", "--format", "-format"):
            binary = _input_format(value(a))
        elif a in ("--error-handling-script", "-error-handling-script"):
            o.error_handling_script = value(a)
        elif a in ("-dT", "--default-script", "-default-script"):
            o.default_script, o.default_script_at = value(a), len(o.inputs)
        elif a.startswith("-T") and len(a) > 2 and "=" not in a:
            o.scripts.append(a[2:])         # -TFILE (-Ttext ADDR and the like were taken above)
            o.script_at = len(o.inputs)
        elif a == "--sysroot":
            o.sysroot = value(a)
        elif a in ("-shared", "--shared", "-Bshareable"):
            o.shared = True
        elif a in ("-soname", "--soname") or (a == "-h" and i + 1 < n):
            o.soname = value(a)
        elif a.startswith("-h") and len(a) > 2 and not a.startswith("-help"):
            o.soname = a[2:]
        elif a in ("--version-script", "-version-script"):
            o.version_scripts.append(value(a))
        elif a in ("-Bsymbolic", "--Bsymbolic"):
            o.bsymbolic = "all"
        elif a in ("-Bsymbolic-functions", "--Bsymbolic-functions"):
            o.bsymbolic = "functions"
        elif a in ("-Bno-symbolic", "--Bno-symbolic"):
            o.bsymbolic = ""
        elif a in ("--no-undefined", "-no-undefined"):
            o.no_undefined = True
        elif a in ("-Bgroup", "--Bgroup"):
            # GNU ld: DF_1_GROUP, and --unresolved-symbols=report-all
            o.bgroup = True
            _unresolved(o, "report-all")
        elif a in ("--allow-shlib-undefined", "-allow-shlib-undefined"):
            o.allow_shlib_undefined = True
        elif a in ("--no-allow-shlib-undefined", "-no-allow-shlib-undefined"):
            o.allow_shlib_undefined = False
        elif a in ("-init", "--init"):
            o.init_sym = value(a)
        elif a in ("-fini", "--fini"):
            o.fini_sym = value(a)
        elif a in ("-r", "--relocatable", "-i"):      # -i: GNU ld's other spelling of -r
            o.relocatable = True
        elif a in ("-v", "--version", "-V"):
            o.version_only = True
        elif a in ("-h", "--help") and (a == "--help" or i + 1 >= n):
            o.help = True
        elif a in ("--target-help", "-target-help"):
            o.help = o.target_help = True
        elif a in _IGNORED_FLAGS:
            pass
        elif a in _IGNORED_WITH_ARG:
            v = value(a)
            if a in ("-plugin-opt", "--plugin-opt"):
                o.plugin_opts.append(v)
            elif a in ("-plugin", "--plugin"):
                o.plugin = v
        elif a.startswith("-O") and a[2:].isdigit():
            pass                            # optimization level: nothing to optimize
        elif a == "-":
            raise LinkError("reading an object from standard input is not supported")
        elif a.startswith("-") and len(a) > 1:
            raise _unknown(args[i])
        else:
            o.inputs.append(Input("binary" if binary else "file", a, static_only, as_needed))
        i += 1
    o.z = ["notext" if z == "textoff" else z for z in o.z]
    for k, z in enumerate(o.z):
        warnings = o.z_errors if k in o.z_fatal else o.z_warnings
        if z.startswith("max-page-size="):
            o.max_page_size = _int(z.split("=", 1)[1], "max-page-size")
        elif z.startswith("common-page-size="):
            o.common_page_size = _int(z.split("=", 1)[1], "common-page-size")
        elif z.startswith("stack-size="):
            o.stack_size = _int(z.split("=", 1)[1], "stack-size")
        elif z in ("execstack", "noexecstack"):
            o.execstack = z == "execstack"
        elif z in ("relro", "norelro"):
            o.relro = z == "relro"
        elif z == "nognustack":
            o.gnu_stack = False
        elif z in ("pack-relative-relocs", "nopack-relative-relocs"):
            o.pack_relr = z == "pack-relative-relocs"
        elif z == "notext":
            pass                                # read by link/dynamic.py: DT_TEXTREL allowed
        elif z == "common":                     # (GNU ld: STT_COMMON commons in a -r output)
            if o.relocatable:
                raise LinkError("-z common with -r is not supported (common symbols stay STT_OBJECT)")
        elif z == "unique-symbol":
            raise LinkError("-z unique-symbol is not supported (local symbol names are kept as they are)")
        elif z in ("defs", "undefs"):
            o.no_undefined = z == "defs"
        elif z == "muldefs":
            o.allow_multiple_definition = True
        elif z == "start-stop-gc":
            pass                                # (below: the last of it and nostart-stop-gc)
        elif z.startswith("start-stop-visibility="):
            v = _START_STOP_VISIBILITY.get(z.split("=", 1)[1])
            if v is None:                       # (GNU ld's words)
                raise LinkError(f"invalid visibility in `-z {z}'; must be default, internal, hidden, or protected")
            o.start_stop_visibility = v
        elif z in Z_PROPERTY or z.startswith("bti-report="):
            pass                                # read by link/properties.py
        elif z in _Z_UNSUPPORTED or z.split("=", 1)[0] in _Z_UNSUPPORTED:
            raise LinkError(f"-z {z} is not supported")
        elif z.split("=", 1)[0] in _Z_WARNED:
            warnings.append(f"-z {z} ignored")
        elif z in _Z_IGNORED or z.startswith(("gcs-report=", "gcs=never", "gcs=implicit")):
            pass
        else:       # GNU ld and lld link on with a warning (an x86 keyword, a newer binutils' one)
            warnings.append(f"unknown -z value: {z}")
    ssgc = [z for z in o.z if z in ("start-stop-gc", "nostart-stop-gc")]
    if ssgc and ssgc[-1] == "start-stop-gc" and o.gc_sections:
        raise LinkError("-z start-stop-gc is not supported: with --gc-sections xld keeps every section "
                        "SEC whose __start_SEC/__stop_SEC a live section uses (-z nostart-stop-gc)")
    if o.common_page_size is not None and (o.common_page_size <= 0
                                           or o.common_page_size & (o.common_page_size - 1)):
        raise LinkError(f"common-page-size: value isn't a power of 2: {o.common_page_size:#x}")
    if o.max_page_size is not None and (o.max_page_size <= 0 or o.max_page_size & (o.max_page_size - 1)):
        raise LinkError(f"max-page-size: value isn't a power of 2: {o.max_page_size:#x}")
    if o.default_script is not None and not o.scripts:
        # -dT FILE: GNU ld's default script is FILE; without -T that is the script
        o.scripts, o.script_at = [o.default_script], o.default_script_at
        o.default_script = None
    if o.verbose and not o.inputs and not o.help and not o.version_only:
        # `ld --verbose` alone prints GNU ld's default linker script, which scripts take to
        # edit: xld lays out without one (link/layout.py), so it has none to give
        raise LinkError("--verbose without inputs is not supported (xld has no default linker script to print)")
    if (o.filters or o.auxiliary) and not o.shared and not o.help and not o.version_only:
        raise LinkError(f"{'-F' if o.filters else '-f'} may not be used without -shared")   # (GNU ld's words)
    return o


def _input_format(v: str) -> bool:
    """-b FORMAT: whether the files after it are raw data (``binary``) or ELF."""
    if v == "binary":
        return True
    if v in ("default", "elf64-littleaarch64", "elf64-littleriscv", "elf64-little"):
        return False
    raise LinkError(f"-b {v}: input format not supported (binary, or an ELF name)")


def _hash_style(v: str) -> str:
    if v not in ("gnu", "sysv", "both"):
        raise LinkError(f"unknown --hash-style: {v} (expected gnu, sysv or both)")
    return v


def find_library(o: Options, name: str, static_only: bool = True, compatible=None) -> str:
    """-lNAME searches each -L directory in turn for libNAME.so, then libNAME.a (only the
    archive under -Bstatic/-static), as GNU ld does; -l:FILE names the file exactly.  A file
    ``compatible(path)`` rejects (another machine's) is skipped, as GNU ld skips it."""
    if name.startswith(":"):
        wanted = [name[1:]]
    elif static_only:
        wanted = [f"lib{name}.a"]
    else:
        wanted = [f"lib{name}.so", f"lib{name}.a"]
    for d in o.lib_paths:
        if d.startswith("=") and o.sysroot:
            d = os.path.join(o.sysroot, d[1:].lstrip("/"))
        for w in wanted:
            p = os.path.join(d, w)
            if os.path.isfile(p) and (compatible is None or compatible(p)):
                if o.verbose:
                    print(f"attempt to open {p} succeeded")
                return p
            if o.verbose:                   # (GNU ld's --verbose lines)
                print(f"attempt to open {p} failed")
    run_error_hook(o.error_handling_script, "missing-lib", f"-l{name}")
    raise LinkError(f"unable to find library -l{name}")


_PLAIN = re.compile(r"[^\s+\-*/%()~!<>=&|^?:,]+")


def _defsym(o: Options, text: str) -> None:
    """--defsym NAME=EXPR.  EXPR is a number, a symbol, or an expression of the linker script
    language that is a constant (``0x1000+4*2``, ``64K``) or a symbol plus or minus a constant
    (``main+0x10``): stored as (NAME, number or symbol) and the constant in defsym_addend.
    Anything else (two symbols, a script function) is refused by name."""
    if "=" not in text:
        raise LinkError(f"--defsym: syntax error: {text}")
    name, expr = text.split("=", 1)
    expr = expr.strip()
    try:
        int(expr, 0)
        plain = True
    except ValueError:
        plain = _PLAIN.fullmatch(expr) is not None and not expr[:1].isdigit()
    if plain:
        o.defsym.append((name, expr))
        return
    from xld.link import script
    try:
        p = script.Parser(expr, "--defsym")
        e = p.parse_expr()
        if p.peek() is not None:
            raise LinkError("trailing text")
    except LinkError:
        raise LinkError(f"--defsym: syntax error: {text}") from None
    if not add_defsym(o, name, e):
        raise LinkError(f"--defsym: expression not supported: {expr} (a number, a symbol, or a symbol "
                        f"plus or minus a constant)")


def add_defsym(o: Options, name: str, e: tuple) -> bool:
    """NAME = the parsed expression ``e`` as a --defsym does it (a linker script given as an
    input assigns so too): False, and nothing added, when ``e`` is not a constant or a symbol
    plus or minus one."""
    target, addend = _symbol_plus_constant(e)
    if target is None:
        return False
    o.defsym.append((name, target))
    if addend:
        o.defsym_addend[name] = addend
    return True


def _symbol_plus_constant(e: tuple) -> tuple[str | None, int]:
    """(symbol or a number's text, constant) of a parsed expression that is a constant or a
    symbol plus or minus one; (None, 0) otherwise."""
    from xld.link import script

    class Const:                          # (evaluation fails at anything not constant)
        def __getattr__(self, name):
            raise LookupError(name)
    try:
        return hex(script.evaluate(e, Const())), 0
    except (LookupError, AttributeError, AssertionError, TypeError):
        pass
    if e[0] == "sym":
        return e[1], 0
    if e[0] == "bin" and e[1] in "+-":
        left, right = _symbol_plus_constant(e[2]), _symbol_plus_constant(e[3])
        for sym, const, sign in ((left, right, 1), (right, left, -1 if e[1] == "-" else 1)):
            if sym[0] is not None and not _is_number(sym[0]) and const[0] is not None and _is_number(const[0]):
                if sign < 0:              # (constant - symbol: not a symbol's address)
                    return None, 0
                c = int(const[0], 16) + const[1]
                return sym[0], sym[1] + (c if e[1] == "+" else -c)
    return None, 0


def _is_number(text: str) -> bool:
    return text.startswith("0x")
