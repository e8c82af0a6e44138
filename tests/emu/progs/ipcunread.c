/* Objects the caller may not read (mode 0200; R2's t9, t17): they are there all the same.
   A get by key finds the set (no second one, no ENOENT), IPC_EXCL is EEXIST, IPC_STAT is
   EACCES, and the run removes them at its end. xld took them for gone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>

int main(int argc, char **argv) {
    key_t k = argc > 1 ? (key_t)strtol(argv[1], 0, 0) : 0x2468;
    int s = semget(k, 1, IPC_CREAT | 0200);
    errno = 0;
    int s2 = semget(k, 1, 0);
    printf("semget again: same %d errno %d\n", s2 == s, errno);
    errno = 0;
    int s3 = semget(k, 1, IPC_CREAT | 0200);
    printf("semget again IPC_CREAT: same %d errno %d\n", s3 == s, errno);
    int m = shmget(k + 1, 4096, IPC_CREAT | 0200);
    errno = 0;
    int m2 = shmget(k + 1, 4096, IPC_CREAT | IPC_EXCL | 0600);
    printf("shmget IPC_EXCL: %d errno %d\n", m2 >= 0 ? 1 : m2, errno);
    struct shmid_ds ds;
    errno = 0;
    int r = shmctl(m, IPC_STAT, &ds);
    printf("shm IPC_STAT: %d errno %d\n", r, errno);
    errno = 0;
    void *p = shmat(m, 0, SHM_RDONLY);
    printf("shmat: %d errno %d\n", p == (void *)-1 ? -1 : 0, errno);
    int p2 = shmget(IPC_PRIVATE, 4096, 0200);
    errno = 0;
    r = shmctl(p2, IPC_STAT, &ds);
    printf("private IPC_STAT: %d errno %d\n", r, errno);
    errno = 0;
    r = shmctl(p2, IPC_RMID, 0);
    printf("private IPC_RMID: %d errno %d\n", r, errno);
    return 0;   /* s and m left for the end of the run */
}
