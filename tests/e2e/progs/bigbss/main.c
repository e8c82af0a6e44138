/* bigbss: an 8 MiB .bss array, a page-aligned one, and initialised data around them; the
 * whole .bss must read as zero, and writes must not disturb the neighbours. */
#include "../common/rt.h"

#define BIG (8L << 20)
extern char big[BIG];
extern long counter;
extern int after[64];
extern char page_aligned[4096];
long sum_bytes(const char *p, long n, long step);

static long local_bss[1000];

int main(int argc, char **argv)
{
    (void)argv;
    check(sum_bytes(big, BIG, 4093) == 0, "big array starts zeroed");
    check(sum_bytes(big + BIG - 4096, 4096, 1) == 0, "end of big array zeroed");
    check(((unsigned long)page_aligned & 4095) == 0, "page-aligned bss array");
    check(sum_bytes((char *)local_bss, sizeof local_bss, 1) == 0, "local bss zeroed");
    big[0] = 1;
    big[BIG / 2] = 2;
    big[BIG - 1] = (char)(argc + 2);
    for (long i = 0; i < BIG; i += 65536)
        big[i] += 1;
    counter += argc;
    local_bss[999] = 5;
    page_aligned[4095] = 9;
    say("sum", sum_bytes(big, BIG, 1024) + big[BIG - 1]);
    say("after[0]", after[0]);
    say("after[63]", after[63]);
    say("counter", counter);
    check(after[0] == 0x11 && after[63] == 0x22, "data next to bss intact");
    return failures + local_bss[999];
}
