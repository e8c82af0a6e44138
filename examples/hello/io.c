/* io.c: output through write(2), and a line counter in .bss. */
#include "sys.h"

unsigned long lines_written;          /* zero-initialised: .bss */

static unsigned long length(const char *s)
{
    unsigned long n = 0;
    while (s[n])
        n++;
    return n;
}

void put(const char *s)
{
    syscall3(SYS_write, 1, (long)s, (long)length(s));
}

void put_line(const char *s)
{
    put(s);
    put("\n");
    lines_written++;
}

void put_num(long v)
{
    char buf[24];
    int i = sizeof buf - 1;
    unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        buf[--i] = '-';
    put(buf + i);
}
