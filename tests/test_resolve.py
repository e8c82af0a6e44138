"""Symbol resolution against archives, with GNU ld as the oracle: which members a link loads.

Programs are compiled at test time, linked by GNU ld and by xld, and run under qemu-user;
the exit status says which definition the program saw.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests import toolchain as tc

ARCHES = pytest.mark.parametrize("arch", tc.ARCHES)

START = {
    "arm64": ".globl _start\n_start:\n  bl main\n  mov x8, #93\n  svc #0\n",
    "riscv64": ".globl _start\n_start:\n  call main\n  li a7, 93\n  ecall\n",
}

# A tentative definition (COMMON with -fcommon) in the program; the archive member's kind of
# definition of the same name decides whether GNU ld loads the member.
MEMBERS = {
    "data": "int x = 5;\n",                                   # global data: loaded
    "rodata": "const int x = 9;\n",                           # global data: loaded
    "array": "int x[4] = {11};\n",                            # global data: loaded
    "weak": "__attribute__((weak)) int x = 6;\n",             # weak: not loaded
    "common": "int x;\nint y = 1;\n",                         # another COMMON: not loaded
    "function": "int x(void) { return 1; }\n",                # a function: not loaded
}


@pytest.fixture(scope="module")
def common_objects(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("common")
    out = {}
    for arch in tc.ARCHES:
        d = tmp / arch
        d.mkdir()
        cc = tc.compiler("gcc", arch)
        start = tc.assemble(arch, START[arch], d / "start.o")
        srcs = {"main": "int x;\nint main(void) { return x; }\n",
                "uses": "extern int x;\nint main(void) { return x; }\n", **MEMBERS}
        objs = {}
        for name, text in srcs.items():
            (d / f"{name}.c").write_text(text)
            objs[name] = cc.compile(d / f"{name}.c", d / f"{name}.o", ["-O2", "-fcommon"])
        libs = {name: tc.archive(arch, [objs[name]], d / f"lib{name}.a") for name in MEMBERS}
        out[arch] = (d, start, objs, libs)
    return out


def _status(arch: str, exe: Path) -> int:
    return tc.qemu_run(arch, exe).status


@ARCHES
@pytest.mark.parametrize("member", sorted(MEMBERS))
def test_common_symbol_loads_the_member_that_defines_it_as_gnu_ld(arch, member, common_objects):
    d, start, objs, libs = common_objects[arch]
    inputs = [start, objs["main"], libs[member]]
    gnu = tc.gnu_ld(arch, inputs, d / f"gnu-{member}")
    out = d / f"xld-{member}"
    p = tc.xld_cli(["-o", out, *inputs])
    assert p.returncode == 0, p.stderr
    want = {"data": 5, "rodata": 9, "array": 11}.get(member, 0)
    assert _status(arch, gnu) == want
    assert _status(arch, out) == want


@ARCHES
def test_object_after_an_archive_still_loads_its_members(arch, common_objects):
    """xld keeps an archive's symbols available after reading it (as lld does): an object
    named after the archive pulls the member it needs, and so does a COMMON in it."""
    d, start, objs, libs = common_objects[arch]
    for main in ("uses", "main"):
        out = d / f"late-{main}"
        p = tc.xld_cli(["-o", out, start, libs["data"], objs[main]])
        assert p.returncode == 0, p.stderr
        assert _status(arch, out) == 5


WRAP = {
    "main": "int foo(int);\nint self_call(int);\nint main(void) { return foo(1) + self_call(2); }\n",
    "foo": "int foo(int x) { return x + 10; }\nint self_call(int x) { return foo(x); }\n",
    "wrap": "int __real_foo(int);\nint __wrap_foo(int x) { return __real_foo(x) + 100; }\n",
}


@pytest.fixture(scope="module")
def wrap_objects(tmp_path_factory):
    """start.o and the WRAP objects per arch, compiled once, with libw.a and libf.a."""
    out = {}
    for arch in tc.ARCHES:
        d = tmp_path_factory.mktemp(f"wrap-{arch}")
        cc = tc.compiler("gcc", arch)
        objs = {"start": tc.assemble(arch, START[arch], d / "start.o")}
        for name, text in WRAP.items():
            (d / f"{name}.c").write_text(text)
            objs[name] = cc.compile(d / f"{name}.c", d / f"{name}.o", ["-O0"])
        objs["libw"] = tc.archive(arch, [objs["wrap"]], d / "libw.a")
        objs["libf"] = tc.archive(arch, [objs["foo"]], d / "libf.a")
        out[arch] = (d, objs)
    return out


@ARCHES
def test_wrap_as_gnu_ld(arch, wrap_objects):
    """--wrap=foo: main's call goes to __wrap_foo, whose __real_foo is foo; the call inside
    foo's own object is not wrapped (GNU ld's rule); the names pull archive members (libw.a
    for __wrap_foo, then libf.a for the real foo)."""
    tmp_path, objs = wrap_objects[arch]
    start, libw, libf = objs["start"], objs["libw"], objs["libf"]
    for inputs in ([objs["main"], libw, libf], [objs["main"], objs["wrap"], objs["foo"]]):
        gnu = tc.gnu_ld(arch, [start, *inputs], tmp_path / "gnu", ["--wrap=foo"])
        out = tmp_path / "xld"
        p = tc.xld_cli(["--wrap=foo", "-o", out, start, *inputs])
        assert p.returncode == 0, p.stderr
        assert _status(arch, gnu) == _status(arch, out) == 111 + 12
    p = tc.xld_cli(["--wrap", "foo", "-o", tmp_path / "bad", start, objs["main"], objs["wrap"]])
    # __real_foo is named foo, as GNU ld and lld name it
    assert p.returncode == 1 and "xld: error: undefined symbol: foo\n>>> referenced by wrap.c\n" in p.stderr, p.stderr
    p = tc.xld_cli(["-wrap=foo", "-o", tmp_path / "bad", start, objs["main"], objs["foo"]])
    assert p.returncode == 1 and "undefined symbol: __wrap_foo" in p.stderr and "self_call" not in p.stderr, p.stderr


def _gnu_messages(arch: str, args, cwd) -> list[str]:
    ld = tc.require(f"{tc.TRIPLE[arch]}-ld")
    p = subprocess.run([ld, *map(str, args)], capture_output=True, text=True, cwd=cwd)
    assert p.returncode == 0, p.stderr
    return [line.replace(f"{ld}:", "xld:", 1).replace(f"{tc.TRIPLE[arch]}-ld:", "xld:", 1) for line in p.stderr.splitlines()]


@ARCHES
def test_trace_symbol_lines_are_gnu_lds(arch, wrap_objects, common_objects):
    """-y/--trace-symbol: GNU ld's lines, in its order, with --wrap and archives, and for a
    COMMON that loads a member."""
    tmp_path = wrap_objects[arch][0]
    args = ["--wrap=foo", "-y", "foo", "-y__wrap_foo", "--trace-symbol=self_call", "-y", "main",
            "-o", "out", "start.o", "main.o", "libw.a", "libf.a"]
    p = tc.xld_cli(args, cwd=tmp_path)
    assert p.returncode == 0
    assert p.stderr.splitlines() == _gnu_messages(arch, args, tmp_path) and len(p.stderr.splitlines()) == 7
    d, start, objs, libs = common_objects[arch]
    args = ["-y", "x", "-o", "out", start.name, "main.o", "libdata.a"]
    p = tc.xld_cli(args, cwd=d)
    assert p.stderr.splitlines() == _gnu_messages(arch, args, d) == [
        "xld: main.o: definition of x", "xld: libdata.a(data.o): definition of x"]


@ARCHES
def test_start_lib_objects_load_only_when_needed(arch, wrap_objects):
    """--start-lib a.o b.o --end-lib (lld, gold): the objects are archive members — foo.o is
    loaded for main's foo (also when named before main.o), wrap.o is not; exit status and
    symbols as lld's output."""
    lld = tc.require("ld.lld")
    tmp_path = wrap_objects[arch][0]
    for args in (["start.o", "main.o", "--start-lib", "foo.o", "wrap.o", "--end-lib"],
                 ["--start-lib", "wrap.o", "foo.o", "--end-lib", "start.o", "main.o"]):
        p = tc.xld_cli(["-o", "xld", *args], cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        q = subprocess.run([lld, "-o", "lld", *args], cwd=tmp_path, capture_output=True, text=True)
        if q.returncode == 0:                # (lld cannot link riscv64 objects built with relaxation)
            assert _status(arch, tmp_path / "lld") == 12 + 11
        assert _status(arch, tmp_path / "xld") == 12 + 11
        with open(tmp_path / "xld", "rb") as f:
            names = {s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()}
        assert "foo" in names and "self_call" in names and "__wrap_foo" not in names
    for args, words in ((["--start-lib", "start.o"], "--start-lib without --end-lib"),
                        (["--end-lib", "start.o"], "stray --end-lib"),
                        (["--start-lib", "--start-lib", "start.o"], "nested --start-lib")):
        p = tc.xld_cli(["-o", "bad", *args], cwd=tmp_path)
        assert p.returncode == 1 and f"xld: error: {words}" in p.stderr, p.stderr


@ARCHES
def test_undefined_glob_loads_matching_members(arch, wrap_objects):
    """--undefined-glob=PATTERN (lld): members defining a matching name are loaded — here
    wrap.o, whose __real_foo then is undefined: the message is lld's, word for word, with the
    member named as lld names one ('wrap.o:(__wrap_foo) in archive libw.a')."""
    lld = tc.require("ld.lld")
    tmp_path = wrap_objects[arch][0]
    args = ["-o", "out", "start.o", "main.o", "libf.a", "libw.a"]
    assert tc.xld_cli(args, cwd=tmp_path).returncode == 0
    p = tc.xld_cli([*args, "--undefined-glob=__wrap_*"], cwd=tmp_path)
    assert p.returncode == 1
    assert p.stderr == ("xld: error: undefined symbol: __real_foo\n>>> referenced by wrap.c\n"
                        ">>>               wrap.o:(__wrap_foo) in archive libw.a\n"), p.stderr
    q = subprocess.run([lld, *args, "--undefined-glob=__wrap_*"], cwd=tmp_path, capture_output=True, text=True)
    if arch == "arm64":
        assert q.stderr.replace("ld.lld:", "xld:") == p.stderr
    p = tc.xld_cli([*args, "--undefined-glob", "self_*"], cwd=tmp_path)     # already loaded: nothing changes
    assert p.returncode == 0, p.stderr


@ARCHES
def test_trace_and_why_extract_as_lld(arch, wrap_objects):
    """-t lists the objects and, as they are loaded, the archive members as lib.a(m.o) (lld's
    form); --why-extract=FILE writes lld's table of which reference loaded which member."""
    tmp_path = wrap_objects[arch][0]
    args = ["-u", "__wrap_foo", "start.o", "--start-lib", "foo.o", "--end-lib", "main.o", "libw.a", "libf.a"]
    p = tc.xld_cli(["-t", "--why-extract=why.txt", "-o", "out", *args], cwd=tmp_path)
    assert p.stdout.splitlines() == ["start.o", "main.o", "foo.o", "libw.a(wrap.o)"], p.stdout
    assert (tmp_path / "why.txt").read_text().splitlines() == [
        "reference\textracted\tsymbol", "main.o\tfoo.o\tfoo", "<internal>\tlibw.a(wrap.o)\t__wrap_foo"]
    if arch == "arm64":
        q = subprocess.run([tc.require("ld.lld"), "-t", "--why-extract=lld.txt", "-o", "lld", *args], cwd=tmp_path,
                           capture_output=True, text=True)
        assert q.stdout == p.stdout and (tmp_path / "lld.txt").read_text() == (tmp_path / "why.txt").read_text()
    p = tc.xld_cli(["--why-extract=-", "-o", "out", "start.o", "main.o", "libf.a"], cwd=tmp_path)
    assert p.stdout == "reference\textracted\tsymbol\nmain.o\tlibf.a(foo.o)\tfoo\n"


@ARCHES
def test_trace_symbol_in_a_dynamic_link_as_gnu_ld(arch, tmp_path):
    """-y names the shared library that defines the name too, as GNU ld does (gcc's default
    dynamic link, through the compiler driver)."""
    gcc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    (tmp_path / "hello.c").write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
    obj = tc.compiler("gcc", arch).compile(tmp_path / "hello.c", tmp_path / "hello.o", ["-O2"])
    flags = ["-Wl,-y,puts", "-Wl,-y,__libc_start_main", obj, "-o", tmp_path / "out"]
    ours = subprocess.run([gcc, "-B", tc.ld_wrapper_dir(tmp_path), *flags], capture_output=True, text=True)
    gnu = subprocess.run([gcc, *flags], capture_output=True, text=True)
    assert ours.returncode == gnu.returncode == 0, ours.stderr
    want = [re.sub(r"^\S*/bin/ld:", "xld:", line) for line in gnu.stderr.splitlines()]
    assert ours.stderr.splitlines() == want and len(want) == 4, (ours.stderr, gnu.stderr)
