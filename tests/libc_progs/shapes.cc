#include "shapes.h"
void throw_from_other_tu(int n) { if (n > 1) throw Oops("other tu " + std::to_string(n)); }
std::string describe(int n) { Box<int> b{n}; return "box " + std::to_string(b.twice()) + " " + std::to_string(shared_inline(n)); }
