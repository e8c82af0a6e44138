/* Which file an absolute path names when a sysroot is in play: read-only lookups try the
   sysroot first, writes go to the root, relative paths are never redirected. */
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

static void show(const char *path)
{
    char buf[128] = "";
    FILE *f = fopen(path, "r");
    if (!f) { printf("read %s: (none)\n", path); return; }
    if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
    fclose(f);
    printf("read %s: %s", path, buf);
}

int main(void)
{
    struct stat st;
    show("/etc/greeting");
    show("/etc/motd");
    int fd = open("/etc/greeting", O_WRONLY | O_TRUNC);
    printf("wrote /etc/greeting: %d\n", fd < 0 ? -1 : (int)(write(fd, "hello\n", 6) != 6));
    if (fd >= 0) close(fd);
    show("/etc/greeting");
    printf("stat /lib/libc.so.6: %d\n", stat("/lib/libc.so.6", &st));
    int dir = open("/lib", O_RDONLY | O_DIRECTORY);
    int lib = openat(dir, "libc.so.6", O_RDONLY);
    printf("openat(/lib dir, libc.so.6): %d %d\n", dir >= 0, lib >= 0);
    printf("fstatat(/lib dir, libc.so.6): %d\n", fstatat(dir, "libc.so.6", &st, 0));
    chdir("/");
    FILE *f = fopen("etc/greeting", "r");
    char buf[64] = "(none)\n";
    if (f) { fgets(buf, sizeof buf, f); fclose(f); }
    printf("relative etc/greeting: %s", buf);
    return 0;
}
