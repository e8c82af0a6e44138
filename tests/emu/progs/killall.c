/* kill(-1, sig): every process the caller may signal but the caller itself (Linux's
   kill_something_info leaves out the sender's thread group); xld signalled the sender too,
   so a program that tells everything else to stop stopped itself. With no other process
   of the run to signal, xld answers ESRCH (its sandbox: never the host's other processes). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile sig_atomic_t got;
static void on_usr1(int s) { (void)s; got++; }
int main(void) {
    signal(SIGUSR1, on_usr1);
    int p[2];
    if (pipe(p)) return 1;
    pid_t c = fork();
    if (c == 0) {                       /* the child: ready, then waits for the signal */
        close(p[0]);
        if (write(p[1], "r", 1) != 1) _exit(1);
        while (!got) pause();
        _exit(7);
    }
    char b;
    close(p[1]);
    if (read(p[0], &b, 1) != 1) return 2;
    int r = kill(-1, SIGUSR1);
    int st = 0;
    waitpid(c, &st, 0);
    printf("kill(-1): %d, the sender's handler ran %d times, the child exited %d\n", r, got,
           WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
    errno = 0;
    r = kill(-1, SIGUSR1);
    printf("kill(-1) with no child: %d, errno %s, the sender's handler ran %d times\n", r,
           errno == ESRCH ? "ESRCH" : "other", got);
    return 0;
}
