/* System-call-heavy loop for the benchmark: N getppid() calls and N small writes to /dev/null. */
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    int fd = open("/dev/null", O_WRONLY);
    long s = 0;
    for (long i = 0; i < n; i++) {
        s += syscall(SYS_getppid);
        s += write(fd, "x", 1);
    }
    printf("%ld calls\n", 2 * n);
    return s > 0 ? 0 : 1;
}
