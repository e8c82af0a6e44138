"""Random export surfaces (``xld.tools.randexport``): two shared libraries and a program with
random visibility attributes, version scripts (nodes, inheritance, globs, ``extern "C++"``,
``.symver``), -Bsymbolic[-functions], dynamic lists, --exclude-libs, --as-needed, --wrap,
--defsym, -E, rpath/runpath ``$ORIGIN``, linked by the compiler driver with GNU ld and with xld
(``-B DIR``) from the same objects.  Each output's ``.dynsym`` (name, version, binding, type,
visibility, size, defined or not), version definitions and needs, DT_NEEDED, DT_SONAME,
DT_RPATH/DT_RUNPATH and DT_FLAGS(_1) must equal GNU ld's, and the program must run alike under
qemu-user with its own libraries and with the other linker's (GNU ld's program with xld's
libraries and back: an ABI difference shows there), its libraries found through their sonames'
symlinks or copies, from a ``lib/`` its ``$ORIGIN/lib`` rpath names when the plan says so.  The
plan's failure links must fail with both linkers, each naming its symbol (xld: ``xld: error:``).
A longer run: ``XLD_RANDEXPORT_SEEDS=30``."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc
from tests.dynamic.util import run as _run
from xld.tools.randexport import gen

SEEDS = tc.seeds("XLD_RANDEXPORT_SEEDS", 3)
CCS = ("gcc", "clang") if len(SEEDS) > 3 else ("gcc",)
OUTPUTS = ("liba.so", "libb.so", "main")
pytestmark = tc.cross_and_qemu()


@pytest.fixture(scope="module")
def wrapper(tmp_path_factory):
    return tc.ld_wrapper_dir(tmp_path_factory.mktemp("randexport"))


def surface(arch: str, path: Path) -> dict:
    """What a dynamic output exports and needs, from readelf, without addresses."""
    out = subprocess.run([f"{tc.TRIPLE[arch]}-readelf", "-W", "--dyn-syms", "-V", "-d", str(path)],
                         capture_output=True, text=True, check=True).stdout
    syms, verdef, verneed, dyn = [], [], [], []
    part = ""
    for line in out.splitlines():
        if line.startswith("Symbol table '.dynsym'"):
            part = "sym"
        elif line.startswith("Version definition section"):
            part = "def"
        elif line.startswith("Version needs section"):
            part = "need"
        elif line.startswith("Dynamic section"):
            part = "dyn"
        elif line.startswith("Version symbols section"):
            part = ""
        w = line.split()
        if part == "sym" and len(w) >= 8 and w[0].endswith(":") and w[0][:-1].isdigit():
            _, _, size, typ, bind, vis, ndx, name = w[:8]
            if typ == "SECTION" or not name:
                continue
            where = ndx if ndx in ("UND", "ABS") else "DEF"
            # (sizes of data only: a riscv64 function's follows relaxation, which depends on
            # the layout: near the edge of gp's reach GNU ld's margins differ from xld's;
            # seed 4's PIE has a function 4 bytes shorter, one access xld relaxes to gp)
            syms.append((name, typ, bind, vis, where, int(size, 0) if where != "UND" and typ in ("OBJECT", "TLS") else 0))
        elif part == "def" and "Name:" in line:
            verdef.append(re.sub(r"Index: \d+ |Cnt: \d+ |^\s*0x\w+:\s*Rev: \d+\s*", "", line).strip())
        elif part == "def" and "Parent" in line:
            verdef.append(re.sub(r"^\s*0x\w+:\s*", "", line).strip())
        elif part == "need" and "File:" in line:
            verneed.append([w[w.index("File:") + 1]])
        elif part == "need" and "Name:" in line:
            verneed[-1].append(" ".join(w[w.index("Name:") + 1:w.index("Version:")]))
        elif part == "dyn" and re.search(r"\((NEEDED|SONAME|RPATH|RUNPATH|FLAGS|FLAGS_1|SYMBOLIC|BIND_NOW|TEXTREL)\)", line):
            dyn.append(" ".join(w[1:]))
    # (the order of verneed's files and of their versions is GNU ld's hash table's)
    return {"dynsym": sorted(syms), "verdef": verdef, "verneed": sorted((v[0], *sorted(v[1:])) for v in verneed), "dynamic": dyn}


def _known(arch, out: str, gnu: dict, xld: dict) -> None:
    """Drop docs/dynamic.md's known differences from GNU ld's surface: the absolute symbol
    GNU ld adds for each version node a library defines (``VA_1``, ``OBJECT ABS``), and in
    a riscv64 program the definitions its GOT holds."""
    nodes = {v.split("Name: ")[1].split()[0] for v in gnu["verdef"] if "Name: " in v}
    gnu["dynsym"] = [s for s in gnu["dynsym"] if not (s[0] in nodes and s[4] == "ABS" and s[1] == "OBJECT")]
    if out == "main":
        _exe_known(arch, gnu, xld)


def _exe_known(arch, gnu: dict, xld: dict) -> None:
    """docs/dynamic.md's known difference: GNU ld's riscv64 program also exports the
    definitions its GOT holds; only those are dropped from GNU ld's list."""
    if arch == "riscv64":
        mine = {s[0] for s in xld["dynsym"]}
        gnu["dynsym"] = [s for s in gnu["dynsym"] if s[4] == "UND" or s[0] in mine]


