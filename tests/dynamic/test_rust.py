"""Rust programs cross-linked by xld as cargo does it (rustc -C linker=<triple>-gcc with
-C link-arg=-B<xld's wrapper dir>), against GNU ld on the same compiler: rlibs with non-ELF
members, --gc-sections, -pie, --as-needed, -z relro/now, --eh-frame-hdr, TLS, panics unwinding
through .eh_frame, threads; a cdylib (rustc's version script) loaded by C, a staticlib linked
into C, and +crt-static. Both outputs run under qemu-user, xld's under `xld run` too: same
output and status; the dynamic sections say the same (docs/build-systems.md#rust).

arm64 only: Debian bookworm, where CI installs rustc, has no Rust std for riscv64."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests import toolchain as tc
from tests.dynamic.util import dynamic

pytestmark = tc.cross_and_qemu()

ARCH = "arm64"
SRC = Path(__file__).parent / "progs" / "rust"
SYSROOT = f"/usr/{tc.TRIPLE[ARCH]}"
PROG_OUT = (b'threads [(0, 7), (1, 8), (2, 9), (3, 10)] main-tl 7\ncaught: true\n'
            b'out of bounds caught: true\nfs: hello file\n'
            b'args ["a", "b"] env [("XLD_RUST_SET", "yes")]\n'
            b'{"a": 3, "b": 2, "c": 1}    3.142 0xff 1.2345e3\n')
LIB_OUT = b"3 7\n3 -1\n30\nrust says 2.500 args %d\n"


def build(tmp: Path, src: str, out: str, flags=()) -> tuple[Path, Path]:
    """``src`` linked by GNU ld and by xld (through gcc -B, as cargo's linker setting does)."""
    rustc = tc.rustc(ARCH)
    wrapper = tc.ld_wrapper_dir(tmp)
    outs = []
    for by, extra in (("gnu", []), ("xld", ["-C", f"link-arg=-B{wrapper}"])):
        exe = tmp / f"{by}-{out}"
        p = tc.run_group([*rustc, "-C", f"linker={tc.TRIPLE[ARCH]}-gcc", "-C", "opt-level=1",
                          *flags, *extra, "-o", str(exe), str(SRC / src)], timeout=300)
        assert p.returncode == 0, p.stderr.decode(errors="replace")
        outs.append(exe)
    assert (wrapper / "called").exists()
    return outs[0], outs[1]


def c_program(tmp: Path, name: str, src: str, args=(), by_xld=False) -> Path:
    exe = tmp / name
    wrapper = [f"-B{tc.ld_wrapper_dir(tmp)}"] if by_xld else []
    p = tc.run_group([tc.require(f"{tc.TRIPLE[ARCH]}-gcc"), *wrapper, "-o", str(exe),
                      str(SRC / src), *map(str, args)], timeout=120)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return exe


def alike(gnu: Path, xld: Path, *, ignore_undefined=frozenset()) -> None:
    ref, got = dynamic(gnu), dynamic(xld)
    for key in ("type", "needed", "flags_1", "textrel", "interp", "imports", "relocs"):
        assert got[key] == ref[key], (key, got[key], ref[key])
    assert got["soname"] == (ref["soname"] and ref["soname"].replace("gnu-", "xld-"))
    # GNU ld lists a libc variable's strong alias too (__environ for environ) though nothing
    # refers to it; with a copy relocation xld lists every alias (docs/build-systems.md#rust)
    assert got["undefined"] <= ref["undefined"] and ref["undefined"] - got["undefined"] <= ignore_undefined
    assert {e[0] for e in got["exports"]} == {e[0] for e in ref["exports"]}


@pytest.mark.parametrize("static", [False, True], ids=["pie", "crt-static"])
def test_rust_program_runs_alike(tmp_path, static):
    gnu, xld = build(tmp_path, "prog.rs", "prog", ["-C", "target-feature=+crt-static"] if static else [])
    where = None if static else SYSROOT
    g = tc.qemu_run(ARCH, gnu, ["a", "b"], sysroot=where)
    q = tc.qemu_run(ARCH, xld, ["a", "b"], sysroot=where)
    e = tc.xld_run(xld, ["a", "b"], timeout=120)
    assert (g.status, g.stdout) == (5, PROG_OUT), g.stderr
    assert (q.status, q.stdout, q.stderr) == (g.status, g.stdout, g.stderr)
    assert (e.status, e.stdout) == (5, PROG_OUT), e.note
    assert b"panicked at 'boom 42'" in e.stderr and b"index out of bounds" in e.stderr
    if not static:
        alike(gnu, xld, ignore_undefined={"__environ"})


def test_rust_cdylib_and_staticlib_in_c(tmp_path):
    gnu_so, xld_so = build(tmp_path, "lib.rs", "librs.so", ["--crate-type", "cdylib"])
    loader = c_program(tmp_path, "dlopen", "dlopen.c", ["-ldl"])
    want = LIB_OUT % 2 + b"std's own symbols hidden: 1\n"
    for lib in (gnu_so, xld_so):
        q = tc.qemu_run(ARCH, loader, [str(lib)], sysroot=SYSROOT)
        assert (q.status, q.stdout) == (7, want), (lib.name, q.stderr)
    e = tc.xld_run(loader, [f"./{xld_so.name}"], timeout=120)     # (the runner's root: tmp_path)
    assert (e.status, e.stdout) == (7, want), e.note
    alike(gnu_so, xld_so)
    assert {e[0] for e in dynamic(xld_so)["exports"]} == {"rs_push", "rs_safe_div", "rs_threads", "rs_fmt"}

    rustc = tc.rustc(ARCH)
    lib_a = tmp_path / "librs.a"
    p = tc.run_group([*rustc, "--crate-type", "staticlib", "-C", "opt-level=1", "-o", str(lib_a),
                      str(SRC / "lib.rs")], timeout=300)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    libs = [lib_a, "-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"]   # rustc's native-static-libs
    gnu = c_program(tmp_path, "use-gnu", "use.c", libs)
    xld = c_program(tmp_path, "use-xld", "use.c", libs, by_xld=True)
    g = tc.qemu_run(ARCH, gnu, sysroot=SYSROOT)
    q = tc.qemu_run(ARCH, xld, sysroot=SYSROOT)
    e = tc.xld_run(xld, timeout=120)
    assert (g.status, g.stdout) == (7, LIB_OUT % 1), g.stderr
    assert (q.status, q.stdout, q.stderr) == (g.status, g.stdout, g.stderr)
    assert (e.status, e.stdout) == (7, LIB_OUT % 1), e.note
    alike(gnu, xld, ignore_undefined={"__environ"})
