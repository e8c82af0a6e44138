/* Signals between two processes of the program: the receiver's siginfo names the sender
   (si_pid: the child's pid for the parent, getppid() for the child; si_uid) and how it was
   sent (kill: SI_USER; sigqueue: SI_QUEUE and the value). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got, code, pid, uid, value;

static void handler(int s, siginfo_t *si, void *uc) {
    (void)uc;
    got = s;
    code = si->si_code;
    pid = si->si_pid;
    uid = si->si_uid;
    value = si->si_code == SI_QUEUE ? si->si_value.sival_int : -1;
}

static void wait_for(int s) {
    sigset_t none;
    sigemptyset(&none);
    while (got != s)
        sigsuspend(&none);
    got = 0;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, NULL);     /* nothing is lost before sigsuspend */

    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        kill(parent, SIGUSR1);
        wait_for(SIGUSR2);
        printf("child: SIGUSR2 code %d from parent %d uid %d\n", code, pid == getppid(), uid == (int)getuid());
        union sigval v = {.sival_int = 99};
        sigqueue(parent, SIGUSR1, v);
        wait_for(SIGUSR2);
        printf("child: SIGUSR2 code %d from parent %d value %d\n", code, pid == getppid(), value);
        return 0;
    }
    wait_for(SIGUSR1);
    printf("parent: SIGUSR1 code %d from child %d uid %d\n", code, pid == child, uid == (int)getuid());
    kill(child, SIGUSR2);
    wait_for(SIGUSR1);
    printf("parent: SIGUSR1 code %d from child %d value %d\n", code, pid == child, value);
    union sigval v = {.sival_int = 7};
    sigqueue(child, SIGUSR2, v);
    int st;
    waitpid(child, &st, 0);
    printf("child status %d\n", WEXITSTATUS(st));
    return 0;
}
