#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <time.h>
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <sys/select.h>

static volatile int got;
static void on_usr1(int s) { (void)s; got = (int)syscall(SYS_gettid); }
static int fx;

static void *sleeper(void *a) {
    (void)a;
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    return (void *)syscall(SYS_gettid);
}
static void *waiter(void *a) {
    (void)a;
    while (!got) { struct timespec ts = {0, 1000000}; nanosleep(&ts, NULL); }
    return NULL;
}
static int pfd[2];
static void *writer(void *a) {
    (void)a;
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
    write(pfd[1], "through the pipe", 16);
    close(pfd[1]);
    return NULL;
}
static void *crasher(void *a) { (void)a; if (getenv("CRASH")) *(volatile int *)16 = 1; return NULL; }
static void *exiter(void *a) { (void)a; if (getenv("EXIT_GROUP")) exit(42); return NULL; }

int main(void) {
    pthread_t t;
    void *r;
    pthread_create(&t, NULL, sleeper, NULL);
    pthread_join(t, &r);
    printf("sleeper tid differs from main: %d\n", (long)r != getpid());
    /* futex timeout: nobody wakes */
    struct timespec ts = {0, 10 * 1000 * 1000};
    long rc = syscall(SYS_futex, &fx, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
    printf("futex wait timeout: %ld %s\n", rc, rc ? strerror(errno) : "");
    rc = syscall(SYS_futex, &fx, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0);
    printf("futex wait wrong value: %ld %s\n", rc, rc ? strerror(errno) : "");
    /* tgkill to another thread */
    signal(SIGUSR1, on_usr1);
    pthread_create(&t, NULL, waiter, NULL);
    pthread_kill(t, SIGUSR1);
    pthread_join(t, NULL);
    printf("handler ran in the other thread: %d\n", got != getpid() && got > 0);
    /* a blocking read on a pipe another thread writes */
    pipe(pfd);
    pthread_create(&t, NULL, writer, NULL);
    char buf[64] = {0};
    ssize_t n = read(pfd[0], buf, sizeof buf - 1);
    printf("read %zd: %s\n", n, buf);
    n = read(pfd[0], buf, sizeof buf - 1);
    printf("then %zd\n", n);
    pthread_join(t, NULL);
    /* poll (no timeout) and select on a pipe that another thread writes later */
    pipe(pfd);
    pthread_create(&t, NULL, writer, NULL);
    struct pollfd pf = {pfd[0], POLLIN, 0};
    int pr = poll(&pf, 1, -1);
    printf("poll %d POLLIN %d\n", pr, !!(pf.revents & POLLIN));
    n = read(pfd[0], buf, sizeof buf - 1);
    printf("read %zd\n", n);
    pthread_join(t, NULL);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(pfd[0], &rs);
    struct timeval tv = {0, 20000};
    printf("select at end of file: %d\n", select(pfd[0] + 1, &rs, NULL, NULL, &tv));
    int p2[2];
    pipe(p2);
    FD_ZERO(&rs);
    FD_SET(p2[0], &rs);
    tv.tv_usec = 20000;
    pthread_create(&t, NULL, sleeper, NULL);
    printf("select timeout: %d\n", select(p2[0] + 1, &rs, NULL, NULL, &tv));
    pthread_join(t, NULL);
    pthread_create(&t, NULL, crasher, NULL);
    pthread_join(t, NULL);
    pthread_create(&t, NULL, exiter, NULL);
    pthread_join(t, NULL);
    fflush(stdout);
    pthread_exit(NULL);   /* the last thread's exit ends the process with status 0 */
}
