/* What a process keeps and loses at execve (execve(2), signal(7), the kernel's begin_new_exec
   and de_thread): the program sets state up, then executes itself with "after", and the new
   image reports. Kept: the signal mask, ignored signals, the signals pending for the process
   (sent from any thread) and for the exec'ing thread, setitimer's timers and alarm,
   descriptors without close-on-exec, the parent-death signal, the personality. Lost: POSIX
   timers (an armed one must not fire into the new image; its id is gone) and a deleted
   timer's pending expiry, handlers (back to SIG_DFL), the alternate signal stack,
   close-on-exec descriptors, prctl's name and non-dumpable flag, and the signals pending for
   another thread alone (it dies in de_thread).
   With EXEC_VIA=/path/to/qemu-<arch> in the environment the program executes that qemu with
   itself (qemu-user hands execve to the host kernel, which has no binfmt_misc entry here). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char altstack[65536];
static pthread_t other;
static volatile pid_t other_tid;
static int go[2];

static void on_usr2(int s) { (void)s; }

static void *other_main(void *arg) {
    (void)arg;
    union sigval v = {.sival_int = 6};
    kill(getpid(), SIGPWR);                     /* to the process, from this thread: kept */
    sigqueue(getpid(), SIGRTMIN + 4, v);
    other_tid = (pid_t)syscall(SYS_gettid);
    char c;
    if (read(go[0], &c, 1) < 0)             /* blocks until the process ends (execve) */
        return NULL;
    return NULL;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void after(const char *deadline) {
    /* the old image's timer was due 50 ms after it was armed: wait past it (SIGUSR1's default
       action would end the process) */
    double until = strtod(deadline, NULL);
    while (now() < until) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);     /* a SIGUSR1 pending now would end the process */
    printf("alive after the old image's timer was due\n");
    struct itimerspec its;
    errno = 0;
    int r = (int)syscall(SYS_timer_gettime, 1, &its);       /* the SIGUSR1 timer: id 1 */
    printf("timer_gettime of the old timer's id: %d %s\n", r, r ? strerror(errno) : "");
    printf("fd 7 %s, fd 8 %s\n", fcntl(7, F_GETFD) >= 0 ? "open" : "closed",
           fcntl(8, F_GETFD) >= 0 ? "open" : "closed");
    stack_t ss;
    sigaltstack(NULL, &ss);
    printf("sigaltstack: %s\n", ss.ss_flags & SS_DISABLE ? "disabled" : "kept");
    struct sigaction sa;
    sigaction(SIGUSR2, NULL, &sa);
    printf("SIGUSR2: %s\n", sa.sa_handler == SIG_DFL ? "default" : "handled");
    sigaction(SIGINT, NULL, &sa);
    printf("SIGINT: %s\n", sa.sa_handler == SIG_IGN ? "ignored" : "not ignored");
    sigset_t set;
    sigprocmask(SIG_BLOCK, NULL, &set);
    printf("blocked:");
    for (int s = 1; s < 65; s++)
        if (s < 32 && sigismember(&set, s))
            printf(" %d", s);
    printf("\npending:");
    sigpending(&set);
    for (int s = 1; s < 65; s++)
        if ((s < 32 || s >= SIGRTMIN) && sigismember(&set, s))
            printf(" %d", s);
    printf("\n");
    struct itimerval it;
    getitimer(ITIMER_PROF, &it);
    printf("ITIMER_PROF: %s, interval %ld s\n", it.it_value.tv_sec > 50 ? "kept" : "gone",
           (long)it.it_interval.tv_sec);
    getitimer(ITIMER_VIRTUAL, &it);
    printf("ITIMER_VIRTUAL: %s\n", it.it_value.tv_sec > 50 ? "kept" : "gone");
    unsigned left = alarm(0);
    printf("alarm: %s\n", left > 50 ? "kept" : "gone");
    int pd = -1;
    prctl(PR_GET_PDEATHSIG, &pd);
    printf("parent-death signal: %d\n", pd);
    printf("personality: %#x\n", personality(0xffffffff));
    char name[16] = "";
    prctl(PR_GET_NAME, name);
    printf("name: %s, dumpable: %d\n", strcmp(name, "renamed") ? "the new program's" : "kept",
           prctl(PR_GET_DUMPABLE));
    int n = 0;
    for (int s = 1; s < 65; s++)     /* drain what is pending, blocked, so the exit is clean */
        if (s < 32 || s >= SIGRTMIN) {
            sigset_t one;
            sigemptyset(&one);
            sigaddset(&one, s);
            struct timespec zero = {0, 0};
            while (sigtimedwait(&one, NULL, &zero) == s)
                n++;
        }
    printf("taken after exec: %d\n", n);
    timer_t t;
    struct sigevent sev = {.sigev_notify = SIGEV_NONE};
    printf("a new timer: %s\n", timer_create(CLOCK_MONOTONIC, &sev, &t) == 0 ? "made" : "refused");
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 2 && !strcmp(argv[1], "after")) {
        after(argv[2]);
        return 0;
    }
    int a = open("/dev/null", O_RDONLY), b = open("/dev/null", O_RDONLY);
    dup2(a, 7);
    dup3(b, 8, O_CLOEXEC);
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    struct sigaction sa = {.sa_handler = on_usr2, .sa_flags = SA_ONSTACK};
    sigaction(SIGUSR2, &sa, NULL);
    signal(SIGINT, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGPWR);
    sigaddset(&set, SIGRTMIN + 2);
    sigaddset(&set, SIGRTMIN + 3);
    sigaddset(&set, SIGRTMIN + 4);
    sigaddset(&set, SIGRTMIN + 5);
    sigaddset(&set, SIGUSR1);           /* (the other thread's too: the timer below) */
    sigprocmask(SIG_BLOCK, &set, NULL);
    if (pipe(go) < 0 || pthread_create(&other, NULL, other_main, NULL))
        return 2;
    while (!other_tid)
        sched_yield();
    pid_t me = getpid();
    kill(me, SIGTERM);                                  /* to the process: kept */
    syscall(SYS_tgkill, me, (pid_t)syscall(SYS_gettid), SIGHUP);   /* to this thread: kept */
    syscall(SYS_tgkill, me, other_tid, SIGQUIT);        /* to the other thread: discarded */
    syscall(SYS_tgkill, me, other_tid, SIGRTMIN + 3);
    union sigval v = {.sival_int = 5};
    sigqueue(me, SIGRTMIN + 2, v);                      /* to the process: kept */
    struct itimerval it = {{100, 0}, {100, 0}};
    setitimer(ITIMER_PROF, &it, NULL);
    it.it_interval.tv_sec = 0;
    setitimer(ITIMER_VIRTUAL, &it, NULL);
    alarm(100);
    prctl(PR_SET_PDEATHSIG, SIGUSR2);
    personality(PER_LINUX | ADDR_NO_RANDOMIZE);
    prctl(PR_SET_NAME, "renamed");
    prctl(PR_SET_DUMPABLE, 0);
    timer_t t, u;
    struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN + 5};
    struct itimerspec its = {{0, 0}, {0, 1000 * 1000}};
    if (timer_create(CLOCK_MONOTONIC, &sev, &u) || timer_settime(u, 0, &its, NULL))
        return 3;
    for (;;) {                          /* its expiry pending (blocked) at exec: discarded */
        sigset_t p;
        sigpending(&p);
        if (sigismember(&p, SIGRTMIN + 5))
            break;
        sched_yield();
    }
    sev.sigev_signo = SIGUSR1;
    if (timer_create(CLOCK_MONOTONIC, &sev, &t))
        return 3;
    /* blocked until the new image has waited past the expiry: a late exec (a loaded machine)
       cannot be killed by it in the old image, and a signal it queued in the new one ends
       that at the unblock */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    its.it_value.tv_nsec = 50 * 1000 * 1000;
    timer_settime(t, 0, &its, NULL);
    char deadline[64];
    snprintf(deadline, sizeof deadline, "%.6f", now() + 0.3);
    const char *via = getenv("EXEC_VIA");
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        return 4;
    self[n] = 0;
    if (via) {
        char *args[] = {(char *)via, self, "after", deadline, NULL};
        execv(via, args);
    } else {
        char *args[] = {self, "after", deadline, NULL};
        execv(self, args);
    }
    perror("execv");
    return 5;
}
