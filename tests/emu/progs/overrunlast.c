/* timer_getoverrun after a timer's signal is taken: the overrun count of that signal (its
   si_overrun: the kernel's it_overrun_last, set when the signal is dequeued), not the expiries
   counted since. A 1 ms periodic timer on a blocked signal, a 20 ms sleep (one signal pending,
   about 19 overruns), then sigwaitinfo, then a handler's turn. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static timer_t t;
static volatile int in_handler_over = -1, in_handler_get = -2;

static void on_usr1(int s, siginfo_t *si, void *uc) {
    (void)s; (void)uc;
    if (in_handler_over != -1)
        return;                        /* the first run only (the timer goes on) */
    in_handler_get = timer_getoverrun(t);
    in_handler_over = si->si_overrun;
}

int main(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, 0);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    timer_create(CLOCK_MONOTONIC, &ev, &t);
    struct itimerspec ts = {{0, 1000000}, {0, 1000000}};
    timer_settime(t, 0, &ts, 0);
    struct timespec d = {0, 20000000};
    nanosleep(&d, 0);
    siginfo_t si;
    sigwaitinfo(&set, &si);
    int got = timer_getoverrun(t);
    printf("sigwaitinfo: si_overrun above 5 %d, timer_getoverrun the same %d\n",
           si.si_overrun > 5, got == si.si_overrun);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, 0);
    nanosleep(&d, 0);                  /* pending again, with overruns */
    sigprocmask(SIG_UNBLOCK, &set, 0); /* the handler runs here */
    struct itimerspec off = {{0, 0}, {0, 0}};
    timer_settime(t, 0, &off, 0);
    printf("handler: si_overrun above 5 %d, timer_getoverrun the same %d\n",
           in_handler_over > 5, in_handler_get == in_handler_over);
    return 0;
}
