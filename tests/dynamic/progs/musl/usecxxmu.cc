// Uses libcxxmu: overrides its virtual function, which the library then calls.
#include <cstdio>
#include "libcxxmu.h"

struct Double : Counter { int step(int v) const override { return 2 * v + 1; } };

int main() {
    Counter c; Double d;
    std::printf("run %d %d\n", c.run(3), d.run(3));
    std::printf("checked %d\n", d.checked(5));
    return 0;
}
