"""Random sets of shared libraries and a program (``xld.tools.randdyn``): what runs when
libraries are loaded — dlopen/dlsym/dlclose (functions, data, TLS), TLS of every model, IFUNCs
in the program and in libraries, copy relocations, weak undefined names, constructors and
destructors with priorities, init/fini/preinit arrays, DT_INIT/DT_FINI, atexit, dependency
chains and their init order, interposition in DT_NEEDED order, -z now, -z nodelete.  Every
module is compiled once and linked by the compiler driver with GNU ld and with xld (``-B DIR``);
the program runs under qemu-user with (a) GNU ld's outputs, (b) xld's, (c) xld's program with
GNU ld's libraries and (d) the reverse, and (b) under ``xld run`` too: all must print the same
and exit alike.  A longer run: ``XLD_RANDDYN_SEEDS=50`` (with clang too from 4 seeds)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests import toolchain as tc
from tests.dynamic.util import run as _run
from xld.tools.randdyn import gen

SEEDS = range(1, 1 + int(os.environ.get("XLD_RANDDYN_SEEDS", "2")))
CCS = ("gcc", "clang") if len(SEEDS) > 3 else ("gcc",)
pytestmark = tc.cross_and_qemu()


@pytest.fixture(scope="module")
def wrapper(tmp_path_factory):
    return tc.ld_wrapper_dir(tmp_path_factory.mktemp("randdyn"))


def build(seed: int, arch: str, cc: str, wrapper: Path, root: Path) -> dict:
    """Compile seed's modules once into root/src, link them with GNU ld (root/gnu) and xld
    (root/xld), a library's needed libraries first; the plan."""
    src = root / "src"
    src.mkdir()
    plan = gen(seed, src)
    comp = [f"{tc.TRIPLE[arch]}-gcc"] if cc == "gcc" else ["clang-14", f"--target={tc.TRIPLE[arch]}"]
    for mod in plan["modules"].values():
        flags = [f for f in mod["cflags"] if arch == "arm64" or not f.startswith("-mtls-dialect")]
        _run([*comp, "-O2", *flags, "-c", *mod["sources"]], src)
    for who, use in (("gnu", []), ("xld", ["-B", str(wrapper)])):
        d = root / who
        shutil.copytree(src, d)
        for name in plan["order"]:
            mod = plan["modules"][name]
            _run([f"{tc.TRIPLE[arch]}-gcc", *use, *mod["link"], "-o", mod["out"]], d)
    return plan


def mixed(root: Path, plan: dict, prog: str, libs: str) -> Path:
    """A directory with ``prog``'s program and ``libs``'s libraries."""
    d = root / f"{prog}-with-{libs}"
    d.mkdir()
    for name in plan["order"]:
        out = plan["modules"][name]["out"]
        shutil.copy(root / (prog if name == "main" else libs) / out, d / out)
    return d


def qemu(arch: str, d: Path) -> tuple:
    p = tc.run_group([tc.QEMU[arch], "-L", f"/usr/{tc.TRIPLE[arch]}", "-E", f"LD_LIBRARY_PATH={d}", "./main"],
                     timeout=120, cwd=d)
    return p.returncode, p.stdout.decode()


def xld_run(d: Path) -> tuple:
    from xld.emu import run
    res = run(str(d / "main"), env=[f"LD_LIBRARY_PATH={d}"], cwd=str(d), timeout=300, argv0="./main")
    assert not res.crash, res.crash
    return res.returncode, res.stdout.decode()


def compare(seed: int, arch: str, cc: str, wrapper: Path, root: Path) -> dict:
    """Every run's (status, stdout), by name; GNU ld's first."""
    plan = build(seed, arch, cc, wrapper, root)
    runs = {"gnu": qemu(arch, root / "gnu"), "xld": qemu(arch, root / "xld")}
    for prog, libs in (("xld", "gnu"), ("gnu", "xld")):
        runs[f"{prog}-with-{libs}"] = qemu(arch, mixed(root, plan, prog, libs))
    runs["xld run"] = xld_run(root / "xld")
    return runs


@pytest.mark.parametrize("cc", CCS)
@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("seed", SEEDS)
def test_random_dynamic_loading_as_with_gnu_ld(seed, arch, cc, wrapper, tmp_path):
    if cc == "clang":
        tc.require("clang-14")
    runs = compare(seed, arch, cc, wrapper, tmp_path)
    gnu = runs["gnu"]
    assert "main start" in gnu[1] and "sum " in gnu[1], gnu
    for name, r in runs.items():
        assert r == gnu, f"{name}\n--- GNU ld ---\n{gnu[1]}\n--- {name} ---\n{r[1]}"
