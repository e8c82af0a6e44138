/* A periodic timer keeps its schedule: over a window ended by clock_nanosleep(TIMER_ABSTIME),
 * the expiries (each signal, plus its si_overrun) are what the schedule says, within one
 * (first + k * period, counted up to when the timer is disarmed).
 * Prints whether they are, never a time. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PERIOD_NS 2000000L
#define PERIODS 150

static volatile long expiries;
static void on_alarm(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  expiries += 1 + si->si_overrun;
}

static struct timespec add_ns(struct timespec t, long ns) {
  t.tv_nsec += ns;
  while (t.tv_nsec >= 1000000000L) { t.tv_nsec -= 1000000000L; t.tv_sec++; }
  return t;
}

/* expiries at first + k * PERIOD_NS due by ``now`` */
static long scheduled(struct timespec first, struct timespec now) {
  long long ns = (now.tv_sec - first.tv_sec) * 1000000000LL + (now.tv_nsec - first.tv_nsec);
  return ns < 0 ? 0 : ns / PERIOD_NS + 1;
}

static void run(const char *name, int abstime) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_alarm;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGALRM;
  timer_t t;
  timer_create(CLOCK_MONOTONIC, &sev, &t);
  expiries = 0;
  struct timespec now, first, end;
  clock_gettime(CLOCK_MONOTONIC, &now);
  first = add_ns(now, 5 * PERIOD_NS);
  struct itimerspec its = {{0, PERIOD_NS}, {0, 5 * PERIOD_NS}};
  if (abstime) its.it_value = first;
  timer_settime(t, abstime ? TIMER_ABSTIME : 0, &its, NULL);
  /* expiries at first + k * PERIOD for k = 0 .. PERIODS, then half a period more */
  end = add_ns(first, PERIODS * PERIOD_NS + PERIOD_NS / 2);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, NULL) == EINTR) {}
  sigset_t alrm;
  sigemptyset(&alrm);
  sigaddset(&alrm, SIGALRM);
  sigprocmask(SIG_BLOCK, &alrm, NULL);
  /* the window really ends when the timer is disarmed (the wake-up above may be late on
   * a loaded machine): the schedule's count lies between its counts at these two times.
   * The signal pending is taken before the disarm: Linux 6.13 and later drop a timer's
   * queued signal at timer_settime (6.1 delivered it); one queued in between, on 6.1 */
  struct timespec before, after;
  struct itimerspec off = {{0, 0}, {0, 0}};
  siginfo_t si;
  struct timespec zero = {0, 0};
  clock_gettime(CLOCK_MONOTONIC, &before);
  long total = expiries;
  if (sigtimedwait(&alrm, &si, &zero) == SIGALRM) total += 1 + si.si_overrun;
  timer_settime(t, 0, &off, NULL);
  clock_gettime(CLOCK_MONOTONIC, &after);
  if (sigtimedwait(&alrm, &si, &zero) == SIGALRM) total += 1 + si.si_overrun;
  sigprocmask(SIG_UNBLOCK, &alrm, NULL);
  timer_delete(t);
  long lo = scheduled(first, before), hi = scheduled(first, after);
  int ok = total >= lo - 1 && total <= hi + 1;
  printf("%s: on schedule %d\n", name, ok);
  if (!ok) fprintf(stderr, "%s: %ld expiries, the schedule says %ld to %ld\n", name, total, lo, hi);
}

int main(void) {
  run("relative", 0);
  run("absolute", 1);
  return 0;
}
