/* clock_nanosleep and nanosleep at their edges, as Linux answers: the longest times a
   timespec holds (2**63 - 1 s: the kernel saturates them at KTIME_MAX, about 292 years; the
   time left after a signal is that long), with one thread and with two; a sleep on another
   thread's CPU clock while that thread ends (it never wakes: a signal ends it, with the time
   left), then on the ended thread's clock (EINVAL); sleeps on a spinning thread's CPU clock,
   each ended by a SIGALRM that the sleeping main thread takes (Linux gives a signal for the
   process to the main thread first). The signals come every 200 ms from when the sleep is
   asked for until it has ended (periodic: one that came before the sleep began, on a loaded
   machine, is followed by another), and the timer is off while the program prints. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile int quick_tid, handled_by_main, handled, main_tid;
static void on_alarm(int s) {
    (void)s;
    handled++;
    handled_by_main += syscall(SYS_gettid) == main_tid;
}
static void *quick(void *a) { (void)a; quick_tid = syscall(SYS_gettid); usleep(20000); return 0; }
static void *spinner(void *a) { (void)a; for (;;) {} return 0; }
static void *idle(void *a) { (void)a; for (;;) pause(); return 0; }

static void alarm_in(long us) {
    struct itimerval it = {{0, us}, {0, us}};          /* (0: off) */
    setitimer(ITIMER_REAL, &it, 0);
}

static void longest(const char *what, clockid_t c, int flags) {
    struct timespec huge = {0x7fffffffffffffffLL, 999999999}, rem = {0, 0};
    alarm_in(200000);
    long r = c == -2 ? syscall(SYS_ppoll, 0, 0, &huge, 0, 8)       /* (the time left: in huge) */
             : c < 0 ? syscall(SYS_nanosleep, &huge, &rem) : syscall(SYS_clock_nanosleep, c, flags, &huge, &rem);
    if (c == -2)
        rem = huge;
    int e = errno;
    alarm_in(0);
    errno = e;
    printf("%s: %ld %s, time left over 1e9 s %d\n", what, r, strerror(errno), rem.tv_sec > 1000000000);
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    main_tid = syscall(SYS_gettid);
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, 0);
    for (int round = 0; round < 2; round++) {
        longest("nanosleep", -1, 0);
        longest("ppoll", -2, 0);
        longest("CLOCK_MONOTONIC", CLOCK_MONOTONIC, 0);
        longest("CLOCK_REALTIME, TIMER_ABSTIME", CLOCK_REALTIME, TIMER_ABSTIME);
        longest("CLOCK_PROCESS_CPUTIME_ID", CLOCK_PROCESS_CPUTIME_ID, 0);
        longest("CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME", CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME);
        if (round == 0) {
            pthread_t th;
            pthread_create(&th, 0, idle, 0);
            printf("with a second thread:\n");
        }
    }

    pthread_t th;
    pthread_create(&th, 0, quick, 0);
    while (!quick_tid)
        sched_yield();
    clockid_t c;
    pthread_getcpuclockid(th, &c);
    alarm_in(300000);
    struct timespec ts = {1000, 0}, rem = {0, 0};
    long r = syscall(SYS_clock_nanosleep, c, 0, &ts, &rem);
    int e = errno;
    alarm_in(0);
    errno = e;
    printf("sleep on a thread's clock as it ends: %ld %s, time left over 900 s %d\n", r, strerror(errno),
           rem.tv_sec > 900);
    pthread_join(th, 0);
    r = syscall(SYS_clock_nanosleep, c, 0, &ts, 0);
    printf("then on its clock: %ld %s\n", r, strerror(errno));

    pthread_t sp;
    pthread_create(&sp, 0, spinner, 0);
    clockid_t sc;
    pthread_getcpuclockid(sp, &sc);
    int eintr = 0;
    handled_by_main = handled = 0;
    for (int i = 0; i < 5; i++) {
        struct timespec big = {100000, 0};
        alarm_in(200000);
        if (syscall(SYS_clock_nanosleep, sc, 0, &big, 0) && errno == EINTR)
            eintr++;
        alarm_in(0);
    }
    printf("5 sleeps on a spinning thread's clock, ended by SIGALRM: EINTR %d, every handler in the main thread %d\n",
           eintr, handled >= 5 && handled_by_main == handled);
    return 0;
}
