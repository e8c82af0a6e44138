"""Real static programs through the compiler drivers: glibc (GCC, Clang), musl (zig), C++ (g++).

Each program is built twice from the same objects — linked by GNU ld (or zig's lld: the
oracle) and by xld through the same driver — and both executables run under qemu-user with
the same argv, environment, stdin and working directory.  Output and exit status must be
identical.  The gcc-built ones also run under ``xld run``.
"""
from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.toolchain import ARCHES, QEMU, TRIPLE, ZIG_TARGET, missing, require

PROGS = Path(__file__).parent / "libc_progs"
STDIN = b"a line from stdin\n"
ENV = {"XLD_TEST_VAR": "from-the-environment"}
CLANG = "clang-14"


def _sh(cmd, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise AssertionError(f"command failed ({p.returncode}): {shlex.join(map(str, cmd))}\n{p.stderr[-4000:]}")
    return p


@pytest.fixture(scope="session")
def ld_dir(tmp_path_factory) -> Path:
    """A directory whose ``ld`` runs xld: what ``gcc -B DIR`` finds."""
    d = tmp_path_factory.mktemp("xld-bin")
    ld = d / "ld"
    ld.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m xld.link \"$@\"\n")
    ld.chmod(0o755)
    return d


@pytest.fixture(scope="session")
def xld_exe(ld_dir) -> Path:
    return ld_dir / "ld"


def _zig() -> list[str]:
    try:
        import ziglang  # noqa: F401
    except ImportError:
        missing("the ziglang package is not installed")
    return [sys.executable, "-m", "ziglang"]


def _run_qemu(arch: str, exe: Path, cwd: Path) -> tuple[int, bytes]:
    qemu = require(QEMU[arch])
    env = dict(ENV)
    p = subprocess.run([qemu, str(exe), "arg-one"], input=STDIN, capture_output=True, cwd=cwd,
                       env=env, timeout=120)
    return p.returncode, p.stdout


def _fresh(tmp: Path, name: str) -> Path:
    d = tmp / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir()
    return d


def _archive(ar: list[str], out: Path, objs: list[Path]) -> Path:
    if out.exists():
        out.unlink()
    _sh([*ar, "rcs", str(out), *map(str, objs)])
    return out


def _check_same(arch: str, oracle: Path, ours: Path, tmp: Path) -> bytes:
    """qemu-user runs both; xld's own runner runs ours too: all three must agree."""
    st1, out1 = _run_qemu(arch, oracle, _fresh(tmp, "run-oracle"))
    st2, out2 = _run_qemu(arch, ours, _fresh(tmp, "run-xld"))
    assert out2 == out1, f"stdout differs:\n--- oracle ---\n{out1.decode()}\n--- xld ---\n{out2.decode()}"
    assert st2 == st1
    from xld.emu import run
    root = _fresh(tmp, "run-emu")
    shutil.copy(ours, root / "prog")
    res = run(str(root / "prog"), argv=["arg-one"], env=ENV, stdin=STDIN, root=str(root), timeout=120)
    assert res.stdout == out1, f"under xld run:\n{res.stdout.decode(errors='replace')}\n{res.crash or ''}"
    assert res.returncode == st1
    return out1


C_SRCS = ("features.c",)
LIB_SRCS = ("mylib_used.c", "mylib_unused.c")
C_EXPECT = [b"ctor 101\nctor 200\nctor plain\n", b"argc=2 argv1=arg-one", b"qsort 1 497 999",
            b"tls=42", b"longjmp 4", b"errno ENOENT 1", b"getenv from-the-environment",
            b"mylib 41 archive member", b"stdin: a line from stdin", b"file: written 42",
            b"atexit 2\natexit 1\ndtor\n"]


def _assert_c_output(out: bytes):
    for piece in C_EXPECT:
        assert piece in out, f"{piece!r} missing from output:\n{out.decode()}"
    assert b"UNUSED MEMBER LINKED" not in out


