#include <string.h>

#include "cz.h"

static const char *const words[] = {
    "the", "linker", "reads", "objects", "and", "archives", "resolves", "symbols", "lays", "out",
    "sections", "applies", "relocations", "writes", "an", "executable", "file", "with", "program",
    "headers", "dynamic", "tables", "thread", "local", "storage", "init", "array", "string", "merge",
    "garbage", "collection", "of", "unused", "code", "is", "optional", "relaxation", "shrinks",
    "calls", "on", "risc", "five", "while", "thunks", "extend", "branch", "range", "on", "arm",
};

static uint32_t next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* kind 0: text; 1: a binary table with runs; 2: noisy numbers */
size_t cz_make_input(int kind, uint8_t *out, size_t cap, uint32_t seed)
{
    size_t n = 0;
    uint32_t s = seed | 1;
    const size_t nw = sizeof words / sizeof words[0];
    while (n + 32 < cap) {
        uint32_t r = next(&s);
        if (kind == 0) {
            const char *w = words[r % nw];
            size_t l = strlen(w);
            memcpy(out + n, w, l);
            n += l;
            out[n++] = (r >> 8) % 11 == 0 ? '\n' : ' ';
        } else if (kind == 1) {
            int run = 1 + (r >> 4) % 24;
            for (int i = 0; i < run; i++)
                out[n++] = (uint8_t)(r >> 24) + (uint8_t)(i * ((r >> 12) & 3));
        } else {
            for (int i = 0; i < 6; i++)
                out[n++] = (uint8_t)('0' + (next(&s) % 10) * (i < 3));
            out[n++] = ',';
        }
    }
    return n;
}
