/* Files whose open can block, the guest's own descriptors by path, and every change
 * --read-only must refuse. Each subcommand prints what the guest saw:
 *   fifo-fork PATH     mkfifo; a child writes, the parent reads (both open blocking)
 *   fifo-threads PATH  mkfifo; a second thread writes, the main thread reads
 *   fifo-nonblock PATH mkfifo; O_NONBLOCK readers open at once, writers get ENXIO
 *   fifo-lone PATH     mkfifo; open it for reading with nobody to write: blocks forever
 *   fifo-alarm PATH    mkfifo; a blocking open for writing ended by SIGALRM (no SA_RESTART)
 *   fdpath FILE        FILE through /proc/self/fd/N, /dev/fd/N; /dev/stdin; the fd listing
 *   writes FILE DIR    every call that changes a file, on FILE (existing) and in DIR
 *   hang-fork X        fork; the child prints its pid; both sleep forever */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <utime.h>

static const char *err(long r) { return r < 0 ? strerror(errno) : "ok"; }

static void mkfifo_or_die(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISFIFO(st.st_mode))
        return;                   /* made before the run (a --read-only one) */
    unlink(path);
    if (mkfifo(path, 0600) < 0) {
        printf("mkfifo: %s\n", strerror(errno));
        exit(1);
    }
}

static void reader(const char *path, const char *who)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) { printf("%s open: %s\n", who, strerror(errno)); return; }
    char buf[256];
    size_t got = 0;
    ssize_t n;
    while ((n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
        got += n;
    buf[got] = 0;
    printf("%s read %zu: %s", who, got, buf);
    close(fd);
}

static void *writer(void *path)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0) { printf("writer open: %s\n", strerror(errno)); return 0; }
    const char msg[] = "through the fifo\n";
    write(fd, msg, sizeof msg - 1);
    close(fd);
    return 0;
}

static void on_alarm(int sig) { (void)sig; }

static void fifo(const char *cmd, const char *path)
{
    mkfifo_or_die(path);
    struct stat st;
    stat(path, &st);
    printf("is fifo: %d\n", S_ISFIFO(st.st_mode));
    if (!strcmp(cmd, "fifo-fork")) {
        pid_t pid = fork();
        if (pid == 0) {
            writer((void *)path);
            _exit(3);
        }
        reader(path, "parent");
        int status;
        waitpid(pid, &status, 0);
        printf("child exit %d\n", WEXITSTATUS(status));
    } else if (!strcmp(cmd, "fifo-threads")) {
        pthread_t t;
        pthread_create(&t, 0, writer, (void *)path);
        reader(path, "main");
        pthread_join(t, 0);
        printf("joined\n");
    } else if (!strcmp(cmd, "fifo-nonblock")) {
        int w = open(path, O_WRONLY | O_NONBLOCK);
        printf("writer alone: %s\n", err(w));
        int r = open(path, O_RDONLY | O_NONBLOCK);
        printf("reader alone: %s\n", err(r));
        char buf[8];
        printf("read, no writer yet: %zd\n", read(r, buf, sizeof buf));
        w = open(path, O_WRONLY | O_NONBLOCK);
        printf("writer with a reader: %s\n", err(w));
        printf("write: %zd\n", write(w, "abc", 3));
        printf("read: %zd\n", read(r, buf, sizeof buf));
        printf("read, empty: %s\n", err(read(r, buf, sizeof buf)));
        int flags = fcntl(w, F_GETFL);
        printf("writer flags nonblock: %d\n", !!(flags & O_NONBLOCK));
        close(w);
        printf("read after the writer closed: %zd\n", read(r, buf, sizeof buf));
        close(r);
        int rw = open(path, O_RDWR);
        printf("O_RDWR: %s, nonblock %d\n", err(rw), !!(fcntl(rw, F_GETFL) & O_NONBLOCK));
        printf("write+read: %zd %zd\n", write(rw, "xy", 2), read(rw, buf, sizeof buf));
        close(rw);
    } else if (!strcmp(cmd, "fifo-lone")) {
        printf("opening\n");
        fflush(stdout);
        int fd = open(path, O_RDONLY);
        printf("opened?! %d\n", fd);
    } else if (!strcmp(cmd, "fifo-alarm")) {
        struct sigaction sa = {0};
        sa.sa_handler = on_alarm;
        sigaction(SIGALRM, &sa, 0);
        alarm(1);
        int fd = open(path, O_WRONLY);
        printf("open for writing: %s\n", err(fd));
        /* after an interrupted open, a reader and a writer still meet */
        pthread_t t;
        pthread_create(&t, 0, writer, (void *)path);
        reader(path, "then");
        pthread_join(t, 0);
    }
    unlink(path);
}

