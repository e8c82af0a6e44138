/* Pages of a MAP_SHARED file mapping wholly past the end of the file: touching one is SIGBUS
   (BUS_ADRERR, si_addr the byte touched) that the program's handler catches; once the file
   grows (ftruncate, or a write through another descriptor) the page is the file's; after the
   file is truncated it is SIGBUS again; a system call's buffer there is EFAULT. argv[1] "die": the last touch has no handler. The
   emulator's host process died of its own SIGBUS there (under the in-process API, the
   caller). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile char *p;
static volatile int code, sig;
static volatile long off;

static void on_bus(int s, siginfo_t *si, void *uc) {
    (void)uc;
    sig = s;
    code = si->si_code;
    off = (char *)si->si_addr - (char *)p;
    siglongjmp(back, 1);
}

static void touch(const char *what, long at, int store) {
    sig = 0;
    if (sigsetjmp(back, 1) == 0) {
        int v = store ? (p[at] = 'w') : p[at];
        printf("%s: %s %ld ok, reads %d\n", what, store ? "store" : "load", at, v);
    } else {
        printf("%s: %s %ld: signal %d code %d at offset %ld\n", what, store ? "store" : "load",
               at, sig, code, off);
    }
}

int main(int argc, char **argv) {
    char path[] = "/tmp/xld-filebus-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, "0123456789", 10) != 10) return 1;
    unlink(path);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return 2;
    touch("first page", 5, 0);
    touch("first page past the end", 100, 0);
    touch("second page", 4096 + 7, 0);
    touch("second page", 4096 + 7, 1);
    touch("fourth page", 3 * 4096, 0);
    ftruncate(fd, 4096 + 100);
    touch("grown by ftruncate", 4096 + 7, 1);
    touch("third page", 2 * 4096 + 1, 0);
    int other = open("/proc/self/fd/3", O_RDWR);
    pwrite(other >= 0 ? other : fd, "X", 1, 3 * 4096 + 2);
    touch("grown by a write", 3 * 4096 + 2, 0);
    touch("third page now", 2 * 4096 + 1, 0);
    close(other);
    ftruncate(fd, 50);
    touch("truncated", 4096 + 7, 0);
    touch("truncated", 40, 0);
    char buf[8] = {0};
    pread(fd, buf, 1, 4096 + 7);
    printf("store past the end not in the file: %d\n", buf[0]);
    int pp[2];
    pipe(pp);
    errno = 0;
    printf("write() from past the end: %zd errno %d\n", write(pp[1], (char *)p + 4096, 8), errno);
    write(pp[1], "12345678", 8);
    errno = 0;
    printf("read() into past the end: %zd errno %d\n", read(pp[0], (char *)p + 2 * 4096, 8), errno);
    close(fd);
    touch("closed descriptor", 3 * 4096, 1);
    if (argc > 1 && strcmp(argv[1], "die") == 0) {
        signal(SIGBUS, SIG_DFL);
        fflush(stdout);
        p[2 * 4096] = 1;
        printf("not reached\n");
    }
    return 0;
}
