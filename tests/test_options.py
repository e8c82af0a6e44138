"""Command-line options: GNU ld's spelling rules, and every accepted option honoured or an
error that says it is not supported (never silently ignored when it would change the output).

The option table is walked as data; the options that change the output are checked on
programs compiled at test time and, where another linker implements the option, against it
(lld for --dependency-file, mold for --package-metadata).
"""
from __future__ import annotations

import inspect
import re
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests import toolchain as tc
from xld.link import options
from xld.link.errors import LinkError

ARCHES = pytest.mark.parametrize("arch", tc.ARCHES)


def parsed(*argv):
    return options.parse(list(argv))


# --- spellings --------------------------------------------------------------------------------

SPELLINGS = [
    # (argv, field, value)
    (["-gc-sections"], "gc_sections", True),
    (["-emit-relocs"], "emit_relocs", True),
    (["--emit-relocs"], "emit_relocs", True),
    (["-q"], "emit_relocs", True),
    (["--gc-sections"], "gc_sections", True),
    (["-no-relax"], "relax", False),
    (["-strip-all"], "strip_all", True),
    (["-defsym=a=b"], "defsym", [("a", "b")]),
    (["-defsym", "a=b"], "defsym", [("a", "b")]),
    (["-e", "sym"], "entry", "sym"),
    (["-esym"], "entry", "sym"),
    (["--entry=sym"], "entry", "sym"),
    (["--entry", "sym"], "entry", "sym"),
    (["-entry", "sym"], "entry", "sym"),
    (["-entry=sym"], "entry", "sym"),
    (["-eh-frame-hdr"], "eh_frame_hdr", True),       # a long option, not -e h-frame-hdr
    (["-export-dynamic"], "entry", None),
    (["-emain"], "entry", "main"),
    (["-ofile"], "output", "file"),
    (["-o", "-"], "output", "-"),
    (["-output=file"], "output", "file"),
    (["-lfoo"], "inputs", [options.Input("lib", "foo")]),
    (["-library", "foo"], "inputs", [options.Input("lib", "foo")]),
    (["-Ldir"], "lib_paths", ["dir"]),
    (["-library-path", "dir"], "lib_paths", ["dir"]),
    (["-undefined=u"], "undefined", ["u"]),
    (["-uu"], "undefined", ["u"]),
    (["-icf=all"], "icf", "all"),
    (["--icf", "all"], "icf", "all"),                  # was swallowed as an ignored option
    (["-error-limit", "3"], "error_limit", 3),
    (["--error-limit", "3"], "error_limit", 3),
    (["-print-gc-sections"], "print_gc_sections", True),
    (["--print-gc-sections", "--no-print-gc-sections"], "print_gc_sections", False),
    (["--fix-cortex-a53-843419", "--no-fix-cortex-a53-843419"], "fix_cortex_a53_843419", False),
    (["-Map=m"], "map_file", "m"),
    (["-Map", "m"], "map_file", "m"),
    (["-Ttext=0x1000"], "section_start", {".text": 0x1000}),
    (["-Ttext", "0x1000"], "section_start", {".text": 0x1000}),
    (["-section-start=.data=0x2000"], "section_start", {".data": 0x2000}),
    (["-zexecstack"], "execstack", True),
    (["-z", "execstack", "-z", "noexecstack"], "execstack", False),
    (["-z", "norelro"], "relro", False),
    (["-z", "nognustack"], "gnu_stack", False),
    (["-z", "stack-size=0x100000"], "stack_size", 0x100000),
    (["-z", "common-page-size=0x10000"], "common_page_size", 0x10000),
    (["--dependency-file=x.d"], "dependency_file", "x.d"),
    (["-dependency-file", "x.d"], "dependency_file", "x.d"),
    (["--package-metadata={}"], "package_metadata", "{}"),
    (["--sort-common"], "sort_common", "descending"),
    (["--sort-common=ascending"], "sort_common", "ascending"),
    (["--no-relax-gp"], "relax_gp", False),
    (["--compress-debug-sections=none"], "compress_debug", None),
    (["--compress-debug-sections=zlib"], "compress_debug", "zlib"),
    (["--compress-debug-sections=zlib-gabi"], "compress_debug", "zlib"),
    (["--unresolved-symbols=report-all"], "unresolved", "report-all"),
    (["--unresolved-symbols", "ignore-all"], "unresolved", "ignore-all"),
    (["-unresolved-symbols=ignore-in-object-files"], "unresolved", "ignore-in-object-files"),
    (["--warn-unresolved-symbols"], "warn_unresolved", True),
    (["--warn-unresolved-symbols", "--error-unresolved-symbols"], "warn_unresolved", False),
    (["-warn-once"], "warn_once", True),
    (["-Y", "a:b"], "lib_paths", ["a", "b"]),
    (["-m", "aarch64linux"], "emulation", "aarch64linux"),
    (["-maarch64linux"], "emulation", "aarch64linux"),
    (["-hash-style=gnu"], "output", "a.out"),
    (["--static", "--nostdlib"], "output", "a.out"),
    (["--Map", "m"], "map_file", "m"),
    (["--dumpdep"], "dumpdep", True),
    (["--omagic"], "magic", "omagic"),
    (["-nmagic"], "magic", "nmagic"),
    (["-n", "--no-omagic"], "magic", None),
    (["-ymain", "--trace-symbol=x"], "trace_symbol", {"main", "x"}),
    (["--wrap", "a", "-wrap=b"], "wrap", {"a", "b"}),
    (["--start-lib", "x.o", "--end-lib"], "inputs", [options.Input("lib_start"), options.Input("file", "x.o"),
                                                     options.Input("lib_end")]),
    (["--orphan-handling", "warn"], "orphan_handling", "warn"),
    (["--why-extract=-"], "why_extract", "-"),
    (["--fix-cortex-a53-835769"], "fix_cortex_a53_835769", True),
    (["-fix-cortex-a53-835769"], "fix_cortex_a53_835769", True),
    (["--no-undefined-version"], "no_undefined_version", True),
    (["--no-undefined-version", "--undefined-version"], "no_undefined_version", False),
    (["-shared", "-F", "a.so", "--filter=b.so"], "filters", ["a.so", "b.so"]),
    (["-shared", "-f", "a.so", "--auxiliary", "b.so"], "auxiliary", ["a.so", "b.so"]),
]


