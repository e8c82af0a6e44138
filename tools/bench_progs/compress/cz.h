/* cz: a small LZ77 + Huffman compressor, the benchmark's "compression-shaped" C program. */
#ifndef CZ_H
#define CZ_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *buf;
    size_t cap, len;
    uint64_t acc;
    int nbits;
} bitw_t;

typedef struct {
    const uint8_t *buf;
    size_t len, pos;
    uint64_t acc;
    int nbits;
} bitr_t;

/* data.c */
size_t cz_make_input(int kind, uint8_t *out, size_t cap, uint32_t seed);
/* crc.c */
uint32_t cz_crc32(const uint8_t *p, size_t n);
uint32_t cz_adler32(const uint8_t *p, size_t n);
/* bits.c */
void bw_init(bitw_t *w, size_t cap);
void bw_put(bitw_t *w, uint32_t v, int n);
size_t bw_finish(bitw_t *w);
void br_init(bitr_t *r, const uint8_t *buf, size_t len);
uint32_t br_get(bitr_t *r, int n);
/* lz.c */
size_t lz_compress(const uint8_t *in, size_t n, uint16_t *syms, uint32_t *extra, size_t cap);
size_t lz_expand(const uint16_t *syms, const uint32_t *extra, size_t nsyms, uint8_t *out, size_t cap);
/* huff.c */
#define NSYM 512
void huff_lengths(const uint32_t *freq, int n, uint8_t *len, int maxlen);
void huff_codes(const uint8_t *len, int n, uint32_t *code);
size_t huff_encode(const uint16_t *syms, const uint32_t *extra, size_t nsyms, uint8_t *out, size_t cap);
size_t huff_decode(const uint8_t *in, size_t n, uint16_t *syms, uint32_t *extra, size_t cap);

#endif
