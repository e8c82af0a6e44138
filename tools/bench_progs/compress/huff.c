#include <stdlib.h>
#include <string.h>

#include "cz.h"

struct node {
    uint32_t freq;
    int sym;          /* -1 for an inner node */
    int left, right;
};

static int by_freq(const void *a, const void *b)
{
    const struct node *x = a, *y = b;
    if (x->freq != y->freq)
        return x->freq < y->freq ? -1 : 1;
    return x->sym - y->sym;
}

static void depth(const struct node *t, int i, int d, uint8_t *len)
{
    if (t[i].sym >= 0) {
        len[t[i].sym] = (uint8_t)(d ? d : 1);
        return;
    }
    depth(t, t[i].left, d + 1, len);
    depth(t, t[i].right, d + 1, len);
}

/* Code lengths from frequencies (two-queue Huffman); too-long codes flatten the frequencies. */
void huff_lengths(const uint32_t *freq, int n, uint8_t *len, int maxlen)
{
    if (n <= 0)
        return;
    struct node *t = calloc(2 * (size_t)n, sizeof *t);
    uint32_t *f = malloc(sizeof *f * (size_t)n);
    memcpy(f, freq, sizeof *f * (size_t)n);
    for (;;) {
        int m = 0;
        for (int s = 0; s < n; s++)
            if (f[s])
                t[m++] = (struct node){f[s], s, -1, -1};
        memset(len, 0, (size_t)n);
        if (m == 0)
            break;
        qsort(t, (size_t)m, sizeof *t, by_freq);
        int leaf = 0, inner = m, top = m;
        while ((m - leaf) + (top - inner) > 1) {
            int pick[2];
            for (int k = 0; k < 2; k++) {
                if (leaf < m && (inner == top || t[leaf].freq <= t[inner].freq))
                    pick[k] = leaf++;
                else
                    pick[k] = inner++;
            }
            t[top++] = (struct node){t[pick[0]].freq + t[pick[1]].freq, -1, pick[0], pick[1]};
        }
        depth(t, top - 1, 0, len);
        int longest = 0;
        for (int s = 0; s < n; s++)
            if (len[s] > longest)
                longest = len[s];
        if (longest <= maxlen)
            break;
        for (int s = 0; s < n; s++)
            if (f[s])
                f[s] = (f[s] >> 1) | 1;
    }
    free(f);
    free(t);
}

/* Canonical codes, bit-reversed for an LSB-first bit stream. */
void huff_codes(const uint8_t *len, int n, uint32_t *code)
{
    uint32_t count[32] = {0}, next[32] = {0};
    for (int s = 0; s < n; s++)
        count[len[s]]++;
    count[0] = 0;
    uint32_t c = 0;
    for (int b = 1; b < 32; b++) {
        c = (c + count[b - 1]) << 1;
        next[b] = c;
    }
    for (int s = 0; s < n; s++) {
        if (!len[s])
            continue;
        uint32_t v = next[len[s]]++, r = 0;
        for (int b = 0; b < len[s]; b++)
            r |= ((v >> b) & 1) << (len[s] - 1 - b);
        code[s] = r;
    }
}

static int dist_bits(uint32_t d)
{
    int b = 0;
    while ((1u << b) <= d)
        b++;
    return b;
}

size_t huff_encode(const uint16_t *syms, const uint32_t *extra, size_t nsyms, uint8_t *out, size_t cap)
{
    uint32_t freq[NSYM] = {0}, code[NSYM] = {0};
    uint8_t len[NSYM];
    for (size_t i = 0; i < nsyms; i++)
        freq[syms[i]]++;
    huff_lengths(freq, NSYM, len, 15);
    huff_codes(len, NSYM, code);
    bitw_t w;
    bw_init(&w, cap);
    bw_put(&w, (uint32_t)nsyms, 32);
    for (int s = 0; s < NSYM; s++)
        bw_put(&w, len[s], 4);
    for (size_t i = 0; i < nsyms; i++) {
        bw_put(&w, code[syms[i]], len[syms[i]]);
        if (syms[i] >= 256) {
            int b = dist_bits(extra[i]);
            bw_put(&w, (uint32_t)b, 5);
            bw_put(&w, extra[i], b);
        }
    }
    size_t n = bw_finish(&w);
    memcpy(out, w.buf, n < cap ? n : cap);
    free(w.buf);
    return n;
}

size_t huff_decode(const uint8_t *in, size_t n, uint16_t *syms, uint32_t *extra, size_t cap)
{
    bitr_t r;
    br_init(&r, in, n);
    size_t nsyms = br_get(&r, 32);
    uint8_t len[NSYM];
    uint32_t code[NSYM] = {0};
    for (int s = 0; s < NSYM; s++)
        len[s] = (uint8_t)br_get(&r, 4);
    huff_codes(len, NSYM, code);
    /* a 15-bit lookup table: every code's bit pattern padded with every suffix */
    uint16_t *table = malloc(sizeof *table << 15);
    for (int s = 0; s < NSYM; s++)
        if (len[s])
            for (uint32_t hi = 0; hi < (1u << (15 - len[s])); hi++)
                table[code[s] | (hi << len[s])] = (uint16_t)s;
    size_t i;
    for (i = 0; i < nsyms && i < cap; i++) {
        uint32_t peek = 0;
        bitr_t save = r;
        peek = br_get(&r, 15);
        r = save;
        uint16_t s = table[peek];
        br_get(&r, len[s]);
        syms[i] = s;
        extra[i] = 0;
        if (s >= 256) {
            int b = (int)br_get(&r, 5);
            extra[i] = b ? br_get(&r, b) : 0;
        }
    }
    free(table);
    return i;
}
