/* Which thread takes a signal sent to the whole process, as Linux decides (complete_signal
   offers it first to the thread its sender named): a child's SIGCHLD goes to the thread that
   forked it, while the main thread waits in pthread_join; ITIMER_PROF's SIGPROF to the thread
   whose CPU time fired it, so the main thread's nanosleep is not interrupted; ITIMER_REAL's
   SIGALRM to the main thread (sleepedges.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int main_tid, forker_tid, chld_main, chld_forker, got, prof_main, prof_other, stop;

static void on_chld(int s) {
    (void)s;
    int me = syscall(SYS_gettid);
    chld_main += me == main_tid;
    chld_forker += me == forker_tid;
    got = 1;
}
static void on_prof(int s) {
    (void)s;
    if (syscall(SYS_gettid) == main_tid) prof_main++; else prof_other++;
}
static void *forker(void *a) {
    (void)a;
    forker_tid = syscall(SYS_gettid);
    pid_t c = fork();
    if (c == 0) {
        usleep(50000);
        _exit(0);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do clock_gettime(CLOCK_MONOTONIC, &t1); while (!got && t1.tv_sec - t0.tv_sec < 30);
    waitpid(c, 0, 0);
    return 0;
}
static void *spin(void *a) { (void)a; while (!stop) {} return 0; }

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    main_tid = syscall(SYS_gettid);
    struct sigaction sa = {0};
    sa.sa_handler = on_chld;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGCHLD, &sa, 0);
    pthread_t th;
    pthread_create(&th, 0, forker, 0);
    pthread_join(th, 0);
    printf("SIGCHLD taken by the main thread %d, by the thread that forked %d\n", chld_main, chld_forker);

    sa.sa_handler = on_prof;
    sigaction(SIGPROF, &sa, 0);
    pthread_create(&th, 0, spin, 0);
    struct itimerval it = {{0, 10000}, {0, 10000}}, off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &it, 0);
    struct timespec ts = {0, 500000000}, rem;
    int r = nanosleep(&ts, &rem), e = errno;
    setitimer(ITIMER_PROF, &off, 0);
    stop = 1;
    pthread_join(th, 0);
    printf("nanosleep under SIGPROFs: %d %s; the main thread took %d, the spinning one any %d\n", r,
           r ? strerror(e) : "ok", prof_main, prof_other > 0);
    return 0;
}