@pytest.mark.parametrize("argv,field,value", SPELLINGS, ids=[" ".join(s[0]) for s in SPELLINGS])
def test_option_spelling(argv, field, value):
    assert getattr(parsed(*argv), field) == value


ERRORS = [
    # (argv, words the error must contain)
    (["-oformat=ihex"], "unknown --oformat: ihex"),
    (["-EB"], "big-endian"),
    (["--compress-debug-sections=lz4"], "--compress-debug-sections=lz4 is not supported"),
    (["--unresolved-symbols=ignore-some"], "unknown --unresolved-symbols value: ignore-some"),
    (["--sort-common=sideways"], "--sort-common: unknown value"),
    (["-z", "gcs=always"], "-z gcs=always is not supported"),
    (["-z", "max-page-size=0x3000"], "max-page-size: value isn't a power of 2"),
    (["-no-such-option"], "unknown argument '-no-such-option'"),
    (["--orphan-handling=keep"], "unknown --orphan-handling mode: keep"),
    (["--unique"], "--unique is not supported"),
    (["--verbose"], "--verbose without inputs is not supported"),
    # a count, not an address (read as hex 0xabc before)
    (["--error-limit=abc"], "--error-limit=abc: number expected, but got 'abc'"),
    (["--error-limit", "-2"], "--error-limit=-2: number expected"),
    # __start_/__stop_ users keep their sections in xld's gc; GNU ld's start-stop-gc drops them
    (["--gc-sections", "-z", "start-stop-gc"], "-z start-stop-gc is not supported"),
    (["-z", "start-stop-gc", "--gc-sections"], "-z start-stop-gc is not supported"),
]


@pytest.mark.parametrize("argv,words", ERRORS, ids=[" ".join(s[0]) for s in ERRORS])
def test_option_error(argv, words):
    with pytest.raises(LinkError) as e:
        parsed(*argv)
    assert words in str(e.value)


# --- the table, walked --------------------------------------------------------------------------

def _comments() -> str:
    src = inspect.getsource(options)
    return "\n".join(line.split("#", 1)[1] for line in src.splitlines() if "#" in line)


def _mentioned(opt: str, text: str) -> bool:
    bare = opt.lstrip("-").split("=")[0]
    return re.search(r"(?<![\w-])-{0,2}" + re.escape(bare) + r"(?![\w-])", text) is not None


def _honoured() -> set[str]:
    return set(options._SWITCHES) | set(options._WITH_VALUE) | set(options._PARSED)


def test_every_known_option_is_classified():
    """Every spelling the parser accepts is honoured (a switch, a setter, a branch of
    parse()), an error (_UNSUPPORTED), or ignored with its reason written next to the table."""
    comments = _comments()
    ignored = (options._IGNORED_FLAGS | options._IGNORED_WITH_ARG) - _honoured()
    for opt in sorted(ignored):
        assert _mentioned(opt, comments), f"{opt} is ignored without a reason in link/options.py"
    for z in sorted(options._Z_IGNORED):
        assert _mentioned(z, comments), f"-z {z} is ignored without a reason in link/options.py"
    assert not set(options._UNSUPPORTED) & (_honoured() | options._IGNORED_FLAGS | options._IGNORED_WITH_ARG)
    assert not options._Z_UNSUPPORTED & options._Z_IGNORED


def test_ignored_options_really_change_nothing():
    """An option in the ignored tables parses to the default Options (the plugin and its options
    are only kept to be looked at: link/lto.py runs what the plugin would)."""
    default = vars(options.Options())
    dynamic = {"-pie", "--pie", "-static-pie", "--static-pie", "-shared", "--shared"}
    for opt in sorted((options._IGNORED_FLAGS - _honoured()) - dynamic):
        assert vars(parsed(opt)) == default, opt
    for opt in sorted(options._IGNORED_WITH_ARG - _honoured()):
        got = vars(parsed(opt, "1"))
        got["plugin_opts"], got["plugin"] = [], None
        assert got == default, opt
    for z in sorted(options._Z_IGNORED):
        got = vars(parsed("-z", z))
        assert got.pop("z") == [z]
        assert got.pop("z_warnings") == ([f"-z {z} ignored"] if z in options._Z_WARNED else [])
        assert got == {k: v for k, v in default.items() if k not in ("z", "z_warnings")}, z


def test_every_known_option_parses_or_says_why_not():
    for opt in sorted(options._KNOWN):
        for argv in ([opt], [opt, "1"]):
            try:
                parsed(*argv)
            except LinkError as e:
                assert "not supported" in str(e) or "not implemented" in str(e) or "missing argument" in str(e) \
                    or "xld links static executables only" in str(e) or "invalid" in str(e) \
                    or "linker scripts" in str(e) or "unknown" in str(e) or "syntax error" in str(e) \
                    or "no --push-state" in str(e) or "may not be used without -shared" in str(e), (argv, str(e))


# --- options that change the output ---------------------------------------------------------------

START = {
    "arm64": ".globl _start\n_start:\n  bl main\n  mov x8, #93\n  svc #0\n",
    "riscv64": ".globl _start\n_start:\n  call main\n  li a7, 93\n  ecall\n",
}
RELRO_PROGRAM = ('static const char *const names[] = {"a", "bb", "ccc"};\n'
                 "const char *const *volatile tab = names;\n"
                 "int main(void) { return tab[2][0] == 'c' ? 7 : 1; }\n")


