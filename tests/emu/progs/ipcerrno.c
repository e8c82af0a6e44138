/* Errors of msgrcv, shmat and shmdt that xld gave otherwise (R2's t6, t23): a buffer that
   holds the message but is shorter than msgsz is enough (xld: EFAULT); an attach above the
   address space is ENOMEM (xld: EINVAL); shmdt after the attach's first page was unmapped
   detaches the rest (xld: EINVAL). */
#include <errno.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/shm.h>

int main(void) {
    int q = msgget(IPC_PRIVATE, 0600);
    char *b = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(b + 4096, 4096);
    struct { long t; char x[4]; } m = {1, "abc"};
    msgsnd(q, &m, 4, 0);
    errno = 0;
    long r = msgrcv(q, b + 4096 - 16, 8000, 0, IPC_NOWAIT);
    printf("msgrcv small message, big msgsz: %ld errno %d %s\n", r, errno, b + 4096 - 8);
    msgctl(q, IPC_RMID, 0);
    int s = shmget(IPC_PRIVATE, 8192, 0600);
    errno = 0;
    void *p = shmat(s, (void *)(1UL << 47), 0);
    printf("shmat at 1<<47: %d errno %d\n", p == (void *)-1 ? -1 : 0, errno);
    char *a = shmat(s, 0, 0);
    a[4096] = 1;
    munmap(a, 4096);
    errno = 0;
    int d = shmdt(a);
    printf("shmdt after its first page went: %d errno %d\n", d, errno);
    errno = 0;
    d = shmdt(a + 4096);
    printf("shmdt of the second page: %d errno %d\n", d, errno);
    struct shmid_ds ds;
    shmctl(s, IPC_STAT, &ds);
    printf("nattch %lu\n", (unsigned long)ds.shm_nattch);
    shmctl(s, IPC_RMID, 0);
    return 0;
}