static void fdpath(const char *file)
{
    char p[64], b[512];
    int fd = open(file, O_RDONLY);
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(p, b, sizeof b - 1);
    b[n > 0 ? n : 0] = 0;
    /* print only the last component: the two views name the directory differently */
    const char *base = strrchr(b, '/');
    printf("readlink fd: %s\n", n > 0 ? (base ? base + 1 : b) : strerror(errno));
    lseek(fd, 2, SEEK_SET);
    int again = open(p, O_RDONLY);           /* a new open file: its own offset */
    n = again >= 0 ? read(again, b, sizeof b - 1) : -1;
    b[n > 0 ? n : 0] = 0;
    printf("reopen %s: %s\n", p + 11, again >= 0 ? b : strerror(errno));
    snprintf(p, sizeof p, "/dev/fd/%d", fd);
    int third = open(p, O_RDONLY);
    n = third >= 0 ? read(third, b, sizeof b - 1) : -1;
    b[n > 0 ? n : 0] = 0;
    printf("reopen /dev/fd/N: %s\n", third >= 0 ? b : strerror(errno));
    struct stat s1, s2;
    fstat(fd, &s1);
    printf("stat same inode: %d\n", stat(p, &s2) == 0 && s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev);
    printf("closed fd: %s\n", err(open("/proc/self/fd/999", O_RDONLY)));
    printf("closed fd stat: %s\n", err(stat("/dev/fd/999", &s2)));
    /* standard input is a file given to the run: /dev/stdin reads it */
    int in = open("/dev/stdin", O_RDONLY);
    n = in >= 0 ? read(in, b, sizeof b - 1) : -1;
    b[n > 0 ? n : 0] = 0;
    printf("/dev/stdin: %s\n", in >= 0 ? b : strerror(errno));
    /* the listing holds the guest's descriptors */
    DIR *d = opendir("/proc/self/fd");
    int has_fd = 0, dirfd_seen = 0;
    char list[512] = "";
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        has_fd |= atoi(e->d_name) == fd;
        dirfd_seen |= atoi(e->d_name) == dirfd(d);
        if (strlen(list) < 400)
            snprintf(list + strlen(list), sizeof list - strlen(list), " %s", e->d_name);
    }
    printf("listing: %s, has fd %d, has its own %d\n", d ? "ok" : strerror(errno), has_fd, dirfd_seen);
    /* a directory reached through its descriptor's link */
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    snprintf(p, sizeof p, "/proc/self/fd/%d/%s", dfd, file);
    int inner = open(p, O_RDONLY);
    n = inner >= 0 ? read(inner, b, sizeof b - 1) : -1;
    b[n > 0 ? n : 0] = 0;
    printf("through a directory's link: %s\n", inner >= 0 ? b : strerror(errno));
    printf("lstat is a link: %d\n", lstat("/proc/self/fd/0", &s2) == 0 && S_ISLNK(s2.st_mode));
    printf("unlink the link: %s\n", err(unlink("/proc/self/fd/0")));
    n = readlink("/dev/stdin", b, sizeof b - 1);
    b[n > 0 ? n : 0] = 0;
    printf("readlink /dev/stdin: %s\n", n > 0 ? b : strerror(errno));
    /* the link of a pipe */
    int pp[2];
    pipe(pp);
    snprintf(p, sizeof p, "/proc/self/fd/%d", pp[1]);
    n = readlink(p, b, sizeof b - 1);
    b[n > 0 ? n : 0] = 0;
    printf("pipe link: %.6s\n", n > 0 ? b : strerror(errno));
    int w = open(p, O_WRONLY);                   /* the same pipe, another write end */
    write(w, "via link", 8);
    n = read(pp[0], b, sizeof b - 1);
    b[n > 0 ? n : 0] = 0;
    printf("pipe reopened: %s\n", n > 0 ? b : strerror(errno));
    printf("fds:%s\n", list);
}

