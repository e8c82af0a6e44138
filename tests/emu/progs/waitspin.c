/* A wait sleeps until what it waits for can come: waitpid for one child while another child is
   already a zombie, and wait with SIGCHLD ignored after a child was reaped unseen (xld run
   polled every child's pidfd, or one closed meanwhile: always ready, it spun at 100% CPU). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child(int status, unsigned seconds, int fds[2]) {
    pipe(fds);
    pid_t p = fork();
    if (p == 0) {
        close(fds[0]);
        if (seconds)
            sleep(seconds);
        _exit(status);
    }
    close(fds[1]);
    return p;
}

int main(int argc, char **argv) {
    int ign = argc > 1 && strcmp(argv[1], "ignore") == 0, fb[2], fa[2], st;
    char c;
    if (ign)
        signal(SIGCHLD, SIG_IGN);
    pid_t b = child(3, 0, fb);
    read(fb[0], &c, 1);                 /* b's end: its descriptors are gone */
    usleep(100000);
    pid_t a = child(4, 2, fa);
    if (ign) {
        int r = wait(&st);
        printf("wait: %d %s\n", r, r < 0 && errno == ECHILD ? "ECHILD" : "?");
        return 0;
    }
    if (waitpid(a, &st, 0) == a)
        printf("a: exited %d\n", WEXITSTATUS(st));
    if (waitpid(b, &st, 0) == b)
        printf("b: exited %d\n", WEXITSTATUS(st));
    return 0;
}
