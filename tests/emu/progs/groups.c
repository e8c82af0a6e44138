/* getgroups: the supplementary groups of the process (the host's, as under qemu-user), the
   count for a size of 0, EINVAL for a size too small; setgroups of the list it has. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    gid_t g[256];
    int n = getgroups(0, NULL);
    int m = getgroups(256, g);
    printf("getgroups count %d list %d:", n, m);
    for (int i = 0; i < m; i++) printf(" %u", (unsigned)g[i]);
    printf("\n");
    errno = 0;
    if (n > 1) printf("size too small: %d errno %d\n", getgroups(n - 1, g), errno);
    errno = 0;
    int r = setgroups(m, g);
    printf("setgroups of its own list: %d errno %d\n", r, errno);
    return 0;
}
