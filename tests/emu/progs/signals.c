/* Signal handlers: a SIGSEGV handler that siglongjmps out, a SIGILL handler, raise() of a
 * handled signal that returns, a blocked signal delivered when unblocked, SIGPIPE handled,
 * a stack overflow caught on the sigaltstack, and abort() with a handler that returns. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile sig_atomic_t got;
static volatile int *bad = (int *)16;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    /* si_code of an overflow differs between qemu (guard page: SEGV_ACCERR) and Linux (no
     * mapping: SEGV_MAPERR), and qemu's SIGILL code differs from the arm64 kernel's */
    if (sig == SIGSEGV && si->si_addr == (void *)bad)
        printf("caught SIGSEGV code %d at the bad pointer\n", si->si_code);
    else
        printf("caught %s\n", sig == SIGSEGV ? "SIGSEGV" : sig == SIGILL ? "SIGILL" : "other");
    siglongjmp(jb, sig);
}

static void on_usr1(int sig) { got += sig; }

__attribute__((noinline)) static int overflow(int n)
{
    volatile char pad[1024];
    pad[0] = (char)n;
    return overflow(n + 1) + pad[0];
}

static void illegal(void)
{
#if defined(__aarch64__)
    __asm__ volatile(".inst 0x00000000");
#else
    __asm__ volatile(".word 0x00000000");
#endif
}

static void on_abort(int sig) { printf("abort handler %d\n", sig == SIGABRT); fflush(stdout); }

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGILL, &sa, 0);

    if (sigsetjmp(jb, 1) == 0)
        *bad = 1;
    puts("after segv");
    if (sigsetjmp(jb, 1) == 0)
        illegal();
    puts("after sigill");

    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    printf("usr1 handled: %d\n", got);

    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    raise(SIGUSR1);
    printf("while blocked: %d\n", got);
    sigprocmask(SIG_SETMASK, &old, 0);
    printf("after unblock: %d\n", got);

    signal(SIGPIPE, on_usr1);
    int p[2];
    pipe(p);
    close(p[0]);
    ssize_t w = write(p[1], "x", 1);
    printf("sigpipe handled: write %zd, got %d\n", w, got);

    stack_t ss = {.ss_sp = malloc(1 << 16), .ss_size = 1 << 16};
    sigaltstack(&ss, 0);
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, 0);
    if (sigsetjmp(jb, 1) == 0)
        overflow(0);
    puts("after stack overflow");

    signal(SIGABRT, on_abort);
    fflush(stdout);
    abort();
}
