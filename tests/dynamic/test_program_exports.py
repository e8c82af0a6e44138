"""Which of a program's definitions its .dynsym lists for the shared objects it links, when
those refer to or define the same names under versions (docs/dynamic.md, "What a program
exports"): the program linked by GNU ld (the oracle) and by xld from the same gcc or clang
objects, against the same libraries; .dynsym must be GNU ld's, and both programs must print
the same under qemu-user (and xld's under ``xld run``): which copy of each name a library
reaches at run time shows there."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc

pytestmark = tc.cross_and_qemu()

# liba: hook@@VA_1 (called inside liba too), old only as the hidden old@VA_1, plain without a
# version.  libb (linked against liba): hook@VA_1, old@VA_1 (by .symver), ref and the weak
# wref without one.  The program defines all of them and cb (a dynamic list names it).
SOURCES = {
    "a.c": r"""
int hook(int x) { return x * 3; }
int a_call(int x) { return hook(x) + 1; }
int old_impl(int x) { return x * 5; }
__asm__(".symver old_impl, old@VA_1");
int plain(int x) { return x + 7; }
""",
    "a.map": "VA_1 { global: hook; a_call; };\n",     # (plain: global, no version)
    "b.c": r"""
int hook(int);
int old(int);
__asm__(".symver old, old@VA_1");
int ref(int);
__attribute__((weak)) int wref(int);
int b_call(int x) { return hook(x) * 1000 + old(x) * 100 + ref(x) * 10 + (wref ? wref(x) : 0); }
""",
    "main.c": r"""
#include <stdio.h>
int hook(int x) { return x - 1; }
int old(int x) { return x - 2; }
int plain(int x) { return x - 3; }
int ref(int x) { return x - 4; }
int wref(int x) { return x - 5; }
int cb(int x) { return x; }
int a_call(int);
int b_call(int);
int main(void) { printf("a_call %d b_call %d\n", a_call(2), b_call(6)); return 0; }
""",
    "cb.list": "{ cb; };\n",
    "named.map": "PROG_1.0 { global: hook; old; plain; ref; wref; cb; };\n",
    "anonymous.map": "{ global: hook; old; plain; ref; wref; cb; };\n",
}

# What GNU ld exports of hook, old, plain, ref, wref (cb: named by the dynamic list, always),
# and what the program prints: a_call 2 when liba's own call reaches the program's hook (else
# 7), b_call's thousands 5 when libb's hook@VA_1 does (else 18), its hundreds 4 when libb's
# old@VA_1 reaches the program's old (else 30).  GNU ld's rule: a reference or a definition
# without a version exports ours; liba's default version hook@@VA_1 does too unless our object
# came first and the version script puts hook in another node (PROG_1.0, or the anonymous
# one); libb's old@VA_1 asks for a version only liba's hidden old has, and exports nothing.
# xld exported old in every case (an unversioned old, which ld.so binds libb's old@VA_1 to:
# b_call 5421) and hook in the PROG_1.0 and anonymous ones (a_call 2 with the anonymous node).
WANT = {
    ("none", "objects"): ({"hook", "plain", "ref", "wref"}, "a_call 2 b_call 8021"),
    ("none", "libraries"): ({"hook", "plain", "ref", "wref"}, "a_call 2 b_call 8021"),
    ("named", "objects"): ({"plain", "ref", "wref"}, "a_call 7 b_call 21021"),
    ("named", "libraries"): ({"hook", "plain", "ref", "wref"}, "a_call 7 b_call 21021"),
    ("anonymous", "objects"): ({"plain", "ref", "wref"}, "a_call 7 b_call 21021"),
    ("anonymous", "libraries"): ({"hook", "plain", "ref", "wref"}, "a_call 2 b_call 8021"),
}


def _exports(arch: str, exe: Path) -> set[tuple[str, str]]:
    """(name@version, section) of each definition in .dynsym; GNU ld's absolute symbol for
    each version node it defines, and riscv64's main (docs/dynamic.md), left out."""
    out = subprocess.run([f"{tc.TRIPLE[arch]}-readelf", "--dyn-syms", "-W", str(exe)], capture_output=True,
                         text=True, check=True).stdout
    return {f[7] for f in (line.split() for line in out.splitlines())
            if len(f) >= 8 and f[4] in ("GLOBAL", "WEAK") and f[6] not in ("UND", "ABS") and f[7] != "main"}


@pytest.mark.parametrize("script", ["none", "named", "anonymous"])
@pytest.mark.parametrize("cc", ["gcc", "clang"])
@pytest.mark.parametrize("arch", tc.ARCHES)
def test_program_exports_follow_the_versions_libraries_use(tmp_path, arch, cc, script):
    wrapper = tc.ld_wrapper_dir(tmp_path)
    gcc = f"{tc.TRIPLE[arch]}-gcc"
    comp = [gcc] if cc == "gcc" else [tc.require("clang-14"), f"--target={tc.TRIPLE[arch]}"]
    for name, text in SOURCES.items():
        (tmp_path / name).write_text(text)

    def run(*cmd):
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
        assert p.returncode == 0, f"{' '.join(cmd)}\n{p.stderr}"
    # (liba by gcc: clang binds a_call's call to its own hook, whatever the program exports)
    run(gcc, "-O2", "-fPIC", "-c", "a.c")
    run(*comp, "-O2", "-fPIC", "-c", "b.c")
    run(*comp, "-O2", "-c", "main.c")
    run(gcc, "-shared", "-Wl,--version-script=a.map", "a.o", "-o", "liba.so")
    run(gcc, "-shared", "b.o", "-L.", "-la", "-o", "libb.so")
    flags = ["-Wl,--dynamic-list=cb.list", *([f"-Wl,--version-script={script}.map"] if script != "none" else [])]
    libs = ["-L.", "-Wl,--no-as-needed", "-lb", "-la", "-Wl,-rpath,$ORIGIN"]
    for order in ("objects", "libraries"):
        inputs = ["main.o", *libs] if order == "objects" else [*libs, "main.o"]
        names, printed = WANT[script, order]
        got = {}
        for who, use in (("gnu", []), ("xld", ["-B", str(wrapper)])):
            exe = f"{who}-{order}"
            run(gcc, *use, *flags, *inputs, "-o", exe)
            got[who] = _exports(arch, tmp_path / exe)
            q = tc.qemu_run(arch, tmp_path / exe, sysroot=f"/usr/{tc.TRIPLE[arch]}")
            assert (q.status, q.stdout.decode()) == (0, printed + "\n"), (who, order, q.stderr)
        assert got["xld"] == got["gnu"], order
        ver = {"none": "", "named": "@@PROG_1.0", "anonymous": ""}[script]
        assert got["xld"] == {n + ver for n in (*names, "cb")}, order
        e = tc.xld_run(tmp_path / f"xld-{order}")
        assert (e.status, e.stdout.decode()) == (0, printed + "\n"), e.summary()
