"""``xld diff A B`` (tools/diff.py): two linkers' executables made from the same objects.

xld's output and GNU ld's, from the same objects (calls, tail calls, a switch, string
literals, global data, a function pointer in data, a GOT access from PIC code), compare
equivalent on both arches although their layouts differ; the same output with one call or one
ADRP/AUIPC page changed is reported, naming the function and what each side reaches.
"""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from tests import toolchain as tc
from xld.tools import diff

ARCHES = pytest.mark.parametrize("arch", tc.ARCHES)

START = {
    "arm64": ".globl _start\n_start:\n  bl main\n1: b 1b\n",
    "riscv64": ".globl _start\n_start:\n  call main\n1: j 1b\n",
}
PROGRAM = r"""
extern int counter, table[4];
extern const char *names[];
int bump(int x);
int twice(int x);
static int (*op)(int) = twice;
__attribute__((noinline)) int pick(int k) {
    switch (k) { case 0: return bump(1); case 1: return op(2); case 2: return names[0][0];
                 case 3: return table[3]; case 4: return counter; default: return k * 7; }
}
int main(void) { return pick(counter) + bump(counter) + (names[1][0] == 'w'); }
"""
LIBRARY = r"""
int counter = 41;
int table[4] = {1, 2, 3, 4};
const char *names[] = {"hello", "world"};
__attribute__((noinline)) int twice(int x) { return 2 * x; }
int bump(int x) { return twice(x) + 1; }
"""


@pytest.fixture(scope="module")
def exes(tmp_path_factory):
    """Per arch: (xld's executable, GNU ld's) from the same objects."""
    out = {}
    for arch in tc.ARCHES:
        d = tmp_path_factory.mktemp(f"diff-{arch}")
        cc = tc.compiler("gcc", arch)
        (d / "prog.c").write_text(PROGRAM)
        (d / "lib.c").write_text(LIBRARY)
        objs = [tc.assemble(arch, START[arch], d / "start.o"),
                cc.compile(d / "prog.c", d / "prog.o", ["-O2", "-fPIC"]),
                cc.compile(d / "lib.c", d / "lib.o", ["-O2", "-fno-pic"])]
        # GNU ld's layout differs from xld's: other section order and addresses
        gnu = tc.gnu_ld(arch, objs, d / "gnu", extra=["-Ttext=0x500000"])
        mine = d / "xld"
        r = tc.xld_link(["-static", "-o", mine, *objs])
        assert r.status == 0, r.stderr
        out[arch] = (mine, gnu)
    return out


def run_diff(a: Path, b: Path) -> tuple[int, str]:
    so, se = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
        status = diff.main([str(a), str(b)])
    return status, so.getvalue() + se.getvalue()


def _func(img: diff.Image, name: str) -> tuple[int, int]:
    return next((v, s) for v, s, n, t in img.syms if n == name and t == "STT_FUNC")


def _file_offset(img: diff.Image, addr: int) -> int:
    for seg in img.elf.iter_segments():
        if seg["p_type"] == "PT_LOAD" and seg["p_vaddr"] <= addr < seg["p_vaddr"] + seg["p_filesz"]:
            return addr - seg["p_vaddr"] + seg["p_offset"]
    raise AssertionError(hex(addr))


def _patch(src: Path, dst: Path, find, change) -> str:
    """Copy ``src`` to ``dst`` changing the first instruction of ``main``/``pick`` that
    ``find(word)`` accepts into ``change(word)``; the function's name."""
    img = diff.Image(str(src))
    data = bytearray(src.read_bytes())
    for fn in ("main", "pick"):
        v, size = _func(img, fn)
        off = _file_offset(img, v)
        for i in range(0, size - 3, 2 if img.machine == diff.EM_RISCV else 4):
            w = int.from_bytes(data[off + i:off + i + 4], "little")
            if find(w):
                data[off + i:off + i + 4] = (change(w) & 0xFFFFFFFF).to_bytes(4, "little")
                dst.write_bytes(bytes(data))
                return fn
    raise AssertionError("no such instruction")


@ARCHES
def test_xld_and_gnu_ld_outputs_are_equivalent(arch, exes):
    mine, gnu = exes[arch]
    assert diff.Image(str(mine)).elf.header["e_entry"] != diff.Image(str(gnu)).elf.header["e_entry"]
    status, out = run_diff(mine, gnu)
    assert status == 0, out
    assert "equivalent: " in out and " 0 functions" not in out, out


