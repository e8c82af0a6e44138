/* What a signal handler sees and may change: siginfo's si_code/si_pid/si_uid/si_value/si_status
   by how the signal was sent (kill, raise, sigqueue, a broken pipe, a child's exit, an itimer),
   ucontext edits that sigreturn honours (the PC stepped over a trapping instruction, a register,
   the mask to restore), sigaltstack's SS_ONSTACK inside the handler and its errors, and
   SA_RESETHAND (the handler goes back to SIG_DFL, the flags stay). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

static volatile sig_atomic_t seen;

static void info(int s, siginfo_t *si, void *uc) {
    (void)uc;
    printf("sig %d code %d from-me %d pid0 %d uid %d", s, si->si_code, si->si_pid == getpid(),
           si->si_pid == 0, si->si_uid == getuid());
    if (si->si_code == SI_QUEUE)
        printf(" value %d", si->si_value.sival_int);
    if (s == SIGCHLD)
        printf(" status %d child %d", si->si_status, si->si_pid > 0 && si->si_pid != getpid());
    printf("\n");
    seen = s;
}

static int trapped;

static void step_over(int s, siginfo_t *si, void *vuc) {
    ucontext_t *uc = vuc;
    (void)s; (void)si;
#ifdef __aarch64__
    uc->uc_mcontext.pc += 4;
    uc->uc_mcontext.regs[0] = 1234;
#else
    uc->uc_mcontext.__gregs[0] += 4;       /* REG_PC */
    uc->uc_mcontext.__gregs[10] = 1234;    /* a0 */
#endif
    if (trapped++)
        sigaddset(&uc->uc_sigmask, SIGUSR2);
}

static long trap(void) {
    long r;
#ifdef __aarch64__
    __asm__ volatile("mov x0, #7\n .inst 0x00000000\n mov %0, x0" : "=r"(r) : : "x0");
#else
    __asm__ volatile("li a0, 7\n .word 0\n mv %0, a0" : "=r"(r) : : "a0");
#endif
    return r;
}

static char altstack[1 << 16];

static void on_alt(int s) {
    int here;
    stack_t st, other = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(NULL, &st);
    errno = 0;
    int r = sigaltstack(&other, NULL);
    printf("sig %d on the alternate stack %d, ss_flags %d, changing it: %d errno %d\n", s,
           (char *)&here >= altstack && (char *)&here < altstack + sizeof altstack, st.ss_flags, r, errno);
}

static void plain(int s) { seen = s; }

static void wait_for(int s, sigset_t *during) {
    while (seen != s)
        sigsuspend(during);
    seen = 0;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = info;
    sa.sa_flags = SA_SIGINFO;
    int sigs[] = {SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGCHLD};
    for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaction(sigs[i], &sa, NULL);

    kill(getpid(), SIGUSR1);
    raise(SIGUSR2);
    sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 77});
    int p[2];
    pipe(p);
    close(p[0]);
    printf("write to a closed pipe: %zd errno %d\n", write(p[1], "x", 1), errno);

    /* asynchronous ones, each awaited with everything else blocked */
    sigset_t block, during;
    sigfillset(&block);
    sigprocmask(SIG_BLOCK, &block, NULL);
    sigfillset(&during);
    sigdelset(&during, SIGALRM);
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
    wait_for(SIGALRM, &during);
    sigfillset(&during);
    sigdelset(&during, SIGCHLD);
    pid_t c = fork();
    if (c == 0)
        _exit(3);
    wait_for(SIGCHLD, &during);
    waitpid(c, NULL, 0);
    c = fork();
    if (c == 0)
        for (;;)
            pause();
    kill(c, SIGKILL);
    wait_for(SIGCHLD, &during);
    int st;
    waitpid(c, &st, 0);
    printf("child killed by %d\n", WTERMSIG(st));
    sigprocmask(SIG_UNBLOCK, &block, NULL);

    /* sigreturn takes the handler's edits */
    sa.sa_sigaction = step_over;
    sigaction(SIGILL, &sa, NULL);
    printf("stepped over: %ld\n", trap());
    printf("again: %ld\n", trap());
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    printf("mask from the ucontext: SIGUSR2 blocked %d\n", sigismember(&now, SIGUSR2));
    printf("trapped %d\n", trapped);

    /* sigaltstack */
    stack_t ss = {.ss_sp = altstack, .ss_size = 1000};
    errno = 0;
    printf("tiny alternate stack: %d errno %d\n", sigaltstack(&ss, NULL), errno);
    ss.ss_size = sizeof altstack;
    printf("alternate stack: %d\n", sigaltstack(&ss, NULL));
    struct sigaction alt = {0};
    alt.sa_handler = on_alt;
    alt.sa_flags = SA_ONSTACK;
    sigaction(SIGWINCH, &alt, NULL);
    raise(SIGWINCH);
    stack_t cur;
    sigaltstack(NULL, &cur);
    printf("after: ss_flags %d size %zu\n", cur.ss_flags, cur.ss_size);

    /* SA_RESETHAND */
    struct sigaction once = {0}, old;
    once.sa_handler = plain;
    once.sa_flags = SA_RESETHAND | SA_RESTART;
    sigaction(SIGURG, &once, NULL);
    raise(SIGURG);
    sigaction(SIGURG, NULL, &old);
    printf("seen %d, handler now default %d, flags kept %d\n", seen, old.sa_handler == SIG_DFL,
           (old.sa_flags & (SA_RESETHAND | SA_RESTART)) == (SA_RESETHAND | SA_RESTART));
    return 0;
}
