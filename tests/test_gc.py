"""--gc-sections, --print-gc-sections, --dumpdep, --why-live and the strip options, per ISA.

Two C programs are compiled at test time with -ffunction-sections -fdata-sections:

- a freestanding one (own ``_start``, raw system calls) in two files, with unreferenced
  functions and data, a table reached only through ``__start_``/``__stop_``, a C-identifier
  section nobody asks for, and a constructor reached only through ``.init_array``;
- a static glibc one, linked through ``gcc -static -B DIR`` (DIR/ld runs xld), with TLS
  variables, an IFUNC, a constructor, a destructor and a ``__start_``/``__stop_`` table.

Each is linked by xld with and without --gc-sections and by GNU ld with --gc-sections (the
oracle; on riscv64 with --no-relax, since xld does not relax and the freestanding program has
no gp set up).  What must hold: the unreferenced code and data are gone and the rest is there
(pyelftools reads the symbol tables), the same symbols survive as with GNU ld, the programs
behave identically under qemu-user, and .text is no larger than GNU ld's.
"""
from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests.toolchain import ARCHES, QEMU, TRIPLE, missing, require

FLAGS = ["-O2", "-ffunction-sections", "-fdata-sections"]
FREE_FLAGS = ["-ffreestanding", "-fno-stack-protector", "-fno-builtin", "-fasynchronous-unwind-tables"]

SYS_H = r"""
static inline long sys_write(int fd, const void *b, unsigned long n) {
#ifdef __aarch64__
  register long x8 asm("x8") = 64; register long x0 asm("x0") = fd;
  register long x1 asm("x1") = (long)b; register long x2 asm("x2") = n;
  asm volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory"); return x0;
#else
  register long a7 asm("a7") = 64; register long a0 asm("a0") = fd;
  register long a1 asm("a1") = (long)b; register long a2 asm("a2") = n;
  asm volatile("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2) : "memory"); return a0;
#endif
}
static inline __attribute__((noreturn)) void sys_exit(int c) {
#ifdef __aarch64__
  register long x8 asm("x8") = 93; register long x0 asm("x0") = c; asm volatile("svc #0" :: "r"(x8), "r"(x0));
#else
  register long a7 asm("a7") = 93; register long a0 asm("a0") = c; asm volatile("ecall" :: "r"(a7), "r"(a0));
#endif
  for (;;) {}
}
"""

MAIN_C = r"""
#include "sys.h"
struct item { const char *name; int value; };
#define ITEM(n, v) static const struct item item_##n __attribute__((section("xld_items"), used)) = { #n, v }
ITEM(alpha, 1);
ITEM(beta, 20);
extern const struct item __start_xld_items[], __stop_xld_items[];
/* a C-identifier section nobody refers to through __start_/__stop_: removed */
static const int lonely __attribute__((section("xld_lonely"), used)) = 99;
/* SHF_GNU_RETAIN: kept though nothing refers to it */
__attribute__((retain, used, noinline)) static int retained_fn(int x) { return x + 5; }

static int ctor_ran;
__attribute__((constructor)) static void ctor(void) { ctor_ran = 300; }
typedef void (*fn)(void);
extern fn __init_array_start[], __init_array_end[];

int used_data = 7;
int unused_data[64] = {1, 2, 3, 4};
const char unused_rodata[] = "this string is never printed";
__attribute__((noinline)) int unused_fn(int x) { return x * unused_data[3]; }
__attribute__((noinline)) int helper(int x) { return x + used_data; }
__attribute__((noinline)) int used_fn(int x) { return helper(x) * 2; }
extern int other_used(int);

__attribute__((noinline)) static void put_num(char **p, long v) {
  char tmp[24]; int n = 0;
  if (v < 0) { *(*p)++ = '-'; v = -v; }
  do { tmp[n++] = '0' + v % 10; v /= 10; } while (v);
  while (n) *(*p)++ = tmp[--n];
}
__attribute__((noinline)) static void put_str(char **p, const char *s) { while (*s) *(*p)++ = *s++; }

void _start(void) {
  for (fn *f = __init_array_start; f < __init_array_end; f++) (*f)();
  long sum = 0;
  char buf[128], *p = buf;
  for (const struct item *it = __start_xld_items; it < __stop_xld_items; it++) {
    sum += it->value; put_str(&p, it->name); *p++ = ' ';
  }
  put_str(&p, "sum="); put_num(&p, sum);
  put_str(&p, " ctor="); put_num(&p, ctor_ran);
  put_str(&p, " used="); put_num(&p, used_fn(1));
  put_str(&p, " other="); put_num(&p, other_used(2));
  *p++ = '\n';
  sys_write(1, buf, p - buf);
  sys_exit((sum + ctor_ran + used_fn(1) + other_used(2)) & 0x7f);
}
"""

OTHER_C = r"""
static int table[] = {10, 20, 30, 40};
static int dead_table[] = {5, 6, 7, 8, 9};
__attribute__((noinline)) static int dead_static(int x) { return dead_table[x & 3]; }
int other_unused(int x) { return dead_static(x) + 1; }
int other_used(int x) { return table[x & 3]; }
"""

