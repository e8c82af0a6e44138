"""AArch64 BTI and PAC (link/properties.py, the arm64 backend's plt_forms).

Objects built with ``-mbranch-protection=standard`` (gcc 12 and clang-14) carry
GNU_PROPERTY_AARCH64_FEATURE_1_AND = BTI|PAC.  Debian's crt1.o/crti.o/crtbegin.o carry none,
so a normal link has no property (GNU ld's too); a program whose own ``_start`` is built with
BTI (``-nostartfiles``) keeps it.  GNU ld (the oracle) and xld link the same objects; both
outputs run under ``qemu-aarch64 -cpu max`` (which enforces BTI on guarded pages and has
PAC), and must agree on the note, PT_GNU_PROPERTY, the PLT's instruction forms, the
DT_AARCH64_* tags, and exit status or signal (``-z force-bti`` over non-BTI crt files and
``-z pac-plt`` against today's glibc kill GNU ld's program too: the same signal is asserted,
not a pass).
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc
from tests.dynamic.util import run as _run

TRIPLE = tc.TRIPLE["arm64"]
SYSROOT = f"/usr/{TRIPLE}"
pytestmark = tc.skip_unless(bool(tc.which(f"{TRIPLE}-gcc") and tc.which("qemu-aarch64")),
                            "aarch64 gcc and qemu-aarch64 are needed")

PROG = r"""
#include <stdio.h>
#include <string.h>
static int twice(int x) { return 2 * x; }
static int thrice(int x) { return 3 * x; }
int (*volatile table[2])(int) = {twice, thrice};     /* indirect calls: BLR to bti c */
static int impl(void) { return 40; }
static void *resolve(void) { return (void *)impl; }
int picked(void) __attribute__((ifunc("resolve")));
int (*volatile fp)(void) = picked;                   /* an IFUNC's address */
int main(void)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%d", table[0](5) + table[1](2));
    printf("calls %s len %zu ifunc %d %d\n", buf, strlen(buf), picked(), fp());
    return 3;
}
"""
START = "#include <stdlib.h>\nint main(void);\nvoid _start(void) { exit(main()); }\n"
EXPECT = b"calls 16 len 2 ifunc 40 40\n"
BTI_PAC = "AArch64 feature: BTI, PAC"


class Build:
    def __init__(self, root: Path):
        self.dir = root
        self.wrapper = tc.ld_wrapper_dir(root)
        (root / "prog.c").write_text(PROG)
        (root / "start.c").write_text(START)
        self.objs: dict[tuple, list[Path]] = {}

    def compile(self, cc: str, pic: bool, bti: bool = True) -> list[Path]:
        key = (cc, pic, bti)
        if key not in self.objs:
            drv = ["clang-14", f"--target={TRIPLE}"] if cc == "clang" else [f"{TRIPLE}-gcc"]
            flags = ["-O1", "-fPIE" if pic else "-fno-pie"] + (["-mbranch-protection=standard"] if bti else [])
            out = []
            for name in ("start", "prog"):
                obj = self.dir / f"{name}-{cc}-{int(pic)}-{int(bti)}.o"
                _run([*drv, *flags, "-c", self.dir / f"{name}.c", "-o", obj])
                out.append(obj)
            self.objs[key] = out
        return self.objs[key]

    def link(self, objs, flags, name: str) -> tuple[Path, Path, str, str]:
        """GNU ld's and xld's program from the same objects (through gcc), and their stderr."""
        gnu, xld = self.dir / f"gnu-{name}", self.dir / f"xld-{name}"
        g = _run([f"{TRIPLE}-gcc", *flags, *objs, "-o", gnu])
        xld.unlink(missing_ok=True)
        x = _run([f"{TRIPLE}-gcc", "-B", self.wrapper, *flags, *objs, "-o", xld])
        return gnu, xld, g.stderr, x.stderr


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return Build(tmp_path_factory.mktemp("bti"))


def _qemu(exe: Path, cpu: str = "max") -> tuple[int, bytes]:
    p = subprocess.run(["qemu-aarch64", "-cpu", cpu, "-L", SYSROOT, str(exe)], capture_output=True, timeout=120)
    return p.returncode, p.stdout


def _notes(exe: Path) -> str:
    text = _run(["readelf", "-n", exe]).stdout
    m = re.search(r"NT_GNU_PROPERTY_TYPE_0\s+Properties: (.*)", text)
    return m.group(1).strip() if m else ""


def _phdrs(exe: Path) -> list[str]:
    return re.findall(r"^\s+(NOTE|GNU_PROPERTY)\s", _run(["readelf", "-lW", exe]).stdout, re.M)


def _aarch64_tags(exe: Path) -> list[str]:
    return re.findall(r"\((AARCH64_\w+)\)", _run(["readelf", "-d", exe]).stdout)


def _jump_slots(exe: Path) -> int:
    return _run(["readelf", "-rW", exe]).stdout.count("R_AARCH64_JUMP_SLOT")


def _plt_forms(exe: Path) -> list[str]:
    """The .plt's instructions without their operands: the form, not the addresses."""
    text = _run([f"{TRIPLE}-objdump", "-d", "-j", ".plt", exe]).stdout
    return re.findall(r"^\s*[0-9a-f]+:\s+[0-9a-f]{8}\s+(\S+)", text, re.M)


