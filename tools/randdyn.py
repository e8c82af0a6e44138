"""Random sets of shared libraries and a program, for differential tests of what runs when
libraries are loaded (tests/test_random_dynamic.py links them with GNU ld and with xld and runs
every mix of the outputs under qemu-user and ``xld run``).

Needed libraries ``l0``, ``l1`` ... form dependency chains (``l0`` needs ``l1`` needs ``l2``);
libraries ``d0``, ``d1`` ... are opened by ``dlopen`` (RTLD_NOW or RTLD_LAZY, RTLD_GLOBAL or
RTLD_LOCAL), looked up with ``dlsym`` (a function, data, a thread-local variable), closed and
opened again (``-z nodelete`` keeps one's state).  Each library may have: thread-local data of
every model (global-dynamic, TLSDESC or the traditional dialect on arm64, local-dynamic,
initial-exec: DF_STATIC_TLS, a large block aligned to 64), an IFUNC (its address compared
across modules), constructors and destructors with priorities, raw ``.init_array`` and
``.fini_array`` entries, DT_INIT/DT_FINI (``-init``/``-fini``), an ``atexit`` handler, weak
references to names other libraries may define (present or absent at run time), a ``dup_f``
that other libraries define too (interposition, in DT_NEEDED order), ``-Bsymbolic``,
``-z now``.  The program: PIE or not (copy relocations of library data), IFUNCs of its own
(called directly, through pointers, from data initializers), ``.preinit_array``, weak
undefined functions and data, the DT_NEEDED order of its libraries.

``gen(seed, out)`` writes the sources and returns the plan: each module's sources, compile
flags and link arguments (gcc driver arguments without the linker's choice), in build order;
``late``: the library to link again, after the program, from its source compiled with -DLATE;
``origin``: the modules find each other through their rpath ``$ORIGIN`` (else LD_LIBRARY_PATH)."""
from __future__ import annotations

import random
import sys
from pathlib import Path

HDR = "#include <stdio.h>\n#include <stdlib.h>\n#include <stdint.h>\n"
PRIOS = (101, 102, 150, 1000, 65000)


def _ctors(R: random.Random, who: str) -> list[str]:
    """Constructors and destructors, some with priorities, and raw init/fini array entries."""
    out = []
    for k in range(R.randint(0, 3)):
        p = R.choice((None, *PRIOS))
        kind = R.choice(("constructor", "destructor"))
        attr = f"{kind}({p})" if p else kind
        out.append(f'__attribute__(({attr})) static void {who}_{kind[0]}{k}(void) '
                   f'{{ printf("{who} {kind} {k} {p}\\n"); }}')
    for k in range(R.randint(0, 2)):
        sec = R.choice((".init_array", ".fini_array", f".init_array.{R.choice(PRIOS):05d}",
                        f".fini_array.{R.choice(PRIOS):05d}"))
        out += [f'static void {who}_raw{k}(void) {{ printf("{who} raw {sec} {k}\\n"); }}',
                f'__attribute__((section("{sec}"), used)) static void (*{who}_rawp{k})(void) = {who}_raw{k};']
    return out


def _tls(R: random.Random, who: str) -> tuple[list[str], list[str], list[str]]:
    """Thread-local variables of random models: (definitions, statements of <who>_f, flags)."""
    defs, body, flags = [], [], []
    if R.random() < 0.6:
        defs.append(f"__thread int {who}_tls = {R.randint(1, 99)};")     # (also dlsym'd)
        body.append(f"  {who}_tls += x & 3; r += {who}_tls;")
    else:
        defs.append(f"int {who}_tls = 7;")
    if R.random() < 0.4:
        model = R.choice(("local-dynamic", "global-dynamic"))
        defs.append(f'static __thread int {who}_ltls __attribute__((tls_model("{model}"))) = {R.randint(1, 99)};'
                    f'\nstatic __thread int {who}_ltls2 = {R.randint(1, 99)};')
        body.append(f"  {who}_ltls += 2; {who}_ltls2 ^= x; r += {who}_ltls * 3 + {who}_ltls2;")
    if R.random() < 0.3:
        defs.append(f'__thread int {who}_ie __attribute__((tls_model("initial-exec"))) = {R.randint(1, 99)};')
        body.append(f"  r += {who}_ie++;")
    if R.random() < 0.35:
        n = R.choice((100, 512, 4096))
        defs.append(f"__thread char {who}_big[{n}] __attribute__((aligned(64))) = {{{R.randint(1, 99)}, 2, 3}};")
        body.append(f"  r += {who}_big[0] + {who}_big[{n - 1}]++ + (int)((uintptr_t){who}_big & 63) * 1000;")
    if R.random() < 0.3:
        flags.append("-mtls-dialect=trad")                # (arm64 only: the test drops it elsewhere)
    return defs, body, flags


