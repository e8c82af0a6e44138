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


def _lld_line(arch: str, driver: str, name: str, args, d: Path) -> tuple[Path, list[str]]:
    """``zig <driver> args -o d/lld/<name> -v``: the output and zig's own ld.lld command line."""
    lld = d / "lld" / name
    lld.parent.mkdir(exist_ok=True)
    p = subprocess.run([*_zig(arch, driver), *map(str, args), "-o", str(lld), "-v"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-4000:]
    lines = [shlex.split(ln) for ln in p.stderr.splitlines() if ln.startswith("ld.lld ")]
    line = next((a for a in lines if str(lld) in a), None)
    assert line, f"zig printed no ld.lld command line for {name}:\n{p.stderr[-4000:]}"
    return lld, line


def _xld_on(line: list[str], out: Path) -> tc.LinkResult:
    """xld given an ld.lld command line, with its -o replaced by ``out``."""
    out.parent.mkdir(exist_ok=True)
    line = list(line)
    line[line.index("-o") + 1] = str(out)
    return tc.xld_link(line[1:])


def _gnu_on(arch: str, line: list[str], out: Path) -> None:
    """GNU ld given an ld.lld command line, less what only lld knows (``--error-limit``,
    ``-mllvm X``; ``--image-base=N``: ``-Ttext-segment=N``), with its -o replaced by ``out``."""
    args, it = [], iter(line[1:])
    for a in it:
        if a == "-mllvm":
            next(it)
        elif a.startswith("--image-base="):
            if int(a.split("=", 1)[1], 0):
                args.append("-Ttext-segment=" + a.split("=", 1)[1])
        elif not a.startswith("--error-limit="):
            args.append(a)
    args[args.index("-o") + 1] = str(out)
    out.parent.mkdir(exist_ok=True)
    p = tc.run_group([tc.require(f"{tc.TRIPLE[arch]}-ld"), *args], timeout=300, input=None)
    assert p.returncode == 0, p.stderr.decode()[-4000:]


def _link_both(arch: str, driver: str, name: str, args, d: Path, gnu=False) -> tuple[Path, Path]:
    """``zig <driver> args -o lld/<name>`` and, on zig's own ld.lld line, xld -o xld/<name>
    (and with ``gnu``, GNU ld -o gnu/<name>)."""
    lld, line = _lld_line(arch, driver, name, args, d)
    xld = d / "xld" / name
    res = _xld_on(line, xld)
    assert res.status == 0, res.stderr
    if gnu:
        _gnu_on(arch, line, d / "gnu" / name)
    return lld, xld


def _same_shape(lld: Path, xld: Path, keys=SHAPE) -> None:
    ref, got = dynamic(lld), dynamic(xld)
    for key in keys:
        assert got[key] == ref[key], (xld.name, key, got[key], ref[key])


def _pairings(exe: str, libs, d: Path, linkers=("lld", "xld")):
    """Every pairing of the program and its libraries, each by one of ``linkers``, in a
    directory of its own (the program finds its libraries through its RUNPATH, $ORIGIN)."""
    for exe_by in linkers:
        for libs_by in linkers:
            where = d / f"run-{exe_by}-{libs_by}"
            where.mkdir()
            shutil.copy(d / exe_by / exe, where / exe)
            for lib in libs:
                shutil.copy(d / libs_by / lib, where / lib)
            yield exe_by, libs_by, where


def _check_runs(arch: str, exe: str, libs, d: Path, args_of, expect: bytes, status: int,
                linkers=("lld", "xld")) -> None:
    for exe_by, libs_by, where in _pairings(exe, libs, d, linkers):
        _check_run(arch, where / exe, args_of(where), expect, status, emu=exe_by == libs_by == "xld")


def _check_run(arch: str, exe: Path, args, expect: bytes, status: int, emu: bool, env=None) -> None:
    """Under qemu-user with musl's loader; with ``emu``, under ``xld run`` too."""
    root = _sysroot(arch, exe.parent.parent)
    p = tc.run_group([tc.require(tc.QEMU[arch]), "-L", str(root), str(exe), *args], timeout=120,
                     env=env or {})
    assert (p.stdout, p.returncode) == (expect, status), (exe, p.stdout, p.stderr)
    if emu:
        from xld.emu import run
        r = run(str(exe), argv=list(args), env=env, sysroot=str(root), timeout=600)
        assert (r.stdout, r.returncode) == (expect, status), (r.stdout, r.crash)


@pytest.mark.parametrize("pie", [False, True], ids=["no-pie", "pie"])
@pytest.mark.parametrize("arch", tc.ARCHES)
def test_musl_program_with_its_library_and_a_plugin(arch, pie, tmp_path):
    """libmu.so (TLS the program reads across the boundary, copied or GOT-reached data, a
    constructor), libplugmu.so (dlopen'd, TLS of its own) and the program, zig's default
    non-PIE and -fPIE -pie.  GNU ld links the same lines too (what only lld knows left out),
    and its outputs take part in the pairings."""
    libmu = _compile(arch, "libmu.c", tmp_path, "-fPIC")
    plug = _compile(arch, "plugmu.c", tmp_path, "-fPIC")
    main = _compile(arch, "usemu.c", tmp_path, *(["-fPIE"] if pie else []))
    outs = [_link_both(arch, "cc", "libmu.so", ["-shared", "-Wl,-soname,libmu.so", libmu], tmp_path,
                       gnu=True)]
    shutil.copy(outs[0][0], tmp_path / "libmu.so")            # what the next links read
    outs.append(_link_both(arch, "cc", "libplugmu.so", ["-shared", plug, "-L", tmp_path, "-lmu"], tmp_path,
                           gnu=True))
    outs.append(_link_both(arch, "cc", "usemu", [*(["-fPIE", "-pie"] if pie else []), main, "-L", tmp_path,
                                                 "-lmu", "-Wl,-rpath,$ORIGIN"], tmp_path, gnu=True))
    for lld, xld in outs:
        _same_shape(lld, xld)
    assert dynamic(outs[2][1])["type"] == ("ET_DYN" if pie else "ET_EXEC")
    assert dynamic(outs[2][1])["interp"] == f"/lib/ld-musl-{MACHINE[arch]}.so.1"
    _check_runs(arch, "usemu", ["libmu.so", "libplugmu.so"], tmp_path,
                lambda where: [str(where / "libplugmu.so")], MU_OUTPUT, 7, ("lld", "xld", "gnu"))


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


COPIES_OUTPUT = (b"opt a - ind 2\nopt b x ind 4\nto stdout\nenv MUSLVAR=1\nerrno 1\n"
                 b"thread tl=7 errno=0\njoined 7 tl=3 env 1\n")


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_musl_copy_relocation_against_zig_stub_libc_is_refused(arch, tmp_path):
    """zig's libc.so is a stub: its data symbols sit over empty sections, environ, optarg and
    optind at one address.  A copy relocation needs to know which names are one variable; from
    the stub nobody can tell (ld.lld makes every name there one copy: a program that crashes),
    so xld refuses, naming the symbol, and leaves no output."""
    obj = _compile(arch, "copies.c", tmp_path, "-fno-PIC", "-fno-PIE")
    _, line = _lld_line(arch, "cc", "copies", ["-dynamic", obj], tmp_path)
    out = tmp_path / "xld" / "copies"
    res = _xld_on(line, out)
    assert res.status == 1 and not out.exists(), res.stderr
    for name in ("environ", "optarg", "optind", "stdout", "stderr"):
        assert f"xld: error: cannot create a copy relocation for symbol {name}: " in res.stderr, res.stderr
    assert "holds no bytes for it" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_musl_copy_relocations_against_musl_libc_so(arch, tmp_path):
    """The same program linked against musl's real libc.so (the loader itself) instead of the
    stub: copies of environ (with its aliases), optarg, optind, stdout, stderr, as ld.lld makes
    them (bound as GNU ld binds them), and the program runs."""
    obj = _compile(arch, "copies.c", tmp_path, "-fno-PIC", "-fno-PIE")
    _, line = _lld_line(arch, "cc", "copies", ["-dynamic", obj], tmp_path)
    stub = next(a for a in line if a.endswith("/libc.so"))
    line = [str(_loader(arch)) if a == stub else a for a in line]
    ref, ours = tmp_path / "ref" / "copies", tmp_path / "xld" / "copies"
    ref.parent.mkdir()
    line[line.index("-o") + 1] = str(ref)
    tc.run_group([*_zig(arch, "ld.lld")[:4], *line[1:]], timeout=300, input=None)
    assert ref.exists()
    res = _xld_on(line, ours)
    assert res.status == 0, res.stderr
    # the copies' binding is GNU ld's (musl's weak environ stays weak; ld.lld makes it global)
    gnu = tmp_path / "gnu" / "copies"
    _gnu_on(arch, line, gnu)
    _same_shape(ref, ours, keys=[k for k in SHAPE if k != "exports"])
    objects = [{e for e in dynamic(x)["exports"] if e[1] == "STT_OBJECT"} for x in (gnu, ours)]
    assert objects[1] == objects[0]
    assert dynamic(ours)["relocs"][{"arm64": 1024, "riscv64": 4}[arch]] == 5      # R_*_COPY
    for exe in (ref, ours):
        _check_run(arch, exe, ["-a", "-b", "x", "y"], COPIES_OUTPUT, 0, emu=exe is ours,
                   env={"MUSLVAR": "1"})
