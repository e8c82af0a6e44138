/* semtimedop with an invalid timeout on an operation that could be applied at once (R2's
   t6): Linux checks the timeout first, EINVAL, the value unchanged. xld applied it (0). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>

int main(void) {
    int s = semget(IPC_PRIVATE, 1, 0600);
    struct sembuf op = {0, 1, 0};
    struct timespec big = {0, 2000000000L}, neg = {-1, 0}, neg_ns = {0, -1};
    errno = 0;
    int r = semtimedop(s, &op, 1, &big);
    printf("tv_nsec 2e9: %d errno %d value %d\n", r, errno, semctl(s, 0, GETVAL));
    errno = 0;
    r = semtimedop(s, &op, 1, &neg);
    printf("tv_sec -1: %d errno %d value %d\n", r, errno, semctl(s, 0, GETVAL));
    errno = 0;
    r = semtimedop(s, &op, 1, &neg_ns);
    printf("tv_nsec -1: %d errno %d value %d\n", r, errno, semctl(s, 0, GETVAL));
    struct timespec ok = {1, 0};
    errno = 0;
    r = semtimedop(s, &op, 1, &ok);
    printf("valid: %d errno %d value %d\n", r, errno, semctl(s, 0, GETVAL));
    semctl(s, 0, IPC_RMID);
    return 0;
}
