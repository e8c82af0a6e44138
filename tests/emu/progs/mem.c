/* Heap and mappings: many mallocs, big ones (mmap), realloc growth (mremap), mprotect. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>

int main(void)
{
    uint64_t sum = 0;
    void *ptrs[1000];
    for (int i = 0; i < 1000; i++) {
        ptrs[i] = malloc(16 + (i * 37) % 3000);
        memset(ptrs[i], i & 0xff, 16);
    }
    for (int i = 0; i < 1000; i += 2)
        free(ptrs[i]);
    for (int i = 1; i < 1000; i += 2)
        sum += ((unsigned char *)ptrs[i])[5];
    printf("small %llu\n", (unsigned long long)sum);

    char *big = malloc(8 << 20);
    for (int i = 0; i < (8 << 20); i += 4096)
        big[i] = (char)i;
    big = realloc(big, 32 << 20);
    sum = 0;
    for (int i = 0; i < (8 << 20); i += 4096)
        sum += (unsigned char)big[i];
    big[(32 << 20) - 1] = 1;
    printf("big %llu\n", (unsigned long long)sum);
    free(big);

    char *m = mmap(0, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(m + 4096, "mapped");
    printf("mprotect %d\n", mprotect(m, 4096, PROT_READ));
    printf("%s\n", m + 4096);
    m = mremap(m, 1 << 16, 1 << 20, MREMAP_MAYMOVE);
    printf("mremap %s\n", m == MAP_FAILED ? "failed" : m + 4096);
    printf("munmap %d\n", munmap(m, 1 << 20));
    char *c = calloc(1 << 20, 4);
    for (int i = 0; i < (4 << 20); i++)
        if (c[i]) { puts("calloc not zero"); return 1; }
    puts("calloc zero");
    return 0;
}
