"""The build matrix of the end-to-end tests: programs, compiler modes, link variants, and
``Build`` — one program compiled one way, linked by GNU ld and by xld, with cached runs.
The session fixture ``build_cache`` (conftest.py) hands out Builds shared by every test file.
"""
from __future__ import annotations

from pathlib import Path

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
    "norelax": ["-O2", "-mno-relax"],            # riscv64: no R_RISCV_RELAX hints at all
    "rv64imac": ["-O2", "-march=rv64imac", "-mabi=lp64"],   # riscv64: soft-float ABI
    "bti": ["-O2", "-mbranch-protection=standard"],        # arm64: BTI/PAC, GNU property notes
    # DWARF: data relocations in .debug_* (on riscv64 ADD/SUB/SET pairs that relaxation moves)
    "debug": ["-O2", "-g"],
    # tentative definitions become COMMON symbols
    "common": ["-O2", "-fcommon"],
    # link-side variants (see LINK): an archive, and garbage collection of sections
    "archive": ["-O2"],
    "thin": ["-Os"],
    "gc": ["-O2", "-ffunction-sections", "-fdata-sections"],
}
# modes linked differently from `ld -static -o out *.o`
LINK = {
    # _start and the program's main.o on the command line, every other object in an ar
    # archive, so members are pulled in only when they define a symbol still undefined
    "archive": "archive",
    "thin": "thin",           # the same with a thin archive (members stay in their files)
    "gc": ["--gc-sections"],
}
# The matrix: GCC gets every mode; zig cc (clang) the ones where its code generation differs
# most; both keep the suite to a few minutes on two cores.
MATRIX = {
    ("gcc", "arm64"): ["O0", "O2", "Os", "pic", "pie", "sections", "large", "bti", "debug",
                       "common", "archive", "thin", "gc"],
    ("gcc", "riscv64"): ["O0", "O2", "Os", "pic", "sections", "medany", "medlow", "norelax",
                         "rv64imac", "debug", "common", "archive", "thin", "gc"],
    ("zig", "arm64"): ["O0", "Os", "pic", "sections", "large", "debug", "gc"],
    ("zig", "riscv64"): ["O0", "Os", "pic", "medlow", "debug", "gc"],
}


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
        if link in ("archive", "thin"):
            direct = [o for o in self.objs if o.stem in ("common_start", f"{self.prog}_main")]
            lib = tc.archive(self.arch, [o for o in self.objs if o not in direct],
                             self.dir / "obj" / "libprog.a", thin=link == "thin")
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


# (program, compiler, mode) combinations the compiler itself refuses
UNSUPPORTED = {
    ("tls", "zig", "large"): "clang: ELF TLS only in the small code model or local-exec",
}


def matrix():
    """Every (program, arch, compiler, mode) of the matrix, minus the unsupported ones."""
    for prog in PROGRAMS:
        for (cc, arch), modes in MATRIX.items():
            for mode in modes:
                if (prog, cc, mode) not in UNSUPPORTED:
                    yield prog, arch, cc, mode

