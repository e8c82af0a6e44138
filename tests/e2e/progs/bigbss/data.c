#define BIG (8L << 20)
char big[BIG];
long counter;
int after[64] = {0x11, [63] = 0x22};
__attribute__((aligned(4096))) char page_aligned[4096];

long sum_bytes(const char *p, long n, long step)
{
    long s = 0;
    for (long i = 0; i < n; i += step)
        s += p[i];
    return s;
}
