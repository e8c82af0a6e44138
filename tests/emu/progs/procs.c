/* Processes under xld run: fork + wait4 (exit status, death by signal), a pipe between
   parent and child, getppid, kill of another process, SIGCHLD to a handler, vfork, setpgid,
   waitid, and, with an argument, system(), popen() and posix_spawn of /bin/sh. Output is
   deterministic (the parent waits before printing what depends on the child). */
#define _GNU_SOURCE
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static volatile sig_atomic_t chld;
static void on_chld(int sig) { (void)sig; chld++; }
static volatile sig_atomic_t usr1;
static void on_usr1(int sig) { (void)sig; usr1 = 1; }
static volatile sig_atomic_t usr2;
static void on_usr2(int sig) { (void)sig; usr2 = 1; }

static void report(const char *what, int st) {
    if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) printf("%s: killed by signal %d\n", what, WTERMSIG(st));
    else printf("%s: status %#x\n", what, st);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t me = getpid();
    /* 1. exit status */
    pid_t c = fork();
    if (c == 0) { if (getppid() != me) _exit(99); _exit(7); }
    int st;
    pid_t w = waitpid(c, &st, 0);
    printf("waitpid returned the child: %d\n", w == c);
    report("child 1", st);
    /* 2. a pipe: the child echoes what the parent writes, upper-cased */
    int up[2], down[2];
    if (pipe(up) || pipe(down)) return 1;
    c = fork();
    if (c == 0) {
        close(up[1]); close(down[0]);
        char buf[64]; ssize_t n, total = 0;
        while ((n = read(up[0], buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; i++) if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] -= 32;
            write(down[1], buf, n);
            total += n;
        }
        _exit(total == 18 ? 0 : 1);
    }
    close(up[0]); close(down[1]);
    write(up[1], "hello through pipe", 18);
    close(up[1]);
    char got[64] = {0}; ssize_t n, have = 0;
    while ((n = read(down[0], got + have, sizeof got - 1 - have)) > 0) have += n;
    printf("pipe: %s\n", got);
    waitpid(c, &st, 0);
    report("child 2", st);
    /* 3. kill another process; SIGCHLD reaches the handler */
    signal(SIGCHLD, on_chld);
    c = fork();
    if (c == 0) { for (;;) pause(); }
    kill(c, SIGTERM);
    waitpid(c, &st, 0);
    report("child 3", st);
    printf("SIGCHLD handled: %d\n", chld > 0);
    /* 4. a handler in the child: the parent's signal reaches it. The child keeps SIGUSR1
       blocked outside sigsuspend: `while (!usr1) pause();` loses a signal that comes between
       the test and pause (qemu-user, the oracle, hung there in about 1 run of 30) */
    int sync[2];
    sigset_t usr, old;
    sigemptyset(&usr);
    sigaddset(&usr, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr, &old);
    pipe(sync);
    c = fork();
    if (c == 0) {
        signal(SIGUSR1, on_usr1);
        write(sync[1], "r", 1);
        while (!usr1) sigsuspend(&old);
        _exit(42);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    char ch;
    read(sync[0], &ch, 1);
    kill(c, SIGUSR1);
    waitpid(c, &st, 0);
    report("child 4", st);
    /* 4a. a child signals its parent, which has a handler */
    signal(SIGUSR2, on_usr2);
    c = fork();
    if (c == 0) { kill(getppid(), SIGUSR2); _exit(0); }
    waitpid(c, &st, 0);
    while (!usr2) pause();   /* no race: the signal is pending before the child ends */
    printf("parent got SIGUSR2 from its child\n");
    /* 4b. a blocking read goes on across a SIGCHLD (signal() sets SA_RESTART) */
    int rp[2];
    pipe(rp);
    pid_t quick = fork();
    if (quick == 0) { usleep(100000); _exit(0); }
    pid_t slow = fork();
    if (slow == 0) { usleep(400000); write(rp[1], "late", 4); _exit(0); }
    close(rp[1]);
    char lb[8] = {0};
    ssize_t ln = read(rp[0], lb, sizeof lb - 1);
    printf("read across SIGCHLD: %d %s\n", (int)ln, lb);
    waitpid(quick, &st, 0);
    waitpid(slow, &st, 0);
    close(rp[0]);
    /* 5. vfork + _exit; a crash in a child; WNOHANG with nothing to reap */
    c = vfork();
    if (c == 0) _exit(3);
    waitpid(c, &st, 0);
    report("vfork child", st);
    c = fork();
    if (c == 0) { *(volatile int *)16 = 1; _exit(0); }
    waitpid(c, &st, 0);
    report("crashing child", st);
    printf("WNOHANG without children: %d\n", (int)waitpid(-1, &st, WNOHANG));
    /* 6. process groups, waitid */
    c = fork();
    if (c == 0) { setpgid(0, 0); _exit(getpgid(0) == getpid() ? 5 : 6); }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    waitid(P_PID, c, &si, WEXITED);
    printf("waitid: pid ok %d, code %d, status %d\n", si.si_pid == c, si.si_code, si.si_status);
    if (argc > 1) {
        /* 7. host programs: system, popen, posix_spawn */
        int r = system("echo hi from system");
        report("system", r);
        r = system("exit 3");
        report("system exit 3", r);
        FILE *p = popen("echo hi from popen; echo second line", "r");
        char line[128];
        while (fgets(line, sizeof line, p)) printf("popen read: %s", line);
        report("pclose", pclose(p));
        p = popen("cat", "w");
        fputs("written to popen\n", p);
        report("pclose w", pclose(p));
        pid_t sp;
        char *args[] = {"sh", "-c", "echo spawned $0", "zero", NULL};
        if (posix_spawn(&sp, "/bin/sh", NULL, NULL, args, environ) == 0) {
            waitpid(sp, &st, 0);
            report("posix_spawn", st);
        }
    }
    printf("done\n");
    return 0;
}
