#include "entries.h"

static int square(int x) { return x * x; }
static int negate(int x) { return -x; }
REGISTER("square", square);
REGISTER("negate", negate);
