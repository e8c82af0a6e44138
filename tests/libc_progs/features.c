/* A static C program exercising what libc-linked code needs from a linker. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mylib.h"

__thread int tls_counter = 40;
static __thread char tls_buf[32];
static jmp_buf env;

__attribute__((constructor(101))) static void early(void) { printf("ctor 101\n"); }
__attribute__((constructor(200))) static void later(void) { printf("ctor 200\n"); }
__attribute__((constructor)) static void plain(void) { printf("ctor plain\n"); }
__attribute__((destructor)) static void bye(void) { printf("dtor\n"); }
static void at_exit1(void) { printf("atexit 1\n"); }
static void at_exit2(void) { printf("atexit 2\n"); }

static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
static void jumper(int n) { if (n > 3) longjmp(env, n); jumper(n + 1); }

int main(int argc, char **argv) {
    atexit(at_exit1);
    atexit(at_exit2);
    printf("argc=%d argv1=%s\n", argc, argc > 1 ? argv[1] : "-");
    printf("floats %.6f %g %e\n", 3.14159265358979, 1e-300 * 1e10, 12345.678);
    printf("libm %.6f %.6f %.6f\n", sin(1.0), exp(2.5), pow(2.0, 0.5));
    printf("strtod %.10g\n", strtod("2.718281828459045e3", NULL));
    int *v = malloc(4 * sizeof(int));
    for (int i = 0; i < 4; i++) v[i] = 10 - i;
    v = realloc(v, 1000 * sizeof(int));
    for (int i = 4; i < 1000; i++) v[i] = (i * 7919) % 1000;
    qsort(v, 1000, sizeof(int), cmp);
    printf("qsort %d %d %d\n", v[0], v[500], v[999]);
    free(v);
    tls_counter += 2;
    snprintf(tls_buf, sizeof tls_buf, "tls=%d", tls_counter);
    printf("%s\n", tls_buf);
    int r = setjmp(env);
    if (r == 0) jumper(0);
    printf("longjmp %d\n", r);
    errno = 0;
    FILE *f = fopen("/definitely/not/here", "r");
    printf("errno %s %d\n", f ? "opened?" : "ENOENT", errno == ENOENT);
    const char *home = getenv("XLD_TEST_VAR");
    printf("getenv %s\n", home ? home : "(unset)");
    printf("mylib %d %s\n", mylib_used(20), mylib_name());
    char line[128];
    if (fgets(line, sizeof line, stdin)) printf("stdin: %s", line);
    FILE *o = fopen("out.txt", "w");
    if (o) { fprintf(o, "written %d\n", 42); fclose(o); }
    o = fopen("out.txt", "r");
    if (o && fgets(line, sizeof line, o)) printf("file: %s", line);
    if (o) fclose(o);
    return 7;
}
