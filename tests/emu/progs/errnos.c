/* Results and errno values of edge cases, as Linux gives them (each line: the call's result
   and errno). Once different: clock_nanosleep TIMER_ABSTIME with a bad tv_nsec (slept not and
   said 0; EINVAL), O_TMPFILE (EOPNOTSUPP; now a host unnamed file, linkat gives it a name),
   F_DUPFD at or past RLIMIT_NOFILE (EMFILE; EINVAL), musl's fchmodat with a flag (it calls
   fchmodat2, which stopped the program as an unknown call), msync's checks (always 0), mincore
   (stopped as an unknown call). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>
#define T(name, expr) do { errno = 0; long _r = (long)(expr); printf("%-28s %ld %d\n", name, _r, _r < 0 ? errno : 0); fflush(stdout); } while (0)
int main(void) {
    char d[] = "/tmp/xld-errs-XXXXXX";
    mkdtemp(d);
    chdir(d);
    int f = open("f", O_CREAT | O_RDWR, 0644);
    write(f, "hello", 5);
    mkdir("dir", 0755);
    mkdir("dir/sub", 0755);
    symlink("loop", "loop");
    struct timespec bad = {0, 2000000000}, neg = {-1, 0};
    T("clock_nanosleep abs bad", -clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &bad, NULL));
    T("clock_nanosleep rel neg", -clock_nanosleep(CLOCK_MONOTONIC, 0, &neg, NULL));
    T("nanosleep bad", nanosleep(&bad, NULL));
    T("read dir", ({ int dd = open("dir", O_RDONLY); char b[4]; read(dd, b, 4); }));
    T("write rdonly", ({ int r = open("f", O_RDONLY); write(r, "x", 1); }));
    T("lseek pipe", ({ int p[2]; pipe(p); lseek(p[0], 0, SEEK_SET); }));
    T("lseek neg", lseek(f, -10, SEEK_SET));
    T("lseek SEEK_DATA past", lseek(f, 100, SEEK_DATA));
    T("lseek SEEK_HOLE", lseek(f, 0, SEEK_HOLE));
    T("lseek bad whence", lseek(f, 0, 9));
    T("open O_DIRECTORY file", open("f", O_RDONLY | O_DIRECTORY));
    T("open trailing slash file", open("f/", O_RDONLY));
    T("open creat trailing slash", open("g/", O_CREAT | O_RDWR, 0644));
    T("open loop", open("loop", O_RDONLY));
    T("open nofollow link", open("loop", O_RDONLY | O_NOFOLLOW));
    T("open dir for write", open("dir", O_WRONLY));
    T("open excl existing", open("f", O_CREAT | O_EXCL | O_RDWR, 0644));
    T("open tmpfile", ({ int t = open(".", O_TMPFILE | O_RDWR, 0600); t >= 0 ? 0 : -1; }));
    T("tmpfile linkat", ({ int t = open(".", O_TMPFILE | O_RDWR, 0600); char p[32];
                          write(t, "data", 4); snprintf(p, sizeof p, "/proc/self/fd/%d", t);
                          linkat(AT_FDCWD, p, AT_FDCWD, "named", AT_SYMLINK_FOLLOW); }));
    T("tmpfile named size", ({ struct stat st; stat("named", &st) ? -1 : st.st_size; }));
    T("tmpfile rdonly", open(".", O_TMPFILE | O_RDONLY));
    T("tmpfile creat", open(".", O_TMPFILE | O_RDWR | O_CREAT, 0600));
    T("tmpfile in a file", open("f", O_TMPFILE | O_RDWR, 0600));
    T("mkdir existing", mkdir("dir", 0755));
    T("rmdir nonempty", rmdir("dir"));
    T("rmdir dot", rmdir("dir/sub/."));
    T("rmdir file", rmdir("f"));
    T("unlink dir", unlink("dir"));
    T("rename into self", rename("dir", "dir/sub/x"));
    T("rename file over dir", rename("f", "dir"));
    T("rename dir over file", rename("dir/sub", "f"));
    T("link dir", link("dir", "dir2"));
    T("readlink file", ({ char b[8]; readlink("f", b, 8); }));
    T("chdir file", chdir("f"));
    T("dup2 bad", dup2(999, 5));
    T("dup3 same", dup3(f, f, 0));
    T("dup2 same", dup2(f, f));
    T("close -1", close(-1));
    T("fcntl bad cmd", fcntl(f, 9999));
    T("fcntl dupfd big", fcntl(f, F_DUPFD, 100000));
    T("pipe2 bad flags", ({ int p[2]; pipe2(p, 0x1); }));
    T("getcwd small", ({ char b[2]; getcwd(b, 2) ? 0 : -1; }));
    T("kill bad sig", kill(getpid(), 99));
    T("sigaction KILL", ({ struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = SIG_IGN; sigaction(SIGKILL, &sa, NULL); }));
    T("mmap len 0", (long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    T("munmap unaligned", munmap((void *)0x10001, 4096));
    T("mprotect unmapped", mprotect((void *)0x7000000, 4096, PROT_READ));
    T("mmap file wronly", ({ int w = open("f", O_WRONLY); (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, w, 0); }));
    T("mmap badfd", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 999, 0));
    T("mmap no type", (long)mmap(NULL, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0));
    T("msync", ({ char *m = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, f, 0); msync(m, 8192, MS_SYNC); }));
    T("msync bad flags", ({ char *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, f, 0); msync(m, 4096, MS_SYNC | MS_ASYNC); }));
    T("msync unaligned", ({ char *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, f, 0); msync(m + 1, 4096, MS_SYNC); }));
    T("msync unmapped", msync((void *)0x7000000, 4096, MS_SYNC));
    T("msync part unmapped", ({ char *m = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                              munmap(m + 4096, 4096); msync(m, 8192, MS_ASYNC); }));
    T("mincore", ({ unsigned char v[2]; char *m = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                    mincore(m, 8192, v); }));
    T("mincore unaligned", ({ unsigned char v[2]; char *m = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                              mincore(m + 1, 4096, v); }));
    T("mincore unmapped", ({ unsigned char v[2]; mincore((void *)0x7000000, 4096, v); }));
    T("ftruncate rdonly", ({ int r = open("f", O_RDONLY); ftruncate(r, 0); }));
    T("ftruncate neg", ftruncate(f, -1));
    T("truncate dir", truncate("dir", 0));
    T("utimensat bad nsec", ({ struct timespec ts[2] = {{0, 2000000000}, {0, 0}}; utimensat(AT_FDCWD, "f", ts, 0); }));
    T("openat bad dirfd", openat(999, "f", O_RDONLY));
    T("openat file dirfd", openat(f, "x", O_RDONLY));
    T("access bad mode", access("f", 0x80));
    T("faccessat bad flags", faccessat(AT_FDCWD, "f", R_OK, 0x1));
    T("socket bad family", socket(12345, SOCK_STREAM, 0));
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {AF_INET, 0, {htonl(0x7f000001)}};
    T("bind", bind(s, (void *)&a, sizeof a));
    T("bind again", bind(s, (void *)&a, sizeof a));
    T("accept not listening", accept(s, NULL, NULL));
    T("shutdown not connected", shutdown(s, SHUT_RDWR));
    T("send unconnected", send(s, "x", 1, MSG_NOSIGNAL));
    T("bind short len", bind(socket(AF_INET, SOCK_STREAM, 0), (void *)&a, 4));
    T("connect refused", ({ int c = socket(AF_INET, SOCK_STREAM, 0); socklen_t l = sizeof a; getsockname(s, (void *)&a, &l); connect(c, (void *)&a, sizeof a); }));
    T("epoll_wait maxevents 0", ({ struct epoll_event e; epoll_wait(epoll_create1(0), &e, 0, 0); }));
    T("epoll_create1 bad", epoll_create1(1));
    T("eventfd short read", ({ int e = eventfd(1, 0); char b[4]; read(e, b, 4); }));
    T("eventfd bad flags", eventfd(0, 0x1) >= 0 ? 0 : -1);
    T("timerfd bad clock", timerfd_create(99, 0));
    T("timerfd settime bad", ({ int t = timerfd_create(CLOCK_MONOTONIC, 0); struct itimerspec i = {{0, 0}, {0, 2000000000}}; timerfd_settime(t, 0, &i, NULL); }));
    T("writev bad iovcnt", ({ struct iovec v; writev(1, &v, -1); }));
    T("readv 0", ({ struct iovec v; readv(f, &v, 0); }));
    T("wait no child", wait(NULL));
    T("setpgid bad", setpgid(0, -1));
    T("getpgid missing", getpgid(999999));
    T("sched_yield", sched_yield());
    T("umask", umask(022));
    T("umask again", umask(022));
    T("setitimer bad which", setitimer(99, NULL, NULL));
    T("getitimer bad", ({ struct itimerval v; getitimer(99, &v); }));
    T("alarm", alarm(0));
    T("symlink existing", symlink("x", "f"));
    T("mknod fifo", mknod("fifo", S_IFIFO | 0600, 0));
    T("mkfifo existing", mkfifo("fifo", 0600));
    T("fchmodat bad flag", fchmodat(AT_FDCWD, "f", 0600, 0x1));
    T("fchmodat nofollow file", fchmodat(AT_FDCWD, "f", 0640, AT_SYMLINK_NOFOLLOW));
    T("fchmodat nofollow mode", ({ struct stat st; stat("f", &st); st.st_mode & 0777; }));
    T("fchmodat nofollow link", fchmodat(AT_FDCWD, "loop", 0600, AT_SYMLINK_NOFOLLOW));
    T("chmod missing", chmod("missing", 0600));
    T("pread negative", ({ char b[2]; pread(f, b, 1, -1); }));
    T("pread pipe", ({ int p[2]; pipe(p); char b[2]; pread(p[0], b, 1, 0); }));
    T("fsync dir", ({ int dd = open("dir", O_RDONLY); fsync(dd); }));
    T("fdatasync bad", fdatasync(999));
    T("isatty file", isatty(f) ? 1 : -1);
    T("ttyname file", ttyname(f) ? 0 : -1);
    system("true");
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", d);
    chdir("/");
    system(cmd);
    return 0;
}
