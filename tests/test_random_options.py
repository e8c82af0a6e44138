"""Random link options (``xld.tools.randopts``) on random programs (``xld.tools.randprog``),
compiled by gcc (odd seeds: clang) and linked through the compiler driver by GNU ld and by xld
(``gcc -B DIR``): both links succeed or both fail; both programs run under qemu-user with the
same trace and exit status; and what the options decide agrees (``randopts.shape``: ELF type,
entry symbol, program headers, allocated sections and flags, fixed addresses, dynamic tags,
build-id, symbol tables, kept relocations, compressed debug sections; a map file exists).
Options GNU ld does not know (lld's) are checked apart: honoured, or an error that names them.
A longer run: ``XLD_RANDOPTS_SEEDS=60`` (or a range past the seeds already run, ``=61-120``)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc
from xld.tools.randopts import LLD_ONLY, differences, draw, shape
from xld.tools.randprog import gen

SEEDS = tc.seeds("XLD_RANDOPTS_SEEDS", 3)
pytestmark = tc.cross_and_qemu()


@pytest.fixture(scope="module")
def wrapper(tmp_path_factory):
    return tc.ld_wrapper_dir(tmp_path_factory.mktemp("randopts"))


def _sh(cmd, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True)


def _compile(arch, seed, plan, tmp_path) -> list[str]:
    files = gen(seed, tmp_path)
    if seed % 2 and tc.which("clang-14"):
        comp = ["clang-14", f"--target={tc.TRIPLE[arch]}"]
    else:
        comp = [f"{tc.TRIPLE[arch]}-gcc"]
    for pic, some in zip(plan.pic, (files[:1], files[1:])):
        p = _sh([*comp, *plan.cflags, pic, "-c", *some], tmp_path)
        assert p.returncode == 0, p.stderr
    return [f[:-2] + ".o" for f in files]


def link_both(arch, seed, plan, wrapper, tmp_path) -> dict:
    """Link ``plan`` with GNU ld and with xld; each linker's (link status, stderr, run, shape)."""
    objs = [tmp_path / o for o in _compile(arch, seed, plan, tmp_path)]
    res = {}
    for who, use in (("gnu", []), ("xld", ["-B", str(wrapper)])):
        d = tmp_path / who                  # (the library by its soname, beside the program)
        d.mkdir()
        driver = [f"{tc.TRIPLE[arch]}-gcc", *use]
        rest = objs[1:]
        if plan.library:
            p = _sh([*driver, "-shared", *plan.wl(plan.lib), "-o", "libu.so", *rest], d)
            if p.returncode:
                res[who] = ("lib", p.returncode, p.stderr)
                continue
            rest = ["libu.so", "-Wl,-rpath,$ORIGIN"]
        p = _sh([*driver, *plan.driver, *plan.wl(plan.prog), "-o", "p", objs[0], *rest], d)
        if p.returncode:
            res[who] = ("prog", p.returncode, p.stderr)
            continue
        r = tc.run_group([tc.QEMU[arch], "-L", f"/usr/{tc.TRIPLE[arch]}", "./p"], timeout=60, cwd=d)
        shapes = [shape(d / "p", plan.fixed)] + ([shape(d / "libu.so")] if plan.library else [])
        res[who] = ("ok", r.returncode, r.stdout.decode(), shapes, "-Map=MAP" not in plan.prog or (d / "MAP").is_file())
    return res


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("seed", SEEDS)
def test_random_link_options_as_with_gnu_ld(seed, arch, wrapper, tmp_path):
    if seed % 2:
        tc.require("clang-14")
    plan = draw(seed, arch, have_static_pie=Path(f"/usr/{tc.TRIPLE[arch]}/lib/rcrt1.o").exists())
    res = link_both(arch, seed, plan, wrapper, tmp_path)
    gnu, xld = res["gnu"], res["xld"]
    if gnu[0] != "ok":                  # (both fail: -z defs, --fatal-warnings ...)
        assert xld[:2] == gnu[:2] and "xld: error:" in xld[2], f"{plan}\nGNU ld: {gnu}\nxld: {xld}"
        return
    assert xld[0] == "ok", f"xld failed where GNU ld linked: {plan}\n{xld}"
    assert xld[1:3] == gnu[1:3], plan
    assert "u0 " in gnu[2]
    assert xld[4] and gnu[4], "no map file"
    for g, x in zip(gnu[3], xld[3]):
        assert not differences(g, x), plan


# --- what the random runs found, each from real objects -----------------------------------------

def _readelf(arch, path, what="-lW") -> str:
    return _sh([f"{tc.TRIPLE[arch]}-readelf", what, path], None).stdout


