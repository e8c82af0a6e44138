/* CPU and memory work for the emulator benchmark: the primes below N (default 20,000,000) by
   the sieve of Eratosthenes, a byte per number, counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000000;
    char *composite = calloc(n + 1, 1);
    long count = 0;
    for (long i = 2; i <= n; i++) {
        if (composite[i])
            continue;
        count++;
        for (long j = i * i; j <= n; j += i)
            composite[j] = 1;
    }
    printf("primes below %ld: %ld\n", n, count);
    return 0;
}
