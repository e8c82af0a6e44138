/* A timer's signal that every thread blocks ends no wait: the main thread's nanosleep runs its
 * full time while another thread (as glibc's SIGEV_THREAD helper does) blocks every signal;
 * the signal stays pending, with its overruns, for sigwaitinfo. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static sem_t ready, never;

static void *blocker(void *p) {
  (void)p;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  sem_post(&ready);
  while (sem_wait(&never) && errno == EINTR) {}
  return NULL;
}

static void on_sig(int s) { (void)s; }

int main(void) {
  sem_init(&ready, 0, 0);
  sem_init(&never, 0, 0);
  pthread_t t;
  pthread_create(&t, NULL, blocker, NULL);
  while (sem_wait(&ready) && errno == EINTR) {}
  signal(SIGRTMIN + 3, on_sig);
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGRTMIN + 3);
  sigprocmask(SIG_BLOCK, &m, NULL);
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGRTMIN + 3;
  timer_t tid;
  timer_create(CLOCK_MONOTONIC, &ev, &tid);
  struct itimerspec its = {{0, 1000000}, {0, 2000000}};
  timer_settime(tid, 0, &its, NULL);
  struct timespec w = {0, 30000000};
  int r = nanosleep(&w, NULL);
  printf("nanosleep %d %s\n", r, r ? strerror(errno) : "-");
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_nsec += 20000000;
  if (until.tv_nsec >= 1000000000L) { until.tv_nsec -= 1000000000L; until.tv_sec++; }
  r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
  printf("clock_nanosleep %d\n", r);
  siginfo_t si;
  printf("sigwaitinfo %d overrun positive %d\n", sigwaitinfo(&m, &si) == SIGRTMIN + 3, si.si_overrun > 0);
  return 0;
}