def program(arch: str, tmp: Path, source: str = RELRO_PROGRAM, flags=("-O2", "-ffreestanding")) -> list[Path]:
    start = tc.assemble(arch, START[arch], tmp / "start.o")
    src = tmp / "main.c"
    src.write_text(source)
    return [start, tc.compiler("gcc", arch).compile(src, tmp / "main.o", list(flags))]


def link(args, cwd=None) -> subprocess.CompletedProcess:
    p = tc.xld_cli(list(map(str, args)), cwd=cwd)
    assert p.returncode == 0, p.stderr
    return p


def segments(path: Path) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    with open(path, "rb") as f:
        for s in ELFFile(f).iter_segments():
            out.setdefault(s["p_type"], []).append(dict(s.header))
    return out


PF_X = 1


@ARCHES
def test_z_execstack_norelro_stack_size(arch, tmp_path):
    objs = program(arch, tmp_path)
    plain, marked = tmp_path / "plain", tmp_path / "marked"
    link(["-o", plain, *objs])
    link(["-z", "execstack", "-z", "norelro", "-z", "stack-size=0x200000", "-o", marked, *objs])
    a, b = segments(plain), segments(marked)
    assert not a["PT_GNU_STACK"][0]["p_flags"] & PF_X
    assert b["PT_GNU_STACK"][0]["p_flags"] & PF_X
    assert b["PT_GNU_STACK"][0]["p_memsz"] == 0x200000
    assert "PT_GNU_RELRO" in a and "PT_GNU_RELRO" not in b
    assert "PT_NULL" not in b
    assert tc.qemu_run(arch, marked).status == 7
    link(["-z", "nognustack", "-o", marked, *objs])
    assert "PT_GNU_STACK" not in segments(marked)


@ARCHES
def test_z_keywords_gnu_ld_ignores_are_said_ignored(arch, tmp_path):
    """-z rodynamic (lld: a read-only .dynamic), ibt, keep-text-section-prefix...: GNU ld links
    and warns '-z KEY ignored'; xld the same (the user learns the keyword did nothing), and
    under --fatal-warnings both refuse."""
    objs = program(arch, tmp_path)
    out = tmp_path / "prog"
    for key in ("rodynamic", "ibt", "keep-text-section-prefix"):
        ld = subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ld"), "-z", key, "-o", out, *objs],
                            capture_output=True, text=True)
        assert ld.returncode == 0 and f"-z {key} ignored" in ld.stderr, ld.stderr
        p = link(["-z", key, "-o", out, *objs])
        assert f"xld: warning: -z {key} ignored" in p.stderr
        out.unlink()
        p = tc.xld_cli(["--fatal-warnings", "-z", key, "-o", str(out), *map(str, objs)])
        assert p.returncode == 1 and f"-z {key} ignored" in p.stderr and not out.exists()
    p = link(["-z", "now", "-z", "origin", "-o", out, *objs])
    assert "ignored" not in p.stderr
    # a keyword xld does not know (x86's, a newer binutils'): GNU ld and lld link on, warning
    p = link(["-z", "lam-u48", "-z", "cet-report=none", "-o", out, *objs])
    assert "xld: warning: unknown -z value: lam-u48" in p.stderr
    assert "xld: warning: -z cet-report=none ignored" in p.stderr


@ARCHES
def test_fatal_warnings_makes_fatal_only_the_z_warnings_after_it(arch, tmp_path):
    """GNU ld 2.40 warns of a -z keyword as it reads it: fatal if --fatal-warnings came
    before it (even with --no-fatal-warnings later), not if it came after; the link's own
    warnings (--warn-common) follow the last of the two.  xld made every one follow the last."""
    objs = program(arch, tmp_path)
    out = tmp_path / "prog"
    for args in (["-z", "bogus", "--fatal-warnings"], ["--fatal-warnings", "-z", "bogus"],
                 ["--fatal-warnings", "-z", "rodynamic", "--no-fatal-warnings"],
                 ["-z", "rodynamic", "--fatal-warnings", "--no-fatal-warnings"]):
        ld = subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ld"), *args, "-o", out, *objs],
                            capture_output=True, text=True)
        assert "warning: -z" in ld.stderr, ld.stderr
        out.unlink(missing_ok=True)
        p = tc.xld_cli([*args, "-o", str(out), *map(str, objs)])
        assert p.returncode == ld.returncode, (args, ld.stderr, p.stderr)
        assert ("xld: error:" in p.stderr) == bool(ld.returncode), p.stderr
        assert out.exists() == (ld.returncode == 0)

