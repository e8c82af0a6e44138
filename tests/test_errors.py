"""Bad input: every failed link exits 1, says ``xld: error:`` in lld's words, names the symbol
or file at fault, shows no Python traceback, and leaves no output (nor temporary) file.

The ``xld`` command runs as a separate process, as users run it.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc

ARCHES = pytest.mark.parametrize("arch", tc.ARCHES)


def c_object(arch: str, tmp: Path, name: str, source: str, flags=("-O2",)) -> Path:
    src = tmp / f"{Path(name).stem}.c"
    src.write_text(source)
    return tc.compiler("gcc", arch).compile(src, tmp / name, list(flags))


START = {
    "arm64": ".globl _start\n_start:\n  bl main\n1: b 1b\n",
    "riscv64": ".globl _start\n_start:\n  call main\n1: j 1b\n",
}


def start_object(arch: str, tmp: Path) -> Path:
    return tc.assemble(arch, START[arch], tmp / "start.o")


def link_fails(tmp: Path, args, *must_mention: str) -> str:
    """Run ``xld args`` in ``tmp`` and check the failure contract; return stderr."""
    before = set(tmp.iterdir())
    out = tmp / "out"
    p = tc.xld_cli(["-o", out.name, *args], cwd=tmp)
    err = p.stderr
    assert p.returncode == 1, f"exit status {p.returncode}, stderr:\n{err}"
    assert err.startswith("xld: error:"), err
    assert "Traceback" not in err, err
    assert "internal error" not in err, f"xld crashed instead of diagnosing:\n{err}"
    for word in must_mention:
        assert word in err, f"{word!r} not mentioned in:\n{err}"
    assert not out.exists(), "a failed link left an output file"
    left = set(tmp.iterdir()) - before
    assert not left, f"a failed link left files behind: {sorted(p.name for p in left)}"
    return err


@ARCHES
def test_undefined_symbol_names_symbol_and_referencing_object(arch, tmp_path):
    start = start_object(arch, tmp_path)
    main = c_object(arch, tmp_path, "main.o", "void foo(void);\nint main(void) { foo(); return 0; }\n")
    err = link_fails(tmp_path, [start.name, main.name], "undefined symbol: foo", "main.o")
    lines = err.splitlines()
    i = next(i for i, line in enumerate(lines) if "undefined symbol: foo" in line)
    # lld's form: the source file, then the object and the function that refers to it
    assert lines[i + 1] == ">>> referenced by main.c", err
    assert lines[i + 2] == ">>>               main.o:(main)", err


@ARCHES
def test_undefined_symbols_are_all_reported(arch, tmp_path):
    start = start_object(arch, tmp_path)
    main = c_object(arch, tmp_path, "main.o",
                    "void foo(void); extern int bar;\n"
                    "int main(void) { foo(); return bar; }\n")
    link_fails(tmp_path, [start.name, main.name], "undefined symbol: foo",
               "undefined symbol: bar")


@ARCHES
def test_duplicate_symbol_names_both_definitions(arch, tmp_path):
    start = start_object(arch, tmp_path)
    a = c_object(arch, tmp_path, "a.o", "int dup = 1;\nint main(void) { return dup; }\n")
    b = c_object(arch, tmp_path, "b.o", "int dup = 2;\n")
    err = link_fails(tmp_path, [start.name, a.name, b.name], "duplicate symbol: dup")
    # lld's form: the source file (no -g: the STT_FILE name), then the object and the symbol
    # there; the second place names no symbol (lld looks through the one that lost)
    assert ">>> defined at a.c\n>>>            a.o:(dup)\n>>> defined at b.c\n>>>            b.o:(.data+0x0)" in err, err


@ARCHES
def test_duplicate_function_names_both_definitions(arch, tmp_path):
    start = start_object(arch, tmp_path)
    a = c_object(arch, tmp_path, "a.o", "int twice(int x) { return 2 * x; }\n"
                                        "int main(void) { return twice(3); }\n")
    b = c_object(arch, tmp_path, "b.o", "int twice(int x) { return x + x; }\n")
    link_fails(tmp_path, [start.name, a.name, b.name], "duplicate symbol: twice", "a.o", "b.o")


def test_missing_input_file(tmp_path):
    err = link_fails(tmp_path, ["nosuch.o"], "nosuch.o")
    assert "cannot open nosuch.o: No such file or directory" in err, err


@ARCHES
def test_missing_file_among_good_ones(arch, tmp_path):
    start = start_object(arch, tmp_path)
    main = c_object(arch, tmp_path, "main.o", "int main(void) { return 0; }\n")
    link_fails(tmp_path, [start.name, main.name, "nosuch.o"],
               "cannot open nosuch.o: No such file or directory")


@ARCHES
@pytest.mark.parametrize("keep", [10, 64, 200], ids=["in-ident", "header-only", "cut-sections"])
def test_truncated_elf(arch, keep, tmp_path):
    good = c_object(arch, tmp_path, "good.o", "int x = 5;\nint main(void) { return x; }\n")
    data = good.read_bytes()
    assert len(data) > keep
    bad = tmp_path / "trunc.o"
    bad.write_bytes(data[:keep])
    good.unlink()
    link_fails(tmp_path, [bad.name], "trunc.o")


@ARCHES
def test_corrupt_section_table(arch, tmp_path):
    good = c_object(arch, tmp_path, "good.o", "int main(void) { return 0; }\n")
    data = bytearray(good.read_bytes())
    data[0x28:0x30] = (len(data) + 0x1000).to_bytes(8, "little")   # e_shoff past the end
    bad = tmp_path / "corrupt.o"
    bad.write_bytes(bytes(data))
    good.unlink()
    link_fails(tmp_path, [bad.name], "corrupt.o")


def test_non_elf_file(tmp_path):
    junk = tmp_path / "junk.o"
    junk.write_text("this is not an object file\n")
    link_fails(tmp_path, [junk.name], "junk.o")


def test_empty_file(tmp_path):
    (tmp_path / "empty.o").write_bytes(b"")
    link_fails(tmp_path, ["empty.o"], "empty.o")


def test_elf32_object_rejected(tmp_path):
    # a 32-bit ELF header (EI_CLASS = 1): xld links ELF64 only
    hdr = bytearray(52)
    hdr[:7] = b"\x7fELF\x01\x01\x01"
    hdr[16:18] = (1).to_bytes(2, "little")         # ET_REL
    hdr[18:20] = (40).to_bytes(2, "little")        # EM_ARM
    (tmp_path / "arm32.o").write_bytes(bytes(hdr))
    link_fails(tmp_path, ["arm32.o"], "arm32.o")


def test_mixed_machines(tmp_path):
    a = c_object("arm64", tmp_path, "arm.o", "int main(void) { return 0; }\n")
    r = c_object("riscv64", tmp_path, "rv.o", "int helper(void) { return 1; }\n")
    link_fails(tmp_path, [a.name, r.name], "rv.o")


def test_object_for_other_arch_than_requested(tmp_path):
    r = c_object("riscv64", tmp_path, "rv.o", "int main(void) { return 0; }\n")
    link_fails(tmp_path, ["--arch", "arm64", r.name], "rv.o")


# Branches to a symbol defined in another object with an absolute value far from the code
# (in another object, so that the assembler cannot resolve the branch itself).
# (An arm64 `bl` that far is not an error: it goes through a range-extension thunk; see
# tests/e2e/test_output.py. Test-bit branches have no thunks.)
FAR_BRANCH = {
    "arm64": ("R_AARCH64_TSTBR14", 0x100000000, "tbz x0, #0, far"),
    "riscv64": ("R_RISCV_JAL", 0x10000000, "jal ra, far"),
}


def far_objects(arch: str, tmp: Path, value: int, insn: str) -> list[str]:
    absolute = tc.assemble(arch, f".globl far\n.set far, {value:#x}\n", tmp / "abs.o")
    norelax = ".option norelax\n" if arch == "riscv64" else ""
    code = tc.assemble(arch, f"{norelax}.text\n.globl _start\n_start:\n  {insn}\n  ret\n",
                       tmp / "far.o")
    for o in (absolute, code):
        o.with_suffix(".s").unlink()
    return [code.name, absolute.name]


@ARCHES
def test_branch_out_of_range(arch, tmp_path):
    rtype, value, insn = FAR_BRANCH[arch]
    objs = far_objects(arch, tmp_path, value, insn)
    err = link_fails(tmp_path, objs, rtype, "out of range", "far.o")
    assert "references 'far'" in err, err
    assert "far.o:(.text+0x0)" in err, err


def test_riscv_conditional_branch_out_of_range(tmp_path):
    # GNU as rewrites `beq a0, a1, far` into bne + jal; spell the instruction and its
    # relocation out to get a real R_RISCV_BRANCH.
    objs = far_objects("riscv64", tmp_path, 0x20000,
                       ".reloc ., R_RISCV_BRANCH, far\n  .4byte 0x00b50063   # beq a0, a1, .")
    link_fails(tmp_path, objs, "R_RISCV_BRANCH", "out of range", "'far'")


def test_arm64_conditional_branch_out_of_range(tmp_path):
    objs = far_objects("arm64", tmp_path, 0x10000000, "cbz x0, far")
    link_fails(tmp_path, objs, "R_AARCH64_CONDBR19", "out of range", "'far'")


def test_arm64_adrp_out_of_range(tmp_path):
    objs = far_objects("arm64", tmp_path, 0x7000000000, "adrp x0, far")
    link_fails(tmp_path, objs, "R_AARCH64_ADR_PREL_PG_HI21", "out of range", "'far'")


@pytest.mark.parametrize("opt", ["--no-such-option", "-Zbogus"])
def test_unknown_option(opt, tmp_path):
    err = link_fails(tmp_path, [opt, "whatever.o"])
    assert opt in err.splitlines()[0], err


def test_failed_link_does_not_touch_a_previous_output(tmp_path):
    """A failed link must not leave a new (partial) file; an output from an earlier success
    is either kept intact or removed, never replaced by something else."""
    arch = "arm64"
    start = start_object(arch, tmp_path)
    main = c_object(arch, tmp_path, "main.o", "int main(void) { return 0; }\n")
    ok = tc.xld_cli(["-o", "out", start.name, main.name], cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    before = (tmp_path / "out").read_bytes()
    bad = c_object(arch, tmp_path, "bad.o", "void foo(void);\nint bad(void) { foo(); return 1; }\n")
    p = tc.xld_cli(["-o", "out", start.name, main.name, bad.name], cwd=tmp_path)
    assert p.returncode == 1 and "undefined symbol: foo" in p.stderr, p.stderr
    out = tmp_path / "out"
    assert not out.exists() or out.read_bytes() == before


def patched_object(arch: str, tmp: Path, name: str, patch) -> str:
    """An assembled object whose first .rela.text entry's r_info goes through ``patch``."""
    import struct

    from elftools.elf.elffile import ELFFile
    obj = tc.assemble(arch, ".text\n.globl _start\n_start:\n  call _start\n  ret\n"
                      if arch == "riscv64" else
                      ".text\n.globl _start\n_start:\n  bl _start\n  ret\n", tmp / "orig.o")
    obj.with_suffix(".s").unlink()
    data = bytearray(obj.read_bytes())
    with open(obj, "rb") as f:
        off = ELFFile(f).get_section_by_name(".rela.text")["sh_offset"]
    info = struct.unpack_from("<Q", data, off + 8)[0]
    struct.pack_into("<Q", data, off + 8, patch(info))
    obj.unlink()
    (tmp / name).write_bytes(bytes(data))
    return name


