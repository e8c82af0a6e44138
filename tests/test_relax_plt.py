"""RISC-V relaxation of calls through the PLT (link/shrink.py, hook "relax_plt_calls").

GNU ld relaxes a `call`/`tail` whose symbol has a PLT entry (a libc function, another
library's export, a shared library's own interposable function) against the entry's address:
`jal`/`j`, or `c.j` in an RVC object, when the entry is in reach.  A shared library and a
PIE made by riscv64 gcc, calling libc and each other, are linked by GNU ld and by xld
through ``gcc -B``: each of our functions must have GNU ld's size, instructions (mnemonics:
the immediates follow each linker's layout) and place relative to its neighbours, and
the program must print the same under qemu-riscv64 with either linker's library.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc

pytestmark = tc.cross_and_qemu()

ARCH = "riscv64"
GCC = "riscv64-linux-gnu-gcc"

LIB = r"""
#include <stdio.h>
#include <string.h>
int lib_add(int a, int b) { return a + b; }
int lib_twice(int a) { return lib_add(a, a); }               /* through our own PLT entry */
int lib_print(const char *s) { puts(s); return (int)strlen(s) + lib_twice(1); }
int lib_tail(const char *s) { return puts(s); }               /* tail call to libc */
__attribute__((noinline)) static int lib_hidden(int x) { return printf("hidden %d\n", x); }
int lib_more(int x) { return lib_hidden(x) + lib_tail("tail"); }
"""

MAIN = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int lib_print(const char *s);
int lib_twice(int a);
int lib_more(int x);
int lib_tail(const char *s);
__attribute__((noinline)) static int helper(int x) { printf("helper %d\n", x); return x * 3; }
int go(const char *s) { return lib_tail(s); }
int main(int argc, char **argv)
{
    int n = lib_print("hello from main");
    n += lib_twice(argc);
    n += helper(n);
    n += lib_more(n);
    n += go("go");
    printf("result %d %d\n", n, (int)strlen(argv[0]) > 0);
    if (argc > 5)
        abort();
    return 0;
}
"""

OURS = {"lib.so": ("lib_add", "lib_twice", "lib_print", "lib_tail", "lib_hidden", "lib_more"),
        "main": ("main", "helper", "go")}


def _funcs(path: Path, names) -> dict:
    """Each named function: (size, offset in its section, mnemonics)."""
    import capstone
    from elftools.elf.elffile import ELFFile
    md = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)
    out = {}
    with open(path, "rb") as f:
        e = ELFFile(f)
        for s in e.get_section_by_name(".symtab").iter_symbols():
            if s.name in names and s["st_info"]["type"] == "STT_FUNC":
                sec = e.get_section(s["st_shndx"])
                at = s["st_value"] - sec["sh_addr"]
                code = sec.data()[at:at + s["st_size"]]
                out[s.name] = (s["st_size"], at, [i.mnemonic for i in md.disasm(code, s["st_value"])])
    assert sorted(out) == sorted(names), path
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("relaxplt")
    wrapper = tc.ld_wrapper_dir(d)
    (d / "lib.c").write_text(LIB)
    (d / "main.c").write_text(MAIN)
    subprocess.run([GCC, "-O2", "-fPIC", "-c", "lib.c"], cwd=d, check=True)
    subprocess.run([GCC, "-O2", "-c", "main.c"], cwd=d, check=True)
    for who, use in (("gnu", []), ("xld", ["-B", str(wrapper)])):
        w = d / who
        w.mkdir()
        for cmd in (["-shared", "../lib.o", "-o", "lib.so"],
                    ["-pie", "../main.o", "-o", "main", "-L.", "-l:lib.so"]):
            p = subprocess.run([GCC, *use, *cmd], cwd=w, capture_output=True, text=True)
            assert p.returncode == 0, p.stderr
    assert (wrapper / "called").exists()
    return d


@pytest.mark.parametrize("out", ["lib.so", "main"])
def test_calls_through_the_plt_relax_as_gnu_ld(built, out):
    gnu = _funcs(built / "gnu" / out, OURS[out])
    xld = _funcs(built / "xld" / out, OURS[out])
    # (GCC puts main in .text.startup, which GNU ld's script places first in .text and xld
    # among the rest: offsets are compared from the first function of main.o's .text)
    for got in (gnu, xld):
        base = min(at for name, (_, at, _) in got.items() if name != "main")
        for name, (size, at, ms) in got.items():
            got[name] = (size, None if name == "main" else at - base, ms)
    assert xld == gnu
    # (the point of the test: no call pair is left; GNU ld's jal and tail forms are there)
    every = [m for _, _, ms in xld.values() for m in ms]
    assert "jalr" not in every and "jal" in every


def test_relaxed_plt_calls_run_like_gnu_ld(built):
    want = None
    for exe, lib in (("gnu", "gnu"), ("xld", "xld"), ("gnu", "xld"), ("xld", "gnu")):
        r = _run(built, exe, lib)
        assert r.returncode == 0, r.stderr
        want = want or r.stdout
        assert r.stdout == want and b"result" in want


def _run(d: Path, exe: str, lib: str):
    return subprocess.run([tc.QEMU[ARCH], "-L", f"/usr/{tc.TRIPLE[ARCH]}", "-E",
                           f"LD_LIBRARY_PATH={d / lib}", str(d / exe / "main")],
                          capture_output=True, timeout=60)


IFUNC = r"""
#include <stdio.h>
static int impl(int x) { return x + 1; }
static void *resolve(void) { return (void *)impl; }
int fancy(int) __attribute__((ifunc("resolve")));
__attribute__((noinline)) int callit(int x) { return fancy(x) * 2; }
int main(void) { printf("%d\n", callit(3)); return 0; }
"""


@pytest.mark.parametrize("kind", ["-pie", "-static"])
def test_calls_to_an_ifunc_are_left_alone_as_gnu_ld(tmp_path, kind):
    """GNU ld relaxes no site naming an IFUNC (its stub), in any output kind: neither does
    xld (hook "relax_ifuncs")."""
    wrapper = tc.ld_wrapper_dir(tmp_path)
    (tmp_path / "ifn.c").write_text(IFUNC)
    subprocess.run([GCC, "-O2", "-c", "ifn.c"], cwd=tmp_path, check=True)
    got = {}
    for who, use in (("gnu", []), ("xld", ["-B", str(wrapper)])):
        subprocess.run([GCC, *use, kind, "ifn.o", "-o", who], cwd=tmp_path, check=True)
        size, _, ms = _funcs(tmp_path / who, ("callit",))["callit"]
        got[who] = (size, ms)      # (its place: main sits elsewhere in xld's .text)
        r = subprocess.run([tc.QEMU[ARCH], "-L", f"/usr/{tc.TRIPLE[ARCH]}", str(tmp_path / who)],
                           capture_output=True, timeout=60)
        assert (r.returncode, r.stdout) == (0, b"8\n")
    assert got["xld"] == got["gnu"]
    assert "jalr" in got["xld"][1]
