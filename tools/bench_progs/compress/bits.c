#include <stdlib.h>

#include "cz.h"

void bw_init(bitw_t *w, size_t cap)
{
    w->buf = malloc(cap);
    w->cap = cap;
    w->len = 0;
    w->acc = 0;
    w->nbits = 0;
}

void bw_put(bitw_t *w, uint32_t v, int n)
{
    w->acc |= (uint64_t)v << w->nbits;
    w->nbits += n;
    while (w->nbits >= 8) {
        if (w->len < w->cap)
            w->buf[w->len++] = (uint8_t)w->acc;
        w->acc >>= 8;
        w->nbits -= 8;
    }
}

size_t bw_finish(bitw_t *w)
{
    if (w->nbits > 0)
        bw_put(w, 0, 8 - w->nbits);
    return w->len;
}

void br_init(bitr_t *r, const uint8_t *buf, size_t len)
{
    r->buf = buf;
    r->len = len;
    r->pos = 0;
    r->acc = 0;
    r->nbits = 0;
}

uint32_t br_get(bitr_t *r, int n)
{
    while (r->nbits < n) {
        uint64_t byte = r->pos < r->len ? r->buf[r->pos] : 0;
        r->pos++;
        r->acc |= byte << r->nbits;
        r->nbits += 8;
    }
    uint32_t v = (uint32_t)(r->acc & ((1ull << n) - 1));
    r->acc >>= n;
    r->nbits -= n;
    return v;
}
