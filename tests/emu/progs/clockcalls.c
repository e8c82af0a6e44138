/* The rest of the clock and timer system calls on CPU-time clocks, as Linux answers them: a
   thread's and the process's user-time clock (the kernel's kind CPUCLOCK_VIRT, 1); the
   resolutions; clock_settime on them (EPERM, or EINVAL); clock_nanosleep on the process's
   CPU clock, on another thread's and on a child process's (each waits until that clock has
   advanced, relative or TIMER_ABSTIME), on the caller's own thread clock (EINVAL), and
   interrupted by a signal (EINTR, the time left); a SIGEV_NONE timer on CPU clocks; times();
   getrusage(RUSAGE_THREAD). Only relations and error codes are printed, never a time. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000LL
#define THREAD_CLOCK(tid, kind) ((~(clockid_t)(tid) << 3) | 4 | (kind))
#define PROCESS_CLOCK(pid, kind) ((~(clockid_t)(pid) << 3) | (kind))
enum { PROF, VIRT, SCHED };

static volatile int stop, worker_tid;
static volatile long long worker_start;

static long long ns_of(clockid_t c) {
    struct timespec ts;
    if (syscall(SYS_clock_gettime, c, &ts)) return -errno;
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long res_of(clockid_t c) {
    struct timespec ts;
    if (syscall(SYS_clock_getres, c, &ts)) return -errno;
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* "ok" for a result >= 0; -1: errno's message; else -errno's */
static const char *err(long long r) { return r >= 0 ? "ok" : strerror(r == -1 ? errno : (int)-r); }

/* the system call itself: (glibc's and musl's wrappers turn some ids around first) */
static long nsleep(clockid_t c, int flags, const struct timespec *req, struct timespec *rem) {
    long r = syscall(SYS_clock_nanosleep, c, flags, req, rem);
    return r ? -errno : 0;
}

/* spins in user code until clock c has advanced by ns (a clock read every 20000 steps: the
   reads are system time) */
static void spin(clockid_t c, long long ns) {
    long long end = ns_of(c) + ns;
    static volatile unsigned sink;
    while (ns_of(c) < end) {
        for (int i = 0; i < 20000; i++)
            sink = sink * 31 + i;
    }
}

static void *worker(void *arg) {
    (void)arg;
    worker_tid = syscall(SYS_gettid);
    worker_start = ns_of(CLOCK_THREAD_CPUTIME_ID);
    while (!stop) {
    }
    return 0;
}

static void on_alarm(int sig) { (void)sig; }

