/* Opening the running program's own file for writing, by every name it has: Linux says
   ETXTBSY (qemu-user lets the guest write it); reading it and access(W_OK) are fine. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void try(const char *what, const char *path, int flags) {
    int fd = open(path, flags);
    printf("%s: %s\n", what, fd >= 0 ? "ok" : strerror(errno));
    if (fd >= 0) close(fd);
}

int main(int argc, char **argv) {
    char p[64];
    (void)argc;
    try("exe wronly", "/proc/self/exe", O_WRONLY);
    try("exe rdwr", "/proc/self/exe", O_RDWR);
    try("exe trunc", "/proc/self/exe", O_RDONLY | O_TRUNC);
    try("argv0 wronly", argv[0], O_WRONLY);
    int fd = open("/proc/self/exe", O_RDONLY);
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    try("fd wronly", p, O_WRONLY);
    try("fd rdonly", p, O_RDONLY);
    printf("access W_OK: %s\n", access("/proc/self/exe", W_OK) ? strerror(errno) : "ok");
    return 0;
}
