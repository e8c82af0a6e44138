/* A child whose pid is one of its parent's thread ids: the first process's threads are
   4243, 4244, ... and a child's pid is its host pid, which may be one of them. kill and
   waitpid of the pid fork returned are the child's (not the parent's own thread). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
static int p[2];
static void *thread(void *a) { char b; read(p[0], &b, 1); return a; }
int main(void) {
    pipe(p);
    pthread_t t;
    pthread_create(&t, 0, thread, 0);
    int ready[2];
    pipe(ready);
    pid_t c = fork();
    if (c == 0) { write(ready[1], "r", 1); for (;;) pause(); }
    char b;
    read(ready[0], &b, 1);
    int k = kill(c, SIGTERM), st = 0;
    pid_t w = waitpid(c, &st, 0);
    printf("kill(child, SIGTERM): %d, waitpid the child %d, killed by %d\n", k, w == c,
           WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    write(p[1], "x", 1);
    pthread_join(t, 0);
    printf("the parent lives on\n");
    return 0;
}
