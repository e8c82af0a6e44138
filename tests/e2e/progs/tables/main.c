/* tables: function-pointer tables in data (const and writable), data pointing to data and to
 * functions, pointers with addends, string literals. */
#include "../common/rt.h"
#include "tables.h"

const binop const_ops[] = {op_add, op_sub, op_mul, op_xor};
binop mutable_ops[4] = {op_sub, op_add, op_xor, op_mul};
static binop (*const table_of_tables[])[4] = {&mutable_ops, &mutable_ops};

int main(int argc, char **argv)
{
    long a = 1000 + argc, b = 37;
    long sum = 0;
    for (int i = 0; i < 4; i++) {
        long r = const_ops[i](a, b), s = mutable_ops[i](a, b);
        put(lookup(i));
        put(": const_ops -> ");
        put_dec(r);
        put(", mutable_ops -> ");
        put_dec(s);
        nl();
        sum += r - s;
    }
    /* rewrite the writable table at run time */
    mutable_ops[0] = op_mul;
    say("after rewrite", (*table_of_tables[1])[0](a, b));
    for (const struct named *n = chain; n; n = n->next) {
        (*n->counter)++;
        put(n->name);
        say("", n->fn(a, 3));
    }
    check(hits[0] == 1 && hits[1] == 1 && hits[2] == 1, "bss counters reached via data");
    check(*p_into_middle == 2584, "pointer with addend");
    check(p_const_end - p_into_middle == 14, "pointer difference");
    say("local table", exported_local_table[0](3, 4) + exported_local_table[1](3, 4));
    check(rt_strcmp(names[3], "three") == 0, "string table");
    greeting[0] = 'W' - 'W' + 'w';
    put(greeting);
    nl();
    put(strptr);
    nl();
    check(rt_strcmp(lookup(OPAQUE(9)), "out of range") == 0, "literal returned across files");
    say("sum", sum);
    if (argc > 1)
        put(argv[1]), nl();
    return failures;
}
