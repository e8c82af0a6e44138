/* Tries to leave the sandbox; prints what each attempt saw. The test plants "outside.txt"
 * next to the root and symlinks pointing out of it. */
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>

static void try_open(const char *path)
{
    char buf[64] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: %s\n", path, strerror(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("%s: read %zd: %.20s\n", path, n, n > 0 ? buf : "");
    close(fd);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        try_open(argv[i]);
    int fd = open("/../../../../escaped_write.txt", O_CREAT | O_WRONLY, 0644);
    printf("write outside: %s\n", fd >= 0 ? "created (inside root)" : strerror(errno));
    char cwd[256];
    printf("cwd %s\n", getcwd(cwd, sizeof cwd) ? cwd : strerror(errno));
    chdir("../../..");
    printf("cwd %s\n", getcwd(cwd, sizeof cwd) ? cwd : strerror(errno));
    fd = open("/tmp/scratch", O_CREAT | O_RDWR, 0600);
    printf("tmp %s\n", fd >= 0 ? "ok" : strerror(errno));
    return 0;
}