LIBC_C = r"""
#include <stdio.h>
#include <string.h>
__thread int tls_counter = 5;
__thread char tls_buf[32];
static int twice_plain(int x) { return 2 * x; }
static int twice_fancy(int x) { return x + x; }
static int (*resolve_twice(void))(int) { return twice_fancy; }
int twice(int) __attribute__((ifunc("resolve_twice")));
struct entry { const char *name; int v; };
static const struct entry e1 __attribute__((section("xld_table"), used)) = {"one", 1};
static const struct entry e2 __attribute__((section("xld_table"), used)) = {"two", 2};
extern const struct entry __start_xld_table[], __stop_xld_table[];
static int ctor_value;
__attribute__((constructor)) static void init_me(void) { ctor_value = 1234; }
static int dtor_count;
__attribute__((destructor)) static void fini_me(void) { printf("fini %d\n", dtor_count); }
int unused_glibc_fn(const char *s) { return (int)strlen(s) * 3 + puts(s) + twice_plain(2); }
double unused_glibc_data[100] = {1.5};
int main(int argc, char **argv) {
  tls_counter += twice(21);
  snprintf(tls_buf, sizeof tls_buf, "tls=%d", tls_counter);
  int sum = 0;
  for (const struct entry *e = __start_xld_table; e < __stop_xld_table; e++) sum += e->v;
  dtor_count = sum;
  printf("%s ctor=%d table=%d argc=%d\n", tls_buf, ctor_value, sum, argc);
  return 0;
}
"""

CXX_CC = r"""
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>
template <class T> __attribute__((noinline)) T sq(T x) { return x * x; }
struct Base { virtual ~Base() {} virtual int f() const = 0; };
struct D1 : Base { int f() const override { return 1; } };
struct Unused : Base { int f() const override { return 99; } };
int thrower(int x) { if (x > 2) throw std::runtime_error("boom " + std::to_string(x)); return x; }
int never_called(int x) { try { return thrower(x); } catch (...) { Unused u; Base * volatile p = &u; return p->f(); } }
int main() {
  std::vector<int> v;
  for (int i = 0; i < 5; i++) {
    try { v.push_back(thrower(i)); } catch (const std::exception &e) { std::printf("caught %s\n", e.what()); }
  }
  D1 d; const Base &b = d;
  std::printf("%zu %d %d %f\n", v.size(), b.f(), sq(7), sq(1.5));
  return 0;
}
"""

ICF_C = r"""
#include "sys.h"
__attribute__((noinline)) int leaf1(int x) { return x * 7 + 3; }
__attribute__((noinline)) int leaf2(int x) { return x * 7 + 3; }
__attribute__((noinline)) int leaf3(int x) { return x * 9 + 3; }
__attribute__((noinline)) int calls_a(int x) { return leaf1(x) + 11; }
__attribute__((noinline)) int calls_b(int x) { return leaf2(x) + 11; }
__attribute__((noinline)) int calls_c(int x) { return leaf3(x) + 11; }
__attribute__((noinline)) int taken(int x) { return x * 7 + 3; }
int (*volatile fp)(int) = taken;
void _start(void) {
  int r = calls_a(1) + calls_b(2) + calls_c(3) + fp(4);
  char c[2] = {'0' + r % 10, '\n'};
  sys_write(1, c, 2);
  sys_exit(r & 0x7f);
}
"""

KEPT = {"_start", "retained_fn", "used_fn", "helper", "used_data", "other_used", "table", "ctor", "item_alpha", "item_beta",
        "put_num", "put_str"}
GONE = {"unused_fn", "unused_data", "unused_rodata", "other_unused", "dead_static", "dead_table", "lonely"}


# -- helpers -----------------------------------------------------------------------------------

