/* Makes a system call xld run does not serve. */
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <errno.h>
#include <string.h>

int main(void)
{
    printf("before\n");
    fflush(stdout);
    long r = syscall(__NR_io_setup, 1, 0);   /* asm-generic 0 */
    printf("after: %ld %s\n", r, r < 0 ? strerror(errno) : "");
    return 0;
}
