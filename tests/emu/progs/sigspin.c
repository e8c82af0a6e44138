/* Handlers that a program spinning in a CPU loop (no system call) must see: its own interval
   timer's SIGALRM, then SIGUSR1 and SIGTERM sent by another process (the test) after each
   "ready" line. */
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>

static volatile sig_atomic_t got;
static void on_signal(int sig) { got = sig; }

static void spin(const char *what) {
    unsigned long n = 0;
    while (!got) n++;
    printf("%s: got signal %d\n", what, (int)got);
    fflush(stdout);
    got = 0;
}

int main(void) {
    signal(SIGALRM, on_signal);
    signal(SIGUSR1, on_signal);
    signal(SIGTERM, on_signal);
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, 0);
    spin("setitimer");
    printf("ready\n");
    fflush(stdout);
    spin("kill 1");
    printf("ready\n");
    fflush(stdout);
    spin("kill 2");
    return 3;
}
