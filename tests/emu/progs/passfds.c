/* The descriptors a caller leaves open past 0-2 (a shell's `3<file 5>&...`, a make jobserver's
 * pipe): which are open, their flags, their kinds; each is read or written through. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    for (int fd = 3; fd < 10; fd++) {
        int fdfl = fcntl(fd, F_GETFD);
        if (fdfl < 0) {
            printf("%d: closed\n", fd);
            continue;
        }
        int fl = fcntl(fd, F_GETFL);
        struct stat st;
        fstat(fd, &st);
        const char *kind = S_ISREG(st.st_mode) ? "file" : S_ISFIFO(st.st_mode) ? "fifo"
                         : S_ISSOCK(st.st_mode) ? "socket" : S_ISDIR(st.st_mode) ? "dir" : "other";
        printf("%d: %s cloexec=%d acc=%d nonblock=%d append=%d", fd, kind, !!(fdfl & FD_CLOEXEC),
               fl & O_ACCMODE, !!(fl & O_NONBLOCK), !!(fl & O_APPEND));
        char buf[64];
        if ((fl & O_ACCMODE) != O_WRONLY && !S_ISDIR(st.st_mode)) {
            ssize_t n = read(fd, buf, sizeof buf - 1);
            buf[n > 0 ? n : 0] = 0;
            printf(" read=%zd '%s'", n, strtok(buf, "\n") ? buf : "");
        }
        if ((fl & O_ACCMODE) != O_RDONLY) {
            char line[32];
            int len = snprintf(line, sizeof line, "written to %d\n", fd);
            printf(" write=%zd", write(fd, line, len));
        }
        printf("\n");
    }
    /* a child process and a program it executes see them too */
    fflush(stdout);
    return system("echo from sh >&5") == 0 ? 0 : 3;
}