static long long usage_ns(int who) {
    struct rusage ru;
    if (getrusage(who, &ru)) return -errno;
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL
         + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static volatile long long new_thread_usage;
static void *usage_thread(void *arg) {
    (void)arg;
    new_thread_usage = usage_ns(RUSAGE_THREAD);
    return 0;
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    int tid = syscall(SYS_gettid);

    /* --- the user-time clocks (kind 1) --- */
    long long virt0 = ns_of(THREAD_CLOCK(0, VIRT));
    spin(CLOCK_THREAD_CPUTIME_ID, 60 * MS);
    long long tick = res_of(THREAD_CLOCK(0, VIRT));
    long long virt = ns_of(THREAD_CLOCK(0, VIRT));
    long long virt_mine = ns_of(THREAD_CLOCK(tid, VIRT));
    long long prof = ns_of(THREAD_CLOCK(0, PROF));
    /* (the user and system times are counted at the kernel's ticks: on a loaded machine a
       60 ms spin may count much less, or more; only their order is sure) */
    printf("thread user time after a spin: not below its earlier reading %d\n", virt0 >= 0 && virt >= virt0);
    printf("by its tid too: %d; user + system not below it %d\n", virt_mine >= virt, prof >= virt);
    long long pvirt = ns_of(PROCESS_CLOCK(0, VIRT)), pprof = ns_of(PROCESS_CLOCK(0, PROF));
    printf("process user time not below the thread's %d, user + system not below it %d\n", pvirt >= virt, pprof >= pvirt);
    printf("resolutions: thread sched %lld, process sched %lld, CLOCK_PROCESS_CPUTIME_ID %lld; "
           "user and user + system one tick (1 to 10 ms): %d %d %d %d\n",
           res_of(THREAD_CLOCK(0, SCHED)), res_of(PROCESS_CLOCK(0, SCHED)), res_of(CLOCK_PROCESS_CPUTIME_ID),
           tick >= MS && tick <= 10 * MS, res_of(THREAD_CLOCK(0, PROF)) == tick,
           res_of(PROCESS_CLOCK(0, VIRT)) == tick, res_of(PROCESS_CLOCK(0, PROF)) == tick);
    printf("getres without a buffer: %ld; of kind 3: %s; of no thread: %s\n",
           syscall(SYS_clock_getres, THREAD_CLOCK(0, VIRT), 0), err(res_of(THREAD_CLOCK(0, 3))),
           err(res_of(THREAD_CLOCK(999999, SCHED))));

    pthread_t th;
    pthread_create(&th, 0, worker, 0);
    while (!worker_tid)
        sched_yield();
    long long wvirt = ns_of(THREAD_CLOCK(worker_tid, VIRT)), wprof = ns_of(THREAD_CLOCK(worker_tid, PROF));
    printf("a new thread's user time: read %d, user + system not below it %d\n", wvirt >= 0, wprof >= wvirt);
    printf("process clock by a thread's tid: %s\n", err(ns_of(PROCESS_CLOCK(worker_tid, SCHED))));

    /* --- clock_settime --- */
    struct timespec zero = {0, 0}, bad = {0, 2000000000};
    printf("settime: CLOCK_PROCESS_CPUTIME_ID %s, CLOCK_THREAD_CPUTIME_ID %s, CLOCK_MONOTONIC %s\n",
           err(clock_settime(CLOCK_PROCESS_CPUTIME_ID, &zero)), err(clock_settime(CLOCK_THREAD_CPUTIME_ID, &zero)),
           err(clock_settime(CLOCK_MONOTONIC, &zero)));
    printf("settime: process clock %s, thread clock %s, a worker's %s, no thread's %s, no buffer %s\n",
           err(clock_settime(PROCESS_CLOCK(0, SCHED), &zero)), err(clock_settime(THREAD_CLOCK(0, VIRT), &zero)),
           err(clock_settime(THREAD_CLOCK(worker_tid, SCHED), &zero)),
           err(clock_settime(THREAD_CLOCK(999999, SCHED), &zero)),
           err(syscall(SYS_clock_settime, PROCESS_CLOCK(0, SCHED), 0)));
    printf("settime: CLOCK_REALTIME to a bad time %s, clock 12 %s\n", err(clock_settime(CLOCK_REALTIME, &bad)),
           err(clock_settime(12, &zero)));

    /* --- clock_nanosleep on CPU clocks --- */
    struct timespec ms30 = {0, 30 * MS}, rem;
    long long before = ns_of(CLOCK_PROCESS_CPUTIME_ID);
    long r = nsleep(CLOCK_PROCESS_CPUTIME_ID, 0, &ms30, 0);
    printf("sleep 30 ms on the process clock while a thread spins: %s, it advanced 30 ms %d\n", err(r),
           ns_of(CLOCK_PROCESS_CPUTIME_ID) - before >= 30 * MS);
    before = ns_of(PROCESS_CLOCK(0, SCHED));
    r = clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &ms30, 0);
    printf("the same through the C library: %s, it advanced 30 ms %d\n", err(-r),
           ns_of(CLOCK_PROCESS_CPUTIME_ID) - before >= 30 * MS);
    long long at = ns_of(CLOCK_PROCESS_CPUTIME_ID) + 30 * MS;
    struct timespec abs = {at / 1000000000LL, at % 1000000000LL};
    r = nsleep(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, &abs, 0);
    printf("TIMER_ABSTIME on it: %s, reached %d\n", err(r), ns_of(CLOCK_PROCESS_CPUTIME_ID) >= at);
    printf("TIMER_ABSTIME in the past: %s\n", err(nsleep(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, &zero, 0)));
    clockid_t wclock;
    pthread_getcpuclockid(th, &wclock);
    before = ns_of(wclock);
    r = nsleep(wclock, 0, &ms30, 0);
    printf("sleep 30 ms on the worker's clock: %s, it advanced 30 ms %d\n", err(r), ns_of(wclock) - before >= 30 * MS);
    before = ns_of(THREAD_CLOCK(worker_tid, VIRT));
    r = nsleep(THREAD_CLOCK(worker_tid, VIRT), 0, &ms30, 0);
    printf("on its user time: %s, it advanced 30 ms %d\n", err(r), ns_of(THREAD_CLOCK(worker_tid, VIRT)) - before >= 30 * MS);
    at = ns_of(wclock) + 30 * MS;
    abs.tv_sec = at / 1000000000LL;
    abs.tv_nsec = at % 1000000000LL;
    r = nsleep(wclock, TIMER_ABSTIME, &abs, 0);
    printf("TIMER_ABSTIME on it: %s, reached %d\n", err(r), ns_of(wclock) >= at);
    printf("on its own thread's clock: by tid 0 %s, by its tid %s, user time %s\n",
           err(nsleep(THREAD_CLOCK(0, SCHED), 0, &ms30, 0)), err(nsleep(THREAD_CLOCK(tid, SCHED), 0, &ms30, 0)),
           err(nsleep(THREAD_CLOCK(0, VIRT), 0, &ms30, 0)));
    printf("on no thread's clock: %s; bad times: %s %s; no buffer: %s\n", err(nsleep(THREAD_CLOCK(999999, SCHED), 0, &ms30, 0)),
           err(nsleep(CLOCK_PROCESS_CPUTIME_ID, 0, &bad, 0)), err(nsleep(wclock, TIMER_ABSTIME, &bad, 0)),
           err(nsleep(CLOCK_PROCESS_CPUTIME_ID, 0, 0, 0)));
    stop = 1;
    pthread_join(th, 0);

    /* a signal ends it: EINTR and the time left (the process clock hardly moves: it waits) */
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, 0);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, 0);
    struct timespec ten = {10, 0};
    rem.tv_sec = -1;
    r = nsleep(CLOCK_PROCESS_CPUTIME_ID, 0, &ten, &rem);
    printf("a signal ends it: %s, time left in (0, 10 s] %d\n", err(r),
           (rem.tv_sec > 0 || rem.tv_nsec > 0) && (rem.tv_sec < 10 || (rem.tv_sec == 10 && rem.tv_nsec == 0)));

    /* a child's clock */
    pid_t child = fork();
    if (child == 0) {
        for (;;) {
        }
    }
    clockid_t cc;
    clock_getcpuclockid(child, &cc);
    before = ns_of(cc);
    r = nsleep(cc, 0, &ms30, 0);
    printf("sleep 30 ms on a child's clock: %s, it advanced 30 ms %d\n", err(r), ns_of(cc) - before >= 30 * MS);
    printf("a child's user time readable %d; its pid as a thread clock: %s, sleep %s, settime %s\n",
           ns_of(PROCESS_CLOCK(child, VIRT)) >= 0, err(ns_of(THREAD_CLOCK(child, SCHED))),
           err(nsleep(THREAD_CLOCK(child, SCHED), 0, &ms30, 0)), err(clock_settime(cc, &zero)));
    kill(child, SIGKILL);
    waitpid(child, 0, 0);

    /* --- a SIGEV_NONE timer on CPU clocks --- */
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_NONE;
    timer_t t;
    r = timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &t);
    struct itimerspec its = {{0, 0}, {0, 20 * MS}}, cur;
    timer_settime(t, 0, &its, 0);
    timer_gettime(t, &cur);
    printf("SIGEV_NONE timer on the process clock: %s, armed in (0, 20 ms] %d\n", err(r),
           cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 20 * MS);
    spin(CLOCK_PROCESS_CPUTIME_ID, 40 * MS);
    timer_gettime(t, &cur);
    printf("past its time: %lld.%09ld\n", (long long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
    its.it_interval.tv_nsec = 10 * MS;
    timer_settime(t, 0, &its, 0);
    spin(CLOCK_PROCESS_CPUTIME_ID, 40 * MS);
    timer_gettime(t, &cur);
    printf("periodic, past its first time: armed in (0, 10 ms] %d, overruns counted %d\n",
           cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10 * MS,
           timer_getoverrun(t) >= 0);
    struct itimerspec past = {{0, 0}, {0, 1}};
    timer_settime(t, TIMER_ABSTIME, &past, 0);
    timer_gettime(t, &cur);
    printf("TIMER_ABSTIME in the past: %lld.%09ld\n", (long long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
    timer_delete(t);
    r = timer_create(THREAD_CLOCK(0, SCHED), &ev, &t);
    its.it_interval.tv_nsec = 0;
    timer_settime(t, 0, &its, 0);
    spin(CLOCK_THREAD_CPUTIME_ID, 40 * MS);
    timer_gettime(t, &cur);
    printf("SIGEV_NONE on the thread clock: %s, past its time: %lld.%09ld\n", err(r),
           (long long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
    timer_delete(t);
    printf("timer_create on a user-time thread clock: %s\n", err(timer_create(THREAD_CLOCK(0, VIRT), &ev, &t)));
    timer_delete(t);

    /* --- times() --- */
    struct tms t1, t2;
    clock_t c1 = times(&t1);
    spin(CLOCK_PROCESS_CPUTIME_ID, 60 * MS);
    clock_t c2 = times(&t2);
    printf("times: its value advanced 3 ticks or more %d, user + system by 3 or more %d, "
           "no buffer %d, bad buffer %s\n", c2 - c1 >= 3,
           (t2.tms_utime + t2.tms_stime) - (t1.tms_utime + t1.tms_stime) >= 3,
           times(0) >= c2, err(syscall(SYS_times, (void *)8) == -1 ? -errno : 0));
    child = fork();
    if (child == 0) {
        spin(CLOCK_PROCESS_CPUTIME_ID, 60 * MS);
        _exit(0);
    }
    waitpid(child, 0, 0);
    times(&t2);
    printf("times: a waited child's 60 ms: 3 ticks or more %d\n", t2.tms_cutime + t2.tms_cstime >= 3);

    /* --- getrusage(RUSAGE_THREAD) --- */
    long long mine = usage_ns(RUSAGE_THREAD), self = usage_ns(RUSAGE_SELF);
    pthread_create(&th, 0, usage_thread, 0);
    pthread_join(th, 0);
    printf("RUSAGE_THREAD: the main thread's >= 150 ms %d, <= the process's %d; a new thread's below "
           "a tenth of it %d\n", mine >= 150 * MS, mine <= self + 20 * MS, new_thread_usage >= 0 && new_thread_usage < mine / 10);
    printf("getrusage(2): %s, bad buffer: %s\n", err(usage_ns(2)), err(syscall(SYS_getrusage, RUSAGE_THREAD, (void *)8)));
    return 0;
}
