/* SIGALRM every millisecond (setitimer, then a POSIX timer) while a tight loop chases pointers
   and loads/modifies/stores an array; each round checks its data. A signal delivered one
   instruction off (a load run twice, with its own result as address) breaks a check or crashes. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define N 4096
static volatile unsigned long ticks, timer_ticks;
static void *next[N];
static unsigned long data[N];
static int sival_ok = 1;

static void on_alarm(int sig) { (void)sig; ticks++; }
static void on_timer(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)uc;
    if (si->si_code != SI_TIMER || si->si_value.sival_int != 77) sival_ok = 0;
    timer_ticks++;
}

static int round_ok(unsigned long r) {
    void **p = (void **)next[0];
    unsigned long steps = 1;
    while (p != (void **)&next[0]) { p = (void **)*p; steps++; }    /* one cycle through all */
    unsigned long sum = 0;
    for (int i = 0; i < N; i++) { data[i] = data[i] * 3 + r; sum += data[i] & 0xffff; }
    for (int i = 0; i < N; i++) data[i] = (data[i] - r) / 3;          /* back to i */
    for (int i = 0; i < N; i++) if (data[i] != (unsigned long)i) return 0;
    return steps == N && sum != 0;
}

static int work(volatile unsigned long *count, unsigned long want) {
    int failures = 0;
    unsigned long rounds = 0;
    while (*count < want || rounds < 10) { failures += !round_ok(rounds % 7 + 1); rounds++; }
    return failures;
}

int main(void) {
    for (int i = 0; i < N; i++) { next[i] = &next[(i * 5 + 1) % N]; data[i] = i; }
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, 0);
    struct itimerval it = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &it, 0);
    int f1 = work(&ticks, 100);
    it = (struct itimerval){0};
    setitimer(ITIMER_REAL, &it, 0);
    printf("setitimer: failures %d\n", f1);

    sa.sa_sigaction = on_timer;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR1, &sa, 0);
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 77;
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, &ev, &t)) { perror("timer_create"); return 1; }
    struct itimerspec ts = {{0, 1000000}, {0, 1000000}};
    timer_settime(t, 0, &ts, 0);
    int f2 = work(&timer_ticks, 100);
    struct itimerspec left;
    timer_gettime(t, &left);
    printf("timer: failures %d, armed %d, sigval ok %d\n", f2, left.it_interval.tv_nsec == 1000000, sival_ok);
    timer_delete(t);
    return f1 || f2;
}
