"""xld nm / objdump / demo / build_examples.

nm and objdump are checked against GNU binutils on objects compiled at test time and on
executables linked by GNU ld and by xld: same lines for nm, -h and -t; for -d the same
instruction addresses and encodings and the same function labels (the instruction text itself
is capstone's, so it is not compared).
"""
from __future__ import annotations

import contextlib
import io
import re
import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc
from xld.tools import build_examples, demo, nm, objdump

ARCHES = pytest.mark.parametrize("arch", tc.ARCHES)

SAMPLE = r"""
int counter;                       /* bss */
static int hidden_counter;
const int ro = 3;                  /* rodata */
int data = 5;                      /* data */
const char *msg = "hello";
extern int ext(int);
__attribute__((weak)) int wk(void) { return 1; }
extern __attribute__((weak)) int uw(void);
__attribute__((weak)) int wobj = 2;
static int loc(int x) { return x + hidden_counter++; }
int sw(int k) {
    switch (k) { case 0: return 3; case 1: return 9; case 2: return 27; case 3: return 1;
                 case 4: return 5; case 5: return 8; default: return -1; }
}
int main(void) { return ext(loc(1)) + counter + ro + data + sw(data) + (uw ? uw() : 0); }
"""


def gnu(arch: str, tool: str) -> str:
    return tc.require(f"{tc.TRIPLE[arch]}-{tool}")


