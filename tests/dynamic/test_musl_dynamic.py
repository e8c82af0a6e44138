"""musl, dynamic: what ``zig cc -target <arch>-linux-musl`` links without ``-static``.

zig drives its own ld.lld.  Each output here is linked twice from the same zig objects and
zig's own libc.so stub: by ld.lld (zig's command line, printed by ``-v``) and by xld given
that very command line.  The two must agree in shape (ELF type, interpreter, DT_NEEDED,
soname, imported, exported and undefined dynamic symbols, dynamic relocations by type) and
in behaviour: every pairing of program and libraries, by either linker, prints the same
under qemu-user with musl's own loader, and xld's pairing prints it under ``xld run`` too.

musl's loader (``ld-musl-<arch>.so.1``, which is musl's libc.so) is taken from
``/lib/ld-musl-<arch>.so.1`` (Debian's ``musl:arm64``) or ``/usr/local/lib/<arch>-linux-musl/
libc.so`` (what .ci/run builds from Debian's musl source for riscv64, which Debian bookworm
does not ship) and copied into a sysroot of the test's own (qemu's ``-L``).
"""
from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import toolchain as tc
from tests.dynamic.util import dynamic

PROGS = Path(__file__).parent / "progs" / "musl"
MACHINE = {"arm64": "aarch64", "riscv64": "riscv64"}
FLAGS = ["-O2", "-fno-sanitize=undefined"]          # (zig's Debug default links UBSan's runtime)
SHAPE = ("type", "interp", "needed", "soname", "runpath", "imports", "undefined", "exports", "relocs")
MU_OUTPUT = (b"add 130 counter 3 name libmu\nlabel libmu-43 tls 42 apply 50 ptr 130\n"
             b"plugin 7182 10192\nqsort 5\n")


def _loader(arch: str) -> Path:
    m = MACHINE[arch]
    for p in (Path(f"/lib/ld-musl-{m}.so.1"), Path(f"/usr/local/lib/{m}-linux-musl/libc.so")):
        if p.exists():
            return p
    tc.missing(f"musl's dynamic loader for {m} (ld-musl-{m}.so.1) is not installed")


def _sysroot(arch: str, tmp: Path) -> Path:
    """A directory holding only lib/ld-musl-<arch>.so.1: qemu's -L and ``xld run``'s --sysroot."""
    root = tmp / "sysroot"
    (root / "lib").mkdir(parents=True, exist_ok=True)
    shutil.copy(_loader(arch), root / "lib" / f"ld-musl-{MACHINE[arch]}.so.1")
    return root


def _zig(arch: str, driver: str) -> list[str]:
    if not tc.have_zig():
        tc.missing("zig cc not available (pip install ziglang)")
    return [sys.executable, "-m", "ziglang", driver, "-target", tc.ZIG_TARGET[arch], *FLAGS]


def _compile(arch: str, src: str, d: Path, *flags: str) -> Path:
    obj = d / (src + ".o")
    tc.run_group([*_zig(arch, "c++" if src.endswith(".cc") else "cc"), *flags, "-c",
                  str(PROGS / src), "-o", str(obj)], timeout=300, input=None)
    assert obj.exists(), f"zig did not compile {src}"
    return obj


