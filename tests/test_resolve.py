"""Symbol resolution against archives, with GNU ld as the oracle: which members a link loads.

Programs are compiled at test time, linked by GNU ld and by xld, and run under qemu-user;
the exit status says which definition the program saw.
"""
from __future__ import annotations

from pathlib import Path

import pytest

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
