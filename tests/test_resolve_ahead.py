"""A run of command-line objects with many globals is interned and partly entered at once
(link/resolve.py: Resolver.intern_ahead, _enter_ahead).  It must resolve as objects added one
by one do: the same output, the same messages, the same program behaviour as GNU ld's.
``-y`` of a name nobody has turns the run's batch off, which gives the one-by-one result."""
from __future__ import annotations

import hashlib

import pytest

from tests import toolchain as tc
from xld.link import resolve

ARCHES = pytest.mark.parametrize("arch", tc.ARCHES)

START = {
    "arm64": ".globl _start\n_start:\n  bl main\n  mov x8, #93\n  svc #0\n",
    # (gp set up: both linkers relax small data accesses to it)
    "riscv64": ".globl _start\n_start:\n  .option push\n  .option norelax\n  la gp, __global_pointer$\n"
               "  .option pop\n  call main\n  li a7, 93\n  ecall\n",
}
N = 300          # functions a file: the run has more than resolve._MANY_NAMES globals

# a.o and b.o call each other's functions; a weak and a strong definition, a COMMON and a
# definition, a name -u made before the run; dup.o defines a name a.o defines too
A_SRC = "".join(f"int g{i}(int);\nint f{i}(int x) {{ return g{i}(x) + {i}; }}\n" for i in range(N)) + """
__attribute__((weak)) int wk = 1;
int cm;
int both = 4;
int sum(void) { int s = 0; for (int i = 0; i < 3; i++) s += f0(i); return s; }
"""
B_SRC = "".join(f"int f{i}(int);\nint g{i}(int x) {{ return x ^ {i}; }}\n" for i in range(N)) + """
int wk = 2;
int cm = 3;
extern int both;
int sum(void);
int main(void) { return wk * 10 + cm + both * 0 + (sum() == 3 ? 0 : 100); }
"""
DUP_SRC = "int both = 5;\nint h(void) { return both; }\n"


@pytest.fixture(scope="module")
def run_objects(tmp_path_factory):
    out = {}
    for arch in tc.ARCHES:
        d = tmp_path_factory.mktemp(f"ahead-{arch}")
        cc = tc.compiler("gcc", arch)
        objs = [tc.assemble(arch, START[arch], d / "start.o")]
        for name, src in (("a", A_SRC), ("b", B_SRC), ("dup", DUP_SRC)):
            (d / f"{name}.c").write_text(src)
            objs.append(cc.compile(d / f"{name}.c", d / f"{name}.o", ["-O1", "-fcommon"]))
        out[arch] = (d, objs)
    return out


def _entered(monkeypatch) -> list:
    """Record the runs _enter_ahead entered."""
    seen = []
    orig = resolve.Resolver._enter_ahead

    def spy(self, objs, g, base):
        orig(self, objs, g, base)
        seen.append(sum("defs_left" in o.__dict__ for o in objs))
    monkeypatch.setattr(resolve.Resolver, "_enter_ahead", spy)
    return seen


@ARCHES
def test_a_run_entered_together_links_as_one_by_one(arch, run_objects, monkeypatch):
    d, (start, a, b, _) = run_objects[arch]
    seen = _entered(monkeypatch)
    inputs = [start, a, b, "-u", "f7"]
    together = tc.xld_link(["-o", d / "together", *inputs])
    assert together.status == 0, together.stderr
    assert seen == [3]                      # the batch was taken, for all three objects
    alone = tc.xld_link(["-o", d / "alone", *inputs, "-y", "no_such_symbol"])
    assert alone.status == 0, alone.stderr
    assert seen == [3]                      # (-y: no batch)
    digest = [hashlib.sha256((d / n).read_bytes()).hexdigest() for n in ("together", "alone")]
    assert digest[0] == digest[1]
    gnu = tc.gnu_ld(arch, [start, a, b], d / "gnu")
    assert tc.qemu_run(arch, gnu).status == 23          # strong wk, defined cm
    assert tc.qemu_run(arch, d / "together").status == 23


@ARCHES
def test_a_duplicate_in_a_run_is_said_as_one_by_one(arch, run_objects, monkeypatch):
    d, (start, a, b, dup) = run_objects[arch]
    seen = _entered(monkeypatch)
    together = tc.xld_link(["-o", d / "dup1", start, a, b, dup])
    alone = tc.xld_link(["-o", d / "dup2", start, a, b, dup, "-y", "no_such_symbol"])
    assert seen == [4]
    assert together.status == alone.status == 1
    assert "duplicate symbol: both" in together.stderr
    assert together.stderr == alone.stderr
    assert not (d / "dup1").exists() and not (d / "dup2").exists()
