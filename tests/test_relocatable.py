"""-r / --relocatable: objects merged by xld into one ET_REL object, then final-linked by GNU ld
and by xld; the programs must do what the originals linked by GNU ld do.  GNU ld -r of the same
inputs is the reference for the merged object's shape (section names, relocation counts).

- C, freestanding (the e2e programs with their own _start): COMDAT groups, TLS, weak symbols,
  tables, commons, DWARF, -ffunction-sections, an archive member pulled by the merge;
- C++ with libstdc++ (through the compiler driver): exceptions thrown in one merged object and
  caught in another, a template instantiated (COMDAT) in both;
- --gc-sections with roots (-e, -u): what GNU ld -r keeps (ctors, retained sections, live
  COMDAT groups), and no output without a defined root;
- clang's address-significance table (.llvm_addrsig) renumbered into the output, so lld
  --icf=safe folds what it folds in the original objects;
- the refusals: -r with -shared, -pie.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc

PROGS = Path(__file__).parent / "e2e" / "progs"


def readelf(arch: str, *args) -> str:
    tool = tc.require(f"{tc.TRIPLE[arch]}-readelf")
    return subprocess.run([tool, "-W", *args], capture_output=True, text=True, check=True).stdout


def section_names(arch: str, obj: Path) -> list[str]:
    out = readelf(arch, "-S", str(obj))
    return sorted(m.group(1) for m in re.finditer(r"^\s*\[\s*\d+\]\s+(\S+)\s", out, re.M)
                  if m.group(1) not in ("NULL",))


def reloc_counts(arch: str, obj: Path) -> dict[str, int]:
    """Per relocation section: the relocations that do something (GNU ld -r leaves R_*_NONE
    in place of the .eh_frame records it drops; xld removes them)."""
    counts: dict[str, int] = {}
    cur = None
    for line in readelf(arch, "-r", str(obj)).splitlines():
        m = re.match(r"Relocation section '([^']+)'", line)
        if m:
            cur = m.group(1)
            counts[cur] = 0
        elif cur and re.match(r"^[0-9a-f]{16}\s", line) and "_NONE" not in line:
            counts[cur] += 1
    return counts


def groups(arch: str, obj: Path) -> list[str]:
    return sorted(re.findall(r"COMDAT group section \[\s*\d+\] `\.group' \[([^\]]+)\]",
                             readelf(arch, "-g", str(obj))))


def xld_r(objs, out: Path, extra=()) -> None:
    res = tc.xld_link(["-r", *extra, "-o", out, *objs])
    assert res.status == 0, res.stderr
    assert out.exists()


# -- C, freestanding ---------------------------------------------------------------------------

C_CASES = {
    "comdat-O2-g": ("comdat", ["-O2", "-g"]),
    "tls-sections": ("tls", ["-O2", "-ffunction-sections", "-fdata-sections"]),
    "weak-common": ("weak", ["-O1", "-fcommon"]),
    "tables-O0": ("tables", ["-O0", "-g"]),
}


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("case", sorted(C_CASES))
def test_partial_link_c(case, arch, tmp_path):
    prog, flags = C_CASES[case]
    cc = tc.compiler("gcc", arch)
    sources = sorted((PROGS / "common").glob("*.c")) + sorted((PROGS / prog).glob("*.c"))
    objs = cc.compile_many(sources, tmp_path / "obj", flags)
    start = [o for o in objs if o.name == "common_start.o"]
    rest = [o for o in objs if o.name != "common_start.o"]
    # the runtime (rt.c) goes into an archive: the merge pulls it because the program calls it
    assert rest[0].name == "common_rt.o"
    lib = tc.archive(arch, rest[:1], tmp_path / "librt.a")
    merged = tmp_path / "merged.o"
    xld_r([*rest[1:], lib], merged)
    ref = tmp_path / "gnu-merged.o"
    ld = tc.require(f"{tc.TRIPLE[arch]}-ld")
    subprocess.run([ld, "-r", "-o", ref, *rest[1:], lib], check=True)
    assert " put_dec" in readelf(arch, "-s", str(merged))

    assert section_names(arch, merged) == section_names(arch, ref)
    assert reloc_counts(arch, merged) == reloc_counts(arch, ref)
    assert groups(arch, merged) == groups(arch, ref)
    hdr = readelf(arch, "-h", str(merged))
    assert "REL (Relocatable file)" in hdr

    want = tc.qemu_run(arch, tc.gnu_ld(arch, objs, tmp_path / "orig.exe"), ["alpha", "beta"])
    assert want.status == 0 or want.stdout, want.summary()
    by_gnu = tc.gnu_ld(arch, [*start, merged], tmp_path / "gnu.exe")
    by_xld = tmp_path / "xld.exe"
    res = tc.xld_link(["-static", "-o", by_xld, *start, merged])
    assert res.status == 0, res.stderr
    for exe in (by_gnu, by_xld):
        got = tc.qemu_run(arch, exe, ["alpha", "beta"])
        assert (got.status, got.stdout) == (want.status, want.stdout), f"{exe.name}\n{got.summary()}"
    got = tc.xld_run(by_xld, ["alpha", "beta"])
    assert (got.status, got.stdout) == (want.status, want.stdout), got.summary()


# -- C++ with exceptions and templates across the merged objects -------------------------------

CXX_HEADER = r"""
#include <stdexcept>
#include <string>
template <class T> __attribute__((noinline)) T twice(T x)
{
    if (x < 0) throw std::runtime_error("negative: " + std::to_string(x));
    return x + x;
}
int from_a(int);
int from_b(int);
"""
CXX_A = r"""
#include "t.h"
int from_a(int x) { return twice(x) + 1; }          // throws through from_a to its caller
"""
CXX_B = r"""
#include "t.h"
#include <cstdio>
int from_b(int x)
{
    try { return twice(x) * 3 + from_a(x); }
    catch (const std::exception &e) { std::printf("b caught: %s\n", e.what()); return -1; }
}
"""
CXX_MAIN = r"""
#include "t.h"
#include <cstdio>
int main()
{
    std::printf("%d %d %d\n", from_a(3), from_b(4), from_b(-2));
    try { from_a(-5); }
    catch (const std::exception &e) { std::printf("main caught: %s\n", e.what()); }
    return 3;
}
"""


@pytest.mark.parametrize("rflags", [[], ["--force-group-allocation"]])
@pytest.mark.parametrize("arch", tc.ARCHES)
def test_partial_link_cxx_exceptions_and_comdat(arch, rflags, tmp_path):
    """--force-group-allocation (GNU ld's): the kept members are plain sections and the
    object has no groups (it was an unknown option)."""
    gxx = tc.require(f"{tc.TRIPLE[arch]}-g++")
    for name, text in (("t.h", CXX_HEADER), ("a.cc", CXX_A), ("b.cc", CXX_B), ("m.cc", CXX_MAIN)):
        (tmp_path / name).write_text(text)
    objs = {}
    for s in ("a", "b", "m"):
        objs[s] = tmp_path / f"{s}.o"
        subprocess.run([gxx, "-O1", "-g", "-c", tmp_path / f"{s}.cc", "-o", objs[s]], check=True)
    merged, ref = tmp_path / "ab.o", tmp_path / "ab-gnu.o"
    xld_r([objs["a"], objs["b"]], merged, rflags)
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ld"), "-r", *rflags, "-o", ref, objs["a"], objs["b"]], check=True)
    assert section_names(arch, merged) == section_names(arch, ref)
    assert reloc_counts(arch, merged) == reloc_counts(arch, ref)
    assert groups(arch, merged) == groups(arch, ref)
    if rflags:
        assert groups(arch, merged) == [] and not re.search(r"^\s*\[.*\s[A-Z]*G[A-Z]*\s+\d+\s+\d+\s+\d+$",
                                                            readelf(arch, "-S", str(merged)), re.M)
    else:
        assert "_Z5twiceIiET_S0_" in groups(arch, merged)
    # one copy of the template: the second object's was discarded with its group
    syms = readelf(arch, "-s", str(merged))
    assert len(re.findall(r"\s_Z5twiceIiET_S0_$", syms, re.M)) == 1

    def build(out, inputs, xld_as_ld: bool):
        extra = ["-B", str(tc.ld_wrapper_dir(tmp_path))] if xld_as_ld else []
        p = subprocess.run([gxx, *extra, "-static", "-o", out, *inputs], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        return out

    want = tc.qemu_run(arch, build(tmp_path / "orig", [objs["m"], objs["a"], objs["b"]], False))
    assert want.status == 3 and b"main caught: negative: -5" in want.stdout, want.summary()
    assert b"b caught: negative: -2" in want.stdout
    for name, xld_as_ld in (("gnu", False), ("xld", True)):
        exe = build(tmp_path / name, [objs["m"], merged], xld_as_ld)
        got = tc.qemu_run(arch, exe)
        assert (got.status, got.stdout) == (want.status, want.stdout), f"{name}\n{got.summary()}"


GC_A = r"""
#include <cstdio>
#include <stdexcept>
template <class T> T twice(T x) { return x + x; }
inline int inl2(int x) { static int k = 3; return x * k; }
struct S { S() { std::puts("ctor ran"); } };
static S s;
__attribute__((retain, section(".text.retained"))) int retained(int x) { return x + 1; }
extern "C" int missing_everywhere(int);         // only removed code calls it
int dead_calls_missing(int x) { return missing_everywhere(x) + inl2(x); }
int dead_data = 42;
int *dead_ptr() { return &dead_data; }
int live_a(int x) { if (x < 0) throw std::runtime_error("negative"); return twice(x); }
"""
GC_B = r"""
#include <cstdio>
#include <stdexcept>
int live_a(int);
template <class T> T thrice(T x) { return x * 3; }
int dead_b(int x) { return thrice(x) * 5; }           // with its COMDAT group: removed
int main() {
    try { live_a(-1); } catch (const std::exception &e) { std::printf("caught %s\n", e.what()); }
    std::printf("%d\n", live_a(21));
    return 5;
}
"""


def global_names(arch: str, obj: Path) -> list[str]:
    """The GLOBAL/WEAK symbols (GNU ld -r --gc-sections turns the undefined names only removed
    code used into LOCAL UND entries: xld leaves them out)."""
    return sorted(m.group(1) for m in re.finditer(r"^\s*\d+:.*\s(?:GLOBAL|WEAK)\s.*\s(\S+)$",
                                                  readelf(arch, "-s", str(obj)), re.M))


@pytest.mark.parametrize("roots", [["-u", "main"], ["-e", "main"]])
@pytest.mark.parametrize("arch", tc.ARCHES)
def test_partial_link_gc_sections_as_gnu_ld(arch, roots, tmp_path):
    """-r --gc-sections keeps what the roots reach, .init_array and its constructor, the
    SHF_GNU_RETAIN section, the live COMDAT group (not the dead one); the rest goes, with the
    globals it defined and the undefined name only it used (the final link needs no
    definition of it); debug relocations against removed code go too.  Same shape as GNU
    ld's, and the program linked from it by either linker runs as the original."""
    gxx = tc.require(f"{tc.TRIPLE[arch]}-g++")
    objs = []
    for name, text in (("a", GC_A), ("b", GC_B)):
        (tmp_path / f"{name}.cc").write_text(text)
        objs.append(tmp_path / f"{name}.o")
        subprocess.run([gxx, "-O1", "-g", "-fno-inline", "-ffunction-sections", "-fdata-sections", "-c",
                        tmp_path / f"{name}.cc", "-o", objs[-1]], check=True)
    merged, ref = tmp_path / "ab.o", tmp_path / "ab-gnu.o"
    xld_r(objs, merged, ["--gc-sections", *roots])
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ld"), "-r", "--gc-sections", *roots, "-o", ref, *objs],
                   check=True)
    names = section_names(arch, merged)
    assert names == section_names(arch, ref)
    assert ".init_array" in names and ".text.retained" in names and ".text._Z12dead_calls_missingi" not in names
    counts = reloc_counts(arch, merged)
    del counts[".rela.eh_frame"]            # (GNU ld keeps a CIE no FDE uses any more)
    assert counts == {k: v for k, v in reloc_counts(arch, ref).items() if k != ".rela.eh_frame"}
    kept = groups(arch, merged)
    assert kept == groups(arch, ref) and {"_ZN1SC5Ev", "_Z5twiceIiET_S0_"} <= set(kept)
    assert "_Z6thriceIiET_S0_" not in kept and "_Z4inl2i" not in kept
    gnames = global_names(arch, merged)
    assert gnames == global_names(arch, ref)
    assert "missing_everywhere" not in gnames and "dead_data" not in gnames and "_Z6dead_bi" not in gnames

    def build(out, inputs, xld_as_ld: bool):
        extra = ["-B", str(tc.ld_wrapper_dir(tmp_path))] if xld_as_ld else []
        p = subprocess.run([gxx, *extra, "-static", "-o", out, *inputs], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        return out

    (tmp_path / "none.cc").write_text('extern "C" int missing_everywhere(int x) { return x; }\n')
    want = tc.qemu_run(arch, build(tmp_path / "orig", [*objs, tmp_path / "none.cc"], False))
    assert want.status == 5 and b"ctor ran\ncaught negative\n42\n" == want.stdout, want.summary()
    runs = [("gnu", merged, False), ("xld", merged, True)]
    if arch == "arm64":
        # (GNU ld 2.40's riscv64 object is broken: the relocations of the .eh_frame records
        # after those it drops keep their old offsets, past the section's end; GNU ld then
        # cannot read it and the program aborts at its throw; xld refuses the object)
        runs.append(("xld-of-gnu", ref, True))
    for name, obj, xld_as_ld in runs:
        got = tc.qemu_run(arch, build(tmp_path / name, [obj], xld_as_ld))
        assert (got.status, got.stdout) == (want.status, want.stdout), f"{name}\n{got.summary()}"


ADDRSIG_CLANG = r"""
int fa(int x) { return x * 7 + 1; }     // called only: lld --icf=safe may fold fb into fa
int fb(int x) { return x * 7 + 1; }
int ga(int x) { return x * 9 + 2; }     // their addresses are taken: never folded
int gb(int x) { return x * 9 + 2; }
int (*pa)(int) = ga;
int (*pb)(int) = gb;
int callf(int x) { return fa(x) + fb(x + 1); }
"""
ADDRSIG_GCC = r"""
#include <stdio.h>
int callf(int);
extern int (*pa)(int), (*pb)(int);
static int ha(int x) { return x * 11 + 3; }       // no table in a GCC object: all significant
static int hb(int x) { return x * 11 + 3; }
int (*qa)(int) = ha, (*qb)(int) = hb;
int main(void) { printf("%d %d %d\n", callf(1), pa != pb, qa != qb); return 0; }
"""


def addrsig_names(obj: Path) -> tuple[list[str], str]:
    out = subprocess.run([tc.require("llvm-readobj-14"), "--addrsig", str(obj)], capture_output=True,
                         text=True, check=True).stdout
    return re.findall(r"Sym: (\S*) \(\d+\)", out), out


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_partial_link_keeps_addrsig_renumbered(arch, tmp_path):
    """.llvm_addrsig names symbols by index: the output's names the same symbols in the new
    .symtab (sh_link set, which lld requires), plus every symbol of the GCC object, which has
    no table (lld takes all of such an object's symbols as address-significant).  lld
    --icf=safe then folds fb into fa and nothing of the program else, as in the original
    objects (xld dropped the table: lld folded nothing)."""
    cs, gs = tmp_path / "as.c", tmp_path / "ag.c"
    cs.write_text(ADDRSIG_CLANG)
    gs.write_text(ADDRSIG_GCC)
    a = tc.compiler("clang", arch).compile(cs, tmp_path / "as.o", ["-O1", "-ffunction-sections", "-faddrsig"])
    g = tmp_path / "ag.o"
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-gcc"), "-O1", "-ffunction-sections", "-fno-ipa-icf", "-c", gs,
                    "-o", g], check=True)
    merged = tmp_path / "m.o"
    xld_r([a, g], merged)
    names, dump = addrsig_names(merged)
    assert {"ga", "gb", "pa", "pb", "ha", "hb", "qa", "qb", "main", "callf", "printf"} <= set(names), dump
    assert "fa" not in names and "fb" not in names, dump
    sec = re.search(r"^\s*\[\s*\d+\]\s+\.llvm_addrsig\s.*\s(\d+)\s+\d+\s+\d+$", readelf(arch, "-S", str(merged)), re.M)
    symtab = re.search(r"^\s*\[\s*(\d+)\]\s+\.symtab\s", readelf(arch, "-S", str(merged)), re.M)
    assert sec and symtab and sec.group(1) == symtab.group(1)
    if arch != "arm64":
        return                          # (lld 14 cannot link riscv64 glibc: no relaxation)

    def lld(out, objs):
        p = subprocess.run([tc.require("clang-14"), f"--target={tc.TRIPLE[arch]}", "-fuse-ld=lld", "-static",
                            "-Wl,--icf=safe,--print-icf-sections", "-o", out, *objs], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        ours = [m.group(1) for m in re.finditer(r"\b(?:m|as|ag)\.o:\((\.text\.\w+)\)", p.stdout)]
        return ours, tc.qemu_run(arch, out)
    want_folds, want = lld(tmp_path / "orig", [a, g])
    assert want_folds == [".text.fa", ".text.fb"] and want.stdout == b"23 1 1\n", want.summary()
    got_folds, got = lld(tmp_path / "merged", [merged])
    assert got_folds == want_folds and got.stdout == want.stdout


# -- refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize("extra, message", [
    (["--gc-sections"], "--gc-sections requires a defined symbol root specified by -e or -u"),
    (["--gc-sections", "-u", "nosuch", "-e", "nosuch2"],
     "--gc-sections requires a defined symbol root specified by -e or -u"),
    (["-shared"], "-r and -shared may not be used together"),
    (["-pie"], "-r and -pie may not be used together"),
])
def test_partial_link_refusals(extra, message, tmp_path):
    obj = tc.assemble("arm64", ".globl f\nf: ret\n", tmp_path / "f.o")
    out = tmp_path / "out.o"
    res = tc.xld_link(["-r", *extra, "-o", out, obj])
    assert res.status == 1
    assert f"xld: error: {message}" in res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists()


