/* splice, tee, vmsplice; signalfd (signals blocked and pending read from the descriptor, with
 * their siginfo); inotify (a directory's events).  What it prints is the same under qemu-user. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/fdeventsXXXXXX";

static void splices(void) {
    int p[2], q[2], r[2];
    char buf[64];
    pipe(p), pipe(q), pipe(r);
    struct iovec iov[2] = {{"hello ", 6}, {"vmsplice\n", 9}};
    printf("vmsplice=%zd\n", vmsplice(p[1], iov, 2, 0));
    printf("tee=%zd\n", tee(p[0], q[1], 100, 0));
    snprintf(buf, sizeof buf, "%s/file", dir);
    int f = open(buf, O_RDWR | O_CREAT | O_TRUNC, 0600);
    loff_t off = 4;
    printf("splice to file at 4=%zd off=%lld\n", splice(p[0], NULL, f, &off, 100, 0), (long long)off);
    printf("file pos=%lld\n", (long long)lseek(f, 0, SEEK_CUR));
    off = 0;
    printf("splice from file=%zd off=%lld\n", splice(f, &off, r[1], NULL, 7, 0), (long long)off);
    memset(buf, 0, sizeof buf);
    ssize_t n = read(r[0], buf, sizeof buf);
    printf("read %zd: [%.*s]\n", n, (int)n, buf[0] ? buf : "\\0...");
    n = read(q[0], buf, sizeof buf);
    printf("tee'd %zd: %.*s", n, (int)n, buf);
    errno = 0;
    printf("empty nonblock=%zd errno=%d\n", splice(p[0], NULL, r[1], NULL, 10, SPLICE_F_NONBLOCK), errno);
    errno = 0;
    printf("file to file=%zd errno=%d\n", splice(f, NULL, f, NULL, 10, 0), errno);
    errno = 0;
    printf("offset on a pipe=%zd errno=%d\n", splice(p[0], &off, f, NULL, 10, 0), errno);
    struct iovec in = {buf, 5};
    write(q[1], "abcdefg", 7);
    n = vmsplice(q[0], &in, 1, 0);
    printf("vmsplice from the read end=%zd [%.5s]\n", n, buf);
    close(f);
    for (int i = 0; i < 2; i++) close(p[i]), close(q[i]), close(r[i]);
}

static void signalfds(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    struct signalfd_siginfo si[2];
    errno = 0;
    printf("empty read=%zd errno=%d fdflags=%d\n", read(sfd, si, sizeof si), errno, fcntl(sfd, F_GETFD));
    raise(SIGUSR1);
    union sigval v = {.sival_int = 42};
    sigqueue(getpid(), SIGUSR2, v);
    struct pollfd pf = {sfd, POLLIN, 0};
    printf("poll=%d revents=%d\n", poll(&pf, 1, 0), pf.revents);
    ssize_t n = read(sfd, si, sizeof si);
    printf("read=%zd\n", n);
    for (int i = 0; i < n / (ssize_t)sizeof *si; i++)
        printf("  signo=%u code=%d own pid=%d uid ok=%d int=%d\n", si[i].ssi_signo, si[i].ssi_code,
               si[i].ssi_pid == (unsigned)getpid(), si[i].ssi_uid == getuid(), si[i].ssi_int);
    errno = 0;
    printf("too small=%zd errno=%d\n", read(sfd, si, 100), errno);
    /* a new mask for the same descriptor; a blocking one waits for the alarm */
    sigaddset(&set, SIGALRM);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    printf("same fd=%d\n", signalfd(sfd, &set, 0) == sfd);
    int bfd = signalfd(-1, &set, 0);
    alarm(1);
    n = read(bfd, si, sizeof si);
    printf("blocking read=%zd signo=%u code=%d\n", n, si[0].ssi_signo, si[0].ssi_code);
    pid_t child = fork();
    if (child == 0)
        _exit(7);
    n = read(bfd, si, sizeof *si);
    printf("child: read=%zd signo=%u code=%d status=%d pid ok=%d\n", n, si[0].ssi_signo,
           si[0].ssi_code, si[0].ssi_status, si[0].ssi_pid == (unsigned)child);
    waitpid(child, NULL, 0);
    errno = 0;
    printf("bad fd=%d errno=%d\n", signalfd(0, &set, 0), errno);
    close(sfd);
    close(bfd);
}

static void inotifies(void) {
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    int wd = inotify_add_watch(in, dir, IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MODIFY);
    printf("wd=%d\n", wd);
    char path[64], buf[4096];
    snprintf(path, sizeof path, "%s/new", dir);
    int f = open(path, O_WRONLY | O_CREAT, 0600);
    write(f, "x", 1);
    close(f);
    unlink(path);
    snprintf(path, sizeof path, "%s/file", dir);
    unlink(path);
    printf("rm_watch=%d\n", inotify_rm_watch(in, wd));
    struct pollfd pf = {in, POLLIN, 0};
    printf("poll=%d\n", poll(&pf, 1, 1000));
    ssize_t n = read(in, buf, sizeof buf);
    for (char *p = buf; p < buf + n;) {
        struct inotify_event *e = (struct inotify_event *)p;
        printf("  wd=%d mask=%#x name=%s\n", e->wd, e->mask, e->len ? e->name : "");
        p += sizeof *e + e->len;
    }
    errno = 0;
    printf("again=%zd errno=%d\n", read(in, buf, sizeof buf), errno);
    errno = 0;
    printf("missing=%d errno=%d\n", inotify_add_watch(in, "/nonexistent/x", IN_CREATE), errno);
    errno = 0;
    printf("not inotify=%d errno=%d\n", inotify_add_watch(1, dir, IN_CREATE), errno);
    close(in);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!mkdtemp(dir))
        return 1;
    splices();
    signalfds();
    inotifies();
    return rmdir(dir) == 0 ? 0 : 2;
}
