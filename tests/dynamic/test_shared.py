"""Shared libraries (-shared) built by xld, against GNU ld's.

Every library is built from the same objects by GNU ld and by xld; programs are linked
against each by both linkers, and every combination must run under
``qemu-<arch> -L /usr/<triple>`` with the output the program checks.  The libraries'
dynamic symbol tables are compared with GNU ld's: the same exported names with the same
versions, types and bindings.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc
from tests.dynamic.util import dynamic, run

PROGS = Path(__file__).parent / "progs"
pytestmark = tc.skip_unless(all(tc.which(f"{t}-gcc") for t in tc.TRIPLE.values())
                            and all(tc.which(q) for q in tc.QEMU.values()),
                            "cross gcc and qemu-user are needed")

USEFOO = ["add 5", "counter 40 bump 41 counter 41", "counter after write 5, bump 6", "name libfoo",
          "same function 1 1", "tls 7 next 8 tls 8", "hook 42", "version 2", "ifunc 100",
          "override 42", "errno ERANGE", "plugin 13"]
SHAPES = ["circle 12 rect 10", "caught no such shape: hexagon", "made 108 109"]
LINKERS = ("gnu", "xld")


class Tree:
    """One arch's objects, and each library as each linker builds it (in gnu/ and xld/)."""

    def __init__(self, arch: str, root: Path):
        self.arch, self.triple = arch, tc.TRIPLE[arch]
        self.dir = root / arch
        self.wrapper = tc.ld_wrapper_dir(root)
        for d in LINKERS:
            (self.dir / d).mkdir(parents=True, exist_ok=True)
        self.objs: dict[str, Path] = {}

    def tool(self, lang: str) -> str:
        return f"{self.triple}-{'gcc' if lang == 'c' else 'g++'}"

    def obj(self, name: str, flags=()) -> Path:
        key = name + " ".join(flags)
        if key not in self.objs:
            src = next(PROGS.glob(name + ".c*"))
            out = self.dir / f"{name}{'-'.join(flags)}.o"
            run([self.tool("c" if src.suffix == ".c" else "c++"), "-O1", f"-I{PROGS}", *flags,
                 "-c", src, "-o", out])
            self.objs[key] = out
        return self.objs[key]

    def link(self, linker: str, lang: str, args, out: Path) -> Path:
        use = ["-B", self.wrapper] if linker == "xld" else []
        run([self.tool(lang), *use, *args, "-o", out])
        return out

    def library(self, linker: str, name: str, lang: str = "c", extra=()) -> Path:
        out = self.dir / linker / f"lib{name}.so"
        if not out.exists():
            self.link(linker, lang, ["-shared", self.obj(f"lib{name}", ["-fPIC"]), *extra], out)
        return out

    def qemu(self, exe: Path, *args, cwd=None) -> tc.RunResult:
        p = subprocess.run([tc.QEMU[self.arch], "-L", f"/usr/{self.triple}", str(exe), *map(str, args)],
                           capture_output=True, cwd=cwd or exe.parent, timeout=120)
        return tc.RunResult(p.returncode, p.stdout, p.stderr)


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    root = tmp_path_factory.mktemp("shared")
    made: dict[str, Tree] = {}

    def get(arch: str) -> Tree:
        if arch not in made:
            made[arch] = Tree(arch, root)
        return made[arch]
    return get


