/* A process-wide signal (the itimer's SIGALRM) that comes while the running thread blocks it
   goes to a thread that does not block it (Linux's complete_signal): here a worker waiting in
   pause() while the main thread, which blocks SIGALRM, computes. With an argument, SIGALRM
   keeps its default action: it ends the whole process. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handler_tid;
static volatile long worker_tid;

static void on_alarm(int sig) { (void)sig; handler_tid = syscall(SYS_gettid); }

static void *worker(void *arg) {
    (void)arg;
    worker_tid = syscall(SYS_gettid);
    while (!handler_tid)
        pause();
    return NULL;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc < 2)
        signal(SIGALRM, on_alarm);
    pthread_t th;
    pthread_create(&th, NULL, worker, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);       /* the worker keeps SIGALRM unblocked */
    while (!worker_tid)
        ;
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
    double end = now() + 20;
    volatile unsigned long spins = 0;
    while (!handler_tid && now() < end)            /* busy: the running thread blocks it */
        spins++;
    if (!handler_tid) {
        printf("no thread took SIGALRM\n");
        return 1;
    }
    pthread_join(th, NULL);
    printf("SIGALRM handled by %s\n", handler_tid == worker_tid ? "the worker" : "another thread");
    sigset_t pending;
    sigpending(&pending);
    printf("still pending in main: %d\n", sigismember(&pending, SIGALRM));
    return 0;
}
