/* select/pselect/poll/ppoll: fd sets, readiness of pipes and files, timeouts, bad fds. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <sys/select.h>
#include <sys/time.h>

static void sel(const char *what, int n, fd_set *r, fd_set *w, struct timeval *tv, int fd1, int fd2)
{
    errno = 0;
    int k = select(n, r, w, NULL, tv);
    printf("%s: %d %s", what, k, k < 0 ? strerror(errno) : "");
    if (k >= 0) {
        printf(" r%d%d w%d%d", r && FD_ISSET(fd1, r), r && FD_ISSET(fd2, r),
               w && FD_ISSET(fd1, w), w && FD_ISSET(fd2, w));
        if (tv)
            printf(" left %ld.%06ld", (long)tv->tv_sec, (long)tv->tv_usec);
    }
    printf("\n");
}

int main(void)
{
    int p[2];
    fd_set r, w;
    struct timeval tv;
    if (pipe(p)) { perror("pipe"); return 1; }

    FD_ZERO(&r); FD_SET(p[0], &r);
    tv.tv_sec = 0; tv.tv_usec = 20000;
    sel("empty pipe, 20ms", p[0] + 1, &r, NULL, &tv, p[0], p[1]);

    FD_ZERO(&r); FD_SET(p[0], &r);
    FD_ZERO(&w); FD_SET(p[1], &w);
    tv.tv_sec = 0; tv.tv_usec = 0;
    sel("empty pipe, poll, write end", p[1] + 1, &r, &w, &tv, p[0], p[1]);

    write(p[1], "x", 1);
    FD_ZERO(&r); FD_SET(p[0], &r); FD_SET(p[1], &r);
    FD_ZERO(&w); FD_SET(p[0], &w); FD_SET(p[1], &w);
    tv.tv_sec = 5; tv.tv_usec = 0;
    sel("data in pipe", p[1] + 1, &r, &w, NULL, p[0], p[1]);

    int fd = open("/dev/null", O_RDONLY);
    FD_ZERO(&r); FD_SET(fd, &r);
    FD_ZERO(&w); FD_SET(fd, &w);
    sel("/dev/null", fd + 1, &r, &w, NULL, fd, fd);
    close(fd);
    FD_ZERO(&r); FD_SET(fd, &r);
    sel("closed fd", fd + 1, &r, NULL, NULL, fd, fd);

    tv.tv_sec = 0; tv.tv_usec = 10000;
    sel("no fds, 10ms", 0, NULL, NULL, &tv, 0, 0);

    struct timespec ts = {0, 5000000};
    sigset_t mask;
    sigemptyset(&mask);
    FD_ZERO(&r); FD_SET(p[0], &r);
    char c;
    read(p[0], &c, 1);
    printf("pselect empty pipe: %d\n", pselect(p[0] + 1, &r, NULL, NULL, &ts, &mask));
    printf("pselect timeout untouched: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);

    struct pollfd pf[3] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {99, POLLIN, 0}};
    int k = poll(pf, 3, 10);
    printf("poll: %d %#x %#x %#x\n", k, pf[0].revents, pf[1].revents, pf[2].revents);
    write(p[1], "yz", 2);
    k = poll(pf, 2, 10);
    printf("poll data: %d %#x %#x\n", k, pf[0].revents, pf[1].revents);
    close(p[1]);
    read(p[0], &c, 1);
    ts.tv_sec = 0; ts.tv_nsec = 1000000;
    k = ppoll(pf, 1, &ts, NULL);
    printf("ppoll writer closed, data left: %d %#x\n", k, pf[0].revents);
    read(p[0], &c, 1);
    k = ppoll(pf, 1, &ts, NULL);
    printf("ppoll writer closed, drained: %d %#x\n", k, pf[0].revents);
    int q[2];
    pipe(q);
    close(q[0]);
    struct pollfd pw = {q[1], POLLOUT, 0};
    k = poll(&pw, 1, 0);
    printf("poll reader closed: %d %#x\n", k, pw.revents);
    pf[0].fd = -1;
    k = poll(pf, 1, 0);
    printf("poll negative fd: %d %#x\n", k, pf[0].revents);
    return 0;
}
