"""--verify: the output's relocated places are decoded and checked against what each
relocation asked for, and its structure against the ELF invariants.

It passes on real static glibc programs (both arches, and they then run), and catches an
output corrupted between relocation and verification: one bit of a relocated branch, one byte
of a GOT slot, an entry point outside the code.  A failed verification leaves no output.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests import toolchain as tc
from xld.link import verify
from xld.link.kinds import Kind

ARCHES = pytest.mark.parametrize("arch", tc.ARCHES)

HELLO = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
__thread int tv = 5;
static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
int main(int argc, char **argv) {
    int v[] = {3, 1, 2};
    qsort(v, 3, sizeof v[0], cmp);
    char *p = malloc(64);
    snprintf(p, 64, "%d%d%d %d", v[0], v[1], v[2], argc + tv);
    puts(p);
    return strlen(p) == 5 ? 0 : 1;
}
"""


def _wrapper(tmp: Path) -> Path:
    d = tmp / "ld-verify"
    d.mkdir()
    cmd = " ".join(f"'{c}'" for c in tc.xld_command())
    (d / "ld").write_text(f'#!/bin/sh\ntouch "{d}/called"\nexec {cmd} --verify "$@"\n')
    (d / "ld").chmod(0o755)
    return d


@ARCHES
def test_verify_passes_on_static_glibc_programs(arch, tmp_path):
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    (tmp_path / "hello.c").write_text(HELLO)
    wrap = _wrapper(tmp_path)
    exe = tmp_path / "hello"
    for flags in (["-O2"], ["-O0", "-fPIC"]):
        p = subprocess.run([cc, *flags, "-static", "-B", str(wrap), str(tmp_path / "hello.c"),
                            "-o", str(exe)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        assert (wrap / "called").exists(), "the compiler driver did not run xld"
        r = tc.qemu_run(arch, exe, ["a"])
        assert r.status == 0 and r.stdout == b"123 7\n", r.summary()


# -- deliberately corrupted outputs ------------------------------------------------------------

START = {
    "arm64": ".globl _start\n_start:\n  bl main\n1: b 1b\n",
    "riscv64": ".globl _start\n_start:\n  call main\n1: j 1b\n",
}
PROGRAM = r"""
extern int counter;
int bump(int x);
int main(void) { return bump(counter); }
"""
LIBRARY = "int counter = 41;\nint bump(int x) { return x + 1; }\n"


def _objects(arch: str, tmp: Path, pic: bool = False) -> list[Path]:
    cc = tc.compiler("gcc", arch)
    (tmp / "prog.c").write_text(PROGRAM)
    (tmp / "lib.c").write_text(LIBRARY)
    flags = ["-O2", "-fPIC" if pic else "-fno-pic"]
    return [tc.assemble(arch, START[arch], tmp / "start.o"),
            cc.compile(tmp / "prog.c", tmp / "prog.o", flags),
            cc.compile(tmp / "lib.c", tmp / "lib.o", ["-O2"])]


def _site(ctx, kinds) -> tuple[int, str]:
    """The file offset of the first relocated place of one of ``kinds`` in prog.o, and the
    relocation's name."""
    t = ctx.rel
    for row in range(t.n):
        obj = ctx.files[int(t.file[row])]
        if int(t.kind[row]) in kinds and obj.name.endswith("prog.o"):
            pos = int(obj.sec_fileoff[int(t.sec[row])]) + int(t.offset[row])
            return pos, ctx.arch.howtos[int(t.type[row])].name
    raise AssertionError("no such relocation")


def _link_corrupted(monkeypatch, tmp: Path, objs, corrupt) -> tuple[int, str]:
    real = verify.run

    def corrupt_then_verify(ctx):
        corrupt(ctx)
        real(ctx)
    monkeypatch.setattr(verify, "run", corrupt_then_verify)
    out = tmp / "out"
    r = tc.xld_link(["--verify", "-o", out, *objs])
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    assert not out.exists(), "a failed verification left the output"
    return r.status, r.stderr


@ARCHES
def test_verify_catches_one_flipped_bit_in_a_branch(arch, tmp_path, monkeypatch):
    objs = _objects(arch, tmp_path)
    seen = {}

    def flip(ctx):
        pos, name = _site(ctx, {int(Kind.CALL)})
        seen["name"] = name
        ctx.out_bytes[pos + 1] ^= np.uint8(0x10)      # one bit of the branch's offset
    status, err = _link_corrupted(monkeypatch, tmp_path, objs, flip)
    assert status == 1, err
    assert "xld: error: --verify: " in err and "prog.o:(.text" in err, err
    assert seen["name"] in err and "bump" in err and "the relocation asks for" in err, err


@ARCHES
def test_verify_catches_one_changed_byte_in_a_got_slot(arch, tmp_path, monkeypatch):
    objs = _objects(arch, tmp_path, pic=True)

    def poke(ctx):
        got = ctx.outputs[".got"]
        assert ctx.got_entries, "the PIC object made no GOT slot"
        ctx.out_bytes[got.offset] ^= np.uint8(0x40)
    status, err = _link_corrupted(monkeypatch, tmp_path, objs, poke)
    assert status == 1, err
    assert ".got slot 0" in err, err


@ARCHES
def test_verify_catches_an_entry_point_outside_the_code(arch, tmp_path, monkeypatch):
    objs = _objects(arch, tmp_path)

    def move(ctx):
        data = ctx.outputs[".data"]
        ctx.out_bytes[24:32] = np.frombuffer(int(data.addr).to_bytes(8, "little"), np.uint8)
    status, err = _link_corrupted(monkeypatch, tmp_path, objs, move)
    assert status == 1 and "not in an executable segment" in err, err


@ARCHES
def test_verify_passes_uncorrupted_and_counts_what_it_checked(arch, tmp_path):
    objs = _objects(arch, tmp_path, pic=True)
    from xld.link import driver, options
    from xld.link.errors import Diag
    ctx = driver.link(options.parse(["--verify", "-o", str(tmp_path / "out"), *map(str, objs)]), Diag())
    s = ctx.verify_stats
    assert s["checked"] > 0 and s["decoded"] > 0 and s["got"] > 0, s
    assert (tmp_path / "out").exists()


# -- the field readers ---------------------------------------------------------------------------

def _fields():
    from xld.arch import arm64, riscv64
    return [(a.__name__.rsplit(".", 1)[-1], f) for a in (arm64, riscv64) for f in a.FIELDS
            if f.read is not None]


@pytest.mark.parametrize("isa,field", _fields(), ids=[f"{a}-{f.name}" for a, f in _fields()])
def test_field_reader_gives_back_what_the_writer_wrote(isa, field):
    """--verify decodes with Field.read: for any value the field can hold, and any other bits
    in the word, read(write(word, v)) agrees with v in the bits the field holds."""
    rng = np.random.default_rng(16)
    lo, hi = field.bits
    top = min(hi, 63)
    v = rng.integers(-(1 << (top - 1)), 1 << (top - 1), 4000, dtype=np.int64)
    v &= ~np.int64((1 << lo) - 1)                       # aligned as the field requires
    words = rng.integers(0, 1 << 62, 4000, dtype=np.int64).view(np.uint64) * np.uint64(3)
    if field.width < 8:
        words &= np.uint64((1 << (8 * field.width)) - 1)
    have = field.read(field.write(words, v))
    mask = -1 if hi - lo >= 64 else (1 << (hi - lo)) - 1
    assert ((((v - have) >> np.int64(lo)) & np.int64(mask)) == 0).all()
    # and a flipped bit inside the field is seen
    flipped = field.read(field.write(words, v) ^ np.uint64(1 << _some_field_bit(field)))
    assert ((((v - flipped) >> np.int64(lo)) & np.int64(mask)) != 0).all()


def _some_field_bit(field) -> int:
    """A bit of the word that the field's value occupies."""
    lo = field.bits[0]
    w = field.write(np.zeros(1, np.uint64), np.array([1 << lo], np.int64))[0]
    w0 = field.write(np.zeros(1, np.uint64), np.array([0], np.int64))[0]
    diff = int(w ^ w0)
    return (diff & -diff).bit_length() - 1


# -- debug information ---------------------------------------------------------------------------

def _debug_objects(arch: str, tmp: Path) -> list[Path]:
    cc = tc.compiler("gcc", arch)
    (tmp / "prog.c").write_text(PROGRAM)
    (tmp / "lib.c").write_text(LIBRARY)
    return [tc.assemble(arch, START[arch], tmp / "start.o"),
            cc.compile(tmp / "prog.c", tmp / "prog.o", ["-O2", "-g"]),
            cc.compile(tmp / "lib.c", tmp / "lib.o", ["-O2", "-g"])]


def _debug_site(ctx) -> tuple[int, str, str]:
    """The file offset of prog.o's first address word in .debug_info, its relocation and
    symbol."""
    from xld.link.relocate import sym_desc
    t = ctx.rel
    for row in range(t.n):
        obj = ctx.files[int(t.file[row])]
        sec = int(t.sec[row])
        if (obj.name.endswith("prog.o") and int(t.kind[row]) == int(Kind.ADDR)
                and obj.sec_outsec[sec] is not None and obj.sec_outsec[sec].name == ".debug_info"
                and not obj.sym_dead[int(t.sym[row])]):
            pos = int(obj.sec_fileoff[sec]) + int(t.offset[row])
            return (pos, ctx.arch.howtos[int(t.type[row])].name,
                    sym_desc(ctx, int(t.file[row]), int(t.sym[row])))
    raise AssertionError("no address word in prog.o's .debug_info")


@ARCHES
def test_verify_checks_debug_information_words(arch, tmp_path, monkeypatch):
    objs = _debug_objects(arch, tmp_path)
    from xld.link import driver, options
    from xld.link.errors import Diag
    ctx = driver.link(options.parse(["--verify", "-o", str(tmp_path / "ok"), *map(str, objs)]), Diag())
    assert ctx.verify_stats["debug"] > 0, ctx.verify_stats
    seen = {}

    def poke(ctx):
        pos, name, sym = _debug_site(ctx)
        seen.update(name=name, sym=sym)
        ctx.out_bytes[pos] ^= np.uint8(0x04)
    status, err = _link_corrupted(monkeypatch, tmp_path, objs, poke)
    assert status == 1, err
    assert "prog.o:(.debug_info+0x" in err and seen["name"] in err and seen["sym"] in err, err


# -- thread-local storage --------------------------------------------------------------------------

TLS_PROG = "extern __thread int tv;\nint get_tv(void) { return tv; }\nint main(void) { return get_tv(); }\n"
TLS_LIB = "__thread int pad[3] = {1, 2, 3};\n__thread int tv = 42;\n"
# initial-exec on both arches (arm64 ADRP+LDR :gottprel:, riscv64 AUIPC+LD %tls_ie_pcrel_hi, the
# slot holding the TP offset); arm64's -fPIC default, TLS descriptors, rewritten to MOVZ/MOVK
# (riscv64 compilers here make no TLS descriptors)
TLS_MODELS = [("arm64", "ie"), ("riscv64", "ie"), ("arm64", "desc")]
TLS_FLAGS = {"ie": ["-O2", "-fno-pic", "-ftls-model=initial-exec"], "desc": ["-O2", "-fPIC"]}
TLS_KINDS = {"ie": {int(Kind.TLS_IE), int(Kind.TLS_IE_PCREL), int(Kind.TLS_IE_PAGE_PCREL)},
             "desc": {int(Kind.TLS_DESC)}}


def _tls_objects(arch: str, model: str, tmp: Path) -> list[Path]:
    cc = tc.compiler("gcc", arch)
    (tmp / "prog.c").write_text(TLS_PROG)
    (tmp / "lib.c").write_text(TLS_LIB)
    return [tc.assemble(arch, START[arch], tmp / "start.o"),
            cc.compile(tmp / "prog.c", tmp / "prog.o", TLS_FLAGS[model]),
            cc.compile(tmp / "lib.c", tmp / "lib.o", ["-O2"])]


@pytest.mark.parametrize("arch,model", TLS_MODELS)
def test_verify_checks_tls_sites(arch, model, tmp_path, monkeypatch):
    """A relaxed or GOT-based TLS access (once skipped as 'rewritten') is decoded and checked."""
    objs = _tls_objects(arch, model, tmp_path)
    from xld.link import driver, options
    from xld.link.errors import Diag
    out = tmp_path / "ok"
    ctx = driver.link(options.parse(["--verify", "-o", str(out), *map(str, objs)]), Diag())
    assert out.exists() and ctx.verify_stats["checked"] > 0
    if model == "desc":
        assert ctx.verify_stats["tls_desc"] >= 2, ctx.verify_stats
    seen = {}

    def flip(ctx):
        pos, name = _site(ctx, TLS_KINDS[model])
        seen["name"] = name
        ctx.out_bytes[pos + 1] ^= np.uint8(0x20)       # a bit of the immediate / register field
    status, err = _link_corrupted(monkeypatch, tmp_path, objs, flip)
    assert status == 1, err
    assert "xld: error: --verify: " in err and "prog.o:(.text" in err, err
    assert seen["name"] in err and "against tv" in err, err


@ARCHES
def test_verify_checks_tls_got_slots(arch, tmp_path, monkeypatch):
    """An initial-exec slot of a static link holds the variable's TP offset."""
    objs = _tls_objects(arch, "ie", tmp_path)

    def poke(ctx):
        got = ctx.outputs[".got"]
        slot = next(i for i, e in enumerate(ctx.got_entries) if e[0] == 1)
        assert all(e[0] < 2 for e in ctx.got_entries[:slot]), "slots before it are not single"
        ctx.out_bytes[got.offset + 8 * slot] ^= np.uint8(0x08)
    status, err = _link_corrupted(monkeypatch, tmp_path, objs, poke)
    assert status == 1, err
    assert ".got slot" in err and "(for tv)" in err and "its TP offset is" in err, err
