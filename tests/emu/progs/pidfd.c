/* pidfds: pidfd_open of a child, which poll and epoll see readable once it ends,
   pidfd_send_signal, waitid(P_PIDFD); the kernel's EINVAL/EBADF. They stopped the program as
   unknown calls. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int pidfd_open(pid_t pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static int send(int fd, int sig, unsigned flags) { return syscall(SYS_pidfd_send_signal, fd, sig, NULL, flags); }

int main(void) {
    pid_t k = fork();
    if (k == 0) { pause(); _exit(0); }
    int fd = pidfd_open(k, 0);
    printf("pidfd_open: %d, close-on-exec %d\n", fd >= 0, fcntl(fd, F_GETFD));
    struct pollfd pf = {fd, POLLIN, 0};
    printf("poll while it runs: %d\n", poll(&pf, 1, 0));
    errno = 0;
    printf("send with flags: %d errno %d\n", send(fd, SIGTERM, 8), errno);
    errno = 0;
    printf("send to stdin: %d errno %d\n", send(0, SIGTERM, 0), errno);
    printf("send SIGTERM: %d\n", send(fd, SIGTERM, 0));
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    printf("epoll: %d data %u\n", epoll_wait(ep, &out, 1, 10000), out.data.u32);
    printf("poll after its end: %d revents %d\n", poll(&pf, 1, 10000), pf.revents & POLLIN);
    siginfo_t si = {0};
    printf("waitid: %d pid ok %d code %d status %d\n", waitid(P_PIDFD, fd, &si, WEXITED),
           si.si_pid == k, si.si_code, si.si_status);
    errno = 0;
    printf("waitid again: %d errno %d\n", waitid(P_PIDFD, fd, &si, WEXITED), errno);
    errno = 0;
    printf("waitid not a pidfd: %d errno %d\n", waitid(P_PIDFD, 0, &si, WEXITED), errno);
    errno = 0;
    printf("bad flags: %d errno %d\n", pidfd_open(getpid(), 1), errno);
    errno = 0;
    printf("pid 0: %d errno %d\n", pidfd_open(0, 0), errno);
    int me = pidfd_open(getpid(), 0);
    printf("own pidfd: %d, signal 0 to it: %d\n", me >= 0, send(me, 0, 0));
    return 0;
}
