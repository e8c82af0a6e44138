"""Link-time optimization through xld (link/lto.py): ``gcc -flto -B DIR`` (lto-wrapper) and
``clang -flto -B DIR`` (llvm-lto2).

IR objects named on the command line and taken from an archive (gcc-ar, llvm-ar), beside
ordinary objects; C and C++ (templates, exceptions); dynamic and static; LLVM's full and thin
LTO.  The oracle is GNU ld with the compiler's plugin on the same objects: the same program
output under qemu-user (or the same refusal).  The output holds no IR, and the temporary
objects the compiler made are gone after the link.
"""
from __future__ import annotations

import os
import subprocess

import pytest

from tests import toolchain as tc

MAIN = r"""
#include <stdio.h>
int scale(int x);            /* util.c, in an LTO archive */
int plain(int x);            /* plain.c, compiled without -flto */
static int counter;
int bump(void) { return ++counter; }
int main(int argc, char **argv)
{
    int s = 0;
    for (int i = 0; i < 5; i++)
        s += scale(i + argc) + plain(i);
    printf("%d %d\n", s, bump());
    return 0;
}
"""
UTIL = r"""
int bump(void);
int scale(int x) { return x * 3 + bump(); }
int unused_in_archive(int x) { return x - 1; }
"""
PLAIN = r"""
int plain(int x) { return x ^ 5; }
"""
CXX_MAIN = r"""
#include <cstdio>
#include <stdexcept>
#include <vector>
template <class T> T total(const std::vector<T> &v) { T s{}; for (auto x : v) s += x; return s; }
int check(int x);
int main()
{
    std::vector<int> v{1, 2, 3, 4};
    try {
        check(total(v));
    } catch (const std::exception &e) {
        std::printf("caught %s %d\n", e.what(), total(v));
    }
    return 0;
}
"""
CXX_CHECK = r"""
#include <stdexcept>
int check(int x) { if (x > 5) throw std::runtime_error("big"); return x; }
"""


def _gcc(arch: str, cxx: bool = False) -> str:
    return tc.require(f"{tc.TRIPLE[arch]}-{'g++' if cxx else 'gcc'}")


def _compile(arch, d, name, src, flags, cxx=False):
    path = d / f"{name}.{'cc' if cxx else 'c'}"
    path.write_text(src)
    obj = d / f"{name}.o"
    subprocess.run([_gcc(arch, cxx), "-O2", *flags, "-c", str(path), "-o", str(obj)], check=True)
    return obj


@pytest.fixture(scope="module", params=["arm64", "riscv64"])
def c_objs(request, tmp_path_factory):
    arch = request.param
    d = tmp_path_factory.mktemp(f"lto-{arch}")
    main = _compile(arch, d, "main", MAIN, ["-flto"])
    util = _compile(arch, d, "util", UTIL, ["-flto"])
    plain = _compile(arch, d, "plain", PLAIN, [])
    lib = d / "libutil.a"
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-gcc-ar"), "rcs", str(lib), str(util)], check=True)
    return arch, d, [main, plain, "-L", str(d), "-lutil"]


