/* A child that waits in a system call and a grandchild that spins in guest code: with "exit"
   the program ends by itself and leaves them (daemons live on, as on Linux); otherwise it
   waits for the child, and the test kills the run: they must die with it. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int p[2];
    pipe(p);
    pid_t a = fork();
    if (a == 0) {
        int nul = open("/dev/null", O_RDWR);     /* the output's readers see its end */
        dup2(nul, 1);
        dup2(nul, 2);
        pid_t b = fork();
        if (b == 0) {
            volatile unsigned long n = 0;
            for (;;)
                n++;
        }
        char buf[64];
        int k = snprintf(buf, sizeof buf, "%d %d\n", (int)getpid(), (int)b);
        write(p[1], buf, k);
        for (;;)
            pause();
    }
    char buf[64];
    ssize_t k = read(p[0], buf, sizeof buf);
    if (k > 0)
        fwrite(buf, 1, k, stdout);
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "exit") == 0)
        return 0;
    waitpid(a, 0, 0);
    return 0;
}
