/* Robust mutexes: a thread that ends holding one, and a process that ends holding a
   process-shared one, leave it to the next locker with EOWNERDEAD (the kernel's robust list,
   set_robust_list; it was ignored and the next lock waited for ever), which makes it
   consistent and goes on; a mutex made unusable (unlocked without pthread_mutex_consistent)
   gives ENOTRECOVERABLE. Each owner says through a pipe that it holds the mutex before the
   next locker tries: with a sleep instead, a loaded machine let the locker in first, and the
   owner then blocked for ever (the program hung in wait4, or pthread_join). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define P(...) do { printf(__VA_ARGS__); fflush(stdout); } while (0)

static pthread_mutex_t m, m2;
static int held[2];                     /* an owner writes a byte once it holds the mutex */

static void say_held(void) {
    if (write(held[1], "h", 1) != 1)
        _exit(3);
}

static void wait_held(void) {
    char c;
    if (read(held[0], &c, 1) != 1)
        _exit(4);
}

static void *die_holding(void *a) {
    pthread_mutex_lock(&m);
    (void)a;
    return NULL;
}

static void *hold_a_while(void *a) {
    struct timespec d = {0, 100000000};
    pthread_mutex_lock(&m2);
    say_held();
    nanosleep(&d, NULL);
    (void)a;
    return NULL;                        /* ends holding it, while main waits for it */
}

int main(void) {
    pthread_mutexattr_t at;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&m, &at);
    pthread_mutex_init(&m2, &at);
    pthread_t t, w;
    if (pipe(held) != 0)
        return 2;
    pthread_create(&t, NULL, die_holding, NULL);
    pthread_join(t, NULL);
    int r = pthread_mutex_lock(&m);
    P("after the owner thread ended: %d EOWNERDEAD %d\n", r, r == EOWNERDEAD);
    P("consistent %d\n", pthread_mutex_consistent(&m));
    r = pthread_mutex_unlock(&m);
    P("unlock %d", r);
    P(", lock again %d\n", pthread_mutex_lock(&m));
    pthread_mutex_unlock(&m);

    /* a waiter blocked on a robust mutex whose owner thread ends */
    pthread_mutex_destroy(&m2);
    pthread_mutex_init(&m2, &at);
    pthread_create(&w, NULL, hold_a_while, NULL);
    struct timespec d = {0, 50000000};
    wait_held();
    r = pthread_mutex_lock(&m2);
    P("waited for the owner thread: %d EOWNERDEAD %d\n", r, r == EOWNERDEAD);
    pthread_join(w, NULL);

    /* not made consistent: unusable */
    pthread_create(&t, NULL, die_holding, NULL);
    pthread_join(t, NULL);
    r = pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    r = pthread_mutex_lock(&m);
    P("not made consistent: %d ENOTRECOVERABLE %d\n", r, r == ENOTRECOVERABLE);

    /* a process-shared one, its owner process ends */
    pthread_mutex_t *pm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(pm, &at);
    pid_t c = fork();
    if (c == 0) {
        pthread_mutex_lock(pm);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    r = pthread_mutex_lock(pm);
    P("after the owner process ended: %d EOWNERDEAD %d\n", r, r == EOWNERDEAD);
    /* and one whose owner process ends while this one waits */
    pthread_mutex_consistent(pm);
    pthread_mutex_unlock(pm);
    c = fork();
    if (c == 0) {
        pthread_mutex_lock(pm);
        say_held();
        nanosleep(&d, NULL);
        _exit(0);
    }
    wait_held();
    r = pthread_mutex_lock(pm);
    P("the owner process held it and ended: %d EOWNERDEAD %d\n", r, r == EOWNERDEAD);
    waitpid(c, NULL, 0);
    return 0;
}
