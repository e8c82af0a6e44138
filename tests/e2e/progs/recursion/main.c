/* recursion: deep and mutual recursion across files, 64-bit constants in code and data,
 * 64-bit arithmetic, string literals (the same literal in two files may be merged). */
#include "../common/rt.h"

int is_even(unsigned n);
int is_odd(unsigned n);
u64 fnv1a(const char *s);
extern const u64 magic[6];
extern const char *const shared_literal;

static long ack(long m, long n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static long depth(long n) { return n == 0 ? 0 : 1 + depth(n - 1); }

static u64 rotl(u64 x, int r) { return (x << r) | (x >> (64 - r)); }

int main(int argc, char **argv)
{
    (void)argv;
    say("ack(2,3)", ack(2, OPAQUE(3)));
    say("depth", depth(OPAQUE(20000)));
    check(is_even(OPAQUE(1000)) && is_odd(OPAQUE(777)), "mutual recursion across files");
    u64 k = 0x0123456789abcdefULL;
    u64 h = OPAQUE(k);
    for (int i = 0; i < 6; i++)
        h = rotl(h ^ magic[i], 13) * 0x100000001b3ULL;
    put("mix ");
    put_hex(h);
    nl();
    put("fnv ");
    put_hex(fnv1a("the quick brown fox"));
    nl();
    check(rt_strcmp(shared_literal, "the quick brown fox") == 0, "same literal in two files");
    check(OPAQUE(0xfedcba9876543210ULL) / 3 == 0x54f43e32d21c10b0ULL, "64-bit division");
    check((long long)OPAQUE(-0x7fffffffffffffffLL) - 1 < 0, "INT64_MIN");
    return (int)((fnv1a("exit") + argc) & 0x7f);
}
