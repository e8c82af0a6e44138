/* ops.c: the functions the tables in main.c point to, and data that points to data. */
#include "../common/rt.h"
#include "tables.h"

long op_add(long a, long b) { return a + b; }
long op_sub(long a, long b) { return a - b; }
long op_mul(long a, long b) { return a * b; }
long op_xor(long a, long b) { return a ^ b; }
static long op_shl(long a, long b) { return a << (b & 15); }   /* only reachable via a table */

long big_table[32] = {1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987,
                      1597, 2584, 4181, 6765, 10946, 17711, 28657, 46368, 75025, 121393,
                      196418, 317811, 514229, 832040, 1346269, 2178309};
long *p_into_middle = &big_table[17];              /* pointer with an addend */
long *const p_const_end = &big_table[31];

static const binop local_table[] = {op_shl, op_add};  /* local function in a local table */
const binop *exported_local_table = local_table;

const char *const names[] = {"zero", "one", "two", "three", "four"};
char greeting[] = "writable copy of a literal";
const char *strptr = "pointer to a literal";

const char *lookup(int i)
{
    return i >= 0 && i < 5 ? names[i] : "out of range";
}