def _lines(res: tc.RunResult) -> list[str]:
    return res.stdout.decode().splitlines()


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("lib_by,exe_by", [(a, b) for a in LINKERS for b in LINKERS])
def test_library_and_program_by_either_linker(trees, arch, lib_by, exe_by):
    t = trees(arch)
    libfoo = t.library(lib_by, "foo", extra=[f"-Wl,--version-script={PROGS / 'libfoo.map'}"])
    t.library(lib_by, "plug")
    exe = t.dir / lib_by / f"usefoo-{exe_by}"
    t.link(exe_by, "c", [t.obj("usefoo"), "-L", libfoo.parent, "-lfoo", "-Wl,-rpath,$ORIGIN"], exe)
    res = t.qemu(exe, "./libplug.so")
    assert res.status == 0, res.summary() + res.stderr.decode()
    assert _lines(res) == USEFOO


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("lib_by,exe_by", [(a, b) for a in LINKERS for b in LINKERS])
def test_cxx_library_by_either_linker(trees, arch, lib_by, exe_by):
    t = trees(arch)
    lib = t.library(lib_by, "shapes", "c++")
    exe = t.dir / lib_by / f"useshapes-{exe_by}"
    t.link(exe_by, "c++", [t.obj("useshapes"), "-L", lib.parent, "-lshapes", "-Wl,-rpath,$ORIGIN"], exe)
    res = t.qemu(exe)
    assert res.status == 0, res.summary() + res.stderr.decode()
    assert _lines(res) == SHAPES


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_old_binary_keeps_the_old_version(trees, arch):
    """A program linked against the first release (foo_ver@FOO_1) runs against libfoo.so as
    xld builds it (foo_ver@FOO_1 and foo_ver@@FOO_2) and still gets the old function."""
    t = trees(arch)
    old = t.dir / "gnu" / "old"
    old.mkdir(exist_ok=True)
    t.link("gnu", "c", ["-shared", t.obj("libv1", ["-fPIC"]), f"-Wl,--version-script={PROGS / 'libv1.map'}"],
           old / "libfoo.so")
    exe = t.dir / "xld" / "oldver"
    t.link("gnu", "c", [t.obj("oldver"), "-L", old, "-lfoo", "-Wl,-rpath,$ORIGIN"], exe)
    t.library("xld", "foo", extra=[f"-Wl,--version-script={PROGS / 'libfoo.map'}"])
    res = t.qemu(exe)
    assert (res.status, _lines(res)) == (0, ["version 1"]), res.stderr.decode()


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("exe_by", LINKERS)
def test_dlopen_plugin_calls_back_into_the_program(trees, arch, exe_by):
    t = trees(arch)
    plugin = t.dir / "xld" / "plugin.so"
    if not plugin.exists():
        t.link("xld", "c", ["-shared", t.obj("plugin", ["-fPIC"])], plugin)
    exe = t.dir / "xld" / f"useplugin-{exe_by}"
    t.link(exe_by, "c", ["-rdynamic", t.obj("useplugin")], exe)
    res = t.qemu(exe, plugin)
    assert (res.status, _lines(res)) == (0, ["run 3108", "run 4212"]), res.stderr.decode()


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("symbolic", [False, True])
@pytest.mark.parametrize("lib_by,exe_by", [(a, b) for a in LINKERS for b in LINKERS])
def test_linker_defined_names_bind_to_the_program(trees, arch, symbolic, lib_by, exe_by):
    """A library's _end, etext, _edata (linker-defined, default visibility) are interposable as
    in GNU ld's library: ld.so binds the library's references to the program's own (which
    the program defines for itself, not takes from the library), unless -Bsymbolic."""
    t = trees(arch)
    flags = ["-Wl,-Bsymbolic"] if symbolic else []
    lib = t.dir / lib_by / ("symbolic" if symbolic else "plain") / "libends.so"
    lib.parent.mkdir(exist_ok=True)
    if not lib.exists():
        t.link(lib_by, "c", ["-shared", t.obj("libends", ["-fPIC"]), *flags], lib)
    exe = lib.parent / f"useends-{exe_by}"
    t.link(exe_by, "c", [t.obj("useends"), "-L", lib.parent, "-lends", "-Wl,-rpath,$ORIGIN"], exe)
    res = t.qemu(exe)
    assert res.status == 0, res.summary() + res.stderr.decode()
    bound = 0 if symbolic else 1
    assert _lines(res) == ["program bss below its _end: 1", "program text below its etext: 1",
                           f"library _end is the program's: {bound}", f"library etext is the program's: {bound}",
                           f"library _edata is the program's: {bound}", "library bss below its _end: 1"]


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("lib_by,exe_by", [(a, b) for a in LINKERS for b in LINKERS])
def test_weak_undefined_stays_dynamic_under_no_undefined(trees, arch, lib_by, exe_by):
    """--no-undefined (and --as-needed, as meson passes them) refuse strong undefined names
    only: a library's weak reference no input defines stays a weak undefined dynamic symbol
    (crtbeginS.o's __cxa_finalize, a hook), bound at run time to the program's definition."""
    t = trees(arch)
    lib = t.dir / lib_by / "weak" / "libweakhook.so"
    lib.parent.mkdir(exist_ok=True)
    if not lib.exists():
        t.link(lib_by, "c", ["-shared", "-Wl,--as-needed", "-Wl,--no-undefined", t.obj("libweakhook", ["-fPIC"])],
               lib)
    undefined = dynamic(lib)["undefined"]
    assert {"weak_hook", "__cxa_finalize"} <= undefined, undefined
    exe = lib.parent / f"useweakhook-{exe_by}"
    t.link(exe_by, "c", [t.obj("useweakhook"), "-L", lib.parent, "-lweakhook", "-Wl,-rpath,$ORIGIN"], exe)
    res = t.qemu(exe)
    assert (res.status, _lines(res)) == (0, ["the program's hook"]), res.summary() + res.stderr.decode()


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("name,lang,extra", [
    ("foo", "c", ["-Wl,--version-script={map}", "-Wl,-soname,libfoo.so.1"]),
    ("shapes", "c++", []),
])
def test_dynamic_symbols_match_gnu_ld(trees, arch, name, lang, extra):
    t = trees(arch)
    extra = [e.format(map=PROGS / "libfoo.map") for e in extra]
    ref, got = (dynamic(t.link(ld, lang, ["-shared", t.obj(f"lib{name}", ["-fPIC"]), *extra],
                               t.dir / ld / f"lib{name}-cmp.so")) for ld in LINKERS)
    assert got["type"] == "ET_DYN" and got["interp"] is None and not got["textrel"]
    assert got["soname"] == ref["soname"]
    assert got["needed"] == ref["needed"]
    # GNU ld also lists the version nodes themselves as absolute symbols (FOO_1, FOO_2)
    want = {e for e in ref["exports"] if e[1] != "STT_OBJECT" or not e[0].startswith("FOO_")}
    assert got["exports"] == want, (sorted(got["exports"] ^ want))
    assert got["imports"] == ref["imports"]
    if name == "foo":       # (for libshapes GNU ld adds a PLT entry for __gxx_personality_v0 too)
        assert got["relocs"] == ref["relocs"], (got["relocs"], ref["relocs"])