CASES = [(cc, mode) for cc in ("gcc", "clang") for mode in ("pie", "no-pie")]


@pytest.mark.parametrize("cc,mode", CASES)
def test_bti_program_has_the_property_and_runs_like_gnu_ld(build, cc, mode):
    if cc == "clang" and not tc.which("clang-14"):
        tc.missing("clang-14 not found")
    objs = build.compile(cc, mode == "pie")
    gnu, xld, _, _ = build.link(objs, [f"-{mode}", "-nostartfiles"], f"{cc}-{mode}")
    assert _notes(gnu) == _notes(xld) == BTI_PAC
    assert _phdrs(xld) == _phdrs(gnu) == ["NOTE", "NOTE", "GNU_PROPERTY"]   # (8- and 4-aligned notes)
    assert _aarch64_tags(xld) == _aarch64_tags(gnu) == ["AARCH64_BTI_PLT"]
    # PLT0, then PLTn of each imported function: "bti c" in PLTn only in a position-dependent
    # program (where an entry can be a function's address).  (xld's IFUNC stubs, after them,
    # always start with it: a PIE's pointer to its IFUNC is the stub)
    forms, gforms = _plt_forms(xld), _plt_forms(gnu)
    width = 6 if mode == "no-pie" else 4
    k = 8 + width * _jump_slots(gnu)
    assert _jump_slots(gnu) == _jump_slots(xld) >= 3
    assert forms[:k] == gforms[:k]
    assert forms[0] == "bti" and forms[8:k].count("bti") == (_jump_slots(gnu) if mode == "no-pie" else 0)
    for cpu in ("max", "cortex-a72"):
        assert _qemu(xld, cpu) == _qemu(gnu, cpu) == (3, EXPECT), cpu


@pytest.mark.parametrize("mode", ["pie", "no-pie"])
def test_pac_plt_has_gnu_lds_form(build, mode):
    """-z pac-plt: PLTn authenticates x17 (autia1716).  glibc 2.36 does not sign .got.plt, so
    under -cpu max (PAC) GNU ld's program dies and xld's must die the same way; without PAC
    (cortex-a72: autia1716 is a hint) both run."""
    objs = build.compile("gcc", mode == "pie")
    gnu, xld, _, _ = build.link(objs, [f"-{mode}", "-nostartfiles", "-Wl,-z,pac-plt"], f"pac-{mode}")
    assert _aarch64_tags(xld) == _aarch64_tags(gnu) == ["AARCH64_BTI_PLT", "AARCH64_PAC_PLT"]
    k = 8 + 6 * _jump_slots(gnu)
    assert _plt_forms(xld)[:k] == _plt_forms(gnu)[:k]
    assert "autia1716" in _plt_forms(xld)
    g = _qemu(gnu)
    assert g[0] != 3                                   # (GNU ld's dies: not a pass)
    assert _qemu(xld)[0] == g[0]
    assert _qemu(xld, "cortex-a72") == _qemu(gnu, "cortex-a72") == (3, EXPECT)


def test_normal_link_has_no_property_as_gnu_ld(build):
    """Debian's crt files have no BTI note: the AND over all inputs is 0, no note is written."""
    objs = build.compile("gcc", True)[1:]
    gnu, xld, _, _ = build.link(objs, [], "crt")
    assert _notes(gnu) == _notes(xld) == ""
    assert "GNU_PROPERTY" not in _phdrs(xld) and not _aarch64_tags(xld)
    assert _qemu(xld) == _qemu(gnu) == (3, EXPECT)


def _warned(stderr: str) -> set[str]:
    return {Path(m).name for m in re.findall(r"([^\s:]+\.o): (?:warning: )?BTI turned on by -z force-bti", stderr)}


