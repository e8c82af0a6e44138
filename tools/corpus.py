"""A generated C program that exercises a static linker, and the expected output of running it.

The benchmark of issue 7 needs inputs that look like a real C code base at any size, from a few
files to ~100 MB of output, and an answer that proves the linked program works. This module
writes N translation units of F functions each, deterministically from (N, F, seed), and
computes in Python what the program prints. Every construct a static glibc link must handle is
in there:

- cross-TU direct calls (CALL26 / R_RISCV_CALL_PLT) and calls through function-pointer tables
  in `.data.rel.ro` (ABS64 relocations, read from other TUs through the GOT);
- `switch` statements dense enough to become jump tables (`.rodata`, label differences:
  R_RISCV_ADD32/SUB32 on riscv64);
- string literals in mergeable `.rodata.str1.*` sections, some identical across files (the
  linker merges them), referenced from code and from pointer tables (section symbol + addend);
- TLS: a `.tbss` counter and a `.tdata` seed per TU, accessed local-exec in their own TU and
  initial-exec from others;
- weak/strong pairs (strong wins), a weak definition nobody overrides, a weak undefined
  reference (resolves to 0);
- constructors, with and without priorities (`.init_array.NNNNN` must be sorted: the
  prioritized ones are order-dependent, so a wrong order changes the checksum);
- optionally dead functions and a dead table referring to them (for `--gc-sections`).

`main` runs every function (each call fans out to two more, down to a fixed depth), adds up
the TLS counters and constructor accumulators and prints ``checksum <16 hex digits>``.

    python -m xld.tools.corpus -n 400 -f 50 --seed 1 -o /tmp/corpus   # writes *.c, expected.txt

`build()` compiles a corpus for one arch into a cache directory (once; in parallel) and returns
the object list; tools/bench.py uses it.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Bump when the generated code or the model of its result changes: it is part of the cache key.
GENERATOR_VERSION = 1

M64 = (1 << 64) - 1
N_CASES = (8, 8, 8, 16)  # switch cases per function, picked at random (powers of two: the
                         # selector is masked); GCC makes arm64 jump tables only from 16 cases
TBL_LEN = 8    # entries per function-pointer table
N_NAMES = 4    # entries per string-pointer table
DEPTH = 2      # call depth below each root call: 1 + 2 + 4 calls per root
SHARED_STRINGS = 64
GOLDEN = 0x9E3779B97F4A7C15

WORDS = ("parse", "emit", "scan", "hash", "merge", "split", "lookup", "insert", "reduce",
         "visit", "encode", "decode", "flush", "load", "store", "apply", "check", "build",
         "header", "table", "node", "entry", "block", "frame", "token", "state", "value")


# One row per switch-case operation: C text and the same computation in Python. `c` is a
# 64-bit constant, `r` a shift amount in 1..61 derived from it.
def _r(c: int) -> int:
    return c % 61 + 1


OPS = (
    ("h *= {c:#x}ULL;", lambda h, c: h * (c | 1)),
    ("h ^= h >> {r};", lambda h, c: h ^ (h >> _r(c))),
    ("h = (h << {r}) | (h >> {rr});", lambda h, c: (h << _r(c)) | (h >> (64 - _r(c)))),
    ("h += {c:#x}ULL;", lambda h, c: h + c),
    ("h ^= {c:#x}ULL;", lambda h, c: h ^ c),
    ("h -= h << {r};", lambda h, c: h - (h << _r(c))),
    ("h = ~h + {c:#x}ULL;", lambda h, c: (h ^ M64) + c),
    ("h = (h ^ {c:#x}ULL) * 0x9e3779b97f4a7c15ULL;", lambda h, c: (h ^ c) * GOLDEN),
    ("h += (h >> 3) + {c:#x}ULL;", lambda h, c: h + (h >> 3) + c),
    ("h ^= h << {r};", lambda h, c: h ^ (h << _r(c))),
)


def _op_c(op: int, c: int) -> str:
    text = OPS[op][0]
    if op == 0:
        c |= 1
    return text.format(c=c, r=_r(c), rr=64 - _r(c))


def fnv1a(data: bytes) -> int:
    """xs_hash() of the generated program: 64-bit FNV-1a over the bytes of a C string."""
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & M64
    return h


def _c_string(data: bytes) -> str:
    return '"' + data.decode("ascii").replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Shape:
    """How the generated code looks, beyond its size (issue 17: no single shape may decide).

    Shape "a" is the corpus of issue 7. Shape "b" differs in every dimension a linker's cost
    depends on: three direct calls per function instead of one (call density), cross-file data
    references (a `.data` array per file and a `.data.rel.ro` table of pointers into other
    files' arrays, read by every function), four TLS variables per file written by every
    function and read from other files, three string literals per function, one section per
    function and per object (`-ffunction-sections -fdata-sections`, no --gc-sections), and the
    files other than main.c in an archive together with unreferenced members (whose
    constructors would change the checksum if a linker pulled them in).
    """
    name: str
    callees: int = 1          # direct calls per function (below the depth limit)
    strings: int = 1          # string literals hashed per function
    data_refs: bool = False   # per-file data array + pointer table, read by every function
    tls_vars: int = 0         # extra __thread variables per file
    cflags: tuple[str, ...] = ()
    archive: bool = False     # every file but main.c in libcorpus.a
    unused_members: float = 0.0   # extra archive members nobody references, fraction of files


SHAPES = {
    "a": Shape("a"),
    "b": Shape("b", callees=3, strings=3, data_refs=True, tls_vars=4,
               cflags=("-ffunction-sections", "-fdata-sections"), archive=True, unused_members=0.1),
}
REFS_LEN = 8     # entries per data-pointer table (shape b)
DATA_LEN = 16    # words per data array (shape b)


@dataclass(frozen=True)
class CorpusSpec:
    """What to generate: `files` translation units of `funcs` functions, from `seed`, in `shape`.

    `dead` is the number of unreferenced functions per TU, as a fraction of `funcs`.
    """
    files: int
    funcs: int
    seed: int = 1
    dead: float = 0.0
    shape: str = "a"

    @classmethod
    def parse(cls, text: str, seed: int = 1, dead: float = 0.0) -> "CorpusSpec":
        """'400x50' -> CorpusSpec(400, 50); '400x50:b' -> the same size in shape b."""
        size, _, shape = text.lower().partition(":")
        shape = shape or "a"
        if shape not in SHAPES:
            raise ValueError(f"bad corpus shape {text!r}: use one of {', '.join(SHAPES)}")
        try:
            n, f = size.split("x")
            spec = cls(int(n), int(f), seed, dead, shape)
        except ValueError:
            raise ValueError(f"bad corpus size {text!r}: expected FILESxFUNCS[:SHAPE], e.g. 400x50 or 400x50:b")
        if spec.files < 1 or spec.funcs < 1:
            raise ValueError(f"bad corpus size {text!r}: both numbers must be >= 1")
        return spec

    @property
    def size(self) -> str:
        """'400x50', or '400x50:b' for a shape other than a."""
        return f"{self.files}x{self.funcs}" + (f":{self.shape}" if self.shape != "a" else "")

    @property
    def key(self) -> str:
        dead = f"-dead{self.dead:g}" if self.dead else ""
        shape = f"-{self.shape}" if self.shape != "a" else ""     # shape a keeps issue 7's keys
        return f"{self.files}x{self.funcs}-s{self.seed}{dead}{shape}-g{GENERATOR_VERSION}"


@dataclass
class _Fn:
    tu: int
    name: str
    k1: int
    k2: int
    shift: int
    cases: list[tuple[int, int]]
    text: bytes            # its string literal
    callee: int = 0        # global function id of the direct callee
    tbl_tu: int = 0        # whose function-pointer table it calls through
    weak_call: bool = False
    more_callees: list[int] = field(default_factory=list)   # shape b: further direct callees
    more_texts: list[bytes] = field(default_factory=list)   # shape b: further string literals
    ref_tu: int = 0        # shape b: whose data-pointer table it reads
    tv: int = 0            # shape b: which of its file's TLS variables it adds to
    tls_read: tuple[int, int] = (0, 0)   # shape b: (file, variable) of the TLS variable it reads


@dataclass
class Corpus:
    """Generated sources (file name -> C text, `main.c` first) and what the program prints."""
    spec: CorpusSpec
    sources: dict[str, str]
    expected: str
    functions: int
    calls: int
    stats: dict = field(default_factory=dict)
    archive_members: list[str] = field(default_factory=list)   # in archive order (shape b)

    def write(self, directory: Path) -> list[Path]:
        """Write the sources and expected.txt; returns the C files in link order."""
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, text in self.sources.items():
            path = directory / name
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
            paths.append(path)
        (directory / "expected.txt").write_text(self.expected + "\n")
        return paths


def generate(spec: CorpusSpec) -> Corpus:
    """Generate the corpus for `spec` and compute its output. Deterministic by spec."""
    shape = SHAPES[spec.shape]
    tag = "" if spec.shape == "a" else f":{spec.shape}"
    rng = random.Random(f"xld-corpus:{spec.files}:{spec.funcs}:{spec.seed}:{spec.dead}{tag}")
    n, f = spec.files, spec.funcs
    rand64 = lambda: rng.getrandbits(64)  # noqa: E731

    shared = [f"shared/{rng.choice(WORDS)}/{k}/{rng.choice(WORDS)}".encode() for k in range(SHARED_STRINGS)]

    def pick_text(tu: int, label: str) -> bytes:
        if rng.random() < 0.3:
            return rng.choice(shared)
        return f"m{tu}.{label}.{rng.choice(WORDS)}.{rng.getrandbits(20):05x}".encode()

    def new_fn(tu: int, name: str) -> _Fn:
        cases = [(rng.randrange(len(OPS)), rand64()) for _ in range(rng.choice(N_CASES))]
        return _Fn(tu, name, rand64() | 1, rand64(), rng.randrange(60), cases, pick_text(tu, name))

    fns: list[_Fn] = []
    for t in range(n):
        for i in range(f):
            fns.append(new_fn(t, f"m{t}_{rng.choice(WORDS)}_{rng.choice(WORDS)}_{i}"))
    total = len(fns)
    for fn in fns:
        fn.callee = rng.randrange(total)
        fn.tbl_tu = rng.randrange(n)
        fn.weak_call = rng.random() < 0.1
    tables = [[rng.randrange(total) for _ in range(TBL_LEN)] for _ in range(n)]
    names = [[pick_text(t, f"name{j}") for j in range(N_NAMES)] for t in range(n)]
    tseed = [rand64() for _ in range(n)]
    weak_xor = [rand64() for _ in range(n)]
    strong_add = [rand64() if n > 1 and rng.random() < 0.5 else None for _ in range(n)]
    ctor_add = [rand64() for _ in range(n)]
    prio = {t: 1000 + t for t in range(0, min(n, 60000), 8)}   # unique priorities
    prio_add = {t: rand64() for t in prio}
    n_dead = round(f * spec.dead)
    dead = [[new_fn(t, f"m{t}_dead_{rng.choice(WORDS)}_{j}") for j in range(n_dead)] for t in range(n)]
    main_seed = rand64()

    # shape b's extra draws come from their own generator: shape a's sources stay as they were
    rng2 = random.Random(f"xld-corpus-shape:{spec.files}:{spec.funcs}:{spec.seed}:{spec.shape}")
    for fn in fns:
        fn.more_callees = [rng2.randrange(total) for _ in range(shape.callees - 1)]
        fn.more_texts = [f"m{fn.tu}.{fn.name}.s{k}.{rng2.choice(WORDS)}".encode() if rng2.random() < 0.7
                         else rng2.choice(shared) for k in range(shape.strings - 1)]
        fn.ref_tu = rng2.randrange(n)
        fn.tv = rng2.randrange(max(1, shape.tls_vars))
        fn.tls_read = (rng2.randrange(n), rng2.randrange(max(1, shape.tls_vars)))
    data = [[rng2.getrandbits(64) for _ in range(DATA_LEN)] for _ in range(n)] if shape.data_refs else []
    refs = [[(rng2.randrange(n), rng2.randrange(DATA_LEN)) for _ in range(REFS_LEN)] for _ in range(n)] \
        if shape.data_refs else []
    tinit = [[rng2.getrandbits(64) if k % 2 == 0 else 0 for k in range(shape.tls_vars)] for _ in range(n)]
    tv = [list(row) for row in tinit]      # the TLS variables' values as the program runs
    n_unused = round(n * shape.unused_members) if shape.archive else 0
    unused = [[new_fn(n + u, f"u{u}_{rng2.choice(WORDS)}_{j}") for j in range(max(1, f // 4))] for u in range(n_unused)]
    unused_ctor = [rng2.getrandbits(64) | 1 for _ in range(n_unused)]

    # ---- what the program computes -------------------------------------------------------
    calls = [0] * n

    def weak_fn(t: int, x: int) -> int:
        return (x + strong_add[t]) & M64 if strong_add[t] is not None else x ^ weak_xor[t]

    def call(g: int, x: int, d: int) -> int:
        fn = fns[g]
        calls[fn.tu] += 1
        h = (x * fn.k1 + fn.k2) & M64
        op, c = fn.cases[(h >> fn.shift) & (len(fn.cases) - 1)]
        h = OPS[op][1](h, c) & M64
        h = (h + hashes[g]) & M64
        h ^= tseed[fn.tu]
        if fn.weak_call:
            h = (h + weak_fn(fn.tu, h)) & M64
        if shape.data_refs:
            u, i = refs[fn.ref_tu][(h >> 11) & (REFS_LEN - 1)]
            h = (h + data[u][i]) & M64
        if shape.tls_vars:
            tv[fn.tu][fn.tv] = (tv[fn.tu][fn.tv] + (h & 0xFFFF)) & M64
            h ^= tv[fn.tls_read[0]][fn.tls_read[1]]
        if d > 0:
            for c in (fn.callee, *fn.more_callees):
                h = (h + call(c, h, d - 1)) & M64
            h ^= call(tables[fn.tbl_tu][(h >> 7) & (TBL_LEN - 1)], h, d - 1)
        return h

    hashes = [sum(map(fnv1a, (fn.text, *fn.more_texts))) & M64 for fn in fns]
    ctor_acc = sum(ctor_add) & M64
    prio_acc = 0
    for t in sorted(prio, key=prio.get):
        prio_acc = (prio_acc * 3 + prio_add[t]) & M64
    acc = main_seed
    for t in range(n):
        for i in range(f):
            acc = (acc * 31 + call(t * f + i, acc ^ i, DEPTH)) & M64
        for text in names[t]:
            acc = (acc + fnv1a(text)) & M64
        for v in tv[t]:
            acc = (acc + v) & M64
        acc ^= calls[(t + 1) % n]
    for t in range(n):
        acc = (acc + calls[t]) & M64
    acc ^= ctor_acc
    acc = (acc + prio_acc * 7) & M64
    acc ^= 0x5555   # the weak undefined reference is null
    expected = f"checksum {acc:016x}"

    # ---- the C text ------------------------------------------------------------------------
    def fn_body(fn: _Fn, g: int | None) -> list[str]:
        t = fn.tu
        out = [f"uint64_t {fn.name}(uint64_t x, int d)", "{",
               f"    m{t}_calls += 1;",
               f"    uint64_t h = x * {fn.k1:#x}ULL + {fn.k2:#x}ULL;",
               f"    switch ((h >> {fn.shift}) & {len(fn.cases) - 1}) {{"]
        for k, (op, c) in enumerate(fn.cases):
            out.append(f"    case {k}: {_op_c(op, c)} break;")
        out.append("    }")
        out += [f"    h += xs_hash({_c_string(text)});" for text in (fn.text, *fn.more_texts)]
        out.append(f"    h ^= m{t}_tseed;")
        if fn.weak_call:
            out.append(f"    h += m{t}_weak(h);")
        if g is not None and shape.data_refs:
            out.append(f"    h += *m{fn.ref_tu}_refs[(h >> 11) & {REFS_LEN - 1}];")
        if g is not None and shape.tls_vars:
            out += [f"    m{t}_tv{fn.tv} += h & 0xffff;",
                    f"    h ^= m{fn.tls_read[0]}_tv{fn.tls_read[1]};"]
        if g is not None:
            out += ["    if (d > 0) {"]
            out += [f"        h += {fns[c].name}(h, d - 1);" for c in (fn.callee, *fn.more_callees)]
            out += [f"        h ^= m{fn.tbl_tu}_table[(h >> 7) & {TBL_LEN - 1}](h, d - 1);",
                    "    }"]
        out += ["    return h;", "}", ""]
        return out

    sources: dict[str, str] = {}
    main = ["/* generated by xld.tools.corpus: " + spec.key + " */",
            "#include <stdint.h>", "#include <stdio.h>", "",
            "uint64_t xs_ctor_acc;", "uint64_t xs_prio_acc;",
            "extern uint64_t xs_never_defined(uint64_t) __attribute__((weak));", "",
            "uint64_t xs_hash(const char *s)", "{",
            "    uint64_t h = 0xcbf29ce484222325ULL;",
            "    while (*s) {", "        h ^= (unsigned char)*s++;",
            "        h *= 0x100000001b3ULL;", "    }", "    return h;", "}", ""]
    for t in range(n):
        main += [f"uint64_t m{t}_run(uint64_t acc);", f"extern __thread uint64_t m{t}_calls;"]
    main += ["", "int main(void)", "{", f"    uint64_t acc = {main_seed:#x}ULL;"]
    main += [f"    acc = m{t}_run(acc);" for t in range(n)]
    main += [f"    acc += m{t}_calls;" for t in range(n)]
    main += ["    acc ^= xs_ctor_acc;", "    acc += xs_prio_acc * 7;",
             "    if (xs_never_defined)", "        acc += xs_never_defined(acc);",
             "    else", "        acc ^= 0x5555;",
             '    printf("checksum %016llx\\n", (unsigned long long)acc);', "    return 0;", "}", ""]
    sources["main.c"] = "\n".join(main)

    width = max(4, len(str(n - 1)))
    for t in range(n):
        mine = fns[t * f:(t + 1) * f]
        referenced = set()
        for fn in mine:
            referenced.add(fn.callee)
            referenced.update(fn.more_callees)
        referenced.update(tables[t])
        externs = sorted(g for g in referenced if fns[g].tu != t)
        other_tables = sorted({fn.tbl_tu for fn in mine} - {t})
        src = ["/* generated by xld.tools.corpus: " + spec.key + " */",
               "#include <stdint.h>", "",
               "typedef uint64_t (*xs_fn)(uint64_t, int);",
               "uint64_t xs_hash(const char *s);",
               "extern uint64_t xs_ctor_acc;", "extern uint64_t xs_prio_acc;",
               f"__thread uint64_t m{t}_calls;",
               f"__thread uint64_t m{t}_tseed = {tseed[t]:#x}ULL;",
               f"extern __thread uint64_t m{(t + 1) % n}_calls;" if n > 1 else ""]
        src += [f"uint64_t {fns[g].name}(uint64_t x, int d);" for g in externs]
        src += [f"uint64_t {fn.name}(uint64_t x, int d);" for fn in mine]
        src += [f"extern const xs_fn m{u}_table[{TBL_LEN}];" for u in other_tables]
        if shape.data_refs:
            src += [f"extern uint64_t m{u}_data[{DATA_LEN}];" for u in sorted({u for u, _ in refs[t]} - {t})]
            src += [f"extern uint64_t *const m{u}_refs[{REFS_LEN}];"
                    for u in sorted({fn.ref_tu for fn in mine} - {t})]
            src += [f"uint64_t m{t}_data[{DATA_LEN}] = {{"] + [f"    {v:#x}ULL," for v in data[t]] + ["};"]
            src += [f"uint64_t *const m{t}_refs[{REFS_LEN}] = {{"]
            src += [f"    &m{u}_data[{i}]," for u, i in refs[t]] + ["};"]
        if shape.tls_vars:
            src += [f"__thread uint64_t m{t}_tv{k}" + (f" = {v:#x}ULL;" if v else ";") for k, v in enumerate(tinit[t])]
            src += [f"extern __thread uint64_t m{u}_tv{k};"
                    for u, k in sorted({fn.tls_read for fn in mine if fn.tls_read[0] != t})]
        src += ["", f"const xs_fn m{t}_table[{TBL_LEN}] = {{"]
        src += [f"    {fns[g].name}," for g in tables[t]]
        src += ["};", "", f"const char *const m{t}_names[{N_NAMES}] = {{"]
        src += [f"    {_c_string(text)}," for text in names[t]]
        src += ["};", "",
                f"__attribute__((weak)) uint64_t m{t}_weak(uint64_t x)", "{",
                f"    return x ^ {weak_xor[t]:#x}ULL;", "}", ""]
        prev = (t - 1) % n
        if strong_add[prev] is not None:
            src += [f"uint64_t m{prev}_weak(uint64_t x)", "{",
                    f"    return x + {strong_add[prev]:#x}ULL;", "}", ""]
        src += ["__attribute__((constructor))", f"static void m{t}_init(void)", "{",
                f"    xs_ctor_acc += {ctor_add[t]:#x}ULL;", "}", ""]
        if t in prio:
            src += [f"__attribute__((constructor({prio[t]})))", f"static void m{t}_init_prio(void)", "{",
                    f"    xs_prio_acc = xs_prio_acc * 3 + {prio_add[t]:#x}ULL;", "}", ""]
        for fn in mine:
            src += fn_body(fn, 0)
        for fn in dead[t]:
            src += fn_body(fn, None)
        if dead[t]:
            src += [f"uint64_t m{t}_dead_run(uint64_t x)", "{"]
            src += [f"    x += {fn.name}(x, 0);" for fn in dead[t]]
            src += ["    return x;", "}", ""]
        src += [f"uint64_t m{t}_run(uint64_t acc)", "{"]
        src += [f"    acc = acc * 31 + {fn.name}(acc ^ {i}, {DEPTH});" for i, fn in enumerate(mine)]
        src += [f"    for (int j = 0; j < {N_NAMES}; j++)",
                f"        acc += xs_hash(m{t}_names[j]);"]
        src += [f"    acc += m{t}_tv{k};" for k in range(shape.tls_vars)]
        src += [f"    acc ^= m{(t + 1) % n}_calls;",
                "    return acc;", "}", ""]
        sources[f"m{t:0{width}d}.c"] = "\n".join(src)

    # archive members nobody references: their constructors would change the checksum
    for u in range(n_unused):
        src = ["/* generated by xld.tools.corpus: " + spec.key + " (an unused archive member) */",
               "#include <stdint.h>", "", "uint64_t xs_hash(const char *s);", "extern uint64_t xs_ctor_acc;",
               f"static __thread uint64_t m{n + u}_tseed = {unused_ctor[u]:#x}ULL;",
               f"static uint64_t m{n + u}_calls;", ""]
        src += [f"uint64_t {fn.name}(uint64_t x, int d);" for fn in unused[u]]
        for fn in unused[u]:
            src += fn_body(fn, None)
        src += ["__attribute__((constructor))", f"static void u{u}_init(void)", "{",
                f"    xs_ctor_acc += {unused_ctor[u]:#x}ULL + {unused[u][0].name}(1, 0);", "}", ""]
        sources[f"u{u:0{width}d}.c"] = "\n".join(src)
    members = []
    if shape.archive:
        mods = [name for name in sources if name != "main.c" and name.startswith("m")]
        extra = [name for name in sources if name.startswith("u")]
        step = max(1, len(mods) // max(1, len(extra)))
        for i, name in enumerate(mods):
            members.append(name)
            if extra and i % step == step - 1:
                members.append(extra.pop(0))
        members += extra

    return Corpus(spec, sources, expected, functions=total + n * n_dead, calls=sum(calls),
                  stats={"dead_functions": n * n_dead, "prioritized_ctors": len(prio),
                         "strong_overrides": sum(s is not None for s in strong_add),
                         "shape": spec.shape, "unused_members": n_unused},
                  archive_members=members)


# ---- compiling, with a cache ---------------------------------------------------------------

CROSS_CC = {"arm64": "aarch64-linux-gnu-gcc", "riscv64": "riscv64-linux-gnu-gcc"}
ARCH_ALIASES = {"arm64": "arm64", "aarch64": "arm64", "riscv64": "riscv64", "rv64": "riscv64",
                "riscv": "riscv64"}
CFLAGS = ("-O2", "-fno-tree-slp-vectorize")
GC_CFLAGS = (*CFLAGS, "-ffunction-sections", "-fdata-sections")


def default_cache() -> Path:
    env = os.environ.get("XLD_BENCH_CACHE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "xld-bench"


def compiler_id(cc: str) -> str:
    """The compiler as cache keys name it: the first line of its --version."""
    out = subprocess.run([cc, "--version"], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[0]


@dataclass
class Built:
    """A corpus compiled for one arch: objects in link order and the expected output."""
    arch: str
    spec: CorpusSpec
    objects: list[Path]
    expected: str
    directory: Path
    info: dict

    @property
    def input_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.objects)


def compile_sources(cc: str, sources: list[Path], objdir: Path, cflags: tuple[str, ...],
                    jobs: int | None = None) -> list[Path]:
    """Compile each source to objdir/<stem>.o (skipping ones already there), in parallel."""
    objdir.mkdir(parents=True, exist_ok=True)
    objects = [objdir / (src.stem + ".o") for src in sources]
    todo = [(s, o) for s, o in zip(sources, objects) if not o.exists()]

    def one(pair: tuple[Path, Path]) -> None:
        src, obj = pair
        tmp = obj.with_suffix(".o.tmp")
        r = subprocess.run([cc, *cflags, "-c", str(src), "-o", str(tmp)], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{cc} failed on {src}:\n{r.stderr}")
        tmp.replace(obj)

    with concurrent.futures.ThreadPoolExecutor(jobs or os.cpu_count() or 1) as pool:
        for fut in concurrent.futures.as_completed([pool.submit(one, p) for p in todo]):
            fut.result()
    return objects


def build(spec: CorpusSpec, arch: str, cache: Path | None = None, cflags: tuple[str, ...] = CFLAGS,
          jobs: int | None = None, log=None) -> Built:
    """Generate (once) and compile (once per arch and flags) `spec`; returns the objects."""
    arch = ARCH_ALIASES[arch]
    cc = CROSS_CC[arch]
    cache = cache or default_cache()
    cflags = (*cflags, *SHAPES[spec.shape].cflags)
    flag_key = hashlib.sha1(repr((cflags, compiler_id(cc))).encode()).hexdigest()[:8]
    srcdir = cache / "src" / spec.key
    objdir = cache / arch / f"{spec.key}-{flag_key}"
    manifest = objdir / "manifest.json"
    if manifest.exists():
        info = json.loads(manifest.read_text())
        return Built(arch, spec, [objdir / o for o in info.get("link_inputs", info["objects"])], info["expected"], objdir, info)

    src_manifest = srcdir / "corpus.json"
    if src_manifest.exists():
        info = json.loads(src_manifest.read_text())
        sources = [srcdir / s for s in info["sources"]]
    else:
        if log:
            log(f"generating corpus {spec.key}")
        corpus = generate(spec)
        sources = corpus.write(srcdir)
        info = {"spec": spec.__dict__, "sources": [p.name for p in sources], "expected": corpus.expected,
                "functions": corpus.functions, "calls": corpus.calls, **corpus.stats,
                "archive_members": corpus.archive_members}
        src_manifest.write_text(json.dumps(info, indent=1))
    if log:
        log(f"compiling {len(sources)} files for {arch} ({' '.join(cflags)})")
    objects = compile_sources(cc, sources, objdir, cflags, jobs)
    inputs = objects
    members = info.get("archive_members") or []
    if members:          # shape b: main.o, then one archive of the rest (and unused members)
        lib = objdir / "libcorpus.a"
        lib.unlink(missing_ok=True)
        ar = CROSS_CC[arch].rsplit("-", 1)[0] + "-ar"
        r = subprocess.run([ar, "rcs", lib.name, *(Path(m).stem + ".o" for m in members)], cwd=objdir,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{ar} failed:\n{r.stderr}")
        in_lib = {Path(m).stem + ".o" for m in members}
        inputs = [o for o in objects if o.name not in in_lib] + [lib]
    info = {**info, "arch": arch, "cc": compiler_id(cc), "cflags": list(cflags),
            "objects": [o.name for o in objects], "link_inputs": [o.name for o in inputs]}
    manifest.write_text(json.dumps(info, indent=1))
    return Built(arch, spec, inputs, info["expected"], objdir, info)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m xld.tools.corpus", description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--files", type=int, default=4, help="translation units (default 4)")
    ap.add_argument("-f", "--funcs", type=int, default=5, help="functions per unit (default 5)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dead", type=float, default=0.0, help="dead functions per unit, fraction of -f")
    ap.add_argument("--shape", choices=sorted(SHAPES), default="a", help="code shape (default a; see Shape)")
    ap.add_argument("-o", "--out", type=Path, required=True, help="directory for the .c files")
    ap.add_argument("--arch", help="also compile for this arch (arm64, riscv64) into OUT/obj-ARCH")
    args = ap.parse_args(argv)
    corpus = generate(CorpusSpec(args.files, args.funcs, args.seed, args.dead, args.shape))
    sources = corpus.write(args.out)
    if args.arch:
        arch = ARCH_ALIASES[args.arch]
        compile_sources(CROSS_CC[arch], sources, args.out / f"obj-{arch}", (*CFLAGS, *SHAPES[args.shape].cflags))
    if corpus.archive_members:
        print("archive members (link main.o and an archive of these, in this order):",
              " ".join(corpus.archive_members))
    print(f"{len(sources)} files, {corpus.functions} functions, {corpus.calls} calls at run time")
    print(corpus.expected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
