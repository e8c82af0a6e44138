/* fib(N) by naive recursion in one of four settings, for the emulator benchmark: "plain";
   "timer" (an interval timer with a handler armed); "thread" (computed in a second thread
   while the first waits in pthread_join); "bg" (computed by the first thread while a second
   one waits in a read). Usage: cpumodes MODE N */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
__attribute__((noinline)) static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static volatile long ticks;
static void on_alarm(int s) { (void)s; ticks++; }
static int N;
#include <unistd.h>
static void *sleeper(void *a) { char c; read(((int *)a)[0], &c, 1); return 0; }
static void *work(void *a) { (void)a; printf("fib(%d) = %ld\n", N, fib(N)); return 0; }
int main(int argc, char **argv) {
    N = atoi(argv[2]);
    if (!strcmp(argv[1], "timer")) {
        signal(SIGALRM, on_alarm);
        struct itimerval it = {{10, 0}, {10, 0}};
        setitimer(ITIMER_REAL, &it, 0);
        work(0);
    } else if (!strcmp(argv[1], "thread")) {
        pthread_t t; pthread_create(&t, 0, work, 0); pthread_join(t, 0);
    } else if (!strcmp(argv[1], "bg")) {
        static int fds[2]; pipe(fds);
        pthread_t t; pthread_create(&t, 0, sleeper, fds); work(0); exit(0);
    } else work(0);
    return 0;
}
