/* Descriptor corners: dup2/dup3 and close-on-exec, pipe2(O_DIRECT) packet pipes (once
   EINVAL), close_range, getrandom's flags (unknown ones were accepted), a device opened
   read-only refusing writes (they succeeded), fsync of a pipe (EINVAL; it was 0). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/random.h>
int main(void) {
    int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int b = open("/dev/null", O_RDONLY | O_CLOEXEC);
    dup2(a, b);
    printf("dup2 onto cloexec: %d\n", fcntl(b, F_GETFD));
    int c = dup3(a, 20, 0);
    printf("dup3 no flag: %d\n", fcntl(c, F_GETFD));
    int p[2];
    errno = 0;
    printf("pipe2 O_DIRECT %d errno %d\n", pipe2(p, O_DIRECT), errno);
    if (errno == 0) {
        write(p[1], "abc", 3); write(p[1], "de", 2);
        char buf[16];
        printf("packet read %zd\n", read(p[0], buf, 16));
    }
    errno = 0;
    printf("close_range %ld errno %d\n", syscall(436, 20, 30, 0), errno);
    printf("closed: %d\n", fcntl(20, F_GETFD));
    int d = open("/dev/null", O_RDONLY);
    int e = dup2(d, 25);
    errno = 0;
    printf("close_range cloexec %ld errno %d getfd %d\n", syscall(436, 25, 25, 4), errno, fcntl(e, F_GETFD));
    char r[8];
    printf("getrandom %zd\n", getrandom(r, 8, GRND_NONBLOCK));
    errno = 0;
    printf("getrandom bad flag %zd errno %d\n", getrandom(r, 8, 0x100), errno);
    errno = 0;
    printf("read dir %zd errno %d\n", read(open("/tmp", O_RDONLY|O_DIRECTORY), r, 8), errno);
    errno = 0;
    printf("write ro %zd errno %d\n", write(open("/dev/null", O_RDONLY), r, 1), errno);
    errno = 0;
    printf("fsync pipe %d errno %d\n", fsync(p[0]), errno);
    errno = 0;
    printf("ftruncate pipe %d errno %d\n", ftruncate(p[0], 0), errno);
    errno = 0;
    printf("lseek pipe %lld errno %d\n", (long long)lseek(p[0], 0, SEEK_CUR), errno);
    return 0;
}