def _sh(cmd, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise AssertionError(f"command failed ({p.returncode}): {shlex.join(map(str, cmd))}\n{p.stderr[-3000:]}")
    return p


def xld(args) -> tuple[int, str, str]:
    """xld in process: (status, stdout, stderr)."""
    from xld.link.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main([str(a) for a in args])
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else 1
    return int(status or 0), out.getvalue(), err.getvalue()


def xld_ok(args) -> tuple[str, str]:
    status, out, err = xld(args)
    assert status == 0, f"xld {' '.join(map(str, args))} failed:\n{err}"
    return out, err


def symbols(path: Path) -> dict[str, tuple[int, int, str]]:
    """name -> (value, size, type) of the defined symbols (pyelftools)."""
    res = {}
    with open(path, "rb") as f:
        e = ELFFile(f)
        st = e.get_section_by_name(".symtab")
        if st is None:
            return res
        for s in st.iter_symbols():
            if s.name and s["st_shndx"] != "SHN_UNDEF":
                res[s.name] = (s["st_value"], s["st_size"], s["st_info"]["type"])
    return res


def section_size(path: Path, name: str) -> int:
    with open(path, "rb") as f:
        s = ELFFile(f).get_section_by_name(name)
        return s["sh_size"] if s is not None else 0


def section_names(path: Path) -> set[str]:
    with open(path, "rb") as f:
        return {s.name for s in ELFFile(f).iter_sections()}


def run(arch: str, exe: Path) -> tuple[int, bytes]:
    p = subprocess.run([require(QEMU[arch]), str(exe)], capture_output=True, timeout=60)
    return p.returncode, p.stdout


def gnu_extra(arch: str) -> list[str]:
    return ["--no-relax"] if arch == "riscv64" else []


class Free:
    """The freestanding program, compiled once per ISA, linked a few ways."""

    def __init__(self, arch: str, d: Path):
        self.arch, self.d = arch, d
        cc = require(f"{TRIPLE[arch]}-gcc")
        self.ld = require(f"{TRIPLE[arch]}-ld")
        (d / "sys.h").write_text(SYS_H)
        (d / "main.c").write_text(MAIN_C)
        (d / "other.c").write_text(OTHER_C)
        self.main, self.other = d / "main.o", d / "other.o"
        for src, obj in ((d / "main.c", self.main), (d / "other.c", self.other)):
            _sh([cc, *FLAGS, *FREE_FLAGS, "-g", "-c", src, "-o", obj])
        self.objs = [self.main, self.other]
        self.gnu = d / "gnu-gc"
        _sh([self.ld, "-static", "--gc-sections", *gnu_extra(arch), "-o", self.gnu, *self.objs])
        self.gc = d / "xld-gc"
        _, self.gc_stderr = xld_ok(["-static", "--gc-sections", "--print-gc-sections", "-o", self.gc, *self.objs])
        self.nogc = d / "xld-nogc"
        xld_ok(["-static", "-o", self.nogc, *self.objs])


@pytest.fixture(scope="module", params=ARCHES)
def free(request, tmp_path_factory) -> Free:
    return Free(request.param, tmp_path_factory.mktemp(f"gc-free-{request.param}"))


# -- --gc-sections on the freestanding program ---------------------------------------------------

def test_unreferenced_code_and_data_are_removed(free):
    gc, nogc = symbols(free.gc), symbols(free.nogc)
    assert KEPT <= gc.keys(), f"missing after --gc-sections: {KEPT - gc.keys()}"
    assert not (GONE & gc.keys()), f"should have been removed: {GONE & gc.keys()}"
    assert GONE <= nogc.keys(), "without --gc-sections every section stays"


def test_same_symbols_survive_as_with_gnu_ld(free):
    def kept(path):
        return {n for n, (_, _, t) in symbols(path).items() if t in ("STT_FUNC", "STT_OBJECT")
                and n != "_GLOBAL_OFFSET_TABLE_"}        # GNU ld defines it whether used or not
    assert kept(free.gc) == kept(free.gnu)


def test_programs_run_like_gnu_ld(free):
    want = run(free.arch, free.gnu)
    assert want[1].startswith(b"beta alpha sum=21 ctor=300") or want[1].startswith(b"alpha beta sum=21 ctor=300")
    assert run(free.arch, free.gc) == want
    assert run(free.arch, free.nogc) == want


def test_text_is_no_larger_than_gnu_ld(free):
    ours, gnu, full = (section_size(p, ".text") for p in (free.gc, free.gnu, free.nogc))
    assert ours <= gnu, f".text {ours} bytes with xld, {gnu} with GNU ld"
    assert ours < full


def test_eh_frame_describes_only_live_functions(free):
    """FDEs of removed functions are dropped; every FDE left starts at a function."""
    with open(free.gc, "rb") as f:
        e = ELFFile(f)
        assert e.get_section_by_name(".eh_frame") is not None, "GCC emits .eh_frame on both ISAs"
        starts = [fde.header["initial_location"] for fde in e.get_dwarf_info().EH_CFI_entries()
                  if type(fde).__name__ == "FDE"]
    funcs = {v: n for n, (v, _, t) in symbols(free.gc).items() if t == "STT_FUNC"}
    assert starts and all(s in funcs for s in starts), (starts, funcs)
    with open(free.gnu, "rb") as f:
        gnu = [x for x in ELFFile(f).get_dwarf_info().EH_CFI_entries() if type(x).__name__ == "FDE"]
    assert len(starts) == len(gnu)


def test_print_gc_sections_lists_what_gnu_ld_lists(free):
    ours = sorted(l for l in free.gc_stderr.splitlines() if l.strip())
    assert f"removing unused section '.text.unused_fn' in file '{free.main}'" in ours
    assert f"removing unused section '.rodata.dead_table' in file '{free.other}'" in ours or \
        f"removing unused section '.data.dead_table' in file '{free.other}'" in ours
    assert not any("used_fn'" in l and "unused" not in l for l in ours)
    p = subprocess.run([free.ld, "-static", "--gc-sections", "--print-gc-sections", *gnu_extra(free.arch),
                        "-o", free.d / "gnu-print", *map(str, free.objs)], capture_output=True, text=True)
    gnu = sorted(re.sub(r"^\S*ld: ", "", l) for l in p.stderr.splitlines() if "removing" in l)
    assert ours == gnu


def test_dumpdep_prints_the_walk(free):
    out, _ = xld_ok(["--dumpdep", "--gc-sections", "-o", free.d / "dd", *free.objs])
    again, _ = xld_ok(["-dumpdep", "--gc-sections", "-o", free.d / "dd", *free.objs])
    assert out == again                          # a min-heap walk: the same order every time
    edges = [tuple(l.split(" -> ")) for l in out.splitlines()]
    assert all(len(e) == 2 for e in edges), out
    assert ("<root>", "_start") in edges
    for e in [("_start", "used_fn"), ("used_fn", "helper"), ("helper", "used_data"), ("_start", "other_used"),
              ("other_used", "table")]:
        assert e in edges, f"missing edge {e}:\n{out}"
    # the table reached through __start_xld_items, the constructor through .init_array
    assert any(a == "_start" and b.startswith("item_") for a, b in edges), out
    assert any(a.endswith(":.init_array") and b == "ctor" for a, b in edges), out
    # roots come first; each section is reached once, from one already reached
    seen = set()
    for k, (a, b) in enumerate(edges):
        if a == "<root>":
            assert all(x == "<root>" for x, _ in edges[:k])
        else:
            assert a in seen, f"{a} used before it was reached"
        assert b not in seen, f"{b} reached twice"
        seen.add(b)
    assert not any("unused" in b or "dead" in b for _, b in edges)


def test_undefined_and_entry_are_roots(free):
    out = free.d / "u"
    xld_ok(["--gc-sections", "-u", "unused_fn", "--undefined=other_unused", "-o", out, *free.objs])
    s = symbols(out)
    assert {"unused_fn", "unused_data", "other_unused", "dead_static", "dead_table"} <= s.keys()
    assert "unused_rodata" not in s
    # another entry: what only _start needs goes, the new entry's callees stay
    out = free.d / "e"
    xld_ok(["--gc-sections", "-e", "used_fn", "-o", out, *free.objs])
    s = symbols(out)
    assert {"used_fn", "helper", "used_data", "ctor", "retained_fn"} <= s.keys()
    assert not ({"_start", "other_used", "table", "put_num", "item_alpha"} & s.keys())


def test_dumpdep_alone_removes_nothing(free):
    out = free.d / "dd-only"
    xld_ok(["--dumpdep", "-o", out, *free.objs])
    assert GONE <= symbols(out).keys()


def test_why_live_prints_the_chain(free):
    out, _ = xld_ok(["--gc-sections", "--why-live=helper", "--why-live=item_beta", "--why-live=unused_fn",
                     "-o", free.d / "wl", *free.objs])
    lines = out.splitlines()
    assert lines[:3] == ["live symbol: helper", ">>> kept live by used_fn", ">>> kept live by _start"]
    assert lines[3:] == ["live symbol: item_beta", f">>> kept live by {free.main}:(xld_items)",
                         ">>> kept live by __start_xld_items", ">>> kept live by _start"] or \
        lines[3:] == ["live symbol: item_beta", f">>> kept live by {free.main}:(xld_items)",
                      ">>> kept live by __stop_xld_items", ">>> kept live by _start"], out
    # a glob, as lld takes
    out, _ = xld_ok(["--gc-sections", "--why-live=other_*", "-o", free.d / "wl2", *free.objs])
    assert out.splitlines() == ["live symbol: other_used", ">>> kept live by _start"]


@pytest.mark.parametrize("arch", ARCHES)
def test_icf_folds_identical_functions(arch, tmp_path):
    """leaf1 = leaf2 = taken byte for byte; calls_a = calls_b once their callees fold
    (refinement); leaf3/calls_c differ.  safe leaves the address-taken one alone."""
    cc = require(f"{TRIPLE[arch]}-gcc")
    (tmp_path / "sys.h").write_text(SYS_H)
    (tmp_path / "icf.c").write_text(ICF_C)
    obj = tmp_path / "icf.o"
    _sh([cc, *FLAGS, *FREE_FLAGS, "-c", tmp_path / "icf.c", "-o", obj])
    res = {}
    for mode in ("none", "all", "safe"):
        out = tmp_path / f"icf-{mode}"
        xld_ok(["--gc-sections", f"--icf={mode}", "-o", out, obj])
        res[mode] = symbols(out)
        assert run(arch, out) == (121, b"1\n"), mode
    addr = {m: {n: v[0] for n, v in s.items()} for m, s in res.items()}
    none, all_, safe = addr["none"], addr["all"], addr["safe"]
    assert len({none[n] for n in ("leaf1", "leaf2", "taken", "calls_a", "calls_b")}) == 5
    assert all_["leaf1"] == all_["leaf2"] == all_["taken"] != all_["leaf3"]
    assert all_["calls_a"] == all_["calls_b"] != all_["calls_c"]
    assert safe["leaf1"] == safe["leaf2"] != safe["taken"]
    assert safe["calls_a"] == safe["calls_b"] != safe["calls_c"]
    _, err = xld_ok(["--gc-sections", "--icf=safe", "--print-icf-sections", "-o", tmp_path / "icf-p", obj])
    assert err.splitlines() == [f"selected section {obj}:(.text.leaf1)",
                                f"  removing identical section {obj}:(.text.leaf2)",
                                f"selected section {obj}:(.text.calls_a)",
                                f"  removing identical section {obj}:(.text.calls_b)"]
    sizes = {m: section_size(tmp_path / f"icf-{m}", ".text") for m in res}
    assert sizes["all"] < sizes["safe"] < sizes["none"]


# -- static glibc: TLS, IFUNC, constructors, __start_/__stop_ --------------------------------------

@pytest.fixture(scope="module")
def ld_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("gc-xld-bin")
    ld = d / "ld"
    ld.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m xld.link \"$@\"\n")
    ld.chmod(0o755)
    return d


