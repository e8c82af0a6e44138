"""What xld tells a user beyond "undefined symbol", as lld tells it: the "did you mean" hints
(a name one edit away, another case, a missing extern "C" either way, a shared object's name
under another version), "undefined hidden symbol", the vtable's key-function note, a range
error's function, source line and defining file, the nearest option to an unknown one, and
--error-limit's last line.  Real objects from the cross gcc/g++; exact text; on arm64 the same
text as ld.lld's (the oracle) where ld.lld says it too.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc

ARCHES = pytest.mark.parametrize("arch", tc.ARCHES)


def objects(arch: str, tmp: Path, sources: dict[str, str], flags=("-O1",)) -> list[str]:
    """Compile each ``name.c``/``name.cc`` of ``sources`` in ``tmp``: the objects' names."""
    out = []
    for name, text in sources.items():
        src = tmp / name
        src.write_text(text)
        cc = tc.require(f"{tc.TRIPLE[arch]}-{'g++' if name.endswith('.cc') else 'gcc'}")
        obj = tmp / (src.stem + ".o")
        extra = ["-march=rv64gc", "-mabi=lp64d"] if arch == "riscv64" else []
        p = subprocess.run([cc, *extra, "-fno-pie", *flags, "-c", str(src), "-o", str(obj)],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        out.append(obj.name)
    return out


def shared_lib(arch: str, tmp: Path, name: str, source: str, version_script: str) -> str:
    """A -nostdlib shared object built by gcc and GNU ld with a version script."""
    src, vs = tmp / f"{name}.c", tmp / f"{name}.map"
    src.write_text(source)
    vs.write_text(version_script)
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    lib = tmp / f"lib{name}.so"
    p = subprocess.run([cc, "-fPIC", "-shared", "-nostdlib", f"-Wl,--version-script={vs}", str(src),
                        "-o", str(lib)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return lib.name


def fails(tmp: Path, args) -> str:
    """xld's stderr for a link that must fail (exit 1, no output left)."""
    p = tc.xld_cli(["-o", "out", *args], cwd=tmp)
    assert p.returncode == 1, p.stderr
    assert not (tmp / "out").exists()
    return p.stderr


def as_lld(tmp: Path, args, ours: str) -> None:
    """On arm64, ld.lld says the same (its name for itself aside)."""
    lld = tc.require("ld.lld")
    p = subprocess.run([lld, "-o", "lld.out", *args], cwd=tmp, capture_output=True, text=True)
    assert p.returncode == 1
    assert ours == p.stderr.replace("ld.lld: ", "xld: "), (ours, p.stderr)


TYPO = {
    "def.c": "int counter_value(void) { return 42; }\nint Init_Table(void) { return 1; }\n",
    "use.c": "int counter_valeu(void);\nint init_table(void);\nint helper_onr(int);\n"
             "int main(void) { return counter_valeu() + init_table() + helper_onr(2); }\n",
}


@ARCHES
def test_undefined_symbol_suggests_a_near_name_and_another_case(arch, tmp_path):
    """lld's spell corrector: one edit away (counter_valeu -> counter_value), then the same
    name in another case (init_table -> Init_Table); only for the symbols of the first two
    references (helper_onr, the third, gets no hint even though helper_one is not far)."""
    args = objects(arch, tmp_path, {"use.c": TYPO["use.c"], "def.c": TYPO["def.c"]})
    err = fails(tmp_path, args)
    assert err.splitlines() == [
        "xld: error: undefined symbol: counter_valeu",
        ">>> referenced by use.c", ">>>               use.o:(main)",
        ">>> did you mean: counter_value", ">>> defined in: def.o",
        "",
        "xld: error: undefined symbol: init_table",
        ">>> referenced by use.c", ">>>               use.o:(main)",
        ">>> did you mean: Init_Table", ">>> defined in: def.o",
        "",
        "xld: error: undefined symbol: helper_onr",
        ">>> referenced by use.c", ">>>               use.o:(main)"], err
    if arch == "arm64":
        as_lld(tmp_path, args, err)


@ARCHES
def test_undefined_symbol_suggests_a_local_definition_of_its_file(arch, tmp_path):
    args = objects(arch, tmp_path, {"loc.c": "__attribute__((noinline)) static int helper_one(int x) { return x + 1; }\n"
                                             "int helper_onr(int);\n"
                                             "int main(void) { return helper_one(1) + helper_onr(2); }\n"})
    err = fails(tmp_path, args)
    assert err.splitlines()[-2:] == [">>> did you mean: helper_one", ">>> defined in: loc.o"], err
    if arch == "arm64":
        as_lld(tmp_path, args, err)


@ARCHES
def test_undefined_symbol_suggests_extern_c_either_way(arch, tmp_path):
    """A C++ caller of a C function not declared extern "C", and a C caller of a C++ one."""
    args = objects(arch, tmp_path, {"main.cc": "int add(int, int);\nint main() { return add(1, 2); }\n",
                                    "add.c": "int add(int a, int b) { return a + b; }\n"})
    err = fails(tmp_path, args)
    assert err.splitlines() == [
        "xld: error: undefined symbol: add(int, int)",
        ">>> referenced by main.cc", ">>>               main.o:(main)",
        '>>> did you mean: extern "C" add', ">>> defined in: add.o"], err
    if arch == "arm64":
        as_lld(tmp_path, args, err)
    args = objects(arch, tmp_path, {"cmain.c": "int mul(int, int);\nint main(void) { return mul(2, 3); }\n",
                                    "mul.cc": "int mul(int a, int b) { return a * b; }\n"})
    err = fails(tmp_path, args)
    assert err.splitlines() == [
        "xld: error: undefined symbol: mul",
        ">>> referenced by cmain.c", ">>>               cmain.o:(main)",
        '>>> did you mean to declare mul(int, int) as extern "C"?', ">>> defined in: mul.o"], err
    if arch == "arm64":
        as_lld(tmp_path, args, err)


@ARCHES
def test_undefined_symbol_suggests_another_version(arch, tmp_path):
    """A library that has ``foo`` only as the non-default ``foo@V1``, and a reference that
    asks for ``bar@V3`` of a library whose ``bar`` is ``bar@@V1``."""
    lib = shared_lib(arch, tmp_path, "v", "int foo_v1(void) { return 1; }\n"
                                          '__asm__(".symver foo_v1, foo@V1");\n'
                                          "int bar(void) { return 2; }\n",
                     "V1 { global: bar; foo; local: *; };\n")
    args = [*objects(arch, tmp_path, {"vmain.c": "int foo(void);\nint main(void) { return foo(); }\n"}), lib]
    err = fails(tmp_path, args)
    assert err.splitlines() == [
        "xld: error: undefined symbol: foo",
        ">>> referenced by vmain.c", ">>>               vmain.o:(main)",
        ">>> did you mean: foo@V1", ">>> defined in: libv.so"], err
    if arch == "arm64":
        as_lld(tmp_path, args, err)
    args = [*objects(arch, tmp_path, {"vmain2.c": "int bar_v3(void);\n"
                                                  '__asm__(".symver bar_v3, bar@V3");\n'
                                                  "int main(void) { return bar_v3(); }\n"}), lib]
    err = fails(tmp_path, args)
    assert err.splitlines()[0] == "xld: error: undefined symbol: bar@V3", err
    assert err.splitlines()[-2:] == [">>> did you mean: bar", ">>> defined in: libv.so"], err
    if arch == "arm64":
        as_lld(tmp_path, args, err)


@ARCHES
def test_undefined_symbol_suggests_an_archive_member_not_loaded(arch, tmp_path):
    """An archive's member that defines the near name (lld 14 does not look there; lld 15
    and later name the member as here)."""
    objs = objects(arch, tmp_path, {"pf.c": "int print_line(const char *s) { return s[0]; }\n",
                                    "m.c": "int print_lin(const char *);\nint main(void) { return print_lin(\"x\"); }\n"})
    tc.archive(arch, [tmp_path / objs[0]], tmp_path / "libp.a")
    err = fails(tmp_path, [objs[1], "libp.a"])
    assert err.splitlines()[-2:] == [">>> did you mean: print_line", ">>> defined in: libp.a(pf.o)"], err


@ARCHES
def test_undefined_hidden_symbol_and_missing_key_function(arch, tmp_path):
    args = objects(arch, tmp_path, {"h.c": '__attribute__((visibility("hidden"))) int hid(void);\n'
                                           "int main(void) { return hid(); }\n"})
    err = fails(tmp_path, args)
    assert err.splitlines()[0] == "xld: error: undefined hidden symbol: hid", err
    args = objects(arch, tmp_path, {"vt.cc": "struct A { virtual int f(); virtual ~A(); };\n"
                                             "A *make() { return new A; }\n"})
    err = fails(tmp_path, args)
    i = err.splitlines().index("xld: error: undefined symbol: vtable for A")
    note = (">>> the vtable symbol may be undefined because the class is missing its key function "
            "(see https://lld.llvm.org/missingkeyfunction)")
    assert note in err.splitlines()[i:], err
    if arch == "arm64":
        as_lld(tmp_path, args, err)


def test_range_error_names_function_source_line_and_definition(tmp_path):
    """arm64 -mcmodel=tiny: an ADR to data placed 1 GiB away."""
    args = objects("arm64", tmp_path, {"far.c": "extern char far_away[];\nint main(void) { return far_away[0]; }\n",
                                       "fardef.c": "char far_away[16];\n"},
                   flags=("-O1", "-g", "-mcmodel=tiny"))
    err = fails(tmp_path, ["-e", "main", "--section-start=.bss=0x40000000", *args])
    lines = err.splitlines()
    assert lines[0].startswith("xld: error: far.o:(function main: .text+0x0): relocation "
                               "R_AARCH64_ADR_PREL_LO21 out of range: "), err
    assert lines[0].endswith(" is not in [-1048576, 1048575]; references 'far_away'"), err
    assert lines[1:] == [f">>> referenced by far.c:2 ({tmp_path / 'far.c'}:2)", ">>> defined in fardef.o"], err


@pytest.mark.parametrize("given,nearest", [
    ("--gc-section", "--gc-sections"), ("-gc-section", "-gc-sections"),
    ("--entri=foo", "--entry=foo"), ("--as-neded", "--as-needed"), ("--error-limt=3", "--error-limit=3")])
def test_unknown_option_names_the_nearest_one(given, nearest, tmp_path):
    err = fails(tmp_path, [given, "x.o"])
    assert err == f"xld: error: unknown argument '{given}', did you mean '{nearest}'\n", err


def test_error_limit_line_follows_a_blank_line(tmp_path):
    args = objects("arm64", tmp_path, {"use.c": TYPO["use.c"]})
    err = fails(tmp_path, ["--error-limit=1", *args])
    assert err.splitlines()[-2:] == [
        "", "xld: error: too many errors emitted, stopping now (use --error-limit=0 to see all errors)"], err


@ARCHES
def test_warn_backrefs_as_lld(arch, tmp_path):
    """--warn-backrefs (lld): a reference that loads a member of an archive named before the
    referring file (GNU ld would leave it undefined), unless both are in one --start-group or
    a later archive defines the name too; --warn-backrefs-exclude= silences a member."""
    objs = objects(arch, tmp_path, {"def.c": "int lib_fn(void) { return 1; }\n",
                                    "ref.c": "int lib_fn(void);\nint use_it(void) { return lib_fn(); }\n",
                                    "main.c": "int use_it(void);\nint _start(void) { return use_it(); }\n"})
    tc.archive(arch, [tmp_path / "def.o"], tmp_path / "libdef.a")
    tc.archive(arch, [tmp_path / "ref.o"], tmp_path / "libref.a")
    cases = [
        (["main.o", "libdef.a", "libref.a"],
         "xld: warning: backward reference detected: lib_fn in libref.a(ref.o) refers to libdef.a(def.o)\n"),
        (["main.o", "libdef.a", "ref.o"],
         "xld: warning: backward reference detected: lib_fn in ref.o refers to libdef.a(def.o)\n"),
        (["main.o", "--start-lib", "def.o", "--end-lib", "ref.o"],
         "xld: warning: backward reference detected: lib_fn in ref.o refers to def.o\n"),
        (["main.o", "--start-group", "libdef.a", "libref.a", "--end-group"], ""),
        (["main.o", "libdef.a", "libref.a", "libdef.a"], ""),
        (["main.o", "libref.a", "libdef.a"], ""),
        (["--warn-backrefs-exclude=*libdef.a*", "main.o", "libdef.a", "libref.a"], ""),
    ]
    lld = tc.require("ld.lld") if arch == "arm64" else None
    for args, want in cases:
        p = tc.xld_cli(["--warn-backrefs", "-o", "out", *args], cwd=tmp_path)
        assert p.returncode == 0 and p.stderr == want, (args, p.stderr)
        if lld:
            q = subprocess.run([lld, "--warn-backrefs", "-o", "lld.out", *args], cwd=tmp_path,
                               capture_output=True, text=True)
            assert q.stderr.replace("ld.lld: ", "xld: ") == want, (args, q.stderr)
    (tmp_path / "out").unlink()
    p = tc.xld_cli(["--warn-backrefs", "--fatal-warnings", "-o", "out", "main.o", "libdef.a", "libref.a"], cwd=tmp_path)
    assert p.returncode == 1 and "error: backward reference detected: lib_fn" in p.stderr, p.stderr
    assert not (tmp_path / "out").exists()


@ARCHES
def test_relocation_a_library_cannot_take_names_definition_and_source_line(arch, tmp_path):
    """A non-PIC object in a shared library: lld's tail (where the symbol is defined, the
    source line and the function of the place), each place said once (riscv64's HI20 was
    reported twice by two checks)."""
    args = objects(arch, tmp_path, {"nopic.c": "extern int ext_var;\nint get(void) { return ext_var; }\n"},
                   flags=("-O1", "-g", "-fno-pic"))
    err = fails(tmp_path, ["-shared", *args])
    first = {"arm64": "R_AARCH64_ADR_PREL_PG_HI21", "riscv64": "R_RISCV_HI20"}[arch]
    tail = [">>> defined in nopic.o", f">>> referenced by nopic.c:2 ({tmp_path / 'nopic.c'}:2)",
            ">>>               nopic.o:(get)"]
    lines = err.splitlines()
    assert lines[:4] == [f"xld: error: relocation {first} cannot be used against symbol 'ext_var'; "
                         "recompile with -fPIC", *tail], err
    assert len(set(err.split("\n\n"))) == len(err.split("\n\n")), err
    if arch == "riscv64":
        assert lines[5:] == ["xld: error: relocation R_RISCV_LO12_I cannot be used against symbol 'ext_var'; "
                             "recompile with -fPIC", *tail], err


def test_symbol_of_a_discarded_comdat_copy_is_named_so(tmp_path):
    """Two copies of COMDAT group ``grp`` that differ (gb.o's defines ``bar`` too, and its
    own code calls it): gb.o's copy loses, so ``bar`` is in a discarded section, which lld
    says instead of 'undefined symbol' (and later lld names the group and the kept copy)."""
    tc.assemble("arm64", '.section .text.grp,"axG",@progbits,grp,comdat\n.globl foo\nfoo: ret\n',
                tmp_path / "ga.o")
    tc.assemble("arm64", '.section .text.grp,"axG",@progbits,grp,comdat\n.globl foo\n.globl bar\n'
                         'foo: ret\nbar: ret\n.text\n.globl _start\n_start: bl bar\n', tmp_path / "gb.o")
    err = fails(tmp_path, ["ga.o", "gb.o"])
    assert err.splitlines() == [
        "xld: error: relocation refers to a symbol in a discarded section: bar",
        ">>> defined in gb.o", ">>> section group signature: grp", ">>> prevailing definition is in ga.o",
        ">>> referenced by gb.o:(.text+0x0)"], err


@pytest.mark.parametrize("option,what", [("--version-script=nosuch.map", "version script nosuch.map"),
                                         ("--dynamic-list=nosuch.list", "dynamic list nosuch.list")])
def test_missing_version_script_or_dynamic_list_is_an_error_in_a_static_link(option, what, tmp_path):
    """GNU ld and lld refuse a missing one whatever the output; xld linked a static program on."""
    args = objects("arm64", tmp_path, {"s.c": "int _start(void) { return 0; }\n"})
    err = fails(tmp_path, ["-static", option, *args])
    assert err == f"xld: error: cannot open {what}: No such file or directory\n", err


@pytest.mark.parametrize("how,where", [(["--defsym", "far_away=0x40000000"], "--defsym"),
                                       (["far.ld"], "far.ld:2"),
                                       (["-T", "far.ld"], "far.ld:2")])
def test_range_error_names_the_defsym_or_script_that_defines_the_symbol(how, where, tmp_path):
    """arm64 -mcmodel=tiny: an ADR to a symbol the user defines 1 GiB away.  lld names where:
    ``>>> defined in --defsym`` (lld 14: ``--defsym:1``), or the script's FILE:LINE."""
    args = objects("arm64", tmp_path, {"far.c": "extern char far_away[];\nint main(void) { return far_away[0]; }\n"},
                   flags=("-O1", "-g", "-mcmodel=tiny"))
    (tmp_path / "far.ld").write_text("/* far away */\nfar_away = 0x40000000;\n")
    script = ["-T", "far.ld"] == how
    if script:      # (a -T script places the sections too)
        (tmp_path / "far.ld").write_text("SECTIONS { .text 0x10000 : { *(.text*) }\nfar_away = 0x40000000;\n}\n")
    err = fails(tmp_path, ["-e", "main", *how, *args])
    lines = err.splitlines()
    assert lines[0].startswith("xld: error: far.o:(function main: .text+0x0): relocation "
                               "R_AARCH64_ADR_PREL_LO21 out of range: "), err
    assert lines[1:] == [f">>> referenced by far.c:2 ({tmp_path / 'far.c'}:2)", f">>> defined in {where}"], err
    q = subprocess.run([tc.require("ld.lld"), "-e", "main", "-o", "lld.out", *how, *args], cwd=tmp_path,
                       capture_output=True, text=True)
    assert f">>> defined in {where}" in q.stderr.replace("--defsym:1", "--defsym"), q.stderr


def test_relocation_a_library_cannot_take_is_said_of_each_relocation(tmp_path):
    """arm64 -shared, non-PIC code: lld reports the ADRP and its :lo12: partner (each
    relocation, up to --error-limit); xld said only the ADRP."""
    args = objects("arm64", tmp_path, {"nopic.c": "extern int ext_var;\nint get(void) { return ext_var; }\n"},
                   flags=("-O1", "-fno-pic"))
    err = fails(tmp_path, ["-shared", *args])
    heads = [ln for ln in err.splitlines() if ln.startswith("xld: error:")]
    assert heads == [f"xld: error: relocation {r} cannot be used against symbol 'ext_var'; recompile with -fPIC"
                     for r in ("R_AARCH64_ADR_PREL_PG_HI21", "R_AARCH64_LDST32_ABS_LO12_NC")], err
    q = subprocess.run([tc.require("ld.lld"), "-shared", "-o", "lld.out", *args], cwd=tmp_path,
                       capture_output=True, text=True)
    assert [ln.replace("ld.lld: ", "xld: ") for ln in q.stderr.splitlines() if ln.startswith("ld.lld: error:")] == heads
    err = fails(tmp_path, ["-shared", "--error-limit=1", *args])
    assert err.count("cannot be used against") == 1 and "too many errors emitted" in err, err
