#define _GNU_SOURCE
/* A POSIX record lock outlives munmap of a MAP_SHARED mapping of the same file (SQLite's
   pattern: PRAGMA mmap_size remaps the database while it holds its locks; WAL maps -shm). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *probe(int fd, int start) {
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = 1};
    if (fcntl(fd, F_GETLK, &fl) != 0) return "error";
    return fl.l_type == F_UNLCK ? "free" : fl.l_type == F_WRLCK ? "write-locked" : "read-locked";
}

/* What a second process sees of bytes 100 and 200 of the file. */
static void child_view(const char *path, const char *when) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(path, O_RDWR);
        printf("%s: byte 100 %s, byte 200 %s\n", when, probe(fd, 100), probe(fd, 200));
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "maplock.dat";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    char buf[8192];
    memset(buf, 'x', sizeof buf);
    if (write(fd, buf, sizeof buf) != sizeof buf) return 1;
    struct flock wr = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 1};
    struct flock rd = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 200, .l_len = 1};
    if (fcntl(fd, F_SETLK, &wr) || fcntl(fd, F_SETLK, &rd)) { perror("lock"); return 1; }
    child_view(path, "locked");
    for (int i = 0; i < 3; i++) {          /* map, touch, unmap: as a remap when the file grows */
        char *p = mmap(0, sizeof buf, PROT_READ | (i == 1 ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 1; }
        if (i == 1) p[0] = 'y';
        printf("mapped %c\n", p[0]);
        munmap(p, sizeof buf);
    }
    child_view(path, "after munmap");
    char *p = mmap(0, sizeof buf, PROT_READ, MAP_SHARED, fd, 0);
    p = mremap(p, sizeof buf, 2 * sizeof buf, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) { perror("mremap"); return 1; }
    munmap(p, 2 * sizeof buf);
    child_view(path, "after mremap");
    int fd2 = open(path, O_RDONLY);        /* closing any descriptor of the file drops them */
    close(fd2);
    child_view(path, "after close of another descriptor");
    if (fcntl(fd, F_SETLK, &wr) || fcntl(fd, F_SETLK, &rd)) { perror("lock"); return 1; }
    child_view(path, "locked again");
    close(dup(fd));                        /* a duplicate is a descriptor of the file too */
    child_view(path, "after close of a dup");
    unlink(path);
    /* map, close, unmap: the emulator keeps no descriptor of this file (the test looks) */
    char other[4096];
    snprintf(other, sizeof other, "%s.unmapped", path);
    int fd3 = open(other, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (write(fd3, buf, sizeof buf) != sizeof buf) return 1;
    char *q = mmap(0, sizeof buf, PROT_READ, MAP_SHARED, fd3, 0);
    close(fd3);
    printf("mapped after close %c\n", q[1]);
    munmap(q, sizeof buf);
    unlink(other);
    return 0;
}
