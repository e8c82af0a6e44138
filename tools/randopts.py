"""Random link options for differential link tests (tests/test_random_options.py): a program of
``randprog`` linked through the compiler driver with a random combination of the options real
builds pass (CMake, meson, autotools, distributions' hardening flags), once by GNU ld and once
by xld (``gcc -B DIR``).  Both outputs run under qemu-user and must print the same trace, and
what the options decide must agree: ELF type, entry symbol, program header types and flags
(addresses where an option fixes them), allocated sections with their flags, dynamic tags and
the values that are not addresses, the build-id note, the symbol tables (``-s``, ``-S``,
``-x``), relocation sections (``--emit-relocs``), compressed debug sections.

``draw(seed, arch)`` gives the plan: how main.o gets the other files (objects or a shared
library of them), the compile flags, the driver flags and the linker options of the program and
of the library; ``shape(path, plan)`` reads what the options decide from an output.
Options GNU ld 2.40 does not know (lld's ``--icf=none``, ``--pack-dyn-relocs``, ``--image-base``,
``--no-rosegment``) are not drawn: ``LLD_ONLY`` lists them with what xld does with each.
``python -m xld.tools.randopts SEED ARCH`` prints a plan."""
from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

# lld's options that GNU ld 2.40 refuses, and what xld does with each: the output of the
# link with the other options given instead ("same as"), the image base, or an error naming it
LLD_ONLY = {
    "--icf=none": ("same as", []),
    "--pack-dyn-relocs=none": ("same as", []),
    "--pack-dyn-relocs=relr": ("same as", ["-z", "pack-relative-relocs"]),
    "--image-base=0x500000": ("base", 0x500000),
    "--no-rosegment": ("error", None),
    "--pack-dyn-relocs=android": ("error", None),
}


@dataclass
class Plan:
    seed: int
    mode: str                                 # pie, no-pie, static, static-pie
    library: bool                             # the other files as a shared library (else objects)
    cflags: list[str] = field(default_factory=list)
    pic: tuple[str, str] = ("-fPIE", "-fPIE")            # main.c's, the other files'
    driver: list[str] = field(default_factory=list)      # the program's driver flags (-static ...)
    prog: list[str] = field(default_factory=list)        # the program's linker options
    lib: list[str] = field(default_factory=list)         # the library's linker options
    fixed: dict[str, int] = field(default_factory=dict)  # section -> address an option fixes
    debug: bool = False

    def wl(self, opts: list[str]) -> list[str]:
        """Linker options as the driver takes them."""
        return ["-Wl," + o.replace(" ", ",") for o in opts]


def _pick(R: random.Random, p: float, *choices):
    return R.choice(choices) if R.random() < p else None


