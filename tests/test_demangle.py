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


RUST = "pub fn add_one(x: i32) -> i32 { x + 1 }\npub mod inner { pub fn twice(x: u64) -> u64 { x * 2 } }\n"


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_rust_names_are_demangled_as_lld_prints_them(arch, tmp_path):
    """Rust's legacy names (Itanium-shaped, with the hash) and v0 names (_R...), as rustc
    writes them (compiled at test time for the host: only the names are used), referenced from
    an object of the target: the messages name them as lld does."""
    rustc = tc.require("rustc")
    (tmp_path / "r.rs").write_text(RUST)
    names = []
    for mangling in ("legacy", "v0"):
        out = tmp_path / f"r-{mangling}.o"
        flags = ["-Csymbol-mangling-version=v0"] if mangling == "v0" else []     # legacy: the default
        subprocess.run([rustc, "--crate-type=rlib", "--emit=obj", *flags, "-Copt-level=0", tmp_path / "r.rs",
                        "-o", out], check=True, capture_output=True)
        nm = subprocess.run(["nm", "--defined-only", out], check=True, capture_output=True, text=True).stdout
        names += [line.split()[-1] for line in nm.splitlines() if "add_one" in line or "twice" in line]
    assert len(names) == 4 and sum(n.startswith("_R") for n in names) == 2, names
    call = {"arm64": "bl", "riscv64": "call"}[arch]
    obj = tc.assemble(arch, ".globl _start\n_start:\n" + "".join(f"  {call} {n}\n" for n in names), tmp_path / "use.o")
    res = tc.xld_link(["-o", tmp_path / "out", obj])
    assert res.status == 1
    got = sorted(line.split("undefined symbol: ", 1)[1] for line in res.stderr.splitlines() if "undefined symbol" in line)
    assert [g.split("::h")[0] for g in got] == ["r::add_one", "r::add_one", "r::inner::twice", "r::inner::twice"], got
    assert sum("::h" in g for g in got) == 2          # the legacy names keep their hash, as in lld
    if arch == "arm64":
        q = subprocess.run([tc.require("ld.lld"), "-o", tmp_path / "lld", obj], capture_output=True, text=True)
        theirs = sorted(line.split("undefined symbol: ", 1)[1] for line in q.stderr.splitlines() if "undefined symbol" in line)
        assert got == theirs
    res = tc.xld_link(["--no-demangle", "-o", tmp_path / "out", obj])
    assert all(f"undefined symbol: {n}" in res.stderr for n in names)


SPECIAL = ["_ZTVN2ns4BaseE", "_ZTTN2ns4BaseE", "_ZTIN2ns3ErrE", "_ZTSN2ns3ErrE", "_ZThn8_N1B1fEv",
           "_ZTv0_n24_N1B1fEv", "_ZTcv0_n12_v0_n16_N1B1fEv", "_ZTC1D0_1B", "_ZGVZ1fvE1x", "_ZTW1x"]


def test_special_names_are_spelled_as_cxxfilt_spells_them():
    """vtables, VTTs, thunks and construction vtables as c++filt (GNU ld's version-script
    matching, lld's messages) spell them: "vtable for ns::Base", not cpp_demangle's
    "{vtable(ns::Base)}", which no extern "C++" pattern matched."""
    from xld.link.errors import demangle
    filt = tc.require(f"{tc.TRIPLE['arm64']}-c++filt")
    want = subprocess.run([filt, *SPECIAL], capture_output=True, text=True, check=True).stdout.splitlines()
    assert [demangle(n) for n in SPECIAL] == want
