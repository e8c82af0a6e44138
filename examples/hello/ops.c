/* ops.c: a table of named operations. The table is initialised data holding pointers to
 * functions and to string literals, so the linker has to relocate absolute addresses in it. */
#include "ops.h"

static long add(long a, long b) { return a + b; }
static long sub(long a, long b) { return a - b; }
static long mul(long a, long b) { return a * b; }

static long power(long a, long b)
{
    long r = 1;
    while (b-- > 0)
        r *= a;
    return r;
}

const struct op ops[] = {
    {"add", '+', add},
    {"sub", '-', sub},
    {"mul", '*', mul},
    {"pow", '^', power},
};
const int n_ops = sizeof ops / sizeof ops[0];
