/* rt.c: output helpers. Everything goes through one small buffer flushed at newlines,
 * so programs make few system calls. */
#include "rt.h"

int failures;
static char buf[256];
static unsigned used;

static void flush(void)
{
    if (used)
        rt_syscall3(SYS_write, 1, (long)buf, used);
    used = 0;
}

size_t rt_strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int rt_strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

void put(const char *s)
{
    while (*s) {
        if (used == sizeof buf)
            flush();
        buf[used++] = *s++;
    }
}

void nl(void)
{
    put("\n");
    flush();
}

void put_dec(long long v)
{
    char tmp[24];
    int i = sizeof tmp - 1;
    unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
    tmp[i] = 0;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[--i] = '-';
    put(tmp + i);
}

void put_hex(u64 v)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[19];
    tmp[0] = '0';
    tmp[1] = 'x';
    for (int i = 0; i < 16; i++)
        tmp[2 + i] = digits[(v >> (60 - 4 * i)) & 15];
    tmp[18] = 0;
    put(tmp);
}

void say(const char *label, long long v)
{
    put(label);
    put(" = ");
    put_dec(v);
    nl();
}

void check(int ok, const char *what)
{
    put(ok ? "ok " : "FAIL ");
    put(what);
    nl();
    if (!ok)
        failures++;
}