# -- -r with a linker script ----------------------------------------------------------------------

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_partial_link_with_script(arch, tmp_path):
    """-r -T SCRIPT (GNU ld allows it): input sections merged under the script's output
    section names and order, /DISCARD/ dropped; the same sections and relocation counts as
    GNU ld -r -T, and the merged object links (GNU ld, xld) into the same program."""
    flags = ["-O2", "-fno-pie", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables",
             "-ffunction-sections", "-fdata-sections"]
    obj = tc.compiler("gcc", arch).compile(SCRIPTS / "firmware.c", tmp_path / "fw.o", flags)
    script = SCRIPTS / "partial.ld"
    merged = tmp_path / "merged.o"
    xld_r([obj], merged, ["-T", script])
    ref = tmp_path / "gnu-merged.o"
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ld"), "-r", "-T", str(script), "-o", ref, obj], check=True)
    names = section_names(arch, merged)
    assert names == section_names(arch, ref)
    assert ".text.main" not in names and ".comment" not in names and ".table.all" in names
    assert reloc_counts(arch, merged) == reloc_counts(arch, ref)
    run_script = tmp_path / "run.ld"
    run_script.write_text((SCRIPTS / "firmware.ld").read_text().replace("} > RAM AT> FLASH", "} > RAM"))
    gnu = tc.gnu_ld(arch, [merged], tmp_path / "gnu.exe", ["-T", str(run_script)])
    by_xld = tmp_path / "xld.exe"
    res = tc.xld_link(["-T", run_script, "-o", by_xld, merged])
    assert res.status == 0, res.stderr
    want = tc.qemu_run(arch, gnu)
    assert want.stdout == b"dbl=14\nsq=49\nsum=640\n", want.summary()
    for got in (tc.qemu_run(arch, by_xld), tc.xld_run(by_xld)):
        assert (got.status, got.stdout) == (want.status, want.stdout), got.summary()


