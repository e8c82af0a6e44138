/* For the gdb tests (test_emu_gdb.py), built with -g -O0: a function to break in with a
   parameter and a global to read; "crash" writes through a null pointer; "spin" loops; "fp"
   passes doubles in floating-point registers. */
#include <stdio.h>
#include <string.h>
int counter;
volatile int *null_ptr;
__attribute__((noinline)) int compute(int n) {
    int total = 0;
    for (int i = 1; i <= n; i++) total += i * i;
    counter = total;
    return total;
}
__attribute__((noinline)) void crash(void) { *null_ptr = 42; }
__attribute__((noinline)) double scale(double x, double k) { return x * k + 0.5; }
int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "crash")) crash();
    if (argc > 1 && !strcmp(argv[1], "fp")) { printf("%.2f\n", scale(3.0, 2.0)); return 0; }
    if (argc > 1 && !strcmp(argv[1], "spin")) { puts("spinning"); fflush(stdout); for (;;) counter++; }
    int r = compute(12);
    printf("result %d\n", r);
    return r == 650 ? 0 : 7;
}