# -- refusals ---------------------------------------------------------------------------------

def _src(t: Tree, name: str, text: str, flags=()) -> Path:
    src = t.dir / f"{name}.c"
    src.write_text(text)
    obj = t.dir / f"{name}.o"
    run([t.tool("c"), *flags, "-c", src, "-o", obj])
    return obj


def test_version_script_syntax_error_names_file_and_line(trees, tmp_path):
    t = trees("arm64")
    obj = t.obj("libplug", ["-fPIC"])
    bad = tmp_path / "bad.map"
    bad.write_text("V1 {\n  global: plug_value;\n  local *;\n};\n")
    res = tc.xld_link(["-shared", "--version-script", bad, "-o", tmp_path / "x.so", obj])
    assert res.status == 1
    assert f"{bad}:3: version script:" in res.stderr
    assert not (tmp_path / "x.so").exists()


def test_local_symbol_is_not_exported(trees, tmp_path):
    t = trees("arm64")
    obj = _src(t, "twofuncs", "int keep(void){return 1;} int hide(void){return 2;}", ["-fPIC"])
    vmap = tmp_path / "v.map"
    vmap.write_text("{ global: keep; local: *; };\n")
    lib = tmp_path / "libtwo.so"
    res = tc.xld_link(["-shared", "--version-script", vmap, "-o", lib, obj])
    assert res.status == 0, res.stderr
    names = {e[0] for e in dynamic(lib)["exports"]}
    assert "keep" in names and "hide" not in names
    user = _src(t, "usehide", "int hide(void); int main(void){return hide();}", ["-fPIE"])
    crt = [f"/usr/{t.triple}/lib/{n}" for n in ("Scrt1.o", "crti.o", "crtn.o")]
    res = tc.xld_link(["-pie", "-o", tmp_path / "exe", crt[0], crt[1], user, lib,
                       "-L", f"/usr/{t.triple}/lib", "-lc", crt[2]])
    assert res.status == 1
    assert "undefined symbol: hide" in res.stderr


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_z_defs_refuses_undefined_symbols(trees, arch, tmp_path):
    t = trees(arch)
    obj = _src(t, "needsit", "int elsewhere(void); int f(void){return elsewhere();}", ["-fPIC"])
    ok = tc.xld_link(["-shared", "-o", tmp_path / "a.so", obj])
    assert ok.status == 0, ok.stderr
    assert "elsewhere" in dynamic(tmp_path / "a.so")["undefined"]
    res = tc.xld_link(["-shared", "-z", "defs", "-o", tmp_path / "b.so", obj])
    assert res.status == 1 and "undefined symbol: elsewhere" in res.stderr
    # --warn-unresolved-symbols: a warning naming it (as GNU ld's), the name imported
    res = tc.xld_link(["-shared", "-z", "defs", "--warn-unresolved-symbols", "-o", tmp_path / "c.so", obj])
    assert res.status == 0 and "warning: undefined symbol: elsewhere" in res.stderr, res.stderr
    assert "elsewhere" in dynamic(tmp_path / "c.so")["undefined"]
    res = tc.xld_link(["-shared", "-z", "defs", "--unresolved-symbols=ignore-in-object-files", "-o", tmp_path / "d.so", obj])
    assert res.status == 0 and "elsewhere" not in res.stderr, res.stderr


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_non_pic_object_in_a_shared_library_is_refused(trees, arch, tmp_path):
    t = trees(arch)
    flags = ["-fno-pic", "-mcmodel=large"] if arch == "arm64" else ["-fno-pic", "-mcmodel=medlow"]
    obj = _src(t, "nopic", "int counter; int bump(void){return ++counter;}", flags)
    res = tc.xld_link(["-shared", "-o", tmp_path / "x.so", obj])
    assert res.status == 1
    assert "recompile with -fPIC" in res.stderr and "'counter'" in res.stderr
    assert not (tmp_path / "x.so").exists()