@ARCHES
def test_dependency_file_as_lld_writes_it(arch, tmp_path):
    lld = tc.require("ld.lld")
    objs = program(arch, tmp_path)
    d = tmp_path / "dir with space"
    d.mkdir()
    moved = d / "main#1.o"
    objs[1].rename(moved)
    lib = tc.archive(arch, [tc.assemble(arch, ".globl unused\nunused: .word 0\n", tmp_path / "u.o")],
                     tmp_path / "libu.a")
    args = ["./start.o", "dir with space/main#1.o", "-L.", "-lu"]
    p = subprocess.run([lld, "--dependency-file=lld.d", "-o", "prog", *args], cwd=tmp_path,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    link(["--dependency-file=xld.d", "-o", "prog", *args], cwd=tmp_path)
    want = (tmp_path / "lld.d").read_text()
    got = (tmp_path / "xld.d").read_text()
    assert got == want
    assert "dir\\ with\\ space/main\\#1.o" in got and "libu.a" in got and lib.exists()


@ARCHES
def test_package_metadata_note(arch, tmp_path):
    """The note mold writes (owner FDO, type 0xcafe1a7e, the JSON NUL-terminated and padded),
    with lld's n_descsz (the text and its NUL, without the padding mold counts) and lld's
    %XX decoding."""
    mold = tc.require("mold")
    objs = program(arch, tmp_path)
    meta = '{"type":"deb","name":"xld-test","version":"1.0"}'
    p = subprocess.run([mold, f"--package-metadata={meta}", "-o", tmp_path / "mold", *objs],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    link([f"--package-metadata={meta}", "-o", tmp_path / "xld", *objs])
    link(["--package-metadata=%7B%22type%22:%22deb%22,%22name%22:%22xld-test%22,%22version%22:%221.0%22%7d",
          "-o", tmp_path / "xld-percent", *objs])

    def note(path):
        with open(path, "rb") as f:
            e = ELFFile(f)
            sec = e.get_section_by_name(".note.package")
            assert sec is not None and sec["sh_flags"] & 2 and sec["sh_addralign"] == 4
            assert any(s["p_type"] == "PT_NOTE" and s["p_offset"] <= sec["sh_offset"] < s["p_offset"] + s["p_filesz"]
                       for s in e.iter_segments())
            return sec.data()
    ours, theirs = note(tmp_path / "xld"), note(tmp_path / "mold")
    assert ours[:4] == theirs[:4] and ours[8:] == theirs[8:]          # all but n_descsz
    assert int.from_bytes(ours[4:8], "little") == len(meta) + 1
    assert ours[8:12] == (0xCAFE1A7E).to_bytes(4, "little") and ours[12:16] == b"FDO\0"
    assert note(tmp_path / "xld-percent") == ours
    assert tc.qemu_run(arch, tmp_path / "xld").status == 7


@ARCHES
def test_output_to_stdout(arch, tmp_path):
    """-o - writes the executable to standard output (lld's behaviour), nothing else."""
    objs = program(arch, tmp_path)
    link(["-o", tmp_path / "file", *objs])
    p = subprocess.run([*tc.xld_command(), "-o", "-", *map(str, objs)], capture_output=True, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == (tmp_path / "file").read_bytes()
    assert not (tmp_path / "-").exists()


@ARCHES
@pytest.mark.parametrize("argv,words", [(["-unique"], "--unique is not supported")])
def test_unsupported_option_fails_cleanly(arch, argv, words, tmp_path):
    objs = program(arch, tmp_path)
    before = set(tmp_path.iterdir())
    p = tc.xld_cli([*argv, "-o", "out", *(o.name for o in objs)], cwd=tmp_path)
    assert p.returncode == 1
    assert p.stderr.startswith("xld: error:") and words in p.stderr and "Traceback" not in p.stderr
    assert set(tmp_path.iterdir()) == before


@ARCHES
def test_sort_common_orders_commons_by_alignment(arch, tmp_path):
    src = ("char c1;\nint i4;\nlong long l8 __attribute__((aligned(32)));\nshort s2;\n"
           "int main(void) { c1 = 1; i4 = 2; l8 = 3; s2 = 4; return c1 + i4 + l8 + s2; }\n")
    objs = program(arch, tmp_path, src, ("-O2", "-ffreestanding", "-fcommon"))
    for how, order in (("descending", ["l8", "i4", "s2", "c1"]), ("ascending", ["c1", "s2", "i4", "l8"])):
        out = tmp_path / how
        link([f"--sort-common={how}", "-o", out, *objs])
        with open(out, "rb") as f:
            syms = {s.name: s["st_value"] for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()}
        assert sorted(order, key=syms.__getitem__) == order
        assert tc.qemu_run(arch, out).status == 10


def test_no_relax_gp_keeps_absolute_accesses(tmp_path):
    """--no-relax-gp: no gp-relative access (the other relaxations stay)."""
    src = "int counter;\nint main(void) { counter += 3; return counter + 4; }\n"
    objs = program("riscv64", tmp_path, src)
    objs[0] = tc.assemble("riscv64", ".globl _start\n_start:\n  .option push\n  .option norelax\n"
                          "  lla gp, __global_pointer$\n  .option pop\n" + START["riscv64"].split(":\n", 1)[1],
                          tmp_path / "start-gp.o")
    objdump = tc.require("riscv64-linux-gnu-objdump")
    texts = {}
    for flag in ("--relax-gp", "--no-relax-gp"):
        out = tmp_path / flag.strip("-")
        link([flag, "-o", out, *objs])
        assert tc.qemu_run("riscv64", out).status == 7
        text = subprocess.run([objdump, "-d", out], capture_output=True, text=True, check=True).stdout
        texts[flag] = text.split("<main>:", 1)[1]
    assert "gp," in texts["--relax-gp"] or "(gp)" in texts["--relax-gp"]
    assert "gp" not in texts["--no-relax-gp"]


# --- diagnostics options --------------------------------------------------------------------------

def objects(arch: str, tmp: Path, sources: dict[str, str], flags=("-O2", "-ffreestanding", "-fcommon")) -> list[Path]:
    out = [tc.assemble(arch, START[arch], tmp / "start.o")]
    cc = tc.compiler("gcc", arch)
    for name, text in sources.items():
        src = tmp / f"{name}.c"
        src.write_text(text)
        out.append(cc.compile(src, tmp / f"{name}.o", list(flags)))
    return out


@ARCHES
def test_warn_common_in_lld_words(arch, tmp_path):
    lld = tc.require("ld.lld")
    objs = objects(arch, tmp_path, {"a": "int x;\nint y;\nint main(void) { return x + y + 3; }\n",
                                    "b": "int x;\n", "c": "int y = 4;\n"})
    p = tc.xld_cli(["--warn-common", "-o", tmp_path / "xld", *objs])
    assert p.returncode == 0, p.stderr
    q = subprocess.run([lld, "--warn-common", "-o", tmp_path / "lld", *objs], capture_output=True, text=True)
    assert q.returncode == 0, q.stderr
    ours = sorted(line.split("warning: ", 1)[1] for line in p.stderr.splitlines() if "warning: " in line)
    theirs = sorted(line.split("warning: ", 1)[1] for line in q.stderr.splitlines() if "warning: " in line)
    assert ours == theirs == ["common y is overridden", "multiple common of x"]
    assert tc.qemu_run(arch, tmp_path / "xld").status == 7
    p = tc.xld_cli(["-o", tmp_path / "quiet", *objs])
    assert p.returncode == 0 and "warning" not in p.stderr


@ARCHES
def test_fatal_warnings_fail_the_link(arch, tmp_path):
    objs = objects(arch, tmp_path, {"a": "int x;\nint main(void) { return x; }\n", "b": "int x;\n"})
    p = tc.xld_cli(["--warn-common", "--fatal-warnings", "-o", "out", *(o.name for o in objs)], cwd=tmp_path)
    assert p.returncode == 1 and p.stderr.startswith("xld: error: multiple common of x"), p.stderr
    assert not (tmp_path / "out").exists()
    p = tc.xld_cli(["--warn-common", "--fatal-warnings", "--no-fatal-warnings", "-o", "out",
                    *(o.name for o in objs)], cwd=tmp_path)
    assert p.returncode == 0 and "xld: warning: multiple common of x" in p.stderr


@ARCHES
def test_require_defined(arch, tmp_path):
    objs = objects(arch, tmp_path, {"main": "int main(void) { return 5; }\n",
                                    "extra": "int extra(void) { return 9; }\n"})
    lib = tc.archive(arch, [objs.pop()], tmp_path / "libextra.a")
    out = tmp_path / "prog"
    link(["--require-defined=extra", "-o", out, *objs, lib])
    with open(out, "rb") as f:
        assert any(s.name == "extra" for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols())
    p = tc.xld_cli(["--require-defined", "nosuch", "-o", "out", *(o.name for o in objs)], cwd=tmp_path)
    assert p.returncode == 1 and "xld: error: required symbol 'nosuch' not defined" in p.stderr, p.stderr
    assert not (tmp_path / "out").exists()


@ARCHES
@pytest.mark.parametrize("flag", [["--allow-multiple-definition"], ["-z", "muldefs"], ["-allow-multiple-definition"]])
def test_allow_multiple_definition_keeps_the_first(arch, flag, tmp_path):
    objs = objects(arch, tmp_path, {"a": "int twice(int x) { return 2 * x; }\nint main(void) { return twice(3); }\n",
                                    "b": "int twice(int x) { return 3 * x; }\n"},
                   ("-O0", "-ffreestanding"))
    p = tc.xld_cli(["-o", tmp_path / "dup", *objs])
    assert p.returncode == 1 and "duplicate symbol: twice" in p.stderr
    link([*flag, "-o", tmp_path / "prog", *objs])
    assert tc.qemu_run(arch, tmp_path / "prog").status == 6


@ARCHES
def test_missing_entry_symbol_warns_and_starts_at_text(arch, tmp_path):
    """GNU ld's behaviour: a warning, and the entry is the start of .text."""
    body = {"arm64": "mov x0, #3\n  mov x8, #93\n  svc #0\n", "riscv64": "li a0, 3\n  li a7, 93\n  ecall\n"}[arch]
    obj = tc.assemble(arch, f".text\n.globl begin\nbegin:\n  {body}", tmp_path / "begin.o")
    out = tmp_path / "prog"
    p = tc.xld_cli(["-o", out, obj])
    assert p.returncode == 0, p.stderr
    with open(out, "rb") as f:
        e = ELFFile(f)
        text = e.get_section_by_name(".text")["sh_addr"]
        assert e["e_entry"] == text
    assert p.stderr == f"xld: warning: cannot find entry symbol _start; defaulting to {text:016x}\n"
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu")
    q = subprocess.run([f"{tc.TRIPLE[arch]}-ld", "-o", tmp_path / "gnu", obj], capture_output=True, text=True)
    assert "cannot find entry symbol _start; defaulting to" in q.stderr and gnu.exists()
    assert tc.qemu_run(arch, out).status == 3


# --- undefined-symbol policies (GNU ld's) ----------------------------------------------------------

UNRESOLVED = ("extern int var;\nint *p = &var;\nint foo(void);\n"
              "int main(void) { if (p) return foo(); return 7; }\nint again(void) { return foo(); }\n")


@ARCHES
def test_unresolved_symbols_policies(arch, tmp_path):
    """ignore-all and --warn-unresolved-symbols leave undefined symbols at 0 in a static link
    (GNU ld's values: the pointer is null, the program runs as GNU ld's does); the warnings
    are lld's messages; report-all and ignore-in-shared-libs fail as by default."""
    objs = program(arch, tmp_path, UNRESOLVED)
    gnu = tc.gnu_ld(arch, objs, tmp_path / "gnu", ["--unresolved-symbols=ignore-all"])
    assert tc.qemu_run(arch, gnu).status == 7
    for flags in (["--unresolved-symbols=ignore-all"], ["--error-unresolved-symbols", "--warn-unresolved-symbols"]):
        out = tmp_path / "prog"
        p = link([*flags, "-o", out, *objs])
        assert tc.qemu_run(arch, out).status == 7, flags
        with open(out, "rb") as f, open(gnu, "rb") as g:
            assert _data_word(f, "p") == _data_word(g, "p") == 0
        if "--warn-unresolved-symbols" in flags:
            assert p.stderr.startswith("xld: warning: undefined symbol: foo\n>>> referenced by main.c\n") \
                and "main.o:(main)\n" in p.stderr and "xld: warning: undefined symbol: var" in p.stderr, p.stderr
        else:
            assert p.stderr == "", p.stderr
    for flags in (["--unresolved-symbols=ignore-in-shared-libs"], ["--warn-unresolved-symbols", "--error-unresolved-symbols"],
                  ["--warn-unresolved-symbols", "--fatal-warnings"]):
        p = tc.xld_cli([*flags, "-o", tmp_path / "bad", *objs])
        assert p.returncode == 1 and "xld: error: undefined symbol: foo" in p.stderr, (flags, p.stderr)
        assert not (tmp_path / "bad").exists()


@ARCHES
def test_warn_once_names_one_reference(arch, tmp_path):
    objs = program(arch, tmp_path, UNRESOLVED, ("-O0", "-ffreestanding"))
    p = tc.xld_cli(["-o", tmp_path / "bad", *objs])
    assert p.stderr.count("main.o:(main)") + p.stderr.count("main.o:(again)") == 2, p.stderr
    p = tc.xld_cli(["--warn-once", "-o", tmp_path / "bad", *objs])
    assert p.returncode == 1
    assert p.stderr.count("main.o:(main)") + p.stderr.count("main.o:(again)") == 1, p.stderr
    assert ">>> referenced 1 more times" in p.stderr, p.stderr


def _data_word(f, name: str) -> int:
    e = ELFFile(f)
    sym = next(s for s in e.get_section_by_name(".symtab").iter_symbols() if s.name == name)
    for seg in e.iter_segments():
        if seg["p_type"] == "PT_LOAD" and seg["p_vaddr"] <= sym["st_value"] < seg["p_vaddr"] + seg["p_filesz"]:
            f.seek(seg["p_offset"] + sym["st_value"] - seg["p_vaddr"])
            return int.from_bytes(f.read(8), "little")
    raise AssertionError(f"{name} is not in a loaded segment")


@ARCHES
def test_unresolved_symbols_in_a_dynamic_program_bind_at_run_time(arch, tmp_path):
    """A dynamic program imports the names it keeps undefined (as lld does; GNU ld's outputs
    differ by architecture): ld.so binds a function lazily and finds no variable."""
    wrapper = tc.ld_wrapper_dir(tmp_path)
    src = tmp_path / "dyn.c"
    src.write_text("#include <stdio.h>\nextern int maybe(int);\nextern int var;\n"
                   "int main(int argc, char **argv) { printf(\"hi\\n\");\n"
                   "  if (argc > 5) return maybe(var); return 0; }\n")
    gcc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    out = tmp_path / "dyn"
    p = subprocess.run([gcc, "-B", wrapper, "-O2", "-fPIE", "-pie", src, "-o", out,
                        "-Wl,--unresolved-symbols=ignore-all"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    with open(out, "rb") as f:
        dyn = {s.name: s for s in ELFFile(f).get_section_by_name(".dynsym").iter_symbols()}
    assert dyn["maybe"]["st_shndx"] == "SHN_UNDEF" and dyn["maybe"]["st_info"]["bind"] == "STB_GLOBAL"
    assert dyn["var"]["st_shndx"] == "SHN_UNDEF"
    r = tc.qemu_run(arch, out, sysroot=f"/usr/{tc.TRIPLE[arch]}")
    assert r.status == 127 and b"undefined symbol: var" in r.stderr, r.summary()


@ARCHES
def test_retain_symbols_file_keeps_the_named_symbols(arch, tmp_path):
    """GNU ld's --retain-symbols-file: .symtab keeps the listed names (a name no input defines
    is no error) and section symbols; the program is unchanged."""
    objs = objects(arch, tmp_path, {"main": "static int helper(int x) { return x + 1; }\n"
                                            "int twice(int x) { return helper(x) * 2; }\n"
                                            "int main(void) { return twice(3); }\n"}, ("-O0", "-ffreestanding"))
    (tmp_path / "keep").write_text("main\ntwice\n\nnothere\n")
    gnu = tc.gnu_ld(arch, objs, tmp_path / "gnu", ["--retain-symbols-file", tmp_path / "keep"])
    link(["--retain-symbols-file=keep", "-o", "prog", *(o.name for o in objs)], cwd=tmp_path)
    link(["-o", "plain", *(o.name for o in objs)], cwd=tmp_path)

    def names(path):
        with open(path, "rb") as f:
            return {s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()
                    if s["st_info"]["type"] != "STT_SECTION"}
    assert names(tmp_path / "prog") == names(gnu) == {"", "main", "twice"}
    assert {"helper", "_start"} <= names(tmp_path / "plain")
    assert tc.qemu_run(arch, tmp_path / "prog").status == 8
    p = tc.xld_cli(["--retain-symbols-file=nosuch", "-o", "bad", *(o.name for o in objs)], cwd=tmp_path)
    assert p.returncode == 1 and "xld: error: --retain-symbols-file: cannot open nosuch" in p.stderr
    assert not (tmp_path / "bad").exists()


MEMORY_SCRIPT = """\
MEMORY { ROM (rx) : ORIGIN = 0x10000, LENGTH = 64K
         RAM (rw) : ORIGIN = 0x100000, LENGTH = 1M
         BIG (rw) : ORIGIN = 0x40000000, LENGTH = 2M }
SECTIONS { .text : { *(.text*) } > ROM
           .rodata : { *(.rodata*) } > ROM
           .data : { *(.data*) } > RAM AT> ROM
           .bss : { *(.bss*) *(COMMON) } > RAM
           /DISCARD/ : { *(.eh_frame) *(.comment) *(.note*) } }
"""


@ARCHES
def test_print_memory_usage_as_gnu_ld(arch, tmp_path):
    """--print-memory-usage: GNU ld's table, byte for byte — the script's regions with what
    the sections (and .data's load image, AT> ROM) use; without MEMORY, the header alone."""
    objs = program(arch, tmp_path, 'int counter = 5;\nchar buf[3000];\nconst char msg[] = "hello";\n'
                   "int main(void) { buf[0] = msg[0]; return counter; }\n")
    (tmp_path / "mem.ld").write_text(MEMORY_SCRIPT)
    ld = tc.require(f"{tc.TRIPLE[arch]}-ld")
    for extra in (["-T", "mem.ld"], []):
        args = ["--print-memory-usage", *extra, "-o", "out", *(o.name for o in objs)]
        gnu = subprocess.run([ld, *args], cwd=tmp_path, capture_output=True, text=True)
        p = link(args, cwd=tmp_path)
        assert p.stdout == gnu.stdout, (p.stdout, gnu.stdout)
        assert p.stdout.count("\n") == (4 if extra else 1)


@ARCHES
def test_orphan_handling(arch, tmp_path):
    """--orphan-handling: input sections the script's SECTIONS does not name are placed
    (place), reported as lld reports them (warn, error), or dropped (discard, GNU ld's mode:
    then a use of them is an error, as in GNU ld)."""
    objs = program(arch, tmp_path, 'const char msg[] = "hello";\nint main(void) { return msg[1]; }\n',
                   ("-O2", "-ffreestanding", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"))
    (tmp_path / "s.ld").write_text("SECTIONS { . = 0x400000; .text : { *(.text*) } .data : { *(.data*) } }\n")
    names = [o.name for o in objs]
    want = ["start.o:(.bss) is being placed in '.bss'", "main.o:(.bss) is being placed in '.bss'",
            "main.o:(.rodata) is being placed in '.rodata'", "main.o:(.comment) is being placed in '.comment'"]
    p = link(["--orphan-handling=warn", "-T", "s.ld", "-o", "warn", *names], cwd=tmp_path)
    assert p.stderr.splitlines() == [f"xld: warning: {w}" for w in want], p.stderr
    if arch == "arm64":
        q = subprocess.run([tc.require("ld.lld"), "--orphan-handling=warn", "-T", "s.ld", "-o", "lld", *names],
                           cwd=tmp_path, capture_output=True, text=True)
        assert [ln.split("warning: ", 1)[1] for ln in q.stderr.splitlines() if "<internal>" not in ln] == want
    p = tc.xld_cli(["--orphan-handling=error", "-T", "s.ld", "-o", "err", *names], cwd=tmp_path)
    assert p.returncode == 1 and p.stderr.splitlines() == [f"xld: error: {w}" for w in want], p.stderr
    assert not (tmp_path / "err").exists()
    link(["--orphan-handling=place", "-T", "s.ld", "-o", "place", *names], cwd=tmp_path)
    assert (tmp_path / "place").read_bytes() == (tmp_path / "warn").read_bytes()
    (tmp_path / "keep.ld").write_text("SECTIONS { . = 0x400000; .text : { *(.text*) } .rodata : { *(.rodata*) } }\n")
    for script, kept in (("s.ld", ".data"), ("keep.ld", ".rodata")):
        link(["--orphan-handling=discard", "-T", script, "-o", "kept", *names], cwd=tmp_path)
        with open(tmp_path / "kept", "rb") as f:
            got = {s.name for s in ELFFile(f).iter_sections()}
        assert kept in got and not {".comment", ".bss"} & got and (".rodata" in got) == (kept == ".rodata"), got
    with open(tmp_path / "place", "rb") as f:
        assert ELFFile(f).get_section_by_name(".comment") is not None


@ARCHES
def test_orphan_handling_with_r(arch, tmp_path):
    """-r --orphan-handling: under a -T script the orphans are the sections GNU ld reports
    (those SECTIONS does not name; .riscv.attributes, merged by xld, aside), a warning or an
    error (no output) in lld's words, dropped under discard (a use is then an error, as in GNU
    ld); without a script (GNU ld's built-in -r script has orphans in every GCC object) refused."""
    objs = program(arch, tmp_path, 'const char msg[] = "hello";\nint main(void) { return msg[1]; }\n')
    (tmp_path / "r.ld").write_text("SECTIONS { .text : { *(.text*) } .data : { *(.data*) } }\n")
    names = [o.name for o in objs]
    gnu = subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ld"), "-r", "--orphan-handling=warn", "-T", "r.ld",
                          "-o", "gnu.o", *names], cwd=tmp_path, capture_output=True, text=True)
    want = [f"{f}:({sec}) is being placed in '{sec}'" for sec, f in
            re.findall(r"orphan section `([^']+)' from `([^']+)'", gnu.stderr) if sec != ".riscv.attributes"]
    assert len(want) >= 3, gnu.stderr
    p = link(["-r", "--orphan-handling=warn", "-T", "r.ld", "-o", "warn.o", *names], cwd=tmp_path)
    assert sorted(p.stderr.splitlines()) == sorted(f"xld: warning: {w}" for w in want), (p.stderr, gnu.stderr)
    p = tc.xld_cli(["-r", "--orphan-handling=error", "-T", "r.ld", "-o", "err.o", *names], cwd=tmp_path)
    assert p.returncode == 1 and sorted(p.stderr.splitlines()) == sorted(f"xld: error: {w}" for w in want)
    assert not (tmp_path / "err.o").exists()
    link(["-r", "-T", "r.ld", "-o", "place.o", *names], cwd=tmp_path)
    assert (tmp_path / "place.o").read_bytes() == (tmp_path / "warn.o").read_bytes()
    p = tc.xld_cli(["-r", "--orphan-handling=discard", "-T", "r.ld", "-o", "d.o", *names], cwd=tmp_path)
    assert p.returncode == 1 and "msg" in p.stderr and not (tmp_path / "d.o").exists(), p.stderr
    for mode in ("warn", "error", "discard"):
        p = tc.xld_cli(["-r", f"--orphan-handling={mode}", "-o", "none.o", *names], cwd=tmp_path)
        assert p.returncode == 1 and p.stderr == (f"xld: error: -r with --orphan-handling={mode} needs a linker "
                                                  "script with SECTIONS (-T): without one xld cannot tell which "
                                                  "sections are orphans\n"), p.stderr


@ARCHES
@pytest.mark.parametrize("flag", ["-N", "-n"])
def test_omagic_nmagic_one_rwx_segment(arch, flag, tmp_path):
    """GNU ld's -N/-n: one PT_LOAD, readable, writable and executable, no RELRO; -N packs the
    sections without page gaps, -n keeps them on separate pages (the file padded); GNU ld's
    warning about the RWX segment (--no-warn-rwx-segments silences it).  The programs run as
    GNU ld's do."""
    objs = program(arch, tmp_path, "int counter = 5;\nchar buf[3000];\nconst char msg[] = \"hi\";\n"
                   "int main(void) { buf[0] = msg[0]; return counter + buf[0] - 'h'; }\n")
    gnu = tc.gnu_ld(arch, objs, tmp_path / "gnu", [flag, "--no-warn-rwx-segments"])
    p = link([flag, "-o", "prog", *(o.name for o in objs)], cwd=tmp_path)
    assert p.stderr == "xld: warning: prog has a LOAD segment with RWX permissions\n"
    q = subprocess.run([f"{tc.TRIPLE[arch]}-ld", flag, "-o", "gnu2", *(o.name for o in objs)], cwd=tmp_path,
                       capture_output=True, text=True)
    assert "gnu2 has a LOAD segment with RWX permissions" in q.stderr
    for exe in (tmp_path / "prog", gnu):
        segs = segments(exe)
        assert [s["p_flags"] for s in segs["PT_LOAD"]] == [7] and "PT_GNU_RELRO" not in segs
        assert tc.qemu_run(arch, exe).status == 5
    with open(tmp_path / "prog", "rb") as f:
        e = ELFFile(f)
        text, data = e.get_section_by_name(".text")["sh_addr"], e.get_section_by_name(".data")["sh_addr"]
    assert (data - text < 0x1000) == (flag == "-N")
    p = link([flag, "--no-warn-rwx-segments", "-o", "quiet", *(o.name for o in objs)], cwd=tmp_path)
    assert p.stderr == ""
    for extra in (["-pie"], ["--fatal-warnings"]):
        p = tc.xld_cli([flag, *extra, "-o", "bad", *(o.name for o in objs)], cwd=tmp_path)
        assert p.returncode == 1 and not (tmp_path / "bad").exists(), p.stderr


@ARCHES
def test_execute_only(arch, tmp_path):
    """--execute-only (lld, AArch64): the code segment is PF_X alone, as lld writes it, and the
    program runs; other architectures, and layouts xld cannot keep code apart in, are errors."""
    objs = program(arch, tmp_path)
    names = [o.name for o in objs]
    if arch != "arm64":
        p = tc.xld_cli(["--execute-only", "-o", "bad", *names], cwd=tmp_path)
        assert p.returncode == 1 and "--execute-only is not supported on riscv64" in p.stderr
        return
    link(["--execute-only", "-o", "xo", *names], cwd=tmp_path)
    q = subprocess.run([tc.require("ld.lld"), "--execute-only", "-o", "lld", *names], cwd=tmp_path,
                       capture_output=True, text=True)
    assert q.returncode == 0, q.stderr
    for exe in ("xo", "lld"):
        flags = [s["p_flags"] for s in segments(tmp_path / exe)["PT_LOAD"]]
        assert 1 in flags and all(f == 1 or not f & 1 for f in flags), (exe, flags)   # code: X alone
        assert tc.qemu_run(arch, tmp_path / exe).status == 7
    link(["-o", "plain", *names], cwd=tmp_path)
    assert 5 in [s["p_flags"] for s in segments(tmp_path / "plain")["PT_LOAD"]]
    for extra in (["-N"], ["-T", "/dev/null"]):
        p = tc.xld_cli(["--execute-only", *extra, "-o", "bad", *names], cwd=tmp_path)
        assert p.returncode == 1 and "is not supported" in p.stderr, p.stderr


@ARCHES
def test_just_symbols_takes_another_programs_addresses(arch, tmp_path):
    """--just-symbols=FILE and -R FILE (GNU ld): FILE's symbols become absolute symbols with
    FILE's values, FILE is not linked in; the values and the call are GNU ld's."""
    cc = tc.compiler("gcc", arch)
    (tmp_path / "rom.c").write_text("int rom_add(int a, int b) { return a + b + 100; }\nint rom_table[4] = {1, 2, 3, 4};\n")
    (tmp_path / "app.c").write_text("int rom_add(int, int);\nextern int rom_table[4];\n"
                                    "int main(void) { return rom_add(rom_table[2], 1); }\n")
    rom_o = cc.compile(tmp_path / "rom.c", tmp_path / "rom.o", ["-O2"])
    app = cc.compile(tmp_path / "app.c", tmp_path / "app.o", ["-O2"])
    start = tc.assemble(arch, START[arch], tmp_path / "start.o")
    rom = tc.gnu_ld(arch, [rom_o], tmp_path / "rom.elf", ["-Ttext=0x500000", "-e", "rom_add"])
    gnu = tc.gnu_ld(arch, [start, app], tmp_path / "gnu", [f"--just-symbols={rom}"])
    objdump = tc.require(f"{tc.TRIPLE[arch]}-objdump")

    def symbols(path):
        with open(path, "rb") as f:
            return {s.name: (s["st_value"], s["st_shndx"]) for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()
                    if s.name.startswith("rom_")}
    for flag in (["--just-symbols", rom], ["-R", rom]):
        link([*flag, "-o", tmp_path / "xld", start, app])
        assert symbols(tmp_path / "xld") == symbols(gnu) == {"rom_add": (0x500000, "SHN_ABS"),
                                                              "rom_table": (symbols(rom)["rom_table"][0], "SHN_ABS")}
        text = subprocess.run([objdump, "-d", tmp_path / "xld"], capture_output=True, text=True, check=True).stdout
        assert "<rom_add>" in text.split("<main>:", 1)[1]
        with open(tmp_path / "xld", "rb") as f:
            assert ELFFile(f).get_section_by_name(".text")["sh_size"] < 0x100       # rom.elf's code is not in
    p = tc.xld_cli(["--just-symbols", rom, "-o", tmp_path / "bad", start, app, rom_o])
    assert p.returncode == 1 and "duplicate symbol: rom_add" in p.stderr and not (tmp_path / "bad").exists()
