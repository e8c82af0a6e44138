#define _GNU_SOURCE
/* The run's System V objects are its own: a host segment (key and id given by the test) is
   out of reach; objects left behind are removed when the run ends (the test looks). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    key_t key = (key_t)strtol(argv[1], NULL, 0);
    int hostid = atoi(argv[2]);
    struct shmid_ds ds;
    printf("host key: %d errno %d\n", shmget(key, 0, 0), errno);
    printf("host id stat: %d errno %d\n", shmctl(hostid, IPC_STAT, &ds), errno);
    printf("host id attach: %ld errno %d\n", (long)shmat(hostid, NULL, 0), errno);
    printf("host id rmid: %d errno %d\n", shmctl(hostid, IPC_RMID, NULL), errno);
    printf("host index stat: %d errno %d\n", shmctl(hostid & 0x7fff, SHM_STAT, &ds), errno);
    /* the same key is free in the run: made here, it is the run's own */
    int mine = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
    printf("own with that key %d\n", mine >= 0 && mine != hostid);
    printf("own index stat %d\n", shmctl(mine & 0x7fff, SHM_STAT, &ds) == mine);
    struct shminfo info;
    printf("IPC_INFO max index is own %d\n", shmctl(0, IPC_INFO, (struct shmid_ds *)&info) == (mine & 0x7fff));
    /* left behind: the run removes them */
    semget(key, 3, IPC_CREAT | 0600);
    msgget(IPC_PRIVATE, 0600);
    printf("attached %d\n", shmat(mine, NULL, 0) != (void *)-1);
    return 0;
}