static void writes(const char *file, const char *dir)
{
    char p[512];
    int rd = open(file, O_RDONLY);
    struct timespec ts[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    struct timeval tv[2] = {{1, 0}, {1, 0}};
    struct utimbuf ub = {1, 1};
#define T(name, call) printf("%s: %s\n", name, err(call))
    T("open O_CREAT", open(file, O_WRONLY | O_CREAT, 0644));
    T("open O_WRONLY", open(file, O_WRONLY));
    T("open O_RDWR", open(file, O_RDWR));
    T("open O_RDONLY|O_TRUNC", open(file, O_RDONLY | O_TRUNC));
    T("creat", creat(file, 0644));
    T("truncate", truncate(file, 0));
    T("chmod", chmod(file, 0600));
    T("fchmod", fchmod(rd, 0600));
    T("fchmodat", fchmodat(AT_FDCWD, file, 0600, 0));
    T("chown", chown(file, getuid(), getgid()));
    T("lchown", lchown(file, getuid(), getgid()));
    T("fchown", fchown(rd, getuid(), getgid()));
    T("fchownat", fchownat(AT_FDCWD, file, getuid(), getgid(), 0));
    T("fchownat empty path", fchownat(rd, "", -1, -1, AT_EMPTY_PATH));
    T("utimensat", utimensat(AT_FDCWD, file, ts, 0));
    T("utimensat null", utimensat(AT_FDCWD, file, 0, 0));
    T("futimens", futimens(rd, ts));
    T("utimes", utimes(file, tv));
    T("utime", utime(file, &ub));
    T("setxattr", setxattr(file, "user.x", "1", 1, 0));
    T("lsetxattr", lsetxattr(file, "user.x", "1", 1, 0));
    T("fsetxattr", fsetxattr(rd, "user.y", "2", 1, 0));
    char v[16];
    T("getxattr", getxattr(file, "user.y", v, sizeof v));
    T("listxattr", listxattr(file, v, sizeof v));
    T("removexattr", removexattr(file, "user.x"));
    T("lremovexattr", lremovexattr(file, "user.x"));
    T("fremovexattr", fremovexattr(rd, "user.y"));
    T("access W_OK", access(file, W_OK));
    T("faccessat W_OK", faccessat(AT_FDCWD, file, W_OK, AT_EACCESS));
    const char *made[] = {"mkdir", "mknod fifo", "mkfifo", "symlink", "link", "open new"};
    for (int i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "%s/new%d", dir, i);
        long r = i == 0 ? mkdir(p, 0755) : i == 1 ? mknod(p, S_IFIFO | 0600, 0)
               : i == 2 ? mkfifo(p, 0600) : i == 3 ? symlink(file, p) : i == 4 ? link(file, p)
               : open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
        T(made[i], r);
    }
    snprintf(p, sizeof p, "%s/null", dir);
    T("mknod char device", mknod(p, S_IFCHR | 0600, makedev(1, 3)));
    snprintf(p, sizeof p, "%s/new5", dir);
    T("rename", rename(p, file));
    T("renameat2 exchange", syscall(SYS_renameat2, AT_FDCWD, file, AT_FDCWD, dir, 2));
    T("unlink", unlink(dir));
    snprintf(p, sizeof p, "%s/new0", file);
    T("rmdir", rmdir(access(p, F_OK) == 0 ? p : dir));  /* (nothing was exchanged: DIR) */
    struct stat st;
    T("stat (a read)", stat(file, &st));
#undef T
}

int main(int argc, char **argv)
{
    setvbuf(stdout, 0, _IOLBF, 0);
    if (argc < 3)
        return 2;
    if (!strncmp(argv[1], "fifo", 4))
        fifo(argv[1], argv[2]);
    else if (!strcmp(argv[1], "fdpath"))
        fdpath(argv[2]);
    else if (!strcmp(argv[1], "hang-fork")) {
        pid_t pid = fork();
        if (pid == 0)
            printf("child %d\n", getpid());
        for (;;)
            pause();
    } else if (!strcmp(argv[1], "writes") && argc > 3)
        writes(argv[2], argv[3]);
    else
        return 2;
    return 0;
}
