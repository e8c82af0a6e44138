/* Two POSIX timers on one standard signal: each timer's signal is queued on its own, so
 * both are delivered, each with its own timer's siginfo, even while the other is pending
 * (the kernel keeps one preallocated queue entry per timer); a kill() of the same signal
 * on top of them is merged, as a standard signal's. Counts and values only (in either
 * order: which of two host threads runs first is not the kernel's clockwork). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile int got, values[8];

static void on_alarm(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  if (got < 8) values[got] = si->si_code == SI_TIMER ? si->si_value.sival_int : -1;
  got++;
}

static timer_t make(int value) {
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGALRM;
  sev.sigev_value.sival_int = value;
  timer_t t;
  timer_create(CLOCK_MONOTONIC, &sev, &t);
  return t;
}

static void fire_both(timer_t a, timer_t b) {
  struct itimerspec one = {{0, 0}, {0, 1000000}}, two = {{0, 0}, {0, 2000000}};
  timer_settime(a, 0, &one, NULL);
  timer_settime(b, 0, &two, NULL);
  struct timespec ts = {0, 30000000};
  while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

int main(void) {
  sigset_t alrm;
  sigemptyset(&alrm);
  sigaddset(&alrm, SIGALRM);
  sigprocmask(SIG_BLOCK, &alrm, NULL);
  timer_t a = make(11), b = make(22);

  /* taken by sigtimedwait: once per timer, then nothing */
  fire_both(a, b);
  struct timespec zero = {0, 0};
  siginfo_t si;
  int n = 0, sum = 0;
  while (sigtimedwait(&alrm, &si, &zero) == SIGALRM) {
    n++;
    sum += si.si_value.sival_int;
  }
  printf("sigtimedwait: %d signals, values %d, then %s\n", n, sum, strerror(errno));

  /* delivered to the handler: once per timer, each with its own value */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_alarm;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGALRM, &sa, NULL);
  fire_both(a, b);
  sigprocmask(SIG_UNBLOCK, &alrm, NULL);
  printf("handler: %d runs, values %d\n", got, values[0] + values[1]);

  /* a kill() while both are pending: merged with them (a standard signal is pending once
   * for kill); the timers' own entries still come */
  sigprocmask(SIG_BLOCK, &alrm, NULL);
  got = 0;
  kill(getpid(), SIGALRM);
  fire_both(a, b);
  kill(getpid(), SIGALRM);
  sigprocmask(SIG_UNBLOCK, &alrm, NULL);
  printf("with kill: %d runs, first %d, then %d\n", got, values[0], got > 2 ? values[1] + values[2] : 0);
  printf("overruns %d %d\n", timer_getoverrun(a), timer_getoverrun(b));
  return 0;
}
