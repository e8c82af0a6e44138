/* A spread of file, descriptor, memory and process calls whose results a program sees, each
   once wrong or unsupported under xld run: getrusage/times (zeros), mremap MREMAP_FIXED
   (EINVAL), preadv/pwritev(2), sendfile, copy_file_range, fallocate, memfd_create and seals
   (unsupported), F_GETPIPE_SZ (EINVAL), fcntl record locks and flock between processes
   (always granted, F_GETLK never filled in), statfs (made-up numbers, even for a missing
   path), F_SETFL O_APPEND on a file (ignored: writes overwrote), and neighbours that were right: madvise, brk,
   getcwd, pipes, SCM_RIGHTS, shutdown, dup3, waitid, sessions and groups, long double, fenv. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fenv.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define P(...) do { printf(__VA_ARGS__); fflush(stdout); } while (0)

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    /* getrusage / times after some work */
    volatile double x = 0;
    for (long i = 0; i < 3000000; i++) x += i * 0.5;
    struct rusage ru;
    int r = getrusage(RUSAGE_SELF, &ru);
    P("getrusage %d utime>0 %d maxrss>0 %d\n", r, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec > 0, ru.ru_maxrss > 0);
    struct tms t;
    clock_t c = times(&t);
    P("times ok %d utime>0 %d\n", c != (clock_t)-1, t.tms_utime + t.tms_stime > 0);

    /* madvise DONTNEED zeroes anonymous memory */
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(m, 7, 8192);
    r = madvise(m, 4096, MADV_DONTNEED);
    P("madvise %d: %d %d\n", r, m[0], m[4096]);
    /* mremap */
    char *m2 = mremap(m, 8192, 65536, MREMAP_MAYMOVE);
    P("mremap ok %d keep %d tail %d\n", m2 != MAP_FAILED, m2[4096], m2[60000]);
    char *fixed = mmap(NULL, 16384, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *m3 = mremap(m2, 65536, 8192, MREMAP_MAYMOVE | MREMAP_FIXED, fixed);
    P("mremap fixed %d keep %d\n", m3 == fixed, m3 == fixed ? m3[4096] : -1);
    errno = 0;
    void *bad = mremap(m3, 8192, 4096, MREMAP_FIXED, fixed + 8192);
    P("mremap fixed without maymove %d errno %d\n", bad == MAP_FAILED, errno);
    /* brk */
    void *b0 = sbrk(0);
    void *b1 = (void *)syscall(SYS_brk, (char *)b0 + 100000);
    void *b2 = (void *)syscall(SYS_brk, 0);
    P("brk grow %d\n", b1 == b2 && (char *)b1 == (char *)b0 + 100000);
    ((char *)b0)[99999] = 1;
    void *b3 = (void *)syscall(SYS_brk, (char *)b0 - (1L << 40));
    P("brk too low returns old %d\n", b3 == b2);

    /* readv/writev/preadv2 */
    char tmpl[] = "/tmp/probeXXXXXX";
    int fd = mkstemp(tmpl);
    struct iovec iov[2] = {{"hello ", 6}, {"world\n", 6}};
    P("writev %zd\n", writev(fd, iov, 2));
    char a[4] = {0}, bb[5] = {0};
    struct iovec riov[2] = {{a, 3}, {bb, 4}};
    P("preadv2 %zd %s|%s\n", preadv2(fd, riov, 2, 2, 0), a, bb);
    P("preadv2 off -1 %zd\n", preadv2(fd, riov, 2, -1, 0));
#ifdef RWF_APPEND
    /* (qemu 7.2 refuses RWF_APPEND: the result is not compared) */
    ssize_t app = pwritev2(fd, iov, 1, 0, RWF_APPEND);
    if (app == 6)
        ftruncate(fd, 12);
#endif
    struct stat st;
    fstat(fd, &st);
    P("size %lld\n", (long long)st.st_size);
    /* sendfile, copy_file_range */
    char t2[] = "/tmp/probeXXXXXX";
    int fd2 = mkstemp(t2);
    off_t off = 1;
    P("sendfile %zd off %lld\n", sendfile(fd2, fd, &off, 5), (long long)off);
    loff_t o1 = 0, o2 = 5;
    P("copy_file_range %zd\n", copy_file_range(fd, &o1, fd2, &o2, 6, 0));
    char buf[64] = {0};
    P("pread %zd %s\n", pread(fd2, buf, 63, 0), buf);
    /* fallocate */
    P("fallocate %d\n", fallocate(fd2, 0, 0, 10000));
    fstat(fd2, &st);
    P("size %lld\n", (long long)st.st_size);
    P("punch %d\n", fallocate(fd2, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
    fstat(fd2, &st);
    P("size %lld\n", (long long)st.st_size);
    unlink(tmpl); unlink(t2);

    /* memfd + seals */
    int mfd = memfd_create("x", MFD_ALLOW_SEALING | MFD_CLOEXEC);
    P("memfd %d\n", mfd >= 0);
    P("write %zd\n", write(mfd, "abc", 3));
    P("seal %d\n", fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK));
    P("seals %#x\n", fcntl(mfd, F_GET_SEALS));
    errno = 0;
    P("write sealed %zd errno %d\n", write(mfd, "d", 1), errno);
    errno = 0;
    P("truncate sealed %d errno %d\n", ftruncate(mfd, 1), errno);
    int mfd2 = memfd_create("y", 0);
    errno = 0;
    P("seal without allow %d errno %d\n", fcntl(mfd2, F_ADD_SEALS, F_SEAL_WRITE), errno);

    /* getcwd/chdir/fchdir */
    char cwd[256];
    int dfd = open("/tmp", O_RDONLY | O_DIRECTORY);
    chdir("/");
    P("fchdir %d\n", fchdir(dfd));
    P("getcwd %s\n", getcwd(cwd, sizeof cwd));
    errno = 0;
    P("getcwd small %p errno %d\n", (void *)getcwd(cwd, 2), errno);
    chdir("/");

    /* pipes O_NONBLOCK, SIGPIPE */
    int p[2];
    pipe2(p, O_NONBLOCK);
    errno = 0;
    P("read empty nonblock %zd errno %d\n", read(p[0], buf, 1), errno);
    long n = 0;
    while (write(p[1], buf, 64) > 0) n += 64;
    P("pipe filled %ld errno %d\n", n, errno);
    P("F_GETPIPE_SZ %d\n", fcntl(p[1], F_GETPIPE_SZ));
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    P("write closed %zd errno %d\n", write(p[1], buf, 1), errno);
    close(p[1]);

    /* socketpair + SCM_RIGHTS + shutdown */
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int pp[2];
    pipe(pp);
    write(pp[1], "via fd", 6);
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct msghdr msg = {0};
    struct iovec io = {"x", 1};
    msg.msg_iov = &io; msg.msg_iovlen = 1;
    msg.msg_control = cbuf; msg.msg_controllen = sizeof cbuf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS; cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &pp[0], sizeof(int));
    P("sendmsg %zd\n", sendmsg(sv[0], &msg, 0));
    close(pp[0]);
    char rb[4];
    struct iovec rio = {rb, 4};
    struct msghdr rm = {0};
    char rc[CMSG_SPACE(sizeof(int))];
    rm.msg_iov = &rio; rm.msg_iovlen = 1; rm.msg_control = rc; rm.msg_controllen = sizeof rc;
    P("recvmsg %zd\n", recvmsg(sv[1], &rm, MSG_CMSG_CLOEXEC));
    struct cmsghdr *rcm = CMSG_FIRSTHDR(&rm);
    if (rcm && rcm->cmsg_type == SCM_RIGHTS) {
        int got;
        memcpy(&got, CMSG_DATA(rcm), sizeof got);
        memset(buf, 0, sizeof buf);
        P("passed fd reads %zd %s cloexec %d\n", read(got, buf, 6), buf, (fcntl(got, F_GETFD) & FD_CLOEXEC) != 0);
    } else P("no rights\n");
    P("shutdown %d\n", shutdown(sv[0], SHUT_WR));
    P("read after shutdown %zd\n", read(sv[1], buf, 4));
    errno = 0;
    P("write after shutdown %zd errno %d\n", write(sv[0], "a", 1), errno);

    /* flock, fcntl locks */
    char t3[] = "/tmp/probeXXXXXX";
    int lf = mkstemp(t3);
    P("flock %d\n", flock(lf, LOCK_EX | LOCK_NB));
    int lf2 = open(t3, O_RDWR);
    errno = 0;
    P("flock other %d errno %d\n", flock(lf2, LOCK_EX | LOCK_NB), errno);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    P("setlk %d\n", fcntl(lf, F_SETLK, &fl));
    fl.l_type = F_RDLCK;
    P("getlk same proc %d type %d\n", fcntl(lf2, F_GETLK, &fl), fl.l_type);
    struct flock ofl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    P("ofd setlk %d\n", fcntl(lf, F_OFD_SETLK, &ofl));
    errno = 0;
    P("ofd setlk other %d errno %d\n", fcntl(lf2, F_OFD_SETLK, &ofl), errno);
    ofl.l_type = F_RDLCK;
    P("ofd getlk %d type %d pid-is-me %d\n", fcntl(lf2, F_OFD_GETLK, &ofl), ofl.l_type, ofl.l_pid == getpid());
    pid_t ch = fork();
    if (ch == 0) {
        struct flock f2 = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5};
        errno = 0;
        int rr = fcntl(lf2, F_SETLK, &f2);
        int e = errno;
        f2.l_type = F_WRLCK;
        fcntl(lf2, F_GETLK, &f2);
        P("child setlk %d errno %d getlk type %d pid-is-parent %d\n", rr, e, f2.l_type, f2.l_pid == getppid());
        _exit(0);
    }
    waitpid(ch, NULL, 0);
    unlink(t3);

    /* dup3 */
    errno = 0;
    P("dup3 same %d errno %d\n", dup3(1, 1, 0), errno);
    errno = 0;
    P("dup3 bad flag %d errno %d\n", dup3(1, 50, 1), errno);
    P("dup3 cloexec %d\n", fcntl(dup3(1, 51, O_CLOEXEC), F_GETFD));

    /* waitid */
    ch = fork();
    if (ch == 0) _exit(9);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    r = waitid(P_PID, ch, &si, WEXITED | WNOWAIT);
    P("waitid nowait %d code %d status %d pid %d\n", r, si.si_code, si.si_status, si.si_pid == ch);
    memset(&si, 0, sizeof si);
    r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
    P("waitid again %d code %d status %d\n", r, si.si_code, si.si_status);
    memset(&si, 0, sizeof si);
    errno = 0;
    r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
    P("waitid none %d errno %d\n", r, errno);
    errno = 0;
    P("waitid no flags %d errno %d\n", waitid(P_ALL, 0, &si, WNOHANG), errno);

    /* process groups, sessions */
    P("getpgid self %d\n", getpgid(0) == getpgrp());
    ch = fork();
    if (ch == 0) {
        P("child setsid %d\n", setsid() == getpid());
        P("child getsid %d pgid %d\n", getsid(0) == getpid(), getpgid(0) == getpid());
        errno = 0;
        P("child setpgid in new session %d errno %d\n", setpgid(0, getppid()), errno);
        _exit(0);
    }
    waitpid(ch, NULL, 0);
    ch = fork();
    if (ch == 0) { pause(); _exit(0); }
    P("setpgid child %d\n", setpgid(ch, ch));
    P("getpgid child %d\n", getpgid(ch) == ch);
    kill(ch, SIGKILL);
    int ws;
    waitpid(ch, &ws, 0);
    P("killed %d\n", WTERMSIG(ws));
    errno = 0;
    P("getpgid gone %d errno %d\n", getpgid(ch), errno);

    /* F_SETFL O_APPEND on a regular file, F_GETFL */
    char t4[] = "/tmp/probeXXXXXX";
    int af = mkstemp(t4);
    write(af, "0123456789", 10);
    lseek(af, 0, SEEK_SET);
    P("setfl append %d getfl %#o\n", fcntl(af, F_SETFL, O_APPEND), fcntl(af, F_GETFL) & (O_ACCMODE | O_APPEND));
    write(af, "ab", 2);
    fstat(af, &st);
    P("appended: size %lld\n", (long long)st.st_size);
    int sf = open(t4, O_WRONLY | O_DSYNC | O_NONBLOCK);
    P("getfl dsync nonblock %#o\n", fcntl(sf, F_GETFL) & (O_ACCMODE | O_DSYNC | O_NONBLOCK | O_APPEND));
    unlink(t4);
    /* statfs: the host's file system */
    const char *fsp[] = {"/tmp", "/proc", "/nonexistent"};
    for (int i = 0; i < 3; i++) {
        struct statfs sfs;
        errno = 0;
        r = statfs(fsp[i], &sfs);
        P("statfs %s: %d errno %d type %#lx\n", fsp[i], r, errno, r ? 0 : (unsigned long)sfs.f_type);
    }
    /* fenv / long double */
    P("ld %.30Lg\n", 1.0L / 3.0L);
    P("ld max %Lg\n", (long double)1e4000L);
    fesetround(FE_TOWARDZERO);
    volatile double one = 1.0, three = 3.0;
    P("towardzero %.20g\n", one / three);
    fesetround(FE_UPWARD);
    P("upward %.20g rint %g\n", one / three, rint(2.5));
    fesetround(FE_TONEAREST);
    feclearexcept(FE_ALL_EXCEPT);
    volatile double z = 0.0;
    volatile double q = one / z;
    P("divbyzero %d inf %g\n", fetestexcept(FE_DIVBYZERO) != 0, q);
    return 0;
}
