/* Timers armed centuries ahead, and with such intervals: what timer_gettime and getitimer
   give back. Linux keeps times as signed 64-bit nanoseconds (ktime_t) and clamps longer ones
   to KTIME_MAX (2^63 - 1 ns, 9223372036.854775807 s): a timer armed further ahead expires at
   KTIME_MAX on its clock, and its value is KTIME_MAX less the clock's time now. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define KTIME_MAX_S 9223372036L

static double now_of(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* the value read back, plus the clock's time now: KTIME_MAX (within a second) or not */
static void posix(const char *what, clockid_t clock, int flags, time_t value, time_t interval)
{
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_NONE;
    timer_t t;
    timer_create(clock, &ev, &t);
    struct itimerspec its = {{interval, 0}, {value, 0}}, cur;
    int r = timer_settime(t, flags, &its, NULL);
    timer_gettime(t, &cur);
    double end = cur.it_value.tv_sec + cur.it_value.tv_nsec / 1e9 + now_of(clock);
    printf("%s: settime %d, value + now is KTIME_MAX %d, value's nsec below 1e9 %d, "
           "interval %lld.%09ld\n", what, r, end > KTIME_MAX_S - 1 && end < KTIME_MAX_S + 1,
           cur.it_value.tv_nsec < 1000000000L, (long long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
    timer_delete(t);
}

static void itimer(const char *what, time_t value, time_t interval)
{
    struct itimerval it = {{interval, 0}, {value, 0}}, cur, old;
    int r = setitimer(ITIMER_REAL, &it, NULL);
    getitimer(ITIMER_REAL, &cur);
    double end = cur.it_value.tv_sec + cur.it_value.tv_usec / 1e6 + now_of(CLOCK_MONOTONIC);
    printf("%s: setitimer %d, value + now is KTIME_MAX %d, interval %lld.%06ld\n", what, r,
           end > KTIME_MAX_S - 1 && end < KTIME_MAX_S + 1,
           (long long)cur.it_interval.tv_sec, (long)cur.it_interval.tv_usec);
    struct itimerval zero = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &zero, &old);
    printf("  disarmed: old value's usec below 1e6 %d\n", old.it_value.tv_usec < 1000000L);
}

int main(void)
{
    posix("1e10 s ahead", CLOCK_MONOTONIC, 0, 10000000000L, 0);
    posix("INT64_MAX s ahead", CLOCK_MONOTONIC, 0, INT64_MAX, 0);
    posix("9223372036 s ahead", CLOCK_MONOTONIC, 0, 9223372036L, 0);
    posix("1e10 s interval", CLOCK_MONOTONIC, 0, 10000000000L, 10000000000L);
    posix("INT64_MAX s interval", CLOCK_MONOTONIC, 0, INT64_MAX, INT64_MAX);
    posix("absolute 1e10 s, CLOCK_REALTIME", CLOCK_REALTIME, TIMER_ABSTIME, 10000000000L, 0);
    posix("absolute INT64_MAX s, CLOCK_MONOTONIC", CLOCK_MONOTONIC, TIMER_ABSTIME, INT64_MAX, 0);
    itimer("setitimer 1e10 s", 10000000000L, 0);
    itimer("setitimer 1e10 s interval", 10000000000L, 10000000000L);
    itimer("setitimer INT64_MAX s", INT64_MAX, INT64_MAX);
    return 0;
}