def _both(arch, wrapper, tmp_path, args) -> dict:
    out = {}
    for who, use in (("gnu", []), ("xld", ["-B", str(wrapper)])):
        p = _sh([f"{tc.TRIPLE[arch]}-gcc", *use, *args, "-o", f"out_{who}"], tmp_path)
        assert p.returncode == 0, p.stderr
        out[who] = tmp_path / f"out_{who}"
    return out


SMALL = '#include <stdio.h>\nint counter = 3;\nint main(void) { printf("%d\\n", counter); return counter; }\n'


@pytest.mark.parametrize("arch,flags", [
    ("arm64", ["-no-pie"]),                                  # two input notes: one PT_NOTE
    ("riscv64", ["-no-pie", "-Wl,-Ttext=0x600000"]),         # .text starts the code segment
    ("riscv64", ["-static", "-Wl,--section-start=.data=0x800000"]),
    ("arm64", ["-static", "-Wl,-Tdata=0x800000"]),
])
def test_as_many_program_headers_as_written(arch, flags, wrapper, tmp_path):
    """No PT_NULL header: the count reserved before layout is the count written (it used to
    count an input note section as alignment 1 before sizing it, and a --section-start
    section that begins its class's segment as a segment more)."""
    (tmp_path / "m.c").write_text(SMALL)
    outs = _both(arch, wrapper, tmp_path, [*flags, "m.c"])
    heads = {who: _readelf(arch, p) for who, p in outs.items()}
    assert " NULL " not in heads["xld"] and " NULL " not in heads["gnu"]
    r = tc.run_group([tc.QEMU[arch], "-L", f"/usr/{tc.TRIPLE[arch]}", outs["xld"]], timeout=60)
    assert (r.returncode, r.stdout) == (3, b"3\n")


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_library_only_flags_1_as_gnu_ld(arch, wrapper, tmp_path):
    """-z nodelete, -z nodlopen and -z initfirst are a library's: GNU ld leaves them out of an
    executable's DT_FLAGS_1 (ORIGIN, INTERPOSE stay), and keeps them in a library's."""
    (tmp_path / "m.c").write_text(SMALL)
    z = ["-Wl,-z,nodelete,-z,nodlopen,-z,initfirst,-z,origin,-z,interpose"]
    for kind in (["-pie", "m.c"], ["-shared", "-fPIC", "m.c"]):
        outs = _both(arch, wrapper, tmp_path, [*z, *kind])
        tags = {who: [ln.split(None, 2)[2] for ln in _readelf(arch, p, "-dW").splitlines() if "FLAGS" in ln]
                for who, p in outs.items()}
        assert tags["xld"] == tags["gnu"], kind
        assert any("NODELETE" in t for t in tags["xld"]) == (kind[0] == "-shared")


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_no_eh_frame_hdr_without_fdes(arch, wrapper, tmp_path):
    """--eh-frame-hdr where .eh_frame has no FDE (riscv64's start files have only the
    terminator; here one written by hand): no .eh_frame_hdr and no PT_GNU_EH_FRAME, as GNU
    ld; with FDEs, both."""
    (tmp_path / "f.c").write_text("int f(int x) { return x + 1; }\n")
    (tmp_path / "end.s").write_text('.section .eh_frame,"a",%progbits\n.long 0\n')
    for unwind, has in ((["-fno-asynchronous-unwind-tables", "-fno-unwind-tables"], False),
                        (["-fasynchronous-unwind-tables"], True)):
        outs = _both(arch, wrapper, tmp_path, ["-shared", "-nostartfiles", "-fPIC", "-O2", *unwind,
                                               "-Wl,--eh-frame-hdr", "f.c", "end.s"])
        for who, p in outs.items():
            assert ("GNU_EH_FRAME" in _readelf(arch, p)) == has, (who, unwind)


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_eh_frame_hdr_when_gc_sections_removed_every_fde(arch, wrapper, tmp_path):
    """--eh-frame-hdr --gc-sections where the only FDE describes a removed function: GNU ld
    writes the 12-byte header (no table: its encodings DW_EH_PE_omit) and PT_GNU_EH_FRAME, as
    an input .eh_frame held records (more than 8 bytes) before the FDE went; xld wrote
    neither."""
    (tmp_path / "e0.c").write_text("void _start(void) { for (;;); }\n")
    (tmp_path / "e2.c").write_text("void unused(void) {}\n")
    cc = f"{tc.TRIPLE[arch]}-gcc"
    for src, unwind in (("e0", ["-fno-asynchronous-unwind-tables", "-fno-unwind-tables"]),
                        ("e2", ["-fasynchronous-unwind-tables"])):
        assert _sh([cc, "-c", "-O1", "-ffunction-sections", *unwind, f"{src}.c"], tmp_path).returncode == 0
    assert _readelf(arch, tmp_path / "e2.o", "-SW").count(".eh_frame") >= 1
    outs = _both(arch, wrapper, tmp_path, ["-nostdlib", "-static", "-Wl,--eh-frame-hdr", "-Wl,--gc-sections",
                                           "e0.o", "e2.o"])
    for who, p in outs.items():
        assert "GNU_EH_FRAME" in _readelf(arch, p), who
        dump = _sh([f"{tc.TRIPLE[arch]}-readelf", "-x", ".eh_frame_hdr", p], None).stdout
        words = dump.split("\n")[2].split()[1:4]           # (version 1, encodings, pointer, count 0)
        assert len(words) == 3 and words[0] == "011bffff" and words[2] == "00000000", (who, dump)


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_lld_only_options_honoured_or_refused(arch, wrapper, tmp_path):
    """lld's options that real builds pass and GNU ld does not know: each is honoured (the
    output is the one of the options it stands for, or starts at the image base asked) or an
    error that names it, with no output."""
    (tmp_path / "m.c").write_text(SMALL)
    cc = [f"{tc.TRIPLE[arch]}-gcc", "-B", str(wrapper), "-no-pie", "m.c", "-o"]
    assert _sh([*cc, "plain"], tmp_path).returncode == 0
    for opt, (what, arg) in LLD_ONLY.items():
        out = tmp_path / "out"
        out.unlink(missing_ok=True)
        p = _sh([*cc, out, "-Wl," + opt], tmp_path)
        if what == "error":
            assert p.returncode == 1 and opt.split("=")[0] in p.stderr and "xld: error:" in p.stderr, (opt, p.stderr)
            assert not out.exists()
            continue
        assert p.returncode == 0, (opt, p.stderr)
        if what == "same as":
            assert _sh([*cc, "other", *(["-Wl," + ",".join(arg)] if arg else [])], tmp_path).returncode == 0
            assert out.read_bytes() == (tmp_path / "other").read_bytes(), opt
        else:
            first = next(ln for ln in _readelf(arch, out).splitlines() if ln.strip().startswith("LOAD"))
            assert int(first.split()[2], 16) == arg, (opt, first)