def draw(seed: int, arch: str, have_static_pie: bool = True) -> Plan:
    """The options of link ``seed`` for ``arch``; every option GNU ld 2.40 takes for it."""
    R = random.Random(seed * 7919 + (arch == "riscv64"))
    modes = ["pie", "no-pie", "static"] + (["static-pie"] if have_static_pie else [])
    mode = R.choice(modes)
    library = mode in ("pie", "no-pie") and R.random() < 0.45
    plan = Plan(seed, mode, library)
    plan.debug = R.random() < 0.35
    plan.cflags = [R.choice(["-O1", "-O2"]), "-fcommon"]
    # (main.c as its program, the library's files -fPIC: a -fPIC main.c in a non-PIE program
    # meets GNU ld's riscv64 canonical PLT entries for GOT references, docs/options.md)
    main_pic = "-fPIE" if mode in ("pie", "static-pie") else "-fno-PIE"
    plan.pic = (main_pic, "-fPIC" if library else main_pic)
    if plan.debug:
        plan.cflags.append("-g")
    plan.driver = {"pie": ["-pie"], "no-pie": ["-no-pie"], "static": ["-static"],
                   "static-pie": ["-static-pie"]}[mode]
    dynamic = mode in ("pie", "no-pie")
    common = []
    for p, *opts in (
            (0.3, "-z relro", "-z norelro"),
            (0.3, "-z now", "-z lazy"),
            (0.3, "-z separate-code", "-z noseparate-code"),
            (0.3, "-z noexecstack", "-z execstack"),
            (0.2, "--build-id", "--build-id=sha1", "--build-id=md5", "--build-id=none",
             "--build-id=0x" + "".join(R.choice("0123456789abcdef") for _ in range(2 * R.randint(1, 20)))),
            (0.25, "--eh-frame-hdr", "--no-eh-frame-hdr"),
            (0.15, "-O1"),
            (0.15, "--sort-common", "--sort-common=ascending", "--sort-common=descending"),
            (0.1, "--sort-section=name", "--sort-section=alignment"),
            (0.2, "-s", "-S", "--strip-debug"),
            (0.2, "-x", "-X", "--discard-none"),
            (0.1, "--warn-common"),
            (0.1, "--fatal-warnings"),
            (0.15, "-Map=MAP"),
    ):
        o = _pick(R, p, *opts)
        if o:
            common.append(o)
    page = _pick(R, 0.25, 4096, 65536)
    if page:
        common.append(f"-z max-page-size={page}")
    if R.random() < 0.15:
        common.append(f"-z common-page-size={min(page or 4096, 4096)}")
    if dynamic or mode == "static-pie":
        h = _pick(R, 0.35, "gnu", "sysv", "both")
        if h:
            common.append(f"--hash-style={h}")
        t = _pick(R, 0.2, "-z text", "-z notext")
        if t:
            common.append(t)
    if R.random() < 0.2:
        common.append("--gc-sections")
        plan.cflags += ["-ffunction-sections", "-fdata-sections"]
        if R.random() < 0.3 and "--fatal-warnings" not in common:
            common.append("--print-gc-sections")    # (GNU ld 2.40: a warning each, fatal with them)
    if plan.debug and R.random() < 0.4:
        common.append("--compress-debug-sections=zlib")
    if "-s" not in common and R.random() < 0.1:
        common.append("--emit-relocs")
    if R.random() < 0.2:
        common.append(R.choice(["-e _start", "--entry=_start", "-e_start"]))
    if R.random() < 0.15:
        common.append("--no-undefined")
    prog = list(common)
    if dynamic:
        for p, *opts in ((0.3, "--as-needed", "--no-as-needed"),
                         (0.15, "-z nodelete"), (0.1, "-z nodlopen"), (0.1, "-z origin"),
                         (0.1, "-z initfirst"), (0.1, "-z interpose")):
            o = _pick(R, p, *opts)
            if o:
                prog.append(o)
        if R.random() < 0.2:
            prog.append("--dynamic-linker=" + {"arm64": "/lib/ld-linux-aarch64.so.1",
                                               "riscv64": "/lib/ld-linux-riscv64-lp64d.so.1"}[arch])
        if R.random() < 0.25:
            prog.append(R.choice(["--enable-new-dtags", "--disable-new-dtags"]))
        if R.random() < 0.2:
            prog.append("-rpath-link=.")
    if mode in ("no-pie", "static"):             # addresses an option fixes
        base = 0x600000 if arch == "riscv64" else 0x700000
        c = R.random()
        if c < 0.12:
            prog.append(f"-Ttext=0x{base:x}")
            plan.fixed[".text"] = base
        elif c < 0.2:
            prog.append(R.choice(["--section-start=.data=", "-Tdata="]) + f"0x{base + 0x200000:x}")
            plan.fixed[".data"] = base + 0x200000
        elif c < 0.25:
            prog.append(f"-Tbss=0x{base + 0x400000:x}")
            plan.fixed[".bss"] = base + 0x400000
    plan.prog = prog
    if library:
        # (not --no-undefined: the library uses the program's trace and ctor_log)
        lib = [o for o in common if not o.startswith(("-Map", "-e", "--entry", "--no-undefined"))]
        lib.append("-soname=libu.so" if R.random() < 0.5 else "-h libu.so")
        for p, *opts in ((0.15, "-z nodelete"), (0.1, "-z nodlopen"), (0.1, "-z origin"),
                         (0.1, "-z initfirst"), (0.1, "-z interpose"), (0.15, "-init=f1_0"),
                         (0.1, "-fini=f1_0"), (0.2, "--enable-new-dtags", "--disable-new-dtags")):
            o = _pick(R, p, *opts)
            if o:
                lib.append(o)
        plan.lib = lib
    return plan


