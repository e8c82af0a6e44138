"""GNU ld switches that build systems pass and xld once refused as unknown: each is honoured
as GNU ld does (the oracle: GNU ld on the same objects), or refused by name when honouring it
would mean writing an output known to be wrong.

-w/--no-warnings, --warn-textrel, --print-output-format, --print-sysroot, -i, --check-sections;
refused: -Ur, --noinhibit-exec, --no-check-sections.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc

ARCHES = ["arm64", "riscv64"]
EMULATION = {"arm64": "aarch64linux", "riscv64": "elf64lriscv"}

# a pointer in a read-only section: a text relocation in a PIE or a shared object
TEXTREL = ('.text\n.globl _start\n_start: nop\n'
           '.section .rodata,"a"\n.globl p\np: .quad x\n.data\n.globl x\nx: .quad 5\n')
# an executable stack note: a warning from both linkers
EXECSTACK = '.text\n.globl _start\n_start: nop\n.section .note.GNU-stack,"x",%progbits\n'


def _gnu(arch, args, cwd=None) -> subprocess.CompletedProcess:
    ld = tc.require(f"{tc.TRIPLE[arch]}-ld")
    return subprocess.run([ld, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def _warnings(stderr: str) -> list[str]:
    """The warnings' texts, without the linker's name."""
    return sorted(line.split("warning: ", 1)[1] for line in stderr.splitlines() if "warning: " in line)


@pytest.mark.parametrize("arch", ARCHES)
def test_print_output_format_and_sysroot(arch, tmp_path):
    m = ["-m", EMULATION[arch]]
    for args in ([*m, "--print-output-format"], ["--print-sysroot"], ["--sysroot=/opt/sr", "--print-sysroot"]):
        want, got = _gnu(arch, args), tc.xld_cli(args)
        assert want.returncode == 0 and got.returncode == 0, got.stderr
        assert got.stdout == want.stdout, args
    assert tc.xld_cli([*m, "--print-output-format"]).stdout.startswith("elf64-little")
    # with inputs, both print and link
    obj = tc.assemble(arch, EXECSTACK.split(".section")[0], tmp_path / "s.o")
    r = tc.xld_cli([*m, "--print-output-format", "-o", tmp_path / "a.out", obj])
    assert r.returncode == 0 and r.stdout == _gnu(arch, [*m, "--print-output-format"]).stdout
    assert (tmp_path / "a.out").exists()
    r = tc.xld_cli(["--print-output-format"])
    assert r.returncode == 1 and "xld: error: --print-output-format: no target" in r.stderr


@pytest.mark.parametrize("arch", ARCHES)
def test_no_warnings(arch, tmp_path):
    """-w hides the warnings GNU ld would print and overrides --fatal-warnings; errors stay
    errors (GNU ld's -w also hides errors and writes the output: xld does not)."""
    no_entry = tc.assemble(arch, ".text\n.globl f\nf: nop\n", tmp_path / "f.o")
    for flags in ([], ["-w"], ["--fatal-warnings", "-w"], ["--fatal-warnings"]):
        want = _gnu(arch, ["-static", *flags, "-o", tmp_path / "gnu", no_entry])
        got = tc.xld_cli(["-static", *flags, "-o", tmp_path / "ours", no_entry])
        assert got.returncode == want.returncode, (flags, got.stderr)
        assert ("cannot find entry symbol _start" in got.stderr) == \
            ("cannot find entry symbol _start" in want.stderr), (flags, got.stderr)
    # every warning: GNU ld 2.40 still prints the few that come from its BFD library (this one)
    stack = tc.assemble(arch, EXECSTACK, tmp_path / "x.o")
    assert "requires executable stack" in tc.xld_cli(["-static", "-o", tmp_path / "o", stack]).stderr
    assert tc.xld_cli(["-static", "-w", "-o", tmp_path / "o", stack]).stderr == ""
    undefined = tc.assemble(arch, ".text\n.globl _start\n_start: .quad nowhere\n", tmp_path / "u.o")
    r = tc.xld_cli(["-static", "-w", "-o", tmp_path / "u", undefined])
    assert r.returncode == 1 and "undefined symbol: nowhere" in r.stderr
    assert not (tmp_path / "u").exists()


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("kind", ["-shared", "-pie"])
def test_warn_textrel(arch, kind, tmp_path):
    obj = tc.assemble(arch, TEXTREL, tmp_path / "t.o")
    for warn in ([], ["--warn-textrel"]):
        args = [kind, "-z", "notext", *warn]
        want = _gnu(arch, [*args, "-o", tmp_path / "gnu", obj])
        got = tc.xld_cli([*args, "-o", tmp_path / "ours", obj])
        assert want.returncode == got.returncode == 0, got.stderr
        gnu_textrel = [w for w in _warnings(want.stderr) if "DT_TEXTREL" in w]
        assert [w for w in _warnings(got.stderr) if "DT_TEXTREL" in w] == gnu_textrel
        assert bool(gnu_textrel) == bool(warn)
        dyn = subprocess.run([tc.require("readelf"), "-d", str(tmp_path / "ours")], capture_output=True,
                             text=True, check=True).stdout
        assert "TEXTREL" in dyn


@pytest.mark.parametrize("arch", ARCHES)
def test_i_is_r_and_check_sections_is_the_default(arch, tmp_path):
    a = tc.assemble(arch, ".text\n.globl f\nf: nop\n", tmp_path / "a.o")
    b = tc.assemble(arch, ".data\n.globl d\nd: .quad f\n", tmp_path / "b.o")
    for flag in ("-r", "-i"):
        r = tc.xld_cli([flag, "-o", tmp_path / f"out{flag}.o", a, b])
        assert r.returncode == 0, r.stderr
    assert (tmp_path / "out-r.o").read_bytes() == (tmp_path / "out-i.o").read_bytes()
    assert (tmp_path / "out-i.o").read_bytes()[16] == 1               # ET_REL
    r = tc.xld_cli(["--check-sections", "-static", "-e", "f", "-o", tmp_path / "c", a, b])
    assert r.returncode == 0, r.stderr
    # GNU ld gives a -r object a build ID note; xld does not, so it says so
    r = tc.xld_cli(["-r", "--build-id", "-o", tmp_path / "bid.o", a, b])
    assert r.returncode == 1 and "-r with --build-id is not supported" in r.stderr
    assert not (tmp_path / "bid.o").exists()
    assert tc.xld_cli(["-r", "--build-id=none", "-o", tmp_path / "bid.o", a, b]).returncode == 0


@pytest.mark.parametrize("flag", ["-Ur", "--noinhibit-exec", "--no-check-sections"])
def test_refused_by_name(flag, tmp_path):
    a = tc.assemble("arm64", ".text\n.globl _start\n_start: nop\n", tmp_path / "a.o")
    out = tmp_path / "out"
    r = tc.xld_cli([flag, "-o", out, a])
    assert r.returncode == 1 and r.stderr.startswith(f"xld: error: {flag} is not supported")
    assert "Traceback" not in r.stderr and not out.exists()


KEEP_EXPORTED = r"""
int used(void) { return 1; }
int exported_unused(void) { return 2; }
__attribute__((visibility("hidden"))) int hidden_unused(void) { return 3; }
__attribute__((visibility("protected"))) int protected_unused(void) { return 4; }
static int local_unused(void) { return 5; }
int keep_local(void) { return local_unused(); }
int main(void) { return used() - 1; }
"""


def _cc_link(arch, tmp_path, name, inputs, flags, linker, cxx=False):
    cc = tc.require(f"{tc.TRIPLE[arch]}-{'g++' if cxx else 'gcc'}")
    out = tmp_path / f"{name}-{linker}"
    b = ["-B", str(tc.ld_wrapper_dir(tmp_path))] if linker == "xld" else []
    p = subprocess.run([cc, *b, *flags, *map(str, inputs), "-o", str(out)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return out


def _readelf(args, path) -> str:
    return subprocess.run([tc.require("readelf"), *args, str(path)], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("arch", ARCHES)
def test_gc_keep_exported(arch, tmp_path):
    """--gc-keep-exported: an executable keeps the sections of its default and protected
    globals under --gc-sections (not the hidden ones), as GNU ld does."""
    src = tmp_path / "k.c"
    src.write_text(KEEP_EXPORTED)
    obj = tmp_path / "k.o"
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-gcc"), "-ffunction-sections", "-c", str(src), "-o", str(obj)],
                   check=True)
    mine = {"used", "exported_unused", "hidden_unused", "protected_unused", "local_unused", "keep_local"}
    for flags in (["-Wl,--gc-sections"], ["-Wl,--gc-sections", "-Wl,--gc-keep-exported"],
                  ["-static", "-Wl,--gc-sections", "-Wl,--gc-keep-exported"]):
        kept = []
        for linker in ("gnu", "xld"):
            exe = _cc_link(arch, tmp_path, "k", [obj], flags, linker)
            kept.append({line.split()[-1] for line in _readelf(["-sW"], exe).splitlines()
                         if line.split() and line.split()[-1] in mine})
        assert kept[1] == kept[0], flags
        assert ("exported_unused" in kept[1]) == ("-Wl,--gc-keep-exported" in flags)
        assert "hidden_unused" not in kept[1]


DL_C = r"""
int counter = 1;
int table[4] = {1, 2, 3, 4};
int bump(void) { return ++counter; }
int use(void) { return bump() + table[2] + counter; }
"""
DL_CXX = r"""
#include <cstdlib>
#include <new>
#include <typeinfo>
struct Base { virtual ~Base() {} virtual int f() { return 1; } };
struct D : Base { int f() override { return 2; } };
void *operator new(std::size_t n) { return std::malloc(n ? n : 1); }
void operator delete(void *p) noexcept { std::free(p); }
int make(void) { Base *b = new D; int r = b->f() + (typeid(*b) == typeid(D)); delete b; return r; }
"""
DL_MAIN = "int gvar = 3;\nconst int cvar = 4;\nint gfun(void) { return gvar; }\nint main(void) { return gfun() - 3; }\n"


@pytest.mark.parametrize("arch", ARCHES)
def test_builtin_dynamic_lists(arch, tmp_path):
    """--dynamic-list-data, --dynamic-list-cpp-new, --dynamic-list-cpp-typeinfo: in a shared
    library the listed symbols stay interposable and the others bind inside (the dynamic
    relocations name the same symbols as GNU ld's); in an executable --dynamic-list-data
    exports the data symbols."""
    tri = tc.TRIPLE[arch]
    (tmp_path / "dl.c").write_text(DL_C)
    (tmp_path / "dlx.cc").write_text(DL_CXX)
    (tmp_path / "m.c").write_text(DL_MAIN)
    objs = [tmp_path / "dl.o", tmp_path / "dlx.o"]
    subprocess.run([tc.require(f"{tri}-gcc"), "-fPIC", "-c", str(tmp_path / "dl.c"), "-o", str(objs[0])], check=True)
    subprocess.run([tc.require(f"{tri}-g++"), "-fPIC", "-c", str(tmp_path / "dlx.cc"), "-o", str(objs[1])], check=True)

    def dynamic_relocs(path) -> list[str]:
        return sorted(f"{w[2]} {w[4]}" for w in map(str.split, _readelf(["-rW"], path).splitlines())
                      if len(w) >= 5 and w[2].startswith("R_") and "RELATIVE" not in w[2])

    for flag in ("--dynamic-list-data", "--dynamic-list-cpp-new", "--dynamic-list-cpp-typeinfo"):
        libs = [_cc_link(arch, tmp_path, "lib.so", objs, ["-shared", f"-Wl,{flag}"], linker, cxx=True)
                for linker in ("gnu", "xld")]
        want = dynamic_relocs(libs[0])
        assert dynamic_relocs(libs[1]) == want, flag
        plain = dynamic_relocs(_cc_link(arch, tmp_path, "plain.so", objs, ["-shared"], "xld", cxx=True))
        assert want != plain, flag          # the list made a difference
    main = tmp_path / "m.o"
    subprocess.run([tc.require(f"{tri}-gcc"), "-c", str(tmp_path / "m.c"), "-o", str(main)], check=True)
    for flags in ([], ["-Wl,--dynamic-list-data"]):
        exports = []
        for linker in ("gnu", "xld"):
            exe = _cc_link(arch, tmp_path, "prog", [main], flags, linker)
            exports.append({w[7] for w in map(str.split, _readelf(["--dyn-syms", "-W"], exe).splitlines())
                            if len(w) >= 8 and w[6] != "UND" and w[7] in ("gvar", "cvar", "gfun")})
        assert exports[1] == exports[0] == ({"gvar", "cvar"} if flags else set())


CREF = {
    "a.c": "int shared_var = 1;\nint helper(int x) { return x + shared_var; }\n",
    "b.c": "extern int shared_var; int helper(int);\nint twice(int x) { return helper(x) * 2 + shared_var; }\n",
    "c.c": ("int twice(int); int helper(int);\nint _start(void) { return twice(1) + helper(2); }\n"
            "int a_name_of_more_than_fifty_characters_is_followed_by_a_space(void) { return 0; }\n"),
    "w1.c": "__attribute__((weak)) int wk(void) { return 1; }\nint r1(void) { return wk(); }\n",
    "w2.c": "__attribute__((weak)) int wk(void) { return 2; }\n",
    "cm1.c": "int cm;\n",
    "cm2.c": "int cm;\nint *pc(void) { return &cm; }\n",
}
# symbols GNU ld's BFD attributes to the first input that hosts its own sections
LINKER_MADE = {"_GLOBAL_OFFSET_TABLE_", "_TLS_MODULE_BASE_", "__GNU_EH_FRAME_HDR", "_DYNAMIC"}


def _cref_table(text: str) -> dict[str, list[str]]:
    """Symbol -> files, from GNU ld's "Cross Reference Table" layout."""
    lines = text[text.index("Cross Reference Table"):].splitlines()[3:]
    table: dict[str, list[str]] = {}
    name = None
    for line in lines:
        if not line.strip():
            continue
        if line.startswith(" "):
            table[name].append(line.strip())
        else:
            name, _, file = (line[:50].rstrip(), "", line[50:]) if line[49:50] == " " else line.rpartition(" ")
            table[name.strip()] = [file.strip()]
    return table


@pytest.mark.parametrize("arch", ARCHES)
def test_cref(arch, tmp_path):
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    for name, text in CREF.items():
        (tmp_path / name).write_text(text)
        subprocess.run([cc, "-fcommon", "-c", name], cwd=tmp_path, check=True)
    objs = ["a.o", "b.o", "c.o", "w1.o", "cm1.o", "w2.o", "cm2.o"]
    want = _gnu(arch, ["--cref", "-o", "g.out", *objs], cwd=tmp_path)
    got = tc.xld_cli(["--cref", "-o", "x.out", *objs], cwd=tmp_path)
    assert want.returncode == got.returncode == 0, got.stderr
    # the same text, but for the line of GNU ld's own _GLOBAL_OFFSET_TABLE_
    drop = [line for line in want.stdout.splitlines() if line.split()[:1] != ["_GLOBAL_OFFSET_TABLE_"]]
    assert got.stdout.splitlines() == drop
    assert "helper                                            a.o\n" + " " * 50 + "c.o\n" in got.stdout
    # with a map, the table ends the map; --no-print-map-discarded leaves out that part
    r = tc.xld_cli(["--cref", "-Map", "x.map", "-o", "x.out", *objs], cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == ""
    text = (tmp_path / "x.map").read_text()
    assert text.endswith(got.stdout) and "Discarded input sections" in text
    r = tc.xld_cli(["--no-print-map-discarded", "-Map", "y.map", "-o", "x.out", *objs], cwd=tmp_path)
    assert r.returncode == 0 and "Discarded input sections" not in (tmp_path / "y.map").read_text()
    # -r: the table (no layout needed); a map is refused rather than left unwritten
    r = tc.xld_cli(["-r", "--cref", "-o", "r.o", "a.o", "b.o"], cwd=tmp_path)
    assert r.returncode == 0 and "shared_var" in r.stdout
    r = tc.xld_cli(["-r", "-Map", "r.map", "-o", "r2.o", "a.o", "b.o"], cwd=tmp_path)
    assert r.returncode == 1 and "-r with -Map (-M) is not supported" in r.stderr
    assert not (tmp_path / "r2.o").exists() and not (tmp_path / "r.map").exists()


@pytest.mark.parametrize("arch", ARCHES)
def test_cref_of_a_static_cxx_program(arch, tmp_path):
    """The same files named for every symbol as GNU ld's table (mangled names: the two
    demanglers spell some names differently), through g++ -B with libstdc++.a and libc.a:
    archive members, COMDAT copies, weak definitions."""
    (tmp_path / "d.cc").write_text("#include <string>\n#include <iostream>\n"
                                   "int main(int c, char **) { std::cout << std::string(c, 'x') << '\\n'; }\n")
    cxx = tc.require(f"{tc.TRIPLE[arch]}-g++")
    subprocess.run([cxx, "-c", "d.cc"], cwd=tmp_path, check=True)
    tables = []
    for linker in ("gnu", "xld"):
        b = ["-B", str(tc.ld_wrapper_dir(tmp_path))] if linker == "xld" else []
        p = subprocess.run([cxx, *b, "-static", "-Wl,--cref", "-Wl,--no-demangle", "d.o", "-o", f"d-{linker}"],
                           cwd=tmp_path, capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        tables.append({k: sorted(v) for k, v in _cref_table(p.stdout).items() if k not in LINKER_MADE})
    assert len(tables[0]) > 1000
    assert tables[1] == tables[0]


def _libb_for_both_machines(arch: str, tmp_path) -> str:
    """m.c calling b(), and libb.a made for ``arch`` (in tmp_path/ARCH) and for the other
    machine (in tmp_path/OTHER, returned): the two search-mismatch tests' inputs."""
    other = "riscv64" if arch == "arm64" else "arm64"
    (tmp_path / "b.c").write_text("int b(void) { return 4; }\n")
    (tmp_path / "m.c").write_text("int b(void);\nint main(void) { return b(); }\n")
    for a in (arch, other):
        d = tmp_path / a
        d.mkdir()
        subprocess.run([tc.require(f"{tc.TRIPLE[a]}-gcc"), "-O1", "-c", tmp_path / "b.c", "-o", d / "b.o"], check=True)
        subprocess.run([f"{tc.TRIPLE[a]}-ar", "rcs", d / "libb.a", d / "b.o"], check=True)
    return other


@pytest.mark.parametrize("arch", ARCHES)
def test_l_search_skips_libraries_of_another_machine(arch, tmp_path):
    """-lb finds the other architecture's libb.so/libb.a first: skipped with GNU ld's warning,
    the search goes on (xld stopped: 'is incompatible with ...'); none of the right machine:
    not found."""
    other = _libb_for_both_machines(arch, tmp_path)
    wrapper = tc.ld_wrapper_dir(tmp_path)
    cc = f"{tc.TRIPLE[arch]}-gcc"
    p = subprocess.run([cc, "-B", wrapper, "-static", tmp_path / "m.c", f"-L{tmp_path / other}",
                        f"-L{tmp_path / arch}", "-lb", "-o", tmp_path / "prog"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert f"warning: skipping incompatible {tmp_path / other / 'libb.a'} when searching for -lb" in p.stderr
    assert tc.qemu_run(arch, tmp_path / "prog").status == 4
    # --no-warn-search-mismatch (was unknown): the same, without the warning, as GNU ld
    p = subprocess.run([cc, "-B", wrapper, "-static", tmp_path / "m.c", f"-L{tmp_path / other}",
                        f"-L{tmp_path / arch}", "-lb", "-Wl,--no-warn-search-mismatch", "-o", tmp_path / "quiet"],
                       capture_output=True, text=True)
    assert p.returncode == 0 and "skipping incompatible" not in p.stderr, p.stderr
    assert tc.qemu_run(arch, tmp_path / "quiet").status == 4
    p = subprocess.run([cc, "-B", wrapper, "-static", tmp_path / "m.c", f"-L{tmp_path / other}", "-lb",
                        "-o", tmp_path / "none"], capture_output=True, text=True)
    assert p.returncode != 0 and "unable to find library -lb" in p.stderr and not (tmp_path / "none").exists()


# -- round 3: -Bgroup, --unresolved-symbols with -shared, -dT, --error-handling-script, --target-help

UNDEF_S = ".text\n.globl f\nf: bl undef\n"
UNDEF_RV = ".text\n.globl f\nf: call undef\n"
WEAK_S = ".text\n.weak undef\n.globl f\nf: nop\n.data\n.quad undef\n"


def _dt_flags_1(arch, path) -> list[str]:
    out = subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-readelf"), "-d", str(path)], capture_output=True, text=True).stdout
    return next((line.split("Flags:", 1)[1].split() for line in out.splitlines() if "FLAGS_1" in line), [])


@pytest.mark.parametrize("arch", ARCHES)
def test_bgroup_and_unresolved_symbols_in_shared_links(arch, tmp_path):
    """-Bgroup (was unknown): DF_1_GROUP, and GNU ld's --unresolved-symbols=report-all, so a
    library's undefined name is an error unless a later -z undefs or ignore-all says otherwise
    (a weak one never is); --unresolved-symbols=report-all|ignore-in-shared-libs with -shared
    were ignored (xld linked what GNU ld refuses).  Each case: GNU ld's status and flags."""
    undef = tc.assemble(arch, UNDEF_S if arch == "arm64" else UNDEF_RV, tmp_path / "u.o")
    weak = tc.assemble(arch, WEAK_S, tmp_path / "w.o")
    cases = [["-Bgroup", undef], ["-Bgroup", "-z", "undefs", undef], ["-Bgroup", "--allow-shlib-undefined", undef],
             [undef, "-Bgroup", "--unresolved-symbols=ignore-all"], ["--unresolved-symbols=ignore-all", "-Bgroup", undef],
             ["--unresolved-symbols=report-all", undef], ["--unresolved-symbols=ignore-in-shared-libs", undef],
             ["--unresolved-symbols=ignore-in-object-files", undef], ["-Bgroup", weak], ["-z", "defs", weak]]
    statuses = []
    for k, args in enumerate(cases):
        gnu, ours = tmp_path / f"g{k}.so", tmp_path / f"x{k}.so"
        want = _gnu(arch, ["-shared", *args, "-o", gnu])
        got = tc.xld_cli(["-shared", *args, "-o", ours])
        assert got.returncode == want.returncode, (args, got.stderr)
        statuses.append(got.returncode)
        if want.returncode == 0:
            assert _dt_flags_1(arch, ours) == _dt_flags_1(arch, gnu), args
        else:
            assert "undefined symbol: undef" in got.stderr and not ours.exists()
    assert statuses == [1, 0, 1, 0, 1, 1, 1, 0, 0, 0]
    assert _dt_flags_1(arch, tmp_path / "x8.so") == ["GROUP"]


@pytest.mark.parametrize("arch", ARCHES)
def test_default_script(arch, tmp_path):
    """-dT FILE / --default-script=FILE (was unknown): FILE is the script without -T; a -T
    script replaces it (either order), as GNU ld; with an INSERT script, an error."""
    obj = tc.assemble(arch, ".text\n.globl _start\n_start: nop\n", tmp_path / "s.o")
    a, b, ins = tmp_path / "a.ld", tmp_path / "b.ld", tmp_path / "i.ld"
    a.write_text("SECTIONS { . = 0x500000; .text : { *(.text*) } sym_a = 1; }\n")
    b.write_text("SECTIONS { . = 0x600000; .text : { *(.text*) } sym_b = 2; }\n")
    ins.write_text("SECTIONS { .extra : { LONG(5) } } INSERT AFTER .text;\n")
    nm = tc.require(f"{tc.TRIPLE[arch]}-nm")
    for k, args in enumerate((["-dT", a], [f"--default-script={a}"], ["-dT", a, "-T", b], ["-T", b, "-dT", a])):
        gnu, ours = tmp_path / f"g{k}", tmp_path / f"x{k}"
        assert _gnu(arch, [*args, "-o", gnu, obj]).returncode == 0
        got = tc.xld_cli([*args, "-o", ours, obj])
        assert got.returncode == 0, got.stderr
        syms = [subprocess.run([nm, str(p)], capture_output=True, text=True).stdout for p in (gnu, ours)]
        assert syms[0] == syms[1] and ("sym_b" in syms[1]) == ("-T" in args), args
    got = tc.xld_cli(["-dT", a, "-T", ins, "-o", tmp_path / "x", obj])
    assert got.returncode == 1 and "with an INSERT script" in got.stderr and not (tmp_path / "x").exists()


@pytest.mark.parametrize("arch", ARCHES)
def test_error_handling_script(arch, tmp_path):
    """--error-handling-script=S (was unknown): S runs with undefined-symbol NAME for each
    reference shown and with missing-lib -lNAME, before the error, as GNU ld runs it; the link
    fails all the same; a script that cannot run is said so."""
    hook = tmp_path / "hook.sh"
    hook.write_text('#!/bin/sh\necho "HOOK: $1 $2" >&2\n')
    hook.chmod(0o755)
    undef = tc.assemble(arch, UNDEF_S if arch == "arm64" else UNDEF_RV, tmp_path / "u.o")
    for args in ([undef], ["-lnosuchlib", undef], ["-l:libzz.so", undef]):
        want = _gnu(arch, [f"--error-handling-script={hook}", "-e", "f", *args, "-o", tmp_path / "g"])
        got = tc.xld_cli([f"--error-handling-script={hook}", "-e", "f", *args, "-o", tmp_path / "x"])
        hooks = [[line for line in p.stderr.splitlines() if line.startswith("HOOK")] for p in (want, got)]
        assert got.returncode == want.returncode == 1 and hooks[0] == hooks[1] and hooks[1], (args, got.stderr)
        assert got.stderr.index("HOOK") < got.stderr.index("xld: error")
        assert not (tmp_path / "x").exists()
    got = tc.xld_cli(["--error-handling-script", tmp_path / "nonexistent", "-e", "f", undef, "-o", tmp_path / "x"])
    assert got.returncode == 1 and "failed to run error handling script" in got.stderr


def test_target_help():
    """--target-help (was unknown): the targets' own options, status 0, as GNU ld."""
    got = tc.xld_cli(["--target-help"])
    assert got.returncode == 0 and "--fix-cortex-a53-843419" in got.stdout and "--no-relax-gp" in got.stdout


def test_help_says_the_supported_targets_as_libtool_reads_them():
    """libtool's configure decides from the linker's --help whether a GNU linker makes shared
    libraries (libtool.m4: `$LD --help 2>&1 | $GREP ': supported targets:.* elf'`); xld's --help
    had no such line, so every libtool C library built with gcc -B was static only (expat's
    ./configure --host=aarch64-linux-gnu: 'supports shared libraries... no')."""
    m4 = Path("/usr/share/aclocal/libtool.m4")
    if m4.exists():                     # (the pattern, as the installed libtool has it)
        assert "': supported targets:.* elf'" in m4.read_text()
    got = tc.xld_cli(["--help"])
    assert got.returncode == 0 and re.search(r": supported targets:.* elf", got.stdout)
    emulations = next(line for line in got.stdout.splitlines() if ": supported emulations:" in line)
    assert {"aarch64linux", "elf64lriscv"} <= set(emulations.split())

@pytest.mark.parametrize("flag", ["-v", "--version"])
def test_version_reads_as_gnu_ld_2_40_in_configure_scripts(flag, tmp_path):
    """GCC's runtime libraries' and libffi's configure read the linker's version from the first
    line of `$LD --version`: a 'GNU ld' (the parenthesised package dropped) followed by a
    number, 2.14 or later, or symbol versioning is off (libffi 3.4.4 with gcc -B to xld: a
    libffi.so.8 without its LIBFFI_BASE_8.0 ... versions). The same sed as those scripts (run by
    the shell, as they run it), then libtool's `$LD -v` test for a GNU linker."""
    got = tc.xld_cli([flag])
    assert got.returncode == 0
    first = got.stdout.splitlines()[0]
    sed = subprocess.run(["sed", "-e", "s/GNU gold /GNU ld /;s/GNU ld version /GNU ld /;"
                          "s/GNU ld ([^)]*) /GNU ld /;s/GNU ld \\([0-9.][0-9.]*\\).*/\\1/; q"],
                         input=first, capture_output=True, text=True).stdout.strip()
    major, minor = (int(x) for x in sed.split(".")[:2])
    assert (major, minor) >= (2, 14), (first, sed)
    assert "GNU" in first and "xld" in first


@pytest.mark.parametrize("arch", ARCHES)
def test_a_script_input_named_twice(arch, tmp_path):
    """A linker script given twice (gcc's line names libgcc_s.so twice) names the same files
    each time, and -lNAME given twice finds the same file: each found once a link, unless
    finding it warned (a skipped library of another machine: said each time, as each -l
    search says it)."""
    other = _libb_for_both_machines(arch, tmp_path)
    (tmp_path / "libw.a").write_text("/* GNU ld script */\nGROUP ( -lb )\n")
    wrapper = tc.ld_wrapper_dir(tmp_path)
    cc = f"{tc.TRIPLE[arch]}-gcc"
    warning = f"warning: skipping incompatible {tmp_path / other / 'libb.a'} when searching for -lb"
    for dirs, warned, libs in (([tmp_path / arch], 0, ["-lw", "-lw"]),
                               ([tmp_path / other, tmp_path / arch], 2, ["-lw", "-lw"]),
                               ([tmp_path / other, tmp_path / arch], 2, ["-lb", "-lb"])):   # (-l itself)
        p = subprocess.run([cc, "-B", wrapper, "-static", tmp_path / "m.c", f"-L{tmp_path}",
                            *[f"-L{d}" for d in dirs], *libs, "-o", tmp_path / "prog"],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        assert p.stderr.count(warning) == warned, p.stderr
        assert tc.qemu_run(arch, tmp_path / "prog").status == 4


IGNORED_UNDEF = r"""
#include <stdio.h>
extern int undef_strong(void);
int main(int c, char **v) { if (c > 5) return undef_strong(); printf("ok\n"); return 0; }
"""


@pytest.mark.parametrize("arch", ARCHES)
def test_ignore_unresolved_symbol_and_spare_dynamic_tags(arch, tmp_path):
    """--ignore-unresolved-symbol SYM (was unknown): SYM's undefined references are not
    reported (0 in a static link, imported by a dynamic one: GNU ld's PIE then fails to load
    with 'unexpected PLT reloc type 0x00', xld's runs), other names still are, and -z defs
    in a library lets SYM through as GNU ld does.  --spare-dynamic-tags N (was unknown):
    N more DT_NULL entries, as GNU ld writes.  -Qy, -flto, -flto-partition=, -fuse-ld=:
    ignored, as GNU ld ignores them."""
    src = tmp_path / "iu.c"
    src.write_text(IGNORED_UNDEF)
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    wrapper = tc.ld_wrapper_dir(tmp_path)
    sysroot = f"/usr/{tc.TRIPLE[arch]}"
    for mode in ("-static", "-no-pie", "-pie"):
        exe = tmp_path / f"x{mode}"
        base = [cc, "-B", wrapper, mode, "-O1", src, "-o", exe, "-Wl,-Qy,-flto,-flto-partition=none"]
        p = subprocess.run([*base, "-Wl,--ignore-unresolved-symbol=undef_strong"], capture_output=True, text=True)
        assert p.returncode == 0 and (wrapper / "called").exists(), p.stderr
        got = tc.qemu_run(arch, exe, sysroot=sysroot)
        assert (got.status, got.stdout) == (0, b"ok\n"), got.summary()
        p = subprocess.run([*base, "-Wl,--ignore-unresolved-symbol=other"], capture_output=True, text=True)
        assert p.returncode == 1 and "undefined symbol: undef_strong" in p.stderr
    undef = tc.assemble(arch, UNDEF_S if arch == "arm64" else UNDEF_RV, tmp_path / "u.o")
    for k, extra in enumerate((["--ignore-unresolved-symbol", "undef"], [])):
        want = _gnu(arch, ["-shared", "-z", "defs", *extra, undef, "-o", tmp_path / f"g{k}.so"])
        got = tc.xld_cli(["-shared", "-z", "defs", *extra, undef, "-o", tmp_path / f"x{k}.so", "-fuse-ld=bfd"])
        assert got.returncode == want.returncode == k, got.stderr
    from elftools.elf.elffile import ELFFile

    def nulls(path) -> int:                 # (pyelftools' iter_tags stops at the first)
        with open(path, "rb") as f:
            data = ELFFile(f).get_section_by_name(".dynamic").data()
        return sum(1 for i in range(0, len(data), 16) if data[i:i + 8] == bytes(8))
    ok = tc.assemble(arch, WEAK_S, tmp_path / "w.o")
    for n in (0, 3):
        want = _gnu(arch, ["-shared", f"--spare-dynamic-tags={n}", ok, "-o", tmp_path / "gs.so"])
        got = tc.xld_cli(["-shared", "--spare-dynamic-tags", str(n), ok, "-o", tmp_path / "xs.so"])
        assert want.returncode == got.returncode == 0, got.stderr
        assert nulls(tmp_path / "xs.so") == nulls(tmp_path / "gs.so") == n + 1


NO_APPLY = r"""
#include <stdio.h>
int x = 5; int *px = &x; int f(void) { return 1; } int (*pf)(void) = f;
static int sx = 3; static int *psx = &sx;
int main(void) { printf("%d\n", *px + pf() + *psx); return 0; }
"""


def _dyn_places(path) -> list[tuple[str, int, bool]]:
    """(relocation section, type, whether the word at the place is 0) of each dynamic
    relocation whose place is not in .got/.got.plt."""
    import struct
    from elftools.elf.elffile import ELFFile
    out = []
    with open(path, "rb") as f:
        e = ELFFile(f)
        gots = [(s["sh_addr"], s["sh_addr"] + s["sh_size"]) for s in e.iter_sections() if s.name.startswith(".got")]
        for s in e.iter_sections():
            if s["sh_type"] != "SHT_RELA" or not s["sh_flags"] & 2:
                continue
            for r in s.iter_relocations():
                at = r["r_offset"]
                if any(a <= at < b for a, b in gots):
                    continue
                for seg in e.iter_segments():
                    if seg["p_type"] == "PT_LOAD" and seg["p_vaddr"] <= at < seg["p_vaddr"] + seg["p_filesz"]:
                        f.seek(seg["p_offset"] + at - seg["p_vaddr"])
                        out.append((s.name, r["r_info_type"], struct.unpack("<q", f.read(8))[0] == 0))
    return sorted(out)


@pytest.mark.parametrize("arch", ARCHES)
def test_no_apply_dynamic_relocs(arch, tmp_path):
    """--no-apply-dynamic-relocs (was unknown; GNU ld's, AArch64 only): the data words a
    dynamic relocation sets hold 0, as in GNU ld's output (the GOT's RELATIVE slots keep their
    value, as GNU ld's do), --verify knows it, the program runs; riscv64: an error, as GNU ld
    does not know the option there."""
    src = tmp_path / "n.c"
    src.write_text(NO_APPLY)
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    wrapper = tc.ld_wrapper_dir(tmp_path)
    flag = "-Wl,--no-apply-dynamic-relocs"
    if arch == "riscv64":
        p = subprocess.run([cc, "-B", wrapper, src, flag, "-o", tmp_path / "x"], capture_output=True, text=True)
        assert p.returncode == 1 and "--no-apply-dynamic-relocs is not supported for riscv64" in p.stderr
        return
    for mode in (["-pie"], ["-shared", "-fPIC"]):
        gnu, ours, plain = tmp_path / "g", tmp_path / "x", tmp_path / "p"
        subprocess.run([cc, *mode, src, flag, "-o", gnu], check=True)
        p = subprocess.run([cc, "-B", wrapper, *mode, src, flag, "-Wl,--verify", "-o", ours], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        subprocess.run([cc, "-B", wrapper, *mode, src, "-o", plain], check=True)
        got = _dyn_places(ours)
        assert got == _dyn_places(gnu) and all(zero for _, _, zero in got)
        assert not all(zero for _, t, zero in _dyn_places(plain) if t == 1027)    # (RELATIVE: set without it)
        if mode == ["-pie"]:
            sysroot = f"/usr/{tc.TRIPLE[arch]}"
            assert tc.qemu_run(arch, ours, sysroot=sysroot).stdout == tc.qemu_run(arch, gnu, sysroot=sysroot).stdout == b"9\n"


BLOB_USER = r"""
#include <stdio.h>
extern const char _binary_data_my_blob_txt_start[], _binary_data_my_blob_txt_end[];
extern const char _binary_data_my_blob_txt_size[];
int main(void) {
    fwrite(_binary_data_my_blob_txt_start, 1, _binary_data_my_blob_txt_end - _binary_data_my_blob_txt_start, stdout);
    printf("%ld\n", (long)_binary_data_my_blob_txt_size);
    return 0;
}
"""


def _symbols(arch, path) -> list[tuple[str, ...]]:
    out = subprocess.run([f"{tc.TRIPLE[arch]}-readelf", "-sW", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return [tuple(f[1:]) for f in (line.split() for line in out.splitlines()) if len(f) == 8 and f[0].endswith(":")]


@pytest.mark.parametrize("arch", ARCHES)
def test_binary_input_format(arch, tmp_path):
    """-b binary / --format=binary (was unknown): a file's bytes as a .data section with
    _binary_NAME_start/_end/_size, NAME the path as given with other characters made '_';
    `ld -r -b binary` gives GNU ld's symbols; through gcc the program prints the blob as GNU
    ld's does.  A data-only object (GNU ld's own -r -b binary, e_flags 0) links with riscv64
    double-float objects, as GNU ld checks only objects with code (xld refused: 'cannot link
    soft-float ABI object with double-float ABI object')."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "my-blob.txt").write_bytes(b"hello blob\n")
    (tmp_path / "use.c").write_text(BLOB_USER)
    m = ["-m", EMULATION[arch]]
    assert _gnu(arch, [*m, "-r", "-b", "binary", "data/my-blob.txt", "-o", "g.o"], cwd=tmp_path).returncode == 0
    got = subprocess.run([*tc.xld_command(), *m, "-r", "--format", "binary", "data/my-blob.txt", "-o", "x.o"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert got.returncode == 0, got.stderr
    assert sorted(_symbols(arch, tmp_path / "x.o")) == sorted(_symbols(arch, tmp_path / "g.o"))
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    wrapper = tc.ld_wrapper_dir(tmp_path)
    sysroot = f"/usr/{tc.TRIPLE[arch]}"
    outs = []
    for name, args in (("gnu", []), ("xld", ["-B", str(wrapper)]), ("xld-gnu-obj", ["-B", str(wrapper)])):
        blob = ["g.o"] if name == "xld-gnu-obj" else ["-Wl,-b,binary", "data/my-blob.txt", "-Wl,-b,default"]
        # (-no-pie: GNU ld's PIE reads the absolute _size PC-relatively, as load base + 11)
        p = subprocess.run([cc, *args, "-no-pie", "use.c", *blob, "-o", name], capture_output=True, text=True,
                           cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        outs.append(tc.qemu_run(arch, tmp_path / name, sysroot=sysroot).stdout)
    assert outs == [b"hello blob\n11\n"] * 3
    got = tc.xld_cli(["-b", "binary", tmp_path / "use.c", "-o", tmp_path / "none"])
    assert got.returncode == 1 and "the target is not known yet" in got.stderr


@pytest.mark.parametrize("arch", ARCHES)
def test_more_z_keywords(arch, tmp_path):
    """-z textoff (GNU ld's other name of notext), -z globalaudit (DF_1_GLOBAUDIT), and the
    defaults -z nocommon, nounique, nounique-symbol: were unknown; each as GNU ld has it.
    -z common with -r and -z unique-symbol: errors that say so."""
    obj = tc.assemble(arch, TEXTREL, tmp_path / "t.o")
    for z in ("textoff", "notext"):
        want = _gnu(arch, ["-pie", "-z", z, obj, "-o", tmp_path / "g"])
        got = tc.xld_cli(["-pie", "-z", z, obj, "-o", tmp_path / "x"])
        assert want.returncode == got.returncode == 0, got.stderr
        flags = [subprocess.run([f"{tc.TRIPLE[arch]}-readelf", "-d", str(tmp_path / n)], capture_output=True,
                                text=True).stdout.count("TEXTREL") for n in ("g", "x")]
        assert flags[0] == flags[1] > 0
    ok = tc.assemble(arch, WEAK_S, tmp_path / "w.o")
    for z in ("globalaudit", "nocommon", "nounique", "nounique-symbol", "common"):
        want = _gnu(arch, ["-shared", "-z", z, ok, "-o", tmp_path / "g.so"])
        got = tc.xld_cli(["-shared", "-z", z, ok, "-o", tmp_path / "x.so"])
        assert want.returncode == got.returncode == 0, got.stderr
        assert _dt_flags_1(arch, tmp_path / "x.so") == _dt_flags_1(arch, tmp_path / "g.so"), z
    assert _dt_flags_1(arch, tmp_path / "x.so") == [] and "GLOBAUDIT" not in _dt_flags_1(arch, tmp_path / "g.so")
    got = tc.xld_cli(["-r", "-z", "common", ok, "-o", tmp_path / "r.o"])
    assert got.returncode == 1 and "-z common with -r is not supported" in got.stderr
    got = tc.xld_cli(["-shared", "-z", "unique-symbol", ok, "-o", tmp_path / "u.so"])
    assert got.returncode == 1 and "-z unique-symbol is not supported" in got.stderr


@pytest.mark.parametrize("arch", ARCHES)
def test_audit_libraries(arch, tmp_path):
    """--audit LIB (DT_AUDIT) and -P LIB / --depaudit LIB (DT_DEPAUDIT), several joined by
    ':', as GNU ld writes them: were unknown, and -P was taken for GNU ld's ignored SVR4
    switch, so its LIB became an input (a library named so was linked against)."""
    ok = tc.assemble(arch, WEAK_S, tmp_path / "w.o")
    aud = tmp_path / "aud.so"
    assert _gnu(arch, ["-shared", ok, "-o", aud, "-soname", "aud.so"]).returncode == 0
    args = ["-shared", "--audit", "a1.so", "--audit=a2.so", "-P", str(aud), "--depaudit=d2.so", ok]
    want = _gnu(arch, [*args, "-o", tmp_path / "g.so"])
    got = tc.xld_cli([*args, "-o", tmp_path / "x.so"])
    assert want.returncode == got.returncode == 0, got.stderr

    def dyn(path):
        out = subprocess.run([f"{tc.TRIPLE[arch]}-readelf", "-d", str(path)], capture_output=True, text=True).stdout
        return sorted(line.split(None, 1)[1] for line in out.splitlines() if "AUDIT" in line or "NEEDED" in line)
    assert dyn(tmp_path / "x.so") == dyn(tmp_path / "g.so")
    assert any(f"[{aud}:d2.so]" in line for line in dyn(tmp_path / "x.so"))


MATH = r"""
#include <math.h>
#include <stdio.h>
int main(int argc, char **argv) { printf("%.3f\n", sqrt(argc + 1.0)); return 0; }
"""


@pytest.mark.parametrize("arch", ARCHES)
def test_verbose_in_a_link(arch, tmp_path):
    """BusyBox's scripts/trylink makes its final link with `-Wl,--warn-common -Wl,-Map,X.map
    -Wl,--verbose` (into busybox_unstripped.out, read by nobody): xld refused --verbose, so
    BusyBox did not build with it. In a link, --verbose now prints GNU ld's version line, its
    "attempt to open PATH succeeded|failed" line for each file and each -l candidate (the same
    paths as GNU ld's for -lm), and -t's lines, and links as without it; alone (GNU ld's query
    for its default script, which xld does not have) it is still an error that says so."""
    obj = tc.compile_c(arch, MATH, tmp_path)
    flags = ["-Wl,--warn-common", f"-Wl,-Map,{tmp_path / 'm.map'}", "-Wl,--verbose", obj, "-lm"]
    gnu = _cc_link(arch, tmp_path, "math", [], flags, "gnu")
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    b = ["-B", str(tc.ld_wrapper_dir(tmp_path))]
    got = subprocess.run([cc, *b, *map(str, flags), "-o", str(tmp_path / "math-xld")],
                         capture_output=True, text=True)
    assert got.returncode == 0, got.stderr
    want = subprocess.run([cc, *map(str, flags), "-o", str(tmp_path / "again")], capture_output=True, text=True)
    lines = got.stdout.splitlines()
    assert lines[0].startswith("GNU ld (xld")
    assert f"attempt to open {obj} succeeded" in lines and str(obj) in lines

    def libm(out):
        return [ln for ln in out.splitlines() if ln.startswith("attempt to open") and "/libm." in ln
                and "xld-as-ld" not in ln]
    assert libm(got.stdout) == libm(want.stdout) and libm(got.stdout)[-1].endswith("libm.so succeeded")
    q = tc.qemu_run(arch, tmp_path / "math-xld", sysroot=f"/usr/{tc.TRIPLE[arch]}")
    assert q.status == 0 and q.stdout == tc.qemu_run(arch, gnu, sysroot=f"/usr/{tc.TRIPLE[arch]}").stdout == b"1.414\n"
    r = tc.xld_cli(["--verbose"])
    assert r.returncode == 1 and "--verbose without inputs is not supported" in r.stderr
