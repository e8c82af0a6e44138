/* Uses Zbb instructions when built with -march=rv64gc_zba_zbb (popcount, clz). */
#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) int bits(unsigned long x) { return __builtin_popcountl(x) + __builtin_clzl(x | 1); }
int main(int argc, char **argv) { printf("%d\n", bits(strtoul(argc > 1 ? argv[1] : "12345", 0, 0))); return 0; }
