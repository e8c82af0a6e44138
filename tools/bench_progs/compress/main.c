#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cz.h"

static double entropy(const uint8_t *p, size_t n)
{
    size_t f[256] = {0};
    for (size_t i = 0; i < n; i++)
        f[p[i]]++;
    double e = 0;
    for (int k = 0; k < 256; k++)
        if (f[k])
            e -= (double)f[k] / n * log2((double)f[k] / n);
    return e;
}

int main(void)
{
    const size_t cap = 160000;
    uint8_t *in = malloc(cap), *packed = malloc(2 * cap), *back = malloc(cap);
    uint16_t *syms = malloc(sizeof *syms * cap), *syms2 = malloc(sizeof *syms2 * cap);
    uint32_t *extra = malloc(sizeof *extra * cap), *extra2 = malloc(sizeof *extra2 * cap);
    static const char *const names[] = {"text", "runs", "numbers"};
    int bad = 0;
    for (int kind = 0; kind < 3; kind++) {
        size_t n = cz_make_input(kind, in, cap, 2463534242u + (uint32_t)kind);
        size_t ns = lz_compress(in, n, syms, extra, cap);
        size_t packed_n = huff_encode(syms, extra, ns, packed, 2 * cap);
        size_t ns2 = huff_decode(packed, packed_n, syms2, extra2, cap);
        size_t m = lz_expand(syms2, extra2, ns2, back, cap);
        int ok = m == n && memcmp(in, back, n) == 0;
        bad += !ok;
        printf("%-8s %7zu -> %7zu bytes (%5.1f%%), %zu symbols, entropy %.4f bits/byte, "
               "crc %08x adler %08x %s\n", names[kind], n, packed_n, 100.0 * packed_n / n, ns,
               entropy(in, n), cz_crc32(packed, packed_n), cz_adler32(back, m), ok ? "ok" : "MISMATCH");
    }
    free(in), free(packed), free(back), free(syms), free(syms2), free(extra), free(extra2);
    return bad;
}
