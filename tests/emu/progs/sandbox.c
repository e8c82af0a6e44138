/* Probes of the sandbox and of the limits: each subcommand prints what the guest saw.
 *   race PATH N        open+read PATH N times: "inside I secret S missing M"
 *   racew PATH N       create+unlink PATH N times: "created C failed F"
 *   swap DIR TARGET N  make the link "evil" -> TARGET, exchange it with DIR N times
 *   proc FILE          readlink of /proc/self/fd/N (FILE opened) and /proc/self/cwd
 *   exe                /proc/self/exe: open for writing, fchmod, chmod
 *   access P...        faccessat(P, F_OK) with and without AT_SYMLINK_NOFOLLOW
 *   argv0              the whole argv[0]; getcwd
 *   bigio              readv/writev/preadv/ppoll/pread/select with sizes no host should allocate
 *   fill PATH CHUNK    write CHUNK-byte blocks to PATH until a write fails
 *   sleep              creates /tmp/marker, then sleeps forever
 *   ro PATH            the changes --read-only refuses */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <time.h>

static const char *err(long r) { return r < 0 ? strerror(errno) : "ok"; }

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *cmd = argv[1];
    if (!strcmp(cmd, "race")) {
        int n = atoi(argv[3]), inside = 0, secret = 0, missing = 0;
        for (int i = 0; i < n; i++) {
            char buf[64] = {0};
            int fd = open(argv[2], O_RDONLY);
            if (fd < 0) { missing++; continue; }
            read(fd, buf, sizeof buf - 1);
            close(fd);
            if (strstr(buf, "SECRET")) secret++;
            else if (strstr(buf, "INSIDE")) inside++;
        }
        printf("inside %d secret %d missing %d\n", inside, secret, missing);
        return 0;
    }
    if (!strcmp(cmd, "racew")) {
        int n = atoi(argv[3]), created = 0, failed = 0;
        for (int i = 0; i < n; i++) {
            int fd = open(argv[2], O_CREAT | O_WRONLY, 0644);
            if (fd < 0) { failed++; continue; }
            created++;
            close(fd);
            unlink(argv[2]);
        }
        printf("created %d failed %d\n", created, failed);
        return 0;
    }
    if (!strcmp(cmd, "swap")) {
        /* the attacker's half: a link to a host path, exchanged with a directory N times */
        int n = atoi(argv[4]), ok = 0;
        symlink(argv[3], "evil");
        for (int i = 0; i < n; i++)
            ok += renameat2(AT_FDCWD, argv[2], AT_FDCWD, "evil", RENAME_EXCHANGE) == 0;
        printf("swapped %d\n", ok);
        return 0;
    }
    if (!strcmp(cmd, "proc")) {
        /* the guest's own /proc/self/fd and /proc/self/cwd links */
        char b[512], p[64];
        int fd = open(argv[2], O_RDONLY);
        snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(p, b, sizeof b - 1);
        b[n > 0 ? n : 0] = 0;
        printf("fd %s\n", n > 0 ? b : strerror(errno));
        n = readlink("/proc/self/cwd", b, sizeof b - 1);
        b[n > 0 ? n : 0] = 0;
        printf("cwd %s\n", n > 0 ? b : strerror(errno));
        printf("closed fd: %s\n", err(readlink("/proc/self/fd/999", b, sizeof b)));
        return 0;
    }
    if (!strcmp(cmd, "exe")) {
        int w = open("/proc/self/exe", O_RDWR);
        printf("open rw: %s\n", err(w));
        int fd = open("/proc/self/exe", O_RDONLY);
        printf("open ro: %s\n", err(fd));
        printf("fchmod: %s\n", err(fchmod(fd, 0777)));
        printf("ftruncate: %s\n", err(ftruncate(fd, 0)));
        printf("chmod: %s\n", err(chmod("/proc/self/exe", 0777)));
        char magic[4] = {0};
        printf("read: %zd %s\n", read(fd, magic, 4), magic[1] == 'E' ? "ELF" : "?");
        return 0;
    }
    if (!strcmp(cmd, "access")) {
        for (int i = 2; i < argc; i++) {
            long a = faccessat(AT_FDCWD, argv[i], F_OK, AT_SYMLINK_NOFOLLOW);
            const char *e1 = err(a);
            long b = faccessat(AT_FDCWD, argv[i], R_OK, 0);
            struct stat st;
            long c = fstatat(AT_FDCWD, argv[i], &st, AT_SYMLINK_NOFOLLOW);
            printf("%s: nofollow %s, follow %s, lstat %s\n", argv[i], e1, err(b), err(c));
        }
        return 0;
    }
    if (!strcmp(cmd, "argv0")) {
        char cwd[512];
        printf("argv[0] %s\ncwd %s\n", argv[0], getcwd(cwd, sizeof cwd) ? cwd : strerror(errno));
        return 0;
    }
    if (!strcmp(cmd, "bigio")) {
        size_t big = (size_t)1 << 40;
        char *buf = mmap(0, 64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        int z = open("/dev/zero", O_RDONLY), nul = open("/dev/null", O_WRONLY);
        struct iovec iov[2] = {{buf, big}, {buf, big}};
        printf("readv huge: %s\n", err(readv(z, iov, 2)));
        struct iovec fit[1] = {{buf, 64 << 20}};
        ssize_t r = readv(z, fit, 1);
        printf("readv 64M: %s %d\n", err(r), r > 0 && r <= (64 << 20));
        printf("writev huge: %s\n", err(writev(nul, iov, 2)));
        struct iovec many[2048];
        for (int i = 0; i < 2048; i++) many[i] = (struct iovec){buf, 1};
        printf("writev 2048: %s\n", err(writev(nul, many, 2048)));
        struct iovec wrap[2] = {{buf, (size_t)-1 / 2 + 10}, {buf, (size_t)-1 / 2 + 10}};
        printf("writev wrap: %s\n", err(writev(nul, wrap, 2)));
        printf("ppoll huge: %s\n", err(poll((struct pollfd *)buf, 1u << 30, 0)));
        printf("pread far: %s\n", err(pread(z, buf, 16, 0x7fffffffffffff00)));
        printf("read huge: %s\n", err(read(z, buf, big)));
        printf("select huge: %s\n", err(select(1 << 30, (fd_set *)buf, 0, 0, &(struct timeval){0, 0})));
        printf("getdents huge: %s\n", err(syscall(61, open(".", O_RDONLY | O_DIRECTORY), buf, big)));
        int maps = 0;
        while (mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED && maps < 100000)
            maps++;
        printf("mmaps: %s %d\n", maps < 100000 ? "stopped" : "unbounded", maps > 100);
        return 0;
    }
    if (!strcmp(cmd, "fill")) {
        size_t chunk = atol(argv[3]);
        char *buf = calloc(1, chunk);
        int fd = open(argv[2], O_CREAT | O_WRONLY | O_TRUNC, 0644);
        if (fd < 0) { printf("open: %s\n", strerror(errno)); return 1; }
        long total = 0;
        for (;;) {
            ssize_t w = write(fd, buf, chunk);
            if (w <= 0) { printf("after %ld: %s\n", total, err(w)); break; }
            total += w;
        }
        return 0;
    }
    if (!strcmp(cmd, "sleep")) {
        close(open("/tmp/marker", O_CREAT | O_WRONLY, 0644));
        printf("sleeping\n");
        fflush(stdout);
        for (;;) sleep(1000);
    }
    if (!strcmp(cmd, "ro")) {
        char p[512];
        printf("create: %s\n", err(open(argv[2], O_CREAT | O_WRONLY, 0644)));
        printf("read: %s\n", err(open("in.txt", O_RDONLY)));
        printf("write existing: %s\n", err(open("in.txt", O_WRONLY)));
        printf("mkdir: %s\n", err(mkdir("newdir", 0755)));
        printf("unlink: %s\n", err(unlink("in.txt")));
        printf("rename: %s\n", err(rename("in.txt", "moved.txt")));
        printf("chmod: %s\n", err(chmod("in.txt", 0600)));
        printf("access W_OK: %s\n", err(access("in.txt", W_OK)));
        snprintf(p, sizeof p, "/tmp/scratch");
        int fd = open(p, O_CREAT | O_WRONLY, 0644);
        printf("tmp: %s %s\n", err(fd), err(write(fd, "x", 1)));
        return 0;
    }
    return 2;
}