@ARCHES
def test_unknown_relocation_type(arch, tmp_path):
    bad = patched_object(arch, tmp_path, "badrel.o", lambda i: (i & ~0xFFFFFFFF) | 0x3FF)
    link_fails(tmp_path, [bad], "badrel.o", "1023")


@ARCHES
def test_relocation_with_bad_symbol_index(arch, tmp_path):
    bad = patched_object(arch, tmp_path, "badsym.o", lambda i: (9999 << 32) | (i & 0xFFFFFFFF))
    link_fails(tmp_path, [bad], "badsym.o")


def test_missing_library(tmp_path):
    start = start_object("arm64", tmp_path)
    link_fails(tmp_path, [start.name, "-lnosuch"], "-lnosuch")


def test_unknown_arch(tmp_path):
    start = start_object("arm64", tmp_path)
    link_fails(tmp_path, ["--arch", "vax", start.name], "vax")


@ARCHES
def test_undefined_symbol_referenced_from_data(arch, tmp_path):
    start = start_object(arch, tmp_path)
    main = c_object(arch, tmp_path, "main.o", "extern int missing_thing;\n"
                                              "int *ptr = &missing_thing;\n"
                                              "int main(void) { return *ptr; }\n")
    err = link_fails(tmp_path, [start.name, main.name], "undefined symbol: missing_thing")
    assert ">>> referenced by main.c\n>>>               main.o:(ptr)" in err, err      # lld's words


