/* POSIX timers whose CPU-time clock goes away: a child process's once it is reaped, a
   thread's once it has ended. Linux disarms them: timer_gettime gives 0 and a zero value
   and interval, timer_settime ESRCH, timer_delete 0; a periodic timer just stops. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void spin(long ms) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do clock_gettime(CLOCK_MONOTONIC, &b);
    while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

static void *sleeper(void *a) { (void)a; usleep(50000); return 0; }

static void show(const char *what, timer_t t) {
    struct itimerspec cur;
    memset(&cur, 0x55, sizeof cur);
    int r = timer_gettime(t, &cur);
    printf("%s: gettime %d value %ld.%09ld interval %ld.%09ld\n", what, r,
           (long)cur.it_value.tv_sec, cur.it_value.tv_nsec,
           (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
    struct itimerspec its = {{0, 0}, {1, 0}}, old;
    r = timer_settime(t, 0, &its, &old);
    printf("%s: settime %d %s\n", what, r, r ? strerror(errno) : "");
    printf("%s: delete %d\n", what, timer_delete(t));
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    signal(SIGUSR1, SIG_IGN);
    struct sigevent ev = {0};
    timer_t t;
    clockid_t cc;

    /* a periodic timer on a child's clock that spins: it expires while the child runs */
    pid_t c = fork();
    if (c == 0) { spin(100); _exit(0); }
    clock_getcpuclockid(c, &cc);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    timer_create(cc, &ev, &t);
    struct itimerspec per = {{0, 1000000}, {0, 1000000}};
    printf("periodic on a child: settime %d\n", timer_settime(t, 0, &per, 0));
    int s;
    waitpid(c, &s, 0);
    spin(20);
    show("periodic on a reaped child", t);

    /* a one-shot timer far ahead on a child's clock */
    c = fork();
    if (c == 0) { usleep(50000); _exit(0); }
    clock_getcpuclockid(c, &cc);
    ev.sigev_notify = SIGEV_NONE;
    timer_create(cc, &ev, &t);
    struct itimerspec far = {{0, 0}, {10, 0}};
    printf("one-shot on a child: settime %d\n", timer_settime(t, 0, &far, 0));
    waitpid(c, &s, 0);
    show("one-shot on a reaped child", t);

    /* a one-shot timer far ahead on a thread's clock */
    pthread_t th;
    pthread_create(&th, 0, sleeper, 0);
    pthread_getcpuclockid(th, &cc);
    printf("on a thread: create %d\n", timer_create(cc, &ev, &t));
    timer_settime(t, 0, &far, 0);
    struct itimerspec cur;
    timer_gettime(t, &cur);
    printf("on a thread: armed %d\n", cur.it_value.tv_sec > 0 || cur.it_value.tv_nsec > 0);
    pthread_join(th, 0);
    usleep(20000);
    show("on an ended thread", t);
    return 0;
}
