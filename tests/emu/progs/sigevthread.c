/* SIGEV_THREAD timers (glibc and musl run the callback on a thread of their own, told by a
 * SIGEV_THREAD_ID signal), and SIGEV_THREAD_ID itself: one-shot, periodic, several at once,
 * timer_delete while armed, a signal to a named thread, EINVAL for a thread not ours.
 * Prints counts only: nothing depends on how long anything took. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static sem_t done;
static atomic_int fired[4];
static atomic_int periodic;

static void oneshot(union sigval v) {
  atomic_fetch_add(&fired[v.sival_int], 1);
  sem_post(&done);
}

static void tick(union sigval v) {
  (void)v;
  if (atomic_fetch_add(&periodic, 1) == 4) sem_post(&done);
}

static void never(union sigval v) { (void)v; atomic_fetch_add(&fired[3], 1); }

static void arm(timer_t t, long first_ns, long every_ns) {
  struct itimerspec its = {{0, every_ns}, {0, first_ns}};
  if (timer_settime(t, 0, &its, NULL)) perror("timer_settime");
}

static timer_t thread_timer(void (*fn)(union sigval), int value) {
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD;
  sev.sigev_notify_function = fn;
  sev.sigev_value.sival_int = value;
  timer_t t;
  if (timer_create(CLOCK_MONOTONIC, &sev, &t)) perror("timer_create");
  return t;
}

static void sem_wait_all(sem_t *s) {
  while (sem_wait(s) && errno == EINTR) {}
}

static volatile pid_t who;
static volatile int hits;
static void on_usr(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  who = syscall(SYS_gettid);
  hits += si->si_code == SI_TIMER && si->si_value.sival_int == 77;
}

static sem_t ready, go;
static volatile pid_t worker_tid;
static void *worker(void *arg) {
  (void)arg;
  worker_tid = syscall(SYS_gettid);
  sem_post(&ready);
  sem_wait_all(&go);         /* the signal interrupts this wait here, not in main */
  return NULL;
}

int main(void) {
  sem_init(&done, 0, 0);
  /* one-shot */
  timer_t a = thread_timer(oneshot, 0);
  arm(a, 2000000, 0);
  sem_wait_all(&done);
  printf("one-shot: fired %d\n", atomic_load(&fired[0]));
  timer_delete(a);

  /* several at once, one of them deleted while armed */
  timer_t b = thread_timer(oneshot, 1), c = thread_timer(oneshot, 2), d = thread_timer(never, 3);
  arm(d, 200000000, 0);
  arm(b, 3000000, 0);
  arm(c, 1000000, 0);
  if (timer_delete(d)) perror("timer_delete");
  sem_wait_all(&done);
  sem_wait_all(&done);
  printf("several: fired %d %d\n", atomic_load(&fired[1]), atomic_load(&fired[2]));
  timer_delete(b);
  timer_delete(c);

  /* periodic: five ticks, then deleted while armed: the callbacks already under way end,
   * and no more come (the count is the same after two more waits) */
  timer_t p = thread_timer(tick, 0);
  arm(p, 2000000, 2000000);
  sem_wait_all(&done);
  timer_delete(p);
  int at_delete = atomic_load(&periodic);
  struct timespec ts = {0, 300000000};    /* (longer than d's 200 ms: it never fires) */
  while (nanosleep(&ts, &ts) && errno == EINTR) {}
  int after = atomic_load(&periodic);
  ts.tv_nsec = 200000000;
  while (nanosleep(&ts, &ts) && errno == EINTR) {}
  printf("periodic: reached 5 %d, stopped %d, deleted one fired %d\n", at_delete >= 5,
         after == atomic_load(&periodic), atomic_load(&fired[3]));

  /* SIGEV_THREAD_ID: the signal goes to the named thread */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  sem_init(&ready, 0, 0);
  sem_init(&go, 0, 0);
  pthread_t th;
  pthread_create(&th, NULL, worker, NULL);
  sem_wait_all(&ready);
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGUSR1;
  sev.sigev_value.sival_int = 77;
  sev.sigev_notify_thread_id = 999999;
  long r = syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &a);
  printf("thread id not ours: %ld %s\n", r, r ? strerror(errno) : "-");
  sev.sigev_notify_thread_id = worker_tid;
  int kt;
  r = syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &kt);
  struct itimerspec its = {{0, 0}, {0, 2000000}};
  syscall(SYS_timer_settime, kt, 0, &its, NULL);
  while (!hits) {
    struct timespec w = {0, 1000000};
    nanosleep(&w, NULL);
  }
  sem_post(&go);
  pthread_join(th, NULL);
  printf("thread id: created %ld, in the worker %d, hits %d\n", r, who == worker_tid, hits);
  syscall(SYS_timer_delete, kt);
  return 0;
}
