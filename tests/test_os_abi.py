"""EI_OSABI of the output, as GNU ld sets it: ELFOSABI_GNU when an input object defines an
IFUNC (static glibc does) or an STB_GNU_UNIQUE symbol (g++'s inline function statics), or, in
``-r`` output, a section is SHF_GNU_RETAIN; else ELFOSABI_NONE.  readelf and objdump show
those values as IFUNC, UNIQUE and R only under ELFOSABI_GNU ("<OS specific>: 10" otherwise).
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc

SOURCES = {
    "s.c": '#include <string.h>\n#include <stdio.h>\n'
           'int main(int c, char **v) { printf("%zu\\n", strlen(v[0])); return 0; }\n',
    "r.c": "__attribute__((retain, used)) static int keepme(void) { return 1; }\nint main(void) { return 0; }\n",
    "i.c": "static int sel(void) { return 42; }\nstatic int (*resolve_f(void))(void) { return sel; }\n"
           'int f(void) __attribute__((ifunc("resolve_f")));\n',
    "im.c": "int f(void);\nint main(void) { return f(); }\n",
    "u.cc": "inline int &counter() { static int c = 0; return c; }\nint main() { return ++counter(); }\n",
}
# output: (driver, arguments)
OUTPUTS = {
    "dynamic": ("gcc", ["s.o"]), "static": ("gcc", ["-static", "s.o"]), "retain": ("gcc", ["r.o"]),
    "retain.r": ("gcc", ["-r", "-nostdlib", "r.o"]), "ifunc.so": ("gcc", ["-shared", "i.o"]),
    "ifunc.r": ("gcc", ["-r", "-nostdlib", "i.o"]), "unique": ("g++", ["u.o"]),
    "unique.r": ("g++", ["-r", "-nostdlib", "u.o"]), "uses-ifunc-of-a-library": ("gcc", ["im.o", "-L.", "-li"]),
}


def _os_abi(path: Path) -> int:
    return path.read_bytes()[7]


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_os_abi_as_gnu_ld_sets_it(arch, tmp_path):
    triple = tc.TRIPLE[arch]
    tc.require(f"{triple}-g++")
    for name, text in SOURCES.items():
        (tmp_path / name).write_text(text)

    def run(cmd):
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
        assert p.returncode == 0, f"{' '.join(cmd)}\n{p.stderr}"
    run([f"{triple}-gcc", "-O1", "-fPIC", "-c", *SOURCES])          # (.cc as C++)
    wrapper = str(tc.ld_wrapper_dir(tmp_path))
    got = {}
    for who, extra in (("gnu", []), ("xld", ["-B", wrapper])):
        run([f"{triple}-gcc", *extra, "-shared", "i.o", "-o", "libi.so"])      # (for the last output)
        for out, (driver, args) in OUTPUTS.items():
            run([f"{triple}-{driver}", *extra, *args, "-o", f"{who}-{out}"])
            got[who, out] = _os_abi(tmp_path / f"{who}-{out}")
    for out in OUTPUTS:
        assert got["xld", out] == got["gnu", out], out
    assert got["xld", "unique"] == got["xld", "unique.r"] == got["xld", "retain.r"] == 3   # ELFOSABI_GNU
    if arch == "arm64":                 # (riscv64's static glibc has no IFUNC)
        assert got["xld", "static"] == 3
    assert got["xld", "dynamic"] == got["xld", "retain"] == 0
