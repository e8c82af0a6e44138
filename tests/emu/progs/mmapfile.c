/* File-backed mmap as ld.so and programs use it: private and shared read-only mappings at
   offsets, MAP_FIXED over a reservation, copy-on-write privacy, bad descriptors and sizes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>

int main(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    char name[] = "/tmp/mmapfile-XXXXXX";
    int fd = mkstemp(name);
    if (fd < 0) { perror("mkstemp"); return 1; }
    for (int i = 0; i < 3; i++) {
        char block[4096];
        memset(block, 'a' + i, sizeof block);
        write(fd, block, sizeof block);
    }
    write(fd, "tail", 4);
    close(fd);
    fd = open(name, O_RDONLY);

    char *p = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE, fd, pg);
    printf("private at offset: %c %c\n", p[0], p[pg]);
    char *s = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
    printf("shared read-only: %c\n", s[10]);
    char *last = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 3 * pg);
    printf("last page: %.4s then zero %d\n", last, last[100]);

    /* reserve, then map the file over it with MAP_FIXED, as ld.so maps segments */
    char *r = mmap(NULL, 4 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *f = mmap(r + pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 2 * pg);
    printf("fixed: %d %c\n", f == r + pg, f[5]);
    f[5] = 'Z';
    char buf[8];
    pread(fd, buf, 1, 2 * pg + 5);
    printf("private write stays private: %c %c\n", f[5], buf[0]);
    printf("mprotect: %d\n", mprotect(r + pg, pg, PROT_READ));
    printf("munmap part: %d\n", munmap(r + 2 * pg, pg));

    errno = 0;
    void *bad = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 99, 0);
    printf("bad fd: %d %s\n", bad == MAP_FAILED, strerror(errno));
    int wfd = open(name, O_WRONLY);
    errno = 0;
    bad = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, wfd, 0);
    printf("write-only fd: %d %s\n", bad == MAP_FAILED, strerror(errno));
    errno = 0;
    bad = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 1);
    printf("unaligned offset: %d %s\n", bad == MAP_FAILED, strerror(errno));
    errno = 0;
    bad = mmap(NULL, (size_t)-4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("huge: %d %s\n", bad == MAP_FAILED, strerror(errno));
    errno = 0;
    printf("munmap huge: %d %s\n", munmap(r, (size_t)-4096), strerror(errno));
    close(fd);
    close(wfd);
    unlink(name);
    return 0;
}