def test_exclude_libs_keeps_archive_symbols_out_of_dynsym(trees, tmp_path):
    t = trees("arm64")
    helper = _src(t, "helper", "int helper(int x){return x + 1;}", ["-fPIC"])
    ar = tc.archive("arm64", [helper], tmp_path / "libhelper.a")
    main = _src(t, "usehelper", "int helper(int); int api(int x){return helper(x) * 2;}", ["-fPIC"])
    for flag, exported in ((None, True), ("--exclude-libs=ALL", False), ("--exclude-libs=libhelper.a", False),
                           ("--exclude-libs=libother.a", True)):
        lib = tmp_path / "libapi.so"
        res = tc.xld_link(["-shared", *([flag] if flag else []), "-o", lib, main, ar])
        assert res.status == 0, res.stderr
        names = {e[0] for e in dynamic(lib)["exports"]}
        assert "api" in names
        assert ("helper" in names) == exported, flag


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_version_script_cxx_patterns_match_gnu_ld(trees, arch, tmp_path):
    """extern "C++" patterns match demangled names, quoted ones exactly, others as globs."""
    t = trees(arch)
    vmap = tmp_path / "cxx.map"
    vmap.write_text('SHAPES_1 {\n  global:\n    extern "C++" {\n      Circle::*;\n'
                    '      "shapes_made()";\n    };\n  local: *;\n};\n')
    ref, got = (dynamic(t.link(ld, "c++", ["-shared", t.obj("libshapes", ["-fPIC"]), f"-Wl,--version-script={vmap}"],
                               t.dir / ld / "libshapes-cxx.so")) for ld in LINKERS)
    want = {e for e in ref["exports"] if not e[0].startswith("SHAPES_1")}
    assert got["exports"] == want, sorted(got["exports"] ^ want)
    names = {e[0].split("@")[0] for e in got["exports"]}
    assert "_Z11shapes_madev" in names and "_ZNK6Circle4areaEv" in names
    assert "_ZNK4Rect4areaEv" not in names


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_dynamic_list_exports_from_a_program(trees, arch, tmp_path):
    """--dynamic-list and --export-dynamic-symbol put the named definitions of a program in
    .dynsym (what a dlopen'ed plugin needs), and only those."""
    t = trees(arch)
    dl = tmp_path / "dyn.list"
    dl.write_text("{\n  app_callback;\n};\n")
    plugin = t.dir / "xld" / "plugin.so"
    if not plugin.exists():
        t.link("xld", "c", ["-shared", t.obj("plugin", ["-fPIC"])], plugin)
    for flag in (f"-Wl,--dynamic-list={dl}", "-Wl,--export-dynamic-symbol=app_*"):
        exe = t.dir / "xld" / "useplugin-list"
        t.link("xld", "c", [flag, t.obj("useplugin")], exe)
        names = {e[0] for e in dynamic(exe)["exports"]}
        assert "app_callback" in names and "main" not in names, names
        res = t.qemu(exe, plugin)
        assert (res.status, _lines(res)) == (0, ["run 3108", "run 4212"]), res.stderr.decode()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_clang_built_libraries_and_programs(trees, arch, tmp_path):
    """The same libraries and programs compiled by clang-14 and linked by xld through
    clang's -fuse-ld: all of it runs as the GNU-built ones do."""
    if not (tc.which("clang-14") and tc.which("clang++-14")):
        tc.missing("clang-14 not found")
    t = trees(arch)
    target = f"--target={t.triple}"
    use = f"-fuse-ld={t.wrapper / 'ld'}"
    d = tmp_path / arch
    d.mkdir()
    t.library("gnu", "plug")
    (d / "libplug.so").write_bytes((t.dir / "gnu" / "libplug.so").read_bytes())
    for name, cc in (("libfoo.c", "clang-14"), ("usefoo.c", "clang-14"), ("libshapes.cc", "clang++-14"),
                     ("useshapes.cc", "clang++-14")):
        pic = ["-fPIC"] if name.startswith("lib") else []
        run([cc, target, "-O1", *pic, f"-I{PROGS}", "-c", PROGS / name, "-o", d / (name.split(".")[0] + ".o")])
    run(["clang-14", target, use, "-shared", f"-Wl,--version-script={PROGS / 'libfoo.map'}", d / "libfoo.o",
         "-o", d / "libfoo.so"])
    run(["clang++-14", target, use, "-shared", d / "libshapes.o", "-o", d / "libshapes.so"])
    run(["clang-14", target, use, d / "usefoo.o", "-L", d, "-lfoo", "-Wl,-rpath,$ORIGIN", "-o", d / "usefoo"])
    run(["clang++-14", target, use, d / "useshapes.o", "-L", d, "-lshapes", "-Wl,-rpath,$ORIGIN", "-o", d / "useshapes"])
    res = t.qemu(d / "usefoo", "./libplug.so")
    assert (res.status, _lines(res)) == (0, USEFOO), res.stderr.decode()
    res = t.qemu(d / "useshapes")
    assert (res.status, _lines(res)) == (0, SHAPES), res.stderr.decode()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_icf_safe_keeps_exported_functions_apart(trees, arch, tmp_path):
    """--icf=safe in a shared library folds no exported function: a program may compare
    their addresses; --icf=all folds them (as lld and gold do)."""
    t = trees(arch)
    obj = _src(t, "twins", "int twin_a(int x){return x * 3 + 1;}\nint twin_b(int x){return x * 3 + 1;}\n",
               ["-fPIC", "-O2", "-ffunction-sections"])
    addrs = {}
    for mode in ("safe", "all"):
        lib = tmp_path / f"libtwins-{mode}.so"
        res = tc.xld_link(["-shared", f"--icf={mode}", "-o", lib, obj])
        assert res.status == 0, res.stderr
        from elftools.elf.elffile import ELFFile
        with open(lib, "rb") as f:
            syms = {s.name: s["st_value"] for s in ELFFile(f).get_section_by_name(".dynsym").iter_symbols()}
        addrs[mode] = (syms["twin_a"], syms["twin_b"])
    assert addrs["safe"][0] != addrs["safe"][1]
    assert addrs["all"][0] == addrs["all"][1]


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_text_relocations_need_z_notext(trees, arch, tmp_path):
    """A pointer in a read-only section of a library is a text relocation: an error, unless
    -z notext allows it (DT_TEXTREL; ld.so writes it); the library then works."""
    t = trees(arch)
    lib_o = _src(t, "rotable", "static int value = 42, other = 7;\n"
                               "static int *const table[] = { &value, &other };\n"
                               "int read_it(int i) { return *table[i]; }\n",
                 ["-O1", "-fno-pic", "-mcmodel=small" if arch == "arm64" else "-mcmodel=medany"])
    res = tc.xld_link(["-shared", "-o", tmp_path / "bad.so", lib_o])
    assert res.status == 1 and "text relocation" in res.stderr and "-z notext" in res.stderr
    lib = t.dir / "xld" / "librotable.so"
    res = tc.xld_link(["-shared", "-z", "notext", "-soname", "librotable.so", "-o", lib, lib_o])
    assert res.status == 0, res.stderr
    main = _src(t, "userot", "#include <stdio.h>\nint read_it(int);\nint main(int argc, char **argv){printf(\"%d\\n\", read_it(argc - 1));return 0;}\n")
    exe = t.dir / "xld" / "userot"
    t.link("xld", "c", [main, "-L", lib.parent, "-lrotable", "-Wl,-rpath,$ORIGIN"], exe)
    res = t.qemu(exe)
    assert (res.status, _lines(res)) == (0, ["42"]), res.stderr.decode()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_default_symver_versions_every_export(trees, arch, tmp_path):
    t = trees(arch)
    lib = tmp_path / "libplugv.so"
    res = tc.xld_link(["-shared", "--default-symver", "-soname", "libplugv.so.1", "-o", lib,
                       t.obj("libplug", ["-fPIC"])])
    assert res.status == 0, res.stderr
    out = run([f"{t.triple}-readelf", "--dyn-syms", "-V", "-W", lib]).stdout
    assert "plug_value@@libplugv.so.1" in out, out


