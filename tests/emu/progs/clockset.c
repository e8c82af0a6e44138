/* Setting and adjusting the system clock as an unprivileged process: settimeofday (EPERM after
   the kernel's EFAULT and EINVAL checks), adjtimex and clock_adjtime (a read with modes 0
   succeeds; a change is EPERM), times(), whose result (the kernel's jiffies in clock ticks) is
   printed on the first line for the caller to compare with its own, and a sleep on the
   process's CPU clock by its only thread (only a signal ends it). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

static const char *err(long r) { return r >= 0 ? "ok" : strerror(errno); }

static void on_alarm(int sig) { (void)sig; }

static long settod(long sec, long usec, int tz_minutes, int with_tv, int with_tz) {
    struct { long sec, usec; } tv = {sec, usec};
    struct { int minuteswest, dsttime; } tz = {tz_minutes, 0};
    return syscall(SYS_settimeofday, with_tv ? (void *)&tv : 0, with_tz ? (void *)&tz : 0);
}

static long adj(clockid_t clk, unsigned modes, long tick, struct timex *out) {
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    tx.modes = modes;
    tx.tick = tick;
    long r = clk == -100 ? syscall(SYS_adjtimex, &tx) : syscall(SYS_clock_adjtime, clk, &tx);
    if (out) *out = tx;
    return r;
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    struct tms t;
    long ticks = (long)times(&t);
    printf("times: %ld\n", ticks);
    struct timespec ms50 = {0, 50000000};
    nanosleep(&ms50, 0);
    long later = (long)times(0);
    /* (no upper bound: a loaded machine may sleep longer; 50 ms is 5 ticks, at least 4 of
       them counted whatever the clock's phase) */
    printf("times after a 50 ms sleep: at least 4 ticks later %d, CPU times read %d\n",
           later - ticks >= 4, t.tms_utime >= 0 && t.tms_stime >= 0);

    struct timeval now;
    gettimeofday(&now, 0);
    /* (not settimeofday(NULL, NULL), EPERM too: qemu-user 7.2 hands the host's C library a
       NULL time and dies) */
    printf("settimeofday: now %s, its zone %s, a zone 2000 min west %s\n",
           err(settod(now.tv_sec, now.tv_usec, 0, 1, 0)), err(settod(0, 0, 0, 0, 1)), err(settod(0, 0, 2000, 0, 1)));
    printf("settimeofday: usec 1000001 %s, usec 1000000 %s, usec -1 %s, sec -1 %s\n",
           err(settod(now.tv_sec, 1000001, 0, 1, 0)), err(settod(now.tv_sec, 1000000, 0, 1, 0)),
           err(settod(now.tv_sec, -1, 0, 1, 0)), err(settod(-1, 0, 0, 1, 0)));
    printf("C library: settimeofday %s, with a zone %s, only a zone %s, clock_settime %s\n",
           err(settimeofday(&now, 0)), err(settimeofday(0, &(struct timezone){0, 0})),
           err(settimeofday(0, &(struct timezone){0, 0})),
           err(clock_settime(CLOCK_REALTIME, &(struct timespec){now.tv_sec, 0})));

    struct timex tx;
    long st = adj(-100, 0, 0, &tx);
    printf("adjtimex read: a clock state %d, tick 9000 to 11000 us %d, time now %d\n", st >= 0 && st <= 5,
           tx.tick >= 9000 && tx.tick <= 11000, tx.time.tv_sec >= now.tv_sec && tx.time.tv_sec < now.tv_sec + 60);
    long st2 = adj(CLOCK_REALTIME, 0, 0, &tx);
    printf("clock_adjtime(CLOCK_REALTIME) read: the same state %d, tick %d\n", st2 == st,
           tx.tick >= 9000 && tx.tick <= 11000);
    printf("adjtimex: ADJ_OFFSET_SS_READ %s, ADJ_FREQUENCY %s, ADJ_TICK 20000 %s, ADJ_ADJTIME alone %s, "
           "adjtime %s, ADJ_SETOFFSET %s, bad pointer %s\n",
           err(adj(-100, ADJ_OFFSET_SS_READ, 0, 0)), err(adj(-100, ADJ_FREQUENCY, 0, 0)),
           err(adj(-100, ADJ_TICK, 20000, 0)), err(adj(-100, 0x8000, 0, 0)),
           err(adj(-100, ADJ_OFFSET_SINGLESHOT, 0, 0)), err(adj(-100, 0x0100, 0, 0)),
           err(syscall(SYS_adjtimex, (void *)8)));
    printf("clock_adjtime: CLOCK_MONOTONIC %s, CLOCK_BOOTTIME %s, CLOCK_PROCESS_CPUTIME_ID %s, "
           "a thread's clock %s, clock 10 %s, clock 12 %s, a descriptor's %s, ADJ_FREQUENCY %s, bad pointer %s\n",
           err(adj(CLOCK_MONOTONIC, 0, 0, 0)), err(adj(CLOCK_BOOTTIME, 0, 0, 0)),
           err(adj(CLOCK_PROCESS_CPUTIME_ID, 0, 0, 0)), err(adj((~(clockid_t)0 << 3) | 6, 0, 0, 0)),
           err(adj(10, 0, 0, 0)), err(adj(12, 0, 0, 0)), err(adj((~(clockid_t)99 << 3) | 3, 0, 0, 0)),
           err(adj(CLOCK_REALTIME, ADJ_FREQUENCY, 0, 0)), err(syscall(SYS_clock_adjtime, CLOCK_REALTIME, (void *)8)));
    printf("C library: adjtimex %s, clock_adjtime ADJ_FREQUENCY %s\n", err(adjtimex(&(struct timex){0})),
           err(clock_adjtime(CLOCK_REALTIME, &(struct timex){.modes = ADJ_FREQUENCY})));

    /* the only thread sleeps on its process's CPU clock: nothing of the process runs, the
       clock stands still, only a signal ends the sleep */
    signal(SIGALRM, on_alarm);
    struct itimerval second = {{0, 0}, {1, 0}};
    setitimer(ITIMER_REAL, &second, 0);
    struct timespec ms2 = {0, 2000000}, left = {0, 0};
    long r = syscall(SYS_clock_nanosleep, CLOCK_PROCESS_CPUTIME_ID, 0, &ms2, &left);
    printf("sleep 2 ms on the process's CPU clock, alone: %s, time left 1.9 to 2 ms %d\n", err(r),
           left.tv_sec == 0 && left.tv_nsec > 1900000 && left.tv_nsec <= 2000000);
    return 0;
}
