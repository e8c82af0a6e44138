"""Random export surfaces for differential link tests: two shared libraries and a program, with
random export options, linked by GNU ld and by xld from the same objects
(tests/test_random_exports.py compares their dynamic symbol tables, versions, dynamic tags and
runs).

``liba`` (two files) defines functions and data of every visibility (default, protected, hidden,
internal), weak definitions, a hook its own functions call (a program may interpose it), a
thread-local variable, and, with a version script, names made local, several version nodes with
inheritance and ``.symver`` old/default versions; in C++ mode its API is in a namespace, named by
``extern "C++"`` patterns.  ``libb`` calls ``liba`` and members of an archive ``libz.a``
(``--exclude-libs``), with -Bsymbolic, -Bsymbolic-functions, a dynamic list or none, ``--as-needed``,
``-z defs``.  The program calls both, may interpose hooks and the weak definition, ``--wrap`` one
function, ``--defsym`` an alias, export its callbacks (-E, ``--dynamic-list``,
``--export-dynamic-symbol``, which it checks with ``dlsym``), give its exports a version script's
named nodes (with -E or a dynamic list, as Debian's lua5.4), with rpath or runpath ``$ORIGIN``.

``gen(seed, out)`` writes the sources and returns the plan: the language, each source's compile
flags and the three links (gcc driver arguments without the linker's choice)."""
from __future__ import annotations

import random
import sys
from pathlib import Path

VIS = ("default", "protected", "hidden", "internal")