@pytest.mark.parametrize("arch", ARCHES)
def test_static_glibc_program_keeps_tls_ifunc_ctors(arch, ld_dir, tmp_path):
    cc = require(f"{TRIPLE[arch]}-gcc")
    require(QEMU[arch])
    (tmp_path / "prog.c").write_text(LIBC_C)
    obj = tmp_path / "prog.o"
    _sh([cc, *FLAGS, "-c", tmp_path / "prog.c", "-o", obj])
    gnu, ours, full = tmp_path / "gnu", tmp_path / "xld", tmp_path / "xld-nogc"
    try:
        _sh([cc, "-static", obj, "-o", gnu, "-Wl,--gc-sections" + ("".join(",--no-relax" for _ in gnu_extra(arch)))])
    except AssertionError as e:
        if "cannot find -lc" in str(e):
            missing(f"static glibc for {arch} is not installed")
        raise
    _sh([cc, "-static", "-B", ld_dir, obj, "-o", ours, "-Wl,--gc-sections"])
    _sh([cc, "-static", "-B", ld_dir, obj, "-o", full])
    want = run(arch, gnu)
    assert want == (0, b"tls=47 ctor=1234 table=3 argc=1\nfini 3\n")
    assert run(arch, ours) == want
    s = symbols(ours)
    assert s["tls_counter"][2] == "STT_TLS" and s["tls_buf"][2] == "STT_TLS"
    assert s["twice"][2] == "STT_LOOS"        # STT_GNU_IFUNC, as pyelftools names it
    for name in ("resolve_twice", "twice_fancy", "init_me", "fini_me", "e1", "e2", "main"):
        assert name in s, name
    for name in ("unused_glibc_fn", "unused_glibc_data"):
        assert name not in s, name
        assert name in symbols(full)
    ours_text, gnu_text, full_text = (section_size(p, ".text") for p in (ours, gnu, full))
    assert ours_text <= gnu_text, f".text {ours_text} bytes with xld, {gnu_text} with GNU ld"
    assert ours_text < full_text


