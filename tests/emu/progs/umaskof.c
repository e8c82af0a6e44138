/* The umask a program starts with is its caller's, as under qemu-user (BusyBox's uuencode
   prints 0666 & ~umask for standard input). */
#include <stdio.h>
#include <sys/stat.h>

int main(void) {
    mode_t m = umask(0);
    printf("umask=%03o uuencode-mode=%o\n", (unsigned)m, 0666u & ~(unsigned)m);
    return 0;
}
