/* Empty path names fail with ENOENT (openat, open, stat, access, readlink), as on Linux. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

static void show(const char *what, long r)
{
    printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "ok");
}

int main(void)
{
    struct stat st;
    char buf[64];
    show("openat AT_FDCWD \"\"", openat(AT_FDCWD, "", O_RDONLY));
    show("open \"\" O_DIRECTORY", open("", O_RDONLY | O_DIRECTORY));
    show("stat \"\"", stat("", &st));
    show("lstat \"\"", lstat("", &st));
    show("access \"\"", access("", F_OK));
    show("readlink \"\"", readlink("", buf, sizeof buf));
    show("mkdir \"\"", mkdir("", 0755));
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    show("open .", dfd >= 0 ? 0 : -1);
    show("openat dir \"\"", openat(dfd, "", O_RDONLY));
    show("fstatat dir \"\" AT_EMPTY_PATH", fstatat(dfd, "", &st, AT_EMPTY_PATH));
    printf("is dir %d\n", S_ISDIR(st.st_mode));
    return 0;
}