def test_version_script_lookup_many_is_lookup():
    """lookup_many (pattern by pattern over the names) decides as lookup (name by name): exact
    names first, then C++ patterns, local names, the first global glob (a local glob more
    specific than a global "*" wins), local globs, else global and unversioned."""
    from xld.link import versionscript
    text = """
    V1 { global: exact_a; m1*; "lit*"; extern "C++" { "ns::f(int)"; ns::g*; }; local: loc_x; m1_hidden*; };
    V2 { global: *; local: z*; } V1;
    """
    vs = versionscript.Versions(versionscript.parse(text, "t.map"))
    names = ["exact_a", "m1_x", "m1_hidden_3", "lit*", "litx", "loc_x", "zed", "other", "",
             "_ZN2ns1fEi", "_ZN2ns1gEv", "_ZN2ns1hEv", "m2_y", "z", "exact_b"]
    assert vs.lookup_many(names) == [vs.lookup(n) for n in names]
    assert vs.lookup_many(names)[names.index("zed")] == (False, None)        # local z* over "*"
    assert vs.lookup_many(names)[names.index("m1_x")][1].name == "V1"
    plain = versionscript.Versions(versionscript.parse("{ global: a*; local: *; };", "p.map"))
    assert plain.lookup_many(names) == [plain.lookup(n) for n in names]
    assert plain.lookup_many([]) == []


