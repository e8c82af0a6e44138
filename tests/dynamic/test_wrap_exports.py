"""What a program exports for its libraries when the name is wrapped (--wrap) or defined by
the linker (--defsym), against GNU ld on the same gcc objects and libraries
(docs/dynamic.md, "Wrapped and linker-defined exports"): .dynsym must be GNU ld's, and both
programs print the same under qemu-user (xld's also under ``xld run``)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc

pytestmark = tc.cross_and_qemu()

SOURCES = {
    "a.c": "int foo(int x) { return x + 1; }\n",
    "a.map": "VA { global: foo; };\n",
    # a weak reference to foo, versioned foo@VA (liba is DT_NEEDED: --no-as-needed)
    "bw.c": "extern int foo(int) __attribute__((weak));\n"
            "int b_call(int x) { return foo ? foo(x) : -1; }\n",
    # a library that refers to plainref, which nothing of the program uses (--as-needed)
    "q.c": "extern int plainref(int);\nint q(int x) { return plainref(x); }\n",
    "main.c": "#include <stdio.h>\nint __wrap_foo(int x) { return x + 100; }\n"
              "int myfoo(int x) { return x + 1000; }\nint b_call(int);\n"
              "int main(void) { printf(\"%d %d\\n\", b_call(1), myfoo(1)); return 0; }\n",
}


def _exports(arch: str, exe: Path) -> set[str]:
    out = subprocess.run([f"{tc.TRIPLE[arch]}-readelf", "--dyn-syms", "-W", str(exe)], capture_output=True,
                         text=True, check=True).stdout
    return {f[7] for f in (line.split() for line in out.splitlines())
            if len(f) >= 8 and f[4] in ("GLOBAL", "WEAK") and f[6] not in ("UND", "ABS") and f[7] != "main"}


@pytest.mark.parametrize("case", ["wrap-weak-versioned", "defsym-as-needed-unused"])
@pytest.mark.parametrize("arch", tc.ARCHES)
def test_wrapped_and_linker_defined_exports_are_gnu_lds(tmp_path, arch, case):
    """--wrap=foo where libbw.so's only reference is a weak foo@VA: GNU ld enters it as
    foo@VA, which it does not wrap, and exports no __wrap_foo (xld counted a weak versioned
    reference as unversioned: versioned_undefs holds the strong ones).  --defsym
    plainref=myfoo with --as-needed libq.so, which refers to plainref but nothing of the
    program needs: GNU ld takes libq's symbols back and exports no plainref (xld's rule for
    the linker's names asked every library on the command line)."""
    gcc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    for name, text in SOURCES.items():
        (tmp_path / name).write_text(text)

    def run(*cmd):
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
        assert p.returncode == 0, f"{' '.join(cmd)}\n{p.stderr}"
    for lib in ("a", "bw", "q"):
        run(gcc, "-O1", "-fPIC", "-c", f"{lib}.c")
    run(gcc, "-O1", "-c", "main.c")
    run(gcc, "-shared", "-Wl,--version-script=a.map", "a.o", "-o", "liba.so")
    run(gcc, "-shared", "bw.o", "-L.", "-Wl,--no-as-needed", "-la", "-o", "libbw.so")
    run(gcc, "-shared", "q.o", "-o", "libq.so")
    flags = {"wrap-weak-versioned": ["-Wl,--wrap=foo"],
             "defsym-as-needed-unused": ["-Wl,--defsym=plainref=myfoo", "-Wl,--as-needed", "-lq", "-Wl,--no-as-needed"]}[case]
    got = {}
    for who, use in (("gnu", []), ("xld", ["-B", str(tc.ld_wrapper_dir(tmp_path))])):
        run(gcc, *use, "main.o", "-L.", *flags, "-Wl,--no-as-needed", "-lbw", "-la", "-Wl,-rpath,$ORIGIN", "-o", who)
        got[who] = _exports(arch, tmp_path / who)
        q = tc.qemu_run(arch, tmp_path / who, sysroot=f"/usr/{tc.TRIPLE[arch]}")
        assert (q.status, q.stdout) == (0, b"2 1001\n"), (who, q.summary())
    assert not got["gnu"] & {"__wrap_foo", "plainref"}, got
    assert got["xld"] == got["gnu"]
    e = tc.xld_run(tmp_path / "xld")
    assert (e.status, e.stdout) == (0, b"2 1001\n"), e.summary()
