"""Random C++ programs of several files for differential link tests (tests/test_random_cxx_programs.py),
in the style of ``randprog``: each links with GNU ld and with xld and must print the same trace.

The constructs are the C++ ones a linker decides about: classes with virtual functions whose
vtables and typeinfo live in one file (a key function) or in every file that uses them (COMDAT
groups), class templates and function templates instantiated in several files, template static
data members and static locals of inline functions (STB_GNU_UNIQUE objects with guard
variables), exceptions thrown in one file and caught in another (by the thrown class, a base of
it, or a library class), static objects with constructors and destructors (their order is
printed), thread_local objects with destructors reached from other files through their TLS
wrapper functions, and std::string / std::vector.
``python -m xld.tools.randprogxx SEED DIR`` writes one program into DIR and prints its files."""
from __future__ import annotations

import random
import sys
from pathlib import Path

_HEADER = r"""#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>
extern unsigned long trace;
void mix(unsigned long v);
struct Tracer {                      // static and thread_local objects print their life
  int id; std::string tag;
  Tracer(int i, const char *t);
  ~Tracer();
};
struct Base {                        // key function ~Base in main.cc: one vtable
  virtual ~Base();
  virtual int f(int x) const = 0;
  virtual std::string name() const { return "base"; }
};
struct Shape {                       // no key function: vtable and typeinfo in COMDAT groups
  virtual ~Shape() {}
  virtual int area() const { return 1; }
};
template <int N> struct Acc {        // template static data member: a unique object
  static int count;
  static int bump(int x) { count += x; return count * N; }
};
template <int N> int Acc<N>::count = N;
template <class T> T twice(T x) { return x + x; }
template <int N> struct Sq : Shape { int area() const override { return N * N + Acc<N>::bump(1); } };
inline int seq() { static int c = 0; return ++c; }            // static local of an inline function
inline const std::string &label() { static std::string s(3, 'q'); s += "z"; return s; }  // with a guard
struct Oops : std::runtime_error { int code; Oops(int c) : std::runtime_error("oops"), code(c) {} };
"""


