#include <stdlib.h>
#include <string.h>

#include "cz.h"

#define HBITS 15
#define WINDOW 32768
#define MINM 3
#define MAXM 258
#define CHAIN 32

/* Symbols: 0..255 literals, 256 + length - MINM for matches (extra[i] = distance). */
size_t lz_compress(const uint8_t *in, size_t n, uint16_t *syms, uint32_t *extra, size_t cap)
{
    int32_t *head = malloc(sizeof(int32_t) << HBITS);
    int32_t *prev = malloc(sizeof(int32_t) * (n + 1));
    memset(head, 0xff, sizeof(int32_t) << HBITS);
    size_t ns = 0;
    size_t i = 0;
    while (i < n && ns < cap) {
        size_t best = 0, dist = 0;
        if (i + MINM <= n) {
            uint32_t h = ((in[i] << 10) ^ (in[i + 1] << 5) ^ in[i + 2]) & ((1u << HBITS) - 1);
            int32_t j = head[h];
            for (int c = 0; c < CHAIN && j >= 0 && i - (size_t)j <= WINDOW; c++, j = prev[j]) {
                size_t l = 0;
                while (l < MAXM && i + l < n && in[j + l] == in[i + l])
                    l++;
                if (l > best) {
                    best = l;
                    dist = i - (size_t)j;
                }
            }
            prev[i] = head[h];
            head[h] = (int32_t)i;
        }
        if (best >= MINM) {
            syms[ns] = (uint16_t)(256 + best - MINM);
            extra[ns++] = (uint32_t)dist;
            for (size_t k = 1; k < best; k++) {
                size_t p = i + k;
                if (p + MINM <= n) {
                    uint32_t h = ((in[p] << 10) ^ (in[p + 1] << 5) ^ in[p + 2]) & ((1u << HBITS) - 1);
                    prev[p] = head[h];
                    head[h] = (int32_t)p;
                }
            }
            i += best;
        } else {
            syms[ns] = in[i++];
            extra[ns++] = 0;
        }
    }
    free(head);
    free(prev);
    return ns;
}

size_t lz_expand(const uint16_t *syms, const uint32_t *extra, size_t nsyms, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < nsyms; i++) {
        if (syms[i] < 256) {
            if (n < cap)
                out[n++] = (uint8_t)syms[i];
        } else {
            size_t len = syms[i] - 256 + MINM, d = extra[i];
            for (size_t k = 0; k < len && n < cap && d <= n; k++, n++)
                out[n] = out[n - d];
        }
    }
    return n;
}
