/* printf with floats, malloc, argv and the exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

int main(int argc, char **argv)
{
    double x = 3.25;
    printf("hello from %d args\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d] = '%s'\n", i, argv[i]);
    printf("%.3f %g %e %.10f\n", x, x * 1e10, 1.0 / 3.0, sqrt(2.0));
    char *p = malloc(1000);
    snprintf(p, 1000, "%s-%05d-%x", "fmt", 42, 0xbeef);
    puts(p);
    free(p);
    fprintf(stderr, "to stderr\n");
    return argc > 1 ? atoi(argv[argc - 1]) & 0xff : 0;
}