# a call: arm64 BL (0x94000000), riscv64 JAL ra / AUIPC ra+JALR; its target moved by one word
CALL = {
    "arm64": (lambda w: w & 0xFC000000 == 0x94000000, lambda w: (w & 0xFC000000) | ((w + 1) & 0x3FFFFFF)),
    "riscv64": (lambda w: w & 0xFFF == 0x0EF,                           # jal ra (relaxed call)
                lambda w: w ^ (1 << 23)),                               # 8 bytes further
}
# a data address: arm64 ADRP (its page one further), riscv64 AUIPC into a0-a5 (the same)
PAGE = {
    "arm64": (lambda w: w & 0x9F000000 == 0x90000000, lambda w: w ^ (1 << 29)),
    "riscv64": (lambda w: w & 0x7F == 0x17 and 10 <= (w >> 7) & 0x1F <= 15, lambda w: w + (1 << 12)),
}


@ARCHES
@pytest.mark.parametrize("what", ["call", "page"])
def test_diff_reports_a_corrupted_instruction(arch, what, exes, tmp_path):
    mine, gnu = exes[arch]
    find, change = (CALL if what == "call" else PAGE)[arch]
    bad = tmp_path / "bad"
    fn = _patch(mine, bad, find, change)
    status, out = run_diff(bad, gnu)
    assert status == 1, out
    lines = [ln for ln in out.splitlines() if ": A says " in ln]
    assert lines and all(ln.startswith(f"{bad}:{fn}+0x") for ln in lines), out
    # and the other way round: the same difference, seen from B
    status, out = run_diff(gnu, bad)
    assert status == 1 and f"{gnu}:{fn}+0x" in out, out


def test_diff_refuses_what_it_cannot_read(tmp_path, exes):
    junk = tmp_path / "junk"
    junk.write_bytes(b"not an ELF file at all")
    status, out = run_diff(junk, exes["arm64"][0])
    assert status == 1 and out.startswith("xld: error: ") and "not an ELF file" in out, out
    status, out = run_diff(exes["arm64"][0], exes["riscv64"][0])
    assert status == 1 and "not the same machine" in out, out


def test_diff_is_an_xld_subcommand(exes):
    mine, gnu = exes["riscv64"]
    r = tc.xld_cli(["diff", mine, gnu])
    assert r.returncode == 0 and "equivalent" in r.stderr, r.stdout + r.stderr


HELLO = '#include <stdio.h>\nint main(int argc, char **argv) { printf("%d %s\\n", argc, argv[0]); return 0; }\n'


@pytest.fixture(scope="module")
def dynamic_exes(tmp_path_factory):
    """Per arch: a dynamically linked hello from one object, by xld and by GNU ld (through gcc)."""
    return _hellos(tmp_path_factory.mktemp("diff-dyn"), [])


def _hellos(d, flags) -> dict:
    """Per arch: hello.c linked with ``flags`` through the cross gcc by xld and by GNU ld."""
    import subprocess
    wrap = tc.ld_wrapper_dir(d)
    (d / "hello.c").write_text(HELLO)
    out = {}
    for arch in tc.ARCHES:
        cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
        obj = tc.compiler("gcc", arch).compile(d / "hello.c", d / f"hello-{arch}.o", ["-O2"])
        for name, extra in (("xld", ["-B", str(wrap)]), ("gnu", [])):
            p = subprocess.run([cc, *extra, *flags, str(obj), "-o", str(d / f"{name}-{arch}")],
                               capture_output=True, text=True)
            assert p.returncode == 0, p.stderr
        assert (wrap / "called").exists()
        out[arch] = (d / f"xld-{arch}", d / f"gnu-{arch}")
    return out


@ARCHES
def test_dynamic_outputs_compare_needed_symbols_and_relocations(arch, dynamic_exes, tmp_path):
    mine, gnu = dynamic_exes[arch]
    status, out = run_diff(mine, gnu)
    diffs = [ln for ln in out.splitlines() if ": A says " in ln]
    # GNU ld exports main from a riscv64 PIE (crt1.o takes its address through the GOT); xld
    # does not need to, and diff knows an executable's extra export changes nothing.
    # Everything else matches: calls through the PLT reach the same names.
    assert status == 0 and not diffs, out
    # libc.so.6 -> libc.so.7 in xld's .dynstr: a different DT_NEEDED
    data = mine.read_bytes()
    assert data.count(b"libc.so.6\0") >= 1
    bad = tmp_path / "bad"
    bad.write_bytes(data.replace(b"libc.so.6\0", b"libc.so.7\0"))
    status, out = run_diff(bad, gnu)
    assert status == 1 and "DT_NEEDED: A says ['libc.so.7']" in out, out


@pytest.fixture(scope="module")
def static_hello(tmp_path_factory):
    """Per arch: a static glibc hello (1,100 functions, 100 k instructions) linked by xld
    and by GNU ld, both through the cross gcc."""
    return _hellos(tmp_path_factory.mktemp("diff-static"), ["-static"])