def test_force_bti_warns_for_each_input_without_it(build):
    """-z force-bti over crt files without BTI: both linkers warn for each of them and mark
    the output BTI; ld.so enters crt1's _start (no landing pad) and both programs die with
    SIGILL under -cpu max."""
    objs = build.compile("gcc", True)[1:]
    gnu, xld, gerr, xerr = build.link(objs, ["-Wl,-z,force-bti"], "force")
    assert _warned(xerr) == _warned(gerr)
    assert {"Scrt1.o", "crti.o", "crtn.o"} <= _warned(xerr)
    assert _notes(gnu) == _notes(xld) == "AArch64 feature: BTI"
    g = _qemu(gnu)
    assert g[0] == -4 or g[0] == 132, g                 # SIGILL (qemu reports 128 + 4)
    assert _qemu(xld)[0] == g[0]


def test_bti_report_error_and_none(build, tmp_path):
    objs = build.compile("gcc", True)
    crt = [f"{SYSROOT}/lib/{n}" for n in ("Scrt1.o", "crti.o", "crtn.o")]
    args = ["-pie", "-o", tmp_path / "out", *crt, objs[1], "-L", f"{SYSROOT}/lib", "-lc"]
    res = tc.xld_link([*args, "-z", "force-bti", "-z", "bti-report=error"])
    assert res.status == 1 and "Scrt1.o: BTI turned on by -z force-bti" in res.stderr
    assert not (tmp_path / "out").exists()
    res = tc.xld_link([*args, "-z", "force-bti", "-z", "bti-report=none"])
    assert res.status == 0 and "warning" not in res.stderr, res.stderr


def test_bti_options_are_refused_on_riscv64(tmp_path):
    obj = tc.assemble("riscv64", ".globl _start\n_start:\n  ret\n", tmp_path / "s.o")
    res = tc.xld_link(["-o", tmp_path / "out", obj, "-z", "force-bti"])
    assert res.status == 1 and "-z force-bti is not supported on riscv64" in res.stderr


# -- range-extension thunks under BTI ------------------------------------------------------------

FAR = r"""
#include <stdio.h>
#define FAR __attribute__((section(".far_text"), noinline))
FAR int far_add(int a, int b) { return a + b; }
int main(void) { printf("far %d\n", far_add(40, 2)); return 0; }
"""


def test_thunks_land_on_bti_pads_or_are_refused(build):
    """A thunk's BR x16 must land on a BTI landing pad: a function built with BTI starts with
    one (the program runs under -cpu max); with -z force-bti over a function built without
    it, xld refuses the link (GNU ld 2.40 writes a program that dies)."""
    d = build.dir
    (d / "far.c").write_text(FAR)
    flags = ["-nostartfiles", "-no-pie", "-Wl,--section-start=.far_text=0x20000000"]
    start = build.compile("gcc", False)[0]
    objs = {}
    for bti in (True, False):
        objs[bti] = d / f"far-{int(bti)}.o"
        _run([f"{TRIPLE}-gcc", "-O1", "-fno-pie", *(["-mbranch-protection=standard"] if bti else []),
              "-c", d / "far.c", "-o", objs[bti]])
    gnu, xld, _, _ = build.link([start, objs[True]], flags, "far")
    assert _notes(xld) == BTI_PAC
    assert "__AArch64ADRPThunk_far_add" in _run([f"{TRIPLE}-nm", xld]).stdout
    assert _qemu(xld) == _qemu(gnu) == (0, b"far 42\n")
    out = d / "xld-far-refused"
    p = subprocess.run([f"{TRIPLE}-gcc", "-B", build.wrapper, *flags, "-Wl,-z,force-bti", start, objs[False],
                        "-o", out], capture_output=True, text=True)
    assert p.returncode != 0
    assert "branch to 'far_add' is out of range and needs a thunk, but its target has no BTI landing pad" \
        in p.stderr, p.stderr
    assert not out.exists()


def test_bti_report_without_force_names_each_input_as_lld(build, tmp_path):
    objs = build.compile("gcc", True)
    crt = [f"{SYSROOT}/lib/{n}" for n in ("Scrt1.o", "crti.o", "crtn.o")]
    res = tc.xld_link(["-pie", "-o", tmp_path / "out", *crt, objs[1], "-L", f"{SYSROOT}/lib", "-lc",
                       "-z", "bti-report=warning"])
    assert res.status == 0, res.stderr
    assert "crti.o: -z bti-report: file does not have GNU_PROPERTY_AARCH64_FEATURE_1_BTI property" in res.stderr
    assert "prog-gcc" not in res.stderr