@pytest.mark.parametrize("arch", ARCHES)
def test_gcc_glibc_c_program(arch, tmp_path, ld_dir):
    gcc = require(f"{TRIPLE[arch]}-gcc")
    ar = [require(f"{TRIPLE[arch]}-ar")]
    objs = []
    for src in C_SRCS + LIB_SRCS:
        o = tmp_path / (src + ".o")
        _sh([gcc, "-O2", "-c", str(PROGS / src), "-o", str(o)])
        objs.append(o)
    lib = _archive(ar, tmp_path / "libmylib.a", objs[1:])
    common = [str(objs[0]), "-L", str(tmp_path), "-lmylib", "-lm"]
    _sh([gcc, "-static", *common, "-o", str(tmp_path / "gnu.exe")])
    _sh([gcc, "-static", "-B", str(ld_dir), *common, "-o", str(tmp_path / "xld.exe")])
    out = _check_same(arch, tmp_path / "gnu.exe", tmp_path / "xld.exe", tmp_path)
    _assert_c_output(out)
    assert lib.exists()
    # and under xld's own runner
    from xld.emu import run
    root = _fresh(tmp_path, "root")
    shutil.copy(tmp_path / "xld.exe", root / "xld.exe")
    res = run(str(root / "xld.exe"), argv=["arg-one"], env=ENV, stdin=STDIN, root=str(root), timeout=120)
    st, ref = _run_qemu(arch, tmp_path / "gnu.exe", _fresh(tmp_path, "run-ref"))
    assert res.stdout == ref, res.crash
    assert res.returncode == st


@pytest.mark.parametrize("arch", ARCHES)
def test_clang_glibc_c_program(arch, tmp_path, xld_exe):
    clang = require(CLANG)
    require(f"{TRIPLE[arch]}-ld")
    ar = [require(f"{TRIPLE[arch]}-ar")]
    tgt = f"--target={TRIPLE[arch]}"
    objs = []
    for src in C_SRCS + LIB_SRCS:
        o = tmp_path / (src + ".o")
        _sh([clang, tgt, "-O2", "-c", str(PROGS / src), "-o", str(o)])
        objs.append(o)
    _archive(ar, tmp_path / "libmylib.a", objs[1:])
    common = [tgt, "-static", str(objs[0]), "-L", str(tmp_path), "-lmylib", "-lm"]
    _sh([clang, *common, "-o", str(tmp_path / "gnu.exe")])
    _sh([clang, *common, f"-fuse-ld={xld_exe}", "-o", str(tmp_path / "xld.exe")])
    _assert_c_output(_check_same(arch, tmp_path / "gnu.exe", tmp_path / "xld.exe", tmp_path))


@pytest.mark.parametrize("arch", ARCHES)
def test_zig_musl_c_program(arch, tmp_path, xld_exe):
    zig = _zig()
    target = ["-target", ZIG_TARGET[arch]]
    objs = []
    for src in C_SRCS + LIB_SRCS:
        o = tmp_path / (src + ".o")
        _sh([*zig, "cc", *target, "-O2", "-c", str(PROGS / src), "-o", str(o)])
        objs.append(o)
    _archive([*zig, "ar"], tmp_path / "libmylib.a", objs[1:])
    p = _sh([*zig, "cc", *target, "-static", str(objs[0]), "-L", str(tmp_path), "-lmylib", "-lm",
             "-o", str(tmp_path / "zig.exe"), "-v"])
    lines = [ln for ln in (p.stderr + p.stdout).splitlines() if ln.split(" ", 1)[0].endswith("ld.lld")]
    assert lines, "zig did not print its ld.lld command line"
    args = shlex.split(lines[-1])[1:]
    args[args.index("-o") + 1] = str(tmp_path / "xld.exe")
    _sh([str(xld_exe), *args])
    _assert_c_output(_check_same(arch, tmp_path / "zig.exe", tmp_path / "xld.exe", tmp_path))


@pytest.mark.parametrize("arch", ARCHES)
def test_gxx_cxx_program(arch, tmp_path, ld_dir):
    gxx = require(f"{TRIPLE[arch]}-g++")
    objs = []
    for src in ("app.cc", "shapes.cc"):
        o = tmp_path / (src + ".o")
        _sh([gxx, "-O2", "-c", str(PROGS / src), "-o", str(o)])
        objs.append(o)
    _sh([gxx, "-static", *map(str, objs), "-o", str(tmp_path / "gnu.exe")])
    _sh([gxx, "-static", "-B", str(ld_dir), *map(str, objs), "-o", str(tmp_path / "xld.exe")])
    out = _check_same(arch, tmp_path / "gnu.exe", tmp_path / "xld.exe", tmp_path)
    assert b"caught: other tu 5" in out and b"caught base: other tu 3 tl=3" in out
    assert out.startswith(b"global ctor\n") and out.endswith(b"global dtor\n")


