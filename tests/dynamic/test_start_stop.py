"""__start_SEC/__stop_SEC: their visibility (-z start-stop-visibility=, protected unless told)
and their export from a dynamic output, against GNU ld 2.40 and qemu-user.

A library that uses __start_myset/__stop_myset exports them (GNU ld and lld do), so a program
that declares ``extern int __start_myset[] __attribute__((weak))`` sees the library's; under
``=hidden``/``=internal`` they are local to the library (lld's output; GNU ld lists them in
.dynsym as HIDDEN, which ld.so does not bind to: the program sees 0 either way).
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests import toolchain as tc
from tests.dynamic.util import run

pytestmark = tc.skip_unless(all(tc.which(f"{t}-gcc") for t in tc.TRIPLE.values())
                            and all(tc.which(q) for q in tc.QEMU.values()),
                            "cross gcc and qemu-user are needed")

LIB = """
__attribute__((section("myset"), used)) int a = 1;
__attribute__((section("myset"), used)) int b = 2;
extern int __start_myset[], __stop_myset[];
int count(void) { return __stop_myset - __start_myset; }
"""
PROG = """
#include <stdio.h>
int count(void);
extern int __start_myset[] __attribute__((weak));
int main(void) { printf("%d %d\\n", count(), __start_myset != 0); return 0; }
"""
NAMES = ("__start_myset", "__stop_myset")


def _objs(arch: str, d: Path) -> tuple[Path, Path]:
    triple = tc.TRIPLE[arch]
    out = []
    for name, text, flags in (("lib", LIB, ["-fPIC"]), ("prog", PROG, [])):
        obj = d / f"{name}-{arch}.o"
        if not obj.exists():
            (d / f"{name}.c").write_text(text)
            run([f"{triple}-gcc", "-O1", *flags, "-c", d / f"{name}.c", "-o", obj])
        out.append(obj)
    return out[0], out[1]


def _link(arch: str, linker: str, args, out: Path, d: Path) -> Path:
    use = ["-B", tc.ld_wrapper_dir(d)] if linker == "xld" else []
    run([f"{tc.TRIPLE[arch]}-gcc", *use, *args, "-o", out])
    return out


def _syms(path: Path, table: str, names=NAMES) -> dict[str, tuple[str, str]]:
    """name -> (binding, visibility) of ``names`` in ``table``."""
    with open(path, "rb") as f:
        sec = ELFFile(f).get_section_by_name(table)
        if sec is None:
            return {}
        return {s.name: (s["st_info"]["bind"], s["st_other"]["visibility"])
                for s in sec.iter_symbols() if s.name in names}


def _qemu(arch: str, exe: Path) -> str:
    p = subprocess.run([tc.QEMU[arch], "-L", f"/usr/{tc.TRIPLE[arch]}", str(exe)],
                       capture_output=True, text=True, cwd=exe.parent, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("vis", [None, "default", "hidden", "internal"])
def test_library_exports_start_stop_as_gnu_ld(tmp_path, arch, vis):
    lib_o, prog_o = _objs(arch, tmp_path)
    z = [f"-Wl,-z,start-stop-visibility={vis}"] if vis else []
    libs = {}
    for ld in ("gnu", "xld"):
        (tmp_path / ld).mkdir()
        libs[ld] = _link(arch, ld, ["-shared", lib_o, *z], tmp_path / ld / "libss.so", tmp_path)
    stv = f"STV_{(vis or 'protected').upper()}"
    got_dyn, got_sym = _syms(libs["xld"], ".dynsym"), _syms(libs["xld"], ".symtab")
    if vis in ("hidden", "internal"):       # local, not exported (lld's output)
        assert got_dyn == {}
        assert got_sym == {n: ("STB_LOCAL", stv) for n in NAMES}
    else:                                   # as GNU ld's, in both tables
        assert got_dyn == _syms(libs["gnu"], ".dynsym") == {n: ("STB_GLOBAL", stv) for n in NAMES}
        assert got_sym == _syms(libs["gnu"], ".symtab")
    # the program (GNU ld's) sees the library's __start_myset unless it is hidden
    want = "2 0" if vis in ("hidden", "internal") else "2 1"
    for ld, lib in libs.items():
        exe = _link(arch, "gnu", [prog_o, "-L", lib.parent, "-lss", "-Wl,-rpath,$ORIGIN"],
                    lib.parent / "prog", tmp_path)
        assert _qemu(arch, exe) == want, ld


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("how", [["-static"], ["-pie", "-Wl,-E,--gc-sections"]])
def test_program_start_stop_visibility_as_gnu_ld(tmp_path, arch, how):
    """In a program: GNU ld's visibility in .symtab (the last -z wins), exported under -E."""
    lib_o, prog_o = _objs(arch, tmp_path)
    z = ["-Wl,-z,start-stop-visibility=internal", "-Wl,-z,start-stop-visibility=default"]
    for args in ([], z):
        exes = {ld: _link(arch, ld, [*how, lib_o, prog_o, *args], tmp_path / f"p-{ld}-{len(args)}", tmp_path)
                for ld in ("gnu", "xld")}
        stv = "STV_DEFAULT" if args else "STV_PROTECTED"
        assert _syms(exes["xld"], ".symtab") == _syms(exes["gnu"], ".symtab") \
            == {n: ("STB_GLOBAL", stv) for n in NAMES}
        assert _syms(exes["xld"], ".dynsym") == _syms(exes["gnu"], ".dynsym")
        assert _qemu(arch, exes["xld"]) == "2 1"


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_program_exports_start_stop_a_library_refers_to(tmp_path, arch):
    """A library's weak __start_pset (it has no section pset) binds to the program's."""
    triple = tc.TRIPLE[arch]
    (tmp_path / "rl.c").write_text("extern int __start_pset[] __attribute__((weak));\n"
                                   "int has(void) { return __start_pset != 0; }\n")
    (tmp_path / "rp.c").write_text("#include <stdio.h>\n"
                                   "__attribute__((section(\"pset\"), used)) int p = 1;\n"
                                   "extern int __start_pset[], __stop_pset[];\nint has(void);\n"
                                   "int main(void) { printf(\"%d %d\\n\", (int)(__stop_pset - __start_pset), has()); }\n")
    run([f"{triple}-gcc", "-fPIC", "-shared", tmp_path / "rl.c", "-o", tmp_path / "librl.so"])
    exe = _link(arch, "xld", [tmp_path / "rp.c", "-L", tmp_path, "-lrl", "-Wl,-rpath,$ORIGIN"],
                tmp_path / "rp", tmp_path)
    exported = _syms(exe, ".dynsym", ("__start_pset", "__stop_pset"))
    assert exported == {"__start_pset": ("STB_GLOBAL", "STV_PROTECTED")}
    assert _qemu(arch, exe) == "1 1"


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("how", [[], ["-static"], ["-shared", "-fPIC", "-Wl,-z,defs"]])
def test_start_stop_of_a_section_no_input_has_stays_undefined(tmp_path, arch, how):
    """__start_none/__stop_none with no section none: GNU ld leaves them undefined (a
    reference is an error; a weak one 0), so does xld (it defined them as 0 and linked)."""
    triple = tc.TRIPLE[arch]
    (tmp_path / "u.c").write_text("extern char __start_none[], __stop_none[];\n"
                                  "long size(void) { return __stop_none - __start_none; }\n"
                                  "int main(void) { return size(); }\n")
    (tmp_path / "w.c").write_text("#include <stdio.h>\n"
                                  "extern char __start_none[] __attribute__((weak));\n"
                                  "__attribute__((section(\"some\"), used)) int s = 1;\n"
                                  "extern int __start_some[], __stop_some[];\n"
                                  "int main(void) { printf(\"%d %d\\n\", __start_none != 0,"
                                  " (int)(__stop_some - __start_some)); return 0; }\n")
    for ld in ("gnu", "xld"):
        use = ["-B", tc.ld_wrapper_dir(tmp_path)] if ld == "xld" else []
        out = tmp_path / f"u-{ld}"
        p = subprocess.run([f"{triple}-gcc", *use, *how, tmp_path / "u.c", "-o", out],
                           capture_output=True, text=True)
        assert p.returncode == 1 and not out.exists(), p.stderr
        assert "__start_none" in p.stderr and "__stop_none" in p.stderr
    if "-shared" in how:
        return
    for ld in ("gnu", "xld"):
        exe = _link(arch, ld, [*how, tmp_path / "w.c"], tmp_path / f"w-{ld}", tmp_path)
        assert _qemu(arch, exe) == "0 1"
        assert "__start_none" not in _syms(exe, ".symtab", ("__start_none",)) \
            or _syms(exe, ".symtab", ("__start_none",))["__start_none"][0] == "STB_WEAK"


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("how", ["insert-other", "discard", "exclude"])
def test_start_stop_of_sections_that_make_no_output_section_stay_undefined(tmp_path, arch, how):
    """Input sections foo a script puts in another output section, discards, or that are
    SHF_EXCLUDE make no output section foo: GNU ld leaves __start_foo/__stop_foo undefined
    (a reference is an error, a weak one 0); xld defined them as 0 (a PIE's GOT slot then
    held the load address: the weak test read 'present')."""
    triple = tc.TRIPLE[arch]
    inputs = []
    if how == "exclude":
        (tmp_path / "foo.s").write_text('.section foo,"ae"\n.quad 1\n')
        inputs.append(tmp_path / "foo.s")
    else:
        (tmp_path / "foo.c").write_text('__attribute__((section("foo"), used)) int a = 1, b = 2;\n')
        inputs.append(tmp_path / "foo.c")
        target = ".mydata : { *(foo) }" if how == "insert-other" else "/DISCARD/ : { *(foo) }"
        (tmp_path / "s.ld").write_text(f"SECTIONS {{ {target} }} INSERT AFTER .data;\n")
        inputs.append(f"-Wl,-T,{tmp_path / 's.ld'}")
    decl = ("extern char __start_foo[] __attribute__((weak)), __stop_foo[] __attribute__((weak));",
            "extern char __start_foo[], __stop_foo[];")
    for strong, text in enumerate(decl):
        (tmp_path / f"m{strong}.c").write_text(
            f"#include <stdio.h>\n{text}\n"
            "int main(void) { printf(\"%d %d\\n\", __start_foo != 0, (int)(__stop_foo - __start_foo)); }\n")
        for ld in ("gnu", "xld"):
            use = ["-B", tc.ld_wrapper_dir(tmp_path)] if ld == "xld" else []
            out = tmp_path / f"m{strong}-{ld}"
            p = subprocess.run([f"{triple}-gcc", *use, tmp_path / f"m{strong}.c", *inputs, "-o", out],
                               capture_output=True, text=True)
            if strong:
                assert p.returncode == 1 and not out.exists(), p.stderr
                assert "__stop_foo" in p.stderr
            else:
                assert p.returncode == 0, p.stderr
                assert _qemu(arch, out) == "0 0"


def test_bad_start_stop_visibility_is_refused(tmp_path):
    lib_o, _ = _objs("arm64", tmp_path)
    out = tmp_path / "x.so"
    res = tc.xld_link(["-shared", "-z", "start-stop-visibility=local", "-o", out, lib_o])
    assert res.status == 1
    assert res.stderr.strip() == ("xld: error: invalid visibility in `-z start-stop-visibility=local'; "
                                  "must be default, internal, hidden, or protected")
    assert not out.exists()