_VALUE_TAGS = {"DT_NEEDED", "DT_SONAME", "DT_RPATH", "DT_RUNPATH", "DT_PLTREL"}
_GOT = {".got.plt": ".got", ".iplt": ".plt", ".rela.iplt": ".rela.plt"}   # (GNU ld's names)
_RELOCS = {".rela.dyn"}
# the linker's own choices, compared by the runs: which dynamic relocations the output needs
# (GNU ld's riscv64 PIE: TLS_TPREL64 ones, and a DT_TEXTREL for R_RISCV_NONE
# slots it reserved; its arm64 lazy TLS descriptors: DT_TLSDESC_*), a DT_FLAGS(_1) of 0
_OWN_TAGS = {"DT_RELA", "DT_RELASZ", "DT_RELAENT", "DT_RELACOUNT", "DT_TEXTREL", "DT_TLSDESC_GOT",
             "DT_TLSDESC_PLT", "DT_FLAGS", "DT_FLAGS_1"}
_COMPARED_DF = 0x1 | 0x2 | 0x8 | 0x10    # DF_ORIGIN, DF_SYMBOLIC, DF_BIND_NOW (what options set), DF_STATIC_TLS


def shape(path: Path, fixed: dict[str, int] | None = None) -> dict:
    """What the options decide, read from the output at ``path`` (pyelftools); ``fixed``:
    the sections whose addresses an option set."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.constants import SH_FLAGS
    with open(path, "rb") as f:
        e = ELFFile(f)
        out: dict = {"type": e["e_type"]}
        segs = list(e.iter_segments())
        out["phdrs"] = sorted({(s["p_type"], s["p_flags"]) for s in segs if s["p_type"] != "PT_LOAD"})
        loads = [s for s in segs if s["p_type"] == "PT_LOAD"]
        out["load_align"] = sorted({s["p_align"] for s in loads})
        out["wx"] = any(s["p_flags"] & 3 == 3 for s in loads)
        interp = [s.get_interp_name() for s in segs if s["p_type"] == "PT_INTERP"]
        out["interp"] = interp
        secs = list(e.iter_sections())
        alloc = {s.name: s for s in secs if s["sh_flags"] & SH_FLAGS.SHF_ALLOC}
        # (GNU ld drops empty output sections, and its riscv64 script puts .got.plt in .got;
        # which dynamic relocations a link needs is the linker's own: the runs compare them)
        out["sections"] = sorted({(_GOT.get(n, n), s["sh_flags"] & 7) for n, s in alloc.items()
                                  if s["sh_size"] and n not in _RELOCS})
        out["fixed"] = {n: alloc[n]["sh_addr"] if n in alloc and alloc[n]["sh_size"] else None
                        for n in fixed or {}}
        out["copies"] = _copies(e, segs)
        note = e.get_section_by_name(".note.gnu.build-id")
        out["build_id"] = note["sh_size"] if note is not None else None
        symtab = e.get_section_by_name(".symtab")
        out["symtab"] = symtab is not None
        if symtab is not None:
            syms = list(symtab.iter_symbols())
            # (randprog's static variables: GNU ld's riscv64 output makes hidden globals local)
            out["locals"] = any(s["st_info"]["bind"] == "STB_LOCAL" and s.name.startswith("hidden_counter")
                                for s in syms)
            out["entry"] = sorted({s.name for s in syms if s["st_value"] == e["e_entry"] and s.name and e["e_entry"]
                                   and s["st_info"]["type"] == "STT_FUNC" and s["st_info"]["bind"] != "STB_LOCAL"
                                   and s["st_shndx"] != "SHN_UNDEF"})
        out["debug"] = sorted((s.name, bool(s["sh_flags"] & SH_FLAGS.SHF_COMPRESSED))
                              for s in secs if s.name.startswith(".debug_info"))
        out["relocs"] = sorted(s.name for s in secs if s["sh_type"] in ("SHT_RELA", "SHT_REL")
                               and not s["sh_flags"] & SH_FLAGS.SHF_ALLOC)
        dyn = e.get_section_by_name(".dynamic")
        if dyn is not None:
            tags = [t for t in dyn.iter_tags() if t.entry.d_tag != "DT_NULL"]
            out["dyn_tags"] = sorted({t.entry.d_tag for t in tags} - _OWN_TAGS)
            out["dyn_values"] = sorted(f"{t.entry.d_tag}={getattr(t, t.entry.d_tag[3:].lower(), t.entry.d_val)}"
                                       for t in tags if t.entry.d_tag in _VALUE_TAGS)
            flags = {t.entry.d_tag: t.entry.d_val for t in tags if t.entry.d_tag in ("DT_FLAGS", "DT_FLAGS_1")}
            out["df"] = flags.get("DT_FLAGS", 0) & _COMPARED_DF
            out["df_1"] = flags.get("DT_FLAGS_1", 0)
    return out


_COPY = {"EM_AARCH64": 1024, "EM_RISCV": 4}       # R_AARCH64_COPY, R_RISCV_COPY


def _copies(e, segs) -> dict[str, bool]:
    """Each variable copied into the program (a COPY relocation): whether the copy is inside
    PT_GNU_RELRO (read-only after relocation)."""
    from elftools.elf.relocation import RelocationSection
    relro = [(s["p_vaddr"], s["p_vaddr"] + s["p_memsz"]) for s in segs if s["p_type"] == "PT_GNU_RELRO"]
    dynsym = e.get_section_by_name(".dynsym")
    copy = _COPY.get(e["e_machine"])
    return {dynsym.get_symbol(r["r_info_sym"]).name: any(a <= r["r_offset"] < b for a, b in relro)
            for sec in e.iter_sections() if isinstance(sec, RelocationSection) and sec["sh_flags"] & 2
            for r in sec.iter_relocations() if r["r_info_type"] == copy}


def differences(gnu: dict, xld: dict) -> dict:
    """What differs between GNU ld's shape and xld's, but where xld is right in its own way:
    GNU ld writes an executable with W+X segments where --section-start splits its layout
    (xld never does)."""
    keys = set(gnu) | set(xld)
    if {(".dynbss", 3), (".bss.rel.ro", 3)} & set(xld.get("sections", ())):
        # copy relocations: GNU ld copies read-only data into .data.rel.ro (RELRO) and the
        # rest into .bss; xld into .bss.rel.ro (RELRO, as lld) and .dynbss: the sections'
        # names differ, the copies' placement ("copies": in RELRO or not) is compared
        mine = {(".dynbss", 3), (".bss.rel.ro", 3)}
        theirs = {(".data.rel.ro", 3)} - set(xld["sections"])
        gnu = dict(gnu, sections=[x for x in gnu["sections"] if x not in theirs])
        xld = dict(xld, sections=[x for x in xld["sections"] if x not in mine])
    if "copies" in gnu and "copies" in xld:
        # (GNU ld copies libc's __environ where the program names environ; lld and xld the
        # name the program uses: the names both copy are compared)
        both = gnu["copies"].keys() & xld["copies"].keys()
        gnu = dict(gnu, copies={n: gnu["copies"][n] for n in sorted(both)})
        xld = dict(xld, copies={n: xld["copies"][n] for n in sorted(both)})
    if gnu.get("wx") and not xld.get("wx"):     # (and no PT_GNU_RELRO in GNU ld's: nothing read-only)
        keys.discard("wx")
        keys.discard("copies")                  # (nor is a copy in RELRO there)
        xld = dict(xld, phdrs=[p for p in xld["phdrs"] if p[0] != "PT_GNU_RELRO"])
        gnu = dict(gnu, phdrs=[p for p in gnu["phdrs"] if p[0] != "PT_GNU_RELRO"])
    return {k: (gnu.get(k), xld.get(k)) for k in sorted(keys) if gnu.get(k) != xld.get(k)}


if __name__ == "__main__":
    print(draw(int(sys.argv[1]), sys.argv[2]))
