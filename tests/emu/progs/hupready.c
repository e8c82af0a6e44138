/* Sets SIGHUP's default action, says it is ready, waits: a SIGHUP from outside ends it (the
   process dies of the signal, under qemu-user too). No fork. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    signal(SIGHUP, SIG_DFL);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
