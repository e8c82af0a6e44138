"""Random C programs of several files for differential link tests: each links with GNU ld
and with xld and must print the same trace under qemu-user (tests/test_random_programs.py).

The constructs are the ones a linker decides about: data that points into other files'
arrays (absolute and GOT relocations), tables of function pointers and of strings (merged
string sections), weak definitions one file overrides in the next, aliases, tentative
definitions (commons under -fcommon), large zero-fill arrays, thread-local variables,
constructors and destructors with and without priorities (their order is printed), switch
tables, static functions, variadic functions, and variables in a named section that u0 walks
from ``__start_rp_set`` to ``__stop_rp_set`` (kept under --gc-sections by that reference).
``python -m xld.tools.randprog SEED DIR`` writes one program into DIR and prints its files."""
from __future__ import annotations

import random
import sys
from pathlib import Path


def gen(seed: int, out: Path, tls: bool = True) -> list[str]:
    """Write program ``seed`` into ``out``: its C files, main.c first."""
    R = random.Random(seed)
    n = R.randint(2, 5)
    glob = {i: [f"g{i}_{k}" for k in range(R.randint(2, 6))] for i in range(n)}
    funcs = {i: [f"f{i}_{k}" for k in range(R.randint(2, 5))] for i in range(n)}
    tvars = {i: [f"t{i}_{k}" for k in range(R.randint(0, 3) if tls else 0)] for i in range(n)}
    strings = [f"str{R.randint(0, 6)}" for _ in range(12)]
    weak_over = {i: R.random() < 0.5 for i in range(n)}     # TU i's weak w{i} overridden by TU (i+1)%n
    hdr = ["#include <stdio.h>", "#include <string.h>", "typedef int (*fn_t)(int);"]
    for i in range(n):
        hdr += [f"extern int {g}[4];" for g in glob[i]]
        hdr += [f"int {f}(int);" for f in funcs[i]]
        hdr += [f"extern __thread int {t};" for t in tvars[i]]
        hdr += [f"extern int *ptab{i}[];", f"extern fn_t ftab{i}[];", f"extern const char *stab{i}[];",
                f"extern int w{i};", f"int wf{i}(int);", f"extern long big{i}[];", f"int alias{i}(int);",
                f"extern const char *const cstr{i};", f"extern int com{i % 2};"]
    hdr += ["extern unsigned long trace; void mix(unsigned long v);", "extern int ctor_log[32], ctor_n;",
            "#include <stdarg.h>", "long vsum(int n, ...);", "struct rp_ent { int tu, v; };",
            "extern const struct rp_ent __start_rp_set[], __stop_rp_set[];", "void walk_set(void);"]
    (out / "common.h").write_text("\n".join(hdr) + "\n")
    for i in range(n):
        L = ['#include "common.h"']
        for g in glob[i]:
            vals = ", ".join(str(R.randint(-100, 100)) for _ in range(4))
            L.append(f"int {g}[4] = {{{vals}}};")
        for t in tvars[i]:
            L.append(f"__thread int {t} = {R.randint(1, 50)};")
        L.append(f"int com{i % 2};")                          # tentative definitions (commons with -fcommon)
        L.append(f"long big{i}[{R.choice([16, 1000, 70000])}];")
        L.append(f"static int hidden_counter{i} = {R.randint(0, 9)};")
        # pointer table into other TUs' arrays with offsets
        ptrs = []
        for _ in range(R.randint(2, 6)):
            j = R.randrange(n); g = R.choice(glob[j]); ptrs.append(f"&{g}[{R.randint(0, 3)}]")
        L.append(f"int *ptab{i}[] = {{{', '.join(ptrs)}, 0}};")
        fps = [R.choice(funcs[R.randrange(n)]) for _ in range(R.randint(1, 4))]
        L.append(f"fn_t ftab{i}[] = {{{', '.join(fps)}, 0}};")
        L.append(f"const char *stab{i}[] = {{{', '.join(chr(34) + s + chr(34) for s in R.sample(strings, 3))}, 0}};")
        L.append(f'const char *const cstr{i} = "{R.choice(strings)}";')
        L.append(f"__attribute__((weak)) int w{i} = {i + 1};")
        if weak_over[(i - 1) % n] and n > 1:
            L.append(f"int w{(i - 1) % n} = {100 + i};")
        L.append(f"__attribute__((weak)) int wf{i}(int x) {{ return x + {i}; }}")
        if weak_over[(i - 1) % n] and n > 1:
            L.append(f"int wf{(i - 1) % n}(int x) {{ return x * {i + 2}; }}")
        L.append(f"static int local{i}(int x) {{ return x ^ {R.randint(1, 255)}; }}")
        L.append(f"int alias{i}(int) __attribute__((alias(\"{funcs[i][0]}\")));")
        prio = R.randint(101, 140)
        L.append(f"__attribute__((constructor({prio}))) static void ctor{i}(void) {{ ctor_log[ctor_n++] = {i * 1000 + prio}; }}")
        L.append(f"__attribute__((constructor)) static void ctor{i}_plain(void) {{ ctor_log[ctor_n++] = {i * 1000}; }}")
        dprio = R.randint(101, 140)
        L.append(f'__attribute__((destructor({dprio}))) static void dtor{i}(void) {{ printf("dtor {i} {dprio}\\n"); }}')
        L.append(f'__attribute__((destructor)) static void dtor{i}_plain(void) {{ printf("dtor {i}\\n"); }}')
        for k in range(R.randint(1 if i == 0 else 0, 3)):      # u0 has one: __start_rp_set is defined
            L.append(f"__attribute__((used, section(\"rp_set\"))) static const struct rp_ent set{i}_{k} = {{{i}, {R.randint(0, 999)}}};")
        if i == 0:          # (in u0: a library of the u files refers to its own __start_/__stop_)
            L.append("void walk_set(void) { for (const struct rp_ent *e = __start_rp_set; e < __stop_rp_set; e++)"
                     ' printf("set %d %d\\n", e->tu, e->v); }')
        for k, f in enumerate(funcs[i]):
            body = [f"int {f}(int x) {{", f"  int r = x + hidden_counter{i}++;"]
            for _ in range(R.randint(1, 4)):
                c = R.random()
                if c < 0.25:
                    j = R.randrange(n); g = R.choice(glob[j]); body.append(f"  r += {g}[r & 3];")
                elif c < 0.4 and k + 1 < len(funcs[i]):
                    body.append(f"  if (x > 0) r += {funcs[i][k + 1]}(x - 1);")
                elif c < 0.55:
                    j = (i + 1) % n
                    body.append(f"  if (x > 1 && {j} > {i}) r += {funcs[j][0]}(x - 2);")
                elif c < 0.7 and tvars[i]:
                    t = R.choice(tvars[i]); body.append(f"  {t} += r & 7; r += {t};")
                elif c < 0.75:
                    body.append(f"  r += (int)vsum({R.randint(1, 3)}, (long)r, {R.randint(-9, 9)}L, (long)x);")
                elif c < 0.8:
                    body.append(f"  switch (r & 7) {{ case 0: r += 3; break; case 1: r -= 5; break; case 2: r ^= 9; break; case 3: r += local{i}(r); break; case 5: r *= 3; break; default: r += 1; }}")
                else:
                    body.append(f"  r += (int)strlen(cstr{i}) + big{i}[r & 15];")
            body += ["  return r;", "}"]
            L += body
        (out / f"u{i}.c").write_text("\n".join(L) + "\n")
    M = ['#include "common.h"', "unsigned long trace = 1469598103934665603UL;",
         "void mix(unsigned long v) { trace = (trace ^ v) * 1099511628211UL; }",
         "int ctor_log[32], ctor_n;",
         "long vsum(int n, ...) { va_list ap; long s = 0; va_start(ap, n);"
         " for (int k = 0; k < n; k++) s = s * 3 + va_arg(ap, long); va_end(ap); return s; }"]
    M.append("int main(void) {")
    M.append('  for (int k = 0; k < ctor_n; k++) printf("ctor %d\\n", ctor_log[k]);')
    M.append("  walk_set();")
    for i in range(n):
        M.append(f"  for (int k = 0; ptab{i}[k]; k++) mix(*ptab{i}[k]);")
        M.append(f"  for (int k = 0; ftab{i}[k]; k++) mix(ftab{i}[k](k + 3));")
        M.append(f"  for (int k = 0; stab{i}[k]; k++) {{ mix(strlen(stab{i}[k])); mix(stab{i}[k][3]); }}")
        M.append(f"  mix(w{i}); mix(wf{i}(7)); mix(alias{i}(2) == {funcs[i][0]}(2) - 1);")
        M.append(f"  mix((void*)alias{i} == (void*){funcs[i][0]}); mix(com{i % 2}++);")
        M.append(f"  mix(big{i}[3]++); mix((strcmp(cstr{i}, \"str3\") > 0) - (strcmp(cstr{i}, \"str3\") < 0));")
        for t in tvars[i]:
            M.append(f"  mix({t});")
        M.append(f'  printf("u{i} %lx\\n", trace);')
    M.append("  return (int)(trace & 0x7f);\n}")
    (out / "main.c").write_text("\n".join(M) + "\n")
    return ["main.c"] + [f"u{i}.c" for i in range(n)]


if __name__ == "__main__":
    d = Path(sys.argv[2]); d.mkdir(parents=True, exist_ok=True)
    print(" ".join(gen(int(sys.argv[1]), d)))
