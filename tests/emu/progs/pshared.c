/* Process-shared synchronisation in MAP_SHARED|MAP_ANONYMOUS memory across fork: a
   semaphore, a mutex with a condition variable, a barrier, a timed wait that times out, and
   threads of one process waiting there too. Their futexes were the
   process's own: a waiter in one process was never woken from another (sem_wait hung). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define P(...) do { printf(__VA_ARGS__); fflush(stdout); } while (0)

struct shared {
    sem_t sem, done;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_barrier_t bar;
    int flag;
};

static struct shared *sh;

static void msleep(int ms) {
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&d, &d) != 0) {}
}

static void *thread_waits(void *a) {
    sem_wait(&sh->sem);          /* woken by the other process's post */
    sem_post(&sh->done);
    (void)a;
    return NULL;
}

int main(void) {
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sem_init(&sh->sem, 1, 0);
    sem_init(&sh->done, 1, 0);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&sh->mu, &ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_cond_init(&sh->cv, &ca);
    pthread_barrierattr_t ba;
    pthread_barrierattr_init(&ba);
    pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(&sh->bar, &ba, 3);

    /* a semaphore: the child waits, the parent posts */
    pid_t c = fork();
    if (c == 0) _exit(sem_wait(&sh->sem) == 0 ? 0 : 1);
    msleep(100);
    sem_post(&sh->sem);
    int st;
    waitpid(c, &st, 0);
    P("sem: child woken %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* a condition variable: the child waits for the flag */
    c = fork();
    if (c == 0) {
        pthread_mutex_lock(&sh->mu);
        while (!sh->flag) pthread_cond_wait(&sh->cv, &sh->mu);
        pthread_mutex_unlock(&sh->mu);
        _exit(0);
    }
    msleep(100);
    pthread_mutex_lock(&sh->mu);
    sh->flag = 1;
    pthread_cond_broadcast(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
    waitpid(c, &st, 0);
    P("cond: child woken %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* a barrier of three processes (no contended counter: the engine's atomic instructions
       are not atomic between host processes, docs/run.md) */
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            if (pthread_barrier_wait(&sh->bar) == PTHREAD_BARRIER_SERIAL_THREAD)
                _exit(10);
            _exit(0);
        }
    }
    int serial = pthread_barrier_wait(&sh->bar) == PTHREAD_BARRIER_SERIAL_THREAD;
    for (int k = 0; k < 2; k++) {
        waitpid(kids[k], &st, 0);
        serial += WIFEXITED(st) && WEXITSTATUS(st) == 10;
    }
    P("barrier: one serial %d\n", serial == 1);

    /* a timed wait nobody ends */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    errno = 0;
    int r = sem_timedwait(&sh->sem, &ts);
    P("timed: %d errno %d\n", r, errno);

    /* two threads of this process wait; the child posts twice */
    pthread_t t[2];
    for (int k = 0; k < 2; k++) pthread_create(&t[k], NULL, thread_waits, NULL);
    c = fork();
    if (c == 0) {
        msleep(100);
        sem_post(&sh->sem);
        sem_post(&sh->sem);
        _exit(0);
    }
    for (int k = 0; k < 2; k++) pthread_join(t[k], NULL);
    waitpid(c, NULL, 0);
    int v;
    sem_getvalue(&sh->done, &v);
    P("threads: both woken %d\n", v == 2);
    return 0;
}
