/* The temporary signal masks of sigsuspend, pselect and ppoll: a pending signal they unblock
   interrupts the wait (EINTR) and its handler runs before the call returns; the old mask is
   back afterwards; a signal the temporary mask still blocks stays pending.
   (Not here: pselect with a zero timeout and a mask that unblocks a pending signal returns 0
   on Linux, leaving the signal pending, while qemu-user delivers it and returns EINTR.) */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <sys/select.h>

static volatile int got;
static void on_usr(int sig) { got = sig; }

static void state(const char *what, int r, int err)
{
    sigset_t cur, pend;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    sigpending(&pend);
    printf("%s: %d %s handler %d blocked %d pending %d\n", what, r, r < 0 ? strerror(err) : "",
           got, sigismember(&cur, SIGUSR1), sigismember(&pend, SIGUSR1));
    got = 0;
}

int main(void)
{
    sigset_t block, empty;
    struct timespec ts = {0, 20000000};
    int p[2], r;
    signal(SIGUSR1, on_usr);
    signal(SIGUSR2, on_usr);
    sigemptyset(&empty);
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    pipe(p);

    raise(SIGUSR1);
    state("raised while blocked", 0, 0);
    r = sigsuspend(&empty);
    state("sigsuspend", r, errno);

    raise(SIGUSR1);
    r = pselect(0, NULL, NULL, NULL, &ts, &empty);
    state("pselect unblocking", r, errno);

    raise(SIGUSR1);
    struct pollfd pf = {p[0], POLLIN, 0};
    r = ppoll(&pf, 1, &ts, &empty);
    state("ppoll unblocking", r, errno);

    raise(SIGUSR1);
    r = ppoll(&pf, 1, &ts, &block);
    state("ppoll still blocked", r, errno);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    state("unblocked", 0, 0);
    return 0;
}
