"""Real programs for the link benchmark (issue 17): C and C++ code linked the way users link it.

The synthetic corpus (tools/corpus.py) has one shape; users link a few dozen objects plus
libc.a, libm.a, libstdc++.a and libgcc. These programs are compiled at bench time with the cross
compilers (-O2, cached like the corpus objects) and linked through the compiler driver:

- ``hello``: printf("hello, world") — the smallest static link; also linked as gcc's default
  dynamic PIE.
- ``interp``: "xsi", a stack-machine interpreter of 45 objects: 40 generated opcode files (each
  a table of named handlers with 16-case switch tables, a string table, a TLS counter, calls into
  other files, libm and snprintf), a registry, a generated script, and a hand-written VM,
  assembler and main (qsort, bsearch, TLS scratch buffer); links libc and libm. Also dynamic.
- ``compress``: "cz", LZ77 with hash chains and canonical Huffman coding, CRC-32 and Adler-32,
  round-tripping three generated inputs (6 objects, libc, libm).
- ``cxx``: "xcc", a C++17 program of 6 objects using iostream, sstream, std::string, std::map,
  std::unordered_map, <regex>, <algorithm>, std::function, std::variant, exceptions thrown and
  caught across files, virtual classes and std::thread; links libstdc++, libm, libgcc_eh.

Sources live in xld/tools/bench_progs/ (package data); the interpreter's generated files are
written next to the cache. The expected output is what the program prints when GNU ld links it.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from xld.tools.corpus import CROSS_CC, compile_sources, compiler_id

SOURCE_DIR = Path(__file__).resolve().parent / "bench_progs"
CROSS_CXX = {arch: cc[:-3] + "g++" for arch, cc in CROSS_CC.items()}
PROGRAM_CFLAGS = ("-O2",)
INTERP_FILES = 40     # generated opcode files
INTERP_OPS = 6        # opcodes per file
INTERP_SCRIPT = 600   # script lines


@dataclass(frozen=True)
class Program:
    name: str
    lang: str                         # "c" or "c++"
    libs: tuple[str, ...] = ()        # after the objects, as a user writes them
    cflags: tuple[str, ...] = ()
    dynamic: bool = False             # also benchmarked as gcc's default link (a dynamic PIE)
    about: str = ""

    def sources(self) -> dict[str, str]:
        """File name -> text: the package data, plus generated files for the interpreter."""
        if self.name == "hello":
            return {"hello.c": (SOURCE_DIR / "hello.c").read_text()}
        d = SOURCE_DIR / self.name
        files = {p.name: p.read_text() for p in sorted(d.iterdir()) if p.suffix in (".c", ".h", ".cc")}
        if self.name == "interp":
            files.update(interp_sources())
        return files


PROGRAMS = {
    "hello": Program("hello", "c", dynamic=True, about="printf hello world"),
    "interp": Program("interp", "c", ("-lm",), dynamic=True,
                      about="stack-machine interpreter: 45 objects, switch and function-pointer tables, TLS, libm"),
    "compress": Program("compress", "c", ("-lm",), about="LZ77 + Huffman compressor: 6 objects, libm"),
    "cxx": Program("cxx", "c++", cflags=("-std=c++17",),
                   about="C++17: iostream, string, map, unordered_map, regex, algorithm, exceptions, threads"),
}


# ---- the interpreter's generated files -------------------------------------------------------

WORDS = ("add", "mix", "rot", "fold", "scan", "hash", "load", "store", "peek", "poke", "swap", "spin",
         "lerp", "clamp", "wrap", "sift", "pack", "unpack", "twist", "blend", "sieve", "probe")
MSGS = ("stack underflow", "bad opcode", "division by zero", "overflow in %s", "ok", "retry",
        "value out of range", "unknown symbol", "end of input", "nested too deep")

# case bodies of an opcode's switch: a, b are int64_t; {c} a constant, {r} a shift, {f} this file,
# {g} another file, {m} the message count
CASES = (
    "return (int64_t)((uint64_t)a * {c}ULL + (uint64_t)b);",
    "return a ^ (int64_t)((uint64_t)b >> {r});",
    "return (int64_t)(sin((double)(a % 100000) * 1e-3) * 1e6) + (b & 0xffff);",
    "return (int64_t)(sqrt(fabs((double)(a % 1000000000))) * {r}.0) ^ b;",
    "return (int64_t)(log1p(fabs((double)(b % 1000000))) * 1e6) - (a & 0xfffff);",
    "return (int64_t)fmod(fabs((double)(a % 1000000)) * 1.5 + (double)(b & 0xffff), 1e9);",
    "return (int64_t)(pow(1.0001, (double)(a & 1023)) * 1e3) + (b & 0xff);",
    "return (int64_t)xsi_hash_str((uint64_t)a, msg_{f}[(uint64_t)b % {m}]);",
    "snprintf(xsi_scratch, sizeof xsi_scratch, msg_{f}[(uint64_t)a % {m}], \"op\"); "
    "return (int64_t)strlen(xsi_scratch) * {r} + (b & 0xffff);",
    "return xsi_helper_{g}(a, b);",
    "return (int64_t)(cbrt((double)(a % 1000000)) * 1e4) | (b & 0xff);",
    "return (int64_t)((uint64_t)a - (uint64_t)b) >> 3;",
    "return (int64_t)(atan2((double)(a & 0xffff), (double)((b & 0xff) + 1)) * 1e6);",
    "return (int64_t)(((uint64_t)a << {r}) | ((uint64_t)a >> (64 - {r}))) + b;",
    "return (int64_t)(tanh((double)(a % 1000) / 300.0) * 1e6) ^ (b >> 2);",
    "return (int64_t)((uint64_t)(a ^ {c}LL) % ((uint64_t)(b & 0xffff) + 1));",
)


def interp_sources(seed: int = 1) -> dict[str, str]:
    rng = random.Random(f"xsi:{seed}")
    names: list[str] = []
    files: dict[str, str] = {}
    for f in range(INTERP_FILES):
        msgs = rng.sample(MSGS, 6)
        src = ["/* generated by xld.tools.programs */", "#include <math.h>", "#include <stdint.h>",
               "#include <stdio.h>", "#include <string.h>", "", '#include "vm.h"', "",
               f"static __thread uint64_t count_{f};",
               f"static const char *const msg_{f}[] = {{" + ", ".join(f'"{m}"' for m in msgs) + "};",
               f"int64_t xsi_helper_{f}(int64_t a, int64_t b);"]
        others = sorted({rng.randrange(INTERP_FILES) for _ in range(4)} - {f})
        src += [f"int64_t xsi_helper_{g}(int64_t a, int64_t b);" for g in others]
        src += ["", f"int64_t xsi_helper_{f}(int64_t a, int64_t b)", "{",
                f"    count_{f} += 2;",
                f"    return (int64_t)((uint64_t)a * {rng.getrandbits(63) | 1:#x}ULL) ^ (b >> {rng.randrange(1, 60)});",
                "}", ""]
        defs = []
        for k in range(INTERP_OPS):
            name = f"{rng.choice(WORDS)}.{rng.choice(WORDS)}{f}_{k}"
            names.append(name)
            fn = f"op_{f}_{k}"
            defs.append(f'    {{"{name}", {fn}, {rng.choice((1, 2, 2))}, {k % 3}}},')
            src += [f"static int64_t {fn}(vm_t *vm, int64_t a, int64_t b)", "{",
                    "    (void)vm;", f"    count_{f}++;",
                    f"    switch ((uint64_t)(a ^ (b >> {rng.randrange(1, 20)})) & 15) {{"]
            for case in range(16):
                body = rng.choice(CASES)
                g = rng.choice(others) if others else f
                src.append(f"    case {case}: " + body.format(c=rng.getrandbits(62), r=rng.randrange(1, 63),
                                                              f=f, g=g, m=len(msgs)))
            src += ["    }", "    return 0;", "}", ""]
        src += [f"static const struct opdef ops_{f}[] = {{", *defs, "};", "",
                f"void xsi_register_{f}(void)", "{", f"    xsi_register(ops_{f}, {INTERP_OPS});", "}", "",
                f"uint64_t xsi_stats_{f}(void)", "{", f"    return count_{f};", "}", ""]
        files[f"op_{f:02d}.c"] = "\n".join(src)
    reg = ["/* generated by xld.tools.programs */", '#include "vm.h"', ""]
    reg += [f"void xsi_register_{f}(void);\nuint64_t xsi_stats_{f}(void);" for f in range(INTERP_FILES)]
    reg += ["", "void xsi_register_all(void)", "{"] + [f"    xsi_register_{f}();" for f in range(INTERP_FILES)]
    reg += ["}", "", "uint64_t xsi_stats_all(void)", "{", "    uint64_t s = 0;"]
    reg += [f"    s = s * 31 + xsi_stats_{f}();" for f in range(INTERP_FILES)]
    reg += ["    return s;", "}", ""]
    files["ops_all.c"] = "\n".join(reg)
    lines = []
    for i in range(INTERP_SCRIPT):
        r = rng.random()
        if r < 0.25:
            lines.append(f"push {rng.randrange(-10**6, 10**9)}")
        elif r < 0.3:
            lines.append(rng.choice(("dup", "swap", "hash")))
        elif r < 0.32:
            lines.append("print")
        elif r < 0.34 and i > 10:
            lines.append(f"jnz {i - rng.randrange(2, 10)}")
        else:
            lines.append(rng.choice(names))
    script = ["/* generated by xld.tools.programs */", '#include "vm.h"', "",
              "const char *const xsi_script[] = {"] + [f'    "{ln}",' for ln in lines] + ["    0,", "};", ""]
    files["script.c"] = "\n".join(script)
    return files


# ---- compiling, with a cache ------------------------------------------------------------------

@dataclass
class BuiltProgram:
    program: Program
    arch: str
    objects: list[Path]
    driver: str                  # the compiler driver that links it (gcc or g++)
    pie: bool                    # compiled -fPIE for the default (dynamic PIE) link
    info: dict = field(default_factory=dict)


def build(program: Program, arch: str, cache: Path, pie: bool = False, jobs: int | None = None,
          log=None) -> BuiltProgram:
    """Write the sources (once) and compile them for `arch` (once per compiler and flags)."""
    cc = CROSS_CXX[arch] if program.lang == "c++" else CROSS_CC[arch]
    cflags = (*PROGRAM_CFLAGS, *program.cflags, "-fPIE" if pie else "-fno-PIE")
    sources = program.sources()
    digest = hashlib.sha1(repr((sorted(sources.items()), cflags, compiler_id(cc))).encode()).hexdigest()[:10]
    srcdir = cache / "src" / f"prog-{program.name}-{digest}"
    objdir = cache / arch / f"prog-{program.name}{'-pie' if pie else ''}-{digest}"
    manifest = objdir / "manifest.json"
    if manifest.exists():
        info = json.loads(manifest.read_text())
        return BuiltProgram(program, arch, [objdir / o for o in info["objects"]], cc, pie, info)
    srcdir.mkdir(parents=True, exist_ok=True)
    for name, text in sources.items():
        path = srcdir / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    units = [srcdir / name for name in sources if not name.endswith(".h")]
    if log:
        log(f"compiling {program.name} for {arch}: {len(units)} files ({' '.join(cflags)})")
    objects = compile_sources(cc, units, objdir, cflags, jobs)
    info = {"program": program.name, "cc": compiler_id(cc), "cflags": list(cflags),
            "objects": [o.name for o in objects]}
    manifest.write_text(json.dumps(info, indent=1))
    return BuiltProgram(program, arch, objects, cc, pie, info)
