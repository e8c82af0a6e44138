/* kill and sigqueue of a thread id of the caller's own process (what gettid returned) are the
   process's signal, as on Linux (the pid names the thread, whose process gets it; that thread
   takes it first); getpgid and getsid of a thread id are its process's. xld answered ESRCH:
   only the pid named the process. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
static volatile int usr1, usr2, code2, value2;
static __thread int mine;
static void on_usr1(int s) { (void)s; usr1++; mine++; }
static void on_usr2(int s, siginfo_t *si, void *c) {
    (void)s; (void)c; usr2++; code2 = si->si_code; value2 = si->si_value.sival_int; mine++;
}
static void *thread(void *a) {
    pid_t tid = syscall(SYS_gettid);
    int r = kill(tid, SIGUSR1);
    printf("kill(own tid, SIGUSR1): %d, handled %d, by this thread %d\n", r, usr1, mine);
    printf("kill(own tid, 0): %d\n", kill(tid, 0));
    union sigval v = {.sival_int = 5};
    r = sigqueue(tid, SIGUSR2, v);
    printf("sigqueue(own tid, SIGUSR2, 5): %d, handled %d, code %d, value %d\n", r, usr2, code2, value2);
    printf("getpgid(tid) is the process's %d, getsid(tid) too %d\n",
           getpgid(tid) == getpgid(0), getsid(tid) == getsid(0));
    return a;
}
int main(void) {
    signal(SIGUSR1, on_usr1);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_usr2;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &sa, 0);
    pthread_t t;
    pthread_create(&t, 0, thread, 0);
    pthread_join(t, 0);
    printf("in all: SIGUSR1 %d, SIGUSR2 %d\n", usr1, usr2);
    return 0;
}
