/* mremap of a MAP_SHARED file mapping: grown in place, moved (MREMAP_MAYMOVE when the pages
   after it are taken, MREMAP_FIXED), still the file's pages at the same offsets: stores reach
   the file and the file's bytes show in the new pages. It was refused (SIGSYS). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
    char path[] = "/tmp/xld-mremapfile-XXXXXX", buf[8] = {0};
    int fd = mkstemp(path);
    unlink(path);
    char page[4096];
    for (int i = 0; i < 4; i++) {
        memset(page, 'a' + i, sizeof page);
        if (write(fd, page, sizeof page) != sizeof page) return 1;
    }
    /* room for growing in place: reserve 3 pages, map the file over the first */
    char *area = mmap(NULL, 3 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(area + 4096, 2 * 4096);
    char *p = mmap(area, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 4096);
    p[0] = 'X';
    char *q = mremap(p, 4096, 2 * 4096, 0);
    printf("in place: %d, first %c, second page %c\n", q == p, q[0], q[4096]);
    q[4096] = 'Y';
    pread(fd, buf, 1, 2 * 4096);
    printf("store in the new page reaches the file: %c\n", buf[0]);
    /* the page after it taken: MREMAP_MAYMOVE moves it */
    char *block = mmap(q + 2 * 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    char *r = mremap(q, 2 * 4096, 3 * 4096, 0);
    printf("no room, no MAYMOVE: %s\n", r == MAP_FAILED ? "ENOMEM" : "moved?");
    r = mremap(q, 2 * 4096, 3 * 4096, MREMAP_MAYMOVE);
    printf("moved: %d, pages %c %c %c\n", r != q && block != MAP_FAILED, r[0], r[4096], r[2 * 4096]);
    pwrite(fd, "Z", 1, 3 * 4096 + 5);
    printf("file write seen: %c\n", r[2 * 4096 + 5]);
    char *target = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *s = mremap(r, 3 * 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    s[1] = 'W';
    pread(fd, buf, 2, 4096);
    printf("fixed: %d, %c%c, file %c%c\n", s == target, s[0], s[1], buf[0], buf[1]);
    close(fd);
    return 0;
}