@pytest.mark.parametrize("arch", ARCHES)
def test_gxx_with_eh_frame_hdr_and_build_id(arch, tmp_path, ld_dir):
    """--eh-frame-hdr's table must list every FDE (unwinders search it), sorted."""
    gxx = require(f"{TRIPLE[arch]}-g++")
    o = tmp_path / "shapes.o"
    a = tmp_path / "app.o"
    _sh([gxx, "-O2", "-c", str(PROGS / "shapes.cc"), "-o", str(o)])
    _sh([gxx, "-O2", "-c", str(PROGS / "app.cc"), "-o", str(a)])
    exe = tmp_path / "xld.exe"
    _sh([gxx, "-static", "-B", str(ld_dir), "-Wl,--eh-frame-hdr", "-Wl,--build-id=sha1", str(a), str(o),
         "-o", str(exe)])
    import struct
    from elftools.dwarf.callframe import FDE
    from elftools.elf.elffile import ELFFile
    with open(exe, "rb") as f:
        e = ELFFile(f)
        hdr = e.get_section_by_name(".eh_frame_hdr")
        d = hdr.data()
        n = struct.unpack_from("<I", d, 8)[0]
        locs = [hdr["sh_addr"] + struct.unpack_from("<i", d, 12 + 8 * i)[0] for i in range(n)]
        fdes = sorted(x.header["initial_location"] for x in e.get_dwarf_info().EH_CFI_entries()
                      if isinstance(x, FDE))
        assert locs == fdes and n > 100
        assert any(s.header.p_type == "PT_GNU_EH_FRAME" for s in e.iter_segments())
        note = e.get_section_by_name(".note.gnu.build-id")
        assert note is not None and len(note.data()) == 16 + 20
    st, out = _run_qemu(arch, exe, tmp_path)
    assert st == 3 and b"caught: other tu 5" in out


@pytest.mark.parametrize("arch", ARCHES)
def test_same_inputs_give_identical_bytes(arch, tmp_path, ld_dir):
    """Deterministic output: two links of the same objects and flags are byte-identical,
    build id included (it is a digest of the output)."""
    gxx = require(f"{TRIPLE[arch]}-g++")
    objs = []
    for src in ("app.cc", "shapes.cc"):
        o = tmp_path / (src + ".o")
        _sh([gxx, "-O2", "-c", str(PROGS / src), "-o", str(o)])
        objs.append(str(o))
    outs = []
    for k in range(2):
        exe = tmp_path / f"xld{k}.exe"
        _sh([gxx, "-static", "-B", str(ld_dir), "-Wl,--build-id", *objs, "-o", str(exe)])
        outs.append(exe.read_bytes())
    assert outs[0] == outs[1]


