"""A C++ function in a COMDAT group whose exception table (LSDA) GCC put in the object's one
`.gcc_except_table`: when another object's copy of the function wins, that table refers to
labels of a discarded section (on riscv64 as ADD32/SUB32 label differences). GNU ld accepts
it (the table of the losing copy is never reached); xld said "relocation refers to a symbol in
a discarded section" (found by the benchmark's C++ program). Both arches, GNU ld + qemu-user
as the oracle."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc

PROGS = Path(__file__).parent / "progs_lsda"


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_lsda_of_a_discarded_comdat_copy(arch, tmp_path):
    gxx = tc.require(f"{tc.TRIPLE[arch]}-g++")
    objs = []
    for name in ("deque_part", "regex_main"):        # this order: regex_main's copy loses
        obj = tmp_path / f"{name}.o"
        subprocess.run([gxx, "-O2", "-std=c++17", "-c", str(PROGS / f"{name}.cc"), "-o", str(obj)],
                       check=True)
        objs.append(obj)
    wrap = tc.ld_wrapper_dir(tmp_path)
    for out, extra in (("xld", ["-B", str(wrap)]), ("gnu", [])):
        p = subprocess.run([gxx, "-static", *extra, *map(str, objs), "-o", str(tmp_path / out)],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
    assert (wrap / "called").exists()
    ours, gnu = tc.qemu_run(arch, tmp_path / "xld"), tc.qemu_run(arch, tmp_path / "gnu")
    assert (ours.status, ours.stdout) == (gnu.status, gnu.stdout)
    assert ours.stdout.startswith(b"on 05/12/2026 and 02/01/1999 ")
