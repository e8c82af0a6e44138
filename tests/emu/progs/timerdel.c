/* A POSIX timer's signal queued (blocked, not yet taken) when the timer is deleted, disarmed
   or re-armed: is it still pending, and is it delivered? */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile int got;
static volatile int overrun = -1;

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    got++;
    overrun = si->si_overrun;
}

static int pending(void)
{
    sigset_t s;
    sigpending(&s);
    return sigismember(&s, SIGUSR1);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    while (nanosleep(&ts, &ts) != 0) ;
}

static timer_t expired(long interval_ns)
{
    timer_t t;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    timer_create(CLOCK_MONOTONIC, &ev, &t);
    struct itimerspec its = {{0, interval_ns}, {0, 1000000}};
    timer_settime(t, 0, &its, NULL);
    sleep_ms(30);
    return t;
}

static void take(const char *what, int before)
{
    int now = pending();
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    got = 0;
    overrun = -1;
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    sigprocmask(SIG_BLOCK, &s, NULL);
    printf("%s: pending before %d, after it %d, delivered %d, then pending %d\n", what, before, now, got, pending());
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, NULL);

    timer_t t = expired(0);
    int before = pending();
    timer_delete(t);
    take("deleted", before);

    t = expired(0);
    before = pending();
    struct itimerspec zero = {{0, 0}, {0, 0}};
    timer_settime(t, 0, &zero, NULL);
    take("disarmed", before);
    timer_delete(t);

    t = expired(0);
    before = pending();
    struct itimerspec far = {{0, 0}, {100, 0}};
    timer_settime(t, 0, &far, NULL);
    take("re-armed", before);
    timer_delete(t);

    t = expired(1000000);       /* 1 ms periodic: overruns counted while blocked */
    before = pending();
    timer_settime(t, 0, &zero, NULL);
    take("periodic disarmed", before);
    printf("  its overrun above 5: %d\n", overrun > 5);
    timer_delete(t);

    t = expired(0);             /* deleted, then waited for: nothing to take */
    before = pending();
    timer_delete(t);
    int now = pending();
    struct timespec zero_wait = {0, 0};
    int r = sigtimedwait(&s, NULL, &zero_wait);
    printf("deleted, then sigtimedwait: pending before %d, after it %d, sigtimedwait %d %s, "
           "then pending %d\n", before, now, r, r < 0 ? strerror(errno) : "", pending());

    t = expired(0);             /* and untouched, for reference */
    before = pending();
    take("untouched", before);
    timer_delete(t);
    return 0;
}