def _cxx(X: random.Random, who: str) -> str:
    """A library's C++ part (linked by the g++ driver): a static object whose destructor
    __cxa_atexit registers for this library (run at dlclose or exit), a thread_local one
    (__cxa_thread_atexit), an inline function's static (STB_GNU_UNIQUE: one object for every
    library, RTLD_LOCAL ones too), an exception thrown and caught inside."""
    k = X.randint(1, 99)
    return "\n".join([
        "#include <cstdio>",
        "struct E { int v; };",
        f'struct G {{ int id; G(int i) : id(i) {{ std::printf("{who} G %d\\n", id); }}'
        f' ~G() {{ std::printf("{who} ~G %d\\n", id); }} }};',
        f"static G {who}_g({k});",
        "inline int &unique_counter() { static int c = 0; return c; }",
        f"static int {who}_boom(int x) {{ if (x & 1) throw E{{x}}; return x; }}",
        f'extern "C" int {who}_cx(int x) {{',
        f"  thread_local G t({k} + 1000);",
        f"  int r = t.id + {who}_g.id + ++unique_counter() * 100;",
        f"  try {{ r += {who}_boom(x); }} catch (E &e) {{ r -= e.v; }}",
        "  return r;", "}", ""])


def _reach(needs: dict, who: str) -> list[str]:
    """The libraries ``who`` needs, transitively."""
    out, todo = [], list(needs[who])
    while todo:
        n = todo.pop()
        if n not in out:
            out.append(n)
            todo += needs[n]
    return out


