/* pselect and epoll_pwait with a temporary signal mask in a program with threads: the main
   thread waits (SIGUSR1 blocked, let through by the temporary mask) while a second thread,
   after a pause, first writes the pipe it waits for, then sends it SIGUSR1. The first wait
   ends ready, the second with EINTR after the handler; each time the mask is the old one
   again. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static pthread_t main_thread;
static int fds[2];

static void on_usr1(int sig) { (void)sig; got++; }

static void *sender(void *how) {
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, 0);                    /* the main thread is in pselect by now */
    if (how) pthread_kill(main_thread, SIGUSR1);
    else if (write(fds[1], "x", 1) != 1) perror("write");
    return 0;
}

int main(void) {
    signal(SIGUSR1, on_usr1);
    if (pipe(fds)) return 1;
    sigset_t block, old, now;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    main_thread = pthread_self();
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev);
    for (long round = 0; round < 4; round++) {
        long how = round & 1, epoll = round >> 1;
        got = 0;
        pthread_t t;
        pthread_create(&t, 0, sender, (void *)how);
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(fds[0], &rd);
        int n = epoll ? epoll_pwait(ep, &out, 1, -1, &old) : pselect(fds[0] + 1, &rd, 0, 0, 0, &old);
        int e = errno;
        char c;
        if (n == 1 && read(fds[0], &c, 1) != 1) perror("read");
        pthread_join(t, 0);
        pthread_sigmask(SIG_BLOCK, 0, &now);
        printf("%s, %s: %d%s, handled %d, blocked again %d\n", epoll ? "epoll_pwait" : "pselect",
               how ? "signal" : "pipe", n, n < 0 && e == EINTR ? " EINTR" : "", (int)got,
               sigismember(&now, SIGUSR1));
    }
    return 0;
}
