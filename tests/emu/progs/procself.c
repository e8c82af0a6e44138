/* The guest's own /proc/self files (they were the emulator's: Python's mappings, command line
   and environment): maps (a page after mprotect, the stack, which glibc's
   pthread_getattr_np reads for the main thread), cmdline, environ, auxv, stat (its pid,
   name and startstack, which garbage collectors read). */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t slurp(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY);
    size_t n = 0;
    ssize_t r;
    if (fd < 0)
        return 0;
    while (n < size && (r = read(fd, buf + n, size - n)) > 0)
        n += r;
    close(fd);
    return n;
}

int main(int argc, char **argv) {
    static char buf[1 << 16];
    char *pg = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(pg + 4096, 4096, PROT_READ);
    size_t n = slurp("/proc/self/maps", buf, sizeof buf - 1);
    buf[n] = 0;
    char want[64];
    snprintf(want, sizeof want, "\n%lx-%lx r--p ", (unsigned long)(pg + 4096), (unsigned long)(pg + 8192));
    printf("maps: mprotected page %d, stack %d, program %d\n", strstr(buf, want) != NULL,
           strstr(buf, "[stack]\n") != NULL, strstr(buf, argv[0]) != NULL);
    n = slurp("/proc/self/cmdline", buf, sizeof buf);
    size_t expect = 0;
    for (int i = 0; i < argc; i++)
        expect += strlen(argv[i]) + 1;
    printf("cmdline: %zu bytes, as argv %d\n", n, n == expect && !memcmp(buf + strlen(argv[0]) + 1, "one\0two", 8));
    n = slurp("/proc/self/environ", buf, sizeof buf);
    printf("environ has XLD_GREETING %d\n", memmem(buf, n, "XLD_GREETING=hello there", 25) != NULL);
    n = slurp("/proc/self/auxv", buf, sizeof buf);
    unsigned long pagesz = 0, entry = 0;
    for (size_t i = 0; i + 16 <= n; i += 16) {
        unsigned long k, v;
        memcpy(&k, buf + i, 8);
        memcpy(&v, buf + i + 8, 8);
        if (k == AT_PAGESZ) pagesz = v;
        if (k == AT_ENTRY) entry = v;
    }
    printf("auxv: pagesz %lu entry matches %d\n", pagesz, entry == getauxval(AT_ENTRY) && entry);
    n = slurp("/proc/self/stat", buf, sizeof buf - 1);
    buf[n] = 0;
    int pid = 0;
    char comm[32] = "";
    sscanf(buf, "%d %31s", &pid, comm);
    char *after = strrchr(buf, ')');
    unsigned long startstack = 0;
    for (int field = 3; after && field <= 28; field++) {
        after = strchr(after + 1, ' ');
        if (after && field == 28)
            startstack = strtoul(after + 1, NULL, 10);
    }
    printf("stat: pid %d comm %s startstack holds argv %d\n", pid == getpid(), comm,
           startstack && (char **)startstack + 1 == argv);
    pthread_attr_t a;
    void *addr;
    size_t size;
    int here;
    pthread_getattr_np(pthread_self(), &a);
    pthread_attr_getstack(&a, &addr, &size);
    printf("main thread stack holds a local %d\n", (char *)&here >= (char *)addr && (char *)&here < (char *)addr + size);
    return 0;
}
