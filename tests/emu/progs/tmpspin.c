/* Creates a file in the guest's /tmp (it must not exist yet: runs share no /tmp), says so, then
   spins, sleeps ("sleep") or exits ("exit"): for the tests that run many at once or kill the
   runner and look for what it left behind (test_emu_parallel.py). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    FILE *f = fopen("/tmp/guest-data", "wx");
    if (!f) { perror("/tmp/guest-data"); return 1; }
    fputs("secret guest data\n", f);
    fclose(f);
    printf("ready\n");
    fflush(stdout);
    if (argc > 1 && !strcmp(argv[1], "exit"))
        return 0;
    if (argc > 1 && !strcmp(argv[1], "sleep"))
        sleep(100);
    volatile unsigned long i = 0;
    for (;;)
        i++;
}
