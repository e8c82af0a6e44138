"""GNU ld switches that build systems pass and xld once refused as unknown: each is honoured
as GNU ld does (the oracle: GNU ld on the same objects), or refused by name when honouring it
would mean writing an output known to be wrong.

-w/--no-warnings, --warn-textrel, --print-output-format, --print-sysroot, -i, --check-sections;
refused: -Ur, --noinhibit-exec, --no-check-sections.
"""
from __future__ import annotations

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


@pytest.mark.parametrize("flag", ["-Ur", "--noinhibit-exec", "--no-check-sections"])
def test_refused_by_name(flag, tmp_path):
    a = tc.assemble("arm64", ".text\n.globl _start\n_start: nop\n", tmp_path / "a.o")
    out = tmp_path / "out"
    r = tc.xld_cli([flag, "-o", out, a])
    assert r.returncode == 1 and r.stderr.startswith(f"xld: error: {flag} is not supported")
    assert "Traceback" not in r.stderr and not out.exists()
