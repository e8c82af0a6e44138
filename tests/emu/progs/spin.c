/* Runs away: an endless loop (or a long sleep with "sleep"). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    printf("spinning\n");
    fflush(stdout);
    if (argc > 1 && !strcmp(argv[1], "sleep"))
        sleep(100);
    volatile unsigned long i = 0;
    for (;;)
        i++;
}
