/* The child sends its parent argv[1]'s signal (SIGHUP, SIGKILL ...), then writes to standard
   output: on Linux (and under qemu-user) the parent dies of it, the child lives on,
   reparented, and its line still reaches whoever reads the output. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int sig = argc > 1 ? atoi(argv[1]) : SIGHUP;
    printf("parent: waiting\n");
    fflush(stdout);
    pid_t parent = getpid();
    pid_t a = fork();
    if (a == 0) {
        usleep(200000);
        kill(parent, sig);
        usleep(500000);
        printf("child: its parent gone %d\n", getppid() != parent);
        fflush(stdout);
        _exit(0);
    }
    for (;;)
        pause();
}
