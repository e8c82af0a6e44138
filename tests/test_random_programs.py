"""Random programs (``xld.tools.randprog``) built by the compiler driver with GNU ld and with
xld (``-B DIR``), compiled by gcc and clang, as PIE, static, against a shared library of
their other files, a static archive of them, one partial (-r) object of them made by the same
linker, with --gc-sections, as a static PIE, with -z now and only SysV hash tables, and against
a -Bsymbolic library with both hash tables: both run under qemu-user and must print the same
trace and exit alike (the static ones under ``xld run`` too), and the last three's outputs
have GNU ld's ELF type, interpreter, hash tables and DT_FLAGS(_1).  A longer run: ``XLD_RANDPROG_SEEDS=40``."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc
from xld.tools.randprog import gen

SEEDS = tc.seeds("XLD_RANDPROG_SEEDS", 1)
MODES = {                    # compiler flags, link flags, how main.o gets the other files
    "pie": (["-O2", "-fcommon"], [], "objects"),
    "static": (["-O1", "-fcommon"], ["-static"], "objects"),
    "shared": (["-O2", "-fPIC", "-fcommon"], [], "library"),
    "archive": (["-O2", "-fcommon"], ["-static"], "archive"),          # members pulled in turn
    "partial": (["-O2", "-fcommon"], [], "partial"),                    # one -r object of them
    "gc": (["-O2", "-fcommon", "-ffunction-sections", "-fdata-sections"], ["-Wl,--gc-sections"], "objects"),
    "static-pie": (["-O2", "-fPIE", "-fcommon"], ["-static-pie"], "objects"),
    "now-sysv": (["-O2", "-fPIC", "-fcommon"], ["-Wl,-z,now", "-Wl,--hash-style=sysv"], "library"),
    "symbolic": (["-O2", "-fPIC", "-fcommon"], ["-Wl,--hash-style=both"], "symbolic"),   # library -Bsymbolic
}

NEW_MODES = ("static-pie", "now-sysv", "symbolic")
pytestmark = tc.cross_and_qemu()


@pytest.fixture(scope="module")
def wrapper(tmp_path_factory):
    return tc.ld_wrapper_dir(tmp_path_factory.mktemp("randprog"))


def _shape(arch, path):
    """What the new modes' options decide: ELF type, an interpreter, the hash tables, DT_FLAGS(_1)."""
    out = subprocess.run([f"{tc.TRIPLE[arch]}-readelf", "-hlSdW", str(path)], capture_output=True, text=True).stdout
    words = re.findall(r"Type:\s+(\w+)|(\.(?:gnu\.)?hash)\s|(INTERP)\s|\((FLAGS(?:_1)?|SYMBOLIC|BIND_NOW)\)\s+(.*)", out)
    return sorted({" ".join(w for w in ws if w) for ws in words})


def _run(cmd, cwd):
    p = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True)
    assert p.returncode == 0, f"{' '.join(map(str, cmd))}\n{p.stderr[-3000:]}"


def _links(arch, mode) -> bool:
    """Whether the platform's gcc links the mode at all (Debian's riscv64 glibc has no
    rcrt1.o: no -static-pie there, with GNU ld either)."""
    return "-static-pie" not in MODES[mode][1] or Path(f"/usr/{tc.TRIPLE[arch]}/lib/rcrt1.o").exists()


# (one seed, the CI run: the newer modes with gcc only; more seeds: every pair)
CASES = [(arch, cc, m) for arch in tc.ARCHES for m in sorted(MODES) for cc in ("gcc", "clang")
         if (cc == "gcc" or m not in NEW_MODES or len(SEEDS) > 1) and _links(arch, m)]


@pytest.mark.parametrize("arch,cc,mode", CASES)
@pytest.mark.parametrize("seed", SEEDS)
def test_random_program_runs_as_with_gnu_ld(seed, arch, cc, mode, wrapper, tmp_path):
    if cc == "clang":
        tc.require("clang-14")                 # (a skip outside CI, a failure in it)
    cflags, lflags, others = MODES[mode]
    files = gen(seed, tmp_path)
    comp = [f"{tc.TRIPLE[arch]}-gcc"] if cc == "gcc" else ["clang-14", f"--target={tc.TRIPLE[arch]}"]
    _run([*comp, *cflags, "-c", *files], tmp_path)
    objs = [f[:-2] + ".o" for f in files]
    runs, shapes = {}, {}
    for who, use in (("gnu", []), ("xld", ["-B", str(wrapper)])):
        driver = [f"{tc.TRIPLE[arch]}-gcc", *use]
        rest = objs[1:]
        if others in ("library", "symbolic"):
            libflags = ["-Wl,-Bsymbolic"] if others == "symbolic" else lflags
            _run([*driver, "-shared", *libflags, "-o", f"libu_{who}.so", *rest], tmp_path)
            rest = [f"libu_{who}.so", "-Wl,-rpath,$ORIGIN"]
        elif others == "archive":
            rest = [tc.archive(arch, [tmp_path / o for o in rest], tmp_path / f"libu_{who}.a")]
        elif others == "partial":
            _run([*driver, "-r", "-o", f"u_{who}.o", *rest], tmp_path)
            rest = [f"u_{who}.o"]
        _run([*driver, *lflags, "-o", f"p_{who}", "main.o", *rest], tmp_path)
        p = tc.run_group([tc.QEMU[arch], "-L", f"/usr/{tc.TRIPLE[arch]}", f"./p_{who}"], timeout=60, cwd=tmp_path)
        runs[who] = (p.returncode, p.stdout.decode())
        if mode in NEW_MODES:
            shapes[who] = [_shape(arch, tmp_path / f) for f in (f"p_{who}", f"libu_{who}.so") if (tmp_path / f).exists()]
    assert shapes.get("xld") == shapes.get("gnu")
    assert runs["xld"] == runs["gnu"], f"GNU ld: {runs['gnu']}\nxld: {runs['xld']}"
    assert "u0 " in runs["gnu"][1]
    if "-static" in lflags or "-static-pie" in lflags:
        e = tc.xld_run(tmp_path / "p_xld")
        assert (e.status, e.stdout.decode()) == runs["gnu"], e.summary()
