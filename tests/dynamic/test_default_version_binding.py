"""A plain reference binds to an object's default version (foo@@V), as GNU ld binds it.

xz 5.4.1's liblzma defines ``lzma_block_uncomp_encode@@XZ_5.2`` (and ``@XZ_5.2.2``) with
``__attribute__((symver))`` and calls ``lzma_block_uncomp_encode`` from another object: xld
refused such a program ("undefined symbol: foo ... did you mean: foo@@V2") and left the
library with an unversioned undefined ``lzma_block_uncomp_encode`` in its .dynsym.
"""
from __future__ import annotations

import subprocess

import pytest

from tests import toolchain as tc

DEFS = """
__attribute__((__symver__("foo@@V2"))) int foo_v2(void) { return 42; }
__attribute__((__symver__("foo@V1"))) int foo_v1(void) { return 1; }
"""
USE = """
#include <stdio.h>
int foo(void);
int call_foo(void) { return foo(); }
"""
MAIN = """
#include <stdio.h>
int call_foo(void);
int main(void) { printf("%d\\n", call_foo()); return 0; }
"""
MAP = "V1 { global: foo; local: *; }; V2 { global: foo; call_foo; } V1;\n"


def _cc(arch, *args, cwd):
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    p = subprocess.run([cc, *map(str, args)], capture_output=True, text=True, cwd=cwd)
    return p


@pytest.fixture
def objs(tmp_path):
    def make(arch):
        for name, text in (("defs.c", DEFS), ("use.c", USE), ("main.c", MAIN), ("v.map", MAP)):
            (tmp_path / name).write_text(text)
        p = _cc(arch, "-O1", "-fPIC", "-c", "defs.c", "use.c", "main.c", cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        return tmp_path
    return make


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_program_reference_binds_to_default_version(objs, arch, tmp_path):
    d = objs(arch)
    wrap = tc.ld_wrapper_dir(tmp_path)
    p = _cc(arch, f"-B{wrap}", "-static", "-o", "prog", "defs.o", "use.o", "main.o", cwd=d)
    assert p.returncode == 0, p.stderr
    res = tc.xld_run(d / "prog")
    assert (res.status, res.stdout) == (0, b"42\n"), res.summary()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_library_reference_binds_to_default_version(objs, arch, tmp_path):
    d = objs(arch)
    wrap = tc.ld_wrapper_dir(tmp_path)
    p = _cc(arch, f"-B{wrap}", "-shared", "-o", "libv.so", "defs.o", "use.o",
            "-Wl,--version-script=v.map", "-Wl,-z,defs", cwd=d)
    assert p.returncode == 0, p.stderr
    syms = subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-readelf"), "--dyn-syms", "-W",
                           d / "libv.so"], capture_output=True, text=True, check=True).stdout
    rows = [ln.split() for ln in syms.splitlines() if ln.split()[-1:] and ln.split()[-1].startswith("foo")]
    assert sorted(r[-1] for r in rows) == ["foo@@V2", "foo@V1"], syms
    assert all(r[6] != "UND" for r in rows), syms
    p = _cc(arch, f"-B{wrap}", "-o", "prog", "main.o", "libv.so", "-Wl,-rpath,$ORIGIN", cwd=d)
    assert p.returncode == 0, p.stderr
    res = tc.qemu_run(arch, d / "prog", sysroot=f"/usr/{tc.TRIPLE[arch]}")
    assert (res.status, res.stdout) == (0, b"42\n"), res.summary()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_plain_definition_beside_default_version_is_a_duplicate(objs, arch, tmp_path):
    """``foo`` and ``foo@@V2`` each defined by an object are one symbol defined twice: GNU ld
    ("multiple definition of `foo@@V2'") and lld ("duplicate symbol: foo@@V2") refuse; xld
    linked and the program called the plain one (7)."""
    d = objs(arch)
    (d / "plain.c").write_text("int foo(void) { return 7; }\n")
    assert _cc(arch, "-O1", "-c", "plain.c", cwd=d).returncode == 0
    wrap = tc.ld_wrapper_dir(tmp_path)
    gnu = _cc(arch, "-static", "-o", "gprog", "defs.o", "use.o", "main.o", "plain.o", cwd=d)
    assert gnu.returncode != 0 and "multiple definition of `foo@@V2'" in gnu.stderr
    p = _cc(arch, f"-B{wrap}", "-static", "-o", "prog", "defs.o", "use.o", "main.o", "plain.o", cwd=d)
    assert p.returncode != 0 and "xld: error: duplicate symbol: foo@@V2" in p.stderr, p.stderr
    assert not (d / "prog").exists()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_plain_reference_pulls_the_archive_member_of_its_default_version(objs, arch, tmp_path):
    """An archive whose member defines only ``foo@@V2`` (and ``foo@V1``): a plain reference to
    ``foo`` loads it, as GNU ld looks the index's default version up without its version, and
    binds to the default version (42). xld said "undefined symbol: foo ... did you mean:
    foo@@V2" (R3)."""
    d = objs(arch)
    ar = tc.require(f"{tc.TRIPLE[arch]}-ar")
    subprocess.run([ar, "rcs", "libd.a", "defs.o"], cwd=d, check=True)
    wrap = tc.ld_wrapper_dir(tmp_path)
    gnu = _cc(arch, "-static", "-o", "gprog", "use.o", "main.o", "libd.a", cwd=d)
    assert gnu.returncode == 0, gnu.stderr
    p = _cc(arch, f"-B{wrap}", "-static", "-o", "prog", "use.o", "main.o", "libd.a", cwd=d)
    assert p.returncode == 0, p.stderr
    for exe in ("gprog", "prog"):
        res = tc.xld_run(d / exe)
        assert (res.status, res.stdout) == (0, b"42\n"), res.summary()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_names_on_the_command_line_mean_the_default_version(objs, arch, tmp_path):
    """``-e foo``, ``--defsym bar=foo`` and ``--require-defined foo`` take an object's
    ``foo@@V2`` as GNU ld does, where nothing defines a plain foo and nothing refers to it.
    xld said "--defsym: undefined symbol: foo" and "required symbol 'foo' not defined", and
    for ``-e foo`` warned and left the entry at 0."""
    from elftools.elf.elffile import ELFFile
    d = objs(arch)
    (d / "e.map").write_text("V1 { global: foo; bar; local: *; }; V2 { global: foo; } V1;\n")
    args = ["-shared", "--version-script", d / "e.map", "-e", "foo", "--defsym", "bar=foo",
            "--require-defined", "foo", d / "defs.o"]
    gnu = subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ld"), *args, "-o", d / "gnu.so"],
                         capture_output=True, text=True)
    assert gnu.returncode == 0, gnu.stderr
    res = tc.xld_link(["--arch", arch, *args, "-o", d / "xld.so"])
    assert (res.status, res.stderr) == (0, ""), res.stderr
    for out in ("gnu.so", "xld.so"):
        with open(d / out, "rb") as f:
            e = ELFFile(f)
            syms = {s.name: s["st_value"] for s in e.get_section_by_name(".symtab").iter_symbols()}
            assert e.header["e_entry"] == syms["foo@@V2"] == syms["foo_v2"] != 0, out
            dyn = {s.name: s["st_value"] for s in e.get_section_by_name(".dynsym").iter_symbols()}
            assert dyn["bar"] == syms["foo_v2"], out