@pytest.mark.parametrize("arch", ARCHES)
def test_both_walks_keep_the_same_sections(arch, ld_dir, tmp_path):
    """--gc-sections alone walks whole frontiers with array operations; --why-live (and
    --dumpdep) walk edge by edge to record why.  Same live set: the same removed sections
    and the same output bytes, on a static glibc program (libc's groups, .eh_frame, IFUNCs,
    __start_/__stop_ sections)."""
    cc = require(f"{TRIPLE[arch]}-gcc")
    (tmp_path / "prog.c").write_text(LIBC_C)
    obj = tmp_path / "prog.o"
    _sh([cc, *FLAGS, "-c", tmp_path / "prog.c", "-o", obj])
    outs = {}
    for name, extra in (("sets", ""), ("edges", ",--why-live=main")):
        exe = tmp_path / name
        p = _sh([cc, "-static", "-B", ld_dir, obj, "-o", exe, "-Wl,--gc-sections,--print-gc-sections" + extra])
        removed = sorted(ln for ln in p.stderr.splitlines() if ln.startswith("removing unused section"))
        outs[name] = (removed, exe.read_bytes())
    assert len(outs["sets"][0]) > 10
    assert outs["sets"] == outs["edges"]


@pytest.mark.parametrize("arch", ARCHES)
def test_static_cxx_exceptions_comdat_and_vtables(arch, ld_dir, tmp_path):
    """g++: COMDAT template instances, vtables, and exceptions unwinding through FDEs whose
    LSDAs and personality routine are kept only because live functions need them."""
    cxx = require(f"{TRIPLE[arch]}-g++")
    require(QEMU[arch])
    (tmp_path / "ex.cc").write_text(CXX_CC)
    obj = tmp_path / "ex.o"
    _sh([cxx, *FLAGS, "-c", tmp_path / "ex.cc", "-o", obj])
    gnu, ours = tmp_path / "gnu", tmp_path / "xld"
    try:
        _sh([cxx, "-static", obj, "-o", gnu, "-Wl,--gc-sections" + "".join("," + x for x in gnu_extra(arch))])
    except AssertionError as e:
        if "cannot find" in str(e):
            missing(f"static libstdc++/glibc for {arch} is not installed")
        raise
    _sh([cxx, "-static", "-B", ld_dir, obj, "-o", ours, "-Wl,--gc-sections"])
    want = run(arch, gnu)
    assert want == (0, b"caught boom 3\ncaught boom 4\n3 1 49 2.250000\n")
    assert run(arch, ours) == want
    s = symbols(ours)
    assert {"_Z7throweri", "_Z2sqIiET_S0_", "_Z2sqIdET_S0_"} <= s.keys()   # COMDAT instances
    assert not ({"_Z12never_calledi", "_ZTV6Unused", "_ZTI6Unused", "_ZNK6Unused1fEv"} & s.keys())
    assert section_size(ours, ".text") <= section_size(gnu, ".text")


# -- stripping -----------------------------------------------------------------------------------

def test_strip_all_debug_and_locals(free):
    d = free.d
    outs = {flag: d / f"strip{flag}" for flag in ("-s", "-S", "--discard-all")}
    for flag, out in outs.items():
        xld_ok([flag, "--gc-sections", "-o", out, *free.objs])
        assert run(free.arch, out) == run(free.arch, free.gc)
    assert any(n.startswith(".debug") for n in section_names(free.gc))
    names = section_names(outs["-s"])
    assert ".symtab" not in names and ".strtab" not in names
    names = section_names(outs["-S"])
    assert ".symtab" in names and not any(n.startswith(".debug") for n in names)
    assert "put_num" in symbols(outs["-S"])
    s = symbols(outs["--discard-all"])
    assert "used_fn" in s and "_start" in s
    assert not ({"put_num", "put_str", "ctor", "table", "item_alpha"} & s.keys())


# -- the roots of a dynamic output: what it exports, not every global -----------------------------

EXPORTS_C = r"""
__attribute__((visibility("hidden"), noinline)) int hidden_unused(int x) { return x * 7; }
__attribute__((visibility("hidden"), noinline)) int hidden_used(int x) { return x * 5; }
__attribute__((visibility("protected"))) int prot_fn(int x) { return x * 3; }
int local_by_script(int x) { return x + 11; }
int exported(int x) { return hidden_used(x) + 1; }
"""
EXPORTS_AR = "int from_archive(int x) { return x * 9; }\nint from_archive2(int x) { return x * 13; }\n"
EXPORTS_USE = "int from_archive(int);\nint uses_archive(int x) { return from_archive(x); }\n"
EXPORTS_MAIN = r"""
#include <stdio.h>
int exported(int);
int main(int argc, char **argv) { printf("%d\n", exported(argc)); return 0; }
"""
OURS = ("hidden_unused", "hidden_used", "prot_fn", "local_by_script", "exported", "from_archive",
        "from_archive2", "uses_archive", "main")


