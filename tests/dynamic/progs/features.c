/* libc only: stdio, environ and stdout (copy relocations without -fPIE), qsort callbacks,
   atexit, a local IFUNC, thread-local storage of our own, setjmp. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;
static __thread int tls_counter = 3;
__thread char tls_buf[32];
static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
static void bye(void) { printf("bye\n"); }
static int impl_one(void) { return 1; }
static void *pick_one(void) { return (void *)impl_one; }
int chosen(void) __attribute__((ifunc("pick_one")));
static jmp_buf jb;
const char *table[] = {"zero", "one", "two"};     /* pointers in data: RELATIVE in a PIE */

int main(void) {
    int v[] = {5, 3, 9, 1};
    qsort(v, 4, sizeof v[0], cmp);
    printf("sorted %d %d %d %d\n", v[0], v[1], v[2], v[3]);
    int n = 0;
    for (char **e = environ; *e; e++) n++;
    printf("environ ok %d\n", n >= 0);
    fprintf(stdout, "stdout ok\n");
    fflush(stdout);
    tls_counter += 2;
    strcpy(tls_buf, "tls");
    printf("tls %d %s\n", tls_counter, tls_buf);
    printf("ifunc %d\n", chosen());
    printf("table %s %s\n", table[1], table[2]);
    atexit(bye);
    if (setjmp(jb) == 0) longjmp(jb, 7);
    printf("strlen %zu\n", strlen("dynamic"));
    return 3;
}
