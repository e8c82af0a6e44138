/* fork + exec of the host /bin/echo in a tight loop (pcre2grep's script callouts do it), with
   what may be alive in the emulator at the fork: guest threads computing (t), a SIGCHLD handler
   (c), a SIGUSR1 handler (u), a 1 ms itimer with a SIGALRM handler (a), posix_spawn's
   clone(CLONE_VM|CLONE_VFORK) instead of fork (v), MAP_SHARED memory (m: the run lock). */
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
static volatile int stop;
static volatile long nchld, nalrm;
static void *spin(void *a) { volatile unsigned long n = 0; while (!stop) n++; return a; }
static void on_chld(int s) { (void)s; nchld++; }
static void on_alrm(int s) { (void)s; nalrm++; }
static void on_usr1(int s) { (void)s; }

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 50;
    const char *opt = argc > 2 ? argv[2] : "";
    pthread_t t[2];
    int nt = strchr(opt, 't') ? 2 : 0;
    if (strchr(opt, 'm')) { volatile int *p = mmap(0, 4096, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0); *p = 1; }
    for (int i = 0; i < nt; i++) pthread_create(&t[i], 0, spin, 0);
    if (strchr(opt, 'c')) signal(SIGCHLD, on_chld);
    if (strchr(opt, 'u')) signal(SIGUSR1, on_usr1);
    if (strchr(opt, 'a')) {
        struct sigaction sa = {0}; sa.sa_handler = on_alrm; sa.sa_flags = SA_RESTART; sigaction(SIGALRM, &sa, 0);
        struct itimerval it = {{0, 1000}, {0, 1000}}; setitimer(ITIMER_REAL, &it, 0);
    }
    int bad = 0;
    for (int i = 0; i < n; i++) {
        char num[16];
        snprintf(num, sizeof num, "%d", i);
        char *args[] = {"/bin/echo", "echo", num, 0};
        printf("line %d\n", i);
        fflush(stdout);
        pid_t pid;
        if (strchr(opt, 'v')) {
            if (posix_spawn(&pid, args[0], 0, 0, args, environ) != 0) { bad++; continue; }
        } else {
            pid = fork();
            if (pid == 0) { execv(args[0], args); _exit(99); }
        }
        int st, r;
        while ((r = waitpid(pid, &st, 0)) < 0) ;
        if (r != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) bad++;
    }
    stop = 1;
    for (int i = 0; i < nt; i++) pthread_join(t[i], 0);
    printf("bad %d\n", bad);
    return bad != 0;
}
