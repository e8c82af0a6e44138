/* Blocked signals without handlers stay pending (a kill to itself once ended the program at
   once), sigtimedwait/sigwaitinfo/sigwait take them with their siginfo (once unsupported),
   and a fatal one still pending kills the program when unblocked. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGALRM);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill(getpid(), SIGUSR1);
    union sigval v = {.sival_int = 5};
    sigqueue(getpid(), SIGUSR2, v);
    sigpending(&pend);
    printf("alive, pending USR1 %d USR2 %d TERM %d\n", sigismember(&pend, SIGUSR1), sigismember(&pend, SIGUSR2),
           sigismember(&pend, SIGTERM));
    siginfo_t si;
    struct timespec zero = {0, 0}, short_wait = {0, 10000000};
    int s = sigtimedwait(&set, &si, &zero);
    printf("took %d code %d from-me %d\n", s, si.si_code, si.si_pid == getpid());
    s = sigwaitinfo(&set, &si);
    printf("took %d code %d value %d\n", s, si.si_code, si.si_value.sival_int);
    errno = 0;
    s = sigtimedwait(&set, &si, &short_wait);
    printf("nothing: %d errno %d\n", s, errno);
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
    s = sigwaitinfo(&set, &si);
    printf("itimer: %d code %d\n", s, si.si_code);
    raise(SIGUSR1);
    int got = 0;
    s = sigwait(&set, &got);
    printf("sigwait %d got %d\n", s, got);
    raise(SIGTERM);
    printf("SIGTERM pending, still alive\n");
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("not reached\n");
    return 0;
}