@pytest.mark.parametrize("arch", ARCHES)
def test_dynamic_outputs_keep_what_they_export_as_gnu_ld_does(arch, ld_dir, tmp_path):
    """-shared --gc-sections (and an executable's --export-dynamic or dynamic list): the
    roots are the definitions the output exports (GNU ld's rule): not hidden ones, not those
    a version script makes local, not an --exclude-libs archive's; the same functions survive
    as with GNU ld, and the library works."""
    cc = require(f"{TRIPLE[arch]}-gcc")
    require(QEMU[arch])
    for name, text in (("a.c", EXPORTS_C), ("b.c", EXPORTS_AR), ("use.c", EXPORTS_USE), ("m.c", EXPORTS_MAIN)):
        (tmp_path / name).write_text(text)
    (tmp_path / "v.map").write_text("{ global: exported; prot_fn; uses_archive; from_archive*; local: *; };\n")
    (tmp_path / "dl.txt").write_text("{ prot_fn; };\n")
    base = [cc, *FLAGS, "-fPIC"]
    _sh([*base, "-c", "a.c", "b.c", "use.c", "m.c"], cwd=tmp_path)
    _sh([f"{TRIPLE[arch]}-ar", "rcs", "libb.a", "b.o"], cwd=tmp_path)
    cases = {"shared": ["-shared"], "version-script": ["-shared", "-Wl,--version-script=v.map"],
             "exclude-libs": ["-shared", "-Wl,--exclude-libs,ALL"],
             "dynamic-list": ["m.o", "-Wl,--dynamic-list=dl.txt"], "export-dynamic": ["m.o", "-rdynamic"]}
    kept = {}
    for case, opts in cases.items():
        for who, extra in (("gnu", []), ("xld", ["-B", ld_dir])):
            out = tmp_path / f"{who}-{case}"
            _sh([*base, *extra, "-Wl,--gc-sections", *opts, "a.o", "use.o", "libb.a", "-o", out], cwd=tmp_path)
            kept[who, case] = {n for n in symbols(out) if n in OURS}
        assert kept["xld", case] == kept["gnu", case], case
    assert "hidden_unused" not in kept["xld", "shared"] and "hidden_used" in kept["xld", "shared"]
    assert "local_by_script" not in kept["xld", "version-script"]
    assert "from_archive2" not in kept["xld", "exclude-libs"] and "from_archive2" in kept["xld", "shared"]
    assert kept["xld", "dynamic-list"] == {"main", "exported", "hidden_used", "prot_fn"}
    # the library works: a program linked against xld's
    lib = tmp_path / "libx.so"
    (tmp_path / "xld-shared").rename(lib)
    _sh([cc, "-B", ld_dir, "m.o", "-L.", "-lx", "-Wl,-rpath,$ORIGIN", "-o", "prog"], cwd=tmp_path)
    p = subprocess.run([require(QEMU[arch]), "-L", f"/usr/{TRIPLE[arch]}", "prog", "x"], cwd=tmp_path,
                       capture_output=True, timeout=60)
    assert (p.returncode, p.stdout) == (0, b"11\n")


INIT_FINI_C = r"""
#include <stdio.h>
__attribute__((visibility("hidden"))) void myinit(void) { puts("myinit"); }
__attribute__((visibility("hidden"))) void myfini(void) { puts("myfini"); }
int api(void) { return 5; }
"""


@pytest.mark.parametrize("arch", ARCHES)
def test_init_and_fini_symbols_are_roots(arch, ld_dir, tmp_path):
    """-init/-fini name DT_INIT/DT_FINI: their functions are roots even when hidden (GNU ld);
    xld removed them and wrote DT_INIT 0 (ld.so on arm64 then called the load base)."""
    cc = require(f"{TRIPLE[arch]}-gcc")
    (tmp_path / "lib.c").write_text(INIT_FINI_C)
    (tmp_path / "m.c").write_text(EXPORTS_MAIN.replace("exported", "api"))
    _sh([cc, *FLAGS, "-fPIC", "-c", "lib.c", "m.c"], cwd=tmp_path)
    lib = tmp_path / "libl.so"
    _sh([cc, "-B", ld_dir, "-shared", "lib.o", "-o", lib, "-Wl,--gc-sections", "-Wl,-init,myinit",
         "-Wl,-fini,myfini"], cwd=tmp_path)
    s = symbols(lib)
    with open(lib, "rb") as f:
        tags = {t.entry.d_tag: t.entry.d_val for t in ELFFile(f).get_section_by_name(".dynamic").iter_tags()}
    assert tags["DT_INIT"] == s["myinit"][0] != 0 and tags["DT_FINI"] == s["myfini"][0] != 0
    if arch == "arm64":                 # (glibc's riscv64 ld.so does not run DT_INIT/DT_FINI)
        _sh([cc, "-B", ld_dir, "m.o", "-L.", "-ll", "-Wl,-rpath,$ORIGIN", "-o", "prog"], cwd=tmp_path)
        p = subprocess.run([require(QEMU[arch]), "-L", f"/usr/{TRIPLE[arch]}", "prog"], cwd=tmp_path,
                           capture_output=True, timeout=60)
        assert (p.returncode, p.stdout) == (0, b"myinit\n5\nmyfini\n")


