/* File system calls inside the root: the test runs it with the root as its directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/mman.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

int main(void)
{
    char buf[256];
    /* read a file that the test put in the root */
    FILE *f = fopen("data.txt", "r");
    if (!f) { perror("data.txt"); return 1; }
    while (fgets(buf, sizeof buf, f))
        printf("data: %s", buf);
    fclose(f);

    /* create, write, seek, pread, fstat */
    mkdir("work", 0755);
    int fd = open("work/out.bin", O_CREAT | O_TRUNC | O_RDWR, 0644);
    if (fd < 0) { perror("open"); return 1; }
    struct iovec iov[2] = {{"abc", 3}, {"defgh", 5}};
    printf("writev %zd\n", writev(fd, iov, 2));
    printf("lseek %ld\n", (long)lseek(fd, 2, SEEK_SET));
    printf("read %zd\n", read(fd, buf, 4));
    buf[4] = 0;
    printf("got %s\n", buf);
    printf("pread %zd\n", pread(fd, buf, 3, 5));
    buf[3] = 0;
    printf("got %s\n", buf);
    struct stat st;
    fstat(fd, &st);
    printf("size %ld reg %d\n", (long)st.st_size, S_ISREG(st.st_mode));
    /* a private file mapping */
    char *m = mmap(0, 8, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("mmap %.8s\n", m == MAP_FAILED ? "failed" : m);
    munmap(m, 8);
    close(fd);

    /* stat, access, rename, directory listing */
    printf("stat %d\n", stat("work/out.bin", &st));
    printf("access %d\n", access("work/out.bin", R_OK));
    printf("rename %d\n", rename("work/out.bin", "work/moved.bin"));
    printf("missing %d errno %s\n", open("work/out.bin", O_RDONLY), strerror(errno));
    close(open("work/b", O_CREAT | O_WRONLY, 0600));
    close(open("work/a", O_CREAT | O_WRONLY, 0600));
    DIR *d = opendir("work");
    char *names[16];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 16)
        names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    for (int i = 0; i < n; i++)
        printf("entry %s\n", names[i]);

    /* dup, pipes, fcntl */
    int p[2];
    printf("pipe %d\n", pipe(p));
    write(p[1], "through a pipe", 14);
    close(p[1]);
    ssize_t r = read(p[0], buf, sizeof buf);
    printf("pipe read %zd %.*s\n", r, (int)r, buf);
    close(p[0]);
    int d2 = dup(1);
    dprintf(d2, "dup'ed stdout %d\n", fcntl(d2, F_GETFD));
    close(d2);

    /* clean up */
    printf("unlink %d %d %d\n", unlink("work/moved.bin"), unlink("work/a"), unlink("work/b"));
    printf("rmdir %d\n", rmdir("work"));
    return 0;
}