def gen(seed: int, out: Path) -> dict:
    R = random.Random(seed)
    cxx = R.random() < 0.35
    ext = ".cc" if cxx else ".c"
    C = 'extern "C" ' if cxx else ""
    D = 'extern "C" ' if cxx else "extern "                     # a declaration of data
    napi = R.randint(2, 4)
    api = [f"a_api{k}" for k in range(napi)]                      # exported, called by the program
    api_decl = [(f"namespace ns {{ int api{k}(int); }}" if cxx else f"int a_api{k}(int);") for k in range(napi)]
    api_call = [(f"ns::api{k}" if cxx else f"a_api{k}") for k in range(napi)]
    vis = {f"a_v{k}": R.choice(VIS) for k in range(R.randint(2, 4))}   # functions with attributes
    script = R.random() < 0.75
    versioned = script and R.random() < 0.6           # named nodes (else one anonymous node)
    symver = versioned and R.random() < 0.7
    loc = [f"a_loc{k}" for k in range(R.randint(1, 2))] if script else []
    tls = R.random() < 0.5
    interpose_hook = R.random() < 0.6
    strong_weak = R.random() < 0.5

    hdr = ["#include <stdio.h>", "#include <stdlib.h>", f"{C}void mix(int tag, long v);"]
    hdr += [f"{C}int a_hook(int);", f"{C}int a_weak(int);", f"{D}int a_data[4];",
            f"{C}int a_ver(int);", f"{C}int b_hook(int);", f"{C}int b_api0(int);", f"{C}int b_api1(int);",
            f"{D}int b_var;", f"{C}int z_f0(int);", f"{C}int z_f1(int);", f"{C}int b_opt(int);", f"{C}int b_alias(int);",
            f"{D}int a_pdata;"]
    hdr += [f"{C}int {v}(int);" for v in vis] + [f"{C}int {n}(int);" for n in loc]
    hdr += api_decl
    if cxx:             # a class and an exception type: vtables and typeinfo the program needs
        hdr += ["namespace ns { struct Base { virtual int v(int); virtual ~Base(); int k; };",
                "  struct Err { virtual ~Err(); int code; }; Base *make(int); int boom(int); }"]
    if tls:
        hdr.append(f"{D}__thread int a_tls;")
    (out / "rx.h").write_text("\n".join(hdr) + "\n")

    a0 = ['#include "rx.h"', f"int a_data[4] = {{{', '.join(str(R.randint(1, 99)) for _ in range(4))}}};",
          f'{C}__attribute__((weak)) int a_weak(int x) {{ return x + {R.randint(1, 9)}; }}',
          f"{C}int a_hook(int x) {{ return x * {R.randint(2, 7)}; }}",
          f"static int a_count;",
          f'{C}__attribute__((visibility("{R.choice(VIS)}"))) int a_pdata = {R.randint(1, 9)};']
    if tls:
        a0.append(f"__thread int a_tls = {R.randint(1, 50)};")
    a1 = ['#include "rx.h"']
    for i, (v, vi) in enumerate(vis.items()):
        (a0 if i % 2 else a1).append(f'{C}__attribute__((visibility("{vi}"))) int {v}(int x) {{ return x ^ {R.randint(1, 255)}; }}')
    for n in loc:
        a1.append(f"{C}int {n}(int x) {{ return x + {R.randint(10, 99)}; }}")
    if symver:
        a1 += [f'{C}int a_ver_1(int x) {{ return x + 1; }}', f'{C}int a_ver_2(int x) {{ return x + 2; }}',
               '__asm__(".symver a_ver_1, a_ver@VA_1");', '__asm__(".symver a_ver_2, a_ver@@VA_2");']
    else:
        a1.append(f"{C}int a_ver(int x) {{ return x + 3; }}")
    for k in range(napi):
        body = [f"  int r = x + a_count++;"]
        for _ in range(R.randint(1, 3)):
            c = R.choice(["hook", "weak", "vis", "loc", "data", "tls", "next", "pdata"])
            if c == "hook":
                body.append("  r += a_hook(r & 15);")
            elif c == "weak":
                body.append("  r += a_weak(r & 7);")
            elif c == "vis":
                body.append(f"  r += {R.choice(list(vis))}(r);")
            elif c == "loc" and loc:
                body.append(f"  r += {R.choice(loc)}(r);")
            elif c == "data":
                body.append("  r += a_data[r & 3]++;")
            elif c == "tls" and tls:
                body.append("  a_tls += r & 3; r += a_tls;")
            elif c == "pdata":
                body.append("  r += a_pdata++;")
            elif c == "next" and k + 1 < napi:
                body.append(f"  if (x > 0) r += {api_call[k + 1]}(x - 1);")
        fn = [(f"namespace ns {{ int api{k}(int x) {{" if cxx else f"int a_api{k}(int x) {{"), *body,
              "  return r;", "}}" if cxx else "}"]
        a0 += fn
    (out / f"a0{ext}").write_text("\n".join(a0) + "\n")
    if cxx:
        a1 += [f"namespace ns {{ int Base::v(int x) {{ return x * {R.randint(2, 9)} + k; }} Base::~Base() {{}} Err::~Err() {{}}",
               "  Base *make(int k) { Base *b = new Base; b->k = k; return b; }",
               "  int boom(int x) { if (x & 1) { Err e; e.code = x; throw e; } return x; } }"]
    (out / f"a1{ext}").write_text("\n".join(a1) + "\n")

    # liba's version script: which of its names stay global, in which node
    a_flags = []
    if script:
        exported = sorted(n for n, v in vis.items() if v in ("default", "protected"))
        glob_api = R.random() < 0.5
        if cxx:
            apis = ['extern "C++" { ns::api*; };'] if glob_api else \
                ['extern "C++" { ' + " ".join(f'"ns::api{k}(int)";' for k in range(napi)) + " };"]
        else:
            apis = ["a_api*;"] if glob_api else [f"{n};" for n in api]
        if cxx:             # (typeinfo and vtables: by their demangled names, globs or exact)
            apis.append(R.choice(['extern "C++" { ns::make*; ns::boom*; typeinfo*; vtable*; };',
                                  'extern "C++" { "ns::make(int)"; "ns::boom(int)"; "typeinfo for ns::Err"; };',
                                  'extern "C++" { ns::*; "typeinfo for ns::Err"; "vtable for ns::Base"; };']))
        base = ["a_hook;", "a_weak;", "a_data;", *apis, *(f"{n};" for n in exported)]
        if tls:
            base.append("a_tls;")
        if R.random() < 0.3 and not cxx:
            base = ["a_*;"]                          # a glob that also matches the a_loc names
            local = [f"{n};" for n in loc] if R.random() < 0.5 else ["a_loc*;"]
        else:
            local = ["*;"]
        if versioned:
            second = [] if symver else ["a_ver;"]             # (else .symver names a_ver's nodes)
            move = R.sample(base, R.randint(0, min(2, len(base) - 1))) if len(base) > 1 else []
            first = [b for b in base if b not in move]
            body2 = f"\n  global: {' '.join(move + second)}\n" if move or second else " "
            text = (f"VA_1 {{\n  global: {' '.join(first)}\n  local: {' '.join(local)}\n}};\n"
                    f"VA_2 {{{body2}}} VA_1;\n")
            if R.random() < 0.4:
                text += "VA_3 {\n  global: a_nonexistent_3;\n} VA_2;\n"
        else:
            text = f"{{\n  global: {' '.join(base)} a_ver;\n  local: {' '.join(local)}\n}};\n"
        (out / "liba.map").write_text(text)
        a_flags.append("-Wl,--version-script=liba.map")
    elif R.random() < 0.3:
        a_flags.append("-Wl,--default-symver")          # (every export versioned as the soname)
    if R.random() < 0.6 or "-Wl,--default-symver" in a_flags:
        a_flags.append("-Wl,-soname,liba.so")
    if R.random() < 0.3:
        a_flags.append("-Wl,-z,defs")
    # (later additions draw from their own stream: the seeds' earlier plans stay as they were)
    X = random.Random(seed * 7919 + 17)
    aliases = []                        # (name, file, "symlink" or "copy"): a soname's file
    if X.random() < 0.4:
        a_flags = [f for f in a_flags if f != "-Wl,-soname,liba.so"] + ["-Wl,-soname,liba.so.1"]
        aliases.append(("liba.so.1", "liba.so", X.choice(["symlink", "copy"])))
    if script and X.random() < 0.4:     # binds calls (or every name) inside, exports as the script says
        a_flags.append(X.choice(["-Wl,-Bsymbolic-functions", "-Wl,-Bsymbolic-functions", "-Wl,-Bsymbolic"]))

    # libz.a: an archive libb takes members from
    (out / f"z0{ext}").write_text(f'#include "rx.h"\n{C}int z_f0(int x) {{ return x * 3 + {R.randint(0, 9)}; }}\n'
                                  f'{C}int z_f1(int x) {{ return x - {R.randint(0, 9)}; }}\n')
    (out / f"z1{ext}").write_text(f'#include "rx.h"\n{C}int z_g0(int x) {{ return x + 77; }}\n')
    b_uses_a = R.random() < 0.8
    b = ['#include "rx.h"', f"int b_var = {R.randint(1, 99)};",
         f"{C}__attribute__((weak)) int m_opt(int);",          # a hook the program may define
         f"{C}int b_opt(int x) {{ return m_opt ? m_opt(x) : -1; }}",
         f"{C}int b_hook(int x) {{ return x + {R.randint(100, 199)}; }}",
         f"{C}int b_api0(int x) {{ return b_hook(x) + z_f0(x) + b_var++{' + a_api0(x)' if b_uses_a and not cxx else ''}"
         f"{' + ns::api0(x)' if b_uses_a and cxx else ''}; }}",
         f"{C}int b_api1(int x) {{ return z_f1(x){' + a_hook(x) + a_ver(x)' if b_uses_a else ''}; }}"]
    (out / f"b0{ext}").write_text("\n".join(b) + "\n")
    b_flags = []
    bind = R.choice(["", "-Bsymbolic", "-Bsymbolic-functions", "dynlist", "dynsym"])
    if bind == "dynlist":
        (out / "libb.list").write_text("{\n  b_hook;\n" + ("  b_var;\n" if R.random() < 0.5 else "") + "};\n")
        b_flags.append("-Wl,--dynamic-list=libb.list")
    elif bind == "dynsym":
        b_flags += ["-Wl,-Bsymbolic", "-Wl,--export-dynamic-symbol=b_h*"]
    elif bind:
        b_flags.append(f"-Wl,{bind}")
    if R.random() < 0.5:
        b_flags.append("-Wl,--exclude-libs," + R.choice(["ALL", "libz.a"]))
    if R.random() < 0.5:
        b_flags.append("-Wl,-soname,libb.so")
    if X.random() < 0.3:
        b_flags = [f for f in b_flags if f != "-Wl,-soname,libb.so"] + ["-Wl,-soname,libb.so.2"]
        aliases.append(("libb.so.2", "libb.so", X.choice(["symlink", "copy"])))
    b_alias = R.random() < 0.3
    if b_alias:
        b_flags.append("-Wl,--defsym=b_alias=b_api1")
    if R.random() < 0.3:
        (out / "libb.map").write_text("VB_1 {\n  global: b_*;\n  local: *;\n};\n")
        b_flags.append("-Wl,--version-script=libb.map")
    if R.random() < 0.4:
        b_flags.append("-Wl,-z,defs")
    # (Debian's gcc passes --as-needed itself: say which)
    b_link = [*b_flags, "b0.o", "libz.a", R.choice(["-Wl,--as-needed", "-Wl,--no-as-needed"]), "-L.", "-la",
              "-Wl,--no-as-needed", "-Wl,-rpath,$ORIGIN" if R.random() < 0.5 else "-Wl,-rpath-link,."]

    # the program
    m = ['#include "rx.h"', "#include <dlfcn.h>", "static unsigned long trace = 1469598103934665603UL;",
         f'{C}void mix(int tag, long v) {{ trace = (trace ^ (unsigned long)v) * 1099511628211UL; printf("%d %ld\\n", tag, v); }}']
    if interpose_hook:
        m.append(f"{C}int a_hook(int x) {{ return x - {R.randint(1, 50)}; }}")
    if R.random() < 0.4:
        m.append(f"{C}int b_hook(int x) {{ return x * 11; }}")
    if strong_weak:
        m.append(f"{C}int a_weak(int x) {{ return x * 1000; }}")
    if R.random() < 0.5:
        m.append(f"{C}int m_opt(int x) {{ return x * 7; }}")
    cbs = [f"m_cb{k}" for k in range(R.randint(1, 3))]
    m += [f"{C}int {c}(int x) {{ return x + {k}; }}" for k, c in enumerate(cbs)]
    m_flags = []
    export = R.choice(["", "-E", "dynlist", "dynsym", "script"])
    # a program's version script naming one or two nodes (Debian's lua5.4: -E and LUA_5.4), with
    # -E or a dynamic list; from its own stream, so the seeds' earlier plans stay as they were
    Y = random.Random(seed * 104729 + 31)
    nodes = export in ("-E", "dynlist", "script") and Y.random() < 0.35
    # (not with the program's local: *, where GNU ld refuses __wrap_a_api0 "referenced by DSO")
    wrap = R.random() < 0.4 and not cxx and export != "script" and not nodes
    if wrap:
        m += [f"{C}int __real_a_api0(int);", f"{C}int __wrap_a_api0(int x) {{ return __real_a_api0(x) + 5000; }}"]
        m_flags.append("-Wl,--wrap=a_api0")
    defsym = R.random() < 0.4
    if defsym:
        m.append(f"{C}int m_alias(int);")
        m_flags.append(f"-Wl,--defsym=m_alias={cbs[0]}")
    if nodes:
        m_flags += [*(["-Wl,-E"] if export == "script" else []), "-Wl,--version-script=main.map"]
        nodes = node_text(Y, out, cbs)
    if export == "-E":
        m_flags.append("-Wl,-E")
    elif export == "script" and nodes:
        pass
    elif export == "script":                            # a program's version script limits -E
        (out / "main.map").write_text("{\n  global: m_cb*;" + (" a_hook; b_hook;" if R.random() < 0.5 else "")
                                      + "\n  local: *;\n};\n")
        m_flags += ["-Wl,-E", "-Wl,--version-script=main.map"]
    elif export == "dynlist":
        (out / "main.list").write_text("{ m_cb0; " + ("m_cb*; " if R.random() < 0.5 else "") + "};\n")
        m_flags.append("-Wl,--dynamic-list=main.list")
    elif export == "dynsym" and R.random() < 0.5:
        m_flags.append(f"-Wl,--export-dynamic-symbol={R.choice(['m_cb*', cbs[-1]])}")
    elif export == "dynsym":
        (out / "main.syms").write_text(f"{{ {cbs[-1]}; m_o*; }};\n")
        m_flags.append("-Wl,--export-dynamic-symbol-list=main.syms")
    m.append("int main(void) {")
    m.append("  int x = 3;")
    if cxx:
        m += ["  for (int k = 0; k < 3; k++) {",
              "    try { mix(80, ns::boom(x + k)); } catch (ns::Err &e) { mix(81, 1000 + e.code); }",
              "    ns::Base *b = ns::make(k); mix(82, b->v(x)); delete b;", "  }"]
    for k in range(R.randint(4, 9)):
        c = R.choice(["api", "api", "b", "data", "vis", "ver", "weak", "tls", "bvar"])
        if c == "api":
            m.append(f"  mix({k}, {R.choice(api_call)}(x + {k}));")
        elif c == "b":
            m.append(f"  mix({k}, b_api{R.randint(0, 1)}(x + {k}));")
        elif c == "data":
            m.append(f"  mix({k}, a_data[{k % 4}]++);")
        elif c == "vis":
            ok = [v for v, vi in vis.items() if vi in ("default", "protected")
                  and (not script or v in exported)]
            if ok:
                m.append(f"  mix({k}, {R.choice(ok)}({k}));")
        elif c == "ver":
            m.append(f"  mix({k}, a_ver({k}));")
        elif c == "weak":
            m.append(f"  mix({k}, a_weak({k}));")
        elif c == "tls" and tls:
            m.append(f"  mix({k}, a_tls++);")
        elif c == "bvar":
            m.append(f"  mix({k}, b_var++);")
    if defsym:
        m.append("  mix(90, m_alias(4));")
    m.append("  mix(93, b_opt(5));")
    if b_alias:
        m.append("  mix(94, b_alias(6));")
    for c in cbs:
        m.append(f'  mix(91, dlsym(RTLD_DEFAULT, "{c}") != 0);')
    m.append('  mix(92, dlsym(RTLD_DEFAULT, "z_f0") != 0);')
    m.append('  printf("trace %lx\\n", trace);')
    m.append("  return (int)(trace & 0x3f);\n}")
    (out / f"main{ext}").write_text("\n".join(m) + "\n")
    libs = ["-L.", R.choice(["-Wl,--as-needed", "-Wl,--no-as-needed"]), "-lb", "-la", "-Wl,--no-as-needed"]
    rpath = R.choice(["-Wl,--enable-new-dtags", "-Wl,--disable-new-dtags"])
    # the libraries in a subdirectory the program finds through -rpath '$ORIGIN/lib' (no
    # LD_LIBRARY_PATH); libb finds liba through its own '$ORIGIN' (a program's DT_RUNPATH
    # serves only its own DT_NEEDED)
    libdir = "lib" if X.random() < 0.5 else ""
    if libdir:
        b_link[-1] = "-Wl,-rpath,$ORIGIN"
        b_link.append(X.choice(["-Wl,--enable-new-dtags", "-Wl,--disable-new-dtags"]))
    origin = X.choice(["$ORIGIN", "${ORIGIN}"]) if libdir else "$ORIGIN"
    fails, fail_src = failures(seed, X, out, ext, C)
    if not libdir and X.random() < 0.5:     # by its path: DT_NEEDED "./libb.so" without a soname
        libs[libs.index("-lb")] = "./libb.so"
    m_link = [*m_flags, "main.o", *libs, f"-Wl,-rpath,{origin}{'/' + libdir if libdir else ''}", rpath,
              *(["-Wl,-z,now"] if R.random() < 0.3 else []), "-ldl"]
    return {"cxx": cxx, "sources": {"a": [f"a0{ext}", f"a1{ext}"], "z": [f"z0{ext}", f"z1{ext}"],
                                    "b": [f"b0{ext}"], "main": [f"main{ext}"], "u": fail_src},
            "liba": ["-shared", *a_flags, "a0.o", "a1.o"], "libb": ["-shared", *b_link], "main": m_link,
            "aliases": aliases, "libdir": libdir, "fails": fails, "nodes": nodes or []}


