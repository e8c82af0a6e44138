"""C++ names in messages are demangled as lld prints them (--demangle, the default), and
left alone with --no-demangle."""
from __future__ import annotations

import subprocess

import pytest

from tests import toolchain as tc

SRC = "void missing(int); struct A { static void m(double); };\nint main() { missing(1); A::m(2.0); return 0; }\n"
DUP = "struct A { static void m(double); };\nvoid A::m(double) {}\n"


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_undefined_and_duplicate_cxx_symbols_are_demangled(arch, tmp_path):
    gxx = tc.require(f"{tc.TRIPLE[arch]}-g++")
    objs = []
    for name, text in (("und", SRC), ("dup1", DUP), ("dup2", DUP)):
        (tmp_path / f"{name}.cc").write_text(text)
        subprocess.run([gxx, "-c", tmp_path / f"{name}.cc", "-o", tmp_path / f"{name}.o"], check=True)
        objs.append(tmp_path / f"{name}.o")
    res = tc.xld_link(["-e", "main", "-o", tmp_path / "out", objs[0]])
    assert res.status == 1
    assert "undefined symbol: missing(int)" in res.stderr
    assert "undefined symbol: A::m(double)" in res.stderr
    res = tc.xld_link(["--no-demangle", "-e", "main", "-o", tmp_path / "out", objs[0]])
    assert "undefined symbol: _Z7missingi" in res.stderr and "missing(int)" not in res.stderr
    res = tc.xld_link(["-e", "main", "-o", tmp_path / "out", *objs])
    assert res.status == 1
    assert "duplicate symbol: A::m(double)" in res.stderr
    assert not (tmp_path / "out").exists()