@pytest.mark.parametrize("script,missing", [
    ("V1 { global: keep; nothere; local: *; };", "version script assignment of 'V1' to symbol 'nothere'"),
    ("{ global: keep; nothere; local: *; };", "version script assignment of 'global' to symbol 'nothere'"),
    ("V1 { global: keep; puts; local: *; };", "version script assignment of 'V1' to symbol 'puts'"),
    ('V1 { global: keep; extern "C++" { "ns::gone(int)"; }; local: *; };',
     "version script assignment of 'V1' to symbol 'ns::gone(int)'"),
    ("V1 { global: keep; no*; local: *; };", None),
    ('V1 { global: keep; extern "C++" { "ns::twice(int)"; }; local: *; };', None),
])
def test_no_undefined_version(trees, tmp_path, script, missing):
    """--no-undefined-version: an exact name a version script exports must be defined (only
    imported is not enough; globs are not checked), in lld's words; GNU ld refuses the same
    links.  --undefined-version (the default) allows it again."""
    t = trees("arm64")
    src = tmp_path / "vers.cc"
    src.write_text('#include <stdio.h>\nnamespace ns { int twice(int x) { return 2 * x; } }\n'
                   'extern "C" int keep(void) { puts("k"); return ns::twice(1); }\n')
    obj = tmp_path / "vers.o"
    run([t.tool("c++"), "-fPIC", "-O1", "-c", src, "-o", obj])
    vmap = tmp_path / "v.map"
    vmap.write_text(script + "\n")
    lib = tmp_path / "libv.so"
    res = tc.xld_link(["-shared", "--version-script", vmap, "--no-undefined-version", "-o", lib, obj])
    gnu = subprocess.run([f"{t.triple}-ld", "-shared", "--version-script", str(vmap), "--no-undefined-version",
                          "-o", str(tmp_path / "gnu.so"), str(obj)], capture_output=True, text=True)
    if missing is None:
        assert res.status == 0 and gnu.returncode == 0, res.stderr
        return
    assert res.status == 1 and f"xld: error: {missing} failed: symbol not defined" in res.stderr
    assert gnu.returncode != 0 and not lib.exists()
    res = tc.xld_link(["-shared", "--version-script", vmap, "--no-undefined-version", "--undefined-version",
                       "-o", lib, obj])
    assert res.status == 0, res.stderr


