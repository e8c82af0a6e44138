/* One SIGCHLD per child: a parent with a SIGCHLD handler forks children that exit at once
   and reaps each with waitpid (the SIGCHLD watcher thread and the wait that reaps could both
   post it: two handler runs for one child). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t count;

static void on_chld(int sig) {
    count++;
    (void)sig;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    int n = 3, ok = 0;
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0)
            _exit(i);
        int st;
        if (waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == i)
            ok++;
    }
    struct timespec ts = {0, 600000000};       /* a late duplicate would come in here */
    while (nanosleep(&ts, &ts) != 0) {}
    printf("reaped %d, SIGCHLD handled %d\n", ok, (int)count);
    return 0;
}
