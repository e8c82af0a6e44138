/* A fast periodic timer, its signal blocked, disarmed by timer_settime again and again: after
   each disarm no instance of its signal may be taken (Linux cancels the timer and drops the
   queued one under the timer's lock); sigtimedwait with a zero timeout says EAGAIN. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int main(void)
{
    timer_t tm;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    timer_create(CLOCK_MONOTONIC, &ev, &tm);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigprocmask(SIG_BLOCK, &m, NULL);
    struct itimerspec on = {{0, 20000}, {0, 20000}}, off = {{0, 0}, {0, 0}};
    struct timespec zero = {0, 0};
    int stale = 0;
    for (int i = 0; i < 20; i++) {
        timer_settime(tm, 0, &on, NULL);
        siginfo_t si;
        while (sigtimedwait(&m, &si, NULL) != SIGUSR1)
            ;
        timer_settime(tm, 0, &off, NULL);
        if (sigtimedwait(&m, &si, &zero) == SIGUSR1)
            stale++;
    }
    printf("signals taken after the disarm: %d\n", stale);
    return 0;
}
