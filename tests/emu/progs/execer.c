/* execve under xld run: of the program itself (/proc/self/exe) in a forked child, with a new
   environment, descriptors with and without close-on-exec; of another program given as
   argv[1] (possibly for the other architecture); and, last, of itself without a fork. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc > 2 && !strcmp(argv[1], "child")) {
        printf("child: argv0 %s, argv2 %s, XLD_T=%s, fd7 %s, fd8 %s\n", argv[0], argv[2],
               getenv("XLD_T") ? getenv("XLD_T") : "(unset)", fcntl(7, F_GETFD) >= 0 ? "open" : "closed",
               fcntl(8, F_GETFD) >= 0 ? "open" : "closed");
        return strcmp(argv[2], "last") ? 9 : 11;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    int a = open("/dev/null", O_RDONLY), b = open("/dev/null", O_RDONLY);
    dup2(a, 7);
    dup3(b, 8, O_CLOEXEC);
    int st;
    pid_t c = fork();
    if (c == 0) {
        char *args[] = {"me", "child", "two", NULL}, *env[] = {"XLD_T=yes", NULL};
        execve("/proc/self/exe", args, env);
        _exit(127);
    }
    waitpid(c, &st, 0);
    printf("exec'd child exited %d\n", WEXITSTATUS(st));
    if (argc > 1) {
        c = fork();
        if (c == 0) {
            char *args[] = {argv[1], "x", NULL};
            execv(argv[1], args);
            _exit(127);
        }
        waitpid(c, &st, 0);
        printf("%s exited %d\n", strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1], WEXITSTATUS(st));
    }
    printf("a missing program: %d\n", execl("/nonexistent/prog", "prog", (char *)NULL));
    char *args[] = {"me", "child", "last", NULL};
    execv("/proc/self/exe", args);
    return 1;
}
