/* Each thread's own CPU-time clock: CLOCK_THREAD_CPUTIME_ID and pthread_getcpuclockid's
   clock count the time of that thread alone (a new thread's starts near 0 while the main
   thread has spun; the main thread's stands still while it waits for another that spins);
   their resolution; clock_nanosleep on them (EINVAL from glibc, EOPNOTSUPP from the kernel
   for CLOCK_THREAD_CPUTIME_ID, EINVAL for the caller's own); POSIX timers on them, and on
   another process's CPU clock; the errors for a thread or process that does not exist. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got, got_value, got_code;
static sem_t go;
static volatile long long started_at, spun_to;

static void on_timer(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)uc;
    got_code = si->si_code;
    got_value = si->si_value.sival_int;
    got = 1;
}

static long long ns_of(clockid_t c) {
    struct timespec ts;
    if (clock_gettime(c, &ts)) return -errno;
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void spin_until_timer(void) {
    while (!got) {
    }
}

static void *worker(void *arg) {
    (void)arg;
    started_at = ns_of(CLOCK_THREAD_CPUTIME_ID);
    sem_wait(&go);
    spin_until_timer();
    spun_to = ns_of(CLOCK_THREAD_CPUTIME_ID);
    return 0;
}

static timer_t arm(clockid_t c, int value, long ns) {
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR2;
    ev.sigev_value.sival_int = value;
    timer_t t;
    int r = timer_create(c, &ev, &t);
    if (r) {
        printf("timer_create: %s\n", strerror(errno));
        return 0;
    }
    struct itimerspec its = {{0, 0}, {0, ns}};
    got = 0;
    timer_settime(t, 0, &its, 0);
    return t;
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_timer;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR2, &sa, 0);

    /* the main thread's own timer: 20 ms of its CPU time */
    timer_t t = arm(CLOCK_THREAD_CPUTIME_ID, 5, 20000000);
    spin_until_timer();
    printf("own thread timer: SI_TIMER %d, value %d\n", got_code == SI_TIMER, (int)got_value);
    timer_delete(t);
    long long main_spun = ns_of(CLOCK_THREAD_CPUTIME_ID);
    printf("main thread spun 20 ms or more: %d\n", main_spun >= 20000000);

    struct timespec res;
    clock_getres(CLOCK_THREAD_CPUTIME_ID, &res);
    printf("CLOCK_THREAD_CPUTIME_ID resolution %ld ns\n", res.tv_nsec);
    struct timespec ts = {0, 1000};
    printf("clock_nanosleep(CLOCK_THREAD_CPUTIME_ID): %s\n", strerror(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ts, 0)));
    long r = syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &ts, 0);
    printf("its system call: %ld %s\n", r, strerror(errno));
    clockid_t mine;
    pthread_getcpuclockid(pthread_self(), &mine);
    printf("clock_nanosleep(own thread's clock): %s\n", strerror(clock_nanosleep(mine, 0, &ts, 0)));

    sem_init(&go, 0, 0);
    pthread_t th;
    pthread_create(&th, 0, worker, 0);
    clockid_t theirs;
    pthread_getcpuclockid(th, &theirs);
    while (!started_at)
        sched_yield();
    long long seen = ns_of(theirs);
    printf("new thread's clock below the main thread's spin: %d\n", started_at < main_spun / 2);
    printf("its clock read from the main thread: %d\n", seen >= started_at && seen < main_spun / 2);
    clock_getres(theirs, &res);
    printf("its resolution %ld ns\n", res.tv_nsec);

    /* a timer on the worker's clock, while the main thread waits in pthread_join: it
       expires once that clock has advanced 20 ms from the time read just before */
    long long before_arm = ns_of(theirs);
    t = arm(theirs, 6, 20000000);
    long long main_before = ns_of(CLOCK_THREAD_CPUTIME_ID);
    sem_post(&go);
    pthread_join(th, 0);
    long long main_after = ns_of(CLOCK_THREAD_CPUTIME_ID);
    printf("worker's timer: SI_TIMER %d, value %d\n", got_code == SI_TIMER, (int)got_value);
    printf("worker's clock advanced 20 ms or more: %d\n", spun_to - before_arm >= 20000000);
    printf("main thread's clock stood still meanwhile: %d\n", main_after - main_before < (spun_to - before_arm) / 2);
    timer_delete(t);
    printf("ended thread's clock: %s\n", strerror(-ns_of(theirs)));

    clockid_t nobody = ((~(clockid_t)999999) << 3) | 6;     /* MAKE_THREAD_CPUCLOCK(999999, SCHED) */
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_NONE;
    printf("timer_create on no thread's clock: %s\n", timer_create(nobody, &ev, &t) ? strerror(errno) : "ok");

    /* another process's clock */
    int p[2];
    pipe(p);
    pid_t child = fork();
    if (child == 0) {
        char c;
        read(p[0], &c, 1);
        _exit(0);
    }
    clockid_t cc;
    printf("clock_getcpuclockid(child): %d\n", clock_getcpuclockid(child, &cc));
    printf("child's clock readable: %d\n", ns_of(cc) >= 0);
    r = timer_create(cc, &ev, &t);
    printf("timer_create on child's clock: %s\n", r ? strerror(errno) : "ok");
    if (!r) timer_delete(t);
    write(p[1], "x", 1);
    waitpid(child, 0, 0);
    printf("clock_getcpuclockid(no process): %d\n", clock_getcpuclockid(999999, &cc));
    return 0;
}
