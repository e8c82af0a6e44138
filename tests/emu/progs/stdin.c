/* Read all of stdin with stdio; report lines, words and bytes; echo it upper-cased. */
#include <stdio.h>
#include <ctype.h>
#include <unistd.h>

int main(void)
{
    long lines = 0, words = 0, bytes = 0;
    int c, inword = 0;
    printf("tty: %d\n", isatty(0));
    while ((c = getchar()) != EOF) {
        bytes++;
        if (c == '\n')
            lines++;
        if (isspace(c))
            inword = 0;
        else if (!inword) {
            inword = 1;
            words++;
        }
        putchar(toupper(c));
    }
    printf("\n%ld %ld %ld\n", lines, words, bytes);
    fprintf(stderr, "done\n");
    return lines == 0 ? 2 : 0;
}
