"""--fix-cortex-a53-835769 (link/thunks.py, arch/arm64.py): a 64-bit multiply-accumulate
right after a load or store moves to a patch, ``mac; b back``, as GNU ld does it.

``gcc -mfix-cortex-a53-835769`` passes the option to the linker (and the compiler itself keeps
its own code clear), so the sites are in code compiled without it: libc.a, libstdc++.a, hand
assembly.  The oracle is GNU ld with the same option: the same sites patched (by the enclosing
function and offset), the same program output under qemu-user; and on thousands of random
(load/store, multiply-accumulate) pairs, the same pairs patched.
"""
from __future__ import annotations

import bisect
import random
import re
import struct
import subprocess
from pathlib import Path

import pytest

from tests import toolchain as tc

ARCH = "arm64"
FLAG = "--fix-cortex-a53-835769"
VENEER = "__erratum_835769_veneer_"

PROGRAM = r"""
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
__attribute__((noinline)) uint64_t dot(const uint64_t *a, const uint64_t *b, int n, uint64_t acc)
{
    for (int i = 0; i < n; i++)
        acc += a[i] * b[i] + (acc >> 3);
    return acc;
}
__attribute__((noinline)) int64_t mix(const int32_t *p, int n, int64_t h)
{
    for (int i = 0; i < n; i++)
        h = h * 1000003 + (int64_t)p[i] * (int64_t)p[n - 1 - i];
    return h;
}
/* a store then a multiply-accumulate, as hand-written assembly has them */
__asm__(".text\n.globl fused\n.type fused, %function\n"
        "fused: str x1, [x0]\n madd x0, x1, x2, x3\n ret\n.size fused, .-fused\n");
int64_t fused(int64_t *p, int64_t a, int64_t b, int64_t c);
int main(int argc, char **argv)
{
    int64_t cell;
    printf("%lld\n", (long long)fused(&cell, argc + 6, 7, cell = -1));
    uint64_t a[64], b[64];
    int32_t c[64];
    for (int i = 0; i < 64; i++) {
        a[i] = i * 7 + argc; b[i] = i ^ 0x55; c[i] = i * -3 + argc;
    }
    printf("%llu %lld\n", (unsigned long long)dot(a, b, 64, 1), (long long)mix(c, 64, 7));
    lldiv_t q = lldiv(123456789012345LL, 1000 + argc);
    printf("%lld %lld\n", q.quot, q.rem);
    return 0;
}
"""


def _patched_sites(exe: Path) -> list[str]:
    """Every branch to an 835769 patch, as "function+offset" of the site."""
    from elftools.elf.elffile import ELFFile
    with open(exe, "rb") as f:
        elf = ELFFile(f)
        funcs = sorted((s["st_value"], s.name) for s in elf.get_section_by_name(".symtab").iter_symbols()
                       if s["st_info"]["type"] == "STT_FUNC" and not s.name.startswith(VENEER))
    starts = [a for a, _ in funcs]
    dump = subprocess.run([f"{tc.TRIPLE[ARCH]}-objdump", "-d", str(exe)], capture_output=True,
                          text=True, check=True).stdout
    sites = []
    for m in re.finditer(rf"^\s*([0-9a-f]+):\s+[0-9a-f]{{8}}\s+b\s+[0-9a-f]+ <{VENEER}\d+>$", dump, re.M):
        at = int(m.group(1), 16)
        k = bisect.bisect_right(starts, at) - 1
        sites.append(f"{funcs[k][1]}+{at - funcs[k][0]:#x}")
    return sorted(sites)


@pytest.fixture(scope="module")
def program_obj(tmp_path_factory):
    d = tmp_path_factory.mktemp("e835769")
    src = d / "mac.c"
    src.write_text(PROGRAM)
    cc = tc.require(f"{tc.TRIPLE[ARCH]}-gcc")
    obj = d / "mac.o"
    subprocess.run([cc, "-O2", "-mno-fix-cortex-a53-835769", "-c", str(src), "-o", str(obj)], check=True)
    return obj


@pytest.mark.parametrize("mode", [["-static"], ["-static", "-mfix-cortex-a53-835769"], ["-pie"]],
                         ids=["static", "gcc-mfix", "pie"])
