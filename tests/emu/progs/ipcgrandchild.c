/* The run's objects outlive its first process while a process of the run uses them (R2's
   t4): a grandchild, whose parent has been reaped by the first process, uses the set by
   key after the first process has ended. xld removed the objects when the first
   process's children were reaped (EINVAL, ENOENT). */
#include <errno.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int s = semget(0x1234, 1, IPC_CREAT | 0600);
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        if (fork() == 0) {
            char x;
            close(p[1]);
            read(p[0], &x, 1);          /* EOF: the first process has ended its part */
            sleep(1);                   /* (xld's first process reaps its child meanwhile:
                                           the old code's cleanup; right either way) */
            struct sembuf op = {0, 1, 0};
            int r = semop(s, &op, 1), e = errno;
            printf("grandchild: semop %d errno %d value %d same key %d\n", r, e,
                   semctl(s, 0, GETVAL), semget(0x1234, 1, 0) == s);
            return 0;
        }
        return 0;
    }
    close(p[0]);
    waitpid(c, 0, 0);
    printf("first process ends\n");
    fflush(stdout);
    return 0;       /* (p[1] closed at its exit) */
}
