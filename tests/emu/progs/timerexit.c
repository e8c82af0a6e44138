/* A SIGEV_THREAD_ID timer's signal for the main thread, which has ended (pthread_exit)
   before the timer expires, while the other thread sleeps: nobody gets it (Linux queues it
   on the ended thread, for ever), so the sleep runs its full time and the handler never
   runs. The expiry is found while every thread waits and the running thread is the one
   that ended (emu/threads.py _signal_for_blocked puts it back for the run loop: as a plain
   number it lost its thread, and ended the other thread's sleep with EINTR). */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;     /* runs of the handler in the sleeper thread */
static pid_t main_tid;
static sem_t started;

/* (one in the main thread, a machine too loaded to end it before the expiry, is not counted) */
static void on_usr1(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)si; (void)uc;
    if (syscall(SYS_gettid) != main_tid) handled++;
}

/* sleeps past the timer's expiry, says how its sleep went, and ends the process */
static void *sleeper(void *arg) {
    (void)arg;
    sem_post(&started);
    struct timespec ts = {1, 0};
    int r = nanosleep(&ts, 0);
    printf("nanosleep %d%s, handler ran in the sleeper %d times\n", r, r ? " EINTR" : "", (int)handled);
    exit(0);
}

int main(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, 0);
    main_tid = syscall(SYS_gettid);
    sem_init(&started, 0, 0);
    pthread_t th;
    pthread_create(&th, 0, sleeper, 0);
    sem_wait(&started);

    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 7;
    ev._sigev_un._tid = main_tid;
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, &ev, &t)) {
        perror("timer_create");
        return 1;
    }
    struct itimerspec its = {{0, 0}, {0, 500000000}};
    timer_settime(t, 0, &its, 0);
    struct timespec ts = {0, 50000000};        /* the sleeper sleeps by then */
    nanosleep(&ts, 0);
    pthread_exit(0);
}
