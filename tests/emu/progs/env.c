/* The environment and argv as the program sees them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

int main(int argc, char **argv)
{
    /* sorted: qemu-user reverses the environment's order, the kernel keeps it */
    int n = 0, k = 0;
    char *mine[64];
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "XLD_", 4) == 0 && k < 64)
            mine[k++] = *e;
        else
            n++;
    qsort(mine, k, sizeof *mine, cmp);
    for (int i = 0; i < k; i++)
        printf("env %s\n", mine[i]);
    printf("others: %d\n", n);
    const char *v = getenv("XLD_GREETING");
    printf("greeting: %s\n", v ? v : "(unset)");
    for (int i = 0; i < argc; i++)
        printf("argv[%d] = %s\n", i, i == 0 ? (strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0]) : argv[i]);
    v = getenv("LC_CTYPE");    /* what Python's C-locale coercion would change (cli's test) */
    printf("LC_CTYPE: %s\n", v ? v : "(unset)");
    return 0;
}