def node_text(Y: random.Random, out: Path, cbs: list) -> list:
    """main.map: the program's callbacks (and some of the names its libraries call: hooks,
    m_opt) in a named node, some moved to a second node that may inherit the first; the
    nodes' names."""
    names = ["m_cb*;"] if Y.random() < 0.5 else [f"{c};" for c in cbs]
    names += Y.sample(["a_hook;", "b_hook;", "m_opt;", "a_weak;"], Y.randint(0, 3))
    local = "\n  local: *;" if Y.random() < 0.7 else ""
    n1, n2 = Y.choice([("M_1", "M_2"), ("PROG_1.0", "PROG_2.0"), ("LUA_5.4", "LUA_5.5")])
    if Y.random() < 0.5 and len(names) > 1:
        move = Y.sample(names, Y.randint(1, len(names) - 1))
        first = [n for n in names if n not in move]
        parent = f" {n1}" if Y.random() < 0.6 else ""
        text = (f"{n1} {{\n  global: {' '.join(first)}{local}\n}};\n"
                f"{n2} {{\n  global: {' '.join(move)}\n}}{parent};\n")
        (out / "main.map").write_text(text)
        return [n1, n2]
    (out / "main.map").write_text(f"{n1} {{\n  global: {' '.join(names)}{local}\n}};\n")
    return [n1]