def test_missing_entry_symbol(tmp_path):
    """GNU ld and lld only warn; xld may refuse. Either way the symbol is named, and a
    failure follows the error contract."""
    start = tc.assemble("arm64", ".text\n.globl _start\n_start:\n  b _start\n",
                        tmp_path / "loop.o")
    p = tc.xld_cli(["-o", "out", "-e", "nosuch", start.name], cwd=tmp_path)
    assert "nosuch" in p.stderr and "Traceback" not in p.stderr, p.stderr
    if p.returncode != 0:
        assert p.returncode == 1 and p.stderr.startswith("xld: error:")
        assert not (tmp_path / "out").exists()


# Corrupt fields of an otherwise good object (found by fuzzing xld with flipped bytes). A
# relocation outside its section must be an error; for the other fields GNU ld itself is
# lenient, so xld may link or refuse — but it must never crash.
CORRUPT_SOURCE = ("int x = 5;\nint *p = &x;\n"
                  "int f(int a) { return a + x + *p; }\nint _start(void) { return f(1); }\n")


def corrupt_object(arch: str, tmp: Path, where: str, value: int) -> str:
    import struct

    from elftools.elf.elffile import ELFFile
    good = c_object(arch, tmp, "good.o", CORRUPT_SOURCE, ("-O1",))
    data = bytearray(good.read_bytes())
    with open(good, "rb") as f:
        elf = ELFFile(f)
        if where == "r_offset":                 # every relocation of .text
            rela = elf.get_section_by_name(".rela.text")
            for k in range(rela["sh_size"] // 24):
                struct.pack_into("<Q", data, rela["sh_offset"] + 24 * k, value + 4 * k)
        elif where == "st_shndx":               # the .text section symbol (.eh_frame uses it)
            tab = elf.get_section_by_name(".symtab")
            text = next(i for i, s in enumerate(elf.iter_sections()) if s.name == ".text")
            i = next(i for i, s in enumerate(tab.iter_symbols())
                     if s["st_info"]["type"] == "STT_SECTION" and s["st_shndx"] == text)
            struct.pack_into("<H", data, tab["sh_offset"] + 24 * i + 6, value)
        elif where in ("sh_addralign", "sh_offset"):
            name, field = (".bss", 48) if where == "sh_addralign" else (".data", 24)
            idx = next(i for i, s in enumerate(elf.iter_sections()) if s.name == name)
            struct.pack_into("<Q", data, elf["e_shoff"] + 64 * idx + field, value)
        else:
            raise ValueError(where)
    good.unlink()
    (tmp / "good.c").unlink()
    (tmp / "bad.o").write_bytes(bytes(data))
    return "bad.o"


def link_survives(tmp: Path, args) -> None:
    """Either a link or an error in the contract's form; never a crash."""
    p = tc.xld_cli(["-o", "out", *args], cwd=tmp)
    assert p.returncode in (0, 1), p.stderr
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr, p.stderr
    if p.returncode:
        assert p.stderr.startswith("xld: error:") and not (tmp / "out").exists(), p.stderr


@ARCHES
@pytest.mark.parametrize("value", [0x100000, 0xFF00000000000000], ids=["past-end", "huge"])
def test_relocation_outside_its_section(arch, value, tmp_path):
    bad = corrupt_object(arch, tmp_path, "r_offset", value)
    link_fails(tmp_path, [bad], "bad.o")


@ARCHES
@pytest.mark.parametrize("where,value", [
    ("st_shndx", 255),                      # a section that does not exist
    ("st_shndx", 0xFF01),                   # a reserved section index
    ("sh_addralign", 1 << 63),              # absurd alignment
    ("sh_addralign", 24),                   # not a power of two
    ("sh_offset", 1 << 40),                 # contents past the end of the file
], ids=["st_shndx-missing", "st_shndx-reserved", "align-huge", "align-not-pow2", "sh_offset"])
def test_corrupt_object_does_not_crash(arch, where, value, tmp_path):
    bad = corrupt_object(arch, tmp_path, where, value)
    link_survives(tmp_path, [bad])


def test_output_that_cannot_be_written_is_an_error_not_a_crash(tmp_path):
    """As lld words it; and nothing is left beside it (the output is built in a temporary
    file next to its path, renamed into place only at the end)."""
    start = tc.assemble("arm64", ".globl _start\n_start:\n  b _start\n", tmp_path / "start.o")
    for target, why in ((tmp_path / "no-such-dir" / "out", "No such file or directory"),
                        (tmp_path / "a-dir", "Is a directory")):
        if why == "Is a directory":
            target.mkdir()
        before = set(tmp_path.iterdir())
        p = tc.xld_cli(["--arch", "arm64", "-static", "-o", str(target), str(start)], cwd=tmp_path)
        assert p.returncode == 1, p.stderr
        assert p.stderr.startswith(f"xld: error: cannot open output file {target}: {why}"), p.stderr
        assert "Traceback" not in p.stderr and "internal error" not in p.stderr
        assert set(tmp_path.iterdir()) == before
        if target.is_dir():
            assert list(target.iterdir()) == []


# --- source lines from DWARF (golden: lld's words; lines read from the sources) ----------------

GOLDEN_C = """\
#include <stdio.h>
extern int foo(int);
int helper(int x) {
  return foo(x) + 1;            /* L:helper-foo */
}
int main(void) {
  printf("%d\\n", helper(3));   /* L:main-printf */
  return foo(2);                /* L:main-foo */
}
"""
GOLDEN_DUP = "\nint helper(int x) { return x; }   /* L:dup */\n"
GOLDEN_CC = """\
namespace ns {
int missing(int);
struct S { int get() const; static int counter; };
}
int ns::S::get() const {        /* L:get */
  return missing(counter) + 1;  /* L:get-missing */
}
inline int twice(int x) { return ns::missing(x) * 2; }   /* L:twice-missing */
int use(int v) { ns::S s; return s.get() + twice(v); }
"""
GOLDEN_CC2 = "namespace ns { struct S { int get() const; }; }\nint ns::S::get() const { return 7; }   /* L:get2 */\n"


def _line(source: str, mark: str) -> int:
    return next(n for n, text in enumerate(source.splitlines(), 1) if f"L:{mark} " in text)


@pytest.fixture(scope="module")
def golden_objects(tmp_path_factory):
    """-g objects of the sources above, per (arch, compiler): gcc 12 and clang-14 both write
    DWARF 5; riscv64 line tables hold ADD16/SUB16 pairs (relaxation may move code)."""
    tmp = tmp_path_factory.mktemp("golden")
    out = {}
    for arch in tc.ARCHES:
        for kind in ("gcc", "clang"):
            cc = tc.compiler(kind, arch)
            d = tmp / f"{arch}-{kind}"
            d.mkdir()
            objs = {}
            for stem, text, lang in (("a", GOLDEN_C, "c"), ("b", GOLDEN_DUP, "c"),
                                     ("c", GOLDEN_CC, "c++"), ("c2", GOLDEN_CC2, "c++")):
                src = d / f"{stem}.{'cc' if lang == 'c++' else 'c'}"
                src.write_text(text)
                flags = ["-g", "-O1", "-fno-inline"] + (["-x", "c++"] if lang == "c++" else [])
                objs[stem] = cc.compile(src, d / f"{stem}.o", flags)
            out[arch, kind] = (d, objs)
    return out


def _at(d: Path, name: str, source: str, mark: str) -> str:
    n = _line(source, mark)
    return f"{name}:{n} ({d / name}:{n})"


@ARCHES
@pytest.mark.parametrize("kind", ["gcc", "clang"])
def test_undefined_symbol_names_source_lines(arch, kind, golden_objects):
    d, objs = golden_objects[arch, kind]
    err = link_fails(d, [objs["a"].name])
    want = [
        "xld: error: undefined symbol: foo",
        f">>> referenced by {_at(d, 'a.c', GOLDEN_C, 'helper-foo')}", ">>>               a.o:(helper)",
        f">>> referenced by {_at(d, 'a.c', GOLDEN_C, 'main-foo')}", ">>>               a.o:(main)",
        "",                                                      # lld's blank line after a long message
        "xld: error: undefined symbol: printf",
        f">>> referenced by {_at(d, 'a.c', GOLDEN_C, 'main-printf')}", ">>>               a.o:(main)",
    ]
    assert err.splitlines() == want, err


@ARCHES
@pytest.mark.parametrize("kind", ["gcc", "clang"])
def test_cxx_undefined_and_duplicate_symbols_demangled_with_lines(arch, kind, golden_objects):
    d, objs = golden_objects[arch, kind]
    err = link_fails(d, [objs["c"].name, objs["c2"].name])
    lines = err.splitlines()
    i = lines.index("xld: error: duplicate symbol: ns::S::get() const")
    assert lines[i + 1:i + 5] == [
        f">>> defined at {_at(d, 'c.cc', GOLDEN_CC, 'get')}", ">>>            c.o:(ns::S::get() const)",
        f">>> defined at {_at(d, 'c2.cc', GOLDEN_CC2, 'get2')}", ">>>            c2.o:(.text+0x0)"], err
    lines = (err := link_fails(d, [objs["c"].name])).splitlines()       # (duplicates stop a link first)
    i = lines.index("xld: error: undefined symbol: ns::missing(int)")
    assert lines[i + 1:i + 3] == [f">>> referenced by {_at(d, 'c.cc', GOLDEN_CC, 'get-missing')}",
                                  ">>>               c.o:(ns::S::get() const)"], err
    assert f">>> referenced by {_at(d, 'c.cc', GOLDEN_CC, 'twice-missing')}" in err, err
    assert "_ZN" not in err, err
    err = link_fails(d, ["--no-demangle", objs["c"].name])
    assert "undefined symbol: _ZN2ns7missingEi" in err and "c.o:(_ZNK2ns1S3getEv)" in err, err


@pytest.mark.parametrize("kind", ["gcc", "clang"])
def test_diagnostics_with_lines_match_lld(kind, golden_objects):
    """arm64 objects: xld's messages are lld's, word for word, blank lines included.  (On riscv64 lld reads the ADD16/SUB16 line tables of GCC's objects
    wrong: it names line 5 for a call on line 8; the test above checks those lines.)"""
    lld = tc.require("ld.lld")
    d, objs = golden_objects["arm64", kind]
    for names in (["a"], ["a", "b"], ["c"], ["c", "c2"]):
        files = [objs[n].name for n in names]
        ours = link_fails(d, files)
        p = subprocess.run([lld, "-o", "lld.out", *files], cwd=d, capture_output=True, text=True)
        assert p.returncode == 1
        assert ours == p.stderr.replace("ld.lld: error:", "xld: error:"), (names, ours, p.stderr)


@ARCHES
def test_compressed_debug_sections_are_read_decompressed(arch, tmp_path):
    """Objects built with gcc -gz (SHF_COMPRESSED .debug_* sections, zlib) were refused ('a
    relocation outside its section': the check used the compressed size). They are read
    decompressed, as GNU ld and lld read them: the output's DWARF is the one of the same
    program built without -gz, and messages name the source lines."""
    cc = tc.compiler("gcc", arch)
    src = tmp_path / "a.c"
    src.write_text(GOLDEN_C)
    objdump = tc.require(f"{tc.TRIPLE[arch]}-objdump")
    dumps = {}
    for kind, flags in (("plain", ["-g"]), ("gz", ["-g", "-gz"])):
        obj = cc.compile(src, tmp_path / f"{kind}.o", [*flags, "-O2"])
        link_fails(tmp_path, [obj.name], f"referenced by {_at(tmp_path, 'a.c', GOLDEN_C, 'main-foo')}")
        out = tmp_path / f"{kind}.out"
        p = tc.xld_cli(["--unresolved-symbols=ignore-all", "-e", "main", "-o", out, obj])
        assert p.returncode == 0, p.stderr
        text = subprocess.run([objdump, "--dwarf=decodedline,info", out], capture_output=True, text=True).stdout
        text = re.sub(r"\(indirect (line )?string, offset: 0x[0-9a-f]+\)|-gz ", "", text.split("\n", 3)[3])
        dumps[kind] = text
    assert dumps["gz"] == dumps["plain"] and text.count("a.c ") > 5


def test_an_output_replaces_its_old_copy_as_a_rename_would(tmp_path, monkeypatch):
    """The output takes the old file's place by a swap of names (renameat2 RENAME_EXCHANGE:
    on ext4 a rename over an existing file starts writing the new one to the disk at once),
    with a rename's effects: the path names the new file, a reader of the old one (an open
    descriptor, another hard link) keeps it, a symbolic link at the path is replaced (the
    file it named is untouched), and nothing is left beside it.  A directory at the path is
    still an error (the test above)."""
    from xld.link import write
    start = tc.assemble("arm64", ".globl _start\n_start:\n  b _start\n", tmp_path / "start.o")
    out, other, target, link = (tmp_path / n for n in ("out", "other", "target", "link"))
    out.write_bytes(b"old output")
    os.link(out, other)
    reader = open(out, "rb")
    target.write_bytes(b"the symlink's file")
    link.symlink_to(target)
    for path in (out, link):
        p = tc.xld_cli(["--arch", "arm64", "-static", "-o", str(path), str(start)], cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        assert path.read_bytes()[:4] == b"\x7fELF" and not path.is_symlink()
        assert os.stat(path).st_mode & 0o111
    assert reader.read() == b"old output"
    reader.close()
    assert other.read_bytes() == b"old output" and target.read_bytes() == b"the symlink's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "other", "out", "start.o", "start.s", "target"]
    # in this process: the swap is what replaced it (no rename over the old file)
    renamed = []
    monkeypatch.setattr(write.os, "replace", lambda a, b: renamed.append((a, b)))
    write.replace_file(str(out), b"new")
    assert out.read_bytes() == b"new" and renamed == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "other", "out", "start.o", "start.s", "target"]


@pytest.mark.parametrize("worker", ["0", "1"])
@ARCHES
def test_an_output_the_disk_cannot_take_is_a_clear_error(arch, worker, tmp_path):
    """A write of the output that fails (a full disk; here the file size limit, RLIMIT_FSIZE,
    which fails the same writes with EFBIG) is said as GNU ld says its "final link failed: No
    space left on device": the file and the reason, exit 1, nothing left beside the output.
    xld said "internal error: OSError: [Errno 28] ..." and asked for a report.  With
    XLD_IMAGE_WORKER=1 the image is one made for the output's own file (write.OutputFile),
    whose blocks the limit refuses too: the buffer is then memory and the write fails."""
    import resource
    start = start_object(arch, tmp_path)
    main = c_object(arch, tmp_path, "main.o", "int main(void) { return 0; }\n")
    data = c_object(arch, tmp_path, "data.o", "char big[300000] = {1};\nchar *p = big;\n")
    before = set(tmp_path.iterdir())

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, 64 << 10))
    env = dict(os.environ, XLD_SERVER="0", XLD_IMAGE_WORKER=worker)
    p = subprocess.run([*tc.xld_command(), "--arch", arch, "-static", "-o", "out", start.name, main.name,
                        data.name], capture_output=True, text=True, cwd=tmp_path, env=env, preexec_fn=limit,
                       timeout=120)
    assert p.returncode == 1, p.stderr
    assert p.stderr.startswith("xld: error: cannot write output file out: File too large"), p.stderr
    assert "internal error" not in p.stderr and "Traceback" not in p.stderr
    assert set(tmp_path.iterdir()) == before, sorted(set(tmp_path.iterdir()) - before)