def build(seed: int, arch: str, cc: str, wrapper: Path, root: Path) -> dict:
    """Compile seed's sources once, link them with both linkers (root/gnu, root/xld); the plan."""
    src = root / "src"
    src.mkdir()
    plan = gen(seed, src)
    cxx = plan["cxx"]
    if cc == "gcc":
        comp = [f"{tc.TRIPLE[arch]}-{'g++' if cxx else 'gcc'}"]
    else:
        comp = ["clang++-14" if cxx else "clang-14", f"--target={tc.TRIPLE[arch]}"]
    for part, files in plan["sources"].items():
        _run([*comp, "-O2", *([] if part == "main" else ["-fPIC"]), "-c", *files], src)
    tc.archive(arch, [src / "z0.o", src / "z1.o"], src / "libz.a")
    for who, use in (("gnu", []), ("xld", ["-B", str(wrapper)])):
        d = root / who
        shutil.copytree(src, d)
        driver = [f"{tc.TRIPLE[arch]}-{'g++' if cxx else 'gcc'}", *use]
        for out in OUTPUTS:
            _run([*driver, *plan[out.split(".")[0]], "-o", out], d)
        fails = [_fail(driver, step, d) for step in plan["fails"]]
        assert all(ok for ok, _ in fails), (who, fails)
        if who == "xld":        # (lld's words)
            assert all("xld: error: " in msg for (_, msg), step in zip(fails, plan["fails"]) if step["symbol"]), fails
        place(plan, d)
    return plan


def _fail(driver: list, step: dict, d: Path) -> tuple[bool, str]:
    """Link one of the plan's failure steps: whether it failed naming its symbol, and left no
    output (or succeeded, a step without a symbol), and its messages."""
    p = subprocess.run([*driver, *step["args"], "-o", step["out"]], capture_output=True, text=True, cwd=d)
    if step["symbol"] is None:
        return p.returncode == 0, p.stderr
    return p.returncode != 0 and step["symbol"] in p.stderr and not (d / step["out"]).exists(), p.stderr


def place(plan: dict, d: Path) -> None:
    """Move d's libraries into d/libdir if the plan says so, and give each soname its file (a
    symlink or a copy) beside its library."""
    lib = d / plan["libdir"]
    lib.mkdir(exist_ok=True)
    for name in OUTPUTS[:2]:
        if lib != d:
            shutil.move(d / name, lib / name)
    for name, file, how in plan["aliases"]:
        if how == "symlink":
            (lib / name).symlink_to(file)
        else:
            shutil.copy(lib / file, lib / name)


def run(arch: str, d: Path, plan: dict) -> tuple:
    env = [] if plan["libdir"] else ["-E", f"LD_LIBRARY_PATH={d}"]     # (else found through $ORIGIN/lib)
    p = tc.run_group([tc.QEMU[arch], "-L", f"/usr/{tc.TRIPLE[arch]}", *env, "./main"], timeout=60, cwd=d)
    return p.returncode, p.stdout.decode(), p.stderr.decode()[-500:]


@pytest.mark.parametrize("cc", CCS)
@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("seed", SEEDS)
def test_random_exports_as_gnu_ld(seed, arch, cc, wrapper, tmp_path):
    if cc == "clang":
        tc.require("clang-14")
    plan = build(seed, arch, cc, wrapper, tmp_path)
    for out in OUTPUTS:
        at = f"{plan['libdir']}/{out}" if out != "main" and plan["libdir"] else out
        gnu, xld = (surface(arch, tmp_path / who / at) for who in ("gnu", "xld"))
        _known(arch, out, gnu, xld)
        assert xld == gnu, out
    # (a program's named nodes: .gnu.version_d's first entry is its name, then its nodes)
    names = [v.split("Name: ")[1].split()[0] for v in surface(arch, tmp_path / "xld" / "main")["verdef"] if "Name: " in v]
    assert names == (["main", *plan["nodes"]] if plan["nodes"] else []), names
    runs = {who: run(arch, tmp_path / who, plan) for who in ("gnu", "xld")}
    assert runs["xld"] == runs["gnu"]
    assert "trace" in runs["gnu"][1], runs["gnu"]
    for prog, libs in (("gnu", "xld"), ("xld", "gnu")):          # each program with the other's libraries
        d = tmp_path / f"{prog}-with-{libs}"
        d.mkdir()
        shutil.copy(tmp_path / prog / "main", d)
        (d / plan["libdir"]).mkdir(exist_ok=True)
        for lib in [*OUTPUTS[:2], *(a[0] for a in plan["aliases"])]:
            shutil.copy(tmp_path / libs / plan["libdir"] / lib, d / plan["libdir"], follow_symlinks=False)
        assert run(arch, d, plan) == runs["gnu"], d.name
