"""Random C++ programs (``xld.tools.randprogxx``: virtual classes across files, templates and
inline static locals in COMDAT groups and STB_GNU_UNIQUE objects, exceptions thrown across
files, static and thread_local objects with destructors, std::string/std::vector) compiled by
g++ and clang++, linked by the g++ driver with GNU ld and with xld (``-B DIR``) as PIE, static,
and against a shared library of their other files (clang++ only as PIE in the one-seed run):
both run under qemu-user and must print
the same trace and exit alike (the static ones under ``xld run`` too).  A longer run:
``XLD_RANDPROG_SEEDS=20``."""
from __future__ import annotations

import subprocess

import pytest

from tests import toolchain as tc
from xld.tools.randprogxx import gen

SEEDS = tc.seeds("XLD_RANDPROG_SEEDS", 1)
MODES = {                    # compiler flags, link flags, whether the other files are a library
    "pie": (["-O2"], [], False),
    "static": (["-O1"], ["-static"], False),
    "shared": (["-O2", "-fPIC"], [], True),
}

pytestmark = tc.cross_and_qemu()


@pytest.fixture(scope="module")
def wrapper(tmp_path_factory):
    return tc.ld_wrapper_dir(tmp_path_factory.mktemp("randprogxx"))


def _run(cmd, cwd):
    p = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True)
    assert p.returncode == 0, f"{' '.join(map(str, cmd))}\n{p.stderr[-3000:]}"


# (one seed, the CI run: clang++ in PIE only; more seeds: every pair)
CC_MODES = [(cc, m) for m in sorted(MODES) for cc in ("g++", "clang++") if cc == "g++" or m == "pie" or len(SEEDS) > 1]


@pytest.mark.parametrize("cc,mode", CC_MODES)
@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("seed", SEEDS)
def test_random_cxx_program_runs_as_with_gnu_ld(seed, arch, cc, mode, wrapper, tmp_path):
    if cc == "clang++":
        tc.require("clang++-14")               # (a skip outside CI, a failure in it)
    files = gen(seed, tmp_path)
    cflags, lflags, library = MODES[mode]
    comp = [f"{tc.TRIPLE[arch]}-g++"] if cc == "g++" else ["clang++-14", f"--target={tc.TRIPLE[arch]}"]
    _run([*comp, *cflags, "-c", *files], tmp_path)
    objs = [f[:-3] + ".o" for f in files]
    runs = {}
    for who, use in (("gnu", []), ("xld", ["-B", str(wrapper)])):
        driver = [f"{tc.TRIPLE[arch]}-g++", *use]
        rest = objs[1:]
        if library:
            _run([*driver, "-shared", "-o", f"libu_{who}.so", *rest], tmp_path)
            rest = [f"libu_{who}.so", "-Wl,-rpath,$ORIGIN"]
        _run([*driver, *lflags, "-o", f"p_{who}", "main.o", *rest], tmp_path)
        p = tc.run_group([tc.QEMU[arch], "-L", f"/usr/{tc.TRIPLE[arch]}", f"./p_{who}"], timeout=60, cwd=tmp_path)
        runs[who] = (p.returncode, p.stdout.decode())
    assert runs["xld"] == runs["gnu"], f"GNU ld: {runs['gnu']}\nxld: {runs['xld']}"
    assert "drop tls 100" in runs["gnu"][1] and "u0 " in runs["gnu"][1]
    if "-static" in lflags:
        e = tc.xld_run(tmp_path / "p_xld")
        assert (e.status, e.stdout.decode()) == runs["gnu"], e.summary()
