/* stdio.c: a static glibc program: stdio, malloc, qsort, floating-point formatting, setjmp,
 * strings, stdin, stderr, getenv-free. Linked through `gcc -static -B <dir with xld as ld>`. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
static jmp_buf jb;
static void jump(int v) { longjmp(jb, v); }

int main(int argc, char **argv)
{
    int n = 1000, *v = malloc(n * sizeof *v);
    for (int i = 0; i < n; i++)
        v[i] = (i * 7919) % 1009;
    qsort(v, n, sizeof *v, cmp);
    printf("min %d max %d median %d\n", v[0], v[n - 1], v[n / 2]);
    char buf[64];
    snprintf(buf, sizeof buf, "%.3f|%e|%g", 3.14159, 1e-7, strtod("2.5e3", 0));
    puts(buf);
    int r = setjmp(jb);
    if (!r)
        jump(42);
    printf("longjmp %d\n", r);
    char *s = strdup("hello world");
    printf("%zu %s\n", strlen(s), strchr(s, 'w'));
    free(s);
    free(v);
    long lines = 0, words = 0, chars = 0;
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        lines++;
        chars += strlen(line);
        for (char *t = strtok(line, " \t\n"); t; t = strtok(0, " \t\n"))
            words++;
    }
    printf("stdin: %ld lines %ld words %ld chars\n", lines, words, chars);
    for (int i = 1; i < argc; i++)
        printf("argv[%d] = %s\n", i, argv[i]);
    fprintf(stderr, "to stderr\n");
    return argc + 3;
}
