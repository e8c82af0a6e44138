/* The child outlives its parent (the run's first process), then sends it argv[1]'s signal:
   on Linux (and under qemu-user) the parent is gone, kill says ESRCH. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
int main(int argc, char **argv) {
    int sig = argc > 1 ? atoi(argv[1]) : SIGTERM;
    pid_t parent = getpid();
    if (fork() == 0) {
        while (getppid() == parent) usleep(10000);
        usleep(300000);
        int r = kill(parent, sig);
        printf("child: kill of its ended parent: %d %s\n", r, r ? strerror(errno) : "");
        fflush(stdout);
        _exit(0);
    }
    printf("parent: done\n"); fflush(stdout);
    return 0;
}