GC_COMMONS = {"a.c": "int used_c, same_file_c[9]; int f(void) { return used_c; }\n",
              "b.c": "int dead_c[100], dead_too; int g(void) { return dead_c[0] + dead_too; }\n",
              "s.c": "int f(void); int _start(void) { return f(); }\n"}


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("script", [False, True, "keep"])
def test_gc_sections_removes_a_files_unused_commons(arch, script, tmp_path):
    """-fcommon with --gc-sections: a file's COMMON symbols are one input section of that file
    for GNU ld, removed when nothing live refers to any of them (b.c's), kept whole when one
    is (a.c's same_file_c with used_c); xld kept every common (.bss 404 bytes larger).
    Found by tests/test_random_scripts.py. A script's KEEP(*(COMMON)) keeps them all (xld
    removed b.c's there too, silently)."""
    from tests import toolchain as tc
    objs = []
    for name, text in GC_COMMONS.items():
        (tmp_path / name).write_text(text)
        objs.append(tc.compiler("gcc", arch).compile(tmp_path / name, tmp_path / name.replace(".c", ".o"),
                                                     ["-O2", "-fcommon", "-ffunction-sections", "-fno-pie"]))
    common = "KEEP(*(COMMON))" if script == "keep" else "*(COMMON)"
    (tmp_path / "s.ld").write_text("ENTRY(_start) SECTIONS { . = 0x10000; .text : { *(.text*) } .bss : { *(.bss*) "
                                   + common + " } }\n")
    extra = ["--gc-sections"] + (["-T", str(tmp_path / "s.ld")] if script else [])
    gnu = tc.gnu_ld(arch, objs, tmp_path / "gnu.elf", extra)
    res = tc.xld_link([*extra, "-o", tmp_path / "xld.elf", *objs])
    assert res.status == 0, res.stderr

    def commons(exe):
        with open(exe, "rb") as f:
            e = ELFFile(f)
            names = {s.name for s in e.get_section_by_name(".symtab").iter_symbols()} & {
                "used_c", "same_file_c", "dead_c", "dead_too"}
            return sorted(names), e.get_section_by_name(".bss")["sh_size"]
    if script == "keep":
        assert commons(gnu) == (["dead_c", "dead_too", "same_file_c", "used_c"], 448)
    else:
        assert commons(gnu) == (["same_file_c", "used_c"], 40)
    assert commons(tmp_path / "xld.elf") == commons(gnu)


COMDAT_FIRST = ("template<class T> __attribute__((noinline)) T twice(T x) { return x + x; }\n"
                "template<class T> __attribute__((noinline)) T thrice(T x) { return x * 3; }\n"
                "int used(int x) { return twice(x); }\n"
                "int unused(int x) { return thrice(x) + twice<long>(x); }\n"
                "struct S { int a; long b; };\nint first_s(S *s) { return s->a; }\n")
COMDAT_SECOND = ("template<class T> __attribute__((noinline)) T twice(T x) { return x + x; }\n"
                 "template<class T> __attribute__((noinline)) T thrice(T x) { return x * 3; }\n"
                 "int used(int);\nint other(int x) { return twice(x) + thrice(x); }\n"
                 "int main() { return used(1); }\n"
                 "struct S { int a; long b; };\nint second_s(S *s) { return (int)s->b; }\n")


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("kind", [["-e", "main"], ["-r", "-u", "main"]])
@pytest.mark.parametrize("compiler", ["g++", "clang", "g++ debug types"])
def test_print_gc_sections_lines_as_gnu_ld_with_comdat_groups(arch, kind, compiler, tmp_path):
    """--print-gc-sections with COMDAT groups: GNU ld's lines, in its order, in final and -r
    links: a group's member named with its signature ('.text._Z5twiceIlET_S0_[...]'), the
    '.group' section of each group whose first member went, and the members of the copies
    dropped for an earlier file's (nothing reaches them: GNU ld's sweep names them too).
    clang puts each '.group' before its members, and GNU ld's reader makes every later
    '.group' as it makes the first member: those lines come first.  A group of debug sections
    (-fdebug-types-section) stays, dropped copy or not.  xld printed neither the '.group'
    lines nor the dropped copies."""
    if compiler == "clang":
        cxx = [require("clang-14"), f"--target={TRIPLE[arch]}"]
    else:
        cxx = [require(f"{TRIPLE[arch]}-g++")] + (["-gdwarf-4", "-fdebug-types-section"] if "debug" in compiler else [])
    objs = []
    for name, text, flags in (("c", COMDAT_FIRST, ["-ffunction-sections"]), ("d", COMDAT_SECOND, [])):
        (tmp_path / f"{name}.cc").write_text(text)
        objs.append(tmp_path / f"{name}.o")
        subprocess.run([*cxx, "-O1", *flags, "-c", str(tmp_path / f"{name}.cc"), "-o", str(objs[-1])], check=True)
    args = [*kind, "--gc-sections", "--print-gc-sections", *map(str, objs)]
    gnu = subprocess.run([require(f"{TRIPLE[arch]}-ld"), *args, "-o", str(tmp_path / "g")],
                         capture_output=True, text=True, check=True).stderr
    from tests import toolchain as tc
    ours = tc.xld_link(["--arch", arch, *args, "-o", tmp_path / "x"])
    assert ours.status == 0, ours.stderr
    want = [ln.split(": ", 1)[1] for ln in gnu.splitlines()]
    assert f"removing unused section '.text._Z5twiceIlET_S0_[_Z5twiceIlET_S0_]' in file '{objs[0]}'" in want
    assert f"removing unused section '.group' in file '{objs[1]}'" in want
    assert ours.stderr.splitlines() == want


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("keep", [False, True])
def test_script_without_keep_eh_frame_loses_it_under_gc_sections(arch, keep, tmp_path):
    """GNU ld's default script KEEPs .eh_frame; a -T script that does not leaves it to
    --gc-sections like any section, and since nothing refers to it GNU ld removes it whole,
    and with it the .comment of a file none of whose code is kept (bfd's rule: a file keeps
    its non-allocated sections only when some allocated one of it stays).  xld kept both.
    The unused file is Clang's, so its .comment string differs from GCC's."""
    from tests.toolchain import compiler, gnu_ld, xld_link
    (tmp_path / "k1.c").write_text("int used(int x) { return x + 1; }\nvoid _start(void) { for (;;) used(1); }\n")
    (tmp_path / "k2.c").write_text("int unused(int x) { return x * 3; }\n")
    objs = [compiler("gcc", arch).compile(tmp_path / "k1.c", tmp_path / "k1.o", ["-O1"]),
            compiler("clang", arch).compile(tmp_path / "k2.c", tmp_path / "k2.o", ["-O1", "-funwind-tables"])]
    eh = "KEEP(*(.eh_frame))" if keep else "*(.eh_frame)"
    (tmp_path / "k.ld").write_text(f"SECTIONS {{\n .text 0x10000 : {{ *(.text*) }}\n .eh_frame : {{ {eh} }}\n"
                                   f" .comment 0 : {{ *(.comment) }}\n}}\n")
    flags = ["--gc-sections", "-e", "_start", "-T", str(tmp_path / "k.ld")]
    gnu = gnu_ld(arch, objs, tmp_path / "gnu", flags)
    r = xld_link([*flags, "-o", tmp_path / "xld", *objs])
    assert r.status == 0, r.stderr

    def facts(p: Path):
        with open(p, "rb") as f:
            e = ELFFile(f)
            comment = e.get_section_by_name(".comment")
            strings = sorted(x for x in comment.data().split(b"\0") if x) if comment else []
            return e.get_section_by_name(".eh_frame") is not None, strings
    assert facts(tmp_path / "xld") == facts(gnu)
    assert facts(gnu)[0] == keep and (len(facts(gnu)[1]) == 2) == keep


