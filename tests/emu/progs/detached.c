/* Signals to a detached child across its execve (libuv's spawn_detached): the child calls
   setsid and execs a sleeper; the parent's kill must reach the sleeper, whose pid is the one
   fork returned. argv[1] "-" or a launcher (qemu-user's binary: the child then execs
   "launcher self sleeper", as binfmt_misc would). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char *self, *launcher;

static void exec_sleeper(const char *report) {
    char *av[5];
    int n = 0;
    if (launcher) av[n++] = launcher;
    av[n++] = self;
    av[n++] = "sleeper";
    av[n++] = (char *)report;
    av[n] = NULL;
    execve(av[0], av, environ);
    _exit(127);
}

static void sleeper(const char *report) {
    sigset_t none;
    sigemptyset(&none);
    if (report) {                     /* pid and session as this image sees them */
        char buf[64];
        int n = snprintf(buf, sizeof buf, "%d %d", (int)getpid(), (int)getsid(0));
        write(atoi(report), buf, n);
        close(atoi(report));
    }
    sigprocmask(SIG_SETMASK, &none, NULL);   /* a signal pending since before the exec ends it */
    for (;;) pause();
}

static void reap(const char *what, pid_t pid) {
    int st;
    pid_t w = waitpid(pid, &st, 0);
    printf("%s: waitpid is fork's pid %d, killed by signal %d\n", what, w == pid,
           WIFSIGNALED(st) ? WTERMSIG(st) : -WEXITSTATUS(st));
    fflush(stdout);
}

static void on_chld(int s) { (void)s; }

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "sleeper") == 0)
        sleeper(argc > 2 ? argv[2] : NULL);
    self = argv[0];
    launcher = argc > 1 && strcmp(argv[1], "-") ? argv[1] : NULL;
    setvbuf(stdout, NULL, _IOFBF, 4096);

    /* 1. fork, setsid, execve; the new image reports its pid and session */
    int rep[2];
    pipe(rep);
    pid_t pid = fork();
    if (pid == 0) {
        close(rep[0]);
        setsid();
        char fd[16];
        snprintf(fd, sizeof fd, "%d", rep[1]);
        exec_sleeper(fd);
    }
    close(rep[1]);
    char buf[64] = {0};
    int got = 0, n;
    while ((n = read(rep[0], buf + got, sizeof buf - 1 - got)) > 0) got += n;
    close(rep[0]);
    int cpid = 0, csid = 0;
    sscanf(buf, "%d %d", &cpid, &csid);
    printf("setsid+execve: getpid is fork's pid %d, getsid too %d, kill %d\n", cpid == pid,
           csid == pid, kill(pid, SIGTERM));
    reap("setsid+execve", pid);

    /* 2. libuv's uv_spawn(UV_PROCESS_DETACHED): all signals blocked around fork, the child
       resets dispositions, setsid, unblocks and execs; the parent waits for the exec (a
       close-on-exec pipe's EOF) and kills at once */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sigaction(SIGCHLD, &sa, NULL);
    int sync[2];
    pipe2(sync, O_CLOEXEC);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pid = fork();
    if (pid == 0) {
        close(sync[0]);
        for (int s = 1; s < 32; s++)
            if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
        setsid();
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        exec_sleeper(NULL);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(sync[1]);
    char c;
    printf("detached: exec'd %d, kill 0: %d, ", (int)read(sync[0], &c, 1) == 0, kill(pid, 0));
    printf("kill: %d\n", kill(pid, SIGTERM));
    close(sync[0]);
    reap("detached", pid);

    /* 3. a SIGTERM sent while the child blocks it is still pending in the new image */
    int ready[2];
    pipe(ready);
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &old);
    pid = fork();
    if (pid == 0) {
        close(ready[0]);
        setsid();
        write(ready[1], "r", 1);
        sigset_t p;
        do sigpending(&p); while (!sigismember(&p, SIGTERM));
        exec_sleeper(NULL);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(ready[1]);
    read(ready[0], &c, 1);
    close(ready[0]);
    printf("pending across execve: kill %d\n", kill(pid, SIGTERM));
    reap("pending across execve", pid);

    /* 4. posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK)) with POSIX_SPAWN_SETSID */
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
    char *av[5];
    n = 0;
    if (launcher) av[n++] = launcher;
    av[n++] = self;
    av[n++] = "sleeper";
    av[n] = NULL;
    int r = posix_spawn(&pid, av[0], NULL, &at, av, environ);
    printf("posix_spawn setsid: %d, kill %d\n", r, kill(pid, SIGTERM));
    reap("posix_spawn setsid", pid);

    /* 5. an alarm set before execve goes off in the new image */
    pid = fork();
    if (pid == 0) {
        setsid();
        alarm(1);
        exec_sleeper(NULL);
    }
    reap("alarm across execve", pid);
    return 0;
}
