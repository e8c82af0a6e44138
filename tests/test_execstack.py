"""An executable stack, as the inputs ask for it (link/properties.py ``stack``) and as the
runner gives it (emu/runner.py, emu/syscalls.py).

GCC marks an object's ``.note.GNU-stack`` executable when a nested function's address is
taken: the trampoline it writes on the stack must run there.  GNU ld then gives the output a
PT_GNU_STACK with PF_X (and warns); the kernel maps the stack executable; a shared library
that asks for it gets it from ld.so, which mprotects the stack with PROT_GROWSDOWN.  A linker
that ignores the note writes a program that crashes at the first trampoline (as xld did).
The oracle is GNU ld + qemu-user; the runner must agree with qemu.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc

ARCHES = ["arm64", "riscv64"]

TRAMPOLINE = r"""
#include <stdio.h>
static int apply(int (*f)(int), int x) { return f(x); }
int via_trampoline(int k)
{
    int add(int v) { return v + k; }
    char pad[PAD];                  /* the trampoline sits this far below the stack's top */
    pad[0] = (char)k;
    __asm__ volatile("" : : "r"(pad) : "memory");
    return apply(add, 0);
}
"""
MAIN = r"""
#include <stdio.h>
int via_trampoline(int);
int main(int argc, char **argv) { printf("%d\n", via_trampoline(argc + 41)); return 0; }
"""
WARNING = "requires executable stack (because the .note.GNU-stack section is executable)"


def _stack_flags(exe: Path) -> str | None:
    """PT_GNU_STACK's flags as readelf prints them ("RW ", "RWE"), or None without one."""
    out = subprocess.run([tc.require("readelf"), "-lW", str(exe)], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        if line.split()[:1] == ["GNU_STACK"]:
            return line.split()[-2]
    return None


@pytest.fixture(scope="module")
def objs(tmp_path_factory):
    """Per arch: the trampoline object (its stack note executable, 64 KiB of stack below the
    top so that the trampoline is pages away from the page ld.so names), its -fPIC twin, main,
    and an assembler object without any stack note."""
    d = tmp_path_factory.mktemp("execstack")
    (d / "tramp.c").write_text(TRAMPOLINE)
    (d / "main.c").write_text(MAIN)
    out = {}
    for arch in ARCHES:
        cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
        o = {}
        for name, src, flags in (("tramp", "tramp.c", []), ("tramp_pic", "tramp.c", ["-fPIC"]),
                                 ("main", "main.c", [])):
            o[name] = d / f"{arch}-{name}.o"
            subprocess.run([cc, "-O1", "-DPAD=65536", *flags, "-c", str(d / src), "-o", str(o[name])],
                           check=True)
        o["nonote"] = tc.assemble(arch, ".text\n.globl via_trampoline\nvia_trampoline: ret\n", d / f"{arch}-nonote.o")
        out[arch] = o
    return out


def _link(arch, tmp_path, name, inputs, flags=(), linker="xld"):
    """Link through gcc (-B: xld's wrapper, or GNU ld); returns (exe, stderr)."""
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    exe = tmp_path / f"{name}-{linker}"
    b = ["-B", str(tc.ld_wrapper_dir(tmp_path))] if linker == "xld" else []
    p = subprocess.run([cc, *b, *flags, *map(str, inputs), "-o", str(exe)], capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stderr
    return exe, p.stderr


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("mode", [[], ["-static"]], ids=["dynamic", "static"])
def test_trampoline_program_runs_as_with_gnu_ld(objs, arch, mode, tmp_path):
    o = objs[arch]
    inputs = [o["main"], o["tramp"]]
    gnu, gnu_err = _link(arch, tmp_path, "prog", inputs, mode, linker="gnu")
    ours, our_err = _link(arch, tmp_path, "prog", inputs, mode)
    assert _stack_flags(gnu) == _stack_flags(ours) == "RWE"
    assert f"{o['tramp'].name}: {WARNING}" in gnu_err
    assert f"xld: warning: {o['tramp']}: {WARNING}" in our_err
    assert our_err.count(WARNING) == 1
    sysroot = f"/usr/{tc.TRIPLE[arch]}"
    want = tc.qemu_run(arch, gnu, sysroot=sysroot)
    assert want.status == 0 and want.stdout == b"42\n", want.summary()
    got = tc.qemu_run(arch, ours, sysroot=sysroot)
    assert (got.status, got.stdout) == (want.status, want.stdout), got.summary()
    run = tc.xld_run(ours)
    assert (run.status, run.stdout) == (0, b"42\n"), run.summary()


@pytest.mark.parametrize("arch", ARCHES)
def test_options_and_inputs_without_the_note(objs, arch, tmp_path):
    o = objs[arch]
    cases = [  # (inputs, flags, PT_GNU_STACK, warned)
        ([o["main"], o["tramp"]], ["-Wl,-z,noexecstack"], "RW", False),
        ([o["main"], o["tramp"]], ["-Wl,--no-warn-execstack"], "RWE", False),
        ([o["main"], o["tramp"]], ["-Wl,--no-warn-execstack", "-Wl,--warn-execstack"], "RWE", True),
        ([o["main"], o["nonote"]], [], "RW", False),
        ([o["main"], o["nonote"]], ["-Wl,-z,execstack"], "RWE", False),
    ]
    for k, (inputs, flags, want, warned) in enumerate(cases):
        gnu, gnu_err = _link(arch, tmp_path, f"c{k}", inputs, flags, linker="gnu")
        ours, our_err = _link(arch, tmp_path, f"c{k}", inputs, flags)
        assert _stack_flags(gnu) == want, (flags, gnu_err)
        assert _stack_flags(ours) == want, (flags, our_err)
        assert (WARNING in gnu_err, WARNING in our_err) == (warned, warned), (flags, our_err)


@pytest.mark.parametrize("arch", ARCHES)
def test_a_library_that_needs_it_gets_it_from_ld_so(objs, arch, tmp_path):
    """The program's stack is not executable; its library's is: ld.so makes the whole stack
    executable (mprotect with PROT_GROWSDOWN from one page), as under qemu-user."""
    o = objs[arch]
    lib, err = _link(arch, tmp_path, "libtramp.so", [o["tramp_pic"]], ["-shared"])
    assert _stack_flags(lib) == "RWE" and WARNING in err
    lib = lib.rename(tmp_path / "libtramp.so")
    # (-l: DT_NEEDED libtramp.so, found through $ORIGIN; named by its path, the library would
    # be DT_NEEDED by that absolute path, as GNU ld writes it, outside `xld run`'s file view)
    exe, _ = _link(arch, tmp_path, "prog", [o["main"], f"-L{tmp_path}", "-ltramp"], ["-Wl,-rpath,$ORIGIN"])
    assert _stack_flags(exe) == "RW"
    sysroot = f"/usr/{tc.TRIPLE[arch]}"
    want = tc.qemu_run(arch, exe, sysroot=sysroot)
    assert want.status == 0 and want.stdout == b"42\n", want.summary()
    run = tc.xld_run(exe)
    assert (run.status, run.stdout) == (0, b"42\n"), run.summary()


@pytest.mark.parametrize("arch", ARCHES)
def test_relocatable_output_keeps_the_request(objs, arch, tmp_path):
    """-r keeps an executable .note.GNU-stack, so the final link (GNU ld's too) still sees it."""
    o = objs[arch]
    part = tmp_path / "part.o"
    r = tc.xld_cli(["-r", "-o", part, o["main"], o["tramp"]])
    assert r.returncode == 0, r.stderr
    exe, err = _link(arch, tmp_path, "final", [part], linker="gnu")
    assert _stack_flags(exe) == "RWE" and WARNING in err
    # -z execstack on objects without the request: the -r object makes it (as GNU ld's -r)
    part = tmp_path / "part2.o"
    r = tc.xld_cli(["-r", "-z", "execstack", "-o", part, o["main"], o["nonote"]])
    assert r.returncode == 0, r.stderr
    exe, err = _link(arch, tmp_path, "final2", [part], linker="gnu")
    assert _stack_flags(exe) == "RWE" and WARNING in err
    r = tc.xld_cli(["-r", "-o", part, o["main"], o["nonote"]])
    exe, err = _link(arch, tmp_path, "final3", [part], linker="gnu")
    assert _stack_flags(exe) == "RW" and WARNING not in err


@pytest.mark.parametrize("arch", ARCHES)
def test_a_member_parsed_ahead_asks_as_one_read_afresh(arch, tmp_path, capsys):
    """The warm server finds out ahead whether each archive member it parses asks for an
    executable stack (properties.asks_exec_stack, kept on the member); a link that takes the
    member from it gets PT_GNU_STACK RWE and the warning, as a link that reads it afresh."""
    import os

    from xld.link import cli, server
    from xld.link import input as inp
    note = '.section .note.GNU-stack,"{}",@progbits\n'
    asks = tc.assemble(arch, ".text\n.globl f\nf: ret\n" + note.format("x"), tmp_path / "asks.o")
    plain = tc.assemble(arch, ".text\n.globl g\ng: ret\n" + note.format(""), tmp_path / "plain.o")
    tc.archive(arch, [asks, plain], tmp_path / "libs.a")
    saved = dict(inp.warm_inputs)
    cwd = os.getcwd()
    try:
        inp.warm_inputs.clear()
        members = list(inp.open_input(str(tmp_path / "libs.a")).members)
        server.warm_up_library("libs.a", str(tmp_path), members)
        warm = inp.warm_inputs[inp.warm_key("libs.a", str(tmp_path))]
        assert sorted(m.__dict__.get("_asks_exec_stack") for m in warm.parsed.values()) == [False, True]
        os.chdir(tmp_path)
        for out in ("warm", "afresh"):          # (the second finds nothing parsed ahead)
            assert cli.main(["-e", "f", "-u", "f", "-u", "g", "-o", out, "libs.a"]) == 0
            assert _stack_flags(tmp_path / out) == "RWE"
            assert f"libs.a(asks.o): {WARNING}" in capsys.readouterr().err
        assert not inp.warm_inputs
    finally:
        os.chdir(cwd)
        inp.warm_inputs.clear()
        inp.warm_inputs.update(saved)
        inp.warm_taken.clear()
