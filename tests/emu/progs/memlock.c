/* Memory already locked counts against RLIMIT_MEMLOCK, as an unprivileged process sees it:
   mlock adds up (a range locked again counts once), munlock and munmap give pages back, a
   forked child starts with nothing locked, mlockall(MCL_FUTURE) makes mmap lock (EAGAIN
   beyond the limit), MAP_LOCKED too. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define K 1024
static const char *e(int r) { return r == 0 ? "ok" : strerror(errno); }

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct rlimit rl = {64 * K, 64 * K};
    if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) { perror("setrlimit"); return 1; }
    char *p = mmap(NULL, 256 * K, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mlock 32K: %s\n", e(mlock(p, 32 * K)));
    printf("mlock next 32K: %s\n", e(mlock(p + 32 * K, 32 * K)));
    printf("mlock 4K more: %s\n", e(mlock(p + 64 * K, 4 * K)));
    printf("mlock the first 48K again: %s\n", e(mlock(p, 48 * K)));
    const char *a = e(munlock(p + 8 * K, 8 * K));
    printf("munlock 8K, then mlock 4K more: %s, %s\n", a, e(mlock(p + 64 * K, 4 * K)));
    printf("mlock 8K more: %s\n", e(mlock(p + 68 * K, 8 * K)));
    pid_t c = fork();
    if (c == 0) {
        printf("child: mlock 64K: %s\n", e(mlock(p + 128 * K, 64 * K)));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    a = e(munmap(p + 32 * K, 32 * K));
    printf("munmap 32K of it, then mlock 16K: %s, %s\n", a, e(mlock(p + 128 * K, 16 * K)));
    printf("munlockall: %s\n", e(munlockall()));
    printf("mlockall future: %s\n", e(mlockall(MCL_FUTURE)));
    char *q = mmap(NULL, 32 * K, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap 32K locked: %s\n", q == MAP_FAILED ? strerror(errno) : "ok");
    char *r = mmap(NULL, 48 * K, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap 48K more: %s\n", r == MAP_FAILED ? strerror(errno) : "ok");
    printf("mlock 40K: %s\n", e(mlock(p + 128 * K, 40 * K)));
    munlockall();
    r = mmap(NULL, 48 * K, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("after munlockall mmap 48K: %s\n", r == MAP_FAILED ? strerror(errno) : "ok");
    r = mmap(NULL, 80 * K, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    printf("MAP_LOCKED 80K: %s\n", r == MAP_FAILED ? strerror(errno) : "ok");
    r = mmap(NULL, 32 * K, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    printf("MAP_LOCKED 32K: %s\n", r == MAP_FAILED ? strerror(errno) : "ok");
    printf("mlock 40K: %s\n", e(mlock(p + 128 * K, 40 * K)));
    return 0;
}
