/* The scheduling policy of another process of the run: a parent reads and sets its child's
   (which the child then sees), the child reads and sets its parent's, with Linux's checks;
   a child inherits the policy it was forked with. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *e(int r) { return r >= 0 ? "ok" : strerror(errno); }

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sched_param p0 = {0}, p7 = {7}, got;
    int to_child[2], to_parent[2];
    pipe(to_child);
    pipe(to_parent);
    printf("batch self: %s\n", e(sched_setscheduler(0, SCHED_BATCH, &p0)));
    pid_t c = fork();
    char b;
    if (c == 0) {
        printf("child inherited: %d\n", sched_getscheduler(0));
        write(to_parent[1], "r", 1);
        read(to_child[0], &b, 1);                 /* the parent has set this one's policy */
        printf("child sees its policy: %d\n", sched_getscheduler(0));
        pid_t pp = getppid();
        printf("child reads the parent's: %d\n", sched_getscheduler(pp));
        printf("child sets the parent's SCHED_OTHER: %s\n", e(sched_setscheduler(pp, SCHED_OTHER, &p0)));
        printf("child: the parent's priority: %s %d\n", e(sched_getparam(pp, &got)), got.sched_priority);
        struct timespec ts;
        printf("child: rr interval of the parent: %s\n", e(sched_rr_get_interval(pp, &ts)));
        write(to_parent[1], "d", 1);
        read(to_child[0], &b, 1);
        _exit(0);
    }
    read(to_parent[0], &b, 1);
    printf("parent reads the child's: %d\n", sched_getscheduler(c));
    printf("parent sets the child's SCHED_IDLE: %s\n", e(sched_setscheduler(c, SCHED_IDLE, &p0)));
    printf("parent sets the child's FIFO 7 (bad for SCHED_OTHER): %s\n", e(sched_setparam(c, &p7)));
    printf("parent: the child's now: %d\n", sched_getscheduler(c));
    write(to_child[1], "g", 1);
    read(to_parent[0], &b, 1);                    /* the child has set this one's policy */
    printf("parent sees its policy: %d\n", sched_getscheduler(0));
    write(to_child[1], "x", 1);
    waitpid(c, NULL, 0);
    return 0;
}