@pytest.mark.parametrize("arch", ARCHES)
def test_gnu_warning_section_is_reported_where_the_symbol_is_used(arch, tmp_path, ld_dir):
    gcc = require(f"{TRIPLE[arch]}-gcc")
    src = tmp_path / "pw.c"
    src.write_text('#include <pwd.h>\nint main(void){return getpwnam("root") == 0;}\n')
    p = subprocess.run([gcc, "-static", "-B", str(ld_dir), str(src), "-o", str(tmp_path / "pw")],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "xld: warning:" in p.stderr and "(.text+0x" in p.stderr
    assert "Using 'getpwnam' in statically linked applications" in p.stderr


def test_gcc_lto_object_is_a_clear_error_and_fat_lto_links(tmp_path):
    gcc = require("aarch64-linux-gnu-gcc")
    src = tmp_path / "f.c"
    src.write_text("int f(int x) { return x + 1; }\n")
    slim, fat = tmp_path / "slim.o", tmp_path / "fat.o"
    _sh([gcc, "-flto", "-O2", "-c", str(src), "-o", str(slim)])
    _sh([gcc, "-flto", "-ffat-lto-objects", "-O2", "-c", str(src), "-o", str(fat)])
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, "-m", "xld.link", "-e", "f", "-o", str(out), str(slim)],
                       capture_output=True, text=True)
    assert p.returncode == 1 and "LTO object" in p.stderr and "Traceback" not in p.stderr
    assert not out.exists()
    p = subprocess.run([sys.executable, "-m", "xld.link", "-e", "f", "-o", str(out), str(fat)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    from elftools.elf.elffile import ELFFile
    with open(out, "rb") as fh:
        assert not [s.name for s in ELFFile(fh).iter_sections() if s.name.startswith(".gnu.lto_")]


def test_emulation_names_come_from_the_arch_tables(tmp_path):
    """-m takes GNU ld's emulation names listed by each backend, and nothing else."""
    gcc = require("aarch64-linux-gnu-gcc")
    src = tmp_path / "s.c"
    src.write_text("void _start(void) { for (;;); }\n")
    obj = tmp_path / "s.o"
    _sh([gcc, "-O2", "-c", str(src), "-o", str(obj)])

    def link(*args):
        return subprocess.run([sys.executable, "-m", "xld.link", *args, "-o", str(tmp_path / "o"), str(obj)],
                              capture_output=True, text=True)
    assert link("-m", "aarch64linux").returncode == 0
    p = link("-m", "elf64lriscv")
    assert p.returncode == 1 and "incompatible with riscv64" in p.stderr
    p = link("-maarch64elfb")
    assert p.returncode == 1 and "unknown emulation: aarch64elfb" in p.stderr


@pytest.mark.parametrize("arch", ARCHES)
def test_gnu_warning_is_given_once_a_symbol(arch, tmp_path, ld_dir):
    """Two objects call gethostbyname in a static link: GNU ld warns once, at the first object
    in input order (BusyBox's link: 6 warnings from GNU ld, 10 from xld before)."""
    gcc = require(f"{TRIPLE[arch]}-gcc")
    (tmp_path / "a.c").write_text('#include <netdb.h>\nvoid *a(void) { return gethostbyname("x"); }\n')
    (tmp_path / "b.c").write_text('#include <netdb.h>\nvoid *a(void);\n'
                                  'void *b(void) { return gethostbyname("y"); }\n'
                                  'int main(void) { return !!a() + !!b(); }\n')
    _sh([gcc, "-c", str(tmp_path / "a.c"), str(tmp_path / "b.c")], cwd=tmp_path)
    for order in (["b.o", "a.o"], ["a.o", "b.o"]):
        objs = [str(tmp_path / o) for o in order]
        gnu = subprocess.run([gcc, "-static", *objs, "-o", str(tmp_path / "g")], capture_output=True, text=True)
        got = subprocess.run([gcc, "-static", "-B", str(ld_dir), *objs, "-o", str(tmp_path / "x")],
                             capture_output=True, text=True)
        assert gnu.returncode == 0 and got.returncode == 0, got.stderr

        def sites(err):
            return [line.split("(.text")[0].rsplit(" ", 1)[-1] for line in err.splitlines()
                    if "Using 'gethostbyname'" in line]
        assert sites(gnu.stderr) == [order[0].replace(".o", ".c") + ":"]
        assert sites(got.stderr) == [objs[0] + ":"]


@pytest.mark.parametrize("arch", ARCHES)
def test_gnu_warning_of_a_shared_library_is_given(arch, tmp_path, ld_dir):
    """libc.so.6 has sections .gnu.warning.mktemp, .gnu.warning.tmpnam ...: GNU ld warns at a
    dynamic program's first use of each (BusyBox's dynamic link: 1 warning, mktemp_main's;
    none from xld before), and not when the program defines the name itself."""
    gcc = require(f"{TRIPLE[arch]}-gcc")
    (tmp_path / "a.c").write_text('#include <stdlib.h>\n#include <stdio.h>\n'
                                  'char *a(char *t) { return mktemp(t); }\n'
                                  'char *b(char *t) { return tmpnam(t) ? mktemp(t) : t; }\n'
                                  'int main(void) { char t[] = "/tmp/xXXXXXX"; return !a(t) + !b(0); }\n')
    (tmp_path / "own.c").write_text('#include <stdio.h>\nchar *tmpnam(char *s) { return s; }\n')
    _sh([gcc, "-c", "-O1", str(tmp_path / "a.c"), str(tmp_path / "own.c")], cwd=tmp_path)

    def warned(err):
        return sorted(line.split("the use of `")[1].split("'")[0] for line in err.splitlines()
                      if "warning: " in line and "the use of `" in line)
    for objs, names in ((["a.o"], ["mktemp", "tmpnam"]), (["a.o", "own.o"], ["mktemp"])):
        paths = [str(tmp_path / o) for o in objs]
        gnu = _sh([gcc, *paths, "-o", str(tmp_path / "g")])
        got = _sh([gcc, "-B", str(ld_dir), *paths, "-o", str(tmp_path / "x")])
        assert warned(gnu.stderr) == names, gnu.stderr
        assert warned(got.stderr) == names, got.stderr
        assert "xld: warning: " + paths[0] + ":(.text" in got.stderr
