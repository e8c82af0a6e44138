/* Crashes on purpose; argv[1] picks how. Each has its own function so reports name it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile int *null_ptr;

__attribute__((noinline)) void write_null(void) { *null_ptr = 42; }

__attribute__((noinline)) int recurse(int n)
{
    volatile char pad[512];
    pad[0] = (char)n;
    return recurse(n + 1) + pad[0];
}

__attribute__((noinline)) void do_abort(void) { abort(); }

__attribute__((noinline)) void illegal(void)
{
#if defined(__aarch64__)
    __asm__ volatile(".inst 0x00000000");   /* udf #0 */
#else
    __asm__ volatile(".word 0x00000000");   /* the all-zero word is defined illegal */
#endif
}

__attribute__((noinline)) void trap(void) { __builtin_trap(); }

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "";
    printf("crashing: %s\n", how);
    fflush(stdout);
    if (!strcmp(how, "null")) write_null();
    if (!strcmp(how, "stack")) return recurse(0);
    if (!strcmp(how, "abort")) do_abort();
    if (!strcmp(how, "illegal")) illegal();
    if (!strcmp(how, "trap")) trap();
    return 0;
}
