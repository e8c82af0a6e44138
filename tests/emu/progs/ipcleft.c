/* A run killed while it has System V objects: it makes a semaphore set and a segment (and,
   with an argument, a child first), says their ids, and waits to be killed. */
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1 && fork() == 0) {
        pause();
        return 0;
    }
    int s = semget(IPC_PRIVATE, 1, 0600), m = shmget(IPC_PRIVATE, 4096, 0600);
    printf("%d %d\n", s, m);
    fflush(stdout);
    pause();
    return 0;
}