def gen(seed: int, out: Path) -> list[str]:
    """Write program ``seed`` into ``out``: its C++ files, main.cc first."""
    R = random.Random(seed)
    n = R.randint(2, 4)
    tmpl = sorted(R.sample(range(2, 9), 4))              # the Acc<N>/Sq<N> instantiated somewhere
    hdr = [_HEADER]
    for i in range(n):
        hdr += [f"struct D{i} : Base {{ int k; std::vector<int> v; D{i}(int k); ~D{i}() override;",
                f"  int f(int x) const override; std::string name() const override; }};",
                f"struct Err{i} : Oops {{ Err{i}(int c) : Oops(c) {{}} virtual int tu() const; }};",
                f"Base *make{i}(int k);", f"int thrower{i}(int x);", f"int use{i}(int x);",
                f"std::string words{i}(int x);", f"extern thread_local Tracer tl{i};",
                f"Shape *shape{i}(int x);"]
    (out / "common.hh").write_text("\n".join(hdr) + "\n")
    for i in range(n):
        j = (i + 1) % n
        L = ['#include "common.hh"']
        L.append(f'static Tracer st{i}({i}, "static");')
        if R.random() < 0.5:
            L.append(f'static Tracer st{i}b({i * 10 + 1}, "static");')
        L.append(f'thread_local Tracer tl{i}({100 + i}, "tls");')
        L.append(f"int Err{i}::tu() const {{ return {i}; }}")
        L.append(f"D{i}::D{i}(int k) : k(k) {{ for (int q = 0; q < k % 5 + 1; q++) v.push_back(q * {R.randint(1, 9)} + k); }}")
        L.append(f'D{i}::~D{i}() {{ std::printf("~D{i} %d %zu\\n", k, v.size()); }}')
        body = " + ".join([f"v[x % v.size()]", f"Acc<{R.choice(tmpl)}>::bump(x & 3)", f"twice<int>(x)", "seq()"])
        L.append(f"int D{i}::f(int x) const {{ return {body}; }}")
        L.append(f'std::string D{i}::name() const {{ return "d{i}-" + std::to_string(k) + label(); }}')
        L.append(f"Base *make{i}(int k) {{ return new D{i}(k); }}")
        L.append(f"Shape *shape{i}(int x) {{ switch (x % 2) {{ case 0: return new Sq<{R.choice(tmpl)}>; "
                 f"default: return new Sq<{R.choice(tmpl)}>; }} }}")
        kinds = [f"throw Err{i}(x)", f"throw Err{j}(x + 1)", "throw std::out_of_range(\"range\")",
                 "{ std::vector<int> e(2); return e.at(x); }", "throw x"]
        L.append(f"int thrower{i}(int x) {{")
        L.append(f"  switch (x % {len(kinds) + 1}) {{")
        for k, t in enumerate(R.sample(kinds, len(kinds))):
            L.append(f"  case {k}: {t};")
        L.append(f"  default: return x * {R.randint(2, 7)}; }}\n}}")
        L.append(f"int use{i}(int x) {{")
        L.append(f"  int r = twice<long>(x) + Acc<{R.choice(tmpl)}>::bump(x) + tl{j}.id + (int)tl{i}.tag.size();")
        if j != 0 or n > 1:
            L.append(f"  try {{ r += thrower{j}(x + {R.randint(0, 5)}); }} catch (const Oops &e) {{ r += e.code * 7; }}"
                     f" catch (int e) {{ r -= e; }} catch (const std::exception &e) {{ r += 3; }}")
        L.append(f"  Base *b = make{j}(x & 7); r += b->f(x) + (int)b->name().size(); delete b;")
        L.append("  return r;\n}")
        L.append(f"std::string words{i}(int x) {{ std::string s; std::vector<std::string> w;")
        L.append(f'  for (int q = 0; q < x % 4 + 1; q++) w.push_back(std::to_string(q * {R.randint(3, 99)}) + "w{i}");')
        L.append("  for (auto &e : w) s += e + \",\"; return s + label(); }")
        (out / f"u{i}.cc").write_text("\n".join(L) + "\n")
    M = ['#include "common.hh"', "unsigned long trace = 1469598103934665603UL;",
         "void mix(unsigned long v) { trace = (trace ^ v) * 1099511628211UL; }",
         'Tracer::Tracer(int i, const char *t) : id(i), tag(t) { std::printf("make %s %d\\n", t, i); mix(i); }',
         'Tracer::~Tracer() { std::printf("drop %s %d\\n", tag.c_str(), id); }',
         "Base::~Base() {}",
         'static Tracer main_static(-1, "static");',
         "static unsigned long hash(const std::string &s) { unsigned long h = 5381; for (char c : s) h = h * 33 + c; return h; }",
         "int main() {"]
    for i in range(n):
        x = R.randint(0, 40)
        M.append(f"  {{ Base *b = make{i}({x}); mix(b->f({x + 1})); mix(hash(b->name())); delete b; }}")
        M.append(f"  mix(use{i}({R.randint(0, 30)})); mix(hash(words{i}({R.randint(0, 9)})));")
        M.append(f"  {{ Shape *s = shape{i}({R.randint(0, 9)}); mix(s->area()); delete s; }}")
        M.append(f"  mix(tl{i}.id); mix(seq()); mix(Acc<{R.choice(tmpl)}>::bump({i})); mix(hash(label()));")
        for x in R.sample(range(12), 4):
            M.append(f"  try {{ mix(thrower{i}({x})); }} catch (const Err{i} &e) {{ mix(e.tu() * 11 + e.code); }}"
                     f" catch (const Oops &e) {{ mix(e.code + 500); }} catch (const std::out_of_range &e) {{"
                     f" mix(hash(e.what()) & 3); }} catch (const std::exception &e) {{ mix(77); }} catch (...) {{ mix(99); }}")
        M.append(f'  std::printf("u{i} %lx\\n", trace);')
    M.append("  return (int)(trace & 0x7f);\n}")
    (out / "main.cc").write_text("\n".join(M) + "\n")
    return ["main.cc"] + [f"u{i}.cc" for i in range(n)]


if __name__ == "__main__":
    d = Path(sys.argv[2]); d.mkdir(parents=True, exist_ok=True)
    print(" ".join(gen(int(sys.argv[1]), d)))