# what diff may still report on a large program: an access through a register it could not
# follow (no name on either side), never a place named differently
UNFOLLOWED = re.compile(r"A says '(\w+) [wx]\d+, \[?[wx]\d+, #0x[0-9a-f]+\]?', "
                        r"B says '\1 [wx]\d+, \[?[wx]\d+, #0x[0-9a-f]+\]?'$")


@ARCHES
def test_static_glibc_programs_are_equivalent(arch, static_hello):
    """All of static glibc, laid out by two linkers: TLS offsets (another TLS order), section
    anchors, loops and jump tables, GNU ld's relaxations (ADRP to ADR, GOT loads to ADD) and
    string merging all compare equal. riscv64: nothing reported; arm64: at most accesses
    through a register the walk could not follow (named on neither side)."""
    mine, gnu = static_hello[arch]
    status, out = run_diff(mine, gnu)
    diffs = [ln for ln in out.splitlines() if ": A says " in ln]
    assert all(UNFOLLOWED.search(ln) for ln in diffs), out
    assert len(diffs) <= 3, out
    if arch == "riscv64":
        assert status == 0 and not diffs, out


@ARCHES
def test_a_call_moved_in_static_glibc_is_found(arch, static_hello, tmp_path):
    """The walks that make static glibc compare equal still see one call's target moved by
    one instruction (in __libc_start_main, compared on its own: the whole program takes
    seconds)."""
    mine, gnu = static_hello[arch]
    find, change = CALL[arch]
    img = diff.Image(str(mine))
    v, size = _func(img, "__libc_start_main")
    data = bytearray(mine.read_bytes())
    off = _file_offset(img, v)
    for i in range(0, size - 3, 2 if arch == "riscv64" else 4):
        w = int.from_bytes(data[off + i:off + i + 4], "little")
        if find(w):
            data[off + i:off + i + 4] = (change(w) & 0xFFFFFFFF).to_bytes(4, "little")
            break
    bad = tmp_path / "bad"
    bad.write_bytes(bytes(data))
    r = diff.Report(diff.Image(str(bad)), diff.Image(str(gnu)))
    a, b = _func(r.a, "__libc_start_main"), _func(r.b, "__libc_start_main")
    assert not diff.function_diff(diff.Report(img, r.b), "__libc_start_main", _func(img, "__libc_start_main"), b)
    lines = diff.function_diff(r, "__libc_start_main", a, b)
    assert len(lines) == 1 and "+0x" in lines[0][1] and lines[0][1] != lines[0][2], lines


@ARCHES
def test_tls_symbols_hold_offsets_as_gnu_ld_s(arch, static_hello):
    """.symtab: a thread-local symbol's value is its offset in the TLS template, as GNU ld
    (and xld's own .dynsym) write it; xld wrote the address (found by xld diff)."""
    mine, gnu = (diff.Image(str(p)) for p in static_hello[arch])
    ours = {n: v for v, _s, n, _t in mine.tls_syms}
    theirs = {n: v for v, _s, n, _t in gnu.tls_syms}
    common = set(ours) & set(theirs) & {"errno", "tcache", "thread_arena", "__libc_tsd_LOCALE"}
    assert len(common) == 4
    assert all(ours[n] < 0x1000 for n in ours), ours
    # the same variables in the same TLS block size; the order may differ, the range not
    assert max(ours.values()) < mine.tls_end and max(theirs.values()) < gnu.tls_end


SELF_RELOCATING = r"""
static int dbl(int x) { return 2 * x; }
static int sq(int x) { return x * x; }
struct op { const char *name; int (*fn)(int); };
static struct op ops[] = { { "dbl", dbl }, { "sq", sq } };
static const char *words[] = { "hello", "world" };
int counter;
void _start(void) { for (;;) counter += ops[counter & 1].fn(words[counter & 1][0]); }
"""


@ARCHES
def test_pie_data_words_are_read_through_their_dynamic_relocations(arch, tmp_path):
    """A self-relocating firmware image (OpenSBI's links: -pie --no-dynamic-linker, a linker
    script): GNU ld leaves the place of each riscv64 R_RISCV_RELATIVE row zero, xld writes the
    address there as well.  The words are compared by where their relocation points: xld diff
    reported every pointer of OpenSBI's tables (362 of them in fw_jump.elf) as 'B says _start'."""
    obj = tc.compile_c(arch, SELF_RELOCATING, tmp_path, ["-O2", "-fPIE", "-fno-asynchronous-unwind-tables"])
    script = Path(__file__).parent / "scripts" / "dotsyms.ld"
    how = ["-pie", "--no-dynamic-linker", "-T", str(script)]
    gnu = tc.gnu_ld(arch, [obj], tmp_path / "gnu", extra=how)
    r = tc.xld_link([*how, "-o", tmp_path / "xld", obj])
    assert r.status == 0, r.stderr
    status, text = run_diff(tmp_path / "xld", gnu)
    assert status == 0 and "equivalent" in text, text
