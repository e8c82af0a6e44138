/* Children of a process that ignores SIGCHLD (or sets SA_NOCLDWAIT, with the argument
   "nocldwait") leave no zombies: waitpid waits for them all, then fails with ECHILD (it
   returned each child); wait4's rusage is the child's (it was zeros). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int st;
    struct rusage ru;
    pid_t c = fork();
    if (c == 0) {
        volatile double x = 0;
        for (long i = 0; i < 2000000; i++)
            x += i * 0.5;
        _exit(7);
    }
    pid_t r = wait4(c, &st, 0, &ru);
    printf("wait4 %d status %d child cpu > 0 %d\n", r == c, WEXITSTATUS(st),
           ru.ru_utime.tv_sec + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec > 0);
    if (argc > 1 && !strcmp(argv[1], "nocldwait")) {
        struct sigaction sa = {0};
        sa.sa_handler = SIG_DFL;
        sa.sa_flags = SA_NOCLDWAIT;
        sigaction(SIGCHLD, &sa, NULL);
    } else {
        signal(SIGCHLD, SIG_IGN);
    }
    pid_t kids[3];
    for (int i = 0; i < 3; i++)
        if ((kids[i] = fork()) == 0)
            _exit(i);
    errno = 0;
    r = waitpid(-1, &st, 0);
    printf("waitpid any: %d errno %d\n", (int)r, errno);
    errno = 0;
    r = waitpid(kids[1], &st, 0);
    printf("waitpid one: %d errno %d\n", (int)r, errno);
    return 0;
}