def gen(seed: int, out: Path) -> dict:
    R = random.Random(seed)
    nl, nd = R.randint(1, 3), R.randint(0, 2)
    libs = [f"l{k}" for k in range(nl)]
    dls = [f"d{k}" for k in range(nd)]
    needs = {n: [] for n in libs + dls}
    for k in range(nl - 1):
        if R.random() < 0.6:
            needs[libs[k]].append(libs[k + 1])          # a chain: l0 -> l1 -> l2
    for d in dls:
        if R.random() < 0.5:
            needs[d].append(R.choice(libs))
    dup = [n for n in libs + dls if R.random() < 0.5]   # who defines dup_f
    everyone = libs + dls
    modules = {}
    # (later additions draw from their own stream: the seeds' earlier plans stay as they were)
    X = random.Random(seed * 7919 + 5)
    mexp = X.random() < 0.5             # the program defines m_tls and m_var, which libraries use
    dupd = [n for n in everyone if X.random() < 0.4]       # who defines the data dup_d
    for who in everyone:
        src = [HDR, "#include <dlfcn.h>", f"static int {who}_count;",
               f"int {who}_data[3] = {{{R.randint(1, 9)}, {R.randint(10, 99)}, 5}};",
               f'__attribute__((visibility("protected"))) int {who}_pdata = {R.randint(1, 9)};',
               f"int {who}_pget(void) {{ return {who}_pdata++; }}",
               f"int {who}_probe(int x) {{ return x + {R.randint(1, 99)}; }}", f"int {who}_wdata[3] = {{{seed}, 1, 2}};"]
        for n in needs[who]:
            src.append(f"int {n}_f(int);")
        defs, body, tflags = _tls(R, who)
        src += defs
        if who in dup:
            src.append(f"int dup_f(int x) {{ return x * {R.randint(2, 9)} + {R.randint(0, 9)}; }}")
        elif any(n in dup for n in _reach(needs, who)) and R.random() < 0.5:
            src.append("int dup_f(int);")
            body.append("  r += dup_f(x & 7);")
        # weak references to names other libraries (or nobody) define
        for n in R.sample(everyone + ["nobody"], min(2, len(everyone))):
            if n != who:
                src.append(f"extern int {n}_probe(int) __attribute__((weak));")
                body.append(f"  r += {n}_probe ? {n}_probe(x) : -1;")
        ifunc = R.random() < 0.5
        if ifunc:
            k = R.randint(0, 1)
            src += [f"static int {who}_if0(int x) {{ return x + 11; }}", f"static int {who}_if1(int x) {{ return x * 13; }}",
                    f"static int (*{who}_res(void))(int) {{ return {who}_if{k}; }}",
                    f'int {who}_if(int) __attribute__((ifunc("{who}_res")));',
                    f"void *{who}_ifaddr(void) {{ return (void *){who}_if; }}",
                    f"int (*{who}_ifd)(int) = {who}_if;"]
            body.append(f"  r += {who}_if(x) + {who}_ifd(x + 1);")
        body += [f"  r += {n}_f(x + 1);" for n in needs[who]]
        if who in libs and mexp and X.random() < 0.5:      # the program's TLS and data
            src += ["extern __thread int m_tls;", "extern int m_var;"]
            body.append("  m_tls += 1; r += m_tls * 2 + m_var++;")
        elif who in dls and X.random() < 0.5:              # there with -E (or a library's use) only
            src.append("extern int m_var __attribute__((weak));")
            body.append("  r += &m_var ? m_var : -5;")
        if who in dupd:                                    # the program's or an earlier library's wins
            src.append(f"int dup_d = {X.randint(1, 99)};")
            body.append("  r += dup_d++;")
        cxx = X.random() < 0.3
        if cxx:
            src.append(f"int {who}_cx(int);")
            body.append(f"  r += {who}_cx(x);")
            (out / f"{who}x.cc").write_text(_cxx(X, who))
        src += [f"int {who}_f(int x) {{", f"  int r = x + {who}_count++ + {who}_data[1];", *body, "  return r;", "}"]
        src += _ctors(R, who)
        lflags = []
        if R.random() < 0.4:
            src += [f'void {who}_ate(void) {{ printf("{who} atexit %d\\n", {who}_count); }}',
                    f"__attribute__((constructor)) static void {who}_reg(void) {{ atexit({who}_ate); }}"]
        if R.random() < 0.3:
            src += [f'void {who}_dtinit(void) {{ printf("{who} DT_INIT\\n"); }}',
                    f'void {who}_dtfini(void) {{ printf("{who} DT_FINI\\n"); }}']
            lflags += [f"-Wl,-init={who}_dtinit", f"-Wl,-fini={who}_dtfini"]
        # (not with an IFUNC: GNU ld 2.40's arm64 -Bsymbolic asserts on the GOT slot its address takes)
        if R.random() < 0.25 and not ifunc:
            lflags.append("-Wl,-Bsymbolic")
        if R.random() < 0.3:
            lflags.append("-Wl,-z,now")
        if who in dls and R.random() < 0.4:
            lflags.append("-Wl,-z,nodelete")
        if X.random() < 0.15:
            lflags.append("-Wl,-z,initfirst")              # (its initializers before the others')
        if who in dls and X.random() < 0.1:
            lflags.append("-Wl,-z,nodlopen")               # (dlopen refuses it)
        (out / f"{who}.c").write_text("\n".join(src) + "\n")
        objs = [f"{who}.o", *([f"{who}x.o"] if cxx else [])]
        link = ["-shared", *lflags, *objs, "-L.", *(f"-l{n}" for n in needs[who]), "-Wl,-rpath-link,."]
        modules[who] = {"sources": [f"{who}.c", *([f"{who}x.cc"] if cxx else [])], "cflags": ["-fPIC", *tflags],
                        "link": link, "out": f"lib{who}.so", "ifunc": ifunc, "cxx": cxx}

    # the program
    pie = R.random() < 0.6
    listed = [n for n in libs if not any(n in needs[m] for m in libs) or R.random() < 0.4]
    R.shuffle(listed)
    m = [HDR, "#include <dlfcn.h>", "static long sum;",
         'static void out(const char *what, long v) { sum = sum * 31 + v; printf("%s %ld\\n", what, v); }',
         # (function addresses compared: outside the sum, see tests/test_random_dynamic.py)
         'static void same(const char *what, int v) { printf("%s %d\\n", what, v); }',
         # a call on a thread of its own: the thread's TLS blocks (a dlopen'ed library's too)
         "#include <pthread.h>", "static int (*thr_fn)(int); static int thr_arg, thr_res;",
         "static void *thr(void *p) { thr_res = thr_fn(thr_arg); return p; }",
         "static int in_thread(int (*f)(int), int x) { pthread_t t; thr_fn = f; thr_arg = x;",
         "  if (pthread_create(&t, 0, thr, 0)) return -99; pthread_join(t, 0); return thr_res; }"]
    main = []
    for n in listed:
        m += [f"int {n}_f(int);", f"extern int {n}_data[3];", f"int {n}_pget(void);"]
        main += [f'  out("{n}_f", {n}_f({R.randint(0, 9)}));', f'  out("{n}_f", {n}_f(2));',
                 *([f'  out("{n}_f thread", in_thread({n}_f, 3));'] if R.random() < 0.4 else []),
                 f'  out("{n}_data", {n}_data[1]++);']
        main.append(f'  out("{n}_pget", {n}_pget());')
        if pie:     # (not read directly by a non-PIE program: a copy relocation of protected data is refused)
            m.append(f"extern int {n}_pdata;")
            main.append(f'  out("{n}_pdata", {n}_pdata);')
        if modules[n]["ifunc"]:
            m += [f"int {n}_if(int);", f"void *{n}_ifaddr(void);", f"int (*{n}_ifp)(int) = {n}_if;"]
            main += [f'  out("{n}_if", {n}_if(5));', f'  out("{n}_ifp", {n}_ifp(6));',
                     f'  same("{n}_if_same", (void *){n}_if == {n}_ifaddr());',
                     f'  same("{n}_ifp_same", (void *){n}_ifp == {n}_ifaddr());']
    # a library that defines two names only at run time (the program links against one
    # compiled without -DLATE): the program's weak references to them
    late = R.choice(listed) if listed and R.random() < 0.5 else None
    if late:
        (out / f"{late}.c").write_text((out / f"{late}.c").read_text() +
                                       f"#ifdef LATE\nint {late}_late(int x) {{ return x * 3; }}\n"
                                       f"int {late}_ldata = {R.randint(1, 99)};\n#endif\n")
        m += [f"extern int {late}_late(int) __attribute__((weak));",
              f"extern int {late}_ldata __attribute__((weak));"]
        main += [f'  out("{late}_late", {late}_late ? {late}_late(2) : -1);',
                 f'  out("{late}_ldata", &{late}_ldata ? {late}_ldata : -1);']
    if any(n in dup for n in listed):
        m.append("int dup_f(int);")
        main.append('  out("dup_f", dup_f(4));')
    if R.random() < 0.3 and dup:                            # the program's own interposes every library's
        m.append("int dup_f(int x) { return x - 1000; }")
    if R.random() < 0.5:
        k = R.randint(0, 1)
        m += ["static int m_if0(int x) { return x + 21; }", "static int m_if1(int x) { return x * 23; }",
              f"static int (*m_res(void))(int) {{ return m_if{k}; }}", 'int m_if(int) __attribute__((ifunc("m_res")));',
              "int (*m_ifp)(int) = m_if;", "static int (*const m_ifc)(int) = m_if;"]
        main += ['  out("m_if", m_if(3));', '  out("m_ifp", m_ifp(4));', '  out("m_ifc", m_ifc(5));',
                 '  same("m_if_same", m_ifp == m_if);']
    for n in R.sample(everyone + ["nobody"], min(2, len(everyone) + 1)):
        m += [f"extern int {n}_probe(int) __attribute__((weak));", f"extern int {n}_wdata[3] __attribute__((weak));"]
        main += [f'  out("{n}_probe", {n}_probe ? {n}_probe(1) : -1);',
                 f'  out("{n}_wdata", {n}_wdata ? 1 : 0);']
    if R.random() < 0.4:
        m += ['static void m_pre(void) { printf("main preinit\\n"); }',
              '__attribute__((section(".preinit_array"), used)) static void (*m_prep)(void) = m_pre;']
    m += _ctors(R, "main")
    mflags = [] if pie else ["-fno-pie"]
    mlink = [] if pie else ["-no-pie"]
    if mexp:
        m += ["__thread int m_tls = 40;", "int m_var = 300;"]
        main += ['  out("m_tls", m_tls);', '  out("m_var", m_var);']
        if X.random() < 0.5:
            mlink.append("-Wl,-E")
    if dupd and X.random() < 0.4:
        m.append("int dup_d = 777;")
        main.append('  out("dup_d", dup_d);')
    if R.random() < 0.3:
        m += ['void m_dtinit(void) { printf("main DT_INIT\\n"); }', 'void m_dtfini(void) { printf("main DT_FINI\\n"); }']
        mlink += ["-Wl,-init=m_dtinit", "-Wl,-fini=m_dtfini"]
    if R.random() < 0.3:
        mlink.append("-Wl,-z,now")
    for d in dls:
        mode = f"RTLD_{R.choice(('NOW', 'LAZY'))} | RTLD_{R.choice(('GLOBAL', 'LOCAL'))}"
        tls = f"{d}_tls"
        main += ["  {", f'    void *h = dlopen("lib{d}.so", {mode});', f'    out("dlopen {d}", h != 0);',
                 "    if (h) {",
                 f'      int (*f)(int) = (int (*)(int))dlsym(h, "{d}_f");',
                 f'      int *dp = (int *)dlsym(h, "{d}_data");',
                 f'      int *tp = (int *)dlsym(h, "{tls}");',
                 f'      out("{d}_f", f ? f(3) : -1);', f'      out("{d}_data", dp ? dp[0]++ : -1);',
                 *([f'      out("{d}_f thread", f ? in_thread(f, 4) : -1);'] if R.random() < 0.5 else []),
                 f'      out("{d}_tls", tp ? (*tp)++ : -1);',
                 f'      out("{d} dlsym nobody", dlsym(h, "nobody_probe") != 0);']
        if R.random() < 0.6:
            main += [f'      dlclose(h);', f'      h = dlopen("lib{d}.so", RTLD_NOW);',
                     f'      f = (int (*)(int))dlsym(h, "{d}_f");', f'      dp = (int *)dlsym(h, "{d}_data");',
                     f'      out("{d}_f again", f(3));', f'      out("{d}_data again", dp[0]);']
        if R.random() < 0.5:
            main.append("      dlclose(h);")
        main += ["    }", "  }"]
    m += ["int main(void) {", '  printf("main start\\n");', *main,
          '  printf("sum %lx\\n", (unsigned long)sum);', "  return (int)(sum & 63);", "}"]
    (out / "main.c").write_text("\n".join(m) + "\n")
    # build order: a library's needed libraries first
    order = []
    for who in reversed(libs):
        order.append(who)
    order += dls
    modules["main"] = {"sources": ["main.c"], "cflags": mflags,
                       "link": [*mlink, "main.o", "-L.", *(f"-l{n}" for n in listed), "-Wl,-rpath-link,.", "-ldl"],
                       "out": "main", "ifunc": False, "cxx": False}
    # found through '$ORIGIN' (each module's own rpath, old or new dtags), not LD_LIBRARY_PATH
    origin = X.random() < 0.4
    if origin:
        for mod in modules.values():
            mod["link"] += ["-Wl,-rpath,$ORIGIN", X.choice(["-Wl,--enable-new-dtags", "-Wl,--disable-new-dtags"])]
    return {"order": [*order, "main"], "modules": modules, "listed": listed, "dlopen": dls, "late": late,
            "origin": origin}


if __name__ == "__main__":
    d = Path(sys.argv[2]); d.mkdir(parents=True, exist_ok=True)
    print(gen(int(sys.argv[1]), d))