TLS_LIB = "__thread int ie = 5;\nint lib(int x) { return x + ie; }\n"
TLS_MAIN = ('#include <stdio.h>\n__thread int tv = 3;\nint lib(int);\n'     # (the PIE's own TLS only)
            'int main(void) { tv++; printf("%d %d\\n", lib(2), tv); return 0; }\n')


@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("opts", ["--disable-new-dtags,-z,now", "--disable-new-dtags,-z,origin", "-z,now"])
def test_static_tls_flag_and_bind_now_as_gnu_ld(arch, opts, wrapper, tmp_path):
    """Seed 157: GNU ld's RISC-V backend sets DF_STATIC_TLS for initial-exec TLS in any PIC
    link, a PIE's too (whose GOT slots xld fills at link time), and under --disable-new-dtags
    DF_STATIC_TLS alone makes it write DT_FLAGS, with BIND_NOW and ORIGIN in it and no
    DT_BIND_NOW. xld wrote DT_BIND_NOW and no DT_FLAGS in the PIE. (arm64: no DF_STATIC_TLS.)"""
    (tmp_path / "l.c").write_text(TLS_LIB)
    (tmp_path / "m.c").write_text(TLS_MAIN)
    cc = f"{tc.TRIPLE[arch]}-gcc"
    for args in (["l.c"], ["m.c"]):     # (-fPIC: gcc keeps the initial-exec access of tv)
        assert _sh([cc, "-c", "-O2", "-fPIC", "-ftls-model=initial-exec", *args], tmp_path).returncode == 0
    tags = {}
    for who, use in (("gnu", []), ("xld", ["-B", str(wrapper)])):
        d = tmp_path / who
        d.mkdir()
        for args in (["-shared", "../l.o", "-o", "libl.so"], ["-pie", "../m.o", "libl.so", "-Wl,-rpath,$ORIGIN", "-o", "p"]):
            p = _sh([cc, *use, *args, "-Wl," + opts], d)
            assert p.returncode == 0, p.stderr
        r = tc.run_group([tc.QEMU[arch], "-L", f"/usr/{tc.TRIPLE[arch]}", "./p"], timeout=60, cwd=d)
        assert (r.returncode, r.stdout) == (0, b"7 4\n"), who
        for f in ("libl.so", "p"):     # (GNU ld's riscv64 PIE has a DT_TEXTREL of its own: left out)
            tags[who, f] = [[w for w in ln.split()[1:] if w != "TEXTREL"]
                            for ln in _readelf(arch, d / f, "-dW").splitlines() if "FLAGS" in ln or "BIND_NOW" in ln]
    for f in ("libl.so", "p"):
        assert tags["xld", f] == tags["gnu", f], f
        assert any("STATIC_TLS" in t for t in tags["gnu", f]) == (arch == "riscv64"), (f, tags["gnu", f])
