/* setitimer's real-time timer, due at 1 ms, on a blocked SIGALRM; a 20 ms sleep; then
   sigpending and sigtimedwait (no wait) look: on Linux the signal is pending by then. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
int main(void) {
  sigset_t m, p; sigemptyset(&m); sigaddset(&m, SIGALRM); sigprocmask(SIG_BLOCK, &m, 0);
  struct itimerval it = {{0, 0}, {0, 1000}}; setitimer(ITIMER_REAL, &it, 0);
  struct timespec nap = {0, 20000000}; while (nanosleep(&nap, &nap)) {}
  sigpending(&p); printf("pending %d\n", sigismember(&p, SIGALRM));
  siginfo_t si; struct timespec zero = {0, 0};
  printf("sigtimedwait %d\n", sigtimedwait(&m, &si, &zero));
  nap.tv_nsec = 600000000; while (nanosleep(&nap, &nap)) {}
  sigpending(&p); printf("then pending %d\n", sigismember(&p, SIGALRM));
  return 0;
}
