/* Atomics: GCC's outline atomics pick LSE instructions when AT_HWCAP says the CPU has them,
 * so this checks that the advertised capabilities are ones the emulated CPU really has. */
#include <stdio.h>
#include <stdatomic.h>
#include <sys/auxv.h>

static _Atomic long counter;

int main(void)
{
    long expected = 0;
    for (int i = 0; i < 1000; i++)
        atomic_fetch_add(&counter, i);
    atomic_compare_exchange_strong(&counter, &expected, 1);   /* fails: counter != 0 */
    long old = atomic_exchange(&counter, 7);
    printf("sum %ld old %ld now %ld expected %ld\n", old, old, (long)counter, expected);
    printf("auxv pagesz %lu clktck %lu secure %lu\n", getauxval(AT_PAGESZ), getauxval(AT_CLKTCK),
           getauxval(AT_SECURE));
    return 0;
}
