/* MAP_SHARED file mappings are the file's pages, as under qemu-user: a later write() to the
   file shows in the mapping, a store to the mapping shows in read() at once (no msync), a
   forked child's stores reach its parent and the file, and a read-only mapping of a file
   opened read-only cannot be made writable (EACCES). They were copies taken at mmap (and
   writable ones ENODEV). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    char path[] = "/tmp/xld-filemap-XXXXXX", buf[8];
    int fd = mkstemp(path);
    char block[6144];
    memset(block, 'a', sizeof block);
    if (fd < 0 || write(fd, block, sizeof block) != sizeof block) return 1;
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) { printf("mmap: %s\n", strerror(errno)); return 1; }
    pwrite(fd, "HELLO", 5, 4096);
    printf("write() seen by the mapping: %.5s\n", p + 4096);
    memcpy(p + 100, "STORE", 5);
    pread(fd, buf, 5, 100);
    printf("store seen by read(): %.5s\n", buf);
    printf("past the end, in the last page: %d\n", p[7000]);
    pid_t c = fork();
    if (c == 0) { memcpy(p + 200, "CHILD", 5); _exit(0); }
    waitpid(c, NULL, 0);
    pread(fd, buf, 5, 200);
    printf("child's store: mapping %.5s, file %.5s\n", p + 200, buf);
    int ro = open(path, O_RDONLY);
    char *q = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
    pwrite(fd, "AGAIN", 5, 300);
    printf("read-only mapping sees: %.5s %.5s\n", q + 100, q + 300);
    printf("mprotect writable: %d %s\n", mprotect(q, 4096, PROT_READ | PROT_WRITE),
           errno == EACCES ? "EACCES" : "?");
    void *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    printf("writable mapping of a read-only file: %s\n", w == MAP_FAILED && errno == EACCES ? "EACCES" : "?");
    /* mapped past the end, then the file grows: the new page is the file's */
    char *g = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ftruncate(fd, 16384);
    memcpy(g + 12288, "GROWN", 5);
    pread(fd, buf, 5, 12288);
    printf("grown file: %.5s\n", buf);
    munmap(g, 16384);
    munmap(p, 8192);
    munmap(q, 4096);
    pread(fd, buf, 5, 200);
    printf("after munmap: %.5s\n", buf);
    unlink(path);
    return 0;
}
