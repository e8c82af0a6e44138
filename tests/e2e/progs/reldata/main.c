/* reldata: PC-relative and absolute relocations in data, and alignment that must survive
 * RISC-V relaxation (functions aligned to 32/64 bytes, .p2align inside code, 256-byte data). */
#include "../common/rt.h"

typedef int (*fn)(int);
extern const int rel32[4];
extern const long rel64[3];
extern const int from_base[2];
extern const unsigned abs32[2];
extern const long aligned_data[4];
extern long plain_data;
int target_a(int), target_b(int), target_c(int);
int aligned_code(void);
extern char aligned_label[];

static const void *via32(const int *p) { return (const char *)p + *p; }
static const void *via64(const long *p) { return (const char *)p + *p; }

int main(int argc, char **argv)
{
    (void)argv;
    long sum = 0;
    for (int i = 0; i < 3; i++)
        sum = sum * 10 + ((fn)via32(&rel32[i]))(argc + 5);
    say("rel32 calls", sum);
    check(*(const long *)via32(&rel32[3]) == 33, "rel32 to data with addend");
    check(via64(&rel64[0]) == (const void *)target_a, "rel64 to function");
    check(((fn)via64(&rel64[1]))(argc) == argc - 100, "rel64 call");
    check(*(const long *)via64(&rel64[2]) == 5, "rel64 to data");
    check((const char *)from_base + from_base[0] == (const char *)target_b, "offset from base");
    check(*(const long *)((const char *)from_base + from_base[1]) == 11, "data from base");
    check(abs32[0] == (unsigned long)target_c, "abs32 to function");
    check(abs32[1] == (unsigned long)&plain_data, "abs32 to data");
    check(((unsigned long)target_a & 63) == 0, "function aligned to 64");
    check(((unsigned long)target_b & 31) == 0, "function aligned to 32");
    check(((unsigned long)aligned_data & 255) == 0, "data aligned to 256");
    check(((unsigned long)aligned_label & 63) == 0, ".p2align 6 inside code");
    say("aligned_code", aligned_code());
    return failures + (int)(sum & 0x3f);
}
