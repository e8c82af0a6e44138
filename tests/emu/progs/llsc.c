/* Lock-free counter with the load-exclusive/store-exclusive (LR/SC) loops themselves: built
   without LSE atomics on arm64, so every increment is LDXR/STXR. Correct only if a thread
   switched out between the two sees its store fail. Also a spinlock built from them. */
#include <pthread.h>
#include <stdio.h>

static long counter;
static int lock;
static long guarded;

static void *work(void *arg) {
    (void)arg;
    for (int i = 0; i < 200000; i++) {
        __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
        if (i % 16 == 0) {
            while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE)) { }
            guarded++;
            __atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
        }
    }
    return NULL;
}

int main(void) {
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, work, NULL);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    printf("counter %ld guarded %ld\n", counter, guarded);
    return counter == 800000 && guarded == 4 * 12500 ? 0 : 1;
}