def _link_both(arch: str, driver: str, name: str, args, d: Path) -> tuple[Path, Path]:
    """``zig <driver> args -o lld/<name>`` and, on zig's own ld.lld line, xld -o xld/<name>."""
    lld, xld = d / "lld" / name, d / "xld" / name
    lld.parent.mkdir(exist_ok=True)
    xld.parent.mkdir(exist_ok=True)
    p = subprocess.run([*_zig(arch, driver), *map(str, args), "-o", str(lld), "-v"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-4000:]
    lines = [shlex.split(ln) for ln in p.stderr.splitlines() if ln.startswith("ld.lld ")]
    line = next((a for a in lines if str(lld) in a), None)
    assert line, f"zig printed no ld.lld command line for {name}:\n{p.stderr[-4000:]}"
    line[line.index("-o") + 1] = str(xld)
    res = tc.xld_link(line[1:])
    assert res.status == 0, res.stderr
    return lld, xld


def _same_shape(lld: Path, xld: Path) -> None:
    ref, got = dynamic(lld), dynamic(xld)
    for key in SHAPE:
        assert got[key] == ref[key], (xld.name, key, got[key], ref[key])


def _pairings(exe: str, libs, d: Path):
    """Every pairing of the program and its libraries, each by lld or xld, in a directory of
    its own (the program finds its libraries through its RUNPATH, $ORIGIN)."""
    for exe_by in ("lld", "xld"):
        for libs_by in ("lld", "xld"):
            where = d / f"run-{exe_by}-{libs_by}"
            where.mkdir()
            shutil.copy(d / exe_by / exe, where / exe)
            for lib in libs:
                shutil.copy(d / libs_by / lib, where / lib)
            yield exe_by, libs_by, where


def _check_runs(arch: str, exe: str, libs, d: Path, args_of, expect: bytes, status: int) -> None:
    root = _sysroot(arch, d)
    from xld.emu import run
    for exe_by, libs_by, where in _pairings(exe, libs, d):
        q = tc.qemu_run(arch, where / exe, args_of(where), timeout=120, sysroot=str(root))
        assert (q.stdout, q.status) == (expect, status), (exe_by, libs_by, q.summary(), q.stderr)
        if exe_by == libs_by == "xld":
            r = run(str(where / exe), argv=args_of(where), sysroot=str(root), timeout=600)
            assert (r.stdout, r.returncode) == (expect, status), (r.stdout, r.crash)


@pytest.mark.parametrize("pie", [False, True], ids=["no-pie", "pie"])
@pytest.mark.parametrize("arch", tc.ARCHES)
def test_musl_program_with_its_library_and_a_plugin(arch, pie, tmp_path):
    """libmu.so (TLS the program reads across the boundary, copied or GOT-reached data, a
    constructor), libplugmu.so (dlopen'd, TLS of its own) and the program, zig's default
    non-PIE and -fPIE -pie."""
    libmu = _compile(arch, "libmu.c", tmp_path, "-fPIC")
    plug = _compile(arch, "plugmu.c", tmp_path, "-fPIC")
    main = _compile(arch, "usemu.c", tmp_path, *(["-fPIE"] if pie else []))
    outs = [_link_both(arch, "cc", "libmu.so", ["-shared", "-Wl,-soname,libmu.so", libmu], tmp_path)]
    shutil.copy(outs[0][0], tmp_path / "libmu.so")            # what the next links read
    outs.append(_link_both(arch, "cc", "libplugmu.so", ["-shared", plug, "-L", tmp_path, "-lmu"], tmp_path))
    outs.append(_link_both(arch, "cc", "usemu", [*(["-fPIE", "-pie"] if pie else []), main, "-L", tmp_path,
                                                 "-lmu", "-Wl,-rpath,$ORIGIN"], tmp_path))
    for lld, xld in outs:
        _same_shape(lld, xld)
    assert dynamic(outs[2][1])["type"] == ("ET_DYN" if pie else "ET_EXEC")
    assert dynamic(outs[2][1])["interp"] == f"/lib/ld-musl-{MACHINE[arch]}.so.1"
    _check_runs(arch, "usemu", ["libmu.so", "libplugmu.so"], tmp_path,
                lambda where: [str(where / "libplugmu.so")], MU_OUTPUT, 7)


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_musl_cxx_program_and_library(arch, tmp_path):
    """zig c++ (libc++, linked into each output), PIE: a library whose virtual function the
    program overrides, which throws and catches inside itself."""
    lib = _compile(arch, "libcxxmu.cc", tmp_path, "-fPIC")
    main = _compile(arch, "usecxxmu.cc", tmp_path, "-fPIE")
    outs = [_link_both(arch, "c++", "libcxxmu.so", ["-shared", "-Wl,-soname,libcxxmu.so", lib], tmp_path)]
    shutil.copy(outs[0][0], tmp_path / "libcxxmu.so")
    outs.append(_link_both(arch, "c++", "usecxxmu", ["-fPIE", "-pie", main, "-L", tmp_path, "-lcxxmu",
                                                     "-Wl,-rpath,$ORIGIN"], tmp_path))
    for lld, xld in outs:
        _same_shape(lld, xld)
    _check_runs(arch, "usecxxmu", ["libcxxmu.so"], tmp_path, lambda where: [],
                b"run 3 7\ncaught: counter ran to 31\nchecked -1\n", 0)