# -- a CIE whose FDEs all went -------------------------------------------------------------------

UNUSED_CIE = {
    "main.cc": r"""
#include <cstdio>
#include <stdexcept>
int used_thrower(int);
int main(int argc, char **) {
    try { used_thrower(argc); } catch (const std::runtime_error &e) { std::printf("caught %s\n", e.what()); return 3; }
    return 0;
}
""",
    "used.cc": r"""
#include <stdexcept>
inline int shared_inline(int x) { if (x > 100) throw std::runtime_error("big"); return x + 1; }
int used_thrower(int x) { if (shared_inline(x) > 0) throw std::runtime_error("boom"); return x; }
""",
    "dead2.cc": r"""
#include <stdexcept>
inline int shared_inline(int x) { if (x > 100) throw std::runtime_error("big"); return x + 1; }
int dead_c(int x) { return shared_inline(x) * 2; }
""",
    # C with -fexceptions: a CIE of its own (personality __gcc_personality_v0), all its FDEs dead
    "dead3.c": r"""
#include <stdlib.h>
static void release(char **p) { free(*p); }
void (*volatile hook)(char *);
int dead_cleanup(int n) { char *p __attribute__((cleanup(release))) = malloc(n); hook(p); return n; }
""",
}


def _frames(arch: str, exe: Path) -> tuple[int, int]:
    """(CIEs, FDEs) that readelf --debug-dump=frames lists."""
    out = _sh([require(f"{TRIPLE[arch]}-readelf"), "--debug-dump=frames", exe]).stdout
    return len(re.findall(r"^\S+ \S+ \S+ CIE", out, re.M)), len(re.findall(r"^\S+ \S+ \S+ FDE", out, re.M))


@pytest.mark.parametrize("arch", ARCHES)
def test_cie_whose_fdes_all_went_is_dropped(arch, ld_dir, tmp_path):
    """--gc-sections removes every function of dead3.o (and dead2.o, whose COMDAT copy of
    shared_inline lost to used.o's): GNU ld drops dead3.o's CIE, whose FDEs all went, and does
    not keep its personality routine's DW.ref word, so the program imports no
    __gcc_personality_v0 (GCC_3.3.1 of libgcc_s).  xld kept the CIE (3 CIEs where GNU ld has
    2, .eh_frame 0x1c bytes longer) and the import.  The C++ throw is caught either way, under
    qemu-user and xld run, .eh_frame_hdr listing the same FDEs."""
    from tests import toolchain as tc
    cxx, cc = require(f"{TRIPLE[arch]}-g++"), require(f"{TRIPLE[arch]}-gcc")
    objs = []
    for name, text in UNUSED_CIE.items():
        (tmp_path / name).write_text(text)
        objs.append(tmp_path / (name.split(".")[0] + ".o"))
        _sh([cxx if name.endswith(".cc") else cc, "-O1", "-fexceptions", *FLAGS[1:], "-c", tmp_path / name,
             "-o", objs[-1]])
    exes = {}
    for who, use in (("gnu", []), ("xld", ["-B", ld_dir])):
        exes[who] = tmp_path / who
        _sh([cxx, *use, "-Wl,--gc-sections", *objs, "-o", exes[who]])
    for who, exe in exes.items():
        r = tc.qemu_run(arch, exe, sysroot=f"/usr/{TRIPLE[arch]}")
        assert (r.status, r.stdout) == (3, b"caught boom\n"), (who, r.summary())
    r = tc.xld_run(exes["xld"])
    assert (r.status, r.stdout) == (3, b"caught boom\n"), r.summary()
    want = _frames(arch, exes["gnu"])
    assert _frames(arch, exes["xld"]) == want and want[0] == 2, want

    def imports(exe):
        with open(exe, "rb") as f:
            return {s.name for s in ELFFile(f).get_section_by_name(".dynsym").iter_symbols() if "personality" in s.name}
    assert imports(exes["xld"]) == imports(exes["gnu"]) == {"__gxx_personality_v0"}
    assert "DW.ref.__gcc_personality_v0" not in symbols(exes["xld"])
    # .eh_frame_hdr's table: one row per FDE
    assert section_size(exes["xld"], ".eh_frame_hdr") == section_size(exes["gnu"], ".eh_frame_hdr")