def test_same_sites_and_output_as_gnu_ld(program_obj, mode, tmp_path):
    """Through gcc -B (``-mfix-cortex-a53-835769`` makes gcc pass the option itself): the
    patched sites are GNU ld's, in the program and in libc, and the program prints the same."""
    cc = tc.require(f"{tc.TRIPLE[ARCH]}-gcc")
    extra = [] if "-mfix-cortex-a53-835769" in mode else [f"-Wl,{FLAG}"]
    gnu, ours = tmp_path / "gnu", tmp_path / "xld"
    subprocess.run([cc, *mode, *extra, str(program_obj), "-o", str(gnu)], check=True)
    p = subprocess.run([cc, "-B", str(tc.ld_wrapper_dir(tmp_path)), *mode, *extra, str(program_obj),
                        "-o", str(ours)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "xld-as-ld" / "called").exists()
    sites = _patched_sites(gnu)
    assert "fused+0x4" in sites
    assert _patched_sites(ours) == sites
    sysroot = f"/usr/{tc.TRIPLE[ARCH]}"
    want, got = tc.qemu_run(ARCH, gnu, sysroot=sysroot), tc.qemu_run(ARCH, ours, sysroot=sysroot)
    assert got.status == want.status == 0, got.summary()
    assert got.stdout == want.stdout and got.stdout.count(b"\n") == 3


def _random_pairs(rng: random.Random, n: int) -> list[tuple[int, int]]:
    """(load/store, multiply-accumulate) pairs capstone decodes, registers drawn from a few so
    that a load's destination often feeds the multiply-accumulate."""
    import capstone
    cs = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    pairs = []
    while len(pairs) < n:
        w = rng.getrandbits(32) & ~0x0A000000 | 0x08000000         # the loads-and-stores group
        if rng.random() < 0.5:
            w = w & ~0x7C1F | rng.randrange(8) << 10 | rng.randrange(8)
        if not list(cs.disasm(w.to_bytes(4, "little"), 0)):
            continue
        op31 = rng.choice([0, 1, 5, 2])                               # 2: SMULH, not affected
        ra = rng.choice([rng.randrange(8), 31])                       # 31: the MUL aliases
        m = (0x9B000000 | op31 << 21 | rng.randrange(8) << 16 | rng.randrange(2) << 15 | ra << 10
             | rng.randrange(8) << 5 | rng.randrange(8))
        if rng.random() < 0.1:
            m &= 0x7FFFFFFF                                           # the W forms: not affected
        pairs.append((w, m))
    return pairs


def test_random_pairs_patched_as_gnu_ld(tmp_path):
    """Which (load/store, multiply-accumulate) pairs count: GNU ld's choice on 3,000 random
    pairs, each followed by two NOPs; both outputs are read back at the multiply-accumulates."""
    pairs = _random_pairs(random.Random(835769), 3000)
    body = "".join(f"  .inst {w:#010x}\n  .inst {m:#010x}\n  nop\n  nop\n" for w, m in pairs)
    obj = tc.assemble(ARCH, f"  .text\n  .globl _start\n_start:\n{body}", tmp_path / "pairs.o")
    gnu = tc.gnu_ld(ARCH, [obj], tmp_path / "gnu", [FLAG])
    ours = tmp_path / "xld"
    res = tc.xld_link(["--arch", ARCH, "-static", FLAG, "-o", ours, obj])
    assert res.status == 0, res.stderr

    def patched(exe):
        from elftools.elf.elffile import ELFFile
        with open(exe, "rb") as f:
            text = ELFFile(f).get_section_by_name(".text").data()
        words = [struct.unpack_from("<I", text, 16 * k + 4)[0] for k in range(len(pairs))]
        for (w, m), got in zip(pairs, words):
            assert got == m or got >> 26 == 0b000101, f"{w:#x}: {got:#x}"     # unchanged or B
        return [got != m for (w, m), got in zip(pairs, words)]
    want = patched(gnu)
    assert 300 < sum(want) < 2700
    assert patched(ours) == want


SPANS = r"""
    .section .text.a, "ax", %progbits
    .globl _start
    .type _start, %function
_start:
    b 1f
1:  ldr x1, [sp]                  // the pair spans two input sections: not a site
    .section .text.b, "ax", %progbits
    madd x3, x4, x5, x6
    .word 0xf94003e1              // data that looks like a load, then code: not a site
    madd x3, x4, x5, x6
    ldr x4, [sp]                  // the load feeds the multiply-accumulate: not a site
    madd x3, x4, x5, x6
    str x1, [sp, #-16]!           // a site
    smaddl x3, w4, w5, x6
    ldr x1, [sp], #16
    mov x0, #42
    mov x8, #93
    svc #0
"""


def test_sites_only_in_marked_code_of_one_section(tmp_path):
    """As in GNU ld: a pair never spans input sections, both words must be code ($x), and the
    one real site is patched; the program runs the same; twice the same bytes."""
    obj = tc.assemble(ARCH, SPANS, tmp_path / "s.o")
    gnu = tc.gnu_ld(ARCH, [obj], tmp_path / "gnu", [FLAG])
    ours, again = tmp_path / "xld", tmp_path / "again"
    for out in (ours, again):
        res = tc.xld_link(["--arch", ARCH, "-static", FLAG, "-o", out, obj])
        assert res.status == 0, res.stderr
    assert again.read_bytes() == ours.read_bytes()
    assert _patched_sites(gnu) == _patched_sites(ours) == ["_start+0x20"]
    assert tc.qemu_run(ARCH, ours).status == tc.qemu_run(ARCH, gnu).status == 42
    plain = tmp_path / "plain"
    assert tc.xld_link(["--arch", ARCH, "-static", "-o", plain, obj]).status == 0
    assert _patched_sites(plain) == []


def test_ignored_on_riscv64_with_a_warning(tmp_path):
    obj = tc.assemble("riscv64", "  .globl _start\n_start:\n  li a0, 0\n  li a7, 93\n  ecall\n", tmp_path / "r.o")
    out = tmp_path / "r"
    res = tc.xld_link(["--arch", "riscv64", "-static", FLAG, "-o", out, obj])
    assert res.status == 0 and f"{FLAG} is ignored on riscv64" in res.stderr
    assert out.exists()