def test_auxiliary_and_filter_libraries(trees, tmp_path):
    """-f/--auxiliary and -F/--filter: DT_AUXILIARY / DT_FILTER as GNU ld writes them; ld.so
    then takes a symbol of the auxiliary filter from its filtee first (the program prints the
    filtee's answer: ld.so finds the filtee through the filter's own run path); without
    -shared, GNU ld's error."""
    t = trees("arm64")
    wrap = _src(t, "wrapf", "int answer(void) { return 1; }", ["-fPIC"])
    real = _src(t, "realf", "int answer(void) { return 2; }", ["-fPIC"])
    use = _src(t, "usef", '#include <stdio.h>\nint answer(void);\nint main(void) { printf("%d\\n", answer()); return 0; }')
    t.link("gnu", "c", ["-shared", real, "-Wl,-soname,libreal.so"], tmp_path / "libreal.so")
    tags = {}
    for linker in LINKERS:
        lib = tmp_path / linker / "libwrap.so"
        lib.parent.mkdir(exist_ok=True)
        t.link(linker, "c", ["-shared", wrap, "-Wl,-f,libreal.so", "-Wl,--filter=libnothere.so"], lib)
        d = subprocess.run([f"{t.triple}-readelf", "-dW", str(lib)], capture_output=True, text=True).stdout
        tags[linker] = [ln.split(None, 1)[1] for ln in d.splitlines() if "FILTER" in ln or "AUXILIARY" in ln]
    assert tags["xld"] == tags["gnu"] and len(tags["xld"]) == 2
    # an auxiliary filter alone: the program, linked against it, gets the filtee's answer
    lib = tmp_path / "aux" / "libwrap.so"
    lib.parent.mkdir()
    t.link("xld", "c", ["-shared", wrap, "-Wl,--auxiliary,libreal.so", "-Wl,-rpath,$ORIGIN/.."], lib)
    exe = t.link("xld", "c", [use, "-L", lib.parent, "-lwrap", "-Wl,-rpath,$ORIGIN"], lib.parent / "use")
    res = t.qemu(exe)
    assert res.status == 0 and res.stdout == b"2\n", res.summary() + res.stderr.decode()
    res = tc.xld_link(["--arch", "arm64", "-f", "libreal.so", "-o", tmp_path / "exe", use])
    assert res.status == 1 and "-f may not be used without -shared" in res.stderr