def failures(seed: int, X: random.Random, out: Path, ext: str, C: str) -> tuple[list, list]:
    """Links that must fail with both linkers, each naming one symbol: an undefined name in a
    library under -z defs or --no-undefined, a program missing a name, a program or library
    linked with --no-allow-shlib-undefined against a library that needs a name nobody defines,
    or one the program defines hidden; and one that must succeed: a library's needed library
    found at link time only through its own '$ORIGIN/sub' rpath (and a program calling that
    library directly, not on its command line: refused).  Two of the five cases a seed
    (in turn: any three seeds cover all), to keep a seed's cost.  Each step: {"args", "out",
    "symbol"} (symbol None: a link that must succeed, a later step's input)."""
    miss, lmiss, pmiss = (f"{p}_missing{X.randint(0, 999)}" for p in ("u", "l", "p"))
    (out / f"u0{ext}").write_text(f"{C}int {miss}(int);\n{C}int u_f(int x) {{ return {miss}(x) + 1; }}\n")
    (out / f"u1{ext}").write_text(f"{C}int {lmiss}(int);\n{C}int u_g(int x) {{ return {lmiss}(x) * 2; }}\n")
    (out / f"p0{ext}").write_text(f'#include "rx.h"\n{C}int {pmiss}(int);\n'
                                  f"int main(void) {{ return {pmiss}(1) + a_hook(2); }}\n")
    (out / f"p1{ext}").write_text(f"{C}int u_f(int);\nint main(void) {{ return u_f(3); }}\n")
    # (a program's hidden definition answers no library at run time)
    (out / f"p2{ext}").write_text(f'{C}__attribute__((visibility("hidden"))) int {miss}(int x) {{ return x; }}\n'
                                  f"{C}int u_f(int);\nint main(void) {{ return u_f(4); }}\n")
    (out / f"p3{ext}").write_text(f"{C}int u_g(int);\nint main(void) {{ return u_g(5); }}\n")
    (out / f"p4{ext}").write_text(f"{C}int u_g(int);\n{C}int {lmiss}(int);\nint main(void) {{ return u_g(5) + {lmiss}(6); }}\n")
    (out / f"v0{ext}").write_text(f"{C}int {lmiss}(int x) {{ return x + 9; }}\n")
    (out / "sub").mkdir(exist_ok=True)
    libu = {"args": ["-shared", "u0.o"], "out": "libu.so", "symbol": None}
    # (a library --as-needed drops, as Debian's gcc asks, is not checked: one that is kept)
    shlib = X.choice([["p1.o"], ["-shared", "p1.o"], ["-shared", "u1.o", "-Wl,--no-as-needed"]])
    origin = X.choice(["$ORIGIN/sub", "${ORIGIN}/sub", "/nonexistent:$ORIGIN/./sub"])
    cases = [
        [{"args": ["-shared", X.choice(["-Wl,-z,defs", "-Wl,--no-undefined"]), "u1.o"], "out": "libbad.so", "symbol": lmiss}],
        [{"args": ["p0.o", "-L.", "-la"], "out": "main-bad", "symbol": pmiss}],
        [libu, {"args": [*shlib, "-L.", "-lu", "-Wl,--no-allow-shlib-undefined"], "out": "out-u", "symbol": miss}],
        [libu, {"args": ["p2.o", "-L.", "-lu", "-Wl,--no-allow-shlib-undefined"], "out": "main-h", "symbol": miss}],
        [{"args": ["-shared", "v0.o"], "out": "sub/libv.so", "symbol": None},
         {"args": ["-shared", "u1.o", "-Lsub", "-lv", f"-Wl,-rpath,{origin}",
                   X.choice(["-Wl,--enable-new-dtags", "-Wl,--disable-new-dtags"])], "out": "libuv.so", "symbol": None},
         {"args": ["p3.o", "-L.", "-luv", "-Wl,--no-allow-shlib-undefined"], "out": "main-uv", "symbol": None},
         # (a name only a library's needed library defines: GNU ld's "DSO missing from command line")
         {"args": ["p4.o", "-L.", "-luv"], "out": "main-uv2", "symbol": lmiss}]]
    steps = cases[seed % 5] + cases[(seed + 2) % 5]
    return steps, [f"u0{ext}", f"u1{ext}", f"v0{ext}", *(f"p{k}{ext}" for k in range(5))]


if __name__ == "__main__":
    d = Path(sys.argv[2]); d.mkdir(parents=True, exist_ok=True)
    print(gen(int(sys.argv[1]), d))
