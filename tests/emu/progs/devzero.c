/* mmap of /dev/zero: private and shared anonymous memory (a forked child's stores reach the
   parent through a shared one); /dev/null cannot be mapped. It was ENODEV. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    int fd = open("/dev/zero", O_RDWR);
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("private: %s\n", p == MAP_FAILED ? strerror(errno) : "ok");
    if (p != MAP_FAILED) { p[10] = 5; printf("reads %d %d\n", p[10], p[4000]); }
    char *s = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("shared: %s\n", s == MAP_FAILED ? strerror(errno) : "ok");
    if (s != MAP_FAILED) {
        if (fork() == 0) { s[100] = 42; _exit(0); }
        wait(NULL);
        printf("child's store: %d\n", s[100]);
    }
    int ro = open("/dev/zero", O_RDONLY);
    char *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    printf("writable shared, read-only open: %s\n", w == MAP_FAILED ? strerror(errno) : "ok");
    int n = open("/dev/null", O_RDWR);
    char *q = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, n, 0);
    printf("/dev/null: %s\n", q == MAP_FAILED ? strerror(errno) : "ok");
    return 0;
}
