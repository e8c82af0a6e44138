// A C++ shared library (libc++): a class with virtual functions the program derives from, and
// an exception thrown and caught here.  (Not across the boundary: zig links a copy of libc++
// into each of the library and the program, whose type infos differ, with ld.lld as well.)
#include <cstdio>
#include <stdexcept>
#include <string>
#include "libcxxmu.h"

Counter::~Counter() = default;
int Counter::step(int v) const { return v + 1; }
int Counter::run(int n) const {
    int v = 0;
    for (int i = 0; i < n; i++) v = step(v);
    if (v > 10) throw std::out_of_range("counter ran to " + std::to_string(v));
    return v;
}
int Counter::checked(int n) const {
    try { return run(n); } catch (const std::exception &e) { std::printf("caught: %s\n", e.what()); }
    return -1;
}