def _link_and_run(arch, driver, args, out, tmp_path, xld: bool):
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir(exist_ok=True)
    wrap = ["-B", str(tc.ld_wrapper_dir(tmp_path))] if xld else []
    p = subprocess.run([driver, *wrap, "-O2", "-flto", *map(str, args), "-o", str(out)],
                       capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    return tc.qemu_run(arch, out, sysroot=f"/usr/{tc.TRIPLE[arch]}")


def _sections(path):
    from elftools.elf.elffile import ELFFile
    with open(path, "rb") as f:
        return [s.name for s in ELFFile(f).iter_sections()]


@pytest.mark.parametrize("mode", [[], ["-static"]], ids=["dynamic", "static"])
def test_c_program_like_gnu_ld(c_objs, mode, tmp_path):
    arch, _, args = c_objs
    want = _link_and_run(arch, _gcc(arch), [*mode, *args], tmp_path / "gnu", tmp_path, xld=False)
    got = _link_and_run(arch, _gcc(arch), [*mode, *args], tmp_path / "xld", tmp_path, xld=True)
    assert (tmp_path / "xld-as-ld" / "called").exists()
    assert got.status == want.status == 0, got.summary()
    assert got.stdout == want.stdout == b"83 6\n"
    assert not any(n.startswith(".gnu.lto_") for n in _sections(tmp_path / "xld"))
    assert sorted(os.listdir(tmp_path / "tmp")) == [], "temporary files left behind"


def test_cxx_program_like_gnu_ld(tmp_path):
    arch = "arm64"
    objs = [_compile(arch, tmp_path, n, s, ["-flto"], cxx=True)
            for n, s in (("main", CXX_MAIN), ("check", CXX_CHECK))]
    want = _link_and_run(arch, _gcc(arch, True), ["-static", *objs], tmp_path / "gnu", tmp_path, xld=False)
    got = _link_and_run(arch, _gcc(arch, True), ["-static", *objs], tmp_path / "xld", tmp_path, xld=True)
    assert got.status == want.status == 0 and got.stdout == want.stdout == b"caught big 10\n"


def test_without_the_gcc_driver_is_a_clear_error(c_objs, tmp_path):
    """xld called directly has no lto-wrapper (gcc gives it): an error that says what to do."""
    arch, d, _ = c_objs
    out = tmp_path / "out"
    p = tc.xld_cli(["--arch", arch, "-o", out, d / "main.o", d / "plain.o"])
    assert p.returncode == 1 and "is a GCC LTO object" in p.stderr and "gcc driver" in p.stderr
    assert "Traceback" not in p.stderr and not out.exists()


def test_relocatable_link_of_ir_is_refused(c_objs, tmp_path):
    arch, d, _ = c_objs
    p = subprocess.run([_gcc(arch), "-B", str(tc.ld_wrapper_dir(tmp_path)), "-flto", "-r", "-nostdlib",
                        str(d / "main.o"), str(d / "plain.o"), "-o", str(tmp_path / "r.o")],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "-r with LTO objects is not supported" in p.stderr
    assert not (tmp_path / "r.o").exists()


# --- LLVM (clang -flto) ----------------------------------------------------------------------

CLANG = "clang-14"


def _clang_compile(arch, d, name, src, flags):
    path = d / f"{name}.c"
    path.write_text(src)
    obj = d / f"{name}.o"
    subprocess.run([tc.require(CLANG), f"--target={tc.TRIPLE[arch]}", "-O2", *flags, "-c", str(path),
                    "-o", str(obj)], check=True)
    return obj


@pytest.fixture(scope="module", params=["full", "thin"])
def bitcode(request, tmp_path_factory):
    d = tmp_path_factory.mktemp(f"llvm-{request.param}")
    flto = "-flto" if request.param == "full" else "-flto=thin"
    main = _clang_compile("arm64", d, "main", MAIN, [flto])
    util = _clang_compile("arm64", d, "util", UTIL, [flto])
    plain = _clang_compile("arm64", d, "plain", PLAIN, [])
    lib = d / "libutil.a"
    subprocess.run([tc.require("llvm-ar-14"), "rcs", str(lib), str(util)], check=True)
    return flto, [main, plain, "-L", str(d), "-lutil"]


@pytest.mark.parametrize("mode", [[], ["-static"]], ids=["dynamic", "static"])
def test_clang_program_like_gnu_ld(bitcode, mode, tmp_path):
    flto, args = bitcode
    arch = "arm64"
    outs = []
    for name, xld in (("gnu", False), ("xld", True)):
        env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"))
        (tmp_path / "tmp").mkdir(exist_ok=True)
        wrap = ["-B", str(tc.ld_wrapper_dir(tmp_path))] if xld else []
        p = subprocess.run([tc.require(CLANG), f"--target={tc.TRIPLE[arch]}", *wrap, "-O2", flto, *mode,
                            *map(str, args), "-o", str(tmp_path / name)], capture_output=True, text=True, env=env)
        assert p.returncode == 0, p.stderr
        outs.append(tc.qemu_run(arch, tmp_path / name, sysroot=f"/usr/{tc.TRIPLE[arch]}"))
    assert (tmp_path / "xld-as-ld" / "called").exists()
    assert outs[1].status == outs[0].status == 0, outs[1].summary()
    assert outs[1].stdout == outs[0].stdout == b"83 6\n"
    assert not any(n.startswith(".llvm") for n in _sections(tmp_path / "xld") if n != ".llvm_addrsig")
    assert sorted(os.listdir(tmp_path / "tmp")) == [], "temporary files left behind"


def test_mllvm_reaches_llvm_lto2(bitcode, tmp_path):
    """-mllvm OPT (lld's option) goes to LLVM's code generator with the IR: a valid option
    links and runs, an unknown one is LLVM's error; without IR it changes nothing, as in lld."""
    flto, args = bitcode
    arch = "arm64"
    base = [tc.require(CLANG), f"--target={tc.TRIPLE[arch]}", "-B", str(tc.ld_wrapper_dir(tmp_path)), "-O2", flto]
    p = subprocess.run([*base, "-Wl,-mllvm,-inline-threshold=0", *map(str, args), "-o", str(tmp_path / "ok")],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    got = tc.qemu_run(arch, tmp_path / "ok", sysroot=f"/usr/{tc.TRIPLE[arch]}")
    assert (got.status, got.stdout) == (0, b"83 6\n"), got.summary()
    p = subprocess.run([*base, "-Wl,-mllvm,-no-such-llvm-option", *map(str, args), "-o", str(tmp_path / "bad")],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "no-such-llvm-option" in p.stderr and "llvm-lto2 failed" in p.stderr
    assert not (tmp_path / "bad").exists()
    plain = _clang_compile(arch, tmp_path, "p", PLAIN + "int main(void) { return 0; }\n", [])
    outs = [tmp_path / "p1", tmp_path / "p2"]
    for out, extra in zip(outs, ([], ["-mllvm", "-no-such-llvm-option"])):
        r = tc.xld_cli(["-static", *extra, "-e", "main", "-o", out, plain])
        assert r.returncode == 0, r.stderr
    assert outs[0].read_bytes() == outs[1].read_bytes()


def test_clang_riscv64_links_where_gnu_ld_cannot(tmp_path):
    """clang 14's LTO code generator makes soft-float RISC-V objects unless told the ABI (clang
    does not pass it to the plugin): GNU ld refuses to mix them with the double-float C
    library. xld asks llvm-lto2 for the ABI of the link's other objects (the architecture's
    ``lto_options`` hook): the program links and runs."""
    arch = "riscv64"
    objs = [_clang_compile(arch, tmp_path, n, s, ["-flto"]) for n, s in (("main", MAIN), ("plain", PLAIN))]
    util = _clang_compile(arch, tmp_path, "util", UTIL, ["-flto"])
    cmd = [tc.require(CLANG), f"--target={tc.TRIPLE[arch]}", "-O2", "-flto", *map(str, objs), str(util)]
    gnu = subprocess.run([*cmd, "-o", str(tmp_path / "gnu")], capture_output=True, text=True)
    assert gnu.returncode != 0 and "soft-float" in gnu.stderr
    ours = subprocess.run([*cmd[:1], "-B", str(tc.ld_wrapper_dir(tmp_path)), *cmd[1:], "-o", str(tmp_path / "xld")],
                          capture_output=True, text=True)
    assert ours.returncode == 0, ours.stderr
    res = tc.qemu_run(arch, tmp_path / "xld", sysroot=f"/usr/{tc.TRIPLE[arch]}")
    assert res.status == 0 and res.stdout == b"83 6\n", res.summary()


def test_bitcode_errors(tmp_path):
    """Bitcode without clang's plugin options, and with a plugin whose llvm-lto2 is missing."""
    obj = _clang_compile("arm64", tmp_path, "main", MAIN, ["-flto"])
    out = tmp_path / "out"
    p = tc.xld_cli(["--arch", "arm64", "-o", out, obj])
    assert p.returncode == 1 and "is an LLVM bitcode (LTO) file: link it through clang" in p.stderr
    fake = tmp_path / "llvm" / "lib"
    fake.mkdir(parents=True)
    (fake / "LLVMgold.so").write_bytes(b"")
    p = tc.xld_cli(["--arch", "arm64", "-plugin", fake / "LLVMgold.so", "-o", out, obj])
    assert p.returncode == 1 and "install LLVM's tools (llvm-lto2)" in p.stderr
    p = tc.xld_cli(["--arch", "arm64", "-plugin", "/usr/lib/llvm-14/lib/LLVMgold.so",
                    "-plugin-opt=sample-profile=x.prof", "-o", out, obj])
    assert p.returncode == 1 and "-plugin-opt=sample-profile=x.prof is not supported" in p.stderr
    assert "Traceback" not in p.stderr and not out.exists()
def test_ir_archive_under_whole_archive(c_objs, tmp_path):
    """--whole-archive loads the IR archive's members again in the link made after lto-wrapper
    ran: they were compiled already, and compiling them twice was 'f has already been defined'."""
    arch, d, _ = c_objs
    args = [d / "main.o", d / "plain.o", "-Wl,--whole-archive", d / "libutil.a", "-Wl,--no-whole-archive"]
    want = _link_and_run(arch, _gcc(arch), args, tmp_path / "gnu", tmp_path, xld=False)
    got = _link_and_run(arch, _gcc(arch), args, tmp_path / "xld", tmp_path, xld=True)
    assert got.status == want.status == 0 and got.stdout == want.stdout == b"83 6\n"
    assert sorted(os.listdir(tmp_path / "tmp")) == [], "temporary files left behind"


def test_failing_lto_compile_leaves_no_temporary_files(c_objs, tmp_path):
    """lto-wrapper failing on IR from an archive (here: asm the assembler rejects, seen only
    when the IR is compiled; -u keeps the function, which nothing calls) is an error with
    lto-wrapper's diagnostics; the copies of the archive members xld made for it were left
    in TMPDIR."""
    arch, d, _ = c_objs
    dup = _compile(arch, tmp_path, "dup", 'void broken(void) { __asm__("no_such_instruction"); }\n', ["-flto"])
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    out = tmp_path / "out"
    p = subprocess.run([_gcc(arch), "-B", str(tc.ld_wrapper_dir(tmp_path)), "-O2", "-flto", str(d / "main.o"),
                        str(d / "plain.o"), str(dup), "-Wl,-u,broken", "-Wl,--whole-archive", str(d / "libutil.a"),
                        "-Wl,--no-whole-archive", "-o", str(out)], capture_output=True, text=True, env=env)
    assert p.returncode != 0 and "xld: error: lto-wrapper failed" in p.stderr, p.stderr
    assert "Traceback" not in p.stderr and not out.exists()
    assert sorted(os.listdir(tmp_path / "tmp")) == [], "temporary files left behind"


def test_jobs_under_makes_jobserver(c_objs, tmp_path):
    """Run from make -j2 with -flto=jobserver, lto-wrapper compiles as make's jobs: it gets the
    jobserver's pipe, as under GNU ld (Python closed it: 'jobserver is not available', and the
    compiles ran one after another).  A fresh xld process: a served link has not the pipe."""
    arch, d, args = c_objs
    tc.require("make")
    wrap = tc.ld_wrapper_dir(tmp_path)
    cmd = " ".join(map(str, [_gcc(arch), "-B", wrap, "-O2", "-flto=jobserver", "-flto-partition=1to1", *args,
                             "-o", tmp_path / "xld"]))
    (tmp_path / "Makefile").write_text(f"all:\n\t+{cmd}\n")
    env = dict(os.environ, XLD_SERVER="0")
    p = subprocess.run(["make", "-s", "-j2", "-C", str(tmp_path)], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    assert "jobserver is not available" not in p.stderr
    got = tc.qemu_run(arch, tmp_path / "xld", sysroot=f"/usr/{tc.TRIPLE[arch]}")
    assert got.status == 0 and got.stdout == b"83 6\n"


def test_messages_of_the_first_round_once(c_objs, tmp_path):
    """What resolution of the IR finds is said once: a duplicate definition (IR and plain)
    stops the link before lto-wrapper runs, as with GNU ld (it was reported, the IR compiled
    anyway, and reported again by the second round); a warning about the plain objects is not
    repeated by the second round."""
    arch, d, _ = c_objs
    dup = _compile(arch, tmp_path, "dup", "int plain(int x) { return x; }\n", [])
    c1 = _compile(arch, tmp_path, "c1", "int shared_c;\n", ["-fcommon"])
    c2 = _compile(arch, tmp_path, "c2", "long shared_c;\n", ["-fcommon"])
    wrap = ["-B", str(tc.ld_wrapper_dir(tmp_path))]
    out = tmp_path / "out"
    p = subprocess.run([_gcc(arch), *wrap, "-flto", str(d / "main.o"), str(d / "plain.o"), str(dup),
                        "-L", str(d), "-lutil", "-o", str(out)], capture_output=True, text=True)
    assert p.returncode != 0 and p.stderr.count("duplicate symbol: plain") == 1, p.stderr
    assert "lto-wrapper" not in p.stderr and not out.exists()
    p = subprocess.run([_gcc(arch), *wrap, "-flto", "-Wl,--warn-common", str(c1), str(c2), str(d / "main.o"),
                        str(d / "plain.o"), "-L", str(d), "-lutil", "-o", str(out)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stderr.count("xld: warning: multiple common of shared_c") == 1, p.stderr


def test_input_of_a_linker_script(c_objs, tmp_path):
    """A -T script's INPUT(...) joins the inputs where -T is; the link made after lto-wrapper
    ran read the script again and had its objects twice ('duplicate symbol: plain')."""
    arch, d, _ = c_objs
    script = tmp_path / "in.lds"
    script.write_text(f"INPUT({d / 'plain.o'})\n")
    got = _link_and_run(arch, _gcc(arch), [d / "main.o", f"-Wl,-T,{script}", "-L", d, "-lutil"],
                        tmp_path / "xld", tmp_path, xld=True)
    assert got.status == 0 and got.stdout == b"83 6\n", got.summary()


def test_ir_objects_between_start_lib_and_end_lib(c_objs, tmp_path):
    """--start-lib/--end-lib (lld, gold): an IR object there is loaded for what its IR
    defines; its ELF symbols name only __gnu_lto_slim, and 'scale' was left undefined."""
    arch, d, _ = c_objs
    args = [d / "main.o", d / "plain.o", "-Wl,--start-lib", d / "util.o", "-Wl,--end-lib"]
    got = _link_and_run(arch, _gcc(arch), args, tmp_path / "xld", tmp_path, xld=True)
    assert got.status == 0 and got.stdout == b"83 6\n", got.summary()


UNUSED_WRAP = r"""
#include <stdio.h>
#include <stdlib.h>
void *__real_malloc(size_t);
void *__wrap_malloc(size_t n) { printf("wrapped %zu\n", n); return __real_malloc(n); }
int other(int);
int main(int c, char **v) { char *volatile p = malloc(24 + c); free(p); printf("%d\n", other(c)); return 0; }
"""
OTHER = r"""
int other(int x) { return x + 100; }
int unused_func(int x) { return x - 1; }
"""


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_what_only_ir_sees_may_go(tmp_path, compiler):
    """The compiler is told which definitions nothing outside the IR sees (GCC: a resolution
    file's PREVAILING_DEF_IRONLY; LLVM: no 'x'), as GNU ld's plugins tell it: an unused
    __wrap_malloc that calls an undefined __real_malloc goes away and the link succeeds
    (with every global kept, it failed: undefined symbol __real_malloc), an unused function
    is dropped, as with GNU ld; with --wrap=malloc both keep and use the wrapper."""
    arch = "arm64"
    if compiler == "gcc":
        objs = [_compile(arch, tmp_path, n, s, ["-flto"]) for n, s in (("w", UNUSED_WRAP), ("o", OTHER))]
        cmd = [_gcc(arch), "-O2", "-flto"]
    else:
        objs = [_clang_compile(arch, tmp_path, n, s, ["-flto"]) for n, s in (("w", UNUSED_WRAP), ("o", OTHER))]
        cmd = [tc.require(CLANG), f"--target={tc.TRIPLE[arch]}", "-O2", "-flto"]
    wrap = ["-B", str(tc.ld_wrapper_dir(tmp_path))]
    sysroot = f"/usr/{tc.TRIPLE[arch]}"
    for extra, want in (([], b"101\n"), (["-Wl,--wrap=malloc"], b"wrapped 25\n101\n")):
        outs = {}
        for name, use in (("gnu", []), ("xld", wrap)):
            exe = tmp_path / f"{name}{len(extra)}"
            p = subprocess.run([*cmd, *use, *map(str, objs), *extra, "-o", str(exe)], capture_output=True, text=True)
            assert p.returncode == 0, p.stderr
            res = tc.qemu_run(arch, exe, sysroot=sysroot)
            assert res.status == 0 and res.stdout == want, (name, res.summary())
            from elftools.elf.elffile import ELFFile
            with open(exe, "rb") as f:
                outs[name] = {s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()}
        assert ("unused_func" in outs["xld"]) == ("unused_func" in outs["gnu"])


SELF_CALL = r"""
#include <stddef.h>
int hook(void) { return 41; }
char dst[64], src[64] = "hello";
int main(int argc, char **argv) { __builtin_memcpy(dst, src, (size_t)argc + 8); return dst[0]; }
"""
MY_MEMCPY = r"""
#include <stddef.h>
int hook(void);
void *memcpy(void *d, const void *s, size_t n)
{
    char *a = d; const char *b = s;
    while (n--) *a++ = *b++;
    ((char *)d)[0] = (char)hook();
    return d;
}
"""


def test_a_definition_a_later_round_sees_is_compiled_again(tmp_path):
    """hook() is defined in IR and called only by a memcpy from an archive, which the link
    needs only once the compiler has turned __builtin_memcpy into a call: the first round
    sees nothing outside the IR naming hook and the compiler may drop it; the second round
    reads the archive member that names it, and xld compiles again telling the compiler so
    (as the program means it: the exit status of the link without -flto, 41)."""
    arch = "arm64"
    main = _compile(arch, tmp_path, "main", SELF_CALL, ["-flto"])
    plain = _compile(arch, tmp_path, "main_plain", SELF_CALL, [])
    mc = _compile(arch, tmp_path, "mc", MY_MEMCPY, ["-fno-builtin"])
    lib = tmp_path / "libmc.a"
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ar"), "rcs", str(lib), str(mc)], check=True)
    sysroot = f"/usr/{tc.TRIPLE[arch]}"
    ref = tmp_path / "ref"
    subprocess.run([_gcc(arch), "-O2", str(plain), "-L", str(tmp_path), "-lmc", "-o", str(ref)], check=True)
    assert tc.qemu_run(arch, ref, sysroot=sysroot).status == 41
    exe = tmp_path / "xld"
    p = subprocess.run([_gcc(arch), "-B", str(tc.ld_wrapper_dir(tmp_path)), "-O2", "-flto", str(main),
                        "-L", str(tmp_path), "-lmc", "-o", str(exe)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert tc.qemu_run(arch, exe, sysroot=sysroot).status == 41
