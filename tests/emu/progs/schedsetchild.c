/* A parent sets its child's policy at once after the fork (R2's finding 6): the child sees
   it. In xld, the child wrote its own (inherited) policy on the run's board when it started,
   over the parent's when that came first. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int p[2];
    pipe(p);
    struct sched_param zero = {0};
    for (int i = 0; i < 3; i++) {
        pid_t c = fork();
        if (c == 0) {
            char x;
            read(p[0], &x, 1);
            printf("child %d sees %d\n", i, sched_getscheduler(0));
            return 0;
        }
        int r = sched_setscheduler(c, i == 1 ? SCHED_IDLE : SCHED_BATCH, &zero);
        write(p[1], "x", 1);
        waitpid(c, 0, 0);
        printf("set %d: %d\n", i, r);
    }
    return 0;
}
