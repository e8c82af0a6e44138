/* Timers on the process's CPU time, each while the program spins in a loop without system
   calls: setitimer(ITIMER_VIRTUAL) -> SIGVTALRM, setitimer(ITIMER_PROF) -> SIGPROF (twice: an
   interval), and a POSIX timer on CLOCK_PROCESS_CPUTIME_ID with its siginfo. */
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t got, count, info_ok = 1;
static void on_signal(int sig) { got = sig; count++; }
static void on_timer(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    if (si->si_code != SI_TIMER || si->si_value.sival_int != 42) info_ok = 0;
    got = sig;
}

static void spin(int want) {
    unsigned long n = 0;
    while (count < want) n++;
}

int main(void) {
    signal(SIGVTALRM, on_signal);
    signal(SIGPROF, on_signal);
    struct itimerval it = {{0, 0}, {0, 20000}}, cur;
    setitimer(ITIMER_VIRTUAL, &it, 0);
    getitimer(ITIMER_VIRTUAL, &cur);
    printf("virtual armed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0);
    spin(1);
    printf("ITIMER_VIRTUAL: signal %d\n", (int)got);
    it = (struct itimerval){{0, 10000}, {0, 10000}};
    setitimer(ITIMER_PROF, &it, 0);
    spin(3);
    it = (struct itimerval){0};
    setitimer(ITIMER_PROF, &it, 0);
    getitimer(ITIMER_PROF, &cur);
    printf("ITIMER_PROF: signal %d, disarmed %d\n", (int)got, cur.it_value.tv_usec == 0);

    struct sigaction sa = {0};
    sa.sa_sigaction = on_timer;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &sa, 0);
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR2;
    ev.sigev_value.sival_int = 42;
    timer_t t;
    if (timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &t)) { perror("timer_create"); return 1; }
    struct itimerspec ts = {{0, 0}, {0, 20000000}};
    got = 0;
    timer_settime(t, 0, &ts, 0);
    while (!got) {}
    printf("CLOCK_PROCESS_CPUTIME_ID: signal %d, siginfo ok %d\n", (int)got, (int)info_ok);
    return 0;
}
