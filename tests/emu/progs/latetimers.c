/* Two one-shot timers on a blocked SIGUSR2, due at 1 and 2 ms; a 20 ms sleep; then sigpending
   and sigtimedwait (no wait) take what came: on Linux both, the timers having expired during
   the sleep. Unblocking SIGUSR2 after deleting them must not kill the program. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
int main(void) {
  sigset_t m, o, p; sigemptyset(&m); sigaddset(&m, SIGUSR2); sigprocmask(SIG_BLOCK, &m, &o);
  struct sigevent ev; memset(&ev, 0, sizeof ev); ev.sigev_notify = SIGEV_SIGNAL; ev.sigev_signo = SIGUSR2;
  timer_t a, b; ev.sigev_value.sival_int = 476; timer_create(CLOCK_MONOTONIC, &ev, &a);
  ev.sigev_value.sival_int = 477; timer_create(CLOCK_MONOTONIC, &ev, &b);
  struct itimerspec its = {{0, 0}, {0, 1000000}}; timer_settime(a, 0, &its, 0);
  its.it_value.tv_nsec = 2000000; timer_settime(b, 0, &its, 0);
  struct timespec nap = {0, 20000000}; while (nanosleep(&nap, &nap)) {}
  sigpending(&p); printf("pending %d\n", sigismember(&p, SIGUSR2));
  siginfo_t si; struct timespec zero = {0, 0}; int n = 0, vs = 0;
  while (sigtimedwait(&m, &si, &zero) == SIGUSR2) { n++; vs += si.si_value.sival_int; }
  printf("two timers on one signal: %d signals values %d\n", n, vs);
  timer_delete(a); timer_delete(b); sigprocmask(SIG_SETMASK, &o, 0);
  printf("alive\n");
  return 0;
}
