/* Signals from another process to one that blocked them with no handler: they stay pending
   and sigwaitinfo takes them with the sender's pid (the emulator's host process died of its
   host default action at once); once unblocked, such a signal's default action ends the
   process (SIGTERM: status 143). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    pid_t c = fork();
    if (c == 0) {
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    siginfo_t si;
    int s = sigwaitinfo(&set, &si);
    printf("got %d from child %d code %d\n", s, si.si_pid == c, si.si_code);
    waitpid(c, NULL, 0);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    c = fork();
    if (c == 0) {
        kill(getppid(), SIGTERM);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    for (;;)
        pause();
}