def capture(fn, argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = fn(argv)
    return status, out.getvalue(), err.getvalue()


def run_gnu(cmd) -> str:
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    """The sample compiled by GCC (and zig cc, when present) for both architectures."""
    root = tmp_path_factory.mktemp("tools")
    src = root / "sample.c"
    src.write_text(SAMPLE)
    cache = {}

    def get(arch, kind="gcc"):
        if (arch, kind) not in cache:
            cc = tc.compiler(kind, arch)
            cache[arch, kind] = cc.compile(src, root / f"sample-{arch}-{kind}.o", ["-O1"])
        return cache[arch, kind]
    return get


@pytest.fixture(scope="module")
def hello_exes(tmp_path_factory):
    """The bundled example linked by GNU ld and by xld."""
    root = tmp_path_factory.mktemp("hello")
    cache = {}

    def get(arch, linker):
        if (arch, linker) not in cache:
            objs = sorted((Path(build_examples.EXAMPLES) / arch).glob("*.o"))
            out = root / f"hello-{arch}-{linker}"
            if linker == "gnu":
                tc.gnu_ld(arch, objs, out)
            else:
                res = tc.xld_link(["--arch", arch, "-static", "-o", out, *objs])
                assert res.status == 0, res.stderr
            cache[arch, linker] = out
        return cache[arch, linker]
    return get


# --- nm ---------------------------------------------------------------------------------------

@ARCHES
@pytest.mark.parametrize("opts", [[], ["-n"], ["-g"], ["-u"], ["--defined-only"]],
                         ids=["default", "numeric", "extern", "undefined", "defined"])
def test_nm_matches_gnu_nm_on_object(arch, opts, objects):
    obj = objects(arch)
    status, out, err = capture(nm.main, [*opts, str(obj)])
    assert status == 0, err
    assert out == run_gnu([gnu(arch, "nm"), *opts, str(obj)])


@ARCHES
def test_nm_letters(arch, objects):
    status, out, _ = capture(nm.main, [str(objects(arch))])
    letters = {line.split()[-1]: line.split()[-2] for line in out.splitlines()}
    assert letters["main"] == "T" and letters["counter"] == "B" and letters["data"] == "D"
    assert letters["ro"] == "R" and letters["ext"] == "U" and letters["uw"] == "w"
    assert letters["wk"] == "W" and letters["wobj"] == "V"
    assert "$x" not in letters and "$d" not in letters


@ARCHES
def test_nm_matches_gnu_nm_on_zig_object(arch, objects):
    obj = objects(arch, "zig")
    status, out, _ = capture(nm.main, [str(obj)])
    assert out == run_gnu([gnu(arch, "nm"), str(obj)])


@ARCHES
@pytest.mark.parametrize("linker", ["gnu", "xld"])
def test_nm_matches_gnu_nm_on_executable(arch, linker, hello_exes):
    exe = hello_exes(arch, linker)
    for opts in ([], ["-n"]):
        status, out, _ = capture(nm.main, [*opts, str(exe)])
        assert status == 0
        assert out == run_gnu([gnu(arch, "nm"), *opts, str(exe)])


@ARCHES
def test_nm_on_xld_output_places_functions_in_text(arch, hello_exes):
    from elftools.elf.elffile import ELFFile
    exe = hello_exes(arch, "xld")
    _, out, _ = capture(nm.main, ["-n", str(exe)])
    syms = {}
    for line in out.splitlines():
        addr, letter, name = line.split()
        syms[name] = (int(addr, 16), letter)
    with open(exe, "rb") as f:
        text = ELFFile(f).get_section_by_name(".text")
        lo, hi = text["sh_addr"], text["sh_addr"] + text["sh_size"]
    for fn in ("_start", "main", "put", "put_line", "put_num", "sys_exit"):
        addr, letter = syms[fn]
        assert letter in "Tt" and lo <= addr < hi, (fn, hex(addr))
    assert syms["lines_written"][1] == "B"


def test_nm_archive_and_several_files(tmp_path, objects):
    arch = "riscv64"
    obj = objects(arch)
    lib = tmp_path / "libs.a"
    subprocess.run([gnu(arch, "ar"), "rcs", str(lib), str(obj)], check=True)
    for args in ([str(lib)], [str(obj), str(obj)]):
        status, out, _ = capture(nm.main, args)
        assert status == 0
        assert out == run_gnu([gnu(arch, "nm"), *args])


def test_nm_missing_and_bad_files(tmp_path):
    junk = tmp_path / "junk"
    junk.write_text("not elf")
    status, out, err = capture(nm.main, [str(tmp_path / "nosuch"), str(junk)])
    assert status == 1
    assert "nosuch" in err and "No such file" in err
    assert "junk" in err and "not recognized" in err


# --- objdump ----------------------------------------------------------------------------------

@ARCHES
@pytest.mark.parametrize("opt", ["-h", "-t"])
def test_objdump_headers_and_symbols_match_gnu(arch, opt, objects, hello_exes):
    for f in (objects(arch), hello_exes(arch, "gnu"), hello_exes(arch, "xld")):
        status, out, err = capture(objdump.main, [opt, str(f)])
        assert status == 0, err
        assert out == run_gnu([gnu(arch, "objdump"), opt, str(f)]), f


INSN = re.compile(r"^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*\t")
LABEL = re.compile(r"^([0-9a-f]{16}) <(.+)>:$")


def listing(text: str):
    """(labels, [(address, encoding)]) of an objdump -d listing."""
    labels, insns = [], []
    for line in text.splitlines():
        if m := LABEL.match(line):
            labels.append((int(m.group(1), 16), m.group(2)))
        elif m := INSN.match(line):
            insns.append((int(m.group(1), 16), m.group(2).replace(" ", "")))
    return labels, insns


@ARCHES
def test_objdump_disassembly_follows_gnu(arch, objects, hello_exes):
    for f in (objects(arch), objects(arch, "zig"), hello_exes(arch, "xld")):
        status, out, err = capture(objdump.main, ["-d", str(f)])
        assert status == 0, err
        ours = listing(out)
        theirs = listing(run_gnu([gnu(arch, "objdump"), "-d", str(f)]))
        assert ours[1] == theirs[1], f"{f}: instruction addresses/encodings differ"
        functions = {name for _, name in theirs[0] if not name.startswith(".L")}
        assert functions <= {name for _, name in ours[0]}, f
        assert "(bad)" not in out and "undefined" not in out


def test_objdump_riscv_compressed_and_branch_targets(objects, hello_exes):
    _, out, _ = capture(objdump.main, ["-d", str(hello_exes("riscv64", "xld"))])
    enc = [e for _, e in listing(out)[1]]
    assert any(len(e) == 4 for e in enc), "no compressed instruction shown as 16 bits"
    assert re.search(r"\tc\.", out), "no compressed mnemonic"
    assert re.search(r"<main>:", out)
    # calls are `jal` (relaxed) or `auipc`+`jalr`, labelled like GNU objdump does
    assert re.search(r"jalr?\t.*<(put|put_line|put_num|sys_exit|main)>", out), out
    # lines_written through an auipc pair, or gp-relative once relaxed
    assert re.search(r"\t(addi|ld|lw|sd|sw)\t.*# 0x[0-9a-f]+ <lines_written>", out), out


def test_objdump_arm64_call_targets_are_labelled(hello_exes):
    _, out, _ = capture(objdump.main, ["-d", str(hello_exes("arm64", "xld"))])
    assert re.search(r"\tbl\t#0x[0-9a-f]+ <main>", out), out
    assert re.search(r"\tbl\t#0x[0-9a-f]+ <put_line>", out), out


@ARCHES
def test_objdump_relocations(arch, objects):
    obj = str(objects(arch))
    status, out, _ = capture(objdump.main, ["-r", obj])
    assert status == 0
    assert "RELOCATION RECORDS FOR [.text]:" in out
    call = "R_AARCH64_CALL26" if arch == "arm64" else "R_RISCV_CALL_PLT"
    assert re.search(rf"^[0-9a-f]{{16}} {call}\s+ext$", out, re.M), out
    _, dr, _ = capture(objdump.main, ["-d", "-r", obj])
    assert re.search(rf"^\t\t\t\s*[0-9a-f]+: {call}\text$", dr, re.M), dr


def test_objdump_needs_an_option_and_reports_bad_files(tmp_path):
    status, _, err = capture(objdump.main, [str(tmp_path / "x")])
    assert status == 2 and "-d" in err
    status, _, err = capture(objdump.main, ["-h", str(tmp_path / "nosuch")])
    assert status == 1 and "nosuch" in err


# --- the xld command dispatches to the tools ------------------------------------------------

def test_xld_nm_and_objdump_subcommands(hello_exes):
    exe = hello_exes("arm64", "xld")
    p = tc.xld_cli(["nm", exe])
    assert p.returncode == 0 and re.search(r"^[0-9a-f]{16} T main$", p.stdout, re.M), p.stderr
    p = tc.xld_cli(["objdump", "-d", exe])
    assert p.returncode == 0 and "<_start>:" in p.stdout, p.stderr


# --- demo and the bundled example -----------------------------------------------------------

def test_bundled_objects_are_package_data():
    for arch in tc.ARCHES:
        names = sorted(e.name for e in demo.bundled_objects(arch))
        assert names == ["io.o", "main.o", "ops.o", "start.o"], (arch, names)


def test_demo_links_and_runs_both_arches():
    status, out, err = capture(demo.main, [])
    assert status == 0, out + err
    for arch in tc.ARCHES:
        assert f"Hello from a program linked by xld ({arch})!" in out
        assert f"[{arch}] exit status 0" in out
    assert "pow: 7 ^ 3 = 343" in out and "fib(20) = 6765" in out
    assert "lines written before this one: 7" in out


@ARCHES
def test_bundled_example_matches_gnu_ld_under_qemu(arch, hello_exes):
    ref = tc.qemu_run(arch, hello_exes(arch, "gnu"), ["x"])
    got = tc.qemu_run(arch, hello_exes(arch, "xld"), ["x"])
    assert ref.status == 0 and (got.status, got.stdout) == (ref.status, ref.stdout)


def test_bundled_objects_are_up_to_date():
    for arch in tc.ARCHES:
        tc.require(f"{tc.TRIPLE[arch]}-gcc")
    status, out, err = capture(build_examples.main, ["--check"])
    assert status == 0, out + err + "\nrun: python -m xld.tools.build_examples"


# --- the shared toolchain helpers -----------------------------------------------------------

def test_missing_tool_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.setattr(tc, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="no-such-tool"):
        tc.require("no-such-tool-xld-test")
    monkeypatch.setattr(tc, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="no-such-tool"):
        tc.require("no-such-tool-xld-test")


COMMONS = ('int counter; long arr[10]; static int unused_x __attribute__((used));\n'
           '__attribute__((visibility("hidden"))) int hid = 1;\n'
           'int main(void) { return counter + hid + (int)arr[2]; }\n')


@ARCHES
def test_common_and_hidden_symbols_match_binutils(arch, tmp_path):
    src = tmp_path / "com.c"
    src.write_text(COMMONS)
    obj = tc.compiler("gcc", arch).compile(src, tmp_path / "com.o", ["-O1", "-fcommon"])
    assert capture(nm.main, [str(obj)])[1] == run_gnu([gnu(arch, "nm"), str(obj)])
    assert capture(objdump.main, ["-t", str(obj)])[1] == run_gnu([gnu(arch, "objdump"), "-t",
                                                                  str(obj)])


@ARCHES
def test_objdump_disassembly_of_static_glibc_matches_gnu(arch, tmp_path):
    """A whole static glibc executable (GNU ld's): the same ~90k instructions at the same
    addresses, zero padding skipped the same way, and the same labels."""
    src = tmp_path / "hello.c"
    src.write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
    exe = tmp_path / "hello"
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-gcc"), "-O2", "-static", str(src), "-o",
                    str(exe)], check=True)
    status, out, _ = capture(objdump.main, ["-d", str(exe)])
    assert status == 0
    ours = listing(out)
    theirs = listing(run_gnu([gnu(arch, "objdump"), "-d", str(exe)]))
    assert ours[1] == theirs[1]
    # the same symbol chosen among aliases at every address (GNU also labels .plt itself)
    assert ours[0] == [lab for lab in theirs[0] if lab[1] != ".plt"]


