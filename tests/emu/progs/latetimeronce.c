/* A one-shot timer on a blocked SIGUSR2, due at 1 ms; a 20 ms sleep; sigtimedwait takes its
   signal; then a 600 ms sleep and a second look: a one-shot timer expires once, so nothing is
   pending and nothing more comes. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
int main(void) {
  sigset_t m, p; sigemptyset(&m); sigaddset(&m, SIGUSR2); sigprocmask(SIG_BLOCK, &m, 0);
  struct sigevent ev; memset(&ev, 0, sizeof ev); ev.sigev_notify = SIGEV_SIGNAL; ev.sigev_signo = SIGUSR2;
  timer_t a; timer_create(CLOCK_MONOTONIC, &ev, &a);
  struct itimerspec its = {{0, 0}, {0, 1000000}}; timer_settime(a, 0, &its, 0);
  struct timespec nap = {0, 20000000}; while (nanosleep(&nap, &nap)) {}
  siginfo_t si; struct timespec zero = {0, 0};
  int first = sigtimedwait(&m, &si, &zero) == SIGUSR2;
  nap.tv_nsec = 600000000; while (nanosleep(&nap, &nap)) {}
  sigpending(&p);
  int again = sigtimedwait(&m, &si, &zero);
  printf("first %d, then pending %d, again %d %s\n", first, sigismember(&p, SIGUSR2), again,
         again < 0 && errno == EAGAIN ? "EAGAIN" : "?");
  return 0;
}
