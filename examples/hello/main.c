/* main.c: say hello, apply every operation of the table to two numbers, and report how many
 * lines were printed (a counter kept in .bss by io.c). */
#include "sys.h"
#include "ops.h"

static long fib(long n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(int argc, char **argv)
{
    (void)argv;
    put_line("Hello from a program linked by xld (" ARCH_NAME ")!");
    for (int i = 0; i < n_ops; i++) {
        put(ops[i].name);
        put(": 7 ");
        char sym[2] = {ops[i].symbol, 0};
        put(sym);
        put(" 3 = ");
        put_num(ops[i].fn(7, 3));
        put_line("");
    }
    put("fib(20) = ");
    put_num(fib(20));
    put_line("");
    put("argc = ");
    put_num(argc);
    put_line("");
    unsigned long n = lines_written;
    put("lines written before this one: ");
    put_num((long)n);
    put_line("");
    return n == 7 ? 0 : 1;
}
