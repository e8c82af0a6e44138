/* ipcperms for a get by key, as an unprivileged process: the mode bits asked for must be
   granted by the object's mode (to its owner too); asking for none always passes. */
#include <errno.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

int main(void) {
    key_t key = 0x5f000000 | (getpid() & 0xffff);
    int m = shmget(key, 4096, IPC_CREAT | 0400);
    int s = semget(key, 1, IPC_CREAT | 0400);
    int q = msgget(key, IPC_CREAT | 0600);
    printf("made %d %d %d\n", m >= 0, s >= 0, q >= 0);
    errno = 0;
    printf("shm ask 0600 of 0400: %d errno %d\n", shmget(key, 0, 0600) >= 0, errno);
    printf("shm ask 0400: same id %d\n", shmget(key, 0, 0400) == m);
    printf("shm ask nothing: same id %d\n", shmget(key, 0, 0) == m);
    printf("shm IPC_CREAT existing: same id %d\n", shmget(key, 0, IPC_CREAT | 0600) == -1 && errno == EACCES);
    errno = 0;
    printf("sem ask 0200: %d errno %d\n", semget(key, 0, 0200) >= 0, errno);
    printf("msg ask 0060 of 0600: same id %d\n", msgget(key, 0060) == q);
    printf("msg ask 0006: same id %d\n", msgget(key, 0006) == q);
    shmctl(m, IPC_RMID, NULL);
    semctl(s, 0, IPC_RMID);
    msgctl(q, IPC_RMID, NULL);
    return 0;
}
