/* A forked child inherits no timer (Linux, fork(2)): not the interval timer, not a POSIX timer
   (its id is unknown in the child). The parent's own timers go on. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, 0);
    struct itimerval it = {{0, 0}, {0, 200000}};
    setitimer(ITIMER_REAL, &it, 0);
    timer_t t;
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_NONE;
    if (timer_create(CLOCK_MONOTONIC, &ev, &t)) { perror("timer_create"); return 1; }
    struct itimerspec ts = {{0, 0}, {5, 0}};
    timer_settime(t, 0, &ts, 0);
    pid_t pid = fork();
    if (pid == 0) {
        struct itimerval cur;
        getitimer(ITIMER_REAL, &cur);
        struct itimerspec left;
        int r = timer_gettime(t, &left);
        printf("child: itimer %ld, timer_gettime %d errno %s\n", (long)cur.it_value.tv_usec + cur.it_value.tv_sec,
               r, r ? (errno == EINVAL ? "EINVAL" : "other") : "none");
        fflush(stdout);
        struct timespec nap = {0, 400000000};
        nanosleep(&nap, 0);                   /* the parent's alarm would have come by now */
        printf("child: alarms %d\n", alarms);
        return 0;
    }
    int st;
    waitpid(pid, &st, 0);
    struct itimerspec left;
    printf("parent: timer_gettime %d, alarms %d, child %d\n", timer_gettime(t, &left), alarms,
           WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
