#include "../common/rt.h"

int is_odd(unsigned n);
int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

const u64 magic[6] = {0xdeadbeefcafebabeULL, 0x8000000000000000ULL, 1,
                      0x00000000ffffffffULL, 0x5555555555555555ULL, 0xffffffff00000000ULL};
const char *const shared_literal = "the quick brown fox";

u64 fnv1a(const char *s)
{
    u64 h = 0xcbf29ce484222325ULL;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
    return h;
}
