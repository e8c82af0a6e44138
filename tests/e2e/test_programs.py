"""End to end: real compilers, GNU ld as the oracle, xld, and two runners.

Every program under ``progs/`` (plus ``progs/common``: ``_start``, raw system calls, output)
is compiled at test time by the Debian cross GCC and by zig cc, for both architectures and in
several code-generation modes. Each build is linked twice — by GNU ld (``-static``) and by
xld — and each executable runs under qemu-user and under ``xld run``. The program prints what
it computes and exits with a status derived from it; what xld's executable does must match
what GNU ld's executable does, under either runner.

Test ids read ``<program>-<arch>-<compiler>-<mode>``; the two tests per build say which runner
saw the difference (``under_qemu`` isolates the linker from the emulator).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests import toolchain as tc

PROGS = Path(__file__).parent / "progs"
PROGRAMS = sorted(p.name for p in PROGS.iterdir() if p.is_dir() and p.name != "common")
ARGS = ["alpha", "beta"]

# mode -> compiler flags (every mode picks its optimisation level explicitly)
MODES: dict[str, list[str]] = {
    "O0": ["-O0"],
    "O2": ["-O2"],
    "Os": ["-Os"],
    "pic": ["-O2", "-fPIC"],
    "pie": ["-O1", "-fPIE"],
    "nopie": ["-O2", "-fno-pie"],
    "sections": ["-O2", "-ffunction-sections", "-fdata-sections"],
    # arm64: absolute addresses built with MOVZ/MOVK (R_AARCH64_MOVW_UABS_G0..G3)
    "large": ["-O2", "-fno-pie", "-mcmodel=large"],
    # riscv64: PC-relative (medany) and absolute LUI-based (medlow) addressing
    "medany": ["-O2", "-mcmodel=medany"],
    "medlow": ["-O2", "-fno-pie", "-mcmodel=medlow"],
    # tentative definitions become COMMON symbols
    "common": ["-O2", "-fcommon"],
    # link-side variants (see LINK): an archive, and garbage collection of sections
    "archive": ["-O2"],
    "gc": ["-O2", "-ffunction-sections", "-fdata-sections"],
}
# modes linked differently from `ld -static -o out *.o`
LINK = {
    # _start and the program's main.o on the command line, every other object in an ar
    # archive, so members are pulled in only when they define a symbol still undefined
    "archive": "archive",
    "gc": ["--gc-sections"],
}
# The matrix: GCC gets every mode; zig cc (clang) the ones where its code generation differs
# most; both keep the suite to a few minutes on two cores.
MATRIX = {
    ("gcc", "arm64"): ["O0", "O2", "Os", "pic", "pie", "sections", "large", "common",
                       "archive", "gc"],
    ("gcc", "riscv64"): ["O0", "O2", "Os", "pic", "sections", "medany", "medlow", "common",
                         "archive", "gc"],
    ("zig", "arm64"): ["O0", "Os", "pic", "sections", "gc"],
    ("zig", "riscv64"): ["O0", "Os", "pic", "medlow", "gc"],
}


def builds():
    for prog in PROGRAMS:
        for (cc, arch), modes in MATRIX.items():
            for mode in modes:
                yield pytest.param(prog, arch, cc, mode, id=f"{prog}-{arch}-{cc}-{mode}")


class Build:
    """One program compiled one way, linked by both linkers, with cached runs."""

    def __init__(self, prog, arch, cc, mode, root: Path):
        self.prog, self.arch, self.cc, self.mode = prog, arch, cc, mode
        self.dir = root / f"{prog}-{arch}-{cc}-{mode}"
        self.objs = None
        self.gnu = self.xld = None
        self.link_error = None
        self.runs = {}

    def prepare(self):
        if self.objs is not None:
            return
        compiler = tc.compiler(self.cc, self.arch)
        sources = sorted((PROGS / "common").glob("*.c")) + sorted((PROGS / self.prog).glob("*.c"))
        self.objs = compiler.compile_many(sources, self.dir / "obj", MODES[self.mode])
        self.inputs, extra = self.objs, []
        link = LINK.get(self.mode)
        if link == "archive":
            direct = [o for o in self.objs if o.stem in ("common_start", f"{self.prog}_main")]
            lib = tc.archive(self.arch, [o for o in self.objs if o not in direct],
                             self.dir / "obj" / "libprog.a")
            self.inputs = [*direct, lib]
        elif link:
            extra = list(link)
        self.link_flags = extra
        self.gnu = tc.gnu_ld(self.arch, self.inputs, self.dir / "gnu.exe", extra)
        out = self.dir / "xld.exe"
        res = tc.xld_link(["--arch", self.arch, "-static", *extra, "-o", out, *self.inputs])
        if res.status != 0 or not out.exists():
            self.link_error = f"xld failed (status {res.status}):\n{res.stderr}"
        else:
            self.xld = out

    def run(self, which: str, runner: str) -> tc.RunResult:
        key = (which, runner)
        if key not in self.runs:
            exe = self.gnu if which == "gnu" else self.xld
            if runner == "qemu":
                self.runs[key] = tc.qemu_run(self.arch, exe, ARGS)
            else:
                self.runs[key] = tc.xld_run(exe, ARGS)
        return self.runs[key]

    def reproduce(self) -> str:
        objs = " ".join([*self.link_flags, *(o.name for o in self.inputs)])
        return (f"in {self.dir / 'obj'}:\n  {tc.TRIPLE[self.arch]}-ld -static -o gnu.exe {objs}\n"
                f"  xld --arch {self.arch} -static -o xld.exe {objs}")


@pytest.fixture(scope="session")
def build_cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    cache = {}

    def get(prog, arch, cc, mode) -> Build:
        key = (prog, arch, cc, mode)
        if key not in cache:
            cache[key] = Build(prog, arch, cc, mode, root)
        b = cache[key]
        b.prepare()
        return b
    return get


def _oracle(b: Build) -> tc.RunResult:
    ref = b.run("gnu", "qemu")
    assert b"FAIL" not in ref.stdout, (
        f"the program's own checks fail even when linked by GNU ld:\n{ref.summary()}")
    assert ref.stdout, "the GNU ld build printed nothing under qemu"
    return ref


@pytest.mark.parametrize("prog,arch,cc,mode", builds())
def test_xld_output_matches_gnu_ld_under_qemu(build_cache, prog, arch, cc, mode):
    """The linker alone: xld's executable under qemu behaves like GNU ld's under qemu."""
    b = build_cache(prog, arch, cc, mode)
    ref = _oracle(b)
    assert b.xld is not None, b.link_error + "\n" + b.reproduce()
    got = b.run("xld", "qemu")
    assert (got.status, got.stdout) == (ref.status, ref.stdout), (
        f"xld-linked program differs under qemu\nGNU ld: {ref.summary()}\n"
        f"xld: {got.summary()}\n{b.reproduce()}")


@pytest.mark.parametrize("prog,arch,cc,mode", builds())
def test_xld_output_matches_gnu_ld_under_xld_run(build_cache, prog, arch, cc, mode):
    """Linker and runner together: both executables under ``xld run`` behave like GNU ld's
    executable under qemu."""
    b = build_cache(prog, arch, cc, mode)
    ref = _oracle(b)
    gnu_emu = b.run("gnu", "xld")
    assert (gnu_emu.status, gnu_emu.stdout) == (ref.status, ref.stdout), (
        f"xld run differs from qemu on the GNU ld executable (an emulator problem)\n"
        f"qemu: {ref.summary()}\nxld run: {gnu_emu.summary()}\n{b.reproduce()}")
    assert b.xld is not None, b.link_error + "\n" + b.reproduce()
    got = b.run("xld", "xld")
    assert (got.status, got.stdout) == (ref.status, ref.stdout), (
        f"xld-linked program differs under xld run\nGNU ld + qemu: {ref.summary()}\n"
        f"xld + xld run: {got.summary()}\n{b.reproduce()}")
