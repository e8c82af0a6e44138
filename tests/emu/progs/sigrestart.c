/* Blocking calls in one thread interrupted by a signal sent from another thread (or by an
   itimer), with and without SA_RESTART: signal(7) says which ones the kernel restarts
   (read of a pipe, open of a FIFO, wait4, futex without a timeout) and which always fail
   with EINTR (nanosleep, poll, futex with a timeout). The order is fixed by handshakes; the
   short sleeps only give the blocked thread time to reach its call. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile int handled;
static volatile int ready;
static int pfd[2];
static char fifo[256];
static unsigned fword;

static void on_sig(int sig) { (void)sig; handled++; }

static void set_handler(int sig, int restart) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(sig, &sa, 0);
}

static const char *res(long r, int err) {
    static char buf[64];
    if (r < 0) snprintf(buf, sizeof buf, "-1 %s", err == EINTR ? "EINTR" : strerror(err));
    else snprintf(buf, sizeof buf, "%ld", r);
    return buf;
}

static void take_alrm(void) {   /* the main thread blocks SIGALRM in the last cases */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    pthread_sigmask(SIG_UNBLOCK, &s, 0);
}

static void nap(void) { struct timespec ts = {0, 100000000}; nanosleep(&ts, 0); }

static void *reader(void *arg) {
    char buf[32] = {0};
    take_alrm();
    ready = 1;
    long r = read(pfd[0], buf, sizeof buf - 1);
    int e = errno;
    printf("%s read: %s%s%s\n", (char *)arg, res(r, e), r > 0 ? " " : "", r > 0 ? buf : "");
    if (r < 0) {
        r = read(pfd[0], buf, sizeof buf - 1);
        printf("  read again: %ld %s\n", r, buf);
    }
    return 0;
}

static void *opener(void *arg) {
    ready = 1;
    int fd = open(fifo, O_RDONLY);
    int e = errno;
    printf("%s open fifo: %s\n", (char *)arg, fd < 0 ? res(-1, e) : "ok");
    if (fd >= 0) close(fd);
    return 0;
}

static void *sleeper(void *arg) {
    struct timespec ts = {30, 0}, left = {0, 0};
    ready = 1;
    int r = nanosleep(&ts, &left);
    int e = errno;
    printf("%s nanosleep: %s, time left: %d\n", (char *)arg, res(r, e), left.tv_sec > 0);
    return 0;
}

static void *poller(void *arg) {
    struct pollfd p = {pfd[0], POLLIN, 0};
    ready = 1;
    int r = poll(&p, 1, -1);
    int e = errno;
    printf("%s poll: %s\n", (char *)arg, res(r, e));
    return 0;
}

static void *futexer(void *arg) {
    struct timespec ts = {30, 0};
    int timed = strstr((char *)arg, "timeout") != 0;
    ready = 1;
    long r = syscall(SYS_futex, &fword, FUTEX_WAIT_PRIVATE, 0, timed ? &ts : 0, 0, 0);
    int e = errno;
    printf("%s futex wait: %s, word %u\n", (char *)arg, res(r, e), fword);
    return 0;
}

/* One case: start fn in a thread, wait until it is blocked, signal it, then let the call
   finish (data, a writer, a futex wake). */
static void one(void *(*fn)(void *), char *name, int sig, int restart, int by_timer) {
    pthread_t t;
    set_handler(sig, restart);
    handled = 0;
    ready = 0;
    fword = 0;
    pthread_create(&t, 0, fn, name);
    while (!ready) sched_yield();
    nap();
    if (by_timer) {
        struct itimerval it = {{0, 0}, {0, 30000}};   /* while main naps */
        setitimer(ITIMER_REAL, &it, 0);
        /* the main thread blocks SIGALRM, so the blocked thread takes it */
    } else {
        pthread_kill(t, sig);
    }
    nap();
    if (fn == reader || fn == poller) {
        write(pfd[1], "data", 5);
    } else if (fn == opener) {
        int fd = open(fifo, O_WRONLY | O_NONBLOCK);   /* ENXIO if nobody reads */
        if (fd >= 0) close(fd);
    } else if (fn == futexer) {
        fword = 1;
        syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
    } else {
        pthread_kill(t, sig);      /* nanosleep was not restarted: nothing to end */
    }
    pthread_join(t, 0);
    if (fn == poller) {
        char buf[8];
        read(pfd[0], buf, sizeof buf);
    }
    printf("  handler ran: %d\n", handled);
    fflush(stdout);
}

int main(void) {
    setvbuf(stdout, 0, _IOLBF, 0);
    snprintf(fifo, sizeof fifo, "/tmp/sigrestart-%d.fifo", (int)getpid());
    unlink(fifo);
    if (mkfifo(fifo, 0600) || pipe(pfd)) { perror("setup"); return 1; }
    one(reader, "SA_RESTART", SIGUSR1, 1, 0);
    one(reader, "no SA_RESTART", SIGUSR2, 0, 0);
    one(opener, "SA_RESTART", SIGUSR1, 1, 0);
    one(opener, "no SA_RESTART", SIGUSR2, 0, 0);
    one(sleeper, "SA_RESTART", SIGUSR1, 1, 0);
    one(poller, "SA_RESTART", SIGUSR1, 1, 0);
    one(futexer, "SA_RESTART", SIGUSR1, 1, 0);
    one(futexer, "SA_RESTART, timeout", SIGUSR1, 1, 0);
    one(futexer, "no SA_RESTART", SIGUSR2, 0, 0);
    /* a process-wide signal (an itimer's SIGALRM) that only the blocked thread can take */
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &alrm, 0);
    one(reader, "itimer, SA_RESTART", SIGALRM, 1, 1);
    one(reader, "itimer, no SA_RESTART", SIGALRM, 0, 1);
    unlink(fifo);
    return 0;
}
