/* A wait sleeps until what it waits for can come: waitpid for one child while another child is
   already a zombie, and wait with SIGCHLD ignored after a child was reaped unseen (xld run
   polled every child's pidfd, or one closed meanwhile: always ready, it spun at 100% CPU).
   "thread": the same with a second thread blocked meanwhile (the scheduler's idle wait). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child(int status, unsigned usec, int fds[2]) {
    pipe(fds);
    pid_t p = fork();
    if (p == 0) {
        close(fds[0]);
        if (usec)
            usleep(usec);
        _exit(status);
    }
    close(fds[1]);
    return p;
}

static int hold[2];

static void *blocked(void *arg) {
    char c;
    read(hold[0], &c, 1);               /* until main is done */
    return arg;
}

int main(int argc, char **argv) {
    pthread_t t;
    int threaded = argc > 1 && strcmp(argv[1], "thread") == 0;
    if (threaded) {
        pipe(hold);
        pthread_create(&t, 0, blocked, 0);
    }
    int ign = argc > 1 && strcmp(argv[1], "ignore") == 0, fb[2], fa[2], st;
    char c;
    if (ign) {                          /* b ends while the wait waits: reaped unseen */
        signal(SIGCHLD, SIG_IGN);
        child(4, 2000000, fa);
        child(3, 500000, fb);
        int r = wait(&st);
        printf("wait: %d %s\n", r, r < 0 && errno == ECHILD ? "ECHILD" : "?");
        return 0;
    }
    pid_t b = child(3, 0, fb);
    read(fb[0], &c, 1);                 /* b's end: its descriptors are gone */
    usleep(100000);
    pid_t a = child(4, 2000000, fa);
    if (waitpid(a, &st, 0) == a)
        printf("a: exited %d\n", WEXITSTATUS(st));
    if (waitpid(b, &st, 0) == b)
        printf("b: exited %d\n", WEXITSTATUS(st));
    if (threaded) {
        close(hold[1]);
        pthread_join(t, 0);
    }
    return 0;
}