@pytest.mark.parametrize("z", ["nodelete", "initfirst", "global", "nodlopen", "origin", "interpose", "now",
                               "loadfltr", "nodefaultlib", "nodump", "unique", "-Bsymbolic"])
def test_z_flags_of_a_library_like_gnu_ld(trees, tmp_path, z):
    """-z KEYWORD that sets a DF_1_* bit (and DT_FLAGS, DT_GNU_FLAGS_1) of a shared library,
    and -Bsymbolic (DT_SYMBOLIC, DF_SYMBOLIC): as GNU ld."""
    t = trees("arm64")
    obj = t.obj("libplug", ["-fPIC"])
    flags = {}
    for linker in LINKERS:
        lib = tmp_path / f"{linker}.so"
        t.link(linker, "c", ["-shared", obj, f"-Wl,{z}" if z.startswith("-") else f"-Wl,-z,{z}"], lib)
        d = subprocess.run([f"{t.triple}-readelf", "-dW", str(lib)], capture_output=True, text=True).stdout
        flags[linker] = sorted(ln.split(None, 1)[1] for ln in d.splitlines() if "FLAGS" in ln or "SYMBOLIC" in ln)
    assert flags["xld"] == flags["gnu"] and flags["xld"]


@pytest.mark.parametrize("rpath", [[], ["-Wl,-rpath,/opt/given"]])
def test_ld_run_path_is_the_run_path_without_rpath(trees, tmp_path, monkeypatch, rpath):
    """LD_RUN_PATH in the environment is DT_RUNPATH when no -rpath is given (GNU ld's rule),
    in a library and a program; -rpath wins over it."""
    t = trees("arm64")
    obj = t.obj("libplug", ["-fPIC"])
    monkeypatch.setenv("LD_RUN_PATH", "/opt/a:/opt/b")
    paths = {}
    for linker in LINKERS:
        lib = tmp_path / f"{linker}.so"
        t.link(linker, "c", ["-shared", obj, *rpath], lib)
        d = subprocess.run([f"{t.triple}-readelf", "-dW", str(lib)], capture_output=True, text=True).stdout
        paths[linker] = [ln.split(None, 1)[1] for ln in d.splitlines() if "RUNPATH" in ln or "RPATH" in ln]
    assert paths["xld"] == paths["gnu"]
    assert ("/opt/given" if rpath else "/opt/a:/opt/b") in paths["xld"][0]


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_needed_is_the_path_given_for_a_library_without_soname(trees, arch, tmp_path):
    """A library without a soname named by its path is recorded by that path (DT_NEEDED and
    the version needs' file), as GNU ld and lld do; found by -l, by its file name."""
    t = trees(arch)
    obj = _src(t, "plain", "int plain(int x){return x+1;}", ["-fPIC"])
    (tmp_path / "v.map").write_text("V1 { global: plain; local: *; };\n")
    main = _src(t, "useplain", "int plain(int); int main(void){return plain(1);}")
    (tmp_path / "L").mkdir()
    run([t.tool("c"), "-shared", obj, "-Wl,--version-script=v.map", "-o", "L/libplain.so"], cwd=tmp_path)
    for spell, want in (("L/libplain.so", "L/libplain.so"), ("./L/libplain.so", "./L/libplain.so"),
                        (str(tmp_path / "L/libplain.so"), str(tmp_path / "L/libplain.so")), ("-LL -lplain", "libplain.so")):
        run([t.tool("c"), "-B", t.wrapper, main, *spell.split(), "-o", "m"], cwd=tmp_path)
        assert [n for n in dynamic(tmp_path / "m")["needed"] if "plain" in n] == [want], spell
        vn = subprocess.run([f"{t.triple}-readelf", "-V", tmp_path / "m"], capture_output=True, text=True).stdout
        assert f"File: {want} " in vn, vn
