/* Handlers that a program spinning in a CPU loop (no system call) must see: its own interval
   timer's SIGALRM, then SIGUSR1 and SIGTERM sent by another process (the test) after each
   "ready" line, then SIGUSR2 from its own forked child. */
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
    signal(SIGUSR2, on_signal);
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, 0);
    spin("setitimer");
    printf("ready\n");
    fflush(stdout);
    spin("kill 1");
    printf("ready\n");
    fflush(stdout);
    spin("kill 2");
    pid_t child = fork();
    if (child == 0) {
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, 0);
        kill(getppid(), SIGUSR2);
        _exit(0);
    }
    spin("kill from a child");
    int status;
    waitpid(child, &status, 0);
    printf("child exited %d\n", WEXITSTATUS(status));
    return 3;
}