def test_partial_link_script_refuses_assignments(tmp_path):
    obj = tc.compiler("gcc", "riscv64").compile(SCRIPTS / "firmware.c", tmp_path / "fw.o", ["-O2"])
    (tmp_path / "s.ld").write_text("SECTIONS {\n .text : { *(.text*) }\n start = ADDR(.text);\n}\n")
    res = tc.xld_link(["-r", "-T", tmp_path / "s.ld", "-o", tmp_path / "m.o", obj])
    assert res.status == 1 and "s.ld:3: -r: symbol assignments" in res.stderr, res.stderr
    assert not (tmp_path / "m.o").exists()


# -- -r -d and --defsym: what the merged object defines -----------------------------------------

@tc.cross_and_qemu()
@pytest.mark.parametrize("arch", tc.ARCHES)
def test_partial_link_defines_commons_and_defsym_numbers_as_gnu_ld(arch, tmp_path):
    """-r -d gives the commons space in .bss (a later link then does not take an archive's
    initialized definition for them), and -r --defsym NAME=NUMBER defines NAME absolute, as
    GNU ld's -r does; NAME=SYMBOL+C is refused (GNU ld writes it absolute at the symbol's
    offset in its section: wrong once the section moves). Before: -d was ignored (the program
    printed the archive's 'counter 5') and --defsym dropped (the weak x read 0)."""
    (tmp_path / "m.c").write_text(
        "#include <stdio.h>\nint counter;\nextern char x[] __attribute__((weak));\n"
        'int main(void) { printf("counter %d x %p\\n", counter, (void *)x); return 0; }\n')
    (tmp_path / "d.c").write_text("int counter = 5;\n")
    cc = f"{tc.TRIPLE[arch]}-gcc"
    subprocess.run([cc, "-O2", "-fcommon", "-c", "m.c", "d.c"], cwd=tmp_path, check=True)
    lib = tc.archive(arch, [tmp_path / "d.o"], tmp_path / "lib.a")
    flags = ["-d", "--defsym", "x=0x1234"]
    gnu_r = tmp_path / "gnu-r.o"
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ld"), "-r", *flags, "-o", gnu_r, tmp_path / "m.o"], check=True)
    xld_r([tmp_path / "m.o"], tmp_path / "xld-r.o", flags)
    syms = {}
    for who in ("gnu", "xld"):
        table = readelf(arch, "-s", str(tmp_path / f"{who}-r.o"))
        rows = re.findall(r"(\w+\s+\d+\s+\w+\s+\w+\s+\w+)\s+(COM|ABS|\d+) (counter|x)$", table, re.M)
        syms[who] = sorted((r, "section" if n.isdigit() else n, name) for r, n, name in rows)   # (indices differ)
    assert syms["xld"] == syms["gnu"] and len(syms["gnu"]) == 2, syms
    wrapper = tc.ld_wrapper_dir(tmp_path)
    runs = set()
    for merged in ("gnu-r.o", "xld-r.o"):
        for use in ([], ["-B", str(wrapper)]):
            exe = tmp_path / f"p-{merged}-{len(use)}"
            subprocess.run([cc, *use, "-static", "-o", exe, merged, lib], cwd=tmp_path, check=True)
            r = tc.qemu_run(arch, exe)
            runs.add((r.status, r.stdout))
    assert runs == {(0, b"counter 0 x 0x1234\n")}, runs
    res = tc.xld_link(["-r", "--defsym", "y=main+4", "-o", tmp_path / "y.o", tmp_path / "m.o"])
    assert res.status == 1 and "-r with --defsym y=main+0x4 is not supported" in res.stderr, res.stderr
    assert not (tmp_path / "y.o").exists()


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_partial_link_section_start_sets_addresses_as_gnu_ld(arch, tmp_path):
    """-r with -Ttext= / --section-start=: the named sections' sh_addr, as GNU ld's -r writes
    them (xld wrote 0, silently); the others stay at 0."""
    src = ".text\n.globl f\nf: nop\n.data\n.globl d\nd: .quad f\n.bss\n.zero 16\n"
    obj = tc.assemble(arch, src, tmp_path / "f.o")
    flags = ["-Ttext=0x1000", "--section-start=.data=0x20000"]
    addrs = {}
    for who in ("gnu", "xld"):
        out = tmp_path / f"{who}.o"
        if who == "gnu":
            subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ld"), "-r", *flags, "-o", out, obj], check=True)
        else:
            xld_r([obj], out, flags)
        addrs[who] = dict(re.findall(r"\]\s+(\.text|\.data|\.bss)\s+\S+\s+([0-9a-f]+)\s", readelf(arch, "-S", str(out))))
    assert addrs["gnu"] == {".text": "0000000000001000", ".data": "0000000000020000", ".bss": "0000000000000000"}
    assert addrs["xld"] == addrs["gnu"]