def test_xld_demo_command(tmp_path):
    """`xld demo` as users run it, keeping the executables it linked."""
    p = tc.xld_cli(["demo", "--keep", str(tmp_path)])
    assert p.returncode == 0, p.stdout + p.stderr
    assert "demo ok" in p.stdout
    for arch in tc.ARCHES:
        exe = tmp_path / f"hello-{arch}"
        assert exe.exists()
        assert tc.qemu_run(arch, exe, ["x"]).status == 0


# --- xld --help and the ld wrapper ------------------------------------------------------------

def test_help_lists_the_subcommands():
    p = tc.xld_cli(["--help"])
    assert p.returncode == 0
    from xld.link.cli import SUBCOMMANDS
    for sub in SUBCOMMANDS:
        assert f"xld {sub}" in p.stdout, sub


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_install_ld_wrapper_works_outside_the_virtual_environment(arch, tmp_path):
    """``xld install-ld-wrapper DIR``: DIR/ld names the interpreter by its absolute path, so gcc
    -B DIR links with xld from a shell whose PATH has no xld (the README's recipe)."""
    gcc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    p = tc.xld_cli(["install-ld-wrapper", tmp_path / "bin"])
    assert p.returncode == 0 and p.stdout.strip() == str(tmp_path / "bin" / "ld"), p.stderr
    (tmp_path / "hello.c").write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 3; }\n')
    env = {"PATH": "/usr/bin:/bin"}
    # --why-live is xld's (and lld's): GNU ld would refuse it
    q = subprocess.run([gcc, "-static", "-B", tmp_path / "bin", "-Wl,--gc-sections,--why-live=main", "hello.c",
                        "-o", "hello"], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert q.returncode == 0 and "main" in q.stdout + q.stderr, q.stderr
    r = tc.qemu_run(arch, tmp_path / "hello")
    assert r.status == 3 and r.stdout == b"hi\n"
    assert tc.xld_cli(["install-ld-wrapper"]).returncode == 1
