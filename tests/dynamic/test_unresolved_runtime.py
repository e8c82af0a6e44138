"""A dynamic program that keeps an undefined name for run time (--unresolved-symbols=ignore-all,
--warn-unresolved-symbols) and refers to it directly, from position-dependent code: no library
gives it a size or a type, so it can have no copy and no canonical PLT entry.  xld crashed
there ('internal error: AttributeError' in the copy plan).  GNU ld's outputs are the oracle: a
position-dependent program takes 0 for the address (riscv64 gcc's crtbegin refers so to the weak
_ITM_deregisterTMCloneTable, so every such riscv64 -no-pie link crashed); a PIE is an error."""
from __future__ import annotations

import subprocess

import pytest

from tests import toolchain as tc

pytestmark = tc.cross_and_qemu()

SOURCE = """extern int ext_var;
int *ptr(void) { return &ext_var; }
int main(int argc, char **argv) { return argc > 5 ? *ptr() : 4; }
"""


@pytest.mark.parametrize("mode", ["-no-pie", "-pie"])
@pytest.mark.parametrize("arch", tc.ARCHES)
def test_direct_reference_to_a_name_left_for_run_time(arch, mode, tmp_path):
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    (tmp_path / "u.c").write_text(SOURCE)
    subprocess.run([cc, "-O1", "-fno-pic", "-c", "u.c"], cwd=tmp_path, check=True)
    flags = [mode, "u.o", "-Wl,--unresolved-symbols=ignore-all"]
    gnu = subprocess.run([cc, *flags, "-o", "gnu"], cwd=tmp_path, capture_output=True, text=True)
    xld = subprocess.run([cc, "-B", str(tc.ld_wrapper_dir(tmp_path)), *flags, "-o", "xld"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert "internal error" not in xld.stderr and "Traceback" not in xld.stderr, xld.stderr
    if mode == "-pie":
        assert gnu.returncode != 0
        assert xld.returncode == 1 and not (tmp_path / "xld").exists()
        assert "cannot be used against symbol 'ext_var'; the symbol is undefined and left to be bound " \
               "at run time; recompile with -fPIC" in xld.stderr, xld.stderr
        return
    assert gnu.returncode == 0 and xld.returncode == 0, (gnu.stderr, xld.stderr)
    status = {}
    for who in ("gnu", "xld"):
        dyn = subprocess.run([f"{tc.TRIPLE[arch]}-readelf", "--dyn-syms", "-W", who], cwd=tmp_path,
                             capture_output=True, text=True, check=True).stdout
        assert "ext_var" not in dyn, (who, dyn)
        status[who] = tc.qemu_run(arch, tmp_path / who, sysroot=f"/usr/{tc.TRIPLE[arch]}").status
    # (riscv64: 4; arm64: both programs end with SIGSEGV under qemu-user, GNU ld's as xld's)
    assert status["xld"] == status["gnu"], status
