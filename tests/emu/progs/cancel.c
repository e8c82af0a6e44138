/* pthread_cancel of threads at cancellation points: one polling pthread_testcancel, one
   blocked in pause() and one in read() of an empty pipe. The last two are cancelled from the
   SIGCANCEL handler (glibc: its siginfo must say SI_TKILL from the process itself), which
   unwinds through the signal frame: the unwinder reads the rt_sigreturn trampoline's code
   and the ucontext's registers. Cleanup handlers run in each. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int fds[2];

static void cleanup(void *name) { printf("cleanup %s\n", (const char *)name); }

static void *polling(void *arg) {
    pthread_cleanup_push(cleanup, "polling");
    for (;;) {
        pthread_testcancel();
        usleep(1000);
    }
    pthread_cleanup_pop(0);
    return arg;
}

static void *pausing(void *arg) {
    pthread_cleanup_push(cleanup, "pausing");
    for (;;)
        pause();
    pthread_cleanup_pop(0);
    return arg;
}

static void *reading(void *arg) {
    char c;
    pthread_cleanup_push(cleanup, "reading");
    for (;;)
        read(fds[0], &c, 1);
    pthread_cleanup_pop(0);
    return arg;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pipe(fds);
    void *(*fns[])(void *) = {polling, pausing, reading};
    for (int i = 0; i < 3; i++) {
        pthread_t t;
        void *r;
        pthread_create(&t, NULL, fns[i], NULL);
        usleep(20000);
        pthread_cancel(t);
        pthread_join(t, &r);
        printf("thread %d cancelled: %d\n", i, r == PTHREAD_CANCELED);
    }
    return 0;
}
