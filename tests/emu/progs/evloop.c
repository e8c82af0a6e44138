/* An event loop on epoll, select and poll over a timerfd, an eventfd, a signalfd and a pipe,
   fed in turn by a second thread: each source wakes the loop in the order the thread feeds
   them. A signalfd in an epoll set was refused (EPERM: no host descriptor). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <poll.h>
#include <unistd.h>

static int efd, pfd[2], go[2];

static void *feeder(void *arg) {
    (void)arg;
    char step;
    while (read(go[0], &step, 1) == 1) {
        uint64_t one = 1;
        union sigval v = {.sival_int = 77};
        switch (step) {
        case 1: write(efd, &one, 8); break;
        case 2: kill(getpid(), SIGUSR1); break;
        case 3: write(pfd[1], "P", 1); break;
        case 4: sigqueue(getpid(), SIGUSR2, v); break;
        default: return NULL;
        }
    }
    return NULL;
}

static const char *name(int fd, int tfd, int sfd) {
    return fd == tfd ? "timerfd" : fd == efd ? "eventfd" : fd == sfd ? "signalfd" : "pipe";
}

int main(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_NONBLOCK);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    efd = eventfd(0, EFD_NONBLOCK);
    if (pipe(pfd) || pipe(go)) return 1;
    int ep = epoll_create1(0);
    int fds[4] = {tfd, efd, sfd, pfd[0]};
    for (int i = 0; i < 4; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev)) printf("epoll_ctl %s: %s\n",
                                                             name(fds[i], tfd, sfd), strerror(errno));
    }
    pthread_t t;
    pthread_create(&t, NULL, feeder, NULL);
    struct itimerspec its = {.it_value = {0, 20 * 1000 * 1000}};
    timerfd_settime(tfd, 0, &its, NULL);
    for (char step = 1; step <= 5; step++) {
        struct epoll_event evs[4];
        int n = epoll_wait(ep, evs, 4, 10000);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            printf("epoll: %s", name(fd, tfd, sfd));
            if (fd == sfd) {
                struct pollfd pf = {sfd, POLLIN, 0};
                int again = epoll_wait(ep, evs, 4, 0);
                printf(" (still ready: epoll %d poll %d)", again, poll(&pf, 1, 0));
                struct signalfd_siginfo si;
                read(sfd, &si, sizeof si);
                printf(" signo %s value %d", si.ssi_signo == SIGUSR1 ? "USR1" : "USR2", si.ssi_int);
                printf(", after the read: epoll %d", epoll_wait(ep, evs, 4, 0));
            } else {
                char buf[8];
                read(fd, buf, sizeof buf);
            }
            printf("\n");
        }
        if (n <= 0) printf("epoll_wait: %d\n", n);
        write(go[1], &step, 1);
    }
    /* select and poll over the same sources */
    uint64_t one = 1;
    write(efd, &one, 8);
    raise(SIGUSR1);
    fd_set rd;
    FD_ZERO(&rd);
    for (int i = 0; i < 4; i++) FD_SET(fds[i], &rd);
    struct timeval tv = {0, 0};
    printf("select: %d eventfd %d signalfd %d pipe %d\n", select(16, &rd, NULL, NULL, &tv),
           FD_ISSET(efd, &rd) != 0, FD_ISSET(sfd, &rd) != 0, FD_ISSET(pfd[0], &rd) != 0);
    struct pollfd pf[4];
    for (int i = 0; i < 4; i++) pf[i] = (struct pollfd){fds[i], POLLIN, 0};
    printf("poll: %d\n", poll(pf, 4, 0));
    close(sfd);
    printf("epoll after close: %d\n", epoll_wait(ep, (struct epoll_event[4]){0}, 4, 0));
    char end = 9;
    write(go[1], &end, 1);
    pthread_join(t, NULL);
    return 0;
}
