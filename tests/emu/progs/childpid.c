/* The pids a parent and its child see of each other: fork's return is the child's getpid (not
   the parent's), the child's getppid is the parent's getpid, kill(pid, 0) finds the child,
   waitpid returns it with its status; the same for posix_spawn's child (vfork) and a second
   fork. A child whose host pid is the first process's fixed guest pid (4242) had its parent's
   pid: its parent's waitpid failed at once (ECHILD). */
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;

static void one(const char *what) {
    int p[2], go[2];
    pipe(p);
    pipe(go);
    pid_t me = getpid(), c = fork();
    if (c == 0) {
        pid_t ids[2] = {getpid(), getppid()};
        char b;
        write(p[1], ids, sizeof ids);
        read(go[0], &b, 1);               /* alive until the parent's kill(pid, 0) */
        _exit(7);
    }
    pid_t ids[2] = {0, 0};
    read(p[0], ids, sizeof ids);
    int k = kill(c, 0);
    write(go[1], "x", 1);
    int st = 0;
    pid_t w = waitpid(c, &st, 0);
    printf("%s: fork's pid is the child's getpid %d, not ours %d, its getppid is ours %d, "
           "kill 0: %d, waitpid the child %d, exited %d\n", what, c == ids[0], c != me,
           ids[1] == me, k, w == c, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    close(p[0]); close(p[1]); close(go[0]); close(go[1]);
}

int main(void) {
    one("first fork");
    pid_t s;
    char *args[] = {"true", 0};
    int r = posix_spawn(&s, "/bin/true", 0, 0, args, environ);
    int st = -1;
    pid_t w = r == 0 ? waitpid(s, &st, 0) : -1;
    printf("posix_spawn: %d, not ours %d, waitpid the child %d, exited %d\n", r, s != getpid(),
           w == s, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    one("second fork");
    return 0;
}
