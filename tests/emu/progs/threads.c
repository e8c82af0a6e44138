#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 4
#define ITERS 10000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread int tls_val = 7;
static __thread char tls_name[16];

static void *adder(void *arg) {
    long id = (long)arg;
    tls_val = 100 + (int)id;
    snprintf(tls_name, sizeof tls_name, "worker-%ld", id);
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    if (tls_val != 100 + (int)id || strcmp(tls_name, "worker-x") == 0) return (void *)-1L;
    return (void *)(id * 1000 + tls_val);
}

/* producer/consumer on a condition variable */
#define QN 8
static int q[QN], qh, qt, qcount;
static pthread_cond_t notfull = PTHREAD_COND_INITIALIZER, notempty = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t qm = PTHREAD_MUTEX_INITIALIZER;

static void *producer(void *arg) {
    (void)arg;
    for (int i = 1; i <= 500; i++) {
        pthread_mutex_lock(&qm);
        while (qcount == QN) pthread_cond_wait(&notfull, &qm);
        q[qt] = i; qt = (qt + 1) % QN; qcount++;
        pthread_cond_signal(&notempty);
        pthread_mutex_unlock(&qm);
    }
    pthread_mutex_lock(&qm);
    while (qcount == QN) pthread_cond_wait(&notfull, &qm);
    q[qt] = -1; qt = (qt + 1) % QN; qcount++;
    pthread_cond_signal(&notempty);
    pthread_mutex_unlock(&qm);
    return NULL;
}

static void *consumer(void *arg) {
    long sum = 0;
    for (;;) {
        pthread_mutex_lock(&qm);
        while (qcount == 0) pthread_cond_wait(&notempty, &qm);
        int v = q[qh]; qh = (qh + 1) % QN; qcount--;
        pthread_cond_signal(&notfull);
        pthread_mutex_unlock(&qm);
        if (v < 0) break;
        sum += v;
    }
    *(long *)arg = sum;
    return NULL;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;
static void init_once(void) { once_runs++; }
static void *oncer(void *arg) { (void)arg; pthread_once(&once, init_once); return NULL; }

int main(void) {
    pthread_t th[N];
    for (long i = 0; i < N; i++)
        if (pthread_create(&th[i], NULL, adder, (void *)i)) { puts("create failed"); return 1; }
    long total = 0;
    for (int i = 0; i < N; i++) {
        void *r;
        pthread_join(th[i], &r);
        printf("thread %d returned %ld\n", i, (long)r);
        total += (long)r;
    }
    printf("counter %ld (expected %d)\n", counter, N * ITERS);
    printf("main tls %d\n", tls_val);

    pthread_t p, c;
    long sum = 0;
    pthread_create(&c, NULL, consumer, &sum);
    pthread_create(&p, NULL, producer, NULL);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    printf("consumer sum %ld\n", sum);

    pthread_t o[3];
    for (int i = 0; i < 3; i++) pthread_create(&o[i], NULL, oncer, NULL);
    for (int i = 0; i < 3; i++) pthread_join(o[i], NULL);
    pthread_once(&once, init_once);
    printf("once ran %d time(s)\n", once_runs);
    return counter == N * ITERS ? 3 : 4;
}