LSDA_H = """#include <stdexcept>
int may_throw(int);
inline int guarded(int x) { try { return may_throw(x); } catch (const std::exception &) { return -1; } }
"""
LSDA_A = """#include "h.hh"
#include <cstdio>
int may_throw(int x) { if (x > 2) throw std::runtime_error("x"); return x; }
int a(int x) { return guarded(x) + 1; }
int b(int);
int main() { std::printf("%d %d\\n", a(1) + a(5), b(4)); return 0; }
"""
LSDA_B = '#include "h.hh"\nint b(int x) { return guarded(x) * 2; }\n'


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_partial_link_lsda_of_a_discarded_comdat_copy(arch, tmp_path):
    """riscv64 GCC puts the call-site table of a COMDAT function (label differences into its
    text) in an object's one .gcc_except_table when the object has one already; when that
    copy loses to an earlier object's, its table is never reached: GNU ld's -r makes those
    relocations R_*_NONE, xld's refused the link ('relocation refers to a symbol in a
    discarded section: .LEHB2', found by tests/test_random_relocatable.py)."""
    gxx = tc.require(f"{tc.TRIPLE[arch]}-g++")
    for name, text in (("h.hh", LSDA_H), ("a.cc", LSDA_A), ("b.cc", LSDA_B)):
        (tmp_path / name).write_text(text)
    subprocess.run([gxx, "-O2", "-fno-inline", "-c", "a.cc", "b.cc"], cwd=tmp_path, check=True)
    merged, ref = tmp_path / "ba.o", tmp_path / "ba-gnu.o"
    xld_r([tmp_path / "b.o", tmp_path / "a.o"], merged)      # b's copy of guarded() wins
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ld"), "-r", "-o", ref, "b.o", "a.o"], cwd=tmp_path, check=True)
    # (.eh_frame aside: GNU ld keeps the lost copy's FDE, its LSDA pointer relocated; xld drops it)
    mine, gnus = reloc_counts(arch, merged), reloc_counts(arch, ref)
    assert mine.pop(".rela.eh_frame") <= gnus.pop(".rela.eh_frame") and mine == gnus
    wrapper = tc.ld_wrapper_dir(tmp_path)
    for use in ([], ["-B", str(wrapper)]):
        p = subprocess.run([gxx, *use, "-o", "p", merged], cwd=tmp_path, capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        got = tc.qemu_run(arch, tmp_path / "p", sysroot=f"/usr/{tc.TRIPLE[arch]}")
        assert (got.status, got.stdout) == (0, b"2 -2\n"), got.summary()


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("gc", [[], ["--gc-sections", "-u", "main"]])
def test_partial_link_entry_not_defined_as_gnu_ld(arch, gc, tmp_path):
    """-r -e NAME that no input defines: GNU ld warns 'cannot find entry symbol NAME; not
    setting start address' and lists NAME as an undefined global, as -u does (xld said
    nothing and left it out)."""
    triple = tc.TRIPLE[arch]
    (tmp_path / "m.c").write_text("int main(void) { return 0; }\n")
    obj = tmp_path / "m.o"
    subprocess.run([f"{triple}-gcc", "-O1", "-c", str(tmp_path / "m.c"), "-o", str(obj)], check=True)
    outs = {}
    for who in ("gnu", "xld"):
        out = tmp_path / f"r-{who}.o"
        args = ["-r", *gc, "-e", "nothere", str(obj), "-o", str(out)]
        if who == "gnu":
            p = subprocess.run([f"{triple}-ld", *args], capture_output=True, text=True)
        else:
            p = tc.xld_link(["--arch", arch, *args])
        assert p.returncode == 0 if who == "gnu" else p.status == 0, p.stderr
        assert "cannot find entry symbol nothere; not setting start address" in p.stderr
        syms = subprocess.run(["readelf", "-sW", str(out)], capture_output=True, text=True, check=True).stdout
        outs[who] = [ln.split()[4:] for ln in syms.splitlines() if ln.endswith(" nothere")]
    assert outs["xld"] == outs["gnu"] == [["GLOBAL", "DEFAULT", "UND", "nothere"]]
